/**
 * `vsc`: argv -> command -> exit code. The only place that knows about
 * commander, process.argv and exit codes; every command returns its code and
 * nothing below the CLI exits. Heavy modules (parser, templates, applier) are
 * imported lazily by the command that needs them, so `vsc --help` and
 * `vsc explain` start instantly and `vsc compile` loads no applier code.
 */
import { Command, CommanderError, Option } from "commander";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../paths.js";
import type { DiagFormat, Io } from "./io.js";
import { stdioWriteFailed, terminalIo } from "./terminal.js";

function version(): string {
  return (
    JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string }
  ).version;
}

const formatOption = () =>
  new Option("--format <format>", "diagnostics format")
    .choices(["human", "short", "json"])
    .default("human");

/** `vsc exec`'s exit code when vsc itself fails (src/exec/run.ts's EXIT_VSC_FAILED). */
const EXIT_EXEC_FAILED = 125;

const mountOption = () =>
  new Option("--cgroup-mount <dir>", "the cgroup2 mount").default("/sys/fs/cgroup");
const netnsOption = () => new Option("--netns <name>", "work inside this network namespace");
const hostOption = () =>
  new Option(
    "--host <name>",
    "the host of a fleet to act on (required when the files hold several)",
  );
const stateDirOption = () =>
  new Option("--state-dir <dir>", "vsc's lock, journal and pending-revert directory").default(
    undefined,
    "$VSC_STATE_DIR or /run/vsc",
  );

/** Runs vsc with `argv` (without node and script). Resolves to the exit code. */
export async function main(argv: string[], io: Io = terminalIo()): Promise<number> {
  let code = 0;
  const set = (c: number) => {
    code = c;
  };
  const program = new Command("vsc")
    .description(
      "Declarative resource and security isolation for Linux contexts:\n" +
        "checks a .vsc file and compiles it to cgroup v2, nftables and tc.",
    )
    .version(version(), "-V, --version")
    .showHelpAfterError("(run `vsc help` or `vsc COMMAND --help` for usage)")
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .enablePositionalOptions()
    .exitOverride();

  program
    .command("check")
    .description("parse and type-check; print diagnostics (exit 0 clean or warnings, 1 errors)")
    .argument("<file...>", "entry .vsc files, each checked as its own program")
    .addOption(formatOption())
    .action(async (files: string[], o: { format: DiagFormat }) => {
      const { cmdCheck } = await import("./compile.js");
      set(await cmdCheck(files, o.format, io));
    });

  program
    .command("compile")
    .description("check, then write the artifacts: cgroup.sh, ruleset.nft, tc.batch, plan.json")
    .argument("<file>", "entry .vsc file")
    .requiredOption("-o, --out <dir>", "output directory, or - for stdout (with --target)")
    .addOption(
      new Option("--target <target>", "emit only this artifact").choices([
        "cgroup",
        "nft",
        "tc",
        "json",
        "vsc",
      ]),
    )
    .addOption(hostOption())
    .addOption(formatOption())
    .action(async (file: string, o: { out: string; target?: string; format: DiagFormat }) => {
      const { cmdCompile } = await import("./compile.js");
      set(await cmdCompile(file, o, io));
    });

  program
    .command("fmt")
    .description("rewrite files in canonical layout, comments kept (--check: only report)")
    .argument("<file...>", ".vsc files")
    .option("--check", "exit 1 if a file would change; write nothing")
    .addOption(formatOption())
    .action(async (files: string[], o: { check?: boolean; format: DiagFormat }) => {
      const { cmdFmt } = await import("./fmt.js");
      set(cmdFmt(files, { check: !!o.check, format: o.format }, io));
    });

  program
    .command("explain")
    .description("the long text of a diagnostic code (`vsc explain VSC4001`)")
    .argument("[code]", "a code such as VSC4001; without one, list every code")
    .action(async (c: string | undefined) => {
      const { cmdExplain } = await import("./explain.js");
      set(cmdExplain(c, io));
    });

  registerKernelCommands(program, io, set);

  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors with 1
      // (125 for `vsc exec`, whose own failures must not look like the command's).
      return e.exitCode === 0 ? 0 : e.exitCode === EXIT_EXEC_FAILED ? EXIT_EXEC_FAILED : 1;
    }
    throw e;
  }
  // A result that could not be written (ENOSPC on stdout) is not a success.
  return code === 0 && stdioWriteFailed() ? 1 : code;
}

/** plan / apply / destroy / show / exec: the commands that touch the kernel. */
function registerKernelCommands(program: Command, io: Io, set: (c: number) => void): void {
  /** A command that reads a .vsc file and works on the kernel: --cgroup-mount, --netns, --format. */
  const fileCommand = (name: string, description: string, argument: string) =>
    program
      .command(name)
      .description(description)
      .argument("<file>", argument)
      .addOption(mountOption())
      .addOption(netnsOption())
      .addOption(hostOption())
      .addOption(stateDirOption())
      .addOption(formatOption());

  fileCommand(
    "plan",
    "read the live kernel, print what apply would change (+ create, ~ update, - delete)",
    "entry .vsc file",
  )
    .option("--out <plan>", "save the plan as JSON, for `vsc apply PLAN`")
    .option("--detailed-exitcode", "exit 2 when there are changes, 0 when none")
    .option("--json", "print the plan as JSON on stdout")
    .action(async (file: string, o: Record<string, unknown>) => {
      const { cmdPlan } = await import("./kernel.js");
      set(await cmdPlan({ file, ...o } as Parameters<typeof cmdPlan>[0], io));
    });

  fileCommand(
    "apply",
    "apply the difference between a file (or a saved plan) and the live kernel",
    "entry .vsc file, or a plan saved by `vsc plan --out`",
  )
    .option("--auto-approve", "do not ask for confirmation")
    .option("--move-procs", "move processes out of cgroups that must be removed")
    .option(
      "--confirm <duration>",
      "revert by itself after DURATION (90s, 2m; at most 1d) unless `vsc confirm` runs first",
    )
    .action(async (file: string, o: Record<string, unknown>) => {
      const { cmdApply } = await import("./kernel.js");
      set(await cmdApply({ file, ...o } as Parameters<typeof cmdApply>[0], io));
    });

  fileCommand(
    "destroy",
    "remove everything vsc owns for this host, and nothing else",
    "entry .vsc file (names the host's cgroup root and links)",
  )
    .option("--auto-approve", "do not ask for confirmation")
    .option("--move-procs", "move processes out of cgroups that must be removed")
    .action(async (file: string, o: Record<string, unknown>) => {
      const { cmdDestroy } = await import("./kernel.js");
      set(await cmdDestroy({ file, ...o } as Parameters<typeof cmdDestroy>[0], io));
    });

  program
    .command("show")
    .description("what vsc owns now, as the kernel reports it")
    .option("--cgroup-root <name>", "the owned cgroup subtree", "vsc")
    .option("--link <dev...>", "links whose root qdisc to show")
    .option("--json", "print JSON on stdout")
    .option(
      "-f, --file <file>",
      "a .vsc file (with --host for a fleet): its host's cgroup root and links, or under driver systemd its units and slices",
    )
    .addOption(hostOption())
    .addOption(mountOption())
    .addOption(netnsOption())
    .addOption(stateDirOption())
    .action(async (o: Record<string, unknown>) => {
      const { cmdShow } = await import("./kernel.js");
      set(await cmdShow(o as Parameters<typeof cmdShow>[0], io));
    });

  /** `vsc confirm` / `vsc revert`: the pending apply of a cgroup mount (and root). */
  const pendingCommand = (name: string, description: string) =>
    program
      .command(name)
      .description(description)
      .option("--cgroup-root <name>", "the owned cgroup subtree (when several applies are pending)")
      .addOption(mountOption())
      .addOption(netnsOption())
      .addOption(stateDirOption())
      .addOption(
        new Option(
          "--pending-dir <dir>",
          "driver systemd: where the pending record is (default /var/lib/vsc)",
        ).hideHelp(),
      )
      .addOption(formatOption());

  pendingCommand(
    "confirm",
    "make an apply pending confirmation permanent (exit 0; also when nothing is pending; 1 if it was already reverted)",
  ).action(async (o: Record<string, unknown>) => {
    const { cmdConfirm } = await import("./kernel.js");
    set(await cmdConfirm(o as Parameters<typeof cmdConfirm>[0], io));
  });

  pendingCommand(
    "revert",
    "undo an apply pending confirmation now, exactly (exit 0 restored or nothing pending, 1 otherwise)",
  )
    .option("--move-procs", "move processes out of cgroups the undo removes")
    .addOption(
      new Option(
        "--due <id>",
        "the watchdog: revert this pending apply at its deadline",
      ).hideHelp(),
    )
    .addOption(
      new Option(
        "--boot",
        "driver systemd, the boot guard: revert an apply not confirmed before the reboot",
      ).hideHelp(),
    )
    .action(async (o: Record<string, unknown>) => {
      const { cmdRevert } = await import("./kernel.js");
      set(await cmdRevert(o as Parameters<typeof cmdRevert>[0], io));
    });

  program
    .command("exec")
    .description("run a command inside a context: cgroup, rlimits, capabilities, namespaces")
    .argument("<context>", "the context's name")
    // Optional here so that a missing command is exec's own VSC5800 (exit 125),
    // with or without the `--`, and not a usage error with another exit code.
    .argument("[command...]", "the command and its arguments, after --")
    .option("-f, --file <file>", "the .vsc file that defines the context", "vsc.vsc")
    .addOption(hostOption())
    .addOption(mountOption())
    .addOption(formatOption())
    .passThroughOptions()
    // Like env(1) and timeout(1), every failure of vsc itself (a usage error
    // included) exits 125, so a script can tell it from the command's own status.
    .exitOverride((e) => {
      throw e.exitCode === 0 ? e : new CommanderError(EXIT_EXEC_FAILED, e.code, e.message);
    })
    .action(async (context: string, command: string[], o: Record<string, unknown>) => {
      const { cmdExec } = await import("./exec.js");
      set(await cmdExec({ context, command, ...o } as Parameters<typeof cmdExec>[0], io));
    });
}
