/**
 * Where a no-op `vsc plan` under `driver systemd` spends its time, for
 * bench/systemd-lab.ts (in the lab, on a real systemd) and
 * bench/systemd-plan-host.ts (on a host, against the stand-in systemd of
 * the host tests): the driver's own phases (sdCmdPlan's `phases`), the
 * compile and check of the configuration in the process, and, as separate
 * processes, `node -e 0`, `vsc check FILE` and (where systemd runs) `vsc
 * plan FILE`. The compile/check and `node -e 0` are CPU-bound references:
 * their ratio between the lab and a host is the emulation factor.
 */
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { check } from "../src/check/index.js";
import { recordingIo } from "../src/cli/io.js";
import { type SdArgs, sdCmdPlan } from "../src/cli/systemd.js";
import type { Phases } from "../src/systemd/driver.js";
import type { SystemdHost } from "../src/systemd/host.js";
import { loadProgram, memoryHost } from "../src/syntax/load.js";
import type { VscIr } from "../src/ir/types.gen.js";

/** The benchmark's configuration: n contexts (the first one's memory limit 40MiB when edited). */
export function benchConfig(n: number, editOne = false): string {
  const out = ["host bench {\n  cpus 2\n  memory 64GiB\n  driver systemd\n}\n"];
  for (let i = 1; i <= n; i++) {
    const limit = editOne && i === 1 ? "40MiB" : "32MiB";
    out.push(
      `context c${i} { id ${i}  cpu { share ${1 + (i % 4)} }  memory { limit ${limit} } }\n`,
    );
  }
  return out.join("");
}

export function irOf(text: string): VscIr {
  const { program } = loadProgram("bench.vsc", memoryHost({ "bench.vsc": text }));
  const r = check(program);
  if (!r.ir) throw new Error(JSON.stringify(r.diagnostics.slice(0, 3)));
  return r.ir;
}

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export interface PlanTimes {
  /** Each run's total (ms). */
  totals: number[];
  /** Median of each phase over the runs (ms). */
  phases: Phases;
}

/** `reps` no-op plans in this process; throws unless each is empty. */
export function timeNoopPlans(ir: VscIr, args: SdArgs, h: SystemdHost, reps: number): PlanTimes {
  const totals: number[] = [];
  const runs: Phases[] = [];
  for (let i = 0; i < reps; i++) {
    const phases: Phases = {};
    const io = recordingIo();
    const t = performance.now();
    const code = sdCmdPlan(ir, { ...args, detailedExitcode: true, phases }, io, h);
    totals.push(performance.now() - t);
    if (code !== 0) throw new Error(`no-op plan not empty: ${io.stdout.slice(0, 500)}`);
    runs.push(phases);
  }
  const phases: Phases = {};
  for (const k of Object.keys(runs[0]!)) phases[k] = median(runs.map((r) => r[k] ?? 0));
  return { totals, phases };
}

/** The compile and check of `text` in this process, `reps` times (ms each). */
export function timeCheck(text: string, reps: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    irOf(text);
    out.push(performance.now() - t);
  }
  return out;
}

/** Wall time of a process, `reps` times (ms each); throws when it fails. */
export function timeProcess(
  argv: string[],
  reps: number,
  env: NodeJS.ProcessEnv = {},
  cwd = process.cwd(),
): number[] {
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    const r = spawnSync(argv[0]!, argv.slice(1), {
      encoding: "utf8",
      cwd,
      env: { ...process.env, ...env },
    });
    out.push(performance.now() - t);
    if (r.status !== 0)
      throw new Error(`${argv.join(" ")}: exit ${r.status}: ${r.stderr}${r.stdout.slice(0, 300)}`);
  }
  return out;
}

export const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
export const med = median;

/** The phases as markdown table rows, largest first, with their share of `total`. */
export function phaseRows(p: Phases, total: number): string[] {
  return Object.entries(p)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `| ${k} | ${(v / 1000).toFixed(3)} s | ${((100 * v) / total).toFixed(0)}% |`);
}
