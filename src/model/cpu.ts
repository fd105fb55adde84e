/** cpu.max as vsc writes it: the kernel's default period, and its smallest quota. */

/** cpu.max's period in microseconds (the kernel's default, which vsc always writes). */
export const CPU_PERIOD_US = 100_000;

/** The kernel refuses a cpu.max quota below 1 ms. */
export const CPU_QUOTA_MIN_US = 1000;

/**
 * cpu.max's largest quota, in microseconds: max_cfs_runtime = MAX_BW usecs,
 * MAX_BW = 2^(64 - BW_SHIFT) - 1 with BW_SHIFT 20 (kernel/sched/sched.h),
 * "more than 203 days". tg_set_cfs_bandwidth (kernel/sched/core.c) refuses a
 * larger quota, and a burst whose sum with the quota is larger.
 */
export const CPU_QUOTA_MAX_US = 2 ** 44 - 1;
