/**
 * ruleset.nft as text: the nft view rendered, with its digest written in.
 * The desired nft state (src/model/state.ts) is this text, so the applier
 * loads exactly the reviewed artifact.
 */
import { createHash } from "node:crypto";
import type { NftView } from "./nft.js";
import { render } from "./templates.js";
import { InternalError } from "../diag/internal-error.js";

const DIGEST_SLOT = 'comment "vsc:"';

/**
 * ruleset.nft and its digest: the sha256 (hex) of the text rendered with an
 * empty digest, which is then written into the `digest` chain's comment.
 */
export function renderRuleset(view: NftView): { text: string; digest: string } {
  const blank = render("ruleset.nft", { ...view, digest: "" });
  const digest = createHash("sha256").update(blank).digest("hex");
  const at = blank.indexOf(DIGEST_SLOT);
  if (at < 0) throw new InternalError("ruleset.nft template has no digest slot");
  const text =
    blank.slice(0, at) + `comment "vsc:${digest}"` + blank.slice(at + DIGEST_SLOT.length);
  return { text, digest };
}
