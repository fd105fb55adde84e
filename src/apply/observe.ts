/**
 * Reads the live state of everything in a scope: the owned cgroup subtree
 * (sync reads in one pass, no process per file), the header of
 * `table inet vsc` (one nft process), each link (one tc process each) and,
 * for ingress, which IFB devices exist (one ip process) and each that does
 * (one tc process each).
 */
import type { ObservedCgroup, ObservedLink, ObservedState, Scope } from "../plan/types.js";
import { normalizeValue } from "../plan/values.js";
import type { Kernel } from "./kernel.js";
import { readNft } from "./read-nft.js";
import { readIfbs, readLink } from "./read-tc.js";

export interface ObserveOptions {
  /** A killed apply left its journal behind (see state.ts). */
  interrupted?: boolean;
  /** Links already read a moment ago (by preflight, under the same lock). */
  links?: ReadonlyMap<string, ObservedLink>;
}

export function observe(kernel: Kernel, scope: Scope, opts: ObserveOptions = {}): ObservedState {
  return {
    cgroupRoot: scope.cgroupRoot,
    cgroups: readCgroups(kernel, scope.cgroupRoot, scope.files),
    nft: readNft(kernel),
    // The declared links, then the IFB devices of those whose ingress vsc owns.
    links: [
      ...scope.links.map((dev) => opts.links?.get(dev) ?? readLink(kernel, dev)),
      ...readIfbs(kernel, scope.ingress ?? []),
    ],
    interrupted: !!opts.interrupted,
  };
}

/** The subtree at `root`, parents first, siblings by name: one directory read per cgroup. */
export function readCgroups(kernel: Kernel, root: string, files: string[]): ObservedCgroup[] {
  const out: ObservedCgroup[] = [];
  const queue = [root];
  for (let i = 0; i < queue.length; i++) {
    const path = queue[i]!;
    const ents = kernel.entries(path);
    if (!ents) continue;
    const c = readCgroup(kernel, path, files, ents.files);
    const missing = kernel.incomplete?.(path, ents.files) ?? [];
    if (missing.length > 0) c.incomplete = missing;
    out.push(c);
    for (const k of ents.dirs) queue.push(`${path}/${k}`);
  }
  return out;
}

export function readCgroup(
  kernel: Kernel,
  path: string,
  files: string[],
  present?: Set<string>,
): ObservedCgroup {
  const values: Record<string, string> = {};
  for (const f of files) {
    if (present && !present.has(f)) continue;
    const v = kernel.read(`${path}/${f}`);
    if (v !== undefined) values[f] = normalizeValue(f, v);
  }
  const procs = kernel.read(`${path}/cgroup.procs`) ?? "";
  return {
    path,
    subtreeControl: words(kernel.read(`${path}/cgroup.subtree_control`)).sort(),
    files: values,
    procs: procs.trim() === "" ? 0 : procs.trim().split("\n").length,
  };
}

export const words = (s: string | undefined): string[] =>
  (s ?? "").split(/\s+/).filter((w) => w !== "");
