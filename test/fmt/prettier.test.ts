/** The prettier plugin gives byte-identical output to formatSource, and fails on syntax errors. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as prettier from "prettier";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { formatSource } from "../../src/fmt/format.js";
import * as plugin from "../../src/fmt/prettier-plugin.js";
import { packageRoot } from "../../src/paths.js";

const samples = [
  readFileSync(join(packageRoot(), "examples", "language.vsc"), "utf8"),
  "define a = 1\n\n\n\ncontext c { id 1 # x\n cpu{share 2 reserve 10%} }\n// end",
  "",
  "# only\n",
];

test("plugin output equals formatSource output", async () => {
  for (const s of samples) {
    const viaPrettier = await prettier.format(s, { parser: "vsc", plugins: [plugin] });
    assert.is(viaPrettier, formatSource(s, "t.vsc").text);
  }
});

test("plugin ignores printWidth (the layout is fixed)", async () => {
  const s = samples[1]!;
  const narrow = await prettier.format(s, { parser: "vsc", plugins: [plugin], printWidth: 20 });
  assert.is(narrow, formatSource(s, "t.vsc").text);
});

test("plugin is found by file extension", async () => {
  const out = await prettier.format("context c { id 1\n}", {
    filepath: "x/y.vsc",
    plugins: [plugin],
  });
  assert.is(out, "context c {\n  id 1\n}\n");
});

test("plugin reports syntax errors with code and position", async () => {
  try {
    await prettier.format("context Web { }", { parser: "vsc", plugins: [plugin] });
    assert.unreachable("should have thrown");
  } catch (e) {
    assert.match(String(e), "1:9 VSC1002");
  }
});

test.run();
