/**
 * The error cap: a file with thousands of mistakes (a generated file gone
 * wrong, a binary file given by accident, hostile input) is reported as its
 * first MAX_DIAGNOSTICS diagnostics in output order and one VSC9020 that says
 * how many more there were, instead of megabytes of output. The CLI applies
 * it to every list it prints (src/cli/frontend.ts), so it covers syntax,
 * checker and command-line diagnostics in every --format. The exit code is
 * decided on the whole list, so a cut list never turns an error into success.
 */
import type { Diagnostic } from "./diagnostic.js";

/** Diagnostics shown per entry file (errors, warnings and notes together). */
export const MAX_DIAGNOSTICS = 100;

export const TOO_MANY_CODE = "VSC9020";

/**
 * The parser's own stop (VSC1015: it read no further after LIMITS.errors
 * errors, src/syntax/parse.ts) is the same idea at its source: it is always
 * shown, last, and never counted as hidden.
 */
const PARSER_STOP = "VSC1015";

/** The first `max` diagnostics of `ds` (already sorted), plus VSC9020 if any were left out. */
export function capDiagnostics(ds: Diagnostic[], max = MAX_DIAGNOSTICS): Diagnostic[] {
  const stop = ds.findIndex((d) => d.code === PARSER_STOP);
  if (stop >= 0) {
    const rest = [...ds.slice(0, stop), ...ds.slice(stop + 1)];
    return [...capDiagnostics(rest, max), ds[stop]!];
  }
  if (ds.length <= max) return ds;
  const shown = ds.slice(0, max);
  let errors = 0;
  let others = 0;
  for (let i = max; i < ds.length; i++) {
    if (ds[i]!.severity === "error") errors++;
    else others++;
  }
  const rest = [
    ...(errors ? [`${errors} more error${errors === 1 ? "" : "s"}`] : []),
    ...(others ? [`${others} more warning${others === 1 ? "" : "s"}`] : []),
  ].join(" and ");
  const anyError = errors > 0 || shown.some((d) => d.severity === "error");
  shown.push({
    code: TOO_MANY_CODE,
    severity: anyError ? "error" : "warning",
    message: `too many ${anyError ? "errors" : "warnings"}: stopped after ${max} diagnostics (${rest} not shown)`,
    help: "fix the first ones and run again; the first mistake often causes those that follow",
  });
  return shown;
}
