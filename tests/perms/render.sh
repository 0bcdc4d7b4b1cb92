#!/bin/sh
# tests/perms/render.sh: print docs/permissions.md from tests/perms/matrix.tsv and the fixture's description
# (tests/cli/t_perms.sh checks that the committed file is this output). Usage: sh tests/perms/render.sh >docs/permissions.md
dir=$(dirname "$0")
cat <<'MD'
# Who may run what

This is the permissions matrix of every `folio` command, as the engine enforces it. It is generated
from `tests/perms/matrix.tsv` by `sh tests/perms/render.sh >docs/permissions.md`, and
`tests/cli/t_perms.sh` runs every cell of that table against a site with one mentor at each stage of
the workflow (`tests/perms/fixture.sh`): an allowed command must succeed and be attributed to the actor
in the audit log; a refused one must exit 1 with one line `folio: person 'X' may not …` (or `login 'X'
is not bound to a person …`), add exactly one `denied` row with that text to the audit log (`folio
audit`), and change nothing else in the site.

**Actors** (columns):

| column | who |
| --- | --- |
| mentor | the mentor the command is about (the *subject*), acting themself |
| other | another mentor |
| reviewer | a reviewer (role reviewer only) assigned to every submission under review |
| chair | a lead who chairs the panels |
| lead | a lead with no panel to chair |
| admin | an admin (role admin only) |
| admin --as | the admin acting as the subject with `--as` |
| unbound | a login bound to no person of the site |
| non-admin --as | a lead trying `--as` (as the subject, or as the admin when there is none) |

**Cells:** **yes** allowed; no: refused for want of permission (audited as `denied`); own: refused because the
command works on the actor's own things and they have none (`feedback address F1` names the actor's own item
F1; audited as `refused`); –: does not apply.

Being allowed is not seeing everything: `submission list`, `cert list` and `panel show` show a mentor
only their own submissions, certificates and availability; `review show` shows an assigned reviewer only
their own judgements until their review is done. `init`, `standards` and `lint FILE` use no site's
people, so they ignore `--as`.

**Subjects** (the fixture):

```
MD
sed -n '/^#   /s/^#   //p' "$dir/fixture.sh"
cat <<'MD'
```

MD
awk -F '\t' '
function cell(v) { return v == "allow" ? "**yes**" : v == "deny" ? "no" : v == "refused" ? "own" : "–" }
/^#/ || NF == 0 { next }
{
	cmd = $1
	sub(/^@[0-9-]* /, "", cmd)
	gsub(/\$M/, ($2 == "rex" || $2 == "lee") ? "PERSON" : "MENTOR", cmd)
	gsub(/\$SUB/, "SUBMISSION", cmd); gsub(/\$CERT/, "NUMBER", cmd); gsub(/\$ENTRY/, "FILE.md", cmd)
	gsub(/\$SCHOOLS|\$PEOPLE/, "FILE.csv", cmd); gsub(/\$REPO/, "PATH", cmd); gsub(/\$FORM/, "FORM.md", cmd)
	gsub(/\$NEWSITE/, "DIR", cmd)
	if (!header++) {
		print "| command | subject | mentor | other | reviewer | chair | lead | admin | admin --as | unbound | non-admin --as |"
		print "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
	}
	line = "| `" cmd "` | " ($2 == "-" ? "" : $2)
	for (i = 3; i <= 11; i++) line = line " | " cell($i)
	print line " |"
}' "$dir/matrix.tsv"
