// The kernel lab's own check: the guest really has cgroup v2 with controllers,
// and mapping.md's network path works end to end: nftables `socket cgroupv2`
// sets the priority of exactly one cgroup's packets, and HTB puts them in the
// class that priority names.
import * as assert from "uvu/assert";
import {
  labSuite,
  makeCgroup,
  must,
  readCgroup,
  removeCgroup,
  run,
  runInCgroup,
  scratchNet,
  tcClassStats,
  writeCgroup,
  type ScratchNet,
} from "./lab.js";

const test = labSuite("kernel lab");

test("cgroup2 is mounted with the controllers vsc uses, enabled at the root", () => {
  const available = readCgroup("", "cgroup.controllers").split(" ");
  const enabled = readCgroup("", "cgroup.subtree_control").split(" ");
  for (const c of ["cpu", "cpuset", "memory", "io", "pids"]) {
    assert.ok(available.includes(c), `controller ${c} not available: ${available.join(" ")}`);
    assert.ok(enabled.includes(c), `controller ${c} not enabled at the root: ${enabled.join(" ")}`);
  }
});

test("a new cgroup takes a cpu.weight and reads it back; the kernel rejects a bad one", () => {
  const cg = "vsc-lab-smoke/a";
  try {
    makeCgroup(cg, ["cpu", "memory"]);
    assert.is(readCgroup(cg, "cpu.weight"), "100");
    writeCgroup(cg, "cpu.weight", "250");
    assert.is(readCgroup(cg, "cpu.weight"), "250");
    writeCgroup(cg, "memory.max", "67108864");
    assert.is(readCgroup(cg, "memory.max"), "67108864");
    // cpu.weight is 1..10000; the kernel answers ERANGE.
    assert.throws(() => writeCgroup(cg, "cpu.weight", "0"), /ERANGE/);
    assert.is(readCgroup(cg, "cpu.weight"), "250");
  } finally {
    removeCgroup("vsc-lab-smoke");
  }
});

test("run() enforces its timeout", () => {
  const r = run("sleep", ["10"], { timeoutMs: 500 });
  assert.ok(r.timedOut, "sleep 10 should have been killed after 0.5 s");
  assert.is.not(r.code, 0);
});

test("nft socket cgroupv2 + meta priority steers one cgroup's pings into HTB class 1:65", () => {
  const cg = "vsc-lab/web";
  let net: ScratchNet | undefined;
  try {
    makeCgroup(cg);
    net = scratchNet();
    const { nsA, devA, addrB } = net;
    must("tc", ["qdisc", "add", "dev", devA, "root", "handle", "1:", "htb", "default", "10"], {
      netns: nsA,
    });
    for (const [id, rate] of [
      ["1:10", "10mbit"],
      ["1:65", "10mbit"],
    ]) {
      must(
        "tc",
        ["class", "add", "dev", devA, "parent", "1:", "classid", id, "htb", "rate", rate],
        {
          netns: nsA,
        },
      );
    }
    // Through nsenter, so nft resolves "vsc-lab/web" against the cgroup2 mount.
    must("nft", ["-f", "-"], {
      netns: nsA,
      input: [
        "table inet vsclab {",
        "  chain out {",
        "    type filter hook output priority 0; policy accept;",
        '    socket cgroupv2 level 2 "vsc-lab/web" meta priority set 1:65',
        "  }",
        "}",
        "",
      ].join("\n"),
    });
    assert.match(
      must("nft", ["list", "table", "inet", "vsclab"], { netns: nsA }),
      /cgroupv2 level 2/,
    );

    const ping = ["-c", "5", "-i", "0.2", "-W", "5", addrB];
    const before = tcClassStats(devA, nsA);

    // Control: the same pings from outside the cgroup land in the default class.
    must("ping", ping, { netns: nsA });
    const mid = tcClassStats(devA, nsA);
    assert.is(mid.get("1:10")!.packets - before.get("1:10")!.packets, 5, "control pings -> 1:10");
    assert.is(
      mid.get("1:65")!.packets,
      before.get("1:65")!.packets,
      "control pings must not reach 1:65",
    );

    const r = runInCgroup(cg, "ping", ping, { netns: nsA });
    assert.is(r.code, 0, `ping from the cgroup failed: ${r.stderr}${r.stdout}`);
    const after = tcClassStats(devA, nsA);
    assert.is(after.get("1:65")!.packets - mid.get("1:65")!.packets, 5, "cgroup pings -> 1:65");
    assert.is(
      after.get("1:10")!.packets,
      mid.get("1:10")!.packets,
      "default class must stay still",
    );
  } finally {
    net?.destroy();
    removeCgroup("vsc-lab");
  }
});

test.run();
