#!/bin/sh
# tests/crash/t_crash.sh: kill folio with SIGKILL at every crashpoint of a command (FOLIO_CRASHPOINT=N,
# see folio_crashpoint in engine/util.h), N = 1, 2, ... until the command completes, and check the site
# after each kill: sqlite integrity and foreign keys, git fsck --strict, the workflow invariants, the
# audit chain, nothing that was there before lost, the command's effect all there or not at all; then
# that running the same command again succeeds and gives what an uninterrupted run gives.
# Needs FOLIO (the folio binary), git and sqlite3. Prints "cli crash: N passed, M failed".
. "$(dirname "$0")/../cli/lib.sh"
NAME=crash
command -v sqlite3 >/dev/null || { echo "FAIL: sqlite3 is needed (make deps)"; failed=1; finish; exit 1; }
STAGES=$ROOT/stages
mkdir -p "$STAGES"
sql() { sqlite3 -batch -noheader "$1/folio.db" "$2"; }

# ---------------------------------------------------------------- stages of one year
# Each stage is a copy of the site at the moment a command under test would run; stage/today holds
# the calendar date of that moment.
must() {
	run "$@"
	[ "$rc" -eq 0 ] || { echo "set-up step failed: folio $*: $err"; failed=$((failed + 1)); finish; exit 1; }
}
save_stage() { rm -rf "$STAGES/$1"; cp -a "$S" "$STAGES/$1"; echo "$FOLIO_TODAY" >"$STAGES/$1.today"; }
push_entries() { # MENTOR: clone, commit the sample files, push
	git clone -q "$S/portfolios/$1.git" "$ROOT/clone-$1" 2>/dev/null
	cp "$SAMPLES/$1"/*.md "$ROOT/clone-$1/"
	(cd "$ROOT/clone-$1" && git add . && git commit -qm "My reflections" && git push -q origin HEAD:main) ||
		{ echo "set-up: cannot push for $1"; exit 1; }
	rm -rf "$ROOT/clone-$1"
}
login_of() { sql "$S" "SELECT login FROM person WHERE id = '$1'"; }

new_site year
export FOLIO_TODAY=2026-08-01
must admin --site "$S" cert issuer --email badges@uni.example.ac.uk
for m in amara-okafor:qms claire-davies:qlms ben-hughes:qms; do
	must admin --site "$S" portfolio create "${m%%:*}" --qualification "${m#*:}"
done
for f in "$SAMPLES"/amara-okafor/*.md; do
	case "$f" in *2026-07-08*) continue;; esac # the last one is added by the entry-add scenario
	must amara --site "$S" entry add amara-okafor --date "$(basename "$f" | cut -c1-10)" "$f"
done
push_entries claire-davies
must admin --site "$S" person add dan-lee --name "Dan Lee" --email dan.lee@brookfield.example.org --role mentor
save_stage portfolios      # entries in git, nothing indexed; ben's portfolio still empty, dan has none

must amara --site "$S" entry add amara-okafor --date 2026-07-08 "$SAMPLES/amara-okafor/2026-07-08-looking-back-on-the-year.md"
push_entries ben-hughes
must admin --site "$S" index
must admin --site "$S" exemption add claire-davies --qualification qlms --reason "QMS from a previous partnership"
must admin --site "$S" panel plan 2026
must admin --site "$S" panel chair 2026-autumn nadia-rahman
for r in tom-baker:2 sam-ellis:2 priya-shah:2 nadia-rahman:2; do
	must admin --site "$S" panel availability 2026-autumn "${r%%:*}" --capacity "${r#*:}"
done
must claire --site "$S" submit claire-davies
save_stage planned         # amara is ready to submit, the autumn panel is open

must amara --site "$S" submit amara-okafor
export FOLIO_TODAY=2026-10-30
save_stage closed          # the deadline has passed: the panel can be assigned

must admin --site "$S" panel assign 2026-autumn
AMARA=$(sql "$S" "SELECT id FROM submission WHERE mentor = 'amara-okafor'")
CLAIRE=$(sql "$S" "SELECT id FROM submission WHERE mentor = 'claire-davies'")
R1=$(sql "$S" "SELECT reviewer FROM assignment WHERE submission = $AMARA ORDER BY reviewer LIMIT 1")
R1LOGIN=$(login_of "$R1")
[ -n "$R1LOGIN" ] || R1LOGIN=admin R1AS="--as $R1"
must "$R1LOGIN" --site "$S" ${R1AS:-} review form "$AMARA"
printf '%s\n' "$out" | sed 's/^Judgement:.*/Judgement: met/; s/^Comment:.*/Comment: Clear reflection on practice./' >"$ROOT/form.md"
save_stage assigned        # reviewers can record

for id in $AMARA $CLAIRE; do
	for r in $(sql "$S" "SELECT reviewer FROM assignment WHERE submission = $id"); do
		l=$(login_of "$r"); as=""
		[ -n "$l" ] || { l=admin; as="--as $r"; }
		must "$l" --site "$S" $as review form "$id"
		printf '%s\n' "$out" | sed 's/^Judgement:.*/Judgement: met/' >"$ROOT/form-$id.md"
		must "$l" --site "$S" $as review record "$id" --form "$ROOT/form-$id.md"
		must "$l" --site "$S" $as review done "$id"
	done
done
export FOLIO_TODAY=2026-11-18
must admin --site "$S" panel conclude 2026-autumn
must priya --site "$S" approve "$AMARA"
must priya --site "$S" approve "$CLAIRE"
must admin --site "$S" certify "$CLAIRE"
CERT=$(sql "$S" "SELECT number FROM certificate")
save_stage approved        # amara's submission is recommended and approved; claire holds a certificate

# ---------------------------------------------------------------- what a command leaves behind
# result_KIND SITE: the command's effect, free of times and process ids, to compare with an uninterrupted run
result_entry() { # the blobs on main of the mentor in $ARG
	git --git-dir="$1/portfolios/$ARG.git" ls-tree -r main 2>/dev/null | awk '{print $3}' | sort -u
}
result_index() {
	sql "$1" "SELECT mentor, commit_id FROM portfolio_index ORDER BY mentor;
		SELECT mentor, path, oid FROM portfolio_blob ORDER BY mentor, path;
		SELECT oid, length(data) FROM blob_cache ORDER BY oid"
}
result_assign() {
	sql "$1" "SELECT submission, reviewer, done FROM assignment ORDER BY submission, reviewer;
		SELECT id, panel, state FROM submission ORDER BY id; SELECT id, state FROM panel ORDER BY id;
		SELECT submission, seq, from_state, to_state, note FROM submission_history ORDER BY submission, seq"
}
result_review() {
	sql "$1" "SELECT submission, reviewer, standard, judgement, comment FROM judgement ORDER BY 1, 2, 3;
		SELECT id, state FROM panel ORDER BY id"
}
# (the certificate files are checked against the database by check_site)
result_revoke() {
	sql "$1" "SELECT number, revoked IS NOT NULL, revoked_reason FROM certificate ORDER BY number;
		SELECT id, state FROM submission ORDER BY id"
}
result_certify() {
	sql "$1" "SELECT number, submission, holder, qualification, panel, approved_by, commit_id, revoked FROM certificate
		ORDER BY number; SELECT id, state FROM submission ORDER BY id"
}

# any command: every table but the audit log and the evidence cache, times blanked, and the site's
# files and directories (names only, not folio's own temporary ones)
result_site() {
	for tb in $(sql "$1" "SELECT name FROM sqlite_schema WHERE type = 'table'
		AND name NOT IN ('audit', 'blob_cache', 'portfolio_blob', 'portfolio_index') ORDER BY name"); do
		echo "$tb:"
		sql "$1" "SELECT * FROM $tb ORDER BY 1, 2" |
			sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9]{2}:?[0-9]{2})/TIME/g'
	done
	(cd "$1" && find . -maxdepth 3 -name '.*' ! -name . -prune -o ! -name 'folio.db*' -print | grep -v '^./outbox/' | sort)
}

# archive: the site as result_site sees it, and whether each zip in it verifies (a zip is either
# complete or absent: never a partial file at its name)
result_archive() {
	result_site "$1"
	for z in "$1"/*.zip; do
		[ -f "$z" ] || continue
		LOGNAME=admin "$FOLIO" archive verify "$z" >/dev/null 2>&1 && echo "$(basename "$z") verifies" ||
			echo "$(basename "$z") does not verify"
	done
}

# ---------------------------------------------------------------- invariants of any site
# check_site SITE STAGE: print one line per broken invariant (nothing when the site is sound)
check_site() {
	w=$1
	r=$(sql "$w" "PRAGMA integrity_check")
	[ "$r" = ok ] || echo "integrity_check: $r"
	r=$(sql "$w" "PRAGMA foreign_key_check")
	[ -z "$r" ] || echo "foreign_key_check: $r"
	# the workflow as the schema in engine/site.c means it
	sql "$w" "
	SELECT 'submission ' || id || ' has no state history' FROM submission s
	 WHERE NOT EXISTS (SELECT 1 FROM submission_history h WHERE h.submission = s.id);
	SELECT 'submission ' || id || ' is ' || state || ' but its history ends elsewhere' FROM submission s
	 WHERE state != (SELECT to_state FROM submission_history h WHERE h.submission = s.id ORDER BY seq DESC LIMIT 1);
	SELECT 'submission ' || submission || ': history has gaps' FROM submission_history
	 GROUP BY submission HAVING MAX(seq) != COUNT(*) OR MIN(seq) != 1;
	SELECT 'submission ' || submission || ': history does not start with its creation' FROM submission_history
	 WHERE seq = 1 AND from_state IS NOT NULL;
	SELECT 'submission ' || s.id || ': state changes and audit rows differ' FROM submission s
	 WHERE (SELECT COUNT(*) FROM submission_history WHERE submission = s.id) !=
	       (SELECT COUNT(*) FROM audit WHERE action = 'submission.state'
	         AND (object = 'submission:' || s.id OR object LIKE 'submission:' || s.id || ' (%'));
	SELECT 'submission ' || id || ' is in review without reviewers' FROM submission s
	 WHERE state = 'in-review' AND NOT EXISTS (SELECT 1 FROM assignment a WHERE a.submission = s.id);
	SELECT 'submission ' || id || ' is assigned but ' || state FROM submission s
	 WHERE state = 'submitted' AND EXISTS (SELECT 1 FROM assignment a WHERE a.submission = s.id);
	SELECT 'judgement ' || submission || '/' || reviewer || '/' || standard || ' has no audit row' FROM judgement j
	 WHERE NOT EXISTS (SELECT 1 FROM audit a WHERE a.action = 'review.record' AND a.actor = j.reviewer
	   AND a.detail = j.standard || ' ' || j.judgement
	   AND (a.object = 'submission:' || j.submission OR a.object LIKE 'submission:' || j.submission || ' (%'));
	SELECT 'review ' || submission || '/' || reviewer || ' is done with standards missing' FROM assignment a
	 WHERE done IS NOT NULL AND (SELECT COUNT(*) FROM judgement j WHERE j.submission = a.submission
	   AND j.reviewer = a.reviewer) < 4;
	SELECT 'submission ' || id || ' is ' || state || ' without a certificate' FROM submission s
	 WHERE state IN ('certified', 'revoked') AND NOT EXISTS (SELECT 1 FROM certificate c WHERE c.submission = s.id);
	SELECT 'certificate ' || number || ' for a submission that is ' || s.state FROM certificate c
	 JOIN submission s ON s.id = c.submission WHERE s.state NOT IN ('certified', 'revoked');
	SELECT 'certificate ' || number || ' has no audit row' FROM certificate c
	 WHERE NOT EXISTS (SELECT 1 FROM audit WHERE action = 'certificate.issue' AND object = 'certificate:' || c.number);
	SELECT 'panel ' || id || ' is assigned with submissions left unassigned' FROM panel p
	 WHERE state != 'open' AND EXISTS (SELECT 1 FROM submission s WHERE s.panel = p.id AND s.state = 'submitted');"
	# certificate files: a directory for every row and a row for every directory, and they verify
	# (right after a kill, $3 = killed: the files the database holds may still wait in .new-/.old- beside
	# their place, for the next certify or revoke to move in; the files in place may only say less: not
	# issued, or revoked)
	for n in $(sql "$w" "SELECT number FROM certificate"); do
		sql "$w" "SELECT assertion FROM certificate WHERE number = '$n'" >"$ROOT/assertion"
		at=""
		for d in "$w/certificates/$n" "$w/certificates/.new-$n-"* "$w/certificates/.old-$n-"*; do
			[ -f "$d/assertion.json" ] && cmp -s "$ROOT/assertion" "$d/assertion.json" && { at=$d; break; }
		done
		if [ -z "$at" ]; then
			echo "no files of certificate $n hold the assertion in the database"
		elif [ "$at" != "$w/certificates/$n" ]; then
			[ "${3:-}" = killed ] || echo "the files of certificate $n are not in place but in $(basename "$at")"
			[ -f "$w/certificates/$n/assertion.json" ] && ! grep -q '"revoked": true' "$w/certificates/$n/assertion.json" &&
				echo "certificates/$n says more than the database: valid, where the database has $(basename "$at")"
		elif [ -z "$(sql "$w" "SELECT revoked FROM certificate WHERE number = '$n'")" ]; then
			LOGNAME=admin "$FOLIO" --site "$w" cert verify "$n" >/dev/null 2>&1 || echo "certificate $n does not verify"
		fi
	done
	for d in "$w"/certificates/*; do
		[ -d "$d" ] || continue
		n=$(basename "$d")
		# (an issued certificate keeps its hosted files when its portfolio is archived and removed)
		[ -n "$(sql "$w" "SELECT 1 FROM certificate WHERE number = '$n'
			UNION SELECT 1 FROM audit WHERE action = 'certificate.issue' AND object = 'certificate:$n'")" ] ||
			echo "certificates/$n has no row"
	done
	# git: every portfolio row has its repository, and every repository is sound
	for m in $(sql "$w" "SELECT mentor FROM portfolio"); do
		g=$w/portfolios/$m.git
		[ -d "$g" ] || { echo "portfolio $m has no repository"; continue; }
		r=$(git --git-dir="$g" fsck --strict --no-progress 2>&1) || echo "git fsck $m: $r"
	done
	for g in "$w"/portfolios/*.git; do
		m=$(basename "$g" .git)
		[ -z "$(sql "$w" "SELECT 1 FROM portfolio WHERE mentor = '$m'")" ] || continue
		# a removal (archive --remove) killed after its COMMIT: the audited removal marks the leftover
		[ "$(sql "$w" "SELECT action FROM audit WHERE object = 'portfolio:$m' ORDER BY seq DESC LIMIT 1")" = \
		  portfolio.remove ] && continue
		if [ "${3:-}" != killed ] || [ -n "$(git --git-dir="$g" for-each-ref)" ]; then
			echo "portfolios/$m.git has no portfolio row"
		fi
	done
	r=$(LOGNAME=admin "$FOLIO" --site "$w" audit verify 2>&1) || echo "audit verify: $r"
	# nothing that was there before is lost: the stage's audit rows and branch tips
	base=$STAGES/$2
	k=$(sql "$base" "SELECT COUNT(*) FROM audit")
	[ "$(sql "$w" "SELECT seq, hash FROM audit WHERE seq <= $k ORDER BY seq")" = \
	  "$(sql "$base" "SELECT seq, hash FROM audit ORDER BY seq")" ] || echo "audit rows of before the command changed"
	for g in "$base"/portfolios/*.git; do
		old=$(git --git-dir="$g" rev-parse -q --verify main 2>/dev/null) || continue
		# removed on purpose (archive --remove, after its archive verified)
		[ "$(sql "$w" "SELECT action FROM audit WHERE object = 'portfolio:$(basename "$g" .git)'
			ORDER BY seq DESC LIMIT 1")" = portfolio.remove ] && continue
		git --git-dir="$w/portfolios/$(basename "$g")" merge-base --is-ancestor "$old" main 2>/dev/null ||
			echo "main of $(basename "$g") lost commit $old"
	done
}

# leftovers SITE: files a killed command left that the next run should have cleared
leftovers() {
	find "$1/portfolios" -name '*.lock' | sed 's/^/left behind: /'
	find "$1" -path "$1/certificates/.*" -prune -print | sed 's/^/left behind: /'
}

# ---------------------------------------------------------------- the harness
# scenario NAME STAGE KIND ATOMIC ALREADY LOGIN ARGS...: run `folio ARGS` as LOGIN on a copy of STAGE,
# killed at crashpoint N = 1, 2, ... until it completes. KIND picks result_KIND; ATOMIC=1 when the
# effect must be all there or not at all after a kill; ALREADY: the error (a grep pattern) a re-run may
# give when the killed run had already done everything.
scenario() {
	sname=$1 stage=$2 kind=$3 atomic=$4 already=$5 login=$6
	shift 6
	# CRASH_ONLY=NAME runs one scenario
	case "${CRASH_ONLY:-$sname}" in "$sname") ;; *) return;; esac
	FOLIO_TODAY=$(cat "$STAGES/$stage.today")
	export FOLIO_TODAY
	w=$ROOT/w
	# an uninterrupted run: the reference, and how many crashpoints it passes
	rm -rf "$w" "$ROOT/points"; cp -a "$STAGES/$stage" "$w"
	FOLIO_CRASHPOINT_LOG=$ROOT/points LOGNAME=$login "$FOLIO" --site "$w" "$@" >/dev/null 2>"$ROOT/err"
	rc=$?
	current="$sname: uninterrupted run"
	[ "$rc" -eq 0 ] || { fail "exit $rc: $(cat "$ROOT/err")"; return; }
	steps=$(wc -l <"$ROOT/points")
	[ "$steps" -gt 0 ] || { fail "passes no crashpoint"; return; }
	"result_$kind" "$w" >"$ROOT/ref"
	rm -rf "$w"; cp -a "$STAGES/$stage" "$w"
	"result_$kind" "$w" >"$ROOT/before"
	cmp -s "$ROOT/ref" "$ROOT/before" && { fail "the command changes nothing that result_$kind sees"; return; }
	n=1
	while :; do
		rm -rf "$w" "$ROOT/points"; cp -a "$STAGES/$stage" "$w"
		FOLIO_CRASHPOINT=$n FOLIO_CRASHPOINT_LOG=$ROOT/points LOGNAME=$login "$FOLIO" --site "$w" "$@" \
			>/dev/null 2>"$ROOT/err"
		rc=$?
		point=$(tail -n 1 "$ROOT/points" 2>/dev/null)
		current="$sname: killed at crashpoint $n ($point)"
		if [ "$rc" -ne 137 ]; then
			# not killed: every step was hit
			current="$sname: crashpoint $n"
			[ "$rc" -eq 0 ] && [ "$n" -eq $((steps + 1)) ] && pass ||
				fail "exit $rc after $((n - 1)) kills, the uninterrupted run has $steps steps: $(cat "$ROOT/err")"
			break
		fi
		problems=$(check_site "$w" "$stage" killed)
		"result_$kind" "$w" >"$ROOT/now"
		if [ "$atomic" = 1 ] && ! cmp -s "$ROOT/now" "$ROOT/before" && ! cmp -s "$ROOT/now" "$ROOT/ref"; then
			problems="$problems
half done: $(diff "$ROOT/before" "$ROOT/now" | head -5 | tr '\n' ' ')"
		fi
		# the same command again
		LOGNAME=$login "$FOLIO" --site "$w" "$@" >/dev/null 2>"$ROOT/err"
		rc=$?
		if [ "$rc" -ne 0 ]; then
			# "already done" is an answer only when it is true: the result is compared with the
			# uninterrupted run's just below (a re-run may finish what the killed run left, e.g. a removal)
			if ! grep -q -- "$already" "$ROOT/err"; then
				problems="$problems
re-run failed (exit $rc): $(cat "$ROOT/err")"
			fi
		fi
		"result_$kind" "$w" >"$ROOT/now"
		cmp -s "$ROOT/now" "$ROOT/ref" || problems="$problems
after the re-run the result differs from an uninterrupted run: $(diff "$ROOT/ref" "$ROOT/now" | head -6 | tr '\n' ' ')"
		problems="$problems
$(check_site "$w" "$stage" | sed 's/^/after the re-run: /')
$(leftovers "$w")"
		problems=$(printf '%s\n' "$problems" | grep .)
		[ -z "$problems" ] && pass || fail "$problems"
		n=$((n + 1))
		[ "$n" -le 300 ] || { fail "still killed after 300 crashpoints"; break; }
	done
	echo "crash $sname: $steps crashpoints"
}

# the scenarios: one line each
NOTHING='^$'   # a re-run must succeed
ARG=amara-okafor
scenario entry-add portfolios entry 1 "$NOTHING" amara \
	entry add amara-okafor --date 2026-07-08 "$SAMPLES/amara-okafor/2026-07-08-looking-back-on-the-year.md"
ARG=ben-hughes
scenario entry-add-first portfolios entry 1 "$NOTHING" ben \
	entry add ben-hughes --date 2025-09-15 "$SAMPLES/ben-hughes/2025-09-15-first-meeting-with-aisha.md"
# (not atomic: killed between moving its repository into place and COMMIT, create leaves an empty
# repository with no row, which check_site allows right after a kill and the next create removes)
scenario portfolio-create portfolios site 0 "already has a portfolio" admin portfolio create dan-lee --qualification qms
scenario index portfolios index 0 "$NOTHING" admin index
scenario submit planned site 1 "already has an open submission" amara submit amara-okafor
scenario panel-assign closed assign 1 "is already assigned" admin panel assign 2026-autumn
scenario review-record assigned review 1 "$NOTHING" "$R1LOGIN" ${R1AS:-} review record "$AMARA" --standard S2 \
	--judgement more-evidence --comment "Say what Jess did differently."
scenario review-form assigned review 1 "$NOTHING" "$R1LOGIN" ${R1AS:-} review record "$AMARA" --form "$ROOT/form.md"
scenario certify approved certify 1 "is already certified" admin certify "$AMARA"
scenario cert-revoke approved revoke 1 "was already revoked" priya cert revoke "$CERT" --reason "Issued in error"
# a new command is one more line, with result_site when it has no result_KIND of its own
# (--force: a zip a killed run left complete is replaced by the re-run; the zips are written inside the
# site copy, so each run starts without one)
scenario archive approved archive 1 "$NOTHING" admin archive amara-okafor claire-davies --force --out "$ROOT/w/two.zip"
# (not atomic: the zip is written, then the portfolio removed; a re-run after the removal finds no portfolio)
scenario archive-remove approved archive 0 "was removed from site" admin archive claire-davies --force --remove --out "$ROOT/w/claire.zip"

# ---------------------------------------------------------------- a removal killed after its COMMIT
case "${CRASH_ONLY:-removed}" in removed)
	export FOLIO_TODAY=$(cat "$STAGES/approved.today")
	w=$ROOT/w
	rm -rf "$w" "$ROOT/points"; cp -a "$STAGES/approved" "$w"
	LOGNAME=admin FOLIO_CRASHPOINT_LOG=$ROOT/points "$FOLIO" --site "$w" archive claire-davies --out "$ROOT/claire.zip" \
		--remove >/dev/null 2>&1
	n=$(grep -n '^archive.remove:committed$' "$ROOT/points" | cut -d: -f1)
	rm -rf "$w" "$ROOT/claire.zip"; cp -a "$STAGES/approved" "$w"
	LOGNAME=admin FOLIO_CRASHPOINT=$n "$FOLIO" --site "$w" archive claire-davies --out "$ROOT/claire.zip" --remove \
		>/dev/null 2>&1

	t "the repository a killed removal left does not stop the restore (no --force needed)"
	[ -d "$w/portfolios/claire-davies.git" ] && pass || fail "the kill came too late: no leftover to test with"
	run admin --site "$w" archive restore "$ROOT/claire.zip"
	expect_rc 0; expect_out "restored portfolio claire-davies"
	[ "$(git --git-dir="$w/portfolios/claire-davies.git" rev-parse main)" = \
	  "$(git --git-dir="$STAGES/approved/portfolios/claire-davies.git" rev-parse main)" ] && pass || fail "main differs"
	problems=$(check_site "$w" approved); [ -z "$problems" ] && pass || fail "$problems"
esac

# ---------------------------------------------------------------- git's lock on main
# A process killed inside libgit2's ref update (or git's) leaves refs/heads/main.lock behind; no
# crashpoint reaches inside libgit2, so the lock is made here as such a process leaves it.
case "${CRASH_ONLY:-lock}" in lock)
	export FOLIO_TODAY=$(cat "$STAGES/portfolios.today")
	w=$ROOT/w; g=$w/portfolios/amara-okafor.git
	rm -rf "$w"; cp -a "$STAGES/portfolios" "$w"
	tip=$(git --git-dir="$g" rev-parse main)
	cp "$g/refs/heads/main" "$g/refs/heads/main.lock"

	t "a fresh lock on main: entry add waits, then says who holds it, and changes nothing"
	start=$(date +%s)
	run amara --site "$w" entry add amara-okafor --date 2026-07-08 "$SAMPLES/amara-okafor/2026-07-08-looking-back-on-the-year.md"
	expect_rc 1; expect_one_line_err
	expect_err "the portfolio of 'amara-okafor' is locked: '.*/amara-okafor.git/refs/heads/main.lock' is [0-9]* seconds old"
	[ $(($(date +%s) - start)) -lt 20 ] && pass || fail "entry add waited $(($(date +%s) - start)) seconds"
	[ "$(git --git-dir="$g" rev-parse main)" = "$tip" ] && [ -f "$g/refs/heads/main.lock" ] && pass || fail "main or its lock changed"

	t "git push is refused by the same lock, with git's own message"
	git clone -q "$g" "$ROOT/clone" 2>/dev/null
	(cd "$ROOT/clone" && echo "A note #S1" >note.md && git add note.md && git commit -qm note) >/dev/null
	(cd "$ROOT/clone" && git push -q origin HEAD:main) >/dev/null 2>"$ROOT/err" && fail "push went through a lock" ||
		{ grep -q 'main.lock' "$ROOT/err" && pass || fail "git push error: $(cat "$ROOT/err")"; }

	t "a lock older than a minute was left by a dead process: entry add removes it, says so in the audit log"
	touch -d '2 minutes ago' "$g/refs/heads/main.lock"
	run amara --site "$w" entry add amara-okafor --date 2026-07-08 "$SAMPLES/amara-okafor/2026-07-08-looking-back-on-the-year.md"
	expect_rc 0; expect_out "added 2026-07-08-looking-back-on-the-year.md"
	[ ! -e "$g/refs/heads/main.lock" ] && pass || fail "the stale lock is still there"
	[ "$(git --git-dir="$g" rev-parse main^)" = "$tip" ] && pass || fail "the entry is not one commit on the old main"
	[ "$(sql "$w" "SELECT action FROM audit ORDER BY seq DESC LIMIT 2")" = "entry.add
repository.unlock" ] && pass || fail "audit: $(sql "$w" "SELECT action, detail FROM audit ORDER BY seq DESC LIMIT 2")"
	problems=$(check_site "$w" portfolios); [ -z "$problems" ] && pass || fail "$problems"

	t "and git push works again"
	(cd "$ROOT/clone" && git pull -q --rebase origin main && git push -q origin HEAD:main) >/dev/null 2>&1 && pass ||
		fail "push after the lock was removed"

	t "a repository with commits but no portfolio row (an import killed before its COMMIT) is named, not removed"
	git clone -q --bare "$g" "$w/portfolios/dan-lee.git" 2>/dev/null
	run admin --site "$w" portfolio create dan-lee --qualification qms
	expect_rc 1; expect_one_line_err
	expect_err "'.*/portfolios/dan-lee.git' exists but mentor 'dan-lee' has no portfolio (an interrupted create or import?)"
	[ -n "$(git --git-dir="$w/portfolios/dan-lee.git" for-each-ref)" ] && pass || fail "the repository was emptied"
	[ -z "$(sql "$w" "SELECT 1 FROM portfolio WHERE mentor = 'dan-lee'")" ] && pass || fail "a row was added"
esac

finish
