/**
 * `npm run bench:systemd-lab`: the systemd driver on a real systemd 252 as
 * PID 1 (the kernel lab's systemd mode). 1,000 contexts (VSC_PERF_N): apply
 * from empty against its floor (the same unit files written in a plain loop,
 * one daemon-reload, `systemctl start` of the target that starts the slices
 * and loads the ruleset), timed in the same boot; the no-op plan; and a
 * one-context edit (how many files its plan touches). Absolute times under
 * software emulation are slow; the ratio to the floor is what carries over.
 */
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { check } from "../src/check/index.js";
import { recordingIo } from "../src/cli/io.js";
import { sdCmdApply, sdCmdDestroy, sdCmdPlan } from "../src/cli/systemd.js";
import { sdDesired } from "../src/systemd/driver.js";
import { realSystemdHost } from "../src/systemd/host.js";
import { writeLink, writeUnitFile } from "../src/systemd/unit-dir.js";
import { loadProgram, memoryHost } from "../src/syntax/load.js";

if (process.env.VSC_SYSTEMD_LAB !== "1") {
  console.error(
    "bench/systemd-lab runs in the kernel lab's systemd mode: npm run bench:systemd-lab",
  );
  process.exit(1);
}
const N = Number(process.env.VSC_PERF_N ?? 1000);

function config(n: number, editOne = false): string {
  const out = ["host bench {\n  cpus 2\n  memory 64GiB\n  driver systemd\n}\n"];
  for (let i = 1; i <= n; i++) {
    const limit = editOne && i === 1 ? "40MiB" : "32MiB";
    out.push(
      `context c${i} { id ${i}  cpu { share ${1 + (i % 4)} }  memory { limit ${limit} } }\n`,
    );
  }
  return out.join("");
}
function irOf(text: string) {
  const { program } = loadProgram("bench.vsc", memoryHost({ "bench.vsc": text }));
  const r = check(program);
  if (!r.ir) throw new Error(JSON.stringify(r.diagnostics.slice(0, 3)));
  return r.ir;
}
const sc = (...args: string[]) => {
  const r = spawnSync("systemctl", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`systemctl ${args.join(" ")}: ${r.stderr}`);
};
const time = (f: () => unknown): number => {
  const t = performance.now();
  f();
  return performance.now() - t;
};
const timeAsync = async (f: () => Promise<unknown>): Promise<number> => {
  const t = performance.now();
  await f();
  return performance.now() - t;
};

const h = realSystemdHost();
const ir = irOf(config(N));
const want = sdDesired(ir);
const args = { file: "bench.vsc", autoApprove: true, stateDir: "/run/vsc-bench" };

// The floor: the same files, one reload, the target started.
const floor = time(() => {
  for (const f of want.files)
    writeUnitFile(f.root === "unit" ? h.unitDir : h.installDir, f.path, f.text);
  for (const l of want.links) writeLink(h.unitDir, l.path, l.target);
  sc("daemon-reload");
  sc("start", want.target);
});
// Back to empty (not timed): vsc's destroy removes exactly these files.
let io = recordingIo();
if ((await sdCmdDestroy(ir, args, io, h)) !== 0) throw new Error(io.stderr);
rmSync("/etc/vsc", { recursive: true, force: true });

io = recordingIo();
let code = 0;
const apply = await timeAsync(async () => {
  code = await sdCmdApply(ir, args, io, h);
});
if (code !== 0) throw new Error(io.stderr);

io = recordingIo();
const noop = time(() => {
  code = sdCmdPlan(ir, { ...args, detailedExitcode: true }, io, h);
});
if (code !== 0) throw new Error(`no-op plan not empty: ${io.stdout.slice(0, 500)}`);

io = recordingIo();
const edit = time(() => sdCmdPlan(irOf(config(N, true)), args, io, h));
const touched = io.stdout.split("\n").filter((l) => /^\s+[+~-] \//.test(l));

console.log(`## systemd driver on systemd 252 (kernel lab, software emulation), ${N} contexts\n`);
console.log(
  "| floor | vsc apply from empty | / floor | no-op plan | one-context edit plan | files touched |",
);
console.log(
  "| ----- | -------------------- | ------- | ---------- | --------------------- | ------------- |",
);
console.log(
  `| ${(floor / 1000).toFixed(2)} s | ${(apply / 1000).toFixed(2)} s | ${(apply / floor).toFixed(2)}x | ${(noop / 1000).toFixed(2)} s | ${(edit / 1000).toFixed(2)} s | ${touched.length} (${touched.map((l) => l.trim().replace(/^.*\//, "")).join(", ")}) |`,
);
io = recordingIo();
await sdCmdDestroy(ir, args, io, h);
