/* bench/bench_archive.c: folio archive of a cohort against the same work done with the git command line. */
#define _GNU_SOURCE /* asprintf */
#include "folio.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define TARGET 0.5 /* folio archive / git bundle + git archive */

static const char usage[] =
	"usage: folio-bench-archive --site DIR [--mentors N] [--out DIR]\n"
	"\n"
	"Archives the portfolios of the site DIR with folio (one zip: bundles, Markdown, packs, records)\n"
	"and does the same work with the git command line (git bundle create --all and\n"
	"git archive --format=zip for each portfolio), in the same run, and compares wall times.\n"
	"\n"
	"  --site DIR    the cohort; when DIR is not a site yet, folio-bench (next to this program)\n"
	"                generates it there first (1000 mentors x 30 entries, or --mentors N)\n"
	"  --mentors N   only the first N portfolios (by id); default all\n"
	"  --out DIR     where the zips and bundles go (default: a temporary directory, removed)\n";

typedef struct {
	const char *site;
	const char *out;
	size_t mentors;
	char *login;
	char **ids;
	size_t nids;
} bench;

static int fail(const char *f, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *f, ...)
{
	va_list ap;
	fputs("folio-bench-archive: ", stderr);
	va_start(ap, f);
	vfprintf(stderr, f, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run argv, output to /dev/null; 0 when it exits 0. */
static int run(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = 0, rc;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return fail("cannot run %s: %s", argv[0], strerror(rc));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return fail("cannot wait for %s", argv[0]);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* The first admin's login and the portfolio ids, straight from folio.db. */
static int read_site(bench *b)
{
	char *db_path = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int error = 0;
	size_t cap = 0;

	if (asprintf(&db_path, "%s/folio.db", b->site) < 0)
		abort();
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		error = fail("cannot open %s", db_path);
	if (!error && sqlite3_prepare_v2(db, "SELECT p.login FROM person p JOIN person_role r ON r.person = p.id"
		" WHERE r.role = 'admin' AND p.login IS NOT NULL ORDER BY p.created, p.id LIMIT 1", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		b->login = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	st = NULL;
	if (!error && !b->login)
		error = fail("no admin with a login in %s", db_path);
	if (!error && sqlite3_prepare_v2(db, "SELECT mentor FROM portfolio ORDER BY mentor", -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW && (!b->mentors || b->nids < b->mentors)) {
			if (b->nids == cap) {
				cap = cap ? cap * 2 : 256;
				b->ids = realloc(b->ids, cap * sizeof(char *));
				if (!b->ids)
					abort();
			}
			b->ids[b->nids++] = strdup((const char *)sqlite3_column_text(st, 0));
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(db_path);
	if (!error && b->nids == 0)
		error = fail("no portfolios in %s", b->site);
	return error;
}

/* ------------------------------------------------------------ the two sides */

static int phase_git(const bench *b)
{
	char *dir = NULL;
	int error = 0;
	if (asprintf(&dir, "%s/git", b->out) < 0)
		abort();
	mkdir(dir, 0777);
	for (size_t i = 0; i < b->nids && error == 0; i++) {
		char *repo = NULL, *bundle = NULL, *zip = NULL;
		if (asprintf(&repo, "%s/portfolios/%s.git", b->site, b->ids[i]) < 0 ||
		    asprintf(&bundle, "%s/%s.bundle", dir, b->ids[i]) < 0 || asprintf(&zip, "%s/%s.zip", dir, b->ids[i]) < 0)
			abort();
		char *bargv[] = { (char *)"git", (char *)"-C", repo, (char *)"bundle", (char *)"create", (char *)"-q", bundle,
			(char *)"--all", NULL };
		char *zargv[] = { (char *)"git", (char *)"-C", repo, (char *)"archive", (char *)"--format=zip", (char *)"-o", zip,
			(char *)"main", NULL };
		if (run(bargv) < 0 || run(zargv) < 0)
			error = fail("git failed on %s", repo);
		free(repo);
		free(bundle);
		free(zip);
	}
	free(dir);
	return error;
}

static int phase_folio(const bench *b)
{
	folio_site *site = NULL;
	folio_archive_options o = { 0 };
	folio_archive_result r;
	char *zip = NULL;
	int error = 0;
	if (asprintf(&zip, "%s/folio.zip", b->out) < 0)
		abort();
	o.mentors = (const char *const *)b->ids;
	o.nmentors = b->nids;
	o.force = 1;
	if (folio_site_open(&site, b->site) < 0 || folio_site_act(site, b->login, NULL) < 0 ||
	    folio_archive_write(&r, site, zip, &o) < 0)
		error = fail("%s", folio_error_last());
	else
		folio_archive_result_clear(&r);
	folio_site_free(site);
	free(zip);
	return error;
}

static int phase_verify(const bench *b)
{
	char **problems = NULL;
	size_t n = 0;
	char *zip = NULL;
	int error = 0;
	if (asprintf(&zip, "%s/folio.zip", b->out) < 0)
		abort();
	if (folio_archive_verify(&problems, &n, NULL, zip, NULL) < 0)
		error = fail("%s", folio_error_last());
	else if (n)
		error = fail("the archive did not verify: %s", problems[0]);
	folio_archive_problems_free(problems, n);
	free(zip);
	return error;
}

typedef struct {
	double wall, cpu, rss_mib;
} figures;

/* Run fn in a forked child; wall time around it, CPU and peak RSS (descendants included) from wait4. */
static int phase(figures *f, const char *label, int (*fn)(const bench *), const bench *b)
{
	struct rusage ru;
	int status = 0;
	pid_t pid;
	fflush(stdout);
	double t0 = now_s();
	if ((pid = fork()) < 0)
		return fail("cannot fork: %s", strerror(errno));
	if (pid == 0)
		_exit(fn(b) == 0 ? 0 : 1);
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			return fail("cannot wait: %s", strerror(errno));
	f->wall = now_s() - t0;
	f->cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
		 (double)ru.ru_stime.tv_usec / 1e6;
	f->rss_mib = (double)ru.ru_maxrss / 1024.0;
	printf("%-28s %8.2f s %8.2f s %8.1f MiB\n", label, f->wall, f->cpu, f->rss_mib);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : fail("phase '%s' failed", label);
}

static long long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static long long dir_size(const char *path)
{
	char cmd[4096];
	long long total = 0;
	snprintf(cmd, sizeof(cmd), "du -sb '%s' 2>/dev/null", path);
	FILE *p = popen(cmd, "r");
	if (p) {
		if (fscanf(p, "%lld", &total) != 1)
			total = -1;
		pclose(p);
	}
	return total;
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv)
{
	bench b = { 0 };
	char *made = NULL, *db = NULL;
	figures git1, git2, fol, ver;
	int rc = 0;
	struct stat st;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		if (i + 1 >= argc || (strcmp(a, "--site") != 0 && strcmp(a, "--mentors") != 0 && strcmp(a, "--out") != 0)) {
			fprintf(stderr, "folio-bench-archive: bad option '%s'\n%s", a, usage);
			return 2;
		}
		const char *v = argv[++i];
		if (strcmp(a, "--site") == 0)
			b.site = v;
		else if (strcmp(a, "--out") == 0)
			b.out = v;
		else {
			char *end;
			long n = strtol(v, &end, 10);
			if (*end || n <= 0) {
				fprintf(stderr, "folio-bench-archive: --mentors needs a positive number\n");
				return 2;
			}
			b.mentors = (size_t)n;
		}
	}
	if (!b.site) {
		fputs(usage, stderr);
		return 2;
	}

	/* the cohort: generated by folio-bench when missing */
	if (asprintf(&db, "%s/folio.db", b.site) < 0)
		abort();
	if (stat(db, &st) < 0) {
		char *self = strdup(argv[0]), *slash = strrchr(self, '/'), *gen = NULL, num[32];
		if (slash)
			*slash = '\0';
		if (asprintf(&gen, "%s/folio-bench", slash ? self : ".") < 0)
			abort();
		snprintf(num, sizeof(num), "%zu", b.mentors ? b.mentors : 1000);
		printf("no site in %s: generating it with %s --dir %s --mentors %s\n", b.site, gen, b.site, num);
		char *gargv[] = { gen, (char *)"--dir", (char *)b.site, (char *)"--mentors", num, NULL };
		if (run(gargv) < 0) {
			fail("cannot generate the cohort with %s (build it: make %s)", gen, gen);
			return 1;
		}
		free(gen);
		free(self);
	}
	free(db);
	if (read_site(&b) < 0)
		return 1;
	if (!b.out) {
		char t[] = "/tmp/folio-bench-archive-XXXXXX";
		if (!mkdtemp(t))
			return fail("cannot create a temporary directory"), 1;
		made = strdup(t);
		b.out = made;
	}

	printf("folio bench archive: %zu portfolios of %s, as '%s'; output in %s\n\n", b.nids, b.site, b.login, b.out);
	printf("%-28s %10s %10s %12s\n", "phase", "wall", "cpu", "peak RSS");
	printf("----------------------------------------------------------------\n");
	if (phase(&git1, "git bundle + git archive #1", phase_git, &b) < 0 ||
	    phase(&fol, "folio archive", phase_folio, &b) < 0 ||
	    phase(&git2, "git bundle + git archive #2", phase_git, &b) < 0 ||
	    phase(&ver, "folio archive verify", phase_verify, &b) < 0) {
		rc = 1;
		goto done;
	}
	{
		double base = git1.wall < git2.wall ? git1.wall : git2.wall;
		char *zip = NULL, *gdir = NULL;
		if (asprintf(&zip, "%s/folio.zip", b.out) < 0 || asprintf(&gdir, "%s/git", b.out) < 0)
			abort();
		printf("\nfolio archive / git (lower of the two git runs): %.2f (target <= %.2f)  %s\n", fol.wall / base, TARGET,
			fol.wall / base <= TARGET ? "PASS" : "MISS");
		printf("cpu: folio %.2f s, git %.2f s (ratio %.2f)\n", fol.cpu, git1.cpu < git2.cpu ? git1.cpu : git2.cpu,
			fol.cpu / (git1.cpu < git2.cpu ? git1.cpu : git2.cpu));
		printf("sizes: folio.zip %.1f MiB (bundles, Markdown, packs, records, badges); git bundles + zips %.1f MiB\n",
			(double)file_size(zip) / 1048576.0, (double)dir_size(gdir) / 1048576.0);
		free(zip);
		free(gdir);
	}
done:
	if (made) {
		char *rm[] = { (char *)"rm", (char *)"-rf", made, NULL };
		run(rm);
		free(made);
	}
	for (size_t i = 0; i < b.nids; i++)
		free(b.ids[i]);
	free(b.ids);
	free(b.login);
	return rc;
}
