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
  /** Runs a program (absolute path or a name found on PATH). */
  run(argv: string[], input?: string): RunResult;
  /** Absolute path of a tool, or undefined. */
  which(tool: string): string | undefined;
  /** Whether systemd is PID 1 (sd_booted(): /run/systemd/system exists). */
  systemdBooted(): boolean;
  /** A cgroup interface file's text (trailing newline removed), or undefined when absent. */
  readCgroup(path: string, file: string): string | undefined;
  /**
   * Many cgroup interface files at once ("slice path/file" below the mount),
   * in order, as readCgroup reads each. Optional: without it, readCgroup is
   * called for each.
   */
  readCgroups?(paths: string[]): (string | undefined)[];
}

const PATH_DIRS = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

export function realSystemdHost(
  o: Partial<Pick<SystemdHost, "unitDir" | "installDir" | "cgroupMount">> = {},
): SystemdHost {
  return {
    unitDir: o.unitDir ?? "/etc/systemd/system",
    installDir: o.installDir ?? "/etc/vsc",
    cgroupMount: o.cgroupMount ?? "/sys/fs/cgroup",
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
    readCgroups(paths) {
      return readByTail(this.cgroupMount, paths, (p) => {
        const i = p.lastIndexOf("/");
        return this.readCgroup(p.slice(0, i), p.slice(i + 1));
      });
    },
  };
}

/** Bytes of file names one `tail` gets (far below ARG_MAX; 10,000 contexts take a few runs). */
const TAIL_ARG_BYTES = 256 * 1024;

/**
 * The texts of the files `paths` (relative to `dir`), trailing newline
 * removed, undefined where a file cannot be read: read by one `tail -v -n
 * +1` per 256 KiB of names instead of one open, read and close from
 * JavaScript each. Measured in one kernel lab boot (systemd 252, software
 * emulation, bench/systemd-read-ab.ts), the 9,009 values of a no-op plan of
 * 1,000 contexts, median of 3: 1.60 s by tail against 1.93 s one by one in
 * a fresh process, 1.69 s against 2.02 s warm (a gain smaller than the
 * plan's run-to-run spread of about 1 s); on a host both take about 0.1 s
 * (docs/systemd.md). tail writes
 * "==> NAME <==" before each file it could open (names unquoted, a blank
 * line between files) and says nothing on stdout of one it could not; the
 * names are vsc's own slice paths and interface file names, and a cgroup
 * value never holds "\n==> ". Anything else (no tail, output that does not
 * parse) falls back to `one` for each file of that run.
 */
export function readByTail(
  dir: string,
  paths: string[],
  one: (path: string) => string | undefined,
  argBytes = TAIL_ARG_BYTES,
): (string | undefined)[] {
  const out: (string | undefined)[] = new Array(paths.length).fill(undefined);
  for (let i = 0; i < paths.length;) {
    let j = i;
    for (let len = 0; j < paths.length && (j === i || len + paths[j]!.length < argBytes); j++)
      len += paths[j]!.length + 1;
    const chunk = paths.slice(i, j);
    const r = spawnSync("tail", ["-v", "-n", "+1", "--", ...chunk], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, LC_ALL: "C" },
      maxBuffer: 256 * 1024 * 1024,
    });
    const got = r.error || r.status === null ? undefined : parseTail(r.stdout, chunk);
    for (let k = 0; k < chunk.length; k++) out[i + k] = got ? got[k] : one(chunk[k]!);
    i = j;
  }
  return out;
}

/** `tail -v -n +1 -- names...`'s output split by file, in the order of `names`; undefined when it does not parse. */
export function parseTail(s: string, names: string[]): (string | undefined)[] | undefined {
  const out: (string | undefined)[] = new Array(names.length).fill(undefined);
  let k = 0;
  for (let pos = 0; pos < s.length;) {
    if (!s.startsWith("==> ", pos)) return undefined;
    const eol = s.indexOf(" <==\n", pos);
    if (eol < 0) return undefined;
    const name = s.slice(pos + 4, eol);
    while (k < names.length && names[k] !== name) k++;
    if (k === names.length) return undefined;
    const start = eol + 5;
    const next = s.indexOf("\n==> ", start);
    const end = next < 0 ? s.length : next;
    const t = s.slice(start, end);
    out[k++] = t.endsWith("\n") ? t.slice(0, -1) : t;
    pos = next < 0 ? s.length : next + 1;
  }
  return out;
}
