/**
 * References from a node's body to what the host declares: `net { link L }`
 * needs `host { link L ... }`, `io { device D }` needs `host { disk D ... }`.
 */
import type { Ident } from "../syntax/ast.js";
import { error } from "./acceptor.js";
import { Code } from "./codes.js";
import { didYouMean } from "../diag/suggest.js";
import type { ReadCtx } from "./values.js";

/** True when `label` names something the host declares (or there is no host to ask). */
export function checkHostReference(sub: string, label: Ident, ctx: ReadCtx): boolean {
  const known = sub === "link" ? ctx.hostLinks : ctx.hostDisks;
  if (!known || known.has(label.name)) return true;
  const hostWord = sub === "link" ? "link" : "disk";
  ctx.report(
    error(
      sub === "link" ? Code.unknownLink : Code.unknownDevice,
      label.span,
      `unknown ${sub === "link" ? "link" : "device"} "${label.name}": the host declares no ${hostWord} of that name`,
      {
        help:
          didYouMean(label.name, known) ??
          (sub === "link"
            ? `declare it in host: link ${label.name} rate 1gbit`
            : `declare it in host: disk ${label.name} MAJOR:MINOR`),
      },
    ),
  );
  return false;
}
