// Helpers for tests that run inside the kernel lab (scripts/kernel-lab/run.sh):
// a stock Debian kernel under QEMU with cgroup2 mounted at /sys/fs/cgroup and
// cpu, cpuset, memory, io, pids enabled in the root's subtree_control.
// Outside the lab these tests must fail loudly, never pass by doing nothing:
// use labSuite(), which fails every test with a clear message there.
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmdirSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { suite, type Test } from "uvu";

/** Where the lab mounts cgroup2. */
export const LAB_CGROUP_MOUNT = "/sys/fs/cgroup";

/** True inside the lab guest: run.sh's guest wrapper sets VSC_KERNEL_LAB=1, and cgroup2 is there. */
export function inKernelLab(): boolean {
  return (
    process.env.VSC_KERNEL_LAB === "1" && existsSync(join(LAB_CGROUP_MOUNT, "cgroup.controllers"))
  );
}

/** Throws unless inside the lab, saying how to get there. */
export function requireKernelLab(): void {
  if (!inKernelLab()) {
    throw new Error(
      "this test runs only inside the kernel lab (cgroup v2 under QEMU): " +
        "npm run test:kernel, or bash scripts/kernel-lab/run.sh --build -- node <file>",
    );
  }
}

/** A uvu suite whose every test first checks that it runs inside the lab. */
export function labSuite(name: string): Test {
  const s = suite(name);
  s.before.each(() => requireKernelLab());
  return s;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  /** Kill (SIGKILL) after this long; default 30 s. Emulated guests are slow: be generous. */
  timeoutMs?: number;
  input?: string;
  /** Run inside /run/netns/<netns> through nsenter, so /sys (and cgroup2) stay visible. */
  netns?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs a command (argv, no shell) with a timeout; never throws for a failing command. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): RunResult {
  // `ip netns exec` remounts /sys for the namespace, which hides the cgroup2
  // mount that nft needs to resolve `socket cgroupv2` paths; nsenter does not.
  const argv = opts.netns
    ? ["nsenter", `--net=/run/netns/${opts.netns}`, "--", cmd, ...args]
    : [cmd, ...args];
  const r = spawnSync(argv[0], argv.slice(1), {
    encoding: "utf8",
    timeout: opts.timeoutMs ?? 30_000,
    killSignal: "SIGKILL",
    input: opts.input,
    cwd: opts.cwd,
    env: opts.env,
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code !== "ETIMEDOUT") throw r.error;
  return {
    code: r.status,
    stdout: r.stdout ?? "",
    stderr: r.stderr ?? "",
    timedOut: (r.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT",
  };
}

/** Like run(), but throws (with the command and its stderr) unless it exits 0; returns stdout. */
export function must(cmd: string, args: string[], opts: RunOptions = {}): string {
  const r = run(cmd, args, opts);
  if (r.code !== 0) {
    const where = opts.netns ? ` (netns ${opts.netns})` : "";
    const why = r.timedOut ? `timed out after ${opts.timeoutMs ?? 30_000} ms` : `exit ${r.code}`;
    throw new Error(`${[cmd, ...args].join(" ")}${where}: ${why}\n${r.stderr}${r.stdout}`);
  }
  return r.stdout;
}

/** Absolute path of a cgroup given relative to the mount ("" is the root). */
export function cgroupPath(rel: string): string {
  return join(LAB_CGROUP_MOUNT, rel);
}

/** Reads a cgroup interface file, trimmed. */
export function readCgroup(rel: string, file: string): string {
  return readFileSync(join(cgroupPath(rel), file), "utf8").trim();
}

/** Writes a cgroup interface file; the kernel's refusal surfaces as a thrown error (EINVAL, EBUSY...). */
export function writeCgroup(rel: string, file: string, value: string): void {
  writeFileSync(join(cgroupPath(rel), file), value);
}

/** Parses a flat-keyed file like cpu.stat or memory.stat into numbers. */
export function readCgroupStat(rel: string, file: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readCgroup(rel, file).split("\n")) {
    const [k, v] = line.split(/\s+/);
    if (k && v !== undefined) out[k] = Number(v);
  }
  return out;
}

/**
 * Creates a cgroup (and its parents) and enables `controllers` in each new
 * ancestor's subtree_control down to it, so the leaf gets their files.
 */
export function makeCgroup(rel: string, controllers: string[] = []): string {
  const parts = rel.split("/").filter(Boolean);
  for (let i = 0; i < parts.length; i++) {
    const parent = parts.slice(0, i).join("/");
    for (const c of controllers) writeCgroup(parent, "cgroup.subtree_control", `+${c}`);
    mkdirSync(cgroupPath(parts.slice(0, i + 1).join("/")), { recursive: true });
  }
  return cgroupPath(rel);
}

/**
 * Removes a cgroup subtree, children first. Its processes must have exited
 * (a cgroup with live members cannot be removed; the kernel says EBUSY).
 */
export function removeCgroup(rel: string): void {
  const abs = cgroupPath(rel);
  if (!existsSync(abs)) return;
  for (const e of readdirSync(abs, { withFileTypes: true })) {
    if (e.isDirectory()) removeCgroup(join(rel, e.name));
  }
  rmdirSync(abs);
}

/** Runs a command as a member of a cgroup: a shell joins it, then execs the command. */
export function runInCgroup(
  rel: string,
  cmd: string,
  args: string[],
  opts: RunOptions = {},
): RunResult {
  const procs = join(cgroupPath(rel), "cgroup.procs");
  // Paths and argv travel as positional parameters, never spliced into the script.
  const script = 'echo $$ > "$0" && exec "$@"';
  if (opts.netns) {
    return run(
      "sh",
      ["-c", script, procs, "nsenter", `--net=/run/netns/${opts.netns}`, "--", cmd, ...args],
      {
        ...opts,
        netns: undefined,
      },
    );
  }
  return run("sh", ["-c", script, procs, cmd, ...args], opts);
}

export interface ScratchNet {
  /** netns holding devA (where tests put qdiscs and nft tables). */
  nsA: string;
  /** netns holding devB, the far end. */
  nsB: string;
  devA: string;
  devB: string;
  addrA: string;
  addrB: string;
  /** Deletes both namespaces (and with them the veth pair). */
  destroy(): void;
}

let netCounter = 0;

/**
 * Two network namespaces joined by a veth pair, addresses 10.231.N.1/24 (A)
 * and .2 (B). IPv6 is off and the neighbours are static, so the only packets
 * on the link are the ones a test sends: HTB counters then move only for them.
 */
export function scratchNet(prefix = "vlab"): ScratchNet {
  const n = netCounter++;
  const nsA = `${prefix}${n}a`;
  const nsB = `${prefix}${n}b`;
  const devA = `${prefix}${n}a0`;
  const devB = `${prefix}${n}b0`;
  const addrA = `10.231.${n}.1`;
  const addrB = `10.231.${n}.2`;
  const destroy = () => {
    run("ip", ["netns", "del", nsA]);
    run("ip", ["netns", "del", nsB]);
  };
  destroy();
  try {
    must("ip", ["netns", "add", nsA]);
    must("ip", ["netns", "add", nsB]);
    must("ip", ["link", "add", devA, "netns", nsA, "type", "veth", "peer", devB, "netns", nsB]);
    const sides: [string, string, string][] = [
      [nsA, devA, addrA],
      [nsB, devB, addrB],
    ];
    const macs: string[] = [];
    for (const [ns, dev, addr] of sides) {
      must("sysctl", ["-q", "-w", `net.ipv6.conf.all.disable_ipv6=1`], {
        netns: ns,
      });
      must("ip", ["addr", "add", `${addr}/24`, "dev", dev], { netns: ns });
      must("ip", ["link", "set", dev, "up"], { netns: ns });
      must("ip", ["link", "set", "lo", "up"], { netns: ns });
      const link = JSON.parse(must("ip", ["-j", "link", "show", dev], { netns: ns })) as {
        address: string;
      }[];
      macs.push(link[0].address);
    }
    must("ip", ["neigh", "replace", addrB, "lladdr", macs[1], "dev", devA, "nud", "permanent"], {
      netns: nsA,
    });
    must("ip", ["neigh", "replace", addrA, "lladdr", macs[0], "dev", devB, "nud", "permanent"], {
      netns: nsB,
    });
  } catch (e) {
    destroy();
    throw e;
  }
  return { nsA, nsB, devA, devB, addrA, addrB, destroy };
}

export interface ClassStats {
  bytes: number;
  packets: number;
}

/**
 * Per-class counters of a device's classes, keyed by class id ("1:65").
 * Parses `tc -s class show` text: iproute2 6.1 prints no JSON for HTB classes.
 */
export function tcClassStats(dev: string, netns?: string): Map<string, ClassStats> {
  const text = must("tc", ["-s", "class", "show", "dev", dev], { netns });
  const stats = new Map<string, ClassStats>();
  let current: string | undefined;
  for (const line of text.split("\n")) {
    const head = /^class \S+ (\S+) /.exec(line);
    if (head) current = head[1];
    const sent = /^\s*Sent (\d+) bytes (\d+) pkt/.exec(line);
    if (sent && current) {
      stats.set(current, { bytes: Number(sent[1]), packets: Number(sent[2]) });
      current = undefined;
    }
  }
  return stats;
}
