import { test } from "uvu";
import * as assert from "uvu/assert";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import {
  applySavedPlan,
  applyWithLock,
  planDesired,
  planDestroyFor,
} from "../../src/apply/applier.js";
import { executePlan } from "../../src/apply/execute.js";
import { acquireLock, journalMarker, stateFiles } from "../../src/apply/state.js";
import { destroyTargetOf } from "../../src/plan/plan.js";
import type { Kernel } from "../../src/apply/kernel.js";
import type { DesiredState } from "../../src/model/desired.js";
import {
  DEFAULT_CONTEXTS,
  instrument,
  sampleDesired,
  scratch,
  scratchKernel,
  snapshot,
} from "./fixture.js";

// nft and tc are faked here (no netns): reads say "empty", changes succeed.
// test/apply/netns.test.ts runs the same paths against real nft and tc.
function fakeTools(k: Kernel): Kernel {
  let table: string | undefined;
  return {
    ...k,
    run(tool, args, input) {
      if (tool === "nft" && input?.startsWith("list tables")) {
        const m = table ? /comment "vsc:([0-9a-f]+)"/.exec(table) : null;
        return {
          status: 0,
          stdout: table
            ? `table inet vsc\ntable inet vsc {\n\tchain output {\n\t\tcomment "vsc:${m?.[1]}"\n\t}\n}\n`
            : "",
          stderr: "",
        };
      }
      if (tool === "nft" && args[0] === "-f") table = input;
      if (tool === "nft" && args[0] === "delete") table = undefined;
      return { status: 0, stdout: "", stderr: "" };
    },
  };
}

const yes = async () => true;

function setup() {
  const s = scratch();
  const base = fakeTools(scratchKernel(s.mount));
  const opts = { stateDir: s.stateDir, skipPreflight: true };
  const apply = async (k: Kernel, d: DesiredState, o: { moveProcs?: boolean } = {}) =>
    applyWithLock(k, d.cgroupRoot, () => planDesired(k, d, { ...opts, ...o }), yes, opts);
  return { ...s, base, opts, apply };
}

test("apply from empty writes every value, parents first, controllers before values", async () => {
  const t = setup();
  const k = instrument(t.base);
  const d = sampleDesired();
  const out = await t.apply(k, d);
  assert.equal(out.diagnostics, []);
  assert.ok(out.result?.ok);
  const idx = (s: string) => k.log.findIndex((l) => l.startsWith(s));
  assert.ok(idx("mkdir vsc") < idx("write vsc/cgroup.subtree_control"));
  assert.ok(idx("write vsc/cgroup.subtree_control") < idx("mkdir vsc/web-tier"));
  assert.ok(idx("mkdir vsc/web-tier") < idx("mkdir vsc/web-tier/web"));
  assert.ok(
    idx("write vsc/web-tier/cgroup.subtree_control") < idx("write vsc/web-tier/web/cpu.weight"),
  );
  assert.ok(
    idx("nft -f") > idx("write vsc/web-tier/web/pids.max"),
    "nft is loaded after the cgroups it may name",
  );
  for (const c of d.cgroups)
    for (const f of c.files)
      assert.is(k.read(`${c.path}/${f.name}`)?.trim(), f.value, `${c.path}/${f.name}`);
  t.cleanup();
});

test("second apply: no actions, zero writes, says so", async () => {
  const t = setup();
  const d = sampleDesired();
  await t.apply(t.base, d);
  const k = instrument(t.base);
  const out = await t.apply(k, d);
  assert.is(out.plan?.actions.length, 0);
  assert.is(k.writes, 0);
  assert.is(out.result?.changes, 0);
  t.cleanup();
});

test("one-field edit: one action, one write", async () => {
  const t = setup();
  await t.apply(t.base, sampleDesired());
  const edited = sampleDesired({
    contexts: DEFAULT_CONTEXTS.map((c) => (c.name === "web" ? { ...c, weight: "300" } : c)),
  });
  const k = instrument(t.base);
  const out = await t.apply(k, edited);
  assert.is(out.plan?.actions.length, 1);
  assert.is(out.plan?.actions[0]?.address, "cgroup vsc/web-tier/web cpu.weight");
  assert.is(k.writes, 1);
  assert.equal(k.log, ["write vsc/web-tier/web/cpu.weight 300"]);
  assert.is(k.read("vsc/web-tier/web/cpu.weight")?.trim(), "300");
  t.cleanup();
});

test("removing a context removes exactly its cgroup, children first", async () => {
  const t = setup();
  await t.apply(t.base, sampleDesired());
  const k = instrument(t.base);
  const fewer = sampleDesired({
    contexts: DEFAULT_CONTEXTS.filter((c) => c.name !== "batch"),
  });
  const out = await t.apply(k, fewer);
  assert.ok(out.result?.ok);
  assert.equal(
    k.log.filter((l) => l.startsWith("rmdir")),
    ["rmdir vsc/batch"],
  );
  assert.is(k.list("vsc")?.join(","), "web-tier");
  t.cleanup();
});

test("rollback: a write the kernel refuses half-way leaves every value as it was", async () => {
  const t = setup();
  await t.apply(t.base, sampleDesired());
  const before = snapshot(t.mount);
  // Change many things at once (values, a new context, a removed one), fail the 5th change.
  const changed = sampleDesired({
    contexts: [
      { name: "web-tier", weight: "500", memMax: "1073741824" },
      {
        name: "web",
        parent: "web-tier",
        weight: "250",
        memMax: "1073741824",
        pids: "100",
      },
      { name: "extra", weight: "50" },
    ],
  });
  let n = 0;
  const k = instrument(t.base, (op) =>
    op.startsWith("write") && ++n === 5 ? "Invalid argument" : undefined,
  );
  const out = await t.apply(k, changed);
  assert.is(out.result?.ok, false);
  assert.is(out.diagnostics[0]?.code, "VSC5020");
  assert.match(out.diagnostics[0]!.message, /Invalid argument/);
  assert.match(out.diagnostics[0]!.notes!.join("\n"), /rolled back/);
  assert.equal(snapshot(t.mount), before);
  t.cleanup();
});

test("rollback after a failure late in the plan (nft refused) undoes deletes and creates", async () => {
  const t = setup();
  await t.apply(t.base, sampleDesired());
  const before = snapshot(t.mount);
  const changed = sampleDesired({
    contexts: [
      ...DEFAULT_CONTEXTS.filter((c) => c.name !== "batch"),
      { name: "new", weight: "10" },
    ],
    nftExtra: "    meta mark 1 accept\n",
  });
  const k = instrument(t.base, (op) =>
    op.startsWith("nft -f")
      ? "Error: Could not process rule: No such file or directory"
      : undefined,
  );
  const out = await t.apply(k, changed);
  assert.is(out.diagnostics[0]?.code, "VSC5023");
  assert.match(out.diagnostics[0]!.message, /Could not process rule/);
  assert.equal(snapshot(t.mount), before);
  t.cleanup();
});

test("a cgroup to remove that holds processes: refused with the count, nothing changed", async () => {
  const t = setup();
  await t.apply(t.base, sampleDesired());
  writeFileSync(join(t.mount, "vsc/batch/cgroup.procs"), "4242\n4243\n");
  const before = snapshot(t.mount);
  const k = instrument(t.base);
  const out = await t.apply(
    k,
    sampleDesired({
      contexts: DEFAULT_CONTEXTS.filter((c) => c.name !== "batch"),
    }),
  );
  assert.is(out.diagnostics[0]?.code, "VSC5010");
  assert.match(out.diagnostics[0]!.message, /vsc\/batch .* 2 processes/);
  assert.is(k.writes, 0);
  assert.equal(snapshot(t.mount), before);
  t.cleanup();
});

test("--move-procs moves them out of vsc's subtree, then removes the cgroup", async () => {
  const t = setup();
  await t.apply(t.base, sampleDesired());
  writeFileSync(join(t.mount, "vsc/batch/cgroup.procs"), "4242\n");
  const out = await t.apply(
    t.base,
    sampleDesired({
      contexts: DEFAULT_CONTEXTS.filter((c) => c.name !== "batch"),
    }),
    { moveProcs: true },
  );
  assert.ok(out.result?.ok, JSON.stringify(out.diagnostics));
  assert.is(t.base.list("vsc/batch"), undefined);
  assert.match(t.base.read("cgroup.procs") ?? "", /4242/);
  t.cleanup();
});

test("lock: a second apply is refused while the first holds it; a dead holder's lock is taken over", async () => {
  const t = setup();
  const st = stateFiles(t.stateDir, t.mount, "vsc");
  const held = acquireLock(st);
  assert.ok(held.ok);
  const out = await t.apply(t.base, sampleDesired());
  assert.is(out.diagnostics[0]?.code, "VSC5030");
  assert.match(out.diagnostics[0]!.message, new RegExp(`pid ${process.pid}`));
  if (held.ok) held.release();
  // A lock file left by a process that no longer exists (SIGKILLed apply).
  const dead = spawnSync("true").pid!;
  writeFileSync(join(t.stateDir, `${st.key}.lock`), `${dead} 1\n`);
  const again = await t.apply(t.base, sampleDesired());
  assert.ok(again.result?.ok, JSON.stringify(again.diagnostics));
  t.cleanup();
});

test("saved plan: applied as written; refused when the live state moved", async () => {
  const t = setup();
  const d = sampleDesired();
  const planned = planDesired(t.base, d, t.opts);
  const fresh = await applySavedPlan(t.base, planned.plan!, yes, t.opts);
  assert.ok(fresh.result?.ok);
  // Plan an edit, then let the live state move before applying it.
  const edited = sampleDesired({
    contexts: DEFAULT_CONTEXTS.map((c) => (c.name === "batch" ? { ...c, pids: "9" } : c)),
  });
  const p2 = planDesired(t.base, edited, t.opts).plan!;
  writeFileSync(join(t.mount, "vsc/web-tier/web/cpu.weight"), "77\n");
  const before = snapshot(t.mount);
  const k = instrument(t.base);
  const stale = await applySavedPlan(k, p2, yes, t.opts);
  assert.is(stale.diagnostics[0]?.code, "VSC5032");
  assert.is(k.writes, 0);
  assert.equal(snapshot(t.mount), before);
  t.cleanup();
});

test("a killed apply leaves its journal: the next plan reloads nft and converges", async () => {
  const t = setup();
  const d = sampleDesired();
  await t.apply(t.base, d);
  // Simulate SIGKILL half-way through an edit: some values written, journal marker left.
  const st = stateFiles(t.stateDir, t.mount, "vsc");
  journalMarker.set(st, "test");
  writeFileSync(join(t.stateDir, `${st.key}.journal`), `${spawnSync("true").pid} 1\nkilled\n`);
  t.base.rmdir("vsc/batch");
  const p = planDesired(t.base, d, t.opts).plan!;
  assert.ok(p.actions.some((a) => a.type === "nft" && /interrupted/.test(a.reason ?? "")));
  const out = await t.apply(t.base, d);
  assert.ok(out.result?.ok);
  const again = planDesired(t.base, d, t.opts).plan!;
  assert.is(again.actions.length, 0);
  t.cleanup();
});

test("destroy removes the owned subtree and nothing else", async () => {
  const t = setup();
  await t.apply(t.base, sampleDesired());
  t.base.mkdir("foreign");
  t.base.write("foreign/cpu.weight", "42");
  const k = instrument(t.base);
  const target = destroyTargetOf(sampleDesired());
  const out = await applyWithLock(k, "vsc", () => planDestroyFor(k, target, t.opts), yes, t.opts);
  assert.ok(out.result?.ok, JSON.stringify(out.diagnostics));
  assert.is(k.list("vsc"), undefined);
  assert.is(k.read("foreign/cpu.weight")?.trim(), "42");
  assert.equal(k.list(""), ["foreign"]);
  const second = planDestroyFor(k, target, t.opts);
  assert.is(second.plan?.actions.length, 0);
  t.cleanup();
});

test("declined confirmation changes nothing", async () => {
  const t = setup();
  const k = instrument(t.base);
  const d = sampleDesired();
  const out = await applyWithLock(
    k,
    "vsc",
    () => planDesired(k, d, t.opts),
    async () => false,
    t.opts,
  );
  assert.is(out.approved, false);
  assert.is(k.writes, 0);
  t.cleanup();
});

test("executePlan on an empty plan makes no change", () => {
  const t = setup();
  const k = instrument(t.base);
  const st = stateFiles(t.stateDir, t.mount, "vsc");
  const d = sampleDesired();
  const p = planDesired(k, d, t.opts).plan!;
  const r = executePlan(k, { ...p, actions: [] }, { state: st });
  assert.ok(r.ok);
  assert.is(k.writes, 0);
  t.cleanup();
});

test.run();
