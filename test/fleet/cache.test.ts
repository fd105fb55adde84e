/**
 * ORCHESTRATION TEST ON ONE MACHINE (#18): the controller compiles the
 * fleet once and every host's task reads its file from a cache keyed by a
 * digest of the fleet's files; an edit during the run must never serve a
 * stale host configuration. One ansible-playbook run, two hosts (network
 * namespaces plus scratch cgroup trees, local connection), the real
 * collection and vsc: the module in check mode, then a controller task
 * that edits an included file and adds one that the entry's glob include
 * now matches, then the module again: the second plans show the edit and
 * the new file on both hosts.
 */
import * as assert from "uvu/assert";
import { test } from "uvu";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeScratchMount } from "../../src/apply/scratch.js";
import { packageRoot } from "../../src/paths.js";
import { rootTest } from "../root.js";
import { linkCollection } from "./collection.js";

const root = packageRoot();
const hosts = ["c1", "c2"];
const tag = `vscfc${process.pid % 100000}`;

rootTest(
  "the controller's compile cache: an edit during the run is compiled again, never served stale",
  () => {
    const dir = mkdtempSync(join(tmpdir(), "vsc-fleet-cache-"));
    const made: string[] = [];
    try {
      linkCollection(dir);
      const fleet = join(dir, "fleet");
      mkdirSync(join(fleet, "parts"), { recursive: true });
      writeFileSync(
        join(fleet, "fleet.vsc"),
        `${hosts.map((h) => `host ${h} { cpus 2  memory 4GiB }`).join("\n")}\ninclude "parts/*.vsc"\n`,
      );
      writeFileSync(join(fleet, "parts", "a.vsc"), "context alpha { id 1  cpu { share 2 } }\n");
      for (const h of hosts) {
        assert.is(spawnSync("ip", ["netns", "add", `${tag}-${h}`]).status, 0);
        made.push(`${tag}-${h}`);
        makeScratchMount(join(dir, "cg", h));
        mkdirSync(join(dir, "state", h), { recursive: true });
      }
      writeFileSync(
        join(dir, "inventory.ini"),
        hosts
          .map(
            (h) =>
              `${h} ansible_connection=local ansible_python_interpreter=/usr/bin/python3 vsc_netns=${tag}-${h} ` +
              `vsc_cgroup_mount=${join(dir, "cg", h)} vsc_state_dir=${join(dir, "state", h)}`,
          )
          .join("\n") + "\n",
      );
      const task = `vsc.fleet.host:
        src: ${join(fleet, "fleet.vsc")}
        binary: ${join(root, "bin/vsc.js")}
        netns: "{{ vsc_netns }}"
        cgroup_mount: "{{ vsc_cgroup_mount }}"
        state_dir: "{{ vsc_state_dir }}"
      check_mode: true`;
      writeFileSync(
        join(dir, "play.yml"),
        `- hosts: all
  gather_facts: false
  strategy: vsc.fleet.linear
  tasks:
    - ${task}
      register: first
    - name: edit an included file, add one the glob matches
      ansible.builtin.shell: |
        sed -i 's/alpha/alpha-two/' ${join(fleet, "parts", "a.vsc")}
        echo 'context bravo { id 2  pids { limit 64 } }' > ${join(fleet, "parts", "b.vsc")}
      delegate_to: localhost
      run_once: true
      check_mode: false
    - ${task}
      register: second
    - ansible.builtin.copy:
        content: "{{ {'first': first.plan, 'second': second.plan} | to_json }}"
        dest: ${dir}/plans-{{ inventory_hostname }}.json
      delegate_to: localhost
      check_mode: false
`,
      );
      const p = spawnSync(
        "ansible-playbook",
        ["-i", join(dir, "inventory.ini"), join(dir, "play.yml")],
        {
          encoding: "utf8",
          env: {
            ...process.env,
            ANSIBLE_COLLECTIONS_PATH: join(dir, "collections"),
            ANSIBLE_PIPELINING: "1",
            ANSIBLE_NOCOLOR: "1",
            ANSIBLE_LOCAL_TEMP: join(dir, "ansible-tmp"),
            ANSIBLE_HOME: join(dir, "ansible-home"),
          },
        },
      );
      const out = `${p.stdout}${p.stderr}`;
      assert.is(p.status, 0, out.slice(-3000));
      for (const h of hosts) {
        const plans = JSON.parse(readFileSync(join(dir, `plans-${h}.json`), "utf8")) as {
          first: string;
          second: string;
        };
        assert.match(plans.first, /\balpha\b/, h);
        assert.not.match(plans.first, /alpha-two|bravo/, h);
        assert.match(plans.second, /alpha-two/, `${h}: the edited file, not the cached one`);
        assert.match(plans.second, /bravo/, `${h}: the file the glob now matches`);
        assert.not.match(plans.second, /\balpha\b(?!-two)/, h);
      }
    } finally {
      for (const ns of made) spawnSync("ip", ["netns", "del", ns]);
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test.run();
