/**
 * The typed reading of one declaration's body, before and after templates
 * are merged in. Values are already in base units; each keeps the span it
 * was written at, so every later rule can point at the source. Specs are
 * never mutated once read: a template's spec is shared by all its users.
 */
import type { Span } from "../diag/diagnostic.js";
import type { ParsedCidr } from "./addresses.js";

/** One written value, where it was written, and the declaration (template or node) it came from. */
export class Field<T> {
  constructor(
    readonly value: T,
    /** The value itself (`25%`). */
    readonly span: Span,
    /** The whole statement (`reserve 25%`). */
    readonly stmt: Span,
    /** Name of the declaration that wrote it. */
    readonly owner: string,
  ) {}
}

/** `max` means "no limit" (the kernel default). */
export type Limit = number | "max";

/** `loc` marks that the block was written at all (its span: `cpu { ... }`). */
interface BlockSpec {
  loc?: Field<null>;
}

export type Cores = { count: number } | { cpus: number[] };

export interface CpuSpec extends BlockSpec {
  share?: Field<number>;
  reserve?: Field<number>;
  limit?: Field<number>;
  burst?: Field<number>;
  cores?: Field<Cores>;
  /** Shared cpuset (sorted cpu numbers). */
  cpus?: Field<number[]>;
}

export interface MemorySpec extends BlockSpec {
  reserve?: Field<number>;
  low?: Field<number>;
  high?: Field<Limit>;
  limit?: Field<Limit>;
  swap?: Field<Limit>;
  oom?: Field<"group">;
}

export interface PidsSpec extends BlockSpec {
  limit?: Field<Limit>;
}

export interface IoDeviceSpec extends BlockSpec {
  read?: Field<Limit>;
  write?: Field<Limit>;
  riops?: Field<Limit>;
  wiops?: Field<Limit>;
}

export interface IoSpec extends BlockSpec {
  share?: Field<number>;
  /** By device name; a null-prototype record (names like "constructor" are legal). */
  device: Record<string, IoDeviceSpec>;
}

export interface NetLinkSpec extends BlockSpec {
  share?: Field<number>;
  reserve?: Field<number>;
  limit?: Field<Limit>;
  /** The leaf queue of the node's own class (language-v2.md §3). */
  qdisc?: Field<Qdisc>;
  /** `traffic NAME { ... }` in source order (a context's templates' first). */
  traffic?: Field<TrafficSpec>[];
  /** `ingress { reserve  limit }`: shaped on the link's IFB device by destination address. */
  ingress?: Field<IngressSpec>;
}

/** Leaf queues vsc writes (language-v2.md §3); fq_codel is the default. */
export const QDISCS = ["fq_codel", "sfq", "pfifo", "cake"] as const;
export type Qdisc = (typeof QDISCS)[number];

/** One alternative of a `match`: the peer/port part of `allow`, destinations only. */
export interface MatchSpec {
  proto: RuleSpec["proto"];
  peers: PeerSpec[];
  /** Destinations by name (`to context NAME`, `to class NAME`), resolved by check/peers.ts. */
  named: NamedPeerSpec[];
  except: PeerSpec[];
  ports: PortSpec[];
  span: Span;
}

export interface TrafficSpec {
  name: string;
  nameSpan: Span;
  /** Alternatives of every `match` in the block, in order; none: the class takes nothing. */
  matches: MatchSpec[];
  reserve?: Field<number>;
  limit?: Field<Limit>;
  prio?: Field<number>;
  qdisc?: Field<Qdisc>;
}

export interface IngressSpec {
  reserve?: Field<number>;
  limit?: Field<Limit>;
}

export interface PortSpec {
  from: number;
  to: number;
  span: Span;
}

export interface PeerSpec {
  cidr: ParsedCidr;
  span: Span;
}

/** `context NAME` / `class NAME` as a peer (resolved in check/peers.ts). */
export interface NamedPeerSpec {
  kind: "context" | "class";
  name: string;
  span: Span;
  nameSpan: Span;
}

export interface RuleSpec {
  direction: "in" | "out";
  proto: "any" | "tcp" | "udp" | "icmp" | "icmpv6";
  peers: PeerSpec[];
  /** Peers by name, in source order. */
  named: NamedPeerSpec[];
  /** Prefixes carved out of the peers (`except`). */
  except: PeerSpec[];
  ports: PortSpec[];
}

/** `default deny|reject|allow [log]`. */
export interface NetDefault {
  action: "allow" | "deny" | "reject";
  log: boolean;
}

export interface NetSpec extends BlockSpec {
  address: Field<ParsedCidr>[];
  link: Record<string, NetLinkSpec>;
  allow: Field<RuleSpec>[];
  default?: Field<NetDefault>;
}

export interface RlimitValue {
  soft: number | "unlimited";
  hard: number | "unlimited";
}

export const RLIMIT_NAMES = [
  "as",
  "core",
  "cpu",
  "data",
  "fsize",
  "locks",
  "memlock",
  "msgqueue",
  "nice",
  "nofile",
  "nproc",
  "rss",
  "rtprio",
  "rttime",
  "sigpending",
  "stack",
] as const;
export type RlimitName = (typeof RLIMIT_NAMES)[number];

/** One optional field per rlimit name (the block's keys are the names). */
export type RlimitSpec = BlockSpec & Partial<Record<RlimitName, Field<RlimitValue>>>;

export interface SecuritySpec extends BlockSpec {
  capabilities?: Field<{ mode: "keep" | "drop" | "none"; names: string[] }>;
  user?: Field<string>;
  group?: Field<string>;
  filesystem?: Field<"read-only">;
  writable?: Field<string[]>;
  tmp?: Field<"private">;
  devices?: Field<"private">;
  syscalls?: Field<{ mode: "deny"; sets: string[] }>;
  namespaces?: Field<string[]>;
  hostname?: Field<string>;
  root?: Field<string>;
}

/** One unit named in `units` (language-v2.md §6), with where it was written. */
export interface UnitRef {
  name: string;
  span: Span;
}

export interface BodySpec {
  id?: Field<number>;
  /** `units "a.service", ...`: contexts only (read-body.ts refuses it elsewhere). */
  units?: Field<UnitRef[]>;
  cpu: CpuSpec;
  memory: MemorySpec;
  pids: PidsSpec;
  io: IoSpec;
  net: NetSpec;
  rlimit: RlimitSpec;
  security: SecuritySpec;
}

export const record = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

export function emptyBody(): BodySpec {
  return {
    cpu: {},
    memory: {},
    pids: {},
    io: { device: record() },
    net: { address: [], link: record(), allow: [] },
    rlimit: {},
    security: {},
  };
}

/**
 * `over` written on top of `base` (template semantics): a field in `over`
 * replaces `base`'s, lists (allow, address) are base's then over's, named
 * sub-blocks (link eth0, device vda) merge field by field. Pure; shares
 * unchanged parts (specs are immutable), which keeps 10k users of one
 * template cheap.
 */
export function mergeBodies(base: BodySpec, over: BodySpec): BodySpec {
  const out: BodySpec = {
    cpu: flat(base.cpu, over.cpu),
    memory: flat(base.memory, over.memory),
    pids: flat(base.pids, over.pids),
    io: flat(base.io, over.io),
    net: flat(base.net, over.net),
    rlimit: flat(base.rlimit, over.rlimit),
    security: flat(base.security, over.security),
  };
  const id = over.id ?? base.id;
  if (id) out.id = id;
  const units = over.units ?? base.units;
  if (units) out.units = units;
  if (out.io !== base.io && out.io !== over.io)
    out.io.device = named(base.io.device, over.io.device);
  if (out.net !== base.net && out.net !== over.net) {
    out.net.address = concat(base.net.address, over.net.address);
    out.net.link = named(base.net.link, over.net.link);
    // Traffic classes are a list, like allow: the template's first (language-v2.md §3).
    for (const k in over.net.link) {
      const a = base.net.link[k]?.traffic;
      const b = over.net.link[k]!.traffic;
      if (a && b && out.net.link[k] !== over.net.link[k]) out.net.link[k]!.traffic = [...a, ...b];
    }
    out.net.allow = concat(base.net.allow, over.net.allow);
  }
  return out;
}

/** A block's fields: over's win. Containers inside (records, lists) are fixed up by the caller. */
function flat<T extends BlockSpec>(a: T, b: T): T {
  if (!written(b)) return a;
  if (!written(a)) return b;
  // A plain copy loop: Object.assign with two differently shaped sources
  // takes V8's generic path, the largest single cost of merging 10k bodies.
  const out: Record<string, unknown> = {};
  for (const k in a) out[k] = a[k];
  for (const k in b) out[k] = b[k];
  return out as T;
}

function named<T extends BlockSpec>(a: Record<string, T>, b: Record<string, T>): Record<string, T> {
  if (none(b)) return a;
  if (none(a)) return b;
  const out = record<T>();
  for (const k in a) out[k] = a[k]!;
  for (const k in b) out[k] = a[k] ? flat(a[k]!, b[k]!) : b[k]!;
  return out;
}

const concat = <T>(a: T[], b: T[]): T[] => (b.length === 0 ? a : a.length === 0 ? b : [...a, ...b]);

/**
 * Whether a block was written at all. Reading a block or a named sub-block
 * sets its `loc` before any of its fields (read-body.ts), so a block without
 * `loc` holds nothing, and a record of sub-blocks holds only written ones.
 */
function written(b: BlockSpec): boolean {
  return b.loc !== undefined;
}

function none(r: Record<string, unknown>): boolean {
  for (const _ in r) return false;
  return true;
}
