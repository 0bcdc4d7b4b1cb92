/* folio/evidence.h: evidence tags read from the cmark syntax tree of one entry, and coverage of a whole portfolio. */
#ifndef FOLIO_EVIDENCE_H
#define FOLIO_EVIDENCE_H

#include <stddef.h>
#include "common.h"
#include "framework.h"

typedef enum { FOLIO_SEV_ERROR = 0, FOLIO_SEV_WARNING = 1 } folio_severity;

/* A problem found in one entry. Lines and columns are 1-based; columns count characters. */
typedef struct {
	unsigned line, column;
	folio_severity severity;
	char *message; /* e.g. "unknown tag '#S5': the framework has standards S1–S4" */
} folio_problem;

/*
 * One evidence unit: a tagged paragraph, a tagged list item (with everything
 * nested in it), or the section under a tagged heading. `credits` lists the
 * tag indices (standards and descriptors, see folio_framework_tag_*) this unit
 * counts for once nesting is applied: a unit inside another unit that already
 * credits a standard (or descriptor) does not credit it again, so nothing is
 * counted twice. A descriptor tag also credits its standard.
 */
typedef struct {
	unsigned line;  /* first line of the unit; for a section, the line of its heading */
	unsigned words; /* words of reflective prose in the unit */
	size_t *credits;
	size_t ncredits;
} folio_evidence_unit;

/* What folio derives from one Markdown entry. */
typedef struct {
	int readable;   /* 0: not valid UTF-8, a NUL byte, or binary; only a problem is given */
	char *title;    /* text of the first heading, or NULL */
	unsigned words; /* words of reflective prose in the whole entry (code and HTML excluded) */
	size_t *tags;   /* distinct valid tags used, in framework order */
	size_t ntags;
	folio_evidence_unit *units;
	size_t nunits;
	folio_problem *problems; /* errors (unknown tags, unreadable) and warnings (no evidence) */
	size_t nproblems;
} folio_doc;

/*
 * Analyse one Markdown entry against the framework. Bad content (invalid
 * UTF-8, NUL bytes, unknown tags) is reported as problems inside the result,
 * not as a failure. Returns 0; the caller owns *out.
 */
int folio_doc_analyze(folio_doc **out, const folio_framework *fw, const char *text, size_t len);
void folio_doc_free(folio_doc *doc);

/* Number of error-severity problems in the entry. */
size_t folio_doc_error_count(const folio_doc *doc);

/*
 * Compact text form of a folio_doc for the evidence cache. The round trip
 * (serialize, deserialize) gives an equal doc. *out is owned by the caller
 * (free()). deserialize returns FOLIO_EINVALID on a malformed record.
 */
int folio_doc_serialize(char **out, size_t *outlen, const folio_doc *doc, const folio_framework *fw);
int folio_doc_deserialize(folio_doc **out, const folio_framework *fw, const char *data, size_t len);

/*
 * The evidence tag at lit[off] (a '#') of a cmark text literal (NUL-terminated),
 * read exactly as folio_doc_analyze reads tags: the length of the token (0 when
 * it is no tag), and *tag its index in the framework's tag table, or -1 when
 * it names no standard or descriptor (or is malformed). Renderers use it to
 * mark tags without a second tag reader.
 */
size_t folio_tag_at(const folio_framework *fw, const char *lit, size_t off, long *tag);

/* Check text is UTF-8 without NUL bytes: 1 when it is; 0 when not, with *bad_offset at the first bad byte. */
int folio_utf8_valid(const char *text, size_t len, size_t *bad_offset);

/* ------------------------------------------------------------------ coverage */

typedef struct {
	char *path;     /* path of the entry in the portfolio tree */
	folio_doc *doc; /* owned */
} folio_coverage_entry;

typedef struct {
	size_t evidence;       /* evidence units crediting this standard */
	size_t words;          /* reflective words in those units */
	size_t *per_entry;     /* evidence units per entry (matrix row), nentries long */
	size_t *descriptors;   /* evidence units per descriptor, ndescriptors long */
	size_t entries;        /* number of entries with evidence for this standard */
	size_t needed_evidence;/* what the qualification asks (0 when no qualification) */
	size_t needed_words;
} folio_standard_coverage;

typedef struct {
	char commit[41];                      /* full commit id the coverage is for */
	const folio_framework *fw;            /* borrowed */
	const folio_qualification *qualification; /* borrowed, may be NULL */
	folio_coverage_entry *entries;        /* sorted by path */
	size_t nentries;
	folio_standard_coverage *standards;   /* framework order */
	int ready;                            /* every standard meets the qualification (0 without one) */
	char **missing;                       /* one line per shortfall, e.g. "S4 Self-development …: 0 of 2 evidence blocks" */
	size_t nmissing;
	size_t errors, warnings;              /* problems over all entries */
} folio_coverage;

/* Start an empty coverage; entries are added then the totals computed by finish. */
folio_coverage *folio_coverage_new(const folio_framework *fw, const folio_qualification *q, const char *commit);
/* Add one entry; takes ownership of doc. */
void folio_coverage_add(folio_coverage *cov, const char *path, folio_doc *doc);
/* Sort entries, total the standards, decide readiness. */
void folio_coverage_finish(folio_coverage *cov);
void folio_coverage_free(folio_coverage *cov);

#endif
