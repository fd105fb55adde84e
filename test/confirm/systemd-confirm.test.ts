/**
 * `vsc apply --confirm` under driver systemd (#19, src/apply/confirm-systemd.ts)
 * against the driver's stand-in systemd (test/systemd/fake-systemd.ts): the
 * undo puts back every file, link, value and unit placement; confirm keeps
 * them and removes the timer and the boot guard; the boot guard's revert
 * puts the files back; a second apply is refused; a tampered record is
 * refused with nothing changed. The real systemd proof is
 * test/kernel/systemd-confirm.test.ts in the systemd lab.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { recordingIo } from "../../src/cli/io.js";
import { sdCmdApply, sdCmdShow } from "../../src/cli/systemd.js";
import {
  guardName,
  readSdPending,
  runtimeAssignments,
  sdConfirm,
  sdRevert,
  sdStateFiles,
  serializeSdPending,
  type SdPendingRecord,
} from "../../src/apply/confirm-systemd.js";
import { checkText } from "../check/helpers.js";
import { type FakeSystemd, fakeSystemd, listUnitDir } from "../systemd/fake-systemd.js";

const SRC = (share: number, extra = "") => `host web1 {
  cpus 4
  memory 8GiB
  driver systemd
}
context shop {
  id 501
  units "nginx.service"
  cpu { share ${share}  limit 1.5 cpus }
  memory { limit 1GiB }
}
${extra}`;
const A = SRC(4);
const B = SRC(2, "context batch { id 503  cpu { share 1 } }\n");

const irOf = (text: string) => {
  const r = checkText(text);
  assert.ok(r.ir, JSON.stringify(r.diagnostics));
  return r.ir!;
};

type Host = FakeSystemd & {
  timers: string[][];
  jobs: string;
  /** What nft and tc were given to load (argv, then the input). */
  net: string[][];
  /** table inet vsc as the fake nft holds it: its digest, or null when absent. */
  table: string | null;
};

/** The digest a ruleset's text carries (what `nft list chains inet` shows of it). */
const digestOf = (text: string) => /comment "vsc:([0-9a-f]+)"/.exec(text)?.[1] ?? "";

/**
 * The fake plus systemd-run (recorded), and an nft that holds table inet vsc
 * (vsc-net.service loads ruleset.nft when started or restarted; `nft -f -`
 * loads or deletes it) and a tc with no qdiscs; loads are recorded in `net`
 * and, in order with systemctl's, in `calls`.
 */
function host(): Host {
  const h = fakeSystemd() as Host;
  h.timers = [];
  h.jobs = "";
  h.net = [];
  h.table = null;
  const run = h.run.bind(h);
  const ok = (out = "") => ({ ok: true, status: 0, out, err: "" });
  h.run = (argv, input) => {
    if (argv[0] === "systemd-run") {
      h.timers.push(argv);
      return ok();
    }
    if (argv[0] === "nft") {
      const t = input ?? "";
      if (/^list /m.test(t) || argv[1] === "list")
        return ok(
          h.table === null
            ? ""
            : `table inet vsc\ntable inet vsc {\n\tchain digest {\n\t\tcomment "vsc:${h.table}"\n\t}\n}\n`,
        );
      h.net.push([...argv, t]);
      h.calls.push(argv);
      h.table = /^table inet vsc \{\n\tchain digest/m.test(t) ? digestOf(t) : null;
      return ok();
    }
    if (argv[0] === "tc") {
      if (!/^(qdisc|class) show/m.test(input ?? "")) {
        h.net.push([...argv, input ?? ""]);
        h.calls.push(argv);
      }
      return ok();
    }
    if (argv[0] === "systemctl" && (argv[1] === "start" || argv[1] === "restart")) {
      const r = run(argv, input);
      const ruleset = join(h.installDir, "ruleset.nft");
      if (r.ok && argv.some((a) => a === "vsc-net.service" || a === "vsc.target"))
        h.table = existsSync(ruleset) ? digestOf(readFileSync(ruleset, "utf8")) : null;
      return r;
    }
    if (argv[1] === "list-jobs") {
      h.calls.push(argv.slice(1));
      return { ok: true, status: 0, out: h.jobs, err: "" };
    }
    if (argv[1] === "start" && argv[2] === "--no-block") {
      h.calls.push(argv.slice(1));
      return { ok: true, status: 0, out: "", err: "" };
    }
    return run(argv, input);
  };
  h.units["nginx.service"] = {
    load: "loaded",
    active: "active",
    cgroup: "/system.slice/nginx.service",
    slice: "system.slice",
  };
  return h;
}

const args = (h: FakeSystemd, extra: object = {}) => ({
  file: "main.vsc",
  stateDir: join(h.root, "state"),
  autoApprove: true,
  ...extra,
});

type State = ReturnType<typeof state>;

/** Everything the driver owns on the fake host. */
function state(h: FakeSystemd) {
  const files: Record<string, string> = {};
  for (const f of listUnitDir(h)) {
    try {
      files[f] = readFileSync(join(h.unitDir, f), "utf8");
    } catch {
      files[f] = "(link)";
    }
  }
  for (const f of ["ruleset.nft", "tc.batch"]) {
    try {
      files[`install:${f}`] = readFileSync(join(h.installDir, f), "utf8");
    } catch {
      /* absent */
    }
  }
  const values: Record<string, string | undefined> = {};
  for (const s of ["vsc.slice/vsc-shop.slice", "vsc.slice/vsc-batch.slice"])
    for (const f of ["cpu.weight", "cpu.max", "memory.max"])
      values[`${s}/${f}`] = h.readCgroup(s, f);
  return { files, values, nginx: h.units["nginx.service"]!.cgroup, table: (h as Host).table };
}

const st = (h: FakeSystemd) => sdStateFiles(join(h.root, "state"), "vsc");
const revert = (h: FakeSystemd, o: object = {}) =>
  sdRevert(h, st(h), { lockDir: join(h.root, "state"), ...o });

function withHost(fn: (h: Host) => Promise<void>) {
  return async () => {
    const h = host();
    try {
      await fn(h);
    } finally {
      h.cleanup();
    }
  };
}

/** A applied, then B applied pending confirmation (10 minutes): the state before B, B's output. */
async function pendingAfterA(h: FakeSystemd): Promise<{ before: State; stderr: string }> {
  const io0 = recordingIo();
  assert.is(await sdCmdApply(irOf(A), args(h), io0, h), 0, io0.stderr);
  const before = state(h);
  const io = recordingIo();
  assert.is(await sdCmdApply(irOf(B), args(h, { confirmSeconds: 600 }), io, h), 0, io.stderr);
  return { before, stderr: io.stderr };
}

/** The outcome record the last confirm or revert wrote. */
const outcomeOf = (h: FakeSystemd) =>
  JSON.parse(readFileSync(join(h.root, "state", `${st(h).key}.outcome`), "utf8"));

test(
  "revert: every file, link, value and the unit's placement back; timer and boot guard armed, then gone",
  withHost(async (h) => {
    const { before, stderr } = await pendingAfterA(h);
    assert.match(stderr, "Pending confirmation: it reverts by itself at");
    assert.not.equal(state(h), before);
    const pendingTimer = (readSdPending(st(h), h) as { record: SdPendingRecord }).record.timer;
    assert.is(h.timers.length, 1);
    assert.match(h.timers[0]!.join(" "), /--on-active=525s .* revert --due [0-9a-f]{32} /);
    const guard = readFileSync(join(h.unitDir, guardName(st(h))), "utf8");
    assert.match(
      guard,
      /^ExecStart=\S+ \S+vsc\.js revert --boot --state-dir \S+ --pending-dir \S+ --cgroup-root vsc$/m,
    );
    assert.match(guard, /^Before=vsc-batch\.slice$/m);
    assert.match(guard, /^Before=nginx\.service$/m);
    assert.match(guard, /^WantedBy=sysinit\.target$/m);
    assert.ok(listUnitDir(h).includes(`sysinit.target.wants/${guardName(st(h))}`));
    const show = recordingIo();
    sdCmdShow(irOf(B), args(h), show, h);
    assert.match(show.stdout, "pending confirmation: applied");
    // A second apply (and a destroy) is refused while pending.
    const again = recordingIo();
    assert.is(await sdCmdApply(irOf(A), args(h), again, h), 1);
    assert.match(again.stderr, "VSC5401");
    h.calls.length = 0;
    h.net.length = 0;
    // A unit started into the slice the apply created: stopped with it, and named.
    mkdirSync(join(h.cgroupMount, "vsc.slice/vsc-batch.slice/intruder.service"));
    const r = await revert(h);
    assert.is(r.code, 0, JSON.stringify(r.diagnostics));
    assert.match(r.message!, "read back, the state is exactly the one before it");
    assert.match(r.message!, "stopped with the slices the apply created: intruder.service");
    assert.equal(state(h), before);
    // The undo: shop's previous share set at runtime and the slice the apply created stopped,
    // both before the one daemon-reload (which then finds the same share in the restored
    // file: the runtime drop-in is gone by then); nothing to start (every slice of before
    // runs), the ruleset the same (nothing loaded, the net service not restarted). Then the
    // timer.
    assert.equal(h.calls, [
      ["set-property", "--runtime", "--", "vsc-shop.slice", "CPUWeight=100"],
      ["stop", "--", "vsc-batch.slice"],
      ["daemon-reload"],
      ["stop", "--", `${pendingTimer}.timer`, `${pendingTimer}.service`],
    ]);
    assert.not.ok(existsSync(join(h.controlDir, "vsc-shop.slice.d")), "runtime drop-ins left");
    // The kernel's part was back (and read back) before the reload.
    const out = outcomeOf(h);
    assert.ok(out.kernelAt > 0 && out.kernelAt <= out.restoredAt, JSON.stringify(out));
    assert.equal(h.net, []);
    assert.is(readSdPending(st(h), h).kind, "none");
    assert.ok(!listUnitDir(h).some((f) => f.includes("vsc-boot-revert")));
  }),
);

test(
  "from nothing: the revert removes every file and link and moves the unit back",
  withHost(async (h) => {
    const io = recordingIo();
    assert.is(await sdCmdApply(irOf(A), args(h, { confirmSeconds: 60 }), io, h), 0, io.stderr);
    assert.is(h.units["nginx.service"]!.cgroup, "/vsc.slice/vsc-shop.slice/nginx.service");
    assert.ok(h.table, "the net service loaded table inet vsc");
    const timer = (readSdPending(st(h), h) as { record: SdPendingRecord }).record.timer;
    h.calls.length = 0;
    const r = await revert(h);
    assert.is(r.code, 0, JSON.stringify(r.diagnostics));
    assert.equal(listUnitDir(h), []);
    assert.is(h.units["nginx.service"]!.cgroup, "/system.slice/nginx.service");
    // The table it loaded deleted (created first if missing: one transaction that cannot fail
    // on absence), first; the target and the net service stopped with the slice.
    assert.is(h.table, null);
    assert.equal(h.net, [["nft", "-f", "-", "table inet vsc {}\ndelete table inet vsc\n"]]);
    assert.equal(h.calls, [
      ["nft", "-f", "-"],
      ["daemon-reload"],
      ["restart", "--", "nginx.service"],
      ["stop", "--", "vsc.target", "vsc-net.service", "vsc.slice"],
      ["stop", "--", `${timer}.timer`, `${timer}.service`],
    ]);
  }),
);

/** With addresses and ports (the ruleset names each context's slice) and a shaped link. */
const NET = (port: number, batch: boolean) => `host web1 {
  cpus 4
  memory 8GiB
  link eth0 rate 100mbit
  driver systemd
}
context shop {
  id 501
  units "nginx.service"
  cpu { share 4 }
  net { address 10.99.0.5  allow in tcp port ${port} }
}
${batch ? "context batch { id 503  cpu { share 1 }  net { address 10.99.0.6  link eth0 { reserve 5mbit }  allow in tcp port 22 } }" : ""}
`;

test(
  "the network: the previous ruleset loaded by vsc itself, first; after the start when it names a slice the start brings back",
  withHost(async (h) => {
    const io0 = recordingIo();
    assert.is(await sdCmdApply(irOf(NET(80, true)), args(h), io0, h), 0, io0.stderr);
    const before = state(h);
    assert.match(before.files["install:ruleset.nft"]!, '"vsc.slice/vsc-batch.slice"');
    // Only the port changes: the previous ruleset goes in before systemd is asked anything.
    const io = recordingIo();
    const c = args(h, { confirmSeconds: 600 });
    assert.is(await sdCmdApply(irOf(NET(8080, true)), c, io, h), 0, io.stderr);
    assert.not.equal(state(h).table, before.table);
    h.calls.length = 0;
    h.net.length = 0;
    let r = await revert(h);
    assert.is(r.code, 0, JSON.stringify(r.diagnostics));
    assert.equal(state(h), before);
    const verbs = () => h.calls.map((x) => x[0]);
    assert.equal(verbs(), ["nft", "daemon-reload", "stop"]);
    assert.is(h.net[0]![3], before.files["install:ruleset.nft"]);
    assert.not.ok(
      h.calls.some((x) => x[0] === "restart"),
      "the net service was restarted",
    );
    // The apply removes batch: its slice is gone, so the previous ruleset (which names it)
    // is loaded once the target's start brought the slice back.
    assert.is(await sdCmdApply(irOf(NET(8080, false)), c, io, h), 0, io.stderr);
    assert.is(h.readCgroup("vsc.slice/vsc-batch.slice", "cpu.weight"), undefined);
    h.calls.length = 0;
    h.net.length = 0;
    r = await revert(h);
    assert.is(r.code, 0, JSON.stringify(r.diagnostics));
    assert.equal(state(h), before);
    // The tc trees name no cgroup: they go first all the same. The removed slice is started
    // from its restored file before the reload, and the ruleset that names it loaded then.
    assert.equal(verbs(), ["tc", "set-property", "start", "nft", "daemon-reload", "stop"]);
    assert.is(h.net[0]![3], before.files["install:tc.batch"]);
    assert.equal(
      h.calls.find((x) => x[0] === "start"),
      ["start", "--", "vsc-batch.slice"],
    );
    assert.is(h.net[1]![3], before.files["install:ruleset.nft"]);
  }),
);

test(
  "confirm: the new state stays, the timer is stopped, the guard removed; confirm/revert with nothing pending",
  withHost(async (h) => {
    const io = recordingIo();
    assert.is(await sdCmdApply(irOf(B), args(h, { confirmSeconds: 60 }), io, h), 0, io.stderr);
    const applied = state(h);
    for (const k of Object.keys(applied.files))
      if (k.includes("vsc-boot-revert")) delete applied.files[k];
    const c = sdConfirm(h, st(h));
    assert.is(c.code, 0);
    assert.match(c.message!, "Confirmed");
    assert.ok(
      h.calls.some((x) => x[0] === "stop" && /vsc-revert-[0-9a-f]{16}\.timer/.test(x.join(" "))),
    );
    const s = state(h);
    assert.ok(!Object.keys(s.files).some((f) => f.includes("vsc-boot-revert")));
    assert.equal(s, applied);
    // Nothing pending now: both say so and exit 0.
    assert.is(sdConfirm(h, st(h)).code, 0);
    const r = await revert(h);
    assert.is(r.code, 0);
    assert.match(r.message!, "Nothing to revert");
    const io2 = recordingIo();
    assert.is(await sdCmdApply(irOf(A), args(h), io2, h), 0, io2.stderr);
  }),
);

test(
  "the early phase: someone else's runtime drop-ins are left alone (the reload sets that slice); a failed set-property rolls back with no drop-in left",
  withHost(async (h) => {
    const { before } = await pendingAfterA(h);
    const applied = state(h);
    // set-property fails: the undo is rolled back (the files of the apply back, one reload),
    // the runtime drop-ins its call made removed first; still pending.
    h.fail.add("set-property");
    h.calls.length = 0;
    let r = await revert(h);
    assert.is(r.code, 1);
    assert.match(r.diagnostics[0]!.message, "systemctl set-property vsc-shop.slice failed");
    assert.equal(state(h), applied);
    assert.not.ok(existsSync(join(h.controlDir, "vsc-shop.slice.d")), "runtime drop-ins left");
    assert.is(readSdPending(st(h), h).kind, "ok");
    h.fail.delete("set-property");
    // An operator's own runtime drop-in on shop's slice: vsc does not set (nor later remove)
    // anything there; shop's share comes back with the reload.
    const mine = join(h.controlDir, "vsc-shop.slice.d/50-MemoryHigh.conf");
    mkdirSync(join(h.controlDir, "vsc-shop.slice.d"), { recursive: true });
    writeFileSync(mine, "[Slice]\nMemoryHigh=infinity\n");
    h.calls.length = 0;
    r = await revert(h);
    assert.is(r.code, 0, JSON.stringify(r.diagnostics));
    assert.equal(state(h), before);
    assert.not.ok(h.calls.some((x) => x[0] === "set-property"));
    assert.is(readFileSync(mine, "utf8"), "[Slice]\nMemoryHigh=infinity\n");
    const out = outcomeOf(h);
    assert.is(out.result, "reverted");
    // Shop's value waited for the reload: no time for the kernel's part before it.
    assert.is(out.kernelAt, undefined);
  }),
);

test("runtimeAssignments: what differs, resets, lists, and a directive set-property does not take", () => {
  const f = (lines: string[]) =>
    `# generated by vsc\n[Unit]\nDescription=x\n\n[Slice]\n${lines.join("\n")}\n`;
  assert.equal(
    runtimeAssignments(
      f(["CPUWeight=100", "CPUQuota=", "MemoryMax=1073741824"]),
      f(["CPUWeight=50", "CPUQuota=150%", "MemoryMax=1073741824", "MemoryHigh=900M"]),
    ),
    ["CPUQuota=", "CPUWeight=100", "MemoryHigh="],
  );
  // A list: cleared, then each line of before.
  assert.equal(
    runtimeAssignments(
      f(["IOReadBandwidthMax=/dev/block/254:0 1000", "IOReadBandwidthMax=/dev/block/8:0 2000"]),
      f(["IOReadBandwidthMax=/dev/block/254:0 5000"]),
    ),
    [
      "IOReadBandwidthMax=",
      "IOReadBandwidthMax=/dev/block/254:0 1000",
      "IOReadBandwidthMax=/dev/block/8:0 2000",
    ],
  );
  assert.equal(runtimeAssignments(f(["CPUWeight=1"]), f(["CPUWeight=1"])), []);
  // Only the [Slice] section counts; a directive outside the set leaves the slice to the reload.
  assert.equal(runtimeAssignments(f(["CPUWeight=1"]).replace("x", "y"), f(["CPUWeight=1"])), []);
  assert.is(runtimeAssignments(f(["Delegate=yes"]), f([])), undefined);
});

/** Rewrites the record (as someone with root could), with a valid checksum. */
function rewrite(h: FakeSystemd, f: (r: SdPendingRecord) => void) {
  const file = join(h.root, "state", `${st(h).key}.pending`);
  const t = readFileSync(file, "utf8");
  const r = JSON.parse(t.slice(t.indexOf("\n") + 1)) as SdPendingRecord;
  f(r);
  writeFileSync(file, serializeSdPending(r));
}

test(
  "a reboot before the deadline: the boot guard puts the files back (and only for a previous boot)",
  withHost(async (h) => {
    const before = (await pendingAfterA(h)).before.files;
    // The same boot: the guard does nothing.
    assert.is((await revert(h, { boot: true })).code, 0);
    assert.is(readSdPending(st(h), h).kind, "ok");
    rewrite(h, (r) => (r.boot = "00000000-0000-0000-0000-000000000000"));
    h.calls.length = 0;
    h.jobs = "12 vsc.target start waiting\n13 vsc-batch.slice start waiting\n";
    const r = await revert(h, { boot: true });
    assert.is(r.code, 0, JSON.stringify(r.diagnostics));
    assert.equal(state(h).files, before);
    // Files only, and one reload: nothing of vsc has started yet at that point of the boot.
    // The boot queued jobs from the files replaced: the slice the apply created gets a stop
    // job instead of its start job, and vsc's target's start is asked again (it pulls in what
    // the previous target wants); neither waits.
    assert.equal(h.calls, [
      ["daemon-reload"],
      ["stop", "--no-block", "--", "vsc-batch.slice"],
      ["list-jobs", "--plain", "--no-legend"],
      ["start", "--no-block", "--", "vsc.target"],
    ]);
    assert.is(readSdPending(st(h), h).kind, "none");
    const out = outcomeOf(h);
    assert.is(out.result, "reverted");
  }),
);

test(
  "a tampered record is refused, nothing changed: bad checksum; valid checksum but an undo its states do not make",
  withHost(async (h) => {
    const io = recordingIo();
    assert.is(await sdCmdApply(irOf(B), args(h, { confirmSeconds: 600 }), io, h), 0, io.stderr);
    const applied = state(h);
    const file = join(h.root, "state", `${st(h).key}.pending`);
    const good = readFileSync(file, "utf8");
    writeFileSync(file, good.replace('"seconds":600', '"seconds":601'));
    let r = await revert(h);
    assert.is(r.code, 1);
    assert.is(r.diagnostics[0]!.code, "VSC5402");
    assert.match(r.diagnostics[0]!.message, "checksum");
    assert.equal(state(h), applied);
    writeFileSync(file, good);
    rewrite(h, (x) =>
      x.undo.files.push({ op: "-", root: "unit", path: "ssh.service.d/50-vsc.conf" }),
    );
    r = await revert(h);
    assert.is(r.code, 1);
    assert.match(r.diagnostics[0]!.message, "its undo plan is not the one");
    writeFileSync(file, good);
    rewrite(h, (x) => {
      x.before.files["unit:../../../etc/passwd"] = "# generated by vsc from x\n";
      x.undo = x.undo; // the undo no longer matches, and the path is not vsc's
    });
    r = await revert(h);
    assert.is(r.code, 1);
    assert.equal(state(h), applied);
    // Refused records block applies too, and confirm discards them (keeping the live state).
    const again = recordingIo();
    assert.is(await sdCmdApply(irOf(B), args(h), again, h), 1);
    assert.match(again.stderr, "VSC5401");
    const c = sdConfirm(h, st(h));
    assert.is(c.code, 0);
    assert.equal(state(h).values, applied.values);
    assert.ok(!readdirSync(join(h.root, "state")).some((f) => f.endsWith(".pending")));
    void createHash;
  }),
);

test(
  "the live state changed since the apply: the revert refuses (VSC5405), lists it, stays pending",
  withHost(async (h) => {
    const io = recordingIo();
    assert.is(await sdCmdApply(irOf(B), args(h, { confirmSeconds: 600 }), io, h), 0, io.stderr);
    writeFileSync(join(h.root, "cgroup/vsc.slice/vsc-shop.slice/cpu.weight"), "7\n");
    const r = await revert(h);
    assert.is(r.code, 1);
    assert.is(r.diagnostics[0]!.code, "VSC5405");
    assert.match(r.diagnostics[0]!.notes!.join("\n"), "vsc-shop.slice cpu.weight: 7, was");
    assert.is(readSdPending(st(h), h).kind, "ok");
    assert.ok(listUnitDir(h).includes(guardName(st(h))));
  }),
);

test.run();
