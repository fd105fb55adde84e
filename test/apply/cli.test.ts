/** vsc plan/apply/destroy/show through src/cli/kernel.ts, on a scratch cgroup mount. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { rootTest } from "../root.js";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cmdApply, cmdDestroy, cmdPlan, cmdShow } from "../../src/cli/kernel.js";
import { recordingIo } from "../../src/cli/io.js";
import { makeScratchMount } from "../../src/apply/scratch.js";

const SRC = `host node1 {
  cpus 2
  memory 4GiB
  cgroup-root "vsc"
}

context a {
  id 1
  cpu { share 2 }
  memory { limit 256MiB }
}

context b {
  id 2
  memory { limit 512MiB }
}
`;

// nft and tc run for real inside a scratch netns (the rules here name no cgroup,
// so nft need not see the scratch mount); without root the tests are skipped.
import { scratchNetns } from "./fixture.js";
const ns = scratchNetns([]);

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "vsc-cli-"));
  const mount = join(dir, "cg");
  makeScratchMount(mount);
  const file = join(dir, "host.vsc");
  writeFileSync(file, SRC);
  const args = { file, cgroupMount: mount, netns: ns!.name, stateDir: join(dir, "state") };
  return { dir, mount, file, args, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// Without root there is no network namespace: every test below is then
// reported as skipped (rootTest), never as passed.
rootTest("a scratch network namespace can be made (ip netns add)", () => {
  assert.ok(ns, "ip netns add failed although running as root");
});
{
  rootTest(
    "plan: exit 0, or 2 with --detailed-exitcode when there are changes; apply; second apply says nothing to do",
    async () => {
      const t = setup();
      const io = recordingIo();
      assert.is(await cmdPlan({ ...t.args, detailedExitcode: true }, io), 2);
      assert.match(io.stdout, /Plan: 4 to add, 0 to change, 0 to destroy\./);
      assert.is(await cmdPlan(t.args, recordingIo()), 0);
      const io2 = recordingIo();
      assert.is(await cmdApply({ ...t.args, autoApprove: true }, io2), 0);
      assert.match(io2.stderr, /Apply complete! Resources: 4 added/);
      assert.is(readFileSync(join(t.mount, "vsc/a/memory.max"), "utf8").trim(), "268435456");
      const io3 = recordingIo();
      assert.is(await cmdApply({ ...t.args, autoApprove: true }, io3), 0);
      assert.match(io3.stdout, /No changes\./);
      assert.match(io3.stderr, /nothing to do, nothing written/);
      assert.is(await cmdPlan({ ...t.args, detailedExitcode: true }, recordingIo()), 0);
      assert.is(await cmdDestroy({ ...t.args, autoApprove: true }, recordingIo()), 0);
      t.cleanup();
    },
  );

  rootTest(
    "VSC5034: apply without a terminal and without --auto-approve refuses, changes nothing",
    async () => {
      const t = setup();
      const io = recordingIo();
      assert.is(await cmdApply({ ...t.args, format: "short" }, io), 1);
      assert.match(io.stderr, /VSC5034/);
      assert.is(readFileSync(join(t.mount, "cgroup.subtree_control"), "utf8").length > 0, true);
      assert.throws(() => readFileSync(join(t.mount, "vsc/cgroup.procs")));
      t.cleanup();
    },
  );

  rootTest(
    "plan -out, then apply PLAN runs it as written; a stale plan is refused (VSC5032)",
    async () => {
      const t = setup();
      const planFile = join(t.dir, "plan.json");
      assert.is(await cmdPlan({ ...t.args, out: planFile }, recordingIo()), 0);
      const saved = JSON.parse(readFileSync(planFile, "utf8"));
      assert.is(saved.format, "vsc-plan");
      assert.is(saved.version, 1);
      assert.is(await cmdApply({ ...t.args, file: planFile }, recordingIo()), 0);
      // Plan an edit, move the live state, then apply the saved plan.
      writeFileSync(t.file, SRC.replace("limit 512MiB", "limit 1GiB"));
      assert.is(await cmdPlan({ ...t.args, out: planFile }, recordingIo()), 0);
      writeFileSync(join(t.mount, "vsc/a/cpu.weight"), "5\n");
      const io = recordingIo();
      assert.is(await cmdApply({ ...t.args, file: planFile, format: "short" }, io), 1);
      assert.match(io.stderr, /VSC5032/);
      assert.is(readFileSync(join(t.mount, "vsc/b/memory.max"), "utf8").trim(), "536870912");
      await cmdDestroy({ ...t.args, autoApprove: true }, recordingIo());
      t.cleanup();
    },
  );

  rootTest("VSC5031 through the CLI: a broken plan file", async () => {
    const t = setup();
    const bad = join(t.dir, "bad.json");
    writeFileSync(bad, '{"format": "vsc-plan", "version": 9}');
    const io = recordingIo();
    assert.is(await cmdApply({ ...t.args, file: bad, format: "short" }, io), 1);
    assert.match(io.stderr, /VSC5031/);
    t.cleanup();
  });

  rootTest("show: human and --json", async () => {
    const t = setup();
    await cmdApply({ ...t.args, autoApprove: true }, recordingIo());
    const io = recordingIo();
    assert.is(await cmdShow({ ...t.args, json: true }, io), 0);
    const o = JSON.parse(io.stdout);
    assert.equal(
      o.cgroups.map((c: { path: string }) => c.path),
      ["vsc", "vsc/a", "vsc/b"],
    );
    assert.is(o.nft.present, true);
    const human = recordingIo();
    await cmdShow(t.args, human);
    assert.match(human.stdout, /vsc\/b\n(.*\n)*\s+memory\.max = "536870912"/);
    assert.match(human.stdout, /nft table inet vsc \(netns .*\): loaded, digest [0-9a-f]{64}/);
    await cmdDestroy({ ...t.args, autoApprove: true }, recordingIo());
    const after = recordingIo();
    await cmdShow(t.args, after);
    assert.match(after.stdout, /: absent\nnft table inet vsc .*: absent/);
    t.cleanup();
  });

  test.after(() => ns?.cleanup());
}

test.run();
