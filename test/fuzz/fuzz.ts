/**
 * Fuzzing the front end: random and mutated inputs (from the examples and
 * generated configs) must each end in either a schema-valid IR or
 * diagnostics whose spans lie inside their files, and must never throw or
 * hang. Deterministic: a seed names a whole run, so a failure is replayable.
 */
import type { Diagnostic, Span } from "../../src/diag/diagnostic.js";
import { hasErrors } from "../../src/diag/diagnostic.js";
import { check } from "../../src/check/index.js";
import { loadProgram, memoryHost } from "../../src/syntax/load.js";
import { validateIr } from "../../src/ir/validate.js";

/** mulberry32: small, fast, good enough for choosing mutations. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  "{",
  "}",
  '"',
  "\\",
  "#",
  "//",
  "\n",
  " ",
  ",",
  "$",
  "$x",
  "-",
  "/",
  ":",
  "::",
  "%",
  ".",
  "0",
  "1.5",
  "99999999999999999999",
  "-1",
  "1e9",
  "512M",
  "1 cpus",
  "10%",
  "0.5cpus",
  "max",
  "host",
  "context",
  "class",
  "template",
  "in",
  "use",
  'include "*.vsc"',
  "define x = ",
  "cpu",
  "memory",
  "limit",
  "reserve",
  "share",
  "cores",
  "allow",
  "out",
  "tcp",
  "port",
  "fd00::1",
  "10.0.0.1/33",
  "256.1.1.1",
  "::/0",
  "254:0",
  "80-22",
  "é",
  "\u0000",
  "\t",
  "\r",
  "A",
  "a;rm -rf /",
  "$(reboot)",
  "`x`",
  '"\n"',
  "link eth0 rate 1gbit",
];

export interface FuzzCase {
  seed: number;
  input: string;
}

/** One mutated input: a few edits (insert, delete, duplicate, swap, truncate) of a seed text. */
export function mutate(text: string, r: () => number): string {
  let s = text;
  const edits = 1 + Math.floor(r() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(r() * (s.length + 1));
    const k = r();
    if (k < 0.3) s = s.slice(0, at) + PIECES[Math.floor(r() * PIECES.length)] + s.slice(at);
    else if (k < 0.5) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 20));
    else if (k < 0.65) {
      const lines = s.split("\n");
      const i = Math.floor(r() * lines.length);
      const j = Math.floor(r() * lines.length);
      [lines[i], lines[j]] = [lines[j], lines[i]];
      s = lines.join("\n");
    } else if (k < 0.8) {
      const lines = s.split("\n");
      const i = Math.floor(r() * lines.length);
      lines.splice(i, 0, lines[Math.floor(r() * lines.length)]);
      s = lines.join("\n");
    } else if (k < 0.9) s = s.slice(0, at);
    else s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 0x2000)) + s.slice(at);
  }
  return s;
}

/** Pure noise: random pieces and characters. */
export function noise(r: () => number): string {
  let s = "";
  const n = Math.floor(r() * 60);
  for (let i = 0; i < n; i++)
    s +=
      r() < 0.7
        ? PIECES[Math.floor(r() * PIECES.length)] + " "
        : String.fromCharCode(32 + Math.floor(r() * 95));
  return s;
}

/**
 * Hostile input (issue #13): deep nesting, huge tokens, floods of errors,
 * chains of classes, defines and templates thousands long,
 * at random sizes, alone or spliced into a seed. Each must end in
 * diagnostics like any other input (the parser's limits, docs/syntax.md).
 */
export function hostile(r: () => number, seed = ""): string {
  const size = (max: number) => 1 + Math.floor(r() ** 2 * max);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const kind = Math.floor(r() * 9);
  const host = "host h { cpus 2  memory 1GiB }\n";
  const chain = (n: number, first: string, next: (i: number) => string, use: string) => {
    let t = host + first;
    for (let i = 1; i < n; i++) t += next(i);
    return t + use;
  };
  let bad: string;
  if (kind === 0) {
    const n = size(3000);
    const open = pick(["x { ", "cpu { ", "context a { ", "{ ", "net { link e { "]);
    bad = open.repeat(n) + (r() < 0.5 ? "}".repeat(n) : "");
  } else if (kind === 1) {
    bad = '"' + pick(["a", "\\", "é", " "]).repeat(size(200_000)) + (r() < 0.5 ? '"' : "");
  } else if (kind === 2) {
    bad = pick(["a", "1", "$", ":", "A", "-"]).repeat(size(200_000));
  } else if (kind === 3) {
    bad = pick(["; ", ";\n", ";", "} ", "= ", "@", "\u0000", "1.2.3 ", "Web "]).repeat(
      size(100_000),
    );
  } else if (kind === 4) {
    bad = "context a { " + pick(["= ", "cpu { limit } ", "} ", "{ ", ", "]).repeat(size(20_000));
  } else if (kind === 5) {
    bad = "x {".repeat(size(2000)) + '"' + "a".repeat(size(10_000));
  } else if (kind === 6) {
    // The checker's recursion: class chains, define chains, template chains.
    const n = size(3000);
    bad = chain(
      n,
      "class c0 {}\n",
      (i) => `class c${i} in c${i - 1} {}\n`,
      `context x in c${n - 1} { id 1 }\n`,
    );
  } else if (kind === 7) {
    const n = size(6000);
    bad = chain(
      n,
      "define d0 = 1\n",
      (i) => `define d${i} = $d${i - 1}\n`,
      `context x { id 1  pids { limit $d${n - 1} } }\n`,
    );
  } else {
    const n = size(3000);
    bad = chain(
      n,
      "template t0 { pids { limit 5 } }\n",
      (i) => `template t${i} { use t${i - 1} }\n`,
      `context x { id 1  use t${n - 1} }\n`,
    );
  }
  if (!seed || r() < 0.5) return bad;
  const at = Math.floor(r() * (seed.length + 1));
  return seed.slice(0, at) + bad + seed.slice(at);
}

export function spanProblem(sp: Span, files: ReadonlyMap<string, string>): string | undefined {
  const text = files.get(sp.file);
  if (text === undefined) return `span names unknown file ${JSON.stringify(sp.file)}`;
  if (!(sp.start >= 0 && sp.start <= sp.end && sp.end <= text.length))
    return `offsets ${sp.start}..${sp.end} outside 0..${text.length}`;
  // Lines end at \n, \r\n or a lone \r (the lexer's rule).
  const before = text.slice(0, sp.start);
  const breaks = before.match(/\r\n|\r|\n/g) ?? [];
  const line = breaks.length + 1;
  const lastBreak = Math.max(before.lastIndexOf("\n"), before.lastIndexOf("\r"));
  const col = sp.start - (lastBreak + 1) + 1;
  if (line !== sp.line || col !== sp.col)
    return `line:col ${sp.line}:${sp.col} but offset ${sp.start} is ${line}:${col}`;
  if (sp.endLine < sp.line || (sp.endLine === sp.line && sp.endCol < sp.col))
    return `end ${sp.endLine}:${sp.endCol} before start ${sp.line}:${sp.col}`;
  return undefined;
}

/** Runs one input through load + check; returns a problem description, or undefined if sound. */
export function checkOne(input: string, extra: Record<string, string> = {}): string | undefined {
  const files = { "main.vsc": input, ...extra };
  let diagnostics: Diagnostic[];
  let texts: Map<string, string>;
  try {
    const loaded = loadProgram("main.vsc", memoryHost(files));
    texts = new Map(loaded.program.files.map((f) => [f.file, f.text] as const));
    diagnostics = loaded.diagnostics;
    if (!hasErrors(diagnostics)) {
      const checked = check(loaded.program);
      diagnostics = [...diagnostics, ...checked.diagnostics];
      if (hasErrors(checked.diagnostics) !== (checked.ir === undefined))
        return "check returned an IR together with errors, or neither";
      if (checked.ir) {
        const bad = validateIr(checked.ir);
        if (bad) return `IR fails its schema: ${bad}`;
      }
    }
  } catch (e) {
    return `threw: ${(e as Error).stack ?? e}`;
  }
  for (const d of diagnostics) {
    if (!/^VSC\d{4}$/.test(d.code)) return `bad code ${d.code}`;
    if (!d.message) return `empty message for ${d.code}`;
    for (const sp of [d.span, ...(d.related ?? []).map((r) => r.span)]) {
      if (!sp) continue;
      const p = spanProblem(sp, texts);
      if (p) return `${d.code} (${d.message}): ${p}`;
    }
  }
  return undefined;
}

/** Runs `count` cases from `seed` over the seed texts; returns the failures (at most 10). */
export function fuzz(
  seeds: readonly string[],
  count: number,
  seed: number,
): { input: string; problem: string }[] {
  const r = rng(seed);
  const failures: { input: string; problem: string }[] = [];
  for (let i = 0; i < count && failures.length < 10; i++) {
    const k = r();
    const seedText = seeds[Math.floor(r() * seeds.length)]!;
    const input = k < 0.05 ? hostile(r, seedText) : k < 0.15 ? noise(r) : mutate(seedText, r);
    const problem = checkOne(input);
    if (problem) failures.push({ input, problem });
  }
  return failures;
}
