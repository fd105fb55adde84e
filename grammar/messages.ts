/**
 * Human parse-error messages, as data: a code (listed in
 * src/diag/codes/syntax.ts), the message and an optional help line.
 * Chevrotain's provider interface returns only the message text, so the
 * provider made by `messageProvider` also hands each whole message to a
 * sink; the parser keeps them beside its errors (grammar/parser.ts).
 */
import type { IParserErrorMessageProvider, IToken, TokenType } from "chevrotain";
import { EOF } from "./chevrotain.js";
import {
  ITEM_STARTS,
  Identifier,
  LCurly,
  Literal,
  PlainName,
  RCurly,
  Scalar,
  StringLit,
  Equals,
} from "./tokens.js";

/** Where each rule's `{ ... }` belongs, for "in a `cpu` block". */
const BLOCK_OF: Record<string, string> = {
  hostDecl: "`host`",
  templateDecl: "`template`",
  nodeDecl: "this declaration",
  cpuBlock: "the `cpu` block",
  memoryBlock: "the `memory` block",
  pidsBlock: "the `pids` block",
  ioBlock: "the `io` block",
  netBlock: "the `net` block",
  rlimitBlock: "the `rlimit` block",
  securityBlock: "the `security` block",
  deviceBlock: "the `device` block",
  linkBlock: "the `link` block",
  unknownStmt: "this block",
};

export function describeToken(t: IToken | undefined): string {
  if (!t || t.tokenType === EOF) return "the end of the file";
  if (t.tokenType === StringLit) return "a string";
  const img = t.image.length > 30 ? t.image.slice(0, 27) + "..." : t.image;
  return "`" + img + "`";
}

function labelOf(t: TokenType): string {
  if (t === Scalar || t === Literal) return "a value";
  if (t === Identifier || t === PlainName) return "a name";
  if (t.LABEL) return t.LABEL;
  return "`" + t.name + "`";
}

function after(prev: IToken | undefined): string {
  if (!prev || prev.tokenType === EOF || !prev.image) return "";
  const img = prev.image.length > 30 ? prev.image.slice(0, 27) + "..." : prev.image;
  return " after `" + img + "`";
}

/** One syntax error's message, for the diagnostic catalog. */
export interface ParseMessage {
  code: string;
  message: string;
  help?: string;
}

const enc = (code: string, message: string, help?: string): ParseMessage =>
  help ? { code, message, help } : { code, message };

import { NAME_HELP } from "../src/model/names.js";

type Builders = {
  [K in keyof IParserErrorMessageProvider]: (
    o: Parameters<IParserErrorMessageProvider[K]>[0],
  ) => ParseMessage;
};

const messages: Builders = {
  buildMismatchTokenMessage({ expected, actual, previous, ruleName }) {
    const got = describeToken(actual);
    const atEof = actual.tokenType === EOF;
    if (expected === EOF) {
      // The top-level repetition could not start an item here (the parser skips to the next one).
      return enc("VSC1010", `unexpected ${got} at the top level`);
    }
    if (expected === RCurly) {
      const where = BLOCK_OF[ruleName] ?? "this block";
      if (atEof) {
        return enc("VSC1009", `missing \`}\` to close ${where}`, "add the closing `}`");
      }
      if (ITEM_STARTS.has(actual.tokenType)) {
        return enc(
          "VSC1009",
          `missing \`}\` to close ${where} before ${got}`,
          "add the closing `}`",
        );
      }
      return enc(
        "VSC1008",
        `unexpected ${got} in ${where}`,
        "each statement starts with its key (e.g. `limit 1GiB`); a block ends with `}`",
      );
    }
    if (expected === Scalar || expected === Literal) {
      return enc("VSC1007", `expected a value${after(previous)}, got ${got}`);
    }
    if (expected === Identifier || expected === PlainName) {
      const help = actual.tokenType === StringLit ? `${NAME_HELP}, without quotes` : "";
      return enc("VSC1006", `expected a name${after(previous)}, got ${got}`, help);
    }
    if (expected === LCurly) {
      return enc("VSC1006", `expected \`{\`${after(previous)}, got ${got}`);
    }
    if (expected === StringLit) {
      return enc(
        "VSC1006",
        `expected a quoted path${after(previous)}, got ${got}`,
        'write the path in double quotes: include "contexts/*.vsc"',
      );
    }
    if (expected === Equals) {
      return enc(
        "VSC1006",
        `expected \`=\`${after(previous)}, got ${got}`,
        "write `define NAME = VALUE`",
      );
    }
    return enc("VSC1006", `expected ${labelOf(expected)}${after(previous)}, got ${got}`);
  },

  buildNotAllInputParsedMessage({ firstRedundant }) {
    return enc("VSC1010", `unexpected ${describeToken(firstRedundant)} at the top level`);
  },

  buildNoViableAltMessage({ expectedPathsPerAlt, actual, previous }) {
    const firsts = new Set<string>();
    for (const alt of expectedPathsPerAlt)
      for (const path of alt) if (path[0]) firsts.add(labelOf(path[0]));
    const list = [...firsts];
    const want =
      list.length <= 1
        ? (list[0] ?? "something else")
        : list.slice(0, -1).join(", ") + " or " + list[list.length - 1];
    return enc("VSC1006", `expected ${want}${after(previous)}, got ${describeToken(actual[0])}`);
  },

  buildEarlyExitMessage({ expectedIterationPaths, actual, previous }) {
    const firsts = new Set<string>();
    for (const path of expectedIterationPaths) if (path[0]) firsts.add(labelOf(path[0]));
    return enc(
      "VSC1006",
      `expected ${[...firsts].join(" or ")}${after(previous)}, got ${describeToken(actual[0])}`,
    );
  },
};

/** A Chevrotain message provider whose every message also goes to `sink`, whole. */
export function messageProvider(sink: (m: ParseMessage) => void): IParserErrorMessageProvider {
  const text = (m: ParseMessage): string => {
    sink(m);
    return m.message;
  };
  return {
    buildMismatchTokenMessage: (o) => text(messages.buildMismatchTokenMessage(o)),
    buildNotAllInputParsedMessage: (o) => text(messages.buildNotAllInputParsedMessage(o)),
    buildNoViableAltMessage: (o) => text(messages.buildNoViableAltMessage(o)),
    buildEarlyExitMessage: (o) => text(messages.buildEarlyExitMessage(o)),
  };
}
