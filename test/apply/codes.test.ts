/** The executor's failure codes, each triggered through a kernel that misbehaves in one way. */
import { test } from "uvu";
import { readFileSync } from "node:fs";
import * as assert from "uvu/assert";
import { applyWithLock, planDesired } from "../../src/apply/applier.js";
import type { Kernel } from "../../src/apply/kernel.js";
import { KernelError } from "../../src/apply/kernel.js";
import { Code } from "../../src/plan/codes.js";
import { hostCodes } from "../../src/diag/codes/host.js";
import type { DesiredState } from "../../src/model/desired.js";
import { sampleDesired, scratch, scratchKernel, snapshot } from "./fixture.js";

const nftOk = (k: Kernel): Kernel => ({
  ...k,
  run: (tool, args, input) =>
    tool === "nft" && input?.startsWith("list")
      ? { status: 0, stdout: "", stderr: "" }
      : { status: 0, stdout: "", stderr: "" },
});

async function applyWith(wrap: (k: Kernel) => Kernel, d: DesiredState = sampleDesired()) {
  const s = scratch();
  const k = wrap(nftOk(scratchKernel(s.mount)));
  const o = { stateDir: s.stateDir, skipPreflight: true };
  const out = await applyWithLock(
    k,
    d.cgroupRoot,
    () => planDesired(k, d, o),
    async () => true,
    o,
  );
  return { out, s, k };
}

test("VSC5021: the kernel keeps another value than the one written", async () => {
  const { out, s } = await applyWith((k) => ({
    ...k,
    write: (p, v) => k.write(p, p.endsWith("memory.max") && v !== "max" ? "4096" : v),
  }));
  assert.is(out.diagnostics[0]?.code, "VSC5021");
  assert.match(out.diagnostics[0]!.message, /memory\.max reads back "4096"/);
  assert.equal(
    Object.keys(snapshot(s.mount)).filter((f) => f.startsWith("vsc")),
    [],
  );
  s.cleanup();
});

test("VSC5025: an undo step fails too; the plan is named as the way to converge", async () => {
  let failing = false;
  const { out, s } = await applyWith((k) => ({
    ...k,
    write: (p, v) => {
      if (p === "vsc/batch/pids.max") {
        failing = true;
        throw new KernelError(`write ${p}`, "Invalid argument (EINVAL)");
      }
      k.write(p, v);
    },
    rmdir: (p) => {
      if (failing && p === "vsc/batch")
        throw new KernelError(`rmdir ${p}`, "Device or resource busy (EBUSY)");
      k.rmdir(p);
    },
  }));
  assert.equal(
    out.diagnostics.map((d) => d.code),
    ["VSC5020", "VSC5025"],
  );
  assert.match(out.diagnostics[1]!.notes!.join("\n"), /rmdir vsc\/batch/);
  s.cleanup();
});

test("VSC5035: the live state cannot be read", async () => {
  const { out, s } = await applyWith((k) => ({
    ...k,
    run: () => ({
      status: 1,
      stdout: "",
      stderr: "Error: Operation not permitted",
    }),
  }));
  assert.is(out.diagnostics[0]?.code, "VSC5035");
  assert.match(out.diagnostics[0]!.message, /Operation not permitted/);
  s.cleanup();
});

test("src/plan/codes.ts names exactly the catalog's host codes, each once", () => {
  const named = Object.values(Code);
  assert.equal([...named].sort(), Object.keys(hostCodes).sort());
  assert.is(new Set(named).size, named.length);
});

test("the applier's sources spell no VSC5 code as a literal (they use Code)", () => {
  for (const f of [
    "src/apply/execute.ts",
    "src/apply/applier.ts",
    "src/plan/plan.ts",
    "src/plan/document.ts",
    "src/plan/validate.ts",
    "src/apply/preflight.ts",
  ]) {
    assert.not.match(readFileSync(f, "utf8"), /"VSC5\d{3}"/, f);
  }
});

test("every host code has a title and an explanation", () => {
  for (const [code, info] of Object.entries(hostCodes)) {
    // VSC50xx the applier, VSC5100-5119 traffic classes and ingress (language-v2.md §3),
    // VSC540x-541x apply --confirm / confirm / revert (src/apply/confirm.ts).
    assert.match(code, /^VSC5(0\d\d|1[01]\d|4[01]\d)$/);
    assert.ok(info.title.length > 5 && info.explain.length > 80, code);
  }
});

test.run();
