/**
 * parseSource: text -> SourceFile + every syntax diagnostic. Never throws on
 * bad input; always returns a (possibly partial) SourceFile. A file is first
 * given to the fast path (fast-parse.ts); anything it does not take is parsed
 * by the Chevrotain grammar, which recovers and words the diagnostics.
 */
import type { IRecognitionException, IToken } from "chevrotain";
import { EOF } from "../../grammar/chevrotain.js";
import type { Diagnostic, Span } from "../diag/diagnostic.js";
import { sortDiagnostics } from "../diag/diagnostic.js";
import { lex } from "../../grammar/lexer.js";
import { getParser } from "../../grammar/parser.js";
import { decodeParseMessage, describeToken } from "../../grammar/messages.js";
import { ITEM_STARTS, LCurly, RCurly } from "../../grammar/tokens.js";
import type { Item } from "./ast.js";
import { AstBuilder } from "./cst-to-ast.js";
import { parseFast } from "./fast-parse.js";
import { comments, dedupe, lexDiagnostic, type Parsed } from "./lex-diagnostics.js";
import { LineMap, tokenSpan } from "./span.js";
import { closest } from "./suggest.js";

export type { Parsed };

export function parseSource(text: string, file: string): Parsed {
  return parseFast(text, file) ?? parseWhole(text, file);
}

/** Every token first, then chunks: the path that reports and recovers from syntax errors (exported for tests). */
export function parseWhole(text: string, file: string): Parsed {
  const lines = new LineMap(text, file);
  const lexed = lex(text);
  const diagnostics: Diagnostic[] = lexed.issues.map((i) => lexDiagnostic(i, lines));
  const builder = new AstBuilder(file);
  const parser = getParser();
  const tokens = lexed.tokens;
  const items: Item[] = [];

  // Parse in chunks of whole top-level items (split only at an item keyword
  // outside braces): the CST of a chunk dies young, which keeps the garbage
  // collector cheap on big files. On input the `file` rule cannot start (junk
  // at the top level), report it, skip to the next item keyword outside
  // braces, and go on.
  let start = 0;
  while (start < tokens.length) {
    const end = chunkEnd(tokens, start);
    parser.input = start === 0 && end === tokens.length ? tokens : tokens.slice(start, end);
    const cst = parser.file();
    for (const item of builder.items(cst)) items.push(item);
    let junk = -1;
    for (const e of parser.errors) {
      if (e.name === "NotAllInputParsedException") junk = tokens.indexOf(e.token, start);
      else if (e.message.startsWith("VSC1010")) diagnostics.push(topLevelDiagnostic(e.token, file));
      else diagnostics.push(parseDiagnostic(e, tokens, text, lines, file));
    }
    if (junk < 0) {
      start = end;
      continue;
    }
    diagnostics.push(topLevelDiagnostic(tokens[junk]!, file));
    start = skipToNextItem(tokens, junk);
  }

  return {
    file: { file, text, items, comments: comments(lexed.comments, file) },
    diagnostics: dedupe(sortDiagnostics(diagnostics)),
  };
}

const CHUNK_TOKENS = 4096;

/** The end of a chunk starting at `from`: the first item keyword outside braces after CHUNK_TOKENS tokens. */
function chunkEnd(tokens: IToken[], from: number): number {
  if (tokens.length - from <= CHUNK_TOKENS) return tokens.length;
  let depth = 0;
  for (let j = from; j < tokens.length; j++) {
    const t = tokens[j]!.tokenType;
    if (t === LCurly) depth++;
    else if (t === RCurly) depth = depth > 0 ? depth - 1 : 0;
    else if (depth === 0 && j - from >= CHUNK_TOKENS && ITEM_STARTS.has(t)) return j;
  }
  return tokens.length;
}

/** Skip from a junk token to the next item keyword that is not inside braces. */
function skipToNextItem(tokens: IToken[], from: number): number {
  let depth = 0;
  let j = from;
  for (; j < tokens.length; j++) {
    const t = tokens[j]!;
    if (j > from && depth === 0 && ITEM_STARTS.has(t.tokenType)) break;
    if (t.tokenType === LCurly) depth++;
    else if (t.tokenType === RCurly) depth = Math.max(0, depth - 1);
  }
  return j;
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

function parseDiagnostic(
  e: IRecognitionException,
  tokens: IToken[],
  text: string,
  lines: LineMap,
  file: string,
): Diagnostic {
  const { code, message, help } = decodeParseMessage(e.message);
  const t = e.token;
  const atEof = !t || t.tokenType === EOF || Number.isNaN(t.startOffset);
  const span: Span = atEof
    ? lines.span(endOfContent(text), endOfContent(text))
    : tokenSpan(file, t);
  const d: Diagnostic = { code, severity: "error", message, span };
  if (help) d.help = help;
  if (code === "VSC1009" && atEof) {
    const open = outermostUnclosed(tokens);
    if (open) d.related = [{ span: tokenSpan(file, open), label: "this `{` is never closed" }];
  }
  return d;
}

/** End of the last non-blank character, so an end-of-file error points at text, not past it. */
function endOfContent(text: string): number {
  let i = text.length;
  while (i > 0 && /\s/.test(text[i - 1]!)) i--;
  return i;
}

function outermostUnclosed(tokens: IToken[]): IToken | undefined {
  const stack: IToken[] = [];
  for (const t of tokens) {
    if (t.tokenType === LCurly) stack.push(t);
    else if (t.tokenType === RCurly) stack.pop();
  }
  return stack[stack.length - 1];
}
