import type { CodeTable } from "./types.js";

/** VSC4xxx policy: admission, ordering, conflicts; owned by the checker (src/check). */
export const policyCodes: CodeTable = {
  VSC4001: {
    title: "values out of order",
    explain:
      "Within one node: memory `reserve <= low <= high <= limit` (those given), cpu `reserve <= limit`, " +
      "link `reserve <= limit`, and an rlimit's soft value at most its hard value.\n\n" +
      "    memory { reserve 2GiB  limit 1GiB }   # error: reserve above limit",
  },
  VSC4002: {
    title: "limit above the enclosing class's limit (warning)",
    explain:
      "A node's cpu, memory, pids or link limit is higher than the limit of the nearest enclosing " +
      "class that sets one. The kernel caps the subtree at the class's limit anyway, so the number is " +
      "misleading. Lower it to at most the class's limit.",
  },
  VSC4003: {
    title: "reservations exceed capacity (admission)",
    explain:
      "The paper's guarantee: at each node, the reservations of its children fit in the node's own " +
      "reservation (a class without one passes its children's up) and under its limit; at the root, " +
      "`keep` plus all top-level reservations fit in the host's capacity. cpu counts millicpus and " +
      "whole cores (1 cpu each), memory counts `reserve` (memory.min), each link counts bit/s against " +
      "its rate. The error points at the last reservation in source order and lists every other " +
      "contribution, then the total against the capacity.\n\n" +
      "    host h { cpus 2  keep cpu 10% ... }\n    context a { cpu { reserve 100% } }   # 2.2 cpus > 2 cpus\n\n" +
      "Lower a reservation or raise the capacity.",
  },
  VSC4004: {
    title: "whole cores leave no core",
    explain:
      "`cpu { cores N }` reserves whole cores exclusively; all contexts together must leave at least one " +
      "core unreserved for the host and every other context.",
  },
  VSC4005: {
    title: "overbooking above the allowed factor",
    explain:
      "The sum of the top-level cpu or memory limits is more than `overbook` times the host's capacity " +
      "(capacity minus keep). A class counts with its limit, or with its children's limits when those " +
      "add up to less; unlimited subtrees do not count. Lower some limits or raise the factor.",
  },
  VSC4006: {
    title: "limits overbook the host (warning)",
    explain:
      "The sum of the top-level cpu or memory limits is more than the host's capacity (minus keep). " +
      "This is allowed, since shares and reservations decide under contention, and the warning shows " +
      "the factor. Set `overbook cpu|memory F` in the host to make more than F times capacity an error.",
  },
  VSC4007: {
    title: "duplicate id",
    explain:
      "Two nodes have the same id (ids name tc classes and nft marks). A template that sets `id` gives " +
      "the same id to every user. Give each context (and each class that declares one) its own id.",
  },
  VSC4008: {
    title: "address conflict",
    explain:
      "Two contexts' addresses are the same or overlap (`10.0.0.0/24` contains `10.0.0.11`). A " +
      "context's addresses are the only source addresses it may use, so they must be its own.",
  },
  VSC4009: {
    title: "inbound port conflict",
    explain:
      "Two contexts allow inbound traffic on the same protocol and port, and at least one of them has " +
      "no address of its own (so it may listen on any address, including the other's). Contexts with " +
      "their own, distinct addresses may use the same port.\n\n" +
      "    context a { id 1  net { allow in tcp port 80 } }\n    context b { id 2  net { allow in tcp port 80 } }   # error\n\n" +
      "Give both contexts addresses, or use different ports.",
  },
  VSC4010: {
    title: "whole cores overlap",
    explain: 'Two contexts name the same cpu in `cores "..."`; whole cores are exclusive.',
  },
  VSC4011: {
    title: "core not on the host",
    explain: '`cores "..."` names a cpu number the host does not have (cpus are 0 to cpus-1).',
  },
  VSC4012: {
    title: "whole cores with a cpu reserve",
    explain:
      "A context with whole cores already has that cpu to itself; a cpu `reserve` on top is meaningless " +
      "(its cpuset holds only its own cores, never the shared cpus). Remove the reserve.",
  },
  VSC4013: {
    title: "keep leaves nothing",
    explain:
      "`keep cpu` or `keep memory` is at least the host's whole capacity, leaving nothing for contexts.",
  },
  VSC4014: {
    title: "hostname without a uts namespace",
    explain:
      "`security { hostname ... }` without `uts` in `namespaces` would set the host's own hostname. " +
      "Add `uts` to the namespaces.",
  },
  VSC4015: {
    title: "a cpu reservation cannot be met through cpu.weight",
    explain:
      'vsc turns cpu reservations into cpu.weight values (mapping.md, "CPU reservation by weights"): ' +
      "among busy siblings each gets weight / sum of weights of the parent's cpu. cpu.weight is an " +
      "integer from 1 to 10000, so two shapes cannot be expressed even when admission passes: " +
      "reservations that use all of a parent's guarantee next to a sibling without a reservation " +
      "(that sibling still has weight 1 and takes a sliver), and reservations more than 10000:1 " +
      "apart. Example: a class reserving 50% whose two children reserve 25% each, beside a third " +
      "child with no reservation. Fix: leave part of the parent's guarantee unreserved, give every " +
      "sibling a reservation, or bring the reservations closer together.",
  },
  VSC4020: {
    title: "link limit above the link's rate (warning)",
    explain:
      "A context's or class's `limit` on a link is higher than the `rate` the host block gives the " +
      "link. tc cannot let a class borrow more than the link's root class has, so vsc writes the " +
      "link's rate as the class's ceil and the limit as written has no effect. Lower it to at most " +
      "the rate, or leave it out (no limit means the link's rate).\n\n" +
      "    host h { ...  link eth0 rate 1gbit }\n" +
      "    context web { ...  net { link eth0 { limit 2gbit } } }   # warning: enforced as 1gbit",
  },
  VSC4040: {
    title: "a peer by name without any address",
    explain:
      "A peer named by `context NAME` or `class NAME` is matched by the addresses of the contexts it " +
      "means (an nft set named after it, `peer_NAME_v4`/`_v6`). That context (or every context below " +
      "that class) declares no `net { address ... }`, so nothing could match: give it an address.\n\n" +
      "    context app { id 1 }                                          # no address\n" +
      "    context db { id 2  net { allow in from context app } }        # error",
  },
  VSC4041: {
    title: "a context names itself as a peer",
    explain:
      "`allow ... from context X` inside context X: a context's traffic to its own addresses never " +
      "passes through its own policy as a peer, so the rule means nothing; it is most likely a copy " +
      "and paste slip. (A context may name a class it belongs to: `allow out to class backend` " +
      "inside a context of backend means its siblings and itself; a class may name itself, for the " +
      "contexts below it talking to each other.)",
  },
  VSC4042: {
    title: "except outside its prefix",
    explain:
      "`except PREFIX` carves a smaller prefix out of the rule's peers (Kubernetes' ipBlock.except), " +
      "so it must lie strictly inside one of them: inside a written prefix, or inside an address of a " +
      "peer named by context/class. An exception outside them would do nothing, and one as large as " +
      "its prefix would leave nothing.\n\n" +
      "    allow in from 172.17.0.0/16 except 172.17.1.0/24 port 6379    # fine\n" +
      "    allow in from 172.17.0.0/16 except 10.0.0.0/8                 # error",
  },
  VSC4043: {
    title: "a class peer with contexts that have no address (warning)",
    explain:
      "`class NAME` as a peer means the addresses of every context below the class; some of them " +
      "declare no address, so their traffic (sent from whatever address the host picks) is not " +
      "matched by this peer. Give them an address, or name the contexts that have one.",
  },
  VSC4070: {
    title: "placed on a host where its class is not",
    explain:
      "A class's placement (`on`) is its children's default, and a child may narrow it but never " +
      "widen it: a context's cgroup lives inside its class's, so it cannot exist on a host where " +
      "the class does not. When a host reaches a child's `on` (directly or through a group) but not " +
      "its class's, that is this error; the child is checked on the hosts both share. The rule is the " +
      "same whichever groups a host belongs to: placement is a set of hosts, groups only name parts " +
      "of it, and a host in two groups is placed wherever either group is.\n\n" +
      "    group princeton = pl1, pl2\n    class tenant on princeton { }\n" +
      "    context ping in tenant on pl1, pl3 { id 1 }   # error: pl3 has no tenant\n\n" +
      "Place the class on that host too, or take the host out of the child's `on`.",
  },
};
