/**
 * The advice of VSC5001/VSC5804: where this machine's cgroup2 mount is, and
 * the exact commands that make a directory a scratch tree, which then work.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mountKind, hostKernel } from "../../src/apply/host-kernel.js";
import {
  cgroup2Mounts,
  notCgroup2Help,
  realMountHint,
  scratchRecipe,
} from "../../src/apply/mount-advice.js";
import { needsOf, preflight } from "../../src/apply/preflight.js";
import type { Kernel } from "../../src/apply/kernel.js";
import { sampleDesired } from "./fixture.js";

const okTools = (k: Kernel): Kernel => ({
  ...k,
  run: () => ({ status: 0, stdout: "", stderr: "" }),
});

test("VSC5001 on an empty directory says how to make it a scratch tree; the commands work", () => {
  const base = mkdtempSync(join(tmpdir(), "vsc-advice-"));
  // A space and a quote in the path: the advice is a shell command, quoted.
  const dir = join(base, "it's a tree");
  spawnSync("mkdir", [dir]);
  const ds = preflight(okTools(hostKernel({ cgroupMount: dir })), needsOf(sampleDesired()));
  assert.equal(
    ds.map((d) => d.code),
    ["VSC5001"],
  );
  const help = ds[0]!.help!;
  assert.not.match(help, /^mount cgroup2 there .* or pass --cgroup-mount DIR$/);
  assert.ok(help.includes(scratchRecipe(dir)), help);
  // Run exactly what the advice says; then the same directory passes preflight.
  const r = spawnSync("sh", ["-c", scratchRecipe(dir)], { encoding: "utf8" });
  assert.is(r.status, 0, r.stderr);
  assert.is(mountKind(dir), "scratch");
  assert.equal(preflight(okTools(hostKernel({ cgroupMount: dir })), needsOf(sampleDesired())), []);
  rmSync(base, { recursive: true, force: true });
});

test("the advice names this machine's real cgroup2 mount when there is one", () => {
  const dir = mkdtempSync(join(tmpdir(), "vsc-advice-"));
  const mounts = join(dir, "mounts");
  writeFileSync(
    mounts,
    "proc /proc proc rw 0 0\n" +
      "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid 0 0\n" +
      "none /mnt/cg\\040two cgroup2 rw 0 0\n" +
      "cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n",
  );
  const found = cgroup2Mounts(mounts);
  assert.equal(found, ["/sys/fs/cgroup", "/mnt/cg two"]);
  // A cgroup2 mount without controllers (a hybrid v1 host's "unified") is not offered.
  const all = () => true;
  assert.is(
    realMountHint("/tmp/x", found, (m) => m !== "/sys/fs/cgroup"),
    "this machine's cgroup2 mount is /mnt/cg two: pass --cgroup-mount '/mnt/cg two'",
  );
  assert.is(
    realMountHint("/tmp/x", ["/sys/fs/cgroup/unified"], () => false),
    "",
  );
  assert.is(
    realMountHint("/tmp/x", found, all),
    "this machine's cgroup2 mount is /sys/fs/cgroup, /mnt/cg two: pass --cgroup-mount /sys/fs/cgroup (or leave the option out)",
  );
  const help = notCgroup2Help("/tmp/x", found, all);
  assert.match(help, /^this machine's cgroup2 mount is \/sys\/fs\/cgroup/);
  assert.match(
    help,
    /or, for a dry run on plain files, make it a scratch tree: mkdir -p \/tmp\/x && /,
  );
  // The default mount is not offered as a scratch tree.
  assert.is(
    notCgroup2Help("/sys/fs/cgroup", []),
    "mount cgroup2 there: mount -t cgroup2 none /sys/fs/cgroup",
  );
  assert.not.match(notCgroup2Help("/sys/fs/cgroup", found, all), /scratch/);
  assert.is(realMountHint("/sys/fs/cgroup", ["/sys/fs/cgroup"], all), "");
  rmSync(dir, { recursive: true, force: true });
});

test.run();
