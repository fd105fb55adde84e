/**
 * Readers for single scalars (after $refs are replaced): amounts with units,
 * words from a fixed set, strings, addresses, ports. Each reports what is
 * wrong and returns undefined, so a bad value is simply absent later on.
 */
import type { Span } from "../diag/diagnostic.js";
import type { Scalar } from "../syntax/ast.js";
import { type Acceptor, error, warning } from "./acceptor.js";
import { type ParsedCidr, parseCidr } from "./addresses.js";
import { Code } from "./codes.js";
import type { Defines, Resolved } from "./defines.js";
import { didYouMean } from "../diag/suggest.js";
import type { KernelBound } from "./kernel-bounds.js";
import { type Kind, BASE_NAMES, KIND_HELP, KIND_NAMES, convert } from "./units.js";

export interface ReadCtx {
  report: Acceptor;
  defs: Defines;
  /** Host capacity for `%`; undefined if the host is missing or broken (already reported). */
  hostMillicpus: number | undefined;
  /** Host memory in bytes for memory `%` (undefined: no usable host). */
  hostMemory?: number | undefined;
  /** Known host disks and links (undefined: no host, so references are not checked). */
  hostDisks: ReadonlySet<string> | undefined;
  hostLinks: ReadonlySet<string> | undefined;
  /** The host links' rates, for `%` of a link (absent: no host, or not needed). */
  hostLinkRates?: ReadonlyMap<string, number>;
  /** The rate of the link whose block is being read, for `%` (language-v2.md §3). */
  linkRate?: number;
  /** The declaration being read. */
  owner: string;
  ownerKind: "template" | "class" | "context" | "host";
}

const SCALAR_NAMES: Record<Scalar["kind"], string> = {
  Ident: "a name",
  String: "a string",
  Number: "a number",
  Quantity: "a quantity",
  Max: "max",
  Address: "an address",
  Var: "a reference",
  DevNum: "a device number",
  Range: "a port range",
};

/** Reports that `r` is not what `what` expects; names the define when it came through one. */
export function mismatch(r: Resolved, expected: string, what: string, ctx: ReadCtx): undefined {
  const got = SCALAR_NAMES[r.s.kind];
  if (r.via) {
    ctx.report(
      error(
        Code.defineWrongType,
        r.at,
        `${what} expects ${expected}, but $${r.via.name.name} is ${got}`,
        { related: [{ span: r.via.value.span, label: "defined here" }] },
      ),
    );
  } else {
    ctx.report(error(Code.wrongType, r.at, `${what} expects ${expected}, got ${got}`));
  }
  return undefined;
}

/** Exactly one scalar, else a type error at `stmt`. */
export function one(
  items: Resolved[],
  what: string,
  stmt: Span,
  ctx: ReadCtx,
): Resolved | undefined {
  if (items.length === 1) return items[0];
  ctx.report(
    error(
      Code.wrongType,
      items.length === 0 ? stmt : items[1]!.at,
      items.length === 0 ? `${what} needs a value` : `${what} takes one value, got ${items.length}`,
    ),
  );
  return undefined;
}

export interface AmountOpts {
  allowMax?: boolean;
  min?: number;
  max?: number;
  /** The kernel's bound on the value this becomes (kernel-bounds.ts), checked after min/max. */
  kernel?: KernelBound;
  /** `%` of the host's memory is accepted (bytes only: memory reserve/low/high/limit). */
  percentOfHost?: boolean;
}

/** A number with a unit of `kind` (or `max` when allowed), range-checked in base units. */
export function amount(
  r: Resolved,
  kind: Kind,
  what: string,
  ctx: ReadCtx,
  opts: AmountOpts = {},
): number | "max" | undefined {
  const s = r.s;
  if (s.kind === "Max") {
    if (opts.allowMax) return "max";
    ctx.report(
      error(Code.wrongType, r.at, `${what} cannot be max`, {
        help: `write ${KIND_NAMES[kind]}; ${KIND_HELP[kind]}`,
      }),
    );
    return undefined;
  }
  if (s.kind !== "Number" && s.kind !== "Quantity") return mismatch(r, KIND_NAMES[kind], what, ctx);
  const v = convert(s, kind, {
    what,
    hostMillicpus: ctx.hostMillicpus,
    hostMemory: opts.percentOfHost ? (ctx.hostMemory ?? null) : undefined,
    report: ctx.report,
  });
  if (v === undefined) return undefined;
  if ((opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max)) {
    const range =
      opts.max === undefined ? `at least ${opts.min}` : `between ${opts.min ?? 0} and ${opts.max}`;
    const unit = kind === "cpu" ? " millicpus" : "";
    ctx.report(error(Code.outOfRange, r.at, `${what} must be ${range}${unit}, got ${s.text}`));
    return undefined;
  }
  if (opts.kernel && !(v === 0 && opts.kernel.zeroIsUnset) && !withinKernel(v, opts.kernel)) {
    const b = opts.kernel;
    const low = b.min !== undefined && v < b.min;
    const bound = low ? b.min! : b.max!;
    const unit = kind === "cpu" ? "m" : kind === "count" ? "" : ` ${BASE_NAMES[kind]}`;
    ctx.report(
      error(
        b.code,
        r.at,
        `${what} ${s.text} is ${low ? "below" : "above"} what the kernel accepts in ${b.file} (${low ? "at least" : "at most"} ${bound}${unit})`,
        {
          help: `use ${low ? "at least" : "at most"} ${bound}${unit}`,
          notes: [b.why],
        },
      ),
    );
    return undefined;
  }
  return v;
}

const withinKernel = (v: number, b: KernelBound): boolean =>
  (b.min === undefined || v >= b.min) && (b.max === undefined || v <= b.max);

/** A word from a fixed set (`deny`, `tcp`, `keep`). */
export function word<T extends string>(
  r: Resolved,
  choices: readonly T[],
  what: string,
  ctx: ReadCtx,
  code: string = Code.unknownWord,
): T | undefined {
  if (r.s.kind !== "Ident")
    return mismatch(r, choices.map((c) => `"${c}"`).join(" or "), what, ctx);
  const name = r.s.name;
  if ((choices as readonly string[]).includes(name)) return name as T;
  ctx.report(
    error(code, r.at, `unknown ${what} "${name}"`, {
      help: didYouMean(name, choices) ?? `expected one of: ${choices.join(", ")}`,
    }),
  );
  return undefined;
}

export function string(r: Resolved, what: string, ctx: ReadCtx): string | undefined {
  if (r.s.kind !== "String") return mismatch(r, "a string", what, ctx);
  return r.s.value;
}

/** An address with optional prefix, host bits cleared (with a warning when some were set). */
export function cidr(r: Resolved, what: string, ctx: ReadCtx): ParsedCidr | undefined {
  const s = r.s;
  if (s.kind !== "Address") return mismatch(r, "an address", what, ctx);
  const c = parseCidr(s.family, s.address, s.prefix);
  if (c === "bad-address") {
    ctx.report(
      error(Code.badAddress, r.at, `"${s.address}" is not a valid IPv${s.family} address`),
    );
    return undefined;
  }
  if (c === "bad-prefix") {
    ctx.report(
      error(
        Code.outOfRange,
        r.at,
        `prefix length /${s.prefix} is out of range for IPv${s.family} (0..${s.family === 4 ? 32 : 128})`,
      ),
    );
    return undefined;
  }
  if (c.hostBits) {
    const net = `${c.address}/${c.prefix}`;
    ctx.report(
      warning(Code.hostBits, r.at, `${s.text} has bits set below its /${c.prefix} prefix`, {
        label: `this means ${net}`,
        help: `write ${net} for the network, or ${s.address} alone for one address`,
      }),
    );
  }
  return c;
}

/** A port (1..65535) or inclusive range. */
export function port(r: Resolved, ctx: ReadCtx): { from: number; to: number } | undefined {
  const s = r.s;
  let from: number;
  let to: number;
  if (s.kind === "Number") from = to = s.value;
  else if (s.kind === "Range") [from, to] = [s.from, s.to];
  else return mismatch(r, "a port or port range", "port", ctx);
  const ok = (n: number) => Number.isInteger(n) && n >= 1 && n <= 65535;
  if (!ok(from) || !ok(to)) {
    ctx.report(error(Code.outOfRange, r.at, `port ${s.text} is out of range (1..65535)`));
    return undefined;
  }
  if (from > to) {
    ctx.report(
      error(Code.outOfRange, r.at, `port range ${s.text} is backwards`, {
        help: `write ${to}-${from}`,
      }),
    );
    return undefined;
  }
  return { from, to };
}
