/**
 * Templates for hosts (language-v2.md §7): `template node-8core { cpus 8
 * memory 32GiB link eth0 rate 1gbit }` and `host pl1 { use node-8core }`.
 * A template's body may hold host settings and context blocks; a host takes
 * the host settings of the templates it uses (in order, each overriding the
 * one before, the host's own settings overriding all), a class or context
 * the rest. Using a template with the other kind of content is VSC2094.
 */
import type { Decl, Setting, Stmt } from "../syntax/ast.js";
import { didYouMean } from "../diag/suggest.js";
import { type Acceptor, error } from "./acceptor.js";
import { Code } from "./codes.js";

/** Keys of the host's own settings (grammar: hostKv, hostDisk, hostLink, hostPair). */
const HOST_KEYS = new Set(["cpus", "memory", "cgroup-root", "disk", "link", "keep", "overbook"]);

/** A host setting in a template body (`memory { ... }` is a block, not a setting). */
export const isHostStmt = (st: Stmt): boolean =>
  st.kind === "Setting" && HOST_KEYS.has(st.key.name);

/** The key a later setting overrides: `cpus`, `link eth0`, `keep cpu`. */
function overrideKey(st: Setting): string {
  const first = st.values[0];
  const arg =
    (st.key.name === "disk" ||
      st.key.name === "link" ||
      st.key.name === "keep" ||
      st.key.name === "overbook") &&
    first?.kind === "Ident"
      ? " " + first.name
      : "";
  return st.key.name + arg;
}

/** A template's body without host settings: what a class or context reads. */
export function nodePart(decl: Decl): Decl {
  if (decl.keyword !== "template" || !decl.body.some(isHostStmt)) return decl;
  return { ...decl, body: decl.body.filter((st) => !isHostStmt(st)) };
}

/** Whether a template (through its own uses too) holds host settings. */
export function templateHasHostPart(
  decl: Decl,
  decls: ReadonlyMap<string, Decl>,
  seen = new Set<Decl>(),
): boolean {
  if (seen.has(decl)) return false;
  seen.add(decl);
  for (const st of decl.body) {
    if (isHostStmt(st)) return true;
    if (st.kind === "Setting" && st.key.name === "use")
      for (const u of useNames(st)) {
        const t = decls.get(u.name);
        if (t && t.keyword === "template" && templateHasHostPart(t, decls, seen)) return true;
      }
  }
  return false;
}

function useNames(st: Setting) {
  return st.values
    .flatMap((v) => (v.kind === "List" ? v.items : [v]))
    .filter((v) => v.kind === "Ident");
}

/**
 * The host's declaration with its templates' host settings in place of its
 * `use` lines. Without `use`, the host itself (identity kept).
 */
export function expandHost(host: Decl, decls: ReadonlyMap<string, Decl>, report: Acceptor): Decl {
  if (!host.body.some((st) => st.kind === "Setting" && st.key.name === "use")) return host;
  const merged = new Map<string, Setting>();
  const other: Stmt[] = [];
  const templates = () =>
    [...decls.values()].filter((d) => d.keyword === "template").map((d) => d.name.name);

  const fromTemplate = (t: Decl, active: Set<Decl>): void => {
    if (active.has(t)) return; // a cycle; reported where templates are expanded
    active.add(t);
    for (const st of t.body) {
      if (st.kind !== "Setting") continue;
      if (st.key.name === "use") {
        for (const u of useNames(st)) {
          const inner = decls.get(u.name);
          if (inner && inner.keyword === "template") fromTemplate(inner, active);
        }
      } else if (isHostStmt(st)) merged.set(overrideKey(st), st);
    }
    active.delete(t);
  };
  const hasNodePart = (t: Decl, seen: Set<Decl>): Stmt | undefined => {
    if (seen.has(t)) return undefined;
    seen.add(t);
    for (const st of t.body) {
      if (st.kind === "Setting" && st.key.name === "use") {
        for (const u of useNames(st)) {
          const inner = decls.get(u.name);
          const found = inner && inner.keyword === "template" && hasNodePart(inner, seen);
          if (found) return found;
        }
      } else if (!isHostStmt(st)) return st;
    }
    return undefined;
  };

  for (const st of host.body) {
    if (!(st.kind === "Setting" && st.key.name === "use")) {
      other.push(st);
      continue;
    }
    for (const v of st.values.flatMap((x) => (x.kind === "List" ? x.items : [x]))) {
      if (v.kind !== "Ident") {
        report(error(Code.wrongType, v.span, "use expects a template name"));
        continue;
      }
      const t = decls.get(v.name);
      if (!t || t.keyword !== "template") {
        report(
          t
            ? error(Code.wrongKindOfName, v.span, `"${v.name}" is a ${t.keyword}, not a template`, {
                related: [{ span: t.name.span, label: `the ${t.keyword}` }],
                help: "only templates can be used",
              })
            : error(Code.unknownTemplate, v.span, `unknown template "${v.name}"`, {
                help:
                  didYouMean(v.name, templates()) ?? `declare it with template ${v.name} { ... }`,
              }),
        );
        continue;
      }
      const bad = hasNodePart(t, new Set());
      if (bad) {
        report(
          error(
            Code.templateWrongUser,
            v.span,
            `host "${host.name.name}" uses template "${v.name}", which holds a context's \`${bad.kind === "Allow" ? "allow" : bad.kind === "Match" ? "match" : bad.key.name}\``,
            {
              related: [{ span: bad.span, label: "not a host setting" }],
              help: "a host takes only host settings from a template: split the template in two",
            },
          ),
        );
        continue;
      }
      fromTemplate(t, new Set());
    }
  }
  // The host's own settings win: drop template settings the host sets itself.
  for (const st of other)
    if (st.kind === "Setting" && isHostStmt(st)) merged.delete(overrideKey(st));
  return { ...host, body: [...merged.values(), ...other] };
}
