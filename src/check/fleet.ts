/**
 * Fleets (language-v2.md §7): many `host` blocks in one file set, host
 * `group`s, and `on HOSTS` placing classes and contexts. This module finds
 * the hosts and groups, computes each class's and context's placement (a set
 * of hosts), and cuts the program into one single-host program per host: the
 * defines and templates, that host's block, and the classes and contexts
 * placed on it, in source order. The single-host checker (index.ts) then
 * checks each of them exactly as it checks a v1 file, which is also what
 * makes a one-host file behave as before.
 *
 * Placement rule (docs/fleet.md): a placement is a set of hosts; a group only
 * names part of it, so a host in two groups is placed wherever either group
 * is. A class or context without `on` is on its class's hosts (every host at
 * the root). A child's `on` may narrow its class's placement, never widen it
 * (VSC4070, then it is checked on the hosts both share).
 */
import type { Diagnostic, Span } from "../diag/diagnostic.js";
import { didYouMean } from "../diag/suggest.js";
import type { Decl, Group, Ident, Item, Program } from "../syntax/ast.js";
import { type Acceptor, error } from "./acceptor.js";
import { Code } from "./codes.js";

export interface Fleet {
  /** Every host with a unique name, in program order. */
  hosts: Decl[];
  hostByName: Map<string, Decl>;
  /** Group name -> its hosts' names. */
  groups: Map<string, Set<string>>;
  /** Where each class and context is: host names. */
  placement: Map<Decl, Set<string>>;
  /** Whether the program uses `group` or `on` at all. */
  usesPlacement: boolean;
}

export function resolveFleet(program: Program, report: Acceptor): Fleet {
  const hosts: Decl[] = [];
  const hostByName = new Map<string, Decl>();
  const groupDecls: Group[] = [];
  const nodes: Decl[] = [];
  let usesPlacement = false;
  for (const it of program.items) {
    if (it.kind === "Group") {
      groupDecls.push(it);
      usesPlacement = true;
    } else if (it.kind === "Decl") {
      if (it.keyword === "host") {
        const first = hostByName.get(it.name.name);
        if (first) {
          report(
            error(Code.extraHost, it.name.span, `host "${it.name.name}" is declared twice`, {
              related: [{ span: first.name.span, label: "first declared here" }],
              help: "each host of a fleet has its own name: rename or merge them",
            }),
          );
          continue;
        }
        hostByName.set(it.name.name, it);
        hosts.push(it);
      } else if (it.keyword === "class" || it.keyword === "context") {
        nodes.push(it);
        if (it.on) usesPlacement = true;
      }
    }
  }

  const groups = new Map<string, Set<string>>();
  const groupSpan = new Map<string, Span>();
  for (const g of groupDecls) {
    const name = g.name.name;
    const clash = hostByName.get(name)?.name.span ?? groupSpan.get(name);
    if (clash) {
      report(
        error(
          Code.hostGroupClash,
          g.name.span,
          `"${name}" is already ${hostByName.has(name) ? "a host" : "a group"}`,
          {
            related: [{ span: clash, label: "declared here" }],
            help: "hosts and groups share one name space: rename the group",
          },
        ),
      );
      continue;
    }
    const members = new Set<string>();
    for (const m of g.members) {
      if (hostByName.has(m.name)) members.add(m.name);
      else if (groups.has(m.name)) for (const h of groups.get(m.name)!) members.add(h);
      else
        report(
          error(Code.unknownGroupMember, m.span, `group "${name}": no host or group "${m.name}"`, {
            help:
              didYouMean(m.name, [...hostByName.keys(), ...groups.keys()]) ??
              "a member is a host, or a group declared before this one",
          }),
        );
    }
    groups.set(name, members);
    groupSpan.set(name, g.name.span);
  }

  const all = new Set(hostByName.keys());
  const byName = new Map<string, Decl>();
  for (const n of nodes) if (!byName.has(n.name.name)) byName.set(n.name.name, n);
  const placement = new Map<Decl, Set<string>>();
  const visiting = new Set<Decl>();
  const place = (d: Decl): Set<string> => {
    const done = placement.get(d);
    if (done) return done;
    if (visiting.has(d)) return all; // a class cycle, reported by the hierarchy rule
    visiting.add(d);
    const p = d.parent && byName.get(d.parent.name);
    const parent = p && p.keyword === "class" ? p : undefined;
    const inherited = parent ? place(parent) : all;
    let out = inherited;
    if (d.on) {
      out = new Set<string>();
      for (const ref of d.on) {
        const hosts = resolveRef(ref, hostByName, groups, report);
        const outside = parent ? [...hosts].filter((h) => !inherited.has(h)) : [];
        if (parent && outside.length > 0) {
          report(
            error(
              Code.placedOutsideClass,
              ref.span,
              `${d.keyword} "${d.name.name}" is placed on ${plural("host", outside)} ` +
                `${listNames(outside)}${ref.name === outside[0] ? "" : ` (through group "${ref.name}")`}, ` +
                `where its class "${parent.name.name}" is not`,
              {
                related: [
                  {
                    span: parent.on?.[0]?.span ?? parent.name.span,
                    label: parent.on ? "the class's placement" : "the class",
                  },
                ],
                help: `place class "${parent.name.name}" on ${outside.length > 1 ? "them" : "it"} too, or leave ${outside.length > 1 ? "them" : "it"} out of this \`on\``,
              },
            ),
          );
        }
        for (const h of hosts) if (inherited.has(h)) out.add(h);
      }
    }
    visiting.delete(d);
    placement.set(d, out);
    return out;
  };
  for (const n of nodes) place(n);
  return { hosts, hostByName, groups, placement, usesPlacement };
}

function resolveRef(
  ref: Ident,
  hosts: Map<string, Decl>,
  groups: Map<string, Set<string>>,
  report: Acceptor,
): Set<string> {
  if (hosts.has(ref.name)) return new Set([ref.name]);
  const g = groups.get(ref.name);
  if (g) return g;
  report(
    error(Code.unknownPlacement, ref.span, `no host or group "${ref.name}"`, {
      help:
        didYouMean(ref.name, [...hosts.keys(), ...groups.keys()]) ??
        "`on` takes hosts and groups: declare `host NAME { ... }` or `group NAME = HOST, ...`",
    }),
  );
  return new Set();
}

const plural = (w: string, xs: readonly unknown[]) => (xs.length === 1 ? w : w + "s");

/** `a`, `a and b`, `a, b, c and 4 more`. */
export function listNames(names: readonly string[], max = 3): string {
  if (names.length <= max) {
    return names.length <= 1
      ? (names[0] ?? "")
      : names.slice(0, -1).join(", ") + " and " + names[names.length - 1];
  }
  return `${names.slice(0, max).join(", ")} and ${names.length - max} more`;
}

/**
 * The single-host program of `host`: every item except other hosts, groups,
 * and classes or contexts not placed on it. Items keep their identity (and
 * spans), so diagnostics point into the files as written.
 */
export function hostProgram(program: Program, fleet: Fleet, host: Decl): Program {
  const name = host.name.name;
  const items: Item[] = [];
  for (const it of program.items) {
    if (it.kind === "Group") continue;
    if (it.kind === "Decl") {
      if (it.keyword === "host" && it !== host) continue;
      if (it.keyword === "class" || it.keyword === "context") {
        const p = fleet.placement.get(it);
        if (p && !p.has(name)) continue;
      }
    }
    items.push(it);
  }
  return { entry: program.entry, files: program.files, items };
}

/**
 * The key under which hosts check alike: the same host body (as written,
 * name aside) and the same placed declarations. Hosts of one hardware
 * template in one group are one check, not hundreds (bench: a 1,000-host
 * fleet of 4 kinds of host checks in ~0.5 s instead of ~6 s, bench/fleet.ts).
 */
export function hostKey(
  program: Program,
  fleet: Fleet,
  host: Decl,
  sources: Map<string, string>,
): string {
  const text = sources.get(host.bodySpan.file) ?? "";
  let key = text.slice(host.bodySpan.start, host.bodySpan.end) + "\0";
  for (const [d, p] of fleet.placement)
    if (p.has(host.name.name)) key += d.span.start + ":" + d.span.file + ",";
  void program;
  return key;
}

/**
 * Whether a diagnostic seen on some hosts depends on the host: it does when
 * it was not seen on every host where its declaration is, or when it points
 * at a host block other than its own declaration's.
 */
export function annotate(d: Diagnostic, hosts: readonly string[]): Diagnostic {
  const sorted = [...hosts].sort();
  return {
    ...d,
    message: `${d.message} (${plural("host", sorted)} ${listNames(sorted)})`,
  };
}
