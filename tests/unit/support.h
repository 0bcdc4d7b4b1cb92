/* tests/unit/support.h: helpers shared by the engine unit tests (cmocka). */
#ifndef FOLIO_TEST_SUPPORT_H
#define FOLIO_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Absolute path of the repository's standards/ directory. */
#define TEST_STANDARDS_DIR FOLIO_STANDARDS_DIR

/* Make a fresh empty directory under $TMPDIR; returns malloc'd path. */
char *test_tmpdir(const char *tag);
/* rm -rf a directory made by test_tmpdir. */
void test_rmdir(const char *path);
/* Read a file into a malloc'd NUL-terminated string (fails the test if missing). */
char *test_read(const char *path, size_t *len);

#endif
