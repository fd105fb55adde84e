/**
 * The collection's Python is clean: it compiles with Debian's python3,
 * pyflakes finds nothing, and pycodestyle passes with ansible-test's own
 * settings (max line 160; E402 ignored, as every module puts DOCUMENTATION
 * before its imports).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";

const dir = join(packageRoot(), "ansible/plugins");
const files = readdirSync(dir).flatMap((d) =>
  readdirSync(join(dir, d))
    .filter((f) => f.endsWith(".py"))
    .map((f) => join(dir, d, f)),
);

test("the collection has its plugins", () => {
  assert.ok(files.some((f) => f.endsWith("modules/host.py")));
  assert.ok(files.some((f) => f.endsWith("action/host.py")));
  assert.ok(files.some((f) => f.endsWith("callback/fleet_summary.py")));
  assert.ok(files.some((f) => f.endsWith("strategy/linear.py")));
});

for (const [name, args] of [
  ["py_compile", ["-m", "py_compile"]],
  ["pyflakes", ["-m", "pyflakes"]],
  ["pycodestyle", ["-m", "pycodestyle", "--max-line-length=160", "--ignore=E402,W503,W504,E741"]],
] as const) {
  test(`python3 ${name} over ansible/plugins`, () => {
    const r = spawnSync("/usr/bin/python3", [...args, ...files], { encoding: "utf8" });
    assert.is(r.status, 0, `${r.stdout}${r.stderr}`);
  });
}

test.run();
