/**
 * Reads the `host` declaration: capacity (cpus, memory), disks and links
 * that nodes may refer to, what is kept back for the host, overbooking
 * factors and the cgroup subtree vsc owns.
 */
import type { Span } from "../diag/diagnostic.js";
import type { Decl, Setting } from "../syntax/ast.js";
import { type Acceptor, error } from "./acceptor.js";
import { Code } from "./codes.js";
import { type Defines, type Resolved, flatten } from "./defines.js";
import { HOST_FIELDS } from "./fields.js";
import { BOUNDS } from "./kernel-bounds.js";
import { formatBytes, formatCpu } from "./format-units.js";
import { Field } from "./spec.js";
import { type HostLinkBody, readHostLinkBody } from "./traffic.js";
import { reportUnknownField } from "./unknown-fields.js";
import { parseDecimal } from "./units.js";
import { type ReadCtx, amount, mismatch, string, word } from "./values.js";

export interface HostDisk {
  major: number;
  minor: number;
  span: Span;
}

export interface HostLink extends HostLinkBody {
  rate: number;
  span: Span;
}

export interface HostSpec {
  decl: Decl;
  name: string;
  millicpus?: Field<number>;
  memory?: Field<number>;
  disks: Map<string, HostDisk>;
  links: Map<string, HostLink>;
  keepCpu?: Field<number>;
  keepMemory?: Field<number>;
  /** Factors x1000. */
  overbookCpu?: Field<number>;
  overbookMemory?: Field<number>;
  cgroupRoot: string;
  /** `driver cgroupfs|systemd`; absent: cgroupfs (language-v2.md §6). */
  driver?: Field<"cgroupfs" | "systemd">;
}

import { NAME_PATH_RE as CGROUP_ROOT } from "../model/names.js";
/** Interface names are at most 15 bytes (IFNAMSIZ - 1). */
const IFNAME_MAX = 15;

export function readHost(decl: Decl, defs: Defines, report: Acceptor): HostSpec {
  const host: HostSpec = {
    decl,
    name: decl.name.name,
    disks: new Map(),
    links: new Map(),
    cgroupRoot: "vsc",
  };
  const ctx: ReadCtx = {
    report,
    defs,
    hostMillicpus: undefined,
    hostDisks: undefined,
    hostLinks: undefined,
    owner: decl.name.name,
    ownerKind: "host",
  };
  const seen = new Map<string, Span>();
  const once = (st: Setting, key: string): boolean => {
    const first = seen.get(key);
    if (first) {
      report(
        error(Code.duplicateField, st.key.span, `host ${key} is set twice`, {
          related: [{ span: first, label: "first set here" }],
          help: "remove one of them",
        }),
      );
      return false;
    }
    seen.set(key, st.span);
    return true;
  };
  const settings: Setting[] = [];
  for (const st of decl.body) {
    if (st.kind === "Setting" && HOST_FIELDS.includes(st.key.name)) settings.push(st);
    else if (st.kind === "Unknown" || st.kind === "Setting") {
      reportUnknownField(st.key, `host ${host.name}`, HOST_FIELDS, report);
    } else {
      report(
        error(
          Code.unknownBlock,
          st.kind === "Allow" || st.kind === "Match" ? st.span : st.key.span,
          `host ${host.name} takes no blocks`,
          {
            help: `host takes: ${HOST_FIELDS.join(", ")}`,
          },
        ),
      );
    }
  }
  // cpus first: `keep cpu 10%` is a percentage of it, wherever it is written.
  for (const st of settings.filter((s) => s.key.name === "cpus")) {
    const items = flatten1(st, defs, report);
    const n = items && amount(items[0]!, "count", "host cpus", ctx, { min: 1, max: 4096 });
    if (typeof n === "number" && once(st, "cpus")) {
      host.millicpus = new Field(n * 1000, items![0]!.at, st.span, host.name);
      ctx.hostMillicpus = n * 1000;
    }
  }
  for (const st of settings) {
    const key = st.key.name;
    const items = st.values.flatMap((v) => flatten(v, defs, report));
    const arity = (n: number, shape: string): boolean => {
      if (items.length === n) return true;
      report(error(Code.wrongType, st.span, `host ${key} expects ${shape}`));
      return false;
    };
    switch (key) {
      case "memory": {
        if (!arity(1, "a size, like 8GiB")) break;
        const v = amount(items[0]!, "bytes", "host memory", ctx, { min: 1 });
        if (typeof v === "number" && once(st, key))
          host.memory = new Field(v, items[0]!.at, st.span, host.name);
        break;
      }
      case "disk": {
        if (!arity(2, "a name and MAJOR:MINOR, like disk vda 254:0")) break;
        const [n, d] = items as [Resolved, Resolved];
        if (n.s.kind !== "Ident") {
          mismatch(n, "a disk name", "host disk", ctx);
          break;
        }
        if (d.s.kind !== "DevNum") {
          mismatch(d, "a device number MAJOR:MINOR", "host disk", ctx);
          break;
        }
        if (once(st, `disk ${n.s.name}`))
          host.disks.set(n.s.name, {
            major: d.s.major,
            minor: d.s.minor,
            span: st.span,
          });
        break;
      }
      case "link": {
        if (!arity(3, "a name and a rate, like link eth0 rate 1gbit")) break;
        const [n, kw, r] = items as [Resolved, Resolved, Resolved];
        if (n.s.kind !== "Ident") {
          mismatch(n, "a link name", "host link", ctx);
          break;
        }
        if (!word(kw, ["rate"] as const, "host link keyword", ctx)) break;
        if (n.s.name.length > IFNAME_MAX) {
          report(
            error(
              Code.badString,
              n.at,
              `link name "${n.s.name}" is longer than ${IFNAME_MAX} characters`,
              {
                help: "Linux interface names have at most 15 characters",
              },
            ),
          );
          break;
        }
        const rate = amount(r, "bitrate", "host link rate", ctx, {
          min: 1,
          kernel: BOUNDS.linkRate,
        });
        if (typeof rate === "number" && once(st, `link ${n.s.name}`))
          host.links.set(n.s.name, {
            rate,
            span: st.bodySpan ? { ...st.span, ...headEnd(r.at) } : st.span,
            ...(st.body ? readHostLinkBody(st.body, rate, ctx) : {}),
          });
        break;
      }
      case "keep":
      case "overbook": {
        if (
          !arity(
            2,
            `cpu or memory and a value, like ${key} memory ${key === "keep" ? "512MiB" : "2.0"}`,
          )
        )
          break;
        const [res, val] = items as [Resolved, Resolved];
        const which = word(res, ["cpu", "memory"] as const, `${key} resource`, ctx);
        if (!which) break;
        if (key === "keep") {
          const v = amount(val, which === "cpu" ? "cpu" : "bytes", `keep ${which}`, ctx);
          if (typeof v !== "number" || !once(st, `keep ${which}`)) break;
          const f = new Field(v, val.at, st.span, host.name);
          if (which === "cpu") host.keepCpu = f;
          else host.keepMemory = f;
        } else {
          const v = factor(val, ctx);
          if (v === undefined || !once(st, `overbook ${which}`)) break;
          const f = new Field(v, val.at, st.span, host.name);
          if (which === "cpu") host.overbookCpu = f;
          else host.overbookMemory = f;
        }
        break;
      }
      case "cgroup-root": {
        if (!arity(1, 'a path, like cgroup-root "vsc"')) break;
        const s = string(items[0]!, "cgroup-root", ctx);
        if (s === undefined) break;
        if (!CGROUP_ROOT.test(s)) {
          report(
            error(
              Code.badString,
              items[0]!.at,
              `cgroup-root "${s}" is not a relative path of names`,
              {
                help: 'write names joined by "/", like "vsc" or "machines/vsc" (no leading "/")',
              },
            ),
          );
          break;
        }
        if (once(st, key)) host.cgroupRoot = s;
        break;
      }
      case "driver": {
        if (!arity(1, "cgroupfs or systemd, like driver systemd")) break;
        const d = word(items[0]!, ["cgroupfs", "systemd"] as const, "host driver", ctx);
        if (d && once(st, key)) host.driver = new Field(d, items[0]!.at, st.span, host.name);
        break;
      }
    }
  }
  if (!host.millicpus) missing(decl, "cpus", "cpus 2", report);
  if (!host.memory) missing(decl, "memory", "memory 8GiB", report);
  keepFits(host, report);
  return host;
}

/** The end of a span, to cut a statement's span before its body. */
function headEnd(s: Span): Pick<Span, "end" | "endLine" | "endCol"> {
  return { end: s.end, endLine: s.endLine, endCol: s.endCol };
}

function flatten1(st: Setting, defs: Defines, report: Acceptor): Resolved[] | undefined {
  const items = st.values.flatMap((v) => flatten(v, defs, report));
  if (items.length === 1) return items;
  report(error(Code.wrongType, st.span, "host cpus expects a whole number of cpus, like cpus 2"));
  return undefined;
}

function missing(decl: Decl, key: string, example: string, report: Acceptor) {
  report(
    error(Code.missingHostField, decl.name.span, `host ${decl.name.name} does not say its ${key}`, {
      help: `add \`${example}\`: admission needs the host's capacity`,
    }),
  );
}

/** `overbook memory 2.0` -> 2000; at least 1.0, in thousandths. */
function factor(r: Resolved, ctx: ReadCtx): number | undefined {
  if (r.s.kind !== "Number") return mismatch(r, "a factor, like 2.0", "overbook", ctx);
  const d = parseDecimal(r.s.text);
  const milli =
    d && (d.mant * 1000n) % 10n ** BigInt(d.scale) === 0n
      ? Number((d.mant * 1000n) / 10n ** BigInt(d.scale))
      : undefined;
  if (milli === undefined) {
    ctx.report(error(Code.notWhole, r.at, `overbook factor ${r.s.text} has more than 3 decimals`));
    return undefined;
  }
  if (milli < 1000) {
    ctx.report(
      error(Code.outOfRange, r.at, `overbook factor ${r.s.text} is below 1.0`, {
        help: "the factor is how far the sum of limits may exceed capacity; 1.0 forbids any overbooking",
      }),
    );
    return undefined;
  }
  return milli;
}

/** What is kept back must leave something for the contexts. */
function keepFits(host: HostSpec, report: Acceptor): void {
  const check = (
    keep: Field<number> | undefined,
    cap: Field<number> | undefined,
    fmt: (n: number) => string,
    what: string,
  ) => {
    if (!keep || !cap || keep.value < cap.value) return;
    report(
      error(
        Code.keepTooLarge,
        keep.stmt,
        `keep ${what} ${fmt(keep.value)} leaves nothing of the host's ${fmt(cap.value)}`,
        {
          related: [{ span: cap.stmt, label: "host capacity" }],
          help: `keep less than the host's ${what}`,
        },
      ),
    );
  };
  check(host.keepCpu, host.millicpus, formatCpu, "cpu");
  check(host.keepMemory, host.memory, formatBytes, "memory");
}
