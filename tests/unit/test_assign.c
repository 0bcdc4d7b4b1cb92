/* tests/unit/test_assign.c: reviewer assignment: hard constraints on random instances, costs against dimacs-solver, explanations, preferences, refusals. */
#include "support.h"

#include "folio.h"
#include "folio/mcf.h"
#include "site_internal.h" /* site->db: fixtures are inserted straight into the schema's tables */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Exposed by engine/assign.c for tests only: check a result against the panel's inputs. */
int folio_assign__check(folio_site *site, const char *panel, unsigned reviewers, const folio_assign_result *r);

#define ADMIN_LOGIN "adm-login"
#define TODAY "2026-11-01" /* after the deadline of panel "p1" (2026-10-28), before that of "p2" */

/* The cost model of engine/assign.c, restated: a test of the costs the result reports. */
#define COST_LOAD 10
#define COST_NEUTRAL 15
#define COST_MISMATCH 30
#define COST_CONTINUITY 200

/* ------------------------------------------------------------ helpers */

typedef struct {
	char *box;
	char *dir;
	folio_site *site;
} fx;

static folio_site *new_site(const char *dir)
{
	folio_init_options o = { 0 };
	folio_site *site = NULL;
	o.admin_id = "adm";
	o.admin_name = "Ada Admin";
	o.admin_email = "ada@example.org";
	o.standards_dir = TEST_STANDARDS_DIR;
	if (folio_site_init(dir, ADMIN_LOGIN, &o) != 0 || folio_site_open(&site, dir) != 0 ||
	    folio_site_act(site, ADMIN_LOGIN, NULL) != 0)
		fail_msg("site set-up failed: %s", folio_error_last());
	/* thousands of small transactions: a throw-away site need not wait for the disk */
	sqlite3_exec(site->db, "PRAGMA synchronous = OFF", NULL, NULL, NULL);
	return site;
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	f->box = test_tmpdir("assign");
	f->dir = malloc(strlen(f->box) + 8);
	sprintf(f->dir, "%s/site", f->box);
	setenv("FOLIO_TODAY", TODAY, 1);
	f->site = new_site(f->dir);
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

/* Run SQL built with printf against the site's database; fail the test on error. */
static void sqlf(folio_site *site, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sqlf(folio_site *site, const char *fmt, ...)
{
	char sql[4096];
	char *err = NULL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (sqlite3_exec(site->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", err ? err : "?");
		sqlite3_free(err);
		fail_msg("SQL failed: %s\n  %s", msg, sql);
	}
}

/* One integer from a query. */
static long long sql_int(folio_site *site, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long v = -1;
	if (sqlite3_prepare_v2(site->db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("bad query: %s: %s", sql, sqlite3_errmsg(site->db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* One text from a query (malloc'd, "" when none). */
static char *sql_text(folio_site *site, const char *sql)
{
	sqlite3_stmt *st = NULL;
	char *v;
	if (sqlite3_prepare_v2(site->db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("bad query: %s: %s", sql, sqlite3_errmsg(site->db));
	v = strdup(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "");
	sqlite3_finalize(st);
	return v;
}

static void school(folio_site *site, const char *id, folio_phase phase)
{
	folio_school s = { (char *)id, (char *)"A School", phase };
	assert_ok(folio_school_add(site, &s));
}

static void person(folio_site *site, const char *id, const char *school_id, unsigned roles, const char *lead)
{
	folio_person p = { 0 };
	char email[128];
	snprintf(email, sizeof(email), "%s@example.org", id);
	p.id = (char *)id;
	p.name = (char *)"Some One";
	p.email = email;
	p.school = (char *)school_id;
	p.roles = roles;
	p.lead = (char *)lead;
	assert_ok(folio_person_add(site, &p));
	if (roles & FOLIO_ROLE_MENTOR)
		sqlf(site, "INSERT INTO portfolio(mentor, qualification, created) VALUES ('%s', 'QMS', '2026-01-01T00:00:00Z')", id);
}

static void login(folio_site *site, const char *id, const char *login_name)
{
	sqlf(site, "UPDATE person SET login = '%s' WHERE id = '%s'", login_name, id);
}

static void panel(folio_site *site, const char *id, int year, const char *term, const char *date, const char *deadline)
{
	sqlf(site, "INSERT INTO panel(id, year, term, date, deadline) VALUES ('%s', %d, '%s', '%s', '%s')", id, year, term,
		date, deadline);
}

static void avail(folio_site *site, const char *panel_id, const char *who, int capacity)
{
	sqlf(site, "INSERT INTO availability(panel, person, capacity) VALUES ('%s', '%s', %d)", panel_id, who, capacity);
}

/* A submission row (id 0: the next free one); returns its id. */
static long long submission(folio_site *site, long long id, const char *mentor, const char *panel_id, long long previous,
	const char *state)
{
	char idtext[32], prev[32];
	snprintf(idtext, sizeof(idtext), "%lld", id);
	snprintf(prev, sizeof(prev), "%lld", previous);
	sqlf(site, "INSERT INTO submission(id, mentor, qualification, panel, commit_id, previous, state, created)"
		" VALUES (%s, '%s', 'QMS', '%s', '0123456789abcdef0123456789abcdef01234567', %s, '%s', '2026-10-01T00:00:00Z')",
		id ? idtext : "NULL", mentor, panel_id, previous ? prev : "NULL", state);
	return (long long)sqlite3_last_insert_rowid(site->db);
}

static void assigned(folio_site *site, long long sub, const char *reviewer)
{
	sqlf(site, "INSERT INTO assignment(submission, reviewer) VALUES (%lld, '%s')", sub, reviewer);
}

/* The result as one line of text, to compare runs. */
static char *result_text(const folio_assign_result *r)
{
	size_t cap = 256, n = 0;
	char *s = malloc(cap);
#define PUT(...) do { \
	int k_ = snprintf(s + n, cap - n, __VA_ARGS__); \
	while ((size_t)k_ >= cap - n) { cap *= 2; s = realloc(s, cap); k_ = snprintf(s + n, cap - n, __VA_ARGS__); } \
	n += (size_t)k_; \
} while (0)
	s[0] = '\0';
	for (size_t i = 0; i < r->nassignments; i++) {
		PUT("%lld:%s[", r->assignments[i].submission, r->assignments[i].mentor);
		for (size_t k = 0; k < r->assignments[i].nreviewers; k++)
			PUT("%s%s", k ? "," : "", r->assignments[i].reviewers[k]);
		PUT("] ");
	}
	for (size_t i = 0; i < r->nunplaced; i++)
		PUT("%lld:%s!%s ", r->unplaced[i].submission, r->unplaced[i].mentor, r->unplaced[i].reason);
	PUT("cost=%lld rolled=%s", r->cost, r->rolled_to ? r->rolled_to : "-");
#undef PUT
	return s;
}

static const folio_assignment *find_assignment(const folio_assign_result *r, long long sub)
{
	for (size_t i = 0; i < r->nassignments; i++)
		if (r->assignments[i].submission == sub)
			return &r->assignments[i];
	return NULL;
}

static const folio_unplaced *find_unplaced(const folio_assign_result *r, long long sub)
{
	for (size_t i = 0; i < r->nunplaced; i++)
		if (r->unplaced[i].submission == sub)
			return &r->unplaced[i];
	return NULL;
}

static int has_reviewer(const folio_assignment *a, const char *who)
{
	for (size_t k = 0; a && k < a->nreviewers; k++)
		if (strcmp(a->reviewers[k], who) == 0)
			return 1;
	return 0;
}

/* Everything a dry run must leave alone, as text. */
static char *site_state(folio_site *site)
{
	char *parts[6], *s;
	size_t n = 0;
	parts[0] = sql_text(site, "SELECT group_concat(id || ':' || panel || ':' || state, ',') FROM submission");
	parts[1] = sql_text(site, "SELECT group_concat(submission || ':' || reviewer, ',') FROM assignment");
	parts[2] = sql_text(site, "SELECT group_concat(id || ':' || state, ',') FROM panel");
	parts[3] = sql_text(site, "SELECT COUNT(*) FROM audit");
	parts[4] = sql_text(site, "SELECT COUNT(*) FROM submission_history");
	parts[5] = sql_text(site, "SELECT group_concat(panel || ':' || person || ':' || capacity, ',') FROM availability");
	for (int i = 0; i < 6; i++)
		n += strlen(parts[i]) + 2;
	s = malloc(n + 1);
	s[0] = '\0';
	for (int i = 0; i < 6; i++) {
		strcat(s, parts[i]);
		strcat(s, "|");
		free(parts[i]);
	}
	return s;
}

/* The optimum dimacs-solver finds for a DIMACS file; fails the test when it finds none. */
static long long dimacs_solver_cost(const char *path)
{
	char cmd[4200], line[512];
	long long cost = 0;
	int found = 0;
	FILE *p;
	snprintf(cmd, sizeof(cmd), "dimacs-solver -long '%s' 2>&1", path);
	p = popen(cmd, "r");
	if (!p)
		fail_msg("cannot run dimacs-solver");
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, "Min flow cost: %lld", &cost) == 1)
			found = 1;
	pclose(p);
	if (!found)
		fail_msg("dimacs-solver found no optimal flow for %s", path);
	return cost;
}

static int have_dimacs_solver(void)
{
	return system("command -v dimacs-solver >/dev/null 2>&1") == 0;
}

/*
 * The common fixture: schools brook (primary), river (secondary), oak
 * (all-through); a closed panel p1 and a later open panel p2.
 */
static void base(folio_site *site)
{
	school(site, "brook", FOLIO_PHASE_PRIMARY);
	school(site, "river", FOLIO_PHASE_SECONDARY);
	school(site, "oak", FOLIO_PHASE_ALL_THROUGH);
	panel(site, "p1", 2026, "autumn", "2026-11-18", "2026-10-28");
	panel(site, "p2", 2026, "spring", "2027-03-17", "2027-02-24");
}

static folio_assign_result *assign(folio_site *site, const char *panel_id, unsigned r, int dry_run)
{
	folio_assign_options o = { 0 };
	folio_assign_result *res = NULL;
	o.reviewers = r;
	o.dry_run = dry_run;
	assert_ok(folio_panel_assign(&res, site, panel_id, &o));
	assert_non_null(res);
	/* after a real run the submissions are no longer "submitted": only a dry run's inputs still stand */
	if (dry_run)
		assert_ok(folio_assign__check(site, panel_id, r, res));
	return res;
}

/* ------------------------------------------------------------ basics */

static void test_load_balance(void **state)
{
	fx *f = *state;
	const char *revs[] = { "r1", "r2", "r3", "r4" };
	long long ids[4];
	base(f->site);
	for (int j = 0; j < 4; j++) {
		person(f->site, revs[j], NULL, FOLIO_ROLE_REVIEWER, NULL);
		avail(f->site, "p1", revs[j], 4);
	}
	for (int i = 0; i < 4; i++) {
		char m[8];
		snprintf(m, sizeof(m), "m%d", i + 1);
		person(f->site, m, "brook", FOLIO_ROLE_MENTOR, NULL);
		ids[i] = submission(f->site, 0, m, "p1", 0, "submitted");
	}
	folio_assign_result *r = assign(f->site, "p1", 0, 0);
	assert_int_equal(r->nassignments, 4);
	assert_int_equal(r->nunplaced, 0);
	assert_null(r->rolled_to);
	for (int j = 0; j < 4; j++) {
		int load = 0;
		for (size_t i = 0; i < r->nassignments; i++)
			load += has_reviewer(&r->assignments[i], revs[j]);
		if (load != 2)
			fail_msg("reviewer %s has %d portfolios, expected 2 (balanced)", revs[j], load);
	}
	/* 8 units, all neutral (15 each), every reviewer two: 4 * (10 + 40) */
	assert_int_equal(r->cost, 8 * COST_NEUTRAL + 4 * (COST_LOAD * 1 + COST_LOAD * 4));

	/* what was written */
	for (int i = 0; i < 4; i++) {
		char q[256];
		const folio_assignment *a = find_assignment(r, ids[i]);
		assert_non_null(a);
		assert_int_equal(a->nreviewers, 2);
		assert_true(strcmp(a->reviewers[0], a->reviewers[1]) < 0);
		snprintf(q, sizeof(q), "SELECT COUNT(*) FROM assignment WHERE submission = %lld", ids[i]);
		assert_int_equal(sql_int(f->site, q), 2);
		snprintf(q, sizeof(q), "SELECT state = 'in-review' FROM submission WHERE id = %lld", ids[i]);
		assert_int_equal(sql_int(f->site, q), 1);
		snprintf(q, sizeof(q), "SELECT COUNT(*) FROM submission_history WHERE submission = %lld AND"
			" from_state = 'submitted' AND to_state = 'in-review'", ids[i]);
		assert_int_equal(sql_int(f->site, q), 1);
	}
	assert_int_equal(sql_int(f->site, "SELECT state = 'assigned' FROM panel WHERE id = 'p1'"), 1);
	assert_int_equal(sql_int(f->site, "SELECT COUNT(*) FROM audit WHERE action = 'panel.assign' AND object = 'panel:p1'"
		" AND from_state = 'closed' AND to_state = 'assigned'"), 1);
	assert_int_equal(sql_int(f->site, "SELECT COUNT(*) FROM audit WHERE action = 'submission.state' AND to_state = 'in-review'"), 4);
	assert_ok(folio_audit_verify(f->site));
	folio_assign_result_free(r);
}

static void test_capacity_respected(void **state)
{
	fx *f = *state;
	base(f->site);
	person(f->site, "big", NULL, FOLIO_ROLE_REVIEWER, NULL);
	person(f->site, "one", NULL, FOLIO_ROLE_REVIEWER, NULL);
	person(f->site, "two", NULL, FOLIO_ROLE_LEAD, NULL);
	person(f->site, "three", NULL, FOLIO_ROLE_REVIEWER, NULL);
	person(f->site, "zero", NULL, FOLIO_ROLE_REVIEWER, NULL);
	person(f->site, "norole", NULL, FOLIO_ROLE_MENTOR, NULL);
	avail(f->site, "p1", "big", 10);
	avail(f->site, "p1", "one", 1);
	avail(f->site, "p1", "two", 2);
	avail(f->site, "p1", "three", 3);
	avail(f->site, "p1", "zero", 0);
	avail(f->site, "p1", "norole", 5); /* capacity, but neither reviewer nor lead */
	for (int i = 0; i < 5; i++) {
		char m[8];
		snprintf(m, sizeof(m), "m%d", i + 1);
		person(f->site, m, "brook", FOLIO_ROLE_MENTOR, NULL);
		submission(f->site, 0, m, "p1", 0, "submitted");
	}
	/* 10 seats: the small capacities fill up, big takes the rest (and no more: balance) */
	folio_assign_result *r = assign(f->site, "p1", 2, 1);
	int load[4] = { 0, 0, 0, 0 };
	assert_int_equal(r->nassignments, 5);
	for (size_t i = 0; i < r->nassignments; i++) {
		load[0] += has_reviewer(&r->assignments[i], "big");
		load[1] += has_reviewer(&r->assignments[i], "one");
		load[2] += has_reviewer(&r->assignments[i], "two");
		load[3] += has_reviewer(&r->assignments[i], "three");
		assert_false(has_reviewer(&r->assignments[i], "zero"));
		assert_false(has_reviewer(&r->assignments[i], "norole"));
	}
	assert_int_equal(load[0], 4);
	assert_int_equal(load[1], 1);
	assert_int_equal(load[2], 2);
	assert_int_equal(load[3], 3);
	folio_assign_result_free(r);
	/* big at 3: 9 seats, so only 4 submissions can have two reviewers */
	sqlf(f->site, "UPDATE availability SET capacity = 3 WHERE person = 'big'");
	r = assign(f->site, "p1", 2, 1);
	assert_int_equal(r->nassignments, 4);
	assert_int_equal(r->nunplaced, 1);
	assert_int_equal(r->unplaced[0].submission, 5); /* the newest */
	assert_string_equal(r->unplaced[0].reason,
		"not enough conflict-free capacity left: big, one, three and two are taken by other submissions");
	folio_assign_result_free(r);
}

/* ------------------------------------------------------------ feasibility explanations */

static void test_explanations(void **state)
{
	fx *f = *state;
	base(f->site);
	person(f->site, "lead-b", "brook", FOLIO_ROLE_LEAD, NULL);
	person(f->site, "sam-ellis", NULL, FOLIO_ROLE_REVIEWER, NULL);
	person(f->site, "rev-b", "brook", FOLIO_ROLE_REVIEWER, NULL);
	person(f->site, "rev-r", "river", FOLIO_ROLE_REVIEWER, NULL);
	person(f->site, "ann", "brook", FOLIO_ROLE_MENTOR, "lead-b");  /* free: sam-ellis only (rev-r declared) */
	person(f->site, "bob", "river", FOLIO_ROLE_MENTOR, NULL);      /* free: lead-b, sam-ellis, rev-b */
	person(f->site, "cat", "oak", FOLIO_ROLE_MENTOR, NULL);        /* free: everybody */
	assert_ok(folio_conflict_add(f->site, "ann", "rev-r", "line manager"));
	assert_ok(folio_conflict_add(f->site, "ann", "sam-ellis", "sister"));
	/* ann: lead-b is her lead, rev-b her school, rev-r and sam-ellis declared: nobody */
	for (const char *const *w = (const char *const[]){ "lead-b", "sam-ellis", "rev-b", "rev-r", NULL }; *w; w++)
		avail(f->site, "p1", *w, 3);
	long long a = submission(f->site, 0, "ann", "p1", 0, "submitted");
	long long b = submission(f->site, 0, "bob", "p1", 0, "submitted");
	long long c = submission(f->site, 0, "cat", "p1", 0, "submitted");

	folio_assign_result *r = assign(f->site, "p1", 2, 1);
	const folio_unplaced *u = find_unplaced(r, a);
	assert_non_null(u);
	assert_string_equal(u->reason, "no conflict-free reviewer with capacity");
	assert_string_equal(u->mentor, "ann");
	assert_non_null(find_assignment(r, b));
	assert_non_null(find_assignment(r, c));
	assert_string_equal(r->rolled_to, "p2");
	folio_assign_result_free(r);

	/* R = 4: bob has three conflict-free reviewers, cat four */
	r = assign(f->site, "p1", 4, 1);
	u = find_unplaced(r, b);
	assert_non_null(u);
	assert_string_equal(u->reason, "only 3 conflict-free reviewers with capacity: lead-b, rev-b, sam-ellis");
	assert_non_null(find_assignment(r, c));
	folio_assign_result_free(r);

	/* one conflict-free reviewer */
	sqlf(f->site, "DELETE FROM conflict WHERE b = 'sam-ellis'");
	r = assign(f->site, "p1", 2, 1);
	u = find_unplaced(r, a);
	assert_non_null(u);
	assert_string_equal(u->reason, "only 1 conflict-free reviewer with capacity: sam-ellis");
	folio_assign_result_free(r);

	/* a reviewer with capacity 0 does not count */
	sqlf(f->site, "UPDATE availability SET capacity = 0 WHERE person = 'sam-ellis'");
	r = assign(f->site, "p1", 2, 1);
	assert_string_equal(find_unplaced(r, a)->reason, "no conflict-free reviewer with capacity");
	folio_assign_result_free(r);
}

/* Hall's condition: each has enough reviewers alone, not all together. */
static void test_not_enough_capacity(void **state)
{
	fx *f = *state;
	long long ids[3];
	base(f->site);
	person(f->site, "ra", NULL, FOLIO_ROLE_REVIEWER, NULL);
	person(f->site, "rb", NULL, FOLIO_ROLE_REVIEWER, NULL);
	person(f->site, "rc", "river", FOLIO_ROLE_REVIEWER, NULL);
	avail(f->site, "p1", "ra", 2);
	avail(f->site, "p1", "rb", 2);
	avail(f->site, "p1", "rc", 5);
	/* three river mentors: rc is out, so ra and rb (2 each) can hold two of them */
	for (int i = 0; i < 3; i++) {
		char m[8];
		snprintf(m, sizeof(m), "m%d", i + 1);
		person(f->site, m, "river", FOLIO_ROLE_MENTOR, NULL);
		ids[i] = submission(f->site, 0, m, "p1", 0, "submitted");
	}
	folio_assign_result *r = assign(f->site, "p1", 2, 0);
	assert_int_equal(r->nassignments, 2);
	assert_int_equal(r->nunplaced, 1);
	/* oldest first */
	assert_non_null(find_assignment(r, ids[0]));
	assert_non_null(find_assignment(r, ids[1]));
	assert_int_equal(r->unplaced[0].submission, ids[2]);
	assert_string_equal(r->unplaced[0].reason, "not enough conflict-free capacity left: ra and rb are taken by other submissions");
	assert_string_equal(r->rolled_to, "p2");
	/* rolled: still submitted, now for p2, with an audit row */
	char q[256];
	snprintf(q, sizeof(q), "SELECT panel || ':' || state FROM submission WHERE id = %lld", ids[2]);
	char *t = sql_text(f->site, q);
	assert_string_equal(t, "p2:submitted");
	free(t);
	assert_int_equal(sql_int(f->site, "SELECT COUNT(*) FROM audit WHERE action = 'submission.roll'"
		" AND detail LIKE 'rolled from panel p1 to panel p2: not enough%'"), 1);
	assert_ok(folio_audit_verify(f->site));
	folio_assign_result_free(r);
}

static void test_no_next_panel(void **state)
{
	fx *f = *state;
	base(f->site);
	sqlf(f->site, "DELETE FROM panel WHERE id = 'p2'");
	person(f->site, "ra", NULL, FOLIO_ROLE_REVIEWER, NULL);
	avail(f->site, "p1", "ra", 2);
	person(f->site, "m1", "river", FOLIO_ROLE_MENTOR, NULL);
	long long id = submission(f->site, 0, "m1", "p1", 0, "submitted");
	folio_assign_result *r = assign(f->site, "p1", 2, 0);
	assert_int_equal(r->nunplaced, 1);
	assert_null(r->rolled_to);
	char q[256];
	snprintf(q, sizeof(q), "SELECT panel || ':' || state FROM submission WHERE id = %lld", id);
	char *t = sql_text(f->site, q);
	assert_string_equal(t, "p1:submitted");
	free(t);
	assert_int_equal(sql_int(f->site, "SELECT state = 'assigned' FROM panel WHERE id = 'p1'"), 1);
	assert_int_equal(sql_int(f->site, "SELECT COUNT(*) FROM audit WHERE action = 'panel.assign'"
		" AND detail LIKE '%stay: no later panel is planned%'"), 1);
	folio_assign_result_free(r);
}

/* ------------------------------------------------------------ preferences */

static void test_phase_preference(void **state)
{
	fx *f = *state;
	base(f->site);
	school(f->site, "elm", FOLIO_PHASE_PRIMARY);
	school(f->site, "ash", FOLIO_PHASE_SECONDARY);
	person(f->site, "prim", "elm", FOLIO_ROLE_REVIEWER, NULL);   /* primary, another school */
	person(f->site, "sec", "ash", FOLIO_ROLE_REVIEWER, NULL);    /* secondary */
	person(f->site, "uni", NULL, FOLIO_ROLE_REVIEWER, NULL);     /* university: neutral */
	for (const char *const *w = (const char *const[]){ "prim", "sec", "uni", NULL }; *w; w++)
		avail(f->site, "p1", *w, 3);
	person(f->site, "pm", "brook", FOLIO_ROLE_MENTOR, NULL);
	long long id = submission(f->site, 0, "pm", "p1", 0, "submitted");

	folio_assign_result *r = assign(f->site, "p1", 1, 1);
	assert_true(has_reviewer(find_assignment(r, id), "prim"));
	assert_int_equal(r->cost, 0 + COST_LOAD);
	folio_assign_result_free(r);

	r = assign(f->site, "p1", 2, 1);
	const folio_assignment *a = find_assignment(r, id);
	assert_true(has_reviewer(a, "prim"));
	assert_true(has_reviewer(a, "uni"));
	assert_int_equal(r->cost, COST_NEUTRAL + 2 * COST_LOAD);
	folio_assign_result_free(r);

	/* all-through matches both phases: it beats the university reviewer */
	person(f->site, "allt", "oak", FOLIO_ROLE_REVIEWER, NULL);
	avail(f->site, "p1", "allt", 3);
	r = assign(f->site, "p1", 2, 1);
	a = find_assignment(r, id);
	assert_true(has_reviewer(a, "prim"));
	assert_true(has_reviewer(a, "allt"));
	folio_assign_result_free(r);

	/* a secondary mentor gets the secondary reviewer first */
	person(f->site, "sm", "river", FOLIO_ROLE_MENTOR, NULL);
	long long sid = submission(f->site, 0, "sm", "p1", 0, "submitted");
	r = assign(f->site, "p1", 1, 1);
	assert_true(has_reviewer(find_assignment(r, sid), "sec") || has_reviewer(find_assignment(r, sid), "allt"));
	assert_false(has_reviewer(find_assignment(r, sid), "prim"));
	assert_false(has_reviewer(find_assignment(r, sid), "uni"));
	assert_int_equal(r->cost, 2 * COST_LOAD);
	folio_assign_result_free(r);
}

static void test_continuity(void **state)
{
	fx *f = *state;
	base(f->site);
	panel(f->site, "p0", 2025, "summer", "2026-06-17", "2026-05-27");
	sqlf(f->site, "UPDATE panel SET state = 'concluded' WHERE id = 'p0'");
	/* the previous reviewers are secondary, the mentor primary: without continuity they would not be chosen */
	person(f->site, "old1", "river", FOLIO_ROLE_REVIEWER, NULL);
	person(f->site, "old2", "river", FOLIO_ROLE_REVIEWER, NULL);
	person(f->site, "new1", NULL, FOLIO_ROLE_REVIEWER, NULL);
	person(f->site, "new2", NULL, FOLIO_ROLE_REVIEWER, NULL);
	for (const char *const *w = (const char *const[]){ "old1", "old2", "new1", "new2", NULL }; *w; w++)
		avail(f->site, "p1", *w, 2);
	person(f->site, "pm", "brook", FOLIO_ROLE_MENTOR, NULL);
	person(f->site, "qm", "brook", FOLIO_ROLE_MENTOR, NULL);
	long long prev = submission(f->site, 0, "pm", "p0", 0, "further-evidence");
	assigned(f->site, prev, "old1");
	assigned(f->site, prev, "old2");
	long long resub = submission(f->site, 0, "pm", "p1", prev, "submitted");
	long long first = submission(f->site, 0, "qm", "p1", 0, "submitted");

	folio_assign_result *r = assign(f->site, "p1", 2, 1);
	const folio_assignment *a = find_assignment(r, resub);
	assert_true(has_reviewer(a, "old1"));
	assert_true(has_reviewer(a, "old2"));
	/* the first submission has no such pull: it gets the neutral reviewers */
	a = find_assignment(r, first);
	assert_true(has_reviewer(a, "new1"));
	assert_true(has_reviewer(a, "new2"));
	assert_int_equal(r->cost, 2 * (COST_MISMATCH - COST_CONTINUITY) + 2 * COST_NEUTRAL + 4 * COST_LOAD);
	folio_assign_result_free(r);

	/* old1 unavailable: old2 stays, the other seat goes to a new reviewer */
	sqlf(f->site, "UPDATE availability SET capacity = 0 WHERE person = 'old1'");
	r = assign(f->site, "p1", 2, 1);
	a = find_assignment(r, resub);
	assert_true(has_reviewer(a, "old2"));
	assert_false(has_reviewer(a, "old1"));
	folio_assign_result_free(r);

	/* continuity never crosses a conflict declared since */
	sqlf(f->site, "UPDATE availability SET capacity = 2 WHERE person = 'old1'");
	assert_ok(folio_conflict_add(f->site, "old2", "pm", "now line manager"));
	r = assign(f->site, "p1", 2, 1);
	a = find_assignment(r, resub);
	assert_true(has_reviewer(a, "old1"));
	assert_false(has_reviewer(a, "old2"));
	folio_assign_result_free(r);
}

/* ------------------------------------------------------------ determinism */

/* One fixed instance, inserted in an order given by `seed`, with fixed submission ids. */
static void build_shuffled(folio_site *site, unsigned seed)
{
	static const char *const revs[] = { "ra", "rb", "rc", "rd", "re", "rf" };
	static const char *const rschool[] = { NULL, "brook", "river", NULL, "oak", NULL };
	static const int cap[] = { 3, 2, 2, 3, 1, 2 };
	int order[12];
	base(site);
	for (int i = 0; i < 6; i++)
		order[i] = i;
	srand(seed);
	for (int i = 5; i > 0; i--) {
		int k = rand() % (i + 1), t = order[i];
		order[i] = order[k];
		order[k] = t;
	}
	for (int i = 0; i < 6; i++)
		person(site, revs[order[i]], rschool[order[i]], FOLIO_ROLE_REVIEWER, NULL);
	for (int i = 0; i < 6; i++)
		avail(site, "p1", revs[order[(i + seed) % 6]], cap[order[(i + seed) % 6]]);
	for (int i = 0; i < 12; i++)
		order[i] = i;
	for (int i = 11; i > 0; i--) {
		int k = rand() % (i + 1), t = order[i];
		order[i] = order[k];
		order[k] = t;
	}
	for (int i = 0; i < 12; i++) {
		static const char *const sch[] = { "brook", "river", "oak" };
		char m[8];
		snprintf(m, sizeof(m), "m%02d", order[i]);
		person(site, m, sch[order[i] % 3], FOLIO_ROLE_MENTOR, NULL);
	}
	for (int i = 0; i < 12; i++) {
		char m[8];
		snprintf(m, sizeof(m), "m%02d", order[i]);
		submission(site, 100 + order[i], m, "p1", 0, "submitted");
	}
	if (seed % 2)
		assert_ok(folio_conflict_add(site, "rb", "m03", "family"));
	else
		assert_ok(folio_conflict_add(site, "m03", "rb", "family"));
}

static void test_determinism(void **state)
{
	fx *f = *state;
	char *first = NULL;
	build_shuffled(f->site, 1);
	for (int run = 0; run < 3; run++) {
		folio_assign_result *r = assign(f->site, "p1", 2, 1);
		char *t = result_text(r);
		if (!first)
			first = t;
		else {
			assert_string_equal(first, t);
			free(t);
		}
		folio_assign_result_free(r);
	}
	/* the same instance inserted in other orders, in other sites */
	for (unsigned seed = 2; seed < 6; seed++) {
		char dir[4200];
		snprintf(dir, sizeof(dir), "%s/shuffled-%u", f->box, seed);
		folio_site *other = new_site(dir);
		build_shuffled(other, seed);
		folio_assign_result *r = assign(other, "p1", 2, 1);
		char *t = result_text(r);
		if (strcmp(t, first) != 0)
			fail_msg("insertion order %u changed the result:\n  %s\n  %s", seed, first, t);
		free(t);
		folio_assign_result_free(r);
		folio_site_free(other);
	}
	free(first);
}

/* ------------------------------------------------------------ dry run, export, refusals */

static void small_panel(folio_site *site)
{
	base(site);
	person(site, "ra", NULL, FOLIO_ROLE_REVIEWER, NULL);
	person(site, "rb", NULL, FOLIO_ROLE_REVIEWER, NULL);
	person(site, "rc", "brook", FOLIO_ROLE_LEAD, NULL);
	avail(site, "p1", "ra", 2);
	avail(site, "p1", "rb", 2);
	avail(site, "p1", "rc", 2);
	person(site, "m1", "river", FOLIO_ROLE_MENTOR, "rc");
	person(site, "m2", "oak", FOLIO_ROLE_MENTOR, NULL);
	person(site, "m3", "brook", FOLIO_ROLE_MENTOR, NULL);
	submission(site, 0, "m1", "p1", 0, "submitted");
	submission(site, 0, "m2", "p1", 0, "submitted");
	submission(site, 0, "m3", "p1", 0, "submitted");
}

static void test_dry_run_changes_nothing(void **state)
{
	fx *f = *state;
	small_panel(f->site);
	char *before = site_state(f->site);
	folio_assign_result *dry = assign(f->site, "p1", 2, 1);
	char *after = site_state(f->site);
	assert_string_equal(before, after);
	assert_int_equal(dry->nassignments, 2);
	assert_int_equal(dry->nunplaced, 1);
	assert_string_equal(dry->rolled_to, "p2"); /* where they would go */
	/* the real run gives what the dry run showed */
	folio_assign_result *real = assign(f->site, "p1", 2, 0);
	char *a = result_text(dry), *b = result_text(real);
	assert_string_equal(a, b);
	char *written = site_state(f->site);
	assert_string_not_equal(before, written);
	free(a);
	free(b);
	free(before);
	free(after);
	free(written);
	folio_assign_result_free(dry);
	folio_assign_result_free(real);
}

static void test_export_dimacs(void **state)
{
	fx *f = *state;
	char path[4200];
	folio_assign_options o = { 0 };
	folio_assign_result *r = NULL;
	folio_mcf *g = NULL;
	folio_mcf_status st;
	long long cost = 0;

	small_panel(f->site);
	snprintf(path, sizeof(path), "%s/net.min", f->box);
	o.dry_run = 1;
	o.export_dimacs = path;
	assert_ok(folio_panel_assign(&r, f->site, "p1", &o));
	/* folio's own reader and solver (folio-mcf) */
	assert_ok(folio_mcf_load_dimacs(&g, path));
	assert_ok(folio_mcf_solve(&st, &cost, g));
	assert_int_equal(st, FOLIO_MCF_OPTIMAL);
	assert_int_equal(cost, r->cost);
	/* source, 2 placed submissions, 3 reviewers, sink */
	assert_int_equal(folio_mcf_node_count(g), 7);
	folio_mcf_free(g);
	if (have_dimacs_solver())
		assert_int_equal(dimacs_solver_cost(path), r->cost);
	size_t len;
	char *text = test_read(path, &len);
	assert_has(text, "c node 2: submission 1 (m1)\nc node 3: submission 2 (m2)\nc node 4: reviewer ra (capacity 2)");
	assert_has(text, "p min 7 ");
	free(text);
	folio_assign_result_free(r);

	/* a file that cannot be written: an error, and nothing written to the site */
	char *before = site_state(f->site);
	snprintf(path, sizeof(path), "%s/no/such/dir/net.min", f->box);
	o.dry_run = 0;
	assert_rc(folio_panel_assign(&r, f->site, "p1", &o), FOLIO_ERROR);
	assert_msg("cannot write");
	assert_null(r);
	char *after = site_state(f->site);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void test_refusals(void **state)
{
	fx *f = *state;
	folio_assign_result *r = NULL;
	folio_assign_options o = { 0 };
	small_panel(f->site);
	char *before = site_state(f->site);

	assert_rc(folio_panel_assign(&r, f->site, "nope", NULL), FOLIO_ENOTFOUND);
	assert_msg("no panel 'nope' in site");
	/* p2's deadline has not passed */
	assert_rc(folio_panel_assign(&r, f->site, "p2", NULL), FOLIO_ECONFLICT);
	assert_msg("panel 'p2' is open until its deadline 2027-02-24");
	o.reviewers = 11;
	assert_rc(folio_panel_assign(&r, f->site, "p1", &o), FOLIO_EINVALID);
	assert_msg("at most 10");
	assert_null(r);
	char *after = site_state(f->site);
	assert_string_equal(before, after);
	free(before);
	free(after);

	/* a non-admin: refused, and the refusal audited */
	login(f->site, "ra", "ra-login");
	assert_ok(folio_site_act(f->site, "ra-login", NULL));
	long long audits = sql_int(f->site, "SELECT COUNT(*) FROM audit");
	assert_rc(folio_panel_assign(&r, f->site, "p1", NULL), FOLIO_EDENIED);
	assert_msg("person 'ra' may not assign reviewers: needs role admin");
	assert_int_equal(sql_int(f->site, "SELECT COUNT(*) FROM audit"), audits + 1);
	o.reviewers = 0;
	o.dry_run = 1;
	assert_rc(folio_panel_assign(&r, f->site, "p1", &o), FOLIO_EDENIED);
	assert_ok(folio_site_act(f->site, ADMIN_LOGIN, NULL));

	/* assigned once; not twice */
	r = assign(f->site, "p1", 2, 0);
	folio_assign_result_free(r);
	r = NULL;
	before = site_state(f->site);
	assert_rc(folio_panel_assign(&r, f->site, "p1", NULL), FOLIO_ECONFLICT);
	assert_msg("panel 'p1' is already assigned");
	sqlf(f->site, "UPDATE panel SET state = 'in-session' WHERE id = 'p1'");
	assert_rc(folio_panel_assign(&r, f->site, "p1", NULL), FOLIO_ECONFLICT);
	assert_msg("panel 'p1' is in-session: only a closed panel can be assigned");
	sqlf(f->site, "UPDATE panel SET state = 'assigned' WHERE id = 'p1'");
	after = site_state(f->site);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* A closed panel with nothing submitted is assigned all the same: nothing to place, nothing unplaced. */
static void test_empty_panel(void **state)
{
	fx *f = *state;
	base(f->site);
	person(f->site, "ra", NULL, FOLIO_ROLE_REVIEWER, NULL);
	avail(f->site, "p1", "ra", 2);
	folio_assign_result *r = assign(f->site, "p1", 2, 0);
	assert_int_equal(r->nassignments, 0);
	assert_int_equal(r->nunplaced, 0);
	assert_int_equal(r->cost, 0);
	assert_null(r->rolled_to);
	assert_int_equal(sql_int(f->site, "SELECT state = 'assigned' FROM panel WHERE id = 'p1'"), 1);
	folio_assign_result_free(r);
}

/* A failure while writing (here a trigger refusing the panel update) leaves nothing behind. */
static void test_all_or_nothing(void **state)
{
	fx *f = *state;
	folio_assign_result *r = NULL;
	small_panel(f->site);
	sqlf(f->site, "CREATE TRIGGER no_assign BEFORE UPDATE OF state ON panel BEGIN SELECT RAISE(ABORT, 'boom'); END");
	char *before = site_state(f->site);
	assert_true(folio_panel_assign(&r, f->site, "p1", NULL) < 0);
	assert_msg("boom");
	assert_null(r);
	char *after = site_state(f->site);
	assert_string_equal(before, after);
	free(before);
	free(after);
	sqlf(f->site, "DROP TRIGGER no_assign");
	r = assign(f->site, "p1", 2, 0);
	folio_assign_result_free(r);
}

static void test_recheck_catches_violations(void **state)
{
	fx *f = *state;
	small_panel(f->site);
	folio_assign_result *r = assign(f->site, "p1", 2, 1);
	assert_ok(folio_assign__check(f->site, "p1", 2, r));
	/* m1's submission (1) is placed; rc is m1's lead */
	folio_assignment *a = (folio_assignment *)find_assignment(r, 1);
	assert_non_null(a);
	assert_non_null(find_unplaced(r, 3)); /* m3 needs ra and rb too: the newest is left out */
	char *saved = a->reviewers[0];
	a->reviewers[0] = (char *)"rc";
	assert_rc(folio_assign__check(f->site, "p1", 2, r), FOLIO_ERROR);
	assert_msg("breaks a hard constraint: reviewer 'rc' of submission 1 (m1) has a conflict: 'rc' is the mentor's own lead mentor");
	a->reviewers[0] = a->reviewers[1];
	assert_rc(folio_assign__check(f->site, "p1", 2, r), FOLIO_ERROR);
	assert_msg("has reviewer");
	a->reviewers[0] = saved;
	assert_ok(folio_assign__check(f->site, "p1", 2, r));
	assert_rc(folio_assign__check(f->site, "p1", 3, r), FOLIO_ERROR);
	assert_msg("has 2 reviewers, not 3");
	/* over capacity: m1 has ra and rb, m2 one of them */
	const char *both = has_reviewer(find_assignment(r, 2), "ra") ? "ra" : "rb";
	assert_true(has_reviewer(find_assignment(r, 2), both));
	sqlf(f->site, "UPDATE availability SET capacity = 1 WHERE person = '%s'", both);
	assert_rc(folio_assign__check(f->site, "p1", 2, r), FOLIO_ERROR);
	assert_msg("portfolios, over their capacity 1");
	sqlf(f->site, "UPDATE availability SET capacity = 2 WHERE person = '%s'", both);
	assert_ok(folio_assign__check(f->site, "p1", 2, r));
	/* a submission left out */
	r->nunplaced--;
	assert_rc(folio_assign__check(f->site, "p1", 2, r), FOLIO_ERROR);
	assert_msg("is neither assigned nor unplaced");
	r->nunplaced++;
	folio_assign_result_free(r);
}

static void test_why_not(void **state)
{
	fx *f = *state;
	char *why = NULL;
	base(f->site);
	sqlf(f->site, "DELETE FROM panel WHERE id = 'p2'"); /* bob's submission stays at p1 when not placed */
	person(f->site, "lead-b", "brook", FOLIO_ROLE_LEAD | FOLIO_ROLE_REVIEWER, NULL);
	person(f->site, "uni", NULL, FOLIO_ROLE_REVIEWER, NULL);
	person(f->site, "ann", "brook", FOLIO_ROLE_MENTOR, "lead-b");
	person(f->site, "bob", "river", FOLIO_ROLE_MENTOR, NULL);
	assert_ok(folio_conflict_add(f->site, "ann", "lead-b", "sister; and neighbour"));
	long long a = submission(f->site, 0, "ann", "p1", 0, "submitted");
	long long b = submission(f->site, 0, "bob", "p1", 0, "submitted");
	avail(f->site, "p1", "uni", 1);

	assert_ok(folio_assign_why_not(&why, f->site, a, "lead-b"));
	assert_string_equal(why, "both are at school 'brook'\n"
		"'lead-b' is the mentor's own lead mentor\n"
		"declared conflict: sister; and neighbour\n"
		"'lead-b' has declared no availability for panel 'p1'");
	free(why);
	assert_ok(folio_assign_why_not(&why, f->site, a, "uni"));
	assert_null(why);
	assert_ok(folio_assign_why_not(&why, f->site, a, "ann"));
	assert_string_equal(why, "'ann' is neither a reviewer nor a lead\nit is their own portfolio\nboth are at school 'brook'\n"
		"'ann' has declared no availability for panel 'p1'");
	free(why);
	avail(f->site, "p1", "lead-b", 0);
	assert_ok(folio_assign_why_not(&why, f->site, b, "lead-b"));
	assert_string_equal(why, "'lead-b' is unavailable for panel 'p1'");
	free(why);
	/* after assignment: uni (capacity 1) took ann, the older; bob then finds uni full */
	folio_assign_result *r = assign(f->site, "p1", 1, 0);
	assert_non_null(find_assignment(r, a));
	folio_assign_result_free(r);
	assert_ok(folio_assign_why_not(&why, f->site, a, "uni"));
	assert_null(why);
	assert_ok(folio_assign_why_not(&why, f->site, b, "uni"));
	assert_string_equal(why, "'uni' is full at panel 'p1': 1 of 1 portfolios assigned");
	free(why);

	assert_rc(folio_assign_why_not(&why, f->site, 999, "uni"), FOLIO_ENOTFOUND);
	assert_msg("no submission 999 in site");
	assert_rc(folio_assign_why_not(&why, f->site, a, "nobody"), FOLIO_ENOTFOUND);
	assert_msg("no person 'nobody'");
	/* mentors may not ask */
	login(f->site, "bob", "bob-login");
	assert_ok(folio_site_act(f->site, "bob-login", NULL));
	assert_rc(folio_assign_why_not(&why, f->site, a, "uni"), FOLIO_EDENIED);
	assert_msg("needs role reviewer or lead or admin");
	/* reviewers may */
	login(f->site, "uni", "uni-login");
	assert_ok(folio_site_act(f->site, "uni-login", NULL));
	assert_ok(folio_assign_why_not(&why, f->site, a, "lead-b"));
	free(why);
}

/* ------------------------------------------------------------ random instances */

typedef struct {
	char id[24];
	int school; /* -1: none */
	unsigned roles;
	int lead;   /* index, -1: none */
	int cap;    /* -1: no availability row */
} rperson;

typedef struct {
	int nschools;
	folio_phase phase[5];
	int npeople;
	rperson p[32];
	unsigned char declared[32][32];
	int nsubs;
	long long sub_id[32];
	int sub_mentor[32];
	unsigned char prevrev[32][32]; /* [s][person]: reviewed the submission s resubmits */
	unsigned r;
	int has_next;
	char p1[24], p2[24];
} rinst;

static unsigned long long rng_state;
static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

static int r_conflict(const rinst *in, int rev, int mentor)
{
	const rperson *r = &in->p[rev], *m = &in->p[mentor];
	return rev == mentor || (r->school >= 0 && r->school == m->school) || m->lead == rev || in->declared[rev][mentor];
}

static int r_eligible(const rinst *in, int k)
{
	return (in->p[k].roles & (FOLIO_ROLE_REVIEWER | FOLIO_ROLE_LEAD)) && in->p[k].cap > 0;
}

static int r_index(const rinst *in, const char *id)
{
	for (int k = 0; k < in->npeople; k++)
		if (strcmp(in->p[k].id, id) == 0)
			return k;
	fail_msg("unknown person '%s' in a result", id);
	return -1;
}

static long long r_phase_cost(const rinst *in, int rev, int mentor)
{
	int a = in->p[mentor].school, b = in->p[rev].school;
	if (a < 0 || b < 0)
		return COST_NEUTRAL;
	if (in->phase[a] == in->phase[b] || in->phase[a] == FOLIO_PHASE_ALL_THROUGH || in->phase[b] == FOLIO_PHASE_ALL_THROUGH)
		return 0;
	return COST_MISMATCH;
}

static void r_build(folio_site *site, rinst *in, int n)
{
	static const char *const terms[] = { "summer", "autumn", "spring" };
	char p0[24], sch[5][24];
	int year = 2100 + 2 * n;
	memset(in, 0, sizeof(*in));
	in->nschools = 1 + (int)rnd(4);
	for (int s = 0; s < in->nschools; s++) {
		in->phase[s] = (folio_phase)rnd(3);
		snprintf(sch[s], sizeof(sch[s]), "i%d-s%d", n, s);
		school(site, sch[s], in->phase[s]);
	}
	/* leads first (mentors name them), then reviewers, then mentors; some reviewers are also mentors */
	int nleads = 1 + (int)rnd(3), nrevs = 1 + (int)rnd(8), nmentors = 1 + (int)rnd(14);
	in->npeople = nleads + nrevs + nmentors;
	for (int k = 0; k < in->npeople; k++) {
		rperson *p = &in->p[k];
		snprintf(p->id, sizeof(p->id), "i%d-p%02d", n, k);
		p->school = rnd(3) == 0 ? -1 : (int)rnd((unsigned)in->nschools);
		p->lead = -1;
		if (k < nleads)
			p->roles = FOLIO_ROLE_LEAD | (rnd(2) ? FOLIO_ROLE_REVIEWER : 0);
		else if (k < nleads + nrevs)
			p->roles = FOLIO_ROLE_REVIEWER | (rnd(4) == 0 ? FOLIO_ROLE_MENTOR : 0);
		else
			p->roles = FOLIO_ROLE_MENTOR;
		if ((p->roles & FOLIO_ROLE_MENTOR) && rnd(2))
			p->lead = (int)rnd((unsigned)nleads);
		/* odd instances are short of capacity, even ones mostly not */
		if (p->roles & (FOLIO_ROLE_REVIEWER | FOLIO_ROLE_LEAD))
			p->cap = n % 2 ? (int)rnd(6) - 1 : 2 + (int)rnd(6);
		else
			p->cap = -1;
		if (rnd(8) == 0)
			p->cap = (int)rnd(3); /* a mentor-only person with a row: ignored */
		person(site, p->id, p->school >= 0 ? sch[p->school] : NULL, p->roles, p->lead >= 0 ? in->p[p->lead].id : NULL);
	}
	for (int c = (int)rnd(8); c > 0; c--) {
		int a = (int)rnd((unsigned)in->npeople), b = (int)rnd((unsigned)in->npeople);
		if (a == b || in->declared[a][b])
			continue;
		in->declared[a][b] = in->declared[b][a] = 1;
		assert_ok(folio_conflict_add(site, in->p[a].id, in->p[b].id, "random"));
	}
	snprintf(p0, sizeof(p0), "i%d-p0", n);
	snprintf(in->p1, sizeof(in->p1), "i%d-p1", n);
	snprintf(in->p2, sizeof(in->p2), "i%d-p2", n);
	{
		char d0[16], d1[16], dl1[16], d2[16], dl2[16], dl0[16];
		snprintf(d0, sizeof(d0), "%d-06-17", year);
		snprintf(dl0, sizeof(dl0), "%d-05-27", year);
		snprintf(d1, sizeof(d1), "%d-11-18", year);
		snprintf(dl1, sizeof(dl1), "%d-10-28", year);
		snprintf(d2, sizeof(d2), "%d-03-17", year + 1);
		snprintf(dl2, sizeof(dl2), "%d-02-24", year + 1);
		panel(site, p0, year, terms[0], d0, dl0);
		sqlf(site, "UPDATE panel SET state = 'concluded' WHERE id = '%s'", p0);
		panel(site, in->p1, year, terms[1], d1, dl1);
		in->has_next = rnd(3) != 0;
		if (in->has_next)
			panel(site, in->p2, year, terms[2], d2, dl2);
	}
	for (int k = 0; k < in->npeople; k++)
		if (in->p[k].cap >= 0)
			avail(site, in->p1, in->p[k].id, in->p[k].cap);
	for (int k = 0; k < in->npeople; k++) {
		if (!(in->p[k].roles & FOLIO_ROLE_MENTOR) || rnd(10) == 0)
			continue;
		int s = in->nsubs++;
		long long prev = 0;
		in->sub_mentor[s] = k;
		if (rnd(3) == 0) {
			prev = submission(site, 0, in->p[k].id, p0, 0, "further-evidence");
			for (int t = 1 + (int)rnd(3); t > 0; t--) {
				int v = (int)rnd((unsigned)in->npeople);
				if ((in->p[v].roles & (FOLIO_ROLE_REVIEWER | FOLIO_ROLE_LEAD)) && !in->prevrev[s][v]) {
					in->prevrev[s][v] = 1;
					assigned(site, prev, in->p[v].id);
				}
			}
		}
		in->sub_id[s] = submission(site, 0, in->p[k].id, in->p1, prev, "submitted");
	}
	/* a withdrawn submission is not the panel's to assign */
	if (in->nsubs && rnd(4) == 0)
		submission(site, 0, in->p[in->sub_mentor[0]].id, in->p1, 0, "withdrawn");
	in->r = 1 + rnd(3);
}

/* Placed submissions plus `extra` (-1: none): can they all have R reviewers? */
static int r_feasible(const rinst *in, const folio_assign_result *res, int extra)
{
	folio_mcf *g = NULL;
	folio_mcf_status st;
	int n = in->nsubs, m = in->npeople, placed = 0;
	assert_ok(folio_mcf_new(&g, (size_t)(n + m + 2)));
	for (int s = 0; s < n; s++) {
		if (s != extra && !find_assignment(res, in->sub_id[s]))
			continue;
		placed++;
		assert_ok(folio_mcf_add_arc(NULL, g, 0, (size_t)(1 + s), 0, in->r, 0));
		for (int k = 0; k < m; k++)
			if (r_eligible(in, k) && !r_conflict(in, k, in->sub_mentor[s]))
				assert_ok(folio_mcf_add_arc(NULL, g, (size_t)(1 + s), (size_t)(1 + n + k), 0, 1, 0));
	}
	for (int k = 0; k < m; k++)
		if (r_eligible(in, k))
			assert_ok(folio_mcf_add_arc(NULL, g, (size_t)(1 + n + k), (size_t)(1 + n + m), 0, in->p[k].cap, 0));
	assert_ok(folio_mcf_set_supply(g, 0, (long long)placed * in->r));
	assert_ok(folio_mcf_set_supply(g, (size_t)(1 + n + m), -(long long)placed * in->r));
	assert_ok(folio_mcf_solve(&st, NULL, g));
	folio_mcf_free(g);
	return st == FOLIO_MCF_OPTIMAL;
}

/* Every hard constraint and explanation, checked from the instance's own data (not the engine's). */
static void r_verify(const rinst *in, const folio_assign_result *res, int n)
{
	int load[32] = { 0 };
	long long cost = 0;
	assert_int_equal(res->nassignments + res->nunplaced, in->nsubs);
	for (int s = 0; s < in->nsubs; s++) {
		const folio_assignment *a = find_assignment(res, in->sub_id[s]);
		const folio_unplaced *u = find_unplaced(res, in->sub_id[s]);
		int mentor = in->sub_mentor[s], nfree = 0;
		if (!a == !u)
			fail_msg("instance %d: submission %lld is %s", n, in->sub_id[s], a ? "both placed and unplaced" : "missing");
		for (int k = 0; k < in->npeople; k++)
			nfree += r_eligible(in, k) && !r_conflict(in, k, mentor);
		if (u) {
			assert_string_equal(u->mentor, in->p[mentor].id);
			if (nfree < (int)in->r) {
				if (nfree == 0)
					assert_string_equal(u->reason, "no conflict-free reviewer with capacity");
				else
					assert_has(u->reason, "only ");
			} else {
				assert_has(u->reason, "not enough conflict-free capacity left: ");
				/* nothing left out could have been placed beside the placed ones */
				if (r_feasible(in, res, s))
					fail_msg("instance %d: submission %lld was left out but fits", n, in->sub_id[s]);
			}
			continue;
		}
		assert_string_equal(a->mentor, in->p[mentor].id);
		if (a->nreviewers != in->r)
			fail_msg("instance %d: submission %lld has %zu reviewers, not %u", n, a->submission, a->nreviewers, in->r);
		for (size_t x = 0; x < a->nreviewers; x++) {
			int k = r_index(in, a->reviewers[x]);
			if (x > 0 && strcmp(a->reviewers[x - 1], a->reviewers[x]) >= 0)
				fail_msg("instance %d: reviewers of %lld not distinct and sorted", n, a->submission);
			if (!r_eligible(in, k))
				fail_msg("instance %d: %s is not an available reviewer", n, a->reviewers[x]);
			if (r_conflict(in, k, mentor))
				fail_msg("instance %d: %s reviews %s across a conflict", n, a->reviewers[x], in->p[mentor].id);
			load[k]++;
			cost += r_phase_cost(in, k, mentor) - (in->prevrev[s][k] ? COST_CONTINUITY : 0);
		}
	}
	for (int k = 0; k < in->npeople; k++) {
		if (load[k] > in->p[k].cap && load[k] > 0)
			fail_msg("instance %d: %s has %d portfolios, capacity %d", n, in->p[k].id, load[k], in->p[k].cap);
		for (int u = 1; u <= load[k]; u++)
			cost += (long long)COST_LOAD * u * u;
	}
	/* the cost reported is the cost of this assignment */
	if (cost != res->cost)
		fail_msg("instance %d: the result's cost is %lld, its assignment costs %lld", n, res->cost, cost);
	if (res->nunplaced == 0)
		assert_null(res->rolled_to);
	else if (in->has_next)
		assert_string_equal(res->rolled_to, in->p2);
	else
		assert_null(res->rolled_to);
	/* and all placed together are feasible (trivially, but through another network) */
	assert_true(r_feasible(in, res, -1));
}

static void test_random_instances(void **state)
{
	fx *f = *state;
	int oracle = have_dimacs_solver(), compared = 0, unplaced = 0, capacity_left = 0, placed = 0;
	char path[4200];
	setenv("FOLIO_TODAY", "2400-01-01", 1);
	rng_state = 0x9e3779b97f4a7c15ULL;
	snprintf(path, sizeof(path), "%s/random.min", f->box);
	for (int n = 0; n < 120; n++) {
		rinst *in = calloc(1, sizeof(*in));
		folio_assign_options o = { 0 };
		folio_assign_result *r1 = NULL, *r2 = NULL;
		r_build(f->site, in, n);
		o.reviewers = in->r;
		o.dry_run = 1;
		o.export_dimacs = n % 4 == 0 ? path : NULL;
		if (folio_panel_assign(&r1, f->site, in->p1, &o) < 0)
			fail_msg("instance %d: %s", n, folio_error_last());
		r_verify(in, r1, n);
		unplaced += r1->nunplaced > 0;
		placed += (int)r1->nassignments;
		for (size_t u = 0; u < r1->nunplaced; u++)
			capacity_left += strstr(r1->unplaced[u].reason, "not enough") != NULL;
		if (o.export_dimacs && oracle) {
			long long c = dimacs_solver_cost(path);
			if (c != r1->cost)
				fail_msg("instance %d: dimacs-solver's optimum is %lld, the result's cost %lld", n, c, r1->cost);
			compared++;
		}
		/* the same again, for real on every third: the same result, and it is what was written */
		o.dry_run = n % 3 != 0;
		o.export_dimacs = NULL;
		if (folio_panel_assign(&r2, f->site, in->p1, &o) < 0)
			fail_msg("instance %d (second run): %s", n, folio_error_last());
		char *t1 = result_text(r1), *t2 = result_text(r2);
		if (strcmp(t1, t2) != 0)
			fail_msg("instance %d: two runs differ:\n  %s\n  %s", n, t1, t2);
		if (!o.dry_run) {
			char q[256];
			long long placed_rows = 0;
			for (size_t x = 0; x < r2->nassignments; x++)
				placed_rows += (long long)r2->assignments[x].nreviewers;
			snprintf(q, sizeof(q), "SELECT COUNT(*) FROM assignment a JOIN submission s ON s.id = a.submission"
				" WHERE s.panel = '%s' AND s.state = 'in-review'", in->p1);
			assert_int_equal(sql_int(f->site, q), placed_rows);
			snprintf(q, sizeof(q), "SELECT COUNT(*) FROM submission WHERE panel = '%s' AND state = 'submitted'",
				in->has_next ? in->p2 : in->p1);
			assert_int_equal(sql_int(f->site, q), (long long)r2->nunplaced);
		}
		free(t1);
		free(t2);
		folio_assign_result_free(r1);
		folio_assign_result_free(r2);
		/* later instances must not roll into this one's panels */
		sqlf(f->site, "UPDATE panel SET state = 'concluded' WHERE id LIKE 'i%d-%%'", n);
		free(in);
	}
	assert_ok(folio_audit_verify(f->site));
	print_message("120 instances: %d submissions placed; %d instances with unplaced submissions, %d left out for"
		" capacity; %d costs compared with dimacs-solver\n", placed, unplaced, capacity_left, compared);
	/* the instances did exercise what they are for */
	assert_true(unplaced > 10);
	assert_true(capacity_left > 3);
	if (oracle)
		assert_true(compared >= 30);
	setenv("FOLIO_TODAY", TODAY, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_load_balance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capacity_respected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explanations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_enough_capacity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_next_panel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_phase_preference, setup, teardown),
		cmocka_unit_test_setup_teardown(test_continuity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_determinism, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_dimacs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_panel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recheck_catches_violations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_why_not, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_instances, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
