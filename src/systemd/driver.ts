/**
 * Plan, apply, destroy and show under `driver systemd` (language-v2.md §6,
 * docs/systemd.md). vsc writes unit files and drop-ins, never a cgroup file:
 *  - desired: the generated files (src/emit/systemd.ts) plus ruleset.nft and
 *    tc.batch for vsc-net.service, the [Install] links, and the cgroup values
 *    systemd must realise in each slice (the same values cgroup.sh writes);
 *  - observed: the files under the unit directory that carry vsc's header
 *    (nothing else is ever read as vsc's, changed or removed), the links,
 *    the slices' live cgroup values and the listed units' load state and cgroup;
 *  - plan: `+ ~ -` per file, `~` per live value, the units that must restart
 *    to move, and a fingerprint of what was observed (a saved plan whose
 *    fingerprint no longer matches is refused);
 *  - apply: files written (each previous text kept), one daemon-reload,
 *    `systemctl start` of the target (slices and vsc-net.service), restarts
 *    only when approved, then every value read back; any failure restores the
 *    previous files and reloads again.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { Diagnostic } from "../diag/diagnostic.js";
import { renderTcBatch } from "../emit/index.js";
import { type SystemdArtifacts, systemdArtifacts } from "../emit/systemd.js";
import type { VscIr } from "../ir/types.gen.js";
import { desiredState } from "../model/state.js";
import type { SystemdHost } from "./host.js";
import {
  GENERATED,
  ensureDir,
  readGeneratedFiles,
  readLink,
  readUnitFile,
  removeEntry,
  writeLink,
  writeUnitFile,
} from "./unit-dir.js";

export const SdCode = {
  systemctlMissing: "VSC5200",
  notSystemd: "VSC5201",
  unitMissing: "VSC5202",
  systemdRefused: "VSC5203",
  systemctlFailed: "VSC5204",
  cgroupfsOnSystemd: "VSC5205",
  stalePlan: "VSC5206",
  locked: "VSC5207",
  notOurs: "VSC5208",
  rollbackIncomplete: "VSC5209",
  notAPlan: "VSC5210",
} as const;

/** Which directory a file goes to. */
export type FileRoot = "unit" | "install";

export interface SdFile {
  root: FileRoot;
  path: string;
  text: string;
}

export interface SdValue {
  /** cgroup interface file, "cpu.weight". */
  file: string;
  /** The directive that sets it, "CPUWeight". */
  directive: string;
  value: string;
}

export interface SdDesired {
  host: string;
  cgroupRoot: string;
  files: SdFile[];
  links: { path: string; target: string }[];
  slices: { unit: string; cgroupPath: string; values: SdValue[] }[];
  dropIns: { unit: string; slice: string; sliceCgroup: string }[];
  target: string;
  netService: string;
}

/** A slice's cgroup file -> the systemd directive that sets it. */
export const DIRECTIVE_OF: Record<string, string> = {
  "cpu.weight": "CPUWeight",
  "cpu.max": "CPUQuota",
  "cpuset.cpus": "AllowedCPUs",
  "memory.min": "MemoryMin",
  "memory.low": "MemoryLow",
  "memory.high": "MemoryHigh",
  "memory.max": "MemoryMax",
  "memory.swap.max": "MemorySwapMax",
  "pids.max": "TasksMax",
  "io.weight": "IOWeight",
  "io.max": "IO*Max",
};

export function sdDesired(ir: VscIr): SdDesired {
  const d = desiredState(ir);
  const art: SystemdArtifacts = systemdArtifacts(ir, d.cgroups);
  const files: SdFile[] = art.files.map((f) => ({ root: "unit", path: f.path, text: f.text }));
  files.push({ root: "install", path: "ruleset.nft", text: d.nft.ruleset });
  // tc.batch only matters with links; the service runs it only then.
  if (d.links.length > 0) {
    files.push({ root: "install", path: "tc.batch", text: renderTcBatch(ir, d) });
  }
  const slices = art.slices.map((s, i) => {
    const c = d.cgroups[i]!;
    const values: SdValue[] = [];
    for (const f of c.files) {
      const directive = DIRECTIVE_OF[f.name];
      if (!directive) continue; // cpu.max.burst: refused by the checker unless 0
      if (f.name === "io.max" && ir.host.disks.length === 0) continue;
      values.push({ file: f.name, directive, value: f.value });
    }
    return { unit: s.unit, cgroupPath: s.cgroupPath, values };
  });
  const sliceCg = new Map(art.slices.map((s) => [s.unit, s.cgroupPath]));
  return {
    host: ir.host.name,
    cgroupRoot: ir.host.cgroupRoot,
    files,
    links: art.links,
    slices,
    dropIns: art.dropIns.map((x) => ({
      unit: x.unit,
      slice: x.slice,
      sliceCgroup: sliceCg.get(x.slice)!,
    })),
    target: art.target,
    netService: art.netService,
  };
}

export interface UnitState {
  load: string;
  active: string;
  cgroup: string;
}

export interface SdObserved {
  /** vsc's files now on disk, by "root:path". */
  files: Record<string, string>;
  /** Desired paths held by something that is not vsc's (a foreign file, a symlink). */
  foreign: string[];
  links: Record<string, string>;
  /** Live cgroup values by slice unit, then file (null: absent). */
  values: Record<string, Record<string, string | null>>;
  units: Record<string, UnitState>;
  netActive: boolean;
  /** Whether the target is active (absent in observations of older vsc). */
  targetActive?: boolean;
}

/**
 * Where a plan's time goes: milliseconds by phase, added up over calls
 * (bench/systemd-lab.ts prints them). Absent: nothing is timed.
 */
export type Phases = Record<string, number>;

/** A clock for `phases`: each call books the time since the previous one to `name`. */
export function phaseClock(phases?: Phases): (name: string) => void {
  if (!phases) return () => {};
  let t = performance.now();
  return (name) => {
    const now = performance.now();
    phases[name] = (phases[name] ?? 0) + (now - t);
    t = now;
  };
}

const key = (root: FileRoot, path: string) => `${root}:${path}`;
const dirOf = (h: SystemdHost, root: FileRoot) => (root === "unit" ? h.unitDir : h.installDir);

/**
 * vsc's links in the unit directory: the target's `multi-user.target.wants`
 * link and any `sys-subsystem-net-devices-*.device.wants/<net service>` link
 * (`dirs`: the unit directory's subdirectories, from its one listing).
 */
function ownedLinkPaths(
  h: SystemdHost,
  dirs: string[],
  netService: string,
  target: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  const check = (p: string) => {
    const t = readLink(h.unitDir, p);
    if (t !== undefined && (t === `../${netService}` || t === `../${target}`)) out[p] = t;
  };
  check(`multi-user.target.wants/${target}`);
  for (const d of dirs)
    if (/^sys-subsystem-net-devices-.*\.device\.wants$/.test(d)) check(`${d}/${netService}`);
  return out;
}

/**
 * What is on the host now, for what `want` manages. `phases` (the
 * benchmark's): the time of each part, added to it.
 */
export function sdObserve(
  h: SystemdHost,
  want: SdDesired,
  extraUnits: string[] = [],
  phases?: Phases,
): SdObserved {
  const lap = phaseClock(phases);
  const files: Record<string, string> = {};
  // Only the names vsc writes: its header alone does not make any file vsc's.
  // One listing of the unit directory serves the files and the links.
  const dirs: string[] = [];
  for (const [p, text] of readGeneratedFiles(h.unitDir, isOwnedUnitPath, dirs))
    files[key("unit", p)] = text;
  for (const p of ["ruleset.nft", "tc.batch"]) {
    const t = readUnitFile(h.installDir, p);
    if (t !== undefined && t.startsWith(GENERATED)) files[key("install", p)] = t;
  }
  const foreign: string[] = [];
  for (const f of want.files) {
    const k = key(f.root, f.path);
    if (k in files) continue;
    const dir = dirOf(h, f.root);
    try {
      fs.lstatSync(join(dir, f.path));
      foreign.push(join(dir, f.path));
    } catch {
      /* absent: fine */
    }
  }
  lap("observe: unit files");
  const links = ownedLinkPaths(h, dirs, want.netService, want.target);
  lap("observe: links");
  const values: Record<string, Record<string, string | null>> = {};
  for (const s of want.slices) {
    const v: Record<string, string | null> = {};
    for (const x of s.values) v[x.file] = h.readCgroup(s.cgroupPath, x.file) ?? null;
    values[s.unit] = v;
  }
  lap("observe: cgroup values");
  // The listed units, and those that have vsc's drop-in now: a unit taken out
  // of `units` loses it and, running in vsc's slice, must restart to go back
  // to its own (the plan lists it; unobserved, it stayed in vsc's slice).
  const dropped: string[] = [];
  for (const k of Object.keys(files)) {
    const m = /^unit:(.+)\.d\/50-vsc\.conf$/.exec(k);
    if (m) dropped.push(m[1]!);
  }
  const names = [
    ...new Set([...want.dropIns.map((d) => d.unit), ...dropped, ...extraUnits]),
  ].sort();
  // One `systemctl show` for the listed units and vsc's own two (it was one
  // each when units were listed): every systemctl run is a process start and
  // a D-Bus connection.
  const shown = showUnits(h, [...new Set([...names, want.netService, want.target])]);
  const units: Record<string, UnitState> = {};
  for (const n of names) units[n] = shown[n]!;
  lap("observe: systemctl show");
  return {
    files,
    foreign,
    links,
    values,
    units,
    netActive: shown[want.netService]?.active === "active",
    targetActive: shown[want.target]?.active === "active",
  };
}

/** `systemctl show` of Id, LoadState, ActiveState and ControlGroup for each unit. */
export function showUnits(h: SystemdHost, names: string[]): Record<string, UnitState> {
  const out: Record<string, UnitState> = {};
  if (names.length === 0) return out;
  const r = h.run([
    "systemctl",
    "show",
    "-p",
    "Id,LoadState,ActiveState,ControlGroup",
    "--",
    ...names,
  ]);
  const blocks = r.out.split(/\n\s*\n/);
  for (let i = 0; i < names.length; i++) {
    const b = blocks[i] ?? "";
    const get = (k: string) => new RegExp(`^${k}=(.*)$`, "m").exec(b)?.[1] ?? "";
    out[names[i]!] = {
      load: get("LoadState"),
      active: get("ActiveState"),
      cgroup: get("ControlGroup"),
    };
  }
  return out;
}

const OWNED_UNIT =
  /^(?:[^/]+\.slice|[^/]+\.target|[^/]+-net\.service|[^/]+\.(?:service|socket|mount|swap)\.d\/50-vsc\.conf)$/;
export const isOwnedUnitPath = (p: string): boolean => OWNED_UNIT.test(p);

export interface SdFileChange {
  op: "+" | "~" | "-";
  root: FileRoot;
  path: string;
  /** The new text (absent for "-"). */
  text?: string;
}

export interface SdPlan {
  "vsc-systemd-plan": 1;
  host: string;
  cgroupRoot: string;
  unitDir: string;
  installDir: string;
  fingerprint: string;
  files: SdFileChange[];
  links: { op: "+" | "-"; path: string; target?: string }[];
  /** Live values that differ now (systemd sets them on reload/start; no restart). */
  properties: { unit: string; directive: string; file: string; from: string | null; to: string }[];
  /** Listed units that run elsewhere now and must restart to move (asked before). */
  restarts: { unit: string; from: string; to: string }[];
  /** Slices no longer desired, stopped once empty. */
  stops: string[];
  /** vsc-net.service must (re)load the ruleset and tc batch. */
  reloadNet: boolean;
  /**
   * Whether vsc-net.service was active (then a reload restarts it; else
   * starting the target starts it). Absent in plans of older vsc: restart.
   */
  netActive?: boolean;
  /**
   * Whether `systemctl start` of the target is needed: something to start (a
   * new unit file, a slice whose cgroup is absent, an inactive target or net
   * service). A changed value of a running slice needs only the reload.
   * Absent in plans of older vsc: start.
   */
  start?: boolean;
  /** destroy: also stop the target and the net service, delete table inet vsc and these links' root qdiscs. */
  destroy?: { links: string[] };
  /**
   * The undo of `apply --confirm` (src/apply/confirm-systemd.ts), where the
   * net service stays active: sdApply loads the network itself instead of
   * restarting the service, and first (before the daemon-reload) when every
   * cgroup the ruleset names exists. `nft`: "load" runs what the service
   * runs (`nft -f` of the ruleset file), "delete" deletes table inet vsc;
   * `tc`: `tc -batch` of the batch file; `dropRoots`: links whose root
   * qdisc (vsc's HTB) is deleted, in the same tc call.
   */
  loadNet?: { nft: "load" | "delete" | "none"; tc: boolean; dropRoots: string[] };
  /**
   * The undo of `apply --confirm` only: what comes back before systemd's
   * daemon-reload (4-15 s in the emulated lab, where one `systemctl
   * set-property` took 0.4 s). `runtime`: each running slice's previous
   * directives, set with `systemctl set-property --runtime` (systemd writes
   * them to the cgroup at once and keeps them as drop-ins under
   * /run/systemd/system.control, which sdApply removes again before the
   * reload, which then reads the same values from the restored files; a
   * slice that already has runtime drop-ins of someone else's is left to
   * the reload). `starts`: the slices the apply removed, started from their
   * restored files (systemd loads a unit it has not loaded without a
   * reload). The slices the apply created are stopped in the same phase,
   * unless a unit that must restart runs in one of them.
   */
  early?: { runtime: { unit: string; assignments: string[] }[]; starts: string[] };
  target: string;
  netService: string;
  /** Desired live values, read back after apply. */
  verify: { unit: string; cgroupPath: string; values: SdValue[] }[];
  /** Listed units: where they must run after apply. */
  placement: { unit: string; cgroup: string }[];
  /** Every desired file's place (what was observed to make the fingerprint). */
  wantFiles: { root: FileRoot; path: string }[];
}

/**
 * A digest of everything observed. Fed to the hash piece by piece, each piece
 * length-prefixed (so no two different observations feed the same bytes),
 * instead of one JSON text of the whole: a third less time for 1,000
 * contexts (host: 40-60 ms before).
 */
export function fingerprintOf(o: SdObserved): string {
  const hash = createHash("sha256");
  const put = (s: string | boolean | null) =>
    hash.update(
      s === null ? "~;" : typeof s === "boolean" ? (s ? "T;" : "F;") : `${s.length}:${s};`,
    );
  const byKey = (a: [string, unknown], b: [string, unknown]) =>
    a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
  put("files");
  for (const [k, t] of Object.entries(o.files).sort(byKey)) (put(k), put(t));
  put("foreign");
  for (const f of o.foreign.slice().sort()) put(f);
  put("links");
  for (const [k, t] of Object.entries(o.links).sort(byKey)) (put(k), put(t));
  put("values");
  for (const [k, v] of Object.entries(o.values).sort(byKey)) {
    put(k);
    for (const [f, x] of Object.entries(v).sort(byKey)) (put(f), put(x));
  }
  put("units");
  for (const [k, u] of Object.entries(o.units).sort(byKey))
    (put(k), put(u.load), put(u.active), put(u.cgroup));
  put(o.netActive);
  put(o.targetActive ?? null);
  return hash.digest("hex");
}

export interface PlanResult {
  plan?: SdPlan;
  diagnostics: Diagnostic[];
}

/** Preflight: systemctl there, systemd PID 1. */
export function sdPreflight(h: SystemdHost): Diagnostic[] {
  if (!h.which("systemctl"))
    return [
      {
        code: SdCode.systemctlMissing,
        severity: "error",
        message: "driver systemd needs systemctl, which is not installed here",
        help: "install systemd, or set `driver cgroupfs` in the host block",
        notes: ["nothing was changed"],
      },
    ];
  if (!h.systemdBooted())
    return [
      {
        code: SdCode.notSystemd,
        severity: "error",
        message:
          "driver systemd, but systemd is not PID 1 on this machine (/run/systemd/system is missing)",
        help: "use `driver cgroupfs` on hosts that systemd does not run",
        notes: ["nothing was changed"],
      },
    ];
  return [];
}

/** The plan from desired to observed (pure). */
export function sdPlan(
  h: SystemdHost,
  want: SdDesired,
  o: SdObserved,
  destroy?: { links: string[] },
  phases?: Phases,
): PlanResult {
  const lap = phaseClock(phases);
  const diagnostics: Diagnostic[] = [];
  if (o.foreign.length > 0) {
    return {
      diagnostics: [
        {
          code: SdCode.notOurs,
          severity: "error",
          message: `${o.foreign[0]} exists and was not written by vsc${o.foreign.length > 1 ? ` (and ${o.foreign.length - 1} more)` : ""}`,
          help: "vsc never edits a unit file it did not write: move it away (or rename the context), then plan again",
          notes: ["nothing was changed"],
        },
      ],
    };
  }
  const files: SdFileChange[] = [];
  const wanted = new Set<string>();
  for (const f of want.files) {
    const k = key(f.root, f.path);
    wanted.add(k);
    const now = o.files[k];
    if (now === undefined) files.push({ op: "+", root: f.root, path: f.path, text: f.text });
    else if (now !== f.text) files.push({ op: "~", root: f.root, path: f.path, text: f.text });
  }
  for (const k of Object.keys(o.files).sort()) {
    if (wanted.has(k)) continue;
    const [root, path] = [k.slice(0, k.indexOf(":")) as FileRoot, k.slice(k.indexOf(":") + 1)];
    files.push({ op: "-", root, path });
  }
  const links: SdPlan["links"] = [];
  const wantLinks = new Set(want.links.map((l) => l.path));
  for (const l of want.links)
    if (o.links[l.path] !== l.target) links.push({ op: "+", path: l.path, target: l.target });
  for (const p of Object.keys(o.links).sort())
    if (!wantLinks.has(p)) links.push({ op: "-", path: p });
  const properties: SdPlan["properties"] = [];
  for (const s of want.slices)
    for (const v of s.values) {
      const now = o.values[s.unit]?.[v.file] ?? null;
      if (now !== v.value)
        properties.push({
          unit: s.unit,
          directive: v.directive,
          file: v.file,
          from: now,
          to: v.value,
        });
    }
  const restarts: SdPlan["restarts"] = [];
  for (const d of want.dropIns) {
    const u = o.units[d.unit];
    if (!u || u.load === "not-found" || u.load === "") {
      diagnostics.push({
        code: SdCode.unitMissing,
        severity: "warning",
        message: `unit ${d.unit} (listed in a context) does not exist on this host`,
        help: "its drop-in is written anyway and takes effect when the unit is installed; check the name",
      });
      continue;
    }
    const to = `/${d.sliceCgroup}/${d.unit}`;
    if (u.active === "active" && u.cgroup !== to)
      restarts.push({ unit: d.unit, from: u.cgroup, to });
  }
  // Units that lose their drop-in and still run in a vsc slice go back by a restart.
  const listed = new Set(want.dropIns.map((d) => d.unit));
  for (const f of files) {
    if (f.op !== "-" || f.root !== "unit" || !f.path.endsWith("/50-vsc.conf")) continue;
    const unit = f.path.slice(0, -"/50-vsc.conf".length).replace(/\.d$/, "");
    if (listed.has(unit)) continue;
    const u = o.units[unit];
    if (u && u.active === "active") restarts.push({ unit, from: u.cgroup, to: "(its own slice)" });
  }
  const wantSlices = new Set(want.slices.map((s) => s.unit));
  const stops = files
    .filter(
      (f) =>
        f.op === "-" && f.root === "unit" && f.path.endsWith(".slice") && !wantSlices.has(f.path),
    )
    .map((f) => f.path);
  // Stopping a slice stops the slices below it: name only the top-most ones
  // (1,000 names in one call time out on systemd's bus under load).
  const topStops = topMost(stops);
  stops.length = 0;
  stops.push(...topStops);
  const installChanged = files.some((f) => f.root === "install" || f.path === want.netService);
  const reloadNet = !destroy && want.files.length > 0 && (installChanged || !o.netActive);
  const start =
    !destroy &&
    want.slices.length > 0 &&
    (files.some((f) => f.op === "+" && f.root === "unit" && !f.path.includes("/")) ||
      properties.some((x) => x.from === null) ||
      !o.netActive ||
      o.targetActive !== true);
  if (destroy && (files.length > 0 || o.netActive)) stops.unshift(want.netService, want.target);
  lap("plan: diff");
  const plan: SdPlan = {
    "vsc-systemd-plan": 1,
    host: want.host,
    cgroupRoot: want.cgroupRoot,
    unitDir: h.unitDir,
    installDir: h.installDir,
    fingerprint: "",
    files,
    links,
    properties,
    restarts,
    stops,
    reloadNet,
    netActive: o.netActive,
    start,
    target: want.target,
    netService: want.netService,
    verify: want.slices,
    placement: want.dropIns.map((d) => ({ unit: d.unit, cgroup: `/${d.sliceCgroup}/${d.unit}` })),
    wantFiles: want.files.map((f) => ({ root: f.root, path: f.path })),
    ...(destroy && (files.length > 0 || o.netActive) ? { destroy } : {}),
  };
  // The fingerprint is hashed when first read (a plan saved with --out or
  // printed as JSON), once: a plan that is only printed never reads it. It
  // was 6% of a no-op plan of 1,000 contexts: 16 of 250 ms on a host, 0.24
  // of 4.52 s in the kernel lab (docs/systemd.md). `o` is never changed
  // after it is observed, so the value is the one hashing it here would give.
  Object.defineProperty(plan, "fingerprint", {
    enumerable: true,
    configurable: true,
    get() {
      const t = performance.now();
      const v = fingerprintOf(o);
      if (phases)
        phases["plan: fingerprint"] = (phases["plan: fingerprint"] ?? 0) + performance.now() - t;
      Object.defineProperty(plan, "fingerprint", { value: v, enumerable: true, writable: true });
      return v;
    },
    set(v: string) {
      Object.defineProperty(plan, "fingerprint", { value: v, enumerable: true, writable: true });
    },
  });
  return { plan, diagnostics };
}

/** Whether applying changes anything. */
export const sdPlanEmpty = (p: SdPlan): boolean =>
  p.files.length === 0 &&
  p.links.length === 0 &&
  p.properties.length === 0 &&
  p.restarts.length === 0 &&
  p.stops.length === 0 &&
  !p.reloadNet &&
  !p.destroy;

/** The plan as a reviewer reads it. */
export function renderSdPlan(p: SdPlan): string {
  if (sdPlanEmpty(p)) return "No changes. The units and the live slices match the configuration.\n";
  const lines: string[] = [];
  const where = (r: FileRoot) => (r === "unit" ? p.unitDir : p.installDir);
  for (const f of p.files) lines.push(`  ${f.op} ${where(f.root)}/${f.path}`);
  for (const l of p.links)
    lines.push(`  ${l.op} ${p.unitDir}/${l.path}${l.target ? ` -> ${l.target}` : ""}`);
  for (const x of p.properties)
    lines.push(`  ~ ${x.unit} ${x.directive} (${x.file}): ${x.from ?? "(absent)"} -> ${x.to}`);
  for (const s of p.stops) lines.push(`  - stop ${s}`);
  for (const r of p.restarts)
    lines.push(`  ! restart ${r.unit}: moves from ${r.from || "(not running)"} to ${r.to}`);
  if (p.destroy)
    lines.push(`  - table inet vsc${p.destroy.links.map((l) => `, root qdisc of ${l}`).join("")}`);
  if (p.reloadNet) lines.push(`  ~ (re)start ${p.netService}: loads ruleset.nft and tc.batch`);
  const add = p.files.filter((f) => f.op === "+").length;
  const change = p.files.filter((f) => f.op === "~").length;
  const del = p.files.filter((f) => f.op === "-").length;
  return (
    `vsc will change host ${p.host} through systemd:\n${lines.join("\n")}\n\n` +
    `Plan: ${add} file(s) to add, ${change} to change, ${del} to remove; ${p.properties.length} live value(s); ${p.restarts.length} unit restart(s).\n`
  );
}

export interface ApplyResult {
  ok: boolean;
  diagnostics: Diagnostic[];
  /** systemctl calls made, for the report and the tests. */
  calls: string[][];
  /**
   * A plan with `early` (the undo of apply --confirm): when the kernel's
   * part was back and read back (every slice value of `verify`, the ruleset
   * and tc trees loaded, the created slices stopped), before the reload and
   * the restarts; absent when something of it had to wait for them.
   */
  kernelAt?: number;
}

/**
 * Directives `systemctl set-property` takes as a slice's unit file has them
 * (the undo's early phase); the IO limits are lists (one line per device:
 * an empty assignment first clears the list).
 */
export const RUNTIME_DIRECTIVES = new Set([
  "CPUWeight",
  "CPUQuota",
  "AllowedCPUs",
  "MemoryMin",
  "MemoryLow",
  "MemoryHigh",
  "MemoryMax",
  "MemorySwapMax",
  "TasksMax",
  "IOWeight",
  "IOReadBandwidthMax",
  "IOWriteBandwidthMax",
  "IOReadIOPSMax",
  "IOWriteIOPSMax",
]);
export const LIST_DIRECTIVES = new Set([
  "IOReadBandwidthMax",
  "IOWriteBandwidthMax",
  "IOReadIOPSMax",
  "IOWriteIOPSMax",
]);
const ASSIGNMENT_RE = /^([A-Za-z]+)=([^\n\r\0]*)$/;

/**
 * Applies a plan (its fingerprint already checked). `restartsApproved`:
 * whether moving units may restart them (asked by the CLI).
 */
export function sdApply(h: SystemdHost, p: SdPlan, restartsApproved: boolean): ApplyResult {
  const calls: string[][] = [];
  const diagnostics: Diagnostic[] = [];
  // For systemd's own words in the journal about what it could not set.
  const since = Math.floor(Date.now() / 1000) - 1;
  const sc = (args: string[]) => {
    calls.push(args);
    return h.run(["systemctl", ...args]);
  };
  if (p.restarts.length > 0 && !restartsApproved) {
    return {
      ok: false,
      calls,
      diagnostics: [
        {
          code: SdCode.systemctlFailed,
          severity: "error",
          message: `${p.restarts.map((r) => r.unit).join(", ")} must restart to move, and that was not approved`,
          help: "run again and answer yes, or with --auto-approve",
          notes: ["nothing was changed"],
        },
      ],
    };
  }
  if (p.loadNet && !loadNetOk(p.loadNet)) {
    return {
      ok: false,
      calls,
      diagnostics: [
        {
          code: SdCode.notAPlan,
          severity: "error",
          message: "the plan's network load names something that is not a link name",
          notes: ["nothing was changed"],
        },
      ],
    };
  }
  // Whether the network was loaded directly (a rollback then restarts the net service).
  let netLoaded = false;
  // Previous state of everything touched, for the rollback.
  const before = new Map<string, string | undefined>();
  const linksBefore = new Map<string, string | undefined>();
  for (const f of p.files) before.set(key(f.root, f.path), readUnitFile(dirOf(h, f.root), f.path));
  for (const l of p.links) linksBefore.set(l.path, readLink(h.unitDir, l.path));
  // Runtime drop-ins `systemctl set-property --runtime` made for the early phase (relative to
  // h.controlDir), removed again before any daemon-reload (which then reads the files alone).
  const controlMade: string[] = [];
  const dropControl = (): string[] => {
    const problems: string[] = [];
    for (const f of controlMade.splice(0))
      try {
        removeEntry(h.controlDir, f);
      } catch (e) {
        problems.push(`${f}: ${(e as Error).message}`);
      }
    return problems;
  };
  const rollback = (why: Diagnostic): ApplyResult => {
    const problems: string[] = dropControl();
    for (const f of p.files) {
      const prev = before.get(key(f.root, f.path));
      try {
        if (prev === undefined) removeEntry(dirOf(h, f.root), f.path);
        else writeUnitFile(dirOf(h, f.root), f.path, prev);
      } catch (e) {
        problems.push(`${f.path}: ${(e as Error).message}`);
      }
    }
    for (const l of p.links) {
      const prev = linksBefore.get(l.path);
      try {
        if (prev === undefined) removeEntry(h.unitDir, l.path);
        else writeLink(h.unitDir, l.path, prev);
      } catch (e) {
        problems.push(`${l.path}: ${(e as Error).message}`);
      }
    }
    const r = sc(["daemon-reload"]);
    if (!r.ok) problems.push(`daemon-reload: ${r.err.trim()}`);
    for (const x of p.restarts) {
      const rr = sc(["restart", "--", x.unit]);
      if (!rr.ok) problems.push(`restart ${x.unit}: ${rr.err.trim()}`);
    }
    const hadRuleset = before.get(key("install", "ruleset.nft")) !== undefined;
    const netTouched = p.reloadNet || netLoaded;
    if (netTouched && hadRuleset) {
      const rr = sc(["restart", "--", p.netService]);
      if (!rr.ok) problems.push(`restart ${p.netService}: ${rr.err.trim()}`);
    }
    // What this apply started from nothing (a unit whose file it added) is
    // stopped again: its file is gone, but systemd keeps a started unit (and
    // its cgroup) until it is stopped.
    const added = p.files
      .filter((f) => f.op === "+" && f.root === "unit" && !f.path.includes("/"))
      .map((f) => f.path);
    if (added.length > 0) {
      const slices = topMost(added.filter((u) => u.endsWith(".slice")));
      const rest = added.filter((u) => !u.endsWith(".slice"));
      const rr = sc(["stop", "--", ...rest, ...slices]);
      if (!rr.ok) problems.push(`stop ${[...rest, ...slices].join(" ")}: ${rr.err.trim()}`);
    }
    // A first apply's ruleset and HTB roots, loaded by vsc-net.service: removed
    // as destroy removes them (vsc's one table, the root qdiscs it replaced).
    if (netTouched && !hadRuleset) {
      const batch = p.files.find((f) => f.root === "install" && f.path === "tc.batch")?.text ?? "";
      problems.push(...removeNet(h, tcLinksOf(batch)).map((d) => d.message));
    }
    why.notes = [
      ...(why.notes ?? []),
      "the previous unit files were restored and systemd reloaded",
    ];
    diagnostics.push(why);
    if (problems.length > 0)
      diagnostics.push({
        code: SdCode.rollbackIncomplete,
        severity: "error",
        message: `the rollback did not complete: ${problems.join("; ")}`,
        help: "check `systemctl status` and the files listed, then run vsc apply again",
      });
    return { ok: false, diagnostics, calls };
  };
  const failed = (what: string, r: { err: string }) =>
    rollback({
      code: SdCode.systemctlFailed,
      severity: "error",
      message: `systemctl ${what} failed: ${r.err.trim() || "(no message)"}`,
      help: "see `journalctl -xe` for systemd's side",
    });
  try {
    ensureDir(h.installDir, ".");
    for (const f of p.files) {
      const dir = dirOf(h, f.root);
      if (f.op === "-") removeEntry(dir, f.path);
      else writeUnitFile(dir, f.path, f.text!);
    }
    for (const l of p.links) {
      if (l.op === "-") removeEntry(h.unitDir, l.path);
      else writeLink(h.unitDir, l.path, l.target!);
    }
  } catch (e) {
    return rollback({
      code: SdCode.systemctlFailed,
      severity: "error",
      message: `cannot write the unit files: ${(e as Error).message}`,
    });
  }
  // The network first (the undo of --confirm: the connection that matters comes back
  // before systemd's jobs): the tc trees always (they name no cgroup), the ruleset when
  // every cgroup it names exists, else once the units are started.
  const loadNet = (part: "tc" | "nft"): ApplyResult | undefined => {
    netLoaded = true;
    const f = loadNetNow(h, p.loadNet!, part, calls);
    return f ? rollback(f) : undefined;
  };
  if (p.loadNet) {
    const f = loadNet("tc");
    if (f) return f;
  }
  // The undo's early phase (SdPlan.early): values, removed slices, created slices, before
  // the reload. A created slice in which a unit to restart runs waits for the restart (its
  // stop would stop the unit for the length of the reload).
  const earlyStops =
    p.early !== undefined &&
    !p.restarts.some((x) => p.stops.some((u) => x.from.split("/").includes(u)));
  if (p.early) {
    for (const x of p.early.runtime) {
      // Runtime drop-ins there already are someone else's: that slice's values come with the
      // reload (vsc removes only the drop-ins its own call made).
      if (fs.existsSync(join(h.controlDir, `${x.unit}.d`))) continue;
      for (const n of new Set(x.assignments.map((a) => a.slice(0, a.indexOf("=")))))
        controlMade.push(`${x.unit}.d/50-${n}.conf`);
      const r = sc(["set-property", "--runtime", "--", x.unit, ...x.assignments]);
      if (!r.ok) return failed(`set-property ${x.unit}`, r);
    }
    if (p.early.starts.length > 0) {
      const r = sc(["start", "--", ...p.early.starts]);
      if (!r.ok) return failed(`start ${p.early.starts.join(" ")}`, r);
    }
    if (earlyStops && p.stops.length > 0) {
      const r = sc(["stop", "--", ...p.stops]);
      if (!r.ok) return failed(`stop ${p.stops.join(" ")}`, r);
    }
  }
  const nftFirst = p.loadNet !== undefined && rulesetCgroupsExist(h, p.loadNet);
  if (p.loadNet && nftFirst) {
    const f = loadNet("nft");
    if (f) return f;
  }
  let kernelAt: number | undefined;
  if (
    earlyStops &&
    (p.loadNet === undefined || nftFirst) &&
    !p.reloadNet &&
    p.verify.every((s) => s.values.every((v) => h.readCgroup(s.cgroupPath, v.file) === v.value))
  )
    kernelAt = Date.now();
  const controlLeft = dropControl();
  if (controlLeft.length > 0)
    return rollback({
      code: SdCode.systemctlFailed,
      severity: "error",
      message: `cannot remove the runtime drop-ins of set-property: ${controlLeft.join("; ")}`,
    });
  const changedFiles = p.files.length > 0 || p.links.length > 0;
  if (changedFiles) {
    const r = sc(["daemon-reload"]);
    if (!r.ok) return failed("daemon-reload", r);
  }
  if (p.restarts.length > 0) {
    const r = sc(["restart", "--", ...p.restarts.map((x) => x.unit)]);
    if (!r.ok) return failed(`restart ${p.restarts.map((x) => x.unit).join(" ")}`, r);
  }
  // Starting the target starts the slices and, when it is not running yet,
  // vsc-net.service: a restart then would load the ruleset twice. A changed
  // value of a running slice needs neither (the reload set it). Measured in
  // the lab with 1,000 contexts (docs/systemd.md): the start alone is a
  // transaction of 1,000 jobs.
  const starting = p.verify.length > 0 && p.start !== false;
  if (starting) {
    const r = sc(["start", "--", p.target]);
    if (!r.ok) return failed(`start ${p.target}`, r);
  }
  if (p.verify.length > 0 && p.reloadNet && (p.netActive !== false || !starting)) {
    const rr = sc(["restart", "--", p.netService]);
    if (!rr.ok) return failed(`restart ${p.netService}`, rr);
  }
  if (p.stops.length > 0 && !earlyStops) {
    const r = sc(["stop", "--", ...p.stops]);
    if (!r.ok) return failed(`stop ${p.stops.join(" ")}`, r);
  }
  if (p.loadNet && !nftFirst) {
    const f = loadNet("nft");
    if (f) return f;
  }
  if (p.destroy) diagnostics.push(...removeNet(h, p.destroy.links));
  // Read back: every value of every slice this apply changed (its file or a
  // live value), as the kernel has it now; every listed unit where it belongs.
  const touched = new Set<string>([
    ...p.files.map((f) => f.path),
    ...p.properties.map((x) => x.unit),
  ]);
  const off: string[] = [];
  const offUnits = new Set<string>();
  for (const s of p.verify.filter((x) => touched.has(x.unit)))
    for (const v of s.values) {
      const now = h.readCgroup(s.cgroupPath, v.file);
      if (now !== v.value) {
        off.push(`${s.unit} ${v.directive}: ${v.file} is ${now ?? "(absent)"}, not ${v.value}`);
        offUnits.add(s.unit);
      }
    }
  const units = showUnits(
    h,
    p.placement.map((x) => x.unit),
  );
  for (const x of p.placement) {
    const u = units[x.unit];
    if (u && u.active === "active" && u.cgroup !== x.cgroup)
      off.push(`${x.unit} runs in ${u.cgroup}, not ${x.cgroup}`);
  }
  if (off.length > 0) {
    const said = systemdSaid(h, offUnits, since);
    return rollback({
      code: SdCode.systemdRefused,
      severity: "error",
      message: `systemd did not set what the units say: ${off.slice(0, 5).join("; ")}${off.length > 5 ? ` (and ${off.length - 5} more)` : ""}`,
      help: "see `journalctl -b -u <slice>` for systemd's reason (it ignores a directive it cannot apply)",
      ...(said.length > 0 ? { notes: said.map((l) => `systemd said: ${l}`) } : {}),
    });
  }
  return { ok: true, diagnostics, calls, ...(kernelAt !== undefined ? { kernelAt } : {}) };
}

const NET_DEV_RE = /^[A-Za-z0-9_.-]{1,15}$/;

const loadNetOk = (n: NonNullable<SdPlan["loadNet"]>): boolean =>
  ["load", "delete", "none"].includes(n.nft) &&
  typeof n.tc === "boolean" &&
  Array.isArray(n.dropRoots) &&
  n.dropRoots.every((d) => typeof d === "string" && NET_DEV_RE.test(d));

/**
 * Whether every cgroup the ruleset file names exists (nft resolves a
 * `socket cgroupv2` path when it loads the rules and refuses a missing one).
 */
function rulesetCgroupsExist(h: SystemdHost, n: NonNullable<SdPlan["loadNet"]>): boolean {
  if (n.nft !== "load") return true;
  const text = readUnitFile(h.installDir, "ruleset.nft") ?? "";
  for (const m of text.matchAll(/"([^"\n]+\.slice)"/g))
    if (!fs.existsSync(join(h.cgroupMount, m[1]!))) return false;
  return true;
}

/**
 * The network loaded directly: what the net service runs (`nft -f` of the
 * ruleset file, `tc -batch` of the batch file), the table deleted, root
 * qdiscs deleted; one tc call ("tc") or one nft call ("nft") at most.
 * Returns the failure.
 */
function loadNetNow(
  h: SystemdHost,
  n: NonNullable<SdPlan["loadNet"]>,
  part: "tc" | "nft",
  calls: string[][],
): Diagnostic | undefined {
  const tcInput = [
    ...(n.tc ? [readUnitFile(h.installDir, "tc.batch") ?? ""] : []),
    ...n.dropRoots.map((d) => `qdisc del dev ${d} root\n`),
  ].join("");
  if (part === "tc" && tcInput !== "") {
    calls.push(["tc", "-batch", "-"]);
    const r = h.run(["tc", "-batch", "-"], tcInput);
    if (!r.ok)
      return {
        code: SdCode.systemctlFailed,
        severity: "error",
        message: `tc -batch (the previous tc trees) failed: ${r.err.trim() || "(no message)"}`,
      };
  }
  if (part === "nft" && n.nft !== "none") {
    // "delete": created if missing first, so it is one transaction that cannot fail on absence.
    const input =
      n.nft === "load"
        ? (readUnitFile(h.installDir, "ruleset.nft") ?? "")
        : "table inet vsc {}\ndelete table inet vsc\n";
    calls.push(["nft", "-f", "-"]);
    const r = h.run(["nft", "-f", "-"], input);
    if (!r.ok)
      return {
        code: SdCode.systemctlFailed,
        severity: "error",
        message: `nft -f (${n.nft === "load" ? "the previous ruleset" : "delete table inet vsc"}) failed: ${r.err.trim() || "(no message)"}`,
      };
  }
  return undefined;
}

/**
 * systemd's own opinion of new unit files before anything is written:
 * `systemd-analyze verify` on a copy. Returns its complaints (empty when
 * clean or when systemd-analyze is not installed).
 */
export function sdVerify(h: SystemdHost, p: SdPlan): string[] {
  const analyze = h.which("systemd-analyze");
  const news = p.files.filter((f) => f.op !== "-" && f.root === "unit");
  if (!analyze || news.length === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), "vsc-verify-"));
  try {
    const names = new Set<string>();
    // A new target names every slice in Wants=: verifying it loads (and so
    // parses) them all in one transaction, instead of one per slice
    // (1,000 contexts: 1.06 s instead of 1.66 s on a host, the same complaints).
    const viaTarget = news.some((f) => f.path === p.target);
    for (const f of news) {
      writeUnitFile(dir, f.path, f.text!);
      if (!f.path.includes("/") && !(viaTarget && f.path.endsWith(".slice"))) names.add(f.path);
    }
    const r = h.run([
      "env",
      `SYSTEMD_UNIT_PATH=${dir}:`,
      analyze,
      "verify",
      "--man=no",
      "--",
      ...[...names].map((n) => join(dir, n)),
    ]);
    return (r.err + r.out)
      .split("\n")
      .filter((l) => l.includes(dir) && /ignoring|invalid|unknown|failed/i.test(l))
      .map((l) => l.replace(`${dir}/`, ""));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * systemd's log lines since `since` (epoch seconds) about these units that
 * say why a value was not set ("Failed to set 'cpuset.cpus' attribute on
 * '/vsc.slice/vsc-shop.slice' to '3': Invalid argument"); at most 5.
 */
export function systemdSaid(h: SystemdHost, units: Iterable<string>, since: number): string[] {
  const us = [...units].slice(0, 10);
  if (us.length === 0) return [];
  const r = h.run([
    "journalctl",
    "-b",
    "-q",
    "--no-pager",
    "-o",
    "cat",
    `--since=@${since}`,
    ...us.flatMap((u) => ["-u", u]),
  ]);
  if (!r.ok) return [];
  const lines = r.out
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /fail|invalid|ignor|refus|cannot|not supported|denied/i.test(l));
  return [...new Set(lines)].slice(0, 5);
}

/** The links whose root qdisc a tc batch replaces with vsc's HTB. */
export function tcLinksOf(batch: string): string[] {
  const out = new Set<string>();
  for (const m of batch.matchAll(/^qdisc replace dev (\S+) root handle 1: htb /gm)) out.add(m[1]!);
  return [...out];
}

/** Only vsc's: its one table, and the root qdisc of each link it shapes (when it is still vsc's HTB). */
function removeNet(h: SystemdHost, links: string[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (h.run(["nft", "list", "table", "inet", "vsc"]).ok) {
    const r = h.run(["nft", "delete", "table", "inet", "vsc"]);
    if (!r.ok) out.push(warn(`nft delete table inet vsc: ${r.err.trim()}`));
  }
  for (const dev of links) {
    const q = h.run(["tc", "qdisc", "show", "dev", dev, "root"]);
    if (q.ok && /^qdisc htb 1: /m.test(q.out)) {
      const r = h.run(["tc", "qdisc", "del", "dev", dev, "root"]);
      if (!r.ok) out.push(warn(`tc qdisc del dev ${dev} root: ${r.err.trim()}`));
    }
  }
  return out;
}

/** Stopping a slice stops the slices below it: only the top-most of these names. */
export function topMost(slices: string[]): string[] {
  const set = new Set(slices);
  return slices.filter((u) => {
    const parts = u.replace(/\.slice$/, "").split("-");
    for (let i = 1; i < parts.length; i++)
      if (set.has(`${parts.slice(0, i).join("-")}.slice`)) return false;
    return true;
  });
}

const warn = (message: string): Diagnostic => ({
  code: SdCode.systemctlFailed,
  severity: "warning",
  message,
});

/** What destroy desires: nothing (and the units that must go back). */
export function emptyDesired(want: SdDesired): SdDesired {
  return { ...want, files: [], links: [], slices: [], dropIns: [] };
}

/** What a saved plan was made against, to observe the same things again. */
export function desiredOfPlan(p: SdPlan): SdDesired {
  return {
    host: p.host,
    cgroupRoot: p.cgroupRoot,
    files: p.wantFiles.map((f) => ({ ...f, text: "" })),
    links: [],
    slices: p.verify,
    dropIns: p.placement.map((x) => ({
      unit: x.unit,
      slice: "",
      sliceCgroup: x.cgroup.slice(1, x.cgroup.lastIndexOf("/")),
    })),
    target: p.target,
    netService: p.netService,
  };
}

const UNIT_RE = /^[A-Za-z0-9:_.\\@-]+\.(?:service|socket|mount|swap|slice|target)$/;
const SLICE_PATH_RE = /^[A-Za-z0-9:_.\\-]+\.slice(?:\/[A-Za-z0-9:_.\\-]+\.slice)*$/;
const LINK_RE =
  /^(?:multi-user\.target\.wants\/[A-Za-z0-9:_.\\-]+\.target|sys-subsystem-net-devices-[A-Za-z0-9:_.\\-]+\.device\.wants\/[A-Za-z0-9:_.\\-]+-net\.service)$/;
const CG_FILES = new Set(Object.keys(DIRECTIVE_OF));

/**
 * A saved plan is untrusted input: every path must be one vsc writes, every
 * text must carry vsc's header, every unit and cgroup path must be a name of
 * the kinds vsc uses. Returns the problems (empty: usable).
 */
export function validateSdPlan(doc: unknown, h: SystemdHost, o: { undo?: boolean } = {}): string[] {
  const bad: string[] = [];
  const p = doc as SdPlan;
  if (typeof doc !== "object" || doc === null || p["vsc-systemd-plan"] !== 1)
    return ["not a systemd plan"];
  // Only the undo of apply --confirm, which vsc makes itself, loads the network or sets values
  // at runtime; `vsc plan --out` never writes them.
  if (!o.undo && (p.loadNet !== undefined || p.early !== undefined))
    bad.push("it has parts only the undo of apply --confirm has (loadNet, early)");
  if (p.unitDir !== h.unitDir || p.installDir !== h.installDir)
    bad.push(`made for ${p.unitDir} and ${p.installDir}, not ${h.unitDir} and ${h.installDir}`);
  const str = (v: unknown) => typeof v === "string";
  const arr = (v: unknown) => Array.isArray(v);
  if (
    ![
      p.files,
      p.links,
      p.properties,
      p.restarts,
      p.stops,
      p.verify,
      p.placement,
      p.wantFiles,
    ].every(arr)
  )
    return ["a list is missing"];
  if (!str(p.fingerprint) || !str(p.target) || !str(p.netService) || !str(p.host))
    return ["a field is missing"];
  for (const b of [p.netActive, p.start])
    if (b !== undefined && typeof b !== "boolean") return ["a field is not true or false"];
  const pathOk = (root: unknown, path: unknown) =>
    str(path) &&
    ((root === "unit" && isOwnedUnitPath(path as string) && !(path as string).includes("..")) ||
      (root === "install" && (path === "ruleset.nft" || path === "tc.batch")));
  for (const f of p.files) {
    if (!["+", "~", "-"].includes(f.op) || !pathOk(f.root, f.path))
      bad.push(`file ${JSON.stringify(f.path)} is not one vsc writes`);
    else if (
      f.op !== "-" &&
      (!str(f.text) || !f.text!.startsWith(GENERATED) || f.text!.includes("\0"))
    )
      bad.push(`file ${f.path} does not carry vsc's header`);
  }
  for (const f of p.wantFiles)
    if (!pathOk(f.root, f.path)) bad.push(`file ${JSON.stringify(f.path)} is not one vsc writes`);
  for (const l of p.links)
    if (
      !LINK_RE.test(String(l.path)) ||
      (l.op === "+" && !/^\.\.\/[A-Za-z0-9:_.\\-]+\.(?:target|service)$/.test(String(l.target)))
    )
      bad.push(`link ${JSON.stringify(l.path)} is not one vsc makes`);
  for (const u of [
    p.target,
    p.netService,
    ...p.stops,
    ...p.restarts.map((r) => r.unit),
    ...p.placement.map((x) => x.unit),
  ])
    if (!UNIT_RE.test(String(u))) bad.push(`${JSON.stringify(u)} is not a unit name`);
  for (const s of p.verify) {
    if (!UNIT_RE.test(String(s.unit)) || !SLICE_PATH_RE.test(String(s.cgroupPath)))
      bad.push(`slice ${JSON.stringify(s.unit)} is not one vsc writes`);
    for (const v of s.values ?? [])
      if (!CG_FILES.has(v.file)) bad.push(`${JSON.stringify(v.file)} is not a file vsc reads`);
  }
  for (const x of p.placement)
    if (!/^\/[^\0]*$/.test(String(x.cgroup)) || String(x.cgroup).includes(".."))
      bad.push(`cgroup ${JSON.stringify(x.cgroup)} is not a path`);
  if (p.early !== undefined) {
    const e = p.early;
    if (typeof e !== "object" || e === null || !arr(e.runtime) || !arr(e.starts))
      return ["the early phase is not two lists"];
    for (const u of [...e.starts, ...e.runtime.map((x) => x?.unit)])
      if (!UNIT_RE.test(String(u)) || !String(u).endsWith(".slice"))
        bad.push(`${JSON.stringify(u)} is not a slice name`);
    for (const x of e.runtime)
      for (const a of arr(x?.assignments) ? x.assignments : [null]) {
        const name = ASSIGNMENT_RE.exec(String(a))?.[1];
        if (typeof a !== "string" || !name || !RUNTIME_DIRECTIVES.has(name))
          bad.push(`${JSON.stringify(a)} is not a directive vsc sets at runtime`);
      }
  }
  if (
    p.destroy &&
    (!arr(p.destroy.links) ||
      !p.destroy.links.every((l) => /^[a-z][a-z0-9_-]{0,14}$/.test(String(l))))
  )
    bad.push("destroy names a link that is not a link name");
  return bad;
}
