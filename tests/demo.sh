#!/bin/sh
# tests/demo.sh FOLIO: a throw-away site with the sample portfolios: people, portfolios
# written through the CLI and through plain git, coverage, lint and the audit log.
set -eu
FOLIO=${1:?usage: demo.sh path/to/folio}
HERE=$(cd "$(dirname "$0")/.." && pwd)
SAMPLES=$HERE/portfolios
SITE=${DEMO_SITE:-$HERE/build/demo-site}
ME=${LOGNAME:-$(id -un)}
export LOGNAME=$ME FOLIO_SITE=$SITE

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
folio() { printf '$ folio %s\n' "$*"; "$FOLIO" "$@"; }

rm -rf "$SITE"
step "A new site; you ($ME) are its first admin"
folio init "$SITE" --name "Demo Admin" --email admin@university.example.ac.uk
folio standards | head -12
echo "   ..."

step "Schools and people from CSV, and a declared conflict"
folio school import "$SAMPLES/schools.csv"
folio person import "$SAMPLES/people.csv"
folio conflict add tom-baker ben-hughes --reason "Tom line-manages Ben's head of department"
folio person list

step "Amara (primary, QMS) and Claire (lead mentor, QLMS) write through the CLI"
folio --as amara-okafor portfolio create amara-okafor --qualification qms
folio --as claire-davies portfolio create claire-davies --qualification qlms
for who in amara-okafor claire-davies; do
	for f in "$SAMPLES/$who"/*.md; do
		date=$(basename "$f" | cut -c1-10)
		printf '$ folio --as %s entry add %s --date %s %s\n' "$who" "$who" "$date" "$(basename "$f")"
		"$FOLIO" --as "$who" entry add "$who" --date "$date" "$f"
	done
done

step "Ben (secondary, QMS) uses plain git: clone, commit, push"
folio --as ben-hughes portfolio create ben-hughes --qualification qms
work=$(mktemp -d)
git clone -q "$SITE/portfolios/ben-hughes.git" "$work/ben" 2>/dev/null
cp "$SAMPLES"/ben-hughes/*.md "$work/ben/"
(cd "$work/ben" && git add . &&
	git -c user.name="Ben Hughes" -c user.email=ben.hughes@riverside.example.org commit -q -m "My reflections this year" &&
	git push -q origin HEAD:main)
echo "pushed $(ls "$work/ben"/*.md | wc -l) entries with git"
rm -rf "$work"

step "Index the site (incremental: a second run parses nothing)"
folio index
folio index
folio portfolio list

step "Entries in Ben's portfolio"
folio entry list ben-hughes

for who in amara-okafor claire-davies ben-hughes; do
	step "Coverage of the standards: $who"
	folio evidence "$who"
done

step "Lint: unknown tags and entries with no evidence"
for who in amara-okafor claire-davies ben-hughes; do
	folio lint "$who" || echo "(lint found errors in $who's portfolio: exit $?)"
done

step "The audit log (last 8 rows) and its hash chain"
"$FOLIO" audit | tail -8
folio audit verify

printf '\nThe demo site is in %s: try  FOLIO_SITE=%s %s evidence amara-okafor --json\n' "$SITE" "$SITE" "$FOLIO"
