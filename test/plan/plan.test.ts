import { test } from "uvu";
import * as assert from "uvu/assert";
import { planChanges, planDestroy, destroyTargetOf } from "../../src/plan/plan.js";
import { renderPlan } from "../../src/plan/render.js";
import { parsePlan, serializePlan } from "../../src/plan/document.js";
import { parseTcRate, tcRateString } from "../../src/plan/values.js";
import { parseTcShow } from "../../src/apply/read-tc.js";
import { parseNftHeaders } from "../../src/apply/read-nft.js";
import type { ObservedState } from "../../src/plan/types.js";
import { DEFAULT_CONTEXTS, sampleDesired } from "../apply/fixture.js";

const empty = (links: string[] = []): ObservedState => ({
  cgroupRoot: "vsc",
  cgroups: [],
  nft: { present: false },
  links: links.map((dev) => ({
    dev,
    exists: true,
    qdisc: { kind: "noqueue", handle: "0:" },
    classes: {},
  })),
  interrupted: false,
});

/** The observed state right after `d` was applied. */
function applied(d = sampleDesired()): ObservedState {
  return {
    cgroupRoot: d.cgroupRoot,
    cgroups: d.cgroups.map((c) => ({
      path: c.path,
      subtreeControl: c.subtreeControl,
      files: Object.fromEntries(c.files.map((f) => [f.name, f.value])),
      procs: 0,
    })),
    nft: { present: true, digest: d.nft.digest },
    links: [],
    interrupted: false,
  };
}

const LINK = [
  {
    dev: "eth0",
    classes: [
      {
        id: 0x65,
        rate: 5_000_000,
        ceil: 50_000_000,
        quantum: 3000,
        leaf: "fq_codel",
      },
    ],
  },
];

test("pure: same inputs, same plan (deep and byte for byte)", () => {
  const a = planChanges(sampleDesired({ links: LINK }), empty(["eth0"]));
  const b = planChanges(sampleDesired({ links: LINK }), empty(["eth0"]));
  assert.equal(a, b);
  assert.is(serializePlan(a.plan!), serializePlan(b.plan!));
});

test("from empty: parents first, controllers before values, tc then nft last; summary counts resources", () => {
  const p = planChanges(sampleDesired({ links: LINK }), empty(["eth0"])).plan!;
  const addr = p.actions.map((a) => a.address);
  const at = (s: string) => addr.indexOf(s);
  assert.ok(at("cgroup vsc") < at("cgroup vsc cgroup.subtree_control"));
  assert.ok(at("cgroup vsc cgroup.subtree_control") < at("cgroup vsc/web-tier"));
  assert.ok(at("cgroup vsc/web-tier cgroup.subtree_control") < at("cgroup vsc/web-tier/web"));
  assert.ok(at("cgroup vsc/web-tier/web") < at("cgroup vsc/web-tier/web cpu.weight"));
  assert.ok(at("tc eth0 qdisc 1:") < at("tc eth0 class 1:fffe"));
  assert.ok(at("tc eth0 class 1:fffe") < at("tc eth0 class 1:65"));
  assert.is(addr[addr.length - 1], "nft table inet vsc");
  // 4 cgroups + qdisc + nft table (values and classes belong to their creator).
  assert.equal(p.summary, { add: 6, change: 0, destroy: 0 });
});

test("no difference: no actions", () => {
  const d = sampleDesired();
  assert.equal(planChanges(d, applied(d)).plan!.actions, []);
});

test("one-field edit: exactly one update with before and after", () => {
  const d = sampleDesired();
  const edited = sampleDesired({
    contexts: DEFAULT_CONTEXTS.map((c) =>
      c.name === "batch" ? { ...c, memMax: "1073741824" } : c,
    ),
  });
  const p = planChanges(edited, applied(d)).plan!;
  assert.equal(p.actions, [
    {
      type: "cgroup-file",
      op: "update",
      address: "cgroup vsc/batch memory.max",
      path: "vsc/batch",
      file: "memory.max",
      before: "536870912",
      after: "1073741824",
    },
  ]);
  assert.equal(p.summary, { add: 0, change: 1, destroy: 0 });
});

test("deletes: children before parents; controllers disabled bottom-up after deletes", () => {
  const d = sampleDesired();
  const obs = applied(d);
  obs.cgroups.push(
    { path: "vsc/old", subtreeControl: ["cpu"], files: {}, procs: 0 },
    { path: "vsc/old/kid", subtreeControl: [], files: {}, procs: 0 },
  );
  obs.cgroups[0]!.subtreeControl = ["cpu", "io", "memory", "pids"];
  const p = planChanges(d, obs).plan!;
  assert.equal(
    p.actions.map((a) => `${a.op} ${a.address}`),
    [
      "delete cgroup vsc/old/kid",
      "delete cgroup vsc/old",
      "update cgroup vsc cgroup.subtree_control",
    ],
  );
});

test("VSC5010: a cgroup to delete holds processes; --move-procs plans the move instead", () => {
  const d = sampleDesired();
  const obs = applied(d);
  obs.cgroups.push({
    path: "vsc/old",
    subtreeControl: [],
    files: {},
    procs: 3,
  });
  const r = planChanges(d, obs);
  assert.is(r.plan, undefined);
  assert.is(r.diagnostics[0]!.code, "VSC5010");
  assert.match(r.diagnostics[0]!.message, /cgroup vsc\/old .* 3 processes/);
  const m = planChanges(d, obs, { moveProcs: true }).plan!;
  assert.equal(
    m.actions.map((a) => a.type === "cgroup" && a.moveProcsTo),
    [""],
  );
});

test("a re-created cgroup named by the rules forces an nft reload (new cgroup id)", () => {
  const d = sampleDesired({ nftCgroups: ["vsc/batch"] });
  const obs = applied(d);
  obs.cgroups = obs.cgroups.filter((c) => c.path !== "vsc/batch");
  const nft = planChanges(d, obs).plan!.actions.find((a) => a.type === "nft");
  assert.ok(nft);
  assert.match(nft!.reason ?? "", /vsc\/batch is created/);
  assert.ok(!planChanges(d, applied(d)).plan!.actions.some((a) => a.type === "nft"));
});

test("tc: compares as tc reads back; a changed class is one update; unknown classes are deleted", () => {
  const d = sampleDesired({ links: LINK });
  const obs = applied(d);
  obs.links = [
    {
      dev: "eth0",
      exists: true,
      qdisc: { kind: "htb", handle: "1:", defaultClassid: "1:fffe" },
      classes: {
        "1:fffe": { parent: "1:", rate: 1e9, ceil: 1e9 },
        "1:65": {
          parent: "1:fffe",
          rate: 5e6,
          ceil: 40e6,
          quantum: 3000,
          leafQdisc: "fq_codel",
        },
        "1:99": { parent: "1:fffe", rate: 1e6, ceil: 1e6, quantum: 1500 },
      },
    },
  ];
  const p = planChanges(d, obs).plan!;
  assert.equal(
    p.actions.map((a) => `${a.op} ${a.address}`),
    ["delete tc eth0 class 1:99", "update tc eth0 class 1:65"],
  );
});

test("destroy: only vsc's own qdisc, the owned subtree bottom-up, the table", () => {
  const d = sampleDesired({ links: [...LINK, { dev: "eth1", classes: [] }] });
  const obs = applied(d);
  obs.links = [
    {
      dev: "eth0",
      exists: true,
      qdisc: { kind: "htb", handle: "1:", defaultClassid: "1:fffe" },
      classes: {},
    },
    {
      dev: "eth1",
      exists: true,
      qdisc: { kind: "fq_codel", handle: "0:" },
      classes: {},
    },
  ];
  const p = planDestroy(destroyTargetOf(d), obs).plan!;
  assert.equal(
    p.actions.map((a) => `${a.op} ${a.address}`),
    [
      "delete tc eth0 qdisc 1:",
      "delete cgroup vsc/web-tier/web",
      "delete cgroup vsc/batch",
      "delete cgroup vsc/web-tier",
      "delete cgroup vsc",
      "delete nft table inet vsc",
    ],
  );
  assert.equal(p.summary, { add: 0, change: 0, destroy: 6 });
});

test("render: + ~ -, grouped by cgroup/link/table, summary line, colour only when asked", () => {
  const d = sampleDesired();
  const obs = applied(d);
  obs.cgroups.push({
    path: "vsc/old",
    subtreeControl: [],
    files: {},
    procs: 0,
  });
  const edited = sampleDesired({
    contexts: [
      ...DEFAULT_CONTEXTS.map((c) => (c.name === "batch" ? { ...c, pids: "9" } : c)),
      { name: "new" },
    ],
  });
  const p = planChanges(edited, obs).plan!;
  const text = renderPlan(p, { color: false });
  assert.match(text, /# cgroup vsc\/batch\n  ~ pids\.max: "256" -> "9"/);
  assert.match(text, /# cgroup vsc\/new\n  \+ cgroup vsc\/new\n      \+ cpu\.weight = "100"/);
  assert.match(text, /  - cgroup vsc\/old/);
  assert.match(text, /Plan: 1 to add, 1 to change, 1 to destroy\.\n$/);
  assert.not.match(text, /\x1b\[/);
  assert.match(renderPlan(p, { color: true }), /\x1b\[/);
  assert.match(renderPlan({ ...p, actions: [] }, { color: false }), /^No changes\./);
});

test("document: saved plans round-trip and validate; broken ones are VSC5031", () => {
  const p = planChanges(sampleDesired({ links: LINK }), empty(["eth0"])).plan!;
  const text = serializePlan(p);
  assert.equal(parsePlan(text, "p.json").plan, p);
  const notJson = parsePlan("{", "p.json");
  assert.is(notJson.diagnostics[0]!.code, "VSC5031");
  const bad = JSON.parse(text);
  bad.actions[0].op = "explode";
  bad.version = 2;
  const r = parsePlan(JSON.stringify(bad), "p.json");
  assert.is(r.plan, undefined);
  assert.is(r.diagnostics[0]!.code, "VSC5031");
  assert.match(r.diagnostics[0]!.notes!.join("\n"), /version/);
});

test("tc rates: vsc's rendering matches tc's (iproute2 sprint_rate)", () => {
  assert.is(tcRateString(5_000_000), "5Mbit");
  assert.is(tcRateString(1_000_000_000), "1Gbit");
  assert.is(tcRateString(1_500_000), "1500Kbit");
  assert.is(tcRateString(800), "800bit");
  assert.is(parseTcRate("50Mbit"), 50_000_000);
  assert.is(parseTcRate("1500Kbit"), 1_500_000);
});

test("parse tc -d output (captured from iproute2 6.1)", () => {
  const out = `qdisc htb 1: root refcnt 3 r2q 10 default 0xfffe direct_packets_stat 13 ver 3.17 direct_qlen 1000
qdisc pfifo 65: parent 1:65 limit 1000p
class htb 1:fffe root rate 1Gbit ceil 1Gbit linklayer ethernet burst 1375b/1 mpu 0b cburst 1375b/1 mpu 0b level 7
class htb 1:65 parent 1:fffe leaf 65: prio 0 quantum 3000 rate 5Mbit ceil 50Mbit linklayer ethernet burst 1600b/1 mpu 0b cburst 1600b/1 mpu 0b level 0
`;
  assert.equal(parseTcShow("v0", out), {
    dev: "v0",
    exists: true,
    qdisc: { kind: "htb", handle: "1:", defaultClassid: "1:fffe" },
    classes: {
      "1:fffe": { parent: "1:", rate: 1e9, ceil: 1e9 },
      "1:65": {
        parent: "1:fffe",
        rate: 5e6,
        ceil: 50e6,
        quantum: 3000,
        leafQdisc: "pfifo",
      },
    },
  });
  assert.equal(parseTcShow("v0", "qdisc noqueue 0: root refcnt 2\n").classes, {});
});

test("parse nft table and chain headers: the digest of table inet vsc only", () => {
  const out = `table inet other
table inet vsc
table inet other {
\tchain x {
\t\tcomment "vsc:ffff"
\t}
}
table inet vsc {
\tchain output {
\t\tcomment "vsc:0123abcd"
\t\ttype filter hook output priority filter; policy accept;
\t}
}
`;
  assert.equal(parseNftHeaders(out), {
    present: true,
    digest: "0123abcd",
    tables: ["inet other", "inet vsc"],
  });
  assert.equal(parseNftHeaders("table inet other\ntable ip nat\n"), {
    present: false,
    tables: ["inet other", "ip nat"],
  });
});

test.run();
