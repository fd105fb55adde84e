// The vsc.fleet.host Ansible module on a real cgroup v2 kernel (#18): the
// host's configuration made on the "controller" (the same guest), planned
// and applied on the node by Ansible (ansible-core from the host's root,
// shared read-only into the lab), read back from the kernel's own files.
// Check mode writes nothing; apply creates the cgroups with their values; a
// re-run changes nothing; state absent removes everything vsc owned.
import * as assert from "uvu/assert";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LAB_CGROUP_MOUNT, labSuite, run } from "./lab.js";

const test = labSuite("fleet: the Ansible module on cgroup v2");
const ROOT = join(import.meta.dirname, "../../..");
const CG = "vsc-fleet-lab";

const FLEET = `template node { cpus 2  memory 1GiB  cgroup-root "${CG}" }
host lab1 { use node }
host lab2 { use node }
group canary = lab1
context web on canary { id 701  cpu { share 4 }  memory { limit 64MiB }  pids { limit 77 } }
context batch { id 702  cpu { share 1 } }
`;

function setup(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync("/tmp/vsc-fleet-lab-");
  writeFileSync(join(dir, "fleet.vsc"), FLEET);
  writeFileSync(
    join(dir, "inventory.ini"),
    `[fleet]\nlab1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n`,
  );
  mkdirSync(join(dir, "state"));
  const env = {
    ...process.env,
    LC_ALL: "C.UTF-8",
    HOME: dir,
    ANSIBLE_HOME: join(dir, "ansible-home"),
    ANSIBLE_LOCAL_TEMP: join(dir, "tmp"),
    ANSIBLE_REMOTE_TEMP: join(dir, "rtmp"),
    ANSIBLE_COLLECTIONS_PATH: join(dir, "collections"),
    ANSIBLE_CALLBACKS_ENABLED: "vsc.fleet.fleet_summary",
    VSC_FLEET_SUMMARY: join(dir, "summary.json"),
    ANSIBLE_NOCOLOR: "1",
  };
  const c = run(
    "ansible-galaxy",
    ["collection", "install", join(ROOT, "ansible"), "-p", join(dir, "collections")],
    { env, timeoutMs: 180_000 },
  );
  assert.is(c.code, 0, `ansible-galaxy: ${c.stdout}${c.stderr}`);
  return { dir, env };
}

function play(dir: string, env: NodeJS.ProcessEnv, state: string, check: boolean) {
  const r = run(
    "ansible-playbook",
    [
      "-i",
      join(dir, "inventory.ini"),
      join(ROOT, "ansible/playbooks/rollout.yml"),
      "-e",
      `vsc_fleet_src=${join(dir, "fleet.vsc")} vsc_binary=${join(ROOT, "bin/vsc.js")} ` +
        `vsc_state_dir=${join(dir, "state")} vsc_cgroup_mount=${LAB_CGROUP_MOUNT}`,
      ...(state === "absent" ? ["-e", "vsc_state=absent"] : []),
      ...(check ? ["--check"] : []),
    ],
    { env, timeoutMs: 300_000 },
  );
  assert.is(
    r.code,
    0,
    `ansible-playbook (${state}${check ? ", check" : ""}):\n${r.stdout}${r.stderr}`,
  );
  const rows = (
    JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as {
      hosts: { host: string; changed: boolean; status: string }[];
    }
  ).hosts;
  return rows.find((h) => h.host === "lab1")!;
}

const cg = (path: string) => join(LAB_CGROUP_MOUNT, CG, path);

test("check, apply, re-run, absent: the kernel's own files say what happened", () => {
  const { dir, env } = setup();
  try {
    const check = play(dir, env, "present", true);
    assert.equal([check.status, check.changed], ["ok", true]);
    assert.not.ok(existsSync(cg("")), "check mode wrote nothing");

    const apply = play(dir, env, "present", false);
    assert.equal([apply.status, apply.changed], ["ok", true]);
    assert.is(readFileSync(cg("web/pids.max"), "utf8").trim(), "77");
    assert.is(readFileSync(cg("web/memory.max"), "utf8").trim(), String(64 * 2 ** 20));
    assert.ok(existsSync(cg("batch")), "batch, placed on every host");
    const w = Number(readFileSync(cg("web/cpu.weight"), "utf8"));
    const b = Number(readFileSync(cg("batch/cpu.weight"), "utf8"));
    assert.ok(w > b, `shares 4:1 read back as weights ${w}:${b}`);

    const again = play(dir, env, "present", false);
    assert.equal([again.status, again.changed], ["ok", false]);

    const gone = play(dir, env, "absent", false);
    assert.equal([gone.status, gone.changed], ["ok", true]);
    assert.not.ok(existsSync(cg("")), "everything vsc owned is gone");
  } finally {
    run("sh", ["-c", `rmdir ${cg("web")} ${cg("batch")} ${cg("")} 2>/dev/null; true`]);
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
