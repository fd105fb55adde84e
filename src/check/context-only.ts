/**
 * Fields that only mean something where processes run. In cgroup v2 a class
 * (inner cgroup) holds no processes, so per-process settings (rlimit,
 * security), source addresses and whole cores belong on contexts.
 */
import { type Acceptor, error } from "./acceptor.js";
import { Code } from "./codes.js";
import type { TreeNode } from "./hierarchy.js";
import type { Field } from "./spec.js";

export function checkContextOnly(n: TreeNode, report: Acceptor): void {
  if (n.kind !== "class") return;
  const found: Array<[string, Field<unknown>]> = [];
  const b = n.body;
  if (b.cpu.cores) found.push(["cpu cores", b.cpu.cores]);
  if (b.cpu.cpus) found.push(["cpu cpus", b.cpu.cpus]);
  if (b.net.address[0]) found.push(["net address", b.net.address[0]]);
  if (b.rlimit.loc) found.push(["rlimit", b.rlimit.loc]);
  if (b.security.loc) found.push(["security", b.security.loc]);
  for (const [what, f] of found) {
    const via = f.owner !== n.name ? ` (from template "${f.owner}")` : "";
    report(
      error(Code.contextOnly, f.stmt, `${what} is for contexts, but "${n.name}" is a class${via}`, {
        help: "a class holds no processes of its own; move this into each context under the class (a template keeps it in one place)",
      }),
    );
  }
}

/** Setting a hostname outside a uts namespace would rename the host itself. */
export function checkHostnameNamespace(n: TreeNode, report: Acceptor): void {
  const { hostname, namespaces } = n.body.security;
  if (!hostname || namespaces?.value.includes("uts")) return;
  report(
    error(
      Code.hostnameNeedsUts,
      hostname.stmt,
      `hostname without the uts namespace would rename the host (in ${n.kind} ${n.name})`,
      {
        ...(namespaces && {
          related: [{ span: namespaces.stmt, label: "namespaces without uts" }],
        }),
        help: "add uts to security { namespaces ... }",
      },
    ),
  );
}
