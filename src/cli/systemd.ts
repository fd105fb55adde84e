/**
 * `vsc plan/apply/destroy/show` under `driver systemd` (src/systemd/driver.ts
 * does the work). The unit and install directories are /etc/systemd/system
 * and /etc/vsc; VSC_UNIT_DIR and VSC_INSTALL_DIR move them (tests).
 */
import { basename, dirname } from "node:path";
import { hasErrors, type Diagnostic } from "../diag/diagnostic.js";
import type { VscIr } from "../ir/types.gen.js";
import { DEFAULT_STATE_DIR, StateError, acquireLock } from "../apply/state.js";
import {
  SD_PENDING_DIR,
  armSdConfirm,
  observeTarget,
  sdNames,
  sdPendingRefusal,
  sdPendingSummary,
  sdSnapshot,
  sdStateFiles,
  type SdSnapshot,
} from "../apply/confirm-systemd.js";
import { writeFileReplacing } from "../safe-fs.js";
import { type SystemdHost, realSystemdHost } from "../systemd/host.js";
import {
  SdCode,
  type Phases,
  type SdPlan,
  desiredOfPlan,
  emptyDesired,
  fingerprintOf,
  phaseClock,
  renderSdPlan,
  sdApply,
  sdDesired,
  sdObserve,
  sdPlan,
  sdPlanEmpty,
  sdPreflight,
  sdVerify,
  validateSdPlan,
} from "../systemd/driver.js";
import { printDiagnostics } from "./frontend.js";
import type { DiagFormat, Io } from "./io.js";

export interface SdArgs {
  file: string;
  cgroupMount?: string;
  stateDir?: string;
  format?: DiagFormat;
  out?: string;
  json?: boolean;
  detailedExitcode?: boolean;
  autoApprove?: boolean;
  /** `apply --confirm`: seconds until the revert (parsed by cmdApply). */
  confirmSeconds?: number;
  /** plan: the time of each phase is added here (bench/systemd-lab.ts). */
  phases?: Phases;
}

/** The apply lock's directory (the cgroupfs driver's state directory). */
export const sdLockDir = (a: { stateDir?: string }) =>
  a.stateDir ?? process.env.VSC_STATE_DIR ?? DEFAULT_STATE_DIR;
/** Where a pending systemd apply is recorded: it must survive a reboot. */
export const sdPendingDir = (a: { stateDir?: string; pendingDir?: string }) =>
  a.pendingDir ?? a.stateDir ?? SD_PENDING_DIR;

export function systemdHostOf(a: { cgroupMount?: string }): SystemdHost {
  return realSystemdHost({
    ...(process.env.VSC_UNIT_DIR ? { unitDir: process.env.VSC_UNIT_DIR } : {}),
    ...(process.env.VSC_INSTALL_DIR ? { installDir: process.env.VSC_INSTALL_DIR } : {}),
    ...(a.cgroupMount ? { cgroupMount: a.cgroupMount } : {}),
  });
}

const report = (ds: Diagnostic[], a: SdArgs, io: Io) =>
  printDiagnostics(ds, new Map(), a.file, a.format ?? "human", io);

/** `vsc plan` under driver systemd. */
export function sdCmdPlan(ir: VscIr, a: SdArgs, io: Io, h = systemdHostOf(a)): number {
  const lap = phaseClock(a.phases);
  const pre = sdPreflight(h);
  lap("preflight");
  if (pre.length > 0) return (report(pre, a, io), 1);
  const want = sdDesired(ir);
  lap("desired (render the units)");
  const o = sdObserve(h, want, [], a.phases);
  const r = sdPlan(h, want, o, undefined, a.phases);
  const lapOut = phaseClock(a.phases);
  if (r.diagnostics.length > 0) report(r.diagnostics, a, io);
  if (!r.plan) return 1;
  if (a.json) io.out(JSON.stringify(r.plan, null, 1) + "\n");
  else io.out(renderSdPlan(r.plan));
  lapOut("render");
  if (a.out) {
    try {
      writeFileReplacing(
        dirname(a.out),
        basename(a.out),
        JSON.stringify(r.plan, null, 1) + "\n",
        0o644,
      );
    } catch (e) {
      report(
        [
          {
            code: "VSC9003",
            severity: "error",
            message: `cannot write the plan to ${a.out}: ${(e as Error).message}`,
          },
        ],
        a,
        io,
      );
      return 1;
    }
    io.err(`Saved the plan to ${a.out}; apply it exactly as shown with \`vsc apply ${a.out}\`.\n`);
  }
  return a.detailedExitcode && !sdPlanEmpty(r.plan) ? 2 : 0;
}

async function ask(p: SdPlan, a: SdArgs, io: Io, verb: string): Promise<boolean> {
  if (a.autoApprove || sdPlanEmpty(p)) return true;
  if (!io.interactive) {
    report(
      [
        {
          code: "VSC5034",
          severity: "error",
          message: `refusing to ${verb} without confirmation: standard input is not a terminal`,
          help: "review the plan above, then run again with --auto-approve",
          notes: ["nothing was changed"],
        },
      ],
      a,
      io,
    );
    return false;
  }
  const restarts =
    p.restarts.length > 0 ? ` (this restarts ${p.restarts.map((r) => r.unit).join(", ")})` : "";
  return io.confirm(`\nDo you want to ${verb}${restarts}? Only 'yes' will be accepted:`);
}

function pendingBlock(h: SystemdHost, a: SdArgs, cgroupRoot: string): Diagnostic | undefined {
  try {
    return sdPendingRefusal(h, sdStateFiles(sdPendingDir(a), cgroupRoot));
  } catch (e) {
    if (!(e instanceof StateError)) throw e;
    return e.diagnostic;
  }
}

/** Plans under the lock, asks, applies; `planOf` makes the plan (fresh or saved and re-checked). */
async function run(
  h: SystemdHost,
  cgroupRoot: string,
  planOf: () => { plan?: SdPlan; diagnostics: Diagnostic[] },
  a: SdArgs,
  io: Io,
  verb: "apply" | "destroy",
  saved: boolean,
): Promise<number> {
  const pre = sdPreflight(h);
  if (pre.length > 0) return (report(pre, a, io), 1);
  // Pending (VSC5401) before the lock too: a revert waiting for its deadline holds the lock.
  const blocked0 = pendingBlock(h, a, cgroupRoot);
  if (blocked0) return (report([blocked0], a, io), 1);
  let lock;
  try {
    lock = acquireLock(sdStateFiles(sdLockDir(a), cgroupRoot));
  } catch (e) {
    if (e instanceof StateError) return (report([e.diagnostic], a, io), 1);
    throw e;
  }
  if (!lock.ok) {
    report(
      [
        {
          code: SdCode.locked,
          severity: "error",
          message: `another vsc (pid ${lock.holder}) is changing this host (lock ${lock.file})`,
          help: "wait for it to finish, then run again",
          notes: ["nothing was changed"],
        },
      ],
      a,
      io,
    );
    return 1;
  }
  try {
    // An apply pending confirmation blocks every other apply and destroy (VSC5401).
    const blocked = pendingBlock(h, a, cgroupRoot);
    if (blocked) return (report([blocked], a, io), 1);
    const r = planOf();
    if (!r.plan) return (report(r.diagnostics, a, io), 1);
    if (r.diagnostics.length > 0) report(r.diagnostics, a, io);
    io.out(renderSdPlan(r.plan));
    if (sdPlanEmpty(r.plan)) {
      io.err(
        `${verb === "apply" ? "Apply" : "Destroy"} complete: nothing to do, nothing written.\n`,
      );
      return 0;
    }
    if (!saved && !(await ask(r.plan, a, io, verb))) {
      if (io.interactive) io.err(`${verb} cancelled.\n`);
      return 1;
    }
    const complaints = sdVerify(h, r.plan);
    if (complaints.length > 0) {
      report(
        [
          {
            code: SdCode.systemdRefused,
            severity: "error",
            message: `systemd refuses the new units: ${complaints.join("; ")}`,
            help: "systemd-analyze verify reported this; nothing was written",
            notes: ["nothing was changed"],
          },
        ],
        a,
        io,
      );
      return 1;
    }
    // --confirm: the state before, read over every name the undo needs (src/apply/confirm-systemd.ts).
    const confirming = verb === "apply" && a.confirmSeconds !== undefined;
    const names = sdNames(h, r.plan);
    let before: SdSnapshot | undefined;
    if (confirming) before = sdSnapshot(h, observeTarget(r.plan), names);
    const out = sdApply(h, r.plan, true);
    if (out.diagnostics.length > 0) report(out.diagnostics, a, io);
    if (!out.ok || hasErrors(out.diagnostics)) return 1;
    const p = r.plan;
    if (confirming) {
      const armed = armSdConfirm(h, p, before!, {
        seconds: a.confirmSeconds!,
        lockDir: sdLockDir(a),
        pendingDir: sdPendingDir(a),
        names,
      });
      if (!armed.record) return (report(armed.diagnostics, a, io), 1);
      const at = new Date(armed.record.deadline).toISOString().replace(/\.\d+Z$/, "Z");
      io.err(
        `Apply complete! ${p.files.length} file(s) and ${p.links.length} link(s) written or removed; live values verified.\n` +
          `Pending confirmation: it reverts by itself at ${at} (in ${a.confirmSeconds} s; systemd timer ${armed.record.timer}, and at boot if the machine restarts first) unless \`vsc confirm\` runs first; \`vsc revert\` undoes it now.\n`,
      );
      return 0;
    }
    io.err(
      `${verb === "apply" ? "Apply" : "Destroy"} complete! ${p.files.length} file(s) and ${p.links.length} link(s) written or removed, ${out.calls.filter((c) => c[0] === "daemon-reload").length} daemon-reload, ${p.restarts.length} restart(s); live values verified.\n`,
    );
    return 0;
  } finally {
    lock.release();
  }
}

export async function sdCmdApply(
  ir: VscIr,
  a: SdArgs,
  io: Io,
  h = systemdHostOf(a),
): Promise<number> {
  const want = sdDesired(ir);
  return run(
    h,
    ir.host.cgroupRoot,
    () => sdPlan(h, want, sdObserve(h, want)),
    a,
    io,
    "apply",
    false,
  );
}

export async function sdCmdApplySaved(
  text: string,
  a: SdArgs,
  io: Io,
  h = systemdHostOf(a),
): Promise<number> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    doc = undefined;
  }
  const problems = validateSdPlan(doc, h);
  if (problems.length > 0) {
    report(
      [
        {
          code: SdCode.notAPlan,
          severity: "error",
          message: `${a.file} is not a usable vsc systemd plan: ${problems.slice(0, 3).join("; ")}`,
          help: "make a new one with `vsc plan FILE --out PLAN`",
          notes: ["nothing was changed"],
        },
      ],
      a,
      io,
    );
    return 1;
  }
  const plan = doc as SdPlan;
  return run(
    h,
    plan.cgroupRoot,
    () => {
      const now = fingerprintOf(sdObserve(h, desiredOfPlan(plan)));
      if (now !== plan.fingerprint)
        return {
          diagnostics: [
            {
              code: SdCode.stalePlan,
              severity: "error",
              message: `the saved plan ${a.file} is stale: the units or live values changed since it was made`,
              help: "run `vsc plan --out` again and review the new plan",
              notes: ["nothing was changed"],
            },
          ],
        };
      return { plan, diagnostics: [] };
    },
    a,
    io,
    "apply",
    true,
  );
}

export async function sdCmdDestroy(
  ir: VscIr,
  a: SdArgs,
  io: Io,
  h = systemdHostOf(a),
): Promise<number> {
  const want = sdDesired(ir);
  const empty = emptyDesired(want);
  return run(
    h,
    ir.host.cgroupRoot,
    () => {
      // Observe the listed units too: they go back to their own slices.
      const o = sdObserve(h, want);
      return sdPlan(h, empty, o, { links: ir.host.links.map((l) => l.name) });
    },
    a,
    io,
    "destroy",
    false,
  );
}

/** `vsc show` under driver systemd: vsc's files and its slices' live values. */
export function sdCmdShow(ir: VscIr, a: SdArgs, io: Io, h = systemdHostOf(a)): number {
  const want = sdDesired(ir);
  const o = sdObserve(h, want);
  if (a.json) {
    io.out(JSON.stringify(o, null, 1) + "\n");
    return 0;
  }
  let out = `vsc's files under ${h.unitDir} and ${h.installDir}:\n`;
  for (const k of Object.keys(o.files).sort())
    out += `  ${k.replace(/^unit:/, `${h.unitDir}/`).replace(/^install:/, `${h.installDir}/`)}\n`;
  for (const [p, t] of Object.entries(o.links).sort()) out += `  ${h.unitDir}/${p} -> ${t}\n`;
  for (const [unit, vals] of Object.entries(o.values)) {
    out += `${unit}:\n`;
    for (const [f, v] of Object.entries(vals))
      out += `  ${f} = ${v === null ? "(absent)" : JSON.stringify(v)}\n`;
  }
  for (const [u, s] of Object.entries(o.units))
    out += `unit ${u}: ${s.load} ${s.active} in ${s.cgroup || "(no cgroup)"}\n`;
  out += `${want.netService}: ${o.netActive ? "active" : "inactive"}\n`;
  out += sdPendingSummary(h, sdStateFiles(sdPendingDir(a), ir.host.cgroupRoot)) ?? "";
  io.out(out);
  return 0;
}

/** With driver cgroupfs where systemd is PID 1: the one warning plan/apply give. */
export function cgroupfsOnSystemdWarning(
  h: Pick<SystemdHost, "systemdBooted"> = realSystemdHost(),
): Diagnostic | undefined {
  if (!h.systemdBooted()) return undefined;
  return {
    code: SdCode.cgroupfsOnSystemd,
    severity: "warning",
    message: "systemd is PID 1 here, and driver cgroupfs writes the cgroup tree behind its back",
    help: "add `driver systemd` to the host block: systemd then owns the tree and what vsc applies comes back after a reboot",
  };
}
