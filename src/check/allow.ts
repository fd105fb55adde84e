/**
 * `allow (in|out) PROTO? PEERPORT` -> a typed rule. `from` goes with `in`
 * and `to` with `out`; ports need tcp or udp (none written: both). The peer and port part
 * (`readPeerPort`) is the one reader for every statement that matches
 * packets the same way (language-v2.md §2, §3).
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
  const proto = a.proto ? word({ s: a.proto, at: a.proto.span }, PROTOS, "protocol", ctx) : "any";
  const pp = readPeerPort(a, direction, proto, a.proto !== undefined, "allow", ctx);
  if (!pp || !direction || !proto) return undefined;
  return { direction, proto, ...pp };
}

/** The peer and port part of a rule, read (undefined when something in it was wrong, reported). */
export interface PeerPortSpec {
  peers: PeerSpec[];
  named: NamedPeerSpec[];
  except: PeerSpec[];
  ports: PortSpec[];
}

/**
 * Reads the shared peer and port part. `direction` (when the statement has
 * one) decides which of `from`/`to` fits; `proto` (undefined when it was
 * wrong, already reported) whether ports may appear; `what` names the
 * statement in messages.
 */
export function readPeerPort(
  a: PeerPort,
  direction: "in" | "out" | undefined,
  proto: Proto | undefined,
  protoWritten: boolean,
  what: string,
  ctx: ReadCtx,
): PeerPortSpec | undefined {
  let ok = true;
  if (a.peerKeyword && direction) {
    const want = direction === "in" ? "from" : "to";
    if (a.peerKeyword.name !== want) {
      ctx.report(
        error(
          Code.unknownWord,
          a.peerKeyword.span,
          `${what} ${direction} takes "${want}", not "${a.peerKeyword.name}"`,
          {
            help: `${what} in ... from PEERS matches senders; ${what} out ... to PEERS matches destinations`,
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
  // Ports with no protocol written mean tcp and udp (language-v2.md §2's
  // `allow in from ... port 6379`); `any`, icmp and icmpv6 have no ports.
  if (
    ports.length > 0 &&
    proto !== undefined &&
    proto !== "tcp" &&
    proto !== "udp" &&
    (protoWritten || proto !== "any")
  ) {
    ctx.report(
      error(
        Code.portsNeedProto,
        ports[0]!.span,
        `ports need tcp or udp, this rule is for ${proto === "any" ? "any protocol" : proto}`,
        {
          help: `write ${what} ${direction ?? "in"} tcp port ... (or udp)`,
        },
      ),
    );
    ok = false;
  }
  return ok ? { peers, named, except, ports } : undefined;
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
