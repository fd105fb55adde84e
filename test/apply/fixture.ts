/**
 * Hand-made desired states and kernels for the applier's tests (the emitter
 * builds real ones from .vsc files; these pin the shapes the applier needs).
 */
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DesiredCgroup, DesiredState } from "../../src/model/desired.js";
import type { Kernel } from "../../src/apply/kernel.js";
import { KernelError } from "../../src/apply/kernel.js";
import { hostKernel } from "../../src/apply/host-kernel.js";
import { makeScratchMount } from "../../src/apply/scratch.js";

export interface Ctx {
  name: string;
  parent?: string;
  weight?: string;
  memMax?: string;
  pids?: string;
}

export interface SampleOptions {
  contexts?: Ctx[];
  /** Extra text inside the nft table (changes the digest). */
  nftExtra?: string;
  /** cgroup paths named by the rules. */
  nftCgroups?: string[];
  links?: {
    dev: string;
    classes: {
      id: number;
      rate: number;
      ceil: number;
      quantum: number;
      leaf?: string;
      /** Parent class minor (traffic classes, language-v2.md §3); default fffe. */
      parent?: number;
      prio?: number;
    }[];
  }[];
  cgroupRoot?: string;
}

export const DEFAULT_CONTEXTS: Ctx[] = [
  { name: "web-tier", weight: "400", memMax: "4294967296" },
  {
    name: "web",
    parent: "web-tier",
    weight: "200",
    memMax: "2147483648",
    pids: "512",
  },
  { name: "batch", weight: "100", memMax: "536870912", pids: "256" },
];

export function sampleDesired(o: SampleOptions = {}): DesiredState {
  const root = o.cgroupRoot ?? "vsc";
  const ctxs = o.contexts ?? DEFAULT_CONTEXTS;
  const parents = new Set(ctxs.map((c) => c.parent).filter((p) => p !== undefined));
  const pathOf = (c: Ctx): string => {
    const p = c.parent ? ctxs.find((x) => x.name === c.parent)! : undefined;
    return p ? `${pathOf(p)}/${c.name}` : `${root}/${c.name}`;
  };
  const cgroups: DesiredCgroup[] = [
    {
      path: root,
      kind: "root",
      name: root,
      subtreeControl: ["cpu", "memory", "pids"],
      files: [],
      source: "x.vsc:1",
    },
  ];
  const sorted = ctxs.map((c) => ({ c, p: pathOf(c) })).sort((a, b) => (a.p < b.p ? -1 : 1));
  for (const { c, p } of sorted) {
    const inner = parents.has(c.name);
    cgroups.push({
      path: p,
      kind: inner ? "class" : "context",
      name: c.name,
      subtreeControl: inner ? ["cpu", "memory", "pids"] : [],
      files: [
        { name: "cpu.weight", value: c.weight ?? "100" },
        { name: "memory.max", value: c.memMax ?? "max" },
        { name: "pids.max", value: c.pids ?? "max" },
      ],
      source: "x.vsc:2",
    });
  }
  // Parents before children: sort by depth, then path.
  cgroups.sort(
    (a, b) => a.path.split("/").length - b.path.split("/").length || (a.path < b.path ? -1 : 1),
  );
  const rules = `${o.nftExtra ?? ""}`;
  // As the emitter does it: the digest is the sha256 of the text with an empty digest slot.
  const blank =
    `table inet vsc {}\ndelete table inet vsc\ntable inet vsc {\n` +
    `  chain output {\n    comment "vsc:"\n    type filter hook output priority 0; policy accept;\n${rules}  }\n}\n`;
  const digest = createHash("sha256").update(blank).digest("hex");
  const ruleset = blank.replace('comment "vsc:"', `comment "vsc:${digest}"`);
  return {
    host: "node1",
    cgroupRoot: root,
    cgroups,
    nft: {
      family: "inet",
      table: "vsc",
      ruleset,
      digest,
      cgroupPaths: o.nftCgroups ?? [],
    },
    links: (o.links ?? []).map((l) => ({
      dev: l.dev,
      rate: 1_000_000_000,
      handle: "1:",
      defaultClassid: "1:fffe",
      classes: l.classes.map((c) => ({
        classid: `1:${c.id.toString(16)}`,
        parent: `1:${(c.parent ?? 0xfffe).toString(16)}`,
        rate: c.rate,
        ceil: c.ceil,
        quantum: c.quantum,
        ...(c.prio !== undefined ? { prio: c.prio } : {}),
        ...(c.leaf ? { leafQdisc: c.leaf } : {}),
        name: `c${c.id}`,
        source: "x.vsc:3",
      })),
      source: "x.vsc:4",
    })),
  };
}

/**
 * Where a big scratch tree goes: cgroupfs lives in memory (kernfs), so a
 * tree of thousands of cgroups belongs on tmpfs, not on a disk whose journal
 * would be what a benchmark measures (ext4 here: 1.4 to 5 s for the floor's
 * 40,000 small files, against 0.4 s on tmpfs). /dev/shm when it is a
 * directory with `bytes` free, else the system's temporary directory.
 */
export function scratchBase(bytes: number): string {
  try {
    const st = statfsSync("/dev/shm");
    if (st.bavail * st.bsize >= bytes) return "/dev/shm";
  } catch {
    // no /dev/shm: fall through
  }
  return tmpdir();
}

/** A fresh scratch cgroup mount (and a state dir beside it), under `base`. */
export function scratch(base = tmpdir()): {
  mount: string;
  stateDir: string;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(base, "vsc-apply-"));
  const mount = join(dir, "cg");
  makeScratchMount(mount);
  return {
    mount,
    stateDir: join(dir, "state"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface Counted extends Kernel {
  writes: number;
  log: string[];
}

/**
 * Wraps a kernel: counts every change (write, mkdir, rmdir, nft/tc that change
 * things) and fails the change for which `fail` returns a message.
 */
export function instrument(k: Kernel, fail?: (op: string) => string | undefined): Counted {
  const c: Counted = {
    ...k,
    writes: 0,
    log: [],
    read: (p) => k.read(p),
    list: (p) => k.list(p),
    entries: (p) => k.entries(p),
    write(p, v) {
      const op = `write ${p} ${v}`;
      maybeFail(op);
      c.writes++;
      c.log.push(op);
      k.write(p, v);
    },
    mkdir(p) {
      maybeFail(`mkdir ${p}`);
      c.writes++;
      c.log.push(`mkdir ${p}`);
      k.mkdir(p);
    },
    rmdir(p) {
      maybeFail(`rmdir ${p}`);
      c.writes++;
      c.log.push(`rmdir ${p}`);
      k.rmdir(p);
    },
    run(tool, args, input) {
      const reading =
        args.includes("show") ||
        args.includes("list") ||
        args.includes("-c") ||
        (input ?? "").startsWith("list ") ||
        (input ?? "").startsWith("qdisc show") ||
        (input ?? "").startsWith("link show") ||
        args[0] === "--version" ||
        args[0] === "-V";
      if (!reading) {
        const op = `${tool} ${args.join(" ")}`;
        const m = fail?.(`${op}\n${input ?? ""}`);
        if (m) return { status: 1, stdout: "", stderr: m };
        c.writes++;
        c.log.push(op);
      }
      return k.run(tool, args, input);
    },
  };
  function maybeFail(op: string) {
    const m = fail?.(op);
    if (m) throw new KernelError(op, m, "EINVAL");
  }
  return c;
}

/** Every file under a directory with its content: a snapshot to compare before/after. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const r = rel ? `${rel}/${n}` : n;
      if (statSync(p).isDirectory()) {
        out[`${r}/`] = "";
        walk(p, r);
      } else out[r] = readFileSync(p, "utf8");
    }
  };
  walk(dir, "");
  return out;
}

export const scratchKernel = (mount: string, netns?: string) =>
  hostKernel({ cgroupMount: mount, ...(netns ? { netns } : {}) });

/** Scratch namespaces not deleted yet: deleted when the process exits, if a test forgot. */
const liveNetns = new Set<string>();
process.on("exit", () => {
  for (const name of liveNetns) spawnSync("ip", ["netns", "del", name]);
});

/** A scratch network namespace with links `names` (veth pairs, up); null when this host cannot. */
export function scratchNetns(names: string[]): { name: string; cleanup: () => void } | null {
  const name = `vsc-a-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  if (spawnSync("ip", ["netns", "add", name]).status !== 0) return null;
  liveNetns.add(name);
  for (const n of names) {
    spawnSync("ip", ["-n", name, "link", "add", n, "type", "veth", "peer", "name", `${n}p`]);
    spawnSync("ip", ["-n", name, "link", "set", n, "up"]);
    spawnSync("ip", ["-n", name, "link", "set", `${n}p`, "up"]);
  }
  const cleanup = () => {
    liveNetns.delete(name);
    spawnSync("ip", ["netns", "del", name]);
  };
  return { name, cleanup };
}

/**
 * nft and tc faked (no netns): `list tables` / `list chains` print what was
 * loaded, loads and deletes succeed; `extraTables` are tables some other
 * agent holds (listed by `list tables`). tc changes succeed, reads say empty.
 */
export function fakeTools(k: Kernel, extraTables: string[] = []): Kernel & { tables: string[] } {
  let table: string | undefined;
  const self = {
    ...k,
    tables: extraTables,
    run(tool: "nft" | "tc" | "ip", args: string[], input?: string) {
      if (tool === "nft" && input?.startsWith("list tables")) {
        const m = table ? /comment "vsc:([0-9a-f]+)"/.exec(table) : null;
        const all = [...self.tables, ...(table ? ["inet vsc"] : [])].sort();
        return {
          status: 0,
          stdout:
            all.map((t) => `table ${t}\n`).join("") +
            (table
              ? `table inet vsc {\n\tchain output {\n\t\tcomment "vsc:${m?.[1]}"\n\t}\n}\n`
              : ""),
          stderr: "",
        };
      }
      if (tool === "nft" && args[0] === "-f") table = input;
      if (tool === "nft" && args[0] === "delete") table = undefined;
      return { status: 0, stdout: "", stderr: "" };
    },
  };
  return self;
}
