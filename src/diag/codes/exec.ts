import type { CodeTable } from "./types.js";

/** VSC5800-VSC5899: `vsc exec` (running a command inside a context); owned by src/exec. */
export const execCodes: CodeTable = {
  VSC5800: {
    title: "no command to run",
    explain:
      "`vsc exec` needs a command after `--`: `vsc exec web -- nginx -g 'daemon off;'`. " +
      "Everything after `--` is the command and its arguments, passed on unchanged.",
  },
  VSC5801: {
    title: "unknown context",
    explain:
      "The name given to `vsc exec` is not a context or class of the checked file. " +
      "Names are case-sensitive; the message suggests the closest context name. " +
      "Check `--file` (default `vsc.vsc` in the current directory) points at the right configuration.",
  },
  VSC5802: {
    title: "a class is not a context",
    explain:
      "Processes run in contexts (leaves), never in a class: cgroup v2 forbids processes in an inner " +
      "cgroup that distributes resources to its children. Run the command in one of the class's contexts.",
  },
  VSC5803: {
    title: "context not applied",
    explain:
      "The context's cgroup directory (`<cgroup mount>/<cgroup-root>/<path>`) does not exist, so the " +
      "kernel has no limits for it yet. Run `vsc apply FILE` first, or pass the right `--cgroup-mount`.",
  },
  VSC5804: {
    title: "not a cgroup v2 mount",
    explain:
      "`--cgroup-mount` (default /sys/fs/cgroup) must be a cgroup2 file system. On a host with the " +
      "legacy (v1) or hybrid layout, mount cgroup2 (or boot with systemd.unified_cgroup_hierarchy=1) " +
      "and point `--cgroup-mount` at it.",
  },
  VSC5805: {
    title: "a required tool is missing",
    explain:
      "`vsc exec` builds its chain from standard tools: sh, prlimit, unshare and setpriv (util-linux), " +
      "capsh (libcap2-bin) when the context has a `root`, perl (Essential in Debian) for a PID namespace. " +
      "Install the package named in the message (`apt-get install util-linux libcap2-bin`).",
  },
  VSC5806: {
    title: "vsc exec must run as root",
    explain:
      "Joining a cgroup vsc owns, creating namespaces and dropping capabilities need root. " +
      "Run it with sudo, or as root.",
  },
  VSC5807: {
    title: "command not found",
    explain:
      "The command after `--` was not found: in PATH on the host, or, for a context with " +
      '`security { root "..." }`, inside that root (the command runs there, so it must exist there). ' +
      "vsc exits 127, like a shell.",
  },
  VSC5808: {
    title: "the context's root cannot be used",
    explain:
      '`security { root "/srv/contexts/web" }` must name an existing directory. With the `pid` ' +
      "namespace, the root also needs an empty `proc` directory, where vsc mounts the namespace's own /proc.",
  },
  VSC5809: {
    title: "the kernel refused to move the process into the context's cgroup",
    explain:
      "Writing the new process's pid to the context's cgroup.procs failed, with the kernel's reason " +
      "in the message (EBUSY: the cgroup has children with controllers enabled; ENOENT: removed " +
      "meanwhile). The command was not started.",
  },
  VSC5810: {
    title: "bad rlimit value",
    explain:
      "An rlimit takes `soft` and `hard` values that are non-negative integers or `unlimited`, with " +
      "soft <= hard (the kernel refuses a soft limit above the hard one). Example: `rlimit { nofile 1024 }`.",
  },
  VSC5811: {
    title: "unknown capability",
    explain:
      "`security { capabilities keep ... }` names capabilities as capabilities(7) does, lower case and " +
      "without the `cap_` prefix: `chown`, `net_bind_service`, `sys_admin`.",
  },
  VSC5812: {
    title: "bad hostname",
    explain:
      '`security { hostname "..." }` must be a valid host name: labels of letters, digits and ' +
      "hyphens separated by dots, each label 1-63 characters, 64 characters in all (the kernel's limit).",
  },
  VSC5813: {
    title: "a context with a root cannot keep sys_chroot",
    explain:
      "A root process that can call chroot(2) escapes any chroot: it chroots into a subdirectory and " +
      "walks `..` past the old root. So vsc always drops `sys_chroot` from the bounding set of a " +
      "context that has `root`, and refuses a `capabilities keep` list that asks for it. Remove " +
      "`sys_chroot` from the list.",
  },
  VSC5814: {
    title: "capabilities that defeat the context's root",
    explain:
      "With `root` set, a process that keeps sys_admin (mount), sys_ptrace (/proc/PID/root of other " +
      "processes), dac_read_search (open_by_handle_at), mknod or sys_rawio (the raw disk) or " +
      "sys_module (kernel code) can still reach the host's files. vsc warns and runs the command; " +
      "to make `root` a barrier, drop them: `capabilities keep chown, setuid, setgid`.",
  },
  VSC5815: {
    title: "the kernel lacks a namespace type",
    explain:
      "The context asks for a namespace that this kernel does not offer (/proc/self/ns/<type> is " +
      "missing): time namespaces need Linux 5.6, cgroup namespaces 4.6. Remove it from " +
      "`security { namespaces ... }` or run a newer kernel.",
  },
};
