/**
 * CI's formatting check: every shipped example and every golden input is in
 * canonical layout (`vsc fmt --check` exits 0), and formatting keeps every
 * comment and is idempotent on them.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { main } from "../../src/cli/main.js";
import { recordingIo } from "../../src/cli/io.js";
import { formatSource } from "../../src/fmt/format.js";
import { packageRoot } from "../../src/paths.js";

const root = packageRoot();

function vscFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) return vscFiles(p);
      return f.endsWith(".vsc") ? [p] : [];
    });
}

const files = [...vscFiles(join(root, "examples")), ...vscFiles(join(root, "test/golden/cases"))];

test("there are examples and golden inputs to check", () => {
  assert.ok(files.some((f) => f.endsWith("examples/language.vsc")));
  assert.ok(files.some((f) => f.endsWith("examples/planetlab/slices/mit.vsc")));
  assert.ok(files.some((f) => f.includes("test/golden/cases/")));
});

test("vsc fmt --check passes on every example and golden input", async () => {
  const io = recordingIo();
  const code = await main(["fmt", "--check", ...files], io);
  assert.is(io.stderr, "", "run `npx vsc fmt examples/**/*.vsc test/golden/cases/*/input.vsc`");
  assert.is(code, 0);
});

for (const f of files) {
  test(`fmt keeps every comment of ${relative(root, f)} and is idempotent`, () => {
    const text = readFileSync(f, "utf8");
    const once = formatSource(text, "x.vsc").text!;
    assert.is(formatSource(once, "x.vsc").text, once);
    const comments = (t: string) =>
      t
        .split("\n")
        .map((l) => /[#].*$|\/\/.*$/.exec(l.replace(/"(?:[^"\\]|\\.)*"/g, '""'))?.[0])
        .filter((c) => c !== undefined);
    assert.equal(comments(once), comments(text));
  });
}

test.run();
