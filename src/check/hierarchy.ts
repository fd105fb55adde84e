/**
 * The tree of classes and contexts: `in NAME` must name a class (not a
 * context or template, not itself), and class chains must not loop. The
 * result is in IR order: parents before children, siblings by name.
 */
import type { Decl } from "../syntax/ast.js";
import { type Acceptor, error } from "./acceptor.js";
import { Code } from "./codes.js";
import { didYouMean } from "../diag/suggest.js";
import type { Names } from "./resolve-names.js";
import type { BodySpec } from "./spec.js";

export interface TreeNode {
  decl: Decl;
  kind: "class" | "context";
  name: string;
  body: BodySpec;
  parent: TreeNode | undefined;
  /** Sorted by name. */
  children: TreeNode[];
  depth: number;
  /** Class names then own name, "/"-separated. */
  path: string;
}

export interface Tree {
  /** Top-level nodes, sorted by name. */
  roots: TreeNode[];
  /** Every node, parents first, siblings sorted by name (depth-first). */
  order: TreeNode[];
  /** False when a parent could not be resolved (policy rules then skip the tree-wide checks). */
  ok: boolean;
  /** A chain deeper than MAX_TREE_DEPTH: the checker stops after the tree (its rules recurse over it). */
  tooDeep: boolean;
}

/**
 * How deep classes and contexts may nest (docs/security.md, "Limits"): each
 * level is a cgroup, an HTB class and an nft `socket cgroupv2 level`; real
 * hierarchies are a few levels, and the later stages walk the tree
 * recursively, so a hostile chain of thousands stops here.
 */
export const MAX_TREE_DEPTH = 32;

const byName = (a: TreeNode, b: TreeNode) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function buildTree(
  bodies: ReadonlyMap<Decl, BodySpec>,
  names: Names,
  report: Acceptor,
): Tree {
  let ok = true;
  const nodes = new Map<string, TreeNode>();
  bodies.forEach((body, decl) => {
    nodes.set(decl.name.name, {
      decl,
      kind: decl.keyword === "class" ? "class" : "context",
      name: decl.name.name,
      body,
      parent: undefined,
      children: [],
      depth: 1,
      path: decl.name.name,
    });
  });
  const classNames = () =>
    names.ordered.filter((d) => d.keyword === "class").map((d) => d.name.name);
  const all = [...nodes.values()];
  for (let i = 0; i < all.length; i++) {
    const n = all[i]!;
    const p = n.decl.parent;
    if (!p) continue;
    if (p.name === n.name) {
      report(
        error(Code.classCycle, p.span, `${n.kind} "${n.name}" is placed in itself`, {
          help: "name the class it belongs to, or drop `in` to place it at the root",
        }),
      );
      ok = false;
      continue;
    }
    const target = nodes.get(p.name);
    if (target && target.kind === "class") {
      n.parent = target;
      continue;
    }
    ok = false;
    const other = names.decls.get(p.name);
    if (other) {
      report(
        error(Code.wrongKindOfName, p.span, `"${p.name}" is a ${other.keyword}, not a class`, {
          related: [{ span: other.name.span, label: `the ${other.keyword}` }],
          help:
            other.keyword === "context"
              ? "contexts are leaves; declare a class to group contexts under"
              : "`in` names a class",
        }),
      );
    } else {
      report(
        error(Code.unknownClass, p.span, `unknown class "${p.name}"`, {
          help: didYouMean(p.name, classNames()) ?? `declare it with class ${p.name} { ... }`,
        }),
      );
    }
  }
  // Loops among classes (a in b, b in a): reported once per loop at the
  // member declared first, which is then cut loose to the root.
  const state = new Map<TreeNode, 1 | 2>();
  for (let i = 0; i < all.length; i++) {
    const start = all[i]!;
    const chain: TreeNode[] = [];
    let n: TreeNode | undefined = start;
    while (n && !state.has(n)) {
      state.set(n, 1);
      chain.push(n);
      n = n.parent;
    }
    if (n && state.get(n) === 1) {
      const loop = chain.slice(chain.indexOf(n));
      const first = loop.reduce((a, b) =>
        b.decl.span.start < a.decl.span.start && b.decl.span.file === a.decl.span.file ? b : a,
      );
      report(
        error(
          Code.classCycle,
          first.decl.parent!.span,
          `classes are placed in each other: ${[...loop, loop[0]!].map((x) => x.name).join(" in ")}`,
          {
            related: loop
              .filter((x) => x !== first)
              .map((x) => ({
                span: x.decl.parent!.span,
                label: `${x.name} is in ${x.parent!.name}`,
              })),
            help: "one of them must be placed at the root or under another class",
          },
        ),
      );
      first.parent = undefined;
      ok = false;
    }
    for (let j = 0; j < chain.length; j++) state.set(chain[j]!, 2);
  }
  const roots: TreeNode[] = [];
  for (let i = 0; i < all.length; i++) {
    const n = all[i]!;
    (n.parent ? n.parent.children : roots).push(n);
  }
  // Depth-first with an explicit stack (a chain of thousands of classes must
  // not overflow the call stack); a node deeper than MAX_TREE_DEPTH is
  // reported once per chain and its subtree left out.
  const order: TreeNode[] = [];
  let tooDeep = false;
  const stack: TreeNode[] = [...roots.sort(byName)].reverse();
  while (stack.length > 0) {
    const n = stack.pop()!;
    const parent = n.parent;
    if (parent) {
      n.depth = parent.depth + 1;
      n.path = `${parent.path}/${n.name}`;
    }
    if (n.depth > MAX_TREE_DEPTH) {
      tooDeep = true;
      report(
        error(
          Code.treeTooDeep,
          n.decl.name.span,
          `"${n.name}" is ${n.depth} levels deep; vsc allows at most ${MAX_TREE_DEPTH} (classes nested in classes)`,
          { help: "flatten the class hierarchy: every level is a cgroup and an HTB class" },
        ),
      );
      continue;
    }
    order.push(n);
    n.children.sort(byName);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
  return { roots, order, ok: ok && !tooDeep, tooDeep };
}
