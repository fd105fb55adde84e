import type { Diagnostic, Span } from "../diag/diagnostic.js";
import type { Loc } from "../ir/types.gen.js";

/**
 * A Span for an IR location. The IR keeps file, line and column but no
 * offsets; exec diagnostics are rendered without an excerpt, so the offsets
 * stay 0 and the renderer shows `file:line:col`.
 */
export function spanOf(loc: Loc | undefined): Span | undefined {
  return (
    loc && {
      file: loc.file,
      start: 0,
      end: 0,
      line: loc.line,
      col: loc.col,
      endLine: loc.line,
      endCol: loc.col,
    }
  );
}

export function execError(
  code: string,
  message: string,
  more: Omit<Diagnostic, "code" | "severity" | "message"> = {},
): Diagnostic {
  return { code, severity: "error", message, ...more };
}

export function execWarning(
  code: string,
  message: string,
  more: Omit<Diagnostic, "code" | "severity" | "message"> = {},
): Diagnostic {
  return { code, severity: "warning", message, ...more };
}
