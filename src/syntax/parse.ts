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
import { lex, Scanner, type LexIssue } from "../../grammar/lexer.js";
import { getParser } from "../../grammar/parser.js";
import { decodeParseMessage, describeToken } from "../../grammar/messages.js";
import { ITEM_STARTS, KEYWORDS, LCurly, RCurly } from "../../grammar/tokens.js";
import type { Comment, Item, SourceFile } from "./ast.js";
import { AstBuilder } from "./cst-to-ast.js";
import { fastParse } from "./fast-parse.js";
import { LineMap, tokenSpan } from "./span.js";
import { closest } from "./suggest.js";

export const NAME_HELP =
  "a name is 1 to 63 characters: lower case letters, digits, `_` and `-`, starting with a letter";

type Parsed = { file: SourceFile; diagnostics: Diagnostic[] };

export function parseSource(text: string, file: string): Parsed {
  const scanner = new Scanner(text);
  const items = fastParse(scanner, file);
  if (items === undefined) return parseWhole(text, file);
  // The fast path read the whole text, so the lexer's issues are complete.
  const lines = new LineMap(text, file);
  return {
    file: { file, text, items, comments: comments(scanner.comments, file) },
    diagnostics: dedupe(sortDiagnostics(scanner.issues.map((i) => lexDiagnostic(i, lines)))),
  };
}

function comments(tokens: IToken[], file: string): Comment[] {
  return tokens.map((t) => ({
    kind: "Comment",
    text: t.image.trimEnd(),
    span: tokenSpan(file, t),
  }));
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

/** One error per position: a bad token reported by the lexer is not reported again by the parser. */
function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<number>();
  return ds.filter((d) => {
    if (!d.span) return true;
    if (seen.has(d.span.start)) return false;
    seen.add(d.span.start);
    return true;
  });
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

function shown(s: string): string {
  return [...s]
    .map((ch) => {
      const c = ch.codePointAt(0)!;
      return c < 0x20 || c === 0x7f || (c >= 0x80 && /\s|\p{Cf}/u.test(ch))
        ? `U+${c.toString(16).toUpperCase().padStart(4, "0")}`
        : ch;
    })
    .join("");
}

function lexDiagnostic(i: LexIssue, lines: LineMap): Diagnostic {
  const span = lines.span(i.offset, i.offset + i.length);
  const d = (code: string, message: string, help?: string, label?: string): Diagnostic => {
    const out: Diagnostic = { code, severity: "error", message, span };
    if (help) out.help = help;
    if (label) out.label = label;
    return out;
  };
  switch (i.kind) {
    case "char": {
      const help = i.text.startsWith("/")
        ? 'paths and other free text are strings: write "/like/this"'
        : i.text.startsWith("'")
          ? 'strings use double quotes: "..."'
          : i.text.startsWith(";")
            ? "statements need no `;`: remove it"
            : undefined;
      return d(
        "VSC1001",
        `unexpected character${[...i.text].length > 1 ? "s" : ""} \`${shown(i.text)}\``,
        help,
      );
    }
    case "name": {
      const lower = i.text.toLowerCase();
      const tooLong = i.text.length > 63 && /^[a-z][a-z0-9_-]*$/.test(i.text);
      const help = tooLong
        ? "names are at most 63 characters"
        : /^[a-z][a-z0-9_-]{0,62}$/.test(lower)
          ? `names are lower case: write \`${lower}\``
          : KEYWORDS.has(lower)
            ? `write \`${lower}\``
            : NAME_HELP;
      return d("VSC1002", `\`${shown(i.text)}\` is not a valid name`, help, "not a name");
    }
    case "ref":
      return d(
        "VSC1002",
        `\`${shown(i.text)}\` is not a valid reference`,
        "write `$` followed by the name of a `define`",
      );
    case "unterminated":
      return d(
        "VSC1003",
        "unterminated string",
        'close the string with `"` on the same line; strings cannot span lines',
      );
    case "escape":
      return d(
        "VSC1004",
        `invalid escape \`${shown(i.text)}\` in a string`,
        'only `\\"` and `\\\\` are escapes; write other characters as they are',
      );
    case "control":
      return d(
        "VSC1005",
        `control character ${shown(i.text)} in a string`,
        "remove it; strings hold printable text",
      );
    case "address":
      return d(
        "VSC1012",
        `\`${shown(i.text)}\` is not a valid address`,
        "IPv4 octets are 0..255 with a prefix up to /32; IPv6 prefixes go up to /128",
      );
    case "value":
      return d(
        "VSC1011",
        `\`${shown(i.text)}\` is not a valid value`,
        i.text.startsWith(".")
          ? "write a leading zero: `0.5`"
          : "expected a number, a quantity such as `512MiB`, an address, a `$` reference or a name",
      );
  }
}
