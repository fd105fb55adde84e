/**
 * `vsc compile`'s back end: IR -> desired state -> the four reviewable
 * artifacts. Pure: returns texts; src/cli writes them.
 */
import { assertValidIr } from "../ir/validate.js";
import type { DesiredState } from "../model/desired.js";
import type { VscIr } from "../ir/types.gen.js";
import { desiredState } from "./model.js";
import { commentText } from "./quote.js";
import { render } from "./templates.js";

export { desiredState } from "./model.js";

export type ArtifactName = "cgroup.sh" | "ruleset.nft" | "tc.batch" | "plan.json";
export type EmitTarget = "cgroup" | "nft" | "tc" | "json";
export interface EmitOptions {
  /** Default cgroup2 mount written into cgroup.sh (default /sys/fs/cgroup). */
  cgroupMount?: string;
}

const DEFAULT_MOUNT = "/sys/fs/cgroup";

/** The directories above the owned root: vsc only adds missing controllers there. */
function ancestors(root: string): { path: string; create: boolean; note: string }[] {
  const parts = root.split("/");
  const out = [{ path: ".", create: false, note: "the cgroup2 mount root (not owned by vsc)" }];
  for (let i = 1; i < parts.length; i++) {
    const path = parts.slice(0, i).join("/");
    out.push({ path, create: true, note: `${path}: above the owned subtree (not owned by vsc)` });
  }
  return out;
}

export function renderCgroupScript(ir: VscIr, d: DesiredState, opts: EmitOptions = {}): string {
  const ctl = d.cgroups[0].subtreeControl;
  return render("cgroup.sh", {
    entry: commentText(ir.entry),
    host: commentText(ir.host.name),
    root: commentText(d.cgroupRoot),
    defaultMount: opts.cgroupMount ?? DEFAULT_MOUNT,
    controllers: ctl.join(" "),
    ancestors: ancestors(d.cgroupRoot),
    cgroups: d.cgroups.map((c) => ({
      path: c.path,
      note: `${c.path}: ${c.kind}${c.kind === "root" ? "" : ` ${c.name}`} (${commentText(c.source)})`,
      subtreeControl: c.subtreeControl.map((x) => `+${x}`).join(" "),
      files: c.files.map((f) => ({
        name: f.name,
        writes: f.writes ?? [f.value],
        source: f.source === undefined ? null : commentText(f.source),
      })),
    })),
  });
}

export function renderTcBatch(ir: VscIr, d: DesiredState): string {
  return render("tc.batch", {
    entry: commentText(ir.entry),
    host: commentText(ir.host.name),
    links: d.links.map((l) => ({
      dev: l.dev,
      source: commentText(l.source),
      classes: l.classes.map((c) => ({
        classid: c.classid,
        parent: c.parent,
        rate: c.rate,
        ceil: c.ceil,
        quantum: c.quantum,
        leaf: c.leafQdisc ?? null,
        note: `${c.name} (${commentText(c.source)})`,
      })),
    })),
  });
}

/** plan.json: the IR itself, validated against src/ir/schema.json on the way out. */
export function renderPlanJson(ir: VscIr): string {
  assertValidIr(ir);
  return `${JSON.stringify(ir, null, 2)}\n`;
}

export function emitArtifacts(ir: VscIr, opts: EmitOptions = {}): Record<ArtifactName, string> {
  const d = desiredState(ir);
  return {
    "cgroup.sh": renderCgroupScript(ir, d, opts),
    "ruleset.nft": d.nft.ruleset,
    "tc.batch": renderTcBatch(ir, d),
    "plan.json": renderPlanJson(ir),
  };
}

export function emitTarget(ir: VscIr, target: EmitTarget, opts: EmitOptions = {}): string {
  if (target === "json") return renderPlanJson(ir);
  const d = desiredState(ir);
  if (target === "cgroup") return renderCgroupScript(ir, d, opts);
  if (target === "nft") return d.nft.ruleset;
  return renderTcBatch(ir, d);
}
