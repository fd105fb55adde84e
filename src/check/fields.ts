/**
 * What each block accepts: its keys, how each value is read, and which
 * fields only make sense on a context. The grammar knows the same keys to
 * find statement ends; the meaning lives here.
 */
import type { Span } from "../diag/diagnostic.js";
import type { NetDefault } from "./spec.js";
import { error } from "./acceptor.js";
import { Code } from "./codes.js";
import type { Resolved } from "./defines.js";
import { type Cores, RLIMIT_NAMES, type RlimitName, type RlimitValue } from "./spec.js";
import { didYouMean } from "../diag/suggest.js";
import { BOUNDS } from "./kernel-bounds.js";
import { QDISCS } from "./spec.js";
import { linkAmount } from "./traffic.js";
import type { Kind } from "./units.js";
import {
  type AmountOpts,
  type ReadCtx,
  amount,
  cidr,
  mismatch,
  one,
  string,
  word,
} from "./values.js";

/** Reads a setting's resolved values; undefined when invalid (already reported). */
export type ReadValue = (items: Resolved[], stmt: Span, ctx: ReadCtx, what: string) => unknown;

export interface FieldDef {
  read: ReadValue;
  /** Repeatable (accumulates, templates' first): the reader returns `[value, span][]`. */
  repeat?: boolean;
  /** Only meaningful on a context (processes run there); an error on a class. */
  contextOnly?: boolean;
}

export interface BlockDef {
  fields: Record<string, FieldDef>;
  /** Named sub-blocks: `link eth0 { ... }`, `device vda { ... }`. */
  subs: Record<string, Record<string, FieldDef>>;
  /** `allow` statements (net only). */
  allow?: boolean;
  contextOnly?: boolean;
}

const amt =
  (kind: Kind, opts: AmountOpts = {}): ReadValue =>
  (items, stmt, ctx, what) => {
    const r = one(items, what, stmt, ctx);
    return r && amount(r, kind, what, ctx, opts);
  };

const SHARE = amt("count", { min: 1, max: 10000 });

/** A link rate, or `N%` of the link's rate (language-v2.md §3). */
const linkRate =
  (opts: { allowMax?: boolean; min?: number; kernel?: boolean }): ReadValue =>
  (items, stmt, ctx, what) => {
    const r = one(items, what, stmt, ctx);
    return r && linkAmount(r, what, ctx, opts);
  };

const cores: ReadValue = (items, stmt, ctx, what) => {
  const r = one(items, what, stmt, ctx);
  if (!r) return undefined;
  if (r.s.kind === "String") {
    const cpus = parseCpuList(r.s.value);
    if (cpus === undefined) {
      ctx.report(
        error(Code.badString, r.at, `cpu cores "${r.s.value}" is not a cpu list`, {
          help: 'write a count (cores 2) or name cpus like "1-2" or "1,3"',
        }),
      );
      return undefined;
    }
    return { cpus } satisfies Cores;
  }
  const n = amount(r, "count", what, ctx, { min: 1, max: 4096 });
  return typeof n === "number" ? ({ count: n } satisfies Cores) : undefined;
};

/** "1-2,4" -> [1, 2, 4] (sorted, unique); undefined if malformed. */
export function parseCpuList(text: string): number[] | undefined {
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const m = /^\s*(\d{1,4})(?:-(\d{1,4}))?\s*$/.exec(part);
    if (!m) return undefined;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) return undefined;
    for (let i = a; i <= b; i++) out.add(i);
  }
  return [...out].sort((x, y) => x - y);
}

export const CAPABILITIES = [
  "audit_control",
  "audit_read",
  "audit_write",
  "block_suspend",
  "bpf",
  "checkpoint_restore",
  "chown",
  "dac_override",
  "dac_read_search",
  "fowner",
  "fsetid",
  "ipc_lock",
  "ipc_owner",
  "kill",
  "lease",
  "linux_immutable",
  "mac_admin",
  "mac_override",
  "mknod",
  "net_admin",
  "net_bind_service",
  "net_broadcast",
  "net_raw",
  "perfmon",
  "setfcap",
  "setgid",
  "setpcap",
  "setuid",
  "sys_admin",
  "sys_boot",
  "sys_chroot",
  "sys_module",
  "sys_nice",
  "sys_pacct",
  "sys_ptrace",
  "sys_rawio",
  "sys_resource",
  "sys_time",
  "sys_tty_config",
  "syslog",
  "wake_alarm",
] as const;

export const NAMESPACES = ["cgroup", "ipc", "mount", "net", "pid", "time", "user", "uts"] as const;

const capabilities: ReadValue = (items, stmt, ctx, what) => {
  const [head, ...rest] = items;
  if (!head) return one(items, what, stmt, ctx);
  const mode = word(head, ["keep", "drop", "none"] as const, "capabilities mode", ctx);
  if (!mode) return undefined;
  if (mode === "none") {
    if (rest.length === 0) return { mode, names: [] };
    ctx.report(
      error(Code.capsNoneWithNames, rest[0]!.at, "capabilities none takes no capability names", {
        label: "none empties the bounding set; a name here conflicts with it",
        help: "write `capabilities none` alone, or `capabilities keep NAME, ...`",
      }),
    );
    return undefined;
  }
  if (rest.length === 0) {
    ctx.report(
      error(Code.wrongType, stmt, `capabilities ${mode} needs capability names`, {
        help:
          mode === "keep"
            ? "for an empty bounding set write `capabilities none`; otherwise e.g. capabilities keep chown, setuid"
            : `write e.g. capabilities ${mode} chown, setuid`,
      }),
    );
    return undefined;
  }
  const names = new Set<string>();
  let ok = true;
  for (const r of rest) {
    if (r.s.kind !== "Ident") {
      mismatch(r, "a capability name", "capabilities", ctx);
      ok = false;
      continue;
    }
    // `cap_chown` and `chown` are the same capability.
    const n = r.s.name.startsWith("cap_") ? r.s.name.slice(4) : r.s.name;
    if ((CAPABILITIES as readonly string[]).includes(n)) {
      names.add(n);
      continue;
    }
    ctx.report(
      error(Code.unknownCapability, r.at, `unknown capability "${r.s.name}"`, {
        help:
          n === "all"
            ? mode === "drop"
              ? "to drop every capability write `capabilities none`"
              : "to keep every capability leave `capabilities` out"
            : (didYouMean(n, CAPABILITIES) ?? "see capabilities(7) for the names (without cap_)"),
      }),
    );
    ok = false;
  }
  return ok ? { mode, names: [...names].sort() } : undefined;
};

/**
 * User and group names as useradd(8) and systemd accept them portably: a
 * letter or `_` first, then letters, digits, `_`, `-`, `.`, at most 32
 * characters, an optional trailing `$` (Samba machine accounts); or a
 * decimal id below 2^32-1 (4294967295 is the kernel's "no id").
 */
const ACCOUNT = /^[A-Za-z_][A-Za-z0-9_.-]{0,30}\$?$/;
const account: ReadValue = (items, stmt, ctx, what) => {
  const r = one(items, what, stmt, ctx);
  if (!r) return undefined;
  let s: string | undefined;
  if (r.s.kind === "Number") s = r.s.text;
  else if (r.s.kind === "String") s = r.s.value;
  else if (r.s.kind === "Ident") s = r.s.name;
  else return mismatch(r, "a name or a numeric id", what, ctx);
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n < 4294967295 && String(n) === s) return s;
  } else if (ACCOUNT.test(s)) return s;
  ctx.report(
    error(
      Code.badAccountName,
      r.at,
      `${what} "${s}" is not a valid ${what.replace(/^security /, "")} name or id`,
      {
        label: "no user or group name looks like this",
        help: "a name starts with a letter or _, then letters, digits, _ - . (at most 32); an id is a decimal number below 4294967295",
      },
    ),
  );
  return undefined;
};

/** An absolute path without `.`/`..` parts or control characters, normalised; undefined if not. */
export function absolutePath(s: string): string | undefined {
  const parts = s.split("/");
  if (!s.startsWith("/") || parts.includes("..") || parts.includes(".") || /[\0-\x1f\x7f]/.test(s))
    return undefined;
  return s.length > 1 ? s.replace(/\/{2,}/g, "/").replace(/(.)\/+$/, "$1") : s;
}

const writablePaths: ReadValue = (items, stmt, ctx, what) => {
  if (items.length === 0) return one(items, what, stmt, ctx);
  const out: string[] = [];
  let ok = true;
  for (const r of items) {
    const s = string(r, what, ctx);
    if (s === undefined) {
      ok = false;
      continue;
    }
    const p = absolutePath(s);
    if (p === undefined || p === "/") {
      ctx.report(
        error(Code.badWritablePath, r.at, `writable "${s}" must be an absolute path below /`, {
          help: 'write a path like "/var/lib/app", without "." or ".." parts',
        }),
      );
      ok = false;
      continue;
    }
    out.push(p);
  }
  return ok ? [...new Set(out)].sort() : undefined;
};

const onlyWord =
  <T extends string>(words: readonly T[]): ReadValue =>
  (items, stmt, ctx, what) => {
    const r = one(items, what, stmt, ctx);
    return r && word(r, words, what, ctx);
  };

/**
 * systemd's syscall sets (systemd.exec(5), SystemCallFilter=; `systemd-analyze
 * syscall-filter` lists them), by name only: the systemd driver passes them
 * to systemd, which knows their members for its own version.
 */
export const SYSCALL_SETS = [
  "@aio",
  "@basic-io",
  "@chown",
  "@clock",
  "@cpu-emulation",
  "@debug",
  "@default",
  "@file-system",
  "@io-event",
  "@ipc",
  "@keyring",
  "@known",
  "@memlock",
  "@module",
  "@mount",
  "@network-io",
  "@obsolete",
  "@pkey",
  "@privileged",
  "@process",
  "@raw-io",
  "@reboot",
  "@resources",
  "@sandbox",
  "@setuid",
  "@signal",
  "@swap",
  "@sync",
  "@system-service",
  "@timer",
] as const;

const syscalls: ReadValue = (items, stmt, ctx, what) => {
  const [head, ...rest] = items;
  if (!head) return one(items, what, stmt, ctx);
  const mode = word(head, ["deny"] as const, "syscalls mode", ctx);
  if (!mode) return undefined;
  if (rest.length === 0) {
    ctx.report(
      error(Code.wrongType, stmt, "syscalls deny needs set names", {
        help: 'write e.g. syscalls deny "@mount", "@reboot"',
      }),
    );
    return undefined;
  }
  const sets = new Set<string>();
  let ok = true;
  for (const r of rest) {
    const s = string(r, "a syscall set", ctx);
    if (s === undefined) {
      ok = false;
      continue;
    }
    if ((SYSCALL_SETS as readonly string[]).includes(s)) {
      sets.add(s);
      continue;
    }
    const guess = didYouMean(s.startsWith("@") ? s : "@" + s, SYSCALL_SETS);
    ctx.report(
      error(Code.unknownSyscallSet, r.at, `unknown syscall set "${s}"`, {
        help: guess ?? "see `systemd-analyze syscall-filter` for systemd's set names",
      }),
    );
    ok = false;
  }
  return ok ? { mode, sets: [...sets].sort() } : undefined;
};

/** `cpus "1,3-4"`: a shared cpuset, normalised ("1,3-4"). */
const cpuSet: ReadValue = (items, stmt, ctx, what) => {
  const r = one(items, what, stmt, ctx);
  const s = r && string(r, what, ctx);
  if (s === undefined) return undefined;
  const cpus = parseCpuList(s);
  if (cpus === undefined || cpus.length === 0) {
    ctx.report(
      error(Code.badString, r!.at, `cpu cpus "${s}" is not a cpu list`, {
        help: 'name cpus like "1", "2-3" or "2-3,6"',
      }),
    );
    return undefined;
  }
  return cpus;
};

const namespaces: ReadValue = (items, stmt, ctx, what) => {
  if (items.length === 0) return one(items, what, stmt, ctx);
  const out = new Set<string>();
  let ok = true;
  for (let i = 0; i < items.length; i++) {
    const r = items[i]!;
    const n = word(r, NAMESPACES, "namespace", ctx, Code.unknownNamespace);
    if (n) out.add(n);
    else ok = false;
  }
  return ok ? [...out].sort() : undefined;
};

const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

const hostname: ReadValue = (items, stmt, ctx, what) => {
  const r = one(items, what, stmt, ctx);
  const s = r && string(r, what, ctx);
  if (s === undefined) return undefined;
  if (!HOSTNAME.test(s)) {
    ctx.report(
      error(Code.badString, r!.at, `"${s}" is not a valid hostname`, {
        help: "use letters, digits, '-' and '.', labels of at most 63 characters",
      }),
    );
    return undefined;
  }
  return s;
};

const rootPath: ReadValue = (items, stmt, ctx, what) => {
  const r = one(items, what, stmt, ctx);
  const s = r && string(r, what, ctx);
  if (s === undefined) return undefined;
  const parts = s.split("/");
  if (!s.startsWith("/") || parts.includes("..") || parts.includes(".") || /[\0-\x1f]/.test(s)) {
    ctx.report(
      error(Code.badString, r!.at, `security root "${s}" must be an absolute path`, {
        help: 'write a path like "/srv/contexts/web", without "." or ".." parts',
      }),
    );
    return undefined;
  }
  return s.length > 1 ? s.replace(/\/+$/, "").replace(/\/{2,}/g, "/") : s;
};

/** Repeatable addresses: `address 10.0.0.11, fd00::11`. */
const addresses: ReadValue = (items, stmt, ctx, what) => {
  if (items.length === 0) return one(items, what, stmt, ctx);
  const out: Array<[unknown, Span]> = [];
  for (let i = 0; i < items.length; i++) {
    const r = items[i]!;
    const c = cidr(r, what, ctx);
    if (c) out.push([c, r.at]);
  }
  return out;
};

const RLIMIT_KINDS: Record<RlimitName, [Kind, AmountOpts?]> = {
  as: ["bytes"],
  core: ["bytes"],
  cpu: ["time"],
  data: ["bytes"],
  fsize: ["bytes"],
  locks: ["count"],
  memlock: ["bytes"],
  msgqueue: ["bytes"],
  nice: ["count", { max: 40 }],
  nofile: ["count", { min: 1 }],
  nproc: ["count"],
  rss: ["bytes"],
  rtprio: ["count", { max: 99 }],
  rttime: ["time"],
  sigpending: ["count"],
  stack: ["bytes"],
};

/** `nofile 4096` (soft = hard) or `nofile 1024 4096` (soft, hard); `max`/`unlimited` for none. */
const rlimit =
  (name: RlimitName): ReadValue =>
  (items, stmt, ctx, what) => {
    const [kind, opts] = RLIMIT_KINDS[name]!;
    if (items.length < 1 || items.length > 2) {
      ctx.report(error(Code.wrongType, stmt, `${what} takes a limit, or a soft and a hard limit`));
      return undefined;
    }
    const vals: Array<number | "unlimited"> = [];
    for (let i = 0; i < items.length; i++) {
      const r = items[i]!;
      if (r.s.kind === "Ident" && r.s.name === "unlimited") {
        vals.push("unlimited");
        continue;
      }
      const v = amount(r, kind, what, ctx, { ...opts, allowMax: true });
      if (v === undefined) return undefined;
      if (v === "max") vals.push("unlimited");
      else if (name === "cpu") {
        // RLIMIT_CPU counts whole seconds.
        if (v % 1_000_000 !== 0) {
          ctx.report(error(Code.notWhole, r.at, `rlimit cpu must be whole seconds`));
          return undefined;
        }
        vals.push(v / 1_000_000);
      } else vals.push(v);
    }
    return {
      soft: vals[0]!,
      hard: vals[vals.length - 1]!,
    } satisfies RlimitValue;
  };

/** `default deny|reject|allow`, optionally followed by `log` (the parser allows nothing else there). */
const defaultWord: ReadValue = (items, stmt, ctx, what) => {
  const last = items[items.length - 1];
  const log = items.length === 2 && last?.s.kind === "Ident" && last.s.name === "log";
  const r = one(log ? items.slice(0, 1) : items, what, stmt, ctx);
  const action = r && word(r, ["deny", "reject", "allow"] as const, "net default", ctx);
  return action && ({ action, log } satisfies NetDefault);
};

export const BLOCKS: Record<string, BlockDef> = {
  cpu: {
    fields: {
      share: { read: SHARE },
      reserve: { read: amt("cpu") },
      // cpu.max needs a quota of at least 1ms per 100ms period: 10 millicpus.
      limit: { read: amt("cpu", { min: 10, kernel: BOUNDS.cpuLimit }) },
      burst: { read: amt("time") },
      cores: { read: cores, contextOnly: true },
      cpus: { read: cpuSet, contextOnly: true },
    },
    subs: {},
  },
  memory: {
    fields: {
      reserve: { read: amt("bytes", { percentOfHost: true }) },
      low: { read: amt("bytes", { percentOfHost: true }) },
      high: { read: amt("bytes", { allowMax: true, percentOfHost: true }) },
      limit: { read: amt("bytes", { allowMax: true, percentOfHost: true }) },
      swap: { read: amt("bytes", { allowMax: true }) },
      oom: { read: onlyWord(["group"] as const) },
    },
    subs: {},
  },
  pids: {
    fields: { limit: { read: amt("count", { allowMax: true, kernel: BOUNDS.pids }) } },
    subs: {},
  },
  io: {
    fields: { share: { read: SHARE } },
    subs: {
      device: {
        read: { read: amt("byterate", { allowMax: true, min: 1, kernel: BOUNDS.ioBytes }) },
        write: { read: amt("byterate", { allowMax: true, min: 1, kernel: BOUNDS.ioBytes }) },
        riops: { read: amt("count", { allowMax: true, min: 1, kernel: BOUNDS.ioIops }) },
        wiops: { read: amt("count", { allowMax: true, min: 1, kernel: BOUNDS.ioIops }) },
      },
    },
  },
  net: {
    fields: {
      address: { read: addresses, repeat: true, contextOnly: true },
      default: { read: defaultWord },
    },
    subs: {
      link: {
        share: { read: SHARE },
        reserve: { read: linkRate({ kernel: true }) },
        limit: { read: linkRate({ allowMax: true, min: 1 }) },
        qdisc: {
          read: (items, stmt, ctx, what) => {
            const r = one(items, what, stmt, ctx);
            return r && word(r, QDISCS, "qdisc", ctx, Code.unknownQdisc);
          },
        },
      },
    },
    allow: true,
  },
  rlimit: {
    fields: Object.fromEntries(RLIMIT_NAMES.map((n) => [n, { read: rlimit(n) }])),
    subs: {},
    contextOnly: true,
  },
  security: {
    fields: {
      capabilities: { read: capabilities },
      namespaces: { read: namespaces },
      hostname: { read: hostname },
      root: { read: rootPath },
      user: { read: account },
      group: { read: account },
      filesystem: { read: onlyWord(["read-only"] as const) },
      writable: { read: writablePaths },
      tmp: { read: onlyWord(["private"] as const) },
      devices: { read: onlyWord(["private"] as const) },
      syscalls: { read: syscalls },
    },
    subs: {},
    contextOnly: true,
  },
};

/** Keys a class, context or template body takes besides its blocks. */
export const TOP_FIELDS = ["id", "use", "units"] as const;

/** Host keys, for unknown-field suggestions. */
export const HOST_FIELDS = [
  "cpus",
  "memory",
  "disk",
  "link",
  "keep",
  "overbook",
  "cgroup-root",
  "driver",
];
