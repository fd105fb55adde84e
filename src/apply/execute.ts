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
  NftAction,
  Plan,
  SubtreeAction,
  TcClassAction,
  TcQdiscAction,
} from "../plan/types.js";
import { sameClass } from "../plan/plan.js";
import { normalizeValue } from "../plan/values.js";
import { KernelError, type Kernel } from "./kernel.js";
import { words } from "./observe.js";
import { listNftTable, readNft } from "./read-nft.js";
import { parseTcShow } from "./read-tc.js";
import { StateError, journalMarker, savedRuleset, type StateFiles } from "./state.js";
import { tcCommands, tcLinesDone } from "./tc-commands.js";

export interface ExecuteOptions {
  state: StateFiles;
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
  const pre = precheckDeletes(kernel, plan.actions);
  if (pre.length > 0) return { ok: false, changes: 0, undone: 0, diagnostics: pre };

  const journal: UndoStep[] = [];
  let changes = 0;
  /** A deleted cgroup came back during rollback with a new id: nft rules naming it are stale. */
  let recreatedByUndo = false;
  let nftDone: { loaded?: string; deleted?: boolean } = {};
  journalMarker.set(opts.state, `plan ${plan.fingerprint}`);

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
        case "tc-class": {
          // One batch per link: this action and the tc actions of the same link right after it.
          const batch: (TcQdiscAction | TcClassAction)[] = [a];
          while (i + 1 < plan.actions.length) {
            const n = plan.actions[i + 1]!;
            if ((n.type !== "tc-class" && n.type !== "tc-qdisc") || n.dev !== a.dev) break;
            batch.push(n);
            i++;
          }
          runTc(a.dev, batch);
          break;
        }
        case "nft":
          runNft(a);
          break;
      }
    }
  } catch (e) {
    const failure =
      e instanceof StepFailure || e instanceof StateError
        ? e.diagnostic
        : e instanceof KernelError
          ? refused(e)
          : (() => {
              throw e;
            })();
    const undoFailures = rollback();
    const undone = journal.length - undoFailures.length;
    failure.notes = [
      ...(failure.notes ?? []),
      undoFailures.length === 0
        ? `rolled back: ${undone} undo step${undone === 1 ? "" : "s"} run, the kernel is as it was before this apply`
        : `rollback incomplete: ${undone} of ${journal.length} changes undone`,
    ];
    const ds = [failure];
    if (undoFailures.length > 0) {
      ds.push({
        code: "VSC5025",
        severity: "error",
        message: "some changes could not be undone",
        notes: undoFailures,
        help: "run `vsc plan` to see what differs, then `vsc apply` again to converge",
      });
    } else if (!recreatedByUndo) journalMarker.clear(opts.state);
    return { ok: false, changes: 0, undone, diagnostics: ds };
  }
  if (nftDone.deleted) savedRuleset.drop(opts.state);
  journalMarker.clear(opts.state);
  return { ok: true, changes, undone: 0, diagnostics: [] };

  function rollback(): string[] {
    const failures: string[] = [];
    for (const step of [...journal].reverse()) {
      try {
        step.run();
      } catch (e) {
        failures.push(`${step.what}: ${e instanceof KernelError ? e.message : String(e)}`);
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
    write(file, tokens, {
      what: `write ${file} ${JSON.stringify(inverse)}`,
      run: () => kernel.write(file, inverse),
    });
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
        run: () => void writeValue(a.path, a.file, a.after, a.before!),
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

  function runTc(dev: string, batch: (TcQdiscAction | TcClassAction)[]) {
    const cmds = batch.flatMap((a) => tcCommands(a));
    // The read-back rides in the same process: tc runs a batch in order and
    // stops at the first failure, so the two show lines at the end print the
    // link as the kernel holds it after every change (-d: as readLink reads it).
    const r = kernel.run(
      "tc",
      ["-d", "-batch", "-"],
      `${cmds.map((c) => `${c.line}\n`).join("")}qdisc show dev ${dev}\nclass show dev ${dev}\n`,
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
        code: "VSC5024",
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
      } else {
        const got = now.classes[a.classid];
        const ok = a.after ? !!got && sameClass(got, a.after) : !got;
        if (!ok)
          throw new StepFailure(mismatch(a, JSON.stringify(got ?? null), JSON.stringify(a.after)));
      }
    }
  }

  function runNft(a: NftAction) {
    const before = a.before ? savedRuleset.get(opts.state, a.before.digest) : undefined;
    if (a.after) {
      const r = kernel.run("nft", ["-f", "-"], replacing(a.after.ruleset));
      if (r.status !== 0) {
        throw new StepFailure({
          code: "VSC5023",
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

/** Refuse before changing anything when a cgroup to remove has gained processes since the plan. */
function precheckDeletes(kernel: Kernel, actions: Action[]): Diagnostic[] {
  const ds: Diagnostic[] = [];
  for (const a of actions) {
    if (a.type !== "cgroup" || a.op !== "delete" || a.moveProcsTo !== undefined) continue;
    const n = words(kernel.read(sub(a.path, "cgroup.procs"))).length;
    if (n > 0) {
      ds.push({
        code: "VSC5010",
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

function refused(e: KernelError): Diagnostic {
  return {
    code: "VSC5020",
    severity: "error",
    message: `the kernel refused ${e.operation}: ${e.kernelMessage}`,
    help: "the message is the kernel's own; fix the value in the configuration (or the host) and apply again",
  };
}

function mismatch(a: Action, got: string, want: string): Diagnostic {
  return {
    code: "VSC5021",
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
