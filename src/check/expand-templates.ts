/**
 * `use T`: a template's (expanded) body goes in first, the declaration's own
 * fields override it; several `use` lines apply in order. Templates may use
 * other templates; a cycle is an error. Each declaration is expanded once.
 */
import type { Decl, Ident } from "../syntax/ast.js";
import { type Acceptor, error } from "./acceptor.js";
import { Code } from "./codes.js";
import { didYouMean } from "../diag/suggest.js";
import type { DeclSpec } from "./read-body.js";
import type { Names } from "./resolve-names.js";
import { type BodySpec, mergeBodies } from "./spec.js";

export function expandTemplates(
  specs: ReadonlyMap<Decl, DeclSpec>,
  names: Names,
  report: Acceptor,
  hasHostPart: (template: Decl) => boolean = () => false,
): Map<Decl, BodySpec> {
  const done = new Map<Decl, BodySpec>();
  const active = new Set<Decl>();
  const templates = () =>
    names.ordered.filter((d) => d.keyword === "template").map((d) => d.name.name);

  const resolveUse = (use: Ident): Decl | undefined => {
    const t = names.decls.get(use.name);
    if (!t) {
      report(
        error(Code.unknownTemplate, use.span, `unknown template "${use.name}"`, {
          help: didYouMean(use.name, templates()) ?? `declare it with template ${use.name} { ... }`,
        }),
      );
      return undefined;
    }
    if (t.keyword !== "template") {
      report(
        error(Code.wrongKindOfName, use.span, `"${use.name}" is a ${t.keyword}, not a template`, {
          related: [{ span: t.name.span, label: `the ${t.keyword}` }],
          help: "only templates can be used; move the shared fields into a template",
        }),
      );
      return undefined;
    }
    return t;
  };

  const expand = (decl: Decl): BodySpec => {
    const cached = done.get(decl);
    if (cached) return cached;
    const spec = specs.get(decl)!;
    active.add(decl);
    let body: BodySpec | undefined;
    for (const use of spec.uses) {
      const t = resolveUse(use);
      if (!t) continue;
      if (active.has(t)) {
        report(
          error(
            Code.templateCycle,
            use.span,
            `template "${use.name}" uses itself (through "${decl.name.name}")`,
            {
              related: [{ span: t.name.span, label: "template declared here" }],
              help: "remove one of the use lines that form the cycle",
            },
          ),
        );
        continue;
      }
      if (decl.keyword !== "template" && hasHostPart(t)) {
        report(
          error(
            Code.templateWrongUser,
            use.span,
            `${decl.keyword} "${decl.name.name}" uses template "${use.name}", which holds host settings`,
            {
              related: [{ span: t.name.span, label: "template declared here" }],
              help: "a class or context takes only context blocks from a template: split the template in two",
            },
          ),
        );
        continue;
      }
      const tb = expand(t);
      body = body ? mergeBodies(body, tb) : tb;
    }
    active.delete(decl);
    const out = body ? mergeBodies(body, spec.body) : spec.body;
    done.set(decl, out);
    return out;
  };

  const out = new Map<Decl, BodySpec>();
  for (const decl of specs.keys()) {
    const body = expand(decl);
    if (decl.keyword !== "template") out.set(decl, body);
  }
  return out;
}
