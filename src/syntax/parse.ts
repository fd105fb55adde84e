/**
 * parseSource: text -> SourceFile + every syntax diagnostic. Never throws on
 * bad input; always returns a (possibly partial) SourceFile. The Chevrotain
 * grammar (grammar/parser.ts) builds the AST, recovers from errors and words
 * the diagnostics.
 *
 * Limits (docs/syntax.md), so that hostile input ends in diagnostics, in
 * time and memory linear in its size:
 *   - braces nest at most LIMITS.depth deep (VSC1013); a deeper block is
 *     reported once and skipped to its `}`, so the parser's recursion is
 *     bounded;
 *   - a token (word, number, string) is at most LIMITS.tokenChars long
 *     (VSC1014, grammar/lexer.ts);
 *   - after LIMITS.errors errors in a file the lexer and the parser stop
 *     (VSC1015 "too many errors").
 */
import type { IToken } from "chevrotain";
import { EOF } from "../../grammar/chevrotain.js";
import type { Diagnostic, Span } from "../diag/diagnostic.js";
import { sortDiagnostics } from "../diag/diagnostic.js";
import { MAX_TOKEN_CHARS, Scanner } from "../../grammar/lexer.js";
import { getParser, type ParseError } from "../../grammar/parser.js";
import { describeToken } from "../../grammar/messages.js";
import { ITEM_STARTS, LCurly, RCurly } from "../../grammar/tokens.js";
import type { Item } from "./ast.js";
import { comments, dedupe, lexDiagnostic, type Parsed } from "./lex-diagnostics.js";
import { LineMap, tokenSpan } from "./span.js";
import { closest } from "./suggest.js";

export type { Parsed };

/** The parser's limits (docs/syntax.md, "Limits"). */
export const LIMITS = {
  /** Braces nested deeper than this are refused (VSC1013). */
  depth: 64,
  /** Characters in one token (VSC1014). */
  tokenChars: MAX_TOKEN_CHARS,
  /** Errors in one file before vsc stops reading it (VSC1015). */
  errors: 100,
} as const;

export function parseSource(text: string, file: string): Parsed {
  const lines = new LineMap(text, file);
  const scanner = new Scanner(text, LIMITS.errors);
  const stream = new TokenStream(scanner);
  const diagnostics: Diagnostic[] = [];
  const parser = getParser();
  const items: Item[] = [];
  /** Where reading stopped after too many errors, if it did. */
  let stopped: number | undefined;
  const errorCount = () => scanner.issues.length + stream.deep.length + diagnostics.length;

  // Parse in chunks of whole top-level items (split only at an item keyword
  // outside braces), read from the lexer as they are parsed: the tokens of a
  // chunk die young, which keeps the garbage collector cheap on big files.
  // On input the `file` rule cannot start (junk at the top level), report
  // it, skip to the next item keyword outside braces, and go on.
  while (stream.at(0) !== undefined) {
    const end = stream.chunkEnd();
    const chunk = stream.take(end);
    const parsed = parser.parseItems(chunk, file, LIMITS.errors - errorCount());
    for (const item of parsed.items) items.push(item);
    let junk: IToken | undefined;
    for (const e of parsed.errors) {
      const t = e.exception.token;
      if (e.exception.name === "NotAllInputParsedException") junk = t;
      else if (e.message.code === "VSC1010") diagnostics.push(topLevelDiagnostic(t, file));
      else diagnostics.push(parseDiagnostic(e, stream.open, text, lines, file));
    }
    if (parsed.stoppedAt !== undefined) {
      const t = parsed.stoppedAt;
      stopped = t.tokenType === EOF || Number.isNaN(t.startOffset) ? text.length : t.startOffset;
      break;
    }
    if (junk !== undefined) {
      diagnostics.push(topLevelDiagnostic(junk, file));
      stream.skipToItem(chunk.slice(chunk.indexOf(junk)));
    }
    if (errorCount() >= LIMITS.errors) {
      stopped = scanner.stoppedAt ?? stream.at(0)?.startOffset ?? text.length;
      break;
    }
  }
  if (scanner.stoppedAt !== undefined) stopped = Math.min(stopped ?? Infinity, scanner.stoppedAt);

  // The lexer's first: at a position both report (a bad token), the lexer's message is kept.
  const first = scanner.issues.map((i) => lexDiagnostic(i, lines));
  for (const t of stream.deep) first.push(depthDiagnostic(t, file));
  let all = dedupe(sortDiagnostics([...first, ...diagnostics]));
  if (stopped !== undefined) {
    const at = stopped;
    all = all.filter((d) => !d.span || d.span.start < at).slice(0, LIMITS.errors);
    all.push(tooManyDiagnostic(lines, at));
  }
  return {
    file: { file, text, items, comments: comments(scanner.comments, file) },
    diagnostics: all,
  };
}

/**
 * How many tokens a chunk holds at least. Measured (2026-12-06, generated
 * config of 10,000 contexts, CPU time, medians of 9, three alternating runs
 * on this loaded 2-core VM): parse 401-492 ms and peak RSS 401-418 MiB in
 * chunks of 4096 tokens, 486-520 ms and 421-518 MiB as one chunk.
 */
const CHUNK_TOKENS = 4096;

/**
 * The lexer's tokens, read on demand, with the depth limit applied: a `{`
 * deeper than LIMITS.depth is recorded in `deep` and its block (to the
 * matching `}`) never reaches the parser.
 */
class TokenStream {
  /** Tokens read and not taken yet. */
  private buf: IToken[] = [];
  private ended = false;
  /** The `{` tokens read and not closed yet, outermost first. */
  readonly open: IToken[] = [];
  /** Each `{` that opened a block too deep. */
  readonly deep: IToken[] = [];

  constructor(private readonly scanner: Scanner) {}

  private read(): IToken | undefined {
    for (;;) {
      const t = this.scanner.next();
      if (t === undefined) return undefined;
      if (t.tokenType === LCurly) {
        if (this.open.length >= LIMITS.depth) {
          this.deep.push(t);
          if (!this.skipBlock()) return undefined;
          continue;
        }
        this.open.push(t);
      } else if (t.tokenType === RCurly) this.open.pop();
      return t;
    }
  }

  /** Drops the tokens of a block whose `{` was just read, to its `}`; false at the end of the text. */
  private skipBlock(): boolean {
    let depth = 1;
    for (let t = this.scanner.next(); t !== undefined; t = this.scanner.next()) {
      if (t.tokenType === LCurly) depth++;
      else if (t.tokenType === RCurly && --depth === 0) return true;
    }
    return false;
  }

  /** The token `i` places ahead, or undefined past the end. */
  at(i: number): IToken | undefined {
    while (this.buf.length <= i && !this.ended) {
      const t = this.read();
      if (t === undefined) this.ended = true;
      else this.buf.push(t);
    }
    return this.buf[i];
  }

  /** The first `n` tokens, removed from the stream. */
  take(n: number): IToken[] {
    const out = n >= this.buf.length ? this.buf : this.buf.slice(0, n);
    this.buf = n >= this.buf.length ? [] : this.buf.slice(n);
    return out;
  }

  /** Puts `tokens` back in front of the stream. */
  unread(tokens: IToken[]): void {
    this.buf = tokens.concat(this.buf);
  }

  /**
   * Where the next chunk ends: at the first item keyword outside braces
   * after CHUNK_TOKENS tokens, or at the end.
   */
  chunkEnd(): number {
    let depth = 0;
    for (let j = 0; ; j++) {
      const t = this.at(j);
      if (t === undefined) return j;
      const type = t.tokenType;
      if (type === LCurly) depth++;
      else if (type === RCurly) depth = depth > 0 ? depth - 1 : 0;
      else if (depth === 0 && j >= CHUNK_TOKENS && ITEM_STARTS.has(type)) return j;
    }
  }

  /**
   * Skips from a junk token (the first of `rest`, the chunk's tokens from it
   * on) to the next item keyword that is not inside braces, dropping the
   * tokens as it goes (junk is not kept, however long).
   */
  skipToItem(rest: IToken[]): void {
    let depth = 0;
    const item = (t: IToken, first: boolean): boolean => {
      if (!first && depth === 0 && ITEM_STARTS.has(t.tokenType)) return true;
      if (t.tokenType === LCurly) depth++;
      else if (t.tokenType === RCurly) depth = Math.max(0, depth - 1);
      return false;
    };
    for (let j = 0; j < rest.length; j++) {
      if (item(rest[j]!, j === 0)) {
        this.unread(rest.slice(j));
        return;
      }
    }
    for (let t = this.at(0); t !== undefined; t = this.at(0)) {
      if (item(t, false)) return;
      this.buf.shift();
    }
  }
}

const ITEM_WORDS = ["define", "include", "host", "template", "class", "context"];

function topLevelDiagnostic(t: IToken, file: string): Diagnostic {
  const d: Diagnostic = {
    code: "VSC1010",
    severity: "error",
    message: `unexpected ${describeToken(t)} at the top level`,
    span: tokenSpan(file, t),
    label: "expected `host`, `template`, `class`, `context`, `define` or `include`",
  };
  const guess = closest(t.image, ITEM_WORDS);
  d.help = guess
    ? `did you mean \`${guess}\`?`
    : t.tokenType === RCurly
      ? "this `}` closes nothing; remove it"
      : "a file holds `define`, `include`, `host`, `template`, `class` and `context` items";
  return d;
}

function depthDiagnostic(t: IToken, file: string): Diagnostic {
  return {
    code: "VSC1013",
    severity: "error",
    message: `blocks nested more than ${LIMITS.depth} deep`,
    span: tokenSpan(file, t),
    label: `this \`{\` opens level ${LIMITS.depth + 1}`,
    help: "vsc skips this block; no configuration needs this depth",
  };
}

function tooManyDiagnostic(lines: LineMap, at: number): Diagnostic {
  return {
    code: "VSC1015",
    severity: "error",
    message: `too many errors: vsc stopped reading this file after ${LIMITS.errors}`,
    span: lines.span(at, at),
    help: "fix the errors above and run again",
  };
}

function parseDiagnostic(
  e: ParseError,
  open: IToken[],
  text: string,
  lines: LineMap,
  file: string,
): Diagnostic {
  const { code, message, help } = e.message;
  const t = e.exception.token;
  const atEof = !t || t.tokenType === EOF || Number.isNaN(t.startOffset);
  const span: Span = atEof
    ? lines.span(endOfContent(text), endOfContent(text))
    : tokenSpan(file, t);
  const d: Diagnostic = { code, severity: "error", message, span };
  if (help) d.help = help;
  if (code === "VSC1009" && atEof) {
    // At the end of the text, every `{` has been read: the innermost one still open.
    const unclosed = open[open.length - 1];
    if (unclosed)
      d.related = [{ span: tokenSpan(file, unclosed), label: "this `{` is never closed" }];
  }
  return d;
}

/** End of the last non-blank character, so an end-of-file error points at text, not past it. */
function endOfContent(text: string): number {
  let i = text.length;
  while (i > 0 && /\s/.test(text[i - 1]!)) i--;
  return i;
}
