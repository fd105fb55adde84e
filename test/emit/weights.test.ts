import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Draft } from "../../src/ir/draft.js";
import type { Node, VscIr } from "../../src/ir/types.gen.js";
import {
  cpuGuaranteeViolations,
  cpuWeights,
  groupWeights,
  WEIGHT_MAX,
  WEIGHT_MIN,
  weightCapacity,
} from "../../src/model/weights.js";
import { languageIr } from "./fixtures.js";

/** Deterministic PRNG (mulberry32) so a failing case can be reproduced by its seed. */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function node(
  kind: "class" | "context",
  name: string,
  parent: Node | null,
  id: number,
  cpu: Draft<Node["cpu"]>,
): Draft<Node> {
  return {
    kind,
    name,
    path: parent ? `${parent.path}/${name}` : name,
    parent: parent ? parent.name : null,
    depth: parent ? parent.depth + 1 : 1,
    id,
    loc: { file: "t.vsc", line: id, col: 1 },
    cpu,
    memory: {},
    pids: {},
    io: { devices: [] },
    net: { addresses: [], links: [], rules: [] },
    rlimits: [],
    security: { namespaces: [] },
  };
}

function irOf(millicpus: number, keep: number, nodes: Draft<Node>[]): Draft<VscIr> {
  const ir = languageIr();
  ir.host.millicpus = millicpus;
  ir.host.keep.millicpus = keep;
  ir.nodes = nodes;
  return ir;
}

/**
 * A random hierarchy that passes admission: every node's children reserve at
 * most what the node reserves (a class without its own reserve reserves the
 * sum), the top level fits in capacity - keep, and some classes leave slack.
 */
function randomIr(seed: number): VscIr {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const millicpus = int(1, 64) * 1000;
  const keep = Math.floor(millicpus * r() * 0.2);
  const nodes: Draft<Node>[] = [];
  let id = 1;
  // Build top-down with a budget per node; the top level leaves >= 5% slack.
  const grow = (parent: Draft<Node> | null, budget: number, depth: number) => {
    const n = int(1, depth === 1 ? 8 : 5);
    let left = budget;
    for (let i = 0; i < n; i++) {
      const isClass = depth < 4 && r() < 0.35;
      const name = `n${id}`;
      const share = r() < 0.5 ? 1 : int(1, 20);
      const want = r() < 0.6 ? Math.floor(left * r() * 0.6) : 0;
      left -= want;
      if (isClass) {
        const own = r() < 0.5;
        const c = node(
          "class",
          name,
          parent,
          id++,
          own && want > 0 ? { share, reserve: want } : { share },
        );
        nodes.push(c);
        grow(c, want, depth + 1);
      } else {
        nodes.push(
          node("context", name, parent, id++, want > 0 ? { share, reserve: want } : { share }),
        );
      }
    }
  };
  grow(null, Math.floor((millicpus - keep) * 0.95), 1);
  // Children must come after parents and siblings sorted by name: the IR's order.
  return irOf(millicpus, keep, sortIr(nodes));
}

function sortIr(nodes: Draft<Node>[]): Draft<Node>[] {
  const kids = new Map<string | null, Draft<Node>[]>();
  for (const n of nodes) kids.set(n.parent, [...(kids.get(n.parent) ?? []), n]);
  const out: Draft<Node>[] = [];
  const walk = (p: string | null) => {
    for (const n of (kids.get(p) ?? []).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      out.push(n);
      walk(n.name);
    }
  };
  walk(null);
  return out;
}

/** Reservations that a class without its own reserve must pass on are the sum of its children's. */
const reserveOf = (ir: VscIr, name: string): number => {
  const n = ir.nodes.find((x) => x.name === name)!;
  if (n.cpu.reserve !== undefined) return n.cpu.reserve;
  return ir.nodes.filter((c) => c.parent === name).reduce((s, c) => s + reserveOf(ir, c.name), 0);
};

test("language.vsc: web-tier and web get the whole weight domain; batch keeps the default", () => {
  const ir = languageIr();
  const w = cpuWeights(ir);
  assert.is(weightCapacity(ir), 800); // 2000 - 200 keep - 1000 (batch's core)
  assert.is(w.get("batch"), 100);
  // alone in their groups: the kernel's default weight (the smallest weight is scaled to 100)
  assert.is(w.get("web-tier"), 100);
  assert.is(w.get("web"), 100);
  assert.equal(cpuGuaranteeViolations(ir, w), []);
});

test("mapping.md formula: reservation plus share of the rest, the smallest weight scaled to 100", () => {
  // g = 1000m; a reserves 500, b and c nothing; shares 1, 1, 2.
  // ideal millicpu: a = 500 + 500/4 = 625, b = 125, c = 250.
  const w = groupWeights(
    [
      { a: 500, s: 1 },
      { a: 0, s: 1 },
      { a: 0, s: 2 },
    ],
    { n: 1000n, d: 1n },
  );
  assert.equal(w, [500, 100, 200]);
});

test("the largest weight stays <= 10000 when the smallest cannot be 100 (shares 1:400)", () => {
  const w = groupWeights(
    [
      { a: 0, s: 1 },
      { a: 0, s: 400 },
    ],
    { n: 1000n, d: 1n },
  );
  assert.equal(w, [25, 10000]);
});

test("zero slack, all reserved: exact proportions (1:2:7) instead of rounding up", () => {
  const w = groupWeights(
    [
      { a: 100, s: 1 },
      { a: 200, s: 1 },
      { a: 700, s: 1 },
    ],
    { n: 1000n, d: 1n },
  );
  const W = w.reduce((s, x) => s + x, 0);
  assert.ok(w[0] * 1000 >= 100 * W && w[1] * 1000 >= 200 * W && w[2] * 1000 >= 700 * W, `${w}`);
});

test("the check fails on weights that break a reservation (it can fail)", () => {
  const a = node("context", "a", null, 1, { share: 1, reserve: 900 });
  const b = node("context", "b", null, 2, { share: 1 });
  const ir = irOf(1000, 0, [a, b]);
  const bad = cpuGuaranteeViolations(
    ir,
    new Map([
      ["a", 100],
      ["b", 100],
    ]),
  );
  assert.equal(
    bad.map((x) => x.name),
    ["a"],
  );
  assert.is(bad[0].reserved, 900);
  assert.ok(Math.abs(bad[0].guaranteed - 500) < 1e-9);
  assert.equal(cpuGuaranteeViolations(ir, cpuWeights(ir)), []);
});

test("the check follows the hierarchy: a class's share is split again below it", () => {
  // top: cls reserves 600 of 1000, other context reserves 0; inside cls: x 500, y 0.
  const cls = node("class", "cls", null, 1, { share: 1, reserve: 600 });
  const x = node("context", "x", cls, 2, { share: 1, reserve: 500 });
  const y = node("context", "y", cls, 3, { share: 1 });
  const o = node("context", "o", null, 4, { share: 1 });
  const ir = irOf(1000, 0, [cls, x, y, o]);
  // cls and o equal, x and y equal: cls gets 500 < 600 and x gets 250 < 500.
  const bad = cpuGuaranteeViolations(
    ir,
    new Map([
      ["cls", 1],
      ["o", 1],
      ["x", 1],
      ["y", 1],
    ]),
  );
  assert.equal(bad.map((v) => v.name).sort(), ["cls", "x"]);
  const w = cpuWeights(ir);
  assert.equal(cpuGuaranteeViolations(ir, w), []);
});

test("a class without its own reserve passes on exactly what its children reserve", () => {
  const cls = node("class", "cls", null, 1, { share: 1 });
  const x = node("context", "x", cls, 2, { share: 1, reserve: 300 });
  const y = node("context", "y", cls, 3, { share: 5, reserve: 100 });
  const o = node("context", "o", null, 4, { share: 3 });
  const ir = irOf(2000, 500, [cls, x, y, o]);
  assert.equal(cpuGuaranteeViolations(ir, cpuWeights(ir)), []);
});

test("whole-core contexts leave the weight domain and take their cores out of capacity", () => {
  const c = node("context", "c", null, 1, { share: 1, cores: [2, 3] });
  const r = node("context", "r", null, 2, { share: 1, reserve: 1900 });
  const s = node("context", "s", null, 3, { share: 1 });
  const ir = irOf(4000, 0, [c, r, s]);
  assert.is(weightCapacity(ir), 2000);
  const w = cpuWeights(ir);
  assert.is(w.get("c"), 100);
  assert.equal(cpuGuaranteeViolations(ir, w), []);
  // r needs 1900 of 2000: s may get at most 1/20 of the weight.
  assert.ok(w.get("s")! * 19 <= w.get("r")!, `${w.get("r")} ${w.get("s")}`);
});

test("property: random admitted hierarchies never lose a reservation to rounding", () => {
  let checked = 0;
  for (let seed = 1; seed <= 400; seed++) {
    const ir = randomIr(seed);
    const w = cpuWeights(ir);
    for (const n of ir.nodes) {
      const x = w.get(n.name)!;
      assert.ok(
        Number.isInteger(x) && x >= WEIGHT_MIN && x <= WEIGHT_MAX,
        `seed ${seed}: ${n.name}=${x}`,
      );
    }
    const bad = cpuGuaranteeViolations(ir, w);
    assert.equal(bad, [], `seed ${seed}: ${JSON.stringify(bad)}`);
    // Independent of the check's own arithmetic: under full contention each
    // node's float share of its parent's guarantee covers its reservation.
    const g = new Map<string | null, number>([[null, weightCapacity(ir)]]);
    for (const n of ir.nodes) {
      const sib = ir.nodes.filter((s) => s.parent === n.parent);
      const W = sib.reduce((s, x) => s + w.get(x.name)!, 0);
      const mine = (g.get(n.parent)! * w.get(n.name)!) / W;
      g.set(n.name, mine);
      assert.ok(
        mine >= reserveOf(ir, n.name) * (1 - 1e-12),
        `seed ${seed}: ${n.name} ${mine} < ${reserveOf(ir, n.name)}`,
      );
      checked++;
    }
  }
  assert.ok(checked > 2000);
});

test("property: zero-slack groups of reserved siblings stay exact", () => {
  for (let seed = 1; seed <= 300; seed++) {
    const r = rng(seed);
    const n = 1 + Math.floor(r() * 12);
    const a = Array.from({ length: n }, () => 1 + Math.floor(r() * 3000));
    const g = a.reduce((s, x) => s + x, 0);
    const w = groupWeights(
      a.map((x) => ({ a: x, s: 1 + Math.floor(r() * 9) })),
      { n: BigInt(g), d: 1n },
    );
    const W = w.reduce((s, x) => s + x, 0);
    const ratio = Math.max(...a) / Math.min(...a);
    if (ratio > WEIGHT_MAX) continue; // not representable in 1..10000 at all
    a.forEach((x, i) => assert.ok(w[i] * g >= x * W, `seed ${seed}: ${a} -> ${w}`));
  }
});

test.run();
