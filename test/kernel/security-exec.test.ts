// #16 in the kernel lab: `vsc exec` with the security fields of language-v2
// §5 on a cgroup v2 kernel. In the lab `/` is a read-only 9p share already,
// so read-only is proven on /tmp and /run, which are writable tmpfs outside.
import * as assert from "uvu/assert";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import type { Node } from "../../src/ir/types.gen.js";
import { contextNode, irOf } from "../exec/fixtures.js";
import { vscExec } from "../exec/harness.js";
import { LAB_CGROUP_MOUNT, labSuite, makeCgroup, removeCgroup } from "./lab.js";

const test = labSuite("vsc exec security in the kernel lab");
const root = "vsc-sec-exec-lab";
const slow = { timeoutMs: 180_000 };
const web = (security: Partial<Node["security"]>) =>
  contextNode("web", { security: { namespaces: [], ...security } });
const exec = (node: Node, command: string[]) =>
  vscExec(irOf([node], root), { context: "web", cgroupMount: LAB_CGROUP_MOUNT, command }, slow);
const sh = (script: string, ...rest: string[]) => ["sh", "-c", script, "sh", ...rest];

test.before(() => {
  makeCgroup(`${root}/web`);
});
test.after(() => removeCgroup(root));

test("user: id shows the user; a missing user is refused (VSC5820)", async () => {
  const r = await exec(web({ user: "www-data" }), ["id"]);
  assert.is(r.stdout, "uid=33(www-data) gid=33(www-data) groups=33(www-data)\n", r.stderr);
  const m = await exec(web({ user: "vsc-no-such-user" }), ["echo", "ran"]);
  assert.is(m.code, 125);
  assert.is(m.stdout, "");
  assert.match(m.stderr, /VSC5820/);
});

test("filesystem read-only: writes fail with EROFS, the writable path works", async () => {
  const w = "/tmp/vsc-sec-lab-rw";
  mkdirSync(w, { recursive: true });
  try {
    const r = await exec(
      web({ filesystem: { mode: "read-only", writable: [w] } }),
      sh(
        'touch /tmp/vsc-sec-lab-x 2>&1; touch /run/vsc-sec-lab-x 2>&1; echo hi > "$1/f" && cat "$1/f"',
        w,
      ),
    );
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /\/tmp\/vsc-sec-lab-x.*Read-only file system/);
    assert.match(r.stdout, /\/run\/vsc-sec-lab-x.*Read-only file system/);
    assert.match(r.stdout, /hi\n$/);
    // Outside the command, /tmp is as writable as before.
    writeFileSync("/tmp/vsc-sec-lab-outside", "");
  } finally {
    rmSync(w, { recursive: true, force: true });
    rmSync("/tmp/vsc-sec-lab-outside", { force: true });
  }
});

test("tmp private: /tmp is empty, and what the command writes there stays there", async () => {
  writeFileSync("/tmp/vsc-sec-lab-host", "");
  try {
    const r = await exec(
      web({ tmp: "private" }),
      sh("ls -A /tmp | wc -l; echo x > /tmp/vsc-sec-lab-inner && echo wrote"),
    );
    assert.is(r.stdout, "0\nwrote\n", r.stderr);
    assert.throws(() => rmSync("/tmp/vsc-sec-lab-inner"));
  } finally {
    rmSync("/tmp/vsc-sec-lab-host");
  }
});

test("devices private: only the pseudo devices, and they work", async () => {
  const r = await exec(
    web({ devices: "private" }),
    sh("find /dev -type c -o -type b | sort | tr '\\n' ' '; head -c 3 /dev/zero | wc -c"),
  );
  assert.is(
    r.stdout,
    "/dev/full /dev/null /dev/random /dev/tty /dev/urandom /dev/zero 3\n",
    r.stderr,
  );
});

test("capabilities none: CapBnd is 0 and a privileged action fails", async () => {
  const r = await exec(
    web({ capabilities: { mode: "none", names: [] } }),
    sh(
      "grep CapBnd /proc/self/status; hostname vsc-lab-probe 2>/dev/null && echo renamed || echo refused",
    ),
  );
  assert.is(r.stdout, "CapBnd:\t0000000000000000\nrefused\n", r.stderr);
});

test.run();
