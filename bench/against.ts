/**
 * `VSC_BENCH_AGAINST=DIR[:DIR...] npm run bench -- against`: this build
 * against other built vsc checkouts (each DIR e.g. a `git worktree` of an
 * older commit after `npm ci`), in the same run, alternating (the order
 * rotates each round), on the same generated configs: the 1,000-context
 * `vsc compile` and the 10,000-context `vsc check` as whole processes, the
 * 10,000-context check in process (each build's own bench/check-child.js),
 * and the parse alone (each build's bench/parse-probe.js: parser
 * construction and the first parse in a fresh process). Ratios are to the
 * first DIR. Issue #14 asked for the first two within 5% of the two-parser
 * main (0ba7ea9).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { packageRoot } from "../src/paths.js";
import { generateConfig } from "./gen-config.js";
import { fmtMs, fmtRatio, median, nodeRun, table } from "./measure.js";

interface Build {
  name: string;
  root: string;
}

/** Indices 0..n-1, rotated by `round`: no build always runs first. */
const rotation = (n: number, round: number): number[] =>
  Array.from({ length: n }, (_, i) => (i + round) % n);

function child(b: Build, args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${args.join(" ")} failed in ${b.root}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, unknown>;
}

export function benchAgainst(others: string[]): void {
  const builds: Build[] = [
    ...others.map((root) => ({ name: basename(root), root })),
    { name: "this build", root: packageRoot() },
  ];
  const n = builds.length;
  console.log(`## against: ${builds.map((b) => b.name).join(", ")} (same run, alternating)\n`);
  console.log(`ratios are to ${builds[0]!.name} (${builds[0]!.root}); CPU = user + system\n`);
  const dir = mkdtempSync(join(tmpdir(), "vsc-bench-against-"));
  try {
    const src1k = join(dir, "gen-1000.vsc");
    const src10k = join(dir, "gen-10000.vsc");
    writeFileSync(src1k, generateConfig(1000, { cgroupRoot: "vsc-bench" }));
    writeFileSync(src10k, generateConfig(10000, { cgroupRoot: "vsc-bench" }));
    const rows: string[][] = [];
    const ratio = (xs: number[][], k: number) => fmtRatio(median(xs[k]!) / median(xs[0]!));

    const whole = (what: string, rounds: number, args: (b: Build, k: number) => string[]) => {
      const ms = builds.map(() => [] as number[]);
      const cpu = builds.map(() => [] as number[]);
      const node = { ms: [] as number[], cpu: [] as number[] };
      for (let i = 0; i < rounds; i++) {
        const r0 = nodeRun(["-e", "0"]);
        node.ms.push(r0.ms);
        node.cpu.push(r0.cpuMs);
        for (const k of rotation(n, i)) {
          const r = nodeRun(args(builds[k]!, k));
          ms[k]!.push(r.ms);
          cpu[k]!.push(r.cpuMs);
        }
      }
      rows.push([
        `node -e 0 (${what} runs)`,
        fmtMs(median(node.ms)),
        "",
        fmtMs(median(node.cpu)),
        "",
      ]);
      builds.forEach((b, k) =>
        rows.push([
          `${what}, ${b.name} (${rounds} runs)`,
          fmtMs(median(ms[k]!)),
          ratio(ms, k),
          fmtMs(median(cpu[k]!)),
          ratio(cpu, k),
        ]),
      );
    };
    whole("compile 1,000 whole process", 15, (b, k) => [
      join(b.root, "bin/vsc.js"),
      "compile",
      src1k,
      "-o",
      join(dir, `out-${k}`),
    ]);
    whole("check 10,000 whole process", 7, (b) => [join(b.root, "bin/vsc.js"), "check", src10k]);

    // In process: each build's own check-child (loadProgram + check, median of 3 after a warm-up).
    const cms = builds.map(() => [] as number[]);
    const ccpu = builds.map(() => [] as number[]);
    for (let i = 0; i < 5; i++) {
      for (const k of rotation(n, i)) {
        const b = builds[k]!;
        const row = child(b, [join(b.root, "dist/bench/check-child.js"), "10000", "3"]);
        cms[k]!.push(row.checkMs as number);
        ccpu[k]!.push(row.checkCpuMs as number);
      }
    }
    builds.forEach((b, k) =>
      rows.push([
        `check 10,000 in process, ${b.name} (5 children)`,
        fmtMs(median(cms[k]!)),
        ratio(cms, k),
        fmtMs(median(ccpu[k]!)),
        ratio(ccpu, k),
      ]),
    );
    console.log(table(["measure", "wall", "ratio", "CPU", "CPU ratio"], rows));

    // The parse alone: each build's parse-probe, a fresh process each (wall).
    const prow: string[][] = [];
    for (const size of [1000, 10000]) {
      const cons = builds.map(() => [] as number[]);
      const first = builds.map(() => [] as number[]);
      for (let i = 0; i < 7; i++) {
        for (const k of rotation(n, i)) {
          const b = builds[k]!;
          const p = child(b, [
            "--interrupt-budget=500000",
            join(b.root, "dist/bench/parse-probe.js"),
            String(size),
          ]);
          cons[k]!.push(Number(p.constructMs));
          first[k]!.push(Number(p.firstParseMs));
        }
      }
      builds.forEach((b, k) =>
        prow.push([
          `${size.toLocaleString("en-US")} contexts, ${b.name}`,
          fmtMs(median(cons[k]!)),
          fmtMs(median(first[k]!)),
          ratio(first, k),
        ]),
      );
    }
    console.log(
      "parse alone, a fresh process each (7 runs, wall; vsc's interrupt budget). A two-parser " +
        "build constructs its grammar only for a file with errors: its construction is not in its compile.\n",
    );
    console.log(table(["parse", "parser construction", "first parse", "ratio"], prow));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
