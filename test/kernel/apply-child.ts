/**
 * A separate process that runs one apply for test/kernel/apply-e2e.test.ts, so
 * the test can SIGKILL it half-way or run two at once. Argument: JSON
 * { root, netns, stateDir, variant, killAfter?, slowMs? }.
 * killAfter: SIGKILL itself right before the Nth kernel change.
 * slowMs: sleep before every kernel change (keeps the lock held for a while).
 */
import { applyWithLock, planDesired } from "../../src/apply/applier.js";
import { hostKernel } from "../../src/apply/host-kernel.js";
import type { Kernel } from "../../src/apply/kernel.js";
import { e2eDesired } from "./apply-fixture.js";

const o = JSON.parse(process.argv[2] ?? "{}") as {
  root: string;
  netns: string;
  stateDir: string;
  variant: string;
  killAfter?: number;
  slowMs?: number;
};
const base = hostKernel({ cgroupMount: "/sys/fs/cgroup", netns: o.netns });
let n = 0;
const before = () => {
  if (o.slowMs) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, o.slowMs);
  if (o.killAfter !== undefined && ++n >= o.killAfter) process.kill(process.pid, "SIGKILL");
};
const k: Kernel = {
  ...base,
  write: (p, v) => (before(), base.write(p, v)),
  mkdir: (p) => (before(), base.mkdir(p)),
  rmdir: (p) => (before(), base.rmdir(p)),
  run: (t, a, i) => {
    if (!a.includes("show") && !(i ?? "").startsWith("list") && a[0] !== "-c") before();
    return base.run(t, a, i);
  },
};
const d = e2eDesired(o.root, o.variant);
const opts = { stateDir: o.stateDir };
const out = await applyWithLock(
  k,
  d.cgroupRoot,
  () => planDesired(k, d, opts),
  async () => true,
  opts,
);
process.stdout.write(
  JSON.stringify({ ok: !!out.result?.ok, codes: out.diagnostics.map((x) => x.code) }),
);
process.exit(out.result?.ok ? 0 : 1);
