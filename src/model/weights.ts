/**
 * cpu.weight from shares and reservations (docs/artifacts.md, "CPU weights"):
 * computed here once for an IR, verified by the checker
 * (src/check/cpu-guarantee.ts) and written by the desired state
 * (src/model/cgroups.ts), so what is checked is what is written.
 *
 * Among busy siblings a cgroup gets w_i / sum(w) of its parent's CPU. With
 * g the parent's guaranteed millicpu, a_i a child's reservation (millicpu it
 * must get through weights), A = sum a, s_i its share and S = sum s, the
 * ideal split is v_i = a_i + (g - A) s_i / S (mapping.md's formula times g).
 * Weights are integers in 1..10000, so v is scaled and rounded; rounding
 * must never leave a child below a_i. `fit` makes that hold by construction
 * (lower bounds ceil(a_i W / g) with sum(w) <= W), and
 * `cpuGuaranteeViolations` re-derives every guarantee from the weights alone
 * with exact rational arithmetic: the checker's proof that `fit` did.
 *
 * Whole-core contexts (`cpu.cores`) have cpus of their own: they never
 * compete with weights, so they are left out of the sibling groups, keep the
 * default weight, and their cores are taken out of the capacity.
 */
import type { Node, VscIr } from "../ir/types.gen.js";
import { buildTree, type TreeNode } from "./tree.js";
import { InternalError } from "../diag/internal-error.js";

export const WEIGHT_MIN = 1;
export const WEIGHT_MAX = 10000;
/** The kernel's default cpu.weight: the smallest weight of a sibling group is scaled to about this. */
export const DEFAULT_WEIGHT = 100;
/** cpu.weight of a whole-core context (the kernel default; it has no competitors). */
export const CORE_CONTEXT_WEIGHT = 100;

/** A non-negative rational with bigint parts (d > 0), kept reduced. */
interface Q {
  n: bigint;
  d: bigint;
}
const gcd = (a: bigint, b: bigint): bigint => {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b) [a, b] = [b, a % b];
  return a;
};
/** Doubles hold integers up to 2^53 exactly. */
const EXACT = 2n ** 53n;
/**
 * A rational n/d. Reduced only once a part outgrows 2^53: below that the
 * value, the comparisons and Number(n) / Number(d) are the same either way
 * (both parts convert exactly and the quotient is correctly rounded), and
 * skipping the BigInt gcd on every node keeps 10,000 contexts cheap.
 */
const q = (n: bigint, d: bigint = 1n): Q => {
  if (n <= EXACT && d <= EXACT) return { n, d };
  const k = gcd(n, d) || 1n;
  return { n: n / k, d: d / k };
};
const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;

const isCoreContext = (n: Node): boolean => n.kind === "context" && (n.cpu.cores?.length ?? 0) > 0;

/** Reservation bookkeeping shared by the computation and the check. */
interface Reserve {
  /** millicpu reserved by the node, whole cores included (admission's view). */
  total: number;
  /** millicpu of whole cores in the node's subtree. */
  cores: number;
}

function reserves(roots: TreeNode[]): Map<string, Reserve> {
  const out = new Map<string, Reserve>();
  const visit = (t: TreeNode): Reserve => {
    let sum = 0;
    let cores = (t.node.cpu.cores?.length ?? 0) * 1000;
    for (const c of t.children) {
      const r = visit(c);
      sum += r.total;
      cores += r.cores;
    }
    const own = t.node.cpu.reserve;
    const total =
      t.node.kind === "class" ? (own ?? sum) : (own ?? 0) + (t.node.cpu.cores?.length ?? 0) * 1000;
    const r = { total, cores };
    out.set(t.node.name, r);
    return r;
  };
  roots.forEach(visit);
  return out;
}

/** millicpu a node must receive through weights: its reservation minus whole cores below it. */
function viaWeights(r: Reserve): number {
  return Math.max(0, r.total - r.cores);
}

/** millicpu the weight hierarchy divides: the host minus `keep` minus every whole core. */
export function weightCapacity(ir: VscIr): number {
  let cores = 0;
  for (const n of ir.nodes) if (n.kind === "context") cores += (n.cpu.cores?.length ?? 0) * 1000;
  return Math.max(0, ir.host.millicpus - ir.host.keep.millicpus - cores);
}

interface Item {
  a: number;
  s: number;
}

/**
 * Integer weights for one sibling group whose parent is guaranteed g
 * millicpu: every reserved child gets at least ceil(a_i W / g) while the
 * total stays <= W, so w_i / sum(w) >= a_i / g. Undefined if impossible at W.
 */
function fit(
  items: Item[],
  g: Q,
  v: number[],
  W: number,
  bestEffort: boolean,
): number[] | undefined {
  const gf = Number(g.n) / Number(g.d);
  const Wb = BigInt(W);
  const low = items.map((it) =>
    it.a > 0 ? Math.max(1, Number(ceilDiv(BigInt(it.a) * Wb * g.d, g.n))) : 1,
  );
  if (!bestEffort && low.some((l) => l > WEIGHT_MAX)) return undefined;
  const t = v.map((x) => (x * W) / gf);
  const w = t.map((x, i) => Math.min(WEIGHT_MAX, Math.max(low[i], Math.floor(x), WEIGHT_MIN)));
  let excess = w.reduce((s, x) => s + x, 0) - W;
  if (excess > 0) {
    // Take the excess from the children with the most room above their bound.
    const order = w.map((_, i) => i).sort((i, j) => w[j] - low[j] - (w[i] - low[i]) || i - j);
    for (const i of order) {
      if (excess <= 0) break;
      const d = Math.min(excess, w[i] - Math.max(low[i], WEIGHT_MIN));
      if (d > 0) {
        w[i] -= d;
        excess -= d;
      }
    }
    if (excess > 0 && !bestEffort) return undefined;
  } else if (excess < 0) {
    // Hand the rounding remainder to those furthest below their ideal.
    const order = w.map((_, i) => i).sort((i, j) => t[j] - w[j] - (t[i] - w[i]) || i - j);
    let left = -excess;
    for (const i of order) {
      if (left <= 0) break;
      if (w[i] < WEIGHT_MAX) {
        w[i]++;
        left--;
      }
    }
  }
  return w;
}

/** Weights for one sibling group (exported for tests). */
export function groupWeights(items: Item[], g: Q): number[] {
  if (items.length === 0) return [];
  const S = items.reduce((s, it) => s + it.s, 0);
  if (g.n === 0n) {
    const smax = Math.max(...items.map((it) => it.s));
    return items.map((it) => Math.max(WEIGHT_MIN, Math.round((it.s * WEIGHT_MAX) / smax)));
  }
  const gf = Number(g.n) / Number(g.d);
  const A = items.reduce((s, it) => s + it.a, 0);
  const spare = Math.max(0, gf - A);
  const v = items.map((it) => it.a + (spare * it.s) / S);
  const vmax = Math.max(...v);
  const W0 = Math.max(1, Math.floor((WEIGHT_MAX * gf) / vmax));
  // Scale so the smallest weight is about the kernel's default (100), as an
  // operator writing 100 x share would, rather than stretching the largest
  // to 10000. CFS (before EEVDF, e.g. Linux 6.1) credits a group entity that
  // is re-enqueued on a cpu with half a latency period of *virtual* time,
  // unscaled by weight, which a weight of 10000 turns into 100x that much
  // real time: measured in the kernel lab (docs/isolation.md), 8 equal
  // contexts at 10000 each were off by up to 2.6 points, at 100 each by 0.2.
  // Every guarantee still holds by construction (fit); if this total cannot
  // be fitted, the largest total is tried as before.
  const vmin = Math.min(...v.filter((x) => x > 0));
  const Wd = Math.min(W0, Math.max(1, Math.ceil((DEFAULT_WEIGHT * gf) / vmin)));
  const preferred = Wd < W0 ? fit(items, g, v, Wd, false) : undefined;
  if (preferred) return preferred;
  const first = fit(items, g, v, W0, false);
  if (first) return first;
  // No slack to absorb rounding: use the largest W <= W0 at which every
  // a_i W / g is an integer, so the bounds are met exactly.
  let G = 0n;
  for (const it of items) G = gcd(G, BigInt(it.a));
  const step = g.n / gcd(g.n, g.d * (G || 1n));
  const W1 = (BigInt(W0) / step) * step;
  if (W1 > 0n) {
    const exact = fit(items, g, v, Number(W1), false);
    if (exact) return exact;
  }
  return fit(items, g, v, W0, true)!;
}

/**
 * The weights of an IR, computed once: the checker verifies them and the
 * desired state then writes the same map. Kept per IR object (the IR types
 * are readonly: an IR never changes once built). Without it the desired
 * state computes them a second time: +5.5 ms of a 1,000-context compile
 * (about 1.7%) and +39 ms at 10,000 (CPU, cold, right after the check,
 * median of 9 and 5 fresh processes; runs 4.2..7.2 and 31..54 ms).
 */
const weightsCache = new WeakMap<VscIr, Map<string, number>>();

/** cpu.weight for every class and context, by name (do not modify the map). */
export function cpuWeights(ir: VscIr): Map<string, number> {
  let w = weightsCache.get(ir);
  if (!w) weightsCache.set(ir, (w = computeWeights(ir)));
  return w;
}

function computeWeights(ir: VscIr): Map<string, number> {
  const roots = buildTree(ir);
  const res = reserves(roots);
  const out = new Map<string, number>();
  const walk = (group: TreeNode[], g: Q): void => {
    const members = group.filter((t) => !isCoreContext(t.node));
    for (const t of group) if (isCoreContext(t.node)) out.set(t.node.name, CORE_CONTEXT_WEIGHT);
    const items = members.map((t) => ({
      a: viaWeights(res.get(t.node.name)!),
      s: t.node.cpu.share,
    }));
    const w = groupWeights(items, g);
    const W = BigInt(w.reduce((s, x) => s + x, 0));
    members.forEach((t, i) => {
      out.set(t.node.name, w[i]);
      walk(t.children, q(g.n * BigInt(w[i]), g.d * W));
    });
    for (const t of group) if (isCoreContext(t.node)) walk(t.children, q(0n));
  };
  walk(roots, q(BigInt(weightCapacity(ir))));
  return out;
}

/**
 * io.weight for every class and context, by name: `io { share }` means what
 * `share` means in cpu (language-v2.md). Among siblings the weights are in
 * proportion to the shares (absent: 1, as in cpu), scaled like cpu.weight
 * (groupWeights): the smallest about 100, none above 10000. The io
 * controller has no reservations, so this is cpu.weight with none; the
 * parent's total is the sum of the shares, which keeps every ideal weight an
 * exact integer multiple of a share.
 */
export function ioWeights(roots: readonly TreeNode[]): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (group: readonly TreeNode[]): void => {
    if (group.length === 0) return;
    const items = group.map((t) => ({ a: 0, s: t.node.io.share ?? 1 }));
    const w = groupWeights(items, q(BigInt(items.reduce((s, it) => s + it.s, 0))));
    group.forEach((t, i) => {
      out.set(t.node.name, w[i]!);
      walk(t.children);
    });
  };
  walk(roots);
  return out;
}

export interface CpuViolation {
  /** Class or context name. */
  name: string;
  /** millicpu it gets when every node is busy, from the weights alone. */
  guaranteed: number;
  /** millicpu it must get through weights (its reservation minus whole cores). */
  reserved: number;
}

/**
 * Independent check of a weight assignment: walk the hierarchy from the
 * capacity down, give each node g * w / sum(sibling w) of its parent's
 * guarantee (exact rationals), and list every node that ends up below its
 * reservation. Empty means no reservation is broken under full contention.
 */
export function cpuGuaranteeViolations(ir: VscIr, weights: Map<string, number>): CpuViolation[] {
  const roots = buildTree(ir);
  const res = reserves(roots);
  const bad: CpuViolation[] = [];
  const walk = (group: TreeNode[], g: Q): void => {
    const members = group.filter((t) => !isCoreContext(t.node));
    const ws = members.map((t) => {
      const w = weights.get(t.node.name);
      if (w === undefined || !Number.isInteger(w) || w < WEIGHT_MIN || w > WEIGHT_MAX)
        throw new InternalError(`cpu.weight of ${t.node.name} is ${w}, not an integer in 1..10000`);
      return BigInt(w);
    });
    const W = ws.reduce((s, x) => s + x, 0n);
    members.forEach((t, i) => {
      const gi = q(g.n * ws[i], g.d * W);
      const need = viaWeights(res.get(t.node.name)!);
      if (gi.n < BigInt(need) * gi.d)
        bad.push({ name: t.node.name, guaranteed: Number(gi.n) / Number(gi.d), reserved: need });
      walk(t.children, gi);
    });
  };
  walk(roots, q(BigInt(weightCapacity(ir))));
  return bad;
}
