#!/bin/sh
# tests/run.sh BUILD: run every unit test binary and the CLI tests, then print one summary line.
build=${1:-build}
# known leaks in system libraries, for sanitizer builds (see the file)
LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
passed=0 failed=0 failedsuites=""
log=$(mktemp)
for t in "$build"/tests/unit/test_*; do
	case "$t" in *.o|*.d) continue;; esac
	[ -x "$t" ] || continue
	"$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed or sanitizer abort
	passed=$((passed + p)); failed=$((failed + f))
	[ "$rc" -ne 0 ] && failedsuites="$failedsuites $(basename "$t")"
done
# fuzz targets built with the plain driver: replay every seed and regression file (one pass per target)
for t in "$build"/tests/fuzz/fuzz_*; do
	case "$t" in *.o|*.d) continue;; esac
	[ -x "$t" ] || continue
	name=${t##*/fuzz_}
	if "$t" "tests/fuzz/$name" >"$log" 2>&1; then
		passed=$((passed + 1)); tail -n 1 "$log"
	else
		failed=$((failed + 1)); failedsuites="$failedsuites fuzz_$name"; tail -n 20 "$log"
		grep '^fuzz: tests/' "$log" | tail -n 1 | sed 's/^fuzz: /FAIL: fuzz replay of /'
	fi
done
if [ -f tests/cli/run.sh ]; then
	FOLIO="$(pwd)/$build/folio" sh tests/cli/run.sh >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(sed -n 's/^cli: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$log")
	f=$(sed -n 's/^cli: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$log")
	p=${p:-0}; f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p)); failed=$((failed + f))
	[ "$rc" -ne 0 ] && failedsuites="$failedsuites cli"
fi
# packs and certificates loaded in headless Chromium; a missing browser fails, it does not skip
if [ -f tests/browser/run.sh ]; then
	sh tests/browser/run.sh "$(pwd)/$build/folio" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(sed -n 's/^browser: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$log")
	f=$(sed -n 's/^browser: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$log")
	p=${p:-0}; f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p)); failed=$((failed + f))
	[ "$rc" -ne 0 ] && failedsuites="$failedsuites browser"
fi
# crash tests: folio killed at every crashpoint (tests/crash/t_*.sh, same summary line as the CLI scripts)
for t in tests/crash/t_*.sh; do
	[ -f "$t" ] || continue
	FOLIO="$(pwd)/$build/folio" sh "$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	line=$(sed -n 's/^cli [a-z_0-9-]*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$log" | tail -1)
	p=${line% *}; f=${line#* }
	[ -n "$line" ] || { p=0; f=1; }
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	passed=$((passed + p)); failed=$((failed + f))
	[ "$rc" -ne 0 ] && failedsuites="$failedsuites $(basename "$t" .sh)"
done
rm -f "$log"
[ -n "$failedsuites" ] && echo "failing suites:$failedsuites"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
