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
  Security,
  VscIr,
} from "../ir/types.gen.js";
import { formatAddress } from "./addresses.js";
import type { TreeNode } from "./hierarchy.js";
import type { HostSpec } from "./read-host.js";
import { type Field, type Limit, RLIMIT_NAMES } from "./spec.js";

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
  const overbook: Host["overbook"] = {};
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
    links: [...h.links].map(([name, l]) => ({ name, rate: l.rate, loc: loc(l.span) })).sort(byName),
    keep: {
      millicpus: h.keepCpu?.value ?? 0,
      memory: h.keepMemory?.value ?? 0,
    },
    overbook,
    cgroupRoot: h.cgroupRoot,
    loc: loc(h.decl.name.span),
  };
}

export function buildNode(
  n: TreeNode,
  id: number,
  cores: number[] | undefined,
  host: HostSpec,
): Node {
  const b = n.body;
  const blockLoc = (f: Field<null> | undefined) => (f ? { loc: loc(f.stmt) } : {});
  return {
    kind: n.kind,
    name: n.name,
    path: n.path,
    parent: n.parent?.name ?? null,
    depth: n.depth,
    id,
    loc: loc(n.decl.name.span),
    cpu: defined({
      share: b.cpu.share?.value ?? 1,
      reserve: b.cpu.reserve?.value,
      limit: b.cpu.limit?.value,
      burst: b.cpu.burst?.value,
      ...(cores && cores.length > 0 ? { cores } : {}),
      ...blockLoc(b.cpu.loc),
    }),
    memory: defined({
      reserve: b.memory.reserve?.value,
      low: b.memory.low?.value,
      high: lim(b.memory.high),
      limit: lim(b.memory.limit),
      swap: lim(b.memory.swap),
      ...blockLoc(b.memory.loc),
    }),
    pids: defined({ limit: lim(b.pids.limit), ...blockLoc(b.pids.loc) }),
    io: buildIo(n, host),
    net: buildNet(n),
    rlimits: buildRlimits(n),
    security: buildSecurity(n),
  };
}

function buildIo(n: TreeNode, host: HostSpec): Io {
  const io = n.body.io;
  const devices = Object.keys(io.device)
    .sort()
    .flatMap((name) => {
      const d = io.device[name]!;
      const disk = host.disks.get(name);
      if (!disk) return [];
      return [
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
      ];
    });
  return defined({
    share: io.share?.value,
    devices,
    ...(io.loc ? { loc: loc(io.loc.stmt) } : {}),
  });
}

function cidr(c: { family: 4 | 6; net: bigint; prefix: number }, span: Span): Cidr {
  return {
    family: c.family,
    address: formatAddress(c.family, c.net),
    prefix: c.prefix,
    loc: loc(span),
  };
}

function buildNet(n: TreeNode): Net {
  const net = n.body.net;
  // The same address twice (template and context) is one address.
  const seen = new Set<string>();
  const addresses: Cidr[] = [];
  for (const f of net.address) {
    const c = cidr(f.value, f.span);
    const key = `${c.address}/${c.prefix}`;
    if (seen.has(key)) continue;
    seen.add(key);
    addresses.push(c);
  }
  const links = Object.keys(net.link)
    .sort()
    .map((name) => {
      const l = net.link[name]!;
      const reserve = l.reserve?.value;
      return defined({
        name,
        share: l.share?.value ?? 1,
        reserve: reserve === 0 ? undefined : reserve,
        limit: lim(l.limit),
        ...(l.loc ? { loc: loc(l.loc.stmt) } : {}),
      });
    });
  const rules: Rule[] = net.allow.map((f) => ({
    direction: f.value.direction,
    proto: f.value.proto,
    peers: f.value.peers.map((p) => cidr(p.cidr, p.span)),
    ports: f.value.ports.map((p) => ({ from: p.from, to: p.to })),
    loc: loc(f.stmt),
  }));
  return defined({
    addresses,
    links,
    rules,
    default: net.default?.value,
    ...(net.loc ? { loc: loc(net.loc.stmt) } : {}),
  });
}

function buildRlimits(n: TreeNode): Rlimit[] {
  const out: Rlimit[] = [];
  for (const name of RLIMIT_NAMES) {
    const f = n.body.rlimit[name];
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

function buildSecurity(n: TreeNode): Security {
  const s = n.body.security;
  return defined({
    capabilities: s.capabilities && {
      mode: s.capabilities.value.mode,
      names: s.capabilities.value.names,
    },
    namespaces: (s.namespaces?.value ?? []) as Security["namespaces"],
    hostname: s.hostname?.value,
    root: s.root?.value,
    ...(s.loc ? { loc: loc(s.loc.stmt) } : {}),
  });
}

export function buildIr(entry: string, host: Host, nodes: Node[]): VscIr {
  return { version: 1, entry, host, nodes };
}
