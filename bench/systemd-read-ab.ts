/**
 * Kernel lab, systemd mode: how a no-op plan should read the slices' cgroup
 * values, measured in one boot. The 1,000 contexts of bench/systemd-lab.ts
 * are installed the floor's way (files, daemon-reload, start); then no-op
 * plans alternate between the values read by `tail` (the real host's
 * readCgroups) and read one by one from JavaScript (readCgroup), each in a
 * fresh process (cold, as `vsc plan` runs) and in this one (warm).
 *
 *   bash scripts/kernel-lab/run.sh --systemd -- node dist/bench/systemd-read-ab.js
 */
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { sdDesired } from "../src/systemd/driver.js";
import { type SystemdHost, realSystemdHost } from "../src/systemd/host.js";
import { writeLink, writeUnitFile } from "../src/systemd/unit-dir.js";
import { benchConfig, irOf, med, timeNoopPlans } from "./systemd-phases.js";

const N = Number(process.env.VSC_PERF_N ?? 1000);
const ir = irOf(benchConfig(N));
const args = { file: "bench.vsc", autoApprove: true, stateDir: "/run/vsc-bench" };
const real = realSystemdHost();
const { readCgroups: _, ...each } = real;
const hostOf = (way: string): SystemdHost => (way === "tail" ? real : each);

if (process.argv[2] === "child") {
  // One cold no-op plan; prints its phases as JSON.
  const p = timeNoopPlans(ir, args, hostOf(process.argv[3]!), 1);
  console.log(JSON.stringify({ total: p.totals[0], ...p.phases }));
  process.exit(0);
}
if (process.env.VSC_SYSTEMD_LAB !== "1") {
  console.error("runs in the kernel lab's systemd mode (see its header)");
  process.exit(1);
}
const want = sdDesired(ir);
const t0 = performance.now();
for (const f of want.files)
  writeUnitFile(f.root === "unit" ? real.unitDir : real.installDir, f.path, f.text);
for (const l of want.links) writeLink(real.unitDir, l.path, l.target);
for (const a of [["daemon-reload"], ["start", want.target]]) {
  const r = spawnSync("systemctl", a, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`systemctl ${a.join(" ")}: ${r.stderr}`);
}
console.log(
  `installed ${N} contexts the floor's way: ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);

const V = "observe: cgroup values";
const cold: Record<string, { total: number; values: number }[]> = { tail: [], each: [] };
const warm: Record<string, { total: number; values: number }[]> = { tail: [], each: [] };
for (let i = 0; i < 3; i++)
  for (const way of i % 2 ? ["each", "tail"] : ["tail", "each"]) {
    const r = spawnSync(process.execPath, [process.argv[1]!, "child", way], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`child ${way}: ${r.stderr}`);
    const p = JSON.parse(r.stdout) as Record<string, number>;
    cold[way]!.push({ total: p.total!, values: p[V]! });
    const w = timeNoopPlans(ir, args, hostOf(way), 1);
    warm[way]!.push({ total: w.totals[0]!, values: w.phases[V]! });
    console.log(
      `${way}: cold plan ${(p.total! / 1000).toFixed(2)} s (values ${(p[V]! / 1000).toFixed(2)} s), warm plan ${(w.totals[0]! / 1000).toFixed(2)} s (values ${(w.phases[V]! / 1000).toFixed(2)} s)`,
    );
  }
const s = (xs: number[]) => `${(med(xs) / 1000).toFixed(2)} s`;
console.log(`\n| values read | cold plan | its values | warm plan | its values |`);
console.log(`| --- | --- | --- | --- | --- |`);
for (const way of ["tail", "each"])
  console.log(
    `| ${way === "tail" ? "by tail" : "one by one (JavaScript)"} | ${s(cold[way]!.map((x) => x.total))} | ${s(cold[way]!.map((x) => x.values))} | ${s(warm[way]!.map((x) => x.total))} | ${s(warm[way]!.map((x) => x.values))} |`,
  );
