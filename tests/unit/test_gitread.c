/* tests/unit/test_gitread.c: blobs read by folio's own loose-object reader, and its backend in front of libgit2's. */
#include "support.h"

#include "folio.h"
#include "gitutil.h"

#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

typedef struct {
	char *box, *path;
	git_repository *repo;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	folio_git_init();
	f->box = test_tmpdir("gitread");
	f->path = fmt("%s/r.git", f->box);
	if (git_repository_init(&f->repo, f->path, 1) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	git_repository_free(f->repo);
	test_rmdir(f->box);
	free(f->box);
	free(f->path);
	free(f);
	return 0;
}

static git_oid blob(fx *f, const void *data, size_t len)
{
	git_oid id;
	if (git_blob_create_from_buffer(&id, f->repo, data, len) < 0)
		fail_msg("cannot write a blob: %s", git_error_last()->message);
	return id;
}

static char *object_path(fx *f, const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof(hex), id);
	return fmt("%s/objects/%.2s/%s", f->path, hex, hex + 2);
}

/* Replace the loose file of `id` by `data` (git makes them read-only). */
static void put_file(fx *f, const git_oid *id, const void *data, size_t len)
{
	char *path = object_path(f, id);
	FILE *fp;
	chmod(path, 0644);
	if (!(fp = fopen(path, "wb")) || fwrite(data, 1, len, fp) != len || fclose(fp) != 0)
		fail_msg("cannot write %s", path);
	free(path);
}

/* A well-formed loose object of `type` holding `content`, under the file name of `id`. */
static void put_object(fx *f, const git_oid *id, const char *type, const char *content, size_t len)
{
	char *raw = malloc(len + 64);
	int h = snprintf(raw, 64, "%s %zu", type, len) + 1;
	memcpy(raw + h, content, len);
	uLongf zlen = compressBound((uLong)(len + (size_t)h));
	unsigned char *z = malloc(zlen);
	if (compress2(z, &zlen, (const unsigned char *)raw, (uLong)(len + (size_t)h), 1) != Z_OK)
		fail_msg("compress2");
	put_file(f, id, z, zlen);
	free(z);
	free(raw);
}

/* Text of n bytes that compresses like prose, or bytes that hardly compress. */
static char *make_text(size_t n, int noisy)
{
	char *t = malloc(n + 1);
	unsigned long long x = 88172645463325252ULL;
	static const char words[] = "the trainee planned a lesson on fractions and we talked it through ";
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		t[i] = noisy ? (char)(x & 0xff) : words[(i + (x % 3 == 0)) % (sizeof(words) - 1)];
	}
	t[n] = '\0';
	return t;
}

static void expect_read(fx *f, const git_oid *id, const char *want, size_t want_len, size_t max)
{
	folio_blob_reader r;
	char *out = NULL;
	size_t len = 0;
	folio_blob_reader_init(&r, f->repo);
	assert_ok(folio_blob_read(&r, id, max, &out, &len));
	assert_non_null(out);
	assert_int_equal(len, want_len);
	assert_memory_equal(out, want, want_len);
	assert_int_equal(out[len], '\0');
	free(out);
	folio_blob_reader_clear(&r);
}

/* The error folio_blob_read gives for `id`, which must name it. */
static void expect_damaged(fx *f, const git_oid *id, size_t max, const char *why)
{
	folio_blob_reader r;
	char *out = NULL, hex[GIT_OID_HEXSZ + 1];
	size_t len = 7;
	folio_blob_reader_init(&r, f->repo);
	assert_true(folio_blob_read(&r, id, max, &out, &len) < 0);
	assert_null(out);
	assert_int_equal(len, 0);
	git_oid_tostr(hex, sizeof(hex), id);
	assert_msg(hex);
	assert_msg(why);
	folio_blob_reader_clear(&r);
}

/* Commit blob `id` as `path` on main, authored by Ann; the commit's id. */
static git_oid commit_one(fx *f, const char *path, const git_oid *id, const char *message)
{
	git_index *ix = NULL;
	git_tree *t = NULL;
	git_signature *sig = NULL;
	git_oid tree_id, commit_id;
	git_index_entry e;
	memset(&e, 0, sizeof(e));
	e.mode = GIT_FILEMODE_BLOB;
	e.path = path;
	git_oid_cpy(&e.id, id);
	assert_ok(git_repository_index(&ix, f->repo));
	assert_ok(git_index_add(ix, &e));
	assert_ok(git_index_write_tree(&tree_id, ix));
	assert_ok(git_tree_lookup(&t, f->repo, &tree_id));
	assert_ok(git_signature_new(&sig, "Ann", "ann@example.org", 1700000000, 60));
	assert_ok(git_commit_create(&commit_id, f->repo, "refs/heads/main", sig, sig, NULL, message, t, 0, NULL));
	git_signature_free(sig);
	git_tree_free(t);
	git_index_free(ix);
	return commit_id;
}

/* ------------------------------------------------------------ reading */

static void test_reads_what_git_wrote(void **state)
{
	fx *f = *state;
	char *prose = make_text(300 * 1024, 0), *noise = make_text(2u << 20, 1);
	static const char with_nul[] = "a\0b\n#S1";
	git_oid empty = blob(f, "", 0), small = blob(f, "# Week one\n\nWe met. #S1\n", 24),
		nul = blob(f, with_nul, sizeof(with_nul) - 1), big = blob(f, prose, 300 * 1024),
		huge = blob(f, noise, 2u << 20);

	expect_read(f, &empty, "", 0, FOLIO_ENTRY_MAX);
	expect_read(f, &small, "# Week one\n\nWe met. #S1\n", 24, FOLIO_ENTRY_MAX);
	expect_read(f, &nul, with_nul, sizeof(with_nul) - 1, FOLIO_ENTRY_MAX);
	expect_read(f, &big, prose, 300 * 1024, FOLIO_ENTRY_MAX);
	/* a file over 1 MiB is inflated in chunks */
	expect_read(f, &huge, noise, 2u << 20, 4u << 20);
	/* one reader for many objects, as a pack uses it */
	folio_blob_reader r;
	folio_blob_reader_init(&r, f->repo);
	for (int round = 0; round < 3; round++) {
		const git_oid *ids[] = { &big, &small, &huge, &empty };
		for (size_t i = 0; i < 4; i++) {
			char *out = NULL;
			size_t len = 0;
			assert_ok(folio_blob_read(&r, ids[i], 4u << 20, &out, &len));
			assert_non_null(out);
			free(out);
		}
	}
	folio_blob_reader_clear(&r);
	free(prose);
	free(noise);
}

static void test_too_large_is_not_read(void **state)
{
	fx *f = *state;
	char *prose = make_text(300 * 1024, 0), *noise = make_text(2u << 20, 1);
	git_oid big = blob(f, prose, 300 * 1024), huge = blob(f, noise, 2u << 20);
	folio_blob_reader r;
	char *out = NULL;
	size_t len = 0;
	folio_blob_reader_init(&r, f->repo);
	/* both ways of reading: whole (a small file) and in chunks (a large one) */
	assert_ok(folio_blob_read(&r, &big, 1000, &out, &len));
	assert_null(out);
	assert_int_equal(len, 300 * 1024);
	assert_ok(folio_blob_read(&r, &huge, FOLIO_ENTRY_MAX, &out, &len));
	assert_null(out);
	assert_int_equal(len, 2u << 20);
	/* just at the limit is read */
	assert_ok(folio_blob_read(&r, &big, 300 * 1024, &out, &len));
	assert_non_null(out);
	free(out);
	folio_blob_reader_clear(&r);
	free(prose);
	free(noise);
}

static void test_packed_objects_through_libgit2(void **state)
{
	fx *f = *state;
	char *prose = make_text(5000, 0);
	git_oid id = blob(f, prose, 5000);
	char *loose = object_path(f, &id);

	commit_one(f, "a.md", &id, "one"); /* so that git repack keeps the blob */
	sh("git -C '%s' repack -adq && git -C '%s' prune-packed", f->path, f->path);
	assert_int_equal(access(loose, F_OK), -1);
	expect_read(f, &id, prose, 5000, FOLIO_ENTRY_MAX);
	/* the size still comes from the header: a packed blob over the limit is not read either */
	folio_blob_reader r;
	char *out = NULL;
	size_t len = 0;
	folio_blob_reader_init(&r, f->repo);
	assert_ok(folio_blob_read(&r, &id, 100, &out, &len));
	assert_null(out);
	assert_int_equal(len, 5000);
	folio_blob_reader_clear(&r);
	free(loose);
	free(prose);
}

/* ------------------------------------------------------------ damage is named, never read as content */

static void test_damage_is_an_error(void **state)
{
	fx *f = *state;
	static const char text[] = "# Week one\n\nWe met and set targets. #S1\n";
	git_oid a = blob(f, text, sizeof(text) - 1), b = blob(f, "other", 5), c = blob(f, "third text", 10),
		d = blob(f, "fourth text", 11), e = blob(f, "fifth", 5), g = blob(f, "sixth", 5);
	char *path = object_path(f, &d);
	size_t n = 0;
	unsigned char *bytes = (unsigned char *)test_read(path, &n);

	/* another text under this blob's name: well formed, but not what its id names */
	put_object(f, &a, "blob", "# Week one\n\nWe met and set targets. #S2\n", sizeof(text) - 1);
	expect_damaged(f, &a, FOLIO_ENTRY_MAX, "its content does not match its id");
	/* a shorter text, its header saying so */
	put_object(f, &b, "blob", "oth", 3);
	expect_damaged(f, &b, FOLIO_ENTRY_MAX, "does not match its id");
	/* not a zlib stream at all */
	put_file(f, &c, "not compressed", 14);
	expect_damaged(f, &c, FOLIO_ENTRY_MAX, "corrupt");
	/* cut short, and with bytes after its end */
	put_file(f, &d, bytes, n - 3);
	expect_damaged(f, &d, FOLIO_ENTRY_MAX, "corrupt");
	unsigned char *longer = malloc(n + 4);
	memcpy(longer, bytes, n);
	memcpy(longer + n, "junk", 4);
	put_file(f, &d, longer, n + 4);
	expect_damaged(f, &d, FOLIO_ENTRY_MAX, "corrupt");
	/* a flipped byte in the middle */
	bytes[n / 2] ^= 0x55;
	put_file(f, &d, bytes, n);
	expect_damaged(f, &d, FOLIO_ENTRY_MAX, "cannot read object");
	/* a tree is not a blob */
	put_object(f, &e, "tree", "", 0);
	folio_blob_reader r;
	char *out = NULL;
	size_t len = 0;
	folio_blob_reader_init(&r, f->repo);
	assert_rc(folio_blob_read(&r, &e, FOLIO_ENTRY_MAX, &out, &len), FOLIO_EINVALID);
	assert_msg("not a blob");
	assert_null(out);
	folio_blob_reader_clear(&r);
	/* a FIFO in an object's place is refused at once, not waited on */
	char *fifo = object_path(f, &g);
	unlink(fifo);
	assert_int_equal(mkfifo(fifo, 0644), 0);
	expect_damaged(f, &g, FOLIO_ENTRY_MAX, "not a regular file");
	free(fifo);
	free(longer);
	free(bytes);
	free(path);
}

/* The same faults in a file over 1 MiB, read in chunks. */
static void test_damage_in_a_large_object(void **state)
{
	fx *f = *state;
	char *noise = make_text(3u << 20, 1);
	git_oid a = blob(f, noise, 3u << 20), b = blob(f, noise, (3u << 20) - 1);
	char *path = object_path(f, &a);
	size_t n = 0;
	char *bytes = test_read(path, &n);

	put_file(f, &a, bytes, n - 100);
	expect_damaged(f, &a, 4u << 20, "cannot read object");
	char *longer = malloc(n + 4);
	memcpy(longer, bytes, n);
	memcpy(longer + n, "junk", 4);
	put_file(f, &a, longer, n + 4);
	expect_damaged(f, &a, 4u << 20, "goes on after its data");
	noise[1000] ^= 1;
	put_object(f, &b, "blob", noise, (3u << 20) - 1);
	expect_damaged(f, &b, 4u << 20, "its content does not match its id");
	free(longer);
	free(bytes);
	free(path);
	free(noise);
}

/* ------------------------------------------------------------ the backend in front of libgit2's */

static void test_backend_reads_commits_and_trees(void **state)
{
	fx *f = *state;
	git_repository *fast = NULL;
	git_oid id = blob(f, "# One\n\ntext #S1\n", 16), commit_id = commit_one(f, "2026-09-01-one.md", &id, "First entry");
	git_tree *ft = NULL;
	git_commit *c = NULL;
	git_blob *b = NULL;

	assert_ok(folio_git_open(&fast, f->path));
	assert_ok(git_commit_lookup(&c, fast, &commit_id));
	assert_string_equal(git_commit_summary(c), "First entry");
	assert_string_equal(git_commit_author(c)->name, "Ann");
	assert_ok(git_commit_tree(&ft, c));
	assert_int_equal(git_tree_entrycount(ft), 1);
	assert_string_equal(git_tree_entry_name(git_tree_entry_byindex(ft, 0)), "2026-09-01-one.md");
	assert_ok(git_blob_lookup(&b, fast, &id));
	assert_int_equal(git_blob_rawsize(b), 16);
	assert_memory_equal(git_blob_rawcontent(b), "# One\n\ntext #S1\n", 16);
	git_blob_free(b);
	git_tree_free(ft);
	git_commit_free(c);
	git_repository_free(fast);

	/* a damaged commit read through the backend: libgit2 still checks it against its id */
	static const char forged[] = "tree 0000000000000000000000000000000000000000\n\nforged\n";
	put_object(f, &commit_id, "commit", forged, sizeof(forged) - 1);
	assert_ok(folio_git_open(&fast, f->path));
	assert_true(git_commit_lookup(&c, fast, &commit_id) < 0);
	assert_non_null(git_error_last());
	assert_non_null(strstr(git_error_last()->message, "mismatch"));
	git_repository_free(fast);

	assert_true(folio_git_open(&fast, "/nonexistent/folio/repo.git") < 0);
	git_error_clear();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reads_what_git_wrote, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_large_is_not_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_packed_objects_through_libgit2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damage_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damage_in_a_large_object, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_reads_commits_and_trees, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
