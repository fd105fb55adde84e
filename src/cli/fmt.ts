/**
 * `vsc fmt [--check] FILE...`: canonical layout; comments kept; idempotent.
 * A file is rewritten through a new file renamed over it (never written
 * through a symlink), with the old file's mode and owner; on a symlink the
 * link's target is formatted and the link stays (docs/security.md).
 */
import { realpathSync } from "node:fs";
import { basename, dirname } from "node:path";
import type { Diagnostic } from "../diag/diagnostic.js";
import { formatSource } from "../fmt/format.js";
import { readInputFile, writeFileReplacing } from "../safe-fs.js";
import { MAX_INPUT_BYTES } from "../syntax/loader.js";
import type { DiagFormat, Io } from "./io.js";
import { printDiagnostics } from "./frontend.js";

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

export function cmdFmt(files: string[], o: { check: boolean; format: DiagFormat }, io: Io): number {
  let code = 0;
  const fail = (path: string, d: Omit<Diagnostic, "severity">) => {
    printDiagnostics([{ severity: "error", ...d }], new Map(), path, o.format, io);
    code = 1;
  };
  for (const path of files) {
    let real: string;
    try {
      real = realpathSync(path);
    } catch (e) {
      fail(path, {
        code: "VSC9004",
        message: `cannot read ${path}: ${errno(e)}`,
        help: "check the path and its permissions",
      });
      continue;
    }
    const r = readInputFile(real, MAX_INPUT_BYTES);
    if (!r.ok) {
      if (r.reason === "not-regular")
        fail(path, {
          code: "VSC1020",
          message: `${path} is not a regular file: it is ${r.detail}`,
          help: "vsc formats only regular files",
        });
      else if (r.reason === "too-large")
        fail(path, {
          code: "VSC1021",
          message: `${path} is too large: a .vsc file may hold at most ${MAX_INPUT_BYTES / 1048576} MiB`,
          help: "check that the right file is named",
        });
      else
        fail(path, {
          code: "VSC9004",
          message: `cannot read ${path}: ${r.detail}`,
          help: "check the path and its permissions",
        });
      continue;
    }
    const text = r.text;
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
    try {
      // Mode and owner of the file as it was, set on the new file before it takes the name.
      writeFileReplacing(dirname(real), basename(real), formatted, r.stat.mode & 0o7777, {
        uid: r.stat.uid,
        gid: r.stat.gid,
      });
    } catch (e) {
      if (errno(e) === "EPERM")
        fail(path, {
          code: "VSC9011",
          message: `cannot format ${path}: it belongs to another user (uid ${r.stat.uid}, gid ${r.stat.gid}) and the new file could not be given that owner`,
          help: "run vsc fmt as the file's owner; the file was left as it was",
        });
      else
        fail(path, {
          code: "VSC9004",
          message: `cannot write ${path}: ${errno(e)}`,
          help: "check that its directory is writable; the file was left as it was",
        });
      continue;
    }
    io.err(`formatted ${path}\n`);
  }
  return code;
}
