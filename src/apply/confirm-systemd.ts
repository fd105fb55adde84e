/**
 * `vsc apply --confirm` under `driver systemd` (#19): the same promise as
 * under cgroupfs (src/apply/confirm.ts), for what the systemd driver owns:
 * vsc's unit files and drop-ins under /etc/systemd/system, its [Install]
 * links, /etc/vsc/ruleset.nft and tc.batch, the slices' live cgroup values,
 * where the listed units run, `table inet vsc` and the links' HTB trees.
 *
 * Arming (after a verified apply, under the apply lock): the state read
 * before the apply and after it (a snapshot: every vsc file's text, the
 * links, every value of every slice either names, the listed units'
 * placement, the table's digest, each link's tc tree) and the undo, an
 * SdPlan from the state after back to the state before (sdUndo, pure),
 * go into `<key>.pending` in a directory that survives a reboot
 * (/var/lib/vsc), sha256 on the first line. Two things run the undo:
 *  - at the deadline, a transient timer (`systemd-run --on-active`):
 *    `vsc revert --due ID`, which does everything that only reads under the
 *    lock a few seconds before the deadline (the live state, what runs in
 *    the slices the undo stops) and runs the undo at it (src/systemd's
 *    sdApply: files back; then, before systemd's daemon-reload, the kernel's
 *    part: the previous tc batch and ruleset loaded by vsc itself, with
 *    `table inet vsc` and root HTB qdiscs that were not there before
 *    deleted, while vsc-net.service stays active; each running slice's
 *    previous directives set with `systemctl set-property --runtime`; the
 *    slices the apply removed started, those it created stopped; every
 *    value read back (`kernelAt`); then set-property's runtime drop-ins
 *    removed, one daemon-reload, moved units restarted back to where they
 *    ran in one call, the target started only when something of before
 *    must still start), then reads everything again; each command's time
 *    goes to the outcome and the system log;
 *  - at the next boot, when the machine went down before the deadline (a
 *    transient timer does not survive a reboot, the files under /etc do):
 *    a guard service vsc writes next to its units,
 *    `vsc-boot-revert-<key>.service`, wanted by sysinit.target and ordered
 *    before sysinit.target, vsc's target, its slices, vsc-net.service and
 *    the listed units, puts the files back before any of those start
 *    (`vsc revert --boot`): the machine comes up in the state before the
 *    unconfirmed apply. `vsc confirm` and a revert remove the guard.
 * The record is untrusted input when read back: checksum, fields, and the
 * undo must be exactly the one sdUndo makes from the two snapshots it
 * holds, and pass validateSdPlan (only vsc's files, links and unit names).
 */
import { createHash, randomBytes } from "node:crypto";
import { type Dirent, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Diagnostic } from "../diag/diagnostic.js";
import { packageRoot } from "../paths.js";
import { Code } from "../plan/codes.js";
import {
  type SdDesired,
  type SdPlan,
  type UnitState,
  DIRECTIVE_OF,
  LIST_DIRECTIVES,
  RUNTIME_DIRECTIVES,
  sdApply,
  sdObserve,
  validateSdPlan,
} from "../systemd/driver.js";
import type { SystemdHost } from "../systemd/host.js";
import {
  GENERATED,
  readLink,
  readUnitFile,
  removeEntry,
  writeLink,
  writeUnitFile,
} from "../systemd/unit-dir.js";
import {
  MAX_CONFIRM_SECONDS,
  type CommandResult,
  type OutcomeRecord,
  bootId,
  diag,
  leadMs,
  readSealed,
  systemLog,
  timerDelay,
} from "./confirm.js";
import { parseNftHeaders } from "./read-nft.js";
import { parseTcShow } from "./read-tc.js";
import { StateError, acquireLock, stateFiles, stateText, type StateFiles } from "./state.js";

/** Where the pending record of a systemd apply lives: it must survive a reboot (/run does not). */
export const SD_PENDING_DIR = "/var/lib/vsc";

/**
 * The state files of the systemd driver for a cgroup root: its lock (in the
 * lock directory) and its pending record (in the pending directory). An
 * absolute pseudo-mount, so the key does not depend on the working directory.
 */
export const sdStateFiles = (dir: string, cgroupRoot: string): StateFiles =>
  stateFiles(dir, "/systemd", cgroupRoot);

/** The cgroup files a snapshot reads in every slice (every one the driver sets). */
const CG_FILES = [
  "cpu.weight",
  "cpu.max",
  "cpuset.cpus",
  "memory.min",
  "memory.low",
  "memory.high",
  "memory.max",
  "memory.swap.max",
  "pids.max",
  "io.weight",
  "io.max",
] as const;

/** What the systemd driver owns, read from the host. */
export interface SdSnapshot {
  /** vsc's files, "unit:path" / "install:path" -> text. */
  files: Record<string, string>;
  links: Record<string, string>;
  /** slice unit -> cgroup file -> value (null: absent, or the slice is not there). */
  values: Record<string, Record<string, string | null>>;
  units: Record<string, UnitState>;
  netActive: boolean;
  /** Whether vsc's target is active (absent in records of older vsc). */
  targetActive?: boolean;
  /** `table inet vsc`: its digest ("" when loaded without one), null when absent. */
  nft: string | null;
  /** link -> its root qdisc and classes as tc shows them (JSON). */
  tc: Record<string, string>;
}

export interface SdPendingRecord {
  format: "vsc-sd-pending";
  version: 1;
  id: string;
  boot: string;
  appliedAt: number;
  deadline: number;
  seconds: number;
  host: string;
  cgroupRoot: string;
  unitDir: string;
  installDir: string;
  target: string;
  netService: string;
  /** Units whose placement is part of the state (listed ones, ones the apply moved out). */
  units: string[];
  /** Links whose tc tree is part of the state. */
  devs: string[];
  /** The transient timer's unit (without .timer). */
  timer: string;
  /** The boot guard's unit file name. */
  guard: string;
  before: SdSnapshot;
  after: SdSnapshot;
  undo: SdPlan;
}

const UNIT_RE = /^[A-Za-z0-9:_.\\@-]+\.(?:service|socket|mount|swap|slice|target)$/;
const DEV_RE = /^[A-Za-z0-9_.-]{1,15}$/;
const HEX = /^[0-9a-f]+$/;

/** The cgroup path systemd gives a slice: every dash-prefix is a parent ("a-b.slice" -> "a.slice/a-b.slice"). */
export function sliceCgroupOf(unit: string): string {
  const parts = unit.replace(/\.slice$/, "").split("-");
  const out: string[] = [];
  for (let i = 1; i <= parts.length; i++) out.push(`${parts.slice(0, i).join("-")}.slice`);
  return out.join("/");
}

const isSliceFile = (k: string) => /^unit:[^/]+\.slice$/.test(k);

/** The links a tc.batch names ("dev X"). */
export function devsOf(files: Record<string, string>): string[] {
  const t = files["install:tc.batch"] ?? "";
  return [...t.matchAll(/\bdev (\S+)/g)].map((m) => m[1]!).filter((d) => DEV_RE.test(d));
}

/** What the snapshot needs of the desired state: the names it observes. */
export function observeTarget(
  r: Pick<SdPendingRecord, "host" | "cgroupRoot" | "target" | "netService">,
): SdDesired {
  return { ...r, files: [], links: [], slices: [], dropIns: [] };
}

export function sdSnapshot(
  h: SystemdHost,
  want: SdDesired,
  o: { units: string[]; devs: string[]; slices?: string[] },
): SdSnapshot {
  const obs = sdObserve(h, want, o.units);
  const slices = new Set<string>(o.slices ?? []);
  for (const k of Object.keys(obs.files)) if (isSliceFile(k)) slices.add(k.slice(5));
  for (const s of want.slices) slices.add(s.unit);
  const values: SdSnapshot["values"] = {};
  for (const s of [...slices].sort()) {
    const v: Record<string, string | null> = {};
    for (const f of CG_FILES) v[f] = h.readCgroup(sliceCgroupOf(s), f) ?? null;
    values[s] = v;
  }
  const nftR = h.run(["nft", "-f", "-"], "list tables\nlist chains inet\n");
  let nft: string | null = null;
  if (nftR.ok) {
    const p = parseNftHeaders(nftR.out);
    nft = p.present ? (p.digest ?? "") : null;
  }
  const tc: Record<string, string> = {};
  for (const dev of [...new Set(o.devs)].sort()) {
    const r = h.run(["tc", "-d", "-batch", "-"], `qdisc show dev ${dev}\nclass show dev ${dev}\n`);
    tc[dev] = JSON.stringify(r.ok ? parseTcShow(dev, r.out) : { dev, exists: false, classes: {} });
  }
  const units: Record<string, UnitState> = {};
  for (const u of Object.keys(obs.units).sort()) units[u] = obs.units[u]!;
  return {
    files: sortObj(obs.files),
    links: sortObj(obs.links),
    values,
    units,
    netActive: obs.netActive,
    targetActive: obs.targetActive === true,
    nft,
    tc,
  };
}

const sortObj = <T>(o: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

const nulls = (): Record<string, string | null> =>
  Object.fromEntries(CG_FILES.map((f) => [f, null]));

/** Every line where `now` is not `want` (empty: the same state). */
export function sdDifferences(want: SdSnapshot, now: SdSnapshot): string[] {
  const out: string[] = [];
  const keys = (a: object, b: object) =>
    [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const where = (k: string) => k.replace(/^unit:/, "unit file ").replace(/^install:/, "/etc/vsc/");
  for (const k of keys(want.files, now.files)) {
    const w = want.files[k];
    const n = now.files[k];
    if (w === n) continue;
    out.push(
      w === undefined
        ? `${where(k)}: present, was absent`
        : n === undefined
          ? `${where(k)}: absent, was present`
          : `${where(k)}: its text differs`,
    );
  }
  for (const k of keys(want.links, now.links))
    if (want.links[k] !== now.links[k])
      out.push(`link ${k}: ${now.links[k] ?? "(absent)"}, was ${want.links[k] ?? "(absent)"}`);
  for (const s of keys(want.values, now.values)) {
    const w = want.values[s] ?? nulls();
    const n = now.values[s] ?? nulls();
    for (const f of CG_FILES)
      if ((w[f] ?? null) !== (n[f] ?? null))
        out.push(`${s} ${f}: ${n[f] ?? "(absent)"}, was ${w[f] ?? "(absent)"}`);
  }
  for (const u of keys(want.units, now.units)) {
    const w = want.units[u];
    const n = now.units[u];
    if (!w || !n) continue;
    if (w.active !== n.active || w.cgroup !== n.cgroup)
      out.push(
        `${u}: ${n.active} in ${n.cgroup || "(none)"}, was ${w.active} in ${w.cgroup || "(none)"}`,
      );
  }
  if (
    typeof want.targetActive === "boolean" &&
    typeof now.targetActive === "boolean" &&
    want.targetActive !== now.targetActive
  )
    out.push(
      `vsc's target is ${now.targetActive ? "active" : "inactive"}, was ${want.targetActive ? "active" : "inactive"}`,
    );
  if (want.netActive !== now.netActive)
    out.push(
      `the net service is ${now.netActive ? "active" : "inactive"}, was ${want.netActive ? "active" : "inactive"}`,
    );
  if (want.nft !== now.nft)
    out.push(
      `table inet vsc: ${now.nft === null ? "absent" : `digest ${now.nft || "(none)"}`}, was ${want.nft === null ? "absent" : `digest ${want.nft || "(none)"}`}`,
    );
  for (const d of keys(want.tc, now.tc))
    if ((want.tc[d] ?? "") !== (now.tc[d] ?? ""))
      out.push(`link ${d}: its qdiscs or classes differ`);
  return out;
}

/** The root qdisc of a snapshot's link is vsc's (HTB 1:). */
const vscQdisc = (json: string | undefined): boolean => {
  try {
    const l = JSON.parse(json ?? "{}") as { qdisc?: { kind?: string; handle?: string } };
    return l.qdisc?.kind === "htb" && l.qdisc.handle === "1:";
  } catch {
    return false;
  }
};

/** A slice file's [Slice] assignment lines, by directive, in order. */
function sliceAssignments(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let inSlice = false;
  for (const line of text.split("\n")) {
    if (/^\[.*\]$/.test(line)) inSlice = line === "[Slice]";
    else if (inSlice) {
      const name = /^([A-Za-z]+)=/.exec(line)?.[1];
      if (name) out.set(name, [...(out.get(name) ?? []), line]);
    }
  }
  return out;
}

/**
 * The `systemctl set-property --runtime` assignments that take a running
 * slice from the directives of its file `after` to those of `before` (what
 * differs only; an empty assignment resets a directive `before` lacks, and
 * clears a list before its lines), or undefined when a directive differs
 * that set-property does not take (then the reload sets it).
 */
export function runtimeAssignments(before: string, after: string): string[] | undefined {
  const b = sliceAssignments(before);
  const a = sliceAssignments(after);
  const out: string[] = [];
  for (const name of [...new Set([...b.keys(), ...a.keys()])].sort()) {
    const bl = b.get(name) ?? [];
    if (bl.join("\n") === (a.get(name) ?? []).join("\n")) continue;
    if (!RUNTIME_DIRECTIVES.has(name)) return undefined;
    const list = LIST_DIRECTIVES.has(name);
    if (list || bl.length === 0) out.push(`${name}=`);
    if (list) out.push(...bl);
    else if (bl.length > 0) out.push(bl[bl.length - 1]!);
  }
  return out;
}

/**
 * The undo of an apply under systemd (pure): from the state after it back
 * to the state before it, as a plan sdApply runs.
 */
export function sdUndo(
  r: Pick<
    SdPendingRecord,
    "host" | "cgroupRoot" | "unitDir" | "installDir" | "target" | "netService"
  >,
  before: SdSnapshot,
  after: SdSnapshot,
): SdPlan {
  const split = (k: string) =>
    [k.slice(0, k.indexOf(":")) as "unit" | "install", k.slice(k.indexOf(":") + 1)] as const;
  const files: SdPlan["files"] = [];
  for (const k of [
    ...new Set([...Object.keys(before.files), ...Object.keys(after.files)]),
  ].sort()) {
    const b = before.files[k];
    const a = after.files[k];
    if (a === b) continue;
    const [root, path] = split(k);
    if (b === undefined) files.push({ op: "-", root, path });
    else files.push({ op: a === undefined ? "+" : "~", root, path, text: b });
  }
  const links: SdPlan["links"] = [];
  for (const p of [
    ...new Set([...Object.keys(before.links), ...Object.keys(after.links)]),
  ].sort()) {
    const b = before.links[p];
    if (after.links[p] === b) continue;
    links.push(b === undefined ? { op: "-", path: p } : { op: "+", path: p, target: b });
  }
  const restarts: SdPlan["restarts"] = [];
  for (const u of Object.keys(before.units).sort()) {
    const b = before.units[u]!;
    const a = after.units[u];
    if (b.active === "active" && a && a.cgroup !== b.cgroup)
      restarts.push({ unit: u, from: a.cgroup, to: b.cgroup });
  }
  // Slices the apply created are stopped (the top-most ones: a stop takes the ones below along).
  const created = Object.keys(after.files)
    .filter((k) => isSliceFile(k) && before.files[k] === undefined)
    .map((k) => k.slice(5));
  const set = new Set(created);
  const stops = created.filter((u) => {
    const parts = u.replace(/\.slice$/, "").split("-");
    for (let i = 1; i < parts.length; i++)
      if (set.has(`${parts.slice(0, i).join("-")}.slice`)) return false;
    return true;
  });
  const gone = (name: string) =>
    after.files[`unit:${name}`] !== undefined && before.files[`unit:${name}`] === undefined;
  if (gone(r.netService)) stops.unshift(r.netService);
  if (gone(r.target)) stops.unshift(r.target);
  // The network. While the net service stays active (before and after), the undo loads the
  // previous ruleset and tc batch itself, first (sdApply's loadNet): a restart of the service
  // cost a systemctl call and the service's own nft and tc under emulation, after systemd's
  // jobs. Only a service that must start again is started (by the target).
  const rulesetDiffers =
    before.nft !== after.nft ||
    before.files["install:ruleset.nft"] !== after.files["install:ruleset.nft"];
  const tcDiffers =
    Object.keys({ ...before.tc, ...after.tc }).some((d) => before.tc[d] !== after.tc[d]) ||
    before.files["install:tc.batch"] !== after.files["install:tc.batch"];
  const netFile = before.files[`unit:${r.netService}`] !== undefined;
  const direct = netFile && before.netActive && after.netActive;
  const reloadNet =
    netFile &&
    before.netActive &&
    !after.netActive &&
    (rulesetDiffers || tcDiffers || files.some((f) => f.path === r.netService));
  const nft: NonNullable<SdPlan["loadNet"]>["nft"] =
    before.nft === null && after.nft !== null
      ? "delete"
      : direct && rulesetDiffers && before.files["install:ruleset.nft"] !== undefined
        ? "load"
        : "none";
  const tc = direct && tcDiffers && before.files["install:tc.batch"] !== undefined;
  // Root HTB qdiscs that were not there before (as destroy deletes them).
  const dropRoots = Object.keys(after.tc)
    .filter((d) => vscQdisc(after.tc[d]) && !vscQdisc(before.tc[d]))
    .sort();
  const loadNet = nft !== "none" || tc || dropRoots.length > 0 ? { nft, tc, dropRoots } : undefined;
  const ran = (s: string, x: SdSnapshot) =>
    Object.values(x.values[s] ?? {}).some((v) => v !== null);
  // Before the reload (SdPlan.early): the previous directives of each slice that runs before
  // and after, set at runtime; the slices the apply removed, started from their files.
  const runtime: NonNullable<SdPlan["early"]>["runtime"] = [];
  for (const k of Object.keys(before.files).sort()) {
    const b = before.files[k];
    const a = after.files[k];
    if (!isSliceFile(k) || a === undefined || a === b) continue;
    const unit = k.slice(5);
    if (!ran(unit, before) || !ran(unit, after)) continue;
    const assignments = runtimeAssignments(b!, a);
    if (assignments && assignments.length > 0) runtime.push({ unit, assignments });
  }
  const starts = Object.keys(before.files)
    .filter((k) => isSliceFile(k) && after.files[k] === undefined)
    .map((k) => k.slice(5))
    .sort();
  // What must start after the reload: a slice that ran before and not after (other than
  // those), vsc's target or net service that ran before and not after. A changed value of a
  // running slice needs only the reload.
  const start =
    before.files[`unit:${r.target}`] !== undefined &&
    (Object.keys(before.values).some(
      (s) =>
        before.files[`unit:${s}`] !== undefined &&
        !starts.includes(s) &&
        ran(s, before) &&
        !ran(s, after),
    ) ||
      (before.netActive && !after.netActive) ||
      (before.targetActive === true && after.targetActive === false));
  const verify: SdPlan["verify"] = Object.keys(before.values)
    .filter((s) => before.files[`unit:${s}`] !== undefined)
    .map((s) => ({
      unit: s,
      cgroupPath: sliceCgroupOf(s),
      values: Object.entries(before.values[s]!)
        .filter(([, v]) => v !== null)
        .map(([file, value]) => ({ file, directive: DIRECTIVE_OF[file] ?? file, value: value! })),
    }))
    .filter((s) => s.values.length > 0);
  return {
    "vsc-systemd-plan": 1,
    host: r.host,
    cgroupRoot: r.cgroupRoot,
    unitDir: r.unitDir,
    installDir: r.installDir,
    fingerprint: createHash("sha256").update(JSON.stringify(after)).digest("hex"),
    files,
    links,
    properties: [],
    restarts,
    stops,
    reloadNet,
    netActive: after.netActive,
    start,
    ...(loadNet ? { loadNet } : {}),
    early: { runtime, starts },
    target: r.target,
    netService: r.netService,
    verify,
    placement: [],
    wantFiles: [],
  };
}

// ---------------------------------------------------------------------------
// The record

export function serializeSdPending(r: SdPendingRecord): string {
  const body = JSON.stringify(r);
  return `${createHash("sha256").update(body).digest("hex")}\n${body}\n`;
}

export type SdPendingRead =
  | { kind: "none" }
  | { kind: "ok"; record: SdPendingRecord; ext: "pending" | "reverting"; previousBoot: boolean }
  | { kind: "bad"; diagnostic: Diagnostic; ext: "pending" | "reverting" };

/** Reads and checks `<key>.pending` (or `.reverting`) of a systemd apply. */
export function readSdPending(st: StateFiles, h: SystemdHost): SdPendingRead {
  const sealed = readSealed(st);
  if (sealed.kind !== "sealed") return sealed;
  const { ext, body, bad } = sealed;
  let r: SdPendingRecord;
  try {
    r = JSON.parse(body) as SdPendingRecord;
  } catch {
    return bad("it is not JSON");
  }
  const p = sdRecordProblems(r, st, h);
  if (p.length > 0) return bad(p[0]!, p.slice(1));
  return { kind: "ok", record: r, ext, previousBoot: r.boot !== bootId() };
}

function snapshotOk(s: unknown): boolean {
  const o = s as SdSnapshot;
  const strMap = (m: unknown) =>
    typeof m === "object" && m !== null && Object.values(m).every((v) => typeof v === "string");
  return (
    typeof o === "object" &&
    o !== null &&
    strMap(o.files) &&
    strMap(o.links) &&
    strMap(o.tc) &&
    typeof o.values === "object" &&
    o.values !== null &&
    Object.entries(o.values).every(
      ([k, v]) =>
        UNIT_RE.test(k) &&
        typeof v === "object" &&
        v !== null &&
        Object.values(v).every((x) => x === null || typeof x === "string"),
    ) &&
    typeof o.units === "object" &&
    o.units !== null &&
    typeof o.netActive === "boolean" &&
    (o.targetActive === undefined || typeof o.targetActive === "boolean") &&
    (o.nft === null || (typeof o.nft === "string" && (o.nft === "" || HEX.test(o.nft))))
  );
}

function sdRecordProblems(r: SdPendingRecord, st: StateFiles, h: SystemdHost): string[] {
  const p: string[] = [];
  if (typeof r !== "object" || r === null) return ["it is not a record"];
  if (r.format !== "vsc-sd-pending" || r.version !== 1)
    return ["it is not a vsc systemd pending record"];
  if (typeof r.id !== "string" || r.id.length !== 32 || !HEX.test(r.id)) p.push("bad id");
  if (typeof r.boot !== "string" || !/^[0-9a-f-]{1,64}$|^unknown$/.test(r.boot))
    p.push("bad boot id");
  for (const k of ["appliedAt", "deadline", "seconds"] as const)
    if (!Number.isSafeInteger(r[k])) p.push(`bad ${k}`);
  if (
    r.seconds < 1 ||
    r.seconds > MAX_CONFIRM_SECONDS ||
    r.deadline !== r.appliedAt + r.seconds * 1000
  )
    p.push("its deadline is not its apply time plus at most a day");
  if (typeof r.cgroupRoot !== "string" || !/^[a-z0-9_.-]+(\/[a-z0-9_.-]+)*$/.test(r.cgroupRoot))
    p.push("bad cgroup root");
  else if (sdStateFiles(st.dir, r.cgroupRoot).key !== st.key)
    p.push("it names another cgroup root than the state file it is in");
  if (r.unitDir !== h.unitDir || r.installDir !== h.installDir)
    p.push(
      `it was made for ${String(r.unitDir)} and ${String(r.installDir)}, not ${h.unitDir} and ${h.installDir}`,
    );
  if (typeof r.host !== "string") p.push("bad host");
  for (const u of [r.target, r.netService])
    if (typeof u !== "string" || !UNIT_RE.test(u))
      p.push(`${JSON.stringify(u)} is not a unit name`);
  if (!Array.isArray(r.units) || !r.units.every((u) => typeof u === "string" && UNIT_RE.test(u)))
    p.push("bad unit list");
  if (!Array.isArray(r.devs) || !r.devs.every((d) => typeof d === "string" && DEV_RE.test(d)))
    p.push("bad link list");
  if (typeof r.timer !== "string" || !/^vsc-revert-[0-9a-f]{16}$/.test(r.timer))
    p.push("bad timer");
  if (r.guard !== guardName(st)) p.push("bad boot guard name");
  if (!snapshotOk(r.before)) p.push("bad before state");
  if (!snapshotOk(r.after)) p.push("bad after state");
  if (p.length > 0) return p;
  const undo = sdUndo(r, r.before, r.after);
  if (JSON.stringify(undo) !== JSON.stringify(r.undo))
    return ["its undo plan is not the one its states before and after the apply make"];
  const v = validateSdPlan(undo, h, { undo: true });
  if (v.length > 0) return ["its undo plan is not one vsc makes", ...v];
  return [];
}

// ---------------------------------------------------------------------------
// The boot guard

export const guardName = (st: StateFiles): string => `vsc-boot-revert-${st.key}.service`;
const guardLink = (st: StateFiles) => `sysinit.target.wants/${guardName(st)}`;

/** One word of an ExecStart= line: quoted as systemd reads it, `%` and `$` doubled. */
function execWord(w: string): string {
  const e = w.replace(/%/g, "%%").replace(/\$/g, "$$$$");
  return /^[A-Za-z0-9_./:=@+-]+$/.test(e)
    ? e
    : `"${e.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

export function guardText(
  r: Pick<SdPendingRecord, "target" | "netService" | "units" | "before" | "after" | "cgroupRoot">,
  argv: string[],
  mounts: string[],
): string {
  const slices = [
    ...new Set(
      [...Object.keys(r.before.files), ...Object.keys(r.after.files)]
        .filter(isSliceFile)
        .map((k) => k.slice(5)),
    ),
  ].sort();
  const before = ["sysinit.target", r.target, r.netService, ...slices, ...r.units];
  return [
    `${GENERATED}vsc apply --confirm (cgroup root ${r.cgroupRoot}); removed by vsc confirm and vsc revert`,
    "# An apply pending confirmation: if the machine boots again before it is",
    "# confirmed, this puts vsc's previous unit files back before any of them start.",
    "[Unit]",
    "Description=vsc: revert an apply that was not confirmed before the reboot",
    "DefaultDependencies=no",
    "After=local-fs.target",
    // Its report goes to the system log through /dev/log (logger), which this socket opens.
    "After=systemd-journald-dev-log.socket",
    `RequiresMountsFor=${mounts.map(execWord).join(" ")}`,
    ...before.map((u) => `Before=${u}`),
    "",
    "[Service]",
    "Type=oneshot",
    `ExecStart=${argv.map(execWord).join(" ")}`,
    "",
    "[Install]",
    "WantedBy=sysinit.target",
    "",
  ].join("\n");
}

function writeGuard(h: SystemdHost, st: StateFiles, text: string): void {
  writeUnitFile(h.unitDir, guardName(st), text);
  writeLink(h.unitDir, guardLink(st), `../${guardName(st)}`);
}

function removeGuard(h: SystemdHost, st: StateFiles): void {
  removeEntry(h.unitDir, guardLink(st));
  removeEntry(h.unitDir, guardName(st));
}

// ---------------------------------------------------------------------------
// Arming

export interface SdConfirm {
  seconds: number;
  /** The lock directory (the apply's) and the pending directory (survives a reboot). */
  lockDir: string;
  pendingDir: string;
  vscBin?: string;
  /** sdNames of the plan, as the state before was read with. */
  names: { units: string[]; devs: string[] };
}

export interface SdArmed {
  record?: SdPendingRecord;
  diagnostics: Diagnostic[];
}

/**
 * The names the snapshots of this plan observe: the listed units and the
 * ones it moves, and the links of the tc batch now installed and of the new one.
 */
export function sdNames(h: SystemdHost, p: SdPlan): { units: string[]; devs: string[] } {
  const units = [
    ...new Set([...p.placement.map((x) => x.unit), ...p.restarts.map((x) => x.unit)]),
  ].sort();
  const batch = p.files.find((f) => f.root === "install" && f.path === "tc.batch")?.text;
  const devs = [
    ...new Set([
      ...(p.destroy?.links ?? []),
      ...devsOf({ "install:tc.batch": readUnitFile(h.installDir, "tc.batch") ?? "" }),
      ...devsOf({ "install:tc.batch": batch ?? "" }),
    ]),
  ].sort();
  return { units, devs };
}

function revertArgv(
  r: { id?: string; cgroupRoot: string },
  c: SdConfirm,
  bin: string,
  boot: boolean,
) {
  return [
    process.execPath,
    bin,
    "revert",
    ...(boot ? ["--boot"] : ["--due", r.id!]),
    "--state-dir",
    c.lockDir,
    "--pending-dir",
    c.pendingDir,
    "--cgroup-root",
    r.cgroupRoot,
  ];
}

/**
 * After a verified systemd apply: the state read again, the undo, the
 * record, the boot guard, the timer. When any of it fails the apply is
 * undone at once (VSC5404).
 */
export function armSdConfirm(
  h: SystemdHost,
  plan: SdPlan,
  before: SdSnapshot,
  c: SdConfirm,
): SdArmed {
  const bin = c.vscBin ?? join(packageRoot(), "bin", "vsc.js");
  const names = c.names;
  // Read over the same slices as the state before (and it widened to the new ones), so they compare.
  const after = sdSnapshot(h, observeTarget(plan), {
    ...names,
    slices: Object.keys(before.values),
  });
  const slices = Object.keys(after.values);
  const st = sdStateFiles(c.pendingDir, plan.cgroupRoot);
  const now = Date.now();
  const id = randomBytes(16).toString("hex");
  const base = {
    format: "vsc-sd-pending" as const,
    version: 1 as const,
    id,
    boot: bootId(),
    appliedAt: now,
    deadline: now + c.seconds * 1000,
    seconds: c.seconds,
    host: plan.host,
    cgroupRoot: plan.cgroupRoot,
    unitDir: h.unitDir,
    installDir: h.installDir,
    target: plan.target,
    netService: plan.netService,
    units: names.units,
    devs: names.devs,
    timer: `vsc-revert-${id.slice(0, 16)}`,
    guard: guardName(st),
    before: widen(before, slices),
    after,
  };
  const record: SdPendingRecord = { ...base, undo: sdUndo(base, base.before, after) };
  let failure: string | undefined;
  let step = "record";
  try {
    stateText.write(st, "pending", serializeSdPending(record));
    step = "guard";
    writeGuard(
      h,
      st,
      guardText(record, revertArgv(record, c, bin, true), [c.pendingDir, dirname(bin)]),
    );
    step = "timer";
    // The revert reads the live state under the lock `leadMs` before the deadline, then waits
    // for it; the timer fires up to a minute before that (timerDelay: starting node in a fresh
    // service took up to 16 s in the lab).
    const at = timerDelay(c.seconds);
    const t = h.run([
      "systemd-run",
      `--unit=${record.timer}`,
      `--on-active=${at}s`,
      "--timer-property=AccuracySec=100ms",
      "--collect",
      "--quiet",
      "--",
      ...revertArgv(record, c, bin, false),
    ]);
    if (!t.ok) throw new Error(`systemd-run: ${t.err.trim() || `exit ${t.status}`}`);
  } catch (e) {
    failure = `${step}: ${e instanceof StateError ? e.diagnostic.message : e instanceof Error ? e.message : String(e)}`;
  }
  if (failure === undefined) {
    const logged = systemLog(
      "notice",
      `systemd apply of ${plan.cgroupRoot} pending confirmation until ${when(record.deadline)} (id ${id.slice(0, 8)}); it reverts itself unless \`vsc confirm\` runs first`,
    );
    void logged;
    return { record, diagnostics: [] };
  }
  try {
    removeGuard(h, st);
  } catch {
    /* reported below with the rest */
  }
  stateText.remove(st, "pending");
  const r = sdApply(h, record.undo, true);
  return {
    diagnostics: [
      diag(
        Code.armFailed,
        `the revert could not be armed (${failure}), so the apply was undone right away`,
        "fix the cause (the pending directory, systemd-run), then apply again",
        r.ok
          ? ["undone: the previous unit files are back, systemd reloaded"]
          : ["undoing it failed too (below)"],
      ),
      ...r.diagnostics,
    ],
  };
}

/** A snapshot over more slices: the ones it did not read were absent. */
function widen(s: SdSnapshot, slices: string[]): SdSnapshot {
  const values = { ...s.values };
  for (const k of slices) values[k] ??= nulls();
  return { ...s, values: sortObj(values) };
}

const when = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");

// ---------------------------------------------------------------------------
// Finding, confirming, reverting

/** `<key>.pending` / `.reverting` files in `dir` that hold a systemd record (or are for this root). */
export function sdPendingKeys(dir: string, cgroupRoot?: string): StateFiles[] {
  if (cgroupRoot !== undefined) {
    const st = sdStateFiles(dir, cgroupRoot);
    try {
      return stateText.read(st, "pending") !== undefined ||
        stateText.read(st, "reverting") !== undefined
        ? [st]
        : [];
    } catch {
      return [st];
    }
  }
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: StateFiles[] = [];
  const norm = dir.replace(/(.)\/+$/, "$1");
  for (const n of names.sort()) {
    const m = /^(.+)\.(pending|reverting)$/.exec(n);
    if (!m || n.startsWith(".")) continue;
    const st: StateFiles = { dir: norm, key: m[1]! };
    if (isSdRecordText(safeRead(st, m[2] as "pending" | "reverting"))) {
      if (!out.some((o) => o.key === st.key)) out.push(st);
    }
  }
  return out;
}

const safeRead = (st: StateFiles, ext: "pending" | "reverting") => {
  try {
    return stateText.read(st, ext);
  } catch {
    return undefined;
  }
};

/** Whether a state file's text is (or claims to be) a systemd pending record. */
export const isSdRecordText = (t: string | undefined): boolean =>
  t !== undefined && t.slice(t.indexOf("\n") + 1).startsWith('{"format":"vsc-sd-pending"');

function writeOutcome(st: StateFiles, o: OutcomeRecord): void {
  try {
    stateText.write(st, "outcome", `${JSON.stringify(o)}\n`);
  } catch {
    /* the system log has it */
  }
}

/** The timer, and its service if it already runs (waiting for the deadline). */
function stopTimer(h: SystemdHost, r: SdPendingRecord): void {
  h.run(["systemctl", "stop", "--", `${r.timer}.timer`, `${r.timer}.service`]);
}

/** `vsc confirm` of a systemd apply: the record taken (atomically), the timer stopped, the guard removed. */
export function sdConfirm(h: SystemdHost, st: StateFiles): CommandResult {
  const p = readSdPending(st, h);
  if (p.kind === "none")
    return {
      code: 0,
      diagnostics: [],
      message: "Nothing to confirm: no apply is pending confirmation.\n",
    };
  if (p.ext === "reverting")
    return {
      code: 1,
      diagnostics: [
        diag(
          Code.tooLate,
          "too late to confirm: the deadline has passed and the revert has started",
          "the units are being put back to the ones before that apply; apply it again (with --confirm) if it is still wanted",
        ),
      ],
    };
  if (!stateText.take(st, "pending"))
    return {
      code: 1,
      diagnostics: [
        diag(Code.tooLate, "too late to confirm: the revert took the pending apply first"),
      ],
    };
  try {
    removeGuard(h, st);
  } catch {
    /* a guard without its record does nothing at boot (no record: exit 0) */
  }
  if (p.kind === "bad") {
    systemLog("err", `discarded a pending revert that was refused: ${p.diagnostic.message}`);
    return {
      code: 0,
      diagnostics: [
        {
          ...p.diagnostic,
          severity: "warning",
          notes: ["discarded: the live state is kept as it is"],
        },
      ],
      message: "Confirmed: the live state stays as it is (the pending revert was discarded).\n",
    };
  }
  const r = p.record;
  stopTimer(h, r);
  writeOutcome(st, { id: r.id, at: Date.now(), result: "confirmed", lines: [] });
  systemLog(
    "notice",
    `confirmed the systemd apply of ${when(r.appliedAt)} on ${r.cgroupRoot} (id ${r.id.slice(0, 8)})`,
  );
  return {
    code: 0,
    diagnostics: [],
    message: `Confirmed: the apply of ${when(r.appliedAt)} is permanent (${Math.max(0, Math.round((r.deadline - Date.now()) / 1000))} s were left); its unit files stay, its timer and boot guard are removed.\n`,
  };
}

async function lockWithin(st: StateFiles, ms: number) {
  const end = Date.now() + ms;
  for (;;) {
    const l = acquireLock(st);
    if (l.ok || Date.now() >= end) return l;
    await new Promise((res) => setTimeout(res, 100));
  }
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, Math.max(0, ms)));

export interface SdRevertOptions {
  /** The timer: only this id, at its deadline. */
  due?: string;
  /** At boot (the guard): put the files back before anything of vsc starts. */
  boot?: boolean;
  lockDir: string;
}

/**
 * `vsc revert` of a systemd apply: now (`vsc revert`), at the deadline
 * (`--due`), or at boot (`--boot`, the guard).
 */
export async function sdRevert(
  h: SystemdHost,
  st: StateFiles,
  o: SdRevertOptions,
): Promise<CommandResult> {
  const t0 = Date.now();
  const first = readSdPending(st, h);
  if (first.kind === "ok" && o.due) {
    if (first.record.id !== o.due || first.ext !== "pending") return { code: 0, diagnostics: [] };
    // Woken `leadMs` before the deadline already; a timer that fired early waits here.
    await sleep(first.record.deadline - leadMs(first.record.seconds) - Date.now());
  }
  const lockSt = sdStateFiles(o.lockDir, first.kind === "ok" ? first.record.cgroupRoot : "vsc");
  const lock = await lockWithin(lockSt, o.due || o.boot ? 60_000 : 10_000);
  const timings: Record<string, number> = { lock: Date.now() - t0 };
  if (!lock.ok)
    return {
      code: 1,
      diagnostics: [
        diag(
          Code.locked,
          `another vsc command holds the lock (pid ${lock.holder})`,
          "run `vsc revert` again in a moment",
          [`lock file: ${lock.file}`],
        ),
      ],
    };
  try {
    const p = readSdPending(st, h);
    if (p.kind === "none") {
      if (o.due || o.boot) return { code: 0, diagnostics: [] };
      return {
        code: 0,
        diagnostics: [],
        message: "Nothing to revert: no apply is pending confirmation.\n",
      };
    }
    if (p.kind === "bad") {
      systemLog("err", `pending revert refused: ${p.diagnostic.message}`);
      writeOutcome(st, {
        id: "",
        at: Date.now(),
        result: "revert-refused",
        lines: [p.diagnostic.message],
      });
      return { code: 1, diagnostics: [p.diagnostic] };
    }
    const r = p.record;
    if (o.due && (r.id !== o.due || p.ext !== "pending")) return { code: 0, diagnostics: [] };
    if (o.boot) {
      if (!p.previousBoot) return { code: 0, diagnostics: [] };
      return bootRevert(h, st, r, p.ext);
    }
    // Everything that only reads, before the deadline (under the lock, which keeps every
    // other vsc change out): the live state, and what runs in the slices the undo stops.
    const names = { units: r.units, devs: r.devs, slices: Object.keys(r.after.values) };
    const live = sdSnapshot(h, observeTarget(r), names);
    const inSlices = unitsIn(h, r);
    timings.observe = Date.now() - t0 - timings.lock!;
    if (o.due) await sleep(r.deadline - Date.now());
    if (p.ext === "pending" && !stateText.take(st, "pending", "reverting")) {
      return o.due
        ? { code: 0, diagnostics: [] }
        : {
            code: 0,
            diagnostics: [],
            message: "Nothing to revert: the pending apply was confirmed meanwhile.\n",
          };
    }
    return runSdRevert(h, st, r, { live, inSlices }, timings, o);
  } finally {
    lock.release();
  }
}

/** The host with every command's time kept ("systemctl daemon-reload 1234 ms"). */
function timedHost(h: SystemdHost, calls: string[]): SystemdHost {
  const t = Object.create(h) as SystemdHost;
  t.run = (argv, input) => {
    const t0 = Date.now();
    const r = h.run(argv, input);
    const words = argv.filter((w) => w !== "--");
    calls.push(
      `${words.slice(0, 4).join(" ")}${words.length > 4 ? " ..." : ""} ${Date.now() - t0} ms`,
    );
    return r;
  };
  return t;
}

function runSdRevert(
  h0: SystemdHost,
  st: StateFiles,
  r: SdPendingRecord,
  prep: { live: SdSnapshot; inSlices: string[] },
  timings: Record<string, number>,
  o: SdRevertOptions,
): CommandResult {
  const { live, inSlices } = prep;
  // Each command the undo runs, timed, for the outcome and the system log.
  const calls: string[] = [];
  const h = timedHost(h0, calls);
  const started = Date.now();
  let mark = started;
  const step = (n: string) => {
    const now = Date.now();
    timings[n] = now - mark;
    mark = now;
  };
  let restoredAt: number | undefined;
  let kernelAt: number | undefined;
  const tag = `revert of the systemd apply of ${when(r.appliedAt)} on ${r.cgroupRoot} (id ${r.id.slice(0, 8)}${o.due ? ", deadline reached" : ", by vsc revert"})`;
  const finish = (
    result: OutcomeRecord["result"],
    ds: Diagnostic[],
    lines: string[],
    code: number,
    message?: string,
  ): CommandResult => {
    step("verify");
    if (result === "revert-refused" || result === "revert-failed") {
      stateText.take(st, "reverting", "pending");
      if (guardBack)
        try {
          writeGuard(h, st, guardBack);
        } catch {
          /* the timer still runs; only a reboot would miss it */
        }
    } else stateText.remove(st, "reverting");
    const undoCalls = calls.slice(0, undoCallCount ?? calls.length);
    writeOutcome(st, {
      id: r.id,
      at: Date.now(),
      result,
      lines,
      ...(restoredAt ? { restoredAt } : {}),
      ...(kernelAt ? { kernelAt } : {}),
      timings: { ...timings, startedAfterDeadline: started - r.deadline },
      calls: undoCalls,
    });
    const from = o.due ? r.deadline : started;
    const after = `after ${o.due ? "the deadline" : "it started"}`;
    const took = restoredAt
      ? ` (${kernelAt ? `cgroup values, table and tc trees back ${kernelAt - from} ms ${after}, ` : ""}restored ${restoredAt - from} ms ${after}: ${undoCalls.join(", ")})`
      : "";
    systemLog(
      code === 0 ? "notice" : "err",
      `${tag}: ${result === "reverted" ? "restored exactly, read back" : `${result}: ${[...ds.map((d) => `${d.code} ${d.message}`), ...lines].join("; ")}`}${took}`,
    );
    return { code, diagnostics: ds, ...(message ? { message } : {}) };
  };
  let guardBack: string | undefined;
  let undoCallCount: number | undefined;
  const differs = sdDifferences(r.after, live);
  if (differs.length > 0) {
    return finish(
      "revert-refused",
      [
        diag(
          Code.revertStale,
          "not reverted: the live state is no longer the one the pending apply left",
          "someone changed vsc's units, slices, table inet vsc or qdiscs since; the revert would not be exact. Look with `vsc show FILE`, then `vsc confirm` to keep the live state, or fix it by hand and run `vsc revert` again",
          [...differs, "nothing was changed; the apply is still pending"],
        ),
      ],
      differs,
      1,
    );
  }
  // The guard goes with the files it guards (restored if the undo is rolled back).
  guardBack = readUnitFile(h.unitDir, r.guard);
  removeGuard(h, st);
  const res = sdApply(h, r.undo, true);
  step("execute");
  if (!res.ok) {
    const ds = res.diagnostics.map((d, i) =>
      i === 0
        ? {
            ...d,
            notes: [
              ...(d.notes ?? []),
              "the apply is still pending: fix the cause and run `vsc revert`, or `vsc confirm` to keep it",
            ],
          }
        : d,
    );
    return finish("revert-failed", ds, [], 1);
  }
  guardBack = undefined;
  restoredAt = Date.now();
  kernelAt = res.kernelAt;
  undoCallCount = calls.length;
  if (!o.due) stopTimer(h, r);
  const now = sdSnapshot(h, observeTarget(r), {
    units: r.units,
    devs: r.devs,
    slices: Object.keys(r.before.values),
  });
  const diff = sdDifferences(r.before, now);
  const stopped =
    inSlices.length > 0
      ? [`stopped with the slices the apply created: ${inSlices.join(", ")}`]
      : [];
  if (diff.length > 0)
    return finish(
      "reverted-differs",
      [
        diag(
          Code.revertDiffers,
          "reverted, but the live state read again differs from the state before the apply",
          "run `vsc plan FILE` to see it; the differences are listed",
          [...diff, ...stopped],
        ),
      ],
      [...diff, ...stopped],
      1,
    );
  return finish(
    "reverted",
    [],
    stopped,
    0,
    `Reverted: the apply of ${when(r.appliedAt)} is undone (${r.undo.files.length} file(s), ${r.undo.links.length} link(s), ${r.undo.restarts.length} restart(s), ${r.undo.stops.length} stop(s)); read back, the state is exactly the one before it.${stopped.length ? `\n${stopped[0]}` : ""}\n`,
  );
}

/**
 * Units running in the slices the undo stops, other than the ones it moves
 * back: `systemctl stop` of a slice stops them (as destroy does). Read from
 * the cgroup tree (each unit's cgroup is a directory named after it), not
 * from systemctl: `systemctl show` of the 21 active units took 7.5 s in the
 * systemd lab under emulation, the directory walk takes milliseconds.
 */
function unitsIn(h: SystemdHost, r: SdPendingRecord): string[] {
  const stops = r.undo.stops.filter((s) => s.endsWith(".slice"));
  if (stops.length === 0) return [];
  const moved = new Set(r.undo.restarts.map((x) => x.unit));
  const out = new Set<string>();
  const walk = (dir: string, depth: number) => {
    let es: Dirent[];
    try {
      es = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of es) {
      if (!e.isDirectory()) continue;
      if (e.name.endsWith(".slice")) {
        if (depth < 64) walk(join(dir, e.name), depth + 1);
      } else if (UNIT_RE.test(e.name) && !moved.has(e.name)) out.add(e.name);
    }
  };
  for (const s of stops) walk(join(h.cgroupMount, sliceCgroupOf(s)), 0);
  return [...out].sort();
}

/**
 * At boot, before anything of vsc starts: the previous files and links
 * back, the guard removed, one daemon-reload; the files read back.
 * What is live (values, the table, the qdiscs) comes from those files as
 * systemd starts the units; `vsc plan` then shows no change.
 */
function bootRevert(
  h: SystemdHost,
  st: StateFiles,
  r: SdPendingRecord,
  ext: "pending" | "reverting",
): CommandResult {
  if (ext === "pending") stateText.take(st, "pending", "reverting");
  const problems: string[] = [];
  for (const f of r.undo.files) {
    const dir = f.root === "unit" ? h.unitDir : h.installDir;
    try {
      if (f.op === "-") removeEntry(dir, f.path);
      else writeUnitFile(dir, f.path, f.text!);
    } catch (e) {
      problems.push(`${f.path}: ${(e as Error).message}`);
    }
  }
  for (const l of r.undo.links) {
    try {
      if (l.op === "-") removeEntry(h.unitDir, l.path);
      else writeLink(h.unitDir, l.path, l.target!);
    } catch (e) {
      problems.push(`${l.path}: ${(e as Error).message}`);
    }
  }
  // The guard goes before the reload. (Removed after it, so as to keep its Before= orderings
  // until it ends, the second boot of lab run 7 hung after the first slices started, both
  // CPUs busy for 6 minutes: not understood, so not done. Reloaded without it, the queued
  // jobs may start while it ends; they start from the previous files, already back.)
  try {
    removeGuard(h, st);
  } catch (e) {
    problems.push(`${r.guard}: ${(e as Error).message}`);
  }
  const reload = h.run(["systemctl", "daemon-reload"]);
  if (!reload.ok) problems.push(`daemon-reload: ${reload.err.trim()}`);
  // The boot's jobs were queued from the files the guard replaced, and a reload keeps them:
  // what the apply created (a slice; the target and net service of a first apply) would
  // still start, a slice without its file as an empty one. A stop job replaces each start
  // job (nothing of them runs yet); without waiting, the guard runs before them all.
  if (r.undo.stops.length > 0) {
    const stop = h.run(["systemctl", "stop", "--no-block", "--", ...r.undo.stops]);
    if (!stop.ok) problems.push(`stop --no-block ${r.undo.stops.join(" ")}: ${stop.err.trim()}`);
  }
  // Nor does the reload pull in what the previous target wants (a slice the apply removed):
  // asking again for the target's start job (without waiting) adds those jobs.
  if (r.before.files[`unit:${r.target}`] !== undefined) {
    const jobs = h.run(["systemctl", "list-jobs", "--plain", "--no-legend"]);
    const queued = jobs.out.split("\n").some((l) => l.trim().split(/\s+/)[1] === r.target);
    if (queued) {
      const again = h.run(["systemctl", "start", "--no-block", "--", r.target]);
      if (!again.ok) problems.push(`start --no-block ${r.target}: ${again.err.trim()}`);
    }
  }
  // Read back: every file and link vsc owns is the one before the apply.
  for (const [k, text] of Object.entries(r.before.files)) {
    const [root, path] = [k.slice(0, k.indexOf(":")), k.slice(k.indexOf(":") + 1)];
    if (readUnitFile(root === "unit" ? h.unitDir : h.installDir, path) !== text)
      problems.push(`${path}: not the text it had before the apply`);
  }
  for (const f of r.undo.files)
    if (
      f.op === "-" &&
      readUnitFile(f.root === "unit" ? h.unitDir : h.installDir, f.path) !== undefined
    )
      problems.push(`${f.path}: still there`);
  for (const [p, t] of Object.entries(r.before.links))
    if (readLink(h.unitDir, p) !== t) problems.push(`link ${p}: not back`);
  for (const l of r.undo.links)
    if (l.op === "-" && readLink(h.unitDir, l.path) !== undefined)
      problems.push(`link ${l.path}: still there`);
  stateText.remove(st, "reverting");
  const result = problems.length === 0 ? "reverted" : "reverted-differs";
  writeOutcome(st, {
    id: r.id,
    at: Date.now(),
    result,
    lines: ["at boot: the machine restarted before the deadline", ...problems],
  });
  const msg = `revert at boot of the systemd apply of ${when(r.appliedAt)} on ${r.cgroupRoot} (id ${r.id.slice(0, 8)}): not confirmed before the reboot; ${problems.length === 0 ? "the previous unit files are back, read back" : `differs: ${problems.join("; ")}`}`;
  systemLog(problems.length === 0 ? "notice" : "err", msg);
  return problems.length === 0
    ? { code: 0, diagnostics: [], message: `${msg}\n` }
    : { code: 1, diagnostics: [diag(Code.revertDiffers, msg)] };
}

/** For `vsc show FILE` under driver systemd: one paragraph on the pending apply. */
export function sdPendingSummary(h: SystemdHost, st: StateFiles): string | undefined {
  let p: SdPendingRead;
  try {
    p = readSdPending(st, h);
  } catch (e) {
    return e instanceof StateError ? `pending confirmation: ${e.diagnostic.message}\n` : undefined;
  }
  if (p.kind === "none") {
    const t = (() => {
      try {
        return stateText.read(st, "outcome");
      } catch {
        return undefined;
      }
    })();
    if (!t) return undefined;
    try {
      const o = JSON.parse(t) as OutcomeRecord;
      return o.result === "confirmed"
        ? undefined
        : `last pending apply: ${o.result} at ${when(o.at)}${o.lines.length ? `\n  ${o.lines.join("\n  ")}` : ""}\n`;
    } catch {
      return undefined;
    }
  }
  if (p.kind === "bad") return `pending confirmation: REFUSED (${p.diagnostic.message})\n`;
  const r = p.record;
  if (p.ext === "reverting")
    return `pending confirmation: the deadline ${when(r.deadline)} has passed; the revert has started\n`;
  const left = Math.round((r.deadline - Date.now()) / 1000);
  return `pending confirmation: applied ${when(r.appliedAt)}, reverts at ${when(r.deadline)} (${left >= 0 ? `in ${left} s` : `${-left} s overdue`}) unless \`vsc confirm\`; systemd timer ${r.timer}.timer, boot guard ${r.guard}\n`;
}

/** An apply pending confirmation refuses every other apply and destroy (VSC5401). */
export function sdPendingRefusal(h: SystemdHost, st: StateFiles): Diagnostic | undefined {
  const p = readSdPending(st, h);
  if (p.kind === "none") return undefined;
  if (p.kind === "bad")
    return {
      ...p.diagnostic,
      code: Code.pendingBlocks,
      message: `a pending apply blocks this one, and its record is refused: ${p.diagnostic.message}`,
    };
  const left = Math.round((p.record.deadline - Date.now()) / 1000);
  return diag(
    Code.pendingBlocks,
    `an apply is pending confirmation on this host's units (${left >= 0 ? `reverts in ${left} s` : `${-left} s overdue`})`,
    "run `vsc confirm` to keep it or `vsc revert` to undo it now, then apply again",
    ["nothing was changed"],
  );
}
