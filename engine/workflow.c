/* engine/workflow.c: state changes with their history and audit, conflicts of interest, and the outbox. */
#include "workflow_internal.h"
#include "folio/people.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ states */

static int history_add(folio_site *site, long long id, const char *from, const char *to, const char *note)
{
	sqlite3_stmt *st = NULL;
	char *now = folio_now_iso();
	int error;
	if ((error = folio_db_prepare(site, &st,
		"INSERT INTO submission_history(submission, seq, from_state, to_state, actor, time, note)"
		" VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM submission_history WHERE submission = ?1),"
		" ?2, ?3, ?4, ?5, ?6)")) == 0) {
		sqlite3_bind_int64(st, 1, id);
		folio_db_bind_text(st, 2, from);
		sqlite3_bind_text(st, 3, to, -1, SQLITE_STATIC);
		folio_db_bind_text(st, 4, site->actor);
		sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
		folio_db_bind_text(st, 6, note);
		if (sqlite3_step(st) != SQLITE_DONE)
			error = folio_db_error(site, "cannot record the state change");
	}
	sqlite3_finalize(st);
	free(now);
	return error;
}

static int audit_state(folio_site *site, long long id, const char *from, const char *to, const char *note)
{
	sqlite3_stmt *st = NULL;
	char *commit = NULL, *obj = folio_asprintf("submission:%lld", id);
	int error;
	if ((error = folio_db_prepare(site, &st, "SELECT commit_id, mentor FROM submission WHERE id = ?1")) == 0) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW) {
			commit = folio_db_col_dup(st, 0);
			free(obj);
			obj = folio_asprintf("submission:%lld (%s)", id, sqlite3_column_text(st, 1));
		}
	}
	sqlite3_finalize(st);
	if (error == 0)
		error = folio_audit_change(site, "submission.state", obj, from, to, commit, note);
	free(commit);
	free(obj);
	return error;
}

int folio_wf_created(folio_site *site, long long id, const char *to, const char *note)
{
	int error;
	if ((error = history_add(site, id, NULL, to, note)) < 0)
		return error;
	folio_crashpoint("submission.history:added");
	return audit_state(site, id, NULL, to, note);
}

int folio_wf_set_state(folio_site *site, long long id, const char *const *from, const char *to, const char *note)
{
	sqlite3_stmt *st = NULL;
	char *current = NULL;
	int error, allowed = 0;

	if ((error = folio_db_prepare(site, &st, "SELECT state FROM submission WHERE id = ?1")) < 0)
		return error;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		current = folio_db_col_dup(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (!current)
		return folio_error_set(FOLIO_ENOTFOUND, "no submission %lld in site '%s'", id, site->path);
	for (const char *const *f = from; *f; f++)
		if (strcmp(*f, current) == 0)
			allowed = 1;
	if (!allowed) {
		error = folio_error_set(FOLIO_ECONFLICT, "submission %lld is %s, so it cannot become %s", id, current, to);
		goto cleanup;
	}
	if ((error = folio_db_prepare(site, &st, "UPDATE submission SET state = ?2 WHERE id = ?1")) < 0)
		goto cleanup;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		error = folio_db_error(site, "cannot change the submission's state");
		goto cleanup;
	}
	folio_crashpoint("submission.state:updated");
	if ((error = history_add(site, id, current, to, note)) == 0)
		error = audit_state(site, id, current, to, note);
cleanup:
	sqlite3_finalize(st);
	free(current);
	return error;
}

int folio_wf_deadline_passed(const char *deadline)
{
	char today[11];
	folio_today(today);
	return strcmp(today, deadline) > 0;
}

/* ------------------------------------------------------------ conflicts */

typedef struct {
	char *id, *school, *lead;
} wf_person;

typedef struct {
	char *a, *b, *reason; /* a < b */
} wf_conflict;

struct folio_wf_people {
	wf_person *people; /* sorted by id */
	size_t npeople;
	wf_conflict *conflicts; /* sorted by (a, b) */
	size_t nconflicts;
};

static int cmp_person(const void *x, const void *y)
{
	return strcmp(((const wf_person *)x)->id, ((const wf_person *)y)->id);
}

static int cmp_conflict(const void *x, const void *y)
{
	const wf_conflict *p = x, *q = y;
	int c = strcmp(p->a, q->a);
	return c ? c : strcmp(p->b, q->b);
}

void folio_wf_people_free(folio_wf_people *pp)
{
	if (!pp)
		return;
	for (size_t i = 0; i < pp->npeople; i++) {
		free(pp->people[i].id);
		free(pp->people[i].school);
		free(pp->people[i].lead);
	}
	for (size_t i = 0; i < pp->nconflicts; i++) {
		free(pp->conflicts[i].a);
		free(pp->conflicts[i].b);
		free(pp->conflicts[i].reason);
	}
	free(pp->people);
	free(pp->conflicts);
	free(pp);
}

int folio_wf_people_load(folio_wf_people **out, folio_site *site)
{
	folio_wf_people *pp = folio_calloc(1, sizeof(*pp));
	sqlite3_stmt *st = NULL;
	int error, rc;

	*out = NULL;
	if ((error = folio_db_prepare(site, &st, "SELECT id, school, lead FROM person ORDER BY id")) < 0)
		goto cleanup;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		pp->people = folio_realloc(pp->people, (pp->npeople + 1) * sizeof(*pp->people));
		wf_person *p = &pp->people[pp->npeople++];
		p->id = folio_db_col_dup(st, 0);
		p->school = folio_db_col_dup(st, 1);
		p->lead = folio_db_col_dup(st, 2);
	}
	if (rc != SQLITE_DONE && (error = folio_db_error(site, "cannot read people")) < 0)
		goto cleanup;
	sqlite3_finalize(st);
	st = NULL;
	if ((error = folio_db_prepare(site, &st, "SELECT a, b, reason FROM conflict ORDER BY a, b")) < 0)
		goto cleanup;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		pp->conflicts = folio_realloc(pp->conflicts, (pp->nconflicts + 1) * sizeof(*pp->conflicts));
		wf_conflict *c = &pp->conflicts[pp->nconflicts++];
		c->a = folio_db_col_dup(st, 0);
		c->b = folio_db_col_dup(st, 1);
		c->reason = folio_db_col_dup(st, 2);
	}
	if (rc != SQLITE_DONE && (error = folio_db_error(site, "cannot read conflicts")) < 0)
		goto cleanup;
	/* sqlite's ORDER BY collation is byte order for these ASCII ids, but sort to be sure of bsearch */
	/* (qsort and bsearch may not be given a NULL array, even empty) */
	if (pp->npeople)
		qsort(pp->people, pp->npeople, sizeof(*pp->people), cmp_person);
	if (pp->nconflicts)
		qsort(pp->conflicts, pp->nconflicts, sizeof(*pp->conflicts), cmp_conflict);
	*out = pp;
	pp = NULL;
cleanup:
	sqlite3_finalize(st);
	folio_wf_people_free(pp);
	return error;
}

static const wf_person *find_person(const folio_wf_people *pp, const char *id)
{
	wf_person key = { (char *)id, NULL, NULL };
	return pp->npeople ? bsearch(&key, pp->people, pp->npeople, sizeof(*pp->people), cmp_person) : NULL;
}

int folio_wf_people_conflict(const folio_wf_people *pp, const char *reviewer, const char *mentor, char **reason)
{
	folio_buf why = FOLIO_BUF_INIT;
	const wf_person *r = find_person(pp, reviewer), *m = find_person(pp, mentor);

	*reason = NULL;
	if (!r || !m)
		return folio_error_set(FOLIO_ENOTFOUND, "no person '%s'", r ? mentor : reviewer);
	if (strcmp(reviewer, mentor) == 0)
		folio_buf_puts(&why, "it is their own portfolio");
	if (r->school && m->school && strcmp(r->school, m->school) == 0)
		folio_buf_printf(&why, "%sboth are at school '%s'", why.size ? "; " : "", r->school);
	if (m->lead && strcmp(m->lead, reviewer) == 0)
		folio_buf_printf(&why, "%s'%s' is the mentor's own lead mentor", why.size ? "; " : "", reviewer);
	int order = strcmp(reviewer, mentor) < 0;
	wf_conflict key = { (char *)(order ? reviewer : mentor), (char *)(order ? mentor : reviewer), NULL };
	const wf_conflict *c = pp->nconflicts
		? bsearch(&key, pp->conflicts, pp->nconflicts, sizeof(*pp->conflicts), cmp_conflict) : NULL;
	if (c)
		folio_buf_printf(&why, "%sdeclared conflict: %s", why.size ? "; " : "", c->reason);
	if (why.size)
		*reason = folio_buf_detach(&why);
	folio_buf_free(&why);
	return *reason ? 1 : 0;
}

int folio_wf_conflict(folio_site *site, const char *reviewer, const char *mentor, char **reason)
{
	folio_wf_people *pp = NULL;
	int error;
	*reason = NULL;
	if ((error = folio_wf_people_load(&pp, site)) < 0)
		return error;
	error = folio_wf_people_conflict(pp, reviewer, mentor, reason);
	if (error == FOLIO_ENOTFOUND)
		error = folio_error_set(FOLIO_ENOTFOUND, "no person '%s' in site '%s'",
			find_person(pp, reviewer) ? mentor : reviewer, site->path);
	folio_wf_people_free(pp);
	return error;
}

/* ------------------------------------------------------------ outbox */

/* RFC 2047 encoded-word for a header value that is not plain ASCII. */
static void header_text(folio_buf *b, const char *s)
{
	int ascii = 1;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p >= 0x80 || *p == '\n' || *p == '\r')
			ascii = 0;
	if (ascii) {
		folio_buf_puts(b, s);
		return;
	}
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s);
	folio_buf_puts(b, "=?UTF-8?B?");
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		folio_buf_putc(b, b64[(v >> 18) & 63]);
		folio_buf_putc(b, b64[(v >> 12) & 63]);
		folio_buf_putc(b, i + 1 < n ? b64[(v >> 6) & 63] : '=');
		folio_buf_putc(b, i + 2 < n ? b64[v & 63] : '=');
	}
	folio_buf_puts(b, "?=");
}

int folio_notify(folio_site *site, const char *person, const char *subject, const char *body)
{
	static unsigned long seq;
	folio_person p = { 0 };
	folio_buf msg = FOLIO_BUF_INIT;
	char date[64], stamp[32];
	char *dir = NULL, *tmp = NULL, *path = NULL;
	time_t now = time(NULL);
	struct tm tm;
	FILE *f = NULL;
	int error;

	if ((error = folio_person_get(&p, site, person)) < 0)
		return error;
	if (!p.email) {
		error = folio_error_set(FOLIO_EINVALID, "person '%s' has no email to notify", person);
		goto cleanup;
	}
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	seq++;

	folio_buf_printf(&msg, "From: folio <folio@%s>\r\n", "localhost");
	folio_buf_puts(&msg, "To: ");
	header_text(&msg, p.name);
	folio_buf_printf(&msg, " <%s>\r\nSubject: ", p.email);
	header_text(&msg, subject);
	folio_buf_printf(&msg, "\r\nDate: %s\r\nMessage-ID: <%s.%ld.%lu.%s@folio>\r\n", date, stamp, (long)getpid(), seq,
		person);
	folio_buf_puts(&msg, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
			     "Content-Transfer-Encoding: 8bit\r\n\r\n");
	for (const char *s = body; *s; s++) {
		if (*s == '\n' && (s == body || s[-1] != '\r'))
			folio_buf_putc(&msg, '\r');
		folio_buf_putc(&msg, *s);
	}
	if (msg.size < 2 || msg.ptr[msg.size - 1] != '\n')
		folio_buf_puts(&msg, "\r\n");

	dir = folio_asprintf("%s/outbox", site->path);
	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		error = folio_error_set(FOLIO_ERROR, "cannot create '%s': %s", dir, strerror(errno));
		goto cleanup;
	}
	path = folio_asprintf("%s/%s-%ld-%lu-%s.eml", dir, stamp, (long)getpid(), seq, person);
	tmp = folio_asprintf("%s/.%s-%ld-%lu-%s.tmp", dir, stamp, (long)getpid(), seq, person);
	folio_crashpoint("outbox:before-write");
	f = fopen(tmp, "wb");
	if (!f || fwrite(msg.ptr, 1, msg.size, f) != msg.size || fclose(f) != 0) {
		error = folio_error_set(FOLIO_ERROR, "cannot write '%s': %s", tmp, strerror(errno));
		if (f)
			fclose(f);
		unlink(tmp);
		goto cleanup;
	}
	folio_crashpoint("outbox:written");
	if (rename(tmp, path) < 0) {
		error = folio_error_set(FOLIO_ERROR, "cannot write '%s': %s", path, strerror(errno));
		unlink(tmp);
	}
	folio_crashpoint("outbox:renamed");
cleanup:
	folio_person_clear(&p);
	folio_buf_free(&msg);
	free(dir);
	free(tmp);
	free(path);
	return error;
}
