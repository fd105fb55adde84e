/**
 * IR -> desired kernel state (pure). The applier diffs this against the live
 * kernel and the artifact templates render it, so `vsc apply` and the
 * reviewed scripts can never disagree.
 */
import { createHash } from "node:crypto";
import type { DesiredState } from "../model/desired.js";
import type { VscIr } from "../ir/types.gen.js";
import { desiredCgroups } from "./cgroups.js";
import { nftView } from "./nft.js";
import { render } from "./templates.js";
import { desiredLinks, shapedClassids } from "./tc.js";
import { where } from "./tree.js";

const DIGEST_SLOT = 'comment "vsc:"';

/**
 * ruleset.nft and its digest: the sha256 (hex) of the text rendered with an
 * empty digest, which is then written into the `digest` chain's comment.
 */
export function renderRuleset(view: ReturnType<typeof nftView>): { text: string; digest: string } {
  const blank = render("ruleset.nft", { ...view, digest: "" });
  const digest = createHash("sha256").update(blank).digest("hex");
  const at = blank.indexOf(DIGEST_SLOT);
  if (at < 0) throw new Error("vsc bug: ruleset.nft template has no digest slot");
  const text =
    blank.slice(0, at) + `comment "vsc:${digest}"` + blank.slice(at + DIGEST_SLOT.length);
  return { text, digest };
}

export function desiredState(ir: VscIr): DesiredState {
  const links = desiredLinks(ir);
  const view = nftView(ir, shapedClassids(links));
  const { text, digest } = renderRuleset(view);
  const h = ir.host;
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
    cgroups: desiredCgroups(ir),
    nft: { family: "inet", table: "vsc", ruleset: text, digest, cgroupPaths: view.cgroupPaths },
    links,
  };
}
