import type { Span } from "../diag/diagnostic.js";
import type { Program } from "../syntax/ast.js";

/** Compares spans by program order: file load order, then offset. */
export type SpanOrder = (a: Span, b: Span) => number;

export function spanOrder(program: Program): SpanOrder {
  const index = new Map(program.files.map((f, i) => [f.file, i]));
  return (a, b) => {
    const fa = index.get(a.file) ?? Infinity;
    const fb = index.get(b.file) ?? Infinity;
    return fa !== fb ? (fa < fb ? -1 : 1) : a.start - b.start;
  };
}
