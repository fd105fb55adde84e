/**
 * The systemd driver's desired state (language-v2.md §6, docs/systemd.md):
 * slice names as systemd spells them, the cgroup paths systemd gives them,
 * and each slice's resource directives, computed from the same desired
 * cgroup values that cgroup.sh writes (so both drivers mean the same).
 */
import type { DesiredCgroup, DesiredFile } from "./desired.js";
import type { Node, Security, VscIr } from "../ir/types.gen.js";
import { where } from "./tree.js";

/** systemd-escape (without --path): `[A-Za-z0-9:_.]` stay, `/` becomes `-`, all else `\xNN` per byte; a leading `.` too. */
export function systemdEscape(s: string): string {
  let out = "";
  const bytes = Buffer.from(s, "utf8");
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const c = String.fromCharCode(b);
    if (c === "/") out += "-";
    else if (/[A-Za-z0-9:_]/.test(c) || (c === "." && i > 0)) out += c;
    else out += `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return out;
}

/** The slice unit of a path of names: ["vsc", "web-tier", "web"] -> "vsc-web\x2dtier-web.slice". */
export function sliceUnit(parts: readonly string[]): string {
  return parts.map(systemdEscape).join("-") + ".slice";
}

/** The cgroup path (below the mount) systemd gives that slice: every prefix is a parent slice. */
export function sliceCgroupPath(parts: readonly string[]): string {
  const out: string[] = [];
  for (let i = 1; i <= parts.length; i++) out.push(sliceUnit(parts.slice(0, i)));
  return out.join("/");
}

export const rootParts = (ir: VscIr): string[] => ir.host.cgroupRoot.split("/");
export const nodeParts = (ir: VscIr, n: Pick<Node, "path">): string[] => [
  ...rootParts(ir),
  ...n.path.split("/"),
];

export const isSystemd = (ir: VscIr): boolean => ir.host.driver === "systemd";

/** Where a node's processes live below the cgroup2 mount, under the host's driver. */
export function nodeCgroupPath(ir: VscIr, n: Pick<Node, "path">): string {
  return isSystemd(ir) ? sliceCgroupPath(nodeParts(ir, n)) : `${ir.host.cgroupRoot}/${n.path}`;
}

/** One directive of a generated unit: `Key=value`, with the source line it came from. */
export interface Directive {
  key: string;
  value: string;
  source?: string;
}

export interface DesiredSlice {
  /** "vsc-shop.slice" */
  unit: string;
  /** "vsc.slice/vsc-shop.slice" */
  cgroupPath: string;
  /** The parent slice unit (absent for the root, whose parent systemd picks from its name). */
  parent?: string;
  kind: DesiredCgroup["kind"];
  name: string;
  source: string;
  directives: Directive[];
}

export interface DesiredDropIn {
  /** The listed unit, "nginx.service". */
  unit: string;
  /** The slice it moves into. */
  slice: string;
  context: string;
  /** "[Service]" etc.: the section that takes Slice= and the exec directives. */
  section: string;
  source: string;
  directives: Directive[];
}

const PERIOD = 100000;

/** cpu.max "Q 100000" -> CPUQuota= percent ("150%", "1.5%"); "" for no quota. */
export function cpuQuota(cpuMax: string): string {
  const [q, p] = cpuMax.split(" ");
  if (q === "max") return "";
  // percent = Q / P * 100, written with at most 2 decimals (systemd reads permyriad).
  const permyriad = Math.round((Number(q) * 10000) / Number(p ?? PERIOD));
  const whole = Math.floor(permyriad / 100);
  const frac = permyriad % 100;
  return frac === 0 ? `${whole}%` : `${whole}.${String(frac).padStart(2, "0").replace(/0$/, "")}%`;
}

const infinity = (v: string): string => (v === "max" ? "infinity" : v);

/** A desired cgroup's files as slice directives, in the files' order. */
export function sliceDirectives(c: DesiredCgroup): Directive[] {
  const out: Directive[] = [];
  const d = (key: string, value: string, f: DesiredFile) =>
    out.push(f.source === undefined ? { key, value } : { key, value, source: f.source });
  for (const f of c.files) {
    switch (f.name) {
      case "cpu.weight":
        d("CPUWeight", f.value, f);
        break;
      case "cpu.max":
        d("CPUQuota", cpuQuota(f.value), f);
        break;
      case "cpu.max.burst":
        // Non-zero is refused by the checker (VSC4061) under driver systemd.
        break;
      case "cpuset.cpus":
        d("AllowedCPUs", f.value, f);
        break;
      case "memory.min":
        d("MemoryMin", f.value, f);
        break;
      case "memory.low":
        d("MemoryLow", f.value, f);
        break;
      case "memory.high":
        d("MemoryHigh", infinity(f.value), f);
        break;
      case "memory.max":
        d("MemoryMax", infinity(f.value), f);
        break;
      case "memory.swap.max":
        d("MemorySwapMax", infinity(f.value), f);
        break;
      case "pids.max":
        d("TasksMax", infinity(f.value), f);
        break;
      case "io.weight":
        d("IOWeight", f.value.replace(/^default /, ""), f);
        break;
      case "io.max":
        for (const line of f.value === "" ? [] : f.value.split("\n")) {
          const [dev, ...kv] = line.split(" ");
          const keys: Record<string, string> = {
            rbps: "IOReadBandwidthMax",
            wbps: "IOWriteBandwidthMax",
            riops: "IOReadIOPSMax",
            wiops: "IOWriteIOPSMax",
          };
          for (const pair of kv) {
            const [k, v] = pair.split("=");
            if (v !== "max") d(keys[k!]!, `/dev/block/${dev} ${v}`, f);
          }
        }
        break;
      default:
        break;
    }
  }
  return out;
}

/** Every slice vsc writes, parents before children (the order of desiredCgroups). */
export function desiredSlices(ir: VscIr, cgroups: DesiredCgroup[]): DesiredSlice[] {
  const root = rootParts(ir);
  const byName = new Map(ir.nodes.map((n) => [n.name, n]));
  return cgroups.map((c) => {
    const n = c.kind === "root" ? undefined : byName.get(c.name)!;
    const parts = n ? nodeParts(ir, n) : root;
    const slice: DesiredSlice = {
      unit: sliceUnit(parts),
      cgroupPath: sliceCgroupPath(parts),
      kind: c.kind,
      name: c.name,
      source: c.source,
      directives: sliceDirectives(c),
    };
    if (parts.length > 1) slice.parent = sliceUnit(parts.slice(0, -1));
    // Shared cpus of a context (language-v2.md §4) when the model has no cpuset file for it.
    const cpus = n?.cpu.cpus;
    if (cpus !== undefined && !slice.directives.some((x) => x.key === "AllowedCPUs"))
      slice.directives.push({
        key: "AllowedCPUs",
        value: cpus,
        ...(n!.cpu.loc ? { source: where(n!.cpu.loc) } : {}),
      });
    return slice;
  });
}

const SECTION: Record<string, string> = {
  service: "Service",
  socket: "Socket",
  mount: "Mount",
  swap: "Swap",
};

const RLIMIT_KEY: Record<string, string> = {
  as: "LimitAS",
  core: "LimitCORE",
  cpu: "LimitCPU",
  data: "LimitDATA",
  fsize: "LimitFSIZE",
  locks: "LimitLOCKS",
  memlock: "LimitMEMLOCK",
  msgqueue: "LimitMSGQUEUE",
  nice: "LimitNICE",
  nofile: "LimitNOFILE",
  nproc: "LimitNPROC",
  rss: "LimitRSS",
  rtprio: "LimitRTPRIO",
  rttime: "LimitRTTIME",
  sigpending: "LimitSIGPENDING",
  stack: "LimitSTACK",
};

const NAMESPACE_KEY: Record<string, string> = {
  ipc: "PrivateIPC",
  mount: "PrivateMounts",
  net: "PrivateNetwork",
  user: "PrivateUsers",
  uts: "ProtectHostname",
};

const capName = (c: string) => `CAP_${c.toUpperCase()}`;

/**
 * A context's security and rlimits as exec directives (systemd.exec(5)),
 * used by the drop-ins of its units and by `vsc exec` (`systemd-run -p`).
 * Values are raw here; the unit-file writer quotes them.
 */
export function execDirectives(n: Node): Directive[] {
  const out: Directive[] = [];
  const s: Security = n.security;
  const src = s.loc ? where(s.loc) : undefined;
  const d = (key: string, value: string, source = src) =>
    out.push(source === undefined ? { key, value } : { key, value, source });
  const caps = s.capabilities;
  if (caps) {
    // An empty assignment resets what the unit itself says, so the set is exactly ours.
    if (caps.mode === "keep") {
      d("CapabilityBoundingSet", "");
      d("CapabilityBoundingSet", caps.names.map(capName).join(" "));
    } else if (caps.mode === "drop")
      d("CapabilityBoundingSet", "~" + caps.names.map(capName).join(" "));
    else d("CapabilityBoundingSet", "");
    d("NoNewPrivileges", "yes");
  }
  if (s.user !== undefined) d("User", s.user);
  if (s.group !== undefined) d("Group", s.group);
  if (s.filesystem) {
    d("ProtectSystem", "strict");
    if (s.filesystem.writable.length > 0) d("ReadWritePaths", s.filesystem.writable.join(" "));
  }
  if (s.tmp === "private") d("PrivateTmp", "yes");
  if (s.devices === "private") d("PrivateDevices", "yes");
  if (s.syscalls && s.syscalls.sets.length > 0)
    d("SystemCallFilter", "~" + s.syscalls.sets.join(" "));
  if (s.root !== undefined) d("RootDirectory", s.root);
  for (const ns of s.namespaces) if (NAMESPACE_KEY[ns]) d(NAMESPACE_KEY[ns]!, "yes");
  for (const r of n.rlimits) {
    const v = (x: number | string) => (x === "unlimited" ? "infinity" : `${x}`);
    d(RLIMIT_KEY[r.name]!, `${v(r.soft)}:${v(r.hard)}`, r.loc ? where(r.loc) : undefined);
  }
  return out;
}

/** One drop-in per listed unit, sorted by unit name. */
export function desiredDropIns(ir: VscIr): DesiredDropIn[] {
  const out: DesiredDropIn[] = [];
  for (const n of ir.nodes) {
    if (n.kind !== "context" || !n.units) continue;
    const slice = sliceUnit(nodeParts(ir, n));
    const exec = execDirectives(n);
    for (const unit of n.units) {
      const type = unit.slice(unit.lastIndexOf(".") + 1);
      out.push({
        unit,
        slice,
        context: n.name,
        section: SECTION[type]!,
        source: where(n.loc),
        directives: exec,
      });
    }
  }
  return out.sort((a, b) => (a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0));
}

/** The device unit of a network interface: "sys-subsystem-net-devices-eth0.device". */
export const linkDevice = (dev: string): string =>
  `sys-subsystem-net-devices-${systemdEscape(dev)}.device`;
