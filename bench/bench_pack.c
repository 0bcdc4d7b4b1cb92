/* bench/bench_pack.c: folio-bench-pack renders the pack of every portfolio of a cohort and compares it with the cmark command line on the same Markdown. */
#include "folio.h"

#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TARGET_RATIO 1.5 /* pack / cmark */
#define RUNS 2           /* each side runs twice by default; the lower time counts */

extern char **environ;

static const char usage[] =
	"usage: folio-bench-pack --site DIR [--mentors N] [--entries N] [--runs N] [--cmark CMD] [--bench PATH]\n"
	"\n"
	"Renders folio's pack of every portfolio of the cohort in DIR (folio_pack_render, in this\n"
	"process) and runs the cmark command line once per portfolio on the same Markdown, and\n"
	"prints both times and their ratio against the target (pack <= 1.5 x cmark).\n"
	"When DIR is not a site yet, the cohort is made first by folio-bench (--mentors, --entries).\n"
	"\n"
	"  --site DIR    the cohort (made by 'folio-bench --dir DIR --keep' when missing)\n"
	"  --mentors N   portfolios to make when generating (default 1000); all are measured\n"
	"  --entries N   entries per portfolio when generating (default 30)\n"
	"  --runs N      times each side runs; the lowest time counts (default 2)\n"
	"  --cmark CMD   the cmark command (default: cmark)\n"
	"  --bench PATH  folio-bench to generate with (default: beside this program)\n";

/* CPU seconds (user + system) of this process, its threads included, or of its children waited for. */
static double cpu(int who)
{
	struct rusage ru;
	getrusage(who, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int die(const char *fmt, ...)
{
	va_list ap;
	fputs("folio-bench-pack: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		abort();
	return p;
}

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *p = malloc((size_t)n + 1);
	if (!p)
		abort();
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

/*
 * Run argv, stdout to /dev/null unless keep_out; 0 when it exits 0. With
 * posix_spawnp (a vfork in glibc), as a shell starts a command: a fork()
 * would first copy the page tables of this process, whose heap grows with
 * the packs, and charge that to the cmark side.
 */
static int run(char *const argv[], int keep_out)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, rc;
	fflush(stdout);
	posix_spawn_file_actions_init(&fa);
	if (!keep_out)
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

typedef struct {
	char *mentor;
	char **files; /* the entries as extracted files: argv for cmark */
	size_t nfiles;
	size_t bytes;
} portfolio;

typedef struct {
	char *dir;
	size_t n;
} walk_ctx;

/* Write every *.md blob of the tip of main into dir (names flattened); fills p. */
static int extract(portfolio *p, folio_site *site, const char *dir)
{
	char *repo_path = folio_portfolio_repo_path(site, p->mentor);
	git_repository *repo = NULL;
	git_reference *ref = NULL;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	int error = -1;

	mkdir(dir, 0777);
	if (git_repository_open_bare(&repo, repo_path) < 0 || git_reference_lookup(&ref, repo, "refs/heads/main") < 0 ||
	    git_commit_lookup(&commit, repo, git_reference_target(ref)) < 0 || git_commit_tree(&tree, commit) < 0)
		goto done;
	for (size_t i = 0; i < git_tree_entrycount(tree); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(e);
		size_t len = strlen(name);
		git_blob *blob = NULL;
		if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || len < 4 || strcmp(name + len - 3, ".md") != 0)
			continue;
		if (git_blob_lookup(&blob, repo, git_tree_entry_id(e)) < 0)
			goto done;
		char *path = xprintf("%s/%s", dir, name);
		FILE *f = fopen(path, "wb");
		size_t size = (size_t)git_blob_rawsize(blob);
		if (!f || fwrite(git_blob_rawcontent(blob), 1, size, f) != size || fclose(f) != 0) {
			git_blob_free(blob);
			free(path);
			goto done;
		}
		git_blob_free(blob);
		p->files = realloc(p->files, (p->nfiles + 2) * sizeof(char *));
		if (!p->files)
			abort();
		p->files[p->nfiles++] = path;
		p->files[p->nfiles] = NULL;
		p->bytes += size;
	}
	error = 0;
done:
	git_tree_free(tree);
	git_commit_free(commit);
	git_reference_free(ref);
	git_repository_free(repo);
	free(repo_path);
	return error;
}

int main(int argc, char **argv)
{
	const char *site_dir = NULL, *cmark = "cmark", *bench = NULL, *mentors = "1000", *entries = "30";
	int runs = RUNS;
	folio_site *site = NULL;
	folio_portfolio *list = NULL;
	portfolio *ps = NULL;
	size_t n = 0, nentries = 0, md_bytes = 0, html_bytes = 0;
	double best_cmark = 0, best_pack = 0, cpu_cmark = 0, cpu_pack = 0;
	char *db = NULL, *extract_dir = NULL;
	struct stat sb;
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		if (!v)
			return die("option '%s' needs a value\n%s", a, usage), 2;
		if (strcmp(a, "--site") == 0)
			site_dir = v;
		else if (strcmp(a, "--cmark") == 0)
			cmark = v;
		else if (strcmp(a, "--bench") == 0)
			bench = v;
		else if (strcmp(a, "--mentors") == 0)
			mentors = v;
		else if (strcmp(a, "--entries") == 0)
			entries = v;
		else if (strcmp(a, "--runs") == 0) {
			char *end;
			long r = strtol(v, &end, 10);
			if (*end || end == v || r < 1 || r > 100)
				return die("--runs must be a number from 1 to 100, not '%s'", v), 2;
			runs = (int)r;
		} else
			return die("unknown option '%s'\n%s", a, usage), 2;
		i++;
	}
	if (!site_dir)
		return die("--site DIR is required\n%s", usage), 2;

	/* the cohort: made by folio-bench when DIR is not a site yet */
	db = xprintf("%s/folio.db", site_dir);
	if (stat(db, &sb) != 0) {
		char *self_dir = xstrdup(argv[0]), *slash = strrchr(self_dir, '/');
		char *gen = bench ? xstrdup(bench) : xprintf("%s/folio-bench", slash ? (*slash = '\0', self_dir) : ".");
		char *args[] = { gen, (char *)"--dir", (char *)site_dir, (char *)"--keep", (char *)"--mentors",
			(char *)mentors, (char *)"--entries", (char *)entries, NULL };
		printf("no site in '%s': generating a cohort with %s (%s mentors x %s entries)\n", site_dir, gen, mentors, entries);
		fflush(stdout);
		int ok = run(args, 1) == 0;
		free(gen);
		free(self_dir);
		if (!ok || stat(db, &sb) != 0)
			return die("could not generate the cohort in '%s'", site_dir);
	}

	/* the engine binds the bench site to $LOGNAME, or to "bench" (bench/bench.c) */
	const char *login = getenv("LOGNAME");
	if (folio_site_open(&site, site_dir) < 0 || folio_site_act(site, login && *login ? login : "bench", NULL) < 0) {
		rc = die("%s", folio_error_last());
		goto cleanup;
	}
	if (folio_portfolio_list(&list, &n, site) < 0) {
		rc = die("%s", folio_error_last());
		goto cleanup;
	}
	/* untimed: the evidence cache is brought up to date (packs read coverage through it), and the entries extracted */
	printf("indexing and extracting %zu portfolios (untimed)\n", n);
	fflush(stdout);
	if (folio_index_update(site, NULL, 0, NULL, NULL, NULL) < 0) {
		rc = die("%s", folio_error_last());
		goto cleanup;
	}
	extract_dir = xprintf("%s/bench-pack-md", site_dir);
	mkdir(extract_dir, 0777);
	ps = calloc(n ? n : 1, sizeof(*ps));
	for (size_t i = 0; i < n; i++) {
		char *dir = xprintf("%s/%s", extract_dir, list[i].mentor);
		ps[i].mentor = xstrdup(list[i].mentor);
		int e = extract(&ps[i], site, dir);
		free(dir);
		if (e < 0) {
			rc = die("cannot extract the entries of '%s'", ps[i].mentor);
			goto cleanup;
		}
		nentries += ps[i].nfiles;
		md_bytes += ps[i].bytes;
	}

	for (int r = 0; r < runs; r++) {
		/* cmark: one process per portfolio, all its entries on the command line */
		double c0 = cpu(RUSAGE_SELF) + cpu(RUSAGE_CHILDREN);
		double t0 = now();
		for (size_t i = 0; i < n; i++) {
			char **args = calloc(ps[i].nfiles + 2, sizeof(char *));
			args[0] = (char *)cmark;
			for (size_t k = 0; k < ps[i].nfiles; k++)
				args[k + 1] = ps[i].files[k];
			int e = run(args, 0);
			free(args);
			if (e < 0) {
				rc = die("'%s' failed on the entries of '%s' (is the Debian package cmark installed?)", cmark,
					ps[i].mentor);
				goto cleanup;
			}
		}
		double tc = now() - t0;
		double cc = cpu(RUSAGE_SELF) + cpu(RUSAGE_CHILDREN) - c0;
		/* folio: the pack of each portfolio, in this process */
		html_bytes = 0;
		c0 = cpu(RUSAGE_SELF);
		t0 = now();
		for (size_t i = 0; i < n; i++) {
			char *html = NULL;
			size_t len = 0;
			if (folio_pack_render(&html, &len, site, ps[i].mentor) < 0) {
				rc = die("pack of '%s': %s", ps[i].mentor, folio_error_last());
				goto cleanup;
			}
			html_bytes += len;
			free(html);
		}
		double tp = now() - t0;
		double cp = cpu(RUSAGE_SELF) - c0;
		printf("run %d: cmark %.3f s (cpu %.3f s), pack %.3f s (cpu %.3f s)\n", r + 1, tc, cc, tp, cp);
		if (r == 0 || tc < best_cmark)
			best_cmark = tc, cpu_cmark = cc;
		if (r == 0 || tp < best_pack)
			best_pack = tp, cpu_pack = cp;
	}

	double ratio = best_cmark > 0 ? best_pack / best_cmark : 0;
	printf("\nportfolios %zu, entries %zu, Markdown %.1f MiB, pack HTML %.1f MiB\n", n, nentries,
		(double)md_bytes / 1048576.0, (double)html_bytes / 1048576.0);
	printf("%-34s %9s    %-16s %s\n", "", "wall", "", "cpu (user+sys)");
	printf("%-34s %9.3f s  %7.2f ms/portfolio  %7.3f s\n", "cmark CLI (one process each)", best_cmark,
		n ? 1000.0 * best_cmark / (double)n : 0.0, cpu_cmark);
	printf("%-34s %9.3f s  %7.2f ms/portfolio  %7.3f s\n", "folio_pack_render", best_pack,
		n ? 1000.0 * best_pack / (double)n : 0.0, cpu_pack);
	printf("%-34s %9.2f    target <= %.2f  %s\n", "pack / cmark (wall)", ratio, TARGET_RATIO,
		ratio <= TARGET_RATIO ? "PASS" : "MISS");
	printf("%-34s %9.2f    (not a target: the pack renders its entries on a second thread when it may use two CPUs)\n",
		"pack / cmark (cpu)", cpu_cmark > 0 ? cpu_pack / cpu_cmark : 0.0);
	rc = 0;
cleanup:
	for (size_t i = 0; ps && i < n; i++) {
		for (size_t k = 0; k < ps[i].nfiles; k++)
			free(ps[i].files[k]);
		free(ps[i].files);
		free(ps[i].mentor);
	}
	free(ps);
	folio_portfolios_free(list, n);
	folio_site_free(site);
	free(extract_dir);
	free(db);
	return rc;
}
