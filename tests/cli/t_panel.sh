#!/bin/sh
# tests/cli/t_panel.sh: panels (plan, move, chair, availability) and submissions (submit, refusals, exemption,
# deadlines, withdraw, list/show with history). FOLIO_TODAY steps through the year.
. "$(dirname "$0")/lib.sh"

export FOLIO_TODAY=2026-09-01
new_site panel

# panels_json: the site's panels and submissions as an admin sees them (for "nothing changed" checks)
panels_json() { LOGNAME=admin "$FOLIO" --site "$S" panel list --json; LOGNAME=admin "$FOLIO" --site "$S" submission list --json; }

# ---------------------------------------------------------------- panels
t "plan a year: three panels on the third Wednesday, deadline three weeks before"
run admin --site "$S" panel plan 2026
expect_rc 0; expect_out "planned academic year 2026/27: 3 panels"
expect_out "2026-autumn  2026-11-18  2026-10-28  open"
expect_out "2027-spring  2027-03-17  2027-02-24  open"
expect_out "2027-summer  2027-06-16  2027-05-26  open"
run admin --site "$S" panel list --json
expect_rc 0; expect_out '"id": "2026-autumn"'; expect_out '"date": "2026-11-18"'; expect_out '"deadline": "2026-10-28"'
expect_out '"state": "open"'; expect_out '"counts": {'; expect_out '"submitted": 0'
[ "$(printf '%s\n' "$out" | grep -c '"term"')" -eq 3 ] && pass || fail "expected 3 panels"

t "plan refusals change nothing"
before=$(panels_json)
run admin --site "$S" panel plan 2026
expect_rc 1; expect_err "academic year 2026/27 is already planned: 2026-autumn, 2027-spring, 2027-summer"; expect_one_line_err
run admin --site "$S" panel plan 2020
expect_rc 1; expect_err "academic year 2020/21 is in the past"; expect_one_line_err
run admin --site "$S" panel plan twenty
expect_rc 2; expect_err "invalid year 'twenty'"
run amara --site "$S" panel plan 2027
expect_rc 1; expect_err "person 'amara-okafor' may not plan panels: needs role admin"
[ "$(panels_json)" = "$before" ] && pass || fail "a refused plan changed the panels"

t "move a panel"
run admin --site "$S" panel move 2026-autumn --date 2026-11-25
expect_rc 0; expect_out "meets 2026-11-25, deadline 2026-11-04"
run admin --site "$S" panel move 2026-autumn --date 2026-11-25 --deadline 2026-11-06
expect_rc 0; expect_out "deadline 2026-11-06"

t "bad dates are refused and change nothing"
before=$(panels_json)
run admin --site "$S" panel move 2026-autumn --date 2026-02-30
expect_rc 1; expect_err "invalid date '2026-02-30' for panel '2026-autumn': use YYYY-MM-DD"; expect_one_line_err
run admin --site "$S" panel move 2026-autumn --date 25/11/2026
expect_rc 1; expect_err "invalid date '25/11/2026'"
run admin --site "$S" panel move 2026-autumn --date 2026-08-01
expect_rc 1; expect_err "date 2026-08-01 for panel '2026-autumn' is in the past (today is 2026-09-01)"; expect_one_line_err
run admin --site "$S" panel move 2026-autumn --date 2026-11-25 --deadline 2026-08-30
expect_rc 1; expect_err "deadline 2026-08-30 for panel '2026-autumn' is in the past"
run admin --site "$S" panel move 2026-autumn --deadline 2026-12-01
expect_rc 1; expect_err "deadline 2026-12-01 of panel '2026-autumn' must be before its date 2026-11-25"
run admin --site "$S" panel move 2031-winter --date 2031-11-25
expect_rc 1; expect_err "no panel '2031-winter'"
run admin --site "$S" panel move 2026-autumn
expect_rc 2
run nadia --site "$S" panel move 2026-autumn --date 2026-11-26
expect_rc 1; expect_err "may not move panels: needs role admin"
[ "$(panels_json)" = "$before" ] && pass || fail "a refused move changed the panels"

t "chair"
run admin --site "$S" panel chair 2026-autumn nadia-rahman
expect_rc 0
run admin --site "$S" panel chair 2026-autumn tom-baker
expect_rc 1; expect_err "person 'tom-baker' cannot chair panel '2026-autumn': not a lead"; expect_one_line_err

t "availability: a reviewer their own, an admin anyone's"
run nadia --site "$S" panel availability 2026-autumn nadia-rahman --capacity 3
expect_rc 0; expect_out "'nadia-rahman' can take 3 portfolios at panel '2026-autumn'"
run priya --site "$S" panel availability 2026-autumn priya-shah --capacity 2
expect_rc 0
run admin --site "$S" panel availability 2026-autumn tom-baker --capacity 4
expect_rc 0
run admin --site "$S" panel availability 2026-autumn sam-ellis --unavailable
expect_rc 0; expect_out "'sam-ellis' is unavailable for panel '2026-autumn'"
before=$(LOGNAME=admin "$FOLIO" --site "$S" panel show 2026-autumn --json)
run nadia --site "$S" panel availability 2026-autumn sam-ellis --capacity 1
expect_rc 1; expect_err "person 'nadia-rahman' may not set the availability of 'sam-ellis' for panel '2026-autumn'"
expect_one_line_err
run admin --site "$S" panel availability 2026-autumn amara-okafor --capacity 1
expect_rc 1; expect_err "person 'amara-okafor' cannot sit on panel '2026-autumn': not a reviewer or lead"
run admin --site "$S" panel availability 2026-autumn tom-baker --capacity 2 --unavailable
expect_rc 2
run admin --site "$S" panel availability 2026-autumn tom-baker --capacity -1
expect_rc 2; expect_err "invalid capacity '-1'"
run admin --site "$S" panel availability 2026-autumn tom-baker --capacity 5000
expect_rc 1; expect_err "too large"
[ "$(LOGNAME=admin "$FOLIO" --site "$S" panel show 2026-autumn --json)" = "$before" ] && pass || fail "a refused availability changed the panel"

t "panel show lists availability"
run admin --site "$S" panel show 2026-autumn
expect_rc 0; expect_out "chair        nadia-rahman"; expect_out "reviewers    3 available, capacity 9"
printf '%s\n' "$out" | grep -q '^tom-baker  *4$' && pass || fail "tom-baker's capacity not listed: $out"
printf '%s\n' "$out" | grep -q '^sam-ellis  *unavailable$' && pass || fail "sam-ellis not listed as unavailable"
run admin --site "$S" panel show 2026-autumn --json
expect_out '"reviewers": 3'; expect_out '"capacity": 9'; expect_out '"chair": "nadia-rahman"'
expect_out '"person": "sam-ellis"'; expect_out '"availability": \['
run amara --site "$S" panel show 2026-autumn --json
expect_rc 0; expect_no_out '"person"'
run admin --site "$S" panel show 2031-winter
expect_rc 1; expect_err "no panel '2031-winter'"

# ---------------------------------------------------------------- submissions
t "submit a ready portfolio"
run admin --site "$S" --as amara-okafor portfolio create amara-okafor --qualification qms
for f in "$SAMPLES"/amara-okafor/*.md; do
	run amara --site "$S" entry add amara-okafor --date "$(basename "$f" | cut -c1-10)" "$f"
	[ "$rc" -eq 0 ] || { fail "entry add $f: $err"; break; }
done
amara_tip=$(git -C "$S/portfolios/amara-okafor.git" rev-parse main)
run amara --site "$S" submit amara-okafor
expect_rc 0
expect_out "submitted 'amara-okafor' for QMS: submission 1, panel 2026-autumn, commit $(printf '%.12s' "$amara_tip")"
run admin --site "$S" audit --json
expect_out '"to": "submitted"'; expect_out "\"commit\": \"$amara_tip\""

t "a portfolio with gaps is refused, listing what is missing"
run admin --site "$S" --as ben-hughes portfolio create ben-hughes --qualification qms
git clone -q "$S/portfolios/ben-hughes.git" "$ROOT/ben" 2>/dev/null
cp "$SAMPLES"/ben-hughes/*.md "$ROOT/ben/"
(cd "$ROOT/ben" && git add . && git commit -q -m "Ben's reflections" && git push -q origin HEAD:main) 2>/dev/null
before=$(panels_json)
run ben --site "$S" submit ben-hughes
expect_rc 1; expect_err "the portfolio of 'ben-hughes' is not ready for QMS: "
expect_err "S3 Professionalism: "; expect_err "; S4 Self-development and working in partnership: 0 of 2 evidence blocks"
expect_one_line_err
[ "$(panels_json)" = "$before" ] && pass || fail "a refused submission changed something"
run admin --site "$S" audit --json
expect_out '"action": "refused"'

t "a second open submission is refused"
run amara --site "$S" submit amara-okafor --panel 2027-spring
expect_rc 1; expect_err "mentor 'amara-okafor' already has an open submission: submission 1 for panel '2026-autumn' is submitted"
expect_one_line_err

t "only the mentor submits (an admin as them)"
run ben --site "$S" submit amara-okafor
expect_rc 1; expect_err "person 'ben-hughes' may not submit the portfolio of 'amara-okafor'"
run admin --site "$S" submit ben-hughes
expect_rc 1; expect_err "person 'admin' may not submit"

t "QLMS needs QMS or an exemption"
run admin --site "$S" --as claire-davies portfolio create claire-davies --qualification qlms
for f in "$SAMPLES"/claire-davies/*.md; do
	run claire --site "$S" entry add claire-davies --date "$(basename "$f" | cut -c1-10)" "$f"
	[ "$rc" -eq 0 ] || { fail "entry add $f: $err"; break; }
done
run claire --site "$S" submit claire-davies
expect_rc 1; expect_err "mentor 'claire-davies' may not submit for QLMS without holding QMS"; expect_one_line_err
run claire --site "$S" exemption add claire-davies --qualification qlms --reason "mine"
expect_rc 1; expect_err "may not record exemptions: needs role admin"
run admin --site "$S" exemption add claire-davies --qualification qlms
expect_rc 2
run admin --site "$S" exemption add claire-davies --qualification qms --reason "x"
expect_rc 1; expect_err "QMS requires no other qualification"
run admin --site "$S" exemption add claire-davies --qualification qlms --reason "QMS awarded before folio"
expect_rc 0; expect_out "'claire-davies' may submit for QLMS without holding QMS"
run admin --site "$S" exemption add claire-davies --qualification qlms --reason "again"
expect_rc 1; expect_err "already has an exemption"

t "after a deadline: refused for that panel, the next open panel by default"
FOLIO_TODAY=2026-11-07 run claire --site "$S" submit claire-davies --panel 2026-autumn
expect_rc 1; expect_err "the deadline of panel '2026-autumn' passed on 2026-11-06: the next open panel is '2027-spring'"
expect_one_line_err
FOLIO_TODAY=2026-11-07 run claire --site "$S" submit claire-davies
expect_rc 0; expect_out "submitted 'claire-davies' for QLMS: submission 2, panel 2027-spring"
FOLIO_TODAY=2026-11-07 run admin --site "$S" panel list
printf '%s\n' "$out" | grep -q '^2026-autumn .* closed ' && pass || fail "autumn not shown closed: $out"

t "withdraw"
run ben --site "$S" withdraw amara-okafor
expect_rc 1; expect_err "person 'ben-hughes' may not withdraw the submission of 'amara-okafor'"
run amara --site "$S" withdraw amara-okafor
expect_rc 0; expect_out "withdrew submission 1 of 'amara-okafor' from panel 2026-autumn"
run amara --site "$S" withdraw amara-okafor
expect_rc 1; expect_err "mentor 'amara-okafor' has no open submission to withdraw"; expect_one_line_err

t "resubmit needs a submission with further evidence requested"
run amara --site "$S" resubmit amara-okafor
expect_rc 1; expect_err "submission 1 of 'amara-okafor' is withdrawn: only a submission with further evidence requested can be resubmitted"
run ben --site "$S" resubmit ben-hughes
expect_rc 1; expect_err "mentor 'ben-hughes' has no submission to resubmit"

t "submission show: state history"
run amara --site "$S" submission show 1 --json
expect_rc 0; expect_out '"state": "withdrawn"'; expect_out '"commit": "'"$amara_tip"'"'; expect_out '"previous": null'
expect_out '"outcome": null'; expect_out '"history": \['; expect_out '"from": "submitted"'; expect_out '"to": "withdrawn"'
expect_out '"actor": "amara-okafor"'
run nadia --site "$S" submission show 1
expect_rc 0; expect_out "state          withdrawn"
printf '%s\n' "$out" | grep -q ' -  *submitted  *amara-okafor  *for panel 2026-autumn$' && pass || fail "history lacks the submit: $out"
printf '%s\n' "$out" | grep -q ' submitted  *withdrawn  *amara-okafor' && pass || fail "history lacks the withdrawal: $out"
run amara --site "$S" submission show 2
expect_rc 1; expect_err "person 'amara-okafor' may not see submission 2: mentors see only their own submissions"
run admin --site "$S" submission show abc
expect_rc 2; expect_err "invalid submission id 'abc'"
run admin --site "$S" submission show 99
expect_rc 1; expect_err "no submission 99"

t "submission list: mentors see their own, staff see all"
run admin --site "$S" submission list --json
expect_rc 0; expect_out '"mentor": "amara-okafor"'; expect_out '"mentor": "claire-davies"'
run amara --site "$S" submission list --json
expect_rc 0; expect_out '"mentor": "amara-okafor"'; expect_no_out 'claire-davies'
run amara --site "$S" submission list --mentor claire-davies
expect_rc 1; expect_err "may not see the submissions of 'claire-davies'"
run nadia --site "$S" submission list --panel 2027-spring --json
expect_rc 0; expect_out '"id": 2'; expect_no_out '"id": 1'
run nadia --site "$S" submission list
expect_rc 0; expect_out "withdrawn"; expect_out "claire-davies  QLMS"

t "a withdrawn submission frees the way; parallel submits make one submission"
for i in 1 2 3 4; do
	(LOGNAME=amara "$FOLIO" --site "$S" submit amara-okafor >"$ROOT/par.$i" 2>&1 && echo ok >>"$ROOT/par.ok") &
done
wait
[ "$(wc -l <"$ROOT/par.ok")" -eq 1 ] && pass || fail "expected exactly one submit to succeed: $(cat "$ROOT"/par.*)"
run admin --site "$S" submission list --mentor amara-okafor --json
[ "$(printf '%s\n' "$out" | grep -c '"state": "submitted"')" -eq 1 ] && pass || fail "expected one open submission"

t "panel counts"
run admin --site "$S" panel show 2026-autumn --json
expect_out '"submissions": 1'; expect_out '"submitted": 1'; expect_out '"withdrawn": 1'

t "once a panel is assigned: no moving it, no availability changes, no withdrawing"
FOLIO_TODAY=2026-11-07 run admin --site "$S" panel assign 2026-autumn
expect_rc 0
before=$(panels_json)
FOLIO_TODAY=2026-11-07 run admin --site "$S" panel move 2026-autumn --date 2026-11-26
expect_rc 1; expect_err "panel '2026-autumn' is already assigned: its dates can no longer move"; expect_one_line_err
FOLIO_TODAY=2026-11-07 run nadia --site "$S" panel availability 2026-autumn nadia-rahman --capacity 1
expect_rc 1; expect_err "panel '2026-autumn' is already assigned: availability can no longer change"
FOLIO_TODAY=2026-11-07 run amara --site "$S" withdraw amara-okafor
expect_rc 1; expect_err "is in-review: only a submission not yet with reviewers can be withdrawn"
FOLIO_TODAY=2026-11-07 run amara --site "$S" submit amara-okafor --panel 2027-spring
expect_rc 1; expect_err "already has an open submission"
[ "$(panels_json)" = "$before" ] && pass || fail "a refusal after assignment changed something"
FOLIO_TODAY=2026-11-07 run amara --site "$S" submission list --json
expect_out '"state": "in-review"'; expect_out '"outcome": null'

t "no fail state anywhere"
run admin --site "$S" submission list --json
expect_no_out 'fail'
run admin --site "$S" panel list --json
expect_no_out 'fail'

t "audit"
run admin --site "$S" audit --json
expect_out '"action": "panel.plan"'; expect_out '"action": "panel.move"'; expect_out '"action": "panel.availability"'
expect_out '"action": "exemption.add"'; expect_out '"to": "withdrawn"'
run admin --site "$S" audit verify
expect_rc 0

finish
