#!/bin/sh
# bench/limits.sh FOLIO: peak memory of folio at its resource limits (`make bench-limits`): an entry
# over FOLIO_ENTRY_MAX, a portfolio of 10,000 entries, a 100 MB artefact and a 100 MB entry pushed
# with git, a 100,000-row CSV. Each command runs under /usr/bin/time; its peak RSS is printed against
# the 64 MiB target of bench/bench.c (TARGET_RSS_MIB). Exit 1 when a command crashes or goes over.
# tests/cli/t_limits.sh checks the same scenarios' behaviour.
set -u
FOLIO=$(cd "$(dirname "${1:?usage: limits.sh path/to/folio}")" && pwd)/$(basename "$1")
TARGET_MIB=64
LIMIT=1048576
HERE=$(cd "$(dirname "$0")/.." && pwd)
ROOT=$(mktemp -d "${TMPDIR:-/tmp}/folio-limits-XXXXXX")
trap 'rm -rf "$ROOT"' EXIT
export GIT_CONFIG_NOSYSTEM=1 HOME="$ROOT" GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=b@example.org \
	GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=b@example.org LOGNAME=bench-admin FOLIO_SITE=$ROOT/site \
	FOLIO_TODAY=2026-09-01
status=0

# measure LABEL EXPECT CMD...: run folio CMD, print exit, wall time, peak RSS and the verdict.
# EXPECT is the exit code the scenario should give (0 works, 1 clear refusal); anything else fails.
measure() {
	label=$1 expect=$2; shift 2
	/usr/bin/time -f '%e %M' -o "$ROOT/time" "$FOLIO" "$@" >"$ROOT/out" 2>"$ROOT/err"
	rc=$?
	set -- $(tail -1 "$ROOT/time")
	wall=$1 kib=$2
	mib=$(awk -v k="$kib" 'BEGIN { printf "%.1f", k / 1024 }')
	verdict=ok
	awk -v m="$mib" -v t="$TARGET_MIB" 'BEGIN { exit !(m > t) }' && verdict="OVER"
	[ "$rc" -eq "$expect" ] || verdict="exit $rc, expected $expect: $(head -1 "$ROOT/err")"
	[ "$verdict" = ok ] || status=1
	printf '%-44s %4s %8s s %8s MiB  %s\n' "$label" "$rc" "$wall" "$mib" "$verdict"
}
text() { yes 'I talked with my trainee about how the lesson went and what to try next. #S2.1' | head -c "$1"; }

echo "folio limits: peak RSS of each command against the $TARGET_MIB MiB target"
printf '%-44s %4s %10s %12s  %s\n' "scenario" "exit" "wall" "peak RSS" "verdict"
"$FOLIO" init "$ROOT/site" --admin-id bench-admin --name "Bench Admin" --email admin@example.org >/dev/null || exit 1
"$FOLIO" school import "$HERE/portfolios/schools.csv" >/dev/null || exit 1
printf 'id,name,email,roles,school,login\nmentor-1,Mentor One,m1@example.org,mentor,brookfield,mentor-1\n' >"$ROOT/p.csv"
"$FOLIO" person import "$ROOT/p.csv" >/dev/null || exit 1
"$FOLIO" panel plan 2026 >/dev/null || exit 1
"$FOLIO" --as mentor-1 portfolio create mentor-1 --qualification qms >/dev/null || exit 1

head -c 104857600 /dev/urandom >"$ROOT/video.mp4"
text 104857600 >"$ROOT/huge.md"
measure "entry add, 100 MB file (refused)" 1 --as mentor-1 entry add mentor-1 "$ROOT/huge.md"
measure "lint FILE, 100 MB file (reported)" 1 lint "$ROOT/huge.md"

# one commit with git fast-import: 10,000 entries, a 100 MB artefact (random bytes), a 100 MB entry
{
	printf 'commit refs/heads/main\ncommitter Bench <b@example.org> 1760000000 +0000\ndata 4\nmany\n'
	awk 'BEGIN {
		for (i = 1; i <= 10000; i++) {
			t = sprintf("# Week %d\n\nThis week my trainee planned the lesson and I asked what she noticed about the pupils; we agreed one change for next time, and I wrote down what I would model for her in the next lesson. #S%d\n", i, i % 4 + 1)
			printf "M 100644 inline 2025-10-01-week-%05d.md\ndata %d\n%s\n", i, length(t), t
		} }'
	printf 'M 100644 inline video/lesson.mp4\ndata 104857600\n'
	cat "$ROOT/video.mp4"
	printf '\nM 100644 inline 2025-11-02-far-too-long.md\ndata 104857600\n'
	cat "$ROOT/huge.md"
	printf '\n'
} | git --git-dir="$ROOT/site/portfolios/mentor-1.git" fast-import --quiet || exit 1
rm -f "$ROOT/video.mp4" "$ROOT/huge.md"

measure "index: 10,000 entries, 100 MB artefact+entry" 0 index
measure "index --rebuild (same)" 0 index --rebuild
measure "evidence (10,000 entries)" 0 evidence mentor-1
measure "evidence --json (10,000 entries)" 0 evidence mentor-1 --json
measure "lint MENTOR (one entry too large)" 1 lint mentor-1
measure "entry list (10,000 entries)" 0 entry list mentor-1
measure "submit (10,000 entries)" 0 --as mentor-1 submit mentor-1

awk 'BEGIN { print "id,name,email,roles,school"
	for (i = 1; i <= 100000; i++) printf "p%06d,Person %d,p%06d@school.example.org,mentor,brookfield\n", i, i, i }' >"$ROOT/many.csv"
measure "person import, 100,000 rows" 0 person import "$ROOT/many.csv"
measure "person list (100,001 people)" 0 person list
measure "person list --json (100,001 people)" 0 person list --json

[ $status -eq 0 ] && echo "limits: every command within $TARGET_MIB MiB" || echo "limits: some commands failed or went over $TARGET_MIB MiB"
exit $status
