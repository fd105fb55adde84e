/**
 * `allow (in|out) PEER-PORT` -> a typed rule, and the peer/port part itself
 * (`readPeerPort`), which `match` in a `traffic` block shares (language-v2.md
 * §3: "match takes the same peer/port forms as allow"): one rule, so a
 * peer form added here serves both. `from` goes with `in` and `to` with
 * `out`; ports need tcp or udp.
 */
import type { Allow, PeerPort } from "../syntax/ast.js";
import { error } from "./acceptor.js";
import { Code } from "./codes.js";
import { flatten } from "./defines.js";
import type { PeerSpec, PortSpec, RuleSpec } from "./spec.js";
import { type ReadCtx, cidr, port, word } from "./values.js";

const PROTOS = ["any", "tcp", "udp", "icmp", "icmpv6"] as const;

export interface PeerPortSpec {
  proto: RuleSpec["proto"];
  peers: PeerSpec[];
  ports: PortSpec[];
}

/**
 * The peer/port part: `direction` says which peer keyword fits (`in`:
 * from, `out`: to); `what` names the statement in messages ("rule",
 * "match"). Undefined when something was wrong (already reported).
 */
export function readPeerPort(
  a: PeerPort,
  direction: "in" | "out" | undefined,
  what: "allow" | "match",
  ctx: ReadCtx,
): PeerPortSpec | undefined {
  const proto = a.proto ? word({ s: a.proto, at: a.proto.span }, PROTOS, "protocol", ctx) : "any";
  let ok = proto !== undefined;
  if (a.peerKeyword && direction) {
    const want = direction === "in" ? "from" : "to";
    if (a.peerKeyword.name !== want) {
      ctx.report(
        what === "allow"
          ? error(
              Code.unknownWord,
              a.peerKeyword.span,
              `allow ${direction} takes "${want}", not "${a.peerKeyword.name}"`,
              {
                help: `allow in ... from PEERS matches senders; allow out ... to PEERS matches destinations`,
              },
            )
          : error(
              Code.matchFrom,
              a.peerKeyword.span,
              `match takes "to", not "from": a traffic class sorts what the context sends`,
              {
                help: "write match ... to PEERS (the destinations); shape what arrives with ingress { ... }",
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
      const c = cidr(r, `${what} peer`, ctx);
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
    const what2 = what === "allow" ? "this rule" : "this match";
    ctx.report(
      error(
        Code.portsNeedProto,
        ports[0]!.span,
        `ports need tcp or udp, ${what2} is ${a.proto ? proto : "for any protocol"}${what === "match" ? ", so it could never match" : ""}`,
        {
          help: `write ${what === "allow" ? `allow ${direction ?? "in"}` : "match"} tcp port ... (or udp)`,
        },
      ),
    );
    ok = false;
  }
  if (!ok || !proto) return undefined;
  return { proto, peers, ports };
}

export function readAllow(a: Allow, ctx: ReadCtx): RuleSpec | undefined {
  const direction = word(
    { s: a.direction, at: a.direction.span },
    ["in", "out"] as const,
    "allow direction",
    ctx,
  );
  const pp = readPeerPort(a, direction, "allow", ctx);
  if (!pp || !direction) return undefined;
  return { direction, proto: pp.proto, peers: pp.peers, ports: pp.ports };
}
