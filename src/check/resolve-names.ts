/**
 * The program's names: classes, contexts and templates share one name space
 * (they become cgroup directories and may be used interchangeably in
 * messages); defines have their own; hosts are src/check/fleet.ts's (a
 * program given to the single-host checker has at most one).
 */
import type { Decl, Program } from "../syntax/ast.js";
import { type Acceptor, error } from "./acceptor.js";
import { Code } from "./codes.js";

export interface Names {
  host: Decl | undefined;
  /** Classes, contexts and templates by name (the first declaration wins). */
  decls: Map<string, Decl>;
  /** Every kept class, context and template in program order. */
  ordered: Decl[];
}

export function resolveNames(program: Program, report: Acceptor): Names {
  const decls = new Map<string, Decl>();
  const ordered: Decl[] = [];
  let host: Decl | undefined;
  for (const it of program.items) {
    if (it.kind !== "Decl") continue;
    if (it.keyword === "host") {
      // Several hosts are a fleet (src/check/fleet.ts), which checks each
      // host's own single-host program; here there is at most one.
      if (!host) host = it;
      continue;
    }
    const first = decls.get(it.name.name);
    if (first) {
      report(
        error(
          Code.duplicateName,
          it.name.span,
          `"${it.name.name}" is already declared as a ${first.keyword}`,
          {
            related: [{ span: first.name.span, label: "first declared here" }],
            help: "classes, contexts and templates share one name space; rename one of them",
          },
        ),
      );
      continue;
    }
    decls.set(it.name.name, it);
    ordered.push(it);
  }
  if (!host) {
    report(
      error(Code.noHost, undefined, "no host declared", {
        help: "add a `host NAME { cpus N  memory SIZE }` block: admission needs the host's capacity",
      }),
    );
  }
  return { host, decls, ordered };
}
