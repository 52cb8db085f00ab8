#!/bin/sh
# Build the libFuzzer targets with clang (ASan + UBSan) and run each for a
# while on a copy of its seed corpus.
#
#   tests/fuzz/run.sh SECONDS [TARGET...]     (from the top of the tree)
#
# TARGET: packet intake config whitelist state protocol commands (default:
# all), with or without the fuzz_ prefix. Everything goes under build/fuzz/:
# the binaries, sanitized objects of nflogd/*.c (not build/libnflogd.a, which
# has no sanitizers), corpus-work/TARGET (the growing corpus; the seeds in
# tests/fuzz/corpus/ are never written), logs/ and artifacts/ (crashes).
# Before fuzzing, each target replays tests/fuzz/crashes/TARGET-*: a crash
# once found stays a regression test. Exits non-zero if a target crashed
# (now or on a saved reproducer) or did not build.
#
# A crash: reproduce with  build/fuzz/fuzz_TARGET FILE ; minimise with
#   build/fuzz/fuzz_TARGET -minimize_crash=1 -runs=100000 FILE
# then keep it as tests/fuzz/crashes/TARGET-SHORT-NAME. Start the corpora
# afresh from the seeds with  rm -rf build/fuzz/corpus-work

# CFLAGS, PKG_CFLAGS, PKG_LIBS and object lists are split into words on purpose.
# shellcheck disable=SC2086
set -u

ALL_TARGETS="packet intake config whitelist state protocol commands"
CC=${FUZZ_CC:-clang}
CFLAGS="-g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
OUT=build/fuzz

usage() {
	echo "usage: tests/fuzz/run.sh SECONDS [TARGET...]" >&2
	echo "targets: $ALL_TARGETS" >&2
	exit 2
}

[ $# -ge 1 ] || usage
SECONDS_EACH=$1
shift
case $SECONDS_EACH in '' | *[!0-9]*) usage ;; esac
[ "$SECONDS_EACH" -ge 1 ] || usage
cd "$(dirname "$0")/../.." || exit 1

targets=
for t in "${@:-}"; do
	[ -n "$t" ] || continue
	t=${t#fuzz_}
	case " $ALL_TARGETS " in
	*" $t "*) targets="$targets $t" ;;
	*) echo "run.sh: no target '$t'" >&2; usage ;;
	esac
done
[ -n "$targets" ] || targets=$ALL_TARGETS

# The nflogd modules each target links (their objects carry the sanitizers
# too). commands takes the whole daemon but the programs' mains and log.c,
# which fuzz_commands.c replaces with silent stubs.
deps() {
	case $1 in
	packet) echo packet addr ;;
	intake) echo intake packet addr sockbuf error $COMPAT_MODS ;;
	config) echo config duration text error ;;
	whitelist) echo whitelist addr text error ;;
	state) echo state addr error ;;
	protocol) echo protocol error ;;
	commands)
		for f in nflogd/*.c; do
			m=$(basename "$f" .c)
			case $m in main | nflogctl | log) ;; *) echo "$m" ;; esac
		done
		echo "$COMPAT_MODS"
		;;
	esac
}

# --- is libFuzzer there? ---
if ! command -v "$CC" >/dev/null 2>&1; then
	echo "fuzz: skipped: $CC not found (apt-get install clang)"
	exit 0
fi
mkdir -p "$OUT/obj" "$OUT/logs" "$OUT/artifacts" "$OUT/corpus-work" || exit 1
probe=$OUT/obj/probe
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$probe.c"
if ! $CC $CFLAGS -o "$probe" "$probe.c" >"$probe.log" 2>&1; then
	echo "fuzz: skipped: $CC cannot link -fsanitize=fuzzer (libclang-rt-dev missing?):"
	sed -n 1,3p "$probe.log"
	exit 0
fi
PKG_CFLAGS=$(pkg-config --cflags libmnl libnetfilter_log libnftnl 2>/dev/null)
PKG_LIBS=$(pkg-config --libs libmnl libnetfilter_log libnftnl 2>/dev/null) || {
	echo "fuzz: pkg-config does not find libmnl libnetfilter_log libnftnl (make deps)" >&2
	exit 1
}

# An object is rebuilt when its source, a header or this script is newer.
# shellcheck disable=SC2012
# What this machine has (build/fuzz/config.h), as the Makefile's builds.
mkdir -p "$OUT/obj/compat" "$OUT/logs/compat"
CC=$CC scripts/configure.sh "$OUT" >/dev/null || exit 1
CFLAGS="$CFLAGS -include $OUT/config.h"
COMPAT_MODS=$(for f in nflogd/compat/*.c; do printf 'compat/%s ' "$(basename "$f" .c)"; done)
newest_header=$(ls -t nflogd/*.h nflogd/compat/*.h "$OUT/config.h" tests/fuzz/fuzz.h tests/fuzz/run.sh | head -n 1)
newer() {	# is $1 newer than $2 (POSIX test has no -nt)
	[ -n "$(find "$1" -newer "$2" 2>/dev/null)" ]
}
object() {
	src=nflogd/$1.c
	obj=$OUT/obj/$1.o
	if [ ! -f "$src" ]; then
		echo "  $src: missing" >&2
		return 1
	fi
	if [ -f "$obj" ] && ! newer "$src" "$obj" && ! newer "$newest_header" "$obj"; then
		return 0
	fi
	$CC $CFLAGS $PKG_CFLAGS -Inflogd -c -o "$obj" "$src" 2>"$OUT/logs/$1.build.log" || {
		rm -f "$obj"
		sed 's/^/  /' "$OUT/logs/$1.build.log" | head -n 20 >&2
		return 1
	}
}

build() {
	objs=
	for m in $(deps "$1"); do
		object "$m" || return 1
		objs="$objs $OUT/obj/$m.o"
	done
	$CC $CFLAGS $PKG_CFLAGS -Inflogd -Itests/fuzz -o "$OUT/fuzz_$1" \
		"tests/fuzz/fuzz_$1.c" $objs $PKG_LIBS 2>"$OUT/logs/$1.build.log" || {
		sed 's/^/  /' "$OUT/logs/$1.build.log" | head -n 20 >&2
		return 1
	}
}

ntargets=0
ncrashed=0
nbroken=0
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

for t in $targets; do
	ntargets=$((ntargets + 1))
	if ! build "$t"; then
		echo "fuzz_$t: BUILD FAILED (see $OUT/logs/)"
		nbroken=$((nbroken + 1))
		continue
	fi
	# Crashes found before are regression tests: each must now pass.
	repro=$(ls tests/fuzz/crashes/"$t"-* 2>/dev/null)
	if [ -n "$repro" ]; then
		if ! "$OUT/fuzz_$t" $repro >"$OUT/logs/$t.crashes.log" 2>&1; then
			ncrashed=$((ncrashed + 1))
			echo "fuzz_$t: 0 execs, CRASHED on a saved reproducer in tests/fuzz/crashes/ (log: $OUT/logs/$t.crashes.log)"
			grep -m 3 -E '^(Running: |==[0-9]+==ERROR|SUMMARY|.*runtime error|.*fuzz check failed)' \
				"$OUT/logs/$t.crashes.log" | sed 's/^/  /'
			continue
		fi
	fi
	work=$OUT/corpus-work/$t
	mkdir -p "$work"
	if [ -d "tests/fuzz/corpus/$t" ]; then
		cp -p "tests/fuzz/corpus/$t"/* "$work"/ 2>/dev/null
	fi
	dict=
	[ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
	log=$OUT/logs/$t.log
	rm -f "$OUT/artifacts/$t"-*
	"$OUT/fuzz_$t" -max_total_time="$SECONDS_EACH" -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$OUT/artifacts/$t-" $dict "$work" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
	if [ -z "$runs" ]; then	# stopped early: the last status line
		runs=$(sed -n 's/^#\([0-9]*\).*/\1/p' "$log" | tail -n 1)
	fi
	artifacts=$(ls "$OUT/artifacts/$t"-* 2>/dev/null)
	if [ $rc -ne 0 ] || [ -n "$artifacts" ]; then
		ncrashed=$((ncrashed + 1))
		echo "fuzz_$t: ${runs:-0} execs, CRASHED (exit $rc): ${artifacts:-no artifact} (log: $log)"
		grep -m 3 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|.*fuzz check failed)' "$log" |
			sed 's/^/  /'
	else
		echo "fuzz_$t: ${runs:-0} execs in ${SECONDS_EACH}s, 0 crashes, corpus $(find "$work" -type f | wc -l) inputs"
	fi
done

if [ $nbroken -gt 0 ]; then
	echo "fuzz: $ntargets targets, $ncrashed crashed, $nbroken failed to build"
else
	echo "fuzz: $ntargets targets, $ncrashed crashed"
fi
[ $ncrashed -eq 0 ] && [ $nbroken -eq 0 ]
