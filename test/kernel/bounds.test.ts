// The kernel's bounds on what vsc writes (src/check/kernel-bounds.ts), proven
// on a real kernel: for each bound the checker passes the value at the bound
// and vsc emits a value the kernel accepts and reads back; one past it the
// checker refuses, and so does the kernel (or, for iops, does not keep it).
// io.max needs a real block device: run.sh's scratch disk, /dev/vda (254:0).
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { desiredState } from "../../src/model/state.js";
import { BOUND_CASES } from "../check/kernel-bounds-cases.js";
import { checkText, errors, pos, summary } from "../check/helpers.js";
import { labSuite, makeCgroup, must, readCgroup, removeCgroup, run, writeCgroup } from "./lab.js";

const test = labSuite("kernel bounds");
const ROOT = "vsc-bounds";
const NS = `vsc-bounds-${process.pid}`;

/** The lab's scratch disk must be there, as 254:0, for the io.max bounds. */
function requireDisk(): void {
  let dev = "";
  try {
    dev = readFileSync("/sys/block/vda/dev", "utf8").trim();
  } catch {
    throw new Error("no /dev/vda in the guest: run the lab with its scratch disk (not --no-disk)");
  }
  assert.is(dev, "254:0", "the scratch disk is not 254:0");
}

/** Writes, and says how the kernel answered: "ok" or its errno (EINVAL, ERANGE...). */
function attempt(cg: string, file: string, value: string): string {
  try {
    writeCgroup(cg, file, value);
    return "ok";
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  }
}

test.after(() => {
  removeCgroup(ROOT);
  run("ip", ["netns", "del", NS]);
});

BOUND_CASES.forEach((c, i) => {
  test(`${c.name}: the checker and the kernel agree on the bound`, () => {
    // The checker: clean at the bound, the bound's code one past it.
    const at = checkText(c.at);
    assert.equal(errors(at.diagnostics), []);
    const past = checkText(c.past);
    assert.ok(
      summary(past.diagnostics).includes(`${c.code}@${pos(c.past, c.needle)}`),
      JSON.stringify(summary(past.diagnostics)),
    );
    const d = desiredState(at.ir!);
    const p = c.probe;
    if (p.kind === "cgroup") {
      if (p.disk) requireDisk();
      const f = d.cgroups.find((g) => g.name === "a")!.files.find((x) => x.name === p.file)!;
      assert.is(f.writes ? f.writes.join("\n") : f.value, p.atValue, "what vsc emits");
      const cg = `${ROOT}/c${i}`;
      makeCgroup(cg, [p.controller]);
      for (const [file, value] of p.setup ?? []) writeCgroup(cg, file, value);
      assert.is(attempt(cg, p.file, p.atValue), "ok", `${p.file} ${p.atValue}`);
      assert.is(readCgroup(cg, p.file), p.atValue);
      const answer = attempt(cg, p.file, p.pastValue);
      if (p.keptAs !== undefined) {
        // Accepted, but not kept as written: vsc's read-back would never match.
        assert.is(answer, "ok");
        assert.is(readCgroup(cg, p.file), p.keptAs);
      } else {
        assert.ok(/^E[A-Z]+$/.test(answer), `${p.file} ${p.pastValue} was accepted`);
        assert.is(readCgroup(cg, p.file), p.atValue, "a refused write changes nothing");
      }
    } else {
      const cls = d.links[0]!.classes.find((k) => k.name === "a")!;
      assert.is(cls.rate, p.atRate, "what vsc emits");
      run("ip", ["netns", "del", NS]);
      must("ip", ["netns", "add", NS]);
      must("ip", ["-n", NS, "link", "add", "b0", "type", "veth", "peer", "name", "b1"]);
      must("ip", ["-n", NS, "link", "set", "b0", "up"]);
      const tc = (args: string) => run("ip", ["netns", "exec", NS, "tc", ...args.split(" ")]);
      assert.is(tc("qdisc add dev b0 root handle 1: htb default ffff").code, 0);
      const add = (r: number) =>
        tc(`class replace dev b0 parent 1: classid 1:1 htb rate ${r}bit ceil ${r}bit quantum 1514`);
      const ok = add(p.atRate);
      assert.is(ok.code, 0, ok.stderr);
      assert.match(
        must("ip", ["netns", "exec", NS, "tc", "class", "show", "dev", "b0"]),
        /rate 8bit/,
      );
      const refused = add(p.pastRate);
      assert.is.not(refused.code, 0);
      assert.match(refused.stderr, /"rate" is required/);
    }
  });
});

// Values vsc computes rather than reads (so no config can cross them): the
// kernel's bounds, proven here so that docs/checker.md's table is.
test("cpu.weight 1..10000, io.weight 1..10000, memory.max clamps (never refuses) a large value", () => {
  const cg = `${ROOT}/computed`;
  makeCgroup(cg, ["cpu", "io", "memory"]);
  assert.is(attempt(cg, "cpu.weight", "10000"), "ok");
  assert.is(attempt(cg, "cpu.weight", "10001"), "ERANGE");
  assert.is(attempt(cg, "cpu.weight", "1"), "ok");
  assert.is(attempt(cg, "cpu.weight", "0"), "ERANGE");
  assert.is(attempt(cg, "io.weight", "default 10000"), "ok");
  assert.is(readCgroup(cg, "io.weight"), "default 10000");
  assert.match(attempt(cg, "io.weight", "default 10001"), /^E[A-Z]+$/);
  assert.match(attempt(cg, "io.weight", "default 0"), /^E[A-Z]+$/);
  // The largest byte count the checker reads (2^53 - 1) is taken, rounded down to the page.
  assert.is(attempt(cg, "memory.max", "9007199254740991"), "ok");
  assert.is(readCgroup(cg, "memory.max"), "9007199254736896");
});

test.run();
