/**
 * A literal token's AST value: the one definition of what `512MiB`, `1.5
 * cpus`, `10.0.0.0/8`, `$name`, `254:0`, `8000-8080` and `max` become, used
 * by the AST builder (build.ts). The lexer has
 * already checked each shape (grammar/lexer.ts), so this only takes the
 * text apart.
 */
import type { IToken } from "chevrotain";
import { unquote } from "../../grammar/lexer.js";
import * as T from "../../grammar/tokens.js";
import type { Scalar, Span } from "./ast.js";

/** The value of a literal token, or undefined for any other token (names, bad tokens, punctuation). */
export function literal(t: IToken, span: Span): Scalar | undefined {
  const s = t.image;
  switch (t.tokenType) {
    case T.StringLit:
      return { kind: "String", value: unquote(s), span };
    case T.NumberLit:
      return { kind: "Number", value: Number(s), text: s, span };
    case T.Quantity: {
      const n = numberPrefix(s);
      return { kind: "Quantity", value: Number(s.slice(0, n)), unit: s.slice(n), text: s, span };
    }
    case T.CpuQuantity: {
      // `1.5 cpus`: `text` is normalised to one space; the span still covers the source.
      const num = s.slice(0, numberPrefix(s));
      const unit = s.endsWith("cpus") ? "cpus" : "cpu";
      return { kind: "Quantity", value: Number(num), unit, text: `${num} ${unit}`, span };
    }
    case T.Address: {
      const slash = s.indexOf("/");
      const address = slash < 0 ? s : s.slice(0, slash);
      const a: Scalar = {
        kind: "Address",
        family: address.includes(":") ? 6 : 4,
        address,
        text: s,
        span,
      };
      if (slash >= 0) a.prefix = Number(s.slice(slash + 1));
      return a;
    }
    case T.Var:
      // The lexer types only `$` followed by a valid name as Var.
      return { kind: "Var", name: s.slice(1), span };
    case T.DevNum: {
      const colon = s.indexOf(":");
      return {
        kind: "DevNum",
        major: Number(s.slice(0, colon)),
        minor: Number(s.slice(colon + 1)),
        text: s,
        span,
      };
    }
    case T.Range: {
      const dash = s.indexOf("-");
      return {
        kind: "Range",
        from: Number(s.slice(0, dash)),
        to: Number(s.slice(dash + 1)),
        text: s,
        span,
      };
    }
    case T.Max:
      return { kind: "Max", span };
    default:
      return undefined;
  }
}

/** The length of the leading `[0-9]+(\.[0-9]+)?` of a quantity. */
function numberPrefix(s: string): number {
  let i = 0;
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  if (s.charCodeAt(i) === 46 && isDigit(s.charCodeAt(i + 1))) {
    i++;
    while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  }
  return i;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
