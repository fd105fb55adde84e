/**
 * The CLI's view of the terminal. Commands write results to `out` (stdout)
 * and human messages to `err` (stderr); tests pass a recording Io.
 */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Colour allowed: stderr/stdout is a terminal and NO_COLOR is unset (or forced by tests). */
  color: boolean;
  /** Standard input is a terminal (apply asks for confirmation only then). */
  interactive: boolean;
  /** Ask a yes/no question on the terminal; resolves false when not interactive. */
  confirm(question: string): Promise<boolean>;
}

export type { DiagFormat } from "../diag/render.js";

export function recordingIo(
  opts: { color?: boolean } = {},
): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    color: opts.color ?? false,
    interactive: false,
    out(t: string) {
      io.stdout += t;
    },
    err(t: string) {
      io.stderr += t;
    },
    confirm: async () => false,
  };
  return io;
}
