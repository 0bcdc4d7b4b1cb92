#!/bin/sh
# tests/valgrind.sh BUILD: the CLI tests with folio under valgrind memcheck (tests/valgrind-folio.sh),
# then the unit test binaries under it; prints each report and fails on any error. Used by `make valgrind`.
build=${1:-build-vg}
root=$(pwd)
logs=$(mktemp -d "${TMPDIR:-/tmp}/folio-valgrind-XXXXXX")
status=0
start=$(date +%s)

# CLI: the command under test runs under valgrind; t_perms inspects its sites with the plain binary
# (FOLIO is a link to the wrapper beside one to folio-mcf: t_assign finds folio-mcf next to FOLIO)
mkdir -p "$logs/bin"
ln -s "$root/tests/valgrind-folio.sh" "$logs/bin/folio"
ln -s "$root/$build/folio-mcf" "$logs/bin/folio-mcf"
VALGRIND_LOGS=$logs/cli VALGRIND_FOLIO=$root/$build/folio FOLIO=$logs/bin/folio FOLIO_INSPECT=$root/$build/folio
export VALGRIND_LOGS VALGRIND_FOLIO FOLIO FOLIO_INSPECT
mkdir -p "$VALGRIND_LOGS"
sh tests/cli/run.sh >"$logs/cli.out" 2>&1 || status=1
grep -E '^(FAIL|cli)' "$logs/cli.out"
n=$(find "$logs/cli" -type f -size +0 | wc -l)
runs=$(find "$logs/cli" -type f | wc -l)
echo "valgrind: $runs folio runs of the CLI tests, $n with errors"
[ "$n" -eq 0 ] || status=1
find "$logs/cli" -type f -size +0 | head -20 | xargs -r cat

# unit tests
if [ -z "${VALGRIND_NO_UNIT:-}" ]; then
	for t in "$build"/tests/unit/test_*; do
		case "$t" in *.o | *.d) continue ;; esac
		[ -x "$t" ] || continue
		log=$logs/$(basename "$t").log
		valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
			--show-leak-kinds=definite --suppressions="$root/tests/valgrind.supp" --log-file="$log" \
			"$t" >"$logs/$(basename "$t").out" 2>&1
		rc=$?
		printf 'valgrind: %s: exit %s, %s\n' "$(basename "$t")" "$rc" "$(grep -c . "$log") lines of report"
		if [ "$rc" -ne 0 ] || [ -s "$log" ]; then status=1; cat "$log"; tail -5 "$logs/$(basename "$t").out"; fi
	done
fi
echo "valgrind: $(( $(date +%s) - start ))s, $([ $status -eq 0 ] && echo clean || echo ERRORS)"
rm -rf "$logs"
exit $status
