/* tests/unit/test_submission.c: submitting, readiness, one open submission, QLMS and exemptions, deadlines,
 * withdrawal, resubmission, held outcomes and who sees what. */
#include "support.h"

#include "folio.h"
#include "workflow_internal.h"

#include <git2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADMIN_LOGIN "adm-login"

/* ------------------------------------------------------------ fixture */

typedef struct {
	char *box;
	folio_site *site;
} fx;

static void add_person(folio_site *site, const char *id, unsigned roles, const char *school)
{
	char email[128], login[128];
	folio_person p = { 0 };
	snprintf(email, sizeof(email), "%s@example.org", id);
	snprintf(login, sizeof(login), "%s-login", id);
	p.id = (char *)id;
	p.name = (char *)id;
	p.email = email;
	p.login = login;
	p.school = (char *)school;
	p.roles = roles;
	if (folio_person_add(site, &p) != 0)
		fail_msg("person add %s: %s", id, folio_error_last());
}

static void act(fx *f, const char *person)
{
	char login[128];
	snprintf(login, sizeof(login), "%s-login", person);
	assert_ok(folio_site_act(f->site, strcmp(person, "adm") == 0 ? ADMIN_LOGIN : login, NULL));
}

static void today(const char *date)
{
	setenv("FOLIO_TODAY", date, 1);
}

/* Evidence text: `blocks` paragraphs of about 100 words for each listed standard (1-4). */
static char *evidence_text(const char *title, const int *standards, size_t nstd, int blocks)
{
	size_t cap = 65536, len = 0;
	char *t = malloc(cap);
	len += (size_t)snprintf(t + len, cap - len, "# %s\n\n", title);
	for (size_t s = 0; s < nstd; s++)
		for (int b = 0; b < blocks; b++) {
			len += (size_t)snprintf(t + len, cap - len, "In week %d I worked with my trainee on standard %d.", b + 1,
				standards[s]);
			for (int w = 0; w < 9; w++)
				len += (size_t)snprintf(t + len, cap - len,
					" We talked through what went well and what to change next time, and why it mattered.");
			len += (size_t)snprintf(t + len, cap - len, " #S%d\n\n", standards[s]);
		}
	return t;
}

/* Commit an entry as the mentor; commit_out (may be NULL) gets the new tip. */
static void entry(fx *f, const char *mentor, const char *title, const int *standards, size_t nstd, int blocks,
	char commit_out[41])
{
	char *text = evidence_text(title, standards, nstd, blocks);
	char *path = NULL, commit[41];
	folio_entry_options o = { title, NULL };
	act(f, mentor);
	if (folio_entry_add(f->site, mentor, text, strlen(text), &o, &path, commit) != 0)
		fail_msg("entry add for %s: %s", mentor, folio_error_last());
	if (commit_out)
		memcpy(commit_out, commit, 41);
	free(path);
	free(text);
}

static const int all4[] = { 1, 2, 3, 4 };
static const int first2[] = { 1, 2 };

static void portfolio(fx *f, const char *mentor, const char *q)
{
	act(f, "adm");
	if (folio_portfolio_create(f->site, mentor, q) != 0)
		fail_msg("portfolio create %s: %s", mentor, folio_error_last());
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	char dir[4096];
	today("2026-09-01");
	f->box = test_tmpdir("submission");
	snprintf(dir, sizeof(dir), "%s/site", f->box);
	if (test_site_create(&f->site, dir, ADMIN_LOGIN) != 0)
		return -1;
	{
		folio_school s = { (char *)"brook", (char *)"Brookfield Primary", FOLIO_PHASE_PRIMARY };
		if (folio_school_add(f->site, &s) != 0)
			return -1;
	}
	add_person(f->site, "ann", FOLIO_ROLE_MENTOR, "brook");   /* ready QMS */
	add_person(f->site, "bob", FOLIO_ROLE_MENTOR, "brook");   /* QMS with gaps */
	add_person(f->site, "cat", FOLIO_ROLE_MENTOR, NULL);      /* QLMS, no QMS */
	add_person(f->site, "dan", FOLIO_ROLE_MENTOR | FOLIO_ROLE_LEAD | FOLIO_ROLE_REVIEWER, NULL); /* QMS, also reviews */
	add_person(f->site, "rev", FOLIO_ROLE_REVIEWER, NULL);
	add_person(f->site, "lea", FOLIO_ROLE_LEAD, NULL);
	act(f, "adm");
	if (folio_panel_plan(f->site, 2026) != 0)
		return -1;

	portfolio(f, "ann", "QMS");
	entry(f, "ann", "Evidence for every standard", all4, 4, 2, NULL);
	portfolio(f, "bob", "QMS");
	entry(f, "bob", "A start", first2, 2, 2, NULL);
	portfolio(f, "cat", "QLMS");
	entry(f, "cat", "Leading mentors", all4, 4, 3, NULL);
	portfolio(f, "dan", "QMS");
	entry(f, "dan", "Evidence for every standard", all4, 4, 2, NULL);
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
	free(f);
	unsetenv("FOLIO_TODAY");
	return 0;
}

static void tip(char out[41], fx *f, const char *mentor)
{
	folio_portfolio p;
	act(f, "adm");
	assert_ok(folio_portfolio_get(&p, f->site, mentor));
	memcpy(out, p.commit, 41);
	folio_portfolio_clear(&p);
}

static long long submit_ok(fx *f, const char *mentor, const char *panel)
{
	long long id = 0;
	act(f, mentor);
	if (folio_submit(f->site, mentor, panel, &id) != 0)
		fail_msg("submit %s: %s", mentor, folio_error_last());
	assert_true(id > 0);
	return id;
}

/* Count the submissions in the site (as an admin sees them). */
static size_t submission_count(fx *f)
{
	folio_submission *v = NULL;
	size_t n = 0;
	act(f, "adm");
	assert_ok(folio_submission_list(&v, &n, f->site, NULL, NULL));
	folio_submissions_free(v, n);
	return n;
}

static char *state_of(fx *f, const char *as, long long id)
{
	folio_submission s;
	char *state;
	act(f, as);
	assert_ok(folio_submission_get(&s, f->site, id));
	state = strdup(s.state);
	folio_submission_clear(&s);
	return state;
}

static void assert_state(fx *f, long long id, const char *want)
{
	char *got = state_of(f, "adm", id);
	assert_string_equal(got, want);
	free(got);
}

/* Fixture: the review of `id` ends (what assignment, review and conclusion do) with `outcome`, released or held. */
static void review_ends(fx *f, long long id, const char *outcome, int released)
{
	static const char *const submitted[] = { "submitted", NULL };
	static const char *const in_review[] = { "in-review", NULL };
	char text[256];
	act(f, "adm");
	assert_ok(folio_tx_begin(f->site));
	assert_ok(folio_wf_set_state(f->site, id, submitted, "in-review", "fixture: assigned"));
	snprintf(text, sizeof(text), "UPDATE submission SET outcome = '%s' WHERE id = %lld", outcome, id);
	test_sql(f->site, text);
	if (released) {
		assert_ok(folio_wf_set_state(f->site, id, in_review, outcome, "fixture: concluded"));
		snprintf(text, sizeof(text),
			"UPDATE panel SET state = 'concluded' WHERE id = (SELECT panel FROM submission WHERE id = %lld)", id);
		test_sql(f->site, text);
	}
	assert_ok(folio_tx_commit(f->site));
}

static const folio_audit_row *last_row(folio_audit_row *rows, size_t n, const char *action)
{
	for (size_t i = n; i-- > 0;)
		if (strcmp(rows[i].action, action) == 0)
			return &rows[i];
	return NULL;
}

/* ------------------------------------------------------------ submitting */

static void test_submit_pins_tip(void **state)
{
	fx *f = *state;
	folio_submission s;
	folio_state_change *h = NULL;
	folio_audit_row *rows = NULL;
	size_t nh = 0, nrows = 0;
	char commit[41];

	tip(commit, f, "ann");
	long long id = submit_ok(f, "ann", NULL);
	assert_ok(folio_submission_get(&s, f->site, id));
	assert_string_equal(s.mentor, "ann");
	assert_string_equal(s.qualification, "QMS");
	assert_string_equal(s.panel, "2026-autumn"); /* the next open panel */
	assert_string_equal(s.commit, commit);
	assert_string_equal(s.state, "submitted");
	assert_null(s.outcome);
	assert_int_equal(s.previous, 0);
	folio_submission_clear(&s);

	assert_ok(folio_submission_history(&h, &nh, f->site, id));
	assert_int_equal(nh, 1);
	assert_null(h[0].from);
	assert_string_equal(h[0].to, "submitted");
	assert_string_equal(h[0].actor, "ann");
	assert_has(h[0].note, "2026-autumn");
	folio_state_changes_free(h, nh);

	/* audited with the commit */
	act(f, "adm");
	assert_ok(folio_audit_list(&rows, &nrows, f->site));
	const folio_audit_row *r = last_row(rows, nrows, "submission.state");
	assert_non_null(r);
	assert_string_equal(r->to_state, "submitted");
	assert_string_equal(r->commit, commit);
	assert_string_equal(r->actor, "ann");
	folio_audit_rows_free(rows, nrows);

	/* the mentor keeps writing; the submission stays pinned */
	entry(f, "ann", "After submitting", all4, 1, 1, NULL);
	act(f, "ann");
	assert_ok(folio_submission_get(&s, f->site, id));
	assert_string_equal(s.commit, commit);
	folio_submission_clear(&s);

	/* the panel counts it */
	folio_panel p;
	assert_ok(folio_panel_get(&p, f->site, "2026-autumn"));
	assert_int_equal(p.submissions, 1);
	assert_int_equal(p.by_state[0], 1);
	folio_panel_clear(&p);
}

static void test_submit_not_ready_lists_missing(void **state)
{
	fx *f = *state;
	long long id = 0;
	folio_audit_row *rows = NULL;
	size_t n = 0;

	act(f, "bob");
	assert_rc(folio_submit(f->site, "bob", NULL, &id), FOLIO_EINVALID);
	assert_msg("the portfolio of 'bob' is not ready for QMS: ");
	assert_msg("S3 Professionalism: 0 of 2 evidence blocks, 0 of 150 words");
	assert_msg("; S4 Self-development and working in partnership: 0 of 2 evidence blocks");
	assert_null(strstr(folio_error_last(), "S1"));
	assert_null(strchr(folio_error_last(), '\n'));
	assert_int_equal(id, 0);
	assert_int_equal(submission_count(f), 0);

	/* the refused attempt is in the audit log */
	assert_ok(folio_audit_list(&rows, &n, f->site));
	const folio_audit_row *r = last_row(rows, n, "refused");
	assert_non_null(r);
	assert_string_equal(r->actor, "bob");
	assert_has(r->detail, "submit: the portfolio of 'bob' is not ready");
	folio_audit_rows_free(rows, n);

	/* an empty portfolio */
	add_person(f->site, "eve", FOLIO_ROLE_MENTOR, NULL);
	portfolio(f, "eve", "QMS");
	act(f, "eve");
	assert_rc(folio_submit(f->site, "eve", NULL, &id), FOLIO_EINVALID);
	assert_msg("the portfolio of 'eve' has no entries yet");
	/* no portfolio at all */
	act(f, "rev");
	assert_rc(folio_submit(f->site, "rev", NULL, &id), FOLIO_ENOTFOUND);
	assert_int_equal(submission_count(f), 0);
}

static void test_second_open_submission_refused(void **state)
{
	fx *f = *state;
	long long other = 0;
	long long id = submit_ok(f, "ann", NULL);

	act(f, "ann");
	assert_rc(folio_submit(f->site, "ann", "2027-spring", &other), FOLIO_ECONFLICT);
	assert_msg("mentor 'ann' already has an open submission: submission 1 for panel '2026-autumn' is submitted");
	assert_int_equal(submission_count(f), 1);

	/* still open in review, and recommended (until certified) */
	review_ends(f, id, "recommended", 1);
	act(f, "ann");
	assert_rc(folio_submit(f->site, "ann", "2027-spring", &other), FOLIO_ECONFLICT);
	assert_msg("is recommended");
	assert_int_equal(submission_count(f), 1);

	/* a certified qualification is held: no second attempt at it */
	static const char *const rec[] = { "recommended", NULL };
	act(f, "adm");
	assert_ok(folio_tx_begin(f->site));
	assert_ok(folio_wf_set_state(f->site, id, rec, "certified", "fixture"));
	assert_ok(folio_tx_commit(f->site));
	act(f, "ann");
	assert_rc(folio_submit(f->site, "ann", "2027-spring", &other), FOLIO_ECONFLICT);
	assert_msg("mentor 'ann' already holds QMS");
}

static void test_submit_in_review_refused(void **state)
{
	fx *f = *state;
	long long other = 0;
	long long id = submit_ok(f, "ann", NULL);
	review_ends(f, id, "further-evidence", 0);
	act(f, "ann");
	assert_rc(folio_submit(f->site, "ann", "2027-spring", &other), FOLIO_ECONFLICT);
	assert_msg("is in-review");
}

static void test_submit_panel_choice_and_deadline(void **state)
{
	fx *f = *state;
	long long id = 0;

	act(f, "ann");
	assert_rc(folio_submit(f->site, "ann", "2031-winter", &id), FOLIO_ENOTFOUND);
	assert_msg("no panel '2031-winter'");

	/* after the autumn deadline: refused for autumn, spring is the next open panel */
	today("2026-10-29");
	assert_rc(folio_submit(f->site, "ann", "2026-autumn", &id), FOLIO_ECONFLICT);
	assert_msg("the deadline of panel '2026-autumn' passed on 2026-10-28: the next open panel is '2027-spring'");
	assert_int_equal(submission_count(f), 0);
	id = submit_ok(f, "ann", NULL);
	folio_submission s;
	assert_ok(folio_submission_get(&s, f->site, id));
	assert_string_equal(s.panel, "2027-spring");
	folio_submission_clear(&s);

	/* a panel already assigned takes no more */
	test_sql(f->site, "UPDATE panel SET state = 'assigned' WHERE id = '2027-summer'");
	act(f, "dan");
	assert_rc(folio_submit(f->site, "dan", "2027-summer", &id), FOLIO_ECONFLICT);
	assert_msg("panel '2027-summer' is assigned: it takes no more submissions");

	/* every deadline passed */
	today("2027-06-01");
	assert_rc(folio_submit(f->site, "dan", NULL, &id), FOLIO_ENOTFOUND);
	assert_msg("open for submissions");
	assert_int_equal(submission_count(f), 1);
}

static void test_submit_permissions(void **state)
{
	fx *f = *state;
	long long id = 0;
	folio_audit_row *rows = NULL;
	size_t n = 0;

	act(f, "bob");
	assert_rc(folio_submit(f->site, "ann", NULL, &id), FOLIO_EDENIED);
	assert_msg("person 'bob' may not submit the portfolio of 'ann'");
	/* an admin submits only as the mentor */
	act(f, "adm");
	assert_rc(folio_submit(f->site, "ann", NULL, &id), FOLIO_EDENIED);
	assert_int_equal(submission_count(f), 0);

	assert_ok(folio_site_act(f->site, ADMIN_LOGIN, "ann"));
	assert_ok(folio_submit(f->site, "ann", NULL, &id));
	assert_ok(folio_audit_list(&rows, &n, f->site));
	const folio_audit_row *r = last_row(rows, n, "submission.state");
	assert_string_equal(r->actor, "ann");
	assert_string_equal(r->real, "adm");
	folio_audit_rows_free(rows, n);
}

/* ------------------------------------------------------------ QLMS */

static void test_qlms_needs_qms_or_exemption(void **state)
{
	fx *f = *state;
	long long id = 0;

	act(f, "cat");
	assert_rc(folio_submit(f->site, "cat", NULL, &id), FOLIO_ECONFLICT);
	assert_msg("mentor 'cat' may not submit for QLMS without holding QMS");
	assert_int_equal(submission_count(f), 0);

	/* exemption: admins only, with a reason, for a qualification that requires another */
	act(f, "lea");
	assert_rc(folio_exemption_add(f->site, "cat", "qlms", "long-standing lead mentor"), FOLIO_EDENIED);
	act(f, "adm");
	assert_rc(folio_exemption_add(f->site, "cat", "qlms", ""), FOLIO_EINVALID);
	assert_msg("needs a reason");
	assert_rc(folio_exemption_add(f->site, "cat", "qlms", NULL), FOLIO_EINVALID);
	assert_rc(folio_exemption_add(f->site, "cat", "qms", "x"), FOLIO_EINVALID);
	assert_msg("QMS requires no other qualification");
	assert_rc(folio_exemption_add(f->site, "cat", "qxs", "x"), FOLIO_EINVALID);
	assert_msg("unknown qualification 'qxs'");
	assert_rc(folio_exemption_add(f->site, "rev", "qlms", "x"), FOLIO_EINVALID);
	assert_msg("person 'rev' is not a mentor");
	assert_rc(folio_exemption_add(f->site, "ghost", "qlms", "x"), FOLIO_ENOTFOUND);
	act(f, "cat");
	assert_rc(folio_submit(f->site, "cat", NULL, &id), FOLIO_ECONFLICT);

	act(f, "adm");
	assert_ok(folio_exemption_add(f->site, "cat", "qlms", "long-standing lead mentor"));
	assert_rc(folio_exemption_add(f->site, "cat", "qlms", "again"), FOLIO_EEXISTS);
	id = submit_ok(f, "cat", NULL);
	folio_submission s;
	assert_ok(folio_submission_get(&s, f->site, id));
	assert_string_equal(s.qualification, "QLMS");
	folio_submission_clear(&s);
}

static void test_qlms_with_qms_certificate(void **state)
{
	fx *f = *state;
	long long id = 0;
	/* fixture: a QMS certificate for cat, as certification writes it */
	test_sql(f->site, "INSERT INTO submission(mentor, qualification, panel, commit_id, state, created)"
	       " VALUES ('cat', 'QMS', '2026-autumn', '0123456789012345678901234567890123456789', 'certified', 'x')");
	test_sql(f->site, "INSERT INTO certificate(number, submission, holder, qualification, issued, panel, approved_by, commit_id, assertion)"
	       " VALUES ('QMS-2026-0001', last_insert_rowid(), 'cat', 'QMS', 'x', '2026-autumn', 'lea', 'x', '{}')");
	test_sql(f->site, "UPDATE certificate SET revoked = 'x', revoked_reason = 'fixture'");
	act(f, "cat");
	assert_rc(folio_submit(f->site, "cat", NULL, &id), FOLIO_ECONFLICT); /* a revoked certificate is not held */
	test_sql(f->site, "UPDATE certificate SET revoked = NULL, revoked_reason = NULL");
	id = submit_ok(f, "cat", NULL);
	assert_state(f, id, "submitted");
}

/* ------------------------------------------------------------ withdraw */

static void test_withdraw(void **state)
{
	fx *f = *state;
	folio_state_change *h = NULL;
	size_t nh = 0;
	long long id = submit_ok(f, "ann", NULL);

	act(f, "bob");
	assert_rc(folio_withdraw(f->site, "ann"), FOLIO_EDENIED);
	assert_state(f, id, "submitted");

	act(f, "ann");
	assert_ok(folio_withdraw(f->site, "ann"));
	assert_state(f, id, "withdrawn");
	act(f, "ann");
	assert_ok(folio_submission_history(&h, &nh, f->site, id));
	assert_int_equal(nh, 2);
	assert_string_equal(h[1].from, "submitted");
	assert_string_equal(h[1].to, "withdrawn");
	folio_state_changes_free(h, nh);

	assert_rc(folio_withdraw(f->site, "ann"), FOLIO_ENOTFOUND);
	assert_msg("mentor 'ann' has no open submission to withdraw");

	/* a withdrawn submission frees the way for a new one */
	long long again = submit_ok(f, "ann", NULL);
	assert_true(again > id);

	/* not once it is with reviewers */
	review_ends(f, again, "recommended", 0);
	act(f, "ann");
	assert_rc(folio_withdraw(f->site, "ann"), FOLIO_ECONFLICT);
	assert_msg("submission 2 of 'ann' is in-review: only a submission not yet with reviewers can be withdrawn");
	assert_state(f, again, "in-review");
	act(f, "ghost");
	assert_rc(folio_withdraw(f->site, "ghost"), FOLIO_EDENIED);
}

/* ------------------------------------------------------------ resubmit */

static void test_resubmit_after_further_evidence(void **state)
{
	fx *f = *state;
	folio_submission s;
	long long id2 = 0;
	char first[41], second[41];

	act(f, "ann");
	assert_rc(folio_resubmit(f->site, "ann", NULL, &id2), FOLIO_ENOTFOUND);
	assert_msg("mentor 'ann' has no submission to resubmit");

	tip(first, f, "ann");
	long long id = submit_ok(f, "ann", NULL);
	act(f, "ann");
	assert_rc(folio_resubmit(f->site, "ann", NULL, &id2), FOLIO_ECONFLICT); /* still open */

	review_ends(f, id, "further-evidence", 1);
	today("2026-12-01");

	/* a first submission again would lose the link */
	act(f, "ann");
	assert_rc(folio_submit(f->site, "ann", NULL, &id2), FOLIO_ECONFLICT);
	assert_msg("asked for further evidence: resubmit");

	/* nothing new yet */
	assert_rc(folio_resubmit(f->site, "ann", NULL, &id2), FOLIO_EINVALID);
	char want[128];
	snprintf(want, sizeof(want), "since commit %.12s (submission %lld): add evidence first", first, id);
	assert_msg(want);
	assert_int_equal(submission_count(f), 1);

	entry(f, "ann", "More on professionalism", (const int[]){ 3 }, 1, 1, second);
	act(f, "ann");
	assert_ok(folio_resubmit(f->site, "ann", NULL, &id2));
	assert_ok(folio_submission_get(&s, f->site, id2));
	assert_int_equal(s.previous, id);
	assert_string_equal(s.commit, second);
	assert_string_equal(s.panel, "2027-spring");
	assert_string_equal(s.state, "submitted");
	folio_submission_clear(&s);
	assert_state(f, id, "further-evidence");

	/* once only: the latest is now the resubmission */
	act(f, "ann");
	assert_rc(folio_resubmit(f->site, "ann", NULL, &id2), FOLIO_ECONFLICT);
	assert_int_equal(submission_count(f), 2);
}

static void test_resubmit_only_after_further_evidence(void **state)
{
	fx *f = *state;
	long long id = submit_ok(f, "ann", NULL), other = 0;
	act(f, "ann");
	assert_ok(folio_withdraw(f->site, "ann"));
	entry(f, "ann", "More", all4, 1, 1, NULL);
	act(f, "ann");
	assert_rc(folio_resubmit(f->site, "ann", NULL, &other), FOLIO_ECONFLICT);
	assert_msg("submission 1 of 'ann' is withdrawn: only a submission with further evidence requested can be resubmitted");

	/* a held further-evidence outcome is not yet released: the mentor cannot act on it */
	id = submit_ok(f, "ann", NULL);
	review_ends(f, id, "further-evidence", 0);
	entry(f, "ann", "Even more", all4, 1, 1, NULL);
	act(f, "ann");
	assert_rc(folio_resubmit(f->site, "ann", NULL, &other), FOLIO_ECONFLICT);
	assert_int_equal(submission_count(f), 2);
}

static void test_resubmit_must_be_ready(void **state)
{
	fx *f = *state;
	long long id = 0;
	/* fixture: bob's earlier attempt asked for further evidence (his portfolio was ready then) */
	test_sql(f->site, "INSERT INTO submission(mentor, qualification, panel, commit_id, state, outcome, created)"
	       " VALUES ('bob', 'QMS', '2026-autumn', '0123456789012345678901234567890123456789', 'further-evidence',"
	       " 'further-evidence', 'x')");
	test_sql(f->site, "UPDATE panel SET state = 'concluded' WHERE id = '2026-autumn'");
	entry(f, "bob", "Some professionalism", (const int[]){ 3 }, 1, 1, NULL);
	act(f, "bob");
	assert_rc(folio_resubmit(f->site, "bob", NULL, &id), FOLIO_EINVALID);
	assert_msg("the portfolio of 'bob' is not ready for QMS: S3 Professionalism: 1 of 2 evidence blocks");
	assert_msg("S4 Self-development");
	assert_int_equal(submission_count(f), 1);
}

/* ------------------------------------------------------------ who sees what */

static void test_mentors_see_their_own(void **state)
{
	fx *f = *state;
	folio_submission *v = NULL, s;
	size_t n = 0;
	long long a = submit_ok(f, "ann", NULL);
	long long d = submit_ok(f, "dan", NULL);

	act(f, "ann");
	assert_ok(folio_submission_list(&v, &n, f->site, NULL, NULL));
	assert_int_equal(n, 1);
	assert_string_equal(v[0].mentor, "ann");
	folio_submissions_free(v, n);
	assert_rc(folio_submission_list(&v, &n, f->site, "dan", NULL), FOLIO_EDENIED);
	assert_rc(folio_submission_get(&s, f->site, d), FOLIO_EDENIED);
	assert_msg("person 'ann' may not see submission 2: mentors see only their own submissions");
	assert_rc(folio_submission_history(&(folio_state_change *){ NULL }, &n, f->site, d), FOLIO_EDENIED);
	assert_rc(folio_submission_latest(&s, f->site, "dan"), FOLIO_EDENIED);

	act(f, "rev");
	assert_ok(folio_submission_list(&v, &n, f->site, NULL, NULL));
	assert_int_equal(n, 2);
	folio_submissions_free(v, n);
	assert_ok(folio_submission_list(&v, &n, f->site, "dan", "2026-autumn"));
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, d);
	folio_submissions_free(v, n);
	assert_ok(folio_submission_list(&v, &n, f->site, NULL, "2027-spring"));
	assert_int_equal(n, 0);
	folio_submissions_free(v, n);
	assert_rc(folio_submission_list(&v, &n, f->site, "ghost", NULL), FOLIO_ENOTFOUND);
	assert_rc(folio_submission_list(&v, &n, f->site, NULL, "2031-winter"), FOLIO_ENOTFOUND);
	assert_rc(folio_submission_get(&s, f->site, 999), FOLIO_ENOTFOUND);
	assert_msg("no submission 999");

	assert_ok(folio_submission_latest(&s, f->site, "ann"));
	assert_int_equal(s.id, a);
	folio_submission_clear(&s);
	assert_rc(folio_submission_latest(&s, f->site, "bob"), FOLIO_ENOTFOUND);
	assert_msg("mentor 'bob' has no submission");

	act(f, "nobody");
	assert_rc(folio_submission_list(&v, &n, f->site, NULL, NULL), FOLIO_EDENIED);
}

static void test_outcome_held_until_concluded(void **state)
{
	fx *f = *state;
	folio_submission s;
	folio_state_change *h = NULL;
	size_t nh = 0;
	long long a = submit_ok(f, "ann", NULL);
	long long d = submit_ok(f, "dan", NULL);

	review_ends(f, a, "recommended", 0);
	review_ends(f, d, "further-evidence", 0);

	/* the mentor: in review, no outcome */
	act(f, "ann");
	assert_ok(folio_submission_get(&s, f->site, a));
	assert_string_equal(s.state, "in-review");
	assert_null(s.outcome);
	folio_submission_clear(&s);
	/* a reviewer (not of their own) sees the held outcome */
	act(f, "rev");
	assert_ok(folio_submission_get(&s, f->site, a));
	assert_string_equal(s.outcome, "recommended");
	folio_submission_clear(&s);
	/* dan reviews, but not his own held outcome */
	act(f, "dan");
	assert_ok(folio_submission_get(&s, f->site, d));
	assert_null(s.outcome);
	folio_submission_clear(&s);
	assert_ok(folio_submission_get(&s, f->site, a));
	assert_string_equal(s.outcome, "recommended");
	folio_submission_clear(&s);

	/* defensive: a state changed before the panel concluded still reads in-review to the mentor */
	static const char *const in_review[] = { "in-review", NULL };
	act(f, "adm");
	assert_ok(folio_tx_begin(f->site));
	assert_ok(folio_wf_set_state(f->site, a, in_review, "recommended", "fixture: early"));
	assert_ok(folio_tx_commit(f->site));
	act(f, "ann");
	assert_ok(folio_submission_get(&s, f->site, a));
	assert_string_equal(s.state, "in-review");
	folio_submission_clear(&s);
	assert_ok(folio_submission_history(&h, &nh, f->site, a));
	assert_int_equal(nh, 2);
	assert_string_equal(h[nh - 1].to, "in-review");
	folio_state_changes_free(h, nh);
	act(f, "lea");
	assert_ok(folio_submission_history(&h, &nh, f->site, a));
	assert_int_equal(nh, 3);
	assert_string_equal(h[2].to, "recommended");
	folio_state_changes_free(h, nh);

	/* released */
	test_sql(f->site, "UPDATE panel SET state = 'concluded' WHERE id = '2026-autumn'");
	act(f, "ann");
	assert_ok(folio_submission_get(&s, f->site, a));
	assert_string_equal(s.state, "recommended");
	assert_string_equal(s.outcome, "recommended");
	folio_submission_clear(&s);
}

static void test_panel_counts_by_state(void **state)
{
	fx *f = *state;
	folio_panel p;
	submit_ok(f, "ann", NULL);
	long long d = submit_ok(f, "dan", NULL);
	act(f, "dan");
	assert_ok(folio_withdraw(f->site, "dan"));
	(void)d;
	act(f, "rev");
	assert_ok(folio_panel_get(&p, f->site, "2026-autumn"));
	assert_int_equal(p.submissions, 1); /* withdrawn not counted */
	for (size_t i = 0; i < FOLIO_SUBMISSION_NSTATES; i++) {
		const char *name = folio_submission_state_name(i);
		size_t want = strcmp(name, "submitted") == 0 || strcmp(name, "withdrawn") == 0 ? 1 : 0;
		assert_int_equal(p.by_state[i], want);
	}
	folio_panel_clear(&p);
}

static void test_no_fail_state(void **state)
{
	(void)state;
	size_t i;
	for (i = 0; folio_submission_state_name(i); i++)
		assert_null(strstr(folio_submission_state_name(i), "fail"));
	assert_int_equal(i, FOLIO_SUBMISSION_NSTATES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_submit_pins_tip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_submit_not_ready_lists_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_open_submission_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_submit_in_review_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_submit_panel_choice_and_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_submit_permissions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlms_needs_qms_or_exemption, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qlms_with_qms_certificate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_withdraw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resubmit_after_further_evidence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resubmit_only_after_further_evidence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resubmit_must_be_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mentors_see_their_own, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outcome_held_until_concluded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_panel_counts_by_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_fail_state, setup, teardown),
	};
	int rc = cmocka_run_group_tests_name("submission", tests, NULL, NULL);
	git_libgit2_shutdown();
	return rc;
}
