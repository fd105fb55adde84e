/**
 * A plan as a file: versioned JSON, validated against src/plan/schema.json
 * both when saved and when loaded, so `apply PLAN` never runs something that
 * is not a well-formed plan.
 */
import { Ajv, type ValidateFunction } from "ajv";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Diagnostic } from "../diag/diagnostic.js";
import { packageRoot } from "../paths.js";
import { Code } from "./codes.js";
import type { Plan } from "./types.js";
import { planProblems } from "./validate.js";
import { InternalError } from "../diag/internal-error.js";

let validator: ValidateFunction | undefined;

function validate(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(readFileSync(join(packageRoot(), "src/plan/schema.json"), "utf8"));
    validator = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  return validator;
}

/** The schema's complaints, one line each ("" when valid). */
export function planSchemaErrors(doc: unknown): string[] {
  const v = validate();
  if (v(doc)) return [];
  return (v.errors ?? [])
    .slice(0, 10)
    .map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`);
}

/** Plan -> file text (stable: keys in declaration order, 2-space indent, final newline). Throws on a bug. */
export function serializePlan(plan: Plan): string {
  const errors = planSchemaErrors(plan);
  if (errors.length > 0)
    throw new InternalError(`plan does not match its schema: ${errors.join("; ")}`);
  return `${JSON.stringify(plan, null, 2)}\n`;
}

/**
 * File text -> Plan, or diagnostics: VSC5031 when it is not a well-formed
 * plan, VSC5052-5057 when it reaches beyond what vsc owns (validate.ts).
 */
export function parsePlan(text: string, file: string): { plan?: Plan; diagnostics: Diagnostic[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return {
      diagnostics: [badPlan(file, `it is not JSON (${(e as Error).message})`)],
    };
  }
  const errors = planSchemaErrors(doc);
  if (errors.length > 0) {
    const d = badPlan(file, "it does not match the plan schema");
    d.notes = errors;
    return { diagnostics: [d] };
  }
  // Well-formed is not enough: a plan runs as root, so it must stay inside what vsc owns.
  const problems = planProblems(doc as Plan);
  if (problems.length > 0) return { diagnostics: problems };
  return { plan: doc as Plan, diagnostics: [] };
}

/** A saved plan is recognised by its "format" field (anything else is a .vsc source). */
export function looksLikePlan(text: string): boolean {
  return /^\s*\{/.test(text) && text.includes('"vsc-plan"');
}

function badPlan(file: string, why: string): Diagnostic {
  return {
    code: Code.notAPlan,
    severity: "error",
    message: `${file} is not a vsc plan: ${why}`,
    help: "make a new one with `vsc plan FILE -out PLAN`",
  };
}
