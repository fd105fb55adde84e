/**
 * Units of language.md's table, and exact conversion of a written quantity
 * to its stored base unit: millicpu, bytes, bit/s, bytes/s, microseconds,
 * or a plain count. Arithmetic is done on the decimal text with BigInt, so
 * `1.1cpus` is exactly 1100 millicpu and never 1100.0000000000002.
 */
import type { NumberLit, Quantity } from "../syntax/ast.js";
import { type Acceptor, error } from "./acceptor.js";
import { Code } from "./codes.js";
import { closest } from "../diag/suggest.js";

export type Kind = "cpu" | "bytes" | "bitrate" | "byterate" | "time" | "count";

/** How a kind is named in messages ("memory limit expects bytes, got a bit rate"). */
export const KIND_NAMES: Record<Kind | "percent", string> = {
  cpu: "a cpu amount",
  bytes: "bytes",
  bitrate: "a bit rate",
  byterate: "a byte rate",
  time: "a time",
  count: "a count",
  percent: "a percentage",
};

/** Each kind's base unit, for messages. */
export const BASE_NAMES: Record<Kind, string> = {
  cpu: "millicpus",
  bytes: "bytes",
  bitrate: "bit/s",
  byterate: "bytes/s",
  time: "microseconds",
  count: "",
};

/** How to write each kind, for `help:`. */
export const KIND_HELP: Record<Kind, string> = {
  cpu: "cpu amounts are written like 1.5cpus, 500m (millicpus) or 25% (of the host's cpus)",
  bytes: "sizes are written like 512MiB, 1GiB, 100MB, or a bare whole number of bytes",
  bitrate: "link rates are written like 100mbit or 1gbit (bits per second, powers of 1000, as tc)",
  byterate: "disk rates are written like 50MB/s or 20MiB/s",
  time: "times are written like 20ms, 500us or 1s",
  count: "counts are bare whole numbers, or max for no limit",
};

interface Unit {
  kind: Kind;
  factor: bigint;
}

const K = 1024n;
const units: Array<[string, Kind, bigint]> = [
  ["cpus", "cpu", 1000n],
  ["cpu", "cpu", 1000n],
  ["m", "cpu", 1n],
  ["B", "bytes", 1n],
  ["KiB", "bytes", K],
  ["MiB", "bytes", K ** 2n],
  ["GiB", "bytes", K ** 3n],
  ["TiB", "bytes", K ** 4n],
  ["KB", "bytes", 10n ** 3n],
  ["MB", "bytes", 10n ** 6n],
  ["GB", "bytes", 10n ** 9n],
  ["TB", "bytes", 10n ** 12n],
  ["bit", "bitrate", 1n],
  ["kbit", "bitrate", 10n ** 3n],
  ["mbit", "bitrate", 10n ** 6n],
  ["gbit", "bitrate", 10n ** 9n],
  ["tbit", "bitrate", 10n ** 12n],
  ["B/s", "byterate", 1n],
  ["KB/s", "byterate", 10n ** 3n],
  ["MB/s", "byterate", 10n ** 6n],
  ["GB/s", "byterate", 10n ** 9n],
  ["KiB/s", "byterate", K],
  ["MiB/s", "byterate", K ** 2n],
  ["GiB/s", "byterate", K ** 3n],
  ["us", "time", 1n],
  ["ms", "time", 1000n],
  ["s", "time", 1_000_000n],
];

export const UNITS: ReadonlyMap<string, Unit> = new Map(
  units.map(([u, kind, factor]) => [u, { kind, factor }]),
);

/** A decimal as an integer mantissa and a power-of-ten scale: 1.25 = 125 / 10^2. */
export interface Decimal {
  mant: bigint;
  scale: number;
}

export function parseDecimal(text: string): Decimal | undefined {
  const m = /^(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return undefined;
  const frac = m[2] ?? "";
  return { mant: BigInt(m[1]! + frac), scale: frac.length };
}

/** The number as written, without its unit ("1.5" of "1.5 cpus"). */
export function numberText(v: NumberLit | Quantity): string {
  if (v.kind === "Number") return v.text;
  const m = /^\d+(?:\.\d+)?/.exec(v.text);
  return m ? m[0] : String(v.value);
}

export interface ConvertCtx {
  /** What is being read, for messages: "memory limit", "net link limit", "keep cpu". */
  what: string;
  /** Host capacity for `%`; undefined when there is no usable host (already reported). */
  hostMillicpus: number | undefined;
  /**
   * Host memory in bytes when `%` of it is accepted (memory reserve/low/high/
   * limit); null: accepted, but the host is unusable (already reported).
   */
  hostMemory?: number | null | undefined;
  report: Acceptor;
}

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** Prefix letters that people use alone (`512M`, `1G`, `10k`), or in tc's ambiguous rates (`mbps`). */
const AMBIGUOUS = /^([kmgtKMGT])(i?)(b|B|bps|ps|\/s)?$/;
const PREFIX_NAMES: Record<string, [string, string, number]> = {
  K: ["kibibytes", "kilobytes", 1],
  M: ["mebibytes", "megabytes", 2],
  G: ["gibibytes", "gigabytes", 3],
  T: ["tebibytes", "terabytes", 4],
};

function ambiguousHelp(num: string, unit: string, expected: Kind): string | undefined {
  const m = AMBIGUOUS.exec(unit);
  if (!m) return undefined;
  const p = m[1]!.toUpperCase();
  const [bi, si, n] = PREFIX_NAMES[p]!;
  const tail = m[3] ?? "";
  if (expected === "bitrate") {
    const tcNote = /ps$/.test(tail)
      ? ` (tc itself reads "${unit}" as ${si} per second, a source of 8x mistakes)`
      : "";
    return `write ${num}${p.toLowerCase()}bit for 10^${3 * n} bit/s${tcNote}`;
  }
  if (expected === "byterate")
    return `write ${num}${p}iB/s (${bi} per second) or ${num}${p}B/s (${si} per second)`;
  if (expected === "bytes")
    return `write ${num}${p}iB (${bi}, 2^${10 * n} bytes) or ${num}${p}B (${si}, 10^${3 * n} bytes)`;
  return undefined;
}

/**
 * Converts a number or quantity to `expected`'s base unit. Reports and
 * returns undefined when it cannot. Rules (docs/checker.md, "Units"):
 * a bare number is bytes or a count; elsewhere only `0` may go without a
 * unit; `%` is of the host's cpus and rounds to the nearest millicpu; any
 * other quantity must be a whole number of the base unit.
 */
export function convert(
  v: NumberLit | Quantity,
  expected: Kind,
  ctx: ConvertCtx,
): number | undefined {
  // Fast path for the common case, a whole number with a known unit of the
  // expected kind: exact in doubles while below 2^53, no BigInt needed.
  if (/^\d+$/.test(v.kind === "Number" ? v.text : numberText(v))) {
    const unit = v.kind === "Number" ? undefined : UNITS.get(v.unit);
    if (
      v.kind === "Number" ? expected === "bytes" || expected === "count" : unit?.kind === expected
    ) {
      const r = v.value * (unit ? Number(unit.factor) : 1);
      if (Number.isSafeInteger(r)) return r;
    }
  }
  const num = numberText(v);
  const dec = parseDecimal(num);
  if (!dec) {
    ctx.report(error(Code.wrongType, v.span, `${ctx.what} expects a number, got "${v.text}"`));
    return undefined;
  }
  const pow = 10n ** BigInt(dec.scale);
  let base: bigint;
  if (v.kind === "Number") {
    if (expected === "bytes" || expected === "count") {
      if (dec.mant % pow !== 0n) {
        if (expected === "bytes") {
          ctx.report(
            error(Code.missingUnit, v.span, `${ctx.what} ${num} needs a unit`, {
              label: "a bare number is a whole number of bytes",
              help: KIND_HELP.bytes,
            }),
          );
        } else {
          ctx.report(
            error(Code.notWhole, v.span, `${ctx.what} expects a whole number, got ${num}`),
          );
        }
        return undefined;
      }
      base = dec.mant / pow;
    } else if (dec.mant === 0n) {
      base = 0n;
    } else {
      ctx.report(
        error(Code.missingUnit, v.span, `${ctx.what} ${num} needs a unit`, {
          label: `expects ${KIND_NAMES[expected]}`,
          help: KIND_HELP[expected],
        }),
      );
      return undefined;
    }
  } else if (v.unit === "%" && expected === "bytes" && ctx.hostMemory !== undefined) {
    if (dec.mant > 100n * pow) {
      ctx.report(
        error(Code.outOfRange, v.span, `${ctx.what} ${v.text} is above 100%`, {
          help: "a percentage of memory is of what the host block declares, 0% to 100%",
        }),
      );
      return undefined;
    }
    if (ctx.hostMemory === null) return undefined;
    // Rounded down to a whole byte, as systemd does for MemoryMax=N%; the
    // cgroup files then hold whole pages (rounded down again by the model).
    base = (dec.mant * BigInt(ctx.hostMemory)) / (100n * pow);
  } else if (v.unit === "%") {
    if (expected !== "cpu") {
      ctx.report(wrongKind(v, expected, "percent", ctx));
      return undefined;
    }
    if (dec.mant > 100n * pow) {
      ctx.report(
        error(Code.outOfRange, v.span, `${ctx.what} ${v.text} is above 100%`, {
          help: "a percentage is of the host's cpus, 0% to 100%",
        }),
      );
      return undefined;
    }
    if (ctx.hostMillicpus === undefined) return undefined;
    // Round half up to the nearest millicpu: a percentage of an arbitrary
    // host cannot be required to land on a whole millicpu.
    const den = 100n * pow;
    base = (dec.mant * BigInt(ctx.hostMillicpus) * 2n + den) / (2n * den);
  } else {
    const unit = UNITS.get(v.unit);
    const amb = ambiguousHelp(num, v.unit, expected);
    // `m` is millicpu, but `512m` of memory is someone writing docker's megabytes.
    if (amb !== undefined && (!unit || (v.unit === "m" && expected !== "cpu"))) {
      ctx.report(
        error(Code.ambiguousUnit, v.span, `ambiguous unit "${v.unit}" in ${ctx.what}`, {
          label: `"${v.unit}" alone does not say which`,
          help: amb,
        }),
      );
      return undefined;
    }
    if (!unit) {
      const sameKind = [...UNITS].filter(([, u]) => u.kind === expected).map(([n]) => n);
      const guess = closest(v.unit, sameKind) ?? closest(v.unit, UNITS.keys());
      ctx.report(
        error(Code.unknownUnit, v.span, `unknown unit "${v.unit}" in ${ctx.what}`, {
          help: guess ? `did you mean "${guess}"?` : KIND_HELP[expected],
        }),
      );
      return undefined;
    }
    if (unit.kind !== expected) {
      ctx.report(wrongKind(v, expected, unit.kind, ctx));
      return undefined;
    }
    const scaled = dec.mant * unit.factor;
    if (scaled % pow !== 0n) {
      ctx.report(
        error(
          Code.notWhole,
          v.span,
          `${ctx.what} ${v.text} is not a whole number of ${BASE_NAMES[expected]}`,
          { help: "use a smaller unit or a rounder number" },
        ),
      );
      return undefined;
    }
    base = scaled / pow;
  }
  if (base > MAX) {
    ctx.report(error(Code.outOfRange, v.span, `${ctx.what} ${v.text} is too large`));
    return undefined;
  }
  return Number(base);
}

function wrongKind(v: Quantity, expected: Kind, got: Kind | "percent", ctx: ConvertCtx) {
  return error(
    Code.wrongKind,
    v.span,
    `${ctx.what} expects ${KIND_NAMES[expected]}, got ${KIND_NAMES[got]}`,
    { label: `${v.text} is ${KIND_NAMES[got]}`, help: KIND_HELP[expected] },
  );
}
