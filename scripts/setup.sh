#!/bin/sh
# The README's first command: installs what `npm test` needs on a fresh Debian
# (or Ubuntu) machine, then the npm dependencies (`npm ci` also builds vsc).
#   sh scripts/setup.sh              the test tools (scripts/debian-packages.sh)
#   sh scripts/setup.sh --kernel-lab also what `npm run test:kernel` needs
# Only missing packages are installed (apt-get, through sudo when not root);
# on a system without dpkg it names the packages and goes on with npm ci.
set -eu
cd "$(dirname "$0")/.."
# shellcheck source=scripts/debian-packages.sh
. ./scripts/debian-packages.sh

want=$VSC_TEST_PACKAGES
if [ "${1:-}" = "--kernel-lab" ]; then want="$want $VSC_LAB_PACKAGES"; fi

if command -v dpkg-query >/dev/null 2>&1; then
  missing=""
  for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    echo "setup: installing$missing"
    # shellcheck disable=SC2086 # word splitting of the package list is intended
    $sudo apt-get update -qq
    # shellcheck disable=SC2086
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
  fi
else
  echo "setup: no dpkg here; install the equivalents of: $want" >&2
fi

npm ci --no-audit --no-fund
