/**
 * Orderings within a node: memory `reserve <= low <= high <= limit` (where
 * given), cpu and link `reserve <= limit`, rlimit soft <= hard. And across
 * the tree: a limit above the nearest enclosing class's limit is a warning
 * (the kernel caps it anyway, but the number misleads the reader).
 */
import { type Acceptor, error, warning } from "./acceptor.js";
import { Code } from "./codes.js";
import { formatBitrate, formatBytes, formatCpu } from "./format-units.js";
import type { TreeNode } from "./hierarchy.js";
import { type Field, type Limit, RLIMIT_NAMES } from "./spec.js";

type Step = [string, Field<Limit> | undefined];

/** A step with a number (not absent, not `max`). */
const numeric = (s: Step): s is [string, Field<number>] =>
  s[1] !== undefined && typeof s[1].value === "number";

function chain(
  n: TreeNode,
  what: string,
  steps: Step[],
  fmt: (x: number) => string,
  report: Acceptor,
) {
  for (let i = 0; i < steps.length; i++) {
    const sa = steps[i]!;
    if (!numeric(sa)) continue;
    const ka = sa[0];
    const a = sa[1];
    for (let j = i + 1; j < steps.length; j++) {
      const sb = steps[j]!;
      if (!numeric(sb)) continue;
      const kb = sb[0];
      const b = sb[1];
      if (a.value > b.value) {
        report(
          error(
            Code.ordering,
            a.stmt,
            `${what} ${ka} ${fmt(a.value)} is above its ${kb} ${fmt(b.value)}`,
            {
              related: [{ span: b.stmt, label: `${kb} ${fmt(b.value)}` }],
              help: `${what} needs ${steps.map((s) => s[0]).join(" <= ")} (in ${n.kind} ${n.name})`,
            },
          ),
        );
        break;
      }
    }
  }
}

/**
 * `seen` holds the blocks already checked: users of one template share its
 * blocks (spec.ts), and a mistake there is reported once, at its first user.
 */
export function checkOrdering(n: TreeNode, report: Acceptor, seen: Set<object>): void {
  const { cpu, memory, net, rlimit } = n.body;
  const first = (block: object): boolean => !seen.has(block) && !!seen.add(block);
  if (first(memory))
    chain(
      n,
      "memory",
      [
        ["reserve", memory.reserve],
        ["low", memory.low],
        ["high", memory.high],
        ["limit", memory.limit],
      ],
      formatBytes,
      report,
    );
  if (first(cpu))
    chain(
      n,
      "cpu",
      [
        ["reserve", cpu.reserve],
        ["limit", cpu.limit],
      ],
      formatCpu,
      report,
    );
  const links = Object.keys(net.link).sort();
  for (let i = 0; i < links.length; i++) {
    const name = links[i]!;
    const l = net.link[name]!;
    if (first(l))
      chain(
        n,
        `link ${name}`,
        [
          ["reserve", l.reserve],
          ["limit", l.limit],
        ],
        formatBitrate,
        report,
      );
  }
  if (!first(rlimit)) return;
  for (let i = 0; i < RLIMIT_NAMES.length; i++) {
    const name = RLIMIT_NAMES[i]!;
    const f = rlimit[name];
    if (!f) continue;
    const { soft, hard } = f.value;
    if (hard !== "unlimited" && (soft === "unlimited" || soft > hard)) {
      report(
        error(
          Code.ordering,
          f.span,
          `rlimit ${name}: soft limit ${soft} is above the hard limit ${hard}`,
          {
            help: `write the soft limit first: ${name} SOFT HARD with SOFT <= HARD`,
          },
        ),
      );
    }
  }
}

interface Nested {
  what: string;
  get: (n: TreeNode) => Field<Limit> | undefined;
  fmt: (x: number) => string;
}

/** Top-down: each limit against the nearest ancestor's limit of the same kind. */
export function checkNestedLimits(
  roots: readonly TreeNode[],
  linkNames: readonly string[],
  report: Acceptor,
): void {
  const kinds: Nested[] = [
    { what: "cpu limit", get: (n) => n.body.cpu.limit, fmt: formatCpu },
    { what: "memory limit", get: (n) => n.body.memory.limit, fmt: formatBytes },
    { what: "pids limit", get: (n) => n.body.pids.limit, fmt: String },
    ...linkNames.map((l) => ({
      what: `link ${l} limit`,
      get: (n: TreeNode) => n.body.net.link[l]?.limit,
      fmt: formatBitrate,
    })),
  ];
  for (const k of kinds) {
    const walk = (n: TreeNode, outer: { node: TreeNode; f: Field<number> } | undefined) => {
      const f = k.get(n);
      let next = outer;
      if (f && typeof f.value === "number") {
        if (outer && f.value > outer.f.value) {
          report(
            warning(
              Code.childAboveClass,
              f.stmt,
              `${k.what} ${k.fmt(f.value)} of ${n.name} is above ${outer.node.name}'s ${k.fmt(outer.f.value)}`,
              {
                related: [
                  {
                    span: outer.f.stmt,
                    label: `class ${outer.node.name} is capped at ${k.fmt(outer.f.value)}`,
                  },
                ],
                help: `the kernel caps ${n.name} at ${k.fmt(outer.f.value)} anyway; lower this limit to say so`,
              },
            ),
          );
        } else next = { node: n, f: f as Field<number> };
      }
      for (let i = 0; i < n.children.length; i++) walk(n.children[i]!, next);
    };
    for (let i = 0; i < roots.length; i++) walk(roots[i]!, undefined);
  }
}
