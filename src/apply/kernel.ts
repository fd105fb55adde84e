/**
 * The applier's only door to the kernel. Everything vsc does to a host goes
 * through this interface, so tests can count writes, inject failures, and run
 * against a scratch directory instead of /sys/fs/cgroup.
 *
 * Paths are relative to the cgroup2 mount ("vsc/web/cpu.weight"; "" is the
 * mount root). Cgroup calls are synchronous: thousands of small reads and
 * writes in a tight loop are faster than promises, and no process is spawned
 * per file.
 */
export interface RunResult {
  /** Exit status; -1 when the tool could not be started. */
  status: number;
  stdout: string;
  stderr: string;
  /** The tool is not installed (spawn said ENOENT). */
  missing?: boolean;
}

export interface Kernel {
  /** Absolute path of the cgroup2 mount (for messages). */
  readonly cgroupMount: string;
  /** Network namespace name, if any (for messages). */
  readonly netns?: string;
  /** A file's content, or undefined when it does not exist. */
  read(path: string): string | undefined;
  /** Writes a value; throws KernelError with the kernel's message on refusal. */
  write(path: string, value: string): void;
  mkdir(path: string): void;
  /** Removes an (empty) cgroup; throws KernelError (EBUSY with processes, ENOTEMPTY with children). */
  rmdir(path: string): void;
  /** Names of the child cgroups, sorted; undefined when the cgroup does not exist. */
  list(path: string): string[] | undefined;
  /**
   * Child cgroups (sorted) and interface file names in one directory read, so
   * the reader opens only files that exist (a failed open costs more than a read).
   */
  entries(path: string): { dirs: string[]; files: Set<string> } | undefined;
  /**
   * Only a scratch tree has it: the interface files a cgroup directory should
   * hold but lacks (a half-made cgroup, from an apply killed between mkdir and
   * its files; a real cgroup2 mkdir is atomic). [] when complete.
   */
  incomplete?(path: string, files: Set<string>): string[];
  /** Runs nft, tc or ip (inside the namespace), with `input` on stdin. ip: the qdisc probe's IFB device only. */
  run(tool: "nft" | "tc" | "ip", args: string[], input?: string): RunResult;
  /** What is at cgroupMount: a cgroup2 mount, a scratch tree (scratch.ts), or something else. */
  mountKind(): MountKind;
  /**
   * A file of the machine outside the cgroup mount, by absolute path
   * (/proc/meminfo, /sys/devices/system/cpu/online, /sys/dev/block/254:0/dev,
   * /proc/self/mounts): its text, or undefined when it does not exist. A
   * scratch tree answers from the machine it describes (scratch.ts).
   */
  machineRead(path: string): string | undefined;
  /** Whether a path of the machine exists (e.g. /run/netns/NAME, which has no text to read). */
  machineHas(path: string): boolean;
}

export type MountKind = "cgroup2" | "scratch" | "other";

/** The kernel refused an operation; `message` is its own words (errno text or tool stderr). */
export class KernelError extends Error {
  constructor(
    /** What was attempted, e.g. `write vsc/web/cpu.weight "0"`. */
    readonly operation: string,
    /** The kernel's message, e.g. "Invalid argument (EINVAL)". */
    readonly kernelMessage: string,
    readonly errno?: string,
  ) {
    super(`${operation}: ${kernelMessage}`);
  }
}

/** "EINVAL: invalid argument, write" -> "Invalid argument (EINVAL)". */
export function errnoMessage(e: unknown): { message: string; code?: string } {
  const err = e as NodeJS.ErrnoException;
  if (!err || typeof err.code !== "string") return { message: String((e as Error)?.message ?? e) };
  const m = /^[A-Z0-9]+: ([^,]+)/.exec(err.message);
  const text = m ? m[1]! : err.message;
  return {
    message: `${text.charAt(0).toUpperCase()}${text.slice(1)} (${err.code})`,
    code: err.code,
  };
}
