# shellcheck disable=SC2034 # used by the scripts that source this file
# Debian packages, in one place: sourced by scripts/setup.sh (the README's
# first command) and by .ci/run. Plain assignments only (POSIX sh and bash).
#
# What `npm test` runs: nftables (nft -c over every ruleset, the applier in a
# network namespace), iproute2 (tc -batch, ip netns), shellcheck (cgroup.sh
# lint), util-linux and libcap2-bin (vsc exec: prlimit, unshare, setpriv,
# capsh), iputils-ping (the packet tests in a network namespace), ansible-core
# (the fleet orchestration tests, test/fleet: ansible-playbook and ansible-galaxy
# drive the vsc.fleet collection over network namespaces), python3-pyflakes
# and pycodestyle (its Python is linted, test/fleet/python.test.ts).
VSC_TEST_PACKAGES="nftables iproute2 shellcheck util-linux libcap2-bin iputils-ping ansible-core python3-pyflakes pycodestyle"
# What `npm run test:kernel` adds: the kernel lab (QEMU, a static busybox, an initramfs).
VSC_LAB_PACKAGES="qemu-system-x86 busybox-static cpio kmod"
