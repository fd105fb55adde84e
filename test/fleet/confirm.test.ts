/**
 * The module's side of `confirm` (#19's CLI: `vsc apply PLAN --confirm Ns`,
 * then `vsc confirm`), against a stand-in vsc that records its calls: the
 * real confirm CLI is another branch's and was not on main when this was
 * written. What is tested is the collection's sequence: apply with the
 * deadline, wait until the node answers (a fresh connection and a ping),
 * then confirm; with the node's options passed to every call; nothing of it
 * in check mode.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";

const FAKE = `#!/bin/sh
echo "$*" >> "$VSC_FAKE_LOG"
case "$1" in
compile) mkdir -p "$6" && echo 'host h1 { cpus 1  memory 1GiB }' > "$6/h1.vsc" ;;
plan) printf '{"actions":[{}],"summary":{"add":1,"change":0,"destroy":0}}' > "$4"; echo "+ vsc/web" ;;
apply) echo "Apply complete!" >&2 ;;
confirm) echo "confirmed" ;;
esac
`;

function play(check: boolean): { log: string[]; out: string; status: number | null } {
  const dir = mkdtempSync(join(tmpdir(), "vsc-fleet-confirm-"));
  try {
    const env = {
      ...process.env,
      ANSIBLE_COLLECTIONS_PATH: join(dir, "collections"),
      ANSIBLE_HOME: join(dir, "home"),
      ANSIBLE_LOCAL_TEMP: join(dir, "tmp"),
      ANSIBLE_NOCOLOR: "1",
      VSC_FAKE_LOG: join(dir, "log"),
    };
    const c = spawnSync(
      "ansible-galaxy",
      ["collection", "install", join(packageRoot(), "ansible"), "-p", join(dir, "collections")],
      { encoding: "utf8", env },
    );
    assert.is(c.status, 0, c.stderr);
    writeFileSync(join(dir, "vsc"), FAKE);
    chmodSync(join(dir, "vsc"), 0o755);
    writeFileSync(join(dir, "log"), "");
    writeFileSync(
      join(dir, "inventory.ini"),
      "h1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n",
    );
    writeFileSync(
      join(dir, "play.yml"),
      `- hosts: all\n  gather_facts: false\n  tasks:\n    - vsc.fleet.host:\n        src: ${dir}/fleet.vsc\n        binary: ${dir}/vsc\n        netns: ns1\n        confirm: 30\n`,
    );
    const p = spawnSync(
      "ansible-playbook",
      ["-i", join(dir, "inventory.ini"), join(dir, "play.yml"), ...(check ? ["--check"] : [])],
      { encoding: "utf8", env },
    );
    const log = readFileSync(join(dir, "log"), "utf8").trim().split("\n");
    return { log, out: `${p.stdout}${p.stderr}`, status: p.status };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("confirm: apply PLAN --confirm 30s, then (node answers) vsc confirm, with the node's options", () => {
  const r = play(false);
  assert.is(r.status, 0, r.out);
  const verbs = r.log.map((l) => l.split(" ")[0]);
  assert.equal(verbs, ["compile", "plan", "apply", "confirm"]);
  assert.match(r.log[2]!, /^apply \S+plan\.json --confirm 30s --netns ns1$/);
  assert.is(r.log[3], "confirm --netns ns1");
});

test("confirm in check mode: the plan only", () => {
  const r = play(true);
  assert.is(r.status, 0, r.out);
  assert.equal(
    r.log.map((l) => l.split(" ")[0]),
    ["compile", "plan"],
  );
});

test.run();
