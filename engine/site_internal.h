/* engine/site_internal.h: what engine modules share about an open site (database handle, transactions, audit). */
#ifndef FOLIO_SITE_INTERNAL_H
#define FOLIO_SITE_INTERNAL_H

#include <sqlite3.h>
#include "folio/site.h"
#include "folio/portfolio.h"

#define FOLIO_STMT_CACHE 24

struct folio_site {
	char *path;
	char *db_path;
	sqlite3 *db;
	folio_framework *fw;
	char *login;      /* OS login given to folio_site_act */
	char *actor;      /* effective person id, or NULL */
	char *real;       /* person behind --as, or NULL */
	unsigned roles;   /* roles of the effective person */
	/* statements kept prepared (folio_db_cached), finalized when the site is freed */
	struct folio_cached_stmt {
		const char *sql;
		sqlite3_stmt *st;
		int busy;
	} stmts[FOLIO_STMT_CACHE];
};

/* Translate a sqlite failure into a folio error, keeping sqlite's message. */
int folio_db_error(folio_site *site, const char *what);

/* Prepare a statement; on failure set the error (naming the SQL's purpose). */
int folio_db_prepare(folio_site *site, sqlite3_stmt **st, const char *sql);
/*
 * The same for a statement run again and again in a process (once a pack, a
 * row, a portfolio): prepared once and kept for the life of the site, so
 * `sql` must live as long (a string literal). Give it back with
 * folio_db_release, which resets it and clears its bindings, never with
 * sqlite3_finalize. Asked for while it is in use, or with the cache full,
 * a statement of its own is prepared, which folio_db_release finalizes.
 */
int folio_db_cached(folio_site *site, sqlite3_stmt **st, const char *sql);
void folio_db_release(folio_site *site, sqlite3_stmt *st);
/* Run SQL with no result rows (no parameters). */
int folio_db_exec(folio_site *site, const char *sql);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. rollback never fails loudly. */
int folio_tx_begin(folio_site *site);
int folio_tx_commit(folio_site *site);
void folio_tx_rollback(folio_site *site);

/* Bind a possibly-NULL text parameter. */
int folio_db_bind_text(sqlite3_stmt *st, int i, const char *s);
/* Column text duplicated (NULL stays NULL). */
char *folio_db_col_dup(sqlite3_stmt *st, int i);

/* Current time, ISO 8601 UTC ("2026-11-23T08:34:50Z"), malloc'd. */
char *folio_now_iso(void);
/* Today's date in local time as YYYY-MM-DD into out[11]; FOLIO_TODAY=YYYY-MM-DD overrides it. */
void folio_today(char out[11]);
/* Validate a YYYY-MM-DD calendar date. */
int folio_date_valid(const char *s);

/* Identifier check for people, schools: [a-z0-9][a-z0-9._-]{0,63}. */
int folio_id_valid(const char *id);

/*
 * Append one audit row (inside the caller's transaction when there is one).
 * action: "person.add"; object: "person:ann"; detail may be NULL.
 */
int folio_audit_append(folio_site *site, const char *action, const char *object, const char *detail);
/* The same with a state change (from may be NULL) and the commit it concerns (may be NULL). */
int folio_audit_change(folio_site *site, const char *action, const char *object, const char *from,
	const char *to, const char *commit, const char *detail);

/* The effective person holds any of `roles`. */
int folio_site_has_role(const folio_site *site, unsigned roles);

/*
 * Acting person is `person` themself, or holds one of `roles`; otherwise
 * refuse (audited) naming the action.
 */
int folio_site_require_self_or(folio_site *site, const char *person, unsigned roles, const char *action);

/* Refuse (audited) with a message; returns FOLIO_EDENIED. */
int folio_site_deny(folio_site *site, const char *action, const char *why);

/* Person exists? 0 yes; FOLIO_ENOTFOUND with "no person 'x' in site '/y'". */
int folio_person_exists(folio_site *site, const char *id);

/*
 * The portfolio's database row only (mentor, qualification, created; no
 * commit or entry count, so no git access), with folio_portfolio_get's
 * errors for an unknown mentor or a mentor without a portfolio.
 */
int folio_portfolio__row(folio_portfolio *out, folio_site *site, const char *mentor);
/*
 * 1 when the mentor has no portfolio row and the audit log holds a removal
 * of their portfolio (`archive --remove`; a later create, import or restore
 * would have made a row): a repository still at its place is then the
 * leftover of a removal killed after its COMMIT, which the next create,
 * import or restore may delete. 0 otherwise; < 0 on error.
 */
int folio_portfolio__removed(folio_site *site, const char *mentor);

#endif
