#!/bin/sh
# Install the Debian packages nflogd needs to build, test and demo, when missing.
# Usage: scripts/install-deps.sh [extra-package...]   (run as root)
set -eu

pkgs="build-essential clang pkg-config libmnl-dev libnetfilter-log-dev libnftnl-dev
      libcmocka-dev nftables iproute2 iptables python3 valgrind mandoc bc $*"

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
