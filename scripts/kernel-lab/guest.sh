#!/bin/bash
# Runs inside the kernel lab guest, chrooted into the host's root (read-only;
# /tmp and /run are tmpfs). run.sh left in /tmp/out: src-path (the checkout),
# env (PATH etc.) and cmd (the command, shell-quoted). This writes the
# command's output to /tmp/out/log and, last, "rc=N" to /tmp/out/status:
# a status file without that line means the guest hung or crashed.
out=/tmp/out
src=$(cat "$out/src-path")
# shellcheck source=/dev/null
. "$out/env"
export PATH HOME=/tmp/home TMPDIR=/tmp VSC_KERNEL_LAB=1 VSC_LAB_OUT="$out" VSC_LAB_SRC="$src"
mkdir -p "$HOME"

{
  ip link set lo up
  # Like a systemd host: every controller vsc uses is enabled in the root's
  # subtree_control, so vsc's own subtree can enable them below.
  for c in cpu cpuset memory io pids; do
    echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control || echo "vsc-lab: cannot enable controller $c"
  done
  # Loaded up front rather than on demand: autoload works too, but this keeps
  # first-use latency out of the tests' timings and fails loudly in the log.
  # virtio_blk: run.sh's scratch disk, /dev/vda (no udev here to load it on demand).
  for m in veth sch_htb cls_basic nf_tables nft_socket nft_chain_nat nf_conntrack virtio_blk; do
    /sbin/modprobe -d /tmp/kmod "$m" 2>/dev/null || echo "vsc-lab: modprobe $m failed"
  done
  echo "vsc-lab: kernel $(uname -r), cgroup controllers: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
  if [ -e /sys/block/vda/dev ]; then echo "vsc-lab: scratch disk /dev/vda $(cat /sys/block/vda/dev)"; fi
} >"$out/log" 2>&1

cd "$src" || { echo "rc=125" >"$out/status"; exit 125; }
# shellcheck source=scripts/kernel-lab/watchdog.sh
. "$src/scripts/kernel-lab/watchdog.sh"
lab_run "$out/cmd" "$out/log"
sync
echo "rc=$rc" >"$out/status"
sync
exit "$rc"
