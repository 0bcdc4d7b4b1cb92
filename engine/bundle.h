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

/*
 * The same bundle handed to `cb` in pieces (the header, then the pack as
 * git_packbuilder_foreach writes it), so a large repository's pack is never
 * whole in memory. A negative return of cb stops the writing and is returned.
 */
typedef int (*folio_bundle_write_cb)(const void *data, size_t len, void *payload);
int folio_bundle_write(folio_bundle_write_cb cb, void *payload, size_t *nrefs, git_repository *repo,
	const char *pack_config);

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

/*
 * A bundle read as it arrives (from a zip member), with only its header in
 * memory: the pack goes to libgit2's indexer in the bare repository `repo`
 * as the bytes come. Errors are those of folio_bundle_parse and
 * folio_bundle_unpack, named `what`; after the first one, appends do nothing
 * and finish returns it. finish: the pack is complete, every ref tip is in it
 * and the history under each commit reads back; *refs (may be NULL) borrows
 * the refs until free, *commits (may be NULL) gets the number of commits.
 */
typedef struct folio_bundle_stream folio_bundle_stream;
int folio_bundle_stream_new(folio_bundle_stream **s, git_repository *repo, const char *what);
int folio_bundle_stream_append(folio_bundle_stream *s, const void *data, size_t len);
int folio_bundle_stream_finish(folio_bundle_stream *s, const folio_bundle **refs, size_t *commits);
void folio_bundle_stream_free(folio_bundle_stream *s);

/* Create the bundle's refs in `repo` (HEAD is not a ref: HEAD points at refs/heads/main). */
int folio_bundle_set_refs(git_repository *repo, const folio_bundle *b, const char *what);

#endif
