import type { Diagnostic, Related, Severity, Span } from "../diag/diagnostic.js";

/**
 * Every rule reports through an acceptor instead of returning lists, so rules
 * stay small functions (Langium's ValidationAcceptor).
 */
export type Acceptor = (d: Diagnostic) => void;

export interface DiagExtra {
  label?: string;
  related?: Related[];
  help?: string;
  notes?: string[];
}

export function diag(
  severity: Severity,
  code: string,
  span: Span | undefined,
  message: string,
  extra: DiagExtra = {},
): Diagnostic {
  const d: Diagnostic = { code, severity, message };
  if (span) d.span = span;
  if (extra.label !== undefined) d.label = extra.label;
  if (extra.related && extra.related.length > 0) d.related = extra.related;
  if (extra.help !== undefined) d.help = extra.help;
  if (extra.notes && extra.notes.length > 0) d.notes = extra.notes;
  return d;
}

export const error = (code: string, span: Span | undefined, message: string, extra?: DiagExtra) =>
  diag("error", code, span, message, extra);

export const warning = (code: string, span: Span | undefined, message: string, extra?: DiagExtra) =>
  diag("warning", code, span, message, extra);
