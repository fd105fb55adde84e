/**
 * vsc's own bookkeeping on the host, under a state directory (default
 * /run/vsc: tmpfs, cleared at boot together with everything it describes):
 *  - `<key>.lock`: O_EXCL lock file with "pid starttime"; a lock whose process
 *    is gone (killed) is stale and taken over;
 *  - `<key>.journal`: present while an apply runs; left behind by a killed
 *    apply, it tells the next plan to reload the nft rules (they hold cgroup
 *    ids, which a half-done apply may have changed);
 *  - `<key>.nft`: the last ruleset vsc loaded, to undo a later load without
 *    listing the table (slow at scale).
 * `key` names the cgroup subtree (mount + root): two applies on it exclude
 * each other whatever their netns.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join, resolve } from "node:path";

export const DEFAULT_STATE_DIR = "/run/vsc";

export interface StateFiles {
  dir: string;
  key: string;
}

export function stateFiles(dir: string, cgroupMount: string, cgroupRoot: string): StateFiles {
  const h = createHash("sha256")
    .update(`${resolve(cgroupMount)}\0${cgroupRoot}`)
    .digest("hex");
  return {
    dir,
    key: `${cgroupRoot.replace(/[^a-z0-9_-]/gi, "_")}-${h.slice(0, 8)}`,
  };
}

const path = (s: StateFiles, ext: string) => join(s.dir, `${s.key}.${ext}`);

/** Start time of a process (field 22 of /proc/PID/stat), to tell a reused pid apart. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

const selfId = () => `${process.pid} ${startTime(process.pid) ?? "?"}`;

function alive(id: string): boolean {
  const [pid, start] = id.trim().split(" ");
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return false;
  const now = startTime(n);
  return now !== undefined && (start === "?" || now === start);
}

export type LockResult =
  { ok: true; release: () => void } | { ok: false; holder: number; file: string };

/** Takes the lock, or says who holds it. A holder that no longer runs is stale and replaced. */
export function acquireLock(s: StateFiles): LockResult {
  mkdirSync(s.dir, { recursive: true });
  const file = path(s, "lock");
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o644);
      try {
        writeSync(fd, `${selfId()}\n`);
      } catch (e) {
        // A full state directory: leave no empty lock behind.
        rmSync(file, { force: true });
        throw e;
      } finally {
        closeSync(fd);
      }
      const me = selfId();
      return {
        ok: true,
        release: () => {
          try {
            if (readFileSync(file, "utf8").trim() === me) rmSync(file, { force: true });
          } catch {
            /* already gone */
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let holder = "";
      try {
        holder = readFileSync(file, "utf8");
      } catch {
        continue; // released meanwhile: try again
      }
      if (holder.trim() !== "" && alive(holder))
        return { ok: false, holder: Number(holder.split(" ")[0]), file };
      // Stale (its process died, e.g. SIGKILL): move it aside atomically, then retry.
      try {
        renameSync(file, `${file}.stale.${process.pid}`);
        rmSync(`${file}.stale.${process.pid}`, { force: true });
      } catch {
        /* someone else took it over first */
      }
    }
  }
  return { ok: false, holder: 0, file };
}

/** The journal marker: written before the first change, removed when done. */
export const journalMarker = {
  set(s: StateFiles, note: string) {
    mkdirSync(s.dir, { recursive: true });
    writeFileSync(path(s, "journal"), `${selfId()}\n${note}\n`);
  },
  clear(s: StateFiles) {
    rmSync(path(s, "journal"), { force: true });
  },
  /** Left behind by an apply that is no longer running. */
  interrupted(s: StateFiles): boolean {
    try {
      const text = readFileSync(path(s, "journal"), "utf8");
      return !alive(text.split("\n")[0] ?? "");
    } catch {
      return false;
    }
  },
};

/** The last ruleset vsc loaded, keyed by its digest. */
export const savedRuleset = {
  get(s: StateFiles, digest: string | null | undefined): string | undefined {
    if (!digest) return undefined;
    try {
      const text = readFileSync(path(s, "nft"), "utf8");
      const nl = text.indexOf("\n");
      return text.slice(0, nl) === digest ? text.slice(nl + 1) : undefined;
    } catch {
      return undefined;
    }
  },
  put(s: StateFiles, digest: string, ruleset: string) {
    mkdirSync(s.dir, { recursive: true });
    writeFileSync(`${path(s, "nft")}.tmp`, `${digest}\n${ruleset}`);
    renameSync(`${path(s, "nft")}.tmp`, path(s, "nft"));
  },
  drop(s: StateFiles) {
    rmSync(path(s, "nft"), { force: true });
  },
};

export const stateExists = (s: StateFiles, ext: string) => existsSync(path(s, ext));
