/* engine/gitutil.h: libgit2 set-up, error translation and small repository helpers. */
#ifndef FOLIO_GITUTIL_H
#define FOLIO_GITUTIL_H

#include <git2.h>
#include <stddef.h>

struct libdeflate_decompressor;

/* Initialise libgit2 once per process (thread-safe), with a bounded object cache. */
void folio_git_init(void);

/*
 * Open the bare repository at `path` (a libgit2 error code when it cannot
 * be) with folio's reader of loose objects in front of libgit2's own: each
 * object is opened relative to the objects directory and inflated by
 * libdeflate, and libgit2 still checks it against its id. Packed objects
 * and anything it does not read itself go to libgit2's backends.
 */
int folio_git_open(git_repository **out, const char *path);

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

/*
 * Blobs read whole and checked against their id. A loose object (the way
 * folio and git's receive-pack store a portfolio's objects) is opened by its
 * name relative to the objects directory, inflated here and its SHA-1 taken
 * with OpenSSL (the hardware's SHA instructions where there are): libgit2 1.5
 * opens each object by its full path five system calls at a time, inflates
 * it with zlib and checks it with the collision-detecting SHA-1: a third of
 * the time a pack took. Here an object up to 1 MiB is inflated whole by
 * libdeflate (about twice zlib's speed), a larger one with zlib in 64 KiB
 * chunks, so a blob over the limit is never inflated. Anything else (a
 * packed object, an alternate) is read by libgit2, which checks it itself.
 * A reader belongs to one thread.
 */
typedef struct {
	git_repository *repo;      /* NULL until needed when made from a path */
	char *repo_path;           /* set when the reader opens (and owns) repo itself */
	int dirfd;                 /* the objects directory; -1: everything through libgit2 */
	struct libdeflate_decompressor *dd;
	void *z;                   /* z_stream for large objects, made on first use */
	void *md;                  /* EVP_MD_CTX */
	char *in, *out;            /* the compressed file, the inflated object */
	size_t in_cap, out_cap;
} folio_blob_reader;

void folio_blob_reader_init(folio_blob_reader *r, git_repository *repo);
/* A reader of the bare repository at `path` for another thread: it opens its own git_repository only when it needs one. */
void folio_blob_reader_init_path(folio_blob_reader *r, const char *path);
/* The reader's repository (opened now when made from a path); NULL with the error set when it cannot be opened. */
git_repository *folio_blob_reader_repo(folio_blob_reader *r);
void folio_blob_reader_clear(folio_blob_reader *r);

/*
 * Blob `id`: its content in *out (NUL-terminated, the caller frees it) and
 * length in *len. A blob larger than `max` bytes is not read: 0 returned,
 * *out NULL and *len its size. An object that is not a blob, missing or
 * damaged (inflates to other bytes than its id names) is an error naming it.
 */
int folio_blob_read(folio_blob_reader *r, const git_oid *id, size_t max, char **out, size_t *len);

#endif
