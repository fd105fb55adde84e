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
  const peerValues = a.peers ?? [];
  for (let i = 0; i < peerValues.length; i++) {
    const rs = flatten(peerValues[i]!, ctx.defs, ctx.report);
    for (let j = 0; j < rs.length; j++) {
      const r = rs[j]!;
      const c = cidr(r, "allow peer", ctx);
      if (c) peers.push({ cidr: c, span: r.at });
      else ok = false;
    }
  }
  const ports: PortSpec[] = [];
  const portValues = a.ports ?? [];
  for (let i = 0; i < portValues.length; i++) {
    const rs = flatten(portValues[i]!, ctx.defs, ctx.report);
    for (let j = 0; j < rs.length; j++) {
      const r = rs[j]!;
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
