/**
 * A stand-in for systemd for the driver's host tests (the real one is
 * exercised in the systemd kernel lab, test/kernel/systemd-*.test.ts): it
 * keeps unit states, and on daemon-reload/start writes each active slice's
 * directives into a scratch "cgroup mount" the way systemd maps them. It
 * can be told to ignore a directive (as systemd does with a value it cannot
 * apply) or to fail a command.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunResult, SystemdHost } from "../../src/systemd/host.js";

const FILE_OF: Record<string, string> = {
  CPUWeight: "cpu.weight",
  CPUQuota: "cpu.max",
  AllowedCPUs: "cpuset.cpus",
  MemoryMin: "memory.min",
  MemoryLow: "memory.low",
  MemoryHigh: "memory.high",
  MemoryMax: "memory.max",
  MemorySwapMax: "memory.swap.max",
  TasksMax: "pids.max",
  IOWeight: "io.weight",
};

function kernelValue(key: string, v: string): string {
  if (v === "infinity") return "max";
  // An empty assignment: the default.
  if (v === "" && key !== "CPUQuota")
    return (
      { CPUWeight: "100", IOWeight: "default 100", MemoryMin: "0", MemoryLow: "0" }[key] ?? "max"
    );
  if (key === "CPUQuota") {
    if (v === "") return "max 100000";
    return `${Math.round(Number(v.replace("%", "")) * 1000)} 100000`;
  }
  if (key === "IOWeight") return `default ${v}`;
  return v;
}

export interface FakeSystemd extends SystemdHost {
  root: string;
  units: Record<string, { load: string; active: string; cgroup: string; slice: string }>;
  calls: string[][];
  /** The unit names of each `systemctl show` (not in `calls`). */
  shows: string[][];
  /** Directive keys systemd "ignores" (never realised). */
  ignore: Set<string>;
  /** systemctl verbs that fail. */
  fail: Set<string>;
  booted: boolean;
  /** What `journalctl` prints (systemd's log lines). */
  journal: string[];
  cleanup(): void;
}

export function fakeSystemd(): FakeSystemd {
  const root = mkdtempSync(join(tmpdir(), "vsc-fake-sd-"));
  const unitDir = join(root, "etc/systemd/system");
  const installDir = join(root, "etc/vsc");
  const mount = join(root, "cgroup");
  mkdirSync(unitDir, { recursive: true });
  mkdirSync(mount, { recursive: true });
  const slicePath = (unit: string): string => {
    const base = unit.replace(/\.slice$/, "").split("-");
    const out: string[] = [];
    for (let i = 1; i <= base.length; i++) out.push(base.slice(0, i).join("-") + ".slice");
    return out.join("/");
  };
  const controlDir = join(root, "run/systemd/system.control");
  const active = new Set<string>();
  /** A unit's runtime drop-ins (set-property --runtime), as systemd reads them: after its file. */
  const controlText = (unit: string): string => {
    try {
      const d = join(controlDir, `${unit}.d`);
      return readdirSync(d)
        .sort()
        .map((f) => readFileSync(join(d, f), "utf8"))
        .join("\n");
    } catch {
      return "";
    }
  };
  const realize = (h: FakeSystemd, only?: string) => {
    for (const unit of only ? [only] : active) {
      let text: string;
      try {
        text = readFileSync(join(unitDir, unit), "utf8");
      } catch {
        continue;
      }
      text += `\n${controlText(unit)}`;
      const dir = join(mount, slicePath(unit));
      mkdirSync(dir, { recursive: true });
      for (const line of text.split("\n")) {
        const m = /^([A-Za-z]+)=(.*)$/.exec(line);
        if (!m || !FILE_OF[m[1]!] || h.ignore.has(m[1]!)) continue;
        writeFileSync(join(dir, FILE_OF[m[1]!]!), kernelValue(m[1]!, m[2]!) + "\n");
      }
    }
  };
  const dropInSlice = (unit: string): string | undefined => {
    try {
      const t = readFileSync(join(unitDir, `${unit}.d/50-vsc.conf`), "utf8");
      return /^Slice=(.*)$/m.exec(t)?.[1];
    } catch {
      return undefined;
    }
  };
  const h: FakeSystemd = {
    root,
    unitDir,
    installDir,
    cgroupMount: mount,
    controlDir,
    units: {},
    calls: [],
    shows: [],
    ignore: new Set(),
    fail: new Set(),
    booted: true,
    journal: [],
    cleanup: () => rmSync(root, { recursive: true, force: true }),
    which: (t) => (t === "systemctl" ? "/bin/systemctl" : undefined),
    systemdBooted: () => h.booted,
    readCgroup(path, file) {
      try {
        return readFileSync(join(mount, path, file), "utf8").replace(/\n$/, "");
      } catch {
        return undefined;
      }
    },
    run(argv): RunResult {
      const ok = (out = ""): RunResult => ({ ok: true, status: 0, out, err: "" });
      if (argv[0] === "journalctl") return ok(h.journal.map((l) => `${l}\n`).join(""));
      if (argv[0] !== "systemctl") return { ok: false, status: 1, out: "", err: "not faked" };
      const [verb, ...rest] = argv.slice(1);
      const names = rest.filter((x) => x !== "--");
      if (verb !== "show") h.calls.push(argv.slice(1));
      if (h.fail.has(verb!))
        return { ok: false, status: 1, out: "", err: `Failed to ${verb}: faked` };
      switch (verb) {
        case "daemon-reload":
          realize(h);
          return ok();
        case "start":
          for (const n of names) {
            if (n.endsWith(".target")) {
              h.units[n] = { load: "loaded", active: "active", cgroup: "", slice: "" };
              const t = readFileSync(join(unitDir, n), "utf8");
              for (const m of t.matchAll(/^Wants=(.*\.slice)$/gm)) active.add(m[1]!);
              for (const m of t.matchAll(/^Wants=(.*\.service)$/gm))
                h.units[m[1]!] = {
                  load: "loaded",
                  active: "active",
                  cgroup: `/system.slice/${m[1]}`,
                  slice: "system.slice",
                };
            }
          }
          for (const n of names) if (n.endsWith(".slice")) active.add(n);
          realize(h);
          return ok();
        case "set-property": {
          // --runtime: a drop-in per directive under the control directory, set at once.
          const [, unit, ...assignments] = names;
          const d = join(controlDir, `${unit}.d`);
          mkdirSync(d, { recursive: true });
          const lists: Record<string, string[]> = {};
          for (const a of assignments) {
            const name = a.slice(0, a.indexOf("="));
            lists[name] = a.endsWith("=") ? [] : [...(lists[name] ?? []), a];
            writeFileSync(
              join(d, `50-${name}.conf`),
              `[Slice]\n${lists[name]!.join("\n") || `${name}=`}\n`,
            );
          }
          if (active.has(unit!)) realize(h, unit);
          return ok();
        }
        case "restart":
          for (const n of names) {
            const u = h.units[n];
            if (!u) continue;
            const s = dropInSlice(n) ?? u.slice;
            u.cgroup = `/${s === u.slice ? u.slice : slicePath(s)}/${n}`;
            u.active = "active";
          }
          return ok();
        case "stop":
          for (const n of names) {
            active.delete(n);
            if (h.units[n]) h.units[n]!.active = "inactive";
            if (n.endsWith(".slice"))
              rmSync(join(mount, slicePath(n)), { recursive: true, force: true });
          }
          return ok();
        case "show": {
          h.shows.push(names.slice(2));
          const out = names
            .slice(2)
            .map((n) => {
              const u = h.units[n];
              return u
                ? `Id=${n}\nLoadState=${u.load}\nActiveState=${u.active}\nControlGroup=${u.cgroup}\n`
                : `Id=${n}\nLoadState=not-found\nActiveState=inactive\nControlGroup=\n`;
            })
            .join("\n");
          return ok(out);
        }
        default:
          return { ok: false, status: 1, out: "", err: `unknown verb ${verb}` };
      }
    },
  };
  return h;
}

/** Every file under the fake unit dir, relative, sorted. */
export function listUnitDir(h: FakeSystemd): string[] {
  const out: string[] = [];
  for (const e of readdirSync(h.unitDir, { withFileTypes: true })) {
    if (e.isDirectory())
      for (const f of readdirSync(join(h.unitDir, e.name))) out.push(`${e.name}/${f}`);
    else out.push(e.name);
  }
  return out.sort();
}
