/**
 * #16 through `vsc plan`/`apply` on a scratch cgroup mount: memory %,
 * cpuset.cpus of a shared set and memory.oom.group are written, read back,
 * and the second apply has nothing to do (the kernel lab repeats it on
 * cgroup v2: test/kernel/security-resources.test.ts).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { rootTest } from "../root.js";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cmdApply, cmdPlan } from "../../src/cli/kernel.js";
import { recordingIo } from "../../src/cli/io.js";
import { makeScratchMount } from "../../src/apply/scratch.js";
import { scratchNetns } from "./fixture.js";

const SRC = `host node1 {
  cpus 4
  memory 8GiB
  cgroup-root "vsc"
}

context db {
  id 402
  cpu { cpus "1-2" }
  memory { high 40%  limit 50%  oom group }
}

context web {
  id 403
}
`;

const ns = scratchNetns([]);

rootTest("cpuset.cpus, memory % and memory.oom.group: applied, read back, idempotent", async () => {
  const dir = mkdtempSync(join(tmpdir(), "vsc-sec-apply-"));
  try {
    const mount = join(dir, "cg");
    makeScratchMount(mount);
    const file = join(dir, "host.vsc");
    writeFileSync(file, SRC);
    const args = { file, cgroupMount: mount, netns: ns!.name, stateDir: join(dir, "state") };
    assert.is(await cmdApply({ ...args, autoApprove: true }, recordingIo()), 0);
    const read = (p: string) => readFileSync(join(mount, p), "utf8").trim();
    assert.is(read("vsc/db/cpuset.cpus"), "1-2");
    assert.is(read("vsc/db/memory.oom.group"), "1");
    assert.is(read("vsc/web/memory.oom.group"), "0");
    assert.is(read("vsc/db/memory.max"), String(4 * 1024 ** 3));
    assert.is(
      read("vsc/db/memory.high"),
      String(Math.floor((8 * 1024 ** 3 * 4) / 10 / 4096) * 4096),
    );
    assert.match(read("vsc/cgroup.subtree_control"), /cpuset/);
    const again = recordingIo();
    assert.is(await cmdApply({ ...args, autoApprove: true }, again), 0);
    assert.match(again.stdout, /No changes\./);
    assert.is(await cmdPlan({ ...args, detailedExitcode: true }, recordingIo()), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.after(() => ns?.cleanup());
test.run();
