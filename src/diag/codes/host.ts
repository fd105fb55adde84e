import type { CodeTable } from "./types.js";

/**
 * VSC5xxx plan/apply/host; owned by the applier (VSC5001-5099; `vsc exec`
 * uses VSC58xx in exec.ts). These have no source span: they are about the
 * host, not the file.
 */
export const hostCodes: CodeTable = {
  VSC5001: {
    title: "no cgroup2 filesystem at the cgroup mount",
    explain:
      "vsc writes cgroup v2 interface files (cpu.weight, memory.max, ...) under the cgroup2 mount, /sys/fs/cgroup by default or --cgroup-mount DIR. This host has something else there: typically a tmpfs holding cgroup v1 hierarchies (cpu, memory, pids each mounted on its own), sometimes with a 'hybrid' cgroup2 at /sys/fs/cgroup/unified whose controllers are all held by v1.\n\nFix: boot with systemd.unified_cgroup_hierarchy=1 (or cgroup_no_v1=all) so that /sys/fs/cgroup is cgroup2, or point --cgroup-mount at a cgroup2 mount. Nothing was changed.",
  },
  VSC5002: {
    title: "controller not available in the cgroup2 mount",
    explain:
      "The configuration needs a controller (cpu, memory, pids, io, cpuset) that the cgroup2 mount does not offer: it is missing from <mount>/cgroup.controllers. A controller that a cgroup v1 hierarchy is using cannot be used by cgroup2 at the same time.\n\nFix: boot with cgroup_no_v1=all (or unmount the v1 hierarchy holding it), or remove the settings that need it, e.g. `io { ... }` on a kernel without the io controller.",
  },
  VSC5003: {
    title: "controller not enabled above vsc's subtree",
    explain:
      'vsc owns only its subtree (<mount>/<cgroup-root>) and never writes outside it. For a controller to be usable inside, every ancestor of the subtree must enable it in its cgroup.subtree_control; systemd does this for the root on most hosts.\n\nExample: with cgroup-root "vsc" and `memory { limit 1GiB }`, /sys/fs/cgroup/cgroup.subtree_control must list memory.\n\nFix, once, as root: echo "+cpu +memory +pids +io +cpuset" > /sys/fs/cgroup/cgroup.subtree_control (the help line names the exact file and controllers).',
  },
  VSC5004: {
    title: "nft or tc not installed",
    explain:
      "vsc loads its ruleset with nft (package nftables) and its traffic classes with tc (package iproute2). Fix: apt-get install nftables iproute2. With --netns, nsenter (util-linux) is needed too.",
  },
  VSC5005: {
    title: "link does not exist",
    explain:
      "The host block names a link (`link eth0 rate 1gbit`) that this host (or the --netns namespace) does not have, so its root qdisc cannot be installed. Fix: use the interface's real name (see `ip link`), or create it first.",
  },
  VSC5006: {
    title: "nftables cannot match socket cgroupv2",
    explain:
      "vsc's rules find a context's traffic with `socket cgroupv2 level N \"<path>\"`. A one-rule probe (`nft -c -f`) failed, so either nft is older than 0.9.5 or the kernel lacks nft_socket's cgroup v2 matching. The probe's own message is attached. Fix: upgrade nftables / the kernel, or drop the `net` blocks that need it.",
  },
  VSC5007: {
    title: "network namespace does not exist",
    explain:
      "--netns NAME runs nft and tc inside /run/netns/NAME (through nsenter, so they still see the host's cgroup2 mount), but there is no such namespace. Fix: `ip netns add NAME`, or drop --netns.",
  },
  VSC5008: {
    title: "the cgroup holding vsc's subtree does not exist",
    explain:
      'cgroup-root "a/vsc" puts vsc\'s subtree below the cgroup a, which vsc does not own and does not create. Fix: create it (and enable the controllers in it), or use a cgroup-root directly under the mount.',
  },
  VSC5010: {
    title: "a cgroup to remove still has processes",
    explain:
      'The plan removes a context (it left the configuration, or `vsc destroy`), but the kernel cannot remove a cgroup that holds processes. vsc changes nothing and names the process count.\n\nFix: stop those processes, or pass --move-procs: vsc then moves them to the cgroup that holds its subtree (the mount root for cgroup-root "vsc", where `vsc exec` found them) and removes the cgroup.',
  },
  VSC5020: {
    title: "the kernel refused a change",
    explain:
      'A write, mkdir or rmdir under the cgroup mount failed; the message is the kernel\'s (e.g. "Invalid argument (EINVAL)" for a value out of range, "Device or resource busy (EBUSY)" for a controller still in use below). Everything this apply had changed was undone in reverse order, so the kernel is as it was. Fix the value or the host, then apply again.',
  },
  VSC5021: {
    title: "the kernel reads back another value",
    explain:
      'After each write vsc reads the value back. The kernel accepted the write but holds something else (it rounded, clamped, or another agent changed it). The apply was rolled back. Fix: write the value in the form the kernel reports (page-aligned bytes, "max", ...), or stop the other agent.',
  },
  VSC5023: {
    title: "nft refused the ruleset",
    explain:
      'The ruleset is loaded with one `nft -f` transaction, so a refusal loads nothing: the previous table stays. Everything else this apply had changed was undone. nft\'s own message is attached (e.g. "cgroupv2 path fails" when nft does not see the cgroup2 mount at /sys/fs/cgroup).',
  },
  VSC5024: {
    title: "tc refused a change",
    explain:
      'tc changes go in one `tc -batch` per link; tc stops at the first refused line (e.g. "Specified qdisc kind is unknown" for a leaf qdisc whose module is missing). The lines that had run, and everything else this apply changed, were undone. tc\'s own message and the failing line are attached.',
  },
  VSC5025: {
    title: "rollback incomplete",
    explain:
      "A change failed and vsc tried to undo everything it had done, but some undo steps failed too (listed). The live state is between the old and the new configuration. Run `vsc plan` to see the difference, and `vsc apply` to converge: every action is a difference to the live state, so applying again fixes what is left.",
  },
  VSC5030: {
    title: "another apply is running",
    explain:
      "Only one apply at a time may change a cgroup subtree: vsc takes a lock file (/run/vsc/<cgroup-root>-<hash>.lock with the holder's pid). A lock whose process has died (e.g. killed) is taken over automatically. Wait for the other apply to finish.",
  },
  VSC5031: {
    title: "not a vsc plan",
    explain:
      "`vsc apply PLAN` takes a file written by `vsc plan FILE -out PLAN`: versioned JSON checked against the plan schema (src/plan/schema.json) when it is saved and when it is loaded. This file is not JSON, or does not match the schema (the first problems are listed). Make a new plan.",
  },
  VSC5032: {
    title: "stale plan",
    explain:
      "A saved plan records a fingerprint of the live state it was made against, and is applied exactly as written, never re-planned. The live state has changed since (another apply, or someone edited a value), so the plan may no longer do what was reviewed. Nothing was changed. Make and review a new plan.",
  },
  VSC5034: {
    title: "apply needs confirmation",
    explain:
      "apply and destroy show the plan and ask for `yes` on a terminal. Without a terminal (scripts, CI) they refuse unless --auto-approve is given. Review with `vsc plan` first, then apply with --auto-approve (or apply a saved plan).",
  },
  VSC5035: {
    title: "cannot read the live state",
    explain:
      "vsc could not read the cgroup subtree, the nft table header or a link's qdiscs (the error is attached): usually not running as root, or a tool failing inside --netns. Nothing was changed.",
  },
  VSC5050: {
    title: "the cgroup tree cannot be written",
    explain:
      "A write, mkdir or rmdir under the cgroup mount failed for a reason that is not the value: the filesystem is read-only (EROFS: a read-only bind mount or remount), full (ENOSPC, EDQUOT: a scratch tree on a full disk), or refuses vsc (EACCES, EPERM: a delegated subtree, an immutable file). The kernel's own message is attached. Everything this apply had changed was undone in reverse order (half-made cgroups removed), and the state was read again to prove it; exit 1.\n\nFix the mount (remount it read-write, free space), then apply again.",
  },
  VSC5051: {
    title: "vsc's state directory cannot be used",
    explain:
      "apply keeps a lock, a journal and the last loaded ruleset in its state directory (/run/vsc, or VSC_STATE_DIR). Creating or writing one of them failed (read-only, full, or not a directory); the error is attached. When this happens before the first change nothing was changed; later (saving the ruleset), everything was undone.\n\nFix: make the state directory writable (it is a tmpfs on most hosts: free space there), or point VSC_STATE_DIR somewhere that is.",
  },
  VSC5052: {
    title: "a saved plan names something vsc does not own",
    explain:
      'A saved plan is untrusted input: before it runs, every path in it is checked against what vsc owns (mapping.md "Ownership"): the cgroup subtree <mount>/<cgroup-root> and nothing above or beside it. A path with "..", ".", an empty segment, or outside the plan\'s cgroup-root, an interface file vsc does not manage, a controller it does not know, a process move to anywhere but the cgroup holding the subtree, or a link not in the plan\'s scope is refused here, before anything is read or written.\n\nExample: "path": "vsc/../foreign" in a cgroup-file action.\n\nFix: do not edit plans by hand; make a new one with `vsc plan FILE --out PLAN`.',
  },
  VSC5053: {
    title: "a saved plan's ruleset goes beyond table inet vsc",
    explain:
      "The nft text in a saved plan is loaded as root, so it is parsed before it runs: at the top level only `table inet vsc {}`, `table inet vsc { ... }`, `add/create table inet vsc` and `delete/destroy/flush table inet vsc`; inside the table only `chain`, `set` and `map` blocks (and comments); base chains only `type filter hook input|output|forward` with `policy accept`; nowhere `include`, `define`, variables or control characters. The digest in its `digest` chain must be the plan's and the sha256 of the text. Anything else (another table, `flush ruleset`, an include) is refused before the kernel is touched.\n\nFix: make a new plan with `vsc plan FILE --out PLAN`.",
  },
  VSC5054: {
    title: "a saved plan's tc commands go beyond vsc's qdiscs",
    explain:
      "tc changes in a saved plan become `tc -batch` lines run as root. Every line (and every line that would undo it) must be one of the forms vsc itself generates (the HTB root qdisc, its classes and their leaf qdiscs), on a link in the plan's scope, with handles, class ids and rates in their plain forms. A field that would add a line or a word (a newline in a handle, another link) is refused before anything runs.\n\nFix: make a new plan with `vsc plan FILE --out PLAN`.",
  },
  VSC5055: {
    title: "after the rollback, the live state differs from before",
    explain:
      "After undoing a failed apply, vsc reads its cgroup subtree, the nft tables and its links again and compares them with what it read before the apply. Only when they match does it say that the kernel is as it was. Here they do not (the differences are listed): an undo step was accepted but did not restore the value, or something else changed the state meanwhile.\n\nFix: run `vsc plan` to see the difference and `vsc apply` to converge.",
  },
  VSC5056: {
    title: "refusing to write through a symbolic link",
    explain:
      "vsc runs as root and never follows a symbolic link when it writes: a link planted in a scratch cgroup tree (--cgroup-mount DIR), in place of an interface file or a cgroup directory, could otherwise make it overwrite any file. The write was refused and everything this apply had changed was undone. A real cgroup2 filesystem cannot hold symbolic links.\n\nFix: remove the link (and find out who made it).",
  },
  VSC5057: {
    title: "a saved plan is not consistent",
    explain:
      "A saved plan passed the schema but does not hold together as a plan vsc makes: an action's address does not match its path, file or link, a value or text holds control characters, or a before/after pair cannot have come from the planner. It is refused before anything runs.\n\nFix: make a new plan with `vsc plan FILE --out PLAN`.",
  },
  VSC5070: {
    title: "the host block declares cpus this machine does not have",
    explain:
      "`host { cpus N }` says the machine has cpus 0..N-1: admission counts them, and when a context " +
      "takes whole cores every cgroup's cpuset.cpus names them. On a machine where some of them are not " +
      "online (/sys/devices/system/cpu/online), the kernel refuses the first cpuset.cpus write (ERANGE or EINVAL) " +
      "half-way through an apply, and reservations were admitted against cpus that do not exist. Preflight " +
      "refuses before anything is written. Fix: run the file on the machine it describes, or declare the " +
      "cpus this machine has. A machine with more cpus than declared is fine (VSC5074).",
  },
  VSC5071: {
    title: "the host block declares more memory than this machine has",
    explain:
      "`host { memory M }` is what admission checks memory reservations against; this machine's " +
      "MemTotal (/proc/meminfo) is smaller, so the reservations may not all be met. Nothing the kernel " +
      "refuses, so this is a warning and the plan goes on. MemTotal is a little below the installed RAM " +
      "(the kernel keeps some): declare at most MemTotal to silence it.",
  },
  VSC5072: {
    title: "a host disk does not exist on this machine",
    explain:
      "`host { disk NAME MAJ:MIN }` names a block device by number, and every cgroup's io.max names each " +
      "host disk; the kernel refuses io.max for a device it does not have (ENODEV). Preflight looks for " +
      "/sys/dev/block/MAJ:MIN and refuses before anything is written. Fix: use the number the machine has " +
      "for that disk (lsblk -d -o NAME,MAJ:MIN), or remove the disk line.",
  },
  VSC5073: {
    title: "a host disk is a partition",
    explain:
      "io limits (io.max) apply to whole disks; the kernel refuses them for a partition (ENODEV). Use the " +
      "device number of the disk that holds the partition (lsblk -d -o NAME,MAJ:MIN).",
  },
  VSC5074: {
    title: "the machine is larger than the host block declares",
    explain:
      "A note, not a problem: this machine has more online cpus or more memory than the host block " +
      "declares. Admission and cpu weights count only what is declared, and vsc's cpusets name cpus " +
      "0..N-1 of the declared N, so the rest stays outside what vsc hands out. Declare the real size to " +
      "let contexts use it.",
  },
  VSC5400: {
    title: "the --confirm duration is not between 1 second and a day",
    explain:
      "`vsc apply FILE --confirm DURATION` reverts the apply at the end of DURATION unless `vsc confirm` runs first. DURATION is seconds (`90`) or a number with a unit, s, m, h or d, possibly several (`90s`, `2m`, `1h30m`). Zero would revert at once (use no apply instead), a negative time means nothing, and a window above a day (86400 s) is refused: a forgotten pending apply would block every other apply for that long.\n\nNothing was changed.",
  },
  VSC5401: {
    title: "an apply is pending confirmation",
    explain:
      "A previous `vsc apply --confirm` on this cgroup subtree has not been confirmed or reverted yet. Another apply (or destroy) now would change the state its revert is to restore, so it is refused. Run `vsc confirm` to keep the pending apply, or `vsc revert` to undo it now, then apply again. `vsc show` shows the deadline.\n\nNothing was changed.",
  },
  VSC5402: {
    title: "the pending revert was changed or is unreadable",
    explain:
      "The pending revert (`<state dir>/<key>.pending`) holds a plan that runs as root at the deadline, so vsc treats it as untrusted input, like a saved plan: the sha256 on its first line must match its content, its fields must be the ones vsc writes (deadline at most a day after the apply, the cgroup subtree its file name is for, a plain netns name), and its undo plan must pass the plan schema and the checks of a saved plan (only vsc's cgroups, `table inet vsc`, vsc's HTB qdiscs). The checksum catches corruption and careless edits; it does not stop someone who can write the root-only state directory, which is what the plan checks are for.\n\nNothing of it was run. `vsc confirm` discards it and keeps the live state as it is; find out who changed it.",
  },
  VSC5403: {
    title: "the exact undo of this apply cannot be recorded",
    explain:
      "An apply with --confirm must be able to put back exactly what it changes. The one thing it cannot read back cheaply is the text of the `table inet vsc` loaded now: vsc keeps a copy of every ruleset it loads (in the state directory) and uses that. When the table was loaded by something else, or the copy is gone (the state directory was cleared), a revert could not load it again, so the apply is refused before anything is changed. Apply once without --confirm (the copy is then kept), or remove the table, then apply with --confirm.",
  },
  VSC5404: {
    title: "the revert could not be armed",
    explain:
      "After the apply, vsc reads the state again, makes the undo, writes it to the state directory and starts the watchdog (or systemd timer) that runs it at the deadline. One of these failed (a full or read-only state directory, no process could be started), so the apply is undone at once rather than left in place with nothing to revert it: an apply asked to be confirmed never stays without its revert. The message says what failed and whether the undo succeeded.",
  },
  VSC5405: {
    title: "not reverted: the live state moved since the pending apply",
    explain:
      "A revert puts back the state before the apply by undoing exactly what the apply changed, so it first checks that the live state is still the one the apply left (the same fingerprint as a saved plan). Something else changed vsc's cgroups, `table inet vsc` or qdiscs since, so the undo would no longer be exact; it is refused, nothing is changed, and the differences are listed (and logged). The apply stays pending: `vsc confirm` keeps the live state, or put it back by hand and run `vsc revert` again.",
  },
  VSC5406: {
    title: "reverted, but the state read again differs from before the apply",
    explain:
      "The revert ran and every step was read back, but reading vsc's whole scope again and comparing it with the state read before the apply shows differences, listed one per line (and in the system log). The usual cause is a root qdisc that was not vsc's: the apply replaced it with vsc's HTB and the revert can only delete vsc's qdisc, which gives the kernel's default back. Run `vsc plan` to see the live state and put the rest back by hand.",
  },
  VSC5407: {
    title: "too late to confirm: the pending apply was reverted",
    explain:
      "`vsc confirm` came too late: the deadline passed and the watchdog reverted the apply, has started to (it took the pending record, atomically, before the confirm could), or tried and failed (the message says which). Confirming now would report a change that is no longer there, so it exits 1. The live state is the one before that apply: apply it again (with --confirm) if it is still wanted. With nothing pending and no revert since the last apply, `vsc confirm` says so and exits 0.",
  },
  VSC5409: {
    title: "no system log for the pending apply's outcome",
    explain:
      "vsc reports an apply pending confirmation, its confirmation and its revert (with what differs, when it does) to the system log with logger(1), tag `vsc`, facility daemon. logger could not run or found no syslog socket (/dev/log: no syslog daemon or journald, as in a minimal container). The outcome is still kept in `<state dir>/<key>.outcome` and printed by `vsc show`; the apply itself is not affected.",
  },
  VSC5075: {
    title: "the host block was not compared with the machine",
    explain:
      "Preflight compares the host block's cpus, memory and disks with the machine by reading " +
      "/sys/devices/system/cpu/online, /proc/meminfo and /sys/dev/block. It could not read the cpu list, " +
      "so it compared nothing. A scratch tree (--cgroup-mount DIR made for tests) describes its machine in " +
      "DIR/.vsc-machine/ at the same paths; without that directory it describes none.",
  },
  VSC5100: {
    title: "the kernel lacks a leaf qdisc",
    explain:
      "A link or traffic class names a leaf queue (`qdisc fq_codel|sfq|pfifo|cake`, fq_codel by default) " +
      "that this kernel does not have. Preflight tries each kind the plan needs and has not seen on the " +
      "links as the root of a throwaway IFB device (vsc-qprobe, deleted at once), and names the module " +
      "when the kernel refuses it: load it (modprobe sch_sfq), or choose another qdisc. pfifo is built in.",
  },
  VSC5101: {
    title: "the kernel cannot shape ingress",
    explain:
      "The configuration shapes what arrives on a link (host-level `ingress RATE` or a context's " +
      "`ingress { }`): vsc redirects everything arriving on the link (its ingress qdisc, a u32 filter " +
      "with a mirred redirect) to an IFB device vsc-in-<link> and shapes it there. Preflight tries " +
      "that on a throwaway IFB device (vsc-qprobe, deleted at once) unless a link already has it, and " +
      "stops here when the kernel refuses: no ifb module (CONFIG_IFB), or no sch_ingress, cls_u32 or " +
      "act_mirred. The message is the kernel's. Load the modules or remove the ingress settings. " +
      "(Before vsc applied ingress, this code refused every plan with ingress.)",
  },
  VSC5102: {
    title: "the link has an ingress qdisc vsc did not make",
    explain:
      "vsc owns the ingress qdisc of a declared link only when it holds vsc's one filter (prio 1, " +
      "match-all u32, redirect to vsc-in-<link>); an empty one is adopted. One with other filters, " +
      "or a clsact qdisc (often a BPF program's), is someone else's: vsc would have to replace it to " +
      "shape ingress, so the plan stops and lists its filters. `destroy` and a configuration without " +
      "ingress leave it alone. Remove it yourself if it is not in use.",
  },
  VSC5103: {
    title: "the IFB device is not vsc's",
    explain:
      "vsc makes one IFB device per link with ingress shaping, named vsc-in-<link> and marked with " +
      "the alias vsc:ingress:<link>. A device of that name that is not an IFB device, or lacks the " +
      "alias, was made by someone else: vsc neither uses nor removes it. Also raised when vsc's own " +
      "IFB device holds filters vsc does not make (it would not remove what it cannot put back).",
  },
};
