import type { CodeTable } from "./types.js";

/** VSC2010-VSC2999 names and references; owned by the checker. */
export const namesCodes: CodeTable = {};
