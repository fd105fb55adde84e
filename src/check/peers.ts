/**
 * Peers by name (language-v2.md §2; in `allow`, and in a traffic class's
 * `match`, check/traffic.ts): `context NAME` means the addresses of
 * that context, `class NAME` the addresses of every context below that
 * class. Resolved once every node is read: the name must exist and be of the
 * kind written (VSC2060, VSC2061), a context may not name itself (VSC4041),
 * the peer must have an address (VSC4040; a class some of whose contexts
 * have none is a warning naming them, VSC4043), and an `except` must lie
 * inside the rule's prefixes, the named peers' addresses included (VSC4042).
 */
import type { Acceptor } from "./acceptor.js";
import { error, warning } from "./acceptor.js";
import type { ParsedCidr } from "./addresses.js";
import { exceptInside, type PeerPortSpec } from "./allow.js";
import { Code } from "./codes.js";
import type { TreeNode } from "./hierarchy.js";
import { didYouMean } from "../diag/suggest.js";

interface Addressed {
  cidrs: ParsedCidr[];
  /** Contexts (below a class) without any address. */
  bare: string[];
}

export function checkPeers(order: readonly TreeNode[], report: Acceptor): void {
  let index: PeerIndex | undefined;
  for (let i = 0; i < order.length; i++) {
    const n = order[i]!;
    const rules = n.body.net.allow;
    for (let j = 0; j < rules.length; j++) {
      const rule = rules[j]!.value;
      if (rule.named.length === 0) continue;
      (index ??= new PeerIndex(order)).check(n, rule, report);
    }
  }
}

/**
 * The nodes by name and their addresses (memoised), for resolving the named
 * peers of any statement that uses the shared peer part (`allow`, and
 * whatever else reads it with readPeerPort).
 */
export class PeerIndex {
  private readonly byName: Map<string, TreeNode>;
  private readonly memo = new Map<TreeNode, Addressed>();
  constructor(private readonly order: readonly TreeNode[]) {
    this.byName = new Map(order.map((x) => [x.name, x]));
  }

  private addressesOf(n: TreeNode): Addressed {
    let a = this.memo.get(n);
    if (a !== undefined) return a;
    if (n.kind === "context") a = { cidrs: n.body.net.address.map((f) => f.value), bare: [] };
    else {
      a = { cidrs: [], bare: [] };
      for (const c of n.children) {
        const x = this.addressesOf(c);
        a.cidrs.push(...x.cidrs);
        if (c.kind === "context" && x.cidrs.length === 0) a.bare.push(c.name);
        else a.bare.push(...x.bare);
      }
    }
    this.memo.set(n, a);
    return a;
  }

  /** The addresses of the node called `name` (every context's below a class); [] for an unknown name. */
  addresses(name: string): ParsedCidr[] {
    const n = this.byName.get(name);
    return n ? this.addressesOf(n).cidrs : [];
  }

  /** Checks the named peers of one rule of node `n` (and its `except`s against them); false on an error. */
  check(
    n: TreeNode,
    rule: Pick<PeerPortSpec, "peers" | "named" | "except">,
    report: Acceptor,
  ): boolean {
    const order = this.order;
    let ok = true;
    const prefixes: ParsedCidr[] = rule.peers.map((p) => p.cidr);
    const names: string[] = [];
    for (const p of rule.named) {
      const target = this.byName.get(p.name);
      if (target === undefined) {
        const same = order.filter((x) => x.kind === p.kind).map((x) => x.name);
        report(
          error(Code.unknownPeer, p.nameSpan, `unknown ${p.kind} "${p.name}" in a peer`, {
            help:
              didYouMean(p.name, same) ??
              `name a ${p.kind} declared in this configuration (${p.kind} ${p.name} { ... })`,
          }),
        );
        ok = false;
        continue;
      }
      if (target.kind !== p.kind) {
        report(
          error(Code.peerWrongKind, p.span, `"${p.name}" is a ${target.kind}, not a ${p.kind}`, {
            help: `write ${target.kind} ${p.name}`,
            related: [{ span: target.decl.name.span, label: `${p.name} is declared here` }],
          }),
        );
        ok = false;
        continue;
      }
      if (n.kind === "context" && target === n) {
        report(
          error(Code.peerIsSelf, p.span, `context "${n.name}" names itself as a peer`, {
            help: "a context's own traffic to itself never passes its policy: remove this peer (allow rules name the other side)",
          }),
        );
        ok = false;
        continue;
      }
      const a = this.addressesOf(target);
      if (a.cidrs.length === 0) {
        report(
          error(
            Code.peerWithoutAddress,
            p.span,
            p.kind === "context"
              ? `context "${p.name}" has no address, so it cannot be a peer`
              : `no context below class "${p.name}" has an address, so it cannot be a peer`,
            {
              help: `give ${p.kind === "context" ? `context ${p.name}` : `the contexts of class ${p.name}`} an address (net { address ... }): a peer is matched by its addresses`,
              related: [{ span: target.decl.name.span, label: `${p.name} is declared here` }],
            },
          ),
        );
        ok = false;
        continue;
      }
      if (a.bare.length > 0) {
        const shown = a.bare.slice(0, 5).join(", ") + (a.bare.length > 5 ? ", ..." : "");
        report(
          warning(
            Code.peerPartlyAddressed,
            p.span,
            `class "${p.name}" has contexts without an address (${shown}): this peer does not match their traffic`,
            {
              help: "give them an address (net { address ... }), or name the contexts that have one",
            },
          ),
        );
      }
      for (const c of a.cidrs) prefixes.push(c);
      names.push(`${p.kind} ${p.name}`);
    }
    if (!ok) return false;
    for (const e of rule.except)
      if (!exceptInside(e, prefixes, prefixes.length === 0 ? names : [], { report })) ok = false;
    return ok;
  }
}
