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

/* A Markdown file name: ends in ".md", any case (SPEC §3: any *.md file is a reflection). */
int folio_git_is_md(const char *name);

/* The Markdown blobs of a tree: path from the tree's root, and blob id. */
typedef struct {
	char *path;
	git_oid oid;
} folio_md_blob;

typedef struct {
	folio_md_blob *v;
	size_t n, cap;
} folio_md_list;

void folio_md_list_free(folio_md_list *l);
/* Every Markdown blob anywhere in `tree`, in tree-walk order, or sorted by path when `sorted`. */
int folio_md_collect(folio_md_list *out, git_tree *tree, int sorted);
/* The same for a commit's tree. */
int folio_md_collect_commit(folio_md_list *out, git_repository *repo, const git_oid *commit, int sorted);

#endif
