#!/bin/sh
# tests/cli/t_assign.sh: folio panel assign (refusals, dry run, DIMACS export against dimacs-solver and folio-mcf,
# the written assignment, unplaced submissions rolling to the next panel) and folio panel why-not.
. "$(dirname "$0")/lib.sh"

MCF=$(dirname "$FOLIO")/folio-mcf
export FOLIO_TODAY=2026-09-01
new_site assign

# a ready QMS portfolio for MENTOR (LOGIN): amara's sample entries, pushed with plain git
ready_portfolio() {
	run admin --site "$S" portfolio create "$1" --qualification qms
	[ "$rc" -eq 0 ] || { echo "cannot create portfolio $1: $err"; exit 1; }
	git clone -q "$S/portfolios/$1.git" "$ROOT/clone-$1" 2>/dev/null
	cp "$SAMPLES"/amara-okafor/*.md "$ROOT/clone-$1/"
	(cd "$ROOT/clone-$1" && git add . && git commit -q -m "reflections" && git push -q origin HEAD:main) 2>/dev/null
}
# state: what an admin sees of panels, submissions and the audit log
state() {
	LOGNAME=admin "$FOLIO" --site "$S" panel list --json
	LOGNAME=admin "$FOLIO" --site "$S" submission list --json
	LOGNAME=admin "$FOLIO" --site "$S" audit --json | grep -c '"seq"'
}

# ---------------------------------------------------------------- set-up
# Mentors: amara (brookfield, lead priya), claire (riverside, QLMS by exemption), dan (oakfield),
# eve (brookfield, lead priya), fay (riverside, lead claire), gus (brookfield, conflicts with nadia and tom).
run admin --site "$S" person add dan-cole --name "Dan Cole" --email dan@oak.example.org --school oakfield --role mentor --login dan
run admin --site "$S" person add eve-long --name "Eve Long" --email eve@brook.example.org --school brookfield --role mentor --login eve --lead priya-shah
run admin --site "$S" person add fay-moss --name "Fay Moss" --email fay@river.example.org --school riverside --role mentor --login fay --lead claire-davies
run admin --site "$S" person add gus-hale --name "Gus Hale" --email gus@brook.example.org --school brookfield --role mentor --login gus
run admin --site "$S" conflict add claire-davies tom-baker --reason "line manager"
run admin --site "$S" conflict add gus-hale nadia-rahman --reason "sister"
run admin --site "$S" conflict add gus-hale tom-baker --reason "former colleague"
run admin --site "$S" panel plan 2026
[ "$rc" -eq 0 ] || { echo "cannot plan: $err"; exit 1; }
for m in amara-okafor dan-cole eve-long fay-moss gus-hale; do ready_portfolio "$m"; done
run admin --site "$S" portfolio create claire-davies --qualification qlms
git clone -q "$S/portfolios/claire-davies.git" "$ROOT/clone-claire" 2>/dev/null
cp "$SAMPLES"/claire-davies/*.md "$ROOT/clone-claire/"
(cd "$ROOT/clone-claire" && git add . && git commit -q -m "reflections" && git push -q origin HEAD:main) 2>/dev/null
run admin --site "$S" exemption add claire-davies --qualification qlms --reason "QMS awarded before folio"
for who in amara:amara-okafor claire:claire-davies dan:dan-cole eve:eve-long fay:fay-moss gus:gus-hale; do
	run "${who%%:*}" --site "$S" submit "${who#*:}"
	[ "$rc" -eq 0 ] || { echo "cannot submit ${who#*:}: $err"; exit 1; }
done
# 8 seats for 6 submissions of 2: someone cannot be placed
run priya --site "$S" panel availability 2026-autumn priya-shah --capacity 2
run nadia --site "$S" panel availability 2026-autumn nadia-rahman --capacity 2
run admin --site "$S" panel availability 2026-autumn tom-baker --capacity 2
run claire --site "$S" panel availability 2026-autumn claire-davies --capacity 2
run admin --site "$S" panel availability 2026-autumn sam-ellis --unavailable
[ "$rc" -eq 0 ] || { echo "cannot set availability: $err"; exit 1; }

# ---------------------------------------------------------------- why-not
t "why-not lists every reason, one per line"
run nadia --site "$S" panel why-not 1 priya-shah
expect_rc 0
[ "$out" = "both are at school 'brookfield'
'priya-shah' is the mentor's own lead mentor" ] && pass || fail "reasons: $out"
run admin --site "$S" panel why-not 2 claire-davies
expect_out "it is their own portfolio"; expect_out "both are at school 'riverside'"
run admin --site "$S" panel why-not 2 tom-baker
expect_out "^declared conflict: line manager$"
run admin --site "$S" panel why-not 3 sam-ellis
[ "$out" = "'sam-ellis' is unavailable for panel '2026-autumn'" ] && pass || fail "sam: $out"
run admin --site "$S" panel why-not 3 nadia-rahman
[ "$out" = "nothing stands in the way" ] && pass || fail "nadia: $out"
run admin --site "$S" panel why-not 1 ben-hughes --json
expect_rc 0; expect_out '"reviewer": "ben-hughes"'; expect_out "\"'ben-hughes' is neither a reviewer nor a lead\""
expect_out "\"'ben-hughes' has declared no availability for panel '2026-autumn'\""

t "why-not: bad input"
run admin --site "$S" panel why-not x priya-shah
expect_rc 2; expect_err "'x' is not a submission number"
run admin --site "$S" panel why-not 99 priya-shah
expect_rc 1; expect_err "no submission 99"; expect_one_line_err
run admin --site "$S" panel why-not 1 nobody
expect_rc 1; expect_err "no person 'nobody'"; expect_one_line_err
run amara --site "$S" panel why-not 1 priya-shah
expect_rc 1; expect_err "person 'amara-okafor' may not ask why a reviewer is not assigned"

# ---------------------------------------------------------------- refusals
t "assign refuses an open panel, an unknown one, a non-admin, bad options, and changes nothing"
before=$(state)
run admin --site "$S" panel assign 2026-autumn
expect_rc 1; expect_err "panel '2026-autumn' is open until its deadline 2026-10-28"; expect_one_line_err
[ "$(state)" = "$before" ] && pass || fail "a refused assign changed something"
export FOLIO_TODAY=2026-11-01 # the autumn deadline has passed: the panel is closed
before=$(state)
run admin --site "$S" panel assign 2031-winter
expect_rc 1; expect_err "no panel '2031-winter'"; expect_one_line_err
run admin --site "$S" panel assign 2026-autumn --reviewers 0
expect_rc 2; expect_err "option '--reviewers' needs a whole number"
run admin --site "$S" panel assign 2026-autumn --reviewers two
expect_rc 2
run admin --site "$S" panel assign 2026-autumn --reviewers 11
expect_rc 1; expect_err "at most 10"
run admin --site "$S" panel assign
expect_rc 2
[ "$(state)" = "$before" ] && pass || fail "a refused assign changed something"
run nadia --site "$S" panel assign 2026-autumn
expect_rc 1; expect_err "person 'nadia-rahman' may not assign reviewers: needs role admin"; expect_one_line_err

# ---------------------------------------------------------------- dry run and export
t "a dry run shows the assignment and writes nothing"
before=$(state)
run admin --site "$S" panel assign 2026-autumn --dry-run --export-dimacs "$ROOT/net.min" --json
expect_rc 0
dry=$out
expect_out '"panel": "2026-autumn"'; expect_out '"assignments": \['; expect_out '"unplaced": \['
expect_out '"rolled_to": "2027-spring"'
expect_out '"reason": "only 1 conflict-free reviewer with capacity: claire-davies"'
expect_out '"reason": "not enough conflict-free capacity left: nadia-rahman, priya-shah and tom-baker are taken by other submissions"'
[ "$(printf '%s\n' "$out" | grep -c '"submission"')" -eq 6 ] && pass || fail "expected 6 submissions in the result"
[ "$(state)" = "$before" ] && pass || fail "a dry run changed something"
[ -s "$ROOT/net.min" ] && pass || fail "no DIMACS file"
cost=$(printf '%s\n' "$out" | sed -n 's/^  "cost": \(-*[0-9]*\),*$/\1/p')
[ -n "$cost" ] && pass || fail "no cost in: $out"

t "the exported network: dimacs-solver and folio-mcf find the same optimum as the result's cost"
if command -v dimacs-solver >/dev/null 2>&1; then
	lemon=$(dimacs-solver -long "$ROOT/net.min" 2>&1 | sed -n 's/^Min flow cost: //p')
	[ "$lemon" = "$cost" ] && pass || fail "dimacs-solver says '$lemon', folio '$cost'"
else
	echo "note: dimacs-solver not installed; oracle comparison skipped"
fi
if [ -x "$MCF" ]; then
	[ "$("$MCF" "$ROOT/net.min")" = "Min flow cost: $cost" ] && pass || fail "folio-mcf: $("$MCF" "$ROOT/net.min" 2>&1)"
else
	echo "note: $MCF not built; skipped"
fi
grep -q '^c node 1: source$' "$ROOT/net.min" && grep -q '^c node 2: submission 1 (amara-okafor)$' "$ROOT/net.min" && pass \
	|| fail "node legend missing"
grep -q '^p min ' "$ROOT/net.min" && pass || fail "no problem line"

t "export to a place that cannot be written: an error, nothing written"
run admin --site "$S" panel assign 2026-autumn --export-dimacs "$ROOT/no/such/dir/net.min"
expect_rc 1; expect_err "cannot write '$ROOT/no/such/dir/net.min'"; expect_one_line_err
[ "$(state)" = "$before" ] && pass || fail "a failed export changed something"

t "the same input gives the same output"
run admin --site "$S" panel assign 2026-autumn --dry-run --json
[ "$out" = "$dry" ] && pass || fail "two dry runs differ"

# ---------------------------------------------------------------- assign
t "assign: an aligned table, the unplaced with their reasons, where they went"
run admin --site "$S" panel assign 2026-autumn
expect_rc 0
expect_out "^panel 2026-autumn: 4 of 6 submissions assigned, 2 reviewers each (cost $cost)$"
expect_out "^submission  mentor *reviewers$"
expect_out "^         1  amara-okafor  "
expect_out "^not placed:$"
expect_out "^  6 gus-hale: only 1 conflict-free reviewer with capacity: claire-davies$"
expect_out "^rolled to panel 2027-spring$"

t "what the assignment wrote"
run admin --site "$S" panel list --json
printf '%s\n' "$out" | tr -d '\n ' | grep -q '"id":"2026-autumn"[^}]*"state":"assigned"' && pass || fail "autumn not assigned: $out"
run admin --site "$S" submission show 1 --json
expect_out '"state": "in-review"'; expect_out '"to": "in-review"'
run admin --site "$S" submission show 6 --json
expect_out '"state": "submitted"'; expect_out '"panel": "2027-spring"'
run admin --site "$S" submission list --panel 2027-spring --json
[ "$(printf '%s\n' "$out" | grep -c '"id"')" -eq 2 ] && pass || fail "expected 2 rolled submissions: $out"
run admin --site "$S" audit --json
expect_out '"action": "panel.assign"'; expect_out '"action": "submission.roll"'
expect_out "rolled from panel 2026-autumn to panel 2027-spring: only 1 conflict-free reviewer with capacity: claire-davies"
run admin --site "$S" audit verify
expect_rc 0

t "every assigned pair is conflict-free: why-not finds nothing"
run admin --site "$S" panel assign 2026-autumn --json
expect_rc 1; expect_err "panel '2026-autumn' is already assigned"; expect_one_line_err
printf '%s\n' "$dry" | tr -d '\n' | sed 's/"unplaced".*//' | grep -o '"submission": [0-9]*, *"mentor": "[a-z-]*", *"reviewers": \[[^]]*\]' \
	| while IFS= read -r a; do
		sub=$(printf '%s' "$a" | sed 's/"submission": \([0-9]*\).*/\1/')
		for r in $(printf '%s' "$a" | sed 's/.*\[//; s/[]",]/ /g'); do
			w=$(LOGNAME=admin "$FOLIO" --site "$S" panel why-not "$sub" "$r")
			[ "$w" = "nothing stands in the way" ] || echo "$sub $r: $w"
		done
	done >"$ROOT/whynot"
[ -s "$ROOT/whynot" ] && fail "assigned across an obstacle: $(cat "$ROOT/whynot")" || pass
[ "$(printf '%s\n' "$dry" | grep -c '"reviewers"')" -eq 4 ] && pass || fail "expected 4 assignments in the dry run"

t "why-not names full reviewers, and follows a rolled submission to its new panel"
n=0
for r in priya-shah nadia-rahman tom-baker claire-davies; do
	LOGNAME=admin "$FOLIO" --site "$S" panel why-not 3 "$r" | grep -q "^'$r' is full at panel '2026-autumn': 2 of 2 portfolios assigned$" && n=$((n + 1))
done
[ "$n" -eq 2 ] && pass || fail "expected 2 full reviewers for dan-cole, found $n"
run admin --site "$S" panel why-not 5 priya-shah
[ "$out" = "'priya-shah' has declared no availability for panel '2027-spring'" ] && pass || fail "rolled: $out"

finish
