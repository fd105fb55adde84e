/**
 * The nftables view model: everything ruleset.nft says, decided here; the
 * template only lays it out. See docs/artifacts.md "ruleset.nft".
 */
import type { Cidr, Node, PortRange, Rule, VscIr } from "../ir/types.gen.js";
import { commentText, nftName } from "./quote.js";
import { classid } from "./tc.js";
import { where } from "./tree.js";

export interface NftLine {
  /** Comment line above the rule (already comment-safe), or null. */
  note: string | null;
  rule: string;
}
export interface NftChain {
  name: string;
  note: string;
  lines: NftLine[];
}
export interface NftMapEntry {
  key: string;
  chain: string;
  note: string;
}
export interface NftDispatch {
  /** Rule text before the vmap, e.g. `socket cgroupv2 level 2` or `ip daddr`. */
  match: string;
  note: string;
  entries: NftMapEntry[];
}
export interface NftView {
  entry: string;
  host: string;
  outDispatch: NftDispatch[];
  inDispatch: NftDispatch[];
  chains: NftChain[];
  /** cgroup paths (relative to the mount) named by `socket cgroupv2`. */
  cgroupPaths: string[];
}

const cidr = (c: Cidr): string =>
  c.prefix === (c.family === 4 ? 32 : 128) ? c.address : `${c.address}/${c.prefix}`;
const set = (xs: string[]): string => (xs.length === 1 ? xs[0] : `{ ${xs.join(", ")} }`);
const port = (p: PortRange): string => (p.from === p.to ? `${p.from}` : `${p.from}-${p.to}`);

/** Human summary of a rule for its comment line (numbers and keywords only). */
function describe(r: Rule): string {
  const peers = r.peers.map(cidr).join(", ");
  const ports = r.ports.map(port).join(", ");
  const peer = peers ? ` ${r.direction === "in" ? "from" : "to"} ${peers}` : "";
  return `allow ${r.direction} ${r.proto}${peer}${ports ? ` port ${ports}` : ""}`;
}

/** nft rules (one per address family named by the peers) for one `allow`. */
export function allowRules(r: Rule): string[] {
  const l4 =
    r.proto === "tcp" || r.proto === "udp"
      ? r.ports.length > 0
        ? `${r.proto} dport ${set(r.ports.map(port))}`
        : `meta l4proto ${r.proto}`
      : r.proto === "icmp"
        ? "meta l4proto icmp"
        : r.proto === "icmpv6"
          ? "meta l4proto ipv6-icmp"
          : "";
  const field = r.direction === "in" ? "saddr" : "daddr";
  const v4 = r.peers.filter((p) => p.family === 4).map(cidr);
  const v6 = r.peers.filter((p) => p.family === 6).map(cidr);
  const join = (...parts: string[]) => parts.filter((p) => p !== "").join(" ");
  if (v4.length === 0 && v6.length === 0) return [join(l4, "accept")];
  const out: string[] = [];
  if (v4.length > 0) out.push(join(`ip ${field} ${set(v4)}`, l4, "accept"));
  if (v6.length > 0) out.push(join(`ip6 ${field} ${set(v6)}`, l4, "accept"));
  return out;
}

const deny = (n: Node): boolean => n.net.default === "deny";
const rulesOf = (n: Node, dir: "in" | "out") => n.net.rules.filter((r) => r.direction === dir);

/** Does this context need an output chain / an input chain? */
const needsOut = (n: Node, shaped: boolean): boolean =>
  shaped || n.net.addresses.length > 0 || deny(n) || rulesOf(n, "out").length > 0;
const needsIn = (n: Node): boolean => deny(n) || rulesOf(n, "in").length > 0;

function outChain(n: Node, shaped: boolean): NftChain {
  const lines: NftLine[] = [];
  if (shaped)
    lines.push({
      note: "tc: the HTB class of this context on every link",
      rule: `meta priority set ${classid(n.id)}`,
    });
  const a = n.net.addresses;
  if (a.length > 0) {
    const v4 = a.filter((x) => x.family === 4).map(cidr);
    const v6 = a.filter((x) => x.family === 6).map(cidr);
    const note = `source binding: only the context's own addresses (${commentText(where(a[0].loc ?? n.net.loc ?? n.loc))})`;
    lines.push({
      note,
      rule: v4.length ? `ip saddr != ${set(v4)} drop` : "meta nfproto ipv4 drop",
    });
    lines.push({
      note: null,
      rule: v6.length ? `ip6 saddr != ${set(v6)} drop` : "meta nfproto ipv6 drop",
    });
  }
  if (deny(n))
    lines.push({
      note: "replies to accepted inbound traffic",
      rule: "ct state established,related accept",
    });
  for (const r of rulesOf(n, "out"))
    allowRules(r).forEach((rule, i) =>
      lines.push({ note: i === 0 ? `${describe(r)} (${commentText(where(r.loc))})` : null, rule }),
    );
  if (deny(n))
    lines.push({ note: `default deny (${commentText(where(n.net.loc ?? n.loc))})`, rule: "drop" });
  return {
    name: `out_${n.name}`,
    note: `${n.path}: outgoing (${commentText(where(n.loc))})`,
    lines,
  };
}

function inChain(n: Node): NftChain {
  const lines: NftLine[] = [];
  if (deny(n)) {
    lines.push({
      note: "replies to accepted outgoing traffic",
      rule: "ct state established,related accept",
    });
    if (n.net.addresses.some((x) => x.family === 6))
      lines.push({
        note: "IPv6 neighbour discovery for the context's addresses",
        rule: "icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept",
      });
  }
  for (const r of rulesOf(n, "in"))
    allowRules(r).forEach((rule, i) =>
      lines.push({ note: i === 0 ? `${describe(r)} (${commentText(where(r.loc))})` : null, rule }),
    );
  if (deny(n))
    lines.push({ note: `default deny (${commentText(where(n.net.loc ?? n.loc))})`, rule: "drop" });
  return {
    name: `in_${n.name}`,
    note: `${n.path}: incoming (${commentText(where(n.loc))})`,
    lines,
  };
}

/** Group socket-dispatched contexts by cgroup level (one vmap rule per level). */
function socketDispatch(entries: { path: string; chain: string; note: string }[]): NftDispatch[] {
  const byLevel = new Map<number, NftMapEntry[]>();
  for (const e of entries) {
    const level = e.path.split("/").length;
    const list = byLevel.get(level) ?? [];
    list.push({ key: `"${nftName(e.path)}"`, chain: e.chain, note: e.note });
    byLevel.set(level, list);
  }
  return [...byLevel.keys()]
    .sort((a, b) => a - b)
    .map((level) => ({
      match: `socket cgroupv2 level ${level}`,
      note: `contexts at cgroup level ${level}`,
      entries: byLevel.get(level)!,
    }));
}

export function nftView(ir: VscIr, shapedIds: Set<string>): NftView {
  const root = ir.host.cgroupRoot;
  const chains: NftChain[] = [];
  const outs: { path: string; chain: string; note: string }[] = [];
  const insBySocket: { path: string; chain: string; note: string }[] = [];
  const in4: NftMapEntry[] = [];
  const in6: NftMapEntry[] = [];
  const paths = new Set<string>();
  for (const n of ir.nodes) {
    if (n.kind !== "context") continue;
    const path = `${root}/${n.path}`;
    const note = `${n.name} (${commentText(where(n.loc))})`;
    if (needsOut(n, shapedIds.has(classid(n.id)))) {
      const c = outChain(n, shapedIds.has(classid(n.id)));
      chains.push(c);
      outs.push({ path, chain: c.name, note });
      paths.add(path);
    }
    if (needsIn(n)) {
      const c = inChain(n);
      chains.push(c);
      if (n.net.addresses.length > 0) {
        for (const a of n.net.addresses)
          (a.family === 4 ? in4 : in6).push({ key: cidr(a), chain: c.name, note });
      } else {
        insBySocket.push({ path, chain: c.name, note });
        paths.add(path);
      }
    }
  }
  const inDispatch: NftDispatch[] = [];
  if (in4.length)
    inDispatch.push({ match: "ip daddr", note: "contexts by their IPv4 addresses", entries: in4 });
  if (in6.length)
    inDispatch.push({ match: "ip6 daddr", note: "contexts by their IPv6 addresses", entries: in6 });
  inDispatch.push(
    ...socketDispatch(insBySocket).map((d) => ({
      ...d,
      note: `${d.note} without addresses (socket lookup)`,
    })),
  );
  return {
    entry: commentText(ir.entry),
    host: commentText(ir.host.name),
    outDispatch: socketDispatch(outs),
    inDispatch,
    chains,
    cgroupPaths: [...paths].sort(),
  };
}
