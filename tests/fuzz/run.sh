#!/bin/sh
# tests/fuzz/run.sh BUILD SECONDS TARGET...: run each libFuzzer target BUILD/tests/fuzz/fuzz_TARGET
# for SECONDS seconds, one after the other (`make fuzz` calls it). The corpus is BUILD/corpus/TARGET:
# a copy of the seeds in tests/fuzz/TARGET/ plus what earlier runs found; the seeds are never written.
# A crash or broken invariant is saved in BUILD/artifacts/TARGET-crash-*; then the run goes on with
# the next target and the script fails at the end. Prints one line per target.
set -u
build=$1 seconds=$2
shift 2
LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
mkdir -p "$build/artifacts"
for name in "$@"; do
	bin=$build/tests/fuzz/fuzz_$name corpus=$build/corpus/$name
	if [ ! -x "$bin" ] || [ ! -d "tests/fuzz/$name" ]; then
		echo "fuzz $name: no target $bin or no seeds in tests/fuzz/$name/"
		status=1
		continue
	fi
	mkdir -p "$corpus"
	cp "tests/fuzz/$name"/* "$corpus"/
	set -- -max_total_time="$seconds" -timeout=10 -print_final_stats=1 -artifact_prefix="$build/artifacts/$name-"
	[ -f "tests/fuzz/$name.dict" ] && set -- "$@" -dict="tests/fuzz/$name.dict"
	"$bin" "$@" "$corpus" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		echo "fuzz $name: ${runs:-?} runs in ${seconds}s, ${cov:-cov: ?}, corpus $(ls "$corpus" | wc -l) files: ok"
	else
		status=1
		tail -n 40 "$log"
		echo "fuzz $name: FAILED after ${runs:-?} runs (exit $rc); input saved as:"
		sed -n 's/.*Test unit written to \(.*\)$/  \1/p' "$log"
	fi
done
exit $status
