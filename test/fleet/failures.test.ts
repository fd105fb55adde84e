/**
 * ORCHESTRATION TEST ON ONE MACHINE (#18): the module's failures carry
 * their codes, through ansible-playbook and the summary, with the real vsc
 * on network namespaces plus scratch cgroup trees (local connection).
 *
 * - a held lock: another apply holds the host's vsc lock (a lock file
 *   naming a live process, as vsc writes it): VSC5030, nothing changed;
 * - a stale plan: the live state changes between the module's `vsc plan`
 *   and its `vsc apply PLAN` (the node's vsc is a wrapper that writes one
 *   cgroup value first, as a concurrent change would): VSC5032, nothing
 *   changed by vsc;
 * - an inventory host that is not a host of the fleet: VSC9030;
 * - a fleet that does not check: every host fails with the fleet's first
 *   error code and no host is touched;
 * while a healthy host in the same run applies.
 */
import * as assert from "uvu/assert";
import { test } from "uvu";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeScratchMount } from "../../src/apply/scratch.js";
import { processId, stateFiles } from "../../src/apply/state.js";
import { packageRoot } from "../../src/paths.js";
import { rootTest } from "../root.js";
import { linkCollection } from "./collection.js";

const root = packageRoot();
const vsc = join(root, "bin/vsc.js");
const hosts = ["f1", "f2", "f3"];
const tag = `vscff${process.pid % 100000}`;

interface Row {
  host: string;
  status: string;
  changed: boolean;
  code?: string | null;
}

const fleet = (limit: number, extra = "") =>
  `${hosts.map((h) => `host ${h} { cpus 2  memory 4GiB }`).join("\n")}
context web { id 1  cpu { share 2 }  pids { limit ${limit} } }
${extra}`;

rootTest(
  "failures carry their codes: held lock VSC5030, stale plan VSC5032, a host not in the fleet VSC9030, a fleet that does not check",
  () => {
    const dir = mkdtempSync(join(tmpdir(), "vsc-fleet-failures-"));
    const made: string[] = [];
    const cg = (h: string) => join(dir, "cg", h);
    const state = (h: string) => join(dir, "state", h);
    try {
      linkCollection(dir);
      mkdirSync(join(dir, "fleet"));
      const src = join(dir, "fleet", "fleet.vsc");
      writeFileSync(src, fleet(100));
      // f2's vsc changes the live state just before it applies the saved plan.
      const stale = join(dir, "vsc-stale");
      writeFileSync(
        stale,
        `#!/bin/sh\nif [ "$1" = apply ]; then echo 77 > '${cg("f2")}/vsc/web/pids.max'; fi\nexec '${process.execPath}' '${vsc}' "$@"\n`,
      );
      chmodSync(stale, 0o755);
      const lines: string[] = [];
      for (const h of [...hosts, "zz"]) {
        assert.is(spawnSync("ip", ["netns", "add", `${tag}-${h}`]).status, 0);
        made.push(`${tag}-${h}`);
        makeScratchMount(cg(h));
        mkdirSync(state(h), { recursive: true });
        lines.push(
          `${h} ansible_connection=local ansible_python_interpreter=/usr/bin/python3 vsc_netns=${tag}-${h} ` +
            `vsc_cgroup_mount=${cg(h)} vsc_state_dir=${state(h)}`,
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
        src: ${src}
        binary: "{{ vsc_binary | default('${vsc}') }}"
        netns: "{{ vsc_netns }}"
        cgroup_mount: "{{ vsc_cgroup_mount }}"
        state_dir: "{{ vsc_state_dir }}"
`,
      );
      const play = (extra: string[] = []) => {
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
        const rows = (JSON.parse(readFileSync(summary, "utf8")) as { hosts: Row[] }).hosts;
        return { status: p.status, out, by: new Map(rows.map((r) => [r.host, r])) };
      };
      const pidsMax = (h: string) => readFileSync(join(cg(h), "vsc/web/pids.max"), "utf8").trim();

      // 1. Every fleet host applies; the inventory host that is not in the fleet fails with VSC9030.
      const first = play();
      assert.is.not(first.status, 0);
      for (const h of hosts)
        assert.is(first.by.get(h)?.status, "ok", `${h}\n${first.out.slice(-2000)}`);
      assert.equal([first.by.get("zz")?.status, first.by.get("zz")?.code], ["failed", "VSC9030"]);
      assert.match(first.out, /has no host \\?"zz/);
      for (const h of hosts) assert.is(pidsMax(h), "100");

      // 2. An edit; f1's lock is held by a live process, f2's state changes under its plan.
      writeFileSync(src, fleet(200));
      const sf = stateFiles(state("f1"), cg("f1"), "vsc");
      writeFileSync(join(sf.dir, `${sf.key}.lock`), `${processId(process.pid)}\n`, { mode: 0o600 });
      // f2's binary (through the inventory) is the wrapper.
      writeFileSync(
        join(dir, "inventory.ini"),
        lines.map((l) => (l.startsWith("f2 ") ? `${l} vsc_binary=${stale}` : l)).join("\n") + "\n",
      );
      const edit = play();
      assert.is.not(edit.status, 0);
      assert.equal(
        [edit.by.get("f1")?.status, edit.by.get("f1")?.code],
        ["failed", "VSC5030"],
        edit.out,
      );
      assert.equal(
        [edit.by.get("f2")?.status, edit.by.get("f2")?.code],
        ["failed", "VSC5032"],
        edit.out,
      );
      assert.equal([edit.by.get("f3")?.status, edit.by.get("f3")?.changed], ["ok", true], edit.out);
      assert.is(pidsMax("f1"), "100", "f1: nothing changed under the held lock");
      assert.is(pidsMax("f2"), "77", "f2: only the concurrent change, nothing of the stale plan");
      assert.is(pidsMax("f3"), "200");
      rmSync(join(sf.dir, `${sf.key}.lock`));

      // 3. A fleet that does not check: every host fails with its code; nothing is touched.
      writeFileSync(src, fleet(300, "context ping on nowhere { id 9 }\n"));
      const broken = play();
      assert.is.not(broken.status, 0);
      for (const h of [...hosts, "zz"])
        assert.equal(
          [broken.by.get(h)?.status, broken.by.get(h)?.code],
          ["failed", "VSC2090"],
          `${h}\n${broken.out.slice(-2000)}`,
        );
      assert.match(broken.out, /the fleet does not check/);
      assert.equal(hosts.map(pidsMax), ["100", "77", "200"]);
    } finally {
      for (const ns of made) spawnSync("ip", ["netns", "del", ns]);
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test.run();
