/**
 * `define NAME = VALUE` constants and `$NAME` references. A define may hold
 * a list and may refer to other defines; a reference is replaced by the
 * define's value(s), remembering where the reference was written so errors
 * point at the use and name the define.
 */
import type { Span } from "../diag/diagnostic.js";
import type { Define, Item, Scalar, Value } from "../syntax/ast.js";
import { type Acceptor, error } from "./acceptor.js";
import { Code } from "./codes.js";
import { didYouMean } from "../diag/suggest.js";

export type Defines = ReadonlyMap<string, Define>;

export function collectDefines(items: readonly Item[], report: Acceptor): Map<string, Define> {
  const defs = new Map<string, Define>();
  for (const it of items) {
    if (it.kind !== "Define") continue;
    const first = defs.get(it.name.name);
    if (first) {
      report(
        error(Code.duplicateDefine, it.name.span, `define "${it.name.name}" is defined twice`, {
          related: [{ span: first.name.span, label: "first defined here" }],
          help: "rename one of them or remove the duplicate",
        }),
      );
      continue;
    }
    defs.set(it.name.name, it);
  }
  return defs;
}

/** One scalar after $refs are replaced: `at` is where it was written in this statement. */
export interface Resolved {
  s: Scalar;
  at: Span;
  /** The define it came through, if any. */
  via?: Define;
}

/** The scalars of a value: lists flattened, $refs replaced (recursively). */
export function flatten(v: Value, defs: Defines, report: Acceptor): Resolved[] {
  if (v.kind !== "List" && v.kind !== "Var") return [{ s: v, at: v.span }];
  const out: Resolved[] = [];
  walk(v, undefined, undefined, new Set<string>(), defs, report, out);
  return out;
}

/** How deep defines may refer to defines (docs/security.md, "Limits"); resolution recurses. */
export const MAX_DEFINE_DEPTH = 64;

function walk(
  v: Value,
  at: Span | undefined,
  via: Define | undefined,
  seen: Set<string>,
  defs: Defines,
  report: Acceptor,
  out: Resolved[],
): void {
  if (v.kind === "List") {
    for (let i = 0; i < v.items.length; i++) walk(v.items[i]!, at, via, seen, defs, report, out);
    return;
  }
  if (v.kind !== "Var") {
    const r: Resolved = { s: v, at: at ?? v.span };
    if (via) r.via = via;
    out.push(r);
    return;
  }
  const def = defs.get(v.name);
  if (!def) {
    const help = didYouMean(v.name, defs.keys());
    report(
      error(Code.unknownDefine, v.span, `unknown define "$${v.name}"`, {
        help: help ?? `add \`define ${v.name} = ...\` at the top level`,
      }),
    );
    return;
  }
  if (seen.size >= MAX_DEFINE_DEPTH) {
    report(
      error(
        Code.defineTooDeep,
        v.span,
        `defines refer to defines more than ${MAX_DEFINE_DEPTH} deep here ("$${v.name}")`,
        { help: "give one define in the chain a literal value" },
      ),
    );
    return;
  }
  if (seen.has(v.name)) {
    report(
      error(Code.defineCycle, def.name.span, `define "${v.name}" refers to itself`, {
        related: [{ span: v.span, label: "through this reference" }],
        help: "give the define a literal value",
      }),
    );
    return;
  }
  seen.add(v.name);
  walk(def.value, at ?? v.span, via ?? def, seen, defs, report, out);
  seen.delete(v.name);
}
