/* engine/site.c: creating and opening sites, the versioned schema, identity, permissions and the audit log. */
#include "site_internal.h"
#include "util.h"
#include "folio/people.h"
#include "folio/evidence.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef FOLIO_STANDARDS_DIR
#define FOLIO_STANDARDS_DIR "standards"
#endif

#define FOLIO_APPLICATION_ID 0x464f4c49 /* "FOLI" */

/* ------------------------------------------------------------ schema */

/*
 * Migrations, applied in order, each in its own transaction, forward only.
 * migrations[i] takes the schema from version i to i + 1. Never edit one that
 * has shipped: add a new one.
 */
static const char *const migrations[] = {
	/* 0 -> 1: people, schools, portfolios, audit */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE school("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL,"
	"  phase TEXT NOT NULL CHECK (phase IN ('primary','secondary','all-through')));"
	"CREATE TABLE person("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT,"
	"  school TEXT REFERENCES school(id), login TEXT UNIQUE,"
	"  lead TEXT REFERENCES person(id), created TEXT NOT NULL);"
	"CREATE TABLE person_role("
	"  person TEXT NOT NULL REFERENCES person(id) ON DELETE CASCADE,"
	"  role TEXT NOT NULL CHECK (role IN ('mentor','reviewer','lead','admin')),"
	"  PRIMARY KEY (person, role));"
	"CREATE TABLE conflict("
	"  a TEXT NOT NULL REFERENCES person(id), b TEXT NOT NULL REFERENCES person(id),"
	"  reason TEXT NOT NULL, created TEXT NOT NULL, created_by TEXT,"
	"  PRIMARY KEY (a, b), CHECK (a < b));"
	"CREATE TABLE portfolio("
	"  mentor TEXT PRIMARY KEY REFERENCES person(id),"
	"  qualification TEXT NOT NULL, created TEXT NOT NULL);"
	"CREATE TABLE audit("
	"  seq INTEGER PRIMARY KEY, time TEXT NOT NULL, actor TEXT, real_actor TEXT,"
	"  action TEXT NOT NULL, object TEXT, detail TEXT, hash TEXT NOT NULL);",

	/* 1 -> 2: the evidence cache, keyed by git blob id */
	"CREATE TABLE blob_cache(oid TEXT PRIMARY KEY, data TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE portfolio_index("
	"  mentor TEXT PRIMARY KEY REFERENCES portfolio(mentor) ON DELETE CASCADE,"
	"  commit_id TEXT NOT NULL);"
	"CREATE TABLE portfolio_blob("
	"  mentor TEXT NOT NULL REFERENCES portfolio_index(mentor) ON DELETE CASCADE,"
	"  path TEXT NOT NULL, oid TEXT NOT NULL, PRIMARY KEY (mentor, path)) WITHOUT ROWID;"
	"INSERT OR REPLACE INTO meta(key, value) VALUES ('cache_framework', '');",

	/* 2 -> 3: the review workflow: panels, submissions, reviews, feedback, certificates */
	"ALTER TABLE audit ADD COLUMN from_state TEXT;"
	"ALTER TABLE audit ADD COLUMN to_state TEXT;"
	"ALTER TABLE audit ADD COLUMN commit_id TEXT;"
	"CREATE TABLE panel("
	"  id TEXT PRIMARY KEY, year INTEGER NOT NULL,"
	"  term TEXT NOT NULL CHECK (term IN ('autumn','spring','summer')),"
	"  date TEXT NOT NULL, deadline TEXT NOT NULL CHECK (deadline < date),"
	"  state TEXT NOT NULL DEFAULT 'open'"
	"    CHECK (state IN ('open','assigned','in-session','concluded')),"
	"  chair TEXT REFERENCES person(id), UNIQUE (year, term));"
	"CREATE TABLE availability("
	"  panel TEXT NOT NULL REFERENCES panel(id), person TEXT NOT NULL REFERENCES person(id),"
	"  capacity INTEGER NOT NULL CHECK (capacity >= 0), PRIMARY KEY (panel, person));"
	"CREATE TABLE exemption("
	"  mentor TEXT PRIMARY KEY REFERENCES person(id), qualification TEXT NOT NULL,"
	"  reason TEXT NOT NULL, created TEXT NOT NULL, created_by TEXT);"
	"CREATE TABLE submission("
	"  id INTEGER PRIMARY KEY, mentor TEXT NOT NULL REFERENCES portfolio(mentor),"
	"  qualification TEXT NOT NULL, panel TEXT NOT NULL REFERENCES panel(id),"
	"  commit_id TEXT NOT NULL, previous INTEGER REFERENCES submission(id),"
	"  state TEXT NOT NULL CHECK (state IN ('submitted','in-review','recommended',"
	"    'further-evidence','certified','revoked','withdrawn')),"
	"  outcome TEXT CHECK (outcome IN ('recommended','further-evidence')),"
	"  approved_by TEXT REFERENCES person(id), approved TEXT, created TEXT NOT NULL);"
	"CREATE INDEX submission_mentor ON submission(mentor);"
	"CREATE INDEX submission_panel ON submission(panel);"
	"CREATE TABLE submission_history("
	"  submission INTEGER NOT NULL REFERENCES submission(id), seq INTEGER NOT NULL,"
	"  from_state TEXT, to_state TEXT NOT NULL, actor TEXT, time TEXT NOT NULL, note TEXT,"
	"  PRIMARY KEY (submission, seq));"
	"CREATE TABLE assignment("
	"  submission INTEGER NOT NULL REFERENCES submission(id),"
	"  reviewer TEXT NOT NULL REFERENCES person(id), done TEXT,"
	"  PRIMARY KEY (submission, reviewer));"
	"CREATE TABLE judgement("
	"  submission INTEGER NOT NULL, reviewer TEXT NOT NULL, standard TEXT NOT NULL,"
	"  judgement TEXT NOT NULL CHECK (judgement IN ('met','more-evidence')),"
	"  comment TEXT, time TEXT NOT NULL, PRIMARY KEY (submission, reviewer, standard),"
	"  FOREIGN KEY (submission, reviewer) REFERENCES assignment(submission, reviewer));"
	"CREATE TABLE moderation("
	"  submission INTEGER NOT NULL REFERENCES submission(id), standard TEXT NOT NULL,"
	"  judgement TEXT NOT NULL CHECK (judgement IN ('met','more-evidence')),"
	"  chair TEXT NOT NULL REFERENCES person(id), comment TEXT, time TEXT NOT NULL,"
	"  PRIMARY KEY (submission, standard));"
	"CREATE TABLE feedback("
	"  mentor TEXT NOT NULL REFERENCES person(id), number INTEGER NOT NULL,"
	"  submission INTEGER NOT NULL REFERENCES submission(id), standard TEXT NOT NULL,"
	"  text TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'open'"
	"    CHECK (status IN ('open','addressed','accepted')),"
	"  note TEXT, addressed_commit TEXT, accepted_by INTEGER REFERENCES submission(id),"
	"  PRIMARY KEY (mentor, number));"
	"CREATE TABLE certificate("
	"  number TEXT PRIMARY KEY, submission INTEGER NOT NULL UNIQUE REFERENCES submission(id),"
	"  holder TEXT NOT NULL REFERENCES person(id), qualification TEXT NOT NULL,"
	"  issued TEXT NOT NULL, panel TEXT NOT NULL, approved_by TEXT NOT NULL,"
	"  commit_id TEXT NOT NULL, assertion TEXT NOT NULL,"
	"  revoked TEXT, revoked_reason TEXT);",
	/* 3 -> 4: the audit log is asked about one action on one object (a certificate's issue, a
	 * portfolio's removal) when certifying and restoring: an index, not a scan of the whole log */
	"CREATE INDEX audit_action_object ON audit(action, object);",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == FOLIO_SCHEMA_VERSION,
	"one migration per schema version");

static int db_error_raw(sqlite3 *db, const char *path, const char *what)
{
	int rc = sqlite3_extended_errcode(db);
	int code = FOLIO_ERROR;
	if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT)
		code = FOLIO_EINVALID;
	else if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		code = FOLIO_ECONFLICT;
	else if ((rc & 0xff) == SQLITE_CONSTRAINT)
		code = FOLIO_EINVALID;
	return folio_error_set(code, "%s in '%s': %s", what, path, sqlite3_errmsg(db));
}

int folio_db_error(folio_site *site, const char *what)
{
	return db_error_raw(site->db, site->db_path, what);
}

int folio_db_prepare(folio_site *site, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(site->db, sql, -1, st, NULL) != SQLITE_OK)
		return folio_db_error(site, "cannot read the site database");
	return 0;
}

int folio_db_cached(folio_site *site, sqlite3_stmt **st, const char *sql)
{
	struct folio_cached_stmt *free_slot = NULL;
	*st = NULL;
	for (size_t i = 0; i < FOLIO_STMT_CACHE; i++) {
		struct folio_cached_stmt *c = &site->stmts[i];
		if (!c->st) {
			if (!free_slot)
				free_slot = c;
		} else if (c->sql == sql || strcmp(c->sql, sql) == 0) {
			if (c->busy)
				return folio_db_prepare(site, st, sql); /* in use further up: one of its own */
			c->busy = 1;
			*st = c->st;
			return 0;
		}
	}
	if (!free_slot)
		return folio_db_prepare(site, st, sql);
	if (sqlite3_prepare_v3(site->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return folio_db_error(site, "cannot read the site database");
	}
	free_slot->sql = sql;
	free_slot->st = *st;
	free_slot->busy = 1;
	return 0;
}

void folio_db_release(folio_site *site, sqlite3_stmt *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < FOLIO_STMT_CACHE; i++)
		if (site->stmts[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			site->stmts[i].busy = 0;
			return;
		}
	sqlite3_finalize(st);
}

int folio_db_exec(folio_site *site, const char *sql)
{
	if (sqlite3_exec(site->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return folio_db_error(site, "database error");
	return 0;
}

int folio_tx_begin(folio_site *site)
{
	return folio_db_exec(site, "BEGIN IMMEDIATE");
}

int folio_tx_commit(folio_site *site)
{
	folio_crashpoint("tx.commit:before");
	if (sqlite3_exec(site->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		int error = folio_db_error(site, "cannot commit to the site database");
		folio_tx_rollback(site);
		return error;
	}
	folio_crashpoint("tx.commit:after");
	return 0;
}

void folio_tx_rollback(folio_site *site)
{
	if (!sqlite3_get_autocommit(site->db))
		sqlite3_exec(site->db, "ROLLBACK", NULL, NULL, NULL);
}

int folio_db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

char *folio_db_col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? folio_strdup((const char *)t) : NULL;
}

static int exec_raw(sqlite3 *db, const char *path, const char *sql, const char *what)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_error_raw(db, path, what);
	return 0;
}

static int user_version(sqlite3 *db, const char *path, const char *pragma, long *out)
{
	sqlite3_stmt *st = NULL;
	int error = 0;
	char *sql = folio_asprintf("PRAGMA %s", pragma);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
		error = db_error_raw(db, path, "cannot read the site database");
	else
		*out = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	free(sql);
	return error;
}

/* Bring the schema from its version up to FOLIO_SCHEMA_VERSION (or to `target`, for tests). */
static int migrate(sqlite3 *db, const char *path, long target)
{
	long version = 0;
	int error;

	if ((error = user_version(db, path, "user_version", &version)) < 0)
		return error;
	if (version > FOLIO_SCHEMA_VERSION)
		return folio_error_set(FOLIO_EINVALID,
			"'%s' has schema version %ld, newer than this folio understands (%d): upgrade folio",
			path, version, FOLIO_SCHEMA_VERSION);
	while (version < target) {
		char *bump = folio_asprintf("PRAGMA user_version = %ld", version + 1);
		if ((error = exec_raw(db, path, "BEGIN IMMEDIATE", "cannot migrate")) < 0 ||
		    (error = exec_raw(db, path, migrations[version], "cannot migrate the schema")) < 0 ||
		    (error = exec_raw(db, path, bump, "cannot migrate the schema")) < 0 ||
		    (error = exec_raw(db, path, "COMMIT", "cannot migrate the schema")) < 0) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			free(bump);
			return error;
		}
		free(bump);
		version++;
	}
	return 0;
}

static int db_configure(sqlite3 *db, const char *path)
{
	int error;
	sqlite3_busy_timeout(db, 30000);
	if ((error = exec_raw(db, path, "PRAGMA foreign_keys = ON", "cannot configure")) < 0)
		return error;
	return exec_raw(db, path, "PRAGMA journal_mode = WAL", "cannot open the site database");
}

/* Exposed to the unit tests only (declared there): open a raw db and migrate to `target`. */
int folio_site__migrate_file(const char *db_path, long target);
int folio_site__migrate_file(const char *db_path, long target)
{
	sqlite3 *db = NULL;
	int error = 0;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		error = db_error_raw(db, db_path, "cannot open");
		goto cleanup;
	}
	if ((error = db_configure(db, db_path)) < 0)
		goto cleanup;
	error = migrate(db, db_path, target);
cleanup:
	sqlite3_close(db);
	return error;
}

/* ------------------------------------------------------------ time, ids */

char *folio_now_iso(void)
{
	char buf[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return folio_strdup(buf);
}

void folio_today(char out[11])
{
	/* demos and tests step through a year of panels; see docs/cli.md */
	const char *fixed = getenv("FOLIO_TODAY");
	if (fixed && folio_date_valid(fixed)) {
		memcpy(out, fixed, 11);
		return;
	}
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

int folio_date_valid(const char *s)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1900 || m < 1 || m > 12 || d < 1)
		return 0;
	int max = mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
	return d <= max;
}

int folio_id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n > 64)
		return 0;
	if (!((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= '0' && id[0] <= '9')))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return strstr(id, "..") == NULL;
}

/* ------------------------------------------------------------ init/open */

static char *join(const char *a, const char *b)
{
	return folio_asprintf("%s/%s", a, b);
}

static int copy_file(const char *from, const char *to)
{
	char *data = NULL;
	size_t len = 0;
	int error;
	FILE *f;
	if ((error = folio_read_file(&data, &len, from)) < 0)
		return error;
	f = fopen(to, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		error = folio_error_set(FOLIO_ERROR, "cannot write '%s': %s", to, strerror(errno));
		if (f)
			fclose(f);
	}
	free(data);
	return error;
}

static int mkdir_p1(const char *path)
{
	if (mkdir(path, 0777) < 0 && errno != EEXIST)
		return folio_error_set(FOLIO_ERROR, "cannot create directory '%s': %s", path, strerror(errno));
	return 0;
}

/* mkdir -p: the site directory and any missing parents. */
static int mkdir_parents(const char *path)
{
	char *p = folio_strdup(path);
	int error = 0;
	for (char *s = p + 1; *s && error == 0; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		error = mkdir_p1(p);
		*s = '/';
	}
	if (error == 0)
		error = mkdir_p1(p);
	free(p);
	return error;
}

static int file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

int folio_site_init(const char *dir, const char *login, const folio_init_options *opts)
{
	folio_init_options none = { 0 };
	char *db_path = NULL, *tmp_path = NULL, *pdir = NULL, *sdir = NULL, *from = NULL, *to = NULL;
	char *admin_id = NULL, *admin_name = NULL, *now = NULL;
	folio_framework *fw = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int error = 0;

	if (!opts)
		opts = &none;
	if (!login || !*login)
		return folio_error_set(FOLIO_EINVALID, "cannot tell who is running init: no login name");

	db_path = join(dir, "folio.db");
	if (file_exists(db_path)) {
		error = folio_error_set(FOLIO_EEXISTS, "'%s' is already a folio site", dir);
		goto cleanup;
	}

	/* the first admin: id from the option or the login */
	if (opts->admin_id) {
		admin_id = folio_strdup(opts->admin_id);
	} else {
		admin_id = folio_strdup(login);
		for (char *p = admin_id; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
	}
	if (!folio_id_valid(admin_id)) {
		error = folio_error_set(FOLIO_EINVALID,
			"invalid person id '%s' for the first admin: use lowercase letters, digits, '-', '_' or '.'", admin_id);
		goto cleanup;
	}
	if (opts->admin_email && !folio_email_valid(opts->admin_email)) {
		if (folio_text_valid("the email", opts->admin_email) < 0)
			error = folio_error_set(FOLIO_EINVALID, "invalid email for the first admin: not valid UTF-8 text");
		else
			error = folio_error_set(FOLIO_EINVALID, "invalid email '%s'", opts->admin_email);
		goto cleanup;
	}
	if (opts->admin_name) {
		if ((error = folio_text_valid("the name of the first admin", opts->admin_name)) < 0)
			goto cleanup;
		admin_name = folio_strdup(opts->admin_name);
	} else {
		/* the password database's full name when there is one and it is UTF-8 text, else the login */
		struct passwd *pw = getpwnam(login);
		size_t bad;
		if (pw && pw->pw_gecos && *pw->pw_gecos && *pw->pw_gecos != ',' &&
		    folio_utf8_valid(pw->pw_gecos, strcspn(pw->pw_gecos, ","), &bad))
			admin_name = folio_strndup(pw->pw_gecos, strcspn(pw->pw_gecos, ","));
		else
			admin_name = folio_strdup(login);
	}

	/* the framework must load before anything is written */
	const char *src = opts->standards_dir ? opts->standards_dir : FOLIO_STANDARDS_DIR;
	if ((error = folio_framework_load(&fw, src)) < 0)
		goto cleanup;

	if ((error = mkdir_parents(dir)) < 0)
		goto cleanup;
	pdir = join(dir, "portfolios");
	sdir = join(dir, "standards");
	if ((error = mkdir_p1(pdir)) < 0 || (error = mkdir_p1(sdir)) < 0)
		goto cleanup;
	const char *files[2] = { "qualifications.md", NULL };
	char *fwfile = folio_asprintf("%s.md", folio_framework_id(fw));
	files[1] = fwfile;
	for (int i = 0; i < 2 && error == 0; i++) {
		free(from);
		free(to);
		from = join(src, files[i]);
		to = join(sdir, files[i]);
		error = copy_file(from, to);
	}
	free(fwfile);
	if (error < 0)
		goto cleanup;

	/* build the database under a temporary name, then rename it into place */
	tmp_path = folio_asprintf("%s/.folio.db.init-%ld", dir, (long)getpid());
	unlink(tmp_path);
	if (sqlite3_open_v2(tmp_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		error = db_error_raw(db, tmp_path, "cannot create the site database");
		goto cleanup;
	}
	/* journal in memory while building; WAL is switched on by every open */
	if ((error = exec_raw(db, tmp_path, "PRAGMA journal_mode = DELETE", "cannot create")) < 0 ||
	    (error = exec_raw(db, tmp_path, "PRAGMA foreign_keys = ON", "cannot create")) < 0 ||
	    (error = exec_raw(db, tmp_path, "PRAGMA application_id = 1179601993", "cannot create")) < 0 ||
	    (error = migrate(db, tmp_path, FOLIO_SCHEMA_VERSION)) < 0)
		goto cleanup;

	now = folio_now_iso();
	if ((error = exec_raw(db, tmp_path, "BEGIN", "cannot create")) < 0)
		goto cleanup;
	if (sqlite3_prepare_v2(db,
		"INSERT INTO person(id, name, email, login, created) VALUES (?1, ?2, ?3, ?4, ?5)", -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_text(st, 1, admin_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, admin_name, -1, SQLITE_STATIC);
	folio_db_bind_text(st, 3, opts->admin_email);
	sqlite3_bind_text(st, 4, login, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto dberr;
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db, "INSERT INTO person_role(person, role) VALUES (?1, 'admin')", -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_text(st, 1, admin_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto dberr;
	sqlite3_finalize(st);
	st = NULL;
	if ((error = exec_raw(db, tmp_path, "COMMIT", "cannot create")) < 0)
		goto cleanup;
	sqlite3_close(db);
	db = NULL;
	if (rename(tmp_path, db_path) < 0) {
		error = folio_error_set(FOLIO_ERROR, "cannot create '%s': %s", db_path, strerror(errno));
		goto cleanup;
	}

	/* the first audit row: the site and its admin */
	{
		folio_site *site = NULL;
		if ((error = folio_site_open(&site, dir)) == 0 &&
		    (error = folio_site_act(site, login, NULL)) == 0) {
			char *detail = folio_asprintf("first admin '%s' bound to login '%s'", admin_id, login);
			if ((error = folio_tx_begin(site)) == 0) {
				if ((error = folio_audit_append(site, "site.init", "site", detail)) == 0)
					error = folio_tx_commit(site);
				else
					folio_tx_rollback(site);
			}
			free(detail);
		}
		folio_site_free(site);
	}
	goto cleanup;

dberr:
	error = db_error_raw(db, tmp_path, "cannot create the site database");
cleanup:
	sqlite3_finalize(st);
	if (db) {
		sqlite3_close(db);
	}
	if (error < 0 && tmp_path)
		unlink(tmp_path);
	folio_framework_free(fw);
	free(db_path);
	free(tmp_path);
	free(pdir);
	free(sdir);
	free(from);
	free(to);
	free(admin_id);
	free(admin_name);
	free(now);
	return error;
}

int folio_site_open(folio_site **out, const char *dir)
{
	folio_site *site = folio_calloc(1, sizeof(*site));
	char *sdir = NULL;
	long appid = 0;
	int error = 0;
	struct stat st;

	*out = NULL;
	site->path = folio_strdup(dir);
	site->db_path = join(dir, "folio.db");
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		error = folio_error_set(FOLIO_ENOTFOUND, "no site directory '%s'", dir);
		goto cleanup;
	}
	if (stat(site->db_path, &st) < 0) {
		error = folio_error_set(FOLIO_ENOTFOUND,
			"'%s' is not a folio site (no folio.db); create one with 'folio init'", dir);
		goto cleanup;
	}
	if (sqlite3_open_v2(site->db_path, &site->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		error = folio_db_error(site, "cannot open the site database");
		goto cleanup;
	}
	/* wait for other writers from the first statement on */
	sqlite3_busy_timeout(site->db, 30000);
	if ((error = user_version(site->db, site->db_path, "application_id", &appid)) < 0) {
		if (error == FOLIO_EINVALID)
			error = folio_error_set(FOLIO_EINVALID, "'%s' is corrupt or not a folio database: %s",
				site->db_path, sqlite3_errmsg(site->db));
		goto cleanup;
	}
	if (appid != FOLIO_APPLICATION_ID) {
		error = folio_error_set(FOLIO_EINVALID, "'%s' is not a folio database", site->db_path);
		goto cleanup;
	}
	if ((error = db_configure(site->db, site->db_path)) < 0 ||
	    (error = migrate(site->db, site->db_path, FOLIO_SCHEMA_VERSION)) < 0)
		goto cleanup;
	sdir = join(dir, "standards");
	if ((error = folio_framework_load(&site->fw, sdir)) < 0)
		goto cleanup;
	*out = site;
	site = NULL;
cleanup:
	free(sdir);
	folio_site_free(site);
	return error;
}

void folio_site_free(folio_site *site)
{
	if (!site)
		return;
	for (size_t i = 0; i < FOLIO_STMT_CACHE; i++)
		sqlite3_finalize(site->stmts[i].st);
	sqlite3_close(site->db);
	folio_framework_free(site->fw);
	free(site->path);
	free(site->db_path);
	free(site->login);
	free(site->actor);
	free(site->real);
	free(site);
}

const char *folio_site_path(const folio_site *site)
{
	return site->path;
}

const folio_framework *folio_site_framework(const folio_site *site)
{
	return site->fw;
}

/* ------------------------------------------------------------ identity */

static const char *const role_names[] = { "mentor", "reviewer", "lead", "admin" };

int folio_role_parse(folio_role *out, const char *name)
{
	for (unsigned i = 0; i < 4; i++)
		if (name && strcmp(name, role_names[i]) == 0) {
			*out = (folio_role)(1u << i);
			return 0;
		}
	return folio_error_set(FOLIO_EINVALID, "unknown role '%s': use mentor, reviewer, lead or admin",
		name ? name : "");
}

const char *folio_role_name(folio_role r)
{
	for (unsigned i = 0; i < 4; i++)
		if (r == (folio_role)(1u << i))
			return role_names[i];
	return "?";
}

static int load_roles(folio_site *site, const char *id, unsigned *roles)
{
	sqlite3_stmt *st = NULL;
	int error, rc;
	*roles = 0;
	if ((error = folio_db_prepare(site, &st, "SELECT role FROM person_role WHERE person = ?1")) < 0)
		return error;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		folio_role r;
		if (folio_role_parse(&r, (const char *)sqlite3_column_text(st, 0)) == 0)
			*roles |= r;
	}
	if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read roles");
	sqlite3_finalize(st);
	return error;
}

int folio_person_exists(folio_site *site, const char *id)
{
	sqlite3_stmt *st = NULL;
	int error, rc;
	if ((error = folio_db_cached(site, &st, "SELECT 1 FROM person WHERE id = ?1")) < 0)
		return error;
	folio_db_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	folio_db_release(site, st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return folio_db_error(site, "cannot read people");
	return folio_error_set(FOLIO_ENOTFOUND, "no person '%s' in site '%s'", id ? id : "", site->path);
}

int folio_site_act(folio_site *site, const char *login, const char *as_id)
{
	sqlite3_stmt *st = NULL;
	int error = 0, rc;

	free(site->login);
	free(site->actor);
	free(site->real);
	site->login = folio_strdup(login ? login : "");
	site->actor = site->real = NULL;
	site->roles = 0;

	if ((error = folio_db_prepare(site, &st, "SELECT id FROM person WHERE login = ?1")) < 0)
		return error;
	sqlite3_bind_text(st, 1, site->login, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		site->actor = folio_db_col_dup(st, 0);
	else if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read people");
	sqlite3_finalize(st);
	if (error < 0)
		return error;
	if (site->actor && (error = load_roles(site, site->actor, &site->roles)) < 0)
		return error;
	if (!as_id)
		return 0;

	char *action = folio_asprintf("act as '%s'", as_id);
	if ((error = folio_site_require(site, FOLIO_ROLE_ADMIN, action)) == 0 &&
	    (error = folio_person_exists(site, as_id)) == 0) {
		site->real = site->actor;
		site->actor = folio_strdup(as_id);
		error = load_roles(site, site->actor, &site->roles);
	}
	free(action);
	return error;
}

const char *folio_site_actor(const folio_site *site)
{
	return site->actor;
}

const char *folio_site_real_actor(const folio_site *site)
{
	return site->real;
}

int folio_site_has_role(const folio_site *site, unsigned roles)
{
	return site->actor && (site->roles & roles) != 0;
}

int folio_site_deny(folio_site *site, const char *action, const char *why)
{
	char *msg;
	if (site->actor)
		msg = folio_asprintf("person '%s' may not %s: %s", site->actor, action, why);
	else
		msg = folio_asprintf("login '%s' is not bound to a person in site '%s', so may not %s",
			site->login ? site->login : "", site->path, action);
	/* the refusal is recorded; if that fails the refusal still stands */
	if (sqlite3_get_autocommit(site->db)) {
		if (folio_tx_begin(site) == 0) {
			if (folio_audit_append(site, "denied", NULL, msg) == 0)
				folio_tx_commit(site);
			else
				folio_tx_rollback(site);
		}
	} else {
		folio_audit_append(site, "denied", NULL, msg);
	}
	folio_error_set(FOLIO_EDENIED, "%s", msg);
	free(msg);
	return FOLIO_EDENIED;
}

static void role_list(folio_buf *b, unsigned roles)
{
	int first = 1;
	for (unsigned i = 0; i < 4; i++)
		if (roles & (1u << i)) {
			folio_buf_printf(b, "%s%s", first ? "" : " or ", role_names[i]);
			first = 0;
		}
}

int folio_site_require(folio_site *site, folio_role role, const char *action)
{
	if (folio_site_has_role(site, role))
		return 0;
	folio_buf why = FOLIO_BUF_INIT;
	folio_buf_puts(&why, "needs role ");
	role_list(&why, role);
	int error = folio_site_deny(site, action, why.ptr);
	folio_buf_free(&why);
	return error;
}

int folio_site_require_self_or(folio_site *site, const char *person, unsigned roles, const char *action)
{
	if (site->actor && person && strcmp(site->actor, person) == 0)
		return 0;
	if (roles && folio_site_has_role(site, roles))
		return 0;
	folio_buf why = FOLIO_BUF_INIT;
	folio_buf_printf(&why, "only '%s'", person ? person : "");
	if (roles) {
		folio_buf_puts(&why, " or a person with role ");
		role_list(&why, roles);
	}
	folio_buf_puts(&why, " may");
	int error = folio_site_deny(site, action, why.ptr);
	folio_buf_free(&why);
	return error;
}

/* ------------------------------------------------------------ audit */

static void audit_hash(char out[65], const char *prev, const folio_audit_row *r)
{
	folio_buf b = FOLIO_BUF_INIT;
	folio_buf_printf(&b, "%s\x1f%lld\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s", prev ? prev : "", r->seq, r->time,
		r->actor ? r->actor : "", r->real ? r->real : "", r->action, r->object ? r->object : "",
		r->detail ? r->detail : "");
	/* rows written before schema 3 have no states or commit: their hashes stay valid */
	if (r->from_state || r->to_state || r->commit)
		folio_buf_printf(&b, "\x1f%s\x1f%s\x1f%s", r->from_state ? r->from_state : "",
			r->to_state ? r->to_state : "", r->commit ? r->commit : "");
	folio_sha256_hex(out, b.ptr, b.size);
	folio_buf_free(&b);
}

int folio_audit_change(folio_site *site, const char *action, const char *object, const char *from,
	const char *to, const char *commit, const char *detail)
{
	sqlite3_stmt *st = NULL;
	char *prev = NULL, *now = folio_now_iso();
	folio_audit_row r = { 1, now, site->actor, site->real, (char *)action, (char *)object, (char *)detail,
		(char *)from, (char *)to, (char *)commit, NULL };
	char hash[65];
	int error = 0;

	if ((error = folio_db_prepare(site, &st, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")) < 0)
		goto cleanup;
	if (sqlite3_step(st) == SQLITE_ROW) {
		r.seq = sqlite3_column_int64(st, 0) + 1;
		prev = folio_db_col_dup(st, 1);
	}
	sqlite3_finalize(st);
	st = NULL;
	audit_hash(hash, prev, &r);
	folio_crashpoint("audit.append");
	if ((error = folio_db_prepare(site, &st,
		"INSERT INTO audit(seq, time, actor, real_actor, action, object, detail, from_state, to_state, commit_id, hash)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")) < 0)
		goto cleanup;
	sqlite3_bind_int64(st, 1, r.seq);
	sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
	folio_db_bind_text(st, 3, site->actor);
	folio_db_bind_text(st, 4, site->real);
	sqlite3_bind_text(st, 5, action, -1, SQLITE_STATIC);
	folio_db_bind_text(st, 6, object);
	folio_db_bind_text(st, 7, detail);
	folio_db_bind_text(st, 8, from);
	folio_db_bind_text(st, 9, to);
	folio_db_bind_text(st, 10, commit);
	sqlite3_bind_text(st, 11, hash, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		error = folio_db_error(site, "cannot write the audit log");
cleanup:
	sqlite3_finalize(st);
	free(prev);
	free(now);
	return error;
}

int folio_audit_append(folio_site *site, const char *action, const char *object, const char *detail)
{
	return folio_audit_change(site, action, object, NULL, NULL, NULL, detail);
}

int folio_audit_list(folio_audit_row **out, size_t *n, folio_site *site)
{
	sqlite3_stmt *st = NULL;
	folio_audit_row *rows = NULL;
	size_t count = 0, cap = 0;
	int error, rc;

	*out = NULL;
	*n = 0;
	if ((error = folio_db_prepare(site, &st,
		"SELECT seq, time, actor, real_actor, action, object, detail, from_state, to_state, commit_id, hash"
		" FROM audit ORDER BY seq")) < 0)
		return error;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 32;
			rows = folio_realloc(rows, cap * sizeof(*rows));
		}
		folio_audit_row *r = &rows[count++];
		r->seq = sqlite3_column_int64(st, 0);
		r->time = folio_db_col_dup(st, 1);
		r->actor = folio_db_col_dup(st, 2);
		r->real = folio_db_col_dup(st, 3);
		r->action = folio_db_col_dup(st, 4);
		r->object = folio_db_col_dup(st, 5);
		r->detail = folio_db_col_dup(st, 6);
		r->from_state = folio_db_col_dup(st, 7);
		r->to_state = folio_db_col_dup(st, 8);
		r->commit = folio_db_col_dup(st, 9);
		r->hash = folio_db_col_dup(st, 10);
	}
	if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read the audit log");
	sqlite3_finalize(st);
	if (error < 0) {
		folio_audit_rows_free(rows, count);
		return error;
	}
	*out = rows;
	*n = count;
	return 0;
}

void folio_audit_rows_free(folio_audit_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].time);
		free(rows[i].actor);
		free(rows[i].real);
		free(rows[i].action);
		free(rows[i].object);
		free(rows[i].detail);
		free(rows[i].from_state);
		free(rows[i].to_state);
		free(rows[i].commit);
		free(rows[i].hash);
	}
	free(rows);
}

int folio_audit_verify(folio_site *site)
{
	folio_audit_row *rows = NULL;
	size_t n = 0;
	int error;
	const char *prev = NULL;
	char hash[65];

	if ((error = folio_audit_list(&rows, &n, site)) < 0)
		return error;
	for (size_t i = 0; i < n && error == 0; i++) {
		if (rows[i].seq != (long long)i + 1) {
			error = folio_error_set(FOLIO_EINVALID, "audit log broken at row %lld: row %zu is missing",
				rows[i].seq, i + 1);
			break;
		}
		audit_hash(hash, prev, &rows[i]);
		if (strcmp(hash, rows[i].hash) != 0)
			error = folio_error_set(FOLIO_EINVALID, "audit log broken at row %lld: its hash does not match its contents",
				rows[i].seq);
		prev = rows[i].hash;
	}
	folio_audit_rows_free(rows, n);
	return error;
}
