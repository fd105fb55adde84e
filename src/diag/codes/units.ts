import type { CodeTable } from "./types.js";

/** VSC3xxx types and units; owned by the checker. */
export const unitsCodes: CodeTable = {};
