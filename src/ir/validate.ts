/**
 * Validation of an IR document against src/ir/schema.json. Both validators
 * are generated ahead of time by `npm run gen` (scripts/gen-ir-types.mjs), so
 * nothing compiles a schema at start-up: is-valid.gen.ts only answers yes or
 * no, and quickly; ajv's standalone code (validate.gen.ts), the reference,
 * runs only when that answer is no, to say what is wrong. The checker's
 * output must always validate: a failure here is a bug in vsc.
 */
import { isValidIr } from "./is-valid.gen.js";
import { validate } from "./validate.gen.js";
import type { VscIr } from "./types.gen.js";
import { InternalError } from "../diag/internal-error.js";

interface AjvError {
  instancePath: string;
  message?: string;
}

/** undefined when `ir` is valid, else a description of every violation. */
export function validateIr(ir: unknown): string | undefined {
  if (isValidIr(ir)) return undefined;
  const v = validate as ((x: unknown) => boolean) & { errors?: AjvError[] | null };
  // ajv decides: the quick check is tested to agree with it (test/ir/is-valid.test.ts).
  if (v(ir)) return undefined;
  return (v.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ");
}

/** Throws (a bug) if `ir` does not validate; returns it typed. */
export function assertValidIr(ir: unknown): VscIr {
  const problem = validateIr(ir);
  if (problem) throw new InternalError(`the IR does not match src/ir/schema.json: ${problem}`);
  return ir as VscIr;
}
