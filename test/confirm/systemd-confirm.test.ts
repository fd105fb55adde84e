/**
 * `vsc apply --confirm` under driver systemd (#19, src/apply/confirm-systemd.ts)
 * against the driver's stand-in systemd (test/systemd/fake-systemd.ts): the
 * undo puts back every file, link, value and unit placement; confirm keeps
 * them and removes the timer and the boot guard; the boot guard's revert
 * puts the files back; a second apply is refused; a tampered record is
 * refused with nothing changed. The real systemd proof is
 * test/kernel/systemd-confirm.test.ts in the systemd lab.
 */
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { recordingIo } from "../../src/cli/io.js";
import { sdCmdApply, sdCmdShow } from "../../src/cli/systemd.js";
import {
  guardName,
  readSdPending,
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

/** The fake plus systemd-run (recorded) and no nft/tc (absent). */
function host(): FakeSystemd & { timers: string[][]; jobs: string } {
  const h = fakeSystemd() as FakeSystemd & { timers: string[][]; jobs: string };
  h.timers = [];
  h.jobs = "";
  const run = h.run.bind(h);
  h.run = (argv, input) => {
    if (argv[0] === "systemd-run") {
      h.timers.push(argv);
      return { ok: true, status: 0, out: "", err: "" };
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
  return { files, values, nginx: h.units["nginx.service"]!.cgroup };
}

const st = (h: FakeSystemd) => sdStateFiles(join(h.root, "state"), "vsc");
const revert = (h: FakeSystemd, o: object = {}) =>
  sdRevert(h, st(h), { lockDir: join(h.root, "state"), ...o });

function withHost(fn: (h: ReturnType<typeof host>) => Promise<void>) {
  return async () => {
    const h = host();
    try {
      await fn(h);
    } finally {
      h.cleanup();
    }
  };
}

test(
  "revert: every file, link, value and the unit's placement back; timer and boot guard armed, then gone",
  withHost(async (h) => {
    const io0 = recordingIo();
    assert.is(await sdCmdApply(irOf(A), args(h), io0, h), 0, io0.stderr);
    const before = state(h);
    const io = recordingIo();
    assert.is(await sdCmdApply(irOf(B), args(h, { confirmSeconds: 600 }), io, h), 0, io.stderr);
    assert.match(io.stderr, "Pending confirmation: it reverts by itself at");
    assert.not.equal(state(h), before);
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
    const r = await revert(h);
    assert.is(r.code, 0, JSON.stringify(r.diagnostics));
    assert.match(r.message!, "read back, the state is exactly the one before it");
    assert.equal(state(h), before);
    assert.ok(h.calls.some((c) => c[0] === "stop" && c.includes("vsc-batch.slice")));
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
    const r = await revert(h);
    assert.is(r.code, 0, JSON.stringify(r.diagnostics));
    assert.equal(listUnitDir(h), []);
    assert.is(h.units["nginx.service"]!.cgroup, "/system.slice/nginx.service");
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
    const io0 = recordingIo();
    assert.is(await sdCmdApply(irOf(A), args(h), io0, h), 0, io0.stderr);
    const before = state(h).files;
    const io = recordingIo();
    assert.is(await sdCmdApply(irOf(B), args(h, { confirmSeconds: 600 }), io, h), 0, io.stderr);
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
    // ...and, the boot having queued vsc's target from the files replaced, its start asked again
    // without waiting (it pulls in what the previous target wants).
    assert.equal(h.calls, [
      ["daemon-reload"],
      ["list-jobs", "--plain", "--no-legend"],
      ["start", "--no-block", "--", "vsc.target"],
    ]);
    assert.is(readSdPending(st(h), h).kind, "none");
    const out = JSON.parse(readFileSync(join(h.root, "state", `${st(h).key}.outcome`), "utf8"));
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
