#!/bin/sh
# tests/cli/t_review.sh: review sessions, the review form, held outcomes, moderation, concluding a panel,
# feedback items and #F tags, and a resubmission reviewed against what changed.
. "$(dirname "$0")/lib.sh"

# every output is kept: no word of failing may appear in any of it
LOG=$ROOT/all-output
: >"$LOG"
r() { run "$@"; printf '%s\n%s\n' "$out" "$err" >>"$LOG"; }
# as PERSON CMD...: the admin acting as PERSON (tom-baker and sam-ellis have no login)
as() { who=$1; shift; r admin --site "$S" --as "$who" "$@"; }
# what a refusal must not change: the reviews, outcomes, panels and feedback
review_state() {
	for id in 1 2; do LOGNAME=admin "$FOLIO" --site "$S" review show "$id" --json; done
	LOGNAME=admin "$FOLIO" --site "$S" panel list --json
	LOGNAME=admin "$FOLIO" --site "$S" feedback amara-okafor --json
}
expect_state_unchanged() {
	review_state >"$ROOT/state.after" 2>&1
	cmp -s "$ROOT/state.before" "$ROOT/state.after" && pass || fail "a refusal changed the review state"
}

# ---------------------------------------------------------------- a panel with two submissions
new_site review
export FOLIO_TODAY=2026-09-01
for m in amara-okafor claire-davies; do
	as "$m" portfolio create "$m" --qualification qms
	for f in "$SAMPLES/$m"/*.md; do
		as "$m" entry add "$m" --date "$(basename "$f" | cut -c1-10)" "$f"
		[ "$rc" -eq 0 ] || { echo "cannot add $f: $err"; exit 1; }
	done
done
r admin --site "$S" panel plan 2026
[ "$rc" -eq 0 ] || { echo "cannot plan panels (panel plan): $err"; exit 1; }
export FOLIO_TODAY=2026-10-01
r amara --site "$S" submit amara-okafor
[ "$rc" -eq 0 ] || { echo "cannot submit: $err"; exit 1; }
r claire --site "$S" submit claire-davies
[ "$rc" -eq 0 ] || { echo "cannot submit: $err"; exit 1; }
for p in tom-baker sam-ellis; do r admin --site "$S" panel availability 2026-autumn "$p" --capacity 2; done
FOLIO_TODAY=2026-11-01 r admin --site "$S" panel assign 2026-autumn
[ "$rc" -eq 0 ] || { echo "cannot assign (panel assign): $err"; exit 1; }
r admin --site "$S" panel chair 2026-autumn nadia-rahman
export FOLIO_TODAY=2026-11-10

t "review queue"
as tom-baker review queue
expect_rc 0; expect_out "amara-okafor"; expect_out "claire-davies"
as tom-baker review queue --json
expect_rc 0; expect_out '"submission": 1'; expect_out '"resubmission": false'; expect_out '"panel": "2026-autumn"'
r priya --site "$S" review queue
expect_rc 0; expect_out "nothing waiting for review by 'priya-shah'"

t "bad judgements are refused and change nothing"
review_state >"$ROOT/state.before" 2>&1
as tom-baker review record 1 --standard S5 --judgement met
expect_rc 1; expect_err "unknown standard 'S5': the standards are S1, S2, S3 and S4"; expect_one_line_err
as tom-baker review record 1 --standard S2 --judgement fine
expect_rc 1; expect_err "unknown judgement 'fine': use met or more-evidence"; expect_one_line_err
r priya --site "$S" review record 1 --standard S2 --judgement met
expect_rc 1; expect_err "person 'priya-shah' may not record a judgement on submission 1: it is not assigned to them"
expect_one_line_err
as tom-baker review record 99 --standard S2 --judgement met
expect_rc 1; expect_err "no submission 99"
as tom-baker review record one --standard S2 --judgement met
expect_rc 2; expect_err "invalid submission 'one'"
as tom-baker review record 1 --standard S2
expect_rc 2; expect_err "needs --standard S and --judgement"
as tom-baker review record 1 --standard S2 --judgement met --form x.md
expect_rc 2
as tom-baker review done 1
expect_rc 1; expect_err "no judgement yet on S1, S2, S3, S4"
expect_state_unchanged
r admin --site "$S" panel list --json
expect_out '"state": "assigned"'

t "the first judgement puts the panel in session"
as tom-baker review record 1 --standard S2 --judgement more-evidence --comment "Show how your feedback changed the next lesson"
expect_rc 0; expect_out "recorded S2 more-evidence on submission 1"
r admin --site "$S" panel list --json
expect_out '"state": "in-session"'

t "the review form: print, fill in, record, print again"
as tom-baker review form 1
expect_rc 0; expect_out "^## S1 Personal qualities$"; expect_out "^Comment: Show how your feedback changed the next lesson$"
printf '%s\n' "$out" | sed 's/^Judgement: met | more-evidence$/Judgement: met/' >"$ROOT/filled.md"
as tom-baker review record 1 --form "$ROOT/filled.md"
expect_rc 0; expect_out "recorded the form on submission 1: S1 met, S2 more-evidence, S3 met, S4 met"
as tom-baker review form 1
printf '%s\n' "$out" | cmp -s - "$ROOT/filled.md" && pass || fail "the form printed again differs from the one recorded"

t "a bad form names its line and records nothing"
printf '# Review form: submission 1\n\n## S1 Personal qualities\n\nJudgement: met\n\n## S2 Teaching\n\nJudgement: perhaps\n' >"$ROOT/bad-form.md"
as sam-ellis review record 1 --form "$ROOT/bad-form.md"
expect_rc 1; expect_err "bad-form.md line 9: unknown judgement 'perhaps' for S2: use met or more-evidence"; expect_one_line_err
as sam-ellis review form 1
expect_out "^Judgement: met | more-evidence$"; expect_no_out "^Judgement: met$"
printf '## S7 Extra\nJudgement: met\n' >"$ROOT/bad-form.md"
as sam-ellis review record 1 --form "$ROOT/bad-form.md"
expect_rc 1; expect_err "line 1: unknown standard 'S7'"

t "done needs every standard"
as tom-baker review done 1
expect_rc 0; expect_out "review of submission 1 by 'tom-baker' is done"; expect_out "waiting for the reviews\? of sam-ellis"
as tom-baker review record 1 --standard S1 --judgement more-evidence
expect_rc 1; expect_err "the review of submission 1 by 'tom-baker' is already done"
as sam-ellis review record 1 --standard S1 --judgement met
as sam-ellis review done 1
expect_rc 1; expect_err "no judgement yet on S2, S3, S4"

t "concluding is refused while reviews are missing, listing them"
review_state >"$ROOT/state.before" 2>&1
r admin --site "$S" panel conclude 2026-autumn
expect_rc 1; expect_one_line_err
expect_err "panel '2026-autumn' cannot conclude yet: reviews not done: submission 1 (amara-okafor) by sam-ellis; submission 2 (claire-davies) by sam-ellis, tom-baker"
r priya --site "$S" panel conclude 2026-autumn
expect_rc 1; expect_err "may not conclude panel '2026-autumn'"
expect_state_unchanged
[ ! -d "$S/outbox" ] || [ -z "$(ls "$S/outbox")" ] && pass || fail "a message was written"

t "reviewers disagree: the chair moderates"
as sam-ellis review record 1 --standard S2 --judgement met
as sam-ellis review record 1 --standard S3 --judgement more-evidence --comment "Say more about safeguarding"
as sam-ellis review record 1 --standard S4 --judgement met
as sam-ellis review done 1
expect_rc 0; expect_out "the reviewers disagree on S2, S3"
as tom-baker panel moderate 1 --standard S2 --judgement met
expect_rc 1; expect_err "only the panel's chair 'nadia-rahman' may"
r nadia --site "$S" panel moderate 1 --standard S1 --judgement met
expect_rc 1; expect_err "agree on S1 (met): there is nothing to moderate"
r nadia --site "$S" panel moderate 1 --standard S3 --judgement met
expect_rc 0; expect_out "disagree on S2"
r nadia --site "$S" panel moderate 1 --standard S2 --judgement more-evidence --comment "An observation with its feedback would settle it"
expect_rc 0; expect_out "the outcome 'further-evidence' is held until panel 2026-autumn concludes"

t "all met: recommended, held"
for p in tom-baker sam-ellis; do
	for s in S1 S2 S3 S4; do as "$p" review record 2 --standard "$s" --judgement met; done
	as "$p" review done 2
done
expect_rc 0; expect_out "the outcome 'recommended' is held"
as tom-baker review queue --json
expect_out "^\[\]$"

t "held outcomes are invisible to mentors"
r amara --site "$S" submission show 1 --json
expect_rc 0; expect_out '"state": "in-review"'; expect_out '"outcome": null'
r amara --site "$S" feedback amara-okafor --json
expect_rc 0; expect_out "^\[\]$"
r amara --site "$S" review show 1
expect_rc 1; expect_err "may not see the review of submission 1"
r nadia --site "$S" review show 1 --json
expect_rc 0; expect_out '"outcome": "further-evidence"'; expect_out '"reviewer": null'

t "the chair concludes: outcomes, feedback items and messages released"
r nadia --site "$S" panel conclude 2026-autumn
expect_rc 0
expect_out "concluded panel 2026-autumn: 1 recommended, 1 further evidence (1 feedback item); 2 messages in"
r amara --site "$S" submission show 1 --json
expect_out '"state": "further-evidence"'
r claire --site "$S" submission show 2 --json
expect_out '"state": "recommended"'
r amara --site "$S" feedback amara-okafor --json
expect_rc 0; expect_out '"item": "F1"'; expect_out '"standard": "S2"'; expect_out '"status": "open"'
expect_out 'Show how your feedback changed the next lesson\\n- Chair: An observation with its feedback would settle it'
[ "$(ls "$S/outbox" | grep -c '\.eml$')" -eq 2 ] && pass || fail "expected 2 messages in the outbox"
eml=$(ls "$S/outbox"/*amara-okafor.eml)
grep -q '^Subject: Your QMS portfolio: further evidence requested' "$eml" && grep -q '^To: Amara Okafor <amara.okafor@brookfield.example.org>' "$eml" &&
	grep -q '^Date: ' "$eml" && grep -q '^Message-ID: <' "$eml" && grep -q '^F1  S2 Teaching' "$eml" && pass || fail "message: $(cat "$eml")"
cat "$S"/outbox/*.eml >>"$LOG"
r admin --site "$S" panel conclude 2026-autumn
expect_rc 1; expect_err "already concluded"
as tom-baker review record 1 --standard S1 --judgement met
expect_rc 1; expect_err "panel '2026-autumn' is concluded"

t "an entry tagged #F1 addresses the item"
printf '# Observing Jess teach fractions\n\nI observed Jess and we talked it through; her next lesson changed (#F1). #S2.4\n\nShe used my feedback to restructure the plenary. #S2\n\nNot a tag: `#F2`.\n' >"$ROOT/f1.md"
FOLIO_TODAY=2026-12-01 r amara --site "$S" entry add amara-okafor "$ROOT/f1.md"
expect_rc 0
tagged=$(printf '%s\n' "$out" | sed -n 's/.*(commit \([0-9a-f]*\)).*/\1/p')
r amara --site "$S" feedback amara-okafor
expect_rc 0; expect_out "F1   S2 Teaching: addressed"; expect_out "tagged #F1 in commit $tagged"
r amara --site "$S" feedback address F1 --note "see the observation of 1 December"
expect_rc 0; expect_out "F1 of 'amara-okafor' is addressed"
r ben --site "$S" feedback amara-okafor
expect_rc 1; expect_err "may not read the feedback of 'amara-okafor'"
r admin --site "$S" feedback address F1 --note x
expect_rc 1; expect_err "no feedback item F1 for 'admin'"

t "the resubmission shows what changed and the open items"
FOLIO_TODAY=2026-12-01 r amara --site "$S" resubmit amara-okafor
[ "$rc" -eq 0 ] || { fail "resubmit: $err"; finish; exit 1; }
for p in tom-baker sam-ellis; do r admin --site "$S" panel availability 2027-spring "$p" --capacity 2; done
FOLIO_TODAY=2027-03-01 r admin --site "$S" panel assign 2027-spring
expect_rc 0
export FOLIO_TODAY=2027-03-10
as tom-baker review queue --json
expect_out '"submission": 3'; expect_out '"resubmission": true'; expect_out '"previous": 1'
as tom-baker review show 3
expect_rc 0; expect_out "Changed since submission 1"; expect_out "added    2026-12-01-observing-jess-teach-fractions.md"
expect_out "F1   S2 Teaching: addressed"; expect_out "note: see the observation of 1 December"
as tom-baker review show 3 --json
expect_out '"previous_commit": "'; expect_out '"gained": 2'; expect_out '"added": \['

t "reviewers of the resubmission accept items or keep them open"
r priya --site "$S" feedback accept 3 F1
expect_rc 1; expect_err "may not decide on feedback items at submission 3: it is not assigned to them"
as tom-baker feedback accept 3 F9
expect_rc 1; expect_err "no feedback item F9 for 'amara-okafor'"
as tom-baker feedback accept 3 bogus
expect_rc 2
as tom-baker feedback accept 3 F1 --keep-open
expect_rc 0; expect_out "kept open F1 at submission 3"
r amara --site "$S" feedback amara-okafor --json
expect_out '"status": "open"'; expect_out '"decided_by": 3'
as sam-ellis feedback accept 3 F1
expect_rc 0; expect_out "accepted F1 at submission 3"
r amara --site "$S" feedback address F1 --note again
expect_rc 1; expect_err "already accepted"

t "the second panel recommends"
for p in tom-baker sam-ellis; do
	for s in S1 S2 S3 S4; do as "$p" review record 3 --standard "$s" --judgement met; done
	as "$p" review done 3
done
r admin --site "$S" panel conclude 2027-spring
expect_rc 0; expect_out "1 recommended, 0 further evidence (0 feedback items); 1 message"
r amara --site "$S" submission show 3 --json
expect_out '"state": "recommended"'
cat "$S"/outbox/*.eml >>"$LOG"

t "no fail state or word anywhere"
grep -qi 'fail' "$LOG" && fail "found: $(grep -i 'fail' "$LOG" | head -3)" || pass

finish
