/**
 * Desired ingress shaping (language-v2.md §3): per host link with a
 * host-level `ingress RATE` or a context's `ingress { }`, everything that
 * arrives on the link is redirected (ingress qdisc, u32 match-all filter,
 * mirred) to an IFB device vsc owns, whose HTB tree shapes it: a root class
 * at the ingress rate (else the link's rate), 1:ffff for packets of no
 * context, and a class 1:<id> per context with ingress, chosen by u32
 * filters on the context's addresses (destination address).
 */
import type { Link, Node, VscIr } from "../ir/types.gen.js";
import type { DesiredTcClass, Source } from "./desired.js";
import {
  BASE_QUANTUM,
  DEFAULT_CLASS,
  LEAF_QDISC,
  RATE_FLOOR,
  ROOT_CLASS,
  classid,
} from "./links.js";
import { where } from "./tree.js";

export interface DesiredIngressFilter {
  proto: "ip" | "ipv6";
  /** u32 prio: 1 for IPv4, 2 for IPv6. */
  prio: 1 | 2;
  /** `ip dst 10.0.0.41/32` / `ip6 dst fd00::41/128` */
  match: string;
  classid: string;
  name: string;
}

export interface DesiredIngress {
  /** The host link whose arriving packets are shaped. */
  link: string;
  /** The IFB device vsc creates and owns for it (see ifbName). */
  ifb: string;
  rate: number;
  /** Parents before children, as DesiredLink.classes. */
  classes: DesiredTcClass[];
  filters: DesiredIngressFilter[];
  source: Source;
}

const IFB_PREFIX = "vsc-in-";

/** FNV-1a, 32 bits. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * `vsc-in-<link>` (at most 15 bytes, IFNAMSIZ - 1), or for a link name
 * longer than 8 characters `vsc-in-<8 hex of its hash>`: always recognisably
 * vsc's, so destroy removes exactly the devices vsc made.
 */
export function ifbName(link: string): string {
  const n = IFB_PREFIX + link;
  return n.length <= 15 ? n : IFB_PREFIX + fnv1a(link).toString(16).padStart(8, "0");
}

export const isVscIfb = (dev: string): boolean => dev.startsWith(IFB_PREFIX);

export function desiredIngress(ir: VscIr): DesiredIngress[] {
  const out: DesiredIngress[] = [];
  const links = [...ir.host.links].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const link of links) {
    const users: Array<{ n: Node; reserve?: number; limit?: number; loc: string }> = [];
    for (let i = 0; i < ir.nodes.length; i++) {
      const n = ir.nodes[i]!;
      if (n.kind !== "context") continue;
      const l = n.net.links.find((x) => x.name === link.name);
      if (!l?.ingress) continue;
      users.push({
        n,
        ...(l.ingress.reserve !== undefined ? { reserve: l.ingress.reserve } : {}),
        ...(l.ingress.limit !== undefined ? { limit: l.ingress.limit } : {}),
        loc: where(l.ingress.loc ?? l.loc ?? n.loc),
      });
    }
    if (link.ingress === undefined && users.length === 0) continue;
    out.push(oneLink(link, users));
  }
  return out;
}

function oneLink(
  link: Link,
  users: Array<{ n: Node; reserve?: number; limit?: number; loc: string }>,
): DesiredIngress {
  const rate = link.ingress ?? link.rate;
  const leaf = link.qdisc ?? LEAF_QDISC;
  const src = where(link.loc);
  let reserved = 0;
  for (const u of users) reserved += u.reserve ?? RATE_FLOOR;
  const classes: DesiredTcClass[] = [
    {
      classid: ROOT_CLASS,
      parent: "1:",
      rate,
      ceil: rate,
      quantum: BASE_QUANTUM,
      name: "ingress root",
      source: src,
    },
    {
      classid: DEFAULT_CLASS,
      parent: ROOT_CLASS,
      rate: Math.max(RATE_FLOOR, rate - reserved),
      ceil: rate,
      quantum: BASE_QUANTUM,
      leafQdisc: leaf,
      name: "ingress default",
      source: src,
    },
  ];
  const filters: DesiredIngressFilter[] = [];
  for (const u of users) {
    const id = classid(u.n.id);
    const r = u.reserve ?? RATE_FLOOR;
    classes.push({
      classid: id,
      parent: ROOT_CLASS,
      rate: r,
      ceil: Math.max(r, Math.min(u.limit ?? rate, rate)),
      quantum: BASE_QUANTUM,
      leafQdisc: leaf,
      name: `${u.n.name} ingress`,
      source: u.loc,
    });
    for (const a of u.n.net.addresses)
      filters.push(
        a.family === 4
          ? {
              proto: "ip",
              prio: 1,
              match: `ip dst ${a.address}/${a.prefix}`,
              classid: id,
              name: u.n.name,
            }
          : {
              proto: "ipv6",
              prio: 2,
              match: `ip6 dst ${a.address}/${a.prefix}`,
              classid: id,
              name: u.n.name,
            },
      );
  }
  return { link: link.name, ifb: ifbName(link.name), rate, classes, filters, source: src };
}
