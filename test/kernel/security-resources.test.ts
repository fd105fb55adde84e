// #16 in the kernel lab: memory % of the host, a shared cpuset and an OOM
// group, compiled from vsc text, applied by the real applier (read back,
// second plan empty), then exercised through `vsc exec`.
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { applyWithLock, planDesired } from "../../src/apply/applier.js";
import { hostKernel } from "../../src/apply/host-kernel.js";
import { desiredState } from "../../src/model/state.js";
import type { VscIr } from "../../src/ir/types.gen.js";
import type { DesiredState } from "../../src/model/desired.js";
import { checkText } from "../check/helpers.js";
import { vscExec } from "../exec/harness.js";
import { LAB_CGROUP_MOUNT, labSuite, must, readCgroup, removeCgroup, run } from "./lab.js";

const test = labSuite("memory %, shared cpus and oom group in the kernel lab");
const ROOT = "vsc-sec-res";
const NS = `vsc-sec-${process.pid}`;
const slow = { timeoutMs: 180_000 };
const kernel = () => hostKernel({ cgroupMount: LAB_CGROUP_MOUNT, netns: NS });
const yes = async () => true;
const memKiB = Number(/MemTotal:\s+(\d+) kB/.exec(readFileSync("/proc/meminfo", "utf8"))![1]);
let ir: VscIr;
let desired: DesiredState;

test.before(async () => {
  run("ip", ["netns", "del", NS]);
  must("ip", ["netns", "add", NS]);
  const r = checkText(`host lab {
  cpus 2
  memory ${memKiB}KiB
  cgroup-root "${ROOT}"
}
context half { id 1  memory { limit 50% } }
context pinned { id 2  cpu { cpus "1" } }
context pinned0 { id 3  cpu { cpus "0" } }
context grp { id 4  memory { limit 48MiB  swap 0  oom group } }
context solo { id 5  memory { limit 48MiB  swap 0 } }
`);
  assert.equal(r.diagnostics, []);
  ir = r.ir!;
  desired = desiredState(ir);
  const st = mkdtempSync("/tmp/vsc-sec-state-");
  const k = kernel();
  await applyWithLock(k, ROOT, () => planDesired(k, desired, { stateDir: st }), yes, {
    stateDir: st,
  });
  // Idempotent: what was written reads back the same, so nothing is left to do.
  assert.is(planDesired(kernel(), desired, { stateDir: st }).plan?.actions.length, 0);
});

test.after(() => {
  for (const c of ["half", "pinned", "pinned0", "grp", "solo"]) {
    try {
      removeCgroup(`${ROOT}/${c}`);
    } catch {
      /* still busy: the lab is thrown away */
    }
  }
  run("ip", ["netns", "del", NS]);
});

test("limit 50% is half the lab's memory in bytes (page-rounded by the kernel)", () => {
  const half = Math.floor((memKiB * 1024) / 2);
  assert.is(readCgroup(`${ROOT}/half`, "memory.max").trim(), String(half - (half % 4096)));
});

test("a shared cpuset is honoured: the context's tasks only ever run on its cpu", async () => {
  assert.is(readCgroup(`${ROOT}/pinned`, "cpuset.cpus").trim(), "1");
  assert.is(readCgroup(`${ROOT}/pinned`, "cpuset.cpus.effective").trim(), "1");
  // Two busy processes each sample the cpu they run on (field 39 of
  // /proc/self/stat) 300 times over about 1.5 s.
  const sampler =
    "for my $k (1, 2) { fork or last } my %s; for (1 .. 300) { my $t = time + 0.005; 1 while time < $t; " +
    'open my $f, "<", "/proc/self/stat"; my @x = split / /, (<$f> =~ s/.*\\) //r); $s{$x[36]} = 1 } ' +
    'print join(",", sort keys %s), "\\n"; 1 while wait > 0';
  for (const [ctx, cpu] of [
    ["pinned", "1"],
    ["pinned0", "0"],
  ] as const) {
    const r = await vscExec(
      ir,
      {
        context: ctx,
        cgroupMount: LAB_CGROUP_MOUNT,
        command: ["perl", "-MTime::HiRes=time", "-e", sampler],
      },
      slow,
    );
    assert.is(r.code, 0, r.stderr);
    const seen = r.stdout.trim().split("\n");
    assert.is(seen.length, 3, r.stdout);
    for (const s of seen) assert.is(s, cpu, `${ctx}: ${r.stdout}`);
  }
});

test("oom group: an OOM in one process kills every process of the context, none outside", async () => {
  assert.is(readCgroup(`${ROOT}/grp`, "memory.oom.group").trim(), "1");
  assert.is(readCgroup(`${ROOT}/solo`, "memory.oom.group").trim(), "0");
  const outside = spawn("sleep", ["60"], { stdio: "ignore" });
  // A bystander sleeps, then a hog exceeds the limit.
  const script =
    "sleep 5 & perl -e '$x = \"a\" x (96 << 20)'; echo hog=$?; wait $!; echo bystander=$?";
  try {
    const grp = await vscExec(
      ir,
      { context: "grp", cgroupMount: LAB_CGROUP_MOUNT, command: ["sh", "-c", script] },
      slow,
    );
    // The shell itself was killed with the hog: nothing after the hog ran.
    assert.is(grp.code, 137, grp.stdout + grp.stderr);
    assert.is(grp.stdout, "");
    assert.match(readCgroup(`${ROOT}/grp`, "memory.events"), /oom_group_kill [1-9]/);
    const solo = await vscExec(
      ir,
      { context: "solo", cgroupMount: LAB_CGROUP_MOUNT, command: ["sh", "-c", script] },
      slow,
    );
    // Without the group only the hog dies; the bystander finishes its sleep.
    assert.is(solo.stdout, "hog=137\nbystander=0\n", solo.stderr);
    assert.is(outside.exitCode, null);
    assert.ok(outside.kill(0), "a process outside the context is alive");
  } finally {
    outside.kill("SIGKILL");
  }
});

test.run();
