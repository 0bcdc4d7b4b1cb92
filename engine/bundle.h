/* engine/bundle.h: git bundles (v2) written and read with libgit2, no git subprocess. */
#ifndef FOLIO_BUNDLE_H
#define FOLIO_BUNDLE_H

#include <git2.h>
#include "util.h"

typedef struct {
	char *name;   /* "refs/heads/main", "refs/tags/x" or "HEAD" */
	git_oid oid;
} folio_bundle_ref;

typedef struct {
	folio_bundle_ref *refs;
	size_t nrefs;
	const unsigned char *pack; /* borrowed from the parsed data */
	size_t pack_len;
} folio_bundle;

/*
 * Append to `out` a v2 bundle of every branch and tag of `repo`, and HEAD
 * when main exists: "# v2 git bundle\n", "<oid> <refname>\n" lines, a blank
 * line, then a pack written by git_packbuilder. *nrefs gets the number of
 * refs; 0 (and nothing written) for a repository without any. pack_config
 * (may be NULL): a git config file whose pack.* settings the packbuilder
 * uses instead of the repository's (the archive narrows the delta window).
 */
int folio_bundle_create(folio_buf *out, size_t *nrefs, git_repository *repo, const char *pack_config);

/* Parse the header of bundle `data` (named `what` in errors); b borrows the pack from data. */
int folio_bundle_parse(folio_bundle *b, const unsigned char *data, size_t len, const char *what);
void folio_bundle_clear(folio_bundle *b);

/*
 * Index the bundle's pack into the bare repository `repo` (its objects/pack),
 * with libgit2's indexer checking every object and that the pack is complete,
 * then check that every ref tip exists and that the history under every
 * commit tip reads back. *commits (may be NULL) gets the number of commits.
 */
int folio_bundle_unpack(git_repository *repo, const folio_bundle *b, const char *what, size_t *commits);

/* Create the bundle's refs in `repo` (HEAD is not a ref: HEAD points at refs/heads/main). */
int folio_bundle_set_refs(git_repository *repo, const folio_bundle *b, const char *what);

#endif
