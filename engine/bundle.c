/* engine/bundle.c: git bundles (v2) written with git_packbuilder and read back with git_indexer. */
#include "bundle.h"
#include "gitutil.h"

#include <git2/sys/repository.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <stdlib.h>
#include <string.h>

#define BUNDLE_SIGNATURE "# v2 git bundle\n"

/* A set of object ids (open addressing), for trees and blobs already seen. */
typedef struct {
	git_oid *v;
	unsigned char *used;
	size_t n, cap;
} oid_set;

static size_t oid_slot(const oid_set *s, const git_oid *id)
{
	size_t h;
	memcpy(&h, id->id, sizeof(h)); /* an object id is already a hash */
	for (h &= s->cap - 1; s->used[h] && !git_oid_equal(&s->v[h], id); h = (h + 1) & (s->cap - 1))
		;
	return h;
}

/* Add id; 1 when it was there already. */
static int oid_set_add(oid_set *s, const git_oid *id)
{
	size_t h;
	if (2 * (s->n + 1) > s->cap) {
		oid_set old = *s;
		s->cap = old.cap ? old.cap * 2 : 64;
		s->v = folio_calloc(s->cap, sizeof(git_oid));
		s->used = folio_calloc(s->cap, 1);
		s->n = 0;
		for (size_t i = 0; i < old.cap; i++)
			if (old.used[i]) {
				h = oid_slot(s, &old.v[i]);
				git_oid_cpy(&s->v[h], &old.v[i]);
				s->used[h] = 1;
				s->n++;
			}
		free(old.v);
		free(old.used);
	}
	h = oid_slot(s, id);
	if (s->used[h])
		return 1;
	git_oid_cpy(&s->v[h], id);
	s->used[h] = 1;
	s->n++;
	return 0;
}

static void oid_set_free(oid_set *s)
{
	free(s->v);
	free(s->used);
	memset(s, 0, sizeof(*s));
}


/* ------------------------------------------------------------ write */

static int ref_cmp(const void *a, const void *b)
{
	return strcmp(((const folio_bundle_ref *)a)->name, ((const folio_bundle_ref *)b)->name);
}

/* Branches and tags with their (unpeeled) targets, sorted by name; symbolic refs are left out. */
static int collect_refs(folio_bundle_ref **out, size_t *n, git_repository *repo)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	folio_bundle_ref *refs = NULL;
	size_t count = 0, cap = 0;
	int error = 0, rc;

	if ((rc = git_reference_iterator_new(&it, repo)) < 0)
		return folio_git_error(rc, "cannot list the refs");
	while ((rc = git_reference_next(&ref, it)) == 0) {
		const char *name = git_reference_name(ref);
		if (git_reference_type(ref) == GIT_REFERENCE_DIRECT &&
		    (strncmp(name, "refs/heads/", 11) == 0 || strncmp(name, "refs/tags/", 10) == 0)) {
			if (count == cap) {
				cap = cap ? cap * 2 : 8;
				refs = folio_realloc(refs, cap * sizeof(*refs));
			}
			refs[count].name = folio_strdup(name);
			git_oid_cpy(&refs[count].oid, git_reference_target(ref));
			count++;
		}
		git_reference_free(ref);
		ref = NULL;
	}
	if (rc != GIT_ITEROVER)
		error = folio_git_error(rc, "cannot list the refs");
	git_reference_iterator_free(it);
	if (count > 1)
		qsort(refs, count, sizeof(*refs), ref_cmp);
	*out = refs;
	*n = count;
	return error;
}

static void refs_free(folio_bundle_ref *refs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(refs[i].name);
	free(refs);
}

typedef struct {
	folio_bundle_write_cb cb;
	void *payload;
	int error; /* the callback's own error, kept apart from libgit2's */
} pack_out;

static int pack_chunk(void *data, size_t len, void *payload)
{
	pack_out *o = payload;
	if ((o->error = o->cb(data, len, o->payload)) < 0)
		return GIT_EUSER;
	return 0;
}

/*
 * Blobs larger than this bypass git_packbuilder, which holds every object
 * it writes whole, raw and deflated: a 100 MB artefact cost 200 MB. They
 * are appended to its pack undeltified, read in chunks (from a loose object;
 * a packed one libgit2 can only read whole) and deflated as they stream.
 */
#define BIG_BLOB (4u << 20)

typedef struct {
	git_oid *v;
	size_t n, cap;
} oid_list;

/* Tree `id` and what is under it: to the packbuilder, or into *big; each object once (`seen`). */
static int insert_tree(git_packbuilder *pb, git_repository *repo, git_odb *odb, const git_oid *id, const char *name,
	oid_set *seen, oid_list *big)
{
	git_tree *tree = NULL;
	int rc;
	if (oid_set_add(seen, id))
		return 0;
	if ((rc = git_packbuilder_insert(pb, id, name)) < 0 || (rc = git_tree_lookup(&tree, repo, id)) < 0)
		return rc;
	for (size_t i = 0, n = git_tree_entrycount(tree); i < n && rc == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const git_oid *eid = git_tree_entry_id(e);
		size_t len = 0;
		git_object_t type;
		if (git_tree_entry_filemode(e) == GIT_FILEMODE_COMMIT)
			continue; /* a submodule's commit lives elsewhere */
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
			rc = insert_tree(pb, repo, odb, eid, git_tree_entry_name(e), seen, big);
			continue;
		}
		if (oid_set_add(seen, eid))
			continue;
		if ((rc = git_odb_read_header(&len, &type, odb, eid)) < 0)
			break;
		if (type == GIT_OBJECT_BLOB && len > BIG_BLOB) {
			if (big->n == big->cap) {
				big->cap = big->cap ? big->cap * 2 : 4;
				big->v = folio_realloc(big->v, big->cap * sizeof(git_oid));
			}
			git_oid_cpy(&big->v[big->n++], eid);
		} else {
			rc = git_packbuilder_insert(pb, eid, git_tree_entry_name(e));
		}
	}
	git_tree_free(tree);
	return rc;
}

/* The commits of `walk` with their trees and blobs. */
static int insert_history(git_packbuilder *pb, git_repository *repo, git_revwalk *walk, oid_list *big)
{
	git_odb *odb = NULL;
	oid_set seen = { 0 };
	git_oid oid;
	int rc;
	if ((rc = git_repository_odb(&odb, repo)) < 0)
		return rc;
	while ((rc = git_revwalk_next(&oid, walk)) == 0) {
		git_commit *c = NULL;
		if ((rc = git_commit_lookup(&c, repo, &oid)) < 0)
			break;
		if ((rc = git_packbuilder_insert(pb, &oid, NULL)) == 0)
			rc = insert_tree(pb, repo, odb, git_commit_tree_id(c), NULL, &seen, big);
		git_commit_free(c);
		if (rc < 0)
			break;
	}
	oid_set_free(&seen);
	git_odb_free(odb);
	return rc == GIT_ITEROVER ? 0 : rc;
}

/*
 * The packbuilder's pack with the big blobs appended: our header (its count
 * plus theirs) replaces its header, its trailer is held back, and the SHA-1
 * over everything written becomes the trailer.
 */
typedef struct {
	pack_out *o;
	EVP_MD_CTX *sha1;
	size_t skip;             /* bytes of the packbuilder's header still to drop */
	unsigned char tail[20];  /* the last bytes seen: its trailer at the end */
	size_t tail_len;
} splice;

static int splice_emit(splice *s, const void *data, size_t len)
{
	if (len == 0)
		return 0;
	EVP_DigestUpdate(s->sha1, data, len);
	return s->o->error = s->o->cb(data, len, s->o->payload);
}

static int splice_chunk(void *data, size_t len, void *payload)
{
	splice *s = payload;
	const unsigned char *d = data;
	size_t k = s->skip < len ? s->skip : len, out, from_tail, from_d;
	d += k;
	len -= k;
	s->skip -= k;
	if (s->tail_len + len <= sizeof(s->tail)) {
		memcpy(s->tail + s->tail_len, d, len);
		s->tail_len += len;
		return 0;
	}
	/* everything but the last 20 bytes of (tail, d) goes out */
	out = s->tail_len + len - sizeof(s->tail);
	from_tail = out < s->tail_len ? out : s->tail_len;
	from_d = out - from_tail;
	if (splice_emit(s, s->tail, from_tail) < 0 || splice_emit(s, d, from_d) < 0)
		return GIT_EUSER;
	memmove(s->tail, s->tail + from_tail, s->tail_len - from_tail);
	s->tail_len -= from_tail;
	memcpy(s->tail + s->tail_len, d + from_d, len - from_d);
	s->tail_len += len - from_d;
	return 0;
}

/*
 * A big blob's content, read in chunks: from its loose object file, inflated
 * by hand (libgit2's read stream maps the whole file, and every page of it
 * then counts in the resident size) and checked against its id; a packed
 * one libgit2 can only read whole.
 */
typedef struct {
	FILE *f;
	z_stream z;
	int zinit, end;
	unsigned char *cbuf;
	EVP_MD_CTX *sha1;
	git_odb_object *whole;
	size_t len, pos;
	char *what;
} blob_src;

#define SRC_CHUNK (1u << 16)

static int src_damaged(blob_src *b)
{
	return folio_error_set(FOLIO_ERROR, "cannot write the bundle: %s is damaged", b->what);
}

/* Inflate into out[cap] (at least a byte unless at the end); *got bytes. */
static int src_inflate(blob_src *b, unsigned char *out, size_t cap, size_t *got)
{
	b->z.next_out = out;
	b->z.avail_out = (uInt)cap;
	while (b->z.avail_out == cap && !b->end) {
		int rc;
		if (b->z.avail_in == 0) {
			size_t r = fread(b->cbuf, 1, SRC_CHUNK, b->f);
			if (r == 0)
				return src_damaged(b);
			b->z.next_in = b->cbuf;
			b->z.avail_in = (uInt)r;
		}
		rc = inflate(&b->z, Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			b->end = 1;
		else if (rc != Z_OK)
			return src_damaged(b);
	}
	*got = cap - b->z.avail_out;
	EVP_DigestUpdate(b->sha1, out, *got);
	return 0;
}

static int src_open(blob_src *b, git_repository *repo, git_odb *odb, const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1], head[32];
	char *path;
	size_t n = 0, got = 0;
	int rc;

	memset(b, 0, sizeof(*b));
	git_oid_tostr(hex, sizeof(hex), id);
	b->what = folio_asprintf("file %s of the portfolio", hex);
	path = folio_asprintf("%sobjects/%.2s/%s", git_repository_path(repo), hex, hex + 2);
	b->f = fopen(path, "rb");
	free(path);
	if (!b->f) {
		if ((rc = git_odb_read(&b->whole, odb, id)) < 0)
			return folio_git_error(rc, "cannot write the bundle");
		b->len = git_odb_object_size(b->whole);
		return 0;
	}
	b->cbuf = folio_malloc(SRC_CHUNK);
	if (!(b->sha1 = EVP_MD_CTX_new()) || EVP_DigestInit_ex(b->sha1, EVP_sha1(), NULL) != 1)
		abort(); /* out of memory */
	if (inflateInit(&b->z) != Z_OK)
		return src_damaged(b);
	b->zinit = 1;
	/* "blob SIZE\0", a byte at a time */
	do {
		if ((rc = src_inflate(b, (unsigned char *)head + n, 1, &got)) < 0)
			return rc;
		if (got == 0)
			return src_damaged(b);
	} while (head[n++] != '\0' && n < sizeof(head));
	if (head[n - 1] != '\0' || strncmp(head, "blob ", 5) != 0)
		return src_damaged(b);
	b->len = strtoull(head + 5, NULL, 10);
	return 0;
}

static int src_read(blob_src *b, unsigned char *out, size_t cap, size_t *got)
{
	int error;
	if (cap > b->len - b->pos)
		cap = b->len - b->pos;
	if (b->whole) {
		memcpy(out, (const unsigned char *)git_odb_object_data(b->whole) + b->pos, cap);
		*got = cap;
	} else if ((error = src_inflate(b, out, cap, got)) < 0) {
		return error;
	}
	b->pos += *got;
	if (*got == 0 && b->pos < b->len)
		return src_damaged(b);
	return 0;
}

/* The whole content was read: a loose object ends there and has the id it is named by. */
static int src_check(blob_src *b, const git_oid *id)
{
	unsigned char md[EVP_MAX_MD_SIZE], extra;
	unsigned mdlen = 0;
	size_t got = 0;
	if (b->whole)
		return 0;
	if (!b->end && (src_inflate(b, &extra, 1, &got) < 0 || got != 0 || !b->end))
		return src_damaged(b);
	EVP_DigestFinal_ex(b->sha1, md, &mdlen);
	if (mdlen != GIT_OID_RAWSZ || memcmp(md, id->id, GIT_OID_RAWSZ) != 0)
		return src_damaged(b);
	return 0;
}

static void src_close(blob_src *b)
{
	if (b->zinit)
		inflateEnd(&b->z);
	if (b->f)
		fclose(b->f);
	EVP_MD_CTX_free(b->sha1);
	git_odb_object_free(b->whole);
	free(b->cbuf);
	free(b->what);
}

/* One big blob as an undeltified pack entry: type and size header, then the deflated content. */
static int write_big_blob(splice *s, git_repository *repo, git_odb *odb, const git_oid *id)
{
	blob_src src;
	size_t size, hn = 0, got = 0;
	unsigned char hdr[16], c;
	unsigned char *in = folio_malloc(SRC_CHUNK), *outb = folio_malloc(SRC_CHUNK);
	z_stream z;
	int error, zinit = 0, zrc = Z_OK;

	memset(&z, 0, sizeof(z));
	if ((error = src_open(&src, repo, odb, id)) < 0)
		goto cleanup;
	size = src.len;
	c = (unsigned char)((GIT_OBJECT_BLOB << 4) | (size & 15));
	for (size >>= 4; size; size >>= 7) {
		hdr[hn++] = c | 0x80;
		c = size & 0x7f;
	}
	hdr[hn++] = c;
	if ((error = splice_emit(s, hdr, hn)) < 0)
		goto cleanup;
	if (deflateInit(&z, Z_BEST_SPEED) != Z_OK) {
		error = folio_error_set(FOLIO_ERROR, "cannot write the bundle: zlib cannot start");
		goto cleanup;
	}
	zinit = 1;
	while (zrc != Z_STREAM_END) {
		if (z.avail_in == 0 && src.pos < src.len) {
			if ((error = src_read(&src, in, SRC_CHUNK, &got)) < 0)
				goto cleanup;
			z.next_in = in;
			z.avail_in = (uInt)got;
		}
		z.next_out = outb;
		z.avail_out = SRC_CHUNK;
		zrc = deflate(&z, src.pos == src.len && z.avail_in == 0 ? Z_FINISH : Z_NO_FLUSH);
		if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
			error = folio_error_set(FOLIO_ERROR, "cannot write the bundle: zlib error %d", zrc);
			goto cleanup;
		}
		if ((error = splice_emit(s, outb, SRC_CHUNK - z.avail_out)) < 0)
			goto cleanup;
	}
	error = src_check(&src, id);
cleanup:
	if (zinit)
		deflateEnd(&z);
	src_close(&src);
	free(in);
	free(outb);
	return error;
}

/* The pack: the packbuilder's objects, then the big blobs. */
static int write_spliced(git_packbuilder *pb, git_repository *repo, const oid_list *big, pack_out *o)
{
	splice s = { o, NULL, 12, { 0 }, 0 };
	git_odb *odb = NULL;
	unsigned char head[12] = { 'P', 'A', 'C', 'K', 0, 0, 0, 2 }, md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	size_t count = git_packbuilder_object_count(pb) + big->n;
	int error = 0, rc;

	if (count > 0xffffffffu)
		return folio_error_set(FOLIO_ERROR, "cannot write the bundle: too many objects");
	for (int i = 0; i < 4; i++)
		head[8 + i] = (unsigned char)(count >> (24 - 8 * i));
	if (!(s.sha1 = EVP_MD_CTX_new()) || EVP_DigestInit_ex(s.sha1, EVP_sha1(), NULL) != 1)
		abort(); /* out of memory */
	if ((rc = git_repository_odb(&odb, repo)) < 0) {
		error = folio_git_error(rc, "cannot write the bundle");
		goto cleanup;
	}
	if ((error = splice_emit(&s, head, sizeof(head))) < 0)
		goto cleanup;
	if ((rc = git_packbuilder_foreach(pb, splice_chunk, &s)) < 0) {
		error = o->error < 0 ? o->error : folio_git_error(rc, "cannot write the bundle");
		git_error_clear();
		goto cleanup;
	}
	if (s.tail_len != sizeof(s.tail)) {
		error = folio_error_set(FOLIO_ERROR, "cannot write the bundle: the pack ends early");
		goto cleanup;
	}
	for (size_t i = 0; i < big->n && error == 0; i++)
		error = write_big_blob(&s, repo, odb, &big->v[i]);
	if (error == 0) {
		EVP_DigestFinal_ex(s.sha1, md, &mdlen);
		error = o->cb(md, mdlen, o->payload);
	}
cleanup:
	EVP_MD_CTX_free(s.sha1);
	git_odb_free(odb);
	return error;
}

int folio_bundle_write(folio_bundle_write_cb cb, void *payload, size_t *nrefs, git_repository *repo,
	const char *pack_config)
{
	folio_bundle_ref *refs = NULL;
	size_t n = 0;
	git_packbuilder *pb = NULL;
	git_revwalk *walk = NULL;
	folio_buf head = FOLIO_BUF_INIT;
	pack_out out = { cb, payload, 0 };
	oid_list big = { NULL, 0, 0 };
	const git_oid *main_tip = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int error, rc = 0;

	*nrefs = 0;
	if ((error = collect_refs(&refs, &n, repo)) < 0 || n == 0)
		goto cleanup;
	if (pack_config) {
		git_config *cfg = NULL;
		if ((rc = git_config_open_ondisk(&cfg, pack_config)) < 0 || (rc = git_repository_set_config(repo, cfg)) < 0) {
			git_config_free(cfg);
			goto gitfail;
		}
		git_config_free(cfg);
	}
	if ((rc = git_packbuilder_new(&pb, repo)) < 0 || (rc = git_revwalk_new(&walk, repo)) < 0)
		goto gitfail;
	for (size_t i = 0; i < n; i++) {
		git_object *obj = NULL, *peeled = NULL;
		if (strcmp(refs[i].name, "refs/heads/main") == 0)
			main_tip = &refs[i].oid;
		if ((rc = git_object_lookup(&obj, repo, &refs[i].oid, GIT_OBJECT_ANY)) < 0)
			goto gitfail;
		if (git_object_type(obj) == GIT_OBJECT_TAG) {
			/* the tag object itself travels, then its target like any tip */
			rc = git_packbuilder_insert(pb, &refs[i].oid, refs[i].name);
			if (rc == 0)
				rc = git_object_peel(&peeled, obj, GIT_OBJECT_ANY);
			git_object_free(obj);
			obj = peeled;
		}
		if (rc == 0 && git_object_type(obj) == GIT_OBJECT_COMMIT)
			rc = git_revwalk_push(walk, git_object_id(obj));
		else if (rc == 0)
			rc = git_packbuilder_insert_recur(pb, git_object_id(obj), NULL);
		git_object_free(obj);
		if (rc < 0)
			goto gitfail;
	}
	if ((rc = insert_history(pb, repo, walk, &big)) < 0)
		goto gitfail;

	folio_buf_puts(&head, BUNDLE_SIGNATURE);
	for (size_t i = 0; i < n; i++) {
		git_oid_tostr(hex, sizeof(hex), &refs[i].oid);
		folio_buf_printf(&head, "%s %s\n", hex, refs[i].name);
	}
	/* git clone picks the branch HEAD names: main */
	if (main_tip) {
		git_oid_tostr(hex, sizeof(hex), main_tip);
		folio_buf_printf(&head, "%s HEAD\n", hex);
	}
	folio_buf_putc(&head, '\n');
	if ((error = cb(head.ptr, head.size, payload)) < 0)
		goto cleanup;
	/* the pack object by object, never whole in memory */
	if (big.n > 0) {
		if ((error = write_spliced(pb, repo, &big, &out)) < 0)
			goto cleanup;
	} else if ((rc = git_packbuilder_foreach(pb, pack_chunk, &out)) < 0) {
		if (out.error < 0) {
			error = out.error;
			git_error_clear();
			goto cleanup;
		}
		goto gitfail;
	}
	*nrefs = n;
	goto cleanup;

gitfail:
	error = folio_git_error(rc, "cannot write the bundle");
cleanup:
	free(big.v);
	folio_buf_free(&head);
	git_revwalk_free(walk);
	git_packbuilder_free(pb);
	refs_free(refs, n);
	return error;
}

static int buf_chunk(const void *data, size_t len, void *payload)
{
	folio_buf_put(payload, data, len);
	return 0;
}

int folio_bundle_create(folio_buf *out, size_t *nrefs, git_repository *repo, const char *pack_config)
{
	return folio_bundle_write(buf_chunk, out, nrefs, repo, pack_config);
}

/* ------------------------------------------------------------ read */

static int refname_ok(const char *name)
{
	int valid = 0;
	if (strcmp(name, "HEAD") == 0)
		return 1;
	if (strncmp(name, "refs/heads/", 11) != 0 && strncmp(name, "refs/tags/", 10) != 0)
		return 0;
	return git_reference_name_is_valid(&valid, name) == 0 && valid;
}

int folio_bundle_parse(folio_bundle *b, const unsigned char *data, size_t len, const char *what)
{
	size_t pos = sizeof(BUNDLE_SIGNATURE) - 1, cap = 0;
	memset(b, 0, sizeof(*b));

	if (len < pos || memcmp(data, BUNDLE_SIGNATURE, pos) != 0)
		return folio_error_set(FOLIO_EINVALID, "%s is not a v2 git bundle", what);
	for (;;) {
		const unsigned char *nl = pos < len ? memchr(data + pos, '\n', len - pos) : NULL;
		size_t line;
		if (!nl) {
			folio_bundle_clear(b);
			return folio_error_set(FOLIO_EINVALID, "%s: the bundle header does not end", what);
		}
		line = (size_t)(nl - (data + pos));
		if (line == 0) {
			pos++;
			break;
		}
		if (data[pos] == '-') {
			folio_bundle_clear(b);
			return folio_error_set(FOLIO_EINVALID, "%s: the bundle needs prerequisite commits: it is not complete",
				what);
		}
		char *text = folio_strndup((const char *)data + pos, line);
		git_oid oid;
		if (line < GIT_OID_HEXSZ + 2 || text[GIT_OID_HEXSZ] != ' ' || git_oid_fromstrn(&oid, text, GIT_OID_HEXSZ) < 0 ||
		    strlen(text) != line || !refname_ok(text + GIT_OID_HEXSZ + 1)) {
			git_error_clear();
			folio_bundle_clear(b);
			int error = folio_error_set(FOLIO_EINVALID, "%s: bad bundle header line '%.80s'", what, text);
			free(text);
			return error;
		}
		for (size_t i = 0; i < b->nrefs; i++)
			if (strcmp(b->refs[i].name, text + GIT_OID_HEXSZ + 1) == 0) {
				folio_bundle_clear(b);
				int error = folio_error_set(FOLIO_EINVALID, "%s: ref '%s' is listed twice", what,
					text + GIT_OID_HEXSZ + 1);
				free(text);
				return error;
			}
		if (b->nrefs == cap) {
			cap = cap ? cap * 2 : 8;
			b->refs = folio_realloc(b->refs, cap * sizeof(*b->refs));
		}
		b->refs[b->nrefs].name = folio_strdup(text + GIT_OID_HEXSZ + 1);
		git_oid_cpy(&b->refs[b->nrefs].oid, &oid);
		b->nrefs++;
		free(text);
		pos += line + 1;
	}
	if (b->nrefs == 0) {
		folio_bundle_clear(b);
		return folio_error_set(FOLIO_EINVALID, "%s: the bundle has no refs", what);
	}
	if (len - pos < 12 || memcmp(data + pos, "PACK", 4) != 0) {
		folio_bundle_clear(b);
		return folio_error_set(FOLIO_EINVALID, "%s: no pack after the bundle header", what);
	}
	b->pack = data + pos;
	b->pack_len = len - pos;
	return 0;
}

void folio_bundle_clear(folio_bundle *b)
{
	if (!b)
		return;
	refs_free(b->refs, b->nrefs);
	memset(b, 0, sizeof(*b));
}

/* The pack going into a repository's objects/pack through libgit2's indexer. */
typedef struct {
	git_indexer *idx;
	git_odb *odb;
	git_indexer_progress stats;
} pack_in;

static int pack_in_open(pack_in *p, git_repository *repo)
{
	git_indexer_options opts;
	char *dir;
	int rc;

	memset(p, 0, sizeof(*p));
	git_indexer_options_init(&opts, GIT_INDEXER_OPTIONS_VERSION);
	/*
	 * Not opts.verify: libgit2 then holds every object whole while indexing,
	 * a 100 MB artefact included. pack_in_finish checks the same: every
	 * object the history names is in the pack.
	 */
	dir = folio_asprintf("%sobjects/pack", git_repository_path(repo));
	if ((rc = git_repository_odb(&p->odb, repo)) < 0 || (rc = git_indexer_new(&p->idx, dir, 0, p->odb, &opts)) < 0)
		rc = folio_git_error(rc, "cannot index the bundle");
	free(dir);
	return rc < 0 ? rc : 0;
}

static int pack_damaged(const char *what)
{
	int error = folio_error_set(FOLIO_EINVALID, "%s: the bundle's pack is damaged: %s", what,
		git_error_last() ? git_error_last()->message : "indexer failed");
	git_error_clear();
	return error;
}

/* Feed pack bytes in slices of at most 1 MiB, as a network fetch would. */
static int pack_in_append(pack_in *p, const unsigned char *data, size_t len, const char *what)
{
	for (size_t off = 0; off < len;) {
		size_t n = len - off < (1u << 20) ? len - off : (1u << 20);
		if (git_indexer_append(p->idx, data + off, n, &p->stats) < 0)
			return pack_damaged(what);
		off += n;
	}
	return 0;
}

static void pack_in_close(pack_in *p)
{
	git_indexer_free(p->idx);
	git_odb_free(p->odb);
	memset(p, 0, sizeof(*p));
}

/* Every object under tree `id` is in the odb (trees once each, by `seen`); the first missing one into *missing. */
static int tree_complete(git_repository *repo, git_odb *odb, const git_oid *id, oid_set *seen, git_oid *missing)
{
	git_tree *tree = NULL;
	int error = 0;
	if (oid_set_add(seen, id))
		return 0;
	if (git_tree_lookup(&tree, repo, id) < 0) {
		git_error_clear();
		git_oid_cpy(missing, id);
		return -1;
	}
	for (size_t i = 0, n = git_tree_entrycount(tree); i < n && error == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const git_oid *eid = git_tree_entry_id(e);
		if (git_tree_entry_filemode(e) == GIT_FILEMODE_COMMIT)
			continue; /* a submodule's commit lives elsewhere */
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
			error = tree_complete(repo, odb, eid, seen, missing);
		else if (!git_odb_exists(odb, eid)) {
			git_oid_cpy(missing, eid);
			error = -1;
		}
	}
	git_tree_free(tree);
	return error;
}

/* The pack is complete: index written, then every tip is in it and the history under each commit reads back. */
static int pack_in_finish(pack_in *p, git_repository *repo, const folio_bundle *b, const char *what, size_t *commits)
{
	git_revwalk *walk = NULL;
	oid_set seen = { 0 };
	size_t count = 0;
	int error = 0, rc;

	if (git_indexer_commit(p->idx, &p->stats) < 0)
		return pack_damaged(what);
	if ((rc = git_odb_refresh(p->odb)) < 0)
		return folio_git_error(rc, "cannot read the bundle's objects");
	if ((rc = git_revwalk_new(&walk, repo)) < 0)
		return folio_git_error(rc, "cannot walk the bundle");
	for (size_t i = 0; i < b->nrefs; i++) {
		git_object *obj = NULL, *peeled = NULL;
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), &b->refs[i].oid);
		if (!git_odb_exists(p->odb, &b->refs[i].oid) ||
		    git_object_lookup(&obj, repo, &b->refs[i].oid, GIT_OBJECT_ANY) < 0 ||
		    (git_object_type(obj) == GIT_OBJECT_TAG && git_object_peel(&peeled, obj, GIT_OBJECT_ANY) < 0)) {
			git_error_clear();
			git_object_free(obj);
			error = folio_error_set(FOLIO_EINVALID, "%s: ref '%s' names %s, which is not in the bundle", what,
				b->refs[i].name, hex);
			goto cleanup;
		}
		git_error_clear();
		git_object *target = peeled ? peeled : obj;
		rc = 0;
		if (git_object_type(target) == GIT_OBJECT_COMMIT)
			rc = git_revwalk_push(walk, git_object_id(target));
		git_object_free(peeled);
		git_object_free(obj);
		if (rc < 0) {
			error = folio_git_error(rc, "cannot walk the bundle");
			goto cleanup;
		}
	}
	{
		git_oid oid;
		while ((rc = git_revwalk_next(&oid, walk)) == 0) {
			git_commit *c = NULL;
			git_oid missing;
			if (git_commit_lookup(&c, repo, &oid) < 0 || !git_odb_exists(p->odb, git_commit_tree_id(c))) {
				char hex[GIT_OID_HEXSZ + 1];
				git_oid_tostr(hex, sizeof(hex), &oid);
				git_commit_free(c);
				git_error_clear();
				error = folio_error_set(FOLIO_EINVALID, "%s: the history is broken at commit %s", what, hex);
				goto cleanup;
			}
			if (tree_complete(repo, p->odb, git_commit_tree_id(c), &seen, &missing) < 0) {
				char hex[GIT_OID_HEXSZ + 1], at[GIT_OID_HEXSZ + 1];
				git_oid_tostr(hex, sizeof(hex), &missing);
				git_oid_tostr(at, sizeof(at), &oid);
				git_commit_free(c);
				error = folio_error_set(FOLIO_EINVALID, "%s: object %s of commit %s is not in the bundle", what, hex, at);
				goto cleanup;
			}
			git_commit_free(c);
			count++;
		}
		if (rc != GIT_ITEROVER) {
			error = folio_error_set(FOLIO_EINVALID, "%s: the history is broken: %s", what,
				git_error_last() ? git_error_last()->message : "missing commit");
			git_error_clear();
			goto cleanup;
		}
	}
	if (commits)
		*commits = count;
cleanup:
	oid_set_free(&seen);
	git_revwalk_free(walk);
	return error;
}

int folio_bundle_unpack(git_repository *repo, const folio_bundle *b, const char *what, size_t *commits)
{
	pack_in p;
	int error;

	if (commits)
		*commits = 0;
	if ((error = pack_in_open(&p, repo)) == 0 && (error = pack_in_append(&p, b->pack, b->pack_len, what)) == 0)
		error = pack_in_finish(&p, repo, b, what, commits);
	pack_in_close(&p);
	return error;
}

/* ------------------------------------------------------------ read as a stream */

/* The header is read into memory; more than this without its blank line is not a bundle folio wrote. */
#define HEADER_MAX (1u << 20)

struct folio_bundle_stream {
	git_repository *repo;
	char *what;
	folio_buf head;   /* the header and the pack's first bytes, until the header is parsed */
	folio_bundle b;   /* refs, once the header is parsed */
	int parsed;
	pack_in pack;
	int error;        /* the first error: later appends do nothing */
};

int folio_bundle_stream_new(folio_bundle_stream **out, git_repository *repo, const char *what)
{
	folio_bundle_stream *s = folio_calloc(1, sizeof(*s));
	int error;
	folio_buf_init(&s->head);
	s->repo = repo;
	s->what = folio_strdup(what);
	if ((error = pack_in_open(&s->pack, repo)) < 0) {
		folio_bundle_stream_free(s);
		s = NULL;
	}
	*out = s;
	return error;
}

/* Parse the header held in s->head (final: no more bytes come) and pass what follows it to the indexer. */
static int stream_header(folio_bundle_stream *s, int final)
{
	const unsigned char *d = (const unsigned char *)s->head.ptr;
	size_t len = s->head.size;
	const unsigned char *blank = NULL;
	size_t sig = sizeof(BUNDLE_SIGNATURE) - 1;

	if (len >= sig && memcmp(d, BUNDLE_SIGNATURE, sig) != 0)
		return folio_error_set(FOLIO_EINVALID, "%s is not a v2 git bundle", s->what);
	/* the header ends at its first empty line; its refs are checked when 12 bytes of pack follow it */
	for (size_t i = sig - 1; i + 1 < len; i++)
		if (d[i] == '\n' && d[i + 1] == '\n') {
			blank = d + i + 2;
			break;
		}
	if (!final && (!blank || (size_t)(d + len - blank) < 12)) {
		if (len > HEADER_MAX)
			return folio_error_set(FOLIO_EINVALID, "%s: the bundle header does not end", s->what);
		return 0;
	}
	if (folio_bundle_parse(&s->b, d, len, s->what) < 0)
		return FOLIO_EINVALID;
	s->parsed = 1;
	return pack_in_append(&s->pack, s->b.pack, s->b.pack_len, s->what);
}

int folio_bundle_stream_append(folio_bundle_stream *s, const void *data, size_t len)
{
	if (s->error < 0)
		return s->error;
	if (s->parsed) {
		s->error = pack_in_append(&s->pack, data, len, s->what);
	} else {
		folio_buf_put(&s->head, (const char *)data, len);
		s->error = stream_header(s, 0);
		if (s->parsed) {
			/* the rest of the pack goes straight to the indexer */
			s->b.pack = NULL;
			s->b.pack_len = 0;
			folio_buf_free(&s->head);
		}
	}
	return s->error;
}

int folio_bundle_stream_finish(folio_bundle_stream *s, const folio_bundle **refs, size_t *commits)
{
	if (commits)
		*commits = 0;
	if (s->error < 0)
		return s->error;
	if (!s->parsed && (s->error = stream_header(s, 1)) < 0)
		return s->error;
	folio_buf_free(&s->head);
	s->b.pack = NULL;
	s->b.pack_len = 0;
	if ((s->error = pack_in_finish(&s->pack, s->repo, &s->b, s->what, commits)) < 0)
		return s->error;
	if (refs)
		*refs = &s->b;
	return 0;
}

void folio_bundle_stream_free(folio_bundle_stream *s)
{
	if (!s)
		return;
	pack_in_close(&s->pack);
	folio_bundle_clear(&s->b);
	folio_buf_free(&s->head);
	free(s->what);
	free(s);
}

int folio_bundle_set_refs(git_repository *repo, const folio_bundle *b, const char *what)
{
	for (size_t i = 0; i < b->nrefs; i++) {
		git_reference *ref = NULL;
		int rc;
		if (strcmp(b->refs[i].name, "HEAD") == 0)
			continue;
		rc = git_reference_create(&ref, repo, b->refs[i].name, &b->refs[i].oid, 1, "folio archive restore");
		git_reference_free(ref);
		if (rc < 0) {
			char *msg = folio_asprintf("%s: cannot create ref '%s'", what, b->refs[i].name);
			int error = folio_git_error(rc, msg);
			free(msg);
			return error;
		}
	}
	return 0;
}
