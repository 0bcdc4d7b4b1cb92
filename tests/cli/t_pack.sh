#!/bin/sh
# tests/cli/t_pack.sh: folio pack (a portfolio, a panel's queue) and folio cert print, as users run them:
# what is written, who may, and bad input refused in one line with nothing written.
. "$(dirname "$0")/lib.sh"

entries() {
	for f in "$SAMPLES/$1"/*.md; do
		run "$2" --site "$S" entry add "$1" --date "$(basename "$f" | cut -c1-10)" "$f"
		[ "$rc" -eq 0 ] || { echo "cannot add $f: $err"; exit 1; }
	done
}
must() {
	run "$@"
	[ "$rc" -eq 0 ] || { echo "set-up step failed: folio $*: $err"; finish; exit 1; }
}
# nothing at PATH
expect_absent() { [ ! -e "$1" ] && pass || fail "'$1' was written"; }

# ---------------------------------------------------------------- amara submits; claire and nadia review
new_site pack
export FOLIO_TODAY=2026-08-01
must admin --site "$S" portfolio create amara-okafor --qualification qms
entries amara-okafor amara
must admin --site "$S" panel plan 2026
for r in nadia-rahman claire-davies; do
	must admin --site "$S" panel availability 2026-autumn "$r" --capacity 2
done
must amara --site "$S" submit amara-okafor
export FOLIO_TODAY=2026-10-30
must admin --site "$S" panel assign 2026-autumn
O=$ROOT/packs; mkdir -p "$O"

t "the mentor packs their own submission: one self-contained page"
run amara --site "$S" pack 1 --out "$O/a"
expect_rc 0; expect_out "wrote $O/a/submission-1.html"
page=$(cat "$O/a/submission-1.html" 2>/dev/null)
printf '%s' "$page" | grep -q 'class="tag s2" data-tag="S2.4"' && pass || fail "no S2.4 badge"
printf '%s' "$page" | grep -q '<div class="evidence s1' && pass || fail "no evidence block of S1"
printf '%s' "$page" | grep -q "default-src 'none'" && pass || fail "no Content-Security-Policy"
printf '%s' "$page" | grep -Eq '<script|<link |src="https?:' && fail "something would run or be fetched" || pass

t "the matrix totals are the coverage numbers"
run amara --site "$S" evidence amara-okafor --json
for s in 1 2 3 4; do
	want=$(printf '%s\n' "$out" | tr -d ' \n' | sed -n "s/.*\"id\":\"S$s\",\"title\":\"[^\"]*\",\"evidence\":\([0-9]*\).*/\1/p")
	[ -n "$want" ] || fail "no evidence figure for S$s in: $out"
	printf '%s' "$page" | grep -q "data-std=\"$s\" data-total=\"$want\"" && pass || fail "S$s total is not $want"
done

t "a mentor id packs their latest submission; --json lists what was written"
run nadia --site "$S" pack amara-okafor --out "$O/b" --json
expect_rc 0; expect_out "\"$O/b/submission-1.html\""

t "a reviewer not assigned to it is refused, audited, and nothing is written"
run admin --site "$S" --as sam-ellis pack 1 --out "$O/c"
expect_rc 1; expect_one_line_err
expect_err "person 'sam-ellis' may not pack submission 1 (portfolio of 'amara-okafor'): only the mentor, the reviewers assigned to it, leads and admins may"
expect_absent "$O/c"
run admin --site "$S" audit --json
expect_out "may not pack submission 1"
run ben --site "$S" pack amara-okafor --out "$O/c"
expect_rc 1; expect_err "person 'ben-hughes' may not pack"; expect_absent "$O/c"

t "unknown submission, unknown mentor, a bad target: one line, nothing written"
run admin --site "$S" pack 99 --out "$O/d"
expect_rc 1; expect_one_line_err; expect_err "no submission 99 in site"; expect_absent "$O/d"
run admin --site "$S" pack nobody --out "$O/d"
expect_rc 1; expect_one_line_err; expect_err "'nobody'"; expect_absent "$O/d"
run admin --site "$S" pack "Ann Smith" --out "$O/d"
expect_rc 1; expect_one_line_err; expect_err "invalid pack target 'Ann Smith'"; expect_absent "$O/d"

t "an --out that cannot be written: one line, nothing written"
: >"$ROOT/a-file"
run admin --site "$S" pack 1 --out "$ROOT/a-file/sub"
expect_rc 1; expect_one_line_err; expect_err "cannot create '$ROOT/a-file/sub'"
run admin --site "$S" pack 1 --out "$ROOT/a-file"
expect_rc 1; expect_one_line_err; expect_err "not a directory"
mkdir -p "$O/ro" && chmod 555 "$O/ro"
if [ "$(id -u)" != 0 ]; then
	run admin --site "$S" pack 1 --out "$O/ro"
	expect_rc 1; expect_one_line_err; expect_absent "$O/ro/submission-1.html"
fi

t "usage errors exit 2"
run admin --site "$S" pack 1
expect_rc 2; expect_err "needs --out DIR"
run admin --site "$S" pack 1 --panel 2026-autumn --out "$O/e"
expect_rc 2
run admin --site "$S" pack 1 --reviewer nadia-rahman --out "$O/e"
expect_rc 2

t "a panel pack: the index links one page per portfolio"
run nadia --site "$S" pack --panel 2026-autumn --out "$O/p"
expect_rc 0; expect_out "wrote $O/p/index.html and 1 portfolio page"
grep -q 'href="submission-1.html"' "$O/p/index.html" && pass || fail "the index does not link submission-1.html"
[ -s "$O/p/submission-1.html" ] && pass || fail "no page for submission 1"
grep -q "the whole panel" "$O/p/index.html" && pass || fail "a lead without --reviewer does not get the whole panel"
run claire --site "$S" pack --panel 2026-autumn --reviewer claire-davies --out "$O/q"
expect_rc 0
grep -q "Your review" "$O/q/index.html" && pass || fail "a reviewer's queue does not show their review"

t "a reviewer packs only their own queue"
run admin --site "$S" --as sam-ellis pack --panel 2026-autumn --reviewer nadia-rahman --out "$O/r"
expect_rc 1; expect_one_line_err; expect_err "a reviewer packs only their own queue"; expect_absent "$O/r"
run admin --site "$S" pack --panel 2099-autumn --out "$O/r"
expect_rc 1; expect_one_line_err; expect_err "no panel '2099-autumn'"; expect_absent "$O/r"

# ---------------------------------------------------------------- a certificate
for login in nadia claire; do
	for s in S1 S2 S3 S4; do must "$login" --site "$S" review record 1 --standard "$s" --judgement met; done
	must "$login" --site "$S" review done 1
done
export FOLIO_TODAY=2026-11-18
must admin --site "$S" panel conclude 2026-autumn
must nadia --site "$S" approve 1
must nadia --site "$S" certify 1
N=$(printf '%s' "$out" | sed -n 's/^issued certificate \([A-Z]*-[0-9]*-[0-9]*\):.*/\1/p')

t "cert print writes a printable A4 certificate with the badge inlined"
run amara --site "$S" cert print "$N" --out "$O/cert.html"
expect_rc 0; expect_out "wrote $O/cert.html"
grep -q "@page { size: A4 landscape" "$O/cert.html" && pass || fail "no A4 page"
grep -q "Qualified Mentor Status (QMS)" "$O/cert.html" && pass || fail "no qualification name"
grep -q 'src="data:image/svg+xml;base64,' "$O/cert.html" && pass || fail "badge not inlined"
commit=$(LOGNAME=admin "$FOLIO" --site "$S" cert show "$N" --json | sed -n 's/.*"commit": "\([0-9a-f]*\)".*/\1/p')
grep -q "$commit" "$O/cert.html" && pass || fail "the pinned commit is not printed"

t "cert print: who may, and bad input"
run ben --site "$S" cert print "$N" --out "$O/c2.html"
expect_rc 1; expect_one_line_err; expect_absent "$O/c2.html"
run admin --site "$S" cert print QMS-1999-0001 --out "$O/c2.html"
expect_rc 1; expect_one_line_err; expect_absent "$O/c2.html"
run admin --site "$S" cert print "$N" --out "$O"
expect_rc 1; expect_one_line_err; expect_err "is a directory"
run admin --site "$S" cert print "$N" --out "$ROOT/a-file/c.html"
expect_rc 1; expect_one_line_err; expect_absent "$ROOT/a-file/c.html"
run admin --site "$S" cert print "$N"
expect_rc 2

t "a revoked certificate prints marked REVOKED with the reason"
must nadia --site "$S" cert revoke "$N" --reason "awarded to the wrong portfolio"
run admin --site "$S" cert print "$N" --out "$O/revoked.html"
expect_rc 0
grep -q '>REVOKED</div>' "$O/revoked.html" && pass || fail "not marked REVOKED"
grep -q "awarded to the wrong portfolio" "$O/revoked.html" && pass || fail "no reason"

t "an entry whose name ends in .MD (pushed with git) is in the pack and its timeline, as in the evidence"
must admin --site "$S" portfolio create ben-hughes --qualification qms
git clone -q "$S/portfolios/ben-hughes.git" "$ROOT/ben" 2>/dev/null
printf '# Late notes\n\nI sat with Aisha after her lesson and we planned the next one. #S1\n' >"$ROOT/ben/Notes.MD"
(cd "$ROOT/ben" && git add Notes.MD && git commit -qm notes && git push -q origin HEAD:main) >/dev/null 2>&1 ||
	fail "cannot push Notes.MD"
run ben --site "$S" pack ben-hughes --out "$O/ben"
expect_rc 0
cat "$O/ben/"*.html 2>/dev/null | grep -q 'Late notes' && pass || fail "Notes.MD is not in the pack"
cat "$O/ben/"*.html 2>/dev/null | grep -q '<div class="evidence s1' && pass || fail "Notes.MD's evidence is not marked"
cat "$O/ben/"*.html 2>/dev/null | grep -q 'class="files"><a href="#e1">Notes.MD</a>' && pass ||
	fail "the timeline does not show the commit touching Notes.MD"

finish
