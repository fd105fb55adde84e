/**
 * `allow (in|out) PROTO? ((from|to) PEERS)? (port PORTS)?` -> a typed rule.
 * `from` goes with `in` and `to` with `out`; ports need tcp or udp.
 */
import type { Allow } from "../syntax/ast.js";
import { error } from "./acceptor.js";
import { Code } from "./codes.js";
import { flatten } from "./defines.js";
import type { PeerSpec, PortSpec, RuleSpec } from "./spec.js";
import { type ReadCtx, cidr, port, word } from "./values.js";

const PROTOS = ["any", "tcp", "udp", "icmp", "icmpv6"] as const;

export function readAllow(a: Allow, ctx: ReadCtx): RuleSpec | undefined {
  const direction = word(
    { s: a.direction, at: a.direction.span },
    ["in", "out"] as const,
    "allow direction",
    ctx,
  );
  const proto = a.proto ? word({ s: a.proto, at: a.proto.span }, PROTOS, "protocol", ctx) : "any";
  let ok = direction !== undefined && proto !== undefined;
  if (a.peerKeyword && direction) {
    const want = direction === "in" ? "from" : "to";
    if (a.peerKeyword.name !== want) {
      ctx.report(
        error(
          Code.unknownWord,
          a.peerKeyword.span,
          `allow ${direction} takes "${want}", not "${a.peerKeyword.name}"`,
          {
            help: `allow in ... from PEERS matches senders; allow out ... to PEERS matches destinations`,
          },
        ),
      );
      ok = false;
    }
  }
  const peers: PeerSpec[] = [];
  for (const v of a.peers ?? []) {
    for (const r of flatten(v, ctx.defs, ctx.report)) {
      const c = cidr(r, "allow peer", ctx);
      if (c) peers.push({ cidr: c, span: r.at });
      else ok = false;
    }
  }
  const ports: PortSpec[] = [];
  for (const v of a.ports ?? []) {
    for (const r of flatten(v, ctx.defs, ctx.report)) {
      const p = port(r, ctx);
      if (p) ports.push({ from: p.from, to: p.to, span: r.at });
      else ok = false;
    }
  }
  if (ports.length > 0 && proto !== undefined && proto !== "tcp" && proto !== "udp") {
    ctx.report(
      error(
        Code.portsNeedProto,
        ports[0]!.span,
        `ports need tcp or udp, this rule is ${a.proto ? proto : "for any protocol"}`,
        {
          help: `write allow ${direction ?? "in"} tcp port ... (or udp)`,
        },
      ),
    );
    ok = false;
  }
  if (!ok || !direction || !proto) return undefined;
  return { direction, proto, peers, ports };
}
