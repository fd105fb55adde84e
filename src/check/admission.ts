/**
 * Admission, the paper's guarantee: at every node, the reservations of its
 * children fit in what the node itself reserves (a class without its own
 * `reserve` passes its children's up instead) and under its `limit`; at the
 * root they fit in the host's capacity, with `keep` counted as one more
 * reservation. One rule, three kinds of resource: cpu (millicpu, whole cores
 * at 1000 each), memory (bytes of memory.min), and each link (bit/s).
 */
import type { Span } from "../diag/diagnostic.js";
import { type Acceptor, error } from "./acceptor.js";
import { Code } from "./codes.js";
import { formatBitrate, formatBytes, formatCpu } from "./format-units.js";
import type { TreeNode } from "./hierarchy.js";
import type { HostSpec } from "./read-host.js";
import type { SpanOrder } from "./source-order.js";
import type { Field } from "./spec.js";

export interface Contribution {
  amount: number;
  /** The statement that reserves it. */
  span: Span;
  /** Computed only when an error is reported (formatting 10k labels is not free). */
  label: () => string;
  keep?: boolean;
}

export interface Resource {
  /** "cpu", "memory", "link eth0". */
  name: string;
  format: (n: number) => string;
  /** The node's own reservations (cpu: reserve and whole cores); empty if it reserves nothing itself. */
  own: (n: TreeNode) => Contribution[];
  limit: (n: TreeNode) => Field<number | "max"> | undefined;
  capacity: { amount: number; span: Span; label: string; owner: string };
  keep?: Contribution;
}

export function coreCount(n: TreeNode): number {
  const c = n.body.cpu.cores?.value;
  return c === undefined ? 0 : "count" in c ? c.count : c.cpus.length;
}

export function resources(host: HostSpec): Resource[] {
  const out: Resource[] = [];
  if (host.millicpus) {
    out.push({
      name: "cpu",
      format: formatCpu,
      own: (n) => {
        const cores = n.body.cpu.cores;
        const r = n.body.cpu.reserve;
        if (!cores && !r) return NONE;
        const list: Contribution[] = [];
        const k = coreCount(n);
        if (cores && k > 0)
          list.push({
            amount: k * 1000,
            span: cores.stmt,
            label: () =>
              `${n.name} takes ${k} whole core${k === 1 ? "" : "s"} (${formatCpu(k * 1000)})`,
          });
        if (r)
          list.push({
            amount: r.value,
            span: r.stmt,
            label: () => `${n.name} reserves ${formatCpu(r.value)}`,
          });
        return list;
      },
      limit: (n) => n.body.cpu.limit,
      capacity: {
        amount: host.millicpus.value,
        span: host.millicpus.stmt,
        label: `the host has ${formatCpu(host.millicpus.value)}`,
        owner: "the host's",
      },
      ...(host.keepCpu && {
        keep: {
          amount: host.keepCpu.value,
          span: host.keepCpu.stmt,
          label: () => `keep ${formatCpu(host.keepCpu!.value)} for the host`,
          keep: true,
        },
      }),
    });
  }
  if (host.memory) {
    out.push({
      name: "memory",
      format: formatBytes,
      own: (n) => {
        const r = n.body.memory.reserve;
        return r
          ? [
              {
                amount: r.value,
                span: r.stmt,
                label: () => `${n.name} reserves ${formatBytes(r.value)}`,
              },
            ]
          : [];
      },
      limit: (n) => n.body.memory.limit,
      capacity: {
        amount: host.memory.value,
        span: host.memory.stmt,
        label: `the host has ${formatBytes(host.memory.value)}`,
        owner: "the host's",
      },
      ...(host.keepMemory && {
        keep: {
          amount: host.keepMemory.value,
          span: host.keepMemory.stmt,
          label: () => `keep ${formatBytes(host.keepMemory!.value)} for the host`,
          keep: true,
        },
      }),
    });
  }
  for (const [name, link] of [...host.links].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out.push({
      name: `link ${name}`,
      format: formatBitrate,
      own: (n) => {
        const r = n.body.net.link[name]?.reserve;
        return r && r.value > 0
          ? [
              {
                amount: r.value,
                span: r.stmt,
                label: () => `${n.name} reserves ${formatBitrate(r.value)}`,
              },
            ]
          : [];
      },
      limit: (n) => n.body.net.link[name]?.limit,
      capacity: {
        amount: link.rate,
        span: link.span,
        label: `${name} runs at ${formatBitrate(link.rate)}`,
        owner: "the link's",
      },
    });
  }
  return out;
}

export function checkAdmission(
  roots: readonly TreeNode[],
  res: Resource,
  order: SpanOrder,
  report: Acceptor,
): void {
  // Post-order: what each subtree passes up to its parent.
  const up = (n: TreeNode): Contribution[] => {
    const own = res.own(n);
    if (n.kind === "context") return own;
    const kids: Contribution[] = [];
    for (let i = 0; i < n.children.length; i++) {
      const xs = up(n.children[i]!);
      for (let j = 0; j < xs.length; j++) kids.push(xs[j]!);
    }
    const reserve = sum(own);
    const limit = res.limit(n);
    if (own.length > 0) {
      check(
        kids,
        reserve,
        `its reserve of ${res.format(reserve)}`,
        own[own.length - 1]!.span,
        `${n.name} reserves ${res.format(reserve)}`,
        `in class ${n.name}`,
      );
    } else if (limit && typeof limit.value === "number") {
      check(
        kids,
        limit.value,
        `its limit of ${res.format(limit.value)}`,
        limit.stmt,
        `${n.name} is limited to ${res.format(limit.value)}`,
        `in class ${n.name}`,
      );
    }
    return own.length > 0 ? own : kids;
  };
  const check = (
    items: Contribution[],
    cap: number,
    capText: string,
    capSpan: Span,
    capLabel: string,
    where: string,
  ) => {
    const total = sum(items);
    if (total <= cap) return;
    const sorted = [...items].sort((a, b) => order(a.span, b.span));
    const nonKeep = sorted.filter((c) => !c.keep);
    const primary = nonKeep[nonKeep.length - 1] ?? sorted[sorted.length - 1]!;
    const f = res.format;
    const notes =
      sorted.length <= 12
        ? [
            `${sorted.map((c) => f(c.amount).replace(/ cpus?$/, "")).join(" + ")} = ${f(total)}, more than ${f(cap)}`,
          ]
        : [`${sorted.length} reservations total ${f(total)}, more than ${f(cap)}`];
    report(
      error(
        Code.admission,
        primary.span,
        `${res.name} reservations ${where} total ${f(total)}, more than ${capText}`,
        {
          label: `this reservation (${f(primary.amount)}) brings the total to ${f(total)}`,
          related: [
            ...sorted.filter((c) => c !== primary).map((c) => ({ span: c.span, label: c.label() })),
            { span: capSpan, label: capLabel },
          ],
          notes,
          help: `lower or remove a reservation, or raise ${where === "under the root" ? "the host's capacity" : "the class's reservation"}`,
        },
      ),
    );
  };
  const top: Contribution[] = [];
  for (let i = 0; i < roots.length; i++) {
    const xs = up(roots[i]!);
    for (let j = 0; j < xs.length; j++) top.push(xs[j]!);
  }
  check(
    res.keep ? [res.keep, ...top] : top,
    res.capacity.amount,
    `${res.capacity.owner} ${res.format(res.capacity.amount)}`,
    res.capacity.span,
    res.capacity.label,
    "under the root",
  );
}

const NONE: Contribution[] = [];
const sum = (cs: readonly Contribution[]) => cs.reduce((a, c) => a + c.amount, 0);
