/**
 * The vsc lexer. Hand-written (one pass over char codes, sticky regexes for
 * the longer shapes) because Chevrotain's generic lexer was the largest cost
 * of parsing big files; it produces ordinary Chevrotain tokens for the parser.
 *
 * Every word-like run of characters ("atom": up to a blank, `{ } , = " #`,
 * `$` or `//`) is lexed whole and then classified. This is the single place
 * where a word becomes a name: only `[a-z][a-z0-9_-]{0,62}` does, everything
 * else becomes a `BadName`/`BadValue` token plus an issue, so no later stage
 * can receive a name holding `.`, `/`, quotes, blanks or upper case.
 */
import type { IToken, TokenType } from "chevrotain";
import { isIPv6 } from "node:net";
import {
  Address,
  BadName,
  BadValue,
  Comma,
  Comment,
  CpuQuantity,
  DevNum,
  Equals,
  KEYWORDS,
  LCurly,
  Name,
  NumberLit,
  Quantity,
  RCurly,
  Range,
  StringLit,
  Var,
} from "./tokens.js";

/** The one definition of a name (src/model/names.ts; also used by the AST builder and tests). */
import { NAME_RE } from "../src/model/names.js";
export { NAME_RE };

export type LexIssueKind =
  | "char" // characters that start no token
  | "name" // a word that is not a valid name
  | "ref" // `$` followed by something that is not a valid name
  | "value" // a malformed number / quantity / address
  | "address" // an address with an octet or prefix out of range
  | "unterminated" // a string without its closing quote
  | "escape" // a backslash escape other than \" and \\
  | "control" // a control character inside a string
  | "long"; // a token longer than MAX_TOKEN_CHARS

/** A lexical problem: `offset`/`length` locate it exactly in the text. */
export interface LexIssue {
  kind: LexIssueKind;
  offset: number;
  length: number;
  /** The offending text. */
  text: string;
}

export interface LexResult {
  /** Tokens for the parser (no blanks, no comments). */
  tokens: IToken[];
  comments: IToken[];
  issues: LexIssue[];
}

/**
 * A token with a fixed shape (fast property access). All tokens lie on one
 * line, so the end position is derived from the image instead of stored:
 * fewer fields per token means less for the garbage collector to copy.
 */
class Tok implements IToken {
  constructor(
    public image: string,
    public startOffset: number,
    public startLine: number,
    public startColumn: number,
    public tokenType: TokenType,
  ) {}
  /** Chevrotain's index of the type: assigned when the grammar is built, which may be after lexing. */
  get tokenTypeIdx(): number {
    return this.tokenType.tokenTypeIdx!;
  }
  get endOffset(): number {
    return this.startOffset + this.image.length - 1;
  }
  get endLine(): number {
    return this.startLine;
  }
  get endColumn(): number {
    return this.startColumn + this.image.length - 1;
  }
}

/**
 * The longest token (word, number, string) the lexer takes: longer is an
 * error (VSC1014). Strings hold paths and hostnames (PATH_MAX is 4096 on
 * Linux), names at most 63 characters. The bound also keeps every regex
 * below on short input.
 */
export const MAX_TOKEN_CHARS = 4096;

const STRING = /"(?:[^"\\\x00-\x08\x0a-\x1f\x7f]|\\["\\])*"/y;
/**
 * `1.5 cpus` / `1 cpu`, spaced: only when the unit word ends there (not
 * `cpusx`) and is not followed on the same line by `{` (in `id 101 cpu {`
 * the `cpu` opens a block), a digit (`cpus 2` in a host is a statement) or
 * a string (`cores 1 cpus "0"`: `cpus "LIST"` in a cpu block is a statement).
 */
const SPACED_CPU = /[0-9]+(?:\.[0-9]+)?[ \t]+cpus?(?![^\s{},="#$])(?![ \t]*[{0-9"])/y;
/** JavaScript's `\s` (the blanks that end an atom) beyond ASCII: U+00A0, U+2028, U+FEFF, ... */
const WIDE_SPACE = /\s/;

/**
 * The end of the atom starting at `i`: its first character is taken as it is
 * (atomStart said it may start one); it then runs up to a blank, one of
 * `{ } , = " # $`, or `//`. A loop over char codes rather than a regex: an
 * atom is most of the tokens, and a match array per atom was the lexer's
 * largest allocation.
 */
export function atomEnd(text: string, i: number): number {
  const n = text.length;
  let j = i + 1;
  for (; j < n; j++) {
    const c = text.charCodeAt(j);
    if (c < 128) {
      if (ATOM_STOP[c] === 1) break;
      if (c === 47 && text.charCodeAt(j + 1) === 47) break;
    } else if (WIDE_SPACE.test(text[j]!)) break;
  }
  return j;
}

/** ASCII characters that end an atom: blanks and `{ } , = " # $`. */
const ATOM_STOP = new Uint8Array(128);
for (const ch of ' \t\n\v\f\r{},="#$') ATOM_STOP[ch.charCodeAt(0)] = 1;
const COMMENT_END = /[\r\n]/g;

/** Characters an atom may start with: ASCII letters, digits, `_ : . $`, and non-ASCII non-blanks. */
function atomStart(c: number, ch: string): boolean {
  if (c < 128) {
    return (
      (c >= 97 && c <= 122) ||
      (c >= 65 && c <= 90) ||
      (c >= 48 && c <= 57) ||
      c === 95 ||
      c === 58 ||
      c === 46 ||
      c === 36
    );
  }
  return !/\s/.test(ch);
}

export function lex(text: string): LexResult {
  const s = new Scanner(text);
  const tokens: IToken[] = [];
  for (let t = s.next(); t !== undefined; t = s.next()) tokens.push(t);
  return { tokens, comments: s.comments, issues: s.issues };
}

/**
 * The lexer as a stream: `next()` returns one token at a time, so the parser
 * can take the text in chunks and let each chunk's tokens die young instead
 * of holding every token of a large file at once. `comments` and `issues`
 * fill up as the text is read; `issues` is sorted once the end is reached.
 */
export class Scanner {
  readonly comments: IToken[] = [];
  readonly issues: LexIssue[] = [];
  private i = 0;
  private line = 1;
  private lineStart = 0;
  /** Start of a run of characters that start no token, or -1. */
  private stray = -1;
  private done = false;
  /**
   * Words seen before that lexed without an issue: one string per distinct
   * word (names and keywords repeat a lot) and its token type, so a repeated
   * word is not classified again. Classification depends on the text alone.
   * Measured (2026-12-06, generated config of 10,000 contexts, CPU time,
   * medians of 9, three alternating runs on this loaded 2-core VM): lexing
   * 169-218 ms with the cache, 279-318 ms without; the whole parse 401-492 ms
   * with, 592-666 ms without.
   */
  private readonly words = new Map<string, { image: string; type: TokenType }>();

  /** Offset of the issue past `maxIssues`, where the scanner stopped, if it did. */
  stoppedAt: number | undefined;

  /** After `maxIssues` issues the scanner stops: the next issue ends the text (`stoppedAt`). */
  constructor(
    private readonly text: string,
    private readonly maxIssues = Infinity,
  ) {}

  private flushStray(end: number): void {
    if (this.stray >= 0) {
      this.issues.push({
        kind: "char",
        offset: this.stray,
        length: end - this.stray,
        text: this.text.slice(this.stray, end),
      });
      this.stray = -1;
    }
  }

  /** The next token, or undefined at the end of the text. */
  next(): IToken | undefined {
    if (this.issues.length > this.maxIssues) return this.stop();
    const text = this.text;
    const n = text.length;
    let i = this.i;
    while (i < n) {
      // Blanks and stray characters loop here without returning: stop here too.
      if (this.issues.length > this.maxIssues) return this.stop();
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9) {
        if (this.stray >= 0) this.flushStray(i);
        i++;
        continue;
      }
      if (c === 10 || c === 13) {
        if (this.stray >= 0) this.flushStray(i);
        i += c === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
        this.line++;
        this.lineStart = i;
        continue;
      }
      const col = i - this.lineStart + 1;
      if (c === 35 || (c === 47 && text.charCodeAt(i + 1) === 47)) {
        this.flushStray(i);
        COMMENT_END.lastIndex = i;
        const m = COMMENT_END.exec(text);
        const end = m ? m.index : n;
        this.comments.push(new Tok(text.slice(i, end), i, this.line, col, Comment));
        i = end;
        continue;
      }
      const punct =
        c === 123 ? LCurly : c === 125 ? RCurly : c === 44 ? Comma : c === 61 ? Equals : undefined;
      if (punct) {
        this.flushStray(i);
        this.i = i + 1;
        return new Tok(text[i]!, i, this.line, col, punct);
      }
      if (c === 34) {
        this.flushStray(i);
        const end = stringEnd(text, i);
        let t: Tok;
        if (end - i > MAX_TOKEN_CHARS) {
          t = new Tok(text.slice(i, end), i, this.line, col, BadValue);
          this.issues.push({ kind: "long", offset: i, length: end - i, text: "" });
        } else {
          STRING.lastIndex = i;
          const m = STRING.exec(text);
          t = new Tok(text.slice(i, end), i, this.line, col, StringLit);
          if (!m || m[0].length !== end - i) badString(t, this.issues);
        }
        this.i = end;
        return t;
      }
      const ch = text[i]!;
      if (atomStart(c, ch)) {
        this.flushStray(i);
        if (c >= 48 && c <= 57) {
          SPACED_CPU.lastIndex = i;
          const q = SPACED_CPU.exec(text);
          if (q) {
            this.i = i + q[0].length;
            return new Tok(q[0], i, this.line, col, CpuQuantity);
          }
        }
        const img = text.slice(i, atomEnd(text, i));
        this.i = i + img.length;
        if (img.length > MAX_TOKEN_CHARS) {
          this.issues.push({ kind: "long", offset: i, length: img.length, text: "" });
          return new Tok(img, i, this.line, col, BadValue);
        }
        const seen = this.words.get(img);
        if (seen !== undefined) return new Tok(seen.image, i, this.line, col, seen.type);
        const t = new Tok(img, i, this.line, col, Name);
        const issues = this.issues.length;
        classifyAtom(t, this.issues);
        if (this.issues.length === issues && this.words.size < 65536)
          this.words.set(img, { image: img, type: t.tokenType });
        return t;
      }
      if (this.stray < 0) this.stray = i;
      i++;
    }
    this.i = i;
    this.finish();
    return undefined;
  }

  /** Stops at the issue past `maxIssues`: the text ends there for the parser. */
  private stop(): undefined {
    this.issues.sort((a, b) => a.offset - b.offset);
    this.stoppedAt = this.issues[this.maxIssues]!.offset;
    this.issues.length = this.maxIssues;
    this.i = this.text.length;
    this.done = true;
    return undefined;
  }

  private finish(): void {
    if (!this.done) {
      this.done = true;
      this.flushStray(this.text.length);
      if (this.issues.length > 1) this.issues.sort((a, b) => a.offset - b.offset);
      if (this.issues.length > this.maxIssues) this.stop();
    }
  }
}

/**
 * The end of the string starting at `i` (a `"`): after its closing quote,
 * or at the end of the line if it has none. A loop, not a regex: a regex
 * over a string of millions of characters overflows the stack.
 */
function stringEnd(text: string, i: number): number {
  const n = text.length;
  for (let j = i + 1; j < n; j++) {
    const c = text.charCodeAt(j);
    if (c === 34) return j + 1;
    if (c === 10 || c === 13) return j;
    if (c === 92) {
      const d = text.charCodeAt(j + 1);
      if (d === 10 || d === 13 || j + 1 >= n) return j + 1;
      j++;
    }
  }
  return n;
}

function retype(t: IToken, type: TokenType): void {
  t.tokenType = type;
}

const NUMBER_RE = /^[0-9]+(?:\.[0-9]+)?$/;
const QUANTITY_RE = /^[0-9]+(?:\.[0-9]+)?(?:%|[A-Za-z]+(?:\/[A-Za-z]+)?)$/;
const IPV4_RE = /^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})(?:\/([0-9]{1,3}))?$/;
const IPV6_SHAPE = /^([0-9A-Fa-f:.]+)(?:\/([0-9]{1,3}))?$/;
const DEVNUM_RE = /^[0-9]+:[0-9]+$/;
const RANGE_RE = /^[0-9]+-[0-9]+$/;

function bad(t: IToken, type: TokenType, kind: LexIssueKind, issues: LexIssue[]): void {
  retype(t, type);
  issues.push({
    kind,
    offset: t.startOffset,
    length: t.image.length,
    text: t.image,
  });
}

/** IPv6 needs `::` or eight groups, so `254:0` (a device number) is never one. */
function ipv6Kind(s: string): "ok" | "range" | "no" {
  const m = IPV6_SHAPE.exec(s);
  if (!m) return "no";
  const addr = m[1]!;
  if (!addr.includes("::") && addr.split(":").length !== 8) return "no";
  if (!isIPv6(addr)) return "no";
  if (m[2] !== undefined && Number(m[2]) > 128) return "range";
  return "ok";
}

function classifyAtom(t: IToken, issues: LexIssue[]): void {
  const s = t.image;
  const c = s.charCodeAt(0);
  if (c >= 97 && c <= 122) {
    // a-z
    if (NAME_RE.test(s)) {
      retype(t, KEYWORDS.get(s) ?? Name);
      return;
    }
    const v6 = s.includes(":") ? ipv6Kind(s) : "no";
    if (v6 === "ok") return retype(t, Address);
    if (v6 === "range") return bad(t, BadValue, "address", issues);
    return bad(t, BadName, "name", issues);
  }
  if (c >= 48 && c <= 57) {
    // 0-9
    if (NUMBER_RE.test(s)) return retype(t, NumberLit);
    if (QUANTITY_RE.test(s)) return retype(t, Quantity);
    const m4 = IPV4_RE.exec(s);
    if (m4) {
      const octetsOk = [m4[1], m4[2], m4[3], m4[4]].every((o) => Number(o) <= 255);
      const prefixOk = m4[5] === undefined || Number(m4[5]) <= 32;
      if (octetsOk && prefixOk) return retype(t, Address);
      return bad(t, BadValue, "address", issues);
    }
    if (DEVNUM_RE.test(s)) return retype(t, DevNum);
    if (RANGE_RE.test(s)) return retype(t, Range);
    const v6 = ipv6Kind(s);
    if (v6 === "ok") return retype(t, Address);
    return bad(t, BadValue, v6 === "range" ? "address" : "value", issues);
  }
  if (c === 36) {
    // $
    if (NAME_RE.test(s.slice(1))) return retype(t, Var);
    return bad(t, BadValue, "ref", issues);
  }
  if (c === 58) {
    // :
    const v6 = ipv6Kind(s);
    if (v6 === "ok") return retype(t, Address);
    return bad(t, BadValue, v6 === "range" ? "address" : "value", issues);
  }
  if (c === 46) return bad(t, BadValue, "value", issues); // `.5`
  // Upper case, `_` or non-ASCII start: an IPv6 address in capitals, or a bad name.
  if (s.includes(":") && ipv6Kind(s) === "ok") return retype(t, Address);
  bad(t, BadName, "name", issues);
}

/** Report what is wrong with a string the strict pattern refused, then let it parse as a string. */
function badString(t: IToken, issues: LexIssue[]): void {
  const s = t.image;
  let closed = false;
  for (let i = 1; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === "\\") {
      const next = s[i + 1];
      if (next === undefined) break;
      if (next !== '"' && next !== "\\") {
        issues.push({
          kind: "escape",
          offset: t.startOffset + i,
          length: 2,
          text: s.slice(i, i + 2),
        });
      }
      i++;
    } else if (ch === '"') {
      closed = i === s.length - 1;
      break;
    } else if (ch.charCodeAt(0) < 0x20 && ch !== "\t") {
      issues.push({
        kind: "control",
        offset: t.startOffset + i,
        length: 1,
        text: ch,
      });
    } else if (ch.charCodeAt(0) === 0x7f) {
      issues.push({
        kind: "control",
        offset: t.startOffset + i,
        length: 1,
        text: ch,
      });
    }
  }
  if (!closed) {
    issues.push({
      kind: "unterminated",
      offset: t.startOffset,
      length: s.length,
      text: s,
    });
  }
  retype(t, StringLit);
}

/** Unescape a string token's image (`\"` and `\\`; any other `\x` keeps `x`). */
export function unquote(image: string): string {
  const body = image.endsWith('"') && image.length >= 2 ? image.slice(1, -1) : image.slice(1);
  return body.indexOf("\\") < 0 ? body : body.replace(/\\(.)/g, "$1");
}
