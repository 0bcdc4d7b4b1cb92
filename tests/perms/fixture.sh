# tests/perms/fixture.sh: builds the site the permissions matrix runs against, with one mentor at each
# stage of the workflow (sourced by tests/cli/t_perms.sh after lib.sh; needs FOLIO, SAMPLES, ROOT).
#
#   mia   a ready portfolio, nothing submitted          oli   another mentor, a ready portfolio
#   nell  no portfolio yet                              wes   submitted to 2027-autumn (open)
#   cara  certified (2026-autumn)                       rita  recommended, not approved (2026-autumn)
#   ally  recommended and approved (2026-autumn)        fred  further evidence requested, item F1 open
#   gina  resubmitted after F1, in review (2027-spring) ivan  in review (2027-spring), rex judged all, not done
#   dora  both reviews done, disagreeing on S1 (2027-spring, not moderated)
#   cole  both reviews done, all met (2027-summer: the panel can conclude)
#
# rex and ria (reviewers) review everything; cho (lead) chairs every panel; lee is a lead with no
# panel; adm is the admin. Every login is the person's id. "Today" is 2027-06-20.
PERMS_TODAY=2027-06-20
# the folio that builds and inspects sites (make valgrind runs only the commands under test under valgrind)
INSPECT=${FOLIO_INSPECT:-$FOLIO}

# fx LOGIN ARGS...: run folio in the fixture; stop the script on failure (the fixture must build)
fx() {
	login=$1; shift
	LOGNAME=$login "$INSPECT" --site "$FX" "$@" >"$ROOT/fx.out" 2>"$ROOT/fx.err" ||
		{ echo "fixture: folio $* (as $login) failed: $(cat "$ROOT/fx.err")"; exit 1; }
}
# the id of MENTOR's latest submission
fx_sub() {
	LOGNAME=adm "$INSPECT" --site "$FX" submission list --mentor "$1" --json |
		sed -n 's/^ *"id": \([0-9]*\),*$/\1/p' | tail -1
}
# judge SUB REVIEWER J1 J2 J3 J4 [done]: record S1..S4 (J is met or more-evidence)
judge() {
	s=$1 rv=$2; shift 2
	n=1
	for j in "$1" "$2" "$3" "$4"; do
		fx "$rv" review record "$s" --standard "S$n" --judgement "$j" --comment "judged-$j"
		n=$((n + 1))
	done
	[ "${5:-}" = done ] && fx "$rv" review done "$s"
	return 0
}

build_fixture() {
	FX=$1
	export FOLIO_TODAY=2026-09-01
	LOGNAME=adm "$INSPECT" init "$FX" --admin-id adm --name "Ada Admin" --email adm@university.example.ac.uk \
		>/dev/null 2>"$ROOT/fx.err" || { echo "fixture: init failed: $(cat "$ROOT/fx.err")"; exit 1; }
	fx adm school import "$SAMPLES/schools.csv"
	fx adm person import "$HERE/tests/perms/people.csv"

	# one repository with a ready portfolio (the sample mentor's entries in one commit), imported by each
	repo=$ROOT/fx-repo
	git init -q "$repo"
	cp "$SAMPLES"/amara-okafor/*.md "$repo/"
	git -C "$repo" add . && git -C "$repo" commit -q -m "reflections"
	for m in mia oli cara rita ally fred gina ivan dora cole wes; do
		fx "$m" portfolio import "$m" "$repo" --qualification qms
	done

	fx adm panel plan 2026
	fx adm panel plan 2027
	for p in 2026-autumn 2027-spring 2027-summer 2027-autumn; do
		fx adm panel chair "$p" cho
		for r in rex ria; do fx adm panel availability "$p" "$r" --capacity 10; done
	done

	# 2026-autumn: cara, rita, ally recommended; fred and gina asked for more on S3
	for m in cara rita ally fred gina; do fx "$m" submit "$m"; done
	FOLIO_TODAY=2026-10-30 fx adm panel assign 2026-autumn
	export FOLIO_TODAY=2026-11-10
	for m in cara rita ally; do
		for rv in rex ria; do judge "$(fx_sub $m)" $rv met met met met done; done
	done
	for m in fred gina; do
		for rv in rex ria; do judge "$(fx_sub $m)" $rv met met more-evidence met done; done
	done
	export FOLIO_TODAY=2026-11-18
	fx cho panel conclude 2026-autumn
	fx lee approve "$(fx_sub cara)"
	fx lee approve "$(fx_sub ally)"
	fx lee certify "$(fx_sub cara)"

	# 2027-spring: gina resubmits; ivan and dora submit
	export FOLIO_TODAY=2026-12-01
	printf '# Safeguarding in practice\n\nWe walked through a real concern together. #S3.4\n' >"$ROOT/fx-new.md"
	for m in gina fred; do fx "$m" entry add "$m" "$ROOT/fx-new.md"; done
	fx gina resubmit gina
	fx ivan submit ivan
	fx dora submit dora
	FOLIO_TODAY=2027-02-26 fx adm panel assign 2027-spring
	export FOLIO_TODAY=2027-03-01
	judge "$(fx_sub ivan)" rex met met met met
	judge "$(fx_sub dora)" rex met met met met done
	judge "$(fx_sub dora)" ria more-evidence met met met done

	# 2027-summer: cole, all met, ready to conclude
	export FOLIO_TODAY=2027-04-01
	fx cole submit cole
	FOLIO_TODAY=2027-05-27 fx adm panel assign 2027-summer
	for rv in rex ria; do judge "$(fx_sub cole)" $rv met met met met done; done

	# today: wes has submitted to the open 2027-autumn panel
	export FOLIO_TODAY=$PERMS_TODAY
	fx wes submit wes
	fx adm index
}
