/**
 * The artifact templates. templates/*.hbs are compiled ahead of time by
 * scripts/gen-templates.mjs (part of `npm run build`) into plain functions
 * (templates.gen.ts): no template compilation at start-up and no Handlebars
 * runtime per item, with the semantics the emitter has always used (strict:
 * a missing view-model field is an error; noEscape: no HTML escaping).
 * Helpers are the only way user-derived text reaches an artifact besides
 * grammar-restricted names: `sh` quotes a shell word, `c` makes text
 * comment-safe.
 */
import { templates } from "./templates.gen.js";

export type TemplateName = keyof typeof templates;

export function render(name: TemplateName, view: object): string {
  return templates[name](view);
}

export { templates };
