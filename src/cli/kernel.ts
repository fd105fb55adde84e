/**
 * `vsc plan`, `vsc apply`, `vsc destroy`, `vsc show`: the commands that touch
 * the kernel. Argument handling, rendering and exit codes only; the work is
 * in src/plan (pure) and src/apply (I/O).
 */
import { basename, dirname } from "node:path";
import { hasErrors, type Diagnostic } from "../diag/diagnostic.js";
import { desiredState } from "../model/state.js";
import type { VscIr } from "../ir/types.gen.js";
import {
  applySavedPlan,
  applyWithLock,
  observeScope,
  planDesired,
  planDestroyFor,
  type Outcome,
} from "../apply/applier.js";
import { hostKernel } from "../apply/host-kernel.js";
import type { Kernel } from "../apply/kernel.js";
import { KernelError } from "../apply/kernel.js";
import { looksLikePlan, parsePlan, serializePlan } from "../plan/document.js";
import { destroyTargetOf } from "../plan/plan.js";
import { filterText, renderPlan } from "../plan/render.js";
import type { ObservedState, Plan } from "../plan/types.js";
import { MANAGED_FILES, tcRateString } from "../plan/values.js";
import { readInputFile, writeFileReplacing } from "../safe-fs.js";
import { DEFAULT_STATE_DIR, StateError, stateFiles, type StateFiles } from "../apply/state.js";
import {
  confirmPending,
  parseDuration,
  pendingKeys,
  pendingSummary,
  readPending,
  revertPending,
  waitForDeadline,
  type CommandResult,
} from "../apply/confirm.js";
import { Code } from "../plan/codes.js";
import { loadAndCheck, printDiagnostics } from "./frontend.js";
import type { DiagFormat, Io } from "./io.js";

interface KernelArgs {
  /** Default /sys/fs/cgroup. */
  cgroupMount?: string;
  netns?: string;
  format?: DiagFormat;
  /** vsc's lock/journal directory (default /run/vsc; env VSC_STATE_DIR). */
  stateDir?: string;
  /** Which host of a fleet (`--host`); required when the file set has several. */
  host?: string;
}

export interface PlanArgs extends KernelArgs {
  file: string;
  /** Save the plan here (JSON). */
  out?: string;
  detailedExitcode?: boolean;
  json?: boolean;
}

export interface ApplyArgs extends KernelArgs {
  /** A .vsc file, or a plan saved by `vsc plan -out`. */
  file: string;
  autoApprove?: boolean;
  moveProcs?: boolean;
  /** Revert after this long unless confirmed ("90s", "2m"). */
  confirm?: string;
}

export interface PendingArgs extends KernelArgs {
  cgroupRoot?: string;
  moveProcs?: boolean;
  /** The watchdog's own invocation: the pending id it was started for. */
  due?: string;
  /** driver systemd: where the pending record is (default /var/lib/vsc, or --state-dir). */
  pendingDir?: string;
  /** driver systemd, the boot guard: revert an apply not confirmed before the reboot. */
  boot?: boolean;
}

/**
 * A pending apply of the systemd driver, if the arguments find one
 * (src/apply/confirm-systemd.ts); null when several (reported).
 */
async function sdPending(a: PendingArgs, io: Io) {
  const { sdPendingKeys } = await import("../apply/confirm-systemd.js");
  const { sdPendingDir } = await import("./systemd.js");
  const keys = sdPendingKeys(sdPendingDir(a), a.cgroupRoot);
  if (keys.length > 1) {
    report(
      [
        {
          code: "VSC9040",
          severity: "error",
          message: `${keys.length} systemd applies are pending confirmation: ${keys.map((k) => k.key).join(", ")}`,
          help: "name the one meant with --cgroup-root NAME",
        },
      ],
      ".",
      a,
      io,
    );
    return null;
  }
  return keys[0];
}

async function sdConfirmOrRevert(
  a: PendingArgs,
  io: Io,
  st: StateFiles,
  verb: "confirm" | "revert",
): Promise<number> {
  const { sdConfirm, sdRevert } = await import("../apply/confirm-systemd.js");
  const { systemdHostOf, sdLockDir } = await import("./systemd.js");
  const h = systemdHostOf({});
  try {
    if (verb === "confirm") return printResult(sdConfirm(h, st), a, io);
    return printResult(
      await sdRevert(h, st, {
        lockDir: sdLockDir(a),
        ...(a.due !== undefined ? { due: a.due } : {}),
        ...(a.boot ? { boot: true } : {}),
      }),
      a,
      io,
    );
  } catch (e) {
    if (e instanceof StateError) return (report([e.diagnostic], ".", a, io), 1);
    throw e;
  }
}

export interface DestroyArgs extends KernelArgs {
  file: string;
  autoApprove?: boolean;
  moveProcs?: boolean;
}

export interface ShowArgs extends KernelArgs {
  /** A .vsc file (with --host for a fleet): under driver systemd, show reads its units; else that host's cgroup root and links. */
  file?: string;
  cgroupRoot?: string;
  link?: string[];
  json?: boolean;
}

/** A saved plan holds every ruleset and value; bounded only so that a device or a stray file is refused. */
const MAX_APPLY_INPUT_BYTES = 256 * 1024 * 1024;

const kernelOf = (a: KernelArgs): Kernel =>
  hostKernel({
    cgroupMount: a.cgroupMount ?? "/sys/fs/cgroup",
    ...(a.netns ? { netns: a.netns } : {}),
  });

const optsOf = (a: KernelArgs & { moveProcs?: boolean }) => {
  const stateDir = a.stateDir ?? process.env.VSC_STATE_DIR;
  return { ...(stateDir ? { stateDir } : {}), ...(a.moveProcs ? { moveProcs: true } : {}) };
};

function report(ds: Diagnostic[], file: string, a: KernelArgs, io: Io): void {
  printDiagnostics(ds, new Map(), file, a.format ?? "human", io);
}

async function loadIr(file: string, a: KernelArgs, io: Io): Promise<VscIr | undefined> {
  const { ir } = await loadAndCheck(file, io, a.format ?? "human", true, hostOptions(a));
  return ir;
}

/** driver cgroupfs where systemd is PID 1: warn once (language-v2.md §6). */
async function warnCgroupfs(a: KernelArgs & { file: string }, io: Io): Promise<void> {
  const { cgroupfsOnSystemdWarning } = await import("./systemd.js");
  const w = cgroupfsOnSystemdWarning();
  if (w) report([w], a.file, a, io);
}

export async function cmdPlan(a: PlanArgs, io: Io): Promise<number> {
  const ir = await loadIr(a.file, a, io);
  if (!ir) return 1;
  if (ir.host.driver === "systemd") return (await import("./systemd.js")).sdCmdPlan(ir, a, io);
  await warnCgroupfs(a, io);
  const desired = desiredState(ir);
  const out = guard(() => planDesired(kernelOf(a), desired, optsOf(a)));
  if (!out.plan) {
    report(out.diagnostics, a.file, a, io);
    return 1;
  }
  // Warnings and notes of preflight (a machine larger than declared) come with the plan.
  if (out.diagnostics.length > 0 && !a.json && a.format !== "json")
    report(out.diagnostics, a.file, a, io);
  if (a.json) io.out(serializePlan(out.plan));
  else io.out(renderPlan(out.plan, { color: io.color }));
  if (a.out) {
    try {
      // A new file renamed into place, mode 0644: never written through a symlink (docs/security.md).
      writeFileReplacing(dirname(a.out), basename(a.out), serializePlan(out.plan), 0o644);
    } catch (e) {
      report(
        [
          {
            code: "VSC9003",
            severity: "error",
            message: `cannot write the plan to ${a.out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
            help: "check that its directory exists, is a real directory (not a symlink) and is writable",
          },
        ],
        a.file,
        a,
        io,
      );
      return 1;
    }
    io.err(`Saved the plan to ${a.out}; apply it exactly as shown with \`vsc apply ${a.out}\`.\n`);
  }
  return a.detailedExitcode && out.plan.actions.length > 0 ? 2 : 0;
}

export async function cmdApply(a: ApplyArgs, io: Io): Promise<number> {
  let confirm: { seconds: number } | undefined;
  if (a.confirm !== undefined) {
    const d = parseDuration(a.confirm);
    if ("error" in d) {
      report(
        [
          {
            code: Code.badDuration,
            severity: "error",
            message: `--confirm ${d.error}`,
            help: "give the time to confirm in, between 1 second and 1 day: --confirm 90s, --confirm 2m",
            notes: ["nothing was changed"],
          },
        ],
        a.file,
        a,
        io,
      );
      return 1;
    }
    confirm = d;
  }
  // A regular file only (a FIFO or /dev/zero would hang): a plan or a .vsc file, bounded in size.
  const read = readInputFile(a.file, MAX_APPLY_INPUT_BYTES);
  if (!read.ok) {
    const why =
      read.reason === "too-large"
        ? `larger than ${MAX_APPLY_INPUT_BYTES / 1048576} MiB`
        : read.reason === "not-regular"
          ? `not a regular file: it is ${read.detail}`
          : read.detail;
    report(
      [
        {
          code:
            read.reason === "not-regular"
              ? "VSC1020"
              : read.reason === "too-large"
                ? "VSC1021"
                : "VSC2003",
          severity: "error",
          message: `cannot read ${a.file}: ${why}`,
          help: "name a .vsc file, or a plan saved by `vsc plan --out`",
        },
      ],
      a.file,
      a,
      io,
    );
    return 1;
  }
  const text = read.text;
  if (/^\s*\{/.test(text) && text.includes('"vsc-systemd-plan"'))
    return (await import("./systemd.js")).sdCmdApplySaved(
      text,
      { ...a, ...(confirm ? { confirmSeconds: confirm.seconds } : {}) },
      io,
    );
  const kernel = kernelOf(a);
  const opts = { ...optsOf(a), ...(confirm ? { confirm } : {}) };
  if (looksLikePlan(text)) {
    const parsed = parsePlan(text, a.file);
    if (!parsed.plan) {
      report(parsed.diagnostics, a.file, a, io);
      return 1;
    }
    // A saved plan was reviewed when it was made: it runs without asking, as written.
    const out = await guardAsync(() =>
      applySavedPlan(
        kernel,
        parsed.plan!,
        async (p) => (io.out(renderPlan(p, { color: io.color })), true),
        opts,
      ),
    );
    return finish(out, a, io, "Apply");
  }
  const ir = await loadIr(a.file, a, io);
  if (!ir) return 1;
  if (ir.host.driver === "systemd")
    return (await import("./systemd.js")).sdCmdApply(
      ir,
      { ...a, ...(confirm ? { confirmSeconds: confirm.seconds } : {}) },
      io,
    );
  await warnCgroupfs(a, io);
  const desired = desiredState(ir);
  const out = await guardAsync(() =>
    applyWithLock(
      kernel,
      desired.cgroupRoot,
      () => planDesired(kernel, desired, opts),
      approver(a, io, "apply"),
      opts,
    ),
  );
  return finish(out, a, io, "Apply");
}

export async function cmdDestroy(a: DestroyArgs, io: Io): Promise<number> {
  const ir = await loadIr(a.file, a, io);
  if (!ir) return 1;
  if (ir.host.driver === "systemd") return (await import("./systemd.js")).sdCmdDestroy(ir, a, io);
  const desired = desiredState(ir);
  const kernel = kernelOf(a);
  const opts = optsOf(a);
  const target = destroyTargetOf(desired);
  const out = await guardAsync(() =>
    applyWithLock(
      kernel,
      desired.cgroupRoot,
      () => planDestroyFor(kernel, target, opts),
      approver(a, io, "destroy"),
      opts,
    ),
  );
  return finish(out, a, io, "Destroy");
}

/** `--host` for the checker: a command that acts on one host needs one. */
export const hostOptions = (a: { host?: string }) =>
  a.host === undefined ? { needOneHost: true } : { needOneHost: true, host: a.host };

export async function cmdShow(a: ShowArgs, io: Io): Promise<number> {
  let ir: VscIr | undefined;
  if (a.file) {
    ir = await loadIr(a.file, a, io);
    if (!ir) return 1;
    if (ir.host.driver === "systemd")
      return (await import("./systemd.js")).sdCmdShow(ir, { ...a, file: a.file }, io);
  }
  const kernel = kernelOf(a);
  let cgroupRoot = a.cgroupRoot ?? "vsc";
  let links = [...(a.link ?? [])];
  if (ir !== undefined) {
    const desired = desiredState(ir);
    cgroupRoot = desired.cgroupRoot;
    if (links.length === 0) links = desired.links.map((l) => l.dev);
  } else if (a.host !== undefined) {
    report(
      [
        {
          code: "VSC9031",
          severity: "error",
          message: "--host names a host of a file set: give the file with --file",
          help: "vsc show --file FLEET.vsc --host NAME",
        },
      ],
      ".",
      a,
      io,
    );
    return 1;
  }
  const scope = {
    cgroupRoot,
    files: [...MANAGED_FILES],
    links: links.sort(),
  };
  let observed: ObservedState;
  try {
    observed = observeScope(kernel, scope, optsOf(a));
  } catch (e) {
    if (e instanceof StateError) {
      report([e.diagnostic], ".", a, io);
      return 1;
    }
    if (!(e instanceof KernelError)) throw e;
    report([cannotRead(e)], ".", a, io);
    return 1;
  }
  const st = stateFiles(
    optsOf(a).stateDir ?? DEFAULT_STATE_DIR,
    kernel.cgroupMount,
    scope.cgroupRoot,
  );
  const pending = pendingSummary(st);
  if (a.json)
    io.out(
      `${JSON.stringify(pending ? { ...observed, pending: pending.trim() } : observed, null, 2)}\n`,
    );
  else io.out(renderShow(observed, kernel) + (pending ?? ""));
  return 0;
}

/** The state files of the pending apply the arguments name; a diagnostic when none or several. */
function pendingTarget(a: PendingArgs, io: Io): StateFiles | undefined | null {
  const dir = optsOf(a).stateDir ?? DEFAULT_STATE_DIR;
  const mount = a.cgroupMount ?? "/sys/fs/cgroup";
  const keys = pendingKeys(dir, mount, a.cgroupRoot);
  if (keys.length > 1) {
    report(
      [
        {
          code: "VSC9040",
          severity: "error",
          message: `${keys.length} applies are pending confirmation on ${mount}: ${keys.map((k) => k.key).join(", ")}`,
          help: "name the one meant with --cgroup-root NAME",
        },
      ],
      ".",
      a,
      io,
    );
    return null;
  }
  return keys[0] ?? stateFiles(dir, mount, "vsc");
}

function netnsMismatch(a: PendingArgs, st: StateFiles, io: Io): boolean {
  if (a.netns === undefined) return false;
  let p: ReturnType<typeof readPending>;
  try {
    p = readPending(st);
  } catch {
    return false;
  }
  if (p.kind !== "ok" || p.record.netns === a.netns) return false;
  report(
    [
      {
        code: "VSC9041",
        severity: "error",
        message: `the pending apply was made ${p.record.netns ? `in network namespace ${p.record.netns}` : "in the host's network namespace"}, not in ${a.netns}`,
        help: "leave out --netns: the revert runs where the apply ran",
        notes: ["nothing was changed"],
      },
    ],
    ".",
    a,
    io,
  );
  return true;
}

function printResult(r: CommandResult, a: KernelArgs, io: Io): number {
  if (r.diagnostics.length > 0) report(r.diagnostics, ".", a, io);
  if (r.message) io.err(r.message);
  return r.code;
}

/** `vsc confirm`: 0 confirmed or nothing pending; 1 when the pending apply was already reverted. */
export async function cmdConfirm(a: PendingArgs, io: Io): Promise<number> {
  const sd = await sdPending(a, io);
  if (sd === null) return 1;
  if (sd) return sdConfirmOrRevert(a, io, sd, "confirm");
  const st = pendingTarget(a, io);
  if (st === null) return 1;
  if (!st) return 0;
  if (netnsMismatch(a, st, io)) return 1;
  try {
    return printResult(await confirmPending(st), a, io);
  } catch (e) {
    if (e instanceof StateError) return (report([e.diagnostic], ".", a, io), 1);
    throw e;
  }
}

/**
 * `vsc revert`: 0 restored exactly, or nothing pending; 1 refused, failed or
 * restored with differences. With --due (the watchdog) it first waits for
 * the deadline, and does nothing if the apply was confirmed meanwhile.
 */
export async function cmdRevert(a: PendingArgs, io: Io): Promise<number> {
  const sd = await sdPending(a, io);
  if (sd === null) return 1;
  if (sd) return sdConfirmOrRevert(a, io, sd, "revert");
  // The boot guard: nothing of the systemd driver pending (confirmed or reverted meanwhile).
  if (a.boot) return 0;
  const st = pendingTarget(a, io);
  if (st === null) return 1;
  if (!st) return 0;
  if (netnsMismatch(a, st, io)) return 1;
  try {
    if (a.due !== undefined && !(await waitForDeadline(st, a.due))) return 0;
    const r = await revertPending(st, {
      ...(a.due !== undefined ? { due: a.due } : {}),
      ...(a.moveProcs ? { moveProcs: true } : {}),
      kernelFor: (rec) =>
        hostKernel({ cgroupMount: rec.cgroupMount, ...(rec.netns ? { netns: rec.netns } : {}) }),
    });
    return printResult(r, a, io);
  } catch (e) {
    if (e instanceof StateError) return (report([e.diagnostic], ".", a, io), 1);
    if (e instanceof KernelError) return (report([cannotRead(e)], ".", a, io), 1);
    throw e;
  }
}

/** Shows the plan, then asks (or not, with --auto-approve; never without a terminal). */
function approver(
  a: { autoApprove?: boolean; format?: DiagFormat; file: string },
  io: Io,
  verb: string,
) {
  return async (plan: Plan): Promise<boolean> => {
    io.out(renderPlan(plan, { color: io.color }));
    if (a.autoApprove) return true;
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
        a.file,
        a,
        io,
      );
      return false;
    }
    return io.confirm(`\nDo you want to ${verb}? Only 'yes' will be accepted:`);
  };
}

function finish(out: Outcome, a: KernelArgs & { file: string }, io: Io, verb: string): number {
  if (out.approved === false) {
    if (io.interactive) io.err(`${verb} cancelled.\n`);
    return 1;
  }
  if (out.diagnostics.length > 0) report(out.diagnostics, a.file, a, io);
  if (hasErrors(out.diagnostics) || !out.result?.ok) return 1;
  const plan = out.plan!;
  if (plan.actions.length === 0) {
    io.out(renderPlan(plan, { color: io.color }));
    io.err(`${verb} complete: nothing to do, nothing written.\n`);
    return 0;
  }
  const s = plan.summary;
  io.err(
    `${verb} complete! Resources: ${s.add} added, ${s.change} changed, ${s.destroy} destroyed (${out.result.changes} kernel writes, verified).\n`,
  );
  if (out.pending) {
    const at = new Date(out.pending.deadline).toISOString().replace(/\.\d+Z$/, "Z");
    io.err(
      `Pending confirmation: it reverts by itself at ${at} (in ${out.pending.seconds} s) unless \`vsc confirm\` runs first; \`vsc revert\` undoes it now.\n`,
    );
  }
  return 0;
}

function cannotRead(e: KernelError): Diagnostic {
  return {
    code: "VSC5035",
    severity: "error",
    message: `cannot read the live state: ${e.message}`,
    help: "run as root, and check the cgroup mount and the network namespace",
  };
}

function guard(f: () => Outcome): Outcome {
  try {
    return f();
  } catch (e) {
    if (e instanceof KernelError) return { diagnostics: [cannotRead(e)] };
    if (e instanceof StateError) return { diagnostics: [e.diagnostic] };
    throw e;
  }
}

async function guardAsync(f: () => Promise<Outcome>): Promise<Outcome> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof KernelError) return { diagnostics: [cannotRead(e)] };
    if (e instanceof StateError) return { diagnostics: [e.diagnostic] };
    throw e;
  }
}

/** What vsc owns now, as the kernel reports it. */
export function renderShow(o: ObservedState, kernel: Kernel): string {
  let out = `cgroup subtree ${kernel.cgroupMount}/${o.cgroupRoot}`;
  if (o.cgroups.length === 0) out += ": absent\n";
  else {
    out += ":\n";
    for (const c of o.cgroups) {
      const indent = "  ".repeat(c.path.split("/").length - o.cgroupRoot.split("/").length + 1);
      out += `${indent}${c.path}${c.procs ? `  (${c.procs} process${c.procs === 1 ? "" : "es"})` : ""}\n`;
      if (c.subtreeControl.length)
        out += `${indent}  cgroup.subtree_control = ${c.subtreeControl.join(" ")}\n`;
      for (const [f, v] of Object.entries(c.files))
        out += `${indent}  ${f} = ${JSON.stringify(v)}\n`;
    }
  }
  out += `nft table inet vsc${kernel.netns ? ` (netns ${kernel.netns})` : ""}: ${
    o.nft.present ? `loaded, digest ${o.nft.digest ?? "(none: not loaded by vsc)"}` : "absent"
  }\n`;
  for (const l of o.links) {
    // An IFB device of ingress shaping (language-v2.md §3): shown when it exists.
    const ifb = l.device !== undefined || (!l.exists && l.dev.startsWith("vsc-in-"));
    if (ifb && !l.exists) continue;
    if (!l.exists) out += `link ${l.dev}: does not exist\n`;
    else {
      if (ifb)
        out += `ifb ${l.dev}: ${l.device!.kind || "no kind"} device${l.device!.alias ? `, alias ${l.device!.alias}` : ""}, ${l.device!.up ? "up" : "down"}\n`;
      out += `${ifb ? "  " : ""}${ifb ? "root qdisc" : `link ${l.dev}: root qdisc`} ${l.qdisc ? `${l.qdisc.kind} ${l.qdisc.handle}` : "(none)"}${l.qdisc?.defaultClassid ? ` default ${l.qdisc.defaultClassid}` : ""}\n`;
      for (const [id, c] of Object.entries(l.classes)) {
        out += `  class ${id} parent ${c.parent} rate ${tcRateString(c.rate)} ceil ${tcRateString(c.ceil)}${c.quantum !== undefined ? ` quantum ${c.quantum}` : ""}${c.leafQdisc ? ` qdisc ${c.leafQdisc}` : ""}\n`;
      }
      for (const [prio, f] of Object.entries(l.filters ?? {}))
        out += `  filter prio ${prio} -> ${f.flowid}: ${filterText(f)}\n`;
      if (l.ingress)
        out += `  ingress qdisc ${l.ingress.kind}${l.ingress.redirect ? `, redirect to ${l.ingress.redirect}` : ""}${l.ingress.foreign ? ` (not vsc's: ${l.ingress.foreign.join("; ")})` : ""}\n`;
    }
  }
  if (o.interrupted)
    out += "note: a previous apply was interrupted; the next apply reloads the nft rules\n";
  return out;
}
