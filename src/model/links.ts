/**
 * Desired tc state: per host link, an HTB tree (PlanetLab's per-slice HTB).
 * Root qdisc 1:, root class 1:fffe at the link rate, 1:ffff for traffic
 * that nftables did not classify, and one class 1:<id hex> per class or
 * context shaped on that link (ids are stable across edits).
 */
import type { DesiredLink, DesiredTcClass } from "./desired.js";
import type { Link, NetLink, Node, VscIr } from "../ir/types.gen.js";
import { type TrafficIds, restKey, trafficIds, trafficKey } from "./traffic.js";
import { buildTree, where, type TreeNode } from "./tree.js";

export const ROOT_CLASS = "1:fffe";
export const DEFAULT_CLASS = "1:ffff";
/** HTB rate of a class with no reservation: 1 KB/s, enough to never starve. */
export const RATE_FLOOR = 8000;
/** Quantum for share 1: one full Ethernet frame (1500 + 14 header bytes). */
export const BASE_QUANTUM = 1514;
/** HTB warns above this quantum ("quantum is big"); larger shares saturate here. */
export const MAX_QUANTUM = 200000;
export const LEAF_QDISC = "fq_codel";

export const classid = (id: number): string => `1:${id.toString(16)}`;

/** Quantum from share, relative to the smallest share among the siblings, clamped. */
export function quantum(share: number, minSiblingShare: number): number {
  const q = Math.round((BASE_QUANTUM * share) / minSiblingShare);
  return Math.min(MAX_QUANTUM, Math.max(BASE_QUANTUM, q));
}

interface Shaped {
  node: Node;
  share: number;
  limit?: number;
  /** The node's own link entry (traffic classes, leaf queue). */
  own?: NetLink;
  /** HTB rate: its reserve, else the sum of its children's rates, at least the floor. */
  rate: number;
  loc: string;
  children: Shaped[];
}

/**
 * Which nodes get a class on `link`: a class that configures the link, and
 * every context that configures it or sits below a class that does (so its
 * traffic counts against that class's ceil). Others fall into 1:ffff.
 */
function shapedTree(roots: TreeNode[], link: Link): Shaped[] {
  const visit = (t: TreeNode, inherited: boolean, into: Shaped[]): void => {
    const own = t.node.net.links.find((l) => l.name === link.name);
    const shaped = own !== undefined || (t.node.kind === "context" && inherited);
    // Children first (a rate sums theirs): a shaped node collects its shaped
    // descendants; an unshaped node's join its parent's list.
    const children: Shaped[] = shaped ? [] : into;
    for (let i = 0; i < t.children.length; i++)
      visit(t.children[i]!, inherited || own !== undefined, children);
    if (!shaped) return;
    let sum = 0;
    for (let i = 0; i < children.length; i++) sum += children[i]!.rate;
    into.push({
      node: t.node,
      share: own?.share ?? 1,
      limit: own?.limit,
      ...(own ? { own } : {}),
      rate: own?.reserve ?? Math.max(RATE_FLOOR, sum),
      loc: where(own?.loc ?? t.node.loc),
      children,
    });
  };
  const top: Shaped[] = [];
  for (let i = 0; i < roots.length; i++) visit(roots[i]!, false, top);
  return top;
}

/** The smallest share in a sibling group (Infinity for none). */
function smallestShare(group: Shaped[]): number {
  let min = Infinity;
  for (let i = 0; i < group.length; i++) min = Math.min(min, group[i]!.share);
  return min;
}

function desiredLink(link: Link, roots: TreeNode[], ids: TrafficIds): DesiredLink {
  const leafOf = (q: string | undefined): string => q ?? link.qdisc ?? LEAF_QDISC;
  const top = shapedTree(roots, link);
  const classes: DesiredTcClass[] = [];
  const topRates = top.reduce((sum, s) => sum + s.rate, 0);
  const minTop = Math.min(1, smallestShare(top));
  classes.push(
    {
      classid: ROOT_CLASS,
      parent: "1:",
      rate: link.rate,
      ceil: link.rate,
      quantum: BASE_QUANTUM,
      name: "root",
      source: where(link.loc),
    },
    {
      classid: DEFAULT_CLASS,
      parent: ROOT_CLASS,
      rate: link.defaultReserve ?? Math.max(RATE_FLOOR, link.rate - topRates),
      ceil: Math.max(link.defaultReserve ?? 0, Math.min(link.defaultLimit ?? link.rate, link.rate)),
      quantum: quantum(1, minTop),
      leafQdisc: leafOf(undefined),
      name: "default",
      source: where(link.loc),
    },
  );
  const add = (group: Shaped[], parent: string, parentCeil: number, minShare: number): void => {
    for (let i = 0; i < group.length; i++) {
      const s = group[i]!;
      const id = classid(s.node.id);
      const rate = s.rate;
      const ceil = Math.max(rate, Math.min(s.limit ?? parentCeil, parentCeil));
      const c: DesiredTcClass = {
        classid: id,
        parent,
        rate,
        ceil,
        quantum: quantum(s.share, minShare),
        name: s.node.name,
        source: s.loc,
      };
      const traffic = s.node.kind === "context" ? s.own?.traffic : undefined;
      if (s.children.length === 0 && !traffic) c.leafQdisc = leafOf(s.own?.qdisc);
      classes.push(c);
      if (s.children.length > 0) add(s.children, id, ceil, smallestShare(s.children));
      if (traffic) addTraffic(s, traffic, id, rate, ceil);
    }
  };
  /**
   * A context's traffic classes (language-v2.md §3): HTB children of its
   * class, then its own leaf for the rest. rate = reserve, or a fair part
   * of what the reserves leave of the context's rate (shared by the
   * traffic without a reserve and the rest leaf), never below the floor;
   * ceil = limit, at most the context's ceil.
   */
  const addTraffic = (
    s: Shaped,
    traffic: NonNullable<NetLink["traffic"]>,
    parent: string,
    rate: number,
    ceil: number,
  ): void => {
    let reserved = 0;
    let open = 1; // the rest leaf
    for (let i = 0; i < traffic.length; i++)
      if (traffic[i]!.reserve !== undefined) reserved += traffic[i]!.reserve!;
      else open++;
    const fair = Math.max(RATE_FLOOR, Math.floor(Math.max(0, rate - reserved) / open));
    const name = s.node.name;
    for (let i = 0; i < traffic.length; i++) {
      const t = traffic[i]!;
      const r = t.reserve ?? fair;
      classes.push({
        classid: classid(ids.get(trafficKey(name, link.name, t.name))!),
        parent,
        rate: r,
        ceil: Math.max(r, Math.min(t.limit ?? ceil, ceil)),
        quantum: BASE_QUANTUM,
        prio: t.prio ?? 0,
        leafQdisc: leafOf(t.qdisc),
        name: `${name} traffic ${t.name}${t.reserve === undefined ? " (rate: a fair part of what is left)" : ""}`,
        source: where(t.loc),
      });
    }
    classes.push({
      classid: classid(ids.get(restKey(name, link.name))!),
      parent,
      rate: fair,
      ceil,
      quantum: BASE_QUANTUM,
      prio: 0,
      leafQdisc: leafOf(s.own?.qdisc),
      name: `${name} the rest (rate: a fair part of what is left)`,
      source: s.loc,
    });
  };
  add(top, ROOT_CLASS, link.rate, minTop);
  return {
    dev: link.name,
    rate: link.rate,
    handle: "1:",
    defaultClassid: DEFAULT_CLASS,
    classes,
    source: where(link.loc),
  };
}

/** One DesiredLink per host link, sorted by device name; classes parents before children. */
export function desiredLinks(
  ir: VscIr,
  roots: TreeNode[] = buildTree(ir),
  ids: TrafficIds = trafficIds(ir),
): DesiredLink[] {
  return [...ir.host.links]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((l) => desiredLink(l, roots, ids));
}

/** Classids that exist on at least one link, besides 1:fffe and 1:ffff. */
export function shapedClassids(links: DesiredLink[]): Set<string> {
  const out = new Set<string>();
  for (const l of links)
    for (const c of l.classes)
      if (c.classid !== ROOT_CLASS && c.classid !== DEFAULT_CLASS) out.add(c.classid);
  return out;
}
