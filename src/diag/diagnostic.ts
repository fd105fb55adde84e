/**
 * Diagnostics: the only way a stage reports a user mistake. Stages return
 * `{ value, diagnostics }` and never throw for bad input; a thrown Error is a
 * bug in vsc. Modelled on HCL's hcl.Diagnostic and rustc's renderer.
 */

/**
 * A range in a source file. `file` is the path relative to the directory of
 * the entry file (forward slashes), so artifacts never carry absolute paths;
 * the CLI maps it back to a display path. Lines and columns are 1-based,
 * `col` counts UTF-16 code units from the start of the line, `end`/`endLine`/
 * `endCol` are exclusive. Invariant: start <= end, and both lie in the file.
 */
export interface Span {
  file: string;
  start: number;
  end: number;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

export type Severity = "error" | "warning" | "note";

export interface Related {
  span: Span;
  label: string;
}

export interface Diagnostic {
  /** Catalog code, e.g. "VSC3001"; see src/diag/catalog.ts. */
  code: string;
  severity: Severity;
  /** One sentence, lower case, no trailing period: what is wrong. */
  message: string;
  /** Where it is wrong; absent only for whole-program problems (e.g. no host). */
  span?: Span;
  /** Short text under the caret at `span`. */
  label?: string;
  /** Other places that explain the problem, each with its own caret and label. */
  related?: Related[];
  /** What to do about it, shown as `help: ...`. */
  help?: string;
  /** Extra facts, shown as `note: ...`. */
  notes?: string[];
}

export const hasErrors = (ds: readonly Diagnostic[]): boolean =>
  ds.some((d) => d.severity === "error");

/** Stable order for output: by file, then position, then code. */
export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return ds
    .map((d, i) => ({ d, i }))
    .sort((a, b) => {
      const fa = a.d.span?.file ?? "";
      const fb = b.d.span?.file ?? "";
      if (fa !== fb) return fa < fb ? -1 : 1;
      const sa = a.d.span?.start ?? -1;
      const sb = b.d.span?.start ?? -1;
      if (sa !== sb) return sa - sb;
      if (a.d.code !== b.d.code) return a.d.code < b.d.code ? -1 : 1;
      return a.i - b.i;
    })
    .map((x) => x.d);
}

/** Result of a stage: a value (possibly partial) plus what was wrong. */
export interface Result<T> {
  value: T | undefined;
  diagnostics: Diagnostic[];
}
