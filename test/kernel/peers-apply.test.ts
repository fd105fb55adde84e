// Peers by name through plan/apply/destroy on a real kernel (the host's
// cgroup v1 holds cpu/memory/pids, so `vsc apply` runs only here): apply
// from empty loads the sets; a second plan has nothing to do; moving one
// context's address changes only the ruleset (one nft action, the peer sets
// read back from the kernel with the new element); destroy takes the table
// and the cgroups back out. The packets of §2 are proven on the host
// (test/emit/peers-netns.test.ts).
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";
import { LAB_CGROUP_MOUNT, labSuite, must, removeCgroup, run, scratchNet } from "./lab.js";

const test = labSuite("peers by name: sets through plan, apply, re-plan and destroy");

const ROOT = `vsc-peers-${process.pid}`;
const SLOW = { timeoutMs: 240_000 };

const config = (appAddress: string) => `host lab {
  cpus 2
  memory 1GiB
  cgroup-root "${ROOT}"
}

class backend {}
context app in backend { id 311  net { address ${appAddress} } }
context db in backend {
  id 312
  net {
    address 10.244.1.11
    allow in tcp from context app port 22
    allow out to class backend
    allow in from 172.17.0.0/16 except 172.17.1.0/24 port 6379
    default reject
  }
}
context edge { id 313  net { address 10.244.1.12  allow in tcp port 443  default deny log } }
`;

test("apply loads the peer sets; an address move is one nft action; destroy removes them", () => {
  const dir = mkdtempSync("/tmp/vsc-peers-");
  const file = join(dir, "peers.vsc");
  const env = { ...process.env, FORCE_COLOR: "", NO_COLOR: "1", VSC_STATE_DIR: join(dir, "state") };
  const net = scratchNet("vpe");
  const ns = net.nsA;
  const args = ["--netns", ns, "--cgroup-mount", LAB_CGROUP_MOUNT];
  const cli = (a: string[]) =>
    run(process.execPath, [join(packageRoot(), "bin", "vsc.js"), ...a], { ...SLOW, env });
  const setOf = (name: string) =>
    must("nft", ["list", "set", "inet", "vsc", name], { netns: ns }).replace(/\s+/g, " ");
  let destroyed = false;
  try {
    writeFileSync(file, config("10.244.1.10"));
    const applied = cli(["apply", file, "--auto-approve", ...args]);
    assert.is(applied.code, 0, `vsc apply: ${applied.stderr}${applied.stdout}`);
    assert.match(setOf("peer_app_v4"), /elements = \{ 10\.244\.1\.10 \}/);
    // auto-merge joins adjacent addresses into one interval (nft lists .10 and .11 as a /31).
    assert.match(setOf("peer_backend_v4"), /elements = \{ 10\.244\.1\.10(\/31|-10\.244\.1\.11) \}/);
    const log = must("nft", ["list", "chain", "inet", "vsc", "in_edge"], { netns: ns });
    assert.match(
      log,
      /limit rate 10\/second burst 20 packets counter packets 0 bytes 0 log prefix "vsc edge: "/,
    );

    const again = cli(["plan", file, "--detailed-exitcode", ...args]);
    assert.is(again.code, 0, `second plan: ${again.stdout}${again.stderr}`);

    writeFileSync(file, config("10.244.1.13"));
    const moved = cli(["plan", file, "--detailed-exitcode", ...args]);
    assert.is(moved.code, 2, moved.stdout + moved.stderr);
    assert.match(moved.stdout, /Plan: 0 to add, 1 to change, 0 to destroy\./, moved.stdout);
    const applied2 = cli(["apply", file, "--auto-approve", ...args]);
    assert.is(applied2.code, 0, `vsc apply: ${applied2.stderr}${applied2.stdout}`);
    assert.match(setOf("peer_app_v4"), /elements = \{ 10\.244\.1\.13 \}/);
    assert.match(setOf("peer_backend_v4"), /elements = \{ 10\.244\.1\.11, 10\.244\.1\.13 \}/);
    assert.is(cli(["plan", file, "--detailed-exitcode", ...args]).code, 0);

    const gone = cli(["destroy", file, "--auto-approve", ...args]);
    destroyed = gone.code === 0;
    assert.is(gone.code, 0, `vsc destroy: ${gone.stderr}${gone.stdout}`);
    assert.ok(!existsSync(join(LAB_CGROUP_MOUNT, ROOT)), "the cgroup subtree is gone");
    assert.is(run("nft", ["list", "table", "inet", "vsc"], { netns: ns }).code, 1, "table gone");
  } finally {
    if (!destroyed) cli(["destroy", file, "--auto-approve", "--move-procs", ...args]);
    net.destroy();
    if (existsSync(join(LAB_CGROUP_MOUNT, ROOT))) removeCgroup(ROOT);
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
