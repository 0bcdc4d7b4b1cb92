/*
 * tests/fuzz/fuzz_framework.c: the framework and qualifications files
 * (folio_framework_parse). Input: a framework file; when it holds a line
 * "--8<-- qualifications.md", what follows that line is the qualifications
 * file, otherwise standards/qualifications.md is used.
 *
 * Invariants: a failure is FOLIO_EINVALID with "FILE:LINE: ..." naming one
 * of the two files and a line inside it; a success gives a consistent tag
 * table (every id found again, also in lower case, at its own index, and
 * pointing at its standard) and qualifications that find themselves and
 * only require known ones.
 */
#include "fuzz.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "folio/framework.h"

static const char CUT[] = "\n--8<-- qualifications.md\n";
static char *default_q;
static size_t default_q_len;

static void load_default_q(void)
{
	FILE *f = fopen(FOLIO_STANDARDS_DIR "/qualifications.md", "rb");
	size_t cap = 1 << 16;
	if (!f)
		fuzz_fail("cannot open %s", FOLIO_STANDARDS_DIR "/qualifications.md");
	default_q = malloc(cap);
	if (!default_q)
		abort();
	default_q_len = fread(default_q, 1, cap, f);
	FUZZ_CHECK(default_q_len < cap, "qualifications.md is larger than %zu bytes", cap);
	fclose(f);
}

static const char *find_cut(const char *text, size_t len)
{
	size_t n = sizeof(CUT) - 1;
	for (size_t i = 0; i + n <= len; i++)
		if (text[i] == '\n' && memcmp(text + i, CUT, n) == 0)
			return text + i;
	return NULL;
}

static void check_framework(const folio_framework *fw)
{
	size_t nstd = folio_framework_standard_count(fw), ntags = folio_framework_tag_count(fw), expect = nstd;
	const char *digest = folio_framework_digest(fw);

	FUZZ_CHECK(folio_framework_id(fw) && *folio_framework_id(fw), "framework without id");
	FUZZ_CHECK(folio_framework_title(fw) && folio_framework_source(fw), "framework without title or source");
	FUZZ_CHECK(digest && strlen(digest) == 64 && strspn(digest, "0123456789abcdef") == 64, "bad digest");
	for (size_t s = 0; s < nstd; s++) {
		const folio_standard *std = folio_framework_standard(fw, s);
		FUZZ_CHECK(std->id && *std->id && std->title && std->headline && std->summary, "standard %zu incomplete", s);
		FUZZ_CHECK(std->index < ntags && strcmp(folio_framework_tag_id(fw, std->index), std->id) == 0,
			"standard %s not at its tag index", std->id);
		expect += std->ndescriptors;
		for (size_t d = 0; d < std->ndescriptors; d++) {
			const folio_descriptor *de = &std->descriptors[d];
			FUZZ_CHECK(de->id && de->text && de->index < ntags &&
				strcmp(folio_framework_tag_id(fw, de->index), de->id) == 0,
				"descriptor %zu of %s not at its tag index", d, std->id);
			FUZZ_CHECK(folio_framework_tag_is_descriptor(fw, de->index) &&
				folio_framework_tag_standard(fw, de->index) == s, "descriptor %s not under %s", de->id, std->id);
		}
	}
	FUZZ_CHECK(expect == ntags, "%zu tags for %zu standards and descriptors", ntags, expect);
	for (size_t t = 0; t < ntags; t++) {
		const char *id = folio_framework_tag_id(fw, t);
		size_t n = strlen(id), letters = 0;
		FUZZ_CHECK(folio_framework_find_tag(fw, id, n) == (long)t, "tag %s is not found at %zu", id, t);
		char *lower = malloc(n + 1);
		if (!lower)
			abort();
		for (size_t i = 0; i <= n; i++)
			lower[i] = (char)tolower((unsigned char)id[i]);
		FUZZ_CHECK(folio_framework_find_tag(fw, lower, n) == (long)t, "tag %s is not found in lower case", id);
		free(lower);
		FUZZ_CHECK(folio_framework_tag_standard(fw, t) < nstd, "tag %s names standard %zu of %zu", id,
			folio_framework_tag_standard(fw, t), nstd);
		while (letters < n && isalpha((unsigned char)id[letters]))
			letters++;
		FUZZ_CHECK(letters > 0 && folio_framework_is_tag_prefix(fw, id, letters), "tag %s: its letters are no prefix", id);
	}
	for (size_t q = 0; q < folio_framework_qualification_count(fw); q++) {
		const folio_qualification *qu = folio_framework_qualification(fw, q);
		FUZZ_CHECK(qu->id && *qu->id && qu->name, "qualification %zu incomplete", q);
		FUZZ_CHECK(folio_framework_find_qualification(fw, qu->id) == qu, "qualification %s does not find itself", qu->id);
		FUZZ_CHECK(!qu->requires || folio_framework_find_qualification(fw, qu->requires),
			"qualification %s requires unknown %s", qu->id, qu->requires);
		FUZZ_CHECK(nstd == 0 || (qu->min_evidence && qu->min_words), "qualification %s without minimums", qu->id);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *cut = find_cut(text, size);
	const char *fw_text = text, *q_text = default_q;
	size_t fw_len = size, q_len = default_q_len;
	folio_framework *fw = NULL;

	if (!default_q)
		load_default_q();
	if (cut) {
		fw_len = (size_t)(cut - text) + 1; /* keep the framework's last line end */
		q_text = cut + sizeof(CUT) - 1;
		q_len = size - (size_t)(q_text - text);
	}
	int rc = folio_framework_parse(&fw, "fw.md", fw_text, fw_len, "q.md", q_text, q_len);
	if (rc < 0) {
		const char *msg = folio_error_last();
		size_t fl = fuzz_message_line(msg, "fw.md"), ql = fuzz_message_line(msg, "q.md");
		FUZZ_CHECK(rc == FOLIO_EINVALID, "parse returned %d: %s", rc, msg);
		FUZZ_CHECK(!fw, "failed parse gave a framework");
		FUZZ_CHECK(fl || ql, "error names neither file and line: %s", msg);
		if (fl)
			FUZZ_CHECK(fl <= fuzz_line_count(fw_text, fw_len), "error past the framework's last line: %s", msg);
		if (ql)
			FUZZ_CHECK(ql <= fuzz_line_count(q_text, q_len), "error past the qualifications' last line: %s", msg);
		return 0;
	}
	FUZZ_CHECK(rc == 0 && fw, "parse returned %d without a framework", rc);
	check_framework(fw);
	folio_framework_free(fw);
	return 0;
}
