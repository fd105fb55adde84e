/**
 * Every configuration of the isolation benchmark (bench/isolation/*.vsc)
 * checks clean, is in canonical format, and is the set the driver applies,
 * so CI catches a config that rots while the benchmark (lab only) is not run.
 * Also the benchmark's pure arithmetic (ideal splits, Jain's index).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";
import { loadProgram } from "../../src/syntax/load.js";
import { check } from "../../src/check/index.js";
import { fsSourceHost } from "../../src/cli/source-host.js";
import { formatSource } from "../../src/fmt/format.js";
import { cpuWeights } from "../../src/model/weights.js";
import {
  CONFIGS,
  htbIdeal,
  jain,
  maxAbsError,
  paperReserved,
  proportional,
} from "../../bench/isolation/stats.js";

const dir = join(packageRoot(), "bench/isolation");
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".vsc"))
  .sort();

const compile = (f: string) => {
  const { program, diagnostics } = loadProgram(join(dir, f), fsSourceHost());
  const checked = check(program);
  return { ir: checked.ir, diagnostics: [...diagnostics, ...checked.diagnostics] };
};

test("the driver's configurations are exactly the files in bench/isolation", () => {
  assert.equal(files, [...CONFIGS].sort());
});

for (const f of files) {
  test(`${f} checks without a diagnostic and is formatted`, () => {
    const { ir, diagnostics } = compile(f);
    assert.equal(
      diagnostics.map((d) => `${d.code} ${d.span?.line}:${d.span?.col} ${d.message}`),
      [],
    );
    assert.ok(ir);
    const text = readFileSync(join(dir, f), "utf8");
    assert.is(formatSource(text, f).text, text, `${f} is not in vsc fmt's layout`);
  });
}

test("reserve.vsc: the reserved context's weight guarantees 25% with all eight others busy", () => {
  const { ir } = compile("reserve.vsc");
  const w = cpuWeights(ir!);
  const hi = w.get("hi")!;
  const others = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => w.get(`be${i}`)!);
  assert.ok(hi / (hi + others.reduce((s, x) => s + x, 0)) >= 0.25);
});

test("arithmetic: proportional, Jain, errors, the paper's reservation", () => {
  assert.equal(proportional([1, 2, 4]), [1 / 7, 2 / 7, 4 / 7]);
  assert.is(jain([0.5, 0.5], [0.5, 0.5]), 1);
  assert.is(jain([1, 0], [0.5, 0.5]), 0.5);
  assert.ok(Math.abs(jain([0.2, 0.3], [0.25, 0.25]) - 4 / 4.16) < 1e-12);
  assert.is(
    maxAbsError(
      [
        [0.375, 0.625],
        [0.5, 0.5],
      ],
      [0.5, 0.5],
    ),
    0.125,
  );
  assert.is(paperReserved(0.25, 4), 0.25 + 0.75 / 4);
});

test("arithmetic: HTB's ideal split (rates, then the excess by share, capped by ceilings)", () => {
  const a = { rate: 2e6, ceil: 6e6, share: 1, busy: true };
  const b = { rate: 1e6, ceil: 9e6, share: 2, busy: true };
  const both = htbIdeal(10e6, [a, b]);
  assert.ok(Math.abs(both[0] - (2e6 + 7e6 / 3)) < 1);
  assert.ok(Math.abs(both[1] - (1e6 + 14e6 / 3)) < 1);
  assert.equal(htbIdeal(10e6, [a, { ...b, busy: false }]), [6e6, 0]);
  assert.equal(htbIdeal(10e6, [{ ...a, busy: false }, b]), [0, 9e6]);
  // a capped below its share: b takes what a cannot
  const capped = htbIdeal(10e6, [
    { ...a, ceil: 3e6, share: 2 },
    { ...b, share: 1 },
  ]);
  assert.ok(Math.abs(capped[0] - 3e6) < 1 && Math.abs(capped[1] - 7e6) < 1);
});

test.run();
