/**
 * A scratch cgroup tree in plain files, with the kernel's rules that the
 * applier depends on: controller files appear in a child when its parent
 * enables the controller, enabling needs the controller available, disabling
 * is refused while a child uses it, rmdir is refused with processes or
 * children, io.max merges per device, writing a pid to cgroup.procs moves it.
 * For tests and dry runs (`--cgroup-mount DIR`); the real kernel needs none
 * of this.
 *
 * The machine of a scratch tree is the one it describes in DIR/.vsc-machine/,
 * files at the paths a real machine has them (proc/meminfo,
 * sys/devices/system/cpu/online, sys/dev/block/MAJ:MIN/dev; see
 * describeScratchMachine). With a description, writes the real kernel would
 * refuse because the machine lacks something are refused too: cpuset.cpus
 * naming a cpu that is not online (ERANGE, as Linux 6.1 answers for a cpu it
 * does not have), io.max for a device that is not
 * a whole disk of the machine (ENODEV). Without one the tree describes no
 * machine, and preflight says it compared nothing. Network namespaces and
 * links stay the real ones (nft and tc run for real).
 */
import {
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  rmdirSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { parseCpuList } from "../check/fields.js";
import { KernelError, errnoMessage, type Kernel } from "./kernel.js";

/** Interface files (with their defaults) that a controller adds to a cgroup. */
export const CONTROLLER_FILES: Record<string, Record<string, string>> = {
  cpu: {
    "cpu.weight": "100",
    "cpu.max": "max 100000",
    "cpu.max.burst": "0",
    "cpu.stat": "",
  },
  cpuset: {
    "cpuset.cpus": "",
    "cpuset.cpus.partition": "member",
    "cpuset.cpus.exclusive": "",
    "cpuset.cpus.effective": "",
    "cpuset.mems": "",
  },
  io: { "io.weight": "default 100", "io.max": "" },
  memory: {
    "memory.min": "0",
    "memory.low": "0",
    "memory.high": "max",
    "memory.max": "max",
    "memory.swap.max": "max",
    "memory.oom.group": "0",
    "memory.current": "0",
  },
  pids: { "pids.max": "max", "pids.current": "0" },
};

/** Creates a scratch mount root at `dir` with these controllers available and enabled. */
export function makeScratchMount(
  dir: string,
  controllers = ["cpu", "cpuset", "io", "memory", "pids"],
  enabled = controllers,
): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, ".vsc-scratch"), "");
  writeFileSync(join(dir, "cgroup.controllers"), `${controllers.join(" ")}\n`);
  writeFileSync(join(dir, "cgroup.subtree_control"), `${enabled.join(" ")}\n`);
  writeFileSync(join(dir, "cgroup.procs"), "");
}

export interface ScratchMachine {
  /** Online cpus as the kernel lists them, e.g. "0-1". */
  cpus: string;
  /** MemTotal, bytes (a multiple of 1024). */
  memory: number;
  /** Whole disks, "MAJ:MIN". */
  disks?: string[];
  /** Partitions, "MAJ:MIN" (io limits refuse them). */
  partitions?: string[];
}

/** Describes the machine of the scratch tree at `dir` (see the top of this file). */
export function describeScratchMachine(dir: string, m: ScratchMachine): void {
  const at = (p: string, text: string) => {
    const f = join(dir, MACHINE_DIR, p);
    mkdirSync(join(f, ".."), { recursive: true });
    writeFileSync(f, text);
  };
  at("sys/devices/system/cpu/online", `${m.cpus}\n`);
  at("proc/meminfo", `MemTotal:       ${Math.floor(m.memory / 1024)} kB\nMemFree:        0 kB\n`);
  for (const d of m.disks ?? []) at(`sys/dev/block/${d}/dev`, `${d}\n`);
  for (const d of m.partitions ?? []) {
    at(`sys/dev/block/${d}/dev`, `${d}\n`);
    at(`sys/dev/block/${d}/partition`, "1\n");
  }
}

const MACHINE_DIR = ".vsc-machine";

const fail = (op: string, code: string, text: string): never => {
  throw new KernelError(op, `${text} (${code})`, code);
};

const words = (s: string | undefined) => (s ?? "").split(/\s+/).filter((w) => w !== "");

/** The files every cgroup directory has (the mount root has no cgroup.events). */
const CORE_FILES = [
  "cgroup.controllers",
  "cgroup.events",
  "cgroup.procs",
  "cgroup.subtree_control",
];

const dirOf = (p: string) => (p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : "");

/**
 * A scratch tree is a plain directory that others may be able to write: a
 * symbolic link planted in it must never make vsc (root) read or write
 * elsewhere. Every file is opened with O_NOFOLLOW, and the directory it is
 * in must resolve to itself under the mount (no component is a link).
 */
export function scratchCgroups(base: Kernel, mount: string): Kernel {
  const abs = (p: string) => (p === "" ? mount : join(mount, p));
  const described = () => existsSync(join(mount, MACHINE_DIR));
  const machinePath = (p: string) => join(mount, MACHINE_DIR, p);
  const machineRead = (p: string): string | undefined => {
    if (!described()) return undefined;
    try {
      return readFileSync(machinePath(p), "utf8");
    } catch {
      return undefined;
    }
  };
  /** A whole disk of the described machine (or any device, when none is described). */
  const wholeDisk = (dev: string) =>
    !described() ||
    (existsSync(machinePath(`/sys/dev/block/${dev}`)) &&
      !existsSync(machinePath(`/sys/dev/block/${dev}/partition`)));
  /** Every cpu of a cpu list is online in the described machine (or none is described). */
  const online = (list: string) => {
    const text = machineRead("/sys/devices/system/cpu/online");
    if (text === undefined || list.trim() === "") return true;
    const on = new Set(parseCpuList(text) ?? []);
    return (parseCpuList(list) ?? [-1]).every((c) => on.has(c));
  };
  const sub = (dir: string, name: string) => (dir === "" ? name : `${dir}/${name}`);
  const realMount = realpathSync(mount);

  /** Refuses (ELOOP) when a directory on the way to `dir` is a symbolic link; a missing one is fine. */
  function noLinkIn(dir: string, op: string) {
    let got: string;
    try {
      got = realpathSync(abs(dir));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      throw e;
    }
    if (got !== (dir === "" ? realMount : join(realMount, dir)))
      fail(op, "ELOOP", `${dir} is (or is under) a symbolic link, to ${got}`);
  }

  /** A file's content without following a link; undefined when it does not exist. */
  function rd(p: string): string | undefined {
    noLinkIn(dirOf(p), `read ${p}`);
    let fd = -1;
    try {
      fd = openSync(abs(p), constants.O_RDONLY | constants.O_NOFOLLOW);
      return readFileSync(fd, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  }

  /** Writes (creating it 0644) without following a link. */
  function put(p: string, v: string) {
    noLinkIn(dirOf(p), `write ${p}`);
    const fd = openSync(
      abs(p),
      constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
      0o644,
    );
    try {
      writeSync(fd, v);
    } finally {
      closeSync(fd);
    }
  }

  /** Runs `f`; a raw filesystem error becomes the KernelError a real kernel would give. */
  function asKernel<T>(op: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof KernelError) throw e;
      const m = errnoMessage(e);
      if (m.code === undefined) throw e;
      throw new KernelError(op, m.message, m.code);
    }
  }

  /** Files `path` should hold but lacks: its core files and those of the controllers its parent enables. */
  function incomplete(path: string, files: Set<string>): string[] {
    const enabled = words(rd(sub(dirOf(path), "cgroup.subtree_control")));
    const want = [...CORE_FILES, ...enabled.flatMap((c) => Object.keys(CONTROLLER_FILES[c] ?? {}))];
    return want.filter((f) => !files.has(f)).sort();
  }

  function populate(path: string, controllers: string[]) {
    put(sub(path, "cgroup.controllers"), `${controllers.join(" ")}\n`);
    for (const c of controllers) {
      for (const [f, v] of Object.entries(CONTROLLER_FILES[c] ?? {})) {
        if (rd(sub(path, f)) === undefined) put(sub(path, f), v === "" ? "" : `${v}\n`);
      }
    }
  }

  function unpopulate(path: string, gone: string[]) {
    for (const c of gone)
      for (const f of Object.keys(CONTROLLER_FILES[c] ?? {}))
        rmSync(abs(sub(path, f)), { force: true });
  }

  function writeSubtree(path: string, value: string) {
    const op = `write ${sub(path, "cgroup.subtree_control")} ${JSON.stringify(value)}`;
    const avail = words(rd(sub(path, "cgroup.controllers")));
    const now = new Set(words(rd(sub(path, "cgroup.subtree_control"))));
    const children = base.list(path) ?? [];
    for (const tok of words(value)) {
      const c = tok.slice(1);
      if (tok[0] === "+") {
        if (!avail.includes(c)) fail(op, "ENOENT", "No such file or directory");
        now.add(c);
      } else if (tok[0] === "-") {
        if (
          children.some((k) => words(rd(sub(sub(path, k), "cgroup.subtree_control"))).includes(c))
        )
          fail(op, "EBUSY", "Device or resource busy");
        now.delete(c);
      } else fail(op, "EINVAL", "Invalid argument");
    }
    const enabled = [...now].sort();
    put(sub(path, "cgroup.subtree_control"), `${enabled.join(" ")}\n`);
    for (const k of children) {
      const kp = sub(path, k);
      const had = words(rd(sub(kp, "cgroup.controllers")));
      unpopulate(
        kp,
        had.filter((c) => !now.has(c)),
      );
      populate(kp, enabled);
    }
  }

  function writeIoMax(path: string, value: string) {
    const [dev, ...kvs] = words(value);
    if (!dev || !/^\d+:\d+$/.test(dev))
      fail(`write ${path} ${JSON.stringify(value)}`, "EINVAL", "Invalid argument");
    if (!wholeDisk(dev!))
      fail(`write ${path} ${JSON.stringify(value)}`, "ENODEV", "No such device");
    const lines = new Map<string, Map<string, string>>();
    for (const l of (rd(path) ?? "").split("\n").filter((x) => x.trim() !== "")) {
      const [d, ...rest] = words(l);
      lines.set(d!, new Map(rest.map((kv) => kv.split("=") as [string, string])));
    }
    const cur =
      lines.get(dev!) ?? new Map(["rbps", "wbps", "riops", "wiops"].map((k) => [k, "max"]));
    for (const kv of kvs) {
      const [k, v] = kv.split("=");
      if (!cur.has(k!) || v === undefined)
        fail(`write ${path} ${JSON.stringify(value)}`, "EINVAL", "Invalid argument");
      cur.set(k!, v!);
    }
    if ([...cur.values()].every((v) => v === "max")) lines.delete(dev!);
    else lines.set(dev!, cur);
    const text = [...lines]
      .map(([d, m]) => `${d} ${[...m].map(([k, v]) => `${k}=${v}`).join(" ")}\n`)
      .join("");
    put(path, text);
  }

  function movePid(path: string, pid: string) {
    const walk = (dir: string) => {
      const f = sub(dir, "cgroup.procs");
      const pids = words(rd(f));
      if (pids.includes(pid))
        put(
          f,
          pids
            .filter((p) => p !== pid)
            .map((p) => `${p}\n`)
            .join(""),
        );
      for (const k of base.list(dir) ?? []) walk(sub(dir, k));
    };
    walk("");
    put(path, (rd(path) ?? "") + `${pid.trim()}\n`);
  }

  /**
   * mkdir as the kernel does it: all or nothing. A directory left half-made
   * (by a process killed between its mkdir and its files) is completed.
   */
  function mkdirCgroup(path: string) {
    const op = `mkdir ${path}`;
    noLinkIn(dirOf(path), op);
    const ents = base.entries(path);
    if (ents && incomplete(path, ents.files).length === 0) fail(op, "EEXIST", "File exists");
    if (!ents) mkdirSync(abs(path));
    try {
      if (rd(sub(path, "cgroup.procs")) === undefined) put(sub(path, "cgroup.procs"), "");
      if (rd(sub(path, "cgroup.subtree_control")) === undefined)
        put(sub(path, "cgroup.subtree_control"), "\n");
      put(sub(path, "cgroup.events"), "populated 0\nfrozen 0\n");
      populate(path, words(rd(sub(dirOf(path), "cgroup.subtree_control"))));
    } catch (e) {
      // The kernel never leaves a half-made cgroup: undo a new one whole (a repaired one stays as it was).
      if (!ents) rmSync(abs(path), { recursive: true, force: true });
      throw e;
    }
  }

  return {
    ...base,
    mountKind: () => "scratch",
    machineRead,
    machineHas: (p) =>
      p.startsWith("/run/netns/") ? base.machineHas(p) : described() && existsSync(machinePath(p)),
    read: (path) => asKernel(`read ${path}`, () => rd(path)),
    write(path, value) {
      const op = `write ${path} ${JSON.stringify(value)}`;
      asKernel(op, () => {
        const name = path.slice(path.lastIndexOf("/") + 1);
        const dir = dirOf(path);
        if (rd(path) === undefined) fail(op, "ENOENT", "No such file or directory");
        if (name === "cgroup.subtree_control") return writeSubtree(dir, value);
        if (name === "io.max") return writeIoMax(path, value);
        if (name === "cgroup.procs") return movePid(path, value);
        if (name === "cpuset.cpus" && !online(value))
          fail(op, "ERANGE", "Numerical result out of range");
        put(path, `${value.trim()}\n`);
      });
    },
    mkdir: (path) => asKernel(`mkdir ${path}`, () => mkdirCgroup(path)),
    rmdir(path) {
      const op = `rmdir ${path}`;
      asKernel(op, () => {
        noLinkIn(path, op);
        if (base.list(path) === undefined) fail(op, "ENOENT", "No such file or directory");
        if (words(rd(sub(path, "cgroup.procs"))).length > 0)
          fail(op, "EBUSY", "Device or resource busy");
        if ((base.list(path) ?? []).length > 0) fail(op, "ENOTEMPTY", "Directory not empty");
        for (const f of readdirSync(abs(path))) rmSync(join(abs(path), f), { force: true });
        rmdirSync(abs(path));
      });
    },
    incomplete: (path, files) => asKernel(`read ${path}`, () => incomplete(path, files)),
  };
}

/** Test helper: reads a scratch file as the kernel would print it. */
export const readScratch = (mount: string, path: string): string =>
  readFileSync(join(mount, path), "utf8");
