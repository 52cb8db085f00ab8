#!/bin/bash
# make install into a DESTDIR: the layout, then the installed programs at
# work in the namespace lab, then make uninstall.
# Usage: tests/deploy/test-install.sh BUILD_DIR. Prints "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-build}

if [ "$(id -u)" -ne 0 ]; then
	echo "deploy: skipped: needs root (network namespaces)"
	echo "0 passed, 0 failed"
	exit 0
fi
DEST=$(mktemp -d /tmp/nflinst.XXXX)
LAB=nflinst$$
. "$ROOT/tests/integration/lab.sh"
trap 'lab_down; rm -rf "$DEST"' EXIT
trap 'exit 130' INT TERM

pass=0 fail=0
claim() {
	local what=$1; shift
	if "$@"; then pass=$((pass + 1)); echo "  ok: $what"
	else fail=$((fail + 1)); echo "  FAILED: $what"; fi
}
mode_is() { [ "$(stat -c %a "$1" 2>/dev/null)" = "$2" ]; }

make -C "$ROOT" --no-print-directory -s install B="$B" DESTDIR="$DEST" PREFIX=/usr \
	sysconfdir=/etc CLEAROS=1 >/dev/null
claim "nflogd in /usr/sbin, 0755" mode_is "$DEST/usr/sbin/nflogd" 755
claim "nflogctl in /usr/bin, 0755" mode_is "$DEST/usr/bin/nflogctl" 755
claim "man pages" test -f "$DEST/usr/share/man/man8/nflogd.8" -a -f "$DEST/usr/share/man/man8/nflogctl.8" -a -f "$DEST/usr/share/man/man5/nflogd.conf.5"
claim "systemd unit runs the installed path" grep -q "^ExecStart=/usr/sbin/nflogd" "$DEST/usr/lib/systemd/system/nflogd.service"
claim "tmpfiles.d" test -f "$DEST/usr/lib/tmpfiles.d/nflogd.conf"
claim "bash completion" test -f "$DEST/usr/share/bash-completion/completions/nflogctl"
claim "config and whitelist" test -f "$DEST/etc/nflogd/nflogd.conf" -a -f "$DEST/etc/nflogd/whitelist"
claim "ClearOS snippet, 0755" mode_is "$DEST/etc/clearos/firewall.d/90-nflogd" 755
claim "the shipped config is valid" "$DEST/usr/sbin/nflogd" -t -c "$DEST/etc/nflogd/nflogd.conf"

# An administrator's edits survive a reinstall.
echo "threshold = 5" >>"$DEST/etc/nflogd/nflogd.conf"
make -C "$ROOT" --no-print-directory -s install B="$B" DESTDIR="$DEST" PREFIX=/usr sysconfdir=/etc >/dev/null
claim "reinstall keeps the config" grep -q "^threshold = 5" "$DEST/etc/nflogd/nflogd.conf"

# The installed programs at work.
NFLOGD=$DEST/usr/sbin/nflogd
lab_up || { echo "deploy: no lab"; exit 1; }
write_conf "$LAB_DIR/c.conf"
if daemon_start "$LAB_DIR/c.conf"; then
	in_lan "$ROOT/$B/tools/synflood" -s 192.0.2.10 -d 203.0.113.1 -D 20 -c 60 -r 500 >/dev/null
	sleep 0.3
	claim "installed nflogd blocks a bot" bash -c "ip netns exec $GW nft list set inet nflogd blocked4 | grep -q 192.0.2.10"
	claim "installed nflogctl lists it" bash -c "'$DEST/usr/bin/nflogctl' -s '$LAB_DIR/nflogd.sock' list | grep -q 192.0.2.10"
	daemon_stop
else
	claim "installed nflogd starts" false
fi

make -C "$ROOT" --no-print-directory -s uninstall DESTDIR="$DEST" PREFIX=/usr sysconfdir=/etc >/dev/null
claim "uninstall removes the programs" test ! -e "$DEST/usr/sbin/nflogd" -a ! -e "$DEST/usr/bin/nflogctl"
claim "uninstall leaves the administrator's files" test -f "$DEST/etc/nflogd/nflogd.conf"
if command -v mandoc >/dev/null; then
	claim "man pages lint clean" mandoc -Tlint -Wwarning "$ROOT"/man/*.[58]
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
