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

import { CPU_PERIOD_US, CPU_QUOTA_MAX_US, CPU_QUOTA_MIN_US } from "../model/cpu.js";

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
  } else if (quota + burst.value > CPU_QUOTA_MAX_US) {
    // Only reachable with a limit above 87,960,930 cpus: quota and burst each fit, their sum not.
    report(
      error(
        Code.cpuBurstAboveKernel,
        burst.span,
        `cpu burst ${formatTime(burst.value)} plus the limit's quota of ${formatTime(quota)} is above the kernel's maximum of ${CPU_QUOTA_MAX_US}us`,
        {
          related: [{ span: limit.stmt, label: "the limit" }],
          help: `use a burst of at most ${CPU_QUOTA_MAX_US - quota}us, or a smaller limit`,
          notes: [
            "kernel/sched/core.c (tg_set_cfs_bandwidth) refuses cpu.max.burst when quota + burst exceeds 2^44 - 1 microseconds",
          ],
        },
      ),
    );
  }
}

/** The kernel's smallest cpu.max quota is 1 ms per period: 10 millicpu at the 100 ms period. */
export const CPU_LIMIT_MIN_MILLI = (1000 * CPU_QUOTA_MIN_US) / CPU_PERIOD_US;

export function checkCpuLimitMinimum(n: TreeNode, report: Acceptor): void {
  const { limit } = n.body.cpu;
  if (!limit || limit.value >= CPU_LIMIT_MIN_MILLI) return;
  report(
    error(
      Code.outOfRange,
      limit.span,
      `cpu limit ${limit.value}m is below the kernel's smallest quota, ${CPU_LIMIT_MIN_MILLI}m (1ms per ${formatTime(CPU_PERIOD_US)})`,
      { help: `use at least ${CPU_LIMIT_MIN_MILLI}m (cpu.max cannot express less)` },
    ),
  );
}
