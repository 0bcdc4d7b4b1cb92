/* tests/unit/test_framework.c: the standards framework and qualifications read from standards/, and every malformed file refused with FILE:LINE. */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "folio/framework.h"

static folio_framework *fw;

/* ------------------------------------------------------------ the real standards/ */

static void test_metadata(void **state)
{
	(void)state;
	assert_string_equal(folio_framework_id(fw), "mentor-standards-2016");
	assert_string_equal(folio_framework_title(fw), "National Standards for school-based ITT mentors");
	assert_string_equal(folio_framework_source(fw), "Department for Education, July 2016");
	const char *digest = folio_framework_digest(fw);
	assert_int_equal(strlen(digest), 64);
	assert_int_equal(strspn(digest, "0123456789abcdef"), 64);
}

static void test_standards(void **state)
{
	(void)state;
	static const char *const ids[] = { "S1", "S2", "S3", "S4" };
	static const char *const titles[] = {
		"Personal qualities", "Teaching", "Professionalism", "Self-development and working in partnership"
	};
	static const size_t ndesc[] = { 5, 9, 5, 2 };
	size_t total = 0;

	assert_int_equal(folio_framework_standard_count(fw), 4);
	assert_null(folio_framework_standard(fw, 4));
	for (size_t i = 0; i < 4; i++) {
		const folio_standard *s = folio_framework_standard(fw, i);
		assert_string_equal(s->id, ids[i]);
		assert_string_equal(s->title, titles[i]);
		assert_int_equal(s->ndescriptors, ndesc[i]);
		assert_non_null(s->headline);
		assert_non_null(s->summary);
		for (size_t d = 0; d < s->ndescriptors; d++) {
			char want[32];
			snprintf(want, sizeof(want), "%s.%zu", ids[i], d + 1);
			assert_string_equal(s->descriptors[d].id, want);
			/* caveats are notes in the file, never part of the wording */
			assert_null(strstr(s->descriptors[d].text, "unconfirmed"));
			assert_null(strstr(s->descriptors[d].text, "\n"));
		}
		total += s->ndescriptors;
	}
	assert_int_equal(total, 21);
}

static void test_wording(void **state)
{
	(void)state;
	const folio_standard *s1 = folio_framework_standard(fw, 0);
	const folio_standard *s2 = folio_framework_standard(fw, 1);
	const folio_standard *s3 = folio_framework_standard(fw, 2);
	const folio_standard *s4 = folio_framework_standard(fw, 3);

	assert_string_equal(s1->descriptors[0].text,
		"be approachable, make time for the trainee, and prioritise meetings and discussions with them;");
	assert_string_equal(s2->headline,
		"Support trainees to develop their teaching practice in order to set high expectations of all pupils "
		"and to meet their needs.");
	assert_string_equal(s2->summary,
		"Support trainees to develop their teaching practice in order to set high expectations and to meet "
		"the needs of all pupils.");
	assert_string_not_equal(s2->headline, s2->summary);
	assert_string_equal(s2->descriptors[8].text,
		"enable the trainee to access, utilise and interpret robust educational research to inform their teaching.");
	assert_string_equal(s3->headline,
		"Set high expectations and induct the trainee to understand their role and responsibilities as a teacher.");
	/* S4 has no separate summary: it equals the headline */
	assert_string_equal(s4->summary, s4->headline);
	assert_string_equal(s4->descriptors[1].text,
		"continue to develop their own mentoring practice and subject and pedagogical expertise by accessing "
		"appropriate professional development and engaging with robust research.");
}

static void test_tag_table(void **state)
{
	(void)state;
	static const char *const order[] = {
		"S1", "S1.1", "S1.2", "S1.3", "S1.4", "S1.5",
		"S2", "S2.1", "S2.2", "S2.3", "S2.4", "S2.5", "S2.6", "S2.7", "S2.8", "S2.9",
		"S3", "S3.1", "S3.2", "S3.3", "S3.4", "S3.5",
		"S4", "S4.1", "S4.2",
	};

	assert_int_equal(folio_framework_tag_count(fw), 25);
	for (size_t i = 0; i < 25; i++) {
		assert_string_equal(folio_framework_tag_id(fw, i), order[i]);
		assert_int_equal(folio_framework_find_tag(fw, order[i], strlen(order[i])), (long)i);
		assert_int_equal(folio_framework_tag_is_descriptor(fw, i), strchr(order[i], '.') != NULL);
		assert_int_equal(folio_framework_tag_standard(fw, i), (size_t)(order[i][1] - '1'));
	}
	assert_null(folio_framework_tag_id(fw, 25));
	for (size_t s = 0; s < 4; s++) {
		const folio_standard *st = folio_framework_standard(fw, s);
		assert_string_equal(folio_framework_tag_id(fw, st->index), st->id);
		for (size_t d = 0; d < st->ndescriptors; d++)
			assert_string_equal(folio_framework_tag_id(fw, st->descriptors[d].index), st->descriptors[d].id);
	}

	assert_int_equal(folio_framework_find_tag(fw, "s2.3", 4), 9);
	assert_int_equal(folio_framework_find_tag(fw, "S2.3 and more", 4), 9);
	assert_int_equal(folio_framework_find_tag(fw, "S2.3", 2), 6);
	assert_int_equal(folio_framework_find_tag(fw, "S2.10", 5), -1);
	assert_int_equal(folio_framework_find_tag(fw, "S5", 2), -1);
	assert_int_equal(folio_framework_find_tag(fw, "S", 1), -1);
	assert_int_equal(folio_framework_find_tag(fw, "", 0), -1);

	assert_true(folio_framework_is_tag_prefix(fw, "s", 1));
	assert_true(folio_framework_is_tag_prefix(fw, "S", 1));
	assert_false(folio_framework_is_tag_prefix(fw, "Su", 2));
	assert_false(folio_framework_is_tag_prefix(fw, "F", 1));
	assert_false(folio_framework_is_tag_prefix(fw, "", 0));
}

static void test_qualifications(void **state)
{
	(void)state;
	assert_int_equal(folio_framework_qualification_count(fw), 2);
	const folio_qualification *qms = folio_framework_qualification(fw, 0);
	const folio_qualification *qlms = folio_framework_qualification(fw, 1);
	assert_null(folio_framework_qualification(fw, 2));

	assert_string_equal(qms->id, "QMS");
	assert_string_equal(qms->name, "Qualified Mentor Status");
	assert_string_equal(qms->focus, "how the mentor supports and guides a trainee teacher");
	assert_null(qms->requires);
	assert_string_equal(qlms->id, "QLMS");
	assert_string_equal(qlms->name, "Qualified Lead Mentor Status");
	assert_string_equal(qlms->focus, "how the lead mentor supports and guides other mentors in their setting");
	assert_non_null(qlms->requires);
	assert_string_equal(qlms->requires, "QMS");
	for (size_t s = 0; s < 4; s++) {
		assert_int_equal(qms->min_evidence[s], 2);
		assert_int_equal(qms->min_words[s], 150);
		assert_int_equal(qlms->min_evidence[s], 3);
		assert_int_equal(qlms->min_words[s], 250);
	}
	assert_ptr_equal(folio_framework_find_qualification(fw, "qms"), qms);
	assert_ptr_equal(folio_framework_find_qualification(fw, "QLMS"), qlms);
	assert_null(folio_framework_find_qualification(fw, "QTS"));
	assert_null(folio_framework_find_qualification(fw, "QM"));
	assert_null(folio_framework_find_qualification(fw, NULL));
}

/* ------------------------------------------------------------ parsing from memory */

static const char good_fw[] =
	"# Tiny framework\n"
	"\n"
	"- id: tiny\n"
	"\n"
	"## T1: First\n"
	"\n"
	"Headline: First headline.\n"
	"\n"
	"1. one\n"
	"2. two, wrapped\n"
	"   over *two* lines\n"
	"\n"
	"## T2: Second\n"
	"\n"
	"Headline: Second headline.\n"
	"\n"
	"Summary: Second summary.\n"
	"\n"
	"Note: not part of anything.\n"
	"\n"
	"1. three\n";

static const char good_q[] =
	"# Qualifications\n"
	"\n"
	"## Q1: First qualification\n"
	"\n"
	"- framework: tiny\n"
	"- focus: whatever\n"
	"- evidence per standard: 2\n"
	"- words per standard: 100\n"
	"- evidence for T2: 4\n"
	"- Words for t1: 300\n"
	"\n"
	"## Q2: Second qualification\n"
	"\n"
	"- framework: tiny\n"
	"- requires: q1\n";

static int parse(folio_framework **out, const char *f, const char *q)
{
	return folio_framework_parse(out, "fw.md", f, strlen(f), "q.md", q, strlen(q));
}

static void test_parse_small(void **state)
{
	(void)state;
	folio_framework *t = NULL;

	assert_int_equal(parse(&t, good_fw, good_q), 0);
	assert_string_equal(folio_framework_id(t), "tiny");
	assert_string_equal(folio_framework_source(t), "");
	const folio_standard *t1 = folio_framework_standard(t, 0), *t2 = folio_framework_standard(t, 1);
	assert_string_equal(t1->descriptors[1].text, "two, wrapped over two lines");
	assert_string_equal(t1->summary, "First headline.");
	assert_string_equal(t2->summary, "Second summary.");
	assert_int_equal(t2->ndescriptors, 1);
	assert_string_equal(t2->descriptors[0].id, "T2.1");
	assert_true(folio_framework_is_tag_prefix(t, "t", 1));
	assert_false(folio_framework_is_tag_prefix(t, "s", 1));

	const folio_qualification *q1 = folio_framework_find_qualification(t, "Q1");
	const folio_qualification *q2 = folio_framework_find_qualification(t, "Q2");
	assert_int_equal(q1->min_evidence[0], 2);
	assert_int_equal(q1->min_evidence[1], 4);
	assert_int_equal(q1->min_words[0], 300);
	assert_int_equal(q1->min_words[1], 100);
	/* defaults: one evidence block, no word count */
	assert_int_equal(q2->min_evidence[0], 1);
	assert_int_equal(q2->min_words[1], 0);
	assert_string_equal(q2->requires, "Q1");
	assert_string_equal(q2->focus, "");
	folio_framework_free(t);
}

static void test_digest(void **state)
{
	(void)state;
	folio_framework *a = NULL, *b = NULL, *c = NULL;
	char *changed = strdup(good_fw);
	*strstr(changed, "one") = 'O';

	assert_int_equal(parse(&a, good_fw, good_q), 0);
	assert_int_equal(parse(&b, good_fw, good_q), 0);
	assert_int_equal(parse(&c, changed, good_q), 0);
	assert_string_equal(folio_framework_digest(a), folio_framework_digest(b));
	assert_string_not_equal(folio_framework_digest(a), folio_framework_digest(c));
	assert_string_not_equal(folio_framework_digest(a), folio_framework_digest(fw));
	folio_framework_free(a);
	folio_framework_free(b);
	folio_framework_free(c);
	free(changed);
}

/* ------------------------------------------------------------ malformed files */

typedef struct {
	const char *what;
	const char *fw, *q; /* NULL: the good one */
	const char *where;  /* expected start of the message, "fw.md:7:" */
	const char *says;   /* and a phrase it must contain */
} bad_input;

#define STD_OK "## S1: One\n\nHeadline: h\n\n1. d\n"

static const bad_input bad[] = {
	{ "no title", "- id: x\n\n" STD_OK, NULL, "fw.md:1:", "no title" },
	{ "second title", "# T\n\n- id: tiny\n\n" STD_OK "\n# Again\n", NULL, "fw.md:11:", "second first-level heading" },
	{ "no metadata", "# T\n\n" STD_OK, NULL, "fw.md:1:", "no framework id" },
	{ "metadata without id", "# T\n\n- source: someone\n\n" STD_OK, NULL, "fw.md:3:", "no framework id" },
	{ "metadata item without colon", "# T\n\n- id: tiny\n- just words\n\n" STD_OK, NULL, "fw.md:4:", "'just words'" },
	{ "unknown metadata key", "# T\n\n- id: tiny\n- colour: red\n\n" STD_OK, NULL, "fw.md:4:", "unknown metadata key 'colour'" },
	{ "id that is no file name", "# T\n\n- id: ../etc\n\n" STD_OK, NULL, "fw.md:3:", "'../etc'" },
	{ "no standards", "# T\n\n- id: tiny\n\nJust prose.\n", NULL, "fw.md:1:", "no standards" },
	{ "heading without ID", "# T\n\n- id: tiny\n\n## Personal qualities\n\nHeadline: h\n\n1. d\n", NULL,
	  "fw.md:5:", "'Personal qualities' is not of the form 'ID: Title'" },
	{ "ID not letters then digits", "# T\n\n- id: tiny\n\n## 1S: One\n\nHeadline: h\n\n1. d\n", NULL,
	  "fw.md:5:", "'1S: One'" },
	{ "ID with a dot", "# T\n\n- id: tiny\n\n## S1.1: One\n\nHeadline: h\n\n1. d\n", NULL, "fw.md:5:", "'S1.1: One'" },
	{ "empty title", "# T\n\n- id: tiny\n\n## S1:\n\nHeadline: h\n\n1. d\n", NULL, "fw.md:5:", "not of the form" },
	{ "third-level heading", "# T\n\n- id: tiny\n\n" STD_OK "\n### Sub\n", NULL, "fw.md:11:", "level 3" },
	{ "duplicate standard", "# T\n\n- id: tiny\n\n" STD_OK "\n## s1: Again\n\nHeadline: h\n\n1. d\n", NULL,
	  "fw.md:11:", "standard 's1' is defined twice" },
	{ "standard without headline", "# T\n\n- id: tiny\n\n## S1: One\n\nSummary: s\n\n1. d\n\n## S2: Two\n", NULL,
	  "fw.md:5:", "'S1' has no 'Headline:'" },
	{ "last standard without descriptors", "# T\n\n- id: tiny\n\n" STD_OK "\n## S2: Two\n\nHeadline: h\n", NULL,
	  "fw.md:11:", "'S2' has no descriptors" },
	{ "descriptors as a bullet list", "# T\n\n- id: tiny\n\n## S1: One\n\nHeadline: h\n\n- d\n", NULL,
	  "fw.md:5:", "'S1' has no descriptors" },
	{ "list not starting at 1", "# T\n\n- id: tiny\n\n## S1: One\n\nHeadline: h\n\n2. d\n3. e\n", NULL,
	  "fw.md:9:", "numbered from 2, not from 1" },
	{ "two numbered lists", "# T\n\n- id: tiny\n\n" STD_OK "\nMore:\n\n1. again\n", NULL,
	  "fw.md:13:", "second numbered list" },
	{ "two headlines", "# T\n\n- id: tiny\n\n## S1: One\n\nHeadline: h\n\nHeadline: again\n\n1. d\n", NULL,
	  "fw.md:9:", "second 'Headline:'" },
	{ "empty headline", "# T\n\n- id: tiny\n\n## S1: One\n\nHeadline:\n\n1. d\n", NULL, "fw.md:7:", "is empty" },

	{ "no qualifications", NULL, "# Qualifications\n\nNone yet.\n", "q.md:1:", "no qualifications" },
	{ "qualification heading without ID", NULL, "## Mentor status\n\n- framework: tiny\n", "q.md:1:",
	  "'Mentor status' is not of the form 'ID: Name'" },
	{ "qualification third-level heading", NULL, "## Q1: One\n\n- framework: tiny\n\n### Q2: Two\n", "q.md:5:", "level 3" },
	{ "duplicate qualification", NULL, "## Q1: One\n\n- framework: tiny\n\n## q1: Again\n\n- framework: tiny\n",
	  "q.md:5:", "'q1' is defined twice" },
	{ "item without colon", NULL, "## Q1: One\n\n- framework: tiny\n- two evidence blocks\n", "q.md:4:",
	  "'two evidence blocks'" },
	{ "duplicate key", NULL, "## Q1: One\n\n- framework: tiny\n- Framework: tiny\n", "q.md:4:", "given twice" },
	{ "unknown key", NULL, "## Q1: One\n\n- framework: tiny\n- colour: red\n", "q.md:4:", "unknown key 'colour'" },
	{ "missing framework", NULL, "# Q\n\n## Q1: One\n\n- focus: x\n", "q.md:3:", "names no framework" },
	{ "framework id mismatch", NULL, "## Q1: One\n\n- focus: x\n- framework: mentor-standards-2016\n", "q.md:4:",
	  "names framework 'mentor-standards-2016' but fw.md has id 'tiny'" },
	{ "non-numeric evidence", NULL, "## Q1: One\n\n- framework: tiny\n- evidence per standard: two\n", "q.md:4:",
	  "'evidence per standard' must be a whole number" },
	{ "negative words", NULL, "## Q1: One\n\n- framework: tiny\n- words per standard: -5\n", "q.md:4:", "not '-5'" },
	{ "huge number", NULL, "## Q1: One\n\n- framework: tiny\n- words per standard: 99999999999999999999\n", "q.md:4:",
	  "whole number" },
	{ "non-numeric override", NULL, "## Q1: One\n\n- framework: tiny\n- words for T1: many\n", "q.md:4:", "not 'many'" },
	{ "override of an unknown standard", NULL, "## Q1: One\n\n- framework: tiny\n\n- evidence for S9: 3\n", "q.md:5:",
	  "'evidence for S9' names no standard" },
	{ "requires an unknown qualification", NULL,
	  "## Q1: One\n\n- framework: tiny\n\n## Q2: Two\n\n- framework: tiny\n- requires: QTS\n", "q.md:8:",
	  "'Q2' requires 'QTS', which is not defined" },
	{ "requires itself", NULL, "## Q1: One\n\n- framework: tiny\n- requires: Q1\n", "q.md:4:", "requires itself" },
	{ "requirements in a circle", NULL,
	  "## Q1: One\n\n- framework: tiny\n- requires: Q2\n\n## Q2: Two\n\n- framework: tiny\n- requires: Q1\n", "q.md:1:",
	  "go round in a circle" },
};

static void test_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		folio_framework *t = (folio_framework *)&t; /* must be reset to NULL */
		const char *f = bad[i].fw ? bad[i].fw : good_fw, *q = bad[i].q ? bad[i].q : good_q;
		int error = parse(&t, f, q);
		const char *msg = folio_error_last();
		if (error != FOLIO_EINVALID || t != NULL || strncmp(msg, bad[i].where, strlen(bad[i].where)) != 0 ||
		    !strstr(msg, bad[i].says))
			fail_msg("%s: got %d '%s'; want FOLIO_EINVALID '%s ...%s...'", bad[i].what, error, msg,
				bad[i].where, bad[i].says);
	}
}

/* ------------------------------------------------------------ loading from a directory */

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void test_load_errors(void **state)
{
	(void)state;
	char *dir = test_tmpdir("framework");
	folio_framework *t = NULL;
	char want[4200];

	/* no qualifications.md */
	assert_int_equal(folio_framework_load(&t, dir), FOLIO_ENOTFOUND);
	assert_null(t);

	/* qualifications naming different frameworks */
	write_file(dir, "qualifications.md", "## Q1: One\n\n- framework: tiny\n\n## Q2: Two\n\n- framework: other\n");
	assert_int_equal(folio_framework_load(&t, dir), FOLIO_EINVALID);
	snprintf(want, sizeof(want), "%s/qualifications.md:7: qualification 'Q2' names framework 'other' but 'Q1' names 'tiny'", dir);
	assert_memory_equal(folio_error_last(), want, strlen(want));

	/* a framework name that would leave the directory */
	write_file(dir, "qualifications.md", "## Q1: One\n\n- framework: ../tiny\n");
	assert_int_equal(folio_framework_load(&t, dir), FOLIO_EINVALID);
	assert_non_null(strstr(folio_error_last(), "qualifications.md:3: framework '../tiny' is not a plain name"));

	/* the framework file is missing */
	write_file(dir, "qualifications.md", good_q);
	assert_int_equal(folio_framework_load(&t, dir), FOLIO_ENOTFOUND);
	assert_non_null(strstr(folio_error_last(), "tiny.md"));

	/* a malformed framework file is named by its path */
	write_file(dir, "tiny.md", "# Tiny\n\n- id: tiny\n\n## T1 First\n");
	assert_int_equal(folio_framework_load(&t, dir), FOLIO_EINVALID);
	snprintf(want, sizeof(want), "%s/tiny.md:5: heading 'T1 First'", dir);
	assert_memory_equal(folio_error_last(), want, strlen(want));

	/* and a good one loads */
	write_file(dir, "tiny.md", good_fw);
	assert_int_equal(folio_framework_load(&t, dir), 0);
	assert_string_equal(folio_framework_id(t), "tiny");
	assert_int_equal(folio_framework_qualification_count(t), 2);
	folio_framework_free(t);
	folio_framework_free(NULL);

	test_rmdir(dir);
	free(dir);
}

/* ------------------------------------------------------------ main */

static int load(void **state)
{
	(void)state;
	if (folio_framework_load(&fw, TEST_STANDARDS_DIR) < 0) {
		print_error("cannot load %s: %s\n", TEST_STANDARDS_DIR, folio_error_last());
		return -1;
	}
	return 0;
}

static int unload(void **state)
{
	(void)state;
	folio_framework_free(fw);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metadata),
		cmocka_unit_test(test_standards),
		cmocka_unit_test(test_wording),
		cmocka_unit_test(test_tag_table),
		cmocka_unit_test(test_qualifications),
		cmocka_unit_test(test_parse_small),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_load_errors),
	};
	return cmocka_run_group_tests_name("framework", tests, load, unload);
}
