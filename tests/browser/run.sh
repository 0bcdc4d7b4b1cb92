#!/bin/sh
# tests/browser/run.sh FOLIO [SCREENSHOT_DIR]: run the demo year into a throw-away site, then pack Amara's
# resubmission, the spring panel, a certificate, a revoked certificate and a portfolio with hostile raw
# HTML, and load each in headless Chromium (check.py). Prints "browser: N passed, M failed".
set -u
FOLIO=${1:?usage: run.sh path/to/folio [screenshot-dir]}
SHOTS=${2:-}
HERE=$(cd "$(dirname "$0")/../.." && pwd)
ROOT=$(mktemp -d "${TMPDIR:-/tmp}/folio-browser-XXXXXX")
trap 'rm -rf "$ROOT"' EXIT
ME=${LOGNAME:-$(id -un)}
export LOGNAME=$ME FOLIO_SITE=$ROOT/site GIT_CONFIG_NOSYSTEM=1

broken() { echo "FAIL - set-up: $*"; echo "browser: 0 passed, 1 failed"; exit 1; }
must() { "$FOLIO" "$@" >"$ROOT/out" 2>&1 || broken "folio $*: $(cat "$ROOT/out")"; }

DEMO_SITE=$ROOT/site sh "$HERE/tests/demo.sh" "$FOLIO" >"$ROOT/demo.log" 2>&1 ||
	broken "the demo site could not be built: $(tail -3 "$ROOT/demo.log")"
export FOLIO_TODAY=2027-03-20

# Amara's resubmission (the spring one, with feedback item F1) and the spring panel
must submission list --mentor amara-okafor --json
A2=$(sed -n 's/^ *"id": \([0-9]*\),*$/\1/p' "$ROOT/out" | tail -1)
must pack "$A2" --out "$ROOT/out-pack"
must pack --panel 2027-spring --out "$ROOT/out-panel"

# a certificate, and one revoked
must cert list --json
AMARA_CERT=$(grep -o '"QMS-[0-9]*-[0-9]*"' "$ROOT/out" | sed -n 1p | tr -d '"')
BEN_CERT=$(grep -o '"QMS-[0-9]*-[0-9]*"' "$ROOT/out" | sed -n 2p | tr -d '"')
must cert print "$AMARA_CERT" --out "$ROOT/certificate.html"
must --as nadia-rahman cert revoke "$BEN_CERT" --reason "issued against the wrong portfolio by mistake"
must cert print "$BEN_CERT" --out "$ROOT/revoked.html"

# a portfolio whose entry tries everything a browser would run or fetch
must person add zoe-lee --name "Zoe Lee" --email zoe.lee@brookfield.example.org --role mentor --school brookfield
must --as zoe-lee portfolio create zoe-lee --qualification qms
cat >"$ROOT/hostile.md" <<'MD'
# Hostile content <script>document.title = "pwned"</script> #S1

<script>console.error("script ran"); document.title = "pwned";</script>

An inline <img src="http://example.invalid/track.png"> image and an <iframe src="https://example.invalid/"></iframe>. #S2

![a remote image](http://example.invalid/remote.png) and [a javascript link](javascript:alert(1)) and [a data link](data:text/html,hi). #S3.1

<style>body { background: url(http://example.invalid/bg.png) }</style>

- a tag in code, `#S4`, is no tag; this one is: #S4
MD
must --as zoe-lee entry add zoe-lee --date 2027-03-01 "$ROOT/hostile.md"
must pack zoe-lee --out "$ROOT/out-hostile"

python3 "$HERE/tests/browser/check.py" --pack "$ROOT/out-pack/submission-$A2.html" \
	--panel "$ROOT/out-panel/index.html" --cert "$ROOT/certificate.html" --revoked "$ROOT/revoked.html" \
	--hostile "$ROOT/out-hostile/portfolio-zoe-lee.html" ${SHOTS:+--screenshots "$SHOTS"}
