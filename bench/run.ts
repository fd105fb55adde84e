/**
 * `npm run bench [-- SECTION...]`: the project's benchmarks. Every figure is
 * printed next to a baseline measured in the same run, because absolute
 * times on a shared 2-core machine mean little and ratios travel.
 *
 * Sections: check, compile, fuzz, apply, fleet; and `against` (only when
 * named, with VSC_BENCH_AGAINST=DIR[:DIR...]: this build against other built
 * checkouts, bench/against.ts). `npm run bench:kernel` runs the
 * applier benchmark on a real cgroup v2 kernel in the kernel lab.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../src/paths.js";
import { generateConfig } from "./gen-config.js";
import { commandMs, fmtMs, fmtRatio, median, runsLine, table } from "./measure.js";

const root = packageRoot();
const node = process.execPath;
const want = new Set(process.argv.slice(2));
const on = (s: string) => want.size === 0 || want.has(s);
// `against` runs only when asked for: it needs a second build.
if (want.has("against")) {
  const other = process.env.VSC_BENCH_AGAINST;
  if (!other) throw new Error("bench against: set VSC_BENCH_AGAINST to a built vsc checkout");
  (await import("./against.js")).benchAgainst(other.split(":"));
  want.delete("against");
  if (want.size === 0) process.exit(0);
}

interface CheckRow {
  n: number;
  bytes: number;
  checkMs: number;
  checkCpuMs: number;
  jsonMs: number;
  maxRssKiB: number;
}

function benchCheck(): void {
  console.log("## check: parse + check of generated configs (in process, median of 5)\n");
  console.log(
    "baseline: JSON.parse of the same program's IR (the floor of loading any structured config)\n",
  );
  const rows: CheckRow[] = [];
  for (const n of [100, 1000, 10000]) {
    const r = spawnSync(
      node,
      [join(root, "dist/bench/check-child.js"), String(n), n >= 10000 ? "3" : "5"],
      {
        encoding: "utf8",
      },
    );
    if (r.status !== 0) throw new Error(`check benchmark failed for n=${n}:\n${r.stderr}`);
    rows.push(JSON.parse(r.stdout.trim().split("\n").pop()!) as CheckRow);
  }
  console.log(
    table(
      [
        "contexts",
        "source",
        "check",
        "check CPU",
        "per context",
        "peak RSS",
        "JSON.parse IR",
        "check / JSON.parse",
      ],
      rows.map((r) => [
        String(r.n),
        `${(r.bytes / 1024).toFixed(0)} KiB`,
        fmtMs(r.checkMs),
        fmtMs(r.checkCpuMs),
        `${((r.checkMs * 1000) / r.n).toFixed(1)} us`,
        `${(r.maxRssKiB / 1024).toFixed(0)} MiB`,
        fmtMs(r.jsonMs),
        fmtRatio(r.checkMs / r.jsonMs),
      ]),
    ),
  );
  const k1 = rows.find((r) => r.n === 1000)!;
  const k10 = rows.find((r) => r.n === 10000)!;
  console.log(
    `10,000 contexts: ${fmtMs(k10.checkMs)} (target < 1000 ms: ${k10.checkMs < 1000 ? "met" : "MISSED"}); ` +
      `10k / 1k = ${fmtRatio(k10.checkMs / k1.checkMs)} (target <= 12x: ${k10.checkMs / k1.checkMs <= 12 ? "met" : "MISSED"})\n`,
  );
}

/** Times `nft -c -f FILE` with the rules' cgroups present in a private cgroup2 mount. */
function nftCheckMs(rulesetPath: string, cgroupPaths: string[], runs: number): number | undefined {
  const mk = cgroupPaths.map((p) => `mkdir -p "/sys/fs/cgroup/${p}"`).join("\n");
  const rm = [...cgroupPaths]
    .reverse()
    .map((p) => `rmdir "/sys/fs/cgroup/${p}" 2>/dev/null`)
    .join("\n");
  const script = `set -e
mount -t cgroup2 none /sys/fs/cgroup
${mk}
best=""
for i in $(seq ${runs}); do
  s=$(date +%s%N); nft -c -f "$1"; e=$(date +%s%N)
  echo $(( (e - s) / 1000 ))
done
set +e
${rm}
`;
  const r = spawnSync("unshare", ["-m", "sh", "-c", script, "sh", rulesetPath], {
    encoding: "utf8",
  });
  if (r.status !== 0) {
    console.log(`(nft -c baseline unavailable: ${r.stderr.trim().split("\n").pop()})`);
    return undefined;
  }
  const us = r.stdout
    .trim()
    .split("\n")
    .map(Number)
    .sort((a, b) => a - b);
  return us[Math.floor(us.length / 2)] / 1000;
}

/** Peak resident memory (MiB) of one `node ARGS` run, read by the process itself as it exits. */
function peakRssMiB(args: string[]): number {
  const probe =
    'data:text/javascript,process.on("exit",()=>process.stderr.write("\\nvsc-bench-maxrss "+process.resourceUsage().maxRSS+"\\n"))';
  const r = spawnSync(node, ["--import", probe, ...args], { encoding: "utf8" });
  const m = /vsc-bench-maxrss (\d+)/.exec(r.stderr ?? "");
  if (r.status !== 0 || !m) throw new Error(`peak memory probe failed: ${r.stderr}`);
  return Number(m[1]) / 1024;
}

/**
 * Node's start-up is part of every compile figure, and the environment moves
 * it: with NODE_EXTRA_CA_CERTS set, Node 20 loads its bundled root
 * certificates and that file before it runs any script (about 30 ms on the
 * development VM, whose variable names Debian's whole bundle). vsc opens no
 * TLS connection, so there the variable is start-up cost only. When it is
 * set, this measures `node -e 0` and the 1,000-context compile both with and
 * without it, in alternation, so the figures above can be read either way.
 */
function startupEnvironment(args: string[]): void {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (!file) return;
  let certs = "";
  try {
    certs = ` (${readFileSync(file, "utf8").split("BEGIN CERTIFICATE").length - 1} certificates)`;
  } catch {
    certs = " (unreadable)";
  }
  const clean: NodeJS.ProcessEnv = { ...process.env };
  delete clean.NODE_EXTRA_CA_CERTS;
  const runs = {
    nodeWith: [] as number[],
    nodeWithout: [] as number[],
    vscWith: [] as number[],
    vscWithout: [] as number[],
  };
  for (let i = 0; i < 11; i++) {
    runs.nodeWith.push(commandMs(1, node, ["-e", "0"]));
    runs.nodeWithout.push(commandMs(1, node, ["-e", "0"], { env: clean }));
    runs.vscWith.push(commandMs(1, node, args));
    runs.vscWithout.push(commandMs(1, node, args, { env: clean }));
  }
  const row = (name: string, n: number[], v: number[]) => [
    name,
    fmtMs(median(n)),
    fmtMs(median(v)),
    fmtMs(median(v) - median(n)),
    median(v) < 200 ? "met" : "MISSED",
  ];
  console.log(
    `Node start-up here includes NODE_EXTRA_CA_CERTS=${file}${certs}, which Node 20 reads before any script runs. 1,000 contexts, 11 alternating runs each:\n`,
  );
  console.log(
    table(
      ["environment", "node -e 0", "vsc compile", "vsc - node", "< 200 ms"],
      [
        row("as is", runs.nodeWith, runs.vscWith),
        row("without NODE_EXTRA_CA_CERTS", runs.nodeWithout, runs.vscWithout),
      ],
    ),
  );
}

function benchCompile(): void {
  console.log("## compile: whole `vsc compile` process, Node start-up included (median)\n");
  console.log(
    "baselines: `node -e 0` (Node start-up), run alternately with each compile so both see the same machine, " +
      "and `nft -c -f` of the produced ruleset\n",
  );
  const dir = mkdtempSync(join(tmpdir(), "vsc-bench-"));
  try {
    const rows: string[][] = [];
    let nodeLine = "";
    let args1000: string[] = [];
    for (const n of [100, 1000, 10000]) {
      const src = join(dir, `gen-${n}.vsc`);
      writeFileSync(src, generateConfig(n, { cgroupRoot: "vsc-bench" }));
      const out = join(dir, `out-${n}`);
      const args = [join(root, "bin/vsc.js"), "compile", src, "-o", out];
      if (n === 1000) args1000 = args;
      // Alternate the compile with the start-up baseline: medians of pairs.
      const pairs = n >= 10000 ? 3 : n === 1000 ? 11 : 7;
      const nodeRuns: number[] = [];
      const runs: number[] = [];
      for (let i = 0; i < pairs; i++) {
        nodeRuns.push(commandMs(1, node, ["-e", "0"]));
        runs.push(commandMs(1, node, args));
      }
      const ms = median(runs);
      const nodeMs = median(nodeRuns);
      const rss = peakRssMiB(args);
      const ir = JSON.parse(readFileSync(join(out, "plan.json"), "utf8")) as {
        nodes: { path: string }[];
      };
      const paths = ["vsc-bench", ...ir.nodes.map((x) => `vsc-bench/${x.path}`)];
      const nft = n <= 1000 ? nftCheckMs(join(out, "ruleset.nft"), paths, 3) : undefined;
      rows.push([
        String(n),
        fmtMs(ms),
        `${((ms * 1000) / n).toFixed(0)} us`,
        `${rss.toFixed(0)} MiB`,
        fmtMs(nodeMs),
        fmtRatio(ms / nodeMs),
        nft === undefined ? "-" : fmtMs(nft),
        nft === undefined ? "-" : fmtRatio(ms / nft),
      ]);
      if (n === 1000) {
        nodeLine = `1,000 contexts: ${runs.length} runs ${Math.min(...runs).toFixed(0)}..${Math.max(...runs).toFixed(0)} ms`;
        console.log(
          `target: 1,000 contexts < 200 ms: ${ms < 200 ? "met" : "MISSED"} (${fmtMs(ms)}; Node start-up alone ${fmtMs(nodeMs)})`,
        );
      }
      if (n === 10000)
        console.log(
          `target: 10,000 contexts < 2000 ms: ${ms < 2000 ? "met" : "MISSED"} (${fmtMs(ms)})`,
        );
    }
    console.log(`${nodeLine}\n`);
    // language-v2.md §3: 1,000 contexts with 3 traffic classes each, against
    // the plain 1,000-context compile, alternately in this run.
    {
      const src = join(dir, "gen-1000-traffic.vsc");
      writeFileSync(src, generateConfig(1000, { cgroupRoot: "vsc-bench", traffic: true }));
      const args = [join(root, "bin/vsc.js"), "compile", src, "-o", join(dir, "out-traffic")];
      const plain: number[] = [];
      const withTraffic: number[] = [];
      for (let i = 0; i < 11; i++) {
        plain.push(commandMs(1, node, args1000));
        withTraffic.push(commandMs(1, node, args));
      }
      const r = median(withTraffic) / median(plain);
      console.log(
        `1,000 contexts with 3 traffic classes each: ${fmtMs(median(withTraffic))} against ${fmtMs(median(plain))} without (${fmtRatio(r)}); target < 2x: ${r < 2 ? "met" : "MISSED"}\n`,
      );
    }
    startupEnvironment(args1000);
    console.log(
      table(
        [
          "contexts",
          "vsc compile",
          "per context",
          "peak RSS",
          "node -e 0",
          "/ node start",
          "nft -c -f",
          "/ nft -c",
        ],
        rows,
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchFuzz(): Promise<void> {
  console.log("## fuzz: 10,000 random and mutated inputs through load + check\n");
  const { fuzz } = await import("../test/fuzz/fuzz.js");
  const { seedTexts } = await import("../test/fuzz/seeds.js");
  const seeds = seedTexts();
  const s = performance.now();
  const failures = fuzz(seeds, 10000, 20261122);
  const ms = performance.now() - s;
  console.log(
    `10,000 cases in ${fmtMs(ms)} (${((10000 / ms) * 1000).toFixed(0)} cases/s), failures: ${failures.length}`,
  );
  for (const f of failures)
    console.log(`  - ${f.problem}\n    input: ${JSON.stringify(f.input.slice(0, 200))}`);
  console.log("");
  if (failures.length) process.exitCode = 1;
}

async function benchApply(): Promise<void> {
  console.log(
    "## apply: 1,000 contexts on this host (scratch cgroup tree, real nft and tc in a scratch netns)\n",
  );
  console.log(
    "baseline (floor): the same mkdirs and cgroup writes in a plain loop + one tc -batch + one nft -f\n",
  );
  if (process.getuid?.() !== 0) {
    console.log("(skipped: needs root for the scratch network namespace)\n");
    return;
  }
  const { measure } = await import("../test/kernel/apply-perf.js");
  const { scratch, scratchBase, scratchNetns } = await import("../test/apply/fixture.js");
  // 1,000 cgroups of emulated interface files: about 160 MiB of tmpfs pages.
  const base = scratchBase(1 << 30);
  console.log(
    `scratch tree in ${base}${base === "/dev/shm" ? " (tmpfs: in memory, like cgroupfs)" : " (not tmpfs: the disk's small-file speed weighs on both figures)"}\n`,
  );
  const s = scratch(base);
  const ns = scratchNetns(["v0"]);
  if (!ns) {
    console.log("(skipped: cannot create a network namespace)\n");
    s.cleanup();
    return;
  }
  try {
    mkdirSync(s.stateDir, { recursive: true });
    const f = await measure({
      n: 1000,
      mount: s.mount,
      root: "vsc",
      netns: ns.name,
      leaf: "pfifo",
      cgroupRules: false,
      stateDir: s.stateDir,
      reps: 5,
    });
    console.log(
      table(
        [
          "floor",
          "apply from empty",
          "/ floor",
          "no-op plan",
          "/ floor",
          "one-context edit",
          "/ floor",
          "writes",
        ],
        [
          [
            fmtMs(f.floorMs),
            fmtMs(f.applyMs),
            fmtRatio(f.ratio),
            fmtMs(f.noopPlanMs),
            fmtRatio(f.noopPlanMs / f.floorMs),
            fmtMs(f.editApplyMs),
            fmtRatio(f.editApplyMs / f.floorMs),
            String(f.editWrites),
          ],
        ],
      ),
    );
    console.log(runsLine(f));
    // language-v2.md §3: the same 1,000 contexts, each with 3 traffic classes and a rest class.
    const ft = await measure({
      n: 1000,
      mount: s.mount,
      root: "vsc",
      netns: ns.name,
      leaf: "pfifo",
      cgroupRules: false,
      stateDir: s.stateDir,
      reps: 5,
      traffic: 3,
    });
    console.log(
      `with 3 traffic classes a context (5,000 HTB classes): apply from empty ${fmtMs(ft.applyMs)}, floor ${fmtMs(ft.floorMs)} (${fmtRatio(ft.ratio)}); target <= 1.5x: ${ft.ratio <= 1.5 ? "met" : "MISSED"}`,
    );
    // language-v2.md §3 ingress: the same, plus v0's IFB device with a class and a u32 filter per context.
    const fi = await measure({
      n: 1000,
      mount: s.mount,
      root: "vsc",
      netns: ns.name,
      leaf: "pfifo",
      cgroupRules: false,
      stateDir: s.stateDir,
      reps: 5,
      traffic: 3,
      ingress: true,
    });
    console.log(
      `with 3 traffic classes and ingress (5,000 HTB classes on v0; IFB device, 1,002 classes, 1,000 filters): apply from empty ${fmtMs(fi.applyMs)}, floor ${fmtMs(fi.floorMs)} (${fmtRatio(fi.ratio)}); no-op plan ${fmtMs(fi.noopPlanMs)}; target <= 1.5x: ${fi.ratio <= 1.5 ? "met" : "MISSED"}`,
    );
    console.log(
      `targets: apply <= 1.5x floor: ${f.ratio <= 1.5 ? "met" : "MISSED"}; no-op plan < 500 ms: ${f.noopPlanMs < 500 ? "met" : "MISSED"}; ` +
        `one-context edit < 200 ms: ${f.editApplyMs < 200 ? "met" : "MISSED"}\n`,
    );
  } finally {
    ns.cleanup();
    s.cleanup();
    rmSync(s.stateDir, { recursive: true, force: true });
  }
}

/**
 * Peers by name (language-v2.md §2) against the plain 1,000-context compile,
 * in the same run, alternating: every context names the context before it
 * and its class (1,000 + 10 nft sets). Issue #17's budget: under 2x (with
 * traffic classes too, which another branch adds).
 */
function benchPeers(): void {
  console.log(
    "## compile: 1,000 contexts with peers by name, against the plain 1,000 (same run)\n",
  );
  const dir = mkdtempSync(join(tmpdir(), "vsc-bench-peers-"));
  try {
    const cases = [
      { name: "1,000 contexts", peers: false, traffic: false },
      { name: "1,000 contexts with peers by name", peers: true, traffic: false },
      {
        name: "1,000 contexts, 3 traffic classes each, peers by name (in allow and match)",
        peers: true,
        traffic: true,
      },
    ].map((c, i) => {
      const src = join(dir, `case-${i}.vsc`);
      writeFileSync(
        src,
        generateConfig(1000, { cgroupRoot: "vsc-bench", peers: c.peers, traffic: c.traffic }),
      );
      return {
        ...c,
        args: [join(root, "bin/vsc.js"), "compile", src, "-o", join(dir, `out-${i}`)],
        runs: [] as number[],
      };
    });
    const nodeRuns: number[] = [];
    for (let i = 0; i < 11; i++) {
      nodeRuns.push(commandMs(1, node, ["-e", "0"]));
      for (const c of cases) c.runs.push(commandMs(1, node, c.args));
    }
    const base = median(cases[0]!.runs);
    const nodeMs = median(nodeRuns);
    console.log(
      table(
        ["case", "vsc compile", "/ plain", "minus node start", "/ plain (minus node start)"],
        cases.map((c) => [
          c.name,
          fmtMs(median(c.runs)),
          fmtRatio(median(c.runs) / base),
          fmtMs(median(c.runs) - nodeMs),
          fmtRatio((median(c.runs) - nodeMs) / (base - nodeMs)),
        ]),
      ),
    );
    const ratio = median(cases[1]!.runs) / base;
    const both = median(cases[2]!.runs) / base;
    console.log(
      `\ntarget: peers by name < 2x the plain compile: ${ratio < 2 ? "met" : "MISSED"} (${fmtRatio(ratio)}); ` +
        `3 traffic classes and peers by name < 2x: ${both < 2 ? "met" : "MISSED"} (${fmtRatio(both)}; 11 alternating runs, node -e 0 ${fmtMs(nodeMs)})\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (on("check")) benchCheck();
if (on("compile")) benchCompile();
if (on("compile") || on("peers")) benchPeers();
if (on("fuzz")) await benchFuzz();
if (on("apply")) await benchApply();
if (on("fleet")) (await import("./fleet.js")).benchFleet();
