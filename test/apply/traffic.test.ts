/**
 * Traffic classes and leaf queues (language-v2.md §3) through the applier,
 * against real tc in a scratch network namespace: apply from empty, read
 * back (prio included), a no-op re-plan, destroy; preflight names a leaf
 * qdisc the kernel lacks with its module, and probes what ingress needs. Cgroups stay in a scratch directory.
 */
import * as assert from "uvu/assert";
import { test } from "uvu";
import { applyWithLock, planDesired, planDestroyFor } from "../../src/apply/applier.js";
import { preflight, needsOf } from "../../src/apply/preflight.js";
import { readLink } from "../../src/apply/read-tc.js";
import { destroyTargetOf } from "../../src/plan/plan.js";
import { desiredState } from "../../src/emit/index.js";
import type { DesiredState } from "../../src/model/desired.js";
import { checkText } from "../check/helpers.js";
import { rootTest } from "../root.js";
import { sampleDesired, scratch, scratchKernel, scratchNetns } from "./fixture.js";

const CONFIG = (leaf: string, extra = "") => `host h {
  cpus 4
  memory 8GiB
  link v0 rate 100mbit { qdisc ${leaf}${extra} }
}
context web {
  id 401
  net {
    link v0 {
      reserve 20%  limit 60%
      traffic ssh  { match tcp port 22  reserve 1mbit  prio 0 }
      traffic bulk { match udp port 5000-5100  limit 10mbit  prio 7 }
    }
  }
}
`;

/** The compiled links of CONFIG on the sample's cgroups and nft (which name no cgroup). */
function desired(leaf: string, extra = ""): DesiredState {
  const r = checkText(CONFIG(leaf, extra));
  assert.ok(r.ir, JSON.stringify(r.diagnostics));
  const d = desiredState(r.ir!);
  return { ...sampleDesired(), links: d.links, ...(d.ingress ? { ingress: d.ingress } : {}) };
}

const ns = scratchNetns(["v0"]);
const yes = async () => true;

test("the compiled tc tree has the traffic classes under the context's class", () => {
  const d = desired("pfifo");
  const web = d.links[0]!.classes.filter((c) => c.parent === "1:191");
  assert.equal(
    web.map((c) => [c.rate, c.ceil, c.prio, c.leafQdisc]),
    [
      [1_000_000, 60_000_000, 0, "pfifo"],
      [9_500_000, 10_000_000, 7, "pfifo"],
      [9_500_000, 60_000_000, 0, "pfifo"],
    ],
  );
});

const made: ReturnType<typeof scratch>[] = [];
/** A scratch cgroup mount that goes when the suite ends. */
function scratchDir() {
  const s = scratch();
  made.push(s);
  return s;
}

rootTest(
  "apply from empty creates the traffic classes with their prio; re-plan is empty; destroy removes them",
  async () => {
    assert.ok(ns, "ip netns add failed although running as root");
    const s = scratchDir();
    const k = scratchKernel(s.mount, ns!.name);
    const opts = { stateDir: s.stateDir };
    const d = desired("pfifo");
    const out = await applyWithLock(k, d.cgroupRoot, () => planDesired(k, d, opts), yes, opts);
    assert.ok(out.result?.ok, JSON.stringify(out.diagnostics));
    const link = readLink(k, "v0");
    for (const c of d.links[0]!.classes) {
      const got = link.classes[c.classid];
      assert.ok(got, `class ${c.classid} missing`);
      assert.is(got!.parent, c.parent);
      assert.is(got!.prio ?? 0, c.prio ?? 0, `prio of ${c.classid}`);
      if (c.leafQdisc) assert.is(got!.leafQdisc, c.leafQdisc);
    }
    const again = planDesired(k, d, opts);
    assert.equal(
      again.plan?.actions.filter((a) => a.type.startsWith("tc")).length,
      0,
      "a second plan changes no tc object",
    );
    // Changing a prio is one class change, read back.
    const d7 = desired("pfifo");
    const bulk = d7.links[0]!.classes.find((c) => c.prio === 7)!;
    bulk.prio = 3;
    const out2 = await applyWithLock(k, d7.cgroupRoot, () => planDesired(k, d7, opts), yes, opts);
    assert.ok(out2.result?.ok, JSON.stringify(out2.diagnostics));
    assert.is(readLink(k, "v0").classes[bulk.classid]?.prio, 3);
    const gone = await applyWithLock(
      k,
      d.cgroupRoot,
      () => planDestroyFor(k, destroyTargetOf(d), opts),
      yes,
      opts,
    );
    assert.ok(gone.result?.ok, JSON.stringify(gone.diagnostics));
    assert.equal(readLink(k, "v0").classes, {});
  },
);

rootTest(
  "preflight: a leaf qdisc the kernel lacks is VSC5100 naming its module; ingress is probed (this kernel has ifb, ingress, u32, mirred)",
  () => {
    assert.ok(ns);
    const s = scratchDir();
    const k = scratchKernel(s.mount, ns!.name);
    // This host's kernel has no sfq (CONFIG_NET_SCH_SFQ is not set); a kernel with it passes.
    const hasSfq =
      k.run("ip", ["link", "add", "vsc-t-sfq", "type", "ifb"]).status === 0 &&
      k.run("tc", ["qdisc", "add", "dev", "vsc-t-sfq", "root", "sfq"]).status === 0;
    k.run("ip", ["link", "del", "vsc-t-sfq"]);
    const ds = preflight(k, needsOf(desired("sfq")));
    const codes = ds.filter((x) => x.code === "VSC5100");
    if (hasSfq) assert.equal(codes, []);
    else {
      assert.is(codes.length, 1);
      assert.match(codes[0]!.message, "module sch_sfq");
    }
    assert.equal(
      preflight(k, needsOf(desired("pfifo"))).filter((x) => x.code === "VSC5100"),
      [],
    );
    // The probe device is gone again.
    assert.is(k.run("ip", ["link", "show", "vsc-qprobe"]).status !== 0, true);
    const ing = preflight(k, needsOf(desired("pfifo", "  ingress 50mbit")));
    assert.equal(
      ing.filter((x) => x.severity === "error"),
      [],
    );
    assert.is(k.run("ip", ["link", "show", "vsc-qprobe"]).status !== 0, true);
  },
);

rootTest(
  "preflight: a kernel without ifb (or refusing the redirect) is VSC5101 naming the modules",
  () => {
    assert.ok(ns);
    const s = scratchDir();
    const real = scratchKernel(s.mount, ns!.name);
    const without = (what: "ifb" | "mirred") => ({
      ...real,
      run: (tool: Parameters<typeof real.run>[0], args: string[], input?: string) =>
        what === "ifb" && tool === "ip" && args.join(" ").includes("type ifb")
          ? { status: 2, stdout: "", stderr: "Error: Unknown device type." }
          : what === "mirred" && tool === "tc" && (input ?? "").includes("action mirred")
            ? { status: 1, stdout: "", stderr: "Error: Failed to load TC action module." }
            : real.run(tool, args, input),
    });
    const need = needsOf(desired("pfifo", "  ingress 50mbit"));
    const a = preflight(without("ifb"), need).filter((x) => x.code === "VSC5101");
    assert.equal(
      a.map((x) => x.message),
      ["the kernel cannot make an IFB device (module ifb), which ingress shaping of v0 needs"],
    );
    assert.equal(a[0]!.notes, ["Error: Unknown device type."]);
    const b = preflight(without("mirred"), need).filter((x) => x.code === "VSC5101");
    assert.match(b[0]!.message, "modules sch_ingress, cls_u32, act_mirred");
    assert.is(real.run("ip", ["link", "show", "vsc-qprobe"]).status !== 0, true);
  },
);

test.after(() => {
  ns?.cleanup();
  for (const s of made) s.cleanup();
});
test.run();
