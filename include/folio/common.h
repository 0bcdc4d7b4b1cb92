/* folio/common.h: error convention, allocation policy and version shared by every module. */
#ifndef FOLIO_COMMON_H
#define FOLIO_COMMON_H

#include <stddef.h>

#define FOLIO_VERSION "0.1.0"

/*
 * Every engine function that can fail returns an int: 0 on success, one of
 * the negative codes below on failure. The message of the last failure is
 * kept per thread and read with folio_error_last(); it is one line, lowercase,
 * naming the thing at fault (e.g. "no person 'ann' in site '/x'").
 */
enum {
	FOLIO_OK = 0,
	FOLIO_ERROR = -1,     /* generic failure (I/O, library error) */
	FOLIO_ENOTFOUND = -3, /* a named thing does not exist */
	FOLIO_EEXISTS = -4,   /* a named thing already exists */
	FOLIO_EINVALID = -5,  /* bad input: value, file contents, date */
	FOLIO_EDENIED = -6,   /* the acting person lacks the role */
	FOLIO_ECONFLICT = -7  /* concurrent change or state does not allow it */
};

/* Message of the last error on this thread; never NULL ("" when none). Borrowed. */
const char *folio_error_last(void);

/* Code of the last error on this thread (0 when none). */
int folio_error_code(void);

/* Forget the last error. */
void folio_error_clear(void);

/*
 * Out-of-memory policy: folio aborts the process with a message on allocation
 * failure (like git's xmalloc). No engine function returns an "out of memory"
 * code, so callers never need to handle it.
 */

#endif
