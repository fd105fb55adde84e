/**
 * The applier's front door: preflight, lock, observe, plan, confirm, execute.
 * Used by src/cli/kernel.ts and by the tests and benchmarks.
 */
import { hasErrors, type Diagnostic } from "../diag/diagnostic.js";
import type { DesiredState } from "../model/desired.js";
import { fingerprint } from "../plan/fingerprint.js";
import {
  destroyScope,
  planChanges,
  planDestroy,
  scopeOf,
  type DestroyTarget,
  type PlanResult,
} from "../plan/plan.js";
import type { ObservedLink, ObservedState, Plan, Scope } from "../plan/types.js";
import { planProblems } from "../plan/validate.js";
import { Code } from "../plan/codes.js";
import { executePlan, type ExecuteResult } from "./execute.js";
import type { Kernel } from "./kernel.js";
import { KernelError, errnoMessage } from "./kernel.js";
import { observe } from "./observe.js";
import { needsOf, preflight, type PreflightNeeds } from "./preflight.js";
import {
  DEFAULT_STATE_DIR,
  StateError,
  acquireLock,
  journalMarker,
  stateFiles,
  stateText,
} from "./state.js";
import {
  armConfirm,
  clearOutcome,
  previousRulesetFor,
  readPending,
  type ConfirmOptions,
  type PendingRecord,
} from "./confirm.js";

export interface ApplierOptions {
  /** Default /run/vsc. */
  stateDir?: string;
  moveProcs?: boolean;
  /** Skip the host checks (tests that fake the kernel's tools). */
  skipPreflight?: boolean;
  /** `vsc apply --confirm`: revert at the deadline unless confirmed (src/apply/confirm.ts). */
  confirm?: ConfirmOptions;
}

export interface Outcome {
  plan?: Plan;
  observed?: ObservedState;
  result?: ExecuteResult;
  /** false when the person (or --auto-approve's absence) declined. */
  approved?: boolean;
  /**
   * The plan is known to stay inside what vsc owns: the planner just made it,
   * or applySavedPlan checked it. The executor checks any other plan itself.
   */
  checked?: boolean;
  diagnostics: Diagnostic[];
  /** With `confirm`: the apply now pending confirmation. */
  pending?: PendingRecord;
}

const files = (k: Kernel, root: string, o: ApplierOptions) =>
  stateFiles(o.stateDir ?? DEFAULT_STATE_DIR, k.cgroupMount, root);

/** Reads the live state of `scope` (with the killed-apply marker). */
export function observeScope(
  kernel: Kernel,
  scope: Scope,
  o: ApplierOptions = {},
  links?: ReadonlyMap<string, ObservedLink>,
): ObservedState {
  return observe(kernel, scope, {
    interrupted: journalMarker.interrupted(files(kernel, scope.cgroupRoot, o)),
    ...(links ? { links } : {}),
  });
}

function guarded<T>(f: () => T): T | Diagnostic {
  try {
    return f();
  } catch (e) {
    if (e instanceof StateError) return e.diagnostic;
    if (!(e instanceof KernelError)) throw e;
    if (e.errno === "ELOOP")
      return {
        code: Code.symlinkRefused,
        severity: "error",
        message: `refusing to read through a symbolic link: ${e.message}`,
        help: "something in the cgroup tree is a symbolic link; remove it (and find out who made it), then apply again",
        notes: ["nothing was changed"],
      };
    return {
      code: Code.cannotRead,
      severity: "error",
      message: `cannot read the live state: ${e.message}`,
      help: "run as root, and check the cgroup mount and the network namespace",
    };
  }
}
const isDiag = (x: unknown): x is Diagnostic =>
  typeof x === "object" && x !== null && "code" in x && "severity" in x;

/** `vsc plan`: preflight, observe, plan. Changes nothing. */
export function planDesired(
  kernel: Kernel,
  desired: DesiredState,
  o: ApplierOptions = {},
): Outcome {
  return planWith(
    kernel,
    needsOf(desired),
    scopeOf(desired),
    (obs) => planChanges(desired, obs, o),
    o,
  );
}

export function planDestroyFor(
  kernel: Kernel,
  target: DestroyTarget,
  o: ApplierOptions = {},
): Outcome {
  const scope: Scope = destroyScope(target);
  const needs: PreflightNeeds = {
    cgroupRoot: target.cgroupRoot,
    controllers: [],
    links: [],
    socketCgroup: false,
  };
  return planWith(kernel, needs, scope, (obs) => planDestroy(target, obs, o), o);
}

function planWith(
  kernel: Kernel,
  needs: PreflightNeeds,
  scope: Scope,
  make: (o: ObservedState) => PlanResult,
  o: ApplierOptions,
): Outcome {
  const links = new Map<string, ObservedLink>();
  // Warnings and notes (a machine larger than declared) go on with the plan.
  const pre = o.skipPreflight ? [] : preflight(kernel, needs, links);
  if (hasErrors(pre)) return { diagnostics: pre };
  const observed = guarded(() => observeScope(kernel, scope, o, links));
  if (isDiag(observed)) return { diagnostics: [...pre, observed] };
  const r = make(observed);
  return {
    ...(r.plan ? { plan: r.plan, checked: true } : {}),
    observed,
    diagnostics: [...pre, ...r.diagnostics],
  };
}

/**
 * `vsc apply FILE` / `vsc destroy`: under the lock, plan against the live
 * state, ask, execute. `approve` sees the plan (only when it has actions).
 */
export async function applyWithLock(
  kernel: Kernel,
  cgroupRoot: string,
  makePlan: () => Outcome,
  approve: (plan: Plan) => Promise<boolean>,
  o: ApplierOptions = {},
): Promise<Outcome> {
  const st = files(kernel, cgroupRoot, o);
  let lock: ReturnType<typeof acquireLock>;
  try {
    lock = acquireLock(st);
  } catch (e) {
    // A read-only, full, missing or unsafe state directory: nothing was changed yet.
    if (e instanceof StateError) return { diagnostics: [e.diagnostic] };
    const err = e as NodeJS.ErrnoException;
    if (typeof err?.code !== "string") throw e;
    return {
      diagnostics: [
        {
          code: Code.stateDirIo,
          severity: "error",
          message: `cannot take the lock in vsc's state directory ${st.dir}: ${errnoMessage(e).message}`,
          notes: [...(err.path ? [`${err.syscall} ${err.path}`] : []), "nothing was changed"],
          help: "make the state directory writable (or free space there), or set VSC_STATE_DIR, then apply again",
        },
      ],
    };
  }
  if (!lock.ok) return { diagnostics: [locked(lock.holder, lock.file)] };
  try {
    const blocked = guarded(() => pendingRefusal(st));
    if (blocked) return { diagnostics: [blocked] };
    const planned = makePlan();
    if (!planned.plan) return planned;
    const before = {
      ...(planned.observed ? { before: planned.observed } : {}),
      ...(planned.checked ? { checked: true } : {}),
    };
    if (planned.plan.actions.length === 0)
      return {
        ...planned,
        approved: true,
        result: executePlan(kernel, planned.plan, { state: st, ...before }),
      };
    // --confirm: the undo must be knowable before anything changes (VSC5403).
    const prev = o.confirm ? previousRulesetFor(st, planned.plan, planned.observed) : {};
    if (prev.diagnostic)
      return { ...planned, diagnostics: [...planned.diagnostics, prev.diagnostic] };
    if (!(await approve(planned.plan))) return { ...planned, approved: false };
    const result = executePlan(kernel, planned.plan, { state: st, ...before });
    if (result.ok && o.confirm) {
      const armed = armConfirm(
        kernel,
        st,
        planned.plan,
        planned.observed!,
        prev.ruleset,
        o.confirm,
        !!o.moveProcs,
      );
      if (!armed.armed)
        return {
          ...planned,
          approved: true,
          result: { ...result, ok: false },
          diagnostics: [...planned.diagnostics, ...armed.diagnostics],
        };
      return {
        ...planned,
        approved: true,
        result,
        pending: armed.armed.record,
        diagnostics: [...planned.diagnostics, ...armed.armed.diagnostics],
      };
    }
    // A plain apply: the outcome of an earlier pending apply is history now.
    if (result.ok) clearOutcome(st);
    return {
      ...planned,
      approved: true,
      result,
      diagnostics: [...planned.diagnostics, ...result.diagnostics],
    };
  } finally {
    lock.release();
  }
}

/** `vsc apply PLAN`: refuse when the live state moved since the plan was made; else run it as written. */
export async function applySavedPlan(
  kernel: Kernel,
  plan: Plan,
  approve: (plan: Plan) => Promise<boolean>,
  o: ApplierOptions = {},
): Promise<Outcome> {
  // Untrusted input: refused before its scope is read or its lock taken.
  const hostile = planProblems(plan);
  if (hostile.length > 0) return { diagnostics: hostile };
  return applyWithLock(
    kernel,
    plan.scope.cgroupRoot,
    () => {
      const observed = guarded(() => observeScope(kernel, plan.scope, o));
      if (isDiag(observed)) return { diagnostics: [observed] };
      if (fingerprint(observed) !== plan.fingerprint) {
        return {
          observed,
          diagnostics: [
            {
              code: Code.stalePlan,
              severity: "error",
              message: "the saved plan is stale: the live state has changed since it was made",
              help: "make a new plan (`vsc plan FILE -out PLAN`), review it, and apply that",
              notes: [
                `plan made against ${plan.fingerprint.slice(0, 12)}, live state is now ${fingerprint(observed).slice(0, 12)}`,
                "nothing was changed",
              ],
            },
          ],
        };
      }
      return { plan, observed, diagnostics: [], checked: true };
    },
    approve,
    o,
  );
}

/** An apply pending confirmation blocks every other apply and destroy on its subtree (VSC5401). */
function pendingRefusal(st: ReturnType<typeof files>): Diagnostic | undefined {
  const p = readPending(st);
  // Made before the last boot: the kernel state it would restore is gone with the boot.
  if (p.kind === "previous-boot") stateText.remove(st, p.ext);
  if (p.kind === "none" || p.kind === "previous-boot") return undefined;
  if (p.kind === "bad")
    return {
      ...p.diagnostic,
      code: Code.pendingBlocks,
      message: `a pending apply blocks this one, and its record is refused: ${p.diagnostic.message}`,
    };
  const left = Math.round((p.record.deadline - Date.now()) / 1000);
  return {
    code: Code.pendingBlocks,
    severity: "error",
    message: `an apply is pending confirmation on this cgroup subtree (${left >= 0 ? `reverts in ${left} s` : `${-left} s overdue`})`,
    help: "run `vsc confirm` to keep it or `vsc revert` to undo it now, then apply again",
    notes: ["nothing was changed"],
  };
}

function locked(holder: number, file: string): Diagnostic {
  return {
    code: Code.locked,
    severity: "error",
    message: `another vsc apply is running on this cgroup subtree (pid ${holder})`,
    help: "wait for it to finish; a lock left by a process that died is taken over automatically",
    notes: [`lock file: ${file}`, "nothing was changed"],
  };
}

export { scopeOf };
