/**
 * ORCHESTRATION TESTS ON ONE MACHINE (#18). What is real here: Ansible
 * (Debian's ansible-core, ansible-playbook with the vsc.fleet collection
 * installed by ansible-galaxy), the module's whole path (configuration made
 * on the controller, plan and saved-plan apply by the real vsc), nft and tc
 * inside one network namespace per "host" (the hosts declare no link: this
 * machine's kernel lacks the fq_codel leaf qdisc, so tc is left to the
 * applier's own netns tests), and no net rules (nft resolves the cgroup paths
 * of \`socket cgroupv2\` rules in the real cgroup2 mount, which a scratch
 * tree is not): nft loads vsc's table in each namespace, no more. What is not: the hosts are
 * inventory entries with a local connection, each a network namespace plus a
 * scratch cgroup tree in plain files (src/apply/scratch.ts), not machines;
 * the real cgroup v2 kernel is proven in test/kernel/fleet-*.test.ts.
 *
 * The run: check mode on an empty fleet (every host changed, nothing
 * written), apply (converges), a re-run (nothing changes), an edit of one
 * group's context (check mode reports exactly that group's hosts), a host
 * whose namespace was removed (fails with its VSC code and stops its batch
 * under max_fail_percentage; the summary names it and the hosts never
 * reached), and an unreachable host (counted, not skipped).
 */
import * as assert from "uvu/assert";
import { test } from "uvu";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeScratchMount } from "../../src/apply/scratch.js";
import { packageRoot } from "../../src/paths.js";
import { rootTest } from "../root.js";

const N = 20;
const root = packageRoot();
const hosts = Array.from({ length: N }, (_, i) => `h${String(i + 1).padStart(2, "0")}`);
const WEST = hosts.slice(2, 12); // h03..h12
const tag = `vscf${process.pid % 100000}`;
const nsOf = (h: string) => `${tag}-${h}`;

interface Row {
  host: string;
  status: string;
  changed: boolean;
  add: number;
  change: number;
  destroy: number;
  code?: string | null;
}

function fleetText(westReserve: string): string {
  return `template node { cpus 2  memory 4GiB }
${hosts.map((h) => `host ${h} { use node }`).join("\n")}
group canary = h01, h02
group west = ${WEST.join(", ")}

context web on west { id 101  cpu { reserve ${westReserve} }  pids { limit 500 } }
context mon { id 102  cpu { share 1 } }
`;
}

let dir = "";
const made: string[] = [];

function setup(): void {
  dir = mkdtempSync(join(tmpdir(), "vsc-fleet-ansible-"));
  const c = spawnSync(
    "ansible-galaxy",
    ["collection", "install", join(root, "ansible"), "-p", join(dir, "collections")],
    { encoding: "utf8" },
  );
  assert.is(c.status, 0, `ansible-galaxy collection install: ${c.stderr}${c.stdout}`);
  for (const h of hosts) {
    const ns = nsOf(h);
    assert.is(spawnSync("ip", ["netns", "add", ns]).status, 0, `ip netns add ${ns}`);
    made.push(ns);
    makeScratchMount(join(dir, "cg", h));
    mkdirSync(join(dir, "state", h), { recursive: true });
  }
  writeFileSync(join(dir, "fleet.vsc"), fleetText("10%"));
  const vars = (h: string) =>
    `${h} ansible_connection=local ansible_python_interpreter=/usr/bin/python3 vsc_netns=${nsOf(h)} ` +
    `vsc_cgroup_mount=${join(dir, "cg", h)} vsc_state_dir=${join(dir, "state", h)}`;
  writeFileSync(
    join(dir, "inventory.ini"),
    `[canary]\n${vars("h01")}\n${vars("h02")}\n\n[fleet]\n${hosts.map(vars).join("\n")}\n`,
  );
  writeFileSync(
    join(dir, "ghost.ini"),
    `[fleet]\n${vars("h01")}\nh03 ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=1 ansible_ssh_common_args='-o ConnectTimeout=2'\n`,
  );
}

function cleanup(): void {
  for (const ns of made) spawnSync("ip", ["netns", "del", ns]);
  if (dir) rmSync(dir, { recursive: true, force: true });
}

function play(
  args: string[],
  inventory = "inventory.ini",
): { status: number | null; out: string; rows: Row[] } {
  const summary = join(dir, "summary.json");
  rmSync(summary, { force: true });
  const p = spawnSync(
    "ansible-playbook",
    [
      "-i",
      join(dir, inventory),
      join(root, "ansible/playbooks/rollout.yml"),
      "-e",
      `vsc_fleet_src=${join(dir, "fleet.vsc")} vsc_binary=${join(root, "bin/vsc.js")} vsc_max_fail=10`,
      ...args,
    ],
    {
      encoding: "utf8",
      env: {
        ...process.env,
        ANSIBLE_COLLECTIONS_PATH: join(dir, "collections"),
        ANSIBLE_CALLBACKS_ENABLED: "vsc.fleet.fleet_summary",
        ANSIBLE_FORKS: "10",
        ANSIBLE_PIPELINING: "1",
        ANSIBLE_NOCOLOR: "1",
        ANSIBLE_LOCAL_TEMP: join(dir, "ansible-tmp"),
        ANSIBLE_HOME: join(dir, "ansible-home"),
        VSC_FLEET_SUMMARY: summary,
      },
    },
  );
  const out = `${p.stdout}${p.stderr}`;
  assert.ok(existsSync(summary), `the summary is written whatever happened:\n${out.slice(-3000)}`);
  const rows = (JSON.parse(readFileSync(summary, "utf8")) as { hosts: Row[] }).hosts;
  return { status: p.status, out, rows };
}

const changedHosts = (rows: Row[]) => rows.filter((r) => r.changed).map((r) => r.host);
const owned = (h: string) => existsSync(join(dir, "cg", h, "vsc"));

rootTest(
  "orchestration (one machine): check, apply, converge, review an edit, a failed batch, an unreachable host",
  () => {
    assert.ok(
      spawnSync("ansible-playbook", ["--version"]).status === 0,
      "ansible-core is installed (scripts/debian-packages.sh)",
    );
    try {
      setup();

      // 1. Check mode on empty hosts: every host would change; nothing is written.
      const check = play(["--check", "--diff", "-e", "vsc_batch=10"]);
      assert.is(check.status, 0, check.out.slice(-3000));
      assert.equal(changedHosts(check.rows), hosts);
      assert.ok(check.rows.every((r) => r.status === "ok" && r.add > 0));
      assert.ok(!hosts.some(owned), "check mode wrote nothing");
      assert.match(check.out, /\+ /, "--diff shows the plan's text");

      // 2. Apply converges; 3. a re-run changes nothing.
      const apply = play(["-e", "vsc_batch=10"]);
      assert.is(apply.status, 0, apply.out.slice(-3000));
      assert.equal(changedHosts(apply.rows), hosts);
      assert.ok(hosts.every(owned), "every host's cgroup tree exists");
      assert.ok(existsSync(join(dir, "cg", "h05", "vsc", "web")), "web is on west hosts");
      assert.not.ok(existsSync(join(dir, "cg", "h15", "vsc", "web")), "and only there");
      const again = play(["-e", "vsc_batch=10"]);
      assert.is(again.status, 0, again.out.slice(-3000));
      assert.equal(changedHosts(again.rows), []);

      // 4. Review: an edit of west's context changes exactly the west hosts.
      writeFileSync(join(dir, "fleet.vsc"), fleetText("20%"));
      const review = play(["--check", "-e", "vsc_batch=10"]);
      assert.is(review.status, 0, review.out.slice(-3000));
      assert.equal(changedHosts(review.rows), WEST);
      assert.ok(review.rows.filter((r) => r.changed).every((r) => r.change > 0 && r.add === 0));

      // 5. h05's namespace is gone: it fails with its code, its batch (h03..h07) stops the rollout.
      spawnSync("ip", ["netns", "del", nsOf("h05")]);
      made.splice(made.indexOf(nsOf("h05")), 1);
      const broken = play(["-e", "vsc_batch=5"]);
      assert.is.not(broken.status, 0);
      const by = new Map(broken.rows.map((r) => [r.host, r]));
      assert.equal([by.get("h05")!.status, by.get("h05")!.code], ["failed", "VSC5007"]);
      for (const h of ["h03", "h04", "h06", "h07"]) assert.is(by.get(h)!.status, "ok", h);
      assert.ok(by.get("h03")!.changed, "the rest of the failed batch applied the edit");
      for (const h of hosts.slice(7))
        assert.is(by.get(h)!.status, "not-run", `${h} was never reached`);
      assert.match(broken.out, /VSC FLEET SUMMARY/);
      assert.match(broken.out, /h05\s+failed\s+0\s+0\s+0\s+VSC5007/);

      // 6. An unreachable host is counted, not skipped.
      const ghost = play(["-e", "vsc_max_fail=100"], "ghost.ini");
      const g = new Map(ghost.rows.map((r) => [r.host, r]));
      assert.is(g.get("h03")?.status, "unreachable");
      assert.is(g.get("h01")?.status, "ok");
    } finally {
      cleanup();
    }
  },
);

test.run();
