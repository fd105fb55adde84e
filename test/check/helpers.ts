/** Shared helpers for the checker's tests: source text in, diagnostics and IR out. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Diagnostic } from "../../src/diag/diagnostic.js";
import { check, type CheckResult } from "../../src/check/index.js";
import { packageRoot } from "../../src/paths.js";
import { loadProgram, memoryHost } from "../../src/syntax/load.js";

export function fixture(rel: string): string {
  return readFileSync(join(packageRoot(), rel), "utf8");
}

/** Checks `files` (entry first); fails loudly if the text does not even parse. */
export function checkFiles(files: Record<string, string>): CheckResult {
  const entry = Object.keys(files)[0]!;
  const { program, diagnostics } = loadProgram(entry, memoryHost(files));
  if (diagnostics.some((d) => d.severity === "error")) {
    throw new Error(`test source does not parse: ${JSON.stringify(diagnostics, null, 1)}`);
  }
  return check(program);
}

export const checkText = (text: string): CheckResult => checkFiles({ "main.vsc": text });

/** A small host used by most tests: 4 cpus, 8GiB, disk vda, link eth0 at 1gbit. Lines 1-6. */
export const HOST = `host h {
  cpus 4
  memory 8GiB
  disk vda 254:0
  link eth0 rate 1gbit
}
`;

/** "line:col" of the `nth` (0-based) occurrence of `needle` in `text`. */
export function pos(text: string, needle: string, nth = 0): string {
  let i = -1;
  for (let k = 0; k <= nth; k++) {
    i = text.indexOf(needle, i + 1);
    if (i < 0) throw new Error(`test bug: "${needle}" (#${nth}) not in the text`);
  }
  const before = text.slice(0, i).split("\n");
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

export const at = (d: Diagnostic | undefined): string =>
  d?.span ? `${d.span.line}:${d.span.col}` : "<no span>";

/** Codes and positions, compactly: ["VSC2022@8:12", ...]. */
export const summary = (ds: readonly Diagnostic[]): string[] => ds.map((d) => `${d.code}@${at(d)}`);

export const errors = (ds: readonly Diagnostic[]) => ds.filter((d) => d.severity === "error");
