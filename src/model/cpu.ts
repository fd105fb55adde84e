/** cpu.max as vsc writes it: the kernel's default period, and its smallest quota. */

/** cpu.max's period in microseconds (the kernel's default, which vsc always writes). */
export const CPU_PERIOD_US = 100_000;

/** The kernel refuses a cpu.max quota below 1 ms. */
export const CPU_QUOTA_MIN_US = 1000;
