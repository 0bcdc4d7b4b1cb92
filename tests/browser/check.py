#!/usr/bin/env python3
# tests/browser/check.py: load packs and certificates in headless Chromium as a person would, and check
# that they make no network request, log no error, and show the evidence marks. Prints one line per check
# and "browser: N passed, M failed"; with --screenshots DIR it also writes PNG screenshots.
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402

passed = failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok - %s" % what)
    else:
        failed += 1
        print("FAIL - %s%s" % (what, (": " + detail) if detail else ""))


def js(b, expr):
    return json.loads(b.eval("JSON.stringify(%s)" % expr))


def clean_load(b, path, name):
    url = b.open(path)
    reqs, probs = b.requests(url), b.problems()
    check(not reqs, "%s: no network request" % name, ", ".join(reqs))
    check(not probs, "%s: no console error, exception or refusal" % name, " | ".join(probs))
    return url


def shot_of(b, path, selector, max_height=1700, pad=16):
    r = js(b, "(() => { const e = document.querySelector(%s); if (!e) return null;"
              " const r = e.getBoundingClientRect(); return [r.left, r.top + window.scrollY, r.width, r.height]; })()"
           % json.dumps(selector))
    if not r:
        check(False, "screenshot %s: %s is on the page" % (os.path.basename(path), selector))
        return
    x, y, w, h = r
    b.screenshot(path, clip={"x": max(0, x - pad), "y": max(0, y - pad), "width": w + 2 * pad,
                             "height": min(h + 2 * pad, max_height)})


def check_pack(b, path, shots):
    clean_load(b, path, "pack")
    header = js(b, "document.querySelector('header.pack h1').textContent")
    check(header.strip() != "", "pack: the header names the mentor", header)
    totals = js(b, "[...document.querySelectorAll('table.matrix tfoot td')].map(td => +td.dataset.total)")
    marks = js(b, "[...document.querySelectorAll('table.matrix tfoot td')].map((td, i) =>"
                  " document.querySelectorAll('.evidence.s' + (i + 1)).length)")
    check(len(totals) >= 4 and totals == marks,
          "pack: evidence blocks marked per standard equal the coverage totals", "%s vs %s" % (marks, totals))
    badges = js(b, "document.querySelectorAll('.entry .tag[data-tag]').length")
    check(badges > 0, "pack: tags are shown as badges (%d)" % badges)
    colours = js(b, "[...new Set([...document.querySelectorAll('.entry .tag[data-tag]')].map(t =>"
                    " getComputedStyle(t).backgroundColor))].length")
    check(colours >= 4, "pack: each standard's badges have their own colour (%d colours)" % colours)
    dangling = js(b, "[...document.querySelectorAll('table.matrix a[href^=\"#\"]')].filter(a =>"
                     " !document.getElementById(a.getAttribute('href').slice(1))).length")
    cells = js(b, "document.querySelectorAll('table.matrix a[href^=\"#e\"]').length")
    check(cells > 0 and dangling == 0, "pack: every matrix cell links to an evidence block (%d cells)" % cells,
          "%d dangling" % dangling)
    linked = js(b, "[...document.querySelectorAll('table.matrix td.cell[data-count]')].every(td => {"
                   " const a = td.querySelector('a'); const t = document.getElementById(a.getAttribute('href').slice(1));"
                   " return t && t.classList.contains('s' + td.dataset.std); })")
    check(linked, "pack: a cell's link lands on a block of that cell's standard")
    changes = js(b, "document.querySelector('#changes-summary') && document.querySelector('#changes-summary').textContent")
    check(bool(changes) and "added" in changes, "pack: a resubmission shows what changed", str(changes))
    fb = js(b, "[...document.querySelectorAll('#feedback tbody tr')].map(tr => tr.textContent)")
    check(len(fb) >= 1 and "F1" in fb[0], "pack: feedback items are listed with their status", str(fb[:1]))
    tl = js(b, "[document.querySelectorAll('ol.timeline li.commit').length,"
               " document.querySelectorAll('ol.timeline li.state').length]")
    check(tl[0] > 0 and tl[1] > 0, "pack: the timeline has commits and state changes (%s)" % tl)
    if shots:
        b.screenshot(os.path.join(shots, "pack-header.png"))
        shot_of(b, os.path.join(shots, "pack-coverage.png"), "#coverage")
        shot_of(b, os.path.join(shots, "pack-changes.png"), "#changes")
        shot_of(b, os.path.join(shots, "pack-feedback-timeline.png"), "#feedback")
        shot_of(b, os.path.join(shots, "pack-timeline.png"), "#timeline", 1100)
        best = js(b, "[...document.querySelectorAll('article.entry')].map(a => [a.id,"
                     " a.querySelectorAll('.evidence').length]).sort((x, y) => y[1] - x[1])[0][0]")
        shot_of(b, os.path.join(shots, "pack-entry.png"), "#" + best, 1900)


def check_panel(b, path, shots):
    clean_load(b, path, "panel index")
    links = js(b, "[...new Set([...document.querySelectorAll('table.queue a[href$=\".html\"]')].map(a =>"
                  " a.getAttribute('href')))]")
    rows = js(b, "document.querySelectorAll('table.queue tr.sub').length")
    missing = [l for l in links if not os.path.exists(os.path.join(os.path.dirname(path), l))]
    check(rows > 0 and len(links) == rows and not missing,
          "panel index: one linked page per submission (%d)" % rows, "missing %s" % missing)
    ready = js(b, "document.querySelectorAll('table.queue .pill.ready, table.queue .pill.not-ready').length")
    check(ready == rows, "panel index: each submission shows its readiness")
    if shots:
        shot_of(b, os.path.join(shots, "panel-index.png"), "body")


def check_cert(b, path, name, shots, revoked):
    clean_load(b, path, name)
    pages, _ = b.pdf_pages()
    check(pages == 1, "%s: prints on one page (%d)" % (name, pages))
    img = js(b, "(() => { const i = document.querySelector('.badge img'); return i &&"
                " [i.getAttribute('src').slice(0, 26), i.naturalWidth]; })()")
    check(bool(img) and img[0] == "data:image/svg+xml;base64," and img[1] > 0,
          "%s: the badge is inlined and drawn" % name, str(img))
    commit = js(b, "document.getElementById('commit').textContent")
    check(re.fullmatch(r"[0-9a-f]{40}", commit or "") is not None, "%s: the pinned commit is printed" % name, commit)
    stamp = js(b, "document.getElementById('revoked') && document.getElementById('revoked').textContent")
    if revoked:
        check(stamp == "REVOKED", "%s: marked REVOKED" % name, str(stamp))
    else:
        check(stamp is None, "%s: not marked revoked" % name)
    if shots:
        b.screenshot(os.path.join(shots, name.replace(" ", "-") + ".png"), full=True)


def check_hostile(b, path):
    url = b.open(path)
    reqs = b.requests(url)
    probs = b.problems()
    check(not reqs, "hostile entry: no network request (script, img, iframe, style, image by URL)", ", ".join(reqs))
    check(not probs, "hostile entry: nothing ran and nothing was refused", " | ".join(probs))
    found = js(b, "[document.querySelectorAll('.entry script, .entry iframe, .entry style').length,"
                  " document.querySelectorAll('img[src^=\"http\"], a[href^=\"javascript\"]').length,"
                  " document.title]")
    check(found[0] == 0 and found[1] == 0, "hostile entry: no raw HTML and no javascript: link in the DOM", str(found))
    check("pwned" not in found[2], "hostile entry: the page title is the pack's", found[2])
    code = js(b, "[...document.querySelectorAll('.entry code')].filter(c => c.textContent.includes('#S4')"
                 " && !c.querySelector('.tag')).length")
    check(code >= 1, "hostile entry: a tag inside a code span is not a badge")
    marks = js(b, "document.querySelectorAll('.evidence').length")
    check(marks >= 3, "hostile entry: its tagged blocks are still marked (%d)" % marks)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pack")
    ap.add_argument("--panel")
    ap.add_argument("--cert")
    ap.add_argument("--revoked")
    ap.add_argument("--hostile")
    ap.add_argument("--screenshots")
    ap.add_argument("--chromium", default=os.environ.get("CHROMIUM", "chromium"))
    a = ap.parse_args()
    if a.screenshots:
        os.makedirs(a.screenshots, exist_ok=True)
    try:
        b = cdp.Browser(a.chromium)
    except cdp.BrowserError as e:
        check(False, "start headless Chromium", str(e))
        print("browser: %d passed, %d failed" % (passed, failed))
        return 1
    try:
        if a.pack:
            check_pack(b, a.pack, a.screenshots)
        if a.panel:
            check_panel(b, a.panel, a.screenshots)
        if a.cert:
            check_cert(b, a.cert, "certificate", a.screenshots, False)
        if a.revoked:
            check_cert(b, a.revoked, "certificate revoked", a.screenshots, True)
        if a.hostile:
            check_hostile(b, a.hostile)
    except cdp.BrowserError as e:
        check(False, "talk to headless Chromium", str(e))
    finally:
        b.close()
    print("browser: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
