/**
 * File primitives for a program that runs as root in directories others may
 * write to (docs/security.md):
 *  - writeFileReplacing: a new file under an unpredictable name, created
 *    exclusively (O_CREAT|O_EXCL|O_NOFOLLOW, so never through a symlink), its
 *    mode set with fchmod (the umask plays no part), then renamed over the
 *    target: a symlink at the target is replaced, never followed;
 *  - readInputFile: opens without blocking (O_NONBLOCK: a FIFO does not hang
 *    the open), checks with fstat that it is a regular file of bounded size
 *    before reading a byte, and reports the path the kernel actually opened.
 * Both work through the directory's file descriptor (/proc/self/fd/N), so a
 * directory swapped for a symlink between the check and the write changes
 * nothing.
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fchownSync,
  fstatSync,
  openSync,
  readSync,
  readlinkSync,
  realpathSync,
  renameSync,
  unlinkSync,
  writeSync,
  type Stats,
} from "node:fs";

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_WRONLY, O_RDONLY, O_NONBLOCK, O_DIRECTORY, O_NOCTTY } =
  constants;

const PROC_FD = existsSync("/proc/self/fd");

/** A path that names what `fd` holds, even if the path it was opened by changes since. */
export const viaFd = (fd: number, fallback: string): string =>
  PROC_FD ? `/proc/self/fd/${fd}` : fallback;

/** Opens a directory without following a symlink at its last component (ELOOP/ENOTDIR otherwise). */
export function openDirNoFollow(dir: string): number {
  return openSync(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
}

/** Creates `path` exclusively (EEXIST if anything, a symlink included, is there), mode exactly `mode`. */
export function createExclusive(path: string, mode: number): number {
  const fd = openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    fchmodSync(fd, mode);
  } catch (e) {
    closeSync(fd);
    unlinkSync(path);
    throw e;
  }
  return fd;
}

export const tempName = (name: string): string => `.${name}.${randomBytes(8).toString("hex")}.tmp`;

function writeAll(fd: number, data: string): void {
  const buf = Buffer.from(data, "utf8");
  for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off, buf.length - off);
}

/**
 * Writes `data` to `dir/name` (mode `mode`, optionally owner `owner`) through
 * an exclusive temporary file in `dir` renamed into place. `dir` must be a
 * real directory, not a symlink (ELOOP/ENOTDIR). Throws the errno error;
 * leaves no temporary file behind.
 */
export function writeFileReplacing(
  dir: string,
  name: string,
  data: string,
  mode: number,
  owner?: { uid: number; gid: number },
): void {
  const dfd = openDirNoFollow(dir);
  try {
    const base = viaFd(dfd, dir);
    const tmp = `${base}/${tempName(name)}`;
    const fd = createExclusive(tmp, mode);
    try {
      try {
        if (owner) fchownSync(fd, owner.uid, owner.gid);
        writeAll(fd, data);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, `${base}/${name}`);
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        /* already gone */
      }
      throw e;
    }
  } finally {
    closeSync(dfd);
  }
}

export type InputRead =
  | {
      ok: true;
      text: string;
      /** The file the kernel opened, symlinks resolved. */ realPath: string;
      stat: Stats;
    }
  | {
      ok: false;
      reason: "missing" | "unreadable" | "not-regular" | "too-large";
      /** errno code, the kind of file ("a FIFO"), or the size in bytes. */
      detail: string;
    };

export function fileKind(st: Stats): string {
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isDirectory()) return "a directory";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * Reads a regular file of at most `maxBytes`. A FIFO, a device or a directory
 * is refused from fstat, before any read (so /dev/zero or a FIFO never hangs),
 * and so is a file over the limit (without reading it).
 */
export function readInputFile(path: string, maxBytes: number): InputRead {
  let fd: number;
  try {
    fd = openSync(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "EIO";
    return { ok: false, reason: code === "ENOENT" ? "missing" : "unreadable", detail: code };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, reason: "not-regular", detail: fileKind(st) };
    if (st.size > maxBytes) return { ok: false, reason: "too-large", detail: String(st.size) };
    // Read to the end but never past maxBytes + 1: a file that grows after fstat is still bounded.
    let buf = Buffer.allocUnsafe(st.size + 1);
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (n > maxBytes) break;
        const bigger = Buffer.allocUnsafe(Math.min(2 * n, maxBytes + 1));
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
    }
    if (n > maxBytes) return { ok: false, reason: "too-large", detail: String(n) };
    let realPath: string;
    try {
      realPath = PROC_FD ? readlinkSync(`/proc/self/fd/${fd}`) : realpathSync(path);
    } catch {
      realPath = path;
    }
    return { ok: true, text: buf.toString("utf8", 0, n), realPath, stat: st };
  } catch (e) {
    return { ok: false, reason: "unreadable", detail: (e as NodeJS.ErrnoException).code ?? "EIO" };
  } finally {
    closeSync(fd);
  }
}
