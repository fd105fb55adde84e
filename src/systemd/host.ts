/**
 * What the systemd driver asks of the machine, as one interface: the real
 * one runs systemctl and reads the unit directory and the cgroup2 mount;
 * tests may pass another unit directory and mount. Every command is an argv
 * array (execFileSync, no shell), so no name from a config can inject.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { readSmallFile } from "./unit-dir.js";

export interface RunResult {
  ok: boolean;
  status: number | null;
  out: string;
  err: string;
}

export interface SystemdHost {
  /** Where vsc writes units: /etc/systemd/system. */
  unitDir: string;
  /** Where vsc writes ruleset.nft and tc.batch for vsc-net.service: /etc/vsc. */
  installDir: string;
  /** The cgroup2 mount that systemd manages: /sys/fs/cgroup. */
  cgroupMount: string;
  /**
   * Where `systemctl set-property --runtime` keeps what it sets:
   * /run/systemd/system.control (the undo of apply --confirm removes the
   * drop-ins its own call made there).
   */
  controlDir: string;
  /** Runs a program (absolute path or a name found on PATH). */
  run(argv: string[], input?: string): RunResult;
  /** Absolute path of a tool, or undefined. */
  which(tool: string): string | undefined;
  /** Whether systemd is PID 1 (sd_booted(): /run/systemd/system exists). */
  systemdBooted(): boolean;
  /** A cgroup interface file's text (trailing newline removed), or undefined when absent. */
  readCgroup(path: string, file: string): string | undefined;
}

const PATH_DIRS = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

export function realSystemdHost(
  o: Partial<Pick<SystemdHost, "unitDir" | "installDir" | "cgroupMount" | "controlDir">> = {},
): SystemdHost {
  return {
    unitDir: o.unitDir ?? "/etc/systemd/system",
    installDir: o.installDir ?? "/etc/vsc",
    cgroupMount: o.cgroupMount ?? "/sys/fs/cgroup",
    controlDir: o.controlDir ?? "/run/systemd/system.control",
    run(argv, input) {
      const r = spawnSync(argv[0]!, argv.slice(1), {
        encoding: "utf8",
        input,
        env: { ...process.env, SYSTEMD_PAGER: "", SYSTEMD_COLORS: "0", LC_ALL: "C" },
        maxBuffer: 256 * 1024 * 1024,
      });
      return {
        ok: r.status === 0,
        status: r.status,
        out: r.stdout ?? "",
        err: r.error ? String(r.error.message) : (r.stderr ?? ""),
      };
    },
    which(tool) {
      for (const d of (process.env.PATH ?? "").split(":").concat(PATH_DIRS)) {
        if (d && existsSync(join(d, tool))) return join(d, tool);
      }
      return undefined;
    },
    systemdBooted: () => existsSync("/run/systemd/system"),
    readCgroup(path, file) {
      // Paths are vsc's own slice paths and interface file names (no "..").
      const t = readSmallFile(`${this.cgroupMount}/${path}/${file}`, false);
      return t === undefined ? undefined : t.endsWith("\n") ? t.slice(0, -1) : t;
    },
  };
}
