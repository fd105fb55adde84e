/**
 * What `vsc exec` asks of the machine before it starts anything, behind an
 * interface so the checks (preflight.ts) are tested without root or cgroups.
 * realExecHost() is the only implementation that touches the system.
 */
import { execFileSync } from "node:child_process";
import {
  accessSync,
  constants,
  lstatSync,
  readFileSync,
  realpathSync,
  statSync,
  statfsSync,
} from "node:fs";

export interface ExecHost {
  euid(): number;
  /** statfs(2) f_type of the file system at `path`; undefined if it does not exist. */
  fsType(path: string): number | undefined;
  isDir(path: string): boolean;
  /** Something is at `path` (lstat: a dangling symlink counts; inside a root it resolves differently). */
  exists(path: string): boolean;
  /** A regular file this process may execute (symlinks followed). */
  isExecutable(path: string): boolean;
  realpath(path: string): string | undefined;
  /** /proc/sys/kernel/cap_last_cap */
  capLastCap(): number;
  /** The PATH the chain's tools will search. */
  path(): string;
  /**
   * One entry of the host's account databases (getent(1): passwd, group,
   * initgroups), split on ":" (initgroups: on blanks); undefined when there
   * is none. Optional so that fakes without accounts stay small.
   */
  getent?(db: "passwd" | "group" | "initgroups", key: string): string[] | undefined;
}

export const CGROUP2_SUPER_MAGIC = 0x63677270;

/** The PATH used when the environment has none (Debian's root default). */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

const attempt = <T>(f: () => T): T | undefined => {
  try {
    return f();
  } catch {
    return undefined;
  }
};

export function realExecHost(env: NodeJS.ProcessEnv = process.env): ExecHost {
  return {
    euid: () => (process.geteuid ? process.geteuid() : -1),
    fsType: (p) => attempt(() => statfsSync(p).type),
    isDir: (p) => attempt(() => statSync(p).isDirectory()) ?? false,
    exists: (p) => attempt(() => lstatSync(p)) !== undefined,
    isExecutable: (p) =>
      attempt(() => {
        if (!statSync(p).isFile()) return false;
        accessSync(p, constants.X_OK);
        return true;
      }) ?? false,
    realpath: (p) => attempt(() => realpathSync(p)),
    capLastCap: () =>
      attempt(() => Number(readFileSync("/proc/sys/kernel/cap_last_cap", "utf8").trim())) ?? 40,
    path: () => env.PATH || DEFAULT_PATH,
    // getent(1) (libc-bin, Essential) asks NSS, so LDAP/sssd users resolve
    // as they do for login; an argv, and keys the checker allowed.
    getent: (db, key) =>
      attempt(() => {
        const out = execFileSync("getent", [db, key], {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "ignore"],
        });
        const line = out.split("\n")[0]!;
        return db === "initgroups" ? line.trim().split(/\s+/) : line.split(":");
      }),
  };
}
