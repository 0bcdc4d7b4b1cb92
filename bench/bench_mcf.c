/* bench/bench_mcf.c: folio-bench-mcf times folio-mcf against LEMON's dimacs-solver on panel-assignment networks. */
#include "folio/mcf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Target from the issue: folio-mcf wall time / dimacs-solver wall time. */
#define TARGET_RATIO 1.0

/* The panel network (bench/README-mcf.md). */
#define REVIEWS_PER_SUBMISSION 2
#define CONFLICT_PCT 5        /* submission-reviewer pairs that may not meet */
#define CONTINUITY_PCT 10     /* pairs where the reviewer saw the mentor before */
#define PHASE_MISMATCH_COST 3
#define CONTINUITY_BONUS 2
#define LOAD_MIN 8            /* a reviewer's capacity, drawn from LOAD_MIN..LOAD_MAX */
#define LOAD_MAX 20
#define SLACK_PCT 10          /* total reviewer capacity at least this much above the demand */

#define DEFAULT_SIZES "1000x150,2000x300,3000x400"
#define DEFAULT_REPS 5
#define DEFAULT_SEED 2024ULL

typedef struct {
	size_t P, U;
} bench_size;

typedef struct {
	double wall;    /* seconds */
	double rss_mib; /* peak resident set */
	long long cost;
	int solved;     /* printed a "Min flow cost" line */
} run_result;

static const char usage[] =
	"usage: folio-bench-mcf [--reps N] [--sizes PxU[,PxU...]] [--seed N] [--keep]\n"
	"\n"
	"Generate panel-assignment networks (P submissions x U reviewers, 2 reviews\n"
	"each), write them as DIMACS files to a temporary directory, and time\n"
	"folio-mcf (next to this program) and dimacs-solver (LEMON, on PATH) on each,\n"
	"N times, keeping the fastest run. Prints both times, their ratio and PASS or\n"
	"MISS against the target ratio <= 1.00. Exits 0 after measuring; 1 when a\n"
	"program fails or the two optimal costs differ; 2 on bad usage.\n"
	"\n"
	"  --reps N      runs of each program per network (default 5)\n"
	"  --sizes LIST  networks to build (default " DEFAULT_SIZES ")\n"
	"  --seed N      seed of the generator (default 2024)\n"
	"  --keep        keep the DIMACS files and print where they are\n";

/* ------------------------------------------------------------ helpers */

/* Print "folio-bench-mcf: message" on stderr; returns -1. */
static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
	va_list ap;
	fputs("folio-bench-mcf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* splitmix64: the same networks for the same seed on every machine */
static unsigned long long rng_next(unsigned long long *s)
{
	unsigned long long z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static long long rng_range(unsigned long long *s, long long lo, long long hi)
{
	return lo + (long long)(rng_next(s) % (unsigned long long)(hi - lo + 1));
}

static char *join_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (!p) {
		fail("out of memory");
		exit(1);
	}
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* ------------------------------------------------------------ options */

static int parse_sizes(bench_size **out, size_t *n, const char *list)
{
	const char *p = list;

	*out = NULL;
	*n = 0;
	while (*p) {
		char *end;
		unsigned long P, U;
		errno = 0;
		P = strtoul(p, &end, 10);
		if (end == p || (*end != 'x' && *end != 'X') || errno)
			return -1;
		p = end + 1;
		U = strtoul(p, &end, 10);
		if (end == p || (*end != ',' && *end != '\0') || errno || P < 1 || U < REVIEWS_PER_SUBMISSION ||
		    P > 1000000 || U > 100000)
			return -1;
		*out = realloc(*out, (*n + 1) * sizeof(**out));
		if (!*out)
			return -1;
		(*out)[*n].P = P;
		(*out)[*n].U = U;
		(*n)++;
		p = *end ? end + 1 : end;
	}
	return *n ? 0 : -1;
}

/* ------------------------------------------------------------ the network */

/*
 * Submissions 1..P (supply 2 each), reviewers P+1..P+U, sink P+U+1 (demand
 * 2P). Arc p -> u (capacity 1) unless the pair is a conflict; its cost is 3
 * when their phases differ, less 2 when the reviewer saw the mentor before.
 * Reviewer u has a capacity c in 8..20 and c parallel unit arcs to the sink
 * costing 1, 2, 4, ..., 2^(c-1): each further review costs twice the last,
 * which spreads the load. Capacities are raised (never past 20) until they
 * exceed the demand by 10%, and every submission keeps at least 2 reviewers,
 * so every network has a feasible flow.
 */
static int build_network(folio_mcf **out, size_t P, size_t U, unsigned long long seed)
{
	unsigned long long s = seed ^ (P * 1000003ULL + U);
	size_t t = P + U, p, u, total = 0, need = REVIEWS_PER_SUBMISSION * P * (100 + SLACK_PCT) / 100;
	unsigned char *sub_phase = malloc(P), *rev_phase = malloc(U), *conflict = malloc(U);
	int *load = malloc(U * sizeof(int));
	folio_mcf *g = NULL;
	int error = 0;

	*out = NULL;
	if (!sub_phase || !rev_phase || !conflict || !load) {
		error = fail("out of memory");
		goto cleanup;
	}
	if (need > (size_t)LOAD_MAX * U) {
		error = fail("%zux%zu cannot be feasible: %zu reviewers take at most %d reviews each", P, U, U, LOAD_MAX);
		goto cleanup;
	}
	if (folio_mcf_new(&g, P + U + 1) < 0) {
		error = fail("%s", folio_error_last());
		goto cleanup;
	}
	for (p = 0; p < P; p++)
		sub_phase[p] = (unsigned char)rng_range(&s, 0, 1);
	for (u = 0; u < U; u++) {
		rev_phase[u] = (unsigned char)rng_range(&s, 0, 1);
		load[u] = (int)rng_range(&s, LOAD_MIN, LOAD_MAX);
		total += (size_t)load[u];
	}
	for (u = 0; total < need; u = (u + 1) % U) {
		if (load[u] < LOAD_MAX) {
			load[u]++;
			total++;
		}
	}

	for (p = 0; p < P; p++) {
		size_t free_reviewers = 0;
		folio_mcf_set_supply(g, p, REVIEWS_PER_SUBMISSION);
		for (u = 0; u < U; u++) {
			conflict[u] = rng_range(&s, 1, 100) <= CONFLICT_PCT;
			free_reviewers += !conflict[u];
		}
		for (u = 0; free_reviewers < REVIEWS_PER_SUBMISSION; u++) {
			if (conflict[u]) {
				conflict[u] = 0;
				free_reviewers++;
			}
		}
		for (u = 0; u < U; u++) {
			long long cost = sub_phase[p] != rev_phase[u] ? PHASE_MISMATCH_COST : 0;
			if (rng_range(&s, 1, 100) <= CONTINUITY_PCT)
				cost -= CONTINUITY_BONUS;
			if (!conflict[u])
				folio_mcf_add_arc(NULL, g, p, P + u, 0, 1, cost);
		}
	}
	for (u = 0; u < U; u++)
		for (int k = 0; k < load[u]; k++)
			folio_mcf_add_arc(NULL, g, P + u, t, 0, 1, 1LL << k);
	folio_mcf_set_supply(g, t, -(long long)(REVIEWS_PER_SUBMISSION * P));
	*out = g;
	g = NULL;
cleanup:
	folio_mcf_free(g);
	free(sub_phase);
	free(rev_phase);
	free(conflict);
	free(load);
	return error;
}

/* ------------------------------------------------------------ running the solvers */

/*
 * Run argv with stdout and stderr into `log`, timing it from fork to reap.
 * dimacs-solver reports on stderr, folio-mcf on stdout: the log holds both.
 */
static int run(run_result *r, char *const argv[], const char *log)
{
	struct rusage ru;
	double start;
	int status, fd;
	pid_t pid;
	char line[512];
	FILE *f;

	memset(r, 0, sizeof(*r));
	start = now();
	pid = fork();
	if (pid < 0)
		return fail("cannot fork: %s", strerror(errno));
	if (pid == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		close(fd);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0)
		return fail("cannot wait for %s: %s", argv[0], strerror(errno));
	r->wall = now() - start;
	r->rss_mib = (double)ru.ru_maxrss / 1024.0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return fail("%s %s failed (status %d); its output is in %s", argv[0], argv[1], status, log);
	f = fopen(log, "r");
	if (!f)
		return fail("cannot read %s: %s", log, strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Min flow cost: %lld", &r->cost) == 1)
			r->solved = 1;
	fclose(f);
	if (!r->solved)
		return fail("%s printed no 'Min flow cost' line; its output is in %s", argv[0], log);
	return 0;
}

/* folio-mcf sits next to this program (both are built into the same directory). */
static char *find_folio_mcf(const char *argv0)
{
	char *self = NULL, *slash, *path;
	struct stat st;

	if (strchr(argv0, '/')) {
		self = strdup(argv0);
	} else {
		/* run from PATH: ask the kernel where this program is */
		size_t size = 256;
		for (;;) {
			ssize_t n;
			self = realloc(self, size);
			if (!self)
				break;
			n = readlink("/proc/self/exe", self, size);
			if (n < 0) {
				free(self);
				self = NULL;
				break;
			}
			if ((size_t)n < size) {
				self[n] = '\0';
				break;
			}
			size *= 2;
		}
	}
	if (!self) {
		fail("cannot find the directory of %s", argv0);
		return NULL;
	}
	slash = strrchr(self, '/');
	*slash = '\0';
	path = join_path(*self ? self : "/", "folio-mcf");
	free(self);
	if (stat(path, &st) != 0 || access(path, X_OK) != 0) {
		fail("%s is missing: build it first (make bench builds it)", path);
		free(path);
		return NULL;
	}
	return path;
}

static void remove_tree(const char *dir, bench_size *sizes, size_t nsizes)
{
	static const char *const logs[] = { "folio-mcf.log", "dimacs-solver.log" };
	char name[64];
	for (size_t i = 0; i < nsizes; i++) {
		snprintf(name, sizeof(name), "panel-%zux%zu.min", sizes[i].P, sizes[i].U);
		char *p = join_path(dir, name);
		unlink(p);
		free(p);
	}
	for (size_t i = 0; i < 2; i++) {
		char *p = join_path(dir, logs[i]);
		unlink(p);
		free(p);
	}
	rmdir(dir);
}

int main(int argc, char **argv)
{
	const char *sizes_arg = DEFAULT_SIZES, *tmp = getenv("TMPDIR");
	bench_size *sizes = NULL;
	size_t nsizes = 0, i;
	unsigned long long seed = DEFAULT_SEED;
	long reps = DEFAULT_REPS;
	int keep = 0, code = 0;
	char *dir = NULL, *tool = NULL;

	for (int a = 1; a < argc; a++) {
		char *end;
		if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strcmp(argv[a], "--keep") == 0) {
			keep = 1;
		} else if (strcmp(argv[a], "--reps") == 0 && a + 1 < argc) {
			reps = strtol(argv[++a], &end, 10);
			if (*end || reps < 1 || reps > 1000) {
				fail("bad --reps '%s': a count from 1 to 1000", argv[a]);
				return 2;
			}
		} else if (strcmp(argv[a], "--sizes") == 0 && a + 1 < argc) {
			sizes_arg = argv[++a];
		} else if (strcmp(argv[a], "--seed") == 0 && a + 1 < argc) {
			seed = strtoull(argv[++a], &end, 10);
			if (*end || !*argv[a]) {
				fail("bad --seed '%s': a number", argv[a]);
				return 2;
			}
		} else {
			fprintf(stderr, "folio-bench-mcf: unknown or incomplete option '%s'\n%s", argv[a], usage);
			return 2;
		}
	}
	if (parse_sizes(&sizes, &nsizes, sizes_arg) < 0) {
		fail("bad --sizes '%s': expected PxU[,PxU...] with P >= 1 and U >= %d", sizes_arg, REVIEWS_PER_SUBMISSION);
		free(sizes);
		return 2;
	}
	for (i = 0; i < nsizes; i++) {
		if (REVIEWS_PER_SUBMISSION * sizes[i].P * (100 + SLACK_PCT) / 100 > (size_t)LOAD_MAX * sizes[i].U) {
			fail("bad --sizes: %zux%zu cannot be feasible: %zu reviewers take at most %d reviews each",
				sizes[i].P, sizes[i].U, sizes[i].U, LOAD_MAX);
			free(sizes);
			return 2;
		}
	}
	if (!(tool = find_folio_mcf(argv[0]))) {
		free(sizes);
		return 1;
	}
	if (system("command -v dimacs-solver >/dev/null 2>&1") != 0) {
		fail("dimacs-solver (LEMON) is not installed: install the Debian package liblemon-utils (make deps does)");
		free(sizes);
		free(tool);
		return 1;
	}
	dir = join_path(tmp && *tmp ? tmp : "/tmp", "folio-bench-mcf-XXXXXX");
	if (!mkdtemp(dir)) {
		fail("cannot make a directory in %s: %s", tmp && *tmp ? tmp : "/tmp", strerror(errno));
		free(dir);
		free(sizes);
		free(tool);
		return 1;
	}

	printf("folio-bench-mcf: panel-assignment networks, seed %llu, fastest of %ld runs each\n", seed, reps);
	printf("target: folio-mcf wall time <= %.2f x dimacs-solver (LEMON network simplex, default options)\n\n", TARGET_RATIO);
	printf("%-10s %6s %8s %6s | %10s %8s | %10s %8s | %6s %-6s | %s\n", "P x U", "nodes", "arcs", "MiB",
		"folio-mcf", "RSS", "dimacs-sol", "RSS", "ratio", "target", "min cost");
	for (i = 0; i < nsizes; i++) {
		char name[64], *file, *log_f, *log_l, label[32];
		folio_mcf *g = NULL;
		run_result best_f = { 0, 0, 0, 0 }, best_l = { 0, 0, 0, 0 };
		struct stat st;
		long long cost = 0;
		int mismatch = 0;

		snprintf(name, sizeof(name), "panel-%zux%zu.min", sizes[i].P, sizes[i].U);
		file = join_path(dir, name);
		log_f = join_path(dir, "folio-mcf.log");
		log_l = join_path(dir, "dimacs-solver.log");
		if (build_network(&g, sizes[i].P, sizes[i].U, seed) < 0 ||
		    folio_mcf_save_dimacs(g, file, "folio-bench-mcf panel-assignment network") < 0) {
			if (g)
				fail("%s", folio_error_last());
			code = 1;
			goto next;
		}
		stat(file, &st);
		for (long r = 0; r < reps; r++) {
			char *fa[] = { tool, file, NULL };
			char *la[] = { (char *)"dimacs-solver", file, NULL };
			run_result rf, rl;
			if (run(&rf, fa, log_f) < 0 || run(&rl, la, log_l) < 0) {
				code = 1;
				goto next;
			}
			if (r == 0)
				cost = rf.cost;
			if (rf.cost != cost || rl.cost != cost) {
				mismatch = 1;
				fail("%s: optimal costs differ: folio-mcf %lld, dimacs-solver %lld", name, rf.cost, rl.cost);
			}
			if (r == 0 || rf.wall < best_f.wall)
				best_f = rf;
			if (r == 0 || rl.wall < best_l.wall)
				best_l = rl;
		}
		snprintf(label, sizeof(label), "%zux%zu", sizes[i].P, sizes[i].U);
		printf("%-10s %6zu %8zu %6.1f | %8.3f s %4.0f MiB | %8.3f s %4.0f MiB | %6.2f %-6s | %lld%s\n", label,
			folio_mcf_node_count(g), folio_mcf_arc_count(g), (double)st.st_size / 1048576.0,
			best_f.wall, best_f.rss_mib, best_l.wall, best_l.rss_mib, best_f.wall / best_l.wall,
			best_f.wall / best_l.wall <= TARGET_RATIO ? "PASS" : "MISS", cost, mismatch ? " (COSTS DIFFER)" : "");
		fflush(stdout);
		if (mismatch)
			code = 1;
next:
		folio_mcf_free(g);
		free(file);
		free(log_f);
		free(log_l);
	}
	if (keep || code != 0)
		printf("\nnetworks and logs kept in %s\n", dir);
	else
		remove_tree(dir, sizes, nsizes);
	free(dir);
	free(sizes);
	free(tool);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fail("cannot write to standard output");
		return 1;
	}
	return code;
}
