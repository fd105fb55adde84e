/**
 * The state directory and its files as an attacker would prepare them
 * (docs/security.md): symlinks planted at the directory, the lock and the
 * saved ruleset; a directory or ruleset writable by others; a run under
 * umask 000 (a child process); a full file system while the lock is written.
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyWithLock, planDesired } from "../../src/apply/applier.js";
import type { Kernel } from "../../src/apply/kernel.js";
import {
  StateError,
  acquireLock,
  journalMarker,
  savedRuleset,
  stateFiles,
} from "../../src/apply/state.js";
import { filesCodes } from "../../src/diag/codes/files.js";
import type { DesiredState } from "../../src/model/desired.js";
import { DEFAULT_CONTEXTS, sampleDesired, scratch, scratchKernel, snapshot } from "./fixture.js";

const isRoot = process.geteuid?.() === 0;
const mode = (p: string) => statSync(p).mode & 0o7777;

function base() {
  const d = mkdtempSync(join(tmpdir(), "vsc-state-"));
  return { d, st: (dir: string) => stateFiles(dir, "/sys/fs/cgroup", "vsc") };
}

/** The StateError `f` throws, or a failure if it throws nothing (or something else). */
function refusal(f: () => unknown): StateError {
  try {
    f();
  } catch (e) {
    if (e instanceof StateError) return e;
    throw e;
  }
  throw new Error("expected a StateError, nothing was thrown");
}

test("under umask 000 the state directory is made 0700 and the lock, journal and saved ruleset 0600", () => {
  const { d } = base();
  const dir = join(d, "run", "vsc");
  const mod = fileURLToPath(new URL("../../src/apply/state.js", import.meta.url));
  const script = `
    const s = await import(${JSON.stringify(mod)});
    const st = s.stateFiles(${JSON.stringify(dir)}, "/sys/fs/cgroup", "vsc");
    const lock = s.acquireLock(st);
    if (!lock.ok) throw new Error("lock");
    s.journalMarker.set(st, "note");
    s.savedRuleset.put(st, "d1", "table inet vsc {}\\n");
    const fs = await import("node:fs");
    const m = (f) => (fs.statSync(f).mode & 0o777).toString(8);
    const files = fs.readdirSync(${JSON.stringify(dir)}).sort();
    console.log(JSON.stringify({ dir: m(${JSON.stringify(dir)}), files: Object.fromEntries(files.map((f) => [f.replace(/^vsc-[0-9a-f]+/, "k"), m(${JSON.stringify(dir)} + "/" + f)])) }));
    lock.release();
  `;
  const r = spawnSync(
    "sh",
    ["-c", 'umask 000; exec "$0" --input-type=module -e "$1"', process.execPath, script],
    { encoding: "utf8", timeout: 15000 },
  );
  assert.is(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout), {
    dir: "700",
    files: { "k.journal": "600", "k.lock": "600", "k.nft": "600" },
  });
  // The lock is gone after release; nothing else is left (no temporary files).
  assert.equal(
    readdirSync(dir)
      .sort()
      .map((f) => f.replace(/^vsc-[0-9a-f]+/, "k")),
    ["k.journal", "k.nft"],
  );
  rmSync(d, { recursive: true, force: true });
});

test("VSC5040: a state directory that is a symlink (or not a directory) is refused; nothing is written through it", () => {
  const { d, st } = base();
  const victim = join(d, "victim");
  mkdirSync(victim);
  symlinkSync(victim, join(d, "link"));
  for (const f of [
    () => acquireLock(st(join(d, "link"))),
    () => journalMarker.set(st(join(d, "link")), "x"),
    () => savedRuleset.put(st(join(d, "link")), "d", "r"),
    () => journalMarker.interrupted(st(join(d, "link"))),
    () => acquireLock(st(`${join(d, "link")}/`)),
  ]) {
    const e = refusal(f);
    assert.is(e.diagnostic.code, "VSC5040");
    assert.match(e.diagnostic.message, /is a symbolic link/);
  }
  assert.equal(readdirSync(victim), []);
  writeFileSync(join(d, "file"), "x");
  assert.match(refusal(() => acquireLock(st(join(d, "file")))).message, /is not a directory/);
  rmSync(d, { recursive: true, force: true });
});

test("VSC5042/VSC5041: a state directory writable by others, or owned by another user, is refused", () => {
  const { d, st } = base();
  const open = join(d, "open");
  mkdirSync(open);
  chmodSync(open, 0o777);
  const e = refusal(() => acquireLock(st(open)));
  assert.is(e.diagnostic.code, "VSC5042");
  assert.match(e.diagnostic.message, /writable by others \(mode 0777\)/);
  chmodSync(open, 0o770);
  assert.match(refusal(() => acquireLock(st(open))).message, /writable by its group/);
  assert.equal(readdirSync(open), []);
  if (isRoot) {
    const theirs = join(d, "theirs");
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, 65534, 65534);
    const o = refusal(() => acquireLock(st(theirs)));
    assert.is(o.diagnostic.code, "VSC5041");
    assert.match(o.diagnostic.message, /belongs to uid 65534/);
    assert.equal(readdirSync(theirs), []);
  } else console.warn("skipped: the foreign-owner case needs root (chown)");
  rmSync(d, { recursive: true, force: true });
});

test("VSC5043: a saved ruleset or journal that is a symlink, writable by others or foreign is never read; a lock symlink is refused", () => {
  const { d, st } = base();
  const dir = join(d, "state");
  const s = st(dir);
  savedRuleset.put(s, "d1", "table inet vsc {}\n");
  const nft = join(dir, `${s.key}.nft`);
  assert.is(savedRuleset.get(s, "d1"), "table inet vsc {}\n");
  // World-writable: anyone could have put their own table there for a rollback to load as root.
  writeFileSync(nft, "d1\ntable inet evil {}\n");
  chmodSync(nft, 0o666);
  const w = refusal(() => savedRuleset.get(s, "d1"));
  assert.is(w.diagnostic.code, "VSC5043");
  assert.match(w.diagnostic.message, /is writable by others \(mode 0666\)/);
  // A symlink to a file root can read.
  rmSync(nft);
  const secret = join(d, "secret");
  writeFileSync(secret, "d1\nroot only\n", { mode: 0o600 });
  symlinkSync(secret, nft);
  assert.match(refusal(() => savedRuleset.get(s, "d1")).message, /is a symbolic link/);
  // Writing replaces the link; the file it pointed to is untouched.
  savedRuleset.put(s, "d2", "table inet vsc {}\n");
  assert.ok(lstatSync(nft).isFile());
  assert.is(mode(nft), 0o600);
  assert.is(readFileSync(secret, "utf8"), "d1\nroot only\n");
  if (isRoot) {
    chownSync(nft, 65534, 65534);
    assert.match(refusal(() => savedRuleset.get(s, "d2")).message, /belongs to uid 65534/);
  }
  const journal = join(dir, `${s.key}.journal`);
  symlinkSync(secret, journal);
  assert.is(refusal(() => journalMarker.interrupted(s)).diagnostic.code, "VSC5043");
  journalMarker.set(s, "x");
  assert.ok(lstatSync(journal).isFile());
  assert.is(readFileSync(secret, "utf8"), "d1\nroot only\n");
  // A planted lock symlink: refused, the target untouched, no lock of ours left.
  const lock = join(dir, `${s.key}.lock`);
  symlinkSync(secret, lock);
  assert.is(refusal(() => acquireLock(s)).diagnostic.code, "VSC5043");
  assert.ok(lstatSync(lock).isSymbolicLink());
  assert.is(readFileSync(secret, "utf8"), "d1\nroot only\n");
  assert.equal(
    readdirSync(dir).filter((f) => f.endsWith(".tmp")),
    [],
  );
  rmSync(d, { recursive: true, force: true });
});

// nft faked: list says nothing is loaded, loads succeed.
const nftOk = (k: Kernel): Kernel => ({
  ...k,
  run: () => ({ status: 0, stdout: "", stderr: "" }),
});

test("an apply whose saved ruleset was made world-writable fails with VSC5043 and rolls back; the lock is released", async () => {
  const s = scratch();
  const o = { stateDir: s.stateDir, skipPreflight: true };
  const k = nftOk(scratchKernel(s.mount));
  // Live table "present" with digest d0 as far as the planner is concerned.
  let table: string | undefined;
  const kk: Kernel = {
    ...k,
    run(tool, args, input) {
      if (tool === "nft" && input?.startsWith("list tables")) {
        const m = table ? /comment "vsc:([0-9a-f]+)"/.exec(table) : null;
        return {
          status: 0,
          stdout: table
            ? `table inet vsc\ntable inet vsc {\n\tchain output {\n\t\tcomment "vsc:${m?.[1]}"\n\t}\n}\n`
            : "",
          stderr: "",
        };
      }
      if (tool === "nft" && args[0] === "-f") table = input;
      return { status: 0, stdout: "", stderr: "" };
    },
  };
  const apply = (d: DesiredState) =>
    applyWithLock(
      kk,
      d.cgroupRoot,
      () => planDesired(kk, d, o),
      async () => true,
      o,
    );
  const first = await apply(sampleDesired());
  assert.ok(first.result?.ok, JSON.stringify(first.diagnostics));
  const st = stateFiles(s.stateDir, kk.cgroupMount, "vsc");
  const nft = join(s.stateDir, `${st.key}.nft`);
  chmodSync(nft, 0o666);
  const before = snapshot(s.mount);
  const edited = sampleDesired({
    nftExtra: "chain extra { }",
    contexts: DEFAULT_CONTEXTS.map((c) => ({ ...c, weight: "300" })),
  });
  const out = await apply(edited);
  assert.is(out.diagnostics[0]?.code, "VSC5043", JSON.stringify(out.diagnostics));
  assert.ok(!out.result?.ok);
  assert.match(
    out.diagnostics[0]!.notes?.join("\n") ?? "",
    /rolled back/,
    JSON.stringify(out.diagnostics),
  );
  assert.equal(snapshot(s.mount), before);
  assert.not.ok(existsSync(join(s.stateDir, `${st.key}.lock`)));
  s.cleanup();
});

test("VSC5051: a full state file system: the lock cannot be written, and no (empty) lock file is left behind", () => {
  if (!isRoot) {
    console.warn("skipped: the full-file-system case needs root (mount tmpfs)");
    return;
  }
  const { d, st } = base();
  const mnt = join(d, "full");
  mkdirSync(mnt);
  const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=8k,mode=0700", "tmpfs", mnt]);
  if (m.status !== 0) {
    console.warn(`skipped: cannot mount a tmpfs here (${m.stderr.toString().trim()})`);
    return;
  }
  try {
    // Fill it: the lock's inode can still be made, its content cannot.
    try {
      writeFileSync(join(mnt, "filler"), Buffer.alloc(64 * 1024));
    } catch {
      /* ENOSPC: full */
    }
    const e = refusal(() => acquireLock(st(mnt)));
    assert.is(e.diagnostic.code, "VSC5051");
    assert.match(e.diagnostic.message, /ENOSPC/);
    assert.equal(readdirSync(mnt), ["filler"]);
  } finally {
    spawnSync("umount", ["-l", mnt]);
    rmSync(d, { recursive: true, force: true });
  }
});

test("every state and input-file code is in the catalog with a title and an explanation", () => {
  for (const c of ["VSC1020", "VSC1021", "VSC1022", "VSC1023", "VSC1024"])
    assert.ok(filesCodes[c]?.explain, c);
  for (const c of ["VSC5040", "VSC5041", "VSC5042", "VSC5043", "VSC9010", "VSC9011"])
    assert.ok(filesCodes[c]?.title && filesCodes[c]?.explain, c);
});

test.run();
