/**
 * The checker: a parsed Program in, the IR out (or not), with every problem
 * found on the way. Rules live one a file in this directory and report
 * through an acceptor; this module only runs them in order. A later rule
 * never sees a value an earlier one rejected: bad values are absent.
 */
import { checkSecurityNode, checkSharedCpus } from "./security.js";
import { type Diagnostic, hasErrors, sortDiagnostics } from "../diag/diagnostic.js";
import type { Node, VscIr } from "../ir/types.gen.js";
import type { Decl, Program } from "../syntax/ast.js";
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

export interface CheckResult {
  /** Present iff no diagnostic is an error. */
  ir: VscIr | undefined;
  /** Sorted by file, position, code. */
  diagnostics: Diagnostic[];
}

export function check(program: Program): CheckResult {
  const diagnostics: Diagnostic[] = [];
  const report: Acceptor = (d) => diagnostics.push(d);
  const order = spanOrder(program);

  const defs = collectDefines(program.items, report);
  const names = resolveNames(program, report);
  const host = names.host && readHost(names.host, defs, report);

  const specs = new Map<Decl, DeclSpec>();
  const hostDisks = host && new Set(host.disks.keys());
  const hostLinks = host && new Set(host.links.keys());
  const hostLinkRates = host && new Map([...host.links].map(([n, l]) => [n, l.rate]));
  for (let i = 0; i < names.ordered.length; i++) {
    const decl = names.ordered[i]!;
    specs.set(
      decl,
      readDecl(decl, {
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
  const bodies = expandTemplates(specs, names, report);
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
