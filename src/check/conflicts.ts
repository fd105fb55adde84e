/**
 * Configuration independence: no two contexts (or classes) share an id, no
 * two contexts' addresses overlap, and no two contexts open the same
 * inbound port (same protocol) on the same address. A context without
 * addresses may bind any address, so it collides with every other context
 * on that port; two contexts with their own (disjoint) addresses never do.
 * All three are map or sweep based: linear or n log n in the node count.
 */
import type { Span } from "../diag/diagnostic.js";
import { type Acceptor, error } from "./acceptor.js";
import { cidrRange } from "./addresses.js";
import { Code } from "./codes.js";
import type { TreeNode } from "./hierarchy.js";
import { type Interval, sweepOverlaps } from "./overlaps.js";
import type { SpanOrder } from "./source-order.js";

export function checkIds(nodes: readonly TreeNode[], order: SpanOrder, report: Acceptor): void {
  // The common case, every id distinct, needs no sorting; with a duplicate,
  // the nodes are taken in source order so the earlier one is "first".
  const ids = new Set<number>();
  let withIds = 0;
  for (let i = 0; i < nodes.length; i++) {
    const id = nodes[i]!.body.id;
    if (id) {
      ids.add(id.value);
      withIds++;
    }
  }
  if (ids.size === withIds) return;
  const withId = nodes
    .filter((n) => n.body.id)
    .sort((a, b) => order(a.body.id!.span, b.body.id!.span) || order(a.decl.span, b.decl.span));
  const seen = new Map<number, TreeNode>();
  for (const n of withId) {
    const id = n.body.id!;
    const first = seen.get(id.value);
    if (!first) {
      seen.set(id.value, n);
      continue;
    }
    const shared = first.body.id === id;
    report(
      error(
        Code.duplicateId,
        shared ? n.decl.name.span : id.span,
        `id ${id.value} of ${n.kind} "${n.name}" is already the id of ${first.kind} "${first.name}"`,
        {
          related: [
            {
              span: shared ? first.decl.name.span : first.body.id!.span,
              label: shared
                ? `both get id ${id.value} from template "${id.owner}"`
                : `${first.name}'s id`,
            },
          ],
          help: "ids name tc classes and must be unique; pick an unused id",
        },
      ),
    );
  }
}

interface AddrInterval extends Interval<TreeNode> {
  span: Span;
  text: string;
}

export function checkAddresses(
  contexts: readonly TreeNode[],
  order: SpanOrder,
  report: Acceptor,
): void {
  for (const family of [4, 6] as const) {
    const items: AddrInterval[] = [];
    for (let i = 0; i < contexts.length; i++) {
      const n = contexts[i]!;
      const addresses = n.body.net.address;
      for (let j = 0; j < addresses.length; j++) {
        const f = addresses[j]!;
        if (f.value.family !== family) continue;
        const range = cidrRange(f.value);
        items.push({
          start: range[0],
          end: range[1],
          owner: n,
          span: f.span,
          text: `${f.value.address}/${f.value.prefix}`,
        });
      }
    }
    sweepOverlaps(items, (x, y) => {
      const [later, earlier] = order(x.span, y.span) < 0 ? [y, x] : [x, y];
      report(
        error(
          Code.addressConflict,
          later.span,
          `address ${later.text} of "${later.owner.name}" overlaps ${earlier.text} of "${earlier.owner.name}"`,
          {
            related: [{ span: earlier.span, label: `${earlier.owner.name}'s address` }],
            help: "a context's addresses are its own; give each context different addresses",
          },
        ),
      );
    });
  }
}

interface PortInterval extends Interval<TreeNode> {
  span: Span;
  unbound: boolean;
}

export function checkInboundPorts(
  contexts: readonly TreeNode[],
  order: SpanOrder,
  report: Acceptor,
): void {
  for (const proto of ["tcp", "udp"] as const) {
    const items: PortInterval[] = [];
    for (let i = 0; i < contexts.length; i++) {
      const n = contexts[i]!;
      const unbound = n.body.net.address.length === 0;
      const allow = n.body.net.allow;
      for (let j = 0; j < allow.length; j++) {
        const rule = allow[j]!;
        if (rule.value.direction !== "in") continue;
        // `any` with ports is tcp and udp (check/allow.ts).
        if (rule.value.proto !== proto && rule.value.proto !== "any") continue;
        const ports = rule.value.ports;
        for (let k = 0; k < ports.length; k++) {
          const p = ports[k]!;
          items.push({
            start: BigInt(p.from),
            end: BigInt(p.to),
            owner: n,
            span: p.span,
            unbound,
          });
        }
      }
    }
    sweepOverlaps(
      items,
      (x, y) => {
        const [later, earlier] = order(x.span, y.span) < 0 ? [y, x] : [x, y];
        const who = later.unbound ? later.owner.name : earlier.owner.name;
        const range = (x: PortInterval) =>
          x.start === x.end ? `${x.start}` : `${x.start}-${x.end}`;
        report(
          error(
            Code.portConflict,
            later.span,
            `inbound ${proto} port ${range(later)} of "${later.owner.name}" is also open in "${earlier.owner.name}" (port ${range(earlier)}), and "${who}" has no address of its own`,
            {
              related: [
                {
                  span: earlier.span,
                  label: `${earlier.owner.name} listens here`,
                },
              ],
              help: "give both contexts their own addresses (net { address ... }) so their listeners cannot collide, or use different ports",
            },
          ),
        );
      },
      (x) => (x.unbound ? ["all", "unbound"] : ["all"]),
      (x) => (x.unbound ? ["all"] : ["unbound"]),
    );
  }
}
