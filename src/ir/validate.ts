/**
 * Validation of an IR document against src/ir/schema.json. The validator is
 * generated ahead of time by `npm run gen` (ajv standalone code in
 * validate.gen.ts), so nothing compiles a schema at start-up. The checker's
 * output must always validate: a failure here is a bug in vsc.
 */
import { validate } from "./validate.gen.js";
import type { VscIr } from "./types.gen.js";

interface AjvError {
  instancePath: string;
  message?: string;
}

/** undefined when `ir` is valid, else a description of every violation. */
export function validateIr(ir: unknown): string | undefined {
  const v = validate as ((x: unknown) => boolean) & { errors?: AjvError[] | null };
  if (v(ir)) return undefined;
  return (v.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ");
}

/** Throws (a bug) if `ir` does not validate; returns it typed. */
export function assertValidIr(ir: unknown): VscIr {
  const problem = validateIr(ir);
  if (problem) throw new Error(`vsc bug: the IR does not match src/ir/schema.json: ${problem}`);
  return ir as VscIr;
}
