/**
 * `npm run bench:systemd-lab`: the systemd driver on a real systemd 252 as
 * PID 1 (the kernel lab's systemd mode). 1,000 contexts (VSC_PERF_N): apply
 * from empty against its floor (the same unit files written in a plain loop,
 * one daemon-reload, `systemctl start` of the target that starts the slices
 * and loads the ruleset), timed in the same boot; the no-op plan; and a
 * one-context edit (how many files its plan touches, and its apply). The
 * floor is timed twice (before vsc's apply and after it, each from an empty
 * host) and the ratio is against the faster one. Each step is logged with
 * its time as it ends, so a run that dies midway still says how far it got.
 * Absolute times under software emulation are slow; the ratio to the floor
 * is what carries over.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { recordingIo } from "../src/cli/io.js";
import { sdCmdApply, sdCmdDestroy, sdCmdPlan } from "../src/cli/systemd.js";
import { sdDesired, sdObserve, sdPlan, sdVerify } from "../src/systemd/driver.js";
import { type SystemdHost, realSystemdHost } from "../src/systemd/host.js";
import { writeLink, writeUnitFile } from "../src/systemd/unit-dir.js";
import {
  benchConfig as config,
  irOf,
  med,
  phaseRows,
  timeCheck,
  timeNoopPlans,
  timeProcess,
} from "./systemd-phases.js";

if (process.env.VSC_SYSTEMD_LAB !== "1") {
  console.error(
    "bench/systemd-lab runs in the kernel lab's systemd mode: npm run bench:systemd-lab",
  );
  process.exit(1);
}
const N = Number(process.env.VSC_PERF_N ?? 1000);

const sc = (...args: string[]) => {
  const r = spawnSync("systemctl", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`systemctl ${args.join(" ")}: ${r.stderr}`);
};
const time = (f: () => unknown): number => {
  const t = performance.now();
  f();
  return performance.now() - t;
};
const timeAsync = async (f: () => Promise<unknown>): Promise<number> => {
  const t = performance.now();
  await f();
  return performance.now() - t;
};

// The real host, with every command that takes over a second logged (where the time goes).
const real = realSystemdHost();
const h: SystemdHost = {
  ...real,
  run(argv, input) {
    const t = performance.now();
    const r = real.run(argv, input);
    const ms = performance.now() - t;
    if (ms > 1000)
      console.log(
        `bench:   ${argv.slice(0, 4).join(" ")}${argv.length > 4 ? " ..." : ""}: ${(ms / 1000).toFixed(2)} s`,
      );
    return r;
  },
};
const ir = irOf(config(N));
const want = sdDesired(ir);
const args = { file: "bench.vsc", autoApprove: true, stateDir: "/run/vsc-bench" };
const t0 = performance.now();
const step = (what: string, ms?: number) =>
  console.log(
    `bench: ${((performance.now() - t0) / 1000).toFixed(1)} s: ${what}${ms === undefined ? "" : ` (${(ms / 1000).toFixed(2)} s)`}`,
  );
step(`${N} contexts, ${want.files.length} files, ${want.slices.length} slices`);

// The floor: the same files, one reload, the target started.
const floorRun = () =>
  time(() => {
    for (const f of want.files)
      writeUnitFile(f.root === "unit" ? h.unitDir : h.installDir, f.path, f.text);
    for (const l of want.links) writeLink(h.unitDir, l.path, l.target);
    sc("daemon-reload");
    sc("start", want.target);
  });
// Back to empty (not part of any figure): vsc's destroy removes exactly these files.
const destroy = async (): Promise<number> => {
  const io = recordingIo();
  let code = 0;
  const ms = await timeAsync(async () => {
    code = await sdCmdDestroy(ir, args, io, h);
  });
  if (code !== 0) throw new Error(io.stderr);
  rmSync("/etc/vsc", { recursive: true, force: true });
  return ms;
};

// Part of vsc's apply: systemd-analyze verify on the new files (how much of it).
const verify = time(() => sdVerify(h, sdPlan(h, want, sdObserve(h, want)).plan!));
step("systemd-analyze verify of the files alone", verify);
const floor1 = floorRun();
step("floor (files, daemon-reload, start)", floor1);
step("destroy", await destroy());

let io = recordingIo();
let code = 0;
const apply = await timeAsync(async () => {
  code = await sdCmdApply(ir, args, io, h);
});
if (code !== 0) throw new Error(io.stderr);
step("vsc apply from empty", apply);

io = recordingIo();
const noop = time(() => {
  code = sdCmdPlan(ir, { ...args, detailedExitcode: true }, io, h);
});
if (code !== 0) throw new Error(`no-op plan not empty: ${io.stdout.slice(0, 500)}`);
step("no-op plan", noop);
// Its floor: only reading what it must compare, in a plain loop (every file
// in the unit directory, vsc's or not, and every live value), no systemctl.
let bytes = 0;
const noopFloor = time(() => {
  for (const e of readdirSync(h.unitDir, { withFileTypes: true }))
    if (e.isFile()) bytes += readFileSync(`${h.unitDir}/${e.name}`, "utf8").length;
  for (const sl of want.slices)
    for (const v of sl.values)
      bytes += readFileSync(`/sys/fs/cgroup/${sl.cgroupPath}/${v.file}`, "utf8").length;
});
step(`no-op plan's floor: reading the same files (${bytes} bytes)`, noopFloor);
io = recordingIo();
const noop2 = time(() => {
  code = sdCmdPlan(ir, { ...args, detailedExitcode: true }, io, h);
});
step("no-op plan again", noop2);

// Where a no-op plan's time goes (3 more, phase by phase), and the CPU-bound
// references whose ratio to a host's is the emulation factor
// (bench/systemd-plan-host.ts prints the host's).
const phased = timeNoopPlans(ir, args, h, 3);
step(
  `no-op plan, 3 more with phases: ${phased.totals.map((x) => (x / 1000).toFixed(2)).join(", ")} s`,
);
const text = config(N);
const checks = timeCheck(text, 3);
step("compile/check in the process, median of 3", med(checks));
mkdirSync("/run/vsc-bench", { recursive: true });
writeFileSync("/run/vsc-bench/bench.vsc", text);
const node0 = timeProcess([process.execPath, "-e", "0"], 3);
step("node -e 0, median of 3", med(node0));
const vsc = `${process.cwd()}/bin/vsc.js`;
const cliCheck = timeProcess(
  [process.execPath, vsc, "check", "bench.vsc"],
  3,
  {},
  "/run/vsc-bench",
);
step("vsc check FILE (a process), median of 3", med(cliCheck));
const cliPlan = timeProcess(
  [process.execPath, vsc, "plan", "bench.vsc", "--detailed-exitcode"],
  3,
  {},
  "/run/vsc-bench",
);
step("vsc plan FILE (a process, no-op), median of 3", med(cliPlan));

const edited = irOf(config(N, true));
io = recordingIo();
const edit = time(() => sdCmdPlan(edited, args, io, h));
const touched = io.stdout.split("\n").filter((l) => /^\s+[+~-] \//.test(l));
const props = io.stdout.split("\n").filter((l) => /^\s+~ \S+\.slice \w+ \(/.test(l));
step(`one-context edit plan: ${touched.length} file(s), ${props.length} live value(s)`, edit);
io = recordingIo();
const editApply = await timeAsync(async () => {
  code = await sdCmdApply(edited, args, io, h);
});
if (code !== 0) throw new Error(io.stderr);
step("one-context edit apply", editApply);

step("destroy", await destroy());
const floor2 = floorRun();
step("floor again", floor2);
const floor = Math.min(floor1, floor2);

// The cgroupfs driver's no-op plan of the same contexts in the same boot, as
// processes (`vsc plan FILE`), for comparison: applied by `vsc apply` under
// its own root (/sys/fs/cgroup/vsc, beside vsc.slice), removed after.
let cgPlan: number[] = [];
try {
  writeFileSync("/run/vsc-bench/bench-cg.vsc", text.replace("  driver systemd\n", ""));
  const cg = (verb: string, ...more: string[]) =>
    timeProcess(
      [process.execPath, vsc, verb, "bench-cg.vsc", "--state-dir", "/run/vsc-bench-cg", ...more],
      1,
      {},
      "/run/vsc-bench",
    )[0]!;
  step("cgroupfs driver: vsc apply (a process)", cg("apply", "--auto-approve"));
  cgPlan = [0, 1, 2].map(() => cg("plan", "--detailed-exitcode"));
  step("cgroupfs driver: vsc plan FILE (a process, no-op), median of 3", med(cgPlan));
  step("cgroupfs driver: vsc destroy (a process)", cg("destroy", "--auto-approve"));
} catch (e) {
  step(`cgroupfs driver comparison failed: ${(e as Error).message.slice(0, 300)}`);
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const total = med(phased.totals);
console.log(`\n## no-op plan of ${N} contexts by phase (median of 3, in the process)\n`);
console.log(`| phase | time | share |\n| --- | --- | --- |`);
for (const r of phaseRows(phased.phases, total)) console.log(r);
console.log(`| **no-op plan (sdCmdPlan)** | ${s(total)} | |`);
console.log(`\n| reference (median of 3) | time |\n| --- | --- |`);
console.log(`| compile/check in the process | ${s(med(checks))} |`);
console.log(`| node -e 0 | ${s(med(node0))} |`);
console.log(`| vsc check FILE (process) | ${s(med(cliCheck))} |`);
console.log(`| vsc plan FILE (process, no-op) | ${s(med(cliPlan))} |`);
if (cgPlan.length > 0)
  console.log(`| cgroupfs driver: vsc plan FILE (process, no-op) | ${s(med(cgPlan))} |`);
console.log(`\n## systemd driver on systemd 252 (kernel lab, software emulation), ${N} contexts\n`);
console.log(
  "| floor (before, after) | vsc apply from empty | / floor | verify alone | no-op plan (twice) | its floor | one-context edit: plan | files | live values | edit apply |",
);
console.log(
  "| --------------------- | -------------------- | ------- | ------------ | ------------------ | --------- | ---------------------- | ----- | ----------- | ---------- |",
);
console.log(
  `| ${s(floor)} (${s(floor1)}, ${s(floor2)}) | ${s(apply)} | ${(apply / floor).toFixed(2)}x | ${s(verify)} | ${s(noop)}, ${s(noop2)} | ${s(noopFloor)} | ${s(edit)} | ${touched.length} (${touched.map((l) => l.trim().replace(/^.*\//, "")).join(", ")}) | ${props.length} | ${s(editApply)} |`,
);
