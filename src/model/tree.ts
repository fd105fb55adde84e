import type { Node, VscIr } from "../ir/types.gen.js";
import { InternalError } from "../diag/internal-error.js";

/** A node with its children, in IR order (siblings sorted by name). */
export interface TreeNode {
  node: Node;
  children: TreeNode[];
}

/**
 * The class/context forest of an IR: top-level nodes, each with its subtree.
 * desiredState builds it once for the cgroups, io weights and tc classes;
 * the cpu weights and their check build their own. (Until 2026-12 it was
 * remembered per IR in a WeakMap: the three extra builds it saved cost 0.5 ms
 * each at 1,000 contexts and 10 ms at 10,000, CPU, cold, median of 9 and 5
 * fresh processes; two remain, under 1% of a compile.)
 */
export function buildTree(ir: VscIr): TreeNode[] {
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
