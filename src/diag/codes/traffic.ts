import type { CodeTable } from "./types.js";

/** Traffic classes, leaf queues and ingress (language-v2.md §3; src/check/traffic.ts). */
export const trafficCodes: CodeTable = {
  VSC2070: {
    title: "traffic name written twice",
    explain:
      "Two `traffic` blocks of one context's link have the same name. Each becomes its own HTB class, " +
      "named in plans and comments by its name: rename one.\n\n" +
      "    link eth0 { traffic ssh { match tcp port 22 }  traffic ssh { match tcp port 2222 } }   # error",
  },
  VSC2071: {
    title: "unknown qdisc",
    explain:
      "`qdisc` names the leaf queue of a class: fq_codel (the default), sfq, pfifo or cake. " +
      "Whether the kernel has it is checked before apply (VSC5100).",
  },
  VSC3036: {
    title: "% of a link",
    explain:
      "A `%` rate in a link block is of the link's `rate` in the host block, from 0% (exclusive) to " +
      "100%: `link eth0 { reserve 20% }` on `link eth0 rate 100mbit` is 20mbit. It needs the host to " +
      "declare the link.",
  },
  VSC3037: {
    title: "match takes `to`, not `from`",
    explain:
      "A traffic class sorts what its context sends (the egress of the link), so its peers are " +
      "destinations: `match tcp to 10.9.0.0/16`. What arrives for a context is shaped by " +
      "`ingress { ... }` in its link block.",
  },
  VSC4050: {
    title: "traffic reserves exceed the context's reserve",
    explain:
      "Admission inside a context: the `reserve`s of its traffic classes on a link must fit in the " +
      "context's own `reserve` on that link (the HTB rate of its class, which its children share). " +
      "The error lists every traffic reserve and the context's.\n\n" +
      "    link eth0 { reserve 1mbit  traffic a { match tcp port 22  reserve 2mbit } }   # error",
  },
  VSC4051: {
    title: "overlapping matches (warning)",
    explain:
      "Two traffic classes of one context can match the same packet (same or any protocol, " +
      "intersecting ports, intersecting destinations). The first written wins: nftables tries the " +
      "classes in source order and stops at the first that matches. Narrow one, or reorder them.",
  },
  VSC4052: {
    title: "ingress without an address",
    explain:
      "`ingress { ... }` in a context's link block shapes what arrives for the context's addresses " +
      "(on the link's IFB device, classified by destination address). A context without `address` " +
      "has nothing to classify by: add an address or remove the block.",
  },
  VSC4053: {
    title: "ingress reserves exceed the link's ingress",
    explain:
      "The contexts' `ingress { reserve }` on a link must fit in the link's host-level `ingress` rate " +
      "(or, without one, the link's rate).",
  },
  VSC4054: {
    title: "traffic classes or ingress on a class",
    explain:
      "Traffic classes are matched by a context's socket cgroup and ingress by a context's addresses, " +
      "so they belong in contexts. Put them in each context (a template shares them).",
  },
  VSC4055: {
    title: "a match with peers by name or except (retired)",
    retired: true,
    explain:
      "Retired: `match` now takes peers by name and `except` as `allow` does (language-v2.md §3), " +
      "so `traffic db { match tcp to context db }` classifies by context db's addresses (the same nft " +
      "set `allow` uses). Earlier versions refused it with this code.",
  },
  VSC4056: {
    title: "more traffic classes than HTB class ids",
    explain:
      "Every class, context, traffic class and each context's rest class (one per context and link " +
      "with traffic classes) needs its own HTB class id, and HTB has 65,533 (1:1 to 1:fffd) for the " +
      "whole program. The error points at the first traffic class that does not fit. A template with " +
      "traffic classes used by many contexts multiplies them: 656 contexts with 100 traffic classes " +
      "each need 66,256 ids.",
  },
};
