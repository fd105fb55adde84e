/**
 * The real Kernel: cgroup files under a mount, nft and tc as processes
 * (inside a network namespace through `nsenter --net`, which unlike
 * `ip netns exec` keeps the host's /sys, so nft still resolves the cgroup
 * paths its `socket cgroupv2` rules name).
 *
 * When the mount is not a cgroup2 filesystem but a scratch directory made by
 * makeScratchMount (it has a cgroup.controllers file at its top), the cgroup
 * half emulates the kernel's rules in plain files (see scratch.ts), so the
 * same code runs in unit tests and through the CLI with --cgroup-mount DIR.
 */
import { spawnSync } from "node:child_process";
import {
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmdirSync,
  statfsSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import {
  KernelError,
  errnoMessage,
  type Kernel,
  type MountKind,
  type RunResult,
} from "./kernel.js";
import { scratchCgroups } from "./scratch.js";

export interface HostKernelOptions {
  /** Default /sys/fs/cgroup. */
  cgroupMount?: string;
  /** Run nft and tc inside /run/netns/NAME. */
  netns?: string;
}

export const CGROUP2_SUPER_MAGIC = 0x63677270;

/** "cgroup2", "scratch" (an emulated tree), or "other" (e.g. a v1 tmpfs, or missing). */
export function mountKind(mount: string): MountKind {
  try {
    if (statfsSync(mount).type === CGROUP2_SUPER_MAGIC) return "cgroup2";
  } catch {
    return "other";
  }
  return existsSync(join(mount, "cgroup.controllers")) && existsSync(join(mount, ".vsc-scratch"))
    ? "scratch"
    : "other";
}

export function hostKernel(opts: HostKernelOptions = {}): Kernel {
  const mount = opts.cgroupMount ?? "/sys/fs/cgroup";
  const abs = (p: string) => (p === "" ? mount : join(mount, p));
  const base: Kernel = {
    cgroupMount: mount,
    ...(opts.netns ? { netns: opts.netns } : {}),
    read(path) {
      try {
        return readFileSync(abs(path), "utf8");
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        const m = errnoMessage(e);
        throw new KernelError(`read ${path}`, m.message, m.code);
      }
    },
    write(path, value) {
      let fd = -1;
      try {
        // No O_CREAT: a missing interface file means its controller is off, say so.
        // O_NOFOLLOW: as root, never write through a symbolic link (ELOOP, VSC5056).
        fd = openSync(abs(path), constants.O_WRONLY | constants.O_TRUNC | constants.O_NOFOLLOW);
        writeSync(fd, value);
      } catch (e) {
        const m = errnoMessage(e);
        throw new KernelError(`write ${path} ${JSON.stringify(value)}`, m.message, m.code);
      } finally {
        if (fd >= 0) closeSync(fd);
      }
    },
    mkdir(path) {
      try {
        mkdirSync(abs(path));
      } catch (e) {
        const m = errnoMessage(e);
        throw new KernelError(`mkdir ${path}`, m.message, m.code);
      }
    },
    rmdir(path) {
      try {
        rmdirSync(abs(path));
      } catch (e) {
        const m = errnoMessage(e);
        throw new KernelError(`rmdir ${path}`, m.message, m.code);
      }
    },
    list(path) {
      try {
        return readdirSync(abs(path), { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => d.name)
          .sort();
      } catch {
        return undefined;
      }
    },
    entries(path) {
      try {
        const dirs: string[] = [];
        const files = new Set<string>();
        for (const d of readdirSync(abs(path), { withFileTypes: true })) {
          if (d.isDirectory()) dirs.push(d.name);
          else files.add(d.name);
        }
        return { dirs: dirs.sort(), files };
      } catch {
        return undefined;
      }
    },
    run: (tool, args, input) => runTool(tool, args, input, opts.netns),
    mountKind: () => mountKind(mount),
    machineRead(path) {
      try {
        return readFileSync(path, "utf8");
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") return undefined;
        const m = errnoMessage(e);
        throw new KernelError(`read ${path}`, m.message, m.code);
      }
    },
    machineHas: (path) => existsSync(path),
  };
  return mountKind(mount) === "scratch" ? scratchCgroups(base, mount) : base;
}

function runTool(
  tool: string,
  args: string[],
  input: string | undefined,
  netns?: string,
): RunResult {
  const [cmd, argv] = netns
    ? ["nsenter", [`--net=/run/netns/${netns}`, tool, ...args]]
    : [tool, args];
  const r = spawnSync(cmd, argv, {
    input: input ?? "",
    encoding: "utf8",
    maxBuffer: 512 * 1024 * 1024,
    env: { ...process.env, LC_ALL: "C" },
  });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === "ENOENT";
    return {
      status: -1,
      stdout: "",
      stderr: r.error.message,
      ...(missing ? { missing } : {}),
    };
  }
  const stderr = r.stderr ?? "";
  const missing = r.status === 127 && /failed to execute|not found/.test(stderr);
  return {
    status: r.status ?? -1,
    stdout: r.stdout ?? "",
    stderr,
    ...(missing ? { missing } : {}),
  };
}
