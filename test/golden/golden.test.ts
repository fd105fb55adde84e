/**
 * Golden cases: each case is a directory with an input .vsc and one real
 * file per expected artifact; every example in examples/ is a case too.
 * `VSC_UPDATE=1` rewrites the expected files (never edit them by hand).
 * Every expected artifact also goes through its real tool, and compiling
 * twice, and from another working directory, gives the same bytes.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { packageRoot } from "../../src/paths.js";
import { loadProgram } from "../../src/syntax/load.js";
import { check } from "../../src/check/index.js";
import { fsSourceHost } from "../../src/cli/source-host.js";
import { hasErrors } from "../../src/diag/diagnostic.js";
import { desiredState, emitArtifacts } from "../../src/emit/index.js";
import type { VscIr } from "../../src/ir/types.gen.js";
import { lintShell, nftCheck, runCgroupTwice, tcBatchTwice } from "../emit/tools.js";
import { rootTest } from "../root.js";

const root = packageRoot();
const update = process.env.VSC_UPDATE === "1";
const ARTIFACTS = ["cgroup.sh", "ruleset.nft", "tc.batch", "plan.json"] as const;

interface Case {
  name: string;
  entry: string;
  expected: string;
}

function cases(): Case[] {
  const out: Case[] = [];
  const dir = join(root, "test/golden/cases");
  for (const name of readdirSync(dir).sort()) {
    if (!statSync(join(dir, name)).isDirectory()) continue;
    out.push({ name, entry: join(dir, name, "input.vsc"), expected: join(dir, name, "expected") });
  }
  const ex = join(root, "examples");
  const entries = readdirSync(ex)
    .sort()
    .flatMap((f) =>
      f.endsWith(".vsc") ? [f] : existsSync(join(ex, f, "node.vsc")) ? [`${f}/node.vsc`] : [],
    );
  for (const f of entries) {
    const name = f.replace(/\/node\.vsc$|\.vsc$/, "");
    out.push({
      name: `examples/${name}`,
      entry: join(ex, f),
      expected: join(root, "test/golden/examples", name),
    });
  }
  return out;
}

function compile(entry: string): VscIr {
  const { program, diagnostics } = loadProgram(entry, fsSourceHost());
  const r = check(program);
  const all = [...diagnostics, ...r.diagnostics];
  if (hasErrors(all) || !r.ir)
    throw new Error(
      `${entry} does not check: ${all.map((d) => `${d.code} ${d.message}`).join("; ")}`,
    );
  return r.ir;
}

for (const c of cases()) {
  test(`golden ${c.name}`, () => {
    const ir = compile(c.entry);
    const got = emitArtifacts(ir);
    if (update) {
      mkdirSync(c.expected, { recursive: true });
      for (const a of ARTIFACTS) writeFileSync(join(c.expected, a), got[a]);
    }
    for (const a of ARTIFACTS) {
      const want = readFileSync(join(c.expected, a), "utf8");
      assert.fixture(
        got[a],
        want,
        `${c.name}/${a} (rerun with VSC_UPDATE=1 if the change is intended)`,
      );
    }
    // Same bytes again, and from another working directory with a relative entry path.
    assert.equal(emitArtifacts(compile(c.entry)), got);
    const cwd = process.cwd();
    try {
      process.chdir(join(c.entry, ".."));
      assert.equal(emitArtifacts(compile(relative(process.cwd(), c.entry))), got);
    } finally {
      process.chdir(cwd);
    }
  });

  const text = (a: string) => readFileSync(join(c.expected, a), "utf8");
  test(`golden ${c.name}: cgroup.sh passes sh -n, shellcheck and two runs`, () => {
    assert.is(lintShell(text("cgroup.sh")), "");
    const run = runCgroupTwice(text("cgroup.sh"));
    assert.equal(run.status, [0, 0], run.stderr.join("\n"));
    assert.is(run.second, run.first);
  });

  rootTest(`golden ${c.name}: nft -c and tc -batch accept the expected artifacts`, () => {
    const d = desiredState(compile(c.entry));
    const n = nftCheck(text("ruleset.nft"), d.nft.cgroupPaths);
    assert.is(n.status, 0, n.stderr);
    if (d.links.length > 0) {
      const t = tcBatchTwice(
        text("tc.batch"),
        d.links.map((l) => l.dev),
        (d.ingress ?? []).map((g) => g.ifb),
      );
      assert.equal(t.status, [0, 0], t.stderr.join("\n"));
    }
  });
}

test.run();
