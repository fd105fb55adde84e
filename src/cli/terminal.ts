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

/** The real terminal: stdout for results, stderr for people. */
export function terminalIo(): Io {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
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
