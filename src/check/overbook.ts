/**
 * Overbooking: limits may add up to more than the host has (shares decide
 * under contention), so exceeding capacity is a warning with the factor;
 * with `host { overbook R F }`, exceeding F times capacity is an error.
 * Capacity is the host's minus `keep`. A subtree counts with its effective
 * limit: a class's limit, or less when its children's limits add up to less;
 * unlimited subtrees are not counted (there is no number to add).
 */
import type { Span } from "../diag/diagnostic.js";
import { type Acceptor, error, warning } from "./acceptor.js";
import { Code } from "./codes.js";
import { formatBytes, formatCpu, formatFactor } from "./format-units.js";
import type { TreeNode } from "./hierarchy.js";
import type { HostSpec } from "./read-host.js";
import type { SpanOrder } from "./source-order.js";
import type { Field, Limit } from "./spec.js";

interface Part {
  amount: number;
  span: Span;
  label: string;
}

const MAX_RELATED = 12;

export function checkOverbooking(
  host: HostSpec,
  roots: readonly TreeNode[],
  order: SpanOrder,
  report: Acceptor,
): void {
  const kinds = [
    {
      name: "cpu",
      cap: host.millicpus,
      keep: host.keepCpu,
      factor: host.overbookCpu,
      get: (n: TreeNode) => n.body.cpu.limit,
      fmt: formatCpu,
    },
    {
      name: "memory",
      cap: host.memory,
      keep: host.keepMemory,
      factor: host.overbookMemory,
      get: (n: TreeNode) => n.body.memory.limit,
      fmt: formatBytes,
    },
  ];
  for (const k of kinds) {
    if (!k.cap) continue;
    const capacity = k.cap.value - (k.keep?.value ?? 0);
    if (capacity <= 0) continue;
    const parts: Part[] = [];
    for (const r of roots) {
      const e = effective(r, k.get);
      if (e === Infinity) continue;
      const own = k.get(r);
      const span = own && own.value === e ? own.stmt : r.decl.name.span;
      parts.push({ amount: e, span, label: `${r.name}: ${k.fmt(e)}` });
    }
    const total = parts.reduce((a, p) => a + p.amount, 0);
    if (total <= capacity) continue;
    parts.sort((a, b) => order(a.span, b.span));
    const primary = parts[parts.length - 1]!;
    const f = Math.ceil((total / capacity) * 100) / 100;
    const capText = `the host's ${k.fmt(capacity)}${k.keep ? ` (${k.fmt(k.cap.value)} minus keep ${k.fmt(k.keep.value)})` : ""}`;
    const others = parts.slice(0, -1);
    const related = others.slice(-MAX_RELATED).map((p) => ({ span: p.span, label: p.label }));
    const notes =
      others.length > MAX_RELATED
        ? [`and ${others.length - MAX_RELATED} more top-level limits`]
        : [];
    const over = k.factor && BigInt(total) * 1000n > BigInt(k.factor.value) * BigInt(capacity);
    if (over && k.factor) {
      report(
        error(
          Code.overbookError,
          primary.span,
          `${k.name} limits total ${k.fmt(total)}, ${formatFactor(f)} ${capText}, above the allowed ${formatFactor(k.factor.value / 1000)}`,
          {
            label: `${primary.label}`,
            related: [
              ...related,
              {
                span: k.factor.stmt,
                label: `overbooking allowed up to ${formatFactor(k.factor.value / 1000)}`,
              },
            ],
            notes,
            help: `lower some ${k.name} limits, or raise the host's overbook ${k.name} factor`,
          },
        ),
      );
    } else {
      report(
        warning(
          Code.overbookWarning,
          primary.span,
          `${k.name} limits total ${k.fmt(total)}, ${formatFactor(f)} ${capText}`,
          {
            label: primary.label,
            related,
            notes,
            help: `overbooking is allowed (shares decide under contention); \`overbook ${k.name} F\` in host turns more than F times capacity into an error`,
          },
        ),
      );
    }
  }
}

function effective(n: TreeNode, get: (n: TreeNode) => Field<Limit> | undefined): number {
  const f = get(n);
  const own = f && typeof f.value === "number" ? f.value : Infinity;
  if (n.kind === "context") return own;
  const kids = n.children.reduce((a, c) => a + effective(c, get), 0);
  return Math.min(own, kids);
}
