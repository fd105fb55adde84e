/**
 * Desired cgroup v2 state: one DesiredCgroup per directory vsc owns, every
 * managed file with the exact text the kernel reads back.
 */
import type { DesiredCgroup, DesiredFile } from "./desired.js";
import type { Loc, Node, VscIr } from "../ir/types.gen.js";
import { CPU_PERIOD_US, CPU_QUOTA_MIN_US } from "./cpu.js";
import { cpuList } from "./cpulist.js";
import { buildTree, where, type TreeNode } from "./tree.js";
import { cpuWeights, ioWeights } from "./weights.js";

const PAGE = 4096;

/** Bytes as the memory controller stores them: whole pages, rounded down. */
export const pageBytes = (b: number): number => Math.floor(b / PAGE) * PAGE;
const bytesOrMax = (b: number | undefined): string => (b === undefined ? "max" : `${pageBytes(b)}`);

/** cpu.max text for a millicpu limit ("max 100000" when unlimited). */
export function cpuMax(limit: number | undefined): string {
  if (limit === undefined) return `max ${CPU_PERIOD_US}`;
  const quota = Math.max(CPU_QUOTA_MIN_US, Math.floor((limit * CPU_PERIOD_US) / 1000));
  return `${quota} ${CPU_PERIOD_US}`;
}

/** Controllers vsc enables below its root (sorted); cpuset only when some context takes whole cores or shared cpus. */
export function controllers(ir: VscIr): string[] {
  const cs = ["cpu", "io", "memory", "pids"];
  if (usesCpuset(ir)) cs.push("cpuset");
  return cs.sort();
}

export const usesCores = (ir: VscIr): boolean =>
  ir.nodes.some((n) => n.kind === "context" && (n.cpu.cores?.length ?? 0) > 0);

/** cpuset is managed when a context takes whole cores or names shared cpus (`cpu.cpus`). */
export const usesCpuset = (ir: VscIr): boolean =>
  ir.nodes.some(
    (n) => n.kind === "context" && ((n.cpu.cores?.length ?? 0) > 0 || n.cpu.cpus !== undefined),
  );

/**
 * memory.oom.group is managed (written in every cgroup vsc owns, 1 or 0)
 * once some node asks for it; a configuration that never does leaves the
 * file alone, so v1 artifacts stay as they were.
 */
export const usesOomGroup = (ir: VscIr): boolean => ir.nodes.some((n) => n.memory.oomGroup);

interface Effective {
  /** memory.min / memory.low as written (bytes, page-rounded). */
  min: number;
  low: number;
  /** Whole cores reserved by contexts in the subtree. */
  cores: number[];
}

/**
 * Protections propagate only as far as every ancestor allows, so a class
 * without its own memory.reserve/low protects the sum of its children's
 * (the same rule admission uses for reservations).
 */
function effective(roots: TreeNode[]): Map<string, Effective> {
  const out = new Map<string, Effective>();
  const visit = (t: TreeNode): Effective => {
    let min = 0;
    let low = 0;
    const cores = [...(t.node.cpu.cores ?? [])];
    for (let i = 0; i < t.children.length; i++) {
      const e = visit(t.children[i]!);
      min += e.min;
      low += e.low;
      if (e.cores.length > 0) cores.push(...e.cores);
    }
    const m = t.node.memory;
    const e: Effective = {
      min: m.reserve !== undefined ? pageBytes(m.reserve) : t.node.kind === "class" ? min : 0,
      low: m.low !== undefined ? pageBytes(m.low) : t.node.kind === "class" ? low : 0,
      cores: cores.length > 1 ? cores.sort((a, b) => a - b) : cores,
    };
    out.set(t.node.name, e);
    return e;
  };
  for (let i = 0; i < roots.length; i++) visit(roots[i]!);
  return out;
}

/**
 * A managed file; `source` is `file:line` of the block that sets it. (One
 * object literal per shape: adding properties one by one is slower cold.)
 */
const file = (name: string, value: string, source?: string): DesiredFile =>
  source === undefined ? { name, value } : { name, value, source };
const src = (loc: Loc | undefined): string | undefined => (loc ? where(loc) : undefined);

/** A device's number, for sorting io.max lines the way the kernel lists them. */
const devNumber = (d: { major: number; minor: number }): number => d.major * 1048576 + d.minor;

/** The io.max line that lifts every limit of a device. */
const unlimited = (d: { major: number; minor: number }): string =>
  `${d.major}:${d.minor} rbps=max wbps=max riops=max wiops=max`;

/** The lines of a device number -> line map, by device number. */
const byNumber = (m: Map<number, string>): string[] =>
  [...m].sort((a, b) => a[0] - b[0]).map((e) => e[1]);

/** Every host disk's io.max reset line, by device number. */
const hostResets = (ir: VscIr): string[] =>
  byNumber(new Map(ir.host.disks.map((d) => [devNumber(d), unlimited(d)])));

/**
 * io.max: kernel lines for limited devices; `writes` also resets every other
 * host disk. `resets` is the writes of a cgroup that limits no device (every
 * host disk's reset line, by device number), shared by all such cgroups.
 */
function ioMax(ir: VscIr, n: Node, resets: string[]): DesiredFile {
  const f = (v: number | undefined) => (v === undefined ? "max" : `${v}`);
  const source = src(n.io.devices[0]?.loc ?? n.io.loc);
  if (n.io.devices.length === 0) return ioFile("", source, resets);
  const lines = new Map<number, string>();
  for (const d of n.io.devices) {
    if (
      d.rbps === undefined &&
      d.wbps === undefined &&
      d.riops === undefined &&
      d.wiops === undefined
    )
      continue;
    lines.set(
      devNumber(d),
      `${d.major}:${d.minor} rbps=${f(d.rbps)} wbps=${f(d.wbps)} riops=${f(d.riops)} wiops=${f(d.wiops)}`,
    );
  }
  if (lines.size === 0) return ioFile("", source, resets);
  const byDevice = new Map(ir.host.disks.map((d) => [devNumber(d), unlimited(d)]));
  for (const [dev, line] of lines) byDevice.set(dev, line);
  return ioFile(byNumber(lines).join("\n"), source, byNumber(byDevice));
}

/** io.max, whose value is written as separate `writes`. */
const ioFile = (value: string, source: string | undefined, writes: string[]): DesiredFile =>
  source === undefined
    ? { name: "io.max", value, writes }
    : { name: "io.max", value, writes, source };

/** Every cgroup vsc owns, parents before children, with every managed file in write order. */
export function desiredCgroups(ir: VscIr, roots: TreeNode[] = buildTree(ir)): DesiredCgroup[] {
  const eff = effective(roots);
  // Verified by the checker (src/check/cpu-guarantee.ts) for this very IR.
  const weights = cpuWeights(ir);
  const io = ioWeights(roots);
  const cpuset = usesCpuset(ir);
  const oomGroup = usesOomGroup(ir);
  const ctl = controllers(ir);
  const rootPath = ir.host.cgroupRoot;
  const reserved = new Set(roots.flatMap((t) => eff.get(t.node.name)!.cores));
  const hostCpus = Math.floor(ir.host.millicpus / 1000);
  const shared = Array.from({ length: hostCpus }, (_, i) => i).filter((c) => !reserved.has(c));

  const rootFiles: DesiredFile[] = [];
  rootFiles.push(
    file("memory.min", `${roots.reduce((s, t) => s + eff.get(t.node.name)!.min, 0)}`),
    file("memory.low", `${roots.reduce((s, t) => s + eff.get(t.node.name)!.low, 0)}`),
  );
  const out: DesiredCgroup[] = [
    {
      path: rootPath,
      kind: "root",
      name: rootPath,
      subtreeControl: ctl,
      files: rootFiles,
      source: where(ir.host.loc),
    },
  ];

  const resets = hostResets(ir);

  const visit = (t: TreeNode): void => {
    const n = t.node;
    const e = eff.get(n.name)!;
    const cpu = src(n.cpu.loc);
    const files: DesiredFile[] = [
      file("cpu.weight", `${weights.get(n.name)}`, cpu),
      file("cpu.max", cpuMax(n.cpu.limit), cpu),
      file("cpu.max.burst", `${n.cpu.burst ?? 0}`, cpu),
    ];
    if (cpuset) files.push(cpusetFile(n, e.cores, shared, cpu));
    const m = n.memory;
    const mem = src(m.loc);
    files.push(
      file("memory.min", `${e.min}`, mem),
      file("memory.low", `${e.low}`, mem),
      file("memory.high", bytesOrMax(m.high), mem),
      file("memory.max", bytesOrMax(m.limit), mem),
      file("memory.swap.max", bytesOrMax(m.swap), mem),
    );
    if (oomGroup) files.push(file("memory.oom.group", m.oomGroup ? "1" : "0", mem));
    files.push(
      file("pids.max", n.pids.limit === undefined ? "max" : `${n.pids.limit}`, src(n.pids.loc)),
      file("io.weight", `default ${io.get(n.name)}`, src(n.io.loc)),
      ioMax(ir, n, resets),
    );
    out.push({
      path: `${rootPath}/${n.path}`,
      kind: n.kind,
      name: n.name,
      subtreeControl: n.kind === "class" ? ctl : [],
      files,
      source: where(n.loc),
    });
    for (let i = 0; i < t.children.length; i++) visit(t.children[i]!);
  };
  for (let i = 0; i < roots.length; i++) visit(roots[i]!);
  return out;
}

/**
 * Whole cores without cpuset partitions, so it works on every cgroup v2
 * kernel (Debian 12's 6.1 included): a context with `cpu.cores` gets exactly
 * its cores in cpuset.cpus; every other cgroup vsc owns gets the shared cpus
 * (the host's cpus minus every reserved core) plus the cores of the contexts
 * below it, so no other vsc context can run on a reserved core. Partitions
 * would also keep processes outside vsc off those cores, but on kernels
 * before 6.7 a partition needs every ancestor up to the mount to be one,
 * which would take the cores from the rest of the host (see docs/artifacts.md).
 */
function cpusetFile(
  n: Node,
  subtreeCores: number[],
  shared: number[],
  source: string | undefined,
): DesiredFile {
  const own = n.cpu.cores ?? [];
  if (n.kind === "context" && own.length > 0) return file("cpuset.cpus", cpuList(own), source);
  // Shared cpus: exactly the named ones (the checker keeps them off others' whole cores).
  if (n.kind === "context" && n.cpu.cpus !== undefined)
    return file("cpuset.cpus", n.cpu.cpus, source);
  const cpus = [...new Set([...shared, ...subtreeCores])].sort((a, b) => a - b);
  return file("cpuset.cpus", cpuList(cpus), source);
}
