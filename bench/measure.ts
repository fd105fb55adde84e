/** Small timing helpers shared by the benchmarks. */
import { spawnSync } from "node:child_process";

/** The median of `xs` (the upper one for an even count); `xs` is left as it was. */
export const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median of `runs` timings (ms) of `fn`, after one warm-up run. */
export function medianMs(runs: number, fn: () => void): number {
  fn();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    fn();
    t.push(performance.now() - s);
  }
  return median(t);
}

/**
 * Median wall time and median CPU time (user + system of this process, all
 * threads, GC included) of `fn`, after one warm-up run. CPU time stays
 * meaningful on a loaded machine, where wall time does not.
 */
export function medianMsCpu(runs: number, fn: () => void): { ms: number; cpuMs: number } {
  fn();
  const t: number[] = [];
  const c: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    const u = process.cpuUsage();
    fn();
    const d = process.cpuUsage(u);
    t.push(performance.now() - s);
    c.push((d.user + d.system) / 1000);
  }
  return { ms: median(t), cpuMs: median(c) };
}

/** Median wall time (ms) of a whole command, run `runs` times. */
export function commandMs(
  runs: number,
  cmd: string,
  args: string[],
  opts: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {},
): number {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    const r = spawnSync(cmd, args, {
      cwd: opts.cwd,
      input: opts.input,
      env: opts.env,
      stdio: ["pipe", "ignore", "pipe"],
    });
    t.push(performance.now() - s);
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
  }
  return median(t);
}

export const fmtMs = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)) + " ms";
export const fmtRatio = (r: number) => r.toFixed(r >= 10 ? 1 : 2) + "x";

/** Prints a table with aligned columns. */
export function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
  return [line(head), line(w.map((n) => "-".repeat(n))), ...rows.map(line)].join("\n") + "\n";
}

/** The applier benchmark's raw runs under its table: "median of 5 alternating pairs; floor 380..420 ms; apply ...". */
export function runsLine(f: { reps: number; floorRuns: number[]; applyRuns: number[] }): string {
  const span = (xs: number[]) => `${Math.min(...xs)}..${Math.max(...xs)} ms`;
  return (
    `median of ${f.reps} alternating floor / apply-from-empty pairs; ` +
    `floor ${span(f.floorRuns)}, apply ${span(f.applyRuns)}\n`
  );
}

/**
 * Wall time and CPU time (user + system, read by the process itself as it
 * exits) of one `node ARGS` run. CPU time is the steadier figure on a
 * loaded machine, where wall time mostly measures the other processes.
 */
export function nodeRun(args: string[]): { ms: number; cpuMs: number } {
  const probe =
    'data:text/javascript,process.on("exit",()=>{const u=process.resourceUsage();process.stderr.write("\\nvsc-bench-cpu "+(u.userCPUTime+u.systemCPUTime)+"\\n")})';
  const s = performance.now();
  const r = spawnSync(process.execPath, ["--import", probe, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "ignore", "pipe"],
  });
  const ms = performance.now() - s;
  const m = /vsc-bench-cpu (\d+)/.exec(r.stderr ?? "");
  if (r.status !== 0 || !m) throw new Error(`node ${args.join(" ")} failed: ${r.stderr}`);
  return { ms, cpuMs: Number(m[1]) / 1000 };
}
