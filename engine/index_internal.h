/* engine/index_internal.h: coverage through the evidence cache for engine callers that hold the repository open. */
#ifndef FOLIO_INDEX_INTERNAL_H
#define FOLIO_INDEX_INTERNAL_H

#include <git2.h>
#include "folio/evidence.h"
#include "folio/site.h"

/*
 * Coverage of the portfolio at `commit` of the open repository `repo`, for
 * qualification q (may be NULL): each blob's analysis from the cache (blob
 * id), missing ones parsed and stored; the cache is emptied first when the
 * framework changed. No permission check: the caller has checked who asks.
 */
int folio_coverage__commit(folio_coverage **out, folio_site *site, git_repository *repo, const git_oid *commit,
	const folio_qualification *q);

#endif
