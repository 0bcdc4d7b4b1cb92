/* folio/people.h: schools, people with roles and logins, declared conflicts, and CSV import. */
#ifndef FOLIO_PEOPLE_H
#define FOLIO_PEOPLE_H

#include <stddef.h>
#include "common.h"
#include "site.h"

typedef enum {
	FOLIO_PHASE_PRIMARY,
	FOLIO_PHASE_SECONDARY,
	FOLIO_PHASE_ALL_THROUGH
} folio_phase;

int folio_phase_parse(folio_phase *out, const char *name);
const char *folio_phase_name(folio_phase p);

typedef struct {
	char *id;
	char *name;
	folio_phase phase;
} folio_school;

typedef struct {
	char *id;
	char *name;
	char *email;   /* may be NULL (the first admin) */
	char *school;  /* may be NULL */
	char *login;   /* may be NULL */
	char *lead;    /* the mentor's own lead mentor, may be NULL */
	unsigned roles; /* folio_role bits */
} folio_person;

/* Admin only. Ids are lowercase letters, digits, '-', '_' and '.' (1–64 chars). */
int folio_school_add(folio_site *site, const folio_school *school);
/* Any bound person; FOLIO_EDENIED (audited) for a login bound to nobody. */
int folio_school_list(folio_school **out, size_t *n, folio_site *site);
void folio_schools_free(folio_school *s, size_t n);

/* Admin only. Checks id, email, roles (at least one), school and lead exist, login unique. */
int folio_person_add(folio_site *site, const folio_person *person);
/* FOLIO_ENOTFOUND naming the id. Caller frees with folio_person_clear. */
int folio_person_get(folio_person *out, folio_site *site, const char *id);
/* Any bound person; FOLIO_EDENIED (audited) for a login bound to nobody. */
int folio_person_list(folio_person **out, size_t *n, folio_site *site);
void folio_person_clear(folio_person *p);
void folio_people_free(folio_person *p, size_t n);

typedef struct {
	char *a, *b, *reason;
} folio_conflict;

/* Admin only. Stored once per unordered pair; FOLIO_EEXISTS when already declared. */
int folio_conflict_add(folio_site *site, const char *a, const char *b, const char *reason);
/* Any bound person; FOLIO_EDENIED (audited) for a login bound to nobody. */
int folio_conflict_list(folio_conflict **out, size_t *n, folio_site *site);
void folio_conflicts_free(folio_conflict *c, size_t n);

/*
 * Import from CSV text with a header row (RFC 4180 quoting). Schools:
 * id,name,phase. People: id,name,email,school,roles,login,lead with roles
 * separated by ';' (school, login, lead may be empty). All rows or none: on
 * the first bad row the error names the row and column and nothing is
 * written. *count receives the number of rows imported.
 */
int folio_school_import_csv(folio_site *site, const char *name, const char *csv, size_t len, size_t *count);
int folio_person_import_csv(folio_site *site, const char *name, const char *csv, size_t len, size_t *count);

/* Email shape check used by person_add (one '@', non-empty local part, dotted domain). */
int folio_email_valid(const char *email);

#endif
