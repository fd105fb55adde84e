/**
 * Host checks before anything starts: root, cgroup2, the context applied,
 * tools present, namespace types supported, the root usable, the command
 * found. Pure given an ExecHost, so each refusal is tested with a fake host.
 */
import { posix } from "node:path";
import type { Diagnostic } from "../diag/diagnostic.js";
import type { Host, Node } from "../ir/types.gen.js";
import { realMountHint } from "../apply/mount-advice.js";
import { execError, spanOf } from "./diag.js";
import { CGROUP2_SUPER_MAGIC, DEFAULT_PATH, type ExecHost } from "./host.js";
import {
  NAMESPACE_PROC_NAME,
  TOOL_PACKAGES,
  effectiveNamespaces,
  requiredTools,
  type Identity,
  type ToolPaths,
} from "./plan.js";

export interface Preflight {
  tools: ToolPaths;
  /** With a root: the command's path inside it. */
  commandPath?: string;
  /** The root with symlinks resolved. */
  root?: string;
  capLastCap: number;
  /** security.user/group resolved on the host. */
  identity?: Identity;
  diagnostics: Diagnostic[];
}

/** PATH entries (absolute only: a relative one would depend on the cwd), then the system dirs. */
function searchDirs(path: string, withSystem: boolean): string[] {
  const dirs = path.split(":").filter((d) => d.startsWith("/"));
  if (withSystem) for (const d of DEFAULT_PATH.split(":")) if (!dirs.includes(d)) dirs.push(d);
  return dirs;
}

export function preflight(
  node: Node,
  irHost: Pick<Host, "cgroupRoot">,
  opts: { cgroupMount: string; command: string[] },
  h: ExecHost,
): Preflight {
  const ds: Diagnostic[] = [];
  const out: Preflight = {
    tools: {},
    capLastCap: h.capLastCap(),
    diagnostics: ds,
  };

  if (h.euid() !== 0) {
    ds.push(
      execError("VSC5806", "vsc exec must run as root", {
        help: "run it as root (sudo vsc exec ...): joining a cgroup and creating namespaces need it",
      }),
    );
  }

  const mount = opts.cgroupMount;
  const fsType = h.fsType(mount);
  if (fsType !== CGROUP2_SUPER_MAGIC) {
    ds.push(
      execError("VSC5804", `${mount} is not a cgroup2 mount`, {
        // A scratch tree cannot hold a process: exec needs the real mount.
        help:
          realMountHint(mount) ||
          "mount cgroup2 (mount -t cgroup2 none /sys/fs/cgroup); a scratch tree will not do, exec needs the kernel's",
        notes: [
          fsType === undefined
            ? `${mount} does not exist`
            : `its file system type is 0x${fsType.toString(16)}`,
        ],
      }),
    );
  } else {
    const dir = posix.join(mount, irHost.cgroupRoot, node.path);
    if (!h.isDir(dir)) {
      ds.push(
        execError("VSC5803", `context "${node.name}" is not applied: ${dir} does not exist`, {
          span: spanOf(node.loc),
          label: "declared here",
          help: "run `vsc apply FILE` first (or pass the --cgroup-mount it was applied under)",
        }),
      );
    }
  }

  const dirs = searchDirs(h.path(), true);
  for (const t of requiredTools(node)) {
    const found = dirs.map((d) => posix.join(d, t)).find((p) => h.isExecutable(p));
    if (found) out.tools[t] = found;
    else
      ds.push(
        execError("VSC5805", `vsc exec needs \`${t}\`, which is not installed`, {
          help: `install it: apt-get install ${TOOL_PACKAGES[t]}`,
        }),
      );
  }

  for (const ns of effectiveNamespaces(node)) {
    if (!h.exists(`/proc/self/ns/${NAMESPACE_PROC_NAME[ns]}`)) {
      ds.push(
        execError("VSC5815", `this kernel has no ${ns} namespaces`, {
          span: spanOf(node.security.loc ?? node.loc),
          help: `remove ${ns} from security.namespaces, or run a kernel that supports it`,
        }),
      );
    }
  }

  const sec = node.security;
  const secSpan = spanOf(sec.loc ?? node.loc);
  if (sec.user !== undefined || sec.group !== undefined)
    out.identity = resolveIdentity(node, h, ds);
  const [cmd] = opts.command;
  if (sec.root !== undefined) {
    const root = h.realpath(sec.root);
    if (root === undefined || !h.isDir(root)) {
      ds.push(
        execError("VSC5808", `the context's root ${sec.root} is not a directory`, {
          span: secSpan,
          help: "create it (with the command and what it needs inside), or fix security.root",
        }),
      );
      return out;
    }
    out.root = root;
    checkWritable(node, root, h, ds);
    if (effectiveNamespaces(node).includes("pid") && !h.isDir(posix.join(root, "proc"))) {
      ds.push(
        execError("VSC5808", `the context's root ${sec.root} has no proc directory`, {
          span: secSpan,
          help: `mkdir ${posix.join(sec.root, "proc")}: the pid namespace mounts its own /proc there`,
        }),
      );
    }
    if (cmd !== undefined) {
      const inRoot = (p: string) => h.exists(root === "/" ? p : root + p);
      const candidates = cmd.includes("/")
        ? [posix.join("/", cmd)]
        : searchDirs(h.path(), false).map((d) => posix.join(d, cmd));
      out.commandPath = candidates.find(inRoot);
      if (out.commandPath === undefined) {
        ds.push(
          execError("VSC5807", `command not found in the context's root ${sec.root}: ${cmd}`, {
            help: `the command runs inside ${sec.root}, so it must exist there (PATH: ${h.path()})`,
          }),
        );
      }
    }
  } else {
    checkWritable(node, "/", h, ds);
  }
  if (sec.root === undefined && cmd !== undefined) {
    const found = cmd.includes("/")
      ? h.isExecutable(cmd)
      : searchDirs(h.path(), false).some((d) => h.isExecutable(posix.join(d, cmd)));
    if (!found) {
      ds.push(
        execError("VSC5807", `command not found: ${cmd}`, {
          help: cmd.includes("/")
            ? "check the path and its execute permission"
            : `not in PATH (${h.path()})`,
        }),
      );
    }
  }
  return out;
}

const isId = (s: string) => /^\d+$/.test(s);

/**
 * security.user/group on this host, now (#16): a name must exist (getent,
 * so NSS sources count); a numeric id is used as it is. The user's primary
 * group and its supplementary groups come with it unless `group` names one.
 */
function resolveIdentity(node: Node, h: ExecHost, ds: Diagnostic[]): Identity | undefined {
  const sec = node.security;
  const span = spanOf(sec.loc ?? node.loc);
  const getent = (db: "passwd" | "group" | "initgroups", key: string) => h.getent?.(db, key);
  let uid = 0;
  let gid = 0;
  let groups: number[] = [];
  if (sec.user !== undefined) {
    const pw = getent("passwd", sec.user);
    if (pw && pw.length >= 4 && isId(pw[2]!) && isId(pw[3]!)) {
      uid = Number(pw[2]);
      gid = Number(pw[3]);
      const ig = getent("initgroups", pw[0]!);
      groups = (ig ?? []).slice(1).filter(isId).map(Number);
    } else if (isId(sec.user)) {
      uid = gid = Number(sec.user);
    } else {
      ds.push(
        execError("VSC5820", `user "${sec.user}" does not exist on this host`, {
          span,
          help: `create it (adduser --system ${sec.user}) or name an existing user or a numeric uid`,
        }),
      );
      return undefined;
    }
  }
  if (sec.group !== undefined) {
    const gr = getent("group", sec.group);
    if (gr && gr.length >= 3 && isId(gr[2]!)) gid = Number(gr[2]);
    else if (isId(sec.group)) gid = Number(sec.group);
    else {
      ds.push(
        execError("VSC5821", `group "${sec.group}" does not exist on this host`, {
          span,
          help: "create it (addgroup --system NAME) or name an existing group or a numeric gid",
        }),
      );
      return undefined;
    }
    if (!groups.includes(gid) && groups.length > 0) groups = [gid, ...groups];
  }
  if (sec.user === undefined) groups = [];
  return { uid, gid, groups: [...new Set(groups)].sort((a, b) => a - b) };
}

/** Each writable path must exist (it is bind-mounted onto itself) under `base`. */
function checkWritable(node: Node, base: string, h: ExecHost, ds: Diagnostic[]): void {
  for (const w of node.security.filesystem?.writable ?? []) {
    const p = base === "/" ? w : base + w;
    if (h.exists(p)) continue;
    ds.push(
      execError("VSC5822", `writable path ${p} does not exist`, {
        span: spanOf(node.security.loc ?? node.loc),
        help: `create it first (mkdir -p ${p}): a writable path is bind-mounted onto itself`,
      }),
    );
  }
}
