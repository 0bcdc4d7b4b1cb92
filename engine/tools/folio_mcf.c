/* engine/tools/folio_mcf.c: `folio-mcf FILE` solves a DIMACS min-cost flow problem and prints its optimal cost. */
#include "folio/mcf.h"

#include <stdio.h>
#include <string.h>

/* Exit codes. */
enum {
	EXIT_SOLVED = 0,    /* optimal flow found; cost printed */
	EXIT_NO_FLOW = 1,   /* infeasible or unbounded problem, or a file that cannot be read */
	EXIT_USAGE = 2
};

static const char usage[] =
	"usage: folio-mcf [--help] [--version] FILE\n"
	"\n"
	"Solve the minimum-cost flow problem in FILE (DIMACS 'p min' format; '-' reads\n"
	"standard input) and print 'Min flow cost: N', as LEMON's dimacs-solver does.\n"
	"\n"
	"Exit status: 0 optimal flow found; 1 no feasible flow, unbounded cost, or\n"
	"the file cannot be read; 2 bad usage.\n";

int main(int argc, char **argv)
{
	const char *path = NULL;
	folio_mcf *g = NULL;
	folio_mcf_status status;
	long long cost = 0;
	int code = EXIT_NO_FLOW, i, opts = 1;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (opts && strcmp(a, "--") == 0) {
			opts = 0;
		} else if (opts && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
			fputs(usage, stdout);
			return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_SOLVED : EXIT_NO_FLOW;
		} else if (opts && strcmp(a, "--version") == 0) {
			printf("folio-mcf %s\n", FOLIO_VERSION);
			return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_SOLVED : EXIT_NO_FLOW;
		} else if (opts && a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "folio-mcf: unknown option '%s'\n%s", a, usage);
			return EXIT_USAGE;
		} else if (path) {
			fprintf(stderr, "folio-mcf: one FILE only, got '%s' and '%s'\n%s", path, a, usage);
			return EXIT_USAGE;
		} else {
			path = a;
		}
	}
	if (!path) {
		fprintf(stderr, "folio-mcf: no FILE given\n%s", usage);
		return EXIT_USAGE;
	}

	if (folio_mcf_load_dimacs(&g, path) < 0) {
		fprintf(stderr, "folio-mcf: %s\n", folio_error_last()); /* names the file and line */
		goto cleanup;
	}
	if (folio_mcf_solve(&status, &cost, g) < 0) {
		fprintf(stderr, "folio-mcf: %s: %s\n", strcmp(path, "-") == 0 ? "<stdin>" : path, folio_error_last());
		goto cleanup;
	}
	switch (status) {
	case FOLIO_MCF_OPTIMAL:
		printf("Min flow cost: %lld\n", cost);
		code = EXIT_SOLVED;
		break;
	case FOLIO_MCF_INFEASIBLE:
		puts("No feasible flow");
		break;
	case FOLIO_MCF_UNBOUNDED:
		puts("Unbounded: a negative-cost cycle has infinite capacity");
		break;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fputs("folio-mcf: cannot write to standard output\n", stderr);
		code = EXIT_NO_FLOW;
	}
cleanup:
	folio_mcf_free(g);
	return code;
}
