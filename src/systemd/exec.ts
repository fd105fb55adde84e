/**
 * `vsc exec` under driver systemd (language-v2.md §6): the command runs as a
 * transient service in the context's slice, `systemd-run --wait --pipe`,
 * with the context's security and rlimits as `-p` properties (the same
 * directives as a listed unit's drop-in). Exit status and signals: the
 * unit's ExecMainCode/ExecMainStatus give the command's own code, or 128+N
 * when signal N ended it; SIGINT/SIGTERM/SIGHUP sent to vsc are forwarded to
 * the unit with `systemctl kill`. One argv, no shell. Proven on systemd 252
 * in the kernel lab (test/kernel/systemd-lab.test.ts, "vsc exec").
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { Diagnostic } from "../diag/diagnostic.js";
import type { Node, VscIr } from "../ir/types.gen.js";
import { execDirectives, nodeParts, sliceUnit } from "../model/slices.js";
import type { SystemdHost } from "./host.js";
import { sdPreflight } from "./driver.js";

/** The systemd-run argv for `command` in `node`'s slice (exported for the tests). */
export function systemdRunArgv(ir: VscIr, node: Node, unit: string, command: string[]): string[] {
  const props: string[] = [];
  for (const d of execDirectives(node)) props.push("-p", `${d.key}=${d.value}`);
  return [
    "systemd-run",
    "--wait",
    "--pipe",
    "--quiet",
    "--same-dir",
    // oneshot, not exec: systemd counts a service's SIGTERM/SIGINT/SIGHUP/SIGPIPE
    // death as a clean exit (result "success", unit collected at once), a
    // oneshot's only exit 0 (EXIT_CLEAN_COMMAND): a command ended by a signal
    // stays a failed unit whose ExecMainCode/ExecMainStatus say so.
    "--service-type=oneshot",
    `--unit=${unit}`,
    `--slice=${sliceUnit(nodeParts(ir, node))}`,
    ...props,
    "--",
    command[0]!,
    // systemd substitutes $VAR, ${VAR} and $$ in a service's command line
    // when it runs it (systemd-run of 252 cannot turn that off): `$$` is its
    // literal dollar, so the command gets exactly the arguments it was given.
    ...command.slice(1).map((a) => a.replaceAll("$", "$$$$")),
  ];
}

export interface SdExecResult {
  code: number;
  diagnostics: Diagnostic[];
}

export async function sdExec(
  ir: VscIr,
  node: Node,
  command: string[],
  h: SystemdHost,
): Promise<SdExecResult> {
  const pre = sdPreflight(h);
  if (pre.length > 0) return { code: 125, diagnostics: pre };
  const unit = `vsc-exec-${node.name}-${randomBytes(4).toString("hex")}.service`;
  const argv = systemdRunArgv(ir, node, unit, command);
  const child = spawn(argv[0]!, argv.slice(1), { stdio: "inherit" });
  const forward = (sig: NodeJS.Signals) => () => {
    spawnSync("systemctl", ["kill", `--signal=${sig}`, "--", unit]);
  };
  const handlers: Array<[NodeJS.Signals, () => void]> = (
    ["SIGINT", "SIGTERM", "SIGHUP"] as const
  ).map((s) => [s, forward(s)]);
  for (const [s, f] of handlers) process.on(s, f);
  const runCode: number = await new Promise((resolve) => {
    child.on("error", () => resolve(125));
    child.on("close", (c) => resolve(c ?? 125));
  });
  for (const [s, f] of handlers) process.off(s, f);
  // How the command itself ended (systemd-run's own code folds signals into 1).
  const show = h.run(["systemctl", "show", "-p", "ExecMainCode,ExecMainStatus", "--", unit]);
  h.run(["systemctl", "reset-failed", "--", unit]);
  const code = /ExecMainCode=(\d+)/.exec(show.out)?.[1];
  const status = Number(/ExecMainStatus=(\d+)/.exec(show.out)?.[1] ?? "NaN");
  if (code === "1" && Number.isFinite(status)) return { code: status, diagnostics: [] };
  if ((code === "2" || code === "3") && Number.isFinite(status))
    return { code: 128 + status, diagnostics: [] };
  return { code: runCode, diagnostics: [] };
}
