# A gateway lab in network namespaces, sourced by the integration tests, the
# demo and the benchmarks. Every name carries $LAB, unique per run, and
# lab_down removes exactly what lab_up made.
#
#   LAN 192.0.2.0/24, 2001:db8:1::/64  (hosts .10 .20 .30 ..., spoofed 198.18.0.0/15)
#    |  $LAB-l0 <-> $LAB-l1   (the shared LAN namespace's hosts: one MAC, $LAB-l0's;
#    |                         lab_host makes a host of its own, with its own MAC)
#   GW  192.0.2.1 / 198.51.100.1, forwards, runs nflogd
#    |  $LAB-w0 <-> $LAB-w1
#   WAN 198.51.100.2, answers for 203.0.113.0/24 and 2001:db8:ff::/64 (the "internet"),
#       counts the SYNs that reach it per source.

LAB=${LAB:-nfl$$}
GW=$LAB-gw
LANNS=$LAB-lan
WANNS=$LAB-wan
LAB_DIR=${LAB_DIR:-$(mktemp -d /tmp/$LAB.XXXX)}
DAEMON_PID=

in_gw()  { ip netns exec "$GW" "$@"; }
# in_lan runs in the shared LAN namespace, or in host NAME's under on_host.
in_lan()  { ip netns exec "${LAN_AT:-$LANNS}" "$@"; }
in_wan() { ip netns exec "$WANNS" "$@"; }

lab_up() {
	ip netns add "$GW" && ip netns add "$LANNS" && ip netns add "$WANNS" || return 1
	# No duplicate address detection: links are usable at once, not in 2 s.
	for ns in "$GW" "$LANNS" "$WANNS"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0
	done
	# lab_host takes addresses off $LAB-l0: the others must stay.
	in_lan sysctl -qw net.ipv4.conf.default.promote_secondaries=1
	ip link add "$LAB-l0" netns "$LANNS" type veth peer name "$LAB-l1" netns "$GW"
	ip link add "$LAB-w0" netns "$GW" type veth peer name "$LAB-w1" netns "$WANNS"
	for ns in "$GW" "$LANNS" "$WANNS"; do ip -n "$ns" link set lo up; done
	ip -n "$LANNS" link set "$LAB-l0" up
	ip -n "$GW" link set "$LAB-l1" up
	ip -n "$GW" link set "$LAB-w0" up
	ip -n "$WANNS" link set "$LAB-w1" up

	# LAN hosts: several addresses on one interface; MACs are the interface's.
	for h in 10 11 20 30 40; do ip -n "$LANNS" addr add 192.0.2.$h/24 dev "$LAB-l0"; done
	ip -n "$LANNS" addr add 2001:db8:1::10/64 dev "$LAB-l0" nodad
	ip -n "$LANNS" route add default via 192.0.2.1
	ip -n "$LANNS" -6 route add default via 2001:db8:1::1

	ip -n "$GW" addr add 192.0.2.1/24 dev "$LAB-l1"
	ip -n "$GW" addr add 2001:db8:1::1/64 dev "$LAB-l1" nodad
	ip -n "$GW" addr add 198.51.100.1/24 dev "$LAB-w0"
	ip -n "$GW" addr add 2001:db8:2::1/64 dev "$LAB-w0" nodad
	ip -n "$GW" route add 203.0.113.0/24 via 198.51.100.2
	ip -n "$GW" route add 198.18.0.0/15 dev "$LAB-l1"
	ip -n "$GW" -6 route add 2001:db8:ff::/64 via 2001:db8:2::2
	in_gw sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0

	ip -n "$WANNS" addr add 198.51.100.2/24 dev "$LAB-w1"
	ip -n "$WANNS" addr add 2001:db8:2::2/64 dev "$LAB-w1" nodad
	ip -n "$WANNS" route add local 203.0.113.0/24 dev lo
	ip -n "$WANNS" -6 route add local 2001:db8:ff::/64 dev lo
	ip -n "$WANNS" route add 192.0.2.0/24 via 198.51.100.1
	ip -n "$WANNS" route add 198.18.0.0/15 via 198.51.100.1
	ip -n "$WANNS" -6 route add 2001:db8:1::/64 via 2001:db8:2::1

	wan_counters_reset
}

# What reaches the internet side: SYNs to port 25, per source (dynamic sets
# with counters), and in total. Recreated empty by each call.
wan_counters_reset() {
	in_wan nft delete table inet labwan 2>/dev/null
	in_wan nft -f - <<-'NFT'
	table inet labwan {
		set syn4 { type ipv4_addr; flags dynamic; size 1048576; counter; }
		set syn6 { type ipv6_addr; flags dynamic; size 65536; counter; }
		chain input {
			type filter hook input priority 0;
			tcp dport 25 tcp flags & (syn | ack) == syn counter
			tcp dport 25 tcp flags & (syn | ack) == syn update @syn4 { ip saddr }
			tcp dport 25 tcp flags & (syn | ack) == syn update @syn6 { ip6 saddr }
		}
	}
	NFT
}

# lab_host NAME ADDR [ADDR6]: a LAN host of its own, namespace $LAB-NAME,
# on a macvlan of $LAB-l0: its frames carry its own MAC, and the gateway's
# neighbour table learns that MAC for ADDR. ADDR leaves $LAB-l0 if it was
# there (lab_host_del puts it back). Run commands in it with on_host.
LAB_HOSTS=
LAB_HOST_N=0
lab_host() {
	local name=$1 addr=$2 addr6=${3:-} ns=$LAB-$1 dev
	LAB_HOST_N=$((LAB_HOST_N + 1)); dev=$LAB-v$LAB_HOST_N
	ip netns add "$ns" || return 1
	LAB_HOSTS="$LAB_HOSTS $name"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0
	: >"$LAB_DIR/host-$name"
	if ip -n "$LANNS" -o addr show dev "$LAB-l0" | grep -q " $addr/24 "; then
		ip -n "$LANNS" addr del "$addr/24" dev "$LAB-l0"
		echo "$addr/24" >>"$LAB_DIR/host-$name"
	fi
	if [ -n "$addr6" ] && ip -n "$LANNS" -o addr show dev "$LAB-l0" | grep -q " $addr6/64 "; then
		ip -n "$LANNS" addr del "$addr6/64" dev "$LAB-l0"
		echo "$addr6/64" >>"$LAB_DIR/host-$name"
	fi
	ip -n "$LANNS" link add link "$LAB-l0" name "$dev" type macvlan mode bridge &&
	ip -n "$LANNS" link set "$dev" netns "$ns" &&
	ip -n "$ns" link set "$dev" name eth0 &&
	ip -n "$ns" link set lo up && ip -n "$ns" link set eth0 up &&
	ip -n "$ns" addr add "$addr/24" dev eth0 &&
	ip -n "$ns" route add default via 192.0.2.1 || return 1
	if [ -n "$addr6" ]; then
		ip -n "$ns" addr add "$addr6/64" dev eth0 nodad &&
		ip -n "$ns" -6 route add default via 2001:db8:1::1 || return 1
	fi
	# Whatever the gateway knew of ADDR was another interface's MAC.
	lab_forget_neigh "$addr" $addr6
	lab_host_greet "$name" "$addr"
}

# Until the gateway's neighbour table has host NAME's MAC for ADDR (a new
# macvlan's first ARP exchange takes a second or two), the host sends it a
# datagram now and then.
lab_host_greet() {
	local mac; mac=$(host_mac "$1")
	for _ in $(seq 50); do
		ip -n "$GW" neigh show "$2" dev "$LAB-l1" | grep -q "lladdr $mac" && return 0
		ip netns exec "$LAB-$1" python3 -c '
import socket, sys
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"hi", (sys.argv[1], 9))' 192.0.2.1
		sleep 0.1
	done
	echo "lab: the gateway never learnt $1's MAC for $2"
	return 1
}

# on_host NAME CMD...: CMD in host NAME's namespace; a lab function (bot,
# lan_connect: whatever uses in_lan) runs with in_lan pointing there.
on_host() {
	local LAN_AT=$LAB-$1; shift
	if declare -F "$1" >/dev/null; then "$@"; else in_lan "$@"; fi
}

# host_mac NAME: the MAC of host NAME.
host_mac() { ip netns exec "$LAB-$1" cat /sys/class/net/eth0/address; }

# lab_host_del NAME: the host goes, its addresses go back to $LAB-l0.
lab_host_del() {
	local name=$1 a
	ip netns del "$LAB-$name" 2>/dev/null
	LAB_HOSTS=$(printf '%s\n' $LAB_HOSTS | grep -vx "$name" | tr '\n' ' ')
	[ -f "$LAB_DIR/host-$name" ] || return 0
	while read -r a; do
		case $a in *:*) ip -n "$LANNS" addr add "$a" dev "$LAB-l0" nodad ;;
			   *) ip -n "$LANNS" addr add "$a" dev "$LAB-l0" ;; esac
		lab_forget_neigh "${a%/*}"
	done <"$LAB_DIR/host-$name"
	rm -f "$LAB_DIR/host-$name"
	# promote_secondaries may have made another address primary: the
	# shared namespace's routes are put back as they were.
	ip -n "$LANNS" route replace default via 192.0.2.1 2>/dev/null
	ip -n "$LANNS" -6 route replace default via 2001:db8:1::1 2>/dev/null
	return 0
}

lab_forget_neigh() {
	local a
	for a in "$@"; do ip -n "$GW" neigh del "$a" dev "$LAB-l1" 2>/dev/null; done
	return 0
}

lab_down() {
	daemon_stop 2>/dev/null
	[ -n "${WAN_LISTENER:-}" ] && kill "$WAN_LISTENER" 2>/dev/null
	for h in $LAB_HOSTS; do ip netns del "$LAB-$h" 2>/dev/null; done
	for ns in "$GW" "$LANNS" "$WANNS"; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$LAB_DIR"
}

# SYNs from ADDR that reached the WAN side (0 if none).
wan_syns_from() {
	local set=syn4
	case $1 in *:*) set=syn6 ;; esac
	in_wan nft list set inet labwan "$set" 2>/dev/null |
		tr ',{}' '\n\n\n' | awk -v a="$1" '$1 == a { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }' |
		head -n1 | grep . || echo 0
}

# SYNs that reached the WAN side in all.
wan_syns_total() {
	in_wan nft list chain inet labwan input | awk '/counter packets/ { print $(NF - 2); exit }'
}

# Real TCP connections: a listener on WAN port 25 and a client in the LAN.
wan_listen() {
	# One listener at a time: a test that left one running would keep it
	# (and the pipes it holds) past the lab.
	[ -n "${WAN_LISTENER:-}" ] && kill "$WAN_LISTENER" 2>/dev/null && wait "$WAN_LISTENER" 2>/dev/null
	# Not through in_wan: $! must be the process itself, for kill.
	ip netns exec "$WANNS" python3 -c '
import socket, threading
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 25)); s.listen(128)
while True:
    c, _ = s.accept(); c.sendall(b"220 lab ESMTP\r\n"); c.close()
' &
	WAN_LISTENER=$!
	sleep 0.3
}

# lan_connect SRC DST COUNT: COUNT real SMTP connections, each read to the banner.
lan_connect() {
	in_lan python3 - "$1" "$2" "$3" <<-'PY'
	import socket, sys
	src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
	ok = 0
	for _ in range(n):
	    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
	    s = socket.socket(fam); s.settimeout(2)
	    s.bind((src, 0))
	    try:
	        s.connect((dst, 25)); s.recv(64); ok += 1
	    except OSError:
	        pass
	    s.close()
	print(ok)
	PY
}

# daemon_start CONF [ARGS...]: nflogd in the gateway; wait until its table
# exists (the daemon's "ready").
daemon_start() {
	local conf=$1; shift
	# Not through in_gw: $! must be the daemon itself (ip netns exec execs it).
	ip netns exec "$GW" ${NFLOGD_WRAP:-} "$NFLOGD" -f -c "$conf" "$@" \
		>"$LAB_DIR/daemon.log" 2>&1 &
	DAEMON_PID=$!
	local table
	table=$(sed -n 's/^table *= *//p' "$conf"); table=${table:-nflogd}
	# The table alone is no sign after a crash (the old one is still
	# there): the "started" line comes once the new one and the socket are.
	for _ in $(seq 100); do
		grep -q " started: " "$LAB_DIR/daemon.log" 2>/dev/null &&
			in_gw nft list table inet "$table" >/dev/null 2>&1 && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "daemon did not get ready:"; cat "$LAB_DIR/daemon.log"
	return 1
}

daemon_stop() {
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
}

# write_conf FILE key=value...: a config with lab paths, then the given keys.
write_conf() {
	local f=$1; shift
	{
		echo "whitelist = $LAB_DIR/whitelist"
		echo "state_file = $LAB_DIR/state"
		echo "socket = $LAB_DIR/nflogd.sock"
		echo "leases_file = $LAB_DIR/leases"
		for kv in "$@"; do echo "${kv%%=*} = ${kv#*=}"; done
	} >"$f"
}

# The addresses in a blocked set, one per line.
blocked_elems() {
	in_gw nft list set inet "${2:-nflogd}" "$1" 2>/dev/null |
		sed -n '/elements/,/}/p' | tr ',{}=' '\n\n\n\n' |
		awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9a-f:.]+$/ && $i ~ /[.:]/) print $i }'
}
