/* folio/index.h: the evidence cache (sqlite, keyed by git blob id) and portfolio coverage read through it. */
#ifndef FOLIO_INDEX_H
#define FOLIO_INDEX_H

#include <stddef.h>
#include "common.h"
#include "site.h"
#include "evidence.h"

typedef struct {
	size_t portfolios;  /* portfolios looked at */
	size_t unchanged;   /* skipped: main still at the indexed commit */
	size_t blobs;       /* Markdown blobs in the trees indexed */
	size_t parsed;      /* blobs parsed (not found in the cache) */
} folio_index_stats;

/* Called after each portfolio: done of total. */
typedef void (*folio_progress_cb)(size_t done, size_t total, const char *mentor, void *payload);

/*
 * Bring the cache up to date for the given mentors (all when n == 0). A
 * portfolio whose main is still at the indexed commit costs one ref read;
 * otherwise only blobs never seen are parsed. Readable by any bound person.
 */
int folio_index_update(folio_site *site, const char *const *mentors, size_t n,
	folio_index_stats *stats, folio_progress_cb cb, void *payload);

/* Drop the whole cache and rebuild it from the repositories alone (admin). */
int folio_index_rebuild(folio_site *site, folio_index_stats *stats, folio_progress_cb cb, void *payload);

/*
 * Coverage of a portfolio at `rev` (NULL: the tip of main), read through the
 * cache (blobs missing from it are parsed and stored). The mentor themself,
 * reviewers, leads and admins may read it. FOLIO_ENOTFOUND for an unknown
 * mentor or rev, FOLIO_EINVALID for a portfolio with no commits.
 */
int folio_coverage_get(folio_coverage **out, folio_site *site, const char *mentor, const char *rev);

#endif
