#!/bin/sh
# Find out what this machine's compiler, libraries and headers offer, and
# write OUT/config.h (HAVE_* for the code, forced into every object) and
# OUT/config.mk (flags for the Makefile). Each missing thing has a shim in
# nflogd/compat/. Probes, never distribution names.
# Usage: scripts/configure.sh OUT
#   environment: CC, CFLAGS, LTO_WANTED (flags to try, empty: none),
#   COMPAT=el7 (take every fallback a CentOS/ClearOS 7 build takes).
set -eu
out=$1
CC=${CC:-cc}
CFLAGS=${CFLAGS:-}
COMPAT=${COMPAT:-}
LTO_WANTED=${LTO_WANTED:-}
PKGS="libmnl libnetfilter_log libnftnl"
mkdir -p "$out"
log=$out/config.log
tmp=$out/conftest
: >"$log"

pkg_cflags=$(pkg-config --cflags $PKGS 2>/dev/null || :)
pkg_libs=$(pkg-config --libs $PKGS 2>/dev/null || :)

case $COMPAT in
"" | el7) ;;
*) echo "configure: COMPAT=$COMPAT: only el7 is known" >&2; exit 1 ;;
esac

# compiles SOURCE [link]: 0 when the program builds (and links).
compiles() {
	printf '%s\n' "$1" >"$tmp.c"
	echo "--- probe ($2):" >>"$log"
	cat "$tmp.c" >>"$log"
	if [ "$2" = link ]; then
		set -- $CC -std=c11 -D_GNU_SOURCE $CFLAGS $pkg_cflags "$tmp.c" -o "$tmp" $pkg_libs
	else
		set -- $CC -std=c11 -D_GNU_SOURCE $CFLAGS $pkg_cflags -c "$tmp.c" -o "$tmp.o"
	fi
	echo "$*" >>"$log"
	"$@" >>"$log" 2>&1
}

hdr="/* Written by scripts/configure.sh: what this machine has. */"
hdr="$hdr
#ifndef NFLOGD_BUILD_CONFIG_H
#define NFLOGD_BUILD_CONFIG_H"
summary=""

# have NAME "what" SOURCE compile|link
have() {
	if [ "$COMPAT" = el7 ]; then
		res="no (COMPAT=el7)"
	elif compiles "$3" "$4"; then
		res=yes
		hdr="$hdr
#define $1 1"
	else
		res=no
	fi
	echo "result $1: $res" >>"$log"
	summary="$summary
  $2: $res"
}

for p in $PKGS; do
	v=$(pkg-config --modversion "$p" 2>/dev/null || echo none)
	summary="$summary
  $p: $v"
done

# libnetfilter_log 1.0.2: the nlmsg helpers (1.0.1 has only the nflog_handle API).
have HAVE_NFLOG_NLMSG_HELPERS "libnetfilter_log nlmsg helpers (1.0.2)" '
#include <stdint.h>
#include <libnetfilter_log/libnetfilter_log.h>
#include <linux/netfilter/nfnetlink_log.h>
int main(void)
{
	static char buf[256];
	struct nlmsghdr *nlh = nflog_nlmsg_put_header(buf, NFULNL_MSG_CONFIG, 0, 1);
	nflog_attr_put_cfg_cmd(nlh, NFULNL_CFG_CMD_BIND);
	nflog_attr_put_cfg_mode(nlh, NFULNL_COPY_PACKET, 64);
	return 0;
}' link

# libmnl 1.0.4.
have HAVE_MNL_SOCKET_OPEN2 "mnl_socket_open2 (libmnl 1.0.4)" '
#include <sys/socket.h>
#include <libmnl/libmnl.h>
int main(void) { return mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC) == 0; }' link

# glibc 2.25.
have HAVE_GETRANDOM "getrandom, <sys/random.h> (glibc 2.25)" '
#include <sys/random.h>
int main(void) { char b[8]; return getrandom(b, sizeof(b), 0) != sizeof(b); }' link

# glibc 2.26.
have HAVE_POSIX_SPAWN_SETSID "POSIX_SPAWN_SETSID (glibc 2.26)" '
#include <spawn.h>
int main(void) { return POSIX_SPAWN_SETSID; }' compile

# Kernel headers: 4.3, 4.12, 4.12, 4.6.
have HAVE_NETLINK_CAP_ACK "NETLINK_CAP_ACK (Linux 4.3 headers)" '
#include <linux/netlink.h>
int x = NETLINK_CAP_ACK;' compile
have HAVE_NETLINK_EXT_ACK "NETLINK_EXT_ACK (Linux 4.12 headers)" '
#include <linux/netlink.h>
int x = NETLINK_EXT_ACK;' compile
have HAVE_SO_MEMINFO "SO_MEMINFO (Linux 4.12 headers)" '
#include <sys/socket.h>
int x = SO_MEMINFO;' compile
have HAVE_SK_MEMINFO_DROPS "SK_MEMINFO_DROPS (Linux 4.6 headers)" '
#include <linux/sock_diag.h>
int x = SK_MEMINFO_DROPS;' compile

# libnftnl: 1.0.8 made nftnl_batch_begin/end return the header they write
# (nflogd uses it). Older headers also declare nft_batch_begin/end, names
# nflogd keeps clear of.
if compiles '
#include <stdint.h>
#include <linux/netlink.h>
#include <libnftnl/common.h>
int main(void) { static char b[64]; return nftnl_batch_begin(b, 0)->nlmsg_len == 0; }' link; then
	summary="$summary
  nftnl_batch_begin returning the header (libnftnl 1.0.8): yes"
else
	echo "configure: libnftnl's nftnl_batch_begin does not return the message" \
		"(libnftnl older than 1.0.8, or missing): see $log" >&2
	[ -n "$pkg_libs" ] || echo "configure: (pkg-config finds none of $PKGS yet)" >&2
	summary="$summary
  nftnl_batch_begin returning the header (libnftnl 1.0.8): NO - the build will fail"
fi

# C features beyond what gcc 4.8 has (it has -std=c11, _Static_assert,
# anonymous unions; not _Generic, <stdatomic.h>, _Thread_local, overflow
# builtins, __has_include, the fallthrough attribute).
if [ "$COMPAT" = el7 ]; then
	top=$(dirname "$0")/..
	if grep -nE '_Generic|stdatomic\.h|_Atomic|_Thread_local|__auto_type|__builtin_(add|sub|mul)_overflow|__has_include|fallthrough\)' \
		"$top"/nflogd/*.[ch] "$top"/nflogd/compat/*.[ch] "$top"/tests/unit/*.[ch] \
		"$top"/tests/tools/*.c >"$tmp.grep" 2>/dev/null; then
		echo "configure: C features gcc 4.8 lacks:" >&2
		cat "$tmp.grep" >&2
		exit 1
	fi
	summary="$summary
  C features newer than gcc 4.8 in the tree: none"
fi

# Link-time optimisation, if the compiler takes the flags asked for (gcc
# < 10 has no -flto=auto, gcc < 4.9 no -ffat-lto-objects): else none.
lto=""
if [ -n "$LTO_WANTED" ] && [ "$COMPAT" != el7 ]; then
	save=$CFLAGS
	CFLAGS="$CFLAGS $LTO_WANTED -Werror"
	compiles 'int main(void) { return 0; }' link && lto=$LTO_WANTED
	CFLAGS=$save
fi
summary="$summary
  LTO flags: ${lto:-none}"

hdr="$hdr
#endif"
printf '%s\n' "$hdr" >"$out/config.h.new"
cmp -s "$out/config.h.new" "$out/config.h" 2>/dev/null && rm -f "$out/config.h.new" ||
	mv "$out/config.h.new" "$out/config.h"
printf '# Written by scripts/configure.sh\nCONF_LTO := %s\n' "$lto" >"$out/config.mk"
rm -f "$tmp" "$tmp.c" "$tmp.o" "$tmp.grep"
echo "configure ($out${COMPAT:+, COMPAT=$COMPAT}):$summary"
