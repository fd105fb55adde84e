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

export interface CoreAssignment {
  /** The cpus of each context with whole cores. */
  cores: Map<TreeNode, number[]>;
  /**
   * False when named cores conflict or do not exist: the reservations then
   * mean nothing (the same cpu counted twice), so cpu admission is skipped
   * rather than reporting a total made of the conflict.
   */
  ok: boolean;
}

/**
 * Where to point for a context's cores: the statement when the context wrote
 * it; the context's name when it came from a template (the template's line
 * is the same for every user, so it cannot tell two of them apart).
 */
function site(n: TreeNode): { span: Span; from: string } {
  const c = n.body.cpu.cores!;
  return c.owner === n.name
    ? { span: c.stmt, from: "" }
    : { span: n.decl.name.span, from: ` (from template "${c.owner}")` };
}

const plural = (k: number, one: string, many = `${one}s`) => (k === 1 ? one : many);

export function assignCores(
  nodes: readonly TreeNode[],
  hostCpus: number,
  order: SpanOrder,
  report: Acceptor,
): CoreAssignment {
  const out = new Map<TreeNode, number[]>();
  const withCores = nodes.filter((n) => n.body.cpu.cores && coreCount(n) > 0);
  if (withCores.length === 0) return { cores: out, ok: true };
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
  // Named cores first, in source order: each must exist and belong to one
  // context. Conflicts are found before the total is taken, so a cpu named
  // by two contexts counts once in it (and is reported as the conflict it is).
  const sorted = [...withCores].sort((a, b) => order(site(a).span, site(b).span));
  const owner = new Map<number, TreeNode>();
  let ok = true;
  for (const n of sorted) {
    const c = n.body.cpu.cores!;
    if ("count" in c.value) continue;
    const missing = c.value.cpus.find((cpu) => cpu >= hostCpus);
    if (missing !== undefined) {
      report(
        error(
          Code.coreNotOnHost,
          c.span,
          `cpu ${missing} does not exist: the host has cpus 0 to ${hostCpus - 1}`,
          { help: "name cpus the host has, or give a count and let vsc choose" },
        ),
      );
      ok = false;
      continue;
    }
    const taken = new Map<TreeNode, number[]>();
    for (const cpu of c.value.cpus) {
      const prev = owner.get(cpu);
      if (prev) taken.set(prev, [...(taken.get(prev) ?? []), cpu]);
      else owner.set(cpu, n);
    }
    for (const [prev, cpus] of taken) {
      ok = false;
      const list = `${plural(cpus.length, "cpu")} ${cpus.join(", ")}`;
      const shared = prev.body.cpu.cores === c;
      const here = site(n);
      const there = site(prev);
      report(
        error(
          Code.coreConflict,
          shared ? here.span : c.span,
          shared
            ? `"${n.name}" and "${prev.name}" both take ${list} as whole cores from template "${c.owner}"`
            : `${list} of "${n.name}" ${plural(cpus.length, "is", "are")} already taken by "${prev.name}"`,
          {
            related: shared
              ? [
                  { span: there.span, label: `${prev.name} takes them first` },
                  { span: c.stmt, label: `every user of template ${c.owner} gets these cpus` },
                ]
              : [{ span: prev.body.cpu.cores!.span, label: `${prev.name}'s cores${there.from}` }],
            help: shared
              ? "whole cores are exclusive, so a template that names cpus can have one user: name the cpus in each context, or write a count (`cores 2`) and let vsc choose"
              : "whole cores are exclusive; give each context its own",
          },
        ),
      );
    }
    out.set(n, c.value.cpus);
  }
  // One core always stays shared: the distinct named cpus and the counts
  // together must leave at least one.
  let total = owner.size;
  for (const n of withCores) if ("count" in n.body.cpu.cores!.value) total += coreCount(n);
  if (total >= hostCpus) {
    const last = sorted[sorted.length - 1]!;
    report(
      error(
        Code.allCores,
        site(last).span,
        `whole cores take ${total} of the host's ${hostCpus} cpus, leaving none for anything else`,
        {
          label: `${last.name} takes ${coreCount(last)}${site(last).from}`,
          related: sorted.slice(0, -1).map((n) => ({
            span: site(n).span,
            label: `${n.name} takes ${coreCount(n)}${site(n).from}`,
          })),
          help: `reserve at most ${hostCpus - 1} whole core${hostCpus - 1 === 1 ? "" : "s"} in total: one core always stays shared`,
        },
      ),
    );
    return { cores: out, ok };
  }
  if (!ok) return { cores: out, ok };
  // Cpus that some context names as shared (`cpu.cpus`, #16) are taken last,
  // so a count does not land on them when another cpu is free.
  const named = new Set(
    nodes.flatMap((n) => (n.body.cpu.cores ? [] : (n.body.cpu.cpus?.value ?? []))),
  );
  const free = [...Array.from({ length: hostCpus - 1 }, (_, i) => i + 1), 0]
    .filter((c) => !owner.has(c))
    .sort((a, b) => Number(named.has(a)) - Number(named.has(b)));
  const byName = withCores
    .filter((n) => "count" in n.body.cpu.cores!.value)
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const n of byName) {
    const got = free.splice(0, coreCount(n)).sort((a, b) => a - b);
    out.set(n, got);
  }
  return { cores: out, ok: true };
}
