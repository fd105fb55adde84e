/**
 * `vsc apply --confirm`, `vsc confirm`, `vsc revert` (#19) on this host: a
 * scratch cgroup tree and real nft and tc in a scratch network namespace.
 * The watchdog is the real one (a detached `vsc revert --due` process of
 * bin/vsc.js, so `npm run build` first). Every test compares the whole
 * scratch tree, `table inet vsc` and the link's tc tree before and after.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { applyWithLock, observeScope, planDesired } from "../../src/apply/applier.js";
import {
  confirmPending,
  parseDuration,
  readPending,
  revertPending,
  type PendingRecord,
} from "../../src/apply/confirm.js";
import { hostKernel } from "../../src/apply/host-kernel.js";
import { readLink } from "../../src/apply/read-tc.js";
import { stateFiles, processAlive } from "../../src/apply/state.js";
import { scopeOf } from "../../src/plan/plan.js";
import type { DesiredState } from "../../src/model/desired.js";
import { main } from "../../src/cli/main.js";
import { rootTest } from "../root.js";
import { scratch, scratchKernel, scratchNetns, snapshot } from "../apply/fixture.js";
import { confirmDesired } from "./fixture.js";

const child = join(fileURLToPath(new URL(".", import.meta.url)), "child.js");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("durations: seconds or units, 1 s to 1 day; 0, negative, above a day and junk are errors", () => {
  assert.equal(parseDuration("90"), { seconds: 90 });
  assert.equal(parseDuration("90s"), { seconds: 90 });
  assert.equal(parseDuration("2m"), { seconds: 120 });
  assert.equal(parseDuration("1h30m"), { seconds: 5400 });
  assert.equal(parseDuration("1d"), { seconds: 86400 });
  for (const bad of [
    "0",
    "0s",
    "-5s",
    "-1",
    "86401",
    "25h",
    "1d1s",
    "2x",
    "",
    "1.5m",
    "m",
    "99999999999999999999",
  ])
    assert.ok("error" in parseDuration(bad), bad);
});

const ns = scratchNetns(["v0"]);
const yes = async () => true;

function setup() {
  const s = scratch();
  const k = scratchKernel(s.mount, ns!.name);
  const st = stateFiles(s.stateDir, s.mount, "vsc");
  const apply = (d: DesiredState, confirm?: number, extra: Record<string, unknown> = {}) => {
    const o = {
      stateDir: s.stateDir,
      ...(confirm ? { confirm: { seconds: confirm, watchdog: "process" as const } } : {}),
      ...extra,
    };
    return applyWithLock(k, d.cgroupRoot, () => planDesired(k, d, o), yes, o);
  };
  /** The whole scratch tree, the table's digest and every class of v0. */
  const state = () => {
    const o = observeScope(k, scopeOf(confirmDesired("base")), { stateDir: s.stateDir });
    return {
      tree: snapshot(s.mount),
      nft: o.nft,
      link: readLink(k, "v0"),
    };
  };
  const revert = (extra: { moveProcs?: boolean } = {}) =>
    revertPending(st, {
      ...extra,
      kernelFor: (r) =>
        hostKernel({ cgroupMount: r.cgroupMount, ...(r.netns ? { netns: r.netns } : {}) }),
    });
  const cleanup = async () => {
    // Leave no watchdog behind: confirm what is pending (which stops it), then undo everything.
    await confirmPending(st);
    spawnRun("nft", ["delete", "table", "inet", "vsc"]);
    spawnRun("tc", ["qdisc", "del", "dev", "v0", "root"]);
    s.cleanup();
  };
  return { ...s, k, st, apply, state, revert, cleanup };
}

function spawnRun(cmd: "nft" | "tc", args: string[]) {
  const k = hostKernel({ cgroupMount: "/nonexistent", netns: ns!.name });
  return k.run(cmd, args);
}

/** Rewrites the pending record (optionally keeping its checksum right, as a careful attacker would). */
function tamper(
  st: ReturnType<typeof stateFiles>,
  edit: (r: PendingRecord) => void,
  fixSum: boolean,
) {
  const file = join(st.dir, `${st.key}.pending`);
  const text = readFileSync(file, "utf8");
  const nl = text.indexOf("\n");
  const r = JSON.parse(text.slice(nl + 1)) as PendingRecord;
  edit(r);
  const body = JSON.stringify(r);
  const sum = fixSum ? createHash("sha256").update(body).digest("hex") : text.slice(0, nl);
  writeFileSync(file, `${sum}\n${body}\n`);
}

const watchdogOf = (r: PendingRecord) => (r.watchdog.kind === "process" ? r.watchdog.process : "");

async function until(f: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (f()) return true;
    await sleep(100);
  }
  return f();
}

rootTest("a scratch network namespace can be made", () => {
  assert.ok(ns);
});

rootTest(
  "pending: the apply is made, a watchdog runs, a second apply and a destroy are refused (VSC5401)",
  async () => {
    const t = setup();
    try {
      assert.ok((await t.apply(confirmDesired("base"))).result?.ok);
      const out = await t.apply(confirmDesired("next"), 60);
      assert.ok(out.result?.ok, JSON.stringify(out.diagnostics));
      assert.ok(out.pending);
      const p = readPending(t.st);
      assert.is(p.kind, "ok");
      const r = (p as { record: PendingRecord }).record;
      assert.ok(processAlive(watchdogOf(r)), "the watchdog runs");
      const mode = readdirSync(t.stateDir).includes(`${t.st.key}.pending`);
      assert.ok(mode);
      const second = await t.apply(confirmDesired("base"));
      assert.is(second.diagnostics[0]?.code, "VSC5401");
      assert.is(second.result, undefined);
    } finally {
      await t.cleanup();
    }
  },
);

rootTest(
  "revert now: back to exactly the state before (tree, table digest, classes), and logged",
  async () => {
    const t = setup();
    try {
      await t.apply(confirmDesired("base"));
      const before = t.state();
      const out = await t.apply(confirmDesired("next"), 60);
      assert.ok(out.result?.ok, JSON.stringify(out.diagnostics));
      assert.not.equal(t.state(), before);
      const r = (readPending(t.st) as { record: PendingRecord }).record;
      const res = await t.revert();
      assert.is(res.code, 0, JSON.stringify(res.diagnostics));
      assert.match(res.message ?? "", /exactly the one before/);
      assert.equal(t.state(), before);
      assert.is(readPending(t.st).kind, "none");
      // The watchdog finds nothing pending and ends.
      assert.ok(await until(() => !processAlive(watchdogOf(r)), 15_000), "watchdog gone");
      // Nothing pending any more: a new apply goes through.
      assert.ok((await t.apply(confirmDesired("next"))).result?.ok);
    } finally {
      await t.cleanup();
    }
  },
);

rootTest("revert from nothing: the subtree, the table and the qdisc are gone again", async () => {
  const t = setup();
  try {
    const before = t.state();
    assert.ok((await t.apply(confirmDesired("base"), 60)).pending);
    assert.is((await t.revert()).code, 0);
    assert.equal(t.state(), before);
    assert.is(before.link.qdisc?.handle, "0:");
    assert.is(before.nft.present, false);
  } finally {
    await t.cleanup();
  }
});

rootTest(
  "confirm: stays after the deadline, the watchdog is stopped, nothing is pending",
  async () => {
    const t = setup();
    try {
      await t.apply(confirmDesired("base"));
      await t.apply(confirmDesired("next"), 2);
      const r = (readPending(t.st) as { record: PendingRecord }).record;
      const applied = t.state();
      const c = await confirmPending(t.st);
      assert.is(c.code, 0);
      assert.match(c.message ?? "", /Confirmed/);
      assert.ok(await until(() => !processAlive(watchdogOf(r)), 5000), "watchdog stopped");
      await sleep(3000);
      assert.equal(t.state(), applied);
      // Confirm again, revert with nothing pending: a message, exit 0.
      assert.match((await confirmPending(t.st)).message ?? "", /Nothing to confirm/);
      assert.match((await t.revert()).message ?? "", /Nothing to revert/);
    } finally {
      await t.cleanup();
    }
  },
);

rootTest(
  "expiry: not confirmed, the watchdog reverts at the deadline; confirm afterwards is too late (VSC5407)",
  async () => {
    const t = setup();
    try {
      await t.apply(confirmDesired("base"));
      const before = t.state();
      const out = await t.apply(confirmDesired("next"), 3);
      const deadline = out.pending!.deadline;
      assert.ok(await until(() => readPending(t.st).kind === "none", 15_000), "reverted");
      const late = Date.now() - deadline;
      assert.ok(late < 5000, `reverted ${late} ms after the deadline`);
      assert.equal(t.state(), before);
      const c = await confirmPending(t.st);
      assert.is(c.code, 1);
      assert.is(c.diagnostics[0]?.code, "VSC5407");
      // The outcome is shown, and cleared by the next apply.
      const o = JSON.parse(readFileSync(join(t.stateDir, `${t.st.key}.outcome`), "utf8"));
      assert.is(o.result, "reverted");
    } finally {
      await t.cleanup();
    }
  },
);

rootTest(
  "SIGKILL of the applying process right after the apply: the watchdog still reverts",
  async () => {
    const t = setup();
    try {
      await t.apply(confirmDesired("base"));
      const before = t.state();
      const p = spawn("node", [
        child,
        JSON.stringify({
          mount: t.mount,
          netns: ns!.name,
          stateDir: t.stateDir,
          variant: "next",
          seconds: 3,
        }),
      ]);
      let out = "";
      p.stdout.on("data", (b) => (out += String(b)));
      assert.ok(await until(() => /armed/.test(out), 30_000), out);
      p.kill("SIGKILL");
      await new Promise((r) => p.on("exit", r));
      assert.not.equal(t.state(), before);
      const deadline = Number(/armed (\d+)/.exec(out)![1]);
      assert.ok(await until(() => readPending(t.st).kind === "none", 15_000), "reverted");
      assert.ok(Date.now() - deadline < 5000);
      assert.equal(t.state(), before);
    } finally {
      await t.cleanup();
    }
  },
);

rootTest("tampered pending revert: refused (VSC5402), reported, nothing changed", async () => {
  const t = setup();
  try {
    await t.apply(confirmDesired("base"));
    await t.apply(confirmDesired("next"), 60);
    const applied = t.state();
    // An edit without fixing the checksum.
    const file = join(t.stateDir, `${t.st.key}.pending`);
    const original = readFileSync(file, "utf8");
    tamper(t.st, (r) => (r.seconds = 30), false);
    let res = await t.revert();
    assert.is(res.code, 1);
    assert.is(res.diagnostics[0]?.code, "VSC5402");
    assert.match(res.diagnostics[0]!.message, /checksum/);
    assert.equal(t.state(), applied);
    writeFileSync(file, original);
    // A careful attacker recomputes the checksum: the undo plan is still held to what vsc owns.
    tamper(
      t.st,
      (r) => {
        const a = r.undo.actions.find((x) => x.type === "cgroup-file")!;
        (a as { path: string }).path = "../../etc";
      },
      true,
    );
    res = await t.revert();
    assert.is(res.diagnostics[0]?.code, "VSC5402");
    assert.match(
      JSON.stringify(res.diagnostics[0]!.notes),
      /VSC5052/,
      JSON.stringify(res.diagnostics),
    );
    assert.equal(t.state(), applied);
    writeFileSync(file, original);
    // A ruleset swapped in: refused by the ruleset checks (or the digest).
    tamper(
      t.st,
      (r) => {
        const a = r.undo.actions.find((x) => x.type === "nft")!;
        (a as { after: { ruleset: string } }).after.ruleset = "table ip filter { chain c { } }\n";
      },
      true,
    );
    res = await t.revert();
    assert.is(res.diagnostics[0]?.code, "VSC5402");
    assert.equal(t.state(), applied);
    tamper(t.st, (r) => (r.netns = "../x"), true);
    res = await t.revert();
    assert.match(res.diagnostics[0]?.message ?? "", /bad network namespace/);
    // Blocks the next apply, with the refusal; confirm discards it and keeps the live state.
    assert.is((await t.apply(confirmDesired("base"))).diagnostics[0]?.code, "VSC5401");
    const c = await confirmPending(t.st);
    assert.is(c.code, 0);
    assert.equal(t.state(), applied);
    assert.ok((await t.apply(confirmDesired("base"))).result?.ok);
  } finally {
    await t.cleanup();
  }
});

rootTest(
  "the live state moved since the apply: not reverted (VSC5405), still pending, nothing changed",
  async () => {
    const t = setup();
    try {
      await t.apply(confirmDesired("base"));
      await t.apply(confirmDesired("next"), 60);
      t.k.write("vsc/web-tier/web/cpu.weight", "77");
      const moved = t.state();
      const res = await t.revert();
      assert.is(res.code, 1);
      assert.is(res.diagnostics[0]?.code, "VSC5405");
      assert.match(res.diagnostics[0]!.notes!.join("\n"), /cpu\.weight is "77", was "300"/);
      assert.equal(t.state(), moved);
      assert.is(readPending(t.st).kind, "ok");
    } finally {
      await t.cleanup();
    }
  },
);

rootTest(
  "a cgroup the apply created holds a process: refused as destroy refuses (VSC5010); --move-procs moves it",
  async () => {
    const t = setup();
    try {
      await t.apply(confirmDesired("base"));
      const before = t.state();
      await t.apply(confirmDesired("next"), 60);
      t.k.write("vsc/api/cgroup.procs", "4242");
      const applied = t.state();
      const res = await t.revert();
      assert.is(res.code, 1);
      assert.is(res.diagnostics[0]?.code, "VSC5010");
      assert.equal(t.state(), applied);
      assert.is(readPending(t.st).kind, "ok");
      const moved = await t.revert({ moveProcs: true });
      assert.is(moved.code, 0, JSON.stringify(moved.diagnostics));
      const now = t.state();
      // The pid went to the cgroup holding vsc's subtree (the mount root), as destroy --move-procs does.
      assert.match(now.tree["cgroup.procs"] ?? "", /4242/);
      assert.equal(
        { ...now, tree: { ...now.tree, "cgroup.procs": "" } },
        { ...before, tree: { ...before.tree, "cgroup.procs": "" } },
      );
    } finally {
      await t.cleanup();
    }
  },
);

rootTest(
  "a table inet vsc that vsc did not load: --confirm refused before anything changes (VSC5403)",
  async () => {
    const t = setup();
    try {
      await t.apply(confirmDesired("base"));
      rmSaved(t.stateDir);
      const before = t.state();
      const out = await t.apply(confirmDesired("next"), 60);
      assert.is(out.diagnostics.at(-1)?.code, "VSC5403");
      assert.equal(t.state(), before);
      assert.is(readPending(t.st).kind, "none");
    } finally {
      await t.cleanup();
    }
  },
);

function rmSaved(dir: string) {
  for (const f of readdirSync(dir)) if (f.endsWith(".nft")) writeFileSync(join(dir, f), "x\n");
}

rootTest("a pending record made before the last boot is discarded, not run", async () => {
  const t = setup();
  try {
    await t.apply(confirmDesired("base"));
    await t.apply(confirmDesired("next"), 60);
    const applied = t.state();
    tamper(t.st, (r) => (r.boot = "00000000-0000-0000-0000-000000000000"), true);
    const res = await t.revert();
    assert.is(res.code, 0);
    assert.match(res.message ?? "", /before the last boot/);
    assert.equal(t.state(), applied);
    assert.is(readPending(t.st).kind, "none");
  } finally {
    await t.cleanup();
  }
});

// The command line, end to end (the exit codes docs/applier.md promises).
const cli = async (...argv: string[]) => {
  let out = "";
  let err = "";
  const code = await main(argv, {
    out: (s: string) => void (out += s),
    err: (s: string) => void (err += s),
    color: false,
    interactive: false,
    confirm: async () => false,
  } as never);
  return { code, out, err };
};

rootTest(
  "CLI: bad durations are VSC5400 (exit 1); confirm/revert with nothing pending exit 0",
  async () => {
    const t = setup();
    try {
      for (const d of ["0", "-5s", "2d", "soon"]) {
        const r = await cli(
          "apply",
          "examples/small.vsc",
          "--confirm",
          d,
          "--cgroup-mount",
          t.mount,
          "--state-dir",
          t.stateDir,
        );
        assert.is(r.code, 1, d);
        assert.match(r.err, /VSC5400/, d);
      }
      const c = await cli("confirm", "--cgroup-mount", t.mount, "--state-dir", t.stateDir);
      assert.is(c.code, 0);
      assert.match(c.err, /Nothing to confirm/);
      const r = await cli("revert", "--cgroup-mount", t.mount, "--state-dir", t.stateDir);
      assert.is(r.code, 0);
      assert.match(r.err, /Nothing to revert/);
    } finally {
      await t.cleanup();
    }
  },
);

rootTest(
  "CLI: show reports the pending apply; revert --netns of another namespace is VSC9041",
  async () => {
    const t = setup();
    try {
      await t.apply(confirmDesired("next"), 60);
      const s = await cli(
        "show",
        "--cgroup-mount",
        t.mount,
        "--state-dir",
        t.stateDir,
        "--netns",
        ns!.name,
      );
      assert.is(s.code, 0);
      assert.match(
        s.out,
        /pending confirmation: applied .* reverts at .* unless `vsc confirm`; watchdog pid \d+/,
      );
      const r = await cli(
        "revert",
        "--cgroup-mount",
        t.mount,
        "--state-dir",
        t.stateDir,
        "--netns",
        "elsewhere",
      );
      assert.is(r.code, 1);
      assert.match(r.err, /VSC9041/);
      const ok = await cli("revert", "--cgroup-mount", t.mount, "--state-dir", t.stateDir);
      assert.is(ok.code, 0, ok.err);
      assert.match(ok.err, /Reverted/);
    } finally {
      await t.cleanup();
    }
  },
);

test.after(() => ns?.cleanup());
test.run();
