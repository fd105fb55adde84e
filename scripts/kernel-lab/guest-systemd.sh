#!/bin/bash
# The kernel lab's guest script in systemd mode (run.sh --systemd): runs as
# vsc-lab.service under Debian's systemd as PID 1, so the command sits in
# system.slice/vsc-lab.service. Same contract as guest.sh: the command's
# output in /lab/out/log, and last "rc=N" in /lab/out/status.
out=/lab/out
src=$(cat "$out/src-path")
# shellcheck source=/dev/null
. "$out/env"
boot=$(cat "$out/boot" 2>/dev/null || echo 1)
export PATH HOME=/tmp/home TMPDIR=/tmp VSC_KERNEL_LAB=1 VSC_SYSTEMD_LAB=1 VSC_LAB_BOOT="$boot" \
  VSC_LAB_OUT="$out" VSC_LAB_SRC="$src"
mkdir -p "$HOME"
{
  echo "vsc-lab: boot $boot, kernel $(uname -r), PID 1 $(cat /proc/1/comm), systemd $(systemctl --version | head -n1)"
  echo "vsc-lab: cgroup controllers: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
  systemctl is-system-running || true
} >>"$out/log" 2>&1
cd "$src" || { echo "rc=125" >"$out/status"; exit 125; }
# shellcheck source=scripts/kernel-lab/watchdog.sh
. "$src/scripts/kernel-lab/watchdog.sh"
lab_run "$out/cmd" "$out/log"
# systemd's status lines stay off the console (init.sh), so a failed run
# brings the journal's last lines instead.
if [ "$rc" != 0 ]; then
  {
    echo "vsc-lab: the journal's last lines:"
    timeout 30 journalctl -b --no-pager -n 60 2>&1
  } >>"$out/log"
fi
sync
echo "rc=$rc" >"$out/status"
sync
exit 0
