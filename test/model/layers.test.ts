/**
 * The layers of src/ (README "Layout"): which directory may import which.
 * A stage reads the data of the stages before it, never the code of the
 * stages after it or of the CLI.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { packageRoot } from "../../src/paths.js";

const src = join(packageRoot(), "src");

/** For each directory of src/, the directories of src/ it must not import from. */
const FORBIDDEN: Record<string, string[]> = {
  diag: ["syntax", "check", "model", "emit", "plan", "apply", "exec", "cli", "fmt"],
  model: ["syntax", "check", "plan", "apply", "exec", "cli", "fmt"],
  check: ["emit", "plan", "apply", "exec", "cli"],
  emit: ["syntax", "check", "plan", "apply", "exec", "cli"],
  plan: ["syntax", "check", "emit", "apply", "exec", "cli"],
  // exec touches the kernel as apply does (it shares the mount advice), but never the CLI.
  exec: ["syntax", "check", "emit", "plan", "cli"],
};

/** Every `from "..."` of `rel` (a file of src/) that leaves src/DIR, as the src/ directory it reaches. */
function importedDirs(rel: string): string[] {
  const text = readFileSync(join(src, rel), "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/from "(\.\.\/[^"]+)"/g)) {
    const parts = join(dirname(rel), m[1]!).split("/");
    // join("model", "../emit/x.js") = "emit/x.js"; outside src/ ("../grammar") is allowed.
    if (parts[0] !== ".." && parts.length > 1) out.push(parts[0]!);
  }
  return out;
}

for (const [dir, banned] of Object.entries(FORBIDDEN)) {
  test(`src/${dir} imports nothing from ${banned.join(", ")}`, () => {
    const bad: string[] = [];
    for (const f of readdirSync(join(src, dir), { recursive: true }) as string[]) {
      if (!f.endsWith(".ts")) continue;
      for (const d of importedDirs(join(dir, f)))
        if (banned.includes(d)) bad.push(`src/${dir}/${f} imports from src/${d}`);
    }
    assert.equal(bad, []);
  });
}

test.run();
