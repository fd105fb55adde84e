// The applier under faults on a real cgroup v2 kernel (kernel lab, issue #13):
// part of the cgroup tree bound read-only (real EROFS from cgroupfs), a mkdir
// the kernel refuses half-way (cgroup.max.descendants: EAGAIN), and hostile
// saved plans refused before they touch anything. After each failure the
// live state is read again and must equal the state before the apply.
import * as assert from "uvu/assert";
import { mkdtempSync, readFileSync } from "node:fs";
import {
  applySavedPlan,
  applyWithLock,
  observeScope,
  planDesired,
  planDestroyFor,
} from "../../src/apply/applier.js";
import { hostKernel } from "../../src/apply/host-kernel.js";
import { parsePlan, serializePlan } from "../../src/plan/document.js";
import { destroyTargetOf, scopeOf } from "../../src/plan/plan.js";
import type { DesiredState } from "../../src/model/desired.js";
import { DEFAULT_CONTEXTS, sampleDesired } from "../apply/fixture.js";
import { labSuite, makeCgroup, must, removeCgroup, run, writeCgroup } from "./lab.js";

const test = labSuite("applier faults");
const ROOT = "vsc-faults";
const NS = `vsc-faults-${process.pid}`;
const stateDir = () => mkdtempSync("/tmp/vsc-faults-state-");
const yes = async () => true;
const kernel = () => hostKernel({ cgroupMount: "/sys/fs/cgroup", netns: NS });

const base = () => sampleDesired({ cgroupRoot: ROOT });
/** batch's weight changed, web's pids changed, three new contexts. */
const changed = () =>
  sampleDesired({
    cgroupRoot: ROOT,
    contexts: [
      ...DEFAULT_CONTEXTS.map((c) =>
        c.name === "batch" ? { ...c, weight: "700" } : c.name === "web" ? { ...c, pids: "900" } : c,
      ),
      { name: "c1", pids: "10" },
      { name: "c2", pids: "20" },
      { name: "c3", pids: "30" },
    ],
  });

const apply = (d: DesiredState, st: string) => {
  const k = kernel();
  return applyWithLock(k, d.cgroupRoot, () => planDesired(k, d, { stateDir: st }), yes, {
    stateDir: st,
  });
};
const destroy = (st: string) => {
  const k = kernel();
  return applyWithLock(
    k,
    ROOT,
    () => planDestroyFor(k, destroyTargetOf(base()), { stateDir: st, moveProcs: true }),
    yes,
    { stateDir: st },
  );
};
const liveState = () => {
  const o = observeScope(kernel(), scopeOf(changed()), {});
  return { cgroups: o.cgroups.map((c) => ({ ...c, procs: 0 })), nft: o.nft };
};
const cg = (rel: string) => `/sys/fs/cgroup/${rel}`;

test.before(() => {
  run("ip", ["netns", "del", NS]);
  must("ip", ["netns", "add", NS]);
});
test.after(async () => {
  run("umount", [cg(`${ROOT}/web-tier/web`)]);
  await destroy(stateDir());
  removeCgroup("vsc-faults-foreign");
  run("ip", ["netns", "del", NS]);
});

test("part of the cgroup tree bound read-only: VSC5050 (EROFS), everything undone, proven by a re-read", async () => {
  const st = stateDir();
  assert.ok((await apply(base(), st)).result?.ok);
  const web = cg(`${ROOT}/web-tier/web`);
  must("mount", ["--bind", web, web]);
  must("mount", ["-o", "remount,bind,ro", web]);
  const before = liveState();
  const t0 = Date.now();
  const out = await apply(changed(), st);
  const ms = Date.now() - t0;
  must("umount", [web]);
  assert.equal(
    out.diagnostics.map((d) => d.code),
    ["VSC5050"],
    JSON.stringify(out.diagnostics),
  );
  assert.match(out.diagnostics[0]!.message, /web\/pids\.max.*Read-only file system \(EROFS\)/);
  assert.match(out.diagnostics[0]!.notes!.join("\n"), /read again, the kernel is as it was/);
  assert.equal(liveState(), before);
  assert.is(readFileSync(cg(`${ROOT}/batch/cpu.weight`), "utf8").trim(), "100");
  console.log(`  EROFS apply + rollback on the lab kernel: exit 1 in ${ms} ms`);
  // Once the tree is writable again, the same apply goes through.
  assert.ok((await apply(changed(), st)).result?.ok);
  await destroy(st);
});

test("a mkdir the kernel refuses half-way (cgroup.max.descendants): VSC5020, new cgroups removed, values back", async () => {
  const st = stateDir();
  assert.ok((await apply(base(), st)).result?.ok);
  // 3 descendants now (web-tier, web, batch): room for c1 only.
  writeCgroup(ROOT, "cgroup.max.descendants", "4");
  const before = liveState();
  const out = await apply(changed(), st);
  writeCgroup(ROOT, "cgroup.max.descendants", "max");
  assert.equal(
    out.diagnostics.map((d) => d.code),
    ["VSC5020"],
    JSON.stringify(out.diagnostics),
  );
  assert.match(out.diagnostics[0]!.message, /mkdir vsc-faults\/c2.*EAGAIN/);
  assert.match(out.diagnostics[0]!.notes!.join("\n"), /read again, the kernel is as it was/);
  assert.equal(liveState(), before);
  await destroy(st);
});

test("hostile saved plans on the real kernel: refused before anything is touched", async () => {
  const st = stateDir();
  makeCgroup("vsc-faults-foreign");
  const foreignBefore = readFileSync(cg("vsc-faults-foreign/cpu.weight"), "utf8");
  const k = kernel();
  const planned = planDesired(k, base(), { stateDir: st }).plan!;
  const text = serializePlan(planned);

  const dotdot = JSON.parse(text);
  const a = dotdot.actions.find((x: { type: string }) => x.type === "cgroup-file");
  Object.assign(a, {
    path: `${ROOT}/../vsc-faults-foreign`,
    address: `cgroup ${ROOT}/../vsc-faults-foreign ${a.file}`,
  });
  assert.equal(
    parsePlan(JSON.stringify(dotdot), "p.json").diagnostics.map((d) => d.code),
    ["VSC5052"],
  );
  const out = await applySavedPlan(k, dotdot, yes, { stateDir: st });
  assert.equal(
    out.diagnostics.map((d) => d.code),
    ["VSC5052"],
  );

  const table = JSON.parse(text);
  const n = table.actions.find((x: { type: string }) => x.type === "nft");
  n.after.ruleset += "table ip evil {\n}\n";
  const out2 = await applySavedPlan(k, table, yes, { stateDir: st });
  assert.equal(
    out2.diagnostics.map((d) => d.code),
    ["VSC5053"],
  );
  assert.not.match(
    must("nsenter", [`--net=/run/netns/${NS}`, "nft", "list", "tables"]),
    /evil|vsc/,
  );
  assert.is(run("ls", [cg(ROOT)]).code !== 0, true, "vsc's root was not created");
  assert.is(readFileSync(cg("vsc-faults-foreign/cpu.weight"), "utf8"), foreignBefore);
});

test.run();
