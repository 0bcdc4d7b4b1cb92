/* tests/unit/test_archive.c: git bundles, archive write, verify (limits, bad members), restore (all or nothing), remove. */
#include "support.h"

#include "folio.h"
#include "bundle.h"
#include "site_internal.h" /* the site's sqlite handle: fixtures are inserted directly */

#include <git2.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#define ADMIN_LOGIN "adm-login"

typedef struct {
	char *box, *dir, *zip;
	folio_site *site;
	char ann[41], bob[41]; /* tips of main */
} fx;

static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static long long count(folio_site *site, const char *q)
{
	sqlite3_stmt *st = NULL;
	long long n;
	assert_int_equal(sqlite3_prepare_v2(site->db, q, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void add_person(folio_site *site, const char *id, unsigned roles)
{
	char *email = fmt("%s@example.org", id), *login = fmt("%s-login", id);
	folio_person p = { 0 };
	p.id = (char *)id;
	p.name = (char *)id;
	p.email = email;
	p.login = login;
	p.roles = roles;
	if (folio_person_add(site, &p) != 0)
		fail_msg("person add %s: %s", id, folio_error_last());
	free(email);
	free(login);
}

static void entry(fx *f, const char *mentor, const char *text, char commit[41])
{
	folio_entry_options o = { NULL, NULL };
	char *path = NULL;
	assert_ok(folio_site_act(f->site, ADMIN_LOGIN, mentor));
	if (folio_entry_add(f->site, mentor, text, strlen(text), &o, &path, commit) != 0)
		fail_msg("entry add for %s: %s", mentor, folio_error_last());
	free(path);
	assert_ok(folio_site_act(f->site, ADMIN_LOGIN, NULL));
}

/* ann: two entries and a certified submission with its history; bob: one entry; cat: an empty portfolio. */
static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	f->box = test_tmpdir("archive");
	f->dir = fmt("%s/site", f->box);
	f->zip = fmt("%s/a.zip", f->box);
	if (test_site_create(&f->site, f->dir, ADMIN_LOGIN) != 0)
		return -1;
	add_person(f->site, "ann", FOLIO_ROLE_MENTOR);
	add_person(f->site, "bob", FOLIO_ROLE_MENTOR);
	add_person(f->site, "cat", FOLIO_ROLE_MENTOR);
	add_person(f->site, "rev", FOLIO_ROLE_REVIEWER | FOLIO_ROLE_LEAD);
	assert_ok(folio_portfolio_create(f->site, "ann", "QMS"));
	assert_ok(folio_portfolio_create(f->site, "bob", "QMS"));
	assert_ok(folio_portfolio_create(f->site, "cat", "QMS"));
	entry(f, "ann", "# First\n\nWe planned together. #S1 #S2\n", f->ann);
	entry(f, "ann", "# Second\n\nFeedback and research. #S3 #S4\n", f->ann);
	entry(f, "bob", "# Bob's\n\nA start. #S1\n", f->bob);
	test_sql(f->site, "INSERT INTO panel(id, year, term, date, deadline, state, chair) VALUES"
		     " ('2026-autumn', 2026, 'autumn', '2026-11-18', '2026-10-28', 'concluded', 'rev')");
	char *q = fmt("INSERT INTO submission(id, mentor, qualification, panel, commit_id, state, outcome, approved_by,"
		      " approved, created) VALUES (7, 'ann', 'QMS', '2026-autumn', '%s', 'certified', 'recommended', 'rev',"
		      " '2026-11-20', '2026-10-01T10:00:00Z')", f->ann);
	test_sql(f->site, q);
	free(q);
	test_sql(f->site, "INSERT INTO submission_history(submission, seq, from_state, to_state, actor, time) VALUES"
		     " (7, 1, NULL, 'submitted', 'ann', '2026-10-01T10:00:00Z'), (7, 2, 'submitted', 'certified', 'rev', 't')");
	test_sql(f->site, "INSERT INTO assignment(submission, reviewer, done) VALUES (7, 'rev', 'yes')");
	test_sql(f->site, "INSERT INTO judgement(submission, reviewer, standard, judgement, comment, time) VALUES"
		     " (7, 'rev', 'S1', 'met', 'good', 't')");
	test_sql(f->site, "INSERT INTO feedback(mentor, number, submission, standard, text) VALUES ('ann', 1, 7, 'S3', 'more')");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	if (!f)
		return 0;
	folio_site_free(f->site);
	test_rmdir(f->box);
	free(f->box);
	free(f->dir);
	free(f->zip);
	free(f);
	return 0;
}

static void write_all(fx *f, const char *zip)
{
	folio_archive_options o = { 0 };
	folio_archive_result r;
	o.all = 1;
	if (folio_archive_write(&r, f->site, zip, &o) != 0)
		fail_msg("archive: %s", folio_error_last());
	assert_int_equal(r.portfolios, 3);
	folio_archive_result_clear(&r);
}

static size_t verify_count(const char *zip, const folio_archive_limits *lim, const char *needle)
{
	char **p = NULL;
	size_t n = 0, found = 0;
	assert_ok(folio_archive_verify(&p, &n, NULL, zip, lim));
	for (size_t i = 0; i < n; i++)
		found |= needle && strstr(p[i], needle) != NULL;
	if (needle && !found)
		fail_msg("no problem mentions '%s' (%zu problems, first: %s)", needle, n, n ? p[0] : "-");
	folio_archive_problems_free(p, n);
	return n;
}

/* ------------------------------------------------------------ bundles */

static void test_bundle_round_trip(void **state)
{
	fx *f = *state;
	git_repository *src = NULL, *dst = NULL;
	folio_buf b = FOLIO_BUF_INIT;
	folio_bundle bundle;
	size_t nrefs = 0, commits = 0;
	char *path = fmt("%s/portfolios/ann.git", f->dir), *copy = fmt("%s/copy.git", f->box);
	git_oid main_oid;

	assert_int_equal(git_repository_open_bare(&src, path), 0);
	assert_ok(folio_bundle_create(&b, &nrefs, src, NULL));
	assert_int_equal(nrefs, 1);
	assert_int_equal(strncmp(b.ptr, "# v2 git bundle\n", 16), 0);
	assert_ok(folio_bundle_parse(&bundle, (const unsigned char *)b.ptr, b.size, "b"));
	assert_int_equal(bundle.nrefs, 2); /* refs/heads/main and HEAD */
	assert_int_equal(git_repository_init(&dst, copy, 1), 0);
	assert_ok(folio_bundle_unpack(dst, &bundle, "b", &commits));
	assert_int_equal(commits, 2);
	assert_ok(folio_bundle_set_refs(dst, &bundle, "b"));
	assert_int_equal(git_reference_name_to_id(&main_oid, dst, "refs/heads/main"), 0);
	assert_string_equal(git_oid_tostr_s(&main_oid), f->ann);
	folio_bundle_clear(&bundle);

	/* git itself reads it */
	char *bfile = fmt("%s/ann.bundle", f->box);
	FILE *fp = fopen(bfile, "wb");
	free(bfile);
	assert_non_null(fp);
	assert_int_equal(fwrite(b.ptr, 1, b.size, fp), b.size);
	fclose(fp);
	sh("cd '%s' && git bundle verify '%s/ann.bundle' >/dev/null 2>&1", copy, f->box);

	/* damaged: a flipped byte in the pack, a cut pack, prerequisites, no refs, a bad ref name */
	b.ptr[b.size - 30] ^= 1;
	assert_ok(folio_bundle_parse(&bundle, (const unsigned char *)b.ptr, b.size, "b"));
	git_repository_free(dst);
	dst = NULL;
	char *copy2 = fmt("%s/copy2.git", f->box);
	assert_int_equal(git_repository_init(&dst, copy2, 1), 0);
	assert_rc(folio_bundle_unpack(dst, &bundle, "b", NULL), FOLIO_EINVALID);
	assert_msg("b: the bundle's pack is damaged");
	folio_bundle_clear(&bundle);
	assert_rc(folio_bundle_parse(&bundle, (const unsigned char *)"# v3 git bundle\n", 16, "b"), FOLIO_EINVALID);
	assert_msg("is not a v2 git bundle");
	const char *pre = "# v2 git bundle\n-0123456789012345678901234567890123456789\n\nPACK";
	assert_rc(folio_bundle_parse(&bundle, (const unsigned char *)pre, strlen(pre), "b"), FOLIO_EINVALID);
	assert_msg("prerequisite");
	const char *none = "# v2 git bundle\n\nPACK0000000000000000";
	assert_rc(folio_bundle_parse(&bundle, (const unsigned char *)none, strlen(none), "b"), FOLIO_EINVALID);
	assert_msg("has no refs");
	const char *bad = "# v2 git bundle\n0123456789012345678901234567890123456789 refs/heads/../x\n\nPACK00000000";
	assert_rc(folio_bundle_parse(&bundle, (const unsigned char *)bad, strlen(bad), "b"), FOLIO_EINVALID);
	assert_msg("bad bundle header line");

	/* a pack with the commits and trees but not the files they name: incomplete */
	{
		git_packbuilder *pb = NULL;
		git_buf pk = GIT_BUF_INIT;
		git_commit *c = NULL;
		git_oid tip;
		folio_buf nb = FOLIO_BUF_INIT;
		git_repository *dst3 = NULL;
		char *copy3 = fmt("%s/copy3.git", f->box);
		assert_int_equal(git_oid_fromstr(&tip, f->ann), 0);
		assert_int_equal(git_commit_lookup(&c, src, &tip), 0);
		assert_int_equal(git_packbuilder_new(&pb, src), 0);
		while (c) {
			git_commit *parent = NULL;
			assert_int_equal(git_packbuilder_insert(pb, git_commit_id(c), NULL), 0);
			assert_int_equal(git_packbuilder_insert(pb, git_commit_tree_id(c), NULL), 0);
			if (git_commit_parentcount(c) > 0)
				assert_int_equal(git_commit_parent(&parent, c, 0), 0);
			git_commit_free(c);
			c = parent;
		}
		assert_int_equal(git_packbuilder_write_buf(&pk, pb), 0);
		folio_buf_printf(&nb, "# v2 git bundle\n%s refs/heads/main\n\n", f->ann);
		folio_buf_put(&nb, pk.ptr, pk.size);
		assert_ok(folio_bundle_parse(&bundle, (const unsigned char *)nb.ptr, nb.size, "b"));
		assert_int_equal(git_repository_init(&dst3, copy3, 1), 0);
		assert_rc(folio_bundle_unpack(dst3, &bundle, "b", NULL), FOLIO_EINVALID);
		assert_msg("is not in the bundle");
		folio_bundle_clear(&bundle);
		git_repository_free(dst3);
		git_packbuilder_free(pb);
		git_buf_dispose(&pk);
		folio_buf_free(&nb);
		free(copy3);
	}

	git_repository_free(src);
	git_repository_free(dst);
	folio_buf_free(&b);
	free(path);
	free(copy);
	free(copy2);
}

/* ------------------------------------------------------------ write and verify */

static void test_write_and_verify(void **state)
{
	fx *f = *state;
	folio_archive_info info;
	char **p = NULL;
	size_t n = 0;

	write_all(f, f->zip);
	assert_ok(folio_archive_verify(&p, &n, &info, f->zip, NULL));
	if (n)
		fail_msg("problem: %s", p[0]);
	assert_int_equal(info.nportfolios, 3);
	assert_string_equal(info.portfolios[0].mentor, "ann");
	assert_string_equal(info.portfolios[0].commit, f->ann);
	assert_string_equal(info.portfolios[0].pinned, f->ann);
	assert_int_equal(info.portfolios[0].submission, 7);
	assert_int_equal(info.portfolios[0].commits, 2);
	assert_string_equal(info.portfolios[2].mentor, "cat");
	assert_string_equal(info.portfolios[2].commit, ""); /* empty: no bundle */
	assert_string_equal(info.folio_version, FOLIO_VERSION);
	folio_archive_info_clear(&info);
	folio_archive_problems_free(p, n);
	assert_int_equal(count(f->site, "SELECT count(*) FROM audit WHERE action = 'archive.write'"), 3);

	/* never over an existing file without force */
	folio_archive_options o = { 0 };
	const char *ann[] = { "ann" };
	o.mentors = ann;
	o.nmentors = 1;
	assert_rc(folio_archive_write(NULL, f->site, f->zip, &o), FOLIO_EEXISTS);
	assert_msg("already exists: use --force");
	o.force = 1;
	assert_ok(folio_archive_write(NULL, f->site, f->zip, &o));
	/* only admins */
	assert_ok(folio_site_act(f->site, "ann-login", NULL));
	assert_rc(folio_archive_write(NULL, f->site, f->zip, &o), FOLIO_EDENIED);
	assert_msg("may not archive portfolios: needs role admin");
	assert_ok(folio_site_act(f->site, ADMIN_LOGIN, NULL));
	assert_int_equal(count(f->site, "SELECT count(*) FROM audit WHERE action = 'denied'"), 1);
}

static void test_verify_limits(void **state)
{
	fx *f = *state;
	folio_archive_limits small = { 4096, 0 };
	write_all(f, f->zip);
	assert_int_equal(verify_count(f->zip, &small, "refused as a zip bomb"), 1);

	/* a member whose directory entry under-states its size: counted while inflating */
	char *bomb = fmt("%s/bomb.zip", f->box);
	zip_t *za = zip_open(bomb, ZIP_CREATE | ZIP_TRUNCATE, NULL);
	size_t len = 3u << 20;
	char *zeros = calloc(1, len);
	assert_non_null(za);
	assert_true(zip_file_add(za, "x/markdown/a.md", zip_source_buffer(za, zeros, len, 0), 0) >= 0);
	assert_int_equal(zip_close(za), 0);
	free(zeros);
	/* patch the 32-bit uncompressed size (local header offset 22, central directory offset 24) to 100 */
	sh("python3 -c \"import struct,sys\n"
	   "d=bytearray(open(sys.argv[1],'rb').read())\n"
	   "struct.pack_into('<I',d,22,100)\n"
	   "c=d.rindex(b'PK\\\\x01\\\\x02')\n"
	   "struct.pack_into('<I',d,c+24,100)\n"
	   "open(sys.argv[1],'wb').write(d)\" '%s'", bomb);
	assert_true(verify_count(bomb, NULL, "holds more than the 100 bytes it declares") >= 1);
	free(bomb);
}

/* ------------------------------------------------------------ restore */

static void test_restore_fresh_and_refusals(void **state)
{
	fx *f = *state;
	folio_site *t = NULL;
	char *tdir = fmt("%s/target", f->box);
	folio_archive_info info;

	write_all(f, f->zip);
	assert_int_equal(test_site_create(&t, tdir, ADMIN_LOGIN), 0);
	assert_ok(folio_site_act(t, "nobody", NULL));
	assert_rc(folio_archive_restore(NULL, t, f->zip, NULL), FOLIO_EDENIED);
	assert_ok(folio_site_act(t, ADMIN_LOGIN, NULL));

	/* a submission id held by someone else in the target: refused, nothing written, even for bob and cat */
	test_sql(t, "INSERT INTO person(id, name, created) VALUES ('zed', 'Zed', 't')");
	test_sql(t, "INSERT INTO person_role VALUES ('zed', 'mentor')");
	test_sql(t, "INSERT INTO portfolio VALUES ('zed', 'QMS', 't')");
	test_sql(t, "INSERT INTO panel(id, year, term, date, deadline) VALUES ('2026-autumn', 2026, 'autumn', '2026-11-18', '2026-10-28')");
	test_sql(t, "INSERT INTO submission(id, mentor, qualification, panel, commit_id, state, created)"
	       " VALUES (7, 'zed', 'QMS', '2026-autumn', 'x', 'submitted', 't')");
	folio_restore_options force = { 1, { 0, 0 }, NULL, NULL };
	assert_rc(folio_archive_restore(NULL, t, f->zip, &force), FOLIO_EEXISTS);
	assert_msg("submission 7 of 'ann' is taken");
	char *bob_repo = fmt("%s/portfolios/bob.git", tdir);
	assert_false(exists(bob_repo));
	free(bob_repo);
	assert_int_equal(count(t, "SELECT count(*) FROM portfolio"), 1);
	assert_int_equal(count(t, "SELECT count(*) FROM person WHERE id IN ('ann', 'bob')"), 0);
	test_sql(t, "DELETE FROM submission");

	assert_ok(folio_archive_restore(&info, t, f->zip, NULL));
	assert_int_equal(info.nportfolios, 3);
	folio_archive_info_clear(&info);
	assert_int_equal(count(t, "SELECT count(*) FROM submission WHERE id = 7 AND mentor = 'ann' AND state = 'certified'"), 1);
	assert_int_equal(count(t, "SELECT count(*) FROM submission_history WHERE submission = 7"), 2);
	assert_int_equal(count(t, "SELECT count(*) FROM judgement WHERE submission = 7 AND comment = 'good'"), 1);
	assert_int_equal(count(t, "SELECT count(*) FROM feedback WHERE mentor = 'ann' AND number = 1"), 1);
	/* people created from the records: never an admin */
	assert_int_equal(count(t, "SELECT count(*) FROM person_role WHERE person = 'rev' AND role IN ('reviewer', 'lead')"), 2);
	assert_int_equal(count(t, "SELECT count(*) FROM person_role WHERE role = 'admin'"), 1);
	assert_int_equal(count(t, "SELECT count(*) FROM audit WHERE action = 'archive.restore'"), 3);
	assert_ok(folio_audit_verify(t));
	{
		folio_portfolio p;
		assert_ok(folio_portfolio_get(&p, t, "ann"));
		assert_string_equal(p.commit, f->ann);
		folio_portfolio_clear(&p);
		assert_ok(folio_portfolio_get(&p, t, "cat"));
		assert_string_equal(p.commit, "");
		folio_portfolio_clear(&p);
	}
	/* again: exists */
	assert_rc(folio_archive_restore(NULL, t, f->zip, NULL), FOLIO_EEXISTS);
	assert_msg("portfolio 'ann' already exists");
	assert_ok(folio_archive_restore(NULL, t, f->zip, &force));
	assert_int_equal(count(t, "SELECT count(*) FROM submission"), 1);
	assert_int_equal(count(t, "SELECT count(*) FROM portfolio"), 4);

	folio_site_free(t);
	free(tdir);
}

/* Records about someone else are refused even with a correct manifest. */
static void test_restore_foreign_records(void **state)
{
	fx *f = *state;
	char *bad = fmt("%s/bad.zip", f->box);
	write_all(f, f->zip);
	sh("python3 - '%s' '%s' <<'EOF'\n"
	   "import hashlib, json, sys, zipfile\n"
	   "z = zipfile.ZipFile(sys.argv[1]); out = zipfile.ZipFile(sys.argv[2], 'w')\n"
	   "files = {i.filename: z.read(i.filename) for i in z.infolist()}\n"
	   "r = json.loads(files['bob/records.json']); r['feedback'] = json.loads(files['ann/records.json'])['feedback']\n"
	   "files['bob/records.json'] = json.dumps(r).encode()\n"
	   "m = json.loads(files['manifest.json'])\n"
	   "for e in m['members']:\n"
	   "    e['size'] = len(files[e['name']]); e['sha256'] = hashlib.sha256(files[e['name']]).hexdigest()\n"
	   "files['manifest.json'] = json.dumps(m).encode()\n"
	   "for k, v in files.items(): out.writestr(k, v)\n"
	   "out.close()\n"
	   "EOF", f->zip, bad);
	assert_int_equal(verify_count(bad, NULL, NULL), 0);
	test_sql(f->site, "DELETE FROM feedback; DELETE FROM judgement; DELETE FROM assignment; DELETE FROM submission_history;"
		     " DELETE FROM submission; DELETE FROM portfolio_index; DELETE FROM portfolio");
	sh("rm -rf '%s/portfolios/'*.git", f->dir);
	assert_rc(folio_archive_restore(NULL, f->site, bad, NULL), FOLIO_EINVALID);
	assert_msg("bob/records.json: a row of 'feedback' is not about 'bob'");
	assert_int_equal(count(f->site, "SELECT count(*) FROM portfolio"), 0);
	free(bad);
}

/* ------------------------------------------------------------ large files */

/* Commit `len` random bytes as evidence.bin on ann's main (a loose object); its blob id into blob_out. */
static void commit_large(fx *f, size_t len, git_oid *blob_out)
{
	git_repository *repo = NULL;
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	git_oid tree_id, commit_id, main_id;
	unsigned char *data = malloc(len);
	unsigned long long x = 88172645463325252ULL;
	char *path = fmt("%s/portfolios/ann.git", f->dir);

	for (size_t i = 0; i < len; i++) { /* xorshift: nothing deflate can shrink */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		data[i] = (unsigned char)(x >> 56);
	}
	assert_int_equal(git_repository_open_bare(&repo, path), 0);
	assert_int_equal(git_reference_name_to_id(&main_id, repo, "refs/heads/main"), 0);
	assert_int_equal(git_commit_lookup(&parent, repo, &main_id), 0);
	assert_int_equal(git_commit_tree(&tree, parent), 0);
	assert_int_equal(git_blob_create_from_buffer(blob_out, repo, data, len), 0);
	assert_int_equal(git_treebuilder_new(&tb, repo, tree), 0);
	assert_int_equal(git_treebuilder_insert(NULL, tb, "evidence.bin", blob_out, GIT_FILEMODE_BLOB), 0);
	assert_int_equal(git_treebuilder_write(&tree_id, tb), 0);
	git_tree_free(tree);
	assert_int_equal(git_tree_lookup(&tree, repo, &tree_id), 0);
	assert_int_equal(git_signature_now(&sig, "Ann", "ann@example.org"), 0);
	const git_commit *parents[] = { parent };
	assert_int_equal(git_commit_create(&commit_id, repo, "refs/heads/main", sig, sig, NULL, "recording", tree, 1, parents), 0);
	git_oid_tostr(f->ann, sizeof(f->ann), &commit_id);
	git_signature_free(sig);
	git_treebuilder_free(tb);
	git_tree_free(tree);
	git_commit_free(parent);
	git_repository_free(repo);
	free(data);
	free(path);
}

/* The blob `id` of MENTOR's repository in site `dir` has `len` bytes equal to those of the same blob in `other`. */
static void assert_same_blob(const char *dir, const char *other, const git_oid *id, size_t len)
{
	git_repository *a = NULL, *b = NULL;
	git_blob *x = NULL, *y = NULL;
	char *pa = fmt("%s/portfolios/ann.git", dir), *pb = fmt("%s/portfolios/ann.git", other);
	assert_int_equal(git_repository_open_bare(&a, pa), 0);
	assert_int_equal(git_repository_open_bare(&b, pb), 0);
	assert_int_equal(git_blob_lookup(&x, a, id), 0);
	assert_int_equal(git_blob_lookup(&y, b, id), 0);
	assert_int_equal(git_blob_rawsize(x), len);
	assert_int_equal(git_blob_rawsize(y), len);
	assert_memory_equal(git_blob_rawcontent(x), git_blob_rawcontent(y), len);
	git_blob_free(x);
	git_blob_free(y);
	git_repository_free(a);
	git_repository_free(b);
	free(pa);
	free(pb);
}

/*
 * A file larger than the packbuilder is given (4 MiB) goes into the bundle on
 * its own: git reads the bundle, verify passes, restore brings the same bytes
 * back; archived again from the restored site (now packed), the same.
 */
static void test_large_file(void **state)
{
	fx *f = *state;
	folio_site *t = NULL;
	char *tdir = fmt("%s/target", f->box), *zip2 = fmt("%s/again.zip", f->box), *bfile = fmt("%s/ann.bundle", f->box);
	size_t len = (5u << 20) + 12345;
	git_oid blob;
	folio_archive_info info;
	char **p = NULL;
	size_t n = 0;

	commit_large(f, len, &blob);
	write_all(f, f->zip);
	assert_ok(folio_archive_verify(&p, &n, &info, f->zip, NULL));
	if (n)
		fail_msg("problem: %s", p[0]);
	folio_archive_problems_free(p, n);
	assert_string_equal(info.portfolios[0].commit, f->ann);
	assert_int_equal(info.portfolios[0].commits, 3);
	folio_archive_info_clear(&info);
	/* git itself reads the pack with the large file appended */
	{
		git_repository *src = NULL;
		folio_buf b = FOLIO_BUF_INIT;
		size_t nrefs = 0;
		char *path = fmt("%s/portfolios/ann.git", f->dir);
		assert_int_equal(git_repository_open_bare(&src, path), 0);
		assert_ok(folio_bundle_create(&b, &nrefs, src, NULL));
		FILE *fp = fopen(bfile, "wb");
		assert_non_null(fp);
		assert_int_equal(fwrite(b.ptr, 1, b.size, fp), b.size);
		fclose(fp);
		sh("git clone -q --bare '%s' '%s/clone.git' && git -C '%s/clone.git' fsck --strict >/dev/null 2>&1", bfile, f->box,
			f->box);
		git_repository_free(src);
		folio_buf_free(&b);
		free(path);
	}

	assert_int_equal(test_site_create(&t, tdir, ADMIN_LOGIN), 0);
	assert_ok(folio_archive_restore(NULL, t, f->zip, NULL));
	assert_same_blob(f->dir, tdir, &blob, len);

	/* the restored repository holds it in a pack: archived again, verified, the same bytes */
	folio_archive_options o = { 0 };
	const char *ann[] = { "ann" };
	o.mentors = ann;
	o.nmentors = 1;
	assert_ok(folio_archive_write(NULL, t, zip2, &o));
	assert_int_equal(verify_count(zip2, NULL, NULL), 0);
	folio_site_free(t);
	t = NULL;
	test_rmdir(tdir);
	assert_int_equal(test_site_create(&t, tdir, ADMIN_LOGIN), 0);
	assert_ok(folio_archive_restore(NULL, t, zip2, NULL));
	assert_same_blob(f->dir, tdir, &blob, len);

	/* the large file's loose object damaged: the archive is not written */
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof(hex), &blob);
	sh("f='%s/portfolios/ann.git/objects/%.2s/%s' && chmod u+w \"$f\" && printf 'xxxx' | dd of=\"$f\" bs=1 seek=4096 conv=notrunc 2>/dev/null",
		f->dir, hex, hex + 2);
	char *zip3 = fmt("%s/damaged.zip", f->box);
	assert_rc(folio_archive_write(NULL, f->site, zip3, &o), FOLIO_ERROR);
	assert_msg("is damaged");
	assert_false(exists(zip3));
	free(zip3);

	folio_site_free(t);
	free(tdir);
	free(zip2);
	free(bfile);
}

/* ------------------------------------------------------------ remove */

static void test_remove(void **state)
{
	fx *f = *state;
	folio_archive_options o = { 0 };
	folio_archive_result r;
	const char *who[] = { "bob" };
	char *repo = fmt("%s/portfolios/bob.git", f->dir);

	/* an open submission keeps the portfolio, and nothing is written */
	char *q = fmt("INSERT INTO submission(id, mentor, qualification, panel, commit_id, state, created)"
		      " VALUES (8, 'bob', 'QMS', '2026-autumn', '%s', 'in-review', 't')", f->bob);
	test_sql(f->site, q);
	free(q);
	o.mentors = who;
	o.nmentors = 1;
	o.remove = 1;
	assert_rc(folio_archive_write(NULL, f->site, f->zip, &o), FOLIO_ECONFLICT);
	assert_msg("portfolio 'bob' cannot be removed: submission 8 is in-review");
	assert_false(exists(f->zip));
	test_sql(f->site, "UPDATE submission SET state = 'withdrawn' WHERE id = 8");

	assert_ok(folio_archive_write(&r, f->site, f->zip, &o));
	assert_int_equal(r.removed, 1);
	folio_archive_result_clear(&r);
	assert_false(exists(repo));
	assert_int_equal(count(f->site, "SELECT count(*) FROM portfolio WHERE mentor = 'bob'"), 0);
	assert_int_equal(count(f->site, "SELECT count(*) FROM submission WHERE mentor = 'bob'"), 0);
	assert_int_equal(count(f->site, "SELECT count(*) FROM person WHERE id = 'bob'"), 1);
	assert_int_equal(count(f->site, "SELECT count(*) FROM audit WHERE action = 'portfolio.remove'"), 1);

	assert_ok(folio_archive_restore(NULL, f->site, f->zip, NULL));
	assert_true(exists(repo));
	assert_int_equal(count(f->site, "SELECT count(*) FROM submission WHERE id = 8 AND mentor = 'bob'"), 1);
	assert_ok(folio_audit_verify(f->site));
	free(repo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bundle_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_and_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_fresh_and_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_foreign_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
	};
	git_libgit2_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
