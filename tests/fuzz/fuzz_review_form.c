/*
 * tests/fuzz/fuzz_review_form.c: the filled-in review form
 * (folio_review_form_parse) and the form folio writes
 * (folio_review_form_write). Input: a form for submission 7.
 *
 * Invariants: a failure is FOLIO_EINVALID "form.md line N: ..." (N a line of
 * the input) or "form.md: ..."; a success gives at least one judgement, in
 * framework order, each on a distinct standard, "met" or "more-evidence",
 * with a trimmed non-empty comment or none. Writing those judgements as a
 * form and parsing it again gives the same judgements: a reviewer who
 * records the form folio printed records what was there.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "folio/review.h"

#define SUBMISSION 7

static folio_framework *fw;

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

static void check_judgements(const folio_judgement *j, size_t n)
{
	long last = -1;
	FUZZ_CHECK(n >= 1, "a parsed form without judgements");
	for (size_t i = 0; i < n; i++) {
		long at = -1;
		for (size_t s = 0; s < folio_framework_standard_count(fw); s++)
			if (j[i].standard && strcmp(folio_framework_standard(fw, s)->id, j[i].standard) == 0)
				at = (long)s;
		FUZZ_CHECK(at > last, "judgement %zu on '%s' out of framework order", i, j[i].standard);
		last = at;
		FUZZ_CHECK(!j[i].reviewer, "parsed judgement with a reviewer");
		FUZZ_CHECK(same_str(j[i].judgement, "met") || same_str(j[i].judgement, "more-evidence"), "judgement '%s'",
			j[i].judgement);
		const char *c = j[i].comment;
		if (c) {
			size_t cn = strlen(c);
			FUZZ_CHECK(cn > 0 && !is_blank(c[0]) && !is_blank(c[cn - 1]), "comment on %s not trimmed: '%s'",
				j[i].standard, c);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	folio_judgement *j = NULL, *j2 = NULL;
	size_t n = 0, n2 = 0;
	char *form = NULL;

	if (!fw && folio_framework_load(&fw, FOLIO_STANDARDS_DIR) < 0)
		fuzz_fail("cannot load the framework: %s", folio_error_last());

	int rc = folio_review_form_parse(&j, &n, fw, SUBMISSION, "form.md", text, size);
	if (rc < 0) {
		const char *msg = folio_error_last();
		size_t line = fuzz_message_line(msg, "form.md");
		FUZZ_CHECK(rc == FOLIO_EINVALID && !j && n == 0, "parse returned %d: %s", rc, msg);
		FUZZ_CHECK(line ? line <= fuzz_line_count(text, size) : strncmp(msg, "form.md: ", 9) == 0,
			"error does not name a line of the form: %s", msg);
		return 0;
	}
	check_judgements(j, n);

	folio_submission s;
	memset(&s, 0, sizeof(s));
	s.id = SUBMISSION;
	s.mentor = (char *)"amara";
	s.qualification = (char *)"QMS";
	s.panel = (char *)"2026-spring";
	memcpy(s.commit, "0123456789abcdef0123456789abcdef01234567", 41);
	FUZZ_CHECK(folio_review_form_write(&form, fw, &s, "rev", j, n) == 0, "write failed");
	FUZZ_CHECK(folio_review_form_parse(&j2, &n2, fw, SUBMISSION, "again.md", form, strlen(form)) == 0,
		"the form folio wrote does not parse: %s\n%s", folio_error_last(), form);
	FUZZ_CHECK(n2 == n, "%zu judgements written, %zu read back", n, n2);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(same_str(j[i].standard, j2[i].standard) && same_str(j[i].judgement, j2[i].judgement) &&
			same_str(j[i].comment, j2[i].comment),
			"judgement on %s read back as %s %s, comment '%s' as '%s'", j[i].standard, j2[i].standard,
			j2[i].judgement, j[i].comment ? j[i].comment : "(none)", j2[i].comment ? j2[i].comment : "(none)");
	free(form);
	folio_judgements_free(j, n);
	folio_judgements_free(j2, n2);
	return 0;
}
