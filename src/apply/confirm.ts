/**
 * `vsc apply --confirm DURATION`, `vsc confirm`, `vsc revert` (#19): an
 * apply that undoes itself at a deadline unless it is confirmed (Juniper's
 * `commit confirmed`, Shorewall's `safe-restart`).
 *
 * After a verified apply, the exact undo (src/plan/invert.ts: a plan from
 * the state read after the apply back to the state read before it, with the
 * previous ruleset's text) is saved as `<key>.pending` in the state
 * directory, 0600, with a sha256 of its body, and a watchdog is started that
 * runs it at the deadline:
 *  - a detached process (`vsc revert --due ID`, its own session via setsid:
 *    it outlives the applying process, the operator's shell and SSH session),
 *    which waits for the deadline and then takes the same lock as apply;
 *  - or, when systemd is PID 1 and the real cgroup mount is used, a
 *    transient timer (`systemd-run --on-active`), which also survives a
 *    logind session cleanup that kills every process of the session.
 * The pending record is untrusted input when it is read back (like a saved
 * plan): checksum, shape, the state key it must belong to, and the undo plan
 * through the plan schema and src/plan/validate.ts. A record that fails is
 * refused (VSC5402) and nothing runs.
 *
 * A revert is a plan run by the executor: journaled, read back, rolled back
 * on failure. It refuses (VSC5405) when the live state is not the one the
 * apply left (its fingerprint), runs otherwise, then reads the scope again
 * and compares it with the state before the apply: "restored exactly", or
 * every line that differs (VSC5406). The outcome goes to the system log
 * (`logger`) and to `<key>.outcome`, which `vsc show` and `vsc confirm` read.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Diagnostic } from "../diag/diagnostic.js";
import { packageRoot } from "../paths.js";
import { Code } from "../plan/codes.js";
import { parsePlan } from "../plan/document.js";
import { fingerprint } from "../plan/fingerprint.js";
import { invertPlan } from "../plan/invert.js";
import type { ObservedState, Plan } from "../plan/types.js";
import { parentPath } from "../plan/values.js";
import { executePlan, stateDifferences } from "./execute.js";
import { KernelError, type Kernel } from "./kernel.js";
import { observe } from "./observe.js";
import {
  StateError,
  acquireLock,
  journalMarker,
  processAlive,
  processId,
  savedRuleset,
  stateFiles,
  stateText,
  type StateFiles,
} from "./state.js";

/** The longest confirmation window: a day. */
export const MAX_CONFIRM_SECONDS = 86_400;

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * "90s", "2m", "1h30m", "1d", or plain seconds ("90") -> seconds. 0,
 * negative, fractional and above a day are errors (VSC5400).
 */
export function parseDuration(text: string): { seconds: number } | { error: string } {
  const t = text.trim();
  if (/^-/.test(t)) return { error: `${JSON.stringify(text)} is negative` };
  let seconds = 0;
  if (/^\d+$/.test(t)) seconds = Number(t);
  else {
    const re = /(\d+)([smhd])/gy;
    let m: RegExpExecArray | null;
    let at = 0;
    while ((m = re.exec(t)) !== null) {
      seconds += Number(m[1]) * UNITS[m[2]!]!;
      at = re.lastIndex;
    }
    if (t === "" || at !== t.length)
      return {
        error: `${JSON.stringify(text)} is not a duration: write seconds, or a number with s, m, h or d (90s, 2m, 1h30m)`,
      };
  }
  if (!Number.isSafeInteger(seconds) || seconds > MAX_CONFIRM_SECONDS)
    return { error: `${JSON.stringify(text)} is longer than a day (86400 s)` };
  if (seconds === 0)
    return { error: `${JSON.stringify(text)} is zero: nothing would be confirmed` };
  return { seconds };
}

export type WatchdogKind = "process" | "systemd";

/** What `<key>.pending` holds (the body; the file's first line is its sha256). */
export interface PendingRecord {
  format: "vsc-pending";
  version: 1;
  /** Random, names this pending apply (the watchdog is started for it). */
  id: string;
  /** /proc/sys/kernel/random/boot_id when it was made. */
  boot: string;
  /** ms since the epoch. */
  appliedAt: number;
  deadline: number;
  seconds: number;
  cgroupMount: string;
  cgroupRoot: string;
  netns: string | null;
  moveProcs: boolean;
  watchdog: { kind: "process"; process: string } | { kind: "systemd"; unit: string };
  /** The live state read before the apply (what the revert must give back) and after it. */
  before: ObservedState;
  after: ObservedState;
  undo: Plan;
}

/** What a revert or a confirm ended in, kept in `<key>.outcome` (cleared by the next apply). */
export interface OutcomeRecord {
  id: string;
  at: number;
  result: "confirmed" | "reverted" | "reverted-differs" | "revert-failed" | "revert-refused";
  lines: string[];
  /** When the undo's last change was made and read back (before the whole scope is read again). */
  restoredAt?: number;
  /**
   * Driver systemd: when the kernel's part (every slice value, table inet vsc,
   * the tc trees, the slices the apply created stopped) was back and read
   * back, before systemd's daemon-reload and the units' restarts.
   */
  kernelAt?: number;
  /** ms per step of the revert: what the time to restore is made of. */
  timings?: Record<string, number>;
  /** Each command the undo ran and its time ("systemctl daemon-reload 1234 ms"; driver systemd). */
  calls?: string[];
}

const HEX = /^[0-9a-f]+$/;

export function bootId(): string {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return "unknown";
  }
}

const when = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");

export function diag(code: string, message: string, help?: string, notes?: string[]): Diagnostic {
  return {
    code,
    severity: "error",
    message,
    ...(help ? { help } : {}),
    ...(notes && notes.length > 0 ? { notes } : {}),
  };
}

// ---------------------------------------------------------------------------
// The pending record on disk

export function serializePending(r: PendingRecord): string {
  const body = JSON.stringify(r);
  return `${createHash("sha256").update(body).digest("hex")}\n${body}\n`;
}

/** Records that passed every check, by state file and checksum (the watchdog reads its record repeatedly). */
const validated = new Map<string, PendingRecord>();

/**
 * `ext` is the file it is in: "pending", or "reverting" while a revert that
 * took it (atomically, by renaming it) runs, or after that revert died.
 */
export type PendingRead =
  | { kind: "none" }
  | { kind: "ok"; record: PendingRecord; ext: PendingExt }
  | { kind: "bad"; diagnostic: Diagnostic; ext: PendingExt }
  | { kind: "previous-boot"; record: PendingRecord; ext: PendingExt };
export type PendingExt = "pending" | "reverting";

/**
 * Reads `<key>.pending` and holds it to what vsc itself writes. Throws
 * StateError only for an unsafe state directory or file (a link, not ours).
 */
/**
 * The envelope both drivers' records share: `<key>.pending` (or
 * `.reverting`, once a revert took it), a sha256 line, then the body. `bad`
 * words a refusal of that file; a checksum that does not match is one.
 */
export function readSealed(st: StateFiles):
  | { kind: "none" }
  | { kind: "bad"; diagnostic: Diagnostic; ext: PendingExt }
  | {
      kind: "sealed";
      ext: PendingExt;
      file: string;
      sum: string;
      body: string;
      bad: (
        why: string,
        notes?: string[],
      ) => { kind: "bad"; diagnostic: Diagnostic; ext: PendingExt };
    } {
  let ext: PendingExt = "pending";
  let text = stateText.read(st, ext);
  if (text === undefined) {
    ext = "reverting";
    text = stateText.read(st, ext);
  }
  if (text === undefined) return { kind: "none" };
  const file = stateText.path(st, ext);
  const bad = (why: string, notes: string[] = []) => ({
    kind: "bad" as const,
    ext,
    diagnostic: diag(
      Code.pendingTampered,
      `the pending revert ${file} is refused: ${why}`,
      "nothing was run from it; find out who changed it. `vsc confirm` discards it (keeping the live state as it is); `vsc plan`/`vsc apply` then bring the host where you want it",
      [...notes, "nothing was changed"],
    ),
  });
  const nl = text.indexOf("\n");
  const sum = text.slice(0, nl);
  const body = text.slice(nl + 1).replace(/\n$/, "");
  if (nl < 0 || createHash("sha256").update(body).digest("hex") !== sum)
    return bad("its checksum does not match its content (edited or truncated)");
  return { kind: "sealed", ext, file, sum, body, bad };
}

export function readPending(st: StateFiles): PendingRead {
  const sealed = readSealed(st);
  if (sealed.kind !== "sealed") return sealed;
  const { ext, file, sum, body, bad } = sealed;
  // The watchdog reads the same record every few seconds and once more at the deadline:
  // the checks below (the plan schema above all) ran on these very bytes already.
  const cacheKey = `${st.dir}\0${st.key}\0${sum}`;
  const cached = validated.get(cacheKey);
  if (cached)
    return cached.boot !== bootId()
      ? { kind: "previous-boot", record: cached, ext }
      : { kind: "ok", record: cached, ext };
  let r: PendingRecord;
  try {
    r = JSON.parse(body) as PendingRecord;
  } catch {
    return bad("it is not JSON");
  }
  const problems = recordProblems(r, st);
  if (problems.length > 0) return bad(problems[0]!, problems.slice(1));
  const undo = parsePlan(JSON.stringify(r.undo), file);
  if (!undo.plan)
    return bad(
      "its undo plan is not one vsc makes",
      undo.diagnostics.map((d) => `${d.code}: ${d.message}`),
    );
  if (undo.plan.scope.cgroupRoot !== r.cgroupRoot)
    return bad("its undo plan works on another cgroup subtree");
  r.undo = undo.plan;
  validated.set(cacheKey, r);
  if (r.boot !== bootId()) return { kind: "previous-boot", record: r, ext };
  return { kind: "ok", record: r, ext };
}

function recordProblems(r: PendingRecord, st: StateFiles): string[] {
  const p: string[] = [];
  if (typeof r !== "object" || r === null) return ["it is not a record"];
  if (r.format !== "vsc-pending" || r.version !== 1) p.push("it is not a vsc pending record");
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
  if (
    typeof r.cgroupMount !== "string" ||
    !r.cgroupMount.startsWith("/") ||
    /[\0-\x1f\x7f]/.test(r.cgroupMount)
  )
    p.push("bad cgroup mount");
  if (typeof r.cgroupRoot !== "string" || !/^[a-z0-9_.-]+(\/[a-z0-9_.-]+)*$/.test(r.cgroupRoot))
    p.push("bad cgroup root");
  else if (
    typeof r.cgroupMount === "string" &&
    stateFiles(st.dir, r.cgroupMount, r.cgroupRoot).key !== st.key
  )
    p.push("it names another cgroup subtree than the state file it is in");
  if (
    r.netns !== null &&
    (typeof r.netns !== "string" ||
      !/^[A-Za-z0-9_.-]{1,64}$/.test(r.netns) ||
      r.netns.startsWith("."))
  )
    p.push("bad network namespace name");
  if (typeof r.moveProcs !== "boolean") p.push("bad moveProcs");
  const w = r.watchdog as { kind?: unknown; process?: unknown; unit?: unknown } | undefined;
  if (
    !w ||
    !(
      (w.kind === "process" && typeof w.process === "string" && /^\d+ (\d+|\?)$/.test(w.process)) ||
      (w.kind === "systemd" &&
        typeof w.unit === "string" &&
        /^vsc-revert-[A-Za-z0-9_-]+$/.test(w.unit))
    )
  )
    p.push("bad watchdog");
  for (const k of ["before", "after"] as const) {
    const o = r[k] as ObservedState | undefined;
    if (
      !o ||
      o.cgroupRoot !== r.cgroupRoot ||
      !Array.isArray(o.cgroups) ||
      !Array.isArray(o.links) ||
      typeof o.nft !== "object"
    )
      p.push(`bad ${k} state`);
  }
  if (p.length === 0 && r.undo && fingerprint(r.after) !== (r.undo as Plan).fingerprint)
    p.push("its undo plan was not made against the state it records after the apply");
  return p;
}

export function readOutcome(st: StateFiles): OutcomeRecord | undefined {
  try {
    const t = stateText.read(st, "outcome");
    if (t === undefined) return undefined;
    const o = JSON.parse(t) as OutcomeRecord;
    return typeof o.result === "string" && Array.isArray(o.lines) ? o : undefined;
  } catch {
    return undefined;
  }
}

function writeOutcome(st: StateFiles, o: OutcomeRecord): void {
  try {
    stateText.write(st, "outcome", `${JSON.stringify(o)}\n`);
  } catch {
    /* the system log has it; a full state directory must not hide the revert's result behind another error */
  }
}

export const clearOutcome = (st: StateFiles): void => {
  try {
    stateText.remove(st, "outcome");
  } catch {
    /* gone */
  }
};

// ---------------------------------------------------------------------------
// The system log

/**
 * One line to the system log through logger(1) (/dev/log: syslog or
 * journald), tag "vsc". Returns why it could not, when it could not: no
 * logger, or no syslog socket (a container, the busybox kernel lab). The
 * outcome is then only in `<key>.outcome` and on the command's stderr.
 */
export function systemLog(priority: "notice" | "err", message: string): string | undefined {
  // --socket-errors=on: without it logger exits 0 when there is no /dev/log, having logged nothing.
  const r = spawnSync(
    "logger",
    [
      "--socket-errors=on",
      "-t",
      "vsc",
      "-p",
      `daemon.${priority}`,
      "--",
      message.replace(/[\0-\x1f\x7f]/g, " "),
    ],
    {
      encoding: "utf8",
      timeout: 5000,
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  if (r.error) return `logger: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`;
  if (r.status !== 0) return `logger: ${(r.stderr ?? "").trim() || `exit ${r.status}`}`;
  return undefined;
}

// ---------------------------------------------------------------------------
// Arming: called by applyWithLock under the lock

export interface ConfirmOptions {
  seconds: number;
  /** Where the watchdog runs: auto = systemd timer when PID 1 is systemd and the real mount is used. */
  watchdog?: WatchdogKind | "auto";
  /** The `vsc` launcher the watchdog runs (default: this package's bin/vsc.js). */
  vscBin?: string;
}

/** Before anything runs: the previous ruleset must be known, or the undo could not be exact (VSC5403). */
export function previousRulesetFor(
  st: StateFiles,
  plan: Plan,
  before: ObservedState | undefined,
): { ruleset?: string; diagnostic?: Diagnostic } {
  const nft = plan.actions.find((a) => a.type === "nft");
  if (!before)
    return {
      diagnostic: diag(
        Code.undoUnknown,
        "cannot record the exact undo: the state before the apply was not read",
        undefined,
        ["nothing was changed"],
      ),
    };
  if (!nft || nft.type !== "nft" || nft.before === null) return {};
  const text = nft.before.digest ? savedRuleset.get(st, nft.before.digest) : undefined;
  if (text === undefined)
    return {
      diagnostic: diag(
        Code.undoUnknown,
        "cannot record the exact undo: the table inet vsc loaded now was not loaded by this vsc (no saved copy of it in the state directory), so a revert could not load it back",
        "apply once without --confirm (vsc then keeps a copy of what it loads), or `nft delete table inet vsc` if it is not wanted, then apply with --confirm",
        ["nothing was changed"],
      ),
    };
  return { ruleset: text };
}

export interface Armed {
  record: PendingRecord;
  diagnostics: Diagnostic[];
}

/**
 * After a verified apply: read the scope again, make the undo, save it,
 * start the watchdog. When any of that fails the apply is undone right away
 * (VSC5404): an apply asked to be confirmed must never stay without its undo.
 */
export function armConfirm(
  kernel: Kernel,
  st: StateFiles,
  plan: Plan,
  before: ObservedState,
  previousRuleset: string | undefined,
  c: ConfirmOptions,
  moveProcs: boolean,
): { armed?: Armed; diagnostics: Diagnostic[] } {
  let after: ObservedState;
  try {
    after = observe(kernel, plan.scope, { interrupted: false });
  } catch (e) {
    return {
      diagnostics: [
        diag(
          Code.armFailed,
          `applied, but the state could not be read again to make its undo: ${e instanceof Error ? e.message : String(e)}`,
          "run `vsc plan` to see the live state; the apply stays (nothing is pending)",
        ),
      ],
    };
  }
  const inv = invertPlan({
    plan,
    before,
    after,
    ...(previousRuleset !== undefined ? { previousRuleset } : {}),
    moveProcs,
  });
  if (!inv.plan)
    return {
      diagnostics: [
        diag(
          Code.armFailed,
          "applied, but its exact undo cannot be made",
          "run `vsc plan` to see the live state; the apply stays (nothing is pending)",
          inv.problems,
        ),
      ],
    };
  const now = Date.now();
  const id = randomBytes(16).toString("hex");
  const base = {
    format: "vsc-pending" as const,
    version: 1 as const,
    id,
    boot: bootId(),
    appliedAt: now,
    deadline: now + c.seconds * 1000,
    seconds: c.seconds,
    cgroupMount: resolve(kernel.cgroupMount),
    cgroupRoot: plan.scope.cgroupRoot,
    netns: kernel.netns ?? null,
    moveProcs,
    before,
    after,
    undo: inv.plan,
  };
  let record: PendingRecord | undefined;
  let failure: string | undefined;
  try {
    const watchdog = startWatchdog(base, st, c);
    record = { ...base, watchdog };
    stateText.write(st, "pending", serializePending(record));
  } catch (e) {
    failure =
      e instanceof StateError ? e.diagnostic.message : e instanceof Error ? e.message : String(e);
    if (record) stopWatchdog(record);
  }
  if (failure === undefined && record) {
    clearOutcome(st);
    const logged = systemLog(
      "notice",
      `apply on ${record.cgroupMount}/${record.cgroupRoot} pending confirmation until ${when(record.deadline)} (id ${id.slice(0, 8)}); it reverts itself unless \`vsc confirm\` runs first`,
    );
    return {
      armed: { record, diagnostics: logged ? [noSyslog(logged, st)] : [] },
      diagnostics: [],
    };
  }
  // Undo now: the apply must not stay without a revert armed.
  const r = executePlan(kernel, inv.plan, { state: st, before: after });
  return {
    diagnostics: [
      diag(
        Code.armFailed,
        `the revert could not be armed (${failure}), so the apply was undone right away`,
        "fix the state directory (or the watchdog's start), then apply again",
        r.ok
          ? [`undone: ${r.changes} change${r.changes === 1 ? "" : "s"}, read back`]
          : ["undoing it failed too (below)"],
      ),
      ...r.diagnostics,
    ],
  };
}

function noSyslog(why: string, st: StateFiles): Diagnostic {
  return {
    code: Code.noSystemLog,
    severity: "warning",
    message: `no system log: ${why}`,
    help: `the outcome of the pending apply is kept in ${stateText.path(st, "outcome")} and shown by \`vsc show\``,
  };
}

const systemdIsInit = () => existsSync("/run/systemd/system");

function vscArgs(
  r: { id: string; cgroupMount: string; cgroupRoot: string; netns: string | null },
  st: StateFiles,
): string[] {
  return [
    "revert",
    "--due",
    r.id,
    "--state-dir",
    st.dir,
    "--cgroup-mount",
    r.cgroupMount,
    "--cgroup-root",
    r.cgroupRoot,
    ...(r.netns ? ["--netns", r.netns] : []),
  ];
}

/** Starts what runs the undo at the deadline; throws when it cannot. */
function startWatchdog(
  r: {
    id: string;
    deadline: number;
    seconds: number;
    cgroupMount: string;
    cgroupRoot: string;
    netns: string | null;
  },
  st: StateFiles,
  c: ConfirmOptions,
): PendingRecord["watchdog"] {
  const bin = c.vscBin ?? join(packageRoot(), "bin", "vsc.js");
  const kind =
    c.watchdog === "process" || c.watchdog === "systemd"
      ? c.watchdog
      : systemdIsInit() && r.cgroupMount === "/sys/fs/cgroup"
        ? "systemd"
        : "process";
  if (kind === "systemd") {
    const t = systemdTimer(r, st, bin);
    if (t) return t;
    if (c.watchdog === "systemd") throw new Error("systemd-run could not start the revert timer");
  }
  return processWatchdog(r, st, bin);
}

/**
 * The cgroupfs watchdog: `vsc revert --due ID` in a session of its own
 * (spawn's `detached` is setsid(2)), stdio on /dev/null, working directory
 * /, not waited for. No controlling terminal, so a hangup of the operator's
 * terminal or SSH session does not reach it; the applying process may die
 * (SIGKILL) right after. It waits until the deadline, then reverts under the
 * apply lock (src/cli/kernel.ts cmdRevert).
 */
function processWatchdog(
  r: { id: string; cgroupMount: string; cgroupRoot: string; netns: string | null },
  st: StateFiles,
  bin: string,
): PendingRecord["watchdog"] {
  const child = spawn(process.execPath, [bin, ...vscArgs(r, st)], {
    detached: true,
    stdio: "ignore",
    cwd: "/",
    env: { ...process.env, VSC_WATCHDOG: "1" },
  });
  if (child.pid === undefined) throw new Error("the watchdog process could not be started");
  child.unref();
  return { kind: "process", process: processId(child.pid) };
}

/**
 * Under systemd as PID 1: a transient timer and service (`systemd-run
 * --on-active=Ns`), owned by the service manager, so neither the applying
 * process, nor its session (logind's KillUserProcesses), nor its cgroup
 * being removed can take it away. undefined when systemd-run refuses.
 */
function systemdTimer(
  r: { id: string; seconds: number; cgroupMount: string; cgroupRoot: string; netns: string | null },
  st: StateFiles,
  bin: string,
): PendingRecord["watchdog"] | undefined {
  const unit = `vsc-revert-${r.id.slice(0, 16)}`;
  // Fires up to a minute before `vsc revert --due` must take the lock (`leadMs` before the
  // deadline; see waitForDeadline), which then waits: starting node and vsc in a fresh service
  // took up to 16 s in the systemd lab (emulation, loaded host), and a timer at
  // deadline - leadMs restored 7.5 s late there.
  const at = timerDelay(r.seconds);
  const res = spawnSync(
    "systemd-run",
    [
      `--unit=${unit}`,
      `--on-active=${at}s`,
      "--timer-property=AccuracySec=100ms",
      "--collect",
      "--quiet",
      "--",
      process.execPath,
      bin,
      ...vscArgs(r, st),
    ],
    { encoding: "utf8", timeout: 15_000 },
  );
  return res.status === 0 ? { kind: "systemd", unit } : undefined;
}

/** Stops the watchdog of a pending apply being confirmed (or discarded). */
export function stopWatchdog(r: PendingRecord): void {
  const w = r.watchdog;
  if (w.kind === "systemd") {
    spawnSync("systemctl", ["stop", `${w.unit}.timer`, `${w.unit}.service`], {
      timeout: 15_000,
      stdio: "ignore",
    });
    return;
  }
  // Only the very process started for it (same pid and start time), never a reused pid.
  if (process.env.VSC_WATCHDOG === "1" && w.process.startsWith(`${process.pid} `)) return;
  if (processAlive(w.process)) {
    try {
      process.kill(Number(w.process.split(" ")[0]), "SIGTERM");
    } catch {
      /* gone meanwhile */
    }
  }
}

export const watchdogAlive = (r: PendingRecord): boolean | undefined =>
  r.watchdog.kind === "process" ? processAlive(r.watchdog.process) : undefined;

// ---------------------------------------------------------------------------
// Finding the pending record of a mount (confirm/revert name no file)

/**
 * The state keys of `<key>.pending` files in the state directory whose
 * record is for this cgroup mount (and root, when given). A record that
 * cannot be read is included (its key), so that it is reported, not ignored.
 */
export function pendingKeys(dir: string, cgroupMount: string, cgroupRoot?: string): StateFiles[] {
  if (cgroupRoot !== undefined) return [stateFiles(dir, cgroupMount, cgroupRoot)];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: StateFiles[] = [];
  const dirNorm = dir.replace(/(.)\/+$/, "$1");
  for (const n of names.sort()) {
    const m = /^(.+)\.pending$/.exec(n);
    if (!m || n.startsWith(".")) continue;
    const st: StateFiles = { dir: dirNorm, key: m[1]! };
    // Which mount it is for, as it says (readPending checks that against its key);
    // one that cannot be read says nothing and is kept, so that it is reported.
    let mount: unknown;
    try {
      const t = stateText.read(st, "pending") ?? "";
      // The systemd driver's record (src/apply/confirm-systemd.ts) is not a cgroup mount's.
      if (t.slice(t.indexOf("\n") + 1).startsWith('{"format":"vsc-sd-pending"')) continue;
      mount = (JSON.parse(t.slice(t.indexOf("\n") + 1)) as { cgroupMount?: unknown }).cgroupMount;
    } catch {
      mount = undefined;
    }
    if (typeof mount !== "string" || resolve(mount) === resolve(cgroupMount)) out.push(st);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Lock with a short wait (the watchdog may meet an apply's or a confirm's lock)

async function lockWithin(st: StateFiles, ms: number): Promise<ReturnType<typeof acquireLock>> {
  const end = Date.now() + ms;
  for (;;) {
    const l = acquireLock(st);
    if (l.ok || Date.now() >= end) return l;
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---------------------------------------------------------------------------
// confirm

export interface CommandResult {
  code: number;
  diagnostics: Diagnostic[];
  /** What to print (stderr) when it went well. */
  message?: string;
}

function tooLate(st: StateFiles, running: boolean): CommandResult {
  const o = readOutcome(st);
  return {
    code: 1,
    diagnostics: [
      diag(
        Code.tooLate,
        running
          ? "too late to confirm: the deadline has passed and the revert has started"
          : `nothing to confirm: the pending apply was ${o?.result === "revert-failed" || o?.result === "revert-refused" ? "not confirmed in time, and its revert failed" : "reverted"}${o ? ` at ${when(o.at)}` : ""}`,
        "the live state is (or is being put back to) the one before that apply; apply it again (with --confirm) if it is still wanted",
        o?.lines ?? [],
      ),
    ],
  };
}

/**
 * `vsc confirm`. Takes no lock: it takes the pending record by renaming it
 * away, and the watchdog takes it at the deadline by renaming it to
 * `<key>.reverting`; exactly one of the two renames succeeds.
 */
export async function confirmPending(st: StateFiles): Promise<CommandResult> {
  const p = readPending(st);
  if (p.kind === "none") {
    const o = readOutcome(st);
    if (o && o.result !== "confirmed") return tooLate(st, false);
    return {
      code: 0,
      diagnostics: [],
      message: "Nothing to confirm: no apply is pending confirmation.\n",
    };
  }
  if (p.ext === "reverting") return tooLate(st, true);
  if (!stateText.take(st, "pending")) return tooLate(st, true);
  if (p.kind === "bad") {
    // Confirming runs nothing: a refused record is discarded, the live state is kept as it is.
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
  if (p.kind === "ok") stopWatchdog(r);
  const line = `confirmed the apply of ${when(r.appliedAt)} on ${r.cgroupMount}/${r.cgroupRoot} (id ${r.id.slice(0, 8)})`;
  writeOutcome(st, { id: r.id, at: Date.now(), result: "confirmed", lines: [] });
  const logged = systemLog("notice", line);
  return {
    code: 0,
    diagnostics: logged ? [noSyslog(logged, st)] : [],
    message:
      p.kind === "previous-boot"
        ? "Nothing to confirm: the pending apply was made before the last boot (what it changed did not survive the reboot); its record is discarded.\n"
        : `Confirmed: the apply of ${when(r.appliedAt)} is permanent (${Math.max(0, Math.round((r.deadline - Date.now()) / 1000))} s were left).\n`,
  };
}

// ---------------------------------------------------------------------------
// revert

export interface RevertOptions {
  /** The watchdog: only this pending id, and only once its deadline has come. */
  due?: string;
  /** Move processes out of cgroups the undo removes (as `destroy --move-procs`). */
  moveProcs?: boolean;
  /** The kernel to revert with, from the record's mount and netns. */
  kernelFor: (r: PendingRecord) => Kernel;
}

/** How long before the deadline the watchdog takes the lock and reads the live state. */
export const leadMs = (seconds: number): number => Math.min(15_000, seconds * 500);

/** When a revert timer fires (s after the apply): a minute before it must hold the lock, or at once. */
export const timerDelay = (seconds: number): number =>
  Math.max(1, Math.floor((seconds * 1000 - leadMs(seconds) - 60_000) / 1000));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The watchdog's wait: until `leadMs` before the deadline, waking every few
 * seconds to see whether it was confirmed. false: nothing to do any more.
 */
export async function waitForDeadline(st: StateFiles, id: string): Promise<boolean> {
  // The applier writes the record right after starting the watchdog.
  const started = Date.now();
  let seen = false;
  for (;;) {
    let p: PendingRead;
    try {
      p = readPending(st);
    } catch {
      return false;
    }
    if (p.kind === "none" && !seen && existsSync(st.dir) && Date.now() - started < 60_000) {
      await sleep(100);
      continue;
    }
    // A refused record is reported at once (revertPending refuses it and logs why).
    if (p.kind === "bad") return p.ext === "pending";
    if (p.kind !== "ok" || p.ext !== "pending" || p.record.id !== id) return false;
    seen = true;
    const left = p.record.deadline - leadMs(p.record.seconds) - Date.now();
    if (left <= 0) return true;
    await sleep(Math.min(left, 5000));
  }
}

/**
 * `vsc revert` (now), or the watchdog (`due`): under the lock, take the
 * pending record (rename to `<key>.reverting`), check the live state is the
 * one the apply left, run the undo, read everything again. The watchdog
 * takes the lock and reads the live state `leadMs` before the deadline (the
 * lock keeps every other vsc change out meanwhile), then at the deadline
 * only takes the record and runs the undo: on a slow machine (the kernel
 * lab under emulation, where starting nft or tc costs a second) reading the
 * state is most of the time a revert takes.
 */
export async function revertPending(st: StateFiles, o: RevertOptions): Promise<CommandResult> {
  const t0 = Date.now();
  const lock = await lockWithin(st, o.due ? 60_000 : 10_000);
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
    let p: PendingRead;
    try {
      p = readPending(st);
    } catch (e) {
      if (e instanceof StateError) return { code: 1, diagnostics: [e.diagnostic] };
      throw e;
    }
    if (p.kind === "none") {
      if (o.due) return { code: 0, diagnostics: [] };
      const out = readOutcome(st);
      return {
        code: 0,
        diagnostics: [],
        message: `Nothing to revert: no apply is pending confirmation${out ? ` (the last one was ${out.result} at ${when(out.at)})` : ""}.\n`,
      };
    }
    if (p.kind === "bad") {
      const logged = systemLog("err", `pending revert refused: ${p.diagnostic.message}`);
      writeOutcome(st, {
        id: "",
        at: Date.now(),
        result: "revert-refused",
        lines: [p.diagnostic.message],
      });
      return { code: 1, diagnostics: [p.diagnostic, ...(logged ? [noSyslog(logged, st)] : [])] };
    }
    if (p.kind === "previous-boot") {
      // cgroups, nft and tc state do not survive a reboot: the undo describes a kernel that is gone.
      stateText.remove(st, p.ext);
      systemLog(
        "notice",
        `discarded a pending revert made before the last boot (id ${p.record.id.slice(0, 8)})`,
      );
      return {
        code: 0,
        diagnostics: [],
        message:
          "Nothing to revert: the pending apply was made before the last boot; what it changed did not survive the reboot, and its record is discarded.\n",
      };
    }
    const r = p.record;
    if (o.due && (r.id !== o.due || p.ext !== "pending")) return { code: 0, diagnostics: [] };
    timings.read = Date.now() - t0 - timings.lock!;
    const kernel = o.kernelFor(r);
    let live: ObservedState;
    try {
      live = observe(kernel, r.undo.scope, { interrupted: journalMarker.interrupted(st) });
    } catch (e) {
      const d = diag(
        Code.cannotRead,
        `cannot read the live state: ${e instanceof KernelError ? e.message : String(e)}`,
        "run as root, and check the cgroup mount and the network namespace",
      );
      writeOutcome(st, { id: r.id, at: Date.now(), result: "revert-failed", lines: [d.message] });
      systemLog("err", `revert of ${r.id.slice(0, 8)} failed: ${d.message}`);
      return { code: 1, diagnostics: [d] };
    }
    timings.observe = Date.now() - t0 - timings.lock! - timings.read;
    if (o.due) await sleep(r.deadline - Date.now());
    // Taken atomically: a `vsc confirm` that got it first wins (the revert then does nothing).
    if (p.ext === "pending" && !stateText.take(st, "pending", "reverting")) {
      if (o.due) return { code: 0, diagnostics: [] };
      return {
        code: 0,
        diagnostics: [],
        message: "Nothing to revert: the pending apply was confirmed meanwhile.\n",
      };
    }
    return runRevert(st, r, o, kernel, live, timings);
  } finally {
    lock.release();
  }
}

function runRevert(
  st: StateFiles,
  r: PendingRecord,
  o: RevertOptions,
  kernel: Kernel,
  live: ObservedState,
  timings: Record<string, number>,
): CommandResult {
  let mark = Date.now();
  const started = mark;
  let restoredAt: number | undefined;
  const step = (name: string) => {
    const now = Date.now();
    timings[name] = now - mark;
    mark = now;
  };
  const tag = `revert of the apply of ${when(r.appliedAt)} on ${r.cgroupMount}/${r.cgroupRoot} (id ${r.id.slice(0, 8)}${o.due ? ", deadline reached" : ", by vsc revert"})`;
  /** Ends the revert: the record goes (done) or back to pending (refused, failed: rolled back). */
  const finish = (
    result: OutcomeRecord["result"],
    ds: Diagnostic[],
    lines: string[],
    code: number,
    message?: string,
  ): CommandResult => {
    step("verify");
    if (result === "revert-refused" || result === "revert-failed")
      stateText.take(st, "reverting", "pending");
    else stateText.remove(st, "reverting");
    writeOutcome(st, {
      id: r.id,
      at: Date.now(),
      result,
      lines,
      ...(restoredAt ? { restoredAt } : {}),
      timings: { ...timings, startedAfterDeadline: started - r.deadline },
    });
    const logged = systemLog(
      code === 0 ? "notice" : "err",
      `${tag}: ${result === "reverted" ? "restored exactly, read back" : `${result}: ${[...ds.map((d) => `${d.code} ${d.message}`), ...lines].join("; ")}`}`,
    );
    return {
      code,
      diagnostics: [...ds, ...(logged ? [noSyslog(logged, st)] : [])],
      ...(message ? { message } : {}),
    };
  };
  if (fingerprint(live) !== r.undo.fingerprint) {
    const differs = stateDifferences(r.after, live);
    const d = diag(
      Code.revertStale,
      "not reverted: the live state is no longer the one the pending apply left",
      "someone changed vsc's cgroups, table inet vsc or qdiscs since; the revert would not be exact. Look with `vsc show`, then `vsc confirm` to keep the live state, or fix it by hand and run `vsc revert` again",
      [
        ...(differs.length > 0 ? differs : ["a previous apply was interrupted since"]),
        "nothing was changed; the apply is still pending",
      ],
    );
    return finish("revert-refused", [d], differs, 1);
  }
  const undo: Plan = o.moveProcs
    ? {
        ...r.undo,
        actions: r.undo.actions.map((a) =>
          a.type === "cgroup" && a.op === "delete"
            ? { ...a, moveProcsTo: parentPath(r.cgroupRoot) }
            : a,
        ),
      }
    : r.undo;
  // `checked`: readPending held the undo to what vsc owns (parsePlan: schema + validate.ts);
  // --move-procs adds only the one move validate.ts allows.
  const res = executePlan(kernel, undo, { state: st, before: live, checked: !o.moveProcs });
  step("execute");
  restoredAt = Date.now();
  if (!res.ok) {
    // Rolled back to the state the apply left: still pending; the watchdog's run is over.
    const ds = res.diagnostics.map((d, i) =>
      i === 0
        ? {
            ...d,
            notes: [
              ...(d.notes ?? []),
              "the apply is still pending: fix the cause and run `vsc revert` (with --move-procs to move processes out), or `vsc confirm` to keep it",
            ],
          }
        : d,
    );
    return finish("revert-failed", ds, [], 1);
  }
  if (!o.due) stopWatchdog(r);
  let now: ObservedState;
  try {
    now = observe(kernel, r.undo.scope, { interrupted: false });
  } catch (e) {
    return finish(
      "reverted-differs",
      [diag(Code.revertDiffers, `reverted, but the state could not be read again: ${String(e)}`)],
      [],
      1,
    );
  }
  const differs = stateDifferences(r.before, now);
  if (differs.length > 0)
    return finish(
      "reverted-differs",
      [
        diag(
          Code.revertDiffers,
          "reverted, but the live state read again differs from the state before the apply",
          "run `vsc plan` to see it; the differences are listed",
          differs,
        ),
      ],
      differs,
      1,
    );
  return finish(
    "reverted",
    [],
    [],
    0,
    `Reverted: the apply of ${when(r.appliedAt)} is undone (${res.changes} kernel write${res.changes === 1 ? "" : "s"}); read back, the state is exactly the one before it.\n`,
  );
}

/** For `vsc show`: one paragraph on the pending apply (or the last outcome). */
export function pendingSummary(st: StateFiles): string | undefined {
  let p: PendingRead;
  try {
    p = readPending(st);
  } catch (e) {
    return e instanceof StateError ? `pending confirmation: ${e.diagnostic.message}\n` : undefined;
  }
  if (p.kind === "none") {
    const o = readOutcome(st);
    if (!o || o.result === "confirmed") return undefined;
    return `last pending apply: ${o.result} at ${when(o.at)}${o.lines.length ? `\n  ${o.lines.join("\n  ")}` : ""}\n`;
  }
  if (p.kind === "bad") return `pending confirmation: REFUSED (${p.diagnostic.message})\n`;
  const r = p.record;
  if (p.ext === "reverting")
    return `pending confirmation: the deadline ${when(r.deadline)} has passed; the revert has started (or died: run \`vsc revert\`)\n`;
  if (p.kind === "previous-boot")
    return `pending confirmation: made before the last boot (discarded by the next vsc confirm/revert/apply)\n`;
  const left = Math.round((r.deadline - Date.now()) / 1000);
  const w =
    r.watchdog.kind === "systemd"
      ? `systemd timer ${r.watchdog.unit}`
      : `watchdog pid ${r.watchdog.process.split(" ")[0]}${watchdogAlive(r) ? "" : " (NOT RUNNING: run `vsc revert` or `vsc confirm`)"}`;
  const o = readOutcome(st);
  return `pending confirmation: applied ${when(r.appliedAt)}, reverts at ${when(r.deadline)} (${left >= 0 ? `in ${left} s` : `${-left} s overdue`}) unless \`vsc confirm\`; ${w}${o && o.id === r.id ? `\n  last revert attempt: ${o.result} at ${when(o.at)}: ${o.lines.join("; ")}` : ""}\n`;
}
