#!/bin/bash
# The ClearOS firewall snippet (rules/90-nflogd) and rules/iptables-nflog.sh,
# for real: sourced the way the ClearOS firewall does it (FW_PROTO, IPTABLES,
# LANIF, EXTIF set), in a throwaway network namespace with iptables (nft
# backend). The last test puts the snippet in the namespace lab's gateway in
# front of a running nflogd (install_rules = no) and shows events reaching
# the daemon and a block taking effect.
# Usage: tests/deploy/test-clearos-snippet.sh [BUILD_DIR]
# Prints "N passed, N failed"; exits 1 if any test failed.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-$ROOT/build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
SNIPPET=$ROOT/rules/90-nflogd
SCRIPT=$ROOT/rules/iptables-nflog.sh

if [ "$(id -u)" -ne 0 ]; then
	echo "deploy: skipped: needs root (network namespaces, iptables)"
	echo "0 passed, 0 failed"
	exit 0
fi
for need in ip iptables ip6tables; do
	command -v $need >/dev/null || { echo "deploy: $need missing (apt-get install iptables)"; exit 1; }
done

NS=nfldep_$$
TMP=$(mktemp -d /tmp/nfldep.XXXX)
CONF=$TMP/nflogd.conf
FAKEBIN=$TMP/nflogd		# "nflogd is installed"
printf '#!/bin/sh\n' >"$FAKEBIN"
chmod 755 "$FAKEBIN"
cleanup() {
	ip netns del "$NS" 2>/dev/null
	[ -n "${LAB:-}" ] && lab_down
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$NS" || { echo "deploy: cannot create namespace $NS"; exit 1; }
ip -n "$NS" link set lo up

in_ns() { ip netns exec "$NS" "$@"; }

# fw PROTO LANIF [VAR=value...]: source the snippet as the ClearOS firewall
# does, in a fresh shell inside the namespace. Prints what the snippet
# printed, then "rc=N" (the snippet's status) and "left=..." (names it left
# behind); reaching those lines at all shows it returned rather than exited.
fw() {
	local proto=$1 lanif=$2 ipt=iptables
	shift 2
	[ "$proto" = ipv6 ] && ipt=ip6tables
	in_ns env -i PATH="$PATH" FW_PROTO="$proto" IPTABLES="$ipt -w" LANIF="$lanif" \
		EXTIF=eth0 NFLOGD_CONF="$CONF" NFLOGD_BIN="$FAKEBIN" "$@" \
		bash -c 'before=$(compgen -A variable -A function | sort)
			. "$0"; rc=$?
			echo "rc=$rc"
			echo "left=$(compgen -A variable -A function | sort |
				comm -13 <(echo "$before") - | grep -vx -e rc -e before -e _ -e PIPESTATUS | tr "\n" " ")"' \
		"$SNIPPET" 2>&1
}

# The NFLOG rules in FORWARD, one per line (iptables -S form).
nflog_rules() { in_ns "${1:-iptables}" -w -S FORWARD | grep -e '-j NFLOG'; }
count_rules() { nflog_rules "$@" | grep -c . ; }
flush() { in_ns iptables -w -F FORWARD; in_ns ip6tables -w -F FORWARD; }

# The rule the snippet must insert, as iptables -S prints it.
rule() {	# IFACE PORTS GROUP
	echo "-A FORWARD -i $1 -p tcp -m multiport --dports $2 -m conntrack --ctstate NEW -j NFLOG --nflog-group $3 --nflog-size 256"
}

claim() { local what=$1; shift; "$@" || { echo "    not true: $what"; return 1; }; }
has() { grep -qxF -- "$2" <<<"$1"; }
contains() { grep -qF -- "$2" <<<"$1"; }

t_ipv4_rule_inserted() {
	printf 'install_rules = no\n' >"$CONF"
	local out; out=$(fw ipv4 lo)
	echo "$out" | sed 's/^/    /'
	nflog_rules | sed 's/^/    iptables -S: /'
	claim "returned 0" has "$out" "rc=0" &&
	claim "left nothing behind" has "$out" "left=" &&
	claim "rule for lo, ports 25, group 25" has "$(nflog_rules)" "$(rule lo 25 25)" &&
	claim "no IPv6 rule from an ipv4 run" [ "$(count_rules ip6tables)" = 0 ]
}

t_ipv6_rule_inserted() {
	printf 'install_rules = no\n' >"$CONF"
	local out; out=$(fw ipv6 lo)
	nflog_rules ip6tables | sed 's/^/    ip6tables -S: /'
	claim "returned 0" has "$out" "rc=0" &&
	claim "IPv6 rule for lo" has "$(nflog_rules ip6tables)" "$(rule lo 25 25)" &&
	claim "no IPv4 rule from an ipv6 run" [ "$(count_rules)" = 0 ]
}

t_quotes_spaces_comments_two_lans() {
	cat >"$CONF" <<-'EOF'
	# nflogd.conf as an administrator writes it
	#install_rules = yes
	  install_rules   =   "no"    # the firewall snippet logs
	nflog_group = '30'
	ports = 25, 587   # and submission
	threshold = 20
	EOF
	local out; out=$(fw ipv4 "lo lan1")
	nflog_rules | sed 's/^/    iptables -S: /'
	claim "returned 0" has "$out" "rc=0" &&
	claim "rule for lo, group 30, ports 25,587" has "$(nflog_rules)" "$(rule lo 25,587 30)" &&
	claim "rule for lan1 too" has "$(nflog_rules)" "$(rule lan1 25,587 30)" &&
	claim "two rules" [ "$(count_rules)" = 2 ]
}

t_install_rules_yes_adds_nothing() {
	printf 'install_rules = yes\n' >"$CONF"
	local out; out=$(fw ipv4 lo)
	claim "returned 0" has "$out" "rc=0" &&
	claim "no rule" [ "$(count_rules)" = 0 ]
}

t_default_config_adds_nothing() {
	cp "$ROOT/etc/nflogd.conf" "$CONF"	# every key commented out: install_rules = yes
	local out; out=$(fw ipv4 lo)
	claim "returned 0" has "$out" "rc=0" &&
	claim "no rule" [ "$(count_rules)" = 0 ]
}

t_absent_config_adds_nothing() {
	rm -f "$CONF"
	local out; out=$(fw ipv4 lo)
	claim "returned 0" has "$out" "rc=0" &&
	claim "left nothing behind" has "$out" "left=" &&
	claim "no rule" [ "$(count_rules)" = 0 ]
}

t_nflogd_absent_adds_nothing() {
	printf 'install_rules = no\n' >"$CONF"
	local out; out=$(fw ipv4 lo NFLOGD_BIN="$TMP/none")
	claim "returned 0" has "$out" "rc=0" &&
	claim "no rule" [ "$(count_rules)" = 0 ]
}

t_second_run_adds_no_duplicate() {
	printf 'install_rules = no\n' >"$CONF"
	fw ipv4 lo >/dev/null
	local out; out=$(fw ipv4 lo)
	claim "returned 0" has "$out" "rc=0" &&
	claim "still one rule" [ "$(count_rules)" = 1 ]
}

t_sixteen_ports_split_for_multiport() {
	printf 'install_rules = no\nports = 25,465,587,2525,2526,2527,2528,2529,2530,2531,2532,2533,2534,2535,2536,2537\n' >"$CONF"
	local out; out=$(fw ipv4 lo)
	nflog_rules | sed 's/^/    iptables -S: /'
	claim "returned 0" has "$out" "rc=0" &&
	claim "15 ports in one rule" has "$(nflog_rules)" \
		"$(rule lo 25,465,587,2525,2526,2527,2528,2529,2530,2531,2532,2533,2534,2535,2536 25)" &&
	claim "the 16th in another" has "$(nflog_rules)" "$(rule lo 2537 25)"
}

t_bad_group_refused() {
	printf 'install_rules = no\nnflog_group = twenty\n' >"$CONF"
	local out; out=$(fw ipv4 lo)
	echo "$out" | sed 's/^/    /'
	claim "returned 1" has "$out" "rc=1" &&
	claim "said why" contains "$out" "nflog_group 'twenty' is not a number" &&
	claim "no rule" [ "$(count_rules)" = 0 ]
}

t_iptables_unset_uses_default() {
	printf 'install_rules = no\n' >"$CONF"
	local out; out=$(fw ipv6 lo IPTABLES=)
	claim "returned 0" has "$out" "rc=0" &&
	claim "ip6tables -w used" has "$(nflog_rules ip6tables)" "$(rule lo 25 25)"
}

t_no_lanif_adds_nothing() {
	printf 'install_rules = no\n' >"$CONF"
	local out; out=$(fw ipv4 "")
	claim "returned 0" has "$out" "rc=0" &&
	claim "no rule" [ "$(count_rules)" = 0 ]
}

t_iptables_nflog_sh_add_del() {
	printf 'install_rules = no\nports = 25,587\nnflog_group = 7\n' >"$CONF"
	in_ns "$SCRIPT" -c "$CONF" add lo lan1 || return 1
	in_ns "$SCRIPT" -c "$CONF" add lo lan1 || return 1	# no duplicates
	nflog_rules | sed 's/^/    iptables -S: /'
	local v4 v6; v4=$(count_rules) v6=$(count_rules ip6tables)
	claim "v4 rule for lo" has "$(nflog_rules)" "$(rule lo 25,587 7)" &&
	claim "v6 rule for lan1" has "$(nflog_rules ip6tables)" "$(rule lan1 25,587 7)" &&
	claim "2 + 2 rules" [ "$v4$v6" = 22 ] &&
	in_ns "$SCRIPT" -c "$CONF" del lo lan1 &&
	claim "all gone after del" [ "$(count_rules)$(count_rules ip6tables)" = 00 ]
}

# The snippet in front of the real daemon: lab gateway, install_rules = no,
# a spam bot in the LAN.
t_lab_events_reach_daemon_and_block() {
	if [ ! -x "$B/nflogd" ] || [ ! -x "$B/tools/synflood" ] || ! command -v nft >/dev/null; then
		echo "    skipped: needs $B/nflogd, $B/tools/synflood (make) and nft"
		return 0
	fi
	NFLOGD=$B/nflogd SYNFLOOD=$B/tools/synflood
	LAB=nfldl$$ LAB_DIR=$TMP/lab
	mkdir -p "$LAB_DIR"
	. "$ROOT/tests/integration/lab.sh"
	lab_up || { echo "    could not build the lab"; return 1; }
	local bot=192.0.2.10 bot6=2001:db8:1::10 gw_conf=$LAB_DIR/nflogd.conf out
	cat >"$gw_conf" <<-EOF
	install_rules = no
	whitelist = $LAB_DIR/whitelist
	state_file = $LAB_DIR/state
	socket = $LAB_DIR/nflogd.sock
	leases_file = $LAB_DIR/leases
	EOF
	for proto in ipv4 ipv6; do
		local ipt=iptables; [ $proto = ipv6 ] && ipt=ip6tables
		out=$(in_gw env -i PATH="$PATH" FW_PROTO=$proto IPTABLES="$ipt -w" LANIF="$LAB-l1" \
			EXTIF="$LAB-w0" NFLOGD_CONF="$gw_conf" NFLOGD_BIN="$NFLOGD" \
			bash -c '. "$0"; echo "rc=$?"' "$SNIPPET" 2>&1)
		has "$out" "rc=0" || { echo "    snippet ($proto): $out"; return 1; }
	done
	in_gw iptables -w -S FORWARD | grep NFLOG | sed 's/^/    gateway iptables -S: /'
	daemon_start "$gw_conf" || return 1
	local rule_in_table; rule_in_table=$(in_gw nft list chain inet nflogd forward | grep -c 'log group')
	in_lan "$SYNFLOOD" -s $bot -d 203.0.113.1 -D 20 -c 60 -r 300 >/dev/null
	in_lan "$SYNFLOOD" -6 -s $bot6 -d 2001:db8:ff::1 -D 20 -c 60 -r 300 >/dev/null
	sleep 0.5
	local reached reached6 logged4 logged6 ctl
	reached=$(wan_syns_from $bot) reached6=$(wan_syns_from $bot6)
	logged4=$(in_gw iptables -w -vnL FORWARD | awk '/NFLOG/ { print $1; exit }')
	logged6=$(in_gw ip6tables -w -vnL FORWARD | awk '/NFLOG/ { print $1; exit }')
	ctl=$("$B/nflogctl" -s "$LAB_DIR/nflogd.sock" list)
	daemon_stop
	echo "    60 SYNs from $bot at 300/s: the iptables NFLOG rule logged $logged4," \
		"$reached reached the WAN"
	echo "    60 SYNs from $bot6 at 300/s: the ip6tables NFLOG rule logged $logged6," \
		"$reached6 reached the WAN"
	echo "$ctl" | sed 's/^/    nflogctl list: /'
	grep -E "started|block|stopped" "$LAB_DIR/daemon.log" | sed 's/^/    daemon: /'
	claim "the daemon's table has no log rule of its own" [ "$rule_in_table" = 0 ] &&
	claim "events reached the daemon" grep -q "stopped: [1-9][0-9]* events" "$LAB_DIR/daemon.log" &&
	claim "$bot blocked" grep -q "block $bot .*conns 21/60s" "$LAB_DIR/daemon.log" &&
	claim "$bot6 blocked" grep -q "block $bot6 .*conns 21/60s" "$LAB_DIR/daemon.log" &&
	claim "nflogctl list shows $bot" contains "$ctl" "$bot" &&
	claim "nflogctl list shows $bot6" contains "$ctl" "$bot6" &&
	claim "the IPv4 block held: at most threshold+2 = 22 SYNs passed" [ "$reached" -le 22 ] &&
	claim "the IPv6 block held: at most threshold+2 = 22 SYNs passed" [ "$reached6" -le 22 ]
}

pass=0 fail=0
for t in $(grep -o '^t_[a-z0-9_]*' "$0"); do
	flush
	echo "$t"
	if $t; then
		pass=$((pass + 1))
		echo "  ok"
	else
		fail=$((fail + 1))
		echo "  FAILED"
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
