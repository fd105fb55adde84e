/**
 * The checker's side of the kernel's bounds: the value at each bound checks
 * clean and emits what test/kernel/bounds.test.ts proves the kernel accepts;
 * one past it is an error with the bound's code at the value.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { desiredState } from "../../src/model/state.js";
import { BOUND_CASES } from "./kernel-bounds-cases.js";
import { checkText, errors, pos, summary } from "./helpers.js";

for (const c of BOUND_CASES) {
  test(`${c.name}: at the bound checks clean and emits the value the kernel accepts`, () => {
    const r = checkText(c.at);
    assert.equal(errors(r.diagnostics), []);
    const d = desiredState(r.ir!);
    const p = c.probe;
    if (p.kind === "cgroup") {
      const file = d.cgroups.find((g) => g.name === "a")!.files.find((f) => f.name === p.file);
      assert.is(file?.writes ? file.writes.join("\n") : file?.value, p.atValue);
    } else {
      const cls = d.links[0]!.classes.find((k) => k.name === "a")!;
      assert.is(cls.rate, p.atRate);
    }
  });
  test(`${c.name}: one past the bound is ${c.code} at the value`, () => {
    const r = checkText(c.past);
    assert.ok(
      summary(r.diagnostics).includes(`${c.code}@${pos(c.past, c.needle)}`),
      JSON.stringify(summary(r.diagnostics)),
    );
    assert.is(r.ir, undefined);
  });
}

test.run();
