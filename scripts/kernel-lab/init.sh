#!/bin/busybox sh
# shellcheck shell=dash
# /init of the kernel lab's initramfs (packed by setup.sh; editing this file
# rebuilds the initramfs). It mounts the host's root read-only over 9p with
# writable /tmp and /run, the checkout at its own path, cgroup2, and runs the
# checkout's scripts/kernel-lab/guest.sh chrooted into the host's root.
# Results come back through the "out" share; run.sh reads its status file.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
say() { echo "vsc-lab: $*" >/dev/console; }
fail() { say "init failed: $*"; poweroff -f; }

for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p; do
  [ -f /mods/$m.ko ] && { insmod /mods/$m.ko || fail "insmod $m"; }
done

o=trans=virtio,version=9p2000.L,msize=262144
mount -t 9p -o $o,ro hostroot /host || fail "cannot mount the host root"
mount -t proc proc /host/proc
mount -t sysfs sys /host/sys
mount -t devtmpfs dev /host/dev
mkdir -p /host/dev/pts /host/dev/shm
mount -t devpts devpts /host/dev/pts
mount -t tmpfs shm /host/dev/shm
mount -t tmpfs tmp /host/tmp
mount -t tmpfs run /host/run
mkdir -p /host/run/netns /host/run/lock
mount -t cgroup2 none /host/sys/fs/cgroup || fail "cannot mount cgroup2"
mkdir -p /host/tmp/kmod /host/tmp/out
mount -t 9p -o $o,ro kmods /host/tmp/kmod || fail "cannot mount the kernel modules"
mount -t 9p -o $o out /host/tmp/out || fail "cannot mount the out share"

# The checkout gets its own share mounted at its own path, so it is visible
# even when it lives under /tmp or /run (tmpfs in here).
src=$(cat /host/tmp/out/src-path) || fail "no src-path in the out share"
mkdir -p "/host$src" 2>/dev/null
mount -t 9p -o $o,ro src "/host$src" || fail "cannot mount the checkout at $src"

# The kernel's module autoloader runs in the initramfs root, so point it at a
# wrapper here that runs the host's modprobe on the guest kernel's modules.
printf '#!/bin/sh\nexec chroot /host /sbin/modprobe -d /tmp/kmod "$@"\n' >/tmp/modprobe
chmod +x /tmp/modprobe
echo /tmp/modprobe >/proc/sys/kernel/modprobe

say "guest up, running $src/scripts/kernel-lab/guest.sh"
chroot /host /bin/bash "$src/scripts/kernel-lab/guest.sh"
say "guest script exited $?"
sync
poweroff -f
