import type { CodeTable } from "./types.js";

/** VSC4xxx policy: admission, ordering, conflicts; owned by the checker. */
export const policyCodes: CodeTable = {};
