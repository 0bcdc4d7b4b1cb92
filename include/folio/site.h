/* folio/site.h: a site directory (folio.db + portfolios/ + standards/), the acting person, and the audit log. */
#ifndef FOLIO_SITE_H
#define FOLIO_SITE_H

#include <stddef.h>
#include "common.h"
#include "framework.h"

typedef struct folio_site folio_site;

/* Schema version this build of folio writes (PRAGMA user_version). */
#define FOLIO_SCHEMA_VERSION 4

typedef struct {
	const char *admin_id;    /* id of the first admin; default: the login */
	const char *admin_name;  /* default: from the password database, else the login */
	const char *admin_email; /* optional */
	const char *standards_dir; /* framework files copied into the site; default FOLIO_STANDARDS_DIR */
} folio_init_options;

/*
 * Create a site in `dir` (created if missing; must be empty of folio files):
 * folio.db with the current schema, portfolios/, and standards/ (a copy of
 * the framework files, so the site is self-contained). The person bound to
 * `login` becomes the first admin. FOLIO_EEXISTS when dir is already a site.
 */
int folio_site_init(const char *dir, const char *login, const folio_init_options *opts);

/*
 * Open an existing site, migrating its schema forward if it is older.
 * FOLIO_ENOTFOUND when dir is not a site; FOLIO_EINVALID when folio.db is
 * corrupt or from a newer folio. Caller owns *out (folio_site_free).
 */
int folio_site_open(folio_site **out, const char *dir);
void folio_site_free(folio_site *site);

const char *folio_site_path(const folio_site *site);
const folio_framework *folio_site_framework(const folio_site *site);

/*
 * Set who is acting: the person bound to OS login `login`, or, when as_id is
 * given, that person acting as `as_id` (allowed to admins only; a refusal is
 * audited). With no bound person the site is usable only for reads that need
 * no person; every other call fails with FOLIO_EDENIED naming the login.
 */
int folio_site_act(folio_site *site, const char *login, const char *as_id);

/* Id of the effective person (after --as), or NULL. Borrowed. */
const char *folio_site_actor(const folio_site *site);
/* Id of the person bound to the login when acting as someone else, else NULL. */
const char *folio_site_real_actor(const folio_site *site);

/* Roles */
typedef enum {
	FOLIO_ROLE_MENTOR = 1 << 0,
	FOLIO_ROLE_REVIEWER = 1 << 1,
	FOLIO_ROLE_LEAD = 1 << 2,
	FOLIO_ROLE_ADMIN = 1 << 3
} folio_role;

/* Parse "mentor" etc.; returns 0 and sets *out, or FOLIO_EINVALID naming the value. */
int folio_role_parse(folio_role *out, const char *name);
const char *folio_role_name(folio_role r);

/*
 * Check that the acting person holds `role` to do `action` (a short verb
 * phrase like "add people"); on refusal, audit it and return FOLIO_EDENIED
 * with "person 'ann' may not add people: needs role admin".
 */
int folio_site_require(folio_site *site, folio_role role, const char *action);

/* ------------------------------------------------------------ audit log */

typedef struct {
	long long seq;
	char *time;    /* ISO 8601 UTC */
	char *actor;   /* effective person or NULL */
	char *real;    /* person behind --as, or NULL */
	char *action;  /* "person.add", "entry.add", "denied" … */
	char *object;  /* "person:ann", "portfolio:ann" … */
	char *detail;  /* free text: reason, note */
	char *from_state, *to_state; /* a state change, e.g. "submitted" -> "in-review", or NULL */
	char *commit;  /* the portfolio commit the change is about, or NULL */
	char *hash;    /* SHA-256 of the previous row's hash and this row */
} folio_audit_row;

/* All audit rows in order. Caller frees with folio_audit_rows_free. */
int folio_audit_list(folio_audit_row **out, size_t *n, folio_site *site);
void folio_audit_rows_free(folio_audit_row *rows, size_t n);
/* Recompute the hash chain; FOLIO_EINVALID naming the first bad row. */
int folio_audit_verify(folio_site *site);

#endif
