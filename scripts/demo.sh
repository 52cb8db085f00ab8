#!/bin/bash
# sudo make demo: a gateway lab in network namespaces where a spam bot gets
# blocked and the LAN's mail server (whitelisted) does not.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
NFLOGD=$B/nflogd
NFLOGCTL=$B/nflogctl
SYNFLOOD=$B/tools/synflood

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root (network namespaces, nftables): sudo make demo" >&2
	exit 1
fi
LAB=nfldemo$$
. "$ROOT/tests/integration/lab.sh"
trap lab_down EXIT
trap 'exit 130' INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

say "Lab: LAN 192.0.2.0/24 -- gateway (nflogd) -- WAN with mail servers 203.0.113.0/24"
lab_up || exit 1
# Each LAN host in a namespace of its own, with its own MAC.
lab_host accounting 192.0.2.10 && lab_host reception 192.0.2.20 &&
	lab_host mailserver 192.0.2.11 && lab_host visitor 192.0.2.66 || exit 1
for h in accounting reception mailserver visitor; do printf '  %-11s %s\n' "$h" "$(host_mac $h)"; done
echo "192.0.2.11   # the LAN's own mail server" >"$LAB_DIR/whitelist"
# The gateway's DHCP leases name the PCs (dnsmasq's format).
printf '0 %s 192.0.2.10 accounting-pc *\n0 %s 192.0.2.20 reception *\n' \
	"$(host_mac accounting)" "$(host_mac reception)" >"$LAB_DIR/leases"
write_conf "$LAB_DIR/nflogd.conf" threshold=20 window=60s block_time=1h
cat "$LAB_DIR/nflogd.conf"
echo "whitelist:"; sed 's/^/    /' "$LAB_DIR/whitelist"

say "Start nflogd in the gateway; it is ready when its table exists"
daemon_start "$LAB_DIR/nflogd.conf" || exit 1
wan_listen

say "A normal PC (192.0.2.20) sends 3 mails the usual way"
echo "connections completed: $(on_host reception lan_connect 192.0.2.20 203.0.113.5 3)"

say "The mail server (192.0.2.11, whitelisted) sends 60 mails to 20 MX hosts"
on_host mailserver "$SYNFLOOD" -s 192.0.2.11 -d 203.0.113.1 -D 20 -c 60 -r 300
sleep 0.3

say "An infected PC (192.0.2.10) sprays 200 SYNs at 300/s to 20 MX hosts"
on_host accounting "$SYNFLOOD" -s 192.0.2.10 -d 203.0.113.1 -D 20 -c 200 -r 300
sleep 0.3

say "A visitor's laptop (192.0.2.66) sends 60 SYNs in the reception PC's name (192.0.2.20)"
on_host visitor "$SYNFLOOD" -s 192.0.2.20 -d 203.0.113.1 -D 20 -c 60 -r 300
sleep 0.3
echo "reception's own connections still complete: $(on_host reception lan_connect 192.0.2.20 203.0.113.5 3) of 3"

say "What reached the internet on port 25"
printf '  %-12s %s\n' "192.0.2.20" "$(wan_syns_from 192.0.2.20) SYNs (normal PC: 6 its own, 60 spoofed by the visitor)"
printf '  %-12s %s\n' "192.0.2.11" "$(wan_syns_from 192.0.2.11) SYNs (whitelisted mail server)"
printf '  %-12s %s\n' "192.0.2.10" "$(wan_syns_from 192.0.2.10) of 200 SYNs (bot: blocked after threshold 20)"

say "The daemon's log"
sed 's/^/  /' "$LAB_DIR/daemon.log"

ctl() { printf '$ nflogctl %s\n' "$*"; "$NFLOGCTL" -s "$LAB_DIR/nflogd.sock" "$@"; echo; }
say "The administrator's view"
ctl list
ctl top
ctl show 192.0.2.10
ctl show 192.0.2.20

say "The accounting PC turns out to be a BYOD laptop with its own mail setup: whitelist it"
ctl whitelist add 192.0.2.10 accounting laptop, own mail client
ctl whitelist list
ctl list
tail -n 2 "$LAB_DIR/daemon.log" | sed 's/^/  /'

say "The kernel's view"
run in_gw nft list table inet nflogd

say "Stop: the table goes, nothing is left behind"
daemon_stop
in_gw nft list tables
tail -n1 "$LAB_DIR/daemon.log" | sed 's/^/  /'
