import type { Node, VscIr } from "../ir/types.gen.js";
import { InternalError } from "../diag/internal-error.js";

/** A node with its children, in IR order (siblings sorted by name). */
export interface TreeNode {
  node: Node;
  children: TreeNode[];
}

const trees = new WeakMap<VscIr, TreeNode[]>();

/**
 * The class/context forest of an IR: top-level nodes, each with its subtree.
 * Built once per IR (IRs are never changed once built): the weights, their
 * check, the cgroups and the tc classes all walk the same tree. Read only.
 */
export function buildTree(ir: VscIr): TreeNode[] {
  let t = trees.get(ir);
  if (!t) trees.set(ir, (t = forest(ir)));
  return t;
}

function forest(ir: VscIr): TreeNode[] {
  const byName = new Map<string, TreeNode>();
  const roots: TreeNode[] = [];
  for (const node of ir.nodes) {
    const t: TreeNode = { node, children: [] };
    byName.set(node.name, t);
    if (node.parent === null) roots.push(t);
    else {
      const p = byName.get(node.parent);
      if (!p) throw new InternalError(`node ${node.name} comes before its parent ${node.parent}`);
      p.children.push(t);
    }
  }
  return roots;
}

/** "file:line" of a location, as artifacts name sources. */
export const where = (loc: { file: string; line: number }): string => `${loc.file}:${loc.line}`;
