// Applier performance in the kernel lab: apply-from-empty against its floor,
// no-op plan, one-context edit, for N contexts (VSC_PERF_N, default 1000).
// Absolute times under TCG emulation are slow; the ratio to the floor is the
// figure that carries over. Results go to $VSC_LAB_OUT/apply-perf.json too.
import * as assert from "uvu/assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { labSuite, must, run } from "./lab.js";
import { measure } from "./apply-perf.js";

const test = labSuite("applier performance");
const NS = `vsc-perf-${process.pid}`;

test("apply from empty within 1.5x of the floor; one-context edit is one write", async () => {
  must("ip", ["netns", "add", NS]);
  try {
    must("ip", ["-n", NS, "link", "add", "v0", "type", "veth", "peer", "name", "v0p"]);
    must("ip", ["-n", NS, "link", "set", "v0", "up"]);
    const f = await measure({
      n: Number(process.env.VSC_PERF_N ?? 1000),
      mount: "/sys/fs/cgroup",
      root: "vsc-perf",
      netns: NS,
      leaf: "fq_codel",
      cgroupRules: true,
      stateDir: mkdtempSync("/tmp/vsc-perf-"),
    });
    console.log(`\napplier perf: ${JSON.stringify(f)}`);
    if (process.env.VSC_LAB_OUT)
      writeFileSync(join(process.env.VSC_LAB_OUT, "apply-perf.json"), JSON.stringify(f));
    assert.is(f.editWrites, 1);
    assert.ok(f.ratio <= 1.5, `apply took ${f.ratio}x the floor`);
  } finally {
    run("ip", ["netns", "del", NS]);
  }
});

test.run();
