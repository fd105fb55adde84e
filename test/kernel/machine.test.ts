// Preflight against a real machine, and io limits on a real block device
// (kernel lab: 2 cpus, 2 GiB, run.sh's scratch disk /dev/vda = 254:0). The
// files go through the whole pipeline: check, desired state, preflight,
// plan, apply, read back from the kernel.
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { applyWithLock, planDesired } from "../../src/apply/applier.js";
import { hostKernel } from "../../src/apply/host-kernel.js";
import { desiredState } from "../../src/model/state.js";
import type { DesiredState } from "../../src/model/desired.js";
import { instrument } from "../apply/fixture.js";
import { checkText } from "../check/helpers.js";
import {
  cgroupPath,
  labSuite,
  makeCgroup,
  must,
  readCgroup,
  removeCgroup,
  run,
  runInCgroup,
  writeCgroup,
} from "./lab.js";

const test = labSuite("machine and disks");
const NS = `vsc-machine-${process.pid}`;
const yes = async () => true;

const kernel = () => hostKernel({ cgroupMount: "/sys/fs/cgroup", netns: NS });
const desired = (src: string): DesiredState => {
  const r = checkText(src);
  if (!r.ir) throw new Error(JSON.stringify(r.diagnostics, null, 1));
  return desiredState(r.ir);
};
const apply = (d: DesiredState, k = kernel()) => {
  const o = { stateDir: mkdtempSync("/tmp/vsc-machine-state-") };
  return applyWithLock(k, d.cgroupRoot, () => planDesired(k, d, o), yes, o);
};
const destroy = (root: string) => removeCgroup(root);

const host = (lines: string, root: string) =>
  `host lab {\n  ${lines}\n  cgroup-root "${root}"\n}\n`;

test.before(() => {
  run("ip", ["netns", "del", NS]);
  must("ip", ["netns", "add", NS]);
});
test.after(() => {
  for (const r of [
    "vsc-io",
    "vsc-cpus",
    "vsc-nodisk",
    "vsc-small",
    "vsc-cpus-probe",
    "vsc-nodisk-probe",
  ])
    destroy(r);
  run("ip", ["netns", "del", NS]);
});

test("the lab is the machine these tests assume: 2 cpus online, /dev/vda is 254:0", () => {
  assert.is(readFileSync("/sys/devices/system/cpu/online", "utf8").trim(), "0-1");
  assert.ok(existsSync("/sys/block/vda/dev"), "no scratch disk: run the lab without --no-disk");
  assert.is(readFileSync("/sys/block/vda/dev", "utf8").trim(), "254:0");
});

const IO = `${host("cpus 2\n  memory 1GiB\n  disk vda 254:0", "vsc-io")}
context slow {
  id 1
  io {
    share 200
    device vda { read 100KB/s  write 5MiB/s  riops 1000  wiops 500 }
  }
}
context fast {
  id 2
}
`;

test("io { device vda ... } is applied to 254:0: io.max and io.weight read back from the kernel", async () => {
  const d = desired(IO);
  const out = await apply(d);
  assert.ok(out.result?.ok, JSON.stringify(out.diagnostics));
  assert.is(
    readCgroup("vsc-io/slow", "io.max"),
    "254:0 rbps=100000 wbps=5242880 riops=1000 wiops=500",
  );
  // io shares 200 : 1 (an absent share counts as 1) become weights 10000 : 50,
  // as cpu shares do (docs/artifacts.md, "IO weights").
  assert.is(readCgroup("vsc-io/slow", "io.weight"), "default 10000");
  assert.is(readCgroup("vsc-io/fast", "io.max"), "");
  assert.is(readCgroup("vsc-io/fast", "io.weight"), "default 50");
  // Converged: a second plan has nothing to do.
  assert.is(planDesired(kernel(), d, {}).plan?.actions.length, 0);
});

test("the io.max read limit binds: 512 KiB of direct reads from /dev/vda take 5 s in slow, not in fast", () => {
  // dd's own figure (the copy alone): process start-up under emulation is seconds on a busy host.
  const read = (cg: string) => {
    const r = runInCgroup(
      cg,
      "dd",
      ["if=/dev/vda", "of=/dev/null", "bs=64k", "count=8", "iflag=direct"],
      { timeoutMs: 60_000, env: { ...process.env, LC_ALL: "C" } },
    );
    assert.is(r.code, 0, r.stderr);
    const m = /copied, ([\d.e-]+) s/.exec(r.stderr);
    assert.ok(m, r.stderr);
    return Number(m![1]);
  };
  const fast = read("vsc-io/fast");
  const slow = read("vsc-io/slow");
  // 524,288 bytes at 100,000 bytes/s: about 5.2 s, less the first throttle slice's allowance.
  assert.ok(slow >= 4, `slow read took ${slow}s`);
  assert.ok(fast < slow / 2, `fast ${fast}s, slow ${slow}s`);
});

test("cpus 4 on the 2-cpu lab is refused before any write (VSC5070)", async () => {
  const src = `${host("cpus 4\n  memory 1GiB", "vsc-cpus")}context a {\n  id 1\n  cpu { cores 1 }\n}\ncontext b {\n  id 2\n}\n`;
  const k = instrument(kernel());
  const out = await apply(desired(src), k);
  assert.equal(
    out.diagnostics.map((x) => x.code),
    ["VSC5070"],
  );
  assert.is(
    out.diagnostics[0]!.message,
    "the host block declares 4 cpus (0-3), but this machine has 2 online (0-1)",
  );
  assert.is(k.writes, 0);
  assert.not.ok(existsSync(cgroupPath("vsc-cpus")));
  // What preflight spares: the kernel itself refuses the cpuset such a file writes.
  makeCgroup("vsc-cpus-probe/a", ["cpuset"]);
  // (ERANGE on 6.1: cpulist_parse stops at nr_cpu_ids; EINVAL for cpus outside the parent's.)
  assert.throws(
    () => writeCgroup("vsc-cpus-probe/a", "cpuset.cpus", "0,2-3"),
    (e: NodeJS.ErrnoException) => e.code === "ERANGE" || e.code === "EINVAL",
  );
  writeCgroup("vsc-cpus-probe/a", "cpuset.cpus", "1");
  assert.is(readCgroup("vsc-cpus-probe/a", "cpuset.cpus"), "1");
});

test("a disk the lab does not have is refused before any write (VSC5072)", async () => {
  const src = `${host("cpus 2\n  memory 1GiB\n  disk sdb 8:16", "vsc-nodisk")}context a {\n  id 1\n  io { device sdb { read 10MB/s } }\n}\n`;
  const k = instrument(kernel());
  const out = await apply(desired(src), k);
  assert.equal(
    out.diagnostics.map((x) => x.code),
    ["VSC5072"],
  );
  assert.is(k.writes, 0);
  assert.not.ok(existsSync(cgroupPath("vsc-nodisk")));
  // What preflight spares: io.max for a device the machine lacks is ENODEV.
  makeCgroup("vsc-nodisk-probe/a", ["io"]);
  assert.throws(() => writeCgroup("vsc-nodisk-probe/a", "io.max", "8:16 rbps=1000000"), /ENODEV/);
});

test("a smaller declaration than the lab applies, with the larger-machine note (VSC5074)", async () => {
  const src = `${host("cpus 1\n  memory 512MiB", "vsc-small")}context a {\n  id 1\n  memory { limit 64MiB }\n}\n`;
  const out = await apply(desired(src));
  assert.ok(out.result?.ok, JSON.stringify(out.diagnostics));
  assert.equal(
    out.diagnostics.map((x) => `${x.severity}:${x.code}`),
    ["note:VSC5074"],
  );
  assert.match(out.diagnostics[0]!.message, /2 cpus online \(the host block declares 1\)/);
  assert.is(readCgroup("vsc-small/a", "memory.max"), "67108864");
});

test.run();
