/* engine/gitutil.h: libgit2 set-up, error translation and small repository helpers. */
#ifndef FOLIO_GITUTIL_H
#define FOLIO_GITUTIL_H

#include <git2.h>

/* Initialise libgit2 once per process (thread-safe), with a bounded object cache. */
void folio_git_init(void);

/* Translate the last libgit2 error: "WHAT: libgit2's message". */
int folio_git_error(int code, const char *what);

/* Remove a directory tree (no symlinks followed). */
int folio_rmtree(const char *path);

/* Resolve refs/heads/main; *found = 0 (and 0 returned) when the branch is unborn. */
int folio_git_main(git_oid *out, int *found, git_repository *repo);

/*
 * The tip of main read straight from the loose ref file `refs/heads/main` of
 * a bare repository at `repo_path`, without opening the repository: 1 and
 * hex[41] filled when the file holds an object id, 0 when the caller must
 * ask libgit2 (no loose ref, a packed or symbolic ref, anything unexpected).
 */
int folio_git_main_loose(const char *repo_path, char hex[41]);

/*
 * The size of a blob read from its object header, without inflating the
 * blob: entries pushed with git may be far larger than folio reads.
 */
int folio_git_blob_size(git_object_size_t *out, git_repository *repo, const git_oid *oid);

#endif
