/* tests/unit/test_pack.c: portfolio and panel packs, evidence marks and badges, safety of entries, permissions, certificates. */
#define _GNU_SOURCE /* sched_setaffinity */
#include "support.h"

#include "folio.h"
#include "pack_internal.h"
#include "site_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/stat.h>

#define ADMIN_LOGIN "adm-login"

typedef struct {
	char *box, *dir;
	folio_site *site;
	char c1[41], c2[41];
} fx;

static void assert_lacks(const char *hay, const char *needle)
{
	if (hay && strstr(hay, needle))
		fail_msg("did not expect \"%s\" in the page", needle);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0, len = strlen(needle);
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += len)
		n++;
	return n;
}

/* Evidence blocks whose class list holds `cls` ("s2"). */
static size_t count_marked(const char *html, const char *cls)
{
	size_t n = 0;
	for (const char *p = html; (p = strstr(p, "<div class=\"evidence")) != NULL; p++) {
		const char *end = strchr(p + 12, '"');
		char *classes = strndup(p + 12, (size_t)(end - (p + 12)));
		char *word = fmt(" %s ", cls), *padded = fmt("%s ", classes);
		if (strstr(padded, word))
			n++;
		free(word);
		free(padded);
		free(classes);
	}
	return n;
}

static long long audit_denials(fx *f, const char *like)
{
	sqlite3_stmt *st = NULL;
	long long n = -1;
	char *pattern = fmt("%%%s%%", like);
	if (sqlite3_prepare_v2(f->site->db, "SELECT count(*) FROM audit WHERE action = 'denied' AND detail LIKE ?1", -1, &st,
		NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, pattern, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	free(pattern);
	return n;
}

static void add_person(folio_site *site, const char *id, const char *name, const char *school, unsigned roles)
{
	char *email = fmt("%s@example.org", id), *login = fmt("%s-login", id);
	folio_person p = { 0 };
	p.id = (char *)id;
	p.name = (char *)name;
	p.email = email;
	p.login = login;
	p.school = (char *)school;
	p.roles = roles;
	if (folio_person_add(site, &p) != 0)
		fail_msg("person add %s: %s", id, folio_error_last());
	free(email);
	free(login);
}

static void act(fx *f, const char *who)
{
	char *login = strcmp(who, "adm") == 0 ? strdup(ADMIN_LOGIN) : fmt("%s-login", who);
	if (folio_site_act(f->site, login, NULL) != 0)
		fail_msg("act as %s: %s", who, folio_error_last());
	free(login);
}

static void entry(fx *f, const char *mentor, const char *title, const char *date, const char *text, char commit[41])
{
	folio_entry_options o = { title, date };
	char *path = NULL;
	act(f, mentor);
	if (folio_entry_add(f->site, mentor, text, strlen(text), &o, &path, commit) != 0)
		fail_msg("entry add for %s: %s", mentor, folio_error_last());
	free(path);
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	f->box = test_tmpdir("pack");
	f->dir = fmt("%s/site", f->box);
	if (test_site_create(&f->site, f->dir, ADMIN_LOGIN) != 0)
		return -1;
	folio_school s1 = { (char *)"brook", (char *)"Brookfield Primary", FOLIO_PHASE_PRIMARY };
	if (folio_school_add(f->site, &s1) != 0)
		return -1;
	add_person(f->site, "ann", "Ann Example", "brook", FOLIO_ROLE_MENTOR);
	add_person(f->site, "bob", "Bob Builder", "brook", FOLIO_ROLE_MENTOR);
	add_person(f->site, "r1", "Rhea One", NULL, FOLIO_ROLE_REVIEWER);
	add_person(f->site, "r2", "Rory Two", NULL, FOLIO_ROLE_REVIEWER);
	add_person(f->site, "lea", "Lee Chair", NULL, FOLIO_ROLE_LEAD | FOLIO_ROLE_REVIEWER);
	act(f, "adm");
	if (folio_portfolio_create(f->site, "ann", "QMS") != 0 || folio_portfolio_create(f->site, "bob", "QMS") != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	if (!f)
		return 0;
	folio_site_free(f->site);
	test_rmdir(f->box);
	free(f->box);
	free(f->dir);
	free(f);
	return 0;
}

static const char RICH[] =
	"# Week one with my trainee\n\n"
	"We met on Monday and set targets together. #S1 #S2.3\n\n"
	"- I modelled the starter #S2\n"
	"  - and she tried it herself #S2.4\n"
	"- She asked about marking: `#S3` in code is no tag, nor is [this](http://example.org/#S4)\n\n"
	"```\n#S1 in a code block\n```\n\n"
	"## Safeguarding #S3\n\n"
	"A pupil disclosed and I followed the policy.\n\n"
	"### Afterwards\n\nWe talked it through. #S3.1\n\n"
	"## Reading #s4\n\nI read about feedback.\n";

/* Ann's portfolio: RICH plus a short entry with every standard, so she is ready. */
static void ann_entries(fx *f)
{
	entry(f, "ann", "Week one with my trainee", "2026-09-10", RICH, f->c1);
	entry(f, "ann", "More", "2026-09-20",
		"# More\n\nTargets again, and patience. #S1\n\nA lesson on fractions. #S2\n\n"
		"Professional conduct at parents evening. #S3\n\nMentor training day. #S4\n", f->c1);
}

/* ------------------------------------------------------------ what a reader notices */

static void test_badges_marks_and_matrix(void **state)
{
	fx *f = *state;
	char *html = NULL;
	size_t len = 0;
	folio_coverage *cov = NULL;

	ann_entries(f);
	act(f, "adm");
	assert_ok(folio_pack_render(&html, &len, f->site, "ann"));
	assert_int_equal(len, strlen(html));
	/* a badge for each tag, of its standard's colour, tags in code and link destinations left alone */
	assert_int_equal(count(html, "data-tag=\"S2.3\""), 1);
	assert_int_equal(count(html, "data-tag=\"S2.4\""), 1);
	assert_int_equal(count(html, "data-tag=\"S3.1\""), 1);
	assert_int_equal(count(html, "data-tag=\"S4\""), 2); /* "#s4" is read as S4 too */
	assert_has(html, "<span class=\"tag s2\" data-tag=\"S2.3\"");
	assert_has(html, "<span class=\"tag s4\" data-tag=\"S4\"");
	assert_has(html, "<code>#S3</code>");
	assert_has(html, "http://example.org/#S4");
	assert_has(html, "#S1 in a code block");
	assert_lacks(html, "#S2 in a code block");
	/* evidence blocks per standard and the matrix totals both equal the coverage */
	act(f, "adm");
	assert_ok(folio_coverage_get(&cov, f->site, "ann", NULL));
	for (size_t s = 0; s < 4; s++) {
		char cls[8], *total = fmt("data-std=\"%zu\" data-total=\"%zu\"", s + 1, cov->standards[s].evidence);
		snprintf(cls, sizeof(cls), "s%zu", s + 1);
		if (count_marked(html, cls) != cov->standards[s].evidence)
			fail_msg("%zu blocks marked %s, coverage says %zu", count_marked(html, cls), cls, cov->standards[s].evidence);
		assert_has(html, total);
		free(total);
	}
	/* every unit was found in the tree: no stand-in anchors */
	assert_lacks(html, "<span id=\"e1-u");
	/* a matrix cell links to the first S2 block of the first entry */
	assert_has(html, "href=\"#e2-u0\"");
	assert_has(html, "id=\"e2-u0\"");
	assert_has(html, cov->ready ? "<span class=\"pill ready\" id=\"readiness\">" : "<span class=\"pill not-ready\" id=\"readiness\">");
	for (size_t i = 0; i < cov->nmissing; i++)
		assert_has(html, cov->missing[i]);
	assert_has(html, "Brookfield Primary");
	assert_has(html, "Qualified Mentor Status (QMS)");
	assert_has(html, "none yet");
	folio_coverage_free(cov);
	free(html);
}

static void test_raw_html_never_passes(void **state)
{
	fx *f = *state;
	char *html = NULL, c[41];
	entry(f, "bob", "Tricks", "2026-09-12",
		"# Tricks & \"quotes\" <em>here</em>\n\n<script>alert(1)</script>\n\n"
		"Inline <img src=\"http://example.invalid/t.png\"> and <iframe src=\"https://example.invalid/\"></iframe> #S1\n\n"
		"[click](javascript:alert(1)) ![remote](http://example.invalid/r.png) #S2\n", c);
	act(f, "adm");
	assert_ok(folio_pack_render(&html, NULL, f->site, "bob"));
	assert_lacks(html, "<script");
	assert_lacks(html, "<iframe");
	assert_lacks(html, "src=\"http");
	assert_lacks(html, "javascript:");
	assert_lacks(html, "<em>here</em>");
	assert_has(html, "raw HTML omitted");
	/* the image by URL is a note with its address, never an <img> */
	assert_has(html, "[image: remote \xe2\x80\x94 http://example.invalid/r.png]");
	/* the title, from the user, is escaped wherever it appears */
	assert_has(html, "Tricks &amp; &quot;quotes&quot;");
	/* and the page itself forbids every request */
	assert_has(html, "Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\"");
	assert_lacks(html, "<script");
	free(html);
}

/* Marks land on the right blocks however the Markdown nests them. */
static void test_marks_on_nested_blocks(void **state)
{
	fx *f = *state;
	static const char *const cases[] = {
		"- - inner item #S1\n- outer #S2\n",
		"- # Heading in an item #S2\n  text under it #S1\n",
		"# Section #S1\n\n- item #S1 #S2\n  - deeper #S1.2\n\n## Sub #S3\n\ntext\n\n# Next\n\npara #S4\n",
		"> quoted paragraph #S3\n>\n> - quoted item #S4.1\n",
		"Para one #S1\nstill para one #S2\n\nPara two *with #S3 in emphasis*\n",
		"# A #S1\n\n## B #S1.1\n\n### C #S2\n\ntext\n",
	};
	const folio_framework *fw = folio_site_framework(f->site);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		folio_doc *doc = NULL;
		folio_buf b = FOLIO_BUF_INIT;
		folio_pack_marks marks = { 0, NULL };
		assert_ok(folio_doc_analyze(&doc, fw, cases[i], strlen(cases[i])));
		assert_true(doc->nunits > 0);
		folio_pack_entry_html(&b, fw, doc, cases[i], strlen(cases[i]), "e1", NULL, NULL, &marks);
		assert_int_equal(marks.nunits, doc->nunits);
		for (size_t u = 0; u < marks.nunits; u++)
			if (!marks.placed[u])
				fail_msg("case %zu: unit %zu (line %u) not placed:\n%s", i, u, doc->units[u].line, b.ptr);
		if (count(b.ptr, "<div class=\"evidence") != doc->nunits || count(b.ptr, "</div>") != doc->nunits)
			fail_msg("case %zu: %zu units, page:\n%s", i, doc->nunits, b.ptr);
		free(marks.placed);
		folio_buf_free(&b);
		folio_doc_free(doc);
	}
}

/* Panels, a first submission of ann with further evidence asked on S3 (F1), and her resubmission 2. */
static void resubmission(fx *f)
{
	ann_entries(f);
	act(f, "adm");
	test_sqlf(f->site, "INSERT INTO panel(id, year, term, date, deadline, state, chair) VALUES"
		" ('2026-autumn', 2026, 'autumn', '2026-11-18', '2026-10-28', 'assigned', 'lea'),"
		" ('2027-spring', 2026, 'spring', '2027-03-17', '2027-02-24', 'assigned', NULL)");
	test_sqlf(f->site, "INSERT INTO submission(id, mentor, qualification, panel, commit_id, state, created) VALUES"
		" (1, 'ann', 'QMS', '2026-autumn', '%s', 'in-review', '2026-10-01T10:00:00Z')", f->c1);
	test_sqlf(f->site, "INSERT INTO assignment(submission, reviewer) VALUES (1, 'r1'), (1, 'r2')");
	static const char *const std[] = { "S1", "S2", "S3", "S4" };
	for (int r = 1; r <= 2; r++) {
		act(f, r == 1 ? "r1" : "r2");
		for (int s = 0; s < 4; s++)
			assert_ok(folio_review_record(f->site, 1, std[s], s == 2 ? "more-evidence" : "met",
				s == 2 ? "Show <how> you followed up the disclosure" : NULL));
		assert_ok(folio_review_done(f->site, 1));
	}
	act(f, "adm");
	assert_ok(folio_panel_conclude(f->site, "2026-autumn"));
	/* a new entry for F1 and a changed one, through plain git */
	entry(f, "ann", "Following up", "2026-10-30",
		"# Following up\n\nI met the DSL with my trainee and we followed the disclosure up. #S3.4 #F1\n", f->c2);
	sh("cd '%s' && git clone -q '%s/portfolios/ann.git' w 2>/dev/null && cd w && "
	   "printf '\\nAfter the panel I added what happened next. #S3\\n' >> 2026-09-20-more.md && "
	   "git -c user.name=Ann -c user.email=ann@example.org commit -q -am 'Say what happened next' && "
	   "git push -q origin HEAD:main 2>/dev/null && git rev-parse HEAD > ../head", f->box, f->dir);
	char *head_path = fmt("%s/head", f->box), *head = test_read(head_path, NULL);
	snprintf(f->c2, sizeof(f->c2), "%.40s", head);
	free(head);
	free(head_path);
	act(f, "adm");
	test_sqlf(f->site, "INSERT INTO submission(id, mentor, qualification, panel, commit_id, previous, state, created) VALUES"
		" (2, 'ann', 'QMS', '2027-spring', '%s', 1, 'in-review', '2027-02-01T10:00:00Z')", f->c2);
	test_sqlf(f->site, "INSERT INTO assignment(submission, reviewer) VALUES (2, 'r1')");
}

static void test_resubmission_changes_and_feedback(void **state)
{
	fx *f = *state;
	char *html = NULL;
	resubmission(f);
	act(f, "r1");
	assert_ok(folio_pack_render(&html, NULL, f->site, "2"));
	assert_has(html, "Changes since submission 1");
	assert_has(html, "<strong id=\"changes-summary\">1 added, 1 changed, 0 removed</strong>");
	assert_has(html, "2026-10-30-following-up.md");
	/* a readable diff of the changed entry */
	assert_has(html, "What changed in 2026-09-20-more.md");
	assert_has(html, "<span class=\"add\">+ After the panel I added what happened next. #S3</span>");
	/* S3 gained two blocks */
	assert_has(html, "<td class=\"num gain-pos\">+2</td>");
	/* F1, raised at submission 1, addressed by the tagged entry; the reviewers' words escaped */
	assert_has(html, "<tr id=\"f1\"><td><strong>F1</strong>");
	assert_has(html, "Show &lt;how&gt; you followed up the disclosure");
	assert_has(html, "status-addressed");
	/* the timeline: the commits and the submissions' state changes */
	assert_has(html, "Say what happened next");
	assert_has(html, "Submission 1 <span class=\"pill state-further-evidence\">further evidence</span>");
	assert_has(html, "resubmission of 1");
	free(html);

	/* a mentor target means their latest submission */
	act(f, "ann");
	assert_ok(folio_pack_render(&html, NULL, f->site, "ann"));
	assert_has(html, "<span id=\"submission\">2</span>");
	free(html);
}

/* A pack never shows an analysis cached under a framework since changed: the cache is dropped and refilled first. */
static void test_stale_cache_never_shown(void **state)
{
	fx *f = *state;
	char *fresh = NULL, *html = NULL;
	folio_coverage *before = NULL, *after = NULL;

	ann_entries(f);
	act(f, "adm");
	assert_ok(folio_pack_render(&fresh, NULL, f->site, "ann"));
	assert_ok(folio_coverage_get(&before, f->site, "ann", f->c1));
	/* each of the two entries' cached analyses replaced by the first one's */
	test_sqlf(f->site, "UPDATE blob_cache SET data = (SELECT data FROM blob_cache ORDER BY oid LIMIT 1)");
	/* under the same framework the cache is trusted (the blob ids are the same): so this test can fail */
	assert_ok(folio_pack_render(&html, NULL, f->site, "ann"));
	if (strcmp(html, fresh) == 0)
		fail_msg("a pack read through the altered cache should differ");
	free(html);
	/* the framework the cache was filled under is no longer the site's */
	test_sqlf(f->site, "UPDATE meta SET value = 'a framework since replaced' WHERE key = 'cache_framework'");
	assert_ok(folio_coverage_get(&after, f->site, "ann", f->c1));
	for (size_t s = 0; s < 4; s++) {
		assert_int_equal(after->standards[s].evidence, before->standards[s].evidence);
		assert_int_equal(after->standards[s].words, before->standards[s].words);
	}
	test_sqlf(f->site, "UPDATE blob_cache SET data = (SELECT data FROM blob_cache ORDER BY oid LIMIT 1)");
	test_sqlf(f->site, "UPDATE meta SET value = 'a framework since replaced' WHERE key = 'cache_framework'");
	assert_ok(folio_pack_render(&html, NULL, f->site, "ann"));
	assert_string_equal(html, fresh);
	free(html);
	free(fresh);
	folio_coverage_free(before);
	folio_coverage_free(after);
}

/* Ann's entries pushed with git: `files` is a shell script run in her clone before the commit. */
static void push(fx *f, const char *files)
{
	sh("cd '%s' && rm -rf w && git clone -q '%s/portfolios/ann.git' w 2>/dev/null && cd w && %s && git add -A && "
	   "git -c user.name=Ann -c user.email=ann@example.org commit -q -m 'Entries with pictures' && "
	   "git push -q origin HEAD:main 2>/dev/null", f->box, f->dir, files);
}

/* The page is the same byte for byte whether its entries are rendered on one thread or two. */
static void test_images_and_one_or_two_threads(void **state)
{
	fx *f = *state;
	char *two = NULL, *one = NULL;
	cpu_set_t all, first;

	ann_entries(f);
	/* a picture of the portfolio's own in each of eight entries, and pictures that are not shown */
	push(f, "mkdir -p img && printf '\\211PNG\\r\\n\\032\\nfolio' > img/plan.png && "
		"head -c 5000000 /dev/zero > img/big.png && "
		"for i in 1 2 3 4 5 6 7 8; do printf '# Picture %s\\n\\n![seating plan](img/plan.png) #S1\\n' $i "
		"> 2026-10-0$i-picture.md; done && "
		"printf '# Others\\n\\n![up](../outside.png) ![huge](img/big.png) ![none](img/none.png) #S2\\n' > 2026-10-09-others.md");
	act(f, "adm");
	assert_ok(folio_pack_render(&two, NULL, f->site, "ann"));
	/* 8 entries with the picture inlined (data: only, never fetched); the others named, not shown */
	assert_int_equal(count(two, "src=\"data:image/png;base64,iVBORw0KGgpmb2xpbw==\""), 8);
	assert_has(two, "[image: up \xe2\x80\x94 ../outside.png]");
	assert_has(two, "[image: huge \xe2\x80\x94 img/big.png]");
	assert_has(two, "[image: none \xe2\x80\x94 img/none.png]");
	/* the same page on one CPU, where no second thread is started */
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	CPU_ZERO(&first);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &all)) {
			CPU_SET(c, &first);
			break;
		}
	assert_int_equal(sched_setaffinity(0, sizeof(first), &first), 0);
	assert_ok(folio_pack_render(&one, NULL, f->site, "ann"));
	assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
	assert_string_equal(one, two);
	free(one);
	free(two);
}

/* An entry whose object is damaged is named on the page, the rest of the pack as it was; one too large is not read. */
static void test_damaged_and_oversized_entries(void **state)
{
	fx *f = *state;
	char *before = NULL, *html = NULL, *idfile = fmt("%s/id", f->box), *id;

	ann_entries(f);
	act(f, "adm");
	assert_ok(folio_pack_render(&before, NULL, f->site, "ann")); /* their analyses are cached now */
	sh("cd '%s' && git --git-dir='%s/portfolios/ann.git' rev-parse main:2026-09-20-more.md > id", f->box, f->dir);
	id = test_read(idfile, NULL);
	id[40] = '\0';
	/* the blob's file holds another text: well formed, but not the one its id names */
	sh("cd '%s/portfolios/ann.git/objects/%.2s' && chmod u+w %s && "
	   "printf 'blob 12\\000# Forged #S4' | python3 -c 'import sys,zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read()))' > %s",
	   f->dir, id, id + 2, id + 2);
	assert_ok(folio_pack_render(&html, NULL, f->site, "ann"));
	char *named = fmt("This entry cannot be read from the portfolio: cannot read object %s of the portfolio: "
		"its content does not match its id.", id);
	assert_has(html, named);
	assert_lacks(html, "Forged");
	/* the other entry is there as before */
	assert_has(html, "<span class=\"tag s2\" data-tag=\"S2.3\"");
	assert_has(before, "Mentor training day.");
	assert_lacks(html, "Mentor training day.");
	free(named);
	free(html);

	/* an entry over the limit, pushed with git, is reported and never read into the page */
	push(f, "head -c 1100000 /dev/zero | tr '\\000' 'a' > 2026-10-01-long.md");
	act(f, "adm");
	assert_ok(folio_pack_render(&html, NULL, f->site, "ann"));
	assert_has(html, "This entry is too large to show: 1100000 bytes (the limit is 1048576).");
	assert_has(html, "entry is too large to read: 1100000 bytes");
	assert_lacks(html, "aaaaaaaaaaaaaaaa");
	free(html);
	free(before);
	free(id);
	free(idfile);
}

static void test_who_may_read(void **state)
{
	fx *f = *state;
	char *html = NULL;
	folio_pack_page *pages = NULL;
	size_t n = 0;
	resubmission(f);

	act(f, "r2"); /* reviewed submission 1, not assigned to 2 */
	assert_rc(folio_pack_render(&html, NULL, f->site, "2"), FOLIO_EDENIED);
	assert_null(html);
	assert_msg("person 'r2' may not pack submission 2");
	assert_int_equal(audit_denials(f, "may not pack submission 2"), 1);
	act(f, "bob");
	assert_rc(folio_pack_render(&html, NULL, f->site, "ann"), FOLIO_EDENIED);
	act(f, "ann");
	assert_rc(folio_pack_render(&html, NULL, f->site, "bob"), FOLIO_EDENIED);
	assert_int_equal(audit_denials(f, "may not pack the portfolio of 'bob'"), 1);
	assert_ok(folio_pack_render(&html, NULL, f->site, "2"));
	free(html);
	act(f, "lea");
	assert_ok(folio_pack_render(&html, NULL, f->site, "1"));
	free(html);

	/* panel packs: a reviewer packs their own queue only */
	act(f, "r1");
	assert_rc(folio_pack_panel(&pages, &n, f->site, "2027-spring", "r2"), FOLIO_EDENIED);
	assert_int_equal(audit_denials(f, "queue of 'r2'"), 1);
	assert_ok(folio_pack_panel(&pages, &n, f->site, "2027-spring", NULL));
	assert_int_equal(n, 2);
	assert_string_equal(pages[0].name, "index.html");
	assert_string_equal(pages[1].name, "submission-2.html");
	assert_has(pages[0].html, "href=\"submission-2.html\"");
	/* readiness at the pinned commit, whichever it is */
	if (!strstr(pages[0].html, "<span class=\"pill ready\">ready</span>") && !strstr(pages[0].html, "shortfall"))
		fail_msg("the panel index shows no readiness");
	folio_pack_pages_free(pages, n);
	act(f, "lea");
	assert_ok(folio_pack_panel(&pages, &n, f->site, "2026-autumn", NULL));
	assert_int_equal(n, 2);
	assert_has(pages[0].html, "the whole panel");
	folio_pack_pages_free(pages, n);
	act(f, "ann");
	assert_rc(folio_pack_panel(&pages, &n, f->site, "2027-spring", NULL), FOLIO_EDENIED);
}

static void test_bad_input(void **state)
{
	fx *f = *state;
	char *html = NULL, *name = NULL;
	folio_pack_page page = { (char *)"index.html", (char *)"<p>x</p>", 8 };
	ann_entries(f);
	act(f, "adm");
	assert_rc(folio_pack_render(&html, NULL, f->site, "99"), FOLIO_ENOTFOUND);
	assert_msg("no submission 99");
	assert_rc(folio_pack_render(&html, NULL, f->site, "zed"), FOLIO_ENOTFOUND);
	assert_msg("'zed'");
	assert_rc(folio_pack_render(&html, NULL, f->site, "Not An Id!"), FOLIO_EINVALID);
	assert_msg("invalid pack target 'Not An Id!'");
	assert_rc(folio_pack_render(&html, NULL, f->site, "r1"), FOLIO_ENOTFOUND); /* a person without a portfolio */
	assert_msg("'r1' has no portfolio");
	assert_null(html);
	assert_ok(folio_pack_file_name(&name, f->site, "ann"));
	assert_string_equal(name, "portfolio-ann.html");
	free(name);

	/* writing: into a path under a regular file fails and leaves nothing */
	char *file = fmt("%s/plain", f->box), *under = fmt("%s/plain/out", f->box), *fresh = fmt("%s/fresh", f->box);
	FILE *fp = fopen(file, "w");
	fclose(fp);
	assert_rc(folio_pack_write(file, &page, 1), FOLIO_EINVALID);
	assert_msg("not a directory");
	assert_rc(folio_pack_write(under, &page, 1), FOLIO_ERROR);
	assert_msg("cannot create");
	assert_ok(folio_pack_write(fresh, &page, 1));
	char *written = fmt("%s/index.html", fresh);
	char *got = test_read(written, NULL);
	assert_string_equal(got, "<p>x</p>");
	free(got);
	free(written);
	free(file);
	free(under);
	free(fresh);
}

static void test_certificate_print(void **state)
{
	fx *f = *state;
	char *html = NULL, *dir, *svg;
	ann_entries(f);
	act(f, "adm");
	test_sqlf(f->site, "INSERT INTO panel(id, year, term, date, deadline, state) VALUES"
		" ('2026-autumn', 2026, 'autumn', '2026-11-18', '2026-10-28', 'concluded')");
	test_sqlf(f->site, "INSERT INTO submission(id, mentor, qualification, panel, commit_id, state, approved_by, created) VALUES"
		" (1, 'ann', 'QMS', '2026-autumn', '%s', 'certified', 'lea', '2026-10-01T10:00:00Z')", f->c1);
	test_sqlf(f->site, "INSERT INTO certificate(number, submission, holder, qualification, issued, panel, approved_by, commit_id,"
		" assertion) VALUES ('QMS-2026-0001', 1, 'ann', 'QMS', '2026-11-25T10:00:00Z', '2026-autumn', 'lea', '%s', '{}')",
		f->c1);
	/* no badge yet: a clear error */
	assert_rc(folio_cert_print_html(&html, NULL, f->site, "QMS-2026-0001"), FOLIO_ENOTFOUND);
	assert_msg("badge");
	dir = fmt("%s/certificates", f->dir);
	mkdir(dir, 0777);
	free(dir);
	dir = fmt("%s/certificates/QMS-2026-0001", f->dir);
	mkdir(dir, 0777);
	svg = fmt("%s/badge.svg", dir);
	FILE *fp = fopen(svg, "w");
	fputs("<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"8\" height=\"8\"/>", fp);
	fclose(fp);
	assert_ok(folio_cert_print_html(&html, NULL, f->site, "QMS-2026-0001"));
	assert_has(html, "@page { size: A4 landscape");
	assert_has(html, "Ann Example");
	assert_has(html, "Qualified Mentor Status (QMS)");
	assert_has(html, "25 November 2026");
	assert_has(html, "Lee Chair, lead mentor");
	assert_has(html, "2026-autumn, met 18 November 2026");
	assert_has(html, f->c1);
	assert_has(html, "src=\"data:image/svg+xml;base64,");
	assert_lacks(html, "REVOKED");
	free(html);
	test_sqlf(f->site, "UPDATE certificate SET revoked = '2027-01-05T09:00:00Z', revoked_reason = 'issued <by> mistake'");
	assert_ok(folio_cert_print_html(&html, NULL, f->site, "QMS-2026-0001"));
	assert_has(html, ">REVOKED</div>");
	assert_has(html, "revoked on 5 January 2027: issued &lt;by&gt; mistake");
	free(html);
	/* the holder, leads and admins only */
	act(f, "bob");
	assert_rc(folio_cert_print_html(&html, NULL, f->site, "QMS-2026-0001"), FOLIO_EDENIED);
	act(f, "ann");
	assert_ok(folio_cert_print_html(&html, NULL, f->site, "QMS-2026-0001"));
	free(html);
	assert_rc(folio_cert_print_html(&html, NULL, f->site, "QMS-2026-0099"), FOLIO_ENOTFOUND);
	free(svg);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_badges_marks_and_matrix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raw_html_never_passes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_marks_on_nested_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resubmission_changes_and_feedback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_cache_never_shown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_images_and_one_or_two_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_and_oversized_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_who_may_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_certificate_print, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
