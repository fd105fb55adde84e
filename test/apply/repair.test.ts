/**
 * Scratch trees (--cgroup-mount DIR) left damaged (issue #13): a cgroup
 * half-made by an apply killed between its mkdir and its files, which every
 * later apply used to fail on (ENOENT) until `destroy`; and symbolic links
 * planted in the tree, which root must never follow.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  mkdirSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { applyWithLock, planDesired } from "../../src/apply/applier.js";
import type { Kernel } from "../../src/apply/kernel.js";
import { renderPlan } from "../../src/plan/render.js";
import type { DesiredState } from "../../src/model/desired.js";
import {
  DEFAULT_CONTEXTS,
  fakeTools,
  sampleDesired,
  scratch,
  scratchKernel,
  snapshot,
} from "./fixture.js";

function setup() {
  const s = scratch();
  const k = fakeTools(scratchKernel(s.mount));
  const o = { stateDir: s.stateDir, skipPreflight: true };
  const apply = (kk: Kernel, d: DesiredState) =>
    applyWithLock(
      kk,
      d.cgroupRoot,
      () => planDesired(kk, d, o),
      async () => true,
      o,
    );
  return { ...s, k, o, apply };
}

const withNew = () =>
  sampleDesired({
    contexts: [...DEFAULT_CONTEXTS, { name: "c1", pids: "10" }, { name: "c2", pids: "20" }],
  });

test("a half-made cgroup: the next plan shows what is missing, apply completes it, then no changes", async () => {
  const t = setup();
  assert.ok((await t.apply(t.k, sampleDesired())).result?.ok);
  // What kill -9 leaves: c1 right after its mkdir; c2 part-way through its files.
  mkdirSync(join(t.mount, "vsc/c1"));
  mkdirSync(join(t.mount, "vsc/c2"));
  writeFileSync(join(t.mount, "vsc/c2/cgroup.procs"), "");
  writeFileSync(join(t.mount, "vsc/c2/cgroup.controllers"), "cpu memory pids\n");
  writeFileSync(join(t.mount, "vsc/c2/cpu.weight"), "100\n");

  const planned = planDesired(t.k, withNew(), t.o);
  assert.equal(planned.diagnostics, []);
  const creates = planned.plan!.actions.filter((a) => a.type === "cgroup" && a.op === "create");
  assert.equal(
    creates.map((a) => a.type === "cgroup" && a.path),
    ["vsc/c1", "vsc/c2"],
  );
  const c1 = creates[0]! as { repair?: string[] };
  assert.ok(c1.repair!.includes("cgroup.procs") && c1.repair!.includes("pids.max"));
  assert.not.ok((creates[1] as { repair?: string[] }).repair!.includes("cpu.weight"));
  assert.match(
    renderPlan(planned.plan!, { color: false }),
    /half-made by an interrupted apply, lacks/,
  );

  const out = await t.apply(t.k, withNew());
  assert.equal(out.diagnostics, []);
  assert.ok(out.result?.ok);
  // Completed like a cgroup made in one go: the same files as batch, the desired values.
  const files = (p: string) => readdirSync(join(t.mount, p)).sort();
  assert.equal(files("vsc/c1"), files("vsc/batch"));
  assert.equal(files("vsc/c2"), files("vsc/batch"));
  assert.is(readFileSync(join(t.mount, "vsc/c2/pids.max"), "utf8").trim(), "20");
  const again = planDesired(t.k, withNew(), t.o);
  assert.equal(again.plan!.actions, []);
  t.cleanup();
});

test("a half-made cgroup that is not in the configuration is removed", async () => {
  const t = setup();
  assert.ok((await t.apply(t.k, sampleDesired())).result?.ok);
  mkdirSync(join(t.mount, "vsc/gone"));
  const out = await t.apply(t.k, sampleDesired());
  assert.ok(out.result?.ok, JSON.stringify(out.diagnostics));
  assert.not.ok(readdirSync(join(t.mount, "vsc")).includes("gone"));
  t.cleanup();
});

test("VSC5056: an interface file replaced by a symlink is never read or written through", async () => {
  const t = setup();
  assert.ok((await t.apply(t.k, sampleDesired())).result?.ok);
  const victim = join(t.mount, "..", "victim");
  writeFileSync(victim, "secret\n");
  unlinkSync(join(t.mount, "vsc/batch/cpu.weight"));
  symlinkSync(victim, join(t.mount, "vsc/batch/cpu.weight"));
  const d = sampleDesired({
    contexts: DEFAULT_CONTEXTS.map((c) => (c.name === "batch" ? { ...c, weight: "300" } : c)),
  });
  const out = await t.apply(t.k, d);
  assert.equal(
    out.diagnostics.map((x) => x.code),
    ["VSC5056"],
  );
  assert.not.match(JSON.stringify(out), /secret/);
  assert.is(readFileSync(victim, "utf8"), "secret\n");
  t.cleanup();
});

test("VSC5056: a cgroup directory replaced by a symlink: nothing written through it, the rest undone", async () => {
  const t = setup();
  const foreign = join(t.mount, "..", "foreign");
  mkdirSync(foreign);
  writeFileSync(join(foreign, "cpu.weight"), "100\n");
  const noBatch = sampleDesired({ contexts: DEFAULT_CONTEXTS.filter((c) => c.name !== "batch") });
  assert.ok((await t.apply(t.k, noBatch)).result?.ok);
  // vsc/batch is planted before the next apply makes it.
  symlinkSync(foreign, join(t.mount, "vsc/batch"));
  const before = snapshot(foreign);
  const out = await t.apply(t.k, sampleDesired());
  assert.equal(
    out.diagnostics.map((x) => x.code),
    ["VSC5056"],
  );
  assert.match(out.diagnostics[0]!.notes!.join("\n"), /as it was/);
  assert.equal(snapshot(foreign), before);
  t.cleanup();
});

test.run();
