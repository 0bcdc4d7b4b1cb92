/* tests/unit/support.h: helpers shared by the engine unit tests (cmocka). */
#ifndef FOLIO_TEST_SUPPORT_H
#define FOLIO_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "folio/site.h"

/* Absolute path of the repository's standards/ directory. */
#define TEST_STANDARDS_DIR FOLIO_STANDARDS_DIR

/* Make a fresh empty directory under $TMPDIR; returns malloc'd path. */
char *test_tmpdir(const char *tag);
/* rm -rf a directory made by test_tmpdir. */
void test_rmdir(const char *path);
/* Read a file into a malloc'd NUL-terminated string (fails the test if missing). */
char *test_read(const char *path, size_t *len);

/* Fail the test unless `rc` is `code`, naming the call and the last folio error. */
#define assert_rc(rc, code) do { \
	int rc_ = (rc); \
	if (rc_ != (code)) \
		fail_msg("%s returned %d, expected %d (last error: %s)", #rc, rc_, (int)(code), folio_error_last()); \
} while (0)
#define assert_ok(rc) assert_rc(rc, 0)

/*
 * Create a site in `dir` whose first admin is "adm" (Ada Admin,
 * ada@example.org) bound to `login`, with the repository's standards; open
 * it into *out and act as that admin. Returns 0, or -1 after printing why.
 */
int test_site_create(folio_site **out, const char *dir, const char *login);

/* Run SQL on the site's database directly (fixtures the API cannot make); fail the test when it fails. */
void test_sql(folio_site *site, const char *sql);
/* The same with printf formatting. */
void test_sqlf(folio_site *site, const char *f, ...) __attribute__((format(printf, 2, 3)));

/* Fail the test unless `needle` is in `hay` (NULL counts as absent). */
void assert_has(const char *hay, const char *needle);
/* Fail the test unless `needle` is in the last folio error message. */
void assert_msg(const char *needle);
/* printf into a new string (free it). */
char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
/* Run a shell command (e.g. the git command line); fail the test when it fails. */
void sh(const char *f, ...) __attribute__((format(printf, 1, 2)));

#endif
