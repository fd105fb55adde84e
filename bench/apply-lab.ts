/**
 * `npm run bench:kernel`: the applier benchmark on a real cgroup v2 kernel
 * (run inside the kernel lab by scripts/kernel-lab/run.sh). 1,000 contexts
 * (VSC_PERF_N): apply from empty against its floor (one `nft -f` of the same
 * ruleset, one `tc -batch` of the same lines, the same cgroup writes in a
 * plain loop), the no-op plan, and a one-context edit. Absolute times under
 * software emulation are slow; the ratio to the floor is what carries over.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { must, run } from "../test/kernel/lab.js";
import { measure } from "../test/kernel/apply-perf.js";
import { fmtMs, fmtRatio, runsLine, table } from "./measure.js";

if (!process.env.VSC_KERNEL_LAB) {
  console.error("bench/apply-lab runs inside the kernel lab: npm run bench:kernel");
  process.exit(1);
}
const NS = `vsc-perf-${process.pid}`;
must("ip", ["netns", "add", NS]);
try {
  must("ip", ["-n", NS, "link", "add", "v0", "type", "veth", "peer", "name", "v0p"]);
  must("ip", ["-n", NS, "link", "set", "v0", "up"]);
  const f = await measure({
    n: Number(process.env.VSC_PERF_N ?? 1000),
    mount: "/sys/fs/cgroup",
    root: "vsc-perf",
    netns: NS,
    leaf: "fq_codel",
    cgroupRules: true,
    stateDir: mkdtempSync("/tmp/vsc-perf-"),
    reps: Number(process.env.VSC_PERF_REPS ?? 3),
  });
  console.log(
    `## apply on a real cgroup v2 kernel (kernel lab, software emulation), ${f.n} contexts\n`,
  );
  console.log(
    table(
      ["floor", "apply from empty", "/ floor", "no-op plan", "one-context edit", "writes"],
      [
        [
          fmtMs(f.floorMs),
          fmtMs(f.applyMs),
          fmtRatio(f.ratio),
          fmtMs(f.noopPlanMs),
          fmtMs(f.editApplyMs),
          String(f.editWrites),
        ],
      ],
    ),
  );
  console.log(runsLine(f));
  if (process.env.VSC_LAB_OUT)
    writeFileSync(join(process.env.VSC_LAB_OUT, "apply-perf.json"), JSON.stringify(f));
} finally {
  run("ip", ["netns", "del", NS]);
}
