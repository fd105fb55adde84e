import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { packageRoot } from "../../src/paths.js";

// CI fails when src/ir/types.gen.ts no longer matches src/ir/schema.json.
test("src/ir/types.gen.ts is what `npm run gen` makes from the schema", async () => {
  const root = packageRoot();
  const gen = (await import(pathToFileURL(join(root, "scripts/gen-ir-types.mjs")).href)) as {
    generate(): Promise<string>;
  };
  const expected = await gen.generate();
  const actual = readFileSync(join(root, "src/ir/types.gen.ts"), "utf8");
  assert.ok(actual === expected, "src/ir/types.gen.ts is stale: run `npm run gen` and commit it");
});

test.run();
