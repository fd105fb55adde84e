/**
 * The role vsc.fleet.install refuses a node without Node.js, or with one
 * older than 20, with a message that says which (ansible-playbook, local
 * connection; the node's `node` is replaced by a missing path or a script
 * that reports v18).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { linkCollection } from "./collection.js";

function runRole(node: string): { status: number | null; out: string } {
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
      `- hosts: all\n  gather_facts: false\n  roles:\n    - role: vsc.fleet.install\n      vsc_install_node: \"${node}\"\n      vsc_install_tarball: /nonexistent.tgz\n`,
    );
    writeFileSync(join(dir, "old-node"), "#!/bin/sh\necho v18.19.0\n");
    chmodSync(join(dir, "old-node"), 0o755);
    const p = spawnSync(
      "ansible-playbook",
      ["-i", join(dir, "inventory.ini"), join(dir, "play.yml")],
      {
        encoding: "utf8",
        env,
      },
    );
    return { status: p.status, out: `${p.stdout}${p.stderr}` };
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

test.run();
