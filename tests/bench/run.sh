#!/bin/bash
# nflogd benchmarks (issue 4, issue 12): pipeline, end to end against ulogd2, reaction,
# bulk, control load. Each figure is printed with a reference measured in the same run, the
# ratio to it, and PASS/FAIL against the issue's target; a Markdown table
# closes the run (for BENCHMARKS.md). When a target is missed, a profile says where
# the time goes. Figures only: timing never fails the build; the exit status
# is 1 only when a benchmark could not run at all.
#
# Usage: tests/bench/run.sh [BUILD_DIR]	(sudo make bench)
# Environment (all optional):
#   BENCH_ONLY="pipeline e2e reaction bulk control"   which benchmarks to run
#   BENCH_CONTROL_CLIENTS=250 hostile list clients beside the bots (control)
#   BENCH_EVENTS=10000000     pipeline events per run
#   BENCH_E2E_SYNS=1000000    SYNs per end-to-end run (nflogd and ulogd2)
#   BENCH_REF_SYNS=500000     SYNs per reference-consumer run
#   BENCH_BOTS=100            bots per reaction rate (one block each)
#   BENCH_PROFILE=1           profile (perf, else callgrind) a missed target
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
BB=$B/bench
ONLY=${BENCH_ONLY:-pipeline e2e reaction bulk control}
EVENTS=${BENCH_EVENTS:-10000000}
E2E_SYNS=${BENCH_E2E_SYNS:-1000000}
REF_SYNS=${BENCH_REF_SYNS:-500000}
BOTS=${BENCH_BOTS:-100}
PROFILE=${BENCH_PROFILE:-1}
PKGS="libmnl libnetfilter_log libnftnl"
# LTO as the Makefile built the daemon: the pipeline runs the code nflogd runs.
CFLAGS_B="-O2 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra ${LTO:-}"
WORK=$(mktemp -d /tmp/nflbench.XXXXXX)
ROWS=$WORK/rows
: >"$ROWS"
FAILED_TO_RUN=0
BG_PIDS=()

say() { printf '%s\n' "$*"; }
hr() { say ""; say "== $* =="; }
want() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }
# kv KEY "k=v k=v": the value of KEY.
kv() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n1; }
# Float arithmetic and comparison through awk.
calc() { awk "BEGIN { printf \"%.${2:-3}f\", $1 }"; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'; }
verdict() { if "$@"; then echo PASS; else echo FAIL; fi; }
# row BENCHMARK MEASURED REFERENCE RATIO TARGET RESULT: a line of the summary.
row() { printf '| %s | %s | %s | %s | %s | %s |\n' "$@" >>"$ROWS"; }
# CPU seconds (user + system) a process has used so far.
cpu_s() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
		"/proc/$1/stat" 2>/dev/null || echo 0
}
# Time on a CPU (ns precision, /proc/PID/schedstat): a cross-check of the
# tick-sampled utime + stime.
run_s() { awk '{ printf "%.2f", $1 / 1e9 }' "/proc/$1/schedstat" 2>/dev/null || echo 0; }
# wait_idle PID [POLLS]: until the process has used no CPU for POLLS x 0.2 s
# (default 3: 0.6 s): it drained its socket.
wait_idle() {
	local last=-1 same=0 now
	for _ in $(seq 300); do
		now=$(cpu_s "$1")
		if [ "$now" = "$last" ]; then
			same=$((same + 1)); [ $same -ge "${2:-3}" ] && return 0
		else
			same=0; last=$now
		fi
		sleep 0.2
	done
}
# stop_pid PID: TERM, then KILL if it is still there after 5 s.
stop_pid() {
	local p=$1
	[ -n "$p" ] || return 0
	kill -TERM "$p" 2>/dev/null || return 0
	for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	return 0
}
cleanup() {
	for p in "${BG_PIDS[@]}"; do stop_pid "$p"; done
	if [ -n "${LAB_UP:-}" ]; then
		[ -n "${EXTRA_DAEMON:-}" ] && stop_pid "$EXTRA_DAEMON"
		lab_down
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build ---

hr "nflogd benchmarks ($(date -u '+%Y-%m-%d %H:%M UTC'))"
say "machine: $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1), kernel $(uname -r); load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ ! -f "$B/libnflogd.a" ]; then
	say "bench: $B/libnflogd.a missing: run make first"
	exit 1
fi
# Programs go to BUILD_DIR/bench, or a scratch directory if we may not write there.
{ mkdir -p "$BB" 2>/dev/null && [ -w "$BB" ]; } || { BB=$WORK/bin; mkdir -p "$BB"; }
build() {
	local name=$1 src=$2
	# shellcheck disable=SC2086,SC2046
	cc $CFLAGS_B -include "$B/config.h" -I "$ROOT/nflogd" "$src" "$B/libnflogd.a" $(pkg-config --libs $PKGS) -lm \
		-o "$BB/$name" 2>"$WORK/cc.$name" ||
		{ say "bench: building $name failed:"; cat "$WORK/cc.$name"; return 1; }
}
# Our own copies of the daemon: others may rebuild $B meanwhile (and a
# profile must resolve symbols against the binary that ran).
if [ -x "$B/nflogd" ]; then
	cp "$B/nflogd" "$BB/nflogd" && { [ ! -x "$B/nflogctl" ] || cp "$B/nflogctl" "$BB/nflogctl"; } ||
		{ say "bench: cannot copy the daemon into $BB"; exit 1; }
fi
# A program that does not build (the daemon's API moved on) skips only the
# benchmarks that need it, and counts as "could not run".
HAVE=" "
for t in pipeline:tests/bench/pipeline.c nflogsink:tests/bench/nflogsink.c \
	nftwatch:tests/bench/nftwatch.c synflood:tests/tools/synflood.c; do
	if build "${t%%:*}" "$ROOT/${t#*:}"; then HAVE="$HAVE${t%%:*} "; else FAILED_TO_RUN=1; fi
done
have() { case "$HAVE" in *" $1 "*) return 0 ;; esac; return 1; }

PERF=
if command -v perf >/dev/null || apt-get install -y -qq linux-perf >/dev/null 2>&1; then
	perf record -q -o "$WORK/t.perf" -- true >/dev/null 2>&1 && PERF=perf
fi
rm -f "$WORK/t.perf"
say "profiler for missed targets: ${PERF:-$(command -v valgrind >/dev/null && echo callgrind || echo none)}"
# perf_top FILE [perf report options]: the 14 hottest symbols.
perf_top() {
	local f=$1; shift
	perf report -i "$f" --no-children --sort sym -g none --percent-limit 1 --stdio "$@" \
		2>/dev/null | grep '%' | head -n 14 | sed 's/^/      /'
}
# perf_children FILE [options]: inclusive time per function (needs a
# call-graph recording: --call-graph dwarf), without the generic frames.
perf_children() {
	local f=$1; shift
	perf report -i "$f" --children --sort sym -g none --percent-limit 2 --stdio "$@" 2>/dev/null |
		grep '%' | grep -vE '_start|\] main$|__libc_start|entry_SYSCALL|do_syscall_64|0xffffffff|\(inlined\)$' |
		head -n 24 | sed 's/^/      /'
}
perf_split() {
	perf report -i "$1" --no-children --sort dso -g none --stdio "$2" 2>/dev/null |
		grep '%' | head -n 6 | sed 's/^/      /'
}

# --- 1. pipeline ---

pipeline_run() {	# label args...
	local label=$1; shift
	say "-- $label"
	if ! taskset -c 0 "$BB/pipeline" -n "$EVENTS" "$@" >"$WORK/pipe.out" 2>"$WORK/pipe.err"; then
		say "pipeline failed:"; cat "$WORK/pipe.out" "$WORK/pipe.err"; FAILED_TO_RUN=1; return 1
	fi
	grep -v '^RESULT' "$WORK/pipe.out"
	say "  block log lines on stderr (to a file; every full pass): $(grep -c 'block ' "$WORK/pipe.err")"
	R=$(grep '^RESULT' "$WORK/pipe.out")
}

pipeline_profile() {	# args...
	[ "$PROFILE" = 1 ] || return 0
	say "  where the time goes (full pass, $([ -n "$PERF" ] && echo "perf, 2M events" || echo "callgrind, 128k events")):"
	if [ -n "$PERF" ]; then
		perf record -q -F 2000 -o "$WORK/pipe.perf" -- "$BB/pipeline" -F -n 2000000 "$@" \
			>/dev/null 2>&1 && perf_top "$WORK/pipe.perf"
	elif command -v valgrind >/dev/null; then
		valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" "$BB/pipeline" -F \
			-n 131072 "$@" >/dev/null 2>&1 &&
			callgrind_annotate --inclusive=yes "$WORK/cg.out" 2>/dev/null |
			grep -E 'nflogd/|libmnl|libnetfilter' | head -n 14 | sed 's/^/      /'
	fi
}

bench_pipeline() {
	hr "1. Pipeline: synthetic NFLOG datagrams through intake -> packet -> tracker -> policy"
	say "Datagrams in the kernel's format (64 messages + NLMSG_DONE each) are parsed by"
	say "intake_parse_datagram with daemon_on_event as the callback (daemon_count_batch after"
	say "each datagram, as at the end of a wake-up), on a dry-run struct nflogd (config"
	say "defaults: threshold 20 per 60 s), synthetic clock 1M events/s."
	say "Reference: the same datagrams through intake_parse_datagram with an empty callback."
	say "A block logs one line on stderr: stderr goes to a file (one line per block, counted)."
	say "1M distinct sources are IPv6 (2001:db8:1::/64): 198.18.0.0/15 holds only 131072."
	say "Pinned to CPU 0 (taskset); sources drawn uniformly at random."
	local r1 r2 r3
	pipeline_run "$EVENTS events from 1M sources (max_hosts 1000000)" -6 -s 1000000 -m 1000000 || return
	r1=$R
	pipeline_run "$EVENTS events from 5000 sources (max_hosts default 65536)" -s 5000 || return
	r2=$R
	pipeline_run "2M events from 5000 sources, a whitelist of 256 entries (128 CIDRs, 128 MACs) matching none" \
		-s 5000 -w 256 -n 2000000 || return
	r3=$R
	say ""
	local eps1 eps2 f1 f2 bph sh ib ME
	ME=$(calc "$EVENTS / 1000000" 1)M
	eps1=$(calc "1000 / $(kv full_ns "$r1")" 2); eps2=$(calc "1000 / $(kv full_ns "$r2")" 2)
	f1=$(calc "1000 / $(kv floor_ns "$r1")" 2); f2=$(calc "1000 / $(kv floor_ns "$r2")" 2)
	bph=$(kv bytes_per_host "$r1"); sh=$(kv struct_host "$r1"); ib=$(kv index_bph "$r1")
	local v1 v2 v3
	v1=$(verdict le 10 "$eps1"); v2=$(verdict le 10 "$eps2"); v3=$(verdict le "$bph" 128)
	say "pipeline 1M sources:   $eps1 M events/s ($(kv full_ns "$r1") ns/event, median of $(kv repeats "$r1"); passes $(kv full_min_ns "$r1") to $(kv full_max_ns "$r1") ns); floor $f1 M/s ($(kv floor_ns "$r1") ns); target >= 10 M/s: $v1"
	say "pipeline 5000 sources: $eps2 M events/s ($(kv full_ns "$r2") ns/event, median of $(kv repeats "$r2"); passes $(kv full_min_ns "$r2") to $(kv full_max_ns "$r2") ns); floor $f2 M/s ($(kv floor_ns "$r2") ns); target >= 10 M/s: $v2"
	say "pipeline 5000 sources, 256-entry whitelist: $(calc "1000 / $(kv full_ns "$r3")" 2) M events/s ($(kv full_ns "$r3") ns/event; each event's whitelist lookup is a binary search)"
	say "bytes per tracked host at $(kv hosts "$r1") hosts: $bph (struct host $sh B + $ib B of index = $(calc "$sh + $ib" 1) B); target <= 128: $v3"
	row "Pipeline, $ME events, 1M sources" "$eps1 M ev/s ($(kv full_ns "$r1") ns/ev, median of $(kv repeats "$r1"): $(kv full_min_ns "$r1")-$(kv full_max_ns "$r1") ns)" \
		"floor (intake parse only) $f1 M ev/s; memory alone $(calc "1000 / $(kv mem_ns "$r1")" 1) M ev/s, with the LRU neighbours $(calc "1000 / $(kv mem_lru_ns "$r1")" 1) M ev/s" \
		"$(kv ratio "$r1")x floor time" ">= 10M ev/s" "$v1"
	row "Pipeline, $ME events, 5000 sources" "$eps2 M ev/s ($(kv full_ns "$r2") ns/ev, median of $(kv repeats "$r2"): $(kv full_min_ns "$r2")-$(kv full_max_ns "$r2") ns)" \
		"floor $f2 M ev/s; memory alone $(calc "1000 / $(kv mem_ns "$r2")" 1) M ev/s" \
		"$(kv ratio "$r2")x floor time" ">= 10M ev/s" "$v2"
	row "Bytes per tracked host ($(kv hosts "$r1") hosts, RSS delta)" "$bph B" \
		"sizeof(struct host) + index = $(calc "$sh + $ib" 1) B" "$(calc "$bph / ($sh + $ib)" 2)x" "<= 128 B" "$v3"
	if [ "$v1" = FAIL ] || [ "$v2" = FAIL ]; then
		say ""
		say "MISS: the pipeline runs at $eps1 / $eps2 M events/s (1M / 5000 sources), not 10. Of each"
		say "  event's $(kv full_ns "$r1") / $(kv full_ns "$r2") ns, intake_parse_datagram takes $(kv floor_ns "$r1") / $(kv floor_ns "$r2") ns and"
		say "  packet_parse $(calc "$(kv packet_ns "$r1") - $(kv floor_ns "$r1")" 0) / $(calc "$(kv packet_ns "$r2") - $(kv floor_ns "$r2")" 0) ns. The memory an event touches on this layout (index"
		say "  line, host, dedupe entry), batched and prefetched as the daemon does but with no"
		say "  logic, costs alone $(kv mem_ns "$r1") / $(kv mem_ns "$r2") ns, and $(kv mem_lru_ns "$r1") / $(kv mem_lru_ns "$r2") ns with the two LRU neighbours a"
		say "  host's move to the front writes (nearly every event with 1M sources, few with 5000):"
		say "  parse + memory = $(calc "$(kv floor_ns "$r1") + $(kv mem_lru_ns "$r1")" 0) ns with 1M sources, at most $(calc "1000 / ($(kv floor_ns "$r1") + $(kv mem_lru_ns "$r1"))" 1) M events/s before any counting."
		local logic
		logic=$(calc "$(kv full_ns "$r2") - $(kv floor_ns "$r2") - $(kv mem_ns "$r2")" 0)
		say "  The counting and deciding itself, with everything in cache (5000 sources: full -"
		say "  parse - memory), costs $logic ns: parse + memory + logic = $(calc "$(kv floor_ns "$r1") + $(kv mem_lru_ns "$r1") + $logic" 0) ns with 1M sources"
		say "  if none of it overlapped, $(calc "$(kv floor_ns "$r1") + $(kv mem_ns "$r1") + $logic" 0) ns even without the LRU list's neighbours."
		say "  The rest, $(calc "$(kv full_ns "$r1") - $(kv packet_ns "$r1")" 0) / $(calc "$(kv full_ns "$r2") - $(kv packet_ns "$r2")" 0) ns, is daemon_on_event and the batch's counting: with 1M"
		say "  hosts, cache and TLB misses (they overlap across a batch of 16, so they show up in"
		say "  the prefetch stages); with 5000 sources, instructions, most of them on hosts"
		say "  already blocked (every source of that run crosses the threshold early on)."
		pipeline_profile -6 -s 1000000 -m 1000000
	fi
}

# --- lab helpers ---

lab_start() {
	[ -n "${LAB_UP:-}" ] && return 0
	NFLOGD=$BB/nflogd
	NFLOGCTL=$BB/nflogctl
	LAB=nflb$$	# read by lab.sh
	export LAB
	LAB_DIR=$WORK/lab
	mkdir -p "$LAB_DIR"
	# shellcheck source=../integration/lab.sh
	. "$ROOT/tests/integration/lab.sh"
	LAB_UP=1
	lab_up || { say "bench: could not build the lab"; return 1; }
	# Our own counting, apart from the daemon's table: every new SMTP
	# connection the gateway forwards (the log rules' match). Priority -20:
	# before nflogd's chain (-10), so it sees what the log rule sees.
	# And the SYNs of the reaction's references and outside check
	# (198.19.128.0/17) to group 28, read by our watcher for the kernel's
	# timestamp of each (priority -30: first).
	in_gw nft -f - <<-'NFT' || return 1
	table inet nflbench {
		set probe4 { type ipv4_addr; flags timeout; timeout 1h; }
		chain count {
			type filter hook forward priority -20;
			tcp dport 25 ct state new counter
		}
		chain stamp {
			type filter hook forward priority -30;
			ip saddr 198.19.128.0/17 tcp dport 25 ct state new log group 28 snaplen 40
		}
	}
	NFT
	# The internet side counts SYNs (lab.sh), then drops them: no RSTs
	# come back, so the gateway forwards the SYNs and nothing else.
	in_wan nft -f - <<-'NFT' || return 1
	table inet nflbench {
		chain input {
			type filter hook input priority 10;
			tcp dport 25 drop
		}
	}
	NFT
	# 1M unanswered connections: let conntrack forget them after 1 s (this
	# namespace only), or its table (nf_conntrack_max, 262144 here) fills
	# up at ~100k SYN/s and drops new connections.
	in_gw sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_syn_sent=1 2>/dev/null
}
counted() {
	in_gw nft list chain inet nflbench count | awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}
# nl_drops PID [unsub|sub]: netlink drops (/proc/net/netlink, Drops) over
# the sockets of PID in the gateway; "unsub": only sockets in no multicast
# group (the NFLOG intake, nft requests), "sub": only subscribed ones (the
# daemon's nf_tables monitor).
nl_drops() {
	local inodes
	inodes=$(ls -l "/proc/$1/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\].*/\1/p' | tr '\n' ' ')
	in_gw cat /proc/net/netlink | awk -v ino=" $inodes " -v w="${2:-all}" 'NR > 1 && index(ino, " " $10 " ") &&
		(w == "all" || (w == "sub") == ($4 !~ /^0+$/)) { d += $9 } END { print d + 0 }'
}
# Packets the gateway's conntrack dropped because its table was full
# (/proc/net/stat/nf_conntrack, "drop", summed over CPUs).
ct_drops() {
	local d=0 l
	while read -r l; do
		# shellcheck disable=SC2086
		set -- $l
		[ $# -ge 11 ] && d=$((d + 16#${11}))
	done < <(in_gw cat /proc/net/stat/nf_conntrack | tail -n +2)
	echo "$d"
}
status_num() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$2" | head -n1; }
flood() {	# base_port count: SYNs from 5000 sources to 200 destinations, full speed
	in_lan "$BB/synflood" -s 198.18.0.1 -S 5000 -d 203.0.113.1 -D 200 -c "$2" -b "$1" -r 0
}

# --- 2. end to end ---

e2e_nflogd() {
	local conf=$LAB_DIR/e2e.conf c0 c1 cpu0 cpu1 out run0 ct0
	write_conf "$conf" threshold=1000000
	daemon_start "$conf" || { FAILED_TO_RUN=1; return 1; }
	c0=$(counted); cpu0=$(cpu_s "$DAEMON_PID"); run0=$(run_s "$DAEMON_PID"); ct0=$(ct_drops)
	out=$(flood 1024 "$E2E_SYNS")
	wait_idle "$DAEMON_PID"
	cpu1=$(cpu_s "$DAEMON_PID"); c1=$(counted); N_RUN=$(calc "$(run_s "$DAEMON_PID") - $run0" 2)
	N_CTDROP=$(( $(ct_drops) - ct0 ))
	N_DROPS=$(nl_drops "$DAEMON_PID" unsub)
	N_KERNEL=$((c1 - c0)); N_CPU=$(calc "$cpu1 - $cpu0" 2); N_SEND=$out
	if [ -x "$NFLOGCTL" ] && "$NFLOGCTL" -s "$LAB_DIR/nflogd.sock" --json status >"$WORK/status.json" 2>/dev/null; then
		N_RECV=$(status_num events_received "$WORK/status.json")
		N_LOST=$(status_num events_lost "$WORK/status.json")
		N_OVR=$(status_num overruns "$WORK/status.json")
		N_DGRAMS=$(status_num datagrams "$WORK/status.json")
		N_BATCH=$(status_num kernel_batching "$WORK/status.json")
		N_SRC="nflogctl --json status"
	fi
	if [ -n "$PERF" ] && [ "$PROFILE" = 1 ]; then	# a second, profiled flood
		perf record -q --call-graph dwarf -F 999 -p "$DAEMON_PID" -o "$WORK/e2e.perf" -- sleep 600 >/dev/null 2>&1 &
		local pp=$!
		sleep 0.3
		flood 5000 200000 >/dev/null
		wait_idle "$DAEMON_PID"
		kill -INT "$pp" 2>/dev/null; wait "$pp" 2>/dev/null
	fi
	daemon_stop
	if [ -z "${N_RECV:-}" ]; then	# no control socket: the stop line
		local line; line=$(grep 'stopped:' "$LAB_DIR/daemon.log" | tail -n1)
		N_RECV=$(printf '%s' "$line" | sed -n 's/.*stopped: \([0-9]*\) events.*/\1/p')
		N_LOST=$(printf '%s' "$line" | sed -n 's/.* \([0-9]*\) lost.*/\1/p'); N_OVR="?"; N_DGRAMS="?"
		N_SRC="the daemon's stop line"
	fi
}

e2e_ulogd() {
	local u=$LAB_DIR/ulogd p=/usr/lib/x86_64-linux-gnu/ulogd c0 c1 cpu0 cpu1 up run0 ct0
	mkdir -p "$u"
	[ -d "$p" ] || p=$(dirname "$(find /usr/lib -name ulogd_inppkt_NFLOG.so | head -n1)")
	cat >"$u/ulogd.conf" <<-EOF
	[global]
	logfile="$u/ulogd.log"
	loglevel=3
	plugin="$p/ulogd_inppkt_NFLOG.so"
	plugin="$p/ulogd_raw2packet_BASE.so"
	plugin="$p/ulogd_filter_IFINDEX.so"
	plugin="$p/ulogd_filter_IP2STR.so"
	plugin="$p/ulogd_filter_PRINTPKT.so"
	plugin="$p/ulogd_output_LOGEMU.so"
	stack=log1:NFLOG,base1:BASE,ifi1:IFINDEX,ip2str1:IP2STR,print1:PRINTPKT,emu1:LOGEMU

	[log1]
	group=26
	netlink_socket_buffer_size=8388608
	netlink_socket_buffer_maxsize=16777216

	[emu1]
	file="$u/emu.log"
	sync=0
	EOF
	in_gw nft add chain inet nflbench ulog '{ type filter hook forward priority -10; }' &&
		in_gw nft add rule inet nflbench ulog tcp dport 25 ct state new log group 26 snaplen 128 ||
		{ FAILED_TO_RUN=1; return 1; }
	ip netns exec "$GW" ulogd -c "$u/ulogd.conf" >"$u/stdout" 2>&1 &
	up=$!; BG_PIDS+=("$up")
	for _ in $(seq 50); do grep -q 'entering main loop' "$u/ulogd.log" 2>/dev/null && break; sleep 0.1; done
	if ! kill -0 "$up" 2>/dev/null; then
		say "ulogd2 did not start:"; cat "$u/ulogd.log" "$u/stdout"; FAILED_TO_RUN=1; return 1
	fi
	c0=$(counted); cpu0=$(cpu_s "$up"); run0=$(run_s "$up"); ct0=$(ct_drops)
	U_SEND=$(flood 1324 "$E2E_SYNS")
	# Idle for 1.6 s: the kernel holds ulogd's last partial batch until its
	# flush timer (1 s by default) fires.
	wait_idle "$up" 8
	cpu1=$(cpu_s "$up"); c1=$(counted); U_RUN=$(calc "$(run_s "$up") - $run0" 2)
	U_CTDROP=$(( $(ct_drops) - ct0 ))
	U_DROPS=$(nl_drops "$up")
	stop_pid "$up"		# LOGEMU flushes its file on exit
	U_KERNEL=$((c1 - c0)); U_CPU=$(calc "$cpu1 - $cpu0" 2)
	U_LINES=$(wc -l <"$u/emu.log")
	U_SAMPLE=$(head -n1 "$u/emu.log" | cut -c1-150)
	rm -f "$u/emu.log"
	in_gw nft delete chain inet nflbench ulog
}

e2e_sink() {	# QTHRESHOLD MODE BASE_PORT: sets S_*
	local c0 c1 cpu0 cpu1 sp run0
	in_gw nft add chain inet nflbench sink '{ type filter hook forward priority -10; }' &&
		in_gw nft add rule inet nflbench sink tcp dport 25 ct state new log group 27 snaplen 128 ||
		return 1
	# shellcheck disable=SC2086
	ip netns exec "$GW" "$BB/nflogsink" -g 27 -q "$1" $2 >"$WORK/sink.out" 2>&1 &
	sp=$!; BG_PIDS+=("$sp")
	for _ in $(seq 50); do grep -q ready "$WORK/sink.out" && break; sleep 0.1; done
	c0=$(counted); cpu0=$(cpu_s "$sp"); run0=$(run_s "$sp")
	S_SEND=$(flood "$3" "$REF_SYNS")
	wait_idle "$sp"
	cpu1=$(cpu_s "$sp"); c1=$(counted); S_RUN=$(calc "$(run_s "$sp") - $run0" 2)
	stop_pid "$sp"
	S_KERNEL=$((c1 - c0)); S_CPU=$(calc "$cpu1 - $cpu0" 2)
	S_RES=$(grep '^RESULT' "$WORK/sink.out")
	in_gw nft delete chain inet nflbench sink
}

bench_e2e() {
	hr "2. End to end in the lab: $E2E_SYNS SYNs from 5000 sources to 200 destinations, full speed"
	say "(load average $(cut -d' ' -f1-3 /proc/loadavg): other work on this machine shares the 2 CPUs)"
	lab_start || { FAILED_TO_RUN=1; return 1; }
	say "Generator: synflood (raw socket, one process) in the LAN namespace; the WAN side drops"
	say "the SYNs (no RSTs). Counting: our own rule in the gateway, table inet nflbench,"
	say "'tcp dport 25 ct state new counter' at priority -20 (the log rules' match)."
	say "CPU: utime + stime from /proc/PID/stat (CLK_TCK $(getconf CLK_TCK)), from just before the flood"
	say "until the consumer has been idle for 0.6 s. One consumer at a time, each its own group."
	say ""
	say "-- nflogd (group 25, threshold 1000000 so no source is blocked and every event is"
	say "   processed; not a dry run), as built"
	e2e_nflogd || return
	local n_per u_per
	n_per=$(calc "$N_CPU * 1000000 / ($N_RECV > 0 ? $N_RECV : 1)" 2)
	say "   generator: $N_SEND; dropped by the gateway's conntrack (table full): $N_CTDROP"
	say "   kernel counter $N_KERNEL; nflogd received $N_RECV in $N_DGRAMS datagrams, lost $N_LOST (seq gaps), overruns $N_OVR, netlink drops $N_DROPS (from $N_SRC)"
	say "   nflogd CPU ${N_CPU} s = $n_per s per 1M events (on-CPU time from schedstat: $N_RUN s = $(calc "$N_RUN * 1000000 / ($N_RECV > 0 ? $N_RECV : 1)" 2) s per 1M)"
	say ""
	say "-- ulogd2 $(ulogd -V 2>&1 | sed -n 's/.*Version \([0-9.]*\).*/\1/p' | head -n1) (group 26, own log rule 'ct state new log group 26 snaplen 128'),"
	say "   NFLOG -> BASE -> IFINDEX -> IP2STR -> PRINTPKT -> LOGEMU; kernel batching at its"
	say "   defaults (ulogd sets no qthreshold), socket buffer 8 MiB (may grow to 16 MiB)."
	say "   LOGEMU writes to a file, not /dev/null, so its lines can be counted: loss = kernel"
	say "   counter - lines written (file closed first); netlink Drops shown beside it."
	e2e_ulogd || return
	u_per=$(calc "$U_CPU * 1000000 / ($U_LINES > 0 ? $U_LINES : 1)" 2)
	say "   generator: $U_SEND; dropped by the gateway's conntrack (table full): $U_CTDROP"
	say "   kernel counter $U_KERNEL; ulogd2 wrote $U_LINES lines, lost $((U_KERNEL - U_LINES)), netlink drops $U_DROPS"
	say "   e.g. $U_SAMPLE"
	say "   ulogd2 CPU ${U_CPU} s = $u_per s per 1M events (on-CPU time from schedstat: $U_RUN s = $(calc "$U_RUN * 1000000 / ($U_LINES > 0 ? $U_LINES : 1)" 2) s per 1M)"
	say ""
	say "-- reference consumers (tests/bench/nflogsink: nflogd's intake_open + intake_drain,"
	say "   group 27, epoll loop, $REF_SYNS SYNs each):"
	local refs=""
	have nflogsink || say "   (skipped: tests/bench/nflogsink.c did not build)"
	have nflogsink && for spec in "1||1624|parse only, every event at once" \
		"busy||1924|parse only, batched" \
		"busy|-d|2224|daemon_on_event, batched"; do
		IFS='|' read -r q m base what <<<"$spec"
		e2e_sink "$q" "$m" "$base" || { say "   sink failed"; continue; }
		local ev per qk
		ev=$(kv events "$S_RES"); qk=$(kv q "$S_RES")
		per=$(calc "$S_CPU * 1000000 / (${ev:-0} > 0 ? $ev : 1)" 2)
		what="$what (qthreshold $qk)"
		say "   $what: $per s per 1M events (schedstat $(calc "$S_RUN * 1000000 / (${ev:-0} > 0 ? $ev : 1)" 2) s); $ev of $S_KERNEL received in $(kv datagrams "$S_RES") datagrams, lost $(kv lost "$S_RES"), overruns $(kv overruns "$S_RES"); generator ${S_SEND#sent }"
		refs="$refs; $what $per s"
		case "$q|$m" in
		"1|") Q1P=$per ;;
		"busy|") QBP=$per ;;
		"busy|-d") QB=$per ;;
		esac
		QBN=$qk
	done
	say ""
	local ratio v_loss=FAIL v_cpu v_ratio
	ratio=$(calc "$n_per / ($u_per > 0 ? $u_per : 1)" 3)
	[ "${N_LOST:-1}" = 0 ] && [ "$N_RECV" -ge "$N_KERNEL" ] && [ "${N_OVR:-0}" = 0 ] && v_loss=PASS
	v_cpu=$(verdict le "$n_per" 0.4)
	v_ratio=$(verdict le "$ratio" 0.1)
	say "e2e loss: nflogd lost $N_LOST (seq gaps; $((N_KERNEL - N_RECV)) counted by the kernel but not received), overruns $N_OVR; ulogd2 lost $((U_KERNEL - U_LINES)); target 0: $v_loss"
	say "e2e CPU: nflogd $n_per s per 1M events; target <= 0.4: $v_cpu"
	say "e2e CPU ratio nflogd/ulogd2: $n_per / $u_per = ${ratio}x; target <= 0.1 (10x below): $v_ratio"
	row "End to end: events lost at full rate" "nflogd $N_LOST lost, $N_OVR overruns, $((N_KERNEL - N_RECV)) missing of $N_KERNEL" \
		"ulogd2 $((U_KERNEL - U_LINES)) lost of $U_KERNEL" "-" "0 lost" "$v_loss"
	row "End to end: nflogd CPU per 1M events" "$n_per s" "ulogd2 $u_per s${refs}" \
		"${ratio}x ulogd2" "<= 0.4 s" "$v_cpu"
	row "End to end: CPU nflogd / ulogd2" "${ratio}x" "ulogd2 $u_per s per 1M" "$ratio" "<= 0.1x" "$v_ratio"
	if [ "$v_cpu" = FAIL ] || [ "$v_ratio" = FAIL ] || [ "$v_loss" = FAIL ]; then
		say ""
		say "MISS: nflogd costs $n_per s per 1M events; it received $(calc "$N_RECV / (${N_DGRAMS:-0} > 0 ? $N_DGRAMS : 1)" 1) events per datagram"
		say "  (kernel batching at the end: ${N_BATCH:-?}). The reference consumers separate the parts:"
		say "  receiving alone costs ${Q1P:-?} s with every event at once and ${QBP:-?} s batched"
		say "  (qthreshold ${QBN:-?}); nflogd's per-event path on top, batched: ${QB:-?} s."
		say "  What is left between those and nflogd is its own loop (timers, the nft monitor"
		say "  socket, control socket) and how often it wakes up: $N_DGRAMS datagrams, about one"
		say "  wake-up each. In the profile below, time inside epoll_wait (the sleep and wake-up;"
		say "  with perf's timer sampling in a VM it lands where interrupts are enabled again,"
		say "  _raw_spin_unlock_irq) is that cost; the rest is the per-event path."
		if [ -s "$WORK/e2e.perf" ]; then
			say "  nflogd profile (perf, 200k more SYNs), by object:"
			perf_split "$WORK/e2e.perf" --comms=nflogd
			say "  hottest symbols:"
			perf_top "$WORK/e2e.perf" --comms=nflogd
			say "  inclusive (callees counted), total / self:"
			perf_children "$WORK/e2e.perf" --comms=nflogd
		fi
	fi
}

# --- 3. reaction ---

# Percentiles of numbers on stdin: "n p50 p99 max", rounded.
pct() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "0 - - -"; exit }
		i50 = int(NR * 0.50 + 0.999); i99 = int(NR * 0.99 + 0.999);
		printf "%d %.0f %.0f %.0f\n", NR, v[i50], v[i99], v[NR] }'
}
# Per bot (addresses starting with PREFIX), microseconds from the kernel
# timestamp of its 21st logged SYN (the watcher's "L" lines) to the
# element-add event of its address.
latency_kts() {	# MONITOR PREFIX|ADDR
	awk -v pre="$2" '$1 == "L" { if ((pre ~ /\.$/ ? index($4, pre) == 1 : $4 == pre) && ++n[$4] == 21 && $2 > 0) k[$4] = $2; next }
		$1 !~ /^#/ && !($2 in t) { t[$2] = $1 }
		END { for (a in k) if (a in t) print (t[a] - k[a]) / 1000 }' "$1"
}
# A bare NFLOG reader's delivery: from each logged SYN's kernel timestamp to
# the watcher reading it (its own wake-up included), every SYN of the bots.
delivery_kts() {	# MONITOR PREFIX
	awk -v pre="$2" '$1 == "L" && $2 > 0 && index($4, pre) == 1 { print ($3 - $2) / 1000 }' "$1"
}
syns_at_wan() {
	in_wan nft list set inet labwan syn4 2>/dev/null | tr ',{}' '\n\n\n' |
		awk '{ for (i = 1; i < NF; i++) if ($i == "packets") print $1, $(i + 1) }'
}

# One pass of bots: a fresh daemon, BOTS bots from BASE at RATE, its status
# kept in JSON.
reaction_pass() {	# CONF RATE BURST BASE NBOTS JSON STAMPS
	daemon_stop; rm -f "$LAB_DIR"/state*
	daemon_start "$1" || return 1
	in_lan "$BB/synflood" -s "$4" -S "$5" -G "$3" -d 203.0.113.1 -D 20 \
		-c $(($5 * $3)) -r "$2" -I -T "$7" >/dev/null || return 1
	sleep 0.3
	"$NFLOGCTL" -s "$LAB_DIR/nflogd.sock" --json status >"$6" 2>/dev/null
}
# "p50 p99 max" of a pct line, as "p50 X us, p99 Y us, max Z us".
pct_text() { echo "$1" | awk '{ printf "p50 %s us, p99 %s us, max %s us", $2, $3, $4 }'; }

bench_reaction() {
	hr "3. Reaction: one bot at a time, at 100 and at 1000 SYN/s (threshold 20, normal config)"
	say "(load average $(cut -d' ' -f1-3 /proc/loadavg))"
	lab_start || { FAILED_TO_RUN=1; return 1; }
	local conf=$LAB_DIR/react.conf mon=$WORK/monitor.txt mp
	write_conf "$conf"
	wan_counters_reset
	say "Each bot (its own source address in 198.19.0.0/16) sends its SYNs in a row to 20"
	say "destinations, then the next bot starts: $BOTS bots per rate, one block each. The"
	say "sender keeps at least 1/RATE between SYNs (synflood -I): descheduled, it sends later"
	say "rather than catching up with a burst that no rate limit of a real bot would make."
	say "Latency as the issue defines it, measured by the daemon: from the kernel timestamp"
	say "(NFULA_TIMESTAMP) of the threshold-crossing SYN to the kernel's ACK of the set"
	say "insert it caused (nflogctl status: block_latency_*; a fresh daemon per rate), and"
	say "the daemon's own share of it, from its wake-up with the event to the ACK"
	say "(block_handling_*). The daemon runs alone: nothing else of ours wakes per SYN."
	say "References, each measured alone, without the daemon: the kernel's commit (nftwatch"
	say "probe: one element per libnftnl batch, as the daemon adds a block, send -> ACK),"
	say "and the kernel's delivery of NFLOG events to a bare reader (nftwatch monitor -g 28"
	say "reading a log rule of ours, 'ip saddr 198.19.128.0/17 tcp dport 25 ct state new log"
	say "group 28', for SYNs sent like the bots': each event's timestamp -> read)."
	say "An outside check after: the same bots (half as many) with that reader watching every"
	say "SYN and the daemon's set, from the crossing SYN's timestamp to the element-add"
	say "event it reads (sent while the kernel commits the batch, just before the ACK): an"
	say "upper bound, the reader's own wake-up included, on a machine it makes busier."
	say "Passed: SYNs of each bot counted on the WAN side, minus the 21 before the block."

	# References, alone.
	ip netns exec "$GW" "$BB/nftwatch" probe nflbench probe4 "$BOTS" 20 >"$WORK/probe.txt" ||
		{ FAILED_TO_RUN=1; return 1; }
	P_ACK=$(awk 'NF == 3 { print ($3 - $1) / 1000 }' "$WORK/probe.txt" | pct)
	local rate burst deliv_100 deliv_1000
	for rate in 100 1000; do
		ip netns exec "$GW" "$BB/nftwatch" monitor -g 28 nflbench probe4 >"$mon.ref" 2>"$WORK/monitor.err" &
		mp=$!; BG_PIDS+=("$mp")
		for _ in $(seq 50); do grep -q ready "$WORK/monitor.err" && break; sleep 0.1; done
		in_lan "$BB/synflood" -s 198.19.200.1 -S 1 -d 203.0.113.1 -D 20 -c $((rate * 3)) \
			-r $rate -I >/dev/null
		sleep 0.2
		stop_pid "$mp"
		printf -v "deliv_$rate" '%s' "$(delivery_kts "$mon.ref" 198.19.200. | pct)"
	done
	say ""
	say "reference, the kernel's commit alone (send -> ACK, n $(echo "$P_ACK" | cut -d' ' -f1)): $(pct_text "$P_ACK")"
	say "reference, the kernel's delivery to a bare NFLOG reader: at 100 SYN/s $(pct_text "$deliv_100");"
	say "   at 1000 SYN/s $(pct_text "$deliv_1000")"

	local base vp= vl passes nb pmin pmax pmean zero one slow rj
	local dn d50 d99 dmax h50 h99 hmax deliv ratio
	for rate in 100 1000; do
		if [ $rate = 100 ]; then burst=23; base=198.19.1.1; else burst=30; base=198.19.2.1; fi
		rj=$WORK/react.$rate.json
		reaction_pass "$conf" $rate $burst $base "$BOTS" "$rj" "$WORK/stamps.$rate" ||
			{ FAILED_TO_RUN=1; return 1; }
		dn=$(status_num block_latency_samples "$rj"); d50=$(status_num block_latency_p50_us "$rj")
		d99=$(status_num block_latency_p99_us "$rj"); dmax=$(status_num block_latency_max_us "$rj")
		h50=$(status_num block_handling_p50_us "$rj"); h99=$(status_num block_handling_p99_us "$rj")
		hmax=$(status_num block_handling_max_us "$rj")
		deliv=deliv_$rate; deliv=${!deliv}
		# Per bot: SYNs that reached the WAN, minus the 21 before the block.
		passes=$(syns_at_wan | awk -v pre="${base%.*}." 'index($1, pre) == 1 { print $2 }' | sort -n |
			awk '{ v[NR] = $1; s += $1; if ($1 - 21 <= 0) z++; if ($1 - 21 <= 1) o++ }
				END { if (!NR) { print "0 - - - - -"; exit }
				printf "%d %d %d %.2f %d %d\n", NR, v[1] - 21, v[NR] - 21, s / NR - 21, z, o }')
		read -r nb pmin pmax pmean zero one <<<"$passes"
		# The bots that got more than one SYN through after the crossing one.
		slow=$(syns_at_wan | awk -v pre="${base%.*}." 'index($1, pre) == 1 && $2 - 21 > 1 { printf "%s (%d after) ", $1, $2 - 21 }')
		vl=$(verdict lt "${d99:-999999}" 1000)
		ratio=$(calc "${d99:-0} / $(echo "$P_ACK" | cut -d' ' -f3)" 1)
		say ""
		say "-- $rate SYN/s, $BOTS bots x $burst SYNs, the daemon alone:"
		say "   block latency, event timestamp -> ACK (n ${dn:-0}): p50 ${d50:--} us, p99 ${d99:--} us, max ${dmax:--} us"
		say "   of which the daemon's wake-up with the event -> ACK: p50 ${h50:--} us, p99 ${h99:--} us, max ${hmax:--} us"
		say "   (the rest, the kernel's delivery and the daemon's scheduling: about p50 $(calc "0${d50:-0} - 0${h50:-0}" 0) us)"
		say "   shortest gap between two SYNs of a bot: $(awk -v g=$burst '$1 % g && NR > 1 { d = ($3 - p) / 1000; if (m == "" || d < m) m = d } { p = $3 } END { printf "%.0f", m }' "$WORK/stamps.$rate") us (1/RATE = $((1000000 / rate)) us)"
		say "   SYNs after the crossing one that reached the WAN: min $pmin, mean $pmean, max $pmax over $nb bots ($zero bots none, $one at most 1)"
		[ -n "$slow" ] && say "   more than 1 after the crossing one: $slow"
		say "   p99 < 1 ms: $vl"
		row "Reaction at $rate SYN/s: block latency (n=${dn:-0})" "p50 ${d50:--} us, p99 ${d99:--} us, max ${dmax:--} us (the daemon's wake-up -> ACK: p50 ${h50:--}, p99 ${h99:--} us)" \
			"bare commit p50 $(echo "$P_ACK" | cut -d' ' -f2), p99 $(echo "$P_ACK" | cut -d' ' -f3) us; bare NFLOG delivery p50 $(echo "$deliv" | cut -d' ' -f2), p99 $(echo "$deliv" | cut -d' ' -f3) us" \
			"p99 ${ratio}x commit's" "p99 < 1 ms" "$vl"
		if [ $rate = 1000 ]; then
			vp=FAIL; [ "${pmax:-99}" -le 1 ] && vp=PASS
			say "   at most threshold+2 = 22 passed (<= 1 after the crossing one) for every bot: $vp"
			row "Reaction at 1000 SYN/s: SYNs passed" "max $((pmax + 21)) per bot ($pmax after the crossing one; mean $pmean)" \
				"-" "-" "<= threshold+2 = 22" "$vp"
		else
			row "Reaction at 100 SYN/s: SYNs passed" "max $((pmax + 21)) per bot ($pmax after the crossing one)" \
				"-" "-" "(no target)" "-"
		fi
		if [ "$vl" = FAIL ] || [ "${vp:-}" = FAIL ]; then
			MISSED_REACTION=1
			say "   MISS: p99 ${d99:--} us (p50 ${d50:--} us). The daemon's share, from its wake-up to"
			say "   the ACK, is p99 ${h99:--} us, of which the bare commit alone has p99 $(echo "$P_ACK" | cut -d' ' -f3) us here; the kernel's"
			say "   delivery to a bare reader alone has p99 $(echo "$deliv" | cut -d' ' -f3) us. A block needs both, one after the"
			say "   other, on $(nproc) vCPUs shared with other work (load average now: $(cut -d' ' -f1-3 /proc/loadavg))."
		fi
	done

	# The outside check: the reader watches every SYN and the daemon's set.
	ip netns exec "$GW" "$BB/nftwatch" monitor -g 28 nflogd blocked4 >"$mon" 2>"$WORK/monitor.err" &
	mp=$!; BG_PIDS+=("$mp")
	for _ in $(seq 50); do grep -q ready "$WORK/monitor.err" && break; sleep 0.1; done
	say ""
	say "-- outside check, $((BOTS / 2)) bots per rate with the reader watching every SYN:"
	for rate in 100 1000; do
		if [ $rate = 100 ]; then burst=23; base=198.19.129.1; else burst=30; base=198.19.130.1; fi
		rj=$WORK/check.$rate.json
		reaction_pass "$conf" $rate $burst $base $((BOTS / 2)) "$rj" "$WORK/cstamps.$rate" ||
			{ FAILED_TO_RUN=1; return 1; }
		say "   $rate SYN/s: the reader saw event -> element-add $(pct_text "$(latency_kts "$mon" "${base%.*}." | pct)");"
		say "      the daemon measured meanwhile p50 $(status_num block_latency_p50_us "$rj") us, p99 $(status_num block_latency_p99_us "$rj") us"
	done
	stop_pid "$mp"
	if [ -n "${MISSED_REACTION:-}" ] && [ "$PROFILE" = 1 ] && command -v strace >/dev/null; then
		say ""
		say "   One more block (a bot at 1000 SYN/s) under strace -T: the daemon's system calls"
		say "   from the wake-up with the crossing event to the block's log line (strace slows"
		say "   every call down; the times between calls are not the daemon's own):"
		strace -tt -T -p "$DAEMON_PID" -o "$WORK/strace.txt" 2>/dev/null &
		local sp=$!
		sleep 0.5
		in_lan "$BB/synflood" -s 198.19.3.1 -S 1 -G 25 -d 203.0.113.1 -D 20 -c 25 -r 1000 -I >/dev/null
		sleep 1
		kill "$sp" 2>/dev/null; wait "$sp" 2>/dev/null
		grep -q 'write(2, "block' "$WORK/strace.txt" || say "      (strace saw no block line: $(wc -l <"$WORK/strace.txt") system calls traced)"
		# From the wake-up that brought the crossing event, through the
		# batch sent to nf_tables, to the block's log line and a little after.
		awk '/write\(2, "block/ && !b { b = NR } { l[NR] = $0 } END {
			if (!b) exit
			for (s = b; s > 1 && l[s] !~ /sendto\(/; s--) ;
			for (e = s; e > 1 && l[e] !~ /epoll_wait\(/; e--) ;
			if (b - e > 40) e = b - 12
			for (i = e; i <= b + 3 && i <= NR; i++) print l[i] }' \
			"$WORK/strace.txt" | cut -c1-120 | sed 's/^/      /'
		awk '/^[0-9:.]+ fsync\(/ { n++; d = substr($NF, 2) + 0; if (d > m) m = d }
			END { if (n) printf "      the state file saves in the same trace: %d fsync calls, the longest %.1f ms (in the event loop: events wait meanwhile)\n", n, m * 1000 }' \
			"$WORK/strace.txt"
	fi
	daemon_stop
}

# --- 4. bulk ---

write_state() {	# FILE N
	local now; now=$(date +%s)
	{
		echo "# nflogd state 1"
		awk -v n="$2" -v now="$now" 'BEGIN { for (k = 1; k <= n; k++) { a = 198 * 16777216 + 18 * 65536 + k;
			printf "%d.%d.%d.%d blocked=1 reason=auto offences=1 conns=21 dsts=5 since=%d expires=%d last_end=0 mac=-\n",
				int(a / 16777216), int(a / 65536) % 256, int(a / 256) % 256, a % 256, now - 10, now + 3600 } }'
	} >"$1"
}

bench_bulk() {
	hr "4. Bulk: 100000 blocks"
	lab_start || { FAILED_TO_RUN=1; return 1; }
	local conf=$LAB_DIR/bulk.conf res pid t_table first nftcount ref_s v
	write_conf "$conf" max_blocked=200000
	write_state "$LAB_DIR/state" 100000
	say "State file: 100000 lines 'ADDR blocked=1 reason=auto offences=1 conns=21 dsts=5"
	say "since=NOW-10 expires=NOW+3600 last_end=0 mac=-' (198.18.0.1 ...), max_blocked 200000."
	say "Timed by tests/bench/nftwatch start: fork+exec of nflogd, then a GETTABLE request"
	say "every millisecond (no event subscription of ours). The daemon installs the table"
	say "and every element in one atomic batch, so the table appearing is all 100k in the"
	say "kernel; the count read right after confirms it."
	# Reference, first (no daemon around): the nft command loading the same
	# 100k elements into a table of its own.
	{
		echo "table inet nflbref {"
		echo "set blocked4 { type ipv4_addr; flags timeout; elements = {"
		awk 'BEGIN { for (k = 1; k <= 100000; k++) { a = 198 * 16777216 + 18 * 65536 + k;
			printf "%d.%d.%d.%d timeout 3600s%s\n", int(a / 16777216), int(a / 65536) % 256,
				int(a / 256) % 256, a % 256, k < 100000 ? "," : "" } }'
		echo "}"; echo "}"; echo "}"
	} >"$WORK/ref.nft"
	local t0 t1
	t0=$(date +%s.%N); in_gw nft -f "$WORK/ref.nft"; t1=$(date +%s.%N)
	ref_s=$(calc "$t1 - $t0" 3)
	in_gw nft delete table inet nflbref
	sleep 1		# let the kernel free those elements before the daemon's turn
	res=$(ip netns exec "$GW" "$BB/nftwatch" start nflogd blocked4 100000 30 -- \
		"$NFLOGD" -f -c "$conf" 2>"$LAB_DIR/bulk.log")
	pid=$(kv pid "$res"); EXTRA_DAEMON=$pid
	t_table=$(kv table_s "$res"); first=$(kv first_count "$res")
	nftcount=$(in_gw nft -j list set inet nflogd blocked4 2>/dev/null |
		python3 -c 'import json, sys; d = json.load(sys.stdin); print(sum(len(x["set"].get("elem", [])) for x in d["nftables"] if "set" in x))' 2>/dev/null)
	stop_pid "$pid"; EXTRA_DAEMON=
	v=FAIL
	[ "${first:-0}" -ge 100000 ] && lt "$t_table" 1 && v=PASS
	say ""
	say "bulk start: table with all 100k elements $t_table s after exec (count right after: $first; nft -j list set: ${nftcount:-?}); target < 1 s: $v"
	say "reference: 'nft -f' of the same 100k elements: $ref_s s (ratio $(calc "$t_table / $ref_s" 2)x)"
	row "Bulk: start with 100k blocks in the state file" "$t_table s to table + 100k elements" \
		"nft -f of the same elements $ref_s s" "$(calc "$t_table / $ref_s" 2)x" "< 1 s" "$v"
	if [ "$PROFILE" = 1 ] && [ -n "$PERF" ] && { [ "$v" = FAIL ] || lt 0.5 "$t_table"; }; then
		say "  where the time goes (a second, profiled start; perf, daemon only):"
		write_state "$LAB_DIR/state" 100000
		ip netns exec "$GW" perf record -q -g -F 999 -o "$WORK/bulk.perf" -- "$BB/nftwatch" start \
			nflogd blocked4 1 30 -- "$NFLOGD" -f -c "$conf" >"$WORK/bulk2.out" 2>/dev/null
		pid=$(kv pid "$(cat "$WORK/bulk2.out")"); stop_pid "$pid"
		perf_split "$WORK/bulk.perf" --comms=nflogd
		perf_top "$WORK/bulk.perf" --comms=nflogd
		perf report -i "$WORK/bulk.perf" --comms=nflogd --no-children --stdio -G -S nf_tables_setelem_notify \
			2>/dev/null | grep -q nf_tables_setelem_notify &&
			say "  (nf_tables_setelem_notify: the kernel builds one event per element because a socket is subscribed to NFNLGRP_NFTABLES - the daemon's own nft_monitor, opened before table_install)"
	fi

	say ""
	say "-- 100k blocks issued at once: 100000 sources (198.18.0.1 ...) send 2 SYNs each"
	say "   (all first SYNs, then all second ones), threshold 1, max_hosts 262144,"
	say "   max_blocked 200000; every second SYN crosses the threshold. The watcher counts"
	say "   the element-add events."
	rm -f "$LAB_DIR/state"
	write_conf "$conf" threshold=1 max_hosts=262144 max_blocked=200000
	daemon_start "$conf" || { FAILED_TO_RUN=1; return 1; }
	local mon=$WORK/bulkmon.txt mp st cpu0 cpu1 out c0
	ip netns exec "$GW" "$BB/nftwatch" monitor nflogd blocked4 >"$mon" 2>"$WORK/bulkmon.err" &
	mp=$!; BG_PIDS+=("$mp")
	for _ in $(seq 50); do grep -q ready "$WORK/bulkmon.err" && break; sleep 0.1; done
	st=$WORK/bulkstamps
	cpu0=$(cpu_s "$DAEMON_PID"); c0=$(counted)
	out=$(in_lan "$BB/synflood" -s 198.18.0.1 -S 100000 -d 203.0.113.1 -D 200 -c 200000 -b 40000 -r 0 -T "$st")
	wait_idle "$DAEMON_PID"
	for _ in $(seq 20); do
		[ "$(grep -cv '^#' "$mon")" -ge 100000 ] && break
		sleep 0.1
	done
	cpu1=$(cpu_s "$DAEMON_PID")
	local drops mdrops; drops=$(nl_drops "$DAEMON_PID" unsub); mdrops=$(nl_drops "$DAEMON_PID" sub)
	stop_pid "$mp"
	local nadd overrun tfirst tlast tlastadd tall
	nadd=$(grep -cv '^#' "$mon"); overrun=$(grep -c '^# overrun' "$mon")
	tfirst=$(awk '$1 == 100000 { print $3 }' "$st"); tlast=$(awk '$1 == 199999 { print $4 }' "$st")
	tall=$(grep -v '^#' "$mon" | sed -n '100000p' | cut -d' ' -f1)
	tlastadd=$(grep -v '^#' "$mon" | tail -n1 | cut -d' ' -f1)
	"$NFLOGCTL" -s "$LAB_DIR/nflogd.sock" --json status >"$WORK/bulkstatus.json" 2>/dev/null
	local blocks recv lost ovr
	blocks=$(status_num blocks "$WORK/bulkstatus.json"); recv=$(status_num events_received "$WORK/bulkstatus.json")
	lost=$(status_num events_lost "$WORK/bulkstatus.json"); ovr=$(status_num overruns "$WORK/bulkstatus.json")
	say "   generator: $out; kernel counter $(( $(counted) - c0 )); nflogd received ${recv:-?}, lost ${lost:-?} (seq gaps), overruns ${ovr:-?}; socket drops (/proc/net/netlink): intake $drops datagrams, nf_tables monitor $mdrops; blocks ${blocks:-?}"
	say "   element-add events seen by the watcher: $nadd (watcher overruns: $overrun); daemon CPU $(calc "$cpu1 - $cpu0" 2) s"
	if [ -n "$tall" ] && [ -n "$tfirst" ]; then
		local span lag
		span=$(calc "($tall - $tfirst) / 1e9" 3); lag=$(calc "($tlastadd - $tlast) / 1e9" 3)
		v=$(verdict lt "$lag" 1)
		say "   first crossing SYN sent -> 100000th element in the set: $span s (the generator sent the 100k crossing SYNs in $(calc "($tlast - $tfirst) / 1e9" 3) s)"
		say "   last SYN sent -> last element in the set: $lag s; lag < 1 s: $v"
		row "Bulk: 100k blocks issued at once (threshold 1)" "$span s from the first crossing SYN; $lag s after the last" \
			"generator: $(calc "($tlast - $tfirst) / 1e9" 3) s for the 100k crossing SYNs" \
			"$(calc "$span / (($tlast - $tfirst) / 1e9)" 2)x" "< 1 s behind the generator" "$v"
	else
		v=FAIL
		say "   MISS: not all 100k blocks happened: $nadd element-add events."
		if [ "${recv:-0}" -lt 200000 ]; then
			say "   The daemon fell behind and its socket overflowed: $((200000 - ${recv:-0})) events never reached it"
			say "   ($drops datagrams dropped). Its own count says lost ${lost:-?}: a loss at the end of a flood"
			say "   leaves no later sequence number to show the gap (intake.c counts losses only from"
			say "   NFULA_SEQ gaps; the socket's drop counter, SO_MEMINFO SK_MEMINFO_DROPS, would show it)."
		fi
		row "Bulk: 100k blocks issued at once (threshold 1)" "$nadd of 100000 blocks; $((200000 - ${recv:-0})) events dropped (socket overrun), daemon counted ${lost:-?} lost" "-" "-" "< 1 s" "FAIL"
	fi
	daemon_stop
	if [ "$v" = FAIL ] && [ "$PROFILE" = 1 ] && [ -n "$PERF" ]; then
		say "   where the time goes (the same flood again on a fresh daemon, perf on the daemon):"
		rm -f "$LAB_DIR/state"
		daemon_start "$conf" || return 1
		perf record -q --call-graph dwarf -F 499 -p "$DAEMON_PID" -o "$WORK/flood.perf" -- sleep 600 >/dev/null 2>&1 &
		local pp=$!
		sleep 0.3
		in_lan "$BB/synflood" -s 198.18.0.1 -S 100000 -d 203.0.113.1 -D 200 -c 200000 -b 41000 -r 0 >/dev/null
		wait_idle "$DAEMON_PID"
		kill -INT "$pp" 2>/dev/null; wait "$pp" 2>/dev/null
		daemon_stop
		perf_split "$WORK/flood.perf" --comms=nflogd
		perf_top "$WORK/flood.perf" --comms=nflogd
		say "   inclusive (callees counted), total / self:"
		perf_children "$WORK/flood.perf" --comms=nflogd
	fi
}

# --- 5. control load ---

# control_pass CONF BASE NBOTS HOSTILE OUT: a fresh daemon with 50000 blocks
# from the state file; HOSTILE clients ask for the list and never read
# (closed and opened again every 4 s, inside the daemon's 5 s timeout);
# meanwhile NBOTS bots from BASE, 60 SYNs each at 300 SYN/s, one after the
# other. OUT gets the status JSON, OUT.rss the daemon's highest RSS (kB).
# Not in a $(...): DAEMON_PID must stay ours.
control_pass() {
	local conf=$1 base=$2 nbots=$3 hostile=$4 out=$5 hp= rp maxrss=$5.rss
	daemon_stop; rm -f "$LAB_DIR"/state*
	write_state "$LAB_DIR/state" 50000
	daemon_start "$conf" || return 1
	sleep 0.5
	if [ "$hostile" -gt 0 ]; then
		# Not through in_gw: $! must be the client itself, to stop it.
		ip netns exec "$GW" /usr/bin/python3 - "$LAB_DIR/nflogd.sock" "$hostile" >/dev/null <<-'PY' &
		import socket, sys, time
		path, n = sys.argv[1], int(sys.argv[2])
		while True:
		    held = []
		    for _ in range(n):
		        s = socket.socket(socket.AF_UNIX); s.connect(path)
		        s.sendall(b"list\n"); held.append(s)
		    time.sleep(4)
		    for s in held: s.close()
		PY
		hp=$!; BG_PIDS+=("$hp")
		sleep 1
	fi
	echo 0 >"$maxrss"
	( while kill -0 "$DAEMON_PID" 2>/dev/null; do
		r=$(awk '/^VmRSS/ { print $2 }' "/proc/$DAEMON_PID/status" 2>/dev/null)
		[ "${r:-0}" -gt "$(cat "$maxrss")" ] && echo "$r" >"$maxrss"
		sleep 0.1
	done ) >/dev/null &
	rp=$!; BG_PIDS+=("$rp")
	in_lan "$BB/synflood" -s "$base" -S "$nbots" -G 60 -d 203.0.113.1 -D 20 \
		-c $((nbots * 60)) -r 300 -I >/dev/null || return 1
	sleep 0.3
	"$NFLOGCTL" -s "$LAB_DIR/nflogd.sock" --json status >"$out" 2>/dev/null
	cp "$LAB_DIR/daemon.log" "$out.log"
	[ -n "$hp" ] && stop_pid "$hp"
	kill "$rp" 2>/dev/null; wait "$rp" 2>/dev/null
	return 0
}

# "n min mean max" SYNs per bot from BASE's /24 that reached the WAN.
control_passed() {
	syns_at_wan | awk -v pre="${1%.*}." 'index($1, pre) == 1 { n++; s += $2; if (!n0++ || $2 < lo) lo = $2; if ($2 > hi) hi = $2 }
		END { if (!n) { print "0 - - -"; exit } printf "%d %d %.1f %d\n", n, lo, s / n, hi }'
}

bench_control() {
	local hostile=${BENCH_CONTROL_CLIENTS:-250} nbots=20
	hr "5. Control load: bots beside $hostile 'list' clients that never read, 50000 blocks"
	say "(load average $(cut -d' ' -f1-3 /proc/loadavg))"
	lab_start || { FAILED_TO_RUN=1; return 1; }
	local conf=$LAB_DIR/control.conf qj=$WORK/control.quiet.json lj=$WORK/control.load.json
	local qrss lrss q l v
	write_conf "$conf"
	wan_counters_reset
	say "Each pass: a fresh daemon with 50000 timed blocks from the state file (198.18.0.1 ...),"
	say "then $nbots bots one after the other (198.19.5.x quiet, 198.19.6.x loaded), 60 SYNs each"
	say "at 300 SYN/s to 20 destinations (threshold 20). Loaded: $hostile clients send 'list' and"
	say "never read, closed and opened again every 4 s. Block latency from the daemon's status"
	say "(event timestamp -> ACK); SYNs per bot counted on the WAN side; the daemon's highest RSS."
	control_pass "$conf" 198.19.5.1 $nbots 0 "$qj" || { FAILED_TO_RUN=1; return 1; }
	q=$(control_passed 198.19.5.1); qrss=$(cat "$qj.rss")
	control_pass "$conf" 198.19.6.1 $nbots "$hostile" "$lj" || { FAILED_TO_RUN=1; return 1; }
	l=$(control_passed 198.19.6.1); lrss=$(cat "$lj.rss")
	daemon_stop
	local qn qlo qmean qhi ln llo lmean lhi
	read -r qn qlo qmean qhi <<<"$q"; read -r ln llo lmean lhi <<<"$l"
	local q99 l99 qmax lmax
	q99=$(status_num block_latency_p99_us "$qj"); l99=$(status_num block_latency_p99_us "$lj")
	qmax=$(status_num block_latency_max_us "$qj"); lmax=$(status_num block_latency_max_us "$lj")
	say ""
	say "quiet:  SYNs through per bot min $qlo, mean $qmean, max $qhi ($qn bots); block latency p50 $(status_num block_latency_p50_us "$qj") us, p99 ${q99:--} us, max ${qmax:--} us; RSS max $qrss kB"
	say "loaded: SYNs through per bot min $llo, mean $lmean, max $lhi ($ln bots); block latency p50 $(status_num block_latency_p50_us "$lj") us, p99 ${l99:--} us, max ${lmax:--} us; RSS max $lrss kB"
	say "        list requests refused busy: $(status_num control_busy "$lj"), replies cut at the timeout: $(status_num control_cut "$lj")"
	if [ "${qn:-0}" != $nbots ] || [ "${ln:-0}" != $nbots ] || [ "${qhi:-99}" -gt 23 ] || [ "${lhi:-99}" -gt 23 ]; then
		say "   per bot (quiet, loaded): $(syns_at_wan | awk 'index($1, "198.19.5.") == 1 || index($1, "198.19.6.") == 1 { printf "%s %s; ", $1, $2 }')"
		say "   daemon log of the quiet pass:"; sed 's/^/      | /' "$qj.log" | head -40
	fi
	say "ratio loaded / quiet: SYNs through (max) $(calc "${lhi:-0} / ${qhi:-1}" 2)x, block latency p99 $(calc "${l99:-0} / ${q99:-1}" 2)x, RSS $(calc "${lrss:-0} / ${qrss:-1}" 2)x"
	v=FAIL
	[ "${lhi:-99}" -le 23 ] && [ "${ln:-0}" = $nbots ] && [ "${lrss:-0}" -gt 0 ] && [ -n "$l99" ] &&
		[ $((lrss - qrss)) -lt 32768 ] && v=PASS
	say "every bot at most threshold+3 = 23 SYNs through and RSS within 32 MB of the quiet run: $v"
	row "Control load: $hostile non-reading list clients, 50k blocks" \
		"bots: max $lhi SYNs through, latency p99 ${l99:--} us; RSS $lrss kB" \
		"quiet: max $qhi, p99 ${q99:--} us; RSS $qrss kB" \
		"$(calc "${lhi:-0} / ${qhi:-1}" 2)x SYNs, $(calc "${l99:-0} / ${q99:-1}" 2)x p99" \
		"<= 23 SYNs, RSS + < 32 MB" "$v"
}

# --- run ---

if [ "$(id -u)" -ne 0 ]; then
	say "bench: not root: the lab benchmarks (end to end, reaction, bulk) are skipped: they"
	say "need network namespaces, nftables and raw sockets (sudo make bench)."
	ONLY=$(printf '%s' " $ONLY " | sed 's/ e2e / /; s/ reaction / /; s/ bulk / /; s/ control / /')
	row "End to end, reaction, bulk" "skipped: not root" "-" "-" "-" "-"
fi
if want e2e || want reaction || want bulk || want control; then
	for need in ip nft python3; do
		command -v $need >/dev/null || { say "bench: $need missing (make deps)"; exit 1; }
	done
	if ! command -v ulogd >/dev/null && want e2e; then
		say "installing ulogd2 (the reference NFLOG consumer)..."
		apt-get install -y -qq ulogd2 >/dev/null 2>&1 || say "bench: could not install ulogd2"
	fi
	[ -x "$B/nflogd" ] || { say "bench: $B/nflogd missing: run make first"; exit 1; }
fi
lab_tools() {
	have nftwatch && have synflood && return 0
	say ""; say "bench: $1 skipped: tests/bench/nftwatch or tests/tools/synflood did not build"
	FAILED_TO_RUN=1; return 1
}
if want pipeline; then
	if have pipeline; then bench_pipeline
	else say ""; say "bench: pipeline skipped: tests/bench/pipeline.c did not build"; fi
fi
want e2e && lab_tools "end to end" &&
	{ command -v ulogd >/dev/null || { say "bench: ulogd2 missing"; FAILED_TO_RUN=1; false; }; } && bench_e2e
want reaction && lab_tools reaction && bench_reaction
want bulk && lab_tools bulk && bench_bulk
want control && lab_tools "control load" && bench_control

hr "Summary ($(date -u '+%Y-%m-%d'), $(nproc) CPUs, kernel $(uname -r))"
say ""
say "| Benchmark | Measured | Reference (same run) | Ratio | Target | Result |"
say "|---|---|---|---|---|---|"
cat "$ROWS"
say ""
say "bench: $(grep -c '| PASS |$' "$ROWS") passed, $(grep -c '| FAIL |$' "$ROWS") failed (figures only: the build does not fail on timing)"
exit $FAILED_TO_RUN
