import { createRequire } from "node:module";
import type * as Readline from "node:readline";
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

let writeFailed = false;

/** True once a write to stdout or stderr failed for another reason than EPIPE. */
export const stdioWriteFailed = (): boolean => writeFailed;

/**
 * A writer to `stream` that survives the reader going away. When the other
 * end of a pipe closes (`vsc explain | head -1`), the write fails with EPIPE
 * (Node ignores SIGPIPE) as an 'error' event; unhandled, that event is a
 * stack trace. Here it only marks the stream closed: later writes to it are
 * dropped and the command runs to its end with its own exit code. Ending the
 * process at the first failed write instead would cut `vsc apply` short
 * half-way through the kernel changes because someone closed a pager.
 * Any other failure (ENOSPC writing `-o -` to a full disk, EIO) also stops
 * the writes, but is said on stderr (when that is not the broken stream) and
 * makes the exit code 1, so a truncated artifact never looks like success.
 */
export function pipeSafeWriter(
  stream: NodeJS.WritableStream,
  name: "stdout" | "stderr",
): (text: string) => void {
  let closed = false;
  const fail = (e: NodeJS.ErrnoException): void => {
    if (closed) return;
    closed = true;
    if (e.code === "EPIPE") return;
    writeFailed = true;
    process.exitCode = 1;
    if (name === "stdout") {
      try {
        process.stderr.write(`vsc: cannot write to stdout: ${e.code ?? e.message}\n`);
      } catch {
        // stderr is gone too: the exit code says it.
      }
    }
  };
  stream.on("error", fail);
  return (text) => {
    if (closed) return;
    try {
      stream.write(text);
    } catch (e) {
      fail(e as NodeJS.ErrnoException);
    }
  };
}

let writers: { out: (t: string) => void; err: (t: string) => void } | undefined;

/** The real terminal: stdout for results, stderr for people. */
export function terminalIo(): Io {
  writers ??= {
    out: pipeSafeWriter(process.stdout, "stdout"),
    err: pipeSafeWriter(process.stderr, "stderr"),
  };
  return {
    out: writers.out,
    err: writers.err,
    color: wantColor(process.stderr),
    interactive: !!process.stdin.isTTY,
    confirm: async (question) => {
      if (!process.stdin.isTTY) return false;
      // Loaded here: only `apply` asks, and most runs never load readline.
      // require, not import(): the bundle runs as a script with a code cache
      // (bin/load-bundle.js), where a dynamic import() has no loader.
      const { createInterface } = createRequire(import.meta.url)(
        "node:readline",
      ) as typeof Readline;
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
