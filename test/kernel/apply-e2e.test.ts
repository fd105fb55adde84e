// The applier end to end on a real cgroup v2 kernel (kernel lab): values are
// read back from the kernel, nft rules name real cgroups, tc runs on a veth.
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  applyWithLock,
  observeScope,
  planDesired,
  planDestroyFor,
} from "../../src/apply/applier.js";
import { hostKernel } from "../../src/apply/host-kernel.js";
import { readCgroups } from "../../src/apply/observe.js";
import { readNft } from "../../src/apply/read-nft.js";
import { readLink } from "../../src/apply/read-tc.js";
import { destroyTargetOf, scopeOf } from "../../src/plan/plan.js";
import type { DesiredState } from "../../src/model/desired.js";
import { instrument } from "../apply/fixture.js";
import { e2eDesired } from "./apply-fixture.js";
import { labSuite, makeCgroup, must, readCgroup, removeCgroup, run } from "./lab.js";

const test = labSuite("applier end to end");
const ROOT = "vsc-e2e";
const NS = `vsc-e2e-${process.pid}`;
const stateDir = () => mkdtempSync("/tmp/vsc-e2e-state-");
const child = join(fileURLToPath(new URL(".", import.meta.url)), "apply-child.js");
const yes = async () => true;

const kernel = () => hostKernel({ cgroupMount: "/sys/fs/cgroup", netns: NS });
const apply = (d: DesiredState, st: string, k = kernel()) =>
  applyWithLock(k, d.cgroupRoot, () => planDesired(k, d, { stateDir: st }), yes, { stateDir: st });
const destroy = (st: string) => {
  const k = kernel();
  const d = e2eDesired(ROOT);
  return applyWithLock(
    k,
    ROOT,
    () => planDestroyFor(k, destroyTargetOf(d), { stateDir: st, moveProcs: true }),
    yes,
    { stateDir: st },
  );
};
/** Everything the applier can see, for before/after comparisons. */
const liveState = (d: DesiredState) => {
  const k = kernel();
  const o = observeScope(k, scopeOf(d), {});
  return { cgroups: o.cgroups.map((c) => ({ ...c, procs: 0 })), nft: o.nft, links: o.links };
};
const converged = (d: DesiredState, st: string) =>
  planDesired(kernel(), d, { stateDir: st }).plan?.actions.length;

test.before(() => {
  run("ip", ["netns", "del", NS]);
  must("ip", ["netns", "add", NS]);
  must("ip", ["-n", NS, "link", "add", "v0", "type", "veth", "peer", "name", "v0p"]);
  must("ip", ["-n", NS, "link", "add", "v1", "type", "veth", "peer", "name", "v1p"]);
  for (const l of ["v0", "v0p", "v1", "v1p"]) must("ip", ["-n", NS, "link", "set", l, "up"]);
});
test.after(() => {
  void destroy(stateDir());
  run("ip", ["netns", "del", NS]);
});

test("apply from empty, read back from the kernel; the second apply writes nothing", async () => {
  const st = stateDir();
  const d = e2eDesired(ROOT);
  const out = await apply(d, st);
  assert.ok(out.result?.ok, JSON.stringify(out.diagnostics));
  for (const c of d.cgroups)
    for (const f of c.files) assert.is(readCgroup(c.path, f.name), f.value, `${c.path}/${f.name}`);
  assert.is(readNft(kernel()).digest, d.nft.digest);
  assert.is(readLink(kernel(), "v0").classes["1:65"]?.leafQdisc, "fq_codel");
  const k = instrument(kernel());
  const again = await apply(d, st, k);
  assert.is(again.plan?.actions.length, 0);
  assert.is(k.writes, 0);
});

test("one-field edit: a one-action plan, one write", async () => {
  const st = stateDir();
  await apply(e2eDesired(ROOT), st);
  const k = instrument(kernel());
  const out = await apply(e2eDesired(ROOT, "edit"), st, k);
  assert.equal(
    out.plan?.actions.map((a) => a.address),
    [`cgroup ${ROOT}/tier/web memory.max`],
  );
  assert.is(k.writes, 1);
  assert.is(readCgroup(`${ROOT}/tier/web`, "memory.max"), "805306368");
  await apply(e2eDesired(ROOT), st);
});

test("removing a context removes exactly its cgroup, its rule and its class", async () => {
  const st = stateDir();
  await apply(e2eDesired(ROOT), st);
  const out = await apply(e2eDesired(ROOT, "drop"), st);
  assert.ok(out.result?.ok, JSON.stringify(out.diagnostics));
  assert.equal(
    out.plan?.actions.map((a) => `${a.op} ${a.address}`),
    ["delete tc v0 class 1:67", `delete cgroup ${ROOT}/batch`, "update nft table inet vsc"],
  );
  assert.ok(!existsSync(`/sys/fs/cgroup/${ROOT}/batch`));
  assert.ok(existsSync(`/sys/fs/cgroup/${ROOT}/tier/api`));
  assert.is(readLink(kernel(), "v0").classes["1:67"], undefined);
  assert.ok(readLink(kernel(), "v0").classes["1:66"]);
  assert.is(readNft(kernel()).digest, e2eDesired(ROOT, "drop").nft.digest);
  await apply(e2eDesired(ROOT), st);
});

test("a value the kernel rejects half-way: every value stays as it was, with the kernel's message", async () => {
  const st = stateDir();
  const d = e2eDesired(ROOT);
  await apply(d, st);
  const before = liveState(d);
  const out = await apply(e2eDesired(ROOT, "bad"), st);
  assert.is(out.diagnostics[0]?.code, "VSC5020");
  assert.match(out.diagnostics[0]!.message, /cpu\.weight "0".*(ERANGE|EINVAL)/);
  assert.equal(liveState(d), before);
  assert.is(converged(d, st), 0);
});

test("SIGKILL at several points, then apply again: converges, nothing left over", async () => {
  // From empty, "base" takes 23 changes (5 mkdir, 4 subtree_control, 12 values, tc, nft).
  for (const killAfter of [2, 12, 22]) {
    const st = stateDir();
    await destroy(st);
    const r = spawnSync(
      "node",
      [child, JSON.stringify({ root: ROOT, netns: NS, stateDir: st, variant: "base", killAfter })],
      { encoding: "utf8" },
    );
    assert.is(
      r.signal,
      "SIGKILL",
      `child should die at change ${killAfter}: ${r.stdout}${r.stderr}`,
    );
    // Converge to another configuration (first kill point), or to the one it was applying.
    for (const variant of killAfter === 2 ? ["drop", "base"] : ["base"]) {
      const d = e2eDesired(ROOT, variant);
      const out = await apply(d, st);
      assert.ok(out.result?.ok, `after kill at ${killAfter}: ${JSON.stringify(out.diagnostics)}`);
      assert.is(converged(d, st), 0);
      const paths = readCgroups(kernel(), ROOT, []).map((c) => c.path);
      const want = d.cgroups
        .map((c) => c.path)
        .sort((a, b) => a.split("/").length - b.split("/").length || (a < b ? -1 : 1));
      assert.equal(paths, want);
      assert.is(readNft(kernel()).digest, d.nft.digest);
      assert.equal(
        Object.keys(readLink(kernel(), "v0").classes).sort(),
        ["1:fffe", ...d.links[0]!.classes.map((c) => c.classid)].sort(),
      );
    }
  }
});

test("two applies at once: the second is refused (VSC5030)", async () => {
  const st = stateDir();
  await destroy(st);
  const first = spawn("node", [
    child,
    JSON.stringify({ root: ROOT, netns: NS, stateDir: st, variant: "base", slowMs: 300 }),
  ]);
  // Wait until the first holds the lock (its lock file exists), then try.
  for (let i = 0; i < 200 && !spawnSync("sh", ["-c", `ls ${st}/*.lock`]).stdout.length; i++)
    await new Promise((r) => setTimeout(r, 50));
  const second = await apply(e2eDesired(ROOT), st);
  assert.is(second.diagnostics[0]?.code, "VSC5030");
  const code = await new Promise<number | null>((r) => first.on("exit", r));
  assert.is(code, 0);
  assert.is(converged(e2eDesired(ROOT), st), 0);
});

test("destroy leaves another nft table, a foreign cgroup and another link's qdisc untouched", async () => {
  const st = stateDir();
  await apply(e2eDesired(ROOT), st);
  makeCgroup("vsc-e2e-foreign", ["cpu"]);
  must("nft", ["-f", "-"], {
    netns: NS,
    input: 'table inet other {\n  chain c {\n    comment "x"\n  }\n}\n',
  });
  must("tc", ["qdisc", "replace", "dev", "v1", "root", "handle", "2:", "htb", "default", "10"], {
    netns: NS,
  });
  try {
    const out = await destroy(st);
    assert.ok(out.result?.ok, JSON.stringify(out.diagnostics));
    assert.ok(!existsSync(`/sys/fs/cgroup/${ROOT}`));
    assert.ok(existsSync("/sys/fs/cgroup/vsc-e2e-foreign"));
    assert.is(readNft(kernel()).present, false);
    assert.match(must("nft", ["list", "tables"], { netns: NS }), /table inet other/);
    assert.is(readLink(kernel(), "v1").qdisc?.kind, "htb");
    assert.is(readLink(kernel(), "v0").qdisc?.handle, "0:");
  } finally {
    removeCgroup("vsc-e2e-foreign");
    run("nft", ["delete", "table", "inet", "other"], { netns: NS });
    run("tc", ["qdisc", "del", "dev", "v1", "root"], { netns: NS });
  }
});

test("a process in a context keeps running, in its cgroup, through an apply that changes its limits", async () => {
  const st = stateDir();
  await apply(e2eDesired(ROOT), st);
  const cg = `${ROOT}/tier/web`;
  // In the background: the shell joins the cgroup, then becomes `sleep`.
  const proc = spawn("sh", [
    "-c",
    'echo $$ > "$0" && exec "$@"',
    `/sys/fs/cgroup/${cg}/cgroup.procs`,
    "sleep",
    "60",
  ]);
  try {
    const pid = proc.pid!;
    for (let i = 0; i < 100 && !readCgroup(cg, "cgroup.procs").includes(String(pid)); i++)
      await new Promise((r) => setTimeout(r, 20));
    const out = await apply(e2eDesired(ROOT, "edit"), st);
    assert.ok(out.result?.ok, JSON.stringify(out.diagnostics));
    assert.ok(existsSync(`/proc/${pid}`), "the process still runs");
    assert.match(readFileSync(`/proc/${pid}/cgroup`, "utf8"), new RegExp(`/${cg}\\n`));
    assert.is(readCgroup(cg, "memory.max"), "805306368");
  } finally {
    proc.kill("SIGKILL");
    await new Promise((r) => setTimeout(r, 200));
  }
  await apply(e2eDesired(ROOT), st);
});

test.run();
