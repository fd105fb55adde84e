/**
 * How values read from the kernel compare with desired values. Pure helpers
 * shared by the planner (diff) and the applier (its read-back after each write, in execute.ts).
 */

/** Files read in every owned cgroup even without a desired state (for `show` and deletes). */
export const MANAGED_FILES: readonly string[] = [
  "cpu.max",
  "cpu.max.burst",
  "cpu.weight",
  "cpuset.cpus",
  "io.max",
  "io.weight",
  "memory.high",
  "memory.low",
  "memory.max",
  "memory.min",
  "memory.oom.group",
  "memory.swap.max",
  "pids.max",
];

/**
 * One canonical form per value: trailing whitespace dropped, and for
 * multi-line files (io.max: one line per device, order up to the kernel)
 * the lines sorted, so comparison is a plain string equality.
 */
export function normalizeValue(file: string, raw: string): string {
  const v = raw.replace(/\s+$/, "");
  if (file === "io.max") {
    return v
      .split("\n")
      .map((l) => l.trim().replace(/\s+/g, " "))
      .filter((l) => l !== "")
      .sort()
      .join("\n");
  }
  return v;
}

export const sameValue = (file: string, a: string | null | undefined, b: string): boolean =>
  a !== null && a !== undefined && normalizeValue(file, a) === normalizeValue(file, b);

/** "vsc/a/b" -> "vsc/a"; "vsc" -> "" (the mount root). */
export function parentPath(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

export const depth = (path: string): number => (path === "" ? 0 : path.split("/").length);

const UNITS = ["", "K", "M", "G", "T"];

/**
 * tc's own rendering of a rate in bit/s (iproute2 `sprint_rate`): divide by
 * 1000 while the value divides evenly or stays at least 1000000. Reading rates
 * back from `tc class show` is only as exact as this, so desired values are
 * compared after the same rounding (and the kernel keeps bytes/s: bits/8).
 */
export function tcRateString(bits: number): string {
  let rate = Math.floor(bits / 8) * 8;
  let i = 0;
  for (; i < UNITS.length - 1; i++) {
    if (rate < 1000) break;
    if (rate % 1000 !== 0 && rate < 1000 * 1000) break;
    rate /= 1000;
  }
  return `${Math.round(rate)}${UNITS[i]}bit`;
}

/** Parses tc's "5Mbit", "1Gbit", "800bit", "1.5Mbit" (and "Kibit"... with -iec) into bit/s. */
export function parseTcRate(s: string): number | undefined {
  const m = /^([0-9.]+)([KMGT]?)(i?)bit$/.exec(s);
  if (!m) return undefined;
  const base = m[3] === "i" ? 1024 : 1000;
  return Math.round(parseFloat(m[1]!) * base ** UNITS.indexOf(m[2]!));
}

/** A desired rate as tc would read it back. */
export const tcRoundTrip = (bits: number): number => parseTcRate(tcRateString(bits)) ?? bits;
