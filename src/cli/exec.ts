/**
 * `vsc exec [--file FILE] CONTEXT -- CMD [ARGS...]`: run a command inside a
 * context (cgroup, rlimits, capabilities, namespaces, root). The file
 * defaults to vsc.vsc in the current directory, like a Makefile. The work is
 * in src/exec; this only loads the file. See docs/exec.md.
 */
import type { DiagFormat, Io } from "./io.js";
import { displayPathFor, loadAndCheck } from "./frontend.js";
import { EXIT_VSC_FAILED, execContext, missingCommand, printExecDiagnostics } from "../exec/run.js";

export async function cmdExec(
  args: {
    file?: string;
    context: string;
    command: string[];
    cgroupMount?: string;
    format?: DiagFormat;
  },
  io: Io,
): Promise<number> {
  const file = args.file ?? "vsc.vsc";
  const format = args.format ?? "human";
  // commander's pass-through keeps the `--` that separates vsc's options from the command.
  const command = args.command[0] === "--" ? args.command.slice(1) : args.command;
  if (command.length === 0) {
    printExecDiagnostics([missingCommand()], { format }, io);
    return EXIT_VSC_FAILED;
  }
  // stdout belongs to the command: the file's diagnostics (even `--format json`) go to stderr.
  const host = (args as { host?: string }).host;
  const { ir } = await loadAndCheck(file, { ...io, out: io.err }, format, true, {
    needOneHost: true,
    ...(host === undefined ? {} : { host }),
  });
  if (!ir) return EXIT_VSC_FAILED;
  if (ir.host.driver === "systemd") {
    const node = ir.nodes.find((n) => n.name === args.context && n.kind === "context");
    if (node) {
      const { sdExec } = await import("../systemd/exec.js");
      const { realSystemdHost } = await import("../systemd/host.js");
      const r = await sdExec(ir, node, command, realSystemdHost());
      printExecDiagnostics(r.diagnostics, { format }, io);
      return r.code;
    }
  }
  return execContext(ir, { ...args, command, format, displayPath: displayPathFor(file) }, io, {
    terminal: !!process.stdin.isTTY,
  });
}
