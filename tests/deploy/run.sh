#!/bin/bash
# Deployment tests: make install, and the ClearOS firewall snippet.
# Usage: tests/deploy/run.sh BUILD_DIR. Closing line "deploy: N passed, N failed".
set -o pipefail
dir=$(dirname "$0")
passed=0 failed=0 rc=0
for t in test-install.sh test-clearos-snippet.sh; do
	echo "deploy: $t"
	out=$("$dir/$t" "$1" 2>&1) || rc=1
	printf '%s\n' "$out" | sed 's/^/  /'
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n1)
	[ -n "$line" ] || { rc=1; failed=$((failed + 1)); continue; }
	set -- "$1" $line
	passed=$((passed + $2)); failed=$((failed + $4))
	set -- "$1"
done
echo "deploy: $passed passed, $failed failed"
exit $rc
