// Class network policy (language-v2.md §1) on a real kernel, end to end: the
// scenario of test/emit/class-policy-scenario.ts applied with the real CLI
// (`vsc apply --netns`) into a scratch netns, listeners and clients started
// with the real `vsc exec` in their contexts, and every try's outcome
// compared with what §1 says: a context under a `default deny` class reaches
// and is reached only where an allow of the context or of a class says so.
// Then `vsc destroy` takes it all back out. (The host's npm test runs the same
// scenario against ruleset.nft alone, in class-policy-netns.test.ts.)
import * as assert from "uvu/assert";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";
import {
  ADDR,
  CLIENT,
  CONTEXT_PATHS,
  type Ctx,
  FAR_IN,
  FAR_OUT,
  FAR_PORT,
  LISTENER,
  PORTS,
  TRIES,
  mismatches,
  parseClient,
  policyNet,
  scenarioConfig,
  type PolicyNet,
} from "../emit/class-policy-scenario.js";
import { LAB_CGROUP_MOUNT, labSuite, must, removeCgroup, run } from "./lab.js";

const test = labSuite("class network policy: packets of contexts below a default-deny class");

const ROOT = `vsc-class-net-${process.pid}`;
/**
 * Connect timeout inside the guest: a dropped SYN is retried, so "denied"
 * shows as a timeout. Generous: under software emulation on a busy host, 4 s
 * (enough for exec-net's three tries) was too short for eleven at once.
 */
const CONNECT_MS = 15_000;
/** Under software emulation a node start-up takes seconds. */
const SLOW = { timeoutMs: 240_000 };

const vscBin = () => join(packageRoot(), "bin", "vsc.js");

test("allows of the context and of its classes pass, everything else is dropped", async () => {
  const dir = mkdtempSync("/tmp/vsc-class-net-");
  const file = join(dir, "policy.vsc");
  const env = { ...process.env, VSC_STATE_DIR: join(dir, "state") };
  let net: PolicyNet | undefined;
  const children: ChildProcess[] = [];
  let destroyed = false;
  const cli = (args: string[], netns?: string) =>
    run(process.execPath, [vscBin(), ...args], { ...SLOW, env, netns });
  const kernelArgs = (ns: string) => [
    "--auto-approve",
    "--netns",
    ns,
    "--cgroup-mount",
    LAB_CGROUP_MOUNT,
  ];
  const execArgs = (ctx: Ctx, cmd: string[]) => [
    vscBin(),
    "exec",
    "--file",
    file,
    "--cgroup-mount",
    LAB_CGROUP_MOUNT,
    ctx,
    "--",
    ...cmd,
  ];
  try {
    net = policyNet("vcn");
    const { nsA, nsB } = net;
    writeFileSync(file, scenarioConfig(ROOT));
    const applied = cli(["apply", file, ...kernelArgs(nsA)]);
    assert.is(applied.code, 0, `vsc apply: ${applied.stderr}${applied.stdout}`);

    // Listeners: each context (through vsc exec) on its own address; the far end on both.
    const listen = (ns: string, argv: string[], what: string) =>
      new Promise<void>((ready, fail) => {
        const c = spawn("nsenter", [`--net=/run/netns/${ns}`, "--", process.execPath, ...argv], {
          env,
          stdio: ["ignore", "pipe", "inherit"],
        });
        children.push(c);
        c.stdout!.on("data", (b: Buffer) => b.toString().includes("ready") && ready());
        c.on("exit", (code) => fail(new Error(`listener ${what} exited ${code}`)));
      });
    const node = (script: string, ...args: string[]) => [process.execPath, "-e", script, ...args];
    await Promise.all([
      ...(Object.keys(ADDR) as Ctx[]).map((c) =>
        listen(nsA, execArgs(c, node(LISTENER, ADDR[c], ...PORTS.map(String))), c),
      ),
      listen(nsB, ["-e", LISTENER, FAR_IN, String(FAR_PORT)], "far in"),
      listen(nsB, ["-e", LISTENER, FAR_OUT, String(FAR_PORT)], "far out"),
    ]);

    const wrong: string[] = [];
    for (const from of ["far", "api", "worker", "free"] as const) {
      const tries = TRIES.filter((t) => t.from === from);
      const args = [String(CONNECT_MS), ...tries.map((t) => t.spec)];
      const r =
        from === "far"
          ? run(process.execPath, ["-e", CLIENT, ...args], { ...SLOW, netns: nsB })
          : run(process.execPath, execArgs(from, node(CLIENT, ...args)), {
              ...SLOW,
              env,
              netns: nsA,
            });
      const out = parseClient(r.stdout, r.stderr, `client ${from}`);
      if (from !== "far") assert.is(out.cgroup, `0::/${ROOT}/${CONTEXT_PATHS[from]}`);
      wrong.push(...mismatches(tries, out));
    }
    const listing = must("nft", ["list", "table", "inet", "vsc"], { netns: nsA });
    assert.ok(wrong.length === 0, `${wrong.join("\n")}\n${listing}`);

    // Listeners end (vsc exec forwards SIGTERM), then destroy takes everything back out.
    for (const c of children) c.kill("SIGTERM");
    await Promise.all(children.map((c) => exited(c)));
    const gone = cli(["destroy", file, ...kernelArgs(nsA)]);
    destroyed = gone.code === 0;
    assert.is(gone.code, 0, `vsc destroy: ${gone.stderr}${gone.stdout}`);
    assert.ok(!existsSync(join(LAB_CGROUP_MOUNT, ROOT)), "the cgroup subtree is gone");
    assert.is(run("nft", ["list", "table", "inet", "vsc"], { netns: nsA }).code, 1, "table gone");
  } finally {
    for (const c of children) c.kill("SIGKILL");
    await Promise.all(children.map((c) => exited(c)));
    if (net) {
      if (!destroyed) {
        const d = cli(["destroy", file, "--move-procs", ...kernelArgs(net.nsA)]);
        if (d.code !== 0) console.error(`vsc destroy: ${d.stderr}${d.stdout}`);
      }
      net.destroy();
    }
    if (existsSync(join(LAB_CGROUP_MOUNT, ROOT))) removeCgroup(ROOT);
    rmSync(dir, { recursive: true, force: true });
  }
});

function exited(c: ChildProcess): Promise<unknown> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((done) => c.once("exit", done));
}

test.run();
