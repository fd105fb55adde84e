/**
 * Finding overlapping intervals owned by different owners in O(n log n):
 * sort by start and sweep, remembering the two furthest-reaching intervals
 * of distinct owners. Every later interval that overlaps an earlier one of a
 * different owner is reported once, with one such earlier partner.
 */
export interface Interval<O> {
  start: bigint;
  end: bigint;
  owner: O;
}

class Furthest<O> {
  private best: Interval<O> | undefined;
  private second: Interval<O> | undefined;

  add(x: Interval<O>): void {
    const b = this.best;
    if (!b || x.end > b.end) {
      if (b && b.owner !== x.owner) this.second = b;
      this.best = x;
    } else if (x.owner !== b.owner && (!this.second || x.end > this.second.end)) {
      this.second = x;
    }
  }

  /** The furthest-reaching interval whose owner is not `owner`. */
  other(owner: O): Interval<O> | undefined {
    return this.best && this.best.owner !== owner ? this.best : this.second;
  }
}

/**
 * Calls `found(later, earlier)` for each interval that overlaps an earlier one
 * of another owner. `pools(x)` names the pools an interval joins; `partners(x)`
 * the pools it is checked against (by default, everything against everything).
 */
export function sweepOverlaps<O, T extends Interval<O>>(
  items: readonly T[],
  found: (later: T, earlier: T) => void,
  pools: (x: T) => readonly string[] = () => [""],
  partners: (x: T) => readonly string[] = () => [""],
): void {
  const sorted = [...items].sort((a, b) =>
    a.start < b.start ? -1 : a.start > b.start ? 1 : a.end > b.end ? -1 : a.end < b.end ? 1 : 0,
  );
  const furthest = new Map<string, Furthest<O>>();
  for (let i = 0; i < sorted.length; i++) {
    const x = sorted[i]!;
    const ps = partners(x);
    for (let j = 0; j < ps.length; j++) {
      const p = ps[j]!;
      const e = furthest.get(p)?.other(x.owner) as T | undefined;
      if (e && e.end >= x.start) {
        found(x, e);
        break;
      }
    }
    const names = pools(x);
    for (let j = 0; j < names.length; j++) {
      const name = names[j]!;
      let f = furthest.get(name);
      if (!f) furthest.set(name, (f = new Furthest<O>()));
      f.add(x);
    }
  }
}
