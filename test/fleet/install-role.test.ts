/**
 * The role vsc.fleet.install refuses a node without Node.js, or with one
 * older than 20, with a message that says which (ansible-playbook, local
 * connection; the node's `node` is replaced by a missing path or a script
 * that reports v18). On a node with Node.js 20 it installs a package built by
 * `npm pack` offline into a prefix, and the installed vsc runs; a second run
 * changes nothing.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { linkCollection } from "./collection.js";
import { packageRoot } from "../../src/paths.js";

function runRole(
  node: string,
  tarball = "/nonexistent.tgz",
  prefix = "/nonexistent-prefix",
  times = 1,
): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), "vsc-fleet-role-"));
  try {
    const env = {
      ...process.env,
      ANSIBLE_COLLECTIONS_PATH: join(dir, "collections"),
      ANSIBLE_HOME: join(dir, "home"),
      ANSIBLE_LOCAL_TEMP: join(dir, "tmp"),
      ANSIBLE_NOCOLOR: "1",
    };
    linkCollection(dir);
    writeFileSync(
      join(dir, "inventory.ini"),
      "node1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n",
    );
    writeFileSync(
      join(dir, "play.yml"),
      `- hosts: all\n  gather_facts: false\n  roles:\n    - role: vsc.fleet.install\n      vsc_install_node: \"${node}\"\n` +
        `      vsc_install_tarball: \"${tarball}\"\n      vsc_install_prefix: \"${prefix}\"\n`,
    );
    writeFileSync(join(dir, "old-node"), "#!/bin/sh\necho v18.19.0\n");
    chmodSync(join(dir, "old-node"), 0o755);
    let out = "";
    let status: number | null = 0;
    for (let i = 0; i < times && status === 0; i++) {
      const p = spawnSync(
        "ansible-playbook",
        ["-i", join(dir, "inventory.ini"), join(dir, "play.yml")],
        {
          encoding: "utf8",
          env,
        },
      );
      status = p.status;
      out += `--- run ${i + 1}\n${p.stdout}${p.stderr}`;
    }
    return { status, out };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a node without Node.js: the role says it is not installed", () => {
  const r = runRole("/nonexistent/node");
  assert.is.not(r.status, 0);
  assert.match(r.out, /vsc needs Node.js >= 20 on node1: `\/nonexistent\/node` is not installed/);
});

test("a node with Node.js 18: the role says which version it found", () => {
  const r = runRole("{{ playbook_dir }}/old-node");
  assert.is.not(r.status, 0);
  assert.match(r.out, /vsc needs Node.js >= 20 on node1: found v18\.19\.0/);
});

test("a node with Node.js 20: the package from npm pack installs offline and runs; a second run changes nothing", () => {
  const dir = mkdtempSync(join(tmpdir(), "vsc-fleet-pack-"));
  // The role copies the package to this fixed path on the node; leave it as found.
  const copied = "/var/tmp/vsc-package.tgz";
  const hadCopy = existsSync(copied);
  try {
    // The tree is built already: pack it without running `prepare` again.
    const pack = spawnSync("npm", ["pack", "--ignore-scripts", "--pack-destination", dir], {
      cwd: packageRoot(),
      encoding: "utf8",
    });
    assert.is(pack.status, 0, pack.stderr);
    const tarball = join(dir, pack.stdout.trim().split("\n").pop()!);
    const prefix = join(dir, "prefix");
    const r = runRole(process.execPath, tarball, prefix, 2);
    assert.is(r.status, 0, r.out);
    assert.match(r.out, /--- run 1[\s\S]*node1 *: ok=\d+ +changed=[1-9]/);
    assert.match(r.out, /--- run 2[\s\S]*node1 *: ok=\d+ +changed=0 /);
    const v = spawnSync(join(prefix, "bin", "vsc"), ["--version"], { encoding: "utf8" });
    assert.is(v.status, 0, v.stderr);
    assert.match(v.stdout, /^\d+\.\d+\.\d+/);
    // The installed copy compiles an example on its own (bundled dependencies, templates).
    const c = spawnSync(
      join(prefix, "bin", "vsc"),
      ["check", join(packageRoot(), "examples", "small.vsc")],
      { encoding: "utf8" },
    );
    assert.is(c.status, 0, c.stdout + c.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (!hadCopy) rmSync(copied, { force: true });
  }
});

test.run();
