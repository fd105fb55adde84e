/**
 * The vsc lexer: Chevrotain's lexer for the raw shapes, then one pass that
 * classifies every atom (see tokens.ts). The pass is the single place where a
 * word becomes a name: only `[a-z][a-z0-9_-]{0,62}` does, everything else is
 * a `BadName`/`BadValue` token plus an issue, so no later stage can receive a
 * name holding `.`, `/`, quotes, blanks or upper case.
 */
import { Lexer, type IToken, type TokenType } from "chevrotain";
import { isIPv6 } from "node:net";
import {
  Address,
  Atom,
  BadName,
  BadString,
  BadValue,
  DevNum,
  KEYWORDS,
  Name,
  NumberLit,
  Quantity,
  Range,
  StringLit,
  Var,
  lexerTokens,
} from "./tokens.js";

/** The one definition of a name (also used by the loader and tests). */
export const NAME_RE = /^[a-z][a-z0-9_-]{0,62}$/;

export type LexIssueKind =
  | "char" // a character that starts no token
  | "name" // a word that is not a valid name
  | "ref" // `$` followed by something that is not a valid name
  | "value" // a malformed number / quantity / address
  | "address" // an address with an octet or prefix out of range
  | "unterminated" // a string without its closing quote
  | "escape" // a backslash escape other than \" and \\
  | "control"; // a control character inside a string

/** A lexical problem: `offset`/`length` locate it exactly in the text. */
export interface LexIssue {
  kind: LexIssueKind;
  offset: number;
  length: number;
  /** The offending text. */
  text: string;
}

export interface LexResult {
  tokens: IToken[];
  comments: IToken[];
  issues: LexIssue[];
}

let lexer: Lexer | undefined;

/** The lexer is built once per process (construction analyses every pattern). */
function getLexer(): Lexer {
  if (!lexer) {
    lexer = new Lexer(lexerTokens, {
      positionTracking: "full",
      ensureOptimizations: false,
      skipValidations: true,
    });
  }
  return lexer;
}

/** For tests: build a lexer with Chevrotain's pattern validations on. */
export function validateLexerDefinition(): void {
  new Lexer(lexerTokens, { positionTracking: "full", skipValidations: false });
}

export function lex(text: string): LexResult {
  const r = getLexer().tokenize(text);
  const issues: LexIssue[] = [];
  for (const e of r.errors) {
    issues.push({
      kind: "char",
      offset: e.offset,
      length: e.length,
      text: text.substr(e.offset, e.length),
    });
  }
  const toks = r.tokens;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.tokenType === Atom) classifyAtom(t, issues);
    else if (t.tokenType === BadString) classifyBadString(t, issues);
  }
  if (issues.length > 1) issues.sort((a, b) => a.offset - b.offset);
  return {
    tokens: toks,
    comments: (r.groups["comments"] as IToken[] | undefined) ?? [],
    issues,
  };
}

function retype(t: IToken, type: TokenType): void {
  t.tokenType = type;
  t.tokenTypeIdx = type.tokenTypeIdx!;
}

const NUMBER_RE = /^[0-9]+(?:\.[0-9]+)?$/;
const QUANTITY_RE = /^[0-9]+(?:\.[0-9]+)?(?:%|[A-Za-z]+(?:\/[A-Za-z]+)?)$/;
const IPV4_RE =
  /^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})(?:\/([0-9]{1,3}))?$/;
const IPV6_SHAPE = /^([0-9A-Fa-f:.]+)(?:\/([0-9]{1,3}))?$/;
const DEVNUM_RE = /^[0-9]+:[0-9]+$/;
const RANGE_RE = /^[0-9]+-[0-9]+$/;

function bad(
  t: IToken,
  type: TokenType,
  kind: LexIssueKind,
  issues: LexIssue[],
): void {
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
      const octetsOk = [m4[1], m4[2], m4[3], m4[4]].every(
        (o) => Number(o) <= 255,
      );
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
function classifyBadString(t: IToken, issues: LexIssue[]): void {
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
  const body =
    image.endsWith('"') && image.length >= 2
      ? image.slice(1, -1)
      : image.slice(1);
  return body.indexOf("\\") < 0 ? body : body.replace(/\\(.)/g, "$1");
}
