import type { CodeTable } from "./types.js";

/**
 * Codes of language-v2 §4/§5 (#16): security depth and shared cpus, checked
 * by src/check/fields.ts and src/check/security.ts (VSC2050-2059, VSC3020-3029,
 * VSC4030-4039).
 */
export const securityCheckCodes: CodeTable = {
  VSC2050: {
    title: "not a user or group name",
    explain:
      "`user` and `group` take a name as useradd(8) and systemd accept it portably (a letter or `_` " +
      "first, then letters, digits, `_`, `-`, `.`, at most 32 characters, an optional trailing `$`) or a " +
      "decimal id below 4294967295. The name is resolved on the host when `vsc exec` runs.\n\n" +
      '    security { user "www-data" }   # ok\n    security { user "www data;" }  # error',
  },
  VSC2051: {
    title: "unknown syscall set",
    explain:
      "`syscalls deny` takes systemd's syscall set names (systemd.exec(5), SystemCallFilter=; " +
      '`systemd-analyze syscall-filter` lists them), each a string starting with `@`: `syscalls deny "@mount", "@reboot"`.',
  },
  VSC3020: {
    title: "writable path is not absolute",
    explain:
      "`writable` lists absolute paths below `/` (without `.` or `..` parts) that stay writable under " +
      '`filesystem read-only`: `writable "/var/lib/app", "/run/app"`.',
  },
  VSC4030: {
    title: "capabilities none with capability names",
    explain:
      "`capabilities none` empties the bounding set; it takes no names. A list of names belongs to " +
      "`keep` (exactly these) or `drop` (all but these). `keep` with nothing after it is an error that " +
      "suggests `none`.",
  },
  VSC4031: {
    title: "writable without filesystem read-only",
    explain:
      "`writable PATH...` names the exceptions of a read-only tree, so it needs `filesystem read-only` " +
      "in the same security block (or through a template). Without it everything is writable already.",
  },
  VSC4032: {
    title: "cpu cores and cpus together",
    explain:
      "`cores` are exclusive (no other vsc context runs there) and `cpus` are shared (others may run " +
      "there too); one context cannot have both. Keep the one you mean.",
  },
  VSC4033: {
    title: "shared cpu not on the host",
    explain:
      '`cpu { cpus "LIST" }` must name cpus the host block declares: with `cpus 4` they are 0-3. ' +
      "vsc checks against the host block, never the machine it runs on.",
  },
  VSC4034: {
    title: "shared cpus on another context's exclusive core",
    explain:
      "A context's whole cores (`cpu { cores ... }`) are exclusive: no other vsc cgroup's cpuset holds " +
      "them. Shared cpus (`cpus`) may overlap each other, but not such a core. Name other cpus, or " +
      'name the cores (`cores "2-3"`) away from the shared ones.',
  },
  VSC4035: {
    title: "syscalls deny needs the systemd driver",
    explain:
      "A syscall filter is a seccomp program installed in the process before exec. The cgroupfs driver " +
      "(vsc writes the cgroup tree and runs `vsc exec`'s chain of util-linux tools) has no well-kept tool " +
      "that installs one from systemd's set names, so the checker refuses it at the line before anything " +
      'runs. With `driver systemd` systemd applies it (SystemCallFilter=). See docs/exec.md, "Syscall filters".',
  },
  VSC4036: {
    title: "net namespace hides traffic from net rules (warning)",
    explain:
      "With `namespaces net` the command gets its own network stack: its packets no longer leave " +
      "through the host's interfaces as the context's sockets, so the context's `net address`, `link` " +
      "and `allow` rules (nftables on `socket cgroupv2`, tc classes) do not see them. Remove `net` from " +
      "namespaces, or the rules.",
  },
  VSC4037: {
    title: "rlimit nproc is per user (warning)",
    explain:
      "RLIMIT_NPROC counts every process of the user (real uid) on the whole host, not the context's. " +
      "To limit the context's processes use `pids { limit N }` (pids.max).",
  },
};

/** `vsc exec` refusals for the security fields (#16), VSC5820-5839; src/exec/identity.ts, src/exec/preflight.ts. */
export const securityExecCodes: CodeTable = {
  VSC5820: {
    title: "user not found on the host",
    explain:
      "`security { user NAME }` is resolved on the host when `vsc exec` runs (getent passwd, so NSS " +
      "sources count). A name the host does not know is refused before anything starts; a numeric id " +
      "is used as it is, even without a passwd entry (then its group is the same number unless `group` says otherwise).",
  },
  VSC5821: {
    title: "group not found on the host",
    explain:
      "`security { group NAME }` is resolved on the host when `vsc exec` runs (getent group). A name the " +
      "host does not know is refused before anything starts; a numeric id is used as it is.",
  },
  VSC5822: {
    title: "writable path missing",
    explain:
      "Each `writable` path of a `filesystem read-only` context is bind-mounted onto itself (writable) " +
      "before the tree is made read-only, so it must exist (a directory or file) when `vsc exec` runs. " +
      "Create it first; vsc never creates paths outside what it owns.",
  },
};
