/**
 * `node dist/bench/systemd-plan-host.js` (after `npm run build`): the no-op
 * plan of bench/systemd-lab.ts's 1,000 contexts (VSC_PERF_N) on a host,
 * against the stand-in systemd of the host tests (test/systemd/fake-systemd.ts)
 * with the real host's cgroup reader over its scratch directory: the same
 * phases the lab prints, minus systemd itself (the stand-in answers
 * `systemctl show` in the process), and the same CPU-bound references
 * (`node -e 0`, `vsc check`, the compile/check in the process). Dividing the
 * lab's references by these gives the emulation factor (docs/systemd.md).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recordingIo } from "../src/cli/io.js";
import { sdCmdApply } from "../src/cli/systemd.js";
import { realSystemdHost } from "../src/systemd/host.js";
import { fakeSystemd } from "../test/systemd/fake-systemd.js";
import {
  benchConfig,
  irOf,
  med,
  phaseRows,
  secs,
  timeCheck,
  timeNoopPlans,
  timeProcess,
} from "./systemd-phases.js";

const N = Number(process.env.VSC_PERF_N ?? 1000);
const REPS = Number(process.env.VSC_PERF_REPS ?? 7);
const text = benchConfig(N);
const ir = irOf(text);
const fake = fakeSystemd();
const dir = mkdtempSync(join(tmpdir(), "vsc-bench-"));
try {
  // The fake reads cgroup files with readFileSync; the plan uses the real reader.
  const real = realSystemdHost({ cgroupMount: fake.cgroupMount });
  const h = { ...fake, readCgroup: real.readCgroup.bind(real) };
  const args = { file: "bench.vsc", autoApprove: true, stateDir: join(fake.root, "run") };
  const io = recordingIo();
  if ((await sdCmdApply(ir, args, io, h)) !== 0) throw new Error(io.stderr);
  const plan = timeNoopPlans(ir, args, h, REPS);
  const checks = timeCheck(text, REPS);
  writeFileSync(join(dir, "bench.vsc"), text);
  const node0 = timeProcess([process.execPath, "-e", "0"], REPS);
  const vscCheck = timeProcess(
    [process.execPath, "bin/vsc.js", "check", join(dir, "bench.vsc")],
    3,
  );
  const total = med(plan.totals);
  console.log(`## no-op plan on a host (stand-in systemd), ${N} contexts, median of ${REPS}\n`);
  console.log(`| phase | time | share |\n| --- | --- | --- |`);
  for (const r of phaseRows(plan.phases, total)) console.log(r);
  console.log(`| **no-op plan (sdCmdPlan)** | ${secs(total)} | |`);
  console.log(`\n| reference | time |\n| --- | --- |`);
  console.log(`| compile/check in the process | ${secs(med(checks))} |`);
  console.log(`| node -e 0 | ${secs(med(node0))} |`);
  console.log(`| vsc check FILE (process) | ${secs(med(vscCheck))} |`);
} finally {
  fake.cleanup();
  rmSync(dir, { recursive: true, force: true });
}
