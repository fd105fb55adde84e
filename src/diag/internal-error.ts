/**
 * A bug in vsc, never a user's mistake (those are diagnostics, returned, not
 * thrown). Thrown where an invariant that an earlier stage guarantees does
 * not hold; nothing catches it below bin/vsc.js, which reports it as an
 * internal error with exit code 70. Tests recognise it by class, not by text.
 */
export class InternalError extends Error {
  override name = "InternalError";
}
