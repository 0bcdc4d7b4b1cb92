/* tests/unit/test_site.c: sites (init, open, schema migration), identity and --as, the audit log, and the permission table. */
#include "support.h"

#include "folio.h"
#include "site_internal.h" /* the site's own sqlite handle, to check its pragmas */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Exposed by engine/site.c for tests only: create/migrate a raw db file up to `target`. */
int folio_site__migrate_file(const char *db_path, long target);

#define ADMIN_LOGIN "adm-login"

/* ------------------------------------------------------------ helpers */

static char *pjoin(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);
	snprintf(p, n, "%s/%s", a, b);
	return p;
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Fail unless `rc` is `code`; show the engine's message. */
static void write_bytes(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		fail_msg("cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "?");
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static void raw_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("sql failed: %s: %s", sql, err ? err : "?");
}

static long long raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("sql failed: %s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static char *raw_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	char *v = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("sql failed: %s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

/* Run one statement on a database file through a connection of our own. */
static void db_file_exec(const char *path, const char *sql)
{
	sqlite3 *db = raw_open(path);
	raw_exec(db, sql);
	sqlite3_close(db);
}

static size_t dir_count(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	size_t n = 0;
	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* ------------------------------------------------------------ fixture */

typedef struct {
	char *box;   /* sandbox */
	char *dir;   /* the site: box/site */
	char *db;    /* box/site/folio.db */
	folio_site *site;
} fx;

static int make_site(const char *dir, const char *login)
{
	folio_init_options o = { 0 };
	o.admin_id = "adm";
	o.admin_name = "Ada Admin";
	o.admin_email = "ada@example.org";
	o.standards_dir = TEST_STANDARDS_DIR;
	return folio_site_init(dir, login, &o);
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	f->box = test_tmpdir("site");
	f->dir = pjoin(f->box, "site");
	f->db = pjoin(f->dir, "folio.db");
	if (make_site(f->dir, ADMIN_LOGIN) != 0) {
		fprintf(stderr, "init failed: %s\n", folio_error_last());
		return -1;
	}
	if (folio_site_open(&f->site, f->dir) != 0 || folio_site_act(f->site, ADMIN_LOGIN, NULL) != 0) {
		fprintf(stderr, "open failed: %s\n", folio_error_last());
		return -1;
	}
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
	free(f->db);
	free(f);
	return 0;
}

/* Re-open the site (e.g. after changing folio.db behind its back) and act as `login`. */
static void reopen(fx *f, const char *login)
{
	folio_site_free(f->site);
	f->site = NULL;
	assert_ok(folio_site_open(&f->site, f->dir));
	assert_ok(folio_site_act(f->site, login, NULL));
}

static void add_person(folio_site *site, const char *id, const char *login, unsigned roles)
{
	char name[128], email[128];
	snprintf(name, sizeof(name), "Person %s", id);
	snprintf(email, sizeof(email), "%s@example.org", id);
	folio_person p = { 0 };
	p.id = (char *)id;
	p.name = name;
	p.email = email;
	p.login = (char *)login;
	p.roles = roles;
	assert_ok(folio_person_add(site, &p));
}

static void last_audit(folio_site *site, folio_audit_row **rows, size_t *n)
{
	assert_ok(folio_audit_list(rows, n, site));
	assert_true(*n > 0);
}

static size_t audit_count(folio_site *site)
{
	folio_audit_row *rows = NULL;
	size_t n = 0;
	assert_ok(folio_audit_list(&rows, &n, site));
	folio_audit_rows_free(rows, n);
	return n;
}

/* ------------------------------------------------------------ init */

static void test_init_creates_site(void **state)
{
	fx *f = *state;
	char *pdir = pjoin(f->dir, "portfolios"), *sdir = pjoin(f->dir, "standards");
	char *q = pjoin(sdir, "qualifications.md"), *fwf = pjoin(sdir, "mentor-standards-2016.md");
	folio_person p;
	folio_person *all = NULL;
	size_t n = 0;

	assert_true(is_file(f->db));
	assert_true(is_dir(pdir));
	assert_int_equal(dir_count(pdir), 0);
	assert_true(is_dir(sdir));
	assert_true(is_file(q));
	assert_true(is_file(fwf));
	/* nothing else left behind (no temporary database) */
	{
		DIR *d = opendir(f->dir);
		struct dirent *e;
		while ((e = readdir(d)) != NULL)
			if (strncmp(e->d_name, ".folio.db", 9) == 0)
				fail_msg("temporary file left in the site: %s", e->d_name);
		closedir(d);
	}

	/* the standards were copied: identical bytes */
	{
		char *src = pjoin(TEST_STANDARDS_DIR, "qualifications.md");
		size_t la, lb;
		char *a = test_read(src, &la), *b = test_read(q, &lb);
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, la);
		free(a);
		free(b);
		free(src);
	}
	assert_non_null(folio_site_framework(f->site));

	/* the first admin: bound to the login, holds only admin */
	assert_non_null(folio_site_actor(f->site));
	assert_string_equal(folio_site_actor(f->site), "adm");
	assert_null(folio_site_real_actor(f->site));
	assert_ok(folio_person_get(&p, f->site, "adm"));
	assert_non_null(p.login);
	assert_string_equal(p.login, ADMIN_LOGIN);
	assert_string_equal(p.name, "Ada Admin");
	assert_int_equal(p.roles, FOLIO_ROLE_ADMIN);
	folio_person_clear(&p);
	assert_ok(folio_person_list(&all, &n, f->site));
	assert_int_equal(n, 1);
	folio_people_free(all, n);

	/* the site's creation is the first audit row */
	{
		folio_audit_row *rows = NULL;
		size_t nr = 0;
		last_audit(f->site, &rows, &nr);
		assert_string_equal(rows[0].action, "site.init");
		assert_has(rows[0].detail, ADMIN_LOGIN);
		folio_audit_rows_free(rows, nr);
	}
	free(pdir);
	free(sdir);
	free(q);
	free(fwf);
}

static void test_init_default_admin_id_from_login(void **state)
{
	fx *f = *state;
	char *dir = pjoin(f->box, "other");
	folio_init_options o = { 0 };
	folio_site *s = NULL;
	folio_person p;
	o.standards_dir = TEST_STANDARDS_DIR;
	assert_ok(folio_site_init(dir, "Maria", &o));
	assert_ok(folio_site_open(&s, dir));
	assert_ok(folio_site_act(s, "Maria", NULL));
	assert_non_null(folio_site_actor(s));
	assert_string_equal(folio_site_actor(s), "maria");
	assert_ok(folio_person_get(&p, s, "maria"));
	assert_int_equal(p.roles, FOLIO_ROLE_ADMIN);
	folio_person_clear(&p);
	folio_site_free(s);
	free(dir);
}

static void test_init_on_existing_site(void **state)
{
	fx *f = *state;
	size_t before_len, after_len;
	char *before, *after;
	folio_person *all = NULL;
	size_t n = 0;

	add_person(f->site, "ann", "ann-login", FOLIO_ROLE_MENTOR);
	folio_site_free(f->site);
	f->site = NULL;
	before = test_read(f->db, &before_len);

	assert_rc(make_site(f->dir, "someone-else"), FOLIO_EEXISTS);
	assert_msg(f->dir);

	after = test_read(f->db, &after_len);
	assert_int_equal(before_len, after_len);
	assert_memory_equal(before, after, before_len);
	free(before);
	free(after);

	reopen(f, "someone-else");
	assert_null(folio_site_actor(f->site)); /* the second init bound nobody */
	assert_ok(folio_site_act(f->site, ADMIN_LOGIN, NULL));
	assert_string_equal(folio_site_actor(f->site), "adm");
	assert_ok(folio_person_list(&all, &n, f->site));
	assert_int_equal(n, 2);
	folio_people_free(all, n);
}

static void test_init_bad_standards_leaves_nothing(void **state)
{
	fx *f = *state;
	char *dir = pjoin(f->box, "new-site"), *std = pjoin(f->box, "no-standards");
	folio_init_options o = { 0 };
	o.standards_dir = std;
	assert_true(folio_site_init(dir, "maria", &o) < 0);
	assert_msg("no-standards");
	assert_false(is_dir(dir)); /* no half-made site */

	/* a bad admin id or email is refused before anything is written */
	o.standards_dir = TEST_STANDARDS_DIR;
	o.admin_id = "Not Valid";
	assert_rc(folio_site_init(dir, "maria", &o), FOLIO_EINVALID);
	assert_msg("Not Valid");
	o.admin_id = NULL;
	o.admin_email = "maria-at-example";
	assert_rc(folio_site_init(dir, "maria", &o), FOLIO_EINVALID);
	assert_msg("maria-at-example");
	assert_false(is_dir(dir));
	free(dir);
	free(std);
}

/* ------------------------------------------------------------ open */

static void test_open_missing_dir(void **state)
{
	fx *f = *state;
	char *dir = pjoin(f->box, "no-such-site");
	folio_site *s = (folio_site *)1;
	assert_rc(folio_site_open(&s, dir), FOLIO_ENOTFOUND);
	assert_null(s);
	assert_msg(dir);
	assert_false(is_dir(dir)); /* open never creates it */
	free(dir);
}

static void test_open_dir_without_db(void **state)
{
	fx *f = *state;
	char *dir = pjoin(f->box, "empty");
	folio_site *s = NULL;
	assert_int_equal(mkdir(dir, 0777), 0);
	assert_rc(folio_site_open(&s, dir), FOLIO_ENOTFOUND);
	assert_null(s);
	assert_msg(dir);
	assert_msg("folio.db");
	assert_int_equal(dir_count(dir), 0); /* no folio.db made */
	free(dir);
}

static void test_open_corrupt_db(void **state)
{
	fx *f = *state;
	char garbage[8192];
	folio_site *s = NULL;
	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (char)("this is not a database\n"[i % 23] ^ (i & 7));
	folio_site_free(f->site);
	f->site = NULL;
	write_bytes(f->db, garbage, sizeof(garbage));
	assert_rc(folio_site_open(&s, f->dir), FOLIO_EINVALID);
	assert_null(s);
	assert_msg("folio.db");
	/* the garbage is left as it was: folio does not "repair" a file it does not understand */
	{
		size_t len;
		char *now = test_read(f->db, &len);
		assert_int_equal(len, sizeof(garbage));
		assert_memory_equal(now, garbage, len);
		free(now);
	}
}

static void test_open_foreign_sqlite_db(void **state)
{
	fx *f = *state;
	folio_site *s = NULL;
	sqlite3 *db;
	folio_site_free(f->site);
	f->site = NULL;
	unlink(f->db);
	db = NULL;
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	raw_exec(db, "CREATE TABLE recipes(name TEXT); INSERT INTO recipes VALUES ('soup');");
	sqlite3_close(db);

	assert_rc(folio_site_open(&s, f->dir), FOLIO_EINVALID);
	assert_null(s);
	assert_msg("folio.db");

	/* the foreign database was not migrated into a folio one */
	db = raw_open(f->db);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), 0);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'person'"), 0);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM recipes"), 1);
	sqlite3_close(db);
}

static void test_open_newer_schema(void **state)
{
	fx *f = *state;
	folio_site *s = NULL;
	folio_site_free(f->site);
	f->site = NULL;
	db_file_exec(f->db, "PRAGMA user_version = 99");
	assert_rc(folio_site_open(&s, f->dir), FOLIO_EINVALID);
	assert_null(s);
	assert_msg("newer");
	/* left alone */
	{
		sqlite3 *db = raw_open(f->db);
		assert_int_equal(raw_int(db, "PRAGMA user_version"), 99);
		sqlite3_close(db);
	}
}

static void test_open_sets_wal_and_foreign_keys(void **state)
{
	fx *f = *state;
	sqlite3 *db = f->site->db;
	char *mode = raw_text(db, "PRAGMA journal_mode");
	assert_non_null(mode);
	assert_string_equal(mode, "wal");
	free(mode);
	assert_int_equal(raw_int(db, "PRAGMA foreign_keys"), 1);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), FOLIO_SCHEMA_VERSION);
	assert_int_equal(raw_int(db, "PRAGMA application_id"), 1179601993);
}

/* ------------------------------------------------------------ migration */

static void test_migrate_from_v1(void **state)
{
	fx *f = *state;
	char *old = pjoin(f->box, "v1.db"), *wal = NULL, *shm = NULL;
	sqlite3 *db;
	folio_person p;
	folio_school *schools = NULL;
	size_t n = 0;

	/* a database exactly as folio schema version 1 left it */
	assert_ok(folio_site__migrate_file(old, 1));
	db = raw_open(old);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), 1);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'person'"), 1);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'blob_cache'"), 0);
	raw_exec(db,
		"PRAGMA application_id = 1179601993;"
		"INSERT INTO school(id, name, phase) VALUES ('brook', 'Brookfield Primary', 'primary');"
		"INSERT INTO person(id, name, email, school, login, created)"
		"  VALUES ('olive', 'Olive Old', 'olive@example.org', 'brook', 'olive-login', '2020-01-01T00:00:00Z');"
		"INSERT INTO person_role(person, role) VALUES ('olive', 'admin');");
	sqlite3_close(db);

	/* put it in place of the site's database */
	folio_site_free(f->site);
	f->site = NULL;
	wal = pjoin(f->dir, "folio.db-wal");
	shm = pjoin(f->dir, "folio.db-shm");
	unlink(wal);
	unlink(shm);
	assert_int_equal(rename(old, f->db), 0);

	assert_ok(folio_site_open(&f->site, f->dir));
	assert_ok(folio_site_act(f->site, "olive-login", NULL));
	assert_non_null(folio_site_actor(f->site));
	assert_string_equal(folio_site_actor(f->site), "olive");
	assert_ok(folio_person_get(&p, f->site, "olive"));
	assert_string_equal(p.name, "Olive Old");
	assert_string_equal(p.school, "brook");
	assert_int_equal(p.roles, FOLIO_ROLE_ADMIN);
	folio_person_clear(&p);
	assert_ok(folio_school_list(&schools, &n, f->site));
	assert_int_equal(n, 1);
	assert_string_equal(schools[0].name, "Brookfield Primary");
	folio_schools_free(schools, n);

	db = f->site->db;
	assert_int_equal(raw_int(db, "PRAGMA user_version"), FOLIO_SCHEMA_VERSION);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
		" ('blob_cache', 'portfolio_index', 'portfolio_blob')"), 3);

	/* the migrated site is usable: a change and the index over it */
	{
		folio_school s = { (char *)"river", (char *)"Riverside Academy", FOLIO_PHASE_SECONDARY };
		folio_index_stats stats;
		assert_ok(folio_school_add(f->site, &s));
		assert_ok(folio_index_update(f->site, NULL, 0, &stats, NULL, NULL));
		assert_int_equal(stats.portfolios, 0);
		assert_ok(folio_audit_verify(f->site));
	}
	folio_site_free(f->site);
	f->site = NULL;
	db = raw_open(f->db);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), FOLIO_SCHEMA_VERSION);
	sqlite3_close(db);
	free(old);
	free(wal);
	free(shm);
}

/* ------------------------------------------------------------ identity */

static void test_unbound_login(void **state)
{
	fx *f = *state;
	folio_school s = { (char *)"brook", (char *)"Brookfield", FOLIO_PHASE_PRIMARY };
	folio_school *list = NULL;
	folio_audit_row *rows = NULL;
	size_t n = 0, nr = 0;

	assert_ok(folio_site_act(f->site, "stranger", NULL));
	assert_null(folio_site_actor(f->site));
	assert_null(folio_site_real_actor(f->site));
	assert_rc(folio_school_add(f->site, &s), FOLIO_EDENIED);
	assert_msg("stranger");
	assert_msg("add schools");

	/* nor may it read the site's lists */
	assert_rc(folio_school_list(&list, &n, f->site), FOLIO_EDENIED);
	assert_msg("may not list schools");
	last_audit(f->site, &rows, &nr);
	assert_string_equal(rows[nr - 1].action, "denied");
	assert_null(rows[nr - 1].actor);
	assert_has(rows[nr - 1].detail, "stranger");
	folio_audit_rows_free(rows, nr);
	assert_ok(folio_site_act(f->site, ADMIN_LOGIN, NULL));
	assert_ok(folio_school_list(&list, &n, f->site));
	assert_int_equal(n, 0);
	folio_schools_free(list, n);

	/* an empty login is bound to nobody either */
	assert_ok(folio_site_act(f->site, "", NULL));
	assert_null(folio_site_actor(f->site));
	assert_rc(folio_school_add(f->site, &s), FOLIO_EDENIED);
}

static void test_act_as_by_admin(void **state)
{
	fx *f = *state;
	folio_audit_row *rows = NULL;
	size_t nr = 0;
	folio_school s = { (char *)"brook", (char *)"Brookfield", FOLIO_PHASE_PRIMARY };

	add_person(f->site, "ann", "ann-login", FOLIO_ROLE_MENTOR);
	assert_ok(folio_site_act(f->site, ADMIN_LOGIN, "ann"));
	assert_non_null(folio_site_actor(f->site));
	assert_string_equal(folio_site_actor(f->site), "ann");
	assert_non_null(folio_site_real_actor(f->site));
	assert_string_equal(folio_site_real_actor(f->site), "adm");

	/* acting as ann: ann's rights, recorded as ann by adm */
	assert_ok(folio_portfolio_create(f->site, "ann", "QMS"));
	last_audit(f->site, &rows, &nr);
	assert_string_equal(rows[nr - 1].action, "portfolio.create");
	assert_string_equal(rows[nr - 1].actor, "ann");
	assert_non_null(rows[nr - 1].real);
	assert_string_equal(rows[nr - 1].real, "adm");
	folio_audit_rows_free(rows, nr);

	assert_rc(folio_school_add(f->site, &s), FOLIO_EDENIED);
	assert_msg("person 'ann'");
	last_audit(f->site, &rows, &nr);
	assert_string_equal(rows[nr - 1].action, "denied");
	assert_string_equal(rows[nr - 1].actor, "ann");
	assert_non_null(rows[nr - 1].real);
	assert_string_equal(rows[nr - 1].real, "adm");
	folio_audit_rows_free(rows, nr);

	/* back to themself */
	assert_ok(folio_site_act(f->site, ADMIN_LOGIN, NULL));
	assert_string_equal(folio_site_actor(f->site), "adm");
	assert_null(folio_site_real_actor(f->site));
	assert_ok(folio_audit_verify(f->site));
}

static void test_act_as_by_non_admin(void **state)
{
	fx *f = *state;
	folio_audit_row *rows = NULL;
	size_t nr = 0, before;

	add_person(f->site, "ann", "ann-login", FOLIO_ROLE_MENTOR | FOLIO_ROLE_REVIEWER | FOLIO_ROLE_LEAD);
	before = audit_count(f->site);
	assert_rc(folio_site_act(f->site, "ann-login", "adm"), FOLIO_EDENIED);
	assert_msg("person 'ann'");
	assert_msg("adm");
	assert_msg("admin");
	/* not left acting as the admin */
	assert_true(folio_site_actor(f->site) == NULL || strcmp(folio_site_actor(f->site), "adm") != 0);
	{
		folio_school s = { (char *)"brook", (char *)"Brookfield", FOLIO_PHASE_PRIMARY };
		assert_rc(folio_school_add(f->site, &s), FOLIO_EDENIED);
	}
	last_audit(f->site, &rows, &nr);
	assert_int_equal(nr, before + 2);
	assert_string_equal(rows[before].action, "denied");
	assert_string_equal(rows[before].actor, "ann");
	assert_has(rows[before].detail, "adm");
	folio_audit_rows_free(rows, nr);
}

static void test_act_as_unknown_person(void **state)
{
	fx *f = *state;
	assert_rc(folio_site_act(f->site, ADMIN_LOGIN, "ghost"), FOLIO_ENOTFOUND);
	assert_msg("ghost");
	assert_true(folio_site_actor(f->site) == NULL || strcmp(folio_site_actor(f->site), "ghost") != 0);
}

/* ------------------------------------------------------------ audit */

static void audit_scenario(folio_site *site)
{
	folio_school s = { (char *)"brook", (char *)"Brookfield", FOLIO_PHASE_PRIMARY };
	assert_ok(folio_school_add(site, &s));                        /* row 2 */
	add_person(site, "ann", "ann-login", FOLIO_ROLE_MENTOR);      /* row 3 */
	add_person(site, "bob", NULL, FOLIO_ROLE_REVIEWER);           /* row 4 */
	assert_ok(folio_conflict_add(site, "bob", "ann", "line manager")); /* row 5 */
}

static void test_audit_rows(void **state)
{
	fx *f = *state;
	static const char *const actions[] = { "site.init", "school.add", "person.add", "person.add", "conflict.add" };
	static const char *const objects[] = { NULL, "school:brook", "person:ann", "person:bob", "conflict:ann/bob" };
	folio_audit_row *rows = NULL;
	size_t n = 0;

	audit_scenario(f->site);
	assert_ok(folio_audit_list(&rows, &n, f->site));
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(rows[i].seq, (long long)i + 1);
		assert_string_equal(rows[i].action, actions[i]);
		if (objects[i]) {
			assert_non_null(rows[i].object);
			assert_string_equal(rows[i].object, objects[i]);
		}
		assert_non_null(rows[i].actor);
		assert_string_equal(rows[i].actor, "adm");
		assert_null(rows[i].real);
		assert_non_null(rows[i].time);
		assert_int_equal(strlen(rows[i].time), 20); /* 2026-11-23T08:34:50Z */
		assert_int_equal(strlen(rows[i].hash), 64);
		if (i)
			assert_string_not_equal(rows[i].hash, rows[i - 1].hash);
	}
	assert_has(rows[4].detail, "line manager");
	folio_audit_rows_free(rows, n);
	assert_ok(folio_audit_verify(f->site));

	/* a failed change appends nothing */
	{
		folio_school dup = { (char *)"brook", (char *)"Again", FOLIO_PHASE_PRIMARY };
		assert_rc(folio_school_add(f->site, &dup), FOLIO_EEXISTS);
		assert_int_equal(audit_count(f->site), 5);
	}
}

static void test_audit_edited_row(void **state)
{
	fx *f = *state;
	audit_scenario(f->site);
	folio_site_free(f->site);
	f->site = NULL;
	db_file_exec(f->db, "UPDATE audit SET detail = 'nothing to see' WHERE seq = 3");
	reopen(f, ADMIN_LOGIN);
	assert_rc(folio_audit_verify(f->site), FOLIO_EINVALID);
	assert_msg("row 3");
}

static void test_audit_edited_actor(void **state)
{
	fx *f = *state;
	audit_scenario(f->site);
	folio_site_free(f->site);
	f->site = NULL;
	db_file_exec(f->db, "UPDATE audit SET actor = 'ann' WHERE seq = 4");
	reopen(f, ADMIN_LOGIN);
	assert_rc(folio_audit_verify(f->site), FOLIO_EINVALID);
	assert_msg("row 4");
}

static void test_audit_deleted_middle_row(void **state)
{
	fx *f = *state;
	audit_scenario(f->site);
	folio_site_free(f->site);
	f->site = NULL;
	db_file_exec(f->db, "DELETE FROM audit WHERE seq = 3");
	reopen(f, ADMIN_LOGIN);
	assert_rc(folio_audit_verify(f->site), FOLIO_EINVALID);
	assert_msg("row 3");
}

static void test_audit_deleted_and_renumbered(void **state)
{
	fx *f = *state;
	audit_scenario(f->site);
	folio_site_free(f->site);
	f->site = NULL;
	/* hide the gap: the chain of hashes still gives it away */
	db_file_exec(f->db, "DELETE FROM audit WHERE seq = 3; UPDATE audit SET seq = seq - 1 WHERE seq > 3");
	reopen(f, ADMIN_LOGIN);
	assert_rc(folio_audit_verify(f->site), FOLIO_EINVALID);
	assert_msg("row 3");
}

/* ------------------------------------------------------------ permissions */

enum action {
	A_SCHOOL_ADD,
	A_PERSON_ADD,
	A_CONFLICT_ADD,
	A_PERSON_IMPORT,
	A_CREATE_SELF,
	A_CREATE_OTHER,
	A_ENTRY_OWN,
	A_ENTRY_OTHER,
	A_COVERAGE_OWN,
	A_COVERAGE_OTHER,
	A_INDEX_REBUILD
};

/* What the denial message must name for each action. */
static const char *const action_words[] = {
	[A_SCHOOL_ADD] = "add schools",
	[A_PERSON_ADD] = "add people",
	[A_CONFLICT_ADD] = "declare conflicts",
	[A_PERSON_IMPORT] = "import people",
	[A_CREATE_SELF] = "create a portfolio for 'actor'",
	[A_CREATE_OTHER] = "create a portfolio for 'fresh'",
	[A_ENTRY_OWN] = "add entries to the portfolio of 'actor'",
	[A_ENTRY_OTHER] = "add entries to the portfolio of 'other'",
	[A_COVERAGE_OWN] = "read the evidence of 'actor'",
	[A_COVERAGE_OTHER] = "read the evidence of 'other'",
	[A_INDEX_REBUILD] = "rebuild the evidence index",
};

#define M FOLIO_ROLE_MENTOR
#define R FOLIO_ROLE_REVIEWER
#define L FOLIO_ROLE_LEAD
#define A FOLIO_ROLE_ADMIN

typedef struct {
	unsigned roles;
	enum action action;
	int allow;
	const char *rule; /* for a denial: the missing role or the rule, as the message gives it */
} perm_case;

static const perm_case perm_cases[] = {
	/* mentor */
	{ M, A_SCHOOL_ADD, 0, "needs role admin" },
	{ M, A_PERSON_ADD, 0, "needs role admin" },
	{ M, A_CONFLICT_ADD, 0, "needs role admin" },
	{ M, A_PERSON_IMPORT, 0, "needs role admin" },
	{ M, A_CREATE_SELF, 1, NULL },
	{ M, A_CREATE_OTHER, 0, "only 'fresh' or a person with role admin" },
	{ M, A_ENTRY_OWN, 1, NULL },
	{ M, A_ENTRY_OTHER, 0, "only 'other'" },
	{ M, A_COVERAGE_OWN, 1, NULL },
	{ M, A_COVERAGE_OTHER, 0, "only 'other' or a person with role reviewer or lead or admin" },
	{ M, A_INDEX_REBUILD, 0, "needs role admin" },
	/* reviewer */
	{ R, A_SCHOOL_ADD, 0, "needs role admin" },
	{ R, A_PERSON_ADD, 0, "needs role admin" },
	{ R, A_CONFLICT_ADD, 0, "needs role admin" },
	{ R, A_PERSON_IMPORT, 0, "needs role admin" },
	{ R, A_CREATE_OTHER, 0, "only 'fresh' or a person with role admin" },
	{ R, A_ENTRY_OTHER, 0, "only 'other'" },
	{ R, A_COVERAGE_OTHER, 1, NULL },
	{ R, A_INDEX_REBUILD, 0, "needs role admin" },
	/* lead */
	{ L, A_SCHOOL_ADD, 0, "needs role admin" },
	{ L, A_PERSON_ADD, 0, "needs role admin" },
	{ L, A_CONFLICT_ADD, 0, "needs role admin" },
	{ L, A_PERSON_IMPORT, 0, "needs role admin" },
	{ L, A_CREATE_OTHER, 0, "only 'fresh' or a person with role admin" },
	{ L, A_ENTRY_OTHER, 0, "only 'other'" },
	{ L, A_COVERAGE_OTHER, 1, NULL },
	{ L, A_INDEX_REBUILD, 0, "needs role admin" },
	/* admin */
	{ A, A_SCHOOL_ADD, 1, NULL },
	{ A, A_PERSON_ADD, 1, NULL },
	{ A, A_CONFLICT_ADD, 1, NULL },
	{ A, A_PERSON_IMPORT, 1, NULL },
	{ A, A_CREATE_OTHER, 1, NULL },
	{ A, A_ENTRY_OTHER, 0, "only 'other'" },
	{ A, A_COVERAGE_OTHER, 1, NULL },
	{ A, A_INDEX_REBUILD, 1, NULL },
	/* several roles */
	{ M | R, A_SCHOOL_ADD, 0, "needs role admin" },
	{ M | R, A_ENTRY_OTHER, 0, "only 'other'" },
	{ M | R, A_COVERAGE_OTHER, 1, NULL },
	{ M | L, A_INDEX_REBUILD, 0, "needs role admin" },
	{ M | A, A_CREATE_SELF, 1, NULL },
	{ M | A, A_ENTRY_OWN, 1, NULL },
	{ M | A, A_COVERAGE_OWN, 1, NULL },
};

#undef M
#undef R
#undef L
#undef A

static const char *const counted_tables[] = {
	"school", "person", "person_role", "conflict", "portfolio", "audit", "portfolio_index", "portfolio_blob"
};
#define NTABLES (sizeof(counted_tables) / sizeof(counted_tables[0]))

static void table_counts(const char *dbpath, long long out[NTABLES])
{
	sqlite3 *db = raw_open(dbpath);
	for (size_t i = 0; i < NTABLES; i++) {
		char sql[128];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", counted_tables[i]);
		out[i] = raw_int(db, sql);
	}
	sqlite3_close(db);
}

static void main_tip(char out[41], folio_site *site, const char *mentor)
{
	folio_portfolio p;
	out[0] = '\0';
	if (folio_portfolio_get(&p, site, mentor) == 0) {
		memcpy(out, p.commit, 41);
		folio_portfolio_clear(&p);
	}
	folio_error_clear();
}

static void add_entry_as(folio_site *site, const char *login, const char *mentor, const char *text)
{
	folio_entry_options o = { "A day", "2025-09-17" };
	char commit[41];
	assert_ok(folio_site_act(site, login, NULL));
	assert_ok(folio_entry_add(site, mentor, text, strlen(text), &o, NULL, commit));
}

static int run_action(folio_site *site, enum action a)
{
	static const char text[] = "We planned the next lesson together. #S2\n";
	static const char csv[] = "id,name,email,roles\nnewbie,New Bie,newbie@example.org,mentor\n";
	folio_entry_options eo = { "Another day", "2025-10-01" };
	char commit[41];
	switch (a) {
	case A_SCHOOL_ADD: {
		folio_school s = { (char *)"river", (char *)"Riverside Academy", FOLIO_PHASE_SECONDARY };
		return folio_school_add(site, &s);
	}
	case A_PERSON_ADD: {
		folio_person p = { 0 };
		p.id = (char *)"newbie";
		p.name = (char *)"New Bie";
		p.email = (char *)"newbie@example.org";
		p.roles = FOLIO_ROLE_MENTOR;
		return folio_person_add(site, &p);
	}
	case A_CONFLICT_ADD:
		return folio_conflict_add(site, "other", "fresh", "same household");
	case A_PERSON_IMPORT: {
		size_t count = 0;
		return folio_person_import_csv(site, "people.csv", csv, strlen(csv), &count);
	}
	case A_CREATE_SELF:
		return folio_portfolio_create(site, "actor", "QMS");
	case A_CREATE_OTHER:
		return folio_portfolio_create(site, "fresh", "QMS");
	case A_ENTRY_OWN:
		return folio_entry_add(site, "actor", text, strlen(text), &eo, NULL, commit);
	case A_ENTRY_OTHER:
		return folio_entry_add(site, "other", text, strlen(text), &eo, NULL, commit);
	case A_COVERAGE_OWN:
	case A_COVERAGE_OTHER: {
		folio_coverage *cov = NULL;
		int rc = folio_coverage_get(&cov, site, a == A_COVERAGE_OWN ? "actor" : "other", NULL);
		if (rc == 0 && (!cov || cov->nentries != 1))
			fail_msg("coverage read but with %zu entries", cov ? cov->nentries : (size_t)0);
		folio_coverage_free(cov);
		return rc;
	}
	case A_INDEX_REBUILD: {
		folio_index_stats st;
		return folio_index_rebuild(site, &st, NULL, NULL);
	}
	}
	return -99;
}

/* The case being run, so that a failing case's sandbox is still removed (perm_teardown). */
static struct {
	char *box;
	folio_site *site;
} perm_live;

static int perm_teardown(void **state)
{
	(void)state;
	folio_site_free(perm_live.site);
	if (perm_live.box)
		test_rmdir(perm_live.box);
	free(perm_live.box);
	memset(&perm_live, 0, sizeof(perm_live));
	return 0;
}

static void run_perm_case(const perm_case *c)
{
	char *box = test_tmpdir("perm"), *dir = pjoin(box, "site"), *db = pjoin(dir, "folio.db");
	char *pdir = pjoin(dir, "portfolios");
	folio_site *site = NULL;
	perm_live.box = box;
	long long before[NTABLES], after[NTABLES];
	char tip_before[41], tip_after[41];
	size_t repos_before;
	int rc;

	/* the same small world for every case */
	assert_ok(make_site(dir, ADMIN_LOGIN));
	assert_ok(folio_site_open(&site, dir));
	perm_live.site = site;
	assert_ok(folio_site_act(site, ADMIN_LOGIN, NULL));
	{
		folio_school s = { (char *)"brook", (char *)"Brookfield Primary", FOLIO_PHASE_PRIMARY };
		assert_ok(folio_school_add(site, &s));
	}
	add_person(site, "other", "other-login", FOLIO_ROLE_MENTOR);
	add_person(site, "fresh", NULL, FOLIO_ROLE_MENTOR);
	add_person(site, "actor", "actor-login", c->roles);
	assert_ok(folio_portfolio_create(site, "other", "QMS"));
	add_entry_as(site, "other-login", "other", "I met my trainee. #S1\n");
	if ((c->roles & FOLIO_ROLE_MENTOR) && c->action != A_CREATE_SELF) {
		assert_ok(folio_site_act(site, ADMIN_LOGIN, NULL));
		assert_ok(folio_portfolio_create(site, "actor", "QMS"));
		add_entry_as(site, "actor-login", "actor", "I met my own trainee. #S1\n");
	}
	assert_ok(folio_site_act(site, "actor-login", NULL));
	assert_string_equal(folio_site_actor(site), "actor");

	table_counts(db, before);
	main_tip(tip_before, site, "other");
	repos_before = dir_count(pdir);
	folio_error_clear();

	rc = run_action(site, c->action);
	char *msg = strdup(folio_error_last());

	table_counts(db, after);
	main_tip(tip_after, site, "other");
	if (c->allow) {
		if (rc != 0)
			fail_msg("roles %#x, action '%s': expected allowed, got %d: %s", c->roles,
				action_words[c->action], rc, msg);
		/* no refusal recorded */
		folio_audit_row *rows = NULL;
		size_t n = 0;
		assert_ok(folio_audit_list(&rows, &n, site));
		assert_string_not_equal(rows[n - 1].action, "denied");
		folio_audit_rows_free(rows, n);
	} else {
		if (rc != FOLIO_EDENIED)
			fail_msg("roles %#x, action '%s': expected FOLIO_EDENIED, got %d: %s", c->roles,
				action_words[c->action], rc, msg);
		assert_has(msg, "person 'actor'");
		assert_has(msg, action_words[c->action]);
		assert_has(msg, c->rule);
		/* exactly one more audit row, the refusal; nothing else changed */
		for (size_t i = 0; i < NTABLES; i++) {
			long long want = before[i] + (strcmp(counted_tables[i], "audit") == 0);
			if (after[i] != want)
				fail_msg("roles %#x, action '%s': table %s had %lld rows, now %lld (expected %lld)",
					c->roles, action_words[c->action], counted_tables[i], before[i], after[i], want);
		}
		folio_audit_row *rows = NULL;
		size_t n = 0;
		assert_ok(folio_audit_list(&rows, &n, site));
		assert_string_equal(rows[n - 1].action, "denied");
		assert_non_null(rows[n - 1].actor);
		assert_string_equal(rows[n - 1].actor, "actor");
		assert_has(rows[n - 1].detail, action_words[c->action]);
		folio_audit_rows_free(rows, n);
		assert_string_equal(tip_before, tip_after);
		assert_int_equal(dir_count(pdir), repos_before);
	}
	assert_ok(folio_audit_verify(site));

	free(msg);
	perm_teardown(NULL);
	free(dir);
	free(db);
	free(pdir);
}

static void test_permission_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(perm_cases) / sizeof(perm_cases[0]); i++)
		run_perm_case(&perm_cases[i]);
}

/* Each action in the table must be refused to an unbound login too, naming the login. */
static void test_permission_unbound_login(void **state)
{
	fx *f = *state;
	add_person(f->site, "other", "other-login", FOLIO_ROLE_MENTOR);
	add_person(f->site, "fresh", NULL, FOLIO_ROLE_MENTOR);
	assert_ok(folio_portfolio_create(f->site, "other", "QMS"));
	add_entry_as(f->site, "other-login", "other", "I met my trainee. #S1\n");
	assert_ok(folio_site_act(f->site, "nobody-login", NULL));
	static const enum action acts[] = { A_SCHOOL_ADD, A_PERSON_ADD, A_CONFLICT_ADD, A_PERSON_IMPORT,
		A_CREATE_OTHER, A_ENTRY_OTHER, A_COVERAGE_OTHER, A_INDEX_REBUILD };
	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		size_t before = audit_count(f->site);
		int rc = run_action(f->site, acts[i]);
		if (rc != FOLIO_EDENIED)
			fail_msg("unbound login, action '%s': expected FOLIO_EDENIED, got %d: %s",
				action_words[acts[i]], rc, folio_error_last());
		assert_msg("nobody-login");
		assert_msg(action_words[acts[i]]);
		assert_int_equal(audit_count(f->site), before + 1);
	}
	/* the index itself is for bound people only */
	{
		folio_index_stats st;
		assert_rc(folio_index_update(f->site, NULL, 0, &st, NULL, NULL), FOLIO_EDENIED);
		assert_msg("nobody-login");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_creates_site, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_default_admin_id_from_login, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_on_existing_site, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_bad_standards_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_missing_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_dir_without_db, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_corrupt_db, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_foreign_sqlite_db, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_sets_wal_and_foreign_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unbound_login, setup, teardown),
		cmocka_unit_test_setup_teardown(test_act_as_by_admin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_act_as_by_non_admin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_act_as_unknown_person, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_edited_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_edited_actor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_deleted_middle_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_deleted_and_renumbered, setup, teardown),
		cmocka_unit_test_teardown(test_permission_table, perm_teardown),
		cmocka_unit_test_setup_teardown(test_permission_unbound_login, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
