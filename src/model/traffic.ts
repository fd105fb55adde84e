/**
 * Class ids of traffic classes (language-v2.md §3). A context with traffic
 * classes on a link gets one HTB class per traffic plus one for the rest of
 * its packets, all children of its own class 1:<id>. They share HTB's one
 * 16-bit minor space with the contexts and classes, so each gets a minor
 * that no node of the program uses: derived from a hash of
 * "context/link/traffic" (stable across edits that do not collide), with
 * linear probing, in sorted key order (the same program always gets the
 * same ids). The same id on every link: nftables sets `meta priority` once,
 * before routing chooses a link, and the rule names the link (`oifname`).
 */
import type { VscIr } from "../ir/types.gen.js";

export type TrafficIds = ReadonlyMap<string, number>;

export const trafficKey = (context: string, link: string, traffic: string): string =>
  `${context}/${link}/${traffic}`;
/** The key of a context's own leaf for the rest of its packets (no traffic name has a `/`). */
export const restKey = (context: string, link: string): string => `${context}/${link}/`;

/** 1..0xfffd: 0 is the qdisc, fffe the root class, ffff the default class. */
const SPACE = 0xfffd;

/** FNV-1a, 32 bits. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function trafficIds(ir: VscIr): TrafficIds {
  const keys: string[] = [];
  for (let i = 0; i < ir.nodes.length; i++) {
    const n = ir.nodes[i]!;
    if (n.kind !== "context") continue;
    for (let j = 0; j < n.net.links.length; j++) {
      const l = n.net.links[j]!;
      if (!l.traffic || l.traffic.length === 0) continue;
      for (let k = 0; k < l.traffic.length; k++)
        keys.push(trafficKey(n.name, l.name, l.traffic[k]!.name));
      keys.push(restKey(n.name, l.name));
    }
  }
  const out = new Map<string, number>();
  if (keys.length === 0) return out;
  const taken = new Set<number>();
  for (let i = 0; i < ir.nodes.length; i++) taken.add(ir.nodes[i]!.id);
  keys.sort();
  // The checker refuses more (VSC4056, src/check/traffic.ts); never loop forever on an IR made elsewhere.
  if (taken.size + keys.length > SPACE)
    throw new Error("vsc bug: more traffic classes than HTB ids");
  for (let i = 0; i < keys.length; i++) {
    let id = (fnv1a(keys[i]!) % SPACE) + 1;
    while (taken.has(id)) id = (id % SPACE) + 1;
    taken.add(id);
    out.set(keys[i]!, id);
  }
  return out;
}
