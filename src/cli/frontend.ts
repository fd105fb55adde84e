/**
 * The front half shared by every command that takes a .vsc file: load (with
 * includes), check, and print diagnostics in the chosen format.
 */
import { dirname, join, relative } from "node:path";
import type { Diagnostic } from "../diag/diagnostic.js";
import { hasErrors, sortDiagnostics } from "../diag/diagnostic.js";
import { renderHuman, renderJson, renderShort } from "../diag/render.js";
import type { VscIr } from "../ir/types.gen.js";
import { loadProgram } from "../syntax/load.js";
import { check } from "../check/index.js";
import type { DiagFormat, Io } from "./io.js";
import { fsSourceHost } from "./source-host.js";

export interface FrontendResult {
  ir: VscIr | undefined;
  diagnostics: Diagnostic[];
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
 * (it is the command's machine-readable output).
 */
export function printDiagnostics(
  ds: Diagnostic[],
  sources: ReadonlyMap<string, string>,
  entryPath: string,
  format: DiagFormat,
  io: Io,
): void {
  const opts = { color: io.color, sources, displayPath: displayPathFor(entryPath) };
  if (format === "json") io.out(renderJson(ds, opts));
  else if (ds.length === 0) return;
  else if (format === "short") io.err(renderShort(ds, opts));
  else io.err(renderHuman(ds, opts));
}

/** Loads `path` and its includes. */
async function load(path: string) {
  return loadProgram(path, fsSourceHost());
}

/** Loads and checks `path`; prints diagnostics; `ir` is undefined iff there were errors. */
export async function loadAndCheck(
  path: string,
  io: Io,
  format: DiagFormat,
): Promise<FrontendResult> {
  const { program, diagnostics: loadDiags } = await load(path);
  const sources = new Map(program.files.map((f) => [f.file, f.text] as const));
  let diagnostics = loadDiags;
  let ir: VscIr | undefined;
  if (!hasErrors(loadDiags)) {
    const checked = check(program);
    diagnostics = [...loadDiags, ...checked.diagnostics];
    ir = hasErrors(diagnostics) ? undefined : checked.ir;
  }
  diagnostics = sortDiagnostics(diagnostics);
  printDiagnostics(diagnostics, sources, path, format, io);
  return { ir, diagnostics };
}
