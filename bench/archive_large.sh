#!/bin/sh
# bench/archive_large.sh FOLIO [MB]: a portfolio holding one large incompressible artefact (default 100 MB,
# pushed with git), archived, verified and restored; peak RSS of each against the 64 MiB memory target.
# Peak RSS is GNU time's; anon / file are the peaks of RssAnon and RssFile sampled from /proc while it runs
# (file: pages of files libgit2 maps, which the kernel may drop; anon: folio's own memory).
set -eu
FOLIO=$(cd "$(dirname "${1:?usage: archive_large.sh FOLIO [MB]}")" && pwd)/$(basename "$1")
MB=${2:-100}
TARGET_MIB=64
command -v /usr/bin/time >/dev/null 2>&1 || { echo "archive_large.sh: needs GNU time (apt-get install time)"; exit 2; }
D=$(mktemp -d "${TMPDIR:-/tmp}/folio-archive-large-XXXXXX")
trap 'rm -rf "$D"' EXIT
export LOGNAME=admin FOLIO_TODAY=2026-09-01

"$FOLIO" init "$D/site" --name Admin --email admin@example.org >/dev/null
"$FOLIO" --site "$D/site" person add ann --name Ann --email ann@example.org --role mentor >/dev/null
"$FOLIO" --site "$D/site" --as ann portfolio create ann --qualification qms >/dev/null
git clone -q "$D/site/portfolios/ann.git" "$D/w" 2>/dev/null
head -c $((MB * 1000000)) /dev/urandom >"$D/w/recording.bin"
printf '# The recording\n\nSee [the recording](recording.bin). #S1\n' >"$D/w/2026-09-01-recording.md"
(cd "$D/w" && git add . && git -c user.name=Ann -c user.email=ann@example.org commit -q -m recording &&
	git push -q origin HEAD:main)
rm -rf "$D/w"
"$FOLIO" init "$D/target" --name Admin --email admin@example.org >/dev/null

# measure LABEL CMD...: wall time, peak RSS, sampled peaks of RssAnon and RssFile
status=0
measure() {
	label=$1
	shift
	/usr/bin/time -f '%e %M' -o "$D/time" "$@" >"$D/out" 2>"$D/err" &
	pid=$!
	anon=0 file=0
	while kill -0 $pid 2>/dev/null; do
		for c in $(pgrep -P $pid 2>/dev/null); do
			set -- $(awk '/RssAnon/ {a=$2} /RssFile/ {f=$2} END {print a+0, f+0}' "/proc/$c/status" 2>/dev/null || echo 0 0)
			[ "$1" -gt "$anon" ] && anon=$1
			[ "$2" -gt "$file" ] && file=$2
		done
	done
	wait $pid || { echo "$label failed: $(cat "$D/err")"; status=1; return; }
	set -- $(tail -1 "$D/time")
	rss=$(($2 / 1024))
	verdict=PASS
	[ "$rss" -le $TARGET_MIB ] || verdict=MISS
	printf '%-16s %7s s %8s MiB %8s MiB %8s MiB   %s\n' "$label" "$1" "$rss" $((anon / 1024)) $((file / 1024)) "$verdict"
}

echo "folio archive of one portfolio with a ${MB} MB artefact (target: peak RSS <= $TARGET_MIB MiB)"
printf '%-16s %9s %12s %12s %12s\n' phase wall "peak RSS" anon file
measure "archive" "$FOLIO" --site "$D/site" archive ann --out "$D/a.zip"
measure "archive verify" "$FOLIO" archive verify "$D/a.zip"
measure "archive restore" "$FOLIO" --site "$D/target" archive restore "$D/a.zip"
cmp -s "$D/site/portfolios/ann.git/refs/heads/main" "$D/target/portfolios/ann.git/refs/heads/main" ||
	{ echo "restore: main differs"; status=1; }
[ "$(git --git-dir="$D/target/portfolios/ann.git" cat-file -s main:recording.bin)" = $((MB * 1000000)) ] ||
	{ echo "restore: the artefact differs"; status=1; }
echo "zip: $(($(wc -c <"$D/a.zip") / 1048576)) MiB"
exit $status
