/**
 * Whole cores (`cpu { cores N }` or `cores "1-2"`): exclusive cpus for one
 * context (its cpuset.cpus holds only them, and no other vsc cgroup's holds
 * them: plain cpusets, no partitions). Named cores must exist and not overlap;
 * at least one core stays unreserved for everything else; counts are then
 * filled lowest free first, from cpu 1 upward (cpu 0 last: it usually
 * carries the host's interrupts), contexts taken in name order.
 */
import type { Span } from "../diag/diagnostic.js";
import { type Acceptor, error } from "./acceptor.js";
import { coreCount } from "./admission.js";
import { Code } from "./codes.js";
import type { TreeNode } from "./hierarchy.js";
import type { SpanOrder } from "./source-order.js";

export function assignCores(
  nodes: readonly TreeNode[],
  hostCpus: number,
  order: SpanOrder,
  report: Acceptor,
): Map<TreeNode, number[]> {
  const out = new Map<TreeNode, number[]>();
  const withCores = nodes.filter((n) => n.body.cpu.cores && coreCount(n) > 0);
  if (withCores.length === 0) return out;
  for (const n of withCores) {
    const r = n.body.cpu.reserve;
    if (r) {
      report(
        error(
          Code.coresWithReserve,
          r.stmt,
          `context "${n.name}" has whole cores and a cpu reserve`,
          {
            related: [{ span: n.body.cpu.cores!.stmt, label: "whole cores here" }],
            help: "whole cores already guarantee the cpu; remove the reserve",
          },
        ),
      );
    }
  }
  const total = withCores.reduce((a, n) => a + coreCount(n), 0);
  if (total >= hostCpus) {
    const sorted = [...withCores].sort((a, b) =>
      order(a.body.cpu.cores!.stmt, b.body.cpu.cores!.stmt),
    );
    const last = sorted[sorted.length - 1]!;
    report(
      error(
        Code.allCores,
        last.body.cpu.cores!.stmt,
        `whole cores take ${total} of the host's ${hostCpus} cpus, leaving none for anything else`,
        {
          related: sorted.slice(0, -1).map((n) => ({
            span: n.body.cpu.cores!.stmt,
            label: `${n.name} takes ${coreCount(n)}`,
          })),
          help: `reserve at most ${hostCpus - 1} whole core${hostCpus - 1 === 1 ? "" : "s"} in total: one core always stays shared`,
        },
      ),
    );
    return out;
  }
  const owner = new Map<number, { node: TreeNode; span: Span }>();
  let ok = true;
  for (const n of withCores) {
    const c = n.body.cpu.cores!;
    if ("count" in c.value) continue;
    for (const cpu of c.value.cpus) {
      if (cpu >= hostCpus) {
        report(
          error(
            Code.coreNotOnHost,
            c.span,
            `cpu ${cpu} does not exist: the host has cpus 0 to ${hostCpus - 1}`,
            {
              help: "name cpus the host has, or give a count and let vsc choose",
            },
          ),
        );
        ok = false;
        break;
      }
      const prev = owner.get(cpu);
      if (prev && prev.node !== n) {
        report(
          error(Code.coreConflict, c.span, `cpu ${cpu} is already taken by "${prev.node.name}"`, {
            related: [{ span: prev.span, label: `${prev.node.name}'s cores` }],
            help: "whole cores are exclusive; give each context its own",
          }),
        );
        ok = false;
        break;
      }
      owner.set(cpu, { node: n, span: c.span });
    }
    out.set(n, c.value.cpus);
  }
  if (!ok) return out;
  const free = [...Array.from({ length: hostCpus - 1 }, (_, i) => i + 1), 0].filter(
    (c) => !owner.has(c),
  );
  const byName = withCores
    .filter((n) => "count" in n.body.cpu.cores!.value)
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const n of byName) {
    const got = free.splice(0, coreCount(n)).sort((a, b) => a - b);
    out.set(n, got);
  }
  return out;
}
