/**
 * The README's two commands: the first runs scripts/setup.sh, which installs
 * the Debian packages of scripts/debian-packages.sh (the list .ci/run reads
 * too) and then runs npm ci; the second is `npm test`. setup.sh runs here
 * against stub dpkg-query/apt-get/sudo/npm, which record what they are asked.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { packageRoot } from "../../src/paths.js";

const root = packageRoot();
const lists = readFileSync(join(root, "scripts/debian-packages.sh"), "utf8");
const list = (name: string) => new RegExp(`^${name}="([^"]*)"$`, "m").exec(lists)![1]!.split(" ");
const TEST_PACKAGES = list("VSC_TEST_PACKAGES");
const LAB_PACKAGES = list("VSC_LAB_PACKAGES");

/** Runs setup.sh with stubs first in PATH; `installed` packages answer as installed. */
function runSetup(opts: { installed: string[]; uid: number; args?: string[] }) {
  const dir = mkdtempSync(join(tmpdir(), "vsc-setup-"));
  const log = join(dir, "log");
  const stub = (name: string, body: string) => {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  };
  const record = `echo "$(basename "$0") $*" >> '${log}'`;
  stub(
    "dpkg-query",
    `for p in ${opts.installed.join(" ")}; do [ "$p" = "$3" ] && { printf 'install ok installed'; exit 0; }; done; exit 1`,
  );
  stub("id", `echo ${opts.uid}`);
  stub("sudo", `${record}; exec "$@"`);
  stub("apt-get", record);
  stub("npm", record);
  const r = spawnSync("sh", [join(root, "scripts/setup.sh"), ...(opts.args ?? [])], {
    encoding: "utf8",
    env: { ...process.env, PATH: `${dir}:/usr/bin:/bin` },
  });
  let lines: string[] = [];
  try {
    lines = readFileSync(log, "utf8").trim().split("\n");
  } catch {
    /* nothing was run */
  }
  rmSync(dir, { recursive: true, force: true });
  return { status: r.status, stderr: r.stderr, lines };
}

test("the lists hold what the tests run", () => {
  for (const p of ["nftables", "iproute2", "shellcheck", "util-linux", "libcap2-bin"])
    assert.ok(TEST_PACKAGES.includes(p), p);
  assert.ok(LAB_PACKAGES.includes("qemu-system-x86"));
});

test("a fresh machine, not root: sudo apt-get installs every test package, then npm ci", () => {
  const r = runSetup({ installed: [], uid: 1000 });
  assert.is(r.status, 0, r.stderr);
  const install = `apt-get install -y -qq --no-install-recommends ${TEST_PACKAGES.join(" ")}`;
  assert.equal(r.lines, [
    "sudo apt-get update -qq",
    "apt-get update -qq",
    `sudo env DEBIAN_FRONTEND=noninteractive ${install}`,
    install,
    "npm ci --no-audit --no-fund",
  ]);
});

test("as root only the missing packages, without sudo; --kernel-lab adds the lab's", () => {
  const r = runSetup({ installed: TEST_PACKAGES.filter((p) => p !== "shellcheck"), uid: 0 });
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.lines, [
    "apt-get update -qq",
    "apt-get install -y -qq --no-install-recommends shellcheck",
    "npm ci --no-audit --no-fund",
  ]);
  const lab = runSetup({ installed: TEST_PACKAGES, uid: 0, args: ["--kernel-lab"] });
  assert.is(
    lab.lines[1],
    `apt-get install -y -qq --no-install-recommends ${LAB_PACKAGES.join(" ")}`,
  );
});

test("everything installed: nothing but npm ci", () => {
  const r = runSetup({ installed: [...TEST_PACKAGES, ...LAB_PACKAGES], uid: 1000 });
  assert.equal(r.lines, ["npm ci --no-audit --no-fund"]);
});

test("setup.sh and .ci/run pass shellcheck; .ci/run installs from the same lists", () => {
  for (const [shell, f] of [
    ["sh", "scripts/setup.sh"],
    ["bash", ".ci/run"],
  ] as const) {
    const r = spawnSync("shellcheck", ["-x", "-s", shell, "-S", "warning", f], {
      cwd: root,
      encoding: "utf8",
    });
    assert.is(r.status, 0, `${f}: ${r.stdout}${r.stderr}`);
  }
  const ci = readFileSync(join(root, ".ci/run"), "utf8");
  assert.match(ci, /^\. scripts\/debian-packages\.sh$/m);
  assert.match(ci, /\$VSC_TEST_PACKAGES \$VSC_LAB_PACKAGES/);
  // No second copy of the list.
  assert.not.match(ci, /shellcheck util-linux/);
});

test("README: the first command runs setup.sh and compiles an example; the second is npm test", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const block = /```sh\n([\s\S]*?)```/.exec(readme)![1]!.trim().split("\n");
  assert.equal(block, [
    "sh scripts/setup.sh && npx vsc compile examples/language.vsc -o out/",
    "npm test",
  ]);
});

test.run();
