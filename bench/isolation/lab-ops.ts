/**
 * What the isolation benchmark does to the lab kernel: apply and destroy a
 * configuration with the real `vsc` command line, start load in a context
 * with `vsc exec`, freeze, thaw and kill contexts through their cgroups, and
 * read CPU time (cpu.stat usage_usec) over a window. Runs inside the kernel
 * lab only (scripts/kernel-lab/run.sh).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, rmdirSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";
import {
  cgroupPath,
  makeCgroup,
  must,
  readCgroup,
  readCgroupStat,
  writeCgroup,
} from "../../test/kernel/lab.js";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Guest cpus: the capacity CPU fractions are taken of. */
export const NCPU = cpus().length;

const vscBin = () => join(packageRoot(), "bin/vsc.js");
export const configPath = (file: string) => join(packageRoot(), "bench/isolation", file);

/** Runs the vsc command line; throws with its output unless it exits 0. Node starts slowly under TCG. */
export function vsc(args: string[]): string {
  return must(process.execPath, [vscBin(), ...args], { timeoutMs: 600_000 });
}

/** A configuration applied to the lab kernel. */
export interface Deployment {
  file: string;
  /** The host's cgroup-root (read from the file: every config names its own). */
  root: string;
  netns?: string;
  loads: ChildProcess[];
  /** Cgroup paths under `root` of contexts inside a class (`keeper` -> `pool/keeper`). */
  paths?: Record<string, string>;
}

export function apply(file: string, netns?: string): Deployment {
  const text = readFileSync(configPath(file), "utf8");
  const root = /cgroup-root "([^"]+)"/.exec(text)?.[1];
  if (!root) throw new Error(`${file}: no cgroup-root`);
  vsc(["apply", configPath(file), "--auto-approve", ...(netns ? ["--netns", netns] : [])]);
  return { file, root, netns, loads: [] };
}

/** cgroup path of a context, relative to the mount. */
export const cg = (d: Deployment, ctx: string) => `${d.root}/${d.paths?.[ctx] ?? ctx}`;

/** A shell that forks `n` busy loops and waits: n + 1 processes in the context. */
export const spinners = (n: number): string[] => [
  "sh",
  "-c",
  'i=0; while [ "$i" -lt "$0" ]; do (while :; do :; done) & i=$((i+1)); done; wait',
  String(n),
];

/** Starts `cmd` in a context with `vsc exec` (in the background). */
export function exec(d: Deployment, ctx: string, cmd: string[]): ChildProcess {
  const p = spawn(
    process.execPath,
    [vscBin(), "exec", "-f", configPath(d.file), ctx, "--", ...cmd],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let err = "";
  p.stderr!.on("data", (b: Buffer) => (err += b.toString()));
  p.on("exit", (code, sig) => {
    if (code !== 0 && code !== 137 && sig === null && err)
      process.stderr.write(`vsc exec ${ctx}: exit ${code}: ${err}\n`);
  });
  d.loads.push(p);
  return p;
}

export const procs = (d: Deployment, ctx: string): number[] =>
  readCgroup(cg(d, ctx), "cgroup.procs").split("\n").filter(Boolean).map(Number);

/** Waits until a context holds at least `n` processes (vsc exec's node start-up takes seconds here). */
export async function waitProcs(d: Deployment, ctx: string, n: number, timeoutMs = 300_000) {
  const end = Date.now() + timeoutMs;
  while (procs(d, ctx).length < n) {
    if (Date.now() > end)
      throw new Error(`${ctx}: fewer than ${n} processes after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/**
 * Starts `n` busy loops in each context and waits until all of them run.
 * The contexts are frozen while `vsc exec` starts (seconds of node start-up
 * under emulation), so the first context's loops do not slow the others'
 * start-up; all of them are thawed together.
 */
export async function spin(d: Deployment, ctxs: string[], n = NCPU) {
  for (const c of ctxs) await freeze(d, c, true);
  for (const c of ctxs) exec(d, c, spinners(n));
  for (const c of ctxs) await waitProcs(d, c, 1);
  for (const c of ctxs) await freeze(d, c, false);
  for (const c of ctxs) await waitProcs(d, c, n + 1);
}

/** Freezes (true) or thaws a context and waits until the kernel reports it done. */
export async function freeze(d: Deployment, ctx: string, on: boolean) {
  writeCgroup(cg(d, ctx), "cgroup.freeze", on ? "1" : "0");
  const want = `frozen ${on ? 1 : 0}`;
  for (let i = 0; !readCgroup(cg(d, ctx), "cgroup.events").includes(want); i++) {
    if (i > 3000) throw new Error(`${ctx}: cgroup.freeze ${on} did not settle`);
    await sleep(10);
  }
}

/**
 * Kills every process of the deployment's contexts (cgroup.kill). The
 * configuration stays applied (idle cgroups take no CPU): `vsc destroy` is a
 * node start-up of 5 to 15 s under emulation, and the guest is thrown away.
 */
export async function teardown(d: Deployment, ctxs: string[]) {
  for (const c of ctxs) {
    writeCgroup(cg(d, c), "cgroup.freeze", "0");
    writeCgroup(cg(d, c), "cgroup.kill", "1");
  }
  for (const c of ctxs) {
    for (let i = 0; procs(d, c).length > 0; i++) {
      if (i > 3000) throw new Error(`${c}: processes left after cgroup.kill`);
      await sleep(10);
    }
  }
  await Promise.all(
    d.loads.map((p) =>
      p.exitCode !== null || p.signalCode !== null
        ? undefined
        : new Promise((r) => p.once("exit", r)),
    ),
  );
}

export interface Window {
  /** usage_usec consumed by each cgroup in the window. */
  usage: number[];
  /** Guest wall time of the window, µs (the clock usage_usec is counted in). */
  wallUs: number;
}

const usageOf = (rel: string) => readCgroupStat(rel, "cpu.stat").usage_usec;

/**
 * CPU time of each cgroup over `ms` of guest time. The driver sleeps while
 * the window runs, so its own CPU stays out of the contexts' competition.
 */
export async function window(cgroups: string[], ms: number, during?: () => void): Promise<Window> {
  const u0 = cgroups.map(usageOf);
  const t0 = process.hrtime.bigint();
  if (during) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      during();
      await sleep(Math.min(200, Math.max(0, end - Date.now())));
    }
  } else await sleep(ms);
  const u1 = cgroups.map(usageOf);
  const t1 = process.hrtime.bigint();
  return { usage: u1.map((u, i) => u - u0[i]), wallUs: Number(t1 - t0) / 1000 };
}

/** The cpu a process last ran on (/proc/PID/stat field 39), or undefined if it is gone. */
export function lastCpu(pid: number): number | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return Number(fields[36]);
  } catch {
    return undefined;
  }
}

/** Parses a cpuset list ("0-1,3") into cpu numbers. */
export function cpuList(s: string): number[] {
  const out: number[] = [];
  for (const part of s.split(",").filter(Boolean)) {
    const [a, b] = part.split("-").map(Number);
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out;
}

/** The machine's idle and total CPU time so far (/proc/stat, all cpus, USER_HZ ticks). */
export function cpuTimes(): { idle: number; total: number } {
  const f = readFileSync("/proc/stat", "utf8")
    .split("\n")[0]
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  return { idle: f[3] + f[4], total: f.reduce((s, x) => s + x, 0) };
}

/**
 * Moves this driver into a cgroup of its own limited to `cpus`, so that it,
 * and every process it starts from now on (the `vsc exec` parents: node,
 * idle but with seconds of start-up GC under emulation), stays off the other
 * cpus. This is the harness following the advice docs/artifacts.md gives
 * operators for their host services next to whole-core contexts (systemd's
 * `AllowedCPUs=`). `release()` moves the driver back to the root (processes
 * started before stay); `remove()` deletes the cgroup once they are gone.
 */
export function confineHarness(cpus: number[]): { release(): void; remove(): void } {
  const rel = "iso-harness";
  makeCgroup(rel, ["cpuset"]);
  writeCgroup(rel, "cpuset.cpus", cpus.join(","));
  writeCgroup(rel, "cgroup.procs", String(process.pid));
  const release = () => writeCgroup("", "cgroup.procs", String(process.pid));
  return {
    release,
    remove() {
      release();
      rmdirSync(cgroupPath(rel));
    },
  };
}
