/**
 * ORCHESTRATION TEST ON ONE MACHINE (#18): pull mode, as the systemd units
 * in ansible/pull/ run it. `systemd-analyze verify` accepts the units; then
 * the service's own ExecStartPre and ExecStart lines (read from the unit
 * file, with its /var/lib/vsc-pull replaced by a scratch directory and the
 * repository by a local git repository holding fleet/ and ansible/) run
 * twice: the first run clones, installs the collection from the checkout
 * and applies this node's part; a commit that edits the fleet is picked up
 * by the next run. The node is a network namespace plus a scratch cgroup
 * tree (passed as extra variables); the systemd timer itself is not run.
 */
import * as assert from "uvu/assert";
import { test } from "uvu";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeScratchMount } from "../../src/apply/scratch.js";
import { packageRoot } from "../../src/paths.js";
import { rootTest } from "../root.js";

const root = packageRoot();
const unitDir = join(root, "ansible/pull");
const ns = `vscfp${process.pid % 100000}`;

const fleetText = (limit: number) => `host p1 { cpus 2  memory 4GiB }
host p2 { cpus 2  memory 4GiB }
context web { id 1  cpu { share 2 }  pids { limit ${limit} } }
context batch on p2 { id 2 }
`;

function sh(cmd: string, args: string[], cwd?: string, env?: NodeJS.ProcessEnv): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", cwd, env: env ?? process.env });
  assert.is(r.status, 0, `${cmd} ${args.join(" ")}:\n${r.stdout}${r.stderr}`.slice(-3000));
  return r.stdout;
}

test("the pull units verify (systemd-analyze)", () => {
  const r = spawnSync(
    "systemd-analyze",
    ["verify", join(unitDir, "vsc-pull.service"), join(unitDir, "vsc-pull.timer")],
    { encoding: "utf8" },
  );
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr.trim(), "");
});

rootTest(
  "pull mode: the service's commands clone, install the collection, apply; a new commit is applied by the next run",
  () => {
    const dir = mkdtempSync(join(tmpdir(), "vsc-fleet-pull-"));
    let madeNs = false;
    try {
      // The fleet's repository: fleet/fleet.vsc and the collection, committed.
      const repo = join(dir, "repo");
      mkdirSync(join(repo, "fleet"), { recursive: true });
      cpSync(join(root, "ansible"), join(repo, "ansible"), {
        recursive: true,
        filter: (s) => !s.includes("__pycache__"),
      });
      writeFileSync(join(repo, "fleet", "fleet.vsc"), fleetText(100));
      const git = (...a: string[]) =>
        sh(
          "git",
          ["-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main", ...a],
          repo,
        );
      git("init", "-q");
      git("add", "-A");
      git("commit", "-qm", "fleet");

      assert.is(spawnSync("ip", ["netns", "add", ns]).status, 0);
      madeNs = true;
      const cg = join(dir, "cg");
      makeScratchMount(cg);
      mkdirSync(join(dir, "state"));

      // The service's lines, pointed at the scratch directory and the local repository.
      const unit = readFileSync(join(unitDir, "vsc-pull.service"), "utf8");
      const lib = join(dir, "lib");
      mkdirSync(lib);
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        VSC_PULL_REPO: `file://${repo}`,
        ANSIBLE_NOCOLOR: "1",
        ANSIBLE_LOCAL_TEMP: join(dir, "ansible-tmp"),
        ANSIBLE_HOME: join(dir, "ansible-home"),
      };
      for (const m of unit.matchAll(/^Environment=(\w+)=(.*)$/gm))
        if (m[1] !== "VSC_PULL_REPO") env[m[1]!] = m[2]!.replaceAll("/var/lib/vsc-pull", lib);
      const lines = [...unit.matchAll(/^(ExecStartPre|ExecStart)=(.*)$/gm)].map((m) =>
        m[2]!.replaceAll("/var/lib/vsc-pull", lib).replaceAll("${VSC_PULL_REPO}", "$VSC_PULL_REPO"),
      );
      assert.is(lines.length, 3, "clone, install the collection, ansible-pull");
      const extra =
        ` -e vsc_host=p1 -e vsc_binary=${join(root, "bin/vsc.js")} -e vsc_netns=${ns}` +
        ` -e vsc_cgroup_mount=${cg} -e vsc_state_dir=${join(dir, "state")}`;
      const pull = () => {
        for (const [i, l] of lines.entries())
          sh("/bin/sh", ["-c", i === lines.length - 1 ? l + extra : l], dir, env);
      };

      pull();
      const pids = () => readFileSync(join(cg, "vsc/web/pids.max"), "utf8").trim();
      assert.is(pids(), "100", "p1's configuration is applied");
      assert.not.ok(
        spawnSync("test", ["-e", join(cg, "vsc/batch")]).status === 0,
        "only p1's part",
      );
      const summary = JSON.parse(readFileSync(join(lib, "summary.json"), "utf8")) as {
        hosts: { host: string; status: string; changed: boolean }[];
      };
      assert.equal(
        summary.hosts.map((h) => [h.host, h.status, h.changed]),
        [["localhost", "ok", true]],
      );

      writeFileSync(join(repo, "fleet", "fleet.vsc"), fleetText(200));
      git("commit", "-qam", "more pids");
      pull();
      assert.is(pids(), "200", "the next run applies the new commit");
    } finally {
      if (madeNs) spawnSync("ip", ["netns", "del", ns]);
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test.run();
