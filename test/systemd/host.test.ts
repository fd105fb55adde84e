/**
 * The real host's readers (src/systemd/host.ts, src/systemd/unit-dir.ts) on
 * a scratch directory: cgroup values read by `tail` in a few runs must be
 * exactly what reading each file gives (absent, empty, several lines, odd
 * names, runs split by the size of their names), and the plan made with
 * them must be the one made reading each value.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { recordingIo } from "../../src/cli/io.js";
import { sdCmdApply, sdCmdPlan } from "../../src/cli/systemd.js";
import {
  type SystemdHost,
  parseTail,
  readByTail,
  realSystemdHost,
} from "../../src/systemd/host.js";
import { readSmallFile } from "../../src/systemd/unit-dir.js";
import { checkText } from "../check/helpers.js";
import { fakeSystemd } from "./fake-systemd.js";

function scratch(): { dir: string; names: string[]; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "vsc-tail-"));
  const files: Record<string, string> = {
    "vsc.slice/vsc-web\\x2dtier.slice/cpu.weight": "100\n",
    "vsc.slice/vsc-a:b.slice/io.max": "254:0 rbps=1 wbps=max riops=max wiops=max\n8:0 rbps=2\n",
    "vsc.slice/empty.slice/cpuset.cpus": "\n",
    "vsc.slice/zero.slice/cpuset.cpus": "",
    "vsc.slice/nonl.slice/pids.max": "max",
    "vsc.slice/x.slice/memory.max": "33554432\n",
  };
  for (const [p, t] of Object.entries(files)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), t);
  }
  const names = [
    "vsc.slice/vsc-web\\x2dtier.slice/cpu.weight",
    "vsc.slice/gone.slice/cpu.weight",
    "vsc.slice/vsc-a:b.slice/io.max",
    "vsc.slice/empty.slice/cpuset.cpus",
    "vsc.slice/zero.slice/cpuset.cpus",
    "vsc.slice/nonl.slice/pids.max",
    "vsc.slice/x.slice/memory.max",
    "vsc.slice/x.slice/memory.high",
  ];
  return { dir, names, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const each = (dir: string) => (p: string) => {
  const t = readSmallFile(join(dir, p), false);
  return t === undefined ? undefined : t.endsWith("\n") ? t.slice(0, -1) : t;
};

test("values read by tail are what reading each file gives, in one run or many", () => {
  const { dir, names, cleanup } = scratch();
  try {
    const one = each(dir);
    const want = names.map(one);
    assert.equal(want, [
      "100",
      undefined,
      "254:0 rbps=1 wbps=max riops=max wiops=max\n8:0 rbps=2",
      "",
      "",
      "max",
      "33554432",
      undefined,
    ]);
    let fallbacks = 0;
    const counted = (p: string) => (fallbacks++, one(p));
    assert.equal(readByTail(dir, names, counted), want);
    assert.is(fallbacks, 0, "tail read them all");
    // One name a run: eight runs of tail, the same values.
    assert.equal(readByTail(dir, names, counted, 1), want);
    assert.is(fallbacks, 0);
    // The host's own reader, with the directory as its cgroup mount.
    assert.equal(realSystemdHost({ cgroupMount: dir }).readCgroups!(names), want);
  } finally {
    cleanup();
  }
});

test("when tail cannot run or its output does not parse, each file is read instead", () => {
  const { dir, names, cleanup } = scratch();
  try {
    let fallbacks = 0;
    const missingDir = join(dir, "no-such-dir");
    const r = readByTail(missingDir, names, (p) => (fallbacks++, each(dir)(p)));
    assert.is(fallbacks, names.length);
    assert.equal(r, names.map(each(dir)));
    assert.is(parseTail("garbage\n", names), undefined);
    assert.is(parseTail("==> not-asked <==\n1\n", names), undefined);
    assert.equal(parseTail("", ["a", "b"]), [undefined, undefined]);
    assert.equal(parseTail("==> b <==\n1\n", ["a", "b"]), [undefined, "1"]);
  } finally {
    cleanup();
  }
});

test("a plan read through tail is the plan read value by value", async () => {
  const fake = fakeSystemd();
  try {
    const real = realSystemdHost({ cgroupMount: fake.cgroupMount });
    const viaTail = {
      ...fake,
      readCgroup: real.readCgroup.bind(real),
      readCgroups: real.readCgroups!.bind(real),
    };
    let n = 0;
    const counting = {
      ...viaTail,
      readCgroup: (p: string, f: string) => (n++, real.readCgroup(p, f)),
    };
    const text = `host h { cpus 2  memory 4GiB  driver systemd }
context a { id 1  cpu { share 2 }  memory { limit 64MiB } }
context b { id 2  pids { limit 100 } }
`;
    const r = checkText(text);
    assert.ok(r.ir, JSON.stringify(r.diagnostics));
    const args = { file: "main.vsc", autoApprove: true, stateDir: join(fake.root, "run") };
    const io0 = recordingIo();
    assert.is(await sdCmdApply(r.ir!, args, io0, viaTail), 0, io0.stderr);
    const plan = (h: SystemdHost) => {
      const io = recordingIo();
      const code = sdCmdPlan(r.ir!, { ...args, detailedExitcode: true }, io, h);
      return { code, out: io.stdout };
    };
    n = 0;
    assert.equal(plan(counting), { code: 0, out: plan(fake).out });
    assert.is(n, 0, "no value read one by one");
    writeFileSync(join(fake.cgroupMount, "vsc.slice/vsc-b.slice/pids.max"), "7\n");
    rmSync(join(fake.cgroupMount, "vsc.slice/vsc-a.slice/memory.max"));
    const changed = plan(counting);
    assert.is(changed.code, 2);
    assert.is(changed.out, plan(fake).out);
    assert.match(changed.out, "~ vsc-b.slice TasksMax (pids.max): 7 -> 100");
    assert.match(changed.out, "~ vsc-a.slice MemoryMax (memory.max): (absent) -> 67108864");
  } finally {
    fake.cleanup();
  }
});

test.run();
