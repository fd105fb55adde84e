/**
 * Rules of language-v2 §4/§5 (#16) that look at a whole node (after
 * templates are merged): `writable` needs `filesystem read-only`, `cores`
 * and `cpus` exclude each other, shared cpus must exist and keep off other
 * contexts' exclusive cores, a syscall filter needs a driver that can
 * install it, and two warnings (net namespace with net rules, rlimit nproc).
 */
import { type Acceptor, error, warning } from "./acceptor.js";
import { Code } from "./codes.js";
import type { TreeNode } from "./hierarchy.js";

/**
 * Whether the host's driver can install a seccomp filter. The cgroupfs
 * driver cannot (docs/exec.md, "Syscall filters": no well-kept tool in the
 * chain does it); the systemd driver passes the sets to systemd
 * (SystemCallFilter=). Until the host block names a driver, every host is
 * cgroupfs.
 */
export function driverFiltersSyscalls(driver: string | undefined): boolean {
  return driver === "systemd";
}

export function checkSecurityNode(n: TreeNode, driver: string | undefined, report: Acceptor): void {
  const s = n.body.security;
  if (s.writable && !s.filesystem) {
    report(
      error(
        Code.writableWithoutReadOnly,
        s.writable.stmt,
        "writable without filesystem read-only",
        {
          label: "everything is writable already",
          help: "add `filesystem read-only` to the same security block, or remove `writable`",
        },
      ),
    );
  }
  const cpu = n.body.cpu;
  if (cpu.cpus && cpu.cores) {
    report(
      error(Code.coresAndCpus, cpu.cpus.stmt, "cpu cpus and cpu cores in one context", {
        related: [{ span: cpu.cores.stmt, label: "exclusive cores here" }],
        help: "`cores` are exclusive, `cpus` are shared with others: keep one of them",
      }),
    );
  }
  if (s.syscalls && !driverFiltersSyscalls(driver)) {
    report(
      error(
        Code.syscallsNeedSystemd,
        s.syscalls.stmt,
        "syscalls deny needs the systemd driver: the cgroupfs driver cannot install a seccomp filter",
        {
          help: "set `driver systemd` in the host block (systemd applies it as SystemCallFilter=), or remove `syscalls`",
        },
      ),
    );
  }
  const ns = s.namespaces;
  if (ns && ns.value.includes("net")) {
    const net = n.body.net;
    const rules: string[] = [];
    if (net.address.length > 0) rules.push("address");
    if (Object.keys(net.link).length > 0) rules.push("link");
    if (net.allow.length > 0) rules.push("allow");
    if (rules.length > 0) {
      report(
        warning(
          Code.netNamespaceRules,
          ns.stmt,
          `a net namespace hides the context's traffic from its net ${rules.join(", ")} rules`,
          {
            label: "the command gets its own network stack",
            help: "its packets no longer pass the host's interfaces as the context's; remove `net` from namespaces, or the rules",
          },
        ),
      );
    }
  }
  const nproc = n.body.rlimit.nproc;
  if (nproc) {
    report(
      warning(
        Code.rlimitNproc,
        nproc.stmt,
        "rlimit nproc counts the user's processes, not the context's",
        {
          help: "to limit the context's processes write `pids { limit N }` (pids.max)",
        },
      ),
    );
  }
}

/**
 * Shared cpus (`cpu { cpus "LIST" }`): every cpu on the host, none of them
 * another context's exclusive core. Overlaps between shared sets are fine.
 */
export function checkSharedCpus(
  contexts: readonly TreeNode[],
  hostCpus: number,
  cores: ReadonlyMap<TreeNode, number[]>,
  report: Acceptor,
): void {
  const owner = new Map<number, TreeNode>();
  for (const [n, cs] of cores) for (const c of cs) owner.set(c, n);
  for (const n of contexts) {
    const f = n.body.cpu.cpus;
    if (!f || n.body.cpu.cores) continue;
    const missing = f.value.filter((c) => c >= hostCpus);
    if (missing.length > 0) {
      report(
        error(
          Code.cpusNotOnHost,
          f.span,
          `cpu ${missing.join(", ")} is not on the host (cpus 0-${hostCpus - 1})`,
          { help: `the host block declares ${hostCpus} cpus: name cpus below ${hostCpus}` },
        ),
      );
      continue;
    }
    for (const c of f.value) {
      const other = owner.get(c);
      if (!other || other === n) continue;
      const site = other.body.cpu.cores!;
      report(
        error(
          Code.cpusOnExclusiveCore,
          f.span,
          `cpu ${c} is an exclusive core of context "${other.name}"`,
          {
            related: [{ span: site.stmt, label: "exclusive cores here" }],
            help: "shared cpus must leave other contexts' whole cores alone: name other cpus",
          },
        ),
      );
      break;
    }
  }
}
