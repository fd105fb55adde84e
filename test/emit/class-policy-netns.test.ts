/**
 * Class network policy with real packets, on this host: the scenario's
 * ruleset.nft (class-policy-scenario.ts) is loaded into a scratch network
 * namespace, processes join the contexts' cgroups in this host's cgroup2
 * hierarchy, and what reaches whom is exactly what language-v2.md §1 says.
 * nft resolves `socket cgroupv2` paths under /sys/fs/cgroup, so it runs in a
 * private mount namespace with the cgroup2 hierarchy mounted there (on the
 * development VMs the host's own is at /sys/fs/cgroup/unified). Everything
 * (namespaces, cgroups, processes) is removed at the end, also on failure.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { emitTarget } from "../../src/emit/index.js";
import { cgroup2Mount, scratchCgroups } from "../exec/harness.js";
import { checkText, summary } from "../check/helpers.js";
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
  inNs,
  mismatches,
  parseClient,
  policyNet,
  scenarioConfig,
} from "./class-policy-scenario.js";

/** A dropped SYN is retried, so "denied" shows as a timeout; replies on a veth take microseconds. */
const CONNECT_MS = 1500;

/** Runs argv inside netns `ns`, as a member of cgroup `procs` (a file), or of none. */
function argv(ns: string, procs: string | undefined, cmd: string[]): [string, string[]] {
  const inside = ["nsenter", `--net=/run/netns/${ns}`, "--", ...cmd];
  // Paths and argv travel as positional parameters, never spliced into the script.
  if (procs === undefined) return [inside[0]!, inside.slice(1)];
  return ["sh", ["-c", 'echo $$ > "$0" && exec "$@"', procs, ...inside]];
}

const mount = cgroup2Mount();
if (process.getuid?.() !== 0 || mount === undefined) {
  test("class policy in a netns needs root and a cgroup2 mount", () => {
    console.warn("skipped: not root, or no cgroup2 mount");
  });
} else {
  test("a context under a default-deny class reaches and is reached only where an allow says so", async () => {
    const root = `vsc-cp-${process.pid}`;
    const r = checkText(scenarioConfig(root));
    assert.equal(summary(r.diagnostics), []);
    const ruleset = emitTarget(r.ir!, "nft");
    const dir = mkdtempSync(join(tmpdir(), "vsc-class-policy-"));
    const file = join(dir, "ruleset.nft");
    writeFileSync(file, ruleset);
    const removeCgroups = scratchCgroups(mount, root, Object.values(CONTEXT_PATHS));
    const procs = (c: Ctx) => join(mount, root, CONTEXT_PATHS[c], "cgroup.procs");
    const net = policyNet(`vcp${process.pid % 100000}`);
    const children: ChildProcess[] = [];
    try {
      const load = inNs(net.nsA, "unshare", [
        "-m",
        "sh",
        "-c",
        'mount -t cgroup2 none /sys/fs/cgroup && exec nft -f "$0"',
        file,
      ]);
      assert.is(load.status, 0, `nft -f: ${load.stderr}`);

      // Listeners: each context on its own address and every port; the far end on both addresses.
      const listen = (ns: string, cg: string | undefined, host: string, ports: number[]) =>
        new Promise<void>((ready, fail) => {
          const [cmd, args] = argv(ns, cg, [
            process.execPath,
            "-e",
            LISTENER,
            host,
            ...ports.map(String),
          ]);
          const c = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
          children.push(c);
          c.stdout!.on("data", (b: Buffer) => b.toString().includes("ready") && ready());
          c.on("exit", (code) => fail(new Error(`listener on ${host} exited ${code}`)));
        });
      await Promise.all([
        ...(Object.keys(ADDR) as Ctx[]).map((c) => listen(net.nsA, procs(c), ADDR[c], [...PORTS])),
        listen(net.nsB, undefined, FAR_IN, [FAR_PORT]),
        listen(net.nsB, undefined, FAR_OUT, [FAR_PORT]),
      ]);

      // Every try of one origin at once, in one client process.
      const wrong: string[] = [];
      for (const from of ["far", "api", "worker", "free"] as const) {
        const tries = TRIES.filter((t) => t.from === from);
        const ns = from === "far" ? net.nsB : net.nsA;
        const [cmd, args] = argv(ns, from === "far" ? undefined : procs(from), [
          process.execPath,
          "-e",
          CLIENT,
          String(CONNECT_MS),
          ...tries.map((t) => t.spec),
        ]);
        const run = spawnSync(cmd, args, { encoding: "utf8", timeout: 60_000 });
        const out = parseClient(run.stdout ?? "", run.stderr ?? "", `client ${from}`);
        if (from !== "far") assert.is(out.cgroup, `0::/${root}/${CONTEXT_PATHS[from]}`);
        wrong.push(...mismatches(tries, out));
      }
      const listing = inNs(net.nsA, "nft", ["list", "table", "inet", "vsc"]).stdout;
      assert.ok(wrong.length === 0, `${wrong.join("\n")}\n${listing}`);
    } finally {
      for (const c of children) c.kill("SIGKILL");
      await Promise.all(
        children.map((c) =>
          c.exitCode !== null || c.signalCode !== null
            ? undefined
            : new Promise((done) => c.once("exit", done)),
        ),
      );
      net.destroy();
      removeCgroups();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
