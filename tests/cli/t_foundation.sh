#!/bin/sh
# tests/cli/t_foundation.sh: sites, people, portfolios, entries (CLI and plain git), evidence, lint, index, audit.
. "$(dirname "$0")/lib.sh"

# ---------------------------------------------------------------- site
t "init creates a site and binds the admin"
run admin init "$ROOT/s1"
expect_rc 0
[ -f "$ROOT/s1/folio.db" ] && [ -d "$ROOT/s1/portfolios" ] && [ -f "$ROOT/s1/standards/qualifications.md" ] && pass || fail "layout"
run admin --site "$ROOT/s1" person list
expect_rc 0; expect_out "admin"

t "init refuses a name or an email that is not UTF-8 text, and makes no site"
run admin init "$ROOT/s-latin1" --name "$(printf 'Ren\351e Admin')"
expect_rc 1; expect_one_line_err; expect_err "the name of the first admin is not valid UTF-8 text (byte 0xE9)"
[ ! -e "$ROOT/s-latin1/folio.db" ] && pass || fail "a site was made"
run admin init "$ROOT/s-latin1" --email "$(printf 'ren\351e@example.org')"
expect_rc 1; expect_one_line_err; expect_err "invalid email for the first admin: not valid UTF-8 text"
[ ! -e "$ROOT/s-latin1/folio.db" ] && pass || fail "a site was made"

t "init refuses an existing site"
run admin init "$ROOT/s1"
expect_rc 1; expect_err "already a folio site"; expect_one_line_err

t "a directory that is not a site"
mkdir -p "$ROOT/notasite"
run admin --site "$ROOT/notasite" person list
expect_rc 1; expect_err "not a folio site"; expect_one_line_err

t "a corrupt folio.db"
mkdir -p "$ROOT/corrupt/portfolios"; head -c 8192 /dev/urandom >"$ROOT/corrupt/folio.db"
run admin --site "$ROOT/corrupt" person list
expect_rc 1; expect_err "folio.db"; expect_one_line_err

t "FOLIO_SITE selects the site"
FOLIO_SITE=$ROOT/s1 LOGNAME=admin "$FOLIO" person list >/dev/null 2>&1 && pass || fail "FOLIO_SITE ignored"

t "usage errors exit 2"
run admin frobnicate
expect_rc 2; expect_err "unknown command"
run admin --site "$ROOT/s1" person add
expect_rc 2
run admin --site "$ROOT/s1" person list --bogus
expect_rc 2; expect_err "unknown option '--bogus'"

t "standards outside a site"
(cd "$ROOT" && LOGNAME=nobody "$FOLIO" standards --json) >"$ROOT/std.json" 2>&1 && pass || fail "standards failed"
grep -q '"id": "S2.9"' "$ROOT/std.json" && grep -q '"id": "QLMS"' "$ROOT/std.json" && pass || fail "standards json"
[ "$(grep -c '"id": "S[1-4]\.[0-9]*"' "$ROOT/std.json")" -eq 21 ] && pass || fail "21 descriptors expected"

# ---------------------------------------------------------------- people
new_site people
t "people imported from CSV"
run admin --site "$S" person list --json
expect_rc 0; expect_out '"id": "amara-okafor"'; expect_out '"lead": "claire-davies"'

t "bad people input changes nothing"
snapshot "$S" before
run admin --site "$S" person add zed --name Zed --email not-an-email --role mentor
expect_rc 1; expect_err "invalid email 'not-an-email'"; expect_one_line_err
run admin --site "$S" person add zed --name Zed --email z@x.org --role wizard
expect_rc 1; expect_err "unknown role 'wizard'"
run admin --site "$S" person add zed --name Zed --email z@x.org --role mentor --school nowhere
expect_rc 1; expect_err "no school 'nowhere'"
run admin --site "$S" person add amara-okafor --name Again --email a@x.org --role mentor
expect_rc 1; expect_err "already exists"
run admin --site "$S" school add riverside --name Dup --phase secondary
expect_rc 1; expect_err "school 'riverside' already exists"
run admin --site "$S" school add newschool --name New --phase middle
expect_rc 1; expect_err "unknown phase 'middle'"
printf 'id,name,email,roles\nok1,Ok One,ok1@x.org,mentor\nbad,Bad Row,bad@,mentor\n' >"$ROOT/bad.csv"
run admin --site "$S" person import "$ROOT/bad.csv"
expect_rc 1; expect_err "row 3, column 'email'"; expect_one_line_err
expect_unchanged "$S"

t "only admins manage people"
run amara --site "$S" person add zed --name Zed --email z@x.org --role mentor
expect_rc 1; expect_err "person 'amara-okafor' may not add people: needs role admin"
run stranger --site "$S" school add x --name X --phase primary
expect_rc 1; expect_err "login 'stranger' is not bound"
run amara --site "$S" --as ben-hughes person list
expect_rc 1; expect_err "may not act as 'ben-hughes'"

t "conflicts"
run admin --site "$S" conflict add tom-baker ben-hughes --reason "line manager"
expect_rc 0
run admin --site "$S" conflict add ben-hughes tom-baker --reason "again"
expect_rc 1; expect_err "already declared"
run admin --site "$S" conflict add tom-baker ghost --reason "x"
expect_rc 1; expect_err "no person 'ghost'"

t "free text typed in Latin-1, not UTF-8, is refused in one line and not stored"
run admin --site "$S" conflict add nadia-rahman ben-hughes --reason "$(printf 'her \243 budget holder')"
expect_rc 1; expect_one_line_err; expect_err "the reason is not valid UTF-8 text (byte 0xA3)"
run admin --site "$S" conflict list --json
printf '%s' "$out" | grep -q "nadia-rahman" && fail "the conflict was stored" || pass
run admin --site "$S" school add ecole --name "$(printf '\311cole Saint-Martin')" --phase primary
expect_rc 1; expect_one_line_err; expect_err "the name of school 'ecole' is not valid UTF-8 text"

# ---------------------------------------------------------------- portfolios
t "portfolio create, entry add through the CLI"
run admin --site "$S" --as amara-okafor portfolio create amara-okafor --qualification qms
expect_rc 0
run admin --site "$S" portfolio create ghost --qualification qms
expect_rc 1; expect_err "no person 'ghost'"
run admin --site "$S" portfolio create tom-baker --qualification qms
expect_rc 1; expect_err "not a mentor"
run admin --site "$S" portfolio create ben-hughes --qualification qxs
expect_rc 1; expect_err "unknown qualification 'qxs'"
for f in "$SAMPLES"/amara-okafor/*.md; do
	d=$(basename "$f" | cut -c1-10)
	run amara --site "$S" entry add amara-okafor --date "$d" "$f"
	[ "$rc" -eq 0 ] || { fail "entry add $f: $err"; break; }
done
pass
run amara --site "$S" entry list amara-okafor --json
expect_rc 0
n=$(printf '%s\n' "$out" | grep -c '"path"')
[ "$n" -eq "$(ls "$SAMPLES"/amara-okafor/*.md | wc -l)" ] && pass || fail "expected every sample entry listed, got $n"

t "the admin writes to a portfolio only as the mentor"
printf '# Note\n\nA note. #S1\n' >"$ROOT/note.md"
run admin --site "$S" entry add amara-okafor "$ROOT/note.md"
expect_rc 1; expect_err "may not add entries to the portfolio of 'amara-okafor'"
run ben --site "$S" entry add amara-okafor "$ROOT/note.md"
expect_rc 1; expect_err "person 'ben-hughes' may not add entries"

t "entry add refuses bad input and commits nothing"
run admin --site "$S" portfolio list --json
before=$out
printf '# Bad\n\nThis names a standard that does not exist. #S5\n' >"$ROOT/bad-tag.md"
run amara --site "$S" entry add amara-okafor "$ROOT/bad-tag.md"
expect_rc 1; expect_err "line 3, column 44: unknown tag '#S5'"; expect_one_line_err
printf '# Bad\n\ncaf\351 #S1\n' >"$ROOT/latin1.md"
run amara --site "$S" entry add amara-okafor "$ROOT/latin1.md"
expect_rc 1; expect_err "not valid UTF-8"
printf '# Bad\n\nnul \000 here #S1\n' >"$ROOT/nul.md"
run amara --site "$S" entry add amara-okafor "$ROOT/nul.md"
expect_rc 1; expect_err "NUL byte"
head -c 2048 /dev/urandom >"$ROOT/binary.md"
run amara --site "$S" entry add amara-okafor "$ROOT/binary.md"
expect_rc 1; expect_one_line_err
: >"$ROOT/empty.md"
run amara --site "$S" entry add amara-okafor "$ROOT/empty.md"
expect_rc 1; expect_err "entry is empty"
run amara --site "$S" entry add amara-okafor --date 2031-01-01 "$ROOT/note.md"
expect_rc 1; expect_err "in the future"
run amara --site "$S" entry add amara-okafor --date 2026-02-30 "$ROOT/note.md"
expect_rc 1; expect_err "invalid date '2026-02-30'"
run amara --site "$S" entry add ghost "$ROOT/note.md"
expect_rc 1
run admin --site "$S" portfolio list --json
[ "$out" = "$before" ] && pass || fail "a refused entry changed the portfolio"

t "entry add from stdin with a title"
LOGNAME=amara "$FOLIO" --site "$S" entry add amara-okafor --title "Quick note after moderation" --date 2026-07-20 - <<'MD' >"$ROOT/out" 2>&1 && pass || fail "stdin entry: $(cat "$ROOT/out")"
We agreed the trainee's judgements in a short meeting. #S4.1
MD
grep -q '2026-07-20-quick-note-after-moderation.md' "$ROOT/out" && pass || fail "file name from date and title: $(cat "$ROOT/out")"

# ---------------------------------------------------------------- plain git
t "plain git clone, commit, push counts like the CLI"
run admin --site "$S" --as ben-hughes portfolio create ben-hughes --qualification qms
expect_rc 0
git clone -q "$S/portfolios/ben-hughes.git" "$ROOT/ben" 2>"$ROOT/git.err" && pass || fail "git clone: $(cat "$ROOT/git.err")"
cp "$SAMPLES"/ben-hughes/*.md "$ROOT/ben/"
(cd "$ROOT/ben" && git add . && git commit -q -m "Ben's reflections" && git push -q origin HEAD:main) 2>"$ROOT/git.err" && pass || fail "git push: $(cat "$ROOT/git.err")"
run ben --site "$S" entry list ben-hughes --json
n=$(printf '%s\n' "$out" | grep -c '"path"')
[ "$n" -eq "$(ls "$SAMPLES"/ben-hughes/*.md | wc -l)" ] && pass || fail "pushed entries not listed ($n)"
run ben --site "$S" evidence ben-hughes --json
expect_rc 0; expect_out '"ready": false'; expect_out '"qualification": "QMS"'
expect_out "\"commit\": \"$(git -C "$ROOT/ben" rev-parse HEAD)\""

t "the same entry through the CLI and through git gives the same evidence"
run admin --site "$S" --as claire-davies portfolio create claire-davies --qualification qlms
one=$(ls "$SAMPLES"/claire-davies/*.md | head -1)
run claire --site "$S" entry add claire-davies --date "$(basename "$one" | cut -c1-10)" "$one"
expect_rc 0
run claire --site "$S" evidence claire-davies --json
cli_json=$(printf '%s\n' "$out" | grep -v '"commit"' | grep -v '"path"' | grep -v '"mentor"' | grep -v '\.md"')
git clone -q "$S/portfolios/claire-davies.git" "$ROOT/claire2" 2>/dev/null
run admin --site "$S" person add cd2 --name "Claire Copy" --email cd2@x.org --role mentor
run admin --site "$S" --as cd2 portfolio create cd2 --qualification qlms
git clone -q "$S/portfolios/cd2.git" "$ROOT/cd2" 2>/dev/null
cp "$one" "$ROOT/cd2/"
(cd "$ROOT/cd2" && git add . && git commit -q -m x && git push -q origin HEAD:main) 2>/dev/null
run admin --site "$S" evidence cd2 --json
git_json=$(printf '%s\n' "$out" | grep -v '"commit"' | grep -v '"path"' | grep -v '"mentor"' | grep -v '\.md"')
[ "$cli_json" = "$git_json" ] && pass || fail "CLI and git entries differ"

# ---------------------------------------------------------------- evidence and lint
t "evidence of a complete portfolio"
run amara --site "$S" evidence amara-okafor
expect_rc 0; expect_out "Ready to submit for QMS"; expect_out "S2 Teaching"
run amara --site "$S" evidence amara-okafor --json
expect_out '"ready": true'; expect_out '"id": "S2.3"'; expect_out '"problems": \[\]'

t "evidence of a portfolio with gaps says what is missing"
run ben --site "$S" evidence ben-hughes
expect_rc 0; expect_out "Not ready for QMS"; expect_out "S4 Self-development"

t "a mentor cannot read another mentor's evidence; a reviewer can"
run ben --site "$S" evidence amara-okafor
expect_rc 1; expect_err "may not read the evidence of 'amara-okafor'"
run nadia --site "$S" evidence amara-okafor --json
expect_rc 0

t "evidence --at an older commit"
first=$(git -C "$S/portfolios/amara-okafor.git" rev-list --reverse main | head -1)
run amara --site "$S" evidence amara-okafor --at "$first" --json
expect_rc 0; expect_out "\"commit\": \"$first\""; expect_out '"ready": false'
run amara --site "$S" evidence amara-okafor --at nosuchrev
expect_rc 1; expect_err "no revision 'nosuchrev'"

t "lint a portfolio reports the unknown tag with its position"
run ben --site "$S" lint ben-hughes
expect_rc 1; expect_out "error: unknown tag '#S2.12'"; expect_out "warning: no evidence"
printf '%s\n' "$out" | grep -q '^[0-9a-z-]*\.md:[0-9]*:[0-9]*: error: ' && pass || fail "lint format"
run amara --site "$S" lint amara-okafor
expect_rc 0

t "lint files outside a site"
printf '# A\n\nFine. #S1\n\n`#S9` in code is not a tag; [a link](http://x.org/#S7) neither.\n' >"$ROOT/ok.md"
(cd "$ROOT" && LOGNAME=nobody "$FOLIO" lint ok.md) >/dev/null 2>&1 && pass || fail "clean file flagged"
(cd "$ROOT" && LOGNAME=nobody "$FOLIO" lint bad-tag.md) >"$ROOT/lint.out" 2>&1
[ $? -eq 1 ] && grep -q '^bad-tag.md:3:44: error: unknown tag' "$ROOT/lint.out" && pass || fail "lint file: $(cat "$ROOT/lint.out")"
(cd "$ROOT" && LOGNAME=nobody "$FOLIO" lint latin1.md) >"$ROOT/lint.out" 2>&1
[ $? -eq 1 ] && grep -q 'not valid UTF-8' "$ROOT/lint.out" && pass || fail "lint invalid utf-8"

t "bad files pushed with git are reported, not crashed on"
git clone -q "$S/portfolios/ben-hughes.git" "$ROOT/ben2" 2>/dev/null
head -c 4096 /dev/urandom >"$ROOT/ben2/2026-07-01-scan.md"
printf '# Caf\351\n\nLatin-1 text. #S1\n' >"$ROOT/ben2/2026-07-02-latin1.md"
printf '# Nul\n\nA \000 byte. #S1\n' >"$ROOT/ben2/2026-07-03-nul.md"
(cd "$ROOT/ben2" && git add . && git commit -q -m "bad files" && git push -q origin HEAD:main) 2>/dev/null
run ben --site "$S" lint ben-hughes
expect_rc 1; expect_out "2026-07-01-scan.md:[0-9]*:[0-9]*: error: "
expect_out "2026-07-02-latin1.md:1:6: error: not valid UTF-8"; expect_out "2026-07-03-nul.md:3:3: error: contains a NUL byte"
run ben --site "$S" evidence ben-hughes --json
expect_rc 0; expect_out '"path": "2026-07-01-scan.md"'

t "an empty portfolio"
run admin --site "$S" person add eve --name Eve --email eve@x.org --role mentor
run admin --site "$S" --as eve portfolio create eve --qualification qms
run admin --site "$S" evidence eve
expect_rc 1; expect_err "has no entries yet"; expect_one_line_err
run admin --site "$S" entry list eve
expect_rc 0

t "import an existing repository with its history"
mkdir -p "$ROOT/ext" && (cd "$ROOT/ext" && git init -q -b master && cp "$SAMPLES"/claire-davies/2025-0*.md . &&
	git add . && git commit -q -m one && echo "More. #S4.2" >>"$(ls *.md | head -1)" && git commit -qam two && git tag v1) 2>/dev/null
run admin --site "$S" person add ivy --name Ivy --email ivy@x.org --role mentor
run admin --site "$S" portfolio import ivy "$ROOT/ext" --qualification qms
expect_rc 0
[ "$(git -C "$S/portfolios/ivy.git" rev-parse main)" = "$(git -C "$ROOT/ext" rev-parse HEAD)" ] && pass || fail "main differs"
git -C "$S/portfolios/ivy.git" rev-parse -q --verify v1 >/dev/null && pass || fail "tag not imported"
mkdir -p "$ROOT/emptyrepo" && git init -q "$ROOT/emptyrepo"
run admin --site "$S" person add joe --name Joe --email joe@x.org --role mentor
run admin --site "$S" portfolio import joe "$ROOT/emptyrepo"
expect_rc 1; expect_err "empty"; expect_one_line_err
[ ! -e "$S/portfolios/joe.git" ] && [ -z "$(ls -A "$S/portfolios" | grep '^\.')" ] && pass || fail "left files behind"

t "entries added at the same moment are all kept"
run admin --site "$S" person add kim --name Kim --email kim@x.org --role mentor --login kim
run admin --site "$S" --as kim portfolio create kim --qualification qms
for i in 1 2 3 4 5 6; do
	(printf 'Same moment %s. #S1.1\n' "$i" | LOGNAME=kim "$FOLIO" --site "$S" entry add kim --title "Parallel $i" - \
		>/dev/null 2>"$ROOT/par.$i" || echo "entry $i failed: $(cat "$ROOT/par.$i")" >>"$ROOT/par.fail") &
done
wait
[ ! -s "$ROOT/par.fail" ] && pass || fail "$(cat "$ROOT/par.fail")"
[ "$(git -C "$S/portfolios/kim.git" rev-list --count main)" -eq 6 ] && pass || fail "expected 6 commits"
run kim --site "$S" entry list kim --json
[ "$(printf '%s\n' "$out" | grep -c '"path"')" -eq 6 ] && pass || fail "expected 6 entries"

# ---------------------------------------------------------------- index
t "index is incremental and rebuild gives identical results"
run admin --site "$S" index
expect_rc 0; expect_out "parsed"
run admin --site "$S" index
expect_rc 0; expect_out " 0 parsed"
run admin --site "$S" evidence amara-okafor --json
before=$out
run admin --site "$S" index --rebuild
expect_rc 0
run admin --site "$S" evidence amara-okafor --json
[ "$out" = "$before" ] && pass || fail "rebuild changed the evidence"
run amara --site "$S" index --rebuild
expect_rc 1; expect_err "needs role admin"

t "index follows main after git packs its refs"
git -C "$S/portfolios/amara-okafor.git" pack-refs --all
[ ! -e "$S/portfolios/amara-okafor.git/refs/heads/main" ] && pass || fail "ref not packed"
run admin --site "$S" index amara-okafor
expect_rc 0; expect_out "1 unchanged"
printf 'After packing. #S3.2\n' | LOGNAME=amara "$FOLIO" --site "$S" entry add amara-okafor --title "After packing" - >/dev/null 2>&1
git -C "$S/portfolios/amara-okafor.git" pack-refs --all
run admin --site "$S" index amara-okafor
expect_rc 0; expect_out "0 unchanged"; expect_out " 1 parsed"
run admin --site "$S" evidence amara-okafor --json
expect_out "\"commit\": \"$(git -C "$S/portfolios/amara-okafor.git" rev-parse main)\""

t "audit log records who did what, including --as"
run admin --site "$S" audit --json
expect_out '"action": "entry.add"'; expect_out '"real_actor": "admin"'; expect_out '"action": "denied"'
run admin --site "$S" audit verify
expect_rc 0

finish
