/**
 * Base-unit values written back the way people write them, for messages:
 * 2300 millicpu -> "2.3 cpus", 8053063680 bytes -> "7.5GiB", 4e8 bit/s -> "400mbit".
 */

/** `n` with at most `digits` decimals, trailing zeros dropped. */
function trim(n: number, digits: number): string {
  return n.toFixed(digits).replace(/\.?0+$/, "");
}

export function formatCpu(millicpus: number): string {
  const s = trim(millicpus / 1000, 3);
  return s === "1" ? "1 cpu" : `${s} cpus`;
}

const BYTE_UNITS: Array<[string, number]> = [
  ["TiB", 2 ** 40],
  ["GiB", 2 ** 30],
  ["MiB", 2 ** 20],
  ["KiB", 2 ** 10],
];

export function formatBytes(bytes: number): string {
  for (const [u, f] of BYTE_UNITS) if (bytes >= f) return `${trim(bytes / f, 2)}${u}`;
  return `${bytes}B`;
}

const BIT_UNITS: Array<[string, number]> = [
  ["tbit", 1e12],
  ["gbit", 1e9],
  ["mbit", 1e6],
  ["kbit", 1e3],
];

export function formatBitrate(bps: number): string {
  for (const [u, f] of BIT_UNITS) if (bps >= f) return `${trim(bps / f, 3)}${u}`;
  return `${bps}bit`;
}

export function formatTime(us: number): string {
  if (us >= 1e6 && us % 1e6 === 0) return `${us / 1e6}s`;
  if (us >= 1000 && us % 1000 === 0) return `${us / 1000}ms`;
  return `${us}us`;
}

/** An overbooking factor: 1.2x. */
export function formatFactor(f: number): string {
  return `${trim(f, 2)}x`;
}
