/**
 * Renders diagnostics for people (rustc style), for tools (`short`: one line
 * each, `file:line:col: severity[CODE]: message`) and as JSON. Pure: takes
 * the source texts and returns a string.
 */
import pc from "picocolors";
import type { Diagnostic, Span } from "./diagnostic.js";

export interface RenderOptions {
  color: boolean;
  /** Source text by Span.file, for excerpts. A missing file just omits the excerpt. */
  sources: ReadonlyMap<string, string>;
  /** Maps Span.file (entry-relative) to the path shown to the user. */
  displayPath?: (file: string) => string;
}

/** The three renderings, as `--format` names them. */
export type DiagFormat = "human" | "short" | "json";

type Colors = ReturnType<typeof pc.createColors>;

const TAB = "    ";

/** Start offsets of every line of a source text (V8 caches string hashes, so the key is cheap). */
const lineStartsCache = new Map<string, number[]>();
function lineStarts(text: string): number[] {
  let starts = lineStartsCache.get(text);
  if (!starts) {
    // Lines end at \n, \r\n or a lone \r, as in the lexer (src/syntax/span.ts).
    starts = [0];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
    }
    if (lineStartsCache.size > 64) lineStartsCache.clear();
    lineStartsCache.set(text, starts);
  }
  return starts;
}

function sourceLine(text: string, line: number): string | undefined {
  const starts = lineStarts(text);
  if (line < 1 || line > starts.length) return undefined;
  const from = starts[line - 1];
  const to = line < starts.length ? starts[line] : text.length;
  return text
    .slice(from, to)
    .replace(/\r?\n?$/, "")
    .replace(/\r$/, "");
}

/**
 * A character that must not reach the terminal as it is: C0 controls, DEL,
 * and (above ASCII) spacing and invisible format characters (NBSP, bidi
 * overrides). The same rule as the lexer's messages (`U+001B`), so the
 * excerpt shows what the message names.
 */
function escaped(cp: number): boolean {
  if (cp < 0x20 || cp === 0x7f) return true;
  return cp >= 0x80 && /\s|\p{Cf}/u.test(String.fromCodePoint(cp));
}

/**
 * A source line as shown under the gutter: tabs expanded, every escaped
 * character written `U+XXXX`. `cols[i]` is the visual column (0-based) where
 * code unit `i` starts; `cols[line.length]` is the width of the whole line.
 */
function displayLine(line: string): { text: string; cols: number[] } {
  const cols = new Array<number>(line.length + 1);
  let text = "";
  for (let i = 0; i < line.length;) {
    const cp = line.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    const shown =
      cp === 9
        ? TAB
        : escaped(cp)
          ? `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`
          : line.slice(i, i + units);
    for (let k = 0; k < units; k++) cols[i + k] = text.length;
    text += shown;
    i += units;
  }
  cols[line.length] = text.length;
  return { text, cols };
}

/** Longest source line shown whole under a caret; a longer one is cut to a window around the span. */
export const EXCERPT_MAX = 160;
const ELLIPSIS = "...";

/**
 * The part of a source line shown under the gutter: the whole line when it is
 * short, else EXCERPT_MAX code units starting a little before the span
 * (a 16 MiB one-line file must not print 16 MiB per diagnostic). `offset` is
 * the number of code units cut from the start; `before`/`after` say where
 * something was cut (shown as "...").
 */
function excerpt(
  line: string,
  col: number,
): { src: string; offset: number; before: boolean; after: boolean } {
  if (line.length <= EXCERPT_MAX) return { src: line, offset: 0, before: false, after: false };
  let from = Math.max(0, Math.min(col - 1 - 40, line.length - EXCERPT_MAX));
  // Never split a surrogate pair.
  if (from > 0 && /[\uDC00-\uDFFF]/.test(line[from]!)) from--;
  let to = from + EXCERPT_MAX;
  if (to < line.length && /[\uDC00-\uDFFF]/.test(line[to]!)) to++;
  return { src: line.slice(from, to), offset: from, before: from > 0, after: to < line.length };
}

/** Visual column (0-based) of code-unit column `col` (1-based) in a displayed line. */
function visualCol(shown: { cols: number[] }, col: number): number {
  const len = shown.cols.length - 1;
  return col - 1 <= len ? shown.cols[Math.max(0, col - 1)]! : shown.cols[len]! + (col - 1 - len);
}

function severityColor(c: Colors, sev: Diagnostic["severity"]): (s: string) => string {
  return sev === "error" ? c.red : sev === "warning" ? c.yellow : c.cyan;
}

interface Marked {
  span: Span;
  label?: string;
  primary: boolean;
}

export function renderHuman(ds: readonly Diagnostic[], opts: RenderOptions): string {
  const c = pc.createColors(opts.color);
  const out: string[] = [];
  for (const d of ds) out.push(renderOne(d, opts, c));
  const errors = ds.filter((d) => d.severity === "error").length;
  const warnings = ds.filter((d) => d.severity === "warning").length;
  if (errors || warnings) {
    const parts: string[] = [];
    if (errors) parts.push(`${errors} error${errors === 1 ? "" : "s"}`);
    if (warnings) parts.push(`${warnings} warning${warnings === 1 ? "" : "s"}`);
    const head = errors ? c.bold(c.red("error")) : c.bold(c.yellow("warning"));
    out.push(`${head}${c.bold(`: ${parts.join(", ")} emitted`)}\n`);
  }
  return out.join("\n");
}

function renderOne(d: Diagnostic, opts: RenderOptions, c: Colors): string {
  const show = opts.displayPath ?? ((f: string) => f);
  const sev = severityColor(c, d.severity);
  const lines: string[] = [];
  lines.push(`${c.bold(sev(`${d.severity}[${d.code}]`))}${c.bold(`: ${d.message}`)}`);

  const marks: Marked[] = [];
  if (d.span) marks.push({ span: d.span, label: d.label, primary: true });
  for (const r of d.related ?? []) marks.push({ span: r.span, label: r.label, primary: false });

  const gutterWidth = Math.max(1, ...marks.map((m) => String(m.span.line).length));
  const pad = " ".repeat(gutterWidth);
  const bar = c.blue(`${pad} |`);

  marks.forEach((m, i) => {
    const arrow = i === 0 ? "-->" : ":::";
    lines.push(
      `${pad}${c.blue(arrow.slice(0, 3).padStart(4))} ${show(m.span.file)}:${m.span.line}:${m.span.col}`,
    );
    const text = opts.sources.get(m.span.file);
    const line = text === undefined ? undefined : sourceLine(text, m.span.line);
    if (line === undefined) return;
    const { src, offset, before, after } = excerpt(line, m.span.col);
    const shown = displayLine(src);
    const lead = before ? ELLIPSIS.length : 0;
    const start = lead + visualCol(shown, m.span.col - offset);
    const endCol = Math.min(
      m.span.endLine === m.span.line ? m.span.endCol - offset : Infinity,
      src.length + 1,
    );
    const end = Math.max(start + 1, lead + visualCol(shown, endCol));
    const mark = (m.primary ? "^" : "-").repeat(end - start);
    const color = m.primary ? sev : c.blue;
    lines.push(bar);
    const body = `${before ? ELLIPSIS : ""}${shown.text}${after ? ELLIPSIS : ""}`;
    lines.push(`${c.blue(`${String(m.span.line).padStart(gutterWidth)} |`)} ${body}`);
    lines.push(`${bar} ${" ".repeat(start)}${color(mark)}${m.label ? " " + color(m.label) : ""}`);
  });
  if (marks.length > 0 && (d.help || d.notes?.length)) lines.push(bar);
  for (const n of d.notes ?? []) lines.push(`${pad} ${c.blue("=")} ${c.bold("note")}: ${n}`);
  if (d.help) lines.push(`${pad} ${c.blue("=")} ${c.bold("help")}: ${d.help}`);
  return lines.join("\n") + "\n";
}

/** One line per diagnostic (plus one per related span), grep- and editor-friendly. */
export function renderShort(ds: readonly Diagnostic[], opts: RenderOptions): string {
  const show = opts.displayPath ?? ((f: string) => f);
  const where = (s: Span | undefined) => (s ? `${show(s.file)}:${s.line}:${s.col}: ` : "");
  let out = "";
  for (const d of ds) {
    out += `${where(d.span)}${d.severity}[${d.code}]: ${d.message}${d.label ? ` (${d.label})` : ""}\n`;
    for (const r of d.related ?? []) out += `${where(r.span)}note[${d.code}]: ${r.label}\n`;
  }
  return out;
}

/** The JSON shape of each diagnostic, with display paths; stable key order. */
export function jsonDiagnostics(ds: readonly Diagnostic[], opts: RenderOptions): object[] {
  const show = opts.displayPath ?? ((f: string) => f);
  const span = (s: Span | undefined) =>
    s && {
      file: show(s.file),
      line: s.line,
      col: s.col,
      endLine: s.endLine,
      endCol: s.endCol,
      start: s.start,
      end: s.end,
    };
  return ds.map((d) => ({
    code: d.code,
    severity: d.severity,
    message: d.message,
    span: span(d.span),
    label: d.label,
    related: (d.related ?? []).map((r) => ({ span: span(r.span), label: r.label })),
    help: d.help,
    notes: d.notes,
  }));
}

/** JSON: one array of diagnostics (see jsonDiagnostics). */
export function renderJson(ds: readonly Diagnostic[], opts: RenderOptions): string {
  return JSON.stringify(jsonDiagnostics(ds, opts), null, 2) + "\n";
}
