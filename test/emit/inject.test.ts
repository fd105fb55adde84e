/** Hostile strings in every string position cannot leave their quoting or comment in any artifact. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { VscIr } from "../../src/ir/types.gen.js";
import { desiredState, emitArtifacts } from "../../src/emit/index.js";
import { commentText, nftName, shQuote } from "../../src/emit/quote.js";
import { languageIr } from "./fixtures.js";
import { isRoot, lintShell, nftCheck, runCgroupTwice, tcBatchTwice } from "./tools.js";

const marker = join(mkdtempSync(join(tmpdir(), "vsc-inject-")), "pwned");
const EVIL = [
  `x\n$(touch ${marker})\n`,
  `*/ \`touch ${marker}\` '; touch ${marker}; '`,
  `"; } table ip evil { chain c { drop; } } #`,
  `\r\nqdisc del dev eth0 root\n`,
  `ünïcode\u2028sep\u0000nul`,
].join("|");

function hostileIr(): VscIr {
  const ir = languageIr();
  ir.entry = `${EVIL}.vsc`;
  ir.host.name = EVIL;
  const relocate = (o: unknown): void => {
    if (Array.isArray(o)) o.forEach(relocate);
    else if (o && typeof o === "object") {
      const r = o as Record<string, unknown>;
      if (typeof r.file === "string" && typeof r.line === "number") r.file = `inc/${EVIL}.vsc`;
      Object.values(r).forEach(relocate);
    }
  };
  relocate(ir);
  const web = ir.nodes.find((n) => n.name === "web")!;
  web.security.hostname = EVIL;
  web.security.root = `/srv/${EVIL}`;
  return ir;
}

const ir = hostileIr();
const a = emitArtifacts(ir);

test("quoting helpers", () => {
  assert.is(shQuote("a'b"), `'a'\\''b'`);
  assert.is(shQuote(""), "''");
  assert.is(shQuote("vsc/web-tier"), "vsc/web-tier");
  assert.is(commentText("a\nb*/"), "a\\x0ab\\x2a/");
  assert.not.match(commentText(EVIL), /[\n\r\u2028"'`$*\\]\W/);
  assert.throws(() => nftName('vsc/a" drop'));
});

test("no artifact line outside a comment carries hostile text", () => {
  for (const name of ["cgroup.sh", "ruleset.nft", "tc.batch"] as const) {
    for (const line of a[name].split("\n")) {
      if (/^\s*#/.test(line)) continue;
      // What precedes a trailing " # source" comment is the code.
      const code = line.replace(/ # [^']*$/, "");
      assert.not.match(code, /pwned|evil|qdisc del|ünï|\u2028|\u0000/, `${name}: ${line}`);
    }
    // Each hostile file name shows up escaped, on comment lines only.
    assert.match(a[name], "x\\x0a\\x24(touch ");
  }
});

test("plan.json keeps hostile strings as JSON data", () => {
  assert.equal(JSON.parse(a["plan.json"]), ir);
});

test("the hostile cgroup.sh is still clean and runs without executing anything", () => {
  assert.is(lintShell(a["cgroup.sh"]), "");
  const r = runCgroupTwice(a["cgroup.sh"]);
  assert.equal(r.status, [0, 0], r.stderr.join("\n"));
  assert.not.ok(existsSync(marker));
});

test("the hostile ruleset and tc batch still pass nft -c and tc -batch", () => {
  if (!isRoot()) return;
  const d = desiredState(ir);
  const n = nftCheck(d.nft.ruleset, d.nft.cgroupPaths);
  assert.is(n.status, 0, n.stderr);
  const t = tcBatchTwice(a["tc.batch"], ["eth0"]);
  assert.equal(t.status, [0, 0], t.stderr.join("\n"));
  assert.not.ok(existsSync(marker));
});

test("a cgroup root outside the grammar is a bug, never emitted", () => {
  const bad = languageIr();
  bad.host.cgroupRoot = 'vsc" ; drop';
  assert.throws(() => desiredState(bad), /vsc bug/);
});

test.after(() => rmSync(join(marker, ".."), { recursive: true, force: true }));

test.run();
