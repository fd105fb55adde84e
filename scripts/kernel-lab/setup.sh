#!/usr/bin/env bash
# Prepare the kernel lab: host packages, a stock Debian kernel and an initramfs.
#
# Idempotent and cached outside the checkout (VSC_LAB_CACHE, default
# /var/cache/vsc-kernel-lab), keyed by kernel version; a second run only
# checks. Writes $VSC_LAB_CACHE/current.env for run.sh to source.
# Needs root (apt-get, depmod into the cache). See docs/kernel-lab.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${VSC_LAB_CACHE:-/var/cache/vsc-kernel-lab}
quiet=${VSC_LAB_QUIET:-0}

say() { [ "$quiet" = 1 ] || echo "kernel-lab setup: $*" >&2; }
die() { echo "kernel-lab setup: error: $*" >&2; exit 1; }

# Debian packages the lab needs on the host (the guest runs the host's root,
# so nft, tc, ip, ping and nsenter in the guest are these same binaries).
packages=(qemu-system-x86 busybox-static cpio kmod nftables iproute2 iputils-ping util-linux gzip xz-utils)

apt_updated=0
apt_update() {
  if [ "$apt_updated" = 0 ]; then
    say "apt-get update"
    apt-get update -qq >&2 || die "apt-get update failed"
    apt_updated=1
  fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing packages ${missing[*]}; run this script as root"
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Lists may be stale or absent on a fresh machine: install once, and on
  # failure refresh the lists and retry.
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; then
    apt_update
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || die "apt-get install failed"
  fi
fi

mkdir -p "$cache"
exec 9>"$cache/lock"
flock 9 # one setup at a time; run.sh calls setup on every run

# The ONE kernel package linux-image-amd64 points at. Never a glob: a pattern
# like linux-image-6.1.0-* matches every flavour (about 1.6 GB).
kernel_pkg() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}'; }
pkg=${VSC_LAB_KERNEL_PKG:-$(kernel_pkg)}
if [ -z "$pkg" ]; then
  apt_update
  pkg=$(kernel_pkg)
fi
[ -n "$pkg" ] || die "cannot tell which kernel linux-image-amd64 depends on"
case "$pkg" in linux-image-[0-9]*) ;; *) die "unexpected kernel package name '$pkg'" ;; esac
kver=${pkg#linux-image-}
kdir="$cache/$kver"

if [ ! -e "$kdir/.complete" ]; then
  say "fetching $pkg"
  rm -rf "$kdir" "$kdir.tmp"
  mkdir -p "$kdir.tmp/deb"
  # apt-get download writes into the current directory.
  if ! (cd "$kdir.tmp/deb" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" >&2); then
    apt_update
    (cd "$kdir.tmp/deb" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" >&2) || die "apt-get download $pkg failed"
  fi
  debs=("$kdir.tmp"/deb/*.deb)
  [ "${#debs[@]}" = 1 ] || die "expected exactly one .deb, got ${#debs[@]}"
  dpkg -x "${debs[0]}" "$kdir.tmp/kernel"
  rm -rf "$kdir.tmp/deb"
  # Newer Debian ships modules under usr/lib; modprobe -d and our initramfs
  # builder look under lib/modules.
  if [ ! -d "$kdir.tmp/kernel/lib/modules" ] && [ -d "$kdir.tmp/kernel/usr/lib/modules" ]; then
    ln -s usr/lib "$kdir.tmp/kernel/lib"
  fi
  depmod -b "$kdir.tmp/kernel" "$kver"
  touch "$kdir.tmp/.complete"
  mv "$kdir.tmp" "$kdir"
fi

vmlinuz="$kdir/kernel/boot/vmlinuz-$kver"
moddir="$kdir/kernel/lib/modules/$kver"
[ -f "$vmlinuz" ] || die "no kernel image at $vmlinuz"

# The initramfs: busybox, the modules needed to mount 9p, and /init. Keyed by
# the init script and busybox so editing either rebuilds it.
[ -x /bin/busybox ] || die "/bin/busybox missing (package busybox-static)"
key=$(cat "$here/init.sh" /bin/busybox | sha256sum | cut -c1-16)
initrd="$kdir/initrd-$key.gz"
if [ ! -f "$initrd" ]; then
  say "building initramfs"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work"/{bin,mods,proc,sys,dev,host,tmp}
  cp /bin/busybox "$work/bin/busybox"
  cp "$here/init.sh" "$work/init"
  chmod 755 "$work/init"
  # overlay: only for the systemd mode (an overlay root), loaded by init.sh then.
  for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p overlay; do
    f=$(find "$moddir/kernel" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" | head -n1)
    if [ -z "$f" ]; then
      # Built into this kernel: nothing to load.
      grep -q "/$m.ko" "$moddir/modules.builtin" 2>/dev/null || die "module $m not found in $moddir"
      continue
    fi
    case "$f" in
      *.xz) xz -dc "$f" >"$work/mods/$m.ko" ;;
      *.zst) zstd -dqc "$f" >"$work/mods/$m.ko" ;;
      *) cp "$f" "$work/mods/$m.ko" ;;
    esac
  done
  (cd "$work" && find . | cpio -o -H newc --quiet | gzip -9) >"$initrd.tmp"
  mv "$initrd.tmp" "$initrd"
  # Older initramfs builds are stale (QEMU reads its initrd at start, so a
  # running lab is not affected).
  find "$kdir" -maxdepth 1 -name 'initrd-*.gz' ! -name "$(basename "$initrd")" -delete
  rm -rf "$work"
  trap - EXIT
fi

# udev for the systemd mode (run.sh --systemd): the host may not have it (a
# container image), but device units (sys-subsystem-net-devices-*.device) need
# it. One named package, unpacked in merged-/usr layout, copied into the
# guest's overlay by init.sh; the host itself is not changed.
udev_root="$cache/udev/root"
if [ ! -d "$udev_root/usr" ]; then
  say "fetching udev for the systemd mode"
  rm -rf "$cache/udev" && mkdir -p "$cache/udev"
  (cd "$cache/udev" && apt-get download udev >/dev/null 2>&1) || die "apt-get download udev failed"
  mkdir -p "$cache/udev/x"
  dpkg -x "$cache"/udev/udev_*.deb "$cache/udev/x"
  mkdir -p "$cache/udev/x/usr"
  for d in bin sbin lib; do
    if [ -d "$cache/udev/x/$d" ]; then
      mkdir -p "$cache/udev/x/usr/$d"
      cp -a "$cache/udev/x/$d/." "$cache/udev/x/usr/$d/"
      rm -rf "${cache:?}/udev/x/$d"
    fi
  done
  mv "$cache/udev/x" "$udev_root"
fi

cat >"$cache/current.env.tmp" <<ENV
VSC_LAB_KVER='$kver'
VSC_LAB_VMLINUZ='$vmlinuz'
VSC_LAB_INITRD='$initrd'
VSC_LAB_KMODS='$kdir/kernel'
VSC_LAB_UDEV='$udev_root'
ENV
mv "$cache/current.env.tmp" "$cache/current.env"
say "ready: kernel $kver, initrd $(basename "$initrd")"
