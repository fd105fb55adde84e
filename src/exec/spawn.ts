/**
 * The I/O half of `vsc exec`: start the chain that buildPlan() describes,
 * put it in the context's cgroup before it can run anything, forward
 * signals, and report the command's exit status.
 *
 * The cgroup guarantee: the chain's first link (JOIN_SCRIPT) blocks reading
 * fd 3 before it execs anything. vsc writes the child's pid to the context's
 * cgroup.procs (cgroup v2 migrates the whole process before write(2)
 * returns), reads cgroup.procs back to see the pid listed, and only then
 * writes "go" on fd 3. Every later link and the command itself, and all
 * their children (membership is inherited on fork), start inside the cgroup.
 * If the write fails, the child is killed while still blocked, so the
 * command never starts.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import type { Writable } from "node:stream";
import type { Diagnostic } from "../diag/diagnostic.js";
import { execError } from "./diag.js";
import type { ExecPlan } from "./plan.js";

/** Signals vsc passes on to the command (SIGKILL and SIGSTOP cannot be caught). */
export const FORWARDED_SIGNALS = [
  "SIGHUP",
  "SIGINT",
  "SIGQUIT",
  "SIGTERM",
  "SIGUSR1",
  "SIGUSR2",
  "SIGALRM",
] as const;

type StdioKind = "inherit" | "pipe" | "ignore";

export interface ExecOptions {
  /** stdin, stdout, stderr of the command: inherited by default (tests pipe them). */
  stdio?: [StdioKind, StdioKind, StdioKind];
  /** Forward the signals vsc receives to the command (default true). */
  forwardSignals?: boolean;
  /**
   * stdin is a terminal: the kernel sends Ctrl-C's SIGINT (and SIGQUIT) to the
   * whole foreground process group, the command included, so vsc does not
   * forward those two (the command would get them twice).
   */
  terminal?: boolean;
}

export interface ExecOutcome {
  /** The command's exit code; 128+N if signal N ended it; 125 if vsc could not start it. */
  code: number;
  diagnostics: Diagnostic[];
}

export interface RunningExec {
  child: ChildProcess;
  done: Promise<ExecOutcome>;
}

const readText = (p: string): string | undefined => {
  try {
    return readFileSync(p, "utf8");
  } catch {
    return undefined;
  }
};

/** The PID namespace's init (unshare's forked child); undefined until it exists. */
function namespaceInit(pid: number): number | undefined {
  const kids = readText(`/proc/${pid}/task/${pid}/children`)?.trim().split(/\s+/).filter(Boolean);
  return kids && kids.length > 0 ? Number(kids[0]) : undefined;
}

function joinCgroup(plan: ExecPlan, pid: number): Diagnostic | undefined {
  const procs = `${plan.cgroupDir}/cgroup.procs`;
  try {
    writeFileSync(procs, `${pid}\n`);
    const members = readFileSync(procs, "utf8").split("\n");
    if (!members.includes(String(pid)))
      throw new Error(`pid ${pid} is not listed in ${procs} after the write`);
    return undefined;
  } catch (e) {
    return execError(
      "VSC5809",
      `cannot move the process into context "${plan.context}": ${(e as Error).message}`,
      {
        help: "check that the context is applied (vsc apply) and is a leaf cgroup; the command was not started",
      },
    );
  }
}

export function startExec(plan: ExecPlan, opts: ExecOptions = {}): RunningExec {
  const stdio = opts.stdio ?? ["inherit", "inherit", "inherit"];
  const child = spawn(plan.argv[0], plan.argv.slice(1), {
    stdio: [...stdio, "pipe"],
  });
  const diagnostics: Diagnostic[] = [];
  const gate = child.stdio[3] as Writable | null;
  gate?.on("error", () => {
    /* the chain died before reading "go"; its exit status says why */
  });

  const forward = (sig: NodeJS.Signals, tries = 0): void => {
    const pid = child.pid;
    if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    let target = pid;
    if (plan.pidNamespace) {
      const init = namespaceInit(pid);
      if (init !== undefined) target = init;
      // unshare blocks INT and TERM while it waits and forwards nothing: wait
      // for its child (the init, which does forward) rather than lose the signal.
      else if (readText(`/proc/${pid}/comm`)?.trim() === "unshare" && tries < 200) {
        setTimeout(() => forward(sig, tries + 1), 10);
        return;
      }
    }
    try {
      process.kill(target, sig);
    } catch {
      /* already gone */
    }
  };
  const handlers = new Map<NodeJS.Signals, () => void>();
  if (opts.forwardSignals ?? true) {
    for (const sig of FORWARDED_SIGNALS) {
      const h = () => {
        if (opts.terminal && (sig === "SIGINT" || sig === "SIGQUIT")) return;
        forward(sig);
      };
      handlers.set(sig, h);
      process.on(sig, h);
    }
  }

  const done = new Promise<ExecOutcome>((resolve) => {
    let spawnError: Error | undefined;
    child.on("error", (e) => {
      spawnError = e;
    });
    child.on("close", (code, signal) => {
      for (const [sig, h] of handlers) process.off(sig, h);
      if (spawnError && child.pid === undefined) {
        diagnostics.push(
          execError("VSC5805", `cannot start ${plan.argv[0]}: ${spawnError.message}`),
        );
      }
      if (diagnostics.length > 0) return resolve({ code: 125, diagnostics });
      resolve({
        code: code ?? 128 + (signal ? constants.signals[signal] : 0),
        diagnostics,
      });
    });
  });

  if (child.pid !== undefined) {
    const failed = joinCgroup(plan, child.pid);
    if (failed) {
      diagnostics.push(failed);
      child.kill("SIGKILL");
    } else {
      gate?.end("go\n");
    }
  }
  return { child, done };
}
