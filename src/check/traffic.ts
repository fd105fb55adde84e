/**
 * Traffic classes, leaf queues and ingress (language-v2.md §3): reading
 * `traffic NAME { ... }` and `ingress { ... }` in a node's `link` block and
 * the body of a host's `link NAME rate R { ... }`, and the rules that need
 * the whole tree: admission inside a context, overlapping matches, ingress
 * without an address, traffic on a class.
 */
import type { Span } from "../diag/diagnostic.js";
import type { Block, Ident, Stmt, SubBlock, Value } from "../syntax/ast.js";
import { error, warning } from "./acceptor.js";
import { readPeerPort } from "./allow.js";
import { Code } from "./codes.js";
import { type Resolved, flatten } from "./defines.js";
import { formatBitrate } from "./format-units.js";
import { BOUNDS } from "./kernel-bounds.js";
import type { TreeNode } from "./hierarchy.js";
import {
  Field,
  type IngressSpec,
  type Limit,
  type MatchSpec,
  type NetLinkSpec,
  QDISCS,
  type Qdisc,
  type TrafficSpec,
} from "./spec.js";
import { reportUnknownField } from "./unknown-fields.js";
import { type ReadCtx, amount, one, word } from "./values.js";
import { type ParsedCidr, cidrRange } from "./addresses.js";
import { PeerIndex } from "./peers.js";

/**
 * A link rate: a bit rate, or `N%` of the link's `rate` (ctx.linkRate),
 * rounded down to a whole bit/s. `max` when allowed.
 */
export function linkAmount(
  r: Resolved,
  what: string,
  ctx: ReadCtx,
  opts: { allowMax?: boolean; min?: number; kernel?: boolean } = {},
): number | "max" | undefined {
  if (r.s.kind === "Quantity" && r.s.unit === "%") {
    if (ctx.linkRate === undefined) {
      ctx.report(
        error(
          Code.percentOfLink,
          r.at,
          `${what} ${r.s.text}: a % of a link needs the link's rate`,
          {
            help: "write a bit rate like 10mbit, or declare the link in the host with a rate",
          },
        ),
      );
      return undefined;
    }
    if (!(r.s.value > 0) || r.s.value > 100) {
      ctx.report(
        error(
          Code.percentOfLink,
          r.at,
          `${what} ${r.s.text} is not between 0% and 100% of the link`,
          {
            help: `a % is of the link's rate (${formatBitrate(ctx.linkRate)})`,
          },
        ),
      );
      return undefined;
    }
    const v = Math.floor((ctx.linkRate * r.s.value) / 100);
    if (v < 8) {
      ctx.report(
        error(Code.linkRateBelowTc, r.at, `${what} ${r.s.text} is ${v}bit/s, below tc's 8bit`, {
          help: "use a larger share of the link",
        }),
      );
      return undefined;
    }
    return v;
  }
  return amount(r, "bitrate", what, ctx, {
    ...(opts.allowMax ? { allowMax: true } : {}),
    ...(opts.min !== undefined ? { min: opts.min } : {}),
    ...(opts.kernel ? { kernel: BOUNDS.linkRate } : {}),
  });
}

const items = (values: Value[], ctx: ReadCtx): Resolved[] =>
  values.flatMap((v) => flatten(v, ctx.defs, ctx.report));

/** `reserve R` / `limit L` / `prio P` / `qdisc Q` of traffic, ingress and host link bodies. */
function readKey(
  key: string,
  values: Value[],
  stmt: Span,
  what: string,
  ctx: ReadCtx,
): { value: unknown; at: Span } | undefined {
  const r = one(items(values, ctx), what, stmt, ctx);
  if (!r) return undefined;
  let v: unknown;
  if (key === "reserve") v = linkAmount(r, what, ctx, { kernel: true });
  else if (key === "limit") v = linkAmount(r, what, ctx, { allowMax: true, min: 1 });
  else if (key === "ingress") v = linkAmount(r, what, ctx, { min: 1, kernel: true });
  else if (key === "prio") v = amount(r, "count", what, ctx, { min: 0, max: 7 });
  else if (key === "qdisc") v = word(r, QDISCS, "qdisc", ctx, Code.unknownQdisc);
  return v === undefined ? undefined : { value: v, at: r.at };
}

type Slot = Record<string, Field<unknown> | undefined>;

/** Reads `key value` statements of `body` whose keys are in `keys` into `slot`; others are reported. */
function readSettings(
  body: Stmt[],
  keys: readonly string[],
  where: string,
  slot: Slot,
  ctx: ReadCtx,
  other?: (st: Stmt) => boolean,
): void {
  for (let i = 0; i < body.length; i++) {
    const st = body[i]!;
    if (other?.(st)) continue;
    if (st.kind === "Setting" && keys.includes(st.key.name) && !st.body) {
      const what = `${where} ${st.key.name}`;
      const v = readKey(st.key.name, st.values, st.span, what, ctx);
      if (!v) continue;
      const first = slot[st.key.name];
      if (first) {
        ctx.report(
          error(Code.duplicateField, st.key.span, `${what} is set twice`, {
            related: [{ span: first.stmt, label: "first set here" }],
            help: "remove one of them",
          }),
        );
        continue;
      }
      slot[st.key.name] = new Field(v.value, v.at, st.span, ctx.owner);
    } else {
      const key: Ident =
        st.kind === "Match"
          ? { kind: "Ident", name: "match", span: st.span }
          : st.kind === "Allow"
            ? { kind: "Ident", name: "allow", span: st.span }
            : st.key;
      reportUnknownField(key, where, [...keys], ctx.report);
    }
  }
}

/** `traffic NAME { match ...  reserve R  limit L  prio P  qdisc Q }` */
export function readTraffic(st: SubBlock, link: string, ctx: ReadCtx): TrafficSpec {
  const name = st.label.name;
  const where = `traffic ${name}`;
  const slot: Slot = {};
  const matches: MatchSpec[] = [];
  readSettings(st.body, ["reserve", "limit", "prio", "qdisc"], where, slot, ctx, (s) => {
    if (s.kind !== "Match") return false;
    for (let i = 0; i < s.clauses.length; i++) {
      const c = s.clauses[i]!;
      const pp = readPeerPort(c, "out", "match", ctx);
      // Peers by name and `except` as in `allow` (resolved once every context is read: checkTraffic).
      if (pp)
        matches.push({
          proto: pp.proto,
          peers: pp.peers,
          named: pp.named,
          except: pp.except,
          ports: pp.ports,
          span: c.span,
        });
    }
    return true;
  });
  void link;
  const t: TrafficSpec = { name, nameSpan: st.label.span, matches };
  if (slot.reserve) t.reserve = slot.reserve as Field<number>;
  if (slot.limit) t.limit = slot.limit as Field<Limit>;
  if (slot.prio) t.prio = slot.prio as Field<number>;
  if (slot.qdisc) t.qdisc = slot.qdisc as Field<Qdisc>;
  return t;
}

/** `ingress { reserve R  limit L }` in a node's link block. */
export function readIngress(st: Block, ctx: ReadCtx): IngressSpec {
  const slot: Slot = {};
  readSettings(st.body, ["reserve", "limit"], "ingress", slot, ctx);
  const out: IngressSpec = {};
  if (slot.reserve) out.reserve = slot.reserve as Field<number>;
  if (slot.limit) out.limit = slot.limit as Field<Limit>;
  return out;
}

/** What a host's `link NAME rate R { ... }` body says. */
export interface HostLinkBody {
  defaultReserve?: Field<number>;
  defaultLimit?: Field<Limit>;
  qdisc?: Field<Qdisc>;
  ingress?: Field<number>;
}

export function readHostLinkBody(body: Stmt[], rate: number, ctx: ReadCtx): HostLinkBody {
  const lctx: ReadCtx = { ...ctx, linkRate: rate };
  const slot: Slot = {};
  const out: HostLinkBody = {};
  readSettings(body, ["qdisc", "ingress"], "link", slot, lctx, (s) => {
    if (s.kind !== "Block" || s.key.name !== "default") return false;
    if (out.defaultReserve || out.defaultLimit) {
      lctx.report(error(Code.duplicateField, s.key.span, "link default is written twice"));
      return true;
    }
    const d: Slot = {};
    readSettings(s.body, ["reserve", "limit"], "link default", d, lctx);
    if (d.reserve) out.defaultReserve = d.reserve as Field<number>;
    if (d.limit) out.defaultLimit = d.limit as Field<Limit>;
    return true;
  });
  if (slot.qdisc) out.qdisc = slot.qdisc as Field<Qdisc>;
  if (slot.ingress) out.ingress = slot.ingress as Field<number>;
  return out;
}

// ---------------------------------------------------------------- rules over the tree

type Report = (d: ReturnType<typeof error>) => void;

/** HTB minor ids a program can use: 1..0xfffd (0 is the qdisc, fffe the root class, ffff the default). */
export const HTB_IDS = 0xfffd;

/** Links of a node that say something about traffic classes or ingress. */
function trafficLinks(n: TreeNode): Array<[string, NetLinkSpec]> {
  const out: Array<[string, NetLinkSpec]> = [];
  const links = n.body.net.link;
  for (const name of Object.keys(links).sort()) {
    const l = links[name]!;
    if (l.traffic?.length || l.ingress) out.push([name, l]);
  }
  return out;
}

/**
 * Per context and link: traffic on a class is an error (its processes are
 * in contexts); traffic names are unique; the traffic reserves fit the
 * context's own reserve on the link; overlapping matches warn (the first
 * written wins); ingress needs an address. Per link: the contexts' ingress
 * reserves fit the link's ingress rate (or its rate).
 */
export function checkTraffic(
  order: readonly TreeNode[],
  host: { links: Map<string, { rate: number; span: Span; ingress?: Field<number> }> } | undefined,
  report: Report,
): void {
  let index: PeerIndex | undefined;
  const ingressSum = new Map<string, Array<{ n: TreeNode; f: Field<number> }>>();
  // HTB's minor ids (1..0xfffd) are shared by every class and context and by
  // each traffic class and "rest" class (src/model/traffic.ts): count them.
  let ids = order.length;
  let full = false;
  for (let i = 0; i < order.length; i++) {
    const n = order[i]!;
    const links = trafficLinks(n);
    if (links.length === 0) continue;
    for (const [link, l] of links) {
      if (n.kind === "class") {
        const at = l.traffic?.[0]?.value.nameSpan ?? l.ingress!.stmt;
        report(
          error(
            Code.trafficOnClass,
            at,
            `class ${n.name} cannot have ${l.traffic?.length ? "traffic classes" : "ingress"} on link ${link}`,
            {
              help: "traffic classes and ingress are classified by a context's sockets and addresses: put them in each context (a template can share them)",
            },
          ),
        );
        continue;
      }
      const traffic = l.traffic ?? [];
      if (traffic.length > 0 && !full) {
        ids += traffic.length + 1;
        if (ids > HTB_IDS) {
          full = true;
          const at =
            traffic[Math.min(traffic.length - 1, traffic.length + 1 - (ids - HTB_IDS))]!.value;
          report(
            error(
              Code.htbIdsExhausted,
              at.nameSpan,
              `traffic ${at.name} of ${n.name} on link ${link} needs an HTB class id, and all ${HTB_IDS} are taken`,
              {
                notes: [
                  `HTB has ${HTB_IDS} class ids (1:1 to 1:fffd), shared by the ${order.length} classes and contexts and by every traffic class and each context's rest class; this program needs ${ids} by here`,
                ],
                help: "use fewer traffic classes (a template that gives every context the same classes multiplies them), or fewer contexts with traffic classes",
              },
            ),
          );
        }
      }
      // Unique names.
      const seen = new Map<string, Span>();
      for (const t of traffic) {
        const first = seen.get(t.value.name);
        if (first) {
          report(
            error(
              Code.duplicateTraffic,
              t.value.nameSpan,
              `traffic ${t.value.name} is written twice in link ${link} of ${n.name}`,
              {
                related: [{ span: first, label: "first written here" }],
                help: "rename one of them",
              },
            ),
          );
        } else seen.set(t.value.name, t.value.nameSpan);
      }
      // Admission inside the context.
      const reserved = traffic.filter((t) => t.value.reserve && t.value.reserve.value > 0);
      const total = reserved.reduce((s, t) => s + t.value.reserve!.value, 0);
      const own = l.reserve?.value ?? 0;
      if (total > own) {
        const last = reserved[reserved.length - 1]!;
        const parts = reserved.map((t) => formatBitrate(t.value.reserve!.value));
        report(
          error(
            Code.trafficAdmission,
            last.value.reserve!.stmt,
            `traffic reserves of ${n.name} on link ${link} total ${formatBitrate(total)}, more than the context's ${own > 0 ? `reserve of ${formatBitrate(own)}` : "reserve (none)"}`,
            {
              label: `this reservation brings the total to ${formatBitrate(total)}`,
              related: [
                ...reserved.slice(0, -1).map((t) => ({
                  span: t.value.reserve!.stmt,
                  label: `traffic ${t.value.name} reserves ${formatBitrate(t.value.reserve!.value)}`,
                })),
                ...(l.reserve
                  ? [{ span: l.reserve.stmt, label: `${n.name} reserves ${formatBitrate(own)}` }]
                  : []),
              ],
              notes: [
                `${parts.join(" + ")} = ${formatBitrate(total)}, more than ${formatBitrate(own)}`,
              ],
              help:
                own > 0
                  ? "lower a traffic reserve, or raise the context's reserve on the link"
                  : `give ${n.name} a reserve on link ${link} that holds its traffic reserves`,
            },
          ),
        );
      }
      // Destinations by name: known contexts/classes with addresses, not the context itself,
      // `except` inside them (the rules of `allow`, check/peers.ts).
      let named = true;
      for (const t of traffic)
        for (const m of t.value.matches)
          if (m.named.length > 0 && !(index ??= new PeerIndex(order)).check(n, m, report))
            named = false;
      // Overlapping matches: the first written wins.
      const dests = (m: MatchSpec): ParsedCidr[] => [
        ...m.peers.map((p) => p.cidr),
        ...m.named.flatMap((p) => index?.addresses(p.name) ?? []),
      ];
      for (let a = 0; a < traffic.length && named; a++)
        for (let b = a + 1; b < traffic.length; b++) {
          const o = overlap(traffic[a]!.value.matches, traffic[b]!.value.matches, dests);
          if (!o) continue;
          const A = traffic[a]!.value;
          const B = traffic[b]!.value;
          report(
            warning(
              Code.matchOverlap,
              o[1].span,
              `traffic ${B.name} overlaps traffic ${A.name} in ${n.name}: packets both match go to ${A.name} (the first written wins)`,
              {
                related: [{ span: o[0].span, label: `traffic ${A.name} matches here` }],
                help: `narrow one of the matches, or move ${B.name} first if it should win`,
              },
            ),
          );
        }
      // Ingress.
      if (l.ingress) {
        if (n.body.net.address.length === 0)
          report(
            error(
              Code.ingressNeedsAddress,
              l.ingress.stmt,
              `ingress of ${n.name} on link ${link} needs an address: arriving packets are sorted by destination address`,
              { help: `add net { address ... } to ${n.name}, or remove its ingress block` },
            ),
          );
        const r = l.ingress.value.reserve;
        if (r && r.value > 0) {
          let list = ingressSum.get(link);
          if (!list) ingressSum.set(link, (list = []));
          list.push({ n, f: r });
        }
      }
    }
  }
  if (!host) return;
  for (const [link, list] of [...ingressSum].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const hl = host.links.get(link);
    if (!hl) continue;
    const cap = hl.ingress?.value ?? hl.rate;
    const total = list.reduce((s, x) => s + x.f.value, 0);
    if (total <= cap) continue;
    const last = list[list.length - 1]!;
    report(
      error(
        Code.ingressAdmission,
        last.f.stmt,
        `ingress reserves on link ${link} total ${formatBitrate(total)}, more than its ${hl.ingress ? "ingress rate" : "rate"} of ${formatBitrate(cap)}`,
        {
          related: [
            ...list.slice(0, -1).map((x) => ({
              span: x.f.stmt,
              label: `${x.n.name} reserves ${formatBitrate(x.f.value)}`,
            })),
            { span: hl.ingress?.stmt ?? hl.span, label: `capacity ${formatBitrate(cap)}` },
          ],
          help: "lower an ingress reserve, or raise the link's ingress rate",
        },
      ),
    );
  }
}

/** The first pair of clauses (one of each list) that a packet can satisfy both of. */
function overlap(
  a: MatchSpec[],
  b: MatchSpec[],
  dests: (m: MatchSpec) => ParsedCidr[],
): [MatchSpec, MatchSpec] | undefined {
  for (const x of a) for (const y of b) if (clausesOverlap(x, y, dests)) return [x, y];
  return undefined;
}

/**
 * Can one packet match both? Destinations are the written prefixes and the
 * named peers' addresses, less those wholly inside an `except` (one that cuts
 * a prefix in part is not subtracted: a warning too many rather than one too
 * few).
 */
function clausesOverlap(
  x: MatchSpec,
  y: MatchSpec,
  dests: (m: MatchSpec) => ParsedCidr[],
): boolean {
  if (x.proto !== "any" && y.proto !== "any" && x.proto !== y.proto) return false;
  if (x.ports.length > 0 && y.ports.length > 0) {
    const hit = x.ports.some((p) => y.ports.some((q) => p.from <= q.to && q.from <= p.to));
    if (!hit) return false;
  }
  const xs = x.peers.length + x.named.length > 0 ? dests(x) : undefined;
  const ys = y.peers.length + y.named.length > 0 ? dests(y) : undefined;
  if (xs || ys) {
    // A side without destinations matches any: the other side's, less its own excepts.
    const hit = (xs ?? ys!).some((p) =>
      (ys ?? xs!).some(
        (q) =>
          p.family === q.family &&
          meet(p, q) &&
          !carved(p, y) &&
          !carved(q, x) &&
          !carved(p, x) &&
          !carved(q, y),
      ),
    );
    if (!hit) return false;
  }
  return true;
}

function meet(p: ParsedCidr, q: ParsedCidr): boolean {
  const [a0, a1] = cidrRange(p);
  const [b0, b1] = cidrRange(q);
  return a0 <= b1 && b0 <= a1;
}

/** `c` lies wholly inside one of `m`'s `except`s (none of its addresses match m). */
function carved(c: ParsedCidr, m: MatchSpec): boolean {
  return m.except.some((e) => {
    if (e.cidr.family !== c.family) return false;
    const [a0, a1] = cidrRange(c);
    const [b0, b1] = cidrRange(e.cidr);
    return b0 <= a0 && a1 <= b1;
  });
}
