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
      "(cpu.max.burst; CPUQuotaBurst= does not exist before systemd 256). Remove the field or use " +
      "`driver cgroupfs`.",
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
