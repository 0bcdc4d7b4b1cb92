/* engine/submission.c: submissions pinned to a commit, their states and history, withdrawal, resubmission, exemptions. */
#include "folio/submission.h"
#include "folio/index.h"
#include "folio/panel.h"
#include "folio/people.h"
#include "folio/portfolio.h"
#include "util.h"
#include "workflow_internal.h"

#include <stdlib.h>
#include <string.h>

static const char *const state_names[FOLIO_SUBMISSION_NSTATES] = {
	"submitted", "in-review", "recommended", "further-evidence", "certified", "revoked", "withdrawn",
};

/* States in which a mentor's attempt is still under way: a second one must wait. */
#define OPEN_STATES "('submitted','in-review','recommended')"

const char *folio_submission_state_name(size_t i)
{
	return i < FOLIO_SUBMISSION_NSTATES ? state_names[i] : NULL;
}

/* Copy a short value we generated ourselves (a state, a commit id, a panel id) into a fixed field. */
static void copy_text(char *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Reviewers, leads and admins see every submission and its held outcome. */
static int sees_all(const folio_site *site)
{
	return folio_site_has_role(site, FOLIO_ROLE_REVIEWER | FOLIO_ROLE_LEAD | FOLIO_ROLE_ADMIN);
}

/*
 * Record a refused attempt at a state change in the audit log (refusals of
 * permission are recorded by folio_site_deny already) and return the error
 * unchanged, message included. Called outside any transaction.
 */
static int refused(folio_site *site, const char *mentor, const char *what, int error)
{
	char *msg, *obj, *detail;
	if (error >= 0 || error == FOLIO_EDENIED || !site->actor || !sqlite3_get_autocommit(site->db))
		return error;
	msg = folio_strdup(folio_error_last());
	obj = folio_asprintf("portfolio:%s", mentor ? mentor : "");
	detail = folio_asprintf("%s: %s", what, msg);
	if (folio_tx_begin(site) == 0) {
		if (folio_audit_append(site, "refused", obj, detail) == 0)
			folio_tx_commit(site);
		else
			folio_tx_rollback(site);
	}
	folio_error_set(error, "%s", msg);
	free(msg);
	free(obj);
	free(detail);
	return error;
}

/* ------------------------------------------------------------ reading */

#define SUBMISSION_SELECT \
	"SELECT s.id, s.mentor, s.qualification, s.panel, s.commit_id, s.previous, s.state, s.outcome," \
	" s.approved_by, s.created, p.state FROM submission s JOIN panel p ON p.id = s.panel"

/*
 * Fill one submission from a row of SUBMISSION_SELECT. Until its panel has
 * concluded the outcome is held: the mentor (also a mentor who reviews) and
 * anyone who does not see all submissions get "in-review" and no outcome.
 * *held says whether that was done.
 */
static void submission_from_row(folio_submission *s, folio_site *site, sqlite3_stmt *st, int *held)
{
	const char *commit = (const char *)sqlite3_column_text(st, 4);
	const char *panel_state = (const char *)sqlite3_column_text(st, 10);
	int own, hide;

	memset(s, 0, sizeof(*s));
	s->id = sqlite3_column_int64(st, 0);
	s->mentor = folio_db_col_dup(st, 1);
	s->qualification = folio_db_col_dup(st, 2);
	s->panel = folio_db_col_dup(st, 3);
	copy_text(s->commit, sizeof(s->commit), commit);
	s->previous = sqlite3_column_int64(st, 5);
	s->state = folio_db_col_dup(st, 6);
	s->outcome = folio_db_col_dup(st, 7);
	s->approved_by = folio_db_col_dup(st, 8);
	s->created = folio_db_col_dup(st, 9);

	own = site->actor && strcmp(site->actor, s->mentor) == 0;
	hide = (own || !sees_all(site)) && !(panel_state && strcmp(panel_state, "concluded") == 0);
	if (hide) {
		free(s->outcome);
		s->outcome = NULL;
		if (strcmp(s->state, "recommended") == 0 || strcmp(s->state, "further-evidence") == 0) {
			free(s->state);
			s->state = folio_strdup("in-review");
		}
	}
	if (held)
		*held = hide;
}

/* Read submission `id` as the actor may see it; refuses (audited) a mentor reading another's. */
static int submission_load(folio_submission *out, folio_site *site, long long id, int *held)
{
	sqlite3_stmt *st = NULL;
	int error, rc;

	memset(out, 0, sizeof(*out));
	if (!site->actor)
		return folio_site_deny(site, "read submissions", "");
	if ((error = folio_db_prepare(site, &st, SUBMISSION_SELECT " WHERE s.id = ?1")) < 0)
		return error;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		submission_from_row(out, site, st, held);
	else if (rc == SQLITE_DONE)
		error = folio_error_set(FOLIO_ENOTFOUND, "no submission %lld in site '%s'", id, site->path);
	else
		error = folio_db_error(site, "cannot read submissions");
	sqlite3_finalize(st);
	if (error == 0 && !sees_all(site) && strcmp(out->mentor, site->actor) != 0) {
		char *action = folio_asprintf("see submission %lld", id);
		folio_submission_clear(out);
		error = folio_site_deny(site, action, "mentors see only their own submissions");
		free(action);
	}
	return error;
}

int folio_submission_get(folio_submission *out, folio_site *site, long long id)
{
	return submission_load(out, site, id, NULL);
}

int folio_submission_reviewers(char ***out, size_t *n, folio_site *site, long long id)
{
	folio_submission sub;
	sqlite3_stmt *st = NULL;
	char **v = NULL;
	size_t count = 0, cap = 0;
	int error, rc;

	*out = NULL;
	*n = 0;
	if ((error = submission_load(&sub, site, id, NULL)) < 0)
		return error;
	/* the mentor, even one who also reviews, is not told who reviews them */
	int own = strcmp(sub.mentor, site->actor) == 0;
	folio_submission_clear(&sub);
	if (own || !sees_all(site))
		return 0;
	if ((error = folio_db_prepare(site, &st,
		"SELECT reviewer FROM assignment WHERE submission = ?1 ORDER BY reviewer")) < 0)
		return error;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = folio_grow(v, &cap, count + 1, sizeof(*v));
		v[count++] = folio_db_col_dup(st, 0);
	}
	if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read assignments");
	sqlite3_finalize(st);
	if (error < 0) {
		for (size_t i = 0; i < count; i++)
			free(v[i]);
		free(v);
		return error;
	}
	*out = v;
	*n = count;
	return 0;
}

static int panel_exists(folio_site *site, const char *id)
{
	sqlite3_stmt *st = NULL;
	int error, rc;
	if ((error = folio_db_prepare(site, &st, "SELECT 1 FROM panel WHERE id = ?1")) < 0)
		return error;
	folio_db_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return folio_db_error(site, "cannot read panels");
	return folio_error_set(FOLIO_ENOTFOUND, "no panel '%s' in site '%s'", id ? id : "", site->path);
}

int folio_submission_list(folio_submission **out, size_t *n, folio_site *site, const char *mentor, const char *panel)
{
	sqlite3_stmt *st = NULL;
	folio_submission *v = NULL;
	size_t count = 0, cap = 0;
	int error, rc;

	*out = NULL;
	*n = 0;
	if (!site->actor)
		return folio_site_deny(site, "read submissions", "");
	if (mentor && (error = folio_person_exists(site, mentor)) < 0)
		return error;
	if (panel && (error = panel_exists(site, panel)) < 0)
		return error;
	if (!sees_all(site)) {
		char *action = folio_asprintf("see the submissions of '%s'", mentor ? mentor : "");
		error = mentor ? folio_site_require_self_or(site, mentor, 0, action) : 0;
		free(action);
		if (error < 0)
			return error;
		mentor = site->actor;
	}
	if ((error = folio_db_cached(site, &st, SUBMISSION_SELECT
		" WHERE (?1 IS NULL OR s.mentor = ?1) AND (?2 IS NULL OR s.panel = ?2) ORDER BY s.id")) < 0)
		return error;
	folio_db_bind_text(st, 1, mentor);
	folio_db_bind_text(st, 2, panel);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = folio_grow(v, &cap, count + 1, sizeof(*v));
		submission_from_row(&v[count++], site, st, NULL);
	}
	if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read submissions");
	folio_db_release(site, st);
	if (error < 0) {
		folio_submissions_free(v, count);
		return error;
	}
	*out = v;
	*n = count;
	return 0;
}

int folio_submission_history(folio_state_change **out, size_t *n, folio_site *site, long long id)
{
	folio_submission s;
	sqlite3_stmt *st = NULL;
	folio_state_change *v = NULL;
	size_t count = 0, cap = 0;
	int error, rc, held = 0;

	*out = NULL;
	*n = 0;
	if ((error = submission_load(&s, site, id, &held)) < 0)
		return error;
	folio_submission_clear(&s);
	if ((error = folio_db_prepare(site, &st,
		"SELECT from_state, to_state, actor, time, note FROM submission_history WHERE submission = ?1 ORDER BY seq")) < 0)
		return error;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *to = (const char *)sqlite3_column_text(st, 1);
		/* a held outcome stays out of the mentor's view of the history too */
		if (held && (strcmp(to, "recommended") == 0 || strcmp(to, "further-evidence") == 0))
			continue;
		v = folio_grow(v, &cap, count + 1, sizeof(*v));
		v[count].from = folio_db_col_dup(st, 0);
		v[count].to = folio_db_col_dup(st, 1);
		v[count].actor = folio_db_col_dup(st, 2);
		v[count].time = folio_db_col_dup(st, 3);
		v[count].note = folio_db_col_dup(st, 4);
		count++;
	}
	if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read the submission's history");
	sqlite3_finalize(st);
	if (error < 0) {
		folio_state_changes_free(v, count);
		return error;
	}
	*out = v;
	*n = count;
	return 0;
}

int folio_submission_latest(folio_submission *out, folio_site *site, const char *mentor)
{
	sqlite3_stmt *st = NULL;
	char *action;
	int error, rc;

	memset(out, 0, sizeof(*out));
	action = folio_asprintf("see the submissions of '%s'", mentor ? mentor : "");
	error = folio_site_require_self_or(site, mentor, FOLIO_ROLE_REVIEWER | FOLIO_ROLE_LEAD | FOLIO_ROLE_ADMIN, action);
	free(action);
	if (error < 0)
		return error;
	if ((error = folio_person_exists(site, mentor)) < 0)
		return error;
	if ((error = folio_db_prepare(site, &st, SUBMISSION_SELECT " WHERE s.mentor = ?1 ORDER BY s.id DESC LIMIT 1")) < 0)
		return error;
	sqlite3_bind_text(st, 1, mentor, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		submission_from_row(out, site, st, NULL);
	else if (rc == SQLITE_DONE)
		error = folio_error_set(FOLIO_ENOTFOUND, "mentor '%s' has no submission", mentor);
	else
		error = folio_db_error(site, "cannot read submissions");
	sqlite3_finalize(st);
	return error;
}

void folio_submission_clear(folio_submission *s)
{
	if (!s)
		return;
	free(s->mentor);
	free(s->qualification);
	free(s->panel);
	free(s->state);
	free(s->outcome);
	free(s->approved_by);
	free(s->created);
	memset(s, 0, sizeof(*s));
}

void folio_submissions_free(folio_submission *s, size_t n)
{
	for (size_t i = 0; i < n && s; i++)
		folio_submission_clear(&s[i]);
	free(s);
}

void folio_state_changes_free(folio_state_change *c, size_t n)
{
	for (size_t i = 0; i < n && c; i++) {
		free(c[i].from);
		free(c[i].to);
		free(c[i].actor);
		free(c[i].time);
		free(c[i].note);
	}
	free(c);
}

/* ------------------------------------------------------------ submitting */

/* The mentor's most recent submission: id (0 when none), state and commit. */
typedef struct {
	long long id;
	char state[32];
	char commit[41];
	char panel[80];
} last_submission;

static int find_submission(last_submission *out, folio_site *site, const char *sql, const char *mentor, const char *q)
{
	sqlite3_stmt *st = NULL;
	int error, rc;
	memset(out, 0, sizeof(*out));
	if ((error = folio_db_prepare(site, &st, sql)) < 0)
		return error;
	sqlite3_bind_text(st, 1, mentor, -1, SQLITE_STATIC);
	if (q)
		sqlite3_bind_text(st, 2, q, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		copy_text(out->state, sizeof(out->state), (const char *)sqlite3_column_text(st, 1));
		copy_text(out->commit, sizeof(out->commit), (const char *)sqlite3_column_text(st, 2));
		copy_text(out->panel, sizeof(out->panel), (const char *)sqlite3_column_text(st, 3));
	} else if (rc != SQLITE_DONE) {
		error = folio_db_error(site, "cannot read submissions");
	}
	sqlite3_finalize(st);
	return error;
}

/* Does a row exist for (mentor, qualification)? 1 yes, 0 no, negative on error. */
static int row_exists(folio_site *site, const char *sql, const char *mentor, const char *q)
{
	sqlite3_stmt *st = NULL;
	int error, rc;
	if ((error = folio_db_prepare(site, &st, sql)) < 0)
		return error;
	sqlite3_bind_text(st, 1, mentor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, q, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return folio_db_error(site, "cannot read certificates");
	return 0;
}

/* The panel a submission goes to: the one named, if it still takes submissions, else the next open one. */
static int choose_panel(folio_panel *out, folio_site *site, const char *id)
{
	folio_panel next = { 0 };
	int error;

	if (!id)
		return folio_panel_next_open(out, site);
	if ((error = folio_panel_get(out, site, id)) < 0)
		return error;
	if (strcmp(out->state, "open") == 0)
		return 0;
	if (strcmp(out->state, "closed") == 0) {
		if (folio_panel_next_open(&next, site) == 0)
			error = folio_error_set(FOLIO_ECONFLICT,
				"the deadline of panel '%s' passed on %s: the next open panel is '%s' (deadline %s)", id,
				out->deadline, next.id, next.deadline);
		else
			error = folio_error_set(FOLIO_ECONFLICT, "the deadline of panel '%s' passed on %s", id, out->deadline);
	} else {
		error = folio_error_set(FOLIO_ECONFLICT, "panel '%s' is %s: it takes no more submissions", id, out->state);
	}
	folio_panel_clear(&next);
	folio_panel_clear(out);
	return error;
}

/*
 * Everything that may refuse a (re)submission apart from readiness, in the
 * order a mentor would want to hear it: an attempt already under way, the
 * qualification already held, the state of the last attempt, the panel,
 * what the qualification requires. Run before the portfolio is read and
 * again inside the transaction that records the submission.
 */
static int submit_checks(folio_site *site, const char *mentor, const folio_qualification *q, const char *panel_id,
	int resubmit, last_submission *last, folio_panel *panel)
{
	last_submission open;
	int error;

	if ((error = find_submission(&open, site,
		"SELECT id, state, commit_id, panel FROM submission WHERE mentor = ?1 AND state IN " OPEN_STATES
		" ORDER BY id DESC LIMIT 1", mentor, NULL)) < 0)
		return error;
	if (open.id)
		return folio_error_set(FOLIO_ECONFLICT,
			"mentor '%s' already has an open submission: submission %lld for panel '%s' is %s", mentor, open.id,
			open.panel, open.state);
	if ((error = find_submission(&open, site,
		"SELECT id, state, commit_id, panel FROM submission WHERE mentor = ?1 AND state = 'certified'"
		" AND qualification = ?2 COLLATE NOCASE ORDER BY id DESC LIMIT 1", mentor, q->id)) < 0)
		return error;
	if (open.id)
		return folio_error_set(FOLIO_ECONFLICT, "mentor '%s' already holds %s (submission %lld)", mentor, q->id, open.id);

	if ((error = find_submission(last, site,
		"SELECT id, state, commit_id, panel FROM submission WHERE mentor = ?1 ORDER BY id DESC LIMIT 1", mentor, NULL)) < 0)
		return error;
	if (!resubmit && last->id && strcmp(last->state, "further-evidence") == 0)
		return folio_error_set(FOLIO_ECONFLICT,
			"submission %lld of '%s' asked for further evidence: resubmit, so that the panel sees what changed",
			last->id, mentor);
	if (resubmit && !last->id)
		return folio_error_set(FOLIO_ENOTFOUND, "mentor '%s' has no submission to resubmit", mentor);
	if (resubmit && strcmp(last->state, "further-evidence") != 0)
		return folio_error_set(FOLIO_ECONFLICT,
			"submission %lld of '%s' is %s: only a submission with further evidence requested can be resubmitted",
			last->id, mentor, last->state);

	if ((error = choose_panel(panel, site, panel_id)) < 0)
		return error;

	if (q->requires) {
		int held = row_exists(site,
			"SELECT 1 FROM certificate WHERE holder = ?1 AND qualification = ?2 COLLATE NOCASE AND revoked IS NULL",
			mentor, q->requires);
		int exempt = held ? 0 : row_exists(site,
			"SELECT 1 FROM exemption WHERE mentor = ?1 AND qualification = ?2 COLLATE NOCASE", mentor, q->id);
		if (held < 0 || exempt < 0)
			error = held < 0 ? held : exempt;
		else if (!held && !exempt)
			error = folio_error_set(FOLIO_ECONFLICT,
				"mentor '%s' may not submit for %s without holding %s: no %s certificate and no exemption recorded",
				mentor, q->id, q->requires, q->requires);
		if (error < 0) {
			folio_panel_clear(panel);
			return error;
		}
	}
	return 0;
}

static int insert_submission(folio_site *site, const char *mentor, const char *q, const char *panel,
	const char *commit, long long previous, long long *id)
{
	sqlite3_stmt *st = NULL;
	char *now = folio_now_iso();
	int error;
	if ((error = folio_db_prepare(site, &st,
		"INSERT INTO submission(mentor, qualification, panel, commit_id, previous, state, created)"
		" VALUES (?1, ?2, ?3, ?4, ?5, 'submitted', ?6)")) == 0) {
		sqlite3_bind_text(st, 1, mentor, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, q, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, panel, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, commit, -1, SQLITE_STATIC);
		if (previous)
			sqlite3_bind_int64(st, 5, previous);
		else
			sqlite3_bind_null(st, 5);
		sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			error = folio_db_error(site, "cannot record the submission");
		else
			*id = sqlite3_last_insert_rowid(site->db);
	}
	sqlite3_finalize(st);
	free(now);
	return error;
}

static int submit(folio_site *site, const char *mentor, const char *panel_id, int resubmit, long long *id_out)
{
	folio_portfolio pf = { 0 };
	folio_panel panel = { 0 };
	folio_coverage *cov = NULL;
	last_submission last = { 0 };
	const folio_qualification *q;
	folio_buf missing = FOLIO_BUF_INIT;
	char *action, *note = NULL;
	long long id = 0;
	int error, in_tx = 0;

	if (id_out)
		*id_out = 0;
	action = folio_asprintf("%s the portfolio of '%s'", resubmit ? "resubmit" : "submit", mentor ? mentor : "");
	error = folio_site_require_self_or(site, mentor, 0, action);
	free(action);
	if (error < 0)
		return error;

	if ((error = folio_portfolio_get(&pf, site, mentor)) < 0)
		goto cleanup;
	if (!pf.commit[0]) {
		error = folio_error_set(FOLIO_EINVALID, "the portfolio of '%s' has no entries yet: there is nothing to submit",
			mentor);
		goto cleanup;
	}
	if (!(q = folio_framework_find_qualification(site->fw, pf.qualification))) {
		error = folio_error_set(FOLIO_EINVALID, "the portfolio of '%s' is for '%s', which the framework does not define",
			mentor, pf.qualification);
		goto cleanup;
	}
	if ((error = submit_checks(site, mentor, q, panel_id, resubmit, &last, &panel)) < 0)
		goto cleanup;
	folio_panel_clear(&panel);
	if (resubmit && strcmp(pf.commit, last.commit) == 0) {
		error = folio_error_set(FOLIO_EINVALID,
			"nothing new in the portfolio of '%s' since commit %.12s (submission %lld): add evidence first", mentor,
			last.commit, last.id);
		goto cleanup;
	}

	/* readiness of the tip, which is also the commit pinned */
	if ((error = folio_coverage_get(&cov, site, mentor, NULL)) < 0)
		goto cleanup;
	if (!cov->ready) {
		for (size_t i = 0; i < cov->nmissing; i++)
			folio_buf_printf(&missing, "%s%s", i ? "; " : "", cov->missing[i]);
		error = folio_error_set(FOLIO_EINVALID, "the portfolio of '%s' is not ready for %s: %s", mentor, q->id,
			missing.size ? missing.ptr : "the qualification's evidence is not met");
		goto cleanup;
	}
	if (resubmit && strcmp(cov->commit, last.commit) == 0) {
		error = folio_error_set(FOLIO_EINVALID,
			"nothing new in the portfolio of '%s' since commit %.12s (submission %lld): add evidence first", mentor,
			last.commit, last.id);
		goto cleanup;
	}

	if ((error = folio_tx_begin(site)) < 0)
		goto cleanup;
	in_tx = 1;
	/* again, now that nobody else can write: two submits at once make one submission */
	if ((error = submit_checks(site, mentor, q, panel_id, resubmit, &last, &panel)) < 0)
		goto cleanup;
	if ((error = insert_submission(site, mentor, q->id, panel.id, cov->commit, resubmit ? last.id : 0, &id)) < 0)
		goto cleanup;
	folio_crashpoint("submit.inserted");
	note = resubmit ? folio_asprintf("resubmission of submission %lld, for panel %s", last.id, panel.id)
			: folio_asprintf("for panel %s", panel.id);
	if ((error = folio_wf_created(site, id, "submitted", note)) < 0)
		goto cleanup;
	error = folio_tx_commit(site);
	in_tx = 0;
	if (error == 0 && id_out)
		*id_out = id;
cleanup:
	if (in_tx)
		folio_tx_rollback(site);
	folio_coverage_free(cov);
	folio_portfolio_clear(&pf);
	folio_panel_clear(&panel);
	folio_buf_free(&missing);
	free(note);
	return refused(site, mentor, resubmit ? "resubmit" : "submit", error);
}

int folio_submit(folio_site *site, const char *mentor, const char *panel, long long *id_out)
{
	return submit(site, mentor, panel, 0, id_out);
}

int folio_resubmit(folio_site *site, const char *mentor, const char *panel, long long *id_out)
{
	return submit(site, mentor, panel, 1, id_out);
}

int folio_withdraw(folio_site *site, const char *mentor)
{
	static const char *const from[] = { "submitted", NULL };
	last_submission open;
	char *action;
	int error, in_tx = 0;

	action = folio_asprintf("withdraw the submission of '%s'", mentor ? mentor : "");
	error = folio_site_require_self_or(site, mentor, 0, action);
	free(action);
	if (error < 0)
		return error;
	if ((error = folio_person_exists(site, mentor)) < 0)
		goto cleanup;
	if ((error = folio_tx_begin(site)) < 0)
		goto cleanup;
	in_tx = 1;
	if ((error = find_submission(&open, site,
		"SELECT id, state, commit_id, panel FROM submission WHERE mentor = ?1 AND state IN " OPEN_STATES
		" ORDER BY id DESC LIMIT 1", mentor, NULL)) < 0)
		goto cleanup;
	if (!open.id) {
		error = folio_error_set(FOLIO_ENOTFOUND, "mentor '%s' has no open submission to withdraw", mentor);
		goto cleanup;
	}
	if (strcmp(open.state, "submitted") != 0) {
		error = folio_error_set(FOLIO_ECONFLICT,
			"submission %lld of '%s' is %s: only a submission not yet with reviewers can be withdrawn", open.id,
			mentor, open.state);
		goto cleanup;
	}
	if ((error = folio_wf_set_state(site, open.id, from, "withdrawn", NULL)) < 0)
		goto cleanup;
	error = folio_tx_commit(site);
	in_tx = 0;
cleanup:
	if (in_tx)
		folio_tx_rollback(site);
	return refused(site, mentor, "withdraw", error);
}

/* ------------------------------------------------------------ exemptions */

int folio_exemption_add(folio_site *site, const char *mentor, const char *qualification, const char *reason)
{
	const folio_qualification *q;
	folio_person p = { 0 };
	sqlite3_stmt *st = NULL;
	char *now = NULL, *obj = NULL, *detail = NULL;
	int error, rc;

	if ((error = folio_site_require(site, FOLIO_ROLE_ADMIN, "record exemptions")) < 0)
		return error;
	if ((error = folio_person_get(&p, site, mentor)) < 0)
		return error;
	if (!(p.roles & FOLIO_ROLE_MENTOR)) {
		error = folio_error_set(FOLIO_EINVALID, "person '%s' is not a mentor", mentor);
		goto cleanup;
	}
	if (!(q = folio_framework_find_qualification(site->fw, qualification))) {
		error = folio_error_set(FOLIO_EINVALID, "unknown qualification '%s'", qualification ? qualification : "");
		goto cleanup;
	}
	if (!q->requires) {
		error = folio_error_set(FOLIO_EINVALID, "%s requires no other qualification: there is nothing to exempt '%s' from",
			q->id, mentor);
		goto cleanup;
	}
	if (!reason || !*reason) {
		error = folio_error_set(FOLIO_EINVALID, "an exemption for '%s' needs a reason", mentor);
		goto cleanup;
	}
	if ((error = folio_text_valid("the reason", reason)) < 0)
		goto cleanup;
	if ((error = folio_tx_begin(site)) < 0)
		goto cleanup;
	now = folio_now_iso();
	if ((error = folio_db_prepare(site, &st,
		"INSERT INTO exemption(mentor, qualification, reason, created, created_by) VALUES (?1, ?2, ?3, ?4, ?5)")) < 0)
		goto rollback;
	sqlite3_bind_text(st, 1, mentor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, q->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	folio_db_bind_text(st, 5, site->actor);
	rc = sqlite3_step(st);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		error = folio_error_set(FOLIO_EEXISTS, "mentor '%s' already has an exemption", mentor);
		goto rollback;
	} else if (rc != SQLITE_DONE) {
		error = folio_db_error(site, "cannot record the exemption");
		goto rollback;
	}
	obj = folio_asprintf("person:%s", mentor);
	detail = folio_asprintf("%s without %s: %s", q->id, q->requires, reason);
	if ((error = folio_audit_append(site, "exemption.add", obj, detail)) < 0)
		goto rollback;
	sqlite3_finalize(st);
	st = NULL;
	error = folio_tx_commit(site);
	goto cleanup;
rollback:
	folio_tx_rollback(site);
cleanup:
	sqlite3_finalize(st);
	folio_person_clear(&p);
	free(now);
	free(obj);
	free(detail);
	return error;
}
