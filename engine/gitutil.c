/* engine/gitutil.c: libgit2 set-up, error translation and small repository helpers. */
#include "gitutil.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <git2/sys/odb_backend.h>
#include <libdeflate.h>
#include <zlib.h>

static pthread_once_t git_once = PTHREAD_ONCE_INIT;

static void git_setup(void)
{
	git_libgit2_init();
	/* keep memory flat when indexing thousands of repositories */
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)(8 * 1024 * 1024));
}

void folio_git_init(void)
{
	pthread_once(&git_once, git_setup);
}

int folio_git_error(int code, const char *what)
{
	const git_error *e = git_error_last();
	int folio_code = FOLIO_ERROR;
	if (code == GIT_ENOTFOUND)
		folio_code = FOLIO_ENOTFOUND;
	else if (code == GIT_EEXISTS)
		folio_code = FOLIO_EEXISTS;
	else if (code == GIT_EMODIFIED || code == GIT_ELOCKED)
		folio_code = FOLIO_ECONFLICT;
	else if (code == GIT_EINVALIDSPEC || code == GIT_EAMBIGUOUS)
		folio_code = FOLIO_EINVALID;
	return folio_error_set(folio_code, "%s: %s", what, e && e->message ? e->message : "git error");
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

int folio_rmtree(const char *path)
{
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		return folio_error_set(FOLIO_ERROR, "cannot remove '%s'", path);
	return 0;
}

int folio_git_main(git_oid *out, int *found, git_repository *repo)
{
	int rc = git_reference_name_to_id(out, repo, "refs/heads/main");
	*found = 0;
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return 0;
	}
	if (rc < 0)
		return folio_git_error(rc, "cannot read branch main");
	*found = 1;
	return 0;
}

int folio_git_main_loose(const char *repo_path, char hex[41])
{
	char buf[64];
	char *path = folio_asprintf("%s/refs/heads/main", repo_path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
	free(path);
	if (fd >= 0)
		close(fd);
	/* 40 hex digits and a newline, as git and libgit2 write it */
	if (n != 41 || buf[40] != '\n')
		return 0;
	for (int i = 0; i < 40; i++)
		if (!((buf[i] >= '0' && buf[i] <= '9') || (buf[i] >= 'a' && buf[i] <= 'f')))
			return 0;
	memcpy(hex, buf, 40);
	hex[40] = '\0';
	return 1;
}

int folio_git_blob_size(git_object_size_t *out, git_repository *repo, const git_oid *oid)
{
	git_odb *odb = NULL;
	git_object_t type = GIT_OBJECT_INVALID;
	size_t len = 0;
	int rc;
	if ((rc = git_repository_odb(&odb, repo)) == 0)
		rc = git_odb_read_header(&len, &type, odb, oid);
	git_odb_free(odb);
	if (rc < 0)
		return folio_git_error(rc, "cannot read entry");
	if (type != GIT_OBJECT_BLOB)
		return folio_error_set(FOLIO_EINVALID, "cannot read entry: object %.12s is not a blob", git_oid_tostr_s(oid));
	*out = (git_object_size_t)len;
	return 0;
}

int folio_git_is_md(const char *name)
{
	size_t n = strlen(name);
	return n > 3 && folio_strncasecmp_ascii(name + n - 3, ".md", 3) == 0;
}

void folio_md_list_free(folio_md_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int md_collect_cb(const char *root, const git_tree_entry *e, void *payload)
{
	folio_md_list *l = payload;
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || !folio_git_is_md(git_tree_entry_name(e)))
		return 0;
	l->v = folio_grow(l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n].path = folio_asprintf("%s%s", root, git_tree_entry_name(e));
	git_oid_cpy(&l->v[l->n].oid, git_tree_entry_id(e));
	l->n++;
	return 0;
}

static int md_blob_cmp(const void *a, const void *b)
{
	return strcmp(((const folio_md_blob *)a)->path, ((const folio_md_blob *)b)->path);
}

int folio_md_collect(folio_md_list *out, git_tree *tree, int sorted)
{
	int rc = git_tree_walk(tree, GIT_TREEWALK_PRE, md_collect_cb, out);
	if (rc < 0)
		return folio_git_error(rc, "cannot read the portfolio tree");
	if (sorted && out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), md_blob_cmp);
	return 0;
}

int folio_md_collect_commit(folio_md_list *out, git_repository *repo, const git_oid *commit, int sorted)
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	int rc, error;
	if ((rc = git_commit_lookup(&c, repo, commit)) < 0 || (rc = git_commit_tree(&t, c)) < 0)
		error = folio_git_error(rc, "cannot read the portfolio tree");
	else
		error = folio_md_collect(out, t, sorted);
	git_tree_free(t);
	git_commit_free(c);
	return error;
}

/* ------------------------------------------------------------ blobs read whole, checked against their id */

#define READ_CHUNK (64u * 1024)
#define FAST_IN_MAX (1u << 20) /* loose objects up to this size are inflated whole by libdeflate */
#define HEAD_MAX 64            /* "blob SIZE\0" */

static pthread_once_t sha1_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha1_fetched; /* fetched once: an implicit fetch per object costs as much as hashing it */

static void sha1_setup(void)
{
	sha1_fetched = EVP_MD_fetch(NULL, "SHA1", NULL);
}

static const EVP_MD *sha1_md(void)
{
	pthread_once(&sha1_once, sha1_setup);
	return sha1_fetched ? sha1_fetched : EVP_sha1();
}

/* The objects directory of the bare repository at `dir`, opened for openat; -1 when it cannot be. */
static int objects_dir(const char *dir)
{
	char *path = folio_asprintf("%s/objects", dir);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(path);
	return fd;
}

void folio_blob_reader_init(folio_blob_reader *r, git_repository *repo)
{
	memset(r, 0, sizeof(*r));
	r->repo = repo;
	r->dirfd = objects_dir(git_repository_path(repo));
}

void folio_blob_reader_init_path(folio_blob_reader *r, const char *path)
{
	memset(r, 0, sizeof(*r));
	r->repo_path = folio_strdup(path);
	r->dirfd = objects_dir(path);
}

git_repository *folio_blob_reader_repo(folio_blob_reader *r)
{
	int rc;
	if (!r->repo && r->repo_path && (rc = folio_git_open(&r->repo, r->repo_path)) < 0) {
		folio_git_error(rc, "cannot open the portfolio");
		r->repo = NULL;
	}
	return r->repo;
}

void folio_blob_reader_clear(folio_blob_reader *r)
{
	if (r->dirfd >= 0)
		close(r->dirfd);
	if (r->repo_path) {
		git_repository_free(r->repo);
		free(r->repo_path);
	}
	if (r->z) {
		inflateEnd(r->z);
		free(r->z);
	}
	if (r->dd)
		libdeflate_free_decompressor(r->dd);
	EVP_MD_CTX_free(r->md);
	free(r->in);
	free(r->out);
	memset(r, 0, sizeof(*r));
	r->dirfd = -1;
}

static int blob_damaged(const git_oid *id, const char *why)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof(hex), id);
	return folio_error_set(FOLIO_ERROR, "cannot read object %s of the portfolio: %s", hex, why);
}

/* Through libgit2 (packed objects, alternates): the size from the header first, so a large blob is never read. */
static int blob_read_libgit2(folio_blob_reader *r, const git_oid *id, size_t max, char **out, size_t *len)
{
	git_object_size_t size = 0;
	git_blob *blob = NULL;
	int rc, error;
	if (!folio_blob_reader_repo(r))
		return folio_error_code() < 0 ? folio_error_code() : FOLIO_ERROR;
	if ((error = folio_git_blob_size(&size, r->repo, id)) < 0)
		return error;
	*len = (size_t)size;
	if (size > max)
		return 0;
	if ((rc = git_blob_lookup(&blob, r->repo, id)) < 0)
		return folio_git_error(rc, "cannot read entry");
	*len = (size_t)git_blob_rawsize(blob);
	*out = folio_strndup(git_blob_rawcontent(blob), *len);
	git_blob_free(blob);
	return 0;
}

/*
 * "TYPE SIZE\0" at the start of data[n]: its length with the NUL in *hlen,
 * the type in *type and SIZE in *size. 0, or -1 when it is not an object
 * header (no error set: the callers say what it means).
 */
static int object_header(const char *data, size_t n, git_object_t *type, size_t *hlen, size_t *size)
{
	static const struct { const char *name; size_t len; git_object_t type; } kinds[] = {
		{ "blob ", 5, GIT_OBJECT_BLOB }, { "tree ", 5, GIT_OBJECT_TREE },
		{ "commit ", 7, GIT_OBJECT_COMMIT }, { "tag ", 4, GIT_OBJECT_TAG },
	};
	const char *nul = memchr(data, '\0', n < HEAD_MAX ? n : HEAD_MAX), *p = NULL;
	*size = 0;
	*type = GIT_OBJECT_INVALID;
	if (!nul)
		return -1;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if ((size_t)(nul - data) > kinds[k].len && memcmp(data, kinds[k].name, kinds[k].len) == 0) {
			*type = kinds[k].type;
			p = data + kinds[k].len;
		}
	if (!p)
		return -1;
	for (; p < nul; p++) {
		if (*p < '0' || *p > '9' || *size > (SIZE_MAX - 9) / 10)
			return -1;
		*size = *size * 10 + (size_t)(*p - '0');
	}
	*hlen = (size_t)(nul - data) + 1;
	return 0;
}

static int not_a_blob(const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof(hex), id);
	return folio_error_set(FOLIO_EINVALID, "cannot read object %s of the portfolio: not a blob", hex);
}

/* A blob's header, with an error naming the object when it is not one. */
static int blob_header(const git_oid *id, const char *data, size_t n, size_t *hlen, size_t *size)
{
	git_object_t type;
	if (object_header(data, n, &type, hlen, size) < 0)
		return blob_damaged(id, "not a git object");
	return type == GIT_OBJECT_BLOB ? 0 : not_a_blob(id);
}

/* The object's id is the SHA-1 of its header and content: checked with OpenSSL's SHA-1. */
static int blob_check(folio_blob_reader *r, const git_oid *id, const void *head, size_t hlen, const void *body, size_t size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	if (!r->md && !(r->md = EVP_MD_CTX_new()))
		abort(); /* out of memory */
	if (EVP_DigestInit_ex(r->md, sha1_md(), NULL) != 1 || EVP_DigestUpdate(r->md, head, hlen) != 1 ||
	    EVP_DigestUpdate(r->md, body, size) != 1 || EVP_DigestFinal_ex(r->md, md, &mdlen) != 1)
		abort(); /* out of memory */
	if (mdlen != GIT_OID_RAWSZ || memcmp(md, id->id, GIT_OID_RAWSZ) != 0)
		return blob_damaged(id, "its content does not match its id");
	return 0;
}

/* Open loose object `id`: 0 with *fd and *fsize (a regular file), 1 when it is not loose, -1 on any other failure. */
static int loose_open(folio_blob_reader *r, const git_oid *id, int *fd, off_t *fsize)
{
	char hex[GIT_OID_HEXSZ + 1], name[GIT_OID_HEXSZ + 2];
	struct stat sb;
	git_oid_tostr(hex, sizeof(hex), id);
	snprintf(name, sizeof(name), "%.2s/%s", hex, hex + 2);
	/* O_NONBLOCK: a FIFO put in its place is an error, not a wait (no effect on a file) */
	if ((*fd = openat(r->dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return errno == ENOENT ? 1 : -1;
	int bad = fstat(*fd, &sb) < 0 ? errno : !S_ISREG(sb.st_mode) ? 0 : -1;
	if (bad >= 0) {
		close(*fd);
		*fd = -1;
		errno = bad; /* 0: not a regular file */
		return -1;
	}
	*fsize = sb.st_size;
	return 0;
}

/*
 * A loose object's file of `fsize` bytes (at most FAST_IN_MAX) read whole
 * and inflated by libdeflate into r->out: 0 with its header parsed (*type,
 * *hlen, *size), 1 when it inflates to more than `limit` bytes, -1 when the
 * file cannot be read or is not a whole zlib stream of an object (no error
 * set).
 */
static int loose_inflate(folio_blob_reader *r, int fd, size_t fsize, size_t limit, git_object_t *type, size_t *hlen,
	size_t *size)
{
	size_t got = 0, used = 0, produced = 0, cap;
	enum libdeflate_result res;

	if (r->in_cap < fsize + 1) {
		free(r->in);
		r->in = folio_malloc(r->in_cap = fsize + 1 > READ_CHUNK ? fsize + 1 : READ_CHUNK);
	}
	while (got < fsize) {
		ssize_t n = read(fd, r->in + got, fsize - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	if (!r->dd && !(r->dd = libdeflate_alloc_decompressor()))
		abort(); /* out of memory */
	/* Markdown inflates to about three times its size: room for four first, for `limit` when that is short */
	cap = fsize < (SIZE_MAX - 4096) / 4 ? 4 * fsize + 4096 : limit;
	if (cap > limit)
		cap = limit;
	for (;;) {
		if (r->out_cap < cap) {
			free(r->out);
			r->out = folio_malloc(r->out_cap = cap);
		}
		res = libdeflate_zlib_decompress_ex(r->dd, r->in, fsize, r->out, cap, &used, &produced);
		if (res != LIBDEFLATE_INSUFFICIENT_SPACE)
			break;
		if (cap == limit)
			return 1;
		cap = limit;
	}
	/* a whole stream, the file ending with it, holding one object of the size its header says */
	if (res != LIBDEFLATE_SUCCESS || used != fsize || object_header(r->out, produced, type, hlen, size) < 0 ||
	    produced - *hlen != *size)
		return -1;
	return 0;
}

/*
 * A small loose blob read whole: 0 when done (or too large, *len set), 1
 * when it inflates to more than `max` and a header: the caller finds its
 * size with the streaming reader.
 */
static int blob_read_whole(folio_blob_reader *r, int fd, size_t fsize, const git_oid *id, size_t max, char **out,
	size_t *len)
{
	size_t hlen = 0, size = 0;
	git_object_t type;
	int rc, error;

	if ((rc = loose_inflate(r, fd, fsize, max + HEAD_MAX, &type, &hlen, &size)) != 0)
		return rc > 0 ? 1 : blob_damaged(id, "its compressed data is corrupt or not an object");
	if (type != GIT_OBJECT_BLOB)
		return not_a_blob(id);
	*len = size;
	if (size > max)
		return 0;
	if ((error = blob_check(r, id, r->out, hlen, r->out + hlen, size)) < 0) {
		*len = 0;
		return error;
	}
	*out = folio_strndup(r->out + hlen, size);
	return 0;
}

/* Inflate from fd into out[cap], refilling the input chunk as needed; *got bytes (fewer only at the stream's end). */
static int blob_inflate(folio_blob_reader *r, int fd, off_t *left, unsigned char *out, size_t cap, size_t *got, int *end)
{
	z_stream *z = r->z;
	size_t done = 0;
	while (done < cap && !*end) {
		uInt room = cap - done > UINT_MAX ? UINT_MAX : (uInt)(cap - done);
		int rc;
		if (z->avail_in == 0 && *left > 0) {
			ssize_t n;
			while ((n = read(fd, r->in, *left < (off_t)READ_CHUNK ? (size_t)*left : READ_CHUNK)) < 0 && errno == EINTR)
				;
			if (n <= 0)
				return -1;
			*left -= n;
			z->next_in = (unsigned char *)r->in;
			z->avail_in = (uInt)n;
		}
		z->next_out = out + done;
		z->avail_out = room;
		rc = inflate(z, Z_NO_FLUSH);
		done += room - z->avail_out;
		if (rc == Z_STREAM_END)
			*end = 1;
		else if (rc != Z_OK)
			return -1; /* Z_BUF_ERROR included: the file ended before the stream did */
	}
	*got = done;
	return 0;
}

/* A large loose object, inflated in chunks: a blob over `max` is never inflated past its header. */
static int blob_read_stream(folio_blob_reader *r, int fd, off_t fsize, const git_oid *id, size_t max, char **out,
	size_t *len)
{
	char head[HEAD_MAX];
	unsigned char extra;
	size_t got = 0, hlen = 0, size = 0, have;
	off_t left = fsize;
	int end = 0, error;
	char *body;

	if (lseek(fd, 0, SEEK_SET) != 0)
		return blob_damaged(id, "cannot read its file");
	if (r->in_cap < READ_CHUNK) {
		free(r->in);
		r->in = folio_malloc(r->in_cap = READ_CHUNK);
	}
	if (!r->z) {
		r->z = folio_calloc(1, sizeof(z_stream));
		if (inflateInit(r->z) != Z_OK)
			abort(); /* out of memory */
	} else if (inflateReset(r->z) != Z_OK) {
		abort();
	}
	((z_stream *)r->z)->avail_in = 0;
	/* the header, which may come with the first bytes of the content */
	if (blob_inflate(r, fd, &left, (unsigned char *)head, sizeof(head), &got, &end) < 0)
		return blob_damaged(id, "its compressed data is corrupt");
	if ((error = blob_header(id, head, got, &hlen, &size)) < 0)
		return error;
	*len = size;
	if (size > max)
		return 0;
	have = got - hlen;
	if (have > size)
		return blob_damaged(id, "its content is not as long as its header says");
	body = folio_malloc(size + 1);
	memcpy(body, head + hlen, have);
	if (have < size && (blob_inflate(r, fd, &left, (unsigned char *)body + have, size - have, &got, &end) < 0 ||
		got != size - have))
		error = blob_damaged(id, "its content is not as long as its header says");
	/* the stream ends with the content and the file with the stream */
	else if ((!end && (blob_inflate(r, fd, &left, &extra, 1, &got, &end) < 0 || got != 0 || !end)) || left != 0 ||
		 ((z_stream *)r->z)->avail_in != 0)
		error = blob_damaged(id, "its file goes on after its data");
	else
		error = blob_check(r, id, head, hlen, body, size);
	if (error < 0) {
		free(body);
		*len = 0;
		return error;
	}
	body[size] = '\0';
	*out = body;
	return 0;
}

int folio_blob_read(folio_blob_reader *r, const git_oid *id, size_t max, char **out, size_t *len)
{
	char hex[GIT_OID_HEXSZ + 1];
	off_t fsize = 0;
	int fd = -1, rc, error = 1;

	*out = NULL;
	*len = 0;
	if (r->dirfd < 0 || (rc = loose_open(r, id, &fd, &fsize)) == 1)
		return blob_read_libgit2(r, id, max, out, len); /* not loose: packed, or in an alternate */
	if (rc < 0) {
		git_oid_tostr(hex, sizeof(hex), id);
		return folio_error_set(FOLIO_ERROR, "cannot read object %s of the portfolio: %s", hex,
			errno ? strerror(errno) : "not a regular file");
	}
	if (fsize <= (off_t)FAST_IN_MAX && max <= SIZE_MAX - HEAD_MAX)
		error = blob_read_whole(r, fd, (size_t)fsize, id, max, out, len);
	if (error == 1)
		error = blob_read_stream(r, fd, fsize, id, max, out, len);
	close(fd);
	return error;
}

/* ------------------------------------------------------------ loose objects for libgit2, read the same way */

#define FAST_OBJECT_MAX (16u << 20) /* larger objects are left to libgit2 */
#define FAST_KEEP (1u << 20)        /* buffers larger than this are let go after each read */

typedef struct {
	git_odb_backend parent;
	folio_blob_reader r; /* only its objects directory and buffers */
} fast_backend;

/*
 * libgit2 asks its backends in turn: this one answers for a loose object
 * it can read whole, and passes anything else (not loose, large, unusual)
 * on to libgit2's own loose and pack backends. libgit2 checks what it
 * returns against the id (strict hash verification stays on).
 */
static int fast_read(void **data, size_t *len, git_object_t *type, git_odb_backend *b, const git_oid *id)
{
	fast_backend *fb = (fast_backend *)b;
	size_t hlen = 0, size = 0;
	off_t fsize = 0;
	char *copy;
	int fd = -1, rc;

	if (loose_open(&fb->r, id, &fd, &fsize) != 0)
		return GIT_PASSTHROUGH;
	rc = fsize <= (off_t)FAST_IN_MAX ? loose_inflate(&fb->r, fd, (size_t)fsize, FAST_OBJECT_MAX, type, &hlen, &size) : 1;
	close(fd);
	if (rc == 0 && (copy = git_odb_backend_data_alloc(b, size + 1)) != NULL) {
		memcpy(copy, fb->r.out + hlen, size);
		copy[size] = '\0';
		*data = copy;
		*len = size;
	} else {
		rc = rc == 0 ? -1 : GIT_PASSTHROUGH;
	}
	if (fb->r.out_cap > FAST_KEEP || fb->r.in_cap > FAST_KEEP) {
		free(fb->r.in);
		free(fb->r.out);
		fb->r.in = fb->r.out = NULL;
		fb->r.in_cap = fb->r.out_cap = 0;
	}
	return rc;
}

/* libgit2's loose backend lists the loose objects; this one adds nothing to a walk of the database. */
static int fast_foreach(git_odb_backend *b, git_odb_foreach_cb cb, void *payload)
{
	(void)b;
	(void)cb;
	(void)payload;
	return 0;
}

static void fast_free(git_odb_backend *b)
{
	fast_backend *fb = (fast_backend *)b;
	folio_blob_reader_clear(&fb->r);
	free(fb);
}

int folio_git_open(git_repository **out, const char *path)
{
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	fast_backend *fb;
	int rc;

	*out = NULL;
	folio_git_init();
	if ((rc = git_repository_open_bare(&repo, path)) < 0)
		return rc;
	if (git_repository_odb(&odb, repo) == 0) {
		fb = folio_calloc(1, sizeof(*fb));
		git_odb_init_backend(&fb->parent, GIT_ODB_BACKEND_VERSION);
		fb->parent.read = fast_read;
		fb->parent.foreach = fast_foreach;
		fb->parent.free = fast_free;
		fb->r.dirfd = objects_dir(git_repository_path(repo));
		/* asked before libgit2's pack (2) and loose (1) backends */
		if (fb->r.dirfd < 0 || git_odb_add_backend(odb, &fb->parent, 3) < 0)
			fast_free(&fb->parent); /* libgit2 alone reads everything then */
		git_odb_free(odb);
	}
	git_error_clear();
	*out = repo;
	return 0;
}
