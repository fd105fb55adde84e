// `vsc apply --confirm` on a real cgroup v2 kernel (kernel lab, #19): an apply
// with --confirm 20s that is not confirmed is back to exactly the previous
// state (every cgroup value, `table inet vsc` as nft lists it, the tc
// classes) within 5 s after the deadline, also when the applying process is
// SIGKILLed right after the apply; a confirmed one stays; a second apply
// while one is pending is refused; a revert that must remove a cgroup the
// apply created, with a process in it, refuses as destroy does (VSC5010)
// unless --move-procs, which moves the process out as destroy --move-procs does.
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { applyWithLock, planDesired } from "../../src/apply/applier.js";
import { confirmPending, readPending, revertPending } from "../../src/apply/confirm.js";
import { hostKernel } from "../../src/apply/host-kernel.js";
import { readCgroups } from "../../src/apply/observe.js";
import { readNft } from "../../src/apply/read-nft.js";
import { readLink } from "../../src/apply/read-tc.js";
import { stateFiles } from "../../src/apply/state.js";
import { MANAGED_FILES } from "../../src/plan/values.js";
import type { DesiredState } from "../../src/model/desired.js";
import { e2eDesired } from "./apply-fixture.js";
import { labSuite, must, run } from "./lab.js";

const test = labSuite("apply --confirm: revert at the deadline");
const ROOT = "vsc-cf";
const NS = `vsc-cf-${process.pid}`;
const MOUNT = "/sys/fs/cgroup";
const child = join(fileURLToPath(new URL(".", import.meta.url)), "../confirm/child.js");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const kernel = () => hostKernel({ cgroupMount: MOUNT, netns: NS });
const yes = async () => true;

const stateDir = mkdtempSync("/tmp/vsc-cf-state-");
const st = stateFiles(stateDir, MOUNT, ROOT);
const apply = (d: DesiredState, seconds?: number) => {
  const o = {
    stateDir,
    ...(seconds ? { confirm: { seconds, watchdog: "process" as const } } : {}),
  };
  const k = kernel();
  return applyWithLock(k, d.cgroupRoot, () => planDesired(k, d, o), yes, o);
};
const revert = (moveProcs = false) =>
  revertPending(st, {
    ...(moveProcs ? { moveProcs: true } : {}),
    kernelFor: (r) =>
      hostKernel({ cgroupMount: r.cgroupMount, ...(r.netns ? { netns: r.netns } : {}) }),
  });

/** Everything compared: every cgroup's controllers and values, the table as nft lists it, the classes. */
function live() {
  const k = kernel();
  return {
    cgroups: readCgroups(k, ROOT, [...MANAGED_FILES]).map((c) => ({ ...c, procs: 0 })),
    digest: readNft(k).digest ?? null,
    // Lists the rules with the cgroup paths nft resolves from the ids held: a re-created cgroup must be named again.
    table: run("nft", ["list", "table", "inet", "vsc"], { netns: NS }).stdout,
    link: readLink(k, "v0"),
  };
}

/** Waits for the watchdog's outcome; returns how long after the deadline it was written. */
async function revertedAfter(deadline: number, limitMs: number): Promise<number> {
  const file = join(stateDir, `${st.key}.outcome`);
  const end = deadline + limitMs + 20_000;
  while (Date.now() < end) {
    try {
      const o = JSON.parse(readFileSync(file, "utf8")) as {
        at: number;
        restoredAt?: number;
        result: string;
        timings?: Record<string, number>;
      };
      if (o.result !== "confirmed") {
        assert.is(o.result, "reverted");
        process.stdout.write(
          `reverted: restored ${o.restoredAt! - deadline} ms after the deadline, verified and reported at ${o.at - deadline} ms; ${JSON.stringify(o.timings)}\n`,
        );
        return o.restoredAt! - deadline;
      }
    } catch {
      /* not yet */
    }
    await sleep(250);
  }
  throw new Error("the watchdog did not revert");
}

test.before(() => {
  run("ip", ["netns", "del", NS]);
  must("ip", ["netns", "add", NS]);
  must("ip", ["-n", NS, "link", "add", "v0", "type", "veth", "peer", "name", "v0p"]);
  for (const l of ["v0", "v0p"]) must("ip", ["-n", NS, "link", "set", l, "up"]);
});
test.after(async () => {
  await confirmPending(st);
  const k = kernel();
  const d = e2eDesired(ROOT);
  const { planDestroyFor } = await import("../../src/apply/applier.js");
  const { destroyTargetOf } = await import("../../src/plan/plan.js");
  await applyWithLock(
    k,
    ROOT,
    () => planDestroyFor(k, destroyTargetOf(d), { stateDir, moveProcs: true }),
    yes,
    { stateDir },
  );
  run("ip", ["netns", "del", NS]);
});

test("not confirmed: back to the exact previous state within 5 s after a 20 s deadline", async () => {
  assert.ok((await apply(e2eDesired(ROOT))).result?.ok);
  const before = live();
  // "drop" removes a cgroup the rules name, a class and a rule: the revert re-creates the cgroup
  // (a new id) and loads the rules again, which then name it again.
  const out = await apply(e2eDesired(ROOT, "drop"), 20);
  assert.ok(out.pending, JSON.stringify(out.diagnostics));
  assert.not.equal(live(), before);
  const late = await revertedAfter(out.pending!.deadline, 5000);
  assert.ok(late >= 0 && late <= 5000, `reverted ${late} ms after the deadline`);
  assert.equal(live(), before);
  assert.match(before.table, /socket cgroupv2 level 2 "vsc-cf\/batch"/);
});

test("the applying process SIGKILLed right after the apply: reverted all the same", async () => {
  const before = live();
  const p = spawn("node", [
    child,
    JSON.stringify({
      mount: MOUNT,
      netns: NS,
      stateDir,
      variant: "base",
      e2e: "drop",
      root: ROOT,
      seconds: 20,
    }),
  ]);
  let out = "";
  p.stdout.on("data", (b) => (out += String(b)));
  // Slow under emulation on a loaded host: the child loads the applier, preflights and applies.
  for (let i = 0; i < 2400 && !/armed|failed/.test(out); i++) await sleep(100);
  p.kill("SIGKILL");
  assert.match(out, /armed (\d+)/);
  await new Promise((r) => p.on("exit", r));
  assert.not.equal(live(), before);
  const late = await revertedAfter(Number(/armed (\d+)/.exec(out)![1]), 5000);
  assert.ok(late >= 0 && late <= 5000, `reverted ${late} ms after the deadline`);
  assert.equal(live(), before);
});

test("confirmed: stays after the deadline; a second apply while pending is refused (VSC5401)", async () => {
  const out = await apply(e2eDesired(ROOT, "edit"), 3);
  assert.ok(out.pending, JSON.stringify(out.diagnostics));
  const second = await apply(e2eDesired(ROOT));
  assert.is(second.diagnostics[0]?.code, "VSC5401");
  const applied = live();
  assert.is((await confirmPending(st)).code, 0);
  await sleep(Math.max(0, out.pending!.deadline - Date.now()) + 3000);
  assert.equal(live(), applied);
  assert.is(readPending(st).kind, "none");
  assert.ok((await apply(e2eDesired(ROOT))).result?.ok);
});

test("a cgroup the apply created holds a process: refused (VSC5010), then moved out with --move-procs", async () => {
  assert.ok((await apply(e2eDesired(ROOT, "drop"))).result?.ok);
  const before = live();
  const out = await apply(e2eDesired(ROOT), 120);
  assert.ok(out.pending, JSON.stringify(out.diagnostics));
  const sleeper = spawn("sleep", ["300"]);
  try {
    must("sh", ["-c", `echo ${sleeper.pid} > ${MOUNT}/${ROOT}/batch/cgroup.procs`]);
    const applied = live();
    const refused = await revert();
    assert.is(refused.code, 1);
    assert.is(refused.diagnostics[0]?.code, "VSC5010");
    assert.equal(live(), applied);
    const moved = await revert(true);
    assert.is(moved.code, 0, JSON.stringify(moved.diagnostics));
    assert.equal(live(), before);
    // As destroy --move-procs: to the cgroup holding vsc's subtree (here the mount root).
    assert.match(
      readFileSync(`${MOUNT}/cgroup.procs`, "utf8"),
      new RegExp(`^${sleeper.pid}$`, "m"),
    );
  } finally {
    sleeper.kill("SIGKILL");
  }
});

test.run();
