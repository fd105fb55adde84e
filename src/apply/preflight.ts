/**
 * Before planning: is this host able to run vsc at all, and is it the
 * machine the host block describes? Every missing piece is reported at
 * once, each with what to do, and nothing is changed. vsc owns only its
 * subtree, so a controller that is not enabled above it is the operator's
 * to enable (one line, given in the help), never vsc's.
 *
 * Every read goes through the Kernel interface (cgroup files, machine files,
 * tools), so a scratch tree stands in for the whole machine in tests.
 */
import { Code } from "../plan/codes.js";
import type { Diagnostic } from "../diag/diagnostic.js";
import { parseCpuList } from "../check/fields.js";
import { formatBytes } from "../check/format-units.js";
import type { DesiredMachine, DesiredState } from "../model/desired.js";
import { parentPath } from "../plan/values.js";
import { notCgroup2Help } from "./mount-advice.js";
import type { Kernel, RunResult } from "./kernel.js";
import { words } from "./observe.js";
import { linkOf, showLink } from "./read-tc.js";
import type { ObservedLink } from "../plan/types.js";
import { join } from "node:path";

export interface PreflightNeeds {
  cgroupRoot: string;
  /** Controllers the owned root must have available (what its subtree enables or writes). */
  controllers: string[];
  links: string[];
  /** Probe nft for `socket cgroupv2` (only when the rules name cgroups). */
  socketCgroup: boolean;
  /** The host block's cpus, memory and disks, compared with the machine (absent: not compared). */
  machine?: DesiredMachine;
  /** Leaf qdisc kinds the links use (sorted); each must exist in the kernel (language-v2.md §3). */
  qdiscs?: string[];
  /** Links with ingress shaping (language-v2.md §3) and their IFB devices: the kernel must have ifb, ingress, u32, mirred. */
  ingress?: Array<{ link: string; ifb: string }>;
}

/** The kernel module of a qdisc kind, for messages. */
const QDISC_MODULE: Record<string, string> = {
  fq_codel: "sch_fq_codel",
  sfq: "sch_sfq",
  cake: "sch_cake",
  pfifo: "sch_fifo",
};
/** The probe device: an IFB device that lives for the probe only (vsc's name, never a user's). */
const PROBE_DEV = "vsc-qprobe";

/**
 * Leaf kinds the kernel lacks, of `want` (minus those already seen on the
 * links, which the kernel evidently has, and pfifo, which is built in): each
 * is tried as the root of a throwaway IFB device, deleted right after.
 * With `ingress`, the same device also tries what ingress shaping needs (an
 * ingress qdisc and a u32 filter with a mirred redirect): `ingress` in the
 * result when the kernel refuses it, with tc's words. `ifb` when no IFB
 * device could be made (the kernel lacks ifb).
 */
function probeKernel(
  kernel: Kernel,
  want: string[],
  seen: Set<string>,
  ingress: boolean,
): { qdiscs: string[]; ifb?: string; ingress?: string } {
  const todo = want.filter((k) => k !== "pfifo" && !seen.has(k));
  if (todo.length === 0 && !ingress) return { qdiscs: [] };
  const add = kernel.run("ip", ["link", "add", PROBE_DEV, "type", "ifb"]);
  if (add.status !== 0)
    return { qdiscs: [], ...(ingress ? { ifb: add.stderr.trim() || "ip link add failed" } : {}) };
  try {
    const out: string[] = [];
    for (const k of todo) {
      const r = kernel.run("tc", ["qdisc", "add", "dev", PROBE_DEV, "root", k]);
      if (r.status !== 0) out.push(k);
      else kernel.run("tc", ["qdisc", "del", "dev", PROBE_DEV, "root"]);
    }
    if (!ingress) return { qdiscs: out };
    const r = kernel.run(
      "tc",
      ["-batch", "-"],
      `qdisc add dev ${PROBE_DEV} handle ffff: ingress\n` +
        `filter add dev ${PROBE_DEV} parent ffff: protocol all prio 1 u32 match u32 0 0 action mirred egress redirect dev ${PROBE_DEV}\n`,
    );
    return { qdiscs: out, ...(r.status !== 0 ? { ingress: r.stderr.trim() } : {}) };
  } finally {
    kernel.run("ip", ["link", "del", PROBE_DEV]);
  }
}

/** Controller of an interface file: "memory.swap.max" -> "memory". */
const controllerOf = (file: string) => file.slice(0, file.indexOf("."));

export function needsOf(d: DesiredState): PreflightNeeds {
  const set = new Set<string>();
  for (const c of d.cgroups) {
    for (const s of c.subtreeControl) set.add(s);
    for (const f of c.files) set.add(controllerOf(f.name));
  }
  const kinds = new Set<string>();
  for (const l of d.links) for (const c of l.classes) if (c.leafQdisc) kinds.add(c.leafQdisc);
  return {
    cgroupRoot: d.cgroupRoot,
    controllers: [...set].sort(),
    links: d.links.map((l) => l.dev).sort(),
    socketCgroup: d.nft.cgroupPaths.length > 0,
    ...(d.machine ? { machine: d.machine } : {}),
    ...(kinds.size > 0 ? { qdiscs: [...kinds].sort() } : {}),
    ...(d.ingress?.length ? { ingress: d.ingress.map((g) => ({ link: g.link, ifb: g.ifb })) } : {}),
  };
}

/**
 * `links`, when given, receives each link as the check read it (root qdisc
 * and classes), so that observing right after needs no second tc process.
 */
export function preflight(
  kernel: Kernel,
  needs: PreflightNeeds,
  links?: Map<string, ObservedLink>,
): Diagnostic[] {
  const ds: Diagnostic[] = [];
  const mount = kernel.cgroupMount;
  const err = (code: string, message: string, help: string, notes?: string[]): void => {
    ds.push({
      code,
      severity: "error",
      message,
      help,
      ...(notes ? { notes } : {}),
    });
  };

  const kind = kernel.mountKind();
  if (kind === "other") {
    const v1 = v1Hierarchies(kernel);
    const unified = kernel.read("unified/cgroup.controllers") !== undefined;
    err(
      Code.noCgroup2,
      `no cgroup2 filesystem is mounted at ${mount}`,
      unified
        ? `this host runs cgroup v1 (with a hybrid cgroup2 at ${join(mount, "unified")}, whose controllers are held by v1); boot with systemd.unified_cgroup_hierarchy=1 (or cgroup_no_v1=all), or pass --cgroup-mount with a cgroup2 mount`
        : notCgroup2Help(mount),
      v1.length > 0 ? [`cgroup v1 hierarchies mounted: ${v1.join(", ")}`] : undefined,
    );
  } else {
    const available = words(kernel.read("cgroup.controllers"));
    const missing = needs.controllers.filter((c) => !available.includes(c));
    if (missing.length > 0) {
      const v1 = v1Hierarchies(kernel).filter((h) => missing.some((m) => h.split(",").includes(m)));
      err(
        Code.controllerUnavailable,
        `controller${missing.length > 1 ? "s" : ""} ${missing.join(", ")} not available in the cgroup2 mount ${mount}`,
        v1.length > 0
          ? "a controller bound to a cgroup v1 hierarchy is not available to cgroup2: boot with cgroup_no_v1=all (or unmount those v1 hierarchies)"
          : "this kernel does not offer it to cgroup2; remove the settings that need it, or use a kernel built with it",
        [
          `available: ${available.join(" ") || "(none)"}`,
          ...(v1.length > 0 ? [`held by cgroup v1: ${v1.join(", ")}`] : []),
        ],
      );
    }
    // Ancestors above the owned root: each must enable the controllers in its subtree_control.
    const chain: string[] = [];
    for (let p = parentPath(needs.cgroupRoot); ; p = parentPath(p)) {
      chain.unshift(p);
      if (p === "") break;
    }
    const usable = needs.controllers.filter((c) => available.includes(c));
    for (const p of chain) {
      if (p !== "" && kernel.list(p) === undefined) break; // created by vsc? no: above the root, say so below
      const on = words(kernel.read(`${p === "" ? "" : `${p}/`}cgroup.subtree_control`));
      const off = usable.filter((c) => !on.includes(c));
      if (off.length > 0) {
        const file = join(mount, p, "cgroup.subtree_control");
        err(
          Code.controllerNotEnabled,
          `controller${off.length > 1 ? "s" : ""} ${off.join(", ")} not enabled in ${file}, above vsc's subtree ${needs.cgroupRoot}`,
          `vsc changes nothing outside its subtree; enable ${off.length > 1 ? "them" : "it"} once as root: echo "${off.map((c) => `+${c}`).join(" ")}" > ${file}`,
        );
        break;
      }
    }
    const above = parentPath(needs.cgroupRoot);
    if (above !== "" && kernel.list(above) === undefined) {
      err(
        Code.cgroupParentMissing,
        `the cgroup ${above} that holds vsc's subtree does not exist under ${mount}`,
        `create it (mkdir ${join(mount, above)}) or choose another cgroup-root`,
      );
    }
  }

  if (kind !== "other" && needs.machine) ds.push(...compareMachine(kernel, needs.machine));

  if (kernel.netns && !kernel.machineHas(`/run/netns/${kernel.netns}`)) {
    err(
      Code.netnsMissing,
      `network namespace ${kernel.netns} does not exist`,
      `create it with \`ip netns add ${kernel.netns}\`, or drop --netns`,
    );
    return ds;
  }
  // One process per tool when all is well (each costs milliseconds on a host
  // and a quarter of a second under emulation): the check that needs the tool
  // also shows that it runs. Only a failure asks `--version` which it was.
  const broken = (tool: "nft" | "tc", why?: string): void =>
    err(
      Code.toolMissing,
      `${tool} is not installed or does not run`,
      tool === "nft"
        ? "install nftables (apt-get install nftables)"
        : "install iproute2 (apt-get install iproute2)",
      why ? [why] : undefined,
    );
  /** Did `r` show that the tool runs? (A failed check asks `--version` which it was.) */
  const runs = (tool: "nft" | "tc", r: RunResult): boolean => {
    if (r.status === 0) return true;
    const v = r.missing ? r : kernel.run(tool, [tool === "nft" ? "--version" : "-V"]);
    if (!v.missing && v.status === 0) return true; // the tool runs: the check itself failed
    broken(tool, (v.stderr || r.stderr).trim() || undefined);
    return false;
  };

  const probe =
    'table inet vsc-preflight {\n  chain probe {\n    socket cgroupv2 level 1 "/" accept\n  }\n}\n';
  const nft = needs.socketCgroup
    ? kernel.run("nft", ["-c", "-f", "-"], probe)
    : kernel.run("nft", ["--version"]);
  // Each link is read whole (what observing needs), one tc process per link.
  const shows = needs.links.map((dev) => [dev, showLink(kernel, dev)] as const);
  const nftRuns = runs("nft", nft);
  if (runs("tc", shows[0]?.[1] ?? kernel.run("tc", ["-V"]))) {
    for (const [dev, r] of shows) {
      if (r.status !== 0 && r.stderr.includes(`"${dev}"`)) {
        err(
          Code.linkMissing,
          `link ${dev} does not exist${kernel.netns ? ` in network namespace ${kernel.netns}` : ""}`,
          "create it, or remove it from the host's `link` lines",
        );
      } else if (r.status === 0) links?.set(dev, linkOf(dev, r));
    }
    // Ingress shaping is known to work when a link already redirects to vsc's IFB device.
    const ingressSeen = [...shows].some(
      ([dev, r]) => r.status === 0 && linkOf(dev, r).ingress?.redirect?.startsWith("vsc-in-"),
    );
    const probeIngress = (needs.ingress?.length ?? 0) > 0 && !ingressSeen;
    if ((needs.qdiscs && needs.qdiscs.length > 0) || probeIngress) {
      const seen = new Set<string>();
      for (const [dev, r] of shows)
        if (r.status === 0)
          for (const c of Object.values(linkOf(dev, r).classes))
            if (c.leafQdisc) seen.add(c.leafQdisc);
      const p = probeKernel(kernel, needs.qdiscs ?? [], seen, probeIngress);
      for (const k of p.qdiscs)
        err(
          Code.qdiscMissing,
          `the kernel has no ${k} qdisc (module ${QDISC_MODULE[k] ?? `sch_${k}`})`,
          `load it (modprobe ${QDISC_MODULE[k] ?? `sch_${k}`}) or build the kernel with it, or choose another \`qdisc\` for the link or traffic class (pfifo is always there)`,
        );
      const links = (needs.ingress ?? []).map((g) => g.link).join(", ");
      if (p.ifb !== undefined)
        err(
          Code.ingressUnsupported,
          `the kernel cannot make an IFB device (module ifb), which ingress shaping of ${links} needs`,
          "load it (modprobe ifb) or build the kernel with CONFIG_IFB, or remove the ingress settings",
          [p.ifb],
        );
      else if (p.ingress !== undefined)
        err(
          Code.ingressUnsupported,
          `the kernel refuses an ingress qdisc with a u32 redirect (modules sch_ingress, cls_u32, act_mirred), which ingress shaping of ${links} needs`,
          "load them (modprobe sch_ingress cls_u32 act_mirred) or build the kernel with them, or remove the ingress settings",
          [p.ingress],
        );
    }
  }
  if (nftRuns && needs.socketCgroup && nft.status !== 0) {
    err(
      Code.nftNoSocketCgroup,
      "nftables here cannot match `socket cgroupv2`",
      "use nftables >= 0.9.5 and a kernel with nft_socket (CONFIG_NFT_SOCKET and cgroup2 socket matching, Linux >= 5.13)",
      [nft.stderr.trim()],
    );
  }
  return ds;
}

/** v1 hierarchies from /proc/self/mounts, e.g. ["cpu", "memory", "pids"]. */
function v1Hierarchies(kernel: Kernel): string[] {
  try {
    return (kernel.machineRead("/proc/self/mounts") ?? "")
      .split("\n")
      .map((l) => l.split(" "))
      .filter((f) => f[2] === "cgroup")
      .map((f) =>
        (f[3] ?? "")
          .split(",")
          .filter((o) => !["rw", "ro", "relatime", "nosuid", "nodev", "noexec"].includes(o))
          .join(","),
      )
      .filter((o) => o !== "");
  } catch {
    return [];
  }
}

const CPUS_ONLINE = "/sys/devices/system/cpu/online";

/** MemTotal of /proc/meminfo, in bytes. */
function memTotal(meminfo: string | undefined): number | undefined {
  const m = /^MemTotal:\s+(\d+) kB$/m.exec(meminfo ?? "");
  return m ? Number(m[1]) * 1024 : undefined;
}

/** How many cpus are online from cpu 0 without a gap. */
function fromZero(online: number[]): number {
  const on = new Set(online);
  let n = 0;
  while (on.has(n)) n++;
  return n;
}

/** "0-3" for [0, 1, 2, 3]; "0-1,3" for [0, 1, 3]. */
function cpuListText(cpus: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < cpus.length;) {
    let j = i;
    while (j + 1 < cpus.length && cpus[j + 1] === cpus[j]! + 1) j++;
    parts.push(j === i ? `${cpus[i]}` : `${cpus[i]}-${cpus[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

/**
 * The host block against the machine (docs/applier.md, "Preflight"): a
 * declared cpu that is not online or a disk that is not a whole disk here
 * would make a write fail half-way (cpuset.cpus EINVAL, io.max ENODEV), so
 * they are refused; less memory than declared is a warning (MemTotal is
 * always a little below the installed RAM, and no write fails); a machine
 * larger than declared is fine, said in a note.
 */
export function compareMachine(kernel: Kernel, m: DesiredMachine): Diagnostic[] {
  const ds: Diagnostic[] = [];
  const onlineText = kernel.machineRead(CPUS_ONLINE);
  const online = onlineText === undefined ? undefined : parseCpuList(onlineText.trim());
  if (online === undefined) {
    return [
      {
        code: Code.machineNotCompared,
        severity: "note",
        message: `the host block (${m.source}) was not compared with the machine: ${CPUS_ONLINE} ${onlineText === undefined ? "cannot be read" : "is not a cpu list"}`,
        notes: [
          kernel.mountKind() === "scratch"
            ? "a scratch tree describes its machine in .vsc-machine/ (docs/applier.md)"
            : "cpus, memory and disks were not checked",
        ],
      },
    ];
  }
  const declared = Array.from({ length: m.cpus }, (_, i) => i);
  const on = new Set(online);
  const missingCpus = declared.filter((c) => !on.has(c));
  if (missingCpus.length > 0) {
    ds.push({
      code: Code.cpusMissing,
      severity: "error",
      message: `the host block declares ${m.cpus} cpu${m.cpus === 1 ? "" : "s"} (${cpuListText(declared)}), but this machine has ${online.length} online (${cpuListText(online)})`,
      help: `run this file on the machine it describes, or declare at most cpus ${fromZero(online)} here (its online cpus numbered from 0)`,
      notes: [
        `cpu${missingCpus.length === 1 ? "" : "s"} ${cpuListText(missingCpus)} ${missingCpus.length === 1 ? "is" : "are"} not online here (${CPUS_ONLINE}): vsc's cpusets would name ${missingCpus.length === 1 ? "it" : "them"} (the kernel refuses a cpu it does not have), and reservations were admitted against ${missingCpus.length === 1 ? "it" : "them"}`,
        `declared at ${m.source}; nothing was changed`,
      ],
    });
  }
  const mem = memTotal(kernel.machineRead("/proc/meminfo"));
  if (mem !== undefined && m.memory > mem) {
    ds.push({
      code: Code.memoryAboveMachine,
      severity: "warning",
      message: `the host block declares memory ${formatBytes(m.memory)}, but this machine has ${formatBytes(mem)} (MemTotal)`,
      help: `declare at most memory ${Math.floor(mem / 1048576)}MiB, so that admission counts only memory that exists`,
      notes: [
        `declared at ${m.source}; memory reservations admitted against the declared size may not all be met here (nothing the kernel refuses, so the plan goes on)`,
      ],
    });
  }
  for (const d of m.disks) {
    const dev = `${d.major}:${d.minor}`;
    const at = `/sys/dev/block/${dev}`;
    if (!kernel.machineHas(at)) {
      ds.push({
        code: Code.diskMissing,
        severity: "error",
        message: `disk ${d.name} ${dev} does not exist on this machine`,
        help: "use the device number the machine has for that disk (lsblk -d -o NAME,MAJ:MIN), or remove the disk line",
        notes: [
          `declared at ${d.source}; every cgroup's io.max names each host disk, and the kernel refuses an absent one (ENODEV); nothing was changed`,
        ],
      });
    } else if (kernel.machineHas(`${at}/partition`)) {
      ds.push({
        code: Code.diskIsPartition,
        severity: "error",
        message: `disk ${d.name} ${dev} is a partition, not a whole disk`,
        help: "io limits apply to whole disks: use the number of the disk that holds it (lsblk -d -o NAME,MAJ:MIN)",
        notes: [
          `declared at ${d.source}; the kernel refuses io.max for a partition (ENODEV); nothing was changed`,
        ],
      });
    }
  }
  const more: string[] = [];
  if (online.length > m.cpus)
    more.push(`${online.length} cpus online (the host block declares ${m.cpus})`);
  if (mem !== undefined && mem > m.memory)
    more.push(`${formatBytes(mem)} of memory (the host block declares ${formatBytes(m.memory)})`);
  if (more.length > 0 && !ds.some((d) => d.severity === "error")) {
    ds.push({
      code: Code.machineLarger,
      severity: "note",
      message: `this machine is larger than the host block declares: ${more.join(", ")}`,
      notes: [
        `admission and cpu weights count only what is declared (${m.source}); vsc's cpusets name cpus ${cpuListText(declared)}`,
      ],
    });
  }
  return ds;
}
