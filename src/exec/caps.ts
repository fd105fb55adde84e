/**
 * Linux capability names by number (capabilities(7), without the `cap_`
 * prefix), as the IR spells them. Index = capability number. Kernels newer
 * than this table may know more (see /proc/sys/kernel/cap_last_cap); vsc
 * drops those by number, so an unknown capability is never kept by accident.
 */
export const CAPABILITIES: readonly string[] = Object.freeze([
  "chown",
  "dac_override",
  "dac_read_search",
  "fowner",
  "fsetid",
  "kill",
  "setgid",
  "setuid",
  "setpcap",
  "linux_immutable",
  "net_bind_service",
  "net_broadcast",
  "net_admin",
  "net_raw",
  "ipc_lock",
  "ipc_owner",
  "sys_module",
  "sys_rawio",
  "sys_chroot",
  "sys_ptrace",
  "sys_pacct",
  "sys_admin",
  "sys_boot",
  "sys_nice",
  "sys_resource",
  "sys_time",
  "sys_tty_config",
  "mknod",
  "lease",
  "audit_write",
  "audit_control",
  "setfcap",
  "mac_override",
  "mac_admin",
  "syslog",
  "wake_alarm",
  "block_suspend",
  "audit_read",
  "perfmon",
  "bpf",
  "checkpoint_restore",
]);

export const isCapability = (name: string): boolean => CAPABILITIES.includes(name);

/**
 * Capabilities that let a root process reach files outside a `root`
 * directory however it was entered: mount or remount file systems
 * (sys_admin), follow /proc/PID/root of a process outside it (sys_ptrace),
 * open files by handle (dac_read_search), read the disk itself (mknod,
 * sys_rawio), or load kernel code (sys_module).
 */
export const ROOT_BREAKING_CAPABILITIES: readonly string[] = Object.freeze([
  "dac_read_search",
  "mknod",
  "sys_admin",
  "sys_module",
  "sys_ptrace",
  "sys_rawio",
]);
