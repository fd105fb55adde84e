#!/usr/bin/env bash
# Boot a stock Debian kernel under QEMU (software emulation) with the host's
# root shared read-only over 9p, run one command inside it with cwd = this
# checkout, print its output, and exit with its exit code.
#
#   bash scripts/kernel-lab/run.sh [--timeout SECONDS] [--keep] [--build] [--no-disk]
#                                  [--systemd [--boots N [--keep-going]]] [--] CMD...
#
# Without CMD it builds the project (npm run build: tsc + bundle) and runs the kernel suite:
#   node node_modules/uvu/bin.js dist/test/kernel '\.test\.js$' -i systemd-
# --systemd boots Debian's systemd as PID 1 on an overlay root instead (the
# command runs as vsc-lab.service; default CMD: the systemd-*.test.js files);
# --boots 2 boots twice with the same command (VSC_LAB_BOOT=1, then 2), and
# the second boot starts with what the first copied to $VSC_LAB_OUT/persist;
# a first boot whose command fails ends the run, unless --keep-going (the run
# still fails, with the first failing rc).
# The guest gets a blank 16 MiB scratch disk, /dev/vda (254:0), for io.max
# (--no-disk or VSC_LAB_DISK=0: none). A guest that hangs past the timeout, crashes,
# or never reports "rc=N" is a failure (exit 124 for a timeout, 125 otherwise).
# See docs/kernel-lab.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
src=$(cd "$here/../.." && pwd -P)
timeout_s=${VSC_LAB_TIMEOUT:-1800}
keep=${VSC_LAB_KEEP:-0}
build=0
disk=${VSC_LAB_DISK:-1}
mode=busybox
boots=1
keep_going=0
first_rc=0

die() { echo "kernel-lab: error: $*" >&2; exit 125; }
usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --timeout) [ $# -ge 2 ] || usage; timeout_s=$2; shift 2 ;;
    --timeout=*) timeout_s=${1#*=}; shift ;;
    --keep) keep=1; shift ;;
    --build) build=1; shift ;;
    --no-disk) disk=0; shift ;;
    --systemd) mode=systemd; shift ;;
    --boots) [ $# -ge 2 ] || usage; boots=$2; shift 2 ;;
    --keep-going) keep_going=1; shift ;;
    -h | --help) usage ;;
    --) shift; break ;;
    -*) echo "kernel-lab: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
case "$timeout_s" in '' | *[!0-9]*) die "--timeout wants whole seconds, got '$timeout_s'" ;; esac
case "$boots" in 1 | 2) ;; *) die "--boots wants 1 or 2, got '$boots'" ;; esac
if [ $# -eq 0 ]; then
  if [ "$mode" = systemd ]; then
    # systemd-confirm needs two boots of its own (it reboots with an apply pending):
    # npm run test:systemd-confirm-lab runs it (not in CI: docs/kernel-lab.md).
    set -- node node_modules/uvu/bin.js dist/test/kernel 'systemd-.*\.test\.js$' -i systemd-confirm
  else
    set -- node node_modules/uvu/bin.js dist/test/kernel '\.test\.js$' -i systemd-
  fi
  build=1
fi

VSC_LAB_QUIET=1 bash "$here/setup.sh" || die "setup failed (run: bash scripts/kernel-lab/setup.sh)"
# shellcheck source=/dev/null
. "${VSC_LAB_CACHE:-/var/cache/vsc-kernel-lab}/current.env"

if [ "$build" = 1 ]; then
  # Always build: tsc is quick next to a boot, and a stale dist/ would test
  # old code. A type error fails the run, as in `npm test`.
  echo "kernel-lab: building (npm run build)" >&2
  (cd "$src" && npm run -s build) || die "build failed; not booting"
fi

out=$(mktemp -d "${TMPDIR:-/tmp}/vsc-kernel-lab.XXXXXX")
qpid=
tpid=
# shellcheck disable=SC2317 # called from traps
cleanup() {
  if [ -n "$qpid" ]; then kill "$qpid" 2>/dev/null || true; fi
  if [ -n "$tpid" ]; then kill "$tpid" 2>/dev/null || true; fi
}
trap cleanup EXIT
trap 'cleanup; echo "kernel-lab: interrupted; guest files in $out" >&2; exit 130' INT TERM

printf '%s\n' "$src" >"$out/src-path"
printf '%s\n' "$mode" >"$out/mode"
printf '%s\n' "${VSC_LAB_UDEV:-}" >"$out/udev-root"
# The guest's PATH: node's directory first (wherever it is on the host), then
# the usual system directories, all read through the 9p root.
node_dir=$(dirname "$(command -v node)") || die "node not found on the host"
printf 'PATH=%q\n' "$node_dir:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" >"$out/env"
# The guest's watchdog (watchdog.sh) ends the command, with a picture of what
# hung, once the guest has been up this long: a minute before the timeout
# below kills qemu (the guest's uptime and this timeout start together; a
# systemd guest needs about 20 s to shut down).
deadline=$((timeout_s > 240 ? timeout_s - 60 : timeout_s / 2))
printf 'VSC_LAB_DEADLINE=%d\n' "$deadline" >>"$out/env"
printf '%q ' "$@" >"$out/cmd"
echo >>"$out/cmd"
: >"$out/log"
# The scratch disk: a sparse raw file in this run's directory, gone with it.
# virtio-blk makes it /dev/vda (254:0) once guest.sh loads virtio_blk.
drive=()
if [ "$disk" = 1 ]; then
  truncate -s 16M "$out/disk.img"
  drive=(-drive "file=$out/disk.img,if=virtio,format=raw,cache=unsafe")
fi

accel=${VSC_LAB_ACCEL:-tcg,thread=multi}
for boot in $(seq 1 "$boots"); do
echo "$boot" >"$out/boot"
rm -f "$out/status"
start=$(date +%s)
logsize=$(stat -c %s "$out/log")
echo "kernel-lab: booting $VSC_LAB_KVER (timeout ${timeout_s}s): $*" >&2
timeout -k 10 "$timeout_s" qemu-system-x86_64 \
  -m "${VSC_LAB_MEM:-2048}" -smp "${VSC_LAB_CPUS:-2}" -cpu max -accel "$accel" \
  -display none -monitor none -serial "file:$out/console.log" -no-reboot \
  -kernel "$VSC_LAB_VMLINUZ" -initrd "$VSC_LAB_INITRD" \
  -append "console=ttyS0 quiet panic=-1" \
  -fsdev local,id=r,path=/,security_model=none,readonly=on,multidevs=remap \
  -device virtio-9p-pci,fsdev=r,mount_tag=hostroot \
  -fsdev local,id=km,path="$VSC_LAB_KMODS",security_model=none,readonly=on \
  -device virtio-9p-pci,fsdev=km,mount_tag=kmods \
  -fsdev local,id=s,path="$src",security_model=none,readonly=on,multidevs=remap \
  -device virtio-9p-pci,fsdev=s,mount_tag=src \
  -fsdev local,id=o,path="$out",security_model=none \
  -device virtio-9p-pci,fsdev=o,mount_tag=out \
  "${drive[@]}" \
  </dev/null >"$out/qemu.log" 2>&1 &
qpid=$!
# Stream the guest's output as it is written (9p writes go straight through).
tail -c +$((logsize + 1)) -F --pid="$qpid" "$out/log" 2>/dev/null &
tpid=$!
set +e
wait "$qpid"
qrc=$?
set -e
qpid=
wait "$tpid" 2>/dev/null || true
tpid=
elapsed=$(($(date +%s) - start))

fail() {
  echo "kernel-lab: FAILED: $*" >&2
  grep -m1 -E 'Kernel panic|Oops|BUG:|Out of memory|init failed' "$out/console.log" 2>/dev/null |
    sed 's/^/kernel-lab: console: /' >&2 || true
  # The watchdog's heartbeats say whether the guest still ran (watchdog.sh);
  # its picture of a hang is in the log, or only on the console when the
  # log's share hung too.
  if grep -aq 'vsc-lab: heartbeat' "$out/console.log" 2>/dev/null; then
    echo "kernel-lab: the guest's last heartbeats:" >&2
    grep -a 'vsc-lab: heartbeat' "$out/console.log" | tail -n 3 | sed 's/^/  | /' >&2
  fi
  if ! grep -q 'vsc-lab: watchdog:' "$out/log" 2>/dev/null && grep -aq 'vsc-lab|' "$out/console.log" 2>/dev/null; then
    echo "kernel-lab: the watchdog's picture (console):" >&2
    grep -a 'vsc-lab|' "$out/console.log" | sed 's/^/  | /' >&2
  fi
  echo "kernel-lab: last console lines ($out/console.log):" >&2
  tail -n 30 "$out/console.log" 2>/dev/null | sed 's/^/  | /' >&2 || true
  if [ -s "$out/qemu.log" ]; then
    echo "kernel-lab: qemu said:" >&2
    sed 's/^/  | /' "$out/qemu.log" >&2
  fi
  echo "kernel-lab: guest files kept in $out" >&2
}

if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
  fail "guest still running after ${timeout_s}s (hung or too slow); raise --timeout if it was only slow"
  exit 124
fi
status=$(cat "$out/status" 2>/dev/null || true)
case "$status" in
  rc=[0-9]*) rc=${status#rc=} ;;
  *)
    fail "guest stopped without reporting rc=N (crashed, panicked or init failed; qemu exit $qrc)"
    exit 125
    ;;
esac
echo "kernel-lab: guest exited rc=$rc after ${elapsed}s (boot $boot of $boots, $mode)" >&2
[ "$first_rc" != 0 ] || first_rc=$rc
[ "$rc" = 0 ] || [ "$keep_going" = 1 ] || break
done
rc=$first_rc
if [ "$rc" != 0 ] || [ "$keep" = 1 ]; then
  echo "kernel-lab: guest files kept in $out" >&2
else
  rm -rf "$out"
fi
exit "$rc"
