import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";
import { parseSource } from "../../src/syntax/parse.js";

export function example(rel: string): string {
  return readFileSync(join(packageRoot(), "examples", rel), "utf8");
}

/** `line:col CODE` for every diagnostic of a parse. */
export function diags(text: string): string[] {
  return parseSource(text, "t.vsc").diagnostics.map(
    (d) => `${d.span?.line}:${d.span?.col} ${d.code}`,
  );
}

/** Every name (Ident) anywhere in a parsed file. */
export function allNames(text: string): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (o["kind"] === "Ident" || o["kind"] === "Var") out.push(String(o["name"]));
      for (const [k, x] of Object.entries(o)) if (k !== "span" && k !== "bodySpan") walk(x);
    }
  };
  walk(parseSource(text, "t.vsc").file.items);
  return out;
}
