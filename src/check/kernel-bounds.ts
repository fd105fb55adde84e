/**
 * The kernel's own bounds on the values vsc writes, so that a value the
 * kernel would refuse (or silently change) is a checker error at the value,
 * not a failed write half-way through an apply. Each bound names the
 * interface file, the kernel source that enforces it, and is proven on a
 * real kernel by test/kernel/bounds.test.ts (the value at the bound is
 * accepted, one past it is refused). docs/checker.md has the table.
 *
 * Bounds that no config can cross need no rule here (see docs/checker.md):
 * memory.* byte values (the kernel clamps at PAGE_COUNTER_MAX pages, far
 * above the 2^53 bytes the checker reads), cpu.weight (vsc computes it in
 * 1..10000), io.weight (`share` is read in 1..10000), HTB quantum (vsc
 * computes it in 1514..200000) and class ids (ids 1..60000, derived ids up
 * to 0xfeff, below the reserved 0xfffe/0xffff).
 */
import { Code } from "./codes.js";
import { CPU_PERIOD_US, CPU_QUOTA_MAX_US } from "../model/cpu.js";

export interface KernelBound {
  /** Diagnostic code (VSC2040-2049). */
  code: string;
  /** The interface file (or tool) the value becomes, for messages: "pids.max". */
  file: string;
  /** Smallest accepted value in the field's base unit (inclusive). */
  min?: number;
  /** Largest accepted value (inclusive). */
  max?: number;
  /** 0 means "not set" for this field and never reaches the kernel. */
  zeroIsUnset?: boolean;
  /** Why, in the kernel's terms (shown as a note). */
  why: string;
}

/** PID_MAX_LIMIT on 64-bit (include/linux/threads.h): 4 * 1024 * 1024. */
export const PID_MAX_LIMIT = 4 * 1024 * 1024;

/** The largest cpu limit (millicpu) whose quota at vsc's period fits CPU_QUOTA_MAX_US. */
export const CPU_LIMIT_MAX_MILLI = Math.floor((CPU_QUOTA_MAX_US * 1000) / CPU_PERIOD_US);

/** UINT_MAX: blk-throttle stores iops as unsigned int; UINT_MAX itself means "max". */
export const IOPS_MAX = 2 ** 32 - 2;

export const BOUNDS = {
  pids: {
    code: Code.pidsAboveKernel,
    file: "pids.max",
    max: PID_MAX_LIMIT,
    why: "kernel/cgroup/pids.c refuses pids.max >= PID_MAX_LIMIT + 1 (PID_MAX_LIMIT is 4194304 on 64-bit)",
  },
  cpuLimit: {
    code: Code.cpuQuotaAboveKernel,
    file: "cpu.max",
    max: CPU_LIMIT_MAX_MILLI,
    why: `kernel/sched/core.c (tg_set_cfs_bandwidth) refuses a quota above ${CPU_QUOTA_MAX_US}us (2^44 - 1, about 203 days) per period; vsc's period is ${CPU_PERIOD_US}us`,
  },
  ioBytes: {
    code: Code.ioMaxOutOfKernel,
    file: "io.max",
    min: 2,
    why: "block/blk-throttle.c (tg_set_limit) refuses 0 (ERANGE) and 1 (EINVAL) for rbps/wbps",
  },
  ioIops: {
    code: Code.ioMaxOutOfKernel,
    file: "io.max",
    min: 2,
    max: IOPS_MAX,
    why: "block/blk-throttle.c (tg_set_limit) refuses 0 and 1, and keeps iops in an unsigned int: 4294967295 and above become max (no limit)",
  },
  linkRate: {
    code: Code.linkRateBelowTc,
    file: "an HTB class rate",
    min: 8,
    zeroIsUnset: true,
    why: 'tc passes HTB rates in whole bytes per second; below 8bit that is 0, which tc refuses ("rate" is required) and so does net/sched/sch_htb.c (htb_change_class)',
  },
} satisfies Record<string, KernelBound>;
