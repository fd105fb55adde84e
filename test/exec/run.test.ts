// execContext's refusals end-to-end (fake host, recorded output) and the
// cgroup handshake's failure path on the real system: the command never runs.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recordingIo } from "../../src/cli/io.js";
import { CGROUP2_SUPER_MAGIC, type ExecHost } from "../../src/exec/host.js";
import { buildPlan } from "../../src/exec/plan.js";
import { execContext } from "../../src/exec/run.js";
import { startExec } from "../../src/exec/spawn.js";
import { classNode, contextNode, irOf } from "./fixtures.js";

const ir = irOf([classNode("tier"), contextNode("web", { parent: "tier" })]);
const host: ExecHost = {
  euid: () => 0,
  fsType: (p) => (p === "/cg" ? CGROUP2_SUPER_MAGIC : undefined),
  isDir: (p) => p === "/cg/vsc/tier/web",
  exists: () => true,
  isExecutable: (p) => p.startsWith("/usr/bin/") && !p.endsWith("/missing"),
  realpath: (p) => p,
  capLastCap: () => 40,
  path: () => "/usr/bin",
};

test("VSC5800: no command after -- exits 125 and says how", async () => {
  const io = recordingIo();
  assert.is(await execContext(ir, { context: "web", command: [] }, io, { host }), 125);
  assert.match(io.stderr, /error\[VSC5800\]: no command to run/);
  assert.match(io.stderr, /help: put the command after `--`/);
});

test("unknown context and class: 125, rendered with did-you-mean and file:line:col", async () => {
  const io = recordingIo();
  assert.is(await execContext(ir, { context: "wbe", command: ["true"] }, io, { host }), 125);
  assert.match(io.stderr, /error\[VSC5801\]: unknown context "wbe"/);
  assert.match(io.stderr, /did you mean "web"\?/);
  const io2 = recordingIo();
  assert.is(
    await execContext(ir, { context: "tier", command: ["true"], format: "short" }, io2, { host }),
    125,
  );
  assert.is(
    io2.stderr,
    'vsc.vsc:5:1: error[VSC5802]: "tier" is a class, not a context (declared as a class here)\n',
  );
});

test("exit codes: 127 when only the command is missing, 125 for vsc's own refusals", async () => {
  const io = recordingIo();
  const args = { context: "web", command: ["missing"], cgroupMount: "/cg" };
  assert.is(await execContext(ir, args, io, { host }), 127);
  assert.match(io.stderr, /VSC5807/);
  const io2 = recordingIo();
  assert.is(await execContext(ir, { ...args, cgroupMount: "/x" }, io2, { host }), 125);
  assert.match(io2.stderr, /VSC5804/);
  const io3 = recordingIo();
  assert.is(await execContext(ir, { ...args, format: "json" }, io3, { host }), 127);
  assert.is(io3.stdout, "", "stdout belongs to the command");
  assert.is(JSON.parse(io3.stderr)[0].code, "VSC5807");
});

test("VSC5809: when the kernel refuses the cgroup write, the command never starts", async () => {
  const dir = mkdtempSync(join(tmpdir(), "vsc-exec-"));
  try {
    const marker = join(dir, "ran");
    const plan = buildPlan({
      node: contextNode("web"),
      host: { cgroupRoot: "vsc" },
      cgroupMount: join(dir, "no-such-mount"),
      command: ["sh", "-c", 'touch "$1"', "sh", marker],
      tools: { sh: "/bin/sh", setpriv: "/usr/bin/setpriv" },
      capLastCap: 40,
    });
    const out = await startExec(plan, {
      stdio: ["ignore", "pipe", "pipe"],
      forwardSignals: false,
    }).done;
    assert.is(out.code, 125);
    assert.is(out.diagnostics[0].code, "VSC5809");
    assert.match(out.diagnostics[0].message, /ENOENT/);
    assert.not.ok(existsSync(marker), "the command ran although the cgroup write failed");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
