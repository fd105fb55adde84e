/**
 * (desired state, observed state) -> plan. Pure: no I/O, same inputs give the
 * same plan. The action list is the execution order:
 *   1. cgroups top-down: create, enable controllers, write values
 *      (parents before children, controllers before values);
 *   2. tc, one batch per link: deletes (children first), changes, creates;
 *   3. cgroups bottom-up: delete what is no longer wanted (children first),
 *      then disable controllers no longer wanted;
 *   4. nftables, one atomic transaction, last: the cgroups its rules name
 *      exist by then, and being the last write it rarely needs undoing.
 */
import type { Diagnostic } from "../diag/diagnostic.js";
import type { DesiredLink, DesiredState, DesiredTcClass } from "../model/desired.js";
import { type DesiredIngress, ifbAlias, ifbName } from "../model/ingress.js";
import { Code } from "./codes.js";
import { fingerprint } from "./fingerprint.js";
import type {
  Action,
  CgroupAction,
  ObservedCgroup,
  ObservedLink,
  ObservedState,
  Plan,
  PlanSummary,
  Scope,
  TcClassAction,
  TcClassState,
  TcFilterAction,
  TcFilterState,
  TcIngressAction,
} from "./types.js";
import { MANAGED_FILES, depth, parentPath, sameValue, tcRoundTrip } from "./values.js";

export interface PlanOptions {
  /** Move processes out of cgroups that must be removed instead of refusing. */
  moveProcs?: boolean;
}

export interface PlanResult {
  plan: Plan | undefined;
  diagnostics: Diagnostic[];
}

/** What must be read to plan for `desired`. */
export function scopeOf(desired: DesiredState): Scope {
  const files = new Set(MANAGED_FILES);
  for (const c of desired.cgroups) for (const f of c.files) files.add(f.name);
  const links = desired.links.map((l) => l.dev).sort();
  return {
    cgroupRoot: desired.cgroupRoot,
    files: [...files].sort(),
    links,
    // Every declared link: ingress removed from the configuration is removed from the kernel too.
    ...(links.length > 0 ? { ingress: links } : {}),
  };
}

export function planChanges(
  desired: DesiredState,
  observed: ObservedState,
  opts: PlanOptions = {},
): PlanResult {
  const scope = scopeOf(desired);
  const obs = new Map(observed.cgroups.map((c) => [c.path, c] as const));
  const actions: Action[] = [];
  const created = new Set<string>();

  // 1. cgroups, top-down.
  for (const dc of desired.cgroups) {
    // A half-made cgroup (scratch tree, apply killed after its mkdir) is created again: completed.
    const half = obs.get(dc.path)?.incomplete;
    const oc = half ? undefined : obs.get(dc.path);
    if (!oc) {
      created.add(dc.path);
      actions.push({
        type: "cgroup",
        op: "create",
        address: `cgroup ${dc.path}`,
        path: dc.path,
        ...(half
          ? {
              repair: half,
              reason: `half-made by an interrupted apply, lacks ${listShort(half)}: completed`,
            }
          : {}),
      });
    }
    const before = oc?.subtreeControl ?? [];
    const enable = dc.subtreeControl.filter((c) => !before.includes(c));
    if (enable.length > 0) {
      actions.push({
        type: "subtree-control",
        op: "update",
        address: `cgroup ${dc.path} cgroup.subtree_control`,
        path: dc.path,
        before,
        after: [...new Set([...before, ...enable])].sort(),
        ...(oc ? {} : { initial: true }),
      });
    }
    for (const f of dc.files) {
      const b = oc ? (oc.files[f.name] ?? null) : null;
      if (oc && sameValue(f.name, b, f.value)) continue;
      actions.push({
        type: "cgroup-file",
        op: oc ? "update" : "create",
        address: `cgroup ${dc.path} ${f.name}`,
        path: dc.path,
        file: f.name,
        before: b,
        after: f.value,
        ...(oc ? {} : { initial: true }),
      });
    }
  }

  // 2. tc, per link: its IFB device and what is on it (ingress), then the
  // link's own batch (root HTB tree, the ingress qdisc redirecting to the IFB
  // device), then an IFB device no longer wanted.
  const diagnostics: Diagnostic[] = [];
  const obsLinks = new Map(observed.links.map((l) => [l.dev, l] as const));
  const ingress = new Map((desired.ingress ?? []).map((g) => [g.link, g] as const));
  for (const dl of [...desired.links].sort((a, b) => (a.dev < b.dev ? -1 : 1))) {
    const g = ingress.get(dl.dev);
    const ifb = obsLinks.get(ifbName(dl.dev));
    if (g) actions.push(...planIfb(g, ifb, diagnostics));
    actions.push(...planLink(dl, obsLinks.get(dl.dev)));
    const ing = planIngress(dl.dev, g, obsLinks.get(dl.dev), diagnostics);
    if (ing) actions.push(ing);
    if (!g) actions.push(...planIfbRemoval(dl.dev, ifb, diagnostics));
  }

  // 3. cgroups, bottom-up.
  const wanted = new Set(desired.cgroups.map((c) => c.path));
  const doomed = observed.cgroups.filter((c) => !wanted.has(c.path));
  actions.push(...planDeletes(doomed, desired.cgroupRoot, opts, diagnostics));
  for (const dc of [...desired.cgroups].reverse()) {
    const oc = obs.get(dc.path);
    if (!oc) continue;
    const extra = oc.subtreeControl.filter((c) => !dc.subtreeControl.includes(c));
    if (extra.length === 0) continue;
    const enabled = [...new Set([...oc.subtreeControl, ...dc.subtreeControl])].sort();
    actions.push({
      type: "subtree-control",
      op: "update",
      address: `cgroup ${dc.path} cgroup.subtree_control`,
      path: dc.path,
      before: enabled,
      after: enabled.filter((c) => !extra.includes(c)),
    });
  }

  // 4. nftables. A re-created cgroup has a new id, and rules hold ids, not
  // paths: reload when any cgroup the rules name (or an ancestor) is created.
  const named = desired.nft.cgroupPaths.filter((p) =>
    [...created].some((c) => p === c || p.startsWith(`${c}/`)),
  );
  const stale = observed.nft.digest !== desired.nft.digest || !observed.nft.present;
  const reason = stale
    ? undefined
    : named.length > 0
      ? `cgroup ${named[0]} is created, so the rules that name it must be loaded again`
      : observed.interrupted
        ? "a previous apply was interrupted, so the rules are loaded again"
        : undefined;
  if (stale || reason) {
    actions.push({
      type: "nft",
      op: observed.nft.present ? "update" : "create",
      address: "nft table inet vsc",
      before: observed.nft.present ? { digest: observed.nft.digest ?? null } : null,
      after: { digest: desired.nft.digest, ruleset: desired.nft.ruleset },
      ...(reason ? { reason } : {}),
    });
  }

  if (diagnostics.length > 0) return { plan: undefined, diagnostics };
  return {
    plan: {
      format: "vsc-plan",
      version: 1,
      kind: "apply",
      host: desired.host,
      scope,
      fingerprint: fingerprint(observed),
      actions,
      summary: summarize(actions),
    },
    diagnostics,
  };
}

/** What `destroy` needs to know: the owned root and the links (with vsc's qdisc handle). */
export interface DestroyTarget {
  host: string;
  cgroupRoot: string;
  links: { dev: string; handle: string }[];
}

export function destroyTargetOf(desired: DesiredState): DestroyTarget {
  return {
    host: desired.host,
    cgroupRoot: desired.cgroupRoot,
    links: desired.links.map((l) => ({ dev: l.dev, handle: l.handle })),
  };
}

/**
 * Everything vsc owns, removed: tc root qdiscs that are vsc's (HTB with its
 * handle; any other root qdisc is left alone), the owned subtree bottom-up,
 * then `table inet vsc`. Nothing else is touched.
 */
export function planDestroy(
  target: DestroyTarget,
  observed: ObservedState,
  opts: PlanOptions = {},
): PlanResult {
  const actions: Action[] = [];
  const diagnostics: Diagnostic[] = [];
  const obsLinks = new Map(observed.links.map((l) => [l.dev, l] as const));
  for (const t of [...target.links].sort((a, b) => (a.dev < b.dev ? -1 : 1))) {
    const ol = obsLinks.get(t.dev);
    if (ol?.qdisc && ol.qdisc.kind === "htb" && ol.qdisc.handle === t.handle)
      actions.push({
        type: "tc-qdisc",
        op: "delete",
        address: `tc ${t.dev} qdisc ${t.handle}`,
        dev: t.dev,
        before: ol.qdisc,
        after: null,
        classes: Object.keys(ol.classes).length,
        restoreClasses: ol.classes,
      });
    // vsc's ingress qdisc and IFB device; anything else is left alone.
    const ing = planIngress(t.dev, undefined, ol, diagnostics);
    if (ing) actions.push(ing);
    actions.push(...planIfbRemoval(t.dev, obsLinks.get(ifbName(t.dev)), diagnostics));
  }
  actions.push(...planDeletes(observed.cgroups, target.cgroupRoot, opts, diagnostics));
  if (observed.nft.present) {
    actions.push({
      type: "nft",
      op: "delete",
      address: "nft table inet vsc",
      before: { digest: observed.nft.digest ?? null },
      after: null,
    });
  }
  if (diagnostics.length > 0) return { plan: undefined, diagnostics };
  return {
    plan: {
      format: "vsc-plan",
      version: 1,
      kind: "destroy",
      host: target.host,
      scope: destroyScope(target),
      fingerprint: fingerprint(observed),
      actions,
      summary: summarize(actions),
    },
    diagnostics,
  };
}

/** What a destroy reads: the owned root, every managed file, the declared links and their ingress. */
export function destroyScope(target: DestroyTarget): Scope {
  const links = target.links.map((l) => l.dev).sort();
  return {
    cgroupRoot: target.cgroupRoot,
    files: [...MANAGED_FILES],
    links,
    ...(links.length > 0 ? { ingress: links } : {}),
  };
}

// ---------------------------------------------------------------- ingress (language-v2.md §3)

/** An IFB device that is vsc's: an IFB device with vsc's name and alias for the link. */
const isOurs = (link: string, d: ObservedLink | undefined): boolean =>
  !!d?.exists && d.device?.kind === "ifb" && d.device.alias === ifbAlias(link);

function notOurs(link: string, d: ObservedLink): Diagnostic {
  return {
    code: Code.ifbNotOwned,
    severity: "error",
    message: `a device named ${d.dev} exists and is not the IFB device vsc makes for the ingress of ${link}`,
    notes: [
      `it is ${d.device?.kind ? `a ${d.device.kind} device` : "a device without a link kind"}${d.device?.alias ? ` with alias ${JSON.stringify(d.device.alias)}` : " without an alias"}; vsc's is an ifb device with alias ${JSON.stringify(ifbAlias(link))}`,
      "nothing was changed",
    ],
    help: `vsc leaves devices it did not make alone: remove or rename ${d.dev} if it is not in use (ip link del ${d.dev}), or remove the ingress settings of ${link}`,
  };
}

function foreignFilters(d: ObservedLink): Diagnostic {
  return {
    code: Code.ifbNotOwned,
    severity: "error",
    message: `vsc's IFB device ${d.dev} holds filters vsc did not make`,
    notes: [...(d.foreignFilters ?? []).slice(0, 5), "nothing was changed"],
    help: `vsc owns ${d.dev} and everything on it, but would not remove what it cannot put back: delete those filters (tc filter del dev ${d.dev} parent 1: prio N), then plan again`,
  };
}

/** The IFB device of a link with ingress shaping: the device, its HTB tree, one u32 filter per context. */
function planIfb(g: DesiredIngress, ob: ObservedLink | undefined, ds: Diagnostic[]): Action[] {
  const dev = g.ifb;
  if (ob?.exists && !isOurs(g.link, ob)) {
    ds.push(notOurs(g.link, ob));
    return [];
  }
  if (ob?.foreignFilters?.length) {
    ds.push(foreignFilters(ob));
    return [];
  }
  const out: Action[] = [];
  const exists = !!ob?.exists;
  if (!exists) out.push({ type: "ifb", op: "create", address: `ifb ${dev}`, dev, link: g.link });
  else if (!ob!.device!.up)
    out.push({
      type: "ifb",
      op: "update",
      address: `ifb ${dev}`,
      dev,
      link: g.link,
      reason: "the device is down: packets redirected to it would be dropped",
    });
  const tree = planLink(
    {
      dev,
      rate: g.rate,
      handle: "1:",
      defaultClassid: DEFAULT_CLASSID,
      classes: g.classes,
      source: g.source,
    },
    exists ? ob : undefined,
  );
  // A root qdisc made (or replaced) now starts without filters.
  const fresh = !(exists && ob!.qdisc?.kind === "htb" && ob!.qdisc.handle === "1:");
  const have = fresh ? {} : (ob!.filters ?? {});
  const want = new Map<string, TcFilterState>(
    g.filters.map((f) => [String(f.prio), { flowid: f.classid, nodes: [...f.nodes] }]),
  );
  // Filters bind their classes (HTB refuses to delete a class a filter points at):
  // filters go first, the tree, then new filters.
  const first: Action[] = [];
  const last: Action[] = [];
  for (const prio of Object.keys(have).sort((a, b) => Number(a) - Number(b))) {
    const b = have[prio]!;
    const a = want.get(prio);
    if (!a) first.push(filterAction(dev, Number(prio), b, null));
    else if (!sameFilter(b, a)) first.push(filterAction(dev, Number(prio), b, a));
  }
  for (const [prio, a] of want)
    if (!have[prio]) last.push(filterAction(dev, Number(prio), null, a, fresh));
  out.push(...first, ...tree, ...last);
  return out;
}

function filterAction(
  dev: string,
  prio: number,
  before: TcFilterState | null,
  after: TcFilterState | null,
  initial = false,
): TcFilterAction {
  return {
    type: "tc-filter",
    op: before ? (after ? "update" : "delete") : "create",
    address: `tc ${dev} filter ${prio}`,
    dev,
    prio,
    before,
    after,
    ...(initial ? { initial: true } : {}),
  };
}

export const sameFilter = (a: TcFilterState, b: TcFilterState): boolean =>
  a.flowid === b.flowid && a.nodes.join(",") === [...b.nodes].sort().join(",");

/**
 * The ingress qdisc of a declared link: made with its redirect when ingress
 * is wanted (an empty one is adopted), removed when it is not and it is
 * vsc's (its one filter redirects to vsc's IFB device). One with other
 * filters, or a clsact qdisc, is someone else's: refused when ingress is
 * wanted, left alone otherwise.
 */
function planIngress(
  link: string,
  g: DesiredIngress | undefined,
  ol: ObservedLink | undefined,
  ds: Diagnostic[],
): TcIngressAction | undefined {
  const ing = ol?.ingress;
  const ours = ifbName(link);
  const address = `tc ${link} ingress`;
  if (!g) {
    if (!ing || ing.foreign || ing.redirect !== ours) return undefined;
    return {
      type: "tc-ingress",
      op: "delete",
      address,
      dev: link,
      before: { redirect: ing.redirect },
      after: null,
    };
  }
  if (ing && (ing.foreign || (ing.redirect !== undefined && ing.redirect !== g.ifb))) {
    ds.push({
      code: Code.ingressNotOwned,
      severity: "error",
      message: `link ${link} has an ingress qdisc vsc did not make`,
      notes: [
        ...(ing.foreign ?? [`a filter redirects to ${ing.redirect}`]).slice(0, 5),
        "nothing was changed",
      ],
      help: `vsc would have to replace it to shape what arrives on ${link}, and does not remove what it did not make: remove it (tc qdisc del dev ${link} ${ing.kind}) if it is not in use, or remove the ingress settings of ${link}`,
    });
    return undefined;
  }
  if (ing?.redirect === g.ifb) return undefined;
  return {
    type: "tc-ingress",
    op: ing ? "update" : "create",
    address,
    dev: link,
    before: ing ? {} : null,
    after: { redirect: g.ifb },
    ...(ing ? { reason: "an empty ingress qdisc is there: vsc adds its redirect" } : {}),
  };
}

/** A vsc IFB device no longer wanted: its filters, its root qdisc (and classes), the device. */
function planIfbRemoval(link: string, ob: ObservedLink | undefined, ds: Diagnostic[]): Action[] {
  if (!ob || !isOurs(link, ob)) return [];
  if (ob.foreignFilters?.length) {
    ds.push(foreignFilters(ob));
    return [];
  }
  const out: Action[] = [];
  for (const prio of Object.keys(ob.filters ?? {}).sort((a, b) => Number(a) - Number(b)))
    out.push(filterAction(ob.dev, Number(prio), ob.filters![prio]!, null));
  if (ob.qdisc?.kind === "htb")
    out.push({
      type: "tc-qdisc",
      op: "delete",
      address: `tc ${ob.dev} qdisc ${ob.qdisc.handle}`,
      dev: ob.dev,
      before: ob.qdisc,
      after: null,
      classes: Object.keys(ob.classes).length,
      restoreClasses: ob.classes,
    });
  out.push({ type: "ifb", op: "delete", address: `ifb ${ob.dev}`, dev: ob.dev, link });
  return out;
}

const DEFAULT_CLASSID = "1:ffff";

/** Deletes, deepest first; a cgroup with processes is an error unless they may be moved. */
function planDeletes(
  doomed: ObservedCgroup[],
  cgroupRoot: string,
  opts: PlanOptions,
  diagnostics: Diagnostic[],
): CgroupAction[] {
  const sorted = [...doomed].sort((a, b) => depth(b.path) - depth(a.path) || cmp(a.path, b.path));
  const out: CgroupAction[] = [];
  for (const c of sorted) {
    if (c.procs > 0 && !opts.moveProcs) {
      diagnostics.push({
        code: Code.cgroupHasProcs,
        severity: "error",
        message: `cgroup ${c.path} must be removed but still holds ${c.procs} process${c.procs === 1 ? "" : "es"}`,
        help: "stop them, or run again with --move-procs to move them out of vsc's subtree",
        notes: ["nothing was changed"],
      });
      continue;
    }
    out.push({
      type: "cgroup",
      op: "delete",
      address: `cgroup ${c.path}`,
      path: c.path,
      procs: c.procs,
      ...(c.procs > 0 ? { moveProcsTo: parentPath(cgroupRoot) } : {}),
      restore: { subtreeControl: c.subtreeControl, files: c.files },
    });
  }
  return out;
}

/** The HTB tree of one link: qdisc, then deletes (children first), changes, creates. */
function planLink(dl: DesiredLink, ol: ObservedLink | undefined): Action[] {
  const want = desiredClasses(dl);
  const ours = ol?.qdisc?.kind === "htb" && ol.qdisc.handle === dl.handle;
  const actions: Action[] = [];
  if (!ours) {
    // Handle 0: is the kernel's default root qdisc: nothing configured, so a create.
    const configured = !!ol?.qdisc && ol.qdisc.handle !== "0:";
    actions.push({
      type: "tc-qdisc",
      op: configured ? "update" : "create",
      address: `tc ${dl.dev} qdisc ${dl.handle}`,
      dev: dl.dev,
      before: ol?.qdisc ?? null,
      after: { handle: dl.handle, defaultClassid: dl.defaultClassid },
      ...(configured
        ? { reason: `the root qdisc ${ol!.qdisc!.kind} ${ol!.qdisc!.handle} is replaced` }
        : {}),
    });
    for (const [classid, after] of want) {
      actions.push(classAction("create", dl.dev, classid, null, after, true));
    }
    return actions;
  }
  if (ol!.qdisc!.defaultClassid !== dl.defaultClassid) {
    actions.push({
      type: "tc-qdisc",
      op: "update",
      address: `tc ${dl.dev} qdisc ${dl.handle}`,
      dev: dl.dev,
      before: ol!.qdisc!,
      after: { handle: dl.handle, defaultClassid: dl.defaultClassid },
    });
  }
  const have = ol!.classes;
  // A class cannot change parent: moving it is a delete and a create.
  const moved = (id: string) =>
    have[id] && want.get(id) && have[id]!.parent !== want.get(id)!.parent;
  const gone = Object.keys(have)
    .filter((id) => !want.has(id) || moved(id))
    .sort((a, b) => classDepth(have, b) - classDepth(have, a) || cmp(a, b));
  for (const id of gone) actions.push(classAction("delete", dl.dev, id, have[id]!, null));
  for (const [id, after] of want) {
    const before = have[id];
    if (before && !moved(id) && !sameClass(before, after)) {
      actions.push(classAction("update", dl.dev, id, before, after));
    }
  }
  for (const [id, after] of want) {
    if (!have[id] || moved(id)) actions.push(classAction("create", dl.dev, id, null, after));
  }
  return actions;
}

function classAction(
  op: "create" | "update" | "delete",
  dev: string,
  classid: string,
  before: TcClassState | null,
  after: TcClassState | null,
  initial = false,
): TcClassAction {
  return {
    type: "tc-class",
    op,
    address: `tc ${dev} class ${classid}`,
    dev,
    classid,
    before,
    after,
    ...(initial ? { initial: true } : {}),
  };
}

/** The root class (major:fffe under the qdisc, at the link's rate) plus the config's classes. */
export function desiredClasses(dl: DesiredLink): Map<string, TcClassState> {
  const major = dl.handle.replace(/:.*$/, "");
  const m = new Map<string, TcClassState>();
  const rootId = `${major}:fffe`;
  if (!dl.classes.some((c) => c.classid === rootId)) {
    m.set(rootId, { parent: dl.handle, rate: dl.rate, ceil: dl.rate });
  }
  for (const c of dl.classes) m.set(c.classid, classState(c));
  return m;
}

function classState(c: DesiredTcClass): TcClassState {
  return {
    parent: c.parent,
    rate: c.rate,
    ceil: c.ceil,
    quantum: c.quantum,
    ...(c.prio !== undefined ? { prio: c.prio } : {}),
    ...(c.leafQdisc ? { leafQdisc: c.leafQdisc } : {}),
  };
}

/** Compares as tc reads back: rates after tc's rounding, quantum only when reported. */
export function sameClass(have: TcClassState, want: TcClassState): boolean {
  return (
    have.parent === want.parent &&
    have.rate === tcRoundTrip(want.rate) &&
    have.ceil === tcRoundTrip(want.ceil) &&
    (have.quantum === undefined || want.quantum === undefined || have.quantum === want.quantum) &&
    (want.prio === undefined || (have.prio ?? 0) === want.prio) &&
    (have.leafQdisc ?? "") === (want.leafQdisc ?? "")
  );
}

function classDepth(classes: Record<string, TcClassState>, id: string): number {
  let d = 0;
  for (let c = classes[id]; c && d < 64; c = classes[c.parent]) d++;
  return d;
}

export function summarize(actions: Action[]): PlanSummary {
  const s: PlanSummary = { add: 0, change: 0, destroy: 0 };
  for (const a of actions) {
    if ("initial" in a && a.initial) continue;
    if (a.op === "create") s.add++;
    else if (a.op === "update") s.change++;
    else s.destroy++;
  }
  return s;
}

const listShort = (xs: string[]) =>
  xs.length <= 3 ? xs.join(", ") : `${xs.slice(0, 3).join(", ")} and ${xs.length - 3} more`;

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
