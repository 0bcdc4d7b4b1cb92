# tests/cli/lib.sh: helpers for the CLI test scripts (tests/cli/t_*.sh), sourced by each.
# Needs: FOLIO (path of the folio binary), git. Each script ends with `finish`.
set -u
FOLIO=${FOLIO:?set FOLIO to the folio binary}
HERE=$(cd "$(dirname "$0")/../.." && pwd)
NAME=$(basename "$0" .sh)
SAMPLES=$HERE/portfolios
ROOT=$(mktemp -d "${TMPDIR:-/tmp}/folio-cli-XXXXXX")
trap 'rm -rf "$ROOT"' EXIT
passed=0 failed=0 current=""
export GIT_CONFIG_NOSYSTEM=1 HOME="$ROOT/home" GIT_AUTHOR_NAME=Tester GIT_AUTHOR_EMAIL=t@example.org \
	GIT_COMMITTER_NAME=Tester GIT_COMMITTER_EMAIL=t@example.org
mkdir -p "$HOME"
git config --global init.defaultBranch main

pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $current: $*"; }
t() { current=$1; }

# run LOGIN CMD...: run folio as LOGIN; sets $rc, $out, $err
run() {
	login=$1; shift
	LOGNAME=$login "$FOLIO" "$@" >"$ROOT/out" 2>"$ROOT/err"
	rc=$?
	out=$(cat "$ROOT/out"); err=$(cat "$ROOT/err")
}
expect_rc() { [ "$rc" -eq "$1" ] && pass || fail "exit $rc, expected $1 (stderr: $err)"; }
expect_out() { printf '%s\n' "$out" | grep -q -- "$1" && pass || fail "stdout lacks '$1': $out"; }
expect_no_out() { printf '%s\n' "$out" | grep -q -- "$1" && fail "stdout has '$1'" || pass; }
expect_err() { printf '%s\n' "$err" | grep -q -- "$1" && pass || fail "stderr lacks '$1': $err"; }
# the error is one line starting "folio: "
expect_one_line_err() {
	n=$(printf '%s\n' "$err" | grep -c .)
	{ [ "$n" -eq 1 ] && printf '%s' "$err" | grep -q '^folio: '; } && pass || fail "error not one 'folio:' line: $err"
}
# the database and every portfolio are as they were
snapshot() {
	{ sqlite_dump "$1"; find "$1/portfolios" -type f | sort | xargs cat 2>/dev/null | cksum; } >"$ROOT/snap.$2"
}
sqlite_dump() { LOGNAME=admin "$FOLIO" --site "$1" person list --json; LOGNAME=admin "$FOLIO" --site "$1" portfolio list --json; LOGNAME=admin "$FOLIO" --site "$1" school list --json; LOGNAME=admin "$FOLIO" --site "$1" conflict list --json; }
expect_unchanged() { snapshot "$1" after; cmp -s "$ROOT/snap.before" "$ROOT/snap.after" && pass || fail "site changed"; }

new_site() {
	S=$ROOT/site-$1
	run admin init "$S" --name "Ada Admin" --email ada@uni.example.ac.uk
	[ "$rc" -eq 0 ] || { echo "cannot init site: $err"; exit 1; }
	run admin --site "$S" school import "$SAMPLES/schools.csv"
	run admin --site "$S" person import "$SAMPLES/people.csv"
	[ "$rc" -eq 0 ] || { echo "cannot import people: $err"; exit 1; }
}

# finish: print this script's "cli NAME: N passed, M failed" line and exit with its status
finish() {
	echo "cli $NAME: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
