/**
 * Pure arithmetic of the isolation benchmark (no I/O, unit-tested on the
 * host): ideal fractions, errors, Jain's index, HTB's ideal split, and the
 * list of configurations the driver uses (so a test can check that every
 * one exists and passes `vsc check`).
 */

/** Every configuration the driver applies, relative to bench/isolation/. */
export const CONFIGS = [
  "fair-1.vsc",
  "fair-2.vsc",
  "fair-4.vsc",
  "fair-8.vsc",
  "fair-124.vsc",
  "reserve.vsc",
  "baseline.vsc",
  "limit.vsc",
  "cores.vsc",
  "memory.vsc",
  "memory-pool.vsc",
  "memory-pool-base.vsc",
  "net.vsc",
] as const;

/** Fractions proportional to `weights` (shares or cpu.weight values). */
export function proportional(weights: number[]): number[] {
  const sum = weights.reduce((s, x) => s + x, 0);
  return weights.map((w) => w / sum);
}

/**
 * Jain's fairness index of measured allocations against their ideal:
 * J = (sum x)^2 / (n sum x^2) with x_i = measured_i / ideal_i; 1 is perfect,
 * 1/n is one context taking everything.
 */
export function jain(measured: number[], ideal: number[]): number {
  const x = measured.map((m, i) => m / ideal[i]);
  const s = x.reduce((a, b) => a + b, 0);
  const s2 = x.reduce((a, b) => a + b * b, 0);
  return s2 === 0 ? 0 : (s * s) / (x.length * s2);
}

/** Largest |measured - ideal| over every window and context. */
export function maxAbsError(windows: number[][], ideal: number[]): number {
  let e = 0;
  for (const w of windows) w.forEach((m, i) => (e = Math.max(e, Math.abs(m - ideal[i]))));
  return e;
}

/**
 * The paper's reservation semantics for one reserved context among `busy`
 * busy siblings of equal share: its reservation plus an equal share of the
 * rest (r + (1 - r) / busy).
 */
export function paperReserved(r: number, busy: number): number {
  return r + (1 - r) / busy;
}

export interface HtbClass {
  /** bit/s guaranteed (HTB rate). */
  rate: number;
  /** bit/s cap (HTB ceil). */
  ceil: number;
  /** relative share of the excess (HTB quantum). */
  share: number;
  /** whether the class has packets to send. */
  busy: boolean;
}

/**
 * HTB's ideal steady state for sibling leaves under one parent of `link`
 * bit/s: each busy class gets its rate, then the rest is split by share
 * (quantum), no class above its ceil, repeated until nothing is left to
 * hand out (water-filling). Idle classes get 0.
 */
export function htbIdeal(link: number, classes: HtbClass[]): number[] {
  const got = classes.map((c) => (c.busy ? Math.min(c.rate, c.ceil) : 0));
  let left = link - got.reduce((s, x) => s + x, 0);
  for (let round = 0; round < classes.length && left > 1e-9; round++) {
    const open = classes.map((c, i) => c.busy && got[i] < c.ceil - 1e-9);
    const shares = classes.reduce((s, c, i) => s + (open[i] ? c.share : 0), 0);
    if (shares === 0) break;
    let handed = 0;
    classes.forEach((c, i) => {
      if (!open[i]) return;
      const add = Math.min((left * c.share) / shares, c.ceil - got[i]);
      got[i] += add;
      handed += add;
    });
    left -= handed;
  }
  return got;
}

/** Formats a fraction as a percentage with `d` decimals. */
export const pct = (x: number, d = 2): string => `${(x * 100).toFixed(d)}%`;
/** Formats a difference of fractions as percentage points. */
export const pts = (x: number, d = 2): string => `${(x * 100).toFixed(d)} pt`;
