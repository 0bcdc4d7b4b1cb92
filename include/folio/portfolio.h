/* folio/portfolio.h: portfolios as bare git repositories, and entries committed to them. */
#ifndef FOLIO_PORTFOLIO_H
#define FOLIO_PORTFOLIO_H

#include <stddef.h>
#include "common.h"
#include "site.h"

typedef struct {
	char *mentor;        /* person id, also the repository name */
	char *qualification; /* "QMS" / "QLMS" */
	char *created;       /* ISO 8601 */
	char commit[41];     /* tip of main, "" when empty */
	size_t entries;      /* Markdown files at the tip */
} folio_portfolio;

/*
 * Create portfolios/MENTOR.git (bare, HEAD -> main) for a mentor. Allowed to
 * admins and to the mentor themself. FOLIO_EEXISTS when it already exists.
 */
int folio_portfolio_create(folio_site *site, const char *mentor, const char *qualification);

/*
 * Adopt an existing git repository (bare or not) at `path` with its whole
 * history: every branch and tag is fetched; `main` is set to the source's
 * HEAD commit. Refuses an empty repository.
 */
int folio_portfolio_import(folio_site *site, const char *mentor, const char *path, const char *qualification);

int folio_portfolio_get(folio_portfolio *out, folio_site *site, const char *mentor);
int folio_portfolio_list(folio_portfolio **out, size_t *n, folio_site *site);
void folio_portfolio_clear(folio_portfolio *p);
void folio_portfolios_free(folio_portfolio *p, size_t n);

/* Path of the repository (malloc'd). */
char *folio_portfolio_repo_path(folio_site *site, const char *mentor);

typedef struct {
	const char *title; /* default: first heading of the text, else its first words */
	const char *date;  /* YYYY-MM-DD, default today; not in the future */
} folio_entry_options;

/* The largest entry folio reads, in bytes: larger ones are refused, or reported and never read. */
#define FOLIO_ENTRY_MAX (1024 * 1024)

/*
 * Commit one Markdown entry to the mentor's main branch through libgit2, with
 * no working tree. The file is named DATE-slug-of-title.md; when a title is
 * given and the text does not begin with a level-1 heading, "# TITLE" is put
 * first. Author:
 * the mentor; committer: the acting person. Refuses text that is empty, not
 * UTF-8, has NUL bytes or an unknown tag (the message gives line and
 * column), and fails with FOLIO_ECONFLICT if main moved under
 * it. *path_out (malloc'd, may be NULL) gets the file name, commit_out[41]
 * the new commit id.
 */
int folio_entry_add(folio_site *site, const char *mentor, const char *text, size_t len,
	const folio_entry_options *opts, char **path_out, char commit_out[41]);

typedef struct {
	char *path;
	char *date;   /* from the file name when it starts YYYY-MM-DD, else the commit that added it */
	char *title;
	unsigned words;
	char **tags;  /* valid tag ids used */
	size_t ntags;
	size_t errors; /* error problems in the entry */
} folio_entry;

/* Entries at the tip of main, sorted by date then path. */
int folio_entry_list(folio_entry **out, size_t *n, folio_site *site, const char *mentor);
void folio_entries_free(folio_entry *e, size_t n);

#endif
