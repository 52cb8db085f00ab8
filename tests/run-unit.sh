#!/bin/sh
# Run the cmocka unit tests; print one closing line "N passed, N failed".
# Usage: tests/run-unit.sh BUILD_DIR test_name...
dir=$1; shift
passed=0; failed=0; broken=""
for t in "$@"; do
	out=$("$dir/$t" 2>&1); rc=$?
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
	passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
	if [ "$rc" -ne 0 ]; then
		printf '%s\n' "$out"
		[ -z "$f" ] && failed=$((failed + 1))	# crashed before its summary
		broken="$broken $t"
	else
		echo "unit: $t: ${p:-0} passed"
	fi
done
[ -n "$broken" ] && echo "unit: failing:$broken"
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ -z "$broken" ]
