#!/bin/sh
# tests/demo.sh FOLIO: a throw-away site with the sample portfolios: people, portfolios
# written through the CLI and through plain git, coverage, lint and the audit log.
set -eu
FOLIO=${1:?usage: demo.sh path/to/folio}
HERE=$(cd "$(dirname "$0")/.." && pwd)
SAMPLES=$HERE/portfolios
SITE=${DEMO_SITE:-$HERE/build/demo-site}
ME=${LOGNAME:-$(id -un)}
# The demo steps through the academic year 2026-27: FOLIO_TODAY sets the calendar date folio works with.
export LOGNAME=$ME FOLIO_SITE=$SITE FOLIO_TODAY=2026-09-01

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

# ---------------------------------------------------------------- the year
day() { export FOLIO_TODAY=$1; printf '\n\033[1m-- %s --\033[0m\n' "$1"; }
sub() { "$FOLIO" submission list --mentor "$1" --json | sed -n 's/^ *"id": \([0-9]*\),*$/\1/p' | tail -1; }

step "September: plan the year's three panels; reviewers say when they can sit"
folio panel plan 2026
folio panel chair 2026-autumn nadia-rahman
for r in tom-baker:3 sam-ellis:3 priya-shah:2 claire-davies:2 nadia-rahman:2; do
	folio panel availability 2026-autumn "${r%%:*}" --capacity "${r#*:}"
done
folio panel list

step "Mentors submit: Amara is ready; Ben is not yet; Claire needs an exemption for QLMS"
folio --as amara-okafor submit amara-okafor
folio --as ben-hughes submit ben-hughes || echo "(refused: Ben keeps writing)"
folio --as claire-davies submit claire-davies || echo "(refused: QLMS needs QMS first)"
folio exemption add claire-davies --qualification qlms --reason "QMS awarded by a previous partnership in 2023"
folio --as claire-davies submit claire-davies
folio submission list

day 2026-10-29
step "The deadline has passed: assign two reviewers to each portfolio, optimally"
folio panel assign 2026-autumn --dry-run
folio panel assign 2026-autumn
A=$(sub amara-okafor); C=$(sub claire-davies)
folio panel why-not "$A" priya-shah

step "Review sessions: each reviewer records a judgement per standard"
reviewers() { "$FOLIO" submission show "$1" --json | tr -d '\n ' | sed -n 's/.*"reviewers":\[\([^]]*\)\].*/\1/p' | tr -d '"' | tr ',' ' '; }
n=0
for rv in $(reviewers "$A"); do
	n=$((n + 1))
	for s in S1 S2 S4; do "$FOLIO" --as "$rv" review record "$A" --standard $s --judgement met --comment "Clear, well-evidenced reflection."; done
	if [ $n -eq 1 ]; then c="Show how you helped Jess understand her safeguarding duties in practice."
	else c="The induction entry lists policies; reflect on what Jess did with them."; fi
	folio --as "$rv" review record "$A" --standard S3 --judgement more-evidence --comment "$c"
	folio --as "$rv" review done "$A"
done
for rv in $(reviewers "$C"); do
	"$FOLIO" --as "$rv" review form "$C" | sed 's/^Judgement:.*/Judgement: met/' >"$SITE/form.md"
	folio --as "$rv" review record "$C" --form "$SITE/form.md"
	folio --as "$rv" review done "$C"
done
rm -f "$SITE/form.md"
echo "Amara sees nothing before the panel concludes:"
folio --as amara-okafor submission show "$A"

day 2026-11-18
step "The autumn panel concludes: outcomes released, nobody fails"
folio panel conclude 2026-autumn
folio feedback amara-okafor
ls "$SITE/outbox"

day 2026-12-02
step "Amara adds evidence for F1 and resubmits to the spring panel; Ben fills his gaps"
printf '# Safeguarding in practice with Jess\n\nAfter the panel asked for more, I planned a walk-through of our safeguarding procedures with Jess, using a real (anonymised) concern from last term. We talked through who she would tell, what she would write down and why. #S3.4 #F1\n\nI also asked her to shadow our DSL for an afternoon, then we reflected together on the difference between policy and practice. #S3.1\n' |
	"$FOLIO" --as amara-okafor entry add amara-okafor --title "Safeguarding in practice with Jess" -
folio --as amara-okafor feedback address F1 --note "See the entry of 2 December on safeguarding in practice"
cat >"$SITE/ben-1.md" <<'MD'
# Aisha and the life of the school

Aisha said in October that she felt like a visitor in the department, so this term I made a point of
bringing her into the wider life of the school rather than only our lessons. She came on the Year 8
science trip, helped run the STEM club on Thursdays and sat with me at the Year 10 parents evening,
where she led two of the conversations herself after we had planned what to say. Afterwards she told
me it was the first time she had seen how much parents want to understand what we do. #S3.1

We also talked through professional conduct outside the classroom: what she posts online, how she
replies to pupils who find her on social media, and why our staff code of conduct says what it does.
I shared a time early in my career when I got this wrong, which I think helped her see it as a real
question rather than a rule to learn. She has since tightened her own settings and asked good questions
about keeping a professional distance on the trip. #S3.2
MD
cat >"$SITE/ben-2.md" <<'MD'
# Moderating my judgements with other mentors

In November I took two of my observation write-ups of Aisha to the partnership moderation meeting at the
university. Comparing them with other mentors' judgements was uncomfortable at first: I had been
generous about pace and too quick to call a lesson "good" when the pupils had not shown what they had
learned. The discussion changed the way I write targets, and I now tie each one to evidence from pupils'
work rather than my impression of the lesson. #S4.1

Since then I have read two pieces on instructional coaching and on the difference between judging a
lesson and developing a teacher. I have changed my weekly meetings with Aisha as a result: fewer verdicts,
more modelling, one precise action step at a time, and a quick follow-up visit to see it in practice.
I have booked the spring mentor training session on giving feedback so that I keep learning, and I have
asked Claire to observe one of my feedback conversations and be honest with me about it. #S4.2
MD
"$FOLIO" --as ben-hughes entry add ben-hughes --date 2026-12-02 "$SITE/ben-1.md"
"$FOLIO" --as ben-hughes entry add ben-hughes --date 2026-12-02 "$SITE/ben-2.md"
rm -f "$SITE/ben-1.md" "$SITE/ben-2.md"
folio evidence ben-hughes | sed -n "3,8p"
for r in tom-baker:3 sam-ellis:3 priya-shah:2 claire-davies:2 nadia-rahman:2; do
	"$FOLIO" panel availability 2027-spring "${r%%:*}" --capacity "${r#*:}"
done
folio panel chair 2027-spring nadia-rahman
folio --as amara-okafor resubmit amara-okafor
folio --as ben-hughes submit ben-hughes

day 2027-02-25
step "Spring panel: the resubmission goes back to the reviewers who asked for the evidence"
folio panel assign 2027-spring
A2=$(sub amara-okafor); B=$(sub ben-hughes)
folio review show "$A2" | sed -n '1,40p'
for s2 in "$A2" "$B"; do
	for rv in $(reviewers "$s2"); do
		for s in S1 S2 S3 S4; do "$FOLIO" --as "$rv" review record "$s2" --standard $s --judgement met; done
		[ "$s2" = "$A2" ] && folio --as "$rv" feedback accept "$A2" F1
		folio --as "$rv" review done "$s2"
	done
done

day 2027-03-17
folio panel conclude 2027-spring
folio submission show "$A2"

step "Lead mentors approve; certificates and Open Badges are issued"
folio --as nadia-rahman approve "$A2"
folio --as nadia-rahman approve "$B"
folio --as nadia-rahman approve "$C"
for s in "$A2" "$B" "$C"; do folio --as nadia-rahman certify "$s"; done
folio cert list
N=$("$FOLIO" cert list --json | sed -n 's/^ *"number": "\(QMS-[0-9-]*\)".*/\1/p' | head -1)
folio cert verify "$N"
ls "$SITE/certificates/$N"

step "The panel reads packs; the certificate prints on A4"
folio pack "$A2" --out "$SITE/packs"
folio pack --panel 2027-spring --out "$SITE/packs/2027-spring"
folio cert print "$N" --out "$SITE/packs/$N.html"

step "The admin archives the year: one zip anyone can verify"
folio archive --all --out "$SITE/archive-2027.zip"
folio archive verify "$SITE/archive-2027.zip"

step "The audit log (last 8 rows) and its hash chain"
"$FOLIO" audit | tail -8
folio audit verify

printf '\nThe demo site is in %s: try  FOLIO_SITE=%s %s evidence amara-okafor --json\n' "$SITE" "$SITE" "$FOLIO"
