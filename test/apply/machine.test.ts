/**
 * Preflight compares the host block with the machine (cpus, memory, disks)
 * before anything is written. The machine here is a scratch tree's own
 * description (.vsc-machine/), read through the Kernel interface: these
 * tests would see this host's real cpus and disks if preflight read /sys
 * itself.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyWithLock, planDesired } from "../../src/apply/applier.js";
import { hostKernel } from "../../src/apply/host-kernel.js";
import type { Kernel } from "../../src/apply/kernel.js";
import { needsOf, preflight } from "../../src/apply/preflight.js";
import {
  describeScratchMachine,
  makeScratchMount,
  type ScratchMachine,
} from "../../src/apply/scratch.js";
import { cmdApply, cmdPlan } from "../../src/cli/kernel.js";
import { recordingIo } from "../../src/cli/io.js";
import { desiredState } from "../../src/model/state.js";
import { checkText } from "../check/helpers.js";
import { instrument, scratchNetns } from "./fixture.js";

const GiB = 1024 ** 3;

/** nft and tc answer like a healthy host (the machine is what is under test). */
const okTools = (k: Kernel): Kernel => ({
  ...k,
  run: () => ({ status: 0, stdout: "", stderr: "" }),
});

function machine(m?: ScratchMachine) {
  const dir = mkdtempSync(join(tmpdir(), "vsc-machine-"));
  const mount = join(dir, "cg");
  makeScratchMount(mount);
  if (m) describeScratchMachine(mount, m);
  return {
    dir,
    mount,
    stateDir: join(dir, "state"),
    kernel: () => okTools(hostKernel({ cgroupMount: mount })),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const program = (host: string, body = "") =>
  `host h {\n  ${host}\n}\ncontext a {\n  id 1\n  ${body}\n}\n`;
const desired = (src: string) => {
  const r = checkText(src);
  if (!r.ir) throw new Error(JSON.stringify(r.diagnostics));
  return desiredState(r.ir);
};
const check = (m: ScratchMachine | undefined, src: string) => {
  const t = machine(m);
  try {
    return preflight(t.kernel(), needsOf(desired(src)));
  } finally {
    t.cleanup();
  }
};
const codes = (ds: { code: string; severity: string }[]) =>
  ds.map((d) => `${d.severity}:${d.code}`);

const TWO = { cpus: "0-1", memory: 2 * GiB, disks: ["254:0"], partitions: ["254:1"] };

test("VSC5070: 4 cpus declared on a 2-cpu machine is refused, naming the cpus", () => {
  const ds = check(TWO, program("cpus 4  memory 1GiB"));
  assert.equal(codes(ds), ["error:VSC5070"]);
  assert.is(
    ds[0]!.message,
    "the host block declares 4 cpus (0-3), but this machine has 2 online (0-1)",
  );
  assert.match(ds[0]!.notes!.join("\n"), /cpus 2-3 are not online/);
  assert.match(ds[0]!.help!, /declare at most cpus 2/);
});

test("VSC5070: a declared cpu that is offline (a gap in the online list) is refused", () => {
  const ds = check({ ...TWO, cpus: "0,2-3" }, program("cpus 3  memory 1GiB"));
  assert.equal(codes(ds), ["error:VSC5070"]);
  assert.match(ds[0]!.notes![0]!, /cpu 1 is not online/);
});

test("the same cpus as declared: nothing to say; 3 declared on 3 reads the scratch machine, not this host", () => {
  assert.equal(check(TWO, program("cpus 2  memory 2GiB")), []);
  assert.equal(check({ ...TWO, cpus: "0-2" }, program("cpus 3  memory 2GiB")), []);
});

test("VSC5074: a larger machine is fine, said in a note", () => {
  const ds = check({ ...TWO, cpus: "0-7", memory: 16 * GiB }, program("cpus 4  memory 8GiB"));
  assert.equal(codes(ds), ["note:VSC5074"]);
  assert.is(
    ds[0]!.message,
    "this machine is larger than the host block declares: 8 cpus online (the host block declares 4), 16GiB of memory (the host block declares 8GiB)",
  );
});

test("VSC5071: more memory declared than MemTotal is a warning, not a refusal", () => {
  const ds = check(TWO, program("cpus 2  memory 4GiB"));
  assert.equal(codes(ds), ["warning:VSC5071"]);
  assert.match(ds[0]!.message, /declares memory 4GiB, but this machine has 2GiB \(MemTotal\)/);
});

test("VSC5072: a disk the machine does not have; VSC5073: a partition", () => {
  const absent = check(TWO, program("cpus 2  memory 2GiB  disk sdb 8:16"));
  assert.equal(codes(absent), ["error:VSC5072"]);
  assert.is(absent[0]!.message, "disk sdb 8:16 does not exist on this machine");
  assert.match(absent[0]!.notes![0]!, /^declared at main\.vsc:2;/);
  const part = check(TWO, program("cpus 2  memory 2GiB  disk vda1 254:1"));
  assert.equal(codes(part), ["error:VSC5073"]);
  assert.equal(check(TWO, program("cpus 2  memory 2GiB  disk vda 254:0")), []);
});

test("a refusal on a larger machine carries no larger-machine note", () => {
  const ds = check({ ...TWO, cpus: "0-7" }, program("cpus 2  memory 1GiB  disk sdb 8:16"));
  assert.equal(codes(ds), ["error:VSC5072"]);
});

test("every mismatch at once", () => {
  const ds = check(TWO, program("cpus 4  memory 4GiB  disk sdb 8:16  disk vda1 254:1"));
  assert.equal(codes(ds), ["error:VSC5070", "warning:VSC5071", "error:VSC5072", "error:VSC5073"]);
});

test("VSC5075: a scratch tree that describes no machine is compared with nothing, and says so", () => {
  const ds = check(undefined, program("cpus 4096  memory 1TiB  disk sdb 8:16"));
  assert.equal(codes(ds), ["note:VSC5075"]);
  assert.match(ds[0]!.notes![0]!, /\.vsc-machine/);
});

const CORES = `${program("cpus 4  memory 1GiB", "cpu { cores 1 }")}context b {\n  id 2\n}\n`;

test("refused before any write: 4 cpus with whole cores on a 2-cpu machine", async () => {
  const t = machine(TWO);
  try {
    const k = instrument(t.kernel());
    const d = desired(CORES);
    const o = { stateDir: t.stateDir };
    const out = await applyWithLock(
      k,
      d.cgroupRoot,
      () => planDesired(k, d, o),
      async () => true,
      o,
    );
    assert.equal(
      out.diagnostics.map((x) => x.code),
      ["VSC5070"],
    );
    assert.is(out.plan, undefined);
    assert.is(k.writes, 0);
    // Without preflight the same apply gets as far as the first cpuset.cpus write:
    // what the check spares (the scratch tree refuses it as the kernel does).
    const k2 = instrument(t.kernel());
    const o2 = { ...o, skipPreflight: true };
    const half = await applyWithLock(
      k2,
      d.cgroupRoot,
      () => planDesired(k2, d, o2),
      async () => true,
      o2,
    );
    assert.is(half.result?.ok, false);
    assert.ok(
      k2.log.some((l) => /^write vsc\/b\/cpuset\.cpus 0,2-3$/.test(l)),
      k2.log.join("\n"),
    );
    assert.ok(k2.writes > 1);
  } finally {
    t.cleanup();
  }
});

test("preflight reads the machine only through the Kernel: mounts, namespaces and the unified hierarchy", () => {
  const dir = mkdtempSync(join(tmpdir(), "vsc-machine-"));
  try {
    const asked: string[] = [];
    const k: Kernel = {
      ...okTools(hostKernel({ cgroupMount: dir })),
      mountKind: () => "other",
      read: (p) => (asked.push(`read ${p}`), p === "unified/cgroup.controllers" ? "" : undefined),
      machineRead: (p) => (
        asked.push(`machineRead ${p}`),
        p === "/proc/self/mounts"
          ? "cgroup /sys/fs/cgroup/memory cgroup rw,nosuid,memory 0 0\n"
          : undefined
      ),
      machineHas: (p) => (asked.push(`machineHas ${p}`), false),
      netns: "nowhere",
    };
    const ds = preflight(k, needsOf(desired(program("cpus 2  memory 1GiB"))));
    assert.equal(
      ds.map((d) => d.code),
      ["VSC5001", "VSC5007"],
    );
    assert.match(ds[0]!.help!, /hybrid cgroup2/);
    assert.equal(ds[0]!.notes, ["cgroup v1 hierarchies mounted: memory"]);
    assert.equal(asked, [
      "machineRead /proc/self/mounts",
      "read unified/cgroup.controllers",
      "machineHas /run/netns/nowhere",
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const ns = scratchNetns([]);
if (!ns) {
  test("CLI tests of the machine comparison need root (ip netns add)", () => {});
} else {
  test("vsc plan prints the larger-machine note with the plan; vsc apply refuses a missing disk (exit 1, nothing written)", async () => {
    const t = machine({ cpus: "0-7", memory: 16 * GiB, disks: ["254:0"] });
    try {
      const file = join(t.dir, "host.vsc");
      writeFileSync(file, program("cpus 2  memory 1GiB  disk vda 254:0", "memory { limit 64MiB }"));
      const args = { file, cgroupMount: t.mount, netns: ns.name, stateDir: t.stateDir };
      const io = recordingIo();
      assert.is(await cmdPlan(args, io), 0);
      assert.match(
        io.stderr,
        /note\[VSC5074\]: this machine is larger than the host block declares/,
      );
      assert.match(io.stdout, /Plan: 3 to add/, io.stdout);
      writeFileSync(file, program("cpus 2  memory 1GiB  disk sdb 8:16", "memory { limit 64MiB }"));
      const io2 = recordingIo();
      assert.is(await cmdApply({ ...args, autoApprove: true }, io2), 1);
      assert.match(io2.stderr, /error\[VSC5072\]: disk sdb 8:16 does not exist on this machine/);
      assert.is(hostKernel({ cgroupMount: t.mount }).list("vsc"), undefined);
    } finally {
      t.cleanup();
    }
  });
  test.after(() => ns.cleanup());
}

test.run();
