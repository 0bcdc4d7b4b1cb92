/* tests/unit/test_panel.c: planning a year of panels, moving dates, chairs, the derived closed state, and availability. */
#include "support.h"

#include "folio.h"
#include "workflow_internal.h"

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

static void add_person(folio_site *site, const char *id, const char *login, unsigned roles)
{
	char email[128];
	folio_person p = { 0 };
	snprintf(email, sizeof(email), "%s@example.org", id);
	p.id = (char *)id;
	p.name = (char *)id;
	p.email = email;
	p.login = (char *)login;
	p.roles = roles;
	if (folio_person_add(site, &p) != 0)
		fail_msg("person add %s: %s", id, folio_error_last());
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	char dir[4096];
	setenv("FOLIO_TODAY", "2026-09-01", 1);
	f->box = test_tmpdir("panel");
	snprintf(dir, sizeof(dir), "%s/site", f->box);
	if (test_site_create(&f->site, dir, ADMIN_LOGIN) != 0)
		return -1;
	add_person(f->site, "rev", "rev-login", FOLIO_ROLE_REVIEWER);
	add_person(f->site, "rita", "rita-login", FOLIO_ROLE_REVIEWER);
	add_person(f->site, "lea", "lea-login", FOLIO_ROLE_LEAD);
	add_person(f->site, "ann", "ann-login", FOLIO_ROLE_MENTOR);
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

static void act(fx *f, const char *login)
{
	assert_ok(folio_site_act(f->site, login, NULL));
}

static void today(const char *date)
{
	setenv("FOLIO_TODAY", date, 1);
}

/* Run SQL on the site directly: the fixtures for what other modules (assignment, conclusion) do. */
static size_t audit_count(fx *f, const char *action)
{
	folio_audit_row *rows = NULL;
	size_t n = 0, count = 0;
	assert_ok(folio_audit_list(&rows, &n, f->site));
	for (size_t i = 0; i < n; i++)
		if (!action || strcmp(rows[i].action, action) == 0)
			count++;
	folio_audit_rows_free(rows, n);
	return count;
}

static size_t panel_count(fx *f)
{
	folio_panel *v = NULL;
	size_t n = 0;
	act(f, ADMIN_LOGIN);
	assert_ok(folio_panel_list(&v, &n, f->site));
	folio_panels_free(v, n);
	return n;
}

static void assert_panel(fx *f, const char *id, const char *date, const char *deadline, const char *state)
{
	folio_panel p;
	assert_ok(folio_panel_get(&p, f->site, id));
	assert_string_equal(p.id, id);
	assert_string_equal(p.date, date);
	assert_string_equal(p.deadline, deadline);
	assert_string_equal(p.state, state);
	folio_panel_clear(&p);
}

/* ------------------------------------------------------------ planning */

static void test_plan_year_default_dates(void **state)
{
	fx *f = *state;
	folio_panel *v = NULL;
	size_t n = 0;

	assert_ok(folio_panel_plan(f->site, 2026));
	assert_ok(folio_panel_list(&v, &n, f->site));
	assert_int_equal(n, 3);
	/* third Wednesday of November, March, June; deadline three weeks before */
	assert_string_equal(v[0].id, "2026-autumn");
	assert_string_equal(v[0].date, "2026-11-18");
	assert_string_equal(v[0].deadline, "2026-10-28");
	assert_string_equal(v[0].term, "autumn");
	assert_string_equal(v[1].id, "2027-spring");
	assert_string_equal(v[1].date, "2027-03-17");
	assert_string_equal(v[1].deadline, "2027-02-24");
	assert_string_equal(v[2].id, "2027-summer");
	assert_string_equal(v[2].date, "2027-06-16");
	assert_string_equal(v[2].deadline, "2027-05-26");
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(v[i].year, 2026);
		assert_string_equal(v[i].state, "open");
		assert_null(v[i].chair);
		assert_int_equal(v[i].submissions, 0);
		assert_int_equal(v[i].reviewers, 0);
	}
	folio_panels_free(v, n);
	assert_int_equal(audit_count(f, "panel.plan"), 3);

	/* a year whose months start on a Wednesday: the 15th, not the 22nd */
	assert_ok(folio_panel_plan(f->site, 2027));
	assert_panel(f, "2027-autumn", "2027-11-17", "2027-10-27", "open");
	assert_panel(f, "2028-spring", "2028-03-15", "2028-02-23", "open");
	assert_panel(f, "2028-summer", "2028-06-21", "2028-05-31", "open");
}

static void test_plan_twice_refused(void **state)
{
	fx *f = *state;
	assert_ok(folio_panel_plan(f->site, 2026));
	size_t audits = audit_count(f, NULL);
	assert_rc(folio_panel_plan(f->site, 2026), FOLIO_EEXISTS);
	assert_msg("academic year 2026/27 is already planned: 2026-autumn, 2027-spring, 2027-summer");
	assert_int_equal(panel_count(f), 3);
	assert_int_equal(audit_count(f, NULL), audits);
}

static void test_plan_past_and_bad_years(void **state)
{
	fx *f = *state;
	assert_rc(folio_panel_plan(f->site, 2024), FOLIO_EINVALID);
	assert_msg("academic year 2024/25 is in the past");
	assert_rc(folio_panel_plan(f->site, 0), FOLIO_EINVALID);
	assert_msg("invalid academic year 0");
	assert_rc(folio_panel_plan(f->site, 99999), FOLIO_EINVALID);
	assert_rc(folio_panel_plan(f->site, -3), FOLIO_EINVALID);
	assert_int_equal(panel_count(f), 0);

	/* part-way through a year only the panels still to meet are planned */
	today("2026-12-01");
	assert_ok(folio_panel_plan(f->site, 2026));
	assert_int_equal(panel_count(f), 2);
	assert_rc(folio_panel_get(&(folio_panel){ 0 }, f->site, "2026-autumn"), FOLIO_ENOTFOUND);
	assert_msg("no panel '2026-autumn'");
	assert_panel(f, "2027-spring", "2027-03-17", "2027-02-24", "open");
	/* and the year counts as planned */
	assert_rc(folio_panel_plan(f->site, 2026), FOLIO_EEXISTS);
}

static void test_plan_needs_admin(void **state)
{
	fx *f = *state;
	size_t denied = audit_count(f, "denied");
	act(f, "rev-login");
	assert_rc(folio_panel_plan(f->site, 2026), FOLIO_EDENIED);
	assert_msg("person 'rev' may not plan panels: needs role admin");
	assert_int_equal(audit_count(f, "denied"), denied + 1);
	act(f, "nobody-login");
	assert_rc(folio_panel_plan(f->site, 2026), FOLIO_EDENIED);
	assert_int_equal(panel_count(f), 0);
}

/* ------------------------------------------------------------ moving */

static void test_move_date_keeps_gap(void **state)
{
	fx *f = *state;
	assert_ok(folio_panel_plan(f->site, 2026));
	assert_ok(folio_panel_move(f->site, "2026-autumn", "2026-11-25", NULL));
	assert_panel(f, "2026-autumn", "2026-11-25", "2026-11-04", "open");
	assert_ok(folio_panel_move(f->site, "2026-autumn", "2026-12-02", "2026-11-20"));
	assert_panel(f, "2026-autumn", "2026-12-02", "2026-11-20", "open");
	/* the deadline alone */
	assert_ok(folio_panel_move(f->site, "2026-autumn", NULL, "2026-11-13"));
	assert_panel(f, "2026-autumn", "2026-12-02", "2026-11-13", "open");
	assert_int_equal(audit_count(f, "panel.move"), 3);
}

static void test_move_bad_dates_change_nothing(void **state)
{
	fx *f = *state;
	static const char *const malformed[] = { "2026-13-01", "2026-02-30", "tomorrow", "2026-1-05", "", "2026-11-18x" };
	assert_ok(folio_panel_plan(f->site, 2026));
	size_t audits = audit_count(f, NULL);

	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		assert_rc(folio_panel_move(f->site, "2026-autumn", malformed[i], NULL), FOLIO_EINVALID);
		assert_msg("invalid date");
		assert_rc(folio_panel_move(f->site, "2026-autumn", "2026-11-25", malformed[i]), FOLIO_EINVALID);
		assert_msg("invalid deadline");
	}
	assert_rc(folio_panel_move(f->site, "2026-autumn", "2026-08-01", NULL), FOLIO_EINVALID);
	assert_msg("date 2026-08-01 for panel '2026-autumn' is in the past (today is 2026-09-01)");
	assert_rc(folio_panel_move(f->site, "2026-autumn", "2026-11-25", "2026-08-31"), FOLIO_EINVALID);
	assert_msg("deadline 2026-08-31 for panel '2026-autumn' is in the past");
	/* a new date alone whose kept gap would put the deadline in the past */
	assert_rc(folio_panel_move(f->site, "2026-autumn", "2026-09-10", NULL), FOLIO_EINVALID);
	assert_msg("give the deadline too");
	assert_rc(folio_panel_move(f->site, "2026-autumn", "2026-11-25", "2026-11-25"), FOLIO_EINVALID);
	assert_msg("deadline 2026-11-25 of panel '2026-autumn' must be before its date 2026-11-25");
	assert_rc(folio_panel_move(f->site, "2026-autumn", "2026-11-25", "2026-12-01"), FOLIO_EINVALID);
	assert_rc(folio_panel_move(f->site, "2026-autumn", NULL, NULL), FOLIO_EINVALID);
	assert_rc(folio_panel_move(f->site, "2031-winter", "2026-11-25", NULL), FOLIO_ENOTFOUND);
	assert_msg("no panel '2031-winter'");

	assert_panel(f, "2026-autumn", "2026-11-18", "2026-10-28", "open");
	assert_int_equal(audit_count(f, NULL), audits);
}

static void test_move_after_assignment_refused(void **state)
{
	fx *f = *state;
	assert_ok(folio_panel_plan(f->site, 2026));
	/* fixture: what assignment does to a panel */
	test_sql(f->site, "UPDATE panel SET state = 'assigned' WHERE id = '2026-autumn'");
	assert_rc(folio_panel_move(f->site, "2026-autumn", "2026-11-25", NULL), FOLIO_ECONFLICT);
	assert_msg("panel '2026-autumn' is already assigned: its dates can no longer move");
	assert_panel(f, "2026-autumn", "2026-11-18", "2026-10-28", "assigned");

	act(f, "lea-login");
	assert_rc(folio_panel_move(f->site, "2027-spring", "2027-03-24", NULL), FOLIO_EDENIED);
	assert_msg("may not move panels");
}

/* ------------------------------------------------------------ closed, next open */

static void test_closed_is_derived(void **state)
{
	fx *f = *state;
	folio_panel p;
	assert_ok(folio_panel_plan(f->site, 2026));
	assert_ok(folio_panel_next_open(&p, f->site));
	assert_string_equal(p.id, "2026-autumn");
	folio_panel_clear(&p);

	today("2026-10-28"); /* the deadline day itself is still open */
	assert_panel(f, "2026-autumn", "2026-11-18", "2026-10-28", "open");

	today("2026-10-29");
	assert_panel(f, "2026-autumn", "2026-11-18", "2026-10-28", "closed");
	assert_ok(folio_panel_next_open(&p, f->site));
	assert_string_equal(p.id, "2027-spring");
	folio_panel_clear(&p);

	/* the date of a closed panel moves alone: its deadline stays passed */
	assert_ok(folio_panel_move(f->site, "2026-autumn", "2026-11-25", NULL));
	assert_panel(f, "2026-autumn", "2026-11-25", "2026-10-28", "closed");
	assert_ok(folio_panel_move(f->site, "2026-autumn", "2026-11-18", "2026-10-28"));
	assert_panel(f, "2026-autumn", "2026-11-18", "2026-10-28", "closed");
	assert_rc(folio_panel_move(f->site, "2026-autumn", NULL, "2026-10-27"), FOLIO_EINVALID);
	assert_msg("deadline 2026-10-27 for panel '2026-autumn' is in the past");

	/* an extended deadline opens it again */
	assert_ok(folio_panel_move(f->site, "2026-autumn", NULL, "2026-11-04"));
	assert_panel(f, "2026-autumn", "2026-11-18", "2026-11-04", "open");

	today("2027-06-01");
	assert_rc(folio_panel_next_open(&p, f->site), FOLIO_ENOTFOUND);
	assert_msg("no panel in site");
	folio_panel_clear(&p);
}

/* ------------------------------------------------------------ chair */

static void test_chair(void **state)
{
	fx *f = *state;
	folio_panel p;
	assert_ok(folio_panel_plan(f->site, 2026));
	assert_ok(folio_panel_set_chair(f->site, "2026-autumn", "lea"));
	assert_ok(folio_panel_get(&p, f->site, "2026-autumn"));
	assert_string_equal(p.chair, "lea");
	folio_panel_clear(&p);

	assert_rc(folio_panel_set_chair(f->site, "2026-autumn", "rev"), FOLIO_EINVALID);
	assert_msg("person 'rev' cannot chair panel '2026-autumn': not a lead");
	assert_rc(folio_panel_set_chair(f->site, "2026-autumn", "ghost"), FOLIO_ENOTFOUND);
	assert_rc(folio_panel_set_chair(f->site, "nope", "lea"), FOLIO_ENOTFOUND);
	test_sql(f->site, "UPDATE panel SET state = 'concluded' WHERE id = '2027-spring'");
	assert_rc(folio_panel_set_chair(f->site, "2027-spring", "lea"), FOLIO_ECONFLICT);
	act(f, "lea-login");
	assert_rc(folio_panel_set_chair(f->site, "2027-summer", "lea"), FOLIO_EDENIED);

	act(f, ADMIN_LOGIN);
	assert_ok(folio_panel_get(&p, f->site, "2026-autumn"));
	assert_string_equal(p.chair, "lea");
	folio_panel_clear(&p);
	assert_int_equal(audit_count(f, "panel.chair"), 1);
}

/* ------------------------------------------------------------ availability */

static void test_availability(void **state)
{
	fx *f = *state;
	folio_availability *a = NULL;
	folio_panel p;
	size_t n = 0;
	assert_ok(folio_panel_plan(f->site, 2026));

	act(f, "rev-login");
	assert_ok(folio_panel_availability(f->site, "2026-autumn", "rev", 3));
	assert_ok(folio_panel_availability(f->site, "2026-autumn", "rev", 4)); /* changed, not added */
	act(f, ADMIN_LOGIN);
	assert_ok(folio_panel_availability(f->site, "2026-autumn", "lea", 2));
	assert_ok(folio_panel_availability(f->site, "2026-autumn", "rita", 0));

	assert_ok(folio_panel_get(&p, f->site, "2026-autumn"));
	assert_int_equal(p.reviewers, 2);
	assert_int_equal(p.capacity, 6);
	folio_panel_clear(&p);

	act(f, "rev-login");
	assert_ok(folio_panel_availability_list(&a, &n, f->site, "2026-autumn"));
	assert_int_equal(n, 3);
	assert_string_equal(a[0].person, "lea");
	assert_int_equal(a[0].capacity, 2);
	assert_string_equal(a[1].person, "rev");
	assert_int_equal(a[1].capacity, 4);
	assert_string_equal(a[2].person, "rita");
	assert_int_equal(a[2].capacity, 0);
	folio_availability_free(a, n);

	/* a mentor reads panels but not who sits on them */
	act(f, "ann-login");
	assert_ok(folio_panel_availability_list(&a, &n, f->site, "2026-autumn"));
	assert_int_equal(n, 0);
	folio_availability_free(a, n);
	assert_int_equal(audit_count(f, "panel.availability"), 4);
}

static void test_availability_refusals(void **state)
{
	fx *f = *state;
	folio_panel p;
	assert_ok(folio_panel_plan(f->site, 2026));
	size_t denied = audit_count(f, "denied");

	/* by someone else */
	act(f, "rev-login");
	assert_rc(folio_panel_availability(f->site, "2026-autumn", "rita", 5), FOLIO_EDENIED);
	assert_msg("person 'rev' may not set the availability of 'rita' for panel '2026-autumn'");
	assert_int_equal(audit_count(f, "denied"), denied + 1);
	act(f, "ann-login");
	assert_rc(folio_panel_availability(f->site, "2026-autumn", "rev", 5), FOLIO_EDENIED);

	/* a mentor cannot sit, even their own availability */
	assert_rc(folio_panel_availability(f->site, "2026-autumn", "ann", 2), FOLIO_EINVALID);
	assert_msg("person 'ann' cannot sit on panel '2026-autumn': not a reviewer or lead");

	act(f, ADMIN_LOGIN);
	assert_rc(folio_panel_availability(f->site, "2026-autumn", "ghost", 2), FOLIO_ENOTFOUND);
	assert_rc(folio_panel_availability(f->site, "2031-winter", "rev", 2), FOLIO_ENOTFOUND);
	assert_rc(folio_panel_availability(f->site, "2026-autumn", "rev", 100000), FOLIO_EINVALID);
	assert_msg("too large");

	/* after assignment */
	test_sql(f->site, "UPDATE panel SET state = 'assigned' WHERE id = '2026-autumn'");
	act(f, "rev-login");
	assert_rc(folio_panel_availability(f->site, "2026-autumn", "rev", 2), FOLIO_ECONFLICT);
	assert_msg("panel '2026-autumn' is already assigned: availability can no longer change");

	act(f, ADMIN_LOGIN);
	assert_ok(folio_panel_get(&p, f->site, "2026-autumn"));
	assert_int_equal(p.reviewers, 0);
	assert_int_equal(p.capacity, 0);
	folio_panel_clear(&p);
	assert_int_equal(audit_count(f, "panel.availability"), 0);
}

static void test_reading_needs_a_person(void **state)
{
	fx *f = *state;
	folio_panel *v = NULL;
	folio_panel p;
	size_t n = 0;
	assert_ok(folio_panel_plan(f->site, 2026));
	act(f, "ann-login");
	assert_ok(folio_panel_list(&v, &n, f->site));
	assert_int_equal(n, 3);
	folio_panels_free(v, n);
	assert_rc(folio_panel_get(&p, f->site, "2031-winter"), FOLIO_ENOTFOUND);
	act(f, "nobody-login");
	assert_rc(folio_panel_list(&v, &n, f->site), FOLIO_EDENIED);
	assert_msg("login 'nobody-login' is not bound");
	assert_rc(folio_panel_get(&p, f->site, "2026-autumn"), FOLIO_EDENIED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plan_year_default_dates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_twice_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_past_and_bad_years, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_needs_admin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move_date_keeps_gap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move_bad_dates_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move_after_assignment_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closed_is_derived, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_availability, setup, teardown),
		cmocka_unit_test_setup_teardown(test_availability_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reading_needs_a_person, setup, teardown),
	};
	return cmocka_run_group_tests_name("panel", tests, NULL, NULL);
}
