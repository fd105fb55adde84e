/**
 * Ids for classes that do not declare one. tc needs a class id for every
 * node; deriving it from the name keeps it stable when other nodes are added
 * or reordered. Range 60001..65279 (declared ids stop at 60000; 0xff00.. is
 * left alone for tc's own use). Collisions probe linearly, visiting classes
 * in name order, so the outcome depends only on the set of names.
 */
export const DERIVED_MIN = 60001;
export const DERIVED_MAX = 65279;
const SLOTS = DERIVED_MAX - DERIVED_MIN + 1;

/** 32-bit FNV-1a over the name's UTF-16 code units (names are ASCII). */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Name -> id for `names`, avoiding `taken`; undefined entries when the range is full. */
export function deriveClassIds(
  names: readonly string[],
  taken: ReadonlySet<number>,
): Map<string, number> {
  const used = new Set<number>();
  const out = new Map<string, number>();
  for (const name of [...names].sort()) {
    let slot = fnv1a(name) % SLOTS;
    for (let tries = 0; tries < SLOTS; tries++) {
      const id = DERIVED_MIN + slot;
      if (!used.has(id) && !taken.has(id)) {
        used.add(id);
        out.set(name, id);
        break;
      }
      slot = (slot + 1) % SLOTS;
    }
  }
  return out;
}
