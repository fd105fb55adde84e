/**
 * Desired ingress shaping (language-v2.md §3): per host link with a
 * host-level `ingress RATE` or a context's `ingress { }`, everything that
 * arrives on the link is redirected (ingress qdisc, u32 match-all filter,
 * mirred) to an IFB device vsc owns, whose HTB tree shapes it: a root class
 * at the ingress rate (else the link's rate), 1:ffff for packets of no
 * context, and a class 1:<id> per context with ingress, chosen by a u32
 * filter (prio = the context's id) on the context's addresses (destination
 * address).
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

/**
 * The u32 filter of one context on the IFB device: prio = the context's id
 * (so each context's filter is its own tc object, added and removed
 * whole), one u32 node per address. `protocol all` with the IP version
 * nibble as the first key: one filter holds a context's IPv4 and IPv6
 * addresses alike.
 */
export interface DesiredIngressFilter {
  /** u32 prio: the context's id, the minor of its class (1..0xfeff). */
  prio: number;
  classid: string;
  name: string;
  /** As tc.batch writes them: `ip dst 10.0.0.41/32`, `ip6 dst fd00::41/128`, one per address. */
  matches: string[];
  /** As tc reads them back (see u32Node), one per address, sorted: what the applier compares. */
  nodes: string[];
}

/**
 * The keys of one u32 node matching destination `address/prefix`, as tc
 * prints them ("value/mask@offset", 8 hex digits, offsets from the network
 * header): the IP version nibble at 0, then the destination (IPv4 at 16,
 * IPv6 in four words from 24; words with no prefix bits are left out, as tc
 * does).
 */
export function u32Node(family: 4 | 6, address: string, prefix: number): string {
  const keys = [`${family === 4 ? "4" : "6"}0000000/f0000000@0`];
  const words = family === 4 ? [ipv4Word(address)] : ipv6Words(address);
  const base = family === 4 ? 16 : 24;
  for (let i = 0; i < words.length; i++) {
    const bits = Math.max(0, Math.min(32, prefix - 32 * i));
    if (bits === 0) continue;
    const mask = bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
    const value = (words[i]! & mask) >>> 0;
    keys.push(`${hex8(value)}/${hex8(mask)}@${base + 4 * i}`);
  }
  return keys.join(" ");
}

const hex8 = (n: number) => n.toString(16).padStart(8, "0");

function ipv4Word(a: string): number {
  return a.split(".").reduce((v, o) => (v * 256 + Number(o)) >>> 0, 0);
}

/** Four 32-bit words of a canonical IPv6 address (the checker's form: `::` at most once, no IPv4 tail). */
function ipv6Words(text: string): number[] {
  let a = text;
  const dot = a.lastIndexOf(".");
  if (dot >= 0) {
    // An IPv4 tail (::ffff:10.0.0.1) is the last two groups.
    const colon = a.lastIndexOf(":");
    const w = ipv4Word(a.slice(colon + 1));
    a = `${a.slice(0, colon + 1)}${(w >>> 16).toString(16)}:${(w & 0xffff).toString(16)}`;
  }
  let groups: string[];
  if (a.includes("::")) {
    const [h, t] = a.split("::") as [string, string];
    const head = h === "" ? [] : h.split(":");
    const tail = t === "" ? [] : t.split(":");
    groups = [...head, ...Array(8 - head.length - tail.length).fill("0"), ...tail];
  } else groups = a.split(":");
  const g = groups.map((x) => parseInt(x, 16) || 0);
  return [0, 1, 2, 3].map((i) => ((g[2 * i]! << 16) | g[2 * i + 1]!) >>> 0);
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

/**
 * The alias (ifalias) vsc gives its IFB devices: with the name, what tells
 * a device vsc made from one someone else named like it. Plain characters
 * only (link names are checked; `ip -batch` splits words on spaces).
 */
export const ifbAlias = (link: string): string => `vsc:ingress:${link}`;

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
    const addrs = u.n.net.addresses;
    if (addrs.length === 0) continue; // the checker refuses it (VSC4052)
    filters.push({
      prio: u.n.id,
      classid: id,
      name: u.n.name,
      matches: addrs.map((a) => `${a.family === 4 ? "ip" : "ip6"} dst ${a.address}/${a.prefix}`),
      nodes: addrs.map((a) => u32Node(a.family, a.address, a.prefix)).sort(),
    });
  }
  return { link: link.name, ifb: ifbName(link.name), rate, classes, filters, source: src };
}
