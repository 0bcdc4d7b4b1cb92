#!/bin/sh
# tests/cli/t_cert.sh: approval, certificates and Open Badges, from a recommended submission (reached through
# plan, submit, assign, review and conclude) to verify and revoke.
. "$(dirname "$0")/lib.sh"

# add every sample entry of MENTOR (as LOGIN) with its own date; stop the script if one fails
entries() {
	for f in "$SAMPLES/$1"/*.md; do
		run "$2" --site "$S" entry add "$1" --date "$(basename "$f" | cut -c1-10)" "$f"
		[ "$rc" -eq 0 ] || { echo "cannot add $f: $err"; exit 1; }
	done
}
# must LOGIN CMD...: a step of the set-up that has to work
must() {
	run "$@"
	[ "$rc" -eq 0 ] || { echo "set-up step failed: folio $*: $err"; finish; exit 1; }
}
# review SUBMISSION as LOGIN: every standard met, then done
review_all_met() {
	for s in S1 S2 S3 S4; do must "$2" --site "$S" review record "$1" --standard "$s" --judgement met; done
	must "$2" --site "$S" review done "$1"
}
sha256() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

# ---------------------------------------------------------------- a year up to two recommendations
new_site cert
export FOLIO_TODAY=2026-08-01
must admin --site "$S" portfolio create amara-okafor --qualification qms
entries amara-okafor amara
must admin --site "$S" portfolio create claire-davies --qualification qlms
entries claire-davies claire
must admin --site "$S" exemption add claire-davies --qualification qlms --reason "QMS awarded before folio"
must admin --site "$S" panel plan 2026
for r in nadia-rahman claire-davies priya-shah; do
	must admin --site "$S" panel availability 2026-autumn "$r" --capacity 2
done
must amara --site "$S" submit amara-okafor
must claire --site "$S" submit claire-davies
export FOLIO_TODAY=2026-10-30
must admin --site "$S" panel assign 2026-autumn
for login in nadia claire priya; do
	must "$login" --site "$S" review queue --json
	for id in $(printf '%s\n' "$out" | sed -n 's/.*"submission": \([0-9]*\).*/\1/p'); do
		review_all_met "$id" "$login"
	done
done
export FOLIO_TODAY=2026-11-18
must admin --site "$S" panel conclude 2026-autumn
export FOLIO_TODAY=2026-11-25
AMARA=1 CLAIRE=2
t "two submissions are recommended"
run admin --site "$S" submission show $AMARA --json
expect_rc 0; expect_out '"state": "recommended"'; expect_out '"mentor": "amara-okafor"'
run admin --site "$S" submission show $CLAIRE --json
expect_out '"state": "recommended"'; expect_out '"mentor": "claire-davies"'

# ---------------------------------------------------------------- approve
t "only a lead approves, never their own submission"
run amara --site "$S" approve $AMARA
expect_rc 1; expect_err "person 'amara-okafor' may not approve submission $AMARA: needs role lead"; expect_one_line_err
run claire --site "$S" approve $CLAIRE
expect_rc 1; expect_err "may not approve submission $CLAIRE: a lead may not approve their own submission"; expect_one_line_err
run admin --site "$S" --as claire-davies approve $CLAIRE
expect_rc 1; expect_err "their own submission"
run priya --site "$S" approve 99
expect_rc 1; expect_err "no submission 99"; expect_one_line_err
run priya --site "$S" approve first
expect_rc 2; expect_err "invalid submission id 'first'"

t "certify needs an approval first"
run admin --site "$S" certify $AMARA
expect_rc 1; expect_err "submission $AMARA is not approved: a lead approves it first"; expect_one_line_err
[ ! -d "$S/certificates" ] || [ -z "$(ls -A "$S/certificates")" ] && pass || fail "files written by a refused certify"

t "a lead approves; the submission stays recommended"
run priya --site "$S" approve $AMARA
expect_rc 0; expect_out "approved submission $AMARA"
run priya --site "$S" approve $AMARA
expect_rc 1; expect_err "already approved by 'priya-shah'"
run admin --site "$S" submission show $AMARA --json
expect_out '"state": "recommended"'
run claire --site "$S" approve $AMARA
expect_rc 1; expect_err "already approved"
run nadia --site "$S" approve $CLAIRE
expect_rc 0

# ---------------------------------------------------------------- certify
t "a mentor may not certify; an admin does"
run amara --site "$S" certify $AMARA
expect_rc 1; expect_err "needs role lead or admin"
run admin --site "$S" certify $AMARA
expect_rc 0; expect_out "issued certificate QMS-2026-0001: Qualified Mentor Status for Amara Okafor"
D=$S/certificates/QMS-2026-0001
for f in certificate.json certificate.html issuer.json badgeclass-qms.json assertion.json badge.svg; do
	[ -f "$D/$f" ] && pass || fail "$f missing"
done
t "the certificate.html certify writes is the page cert print gives"
run amara --site "$S" cert print QMS-2026-0001 --out "$ROOT/printed.html"
expect_rc 0
cmp -s "$ROOT/printed.html" "$D/certificate.html" && pass || fail "certificate.html differs from cert print"
grep -q 'Certificate of Award' "$D/certificate.html" && pass || fail "certificate.html is not the printable page"
run admin --site "$S" submission show $AMARA --json
expect_out '"state": "certified"'
run admin --site "$S" certify $AMARA
expect_rc 1; expect_err "already certified (certificate 'QMS-2026-0001')"

t "the Open Badges 2.0 files"
grep -q '"@context": "https://w3id.org/openbadges/v2"' "$D/assertion.json" && grep -q '"type": "Assertion"' "$D/assertion.json" \
	&& pass || fail "assertion type"
grep -q '"id": "https://folio.example.org/badges/assertions/QMS-2026-0001.json"' "$D/assertion.json" && pass || fail "assertion id"
grep -q '"badge": "https://folio.example.org/badges/badgeclasses/qms.json"' "$D/assertion.json" && pass || fail "assertion badge"
grep -q '"issuedOn": "2026-11-25T[0-9:]*\(Z\|[+-][0-9][0-9]:[0-9][0-9]\)"' "$D/assertion.json" && pass || fail "issuedOn"
grep -q '"type": "hosted"' "$D/assertion.json" && pass || fail "hosted verification"
salt=$(sed -n 's/.*"salt": "\([0-9a-f]*\)".*/\1/p' "$D/assertion.json")
identity=$(sed -n 's/.*"identity": "\(.*\)".*/\1/p' "$D/assertion.json")
[ "$identity" = "sha256\$$(sha256 "amara.okafor@brookfield.example.org$salt")" ] && pass || fail "recipient hash $identity"
grep -q 'amara.okafor@' "$D/assertion.json" && fail "email in the clear" || pass
grep -q '"type": "BadgeClass"' "$D/badgeclass-qms.json" && pass || fail "badgeclass type"
grep -q '"narrative": ".*S1 Personal qualities; S2 Teaching; S3 Professionalism; S4 Self-development' "$D/badgeclass-qms.json" \
	&& pass || fail "criteria name the standards"
[ "$(grep -c '"targetFramework": "National Standards for school-based ITT mentors"' "$D/badgeclass-qms.json")" -eq 4 ] \
	&& pass || fail "four alignments"
grep -q '"targetCode": "S4"' "$D/badgeclass-qms.json" && pass || fail "targetCode"
grep -q '"type": "Issuer"' "$D/issuer.json" && grep -q '"email": "ada@uni.example.ac.uk"' "$D/issuer.json" && pass || fail "issuer"
grep -q '"approved_by": {' "$D/certificate.json" && grep -q '"commit": "[0-9a-f]\{40\}"' "$D/certificate.json" && pass \
	|| fail "certificate.json"

t "the badge has the assertion baked in"
grep -q '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org"' "$D/badge.svg" && pass || fail "svg"
grep -q '<openbadges:assertion verify="https://folio.example.org/badges/assertions/QMS-2026-0001.json">' "$D/badge.svg" \
	&& pass || fail "verify url"
sed -n '/<!\[CDATA\[$/,/^\]\]>/p' "$D/badge.svg" | sed '1d;$d' >"$ROOT/baked.json"
cmp -s "$ROOT/baked.json" "$D/assertion.json" && pass || fail "baked assertion differs from assertion.json"
if command -v xmllint >/dev/null 2>&1; then xmllint --noout "$D/badge.svg" && pass || fail "badge.svg is not well-formed"; fi

t "the holder is told"
grep -l "^Subject: Your QMS certificate QMS-2026-0001" "$S"/outbox/*.eml 2>/dev/null | xargs grep -q "^To: Amara Okafor <amara.okafor@brookfield.example.org>" \
	&& pass || fail "no message for amara"

t "the issuer and base URL are site settings"
run priya --site "$S" cert issuer --name "Someone Else"
expect_rc 1; expect_err "may not set the badge issuer: needs role admin"
run admin --site "$S" cert issuer --base-url "not a url"
expect_rc 1; expect_err "invalid badge base url 'not a url'"; expect_one_line_err
run admin --site "$S" cert issuer --name "$(printf 'Universit\351 Partnership')"
expect_rc 1; expect_err "the issuer name is not valid UTF-8 text (byte 0xE9)"; expect_one_line_err
run admin --site "$S" cert issuer --name "Example ITT Partnership" --email itt@uni.example.ac.uk --base-url https://badges.uni.example.ac.uk/itt/
expect_rc 0
run priya --site "$S" cert issuer --json
expect_rc 0; expect_out '"base_url": "https://badges.uni.example.ac.uk/itt"'; expect_out '"name": "Example ITT Partnership"'
run nadia --site "$S" certify $CLAIRE --json
expect_rc 0; expect_out '"number": "QLMS-2026-0001"'
expect_out '"id": "https://badges.uni.example.ac.uk/itt/assertions/QLMS-2026-0001.json"'
grep -q '"name": "Example ITT Partnership"' "$S/certificates/QLMS-2026-0001/issuer.json" && pass || fail "issuer name"
grep -q 'Open only to holders of QMS' "$S/certificates/QLMS-2026-0001/badgeclass-qlms.json" && pass || fail "QLMS criteria"

# ---------------------------------------------------------------- list, show
t "holders see their own certificates; leads and admins all"
run amara --site "$S" cert list --json
expect_rc 0; expect_out '"number": "QMS-2026-0001"'; expect_no_out 'QLMS-2026-0001'
run nadia --site "$S" cert list
expect_rc 0; expect_out 'QMS-2026-0001'; expect_out 'QLMS-2026-0001'
run amara --site "$S" cert show QMS-2026-0001
expect_rc 0; expect_out 'Amara Okafor (amara-okafor)'; expect_out 'approved by *priya-shah'; expect_out 'status *valid'
run ben --site "$S" cert show QMS-2026-0001
expect_rc 1; expect_err "may not see certificate 'QMS-2026-0001'"; expect_one_line_err
run admin --site "$S" cert show QMS-2099-0001
expect_rc 1; expect_err "no certificate 'QMS-2099-0001'"

# ---------------------------------------------------------------- verify
t "verify passes, then finds what was changed"
run amara --site "$S" cert verify QMS-2026-0001
expect_rc 0; expect_out "certificate QMS-2026-0001 verified"
cp "$D/assertion.json" "$ROOT/assertion.keep"
sed 's/"issuedOn": "2026/"issuedOn": "2020/' "$ROOT/assertion.keep" >"$D/assertion.json"
run priya --site "$S" cert verify QMS-2026-0001
expect_rc 1; expect_err "certificate 'QMS-2026-0001': assertion.json differs from the assertion issued with the certificate (issuedOn)"
cp "$ROOT/assertion.keep" "$D/assertion.json"
mv "$D/issuer.json" "$ROOT/issuer.keep"
run priya --site "$S" cert verify QMS-2026-0001 --json
expect_rc 1; expect_out '"valid": false'; expect_out 'issuer.json is missing'
mv "$ROOT/issuer.keep" "$D/issuer.json"
run priya --site "$S" cert verify QMS-2026-0001
expect_rc 0

# ---------------------------------------------------------------- revoke
t "a lead revokes with a reason"
run admin --site "$S" cert revoke QLMS-2026-0001 --reason "x"
expect_rc 1; expect_err "needs role lead"
run priya --site "$S" cert revoke QLMS-2026-0001
expect_rc 2; expect_err "needs --reason"
run priya --site "$S" cert revoke QLMS-2026-0001 --reason "awarded on the wrong portfolio"
expect_rc 0; expect_out "revoked certificate QLMS-2026-0001"
R=$S/certificates/QLMS-2026-0001
grep -q '"revoked": true' "$R/assertion.json" && grep -q '"revocationReason": "awarded on the wrong portfolio"' "$R/assertion.json" \
	&& pass || fail "hosted assertion not marked revoked"
grep -q '"revoked": true' "$R/badge.svg" && pass || fail "baked assertion not marked revoked"
run admin --site "$S" submission show $CLAIRE --json
expect_out '"state": "revoked"'
run nadia --site "$S" cert verify QLMS-2026-0001
expect_rc 1; expect_err "certificate 'QLMS-2026-0001': revoked on 2026-11-25T"; expect_err "awarded on the wrong portfolio"
expect_one_line_err
run nadia --site "$S" cert list
expect_out 'QLMS-2026-0001.*revoked'
run priya --site "$S" cert revoke QLMS-2026-0001 --reason again
expect_rc 1; expect_err "already revoked"
grep -l "^Subject: Your certificate QLMS-2026-0001 has been revoked" "$S"/outbox/*.eml >/dev/null 2>&1 && pass || fail "no revocation message"

# ---------------------------------------------------------------- the pinned commit
t "verify finds a pinned commit that is gone from the portfolio"
repo=$S/portfolios/amara-okafor.git
(cd "$repo" && tree=$(git hash-object -t tree -w --stdin </dev/null) &&
	c=$(echo "start again" | git commit-tree "$tree") && git update-ref refs/heads/main "$c" &&
	git reflog expire --expire=now --all && git gc -q --prune=now) || fail "could not rewrite the repository"
run priya --site "$S" cert verify QMS-2026-0001
expect_rc 1; expect_err "the pinned commit [0-9a-f]\{40\} does not exist in the portfolio of 'amara-okafor'"

t "the audit log holds every step and still verifies"
run admin --site "$S" audit verify
expect_rc 0
run admin --site "$S" audit --json
expect_out '"action": "submission.approve"'; expect_out '"action": "certificate.issue"'
expect_out '"action": "certificate.revoke"'; expect_out '"action": "refused"'

finish
