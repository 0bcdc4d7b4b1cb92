/* engine/util.h: private helpers shared by engine modules: allocation, growable buffer, error setting. */
#ifndef FOLIO_UTIL_H
#define FOLIO_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include "folio/common.h"

/* Allocation that never returns NULL: out of memory aborts (see common.h). */
void *folio_malloc(size_t n);
void *folio_calloc(size_t n, size_t size);
void *folio_realloc(void *p, size_t n);
char *folio_strdup(const char *s);
/*
 * Room for `need` elements of `size` bytes in array v of capacity *cap
 * (elements): grows by half again, so filling a list of n rows copies
 * O(n) bytes, not O(n^2) (an allocator that never grows in place, such as
 * AddressSanitizer's, makes the difference). Returns the array.
 */
void *folio_grow(void *v, size_t *cap, size_t need, size_t size);
char *folio_strndup(const char *s, size_t n);
/* printf into a new string (caller frees). */
char *folio_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Set the thread's last error and return code, so `return folio_error_set(...)` reads well. */
int folio_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Growable byte buffer. Rules: `ptr` is always NUL-terminated (after init it
 * points to a static ""), `size` excludes the NUL, and a buffer is released
 * with folio_buf_free(). Never write past `size`.
 */
typedef struct {
	char *ptr;
	size_t size, asize;
} folio_buf;

#define FOLIO_BUF_INIT { (char *)folio_buf__empty, 0, 0 }
extern const char folio_buf__empty[];

void folio_buf_init(folio_buf *b);
void folio_buf_free(folio_buf *b);
void folio_buf_clear(folio_buf *b);
void folio_buf_grow(folio_buf *b, size_t extra);
void folio_buf_put(folio_buf *b, const char *data, size_t len);
void folio_buf_puts(folio_buf *b, const char *s);
void folio_buf_putc(folio_buf *b, char c);
void folio_buf_printf(folio_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void folio_buf_vprintf(folio_buf *b, const char *fmt, va_list ap);
/* Hand the contents to the caller (malloc'd, NUL-terminated) and reset the buffer. */
char *folio_buf_detach(folio_buf *b);

/* Read a whole file; *out owned by caller. FOLIO_ENOTFOUND when missing. */
int folio_read_file(char **out, size_t *len, const char *path);

/* Characters (UTF-8 code points) in the first `bytes` bytes of s. */
size_t folio_utf8_chars(const char *s, size_t bytes);

/*
 * Free text given to the engine (a comment, a reason, a note, a name) must
 * be UTF-8: JSON output, pages and messages carry it. 0 when `s` is (or is
 * NULL); else FOLIO_EINVALID, "WHAT is not valid UTF-8 text (byte 0xE9)".
 */
int folio_text_valid(const char *what, const char *s);

/* Lowercase ASCII compare helpers. */
int folio_strncasecmp_ascii(const char *a, const char *b, size_t n);

/* Hex SHA-256 of data into out[65]. */
void folio_sha256_hex(char out[65], const void *data, size_t len);

/*
 * Fault injection for the crash tests (tests/crash/). Each call is one step
 * a command passes; `name` says which ("tx.commit:before"). With
 * FOLIO_CRASHPOINT=N in the environment the Nth step reached in the process
 * raises SIGKILL; with FOLIO_CRASHPOINT_LOG=FILE each step's name is
 * appended to FILE first. Neither set: one cached getenv, nothing else.
 */
void folio_crashpoint(const char *name);

/*
 * Is this cmark link an autolink (<https://…>, <a@b.org>)? cmark gives it
 * one text child equal to the URL (or to it without "mailto:"). Shared by
 * the tag analysis, the pack and the review's #F scan (engine/evidence.c).
 */
struct cmark_node;
int folio_cmark_is_autolink(struct cmark_node *link);

#endif
