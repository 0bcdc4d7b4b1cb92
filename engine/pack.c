/* engine/pack.c: the portfolio pack (one self-contained HTML page per submission or mentor) and the panel pack. */

/*
 * A pack is what a panel member reads: a header (mentor, school,
 * qualification, submission, commit, readiness), a table of contents, the
 * coverage of the standards with the standards x entries matrix, for a
 * resubmission what changed since the commit last reviewed and the feedback
 * items, the timeline of the portfolio, and every entry rendered with its
 * evidence marked (pack_html.c). Everything derived from the portfolio
 * comes from folio_coverage_get and the git objects at the pinned commit.
 */

#define _GNU_SOURCE /* sched_getaffinity */
#include "folio/pack.h"

#include <errno.h>
#include <git2.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "folio/index.h"
#include "folio/panel.h"
#include "folio/people.h"
#include "folio/portfolio.h"
#include "folio/review.h"
#include "folio/submission.h"
#include "gitutil.h"
#include "index_internal.h"
#include "pack_internal.h"
#include "site_internal.h"

#define MAX_IMAGE_BYTES (4u << 20) /* larger images of a portfolio are shown as a note */
#define MAX_DIFF_LINES 400         /* per changed entry */

/* ------------------------------------------------------------ target and permission */

typedef struct {
	char *mentor;
	long long sub;        /* 0: the mentor never submitted (main's tip) */
	char *qualification;  /* the portfolio's, when its row was read to check a mentor target; else NULL */
} pack_target;

static void target_clear(pack_target *t)
{
	free(t->mentor);
	free(t->qualification);
	memset(t, 0, sizeof(*t));
}

/* A submission number: decimal digits only. */
static int parse_number(const char *s, long long *out)
{
	long long v = 0;
	size_t n = strlen(s);
	if (n == 0 || n > 18)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 1;
}

/* Mentor and submission behind a target, without checking who asks. */
static int resolve_target(pack_target *t, folio_site *site, const char *target)
{
	sqlite3_stmt *st = NULL;
	long long id;
	int error = 0, rc;

	memset(t, 0, sizeof(*t));
	if (!target)
		target = "";
	if (parse_number(target, &id)) {
		if ((error = folio_db_cached(site, &st, "SELECT mentor FROM submission WHERE id = ?1")) < 0)
			return error;
		sqlite3_bind_int64(st, 1, id);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			t->mentor = folio_db_col_dup(st, 0);
			t->sub = id;
		} else if (rc == SQLITE_DONE) {
			error = folio_error_set(FOLIO_ENOTFOUND, "no submission %s in site '%s'", target, site->path);
		} else {
			error = folio_db_error(site, "cannot read submissions");
		}
		folio_db_release(site, st);
		return error;
	}
	if (!folio_id_valid(target))
		return folio_error_set(FOLIO_EINVALID, "invalid pack target '%s': give a submission number or a mentor id",
			target);
	folio_portfolio p;
	if ((error = folio_portfolio__row(&p, site, target)) < 0)
		return error;
	t->qualification = folio_strdup(p.qualification);
	folio_portfolio_clear(&p);
	t->mentor = folio_strdup(target);
	if ((error = folio_db_cached(site, &st,
		"SELECT id FROM submission WHERE mentor = ?1 AND state <> 'withdrawn' ORDER BY id DESC LIMIT 1")) < 0)
		return error;
	sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		t->sub = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read submissions");
	folio_db_release(site, st);
	return error;
}

static int is_assigned(folio_site *site, long long sub, const char *person)
{
	sqlite3_stmt *st = NULL;
	int yes = 0;
	if (!person || folio_db_cached(site, &st, "SELECT 1 FROM assignment WHERE submission = ?1 AND reviewer = ?2") < 0)
		return 0;
	sqlite3_bind_int64(st, 1, sub);
	sqlite3_bind_text(st, 2, person, -1, SQLITE_STATIC);
	yes = sqlite3_step(st) == SQLITE_ROW;
	folio_db_release(site, st);
	return yes;
}

/* The mentor themself, reviewers assigned to the submission, leads and admins; others refused (audited). */
static int require_reader(folio_site *site, const pack_target *t)
{
	char *action;
	int error;
	if (site->actor && strcmp(site->actor, t->mentor) == 0)
		return 0;
	if (folio_site_has_role(site, FOLIO_ROLE_LEAD | FOLIO_ROLE_ADMIN))
		return 0;
	if (t->sub && is_assigned(site, t->sub, site->actor))
		return 0;
	action = t->sub ? folio_asprintf("pack submission %lld (portfolio of '%s')", t->sub, t->mentor)
			: folio_asprintf("pack the portfolio of '%s'", t->mentor);
	error = folio_site_deny(site, action,
		t->sub ? "only the mentor, the reviewers assigned to it, leads and admins may"
		       : "only the mentor, leads and admins may");
	free(action);
	return error;
}

int folio_pack_file_name(char **name, folio_site *site, const char *target)
{
	pack_target t;
	int error;
	*name = NULL;
	if ((error = resolve_target(&t, site, target)) < 0)
		return error;
	*name = t.sub ? folio_asprintf("submission-%lld.html", t.sub) : folio_asprintf("portfolio-%s.html", t.mentor);
	target_clear(&t);
	return 0;
}

/* ------------------------------------------------------------ small helpers */

static void strings_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void strings_push(char ***v, size_t *n, const char *s)
{
	*v = folio_realloc(*v, (*n + 1) * sizeof(char *));
	(*v)[(*n)++] = folio_strdup(s);
}

/* Seconds since the epoch of "YYYY-MM-DDTHH:MM:SSZ" (0 when it is not of that shape). */
static long long iso_seconds(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		&tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (long long)timegm(&tm);
}

/* "2026-12-02 14:05" (UTC) of a time in seconds. */
static void put_time(folio_buf *b, long long secs)
{
	char out[32];
	time_t t = (time_t)secs;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, sizeof(out), "%Y-%m-%d %H:%M", &tm);
	folio_buf_puts(b, out);
}

static void put_state(folio_buf *b, const char *state)
{
	folio_buf_puts(b, "<span class=\"pill state-");
	folio_html_escape(b, state);
	folio_buf_puts(b, "\">");
	for (const char *p = state; p && *p; p++)
		folio_buf_putc(b, *p == '-' ? ' ' : *p);
	folio_buf_puts(b, "</span>");
}

/* A standard's id as a small badge of its colour. */
static void put_std(folio_buf *b, const folio_framework *fw, const char *id)
{
	long tag = id ? folio_framework_find_tag(fw, id, strlen(id)) : -1;
	if (tag < 0) {
		folio_html_escape(b, id);
		return;
	}
	folio_buf_puts(b, "<span class=\"tag s");
	folio_pack_put_num(b, folio_framework_tag_standard(fw, (size_t)tag) + 1);
	folio_buf_puts(b, "\">");
	folio_html_escape(b, folio_framework_tag_id(fw, (size_t)tag));
	folio_buf_puts(b, "</span>");
}

static char *person_name(folio_site *site, const char *id)
{
	folio_person p;
	char *name;
	if (!id)
		return NULL;
	if (folio_person_get(&p, site, id) < 0) {
		folio_error_clear();
		return folio_strdup(id);
	}
	name = folio_strdup(p.name);
	folio_person_clear(&p);
	return name;
}

/* A person's name, and their id after it when the two differ. */
static void put_named(folio_buf *b, const char *name, const char *id)
{
	folio_html_escape(b, name);
	if (name && strcmp(name, id) != 0) {
		folio_buf_puts(b, " <span class=\"muted\">(");
		folio_html_escape(b, id);
		folio_buf_puts(b, ")</span>");
	}
}

static void put_person(folio_buf *b, folio_site *site, const char *id)
{
	char *name = person_name(site, id);
	put_named(b, name, id);
	free(name);
}

/* ------------------------------------------------------------ git: trees, images, history */

static int commit_tree(git_tree **tree, git_repository *repo, const char *hex)
{
	git_oid oid;
	git_commit *c = NULL;
	int rc;
	*tree = NULL;
	if ((rc = git_oid_fromstr(&oid, hex)) < 0 || (rc = git_commit_lookup(&c, repo, &oid)) < 0)
		return folio_git_error(rc, "cannot read the portfolio commit");
	rc = git_commit_tree(tree, c);
	git_commit_free(c);
	return rc < 0 ? folio_git_error(rc, "cannot read the portfolio tree") : 0;
}

/* The Markdown files a commit touched against its first parent (paths, sorted): tree entries compared by id. */
static void touched(char ***out, size_t *n, git_repository *repo, git_tree *now, git_tree *before, const char *prefix)
{
	size_t cn = now ? git_tree_entrycount(now) : 0, cb = before ? git_tree_entrycount(before) : 0;
	for (int pass = 0; pass < 2; pass++) {
		git_tree *a = pass == 0 ? now : before, *other = pass == 0 ? before : now;
		size_t count = pass == 0 ? cn : cb;
		for (size_t i = 0; i < count; i++) {
			const git_tree_entry *e = git_tree_entry_byindex(a, i);
			const char *name = git_tree_entry_name(e);
			const git_tree_entry *o = other ? git_tree_entry_byname(other, name) : NULL;
			if (o && git_oid_equal(git_tree_entry_id(o), git_tree_entry_id(e)))
				continue;
			if (pass == 1 && o)
				continue; /* both have it: seen in the first pass */
			char *path = folio_asprintf("%s%s", prefix, name);
			if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
				git_tree *sa = NULL, *so = NULL;
				if (git_tree_lookup(&sa, repo, git_tree_entry_id(e)) == 0) {
					if (o && git_tree_entry_type(o) == GIT_OBJECT_TREE)
						git_tree_lookup(&so, repo, git_tree_entry_id(o));
					char *sub = folio_asprintf("%s/", path);
					if (pass == 0)
						touched(out, n, repo, sa, so, sub);
					else
						touched(out, n, repo, NULL, sa, sub);
					free(sub);
				}
				git_tree_free(sa);
				git_tree_free(so);
			} else if (folio_git_is_md(name)) {
				strings_push(out, n, path);
			}
			free(path);
		}
	}
}

/*
 * What one thread uses to render entries: its own blob reader (and with it
 * its own repository: libgit2's objects are used by one thread at a time)
 * and, for images, the pinned tree: the pack's own on the calling thread,
 * else looked up in the reader's repository when an entry has an image.
 */
typedef struct {
	folio_blob_reader reader;
	git_tree *tree;
	int own_tree;
	git_oid tree_id;
} entry_tools;

static git_tree *tools_tree(entry_tools *w)
{
	git_repository *repo;
	if (!w->tree && (repo = folio_blob_reader_repo(&w->reader)) != NULL) {
		if (git_tree_lookup(&w->tree, repo, &w->tree_id) == 0)
			w->own_tree = 1;
		else
			w->tree = NULL;
	}
	return w->tree;
}

static void tools_clear(entry_tools *w)
{
	if (w->own_tree)
		git_tree_free(w->tree);
	folio_blob_reader_clear(&w->reader);
}

typedef struct {
	entry_tools *tools;
	const char *entry; /* path of the entry the image is in */
} image_ctx;

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* An image of the portfolio itself (a relative path) as a data: URI; NULL for anything else. */
static char *image_resolve(const char *url, void *payload)
{
	image_ctx *ic = payload;
	static const struct { const char *ext, *mime; } kinds[] = {
		{ ".png", "image/png" }, { ".jpg", "image/jpeg" }, { ".jpeg", "image/jpeg" }, { ".gif", "image/gif" },
		{ ".webp", "image/webp" },
	};
	folio_buf path = FOLIO_BUF_INIT;
	const char *mime = NULL, *slash;
	char *uri = NULL, *data = NULL;
	size_t size = 0;
	git_tree_entry *te = NULL;
	git_tree *tree;

	if (!*url || url[0] == '/' || strchr(url, ':') || strchr(url, '\\'))
		return NULL; /* by address, absolute, or with a scheme: never fetched */
	slash = strrchr(ic->entry, '/');
	if (slash)
		folio_buf_put(&path, ic->entry, (size_t)(slash - ic->entry + 1));
	for (const char *p = url; *p && *p != '?' && *p != '#'; p++) {
		if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			folio_buf_putc(&path, (char)(hexval(p[1]) * 16 + hexval(p[2])));
			p += 2;
		} else {
			folio_buf_putc(&path, *p);
		}
	}
	/* fold "./" and "dir/../" */
	folio_buf norm = FOLIO_BUF_INIT;
	const char *p = path.ptr;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* skip */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *last = strrchr(norm.ptr, '/');
			if (!norm.size) {
				folio_buf_free(&norm);
				goto done; /* above the portfolio's root */
			}
			norm.size = last ? (size_t)(last - norm.ptr) : 0;
			norm.ptr[norm.size] = '\0';
		} else {
			if (norm.size)
				folio_buf_putc(&norm, '/');
			folio_buf_put(&norm, p, n);
		}
		p += n + (end ? 1 : 0);
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t el = strlen(kinds[i].ext);
		if (norm.size > el && folio_strncasecmp_ascii(norm.ptr + norm.size - el, kinds[i].ext, el) == 0)
			mime = kinds[i].mime;
	}
	if (mime && norm.size && (tree = tools_tree(ic->tools)) != NULL && git_tree_entry_bypath(&te, tree, norm.ptr) == 0 &&
	    git_tree_entry_type(te) == GIT_OBJECT_BLOB &&
	    folio_blob_read(&ic->tools->reader, git_tree_entry_id(te), MAX_IMAGE_BYTES, &data, &size) == 0 && data) {
		unsigned char *enc = folio_malloc(4 * ((size + 2) / 3) + 1);
		int m = EVP_EncodeBlock(enc, (const unsigned char *)data, (int)size);
		uri = folio_asprintf("data:%s;base64,%.*s", mime, m, (const char *)enc);
		free(enc);
	}
	free(data);
	folio_error_clear();
	git_error_clear();
	folio_buf_free(&norm);
done:
	git_tree_entry_free(te);
	folio_buf_free(&path);
	return uri;
}

/* ------------------------------------------------------------ the data of one pack */

typedef struct {
	long long when;
	int state;          /* 0: a commit; 1: a submission state change */
	long long seq;      /* order among items of the same second: oldest commit first, then states in order */
	char *text;         /* HTML */
} tl_item;

typedef struct {
	folio_site *site;
	const folio_framework *fw;
	pack_target t;
	folio_person person;
	char *school;
	const folio_qualification *qual;
	char *qual_id;
	int has_sub;
	folio_submission sub;
	folio_panel panel;
	int has_panel;
	char **reviewers;
	size_t nreviewers;
	char commit[41];
	folio_coverage *cov;
	folio_submission *subs;
	size_t nsubs;
	folio_feedback_item *feedback;
	size_t nfeedback;
	git_repository *repo;
	git_tree *tree;
	/* a resubmission: the previous submission and its commit */
	long long prev_id;
	char prev_commit[41];
	folio_coverage *prev_cov;
} pack;

static void pack_clear(pack *p)
{
	target_clear(&p->t);
	folio_person_clear(&p->person);
	free(p->school);
	free(p->qual_id);
	folio_submission_clear(&p->sub);
	if (p->has_panel)
		folio_panel_clear(&p->panel);
	strings_free(p->reviewers, p->nreviewers);
	folio_coverage_free(p->cov);
	folio_coverage_free(p->prev_cov);
	folio_submissions_free(p->subs, p->nsubs);
	folio_feedback_free(p->feedback, p->nfeedback);
	git_tree_free(p->tree);
	git_repository_free(p->repo);
	memset(p, 0, sizeof(*p));
}

static char *school_name(folio_site *site, const char *id)
{
	sqlite3_stmt *st = NULL;
	char *name = NULL;
	if (!id || folio_db_cached(site, &st, "SELECT name FROM school WHERE id = ?1") < 0)
		return NULL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		name = folio_db_col_dup(st, 0);
	folio_db_release(site, st);
	return name;
}

/*
 * The coverage at commit `hex` (NULL: the tip of main) read through the
 * evidence cache with the pack's own repository, so that a pack opens its
 * portfolio once. Errors are those of folio_coverage_get.
 */
static int pack_coverage(folio_coverage **cov, pack *p, const char *hex, const folio_qualification *q)
{
	git_oid oid;
	git_commit *c = NULL;
	int found = 1, error;
	if (!hex) {
		if ((error = folio_git_main(&oid, &found, p->repo)) < 0)
			return error;
		if (!found)
			return folio_error_set(FOLIO_EINVALID,
				"the portfolio of '%s' has no entries yet: add one with 'folio entry add %s'", p->t.mentor,
				p->t.mentor);
	} else if (git_oid_fromstr(&oid, hex) < 0 || git_commit_lookup(&c, p->repo, &oid) < 0) {
		git_error_clear();
		return folio_error_set(FOLIO_ENOTFOUND, "no revision '%s' in the portfolio of '%s'", hex, p->t.mentor);
	}
	git_commit_free(c);
	return folio_coverage__commit(cov, p->site, p->repo, &oid, q);
}

/* Has the mentor any feedback item? (1 also when it cannot tell: then folio_feedback_list decides.) */
static int has_feedback(folio_site *site, const char *mentor)
{
	sqlite3_stmt *st = NULL;
	int yes = 1;
	if (folio_db_cached(site, &st, "SELECT 1 FROM feedback WHERE mentor = ?1 LIMIT 1") < 0) {
		folio_error_clear();
		return 1;
	}
	sqlite3_bind_text(st, 1, mentor, -1, SQLITE_STATIC);
	yes = sqlite3_step(st) != SQLITE_DONE;
	folio_db_release(site, st);
	return yes;
}

static int pack_load(pack *p, folio_site *site, const char *target)
{
	folio_portfolio row;
	const folio_qualification *cov_qual;
	char *repo_path = NULL, *action;
	int error, rc;

	memset(p, 0, sizeof(*p));
	p->site = site;
	p->fw = site->fw;
	if ((error = resolve_target(&p->t, site, target)) < 0 || (error = require_reader(site, &p->t)) < 0)
		return error;
	/* the check folio_coverage_get makes: the pack shows the evidence */
	action = folio_asprintf("read the evidence of '%s'", p->t.mentor);
	error = folio_site_require_self_or(site, p->t.mentor, FOLIO_ROLE_REVIEWER | FOLIO_ROLE_LEAD | FOLIO_ROLE_ADMIN,
		action);
	free(action);
	if (error < 0 || (error = folio_person_get(&p->person, site, p->t.mentor)) < 0)
		return error;
	p->school = school_name(site, p->person.school);
	if (p->t.qualification) {
		p->qual_id = folio_strdup(p->t.qualification);
	} else {
		if ((error = folio_portfolio__row(&row, site, p->t.mentor)) < 0)
			return error;
		p->qual_id = folio_strdup(row.qualification);
		folio_portfolio_clear(&row);
	}
	/* coverage counts against the portfolio's qualification, as folio_coverage_get does */
	cov_qual = folio_framework_find_qualification(p->fw, p->qual_id);
	if (p->t.sub) {
		if ((error = folio_submission_get(&p->sub, site, p->t.sub)) < 0)
			return error;
		p->has_sub = 1;
		free(p->qual_id);
		p->qual_id = folio_strdup(p->sub.qualification);
		snprintf(p->commit, sizeof(p->commit), "%s", p->sub.commit);
		if (folio_panel_get(&p->panel, site, p->sub.panel) == 0)
			p->has_panel = 1;
		folio_error_clear();
		if ((error = folio_submission_reviewers(&p->reviewers, &p->nreviewers, site, p->t.sub)) < 0)
			return error;
	}
	p->qual = folio_framework_find_qualification(p->fw, p->qual_id);

	folio_git_init();
	repo_path = folio_portfolio_repo_path(site, p->t.mentor);
	if ((rc = folio_git_open(&p->repo, repo_path)) < 0)
		error = folio_git_error(rc, "cannot open the portfolio");
	free(repo_path);
	if (error < 0 || (error = pack_coverage(&p->cov, p, p->has_sub ? p->commit : NULL, cov_qual)) < 0)
		return error;
	snprintf(p->commit, sizeof(p->commit), "%s", p->cov->commit);
	if ((error = commit_tree(&p->tree, p->repo, p->commit)) < 0)
		return error;
	if ((error = folio_submission_list(&p->subs, &p->nsubs, site, p->t.mentor, NULL)) < 0 ||
	    (has_feedback(site, p->t.mentor) && /* most portfolios have none: skip the list's four statements */
		    (error = folio_feedback_list(&p->feedback, &p->nfeedback, site, p->t.mentor)) < 0))
		return error;

	if (p->has_sub && p->sub.previous) {
		for (size_t i = 0; i < p->nsubs; i++)
			if (p->subs[i].id == p->sub.previous) {
				p->prev_id = p->subs[i].id;
				snprintf(p->prev_commit, sizeof(p->prev_commit), "%s", p->subs[i].commit);
			}
		if (p->prev_id && (error = pack_coverage(&p->prev_cov, p, p->prev_commit, cov_qual)) < 0)
			return error;
	}
	return 0;
}

/* ------------------------------------------------------------ sections */

static const char *entry_title(const folio_coverage_entry *e)
{
	return e->doc && e->doc->title && *e->doc->title ? e->doc->title : e->path;
}

/* Date from a file name starting YYYY-MM-DD, else "". */
static void put_entry_date(folio_buf *b, const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (strlen(base) >= 10 && base[4] == '-' && base[7] == '-')
		folio_buf_put(b, base, 10);
}

static long entry_index(const folio_coverage *cov, const char *path)
{
	for (size_t i = 0; i < cov->nentries; i++)
		if (strcmp(cov->entries[i].path, path) == 0)
			return (long)i;
	return -1;
}

static void put_entry_link(folio_buf *b, const folio_coverage *cov, const char *path)
{
	long i = entry_index(cov, path);
	if (i >= 0) {
		folio_buf_printf(b, "<a href=\"#e%ld\">", i + 1);
		folio_html_escape(b, entry_title(&cov->entries[i]));
		folio_buf_puts(b, "</a> <span class=\"muted\">");
		folio_html_escape(b, path);
		folio_buf_puts(b, "</span>");
	} else {
		folio_html_escape(b, path);
	}
}

static void section_header(folio_buf *b, pack *p)
{
	const folio_framework *fw = p->fw;
	char today[11];
	folio_today(today);

	folio_buf_puts(b, "<header class=\"pack\">\n<div class=\"kicker\">Portfolio pack");
	if (p->qual) {
		folio_buf_puts(b, " \xc2\xb7 ");
		folio_html_escape(b, p->qual->name);
	}
	folio_buf_puts(b, "</div>\n<h1>");
	folio_html_escape(b, p->person.name);
	folio_buf_puts(b, "</h1>\n<dl class=\"meta\">\n<dt>Mentor</dt><dd>");
	put_named(b, p->person.name, p->t.mentor); /* read by pack_load */
	folio_buf_puts(b, "</dd>\n<dt>School</dt><dd>");
	folio_html_escape(b, p->school ? p->school : "\xe2\x80\x94");
	folio_buf_puts(b, "</dd>\n<dt>Qualification</dt><dd>");
	folio_html_escape(b, p->qual ? p->qual->name : p->qual_id);
	folio_buf_puts(b, " (");
	folio_html_escape(b, p->qual_id);
	folio_buf_puts(b, ")</dd>\n<dt>Submission</dt><dd>");
	if (p->has_sub) {
		folio_buf_printf(b, "<span id=\"submission\">%lld</span>", p->sub.id);
		if (p->sub.previous)
			folio_buf_printf(b, " \xc2\xb7 resubmission of %lld", p->sub.previous);
	} else {
		folio_buf_puts(b, "none yet \xc2\xb7 the tip of main");
	}
	folio_buf_puts(b, "</dd>\n");
	if (p->has_sub) {
		folio_buf_puts(b, "<dt>Panel</dt><dd>");
		folio_html_escape(b, p->sub.panel);
		if (p->has_panel) {
			folio_buf_puts(b, " \xc2\xb7 meets ");
			folio_html_escape(b, p->panel.date);
		}
		folio_buf_puts(b, "</dd>\n<dt>State</dt><dd>");
		put_state(b, p->sub.state);
		folio_buf_puts(b, "</dd>\n");
	}
	folio_buf_puts(b, "<dt>Commit</dt><dd><code id=\"commit\" title=\"");
	folio_html_escape(b, p->commit);
	folio_buf_puts(b, "\">");
	folio_buf_put(b, p->commit, 12);
	folio_buf_puts(b, "</code>");
	if (p->has_sub)
		folio_buf_puts(b, " (pinned)");
	folio_buf_printf(b, " \xc2\xb7 %zu entries</dd>\n<dt>Readiness</dt><dd>", p->cov->nentries);
	if (p->cov->ready)
		folio_buf_puts(b, "<span class=\"pill ready\" id=\"readiness\">ready: every standard evidenced</span>");
	else
		folio_buf_printf(b, "<span class=\"pill not-ready\" id=\"readiness\">not ready: %zu shortfall%s</span>",
			p->cov->nmissing, p->cov->nmissing == 1 ? "" : "s");
	folio_buf_puts(b, "</dd>\n");
	if (p->nreviewers) {
		folio_buf_puts(b, "<dt>Reviewers</dt><dd>");
		for (size_t i = 0; i < p->nreviewers; i++) {
			if (i)
				folio_buf_puts(b, ", ");
			put_person(b, p->site, p->reviewers[i]);
		}
		folio_buf_puts(b, "</dd>\n");
	}
	folio_buf_puts(b, "<dt>Pack made</dt><dd>");
	folio_buf_puts(b, today);
	if (p->site->actor) {
		folio_buf_puts(b, " for ");
		folio_html_escape(b, p->site->actor);
	}
	folio_buf_puts(b, "</dd>\n</dl>\n");
	if (p->cov->nmissing) {
		folio_buf_puts(b, "<ul class=\"missing\">\n");
		for (size_t i = 0; i < p->cov->nmissing; i++) {
			folio_buf_puts(b, "<li>");
			folio_html_escape(b, p->cov->missing[i]);
			folio_buf_puts(b, "</li>\n");
		}
		folio_buf_puts(b, "</ul>\n");
	}
	(void)fw;
	folio_buf_puts(b, "</header>\n");
}

static void section_toc(folio_buf *b, pack *p, int changes, int feedback)
{
	folio_buf_puts(b, "<nav class=\"toc\" id=\"contents\"><span class=\"kicker\">Contents</span>\n<ol>\n"
			  "<li><a href=\"#coverage\">Coverage of the standards</a></li>\n");
	if (changes)
		folio_buf_printf(b, "<li><a href=\"#changes\">Changes since submission %lld</a></li>\n", p->prev_id);
	if (feedback)
		folio_buf_puts(b, "<li><a href=\"#feedback\">Feedback items</a></li>\n");
	folio_buf_puts(b, "<li><a href=\"#timeline\">Timeline</a></li>\n<li><a href=\"#entries\">Entries</a><ol>\n");
	for (size_t i = 0; i < p->cov->nentries; i++) {
		folio_buf_puts(b, "<li><a href=\"#e");
		folio_pack_put_num(b, i + 1);
		folio_buf_puts(b, "\">");
		folio_html_escape(b, entry_title(&p->cov->entries[i]));
		folio_buf_puts(b, "</a></li>\n");
	}
	folio_buf_puts(b, "</ol></li>\n</ol>\n</nav>\n");
}

/* Units of entry e crediting standard s (the standard itself, as coverage counts): first unit and words. */
static size_t cell(const folio_coverage *cov, size_t e, size_t s, long *first, size_t *words)
{
	const folio_framework *fw = cov->fw;
	const folio_doc *doc = cov->entries[e].doc;
	size_t std_tag = folio_framework_standard(fw, s)->index, n = 0;
	*first = -1;
	*words = 0;
	for (size_t u = 0; doc && u < doc->nunits; u++)
		for (size_t k = 0; k < doc->units[u].ncredits; k++)
			if (doc->units[u].credits[k] == std_tag) {
				if (*first < 0)
					*first = (long)u;
				*words += doc->units[u].words;
				n++;
			}
	return n;
}

static void section_coverage(folio_buf *b, pack *p)
{
	const folio_framework *fw = p->fw;
	const folio_coverage *cov = p->cov;
	size_t nstd = folio_framework_standard_count(fw);

	folio_buf_puts(b, "<section id=\"coverage\">\n<h2>Coverage of the standards</h2>\n"
			  "<table class=\"standards\">\n<thead><tr><th>Standard</th><th class=\"num\">Evidence blocks</th>"
			  "<th class=\"num\">Words</th><th class=\"num\">Entries</th><th>Descriptors evidenced</th></tr></thead>\n<tbody>\n");
	for (size_t s = 0; s < nstd; s++) {
		const folio_standard *st = folio_framework_standard(fw, s);
		const folio_standard_coverage *sc = &cov->standards[s];
		int shortfall = sc->evidence < sc->needed_evidence || sc->words < sc->needed_words;
		folio_buf_printf(b, "<tr id=\"std-%zu\"%s><td>", s + 1, shortfall ? " class=\"short\"" : "");
		put_std(b, fw, st->id);
		folio_buf_puts(b, " ");
		folio_html_escape(b, st->title);
		folio_buf_printf(b, "</td><td class=\"num\">%zu", sc->evidence);
		if (sc->needed_evidence)
			folio_buf_printf(b, " <span class=\"muted\">/ %zu</span>", sc->needed_evidence);
		folio_buf_printf(b, "</td><td class=\"num\">%zu", sc->words);
		if (sc->needed_words)
			folio_buf_printf(b, " <span class=\"muted\">/ %zu</span>", sc->needed_words);
		folio_buf_printf(b, "</td><td class=\"num\">%zu</td><td>", sc->entries);
		int any = 0;
		for (size_t d = 0; d < st->ndescriptors; d++) {
			if (!sc->descriptors[d])
				continue;
			folio_buf_printf(b, "%s<span title=\"", any++ ? ", " : "");
			folio_html_escape(b, st->descriptors[d].text);
			folio_buf_puts(b, "\">");
			folio_html_escape(b, st->descriptors[d].id);
			folio_buf_printf(b, "</span>&#8239;\xc3\x97%zu", sc->descriptors[d]);
		}
		if (!any)
			folio_buf_puts(b, "<span class=\"muted\">none</span>");
		folio_buf_puts(b, "</td></tr>\n");
	}
	folio_buf_puts(b, "</tbody>\n</table>\n");
	if (p->qual)
		folio_buf_puts(b, "<p class=\"muted sans\" style=\"font-size:0.85rem\">Figures after a slash are what the "
				  "qualification asks for each standard.</p>\n");

	/* the matrix: one row per entry, one column per standard */
	folio_buf_puts(b, "<h3>Evidence by entry</h3>\n<table class=\"matrix\">\n<thead><tr><th>Entry</th>");
	for (size_t s = 0; s < nstd; s++) {
		const folio_standard *st = folio_framework_standard(fw, s);
		folio_buf_printf(b, "<th class=\"num\" title=\"");
		folio_html_escape(b, st->title);
		folio_buf_puts(b, "\">");
		put_std(b, fw, st->id);
		folio_buf_puts(b, "</th>");
	}
	folio_buf_puts(b, "</tr></thead>\n<tbody>\n");
	for (size_t e = 0; e < cov->nentries; e++) {
		folio_buf_puts(b, "<tr><td><span class=\"muted\">");
		put_entry_date(b, cov->entries[e].path);
		folio_buf_puts(b, "</span> <a href=\"#e");
		folio_pack_put_num(b, e + 1);
		folio_buf_puts(b, "\">");
		folio_html_escape(b, entry_title(&cov->entries[e]));
		folio_buf_puts(b, "</a></td>");
		for (size_t s = 0; s < nstd; s++) {
			long first;
			size_t words, n = cell(cov, e, s, &first, &words);
			if (!n) {
				folio_buf_puts(b, "<td class=\"empty\" data-std=\"");
				folio_pack_put_num(b, s + 1);
				folio_buf_puts(b, "\" data-count=\"0\">\xc2\xb7</td>");
				continue;
			}
			/* <td class="cell bgS" data-std="S" data-count="N"><a class="cS" href="#eE-uU">N</a><span class="w">W w</span></td> */
			folio_buf_puts(b, "<td class=\"cell bg");
			folio_pack_put_num(b, s + 1);
			folio_buf_puts(b, "\" data-std=\"");
			folio_pack_put_num(b, s + 1);
			folio_buf_puts(b, "\" data-count=\"");
			folio_pack_put_num(b, n);
			folio_buf_puts(b, "\"><a class=\"c");
			folio_pack_put_num(b, s + 1);
			folio_buf_puts(b, "\" href=\"#e");
			folio_pack_put_num(b, e + 1);
			folio_buf_puts(b, "-u");
			folio_pack_put_num(b, (unsigned long long)first); /* n > 0: first >= 0 */
			folio_buf_puts(b, "\">");
			folio_pack_put_num(b, n);
			folio_buf_puts(b, "</a><span class=\"w\">");
			folio_pack_put_num(b, words);
			folio_buf_puts(b, " w</span></td>");
		}
		folio_buf_puts(b, "</tr>\n");
	}
	folio_buf_puts(b, "</tbody>\n<tfoot><tr><th>Total</th>");
	for (size_t s = 0; s < nstd; s++) {
		const folio_standard_coverage *sc = &cov->standards[s];
		int shortfall = sc->evidence < sc->needed_evidence || sc->words < sc->needed_words;
		folio_buf_printf(b, "<td class=\"cell%s\" data-std=\"%zu\" data-total=\"%zu\">%zu<span class=\"w\">%zu w</span></td>",
			shortfall ? " short" : "", s + 1, sc->evidence, sc->evidence, sc->words);
	}
	folio_buf_puts(b, "</tr></tfoot>\n</table>\n</section>\n");
}

typedef struct {
	folio_buf *b;
	size_t lines;
} diff_ctx;

static int diff_hunk(const git_diff_delta *d, const git_diff_hunk *h, void *payload)
{
	diff_ctx *dc = payload;
	(void)d;
	if (dc->lines >= MAX_DIFF_LINES)
		return 0;
	folio_buf_puts(dc->b, "<span class=\"hunk\">");
	folio_html_escape_n(dc->b, h->header, h->header_len && h->header[h->header_len - 1] == '\n' ? h->header_len - 1
												     : h->header_len);
	folio_buf_puts(dc->b, "</span>");
	return 0;
}

static int diff_line(const git_diff_delta *d, const git_diff_hunk *h, const git_diff_line *l, void *payload)
{
	diff_ctx *dc = payload;
	size_t n = l->content_len;
	(void)d;
	(void)h;
	if (dc->lines++ == MAX_DIFF_LINES) {
		folio_buf_puts(dc->b, "<span class=\"hunk\">\xe2\x80\xa6 (diff cut short)</span>");
		return 0;
	}
	if (dc->lines > MAX_DIFF_LINES)
		return 0;
	while (n && (l->content[n - 1] == '\n' || l->content[n - 1] == '\r'))
		n--;
	const char *cls = l->origin == '+' ? "add" : l->origin == '-' ? "del" : NULL;
	if (cls)
		folio_buf_printf(dc->b, "<span class=\"%s\">%c ", cls, l->origin);
	else
		folio_buf_puts(dc->b, "  ");
	folio_html_escape_n(dc->b, l->content, n);
	folio_buf_puts(dc->b, cls ? "</span>" : "\n");
	return 0;
}

static void section_changes(folio_buf *b, pack *p)
{
	const folio_framework *fw = p->fw;
	folio_md_list a = { 0 }, c = { 0 };
	git_tree *before = NULL;
	char **added = NULL, **changed = NULL, **removed = NULL;
	git_oid *old_ids = NULL;
	size_t nadded = 0, nchanged = 0, nremoved = 0;

	if (commit_tree(&before, p->repo, p->prev_commit) < 0 || folio_md_collect(&a, before, 1) < 0 || folio_md_collect(&c, p->tree, 1) < 0) {
		folio_buf_printf(b, "<section id=\"changes\">\n<h2>Changes since submission %lld</h2>\n<p>The commit of "
				    "submission %lld cannot be read: ", p->prev_id, p->prev_id);
		folio_html_escape(b, folio_error_last());
		folio_buf_puts(b, "</p>\n</section>\n");
		folio_error_clear();
		goto cleanup;
	}
	for (size_t i = 0, j = 0; i < a.n || j < c.n;) {
		int cmp = i == a.n ? 1 : j == c.n ? -1 : strcmp(a.v[i].path, c.v[j].path);
		if (cmp < 0) {
			strings_push(&removed, &nremoved, a.v[i++].path);
		} else if (cmp > 0) {
			strings_push(&added, &nadded, c.v[j++].path);
		} else {
			if (!git_oid_equal(&a.v[i].oid, &c.v[j].oid)) {
				old_ids = folio_realloc(old_ids, (nchanged + 1) * sizeof(git_oid));
				git_oid_cpy(&old_ids[nchanged], &a.v[i].oid);
				strings_push(&changed, &nchanged, c.v[j].path);
			}
			i++;
			j++;
		}
	}

	folio_buf_printf(b, "<section id=\"changes\">\n<h2>Changes since submission %lld</h2>\n<p>Submission %lld was "
			    "reviewed at commit <code title=\"%s\">%.12s</code>; this one pins <code>%.12s</code>: "
			    "<strong id=\"changes-summary\">%zu added, %zu changed, %zu removed</strong>.</p>\n",
		p->prev_id, p->prev_id, p->prev_commit, p->prev_commit, p->commit, nadded, nchanged, nremoved);

	folio_buf_puts(b, "<table class=\"gained\">\n<thead><tr><th>Standard</th><th class=\"num\">Then</th>"
			  "<th class=\"num\">Now</th><th class=\"num\">Gained</th></tr></thead>\n<tbody>\n");
	for (size_t s = 0; s < folio_framework_standard_count(fw); s++) {
		const folio_standard *st = folio_framework_standard(fw, s);
		long long then = (long long)p->prev_cov->standards[s].evidence, now = (long long)p->cov->standards[s].evidence;
		folio_buf_puts(b, "<tr><td>");
		put_std(b, fw, st->id);
		folio_buf_puts(b, " ");
		folio_html_escape(b, st->title);
		folio_buf_printf(b, "</td><td class=\"num\">%lld</td><td class=\"num\">%lld</td><td class=\"num %s\">",
			then, now, now > then ? "gain-pos" : now < then ? "gain-neg" : "");
		if (now == then)
			folio_buf_puts(b, "0</td></tr>\n");
		else
			folio_buf_printf(b, "%s%lld</td></tr>\n", now > then ? "+" : "\xe2\x88\x92", now > then ? now - then : then - now);
	}
	folio_buf_puts(b, "</tbody>\n</table>\n");

	const char *const heads[3] = { "Added", "Changed", "Removed" };
	char **lists[3] = { added, changed, removed };
	size_t counts[3] = { nadded, nchanged, nremoved };
	const char *ids[3] = { "added", "changed", "removed" };
	for (int k = 0; k < 3; k++) {
		if (!counts[k])
			continue;
		folio_buf_printf(b, "<h3>%s</h3>\n<ul class=\"%s\">\n", heads[k], ids[k]);
		for (size_t i = 0; i < counts[k]; i++) {
			folio_buf_puts(b, "<li>");
			if (k == 2)
				folio_html_escape(b, lists[k][i]);
			else
				put_entry_link(b, p->cov, lists[k][i]);
			folio_buf_puts(b, "</li>\n");
		}
		folio_buf_puts(b, "</ul>\n");
	}
	for (size_t i = 0; i < nchanged; i++) {
		git_blob *ob = NULL, *nb = NULL;
		const git_tree_entry *te = NULL;
		git_tree_entry *owned = NULL;
		git_diff_options opts;
		diff_ctx dc = { b, 0 };
		git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
		opts.context_lines = 2;
		if (git_tree_entry_bypath(&owned, p->tree, changed[i]) == 0)
			te = owned;
		if (te && git_blob_lookup(&ob, p->repo, &old_ids[i]) == 0 && git_blob_lookup(&nb, p->repo, git_tree_entry_id(te)) == 0) {
			folio_buf_puts(b, "<h3>What changed in ");
			folio_html_escape(b, changed[i]);
			folio_buf_puts(b, "</h3>\n<pre class=\"diff\">");
			git_diff_blobs(ob, changed[i], nb, changed[i], &opts, NULL, NULL, diff_hunk, diff_line, &dc);
			folio_buf_puts(b, "</pre>\n");
		}
		git_error_clear();
		git_blob_free(ob);
		git_blob_free(nb);
		git_tree_entry_free(owned);
	}
	folio_buf_puts(b, "</section>\n");
cleanup:
	strings_free(added, nadded);
	strings_free(changed, nchanged);
	strings_free(removed, nremoved);
	free(old_ids);
	folio_md_list_free(&a);
	folio_md_list_free(&c);
	git_tree_free(before);
}

/* Is commit `hex` the pinned commit or one of its ancestors? */
static int in_history(pack *p, const char *hex)
{
	git_oid a, b;
	if (!hex || git_oid_fromstr(&a, hex) < 0 || git_oid_fromstr(&b, p->commit) < 0)
		return 0;
	if (git_oid_equal(&a, &b))
		return 1;
	int r = git_graph_descendant_of(p->repo, &b, &a);
	git_error_clear();
	return r == 1;
}

static void section_feedback(folio_buf *b, pack *p)
{
	folio_buf_puts(b, "<section id=\"feedback\">\n<h2>Feedback items</h2>\n<table class=\"feedback\">\n<thead><tr>"
			  "<th>Item</th><th>Standard</th><th>Raised at</th><th>What the panel asked for</th><th>Status</th>"
			  "<th>Mentor's note</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < p->nfeedback; i++) {
		const folio_feedback_item *f = &p->feedback[i];
		const char *status = f->status;
		int later = 0;
		/* an item addressed only after the pinned commit was still open in what the panel reads */
		if (strcmp(status, "addressed") == 0 && f->addressed_commit && !in_history(p, f->addressed_commit)) {
			status = "open";
			later = 1;
		}
		folio_buf_printf(b, "<tr id=\"f%d\"><td><strong>F%d</strong></td><td>", f->number, f->number);
		put_std(b, p->fw, f->standard);
		folio_buf_printf(b, "</td><td>submission %lld</td><td class=\"asked\">", f->submission);
		folio_html_escape(b, f->text);
		folio_buf_puts(b, "</td><td><span class=\"pill status-");
		folio_html_escape(b, status);
		folio_buf_puts(b, "\">");
		folio_html_escape(b, status);
		folio_buf_puts(b, "</span>");
		if (later)
			folio_buf_puts(b, "<br><span class=\"muted\">addressed after this commit</span>");
		else if (f->addressed_commit && strcmp(status, "open") != 0)
			folio_buf_printf(b, "<br><span class=\"muted\">in <code>%.12s</code></span>", f->addressed_commit);
		if (f->decided_by)
			folio_buf_printf(b, "<br><span class=\"muted\">decided at submission %lld</span>", f->decided_by);
		folio_buf_puts(b, "</td><td>");
		folio_html_escape(b, f->note ? f->note : "");
		folio_buf_puts(b, "</td></tr>\n");
	}
	folio_buf_puts(b, "</tbody>\n</table>\n</section>\n");
}

static int tl_cmp(const void *x, const void *y)
{
	const tl_item *a = x, *b = y;
	if (a->when != b->when)
		return a->when < b->when ? -1 : 1;
	if (a->state != b->state)
		return a->state - b->state; /* a commit before the submission that pins it */
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void tl_push(tl_item **v, size_t *n, long long when, int state, char *text)
{
	*v = folio_realloc(*v, (*n + 1) * sizeof(**v));
	(*v)[*n].when = when;
	(*v)[*n].state = state;
	(*v)[*n].seq = state ? (long long)*n : -(long long)*n; /* commits come newest first from the walk */
	(*v)[*n].text = text;
	(*n)++;
}

static void section_timeline(folio_buf *b, pack *p)
{
	tl_item *items = NULL;
	size_t n = 0;
	git_revwalk *walk = NULL;
	git_oid oid;

	/* commits on main up to the pinned commit */
	if (git_revwalk_new(&walk, p->repo) == 0 && git_oid_fromstr(&oid, p->commit) == 0 &&
	    git_revwalk_push(walk, &oid) == 0) {
		git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
		while (git_revwalk_next(&oid, walk) == 0) {
			git_commit *c = NULL;
			git_tree *now = NULL, *before = NULL;
			char **files = NULL;
			size_t nfiles = 0;
			if (git_commit_lookup(&c, p->repo, &oid) < 0)
				break;
			if (git_commit_tree(&now, c) == 0) {
				if (git_commit_parentcount(c) > 0) {
					git_commit *parent = NULL;
					if (git_commit_parent(&parent, c, 0) == 0)
						git_commit_tree(&before, parent);
					git_commit_free(parent);
				}
				touched(&files, &nfiles, p->repo, now, before, "");
			}
			folio_buf t = FOLIO_BUF_INIT;
			char hex[41];
			git_oid_tostr(hex, sizeof(hex), &oid);
			const git_signature *author = git_commit_author(c);
			folio_buf_puts(&t, "<code>");
			folio_buf_put(&t, hex, 8);
			folio_buf_puts(&t, "</code> ");
			folio_html_escape(&t, git_commit_summary(c));
			if (author && author->name) {
				folio_buf_puts(&t, " <span class=\"muted\">\xe2\x80\x94 ");
				folio_html_escape(&t, author->name);
				folio_buf_puts(&t, "</span>");
			}
			if (strcmp(hex, p->commit) == 0 && p->has_sub)
				folio_buf_puts(&t, " <span class=\"pill\">pinned</span>");
			if (nfiles) {
				folio_buf_puts(&t, "<span class=\"files\">");
				for (size_t i = 0; i < nfiles; i++) {
					if (i)
						folio_buf_puts(&t, ", ");
					long e = entry_index(p->cov, files[i]);
					if (e >= 0) {
						folio_buf_puts(&t, "<a href=\"#e");
						folio_pack_put_num(&t, (unsigned long long)e + 1);
						folio_buf_puts(&t, "\">");
						folio_html_escape(&t, files[i]);
						folio_buf_puts(&t, "</a>");
					} else {
						folio_html_escape(&t, files[i]);
						folio_buf_puts(&t, " (removed)");
					}
				}
				folio_buf_puts(&t, "</span>");
			}
			tl_push(&items, &n, (long long)git_commit_time(c), 0, folio_buf_detach(&t));
			strings_free(files, nfiles);
			git_tree_free(now);
			git_tree_free(before);
			git_commit_free(c);
		}
	}
	git_revwalk_free(walk);
	git_error_clear();

	/* state changes of the mentor's submissions up to this one */
	for (size_t i = 0; i < p->nsubs; i++) {
		folio_state_change *ch = NULL;
		size_t nch = 0;
		if (p->has_sub && p->subs[i].id > p->sub.id)
			continue;
		if (folio_submission_history(&ch, &nch, p->site, p->subs[i].id) < 0) {
			folio_error_clear();
			continue;
		}
		for (size_t k = 0; k < nch; k++) {
			folio_buf t = FOLIO_BUF_INIT;
			folio_buf_printf(&t, "Submission %lld ", p->subs[i].id);
			if (!ch[k].from)
				folio_buf_printf(&t, "made at commit <code>%.8s</code> ", p->subs[i].commit);
			put_state(&t, ch[k].to);
			if (ch[k].actor) {
				folio_buf_puts(&t, " <span class=\"muted\">by ");
				folio_html_escape(&t, ch[k].actor);
				folio_buf_puts(&t, "</span>");
			}
			if (ch[k].note && *ch[k].note) {
				folio_buf_puts(&t, "<span class=\"files\">");
				folio_html_escape(&t, ch[k].note);
				folio_buf_puts(&t, "</span>");
			}
			tl_push(&items, &n, iso_seconds(ch[k].time), 1, folio_buf_detach(&t));
		}
		folio_state_changes_free(ch, nch);
	}
	if (n > 1)
		qsort(items, n, sizeof(*items), tl_cmp);

	folio_buf_puts(b, "<section id=\"timeline\">\n<h2>Timeline</h2>\n<ol class=\"timeline\">\n");
	for (size_t i = 0; i < n; i++) {
		folio_buf_puts(b, items[i].state ? "<li class=\"state\"><span class=\"when\">" : "<li class=\"commit\"><span class=\"when\">");
		put_time(b, items[i].when);
		folio_buf_puts(b, "</span>");
		folio_buf_puts(b, items[i].text);
		folio_buf_puts(b, "</li>\n");
		free(items[i].text);
	}
	free(items);
	folio_buf_puts(b, "</ol>\n</section>\n");
}

/*
 * The entries are the larger part of a pack (reading and inflating their
 * blobs, cmark), and each is rendered on its own: while the calling thread
 * writes the other sections, a second thread renders entries, and the
 * calling thread joins it when done, each taking the next entry not yet
 * taken. Each entry goes to a buffer of its own, put in order at the end,
 * so the page is the same byte for byte whichever thread rendered what.
 */
typedef struct {
	const pack *p;
	git_oid *ids;         /* each entry's blob, found in the pinned tree; zero when it is not there */
	git_oid tree_id;
	char *repo_path;
	folio_buf *parts;     /* each entry's HTML */
	atomic_size_t next;   /* the next entry to render */
	pthread_t thread;
	int threaded;
} entries_job;

static void render_entry(folio_buf *b, const entries_job *j, entry_tools *w, size_t e)
{
	const pack *p = j->p;
	const folio_framework *fw = p->fw;
	const folio_coverage_entry *ce = &p->cov->entries[e];
	char prefix[32];
	folio_pack_marks marks = { 0, NULL };
	char *text = NULL;
	size_t len = 0;

	folio_error_clear(); /* the error shown below is this entry's own */
	snprintf(prefix, sizeof(prefix), "e%zu", e + 1);
	folio_buf_puts(b, "<article class=\"entry\" id=\"e");
	folio_pack_put_num(b, e + 1);
	folio_buf_puts(b, "\">\n<header><div class=\"kicker\">");
	put_entry_date(b, ce->path);
	folio_buf_puts(b, " \xc2\xb7 <span class=\"path\">");
	folio_html_escape(b, ce->path);
	folio_buf_puts(b, "</span>");
	if (ce->doc) {
		folio_buf_puts(b, " \xc2\xb7 ");
		folio_pack_put_num(b, ce->doc->words);
		folio_buf_puts(b, " words");
	}
	folio_buf_puts(b, " \xc2\xb7 <a href=\"#contents\">contents</a></div>\n");
	if (ce->doc && ce->doc->ntags) {
		folio_buf_puts(b, "<div class=\"entry-tags\">Tags: ");
		for (size_t k = 0; k < ce->doc->ntags; k++) {
			put_std(b, fw, folio_framework_tag_id(fw, ce->doc->tags[k]));
			folio_buf_puts(b, " ");
		}
		folio_buf_puts(b, "</div>\n");
	}
	for (size_t k = 0; ce->doc && k < ce->doc->nproblems; k++) {
		if (ce->doc->problems[k].severity != FOLIO_SEV_ERROR)
			continue;
		folio_buf_printf(b, "<div class=\"entry-tags\" style=\"color:#b3261e\">line %u, column %u: ",
			ce->doc->problems[k].line, ce->doc->problems[k].column);
		folio_html_escape(b, ce->doc->problems[k].message);
		folio_buf_puts(b, "</div>\n");
	}
	folio_buf_puts(b, "</header>\n<div class=\"body\">\n");
	if (!git_oid_is_zero(&j->ids[e]) && folio_blob_read(&w->reader, &j->ids[e], FOLIO_ENTRY_MAX, &text, &len) == 0) {
		if (!text) {
			folio_buf_puts(b, "<p class=\"muted\">This entry is too large to show: ");
			folio_pack_put_num(b, len);
			folio_buf_puts(b, " bytes (the limit is ");
			folio_pack_put_num(b, FOLIO_ENTRY_MAX);
			folio_buf_puts(b, ").</p>\n");
		} else if (ce->doc && !ce->doc->readable) {
			folio_buf_puts(b, "<p class=\"muted\">This entry is not readable text (not UTF-8 or with NUL bytes).</p>\n");
		} else {
			image_ctx ic = { w, ce->path };
			folio_pack_entry_html(b, fw, ce->doc, text, len, prefix, image_resolve, &ic, &marks);
		}
	} else {
		folio_buf_puts(b, "<p class=\"muted\">This entry cannot be read from the portfolio");
		if (folio_error_code() < 0) {
			folio_buf_puts(b, ": ");
			folio_html_escape(b, folio_error_last());
		}
		folio_buf_puts(b, ".</p>\n");
	}
	folio_error_clear();
	git_error_clear();
	free(text);
	/* anchors of units whose block could not be found still exist, so the matrix never links nowhere */
	for (size_t u = 0; u < marks.nunits; u++)
		if (!marks.placed[u])
			folio_buf_printf(b, "<span id=\"%s-u%zu\"></span>\n", prefix, u);
	free(marks.placed);
	folio_buf_puts(b, "</div>\n</article>\n");
}

static void entries_take(entries_job *j, entry_tools *w)
{
	size_t e, n = j->p->cov->nentries;
	while ((e = atomic_fetch_add(&j->next, 1)) < n)
		render_entry(&j->parts[e], j, w, e);
}

static void *entries_thread(void *arg)
{
	entries_job *j = arg;
	entry_tools w;
	memset(&w, 0, sizeof(w));
	folio_blob_reader_init_path(&w.reader, j->repo_path);
	git_oid_cpy(&w.tree_id, &j->tree_id);
	entries_take(j, &w);
	tools_clear(&w);
	return NULL;
}

/* CPUs this process may run on (its affinity: taskset, cgroups), not those of the machine. */
static int usable_cpus(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		return CPU_COUNT(&set);
	return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

/* Find each entry's blob, and start the second thread when there is more than one entry and more than one CPU. */
static void entries_start(entries_job *j, const pack *p)
{
	size_t n = p->cov->nentries;
	memset(j, 0, sizeof(*j));
	j->p = p;
	j->ids = folio_calloc(n ? n : 1, sizeof(*j->ids));
	j->parts = folio_calloc(n ? n : 1, sizeof(*j->parts));
	for (size_t e = 0; e < n; e++) {
		const char *path = p->cov->entries[e].path;
		const git_tree_entry *top = strchr(path, '/') ? NULL : git_tree_entry_byname(p->tree, path);
		git_tree_entry *te = NULL;
		folio_buf_init(&j->parts[e]);
		if (top)
			git_oid_cpy(&j->ids[e], git_tree_entry_id(top));
		else if (git_tree_entry_bypath(&te, p->tree, path) == 0)
			git_oid_cpy(&j->ids[e], git_tree_entry_id(te));
		git_tree_entry_free(te);
	}
	git_error_clear();
	git_oid_cpy(&j->tree_id, git_tree_id(p->tree));
	atomic_init(&j->next, 0);
	if (n > 1 && usable_cpus() > 1) {
		j->repo_path = folio_portfolio_repo_path(p->site, p->t.mentor);
		j->threaded = pthread_create(&j->thread, NULL, entries_thread, j) == 0;
	}
}

/* Render what the second thread has not taken, wait for it, and put the entries in order into b. */
static void entries_finish(entries_job *j, folio_buf *b, pack *p)
{
	entry_tools w;
	size_t n = p->cov->nentries;
	memset(&w, 0, sizeof(w));
	folio_blob_reader_init(&w.reader, p->repo);
	w.tree = p->tree;
	entries_take(j, &w);
	tools_clear(&w);
	if (j->threaded)
		pthread_join(j->thread, NULL);
	folio_buf_puts(b, "<section id=\"entries\">\n<h2>Entries</h2>\n");
	for (size_t e = 0; e < n; e++) {
		folio_buf_put(b, j->parts[e].ptr, j->parts[e].size);
		folio_buf_free(&j->parts[e]);
	}
	folio_buf_puts(b, "</section>\n");
	free(j->parts);
	free(j->ids);
	free(j->repo_path);
}

static void render(folio_buf *b, pack *p)
{
	folio_buf title = FOLIO_BUF_INIT;
	int changes = p->prev_id != 0 && p->prev_cov != NULL;
	int feedback = p->nfeedback > 0;

	folio_buf_printf(&title, "%s \xe2\x80\x94 %s", p->person.name, p->qual_id);
	if (p->has_sub)
		folio_buf_printf(&title, " submission %lld", p->sub.id);
	folio_pack_page_open(b, title.ptr, p->fw, NULL);
	folio_buf_free(&title);
	entries_job job;
	entries_start(&job, p);
	section_header(b, p);
	section_toc(b, p, changes, feedback);
	section_coverage(b, p);
	if (changes)
		section_changes(b, p);
	if (feedback)
		section_feedback(b, p);
	section_timeline(b, p);
	entries_finish(&job, b, p);
	folio_buf_puts(b, "<footer class=\"pack\">Made by folio " FOLIO_VERSION " from commit <code>");
	folio_buf_puts(b, p->commit);
	folio_buf_puts(b, "</code> of the portfolio of ");
	folio_html_escape(b, p->t.mentor);
	folio_buf_puts(b, ". Self-contained: no scripts, nothing fetched; raw HTML in entries is not shown.</footer>\n");
	folio_pack_page_close(b);
}

int folio_pack_render(char **html, size_t *len, folio_site *site, const char *target)
{
	pack p;
	folio_buf b = FOLIO_BUF_INIT;
	int error;

	*html = NULL;
	if (len)
		*len = 0;
	if ((error = pack_load(&p, site, target)) == 0) {
		/* room for the usual page at once (about 5 KiB of HTML per entry), not 20 reallocations of a growing copy */
		folio_buf_grow(&b, 32768 + 6144 * p.cov->nentries);
		render(&b, &p);
		if (len)
			*len = b.size;
		*html = folio_buf_detach(&b);
	}
	pack_clear(&p);
	return error;
}

/* ------------------------------------------------------------ the panel pack */

void folio_pack_pages_free(folio_pack_page *pages, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(pages[i].name);
		free(pages[i].html);
	}
	free(pages);
}

typedef struct {
	long long id;
	char *mentor, *state, *commit, *qualification;
	long long previous;
	char *done; /* the reviewer's review: done time, or NULL */
} queue_row;

static void queue_free(queue_row *q, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(q[i].mentor);
		free(q[i].state);
		free(q[i].commit);
		free(q[i].qualification);
		free(q[i].done);
	}
	free(q);
}

static int queue_load(queue_row **out, size_t *n, folio_site *site, const char *panel, const char *reviewer)
{
	sqlite3_stmt *st = NULL;
	queue_row *v = NULL;
	size_t count = 0;
	int error, rc;

	*out = NULL;
	*n = 0;
	if ((error = folio_db_prepare(site, &st, reviewer
		? "SELECT s.id, s.mentor, s.state, s.commit_id, s.qualification, s.previous, a.done FROM submission s"
		  " JOIN assignment a ON a.submission = s.id WHERE s.panel = ?1 AND a.reviewer = ?2 ORDER BY s.id"
		: "SELECT s.id, s.mentor, s.state, s.commit_id, s.qualification, s.previous, NULL FROM submission s"
		  " WHERE s.panel = ?1 AND s.state <> 'withdrawn' ORDER BY s.id")) < 0)
		return error;
	sqlite3_bind_text(st, 1, panel, -1, SQLITE_STATIC);
	if (reviewer)
		sqlite3_bind_text(st, 2, reviewer, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = folio_realloc(v, (count + 1) * sizeof(*v));
		queue_row *q = &v[count++];
		q->id = sqlite3_column_int64(st, 0);
		q->mentor = folio_db_col_dup(st, 1);
		q->state = folio_db_col_dup(st, 2);
		q->commit = folio_db_col_dup(st, 3);
		q->qualification = folio_db_col_dup(st, 4);
		q->previous = sqlite3_column_int64(st, 5);
		q->done = folio_db_col_dup(st, 6);
	}
	if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read the panel's submissions");
	sqlite3_finalize(st);
	if (error < 0) {
		queue_free(v, count);
		return error;
	}
	*out = v;
	*n = count;
	return 0;
}

/* Declared conflicts of a mentor, as HTML (empty when none). */
static void put_conflicts(folio_buf *b, folio_site *site, const char *mentor)
{
	sqlite3_stmt *st = NULL;
	int any = 0;
	if (folio_db_prepare(site, &st, "SELECT CASE WHEN a = ?1 THEN b ELSE a END, reason FROM conflict"
					" WHERE a = ?1 OR b = ?1 ORDER BY 1") < 0) {
		folio_error_clear();
		return;
	}
	sqlite3_bind_text(st, 1, mentor, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		folio_buf_puts(b, any++ ? "<br>" : "");
		put_person(b, site, (const char *)sqlite3_column_text(st, 0));
		folio_buf_puts(b, ": ");
		folio_html_escape(b, (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	if (!any)
		folio_buf_puts(b, "<span class=\"muted\">none declared</span>");
}

int folio_pack_panel(folio_pack_page **pages_out, size_t *n_out, folio_site *site, const char *panel,
	const char *reviewer)
{
	folio_panel pn;
	queue_row *q = NULL;
	size_t nq = 0, npages = 0;
	folio_pack_page *pages = NULL;
	folio_buf b = FOLIO_BUF_INIT, title = FOLIO_BUF_INIT;
	int error, whole, has_panel = 0;
	char today[11];

	*pages_out = NULL;
	*n_out = 0;
	if (!site->actor)
		return folio_site_deny(site, "pack a panel", "");
	if ((error = folio_panel_get(&pn, site, panel)) < 0)
		return error;
	has_panel = 1;
	if (reviewer && (error = folio_person_exists(site, reviewer)) < 0)
		goto cleanup;
	if (reviewer && strcmp(reviewer, site->actor) != 0 && !folio_site_has_role(site, FOLIO_ROLE_LEAD | FOLIO_ROLE_ADMIN)) {
		char *action = folio_asprintf("pack the queue of '%s' at panel '%s'", reviewer, panel);
		error = folio_site_deny(site, action, "a reviewer packs only their own queue");
		free(action);
		goto cleanup;
	}
	whole = !reviewer && folio_site_has_role(site, FOLIO_ROLE_LEAD | FOLIO_ROLE_ADMIN);
	if (!reviewer && !whole) {
		if (!folio_site_has_role(site, FOLIO_ROLE_REVIEWER)) {
			char *action = folio_asprintf("pack panel '%s'", panel);
			error = folio_site_deny(site, action, "needs role reviewer (their queue), lead or admin");
			free(action);
			goto cleanup;
		}
		reviewer = site->actor;
	}
	if ((error = queue_load(&q, &nq, site, panel, whole ? NULL : reviewer)) < 0)
		goto cleanup;

	pages = folio_calloc(nq + 1, sizeof(*pages));
	npages = 1;
	for (size_t i = 0; i < nq; i++) {
		char target[32];
		snprintf(target, sizeof(target), "%lld", q[i].id);
		pages[npages].name = folio_asprintf("submission-%lld.html", q[i].id);
		if ((error = folio_pack_render(&pages[npages].html, &pages[npages].len, site, target)) < 0) {
			free(pages[npages].name);
			pages[npages].name = NULL;
			goto cleanup;
		}
		npages++;
	}

	/* the index */
	folio_today(today);
	if (whole)
		folio_buf_printf(&title, "Panel %s \xe2\x80\x94 all submissions", panel);
	else
		folio_buf_printf(&title, "Panel %s \xe2\x80\x94 queue of %s", panel, reviewer);
	folio_pack_page_open(&b, title.ptr, site->fw, NULL);
	folio_buf_puts(&b, "<header class=\"pack\">\n<div class=\"kicker\">Panel pack</div>\n<h1>Panel ");
	folio_html_escape(&b, panel);
	folio_buf_puts(&b, "</h1>\n<dl class=\"meta\">\n<dt>Meets</dt><dd>");
	folio_html_escape(&b, pn.date);
	folio_buf_puts(&b, "</dd>\n<dt>State</dt><dd>");
	put_state(&b, pn.state);
	folio_buf_puts(&b, "</dd>\n<dt>Chair</dt><dd>");
	if (pn.chair)
		put_person(&b, site, pn.chair);
	else
		folio_buf_puts(&b, "<span class=\"muted\">none</span>");
	folio_buf_puts(&b, "</dd>\n<dt>Queue</dt><dd id=\"queue-of\">");
	if (whole)
		folio_buf_puts(&b, "the whole panel");
	else
		put_person(&b, site, reviewer);
	folio_buf_printf(&b, "</dd>\n<dt>Submissions</dt><dd>%zu</dd>\n<dt>Pack made</dt><dd>%s</dd>\n</dl>\n</header>\n",
		nq, today);
	folio_buf_puts(&b, "<table class=\"queue\">\n<thead><tr><th class=\"num\">#</th><th>Mentor</th><th>School</th>"
			   "<th>Qualification</th><th>State</th><th>Readiness</th><th>Reviewers</th>");
	if (!whole)
		folio_buf_puts(&b, "<th>Your review</th>");
	folio_buf_puts(&b, "<th>Conflicts declared</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < nq; i++) {
		folio_person who;
		folio_coverage *cov = NULL;
		char **revs = NULL;
		size_t nrevs = 0;
		folio_buf_printf(&b, "<tr class=\"sub\" data-submission=\"%lld\"><td class=\"num\"><a href=\"submission-%lld.html\">%lld</a></td><td>",
			q[i].id, q[i].id, q[i].id);
		folio_buf_printf(&b, "<a href=\"submission-%lld.html\">", q[i].id);
		put_person(&b, site, q[i].mentor);
		folio_buf_puts(&b, "</a>");
		if (q[i].previous)
			folio_buf_printf(&b, "<br><span class=\"muted\">resubmission of %lld</span>", q[i].previous);
		folio_buf_puts(&b, "</td><td>");
		if (folio_person_get(&who, site, q[i].mentor) == 0) {
			char *school = school_name(site, who.school);
			folio_html_escape(&b, school ? school : "");
			free(school);
			folio_person_clear(&who);
		}
		folio_buf_puts(&b, "</td><td>");
		folio_html_escape(&b, q[i].qualification);
		folio_buf_puts(&b, "</td><td>");
		folio_submission s;
		if (folio_submission_get(&s, site, q[i].id) == 0) {
			put_state(&b, s.state);
			folio_submission_clear(&s);
		}
		folio_buf_puts(&b, "</td><td>");
		if (folio_coverage_get(&cov, site, q[i].mentor, q[i].commit) == 0) {
			if (cov->ready)
				folio_buf_puts(&b, "<span class=\"pill ready\">ready</span>");
			else
				folio_buf_printf(&b, "<span class=\"pill not-ready\">%zu shortfall%s</span>", cov->nmissing,
					cov->nmissing == 1 ? "" : "s");
		}
		folio_coverage_free(cov);
		folio_buf_puts(&b, "</td><td>");
		if (folio_submission_reviewers(&revs, &nrevs, site, q[i].id) == 0)
			for (size_t k = 0; k < nrevs; k++) {
				folio_buf_puts(&b, k ? "<br>" : "");
				put_person(&b, site, revs[k]);
			}
		strings_free(revs, nrevs);
		if (!whole)
			folio_buf_printf(&b, "</td><td>%s", q[i].done ? "done" : "to do");
		folio_buf_puts(&b, "</td><td>");
		put_conflicts(&b, site, q[i].mentor);
		folio_buf_puts(&b, "</td></tr>\n");
		folio_error_clear();
	}
	if (!nq)
		folio_buf_puts(&b, "<tr><td colspan=\"9\" class=\"muted\">No submissions.</td></tr>\n");
	folio_buf_puts(&b, "</tbody>\n</table>\n<footer class=\"pack\">Made by folio " FOLIO_VERSION
			   ". Each portfolio's pack is a page of its own beside this one.</footer>\n");
	folio_pack_page_close(&b);
	pages[0].name = folio_strdup("index.html");
	pages[0].len = b.size;
	pages[0].html = folio_buf_detach(&b);
	*pages_out = pages;
	*n_out = npages;
	pages = NULL;
	npages = 0;
cleanup:
	folio_pack_pages_free(pages, npages);
	queue_free(q, nq);
	folio_buf_free(&b);
	folio_buf_free(&title);
	if (has_panel)
		folio_panel_clear(&pn);
	return error;
}

/* ------------------------------------------------------------ writing */

int folio_pack_write(const char *dir, const folio_pack_page *pages, size_t n)
{
	char **tmp = folio_calloc(n ? n : 1, sizeof(char *));
	int error = 0, made = 0;
	struct stat sb;

	if (stat(dir, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode)) {
			free(tmp);
			return folio_error_set(FOLIO_EINVALID, "cannot write the pack into '%s': not a directory", dir);
		}
	} else if (mkdir(dir, 0777) < 0) {
		error = folio_error_set(FOLIO_ERROR, "cannot create '%s': %s", dir, strerror(errno));
		free(tmp);
		return error;
	} else {
		made = 1;
	}
	for (size_t i = 0; i < n && error == 0; i++) {
		FILE *f;
		tmp[i] = folio_asprintf("%s/.%s.tmp%ld", dir, pages[i].name, (long)getpid());
		if (!(f = fopen(tmp[i], "wb"))) {
			error = folio_error_set(FOLIO_ERROR, "cannot write '%s/%s': %s", dir, pages[i].name, strerror(errno));
			free(tmp[i]);
			tmp[i] = NULL;
			break;
		}
		size_t wrote = fwrite(pages[i].html, 1, pages[i].len, f);
		if (fclose(f) != 0 || wrote != pages[i].len)
			error = folio_error_set(FOLIO_ERROR, "cannot write '%s/%s': %s", dir, pages[i].name, strerror(errno));
	}
	for (size_t i = 0; i < n && error == 0; i++) {
		char *path = folio_asprintf("%s/%s", dir, pages[i].name);
		if (rename(tmp[i], path) < 0)
			error = folio_error_set(FOLIO_ERROR, "cannot write '%s': %s", path, strerror(errno));
		else {
			free(tmp[i]);
			tmp[i] = NULL;
		}
		free(path);
	}
	for (size_t i = 0; i < n; i++) {
		if (tmp[i])
			unlink(tmp[i]);
		free(tmp[i]);
	}
	free(tmp);
	if (error < 0 && made)
		rmdir(dir);
	return error;
}
