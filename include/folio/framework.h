/* folio/framework.h: the standards framework and qualification definitions, read as data from Markdown files. */
#ifndef FOLIO_FRAMEWORK_H
#define FOLIO_FRAMEWORK_H

#include <stddef.h>
#include "common.h"

/* One numbered descriptor of a standard, e.g. id "S2.3". */
typedef struct {
	char *id;     /* "S2.3" */
	char *text;   /* published wording */
	size_t index; /* position in the framework's flat tag table */
} folio_descriptor;

/* One standard, e.g. id "S2", title "Teaching". */
typedef struct {
	char *id;       /* "S2" */
	char *title;    /* "Teaching" */
	char *headline; /* full-standard headline wording */
	char *summary;  /* summary wording (may equal headline) */
	folio_descriptor *descriptors;
	size_t ndescriptors;
	size_t index; /* position in the framework's flat tag table */
} folio_standard;

/* What a qualification asks of a portfolio before it is ready to submit. */
typedef struct {
	char *id;       /* "QMS" */
	char *name;     /* "Qualified Mentor Status" */
	char *focus;    /* one line: whose practice the evidence is about */
	char *requires; /* id of a qualification that must be held first, or NULL */
	size_t *min_evidence; /* per standard (framework order): evidence blocks needed */
	size_t *min_words;    /* per standard: reflective words needed */
} folio_qualification;

typedef struct folio_framework folio_framework;

/*
 * Load the framework from a directory holding `qualifications.md` and the
 * framework file it names (e.g. `mentor-standards-2016.md`). On a malformed
 * file the error message names the file and line. The caller owns *out
 * (free with folio_framework_free).
 */
int folio_framework_load(folio_framework **out, const char *dir);

/* Parse one framework file and one qualifications file from memory (used by load, tests and fuzzing). */
int folio_framework_parse(folio_framework **out,
	const char *fw_name, const char *fw_text, size_t fw_len,
	const char *q_name, const char *q_text, size_t q_len);

void folio_framework_free(folio_framework *fw);

/* Framework metadata (borrowed strings). */
const char *folio_framework_id(const folio_framework *fw);    /* "mentor-standards-2016" */
const char *folio_framework_title(const folio_framework *fw);
const char *folio_framework_source(const folio_framework *fw); /* publisher line, may be "" */
/* SHA-256 (hex) of the framework and qualification file contents: keys caches. */
const char *folio_framework_digest(const folio_framework *fw);

size_t folio_framework_standard_count(const folio_framework *fw);
const folio_standard *folio_framework_standard(const folio_framework *fw, size_t i);

size_t folio_framework_qualification_count(const folio_framework *fw);
const folio_qualification *folio_framework_qualification(const folio_framework *fw, size_t i);
/* Case-insensitive lookup ("qms" finds "QMS"); NULL when unknown. */
const folio_qualification *folio_framework_find_qualification(const folio_framework *fw, const char *id);

/*
 * The flat tag table: every standard and descriptor, in framework order
 * (S1, S1.1 … S1.5, S2, S2.1 …). Tag index i names either a standard or a
 * descriptor; folio_framework_tag_standard() gives the standard index it
 * belongs to.
 */
size_t folio_framework_tag_count(const folio_framework *fw);
const char *folio_framework_tag_id(const folio_framework *fw, size_t tag);
size_t folio_framework_tag_standard(const folio_framework *fw, size_t tag);
int folio_framework_tag_is_descriptor(const folio_framework *fw, size_t tag);
/* Case-insensitive lookup of "S2.3" (without '#'); returns index or -1. */
long folio_framework_find_tag(const folio_framework *fw, const char *id, size_t len);
/* Does `prefix` (letters, e.g. "S" or "s") start any tag id? Used by the tag scanner. */
int folio_framework_is_tag_prefix(const folio_framework *fw, const char *prefix, size_t len);

#endif
