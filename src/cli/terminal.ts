import type { Io } from "./io.js";

/**
 * Colour only on a terminal and never with NO_COLOR (https://no-color.org:
 * any non-empty value); FORCE_COLOR forces it (for screenshots and tests).
 */
export function wantColor(stream: NodeJS.WriteStream, env = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "" && env.FORCE_COLOR !== "0")
    return true;
  return !!stream.isTTY && env.TERM !== "dumb";
}

/**
 * A writer to `stream` that survives the reader going away. When the other
 * end of a pipe closes (`vsc explain | head -1`), the write fails with EPIPE
 * (Node ignores SIGPIPE) as an 'error' event; unhandled, that event is a
 * stack trace. Here it only marks the stream closed: later writes to it are
 * dropped and the command runs to its end with its own exit code. Ending the
 * process at the first failed write instead would cut `vsc apply` short
 * half-way through the kernel changes because someone closed a pager.
 */
export function pipeSafeWriter(stream: NodeJS.WritableStream): (text: string) => void {
  let closed = false;
  // EPIPE is the reader leaving; any other error on stdout/stderr (EIO on a
  // hung-up terminal) leaves nowhere to report it either: stop writing there too.
  stream.on("error", () => {
    closed = true;
  });
  return (text) => {
    if (!closed) stream.write(text);
  };
}

let writers: { out: (t: string) => void; err: (t: string) => void } | undefined;

/** The real terminal: stdout for results, stderr for people. */
export function terminalIo(): Io {
  writers ??= { out: pipeSafeWriter(process.stdout), err: pipeSafeWriter(process.stderr) };
  return {
    out: writers.out,
    err: writers.err,
    color: wantColor(process.stderr),
    interactive: !!process.stdin.isTTY,
    confirm: async (question) => {
      if (!process.stdin.isTTY) return false;
      // Loaded here: only `apply` asks, and most runs never load readline.
      const { createInterface } = await import("node:readline");
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        const answer = await new Promise<string>((res) => rl.question(`${question} `, res));
        return answer.trim() === "yes";
      } finally {
        rl.close();
      }
    },
  };
}
