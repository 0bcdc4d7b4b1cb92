#!/bin/sh
# tests/cli/t_archive.sh: folio archive, archive verify, archive restore and --remove, on the demo's year
# (three certified portfolios, a resubmission, feedback), with unzip, git and crafted bad zips.
. "$(dirname "$0")/lib.sh"

# must LOGIN CMD...: a step of the set-up that has to work
must() {
	run "$@"
	[ "$rc" -eq 0 ] || { echo "set-up step failed: folio $*: $err"; finish; exit 1; }
}
# the commit of main of MENTOR in site DIR
tip() { LOGNAME=admin "$FOLIO" --site "$1" portfolio list --json | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    if p["mentor"] == sys.argv[1]: print(p["commit"])' "$2"; }
# the records that must survive a round trip, as JSON lines
records() {
	for c in "submission list" "cert list" "feedback amara-okafor" "feedback ben-hughes" "feedback claire-davies"; do
		# shellcheck disable=SC2086
		LOGNAME=admin "$FOLIO" --site "$1" $c --json
	done
	for id in 1 2 3 4; do LOGNAME=admin "$FOLIO" --site "$1" submission show $id --json; done
}
# craft OUT.zip from A.zip with Python's zipfile: python code in $2 edits the list `members` of (ZipInfo, bytes)
craft() {
	python3 - "$A" "$1" "$2" <<'EOF'
import sys, zipfile
src, out, code = sys.argv[1], sys.argv[2], sys.argv[3]
z = zipfile.ZipFile(src)
members = [(i, z.read(i.filename)) for i in z.infolist()]
def info(name, mode=0o100644):
    i = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    i.external_attr = mode << 16
    i.create_system = 3
    i.compress_type = zipfile.ZIP_DEFLATED
    return i
exec(code)
import warnings
warnings.simplefilter("ignore")
with zipfile.ZipFile(out, "w") as o:
    for i, data in members:
        o.writestr(i, data)
EOF
}
# bad archive BAD: verify names the problem; restore into site $T writes nothing
expect_refused() {
	run admin archive verify "$1"
	expect_rc 1; expect_err "$2"
	snapshot "$T" before
	run admin --site "$T" archive restore "$1"
	expect_rc 1; expect_err "nothing restored"; expect_one_line_err
	expect_unchanged "$T"
	[ -z "$(ls "$T/portfolios")" ] && [ ! -e "$ROOT/x" ] && [ ! -e /abs-folio-test ] && pass || fail "restore wrote files"
}

# ---------------------------------------------------------------- the demo's year
S=$ROOT/demo
DEMO_SITE=$S LOGNAME=admin sh "$HERE/tests/demo.sh" "$FOLIO" >"$ROOT/demo.log" 2>&1 || { echo "demo failed"; tail "$ROOT/demo.log"; exit 1; }
unset FOLIO_SITE
export FOLIO_TODAY=2027-03-20
A=$ROOT/a.zip

t "only an admin archives; the refusal is audited"
run amara --site "$S" archive amara-okafor --out "$A"
expect_rc 1; expect_err "person 'amara-okafor' may not archive portfolios: needs role admin"; expect_one_line_err
[ ! -e "$A" ] && pass || fail "a refused archive wrote $A"
run admin --site "$S" audit --json
expect_out "person 'amara-okafor' may not archive portfolios"

t "usage errors"
run admin --site "$S" archive amara-okafor
expect_rc 2; expect_err "needs --out FILE.zip"
run admin --site "$S" archive amara-okafor --all --out "$A"
expect_rc 2; expect_err "name the portfolios to archive"
run admin --site "$S" archive nobody --out "$A"
expect_rc 1; expect_err "nobody"; expect_one_line_err
run admin --site "$S" archive --certified-before 2027-13-01 --out "$A"
expect_rc 1; expect_err "invalid date '2027-13-01'"
run admin --site "$S" archive --certified-before 2020-01-01 --out "$A"
expect_rc 1; expect_err "no portfolio certified before 2020-01-01"
[ ! -e "$A" ] && pass || fail "a refused archive wrote $A"

t "archive --all: one zip that unzip, git and verify accept"
run admin --site "$S" archive --all --out "$A"
expect_rc 0; expect_out "archived 3 portfolios"; expect_out "to $A"
unzip -tq "$A" >/dev/null 2>&1 && pass || fail "unzip -t rejects $A"
ls "$ROOT"/.a.zip* >/dev/null 2>&1 && fail "temporary files left next to $A" || pass
mkdir -p "$ROOT/u" && (cd "$ROOT/u" && unzip -q "$A") || fail "cannot unzip"
for m in amara-okafor ben-hughes claire-davies; do
	for f in portfolio.bundle records.json pack.html; do
		[ -s "$ROOT/u/$m/$f" ] && pass || fail "no $m/$f"
	done
done
ls "$ROOT/u/amara-okafor/markdown/"*.md >/dev/null 2>&1 && pass || fail "no Markdown for amara-okafor"
t "the archived pack is the pack folio pack writes"
run admin --site "$S" pack amara-okafor --out "$ROOT/packout"
expect_rc 0
grep -q 'class="evidence s1' "$ROOT/u/amara-okafor/pack.html" && pass || fail "the archived pack has no evidence marks"
cmp -s "$ROOT/packout/$(ls "$ROOT/packout" | head -1)" "$ROOT/u/amara-okafor/pack.html" && pass || fail "archived pack differs from folio pack"
[ -s "$ROOT/u/amara-okafor/certificates/QMS-2027-0001/badge.svg" ] && pass || fail "no badge files"
git init -q "$ROOT/scratch"
git -C "$ROOT/scratch" bundle verify "$ROOT/u/amara-okafor/portfolio.bundle" >/dev/null 2>&1 && pass || fail "git bundle verify rejects the bundle"
git clone -q "$ROOT/u/amara-okafor/portfolio.bundle" "$ROOT/clone" 2>/dev/null && pass || fail "git clone of the bundle failed"
[ "$(git -C "$ROOT/clone" rev-parse HEAD)" = "$(tip "$S" amara-okafor)" ] && pass || fail "the clone's HEAD is not main"
[ "$(git -C "$ROOT/clone" rev-list --count HEAD)" = "$(git --git-dir "$S/portfolios/amara-okafor.git" rev-list --count main)" ] \
	&& pass || fail "the clone lacks history"
python3 - "$ROOT/u" <<'EOF' && pass || fail "manifest.json does not describe every member"
import hashlib, json, os, sys
root = sys.argv[1]
m = json.load(open(os.path.join(root, "manifest.json")))
assert m["format"] == "folio-archive" and m["folio_version"] and m["created"]
assert [p["mentor"] for p in m["portfolios"]] == ["amara-okafor", "ben-hughes", "claire-davies"]
on_disk = set()
for d, _, files in os.walk(root):
    for f in files:
        on_disk.add(os.path.relpath(os.path.join(d, f), root))
listed = {e["name"]: e for e in m["members"]}
assert on_disk - {"manifest.json"} == set(listed), on_disk ^ set(listed)
for name, e in listed.items():
    data = open(os.path.join(root, name), "rb").read()
    assert len(data) == e["size"] and hashlib.sha256(data).hexdigest() == e["sha256"], name
EOF
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["mentor"] == "amara-okafor"
assert [s["id"] for s in r["submission"]] == [1, 3]
assert len(r["submission_history"]) >= 4 and r["feedback"] and r["judgement"] and r["certificate"]
assert any(a["action"] == "certificate.issue" for a in r["audit"])
' "$ROOT/u/amara-okafor/records.json" && pass || fail "records.json lacks the records"

t "an existing zip is kept unless --force"
cksum "$A" >"$ROOT/a.sum"
run admin --site "$S" archive ben-hughes --out "$A"
expect_rc 1; expect_err "already exists: use --force"; expect_one_line_err
cksum "$A" | cmp -s - "$ROOT/a.sum" && pass || fail "$A changed"
run admin --site "$S" archive ben-hughes --out "$ROOT/ben.zip" --json
expect_rc 0; expect_out '"portfolios": \[' ; expect_out '"ben-hughes"'
run admin --site "$S" archive ben-hughes --out "$ROOT/ben.zip" --force
expect_rc 0; expect_out "archived 1 portfolio "

t "--certified-before picks holders of certificates issued before the date"
run admin --site "$S" archive --certified-before 2099-01-01 --out "$ROOT/cert.zip" --json
expect_rc 0; expect_out '"amara-okafor"'; expect_out '"claire-davies"'
run admin --site "$S" audit --json
expect_out '"archive.write"'

# ---------------------------------------------------------------- verify
t "verify: a good archive"
run admin archive verify "$A"
expect_rc 0; expect_out "archive $A verified: 3 portfolios"; expect_out "amara-okafor"
run admin archive verify "$A" --json
expect_rc 0; expect_out '"valid": true'; expect_out '"problems": \[\]'

T=$ROOT/target
must admin init "$T" --name "Tess Target" --email tess@target.example.org

t "verify and restore refuse a flipped byte"
python3 - "$A" "$ROOT/flip.zip" <<'EOF'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
at = data.index(b"PACK") + 200  # inside amara-okafor's stored bundle
data[at] ^= 0x01
open(sys.argv[2], "wb").write(data)
EOF
expect_refused "$ROOT/flip.zip" "amara-okafor/portfolio.bundle"

t "verify and restore refuse a truncated file"
head -c $(($(wc -c <"$A") / 2)) "$A" >"$ROOT/trunc.zip"
expect_refused "$ROOT/trunc.zip" "not a zip archive, or a damaged one"

t "verify and restore refuse a missing member"
craft "$ROOT/missing.zip" 'members = [m for m in members if m[0].filename != "ben-hughes/records.json"]'
expect_refused "$ROOT/missing.zip" "member 'ben-hughes/records.json' is in the manifest but missing"

t "verify and restore refuse an extra member"
craft "$ROOT/extra.zip" 'members.append((info("ben-hughes/markdown/extra.md"), b"# extra\n"))'
expect_refused "$ROOT/extra.zip" "member 'ben-hughes/markdown/extra.md' is not in the manifest"

t "verify and restore refuse zip slip: ../x, /abs, a symlink, duplicates"
craft "$ROOT/dotdot.zip" 'members.append((info("../x"), b"x"))'
expect_refused "$ROOT/dotdot.zip" "member '../x' has a '.' or '..' path component: refused"
craft "$ROOT/abs.zip" 'members.append((info("/abs-folio-test"), b"x"))'
expect_refused "$ROOT/abs.zip" "member '/abs-folio-test' has an absolute path: refused"
craft "$ROOT/link.zip" '
members = [(info(i.filename, 0o120777), d) if i.filename == "ben-hughes/pack.html" else (i, d) for i, d in members]'
expect_refused "$ROOT/link.zip" "member 'ben-hughes/pack.html' is a symbolic link: refused"
craft "$ROOT/dup.zip" 'members.append((info("ben-hughes/records.json"), b"{}"))'
expect_refused "$ROOT/dup.zip" "member 'ben-hughes/records.json' appears more than once"

t "verify and restore refuse a zip bomb"
craft "$ROOT/bomb.zip" 'members.append((info("ben-hughes/markdown/bomb.md"), b"\0" * (64 << 20)))'
[ "$(wc -c <"$ROOT/bomb.zip")" -lt $((4 << 20)) ] && pass || fail "the bomb is not small"
expect_refused "$ROOT/bomb.zip" "archive refused as a zip bomb: member 'ben-hughes/markdown/bomb.md' expands"

t "verify lists every problem, one line each"
craft "$ROOT/many.zip" '
members = [m for m in members if m[0].filename != "ben-hughes/records.json"]
members.append((info("amara-okafor/markdown/extra.md"), b"x"))'
run admin archive verify "$ROOT/many.zip"
expect_rc 1
[ "$(printf '%s\n' "$err" | grep -c '^folio: archive ')" -ge 2 ] && pass || fail "not every problem listed: $err"
run admin archive verify "$ROOT/nothing.zip"
expect_rc 1; expect_err "no archive"; expect_one_line_err

# ---------------------------------------------------------------- restore
t "only an admin restores"
run amara --site "$T" archive restore "$A"
expect_rc 1; expect_err "may not restore archives"

t "restore into a fresh site: same commits, same records"
run admin --site "$T" archive restore "$A"
expect_rc 0; expect_out "restored portfolio amara-okafor"; expect_out "restored portfolio claire-davies"
for m in amara-okafor ben-hughes claire-davies; do
	[ "$(tip "$T" $m)" = "$(tip "$S" $m)" ] && pass || fail "$m's main differs after restore"
done
records "$S" >"$ROOT/rec.src"; records "$T" >"$ROOT/rec.dst"
cmp -s "$ROOT/rec.src" "$ROOT/rec.dst" && pass || fail "records differ after restore: $(diff "$ROOT/rec.src" "$ROOT/rec.dst" | head -5)"
for n in QMS-2027-0001 QMS-2027-0002 QLMS-2027-0001; do
	run admin --site "$T" cert verify $n
	expect_rc 0
done
run admin --site "$T" person list --json
expect_out '"amara-okafor"'; expect_out '"nadia-rahman"'
run admin --site "$T" audit --json
expect_out '"archive.restore"'
ls "$T/restored-audit/amara-okafor-"*.json >/dev/null 2>&1 && pass || fail "no restored audit rows"
run admin --site "$T" audit verify
expect_rc 0

t "restore again: refused without --force, nothing changed; --force replaces"
snapshot "$T" before
run admin --site "$T" archive restore "$A"
expect_rc 1; expect_err "portfolio 'amara-okafor' already exists in site '$T': use --force"; expect_one_line_err
expect_unchanged "$T"
run admin --site "$T" archive restore "$A" --force --json
expect_rc 0; expect_out '"mentor": "ben-hughes"'
records "$T" >"$ROOT/rec.dst"
cmp -s "$ROOT/rec.src" "$ROOT/rec.dst" && pass || fail "records differ after a forced restore"

# ---------------------------------------------------------------- remove
t "--remove: the portfolio leaves the site once its archive verified"
run admin --site "$S" archive amara-okafor --out "$ROOT/rm.zip" --remove
expect_rc 0; expect_out "removed 1 portfolio from the site after the archive verified"
[ ! -e "$S/portfolios/amara-okafor.git" ] && pass || fail "the repository is still there"
run admin --site "$S" portfolio list --json
expect_no_out '"amara-okafor"'
run admin --site "$S" submission list --json
expect_no_out '"amara-okafor"'
[ -s "$S/certificates/QMS-2027-0001/badge.svg" ] && pass || fail "the hosted badge files went"
run admin --site "$S" person list --json
expect_out '"amara-okafor"'
run admin --site "$S" audit --json
expect_out '"portfolio.remove"'
run admin --site "$S" audit verify
expect_rc 0

t "restore into the same site after --remove"
run admin --site "$S" archive restore "$ROOT/rm.zip"
expect_rc 0; expect_out "restored portfolio amara-okafor"
records "$S" >"$ROOT/rec.back"
cmp -s "$ROOT/rec.src" "$ROOT/rec.back" && pass || fail "records differ after remove and restore: $(diff "$ROOT/rec.src" "$ROOT/rec.back" | head -5)"
[ "$(tip "$S" amara-okafor)" = "$(tip "$T" amara-okafor)" ] && pass || fail "amara-okafor's main differs"
run admin --site "$S" cert verify QMS-2027-0001
expect_rc 0

# ---------------------------------------------------------------- a large artefact
# peak RSS in MiB of folio as admin running ARGS, from GNU time; empty without it
peak_mib() {
	if [ -x /usr/bin/time ]; then
		LOGNAME=admin /usr/bin/time -f '%M' -o "$ROOT/time" "$FOLIO" "$@" >"$ROOT/out" 2>"$ROOT/err"
		rc=$?
		mib=$(($(tail -1 "$ROOT/time") / 1024))
	else
		run admin "$@"
		mib=""
	fi
}
# the resident size stays under $1 MiB (when GNU time is there to tell)
expect_peak_under() { [ -z "$mib" ] || [ "$mib" -le "$1" ] && pass || fail "peak RSS $mib MiB, expected at most $1"; }

t "a portfolio with a 100 MB artefact pushed with git: archive, verify and restore work in bounded memory"
L=$ROOT/large
must admin init "$L" --name "Lee Large" --email lee@large.example.org
must admin --site "$L" person add lara --name Lara --email lara@large.example.org --role mentor
must admin --site "$L" --as lara portfolio create lara --qualification qms
git clone -q "$L/portfolios/lara.git" "$ROOT/lw" 2>/dev/null
head -c 100000000 /dev/urandom >"$ROOT/lw/recording.bin"
printf '# The recording\n\nSee [the recording](recording.bin). #S1\n' >"$ROOT/lw/2026-09-01-recording.md"
(cd "$ROOT/lw" && git add . && git commit -q -m recording && git push -q origin HEAD:main) || fail "cannot push the artefact"
rm -rf "$ROOT/lw"
peak_mib --site "$L" archive lara --out "$ROOT/large.zip"
expect_rc 0; expect_peak_under 64
peak_mib archive verify "$ROOT/large.zip"
expect_rc 0
# folio's own memory stays small; libgit2 1.5's indexer keeps the pack's pages mapped (bench/README.md)
expect_peak_under 160
must admin init "$ROOT/large-t" --name "Lee Large" --email lee@large.example.org
peak_mib --site "$ROOT/large-t" archive restore "$ROOT/large.zip"
expect_rc 0; expect_peak_under 160
[ "$(git --git-dir="$ROOT/large-t/portfolios/lara.git" rev-parse main:recording.bin)" = \
  "$(git --git-dir="$L/portfolios/lara.git" rev-parse main:recording.bin)" ] && pass || fail "the artefact differs after restore"
git --git-dir="$ROOT/large-t/portfolios/lara.git" fsck --no-progress >/dev/null 2>&1 && pass || fail "git fsck rejects the restored repository"

finish
