/* engine/review.c: review sessions (judgements per standard, the review form, done), held outcomes, moderation, concluding a panel, and feedback items. */
#include "folio/review.h"

#include <cmark.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "folio/index.h"
#include "folio/people.h"
#include "folio/portfolio.h"
#include "gitutil.h"
#include "util.h"
#include "workflow_internal.h"

/* Largest Markdown blob read for #F tags (the limit of entry add and the index). */
#define ENTRY_MAX (1024 * 1024)

static const char MET[] = "met";
static const char MORE[] = "more-evidence";

/* ------------------------------------------------------------ small helpers */

static void strings_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void strings_push(char ***v, size_t *n, const char *s)
{
	*v = folio_realloc(*v, (*n + 1) * sizeof(char *));
	(*v)[(*n)++] = folio_strdup(s);
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* "S1, S2, S3 and S4" */
static void standard_ids(folio_buf *b, const folio_framework *fw)
{
	size_t n = folio_framework_standard_count(fw);
	for (size_t i = 0; i < n; i++)
		folio_buf_printf(b, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ", folio_framework_standard(fw, i)->id);
}

/* Framework index of standard `id` (any case); FOLIO_EINVALID naming the valid ones. */
static int standard_find(const folio_framework *fw, const char *id, size_t *out)
{
	size_t n = folio_framework_standard_count(fw);
	for (size_t i = 0; id && i < n; i++) {
		const char *sid = folio_framework_standard(fw, i)->id;
		if (strlen(id) == strlen(sid) && folio_strncasecmp_ascii(id, sid, strlen(sid)) == 0) {
			*out = i;
			return 0;
		}
	}
	folio_buf b = FOLIO_BUF_INIT;
	standard_ids(&b, fw);
	int error = folio_error_set(FOLIO_EINVALID, "unknown standard '%s': the standards are %s", id ? id : "", b.ptr);
	folio_buf_free(&b);
	return error;
}

/* Index of a stored (canonical) standard id, or -1 when the framework no longer has it. */
static long standard_index(const folio_framework *fw, const char *id)
{
	for (size_t i = 0; id && i < folio_framework_standard_count(fw); i++)
		if (strcmp(folio_framework_standard(fw, i)->id, id) == 0)
			return (long)i;
	return -1;
}

/* The canonical judgement for `j`, or FOLIO_EINVALID. */
static int judgement_check(const char *j, const char **out)
{
	if (j && strcmp(j, MET) == 0)
		*out = MET;
	else if (j && strcmp(j, MORE) == 0)
		*out = MORE;
	else
		return folio_error_set(FOLIO_EINVALID, "unknown judgement '%s': use met or more-evidence", j ? j : "");
	return 0;
}

/* Finish a transaction: commit on success, and on a refusal (its audit row is all it holds); else roll back. */
static int tx_finish(folio_site *site, int error)
{
	if (error == 0)
		return folio_tx_commit(site);
	if (error == FOLIO_EDENIED && sqlite3_exec(site->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return error;
	folio_tx_rollback(site);
	return error;
}

/*
 * A refused change is audited too, as action "refused" with the reason (a
 * refusal of permission already was, by folio_site_deny). Called once the
 * transaction is over; returns error with its message kept.
 */
static int refused(folio_site *site, const char *what, int error, const char *object_fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int refused(folio_site *site, const char *what, int error, const char *object_fmt, ...)
{
	folio_buf obj = FOLIO_BUF_INIT;
	va_list ap;
	char *msg, *detail;
	if (error >= 0 || error == FOLIO_EDENIED || !site->actor || !sqlite3_get_autocommit(site->db))
		return error;
	va_start(ap, object_fmt);
	folio_buf_vprintf(&obj, object_fmt, ap);
	va_end(ap);
	msg = folio_strdup(folio_error_last());
	detail = folio_asprintf("%s: %s", what, msg);
	if (folio_tx_begin(site) == 0) {
		if (folio_audit_append(site, "refused", obj.ptr, detail) == 0)
			folio_tx_commit(site);
		else
			folio_tx_rollback(site);
	}
	folio_error_set(error, "%s", msg);
	free(msg);
	free(detail);
	folio_buf_free(&obj);
	return error;
}

static int step_done(folio_site *site, sqlite3_stmt *st, const char *what)
{
	return sqlite3_step(st) == SQLITE_DONE ? 0 : folio_db_error(site, what);
}

/* ------------------------------------------------------------ submissions and panels */

static void sub_clear(folio_submission *s)
{
	free(s->mentor);
	free(s->qualification);
	free(s->panel);
	free(s->state);
	free(s->outcome);
	free(s->approved_by);
	free(s->created);
	memset(s, 0, sizeof(*s));
}

#define SUB_COLUMNS "s.id, s.mentor, s.qualification, s.panel, s.commit_id, s.previous, s.state, s.outcome," \
	" s.approved_by, s.created"

static void sub_fill(folio_submission *s, sqlite3_stmt *st)
{
	const unsigned char *commit = sqlite3_column_text(st, 4);
	memset(s, 0, sizeof(*s));
	s->id = sqlite3_column_int64(st, 0);
	s->mentor = folio_db_col_dup(st, 1);
	s->qualification = folio_db_col_dup(st, 2);
	s->panel = folio_db_col_dup(st, 3);
	snprintf(s->commit, sizeof(s->commit), "%s", commit ? (const char *)commit : "");
	s->previous = sqlite3_column_int64(st, 5);
	s->state = folio_db_col_dup(st, 6);
	s->outcome = folio_db_col_dup(st, 7);
	s->approved_by = folio_db_col_dup(st, 8);
	s->created = folio_db_col_dup(st, 9);
}

static int sub_load(folio_submission *out, folio_site *site, long long id)
{
	sqlite3_stmt *st = NULL;
	int error, rc;
	memset(out, 0, sizeof(*out));
	if ((error = folio_db_prepare(site, &st, "SELECT " SUB_COLUMNS " FROM submission s WHERE s.id = ?1")) < 0)
		return error;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		sub_fill(out, st);
	else if (rc == SQLITE_DONE)
		error = folio_error_set(FOLIO_ENOTFOUND, "no submission %lld in site '%s'", id, site->path);
	else
		error = folio_db_error(site, "cannot read submissions");
	sqlite3_finalize(st);
	return error;
}

static char *sub_object(const folio_submission *s)
{
	return folio_asprintf("submission:%lld (%s)", s->id, s->mentor);
}

/* Released to the mentor: the panel concluded and gave its outcome. */
static int sub_released(const folio_submission *s)
{
	return s->state && strcmp(s->state, "submitted") != 0 && strcmp(s->state, "in-review") != 0 &&
		strcmp(s->state, "withdrawn") != 0;
}

typedef struct {
	char *id, *state, *chair, *date;
} panel_row;

static void panel_row_clear(panel_row *p)
{
	free(p->id);
	free(p->state);
	free(p->chair);
	free(p->date);
	memset(p, 0, sizeof(*p));
}

static int panel_load(panel_row *out, folio_site *site, const char *id)
{
	sqlite3_stmt *st = NULL;
	int error, rc;
	memset(out, 0, sizeof(*out));
	if ((error = folio_db_prepare(site, &st, "SELECT id, state, chair, date FROM panel WHERE id = ?1")) < 0)
		return error;
	folio_db_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->id = folio_db_col_dup(st, 0);
		out->state = folio_db_col_dup(st, 1);
		out->chair = folio_db_col_dup(st, 2);
		out->date = folio_db_col_dup(st, 3);
	} else if (rc == SQLITE_DONE) {
		error = folio_error_set(FOLIO_ENOTFOUND, "no panel '%s' in site '%s'", id ? id : "", site->path);
	} else {
		error = folio_db_error(site, "cannot read panels");
	}
	sqlite3_finalize(st);
	return error;
}

/* 1 when `person` is assigned to the submission (*done: their review is done), 0 when not, negative on error. */
static int assignment_of(folio_site *site, long long sub, const char *person, int *done)
{
	sqlite3_stmt *st = NULL;
	int error, rc;
	*done = 0;
	if (!person)
		return 0;
	if ((error = folio_db_prepare(site, &st, "SELECT done FROM assignment WHERE submission = ?1 AND reviewer = ?2")) < 0)
		return error;
	sqlite3_bind_int64(st, 1, sub);
	sqlite3_bind_text(st, 2, person, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*done = sqlite3_column_type(st, 0) != SQLITE_NULL;
		error = 1;
	} else if (rc != SQLITE_DONE) {
		error = folio_db_error(site, "cannot read assignments");
	}
	sqlite3_finalize(st);
	return error;
}

static int is_chair(const folio_site *site, const panel_row *p)
{
	return site->actor && p->chair && strcmp(site->actor, p->chair) == 0;
}

static int own_submission(const folio_site *site, const folio_submission *s)
{
	return site->actor && strcmp(site->actor, s->mentor) == 0;
}

/*
 * The actor may read the review of a submission: an assigned reviewer, the
 * panel's chair, a lead or an admin, never the mentor (a lead who is also a
 * mentor would otherwise see a held outcome of their own).
 */
static int require_viewer(folio_site *site, const folio_submission *s, const panel_row *p, const char *what)
{
	int done, error;
	if (own_submission(site, s)) {
		char *action = folio_asprintf("%s submission %lld", what, s->id);
		error = folio_site_deny(site, action, "it is their own submission");
		free(action);
		return error;
	}
	if (folio_site_has_role(site, FOLIO_ROLE_LEAD | FOLIO_ROLE_ADMIN) || is_chair(site, p))
		return 0;
	if ((error = assignment_of(site, s->id, site->actor, &done)) != 0)
		return error < 0 ? error : 0;
	char *action = folio_asprintf("%s submission %lld", what, s->id);
	error = folio_site_deny(site, action, "only its reviewers, the panel's chair, leads and admins may");
	free(action);
	return error;
}

/*
 * Inside the transaction: the submission exists, is assigned to the actor,
 * their review is not done, its panel has not concluded and it is in
 * review. `what` completes "may not ... submission N".
 */
static int open_review(folio_site *site, long long id, folio_submission *s, panel_row *p, const char *what)
{
	int error, done;
	if ((error = sub_load(s, site, id)) < 0)
		return error;
	if ((error = assignment_of(site, id, site->actor, &done)) < 0)
		return error;
	if (error == 0) {
		char *action = folio_asprintf("%s submission %lld", what, id);
		error = folio_site_deny(site, action, "it is not assigned to them");
		free(action);
		return error;
	}
	if ((error = panel_load(p, site, s->panel)) < 0)
		return error;
	if (strcmp(p->state, "concluded") == 0)
		return folio_error_set(FOLIO_ECONFLICT, "panel '%s' is concluded: submission %lld can no longer be reviewed",
			p->id, id);
	if (done)
		return folio_error_set(FOLIO_ECONFLICT, "the review of submission %lld by '%s' is already done", id,
			site->actor);
	if (strcmp(s->state, "in-review") != 0)
		return folio_error_set(FOLIO_ECONFLICT, "submission %lld is %s, not in review", id, s->state);
	return 0;
}

/* The first judgement at a panel puts it in session. */
static int panel_in_session(folio_site *site, const char *panel)
{
	sqlite3_stmt *st = NULL;
	int error;
	if ((error = folio_db_prepare(site, &st, "UPDATE panel SET state = 'in-session' WHERE id = ?1 AND state = 'assigned'")) < 0)
		return error;
	sqlite3_bind_text(st, 1, panel, -1, SQLITE_STATIC);
	error = step_done(site, st, "cannot change the panel's state");
	sqlite3_finalize(st);
	if (error == 0 && sqlite3_changes(site->db) > 0) {
		char *obj = folio_asprintf("panel:%s", panel);
		error = folio_audit_change(site, "panel.state", obj, "assigned", "in-session", NULL, "first judgement recorded");
		free(obj);
	}
	return error;
}

/* ------------------------------------------------------------ outcomes */

enum { J_NONE = 0, J_MET = 1, J_MORE = 2 };

static int judgement_code(const unsigned char *j)
{
	if (!j)
		return J_NONE;
	return strcmp((const char *)j, MET) == 0 ? J_MET : J_MORE;
}

/* Where a submission's review stands: counts per standard, what is settled, and the outcome that follows. */
typedef struct {
	size_t nstd;
	size_t *met, *more;   /* reviewers' judgements per standard */
	int *moderated;       /* the chair's decision per standard, or J_NONE */
	int *settled;         /* per standard, once every review is done and no disagreement is left */
	int all_done;
	folio_review_progress progress;
} evaluation;

static void evaluation_clear(evaluation *ev)
{
	free(ev->met);
	free(ev->more);
	free(ev->moderated);
	free(ev->settled);
	folio_review_progress_clear(&ev->progress);
	memset(ev, 0, sizeof(*ev));
}

static int evaluate(evaluation *ev, folio_site *site, long long sub)
{
	folio_review_progress *p = &ev->progress;
	sqlite3_stmt *st = NULL;
	size_t ndone = 0;
	int error, rc;

	memset(ev, 0, sizeof(*ev));
	ev->nstd = folio_framework_standard_count(site->fw);
	ev->met = folio_calloc(ev->nstd, sizeof(size_t));
	ev->more = folio_calloc(ev->nstd, sizeof(size_t));
	ev->moderated = folio_calloc(ev->nstd, sizeof(int));
	ev->settled = folio_calloc(ev->nstd, sizeof(int));

	if ((error = folio_db_prepare(site, &st, "SELECT reviewer, done FROM assignment WHERE submission = ?1 ORDER BY reviewer")) < 0)
		return error;
	sqlite3_bind_int64(st, 1, sub);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		p->reviewers = folio_realloc(p->reviewers, (p->nreviewers + 1) * sizeof(*p->reviewers));
		p->reviewers[p->nreviewers].id = folio_db_col_dup(st, 0);
		p->reviewers[p->nreviewers].done = folio_db_col_dup(st, 1);
		if (p->reviewers[p->nreviewers++].done)
			ndone++;
	}
	if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read assignments");
	sqlite3_finalize(st);
	st = NULL;
	if (error < 0)
		return error;

	if ((error = folio_db_prepare(site, &st,
		"SELECT standard, judgement, 0 FROM judgement WHERE submission = ?1"
		" UNION ALL SELECT standard, judgement, 1 FROM moderation WHERE submission = ?1")) < 0)
		return error;
	sqlite3_bind_int64(st, 1, sub);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long i = standard_index(site->fw, (const char *)sqlite3_column_text(st, 0));
		int j = judgement_code(sqlite3_column_text(st, 1));
		if (i < 0)
			continue;
		if (sqlite3_column_int(st, 2))
			ev->moderated[i] = j;
		else if (j == J_MET)
			ev->met[i]++;
		else
			ev->more[i]++;
	}
	if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read judgements");
	sqlite3_finalize(st);
	if (error < 0)
		return error;

	ev->all_done = p->nreviewers > 0 && ndone == p->nreviewers;
	if (!ev->all_done)
		return 0;
	int all_met = 1;
	for (size_t i = 0; i < ev->nstd; i++) {
		if (ev->moderated[i])
			ev->settled[i] = ev->moderated[i];
		else if (ev->met[i] == p->nreviewers)
			ev->settled[i] = J_MET;
		else if (ev->more[i] == p->nreviewers)
			ev->settled[i] = J_MORE;
		else /* some met, some more-evidence (or a standard added to the framework since) */
			strings_push(&p->disputed, &p->ndisputed, folio_framework_standard(site->fw, i)->id);
		if (ev->settled[i] != J_MET)
			all_met = 0;
	}
	if (p->ndisputed == 0)
		p->outcome = folio_strdup(all_met ? "recommended" : "further-evidence");
	return 0;
}

/* Inside the transaction: store the outcome that now follows (NULL while something is missing), held until the panel concludes. */
static int hold_outcome(folio_site *site, const folio_submission *s)
{
	evaluation ev;
	sqlite3_stmt *st = NULL;
	int error;

	if ((error = evaluate(&ev, site, s->id)) < 0)
		goto cleanup;
	if (same(ev.progress.outcome, s->outcome))
		goto cleanup;
	if ((error = folio_db_prepare(site, &st, "UPDATE submission SET outcome = ?2 WHERE id = ?1")) < 0)
		goto cleanup;
	sqlite3_bind_int64(st, 1, s->id);
	folio_db_bind_text(st, 2, ev.progress.outcome);
	if ((error = step_done(site, st, "cannot record the outcome")) < 0)
		goto cleanup;
	{
		char *obj = sub_object(s);
		char *detail = ev.progress.outcome
			? folio_asprintf("outcome %s, held until panel '%s' concludes", ev.progress.outcome, s->panel)
			: folio_strdup("outcome withdrawn: waiting for the chair");
		error = folio_audit_change(site, "review.outcome", obj, NULL, NULL, s->commit, detail);
		free(obj);
		free(detail);
	}
cleanup:
	sqlite3_finalize(st);
	evaluation_clear(&ev);
	return error;
}

void folio_review_progress_clear(folio_review_progress *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nreviewers; i++) {
		free(p->reviewers[i].id);
		free(p->reviewers[i].done);
	}
	free(p->reviewers);
	free(p->panel);
	free(p->outcome);
	strings_free(p->disputed, p->ndisputed);
	memset(p, 0, sizeof(*p));
}

int folio_review_progress_get(folio_review_progress *out, folio_site *site, long long submission)
{
	folio_submission s;
	panel_row p;
	evaluation ev;
	int error;

	memset(out, 0, sizeof(*out));
	memset(&ev, 0, sizeof(ev));
	memset(&p, 0, sizeof(p));
	if ((error = sub_load(&s, site, submission)) < 0)
		return error;
	if ((error = panel_load(&p, site, s.panel)) < 0 || (error = require_viewer(site, &s, &p, "see the review of")) < 0 ||
	    (error = evaluate(&ev, site, submission)) < 0)
		goto cleanup;
	*out = ev.progress;
	memset(&ev.progress, 0, sizeof(ev.progress));
	out->panel = folio_strdup(s.panel);
cleanup:
	evaluation_clear(&ev);
	panel_row_clear(&p);
	sub_clear(&s);
	return error;
}

/* ------------------------------------------------------------ the queue */

int folio_review_queue(folio_submission **out, size_t *n, folio_site *site)
{
	sqlite3_stmt *st = NULL;
	folio_submission *v = NULL;
	size_t count = 0, cap = 0;
	int error, rc;

	*out = NULL;
	*n = 0;
	if (!site->actor)
		return folio_site_deny(site, "see a review queue", "");
	if ((error = folio_db_prepare(site, &st,
		"SELECT " SUB_COLUMNS " FROM assignment a JOIN submission s ON s.id = a.submission"
		" JOIN panel p ON p.id = s.panel"
		" WHERE a.reviewer = ?1 AND a.done IS NULL AND s.state = 'in-review' AND p.state <> 'concluded'"
		" ORDER BY p.date, s.id")) < 0)
		return error;
	sqlite3_bind_text(st, 1, site->actor, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = folio_grow(v, &cap, count + 1, sizeof(*v));
		sub_fill(&v[count++], st);
	}
	if (rc != SQLITE_DONE) {
		error = folio_db_error(site, "cannot read the review queue");
		for (size_t i = 0; i < count; i++)
			sub_clear(&v[i]);
		free(v);
		v = NULL;
		count = 0;
	}
	sqlite3_finalize(st);
	*out = v;
	*n = count;
	return error;
}

/* ------------------------------------------------------------ recording */

/* Inside the transaction: store one judgement of the actor and audit it. */
static int record_one(folio_site *site, const folio_submission *s, const char *standard, const char *judgement,
	const char *comment)
{
	sqlite3_stmt *st = NULL;
	char *now = folio_now_iso(), *obj = NULL, *detail = NULL;
	int error;

	if (comment && !*comment)
		comment = NULL;
	if ((error = folio_db_prepare(site, &st,
		"INSERT INTO judgement(submission, reviewer, standard, judgement, comment, time) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
		" ON CONFLICT(submission, reviewer, standard) DO UPDATE SET judgement = excluded.judgement,"
		" comment = excluded.comment, time = excluded.time")) < 0)
		goto cleanup;
	sqlite3_bind_int64(st, 1, s->id);
	sqlite3_bind_text(st, 2, site->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, standard, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, judgement, -1, SQLITE_STATIC);
	folio_db_bind_text(st, 5, comment);
	sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
	if ((error = step_done(site, st, "cannot record the judgement")) < 0)
		goto cleanup;
	folio_crashpoint("review.judgement:stored");
	obj = sub_object(s);
	detail = folio_asprintf("%s %s", standard, judgement);
	error = folio_audit_change(site, "review.record", obj, NULL, NULL, s->commit, detail);
cleanup:
	sqlite3_finalize(st);
	free(now);
	free(obj);
	free(detail);
	return error;
}

int folio_review_record(folio_site *site, long long submission, const char *standard, const char *judgement,
	const char *comment)
{
	folio_submission s;
	panel_row p;
	const char *j = NULL;
	size_t std = 0;
	int error;

	memset(&s, 0, sizeof(s));
	memset(&p, 0, sizeof(p));
	if ((error = folio_tx_begin(site)) < 0)
		return error;
	if ((error = open_review(site, submission, &s, &p, "record a judgement on")) == 0 &&
	    (error = standard_find(site->fw, standard, &std)) == 0 && (error = judgement_check(judgement, &j)) == 0 &&
	    (error = folio_text_valid("the comment", comment)) == 0 &&
	    (error = record_one(site, &s, folio_framework_standard(site->fw, std)->id, j, comment)) == 0)
		error = panel_in_session(site, s.panel);
	error = tx_finish(site, error);
	sub_clear(&s);
	panel_row_clear(&p);
	return refused(site, "record a judgement", error, "submission:%lld", submission);
}

/* ------------------------------------------------------------ the review form */

/* Lines of a comment that the form parser would misread get a backslash in front. */
static int needs_escape(const char *line, size_t n)
{
	size_t i = 0;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i < n && (line[i] == '#' || line[i] == '\\'))
		return 1;
	return (n - i >= 10 && folio_strncasecmp_ascii(line + i, "judgement:", 10) == 0) ||
	       (n - i >= 8 && folio_strncasecmp_ascii(line + i, "comment:", 8) == 0);
}

static int judgements_load(folio_judgement **out, size_t *n, folio_site *site, long long sub, const char *only);

int folio_review_form_write(char **out, const folio_framework *fw, const folio_submission *s, const char *reviewer,
	const folio_judgement *j, size_t nj)
{
	folio_buf b = FOLIO_BUF_INIT;
	size_t nstd = folio_framework_standard_count(fw);

	folio_buf_printf(&b, "# Review form: submission %lld\n\n", s->id);
	folio_buf_printf(&b, "- mentor: %s\n- qualification: %s\n- panel: %s\n- commit: %s\n- reviewer: %s\n\n", s->mentor,
		s->qualification, s->panel, s->commit, reviewer);
	folio_buf_printf(&b,
		"For each standard write met or more-evidence after \"Judgement:\", and your\n"
		"comment after \"Comment:\" (it may go on over the lines below). A standard\n"
		"left as \"met | more-evidence\" is skipped. Record the form with\n"
		"`folio review record %lld --form FILE`.\n", s->id);
	for (size_t i = 0; i < nstd; i++) {
		const folio_standard *std = folio_framework_standard(fw, i);
		const char *judged = NULL, *c = NULL;
		for (size_t k = 0; k < nj; k++)
			if (j[k].standard && strcmp(j[k].standard, std->id) == 0) {
				judged = j[k].judgement;
				c = j[k].comment;
			}
		folio_buf_printf(&b, "\n## %s %s\n\nJudgement: %s\nComment:", std->id, std->title,
			judged ? judged : "met | more-evidence");
		if (!c || !*c)
			folio_buf_putc(&b, '\n');
		for (int first = 1; c && *c; first = 0) {
			const char *nl = strchr(c, '\n');
			size_t n = nl ? (size_t)(nl - c) : strlen(c);
			if (first)
				folio_buf_putc(&b, ' ');
			else if (needs_escape(c, n))
				folio_buf_putc(&b, '\\');
			folio_buf_put(&b, c, n);
			folio_buf_putc(&b, '\n');
			c = nl ? nl + 1 : c + n;
		}
	}
	*out = folio_buf_detach(&b);
	return 0;
}

int folio_review_form(char **out, folio_site *site, long long submission)
{
	folio_submission s;
	folio_judgement *j = NULL;
	size_t nj = 0;
	int error, done;

	*out = NULL;
	if ((error = sub_load(&s, site, submission)) < 0)
		return error;
	if ((error = assignment_of(site, submission, site->actor, &done)) < 0)
		goto cleanup;
	if (error == 0) {
		char *action = folio_asprintf("get the review form of submission %lld", submission);
		error = folio_site_deny(site, action, "it is not assigned to them");
		free(action);
		goto cleanup;
	}
	if ((error = judgements_load(&j, &nj, site, submission, site->actor)) < 0)
		goto cleanup;
	error = folio_review_form_write(out, site->fw, &s, site->actor, j, nj);
cleanup:
	folio_judgements_free(j, nj);
	sub_clear(&s);
	return error;
}

typedef struct {
	unsigned line;         /* of its heading; 0 when the form has no such section */
	const char *judgement; /* MET, MORE, or NULL when left blank */
	unsigned jline, cline; /* lines of "Judgement:" and "Comment:", 0 when absent */
	folio_buf comment;
} form_section;

static int form_error(const char *name, unsigned line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int form_error(const char *name, unsigned line, const char *fmt, ...)
{
	folio_buf b = FOLIO_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	folio_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	int error = line ? folio_error_set(FOLIO_EINVALID, "%s line %u: %s", name, line, b.ptr)
			 : folio_error_set(FOLIO_EINVALID, "%s: %s", name, b.ptr);
	folio_buf_free(&b);
	return error;
}

/* After a case-insensitive keyword ("Judgement:") that starts the line (indentation allowed), or NULL. */
static const char *after_keyword(const char *line, size_t n, const char *kw)
{
	size_t k = strlen(kw), i = 0;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (n - i < k || folio_strncasecmp_ascii(line + i, kw, k) != 0)
		return NULL;
	return line + i + k;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void trim(const char **s, size_t *n)
{
	while (*n && is_blank(**s))
		(*s)++, (*n)--;
	while (*n && is_blank((*s)[*n - 1]))
		(*n)--;
}

/* "met | more-evidence" as printed by the form: left blank. */
static int is_template(const char *v, size_t n)
{
	const char *bar = memchr(v, '|', n);
	if (!bar)
		return 0;
	const char *a = v, *c = bar + 1;
	size_t an = (size_t)(bar - v), cn = n - an - 1;
	trim(&a, &an);
	trim(&c, &cn);
	return an == 3 && strncmp(a, MET, 3) == 0 && cn == strlen(MORE) && strncmp(c, MORE, cn) == 0;
}

static int form_parse(form_section *sec, const folio_framework *fw, long long submission, const char *name,
	const char *text, size_t len)
{
	form_section *cur = NULL;
	unsigned line = 0;
	int in_comment = 0, error = 0;
	const char *p = text, *end = text + len;

	if (memchr(text, '\0', len))
		return form_error(name, 0, "the form holds a NUL byte");
	size_t bad = 0;
	if (!folio_utf8_valid(text, len, &bad)) {
		/* stored comments must be text: JSON output and messages cannot carry other bytes */
		unsigned at = 1;
		for (size_t i = 0; i < bad; i++)
			at += text[i] == '\n';
		return form_error(name, at, "not valid UTF-8 text (byte 0x%02X)", (unsigned char)text[bad]);
	}
	while (p < end && error == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *l = p, *v;
		line++;
		p = nl ? nl + 1 : end;
		while (n && l[n - 1] == '\r') /* CRLF, or CR CR LF from a twice-converted file */
			n--;

		if (n >= 3 && l[0] == '#' && l[1] == '#' && (l[2] == ' ' || l[2] == '\t')) {
			/* "## S2 Teaching": a new section */
			const char *id = l + 2, *e;
			size_t idn;
			size_t std;
			while (id < l + n && (*id == ' ' || *id == '\t'))
				id++;
			for (e = id; e < l + n && *e != ' ' && *e != '\t'; e++)
				;
			idn = (size_t)(e - id);
			if (idn && id[idn - 1] == ':')
				idn--;
			char *sid = folio_strndup(id, idn);
			error = standard_find(fw, sid, &std);
			free(sid);
			if (error < 0)
				return form_error(name, line, "%s", folio_error_last());
			if (sec[std].line)
				return form_error(name, line, "a second section for %s (the first is at line %u)",
					folio_framework_standard(fw, std)->id, sec[std].line);
			cur = &sec[std];
			cur->line = line;
			in_comment = 0;
			continue;
		}
		if (!cur) {
			/* before the first section: only a form for another submission is an error */
			static const char head[] = "# Review form: submission ";
			size_t hn = sizeof(head) - 1;
			if (n > hn && strncmp(l, head, hn) == 0 && l[hn] >= '0' && l[hn] <= '9') {
				long long other = 0;
				for (size_t i = hn; i < n && i < hn + 18 && l[i] >= '0' && l[i] <= '9'; i++)
					other = other * 10 + (l[i] - '0');
				if (other != submission)
					return form_error(name, line, "this is the form of submission %lld, not %lld", other, submission);
			}
			if (after_keyword(l, n, "judgement:") || after_keyword(l, n, "comment:"))
				return form_error(name, line, "a 'Judgement:' or 'Comment:' line before the first standard's section"
					" (\"## S1 …\")");
			continue;
		}
		const char *sid = folio_framework_standard(fw, (size_t)(cur - sec))->id;
		if ((v = after_keyword(l, n, "judgement:")) != NULL) {
			size_t vn = (size_t)(l + n - v);
			if (cur->jline)
				return form_error(name, line, "a second 'Judgement:' for %s (the first is at line %u)", sid, cur->jline);
			cur->jline = line;
			in_comment = 0;
			trim(&v, &vn);
			if (vn == 0 || is_template(v, vn))
				cur->judgement = NULL;
			else if (vn == 3 && folio_strncasecmp_ascii(v, MET, 3) == 0)
				cur->judgement = MET;
			else if (vn == strlen(MORE) && folio_strncasecmp_ascii(v, MORE, vn) == 0)
				cur->judgement = MORE;
			else
				return form_error(name, line, "unknown judgement '%.*s' for %s: use met or more-evidence", (int)vn, v, sid);
			continue;
		}
		if (!in_comment && (v = after_keyword(l, n, "comment:")) != NULL) {
			if (cur->cline)
				return form_error(name, line, "a second 'Comment:' for %s (the first is at line %u)", sid, cur->cline);
			cur->cline = line;
			in_comment = 1;
			folio_buf_put(&cur->comment, v, (size_t)(l + n - v));
			continue;
		}
		if (in_comment) {
			if (n && l[0] == '\\')
				l++, n--;
			folio_buf_putc(&cur->comment, '\n');
			folio_buf_put(&cur->comment, l, n);
			continue;
		}
		const char *s = l;
		size_t sn = n;
		trim(&s, &sn);
		if (sn)
			return form_error(name, line, "unexpected text in the %s section: write 'Judgement:' and 'Comment:' lines",
				sid);
	}
	return error;
}

int folio_review_form_parse(folio_judgement **out, size_t *n, const folio_framework *fw, long long submission,
	const char *name, const char *text, size_t len)
{
	size_t nstd = folio_framework_standard_count(fw);
	form_section *sec = folio_calloc(nstd ? nstd : 1, sizeof(*sec));
	folio_judgement *j = folio_calloc(nstd ? nstd : 1, sizeof(*j));
	size_t nj = 0;
	int error;

	*out = NULL;
	*n = 0;
	if (!name)
		name = "form";
	if (!text)
		text = "";
	for (size_t i = 0; i < nstd; i++)
		folio_buf_init(&sec[i].comment);
	if ((error = form_parse(sec, fw, submission, name, text, len)) < 0)
		goto cleanup;
	for (size_t i = 0; i < nstd && error == 0; i++) {
		const char *c = sec[i].comment.ptr;
		size_t cn = sec[i].comment.size;
		trim(&c, &cn);
		if (!sec[i].judgement) {
			if (cn)
				error = form_error(name, sec[i].cline, "a comment on %s but no judgement: write met or more-evidence after 'Judgement:'",
					folio_framework_standard(fw, i)->id);
			continue;
		}
		j[nj].standard = folio_strdup(folio_framework_standard(fw, i)->id);
		j[nj].judgement = folio_strdup(sec[i].judgement);
		j[nj].comment = cn ? folio_strndup(c, cn) : NULL;
		nj++;
	}
	if (error == 0 && nj == 0)
		error = form_error(name, 0, "no standard has a judgement: write met or more-evidence after 'Judgement:'");
cleanup:
	for (size_t i = 0; i < nstd; i++)
		folio_buf_free(&sec[i].comment);
	free(sec);
	if (error < 0) {
		folio_judgements_free(j, nj);
		return error;
	}
	*out = j;
	*n = nj;
	return 0;
}

int folio_review_record_form(folio_site *site, long long submission, const char *name, const char *text, size_t len)
{
	folio_judgement *j = NULL;
	size_t nj = 0;
	folio_submission s;
	panel_row p;
	int error;

	memset(&s, 0, sizeof(s));
	memset(&p, 0, sizeof(p));
	if ((error = folio_tx_begin(site)) < 0)
		goto cleanup;
	if ((error = open_review(site, submission, &s, &p, "record a judgement on")) < 0 ||
	    (error = folio_review_form_parse(&j, &nj, site->fw, submission, name, text, len)) < 0)
		goto finish;
	for (size_t i = 0; i < nj && error == 0; i++)
		error = record_one(site, &s, j[i].standard, j[i].judgement, j[i].comment);
	if (error == 0)
		error = panel_in_session(site, s.panel);
finish:
	error = tx_finish(site, error);
cleanup:
	folio_judgements_free(j, nj);
	sub_clear(&s);
	panel_row_clear(&p);
	return refused(site, "record a review form", error, "submission:%lld", submission);
}

/* ------------------------------------------------------------ done */

int folio_review_done(folio_site *site, long long submission)
{
	size_t nstd = folio_framework_standard_count(site->fw);
	unsigned char *have = folio_calloc(nstd ? nstd : 1, 1);
	folio_submission s;
	panel_row p;
	sqlite3_stmt *st = NULL;
	folio_buf missing = FOLIO_BUF_INIT;
	char *now = folio_now_iso(), *obj = NULL;
	int error, rc;

	memset(&s, 0, sizeof(s));
	memset(&p, 0, sizeof(p));
	if ((error = folio_tx_begin(site)) < 0)
		goto cleanup;
	if ((error = open_review(site, submission, &s, &p, "mark done the review of")) < 0)
		goto finish;
	if ((error = folio_db_prepare(site, &st, "SELECT standard FROM judgement WHERE submission = ?1 AND reviewer = ?2")) < 0)
		goto finish;
	sqlite3_bind_int64(st, 1, submission);
	sqlite3_bind_text(st, 2, site->actor, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long i = standard_index(site->fw, (const char *)sqlite3_column_text(st, 0));
		if (i >= 0)
			have[i] = 1;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE) {
		error = folio_db_error(site, "cannot read judgements");
		goto finish;
	}
	for (size_t i = 0; i < nstd; i++)
		if (!have[i])
			folio_buf_printf(&missing, "%s%s", missing.size ? ", " : "", folio_framework_standard(site->fw, i)->id);
	if (missing.size) {
		error = folio_error_set(FOLIO_EINVALID, "the review of submission %lld is not complete: no judgement yet on %s",
			submission, missing.ptr);
		goto finish;
	}
	if ((error = folio_db_prepare(site, &st, "UPDATE assignment SET done = ?3 WHERE submission = ?1 AND reviewer = ?2")) < 0)
		goto finish;
	sqlite3_bind_int64(st, 1, submission);
	sqlite3_bind_text(st, 2, site->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	if ((error = step_done(site, st, "cannot mark the review done")) < 0)
		goto finish;
	obj = sub_object(&s);
	if ((error = folio_audit_change(site, "review.done", obj, NULL, NULL, s.commit, NULL)) < 0)
		goto finish;
	error = hold_outcome(site, &s);
finish:
	sqlite3_finalize(st);
	error = tx_finish(site, error);
cleanup:
	folio_buf_free(&missing);
	free(have);
	free(now);
	free(obj);
	sub_clear(&s);
	panel_row_clear(&p);
	return refused(site, "mark a review done", error, "submission:%lld", submission);
}

/* ------------------------------------------------------------ judgements */

void folio_judgements_free(folio_judgement *j, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(j[i].reviewer);
		free(j[i].standard);
		free(j[i].judgement);
		free(j[i].comment);
	}
	free(j);
}

static int judgements_load(folio_judgement **out, size_t *n, folio_site *site, long long sub, const char *only)
{
	sqlite3_stmt *st = NULL;
	folio_judgement *rows = NULL, *v = NULL;
	size_t count = 0, k = 0, nstd = folio_framework_standard_count(site->fw);
	int error, rc;

	*out = NULL;
	*n = 0;
	if ((error = folio_db_prepare(site, &st,
		"SELECT reviewer, standard, judgement, comment, 0 AS chair FROM judgement"
		" WHERE submission = ?1 AND (?2 IS NULL OR reviewer = ?2)"
		" UNION ALL SELECT NULL, standard, judgement, comment, 1 FROM moderation WHERE submission = ?1 AND ?2 IS NULL"
		" ORDER BY chair, reviewer")) < 0)
		return error;
	sqlite3_bind_int64(st, 1, sub);
	folio_db_bind_text(st, 2, only);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rows = folio_realloc(rows, (count + 1) * sizeof(*rows));
		rows[count].reviewer = folio_db_col_dup(st, 0);
		rows[count].standard = folio_db_col_dup(st, 1);
		rows[count].judgement = folio_db_col_dup(st, 2);
		rows[count].comment = folio_db_col_dup(st, 3);
		count++;
	}
	if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read judgements");
	sqlite3_finalize(st);
	if (error < 0) {
		folio_judgements_free(rows, count);
		return error;
	}
	/* by standard in framework order (reviewers, then the chair), standards no longer in the framework last */
	v = folio_calloc(count ? count : 1, sizeof(*v));
	for (size_t i = 0; i <= nstd; i++)
		for (size_t r = 0; r < count; r++) {
			long at = standard_index(site->fw, rows[r].standard);
			if ((i < nstd && at == (long)i) || (i == nstd && at < 0))
				v[k++] = rows[r];
		}
	free(rows);
	*out = v;
	*n = count;
	return 0;
}

/* The judgements the actor may see (see the header); FOLIO_EDENIED for anyone else. */
static int judgements_visible(folio_judgement **out, size_t *n, folio_site *site, const folio_submission *s,
	const panel_row *p)
{
	int done = 0, assigned;
	*out = NULL;
	*n = 0;
	if (own_submission(site, s) && sub_released(s))
		return judgements_load(out, n, site, s->id, NULL);
	if (!own_submission(site, s) && (folio_site_has_role(site, FOLIO_ROLE_LEAD | FOLIO_ROLE_ADMIN) || is_chair(site, p)))
		return judgements_load(out, n, site, s->id, NULL);
	if ((assigned = assignment_of(site, s->id, site->actor, &done)) < 0)
		return assigned;
	if (assigned)
		return judgements_load(out, n, site, s->id, done ? NULL : site->actor);
	char *action = folio_asprintf("see the judgements on submission %lld", s->id);
	int error = folio_site_deny(site, action,
		"only its reviewers, the panel's chair, leads and admins may (the mentor once the panel has concluded)");
	free(action);
	return error;
}

int folio_review_judgements(folio_judgement **out, size_t *n, folio_site *site, long long submission)
{
	folio_submission s;
	panel_row p;
	int error;

	*out = NULL;
	*n = 0;
	memset(&p, 0, sizeof(p));
	if ((error = sub_load(&s, site, submission)) < 0)
		return error;
	if ((error = panel_load(&p, site, s.panel)) == 0)
		error = judgements_visible(out, n, site, &s, &p);
	panel_row_clear(&p);
	sub_clear(&s);
	return error;
}

/* ------------------------------------------------------------ what changed */

/* Every Markdown blob of a commit's tree (hex id), sorted by path. */
static int collect_md(folio_md_list *out, git_repository *repo, const char *hex)
{
	git_oid oid;
	int rc = git_oid_fromstr(&oid, hex);
	if (rc < 0)
		return folio_git_error(rc, "cannot read the portfolio tree");
	return folio_md_collect_commit(out, repo, &oid, 1);
}

void folio_review_changes_free(folio_review_changes *c)
{
	if (!c)
		return;
	strings_free(c->added, c->nadded);
	strings_free(c->changed, c->nchanged);
	strings_free(c->removed, c->nremoved);
	free(c->gained);
	free(c);
}

static int changes_compute(folio_review_changes **out, folio_site *site, const folio_submission *s)
{
	folio_review_changes *c = folio_calloc(1, sizeof(*c));
	folio_submission prev;
	folio_coverage *before = NULL, *after = NULL;
	git_repository *repo = NULL;
	folio_md_list a = { 0 }, b = { 0 };
	char *path = NULL;
	int error = 0, rc;

	*out = NULL;
	memset(&prev, 0, sizeof(prev));
	if (!s->previous)
		goto done;
	if ((error = sub_load(&prev, site, s->previous)) < 0)
		goto cleanup;
	snprintf(c->previous_commit, sizeof(c->previous_commit), "%s", prev.commit);
	folio_git_init();
	path = folio_portfolio_repo_path(site, s->mentor);
	if ((rc = git_repository_open_bare(&repo, path)) < 0) {
		error = folio_git_error(rc, "cannot open the portfolio");
		goto cleanup;
	}
	if ((error = collect_md(&a, repo, prev.commit)) < 0 || (error = collect_md(&b, repo, s->commit)) < 0)
		goto cleanup;
	for (size_t i = 0, j = 0; i < a.n || j < b.n;) {
		int cmp = i == a.n ? 1 : j == b.n ? -1 : strcmp(a.v[i].path, b.v[j].path);
		if (cmp < 0) {
			strings_push(&c->removed, &c->nremoved, a.v[i++].path);
		} else if (cmp > 0) {
			strings_push(&c->added, &c->nadded, b.v[j++].path);
		} else {
			if (!git_oid_equal(&a.v[i].oid, &b.v[j].oid))
				strings_push(&c->changed, &c->nchanged, b.v[j].path);
			i++;
			j++;
		}
	}
	if ((error = folio_coverage_get(&before, site, s->mentor, prev.commit)) < 0 ||
	    (error = folio_coverage_get(&after, site, s->mentor, s->commit)) < 0)
		goto cleanup;
	c->nstandards = folio_framework_standard_count(site->fw);
	c->gained = folio_calloc(c->nstandards ? c->nstandards : 1, sizeof(long long));
	for (size_t i = 0; i < c->nstandards; i++)
		c->gained[i] = (long long)after->standards[i].evidence - (long long)before->standards[i].evidence;
done:
	*out = c;
	c = NULL;
cleanup:
	folio_review_changes_free(c);
	folio_coverage_free(before);
	folio_coverage_free(after);
	folio_md_list_free(&a);
	folio_md_list_free(&b);
	git_repository_free(repo);
	free(path);
	sub_clear(&prev);
	return error;
}

int folio_review_changes_get(folio_review_changes **out, folio_site *site, long long submission)
{
	folio_submission s;
	panel_row p;
	int error;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	if ((error = sub_load(&s, site, submission)) < 0)
		return error;
	if ((error = panel_load(&p, site, s.panel)) == 0 && (error = require_viewer(site, &s, &p, "see the review of")) == 0)
		error = changes_compute(out, site, &s);
	panel_row_clear(&p);
	sub_clear(&s);
	return error;
}

/* ------------------------------------------------------------ feedback items */

void folio_feedback_free(folio_feedback_item *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].mentor);
		free(f[i].standard);
		free(f[i].text);
		free(f[i].status);
		free(f[i].note);
		free(f[i].addressed_commit);
	}
	free(f);
}

/* Released items of a mentor, by number; `except` leaves out the items of one submission (0: none). */
static int feedback_load(folio_feedback_item **out, size_t *n, folio_site *site, const char *mentor, long long except)
{
	sqlite3_stmt *st = NULL;
	folio_feedback_item *v = NULL;
	size_t count = 0, cap = 0;
	int error, rc;

	*out = NULL;
	*n = 0;
	if ((error = folio_db_prepare(site, &st,
		"SELECT f.mentor, f.number, f.submission, f.standard, f.text, f.status, f.note, f.addressed_commit,"
		" f.accepted_by FROM feedback f JOIN submission s ON s.id = f.submission"
		" WHERE f.mentor = ?1 AND f.submission <> ?2 AND s.state NOT IN ('submitted', 'in-review', 'withdrawn')"
		" ORDER BY f.number")) < 0)
		return error;
	sqlite3_bind_text(st, 1, mentor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, except);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = folio_grow(v, &cap, count + 1, sizeof(*v));
		folio_feedback_item *f = &v[count++];
		f->mentor = folio_db_col_dup(st, 0);
		f->number = sqlite3_column_int(st, 1);
		f->submission = sqlite3_column_int64(st, 2);
		f->standard = folio_db_col_dup(st, 3);
		f->text = folio_db_col_dup(st, 4);
		f->status = folio_db_col_dup(st, 5);
		f->note = folio_db_col_dup(st, 6);
		f->addressed_commit = folio_db_col_dup(st, 7);
		f->decided_by = sqlite3_column_int64(st, 8);
	}
	if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read feedback");
	sqlite3_finalize(st);
	if (error < 0) {
		folio_feedback_free(v, count);
		return error;
	}
	*out = v;
	*n = count;
	return 0;
}

static int tag_may_follow(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' ||
	       (c != '\0' && strchr("([{\"'<,;", c) != NULL);
}

static int is_wordy(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

/*
 * The feedback item numbers tagged #F<n> in one Markdown text, by the rules
 * of the evidence tags (engine/evidence.c): in text nodes only (so not in
 * code, HTML, link destinations or autolinks), after the start of the node,
 * whitespace or one of ([{"'<,; and not followed by a letter, digit, '_'
 * or a ".digits" group. Case-insensitive. Numbers are appended to *nums.
 */
static void ftags_scan(const char *text, size_t len, int **nums, size_t *n)
{
	cmark_node *doc = cmark_parse_document(text, len, CMARK_OPT_DEFAULT);
	cmark_iter *it = cmark_iter_new(doc);
	cmark_node *autolink = NULL;
	cmark_event_type ev;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(it);
		cmark_node_type type = cmark_node_get_type(node);
		if (type == CMARK_NODE_LINK) {
			if (ev == CMARK_EVENT_ENTER && !autolink && folio_cmark_is_autolink(node))
				autolink = node;
			else if (ev == CMARK_EVENT_EXIT && autolink == node)
				autolink = NULL;
			continue;
		}
		if (type != CMARK_NODE_TEXT || autolink)
			continue;
		const unsigned char *s = (const unsigned char *)cmark_node_get_literal(node);
		for (size_t i = 0; s && s[i]; i++) {
			if (s[i] != '#' || (i > 0 && !tag_may_follow(s[i - 1])) || (s[i + 1] != 'F' && s[i + 1] != 'f'))
				continue;
			size_t j = i + 2;
			long v = 0;
			while (s[j] >= '0' && s[j] <= '9' && j - i - 2 < 9)
				v = v * 10 + (s[j++] - '0');
			if (j == i + 2 || is_wordy(s[j]) || (s[j] == '.' && s[j + 1] >= '0' && s[j + 1] <= '9'))
				continue;
			*nums = folio_realloc(*nums, (*n + 1) * sizeof(int));
			(*nums)[(*n)++] = (int)v;
			i = j - 1;
		}
	}
	cmark_iter_free(it);
	cmark_node_free(doc);
}

typedef struct {
	int number;
	char since[41];     /* commit the item was raised (or last kept open) at */
	int scanned;
	char found[41];     /* first commit that tags it, "" when none */
	char *path;         /* entry that tags it */
} pending_item;

/*
 * Walk the commits after `since` up to `upto`, oldest first, reading the
 * Markdown blobs each one adds or changes, and note the first commit that
 * tags each pending item raised at `since`.
 */
static int scan_range(git_repository *repo, const char *since, const git_oid *upto, pending_item *items, size_t n)
{
	git_revwalk *walk = NULL;
	git_oid from, oid;
	size_t left = 0;
	int rc = GIT_ERROR, error = 0;

	for (size_t i = 0; i < n; i++)
		if (strcmp(items[i].since, since) == 0) {
			items[i].scanned = 1;
			left++;
		}
	if (git_oid_fromstr(&from, since) < 0 || (rc = git_revwalk_new(&walk, repo)) < 0 ||
	    (rc = git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE)) < 0 ||
	    (rc = git_revwalk_push(walk, upto)) < 0) {
		error = folio_git_error(rc, "cannot read the portfolio history");
		goto cleanup;
	}
	if (git_revwalk_hide(walk, &from) < 0) {
		/* the commit is gone (history rewritten): nothing to compare with */
		git_error_clear();
		goto cleanup;
	}
	while (left > 0 && error == 0 && git_revwalk_next(&oid, walk) == 0) {
		git_commit *c = NULL, *parent = NULL;
		git_tree *t = NULL, *pt = NULL;
		git_diff *diff = NULL;
		if ((rc = git_commit_lookup(&c, repo, &oid)) < 0 || (rc = git_commit_tree(&t, c)) < 0 ||
		    (git_commit_parentcount(c) > 0 &&
		     ((rc = git_commit_parent(&parent, c, 0)) < 0 || (rc = git_commit_tree(&pt, parent)) < 0)) ||
		    (rc = git_diff_tree_to_tree(&diff, repo, pt, t, NULL)) < 0) {
			error = folio_git_error(rc, "cannot read the portfolio history");
		} else {
			for (size_t d = 0; d < git_diff_num_deltas(diff) && left > 0; d++) {
				const git_diff_delta *delta = git_diff_get_delta(diff, d);
				git_blob *blob = NULL;
				git_object_size_t size = 0;
				int *nums = NULL;
				size_t nn = 0;
				/* an oversized entry is never read (its size comes from the object header) */
				if ((delta->status != GIT_DELTA_ADDED && delta->status != GIT_DELTA_MODIFIED) ||
				    !folio_git_is_md(delta->new_file.path) || folio_git_blob_size(&size, repo, &delta->new_file.id) < 0 ||
				    size > ENTRY_MAX || git_blob_lookup(&blob, repo, &delta->new_file.id) < 0) {
					folio_error_clear();
					git_error_clear();
					continue;
				}
				ftags_scan(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), &nums, &nn);
				git_blob_free(blob);
				for (size_t k = 0; k < nn; k++)
					for (size_t i = 0; i < n; i++)
						if (items[i].number == nums[k] && !items[i].found[0] && strcmp(items[i].since, since) == 0) {
							git_oid_tostr(items[i].found, sizeof(items[i].found), &oid);
							items[i].path = folio_strdup(delta->new_file.path);
							left--;
						}
				free(nums);
			}
		}
		git_diff_free(diff);
		git_tree_free(pt);
		git_tree_free(t);
		git_commit_free(parent);
		git_commit_free(c);
	}
	git_error_clear();
cleanup:
	git_revwalk_free(walk);
	return error;
}

static int record_tagged(folio_site *site, const char *mentor, pending_item *items, size_t n)
{
	sqlite3_stmt *st = NULL;
	int error;

	if ((error = folio_tx_begin(site)) < 0)
		return error;
	if ((error = folio_db_prepare(site, &st,
		"UPDATE feedback SET status = CASE status WHEN 'open' THEN 'addressed' ELSE status END, addressed_commit = ?3"
		" WHERE mentor = ?1 AND number = ?2 AND addressed_commit IS NULL AND status <> 'accepted'")) < 0)
		goto cleanup;
	for (size_t i = 0; i < n && error == 0; i++) {
		if (!items[i].found[0])
			continue;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, mentor, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, items[i].number);
		sqlite3_bind_text(st, 3, items[i].found, -1, SQLITE_STATIC);
		if ((error = step_done(site, st, "cannot record the feedback")) < 0 || sqlite3_changes(site->db) == 0)
			continue;
		char *obj = folio_asprintf("feedback:%s/F%d", mentor, items[i].number);
		char *detail = folio_asprintf("addressed: #F%d tagged in '%s'", items[i].number, items[i].path);
		error = folio_audit_change(site, "feedback.address", obj, NULL, NULL, items[i].found, detail);
		free(obj);
		free(detail);
	}
cleanup:
	sqlite3_finalize(st);
	return tx_finish(site, error);
}

int folio_feedback_refresh(folio_site *site, const char *mentor, const char *rev)
{
	sqlite3_stmt *st = NULL;
	pending_item *items = NULL;
	size_t n = 0;
	git_repository *repo = NULL;
	git_object *obj = NULL;
	git_oid upto;
	char *path = NULL;
	int error, rc, found = 0;

	char *action = folio_asprintf("read the feedback of '%s'", mentor ? mentor : "");
	error = folio_site_require_self_or(site, mentor, FOLIO_ROLE_REVIEWER | FOLIO_ROLE_LEAD | FOLIO_ROLE_ADMIN, action);
	free(action);
	if (error < 0)
		return error;
	if ((error = folio_db_prepare(site, &st,
		"SELECT f.number, COALESCE(d.commit_id, s.commit_id) FROM feedback f JOIN submission s ON s.id = f.submission"
		" LEFT JOIN submission d ON d.id = f.accepted_by"
		" WHERE f.mentor = ?1 AND f.status <> 'accepted' AND f.addressed_commit IS NULL ORDER BY f.number")) < 0)
		return error;
	sqlite3_bind_text(st, 1, mentor, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *since = sqlite3_column_text(st, 1);
		items = folio_realloc(items, (n + 1) * sizeof(*items));
		memset(&items[n], 0, sizeof(*items));
		items[n].number = sqlite3_column_int(st, 0);
		snprintf(items[n].since, sizeof(items[n].since), "%s", since ? (const char *)since : "");
		n++;
	}
	if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read feedback");
	sqlite3_finalize(st);
	if (error < 0 || n == 0)
		goto cleanup;

	folio_git_init();
	path = folio_portfolio_repo_path(site, mentor);
	if ((rc = git_repository_open_bare(&repo, path)) < 0) {
		error = folio_git_error(rc, "cannot open the portfolio");
		goto cleanup;
	}
	if (rev) {
		git_object *peeled = NULL;
		if (git_revparse_single(&obj, repo, rev) < 0 || git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0) {
			git_error_clear();
			error = folio_error_set(FOLIO_ENOTFOUND, "no commit '%s' in the portfolio of '%s'", rev, mentor);
			goto cleanup;
		}
		git_oid_cpy(&upto, git_object_id(peeled));
		git_object_free(peeled);
	} else if ((error = folio_git_main(&upto, &found, repo)) < 0 || !found) {
		goto cleanup;
	}
	for (size_t i = 0; i < n && error == 0; i++)
		if (!items[i].scanned)
			error = scan_range(repo, items[i].since, &upto, items, n);
	for (size_t i = 0; i < n && error == 0; i++)
		if (items[i].found[0]) {
			error = record_tagged(site, mentor, items, n);
			break;
		}
cleanup:
	for (size_t i = 0; i < n; i++)
		free(items[i].path);
	free(items);
	git_object_free(obj);
	git_repository_free(repo);
	free(path);
	return error;
}

static int has_portfolio(folio_site *site, const char *mentor)
{
	sqlite3_stmt *st = NULL;
	int yes = 0;
	if (folio_db_prepare(site, &st, "SELECT 1 FROM portfolio WHERE mentor = ?1") == 0) {
		sqlite3_bind_text(st, 1, mentor, -1, SQLITE_STATIC);
		yes = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	return yes;
}

int folio_feedback_list(folio_feedback_item **out, size_t *n, folio_site *site, const char *mentor)
{
	int error;
	*out = NULL;
	*n = 0;
	char *action = folio_asprintf("read the feedback of '%s'", mentor ? mentor : "");
	error = folio_site_require_self_or(site, mentor, FOLIO_ROLE_REVIEWER | FOLIO_ROLE_LEAD | FOLIO_ROLE_ADMIN, action);
	free(action);
	if (error < 0 || (error = folio_person_exists(site, mentor)) < 0)
		return error;
	if (has_portfolio(site, mentor) && (error = folio_feedback_refresh(site, mentor, NULL)) < 0)
		return error;
	return feedback_load(out, n, site, mentor, 0);
}

/* Inside the transaction: the item's status, the submission it was raised at and who decided on it. */
static int item_load(folio_site *site, const char *mentor, int number, char **status, long long *raised,
	long long *decided)
{
	sqlite3_stmt *st = NULL;
	int error, rc;
	*status = NULL;
	if ((error = folio_db_prepare(site, &st,
		"SELECT f.status, f.submission, f.accepted_by FROM feedback f JOIN submission s ON s.id = f.submission"
		" WHERE f.mentor = ?1 AND f.number = ?2 AND s.state NOT IN ('submitted', 'in-review', 'withdrawn')")) < 0)
		return error;
	sqlite3_bind_text(st, 1, mentor, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, number);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*status = folio_db_col_dup(st, 0);
		*raised = sqlite3_column_int64(st, 1);
		*decided = sqlite3_column_int64(st, 2);
	} else if (rc == SQLITE_DONE) {
		error = folio_error_set(FOLIO_ENOTFOUND, "no feedback item F%d for '%s'", number, mentor);
	} else {
		error = folio_db_error(site, "cannot read feedback");
	}
	sqlite3_finalize(st);
	return error;
}

int folio_feedback_address(folio_site *site, const char *mentor, int number, const char *note)
{
	sqlite3_stmt *st = NULL;
	char *status = NULL, *obj = NULL, *action;
	long long raised = 0, decided = 0;
	int error;

	action = folio_asprintf("address the feedback of '%s'", mentor ? mentor : "");
	error = folio_site_require_self_or(site, mentor, 0, action);
	free(action);
	if (error < 0)
		return error;
	if (!note || !*note)
		return refused(site, "address a feedback item",
			folio_error_set(FOLIO_EINVALID, "a note is needed to address F%d: say where the new evidence is", number),
			"feedback:%s/F%d", mentor ? mentor : "", number);
	if ((error = folio_text_valid("the note", note)) < 0)
		return refused(site, "address a feedback item", error, "feedback:%s/F%d", mentor ? mentor : "", number);
	if ((error = folio_tx_begin(site)) < 0)
		return error;
	if ((error = item_load(site, mentor, number, &status, &raised, &decided)) < 0)
		goto cleanup;
	if (strcmp(status, "accepted") == 0) {
		error = folio_error_set(FOLIO_ECONFLICT, "feedback item F%d of '%s' is already accepted", number, mentor);
		goto cleanup;
	}
	if ((error = folio_db_prepare(site, &st,
		"UPDATE feedback SET status = 'addressed', note = ?3 WHERE mentor = ?1 AND number = ?2")) < 0)
		goto cleanup;
	sqlite3_bind_text(st, 1, mentor, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, number);
	sqlite3_bind_text(st, 3, note, -1, SQLITE_STATIC);
	if ((error = step_done(site, st, "cannot record the feedback")) < 0)
		goto cleanup;
	obj = folio_asprintf("feedback:%s/F%d", mentor, number);
	error = folio_audit_change(site, "feedback.address", obj, status, "addressed", NULL, note);
cleanup:
	sqlite3_finalize(st);
	error = tx_finish(site, error);
	free(status);
	free(obj);
	return refused(site, "address a feedback item", error, "feedback:%s/F%d", mentor ? mentor : "", number);
}

int folio_feedback_accept(folio_site *site, long long submission, int number, int accept)
{
	folio_submission s;
	panel_row p;
	sqlite3_stmt *st = NULL;
	char *status = NULL, *obj = NULL;
	long long raised = 0, decided = 0;
	int error, done;

	memset(&s, 0, sizeof(s));
	memset(&p, 0, sizeof(p));
	if ((error = folio_tx_begin(site)) < 0)
		return error;
	if ((error = sub_load(&s, site, submission)) < 0 || (error = assignment_of(site, submission, site->actor, &done)) < 0)
		goto cleanup;
	if (error == 0) {
		char *action = folio_asprintf("decide on feedback items at submission %lld", submission);
		error = folio_site_deny(site, action, "it is not assigned to them");
		free(action);
		goto cleanup;
	}
	if ((error = panel_load(&p, site, s.panel)) < 0)
		goto cleanup;
	if (strcmp(p.state, "concluded") == 0) {
		error = folio_error_set(FOLIO_ECONFLICT, "panel '%s' is concluded: its decisions on feedback are final", p.id);
		goto cleanup;
	}
	if (strcmp(s.state, "in-review") != 0) {
		error = folio_error_set(FOLIO_ECONFLICT, "submission %lld is %s, not in review", submission, s.state);
		goto cleanup;
	}
	if ((error = item_load(site, s.mentor, number, &status, &raised, &decided)) < 0)
		goto cleanup;
	if (raised >= submission) {
		error = folio_error_set(FOLIO_ECONFLICT, "feedback item F%d of '%s' was raised at submission %lld, not before %lld",
			number, s.mentor, raised, submission);
		goto cleanup;
	}
	if (strcmp(status, "accepted") == 0 && decided != submission) {
		error = folio_error_set(FOLIO_ECONFLICT, "feedback item F%d of '%s' was already accepted at submission %lld",
			number, s.mentor, decided);
		goto cleanup;
	}
	/* keeping an item open forgets the tag that addressed it: only a newer one counts again */
	if ((error = folio_db_prepare(site, &st, accept
		? "UPDATE feedback SET status = 'accepted', accepted_by = ?3 WHERE mentor = ?1 AND number = ?2"
		: "UPDATE feedback SET status = 'open', accepted_by = ?3, addressed_commit = NULL WHERE mentor = ?1 AND number = ?2")) < 0)
		goto cleanup;
	sqlite3_bind_text(st, 1, s.mentor, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, number);
	sqlite3_bind_int64(st, 3, submission);
	if ((error = step_done(site, st, "cannot record the feedback")) < 0)
		goto cleanup;
	obj = folio_asprintf("feedback:%s/F%d", s.mentor, number);
	{
		char *detail = folio_asprintf("%s at submission %lld", accept ? "accepted" : "kept open", submission);
		error = folio_audit_change(site, accept ? "feedback.accept" : "feedback.keep-open", obj, status,
			accept ? "accepted" : "open", s.commit, detail);
		free(detail);
	}
cleanup:
	sqlite3_finalize(st);
	error = tx_finish(site, error);
	free(status);
	free(obj);
	sub_clear(&s);
	panel_row_clear(&p);
	return refused(site, accept ? "accept a feedback item" : "keep a feedback item open", error, "submission:%lld",
		submission);
}

/* ------------------------------------------------------------ review show */

void folio_review_free(folio_review *r)
{
	if (!r)
		return;
	sub_clear(&r->submission);
	folio_coverage_free(r->coverage);
	folio_review_changes_free(r->changes);
	folio_review_progress_clear(&r->progress);
	folio_judgements_free(r->judgements, r->njudgements);
	folio_feedback_free(r->feedback, r->nfeedback);
	free(r);
}

int folio_review_show(folio_review **out, folio_site *site, long long submission)
{
	folio_review *r = folio_calloc(1, sizeof(*r));
	panel_row p;
	evaluation ev;
	int error;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	memset(&ev, 0, sizeof(ev));
	if ((error = sub_load(&r->submission, site, submission)) < 0 || (error = panel_load(&p, site, r->submission.panel)) < 0 ||
	    (error = require_viewer(site, &r->submission, &p, "see the review of")) < 0)
		goto cleanup;
	/* items tagged #F<n> up to the pinned commit count as addressed before the reviewers look */
	if (has_portfolio(site, r->submission.mentor) &&
	    (error = folio_feedback_refresh(site, r->submission.mentor, r->submission.commit)) < 0)
		goto cleanup;
	if ((error = folio_coverage_get(&r->coverage, site, r->submission.mentor, r->submission.commit)) < 0 ||
	    (error = changes_compute(&r->changes, site, &r->submission)) < 0 ||
	    (error = evaluate(&ev, site, submission)) < 0 ||
	    (error = judgements_visible(&r->judgements, &r->njudgements, site, &r->submission, &p)) < 0 ||
	    (error = feedback_load(&r->feedback, &r->nfeedback, site, r->submission.mentor, submission)) < 0)
		goto cleanup;
	r->progress = ev.progress;
	memset(&ev.progress, 0, sizeof(ev.progress));
	r->progress.panel = folio_strdup(r->submission.panel);
	*out = r;
	r = NULL;
cleanup:
	evaluation_clear(&ev);
	panel_row_clear(&p);
	folio_review_free(r);
	return error;
}

/* ------------------------------------------------------------ moderation */

int folio_panel_moderate(folio_site *site, long long submission, const char *standard, const char *judgement,
	const char *comment)
{
	folio_submission s;
	panel_row p;
	evaluation ev;
	sqlite3_stmt *st = NULL;
	const char *j = NULL, *sid;
	char *action = folio_asprintf("moderate submission %lld", submission), *why = NULL, *now = folio_now_iso();
	char *obj = NULL, *detail = NULL;
	size_t std = 0;
	int error;

	memset(&s, 0, sizeof(s));
	memset(&p, 0, sizeof(p));
	memset(&ev, 0, sizeof(ev));
	if (comment && !*comment)
		comment = NULL;
	if ((error = folio_tx_begin(site)) < 0)
		goto cleanup;
	if ((error = sub_load(&s, site, submission)) < 0 || (error = panel_load(&p, site, s.panel)) < 0)
		goto finish;
	if (p.chair && !is_chair(site, &p)) {
		char *msg = folio_asprintf("only the panel's chair '%s' may", p.chair);
		error = folio_site_deny(site, action, msg);
		free(msg);
		goto finish;
	}
	if (!p.chair && (error = folio_site_require(site, FOLIO_ROLE_LEAD | FOLIO_ROLE_ADMIN, action)) < 0)
		goto finish;
	if ((error = folio_wf_conflict(site, site->actor, s.mentor, &why)) < 0)
		goto finish;
	if (error == 1) {
		error = folio_site_deny(site, action, why);
		goto finish;
	}
	if ((error = standard_find(site->fw, standard, &std)) < 0 || (error = judgement_check(judgement, &j)) < 0 ||
	    (error = folio_text_valid("the comment", comment)) < 0)
		goto finish;
	sid = folio_framework_standard(site->fw, std)->id;
	if (strcmp(p.state, "concluded") == 0) {
		error = folio_error_set(FOLIO_ECONFLICT, "panel '%s' is concluded: submission %lld can no longer be moderated",
			p.id, submission);
		goto finish;
	}
	if (strcmp(s.state, "in-review") != 0) {
		error = folio_error_set(FOLIO_ECONFLICT, "submission %lld is %s, not in review", submission, s.state);
		goto finish;
	}
	if ((error = evaluate(&ev, site, submission)) < 0)
		goto finish;
	if (!ev.all_done) {
		folio_buf who = FOLIO_BUF_INIT;
		for (size_t i = 0; i < ev.progress.nreviewers; i++)
			if (!ev.progress.reviewers[i].done)
				folio_buf_printf(&who, "%s%s", who.size ? ", " : "", ev.progress.reviewers[i].id);
		error = folio_error_set(FOLIO_ECONFLICT, "submission %lld cannot be moderated yet: reviews not done by %s",
			submission, who.size ? who.ptr : "anyone (no reviewers assigned)");
		folio_buf_free(&who);
		goto finish;
	}
	if (ev.met[std] == ev.progress.nreviewers || ev.more[std] == ev.progress.nreviewers) {
		error = folio_error_set(FOLIO_ECONFLICT, "the reviewers of submission %lld agree on %s (%s): there is nothing to moderate",
			submission, sid, ev.met[std] ? MET : MORE);
		goto finish;
	}
	if ((error = folio_db_prepare(site, &st,
		"INSERT INTO moderation(submission, standard, judgement, chair, comment, time) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
		" ON CONFLICT(submission, standard) DO UPDATE SET judgement = excluded.judgement, chair = excluded.chair,"
		" comment = excluded.comment, time = excluded.time")) < 0)
		goto finish;
	sqlite3_bind_int64(st, 1, submission);
	sqlite3_bind_text(st, 2, sid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, j, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, site->actor, -1, SQLITE_STATIC);
	folio_db_bind_text(st, 5, comment);
	sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
	if ((error = step_done(site, st, "cannot record the moderation")) < 0)
		goto finish;
	obj = sub_object(&s);
	detail = folio_asprintf("%s %s", sid, j);
	if ((error = folio_audit_change(site, "review.moderate", obj, NULL, NULL, s.commit, detail)) < 0)
		goto finish;
	error = hold_outcome(site, &s);
finish:
	sqlite3_finalize(st);
	error = tx_finish(site, error);
cleanup:
	evaluation_clear(&ev);
	sub_clear(&s);
	panel_row_clear(&p);
	free(action);
	free(why);
	free(now);
	free(obj);
	free(detail);
	return refused(site, "moderate", error, "submission:%lld", submission);
}

/* ------------------------------------------------------------ concluding a panel */

typedef struct {
	char *mentor, *subject, *body;
} message;

/* The text of a feedback item: the comments that asked for more evidence, the chair's last. */
static int item_text(char **out, folio_site *site, long long sub, const folio_standard *std)
{
	sqlite3_stmt *st = NULL;
	folio_buf b = FOLIO_BUF_INIT;
	int error, rc;

	*out = NULL;
	if ((error = folio_db_prepare(site, &st,
		"SELECT comment, 0 FROM judgement WHERE submission = ?1 AND standard = ?2 AND judgement = 'more-evidence'"
		" AND comment IS NOT NULL AND comment <> ''"
		" UNION ALL SELECT comment, 1 FROM moderation WHERE submission = ?1 AND standard = ?2"
		" AND comment IS NOT NULL AND comment <> '' ORDER BY 2")) < 0)
		return error;
	sqlite3_bind_int64(st, 1, sub);
	sqlite3_bind_text(st, 2, std->id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(st, 0);
		folio_buf_printf(&b, "%s- %s", b.size ? "\n" : "", sqlite3_column_int(st, 1) ? "Chair: " : "");
		for (; *c; c++) {
			folio_buf_putc(&b, *c);
			if (*c == '\n' && c[1])
				folio_buf_puts(&b, "  ");
		}
	}
	if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read judgements");
	sqlite3_finalize(st);
	if (error == 0 && !b.size)
		folio_buf_printf(&b, "- The panel asks for more evidence for %s %s.", std->id, std->title);
	if (error == 0)
		*out = folio_buf_detach(&b);
	folio_buf_free(&b);
	return error;
}

/* Inside the transaction: release one submission's outcome, raise its feedback items, and write its message. */
static int release(folio_site *site, const folio_submission *s, const evaluation *ev, const char *panel,
	message *msg, size_t *nitems)
{
	static const char *const in_review[] = { "in-review", NULL };
	const char *outcome = ev->progress.outcome;
	int further = strcmp(outcome, "further-evidence") == 0;
	folio_person person;
	folio_buf body = FOLIO_BUF_INIT;
	sqlite3_stmt *st = NULL;
	int error;

	memset(&person, 0, sizeof(person));
	if ((error = folio_person_get(&person, site, s->mentor)) < 0)
		return error;
	char *note = folio_asprintf("panel '%s' concluded", panel);
	error = folio_wf_set_state(site, s->id, in_review, outcome, note);
	free(note);
	if (error < 0)
		goto cleanup;
	if ((error = folio_db_prepare(site, &st, "UPDATE submission SET outcome = ?2 WHERE id = ?1")) < 0)
		goto cleanup;
	sqlite3_bind_int64(st, 1, s->id);
	sqlite3_bind_text(st, 2, outcome, -1, SQLITE_STATIC);
	if ((error = step_done(site, st, "cannot record the outcome")) < 0)
		goto cleanup;
	sqlite3_finalize(st);
	st = NULL;

	folio_buf_printf(&body, "Dear %s,\n\nThe review panel %s has concluded its review of your %s portfolio\n"
		"(submission %lld, commit %.12s).\n\n", person.name, panel, s->qualification, s->id, s->commit);
	if (!further) {
		folio_buf_puts(&body, "The panel recommends you for the award: every standard is met. A lead\n"
			"mentor will now approve the recommendation, and then your certificate and\nbadge are issued.\n");
		msg->subject = folio_asprintf("Your %s portfolio is recommended for the award", s->qualification);
	} else {
		folio_buf_puts(&body, "The panel asks for further evidence before it recommends the award.\n"
			"These are its feedback items:\n");
		msg->subject = folio_asprintf("Your %s portfolio: further evidence requested", s->qualification);
		if ((error = folio_db_prepare(site, &st,
			"INSERT INTO feedback(mentor, number, submission, standard, text)"
			" VALUES (?1, (SELECT COALESCE(MAX(number), 0) + 1 FROM feedback WHERE mentor = ?1), ?2, ?3, ?4)"
			" RETURNING number")) < 0)
			goto cleanup;
		for (size_t i = 0; i < ev->nstd && error == 0; i++) {
			const folio_standard *std = folio_framework_standard(site->fw, i);
			char *text = NULL;
			if (ev->settled[i] != J_MORE)
				continue;
			if ((error = item_text(&text, site, s->id, std)) < 0)
				break;
			sqlite3_reset(st);
			sqlite3_bind_text(st, 1, s->mentor, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, s->id);
			sqlite3_bind_text(st, 3, std->id, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_ROW) {
				error = folio_db_error(site, "cannot record a feedback item");
				free(text);
				break;
			}
			int number = sqlite3_column_int(st, 0);
			while (sqlite3_step(st) == SQLITE_ROW)
				;
			folio_buf_printf(&body, "\nF%d  %s %s\n", number, std->id, std->title);
			for (const char *c = text; *c; c++) {
				if (c == text || c[-1] == '\n')
					folio_buf_puts(&body, "    ");
				folio_buf_putc(&body, *c);
			}
			folio_buf_putc(&body, '\n');
			char *obj = folio_asprintf("feedback:%s/F%d", s->mentor, number);
			char *detail = folio_asprintf("%s %s, raised at submission %lld", std->id, std->title, s->id);
			error = folio_audit_change(site, "feedback.add", obj, NULL, "open", s->commit, detail);
			free(obj);
			free(detail);
			free(text);
			(*nitems)++;
		}
		if (error < 0)
			goto cleanup;
		sqlite3_finalize(st);
		st = NULL;
		/* what earlier panels asked for and nobody accepted yet stays on the list */
		if ((error = folio_db_prepare(site, &st,
			"SELECT number, standard, status FROM feedback WHERE mentor = ?1 AND submission <> ?2"
			" AND status <> 'accepted' ORDER BY number")) < 0)
			goto cleanup;
		sqlite3_bind_text(st, 1, s->mentor, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, s->id);
		int first = 1;
		while (sqlite3_step(st) == SQLITE_ROW) {
			if (first)
				folio_buf_puts(&body, "\nStill open from before:\n");
			first = 0;
			folio_buf_printf(&body, "F%d  %s (%s)\n", sqlite3_column_int(st, 0), sqlite3_column_text(st, 1),
				sqlite3_column_text(st, 2));
		}
		folio_buf_printf(&body, "\nTo answer an item, tag the new evidence with its number (for example #F1)\n"
			"in an entry of your portfolio, or write a note with\n"
			"'folio feedback address F1 --note TEXT'. Then resubmit for a later panel\n"
			"with 'folio resubmit %s'.\n", s->mentor);
	}
	folio_buf_puts(&body, "\nfolio\n");
	msg->mentor = folio_strdup(s->mentor);
	msg->body = folio_buf_detach(&body);
cleanup:
	sqlite3_finalize(st);
	folio_buf_free(&body);
	folio_person_clear(&person);
	return error;
}

int folio_panel_conclude_summary(folio_panel_conclusion *out, folio_site *site, const char *panel)
{
	folio_panel_conclusion sum = { 0, 0, 0, 0 };
	panel_row p;
	sqlite3_stmt *st = NULL;
	folio_submission *subs = NULL;
	evaluation *evs = NULL;
	message *msgs = NULL;
	size_t nsubs = 0;
	folio_buf pending = FOLIO_BUF_INIT, disputed = FOLIO_BUF_INIT;
	char *action = folio_asprintf("conclude panel '%s'", panel ? panel : "");
	int error, rc;

	if (out)
		memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	if ((error = folio_tx_begin(site)) < 0)
		goto cleanup;
	if ((error = panel_load(&p, site, panel)) < 0)
		goto finish;
	if (!folio_site_has_role(site, FOLIO_ROLE_ADMIN) && !is_chair(site, &p)) {
		error = folio_site_deny(site, action, p.chair ? "only an admin or the panel's chair may" : "needs role admin");
		goto finish;
	}
	if (strcmp(p.state, "concluded") == 0) {
		error = folio_error_set(FOLIO_ECONFLICT, "panel '%s' is already concluded", p.id);
		goto finish;
	}
	if (strcmp(p.state, "open") == 0) {
		error = folio_error_set(FOLIO_ECONFLICT, "panel '%s' has no reviewers assigned yet: assign them first", p.id);
		goto finish;
	}

	if ((error = folio_db_prepare(site, &st,
		"SELECT " SUB_COLUMNS " FROM submission s WHERE s.panel = ?1 AND s.state = 'in-review' ORDER BY s.id")) < 0)
		goto finish;
	sqlite3_bind_text(st, 1, p.id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		subs = folio_realloc(subs, (nsubs + 1) * sizeof(*subs));
		evs = folio_realloc(evs, (nsubs + 1) * sizeof(*evs));
		memset(&evs[nsubs], 0, sizeof(*evs));
		sub_fill(&subs[nsubs++], st);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE) {
		error = folio_db_error(site, "cannot read submissions");
		goto finish;
	}

	/* refuse, listing everything that is missing */
	for (size_t i = 0; i < nsubs; i++) {
		folio_review_progress *pr = &evs[i].progress;
		if ((error = evaluate(&evs[i], site, subs[i].id)) < 0)
			goto finish;
		if (pr->nreviewers == 0)
			folio_buf_printf(&pending, "%ssubmission %lld (%s) has no reviewers", pending.size ? "; " : "", subs[i].id,
				subs[i].mentor);
		for (size_t r = 0, first = 1; r < pr->nreviewers; r++) {
			if (pr->reviewers[r].done)
				continue;
			if (first)
				folio_buf_printf(&pending, "%ssubmission %lld (%s) by ", pending.size ? "; " : "", subs[i].id,
					subs[i].mentor);
			folio_buf_printf(&pending, "%s%s", first ? "" : ", ", pr->reviewers[r].id);
			first = 0;
		}
		for (size_t d = 0; d < pr->ndisputed; d++) {
			if (d == 0)
				folio_buf_printf(&disputed, "%ssubmission %lld (%s) on ", disputed.size ? "; " : "", subs[i].id,
					subs[i].mentor);
			folio_buf_printf(&disputed, "%s%s", d ? ", " : "", pr->disputed[d]);
		}
	}
	if (pending.size || disputed.size) {
		error = folio_error_set(FOLIO_ECONFLICT, "panel '%s' cannot conclude yet: %s%s%s%s%s", p.id,
			pending.size ? "reviews not done: " : "", pending.ptr, pending.size && disputed.size ? "; " : "",
			disputed.size ? "disagreements not moderated: " : "", disputed.ptr);
		goto finish;
	}

	msgs = folio_calloc(nsubs ? nsubs : 1, sizeof(*msgs));
	for (size_t i = 0; i < nsubs && error == 0; i++) {
		error = release(site, &subs[i], &evs[i], p.id, &msgs[i], &sum.items);
		if (strcmp(evs[i].progress.outcome, "recommended") == 0)
			sum.recommended++;
		else
			sum.further_evidence++;
	}
	if (error < 0)
		goto finish;
	if ((error = folio_db_prepare(site, &st, "UPDATE panel SET state = 'concluded' WHERE id = ?1")) < 0)
		goto finish;
	sqlite3_bind_text(st, 1, p.id, -1, SQLITE_STATIC);
	if ((error = step_done(site, st, "cannot change the panel's state")) < 0)
		goto finish;
	{
		char *obj = folio_asprintf("panel:%s", p.id);
		char *detail = folio_asprintf("%zu recommended, %zu further evidence, %zu feedback items", sum.recommended,
			sum.further_evidence, sum.items);
		error = folio_audit_change(site, "panel.state", obj, p.state, "concluded", NULL, detail);
		free(obj);
		free(detail);
	}
finish:
	sqlite3_finalize(st);
	st = NULL;
	error = tx_finish(site, error);
	if (error < 0) {
		error = refused(site, "conclude a panel", error, "panel:%s", panel ? panel : "");
		goto cleanup;
	}

	/* the outcomes are released: now the messages (a failure leaves the panel concluded and says so) */
	for (size_t i = 0; i < nsubs; i++) {
		if (folio_notify(site, msgs[i].mentor, msgs[i].subject, msgs[i].body) < 0) {
			/* folio_error_set formats before it replaces the last message, so it may quote it */
			if (error == 0)
				error = folio_error_set(folio_error_code(), "panel '%s' is concluded, but the message to '%s' was not written: %s",
					p.id, msgs[i].mentor, folio_error_last());
			continue;
		}
		sum.messages++;
	}
	if (out)
		*out = sum;
cleanup:
	for (size_t i = 0; msgs && i < nsubs; i++) {
		free(msgs[i].mentor);
		free(msgs[i].subject);
		free(msgs[i].body);
	}
	free(msgs);
	for (size_t i = 0; i < nsubs; i++) {
		sub_clear(&subs[i]);
		evaluation_clear(&evs[i]);
	}
	free(subs);
	free(evs);
	folio_buf_free(&pending);
	folio_buf_free(&disputed);
	panel_row_clear(&p);
	free(action);
	return error;
}

int folio_panel_conclude(folio_site *site, const char *panel)
{
	return folio_panel_conclude_summary(NULL, site, panel);
}
