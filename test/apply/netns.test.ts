/**
 * The applier against real nft and tc, in a scratch network namespace on
 * this host (cgroups stay in a scratch directory). Skips with a note when the
 * host cannot make a netns (not root).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { rootTest } from "../root.js";
import { spawnSync } from "node:child_process";
import { applyWithLock, planDesired, planDestroyFor } from "../../src/apply/applier.js";
import { readNft } from "../../src/apply/read-nft.js";
import { readLink } from "../../src/apply/read-tc.js";
import { destroyTargetOf } from "../../src/plan/plan.js";
import type { Kernel } from "../../src/apply/kernel.js";
import type { DesiredState } from "../../src/model/desired.js";
import {
  instrument,
  sampleDesired,
  scratch,
  scratchKernel,
  scratchNetns,
  snapshot,
  type SampleOptions,
} from "./fixture.js";

const LINKS: SampleOptions["links"] = [
  {
    dev: "v0",
    classes: [
      {
        id: 0x65,
        rate: 5_000_000,
        ceil: 50_000_000,
        quantum: 3000,
        leaf: "pfifo",
      },
      {
        id: 0x66,
        rate: 10_000_000,
        ceil: 100_000_000,
        quantum: 6000,
        leaf: "pfifo",
      },
    ],
  },
];
const desired = (o: SampleOptions = {}) =>
  sampleDesired({
    links: LINKS,
    nftExtra: "    meta mark 0x65 meta priority set 1:65\n",
    ...o,
  });
const yes = async () => true;

const ns = scratchNetns(["v0", "v1"]);

function setup() {
  const s = scratch();
  const k = scratchKernel(s.mount, ns!.name);
  const opts = { stateDir: s.stateDir };
  const apply = (kk: Kernel, d: DesiredState) =>
    applyWithLock(kk, d.cgroupRoot, () => planDesired(kk, d, opts), yes, opts);
  const destroy = (kk: Kernel, d: DesiredState) =>
    applyWithLock(kk, d.cgroupRoot, () => planDestroyFor(kk, destroyTargetOf(d), opts), yes, opts);
  const reset = () => {
    destroy(k, desired());
  };
  return { ...s, k, opts, apply, destroy, reset };
}

const nsRun = (...args: string[]) =>
  spawnSync("nsenter", [`--net=/run/netns/${ns!.name}`, ...args], {
    encoding: "utf8",
  });

// Without root there is no network namespace: every test below is then
// reported as skipped (rootTest), never as passed.
rootTest("a scratch network namespace can be made (ip netns add)", () => {
  assert.ok(ns, "ip netns add failed although running as root");
});
{
  rootTest(
    "apply from empty: one nft transaction, one tc batch; read back from the kernel",
    async () => {
      const t = setup();
      const k = instrument(t.k);
      const d = desired();
      const out = await t.apply(k, d);
      assert.ok(out.result?.ok, JSON.stringify(out.diagnostics));
      assert.is(k.log.filter((l) => l.startsWith("nft")).length, 1);
      assert.is(k.log.filter((l) => l.startsWith("tc")).length, 1);
      assert.is(readNft(t.k).digest, d.nft.digest);
      const link = readLink(t.k, "v0");
      assert.is(link.qdisc?.kind, "htb");
      assert.is(link.qdisc?.defaultClassid, "1:fffe");
      assert.equal(link.classes["1:65"], {
        parent: "1:fffe",
        rate: 5_000_000,
        ceil: 50_000_000,
        quantum: 3000,
        leafQdisc: "pfifo",
      });
      // Second apply: nothing to do, nothing written.
      const k2 = instrument(t.k);
      const again = await t.apply(k2, d);
      assert.is(again.plan?.actions.length, 0);
      assert.is(k2.writes, 0);
      await t.destroy(t.k, d);
      t.cleanup();
    },
  );

  rootTest("one tc field edited: one action, one tc batch of one line", async () => {
    const t = setup();
    await t.apply(t.k, desired());
    const edited: SampleOptions["links"] = [
      {
        dev: "v0",
        classes: [LINKS[0]!.classes[0]!, { ...LINKS[0]!.classes[1]!, ceil: 200_000_000 }],
      },
    ];
    const k = instrument(t.k);
    const out = await t.apply(k, desired({ links: edited }));
    assert.ok(out.result?.ok, JSON.stringify(out.diagnostics));
    assert.equal(
      out.plan?.actions.map((a) => a.address),
      ["tc v0 class 1:66"],
    );
    assert.is(k.writes, 1);
    assert.is(readLink(t.k, "v0").classes["1:66"]?.ceil, 200_000_000);
    await t.destroy(t.k, desired());
    t.cleanup();
  });

  rootTest(
    "tc refuses half-way (unknown leaf qdisc): tc, cgroups and nft are left as they were",
    async () => {
      const t = setup();
      await t.apply(t.k, desired());
      const cg = snapshot(t.mount);
      const tcBefore = readLink(t.k, "v0");
      const bad: SampleOptions["links"] = [
        {
          dev: "v0",
          classes: [
            { ...LINKS[0]!.classes[0]!, ceil: 60_000_000 },
            LINKS[0]!.classes[1]!,
            {
              id: 0x67,
              rate: 1_000_000,
              ceil: 2_000_000,
              quantum: 1500,
              leaf: "nosuchqdisc",
            },
          ],
        },
      ];
      const badDesired = desired({
        links: bad,
        contexts: [{ name: "solo", weight: "7" }],
        nftExtra: "    meta mark 7 accept\n",
      });
      // Preflight names the missing qdisc first (VSC5100, language-v2.md §3) ...
      const pre = await t.apply(t.k, badDesired);
      assert.is(pre.diagnostics[0]?.code, "VSC5100");
      assert.match(pre.diagnostics[0]!.message, /module sch_nosuchqdisc/);
      // ... and without preflight, tc's refusal half-way is rolled back.
      const o = { ...t.opts, skipPreflight: true };
      const out = await applyWithLock(
        t.k,
        badDesired.cgroupRoot,
        () => planDesired(t.k, badDesired, o),
        yes,
        o,
      );
      assert.is(out.diagnostics[0]?.code, "VSC5024");
      assert.match(out.diagnostics[0]!.message, /tc refused the changes to v0/);
      assert.equal(readLink(t.k, "v0"), tcBefore);
      assert.equal(snapshot(t.mount), cg);
      assert.is(readNft(t.k).digest, desired().nft.digest);
      await t.destroy(t.k, desired());
      t.cleanup();
    },
  );

  rootTest(
    "nft refuses the ruleset: the old table stays, tc and cgroups are rolled back",
    async () => {
      const t = setup();
      await t.apply(t.k, desired());
      const cg = snapshot(t.mount);
      const tcBefore = readLink(t.k, "v0");
      const edited: SampleOptions["links"] = [
        { dev: "v0", classes: [{ ...LINKS[0]!.classes[0]!, rate: 7_000_000 }] },
      ];
      const out = await t.apply(
        t.k,
        desired({
          links: edited,
          contexts: [{ name: "solo" }],
          nftExtra: "    this is not nft\n",
        }),
      );
      assert.is(out.diagnostics[0]?.code, "VSC5023");
      assert.match(out.diagnostics[0]!.notes!.join("\n"), /syntax error/);
      assert.equal(readLink(t.k, "v0"), tcBefore);
      assert.equal(snapshot(t.mount), cg);
      assert.is(readNft(t.k).digest, desired().nft.digest);
      await t.destroy(t.k, desired());
      t.cleanup();
    },
  );

  rootTest("destroy leaves another nft table and another link's qdisc untouched", async () => {
    const t = setup();
    await t.apply(t.k, desired());
    spawnSync("nsenter", [`--net=/run/netns/${ns!.name}`, "nft", "-f", "-"], {
      input: 'table inet other {\n  chain c {\n    comment "vsc:ffff"\n  }\n}\n',
    });
    nsRun("tc", "qdisc", "replace", "dev", "v1", "root", "handle", "2:", "htb", "default", "10");
    const out = await t.destroy(t.k, desired());
    assert.ok(out.result?.ok, JSON.stringify(out.diagnostics));
    assert.is(readNft(t.k).present, false);
    assert.match(nsRun("nft", "list", "tables").stdout, /table inet other/);
    assert.is(readLink(t.k, "v0").qdisc?.kind, "noqueue");
    assert.is(readLink(t.k, "v1").qdisc?.kind, "htb");
    assert.is(t.k.list("vsc"), undefined);
    nsRun("nft", "delete", "table", "inet", "other");
    nsRun("tc", "qdisc", "del", "dev", "v1", "root");
    t.cleanup();
  });

  test.after(() => ns?.cleanup());
}

test.run();
