/**
 * Shared by the confirm tests (host: test/confirm/*.test.ts; the kernel lab:
 * test/kernel/confirm-*.test.ts): two configurations that differ in every
 * kind of thing an apply changes (a value, a removed and an added cgroup, a
 * tc class changed, removed and added, the ruleset), so that reverting from
 * one to the other exercises every inverse.
 */
import type { DesiredState } from "../../src/model/desired.js";
import { sampleDesired, type SampleOptions } from "../apply/fixture.js";

export const BASE_LINKS = (leaf: string): SampleOptions["links"] => [
  {
    dev: "v0",
    classes: [
      { id: 0x65, rate: 5_000_000, ceil: 50_000_000, quantum: 3000, leaf },
      { id: 0x66, rate: 10_000_000, ceil: 100_000_000, quantum: 6000, leaf },
    ],
  },
];

/** "base", or "next": batch removed, api added, web's values changed, class 1:65 changed, 1:66 gone, 1:67 new, other rules. */
export function confirmDesired(
  variant: "base" | "next",
  o: { root?: string; leaf?: string } = {},
): DesiredState {
  const root = o.root ?? "vsc";
  const leaf = o.leaf ?? "pfifo";
  if (variant === "base")
    return sampleDesired({
      cgroupRoot: root,
      links: BASE_LINKS(leaf),
      nftExtra: "    meta mark 0x65 meta priority set 1:65\n",
    });
  return sampleDesired({
    cgroupRoot: root,
    contexts: [
      { name: "web-tier", weight: "400", memMax: "4294967296" },
      { name: "web", parent: "web-tier", weight: "300", memMax: "1073741824", pids: "128" },
      { name: "api", weight: "50", memMax: "268435456", pids: "64" },
    ],
    links: [
      {
        dev: "v0",
        classes: [
          { id: 0x65, rate: 7_000_000, ceil: 60_000_000, quantum: 3000, leaf },
          { id: 0x67, rate: 1_000_000, ceil: 20_000_000, quantum: 1514, leaf },
        ],
      },
    ],
    nftExtra: "    meta mark 0x67 meta priority set 1:67\n    meta mark 0x65 drop\n",
  });
}
