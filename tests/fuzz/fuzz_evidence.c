/*
 * tests/fuzz/fuzz_evidence.c: evidence tags from one Markdown entry
 * (folio_doc_analyze), and the evidence cache record (folio_doc_serialize,
 * folio_doc_deserialize). Input: the entry's bytes.
 *
 * Invariants: every problem and unit lies inside the input (line, and a
 * column at most one past the line's last character), problems are sorted,
 * tags and credits are valid tag indices in framework order, a unit has no
 * more words than the entry; serializing and reading back gives an equal
 * doc; the same bytes read as a cache record either fail cleanly or give a
 * doc whose record is a fixed point.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "folio/evidence.h"

static folio_framework *fw;

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int same_sizes(const size_t *a, size_t na, const size_t *b, size_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na * sizeof(size_t)) == 0);
}

static int doc_equal(const folio_doc *a, const folio_doc *b)
{
	if (a->readable != b->readable || !same_str(a->title, b->title) || a->words != b->words ||
	    !same_sizes(a->tags, a->ntags, b->tags, b->ntags) || a->nunits != b->nunits || a->nproblems != b->nproblems)
		return 0;
	for (size_t i = 0; i < a->nunits; i++) {
		const folio_evidence_unit *x = &a->units[i], *y = &b->units[i];
		if (x->line != y->line || x->words != y->words || !same_sizes(x->credits, x->ncredits, y->credits, y->ncredits))
			return 0;
	}
	for (size_t i = 0; i < a->nproblems; i++) {
		const folio_problem *x = &a->problems[i], *y = &b->problems[i];
		if (x->line != y->line || x->column != y->column || x->severity != y->severity || !same_str(x->message, y->message))
			return 0;
	}
	return 1;
}

static void check_sorted_tags(const size_t *t, size_t n, size_t ntags, const char *what)
{
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(t[i] < ntags, "%s: tag index %zu of %zu", what, t[i], ntags);
		FUZZ_CHECK(i == 0 || t[i - 1] < t[i], "%s: tags not in framework order", what);
	}
}

static int has_tag(const folio_doc *doc, size_t tag)
{
	for (size_t i = 0; i < doc->ntags; i++)
		if (doc->tags[i] == tag)
			return 1;
	return 0;
}

static void check_doc(const folio_doc *doc, const char *text, size_t len)
{
	size_t ntags = folio_framework_tag_count(fw), lines = fuzz_line_count(text, len), nerr = 0;

	if (!doc->readable) {
		FUZZ_CHECK(doc->nproblems == 1 && doc->problems[0].severity == FOLIO_SEV_ERROR,
			"unreadable entry: %zu problems, expected one error", doc->nproblems);
		FUZZ_CHECK(doc->words == 0 && doc->ntags == 0 && doc->nunits == 0 && !doc->title,
			"unreadable entry has evidence");
	}
	if (doc->title)
		FUZZ_CHECK(folio_utf8_valid(doc->title, strlen(doc->title), NULL), "title is not valid UTF-8");
	for (size_t i = 0; i < doc->nproblems; i++) {
		const folio_problem *p = &doc->problems[i];
		FUZZ_CHECK(p->message && *p->message, "problem %zu has no message", i);
		FUZZ_CHECK(p->line >= 1 && p->line <= lines, "problem '%s' at line %u of %zu", p->message, p->line, lines);
		size_t chars = fuzz_line_chars(text, len, p->line);
		if (p->line == 1 && len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
			chars--; /* a byte order mark is no character of the entry */
		FUZZ_CHECK(p->column >= 1 && p->column <= chars + 1, "problem '%s' at %u:%u, the line has %zu characters",
			p->message, p->line, p->column, chars);
		FUZZ_CHECK(i == 0 || doc->problems[i - 1].line < p->line ||
			(doc->problems[i - 1].line == p->line && doc->problems[i - 1].column <= p->column),
			"problems not sorted at %zu", i);
		nerr += p->severity == FOLIO_SEV_ERROR;
	}
	FUZZ_CHECK(nerr == folio_doc_error_count(doc), "error count %zu, counted %zu", folio_doc_error_count(doc), nerr);
	check_sorted_tags(doc->tags, doc->ntags, ntags, "doc tags");
	for (size_t i = 0; i < doc->nunits; i++) {
		const folio_evidence_unit *u = &doc->units[i];
		FUZZ_CHECK(u->line >= 1 && u->line <= lines, "unit at line %u of %zu", u->line, lines);
		FUZZ_CHECK(u->ncredits > 0, "unit at line %u credits nothing", u->line);
		FUZZ_CHECK(u->words <= doc->words, "unit at line %u has %u words, the entry %u", u->line, u->words, doc->words);
		check_sorted_tags(u->credits, u->ncredits, ntags, "unit credits");
		for (size_t k = 0; k < u->ncredits; k++) {
			size_t t = u->credits[k];
			if (has_tag(doc, t))
				continue;
			/* a standard credited through one of its descriptors */
			int through = 0;
			FUZZ_CHECK(!folio_framework_tag_is_descriptor(fw, t), "unit at line %u credits unused %s", u->line,
				folio_framework_tag_id(fw, t));
			for (size_t j = 0; j < doc->ntags; j++)
				through |= folio_framework_tag_is_descriptor(fw, doc->tags[j]) &&
					   folio_framework_tag_standard(fw, doc->tags[j]) == folio_framework_tag_standard(fw, t);
			FUZZ_CHECK(through, "unit at line %u credits unused %s", u->line, folio_framework_tag_id(fw, t));
		}
	}
	if (doc->readable)
		FUZZ_CHECK((doc->nunits == 0) == (doc->ntags == 0), "%zu units but %zu tags", doc->nunits, doc->ntags);
}

/* serialize, read back, compare, serialize again: the same bytes */
static void round_trip(const folio_doc *doc)
{
	char *rec = NULL, *rec2 = NULL;
	size_t len = 0, len2 = 0;
	folio_doc *back = NULL;

	FUZZ_CHECK(folio_doc_serialize(&rec, &len, doc, fw) == 0, "serialize failed: %s", folio_error_last());
	FUZZ_CHECK(folio_doc_deserialize(&back, fw, rec, len) == 0, "own record does not read back: %s\n%s",
		folio_error_last(), rec);
	FUZZ_CHECK(doc_equal(doc, back), "record reads back to another doc:\n%s", rec);
	FUZZ_CHECK(folio_doc_serialize(&rec2, &len2, back, fw) == 0, "second serialize failed");
	FUZZ_CHECK(len == len2 && memcmp(rec, rec2, len) == 0, "record is not a fixed point:\n%s---\n%s", rec, rec2);
	free(rec);
	free(rec2);
	folio_doc_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	folio_doc *doc = NULL;

	if (!fw && folio_framework_load(&fw, FOLIO_STANDARDS_DIR) < 0)
		fuzz_fail("cannot load the framework: %s", folio_error_last());

	FUZZ_CHECK(folio_doc_analyze(&doc, fw, text, size) == 0, "analyze failed: %s", folio_error_last());
	check_doc(doc, text, size);
	round_trip(doc);
	folio_doc_free(doc);

	/* the same bytes as a cache record */
	doc = NULL;
	int rc = folio_doc_deserialize(&doc, fw, text, size);
	FUZZ_CHECK(rc == 0 || rc == FOLIO_EINVALID, "deserialize returned %d", rc);
	FUZZ_CHECK((rc == 0) == (doc != NULL), "deserialize returned %d with doc %p", rc, (void *)doc);
	if (doc)
		round_trip(doc);
	folio_doc_free(doc);
	return 0;
}
