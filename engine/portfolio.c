/* engine/portfolio.c: portfolios as bare git repositories; entries committed with libgit2, no working tree. */
#include "folio/portfolio.h"

#include <cmark.h>
#include "folio/index.h"
#include "folio/people.h"
#include "gitutil.h"
#include "site_internal.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Largest Markdown entry accepted by `entry add` (and parsed by the index). */

char *folio_portfolio_repo_path(folio_site *site, const char *mentor)
{
	return folio_asprintf("%s/portfolios/%s.git", site->path, mentor);
}

static int path_exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

/* The mentor exists and holds the mentor role. */
static int check_mentor(folio_site *site, const char *mentor)
{
	folio_person p;
	int error;
	if ((error = folio_person_get(&p, site, mentor)) < 0)
		return error;
	if (!(p.roles & FOLIO_ROLE_MENTOR))
		error = folio_error_set(FOLIO_EINVALID, "person '%s' is not a mentor", mentor);
	folio_person_clear(&p);
	return error;
}

static int qualification_id(folio_site *site, const char *q, const char **out)
{
	const folio_qualification *qual = folio_framework_find_qualification(site->fw, q ? q : "");
	if (!qual) {
		folio_buf known = FOLIO_BUF_INIT;
		for (size_t i = 0; i < folio_framework_qualification_count(site->fw); i++)
			folio_buf_printf(&known, "%s%s", i ? ", " : "", folio_framework_qualification(site->fw, i)->id);
		int error = folio_error_set(FOLIO_EINVALID, "unknown qualification '%s': use %s", q ? q : "", known.ptr);
		folio_buf_free(&known);
		return error;
	}
	*out = qual->id;
	return 0;
}

/*
 * `dest` exists but the mentor has no portfolio row: called under the site's
 * write lock, so it is not a create or import under way but one that died
 * between moving its repository into place and its COMMIT, or a removal
 * that died after its COMMIT (removed too). An empty repository (a
 * create's) is removed; one with references (an import's, perhaps pushed to
 * since) is kept and named.
 */
int folio_portfolio__removed(folio_site *site, const char *mentor)
{
	sqlite3_stmt *st = NULL;
	char *obj = folio_asprintf("portfolio:%s", mentor);
	int error, rc;

	if ((error = folio_db_prepare(site, &st,
		"SELECT NOT EXISTS (SELECT 1 FROM portfolio WHERE mentor = ?2)"
		" AND EXISTS (SELECT 1 FROM audit WHERE action = 'portfolio.remove' AND object = ?1)")) < 0)
		goto cleanup;
	sqlite3_bind_text(st, 1, obj, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, mentor, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		error = sqlite3_column_int(st, 0) != 0;
	else if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read the audit log");
cleanup:
	sqlite3_finalize(st);
	free(obj);
	return error;
}

static int orphan_repo(folio_site *site, const char *dest, const char *mentor)
{
	git_repository *repo = NULL;
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	int refs = 1, error = 0;

	/* what a removal killed after its COMMIT left: archived and verified before, and gone from the site */
	if ((error = folio_portfolio__removed(site, mentor)) < 0)
		return error;
	if (error == 1)
		return folio_rmtree(dest);
	if (git_repository_open_bare(&repo, dest) == 0 && git_reference_iterator_new(&it, repo) == 0) {
		refs = git_reference_next(&ref, it) == 0;
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	git_repository_free(repo);
	git_error_clear();
	if (!refs)
		return folio_rmtree(dest);
	error = folio_error_set(FOLIO_EEXISTS,
		"'%s' exists but mentor '%s' has no portfolio (an interrupted create or import?): move it away, "
		"or adopt it with 'folio portfolio import'", dest, mentor);
	return error;
}

/*
 * Record the portfolio row and its audit entry, then move the prepared
 * repository from tmp into place; the database commit comes last so that a
 * failure anywhere leaves neither behind.
 */
static int register_portfolio(folio_site *site, const char *mentor, const char *qual,
	const char *tmp, const char *dest, const char *action, const char *detail)
{
	sqlite3_stmt *st = NULL;
	char *now = folio_now_iso(), *obj = folio_asprintf("portfolio:%s", mentor);
	int error, moved = 0;

	if ((error = folio_tx_begin(site)) < 0)
		goto cleanup;
	if ((error = folio_db_prepare(site, &st,
		"INSERT INTO portfolio(mentor, qualification, created) VALUES (?1, ?2, ?3)")) < 0)
		goto cleanup;
	sqlite3_bind_text(st, 1, mentor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, qual, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		error = (sqlite3_errcode(site->db) == SQLITE_CONSTRAINT)
			? folio_error_set(FOLIO_EEXISTS, "mentor '%s' already has a portfolio", mentor)
			: folio_db_error(site, "cannot add portfolio");
		goto cleanup;
	}
	if (path_exists(dest) && (error = orphan_repo(site, dest, mentor)) < 0)
		goto cleanup;
	if ((error = folio_audit_append(site, action, obj, detail)) < 0)
		goto cleanup;
	if (rename(tmp, dest) < 0) {
		error = folio_error_set(FOLIO_ERROR, "cannot create '%s': %s", dest, strerror(errno));
		goto cleanup;
	}
	moved = 1;
	error = folio_tx_commit(site);
cleanup:
	sqlite3_finalize(st);
	if (error < 0) {
		folio_tx_rollback(site);
		folio_rmtree(moved ? dest : tmp);
	}
	free(now);
	free(obj);
	return error;
}

static char *tmp_repo_path(folio_site *site, const char *mentor)
{
	return folio_asprintf("%s/portfolios/.new-%s-%ld.git", site->path, mentor, (long)getpid());
}

static int init_bare(git_repository **repo, const char *path)
{
	git_repository_init_options o;
	int rc;
	git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	o.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
	o.initial_head = "main";
	if ((rc = git_repository_init_ext(repo, path, &o)) < 0)
		return folio_git_error(rc, "cannot create repository");
	return 0;
}

/* Common checks for create and import: permission, mentor, qualification, no portfolio yet. */
static int prepare_new(folio_site *site, const char *mentor, const char *qualification,
	const char *verb, const char **qual, char **dest)
{
	folio_portfolio p;
	int error;
	char *action = folio_asprintf("%s a portfolio for '%s'", verb, mentor ? mentor : "");
	error = folio_site_require_self_or(site, mentor, FOLIO_ROLE_ADMIN, action);
	free(action);
	if (error < 0)
		return error;
	if ((error = check_mentor(site, mentor)) < 0 || (error = qualification_id(site, qualification, qual)) < 0)
		return error;
	/* the row says; a repository without one is dealt with under the write lock (orphan_repo) */
	if ((error = folio_portfolio__row(&p, site, mentor)) == 0) {
		folio_portfolio_clear(&p);
		return folio_error_set(FOLIO_EEXISTS, "mentor '%s' already has a portfolio", mentor);
	}
	if (error != FOLIO_ENOTFOUND)
		return error;
	folio_error_clear();
	*dest = folio_portfolio_repo_path(site, mentor);
	return 0;
}

int folio_portfolio_create(folio_site *site, const char *mentor, const char *qualification)
{
	git_repository *repo = NULL;
	const char *qual = NULL;
	char *dest = NULL, *tmp = NULL, *detail = NULL;
	int error;

	folio_git_init();
	if ((error = prepare_new(site, mentor, qualification, "create", &qual, &dest)) < 0)
		return error;
	tmp = tmp_repo_path(site, mentor);
	if ((error = init_bare(&repo, tmp)) < 0)
		goto cleanup;
	git_repository_free(repo);
	repo = NULL;
	detail = folio_asprintf("qualification %s", qual);
	error = register_portfolio(site, mentor, qual, tmp, dest, "portfolio.create", detail);
cleanup:
	git_repository_free(repo);
	if (error < 0 && path_exists(tmp))
		folio_rmtree(tmp);
	free(dest);
	free(tmp);
	free(detail);
	return error;
}

int folio_portfolio_import(folio_site *site, const char *mentor, const char *path, const char *qualification)
{
	git_repository *src = NULL, *repo = NULL;
	git_remote *remote = NULL;
	git_reference *ref = NULL;
	git_oid head;
	const char *qual = NULL;
	char *dest = NULL, *tmp = NULL, *abs = NULL, *detail = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int error, rc;

	folio_git_init();
	if ((error = prepare_new(site, mentor, qualification, "import", &qual, &dest)) < 0)
		return error;
	if ((rc = git_repository_open_ext(&src, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL)) < 0) {
		error = folio_error_set(FOLIO_EINVALID, "'%s' is not a git repository", path);
		goto cleanup;
	}
	if ((rc = git_reference_name_to_id(&head, src, "HEAD")) < 0) {
		error = folio_error_set(FOLIO_EINVALID, "repository '%s' is empty: it has no commits to import", path);
		goto cleanup;
	}
	abs = realpath(git_repository_path(src), NULL);
	if (!abs) {
		error = folio_error_set(FOLIO_ERROR, "cannot resolve '%s': %s", path, strerror(errno));
		goto cleanup;
	}

	tmp = tmp_repo_path(site, mentor);
	if ((error = init_bare(&repo, tmp)) < 0)
		goto cleanup;
	{
		char heads[] = "+refs/heads/*:refs/heads/*", tags[] = "+refs/tags/*:refs/tags/*";
		char *specs[] = { heads, tags };
		git_strarray refspecs = { specs, 2 };
		git_fetch_options fo;
		git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
		if ((rc = git_remote_create_anonymous(&remote, repo, abs)) < 0 ||
		    (rc = git_remote_fetch(remote, &refspecs, &fo, NULL)) < 0) {
			error = folio_git_error(rc, "cannot import the history");
			goto cleanup;
		}
	}
	/* main is the source's HEAD commit, whatever its branch was called */
	if ((rc = git_reference_create(&ref, repo, "refs/heads/main", &head, 1, "folio: import")) < 0 ||
	    (rc = git_repository_set_head(repo, "refs/heads/main")) < 0) {
		error = folio_git_error(rc, "cannot set branch main");
		goto cleanup;
	}
	git_oid_tostr(hex, sizeof(hex), &head);
	detail = folio_asprintf("qualification %s, from '%s', main at %s", qual, abs, hex);
	git_repository_free(repo);
	repo = NULL;
	error = register_portfolio(site, mentor, qual, tmp, dest, "portfolio.import", detail);
cleanup:
	git_reference_free(ref);
	git_remote_free(remote);
	git_repository_free(repo);
	git_repository_free(src);
	if (error < 0 && tmp && path_exists(tmp))
		folio_rmtree(tmp);
	free(abs);
	free(dest);
	free(tmp);
	free(detail);
	return error;
}

/* ------------------------------------------------------------ reading */

static int count_md(const char *root, const git_tree_entry *e, void *payload)
{
	(void)root;
	size_t n = strlen(git_tree_entry_name(e));
	if (git_tree_entry_type(e) == GIT_OBJECT_BLOB && n > 3 &&
	    folio_strncasecmp_ascii(git_tree_entry_name(e) + n - 3, ".md", 3) == 0)
		(*(size_t *)payload)++;
	return 0;
}

/* Fill commit and entry count from the repository. */
static int portfolio_fill_git(folio_site *site, folio_portfolio *p)
{
	git_repository *repo = NULL;
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_oid oid;
	int found = 0, error = 0, rc;
	char *path = folio_portfolio_repo_path(site, p->mentor);

	p->commit[0] = '\0';
	p->entries = 0;
	if ((rc = git_repository_open_bare(&repo, path)) < 0) {
		error = folio_error_set(FOLIO_ERROR, "portfolio repository '%s' is missing or unreadable", path);
		goto cleanup;
	}
	if ((error = folio_git_main(&oid, &found, repo)) < 0 || !found)
		goto cleanup;
	git_oid_tostr(p->commit, sizeof(p->commit), &oid);
	if ((rc = git_commit_lookup(&c, repo, &oid)) < 0 || (rc = git_commit_tree(&t, c)) < 0 ||
	    (rc = git_tree_walk(t, GIT_TREEWALK_PRE, count_md, &p->entries)) < 0)
		error = folio_git_error(rc, "cannot read portfolio");
cleanup:
	git_tree_free(t);
	git_commit_free(c);
	git_repository_free(repo);
	free(path);
	return error;
}

int folio_portfolio__row(folio_portfolio *out, folio_site *site, const char *mentor)
{
	sqlite3_stmt *st = NULL;
	int error, rc;
	memset(out, 0, sizeof(*out));
	if ((error = folio_db_cached(site, &st, "SELECT mentor, qualification, created FROM portfolio WHERE mentor = ?1")) < 0)
		return error;
	folio_db_bind_text(st, 1, mentor);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->mentor = folio_db_col_dup(st, 0);
		out->qualification = folio_db_col_dup(st, 1);
		out->created = folio_db_col_dup(st, 2);
	} else if (rc == SQLITE_DONE) {
		error = (folio_person_exists(site, mentor) == 0)
			? folio_error_set(FOLIO_ENOTFOUND, "mentor '%s' has no portfolio in site '%s'", mentor, site->path)
			: folio_error_set(FOLIO_ENOTFOUND, "no mentor '%s' in site '%s'", mentor ? mentor : "", site->path);
	} else {
		error = folio_db_error(site, "cannot read portfolios");
	}
	folio_db_release(site, st);
	return error;
}

int folio_portfolio_get(folio_portfolio *out, folio_site *site, const char *mentor)
{
	int error;
	folio_git_init();
	if ((error = folio_portfolio__row(out, site, mentor)) == 0 && (error = portfolio_fill_git(site, out)) < 0)
		folio_portfolio_clear(out);
	return error;
}

int folio_portfolio_list(folio_portfolio **out, size_t *n, folio_site *site)
{
	sqlite3_stmt *st = NULL;
	folio_portfolio *v = NULL;
	size_t count = 0, cap = 0;
	int error, rc;

	*out = NULL;
	*n = 0;
	folio_git_init();
	if (!site->actor)
		return folio_site_deny(site, "list portfolios", "");
	if ((error = folio_db_prepare(site, &st, "SELECT mentor, qualification, created FROM portfolio ORDER BY mentor")) < 0)
		return error;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = folio_grow(v, &cap, count + 1, sizeof(*v));
		memset(&v[count], 0, sizeof(*v));
		v[count].mentor = folio_db_col_dup(st, 0);
		v[count].qualification = folio_db_col_dup(st, 1);
		v[count].created = folio_db_col_dup(st, 2);
		count++;
	}
	if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read portfolios");
	sqlite3_finalize(st);
	for (size_t i = 0; i < count && error == 0; i++)
		error = portfolio_fill_git(site, &v[i]);
	if (error < 0) {
		folio_portfolios_free(v, count);
		return error;
	}
	*out = v;
	*n = count;
	return 0;
}

void folio_portfolio_clear(folio_portfolio *p)
{
	free(p->mentor);
	free(p->qualification);
	free(p->created);
	memset(p, 0, sizeof(*p));
}

void folio_portfolios_free(folio_portfolio *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		folio_portfolio_clear(&p[i]);
	free(p);
}

/* ------------------------------------------------------------ entries */

/* "A Day at the Seaside!" -> "a-day-at-the-seaside" (ASCII letters and digits, at most 60 chars). */
static char *slugify(const char *title)
{
	folio_buf b = FOLIO_BUF_INIT;
	int dash = 0;
	for (const char *p = title; *p && b.size < 60; p++) {
		char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (dash && b.size)
				folio_buf_putc(&b, '-');
			folio_buf_putc(&b, c);
			dash = 0;
		} else {
			dash = 1;
		}
	}
	if (!b.size)
		folio_buf_puts(&b, "entry");
	return folio_buf_detach(&b);
}

/* First words of the text for a title when nothing better is given. */
static char *title_from_text(const folio_doc *doc, const char *text, size_t len)
{
	if (doc->title && *doc->title)
		return folio_strdup(doc->title);
	folio_buf b = FOLIO_BUF_INIT;
	int words = 0, inword = 0;
	for (size_t i = 0; i < len && words < 8; i++) {
		char c = text[i];
		int space = (c == ' ' || c == '\n' || c == '\t' || c == '\r');
		if (space) {
			if (inword)
				words++;
			inword = 0;
			continue;
		}
		if (c == '#' || c == '*' || c == '_' || c == '>' || c == '`')
			continue;
		if (!inword && b.size)
			folio_buf_putc(&b, ' ');
		folio_buf_putc(&b, c);
		inword = 1;
	}
	return folio_buf_detach(&b);
}

/* Does the entry open with a level-1 heading (ATX or setext)? */
static int starts_with_h1(const char *text, size_t len)
{
	cmark_node *doc = cmark_parse_document(text, len, CMARK_OPT_DEFAULT);
	cmark_node *first = cmark_node_first_child(doc);
	int h1 = first && cmark_node_get_type(first) == CMARK_NODE_HEADING && cmark_node_get_heading_level(first) == 1;
	cmark_node_free(doc);
	return h1;
}

static int signature_for(git_signature **sig, folio_site *site, const char *id)
{
	folio_person p;
	int error, rc;
	if ((error = folio_person_get(&p, site, id)) < 0)
		return error;
	char *email = p.email ? folio_strdup(p.email) : folio_asprintf("%s@folio.invalid", p.id);
	if ((rc = git_signature_now(sig, p.name, email)) < 0)
		error = folio_git_error(rc, "cannot make a git signature");
	free(email);
	folio_person_clear(&p);
	return error;
}

/*
 * A writer holds git's lock on main (refs/heads/main.lock) for milliseconds.
 * One older than this was left by a process that died (SIGKILL, power loss)
 * and would block every later write to the portfolio, by folio or git push.
 */
#define STALE_LOCK_SECONDS 60

/*
 * Remove main's lock when it is stale: 1 when removed, else 0 with *age set
 * to its age in seconds (-1 when there is no lock). The check and the
 * removal happen under the site's write lock, so two folio processes never
 * both judge the same lock stale and one remove the other's fresh lock (git
 * itself never removes a lock it did not take).
 */
static int remove_stale_lock(folio_site *site, const char *mentor, const char *repo_path, long *age)
{
	char *lock = folio_asprintf("%s/refs/heads/main.lock", repo_path);
	struct stat st;
	int removed = 0;

	*age = -1;
	if (folio_tx_begin(site) == 0) {
		if (stat(lock, &st) == 0) {
			*age = (long)(time(NULL) - st.st_mtime);
			if (*age > STALE_LOCK_SECONDS && unlink(lock) == 0) {
				char *obj = folio_asprintf("portfolio:%s", mentor);
				char *detail = folio_asprintf("removed a stale lock '%s', %ld seconds old", lock, *age);
				removed = 1;
				/* the removal is recorded; the audit row is not what matters */
				folio_audit_append(site, "repository.unlock", obj, detail);
				free(obj);
				free(detail);
			}
		}
		if (folio_tx_commit(site) < 0)
			folio_tx_rollback(site);
	}
	folio_error_clear();
	free(lock);
	return removed;
}

int folio_entry_add(folio_site *site, const char *mentor, const char *text, size_t len,
	const folio_entry_options *opts, char **path_out, char commit_out[41])
{
	folio_entry_options none = { 0 };
	folio_portfolio pf;
	folio_doc *doc = NULL;
	git_repository *repo = NULL;
	git_commit *parent = NULL;
	git_tree *ptree = NULL, *tree = NULL;
	git_treebuilder *tb = NULL;
	git_signature *author = NULL, *committer = NULL;
	git_oid parent_id, blob_id, tree_id, commit_id;
	folio_buf body = FOLIO_BUF_INIT, name = FOLIO_BUF_INIT;
	char *title = NULL, *slug = NULL, *repo_path = NULL, *obj = NULL, *detail = NULL;
	char today[11], date[11];
	size_t bad = 0;
	long lock_age = -1;
	int error, rc, found = 0;

	if (!opts)
		opts = &none;
	if (path_out)
		*path_out = NULL;
	commit_out[0] = '\0';
	memset(&pf, 0, sizeof(pf));
	folio_git_init();

	char *action = folio_asprintf("add entries to the portfolio of '%s'", mentor ? mentor : "");
	error = folio_site_require_self_or(site, mentor, 0, action);
	free(action);
	if (error < 0)
		return error;
	if ((error = folio_portfolio_get(&pf, site, mentor)) < 0)
		goto cleanup;

	/* the text */
	if (len > FOLIO_ENTRY_MAX) {
		error = folio_error_set(FOLIO_EINVALID, "entry is too large: %zu bytes (the limit is %d)", len, FOLIO_ENTRY_MAX);
		goto cleanup;
	}
	/* bad bytes and unknown tags are reported with their line and column */
	folio_doc_analyze(&doc, site->fw, text, len);
	{
		size_t i = 0;
		while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r'))
			i++;
		if (i == len) {
			error = folio_error_set(FOLIO_EINVALID, "entry is empty");
			goto cleanup;
		}
	}
	for (size_t i = 0; i < doc->nproblems; i++)
		if (doc->problems[i].severity == FOLIO_SEV_ERROR) {
			error = folio_error_set(FOLIO_EINVALID, "entry line %u, column %u: %s",
				doc->problems[i].line, doc->problems[i].column, doc->problems[i].message);
			goto cleanup;
		}

	/* date and title */
	folio_today(today);
	if (opts->date) {
		if (!folio_date_valid(opts->date)) {
			error = folio_error_set(FOLIO_EINVALID, "invalid date '%s': use YYYY-MM-DD", opts->date);
			goto cleanup;
		}
		if (strcmp(opts->date, today) > 0) {
			error = folio_error_set(FOLIO_EINVALID, "date '%s' is in the future (today is %s)", opts->date, today);
			goto cleanup;
		}
		memcpy(date, opts->date, 11);
	} else {
		memcpy(date, today, 11);
	}
	if (opts->title) {
		if (!*opts->title || strchr(opts->title, '\n') || !folio_utf8_valid(opts->title, strlen(opts->title), &bad)) {
			error = folio_error_set(FOLIO_EINVALID, "invalid title '%s': one line of text", opts->title);
			goto cleanup;
		}
		title = folio_strdup(opts->title);
	} else {
		title = title_from_text(doc, text, len);
	}
	if (opts->title && !starts_with_h1(text, len))
		folio_buf_printf(&body, "# %s\n\n", opts->title);
	folio_buf_put(&body, text, len);
	if (body.size && body.ptr[body.size - 1] != '\n')
		folio_buf_putc(&body, '\n');
	/* the limit holds for what is stored, or the index would refuse to read it */
	if (body.size > FOLIO_ENTRY_MAX) {
		error = folio_error_set(FOLIO_EINVALID, "entry is too large: %zu bytes with its heading and final newline (the limit is %d)",
			body.size, FOLIO_ENTRY_MAX);
		goto cleanup;
	}

	/* the commit */
	repo_path = folio_portfolio_repo_path(site, mentor);
	if ((rc = git_repository_open_bare(&repo, repo_path)) < 0) {
		error = folio_git_error(rc, "cannot open portfolio");
		goto cleanup;
	}
	if ((rc = git_blob_create_from_buffer(&blob_id, repo, body.ptr, body.size)) < 0) {
		error = folio_git_error(rc, "cannot write entry");
		goto cleanup;
	}
	folio_crashpoint("entry.blob:written");
	if ((error = signature_for(&author, site, mentor)) < 0 ||
	    (error = signature_for(&committer, site, site->actor)) < 0)
		goto cleanup;
	slug = slugify(title);
	/*
	 * Someone may push or add an entry at the same moment. The commit object
	 * is written first, then main moves by compare-and-swap under git's ref
	 * lock: from the parent we read (or, for the first entry, only if main is
	 * still unborn). If main moved (GIT_EMODIFIED) or the lock is held
	 * (GIT_ELOCKED), read main again and retry. (git_commit_create's own
	 * update_ref, and git_reference_create without force, check before taking
	 * the lock, so they can lose a concurrent commit.)
	 */
	for (int attempt = 0;; attempt++) {
		git_treebuilder_free(tb);
		git_tree_free(tree);
		git_tree_free(ptree);
		git_commit_free(parent);
		tb = NULL, tree = ptree = NULL, parent = NULL;
		if ((error = folio_git_main(&parent_id, &found, repo)) < 0)
			goto cleanup;
		if (found && ((rc = git_commit_lookup(&parent, repo, &parent_id)) < 0 || (rc = git_commit_tree(&ptree, parent)) < 0)) {
			error = folio_git_error(rc, "cannot read portfolio");
			goto cleanup;
		}
		if ((rc = git_treebuilder_new(&tb, repo, ptree)) < 0) {
			error = folio_git_error(rc, "cannot build tree");
			goto cleanup;
		}
		for (int n = 1;; n++) {
			folio_buf_clear(&name);
			folio_buf_printf(&name, n == 1 ? "%s-%s.md" : "%s-%s-%d.md", date, slug, n);
			if (!git_treebuilder_get(tb, name.ptr))
				break;
		}
		if ((rc = git_treebuilder_insert(NULL, tb, name.ptr, &blob_id, GIT_FILEMODE_BLOB)) < 0 ||
		    (rc = git_treebuilder_write(&tree_id, tb)) < 0 || (rc = git_tree_lookup(&tree, repo, &tree_id)) < 0) {
			error = folio_git_error(rc, "cannot write entry");
			goto cleanup;
		}
		const git_commit *parents[1] = { parent };
		char *msg = folio_asprintf("%s\n", title);
		rc = git_commit_create(&commit_id, repo, NULL, author, committer, NULL, msg, tree, found ? 1 : 0, parents);
		if (rc == 0) {
			git_reference *ref = NULL;
			folio_crashpoint("entry.commit:written");
			/* a zero id means "main must not exist yet", checked under the lock too */
			if (!found)
				memset(&parent_id, 0, sizeof(parent_id));
			rc = git_reference_create_matching(&ref, repo, "refs/heads/main", &commit_id, 1, &parent_id, msg);
			git_reference_free(ref);
		}
		free(msg);
		if (rc == 0)
			break;
		if (rc == GIT_ELOCKED && remove_stale_lock(site, mentor, repo_path, &lock_age)) {
			git_error_clear();
			continue;
		}
		/* a lock is held for milliseconds: about 3 seconds of it is enough to say so */
		if ((rc == GIT_EMODIFIED || rc == GIT_EEXISTS || rc == GIT_ELOCKED) && attempt < (rc == GIT_ELOCKED ? 25 : 50)) {
			git_error_clear();
			usleep(10000u * (unsigned)(attempt + 1));
			continue;
		}
		error = folio_git_error(rc, "cannot commit entry");
		if (rc == GIT_ELOCKED && lock_age >= 0)
			error = folio_error_set(FOLIO_ECONFLICT,
				"the portfolio of '%s' is locked: '%s/refs/heads/main.lock' is %ld seconds old; another git or folio "
				"command is writing, or one was killed (folio removes the lock once it is over %d seconds old)",
				mentor, repo_path, lock_age, STALE_LOCK_SECONDS);
		else if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS || rc == GIT_ELOCKED)
			error = folio_error_set(FOLIO_ECONFLICT,
				"the portfolio of '%s' kept changing while adding the entry: try again", mentor);
		goto cleanup;
	}
	git_oid_tostr(commit_out, 41, &commit_id);
	folio_crashpoint("entry.ref:moved");

	/* record it: the git objects exist, so the audit row comes after them */
	obj = folio_asprintf("portfolio:%s", mentor);
	detail = folio_asprintf("entry %s, commit %s", name.ptr, commit_out);
	if ((error = folio_tx_begin(site)) == 0) {
		if ((error = folio_audit_append(site, "entry.add", obj, detail)) == 0)
			error = folio_tx_commit(site);
		else
			folio_tx_rollback(site);
	}
	if (path_out)
		*path_out = folio_strdup(name.ptr);
cleanup:
	folio_portfolio_clear(&pf);
	folio_doc_free(doc);
	git_signature_free(author);
	git_signature_free(committer);
	git_treebuilder_free(tb);
	git_tree_free(tree);
	git_tree_free(ptree);
	git_commit_free(parent);
	git_repository_free(repo);
	folio_buf_free(&body);
	folio_buf_free(&name);
	free(title);
	free(slug);
	free(repo_path);
	free(obj);
	free(detail);
	return error;
}

static int date_prefix(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (strlen(base) < 10)
		return 0;
	char d[11];
	memcpy(d, base, 10);
	d[10] = '\0';
	return folio_date_valid(d);
}

static int cmp_entry(const void *a, const void *b)
{
	const folio_entry *x = a, *y = b;
	int c = strcmp(x->date, y->date);
	return c ? c : strcmp(x->path, y->path);
}

int folio_entry_list(folio_entry **out, size_t *n, folio_site *site, const char *mentor)
{
	folio_coverage *cov = NULL;
	folio_entry *v = NULL;
	git_repository *repo = NULL;
	git_revwalk *walk = NULL;
	char *repo_path = NULL;
	size_t count = 0, undated = 0;
	int error, rc;

	*out = NULL;
	*n = 0;
	folio_git_init();
	if ((error = folio_coverage_get(&cov, site, mentor, NULL)) < 0) {
		/* a portfolio with no commits has no entries */
		if (error == FOLIO_EINVALID && strstr(folio_error_last(), "no entries")) {
			folio_error_clear();
			return 0;
		}
		return error;
	}
	v = folio_calloc(cov->nentries, sizeof(*v));
	for (size_t i = 0; i < cov->nentries; i++) {
		const folio_doc *d = cov->entries[i].doc;
		folio_entry *e = &v[count++];
		e->path = folio_strdup(cov->entries[i].path);
		if (date_prefix(e->path)) {
			const char *base = strrchr(e->path, '/');
			e->date = folio_strndup(base ? base + 1 : e->path, 10);
		} else {
			undated++;
		}
		e->title = folio_strdup(d->title ? d->title : "");
		e->words = d->words;
		e->errors = folio_doc_error_count(d);
		e->tags = folio_calloc(d->ntags, sizeof(char *));
		for (size_t t = 0; t < d->ntags; t++)
			e->tags[e->ntags++] = folio_strdup(folio_framework_tag_id(site->fw, d->tags[t]));
	}

	/* entries without a date in their name take the date of the commit that added them */
	if (undated) {
		git_oid oid;
		repo_path = folio_portfolio_repo_path(site, mentor);
		if ((rc = git_repository_open_bare(&repo, repo_path)) < 0 || (rc = git_revwalk_new(&walk, repo)) < 0 ||
		    (rc = git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME | GIT_SORT_REVERSE)) < 0 ||
		    (rc = git_revwalk_push_ref(walk, "refs/heads/main")) < 0) {
			error = folio_git_error(rc, "cannot read history");
			goto cleanup;
		}
		while (undated && git_revwalk_next(&oid, walk) == 0) {
			git_commit *c = NULL;
			git_tree *t = NULL;
			if (git_commit_lookup(&c, repo, &oid) < 0 || git_commit_tree(&t, c) < 0) {
				git_commit_free(c);
				continue;
			}
			for (size_t i = 0; i < count; i++) {
				git_tree_entry *te = NULL;
				if (v[i].date || git_tree_entry_bypath(&te, t, v[i].path) < 0)
					continue;
				git_tree_entry_free(te);
				char d[16];
				/* the author's own calendar day, as git log shows it */
				const git_time *at = &git_commit_author(c)->when;
				time_t when = (time_t)at->time + (time_t)at->offset * 60;
				struct tm tm;
				gmtime_r(&when, &tm);
				strftime(d, sizeof(d), "%Y-%m-%d", &tm);
				v[i].date = folio_strdup(d);
				undated--;
			}
			git_tree_free(t);
			git_commit_free(c);
		}
		git_error_clear();
		for (size_t i = 0; i < count; i++)
			if (!v[i].date)
				v[i].date = folio_strdup("");
	}
	if (count > 1)
		qsort(v, count, sizeof(*v), cmp_entry);
cleanup:
	git_revwalk_free(walk);
	git_repository_free(repo);
	free(repo_path);
	folio_coverage_free(cov);
	if (error < 0) {
		folio_entries_free(v, count);
		return error;
	}
	*out = v;
	*n = count;
	return 0;
}

void folio_entries_free(folio_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].path);
		free(e[i].date);
		free(e[i].title);
		for (size_t t = 0; t < e[i].ntags; t++)
			free(e[i].tags[t]);
		free(e[i].tags);
	}
	free(e);
}
