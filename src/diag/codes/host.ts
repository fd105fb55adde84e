import type { CodeTable } from "./types.js";

/** VSC5xxx plan/apply/host; owned by the applier. */
export const hostCodes: CodeTable = {};
