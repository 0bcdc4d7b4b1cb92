/* engine/people.c: schools, people and their roles, declared conflicts, and bulk CSV import. */
#include "folio/people.h"
#include "folio/evidence.h"
#include "csv.h"
#include "site_internal.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static const char *const phase_names[] = { "primary", "secondary", "all-through" };

int folio_phase_parse(folio_phase *out, const char *name)
{
	for (int i = 0; i < 3; i++)
		if (name && strcmp(name, phase_names[i]) == 0) {
			*out = (folio_phase)i;
			return 0;
		}
	return folio_error_set(FOLIO_EINVALID, "unknown phase '%s': use primary, secondary or all-through",
		name ? name : "");
}

const char *folio_phase_name(folio_phase p)
{
	return (unsigned)p < 3 ? phase_names[p] : "?";
}

int folio_email_valid(const char *email)
{
	const char *at, *dot;
	size_t bad;
	if (!email || strlen(email) > 254 || !folio_utf8_valid(email, strlen(email), &bad))
		return 0;
	for (const char *p = email; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == ',' || *p == '<' || *p == '>' || *p == '"' || *p == '\x7f')
			return 0;
	at = strchr(email, '@');
	if (!at || at == email || strchr(at + 1, '@'))
		return 0;
	/* a dotted domain: no empty label at either end or in the middle */
	dot = strrchr(at + 1, '.');
	return dot && at[1] != '.' && dot[1] != '\0' && strstr(at + 1, "..") == NULL;
}

/* ------------------------------------------------------------ schools */

/*
 * Validate and insert one school inside the caller's transaction. On a bad
 * value *field names the column at fault.
 */
static int school_insert(folio_site *site, const folio_school *s, const char **field)
{
	sqlite3_stmt *st = NULL;
	int error = 0, rc;

	*field = "id";
	if (!folio_id_valid(s->id))
		return folio_error_set(FOLIO_EINVALID,
			"invalid school id '%s': use lowercase letters, digits, '-', '_' or '.'", s->id ? s->id : "");
	*field = "name";
	if (!s->name || !*s->name)
		return folio_error_set(FOLIO_EINVALID, "school '%s' needs a name", s->id);
	if (folio_text_valid("the name", s->name) < 0)
		return folio_error_set(FOLIO_EINVALID, "the name of school '%s' is not valid UTF-8 text", s->id);
	*field = "phase";
	if ((unsigned)s->phase > FOLIO_PHASE_ALL_THROUGH)
		return folio_error_set(FOLIO_EINVALID, "school '%s' has no valid phase", s->id);
	*field = "id";
	if ((error = folio_db_prepare(site, &st, "INSERT INTO school(id, name, phase) VALUES (?1, ?2, ?3)")) < 0)
		return error;
	sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, folio_phase_name(s->phase), -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT || sqlite3_extended_errcode(site->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
		error = folio_error_set(FOLIO_EEXISTS, "school '%s' already exists", s->id);
	else if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot add school");
	sqlite3_finalize(st);
	if (error == 0) {
		char *obj = folio_asprintf("school:%s", s->id);
		error = folio_audit_append(site, "school.add", obj, s->name);
		free(obj);
	}
	return error;
}

int folio_school_add(folio_site *site, const folio_school *school)
{
	const char *field;
	int error;
	if ((error = folio_site_require(site, FOLIO_ROLE_ADMIN, "add schools")) < 0)
		return error;
	if ((error = folio_tx_begin(site)) < 0)
		return error;
	if ((error = school_insert(site, school, &field)) < 0) {
		folio_tx_rollback(site);
		return error;
	}
	return folio_tx_commit(site);
}

int folio_school_list(folio_school **out, size_t *n, folio_site *site)
{
	sqlite3_stmt *st = NULL;
	folio_school *v = NULL;
	size_t count = 0, cap = 0;
	int error, rc;

	*out = NULL;
	*n = 0;
	/* only the site's people read it, as for every list (docs/permissions.md) */
	if (!site->actor)
		return folio_site_deny(site, "list schools", "");
	if ((error = folio_db_prepare(site, &st, "SELECT id, name, phase FROM school ORDER BY id")) < 0)
		return error;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = folio_grow(v, &cap, count + 1, sizeof(*v));
		v[count].id = folio_db_col_dup(st, 0);
		v[count].name = folio_db_col_dup(st, 1);
		folio_phase_parse(&v[count].phase, (const char *)sqlite3_column_text(st, 2));
		count++;
	}
	if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read schools");
	sqlite3_finalize(st);
	folio_error_clear();
	if (error < 0) {
		folio_schools_free(v, count);
		return error;
	}
	*out = v;
	*n = count;
	return 0;
}

void folio_schools_free(folio_school *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(s[i].id);
		free(s[i].name);
	}
	free(s);
}

/* ------------------------------------------------------------ people */

static int school_exists(folio_site *site, const char *id)
{
	sqlite3_stmt *st = NULL;
	int error, rc;
	if ((error = folio_db_prepare(site, &st, "SELECT 1 FROM school WHERE id = ?1")) < 0)
		return error;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return folio_db_error(site, "cannot read schools");
	return folio_error_set(FOLIO_ENOTFOUND, "no school '%s' in site '%s'", id, site->path);
}

static int login_owner(folio_site *site, const char *login, char **owner)
{
	sqlite3_stmt *st = NULL;
	int error;
	*owner = NULL;
	if ((error = folio_db_prepare(site, &st, "SELECT id FROM person WHERE login = ?1")) < 0)
		return error;
	sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		*owner = folio_db_col_dup(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/* The lead must exist and hold the lead role. */
static int check_lead(folio_site *site, const char *person, const char *lead)
{
	sqlite3_stmt *st = NULL;
	int error, rc;
	if ((error = folio_person_exists(site, lead)) < 0)
		return error;
	if (strcmp(person, lead) == 0)
		return folio_error_set(FOLIO_EINVALID, "person '%s' cannot be their own lead mentor", person);
	if ((error = folio_db_prepare(site, &st, "SELECT 1 FROM person_role WHERE person = ?1 AND role = 'lead'")) < 0)
		return error;
	sqlite3_bind_text(st, 1, lead, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return folio_error_set(FOLIO_EINVALID, "person '%s' cannot be the lead mentor of '%s': not a lead", lead, person);
	return 0;
}

/*
 * Validate and insert one person (without their lead when skip_lead) inside
 * the caller's transaction. On a bad value *field names the column at fault.
 */
static int person_insert(folio_site *site, const folio_person *p, int skip_lead, const char **field)
{
	sqlite3_stmt *st = NULL;
	char *owner = NULL, *now = NULL;
	int error = 0, rc;

	*field = "id";
	if (!folio_id_valid(p->id))
		return folio_error_set(FOLIO_EINVALID,
			"invalid person id '%s': use lowercase letters, digits, '-', '_' or '.'", p->id ? p->id : "");
	*field = "name";
	if (!p->name || !*p->name)
		return folio_error_set(FOLIO_EINVALID, "person '%s' needs a name", p->id);
	if (folio_text_valid("the name", p->name) < 0)
		return folio_error_set(FOLIO_EINVALID, "the name of person '%s' is not valid UTF-8 text", p->id);
	*field = "email";
	if (!p->email || !*p->email)
		return folio_error_set(FOLIO_EINVALID, "person '%s' needs an email", p->id);
	if (!folio_email_valid(p->email))
		return folio_text_valid("the email", p->email) < 0
			? folio_error_set(FOLIO_EINVALID, "invalid email for person '%s': not valid UTF-8 text", p->id)
			: folio_error_set(FOLIO_EINVALID, "invalid email '%s' for person '%s'", p->email, p->id);
	*field = "roles";
	if ((p->roles & 0xf) == 0 || (p->roles & ~0xfu))
		return folio_error_set(FOLIO_EINVALID, "person '%s' needs at least one role (mentor, reviewer, lead, admin)", p->id);
	*field = "school";
	if (p->school && (error = school_exists(site, p->school)) < 0)
		return error;
	*field = "login";
	if (p->login) {
		if (!*p->login || strpbrk(p->login, " \t\n:/"))
			return folio_error_set(FOLIO_EINVALID, "invalid login '%s' for person '%s'", p->login, p->id);
		if ((error = login_owner(site, p->login, &owner)) < 0)
			return error;
		if (owner) {
			error = folio_error_set(FOLIO_EEXISTS, "login '%s' is already bound to person '%s'", p->login, owner);
			free(owner);
			return error;
		}
	}
	*field = "id";
	if (folio_person_exists(site, p->id) == 0)
		return folio_error_set(FOLIO_EEXISTS, "person '%s' already exists", p->id);
	folio_error_clear();

	now = folio_now_iso();
	if ((error = folio_db_prepare(site, &st,
		"INSERT INTO person(id, name, email, school, login, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")) < 0)
		goto cleanup;
	sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC);
	folio_db_bind_text(st, 3, p->email);
	folio_db_bind_text(st, 4, p->school);
	folio_db_bind_text(st, 5, p->login);
	sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		error = folio_db_error(site, "cannot add person");
		goto cleanup;
	}
	sqlite3_finalize(st);
	st = NULL;
	for (unsigned i = 0; i < 4; i++) {
		if (!(p->roles & (1u << i)))
			continue;
		if ((error = folio_db_prepare(site, &st, "INSERT INTO person_role(person, role) VALUES (?1, ?2)")) < 0)
			goto cleanup;
		sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, folio_role_name((folio_role)(1u << i)), -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		st = NULL;
		if (rc != SQLITE_DONE) {
			error = folio_db_error(site, "cannot add role");
			goto cleanup;
		}
	}
	if (!skip_lead && p->lead) {
		*field = "lead";
		if ((error = check_lead(site, p->id, p->lead)) < 0)
			goto cleanup;
		if ((error = folio_db_prepare(site, &st, "UPDATE person SET lead = ?2 WHERE id = ?1")) < 0)
			goto cleanup;
		sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, p->lead, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			error = folio_db_error(site, "cannot set lead");
		sqlite3_finalize(st);
		st = NULL;
		if (error < 0)
			goto cleanup;
	}
	{
		folio_buf d = FOLIO_BUF_INIT;
		char *obj = folio_asprintf("person:%s", p->id);
		folio_buf_printf(&d, "%s <%s> roles", p->name, p->email);
		for (unsigned i = 0; i < 4; i++)
			if (p->roles & (1u << i))
				folio_buf_printf(&d, " %s", folio_role_name((folio_role)(1u << i)));
		if (p->login)
			folio_buf_printf(&d, " login %s", p->login);
		error = folio_audit_append(site, "person.add", obj, d.ptr);
		folio_buf_free(&d);
		free(obj);
	}
cleanup:
	sqlite3_finalize(st);
	free(now);
	return error;
}

int folio_person_add(folio_site *site, const folio_person *person)
{
	const char *field;
	int error;
	if ((error = folio_site_require(site, FOLIO_ROLE_ADMIN, "add people")) < 0)
		return error;
	if ((error = folio_tx_begin(site)) < 0)
		return error;
	if ((error = person_insert(site, person, 0, &field)) < 0) {
		folio_tx_rollback(site);
		return error;
	}
	return folio_tx_commit(site);
}

static void person_from_row(folio_person *p, sqlite3_stmt *st)
{
	p->id = folio_db_col_dup(st, 0);
	p->name = folio_db_col_dup(st, 1);
	p->email = folio_db_col_dup(st, 2);
	p->school = folio_db_col_dup(st, 3);
	p->login = folio_db_col_dup(st, 4);
	p->lead = folio_db_col_dup(st, 5);
	p->roles = 0;
	const char *roles = (const char *)sqlite3_column_text(st, 6);
	for (unsigned i = 0; i < 4 && roles; i++) {
		const char *name = folio_role_name((folio_role)(1u << i));
		size_t n = strlen(name);
		for (const char *r = roles; (r = strstr(r, name)) != NULL; r += n)
			if ((r == roles || r[-1] == ',') && (r[n] == ',' || r[n] == '\0'))
				p->roles |= 1u << i;
	}
}

#define PERSON_SELECT \
	"SELECT id, name, email, school, login, lead," \
	" (SELECT group_concat(role) FROM person_role WHERE person = person.id) FROM person"

int folio_person_get(folio_person *out, folio_site *site, const char *id)
{
	sqlite3_stmt *st = NULL;
	int error, rc;
	memset(out, 0, sizeof(*out));
	if ((error = folio_db_cached(site, &st, PERSON_SELECT " WHERE id = ?1")) < 0)
		return error;
	folio_db_bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		person_from_row(out, st);
	else if (rc == SQLITE_DONE)
		error = folio_error_set(FOLIO_ENOTFOUND, "no person '%s' in site '%s'", id ? id : "", site->path);
	else
		error = folio_db_error(site, "cannot read people");
	folio_db_release(site, st);
	return error;
}

int folio_person_list(folio_person **out, size_t *n, folio_site *site)
{
	sqlite3_stmt *st = NULL;
	folio_person *v = NULL;
	size_t count = 0, cap = 0;
	int error, rc;

	*out = NULL;
	*n = 0;
	/* only the site's people read it, as for every list (docs/permissions.md) */
	if (!site->actor)
		return folio_site_deny(site, "list people", "");
	if ((error = folio_db_prepare(site, &st, PERSON_SELECT " ORDER BY id")) < 0)
		return error;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = folio_grow(v, &cap, count + 1, sizeof(*v));
		person_from_row(&v[count++], st);
	}
	if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read people");
	sqlite3_finalize(st);
	if (error < 0) {
		folio_people_free(v, count);
		return error;
	}
	*out = v;
	*n = count;
	return 0;
}

void folio_person_clear(folio_person *p)
{
	free(p->id);
	free(p->name);
	free(p->email);
	free(p->school);
	free(p->login);
	free(p->lead);
	memset(p, 0, sizeof(*p));
}

void folio_people_free(folio_person *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		folio_person_clear(&p[i]);
	free(p);
}

/* ------------------------------------------------------------ conflicts */

int folio_conflict_add(folio_site *site, const char *a, const char *b, const char *reason)
{
	sqlite3_stmt *st = NULL;
	char *now = NULL, *obj = NULL;
	int error, rc;

	if ((error = folio_site_require(site, FOLIO_ROLE_ADMIN, "declare conflicts")) < 0)
		return error;
	if ((error = folio_person_exists(site, a)) < 0 || (error = folio_person_exists(site, b)) < 0)
		return error;
	if (strcmp(a, b) == 0)
		return folio_error_set(FOLIO_EINVALID, "a conflict needs two different people, not '%s' twice", a);
	if (!reason || !*reason)
		return folio_error_set(FOLIO_EINVALID, "a conflict between '%s' and '%s' needs a reason", a, b);
	if ((error = folio_text_valid("the reason", reason)) < 0)
		return error;
	if (strcmp(a, b) > 0) {
		const char *t = a;
		a = b;
		b = t;
	}
	if ((error = folio_tx_begin(site)) < 0)
		return error;
	now = folio_now_iso();
	if ((error = folio_db_prepare(site, &st,
		"INSERT INTO conflict(a, b, reason, created, created_by) VALUES (?1, ?2, ?3, ?4, ?5)")) < 0)
		goto cleanup;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	folio_db_bind_text(st, 5, site->actor);
	rc = sqlite3_step(st);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		error = folio_error_set(FOLIO_EEXISTS, "a conflict between '%s' and '%s' is already declared", a, b);
		goto cleanup;
	} else if (rc != SQLITE_DONE) {
		error = folio_db_error(site, "cannot add conflict");
		goto cleanup;
	}
	obj = folio_asprintf("conflict:%s/%s", a, b);
	error = folio_audit_append(site, "conflict.add", obj, reason);
cleanup:
	sqlite3_finalize(st);
	if (error < 0)
		folio_tx_rollback(site);
	else
		error = folio_tx_commit(site);
	free(now);
	free(obj);
	return error;
}

int folio_conflict_list(folio_conflict **out, size_t *n, folio_site *site)
{
	sqlite3_stmt *st = NULL;
	folio_conflict *v = NULL;
	size_t count = 0, cap = 0;
	int error, rc;
	*out = NULL;
	*n = 0;
	/* only the site's people read it, as for every list (docs/permissions.md) */
	if (!site->actor)
		return folio_site_deny(site, "list conflicts", "");
	if ((error = folio_db_prepare(site, &st, "SELECT a, b, reason FROM conflict ORDER BY a, b")) < 0)
		return error;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = folio_grow(v, &cap, count + 1, sizeof(*v));
		v[count].a = folio_db_col_dup(st, 0);
		v[count].b = folio_db_col_dup(st, 1);
		v[count].reason = folio_db_col_dup(st, 2);
		count++;
	}
	if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read conflicts");
	sqlite3_finalize(st);
	if (error < 0) {
		folio_conflicts_free(v, count);
		return error;
	}
	*out = v;
	*n = count;
	return 0;
}

void folio_conflicts_free(folio_conflict *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].a);
		free(c[i].b);
		free(c[i].reason);
	}
	free(c);
}

/* ------------------------------------------------------------ CSV import */

/* Map the header to column positions; every name in `want` is required unless optional. */
static int csv_columns(const char *name, const folio_csv *csv, const char *const *want, size_t nwant,
	size_t nrequired, long *pos)
{
	if (csv->nrows == 0)
		return folio_error_set(FOLIO_EINVALID, "%s: empty file: expected a header row", name);
	const folio_csv_row *h = &csv->rows[0];
	for (size_t w = 0; w < nwant; w++)
		pos[w] = -1;
	for (size_t c = 0; c < h->nfields; c++) {
		size_t w;
		for (w = 0; w < nwant; w++)
			if (strcmp(h->fields[c], want[w]) == 0)
				break;
		if (w == nwant)
			return folio_error_set(FOLIO_EINVALID, "%s: row 1: unknown column '%s'", name, h->fields[c]);
		if (pos[w] >= 0)
			return folio_error_set(FOLIO_EINVALID, "%s: row 1: column '%s' appears twice", name, h->fields[c]);
		pos[w] = (long)c;
	}
	for (size_t w = 0; w < nrequired; w++)
		if (pos[w] < 0)
			return folio_error_set(FOLIO_EINVALID, "%s: row 1: missing column '%s'", name, want[w]);
	for (size_t r = 1; r < csv->nrows; r++)
		if (csv->rows[r].nfields != h->nfields)
			return folio_error_set(FOLIO_EINVALID, "%s: row %zu: %zu fields, but the header has %zu",
				name, csv->rows[r].row, csv->rows[r].nfields, h->nfields);
	return 0;
}

static const char *cell(const folio_csv_row *row, long pos)
{
	if (pos < 0)
		return NULL;
	const char *v = row->fields[pos];
	return *v ? v : NULL;
}

/* Prefix the last error with where it happened. */
static int at_row(int error, const char *name, size_t row, const char *field)
{
	char *msg = folio_strdup(folio_error_last());
	folio_error_set(error, "%s: row %zu, column '%s': %s", name, row, field, msg);
	free(msg);
	return error;
}

int folio_school_import_csv(folio_site *site, const char *name, const char *text, size_t len, size_t *count)
{
	static const char *const want[] = { "id", "name", "phase" };
	folio_csv csv = { 0 };
	long pos[3];
	int error;

	*count = 0;
	if ((error = folio_site_require(site, FOLIO_ROLE_ADMIN, "import schools")) < 0)
		return error;
	if ((error = folio_csv_parse(&csv, name, text, len)) < 0 ||
	    (error = csv_columns(name, &csv, want, 3, 3, pos)) < 0)
		goto cleanup;
	if ((error = folio_tx_begin(site)) < 0)
		goto cleanup;
	for (size_t r = 1; r < csv.nrows; r++) {
		const folio_csv_row *row = &csv.rows[r];
		folio_school s = { (char *)cell(row, pos[0]), (char *)cell(row, pos[1]), FOLIO_PHASE_PRIMARY };
		const char *field = "phase";
		if ((error = folio_phase_parse(&s.phase, cell(row, pos[2]))) < 0 ||
		    (error = school_insert(site, &s, &field)) < 0) {
			at_row(error, name, row->row, field);
			folio_tx_rollback(site);
			goto cleanup;
		}
	}
	if ((error = folio_tx_commit(site)) == 0)
		*count = csv.nrows - 1;
cleanup:
	folio_csv_free(&csv);
	return error;
}

int folio_person_import_csv(folio_site *site, const char *name, const char *text, size_t len, size_t *count)
{
	static const char *const want[] = { "id", "name", "email", "roles", "school", "login", "lead" };
	folio_csv csv = { 0 };
	long pos[7];
	int error;

	*count = 0;
	if ((error = folio_site_require(site, FOLIO_ROLE_ADMIN, "import people")) < 0)
		return error;
	if ((error = folio_csv_parse(&csv, name, text, len)) < 0 ||
	    (error = csv_columns(name, &csv, want, 7, 4, pos)) < 0)
		goto cleanup;
	if ((error = folio_tx_begin(site)) < 0)
		goto cleanup;
	/* two passes so that a lead may appear in a later row than their mentors */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t r = 1; r < csv.nrows; r++) {
			const folio_csv_row *row = &csv.rows[r];
			const char *field = "roles";
			folio_person p = { 0 };
			p.id = (char *)cell(row, pos[0]);
			p.name = (char *)cell(row, pos[1]);
			p.email = (char *)cell(row, pos[2]);
			p.school = (char *)cell(row, pos[4]);
			p.login = (char *)cell(row, pos[5]);
			p.lead = (char *)cell(row, pos[6]);
			if (pass == 0) {
				const char *roles = cell(row, pos[3]);
				while (roles && *roles) {
					size_t n = strcspn(roles, ";");
					char *one = folio_strndup(roles, n);
					folio_role role;
					/* trim spaces around each role */
					char *s = one, *e = one + strlen(one);
					while (*s == ' ')
						s++;
					while (e > s && e[-1] == ' ')
						*--e = '\0';
					error = folio_role_parse(&role, s);
					free(one);
					if (error < 0)
						break;
					p.roles |= role;
					roles += n + (roles[n] == ';');
				}
				if (error == 0)
					error = person_insert(site, &p, 1, &field);
			} else if (p.lead) {
				sqlite3_stmt *st = NULL;
				field = "lead";
				if ((error = check_lead(site, p.id, p.lead)) == 0 &&
				    (error = folio_db_prepare(site, &st, "UPDATE person SET lead = ?2 WHERE id = ?1")) == 0) {
					sqlite3_bind_text(st, 1, p.id, -1, SQLITE_STATIC);
					sqlite3_bind_text(st, 2, p.lead, -1, SQLITE_STATIC);
					if (sqlite3_step(st) != SQLITE_DONE)
						error = folio_db_error(site, "cannot set lead");
					sqlite3_finalize(st);
				}
			}
			if (error < 0) {
				at_row(error, name, row->row, field);
				folio_tx_rollback(site);
				goto cleanup;
			}
		}
	}
	if ((error = folio_tx_commit(site)) == 0)
		*count = csv.nrows - 1;
cleanup:
	folio_csv_free(&csv);
	return error;
}
