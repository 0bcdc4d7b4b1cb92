/* engine/panel.c: the three review panels of an academic year, their dates and chairs, and reviewers' availability. */
#include "folio/panel.h"
#include "folio/people.h"
#include "util.h"
#include "workflow_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A reviewer taking more portfolios than this at one panel is a typing error, not a plan. */
#define FOLIO_CAPACITY_MAX 1000

static const char *const terms[3] = { "autumn", "spring", "summer" };
/* The month each term's panel meets (third Wednesday): November, March, June. */
static const int term_month[3] = { 11, 3, 6 };
/* Default gap between the submission deadline and the panel. */
#define DEADLINE_DAYS 21

/* ------------------------------------------------------------ dates */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static long days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void date_from_days(char out[11], long z)
{
	char buf[64];
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long y = yoe + era * 400;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	long d = doy - (153 * mp + 2) / 5 + 1;
	long m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	snprintf(buf, sizeof(buf), "%04ld-%02ld-%02ld", y, m, d);
	memcpy(out, buf, 10);
	out[10] = '\0';
}

/* Days of a YYYY-MM-DD date already checked with folio_date_valid. */
static long date_days(const char *s)
{
	return days_from_civil(atoi(s), atoi(s + 5), atoi(s + 8));
}

/* The third Wednesday of a month. */
static long third_wednesday(int y, int m)
{
	long first = days_from_civil(y, m, 1);
	long weekday = ((first % 7) + 7 + 4) % 7; /* 1970-01-01 was a Thursday; 0 = Sunday */
	return first + (3 - weekday + 7) % 7 + 14;
}

static int check_date(const char *what, const char *date, const char *panel)
{
	char today[11];
	if (!folio_date_valid(date))
		return folio_error_set(FOLIO_EINVALID, "invalid %s '%s' for panel '%s': use YYYY-MM-DD", what,
			date ? date : "", panel);
	folio_today(today);
	if (strcmp(date, today) < 0)
		return folio_error_set(FOLIO_EINVALID, "%s %s for panel '%s' is in the past (today is %s)", what, date,
			panel, today);
	return 0;
}

/* ------------------------------------------------------------ reading */

#define PANEL_SELECT \
	"SELECT p.id, p.year, p.term, p.date, p.deadline, p.state, p.chair," \
	" (SELECT COUNT(*) FROM availability a WHERE a.panel = p.id AND a.capacity > 0)," \
	" (SELECT COALESCE(SUM(a.capacity), 0) FROM availability a WHERE a.panel = p.id AND a.capacity > 0)" \
	" FROM panel p"

static int panel_from_row(folio_panel *p, folio_site *site, sqlite3_stmt *row)
{
	sqlite3_stmt *st = NULL;
	int error, rc;

	memset(p, 0, sizeof(*p));
	p->id = folio_db_col_dup(row, 0);
	p->year = sqlite3_column_int(row, 1);
	p->term = folio_db_col_dup(row, 2);
	p->date = folio_db_col_dup(row, 3);
	p->deadline = folio_db_col_dup(row, 4);
	p->state = folio_db_col_dup(row, 5);
	p->chair = folio_db_col_dup(row, 6);
	p->reviewers = (size_t)sqlite3_column_int64(row, 7);
	p->capacity = (size_t)sqlite3_column_int64(row, 8);
	/* "closed" is not stored: an open panel whose deadline has passed */
	if (strcmp(p->state, "open") == 0 && folio_wf_deadline_passed(p->deadline)) {
		free(p->state);
		p->state = folio_strdup("closed");
	}
	if ((error = folio_db_prepare(site, &st, "SELECT state, COUNT(*) FROM submission WHERE panel = ?1 GROUP BY state")) < 0)
		return error;
	sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *state = (const char *)sqlite3_column_text(st, 0);
		size_t count = (size_t)sqlite3_column_int64(st, 1);
		for (size_t i = 0; i < FOLIO_SUBMISSION_NSTATES; i++)
			if (strcmp(state, folio_submission_state_name(i)) == 0)
				p->by_state[i] = count;
		if (strcmp(state, "withdrawn") != 0)
			p->submissions += count;
	}
	if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read submissions");
	sqlite3_finalize(st);
	return error;
}

/* A panel as stored (state "open" even when its deadline passed), for the checks of a change. */
static int panel_stored_state(folio_site *site, const char *id, char **state)
{
	sqlite3_stmt *st = NULL;
	int error, rc;
	*state = NULL;
	if ((error = folio_db_prepare(site, &st, "SELECT state FROM panel WHERE id = ?1")) < 0)
		return error;
	folio_db_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*state = folio_db_col_dup(st, 0);
	else if (rc == SQLITE_DONE)
		error = folio_error_set(FOLIO_ENOTFOUND, "no panel '%s' in site '%s'", id ? id : "", site->path);
	else
		error = folio_db_error(site, "cannot read panels");
	sqlite3_finalize(st);
	return error;
}

int folio_panel_get(folio_panel *out, folio_site *site, const char *id)
{
	sqlite3_stmt *st = NULL;
	int error, rc;

	memset(out, 0, sizeof(*out));
	if (!site->actor)
		return folio_site_deny(site, "read panels", "");
	if ((error = folio_db_prepare(site, &st, PANEL_SELECT " WHERE p.id = ?1")) < 0)
		return error;
	folio_db_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		error = panel_from_row(out, site, st);
	else if (rc == SQLITE_DONE)
		error = folio_error_set(FOLIO_ENOTFOUND, "no panel '%s' in site '%s'", id ? id : "", site->path);
	else
		error = folio_db_error(site, "cannot read panels");
	sqlite3_finalize(st);
	if (error < 0)
		folio_panel_clear(out);
	return error;
}

static int panel_query(folio_panel **out, size_t *n, folio_site *site, const char *sql)
{
	sqlite3_stmt *st = NULL;
	folio_panel *v = NULL;
	size_t count = 0, cap = 0;
	int error, rc = SQLITE_DONE;

	*out = NULL;
	*n = 0;
	if ((error = folio_db_prepare(site, &st, sql)) < 0)
		return error;
	while (error == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = folio_grow(v, &cap, count + 1, sizeof(*v));
		error = panel_from_row(&v[count++], site, st);
	}
	if (error == 0 && rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read panels");
	sqlite3_finalize(st);
	if (error < 0) {
		folio_panels_free(v, count);
		return error;
	}
	*out = v;
	*n = count;
	return 0;
}

int folio_panel_list(folio_panel **out, size_t *n, folio_site *site)
{
	*out = NULL;
	*n = 0;
	if (!site->actor)
		return folio_site_deny(site, "read panels", "");
	return panel_query(out, n, site, PANEL_SELECT " ORDER BY p.date, p.id");
}

int folio_panel_next_open(folio_panel *out, folio_site *site)
{
	folio_panel *v = NULL;
	size_t n = 0;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = panel_query(&v, &n, site, PANEL_SELECT " WHERE p.state = 'open' ORDER BY p.date, p.id")) < 0)
		return error;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].state, "open") == 0) {
			*out = v[i];
			memset(&v[i], 0, sizeof(v[i]));
			folio_panels_free(v, n);
			return 0;
		}
	folio_panels_free(v, n);
	return folio_error_set(FOLIO_ENOTFOUND,
		"no panel in site '%s' is open for submissions: every deadline has passed or none is planned", site->path);
}

void folio_panel_clear(folio_panel *p)
{
	if (!p)
		return;
	free(p->id);
	free(p->term);
	free(p->date);
	free(p->deadline);
	free(p->state);
	free(p->chair);
	memset(p, 0, sizeof(*p));
}

void folio_panels_free(folio_panel *p, size_t n)
{
	for (size_t i = 0; i < n && p; i++)
		folio_panel_clear(&p[i]);
	free(p);
}

/* ------------------------------------------------------------ planning */

/*
 * Submissions that could not be placed when no later panel was planned stay
 * "submitted" on a panel that has already been assigned. When a year is
 * planned they roll to its first panel still open for submissions, inside
 * the caller's transaction, each with an audit row.
 */
static int roll_stranded(folio_site *site, char id[3][32], char deadline[3][11], const char *today)
{
	sqlite3_stmt *st = NULL;
	const char *to = NULL;
	int error = 0, rc;

	for (int t = 0; t < 3 && !to; t++)
		if (strcmp(deadline[t], today) >= 0)
			to = id[t];
	if (!to)
		return 0;
	if ((error = folio_db_prepare(site, &st,
		"SELECT s.id, s.mentor, s.panel, s.commit_id FROM submission s JOIN panel p ON p.id = s.panel"
		" WHERE s.state = 'submitted' AND p.state <> 'open' ORDER BY s.id")) < 0)
		return error;
	while (error == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_stmt *up = NULL;
		long long sid = sqlite3_column_int64(st, 0);
		char *obj = folio_asprintf("submission:%lld (%s)", sid, sqlite3_column_text(st, 1));
		char *detail = folio_asprintf("rolled from panel '%s' to '%s', planned after it could not be placed",
			sqlite3_column_text(st, 2), to);
		if ((error = folio_db_prepare(site, &up, "UPDATE submission SET panel = ?2 WHERE id = ?1")) == 0) {
			sqlite3_bind_int64(up, 1, sid);
			sqlite3_bind_text(up, 2, to, -1, SQLITE_STATIC);
			if (sqlite3_step(up) != SQLITE_DONE)
				error = folio_db_error(site, "cannot roll a submission to the next panel");
		}
		sqlite3_finalize(up);
		if (error == 0)
			error = folio_audit_change(site, "submission.roll", obj, NULL, NULL,
				(const char *)sqlite3_column_text(st, 3), detail);
		free(obj);
		free(detail);
	}
	sqlite3_finalize(st);
	return error;
}

int folio_panel_plan(folio_site *site, int year)
{
	sqlite3_stmt *st = NULL;
	folio_buf planned = FOLIO_BUF_INIT;
	char id[3][32], date[3][11], deadline[3][11], today[11];
	int error, rc, any = 0;

	if ((error = folio_site_require(site, FOLIO_ROLE_ADMIN, "plan panels")) < 0)
		return error;
	if (year < 1970 || year > 9000)
		return folio_error_set(FOLIO_EINVALID, "invalid academic year %d: give the year it starts, like 2026", year);
	folio_today(today);
	for (int t = 0; t < 3; t++) {
		int y = t == 0 ? year : year + 1;
		long day = third_wednesday(y, term_month[t]);
		snprintf(id[t], sizeof(id[t]), "%d-%s", y, terms[t]);
		date_from_days(date[t], day);
		date_from_days(deadline[t], day - DEADLINE_DAYS);
		if (strcmp(date[t], today) >= 0)
			any = 1;
	}
	if (!any)
		return folio_error_set(FOLIO_EINVALID,
			"academic year %d/%02d is in the past: its last panel, '%s', would meet on %s (today is %s)",
			year, (year + 1) % 100, id[2], date[2], today);

	if ((error = folio_tx_begin(site)) < 0)
		return error;
	if ((error = folio_db_prepare(site, &st, "SELECT id FROM panel WHERE year = ?1 ORDER BY date")) < 0)
		goto cleanup;
	sqlite3_bind_int(st, 1, year);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		folio_buf_printf(&planned, "%s%s", planned.size ? ", " : "", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	st = NULL;
	if (planned.size) {
		error = folio_error_set(FOLIO_EEXISTS, "academic year %d/%02d is already planned: %s (move a panel instead)",
			year, (year + 1) % 100, planned.ptr);
		goto cleanup;
	}
	for (int t = 0; t < 3; t++) {
		char *obj, *detail;
		/* a panel that has already met cannot be planned; the rest of the year still is */
		if (strcmp(date[t], today) < 0)
			continue;
		if ((error = folio_db_prepare(site, &st,
			"INSERT INTO panel(id, year, term, date, deadline, state) VALUES (?1, ?2, ?3, ?4, ?5, 'open')")) < 0)
			goto cleanup;
		sqlite3_bind_text(st, 1, id[t], -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, year);
		sqlite3_bind_text(st, 3, terms[t], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, date[t], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, deadline[t], -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		st = NULL;
		if ((rc & 0xff) == SQLITE_CONSTRAINT) {
			error = folio_error_set(FOLIO_EEXISTS, "panel '%s' already exists", id[t]);
			goto cleanup;
		} else if (rc != SQLITE_DONE) {
			error = folio_db_error(site, "cannot add panel");
			goto cleanup;
		}
		obj = folio_asprintf("panel:%s", id[t]);
		detail = folio_asprintf("date %s, deadline %s", date[t], deadline[t]);
		error = folio_audit_append(site, "panel.plan", obj, detail);
		free(obj);
		free(detail);
		if (error < 0)
			goto cleanup;
	}
	error = roll_stranded(site, id, deadline, today);
cleanup:
	sqlite3_finalize(st);
	folio_buf_free(&planned);
	if (error < 0)
		folio_tx_rollback(site);
	else
		error = folio_tx_commit(site);
	return error;
}

int folio_panel_move(folio_site *site, const char *id, const char *date, const char *deadline)
{
	sqlite3_stmt *st = NULL;
	folio_panel p = { 0 };
	char *stored = NULL, *obj = NULL, *detail = NULL;
	char kept[11];
	int error;

	if ((error = folio_site_require(site, FOLIO_ROLE_ADMIN, "move panels")) < 0)
		return error;
	if (!date && !deadline)
		return folio_error_set(FOLIO_EINVALID, "moving panel '%s' needs a new date or deadline", id ? id : "");
	if ((error = folio_tx_begin(site)) < 0)
		return error;
	if ((error = panel_stored_state(site, id, &stored)) < 0 || (error = folio_panel_get(&p, site, id)) < 0)
		goto cleanup;
	if (strcmp(stored, "open") != 0) {
		error = folio_error_set(FOLIO_ECONFLICT, "panel '%s' is already %s: its dates can no longer move", id, stored);
		goto cleanup;
	}
	if (date && (error = check_date("date", date, id)) < 0)
		goto cleanup;
	/* a deadline that already passed may stay as it is: the date of a closed panel can still move */
	if (deadline && strcmp(deadline, p.deadline) != 0 && (error = check_date("deadline", deadline, id)) < 0)
		goto cleanup;
	if (!date)
		date = p.date;
	if (!deadline && folio_wf_deadline_passed(p.deadline)) {
		deadline = p.deadline;
	} else if (!deadline) {
		/* a new date alone keeps the gap to the deadline */
		date_from_days(kept, date_days(date) - (date_days(p.date) - date_days(p.deadline)));
		deadline = kept;
		if ((error = check_date("deadline", deadline, id)) < 0) {
			char *msg = folio_strdup(folio_error_last());
			error = folio_error_set(error, "%s: keeping its gap to the date; give the deadline too", msg);
			free(msg);
			goto cleanup;
		}
	}
	if (strcmp(deadline, date) >= 0) {
		error = folio_error_set(FOLIO_EINVALID, "deadline %s of panel '%s' must be before its date %s", deadline, id, date);
		goto cleanup;
	}
	if ((error = folio_db_prepare(site, &st, "UPDATE panel SET date = ?2, deadline = ?3 WHERE id = ?1")) < 0)
		goto cleanup;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, date, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, deadline, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		error = folio_db_error(site, "cannot move panel");
		goto cleanup;
	}
	obj = folio_asprintf("panel:%s", id);
	detail = folio_asprintf("date %s -> %s, deadline %s -> %s", p.date, date, p.deadline, deadline);
	error = folio_audit_append(site, "panel.move", obj, detail);
cleanup:
	sqlite3_finalize(st);
	if (error < 0)
		folio_tx_rollback(site);
	else
		error = folio_tx_commit(site);
	folio_panel_clear(&p);
	free(stored);
	free(obj);
	free(detail);
	return error;
}

static int has_role(folio_site *site, const char *person, unsigned roles)
{
	folio_person p;
	int error;
	if ((error = folio_person_get(&p, site, person)) < 0)
		return error;
	error = (p.roles & roles) != 0;
	folio_person_clear(&p);
	return error;
}

int folio_panel_set_chair(folio_site *site, const char *id, const char *lead)
{
	sqlite3_stmt *st = NULL;
	char *stored = NULL, *obj = NULL;
	int error;

	if ((error = folio_site_require(site, FOLIO_ROLE_ADMIN, "choose panel chairs")) < 0)
		return error;
	if ((error = folio_tx_begin(site)) < 0)
		return error;
	if ((error = panel_stored_state(site, id, &stored)) < 0 || (error = has_role(site, lead, FOLIO_ROLE_LEAD)) < 0)
		goto cleanup;
	if (error == 0) {
		error = folio_error_set(FOLIO_EINVALID, "person '%s' cannot chair panel '%s': not a lead", lead, id);
		goto cleanup;
	}
	if (strcmp(stored, "concluded") == 0) {
		error = folio_error_set(FOLIO_ECONFLICT, "panel '%s' is concluded: its chair can no longer change", id);
		goto cleanup;
	}
	if ((error = folio_db_prepare(site, &st, "UPDATE panel SET chair = ?2 WHERE id = ?1")) < 0)
		goto cleanup;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, lead, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		error = folio_db_error(site, "cannot set the chair");
		goto cleanup;
	}
	obj = folio_asprintf("panel:%s", id);
	error = folio_audit_append(site, "panel.chair", obj, lead);
cleanup:
	sqlite3_finalize(st);
	if (error < 0)
		folio_tx_rollback(site);
	else
		error = folio_tx_commit(site);
	free(stored);
	free(obj);
	return error;
}

/* ------------------------------------------------------------ availability */

int folio_panel_availability(folio_site *site, const char *panel, const char *person, unsigned capacity)
{
	sqlite3_stmt *st = NULL;
	char *stored = NULL, *obj = NULL, *detail = NULL;
	char *action = folio_asprintf("set the availability of '%s' for panel '%s'", person ? person : "",
		panel ? panel : "");
	int error;

	error = folio_site_require_self_or(site, person, FOLIO_ROLE_ADMIN, action);
	free(action);
	if (error < 0)
		return error;
	if (capacity > FOLIO_CAPACITY_MAX)
		return folio_error_set(FOLIO_EINVALID, "capacity %u for '%s' is too large: at most %d portfolios a panel",
			capacity, person, FOLIO_CAPACITY_MAX);
	if ((error = folio_tx_begin(site)) < 0)
		return error;
	if ((error = panel_stored_state(site, panel, &stored)) < 0 ||
	    (error = has_role(site, person, FOLIO_ROLE_REVIEWER | FOLIO_ROLE_LEAD)) < 0)
		goto cleanup;
	if (error == 0) {
		error = folio_error_set(FOLIO_EINVALID, "person '%s' cannot sit on panel '%s': not a reviewer or lead",
			person, panel);
		goto cleanup;
	}
	if (strcmp(stored, "open") != 0) {
		error = folio_error_set(FOLIO_ECONFLICT, "panel '%s' is already %s: availability can no longer change",
			panel, stored);
		goto cleanup;
	}
	if ((error = folio_db_prepare(site, &st,
		"INSERT INTO availability(panel, person, capacity) VALUES (?1, ?2, ?3)"
		" ON CONFLICT(panel, person) DO UPDATE SET capacity = excluded.capacity")) < 0)
		goto cleanup;
	sqlite3_bind_text(st, 1, panel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, person, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, capacity);
	if (sqlite3_step(st) != SQLITE_DONE) {
		error = folio_db_error(site, "cannot record availability");
		goto cleanup;
	}
	obj = folio_asprintf("panel:%s", panel);
	detail = capacity ? folio_asprintf("%s: capacity %u", person, capacity) : folio_asprintf("%s: unavailable", person);
	error = folio_audit_append(site, "panel.availability", obj, detail);
cleanup:
	sqlite3_finalize(st);
	if (error < 0)
		folio_tx_rollback(site);
	else
		error = folio_tx_commit(site);
	free(stored);
	free(obj);
	free(detail);
	return error;
}

int folio_panel_availability_list(folio_availability **out, size_t *n, folio_site *site, const char *panel)
{
	sqlite3_stmt *st = NULL;
	folio_availability *v = NULL;
	char *stored = NULL;
	size_t count = 0, cap = 0;
	int error, rc;

	*out = NULL;
	*n = 0;
	if (!site->actor)
		return folio_site_deny(site, "read panels", "");
	if ((error = panel_stored_state(site, panel, &stored)) < 0)
		return error;
	free(stored);
	/* reviewers, leads and admins see everyone's; anyone else only their own */
	if ((error = folio_db_prepare(site, &st,
		"SELECT person, capacity FROM availability WHERE panel = ?1 AND (?2 OR person = ?3) ORDER BY person")) < 0)
		return error;
	sqlite3_bind_text(st, 1, panel, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, folio_site_has_role(site, FOLIO_ROLE_REVIEWER | FOLIO_ROLE_LEAD | FOLIO_ROLE_ADMIN));
	sqlite3_bind_text(st, 3, site->actor, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = folio_grow(v, &cap, count + 1, sizeof(*v));
		v[count].person = folio_db_col_dup(st, 0);
		v[count].capacity = (unsigned)sqlite3_column_int64(st, 1);
		count++;
	}
	if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read availability");
	sqlite3_finalize(st);
	if (error < 0) {
		folio_availability_free(v, count);
		return error;
	}
	*out = v;
	*n = count;
	return 0;
}

void folio_availability_free(folio_availability *a, size_t n)
{
	for (size_t i = 0; i < n && a; i++)
		free(a[i].person);
	free(a);
}
