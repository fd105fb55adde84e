/**
 * Real I/O failures while applying (issue #13): a full cgroup tree (a tmpfs
 * of a few pages: real ENOSPC), a read-only part of it (a read-only bind
 * mount: real EROFS), a read-only or full state directory. Each must end in
 * a VSC50xx diagnostic, exit 1 through the CLI, with every change undone:
 * the tree compared file by file with its state before. Needs root (mount);
 * without it the mount cases say they are skipped.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyWithLock, planDesired } from "../../src/apply/applier.js";
import type { Kernel } from "../../src/apply/kernel.js";
import { makeScratchMount } from "../../src/apply/scratch.js";
import type { DesiredState } from "../../src/model/desired.js";
import { DEFAULT_CONTEXTS, fakeTools, sampleDesired, scratchKernel, snapshot } from "./fixture.js";

const sh = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr}`);
};

/** Root that may mount (a container may be root without it). */
function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  const d = mkdtempSync(join(tmpdir(), "vsc-mnt-"));
  const ok = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", d]).status === 0;
  if (ok) spawnSync("umount", [d]);
  rmSync(d, { recursive: true, force: true });
  return ok;
}

/** Fills the filesystem holding `dir` until only `pages` pages are free. */
function fillTo(dir: string, pages: number) {
  const st = statfsSync(dir);
  const n = Number(st.bavail) - pages;
  if (n > 0) writeFileSync(join(dir, "filler"), Buffer.alloc(n * Number(st.bsize)));
  assert.is(Number(statfsSync(dir).bavail), pages);
}

const o = (stateDir: string) => ({ stateDir, skipPreflight: true });
const apply = (k: Kernel, d: DesiredState, stateDir: string) =>
  applyWithLock(
    k,
    d.cgroupRoot,
    () => planDesired(k, d, o(stateDir)),
    async () => true,
    o(stateDir),
  );

/** The base, then: batch's weight changed, three new contexts (about 20 files each), web's pids changed. */
const changed = () =>
  sampleDesired({
    contexts: [
      ...DEFAULT_CONTEXTS.map((c) =>
        c.name === "batch" ? { ...c, weight: "700" } : c.name === "web" ? { ...c, pids: "900" } : c,
      ),
      { name: "c1", pids: "10" },
      { name: "c2", pids: "20" },
      { name: "c3", pids: "30" },
    ],
  });

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "vsc-faults-"));
  const fs = join(dir, "fs");
  mkdirSync(fs);
  return {
    dir,
    fs,
    mount: join(fs, "cg"),
    stateDir: join(dir, "state"),
    /** Unmounts everything under the test's directory (deepest first), then removes it. */
    cleanup() {
      const mounts = readFileSync("/proc/self/mounts", "utf8")
        .split("\n")
        .map((l) => l.split(" ")[1] ?? "")
        .filter((m) => m.startsWith(`${dir}/`))
        .sort((a, b) => b.length - a.length);
      for (const m of mounts) spawnSync("umount", ["-l", m], { stdio: "ignore" });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const tree = (mount: string) => {
  const s = snapshot(mount);
  delete s["filler"];
  return s;
};

if (!canMount()) {
  test("fault tests need root that may mount (tmpfs, bind mounts)", () => {
    console.warn("skipped: faults.test.ts needs root that may mount a tmpfs");
  });
} else {
  test("ENOSPC half-way (a full tmpfs): VSC5050, every value back, half-made cgroups removed", async () => {
    const t = setup();
    try {
      sh("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", t.fs]);
      makeScratchMount(t.mount);
      const k = fakeTools(scratchKernel(t.mount));
      assert.ok((await apply(k, sampleDesired(), t.stateDir)).result?.ok);
      const before = tree(t.mount);
      fillTo(t.fs, 8); // room for batch's new weight and part of the first new cgroup only
      const out = await apply(k, changed(), t.stateDir);
      assert.is(out.result?.ok, false);
      assert.equal(
        out.diagnostics.map((d) => d.code),
        ["VSC5050"],
      );
      assert.match(out.diagnostics[0]!.message, /No space left on device \(ENOSPC\)/);
      assert.match(out.diagnostics[0]!.notes!.join("\n"), /read again, the kernel is as it was/);
      assert.equal(tree(t.mount), before);
    } finally {
      t.cleanup();
    }
  });

  test("EROFS (part of the tree bound read-only): VSC5050, the changes before it undone", async () => {
    const t = setup();
    try {
      makeScratchMount(t.mount);
      const k = fakeTools(scratchKernel(t.mount));
      assert.ok((await apply(k, sampleDesired(), t.stateDir)).result?.ok);
      const web = join(t.mount, "vsc/web-tier/web");
      sh("mount", ["--bind", web, web]);
      sh("mount", ["-o", "remount,bind,ro", web]);
      const before = tree(t.mount);
      const out = await apply(k, changed(), t.stateDir);
      assert.equal(
        out.diagnostics.map((d) => d.code),
        ["VSC5050"],
      );
      assert.match(out.diagnostics[0]!.message, /web\/pids\.max.*Read-only file system \(EROFS\)/);
      assert.match(out.diagnostics[0]!.notes!.join("\n"), /as it was/);
      assert.equal(tree(t.mount), before);
      sh("umount", [web]);
    } finally {
      t.cleanup();
    }
  });

  test("a read-only state directory: VSC5051 before anything is changed", async () => {
    const t = setup();
    try {
      makeScratchMount(t.mount);
      mkdirSync(t.stateDir);
      sh("mount", ["--bind", t.stateDir, t.stateDir]);
      sh("mount", ["-o", "remount,bind,ro", t.stateDir]);
      const before = tree(t.mount);
      const out = await apply(fakeTools(scratchKernel(t.mount)), sampleDesired(), t.stateDir);
      assert.equal(
        out.diagnostics.map((d) => d.code),
        ["VSC5051"],
      );
      assert.match(out.diagnostics[0]!.message, /Read-only file system \(EROFS\)/);
      assert.equal(tree(t.mount), before);
    } finally {
      t.cleanup();
    }
  });

  test("a full state directory: VSC5051, nothing changed, no empty lock file left", async () => {
    const t = setup();
    try {
      makeScratchMount(t.mount);
      mkdirSync(t.stateDir);
      sh("mount", ["-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", t.stateDir]);
      fillTo(t.stateDir, 0);
      const before = tree(t.mount);
      const out = await apply(fakeTools(scratchKernel(t.mount)), sampleDesired(), t.stateDir);
      assert.equal(
        out.diagnostics.map((d) => d.code),
        ["VSC5051"],
      );
      assert.match(out.diagnostics[0]!.message, /ENOSPC/);
      assert.equal(tree(t.mount), before);
      assert.equal(
        readdirSync(t.stateDir).filter((f) => f !== "filler"),
        [],
      );
    } finally {
      t.cleanup();
    }
  });

  test("the state directory fills up at the saved ruleset, after the nft load: everything undone", async () => {
    const t = setup();
    try {
      makeScratchMount(t.mount);
      mkdirSync(t.stateDir);
      sh("mount", ["-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", t.stateDir]);
      fillTo(t.stateDir, 2); // the lock and the journal fit, the saved ruleset does not
      const k = fakeTools(scratchKernel(t.mount));
      const before = tree(t.mount);
      const out = await apply(k, sampleDesired(), t.stateDir);
      assert.equal(
        out.diagnostics.map((d) => d.code),
        ["VSC5051"],
      );
      assert.match(out.diagnostics[0]!.message, /ENOSPC/);
      assert.match(out.diagnostics[0]!.notes!.join("\n"), /as it was/);
      assert.equal(tree(t.mount), before);
      // The table vsc loaded was deleted again.
      assert.is(/table inet vsc/.test(k.run("nft", ["-f", "-"], "list tables\n").stdout), false);
    } finally {
      t.cleanup();
    }
  });
}

test.run();
