/** Read-back comparisons used right after each write (shared with the planner's rules). */
import type { TcClassState } from "../plan/types.js";
import { sameClass } from "../plan/plan.js";
export { normalizeValue } from "../plan/values.js";

export const sameClassForVerify = (got: TcClassState, want: TcClassState): boolean =>
  sameClass(got, want);
