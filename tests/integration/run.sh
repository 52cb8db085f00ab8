#!/bin/bash
# Integration tests: nflogd against the real kernel, in a namespace lab
# (tests/integration/lab.sh). Prints one closing line "N passed, N failed".
# Usage: tests/integration/run.sh BUILD_DIR [TEST...]
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-build}; shift || true
case $B in /*) ;; *) B=$ROOT/$B ;; esac
NFLOGD=$B/nflogd
NFLOGCTL=$B/nflogctl
SYNFLOOD=$B/tools/synflood

if [ "$(id -u)" -ne 0 ]; then
	echo "integration: skipped: needs root (network namespaces, nftables)"
	echo "integration: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
for need in ip nft python3; do
	command -v $need >/dev/null || { echo "integration: $need missing (make deps)"; exit 1; }
done

LAB=nfli$$
. "$ROOT/tests/integration/lab.sh"
trap lab_down EXIT
trap 'exit 130' INT TERM
lab_up || { echo "integration: could not build the lab"; exit 1; }

CONF=$LAB_DIR/nflogd.conf
BOT=192.0.2.10

# bot SRC [COUNT] [RATE] [extra synflood args...]: SYNs to 20 destinations,
# never closer than 1/RATE (-I): a sender descheduled on this shared machine
# sends later, as a bot at RATE would, instead of catching up with a burst
# that no rate limit makes.
bot() {
	local src=$1 count=${2:-60} rate=${3:-300}; shift 3 2>/dev/null || shift $#
	local six=
	case $src in *:*) six=-6; dst=2001:db8:ff::1 ;; *) dst=203.0.113.1 ;; esac
	in_lan "$SYNFLOOD" $six -s "$src" -d "$dst" -D 20 -c "$count" -r "$rate" -I "$@" >/dev/null
	sleep 0.3	# let the last events and kernel batches land
}
logged() { grep -q -- "$1" "$LAB_DIR/daemon.log"; }
is_blocked() {
	local set=blocked4
	case $1 in *:*) set=blocked6 ;; esac
	blocked_elems $set "${2:-nflogd}" | grep -qx -- "$1"
}
claim() { local what=$1; shift; "$@" || { echo "    not true: $what"; return 1; }; }
not() { ! "$@"; }
# within SECONDS COMMAND...: true once COMMAND is, polled every 0.1 s.
within() {
	local end=$(($(date +%s%N) / 1000000 + $1 * 1000)); shift
	until "$@"; do
		[ $(($(date +%s%N) / 1000000)) -lt "$end" ] || return 1
		sleep 0.1
	done
}
starts_with() { case $1 in "$2"*) return 0 ;; esac; return 1; }

t_normal_host_not_blocked() {
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	wan_listen
	local ok; ok=$(lan_connect 192.0.2.20 203.0.113.5 5)
	kill "$WAN_LISTENER" 2>/dev/null; wait "$WAN_LISTENER" 2>/dev/null
	sleep 0.3
	echo "    5 real SMTP connections, $ok completed"
	claim "all 5 connections completed" [ "$ok" = 5 ] &&
	claim "192.0.2.20 not blocked" not is_blocked 192.0.2.20 &&
	claim "no block logged" not logged "block 192.0.2.20"
}

t_spam_bot_blocked() {
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	bot $BOT 60 300
	local reached; reached=$(wan_syns_from $BOT)
	echo "    60 SYNs at 300/s to 20 destinations: $reached reached the WAN (threshold 20)"
	claim "$BOT in blocked4" is_blocked $BOT &&
	claim "block logged with counts" logged "block $BOT mac .* conns 21/60s dsts [0-9]* for 1h (offence 1)" &&
	claim "at most threshold+2 = 22 SYNs passed" [ "$reached" -le 22 ] &&
	claim "the threshold's worth passed" [ "$reached" -ge 21 ]
}

t_spam_bot_fast_blocked() {
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	bot $BOT 200 1000
	local reached; reached=$(wan_syns_from $BOT)
	# How many pass at this rate is a figure for make bench (reaction), not a
	# pass/fail here: a loaded machine moves it. The block must happen.
	echo "    200 SYNs at 1000/s: $reached reached the WAN"
	claim "$BOT in blocked4" is_blocked $BOT &&
	claim "the block held for most of the burst" [ "$reached" -lt 100 ]
}

t_whitelisted_bot_not_blocked() {
	printf '# the LAN mail server\n192.0.2.11   # smtp relay\n' >"$LAB_DIR/whitelist"
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	bot 192.0.2.11 60 300
	local reached; reached=$(wan_syns_from 192.0.2.11)
	echo "    whitelisted sender: $reached of 60 SYNs reached the WAN"
	claim "all 60 passed" [ "$reached" = 60 ] &&
	claim "not blocked" not is_blocked 192.0.2.11 &&
	claim "not logged" not logged "block 192.0.2.11"
}

t_whitelisted_mac_not_blocked() {
	lab_host byod $BOT || { lab_host_del byod; return 1; }
	whitelisted_mac_check; local rc=$?
	lab_host_del byod
	return $rc
}

whitelisted_mac_check() {
	local mac; mac=$(host_mac byod)
	claim "the host has a MAC of its own" not [ "$mac" = "$(in_lan cat /sys/class/net/$LAB-l0/address)" ] || return 1
	printf '%s  # BYOD laptop\n' "$mac" >"$LAB_DIR/whitelist"
	write_conf "$CONF" install_rules=no
	# With install_rules = no the kernel's MAC rule is not what spares the
	# host: a log rule of our own feeds the daemon and its userspace check must.
	in_gw nft -f - <<-NFT
	table inet labfeed {
		chain f {
			type filter hook forward priority 0;
			tcp dport 25 ct state new log group 25 snaplen 128
		}
	}
	NFT
	daemon_start "$CONF" || return 1
	on_host byod bot $BOT 60 300
	in_gw nft delete table inet labfeed
	daemon_stop
	echo "    MAC $mac whitelisted; $(wan_syns_from $BOT) of 60 SYNs reached the WAN"
	claim "the daemon received all 60" logged "stopped: 60 events" &&
	claim "not blocked" not logged "block $BOT"
}

t_ipv6_bot_blocked() {
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	bot 2001:db8:1::10 60 300
	local reached; reached=$(wan_syns_from 2001:db8:1::10)
	echo "    IPv6 bot: $reached of 60 SYNs reached the WAN"
	claim "2001:db8:1::10 in blocked6" is_blocked 2001:db8:1::10 &&
	claim "at most 22 passed" [ "$reached" -le 22 ] &&
	claim "block logged" logged "block 2001:db8:1::10 "
}

t_block_expires_on_time() {
	write_conf "$CONF" block_time=2s block_time_max=1m
	daemon_start "$CONF" || return 1
	bot $BOT 30 1000
	local t0 t1 gone=
	t0=$(date +%s.%N)
	claim "blocked first" is_blocked $BOT || return 1
	for _ in $(seq 60); do
		is_blocked $BOT || { gone=1; break; }
		sleep 0.05
	done
	t1=$(date +%s.%N)
	local waited; waited=$(echo "$t1 - $t0" | bc -l 2>/dev/null || python3 -c "print($t1-$t0)")
	echo "    block of 2 s left the kernel set ${waited} s after it was seen (seen 0.3 s after the SYNs)"
	wan_counters_reset
	bot $BOT 5 100
	claim "element removed" [ -n "$gone" ] &&
	claim "removed between 1.2 and 2.5 s after being seen" \
		python3 -c "import sys; sys.exit(not 1.2 <= $waited <= 2.5)" &&
	claim "unblock logged" logged "unblock $BOT (expired)" &&
	claim "SYNs pass again" [ "$(wan_syns_from $BOT)" = 5 ]
}

t_repeat_offence_doubles() {
	write_conf "$CONF" block_time=1s block_time_max=1m
	daemon_start "$CONF" || return 1
	bot $BOT 30 1000
	sleep 1.5
	bot $BOT 30 1000 -b 30000	# new connections, not retransmits of the first
	claim "first block 1s" logged "block $BOT .* for 1s (offence 1)" &&
	claim "second block doubled" logged "block $BOT .* for 2s (offence 2)"
}

t_dry_run_blocks_nothing() {
	write_conf "$CONF"
	daemon_start "$CONF" -n || return 1
	bot $BOT 60 300
	local reached; reached=$(wan_syns_from $BOT)
	echo "    dry run: $reached of 60 SYNs reached the WAN"
	claim "all passed" [ "$reached" = 60 ] &&
	claim "nothing in blocked4" [ -z "$(blocked_elems blocked4)" ] &&
	claim "the block was logged as dry run" logged "dry-run: block $BOT " || return 1
	# The table is rebuilt from the daemon's blocks on a restore and a
	# reload: a pretended block must not reach the kernel that way either.
	in_gw nft flush ruleset
	for _ in $(seq 40); do in_gw nft list table inet nflogd >/dev/null 2>&1 && break; sleep 0.05; done
	ctl reload >/dev/null
	claim "table restored after a flush" in_gw nft list table inet nflogd &&
	claim "still nothing in blocked4 after restore and reload" [ -z "$(blocked_elems blocked4)" ] || return 1
	daemon_stop
	claim "no state file: a pretended block must not come back as a real one" \
		test ! -e "$LAB_DIR/state"
}

t_clean_stop_leaves_no_table() {
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	bot $BOT 30 1000
	daemon_stop
	claim "table gone" not in_gw nft list table inet nflogd >/dev/null 2>&1 &&
	claim "stop logged" logged "stopped: "
}

t_retransmits_count_once() {
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	bot $BOT 40 200 -P 40000 -D 1
	echo "    40 copies of one SYN: $(wan_syns_from $BOT) reached the WAN"
	claim "not blocked" not is_blocked $BOT
}

t_bad_reload_keeps_settings() {
	write_conf "$CONF" threshold=5
	daemon_start "$CONF" || return 1
	write_conf "$CONF" threshold=5 "threshold=many"
	kill -HUP "$DAEMON_PID"; sleep 0.3
	claim "error names file and line" logged "$CONF:6: threshold: expected a number" || return 1
	claim "daemon still running" kill -0 "$DAEMON_PID" || return 1
	bot $BOT 20 1000
	claim "old threshold 5 still in force" logged "block $BOT .* conns 6/" || return 1
	write_conf "$CONF" threshold=10 table=nflogd2
	kill -HUP "$DAEMON_PID"; sleep 0.3
	bot 192.0.2.30 20 1000
	claim "new threshold 10 after a good reload" logged "block 192.0.2.30 .* conns 11/" &&
	claim "table renamed" is_blocked 192.0.2.30 nflogd2 &&
	claim "old table gone" not in_gw nft list table inet nflogd >/dev/null 2>&1 &&
	claim "blocks carried over" is_blocked $BOT nflogd2
}

t_whitelist_reload_unblocks() {
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	bot $BOT 30 1000
	claim "blocked" is_blocked $BOT || return 1
	echo "192.0.2.0/28" >"$LAB_DIR/whitelist"
	kill -HUP "$DAEMON_PID"; sleep 0.3
	claim "unblocked on reload" not is_blocked $BOT &&
	claim "logged" logged "unblock $BOT (whitelisted)" &&
	claim "whitelist in allow4" bash -c "ip netns exec $GW nft list set inet nflogd allow4 | grep -q 192.0.2.0/28"
}

t_config_check() {
	write_conf "$CONF" threshold=30
	claim "-t accepts a good file" "$NFLOGD" -t -c "$CONF" >/dev/null || return 1
	echo "ports = 25,x" >>"$CONF"
	local out; out=$("$NFLOGD" -t -c "$CONF" 2>&1); local rc=$?
	echo "    $out"
	claim "-t refuses a bad one with exit 1" [ $rc = 1 ] &&
	claim "FILE:LINE: message" starts_with "$out" "$CONF:6: ports: "
}

t_malformed_events_counted() {
	# What another rule logs to our group that is not TCP (UDP to port 25)
	# is counted as not TCP and skipped, never counted as an attempt; only
	# an event whose TCP header is out of reach counts by its source
	# (t_ipv6_long_ext_chains_counted).
	write_conf "$CONF" threshold=3
	daemon_start "$CONF" || return 1
	in_gw nft add table inet labfeed
	in_gw nft add chain inet labfeed f '{ type filter hook forward priority 0; }'
	in_gw nft add rule inet labfeed f udp dport 25 log group 25 snaplen 128
	in_lan python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.40", 0))
for i in range(10): s.sendto(b"x", ("203.0.113.9", 25))'
	sleep 0.3
	in_gw nft delete table inet labfeed
	daemon_stop
	claim "UDP to port 25 did not block" not logged "block 192.0.2.40" &&
	claim "counted as not TCP in the stop line" logged "stopped: 10 events"
}

# --- the control plane: nflogctl against the running daemon ---

ctl() { "$NFLOGCTL" -s "$LAB_DIR/nflogd.sock" "$@"; }
# json_get EXPR: evaluate a Python expression over the JSON on stdin (as j).
json_get() { python3 -c "import json, sys; j = json.load(sys.stdin); print($1)"; }

t_ctl_status_and_json() {
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	bot $BOT 30 1000
	ctl status | sed 's/^/    | /'
	local j; j=$(ctl --json status) || return 1
	claim "status JSON parses (python json)" bash -c 'python3 -m json.tool >/dev/null' <<<"$j" &&
	claim "events counted" [ "$(json_get 'j["status"]["events_received"]' <<<"$j")" -ge 21 ] &&
	claim "one host blocked" [ "$(json_get 'j["status"]["hosts_blocked"]' <<<"$j")" = 1 ] &&
	claim "no loss" [ "$(json_get 'j["status"]["events_lost"]' <<<"$j")" = 0 ] &&
	claim "settings shown" [ "$(json_get 'j["status"]["threshold"]' <<<"$j")" = 20 ] &&
	claim "the block's latency measured (event timestamp to ACK)" \
		[ "$(json_get 'j["status"]["block_latency_samples"]' <<<"$j")" = 1 ] &&
	claim "... and it is between 1 us and 1 s" \
		bash -c '[ "$1" -ge 1 ] && [ "$1" -lt 1000000 ]' _ "$(json_get 'j["status"]["block_latency_max_us"]' <<<"$j")" &&
	claim "the daemon's share (wake-up to ACK) is measured, and within it" \
		bash -c '[ "$1" -ge 1 ] && [ "$1" -le "$2" ]' _ \
		"$(json_get 'j["status"]["block_handling_max_us"]' <<<"$j")" \
		"$(json_get 'j["status"]["block_latency_max_us"]' <<<"$j")"
}

t_ctl_list_top_show() {
	printf '%s\n' "0 $(in_lan cat /sys/class/net/$LAB-l0/address) 192.0.2.10 infected-pc *" >"$LAB_DIR/leases"
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	wan_listen
	lan_connect 192.0.2.20 203.0.113.5 4 >/dev/null
	bot $BOT 30 1000
	echo "    nflogctl list:"; ctl list | sed 's/^/    | /'
	echo "    nflogctl top:"; ctl top 5 | sed 's/^/    | /'
	echo "    nflogctl show $BOT:"; ctl show $BOT | sed 's/^/    | /'
	local list top show
	list=$(ctl --json list) && top=$(ctl --json top 5) && show=$(ctl --json show $BOT) || return 1
	claim "list: the bot, with its DHCP name" [ "$(json_get 'j["blocked"][0]["addr"], j["blocked"][0]["hostname"]' <<<"$list")" = "$BOT infected-pc" ] &&
	claim "list: counts and reason" [ "$(json_get 'j["blocked"][0]["conns"], j["blocked"][0]["offence"], j["blocked"][0]["reason"]' <<<"$list")" = "21 1 auto" ] &&
	claim "top: the normal host with its 4 connections" [ "$(json_get '[h["window"] for h in j["top"] if h["addr"] == "192.0.2.20"][0]' <<<"$top")" = 4 ] &&
	claim "show: why it was blocked" bash -c 'grep -q "21 new connections in 60s > threshold 20"' <<<"$show" &&
	claim "show: its destinations" [ "$(json_get 'len(j["destination"])' <<<"$show")" -ge 10 ] &&
	claim "block log line names the host" logged "block $BOT mac .* host infected-pc conns 21/60s"
}

t_ctl_block_unblock_and_errors() {
	echo "192.0.2.11" >"$LAB_DIR/whitelist"
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	local out rc
	claim "block by hand" ctl block 192.0.2.30 2h >/dev/null &&
	claim "in the kernel" is_blocked 192.0.2.30 &&
	claim "listed as manual" bash -c "grep -q 'manual'" <<<"$(ctl list)" &&
	claim "unblock by hand" ctl unblock 192.0.2.30 >/dev/null &&
	claim "gone from the kernel" not is_blocked 192.0.2.30 || return 1
	out=$(ctl unblock 192.0.2.30 2>&1); rc=$?
	echo "    $out"
	claim "unblock of a host not blocked: exit 1" [ $rc = 1 ] || return 1
	out=$(ctl block 192.0.2.11 2>&1); rc=$?
	echo "    $out"
	claim "block of a whitelisted host refused" [ $rc = 1 ] && claim "says why" starts_with "$out" "nflogctl: 192.0.2.11 is whitelisted" || return 1
	out=$(ctl show 192.0.2.999 2>&1); rc=$?
	echo "    $out"
	claim "bad address: exit 1, named" [ $rc = 1 ] && claim "names it" starts_with "$out" "nflogctl: '192.0.2.999' is not" || return 1
	ctl frobnicate >/dev/null 2>&1; rc=$?
	claim "unknown command: exit 2" [ $rc = 2 ] || return 1
	out=$("$NFLOGCTL" -s "$LAB_DIR/none.sock" status 2>&1); rc=$?
	echo "    $out"
	claim "daemon not running: exit 1 naming the socket" [ $rc = 1 ] &&
	claim "names the socket" starts_with "$out" "nflogctl: cannot reach nflogd at $LAB_DIR/none.sock" &&
	ctl block 2001:db8:1::99 0 >/dev/null &&
	claim "permanent IPv6 block" bash -c "grep -q never" <<<"$(ctl list)" &&
	claim "unblock all" [ "$(ctl --json unblock all | json_get 'j["unblocked"]["count"]')" = 1 ]
}

t_ctl_whitelist_edit() {
	printf '# our whitelist\n\n192.0.2.11   # mail server\n' >"$LAB_DIR/whitelist"
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	bot $BOT 30 1000
	claim "bot blocked" is_blocked $BOT || return 1
	cp "$LAB_DIR/whitelist" "$LAB_DIR/whitelist.before"
	local out rc
	out=$(ctl whitelist add 192.0.2.300 oops 2>&1); rc=$?
	echo "    $out"
	claim "bad entry refused" [ $rc = 1 ] &&
	claim "file unchanged byte for byte" cmp -s "$LAB_DIR/whitelist" "$LAB_DIR/whitelist.before" || return 1
	claim "add a CIDR with a comment" ctl whitelist add 192.0.2.8/29 BYOD laptops >/dev/null &&
	claim "that unblocked the bot" not is_blocked $BOT &&
	claim "comments kept, entry appended" bash -c "head -3 '$LAB_DIR/whitelist' | cmp -s - '$LAB_DIR/whitelist.before' && grep -q '^192.0.2.8/29 *# BYOD laptops' '$LAB_DIR/whitelist'" &&
	claim "in the kernel set" bash -c "ip netns exec $GW nft list set inet nflogd allow4 | grep -q 192.0.2.8/29" &&
	claim "listed" bash -c "grep -q 'BYOD laptops'" <<<"$(ctl whitelist list)" &&
	claim "del" ctl whitelist del 192.0.2.8/29 >/dev/null &&
	claim "file back as before" cmp -s "$LAB_DIR/whitelist" "$LAB_DIR/whitelist.before"
}

t_ctl_unprivileged_refused() {
	write_conf "$CONF" socket_group=nogroup
	daemon_start "$CONF" || return 1
	local out rc
	out=$(setpriv --reuid=nobody --regid=daemon --clear-groups "$NFLOGCTL" -s "$LAB_DIR/nflogd.sock" status 2>&1); rc=$?
	echo "    as nobody:daemon: $out"
	claim "refused with exit 1" [ $rc = 1 ] || return 1
	# The file mode stops them first; past it, the daemon's own check on the
	# peer's credentials must refuse too.
	chmod 755 "$LAB_DIR"; chmod 666 "$LAB_DIR/nflogd.sock"
	out=$(setpriv --reuid=nobody --regid=daemon --clear-groups "$NFLOGCTL" -s "$LAB_DIR/nflogd.sock" status 2>&1); rc=$?
	chmod 660 "$LAB_DIR/nflogd.sock"; chmod 700 "$LAB_DIR"
	echo "    past the file mode: $out"
	claim "the daemon refuses them too" [ $rc = 1 ] &&
	claim "saying why" starts_with "$out" "nflogctl: permission denied" || return 1
	# A member of socket_group is let in. $LAB_DIR is 0700: open it for the test.
	chmod 755 "$LAB_DIR"
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$NFLOGCTL" -s "$LAB_DIR/nflogd.sock" status >/dev/null; rc=$?
	chmod 700 "$LAB_DIR"
	claim "group member allowed" [ $rc = 0 ] &&
	claim "socket mode 0660 group nogroup" [ "$(stat -c '%a %G' "$LAB_DIR/nflogd.sock")" = "660 nogroup" ]
}

t_ctl_kill9_restores_blocks() {
	write_conf "$CONF" block_time=10m
	daemon_start "$CONF" || return 1
	bot $BOT 30 1000
	ctl block 192.0.2.30 1h >/dev/null
	sleep 1.3	# the state file is written within a second of a change
	kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
	claim "crash left the table (and the blocks) in place" is_blocked $BOT || return 1
	daemon_start "$CONF" || return 1
	local j; j=$(ctl --json list)
	echo "    after restart: $(ctl list | tail -n +2 | tr -s ' ' | cut -d' ' -f1,5,9 | paste -sd';')"
	claim "both blocks back in the daemon" [ "$(json_get 'sorted(b["addr"] for b in j["blocked"])' <<<"$j")" = "['192.0.2.10', '192.0.2.30']" ] &&
	claim "with their remaining time" [ "$(json_get '[b["expires_in"] for b in j["blocked"] if b["addr"] == "192.0.2.10"][0]' <<<"$j")" -le 599 ] &&
	claim "and in the kernel" is_blocked 192.0.2.30 &&
	claim "restore logged" logged "state: 2 blocks" || return 1
	ctl unblock $BOT >/dev/null
	bot $BOT 30 1000 -b 30000
	claim "escalation survived the restart" logged "block $BOT .* for 20m (offence 2)"
}

t_ctl_corrupt_state_moved_aside() {
	write_conf "$CONF"
	printf 'this is not a state file\n' >"$LAB_DIR/state"
	daemon_start "$CONF" || return 1
	claim "daemon started anyway" kill -0 "$DAEMON_PID" &&
	claim "logged, moved aside" logged "moved it aside to $LAB_DIR/state.corrupt-" &&
	claim "the corrupt file kept" bash -c "ls '$LAB_DIR'/state.corrupt-* >/dev/null" &&
	# Not a state file at all (its first line) goes whole; a bad line of a
	# state file goes alone (t_state_bad_lines_set_aside).
	claim "no line set aside" not [ -e "$LAB_DIR/state.bad" ]
}

t_on_block_program() {
	cat >"$LAB_DIR/hook" <<-EOF2
	#!/bin/sh
	env | grep ^NFLOGD_ | sort >>"$LAB_DIR/hook.out"; echo --- >>"$LAB_DIR/hook.out"
	EOF2
	chmod +x "$LAB_DIR/hook"
	write_conf "$CONF" on_block="$LAB_DIR/hook" block_time=1s block_time_max=1m
	daemon_start "$CONF" || return 1
	bot $BOT 30 1000
	sleep 1.5
	sed 's/^/    | /' "$LAB_DIR/hook.out"
	claim "ran on block" grep -q "NFLOGD_ACTION=block" "$LAB_DIR/hook.out" &&
	claim "with the address" grep -q "NFLOGD_ADDR=$BOT" "$LAB_DIR/hook.out" &&
	claim "and the counts" grep -q "NFLOGD_CONNS=21" "$LAB_DIR/hook.out" &&
	claim "ran on unblock" grep -q "NFLOGD_ACTION=unblock" "$LAB_DIR/hook.out"
}

# --- reliability ---

t_table_restored_after_flush() {
	echo "192.0.2.11  # mail" >"$LAB_DIR/whitelist"
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	bot $BOT 30 1000
	ctl block 2001:db8:1::99 1h >/dev/null
	local how t0 t1 back
	for how in "flush ruleset" "delete table inet nflogd"; do
		t0=$(date +%s%N); back=
		in_gw nft $how
		for _ in $(seq 40); do
			if is_blocked $BOT && is_blocked 2001:db8:1::99 &&
			   in_gw nft list set inet nflogd allow4 2>/dev/null | grep -q 192.0.2.11; then
				back=1; break
			fi
			sleep 0.025
		done
		t1=$(date +%s%N)
		echo "    nft $how: table, whitelist and both blocks back after $(( (t1 - t0) / 1000000 )) ms"
		claim "restored ($how)" [ -n "$back" ] &&
		claim "within 1 s" [ $(( (t1 - t0) / 1000000 )) -lt 1000 ] || return 1
		wan_counters_reset
	done
	bot $BOT 5 100 -b 40000
	claim "the restored block holds" [ "$(wan_syns_from $BOT)" = 0 ] &&
	claim "restore logged" logged "table inet nflogd restored (2 blocks, 1 whitelist entries)"
}

t_overrun_counted_exactly() {
	# The daemon stops reading (SIGSTOP) while a flood fills its socket
	# buffer; every event the kernel logged is then either received or
	# counted lost, exactly.
	write_conf "$CONF" threshold=1000000 max_hosts=65536
	daemon_start "$CONF" || return 1
	in_gw nft -f - <<-'NFT'
	table inet labcount {
		chain f {
			type filter hook forward priority -20;
			tcp dport 25 ct state new counter
		}
	}
	NFT
	kill -STOP "$DAEMON_PID"
	in_lan "$SYNFLOOD" -s 198.18.0.1 -S 5000 -d 203.0.113.1 -D 200 -c 200000 -r 0 >/dev/null
	kill -CONT "$DAEMON_PID"
	sleep 1
	# Loss shows as a gap in the kernel's sequence numbers, so it is counted
	# exactly when the next event arrives: send one.
	in_lan "$SYNFLOOD" -s 198.18.100.1 -d 203.0.113.1 -c 1 >/dev/null
	sleep 0.5
	local logged_kernel j rcv lost
	logged_kernel=$(in_gw nft list chain inet labcount f | awk '/counter packets/ { print $(NF - 2) }')
	j=$(ctl --json status)
	rcv=$(json_get 'j["status"]["events_received"]' <<<"$j")
	lost=$(json_get 'j["status"]["events_lost"]' <<<"$j")
	in_gw nft delete table inet labcount
	echo "    kernel logged $logged_kernel; daemon received $rcv, counted $lost lost; overruns $(json_get 'j["status"]["overruns"]' <<<"$j")"
	claim "some were lost (the test did overrun)" [ "$lost" -gt 0 ] &&
	claim "received + lost = logged by the kernel" [ $((rcv + lost)) = "$logged_kernel" ] &&
	claim "ENOBUFS seen" [ "$(json_get 'j["status"]["overruns"]' <<<"$j")" -ge 1 ] &&
	claim "the socket's dropped datagrams shown" [ "$(json_get 'j["status"]["datagrams_dropped"]' <<<"$j")" -ge 1 ] &&
	claim "the overrun logged at once" logged "receive buffer overrun: events lost" &&
	# The count is logged at the next housekeeping, up to a second later.
	claim "loss logged" within 2 logged "lost $lost events (receive buffer overrun" &&
	claim "still working" ctl status >/dev/null
}

t_hostile_control_clients() {
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	local fds_before fds_after
	fds_before=$(ls /proc/$DAEMON_PID/fd | wc -l)
	in_gw python3 - "$LAB_DIR/nflogd.sock" <<-'PY'
	import socket, sys, time
	path = sys.argv[1]
	def conn():
	    s = socket.socket(socket.AF_UNIX); s.connect(path); return s
	# oversized request
	s = conn(); s.sendall(b"x" * 5000)
	r = s.recv(200); assert r.startswith(b"error request longer"), r
	# garbage (a NUL is refused as such)
	s = conn(); s.sendall(b"\x00\xff\xfe garbage\n"); r = s.recv(200)
	assert r.startswith(b"error request holds a NUL byte"), r
	s = conn(); s.sendall(b"\xff\xfe garbage\n"); r = s.recv(200)
	assert r.startswith(b"error unknown command"), r
	# 200 concurrent clients, half-open and silent
	idle = [conn() for _ in range(200)]
	# a client that sends half a line and stalls
	slow = conn(); slow.sendall(b"stat")
	# meanwhile the daemon still answers
	s = conn(); s.sendall(b"status\n"); r = s.recv(100)
	assert r.startswith(b"ok"), r
	for c in idle: c.close()
	slow.close()
	print("    hostile clients: oversized, garbage, 200 idle, 1 stalled: daemon answered")
	PY
	[ $? = 0 ] || return 1
	bot $BOT 30 1000
	# The daemon drops each closed client when it reads its EOF: give a
	# loaded machine up to 2 s to get there.
	for _ in $(seq 20); do
		fds_after=$(ls /proc/$DAEMON_PID/fd | wc -l)
		[ "$fds_after" = "$fds_before" ] && break
		sleep 0.1
	done
	echo "    open fds before $fds_before, after $fds_after"
	claim "still blocking while clients misbehave" is_blocked $BOT &&
	claim "no fd leaked" [ "$fds_after" = "$fds_before" ]
}

t_least_privilege() {
	write_conf "$CONF" on_block="$LAB_DIR/hook"
	printf '#!/bin/sh\ngrep ^Cap /proc/self/status >"%s/hook.caps"\n' "$LAB_DIR" >"$LAB_DIR/hook"
	chmod +x "$LAB_DIR/hook"
	daemon_start "$CONF" || return 1
	local eff bnd
	eff=$(awk '/^CapEff/ { print $2 }' /proc/$DAEMON_PID/status)
	bnd=$(awk '/^CapBnd/ { print $2 }' /proc/$DAEMON_PID/status)
	echo "    running daemon: CapEff $eff CapBnd $bnd (CAP_NET_ADMIN alone is 0000000000001000)"
	bot $BOT 30 1000
	claim "still blocks with CAP_NET_ADMIN alone" is_blocked $BOT &&
	claim "effective: only CAP_NET_ADMIN" [ "$eff" = 0000000000001000 ] &&
	claim "bounding set too" [ "$bnd" = 0000000000001000 ] &&
	claim "an on_block program gets no more" bash -c "sleep 0.3; grep -q 'CapEff:.0000000000000000\|CapEff:.0000000000001000' '$LAB_DIR/hook.caps'" &&
	claim "the state file is still written" bash -c "sleep 1; grep -q '^$BOT ' '$LAB_DIR/state'"
}

t_spoofed_flood_bounded() {
	# 300 000 SYNs from 100 000 spoofed sources, with a real bot among them:
	# memory stays within max_hosts, and the bot is still blocked.
	write_conf "$CONF" max_hosts=4096
	daemon_start "$CONF" || return 1
	local rss0 rss1 j
	rss0=$(awk '/^VmRSS/ { print $2 }' /proc/$DAEMON_PID/status)
	in_lan "$SYNFLOOD" -s 198.18.0.1 -S 100000 -d 203.0.113.1 -D 200 -c 300000 -r 0 >/dev/null &
	local flood=$!
	sleep 0.2
	bot $BOT 60 1000
	wait $flood
	sleep 0.5
	rss1=$(awk '/^VmRSS/ { print $2 }' /proc/$DAEMON_PID/status)
	j=$(ctl --json status)
	echo "    tracked $(json_get 'j["status"]["hosts_tracked"]' <<<"$j"), evicted $(json_get 'j["status"]["hosts_evicted"]' <<<"$j"), received $(json_get 'j["status"]["events_received"]' <<<"$j"), lost $(json_get 'j["status"]["events_lost"]' <<<"$j"); RSS $rss0 -> $rss1 KiB"
	claim "the bot is blocked in the flood" is_blocked $BOT &&
	claim "tracked hosts within max_hosts" [ "$(json_get 'j["status"]["hosts_tracked"]' <<<"$j")" -le 4096 ] &&
	claim "the cap evicted hosts" [ "$(json_get 'j["status"]["hosts_evicted"]' <<<"$j")" -gt 0 ] &&
	claim "RSS grew by less than 16 MiB" [ $((rss1 - rss0)) -lt 16384 ]
}

# 2000 bots crossing at once: big batches go out with the nf_tables monitor
# paused, and the log holds back lines past 100 a second but counts them.
# Sources and ports of their own: the spoofed flood's connections are still
# in conntrack, and a SYN of a known connection is not "ct state new".
t_block_storm() {
	write_conf "$CONF" threshold=1 max_hosts=8192 max_blocked=10000
	daemon_start "$CONF" || return 1
	in_lan "$SYNFLOOD" -s 198.19.0.1 -S 2000 -d 203.0.113.1 -D 200 -c 4000 -b 50000 -r 0 >/dev/null
	local j blocks=0 inset lines held
	for _ in $(seq 60); do
		j=$(ctl --json status); blocks=$(json_get 'j["status"]["blocks"]' <<<"$j")
		[ "$blocks" = 2000 ] && break
		sleep 0.1
	done
	inset=$(blocked_elems blocked4 | grep -c '^198\.19\.')
	sleep 2.2	# the held lines are told after their second, at housekeeping
	j=$(ctl --json status)
	lines=$(grep -c ' block 198\.19\.\|^block 198\.19\.' "$LAB_DIR/daemon.log")
	held=$(grep -o '[0-9]* more block, unblock and on_block lines not written' \
		"$LAB_DIR/daemon.log" | awk '{ s += $1 } END { print s + 0 }')
	echo "    blocks $blocks, in the kernel set $inset; block lines written $lines, held back and counted $held"
	claim "all 2000 blocked" [ "$blocks" = 2000 ] &&
	claim "all 2000 in the kernel set" [ "$inset" = 2000 ] &&
	claim "lines held back in the storm" [ "$lines" -lt 2000 ] &&
	claim "every block written or counted" [ $((lines + held)) = 2000 ] &&
	claim "kernel batching back to one event per datagram after the storm" \
		[ "$(json_get 'j["status"]["kernel_batching"]' <<<"$j")" = 1 ] || return 1
	# The monitor is listening again after its pauses: a flush is undone.
	in_gw nft flush ruleset
	for _ in $(seq 40); do
		[ "$(blocked_elems blocked4 | grep -c '^198\.19\.')" = 2000 ] && break
		sleep 0.05
	done
	claim "table with all 2000 blocks restored after nft flush ruleset" \
		[ "$(blocked_elems blocked4 | grep -c '^198\.19\.')" = 2000 ]
}

# Someone flushes our chain again and again while 2000 bots cross at once:
# flushes seen by the monitor are undone at once; those that land while a
# big batch goes out unmonitored are found by the ruleset generation (it
# moved by more than our own commits) and a count of the table's rules.
t_flush_during_storm() {
	write_conf "$CONF" threshold=1 max_hosts=8192 max_blocked=10000
	daemon_start "$CONF" || return 1
	local rules0 rules1 n=0 inset j
	rules0=$(in_gw nft -a list table inet nflogd | grep -c '# handle')
	( for _ in $(seq 150); do in_gw nft flush chain inet nflogd forward 2>/dev/null; sleep 0.01; done ) &
	local flusher=$!
	in_lan "$SYNFLOOD" -s 198.19.16.1 -S 2000 -d 203.0.113.1 -D 200 -c 4000 -b 52000 -r 0 >/dev/null
	wait $flusher
	for _ in $(seq 40); do
		rules1=$(in_gw nft -a list table inet nflogd 2>/dev/null | grep -c '# handle')
		[ "$rules1" = "$rules0" ] && break
		sleep 0.05
	done
	sleep 1.2	# a check left for the housekeeping tick
	rules1=$(in_gw nft -a list table inet nflogd 2>/dev/null | grep -c '# handle')
	inset=$(blocked_elems blocked4 | grep -c '^198\.19\.')
	j=$(ctl --json status)
	n=$(grep -c 'found changed after a batch sent unmonitored' "$LAB_DIR/daemon.log")
	echo "    rules $rules0 before, $rules1 after; $inset in blocked4 of $(json_get 'j["status"]["blocks"]' <<<"$j") blocks;" \
		"$(json_get 'j["status"]["table_restores"]' <<<"$j") restores, $n of them found by the generation check"
	claim "the chain's rules are all back" [ "$rules1" = "$rules0" ] &&
	# Not every bot: SYNs that pass while the chain is empty are not logged.
	claim "every block in the kernel" [ "$inset" = "$(json_get 'j["status"]["blocks"]' <<<"$j")" ] &&
	claim "restores happened" [ "$(json_get 'j["status"]["table_restores"]' <<<"$j")" -ge 1 ]
}

t_max_blocked_cap() {
	write_conf "$CONF" threshold=2 max_blocked=3 block_time=10m
	daemon_start "$CONF" || return 1
	local h
	for h in 10 11 20 30; do bot 192.0.2.$h 5 1000; sleep 0.1; done
	ctl list | sed 's/^/    | /'
	claim "three blocked" [ "$(ctl --json list | json_get 'len(j["blocked"])')" = 3 ] &&
	claim "the newest offender is blocked" is_blocked 192.0.2.30 &&
	claim "the one nearest its end made room" not is_blocked 192.0.2.10 &&
	claim "logged" logged "unblock 192.0.2.10 (max_blocked 3 reached" &&
	claim "counted in status" [ "$(status_of released_early_cap)" = 1 ] || return 1
	ctl block 192.0.2.40 0 >/dev/null; ctl block 192.0.2.20 0 >/dev/null; ctl block 192.0.2.30 0 >/dev/null
	bot 192.0.2.11 5 1000 -b 20000
	claim "with only permanent blocks, a new one is refused and logged" logged "cannot block 192.0.2.11: max_blocked 3 reached"
}

t_cap_release_in_one_wakeup() {
	# Two bots in one burst with room for one block: they push each other
	# out; whatever order the wake-ups take, the kernel must end up holding
	# exactly the daemon's one block (a release queued in the same wake-up
	# as its block must withdraw the add).
	write_conf "$CONF" threshold=2 max_blocked=1
	daemon_start "$CONF" || return 1
	in_lan "$SYNFLOOD" -s 192.0.2.10 -S 2 -d 203.0.113.1 -D 5 -c 12 -r 0 >/dev/null
	sleep 0.3
	local n; n=$(blocked_elems blocked4 | wc -l)
	echo "    blocked4 holds: $(blocked_elems blocked4 | paste -sd' '); $(grep -c '^block' "$LAB_DIR/daemon.log") blocks logged"
	claim "exactly one element in the kernel" [ "$n" = 1 ] &&
	claim "the daemon agrees" [ "$(ctl --json list | json_get 'j["blocked"][0]["addr"]')" = "$(blocked_elems blocked4)" ]
}

t_daemon_expires_without_set_timeouts() {
	write_conf "$CONF" set_timeouts=no block_time=2s block_time_max=1m
	daemon_start "$CONF" || return 1
	claim "sets without the timeout flag" not bash -c "ip netns exec $GW nft list set inet nflogd blocked4 | grep -q timeout" || return 1
	claim "status: the daemon expires blocks" \
		[ "$(ctl --json status | json_get 'j["status"]["expiry"]')" = daemon ] || return 1
	bot $BOT 30 1000
	claim "blocked" is_blocked $BOT || return 1
	sleep 2.2
	claim "the daemon removed it on time" not is_blocked $BOT &&
	claim "logged" logged "unblock $BOT (expired)" &&
	claim "said why" logged "set_timeouts = no"
}

# --- control plane under load, hostile output, protocol edges ---

# ctl_state_blocks FILE N: a state file with N timed blocks, 198.18.0.1 on.
ctl_state_blocks() {
	local now; now=$(date +%s)
	{
		echo "# nflogd state 1"
		awk -v n="$2" -v now="$now" 'BEGIN { for (k = 1; k <= n; k++) { a = 198 * 16777216 + 18 * 65536 + k;
			printf "%d.%d.%d.%d blocked=1 reason=auto offences=1 conns=21 dsts=5 since=%d expires=%d last_end=0 mac=-\n",
				int(a / 16777216), int(a / 65536) % 256, int(a / 256) % 256, a % 256, now - k, now + 3600 } }'
	} >"$1"
}
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

# 250 clients ask for the list of 50 000 blocks and never read it: the
# daemon holds one slice per reply at most (and refuses past its cap), and
# NFLOG is drained between slices, so a bot is blocked as on a quiet day.
t_ctl_list_flood_keeps_blocking() {
	ctl_state_blocks "$LAB_DIR/state" 50000
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	local rss0 rss1 rss2 reached j flood
	rss0=$(rss_kb "$DAEMON_PID")
	in_gw /usr/bin/python3 - "$LAB_DIR/nflogd.sock" <<-'PY' &
	import socket, sys, time
	held = []
	for _ in range(250):
	    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
	    s.sendall(b"list\n"); held.append(s)
	time.sleep(4)
	PY
	flood=$!
	sleep 1
	bot $BOT 60 300
	reached=$(wan_syns_from $BOT)
	rss1=$(rss_kb "$DAEMON_PID")
	local during; during=$(ctl --json status 2>&1)
	sleep 1
	rss2=$(rss_kb "$DAEMON_PID")
	wait $flood
	j=$(ctl --json status) || return 1
	echo "    250 list clients that never read, 50000 blocks: $reached of 60 bot SYNs reached the WAN;"
	echo "    daemon RSS ${rss0} kB before, ${rss1} / ${rss2} kB during; busy refusals $(json_get 'j["status"]["control_busy"]' <<<"$j")"
	claim "the bot is blocked" is_blocked $BOT &&
	claim "at most threshold+3 = 23 SYNs passed" [ "$reached" -le 23 ] &&
	claim "status answered during the flood (short replies are never busy)" \
		[ "$(json_get 'j["status"]["hosts_blocked"]' <<<"$during")" = 50001 ] &&
	claim "the daemon grew by less than 24 MB" [ $((rss1 - rss0)) -lt 24576 ] && [ $((rss2 - rss0)) -lt 24576 ] &&
	claim "replies past the memory cap refused as busy, and counted" \
		[ "$(json_get 'j["status"]["control_busy"]' <<<"$j")" -ge 1 ] &&
	claim "a list still works afterwards: all 50001 rows" \
		[ "$(ctl --json list | json_get 'len(j["blocked"])')" = 50001 ]
}

# nflogctl prints every row (a fixed table of 1024 rows cut it at 1023).
t_ctl_list_all_rows() {
	ctl_state_blocks "$LAB_DIR/state" 1500
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	local out rows
	out=$(ctl list) || return 1
	rows=$(tail -n +2 <<<"$out" | wc -l)
	echo "    1500 blocks: nflogctl list printed $rows rows; first and last:"
	sed -n '2p;$p' <<<"$out" | sed 's/^/    | /'
	claim "all 1500 rows" [ "$rows" = 1500 ] &&
	claim "oldest first" bash -c 'tail -n +2 | awk "{ print \$4, \$5 }" | sort -c' <<<"$out" &&
	claim "--json has all 1500 too" [ "$(ctl --json list | json_get 'len(j["blocked"])')" = 1500 ] || return 1
	# Every record type, not the first 16: a stand-in server with 20 kinds.
	ip netns exec "$GW" /usr/bin/python3 - "$LAB_DIR/kinds.sock" <<-'PY' &
	import socket, sys
	srv = socket.socket(socket.AF_UNIX); srv.bind(sys.argv[1]); srv.listen(1)
	c, _ = srv.accept(); c.recv(100)
	c.sendall(b"ok\n" + b"".join(b"type=kind%d\t#n=%d\n" % (i, i) for i in range(20)) + b"end\n"); c.close()
	PY
	local srv=$! kinds
	for _ in $(seq 50); do [ -S "$LAB_DIR/kinds.sock" ] && break; sleep 0.05; done
	kinds=$("$NFLOGCTL" -s "$LAB_DIR/kinds.sock" --json list | json_get 'sum(1 for k in j if k.startswith("kind"))')
	wait $srv
	echo "    a reply with 20 record types: --json shows $kinds"
	claim "--json shows all 20 record types" [ "$kinds" = 20 ]
}

# Requests ending in CRLF or in a shutdown, NUL refused, a reply to a slow
# reader cut at the timeout without its end line, and nflogctl telling.
t_ctl_protocol_edges() {
	ctl_state_blocks "$LAB_DIR/state" 50000
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	in_gw /usr/bin/python3 - "$LAB_DIR/nflogd.sock" <<-'PY' || return 1
	import socket, sys, time
	path = sys.argv[1]
	def ask(data, shut=False, wait=0):
	    s = socket.socket(socket.AF_UNIX); s.connect(path); s.sendall(data)
	    if shut: s.shutdown(socket.SHUT_WR)
	    if wait: time.sleep(wait)
	    out = b""
	    s.settimeout(10)
	    while True:
	        b = s.recv(65536)
	        if not b: return out
	        out += b
	r = ask(b"status\r\n"); assert r.startswith(b"ok\ntype=status") and r.endswith(b"\nend\n"), r[:80]
	r = ask(b"top 1\r\n"); assert r.startswith(b"ok\n"), r[:80]
	r = ask(b"status", shut=True); assert r.startswith(b"ok\ntype=status") and r.endswith(b"\nend\n"), r[:80]
	r = ask(b"sta\x00tus\n"); assert r.startswith(b"error request holds a NUL byte"), r
	r = ask(b"list\rstatus\n"); assert r.startswith(b"error request holds control byte 0x0d"), r
	r = ask(b"list\n", wait=6)
	assert r.startswith(b"ok\n") and not r.endswith(b"\nend\n"), r[-80:]
	print("    CRLF, shutdown without newline, NUL, CR: answered; slow reader: %d bytes, cut, no end line" % len(r))
	PY
	claim "the cut counted" [ "$(ctl --json status | json_get 'j["status"]["control_cut"]')" -ge 1 ] || return 1
	# nflogctl against a reply cut short (a stand-in server).
	in_gw /usr/bin/python3 - "$LAB_DIR/cut.sock" <<-'PY' &
	import os, socket, sys
	srv = socket.socket(socket.AF_UNIX); srv.bind(sys.argv[1]); srv.listen(1)
	c, _ = srv.accept(); c.recv(100)
	c.sendall(b"ok\ntype=blocked\taddr=192.0.2.1\t#since=1\n"); c.close()
	PY
	local srv=$! err rc
	for _ in $(seq 50); do [ -S "$LAB_DIR/cut.sock" ] && break; sleep 0.05; done
	err=$("$NFLOGCTL" -s "$LAB_DIR/cut.sock" list 2>&1 >/dev/null); rc=$?
	wait $srv
	echo "    nflogctl on a cut reply: exit $rc: $err"
	claim "nflogctl exits 1" [ "$rc" = 1 ] &&
	claim "and says the reply is incomplete" starts_with "$err" "nflogctl: incomplete reply"
}

# Hand-edited whitelist comments with invalid UTF-8, ESC, C1 CSI, CR and a
# bidi override; a NUL byte; a reload error quoting such bytes: JSON stays
# valid UTF-8, the terminal and the log get no control character.
t_ctl_output_escaped() {
	printf '192.0.2.11 # bad \377 utf8\n192.0.2.12 # \033[2J esc \302\233 csi\n192.0.2.13 # before\rafter\n192.0.2.14 # rlo \342\200\256wolla\342\200\254\n' \
		>"$LAB_DIR/whitelist"
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	local j human err
	j=$(ctl --json whitelist list) || return 1
	human=$(ctl whitelist list) || return 1
	sed 's/^/    | /' <<<"$human"
	claim "JSON is valid UTF-8 and parses" /usr/bin/python3 -c \
		'import json, sys; d = json.loads(sys.stdin.buffer.read().decode("utf-8")); assert len(d["whitelist"]) == 4' <<<"$j" &&
	claim "JSON keeps the text after the CR" grep -q 'before\\u000dafter' <<<"$j" &&
	claim "human output: no ESC, CSI, CR or invalid byte" \
		not env LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f\x9b\xff]' <<<"$human" &&
	claim "human output: the text after the CR shown" grep -q 'before\\rafter' <<<"$human" &&
	claim "... and the ESC and CSI made visible" grep -q '\\x1b\[2J esc \\u009b csi' <<<"$human" &&
	claim "human output: no bidi override, shown as \\u202e" \
		not env LC_ALL=C grep -qF $'\xe2\x80\xae' <<<"$human" &&
	claim "... as is the pop" grep -q 'rlo \\u202ewolla\\u202c' <<<"$human" &&
	claim "JSON has it as \\u202e too" grep -q 'rlo \\u202ewolla\\u202c' <<<"$j" || return 1
	printf '192.0.2.60 # nul\000x\n' >"$LAB_DIR/whitelist"
	err=$(ctl reload 2>&1 >/dev/null)
	echo "    reload: $err"
	claim "a NUL byte is named with its file and line" \
		grep -q "$LAB_DIR/whitelist:1: NUL byte in line" <<<"$err" || return 1
	printf '192.0.2.11\n\033]0;owned\007\302\233bad\n' >"$LAB_DIR/whitelist"
	err=$(ctl reload 2>&1 >/dev/null)
	echo "    reload: $err"
	local check; check=$("$NFLOGD" -t -c "$CONF" 2>&1)
	echo "    nflogd -t: $check"
	claim "nflogd -t shows the bad line escaped" grep -q '\\x1b\]0;owned\\x07\\u009bbad' <<<"$check" &&
	claim "the reload is refused" grep -q "reload refused" <<<"$err" &&
	claim "its message reaches the terminal without controls" \
		not env LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f\x9b]' <<<"$err" &&
	claim "and the log neither" not env LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f\x9b]' "$LAB_DIR/daemon.log" &&
	claim "the log has the escaped text" grep -q '\\x1b\]0;owned\\x07\\u009bbad' "$LAB_DIR/daemon.log"
}

# The on_block program gets stdin, stdout and stderr only, even when the
# daemon holds descriptors without close-on-exec (here two it inherited).
t_on_block_fds_closed() {
	printf '#!/usr/bin/python3 -S\nimport os\nfds = " ".join(sorted(os.listdir("/proc/self/fd"), key=int))\nopen("%s/hook.fds", "a").write(fds + "\\n")\n' \
		"$LAB_DIR" >"$LAB_DIR/hook"
	chmod +x "$LAB_DIR/hook"
	write_conf "$CONF" on_block="$LAB_DIR/hook"
	daemon_start "$CONF" 7<"$CONF" 9<"$CONF" || return 1
	bot $BOT 30 1000
	for _ in $(seq 20); do [ -s "$LAB_DIR/hook.fds" ] && break; sleep 0.1; done
	echo "    daemon fds: $(ls /proc/$DAEMON_PID/fd | sort -n | tr '\n' ' ')"
	echo "    the on_block program's fds (its listing's own is the last): $(cat "$LAB_DIR/hook.fds" 2>/dev/null)"
	claim "the program ran" [ -s "$LAB_DIR/hook.fds" ] &&
	claim "0, 1, 2 and its own listing's, nothing more" [ "$(head -n1 "$LAB_DIR/hook.fds")" = "0 1 2 3" ]
}

# A socket_group the system lacks: nflogd -t names FILE:LINE, start fails.
t_socket_group_checked() {
	write_conf "$CONF" socket_group=nflogd-no-such-group
	local out rc
	out=$("$NFLOGD" -t -c "$CONF" 2>&1); rc=$?
	echo "    nflogd -t: exit $rc: $out"
	claim "nflogd -t fails" [ "$rc" = 1 ] &&
	claim "naming the file and line" [ "$out" = "$CONF:5: socket_group: no such group: 'nflogd-no-such-group'" ] || return 1
	ip netns exec "$GW" "$NFLOGD" -f -c "$CONF" >"$LAB_DIR/daemon.log" 2>&1; rc=$?
	claim "start fails too" [ "$rc" = 1 ] &&
	claim "with the same line" grep -q "$CONF:5: socket_group: no such group" "$LAB_DIR/daemon.log"
}

t_systemd_notify_ready() {
	# Type=notify: READY=1 arrives only once the table is in the kernel.
	write_conf "$CONF"
	python3 - "$LAB_DIR/notify.sock" "$GW" >"$LAB_DIR/notify.out" <<-'PY' &
	import socket, subprocess, sys
	s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(5)
	msg = s.recv(100).decode()
	ok = subprocess.run(["ip", "netns", "exec", sys.argv[2], "nft", "list", "table", "inet", "nflogd"],
	                    capture_output=True).returncode == 0
	print(msg, "table-present" if ok else "table-missing")
	PY
	local listener=$!
	for _ in $(seq 50); do [ -S "$LAB_DIR/notify.sock" ] && break; sleep 0.05; done
	NOTIFY_SOCKET=$LAB_DIR/notify.sock daemon_start "$CONF" || return 1
	wait $listener
	echo "    notify socket got: $(cat "$LAB_DIR/notify.out")"
	claim "READY=1 with the table already there" grep -qx "READY=1 table-present" "$LAB_DIR/notify.out"
}

# --- the kernel's sets and the state file (issue 12: items 5, 8, 11) ---

# until_true TRIES CMD...: CMD every 25 ms until it holds; prints the ms taken.
until_true() {
	local tries=$1 t0; shift
	t0=$(date +%s%N)
	for _ in $(seq "$tries"); do
		"$@" && { echo $(( ($(date +%s%N) - t0) / 1000000 )); return 0; }
		sleep 0.025
	done
	return 1
}
status_of() { ctl --json status | json_get "j['status']['$1']"; }
allowed4() { in_gw nft list set inet nflogd allow4 2>/dev/null | grep -q -- "$1"; }

t_flushed_set_restored() {
	echo "192.0.2.11  # mail" >"$LAB_DIR/whitelist"
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	bot $BOT 30 1000
	ctl block 192.0.2.30 1h >/dev/null
	claim "blocked before" is_blocked $BOT || return 1
	local ms
	in_gw nft flush set inet nflogd blocked4
	ms=$(until_true 40 eval 'is_blocked $BOT && is_blocked 192.0.2.30')
	echo "    nft flush set blocked4: both blocks back after ${ms:-never} ms"
	claim "both back within 1 s" [ -n "$ms" ] &&
	claim "logged" logged "table inet nflogd: restored 2 elements of blocked4" &&
	claim "counted" [ "$(status_of elements_restored)" = 2 ] &&
	claim "table_restores rose" [ "$(status_of table_restores)" -ge 1 ] || return 1
	wan_counters_reset
	bot $BOT 5 100 -b 40000
	claim "the restored block holds: no SYN reached the WAN" [ "$(wan_syns_from $BOT)" = 0 ] || return 1

	in_gw nft delete element inet nflogd blocked4 '{ 192.0.2.30 }'
	ms=$(until_true 40 is_blocked 192.0.2.30)
	echo "    one element deleted by hand: back after ${ms:-never} ms"
	claim "back within 1 s" [ -n "$ms" ] &&
	claim "logged" logged "table inet nflogd: restored 1 elements of blocked4" || return 1

	in_gw nft flush set inet nflogd allow4
	ms=$(until_true 40 allowed4 192.0.2.11)
	echo "    nft flush set allow4: whitelist back after ${ms:-never} ms"
	claim "whitelist back within 1 s" [ -n "$ms" ] &&
	claim "logged" logged "restored (2 blocks, 1 whitelist entries), 2 of the 2 elements of allow4 were gone" &&
	claim "blocks kept through the rebuild" is_blocked $BOT || return 1

	# A whitelist entry slipped in by hand would let a "blocked" host through.
	in_gw nft add element inet nflogd allow4 '{ 192.0.2.30 }'
	ms=$(until_true 40 not allowed4 192.0.2.30)
	echo "    an element added to allow4 by hand: gone after ${ms:-never} ms"
	claim "gone within 1 s" [ -n "$ms" ] &&
	claim "logged" logged "allow4 held 2 elements the whitelist does not" &&
	claim "the whitelist itself kept" allowed4 192.0.2.11
}

# A block the daemon let expire is no tampering: nothing is put back.
t_expired_block_not_restored() {
	write_conf "$CONF" block_time=2s block_time_max=1m
	daemon_start "$CONF" || return 1
	bot $BOT 30 1000
	claim "blocked" is_blocked $BOT || return 1
	ctl block 192.0.2.30 1h >/dev/null
	sleep 2.5
	in_gw nft delete element inet nflogd blocked4 '{ 192.0.2.30 }'	# a notification to look
	until_true 40 is_blocked 192.0.2.30 >/dev/null
	claim "the expired block stays gone" not is_blocked $BOT &&
	claim "only the deleted one was restored" logged "restored 1 elements of blocked4" &&
	claim "no expired one restored" not logged "restored 2 elements"
}

# kill -9 right after a block: the kernel's table still holds it, and the
# restart takes it from there, offence and all. The first part makes the
# state file unwritable (its directory is a file) so that only the kernel
# knows: it cannot pass by the state file's luck.
t_kill9_right_after_block() {
	: >"$LAB_DIR/notadir"
	write_conf "$CONF" block_time=10m state_file="$LAB_DIR/notadir/state"
	daemon_start "$CONF" || return 1
	bot $BOT 30 1000
	ctl block 192.0.2.30 2h >/dev/null
	ctl block 192.0.2.40 0 >/dev/null
	kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
	claim "the crash left the block in the kernel" is_blocked $BOT || return 1
	daemon_start "$CONF" || return 1
	local j; j=$(ctl --json list)
	echo "    after restart: $(ctl list | tail -n +2 | tr -s ' ' | paste -sd';')"
	claim "the blocks are back in the daemon" [ "$(json_get 'sorted(b["addr"] for b in j["blocked"])' <<<"$j")" = "['$BOT', '192.0.2.30', '192.0.2.40']" ] &&
	claim "the bot's as offence 1, its time left" [ "$(json_get '[(b["offence"], b["reason"], b["expires_in"] <= 600) for b in j["blocked"] if b["addr"] == "'$BOT'"][0]' <<<"$j")" = "(1, 'auto', True)" ] &&
	claim "the 2h one by hand, its time left" [ "$(json_get '[(b["reason"], 7000 < b["expires_in"] <= 7200) for b in j["blocked"] if b["addr"] == "192.0.2.30"][0]' <<<"$j")" = "('manual', True)" ] &&
	claim "the permanent one by hand, still permanent" [ "$(json_get '[(b["reason"], b.get("expires")) for b in j["blocked"] if b["addr"] == "192.0.2.40"][0]' <<<"$j")" = "('manual', 'never')" ] &&
	claim "and in the kernel" is_blocked $BOT &&
	claim "logged" logged "block $BOT (auto, offence 1) found only in the kernel" || return 1
	claim "unblock works" ctl unblock $BOT >/dev/null &&
	claim "gone from the kernel" not is_blocked $BOT || return 1
	bot $BOT 30 1000 -b 30000
	claim "the next burst is offence 2" logged "block $BOT .* for 20m (offence 2)" || return 1

	# With a writable state file: the first offence saved and ended, then
	# a second block and kill -9 at once. Whether or not its save made it,
	# the restart has offence 2 blocked, and the next burst is offence 3.
	daemon_stop
	in_gw nft delete table inet nflogd 2>/dev/null
	write_conf "$CONF" block_time=10m
	daemon_start "$CONF" || return 1
	bot $BOT 30 1000
	ctl unblock $BOT >/dev/null
	sleep 1.3	# the ended first offence reaches the state file
	bot $BOT 30 1000 -b 30000
	kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
	echo "    state file at the crash: $(grep "^$BOT" "$LAB_DIR/state" | cut -d' ' -f1-4)"
	daemon_start "$CONF" || return 1
	j=$(ctl --json list)
	claim "offence 2 still blocked" [ "$(json_get '[b["offence"] for b in j["blocked"] if b["addr"] == "'$BOT'"]' <<<"$j")" = "[2]" ] &&
	claim "unblock works" ctl unblock $BOT >/dev/null || return 1
	bot $BOT 30 1000 -b 35000
	claim "the next burst is offence 3" logged "block $BOT .* for 40m (offence 3)" || return 1

	# A dry run's table left by a crash holds no blocks: it ends none of
	# the state file's.
	daemon_stop
	daemon_start "$CONF" -n || return 1
	kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
	claim "the dry run's table is left, without the block" not is_blocked $BOT || return 1
	daemon_start "$CONF" || return 1
	claim "the bot still blocked" is_blocked $BOT &&
	claim "said why" logged "holds no blocks (a dry run's, or flushed): the state file's 1 kept"
}

# One bad line costs that line only; a FIFO or a file others may write is
# refused without a hang.
t_state_bad_lines_set_aside() {
	local now; now=$(date +%s)
	{
		echo "# nflogd state 1"
		echo "192.0.2.30 blocked=1 reason=manual offences=0 conns=0 dsts=0 since=$now expires=$((now + 3600)) last_end=0 mac=-"
		echo "192.0.2.40 blocked=1 reason=auto offences=4294967295 conns=21 dsts=3 since=$now expires=$((now + 3600)) last_end=0 mac=-"
		echo "192.0.2.20 blocked=1 reason=auto offences=1 conns=21 dsts=3 since=-9223372036854775808 expires=$((now + 3600)) last_end=0 mac=-"
		echo "2001:db8:1::99 blocked=1 reason=manual offences=0 conns=0 dsts=0 since=$now expires=0 last_end=0 mac=-"
		echo "192.0.2.30 blocked=0 reason=auto offences=3 conns=0 dsts=0 since=0 expires=0 last_end=0 mac=-"
	} >"$LAB_DIR/state"
	chmod 600 "$LAB_DIR/state"
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	sed -n 's/^/    | /; /state:/p' "$LAB_DIR/daemon.log"
	claim "the good blocks restored" is_blocked 192.0.2.30 &&
	claim "(both families)" is_blocked 2001:db8:1::99 &&
	claim "the bad ones not" not is_blocked 192.0.2.40 &&
	claim "each named by file and line" logged "state: $LAB_DIR/state:3: offences" &&
	claim "(the overflow too)" logged "state: $LAB_DIR/state:4: since" &&
	claim "(the duplicate too)" logged "state: $LAB_DIR/state:6: duplicate address 192.0.2.30" &&
	claim "set aside, not lost" [ "$(grep -vc '^#' "$LAB_DIR/state.bad")" = 3 ] &&
	claim "summed up" logged "state: 3 bad lines of $LAB_DIR/state set aside in $LAB_DIR/state.bad, the other 2 kept" || return 1
	sleep 1.3	# rewritten without them
	claim "the state file rewritten clean" not grep -q "4294967295" "$LAB_DIR/state" || return 1

	daemon_stop
	rm -f "$LAB_DIR/state"; mkfifo "$LAB_DIR/state"
	local t0=$(date +%s%N)
	daemon_start "$CONF" || return 1
	echo "    a FIFO at state_file: started after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
	claim "refused, not opened for long" logged "state: $LAB_DIR/state: not a regular file: refused" &&
	claim "moved aside" bash -c "ls '$LAB_DIR'/state.refused-* >/dev/null" || return 1

	daemon_stop
	rm -f "$LAB_DIR"/state*
	printf '# nflogd state 1\n192.0.2.25 blocked=1 reason=manual offences=0 conns=0 dsts=0 since=%s expires=0 last_end=0 mac=-\n' "$now" >"$LAB_DIR/state"
	chmod 666 "$LAB_DIR/state"
	daemon_start "$CONF" || return 1
	claim "a state file others may write is refused" logged "writable by group or others (uid 0, mode 0666): refused" &&
	claim "its forged block not loaded" not is_blocked 192.0.2.25 || return 1

	# A good file in a good directory, but whoever may write the one above
	# could have renamed that directory and planted it.
	daemon_stop
	local st=$LAB_DIR/sd2/sub/st
	mkdir -p -m 755 "$LAB_DIR/sd2/sub"
	printf '# nflogd state 1\n192.0.2.26 blocked=1 reason=manual offences=0 conns=0 dsts=0 since=%s expires=0 last_end=0 mac=-\n' "$now" >"$st"
	chmod 600 "$st"; chmod 777 "$LAB_DIR/sd2"
	write_conf "$CONF" state_file="$st"
	daemon_start "$CONF" || return 1
	ctl block 192.0.2.27 1h >/dev/null
	sleep 2.5	# two save ticks
	claim "a grandparent others may write: refused" logged "state: $st: the directory $LAB_DIR/sd2 above it is writable by group or others (uid 0, mode 0777): refused" &&
	claim "its block not loaded" not is_blocked 192.0.2.26 &&
	claim "no new state file written there" not [ -e "$st" ] &&
	claim "said once" [ "$(grep -c "blocks kept in memory" "$LAB_DIR/daemon.log")" = 1 ] &&
	claim "the new block held all the same" is_blocked 192.0.2.27 || return 1
	chmod 755 "$LAB_DIR/sd2"
	sleep 1.5
	claim "written once the directory is fixed" grep -q "^192.0.2.27 " "$st" &&
	claim "and said so" logged "state: $st written again"
}

# --- issue 12, items 1 and 2: extension headers, IPv4 and IPv6 apart ---

status_num() { ctl --json status | json_get "j['status']['$1']"; }
contains() { case $1 in *"$2"*) return 0 ;; esac; return 1; }

t_ipv6_dstopts_socket_counted() {
	# A normal TCP socket with an 80-byte destination-options header (the
	# SYN is 140 bytes) doing SMTP through the gateway.
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	wan_listen
	local ok; ok=$(in_lan /usr/bin/python3 - <<-'PY'
	import socket, time
	opt = bytes([0, 9, 0x1e, 76]) + bytes(76)	# next, len (9+1)*8, skippable option
	ok = 0
	for i in range(30):
	    time.sleep(0.01)	# 100 sessions/s at most, as the lab's bots keep a rate
	    s = socket.socket(socket.AF_INET6)
	    s.setsockopt(socket.IPPROTO_IPV6, 59, opt)	# IPV6_DSTOPTS
	    s.settimeout(0.5)
	    s.bind(("2001:db8:1::10", 0))
	    try:
	        s.connect(("2001:db8:ff::1", 25)); s.recv(64); ok += 1
	    except OSError:
	        pass
	    s.close()
	print(ok)
	PY
	)
	kill "$WAN_LISTENER" 2>/dev/null; wait "$WAN_LISTENER" 2>/dev/null
	echo "    30 SMTP sessions with an 80-byte IPV6_DSTOPTS: $ok completed"
	claim "blocked in blocked6" is_blocked 2001:db8:1::10 &&
	claim "the threshold's worth completed, no more (20..22)" \
		bash -c '[ "$1" -ge 20 ] && [ "$1" -le 22 ]' _ "$ok" &&
	claim "parsed, ports and all: nothing malformed or unparsed" \
		[ "$(status_num malformed)" = 0 ] && [ "$(status_num unparsed_counted)" = 0 ]
}

t_ipv6_long_ext_chains_counted() {
	# Raw SYNs behind 9 extension headers (walked), and behind 30 (the TCP
	# header past the 256-byte copy: counted by the source alone).
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	bot 2001:db8:1::21 60 300 -X 9
	bot 2001:db8:1::22 60 300 -X 30
	local r9 r30 unparsed
	r9=$(wan_syns_from 2001:db8:1::21); r30=$(wan_syns_from 2001:db8:1::22)
	unparsed=$(status_num unparsed_counted)
	echo "    9 headers: $r9 of 60 reached the WAN; 30 headers: $r30 of 60; unparsed_counted $unparsed"
	claim "9 headers: blocked" is_blocked 2001:db8:1::21 &&
	claim "9 headers: at most 22 passed" [ "$r9" -le 22 ] &&
	claim "30 headers: blocked" is_blocked 2001:db8:1::22 &&
	claim "30 headers: at most 22 passed" [ "$r30" -le 22 ] &&
	claim "those counted in unparsed_counted (21 or 22)" \
		bash -c '[ "$1" -ge 21 ] && [ "$1" -le 22 ]' _ "$unparsed" &&
	claim "nothing malformed" [ "$(status_num malformed)" = 0 ] &&
	claim "unparsed_counted in the human status too" grep -q unparsed_counted <<<"$(ctl status)"
}

t_whitelist_families_apart() {
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	bot $BOT 30 1000
	claim "IPv4 bot blocked" is_blocked $BOT || return 1
	local e out rc
	for e in ::/64 ::/0 ::/80 ::ffff:0:0/96 0.0.0.0/0; do
		out=$(ctl whitelist add "$e" 2>&1); rc=$?
		echo "    whitelist add $e: $out"
		claim "$e refused" [ $rc = 1 ] &&
		claim "saying so, naming it" contains "$out" "'$e' refused" || return 1
	done
	claim "the whitelist file was not created" [ ! -e "$LAB_DIR/whitelist" ] &&
	claim "the IPv4 bot is still blocked" is_blocked $BOT &&
	claim "allow4 and allow6 empty" not bash -c "ip netns exec $GW nft list set inet nflogd allow6 | grep -q elements" || return 1
	# Written by hand: the reload refuses it, FILE:LINE, and keeps the old list.
	printf '2001:db8:1::/64\n::/64\n' >"$LAB_DIR/whitelist"
	kill -HUP "$DAEMON_PID"; sleep 0.5
	claim "reload refused with FILE:LINE" logged "$LAB_DIR/whitelist:2: '::/64' refused" &&
	bot 192.0.2.40 30 1000 &&
	claim "a second IPv4 bot blocked" is_blocked 192.0.2.40
}

t_mapped_source_blocked_as_ipv6() {
	# An IPv6 bot with an IPv4-mapped source is the IPv6 host it is: blocked
	# in blocked6, while the IPv4 host of the same digits keeps its mail.
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	bot ::ffff:192.0.2.30 60 300
	local reached; reached=$(wan_syns_from ::ffff:192.0.2.30)
	echo "    mapped-source bot: $reached of 60 SYNs reached the WAN"
	[ "$reached" -gt 0 ] || { echo "    skipped: this kernel does not forward ::ffff:0:0/96 sources"; return 0; }
	claim "::ffff:192.0.2.30 in blocked6" is_blocked ::ffff:192.0.2.30 &&
	claim "at most 22 passed" [ "$reached" -le 22 ] &&
	claim "192.0.2.30 not in blocked4" not is_blocked 192.0.2.30 &&
	claim "logged as the IPv6 address" logged "block ::ffff:192.0.2.30 " &&
	claim "192.0.2.30 never blocked" not logged "block 192.0.2.30 " || return 1
	wan_listen
	local ok; ok=$(lan_connect 192.0.2.30 203.0.113.5 3)
	kill "$WAN_LISTENER" 2>/dev/null; wait "$WAN_LISTENER" 2>/dev/null
	echo "    the real 192.0.2.30: $ok of 3 SMTP connections"
	claim "the IPv4 host's mail passes" [ "$ok" = 3 ] &&
	claim "show ::ffff:192.0.2.30: blocked" grep -Eq '^blocked +yes' <<<"$(ctl show ::ffff:192.0.2.30)" &&
	claim "show 192.0.2.30: not blocked" grep -Eq '^blocked +no' <<<"$(ctl show 192.0.2.30)"
}

# --- spoofed sources (issue 12, item 3): hosts of their own, each its MAC ---

# A LAN machine sends SYNs in 192.0.2.20's name, from its own MAC: the real
# 192.0.2.20 (whose MAC the gateway's neighbour table has) is not blocked,
# the spoof is counted and shown; so are those of its IPv6 address (NDP) and
# of an address known only by its DHCP lease. The real host's own SYNs still
# block it.
t_spoofed_source_not_blocked() {
	lab_host real 192.0.2.20 2001:db8:1::20 && lab_host spoofer 192.0.2.66 2001:db8:1::66 ||
		{ lab_host_del real; lab_host_del spoofer; return 1; }
	spoofed_source_check; local rc=$?
	lab_host_del real; lab_host_del spoofer
	return $rc
}

spoofed_source_check() {
	local real spoofer before after six show show6 j
	real=$(host_mac real); spoofer=$(host_mac spoofer)
	# A printer that is off: its lease is all the gateway knows of it.
	printf '0 02:00:00:00:00:23 192.0.2.23 printer *\n' >"$LAB_DIR/leases"
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	wan_listen
	before=$(on_host real lan_connect 192.0.2.20 203.0.113.5 3)
	six=$(on_host real lan_connect 2001:db8:1::20 2001:db8:ff::5 1)
	sleep 1.5	# housekeeping reads the neighbour table and the leases each second
	on_host spoofer bot 192.0.2.20 30 300
	on_host spoofer bot 192.0.2.23 25 300
	on_host spoofer bot 2001:db8:1::20 25 300
	after=$(on_host real lan_connect 192.0.2.20 203.0.113.5 3)
	show=$(ctl --json show 192.0.2.20) && show6=$(ctl --json show 2001:db8:1::20) &&
		j=$(ctl --json status) || return 1
	echo "    real 192.0.2.20 at $real, spoofer at $spoofer: connections $before/3 before, $after/3 after 30 spoofed SYNs"
	ctl show 192.0.2.20 | grep -E '^(spoofed|expected)' | sed 's/^/    | /'
	claim "the real host's connections still pass" [ "$before $after" = "3 3" ] &&
	claim "192.0.2.20 not blocked" not is_blocked 192.0.2.20 &&
	claim "192.0.2.23 not blocked" not is_blocked 192.0.2.23 &&
	claim "the real host's IPv6 connection passed" [ "$six" = 1 ] &&
	claim "2001:db8:1::20 not blocked" not is_blocked 2001:db8:1::20 &&
	claim "IPv6: 25 spoofed events, the NDP entry's MAC expected" \
		[ "$(json_get 'j["host"]["spoofed_events"], j["host"]["spoofed_from"], j["host"]["expected_mac"], j["host"]["expected_by"]' <<<"$show6")" = "25 $spoofer $real neigh" ] &&
	claim "the spoof logged with both MACs" logged "spoofed 192.0.2.20 from mac $spoofer (neigh says $real)" &&
	claim "the lease's MAC named" logged "spoofed 192.0.2.23 from mac $spoofer (lease says 02:00:00:00:00:23)" &&
	claim "show: 30 spoofed events from the spoofer's MAC, the real MAC expected" \
		[ "$(json_get 'j["host"]["spoofed_events"], j["host"]["spoofed_from"], j["host"]["expected_mac"], j["host"]["expected_by"]' <<<"$show")" = "30 $spoofer $real neigh" ] &&
	claim "show: only the real host's own connections in its window" [ "$(json_get 'j["host"]["window"]' <<<"$show")" = 6 ] &&
	claim "status: spoofed events and suspects counted" \
		[ "$(json_get 'j["status"]["spoofed_events"], j["status"]["spoof_suspects"]' <<<"$j")" = "80 3" ] || return 1
	# The real host turns bot: its own MAC, its own count, blocked.
	on_host real bot 192.0.2.20 30 300
	claim "the real host's own SYNs block it" is_blocked 192.0.2.20 &&
	claim "logged with its own MAC" logged "block 192.0.2.20 mac $real conns 21/60s"
}

# A quiet host the gateway has forgotten (no neighbour entry, no lease): the
# spoofer's SYNs in its name make the gateway resolve it within milliseconds,
# long before housekeeping reads the table again. At the moment it would be
# blocked the daemon reads the table once more: the crossing SYN is spoofed,
# nothing is blocked, and the spoofer's SYNs move from the real host's
# window to the spoof count.
t_spoofed_quiet_host_not_blocked() {
	lab_host quiet 192.0.2.30 && lab_host spoofer 192.0.2.67 ||
		{ lab_host_del quiet; lab_host_del spoofer; return 1; }
	spoofed_quiet_host_check; local rc=$?
	lab_host_del quiet; lab_host_del spoofer
	return $rc
}

spoofed_quiet_host_check() {
	local spoofer ok show
	spoofer=$(host_mac spoofer)
	write_conf "$CONF"
	daemon_start "$CONF" || return 1
	wan_listen
	lab_forget_neigh 192.0.2.30
	sleep 1.2	# housekeeping has read a table without it
	on_host spoofer bot 192.0.2.30 30 300
	ok=$(on_host quiet lan_connect 192.0.2.30 203.0.113.5 3)
	show=$(ctl --json show 192.0.2.30) || return 1
	echo "    gateway's neighbour entry now: $(in_gw ip neigh show 192.0.2.30)"
	echo "    the quiet host: $ok of 3 connections after 30 spoofed SYNs"
	claim "192.0.2.30 not blocked" not is_blocked 192.0.2.30 &&
	claim "never blocked" not logged "block 192.0.2.30 " &&
	claim "the quiet host's connections pass" [ "$ok" = 3 ] &&
	claim "the spoof logged with the spoofer's MAC" logged "spoofed 192.0.2.30 from mac $spoofer" &&
	claim "show: all 30 spoofed, from the spoofer's MAC" \
		[ "$(json_get 'j["host"]["spoofed_events"], j["host"]["spoofed_from"]' <<<"$show")" = "30 $spoofer" ] &&
	claim "a spoof flood" logged "spoof flood: 21 SYNs in 192.0.2.30's name from mac $spoofer" &&
	claim "show: only the real host's own connections in its window" \
		[ "$(json_get 'j["host"]["window"]' <<<"$show")" = 3 ]
}

# A bot that forges its own frames' source MAC (an nftables egress rule in
# its namespace) makes real SMTP sessions: every event is spoofed, so it is
# not blocked (the daemon cannot tell it from a framer), but it is not
# silent either: one alert a window, in the log, status, show and on_block.
t_spoof_flood_alerted() {
	lab_host forger 192.0.2.11 || { lab_host_del forger; return 1; }
	spoof_flood_check; local rc=$?
	lab_host_del forger
	return $rc
}

spoof_flood_check() {
	local forged=02:00:5e:10:00:99 ok show j
	on_host forger nft -f - <<-EOF2 || { echo "    skipped: no netdev egress hook here"; return 0; }
	table netdev forge {
		chain e {
			type filter hook egress device eth0 priority 0
			tcp dport 25 ether saddr set $forged
		}
	}
	EOF2
	cat >"$LAB_DIR/hook" <<-EOF2
	#!/bin/sh
	env | grep ^NFLOGD_ | sort >>"$LAB_DIR/hook.out"; echo --- >>"$LAB_DIR/hook.out"
	EOF2
	chmod +x "$LAB_DIR/hook"
	write_conf "$CONF" on_block="$LAB_DIR/hook"
	daemon_start "$CONF" || return 1
	wan_listen
	sleep 1.5	# housekeeping reads the forger's real MAC from the neighbour table
	ok=$(on_host forger lan_connect 192.0.2.11 203.0.113.7 30)
	sleep 0.5
	show=$(ctl --json show 192.0.2.11) && j=$(ctl --json status) || return 1
	echo "    forger at $(host_mac forger), frames from $forged: $ok of 30 sessions"
	grep "spoof flood" "$LAB_DIR/daemon.log" | sed 's/^/    | /'
	sed 's/^/    | /' "$LAB_DIR/hook.out" 2>/dev/null
	claim "the alert logged once" \
		[ "$(grep -c "spoof flood: 21 SYNs in 192.0.2.11's name from mac $forged in 60s: 192.0.2.11 itself may be forging its MAC, or $forged is framing it; nflogctl show 192.0.2.11" "$LAB_DIR/daemon.log")" = 1 ] &&
	claim "status: spoof_floods 1" [ "$(json_get 'j["status"]["spoof_floods"]' <<<"$j")" = 1 ] &&
	claim "show: spoof_flood yes, 30 spoofed in the window" \
		[ "$(json_get 'j["host"]["spoof_flood"], j["host"]["spoofed_in_window"]' <<<"$show")" = "yes 30" ] &&
	claim "on_block ran with action spoof" grep -q "NFLOGD_ACTION=spoof" "$LAB_DIR/hook.out" &&
	claim "for the address" grep -q "NFLOGD_ADDR=192.0.2.11" "$LAB_DIR/hook.out" &&
	claim "with the MAC that sent" grep -q "NFLOGD_MAC=$forged" "$LAB_DIR/hook.out" &&
	claim "only once" [ "$(grep -c NFLOGD_ACTION=spoof "$LAB_DIR/hook.out")" = 1 ]
}

ALL="t_normal_host_not_blocked t_spam_bot_blocked t_spam_bot_fast_blocked
     t_whitelisted_bot_not_blocked t_whitelisted_mac_not_blocked t_ipv6_bot_blocked
     t_block_expires_on_time t_repeat_offence_doubles t_dry_run_blocks_nothing
     t_clean_stop_leaves_no_table t_retransmits_count_once t_bad_reload_keeps_settings
     t_whitelist_reload_unblocks t_config_check t_malformed_events_counted
     t_ctl_status_and_json t_ctl_list_top_show t_ctl_block_unblock_and_errors
     t_ctl_whitelist_edit t_ctl_unprivileged_refused t_ctl_kill9_restores_blocks
     t_ctl_corrupt_state_moved_aside t_on_block_program
     t_table_restored_after_flush t_overrun_counted_exactly t_hostile_control_clients
     t_least_privilege t_spoofed_flood_bounded t_max_blocked_cap
     t_ctl_list_flood_keeps_blocking t_ctl_list_all_rows t_ctl_protocol_edges
     t_ctl_output_escaped t_on_block_fds_closed t_socket_group_checked
     t_daemon_expires_without_set_timeouts t_systemd_notify_ready t_cap_release_in_one_wakeup
     t_block_storm t_flush_during_storm
     t_flushed_set_restored t_expired_block_not_restored t_kill9_right_after_block
     t_state_bad_lines_set_aside
     t_ipv6_dstopts_socket_counted t_ipv6_long_ext_chains_counted
     t_whitelist_families_apart t_mapped_source_blocked_as_ipv6
     t_spoofed_source_not_blocked t_spoofed_quiet_host_not_blocked t_spoof_flood_alerted"

passed=0; failed=0
for t in ${*:-$ALL}; do
	daemon_stop
	wan_counters_reset
	rm -f "$LAB_DIR"/whitelist* "$LAB_DIR/daemon.log" "$LAB_DIR"/state* "$LAB_DIR/leases" \
		"$LAB_DIR"/hook*
	for tb in nflogd nflogd2; do in_gw nft delete table inet $tb 2>/dev/null; done
	echo "integration: $t"
	ok=yes
	$t || ok=
	daemon_stop	# a sanitizer build reports leaks at exit: look after it
	# Sanitizer builds, and NFLOGD_WRAP="valgrind ...", report at exit.
	if [ -n "$ok" ] && grep -qE 'ERROR: [A-Za-z]+Sanitizer|runtime error:|ERROR SUMMARY: [1-9]|definitely lost: [1-9]' "$LAB_DIR/daemon.log"; then
		echo "    sanitizer or valgrind report in the daemon's log"; ok=
	fi
	[ -n "${NFLOGD_WRAP:-}" ] && grep -E 'ERROR SUMMARY|definitely lost' "$LAB_DIR/daemon.log" | sed 's/^/    /'

	if [ -n "$ok" ]; then
		passed=$((passed + 1)); echo "    ok"
	else
		failed=$((failed + 1)); echo "    FAILED; daemon log:"
		sed 's/^/      | /' "$LAB_DIR/daemon.log" 2>/dev/null
	fi
done
daemon_stop
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
