/**
 * IR -> desired kernel state (pure). The applier diffs this against the live
 * kernel and the artifact templates render it, so `vsc apply` and the
 * reviewed scripts can never disagree. The cgroup files and tc classes are
 * computed here (cgroups.ts, links.ts); the nft state is the text of
 * ruleset.nft itself, rendered by src/emit.
 */
import type { VscIr } from "../ir/types.gen.js";
import { nftView } from "../emit/nft.js";
import { renderRuleset } from "../emit/ruleset.js";
import { desiredCgroups } from "./cgroups.js";
import type { DesiredState } from "./desired.js";
import { desiredLinks, shapedClassids } from "./links.js";
import { trafficIds } from "./traffic.js";
import { desiredIngress } from "./ingress.js";
import { buildTree, where } from "./tree.js";

export function desiredState(ir: VscIr): DesiredState {
  const roots = buildTree(ir);
  const ids = trafficIds(ir);
  const links = desiredLinks(ir, roots, ids);
  const view = nftView(ir, shapedClassids(links), ids);
  const { text, digest } = renderRuleset(view);
  const h = ir.host;
  const ingress = desiredIngress(ir);
  return {
    host: h.name,
    machine: {
      cpus: Math.floor(h.millicpus / 1000),
      memory: h.memory,
      disks: h.disks.map((d) => ({
        name: d.name,
        major: d.major,
        minor: d.minor,
        source: where(d.loc),
      })),
      source: where(h.loc),
    },
    cgroupRoot: ir.host.cgroupRoot,
    cgroups: desiredCgroups(ir, roots),
    nft: { family: "inet", table: "vsc", ruleset: text, digest, cgroupPaths: view.cgroupPaths },
    links,
    ...(ingress.length > 0 ? { ingress } : {}),
  };
}
