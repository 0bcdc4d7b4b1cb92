/* tests/unit/test_review.c: review sessions, held outcomes, moderation, concluding a panel, feedback items and #F tags. */
#include "support.h"

#include "folio.h"
#include "site_internal.h"
#include "workflow_internal.h"

#include <dirent.h>
#include <git2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADMIN_LOGIN "adm-login"

/* ------------------------------------------------------------ helpers */

static void assert_lacks(const char *hay, const char *needle)
{
	if (hay && strstr(hay, needle))
		fail_msg("did not expect \"%s\" in \"%s\"", needle, hay);
}

typedef struct {
	char *box;
	char *dir;
	folio_site *site;
	char ann_commit[41], bob_commit[41];
} fx;

/* ------------------------------------------------------------ SQL fixtures (other modules' functions may not exist yet) */

/* First column of the first row as text (malloc'd), NULL for no row or NULL. */
static char *sql_text(fx *f, const char *q, ...) __attribute__((format(printf, 2, 3)));
static char *sql_text(fx *f, const char *q, ...)
{
	va_list ap;
	sqlite3_stmt *st = NULL;
	char *text, *out = NULL;
	int n;
	va_start(ap, q);
	n = vsnprintf(NULL, 0, q, ap);
	va_end(ap);
	text = malloc((size_t)n + 1);
	va_start(ap, q);
	vsnprintf(text, (size_t)n + 1, q, ap);
	va_end(ap);
	if (sqlite3_prepare_v2(f->site->db, text, -1, &st, NULL) != SQLITE_OK)
		fail_msg("SQL failed: %s: %s", text, sqlite3_errmsg(f->site->db));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		out = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	free(text);
	return out;
}

static long long sql_int(fx *f, const char *q)
{
	char *t = sql_text(f, "%s", q);
	long long v = t ? atoll(t) : -1;
	free(t);
	return v;
}

/* The single text value of a query equals `want` (NULL: no row or NULL). */
static void assert_sql(fx *f, const char *q, const char *want)
{
	char *got = sql_text(f, "%s", q);
	if ((want == NULL) != (got == NULL) || (want && strcmp(want, got) != 0))
		fail_msg("%s gave %s, expected %s", q, got ? got : "NULL", want ? want : "NULL");
	free(got);
}

/* Everything a review writes, to show that a refusal changed nothing. */
static char *review_state(fx *f)
{
	return sql_text(f,
		"SELECT COALESCE((SELECT group_concat(submission || reviewer || standard || judgement || COALESCE(comment, ''), '|')"
		" FROM judgement), '')"
		" || '/' || COALESCE((SELECT group_concat(submission || reviewer || COALESCE(done, '-'), '|') FROM assignment), '')"
		" || '/' || COALESCE((SELECT group_concat(id || state || COALESCE(outcome, '-'), '|') FROM submission), '')"
		" || '/' || COALESCE((SELECT group_concat(id || state, '|') FROM panel), '')"
		" || '/' || COALESCE((SELECT group_concat(mentor || number || status || COALESCE(note, ''), '|') FROM feedback), '')"
		" || '/' || COALESCE((SELECT group_concat(submission || standard || judgement, '|') FROM moderation), '')");
}

/* ------------------------------------------------------------ set-up */

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

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	f->box = test_tmpdir("review");
	f->dir = fmt("%s/site", f->box);
	if (test_site_create(&f->site, f->dir, ADMIN_LOGIN) != 0)
		return -1;
	folio_school s1 = { (char *)"brook", (char *)"Brookfield Primary", FOLIO_PHASE_PRIMARY };
	folio_school s2 = { (char *)"river", (char *)"Riverside Academy", FOLIO_PHASE_SECONDARY };
	if (folio_school_add(f->site, &s1) != 0 || folio_school_add(f->site, &s2) != 0)
		return -1;
	add_person(f->site, "ann", "Ann Example", "brook", FOLIO_ROLE_MENTOR);
	add_person(f->site, "bob", "Bob Builder", "river", FOLIO_ROLE_MENTOR);
	add_person(f->site, "r1", "Rhea One", NULL, FOLIO_ROLE_REVIEWER);
	add_person(f->site, "r2", "Rory Two", NULL, FOLIO_ROLE_REVIEWER);
	add_person(f->site, "r3", "Ruth Three", NULL, FOLIO_ROLE_REVIEWER);
	add_person(f->site, "lea", "Lee Chair", NULL, FOLIO_ROLE_LEAD | FOLIO_ROLE_REVIEWER);
	add_person(f->site, "lee", "Lee Other", NULL, FOLIO_ROLE_LEAD);
	add_person(f->site, "bea", "Bea Brook", "brook", FOLIO_ROLE_LEAD);
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

static void act(fx *f, const char *who)
{
	char *login = fmt("%s-login", who);
	if (strcmp(who, "adm") == 0) {
		free(login);
		login = strdup(ADMIN_LOGIN);
	}
	if (folio_site_act(f->site, login, NULL) != 0)
		fail_msg("act as %s: %s", who, folio_error_last());
	free(login);
}

/* Commit an entry as the mentor; commit[41] gets the new commit. */
static void entry(fx *f, const char *mentor, const char *title, const char *text, char commit[41])
{
	folio_entry_options o = { title, NULL };
	char *path = NULL;
	act(f, mentor);
	if (folio_entry_add(f->site, mentor, text, strlen(text), &o, &path, commit) != 0)
		fail_msg("entry add for %s: %s", mentor, folio_error_last());
	free(path);
}

static const char TEXT1[] =
	"# First weeks\n\nI met my trainee every week and we set targets together. #S1\n\n"
	"We planned a lesson on fractions and I modelled the starter. #S2\n\n"
	"I followed the safeguarding policy when a pupil disclosed. #S3\n\n"
	"I read about feedback and went to the mentor day. #S4\n";

/*
 * Panels 2026-autumn (assigned, chaired by lea) and 2027-spring (open);
 * submission 1 (ann) and 2 (bob) in review at the first, each with r1 and r2.
 */
static void scenario(fx *f)
{
	act(f, "adm");
	assert_ok(folio_portfolio_create(f->site, "ann", "QMS"));
	assert_ok(folio_portfolio_create(f->site, "bob", "QMS"));
	entry(f, "ann", "First weeks", TEXT1, f->ann_commit);
	entry(f, "bob", "First weeks", TEXT1, f->bob_commit);
	act(f, "adm");
	test_sqlf(f->site, "INSERT INTO panel(id, year, term, date, deadline, state, chair) VALUES"
		" ('2026-autumn', 2026, 'autumn', '2026-11-18', '2026-10-28', 'assigned', 'lea'),"
		" ('2027-spring', 2026, 'spring', '2027-03-17', '2027-02-24', 'open', NULL)");
	test_sqlf(f->site, "INSERT INTO submission(id, mentor, qualification, panel, commit_id, state, created) VALUES"
		" (1, 'ann', 'QMS', '2026-autumn', '%s', 'in-review', '2026-10-01T10:00:00Z'),"
		" (2, 'bob', 'QMS', '2026-autumn', '%s', 'in-review', '2026-10-01T10:00:00Z')", f->ann_commit, f->bob_commit);
	test_sqlf(f->site, "INSERT INTO assignment(submission, reviewer) VALUES (1, 'r1'), (1, 'r2'), (2, 'r1'), (2, 'r2')");
}

/* Record a judgement per standard as `who` ('m' met, 'e' more-evidence, '-' none) with optional comments, then done. */
static void review(fx *f, const char *who, long long sub, const char *js, int done)
{
	static const char *const std[] = { "S1", "S2", "S3", "S4" };
	act(f, who);
	for (int i = 0; i < 4; i++) {
		if (js[i] == '-')
			continue;
		char *comment = js[i] == 'e' ? fmt("%s wants more on %s", who, std[i]) : NULL;
		if (folio_review_record(f->site, sub, std[i], js[i] == 'm' ? "met" : "more-evidence", comment) != 0)
			fail_msg("%s records %s on %lld: %s", who, std[i], sub, folio_error_last());
		free(comment);
	}
	if (done && folio_review_done(f->site, sub) != 0)
		fail_msg("%s done on %lld: %s", who, sub, folio_error_last());
}

static size_t count_outbox(fx *f, char ***names)
{
	char *dir = fmt("%s/outbox", f->dir);
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;
	if (names)
		*names = NULL;
	while (d && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".eml") != 0)
			continue;
		if (names) {
			*names = realloc(*names, (n + 1) * sizeof(char *));
			(*names)[n] = fmt("%s/%s", dir, e->d_name);
		}
		n++;
	}
	if (d)
		closedir(d);
	free(dir);
	return n;
}

static void free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The outbox message for a person (fails if not exactly one). */
static char *message_for(fx *f, const char *person)
{
	char **names = NULL, *found = NULL, *suffix = fmt("-%s.eml", person);
	size_t n = count_outbox(f, &names);
	for (size_t i = 0; i < n; i++) {
		size_t a = strlen(names[i]), b = strlen(suffix);
		if (a > b && strcmp(names[i] + a - b, suffix) == 0) {
			if (found)
				fail_msg("two messages for %s", person);
			found = test_read(names[i], NULL);
		}
	}
	free_names(names, n);
	free(suffix);
	if (!found)
		fail_msg("no message for %s", person);
	return found;
}

/* ------------------------------------------------------------ queue */

static void test_queue(void **state)
{
	fx *f = *state;
	folio_submission *v = NULL;
	size_t n = 0;
	scenario(f);

	act(f, "r1");
	assert_ok(folio_review_queue(&v, &n, f->site));
	assert_int_equal(n, 2);
	assert_int_equal(v[0].id, 1);
	assert_string_equal(v[0].mentor, "ann");
	assert_string_equal(v[0].panel, "2026-autumn");
	assert_string_equal(v[0].commit, f->ann_commit);
	assert_int_equal(v[0].previous, 0);
	assert_null(v[0].outcome);
	folio_submissions_free(v, n);

	act(f, "r3");
	assert_ok(folio_review_queue(&v, &n, f->site));
	assert_int_equal(n, 0);
	folio_submissions_free(v, n);

	/* done reviews leave the queue */
	review(f, "r1", 1, "mmmm", 1);
	act(f, "r1");
	assert_ok(folio_review_queue(&v, &n, f->site));
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, 2);
	folio_submissions_free(v, n);

	/* a login bound to nobody has no queue */
	assert_ok(folio_site_act(f->site, "stranger", NULL));
	assert_rc(folio_review_queue(&v, &n, f->site), FOLIO_EDENIED);
	assert_msg("login 'stranger' is not bound");
}

/* ------------------------------------------------------------ record, done */

static void test_record_moves_panel_in_session(void **state)
{
	fx *f = *state;
	folio_judgement *j = NULL;
	size_t n = 0;
	scenario(f);

	act(f, "r1");
	assert_ok(folio_review_record(f->site, 1, "s2", "more-evidence", "say more about feedback"));
	assert_sql(f, "SELECT state FROM panel WHERE id = '2026-autumn'", "in-session");
	assert_sql(f, "SELECT to_state FROM audit WHERE action = 'panel.state'", "in-session");
	assert_sql(f, "SELECT standard || ' ' || judgement || ' ' || comment FROM judgement WHERE reviewer = 'r1'",
		"S2 more-evidence say more about feedback");
	/* change it until done; the comment is replaced too */
	assert_ok(folio_review_record(f->site, 1, "S2", "met", NULL));
	assert_sql(f, "SELECT judgement || COALESCE(comment, '-') FROM judgement WHERE reviewer = 'r1'", "met-");
	assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM audit WHERE action = 'panel.state'"), 1);
	assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM audit WHERE action = 'review.record'"), 2);

	/* a reviewer sees their own judgements only until they are done */
	review(f, "r2", 1, "mmmm", 0);
	act(f, "r1");
	assert_ok(folio_review_judgements(&j, &n, f->site, 1));
	assert_int_equal(n, 1);
	assert_string_equal(j[0].reviewer, "r1");
	folio_judgements_free(j, n);
	review(f, "r1", 1, "mmmm", 1);
	assert_ok(folio_review_judgements(&j, &n, f->site, 1));
	assert_int_equal(n, 8);
	assert_string_equal(j[0].standard, "S1");
	assert_string_equal(j[0].reviewer, "r1");
	assert_string_equal(j[1].reviewer, "r2");
	assert_string_equal(j[7].standard, "S4");
	folio_judgements_free(j, n);
}

static void test_record_refusals(void **state)
{
	fx *f = *state;
	char *before, *after;
	scenario(f);
	before = review_state(f);

	act(f, "r1");
	assert_rc(folio_review_record(f->site, 1, "S5", "met", NULL), FOLIO_EINVALID);
	assert_msg("unknown standard 'S5': the standards are S1, S2, S3 and S4");
	assert_rc(folio_review_record(f->site, 1, "S2.3", "met", NULL), FOLIO_EINVALID);
	assert_msg("unknown standard 'S2.3'");
	assert_rc(folio_review_record(f->site, 1, "S2", "fail", NULL), FOLIO_EINVALID);
	assert_msg("unknown judgement 'fail': use met or more-evidence");
	assert_rc(folio_review_record(f->site, 99, "S2", "met", NULL), FOLIO_ENOTFOUND);
	assert_msg("no submission 99");
	/* a comment typed in Latin-1: stored comments go into JSON and messages, which carry UTF-8 only */
	assert_rc(folio_review_record(f->site, 1, "S2", "met", "caf\xe9 conversation"), FOLIO_EINVALID);
	assert_msg("the comment is not valid UTF-8 text (byte 0xE9)");

	act(f, "r3");
	assert_rc(folio_review_record(f->site, 1, "S2", "met", NULL), FOLIO_EDENIED);
	assert_msg("person 'r3' may not record a judgement on submission 1: it is not assigned to them");
	assert_rc(folio_review_done(f->site, 1), FOLIO_EDENIED);
	act(f, "lea"); /* the chair is no reviewer of it either */
	assert_rc(folio_review_record(f->site, 1, "S2", "met", NULL), FOLIO_EDENIED);

	after = review_state(f);
	assert_string_equal(before, after);
	free(after);
	/* the refusals are audited (and that is all they wrote) */
	assert_true(sql_int(f, "SELECT COUNT(*) FROM audit WHERE action = 'denied' AND detail LIKE '%not assigned%'") >= 2);
	assert_sql(f, "SELECT object || ' ' || detail FROM audit WHERE action = 'refused' ORDER BY seq LIMIT 1",
		"submission:1 record a judgement: unknown standard 'S5': the standards are S1, S2, S3 and S4");

	/* a review already done */
	review(f, "r1", 1, "mmmm", 1);
	assert_rc(folio_review_record(f->site, 1, "S2", "more-evidence", NULL), FOLIO_ECONFLICT);
	assert_msg("the review of submission 1 by 'r1' is already done");
	assert_rc(folio_review_done(f->site, 1), FOLIO_ECONFLICT);

	/* a panel concluded */
	test_sqlf(f->site, "UPDATE panel SET state = 'concluded'");
	act(f, "r2");
	assert_rc(folio_review_record(f->site, 1, "S2", "met", NULL), FOLIO_ECONFLICT);
	assert_msg("panel '2026-autumn' is concluded");
	free(before);
}

static void test_done_needs_every_standard(void **state)
{
	fx *f = *state;
	scenario(f);
	review(f, "r1", 1, "me--", 0);
	assert_rc(folio_review_done(f->site, 1), FOLIO_EINVALID);
	assert_msg("the review of submission 1 is not complete: no judgement yet on S3, S4");
	assert_sql(f, "SELECT done FROM assignment WHERE submission = 1 AND reviewer = 'r1'", NULL);
	review(f, "r1", 1, "--mm", 1);
	char *done = sql_text(f, "SELECT done FROM assignment WHERE submission = 1 AND reviewer = 'r1'");
	assert_non_null(done);
	free(done);
	assert_sql(f, "SELECT outcome FROM submission WHERE id = 1", NULL); /* r2 has not finished */
	assert_sql(f, "SELECT COUNT(*) FROM audit WHERE action = 'review.done'", "1");
}

/* ------------------------------------------------------------ outcomes */

static void test_outcome_recommended_held(void **state)
{
	fx *f = *state;
	folio_review_progress p;
	scenario(f);
	review(f, "r1", 1, "mmmm", 1);
	act(f, "lea");
	assert_ok(folio_review_progress_get(&p, f->site, 1));
	assert_null(p.outcome);
	assert_int_equal(p.nreviewers, 2);
	assert_non_null(p.reviewers[0].done);
	assert_null(p.reviewers[1].done);
	assert_string_equal(p.panel, "2026-autumn");
	folio_review_progress_clear(&p);

	review(f, "r2", 1, "mmmm", 1);
	/* held: the state stays in review */
	assert_sql(f, "SELECT state || ' ' || outcome FROM submission WHERE id = 1", "in-review recommended");
	assert_sql(f, "SELECT detail FROM audit WHERE action = 'review.outcome'",
		"outcome recommended, held until panel '2026-autumn' concludes");
	act(f, "r1");
	assert_ok(folio_review_progress_get(&p, f->site, 1));
	assert_string_equal(p.outcome, "recommended");
	assert_int_equal(p.ndisputed, 0);
	folio_review_progress_clear(&p);
}

static void test_outcome_further_evidence(void **state)
{
	fx *f = *state;
	scenario(f);
	review(f, "r1", 2, "memm", 1);
	review(f, "r2", 2, "memm", 1);
	assert_sql(f, "SELECT state || ' ' || outcome FROM submission WHERE id = 2", "in-review further-evidence");
}

static void test_disagreement_waits_for_the_chair(void **state)
{
	fx *f = *state;
	folio_review_progress p;
	char *before;
	scenario(f);
	/* S2: r1 met, r2 more-evidence; S3: both more-evidence */
	review(f, "r1", 2, "mmem", 0);

	/* not before every review is done */
	act(f, "lea");
	assert_rc(folio_panel_moderate(f->site, 2, "S2", "met", NULL), FOLIO_ECONFLICT);
	assert_msg("submission 2 cannot be moderated yet: reviews not done by r1, r2");

	act(f, "r1");
	assert_ok(folio_review_done(f->site, 2));
	review(f, "r2", 2, "meem", 1);
	assert_sql(f, "SELECT state || ' ' || COALESCE(outcome, 'none') FROM submission WHERE id = 2", "in-review none");
	act(f, "adm");
	assert_ok(folio_review_progress_get(&p, f->site, 2));
	assert_null(p.outcome);
	assert_int_equal(p.ndisputed, 1);
	assert_string_equal(p.disputed[0], "S2");
	folio_review_progress_clear(&p);

	before = review_state(f);
	/* only the chair, when the panel has one */
	act(f, "r1");
	assert_rc(folio_panel_moderate(f->site, 2, "S2", "met", NULL), FOLIO_EDENIED);
	assert_msg("person 'r1' may not moderate submission 2: only the panel's chair 'lea' may");
	act(f, "lee");
	assert_rc(folio_panel_moderate(f->site, 2, "S2", "met", NULL), FOLIO_EDENIED);
	act(f, "lea");
	assert_rc(folio_panel_moderate(f->site, 2, "S3", "met", NULL), FOLIO_ECONFLICT);
	assert_msg("the reviewers of submission 2 agree on S3 (more-evidence): there is nothing to moderate");
	assert_rc(folio_panel_moderate(f->site, 2, "S9", "met", NULL), FOLIO_EINVALID);
	assert_msg("unknown standard 'S9'");
	assert_rc(folio_panel_moderate(f->site, 2, "S2", "maybe", NULL), FOLIO_EINVALID);
	char *after = review_state(f);
	assert_string_equal(before, after);
	free(after);
	free(before);

	/* the chair settles S2: S3 still asks for more, so further evidence */
	assert_ok(folio_panel_moderate(f->site, 2, "S2", "met", "enough in the second entry"));
	assert_sql(f, "SELECT outcome FROM submission WHERE id = 2", "further-evidence");
	assert_sql(f, "SELECT chair || ' ' || judgement FROM moderation WHERE submission = 2", "lea met");
	/* and may change their mind until the panel concludes */
	assert_ok(folio_panel_moderate(f->site, 2, "s2", "more-evidence", "on reflection, more"));
	assert_sql(f, "SELECT judgement FROM moderation WHERE submission = 2", "more-evidence");
}

static void test_disagreement_alone_then_recommended(void **state)
{
	fx *f = *state;
	scenario(f);
	review(f, "r1", 1, "mmmm", 1);
	review(f, "r2", 1, "memm", 1);
	assert_sql(f, "SELECT COALESCE(outcome, 'none') FROM submission WHERE id = 1", "none");
	act(f, "lea");
	assert_ok(folio_panel_moderate(f->site, 1, "S2", "met", NULL));
	assert_sql(f, "SELECT state || ' ' || outcome FROM submission WHERE id = 1", "in-review recommended");
}

static void test_moderate_without_chair(void **state)
{
	fx *f = *state;
	scenario(f);
	test_sqlf(f->site, "UPDATE panel SET chair = NULL");
	review(f, "r1", 1, "mmmm", 1);
	review(f, "r2", 1, "memm", 1);
	act(f, "r1");
	assert_rc(folio_panel_moderate(f->site, 1, "S2", "met", NULL), FOLIO_EDENIED);
	assert_msg("needs role lead or admin");
	/* a lead at the mentor's own school is in conflict */
	act(f, "bea");
	assert_rc(folio_panel_moderate(f->site, 1, "S2", "met", NULL), FOLIO_EDENIED);
	assert_msg("both are at school 'brook'");
	act(f, "lee");
	assert_ok(folio_panel_moderate(f->site, 1, "S2", "more-evidence", NULL));
	assert_sql(f, "SELECT outcome FROM submission WHERE id = 1", "further-evidence");
}

/* ------------------------------------------------------------ conclude */

static void test_conclude_refused_listing_what_is_missing(void **state)
{
	fx *f = *state;
	char *before, *after;
	scenario(f);
	review(f, "r1", 1, "mmmm", 1);
	review(f, "r1", 2, "mmmm", 1);
	review(f, "r2", 2, "memm", 1);
	before = review_state(f);

	act(f, "adm");
	assert_rc(folio_panel_conclude(f->site, "2026-autumn"), FOLIO_ECONFLICT);
	assert_msg("panel '2026-autumn' cannot conclude yet: reviews not done: submission 1 (ann) by r2; "
		"disagreements not moderated: submission 2 (bob) on S2");
	act(f, "r1");
	assert_rc(folio_panel_conclude(f->site, "2026-autumn"), FOLIO_EDENIED);
	assert_msg("person 'r1' may not conclude panel '2026-autumn': only an admin or the panel's chair may");
	act(f, "adm");
	assert_rc(folio_panel_conclude(f->site, "2031-autumn"), FOLIO_ENOTFOUND);
	assert_msg("no panel '2031-autumn'");
	assert_rc(folio_panel_conclude(f->site, "2027-spring"), FOLIO_ECONFLICT);
	assert_msg("panel '2027-spring' has no reviewers assigned yet");

	after = review_state(f);
	assert_string_equal(before, after);
	assert_int_equal(count_outbox(f, NULL), 0);
	free(before);
	free(after);
}

static void test_conclude_releases_outcomes(void **state)
{
	fx *f = *state;
	folio_feedback_item *items = NULL;
	folio_judgement *j = NULL;
	folio_review *r = NULL;
	folio_panel_conclusion c;
	size_t n = 0;
	scenario(f);
	review(f, "r1", 1, "mmmm", 1);
	review(f, "r2", 1, "mmmm", 1);
	review(f, "r1", 2, "meem", 1);
	review(f, "r2", 2, "mmem", 1);
	act(f, "lea");
	assert_ok(folio_panel_moderate(f->site, 2, "S2", "more-evidence", "show a lesson you observed"));

	/* held: the mentors see nothing yet */
	act(f, "bob");
	assert_ok(folio_feedback_list(&items, &n, f->site, "bob"));
	assert_int_equal(n, 0);
	folio_feedback_free(items, n);
	assert_rc(folio_review_judgements(&j, &n, f->site, 2), FOLIO_EDENIED);
	assert_rc(folio_review_show(&r, f->site, 2), FOLIO_EDENIED);
	folio_review_progress p;
	assert_rc(folio_review_progress_get(&p, f->site, 2), FOLIO_EDENIED);
	assert_sql(f, "SELECT state FROM submission WHERE id = 2", "in-review");
	assert_int_equal(sql_int(f, "SELECT COUNT(*) FROM feedback"), 0);

	/* the chair concludes */
	act(f, "lea");
	assert_ok(folio_panel_conclude_summary(&c, f->site, "2026-autumn"));
	assert_int_equal(c.recommended, 1);
	assert_int_equal(c.further_evidence, 1);
	assert_int_equal(c.items, 2);
	assert_int_equal(c.messages, 2);
	assert_sql(f, "SELECT state FROM panel WHERE id = '2026-autumn'", "concluded");
	assert_sql(f, "SELECT state || ' ' || outcome FROM submission WHERE id = 1", "recommended recommended");
	assert_sql(f, "SELECT state || ' ' || outcome FROM submission WHERE id = 2", "further-evidence further-evidence");
	assert_sql(f, "SELECT from_state || '>' || to_state || ' ' || actor FROM submission_history WHERE submission = 2",
		"in-review>further-evidence lea");
	assert_sql(f, "SELECT from_state || '>' || to_state FROM audit WHERE action = 'panel.state' AND to_state = 'concluded'",
		"in-session>concluded");

	/* feedback items: one per standard asking for more, with the comments asking for it */
	act(f, "bob");
	assert_ok(folio_feedback_list(&items, &n, f->site, "bob"));
	assert_int_equal(n, 2);
	assert_int_equal(items[0].number, 1);
	assert_string_equal(items[0].standard, "S2");
	assert_string_equal(items[0].status, "open");
	assert_int_equal(items[0].submission, 2);
	assert_string_equal(items[0].text, "- r1 wants more on S2\n- Chair: show a lesson you observed");
	assert_int_equal(items[1].number, 2);
	assert_string_equal(items[1].standard, "S3");
	assert_string_equal(items[1].text, "- r1 wants more on S3\n- r2 wants more on S3");
	folio_feedback_free(items, n);
	/* released: the mentor may now read the judgements */
	assert_ok(folio_review_judgements(&j, &n, f->site, 2));
	assert_int_equal(n, 9);
	assert_string_equal(j[4].standard, "S2");
	assert_null(j[4].reviewer); /* the chair's decision after the reviewers' on S2 */
	folio_judgements_free(j, n);
	/* other mentors may not read bob's feedback */
	act(f, "ann");
	assert_rc(folio_feedback_list(&items, &n, f->site, "bob"), FOLIO_EDENIED);

	/* nothing more after the conclusion */
	act(f, "lea");
	assert_rc(folio_panel_conclude(f->site, "2026-autumn"), FOLIO_ECONFLICT);
	assert_msg("panel '2026-autumn' is already concluded");
	assert_rc(folio_panel_moderate(f->site, 2, "S2", "met", NULL), FOLIO_ECONFLICT);
	assert_msg("is concluded");

	/* the messages: RFC 5322, CRLF, and never a word of failing */
	char *m = message_for(f, "bob");
	assert_has(m, "From: folio <folio@localhost>\r\n");
	assert_has(m, "To: Bob Builder <bob@example.org>\r\n");
	assert_has(m, "Subject: Your QMS portfolio: further evidence requested\r\n");
	assert_has(m, "\r\nDate: ");
	assert_has(m, "\r\nMessage-ID: <");
	assert_has(m, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n");
	assert_has(m, "\r\n\r\nDear Bob Builder,\r\n");
	assert_has(m, "F1  S2 Teaching\r\n    - r1 wants more on S2\r\n    - Chair: show a lesson you observed\r\n");
	assert_has(m, "F2  S3 Professionalism\r\n");
	assert_has(m, "#F1");
	assert_lacks(m, "fail");
	assert_lacks(m, "Fail");
	/* every line ends CRLF */
	for (const char *ch = m; *ch; ch++)
		if (*ch == '\n' && (ch == m || ch[-1] != '\r'))
			fail_msg("bare LF in the message");
	free(m);
	m = message_for(f, "ann");
	assert_has(m, "Subject: Your QMS portfolio is recommended for the award\r\n");
	assert_has(m, "The panel recommends you for the award");
	assert_lacks(m, "fail");
	free(m);
}

/* ------------------------------------------------------------ feedback across submissions */

/* Conclude the first panel with bob asking for more on S2 and S3 (F1, F2), ann recommended. */
static void first_round(fx *f)
{
	scenario(f);
	review(f, "r1", 1, "mmmm", 1);
	review(f, "r2", 1, "mmmm", 1);
	review(f, "r1", 2, "meem", 1);
	review(f, "r2", 2, "meem", 1);
	act(f, "adm");
	assert_ok(folio_panel_conclude(f->site, "2026-autumn"));
}

/* Bob's resubmission 3 at 2027-spring (assigned), pinned at `commit`, reviewed by r1 and r3. */
static void resubmit(fx *f, const char *commit)
{
	act(f, "adm");
	test_sqlf(f->site, "UPDATE panel SET state = 'assigned' WHERE id = '2027-spring'");
	test_sqlf(f->site, "INSERT INTO submission(id, mentor, qualification, panel, commit_id, previous, state, created) VALUES"
		" (3, 'bob', 'QMS', '2027-spring', '%s', 2, 'in-review', '2027-02-01T10:00:00Z')", commit);
	test_sqlf(f->site, "INSERT INTO assignment(submission, reviewer) VALUES (3, 'r1'), (3, 'r3')");
}

static void test_feedback_numbering_across_submissions(void **state)
{
	fx *f = *state;
	folio_feedback_item *items = NULL;
	size_t n = 0;
	char c2[41];
	first_round(f);
	entry(f, "bob", "A lesson observed", "# A lesson observed\n\nI watched my trainee teach and gave feedback. #S2 #S3\n", c2);
	resubmit(f, c2);
	review(f, "r1", 3, "mmme", 1);
	review(f, "r3", 3, "mmme", 1);
	act(f, "r1");
	assert_ok(folio_feedback_accept(f->site, 3, 1, 1));
	act(f, "adm");
	assert_ok(folio_panel_conclude(f->site, "2027-spring"));

	act(f, "bob");
	assert_ok(folio_feedback_list(&items, &n, f->site, "bob"));
	assert_int_equal(n, 3);
	assert_int_equal(items[2].number, 3);
	assert_string_equal(items[2].standard, "S4");
	assert_int_equal(items[2].submission, 3);
	assert_string_equal(items[0].status, "accepted");
	assert_int_equal(items[0].decided_by, 3);
	assert_string_equal(items[1].status, "open"); /* F2 never accepted: still open */
	folio_feedback_free(items, n);
	/* the message of the second panel lists the new item and the one still open */
	char **names = NULL;
	size_t nm = count_outbox(f, &names);
	assert_int_equal(nm, 3);
	int seen = 0;
	for (size_t i = 0; i < nm; i++) {
		char *m = test_read(names[i], NULL);
		if (strstr(m, "F3  S4 Self-development")) {
			assert_has(m, "Still open from before:\r\nF2  S3 (open)\r\n");
			assert_lacks(m, "F1  S2");
			seen = 1;
		}
		free(m);
	}
	assert_true(seen);
	free_names(names, nm);
}

static void test_feedback_tag_addresses_items(void **state)
{
	fx *f = *state;
	folio_feedback_item *items = NULL;
	size_t n = 0;
	char c1[41], c2[41], c3[41];
	first_round(f);

	/* #F1 only where it is no tag: code, HTML, link destinations, autolinks, inside words */
	entry(f, "bob", "Not tags",
		"# Not tags\n\nIn code `#F1` and <a href=\"#F1\">here</a>, a [link](http://x.org/#F1), <http://x.org/#F1>,"
		" abc#F1, #F1x, #F1.2 and #F10. #S2\n\n```\n#F1\n```\n\n<div>\n#F1\n</div>\n", c1);
	act(f, "bob");
	assert_ok(folio_feedback_list(&items, &n, f->site, "bob"));
	assert_string_equal(items[0].status, "open");
	assert_null(items[0].addressed_commit);
	folio_feedback_free(items, n);

	entry(f, "bob", "New evidence", "# New evidence\n\nI now ask my trainee to reflect in writing (#f2). #S3\n", c2);
	entry(f, "bob", "More", "# More\n\nAnd more on professionalism, #F2. #S3\n", c3);
	act(f, "r1"); /* a reviewer reading the list records it too */
	assert_ok(folio_feedback_list(&items, &n, f->site, "bob"));
	assert_int_equal(n, 2);
	assert_string_equal(items[0].status, "open");
	assert_string_equal(items[1].status, "addressed");
	assert_string_equal(items[1].addressed_commit, c2); /* the first commit that tags it */
	assert_null(items[1].note);
	folio_feedback_free(items, n);
	char *detail = sql_text(f, "SELECT detail FROM audit WHERE action = 'feedback.address'");
	assert_has(detail, "addressed: #F2 tagged in '");
	assert_has(detail, "new-evidence.md'");
	free(detail);
	assert_sql(f, "SELECT commit_id FROM audit WHERE action = 'feedback.address'", c2);
	(void)c1;
	(void)c3;
}

static void test_feedback_address_and_accept(void **state)
{
	fx *f = *state;
	folio_feedback_item *items = NULL;
	size_t n = 0;
	char c2[41];
	first_round(f);

	/* the mentor answers with a note; nobody else may, not even an admin without --as */
	act(f, "ann");
	assert_rc(folio_feedback_address(f->site, "bob", 1, "x"), FOLIO_EDENIED);
	act(f, "adm");
	assert_rc(folio_feedback_address(f->site, "bob", 1, "x"), FOLIO_EDENIED);
	act(f, "bob");
	assert_rc(folio_feedback_address(f->site, "bob", 9, "x"), FOLIO_ENOTFOUND);
	assert_msg("no feedback item F9 for 'bob'");
	assert_rc(folio_feedback_address(f->site, "bob", 1, ""), FOLIO_EINVALID);
	assert_rc(folio_feedback_address(f->site, "bob", 1, "see the entry of 3 M\xe4rz"), FOLIO_EINVALID);
	assert_msg("the note is not valid UTF-8 text (byte 0xE4)");
	assert_sql(f, "SELECT status FROM feedback WHERE number = 1", "open");
	assert_ok(folio_feedback_address(f->site, "bob", 1, "see the entry of 3 March"));
	assert_sql(f, "SELECT status || ': ' || note FROM feedback WHERE number = 1", "addressed: see the entry of 3 March");

	/* a tag after the note still records where */
	entry(f, "bob", "Observation", "# Observation\n\nThe lesson I observed, as asked in #F1. #S2\n", c2);
	resubmit(f, c2);
	folio_review *r = NULL;
	act(f, "r3");
	assert_ok(folio_review_show(&r, f->site, 3));
	assert_int_equal(r->nfeedback, 2);
	assert_string_equal(r->feedback[0].status, "addressed");
	assert_string_equal(r->feedback[0].addressed_commit, c2);
	assert_string_equal(r->feedback[0].note, "see the entry of 3 March");
	folio_review_free(r);

	/* only a reviewer of the resubmission decides */
	act(f, "r2");
	assert_rc(folio_feedback_accept(f->site, 3, 1, 1), FOLIO_EDENIED);
	assert_msg("person 'r2' may not decide on feedback items at submission 3: it is not assigned to them");
	act(f, "r1");
	assert_rc(folio_feedback_accept(f->site, 2, 1, 1), FOLIO_ECONFLICT); /* its own submission's panel concluded */
	assert_rc(folio_feedback_accept(f->site, 3, 7, 1), FOLIO_ENOTFOUND);
	assert_ok(folio_feedback_accept(f->site, 3, 1, 1));
	assert_ok(folio_feedback_accept(f->site, 3, 2, 0));
	assert_sql(f, "SELECT status || ' ' || accepted_by FROM feedback WHERE number = 1", "accepted 3");
	assert_sql(f, "SELECT status || ' ' || accepted_by FROM feedback WHERE number = 2", "open 3");
	act(f, "bob");
	assert_rc(folio_feedback_address(f->site, "bob", 1, "again"), FOLIO_ECONFLICT);
	assert_msg("feedback item F1 of 'bob' is already accepted");
	assert_ok(folio_feedback_list(&items, &n, f->site, "bob"));
	assert_string_equal(items[1].status, "open");
	assert_int_equal(items[1].decided_by, 3);
	folio_feedback_free(items, n);
}

static void test_keep_open_needs_a_newer_tag(void **state)
{
	fx *f = *state;
	folio_feedback_item *items = NULL;
	size_t n = 0;
	char c2[41], c3[41];
	first_round(f);
	entry(f, "bob", "Some", "# Some\n\nA first answer to #F2. #S3\n", c2);
	resubmit(f, c2);
	act(f, "r1");
	assert_ok(folio_feedback_list(&items, &n, f->site, "bob"));
	assert_string_equal(items[1].status, "addressed");
	folio_feedback_free(items, n);
	assert_ok(folio_feedback_accept(f->site, 3, 2, 0));
	/* the old tag does not address it again */
	assert_ok(folio_feedback_list(&items, &n, f->site, "bob"));
	assert_string_equal(items[1].status, "open");
	assert_null(items[1].addressed_commit);
	folio_feedback_free(items, n);
	/* a newer one does */
	entry(f, "bob", "Better", "# Better\n\nA fuller answer to #F2. #S3\n", c3);
	act(f, "bob");
	assert_ok(folio_feedback_list(&items, &n, f->site, "bob"));
	assert_string_equal(items[1].status, "addressed");
	assert_string_equal(items[1].addressed_commit, c3);
	folio_feedback_free(items, n);
}

/* ------------------------------------------------------------ review show and changes */

static void test_review_show_resubmission(void **state)
{
	fx *f = *state;
	folio_review *r = NULL;
	folio_review_changes *c = NULL;
	char c2[41], c3[41];
	first_round(f);
	entry(f, "bob", "A lesson observed", "# A lesson observed\n\nI watched and gave feedback. #S2\n\nAnd reflected. #S2\n", c2);
	/* with plain git: change the first entry, remove the new one, add another */
	{
		char *repo = fmt("%s/portfolios/bob.git", f->dir), *work = fmt("%s/work", f->box);
		char *cmd = fmt("git -c init.defaultBranch=main clone -q '%s' '%s' && cd '%s' && "
			"f=$(ls *first-weeks.md) && printf '\\nAnd a new paragraph. #S4\\n' >>\"$f\" && "
			"git rm -q *a-lesson-observed.md && printf '# Extra\\n\\nA note. #S1\\n' >extra.md && git add -A && "
			"git -c user.name=Bob -c user.email=bob@example.org -c commit.gpgsign=false commit -q -m edit && "
			"git push -q origin main", repo, work, work);
		if (system(cmd) != 0)
			fail_msg("git failed: %s", cmd);
		free(cmd);
		free(repo);
		free(work);
		folio_portfolio p;
		act(f, "adm");
		assert_ok(folio_portfolio_get(&p, f->site, "bob"));
		memcpy(c3, p.commit, 41);
		folio_portfolio_clear(&p);
	}
	resubmit(f, c3);

	act(f, "r3");
	assert_ok(folio_review_changes_get(&c, f->site, 3));
	assert_string_equal(c->previous_commit, f->bob_commit);
	assert_int_equal(c->nadded, 1);
	assert_string_equal(c->added[0], "extra.md");
	assert_int_equal(c->nchanged, 1);
	assert_has(c->changed[0], "first-weeks.md");
	assert_int_equal(c->nremoved, 0); /* the lesson entry came and went between the two commits */
	assert_int_equal(c->nstandards, 4);
	assert_int_equal(c->gained[0], 1);
	assert_int_equal(c->gained[1], 0);
	assert_int_equal(c->gained[2], 0);
	assert_int_equal(c->gained[3], 1);
	folio_review_changes_free(c);

	assert_ok(folio_review_show(&r, f->site, 3));
	assert_int_equal(r->submission.id, 3);
	assert_int_equal(r->submission.previous, 2);
	assert_string_equal(r->coverage->commit, c3);
	assert_int_equal(r->coverage->standards[0].evidence, 2);
	assert_int_equal(r->changes->nadded, 1);
	assert_int_equal(r->progress.nreviewers, 2);
	assert_int_equal(r->nfeedback, 2);
	assert_int_equal(r->njudgements, 0);
	folio_review_free(r);

	/* a first submission has no changes */
	act(f, "adm");
	assert_ok(folio_review_changes_get(&c, f->site, 1));
	assert_string_equal(c->previous_commit, "");
	assert_int_equal(c->nadded + c->nchanged + c->nremoved + c->nstandards, 0);
	folio_review_changes_free(c);

	/* removed entries */
	test_sqlf(f->site, "UPDATE submission SET previous = NULL WHERE id = 3");
	test_sqlf(f->site, "INSERT INTO submission(id, mentor, qualification, panel, commit_id, previous, state, created) VALUES"
		" (4, 'bob', 'QMS', '2027-spring', '%s', 3, 'in-review', '2027-02-01T10:00:00Z')", c2);
	assert_ok(folio_review_changes_get(&c, f->site, 4));
	assert_int_equal(c->nremoved, 1);
	assert_string_equal(c->removed[0], "extra.md");
	assert_int_equal(c->nadded, 1);
	assert_int_equal(c->gained[0], -1);
	assert_int_equal(c->gained[1], 2);
	folio_review_changes_free(c);
}

static void test_review_show_permissions(void **state)
{
	fx *f = *state;
	folio_review *r = NULL;
	scenario(f);
	act(f, "r3");
	assert_rc(folio_review_show(&r, f->site, 1), FOLIO_EDENIED);
	assert_msg("person 'r3' may not see the review of submission 1: only its reviewers, the panel's chair, leads and admins may");
	act(f, "ann");
	assert_rc(folio_review_show(&r, f->site, 1), FOLIO_EDENIED);
	/* a mentor who is also a lead sees nothing of their own review while it is held */
	test_sqlf(f->site, "INSERT INTO person_role(person, role) VALUES ('ann', 'lead'), ('ann', 'admin')");
	review(f, "r1", 1, "mmmm", 1);
	review(f, "r2", 1, "mmmm", 1);
	act(f, "ann");
	assert_rc(folio_review_show(&r, f->site, 1), FOLIO_EDENIED);
	assert_msg("person 'ann' may not see the review of submission 1: it is their own submission");
	folio_judgement *j = NULL;
	size_t nj = 0;
	assert_rc(folio_review_judgements(&j, &nj, f->site, 1), FOLIO_EDENIED);
	folio_review_progress p;
	assert_rc(folio_review_progress_get(&p, f->site, 1), FOLIO_EDENIED);
	folio_review_changes *c = NULL;
	assert_rc(folio_review_changes_get(&c, f->site, 1), FOLIO_EDENIED);
	act(f, "lee");
	assert_ok(folio_review_show(&r, f->site, 1));
	assert_string_equal(r->progress.outcome, "recommended");
	assert_string_equal(r->changes->previous_commit, "");
	assert_int_equal(r->coverage->standards[1].evidence, 1);
	folio_review_free(r);
	act(f, "r2");
	assert_ok(folio_review_show(&r, f->site, 1));
	folio_review_free(r);
	assert_rc(folio_review_show(&r, f->site, 42), FOLIO_ENOTFOUND);
}

/* ------------------------------------------------------------ the review form */

static void test_form_round_trip(void **state)
{
	fx *f = *state;
	folio_judgement *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;
	char *form = NULL;
	scenario(f);

	act(f, "r1");
	assert_ok(folio_review_record(f->site, 1, "S1", "met", "warm and clear"));
	assert_ok(folio_review_record(f->site, 1, "S2", "more-evidence",
		"two lines:\n## not a heading\nJudgement: not one either\n\\ and a backslash"));
	assert_ok(folio_review_record(f->site, 1, "S3", "met", NULL));
	assert_ok(folio_review_form(&form, f->site, 1));
	assert_has(form, "# Review form: submission 1\n");
	assert_has(form, "\n## S1 Personal qualities\n\nJudgement: met\nComment: warm and clear\n");
	assert_has(form, "\n## S4 Self-development and working in partnership\n\nJudgement: met | more-evidence\nComment:\n");
	assert_ok(folio_review_judgements(&a, &na, f->site, 1));

	/* recording the form as printed gives the same judgements (S4 is skipped) */
	assert_ok(folio_review_record_form(f->site, 1, "form.md", form, strlen(form)));
	assert_ok(folio_review_judgements(&b, &nb, f->site, 1));
	assert_int_equal(na, 3);
	assert_int_equal(nb, na);
	for (size_t i = 0; i < na; i++) {
		assert_string_equal(a[i].standard, b[i].standard);
		assert_string_equal(a[i].judgement, b[i].judgement);
		if (a[i].comment || b[i].comment)
			assert_string_equal(a[i].comment, b[i].comment);
	}
	folio_judgements_free(a, na);
	folio_judgements_free(b, nb);
	free(form);

	/* a filled-in form records every section in one go, and the panel goes in session */
	act(f, "r2");
	const char *filled =
		"# Review form: submission 2\r\n\r\n"
		"## S1 Personal qualities\r\nJudgement: Met\r\nComment:\r\n\r\n"
		"## S2\r\nJudgement: more-evidence\r\nComment: needs an observation\r\nand its feedback\r\n\r\n"
		"## S3 Professionalism\r\nJudgement: met\r\n"
		"## S4 Self-development and working in partnership\r\nJudgement: met\r\nComment: good\r\n";
	assert_ok(folio_review_record_form(f->site, 2, "filled.md", filled, strlen(filled)));
	assert_sql(f, "SELECT group_concat(standard || '=' || judgement || '=' || COALESCE(comment, ''), ';')"
		" FROM (SELECT * FROM judgement WHERE submission = 2 AND reviewer = 'r2' ORDER BY standard)",
		"S1=met=;S2=more-evidence=needs an observation\nand its feedback;S3=met=;S4=met=good");
	assert_ok(folio_review_done(f->site, 2));
}

/* The parser alone, without a site: what fuzzing checks on every input. */
static void test_form_parse_without_site(void **state)
{
	(void)state;
	folio_framework *fw = NULL;
	folio_judgement *j = NULL, *j2 = NULL;
	size_t n = 0, n2 = 0;
	char *form = NULL;
	folio_submission s = { 0 };
	assert_ok(folio_framework_load(&fw, TEST_STANDARDS_DIR));

	/* a file converted to CRLF twice ends its lines CR CR LF: no CR is left in the comment (found by fuzzing) */
	const char *twice = "## S2\r\r\nJudgement: met\r\r\nComment: one\r\r\ntwo\r\r\n";
	assert_ok(folio_review_form_parse(&j, &n, fw, 3, "f.md", twice, strlen(twice)));
	assert_int_equal(n, 1);
	assert_string_equal(j[0].standard, "S2");
	assert_string_equal(j[0].judgement, "met");
	assert_string_equal(j[0].comment, "one\ntwo");

	/* the form folio writes for those judgements reads back to them */
	s.id = 3;
	s.mentor = (char *)"m";
	s.qualification = (char *)"QMS";
	s.panel = (char *)"p";
	assert_ok(folio_review_form_write(&form, fw, &s, "r1", j, n));
	assert_has(form, "\n## S2 Teaching\n\nJudgement: met\nComment: one\ntwo\n");
	assert_ok(folio_review_form_parse(&j2, &n2, fw, 3, "again.md", form, strlen(form)));
	assert_int_equal(n2, 1);
	assert_string_equal(j2[0].comment, "one\ntwo");
	folio_judgements_free(j2, n2);

	/* a comment ending in a CR before other blanks: the CR is trimmed too, as it would be once printed and read back */
	const char *cr_end = "## S1\nJudgement: met\nComment: last\r \n";
	assert_ok(folio_review_form_parse(&j2, &n2, fw, 3, "f.md", cr_end, strlen(cr_end)));
	assert_string_equal(j2[0].comment, "last");
	folio_judgements_free(j2, n2);

	/* and it is a form of submission 3 only */
	assert_rc(folio_review_form_parse(&j2, &n2, fw, 4, "again.md", form, strlen(form)), FOLIO_EINVALID);
	assert_msg("again.md line 1: this is the form of submission 3, not 4");
	assert_null(j2);
	folio_judgements_free(j, n);
	free(form);
	folio_framework_free(fw);
}

static void test_form_errors_name_the_line(void **state)
{
	fx *f = *state;
	static const struct {
		const char *text, *message;
	} cases[] = {
		{ "## S1 Personal qualities\nJudgement: maybe\n", "f.md line 2: unknown judgement 'maybe' for S1: use met or more-evidence" },
		{ "\n## S5 Extra\nJudgement: met\n", "f.md line 2: unknown standard 'S5': the standards are S1, S2, S3 and S4" },
		{ "## S1\nJudgement: met\n## S1\nJudgement: met\n", "f.md line 3: a second section for S1 (the first is at line 1)" },
		{ "## S1\nJudgement: met\nJudgement: met\n", "f.md line 3: a second 'Judgement:' for S1 (the first is at line 2)" },
		{ "## S1\nI think it is fine\n", "f.md line 2: unexpected text in the S1 section" },
		{ "Judgement: met\n## S1\n", "f.md line 1: a 'Judgement:' or 'Comment:' line before the first standard's section" },
		{ "# Review form: submission 2\n## S1\nJudgement: met\n", "f.md line 1: this is the form of submission 2, not 1" },
		{ "## S1\nJudgement:\nComment: but what?\n", "f.md line 3: a comment on S1 but no judgement" },
		{ "## S1\nJudgement: met | more-evidence\n", "f.md: no standard has a judgement" },
		/* a form saved as Latin-1: stored comments must be text (found by fuzzing) */
		{ "## S1\nJudgement: met\nComment: caf\xE9\n", "f.md line 3: not valid UTF-8 text (byte 0xE9)" },
		/* all or nothing: the good S1 before the bad S2 is not recorded either */
		{ "## S1\nJudgement: met\n\n## S2\nJudgement: mett\n", "f.md line 5: unknown judgement 'mett' for S2" },
	};
	scenario(f);
	char *before = review_state(f);
	act(f, "r1");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = folio_review_record_form(f->site, 1, "f.md", cases[i].text, strlen(cases[i].text));
		if (rc != FOLIO_EINVALID)
			fail_msg("case %zu: returned %d (%s)", i, rc, folio_error_last());
		assert_has(folio_error_last(), cases[i].message);
	}
	char *after = review_state(f);
	assert_string_equal(before, after);
	free(before);
	free(after);
	/* and the form is for the assigned reviewer only */
	char *form = NULL;
	act(f, "r3");
	assert_rc(folio_review_form(&form, f->site, 1), FOLIO_EDENIED);
	assert_rc(folio_review_record_form(f->site, 1, "f.md", "## S1\nJudgement: met\n", 21), FOLIO_EDENIED);
}

int main(void)
{
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
	git_libgit2_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_moves_panel_in_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_done_needs_every_standard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outcome_recommended_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outcome_further_evidence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disagreement_waits_for_the_chair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disagreement_alone_then_recommended, setup, teardown),
		cmocka_unit_test_setup_teardown(test_moderate_without_chair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conclude_refused_listing_what_is_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conclude_releases_outcomes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feedback_numbering_across_submissions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feedback_tag_addresses_items, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feedback_address_and_accept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_open_needs_a_newer_tag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_review_show_resubmission, setup, teardown),
		cmocka_unit_test_setup_teardown(test_review_show_permissions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form_errors_name_the_line, setup, teardown),
		cmocka_unit_test(test_form_parse_without_site),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return rc;
}
