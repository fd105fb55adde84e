/**
 * The desired kernel state: what a checked program means for the kernel,
 * independent of how it is written down. Built from the IR by
 * `desiredState` in state.ts (pure). Two consumers:
 *  - the artifact templates (cgroup.sh, ruleset.nft, tc.batch) render it;
 *  - the applier diffs it against the live kernel and writes the difference.
 * So the reviewed scripts and what `apply` does can never disagree.
 *
 * Invariants:
 *  - every value is in the exact form the kernel reads back (bytes rounded
 *    down to the 4 KiB page, "max" for no limit, io.max as
 *    "MAJ:MIN rbps=N wbps=N riops=N wiops=N" with "max" for unset fields),
 *    so "verified" is a plain string comparison;
 *  - `cgroups` is in creation order: parents before children, siblings by name;
 *  - every file that vsc manages is listed for every cgroup, including those
 *    at their default, so removing a field from the config resets it.
 */

import type { DesiredIngress } from "./ingress.js";

/** Where a piece of desired state came from, as "file:line" (entry-relative). */
export type Source = string;

export interface DesiredFile {
  /** Interface file name, e.g. "cpu.weight", "memory.max", "io.max". */
  name: string;
  /** Exact value to write, which is also what the kernel reads back. */
  value: string;
  /**
   * Present when `value` is not written as one string: the separate writes
   * (in order) that produce it. io.max takes one device per write, and a
   * device is un-limited by writing all four keys as "max" (a line the kernel
   * then no longer prints), so `writes` has one line per host disk.
   */
  writes?: string[];
  /** Where the value came from ("file:line" of its resource block), when the config set it. */
  source?: Source;
}

export interface DesiredCgroup {
  /** Path relative to the cgroup2 mount, e.g. "vsc" (the owned root) or "vsc/web-tier/web". */
  path: string;
  /** "root" | "class" | "context". */
  kind: "root" | "class" | "context";
  /** The node's name in the config (the cgroup root's is its cgroup-root path). */
  name: string;
  /** Controllers to enable in this cgroup's cgroup.subtree_control, sorted. */
  subtreeControl: string[];
  /** Values in write order (cpu.weight first, memory.min before memory.max, io.max last). */
  files: DesiredFile[];
  source: Source;
}

export interface DesiredTcClass {
  /** "1:65" (minor in hex, as tc prints it). */
  classid: string;
  /** "1:fffe" for top-level classes, else the parent class's classid. */
  parent: string;
  /** bit/s */
  rate: number;
  /** bit/s */
  ceil: number;
  /** bytes */
  quantum: number;
  /** HTB prio (traffic classes only, language-v2.md §3). */
  prio?: number;
  /** Leaf classes get a qdisc, e.g. "fq_codel"; inner classes: undefined. */
  leafQdisc?: string;
  /** Name of the class/context it shapes ("default" for the catch-all class). */
  name: string;
  source: Source;
}

export interface DesiredLink {
  /** Interface name. */
  dev: string;
  /** bit/s of the root class. */
  rate: number;
  /** Root qdisc handle, "1:". */
  handle: string;
  /** Classid of the class that takes unclassified traffic. */
  defaultClassid: string;
  /** Parents before children. */
  classes: DesiredTcClass[];
  source: Source;
}

export interface DesiredNft {
  /** Always "inet" / "vsc": the one table vsc owns. */
  family: "inet";
  table: "vsc";
  /** Full text of ruleset.nft (the same bytes as the artifact). */
  ruleset: string;
  /**
   * sha256 (hex) of the ruleset's rules; the ruleset stores it inside the
   * table (see src/emit) so the applier can tell what is loaded without
   * listing every `socket cgroupv2` rule (slow in nft 1.0.6).
   */
  digest: string;
  /** cgroup paths (relative to the mount) that the rules name; they must exist before loading. */
  cgroupPaths: string[];
}

/** What the host block declares about the machine, for preflight to compare with the real one. */
export interface DesiredMachine {
  /** `cpus N`: vsc's cpusets name cpus 0..N-1. */
  cpus: number;
  /** `memory`, in bytes. */
  memory: number;
  /** `disk NAME MAJ:MIN` lines (every one gets io.max lines). */
  disks: Array<{ name: string; major: number; minor: number; source: Source }>;
  source: Source;
}

export interface DesiredState {
  /** Host name from the config. */
  host: string;
  /** The host block's machine; absent in states made by hand (tests), which preflight then does not compare. */
  machine?: DesiredMachine;
  /** Owned subtree below the cgroup2 mount, e.g. "vsc". */
  cgroupRoot: string;
  cgroups: DesiredCgroup[];
  nft: DesiredNft;
  /** One entry per host link, sorted by dev. */
  links: DesiredLink[];
  /** Ingress shaping on IFB devices (language-v2.md §3), per link that has any; absent: none. */
  ingress?: DesiredIngress[];
}
