import { createHash } from "node:crypto";
import type { ObservedState } from "./types.js";

/**
 * sha256 of the observed state, in a canonical JSON form. Process counts are
 * left out: processes come and go all the time and a plan does not depend on
 * them (a delete re-checks its cgroup is empty when it runs).
 */
export function fingerprint(o: ObservedState): string {
  const canon = {
    cgroupRoot: o.cgroupRoot,
    cgroups: o.cgroups.map((c) => ({
      path: c.path,
      subtreeControl: c.subtreeControl,
      files: sortKeys(c.files),
      ...(c.incomplete ? { incomplete: c.incomplete } : {}),
    })),
    nft: { present: o.nft.present, digest: o.nft.digest ?? null },
    links: o.links.map((l) => ({
      dev: l.dev,
      exists: l.exists,
      qdisc: l.qdisc ?? null,
      classes: Object.keys(l.classes)
        .sort()
        .map((k) => [k, l.classes[k]]),
      // Ingress (language-v2.md §3), only when there is some: fingerprints of states without it are unchanged.
      ...(l.ingress ? { ingress: l.ingress } : {}),
      ...(l.device ? { device: l.device } : {}),
      ...(l.filters && Object.keys(l.filters).length > 0
        ? {
            filters: Object.keys(l.filters)
              .sort()
              .map((k) => [k, l.filters![k]]),
          }
        : {}),
      ...(l.foreignFilters ? { foreignFilters: l.foreignFilters } : {}),
    })),
    interrupted: o.interrupted,
  };
  return createHash("sha256").update(JSON.stringify(canon)).digest("hex");
}

function sortKeys(r: Record<string, string>): [string, string][] {
  return Object.keys(r)
    .sort()
    .map((k) => [k, r[k]!]);
}
