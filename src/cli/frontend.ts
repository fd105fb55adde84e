/**
 * The front half shared by every command that takes a .vsc file: load (with
 * includes), check, and print diagnostics in the chosen format.
 */
import { dirname, join, relative } from "node:path";
import type { Diagnostic } from "../diag/diagnostic.js";
import { hasErrors, sortDiagnostics } from "../diag/diagnostic.js";
import { capDiagnostics } from "../diag/cap.js";
import { jsonDiagnostics, renderHuman, renderShort } from "../diag/render.js";
import type { VscIr } from "../ir/types.gen.js";
import { loadProgram } from "../syntax/load.js";
import { type CheckOptions, check } from "../check/index.js";
import type { Program } from "../syntax/ast.js";
import type { DiagFormat, Io } from "./io.js";
import { fsSourceHost } from "./source-host.js";

export interface FrontendResult {
  ir: VscIr | undefined;
  /** Every diagnostic, sorted (not capped: exit codes are decided on all of them). */
  diagnostics: Diagnostic[];
  /** Source text by Span.file, for rendering. */
  sources: ReadonlyMap<string, string>;
  /** The checked host's single-host program (one host, or --host). */
  hostProgram?: Program;
  /** The file set's host names. */
  hosts?: string[];
  /** The loaded program (when it parsed). */
  program?: Program;
}

/** Maps an entry-relative Span.file to the path the user knows (relative to the cwd). */
export function displayPathFor(entryPath: string): (file: string) => string {
  const base = dirname(entryPath);
  return (file: string) => {
    const p = join(base, file);
    const r = relative(process.cwd(), p);
    return r === "" || r.startsWith("..") ? p : r;
  };
}

/**
 * Prints diagnostics: human and short go to stderr; json goes to stdout
 * (it is the command's machine-readable output). At most MAX_DIAGNOSTICS
 * are printed, then one VSC9020 (src/diag/cap.ts).
 */
export function printDiagnostics(
  ds: Diagnostic[],
  sources: ReadonlyMap<string, string>,
  entryPath: string,
  format: DiagFormat,
  io: Io,
): void {
  if (format === "json") {
    io.out(JSON.stringify(diagnosticsAsJson(ds, sources, entryPath), null, 2) + "\n");
    return;
  }
  const opts = { color: io.color, sources, displayPath: displayPathFor(entryPath) };
  const shown = capDiagnostics(ds);
  if (shown.length === 0) return;
  else if (format === "short") io.err(renderShort(shown, opts));
  else io.err(renderHuman(shown, opts));
}

/**
 * The JSON objects for one entry file's diagnostics (capped like the other
 * formats). Each also names the `entry` file as given on the command line,
 * so a diagnostic without a span (no host, a file that cannot be read) still
 * says which program it belongs to when `vsc check` prints several.
 */
export function diagnosticsAsJson(
  ds: Diagnostic[],
  sources: ReadonlyMap<string, string>,
  entryPath: string,
): object[] {
  const objects = jsonDiagnostics(capDiagnostics(ds), {
    color: false,
    sources,
    displayPath: displayPathFor(entryPath),
  });
  return objects.map((o) => ({ ...o, entry: entryPath }));
}

/** Loads `path` and its includes. */
async function load(path: string) {
  return loadProgram(path, fsSourceHost());
}

/**
 * Loads and checks `path`; prints diagnostics (unless `print` is false);
 * `ir` is undefined iff there were errors.
 */
export async function loadAndCheck(
  path: string,
  io: Io,
  format: DiagFormat,
  print = true,
  opts: CheckOptions = {},
): Promise<FrontendResult> {
  const { program, diagnostics: loadDiags } = await load(path);
  const sources = new Map(program.files.map((f) => [f.file, f.text] as const));
  let diagnostics = loadDiags;
  let ir: VscIr | undefined;
  let hostProgram: Program | undefined;
  let hosts: string[] | undefined;
  if (!hasErrors(loadDiags)) {
    const checked = check(program, opts);
    diagnostics = [...loadDiags, ...checked.diagnostics];
    ir = hasErrors(diagnostics) ? undefined : checked.ir;
    hostProgram = checked.hostProgram;
    hosts = checked.hosts;
  }
  diagnostics = sortDiagnostics(diagnostics);
  if (print) printDiagnostics(diagnostics, sources, path, format, io);
  const out: FrontendResult = { ir, diagnostics, sources, program };
  if (hostProgram) out.hostProgram = hostProgram;
  if (hosts) out.hosts = hosts;
  return out;
}
