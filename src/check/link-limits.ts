/**
 * A link `limit` above the link's `rate`: the emitter caps every HTB ceil at
 * the link's rate (a class cannot borrow more than its root has), so such a
 * limit is silently the rate. Warned (VSC4020) at the limit, like a limit
 * above its class's (VSC4002), so the number written is the number enforced.
 */
import { type Acceptor, warning } from "./acceptor.js";
import { Code } from "./codes.js";
import { formatBitrate } from "./format-units.js";
import type { TreeNode } from "./hierarchy.js";
import type { HostSpec } from "./read-host.js";

export function checkLinkLimits(
  nodes: readonly TreeNode[],
  host: HostSpec,
  report: Acceptor,
): void {
  if (host.links.size === 0) return;
  const links = [...host.links].sort(([a], [b]) => (a < b ? -1 : 1));
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    for (const [name, link] of links) {
      const f = n.body.net.link[name]?.limit;
      if (!f || typeof f.value !== "number" || f.value <= link.rate) continue;
      // No node name in the message: a template's limit is one mistake for all its users.
      report(
        warning(
          Code.linkLimitAboveRate,
          f.span,
          `link ${name} limit ${formatBitrate(f.value)} is above the link's rate of ${formatBitrate(link.rate)}`,
          {
            label: `enforced as ${formatBitrate(link.rate)}`,
            related: [{ span: link.span, label: `${name} runs at ${formatBitrate(link.rate)}` }],
            help: `lower the limit to at most ${formatBitrate(link.rate)}, or remove it (no limit means the link's rate)`,
          },
        ),
      );
    }
  }
}
