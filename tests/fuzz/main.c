/*
 * tests/fuzz/main.c: plain driver for a fuzz target, for compilers without
 * libFuzzer. Replays every file named (a directory: every file in it,
 * sorted) through LLVMFuzzerTestOneInput, then prints one line
 * "fuzz NAME: N inputs replayed". Exit 1 when a file cannot be read; a
 * broken invariant aborts, naming the file on stderr first.
 */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		fprintf(stderr, "fuzz: cannot open '%s'\n", path);
		return -1;
	}
	do {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		fprintf(stderr, "fuzz: cannot read '%s'\n", path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	fprintf(stderr, "fuzz: %s\n", path);
	/* an exact-size copy, so reading one byte past the input is caught by the sanitizers as under libFuzzer */
	unsigned char *exact = malloc(len ? len : 1);
	if (!exact)
		abort();
	memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay(const char *path, size_t *count)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	int error = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "fuzz: no file '%s'\n", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (replay_file(path) < 0)
			return -1;
		(*count)++;
		return 0;
	}
	if (!(d = opendir(path))) {
		fprintf(stderr, "fuzz: cannot open directory '%s'\n", path);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		size_t len = strlen(path) + strlen(e->d_name) + 2;
		if (!names || !(names[n] = malloc(len)))
			abort();
		snprintf(names[n], len, "%s/%s", path, e->d_name);
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		if (error == 0 && replay(names[i], count) < 0)
			error = -1;
		free(names[i]);
	}
	free(names);
	return error;
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	size_t count = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", name);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (replay(argv[i], &count) < 0)
			return 1;
	if (strncmp(name, "fuzz_", 5) == 0)
		name += 5;
	printf("fuzz %s: %zu inputs replayed\n", name, count);
	return 0;
}
