// Helpers for tests that run vsc exec for real on this machine (root, any
// cgroup2 mount: on the dev VMs /sys/fs/cgroup/unified, which has no
// controllers but does take cgroup.procs writes; in the kernel lab
// /sys/fs/cgroup). They run `vsc exec` as its own process (drive.ts), so
// stdin, exit status and signals are the real thing.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmdirSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ExecArgs } from "../../src/exec/run.js";
import type { VscIr } from "../../src/ir/types.gen.js";

/** The first cgroup2 mount, or undefined. */
export function cgroup2Mount(): string | undefined {
  for (const line of readFileSync("/proc/self/mounts", "utf8").split("\n")) {
    const [, dir, type] = line.split(" ");
    if (type === "cgroup2") return dir;
  }
  return undefined;
}

/** Fails loudly (never passes silently) where vsc exec cannot run for real. */
export function requireRealExec(): string {
  const mount = cgroup2Mount();
  if (process.geteuid?.() !== 0 || mount === undefined) {
    throw new Error("this test runs vsc exec for real: it needs root and a cgroup2 mount");
  }
  return mount;
}

/** Creates `<mount>/<root>/<path>` for each path; returns a cleanup that removes them, leaves first. */
export function scratchCgroups(mount: string, root: string, paths: string[]): () => void {
  for (const p of paths) mkdirSync(join(mount, root, p), { recursive: true });
  return () => {
    const dirs = [
      ...paths.flatMap((p) => p.split("/").map((_, i, a) => a.slice(0, i + 1).join("/"))),
      "",
    ];
    for (const d of [...new Set(dirs)].sort((a, b) => b.length - a.length)) {
      const abs = join(mount, root, d);
      for (let i = 0; i < 50 && existsSync(abs); i++) {
        try {
          rmdirSync(abs);
        } catch {
          spawnSync("sleep", ["0.1"]); // a process of the test is still exiting
        }
      }
    }
  };
}

const here = fileURLToPath(import.meta.url);
const driver = join(dirname(here), `drive${here.endsWith(".ts") ? ".ts" : ".js"}`);

export interface VscRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `vsc exec` (drive.ts) with this IR and args. `signal` is sent to the
 * vsc process once its stdout matches `when`.
 */
export function vscExec(
  ir: VscIr,
  args: ExecArgs,
  opts: { input?: string; signal?: NodeJS.Signals; when?: RegExp; timeoutMs?: number } = {},
): Promise<VscRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, driver, JSON.stringify({ ir, args })],
      {
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    let sent = false;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`vsc exec timed out; stdout: ${stdout}; stderr: ${stderr}`));
    }, opts.timeoutMs ?? 20_000);
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString();
      if (opts.signal && !sent && (opts.when ?? /./).test(stdout)) {
        sent = true;
        child.kill(opts.signal);
      }
    });
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? "");
  });
}

/**
 * A tiny root: busybox-static (sh, ls, cat, ...) and perl with its libraries
 * (for the chroot-escape attempt), plus an empty proc directory.
 */
export function tinyRoot(dir: string): string {
  mkdirSync(join(dir, "bin"), { recursive: true });
  mkdirSync(join(dir, "proc"));
  copyFileSync("/bin/busybox", join(dir, "bin/busybox"));
  for (const a of [
    "sh",
    "ls",
    "cat",
    "echo",
    "test",
    "readlink",
    "ps",
    "hostname",
    "id",
    "mkdir",
  ]) {
    symlinkSync("busybox", join(dir, "bin", a));
  }
  const libs = spawnSync("ldd", ["/usr/bin/perl"], { encoding: "utf8" })
    .stdout.split("\n")
    .map((l) => /(\/\S+) \(0x/.exec(l)?.[1])
    .filter((p): p is string => p !== undefined);
  for (const f of ["/usr/bin/perl", ...libs]) {
    mkdirSync(join(dir, dirname(f)), { recursive: true });
    copyFileSync(f, join(dir, f));
  }
  return dir;
}
