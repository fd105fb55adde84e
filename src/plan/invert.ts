/**
 * The exact undo of an applied plan, as a plan (`vsc apply --confirm`, #19).
 * Pure: (the plan that ran, the state read before it, the state read after
 * it, the previous ruleset's text) -> a plan that takes the after-state back
 * to the before-state. Its fingerprint is the after-state's, so the revert
 * refuses to run (VSC5405) when anything moved since the apply; it is then a
 * plain plan, executed by the same journaled, verified executor as any other
 * and checked by the same validator (src/plan/validate.ts) when loaded.
 *
 * Order (the executor runs actions as listed):
 *   1. controllers the apply disabled, enabled again (top-down), then the
 *      cgroups it removed made again (top-down) with their controllers and
 *      values as read before the apply;
 *   2. values it changed in cgroups that stay, written back;
 *   3. tc, per link, the apply's changes reversed (IFB devices the apply
 *      removed made again first, those it made removed after);
 *   4. the previous ruleset (or `delete table`), while the cgroups the new
 *      rules name still exist and after those the old rules name exist again;
 *   5. the cgroups it created, removed (bottom-up);
 *   6. controllers it enabled in cgroups that stay, disabled (bottom-up).
 */
import { fingerprint } from "./fingerprint.js";
import { summarize } from "./plan.js";
import type {
  Action,
  CgroupAction,
  CgroupFileAction,
  ObservedCgroup,
  ObservedLink,
  ObservedState,
  Plan,
  IfbAction,
  SubtreeAction,
  TcClassAction,
  TcFilterAction,
  TcIngressAction,
  TcQdiscAction,
} from "./types.js";
import { MANAGED_FILES, depth, parentPath } from "./values.js";

export interface InvertInput {
  plan: Plan;
  /** The live state read (under the lock) right before the plan ran. */
  before: ObservedState;
  /** The live state read right after it ran and was verified. */
  after: ObservedState;
  /**
   * The text of `table inet vsc` before the apply (vsc's saved copy, keyed by
   * the digest read before): needed when the plan loaded a new ruleset over
   * an existing table. undefined when it is not known.
   */
  previousRuleset?: string;
  /** Cgroups the undo removes move their processes out (as `--move-procs` does) instead of refusing. */
  moveProcs?: boolean;
}

export interface InvertResult {
  plan?: Plan;
  /** Why no exact undo can be made (the apply must then not run with --confirm). */
  problems: string[];
}

const cmpDepth = (a: string, b: string) => depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0);

export function invertPlan(i: InvertInput): InvertResult {
  const { plan, before, after } = i;
  const problems: string[] = [];
  const was = new Map(before.cgroups.map((c) => [c.path, c] as const));
  const now = new Map(after.cgroups.map((c) => [c.path, c] as const));
  const linkBefore = new Map(before.links.map((l) => [l.dev, l] as const));
  const linkAfter = new Map(after.links.map((l) => [l.dev, l] as const));
  const root = plan.scope.cgroupRoot;

  const reEnable: SubtreeAction[] = [];
  const reCreate: Action[] = [];
  const values: CgroupFileAction[] = [];
  const tc = new Map<string, Action[]>();
  /** IFB devices the apply removed (made again before tc) and made (removed after tc). */
  const ifbBack: IfbAction[] = [];
  const ifbGone: IfbAction[] = [];
  let nft: Action | undefined;
  const remove: CgroupAction[] = [];
  const disable: SubtreeAction[] = [];

  const created = new Set(
    plan.actions.flatMap((a) => (a.type === "cgroup" && a.op === "create" ? [a.path] : [])),
  );

  for (const a of plan.actions) {
    switch (a.type) {
      case "cgroup": {
        if (a.op === "create") {
          const c = now.get(a.path);
          remove.push({
            type: "cgroup",
            op: "delete",
            address: `cgroup ${a.path}`,
            path: a.path,
            procs: 0,
            ...(i.moveProcs ? { moveProcsTo: parentPath(root) } : {}),
            restore: { subtreeControl: c?.subtreeControl ?? [], files: c?.files ?? {} },
          });
        } else {
          const c = was.get(a.path);
          if (!c) {
            problems.push(`cgroup ${a.path} was removed but not read before the apply`);
            break;
          }
          reCreate.push(...recreate(c));
        }
        break;
      }
      case "subtree-control": {
        if (a.initial || created.has(a.path)) break; // goes with its cgroup
        const inv: SubtreeAction = {
          type: "subtree-control",
          op: "update",
          address: a.address,
          path: a.path,
          before: [...a.after],
          after: [...a.before],
        };
        // An enable is undone after the cgroups it served are gone; a disable before they come back.
        if (a.after.length > a.before.length) disable.push(inv);
        else reEnable.push(inv);
        break;
      }
      case "cgroup-file": {
        if (a.initial || created.has(a.path) || a.before === null) break;
        const b = was.get(a.path)?.files[a.file];
        const n = now.get(a.path)?.files[a.file];
        if (b === undefined || n === undefined) {
          problems.push(`${a.address} was not read before and after the apply`);
          break;
        }
        values.push({
          type: "cgroup-file",
          op: "update",
          address: a.address,
          path: a.path,
          file: a.file,
          before: n,
          after: b,
        });
        break;
      }
      case "tc-qdisc":
      case "tc-class": {
        const list = tc.get(a.dev) ?? [];
        const inv = invertTc(a, linkBefore.get(a.dev), linkAfter.get(a.dev), problems);
        list.push(...inv);
        tc.set(a.dev, list);
        break;
      }
      case "tc-ingress":
      case "tc-filter": {
        const list = tc.get(a.dev) ?? [];
        const inv = invertIngress(a, linkBefore.get(a.dev), linkAfter.get(a.dev), problems);
        list.push(...inv);
        tc.set(a.dev, list);
        break;
      }
      case "ifb":
        // An IFB device the apply set up stays up (nothing shaped on it depends on that).
        if (a.op === "create") ifbGone.push({ ...a, op: "delete" });
        else if (a.op === "delete") ifbBack.push({ ...a, op: "create" });
        break;
      case "nft": {
        if (!after.nft.present || !after.nft.digest) {
          problems.push("table inet vsc was not read back after the apply");
          break;
        }
        if (a.before === null) {
          nft = {
            type: "nft",
            op: "delete",
            address: "nft table inet vsc",
            before: { digest: after.nft.digest },
            after: null,
          };
        } else if (a.before.digest === null || i.previousRuleset === undefined) {
          problems.push(
            "the previous table inet vsc was not loaded by vsc (or its saved copy is gone), so it cannot be loaded back",
          );
        } else {
          nft = {
            type: "nft",
            op: "update",
            address: "nft table inet vsc",
            before: { digest: after.nft.digest },
            after: { digest: a.before.digest, ruleset: i.previousRuleset },
            reason: "the ruleset before the pending apply",
          };
        }
        break;
      }
    }
  }
  if (problems.length > 0) return { problems };

  // Per link, in reverse of the order the apply ran its batch.
  const tcActions: Action[] = [];
  for (const dev of [...tc.keys()].sort()) tcActions.push(...tc.get(dev)!.reverse());

  const actions: Action[] = [
    ...reEnable.reverse(),
    ...reCreate,
    ...values,
    ...ifbBack,
    ...tcActions,
    ...ifbGone,
    ...(nft ? [nft] : []),
    ...remove.sort((x, y) => cmpDepth(y.path, x.path)),
    ...disable.reverse(),
  ];
  return {
    problems,
    plan: {
      format: "vsc-plan",
      version: 1,
      kind: "apply",
      host: plan.host,
      scope: plan.scope,
      fingerprint: fingerprint(after),
      actions,
      summary: summarize(actions),
    },
  };
}

/** A removed cgroup, made again as it was read: mkdir, its controllers, its values (managed order). */
function recreate(c: ObservedCgroup): Action[] {
  const out: Action[] = [
    { type: "cgroup", op: "create", address: `cgroup ${c.path}`, path: c.path },
  ];
  if (c.subtreeControl.length > 0)
    out.push({
      type: "subtree-control",
      op: "update",
      address: `cgroup ${c.path} cgroup.subtree_control`,
      path: c.path,
      before: [],
      after: [...c.subtreeControl],
      initial: true,
    });
  const order = (f: string) => {
    const k = MANAGED_FILES.indexOf(f);
    return k < 0 ? MANAGED_FILES.length : k;
  };
  for (const f of Object.keys(c.files).sort((x, y) => order(x) - order(y) || (x < y ? -1 : 1)))
    out.push({
      type: "cgroup-file",
      op: "create",
      address: `cgroup ${c.path} ${f}`,
      path: c.path,
      file: f,
      before: null,
      after: c.files[f]!,
      initial: true,
    });
  return out;
}

/** One tc action of the apply, reversed; class states as read back (tc's rounding). */
function invertTc(
  a: TcQdiscAction | TcClassAction,
  before: ObservedLink | undefined,
  after: ObservedLink | undefined,
  problems: string[],
): Action[] {
  if (a.type === "tc-qdisc") {
    if (a.op === "delete") {
      const q = a.before!;
      if (q.kind !== "htb" || !q.defaultClassid) {
        problems.push(`${a.address}: the removed root qdisc cannot be made again`);
        return [];
      }
      const classes = Object.entries(a.restoreClasses ?? {}).sort(
        (x, y) => classDepth(a.restoreClasses!, x[0]) - classDepth(a.restoreClasses!, y[0]),
      );
      return [
        // Listed reversed by the caller: the qdisc comes out first.
        ...classes.reverse().map(([id, s]): TcClassAction => ({
          type: "tc-class",
          op: "create",
          address: `tc ${a.dev} class ${id}`,
          dev: a.dev,
          classid: id,
          before: null,
          after: s,
          initial: true,
        })),
        {
          type: "tc-qdisc",
          op: "create",
          address: `tc ${a.dev} qdisc ${q.handle}`,
          dev: a.dev,
          before: null,
          after: { handle: q.handle, defaultClassid: q.defaultClassid },
        },
      ];
    }
    const nowQ = after?.qdisc;
    if (!nowQ || nowQ.kind !== "htb") {
      problems.push(`${a.address}: not read back after the apply`);
      return [];
    }
    const ours = a.before?.kind === "htb" && a.before.handle === a.after!.handle;
    if (ours) {
      return [
        {
          type: "tc-qdisc",
          op: "update",
          address: a.address,
          dev: a.dev,
          before: nowQ,
          after: { handle: a.before!.handle, defaultClassid: a.before!.defaultClassid ?? "" },
        },
      ];
    }
    // The apply put vsc's HTB in place (of nothing, or of another root qdisc):
    // deleting it brings the kernel's default back, as the apply's own rollback does.
    return [
      {
        type: "tc-qdisc",
        op: "delete",
        address: a.address,
        dev: a.dev,
        before: nowQ,
        after: null,
        classes: Object.keys(after!.classes).length,
        restoreClasses: after!.classes,
        ...(a.before && a.before.handle !== "0:"
          ? {
              reason: `the root qdisc ${a.before.kind} ${a.before.handle} it replaced is not vsc's and comes back as the kernel's default`,
            }
          : {}),
      },
    ];
  }
  // A class of a qdisc this plan made goes with the qdisc.
  if (a.initial) return [];
  const b = before?.classes[a.classid];
  const n = after?.classes[a.classid];
  const op = a.op === "create" ? "delete" : a.op === "delete" ? "create" : "update";
  const inv: TcClassAction = {
    type: "tc-class",
    op,
    address: a.address,
    dev: a.dev,
    classid: a.classid,
    before: op === "create" ? null : (n ?? null),
    after: op === "delete" ? null : (b ?? null),
  };
  if ((op !== "create" && !n) || (op !== "delete" && !b)) {
    problems.push(`${a.address}: not read before and after the apply`);
    return [];
  }
  return [inv];
}

/** The ingress qdisc or a context's filter (language-v2.md §3), reversed; states as read back. */
function invertIngress(
  a: TcIngressAction | TcFilterAction,
  before: ObservedLink | undefined,
  after: ObservedLink | undefined,
  problems: string[],
): Action[] {
  const op = a.op === "create" ? "delete" : a.op === "delete" ? "create" : "update";
  if (a.type === "tc-ingress") {
    const b = before?.ingress;
    const n = after?.ingress;
    if ((op !== "create" && !n) || (op !== "delete" && !b)) {
      problems.push(`${a.address}: not read before and after the apply`);
      return [];
    }
    const state = (x: { redirect?: string }) => (x.redirect ? { redirect: x.redirect } : {});
    return [
      {
        type: "tc-ingress",
        op,
        address: a.address,
        dev: a.dev,
        before: op === "create" ? null : state(n!),
        after: op === "delete" ? null : state(b!),
      },
    ];
  }
  // A filter of a qdisc this plan made goes with the qdisc.
  if (a.initial) return [];
  const b = before?.filters?.[String(a.prio)];
  const n = after?.filters?.[String(a.prio)];
  if ((op !== "create" && !n) || (op !== "delete" && !b)) {
    problems.push(`${a.address}: not read before and after the apply`);
    return [];
  }
  return [
    {
      type: "tc-filter",
      op,
      address: a.address,
      dev: a.dev,
      prio: a.prio,
      before: op === "create" ? null : n!,
      after: op === "delete" ? null : b!,
    },
  ];
}

function classDepth(classes: Record<string, { parent: string }>, id: string): number {
  let d = 0;
  for (let c = classes[id]; c && d < 64; c = classes[c.parent]) d++;
  return d;
}
