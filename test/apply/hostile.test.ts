/**
 * Hostile saved plans (issue #13): a plan is untrusted input run as root.
 * Each case edits a real plan the way an attacker with write access to the
 * file would, and must be refused with its code before anything is read or
 * written; the cases through a scratch tree also show the tree unchanged.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applySavedPlan, applyWithLock, planDesired } from "../../src/apply/applier.js";
import { executePlan } from "../../src/apply/execute.js";
import { KernelError } from "../../src/apply/kernel.js";
import { stateFiles } from "../../src/apply/state.js";
import { parsePlan, serializePlan } from "../../src/plan/document.js";
import { planChanges } from "../../src/plan/plan.js";
import { rulesetProblems } from "../../src/plan/ruleset-check.js";
import type { ObservedState, Plan } from "../../src/plan/types.js";
import { planProblems } from "../../src/plan/validate.js";
import { fakeTools, sampleDesired, scratch, scratchKernel, snapshot } from "./fixture.js";

const EMPTY: ObservedState = {
  cgroupRoot: "vsc",
  cgroups: [],
  nft: { present: false },
  links: [{ dev: "eth0", exists: true, classes: {} }],
  interrupted: false,
};

/** A plan the planner really makes: cgroups, a tc tree on eth0 and the nft table. */
function basePlan(): Plan {
  const d = sampleDesired({
    links: [
      {
        dev: "eth0",
        classes: [{ id: 0x65, rate: 5e6, ceil: 5e7, quantum: 3000, leaf: "fq_codel" }],
      },
    ],
  });
  return JSON.parse(serializePlan(planChanges(d, EMPTY).plan!));
}

const codes = (p: Plan) => planProblems(p).map((d) => d.code);
const find = <T extends Plan["actions"][number]["type"]>(
  p: Plan,
  type: T,
  pred: (a: any) => boolean = () => true,
) => p.actions.find((a) => a.type === type && pred(a)) as any;

test("a plan the planner makes passes the checks", () => {
  assert.equal(planProblems(basePlan()), []);
});

test("every ruleset the emitter makes (the goldens) passes the nft check", () => {
  const dir = "test/golden/cases";
  let n = 0;
  for (const c of readdirSync(dir)) {
    let text: string;
    try {
      text = readFileSync(join(dir, c, "expected/ruleset.nft"), "utf8");
    } catch {
      continue;
    }
    assert.equal(rulesetProblems(text), [], c);
    n++;
  }
  assert.ok(n >= 3, `only ${n} golden rulesets found`);
});

interface Case {
  name: string;
  code: string;
  /** The executor's own check, when the schema (VSC5031) catches it first on load. */
  inMemory?: string;
  edit: (p: Plan) => void;
}

const withRuleset = (p: Plan, f: (r: string) => string) => {
  const n = find(p, "nft");
  n.after.ruleset = f(n.after.ruleset);
};

const cases: Case[] = [
  {
    name: "a cgroup path with .. (wrote <mount>/foreign/cpu.weight before)",
    code: "VSC5052",
    edit: (p) => {
      const a = find(p, "cgroup-file", (a) => a.file === "cpu.weight");
      a.path = "vsc/../foreign";
      a.address = `cgroup ${a.path} cpu.weight`;
    },
  },
  {
    name: "a path beside the owned root",
    code: "VSC5052",
    edit: (p) => {
      const a = find(p, "cgroup", (a) => a.path === "vsc/batch");
      a.path = "vscx/batch";
      a.address = "cgroup vscx/batch";
    },
  },
  {
    name: "a cgroup-root with ..",
    code: "VSC5052",
    edit: (p) => {
      p.scope.cgroupRoot = "vsc/..";
    },
  },
  {
    name: "a file vsc does not manage (cgroup.procs)",
    code: "VSC5052",
    edit: (p) => {
      const a = find(p, "cgroup-file");
      a.file = "cgroup.procs";
      a.address = `cgroup ${a.path} cgroup.procs`;
    },
  },
  {
    name: "processes moved out of the subtree's parent",
    code: "VSC5052",
    edit: (p) => {
      p.actions.push({
        type: "cgroup",
        op: "delete",
        address: "cgroup vsc/old",
        path: "vsc/old",
        procs: 1,
        moveProcsTo: "system.slice",
        restore: { subtreeControl: [], files: {} },
      });
    },
  },
  {
    name: "a controller token that carries another",
    code: "VSC5031",
    inMemory: "VSC5052",
    edit: (p) => {
      find(p, "subtree-control").after.push("cpu -memory");
    },
  },
  {
    name: "a ruleset that makes another table",
    code: "VSC5053",
    edit: (p) =>
      withRuleset(
        p,
        (r) =>
          `${r}table ip evil {\n  chain c {\n    type filter hook input priority 0; policy accept;\n  }\n}\n`,
      ),
  },
  {
    name: "flush ruleset",
    code: "VSC5053",
    edit: (p) => withRuleset(p, (r) => `flush ruleset\n${r}`),
  },
  {
    name: "delete another table",
    code: "VSC5053",
    edit: (p) => withRuleset(p, (r) => `${r}delete table ip filter\n`),
  },
  {
    name: "include a file (read as root)",
    code: "VSC5053",
    edit: (p) =>
      withRuleset(p, (r) =>
        r.replace("chain output {", 'chain output {\n    include "/etc/shadow"'),
      ),
  },
  {
    name: "define and use a variable",
    code: "VSC5053",
    edit: (p) => withRuleset(p, (r) => `define x = 1\n${r}`),
  },
  {
    name: "a base chain that drops everything",
    code: "VSC5053",
    edit: (p) => withRuleset(p, (r) => r.replace("policy accept", "policy drop")),
  },
  {
    name: "a device hook",
    code: "VSC5053",
    edit: (p) =>
      withRuleset(p, (r) =>
        r.replace("hook output priority 0", "hook ingress device eth0 priority 0"),
      ),
  },
  {
    name: "a flowtable inside table inet vsc",
    code: "VSC5053",
    edit: (p) =>
      withRuleset(p, (r) =>
        r.replace(
          /\}\n$/,
          "  flowtable f {\n    hook ingress priority 0; devices = { eth0 }\n  }\n}\n",
        ),
      ),
  },
  {
    name: "a ruleset whose digest is not its own",
    code: "VSC5053",
    edit: (p) => withRuleset(p, (r) => r.replace("policy accept;", "policy accept;\n    counter")),
  },
  {
    name: "a brace that closes the table early, then another table",
    code: "VSC5053",
    edit: (p) =>
      withRuleset(p, (r) => r.replace("chain output {", "}\ntable ip x {\nchain output {")),
  },
  {
    name: "a tc root handle with a second command (run by the rollback before the fix)",
    code: "VSC5031",
    inMemory: "VSC5054",
    edit: (p) => {
      p.actions.push({
        type: "tc-qdisc",
        op: "delete",
        address: "tc eth0 qdisc 1:",
        dev: "eth0",
        before: { kind: "htb", handle: "1: htb\nqdisc add dev eth0p root handle 7:" },
        after: null,
        restoreClasses: {},
      });
    },
  },
  {
    name: "tc on a link outside the plan's scope",
    code: "VSC5054",
    edit: (p) => {
      for (const a of p.actions) if (a.type === "tc-class" || a.type === "tc-qdisc") a.dev = "eth1";
    },
  },
  {
    name: "a tc rate that prints as 1e+21",
    code: "VSC5054",
    edit: (p) => {
      find(p, "tc-class").after.rate = 1e21;
    },
  },
  {
    name: "a tc delete of a root qdisc that is not vsc's HTB",
    code: "VSC5054",
    edit: (p) => {
      p.actions.push({
        type: "tc-qdisc",
        op: "delete",
        address: "tc eth0 qdisc 1:",
        dev: "eth0",
        before: { kind: "mq", handle: "1:" },
        after: null,
      });
    },
  },
  {
    name: "an address with terminal escapes",
    code: "VSC5057",
    edit: (p) => {
      find(p, "cgroup").address = "cgroup vsc\u001b[2J";
    },
  },
  {
    name: "a value with a control character",
    code: "VSC5057",
    edit: (p) => {
      find(p, "cgroup-file", (a) => a.file === "cpu.weight").after = "100\u0000";
    },
  },
];

for (const c of cases) {
  test(`${c.code}: ${c.name}`, () => {
    const p = basePlan();
    c.edit(p);
    const r = parsePlan(JSON.stringify(p), "plan.json");
    assert.is(r.plan, undefined);
    assert.ok(
      r.diagnostics.some((d) => d.code === c.code),
      JSON.stringify(r.diagnostics, null, 1),
    );
    // The executor holds a plan made in memory to the same rules (second line of defence).
    assert.ok(codes(p).includes(c.inMemory ?? c.code), JSON.stringify(planProblems(p), null, 1));
  });
}

test("300 plans with one field mutated to a hostile value: parsePlan never throws, and what it accepts stays inside vsc's subtree", () => {
  const HOSTILE = [
    "..",
    "vsc/..",
    "vsc/../x",
    "/etc",
    "vsc/a\nb",
    "1: htb\nqdisc del dev eth1 root",
    "eth1",
    "\u001b[2J",
    "",
    "x".repeat(5000),
    "table ip evil {}",
    'include "/etc/shadow"',
    "}\ntable ip x {",
    "cgroup.procs",
    "9999",
  ];
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const base = basePlan();
  for (let n = 0; n < 300; n++) {
    const p = JSON.parse(JSON.stringify(base)) as Plan;
    // Collect every string slot in the plan, pick one, replace or append a hostile value.
    const slots: [Record<string, unknown>, string][] = [];
    const walk = (o: unknown) => {
      if (o && typeof o === "object")
        for (const [k, v] of Object.entries(o)) {
          if (typeof v === "string") slots.push([o as Record<string, unknown>, k]);
          else walk(v);
        }
    };
    walk(p);
    const [obj, key] = slots[Math.floor(next() * slots.length)]!;
    const h = HOSTILE[Math.floor(next() * HOSTILE.length)]!;
    obj[key] = next() < 0.5 ? h : `${obj[key] as string}${h}`;
    let r: ReturnType<typeof parsePlan>;
    try {
      r = parsePlan(JSON.stringify(p), "p.json");
    } catch (e) {
      assert.unreachable(`parsePlan threw on ${key}=${JSON.stringify(obj[key])}: ${e}`);
      return;
    }
    if (!r.plan) continue;
    const root = r.plan.scope.cgroupRoot;
    for (const a of r.plan.actions) {
      if ("path" in a)
        assert.ok(
          (a.path === root || a.path.startsWith(`${root}/`)) && !a.path.split("/").includes(".."),
          `${key}=${JSON.stringify(obj[key])} accepted with path ${a.path}`,
        );
      if (a.type === "nft" && a.after) assert.equal(rulesetProblems(a.after.ruleset), []);
    }
  }
});

test("a .. plan applied (without parsePlan) writes nothing anywhere", async () => {
  const s = scratch();
  mkdirSync(join(s.mount, "foreign"));
  writeFileSync(join(s.mount, "foreign/cpu.weight"), "100\n");
  const k = fakeTools(scratchKernel(s.mount));
  const o = { stateDir: s.stateDir, skipPreflight: true };
  const d = sampleDesired();
  const planned = planDesired(k, d, o).plan!;
  const a = planned.actions.find((x) => x.type === "cgroup-file" && x.file === "cpu.weight")!;
  Object.assign(a, {
    path: "vsc/../foreign",
    after: "9999",
    address: "cgroup vsc/../foreign cpu.weight",
  });
  const before = snapshot(s.mount);
  const out = await applySavedPlan(k, planned, async () => true, o);
  assert.equal(
    out.diagnostics.map((x) => x.code),
    ["VSC5052"],
  );
  assert.equal(snapshot(s.mount), before);
  // And executePlan itself refuses it.
  const r = executePlan(k, planned, { state: stateFiles(s.stateDir, s.mount, "vsc") });
  assert.is(r.ok, false);
  assert.is(r.diagnostics[0]!.code, "VSC5052");
  assert.equal(snapshot(s.mount), before);
  s.cleanup();
});

test("VSC5055: a rollback whose re-read shows another nft table does not claim 'as it was'", async () => {
  // The failure message used to say "the kernel is as it was" without looking.
  const s = scratch();
  const tools = fakeTools(scratchKernel(s.mount), ["ip filter"]);
  const k = {
    ...tools,
    run(tool: "nft" | "tc" | "ip", args: string[], input?: string) {
      // Some agent (or an nft quirk) leaves a table behind when the ruleset is loaded.
      if (tool === "nft" && args[0] === "-f" && !input?.startsWith("list"))
        tools.tables = ["ip filter", "ip stray"];
      return tools.run(tool, args, input);
    },
  };
  const o = { stateDir: s.stateDir, skipPreflight: true };
  const d = sampleDesired();
  const out = await applyWithLock(
    k,
    "vsc",
    () => {
      const r = planDesired(k, d, o);
      // A write the kernel refuses, after the nft load.
      r.plan!.actions.push({
        type: "cgroup-file",
        op: "update",
        address: "cgroup vsc io.max",
        path: "vsc",
        file: "io.max",
        before: "",
        after: "bad",
      });
      return r;
    },
    async () => true,
    o,
  );
  const ds = out.diagnostics;
  assert.equal(
    ds.map((x) => x.code),
    ["VSC5020", "VSC5055"],
  );
  assert.not.match(JSON.stringify(ds), /as it was/);
  assert.match(ds[1]!.notes!.join("\n"), /nft table ip stray is new/);
  s.cleanup();
});

test("VSC5055: an undo the kernel accepts but does not keep is reported, with the value", async () => {
  const s = scratch();
  const base = fakeTools(scratchKernel(s.mount));
  const o = { stateDir: s.stateDir, skipPreflight: true };
  await applyWithLock(
    base,
    "vsc",
    () => planDesired(base, sampleDesired(), o),
    async () => true,
    o,
  );
  let failed = false;
  const k = {
    ...base,
    write(p: string, v: string) {
      if (p === "vsc/web-tier/web/pids.max") {
        failed = true;
        throw new KernelError(`write ${p}`, "Invalid argument (EINVAL)", "EINVAL");
      }
      // After the failure, restoring cpu.weight "succeeds" but changes nothing.
      if (failed && p.endsWith("cpu.weight")) return;
      base.write(p, v);
    },
  };
  const d2 = sampleDesired({
    contexts: [
      { name: "web-tier", weight: "500", memMax: "4294967296" },
      { name: "web", parent: "web-tier", weight: "200", memMax: "2147483648", pids: "600" },
      { name: "batch", weight: "100", memMax: "536870912", pids: "256" },
    ],
  });
  const out = await applyWithLock(
    k,
    "vsc",
    () => planDesired(k, d2, o),
    async () => true,
    o,
  );
  assert.equal(
    out.diagnostics.map((x) => x.code),
    ["VSC5020", "VSC5055"],
  );
  assert.not.match(JSON.stringify(out.diagnostics), /as it was/);
  assert.match(
    out.diagnostics[1]!.notes!.join("\n"),
    /cgroup vsc\/web-tier cpu.weight is "500", was "400"/,
  );
  s.cleanup();
});

test.run();
