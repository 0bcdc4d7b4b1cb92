#!/bin/sh
# tests/cli/t_concurrent.sh: several users at once against one site: reviewers recording judgements,
# mentors adding entries with `folio entry add` and with `git push`, and `folio index` running, all
# started together. Then: no command failed (no "database is locked"), every write is there, and the
# judgements, the portfolios, the evidence index and the audit log equal a serial run of the same work.
. "$(dirname "$0")/lib.sh"

must() {
	run "$@"
	[ "$rc" -eq 0 ] || { echo "set-up step failed: folio $*: $err"; failed=$((failed + 1)); finish; exit 1; }
}
sql() { sqlite3 -batch -noheader "$1/folio.db" "$2"; }
command -v sqlite3 >/dev/null || { echo "FAIL: sqlite3 is needed (make deps)"; failed=1; finish; exit 1; }

# ---------------------------------------------------------------- a site with a panel in review
new_site base
export FOLIO_TODAY=2026-08-01
must admin --site "$S" exemption add claire-davies --qualification qlms --reason "QMS from a previous partnership"
for m in amara-okafor:amara:qms claire-davies:claire:qlms; do
	id=${m%%:*} rest=${m#*:}
	must admin --site "$S" portfolio create "$id" --qualification "${rest#*:}"
	for f in "$SAMPLES/$id"/*.md; do
		must "${rest%%:*}" --site "$S" entry add "$id" --date "$(basename "$f" | cut -c1-10)" "$f"
	done
done
must admin --site "$S" portfolio create ben-hughes --qualification qms
must admin --site "$S" panel plan 2026
for r in tom-baker sam-ellis priya-shah nadia-rahman; do
	must admin --site "$S" panel availability 2026-autumn "$r" --capacity 1
done
must amara --site "$S" submit amara-okafor
must claire --site "$S" submit claire-davies
export FOLIO_TODAY=2026-10-30
must admin --site "$S" panel assign 2026-autumn
must admin --site "$S" index
BASE=$S
PAIRS=$(sql "$BASE" "SELECT a.submission || ':' || a.reviewer || ':' || COALESCE(p.login, '')
	FROM assignment a JOIN person p ON p.id = a.reviewer ORDER BY 1")
[ "$(printf '%s\n' "$PAIRS" | wc -l)" -eq 4 ] || { echo "set-up: expected 4 reviews, got: $PAIRS"; exit 1; }

# ---------------------------------------------------------------- the work, as one script per user
# Each worker appends a line to $ROOT/failed.SITE for every command that fails, with its error.
F() { # F SITE LOGIN ARGS...: run folio, record a failure
	site=$1 login=$2; shift 2
	LOGNAME=$login "$FOLIO" --site "$site" "$@" >/dev/null 2>"$site.err.$$" ||
		echo "folio $*: $(cat "$site.err.$$")" >>"$ROOT/failed.$(basename "$site")"
	rm -f "$site.err.$$"
}
entry_text() { printf '# %s\n\nWhat I learned this week about %s, and what I will change next time. #S%s\n\nI talked it through with my trainee and we agreed one precise next step. #S4\n' "$1" "$1" "$2"; }

reviewer() { # SITE SUBMISSION:REVIEWER:LOGIN
	sub=${2%%:*} rest=${2#*:}
	rv=${rest%%:*} login=${rest#*:}
	as=""
	[ -n "$login" ] || { login=admin; as="--as $rv"; }
	for s in S1 S2 S3 S4; do
		j=met
		[ "$s" = S3 ] && [ "$rv" = tom-baker ] && j=more-evidence
		F "$1" "$login" $as review record "$sub" --standard "$s" --judgement "$j" --comment "$rv on $s of $sub"
	done
	F "$1" "$login" $as review done "$sub"
}
cli_mentor() { # SITE MENTOR LOGIN TAG: four entries through folio
	for i in 1 2 3 4; do
		entry_text "$2 note $i" "$4" >"$1.in.$2.$i"
		F "$1" "$3" entry add "$2" --date 2026-10-29 "$1.in.$2.$i"
		rm -f "$1.in.$2.$i"
	done
}
git_mentor() { # SITE MENTOR: three commits, each pushed as a git user would: on rejection, pull --rebase and push again
	c=$1.clone.$2
	rm -rf "$c"
	git clone -q "$1/portfolios/$2.git" "$c" 2>/dev/null
	for i in 1 2 3; do
		entry_text "$2 pushed $i" 2 >"$c/pushed-$i.md"
		(cd "$c" && git add "pushed-$i.md" && git commit -qm "pushed $i") >/dev/null 2>&1
		tries=0
		until (cd "$c" && git push -q origin HEAD:main) >/dev/null 2>"$c.err"; do
			tries=$((tries + 1))
			[ "$tries" -lt 30 ] || { echo "git push $i of $2: $(cat "$c.err")" >>"$ROOT/failed.$(basename "$1")"; break; }
			(cd "$c" && git pull -q --rebase origin main) >/dev/null 2>&1
		done
		echo "$tries" >>"$ROOT/retries"
	done
	rm -rf "$c" "$c.err"
}
indexer() { # SITE
	for i in 1 2 3 4 5; do F "$1" admin index; done
}

# every worker of the test; run together, or one after another
workers() {
	for p in $PAIRS; do echo "reviewer $p"; done
	echo "cli_mentor ben-hughes ben 1"
	echo "git_mentor ben-hughes"
	echo "cli_mentor amara-okafor amara 2"
	echo "git_mentor claire-davies"
	echo "indexer"
}

SER=$ROOT/serial CON=$ROOT/concurrent
cp -a "$BASE" "$SER"
cp -a "$BASE" "$CON"
workers >"$ROOT/workers"
while read -r w; do $w; done <<EOF
$(sed "s|^\([a-z_]*\)|\1 $SER|" "$ROOT/workers")
EOF
start=$(date +%s)
while read -r w; do $w & done <<EOF
$(sed "s|^\([a-z_]*\)|\1 $CON|" "$ROOT/workers")
EOF
wait
echo "concurrent: $(wc -l <"$ROOT/workers") users at once, $(($(date +%s) - start)) s, git push retries: $(awk '{s+=$1} END {print s+0}' "$ROOT/retries")"

# ---------------------------------------------------------------- checks
t "the serial run works"
[ ! -s "$ROOT/failed.serial" ] && pass || fail "$(cat "$ROOT/failed.serial")"

t "no command failed when run at once (no 'database is locked')"
[ ! -s "$ROOT/failed.concurrent" ] && pass || fail "$(cat "$ROOT/failed.concurrent")"

# one final index, then the views to compare
for s in "$SER" "$CON"; do
	LOGNAME=admin "$FOLIO" --site "$s" index >/dev/null 2>&1 || fail "final index of $s"
done
t "every judgement is there, each review done, and equal to the serial run"
q="SELECT submission, reviewer, standard, judgement, comment FROM judgement ORDER BY 1, 2, 3;
   SELECT submission, reviewer, done IS NOT NULL FROM assignment ORDER BY 1, 2; SELECT id, state FROM panel"
[ "$(sql "$CON" "SELECT COUNT(*) FROM judgement")" -eq 16 ] && pass || fail "$(sql "$CON" "SELECT COUNT(*) FROM judgement") judgements"
[ "$(sql "$CON" "$q")" = "$(sql "$SER" "$q")" ] && pass || fail "judgements differ: $(sql "$CON" "$q" | diff - "$(printf '%s' "$(sql "$SER" "$q")" >"$ROOT/s"; echo "$ROOT/s")")"

t "every entry is in its portfolio, as in the serial run"
for m in amara-okafor ben-hughes claire-davies; do
	tree() { git --git-dir="$1/portfolios/$m.git" ls-tree -r main | awk '{print $3, $4}' | sort; }
	[ "$(tree "$CON")" = "$(tree "$SER")" ] && pass || fail "portfolio $m differs: $(tree "$CON" | diff - "$(tree "$SER" >"$ROOT/s"; echo "$ROOT/s")")"
	r=$(git --git-dir="$CON/portfolios/$m.git" fsck --strict --no-progress 2>&1) && pass || fail "git fsck $m: $r"
done
[ "$(git --git-dir="$CON/portfolios/ben-hughes.git" ls-tree -r main | wc -l)" -eq 7 ] && pass || fail "ben-hughes lacks entries"

t "the evidence index and the coverage equal the serial run"
q="SELECT mentor, path, oid FROM portfolio_blob ORDER BY 1, 2"
[ "$(sql "$CON" "$q")" = "$(sql "$SER" "$q")" ] && pass || fail "index differs"
for m in amara-okafor ben-hughes claire-davies; do
	ev() { LOGNAME=admin "$FOLIO" --site "$1" evidence "$m" --json | grep -v '"commit"'; }
	[ "$(ev "$CON")" = "$(ev "$SER")" ] && pass || fail "evidence of $m differs"
done

t "the audit log holds every change, chained, as in the serial run"
run admin --site "$CON" audit verify
expect_rc 0
# (who records last settles the outcome, who records first opens the session: the order decides that actor)
q="SELECT action, CASE WHEN action IN ('review.outcome', 'panel.state') THEN '' ELSE actor || '/' || COALESCE(real_actor, '') END,
   COUNT(*) FROM audit GROUP BY 1, 2 ORDER BY 1, 2"
[ "$(sql "$CON" "$q")" = "$(sql "$SER" "$q")" ] && pass || fail "audit differs: $(sql "$CON" "$q" | diff - "$(sql "$SER" "$q" >"$ROOT/s"; echo "$ROOT/s")")"
r=$(sql "$CON" "PRAGMA integrity_check; PRAGMA foreign_key_check")
[ "$r" = ok ] && pass || fail "database: $r"

finish
