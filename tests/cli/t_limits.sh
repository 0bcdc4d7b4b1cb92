#!/bin/sh
# tests/cli/t_limits.sh: resource limits. An entry over FOLIO_ENTRY_MAX (1 MiB) is refused by
# `entry add` and reported, never read, when it arrives by git push; a portfolio of 10,000 entries, a
# 100 MB artefact and a 100,000-row CSV work. Behaviour only: bench/limits.sh measures their memory.
. "$(dirname "$0")/lib.sh"
LIMIT=1048576
ROWS=${LIMITS_CSV_ROWS:-100000}
new_site limits
export FOLIO_SITE=$S FOLIO_TODAY=2026-09-01
run admin panel plan 2026
run amara portfolio create amara-okafor --qualification qms
[ "$rc" -eq 0 ] || { echo "cannot create a portfolio: $err"; exit 1; }
tip() { git --git-dir="$S/portfolios/amara-okafor.git" rev-parse -q --verify main 2>/dev/null; }

# stream N bytes of text (whole lines, one tag each) to stdout
text() { yes 'I talked with my trainee about how the lesson went and what to try next. #S2.1' | head -c "$1"; }

t "entry add: over the limit is refused, naming the file and both sizes; exactly the limit is taken"
text $((LIMIT + 1)) >"$ROOT/over.md"
run amara entry add amara-okafor "$ROOT/over.md"
expect_rc 1; expect_one_line_err
expect_err "entry '$ROOT/over.md' is too large: $((LIMIT + 1)) bytes (the limit is $LIMIT)"
[ -z "$(tip)" ] && pass || fail "a refused entry made a commit"
head -c $((100 * 1024 * 1024)) /dev/zero >"$ROOT/huge.bin"
run amara entry add amara-okafor "$ROOT/huge.bin"
expect_rc 1; expect_err "is too large: 104857600 bytes (the limit is $LIMIT)"
text $((LIMIT + 1)) | LOGNAME=amara "$FOLIO" entry add amara-okafor - >"$ROOT/out" 2>"$ROOT/err"
rc=$?; err=$(cat "$ROOT/err")
expect_rc 1; expect_err "entry on standard input is too large: over the limit of $LIMIT bytes"
[ -z "$(tip)" ] && pass || fail "a refused entry made a commit"
# what is stored counts: a file of exactly the limit with no final newline would become one byte over
printf '# Exactly one mebibyte\n\n' >"$ROOT/limit.md"
text $((LIMIT - $(wc -c <"$ROOT/limit.md"))) >>"$ROOT/limit.md"
[ "$(wc -c <"$ROOT/limit.md")" -eq $LIMIT ] && [ "$(tail -c 1 "$ROOT/limit.md")" != "" ] && pass ||
	fail "limit.md is not $LIMIT bytes without a final newline"
run amara entry add amara-okafor --date 2025-09-01 "$ROOT/limit.md"
expect_rc 1; expect_err "entry is too large: $((LIMIT + 1)) bytes with its heading and final newline (the limit is $LIMIT)"
[ -z "$(tip)" ] && pass || fail "a refused entry made a commit"
head -c $((LIMIT - 1)) "$ROOT/limit.md" >"$ROOT/limit-nl.md"
echo >>"$ROOT/limit-nl.md"
run amara entry add amara-okafor --date 2025-09-01 "$ROOT/limit-nl.md"
expect_rc 0; expect_out "added 2025-09-01-exactly-one-mebibyte.md"

t "lint FILE: an oversized file is reported like an entry, not read"
run amara lint "$ROOT/over.md" "$ROOT/limit-nl.md"
expect_rc 1
expect_out "^$ROOT/over.md:1:1: error: entry is too large to read: $((LIMIT + 1)) bytes (the limit is $LIMIT)$"

# ---------------------------------------------------------------- by git push
t "10,000 entries, a 100 MB artefact and oversized entries pushed with git"
# one commit by git fast-import: 10,000 short entries (each standard in turn), a 100 MB video,
# an entry of 3 MB and one of 100 MB (NUL bytes: never read, so never judged)
fi=$ROOT/import.txt
{
	printf 'commit refs/heads/main\ncommitter Amara <a@x.example> 1760000000 +0000\ndata 13\nmany entries\n'
	printf 'from %s\n' "$(tip)"
	awk 'BEGIN {
		for (i = 1; i <= 10000; i++) {
			t = sprintf("# Week %d\n\nThis week my trainee planned the lesson and I asked what she noticed about the pupils; we agreed one change for next time. #S%d\n", i, i % 4 + 1)
			printf "M 100644 inline 2025-10-01-week-%05d.md\ndata %d\n%s\n", i, length(t), t
		} }'
	printf 'M 100644 inline video/lesson.mp4\ndata 104857600\n'
	head -c 104857600 /dev/zero
	printf '\nM 100644 inline 2025-11-01-too-long.md\ndata %d\n' $((3 * LIMIT))
	text $((3 * LIMIT))
	printf '\nM 100644 inline 2025-11-02-far-too-long.md\ndata 104857600\n'
	head -c 104857600 /dev/zero
	printf '\n'
} >"$fi"
clone=$ROOT/clone
git init -q --bare "$clone"
git --git-dir="$clone" fetch -q "$S/portfolios/amara-okafor.git" main:main
git --git-dir="$clone" fast-import --quiet <"$fi" && pass || fail "git fast-import failed"
rm -f "$fi" "$ROOT/huge.bin"
git --git-dir="$clone" push -q "$S/portfolios/amara-okafor.git" main:main && pass || fail "git push failed"
rm -rf "$clone"

run amara index
expect_rc 0; expect_out "indexed 1 portfolios"
run amara evidence amara-okafor --json
expect_rc 0
expect_out '"ready": true'
expect_out '"message": "entry is too large to read: 3145728 bytes (the limit is 1048576)"'
expect_out '"message": "entry is too large to read: 104857600 bytes (the limit is 1048576)"'
expect_no_out 'lesson.mp4'
n=$(printf '%s\n' "$out" | grep -c '"path": "2025-10-01-week-')
[ "$n" -eq 10000 ] && pass || fail "evidence lists $n of the 10000 entries"
run amara lint amara-okafor
expect_rc 1
expect_out "^2025-11-01-too-long.md:1:1: error: entry is too large to read: 3145728 bytes"
expect_out "^2025-11-02-far-too-long.md:1:1: error: entry is too large to read: 104857600 bytes"
[ "$(printf '%s\n' "$out" | grep -c ': error: ')" -eq 2 ] && pass || fail "lint: $(printf '%s\n' "$out" | head -5)"
run amara entry list amara-okafor
expect_rc 0; expect_out "2025-11-02-far-too-long.md"; expect_no_out "lesson.mp4"
[ "$(printf '%s\n' "$out" | grep -c 'week-')" -eq 10000 ] && pass || fail "entry list lacks entries"

t "a portfolio of 10,000 entries can be submitted"
run amara submit amara-okafor
expect_rc 0; expect_out "submitted 'amara-okafor' for QMS"

# ---------------------------------------------------------------- a large CSV
t "person import of $ROWS rows: all of them, or a clear refusal naming the row"
awk -v n="$ROWS" 'BEGIN { print "id,name,email,roles,school"
	for (i = 1; i <= n; i++) printf "p%06d,Person %d,p%06d@school.example.org,mentor,brookfield\n", i, i, i }' >"$ROOT/many.csv"
run admin person import "$ROOT/many.csv"
expect_rc 0; expect_out "imported $ROWS people"
# one bad row at the end: nothing is imported
awk -v n="$ROWS" 'BEGIN { print "id,name,email,roles,school"
	for (i = 1; i <= n; i++) printf "q%06d,Person %d,q%06d@school.example.org,mentor,brookfield\n", i, i, i
	print "q-bad,Bad Row,not-an-email,mentor,brookfield" }' >"$ROOT/bad.csv"
run admin person import "$ROOT/bad.csv"
expect_rc 1; expect_one_line_err; expect_err "row $((ROWS + 2))"
# (not by listing 100,000 people: minutes under AddressSanitizer; bench/limits.sh measures that)
printf 'id,name,email,roles,school\nq000001,Person 1,q000001@school.example.org,mentor,brookfield\n' >"$ROOT/one.csv"
run admin person import "$ROOT/one.csv"
expect_rc 0; expect_out "imported 1 person"

finish
