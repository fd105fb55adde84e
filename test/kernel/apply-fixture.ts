/**
 * Desired states for the kernel-lab applier tests: real cgroup2 values, an
 * nft ruleset whose `socket cgroupv2` rules name the contexts' cgroups, and an
 * HTB tree with fq_codel leaves on link v0 of a scratch netns.
 */
import { createHash } from "node:crypto";
import type { DesiredState } from "../../src/model/desired.js";
import { sampleDesired, type Ctx } from "../apply/fixture.js";

const BASE: Ctx[] = [
  { name: "tier", weight: "400", memMax: "1073741824" },
  { name: "web", parent: "tier", weight: "200", memMax: "536870912", pids: "512" },
  { name: "api", parent: "tier", weight: "100", memMax: "268435456", pids: "256" },
  { name: "batch", weight: "50", memMax: "134217728", pids: "64" },
];

const IDS: Record<string, number> = { web: 0x65, api: 0x66, batch: 0x67 };

/** variant: "base" | "edit" (web's memory.max) | "drop" (no batch) | "bad" (a value the kernel rejects, half-way). */
export function e2eDesired(root: string, variant = "base"): DesiredState {
  let ctxs = BASE;
  if (variant === "edit")
    ctxs = BASE.map((c) => (c.name === "web" ? { ...c, memMax: "805306368" } : c));
  if (variant === "drop") ctxs = BASE.filter((c) => c.name !== "batch");
  if (variant === "bad")
    ctxs = BASE.map((c) =>
      c.name === "tier"
        ? { ...c, weight: "300" }
        : c.name === "api"
          ? { ...c, weight: "0" }
          : c.name === "batch"
            ? { ...c, pids: "32" }
            : c,
    );
  const leaves = ctxs.filter((c) => IDS[c.name] !== undefined);
  const pathOf = (c: Ctx) => (c.parent ? `${root}/${c.parent}/${c.name}` : `${root}/${c.name}`);
  const rules = leaves
    .map(
      (c) =>
        `    socket cgroupv2 level ${pathOf(c).split("/").length} "${pathOf(c)}" meta priority set 1:${IDS[c.name]!.toString(16)}\n`,
    )
    .join("");
  const d = sampleDesired({
    cgroupRoot: root,
    contexts: ctxs,
    nftExtra: rules,
    nftCgroups: leaves.map(pathOf),
    links: [
      {
        dev: "v0",
        classes: leaves.map((c) => ({
          id: IDS[c.name]!,
          rate: 5_000_000,
          ceil: 50_000_000,
          quantum: 3000,
          leaf: "fq_codel",
        })),
      },
    ],
  });
  // Sanity: the digest is the sha256 of the ruleset with its digest slot blanked, as the emitter makes it.
  const blank = d.nft.ruleset.replace(`comment "vsc:${d.nft.digest}"`, 'comment "vsc:"');
  if (
    !d.nft.ruleset.includes(rules) ||
    d.nft.digest !== createHash("sha256").update(blank).digest("hex")
  )
    throw new Error("fixture digest");
  return d;
}
