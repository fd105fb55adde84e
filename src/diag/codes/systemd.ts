import type { CodeTable } from "./types.js";

/**
 * The systemd driver (language-v2.md §6, docs/systemd.md): the checker's
 * codes (src/check/systemd.ts) and plan/apply/exec's (src/systemd/).
 */
export const systemdCodes: CodeTable = {
  VSC2080: {
    title: "unit in two contexts",
    explain:
      "A systemd unit runs in exactly one slice, so it can be listed in `units` of one context only, " +
      "and only once there. Remove it from all but one context.",
  },
  VSC2081: {
    title: "units outside a context",
    explain:
      "`units` names the existing systemd units whose processes run inside a context. A class holds " +
      "no processes, and a template may be used by many contexts (which would put one unit in " +
      "several slices), so `units` is written in the context itself.",
  },
  VSC3040: {
    title: "not a valid unit name",
    explain:
      'Each entry of `units` is a string naming one systemd unit, as systemd spells it: letters, digits and ":_.\\\\-", ' +
      "an optional @instance, and a type suffix: .service, .socket, .mount or .swap (the unit types " +
      "that run processes and take `Slice=`). At most 255 characters. A slice cannot be listed: " +
      "list the units that run in it.",
  },
  VSC4060: {
    title: "units need driver systemd",
    explain:
      "`units` puts existing systemd units into a context through drop-ins (`Slice=` and the " +
      "context's security). That only exists under `driver systemd` in the host block; with " +
      "driver cgroupfs, vsc writes the cgroup tree itself and a program enters a context with " +
      "`vsc exec`.",
  },
  VSC4061: {
    title: "systemd cannot set this value",
    explain:
      "Under `driver systemd`, every cgroup value is a directive of a slice unit, and systemd 252 " +
      "(Debian 12) has no directive for some of what vsc can write itself: `cpu burst` " +
      "(cpu.max.burst; CPUQuotaBurst= does not exist before systemd 256) and `memory { oom group }` " +
      "(memory.oom.group: systemd sets it only on a service's own cgroup, with OOMPolicy=kill). " +
      "Remove the field or use `driver cgroupfs`.",
  },
  VSC5200: {
    title: "systemctl missing",
    explain:
      "The host block says `driver systemd`, so vsc speaks to systemd through systemctl, and systemctl " +
      "is not installed. Install systemd, or use `driver cgroupfs` on a host that systemd does not run. " +
      "Nothing was changed.",
  },
  VSC5201: {
    title: "PID 1 is not systemd",
    explain:
      "`driver systemd` needs systemd as PID 1 (vsc checks /run/systemd/system, as sd_booted() does). " +
      "On a host without it (a container, another init), use `driver cgroupfs`. Nothing was changed.",
  },
  VSC5202: {
    title: "listed unit does not exist",
    explain:
      "A unit named in a context's `units` is not known to systemd here (LoadState not-found). Its " +
      "drop-in is written anyway and takes effect when the unit is installed, so this is a warning; " +
      "check the name. If the apply fails, the drop-in is removed with everything else.",
  },
  VSC5203: {
    title: "systemd refuses or ignores a directive",
    explain:
      "Before writing, vsc runs `systemd-analyze verify` on the new unit files; after the reload it " +
      "reads every slice's cgroup values back. A directive systemd would ignore, or a value that did not " +
      "reach the cgroup, stops the apply: the previous unit files are restored and systemd reloaded. " +
      "The message quotes systemd; `journalctl -b` has the rest.",
  },
  VSC5204: {
    title: "a systemctl call failed",
    explain:
      "daemon-reload, start, restart or stop failed during apply (or a restart was needed and not " +
      "approved). vsc restores the previous unit files, reloads systemd, and restarts moved units back. " +
      "The message is systemctl's.",
  },
  VSC5205: {
    title: "driver cgroupfs on a systemd host",
    explain:
      "systemd is PID 1 here and owns the cgroup tree; with `driver cgroupfs` vsc writes its own subtree " +
      "behind systemd's back, and nothing vsc applies survives a reboot. Add `driver systemd` to the host " +
      "block: vsc then writes slices and drop-ins that systemd applies at every boot (docs/systemd.md).",
  },
  VSC5206: {
    title: "stale systemd plan",
    explain:
      "A plan saved with `vsc plan --out` records a fingerprint of what it saw (vsc's files, the slices' " +
      "live values, the listed units). Something changed since, so the plan may no longer be right: make " +
      "and review a new one. Nothing was changed.",
  },
  VSC5207: {
    title: "another vsc is applying",
    explain:
      "Another vsc holds the lock for this host's slices. Wait for it; a lock whose process died is " +
      "taken over. Nothing was changed.",
  },
  VSC5208: {
    title: "a file vsc would write is not vsc's",
    explain:
      "One of the names vsc writes (a slice, vsc.target, vsc-net.service, a drop-in 50-vsc.conf, " +
      "/etc/vsc/ruleset.nft) exists without vsc's generated-by header, or is a symlink. vsc never edits a " +
      "file it did not write: move it away (or rename the context or cgroup-root). Nothing was changed.",
  },
  VSC5209: {
    title: "systemd rollback incomplete",
    explain:
      "An apply failed and restoring the previous unit files, reloading or restarting a unit failed too. " +
      "The message lists what; check `systemctl status` and those files, then apply again.",
  },
  VSC5210: {
    title: "not a usable systemd plan",
    explain:
      "A saved plan is untrusted input: every path must be one vsc writes, every file text must carry " +
      "vsc's header, every unit and cgroup path must be of the kinds vsc uses, and it must have been " +
      "made for this unit directory. This one is not. Make a new plan.",
  },
  VSC4062: {
    title: "systemd cannot give a unit this",
    explain:
      "A context that lists `units` hands its security to systemd as directives of each unit's " +
      "drop-in. systemd 252 can give a unit the ipc (PrivateIPC=), mount (PrivateMounts=), net " +
      "(PrivateNetwork=), user (PrivateUsers=) and uts (ProtectHostname=) namespaces, but not the " +
      "pid, cgroup or time namespace, and it cannot set a unit's hostname. Remove them from the " +
      "context, or run that program with `vsc exec` instead of listing its unit.",
  },
};
