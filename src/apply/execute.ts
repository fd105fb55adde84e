/**
 * Runs a plan, exactly as written, in its order. Every change is journaled
 * (how to undo it, from the before-values in the plan) before it is made and
 * read back after; on the first failure everything done so far is undone in
 * reverse order and the kernel's own message is reported. nft loads are one
 * atomic transaction and tc changes one batch per link.
 *
 * A journal marker file exists while this runs: if the process is killed,
 * the next plan sees it and reloads the nft rules; everything else a re-plan
 * finds and fixes by itself (every action is a difference to the live state).
 */
import type { Diagnostic } from "../diag/diagnostic.js";
import type {
  Action,
  CgroupAction,
  CgroupFileAction,
  IfbAction,
  NftAction,
  Plan,
  SubtreeAction,
  TcAction,
} from "../plan/types.js";
import type { ObservedState } from "../plan/types.js";
import { planProblems } from "../plan/validate.js";
import { Code } from "../plan/codes.js";
import { sameClass, sameFilter } from "../plan/plan.js";
import { normalizeValue } from "../plan/values.js";
import { KernelError, errnoMessage, type Kernel } from "./kernel.js";
import { observe, words } from "./observe.js";
import { listNftTable, readNft } from "./read-nft.js";
import { parseIpLinks, parseTcShow, showLines } from "./read-tc.js";
import { StateError, journalMarker, savedRuleset, type StateFiles } from "./state.js";
import { ipCommands, tcCommands, tcLinesDone } from "../plan/tc-commands.js";
import { ifbAlias } from "../model/ingress.js";

export interface ExecuteOptions {
  state: StateFiles;
  /**
   * The live state the plan was checked against (read under the same lock).
   * After a rollback the scope is read again and compared with it: only a
   * match lets the report say the kernel is as it was.
   */
  before?: ObservedState;
  /**
   * The caller has held the plan to what vsc owns (planProblems) already:
   * the planner made it in this process, or applySavedPlan checked it. The
   * check costs about 100 ms for 1,000 contexts (13,000 actions, a 1 MB
   * ruleset; median of 15 on this 2-core host), so it is not run twice.
   */
  checked?: boolean;
}

export interface ExecuteResult {
  ok: boolean;
  /** Changes made (and kept, when ok). */
  changes: number;
  /** Changes undone after a failure. */
  undone: number;
  diagnostics: Diagnostic[];
}

interface UndoStep {
  what: string;
  run: () => void;
}

/** A failure with its diagnostic already worded. */
class StepFailure extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

const sub = (dir: string, name: string) => (dir === "" ? name : `${dir}/${name}`);

export function executePlan(kernel: Kernel, plan: Plan, opts: ExecuteOptions): ExecuteResult {
  if (plan.actions.length === 0) return { ok: true, changes: 0, undone: 0, diagnostics: [] };
  // A plan is held to what vsc owns however it was made (a saved plan was checked on load too).
  const hostile = opts.checked ? [] : planProblems(plan);
  if (hostile.length > 0) return { ok: false, changes: 0, undone: 0, diagnostics: hostile };
  const pre = precheckDeletes(kernel, plan.actions);
  if (pre.length > 0) return { ok: false, changes: 0, undone: 0, diagnostics: pre };

  const journal: UndoStep[] = [];
  let changes = 0;
  /** A deleted cgroup came back during rollback with a new id: nft rules naming it are stale. */
  let recreatedByUndo = false;
  let nftDone: { loaded?: string; deleted?: boolean } = {};
  try {
    journalMarker.set(opts.state, `plan ${plan.fingerprint}`);
  } catch (e) {
    const d = stateDirFailure(opts.state.dir, e);
    if (!d) throw e;
    d.notes = [...(d.notes ?? []), "nothing was changed"];
    return { ok: false, changes: 0, undone: 0, diagnostics: [d] };
  }

  const write = (path: string, value: string, undo: UndoStep | undefined) => {
    kernel.write(path, value);
    changes++;
    if (undo) journal.push(undo);
  };

  try {
    for (let i = 0; i < plan.actions.length; i++) {
      const a = plan.actions[i]!;
      switch (a.type) {
        case "cgroup":
          runCgroup(a);
          break;
        case "subtree-control":
          runSubtree(a);
          break;
        case "cgroup-file":
          runFile(a);
          break;
        case "tc-qdisc":
        case "tc-class":
        case "tc-ingress":
        case "tc-filter": {
          // One batch per device: this action and the tc actions of the same device right after it.
          const batch: TcAction[] = [a];
          while (i + 1 < plan.actions.length) {
            const n = plan.actions[i + 1]!;
            if (!isTc(n) || n.dev !== a.dev) break;
            batch.push(n);
            i++;
          }
          runTc(a.dev, batch);
          break;
        }
        case "ifb":
          runIfb(a);
          break;
        case "nft":
          runNft(a);
          break;
      }
    }
  } catch (e) {
    // Every failure is undone, whatever it is; one that is not an I/O error is a bug, re-thrown after.
    const failure = failureOf(e, opts.state.dir);
    const undoFailures = rollback();
    const undone = journal.length - undoFailures.length;
    const ds = [failure ?? internal(e)];
    let asItWas = false;
    if (undoFailures.length > 0) {
      ds.push({
        code: Code.rollbackIncomplete,
        severity: "error",
        message: "some changes could not be undone",
        notes: undoFailures,
        help: "run `vsc plan` to see what differs, then `vsc apply` again to converge",
      });
    } else {
      const differs = reread();
      if (differs.length === 0) asItWas = true;
      else if (opts.before)
        ds.push({
          code: Code.rollbackDiffers,
          severity: "error",
          message:
            "after the rollback, the live state read again differs from the state before this apply",
          notes: differs,
          help: "run `vsc plan` to see what differs, then `vsc apply` again to converge",
        });
    }
    ds[0]!.notes = [
      ...(ds[0]!.notes ?? []),
      undoFailures.length > 0
        ? `rollback incomplete: ${undone} of ${journal.length} changes undone`
        : asItWas
          ? `rolled back: ${undone} undo step${undone === 1 ? "" : "s"} run; read again, the kernel is as it was before this apply`
          : opts.before
            ? `rolled back: ${undone} undo step${undone === 1 ? "" : "s"} run, but the state read again differs (below)`
            : `rolled back: ${undone} undo step${undone === 1 ? "" : "s"} run`,
    ];
    if (asItWas && !recreatedByUndo) safe(() => journalMarker.clear(opts.state));
    if (!failure) throw e;
    return { ok: false, changes: 0, undone, diagnostics: ds };
  }
  if (nftDone.deleted) safe(() => savedRuleset.drop(opts.state));
  safe(() => journalMarker.clear(opts.state));
  return { ok: true, changes, undone: 0, diagnostics: [] };

  /** The scope read again after a rollback, against the state before: what differs ([] = as it was). */
  function reread(): string[] {
    if (!opts.before) return ["no state read before this apply to compare with"];
    try {
      return stateDifferences(opts.before, observe(kernel, plan.scope));
    } catch (e) {
      return [
        `the state could not be read again: ${e instanceof KernelError ? e.message : String(e)}`,
      ];
    }
  }

  function rollback(): string[] {
    const failures: string[] = [];
    for (const step of [...journal].reverse()) {
      try {
        step.run();
      } catch (e) {
        failures.push(
          `${step.what}: ${e instanceof KernelError ? e.message : errnoMessage(e).message}`,
        );
      }
    }
    if (recreatedByUndo && !nftDone.loaded) {
      // Rules hold cgroup ids; reload the unchanged table so they name the re-created cgroups.
      const now = safe(() => readNft(kernel));
      const text = now?.present ? safe(() => savedRuleset.get(opts.state, now.digest)) : undefined;
      if (text !== undefined && kernel.run("nft", ["-f", "-"], replacing(text)).status === 0)
        recreatedByUndo = false;
      else if (now?.present)
        failures.push("nft rules naming re-created cgroups are stale until the next apply");
      else recreatedByUndo = false;
    }
    return failures;
  }

  function runCgroup(a: CgroupAction) {
    if (a.op === "create") {
      kernel.mkdir(a.path);
      changes++;
      journal.push({
        what: `rmdir ${a.path}`,
        run: () => kernel.rmdir(a.path),
      });
      return;
    }
    if (a.moveProcsTo !== undefined) {
      const target = sub(a.moveProcsTo, "cgroup.procs");
      for (const pid of words(kernel.read(sub(a.path, "cgroup.procs")))) {
        write(target, pid, {
          what: `move ${pid} back to ${a.path}`,
          run: () => kernel.write(sub(a.path, "cgroup.procs"), pid),
        });
      }
    }
    kernel.rmdir(a.path);
    changes++;
    journal.push({
      what: `re-create ${a.path}`,
      run: () => {
        kernel.mkdir(a.path);
        recreatedByUndo = true;
        const r = a.restore ?? { subtreeControl: [], files: {} };
        if (r.subtreeControl.length > 0)
          kernel.write(
            sub(a.path, "cgroup.subtree_control"),
            r.subtreeControl.map((c) => `+${c}`).join(" "),
          );
        for (const [f, v] of Object.entries(r.files)) {
          const now = kernel.read(sub(a.path, f));
          if (now !== undefined && normalizeValue(f, now) !== v) writeValue(a.path, f, now, v);
        }
      },
    });
  }

  function runSubtree(a: SubtreeAction) {
    const on = a.after.filter((c) => !a.before.includes(c));
    const off = a.before.filter((c) => !a.after.includes(c));
    const tokens = [...on.map((c) => `+${c}`), ...off.map((c) => `-${c}`)].join(" ");
    const inverse = [...off.map((c) => `+${c}`), ...on.map((c) => `-${c}`)].join(" ");
    const file = sub(a.path, "cgroup.subtree_control");
    // Journal first: the inverse tokens are harmless if the write did nothing.
    journal.push({
      what: `write ${file} ${JSON.stringify(inverse)}`,
      run: () => {
        const now = words(kernel.read(file)).sort().join(" ");
        if (now !== [...a.before].sort().join(" ")) kernel.write(file, inverse);
      },
    });
    write(file, tokens, undefined);
    const got = words(kernel.read(file)).sort();
    if (got.join(" ") !== [...a.after].sort().join(" "))
      throw new StepFailure(mismatch(a, got.join(" "), a.after.join(" ")));
  }

  function runFile(a: CgroupFileAction) {
    const file = sub(a.path, a.file);
    // Journal first: a value half-written (io.max, line by line) is undone too.
    if (!a.initial && a.before !== null) {
      journal.push({
        what: `restore ${file}`,
        run: () => {
          // A write that failed may have changed nothing (EROFS at open): then there is nothing to undo.
          const now = normalizeValue(a.file, kernel.read(file) ?? "");
          if (now !== normalizeValue(a.file, a.before!)) writeValue(a.path, a.file, now, a.before!);
        },
      });
    }
    changes += writeValue(a.path, a.file, a.before ?? "", a.after).count;
    const got = normalizeValue(a.file, kernel.read(file) ?? "");
    if (got !== normalizeValue(a.file, a.after)) throw new StepFailure(mismatch(a, got, a.after));
  }

  /** One value, written the way the kernel parses it: io.max one device per write. */
  function writeValue(
    path: string,
    name: string,
    before: string,
    after: string,
  ): { count: number } {
    const file = sub(path, name);
    if (name !== "io.max") {
      kernel.write(file, after);
      return { count: 1 };
    }
    const b = normalizeValue(name, before)
      .split("\n")
      .filter((l) => l !== "");
    const wanted = normalizeValue(name, after)
      .split("\n")
      .filter((l) => l !== "");
    const devs = new Set(wanted.map((l) => l.split(" ")[0]));
    let count = 0;
    for (const l of wanted) if (!b.includes(l)) (kernel.write(file, l), count++);
    for (const l of b) {
      const dev = l.split(" ")[0]!;
      if (!devs.has(dev))
        (kernel.write(file, `${dev} rbps=max wbps=max riops=max wiops=max`), count++);
    }
    return { count };
  }

  function runTc(dev: string, batch: TcAction[]) {
    const cmds = batch.flatMap((a) => tcCommands(a));
    // The read-back rides in the same process: tc runs a batch in order and
    // stops at the first failure, so the show lines at the end print the
    // device as the kernel holds it after every change (-d: as readLink reads it).
    const r = kernel.run(
      "tc",
      ["-d", "-batch", "-"],
      `${cmds.map((c) => `${c.line}\n`).join("")}${showLines(dev)}`,
    );
    const done = r.status === 0 ? cmds.length : Math.min(cmds.length, tcLinesDone(r.stderr) ?? 0);
    changes += done;
    const undo = cmds
      .slice(0, done)
      .reverse()
      .flatMap((c) => c.undo);
    if (undo.length > 0) {
      journal.push({
        what: `undo tc changes on ${dev}`,
        run: () => {
          const u = kernel.run("tc", ["-force", "-batch", "-"], undo.map((l) => `${l}\n`).join(""));
          if (u.status !== 0) throw new KernelError(`tc -batch (undo on ${dev})`, u.stderr.trim());
        },
      });
    }
    if (r.status !== 0 || r.missing) {
      throw new StepFailure({
        code: Code.tcRefused,
        severity: "error",
        message: `tc refused the changes to ${dev}: ${r.stderr.trim().split("\n")[0] ?? ""}`,
        notes: [
          r.stderr.trim(),
          done < cmds.length
            ? `failed command: ${cmds[done]!.line}`
            : `every change was made; reading ${dev} back failed`,
        ].filter((x) => x !== ""),
        help: "the message above is tc's own; fix the configuration or the host and apply again",
      });
    }
    // Verify: the link as read back above, against everything this batch touched.
    const now = parseTcShow(dev, r.stdout);
    for (const a of batch) {
      if (a.type === "tc-qdisc") {
        const ok = a.after
          ? now.qdisc?.kind === "htb" &&
            now.qdisc.handle === a.after.handle &&
            now.qdisc.defaultClassid === a.after.defaultClassid
          : !(now.qdisc?.kind === "htb" && now.qdisc.handle === a.before?.handle);
        if (!ok)
          throw new StepFailure(
            mismatch(a, JSON.stringify(now.qdisc ?? null), JSON.stringify(a.after)),
          );
      } else if (a.type === "tc-class") {
        const got = now.classes[a.classid];
        const ok = a.after ? !!got && sameClass(got, a.after) : !got;
        if (!ok)
          throw new StepFailure(mismatch(a, JSON.stringify(got ?? null), JSON.stringify(a.after)));
      } else if (a.type === "tc-filter") {
        const got = now.filters?.[String(a.prio)];
        const ok = a.after ? !!got && sameFilter(got, a.after) : !got;
        if (!ok)
          throw new StepFailure(mismatch(a, JSON.stringify(got ?? null), JSON.stringify(a.after)));
      } else {
        const got = now.ingress;
        const ok = a.after ? !!got && !got.foreign && got.redirect === a.after.redirect : !got;
        if (!ok)
          throw new StepFailure(mismatch(a, JSON.stringify(got ?? null), JSON.stringify(a.after)));
      }
    }
  }

  /** The IFB device: one `ip -batch`, its undo journaled, then read back. */
  function runIfb(a: IfbAction) {
    const cmds = ipCommands(a);
    const r = kernel.run("ip", ["-batch", "-"], cmds.map((c) => `${c.line}\n`).join(""));
    const done = r.status === 0 ? cmds.length : Math.min(cmds.length, tcLinesDone(r.stderr) ?? 0);
    changes += done;
    const undo = cmds
      .slice(0, done)
      .reverse()
      .flatMap((c) => c.undo);
    if (undo.length > 0)
      journal.push({
        what: `undo ip changes to ${a.dev}`,
        run: () => {
          const u = kernel.run("ip", ["-force", "-batch", "-"], undo.map((l) => `${l}\n`).join(""));
          if (u.status !== 0)
            throw new KernelError(`ip -batch (undo on ${a.dev})`, u.stderr.trim());
        },
      });
    if (r.status !== 0 || r.missing)
      throw new StepFailure({
        code: Code.tcRefused,
        severity: "error",
        message: `ip refused the changes to ${a.dev}: ${firstLine(r.stderr)}`,
        notes: [
          r.stderr.trim(),
          ...(done < cmds.length ? [`failed command: ip ${cmds[done]!.line}`] : []),
        ].filter((x) => x !== ""),
        help: "the message above is ip's own; fix the host (the ifb module) and apply again",
      });
    const got = parseIpLinks(
      kernel.run("ip", ["-j", "-d", "link", "show", "dev", a.dev]).stdout,
    ).get(a.dev);
    const ok =
      a.op === "delete" ? !got : got?.kind === "ifb" && got.alias === ifbAlias(a.link) && got.up;
    if (!ok)
      throw new StepFailure(
        mismatch(
          a,
          JSON.stringify(got ?? null),
          a.op === "delete" ? "null" : `ifb ${ifbAlias(a.link)} up`,
        ),
      );
  }

  function runNft(a: NftAction) {
    const before = a.before ? savedRuleset.get(opts.state, a.before.digest) : undefined;
    if (a.after) {
      const r = kernel.run("nft", ["-f", "-"], replacing(a.after.ruleset));
      if (r.status !== 0) {
        throw new StepFailure({
          code: Code.nftRefused,
          severity: "error",
          message: `nft refused the ruleset: ${firstLine(r.stderr)}`,
          notes: [r.stderr.trim()],
          help: "nothing of the ruleset was loaded (nft -f is one transaction); the message above is nft's own",
        });
      }
      changes++;
      nftDone = { loaded: a.after.digest };
      // Undo: the previous text if vsc saved it, else the table was new (delete it), else list it now is too late.
      const prev = a.before ? (before ?? undefined) : null;
      journal.push({
        what: "restore table inet vsc",
        run: () => {
          const u =
            prev === null
              ? kernel.run("nft", ["delete", "table", "inet", "vsc"])
              : prev !== undefined
                ? kernel.run("nft", ["-f", "-"], replacing(prev))
                : {
                    status: 1,
                    stdout: "",
                    stderr: "no saved copy of the previous ruleset",
                  };
          if (u.status !== 0) throw new KernelError("restore table inet vsc", u.stderr.trim());
        },
      });
      savedRuleset.put(opts.state, a.after.digest, a.after.ruleset);
      const got = readNft(kernel);
      if (got.digest !== a.after.digest)
        throw new StepFailure(mismatch(a, got.digest ?? "(no digest)", a.after.digest));
    } else {
      const prev = savedRuleset.get(opts.state, a.before?.digest) ?? listNftTable(kernel);
      const r = kernel.run("nft", ["delete", "table", "inet", "vsc"]);
      if (r.status !== 0) throw new KernelError("nft delete table inet vsc", r.stderr.trim());
      changes++;
      nftDone = { deleted: true };
      journal.push({
        what: "restore table inet vsc",
        run: () => {
          const u =
            prev !== undefined
              ? kernel.run("nft", ["-f", "-"], prev)
              : {
                  status: 1,
                  stdout: "",
                  stderr: "no copy of the previous ruleset",
                };
          if (u.status !== 0) throw new KernelError("restore table inet vsc", u.stderr.trim());
        },
      });
      if (readNft(kernel).present) throw new StepFailure(mismatch(a, "present", "absent"));
    }
  }
}

const isTc = (a: Action): a is TcAction =>
  a.type === "tc-qdisc" ||
  a.type === "tc-class" ||
  a.type === "tc-ingress" ||
  a.type === "tc-filter";

/** Refuse before changing anything when a cgroup to remove has gained processes since the plan. */
function precheckDeletes(kernel: Kernel, actions: Action[]): Diagnostic[] {
  const ds: Diagnostic[] = [];
  for (const a of actions) {
    if (a.type !== "cgroup" || a.op !== "delete" || a.moveProcsTo !== undefined) continue;
    const n = words(kernel.read(sub(a.path, "cgroup.procs"))).length;
    if (n > 0) {
      ds.push({
        code: Code.cgroupHasProcs,
        severity: "error",
        message: `cgroup ${a.path} must be removed but still holds ${n} process${n === 1 ? "" : "es"}`,
        help: "stop them, or run again with --move-procs to move them out of vsc's subtree",
        notes: ["nothing was changed"],
      });
    }
  }
  return ds;
}

/** The ruleset, made to replace `table inet vsc` atomically even if its text does not say so. */
export function replacing(ruleset: string): string {
  return /^\s*(delete|destroy|flush) table inet vsc\b/m.test(ruleset)
    ? ruleset
    : `table inet vsc {}\ndelete table inet vsc\n${ruleset}`;
}

/** Errors that say the filesystem (not the value) is the problem: read-only, full, or refusing. */
const IO_ERRNOS = new Set([
  "ENOSPC",
  "EDQUOT",
  "EROFS",
  "EACCES",
  "EPERM",
  "EIO",
  "EMFILE",
  "ENFILE",
]);

/** A failure as a diagnostic; undefined for what is not an I/O failure (a bug). */
function failureOf(e: unknown, stateDir: string): Diagnostic | undefined {
  if (e instanceof StepFailure || e instanceof StateError) return e.diagnostic;
  if (e instanceof KernelError) {
    if (e.errno === "ELOOP")
      return {
        code: Code.symlinkRefused,
        severity: "error",
        message: `refusing to write through a symbolic link: ${e.operation}`,
        notes: [e.kernelMessage],
        help: "something in the cgroup tree is a symbolic link; remove it (and find out who made it), then apply again",
      };
    if (e.errno !== undefined && IO_ERRNOS.has(e.errno))
      return {
        code: Code.cgroupTreeIo,
        severity: "error",
        message: `cannot change the cgroup tree: ${e.operation}: ${e.kernelMessage}`,
        help: "the filesystem refused the change, not the value: make the cgroup mount writable (or free space), then apply again",
      };
    return refused(e);
  }
  return stateDirFailure(stateDir, e);
}

/** A raw filesystem error: only vsc's state files (journal, saved ruleset) are written without the Kernel. */
function stateDirFailure(dir: string, e: unknown): Diagnostic | undefined {
  const err = e as NodeJS.ErrnoException;
  if (!err || typeof err.code !== "string" || typeof err.syscall !== "string") return undefined;
  return {
    code: Code.stateDirIo,
    severity: "error",
    message: `cannot write vsc's state directory ${dir}: ${errnoMessage(e).message}`,
    notes: err.path ? [`${err.syscall} ${err.path}`] : [],
    help: "make the state directory writable (or free space there), or set VSC_STATE_DIR, then apply again",
  };
}

function internal(e: unknown): Diagnostic {
  return {
    code: Code.kernelRefused,
    severity: "error",
    message: `internal error during apply: ${String((e as Error)?.message ?? e)}`,
  };
}

/**
 * What differs between two reads of the same scope, one line each ([] when
 * nothing does). Process counts are left out: processes come and go.
 */
export function stateDifferences(a: ObservedState, b: ObservedState): string[] {
  const out: string[] = [];
  const bc = new Map(b.cgroups.map((c) => [c.path, c] as const));
  const ac = new Map(a.cgroups.map((c) => [c.path, c] as const));
  for (const c of a.cgroups) {
    const n = bc.get(c.path);
    if (!n) {
      out.push(`cgroup ${c.path} was there and is gone`);
      continue;
    }
    if (c.subtreeControl.join(" ") !== n.subtreeControl.join(" "))
      out.push(
        `cgroup ${c.path} cgroup.subtree_control is ${JSON.stringify(n.subtreeControl.join(" "))}, was ${JSON.stringify(c.subtreeControl.join(" "))}`,
      );
    for (const f of new Set([...Object.keys(c.files), ...Object.keys(n.files)])) {
      if (c.files[f] !== n.files[f])
        out.push(
          `cgroup ${c.path} ${f} is ${JSON.stringify(n.files[f] ?? null)}, was ${JSON.stringify(c.files[f] ?? null)}`,
        );
    }
    if ((c.incomplete ?? []).join(" ") !== (n.incomplete ?? []).join(" "))
      out.push(
        `cgroup ${c.path} lacks ${JSON.stringify((n.incomplete ?? []).join(" "))}, lacked ${JSON.stringify((c.incomplete ?? []).join(" "))}`,
      );
  }
  for (const c of b.cgroups)
    if (!ac.has(c.path)) out.push(`cgroup ${c.path} was not there and is now`);
  if (a.nft.present !== b.nft.present || (a.nft.digest ?? "") !== (b.nft.digest ?? ""))
    out.push(
      `table inet vsc is ${b.nft.present ? `loaded (digest ${b.nft.digest ?? "none"})` : "absent"}, was ${a.nft.present ? `loaded (digest ${a.nft.digest ?? "none"})` : "absent"}`,
    );
  if (a.nft.tables && b.nft.tables) {
    for (const t of b.nft.tables) if (!a.nft.tables.includes(t)) out.push(`nft table ${t} is new`);
    for (const t of a.nft.tables) if (!b.nft.tables.includes(t)) out.push(`nft table ${t} is gone`);
  }
  const bl = new Map(b.links.map((l) => [l.dev, l] as const));
  for (const l of a.links) {
    const n = bl.get(l.dev);
    if (!n) continue;
    if (JSON.stringify(l.qdisc ?? null) !== JSON.stringify(n.qdisc ?? null))
      out.push(
        `link ${l.dev} root qdisc is ${JSON.stringify(n.qdisc ?? null)}, was ${JSON.stringify(l.qdisc ?? null)}`,
      );
    for (const id of new Set([...Object.keys(l.classes), ...Object.keys(n.classes)])) {
      const x = JSON.stringify(l.classes[id] ?? null);
      const y = JSON.stringify(n.classes[id] ?? null);
      if (x !== y) out.push(`link ${l.dev} class ${id} is ${y}, was ${x}`);
    }
    // Ingress (language-v2.md §3): the ingress qdisc, an IFB device, its filters.
    if (l.exists !== n.exists)
      out.push(
        `device ${l.dev} ${n.exists ? "exists" : "is gone"}, ${l.exists ? "existed" : "did not exist"}`,
      );
    for (const k of ["ingress", "device", "foreignFilters"] as const) {
      const x = JSON.stringify(l[k] ?? null);
      const y = JSON.stringify(n[k] ?? null);
      if (x !== y) out.push(`${l.dev} ${k} is ${y}, was ${x}`);
    }
    const lf = l.filters ?? {};
    const nf = n.filters ?? {};
    for (const p of new Set([...Object.keys(lf), ...Object.keys(nf)])) {
      const x = JSON.stringify(lf[p] ?? null);
      const y = JSON.stringify(nf[p] ?? null);
      if (x !== y) out.push(`${l.dev} filter prio ${p} is ${y}, was ${x}`);
    }
  }
  return out;
}

function refused(e: KernelError): Diagnostic {
  return {
    code: Code.kernelRefused,
    severity: "error",
    message: `the kernel refused ${e.operation}: ${e.kernelMessage}`,
    help: "the message is the kernel's own; fix the value in the configuration (or the host) and apply again",
  };
}

function mismatch(a: Action, got: string, want: string): Diagnostic {
  return {
    code: Code.readBackDiffers,
    severity: "error",
    message: `${a.address} reads back ${JSON.stringify(got)} after writing ${JSON.stringify(want)}`,
    help: "the kernel accepted the value but holds another one (rounded, clamped or overridden); write the value in the form the kernel reports",
  };
}

const firstLine = (s: string) => s.trim().split("\n")[0] ?? "";

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
