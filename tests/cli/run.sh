#!/bin/sh
# tests/cli/run.sh: run every CLI test script (tests/cli/t_*.sh), each in its own throw-away sites,
# and print "cli: N passed, M failed" over all of them. Needs FOLIO (the folio binary) and git.
dir=$(dirname "$0")
passed=0 failed=0 status=0
for t in "$dir"/t_*.sh; do
	out=$(sh "$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	line=$(printf '%s\n' "$out" | sed -n 's/^cli [a-z_0-9-]*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' | tail -1)
	p=${line% *}; f=${line#* }
	[ -n "$line" ] || { p=0; f=1; echo "FAIL: $t ended without its summary line"; }
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	passed=$((passed + p)); failed=$((failed + f))
	[ "$rc" -ne 0 ] && status=1
done
echo "cli: $passed passed, $failed failed"
exit $status
