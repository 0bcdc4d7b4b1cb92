/*
 * tests/fuzz/fuzz_archive.c: archive verify and restore (engine/archive.c)
 * on arbitrary bytes offered as FILE.zip. Input: the zip file.
 *
 * Invariants: verify either fails with a message or lists its problems,
 * each a non-empty line; restore of an archive with problems fails. A
 * failed restore leaves the site as it was (rows and files) and leaves no
 * staging directory behind. Nothing is ever written outside the site: the
 * work directory holds only the site and the input. A restore that succeeds
 * (a seed made by `folio archive`) brings back the portfolios verify listed;
 * the site is then made anew for the next input.
 */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "folio/archive.h"
#include "folio/portfolio.h"
#include "folio/site.h"
#include "site_internal.h"
#include "util.h"

static char *work, *site_dir, *zip_path;
static folio_site *site;

static void rm_rf(const char *path)
{
	char *cmd = folio_asprintf("rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz: could not remove %s\n", path);
	free(cmd);
}

static void work_remove(void)
{
	folio_site_free(site);
	site = NULL;
	if (work)
		rm_rf(work);
	free(work);
	free(site_dir);
	free(zip_path);
	work = site_dir = zip_path = NULL;
}

static void site_make(void)
{
	folio_init_options o = { 0 };
	o.admin_id = "adm";
	o.admin_name = "Ada Admin";
	o.admin_email = "ada@example.org";
	o.standards_dir = FOLIO_STANDARDS_DIR;
	if (folio_site_init(site_dir, "fuzzer", &o) < 0 || folio_site_open(&site, site_dir) < 0 ||
	    folio_site_act(site, "fuzzer", NULL) < 0)
		fuzz_fail("site set-up failed: %s", folio_error_last());
}

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");
	work = folio_asprintf("%s/folio-fuzz-archive-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(work))
		fuzz_fail("cannot make a directory like %s", work);
	atexit(work_remove);
	site_dir = folio_asprintf("%s/site", work);
	zip_path = folio_asprintf("%s/in.zip", work);
	site_make();
}

/* The site's rows and files, as one text to compare. */
static void walk(folio_buf *b, const char *dir, const char *rel)
{
	struct dirent **v = NULL;
	int n = scandir(dir, &v, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		const char *name = v[i]->d_name;
		if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0 && strncmp(name, "folio.db", 8) != 0) {
			char *path = folio_asprintf("%s/%s", dir, name), *r = folio_asprintf("%s/%s", rel, name);
			struct stat st;
			if (lstat(path, &st) == 0) {
				folio_buf_printf(b, "%s %o %lld\n", r, (unsigned)st.st_mode, (long long)(S_ISDIR(st.st_mode) ? 0 : st.st_size));
				if (S_ISDIR(st.st_mode))
					walk(b, path, r);
			}
			free(path);
			free(r);
		}
		free(v[i]);
	}
	free(v);
}

static char *snapshot(void)
{
	static const char *const tables[] = { "person", "portfolio", "submission", "submission_history", "assignment",
		"judgement", "feedback", "certificate", "audit", "panel", "school" };
	folio_buf b = FOLIO_BUF_INIT;
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char *q = folio_asprintf("SELECT COUNT(*) FROM %s", tables[i]);
		sqlite3_stmt *st = NULL;
		if (folio_db_prepare(site, &st, q) < 0 || sqlite3_step(st) != SQLITE_ROW)
			fuzz_fail("cannot count %s: %s", tables[i], folio_error_last());
		folio_buf_printf(&b, "%s %lld\n", tables[i], (long long)sqlite3_column_int64(st, 0));
		sqlite3_finalize(st);
		free(q);
	}
	walk(&b, site_dir, "");
	return folio_buf_detach(&b);
}

/* The work directory holds the site and the input, nothing else. */
static void check_outside(void)
{
	struct dirent **v = NULL;
	int n = scandir(work, &v, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		const char *name = v[i]->d_name;
		FUZZ_CHECK(strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strcmp(name, "site") == 0 ||
			strcmp(name, "in.zip") == 0, "restore wrote '%s' outside the site", name);
		free(v[i]);
	}
	free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	folio_archive_limits limits = { 64u << 20, 200 };
	folio_restore_options ro = { 0 };
	folio_archive_info info = { 0 }, back = { 0 };
	char **problems = NULL, *before, *after;
	size_t nproblems = 0;
	FILE *f;
	int vrc, rrc;

	if (!work)
		setup();
	if (!(f = fopen(zip_path, "wb")) || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		fuzz_fail("cannot write %s", zip_path);

	vrc = folio_archive_verify(&problems, &nproblems, &info, zip_path, &limits);
	if (vrc < 0)
		FUZZ_CHECK(*folio_error_last(), "verify failed without a message");
	for (size_t i = 0; i < nproblems; i++)
		FUZZ_CHECK(problems[i] && *problems[i] && !strchr(problems[i], '\n'), "verify problem %zu is not one line", i);

	before = snapshot();
	ro.limits = limits;
	rrc = folio_archive_restore(&back, site, zip_path, &ro);
	check_outside();
	if (rrc < 0) {
		FUZZ_CHECK(*folio_error_last(), "restore failed without a message");
		after = snapshot();
		FUZZ_CHECK(strcmp(before, after) == 0, "a failed restore changed the site:\n--- before\n%s--- after\n%s",
			before, after);
		free(after);
	} else {
		FUZZ_CHECK(vrc == 0 && nproblems == 0, "restore took an archive verify rejects (%zu problems)", nproblems);
		FUZZ_CHECK(back.nportfolios == info.nportfolios, "restored %zu portfolios of %zu", back.nportfolios,
			info.nportfolios);
		for (size_t i = 0; i < back.nportfolios; i++) {
			folio_portfolio p;
			FUZZ_CHECK(folio_portfolio_get(&p, site, back.portfolios[i].mentor) == 0, "restored '%s' is not there: %s",
				back.portfolios[i].mentor, folio_error_last());
			folio_portfolio_clear(&p);
		}
		/* the next input starts from an empty site again */
		folio_site_free(site);
		site = NULL;
		rm_rf(site_dir);
		site_make();
	}
	free(before);
	folio_archive_info_clear(&back);
	folio_archive_info_clear(&info);
	folio_archive_problems_free(problems, nproblems);
	return 0;
}
