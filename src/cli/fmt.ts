/** `vsc fmt [--check] FILE...`: canonical layout; comments kept; idempotent. */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { formatSource } from "../fmt/format.js";
import type { DiagFormat, Io } from "./io.js";
import { printDiagnostics } from "./frontend.js";

export function cmdFmt(files: string[], o: { check: boolean; format: DiagFormat }, io: Io): number {
  let code = 0;
  for (const path of files) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      printDiagnostics(
        [
          {
            code: "VSC9004",
            severity: "error",
            message: `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
            help: "check the path and its permissions",
          },
        ],
        new Map(),
        path,
        o.format,
        io,
      );
      code = 1;
      continue;
    }
    // Spans name the file relative to its own directory, like an entry file.
    const name = basename(path);
    const { text: formatted, diagnostics } = formatSource(text, name);
    if (formatted === undefined) {
      printDiagnostics(diagnostics, new Map([[name, text]]), path, o.format, io);
      code = 1;
      continue;
    }
    if (formatted === text) continue;
    if (o.check) {
      io.err(`would reformat ${path}\n`);
      code = 1;
      continue;
    }
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, formatted);
    renameSync(tmp, path);
    io.err(`formatted ${path}\n`);
  }
  return code;
}
