/**
 * vsc's own bookkeeping on the host, under a state directory (default
 * /run/vsc: tmpfs, cleared at boot together with everything it describes):
 *  - `<key>.lock`: "pid starttime" of the apply holding it; a lock whose
 *    process is gone (killed) is stale and taken over;
 *  - `<key>.journal`: present while an apply runs; left behind by a killed
 *    apply, it tells the next plan to reload the nft rules (they hold cgroup
 *    ids, which a half-done apply may have changed);
 *  - `<key>.nft`: the last ruleset vsc loaded, to undo a later load without
 *    listing the table (slow at scale).
 * `key` names the cgroup subtree (mount + root): two applies on it exclude
 * each other whatever their netns.
 *
 * vsc runs as root, and a rollback loads the saved ruleset as root, so
 * (docs/security.md): the directory is created 0700 whatever the umask and
 * refused (StateError) if it is a symlink, not a directory, not owned by the
 * effective user, or writable by group or others; every file is written as a
 * new file (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600 by fchmod) renamed or linked
 * into place, and read only if it is a regular file of ours that nobody else
 * can write.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeSync,
  type Stats,
} from "node:fs";
import { join, resolve } from "node:path";
import type { Diagnostic } from "../diag/diagnostic.js";
import { errnoMessage } from "./kernel.js";
import { createExclusive, tempName } from "../safe-fs.js";

export const DEFAULT_STATE_DIR = "/run/vsc";

/** Mode of the state directory and of every file in it. */
export const STATE_DIR_MODE = 0o700;
export const STATE_FILE_MODE = 0o600;

export interface StateFiles {
  dir: string;
  key: string;
}

/** A state directory or file vsc refuses to use, or cannot use; carries its diagnostic (VSC504x). */
export class StateError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

export function stateFiles(dir: string, cgroupMount: string, cgroupRoot: string): StateFiles {
  const h = createHash("sha256")
    .update(`${resolve(cgroupMount)}\0${cgroupRoot}`)
    .digest("hex");
  return {
    // Without a trailing slash, so that a symlink at the name is seen, not followed.
    dir: dir.replace(/(.)\/+$/, "$1"),
    key: `${cgroupRoot.replace(/[^a-z0-9_-]/gi, "_")}-${h.slice(0, 8)}`,
  };
}

const path = (s: StateFiles, ext: string) => join(s.dir, `${s.key}.${ext}`);

const errnoOf = (e: unknown) => (e as NodeJS.ErrnoException).code ?? String(e);
const octal = (m: number) => `0${(m & 0o777).toString(8)}`;
const myUid = () => process.geteuid?.() ?? 0;

function stateDiag(code: string, message: string, help: string): StateError {
  return new StateError({ code, severity: "error", message, help });
}

function ioError(what: string, e: unknown): StateError {
  return new StateError({
    code: "VSC5051",
    severity: "error",
    message: `cannot ${what}: ${errnoMessage(e).message}`,
    help: "fix the state directory (or set VSC_STATE_DIR to a writable one) and run again",
  });
}

/** Refuses a directory that someone else could change. */
function checkDir(dir: string, st: Stats): void {
  if (st.isSymbolicLink())
    throw stateDiag(
      "VSC5040",
      `the state directory ${dir} is a symbolic link`,
      "remove the link: vsc creates the directory itself (mode 0700) and never writes through a link",
    );
  if (!st.isDirectory())
    throw stateDiag(
      "VSC5040",
      `the state directory ${dir} is not a directory`,
      "remove it, or set VSC_STATE_DIR to another path",
    );
  if (st.uid !== myUid())
    throw stateDiag(
      "VSC5041",
      `the state directory ${dir} belongs to uid ${st.uid}, not to the user running vsc (uid ${myUid()})`,
      "remove it (vsc creates it again, mode 0700) or chown it to the user running vsc",
    );
  if ((st.mode & 0o022) !== 0)
    throw stateDiag(
      "VSC5042",
      `the state directory ${dir} is writable by ${st.mode & 0o002 ? "others" : "its group"} (mode ${octal(st.mode)})`,
      `check its content, then chmod 0700 ${dir} (or remove it)`,
    );
}

/**
 * The state directory, checked; with `create`, made (mode 0700 by chmod on a
 * descriptor, whatever the umask) when missing. Without `create` a missing
 * directory is `false`: nothing was ever saved.
 */
function stateDir(s: StateFiles, create: boolean): boolean {
  let st: Stats;
  try {
    st = lstatSync(s.dir);
  } catch (e) {
    if (errnoOf(e) !== "ENOENT") throw ioError(`read the state directory ${s.dir}`, e);
    if (!create) return false;
    try {
      mkdirSync(s.dir, { recursive: true, mode: STATE_DIR_MODE });
      const fd = openSync(s.dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
      try {
        const now = fstatSync(fd);
        if (now.uid === myUid()) fchmodSync(fd, STATE_DIR_MODE);
      } finally {
        closeSync(fd);
      }
    } catch (e2) {
      const code = errnoOf(e2);
      if (code !== "ELOOP" && code !== "ENOTDIR")
        throw ioError(`create the state directory ${s.dir}`, e2);
    }
    try {
      st = lstatSync(s.dir);
    } catch (e3) {
      throw ioError(`create the state directory ${s.dir}`, e3);
    }
  }
  checkDir(s.dir, st);
  return true;
}

/** Refuses a state file that is a link, not a regular file, not ours, or writable by others. */
function checkFile(file: string, st: Stats): void {
  const why = !st.isFile()
    ? "is not a regular file"
    : st.uid !== myUid()
      ? `belongs to uid ${st.uid}`
      : (st.mode & 0o022) !== 0
        ? `is writable by others (mode ${octal(st.mode)})`
        : undefined;
  if (why)
    throw stateDiag(
      "VSC5043",
      `the state file ${file} ${why}`,
      `remove ${file}: vsc writes its own, mode 0600`,
    );
}

/** A state file's text, or undefined when absent; refused (StateError) when unsafe. */
function readStateFile(s: StateFiles, ext: string): string | undefined {
  if (!stateDir(s, false)) return undefined;
  const file = path(s, ext);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = errnoOf(e);
    if (code === "ENOENT") return undefined;
    if (code === "ELOOP")
      throw stateDiag(
        "VSC5043",
        `the state file ${file} is a symbolic link`,
        `remove ${file}: vsc writes its own, mode 0600`,
      );
    throw ioError(`read ${file}`, e);
  }
  try {
    const st = fstatSync(fd);
    checkFile(file, st);
    const buf = Buffer.allocUnsafe(st.size);
    let n = 0;
    while (n < buf.length) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
    }
    return buf.toString("utf8", 0, n);
  } finally {
    closeSync(fd);
  }
}

/** A new file in the state directory (exclusive, 0600), holding `text`; returns its path. */
function writeTemp(s: StateFiles, ext: string, text: string): string {
  stateDir(s, true);
  const tmp = join(s.dir, tempName(`${s.key}.${ext}`));
  let fd: number;
  try {
    fd = createExclusive(tmp, STATE_FILE_MODE);
  } catch (e) {
    throw ioError(`create a file in ${s.dir}`, e);
  }
  try {
    const buf = Buffer.from(text, "utf8");
    for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off, buf.length - off);
  } catch (e) {
    closeSync(fd);
    removeQuietly(tmp);
    throw ioError(`write ${tmp}`, e);
  }
  closeSync(fd);
  return tmp;
}

/** Writes a state file whole: a new file renamed over the old (a link there is replaced, not followed). */
function writeStateFile(s: StateFiles, ext: string, text: string): void {
  const tmp = writeTemp(s, ext, text);
  try {
    renameSync(tmp, path(s, ext));
  } catch (e) {
    removeQuietly(tmp);
    throw ioError(`write ${path(s, ext)}`, e);
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* already gone */
  }
}

/** Start time of a process (field 22 of /proc/PID/stat), to tell a reused pid apart. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readProc(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function readProc(file: string): string {
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, null);
    return buf.toString("utf8", 0, n);
  } finally {
    closeSync(fd);
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

/**
 * Takes the lock, or says who holds it. A holder that no longer runs is stale
 * and replaced. The lock file is written in full under a temporary name and
 * then hard-linked to its name (link fails if the name exists), so a lock
 * file is never seen empty and none is left behind when writing it fails.
 * Throws StateError when the state directory or the lock file is unsafe or
 * cannot be written.
 */
export function acquireLock(s: StateFiles): LockResult {
  try {
    return takeLock(s);
  } catch (e) {
    // Taken before anything else: a refusal here changed nothing.
    if (e instanceof StateError) e.diagnostic.notes = ["nothing was changed"];
    throw e;
  }
}

function takeLock(s: StateFiles): LockResult {
  const file = path(s, "lock");
  const me = selfId();
  const tmp = writeTemp(s, "lock", `${me}\n`);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(tmp, file);
      } catch (e) {
        if (errnoOf(e) !== "EEXIST") throw ioError(`create the lock ${file}`, e);
        const holder = readStateFile(s, "lock");
        if (holder === undefined) continue; // released meanwhile: try again
        if (holder.trim() !== "" && alive(holder))
          return { ok: false, holder: Number(holder.split(" ")[0]), file };
        // Stale (its process died, e.g. SIGKILL): move it aside atomically, then retry.
        const aside = join(s.dir, tempName(`${s.key}.lock.stale`));
        try {
          renameSync(file, aside);
          removeQuietly(aside);
        } catch {
          /* someone else took it over first */
        }
        continue;
      }
      const mine = lstatSync(file);
      return {
        ok: true,
        release: () => {
          // Remove the lock only if it is still the very file this process linked.
          try {
            const now = lstatSync(file);
            if (now.ino === mine.ino && now.dev === mine.dev) rmSync(file, { force: true });
          } catch {
            /* already gone */
          }
        },
      };
    }
    return { ok: false, holder: 0, file };
  } finally {
    removeQuietly(tmp);
  }
}

/** The journal marker: written before the first change, removed when done. */
export const journalMarker = {
  set(s: StateFiles, note: string) {
    writeStateFile(s, "journal", `${selfId()}\n${note}\n`);
  },
  clear(s: StateFiles) {
    rmSync(path(s, "journal"), { force: true });
  },
  /** Left behind by an apply that is no longer running. Throws StateError for an unsafe journal. */
  interrupted(s: StateFiles): boolean {
    const text = readStateFile(s, "journal");
    return text !== undefined && !alive(text.split("\n")[0] ?? "");
  },
};

/** The last ruleset vsc loaded, keyed by its digest. */
export const savedRuleset = {
  /** The saved text if its digest matches; throws StateError for an unsafe file (rollback loads it as root). */
  get(s: StateFiles, digest: string | null | undefined): string | undefined {
    if (!digest) return undefined;
    const text = readStateFile(s, "nft");
    if (text === undefined) return undefined;
    const nl = text.indexOf("\n");
    return text.slice(0, nl) === digest ? text.slice(nl + 1) : undefined;
  },
  put(s: StateFiles, digest: string, ruleset: string) {
    writeStateFile(s, "nft", `${digest}\n${ruleset}`);
  },
  drop(s: StateFiles) {
    rmSync(path(s, "nft"), { force: true });
  },
};

export const stateExists = (s: StateFiles, ext: string) => {
  try {
    lstatSync(path(s, ext));
    return true;
  } catch {
    return false;
  }
};

/**
 * vsc's other state files (`<key>.pending`, `<key>.outcome`: `vsc apply
 * --confirm`, src/apply/confirm.ts), read and written with the same checks
 * as the lock and the journal: 0600, never through a link, refused when
 * someone else could have written them.
 */
export type StateExt = "pending" | "reverting" | "outcome";
export const stateText = {
  read: (s: StateFiles, ext: StateExt): string | undefined => readStateFile(s, ext),
  write: (s: StateFiles, ext: StateExt, text: string): void => writeStateFile(s, ext, text),
  remove: (s: StateFiles, ext: StateExt): void => {
    rmSync(path(s, ext), { force: true });
  },
  path: (s: StateFiles, ext: string): string => path(s, ext),
  /**
   * Renames `<key>.from` to `<key>.to` (or away, when `to` is undefined):
   * atomic, so of a confirm and a revert racing for a pending apply exactly
   * one gets it. false when it was not there (someone else took it).
   */
  take: (s: StateFiles, from: StateExt, to?: StateExt): boolean => {
    const dest = to ? path(s, to) : join(s.dir, tempName(`${s.key}.${from}`));
    try {
      renameSync(path(s, from), dest);
    } catch (e) {
      if (errnoOf(e) === "ENOENT") return false;
      throw ioError(`rename ${path(s, from)}`, e);
    }
    if (!to) removeQuietly(dest);
    return true;
  },
};

/** "pid starttime" of a process, to recognise it later (a reused pid has another start time). */
export const processId = (pid: number): string => `${pid} ${startTime(pid) ?? "?"}`;
/** The process named by processId still runs (same pid, same start time). */
export const processAlive = (id: string): boolean => alive(id);
