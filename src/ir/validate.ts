/**
 * Validation of an IR document against src/ir/schema.json (ajv, compiled
 * once on first use). The checker's output must always validate: a failure
 * here is a bug in vsc, not a user error.
 */
import { Ajv, type ValidateFunction } from "ajv";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../paths.js";
import type { VscIr } from "./types.gen.js";

let validator: ValidateFunction | undefined;

function compiled(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(readFileSync(join(packageRoot(), "src/ir/schema.json"), "utf8"));
    validator = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);
  }
  return validator;
}

/** undefined when `ir` is valid, else a description of every violation. */
export function validateIr(ir: unknown): string | undefined {
  const v = compiled();
  if (v(ir)) return undefined;
  return (v.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ");
}

/** Throws (a bug) if `ir` does not validate; returns it typed. */
export function assertValidIr(ir: unknown): VscIr {
  const problem = validateIr(ir);
  if (problem) throw new Error(`vsc bug: the IR does not match src/ir/schema.json: ${problem}`);
  return ir as VscIr;
}
