// Runs execContext as its own process, the way `vsc exec` does (real stdio,
// real signals), for tests that need a separate vsc process to signal or to
// give a stdin. Usage: drive.{ts,js} JSON where JSON = {ir, args}.
import type { VscIr } from "../../src/ir/types.gen.js";
import { execContext, type ExecArgs } from "../../src/exec/run.js";
import { recordingIo } from "../../src/cli/io.js";

const { ir, args } = JSON.parse(process.argv[2]) as {
  ir: VscIr;
  args: ExecArgs;
};
const io = recordingIo();
io.err = (t: string) => void process.stderr.write(t);
io.out = (t: string) => void process.stdout.write(t);
execContext(ir, args, io, { terminal: !!process.stdin.isTTY }).then((code) => {
  process.exitCode = code;
});
