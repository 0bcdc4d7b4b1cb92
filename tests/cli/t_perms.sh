#!/bin/sh
# tests/cli/t_perms.sh: the permissions matrix. Every row of tests/perms/matrix.tsv (a command line)
# is run by every actor of its columns, each on a fresh copy of the fixture site
# (tests/perms/fixture.sh). allow: exit 0, and whatever it records in the audit log is attributed
# to the actor. deny: exit 1, one line "folio: ...", exactly one new audit row, "denied", by the
# actor, whose text is that line, and nothing else in the site changed (database and files).
# refused (the command acts on the actor's own things, and they have none): the same, audited as
# "refused".
# PERMS_ONLY=REGEX runs only the rows whose command matches.
. "$(dirname "$0")/lib.sh"
. "$HERE/tests/perms/fixture.sh"
MATRIX=$HERE/tests/perms/matrix.tsv
command -v sqlite3 >/dev/null 2>&1 || { echo "t_perms needs the sqlite3 command (make deps)"; exit 1; }
tab=$(printf '\t')

FIXTURE=$ROOT/fixture
build_fixture "$FIXTURE"

# files the commands take
printf '# A new reflection\n\nI watched my trainee teach and we talked about it. #S2.1\n' >"$ROOT/entry.md"
printf 'id,name,phase\nnew-school,New School,primary\n' >"$ROOT/schools.csv"
printf 'id,name,email,roles\npat,Pat New,pat@x.example,mentor\n' >"$ROOT/people.csv"
LOGNAME=rex "$INSPECT" --site "$FIXTURE" review form "$(fx_sub ivan)" |
	sed '0,/^Judgement: met$/s//Judgement: more-evidence/' >"$ROOT/form.md"
grep -q '^Judgement: more-evidence$' "$ROOT/form.md" || { echo "cannot make the review form"; exit 1; }
# the latest submission of each mentor: $SUB_mia ...
for m in $(cut -d, -f1 "$HERE/tests/perms/people.csv" | tail -n +2); do
	eval "SUB_$m=\$(fx_sub \$m)"
done
CERT=$(LOGNAME=adm "$INSPECT" --site "$FIXTURE" cert list --json | sed -n 's/^ *"number": "\(.*\)",$/\1/p' | head -1)
[ -n "$CERT" ] || { echo "the fixture has no certificate"; exit 1; }
# an archive of mia's portfolio, for archive verify and restore ($ZIP)
LOGNAME=adm "$INSPECT" --site "$FIXTURE" archive mia --out "$ROOT/fx.zip" >/dev/null 2>&1 ||
	{ echo "cannot archive the fixture"; exit 1; }

# what a refusal must leave alone: every table but the audit log, and every file but the database
site_state() {
	sqlite3 "$1/folio.db" .dump | grep -v -e '^INSERT INTO audit ' -e "^INSERT INTO sqlite_sequence VALUES('audit'"
	(cd "$1" && find . -type f ! -name 'folio.db*' | LC_ALL=C sort | xargs cksum)
}
site_state "$FIXTURE" >"$ROOT/state.fixture"
# the audit rows after seq $SEQ, one per line: "WHO<TAB>ACTION<TAB>DETAIL" (WHO "adm as mia", or "-");
# the last seq goes to $ROOT/seq
audit_rows() {
	LOGNAME=adm "$INSPECT" --site "$1" audit --json | awk -v seq0="$SEQ" -v seqfile="$ROOT/seq" '
		function val(s) { sub(/^ *"[a-z_]*": /, "", s); sub(/,$/, "", s); if (s == "null") return ""; gsub(/^"|"$/, "", s); return s }
		/^    "seq": / { seq = val($0) + 0 }
		/^    "actor": / { actor = val($0) }
		/^    "real_actor": / { real = val($0) }
		/^    "action": / { action = val($0) }
		/^    "detail": / { detail = val($0) }
		/^  }/ { if (seq > seq0) print (real != "" ? real " as " actor : (actor != "" ? actor : "-")) "\t" action "\t" detail }
		END { print seq + 0 > seqfile }'
}
SEQ=0
audit_rows "$FIXTURE" >/dev/null
SEQ_FIXTURE=$(cat "$ROOT/seq")
# the working copy: a copy of the fixture, made again only after a command changed it
W=$ROOT/work
fresh_copy() {
	rm -rf "$W"
	cp -a "$FIXTURE" "$W"
	SEQ=$SEQ_FIXTURE
}
fresh_copy

# the login, extra global options and audit name of an actor, for a row about SUBJECT
actor() {
	as=""
	case $1 in
	mentor) login=$2 who=$2 ;;
	other) login=oli who=oli ;;
	reviewer) login=rex who=rex ;;
	chair) login=cho who=cho ;;
	lead) login=lee who=lee ;;
	admin) login=adm who=adm ;;
	admin-as) login=adm as=$2 who="adm as $2" ;;
	unbound) login=nobody-at-all who=- ;;
	nonadmin-as) login=lee who=lee as=$2; [ "$2" = - ] && as=adm ;;
	esac
}

# check_cell ROLE EXPECT SUBJECT COMMAND: run it on the working copy and check the outcome; sets
# changed=1 when the site differs from the fixture afterwards
check_cell() {
	role=$1 expect=$2 subject=$3 line=$4
	actor "$role" "$subject"
	t "$role: $line"
	rm -rf "$ROOT/newsite" "$ROOT/outdir"; mkdir "$ROOT/outdir"
	today=$PERMS_TODAY
	case $line in @*) today=${line%% *}; today=${today#@}; line=${line#* } ;; esac
	sub=""
	[ "$subject" != - ] && case $line in *'$SUB'*) eval "sub=\${SUB_$subject:-}" ;; esac
	cmdline=$(printf '%s\n' "$line" | sed -e "s|\\\$M|$subject|g" -e "s|\\\$SUB|$sub|g" -e "s|\\\$CERT|$CERT|g" \
		-e "s|\\\$ENTRY|$ROOT/entry.md|g" -e "s|\\\$SCHOOLS|$ROOT/schools.csv|g" -e "s|\\\$PEOPLE|$ROOT/people.csv|g" \
		-e "s|\\\$REPO|$ROOT/fx-repo|g" -e "s|\\\$FORM|$ROOT/form.md|g" -e "s|\\\$NEWSITE|$ROOT/newsite|g" \
		-e "s|\\\$OUT|$ROOT/outdir|g" -e "s|\\\$ZIP|$ROOT/fx.zip|g")
	set -f
	# shellcheck disable=SC2086 # the command line is split into words on purpose
	set -- $cmdline
	set +f
	if [ -n "$as" ]; then set -- --as "$as" "$@"; fi
	FOLIO_TODAY=$today LOGNAME=$login "$FOLIO" --site "$W" "$@" >"$ROOT/out" 2>"$ROOT/err"
	rc=$?
	err=$(cat "$ROOT/err")
	new=$(audit_rows "$W")
	SEQ=$(cat "$ROOT/seq")
	site_state "$W" >"$ROOT/state.after"
	cmp -s "$ROOT/state.fixture" "$ROOT/state.after" && changed=0 || changed=1
	case $expect in
	allow)
		[ "$rc" -eq 0 ] && pass || { fail "exit $rc, expected 0 (stderr: $err)"; return; }
		# what it recorded is attributed to the actor
		bad=$(printf '%s\n' "$new" | grep -v -e '^$' -e "^$who$tab")
		[ -z "$bad" ] && pass || fail "audit rows not attributed to '$who': $bad"
		;;
	deny)
		[ "$rc" -eq 1 ] && pass || { fail "exit $rc, expected 1 (stdout: $(cat "$ROOT/out"); stderr: $err)"; return; }
		expect_one_line_err
		msg=${err#folio: }
		case $msg in *"may not "*) pass ;; *) fail "not a refusal of permission: $err" ;; esac
		[ "$new" = "$who${tab}denied$tab$msg" ] && pass ||
			fail "audit: expected one row '$who denied $msg', got: $new"
		[ $changed -eq 0 ] && pass ||
			fail "the refusal changed the site: $(diff "$ROOT/state.fixture" "$ROOT/state.after" | head -5)"
		;;
	refused)
		# not a matter of role: the command acts on the actor's own things, and they have none
		[ "$rc" -eq 1 ] && pass || { fail "exit $rc, expected 1 (stdout: $(cat "$ROOT/out"); stderr: $err)"; return; }
		expect_one_line_err
		msg=${err#folio: }
		case $new in "$who${tab}refused$tab"*"$msg") [ "$(printf '%s\n' "$new" | wc -l)" -eq 1 ] && pass ||
			fail "audit: more than one row: $new" ;;
		*) fail "audit: expected one row '$who refused ... $msg', got: $new" ;; esac
		[ $changed -eq 0 ] && pass ||
			fail "the refusal changed the site: $(diff "$ROOT/state.fixture" "$ROOT/state.after" | head -5)"
		;;
	*) fail "bad matrix value '$expect'" ;;
	esac
}

roles="mentor other reviewer chair lead admin admin-as unbound nonadmin-as"
rows=0
while IFS=$tab read -r cmd subject c1 c2 c3 c4 c5 c6 c7 c8 c9 extra; do
	case $cmd in '' | '#'*) continue ;; esac
	if [ -z "$c9" ] || [ -n "$extra" ]; then
		current="matrix: $cmd"; fail "a row needs a command, a subject and 9 columns"; continue
	fi
	[ -n "${PERMS_ONLY:-}" ] && ! printf '%s\n' "$cmd" | grep -q -- "$PERMS_ONLY" && continue
	rows=$((rows + 1))
	set -- $c1 $c2 $c3 $c4 $c5 $c6 $c7 $c8 $c9
	for role in $roles; do
		if [ "$1" != na ]; then
			check_cell "$role" "$1" "$subject" "$cmd" </dev/null
			[ $changed -eq 0 ] || fresh_copy
		fi
		shift
	done
done <"$MATRIX"

t "every command of 'folio help' has a row"
LOGNAME=adm "$FOLIO" help | sed -n 's/^  \([a-z][a-z-]*\( [a-z][a-z-]*\)\?\)  .*/\1/p' >"$ROOT/commands"
while read -r c; do
	grep -v '^#' "$MATRIX" | cut -f1 | sed 's/^@[0-9-]* //' | grep -q "^$c\( \|$\)" && pass || fail "no row for 'folio $c'"
done <"$ROOT/commands"
[ "$(wc -l <"$ROOT/commands")" -gt 40 ] && pass || fail "could not read the command list of 'folio help'"

t "docs/permissions.md is the matrix as rendered"
sh "$HERE/tests/perms/render.sh" | cmp -s - "$HERE/docs/permissions.md" && pass ||
	fail "docs/permissions.md differs from the matrix: run sh tests/perms/render.sh >docs/permissions.md"

echo "t_perms: $rows rows"
finish
