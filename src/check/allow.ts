/**
 * `allow (in|out) PEER-PORT` -> a typed rule, and the peer/port part itself
 * (`readPeerPort`): the one reader for every statement that matches packets
 * the same way (`allow`, and `match` in a `traffic` block: language-v2.md §2,
 * §3). `from` goes with `in` and `to` with `out`; ports need tcp or udp (in
 * an `allow`, none written means both).
 */
import type { Allow, PeerPort } from "../syntax/ast.js";
import type { Span } from "../diag/diagnostic.js";
import { error } from "./acceptor.js";
import { cidrRange, type ParsedCidr } from "./addresses.js";
import { Code } from "./codes.js";
import { flatten } from "./defines.js";
import type { NamedPeerSpec, PeerSpec, PortSpec, RuleSpec } from "./spec.js";
import { type ReadCtx, cidr, port, word } from "./values.js";

const PROTOS = ["any", "tcp", "udp", "icmp", "icmpv6"] as const;
type Proto = (typeof PROTOS)[number];

export function readAllow(a: Allow, ctx: ReadCtx): RuleSpec | undefined {
  const direction = word(
    { s: a.direction, at: a.direction.span },
    ["in", "out"] as const,
    "allow direction",
    ctx,
  );
  const pp = readPeerPort(a, direction, "allow", ctx);
  if (!pp || !direction) return undefined;
  return { direction, ...pp };
}

/** The peer and port part of a rule, read (undefined when something in it was wrong, reported). */
export interface PeerPortSpec {
  proto: Proto;
  peers: PeerSpec[];
  named: NamedPeerSpec[];
  except: PeerSpec[];
  ports: PortSpec[];
}

/**
 * Reads the shared peer and port part. `direction` (when the statement has
 * one) decides which of `from`/`to` fits; `what` names the statement in
 * messages ("allow", "match").
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
  const named: NamedPeerSpec[] = [];
  const peerValues = a.peers ?? [];
  for (let i = 0; i < peerValues.length; i++) {
    const v = peerValues[i]!;
    if (v.kind === "PeerName") {
      named.push({
        kind: v.keyword.name === "class" ? "class" : "context",
        name: v.name.name,
        span: v.span,
        nameSpan: v.name.span,
      });
      continue;
    }
    const rs = flatten(v, ctx.defs, ctx.report);
    for (let j = 0; j < rs.length; j++) {
      const r = rs[j]!;
      const c = cidr(r, `${what} peer`, ctx);
      if (c) peers.push({ cidr: c, span: r.at });
      else ok = false;
    }
  }
  const except: PeerSpec[] = [];
  const exceptValues = a.except ?? [];
  for (let i = 0; i < exceptValues.length; i++) {
    const rs = flatten(exceptValues[i]!, ctx.defs, ctx.report);
    for (let j = 0; j < rs.length; j++) {
      const r = rs[j]!;
      const c = cidr(r, `${what} except`, ctx);
      if (c) except.push({ cidr: c, span: r.at });
      else ok = false;
    }
  }
  // With peers by name, the addresses are known only once every context is read (check/peers.ts).
  if (ok && named.length === 0) {
    const cs = peers.map((p) => p.cidr);
    for (const e of except) if (!exceptInside(e, cs, [], ctx)) ok = false;
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
  // In an `allow`, ports with no protocol written mean tcp and udp
  // (language-v2.md §2's `allow in from ... port 6379`); `any`, icmp and
  // icmpv6 have no ports. A `match` names its protocol (FireQOS's rule).
  if (
    ports.length > 0 &&
    proto !== undefined &&
    proto !== "tcp" &&
    proto !== "udp" &&
    (what === "match" || a.proto !== undefined)
  ) {
    ctx.report(
      error(
        Code.portsNeedProto,
        ports[0]!.span,
        `ports need tcp or udp, this ${what === "allow" ? "rule" : "match"} is ${proto === "any" ? "for any protocol" : `for ${proto}`}${what === "match" ? ", so it could never match" : ""}`,
        {
          help: `write ${what === "allow" ? `allow ${direction ?? "in"}` : "match"} tcp port ... (or udp)`,
        },
      ),
    );
    ok = false;
  }
  return ok && proto ? { proto, peers, named, except, ports } : undefined;
}

const text = (c: { address: string; prefix: number }): string => `${c.address}/${c.prefix}`;

/**
 * Is exception `e` strictly inside one of the rule's prefixes? Reports
 * VSC4042 when it is not (`names`: what the named peers stand for, for the
 * message). An exception as large as its prefix would leave nothing, so it
 * must be strictly smaller.
 */
export function exceptInside(
  e: PeerSpec,
  prefixes: readonly Pick<ParsedCidr, "family" | "net" | "prefix" | "address">[],
  names: readonly string[],
  ctx: { report: ReadCtx["report"] },
): boolean {
  const [lo, hi] = cidrRange(e.cidr);
  for (const p of prefixes) {
    if (p.family !== e.cidr.family || p.prefix >= e.cidr.prefix) continue;
    const [plo, phi] = cidrRange(p);
    if (lo >= plo && hi <= phi) return true;
  }
  const of = [...prefixes.map(text), ...names];
  ctx.report(
    error(
      Code.exceptOutside,
      e.span,
      `except ${text(e.cidr)} is not inside ${of.length === 1 ? of[0] : `any of ${of.join(", ")}`}`,
      {
        help: "an exception carves a smaller prefix out of the rule's peers: write one that lies inside them (or drop it)",
      },
    ),
  );
  return false;
}

export type { Span };
