#!/bin/sh
# Build and test nflogd in a Debian 11 (bullseye) root on this machine's
# kernel: libnetfilter_log 1.0.1, libnftnl 1.1.9, glibc 2.31, gcc 10.
# The root is made once with debootstrap (from the mirror this machine's apt
# sources name) and kept in build/roots/bullseye; the tree is copied in and
# built there from scratch. A chroot shares the kernel, so the namespace
# integration tests run as they do here.
# Usage: tests/platform/debian11.sh [make-argument...]   (root; default: check)
#        tests/platform/debian11.sh --run COMMAND...      (in the built tree)
set -eu
cd "$(dirname "$0")/../.."
top=$(pwd)
root=$top/build/roots/bullseye
# What make check needs (scripts/install-deps.sh), so it installs nothing.
pkgs=build-essential,pkg-config,libmnl-dev,libnetfilter-log-dev,libnftnl-dev,libcmocka-dev
pkgs=$pkgs,nftables,iproute2,iptables,python3,procps,netcat-openbsd,valgrind,mandoc,bc,clang

say() { echo "debian11: $*"; }

# The first URI of a stanza that is not the security archive.
mirror() {
	awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' \
		/etc/apt/sources.list.d/debian.sources 2>/dev/null
}

make_root() {
	m=$(mirror)
	[ -n "$m" ] || { say "no Debian mirror in /etc/apt/sources.list.d/debian.sources"; exit 1; }
	command -v debootstrap >/dev/null ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
	say "debootstrap bullseye from $m into $root"
	rm -rf "$root.new"
	mkdir -p "$(dirname "$root")"
	debootstrap --variant=minbase --include="$pkgs" bullseye "$root.new" "$m" \
		>"$top/build/roots/bullseye.log" 2>&1 ||
		{ tail -n 20 "$top/build/roots/bullseye.log"; exit 1; }
	mv "$root.new" "$root"
}

mounted=""
cleanup() {
	for m in $mounted; do
		umount "$m" 2>/dev/null || umount -l "$m" || say "could not unmount $m"
	done
	mounted=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bind() {
	mkdir -p "/$1" "$root/$1"
	mount --bind "/$1" "$root/$1"
	mounted="$root/$1 $mounted"	# unmounted in reverse order
	# A slave: what the root mounts or unmounts below it (a lab's
	# namespaces under run/netns, a lazy unmount at the end) never
	# propagates back to this machine's own mounts.
	mount --make-rslave "$root/$1"
}

[ "$(id -u)" -eq 0 ] || { say "needs root (debootstrap, mount, chroot)"; exit 1; }
# Mounts a killed run left behind, deepest first.
stale=$(awk -v r="$root" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/mounts | sort -r)
for m in $stale; do
	say "unmounting $m, left by an earlier run"
	umount "$m" 2>/dev/null || umount -l "$m"
done
[ -x "$root/usr/bin/make" ] || make_root
# The root a mount point of its own: "ip netns exec" remounts / as a slave.
mount --bind "$root" "$root"
mounted="$root"
mount --make-private "$root"
for d in proc sys dev dev/pts run/netns; do
	bind "$d"
done
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || :

# The tree as it is here (not only what is committed), without builds.
rm -rf "$root/nflogd"
mkdir -p "$root/nflogd"
tar -C "$top" --exclude=./build --exclude=./.git -cf - . | tar -C "$root/nflogd" -xf -

say "$(chroot "$root" sh -c '. /etc/os-release; echo "$PRETTY_NAME"'), gcc $(chroot "$root" gcc -dumpversion)," \
	"libnetfilter_log $(chroot "$root" pkg-config --modversion libnetfilter_log)," \
	"libnftnl $(chroot "$root" pkg-config --modversion libnftnl)," \
	"libmnl $(chroot "$root" pkg-config --modversion libmnl)"
[ $# -gt 0 ] || set -- check
# --run COMMAND...: a command in the tree instead of make.
if [ "$1" = --run ]; then shift; else set -- make "$@"; fi
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
	TERM=dumb sh -c 'cd /nflogd && exec "$@"' sh "$@"
