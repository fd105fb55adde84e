/** Real tool runs over the artifacts of hand-built IRs (the golden cases run the same checks). */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { desiredState, emitArtifacts } from "../../src/emit/index.js";
import { bigIr, languageIr } from "./fixtures.js";
import { rootTest } from "../root.js";
import { lintShell, nftCheck, runCgroupTwice, tcBatchTwice } from "./tools.js";

const lang = emitArtifacts(languageIr());

test("cgroup.sh passes sh -n and shellcheck", () => {
  assert.is(lintShell(lang["cgroup.sh"]), "");
});

test("cgroup.sh on a scratch tree: writes every value, idempotent on a second run", () => {
  const r = runCgroupTwice(lang["cgroup.sh"]);
  assert.equal(r.status, [0, 0], r.stderr.join("\n"));
  assert.is(r.second, r.first);
  const has = (line: string) => assert.ok(r.first.split("\n").includes(line), `missing: ${line}`);
  has(`cgroup.subtree_control = "+cpu +cpuset +io +memory +pids\\n"`);
  has(`vsc/cgroup.subtree_control = "+cpu +cpuset +io +memory +pids\\n"`);
  has(`vsc/web-tier/web/memory.max = "2147483648\\n"`);
  has(`vsc/web-tier/web/cpu.max = "100000 100000\\n"`);
  has(`vsc/web-tier/web/io.max = "254:0 rbps=50000000 wbps=20000000 riops=1000 wiops=500\\n"`);
  has(`vsc/batch/cpuset.cpus = "1\\n"`);
  has(`vsc/web-tier/cpuset.cpus = "0\\n"`);
  // The mount root is not vsc's: it says what it enables, and only when missing.
  assert.match(r.stderr[0], /vsc: enabling cpu cpuset io memory pids in /);
  assert.is(r.stderr[1], "");
});

rootTest("ruleset.nft passes nft -c with its cgroup paths present", () => {
  const d = desiredState(languageIr());
  const r = nftCheck(d.nft.ruleset, d.nft.cgroupPaths);
  assert.is(r.status, 0, r.stderr);
});

rootTest("nft -c fails when a cgroup path is missing (the check is real)", () => {
  const d = desiredState(languageIr());
  const r = nftCheck(d.nft.ruleset, []);
  assert.is.not(r.status, 0);
  assert.match(r.stderr, /cgroupv2 path fails/);
});

rootTest("tc.batch runs twice under tc -batch in a scratch netns and builds every class", () => {
  const r = tcBatchTwice(lang["tc.batch"], ["eth0"]);
  assert.equal(r.status, [0, 0], r.stderr.join("\n"));
  for (const id of ["1:fffe", "1:ffff", "1:ea72", "1:65"])
    assert.match(r.classes[0], `class htb ${id} `);
});

const big = bigIr(300);
const bigArtifacts = emitArtifacts(big);

test("300 contexts in 3 classes: cgroup.sh passes its tools", () => {
  const a = bigArtifacts;
  assert.is(lintShell(a["cgroup.sh"]), "");
  const c = runCgroupTwice(a["cgroup.sh"]);
  assert.equal(c.status, [0, 0], c.stderr.join("\n"));
  assert.is(c.second, c.first);
});

rootTest("300 contexts in 3 classes: the ruleset and tc batch pass nft -c and tc -batch", () => {
  const a = bigArtifacts;
  const d = desiredState(big);
  const n = nftCheck(d.nft.ruleset, d.nft.cgroupPaths);
  assert.is(n.status, 0, n.stderr.slice(0, 2000));
  const t = tcBatchTwice(a["tc.batch"], ["eth0"]);
  assert.equal(t.status, [0, 0], t.stderr.join("\n"));
  assert.is(t.classes[0].split("\n").filter((l) => l.startsWith("class htb")).length, 300 + 3 + 2);
});

test.run();
