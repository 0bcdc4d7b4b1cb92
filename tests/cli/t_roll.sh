#!/bin/sh
# tests/cli/t_roll.sh: a submission that cannot be placed at the last planned panel rolls to the next
# year's first panel once that year is planned.
. "$(dirname "$0")/lib.sh"

new_site roll
export FOLIO_TODAY=2027-04-01
run admin --site "$S" --as amara-okafor portfolio create amara-okafor --qualification qms
for f in "$SAMPLES"/amara-okafor/*.md; do
	LOGNAME=amara "$FOLIO" --site "$S" entry add amara-okafor --date "$(basename "$f" | cut -c1-10)" "$f" >/dev/null 2>&1
done

t "only the summer panel of 2026/27 is still ahead"
run admin --site "$S" panel plan 2026
expect_rc 0
run admin --site "$S" panel list --json
expect_out '"id": "2027-summer"'; expect_no_out '"id": "2026-autumn"'

t "nobody is available: the submission cannot be placed and no later panel exists"
run amara --site "$S" submit amara-okafor
expect_rc 0
export FOLIO_TODAY=2027-05-27
run admin --site "$S" panel assign 2027-summer --json
expect_rc 0; expect_out '"unplaced"'; expect_out '"rolled_to": null'
run admin --site "$S" submission show 1 --json
expect_out '"panel": "2027-summer"'; expect_out '"state": "submitted"'

t "planning the next year rolls it to that year's first panel"
run admin --site "$S" panel plan 2027
expect_rc 0
run admin --site "$S" submission show 1 --json
expect_out '"panel": "2027-autumn"'; expect_out '"state": "submitted"'
run admin --site "$S" audit --json
expect_out '"action": "submission.roll"'; expect_out "rolled from panel '2027-summer' to '2027-autumn'"
run admin --site "$S" audit verify
expect_rc 0

finish
