/* tests/unit/test_portfolio.c: portfolios as bare repositories, entries, import, plain git round trips, and the evidence index. */
#include "support.h"

#include "folio.h"

#include <dirent.h>
#include <git2.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ADMIN_LOGIN "adm-login"

/* ------------------------------------------------------------ helpers */

#define assert_git(call) do { \
	int grc_ = (call); \
	if (grc_ < 0) { \
		const git_error *ge_ = git_error_last(); \
		fail_msg("%s failed: %s", #call, ge_ && ge_->message ? ge_->message : "?"); \
	} \
} while (0)

#define GIT_AS_ANN "git -c user.name='Ann Example' -c user.email=ann@example.org -c commit.gpgsign=false"

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
	assert_int_equal(fclose(fp), 0);
}

static size_t dir_count(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	size_t n = 0;
	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* ------------------------------------------------------------ fixture */

typedef struct {
	char *box;   /* sandbox */
	char *dir;   /* the site */
	char *pdir;  /* its portfolios/ */
	folio_site *site;
} fx;

static void add_person(folio_site *site, const char *id, const char *name, const char *login, unsigned roles)
{
	char *email = fmt("%s@example.org", id);
	folio_person p = { 0 };
	p.id = (char *)id;
	p.name = (char *)name;
	p.email = email;
	p.login = (char *)login;
	p.school = (char *)"brook";
	p.roles = roles;
	if (folio_person_add(site, &p) != 0)
		fail_msg("person add %s: %s", id, folio_error_last());
	free(email);
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	f->box = test_tmpdir("portfolio");
	f->dir = fmt("%s/site", f->box);
	f->pdir = fmt("%s/portfolios", f->dir);
	if (test_site_create(&f->site, f->dir, ADMIN_LOGIN) != 0)
		return -1;
	{
		folio_school s = { (char *)"brook", (char *)"Brookfield Primary", FOLIO_PHASE_PRIMARY };
		if (folio_school_add(f->site, &s) != 0)
			return -1;
	}
	add_person(f->site, "ann", "Ann Example", "ann-login", FOLIO_ROLE_MENTOR);
	add_person(f->site, "bob", "Bob Builder", "bob-login", FOLIO_ROLE_MENTOR);
	add_person(f->site, "rev", "Rhea Viewer", "rev-login", FOLIO_ROLE_REVIEWER);
	add_person(f->site, "lea", "Lee Lead", "lea-login", FOLIO_ROLE_LEAD);
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
	free(f->pdir);
	free(f);
	return 0;
}

static void act(fx *f, const char *login)
{
	assert_ok(folio_site_act(f->site, login, NULL));
}

static void create(fx *f, const char *mentor)
{
	act(f, ADMIN_LOGIN);
	assert_ok(folio_portfolio_create(f->site, mentor, "QMS"));
}

/* Add an entry as the mentor (login MENTOR-login); returns the file name (malloc'd). */
static char *entry(fx *f, const char *mentor, const char *text, const char *title, const char *date, char commit[41])
{
	folio_entry_options o = { title, date };
	char *login = fmt("%s-login", mentor), *path = NULL;
	char c[41];
	act(f, login);
	free(login);
	if (folio_entry_add(f->site, mentor, text, strlen(text), &o, &path, commit ? commit : c) != 0)
		fail_msg("entry add for %s: %s", mentor, folio_error_last());
	assert_non_null(path);
	return path;
}

static void tip(char out[41], fx *f, const char *mentor)
{
	folio_portfolio p;
	assert_ok(folio_portfolio_get(&p, f->site, mentor));
	memcpy(out, p.commit, 41);
	folio_portfolio_clear(&p);
}

static size_t audit_count(folio_site *site)
{
	folio_audit_row *rows = NULL;
	size_t n = 0;
	assert_ok(folio_audit_list(&rows, &n, site));
	folio_audit_rows_free(rows, n);
	return n;
}

static folio_coverage *coverage(fx *f, const char *mentor, const char *rev)
{
	folio_coverage *cov = NULL;
	if (folio_coverage_get(&cov, f->site, mentor, rev) != 0)
		fail_msg("coverage of %s at %s: %s", mentor, rev ? rev : "main", folio_error_last());
	return cov;
}

/* ------------------------------------------------------------ libgit2 helpers */

static git_repository *open_repo(const char *path)
{
	git_repository *r = NULL;
	assert_git(git_repository_open_ext(&r, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL));
	return r;
}

static git_repository *open_portfolio(fx *f, const char *mentor)
{
	char *p = fmt("%s/%s.git", f->pdir, mentor);
	git_repository *r = open_repo(p);
	free(p);
	return r;
}

/* Hex id a reference points at, "" when missing. */
static void ref_hex(char out[41], git_repository *r, const char *ref)
{
	git_oid oid;
	out[0] = '\0';
	if (git_reference_name_to_id(&oid, r, ref) == 0)
		git_oid_tostr(out, 41, &oid);
	git_error_clear();
}

static git_commit *commit_of(git_repository *r, const char *hex)
{
	git_oid oid;
	git_commit *c = NULL;
	assert_git(git_oid_fromstr(&oid, hex));
	assert_git(git_commit_lookup(&c, r, &oid));
	return c;
}

/* Contents of a file in the tree of commit `hex` (malloc'd), NULL when absent. */
static char *blob_text(git_repository *r, const char *hex, const char *path)
{
	git_commit *c = commit_of(r, hex);
	git_tree *t = NULL;
	git_tree_entry *e = NULL;
	git_blob *b = NULL;
	char *out = NULL;
	assert_git(git_commit_tree(&t, c));
	if (git_tree_entry_bypath(&e, t, path) == 0) {
		assert_git(git_blob_lookup(&b, r, git_tree_entry_id(e)));
		size_t n = (size_t)git_blob_rawsize(b);
		out = malloc(n + 1);
		memcpy(out, git_blob_rawcontent(b), n);
		out[n] = '\0';
	}
	git_error_clear();
	git_blob_free(b);
	git_tree_entry_free(e);
	git_tree_free(t);
	git_commit_free(c);
	return out;
}

static size_t tree_size(git_repository *r, const char *hex)
{
	git_commit *c = commit_of(r, hex);
	git_tree *t = NULL;
	assert_git(git_commit_tree(&t, c));
	size_t n = git_tree_entrycount(t);
	git_tree_free(t);
	git_commit_free(c);
	return n;
}

/* Commit one file straight to main with libgit2, with a chosen author time. */
static void commit_direct(fx *f, const char *mentor, const char *path, const char *text,
	git_time_t when, int offset_minutes, char out[41])
{
	git_repository *r = open_portfolio(f, mentor);
	git_commit *parent = NULL;
	git_tree *ptree = NULL, *tree = NULL;
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	git_oid tipid, blob, treeid, cid;
	int has = git_reference_name_to_id(&tipid, r, "refs/heads/main") == 0;
	git_error_clear();
	if (has) {
		assert_git(git_commit_lookup(&parent, r, &tipid));
		assert_git(git_commit_tree(&ptree, parent));
	}
	assert_git(git_treebuilder_new(&tb, r, ptree));
	assert_git(git_blob_create_from_buffer(&blob, r, text, strlen(text)));
	assert_git(git_treebuilder_insert(NULL, tb, path, &blob, GIT_FILEMODE_BLOB));
	assert_git(git_treebuilder_write(&treeid, tb));
	assert_git(git_tree_lookup(&tree, r, &treeid));
	assert_git(git_signature_new(&sig, "Ann Example", "ann@example.org", when, offset_minutes));
	const git_commit *parents[1] = { parent };
	assert_git(git_commit_create(&cid, r, "refs/heads/main", sig, sig, NULL, "direct commit\n", tree,
		has ? 1 : 0, parents));
	if (out)
		git_oid_tostr(out, 41, &cid);
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	git_tree_free(ptree);
	git_commit_free(parent);
	git_repository_free(r);
}

/* Commit ids reachable from a reference, newest first (array of 41-byte strings). */
static size_t history(char (*out)[41], size_t max, git_repository *r, const char *ref)
{
	git_revwalk *w = NULL;
	git_oid oid;
	size_t n = 0;
	assert_git(git_revwalk_new(&w, r));
	assert_git(git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL));
	assert_git(git_revwalk_push_ref(w, ref));
	while (git_revwalk_next(&oid, w) == 0 && n < max)
		git_oid_tostr(out[n++], 41, &oid);
	git_error_clear();
	git_revwalk_free(w);
	return n;
}

/* ------------------------------------------------------------ portfolio create */

static void test_portfolio_create(void **state)
{
	fx *f = *state;
	git_repository *r;
	git_reference *head = NULL;
	folio_portfolio *list = NULL;
	folio_audit_row *rows = NULL;
	size_t n = 0;

	act(f, ADMIN_LOGIN);
	assert_ok(folio_portfolio_create(f->site, "ann", "qms")); /* case-insensitive */

	r = open_portfolio(f, "ann");
	assert_true(git_repository_is_bare(r));
	assert_int_equal(git_repository_head_unborn(r), 1);
	assert_git(git_reference_lookup(&head, r, "HEAD"));
	assert_int_equal(git_reference_type(head), GIT_REFERENCE_SYMBOLIC);
	assert_string_equal(git_reference_symbolic_target(head), "refs/heads/main");
	git_reference_free(head);
	git_repository_free(r);
	{
		char *p = folio_portfolio_repo_path(f->site, "ann"), *want = fmt("%s/ann.git", f->pdir);
		assert_string_equal(p, want);
		free(p);
		free(want);
	}

	assert_ok(folio_portfolio_list(&list, &n, f->site));
	assert_int_equal(n, 1);
	assert_string_equal(list[0].mentor, "ann");
	assert_string_equal(list[0].qualification, "QMS");
	assert_string_equal(list[0].commit, "");
	assert_int_equal(list[0].entries, 0);
	assert_non_null(list[0].created);
	folio_portfolios_free(list, n);
	assert_int_equal(dir_count(f->pdir), 1);

	assert_ok(folio_audit_list(&rows, &n, f->site));
	assert_string_equal(rows[n - 1].action, "portfolio.create");
	assert_string_equal(rows[n - 1].object, "portfolio:ann");
	assert_has(rows[n - 1].detail, "QMS");
	folio_audit_rows_free(rows, n);

	/* the other qualification */
	assert_ok(folio_portfolio_create(f->site, "bob", "QLMS"));
	{
		folio_portfolio p;
		assert_ok(folio_portfolio_get(&p, f->site, "bob"));
		assert_string_equal(p.qualification, "QLMS");
		folio_portfolio_clear(&p);
	}
}

static void test_portfolio_create_errors(void **state)
{
	fx *f = *state;
	folio_portfolio *list = NULL;
	size_t n = 0, audit;
	act(f, ADMIN_LOGIN);
	audit = audit_count(f->site);

	assert_rc(folio_portfolio_create(f->site, "ghost", "QMS"), FOLIO_ENOTFOUND);
	assert_msg("ghost");
	assert_rc(folio_portfolio_create(f->site, "rev", "QMS"), FOLIO_EINVALID);
	assert_msg("'rev'");
	assert_msg("mentor");
	assert_rc(folio_portfolio_create(f->site, "ann", "QTS"), FOLIO_EINVALID);
	assert_msg("QTS");
	assert_msg("QMS");
	assert_msg("QLMS");
	assert_rc(folio_portfolio_create(f->site, "ann", NULL), FOLIO_EINVALID);
	assert_msg("QMS");
	assert_int_equal(dir_count(f->pdir), 0);
	assert_int_equal(audit_count(f->site), audit);

	assert_ok(folio_portfolio_create(f->site, "ann", "QMS"));
	assert_rc(folio_portfolio_create(f->site, "ann", "QMS"), FOLIO_EEXISTS);
	assert_msg("ann");
	assert_rc(folio_portfolio_create(f->site, "ann", "QLMS"), FOLIO_EEXISTS);
	assert_int_equal(dir_count(f->pdir), 1); /* only ann.git: no temporary leftovers */
	assert_ok(folio_portfolio_list(&list, &n, f->site));
	assert_int_equal(n, 1);
	assert_string_equal(list[0].qualification, "QMS");
	folio_portfolios_free(list, n);

	{
		folio_portfolio p;
		assert_rc(folio_portfolio_get(&p, f->site, "bob"), FOLIO_ENOTFOUND);
		assert_msg("bob");
		assert_rc(folio_portfolio_get(&p, f->site, "ghost"), FOLIO_ENOTFOUND);
		assert_msg("ghost");
	}
}

static void test_portfolio_create_permissions(void **state)
{
	fx *f = *state;
	folio_audit_row *rows = NULL;
	size_t n = 0;
	char *bobrepo = fmt("%s/bob.git", f->pdir);
	struct stat st;

	act(f, "ann-login");
	assert_ok(folio_portfolio_create(f->site, "ann", "QMS"));
	assert_ok(folio_audit_list(&rows, &n, f->site));
	assert_string_equal(rows[n - 1].action, "portfolio.create");
	assert_string_equal(rows[n - 1].actor, "ann");
	folio_audit_rows_free(rows, n);

	assert_rc(folio_portfolio_create(f->site, "bob", "QMS"), FOLIO_EDENIED);
	assert_msg("person 'ann'");
	assert_msg("bob");
	act(f, "rev-login");
	assert_rc(folio_portfolio_create(f->site, "bob", "QMS"), FOLIO_EDENIED);
	act(f, "lea-login");
	assert_rc(folio_portfolio_create(f->site, "bob", "QMS"), FOLIO_EDENIED);
	assert_true(stat(bobrepo, &st) < 0);
	assert_int_equal(dir_count(f->pdir), 1);
	free(bobrepo);
}

/* ------------------------------------------------------------ entry add */

static void test_entry_add_commit(void **state)
{
	fx *f = *state;
	static const char text1[] = "We met for the first time and agreed how we would work. #S1.1\n";
	static const char text2[] = "# Planning Together\n\nWe planned a phonics lesson side by side. #S2.2";
	char c1[41], c2[41], main_hex[41];
	char *p1, *p2, *blob;
	git_repository *r;
	git_commit *c;

	create(f, "ann");
	p1 = entry(f, "ann", text1, "First Meeting", "2025-09-17", c1);
	assert_string_equal(p1, "2025-09-17-first-meeting.md");
	assert_int_equal(strlen(c1), 40);

	r = open_portfolio(f, "ann");
	ref_hex(main_hex, r, "refs/heads/main");
	assert_string_equal(main_hex, c1);
	c = commit_of(r, c1);
	assert_int_equal(git_commit_parentcount(c), 0);
	assert_string_equal(git_commit_author(c)->name, "Ann Example");
	assert_string_equal(git_commit_author(c)->email, "ann@example.org");
	assert_string_equal(git_commit_committer(c)->name, "Ann Example"); /* the acting person: ann */
	assert_string_equal(git_commit_committer(c)->email, "ann@example.org");
	assert_has(git_commit_message(c), "First Meeting");
	git_commit_free(c);
	assert_int_equal(tree_size(r, c1), 1);
	blob = blob_text(r, c1, p1);
	assert_non_null(blob);
	assert_string_equal(blob, "# First Meeting\n\nWe met for the first time and agreed how we would work. #S1.1\n");
	free(blob);

	/* no title given, the text's heading names it; a final newline is added */
	p2 = entry(f, "ann", text2, NULL, "2025-09-20", c2);
	assert_string_equal(p2, "2025-09-20-planning-together.md");
	c = commit_of(r, c2);
	assert_int_equal(git_commit_parentcount(c), 1);
	assert_string_equal(git_oid_tostr_s(git_commit_parent_id(c, 0)), c1);
	git_commit_free(c);
	assert_int_equal(tree_size(r, c2), 2);
	blob = blob_text(r, c2, p2);
	assert_string_equal(blob, "# Planning Together\n\nWe planned a phonics lesson side by side. #S2.2\n");
	free(blob);
	ref_hex(main_hex, r, "refs/heads/main");
	assert_string_equal(main_hex, c2);
	/* no working tree files in the bare repository */
	assert_true(git_repository_is_bare(r));
	git_repository_free(r);

	{
		folio_portfolio p;
		assert_ok(folio_portfolio_get(&p, f->site, "ann"));
		assert_string_equal(p.commit, c2);
		assert_int_equal(p.entries, 2);
		folio_portfolio_clear(&p);
	}
	{
		folio_audit_row *rows = NULL;
		size_t n = 0;
		assert_ok(folio_audit_list(&rows, &n, f->site));
		assert_string_equal(rows[n - 1].action, "entry.add");
		assert_string_equal(rows[n - 1].object, "portfolio:ann");
		assert_string_equal(rows[n - 1].actor, "ann");
		assert_has(rows[n - 1].detail, p2);
		assert_has(rows[n - 1].detail, c2);
		folio_audit_rows_free(rows, n);
	}
	free(p1);
	free(p2);
}

static void test_entry_add_as_mentor_by_admin(void **state)
{
	fx *f = *state;
	static const char text[] = "Entered for Ann from her paper notes. #S3\n";
	folio_entry_options o = { "Paper Notes", "2025-09-30" };
	char c[41];
	git_repository *r;
	git_commit *cm;
	create(f, "ann");
	assert_ok(folio_site_act(f->site, ADMIN_LOGIN, "ann"));
	assert_ok(folio_entry_add(f->site, "ann", text, strlen(text), &o, NULL, c));
	r = open_portfolio(f, "ann");
	cm = commit_of(r, c);
	assert_string_equal(git_commit_author(cm)->name, "Ann Example");
	/* the acting person is ann (the admin behind --as is in the audit log) */
	assert_string_equal(git_commit_committer(cm)->name, "Ann Example");
	git_commit_free(cm);
	git_repository_free(r);
	{
		folio_audit_row *rows = NULL;
		size_t n = 0;
		assert_ok(folio_audit_list(&rows, &n, f->site));
		assert_string_equal(rows[n - 1].action, "entry.add");
		assert_string_equal(rows[n - 1].actor, "ann");
		assert_non_null(rows[n - 1].real);
		assert_string_equal(rows[n - 1].real, "adm");
		folio_audit_rows_free(rows, n);
	}
}

static void test_entry_title_heading(void **state)
{
	fx *f = *state;
	static const char has_h1[] = "# Reading About Fluency\n\nI read about fluency. #S4.2\n";
	static const char has_h2[] = "## Week three\n\nWe met twice. #S1\n";
	static const char spaced[] = "\n\n# Spaced Heading\n\nText. #S1\n";
	char c[41], *p, *blob;
	git_repository *r;
	create(f, "ann");
	r = open_portfolio(f, "ann");

	/* title given, the text already starts with it as a level-1 heading: not doubled */
	p = entry(f, "ann", has_h1, "Reading About Fluency", "2026-01-28", c);
	assert_string_equal(p, "2026-01-28-reading-about-fluency.md");
	blob = blob_text(r, c, p);
	assert_string_equal(blob, has_h1);
	free(blob);
	free(p);

	/* a level-2 heading is not a title: "# Title" goes first */
	p = entry(f, "ann", has_h2, "Weekly Meeting Log", "2025-10-21", c);
	assert_string_equal(p, "2025-10-21-weekly-meeting-log.md");
	blob = blob_text(r, c, p);
	assert_string_equal(blob, "# Weekly Meeting Log\n\n## Week three\n\nWe met twice. #S1\n");
	free(blob);
	free(p);

	p = entry(f, "ann", spaced, "Something Else", "2025-10-22", c);
	blob = blob_text(r, c, p);
	assert_string_equal(blob, spaced);
	free(blob);
	free(p);

	/* slug: punctuation and case folded, nothing but a-z0-9 and '-' */
	p = entry(f, "ann", "Text. #S1\n", "A Day at the Seaside! (Part 2)", "2025-10-23", c);
	assert_string_equal(p, "2025-10-23-a-day-at-the-seaside-part-2.md");
	free(p);
	git_repository_free(r);
}

/*
 * Regression: folio_entry_add (engine/portfolio.c) only
 * recognises an ATX "# " heading. A text whose first line is a setext
 * level-1 heading ("Title\n=====") already has a level-1 heading, yet the
 * given title is put in front of it, so the entry shows two titles.
 * portfolio.h: "when --title is given and the text has no level-1 heading".
 */
static void test_entry_title_setext_heading(void **state)
{
	fx *f = *state;
	static const char setext[] = "Reading about fluency\n=====================\n\nI read about fluency. #S4.2\n";
	char c[41], *p, *blob;
	git_repository *r;
	create(f, "ann");
	p = entry(f, "ann", setext, "Reading about fluency", "2026-01-28", c);
	r = open_portfolio(f, "ann");
	blob = blob_text(r, c, p);
	assert_string_equal(blob, setext);
	free(blob);
	free(p);
	git_repository_free(r);
}

static void test_entry_same_title_same_date(void **state)
{
	fx *f = *state;
	char c[41], *p1, *p2, *p3, *p4;
	git_repository *r;
	create(f, "ann");
	p1 = entry(f, "ann", "One. #S1\n", "Weekly Meeting", "2025-10-01", NULL);
	p2 = entry(f, "ann", "Two. #S1\n", "Weekly Meeting", "2025-10-01", NULL);
	p3 = entry(f, "ann", "Three. #S1\n", "Weekly Meeting", "2025-10-01", NULL);
	p4 = entry(f, "ann", "Four. #S1\n", "Weekly Meeting", "2025-10-08", c);
	assert_string_equal(p1, "2025-10-01-weekly-meeting.md");
	assert_string_equal(p2, "2025-10-01-weekly-meeting-2.md");
	assert_string_equal(p3, "2025-10-01-weekly-meeting-3.md");
	assert_string_equal(p4, "2025-10-08-weekly-meeting.md");
	r = open_portfolio(f, "ann");
	assert_int_equal(tree_size(r, c), 4);
	{
		char *b1 = blob_text(r, c, p1), *b2 = blob_text(r, c, p2);
		assert_has(b1, "One.");
		assert_has(b2, "Two."); /* the first one was not overwritten */
		free(b1);
		free(b2);
	}
	git_repository_free(r);
	free(p1);
	free(p2);
	free(p3);
	free(p4);
}

static void test_entry_bad_dates(void **state)
{
	fx *f = *state;
	char before[41], after[41], future1[11], future2[11], c[41];
	static const char text[] = "A good entry. #S1\n";
	size_t audit;
	time_t now = time(NULL);
	struct tm tm;
	time_t t1 = now + 86400 + 3600, t2 = now + 3 * 86400;
	localtime_r(&t1, &tm);
	strftime(future1, sizeof(future1), "%Y-%m-%d", &tm);
	localtime_r(&t2, &tm);
	strftime(future2, sizeof(future2), "%Y-%m-%d", &tm);

	create(f, "ann");
	act(f, "ann-login");
	/* on an empty portfolio: nothing committed, main stays unborn */
	{
		folio_entry_options o = { "T", future1 };
		assert_rc(folio_entry_add(f->site, "ann", text, strlen(text), &o, NULL, c), FOLIO_EINVALID);
		assert_msg(future1);
		assert_msg("future");
		tip(after, f, "ann");
		assert_string_equal(after, "");
	}
	free(entry(f, "ann", text, "Good", "2025-09-17", before));
	audit = audit_count(f->site);
	const char *bad[] = { future1, future2, "2025-13-01", "2025-02-30", "2023-02-29", "2025-00-10", "2025-09-00",
		"17/09/2025", "2025-9-17", "2025-09-17T10:00", "20250917", "yesterday", "", "1066-10-14" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		folio_entry_options o = { "T", bad[i] };
		char *path = (char *)1;
		int rc = folio_entry_add(f->site, "ann", text, strlen(text), &o, &path, c);
		if (rc != FOLIO_EINVALID)
			fail_msg("date '%s' gave %d, expected FOLIO_EINVALID (%s)", bad[i], rc, folio_error_last());
		if (*bad[i])
			assert_msg(bad[i]);
		assert_null(path);
		tip(after, f, "ann");
		assert_string_equal(after, before);
	}
	assert_int_equal(audit_count(f->site), audit);
	/* a leap day that exists, and today, are fine */
	free(entry(f, "ann", text, "Leap", "2024-02-29", NULL));
	free(entry(f, "ann", text, "Today", NULL, c));
	{
		char today[11];
		localtime_r(&now, &tm);
		strftime(today, sizeof(today), "%Y-%m-%d", &tm);
		git_repository *r = open_portfolio(f, "ann");
		char *want = fmt("%s-today.md", today), *b = blob_text(r, c, want);
		assert_non_null(b);
		free(b);
		free(want);
		git_repository_free(r);
	}
}

static void test_entry_bad_text(void **state)
{
	fx *f = *state;
	static const struct {
		const char *text;
		size_t len;
		const char *want[3];
	} cases[] = {
#define T(s) s, sizeof(s) - 1
		{ T(""), { "empty", NULL, NULL } },
		{ T("  \n\t\r\n\n"), { "empty", NULL, NULL } },
		{ T("Good start\nthen \xff bad\n"), { "UTF-8", NULL, NULL } },
		{ T("Caf\xc3 then\n"), { "UTF-8", NULL, NULL } },
		{ T("ab\0cd #S1\n"), { "NUL", NULL, NULL } },
		{ T("# Title\n\nWe met #S5 today.\n"), { "line 3", "column 8", "#S5" } },
		{ T("Text #S2.12 here.\n"), { "line 1", "column 6", "#S2.12" } },
		{ T("## Caf\xc3\xa9 #s9\n"), { "line 1", "column 9", "#s9" } },
#undef T
	};
	char before[41], after[41], c[41];
	size_t audit;
	create(f, "ann");
	free(entry(f, "ann", "A good entry. #S1\n", "Good", "2025-09-17", before));
	audit = audit_count(f->site);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		folio_entry_options o = { "Bad", "2025-09-18" };
		int rc = folio_entry_add(f->site, "ann", cases[i].text, cases[i].len, &o, NULL, c);
		if (rc != FOLIO_EINVALID)
			fail_msg("case %zu gave %d, expected FOLIO_EINVALID (%s)", i, rc, folio_error_last());
		for (size_t w = 0; w < 3; w++)
			if (cases[i].want[w] && !strstr(folio_error_last(), cases[i].want[w]))
				fail_msg("case %zu: expected \"%s\" in \"%s\"", i, cases[i].want[w], folio_error_last());
		assert_string_equal(c, "");
		tip(after, f, "ann");
		assert_string_equal(after, before);
	}
	/* over the 1 MiB limit */
	{
		size_t big = 1024 * 1024 + 1;
		char *text = malloc(big);
		folio_entry_options o = { "Big", "2025-09-18" };
		memset(text, 'a', big);
		for (size_t i = 80; i < big; i += 81)
			text[i] = i % 810 == 0 ? '\n' : ' ';
		assert_rc(folio_entry_add(f->site, "ann", text, big, &o, NULL, c), FOLIO_EINVALID);
		assert_msg("too large");
		free(text);
	}
	/* a title must be one line of text */
	{
		folio_entry_options o = { "Two\nlines", "2025-09-18" };
		assert_rc(folio_entry_add(f->site, "ann", "Text. #S1\n", 10, &o, NULL, c), FOLIO_EINVALID);
		assert_msg("title");
		o.title = "";
		assert_rc(folio_entry_add(f->site, "ann", "Text. #S1\n", 10, &o, NULL, c), FOLIO_EINVALID);
	}
	tip(after, f, "ann");
	assert_string_equal(after, before);
	assert_int_equal(audit_count(f->site), audit);
	/* tags in code are not tags: an unknown one there is fine */
	free(entry(f, "ann", "We wrote `#S5` on the board.\n", "Code", "2025-09-19", c));
	assert_string_not_equal(c, before);
}

/*
 * Regression: folio_entry_add (engine/portfolio.c) reports invalid UTF-8 and NUL
 * bytes by byte offset ("entry is not valid UTF-8 text (byte 17)") before the
 * text is analysed, while unknown tags get "line L, column C". The brief
 * asks for line and column for these too (folio_doc_analyze already gives
 * them).
 */
static void test_entry_bad_bytes_line_column(void **state)
{
	fx *f = *state;
	folio_entry_options o = { "Bad", "2025-09-18" };
	char c[41];
	create(f, "ann");
	act(f, "ann-login");
	assert_rc(folio_entry_add(f->site, "ann", "Line one\nLine \xff two\n", 19, &o, NULL, c), FOLIO_EINVALID);
	assert_msg("line 2");
	assert_msg("column 6");
	assert_rc(folio_entry_add(f->site, "ann", "a\nb\nxy\0z\n", 9, &o, NULL, c), FOLIO_EINVALID);
	assert_msg("line 3");
	assert_msg("column 3");
}

static void test_entry_unknown_portfolio(void **state)
{
	fx *f = *state;
	folio_entry_options o = { "T", "2025-09-18" };
	char c[41];
	act(f, "ann-login");
	assert_rc(folio_entry_add(f->site, "ann", "Text #S1\n", 9, &o, NULL, c), FOLIO_ENOTFOUND);
	assert_msg("ann");
	assert_int_equal(dir_count(f->pdir), 0);
}

/* ------------------------------------------------------------ entry list */

static void assert_tags(const folio_entry *e, size_t n, const char *const *want)
{
	if (e->ntags != n)
		fail_msg("%s: %zu tags, expected %zu", e->path, e->ntags, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(e->tags[i], want[i]);
}

static void test_entry_list(void **state)
{
	fx *f = *state;
	folio_entry *e = NULL;
	size_t n = 0;
	create(f, "ann");
	/* an entry committed with plain libgit2, no date in its name, on 2024-03-05 */
	commit_direct(f, "ann", "notes.md", "# Notes\n\nSome notes on my mentoring practice. #S4\n", 1709640000, 0, NULL);
	free(entry(f, "ann", "We planned phonics together. #S2.3\n\nI reflected on it afterwards. #S1\n",
		"Second Visit", "2025-10-08", NULL));
	free(entry(f, "ann", "We met and agreed some ground rules. #S1.1\n", "First Meeting", "2025-09-17", NULL));
	/* changed later: the date stays that of the commit that added it */
	commit_direct(f, "ann", "notes.md", "# Notes\n\nSome notes on my mentoring practice, revised. #S4\n",
		1767268800, 0, NULL);
	/* a file that is not Markdown is not an entry */
	commit_direct(f, "ann", "photo.png", "\x89PNG not really", 1767268800, 0, NULL);

	act(f, "ann-login");
	assert_ok(folio_entry_list(&e, &n, f->site, "ann"));
	assert_int_equal(n, 3);
	assert_string_equal(e[0].path, "notes.md");
	assert_string_equal(e[0].date, "2024-03-05");
	assert_string_equal(e[0].title, "Notes");
	assert_in_range(e[0].words, 6, 9);
	assert_tags(&e[0], 1, (const char *const[]){ "S4" });
	assert_string_equal(e[1].path, "2025-09-17-first-meeting.md");
	assert_string_equal(e[1].date, "2025-09-17");
	assert_string_equal(e[1].title, "First Meeting");
	assert_in_range(e[1].words, 6, 10);
	assert_tags(&e[1], 1, (const char *const[]){ "S1.1" });
	assert_string_equal(e[2].path, "2025-10-08-second-visit.md");
	assert_string_equal(e[2].date, "2025-10-08");
	assert_string_equal(e[2].title, "Second Visit");
	assert_in_range(e[2].words, 8, 12);
	assert_tags(&e[2], 2, (const char *const[]){ "S1", "S2.3" });
	for (size_t i = 0; i < n; i++)
		assert_int_equal(e[i].errors, 0);
	folio_entries_free(e, n);

	/* a committed entry with an unknown tag is listed with its error, not hidden */
	commit_direct(f, "ann", "2025-11-01-oops.md", "# Oops\n\nA mistaken tag #S7.\n", 1767268800, 0, NULL);
	assert_ok(folio_entry_list(&e, &n, f->site, "ann"));
	assert_int_equal(n, 4);
	assert_string_equal(e[3].path, "2025-11-01-oops.md");
	assert_int_equal(e[3].errors, 1);
	folio_entries_free(e, n);

	/* the mentor's own list; another mentor may not read it */
	act(f, "bob-login");
	assert_rc(folio_entry_list(&e, &n, f->site, "ann"), FOLIO_EDENIED);
	act(f, "rev-login");
	assert_ok(folio_entry_list(&e, &n, f->site, "ann"));
	assert_int_equal(n, 4);
	folio_entries_free(e, n);
}

/*
 * Regression: folio_entry_list (engine/portfolio.c) dates an entry without a date in
 * its name from the commit's author time in UTC (gmtime), ignoring the
 * commit's own time zone. A commit made at 00:30 on 5 March in UTC+1 (what
 * `git log` shows) is listed as 4 March.
 */
static void test_entry_list_undated_uses_commit_timezone(void **state)
{
	fx *f = *state;
	folio_entry *e = NULL;
	size_t n = 0;
	create(f, "ann");
	/* 2024-03-04T23:30Z = 2024-03-05 00:30 +0100 */
	commit_direct(f, "ann", "late.md", "# Late\n\nWritten just after midnight. #S1\n", 1709595000, 60, NULL);
	/* 2024-03-05T02:00Z = 2024-03-04 21:00 -0500 */
	commit_direct(f, "ann", "early.md", "# Early\n\nWritten in the evening. #S2\n", 1709604000, -300, NULL);
	act(f, "ann-login");
	assert_ok(folio_entry_list(&e, &n, f->site, "ann"));
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(e[i].path, "late.md") == 0)
			assert_string_equal(e[i].date, "2024-03-05");
		else
			assert_string_equal(e[i].date, "2024-03-04");
	}
	folio_entries_free(e, n);
}

static void test_entry_list_empty_portfolio(void **state)
{
	fx *f = *state;
	folio_entry *e = (folio_entry *)1;
	folio_coverage *cov = NULL;
	size_t n = 9;
	create(f, "ann");
	act(f, "ann-login");
	assert_ok(folio_entry_list(&e, &n, f->site, "ann"));
	assert_int_equal(n, 0);
	folio_entries_free(e, n);
	assert_rc(folio_coverage_get(&cov, f->site, "ann", NULL), FOLIO_EINVALID);
	assert_msg("ann");
	assert_null(cov);
}

/* ------------------------------------------------------------ import */

static char *make_source_repo(fx *f, char head[41])
{
	char *src = fmt("%s/src", f->box);
	char *p;
	sh("git init -q -b master '%s'", src);
	p = fmt("%s/2025-09-17-first.md", src);
	write_file(p, "# First\n\nMet the trainee for the first time. #S1\n");
	free(p);
	sh("cd '%s' && git add . && GIT_AUTHOR_DATE='2025-09-17T12:00:00Z' GIT_COMMITTER_DATE='2025-09-17T12:00:00Z' "
		GIT_AS_ANN " commit -q -m first", src);
	p = fmt("%s/2025-10-01-second.md", src);
	write_file(p, "# Second\n\nGave feedback on an observed lesson. #S2.4\n");
	free(p);
	sh("cd '%s' && git add . && GIT_AUTHOR_DATE='2025-10-01T12:00:00Z' GIT_COMMITTER_DATE='2025-10-01T12:00:00Z' "
		GIT_AS_ANN " commit -q -m second && git tag v1", src);
	p = fmt("%s/2025-11-01-third.md", src);
	write_file(p, "# Third\n\nModerated writing with colleagues. #S4.1\n");
	free(p);
	p = fmt("%s/photo.png", src);
	write_file(p, "\x89PNG not really an image");
	free(p);
	sh("cd '%s' && git add . && GIT_AUTHOR_DATE='2025-11-01T12:00:00Z' GIT_COMMITTER_DATE='2025-11-01T12:00:00Z' "
		GIT_AS_ANN " commit -q -m third && " GIT_AS_ANN " tag -a v2 -m 'end of term'", src);
	{
		git_repository *r = open_repo(src);
		ref_hex(head, r, "HEAD");
		assert_int_equal(strlen(head), 40);
		git_repository_free(r);
	}
	return src;
}

static void test_portfolio_import(void **state)
{
	fx *f = *state;
	char head[41], got[41], want[41];
	char src_hist[8][41], dst_hist[8][41];
	char *src = make_source_repo(f, head);
	git_repository *s, *d;
	git_reference *h = NULL;
	folio_portfolio p;

	act(f, ADMIN_LOGIN);
	assert_ok(folio_portfolio_import(f->site, "ann", src, "QMS"));
	assert_int_equal(dir_count(f->pdir), 1);

	assert_ok(folio_portfolio_get(&p, f->site, "ann"));
	assert_string_equal(p.commit, head);
	assert_int_equal(p.entries, 3);
	assert_string_equal(p.qualification, "QMS");
	folio_portfolio_clear(&p);

	s = open_repo(src);
	d = open_portfolio(f, "ann");
	assert_true(git_repository_is_bare(d));
	ref_hex(got, d, "refs/heads/main");
	assert_string_equal(got, head);
	assert_git(git_reference_lookup(&h, d, "HEAD"));
	assert_string_equal(git_reference_symbolic_target(h), "refs/heads/main");
	git_reference_free(h);
	/* the same commits, ids unchanged */
	size_t ns = history(src_hist, 8, s, "HEAD"), nd = history(dst_hist, 8, d, "refs/heads/main");
	assert_int_equal(ns, 3);
	assert_int_equal(nd, 3);
	for (size_t i = 0; i < ns; i++)
		assert_string_equal(src_hist[i], dst_hist[i]);
	/* tags: a lightweight and an annotated one */
	ref_hex(want, s, "refs/tags/v1");
	ref_hex(got, d, "refs/tags/v1");
	assert_int_equal(strlen(got), 40);
	assert_string_equal(got, want);
	ref_hex(want, s, "refs/tags/v2");
	ref_hex(got, d, "refs/tags/v2");
	assert_int_equal(strlen(got), 40);
	assert_string_equal(got, want);
	git_repository_free(s);
	git_repository_free(d);

	{
		folio_audit_row *rows = NULL;
		size_t n = 0;
		assert_ok(folio_audit_list(&rows, &n, f->site));
		assert_string_equal(rows[n - 1].action, "portfolio.import");
		assert_has(rows[n - 1].detail, head);
		folio_audit_rows_free(rows, n);
	}
	{
		folio_entry *e = NULL;
		size_t n = 0;
		assert_ok(folio_entry_list(&e, &n, f->site, "ann"));
		assert_int_equal(n, 3);
		assert_string_equal(e[1].date, "2025-10-01");
		assert_string_equal(e[1].title, "Second");
		folio_entries_free(e, n);
	}
	/* entries can be added on top of the imported history */
	{
		char c[41];
		git_repository *r;
		git_commit *cm;
		free(entry(f, "ann", "After the import. #S3\n", "After Import", "2025-11-02", c));
		r = open_portfolio(f, "ann");
		cm = commit_of(r, c);
		assert_string_equal(git_oid_tostr_s(git_commit_parent_id(cm, 0)), head);
		git_commit_free(cm);
		git_repository_free(r);
	}

	/* a bare source with a branch that is not called master works too; importing twice does not */
	{
		char *bare = fmt("%s/bob-src.git", f->box);
		sh("git clone -q --bare '%s' '%s' && git -C '%s' branch -q -m master term1", src, bare, bare);
		act(f, "bob-login");
		assert_ok(folio_portfolio_import(f->site, "bob", bare, "QMS"));
		tip(got, f, "bob");
		assert_string_equal(got, head);
		assert_rc(folio_portfolio_import(f->site, "bob", bare, "QMS"), FOLIO_EEXISTS);
		assert_int_equal(dir_count(f->pdir), 2);
		free(bare);
	}
	free(src);
}

static void test_portfolio_import_empty(void **state)
{
	fx *f = *state;
	char *empty = fmt("%s/empty", f->box);
	folio_portfolio *list = NULL;
	size_t n = 0, audit;
	sh("git init -q -b master '%s'", empty);
	act(f, ADMIN_LOGIN);
	audit = audit_count(f->site);
	assert_rc(folio_portfolio_import(f->site, "ann", empty, "QMS"), FOLIO_EINVALID);
	assert_msg("empty");
	assert_msg(empty);
	assert_int_equal(dir_count(f->pdir), 0);
	assert_ok(folio_portfolio_list(&list, &n, f->site));
	assert_int_equal(n, 0);
	folio_portfolios_free(list, n);
	assert_int_equal(audit_count(f->site), audit);
	/* and a portfolio can still be created afterwards */
	assert_ok(folio_portfolio_create(f->site, "ann", "QMS"));
	free(empty);
}

static void test_portfolio_import_not_a_repository(void **state)
{
	fx *f = *state;
	char *plain = fmt("%s/plain", f->box), *missing = fmt("%s/missing", f->box), *file;
	sh("mkdir -p '%s'", plain);
	file = fmt("%s/2025-09-17-x.md", plain);
	write_file(file, "# X\n\nNot in git. #S1\n");
	act(f, ADMIN_LOGIN);
	assert_rc(folio_portfolio_import(f->site, "ann", plain, "QMS"), FOLIO_EINVALID);
	assert_msg(plain);
	assert_msg("not a git repository");
	assert_true(folio_portfolio_import(f->site, "ann", missing, "QMS") < 0);
	assert_msg(missing);
	assert_int_equal(dir_count(f->pdir), 0);
	/* checks before the source: an unknown qualification is reported as such */
	assert_rc(folio_portfolio_import(f->site, "ann", plain, "QTS"), FOLIO_EINVALID);
	assert_msg("QTS");
	free(plain);
	free(missing);
	free(file);
}

/* ------------------------------------------------------------ plain git */

static void assert_same_coverage(const folio_coverage *a, const folio_coverage *b, size_t nstd)
{
	assert_int_equal(a->nentries, b->nentries);
	assert_int_equal(a->errors, b->errors);
	assert_int_equal(a->ready, b->ready);
	for (size_t s = 0; s < nstd; s++) {
		if (a->standards[s].evidence != b->standards[s].evidence || a->standards[s].words != b->standards[s].words ||
		    a->standards[s].entries != b->standards[s].entries)
			fail_msg("standard %zu differs: evidence %zu/%zu words %zu/%zu entries %zu/%zu", s + 1,
				a->standards[s].evidence, b->standards[s].evidence, a->standards[s].words,
				b->standards[s].words, a->standards[s].entries, b->standards[s].entries);
	}
}

static void test_plain_git_round_trip(void **state)
{
	fx *f = *state;
	static const char first[] = "# First Meeting\n\nWe met and agreed ground rules. #S1.1\n";
	static const char pushed[] = "# Plain Git\n\nI gave clear, timely feedback on the lesson. #S2.4\n\n"
		"- we agreed one target #S2.8\n";
	char *work = fmt("%s/work", f->box), *repo = fmt("%s/ann.git", f->pdir), *file;
	char head[41], got[41];
	folio_entry *ea = NULL, *eb = NULL;
	folio_coverage *ca = NULL, *cb = NULL;
	size_t na = 0, nb = 0;
	size_t nstd = folio_framework_standard_count(folio_site_framework(f->site));

	create(f, "ann");
	create(f, "bob");
	free(entry(f, "ann", first, NULL, "2025-09-17", NULL));
	free(entry(f, "bob", first, NULL, "2025-09-17", NULL));

	/* ann: clone, write, commit, push */
	sh("git clone -q '%s' '%s'", repo, work);
	file = fmt("%s/2025-10-01-plain-git.md", work);
	write_file(file, pushed);
	sh("cd '%s' && git add . && " GIT_AS_ANN " commit -q -m 'Plain Git' && git push -q origin HEAD:main", work);
	{
		git_repository *w = open_repo(work);
		ref_hex(head, w, "HEAD");
		git_repository_free(w);
	}
	tip(got, f, "ann");
	assert_string_equal(got, head);

	/* bob: the same text through folio */
	{
		char *p = entry(f, "bob", pushed, NULL, "2025-10-01", NULL);
		assert_string_equal(p, "2025-10-01-plain-git.md");
		free(p);
	}

	act(f, ADMIN_LOGIN);
	assert_ok(folio_entry_list(&ea, &na, f->site, "ann"));
	assert_ok(folio_entry_list(&eb, &nb, f->site, "bob"));
	assert_int_equal(na, 2);
	assert_int_equal(nb, 2);
	for (size_t i = 0; i < na; i++) {
		assert_string_equal(ea[i].path, eb[i].path);
		assert_string_equal(ea[i].date, eb[i].date);
		assert_string_equal(ea[i].title, eb[i].title);
		assert_int_equal(ea[i].words, eb[i].words);
		assert_int_equal(ea[i].errors, eb[i].errors);
		assert_int_equal(ea[i].ntags, eb[i].ntags);
		for (size_t t = 0; t < ea[i].ntags; t++)
			assert_string_equal(ea[i].tags[t], eb[i].tags[t]);
	}
	assert_string_equal(ea[1].path, "2025-10-01-plain-git.md");
	assert_string_equal(ea[1].title, "Plain Git");
	assert_int_equal(ea[1].ntags, 2);

	assert_ok(folio_coverage_get(&ca, f->site, "ann", NULL));
	assert_ok(folio_coverage_get(&cb, f->site, "bob", NULL));
	assert_string_equal(ca->commit, head);
	assert_same_coverage(ca, cb, nstd);
	assert_true(ca->standards[1].evidence >= 1); /* S2 */
	assert_true(ca->standards[1].words > 0);
	assert_true(ca->standards[1].descriptors[3] >= 1); /* S2.4 */

	/* and folio keeps working on top of the pushed commit */
	{
		char c[41];
		git_repository *r;
		git_commit *cm;
		free(entry(f, "ann", "After the push. #S3\n", "After Push", "2025-10-02", c));
		r = open_portfolio(f, "ann");
		cm = commit_of(r, c);
		assert_string_equal(git_oid_tostr_s(git_commit_parent_id(cm, 0)), head);
		git_commit_free(cm);
		git_repository_free(r);
	}
	folio_coverage_free(ca);
	folio_coverage_free(cb);
	folio_entries_free(ea, na);
	folio_entries_free(eb, nb);
	free(work);
	free(repo);
	free(file);
}

/* A mentor removes an entry and files another in a folder, with plain git: folio follows. */
static void test_plain_git_remove_and_subfolder(void **state)
{
	fx *f = *state;
	char *work = fmt("%s/work", f->box), *repo = fmt("%s/ann.git", f->pdir), *dir, *file;
	char c1[41], c2[41], head[41];
	folio_entry *e = NULL;
	folio_coverage *cov;
	size_t n = 0;

	create(f, "ann");
	free(entry(f, "ann", "We met for the first time. #S1\n", "One", "2025-09-17", c1));
	free(entry(f, "ann", "I observed a lesson and gave feedback. #S2\n", "Two", "2025-09-24", c2));
	act(f, "ann-login");
	cov = coverage(f, "ann", NULL);
	assert_int_equal(cov->standards[1].evidence, 1);
	folio_coverage_free(cov);

	sh("git clone -q '%s' '%s'", repo, work);
	dir = fmt("%s/term1", work);
	sh("mkdir -p '%s'", dir);
	file = fmt("%s/2025-10-05-moderation.md", dir);
	write_file(file, "# Moderation\n\nWe moderated writing together. #S4.1\n");
	sh("cd '%s' && git rm -q 2025-09-24-two.md && git add . && " GIT_AS_ANN " commit -q -m 'move on' && "
		"git push -q origin HEAD:main", work);
	{
		git_repository *w = open_repo(work);
		ref_hex(head, w, "HEAD");
		git_repository_free(w);
	}

	assert_ok(folio_entry_list(&e, &n, f->site, "ann"));
	assert_int_equal(n, 2);
	assert_string_equal(e[0].path, "2025-09-17-one.md");
	assert_string_equal(e[1].path, "term1/2025-10-05-moderation.md");
	assert_string_equal(e[1].date, "2025-10-05");
	assert_string_equal(e[1].title, "Moderation");
	folio_entries_free(e, n);

	cov = coverage(f, "ann", NULL);
	assert_string_equal(cov->commit, head);
	assert_int_equal(cov->nentries, 2);
	assert_int_equal(cov->standards[1].evidence, 0); /* the S2 entry is gone */
	assert_int_equal(cov->standards[1].words, 0);
	assert_int_equal(cov->standards[3].evidence, 1);
	folio_coverage_free(cov);
	{
		folio_portfolio p;
		assert_ok(folio_portfolio_get(&p, f->site, "ann"));
		assert_int_equal(p.entries, 2);
		folio_portfolio_clear(&p);
	}

	/* a forced reset of main back to the first entry */
	sh("cd '%s' && git push -q --force origin %s:main", work, c1);
	cov = coverage(f, "ann", NULL);
	assert_string_equal(cov->commit, c1);
	assert_int_equal(cov->nentries, 1);
	assert_int_equal(cov->standards[3].evidence, 0);
	folio_coverage_free(cov);
	free(work);
	free(repo);
	free(dir);
	free(file);
}

/* ------------------------------------------------------------ index */

typedef struct {
	size_t calls, last_done, last_total;
} progress;

static void on_progress(size_t done, size_t total, const char *mentor, void *payload)
{
	progress *p = payload;
	assert_non_null(mentor);
	p->calls++;
	p->last_done = done;
	p->last_total = total;
}

static void test_index_update_stats(void **state)
{
	fx *f = *state;
	folio_index_stats st;
	progress pr = { 0 };
	create(f, "ann");
	create(f, "bob");
	free(entry(f, "ann", "First. #S1\n", "One", "2025-09-17", NULL));
	free(entry(f, "ann", "Second. #S2\n", "Two", "2025-09-18", NULL));
	free(entry(f, "bob", "Bob's first. #S3\n", "One", "2025-09-17", NULL));

	act(f, "rev-login"); /* any bound person may bring the cache up to date */
	assert_ok(folio_index_update(f->site, NULL, 0, &st, on_progress, &pr));
	assert_int_equal(st.portfolios, 2);
	assert_int_equal(st.blobs, 3);
	assert_int_equal(st.parsed, 3);
	assert_int_equal(st.unchanged, 0);
	assert_int_equal(pr.calls, 2);
	assert_int_equal(pr.last_done, 2);
	assert_int_equal(pr.last_total, 2);

	assert_ok(folio_index_update(f->site, NULL, 0, &st, NULL, NULL));
	assert_int_equal(st.portfolios, 2);
	assert_int_equal(st.unchanged, 2);
	assert_int_equal(st.parsed, 0);

	free(entry(f, "ann", "Third. #S4\n", "Three", "2025-09-19", NULL));
	act(f, "rev-login");
	assert_ok(folio_index_update(f->site, NULL, 0, &st, NULL, NULL));
	assert_int_equal(st.portfolios, 2);
	assert_int_equal(st.unchanged, 1);
	assert_int_equal(st.parsed, 1);
	assert_int_equal(st.blobs, 3);

	/* the same text in another portfolio is the same blob: not parsed again */
	free(entry(f, "bob", "Third. #S4\n", "Three", "2025-09-19", NULL));
	act(f, "rev-login");
	{
		const char *one[] = { "bob" };
		assert_ok(folio_index_update(f->site, one, 1, &st, NULL, NULL));
		assert_int_equal(st.portfolios, 1);
		assert_int_equal(st.unchanged, 0);
		assert_int_equal(st.parsed, 0);
		assert_int_equal(st.blobs, 2);
	}
	{
		const char *ghost[] = { "ghost" };
		assert_rc(folio_index_update(f->site, ghost, 1, &st, NULL, NULL), FOLIO_ENOTFOUND);
		assert_msg("ghost");
	}
}

static void test_index_rebuild_same_coverage(void **state)
{
	fx *f = *state;
	folio_index_stats st;
	folio_coverage *before_a, *before_b, *after_a, *after_b;
	size_t nstd = folio_framework_standard_count(folio_site_framework(f->site));
	create(f, "ann");
	create(f, "bob");
	free(entry(f, "ann", "# Meeting\n\nWe met weekly and talked about behaviour. #S2.1\n\n"
		"## Reflection #S1\n\nI listened more than I talked this time.\n", "Meeting", "2025-09-17", NULL));
	free(entry(f, "ann", "I joined the moderation day with two colleagues. #S4.1 #S3\n", "Moderation", "2025-10-02", NULL));
	free(entry(f, "bob", "A short one. #S2\n", "Short", "2025-09-17", NULL));

	act(f, ADMIN_LOGIN);
	before_a = coverage(f, "ann", NULL);
	before_b = coverage(f, "bob", NULL);
	assert_true(before_a->standards[0].evidence >= 1);
	assert_true(before_a->standards[3].evidence >= 1);

	assert_ok(folio_index_rebuild(f->site, &st, NULL, NULL));
	assert_int_equal(st.portfolios, 2);
	assert_int_equal(st.unchanged, 0);
	assert_int_equal(st.blobs, 3);
	assert_int_equal(st.parsed, 3);

	after_a = coverage(f, "ann", NULL);
	after_b = coverage(f, "bob", NULL);
	assert_string_equal(before_a->commit, after_a->commit);
	assert_same_coverage(before_a, after_a, nstd);
	assert_same_coverage(before_b, after_b, nstd);
	folio_coverage_free(after_a);
	folio_coverage_free(after_b);

	/* a damaged cache is put right by a rebuild */
	{
		char *db = fmt("%s/folio.db", f->dir);
		sqlite3 *h = NULL;
		assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
		sqlite3_busy_timeout(h, 5000);
		assert_int_equal(sqlite3_exec(h, "UPDATE blob_cache SET data = 'garbage'", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(h);
		free(db);
	}
	assert_ok(folio_index_rebuild(f->site, &st, NULL, NULL));
	assert_int_equal(st.parsed, 3);
	after_a = coverage(f, "ann", NULL);
	assert_same_coverage(before_a, after_a, nstd);
	folio_coverage_free(after_a);

	folio_coverage_free(before_a);
	folio_coverage_free(before_b);
}

static void test_coverage_at_older_rev(void **state)
{
	fx *f = *state;
	char c1[41], c2[41], shortid[11];
	folio_coverage *cov;
	create(f, "ann");
	free(entry(f, "ann", "We met for the first time and I listened. #S1\n", "One", "2025-09-17", c1));
	free(entry(f, "ann", "I observed a lesson and gave feedback. #S2.4\n", "Two", "2025-09-24", c2));

	act(f, "ann-login");
	cov = coverage(f, "ann", NULL);
	assert_string_equal(cov->commit, c2);
	assert_int_equal(cov->nentries, 2);
	assert_int_equal(cov->standards[0].evidence, 1);
	assert_int_equal(cov->standards[1].evidence, 1);
	size_t words_s1 = cov->standards[0].words;
	folio_coverage_free(cov);

	cov = coverage(f, "ann", c1);
	assert_string_equal(cov->commit, c1);
	assert_int_equal(cov->nentries, 1);
	assert_int_equal(cov->standards[0].evidence, 1);
	assert_int_equal(cov->standards[0].words, words_s1);
	assert_int_equal(cov->standards[1].evidence, 0);
	assert_int_equal(cov->standards[1].words, 0);
	folio_coverage_free(cov);

	cov = coverage(f, "ann", "main~1");
	assert_string_equal(cov->commit, c1);
	folio_coverage_free(cov);
	memcpy(shortid, c1, 10);
	shortid[10] = '\0';
	cov = coverage(f, "ann", shortid);
	assert_string_equal(cov->commit, c1);
	folio_coverage_free(cov);

	/* reading an old revision does not disturb the current one */
	cov = coverage(f, "ann", NULL);
	assert_string_equal(cov->commit, c2);
	assert_int_equal(cov->standards[1].evidence, 1);
	folio_coverage_free(cov);

	cov = NULL;
	assert_rc(folio_coverage_get(&cov, f->site, "ann", "no-such-branch"), FOLIO_ENOTFOUND);
	assert_msg("no-such-branch");
	assert_null(cov);
	assert_rc(folio_coverage_get(&cov, f->site, "ann", "0123456789abcdef0123456789abcdef01234567"), FOLIO_ENOTFOUND);
	assert_msg("0123456789abcdef0123456789abcdef01234567");
	assert_rc(folio_coverage_get(&cov, f->site, "ann", "main~5"), FOLIO_ENOTFOUND);
	act(f, ADMIN_LOGIN);
	assert_rc(folio_coverage_get(&cov, f->site, "ghost", NULL), FOLIO_ENOTFOUND);
	assert_msg("ghost");
}

int main(void)
{
	/* the git command line used by the tests must not see the user's configuration */
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
	setenv("GIT_TERMINAL_PROMPT", "0", 1);
	git_libgit2_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_portfolio_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_portfolio_create_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_portfolio_create_permissions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_add_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_add_as_mentor_by_admin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_title_heading, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_title_setext_heading, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_same_title_same_date, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_bad_dates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_bad_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_bad_bytes_line_column, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_unknown_portfolio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_list_undated_uses_commit_timezone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_list_empty_portfolio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_portfolio_import, setup, teardown),
		cmocka_unit_test_setup_teardown(test_portfolio_import_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_portfolio_import_not_a_repository, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_git_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_git_remove_and_subfolder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_update_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_rebuild_same_coverage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_coverage_at_older_rev, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return rc;
}
