/**
 * Root-level file hazards and hostile input files, run through the real
 * binary (bin/vsc.js) in a child process so that the umask, the pid (the old
 * predictable temp name) and hangs are real: every spawn has a timeout, and a
 * hang fails the test instead of blocking the suite. docs/security.md.
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
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
import { test } from "uvu";
import * as assert from "uvu/assert";
import { packageRoot } from "../../src/paths.js";

/** VSC_TEST_BIN runs these cases against another build (how the "before" figures were taken). */
const BIN = process.env.VSC_TEST_BIN ?? join(packageRoot(), "bin", "vsc.js");
const isRoot = process.geteuid?.() === 0;
const dir = mkdtempSync(join(tmpdir(), "vsc-hostile-"));
chmodSync(dir, 0o755);
// The cases leave files a person would not want in /tmp (a FIFO, files owned
// by nobody, symlinks): all of it goes with the suite.
test.after(() => rmSync(dir, { recursive: true, force: true }));
const GOOD =
  "host h {\n  cpus 2\n  memory 1GiB\n  link eth0 rate 1gbit\n}\ncontext a {\n  id 1\n  cpu { share 2 }\n}\n";
const UGLY = "context a {\nid 1\n}\n";
const FORMATTED = "context a {\n  id 1\n}\n";

/** Every run is bounded: a child still running after 15 s is killed and the test fails. */
function vsc(args: string[], o: { umask?: string; cwd?: string; uid?: number } = {}) {
  const argv =
    o.umask !== undefined
      ? ["sh", "-c", `umask ${o.umask}; exec "$0" "$@"`, process.execPath, BIN, ...args]
      : [process.execPath, BIN, ...args];
  const t0 = Date.now();
  const r = spawnSync(argv[0]!, argv.slice(1), {
    cwd: o.cwd ?? dir,
    encoding: "utf8",
    timeout: 15000,
    env: { ...process.env, NO_COLOR: "1" },
    ...(o.uid !== undefined ? { uid: o.uid, gid: o.uid } : {}),
  });
  assert.ok(r.signal === null, `vsc ${args.join(" ")} did not exit within 15 s (${r.signal})`);
  return { code: r.status, err: r.stderr, out: r.stdout, ms: Date.now() - t0 };
}

const mode = (p: string) => statSync(p).mode & 0o7777;
const sub = (name: string) => {
  const d = join(dir, name);
  mkdirSync(d);
  return d;
};

test("compile: a symlink at the old predictable temp name (<path>.tmp-<pid>) is not followed", () => {
  const d = sub("tmpname");
  writeFileSync(join(d, "good.vsc"), GOOD);
  const victim = join(d, "victim");
  writeFileSync(victim, "secret\n", { mode: 0o600 });
  mkdirSync(join(d, "out"));
  // `exec` keeps the shell's pid, so $$ is the pid vsc would have used.
  const r = spawnSync(
    "sh",
    [
      "-c",
      'ln -s "$1" "out/cgroup.sh.tmp-$$" && exec "$0" "$2" compile good.vsc -o out',
      process.execPath,
      victim,
      BIN,
    ],
    { cwd: d, encoding: "utf8", timeout: 15000 },
  );
  assert.is(r.status, 0, r.stderr);
  assert.is(readFileSync(victim, "utf8"), "secret\n");
  assert.is(mode(victim), 0o600);
  assert.ok(lstatSync(join(d, "out", "cgroup.sh")).isFile());
  // No temporary file is left behind (the planted link is the attacker's, untouched).
  assert.equal(
    readdirSync(join(d, "out")).filter((f) => f.includes("tmp") && !f.startsWith("cgroup.sh.tmp-")),
    [],
  );
});

test("compile under umask 000: artifacts 0644 (cgroup.sh 0755), a new output directory 0755; a symlink at an artifact is replaced, not followed", () => {
  const d = sub("umask");
  writeFileSync(join(d, "good.vsc"), GOOD);
  mkdirSync(join(d, "out"));
  const victim = join(d, "victim.nft");
  writeFileSync(victim, "keep\n", { mode: 0o600 });
  symlinkSync(victim, join(d, "out", "ruleset.nft"));
  for (const out of ["out", "new/deeper"]) {
    const r = vsc(["compile", "good.vsc", "-o", out], { umask: "000", cwd: d });
    assert.is(r.code, 0, r.err);
    const o = join(d, out);
    assert.is(mode(join(o, "cgroup.sh")), 0o755);
    for (const f of ["ruleset.nft", "tc.batch", "plan.json"]) assert.is(mode(join(o, f)), 0o644, f);
    assert.ok(lstatSync(join(o, "ruleset.nft")).isFile());
  }
  assert.is(mode(join(d, "new")), 0o755);
  assert.is(mode(join(d, "new/deeper")), 0o755);
  assert.is(readFileSync(victim, "utf8"), "keep\n");
  assert.is(mode(victim), 0o600);
});

test("VSC9010: compile -o naming a symlink (with or without a trailing slash) writes nothing through it", () => {
  const d = sub("outlink");
  writeFileSync(join(d, "good.vsc"), GOOD);
  const elsewhere = join(d, "elsewhere");
  mkdirSync(elsewhere);
  symlinkSync(elsewhere, join(d, "out"));
  for (const o of ["out", "out/"]) {
    const r = vsc(["compile", "good.vsc", "-o", o], { cwd: d });
    assert.is(r.code, 1);
    assert.match(r.err, /error\[VSC9010\]: the output directory out\/? is a symbolic link/);
  }
  assert.equal(readdirSync(elsewhere), []);
  writeFileSync(join(d, "plain"), "x");
  assert.match(
    vsc(["compile", "good.vsc", "-o", "plain"], { cwd: d }).err,
    /VSC9010.*not a directory/,
  );
});

test("fmt keeps the file's mode (0600 stays 0600, also under umask 000) and formats a symlink's target, keeping the link", () => {
  const d = sub("fmt");
  const f = join(d, "private.vsc");
  writeFileSync(f, UGLY, { mode: 0o600 });
  chmodSync(f, 0o600);
  const r = vsc(["fmt", f], { umask: "000" });
  assert.is(r.code, 0, r.err);
  assert.is(readFileSync(f, "utf8"), FORMATTED);
  assert.is(mode(f), 0o600);
  writeFileSync(join(d, "target.vsc"), UGLY);
  chmodSync(join(d, "target.vsc"), 0o640);
  symlinkSync("target.vsc", join(d, "link.vsc"));
  const l = vsc(["fmt", "link.vsc"], { cwd: d });
  assert.is(l.code, 0, l.err);
  assert.ok(lstatSync(join(d, "link.vsc")).isSymbolicLink());
  assert.is(readFileSync(join(d, "target.vsc"), "utf8"), FORMATTED);
  assert.is(mode(join(d, "target.vsc")), 0o640);
  assert.equal(readdirSync(d).sort(), ["link.vsc", "private.vsc", "target.vsc"]);
});

test("fmt keeps a file's owner; VSC9011 when it cannot (another user's file, not root)", () => {
  if (!isRoot) {
    console.warn("skipped: fmt owner tests need root (chown)");
    return;
  }
  const d = sub("owner");
  chmodSync(d, 0o777);
  const theirs = join(d, "theirs.vsc");
  writeFileSync(theirs, UGLY);
  chownSync(theirs, 65534, 65534);
  const r = vsc(["fmt", theirs]);
  assert.is(r.code, 0, r.err);
  assert.is(statSync(theirs).uid, 65534);
  assert.is(statSync(theirs).gid, 65534);
  assert.is(readFileSync(theirs, "utf8"), FORMATTED);
  // nobody formatting root's file in a directory nobody may write: refused, file untouched.
  const roots = join(d, "roots.vsc");
  writeFileSync(roots, UGLY);
  chmodSync(roots, 0o644);
  const n = vsc(["fmt", roots], { uid: 65534 });
  assert.is(n.code, 1, n.err);
  assert.match(n.err, /error\[VSC9011\]: cannot format .*roots\.vsc: it belongs to another user/);
  assert.is(readFileSync(roots, "utf8"), UGLY);
  assert.is(statSync(roots).uid, 0);
  assert.equal(readdirSync(d).sort(), ["roots.vsc", "theirs.vsc"]);
});

test("VSC1020: a FIFO or /dev/zero as the entry file or an include is refused at once (check, fmt, apply)", () => {
  const d = sub("fifo");
  const fifo = join(d, "pipe.vsc");
  assert.is(spawnSync("mkfifo", [fifo]).status, 0);
  symlinkSync("/dev/zero", join(d, "zero.vsc"));
  writeFileSync(join(d, "inc-fifo.vsc"), 'context a { id 1 }\ninclude "pipe.vsc"\n');
  writeFileSync(join(d, "inc-zero.vsc"), '\n  include "zero.vsc"\n');
  for (const args of [
    ["check", fifo],
    ["check", "/dev/zero"],
    ["fmt", fifo],
    ["fmt", "/dev/zero"],
    ["apply", fifo, "--auto-approve", "--cgroup-mount", d],
  ]) {
    const r = vsc(args);
    assert.is(r.code, 1, `${args.join(" ")}: ${r.err}`);
    assert.match(r.err, /error\[VSC1020\].*not a regular file/);
  }
  const i = vsc(["check", "inc-fifo.vsc"], { cwd: d });
  assert.is(i.code, 1);
  assert.match(i.err, /error\[VSC1020\]: `pipe\.vsc` is not a regular file: it is a FIFO/);
  assert.match(i.err, /--> inc-fifo\.vsc:2:9\n/);
  const z = vsc(["check", "inc-zero.vsc"], { cwd: d });
  assert.match(
    z.err,
    /error\[VSC1020\]: `zero\.vsc` is not a regular file: it is a character device/,
  );
  assert.match(z.err, /--> inc-zero\.vsc:2:11\n[^]*\^\^\^\^\^\^\^\^\^\^/);
});

test("VSC1021: a 50 MB file is refused from its size, quickly and without reading it", () => {
  const d = sub("big");
  writeFileSync(join(d, "big.vsc"), Buffer.alloc(50 * 1024 * 1024, ";"));
  const r = vsc(["check", "big.vsc"], { cwd: d });
  assert.is(r.code, 1);
  assert.match(r.err, /error\[VSC1021\]: `big\.vsc` is too large: .* 16 MiB together/);
  assert.match(r.err, /this file alone is 50\.0 MiB/);
  assert.ok(r.ms < 5000, `took ${r.ms} ms`);
  // Included, it is reported at the include.
  writeFileSync(join(d, "main.vsc"), 'include "big.vsc"\n');
  assert.match(vsc(["check", "main.vsc"], { cwd: d }).err, /VSC1021[^]*--> main\.vsc:1:9/);
});

test("VSC1022: an include chain of 3,000 files is a diagnostic at the include one level too deep, not a stack overflow", () => {
  const d = sub("chain");
  for (let i = 0; i < 3000; i++) writeFileSync(join(d, `c${i}.vsc`), `include "c${i + 1}.vsc"\n`);
  writeFileSync(join(d, "c3000.vsc"), "context a { id 1 }\n");
  const r = vsc(["check", "c0.vsc"], { cwd: d });
  assert.is(r.code, 1, r.err);
  assert.match(
    r.err,
    /error\[VSC1022\]: includes nested more than 64 files deep\n\s+--> c63\.vsc:1:1/,
  );
  assert.not.match(r.err, /internal error/);
});

test("VSC1024/VSC1023: include cannot leave the entry file's tree (also through a symlink) nor read a file that is not .vsc", () => {
  const d = sub("escape");
  mkdirSync(join(d, "conf/sub"), { recursive: true });
  writeFileSync(join(d, "secret.vsc"), "context leaked { id 1 }\n");
  writeFileSync(
    join(d, "conf/main.vsc"),
    'include "../../../../../../../etc/passwd"\ninclude "../secret.vsc"\ninclude "sub/link.vsc"\ninclude "notes.txt"\ninclude "sub/*"\n',
  );
  symlinkSync("/etc/passwd", join(d, "conf/sub/link.vsc"));
  writeFileSync(join(d, "conf/notes.txt"), "root:x:0:0:root:/root:/bin/bash\n");
  writeFileSync(join(d, "conf/sub/readme.md"), "# notes\n");
  const r = vsc(["check", "conf/main.vsc"], { cwd: d });
  assert.is(r.code, 1);
  assert.not.match(r.err, /root:x|leaked|# notes/);
  assert.match(
    r.err,
    /VSC1024\]: include `\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd` is outside[^]*main\.vsc:1:9/,
  );
  assert.match(r.err, /VSC1024\]: include `\.\.\/secret\.vsc` is outside[^]*main\.vsc:2:9/);
  assert.match(
    r.err,
    /VSC1024\]: include `sub\/link\.vsc` is outside the entry file's directory \(it resolves to \/etc\/passwd\)[^]*main\.vsc:3:9/,
  );
  assert.match(r.err, /VSC1023\]: include `notes\.txt` is not a \.vsc file[^]*main\.vsc:4:9/);
  assert.match(r.err, /VSC1023\]: include `sub\/readme\.md` is not a \.vsc file[^]*main\.vsc:5:9/);
  // A symlink that stays inside the tree and names a .vsc file is fine.
  writeFileSync(join(d, "conf/sub/real.vsc"), "context b { id 2 }\n");
  symlinkSync("real.vsc", join(d, "conf/sub/alias.vsc"));
  writeFileSync(join(d, "conf/ok.vsc"), `${GOOD}include "sub/alias.vsc"\n`);
  const ok = vsc(["check", "conf/ok.vsc"], { cwd: d });
  assert.is(ok.code, 0, ok.err);
});

test("plan --out: a symlink at the plan's path is replaced (mode 0644 under umask 000), never written through", async () => {
  const { makeScratchMount } = await import("../../src/apply/scratch.js");
  const d = sub("planout");
  const cg = join(d, "cg");
  mkdirSync(cg);
  makeScratchMount(cg);
  writeFileSync(join(d, "x.vsc"), "host h {\n  cpus 2\n  memory 1GiB\n}\ncontext a {\n  id 1\n}\n");
  const victim = join(d, "victim");
  writeFileSync(victim, "secret\n", { mode: 0o600 });
  symlinkSync(victim, join(d, "plan.json"));
  const r = vsc(["plan", "x.vsc", "--cgroup-mount", cg, "--out", "plan.json"], {
    cwd: d,
    umask: "000",
  });
  assert.is(r.code, 0, r.err);
  assert.is(readFileSync(victim, "utf8"), "secret\n");
  assert.ok(lstatSync(join(d, "plan.json")).isFile());
  assert.is(mode(join(d, "plan.json")), 0o644);
  assert.match(readFileSync(join(d, "plan.json"), "utf8"), /"format": "vsc-plan"/);
});

test.run();
