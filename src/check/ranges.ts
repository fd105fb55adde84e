/**
 * Range rules that need more than one field of the merged node: a cpu burst
 * needs a cpu limit, and fits in the limit's quota (the kernel refuses
 * cpu.max.burst above the quota). Single-value ranges (share, id, ports,
 * percentages, prefixes) are checked as values are read (values.ts).
 */
import { type Acceptor, error } from "./acceptor.js";
import { Code } from "./codes.js";
import { formatTime } from "./format-units.js";
import type { TreeNode } from "./hierarchy.js";

/** cpu.max's period, in microseconds (the kernel's default, which vsc writes). */
export const CPU_PERIOD_US = 100_000;

export function checkCpuBurst(n: TreeNode, report: Acceptor): void {
  const { burst, limit } = n.body.cpu;
  if (!burst) return;
  if (!limit) {
    report(
      error(
        Code.burstNeedsLimit,
        burst.stmt,
        `cpu burst needs a cpu limit (in ${n.kind} ${n.name})`,
        {
          help: "a burst lets a limited group exceed its quota briefly; add cpu { limit ... } or remove the burst",
        },
      ),
    );
    return;
  }
  const quota = (limit.value * CPU_PERIOD_US) / 1000;
  if (burst.value > quota) {
    report(
      error(
        Code.burstAboveQuota,
        burst.span,
        `cpu burst ${formatTime(burst.value)} is above the limit's quota of ${formatTime(quota)} per ${formatTime(CPU_PERIOD_US)}`,
        {
          related: [{ span: limit.stmt, label: "the limit" }],
          help: `the kernel accepts a burst up to the quota; use at most ${formatTime(quota)}`,
        },
      ),
    );
  }
}
