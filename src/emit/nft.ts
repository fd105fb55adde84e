/**
 * The nftables view model: everything ruleset.nft says, decided here; the
 * template only lays it out. See docs/artifacts.md "ruleset.nft".
 */
import { isSystemd, nodeParts, sliceCgroupPath } from "../model/slices.js";
import type { Cidr, Loc, Match, Node, PortRange, Rule, VscIr } from "../ir/types.gen.js";
import { commentText, nftName } from "./quote.js";
import { classid } from "../model/links.js";
import { InternalError } from "../diag/internal-error.js";
import { type TrafficIds, restKey, trafficIds, trafficKey } from "../model/traffic.js";

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
/** A named interval set: the addresses contexts declared, per family. */
export interface NftSet {
  name: string;
  type: "ipv4_addr" | "ipv6_addr";
  note: string;
  /** Comma-separated elements (cidrs; nft merges overlaps with auto-merge). */
  elements: string;
}
export interface NftView {
  entry: string;
  host: string;
  sets: NftSet[];
  outDispatch: NftDispatch[];
  inDispatch: NftDispatch[];
  chains: NftChain[];
  /** cgroup paths (relative to the mount) named by `socket cgroupv2`. */
  cgroupPaths: string[];
}

const cidr = (c: Cidr): string =>
  c.prefix === (c.family === 4 ? 32 : 128) ? c.address : `${c.address}/${c.prefix}`;
/** An nft set literal from a comma-separated list of `count` elements: `{ a, b }`, or `a` alone. */
const set = (list: string, count: number): string => (count === 1 ? list : `{ ${list} }`);
const port = (p: PortRange): string => (p.from === p.to ? `${p.from}` : `${p.from}-${p.to}`);
/** What goes before the `i`th element of a comma-separated list. */
const sep = (i: number): string => (i === 0 ? "" : ", ");

// This code runs once per `vsc compile`, mostly in V8's interpreter, where
// for-of (an iterator call per element) and pushing to short-lived arrays
// cost more than an indexed loop building a string; so the per-context and
// per-rule loops below are written that way. Measured against the same loops
// as for-of, map/join and push(...made) (nftView alone, cold, CPU, fresh
// processes alternating): 1,000 contexts 19.6 against 23.2 ms (median of
// 15), 10,000 contexts 337 against 419 ms (median of 5).

/** `meta l4proto ...` / `tcp dport ...` part of an allow rule ("" for any protocol). */
function l4Match(r: Rule, ports: string): string {
  if (r.proto === "tcp" || r.proto === "udp")
    return r.ports.length > 0
      ? `${r.proto} dport ${set(ports, r.ports.length)}`
      : `meta l4proto ${r.proto}`;
  // No protocol written, but ports: tcp and udp (language-v2.md §2).
  if (r.proto === "any" && r.ports.length > 0)
    return `meta l4proto { tcp, udp } th dport ${set(ports, r.ports.length)}`;
  if (r.proto === "icmp") return "meta l4proto icmp";
  if (r.proto === "icmpv6") return "meta l4proto ipv6-icmp";
  return "";
}

/**
 * The lines of every `allow` of one direction: a comment summing the rule up
 * (numbers and keywords only), then one nft rule per address family its
 * peers name (one rule for any peer).
 */
function pushAllows(
  lines: NftLine[],
  rules: readonly Rule[],
  direction: Rule["direction"],
  w: Where,
): void {
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    if (r.direction !== direction) continue;
    // Users of one template share its IR rules (check/build-ir.ts): lay each out once.
    let made = w.allowLines.get(r);
    if (made === undefined) w.allowLines.set(r, (made = allowLines(r, w)));
    for (let j = 0; j < made.length; j++) lines.push(made[j]!);
  }
}

/** One allow rule's lines (shared by every chain that has the rule; the template only reads them). */
function allowLines(r: Rule, w: Where): NftLine[] {
  const direction = r.direction;
  let ports = "";
  for (let j = 0; j < r.ports.length; j++) ports += sep(j) + port(r.ports[j]!);
  let peers = "";
  let v4 = "";
  let v6 = "";
  let n4 = 0;
  let n6 = 0;
  for (let j = 0; j < r.peers.length; j++) {
    const p = r.peers[j]!;
    const c = cidr(p);
    peers += sep(j) + c;
    if (p.family === 4) v4 += sep(n4++) + c;
    else v6 += sep(n6++) + c;
  }
  const named = r.named ?? [];
  for (let j = 0; j < named.length; j++)
    peers += sep(r.peers.length + j) + `${named[j]!.kind} ${named[j]!.name}`;
  const except = r.except ?? [];
  let e4 = "";
  let e6 = "";
  let x4 = 0;
  let x6 = 0;
  for (let j = 0; j < except.length; j++) {
    const c = cidr(except[j]!);
    if (except[j]!.family === 4) e4 += sep(x4++) + c;
    else e6 += sep(x6++) + c;
  }
  let note = `allow ${direction} ${r.proto}`;
  if (peers !== "") note += ` ${direction === "in" ? "from" : "to"} ${peers}`;
  if (except.length > 0) note += ` except ${e4}${x4 > 0 && x6 > 0 ? ", " : ""}${e6}`;
  if (r.ports.length > 0) note += ` port ${ports}`;
  note += ` (${w.of(r.loc)})`;
  const l4 = l4Match(r, ports);
  const tail = l4 === "" ? "accept" : `${l4} accept`;
  if (r.peers.length === 0 && named.length === 0) return [{ note, rule: tail }];
  const field = direction === "in" ? "saddr" : "daddr";
  const out: NftLine[] = [];
  const push = (rule: string): void => {
    out.push({ note: out.length === 0 ? note : null, rule });
  };
  // One rule per address family and per source of peers (the written
  // addresses, then each named peer's set): nft matches one set per expression.
  const ex4 = x4 > 0 ? ` ip ${field} != ${set(e4, x4)}` : "";
  const ex6 = x6 > 0 ? ` ip6 ${field} != ${set(e6, x6)}` : "";
  if (n4 > 0) push(`ip ${field} ${set(v4, n4)}${ex4} ${tail}`);
  for (let j = 0; j < named.length; j++) {
    const s4 = w.peerSet(named[j]!.name, 4);
    if (s4 !== undefined) push(`ip ${field} @${s4}${ex4} ${tail}`);
  }
  if (n6 > 0) push(`ip6 ${field} ${set(v6, n6)}${ex6} ${tail}`);
  for (let j = 0; j < named.length; j++) {
    const s6 = w.peerSet(named[j]!.name, 6);
    if (s6 !== undefined) push(`ip6 ${field} @${s6}${ex6} ${tail}`);
  }
  return out;
}

/**
 * What a context's traffic takes from its ancestor classes (language-v2.md
 * §1): a packet is accepted if a rule of the context or of any ancestor
 * class accepts it; otherwise the nearest `default` decides (the context's
 * own, else its nearest ancestor's); with none at all it is accepted. A
 * class's rules live once in its own chains (`in_<class>`, `out_<class>`),
 * and each context's chain jumps to them: every jump starts in the
 * context's chain, so nesting stays two chains deep however deep the classes
 * go (the kernel's jump stack is 16 deep: on the development VM's 6.18, 15
 * chains each jumping to the next load, 17 are refused, "Too many links"),
 * and the ruleset grows by one jump per context and class with rules, not by
 * a copy of the class's rules per context.
 */
interface Inherited {
  /** Ancestor classes with `allow in` rules, nearest first (the chains to jump to). */
  inFrom: string[];
  /** The same for `allow out`. */
  outFrom: string[];
  /** The nearest ancestor's default, with the class that wrote it and where. */
  default?: { value: "allow" | "deny" | "reject"; log: boolean; of: string; loc: Loc };
}

const NOTHING: Inherited = { inFrom: [], outFrom: [] };

/** A context's policy: its allow rules and its ancestors', and the default that decides. */
interface Policy {
  n: Node;
  up: Inherited;
  /** The deciding default: allow (or none), deny (drop) or reject (answered). */
  decide: "allow" | "deny" | "reject";
  /** Log what reaches the default (language-v2.md §2). */
  log: boolean;
  /** Comment of the final lines: where the deciding default was written. */
  denyNote: string;
}

/** Does the chain end in a decision of its own (a drop, a reject or a log)? */
const closed = (p: Policy): boolean => p.decide !== "allow" || p.log;

function policyOf(n: Node, up: Inherited, w: Where): Policy {
  if (n.net.default !== undefined)
    return {
      n,
      up,
      decide: n.net.default,
      log: n.net.defaultLog === true,
      denyNote: `default ${n.net.default}${n.net.defaultLog ? " log" : ""} (${w.of(n.net.defaultLoc ?? n.net.loc ?? n.loc)})`,
    };
  const d = up.default;
  return {
    n,
    up,
    decide: d?.value ?? "allow",
    log: d?.log ?? false,
    denyNote: d ? `default ${d.value}${d.log ? " log" : ""} of class ${d.of} (${w.of(d.loc)})` : "",
  };
}

// nft's `log` of a default: at most 10 lines a second (bursts of 20) per
// context and direction, so a flood cannot fill the log; the counter shows
// how many were logged (`nft list chain inet vsc in_NAME`).
const LOG_LIMIT = "limit rate 10/second burst 20 packets";

/**
 * The last lines of a context's chain: log (when asked), then the decision.
 * `reject` answers as a closed port would: tcp with a reset, udp with icmp
 * port-unreachable, everything else with icmp admin-prohibited (icmpx: the
 * v4 or v6 kind, whichever the packet is).
 */
function pushDecision(lines: NftLine[], p: Policy): void {
  if (p.log)
    lines.push({
      note: `${p.denyNote}: logged, rate-limited`,
      rule: `${LOG_LIMIT} counter log prefix "vsc ${nftName(p.n.name)}: "`,
    });
  if (p.decide === "deny") lines.push({ note: p.log ? null : p.denyNote, rule: "drop" });
  else if (p.decide === "reject") {
    lines.push({ note: p.log ? null : p.denyNote, rule: "meta l4proto tcp reject with tcp reset" });
    lines.push({ note: null, rule: "meta l4proto udp reject with icmpx type port-unreachable" });
    lines.push({ note: null, rule: "reject with icmpx type admin-prohibited" });
  }
}

/** What the children of class `c` inherit: its own rules and default first, then its parent's. */
function inherit(c: Node, parent: Inherited): Inherited {
  let hasIn = false;
  let hasOut = false;
  for (let i = 0; i < c.net.rules.length; i++)
    if (c.net.rules[i]!.direction === "in") hasIn = true;
    else hasOut = true;
  const out: Inherited = {
    // Shared with the parent when this class adds nothing (no copies down long chains).
    inFrom: hasIn ? [c.name, ...parent.inFrom] : parent.inFrom,
    outFrom: hasOut ? [c.name, ...parent.outFrom] : parent.outFrom,
  };
  const d =
    c.net.default !== undefined
      ? {
          value: c.net.default,
          log: c.net.defaultLog === true,
          of: c.name,
          loc: c.net.defaultLoc ?? c.net.loc ?? c.loc,
        }
      : parent.default;
  if (d) out.default = d;
  return out;
}

/** The jumps to the allow chains of the classes above a context, for one direction. */
function pushJumps(lines: NftLine[], from: string[], prefix: "in_" | "out_"): void {
  for (let i = 0; i < from.length; i++)
    lines.push({ note: `the allow rules of class ${from[i]!}`, rule: `jump ${prefix}${from[i]!}` });
}

/**
 * `file:line` made comment-safe. A line number and `:` are always safe, so
 * only the file name needs commentText, once per file (10,000 contexts
 * share one or a few files).
 */
class Where {
  private readonly files = new Map<string, string>();
  /** Each allow rule's lines, made once per view (see pushAllows). */
  readonly allowLines = new Map<Rule, NftLine[]>();
  /** The sets of peers by name that rules use, by set name. */
  readonly peerSets = new Map<string, NftSet>();
  private byName: Map<string, Node> | undefined;
  private children: Map<string, Node[]> | undefined;
  constructor(private readonly ir: VscIr) {}
  /**
   * The name of the set holding the `family` addresses of node `name` (a
   * context's own, or every context's below a class), made on first use;
   * undefined when it has none of that family. Classes and contexts share
   * one name space, so `peer_<name>_v4` names one peer.
   */
  peerSet(name: string, family: 4 | 6): string | undefined {
    const setName = `peer_${nftName(name)}_v${family}`;
    const known = this.peerSets.get(setName);
    if (known !== undefined) return known.elements === "" ? undefined : setName;
    if (this.byName === undefined) {
      this.byName = new Map();
      this.children = new Map();
      for (const n of this.ir.nodes) {
        this.byName.set(n.name, n);
        if (n.parent !== null) {
          let list = this.children.get(n.parent);
          if (!list) this.children.set(n.parent, (list = []));
          list.push(n);
        }
      }
    }
    const node = this.byName.get(name);
    if (node === undefined) throw new InternalError(`peer ${JSON.stringify(name)} is not a node`);
    let elements = "";
    let count = 0;
    const walk = (n: Node): void => {
      if (n.kind === "context") {
        for (const a of n.net.addresses)
          if (a.family === family) elements += sep(count++) + cidr(a);
      } else for (const c of this.children!.get(n.name) ?? []) walk(c);
    };
    walk(node);
    this.peerSets.set(setName, {
      name: setName,
      type: family === 4 ? "ipv4_addr" : "ipv6_addr",
      note: `the IPv${family} addresses of ${node.kind} ${node.name}${node.kind === "class" ? " (every context below it)" : ""}, a peer by name`,
      elements,
    });
    return elements === "" ? undefined : setName;
  }
  of(loc: Loc): string {
    let f = this.files.get(loc.file);
    if (f === undefined) this.files.set(loc.file, (f = commentText(loc.file)));
    return `${f}:${loc.line}`;
  }
}

function outChain(
  p: Policy,
  shaped: string | undefined,
  at: string,
  w: Where,
  claimed: NftSet[],
  tc?: string,
): NftChain {
  const n = p.n;
  const lines: NftLine[] = [];
  if (shaped !== undefined)
    lines.push({
      note: "tc: the HTB class of this context on every link",
      rule: `meta priority set ${shaped}`,
    });
  if (shaped !== undefined && tc !== undefined)
    lines.push({ note: "tc: its traffic classes (first match wins)", rule: `jump ${tc}` });
  const a = n.net.addresses;
  if (a.length === 0) {
    // Unbound, but never with an address another context declared (configuration independence).
    for (let i = 0; i < claimed.length; i++)
      lines.push({
        note: i === 0 ? "source binding: not the addresses other contexts declared" : null,
        rule: `${claimed[i]!.type === "ipv4_addr" ? "ip" : "ip6"} saddr @${claimed[i]!.name} drop`,
      });
  } else {
    let v4 = "";
    let v6 = "";
    let n4 = 0;
    let n6 = 0;
    for (let i = 0; i < a.length; i++) {
      if (a[i]!.family === 4) v4 += sep(n4++) + cidr(a[i]!);
      else v6 += sep(n6++) + cidr(a[i]!);
    }
    const note = `source binding: only the context's own addresses (${w.of(a[0]!.loc ?? n.net.loc ?? n.loc)})`;
    lines.push({
      note,
      rule: n4 > 0 ? `ip saddr != ${set(v4, n4)} drop` : "meta nfproto ipv4 drop",
    });
    lines.push({
      note: null,
      rule: n6 > 0 ? `ip6 saddr != ${set(v6, n6)} drop` : "meta nfproto ipv6 drop",
    });
  }
  if (closed(p))
    lines.push({
      note: "replies to accepted inbound traffic",
      rule: "ct state established,related accept",
    });
  pushAllows(lines, n.net.rules, "out", w);
  pushJumps(lines, p.up.outFrom, "out_");
  pushDecision(lines, p);
  return { name: `out_${n.name}`, note: `${n.path}: outgoing (${at})`, lines };
}

/**
 * A context's traffic classes (language-v2.md §3): on each link where it
 * has some, one rule per match alternative (and address family, and for a
 * port, source and destination port) sets the traffic's class and returns,
 * so the first traffic written wins; what none matched goes to the
 * context's own leaf on that link. `oifname` keeps each link's classes to
 * that link (the priority is set before the packet leaves).
 */
function trafficChain(n: Node, ids: TrafficIds, at: string, w: Where): NftChain | undefined {
  const lines: NftLine[] = [];
  for (let i = 0; i < n.net.links.length; i++) {
    const l = n.net.links[i]!;
    if (!l.traffic || l.traffic.length === 0) continue;
    const dev = `oifname "${l.name}"`;
    for (let j = 0; j < l.traffic.length; j++) {
      const t = l.traffic[j]!;
      const set = `meta priority set ${classid(ids.get(trafficKey(n.name, l.name, t.name))!)} return`;
      let first = true;
      const note = () => {
        if (!first) return null;
        first = false;
        return `traffic ${t.name} on ${l.name} (${w.of(t.loc)})`;
      };
      for (let k = 0; k < t.matches.length; k++)
        for (const m of matchRules(t.matches[k]!, w))
          lines.push({ note: note(), rule: `${dev} ${m}${set}` });
      if (t.matches.length === 0) note();
    }
    lines.push({
      note: `the rest of ${n.name}'s packets on ${l.name}`,
      rule: `${dev} meta priority set ${classid(ids.get(restKey(n.name, l.name))!)}`,
    });
  }
  if (lines.length === 0) return undefined;
  return { name: `tc_${n.name}`, note: `${n.path}: traffic classes (${at})`, lines };
}

/**
 * The match parts (each ending in a space) one match alternative needs: per
 * address family and source of destinations (the written prefixes, then each
 * peer by name's set, the one `allow` uses: nft matches one set per
 * expression), minus its `except`s, and per port side.
 */
function matchRules(m: Match, w: Where): string[] {
  const peers: string[] = [];
  let v4 = "";
  let v6 = "";
  let n4 = 0;
  let n6 = 0;
  for (let i = 0; i < m.peers.length; i++) {
    const p = m.peers[i]!;
    if (p.family === 4) v4 += sep(n4++) + cidr(p);
    else v6 += sep(n6++) + cidr(p);
  }
  let e4 = "";
  let e6 = "";
  let x4 = 0;
  let x6 = 0;
  const except = m.except ?? [];
  for (let i = 0; i < except.length; i++) {
    const c = cidr(except[i]!);
    if (except[i]!.family === 4) e4 += sep(x4++) + c;
    else e6 += sep(x6++) + c;
  }
  const ex4 = x4 > 0 ? `ip daddr != ${set(e4, x4)} ` : "";
  const ex6 = x6 > 0 ? `ip6 daddr != ${set(e6, x6)} ` : "";
  const named = m.named ?? [];
  if (n4 > 0) peers.push(`ip daddr ${set(v4, n4)} ${ex4}`);
  for (let i = 0; i < named.length; i++) {
    const s4 = w.peerSet(named[i]!.name, 4);
    if (s4 !== undefined) peers.push(`ip daddr @${s4} ${ex4}`);
  }
  if (n6 > 0) peers.push(`ip6 daddr ${set(v6, n6)} ${ex6}`);
  for (let i = 0; i < named.length; i++) {
    const s6 = w.peerSet(named[i]!.name, 6);
    if (s6 !== undefined) peers.push(`ip6 daddr @${s6} ${ex6}`);
  }
  if (peers.length === 0 && n4 + n6 + named.length === 0) peers.push("");
  let ports = "";
  for (let j = 0; j < m.ports.length; j++) ports += sep(j) + port(m.ports[j]!);
  const l4: string[] = [];
  if ((m.proto === "tcp" || m.proto === "udp") && m.ports.length > 0) {
    // `port` is the local or the remote port, as FireQOS's `port`: a server's replies and a client's requests.
    const ps = set(ports, m.ports.length);
    l4.push(`${m.proto} dport ${ps} `, `${m.proto} sport ${ps} `);
  } else if (m.proto === "tcp" || m.proto === "udp") l4.push(`meta l4proto ${m.proto} `);
  else if (m.proto === "icmp") l4.push("meta l4proto icmp ");
  else if (m.proto === "icmpv6") l4.push("meta l4proto ipv6-icmp ");
  else l4.push("");
  const out: string[] = [];
  for (const p of peers) for (const q of l4) out.push(p + q);
  return out;
}

function inChain(p: Policy, at: string, w: Where): NftChain {
  const n = p.n;
  const lines: NftLine[] = [];
  if (closed(p)) {
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
  pushAllows(lines, n.net.rules, "in", w);
  pushJumps(lines, p.up.inFrom, "in_");
  pushDecision(lines, p);
  return { name: `in_${n.name}`, note: `${n.path}: incoming (${at})`, lines };
}

/**
 * A class's allow rules of one direction, for the contexts below it to jump
 * to: accepts only, never a drop (the default is decided in each context's
 * own chain, which may override the class's).
 */
function classChain(c: Node, direction: Rule["direction"], at: string, w: Where): NftChain {
  const lines: NftLine[] = [];
  pushAllows(lines, c.net.rules, direction, w);
  const what = direction === "in" ? "incoming" : "outgoing";
  return {
    name: `${direction}_${c.name}`,
    note: `${c.path}: class, ${what} allow rules of every context below it (${at})`,
    lines,
  };
}

/** Classes with at least one context below them (nodes come parents first, so walk backwards). */
function classesWithContexts(ir: VscIr): Set<string> {
  const out = new Set<string>();
  for (let i = ir.nodes.length - 1; i >= 0; i--) {
    const n = ir.nodes[i]!;
    if (n.parent !== null && (n.kind === "context" || out.has(n.name))) out.add(n.parent);
  }
  return out;
}

/**
 * Every address a context declared, one set per family (only families in
 * use). A context without addresses may send from any other address of the
 * host, but not from one of these: each declared address belongs to its
 * context alone, as the checker already demands between contexts.
 */
function claimedSets(ir: VscIr): NftSet[] {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const n of ir.nodes)
    if (n.kind === "context")
      for (const a of n.net.addresses) (a.family === 4 ? v4 : v6).push(cidr(a));
  const out: NftSet[] = [];
  const note =
    "addresses that belong to contexts (net.address); no other context may send from them";
  if (v4.length)
    out.push({ name: "context_addrs_v4", type: "ipv4_addr", note, elements: v4.join(", ") });
  if (v6.length)
    out.push({ name: "context_addrs_v6", type: "ipv6_addr", note, elements: v6.join(", ") });
  return out;
}

/** Number of components of a cgroup path (`a/b/c` is 3). */
function depth(path: string): number {
  let d = 1;
  for (let i = path.indexOf("/"); i >= 0; i = path.indexOf("/", i + 1)) d++;
  return d;
}

/** Group socket-dispatched contexts by cgroup level (one vmap rule per level). */
function socketDispatch(entries: { path: string; chain: string; note: string }[]): NftDispatch[] {
  const byLevel = new Map<number, NftMapEntry[]>();
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const level = depth(e.path);
    let list = byLevel.get(level);
    if (!list) byLevel.set(level, (list = []));
    list.push({ key: `"${nftName(e.path)}"`, chain: e.chain, note: e.note });
  }
  return [...byLevel.keys()]
    .sort((a, b) => a - b)
    .map((level) => ({
      match: `socket cgroupv2 level ${level}`,
      note: `contexts at cgroup level ${level}`,
      entries: byLevel.get(level)!,
    }));
}

export function nftView(
  ir: VscIr,
  shapedIds: Set<string>,
  traffic: TrafficIds = trafficIds(ir),
): NftView {
  const root = ir.host.cgroupRoot;
  const systemd = isSystemd(ir);
  const w = new Where(ir);
  const chains: NftChain[] = [];
  const outs: { path: string; chain: string; note: string }[] = [];
  const insBySocket: { path: string; chain: string; note: string }[] = [];
  const in4: NftMapEntry[] = [];
  const in6: NftMapEntry[] = [];
  const paths = new Set<string>();
  const anyUnbound = ir.nodes.some((n) => n.kind === "context" && n.net.addresses.length === 0);
  const sets = anyUnbound ? claimedSets(ir) : [];
  // What each class passes down, by name (parents come before children in the IR).
  const classes = new Map<string, Inherited>();
  const used = classesWithContexts(ir);
  for (let i = 0; i < ir.nodes.length; i++) {
    const n = ir.nodes[i]!;
    const up = n.parent === null ? NOTHING : classes.get(n.parent)!;
    if (n.kind === "class") {
      const mine = inherit(n, up);
      classes.set(n.name, mine);
      // Its chains, before the contexts that jump to them; only if some context is below.
      if (!used.has(n.name)) continue;
      const at = w.of(n.loc);
      if (mine.outFrom !== up.outFrom) chains.push(classChain(n, "out", at, w));
      if (mine.inFrom !== up.inFrom) chains.push(classChain(n, "in", at, w));
      continue;
    }
    const p = policyOf(n, up, w);
    // Under driver systemd the context's slice (vsc.slice/vsc-web.slice), where its units run too.
    const path = systemd ? sliceCgroupPath(nodeParts(ir, n)) : `${root}/${n.path}`;
    const at = w.of(n.loc);
    const note = `${n.name} (${at})`;
    const id = classid(n.id);
    const shaped = shapedIds.has(id) ? id : undefined;
    let ownOut = 0;
    for (let j = 0; j < n.net.rules.length; j++) if (n.net.rules[j]!.direction === "out") ownOut++;
    // Rules that apply to this context: its own and (one jump each) its classes'.
    const outRules = ownOut + up.outFrom.length;
    const inRules = n.net.rules.length - ownOut + up.inFrom.length;
    // Does this context need an output chain / an input chain?
    const unbound = n.net.addresses.length === 0 && sets.length > 0;
    const tc =
      shaped !== undefined && traffic.size > 0 ? trafficChain(n, traffic, at, w) : undefined;
    if (tc) chains.push(tc);
    if (
      shaped !== undefined ||
      n.net.addresses.length > 0 ||
      unbound ||
      closed(p) ||
      outRules > 0
    ) {
      const c = outChain(p, shaped, at, w, sets, tc?.name);
      chains.push(c);
      outs.push({ path, chain: c.name, note });
      paths.add(path);
    }
    if (closed(p) || inRules > 0) {
      const c = inChain(p, at, w);
      chains.push(c);
      if (n.net.addresses.length > 0) {
        for (let j = 0; j < n.net.addresses.length; j++) {
          const a = n.net.addresses[j]!;
          (a.family === 4 ? in4 : in6).push({ key: cidr(a), chain: c.name, note });
        }
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
    sets: [
      ...sets,
      ...[...w.peerSets.values()]
        .filter((x) => x.elements !== "")
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    ],
    outDispatch: socketDispatch(outs),
    inDispatch,
    chains,
    cgroupPaths: [...paths].sort(),
  };
}
