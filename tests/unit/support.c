/* tests/unit/support.c: sandbox directories and file reading for unit tests. */
#include "support.h"

#include <stdarg.h>
#include <stdio.h>
#include "folio/common.h"
#include "site_internal.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *test_tmpdir(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char *path = malloc(4096);
	snprintf(path, 4096, "%s/folio-test-%s-XXXXXX", base && *base ? base : "/tmp", tag);
	if (!mkdtemp(path))
		fail_msg("mkdtemp failed for %s", path);
	return path;
}

void test_rmdir(const char *path)
{
	char cmd[8192];
	if (!path || strstr(path, "folio-test-") == NULL)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", path);
}

char *test_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail_msg("cannot read %s", path);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

void assert_has(const char *hay, const char *needle)
{
	if (!hay || !strstr(hay, needle))
		fail_msg("expected \"%s\" in \"%s\"", needle, hay ? hay : "(null)");
}

void assert_msg(const char *needle)
{
	assert_has(folio_error_last(), needle);
}

char *fmt(const char *f, ...)
{
	va_list ap;
	int n;
	char *p;
	va_start(ap, f);
	n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	p = malloc((size_t)n + 1);
	va_start(ap, f);
	vsnprintf(p, (size_t)n + 1, f, ap);
	va_end(ap);
	return p;
}

void sh(const char *f, ...)
{
	va_list ap;
	int n, rc;
	char *cmd;
	va_start(ap, f);
	n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	cmd = malloc((size_t)n + 1);
	va_start(ap, f);
	vsnprintf(cmd, (size_t)n + 1, f, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
	free(cmd);
}

int test_site_create(folio_site **out, const char *dir, const char *login)
{
	folio_init_options o = { 0 };
	o.admin_id = "adm";
	o.admin_name = "Ada Admin";
	o.admin_email = "ada@example.org";
	o.standards_dir = TEST_STANDARDS_DIR;
	*out = NULL;
	if (folio_site_init(dir, login, &o) != 0 || folio_site_open(out, dir) != 0 ||
	    folio_site_act(*out, login, NULL) != 0) {
		fprintf(stderr, "site set-up failed: %s\n", folio_error_last());
		return -1;
	}
	return 0;
}

void test_sql(folio_site *site, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(site->db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("SQL failed: %s: %s", sql, err ? err : "?");
}

void test_sqlf(folio_site *site, const char *f, ...)
{
	va_list ap;
	char *text;
	int n;
	va_start(ap, f);
	n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	text = malloc((size_t)n + 1);
	va_start(ap, f);
	vsnprintf(text, (size_t)n + 1, f, ap);
	va_end(ap);
	test_sql(site, text);
	free(text);
}
