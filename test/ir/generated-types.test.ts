import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { packageRoot } from "../../src/paths.js";

// CI fails when src/ir/types.gen.ts no longer matches src/ir/schema.json.
test("src/ir/*.gen.ts are what `npm run gen` makes from the schema", async () => {
  const root = packageRoot();
  const gen = (await import(pathToFileURL(join(root, "scripts/gen-ir-types.mjs")).href)) as {
    generateAll(): Promise<Record<string, string>>;
  };
  const files = await gen.generateAll();
  assert.equal(Object.keys(files).sort(), [
    "src/ir/is-valid.gen.ts",
    "src/ir/types.gen.ts",
    "src/ir/validate.gen.ts",
  ]);
  for (const [rel, expected] of Object.entries(files)) {
    const actual = readFileSync(join(root, rel), "utf8");
    assert.ok(actual === expected, `${rel} is stale: run \`npm run gen\` and commit it`);
  }
});

test("the generated validator accepts a valid IR and names what is wrong with an invalid one", async () => {
  const { validateIr } = await import("../../src/ir/validate.js");
  const { loadProgram, memoryHost } = await import("../../src/syntax/load.js");
  const { check } = await import("../../src/check/index.js");
  const text = "host h {\n  cpus 2\n  memory 1GiB\n}\ncontext a {\n  id 1\n}\n";
  const { program } = loadProgram("main.vsc", memoryHost({ "main.vsc": text }));
  const { ir } = check(program);
  assert.ok(ir);
  assert.is(validateIr(ir), undefined);
  assert.match(validateIr({ ...ir, version: 2 }) ?? "", /\/version must be equal to constant/);
  assert.match(
    validateIr({ ...ir, nodes: [{ ...ir!.nodes[0], id: 0 }] }) ?? "",
    /\/nodes\/0\/id must be >= 1/,
  );
});

test.run();
