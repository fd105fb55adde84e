/**
 * The CLI as a real process (bin/vsc.js over the bundle): what only a
 * process shows, such as a reader that closes the pipe early.
 */
import { spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  cpSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { packageRoot } from "../../src/paths.js";

const VSC = join(packageRoot(), "bin", "vsc.js");
const dir = mkdtempSync(join(tmpdir(), "vsc-proc-"));
const good = join(dir, "good.vsc");
writeFileSync(good, "host h {\n  cpus 2\n  memory 1GiB\n}\ncontext a {\n  id 1\n}\n");

/** Runs vsc with the read end of stdout or stderr closed before vsc writes anything. */
function runClosed(
  which: "stdout" | "stderr",
  ...argv: string[]
): Promise<{ code: number | null; signal: string | null; other: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [VSC, ...argv], { stdio: ["ignore", "pipe", "pipe"] });
    child[which].destroy();
    let other = "";
    const keep = which === "stdout" ? child.stderr : child.stdout;
    keep.setEncoding("utf8").on("data", (t: string) => (other += t));
    child.on("close", (code, signal) => resolve({ code, signal, other }));
  });
}

test("a closed stdout (vsc explain | head -1) ends quietly with the command's exit code", async () => {
  for (const argv of [
    ["explain"],
    ["explain", "VSC2022"],
    ["compile", good, "-o", "-", "--target", "nft"],
  ]) {
    const r = await runClosed("stdout", ...argv);
    assert.is(r.other, "", `${argv.join(" ")}: ${r.other}`);
    assert.is(r.code, 0, argv.join(" "));
  }
});

test("a closed stderr: no crash, the exit code is still the command's", async () => {
  // compile writes "wrote ..." to stderr and exits 0; an unhandled EPIPE would exit 1.
  const r = await runClosed("stderr", "compile", good, "-o", join(dir, "out"));
  assert.is(r.code, 0);
  // check with errors still exits 1 (and not 70, an internal error).
  writeFileSync(join(dir, "bad.vsc"), "host h {\n  cpus 2\n}\n");
  assert.is((await runClosed("stderr", "check", join(dir, "bad.vsc"))).code, 1);
});

test("stdout on a full disk (/dev/full): said once on stderr, exit 1, no stack trace", () => {
  const full = openSync("/dev/full", "w");
  try {
    for (const argv of [["explain"], ["compile", good, "-o", "-", "--target", "nft"]]) {
      const r = spawnSync(process.execPath, [VSC, ...argv], {
        stdio: ["ignore", full, "pipe"],
        encoding: "utf8",
      });
      assert.is(r.status, 1, argv.join(" "));
      assert.is(r.stderr, "vsc: cannot write to stdout: ENOSPC\n", argv.join(" "));
    }
  } finally {
    closeSync(full);
  }
});

test("the bundle runs from its code cache, and a cache of another bundle is never used", () => {
  const probe = (root: string) =>
    spawnSync(
      process.execPath,
      [
        "-e",
        `const b = require(${JSON.stringify(join(root, "bin", "load-bundle.js"))}); b.tuneV8(); process.stdout.write(String(b.loadBundle().cacheUsed))`,
      ],
      { encoding: "utf8" },
    ).stdout.trim();
  assert.is(probe(packageRoot()), "true", "the build's cache is used");

  // A copy whose cache names another bundle id: not used, and vsc still runs the same.
  const copy = join(dir, "pkg");
  for (const d of ["bin", "dist/bundle", "templates"])
    cpSync(join(packageRoot(), d), join(copy, d), { recursive: true });
  cpSync(join(packageRoot(), "package.json"), join(copy, "package.json"));
  const cache = join(copy, "dist", "bundle", "main.cache");
  const bytes = readFileSync(cache);
  bytes[0] = bytes[0] === 0x30 ? 0x31 : 0x30; // the first hex digit of the id
  writeFileSync(cache, bytes);
  assert.is(probe(copy), "false", "a cache with another id is not used");
  const r = spawnSync(process.execPath, [join(copy, "bin", "vsc.js"), "check", good], {
    encoding: "utf8",
  });
  assert.is(r.status, 0, r.stderr);
  rmSync(cache);
  assert.is(probe(copy), "false", "no cache: compiled as usual");
  assert.is(spawnSync(process.execPath, [join(copy, "bin", "vsc.js"), "check", good]).status, 0);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
