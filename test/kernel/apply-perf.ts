/**
 * Applier performance against its floor, for N contexts: the floor is what
 * the kernel work costs with no applier at all (one `nft -f` of the same
 * ruleset, one `tc -batch` of the same lines, the same mkdirs and cgroup
 * writes in a plain loop). Used by apply-perf.test.ts (kernel lab) and
 * runnable on any host with a scratch mount (numbers are then indicative).
 */
import { mkdirSync, rmSync } from "node:fs";
import { applyWithLock, planDesired, planDestroyFor } from "../../src/apply/applier.js";
import { hostKernel } from "../../src/apply/host-kernel.js";
import { ipCommands, tcCommands } from "../../src/plan/tc-commands.js";
import { type DesiredIngress, ifbName, u32Node } from "../../src/model/ingress.js";
import { destroyTargetOf, planChanges } from "../../src/plan/plan.js";
import type { DesiredState } from "../../src/model/desired.js";
import type { ObservedState, TcAction } from "../../src/plan/types.js";
import { sampleDesired, type Ctx } from "../apply/fixture.js";

export interface PerfOptions {
  n: number;
  mount: string;
  root: string;
  netns: string;
  leaf: string;
  /** Rules match `socket cgroupv2` (needs the real cgroup2 mount at /sys/fs/cgroup). */
  cgroupRules: boolean;
  stateDir: string;
  /** Alternating floor / apply-from-empty pairs (medians reported). */
  reps: number;
  /** Traffic classes per context (language-v2.md §3): the context's class gets them plus a rest class as children. */
  traffic?: number;
  /** Ingress shaping (language-v2.md §3): v0's IFB device with a class and a u32 filter per context (its address). */
  ingress?: boolean;
}

/** v0's ingress: an IFB device, root and default classes, a class and a filter (10.x.y.z) per context. */
function perfIngress(n: number): DesiredIngress {
  const rate = 100_000_000;
  const classes: DesiredIngress["classes"] = [
    {
      classid: "1:fffe",
      parent: "1:",
      rate,
      ceil: rate,
      quantum: 1514,
      name: "ingress root",
      source: "perf",
    },
    {
      classid: "1:ffff",
      parent: "1:fffe",
      rate: 8000,
      ceil: rate,
      quantum: 1514,
      leafQdisc: "pfifo",
      name: "ingress default",
      source: "perf",
    },
  ];
  const filters: DesiredIngress["filters"] = [];
  for (let i = 1; i <= n; i++) {
    const id = `1:${i.toString(16)}`;
    const a = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    classes.push({
      classid: id,
      parent: "1:fffe",
      rate: 8000,
      ceil: 10_000_000,
      quantum: 1514,
      leafQdisc: "pfifo",
      name: `c${i} ingress`,
      source: "perf",
    });
    filters.push({
      prio: i,
      classid: id,
      name: `c${i}`,
      matches: [`ip dst ${a}/32`],
      nodes: [u32Node(4, a, 32)],
    });
  }
  return { link: "v0", ifb: ifbName("v0"), rate, classes, filters, source: "perf" };
}

export function perfDesired(o: PerfOptions, edit = false): DesiredState {
  const ctxs: Ctx[] = [];
  for (let i = 1; i <= o.n; i++) {
    ctxs.push({
      name: `c${i}`,
      weight: String(100 + (i % 50)),
      memMax: String((64 + (i % 64)) * 1048576),
      pids: edit && i === 1 ? "99" : "128",
    });
  }
  const rules = ctxs
    .map((c, i) =>
      o.cgroupRules
        ? `    socket cgroupv2 level 2 "${o.root}/${c.name}" meta priority set 1:${(i + 1).toString(16)}\n`
        : `    meta mark ${i + 1} meta priority set 1:${(i + 1).toString(16)}\n`,
    )
    .join("");
  const d = sampleDesired({
    cgroupRoot: o.root,
    contexts: ctxs,
    nftExtra: rules,
    nftCgroups: o.cgroupRules ? ctxs.map((c) => `${o.root}/${c.name}`) : [],
    links: [
      {
        dev: "v0",
        classes: ctxs.flatMap((_, i) => {
          const t = o.traffic ?? 0;
          const own = {
            id: i + 1,
            rate: 1_000_000,
            ceil: 100_000_000,
            quantum: 1514,
            ...(t > 0 ? {} : { leaf: o.leaf }),
          };
          // Children ids above every context's: n + i * (t + 1) + j + 1.
          const kids = Array.from({ length: t > 0 ? t + 1 : 0 }, (_, j) => ({
            id: o.n + i * (t + 1) + j + 1,
            parent: i + 1,
            rate: Math.floor(1_000_000 / (t + 1)),
            ceil: 100_000_000,
            quantum: 1514,
            prio: j % 8,
            leaf: o.leaf,
          }));
          return [own, ...kids];
        }),
      },
    ],
  });
  return o.ingress ? { ...d, ingress: [perfIngress(o.n)] } : d;
}

const ms = (t0: number) => Math.round(performance.now() - t0);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export interface PerfFigures {
  n: number;
  /** Floor and apply from empty are measured `reps` times, alternating; figures are medians. */
  reps: number;
  floorMs: number;
  applyMs: number;
  /** Every floor and apply-from-empty time, in order. */
  floorRuns: number[];
  applyRuns: number[];
  ratio: number;
  noopPlanMs: number;
  editApplyMs: number;
  editWrites: number;
}

export async function measure(o: PerfOptions): Promise<PerfFigures> {
  const k = hostKernel({ cgroupMount: o.mount, netns: o.netns });
  const d = perfDesired(o);
  const opts = { stateDir: o.stateDir, skipPreflight: false };
  const destroy = () =>
    applyWithLock(
      k,
      o.root,
      () => planDestroyFor(k, destroyTargetOf(d), opts),
      async () => true,
      opts,
    );
  await destroy();

  // Floor: the same kernel work without the applier.
  const emptyObs: ObservedState = {
    cgroupRoot: o.root,
    cgroups: [],
    nft: { present: false },
    links: [{ dev: "v0", exists: true, qdisc: { kind: "noqueue", handle: "0:" }, classes: {} }],
    interrupted: false,
  };
  const planned = planChanges(d, emptyObs).plan!.actions;
  const tcLines = planned
    .flatMap((a) => (a.type.startsWith("tc-") ? tcCommands(a as TcAction).map((c) => c.line) : []))
    .join("\n");
  const ipLines = planned
    .flatMap((a) => (a.type === "ifb" ? ipCommands(a).map((c) => c.line) : []))
    .join("\n");
  // Alternating floor and apply, median of each: one run of either varies by
  // a third under the lab's emulation, and a single pair made ratios from
  // 1.3x to 1.9x out of the same code.
  const floorRuns: number[] = [];
  const applyRuns: number[] = [];
  for (let r = 0; r < o.reps; r++) {
    const t0 = performance.now();
    for (const c of d.cgroups) {
      k.mkdir(c.path);
      if (c.subtreeControl.length)
        k.write(`${c.path}/cgroup.subtree_control`, c.subtreeControl.map((x) => `+${x}`).join(" "));
      for (const f of c.files) k.write(`${c.path}/${f.name}`, f.value);
    }
    const i1 = ipLines ? k.run("ip", ["-batch", "-"], `${ipLines}\n`) : { status: 0, stderr: "" };
    if (i1.status !== 0) throw new Error(`floor failed: ${i1.stderr}`);
    const t1 = k.run("tc", ["-batch", "-"], `${tcLines}\n`);
    const n1 = k.run("nft", ["-f", "-"], d.nft.ruleset);
    floorRuns.push(ms(t0));
    if (t1.status !== 0 || n1.status !== 0)
      throw new Error(`floor failed: ${t1.stderr} ${n1.stderr}`);
    // Clean the floor's work away with the applier's destroy (it owns all of it).
    await destroy();

    const t2 = performance.now();
    const first = await applyWithLock(
      k,
      o.root,
      () => planDesired(k, d, opts),
      async () => true,
      opts,
    );
    applyRuns.push(ms(t2));
    if (!first.result?.ok) throw new Error(`apply failed: ${JSON.stringify(first.diagnostics)}`);
    if (r < o.reps - 1) await destroy();
  }
  const floorMs = median(floorRuns);
  const applyMs = median(applyRuns);

  let t0 = performance.now();
  const noop = planDesired(k, d, opts);
  const noopPlanMs = ms(t0);
  if (noop.plan?.actions.length !== 0) throw new Error("no-op plan has actions");

  const edited = perfDesired(o, true);
  let writes = 0;
  const counting = { ...k, write: (p: string, v: string) => (writes++, k.write(p, v)) };
  t0 = performance.now();
  const e = await applyWithLock(
    counting,
    o.root,
    () => planDesired(counting, edited, opts),
    async () => true,
    opts,
  );
  const editApplyMs = ms(t0);
  if (!e.result?.ok) throw new Error("edit failed");
  await destroy();
  return {
    n: o.n,
    reps: o.reps,
    floorMs,
    applyMs,
    floorRuns,
    applyRuns,
    ratio: Math.round((applyMs / floorMs) * 100) / 100,
    noopPlanMs,
    editApplyMs,
    editWrites: writes,
  };
}

/** Host run: `npx tsx test/kernel/apply-perf.ts N` (scratch mount + scratch netns, pfifo leaves). */
if (process.argv[1]?.endsWith("apply-perf.ts") || process.argv[1]?.endsWith("apply-perf.js")) {
  const { scratch, scratchBase, scratchNetns } = await import("../apply/fixture.js");
  const s = scratch(scratchBase(1 << 30));
  const ns = scratchNetns(["v0"])!;
  mkdirSync(s.stateDir, { recursive: true });
  try {
    const f = await measure({
      n: Number(process.argv[2] ?? 1000),
      mount: s.mount,
      root: "vsc",
      netns: ns.name,
      leaf: "pfifo",
      cgroupRules: false,
      stateDir: s.stateDir,
      reps: 3,
    });
    console.log(JSON.stringify(f));
  } finally {
    ns.cleanup();
    s.cleanup();
    rmSync(s.stateDir, { recursive: true, force: true });
  }
}
