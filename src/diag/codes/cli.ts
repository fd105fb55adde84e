import type { CodeTable } from "./types.js";

/** VSC9xxx: the command line itself (files, flags); owned by src/cli. */
export const cliCodes: CodeTable = {};
