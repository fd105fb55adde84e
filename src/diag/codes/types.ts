/** One entry of the diagnostic catalog. */
export interface CodeInfo {
  /** Short title, e.g. "unknown field". */
  title: string;
  /** Long explanation for `vsc explain CODE`: what triggers it, an example, how to fix it. */
  explain: string;
  /** The checker no longer reports it (kept so `vsc explain` still answers for old output). */
  retired?: true;
}
export type CodeTable = Record<string, CodeInfo>;
