// #16 on this machine (root, any cgroup2 mount): capabilities none, user and
// group, a read-only tree with writable paths, a private /tmp and /dev, all
// through the real `vsc exec` chain. The kernel lab repeats the proofs on a
// cgroup v2 kernel (test/kernel/security-exec.test.ts).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { isRoot, rootTest } from "../root.js";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Node } from "../../src/ir/types.gen.js";
import { contextNode, irOf } from "./fixtures.js";
import { cgroup2Mount, requireRealExec, scratchCgroups, vscExec } from "./harness.js";

const mount = cgroup2Mount() ?? "/sys/fs/cgroup";
const cgRoot = `vsc-sec-test-${process.pid}`;
let cleanup = () => {};
// Under /var/lib (not /tmp, which the tests make private).
const scratch = mkdtempSync("/var/lib/vsc-sec-");
const web = (security: Partial<Node["security"]>) =>
  contextNode("web", { security: { namespaces: [], ...security } });
const run = (node: Node, command: string[]) =>
  vscExec(irOf([node], cgRoot), { context: "web", command, cgroupMount: mount });
const sh = (script: string, ...rest: string[]) => ["sh", "-c", script, "sh", ...rest];

test.before(() => {
  if (!isRoot()) return;
  requireRealExec();
  cleanup = scratchCgroups(mount, cgRoot, ["web"]);
});

test.after(() => {
  cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

rootTest("capabilities none: CapBnd and CapEff are 0, a privileged action fails", async () => {
  const r = await run(
    web({ capabilities: { mode: "none", names: [] } }),
    sh(
      "grep -E '^(CapBnd|CapEff)' /proc/self/status; chown 1 /proc/self/fd/0 2>/dev/null && echo chowned || echo refused",
    ),
  );
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, "CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nrefused\n");
});

rootTest("user and group: id shows them, resolved on the host", async () => {
  const r = await run(web({ user: "www-data" }), ["id"]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^uid=33\(www-data\) gid=33\(www-data\) groups=33\(www-data\)\n$/);
  const g = await run(web({ user: "nobody", group: "www-data" }), sh("id -u; id -g"));
  assert.is(g.code, 0, g.stderr);
  assert.is(g.stdout, "65534\n33\n");
  // A numeric uid without a passwd entry: used as it is, its gid the same, no groups.
  const n = await run(web({ user: "4321" }), sh("id -u; id -g; id -G"));
  assert.is(n.code, 0, n.stderr);
  assert.is(n.stdout, "4321\n4321\n4321\n");
});

rootTest("a missing user is refused with VSC5820 before anything runs", async () => {
  const marker = join(scratch, "ran");
  const r = await run(web({ user: "no-such-user-vsc" }), ["touch", marker]);
  assert.is(r.code, 125);
  assert.match(r.stderr, /VSC5820/);
  const g = await run(web({ group: "no-such-group-vsc" }), ["touch", marker]);
  assert.is(g.code, 125);
  assert.match(g.stderr, /VSC5821/);
});

rootTest("filesystem read-only: / is EROFS, a writable path works", async () => {
  const w = join(scratch, "rw");
  mkdirSync(w);
  const r = await run(
    web({ filesystem: { mode: "read-only", writable: [w] } }),
    sh(
      'touch /vsc-ro-probe 2>&1; touch "$1/x" && echo wrote; touch /etc/vsc-ro-probe 2>&1 | grep -c "Read-only"',
      w,
    ),
  );
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Read-only file system/);
  assert.match(r.stdout, /wrote\n1\n$/);
  // The host's tree is untouched and still writable outside.
  writeFileSync(join(scratch, "host-still-writable"), "");
});

rootTest("a missing writable path is refused with VSC5822", async () => {
  const r = await run(
    web({ filesystem: { mode: "read-only", writable: [join(scratch, "absent")] } }),
    ["true"],
  );
  assert.is(r.code, 125);
  assert.match(r.stderr, /VSC5822/);
});

rootTest("tmp private: /tmp is an empty tmpfs of the command's own", async () => {
  writeFileSync("/tmp/vsc-sec-host-file", "");
  try {
    const r = await run(
      web({ tmp: "private", filesystem: { mode: "read-only", writable: [] } }),
      sh("ls -A /tmp | wc -l; stat -f -c %T /tmp; touch /tmp/x && echo ok"),
    );
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, "0\ntmpfs\nok\n");
  } finally {
    rmSync("/tmp/vsc-sec-host-file");
  }
});

rootTest("devices private: /dev holds only the pseudo devices, and they work", async () => {
  const r = await run(
    web({ devices: "private" }),
    sh(
      "find /dev -type c -o -type b | sort | tr '\\n' ' '; echo; head -c 4 /dev/urandom | wc -c; echo x > /dev/null && echo null-ok",
    ),
  );
  assert.is(r.code, 0, r.stderr);
  assert.is(
    r.stdout,
    "/dev/full /dev/null /dev/random /dev/tty /dev/urandom /dev/zero \n4\nnull-ok\n",
  );
});

rootTest("§5 all at once: identity last, after the mounts", async () => {
  const w = join(scratch, "app");
  mkdirSync(w);
  const r = await run(
    web({
      capabilities: { mode: "none", names: [] },
      user: "www-data",
      group: "www-data",
      filesystem: { mode: "read-only", writable: [w] },
      tmp: "private",
      devices: "private",
    }),
    sh(
      'id -u; touch /tmp/a && echo tmp; touch "$1/b" 2>&1 && echo app; grep CapBnd /proc/self/status',
      w,
    ),
  );
  assert.is(r.code, 0, r.stderr);
  // www-data may not write the root-owned writable dir (permissions still apply).
  assert.match(r.stdout, /^33\ntmp\n.*Permission denied.*\nCapBnd:\t0000000000000000\n$/s);
});

test.run();
