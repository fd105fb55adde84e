/**
 * loadProgram: the entry file plus everything it includes, parsed by the
 * grammar (parse.ts). The loading rules are in loader.ts.
 */
import type { Diagnostic } from "../diag/diagnostic.js";
import type { Program } from "./ast.js";
import { loadWith, type SourceHost } from "./loader.js";
import { parseSource } from "./parse.js";

export { hasGlobChars, memoryHost, type SourceHost } from "./loader.js";

export function loadProgram(
  entryPath: string,
  host: SourceHost,
): { program: Program; diagnostics: Diagnostic[] } {
  // parseSource always returns a file, so the load never gives up.
  return loadWith(entryPath, host, parseSource)!;
}
