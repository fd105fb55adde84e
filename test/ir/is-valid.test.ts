/**
 * The quick yes/no validator (src/ir/is-valid.gen.ts) against ajv's, the
 * reference: on valid IRs and on every one-value change of them (each value
 * replaced by values of other types and at the schema's bounds, each key
 * removed, an unknown key added), both must give the same answer.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { isValidIr } from "../../src/ir/is-valid.gen.js";
import { validate } from "../../src/ir/validate.gen.js";
import { packageRoot } from "../../src/paths.js";
import { bigIr, languageIr } from "../emit/fixtures.js";

const ajv = validate as (x: unknown) => boolean;

/** Values that each break (or, at a bound, just keep) some constraint of the schema. */
const REPLACEMENTS: unknown[] = [
  ...[undefined, null, true, "", "x", "Web", "a/b", "a".repeat(70), "unlimited", "eth0", "in"],
  ...[0, -1, 1, 1.5, 3, 4, 6, 128, 129, 999, 1000, 10000, 10001, 65279, 65280, 65535, 65536],
  ...[2 ** 53, NaN, Infinity, {}, [], [1], [{}], { file: "f", line: 1, col: 1 }],
];

type Obj = Record<string, unknown>;

/** Every [container, key] of a document, depth first. */
function slots(doc: unknown, out: [Obj, string][] = []): [Obj, string][] {
  if (doc === null || typeof doc !== "object") return out;
  for (const k of Object.keys(doc)) {
    out.push([doc as Obj, k]);
    slots((doc as Obj)[k], out);
  }
  return out;
}

function agree(doc: unknown, what: () => string): boolean {
  const want = ajv(doc);
  assert.is(isValidIr(doc), want, `is-valid and ajv disagree: ${what()}`);
  return want;
}

for (const [label, ir] of [
  ["language", languageIr()],
  ["20 contexts", bigIr(20)],
] as const) {
  test(`${label}: is-valid agrees with ajv on every one-value change`, () => {
    const doc = structuredClone({ $comment: "c", ...ir }) as unknown as Obj;
    assert.ok(agree(doc, () => "the valid IR"));
    let valid = 0;
    let invalid = 0;
    const count = (ok: boolean) => (ok ? valid++ : invalid++);
    const path = (o: Obj, k: string) => `${JSON.stringify(k)} of ${JSON.stringify(o).slice(0, 80)}`;
    for (const [o, k] of slots(doc)) {
      const was = o[k];
      for (const v of REPLACEMENTS) {
        o[k] = v;
        count(agree(doc, () => `${path(o, k)} set to ${String(v)}`));
      }
      o[k] = was;
      if (!Array.isArray(o)) {
        delete o[k];
        count(agree(doc, () => `${path(o, k)} removed`));
        o[k] = was;
      }
      if (was !== null && typeof was === "object") {
        if (Array.isArray(was)) {
          was.push(was[0] ?? 1);
          count(agree(doc, () => `${path(o, k)} with an element more`));
          was.pop();
        } else {
          (was as Obj).extra = 1;
          count(agree(doc, () => `${path(o, k)} with an unknown key`));
          delete (was as Obj).extra;
        }
      }
    }
    assert.ok(agree(doc, () => "the restored IR"));
    assert.ok(valid > 100 && invalid > 1000, `${valid} valid, ${invalid} invalid changes`);
  });
}

test("is-valid: not an object, an inherited unknown key", () => {
  for (const x of [null, 1, "x", [], undefined]) assert.is(isValidIr(x), false);
  const ir = languageIr();
  assert.ok(isValidIr(ir));
  const child = Object.create({ extra: 1 }) as Obj;
  Object.assign(child, ir);
  assert.is(isValidIr(child), ajv(child));
  assert.is(isValidIr(child), false);
});

test("the generator refuses a keyword it does not implement", async () => {
  const root = packageRoot();
  const gen = (await import(pathToFileURL(join(root, "scripts/gen-ir-types.mjs")).href)) as {
    isValidSource(schema: object): Promise<string>;
  };
  for (const schema of [
    { type: "object", oneOf: [] },
    { type: "string", format: "ipv4" },
    { type: "array", items: [{ type: "string" }] },
    { type: "object", additionalProperties: { type: "string" } },
    { enum: [{ a: 1 }] },
  ]) {
    let threw = false;
    try {
      await gen.isValidSource(schema);
    } catch {
      threw = true;
    }
    assert.ok(threw, JSON.stringify(schema));
  }
});

test.run();
