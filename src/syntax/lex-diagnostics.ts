/**
 * The lexer's side of parsing: the lexer's issues as diagnostics, comments,
 * and one error per position.
 */
import type { IToken } from "chevrotain";
import type { Diagnostic } from "../diag/diagnostic.js";
import { MAX_TOKEN_CHARS, type LexIssue } from "../../grammar/lexer.js";
import { KEYWORDS } from "../../grammar/tokens.js";
import type { Comment, SourceFile } from "./ast.js";
import { type LineMap, tokenSpan } from "./span.js";

export type Parsed = { file: SourceFile; diagnostics: Diagnostic[] };

import { NAME_HELP } from "../model/names.js";

export function comments(tokens: IToken[], file: string): Comment[] {
  return tokens.map((t) => ({
    kind: "Comment",
    text: t.image.trimEnd(),
    span: tokenSpan(file, t),
  }));
}

/** One error per position: a bad token reported by the lexer is not reported again by the parser. */
export function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<number>();
  return ds.filter((d) => {
    if (!d.span) return true;
    if (seen.has(d.span.start)) return false;
    seen.add(d.span.start);
    return true;
  });
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

export function lexDiagnostic(i: LexIssue, lines: LineMap): Diagnostic {
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
    case "long":
      return d(
        "VSC1014",
        `a token of ${i.length} characters, more than ${MAX_TOKEN_CHARS}`,
        "no value in a vsc file is this long: names have at most 63 characters, strings at most " +
          `${MAX_TOKEN_CHARS}`,
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
