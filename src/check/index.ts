/**
 * The checker: a parsed Program in, the IR out (or not), with every problem
 * found on the way. Rules live one a file in this directory and report
 * through an acceptor; this module only runs them in order. A later rule
 * never sees a value an earlier one rejected: bad values are absent.
 */
import { checkSecurityNode, checkSharedCpus } from "./security.js";
import { type Diagnostic, hasErrors, sortDiagnostics } from "../diag/diagnostic.js";
import type { Node, VscIr } from "../ir/types.gen.js";
import type { Decl, Item, Program, Span } from "../syntax/ast.js";
import { type Acceptor, error } from "./acceptor.js";
import { checkAdmission, resources } from "./admission.js";
import { buildHost, buildIr, nodeBuilder } from "./build-ir.js";
import { deriveClassIds } from "./class-ids.js";
import { Code } from "./codes.js";
import { checkAddresses, checkIds, checkInboundPorts } from "./conflicts.js";
import { checkContextOnly, checkHostnameNamespace } from "./context-only.js";
import { assignCores } from "./cores.js";
import { checkLinkLimits } from "./link-limits.js";
import { checkTraffic } from "./traffic.js";
import { collectDefines } from "./defines.js";
import { expandTemplates } from "./expand-templates.js";
import { buildTree } from "./hierarchy.js";
import { checkNestedLimits, checkOrdering } from "./ordering.js";
import { checkOverbooking } from "./overbook.js";
import { checkCpuBurst, checkCpuLimitMinimum } from "./ranges.js";
import { checkCpuGuarantees } from "./cpu-guarantee.js";
import { type DeclSpec, readDecl } from "./read-body.js";
import { readHost } from "./read-host.js";
import { checkPeers } from "./peers.js";
import { resolveNames } from "./resolve-names.js";
import { spanOrder } from "./source-order.js";
import { checkSystemd } from "./systemd.js";
import { annotate, hostKey, hostProgram, listNames, resolveFleet } from "./fleet.js";
import { expandHost, nodePart, templateHasHostPart } from "./host-templates.js";
import { didYouMean } from "../diag/suggest.js";

export interface CheckResult {
  /** Present iff no diagnostic is an error and one host was checked (the only one, or --host). */
  ir: VscIr | undefined;
  /** Sorted by file, position, code. */
  diagnostics: Diagnostic[];
  /** The file set's host names, in program order. */
  hosts?: string[];
  /** The single-host program that was checked for `host` (for `--target vsc`). */
  hostProgram?: Program;
}

export interface CheckOptions {
  /** Check (and build the IR of) only this host of a fleet (`--host`). */
  host?: string;
  /** The command acts on one host: a fleet without `host` is VSC9031. */
  needOneHost?: boolean;
}

/**
 * Checks a program: every host of a fleet (each named in the diagnostics that
 * depend on it), or just `opts.host`. A file set with one host and no
 * `group`/`on` is checked exactly as in version 1.
 */
export function check(program: Program, opts: CheckOptions = {}): CheckResult {
  const fleetDiags: Diagnostic[] = [];
  const fleet = resolveFleet(program, (d) => fleetDiags.push(d));
  const hostNames = fleet.hosts.map((h) => h.name.name);
  const single = fleet.hosts.length <= 1 && !fleet.usesPlacement && fleetDiags.length === 0;
  if (opts.host !== undefined && !fleet.hostByName.has(opts.host)) {
    const suggestion = didYouMean(opts.host, hostNames);
    return {
      ir: undefined,
      hosts: hostNames,
      diagnostics: sortDiagnostics([
        ...fleetDiags,
        error(
          "VSC9030",
          undefined,
          `--host ${opts.host}: the file set has no host "${opts.host}"`,
          {
            help:
              (suggestion ? suggestion + " " : "") +
              `its hosts: ${listNames(hostNames, 10) || "none"}`,
          },
        ),
      ]),
    };
  }
  if (single) return { ...checkHost(program), hosts: hostNames, hostProgram: program };
  if (opts.host === undefined && opts.needOneHost && fleet.hosts.length > 1) {
    return {
      ir: undefined,
      hosts: hostNames,
      diagnostics: sortDiagnostics([
        ...fleetDiags,
        error(
          "VSC9031",
          undefined,
          `the file set describes ${fleet.hosts.length} hosts: choose one with --host`,
          {
            help: `its hosts: ${listNames(hostNames, 10)}`,
          },
        ),
      ]),
    };
  }
  const targets = opts.host !== undefined ? [fleet.hostByName.get(opts.host)!] : fleet.hosts;
  if (targets.length === 0) {
    const r = checkHost(program);
    return {
      ...r,
      diagnostics: sortDiagnostics([...fleetDiags, ...r.diagnostics]),
      hosts: hostNames,
    };
  }
  const sources = new Map(program.files.map((f) => [f.file, f.text] as const));
  const alike = new Map<string, Decl[]>();
  for (const h of targets) {
    const k = hostKey(program, fleet, h, sources);
    const list = alike.get(k);
    if (list) list.push(h);
    else alike.set(k, [h]);
  }
  // Each diagnostic once, with the hosts it was seen on.
  const seen = new Map<string, { d: Diagnostic; hosts: string[] }>();
  let ir: VscIr | undefined;
  let one: Program | undefined;
  const owner = ownerOf(program);
  const record = (d: Diagnostic, names: string[]) => {
    const key = `${d.code}\0${d.span?.file}\0${d.span?.start}\0${d.message}`;
    const s = seen.get(key);
    if (s) s.hosts.push(...names);
    else seen.set(key, { d, hosts: names });
  };
  for (const group of alike.values()) {
    const first = group[0]!;
    const p = hostProgram(program, fleet, first);
    const r = checkHost(p);
    if (targets.length === 1) {
      ir = r.ir;
      one = p;
    }
    // A mistake inside the host block itself is at that block's own place:
    // the hosts that share its text each get it at theirs (checked one by one).
    const ownMistake = r.diagnostics.some((d) => d.span && owner(d.span) === first);
    const names = ownMistake ? [first.name.name] : group.map((h) => h.name.name);
    for (const d of r.diagnostics) record(d, names);
    if (ownMistake)
      for (const h of group.slice(1))
        for (const d of checkHost(hostProgram(program, fleet, h)).diagnostics)
          record(d, [h.name.name]);
  }
  // A diagnostic seen on every host checked is about the files, and is said
  // once; one seen on some hosts only, or pointing at a host block from
  // elsewhere (admission, links), names them. A host block's own mistakes
  // already name their host.
  const out: Diagnostic[] = [...fleetDiags];
  for (const { d, hosts } of seen.values()) {
    const item = d.span && owner(d.span);
    const inHost = item?.kind === "Decl" && item.keyword === "host";
    const pointsAtHost = (d.related ?? []).some((r) => {
      const o = owner(r.span);
      return o !== item && o?.kind === "Decl" && o.keyword === "host";
    });
    const everywhere = hosts.length === targets.length;
    out.push(!inHost && (!everywhere || pointsAtHost) ? annotate(d, hosts) : d);
  }
  const diagnostics = sortDiagnostics(out);
  const result: CheckResult = {
    ir: hasErrors(diagnostics) ? undefined : ir,
    diagnostics,
    hosts: hostNames,
  };
  if (one) result.hostProgram = one;
  return result;
}

/**
 * Every host's single-host program, by host name (a file set with one host
 * and no placement: that program itself). For `vsc compile FLEET --target
 * vsc -o DIR`, after a check of the whole fleet found no error.
 */
export function hostPrograms(program: Program): Map<string, Program> {
  const fleet = resolveFleet(program, () => {});
  const out = new Map<string, Program>();
  const single = fleet.hosts.length <= 1 && !fleet.usesPlacement;
  for (const h of fleet.hosts)
    out.set(h.name.name, single ? program : hostProgram(program, fleet, h));
  return out;
}

/** The top-level item a span lies in. */
function ownerOf(program: Program): (s: Span) => Item | undefined {
  const byFile = new Map<string, Item[]>();
  for (const it of program.items) {
    const list = byFile.get(it.span.file);
    if (list) list.push(it);
    else byFile.set(it.span.file, [it]);
  }
  return (s) => {
    const items = byFile.get(s.file);
    if (!items) return undefined;
    let lo = 0;
    let hi = items.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const it = items[mid]!;
      if (s.start < it.span.start) hi = mid - 1;
      else if (s.start >= it.span.end) lo = mid + 1;
      else return it;
    }
    return undefined;
  };
}

/** The version-1 checker: a program with (at most) one host. */
function checkHost(program: Program): CheckResult {
  const diagnostics: Diagnostic[] = [];
  const report: Acceptor = (d) => diagnostics.push(d);
  const order = spanOrder(program);

  const defs = collectDefines(program.items, report);
  const names = resolveNames(program, report);
  const hostDecl = names.host && expandHost(names.host, names.decls, report);
  const host = hostDecl && readHost(hostDecl, defs, report);

  const specs = new Map<Decl, DeclSpec>();
  const hostDisks = host && new Set(host.disks.keys());
  const hostLinks = host && new Set(host.links.keys());
  const hostLinkRates = host && new Map([...host.links].map(([n, l]) => [n, l.rate]));
  for (let i = 0; i < names.ordered.length; i++) {
    const decl = names.ordered[i]!;
    specs.set(
      decl,
      readDecl(nodePart(decl), {
        report,
        defs,
        hostMillicpus: host?.millicpus?.value,
        hostMemory: host?.memory?.value,
        hostDisks,
        hostLinks,
        ...(hostLinkRates ? { hostLinkRates } : {}),
        owner: decl.name.name,
        ownerKind: decl.keyword === "host" ? "host" : decl.keyword,
      }),
    );
  }
  const bodies = expandTemplates(specs, names, report, (t) => templateHasHostPart(t, names.decls));
  const tree = buildTree(bodies, names, report);
  if (tree.tooDeep)
    return { ir: undefined, diagnostics: sortDiagnostics(dropRepeats(diagnostics)) };
  const contexts = tree.order.filter((n) => n.kind === "context");

  const orderingSeen = new Set<object>();
  for (let i = 0; i < tree.order.length; i++) {
    const n = tree.order[i]!;
    checkContextOnly(n, report);
    checkOrdering(n, report, orderingSeen);
    checkCpuBurst(n, report);
    checkCpuLimitMinimum(n, report);
    checkHostnameNamespace(n, report);
    checkSecurityNode(n, host?.driver?.value, report);
    if (n.kind === "context" && !n.body.id) {
      report(
        error(Code.missingId, n.decl.name.span, `context "${n.name}" has no id`, {
          help: "add `id N` (1..60000, unique): it names the context's tc classes and must stay stable",
        }),
      );
    }
  }
  checkSystemd(host, tree.order, report);
  checkIds(tree.order, order, report);
  checkAddresses(contexts, order, report);
  checkInboundPorts(contexts, order, report);
  if (tree.ok) checkPeers(tree.order, report);
  checkNestedLimits(tree.roots, host ? [...host.links.keys()].sort() : [], report);
  if (host) checkLinkLimits(tree.order, host, report);
  checkTraffic(tree.order, host, report);

  let cores = new Map<(typeof tree.order)[number], number[]>();
  if (host && tree.ok) {
    let coresOk = true;
    if (host.millicpus) {
      const a = assignCores(contexts, host.millicpus.value / 1000, order, report);
      cores = a.cores;
      coresOk = a.ok;
      checkSharedCpus(contexts, Math.floor(host.millicpus.value / 1000), cores, report);
    }
    for (const res of resources(host)) {
      // Conflicting whole cores are reported as such; a cpu total would count them twice.
      if (res.name !== "cpu" || coresOk) checkAdmission(tree.roots, res, order, report);
    }
    checkOverbooking(host, tree.roots, order, report);
  }

  const classIds = deriveClassIds(
    tree.order.filter((n) => n.kind === "class" && !n.body.id).map((n) => n.name),
    new Set(),
  );
  for (const n of tree.order) {
    if (n.kind === "class" && !n.body.id && !classIds.has(n.name)) {
      report(
        error(
          Code.missingId,
          n.decl.name.span,
          `no id left for class "${n.name}": too many classes without an id`,
          {
            help: "declare ids (1..60000) on classes",
          },
        ),
      );
    }
  }

  const sorted = sortDiagnostics(dropRepeats(diagnostics));
  if (hasErrors(sorted) || !host) return { ir: undefined, diagnostics: sorted };
  const buildNode = nodeBuilder(host);
  const nodes: Node[] = tree.order.map((n) =>
    buildNode(n, n.body.id?.value ?? classIds.get(n.name)!, cores.get(n)),
  );
  const entry = program.files[0]?.file ?? program.entry.replace(/^.*[\\/]/, "");
  const ir = buildIr(entry, buildHost(host), nodes);
  // Needs the finished IR: the weights are computed exactly as the emitter will write them.
  const late: Diagnostic[] = [];
  checkCpuGuarantees(ir, tree.order, (d) => late.push(d));
  if (late.length > 0) return { ir: undefined, diagnostics: sortDiagnostics([...sorted, ...late]) };
  return { ir, diagnostics: sorted };
}

/** A template's mistake seen through several users is one mistake. */
function dropRepeats(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const key = `${d.code}\0${d.span?.file}\0${d.span?.start}\0${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
