/**
 * The pure half of `vsc exec`: a checked IR node -> the argv of the exec
 * chain. No I/O here; everything the host decides (tool paths, where the
 * command lives, the kernel's last capability) arrives in PlanInput.
 *
 * The chain (each link execs the next; only the PID-namespace case forks):
 *
 *   sh JOIN_SCRIPT          wait until vsc has put this pid in the context's cgroup
 *   prlimit --RES=S:H --    the context's rlimits, soft and hard
 *   unshare FLAGS --        new namespaces (pid: fork, own /proc, perl init as PID 1)
 *   sh HOSTNAME_SCRIPT NAME hostname inside the new UTS namespace
 *   perl INIT_SCRIPT ROOT   (pid namespace only) PID 1: forwards signals, reaps
 *   setpriv ... -- CMD      no root: bounding set, inheritable/ambient cleared, no_new_privs
 *   capsh ... -- ARGS       with root: the same plus chroot, in one process
 *
 * Privileges shrink only at the last link, so every earlier link still has
 * the capabilities it needs (unshare: sys_admin; chroot: sys_chroot).
 */
import type { Diagnostic } from "../diag/diagnostic.js";
import type { Host, Node, VscIr } from "../ir/types.gen.js";
import { CAPABILITIES, ROOT_BREAKING_CAPABILITIES, isCapability } from "./caps.js";
import { execError, execWarning, spanOf } from "./diag.js";
import { HOSTNAME_SCRIPT, INIT_SCRIPT, JOIN_SCRIPT, MOUNT_SCRIPT } from "./scripts.js";
import { closest } from "../diag/suggest.js";

export type Namespace = Node["security"]["namespaces"][number];
export type ToolName =
  "sh" | "prlimit" | "unshare" | "setpriv" | "capsh" | "perl" | "mount" | "mknod";
export type ToolPaths = Partial<Record<ToolName, string>>;

/** Where each tool comes from, for the "missing tool" message. */
export const TOOL_PACKAGES: Record<ToolName, string> = {
  sh: "dash",
  prlimit: "util-linux",
  unshare: "util-linux",
  setpriv: "util-linux",
  capsh: "libcap2-bin",
  perl: "perl-base",
  mount: "mount",
  mknod: "coreutils",
};

/** The context asks for mounts of its own (#16): read-only tree, private /tmp or /dev. */
export const needsMounts = (node: Node): boolean =>
  node.security.filesystem !== undefined ||
  node.security.tmp !== undefined ||
  node.security.devices !== undefined;

/** The identity the command runs as, resolved on the host (preflight). */
export interface Identity {
  uid: number;
  gid: number;
  /** Supplementary groups (the user's, from the host's group database; empty: none). */
  groups: number[];
}

/** Finds the context `name`; unknown names and classes are diagnostics. */
export function selectContext(ir: VscIr, name: string): { node?: Node; diagnostics: Diagnostic[] } {
  const node = ir.nodes.find((n) => n.name === name);
  if (!node) {
    // Ties by name: candidates sorted.
    const guess = closest(
      name,
      ir.nodes
        .filter((n) => n.kind === "context")
        .map((n) => n.name)
        .sort(),
    );
    return {
      diagnostics: [
        execError("VSC5801", `unknown context "${name}"`, {
          help: guess
            ? `did you mean "${guess}"?`
            : "`vsc exec` takes the name of a context defined in the file given by --file",
        }),
      ],
    };
  }
  if (node.kind !== "context") {
    const children = ir.nodes.filter((n) => n.parent === node.name && n.kind === "context");
    return {
      diagnostics: [
        execError("VSC5802", `"${name}" is a class, not a context`, {
          span: spanOf(node.loc),
          label: "declared as a class here",
          help:
            children.length > 0
              ? `run the command in one of its contexts: ${children.map((c) => c.name).join(", ")}`
              : "processes run in contexts; declare a context in this class",
        }),
      ],
    };
  }
  return { node, diagnostics: [] };
}

/** The namespaces exec creates: the declared ones, plus uts for a hostname and mount for pid's /proc. */
export function effectiveNamespaces(node: Node): Namespace[] {
  const ns = new Set<Namespace>(node.security.namespaces);
  if (node.security.hostname !== undefined) ns.add("uts");
  if (ns.has("pid") || needsMounts(node)) ns.add("mount");
  return NAMESPACE_ORDER.filter((n) => ns.has(n));
}

const NAMESPACE_ORDER: Namespace[] = [
  "user",
  "mount",
  "uts",
  "ipc",
  "net",
  "pid",
  "cgroup",
  "time",
];

/** The /proc/self/ns entry that shows the kernel supports a namespace type. */
export const NAMESPACE_PROC_NAME: Record<Namespace, string> = {
  cgroup: "cgroup",
  ipc: "ipc",
  mount: "mnt",
  net: "net",
  pid: "pid",
  time: "time",
  user: "user",
  uts: "uts",
};

export function requiredTools(node: Node): ToolName[] {
  const tools: ToolName[] = ["sh"];
  if (node.rlimits.length > 0) tools.push("prlimit");
  const ns = effectiveNamespaces(node);
  if (ns.length > 0) tools.push("unshare");
  if (ns.includes("pid") || needsMounts(node)) tools.push("perl");
  if (needsMounts(node)) tools.push("mount");
  if (node.security.devices !== undefined) tools.push("mknod");
  tools.push(node.security.root !== undefined ? "capsh" : "setpriv");
  return tools;
}

const HOSTNAME_RE =
  /^(?=.{1,64}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

const limitValue = (v: number | string): number | undefined =>
  v === "unlimited"
    ? Infinity
    : typeof v === "number" && Number.isSafeInteger(v) && v >= 0
      ? v
      : undefined;

/** The capabilities left in the bounding set (before root's sys_chroot drop), by name. */
function keptCapabilities(node: Node): string[] {
  const caps = node.security.capabilities;
  if (!caps) return [...CAPABILITIES];
  if (caps.mode === "none") return [];
  if (caps.mode === "keep") return CAPABILITIES.filter((c) => caps.names.includes(c));
  return CAPABILITIES.filter((c) => !caps.names.includes(c));
}

/**
 * Checks what the checker may not have (defensive: exec also runs on a
 * plan.json written by hand): rlimit values, capability names, hostname,
 * root; and warns when `root` is not a barrier because of kept capabilities.
 */
export function validateNode(node: Node): Diagnostic[] {
  const ds: Diagnostic[] = [];
  const sec = node.security;
  const secSpan = spanOf(sec.loc ?? node.loc);
  for (const r of node.rlimits) {
    const soft = limitValue(r.soft);
    const hard = limitValue(r.hard);
    const span = spanOf(r.loc ?? node.loc);
    if (soft === undefined || hard === undefined) {
      const bad = soft === undefined ? r.soft : r.hard;
      ds.push(
        execError("VSC5810", `rlimit ${r.name}: ${JSON.stringify(bad)} is not a limit`, {
          span,
          help: "use a non-negative integer or `unlimited`",
        }),
      );
    } else if (soft > hard) {
      ds.push(
        execError(
          "VSC5810",
          `rlimit ${r.name}: the soft limit ${r.soft} is above the hard limit ${r.hard}`,
          {
            span,
            help: "lower the soft limit or raise the hard one; the kernel refuses soft > hard",
          },
        ),
      );
    }
  }
  for (const name of sec.capabilities?.names ?? []) {
    if (isCapability(name)) continue;
    const guess = closest(name.replace(/^cap_/i, ""), [...CAPABILITIES].sort());
    ds.push(
      execError("VSC5811", `unknown capability "${name}"`, {
        span: secSpan,
        help: guess
          ? `did you mean "${guess}"?`
          : "see capabilities(7); write names without `cap_`",
      }),
    );
  }
  if (sec.hostname !== undefined && !HOSTNAME_RE.test(sec.hostname)) {
    ds.push(
      execError("VSC5812", `${JSON.stringify(sec.hostname)} is not a valid hostname`, {
        span: secSpan,
        help: "use letters, digits, hyphens and dots; at most 64 characters",
      }),
    );
  }
  for (const [what, v] of [
    ["user", sec.user],
    ["group", sec.group],
  ] as const) {
    if (v !== undefined && !/^(\d{1,10}|[A-Za-z_][A-Za-z0-9_.-]{0,30}\$?)$/.test(v)) {
      ds.push(
        execError(
          what === "user" ? "VSC5820" : "VSC5821",
          `${JSON.stringify(v)} is not a ${what} name or id`,
          {
            span: secSpan,
            help: "a name starts with a letter or _, then letters, digits, _ - . ; or a decimal id",
          },
        ),
      );
    }
  }
  for (const w of sec.filesystem?.writable ?? []) {
    if (!w.startsWith("/") || w.split("/").some((p) => p === "." || p === "..") || /[\0\n]/.test(w))
      ds.push(
        execError("VSC5822", `writable path ${JSON.stringify(w)} is not an absolute path`, {
          span: secSpan,
          help: 'write absolute paths like "/var/lib/app"',
        }),
      );
  }
  if (sec.root !== undefined) {
    if (!sec.root.startsWith("/") || sec.root.includes("\0")) {
      ds.push(
        execError(
          "VSC5808",
          `the context's root ${JSON.stringify(sec.root)} is not an absolute path`,
          {
            span: secSpan,
            help: 'write the root as an absolute path: root "/srv/contexts/web"',
          },
        ),
      );
    }
    if (sec.capabilities?.mode === "keep" && sec.capabilities.names.includes("sys_chroot")) {
      ds.push(
        execError("VSC5813", "a context with a root cannot keep sys_chroot", {
          span: secSpan,
          label: "keeps sys_chroot",
          help: "remove sys_chroot from the keep list: with it, a root process escapes any chroot",
        }),
      );
    }
    const kept = keptCapabilities(node);
    const breaking = ROOT_BREAKING_CAPABILITIES.filter((c) => kept.includes(c));
    if (breaking.length > 0) {
      ds.push(
        execWarning(
          "VSC5814",
          `the context's root is not a barrier: it keeps ${breaking.join(", ")}`,
          {
            span: secSpan,
            help: `drop them to confine the context to ${sec.root}: capabilities keep <only what it needs>`,
            notes: [
              "a root process with these capabilities can reach the host's files (see `vsc explain VSC5814`)",
            ],
          },
        ),
      );
    }
  }
  return ds;
}

export interface PlanInput {
  node: Node;
  host: Pick<Host, "cgroupRoot">;
  /** The cgroup2 mount, absolute (default /sys/fs/cgroup). */
  cgroupMount: string;
  /** The command and its arguments, as the user gave them. */
  command: string[];
  /** With a root: the command's absolute path inside the root (capsh needs a path, not a name). */
  commandPath?: string;
  /** The root directory as the host resolved it (symlinks followed); defaults to security.root. */
  root?: string;
  /** Absolute paths of the tools requiredTools() named. */
  tools: ToolPaths;
  /** /proc/sys/kernel/cap_last_cap: capabilities above the table are dropped by number. */
  capLastCap: number;
  /** security.user/group resolved on the host; absent: the caller's identity. */
  identity?: Identity;
}

export interface ExecPlan {
  context: string;
  /** `<mount>/<cgroup-root>/<path>`: the context's cgroup directory. */
  cgroupDir: string;
  /** The chain; argv[0] is an absolute path. Config values are whole elements, never script text. */
  argv: string[];
  /** The chain forks a PID namespace init: signals go to it, not to the first process. */
  pidNamespace: boolean;
}

const tool = (tools: ToolPaths, t: ToolName): string => {
  const p = tools[t];
  if (!p) throw new InternalError(`vsc exec: tool ${t} was not resolved`);
  return p;
};

import { NAME_RE } from "../model/names.js";
import { InternalError } from "../diag/internal-error.js";

/** The exec chain for a node that validateNode() accepted and the host's preflight passed. */
export function buildPlan(input: PlanInput): ExecPlan {
  const { node, tools } = input;
  const sec = node.security;
  const segments = [...input.host.cgroupRoot.split("/"), ...node.path.split("/")];
  if (!segments.every((s) => NAME_RE.test(s))) {
    throw new InternalError(
      `vsc exec: cgroup path ${JSON.stringify(node.path)} escaped the checker`,
    );
  }
  const cgroupDir = [input.cgroupMount.replace(/\/+$/, ""), ...segments].join("/");
  const argv = [tool(tools, "sh"), "-c", JOIN_SCRIPT, "vsc-exec"];

  if (node.rlimits.length > 0) {
    argv.push(tool(tools, "prlimit"));
    for (const r of node.rlimits) argv.push(`--${r.name}=${r.soft}:${r.hard}`);
    argv.push("--");
  }

  const root = sec.root === undefined ? undefined : (input.root ?? sec.root);
  const ns = effectiveNamespaces(node);
  const pid = ns.includes("pid");
  if (ns.length > 0) {
    argv.push(tool(tools, "unshare"));
    for (const n of ns) {
      if (n === "user") argv.push("--user", "--map-root-user");
      else if (n === "mount") argv.push("--mount", "--propagation", "private");
      else if (n === "pid")
        argv.push(
          "--pid",
          "--fork",
          "--kill-child",
          root ? `--mount-proc=${root}/proc` : "--mount-proc",
        );
      else argv.push(`--${n}`);
    }
    argv.push("--");
  }

  if (sec.hostname !== undefined) {
    argv.push(tool(tools, "sh"), "-c", HOSTNAME_SCRIPT, "vsc-hostname", sec.hostname);
  }
  if (needsMounts(node)) {
    argv.push(
      tool(tools, "perl"),
      "-e",
      MOUNT_SCRIPT,
      "--",
      tool(tools, "mount"),
      sec.devices !== undefined ? tool(tools, "mknod") : "-",
      root ?? "/",
      sec.filesystem ? "ro" : "-",
      sec.tmp !== undefined ? "tmp" : "-",
      sec.devices !== undefined ? "dev" : "-",
      ...(sec.filesystem?.writable ?? []),
      "--",
    );
  }
  if (pid) argv.push(tool(tools, "perl"), "-e", INIT_SCRIPT, "--", root ?? "");
  const id = input.identity;

  const caps = sec.capabilities;
  if (root !== undefined) {
    if (!input.commandPath)
      throw new InternalError("vsc exec: command not resolved inside the root");
    argv.push(
      tool(tools, "capsh"),
      "--inh=",
      "--noamb",
      `--drop=${capshDrops(node, input.capLastCap).join(",")}`,
      "--no-new-privs",
      `--chroot=${root}`,
      ...(id
        ? [
            `--gid=${id.gid}`,
            `--groups=${(id.groups.length > 0 ? id.groups : [id.gid]).join(",")}`,
            `--uid=${id.uid}`,
          ]
        : []),
      `--shell=${input.commandPath}`,
      "--",
      ...input.command.slice(1),
    );
  } else {
    argv.push(
      tool(tools, "setpriv"),
      "--no-new-privs",
      "--inh-caps",
      "-all",
      "--ambient-caps",
      "-all",
    );
    if (id) {
      argv.push(`--reuid=${id.uid}`, `--regid=${id.gid}`);
      if (id.groups.length > 0) argv.push(`--groups=${id.groups.join(",")}`);
      else argv.push("--clear-groups");
    }
    if (caps?.mode === "none") {
      argv.push("--bounding-set", "-all");
    } else if (caps?.mode === "keep") {
      argv.push("--bounding-set", ["-all", ...caps.names.map((c) => `+${c}`)].join(","));
    } else if (caps?.mode === "drop" && caps.names.length > 0) {
      argv.push("--bounding-set", caps.names.map((c) => `-${c}`).join(","));
    }
    argv.push("--", ...input.command);
  }
  return { context: node.name, cgroupDir, argv, pidNamespace: pid };
}

/**
 * capsh --drop list, in number order: every capability of this kernel that is
 * not kept, plus sys_chroot (the chroot escape). Capabilities newer than the
 * table are dropped by number under `keep` and left alone otherwise.
 */
function capshDrops(node: Node, capLastCap: number): string[] {
  const kept = new Set(keptCapabilities(node));
  kept.delete("sys_chroot");
  const drops: string[] = [];
  for (let i = 0; i <= capLastCap; i++) {
    const name = CAPABILITIES[i];
    if (name === undefined) {
      if (node.security.capabilities?.mode !== "drop" && node.security.capabilities)
        drops.push(String(i));
    } else if (!kept.has(name)) drops.push(`cap_${name}`);
  }
  return drops;
}
