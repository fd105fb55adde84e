/**
 * Ingress shaping (language-v2.md §3) through plan/apply/destroy, against
 * real ip and tc in a scratch network namespace on this host (cgroups stay
 * in a scratch directory): the IFB device vsc-in-<link> (with vsc's alias),
 * its HTB tree and one u32 filter per context, the link's ingress qdisc with
 * the redirect. Minimal changes, a no-op re-plan, a verified rollback, a
 * destroy that leaves nothing of vsc's and nothing foreign touched, the
 * compiled tc.batch and the applier agreeing, and saved plans held to vsc's
 * own devices.
 */
import * as assert from "uvu/assert";
import { test } from "uvu";
import { spawnSync } from "node:child_process";
import {
  applySavedPlan,
  applyWithLock,
  planDesired,
  planDestroyFor,
} from "../../src/apply/applier.js";
import { observe } from "../../src/apply/observe.js";
import { executePlan } from "../../src/apply/execute.js";
import { stateFiles } from "../../src/apply/state.js";
import { invertPlan } from "../../src/plan/invert.js";
import { readIfbs, readLink } from "../../src/apply/read-tc.js";
import { destroyTargetOf, scopeOf } from "../../src/plan/plan.js";
import { planProblems } from "../../src/plan/validate.js";
import { renderPlan } from "../../src/plan/render.js";
import { desiredState, renderTcBatch } from "../../src/emit/index.js";
import type { DesiredState } from "../../src/model/desired.js";
import type { Action, Plan } from "../../src/plan/types.js";
import { checkText } from "../check/helpers.js";
import { rootTest } from "../root.js";
import { instrument, sampleDesired, scratch, scratchKernel, scratchNetns } from "./fixture.js";

const HOST = (ingress = "  ingress 50mbit") =>
  `host h { cpus 4  memory 8GiB  link v0 rate 100mbit { qdisc pfifo${ingress} } }\n`;
const WEB = (limit = "20mbit", addrs = "10.0.0.41, fd00::41") =>
  `context web { id 401  net { address ${addrs}  link v0 { reserve 10mbit  ingress { reserve 2mbit  limit ${limit} } } } }\n`;
const DB = `context db { id 402  net { address 10.0.0.42  link v0 { ingress { limit 5mbit } } } }\n`;

function compile(src: string): { d: DesiredState; batch: string } {
  const r = checkText(src);
  assert.ok(r.ir, JSON.stringify(r.diagnostics));
  const d = desiredState(r.ir!);
  // The sample's cgroups and nft (which name no cgroup) with the program's tc and ingress.
  return {
    d: { ...sampleDesired(), links: d.links, ...(d.ingress ? { ingress: d.ingress } : {}) },
    batch: renderTcBatch(r.ir!, d),
  };
}

const yes = async () => true;
const tcActions = (p: Plan | undefined) =>
  (p?.actions ?? []).filter((a) => a.type.startsWith("tc") || a.type === "ifb");
const addr = (as: Action[]) => as.map((a) => `${a.op} ${a.address}`);

function setup() {
  const ns = scratchNetns(["v0"]);
  assert.ok(ns, "ip netns add failed although running as root");
  const s = scratch();
  const k = scratchKernel(s.mount, ns!.name);
  const opts = { stateDir: s.stateDir };
  const apply = (d: DesiredState) =>
    applyWithLock(k, d.cgroupRoot, () => planDesired(k, d, opts), yes, opts);
  const destroy = (d: DesiredState) =>
    applyWithLock(k, d.cgroupRoot, () => planDestroyFor(k, destroyTargetOf(d), opts), yes, opts);
  const sh = (...args: string[]) =>
    spawnSync("ip", ["netns", "exec", ns!.name, ...args], { encoding: "utf8" });
  return {
    k,
    opts,
    apply,
    destroy,
    sh,
    cleanup: () => {
      ns!.cleanup();
      s.cleanup();
    },
  };
}

rootTest(
  "apply from empty makes the IFB device, its tree and filters, and the redirect; re-plan is empty; edits are minimal; removing ingress removes them",
  async () => {
    const t = setup();
    try {
      const { d } = compile(HOST() + WEB() + DB);
      const first = planDesired(t.k, d, t.opts);
      assert.equal(first.diagnostics, []);
      assert.equal(addr(tcActions(first.plan)).slice(0, 2), [
        "create ifb vsc-in-v0",
        "create tc vsc-in-v0 qdisc 1:",
      ]);
      const shown = renderPlan(first.plan!, { color: false });
      assert.match(shown, "+ ifb device vsc-in-v0 for the ingress of v0");
      assert.match(shown, "+ filter prio 401 -> 1:191: ip dst 10.0.0.41/32, ip6 dst fd00::41/128");
      assert.match(shown, "+ ingress qdisc ffff:, redirect to vsc-in-v0");
      const out = await t.apply(d);
      assert.ok(out.result?.ok, JSON.stringify(out.diagnostics));

      // What the kernel holds, read back.
      const link = readLink(t.k, "v0");
      assert.equal(link.ingress, { kind: "ingress", redirect: "vsc-in-v0" });
      const [ifb] = readIfbs(t.k, ["v0"]);
      assert.equal(ifb!.device, { kind: "ifb", alias: "vsc:ingress:v0", up: true });
      assert.is(ifb!.qdisc?.defaultClassid, "1:ffff");
      assert.equal(Object.keys(ifb!.classes).sort(), ["1:191", "1:192", "1:fffe", "1:ffff"]);
      assert.equal(ifb!.filters, {
        "401": {
          flowid: "1:191",
          nodes: [
            "40000000/f0000000@0 0a000029/ffffffff@16",
            "60000000/f0000000@0 fd000000/ffffffff@24 00000000/ffffffff@28 00000000/ffffffff@32 00000041/ffffffff@36",
          ],
        },
        "402": { flowid: "1:192", nodes: ["40000000/f0000000@0 0a00002a/ffffffff@16"] },
      });

      // Idempotent: nothing to do.
      const again = planDesired(t.k, d, t.opts);
      assert.equal(addr(tcActions(again.plan)), [], "a second plan changes nothing");

      // A limit: one class. An address: one filter. Nothing else.
      const edit = compile(HOST() + WEB("30mbit", "10.0.0.41, 10.0.0.43, fd00::41") + DB).d;
      const p2 = planDesired(t.k, edit, t.opts);
      assert.equal(addr(tcActions(p2.plan)), [
        "update tc vsc-in-v0 filter 401",
        "update tc vsc-in-v0 class 1:191",
      ]);
      const o2 = await t.apply(edit);
      assert.ok(o2.result?.ok, JSON.stringify(o2.diagnostics));
      assert.equal(readIfbs(t.k, ["v0"])[0]!.filters!["401"]!.nodes.length, 3);
      assert.equal(addr(tcActions(planDesired(t.k, edit, t.opts).plan)), []);

      // A context without ingress: its filter first (it binds the class), then its class.
      const p3 = planDesired(
        t.k,
        compile(HOST() + WEB("30mbit", "10.0.0.41, 10.0.0.43, fd00::41")).d,
        t.opts,
      );
      assert.equal(
        addr(tcActions(p3.plan)).filter((x) => x.includes("vsc-in-")),
        [
          "delete tc vsc-in-v0 filter 402",
          "delete tc vsc-in-v0 class 1:192",
          "update tc vsc-in-v0 class 1:ffff",
        ],
      );

      // No ingress at all: the redirect, then the IFB device with what is on it.
      const none = compile(HOST("") + `context web { id 401  net { address 10.0.0.41 } }\n`).d;
      const p4 = planDesired(t.k, none, t.opts);
      assert.equal(
        addr(tcActions(p4.plan)).filter((x) => !x.includes("class")),
        [
          "delete tc v0 ingress",
          "delete tc vsc-in-v0 filter 401",
          "delete tc vsc-in-v0 filter 402",
          "delete tc vsc-in-v0 qdisc 1:",
          "delete ifb vsc-in-v0",
        ],
      );
      const o4 = await t.apply(none);
      assert.ok(o4.result?.ok, JSON.stringify(o4.diagnostics));
      assert.is(readLink(t.k, "v0").ingress, undefined);
      assert.is(readIfbs(t.k, ["v0"])[0]!.exists, false);
      assert.equal(addr(tcActions(planDesired(t.k, none, t.opts).plan)), []);
    } finally {
      t.cleanup();
    }
  },
);

rootTest(
  "destroy removes the IFB device and the ingress qdisc; nothing of vsc's is left",
  async () => {
    const t = setup();
    try {
      const { d } = compile(HOST() + WEB() + DB);
      assert.ok((await t.apply(d)).result?.ok);
      const gone = await t.destroy(d);
      assert.ok(gone.result?.ok, JSON.stringify(gone.diagnostics));
      assert.equal(
        addr(tcActions(gone.plan)).filter((x) => !x.includes("class")),
        [
          "delete tc v0 qdisc 1:",
          "delete tc v0 ingress",
          "delete tc vsc-in-v0 filter 401",
          "delete tc vsc-in-v0 filter 402",
          "delete tc vsc-in-v0 qdisc 1:",
          "delete ifb vsc-in-v0",
        ],
      );
      assert.is(readLink(t.k, "v0").ingress, undefined);
      assert.not.match(t.sh("ip", "-o", "link", "show").stdout, "vsc-in-");
      const after = planDestroyFor(t.k, destroyTargetOf(d), t.opts);
      assert.equal(after.plan?.actions, [], "a second destroy has nothing to do");
    } finally {
      t.cleanup();
    }
  },
);

rootTest(
  "a failure after the IFB device is made rolls everything back; the state read again is the one before",
  async () => {
    const t = setup();
    try {
      const { d } = compile(HOST() + WEB() + DB);
      const before = observe(t.k, scopeOf(d));
      // The link's batch (its root tree and the redirect) is refused: the IFB device and its tree exist by then.
      const k = instrument(t.k, (op) =>
        op.startsWith("tc -d -batch -") && op.includes("ffff: ingress")
          ? "Error: injected refusal of the ingress qdisc"
          : undefined,
      );
      const out = await applyWithLock(
        k,
        d.cgroupRoot,
        () => planDesired(k, d, t.opts),
        yes,
        t.opts,
      );
      assert.is(out.result?.ok, false);
      assert.is(out.diagnostics[0]?.code, "VSC5024");
      assert.match(
        out.diagnostics[0]!.notes!.join("\n"),
        "read again, the kernel is as it was before this apply",
      );
      assert.ok(
        k.log.some((l) => l.startsWith("ip -batch")),
        "the IFB device was made before the failure",
      );
      const now = observe(t.k, scopeOf(d));
      assert.equal(now.links, before.links);
      assert.is(readIfbs(t.k, ["v0"])[0]!.exists, false);
    } finally {
      t.cleanup();
    }
  },
);

rootTest(
  "what is not vsc's: a clsact qdisc or a foreign filter is VSC5102, a device named like vsc's IFB is VSC5103; destroy leaves both alone",
  async () => {
    const t = setup();
    try {
      const { d } = compile(HOST() + WEB() + DB);
      assert.is(t.sh("tc", "qdisc", "add", "dev", "v0", "clsact").status, 0);
      const p = planDesired(t.k, d, t.opts);
      assert.is(p.plan, undefined);
      assert.equal(
        p.diagnostics.map((x) => x.code),
        ["VSC5102"],
      );
      assert.match(p.diagnostics[0]!.message, "link v0 has an ingress qdisc vsc did not make");
      // An ingress qdisc with someone's policer: the same.
      t.sh("tc", "qdisc", "del", "dev", "v0", "clsact");
      t.sh("tc", "qdisc", "add", "dev", "v0", "handle", "ffff:", "ingress");
      const pol = t.sh(
        "tc",
        "filter",
        "add",
        "dev",
        "v0",
        "parent",
        "ffff:",
        "protocol",
        "ip",
        "prio",
        "5",
        "u32",
        "match",
        "ip",
        "src",
        "192.0.2.0/24",
        "action",
        "mirred",
        "egress",
        "mirror",
        "dev",
        "v0p",
      );
      assert.is(pol.status, 0, pol.stderr);
      const p2 = planDesired(t.k, d, t.opts);
      assert.equal(
        p2.diagnostics.map((x) => x.code),
        ["VSC5102"],
      );
      assert.match(p2.diagnostics[0]!.notes!.join("\n"), "prio 5 protocol ip u32");
      // destroy (and a program without ingress) leave it alone.
      const gone = await t.destroy(d);
      assert.ok(gone.result?.ok, JSON.stringify(gone.diagnostics));
      assert.equal(readLink(t.k, "v0").ingress?.foreign?.length, 1);
      t.sh("tc", "qdisc", "del", "dev", "v0", "ingress");
      // An empty ingress qdisc is adopted.
      t.sh("tc", "qdisc", "add", "dev", "v0", "handle", "ffff:", "ingress");
      const p3 = planDesired(t.k, d, t.opts);
      assert.ok(
        p3.plan?.actions.some((a) => a.type === "tc-ingress" && a.op === "update"),
        JSON.stringify(p3.diagnostics),
      );
      t.sh("tc", "qdisc", "del", "dev", "v0", "ingress");
      // An IFB device named vsc-in-v0 without vsc's alias, and a veth of that name: not vsc's.
      for (const [make, kind] of [
        [["ip", "link", "add", "vsc-in-v0", "type", "ifb"], "ifb"],
        [["ip", "link", "add", "vsc-in-v0", "type", "veth", "peer", "name", "vsc-t-peer"], "veth"],
      ] as const) {
        assert.is(t.sh(...make).status, 0, make.join(" "));
        const p4 = planDesired(t.k, d, t.opts);
        assert.equal(
          p4.diagnostics.map((x) => x.code),
          ["VSC5103"],
        );
        assert.match(p4.diagnostics[0]!.notes![0]!, `it is a ${kind} device without an alias`);
        const g2 = await t.destroy(d);
        assert.ok(g2.result?.ok);
        assert.is(t.sh("ip", "link", "show", "vsc-in-v0").status, 0, "destroy left it alone");
        t.sh("ip", "link", "del", "vsc-in-v0");
      }
    } finally {
      t.cleanup();
    }
  },
);

rootTest(
  "the compiled tc.batch and the applier agree: after the batch, a plan changes nothing",
  () => {
    const t = setup();
    try {
      const { d, batch } = compile(HOST() + WEB() + DB);
      // The batch's comment says how vsc apply makes the device.
      const make = /#\s+(ip link add .*)$/m.exec(batch)![1]!;
      for (const c of make.split(" && ")) assert.is(t.sh(...c.split(" ")).status, 0, c);
      const r = spawnSync("ip", ["netns", "exec", t.k.netns!, "tc", "-batch", "-"], {
        input: batch,
        encoding: "utf8",
      });
      assert.is(r.status, 0, r.stderr);
      const p = planDesired(t.k, d, t.opts);
      assert.equal(addr(tcActions(p.plan)), []);
    } finally {
      t.cleanup();
    }
  },
);

rootTest(
  "the undo of an apply (apply --confirm's revert) removes and restores ingress exactly",
  async () => {
    const t = setup();
    try {
      const st = stateFiles(t.opts.stateDir, t.k.cgroupMount, "vsc");
      // Undo of an apply that made ingress: back to nothing.
      const { d } = compile(HOST() + WEB() + DB);
      const empty = observe(t.k, scopeOf(d));
      const made = await t.apply(d);
      assert.ok(made.result?.ok, JSON.stringify(made.diagnostics));
      const inv = invertPlan({
        plan: made.plan!,
        before: made.observed!,
        after: observe(t.k, scopeOf(d)),
      });
      assert.equal(inv.problems, []);
      assert.equal(planProblems(inv.plan!), []);
      const ing = addr(tcActions(inv.plan)).filter(
        (x) => !x.includes("class") && !x.includes("qdisc 1:"),
      );
      assert.equal(ing, ["delete tc v0 ingress", "delete ifb vsc-in-v0"]);
      const undone = executePlan(t.k, inv.plan!, { state: st });
      assert.ok(undone.ok, JSON.stringify(undone.diagnostics));
      assert.equal(
        observe(t.k, scopeOf(d)).links.map((l) => [l.dev, l.exists, l.ingress ?? null]),
        empty.links.map((l) => [l.dev, l.exists, l.ingress ?? null]),
      );
      // Undo of an apply that removed it: the device, its tree and filters, the redirect, as they were.
      assert.ok((await t.apply(d)).result?.ok);
      const withIt = observe(t.k, scopeOf(d));
      const none = compile(HOST("") + `context web { id 401  net { address 10.0.0.41 } }\n`).d;
      const removed = await t.apply(none);
      assert.ok(removed.result?.ok, JSON.stringify(removed.diagnostics));
      const back = invertPlan({
        plan: removed.plan!,
        before: removed.observed!,
        after: observe(t.k, scopeOf(none)),
      });
      assert.equal(back.problems, []);
      const r = executePlan(t.k, back.plan!, { state: st });
      assert.ok(r.ok, JSON.stringify(r.diagnostics));
      const again = observe(t.k, scopeOf(d));
      assert.equal(
        again.links.find((l) => l.dev === "vsc-in-v0"),
        withIt.links.find((l) => l.dev === "vsc-in-v0"),
      );
      assert.equal(again.links.find((l) => l.dev === "v0")!.ingress, {
        kind: "ingress",
        redirect: "vsc-in-v0",
      });
    } finally {
      t.cleanup();
    }
  },
);

rootTest(
  "saved plans: ingress actions only on vsc's IFB devices and declared links (VSC5054)",
  async () => {
    const t = setup();
    try {
      const { d } = compile(HOST() + WEB() + DB);
      const p = planDesired(t.k, d, t.opts).plan!;
      assert.equal(planProblems(p), []);
      const edited = (f: (a: Action) => Action | undefined): Plan => ({
        ...p,
        actions: p.actions.map((a) => f(JSON.parse(JSON.stringify(a)) as Action) ?? a),
      });
      const cases: Array<[string, Plan]> = [
        [
          "an IFB device for a link outside the scope",
          edited((a) =>
            a.type === "ifb" ? { ...a, dev: "vsc-in-eth9", link: "eth9" } : undefined,
          ),
        ],
        ["any other device", edited((a) => (a.type === "ifb" ? { ...a, dev: "eth0" } : undefined))],
        [
          "a redirect elsewhere",
          edited((a) =>
            a.type === "tc-ingress" ? { ...a, after: { redirect: "vsc-in-x" } } : undefined,
          ),
        ],
        [
          "a filter on the link itself",
          edited((a) => (a.type === "tc-filter" ? { ...a, dev: "v0" } : undefined)),
        ],
        [
          "a filter to another context's class",
          edited((a) =>
            a.type === "tc-filter" && a.after
              ? { ...a, after: { ...a.after, flowid: "1:1" } }
              : undefined,
          ),
        ],
        [
          "a key that adds a word",
          edited((a) =>
            a.type === "tc-filter" && a.after
              ? { ...a, after: { ...a.after, nodes: ["40000000/f0000000@0 action drop"] } }
              : undefined,
          ),
        ],
      ];
      for (const [what, bad] of cases) {
        const ds = planProblems(bad);
        assert.ok(ds.length > 0, `${what}: accepted`);
        assert.ok(
          ds.every((x) => x.code === "VSC5054" || x.code === "VSC5057"),
          `${what}: ${JSON.stringify(ds)}`,
        );
        const out = await applySavedPlan(t.k, bad, yes, t.opts);
        assert.is(out.result, undefined, `${what}: ran`);
      }
      assert.is(readIfbs(t.k, ["v0"])[0]!.exists, false, "nothing was made");
    } finally {
      t.cleanup();
    }
  },
);

test.run();
