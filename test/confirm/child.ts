/**
 * A separate applying process for the confirm tests: applies with
 * --confirm, prints "armed <deadline>" once the apply is done and its revert
 * armed, then waits to be killed (SIGKILL). Argument: JSON
 * { mount, netns, stateDir, variant, seconds, root?, leaf? }.
 */
import { applyWithLock, planDesired } from "../../src/apply/applier.js";
import { hostKernel } from "../../src/apply/host-kernel.js";
import { confirmDesired } from "./fixture.js";
import { e2eDesired } from "../kernel/apply-fixture.js";

const o = JSON.parse(process.argv[2] ?? "{}") as {
  mount: string;
  netns: string;
  stateDir: string;
  variant: "base" | "next";
  /** Use the kernel lab's fixture (test/kernel/apply-fixture.ts) with this variant. */
  e2e?: string;
  seconds: number;
  root?: string;
  leaf?: string;
};
const k = hostKernel({ cgroupMount: o.mount, netns: o.netns });
const d = o.e2e
  ? e2eDesired(o.root ?? "vsc", o.e2e)
  : confirmDesired(o.variant, {
      ...(o.root ? { root: o.root } : {}),
      ...(o.leaf ? { leaf: o.leaf } : {}),
    });
const opts = {
  stateDir: o.stateDir,
  confirm: { seconds: o.seconds, watchdog: "process" as const },
};
const out = await applyWithLock(
  k,
  d.cgroupRoot,
  () => planDesired(k, d, opts),
  async () => true,
  opts,
);
if (!out.pending) {
  process.stdout.write(`failed ${JSON.stringify(out.diagnostics)}\n`);
  process.exit(1);
}
process.stdout.write(`armed ${out.pending.deadline}\n`);
setInterval(() => {}, 1 << 30);
