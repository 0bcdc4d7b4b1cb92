/* engine/pack_placeholder.c: PLACEHOLDER pack renderer (the real one lands from another branch):
 * a minimal HTML page with the portfolio's Markdown entries escaped in <pre>. */
#include "folio/pack.h"

#include "folio/submission.h"
#include "gitutil.h"
#include "site_internal.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static void put_escaped(folio_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '<': folio_buf_puts(b, "&lt;"); break;
		case '>': folio_buf_puts(b, "&gt;"); break;
		case '&': folio_buf_puts(b, "&amp;"); break;
		case '"': folio_buf_puts(b, "&quot;"); break;
		default: folio_buf_putc(b, s[i]);
		}
	}
}

typedef struct {
	git_repository *repo;
	folio_buf *out;
} walk_ctx;

static int each_entry(const char *root, const git_tree_entry *e, void *payload)
{
	walk_ctx *w = payload;
	const char *name = git_tree_entry_name(e);
	size_t n = strlen(name);
	git_blob *blob = NULL;
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || n < 3 || strcmp(name + n - 3, ".md") != 0)
		return 0;
	if (git_blob_lookup(&blob, w->repo, git_tree_entry_id(e)) < 0)
		return -1;
	folio_buf_puts(w->out, "<h2>");
	put_escaped(w->out, root, strlen(root));
	put_escaped(w->out, name, n);
	folio_buf_puts(w->out, "</h2>\n<pre>");
	put_escaped(w->out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	folio_buf_puts(w->out, "</pre>\n");
	git_blob_free(blob);
	return 0;
}

int folio_pack_render(char **html, size_t *len, folio_site *site, const char *target)
{
	folio_submission s = { 0 };
	git_repository *repo = NULL;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_oid oid;
	folio_buf b = FOLIO_BUF_INIT;
	char *mentor = NULL, *path = NULL;
	int error = 0, found = 0, rc;

	*html = NULL;
	if (len)
		*len = 0;
	folio_git_init();
	char *end = NULL;
	long long id = target ? strtoll(target, &end, 10) : 0;
	if (target && *target && end && !*end && id > 0) {
		if ((error = folio_submission_get(&s, site, id)) < 0)
			goto cleanup;
		mentor = folio_strdup(s.mentor);
		if (git_oid_fromstr(&oid, s.commit) == 0)
			found = 1;
	} else {
		if ((error = folio_site_require_self_or(site, target, FOLIO_ROLE_LEAD | FOLIO_ROLE_ADMIN,
			"read the pack")) < 0)
			goto cleanup;
		mentor = folio_strdup(target ? target : "");
		if (folio_submission_latest(&s, site, mentor) == 0 && git_oid_fromstr(&oid, s.commit) == 0)
			found = 1;
		folio_error_clear();
	}
	path = folio_portfolio_repo_path(site, mentor);
	if ((rc = git_repository_open_bare(&repo, path)) < 0) {
		error = folio_error_set(FOLIO_ENOTFOUND, "no portfolio for '%s'", mentor);
		goto cleanup;
	}
	if (!found && (error = folio_git_main(&oid, &found, repo)) < 0)
		goto cleanup;
	folio_buf_puts(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Portfolio of ");
	put_escaped(&b, mentor, strlen(mentor));
	folio_buf_puts(&b, "</title></head><body>\n");
	if (found) {
		walk_ctx w = { repo, &b };
		if ((rc = git_commit_lookup(&commit, repo, &oid)) < 0 || (rc = git_commit_tree(&tree, commit)) < 0 ||
		    (rc = git_tree_walk(tree, GIT_TREEWALK_PRE, each_entry, &w)) < 0) {
			error = folio_git_error(rc, "cannot read the portfolio");
			goto cleanup;
		}
	}
	folio_buf_puts(&b, "</body></html>\n");
	if (len)
		*len = b.size;
	*html = folio_buf_detach(&b);
cleanup:
	folio_submission_clear(&s);
	git_tree_free(tree);
	git_commit_free(commit);
	git_repository_free(repo);
	folio_buf_free(&b);
	free(mentor);
	free(path);
	return error;
}
