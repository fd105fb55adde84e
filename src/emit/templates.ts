/**
 * The artifact templates, compiled once per process (strict: a missing
 * view-model field is an error; noEscape: no HTML escaping). Helpers are the
 * only way user-derived text reaches an artifact besides grammar-restricted
 * names: `sh` quotes a shell word, `c` makes text comment-safe.
 */
import Handlebars from "handlebars";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../paths.js";
import { commentText, shQuote } from "./quote.js";

export type TemplateName = "cgroup.sh" | "ruleset.nft" | "tc.batch";

const hb = Handlebars.create();
hb.registerHelper("sh", (s: unknown) => {
  if (typeof s !== "string") throw new Error(`vsc bug: sh helper given ${typeof s}`);
  return shQuote(s);
});
hb.registerHelper("c", (s: unknown) => commentText(String(s)));

const compiled = new Map<TemplateName, HandlebarsTemplateDelegate>();

export function render(name: TemplateName, view: object): string {
  let t = compiled.get(name);
  if (!t) {
    const src = readFileSync(join(packageRoot(), "templates", `${name}.hbs`), "utf8");
    t = hb.compile(src, {
      strict: true,
      noEscape: true,
      // Speed: no @index/@first frames, no lookups of unknown helpers.
      data: false,
      knownHelpersOnly: true,
      knownHelpers: { sh: true, c: true },
    });
    compiled.set(name, t);
  }
  return t(view);
}
