/**
 * ORCHESTRATION TEST ON ONE MACHINE (#18, #19): the module's `confirm`
 * against the real vsc. Two hosts (network namespaces plus scratch cgroup
 * trees, local connection), the real collection, `vsc apply PLAN --confirm
 * Ns`, the wait for the node, `vsc confirm`, and vsc's own watchdog.
 *
 * c2 answers after the apply: the module confirms (the pending record is
 * gone, so nothing reverts) and the configuration stays. c1's new
 * configuration "cuts it off": its Python interpreter (the connection's
 * stand-in here) refuses to run while the cgroup `cutoff` that this
 * configuration creates exists, so the node does not answer: the task
 * fails with VSC9042 and the summary names it, nothing confirms, and vsc's
 * watchdog reverts the apply at the deadline by itself (the cgroup tree is
 * back to what it was, `vsc show` says "reverted"). What is a stand-in: the connection (local, cut by a file test
 * instead of a firewall). What is real: every vsc step on both hosts.
 */
import * as assert from "uvu/assert";
import { test } from "uvu";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeScratchMount } from "../../src/apply/scratch.js";
import { packageRoot } from "../../src/paths.js";
import { rootTest } from "../root.js";
import { linkCollection } from "./collection.js";

const root = packageRoot();
const vsc = join(root, "bin/vsc.js");
const hosts = ["c1", "c2"];
const tag = `vscfk${process.pid % 100000}`;
const CONFIRM = 20;

interface Row {
  host: string;
  status: string;
  changed: boolean;
  code?: string | null;
}

let dir = "";
const made: string[] = [];

function setup(): void {
  dir = mkdtempSync(join(tmpdir(), "vsc-fleet-confirm-"));
  linkCollection(dir);
  mkdirSync(join(dir, "fleet"));
  writeFileSync(
    join(dir, "fleet", "fleet.vsc"),
    `${hosts.map((h) => `host ${h} { cpus 2  memory 4GiB }`).join("\n")}
context web { id 1  cpu { share 2 }  pids { limit 100 } }
context cutoff on c1 { id 2  pids { limit 10 } }
`,
  );
  const lines: string[] = [];
  for (const h of hosts) {
    assert.is(spawnSync("ip", ["netns", "add", `${tag}-${h}`]).status, 0);
    made.push(`${tag}-${h}`);
    const cg = join(dir, "cg", h);
    makeScratchMount(cg);
    mkdirSync(join(dir, "state", h), { recursive: true });
    // The node's interpreter: it refuses while the configuration that cuts the node off is applied.
    const py = join(dir, `python-${h}`);
    writeFileSync(
      py,
      `#!/bin/sh\nif [ -d '${cg}/vsc/cutoff' ]; then echo 'no route to host' >&2; exit 255; fi\nexec /usr/bin/python3 "$@"\n`,
    );
    chmodSync(py, 0o755);
    lines.push(
      `${h} ansible_connection=local ansible_python_interpreter=${py} vsc_netns=${tag}-${h} ` +
        `vsc_cgroup_mount=${cg} vsc_state_dir=${join(dir, "state", h)}`,
    );
  }
  writeFileSync(join(dir, "inventory.ini"), lines.join("\n") + "\n");
  writeFileSync(
    join(dir, "play.yml"),
    `- hosts: all
  gather_facts: false
  strategy: vsc.fleet.linear
  tasks:
    - vsc.fleet.host:
        src: ${join(dir, "fleet", "fleet.vsc")}
        binary: ${vsc}
        netns: "{{ vsc_netns }}"
        cgroup_mount: "{{ vsc_cgroup_mount }}"
        state_dir: "{{ vsc_state_dir }}"
        confirm: ${CONFIRM}
`,
  );
}

function cleanup(): void {
  // A watchdog still waiting would revert into a tree that is gone: revert first.
  for (const h of hosts) if (dir) vscOn(h, ["revert"]);
  for (const ns of made) spawnSync("ip", ["netns", "del", ns]);
  made.length = 0;
  if (dir) rmSync(dir, { recursive: true, force: true });
}

function vscOn(h: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(
    process.execPath,
    [vsc, ...args, "--cgroup-mount", join(dir, "cg", h), "--netns", `${tag}-${h}`],
    {
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", VSC_STATE_DIR: join(dir, "state", h) },
    },
  );
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function play(extra: string[] = []): { status: number | null; out: string; rows: Row[] } {
  const summary = join(dir, "summary.json");
  rmSync(summary, { force: true });
  const p = spawnSync(
    "ansible-playbook",
    ["-i", join(dir, "inventory.ini"), join(dir, "play.yml"), ...extra],
    {
      encoding: "utf8",
      env: {
        ...process.env,
        ANSIBLE_COLLECTIONS_PATH: join(dir, "collections"),
        ANSIBLE_CALLBACKS_ENABLED: "vsc.fleet.fleet_summary",
        ANSIBLE_PIPELINING: "1",
        ANSIBLE_NOCOLOR: "1",
        ANSIBLE_LOCAL_TEMP: join(dir, "ansible-tmp"),
        ANSIBLE_HOME: join(dir, "ansible-home"),
        VSC_FLEET_SUMMARY: summary,
      },
    },
  );
  const out = `${p.stdout}${p.stderr}`;
  assert.ok(existsSync(summary), out.slice(-3000));
  const rows = (JSON.parse(readFileSync(summary, "utf8")) as { hosts: Row[] }).hosts;
  return { status: p.status, out, rows };
}

const pending = (h: string) =>
  readdirSync(join(dir, "state", h)).filter((f) => f.endsWith(".pending"));

rootTest(
  "confirm with the real vsc: check mode plans only; a node that answers is confirmed; one cut off fails (VSC9042) and vsc reverts it at the deadline",
  () => {
    try {
      setup();

      // Check mode: the plan only; nothing applied, nothing pending.
      const check = play(["--check"]);
      assert.is(check.status, 0, check.out.slice(-3000));
      assert.ok(check.rows.every((r) => r.status === "ok" && r.changed));
      for (const h of hosts) {
        assert.not.ok(existsSync(join(dir, "cg", h, "vsc")), `${h}: check mode wrote nothing`);
        assert.equal(pending(h), [], `${h}: nothing pending`);
      }

      const t0 = Date.now();
      const run = play();
      assert.is.not(run.status, 0, "c1 failed");
      const by = new Map(run.rows.map((r) => [r.host, r]));
      assert.equal([by.get("c1")?.status, by.get("c1")?.code], ["failed", "VSC9042"], run.out);
      assert.match(run.out, /did not answer/);
      assert.equal([by.get("c2")?.status, by.get("c2")?.changed], ["ok", true], run.out);

      // c2: confirmed; the pending record is gone, so no watchdog reverts it; the configuration stays.
      assert.equal(pending("c2"), []);
      assert.not.match(vscOn("c2", ["show"]).out, /pending confirmation/);
      assert.ok(existsSync(join(dir, "cg", "c2", "vsc", "web")));

      // c1: applied and still pending (nothing confirmed it) ...
      assert.ok(
        existsSync(join(dir, "cg", "c1", "vsc", "cutoff")),
        "c1's apply stays until the deadline",
      );
      assert.is(pending("c1").length, 1);
      // ... until vsc's watchdog reverts it by itself at the deadline.
      let shown = "";
      while (Date.now() - t0 < (CONFIRM + 60) * 1000) {
        shown = vscOn("c1", ["show"]).out;
        if (/reverted/.test(shown) && pending("c1").length === 0) break;
        spawnSync("sleep", ["1"]);
      }
      assert.match(shown, /last pending apply: reverted/, shown);
      assert.not.ok(
        existsSync(join(dir, "cg", "c1", "vsc", "cutoff")),
        "the cutoff cgroup is gone",
      );
      assert.not.ok(existsSync(join(dir, "cg", "c1", "vsc", "web")), "c1 is back to empty");
      // c2 still has it, past c1's deadline.
      assert.ok(existsSync(join(dir, "cg", "c2", "vsc", "web")));
      assert.equal(pending("c2"), []);
    } finally {
      cleanup();
    }
  },
);

test.run();
