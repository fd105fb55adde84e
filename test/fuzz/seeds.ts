import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";
import { generateConfig } from "../../bench/gen-config.js";

/** Every .vsc under examples/ (recursively), plus a small generated config. */
export function seedTexts(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir).sort()) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith(".vsc")) out.push(readFileSync(p, "utf8"));
    }
  };
  walk(join(packageRoot(), "examples"));
  out.push(generateConfig(5));
  return out;
}
