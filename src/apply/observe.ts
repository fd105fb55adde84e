/**
 * Reads the live state of everything in a scope: the owned cgroup subtree
 * (sync reads in one pass, no process per file), the header of
 * `table inet vsc` (one nft process) and each link (one tc process each).
 */
import type { ObservedCgroup, ObservedState, Scope } from "../plan/types.js";
import { normalizeValue } from "../plan/values.js";
import type { Kernel } from "./kernel.js";
import { readNft } from "./read-nft.js";
import { readLink } from "./read-tc.js";

export interface ObserveOptions {
  /** A killed apply left its journal behind (see state.ts). */
  interrupted?: boolean;
}

export function observe(kernel: Kernel, scope: Scope, opts: ObserveOptions = {}): ObservedState {
  return {
    cgroupRoot: scope.cgroupRoot,
    cgroups: readCgroups(kernel, scope.cgroupRoot, scope.files),
    nft: readNft(kernel),
    links: scope.links.map((dev) => readLink(kernel, dev)),
    interrupted: !!opts.interrupted,
  };
}

/** The subtree at `root`, parents first, siblings by name. */
export function readCgroups(kernel: Kernel, root: string, files: string[]): ObservedCgroup[] {
  const out: ObservedCgroup[] = [];
  const queue = kernel.list(root) === undefined ? [] : [root];
  while (queue.length > 0) {
    const path = queue.shift()!;
    out.push(readCgroup(kernel, path, files));
    for (const k of kernel.list(path) ?? []) queue.push(`${path}/${k}`);
  }
  return out;
}

export function readCgroup(kernel: Kernel, path: string, files: string[]): ObservedCgroup {
  const values: Record<string, string> = {};
  for (const f of files) {
    const v = kernel.read(`${path}/${f}`);
    if (v !== undefined) values[f] = normalizeValue(f, v);
  }
  const procs = (kernel.read(`${path}/cgroup.procs`) ?? "")
    .split("\n")
    .filter((l) => l.trim() !== "");
  return {
    path,
    subtreeControl: words(kernel.read(`${path}/cgroup.subtree_control`)).sort(),
    files: values,
    procs: procs.length,
  };
}

export const words = (s: string | undefined): string[] =>
  (s ?? "").split(/\s+/).filter((w) => w !== "");
