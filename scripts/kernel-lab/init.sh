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

# systemd mode (run.sh --systemd writes "systemd" to the out share's mode
# file): boot Debian's own systemd as PID 1 on an overlay of the host's root
# (docs/kernel-lab.md, "systemd as PID 1").
mkdir -p /probe
mount -t 9p -o $o out /probe || fail "cannot mount the out share"
if [ "$(cat /probe/mode 2>/dev/null)" = systemd ]; then
  [ -f /mods/overlay.ko ] && { insmod /mods/overlay.ko || fail "insmod overlay"; }
  mkdir -p /lower /upper /newroot
  mount -t 9p -o $o,ro hostroot /lower || fail "cannot mount the host root"
  mount -t tmpfs -o size=768m upper /upper
  mkdir -p /upper/u /upper/w
  mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w /newroot ||
    fail "cannot mount the overlay"
  # Empty tmpfs for /tmp and /var/tmp: systemd-tmpfiles cleans them at boot,
  # which through 9p over the host's own /tmp takes minutes.
  mount -t tmpfs -o mode=1777 tmp /newroot/tmp
  mount -t tmpfs -o mode=1777 vartmp /newroot/var/tmp
  mkdir -p /newroot/lab/kmod /newroot/lab/out /newroot/usr/lib/modules
  mount -t 9p -o $o,ro kmods /newroot/lab/kmod || fail "cannot mount the kernel modules"
  mount --bind /newroot/lab/kmod/lib/modules /newroot/usr/lib/modules
  mount --move /probe /newroot/lab/out
  src=$(cat /newroot/lab/out/src-path) || fail "no src-path in the out share"
  mkdir -p "/newroot$src" 2>/dev/null
  mount -t 9p -o $o,ro src "/newroot$src" || fail "cannot mount the checkout at $src"
  # udev (unpacked by setup.sh in merged-/usr layout), for device units.
  udev=$(cat /newroot/lab/out/udev-root 2>/dev/null)
  if [ -n "$udev" ] && [ -d "/lower$udev/usr" ]; then
    (cd "/lower$udev" && tar cf - usr etc) | (cd /newroot && tar xf -) || fail "cannot add udev"
  fi
  # A later boot: what the previous boot saved under /etc comes back, as after a reboot.
  if [ -d /newroot/lab/out/persist ]; then cp -a /newroot/lab/out/persist/. /newroot/; fi
  u=/newroot/etc/systemd/system
  mkdir -p "$u"
  printf '%s\n' '[Unit]' 'Description=vsc kernel lab' 'Requires=basic.target vsc-lab.service' \
    'After=basic.target vsc-lab.service' 'Wants=vsc.target lab-link.service lab-web.service lab-foreign.service' \
    'AllowIsolate=yes' >"$u/vsc-lab.target"
  printf '%s\n' '[Unit]' 'Description=vsc kernel lab: the guest script' \
    'After=basic.target vsc.target vsc-net.service lab-link.service lab-web.service' \
    '[Service]' 'Type=oneshot' "ExecStart=/bin/bash $src/scripts/kernel-lab/guest-systemd.sh" \
    'ExecStopPost=/bin/systemctl --no-block poweroff' 'TimeoutStartSec=infinity' >"$u/vsc-lab.service"
  : >/newroot/etc/machine-id
  say "guest up, switching to systemd"
  umount /proc /sys /dev 2>/dev/null
  # --show-status=false: systemd writes its status lines ("[  OK  ] Started
  # ...", and while a job runs a spinner twice a second) to /dev/console, and
  # PID 1 blocks until each write is done (by design: systemd/systemd#29095).
  # A serial write that stalls under emulation then stops PID 1 and the run,
  # silently: in CI (stop 24) the console went quiet as the first systemd test
  # began its apply and the guest ran on for 30 minutes without a line. Off
  # the console, the same lines still reach the journal. (An option, not the
  # kernel's systemd.show_status=: this systemd sees /.dockerenv in the shared
  # root, believes it is in a container and so reads only its own argv.)
  # --log-target: in a "container" PID 1 would log to the console too; the
  # journal, or before journald runs the kernel's buffer, is enough.
  exec switch_root /newroot /lib/systemd/systemd --show-status=false --log-target=journal-or-kmsg \
    systemd.unit=vsc-lab.target
fi
umount /probe

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
