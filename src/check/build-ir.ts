/**
 * The checked program as IR (src/ir/schema.json): base units, defaults
 * applied (cpu and link share 1), absent fields left out, lists in their
 * documented order. Only called on a program without errors.
 */
import type { Span } from "../diag/diagnostic.js";
import type {
  Cidr,
  Host,
  Io,
  Loc,
  Net,
  Node,
  Rlimit,
  Rule,
  Traffic,
  Security,
  VscIr,
} from "../ir/types.gen.js";
import type { ParsedCidr } from "./addresses.js";
import type { TreeNode } from "./hierarchy.js";
import type { HostSpec } from "./read-host.js";
import {
  type CpuSpec,
  type Field,
  type TrafficSpec,
  type IoSpec,
  type Limit,
  type MemorySpec,
  type NetLinkSpec,
  type NetSpec,
  type PidsSpec,
  RLIMIT_NAMES,
  type RlimitSpec,
  type RuleSpec,
  type SecuritySpec,
} from "./spec.js";
import type { Writable } from "../ir/draft.js";
import { cpuList } from "../model/cpulist.js";

export const loc = (s: Span): Loc => ({
  file: s.file,
  line: s.line,
  col: s.col,
});

const byName = <T extends { name: string }>(a: T, b: T) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/** A limit's value for the IR: absent when unset or `max`. */
const lim = (f: Field<Limit> | undefined): number | undefined =>
  f && typeof f.value === "number" ? f.value : undefined;

/**
 * The object without its undefined entries (absent stays absent in JSON and
 * under the schema). Builds a fresh object rather than `delete`, which would
 * push V8 into slow dictionary-mode objects on 10k nodes.
 */
function defined<T extends object>(o: T): T {
  const out = {} as Record<string, unknown>;
  for (const k in o) if (o[k] !== undefined) out[k] = o[k];
  return out as T;
}

export function buildHost(h: HostSpec): Host {
  const overbook: Writable<Host["overbook"]> = {};
  if (h.overbookCpu) overbook.cpu = h.overbookCpu.value;
  if (h.overbookMemory) overbook.memory = h.overbookMemory.value;
  return {
    name: h.name,
    millicpus: h.millicpus!.value,
    memory: h.memory!.value,
    disks: [...h.disks]
      .map(([name, d]) => ({
        name,
        major: d.major,
        minor: d.minor,
        loc: loc(d.span),
      }))
      .sort(byName),
    links: [...h.links].map(([name, l]) => buildHostLink(name, l)).sort(byName),
    keep: {
      millicpus: h.keepCpu?.value ?? 0,
      memory: h.keepMemory?.value ?? 0,
    },
    overbook,
    cgroupRoot: h.cgroupRoot,
    // Only when written, so v1 files keep their plan.json byte for byte.
    ...(h.driver ? { driver: h.driver.value } : {}),
    loc: loc(h.decl.name.span),
  };
}

/**
 * Builds the IR's nodes. What several nodes take from one written source (a
 * template's block, allow rule or link, unchanged by the node) becomes one
 * shared IR value: the IR is read-only once built, the bytes of plan.json
 * are the same, and 1,000 users of a template no longer cost 1,000 copies
 * of its rules to build, to keep alive and to render.
 */
export function nodeBuilder(
  host: HostSpec,
): (n: TreeNode, id: number, cores: number[] | undefined) => Node {
  const memo = new Map<object, unknown>();
  const once = <K extends object, V, A = undefined>(
    key: K,
    make: (k: K, a: A) => V,
    arg?: A,
  ): V => {
    let v = memo.get(key) as V | undefined;
    if (v === undefined) memo.set(key, (v = make(key, arg as A)));
    return v;
  };
  const io = (spec: IoSpec) => buildIo(spec, host);
  const rule = (f: Field<RuleSpec>) => once(f, buildRule);
  const link = (l: NetLinkSpec, name: string) => once(l, buildLink, name);
  return (n, id, cores) => {
    const b = n.body;
    const node: Writable<Node> = {
      kind: n.kind,
      name: n.name,
      path: n.path,
      parent: n.parent?.name ?? null,
      depth: n.depth,
      id,
      loc: loc(n.decl.name.span),
      cpu: cores && cores.length > 0 ? buildCpu(b.cpu, cores) : once(b.cpu, buildCpu),
      memory: once(b.memory, buildMemory),
      pids: once(b.pids, buildPids),
      io: once(b.io, io),
      net: buildNet(b.net, rule, link),
      rlimits: once(b.rlimit, buildRlimits),
      security: once(b.security, buildSecurity),
    };
    if (b.units && n.kind === "context") node.units = b.units.value.map((u) => u.name);
    return node;
  };
}

// The builders below set each present field in the schema's order (the order
// plan.json shows), on one object: no spreads or copies, which cost the most
// in the first (not yet optimised) run of a process.

function buildCpu(c: CpuSpec, cores?: number[]): Node["cpu"] {
  const out: Writable<Node["cpu"]> = { share: c.share?.value ?? 1 };
  if (c.reserve) out.reserve = c.reserve.value;
  if (c.limit) out.limit = c.limit.value;
  if (c.burst) out.burst = c.burst.value;
  if (cores && cores.length > 0) out.cores = cores;
  if (c.cpus) out.cpus = cpuList(c.cpus.value);
  if (c.loc) out.loc = loc(c.loc.stmt);
  return out;
}

function buildMemory(m: MemorySpec): Node["memory"] {
  const out: Writable<Node["memory"]> = {};
  if (m.reserve) out.reserve = m.reserve.value;
  if (m.low) out.low = m.low.value;
  const high = lim(m.high);
  if (high !== undefined) out.high = high;
  const limit = lim(m.limit);
  if (limit !== undefined) out.limit = limit;
  const swap = lim(m.swap);
  if (swap !== undefined) out.swap = swap;
  if (m.oom) out.oomGroup = true;
  if (m.loc) out.loc = loc(m.loc.stmt);
  return out;
}

function buildPids(p: PidsSpec): Node["pids"] {
  const out: Writable<Node["pids"]> = {};
  const limit = lim(p.limit);
  if (limit !== undefined) out.limit = limit;
  if (p.loc) out.loc = loc(p.loc.stmt);
  return out;
}

function buildIo(io: IoSpec, host: HostSpec): Io {
  const devices: Writable<Io["devices"]> = [];
  const names = Object.keys(io.device).sort();
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const d = io.device[name]!;
    const disk = host.disks.get(name);
    if (!disk) continue;
    devices.push(
      defined({
        name,
        major: disk.major,
        minor: disk.minor,
        rbps: lim(d.read),
        wbps: lim(d.write),
        riops: lim(d.riops),
        wiops: lim(d.wiops),
        loc: loc(d.loc!.stmt),
      }),
    );
  }
  const out: Writable<Io> = io.share ? { share: io.share.value, devices } : { devices };
  if (io.loc) out.loc = loc(io.loc.stmt);
  return out;
}

function cidr(c: ParsedCidr, span: Span): Cidr {
  return { family: c.family, address: c.address, prefix: c.prefix, loc: loc(span) };
}

/** A link's IR entry (a link spec lives under one name only, so it can be shared by its spec). */
function buildLink(l: NetLinkSpec, name: string): Net["links"][number] {
  const link: Writable<Net["links"][number]> = { name, share: l.share?.value ?? 1 };
  const reserve = l.reserve?.value;
  if (reserve !== undefined && reserve !== 0) link.reserve = reserve;
  const limit = lim(l.limit);
  if (limit !== undefined) link.limit = limit;
  if (l.qdisc) link.qdisc = l.qdisc.value;
  if (l.traffic && l.traffic.length > 0) link.traffic = l.traffic.map(buildTraffic);
  if (l.ingress) {
    const ing: Writable<NonNullable<Net["links"][number]["ingress"]>> = {};
    const r = l.ingress.value.reserve?.value;
    if (r !== undefined && r > 0) ing.reserve = r;
    const il = lim(l.ingress.value.limit);
    if (il !== undefined) ing.limit = il;
    ing.loc = loc(l.ingress.stmt);
    link.ingress = ing;
  }
  if (l.loc) link.loc = loc(l.loc.stmt);
  return link;
}

/** One traffic class (language-v2.md §3). */
function buildTraffic(f: Field<TrafficSpec>): Traffic {
  const t = f.value;
  const out: Omit<Writable<Traffic>, "loc"> & { loc?: Traffic["loc"] } = {
    name: t.name,
    matches: t.matches.map((m) => ({
      proto: m.proto,
      peers: m.peers.map((p) => cidr(p.cidr, p.span)),
      ...(m.named.length > 0
        ? { named: m.named.map((p) => ({ kind: p.kind, name: p.name })) }
        : {}),
      ...(m.except.length > 0 ? { except: m.except.map((p) => cidr(p.cidr, p.span)) } : {}),
      ports: m.ports.map((p) => ({ from: p.from, to: p.to })),
      loc: loc(m.span),
    })),
  };
  const r = t.reserve?.value;
  if (r !== undefined && r > 0) out.reserve = r;
  const l = lim(t.limit);
  if (l !== undefined) out.limit = l;
  if (t.prio) out.prio = t.prio.value;
  if (t.qdisc) out.qdisc = t.qdisc.value;
  out.loc = loc(f.stmt);
  return out as Traffic;
}

/** A host link; the §3 fields only when written (v1 plan.json keeps its bytes). */
function buildHostLink(
  name: string,
  l: HostSpec["links"] extends Map<string, infer L> ? L : never,
): Host["links"][number] {
  const out: Omit<Writable<Host["links"][number]>, "loc"> & { loc?: Host["links"][number]["loc"] } =
    { name, rate: l.rate };
  if (l.defaultReserve && l.defaultReserve.value > 0) out.defaultReserve = l.defaultReserve.value;
  const dl = lim(l.defaultLimit);
  if (dl !== undefined) out.defaultLimit = dl;
  if (l.qdisc) out.qdisc = l.qdisc.value;
  if (l.ingress) out.ingress = l.ingress.value;
  out.loc = loc(l.span);
  return out as Host["links"][number];
}

function buildRule(f: Field<RuleSpec>): Rule {
  const r: Writable<Rule> = {
    direction: f.value.direction,
    proto: f.value.proto,
    peers: f.value.peers.map((p) => cidr(p.cidr, p.span)),
    ports: f.value.ports.map((p) => ({ from: p.from, to: p.to })),
    loc: loc(f.stmt),
  };
  // Absent when unused, so v1 plans keep their bytes.
  if (f.value.named.length > 0)
    r.named = f.value.named.map((p) => ({ kind: p.kind, name: p.name }));
  if (f.value.except.length > 0) r.except = f.value.except.map((p) => cidr(p.cidr, p.span));
  return r;
}

function buildNet(
  net: NetSpec,
  rule: (f: Field<RuleSpec>) => Rule,
  link: (l: NetLinkSpec, name: string) => Net["links"][number],
): Net {
  // The same address twice (template and context) is one address.
  const seen = new Set<string>();
  const addresses: Cidr[] = [];
  for (let i = 0; i < net.address.length; i++) {
    const f = net.address[i]!;
    const key = `${f.value.address}/${f.value.prefix}`;
    if (seen.has(key)) continue;
    seen.add(key);
    addresses.push(cidr(f.value, f.span));
  }
  const links: Writable<Net["links"]> = [];
  const linkNames = Object.keys(net.link).sort();
  for (let i = 0; i < linkNames.length; i++) {
    const name = linkNames[i]!;
    links.push(link(net.link[name]!, name));
  }
  const rules: Rule[] = [];
  for (let i = 0; i < net.allow.length; i++) rules.push(rule(net.allow[i]!));
  const out: Writable<Net> = { addresses, links, rules };
  if (net.default) {
    out.default = net.default.value.action;
    out.defaultLoc = loc(net.default.stmt);
    if (net.default.value.log) out.defaultLog = true;
  }
  if (net.loc) out.loc = loc(net.loc.stmt);
  return out;
}

function buildRlimits(r: RlimitSpec): Rlimit[] {
  const out: Rlimit[] = [];
  for (let i = 0; i < RLIMIT_NAMES.length; i++) {
    const name = RLIMIT_NAMES[i]!;
    const f = r[name];
    if (f)
      out.push({
        name,
        soft: f.value.soft,
        hard: f.value.hard,
        loc: loc(f.stmt),
      });
  }
  return out;
}

function buildSecurity(s: SecuritySpec): Security {
  return defined({
    capabilities: s.capabilities && {
      mode: s.capabilities.value.mode,
      names: s.capabilities.value.names,
    },
    namespaces: (s.namespaces?.value ?? []) as Security["namespaces"],
    hostname: s.hostname?.value,
    root: s.root?.value,
    user: s.user?.value,
    group: s.group?.value,
    filesystem: s.filesystem && { mode: s.filesystem.value, writable: s.writable?.value ?? [] },
    tmp: s.tmp?.value,
    devices: s.devices?.value,
    syscalls: s.syscalls && { mode: s.syscalls.value.mode, sets: s.syscalls.value.sets },
    ...(s.loc ? { loc: loc(s.loc.stmt) } : {}),
  });
}

export function buildIr(entry: string, host: Host, nodes: Node[]): VscIr {
  return { version: 1, entry, host, nodes };
}
