import type { CodeTable } from "./types.js";

/** VSC1xxx syntax, and VSC2001-VSC2009 (includes); owned by the parser. */
export const syntaxCodes: CodeTable = {};
