/**
 * Tests that need root (nft -c, tc in a network namespace, `ip netns add`,
 * a real cgroup2 mount) register through rootTest: as root they run; as any
 * other user uvu counts them as skipped, so a run without root never
 * reports them as passed. Their names end in "(root)".
 */
import { test } from "uvu";

export const isRoot = (): boolean => process.geteuid?.() === 0;

export function rootTest(name: string, fn: () => unknown): void {
  if (isRoot()) test(`${name} (root)`, fn as () => void);
  else test.skip(`${name} (root)`, fn as () => void);
}
