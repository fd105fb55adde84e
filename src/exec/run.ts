/**
 * `vsc exec` from a checked IR: find the context, validate, check the host,
 * build the chain, run it. Returns the exit code: the command's own, 128+N
 * when signal N ended it, 127 when the command does not exist, 125 when vsc
 * refused or failed to start it (the convention of env, chroot and timeout,
 * so that vsc's own failures are told apart from most commands' codes).
 */
import type { Diagnostic } from "../diag/diagnostic.js";
import { hasErrors } from "../diag/diagnostic.js";
import { type DiagFormat, renderHuman, renderJson, renderShort } from "../diag/render.js";
import type { VscIr } from "../ir/types.gen.js";
import { execError } from "./diag.js";
import { realExecHost, type ExecHost } from "./host.js";
import { buildPlan, selectContext, validateNode } from "./plan.js";
import { preflight } from "./preflight.js";
import { startExec, type ExecOptions } from "./spawn.js";

export interface ExecArgs {
  context: string;
  command: string[];
  /** Default /sys/fs/cgroup. */
  cgroupMount?: string;
  format?: DiagFormat;
  /** Maps an IR file (relative to the entry file's directory) to what the user knows. */
  displayPath?: (file: string) => string;
}

export interface ExecDeps extends ExecOptions {
  host?: ExecHost;
}

/** Where exec's own diagnostics go (the CLI's Io is one): stderr, and whether it takes colour. */
export interface DiagSink {
  err(text: string): void;
  color: boolean;
}

export const EXIT_VSC_FAILED = 125;
export const EXIT_NOT_FOUND = 127;

/**
 * Prints exec diagnostics. JSON goes to stderr too: stdout belongs to the command.
 * There is no source excerpt (the IR has no text), only `file:line:col`.
 */
export function printExecDiagnostics(
  ds: Diagnostic[],
  args: Pick<ExecArgs, "format" | "displayPath">,
  io: DiagSink,
): void {
  if (ds.length === 0) return;
  const opts = {
    color: io.color,
    sources: new Map<string, string>(),
    displayPath: args.displayPath,
  };
  const format = args.format ?? "human";
  io.err(
    format === "json"
      ? renderJson(ds, opts)
      : format === "short"
        ? renderShort(ds, opts)
        : renderHuman(ds, opts),
  );
}

export function missingCommand(): Diagnostic {
  return execError("VSC5800", "no command to run", {
    help: "put the command after `--`: vsc exec CONTEXT -- CMD [ARGS...]",
  });
}

export async function execContext(
  ir: VscIr,
  args: ExecArgs,
  io: DiagSink,
  deps: ExecDeps = {},
): Promise<number> {
  const refuse = (ds: Diagnostic[]): number => {
    printExecDiagnostics(ds, args, io);
    const errors = ds.filter((d) => d.severity === "error");
    return errors.every((d) => d.code === "VSC5807") ? EXIT_NOT_FOUND : EXIT_VSC_FAILED;
  };
  if (args.command.length === 0) return refuse([missingCommand()]);

  const { node, diagnostics: found } = selectContext(ir, args.context);
  if (!node) return refuse(found);

  const problems = validateNode(node);
  if (hasErrors(problems)) return refuse(problems);

  const cgroupMount = args.cgroupMount ?? "/sys/fs/cgroup";
  const host = deps.host ?? realExecHost();
  const pre = preflight(node, ir.host, { cgroupMount, command: args.command }, host);
  if (hasErrors(pre.diagnostics)) return refuse([...problems, ...pre.diagnostics]);

  const plan = buildPlan({
    node,
    host: ir.host,
    cgroupMount,
    command: args.command,
    commandPath: pre.commandPath,
    root: pre.root,
    tools: pre.tools,
    capLastCap: pre.capLastCap,
    identity: pre.identity,
  });
  printExecDiagnostics([...problems, ...pre.diagnostics], args, io);
  const outcome = await startExec(plan, deps).done;
  printExecDiagnostics(outcome.diagnostics, args, io);
  return outcome.code;
}
