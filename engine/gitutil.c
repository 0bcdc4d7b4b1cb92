/* engine/gitutil.c: libgit2 set-up, error translation and small repository helpers. */
#include "gitutil.h"
#include "util.h"

#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
