/* tests/unit/test_evidence.c: evidence tags, units and words case by case from tests/evidence/cases.md, the cache form, and coverage. */
#include "support.h"

#include <cmark.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "folio/evidence.h"
#include "folio/framework.h"

/* The data-driven cases live beside the other test data, found from the standards directory. */
#ifndef FOLIO_CASES_FILE
#define FOLIO_CASES_FILE TEST_STANDARDS_DIR "/../tests/evidence/cases.md"
#endif

/* Fewer cases than this means the file was truncated or misread: fail rather than pass on nothing. */
#define MIN_CASES 35

typedef struct {
	char *name;
	int line;        /* line of the case heading in cases.md */
	char *input;
	size_t input_len;
	char *expected;
	int ninputs, nexpected;
} ev_case;

static folio_framework *fw;
static ev_case *cases;
static size_t ncases;
static char *load_error; /* what was wrong with the cases file, or NULL */

/* ------------------------------------------------------------ small helpers */

/* A growable string on open_memstream: the tests need no engine internals. */
typedef struct {
	char *ptr;
	size_t size;
	FILE *f;
} out_buf;

static void out_open(out_buf *o)
{
	o->ptr = NULL;
	o->size = 0;
	o->f = open_memstream(&o->ptr, &o->size);
	assert_non_null(o->f);
}

static char *out_close(out_buf *o)
{
	fclose(o->f);
	return o->ptr;
}

static char *read_whole(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0;
	FILE *m;
	char chunk[4096];
	size_t k;

	if (!f)
		return NULL;
	m = open_memstream(&buf, &n);
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, k, m);
	fclose(f);
	fclose(m);
	*len = n;
	return buf;
}

static folio_doc *analyze(const char *text)
{
	folio_doc *doc = NULL;
	assert_int_equal(folio_doc_analyze(&doc, fw, text, strlen(text)), 0);
	assert_non_null(doc);
	return doc;
}

/* ------------------------------------------------------------ reading cases.md */

static void case_error(int line, const char *fmt, const char *arg)
{
	out_buf o;
	out_open(&o);
	if (load_error)
		fprintf(o.f, "%s\n", load_error);
	fprintf(o.f, "cases.md:%d: ", line);
	fprintf(o.f, fmt, arg);
	free(load_error);
	load_error = out_close(&o);
}

/* `\xNN` spells a byte in a `markdown bytes` block. */
static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char *unescape_bytes(const char *s, size_t *len)
{
	size_t n = strlen(s), j = 0;
	char *out = malloc(n + 1);

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' && hex_value(s[i + 2]) >= 0 && hex_value(s[i + 3]) >= 0) {
			out[j++] = (char)(hex_value(s[i + 2]) * 16 + hex_value(s[i + 3]));
			i += 3;
		} else {
			out[j++] = s[i];
		}
	}
	out[j] = '\0';
	*len = j;
	return out;
}

static char *heading_text(cmark_node *h)
{
	out_buf o;
	out_open(&o);
	for (cmark_node *n = cmark_node_first_child(h); n; n = cmark_node_next(n))
		if (cmark_node_get_literal(n))
			fputs(cmark_node_get_literal(n), o.f);
	return out_close(&o);
}

/* Cases are read from the Markdown syntax tree, so inputs keep every byte of their fenced block. */
static void load_cases(const char *path)
{
	size_t len = 0;
	char *text = read_whole(path, &len);
	cmark_node *doc;
	ev_case *cur = NULL;

	if (!text) {
		case_error(0, "cannot read %s", path);
		return;
	}
	doc = cmark_parse_document(text, len, CMARK_OPT_SOURCEPOS);
	for (cmark_node *n = cmark_node_first_child(doc); n; n = cmark_node_next(n)) {
		cmark_node_type type = cmark_node_get_type(n);
		if (type == CMARK_NODE_HEADING && cmark_node_get_heading_level(n) == 2) {
			char *h = heading_text(n);
			if (strncmp(h, "case: ", 6) != 0) {
				case_error(cmark_node_get_start_line(n), "heading '%s' is not 'case: NAME'", h);
				free(h);
				cur = NULL;
				continue;
			}
			cases = realloc(cases, (ncases + 1) * sizeof(*cases));
			cur = &cases[ncases++];
			memset(cur, 0, sizeof(*cur));
			cur->name = strdup(h + 6);
			cur->line = cmark_node_get_start_line(n);
			free(h);
		} else if (type == CMARK_NODE_CODE_BLOCK && cur) {
			const char *info = cmark_node_get_fence_info(n);
			const char *lit = cmark_node_get_literal(n);
			if (strcmp(info, "markdown") == 0 || strcmp(info, "markdown bytes") == 0) {
				cur->ninputs++;
				free(cur->input);
				if (strcmp(info, "markdown") == 0) {
					cur->input = strdup(lit);
					cur->input_len = strlen(lit);
				} else {
					cur->input = unescape_bytes(lit, &cur->input_len);
				}
			} else if (strcmp(info, "expected") == 0) {
				cur->nexpected++;
				free(cur->expected);
				cur->expected = strdup(lit);
			} else {
				case_error(cmark_node_get_start_line(n), "code block '%s' is neither 'markdown' nor 'expected'", info);
			}
		}
	}
	for (size_t i = 0; i < ncases; i++) {
		if (cases[i].ninputs != 1)
			case_error(cases[i].line, "case '%s' needs exactly one markdown block", cases[i].name);
		if (cases[i].nexpected != 1)
			case_error(cases[i].line, "case '%s' needs exactly one expected block", cases[i].name);
	}
	cmark_node_free(doc);
	free(text);
}

static void free_cases(void)
{
	for (size_t i = 0; i < ncases; i++) {
		free(cases[i].name);
		free(cases[i].input);
		free(cases[i].expected);
	}
	free(cases);
	free(load_error);
}

/* ------------------------------------------------------------ rendering and diff */

typedef struct {
	char **line;
	size_t n;
} lines;

static lines split_lines(const char *s)
{
	lines l = { NULL, 0 };
	while (*s) {
		size_t n = strcspn(s, "\n");
		size_t e = n;
		while (e && (s[e - 1] == ' ' || s[e - 1] == '\r' || s[e - 1] == '\t'))
			e--;
		if (e) {
			l.line = realloc(l.line, (l.n + 1) * sizeof(char *));
			l.line[l.n++] = strndup(s, e);
		}
		s += n + (s[n] == '\n');
	}
	return l;
}

static void free_lines(lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->line[i]);
	free(l->line);
}

static int has_line(const lines *l, const char *prefix)
{
	size_t n = strlen(prefix);
	for (size_t i = 0; i < l->n; i++)
		if (strncmp(l->line[i], prefix, n) == 0 && (l->line[i][n] == ' ' || l->line[i][n] == '\0'))
			return 1;
	return 0;
}

/* The doc in the expected-block format; title, words and tags only when the case asks. */
static char *render(const folio_doc *doc, const lines *want)
{
	out_buf o;
	out_open(&o);
	if (!doc->readable)
		fprintf(o.f, "unreadable\n");
	if (has_line(want, "title"))
		fprintf(o.f, "title %s\n", doc->title ? doc->title : "(none)");
	if (has_line(want, "words"))
		fprintf(o.f, "words %u\n", doc->words);
	if (has_line(want, "tags")) {
		fprintf(o.f, "tags");
		for (size_t i = 0; i < doc->ntags; i++)
			fprintf(o.f, " %s", folio_framework_tag_id(fw, doc->tags[i]));
		fprintf(o.f, "\n");
	}
	for (size_t i = 0; i < doc->nunits; i++) {
		const folio_evidence_unit *u = &doc->units[i];
		fprintf(o.f, "unit %u", u->line);
		for (size_t k = 0; k < u->ncredits; k++)
			fprintf(o.f, " %s", folio_framework_tag_id(fw, u->credits[k]));
		fprintf(o.f, " words=%u\n", u->words);
	}
	for (size_t i = 0; i < doc->nproblems; i++) {
		const folio_problem *p = &doc->problems[i];
		fprintf(o.f, "problem %u:%u %s %s\n", p->line, p->column,
			p->severity == FOLIO_SEV_WARNING ? "warning" : "error", p->message);
	}
	return out_close(&o);
}

/* Print a line diff (longest common subsequence): "-" expected only, "+" actual only. */
static void print_diff(const lines *a, const lines *b)
{
	size_t n = a->n, m = b->n;
	size_t *t = calloc((n + 1) * (m + 1), sizeof(size_t));
#define T(i, j) t[(i) * (m + 1) + (j)]
	for (size_t i = n; i-- > 0;)
		for (size_t j = m; j-- > 0;)
			T(i, j) = strcmp(a->line[i], b->line[j]) == 0 ? T(i + 1, j + 1) + 1
				: (T(i + 1, j) > T(i, j + 1) ? T(i + 1, j) : T(i, j + 1));
	size_t i = 0, j = 0;
	while (i < n || j < m) {
		if (i < n && j < m && strcmp(a->line[i], b->line[j]) == 0) {
			print_error("    %s\n", a->line[i]);
			i++;
			j++;
		} else if (j < m && (i == n || T(i, j + 1) >= T(i + 1, j))) {
			print_error("  + %s\n", b->line[j++]);
		} else {
			print_error("  - %s\n", a->line[i++]);
		}
	}
#undef T
	free(t);
}

/* ------------------------------------------------------------ the cases */

static void test_case(void **state)
{
	const ev_case *c = *state;
	folio_doc *doc = NULL;
	lines want = split_lines(c->expected ? c->expected : "");

	assert_int_equal(folio_doc_analyze(&doc, fw, c->input ? c->input : "", c->input_len), 0);
	char *got_text = render(doc, &want);
	lines got = split_lines(got_text);
	int same = got.n == want.n;
	for (size_t i = 0; same && i < got.n; i++)
		same = strcmp(got.line[i], want.line[i]) == 0;
	if (!same) {
		print_error("case '%s' (tests/evidence/cases.md:%d): - expected, + actual\n", c->name, c->line);
		print_diff(&want, &got);
	}
	free_lines(&got);
	free_lines(&want);
	free(got_text);
	folio_doc_free(doc);
	if (!same)
		fail_msg("case '%s' differs from its expected block", c->name);
}

static void test_cases_file_is_complete(void **state)
{
	(void)state;
	if (load_error)
		fail_msg("%s", load_error);
	if (ncases < MIN_CASES)
		fail_msg("%s has %zu cases; at least %d expected", FOLIO_CASES_FILE, ncases, MIN_CASES);
}

/* ------------------------------------------------------------ cache form */

static void assert_doc_equal(const folio_doc *a, const folio_doc *b)
{
	assert_int_equal(a->readable, b->readable);
	if (a->title || b->title) {
		assert_non_null(a->title);
		assert_non_null(b->title);
		assert_string_equal(a->title, b->title);
	}
	assert_int_equal(a->words, b->words);
	assert_int_equal(a->ntags, b->ntags);
	for (size_t i = 0; i < a->ntags; i++)
		assert_int_equal(a->tags[i], b->tags[i]);
	assert_int_equal(a->nunits, b->nunits);
	for (size_t i = 0; i < a->nunits; i++) {
		assert_int_equal(a->units[i].line, b->units[i].line);
		assert_int_equal(a->units[i].words, b->units[i].words);
		assert_int_equal(a->units[i].ncredits, b->units[i].ncredits);
		for (size_t k = 0; k < a->units[i].ncredits; k++)
			assert_int_equal(a->units[i].credits[k], b->units[i].credits[k]);
	}
	assert_int_equal(a->nproblems, b->nproblems);
	for (size_t i = 0; i < a->nproblems; i++) {
		assert_int_equal(a->problems[i].line, b->problems[i].line);
		assert_int_equal(a->problems[i].column, b->problems[i].column);
		assert_int_equal(a->problems[i].severity, b->problems[i].severity);
		assert_string_equal(a->problems[i].message, b->problems[i].message);
	}
}

static void round_trip(const folio_doc *doc)
{
	char *s1 = NULL, *s2 = NULL;
	size_t n1 = 0, n2 = 0;
	folio_doc *back = NULL;

	assert_int_equal(folio_doc_serialize(&s1, &n1, doc, fw), 0);
	assert_int_equal(strlen(s1), n1);
	assert_int_equal(folio_doc_deserialize(&back, fw, s1, n1), 0);
	assert_doc_equal(doc, back);
	assert_int_equal(folio_doc_serialize(&s2, &n2, back, fw), 0);
	assert_string_equal(s1, s2);
	folio_doc_free(back);
	free(s1);
	free(s2);
}

static void test_round_trip_every_case(void **state)
{
	(void)state;
	assert_true(ncases >= MIN_CASES);
	for (size_t i = 0; i < ncases; i++) {
		folio_doc *doc = NULL;
		assert_int_equal(folio_doc_analyze(&doc, fw, cases[i].input, cases[i].input_len), 0);
		round_trip(doc);
		folio_doc_free(doc);
	}
}

static void test_serialize_format(void **state)
{
	(void)state;
	folio_doc *doc = analyze("# A\ttab and a \\\\ backslash\n\n- Listening. #S1.2 #S4\n\nBad #S9\n");
	char *s = NULL;
	size_t n = 0;

	assert_int_equal(folio_doc_serialize(&s, &n, doc, fw), 0);
	assert_string_equal(s,
		"folio-doc 1\n"
		"readable 1\n"
		"title A\\ttab and a \\\\ backslash\n"
		"words 7\n"
		"tags S1.2 S4\n"
		"unit 3 1 S1 S1.2 S4\n"
		"problem 5 5 error unknown tag '#S9': the framework has standards S1\xe2\x80\x93S4\n"
		"end\n");
	free(s);
	folio_doc_free(doc);

	/* An entry without a heading has no title line; an unreadable one keeps only its problem. */
	doc = analyze("no heading\xff");
	assert_int_equal(folio_doc_serialize(&s, &n, doc, fw), 0);
	assert_string_equal(s, "folio-doc 1\nreadable 0\nwords 0\ntags\nproblem 1 11 error not valid UTF-8 (byte 0xFF)\nend\n");
	round_trip(doc);
	free(s);
	folio_doc_free(doc);
}

static void test_deserialize_accepts_minimal(void **state)
{
	(void)state;
	folio_doc *doc = NULL;
	const char *min = "folio-doc 1\nreadable 1\nwords 0\ntags\nend\n";
	const char *empty_title = "folio-doc 1\nreadable 1\ntitle \nwords 0\ntags\nend\n";

	assert_int_equal(folio_doc_deserialize(&doc, fw, min, strlen(min)), 0);
	assert_int_equal(doc->readable, 1);
	assert_null(doc->title);
	assert_int_equal(doc->nunits + doc->nproblems + doc->ntags, 0);
	folio_doc_free(doc);

	assert_int_equal(folio_doc_deserialize(&doc, fw, empty_title, strlen(empty_title)), 0);
	assert_non_null(doc->title);
	assert_string_equal(doc->title, "");
	folio_doc_free(doc);
}

static const char *const garbage[] = {
	"",
	"\n",
	"folio-doc 1\n",
	"folio-doc 2\nreadable 1\nwords 0\ntags\nend\n",
	"folio-doc 1\nreadable 1\nwords 0\ntags\nend",          /* no final newline */
	"folio-doc 1\nreadable 1\nwords 0\ntags\nend\nmore\n",  /* data after end */
	"folio-doc 1\r\nreadable 1\r\nwords 0\r\ntags\r\nend\r\n",
	"folio-doc 1\nreadable 2\nwords 0\ntags\nend\n",
	"folio-doc 1\nreadable\nwords 0\ntags\nend\n",
	"folio-doc 1\nreadable 1\nwords -1\ntags\nend\n",
	"folio-doc 1\nreadable 1\nwords 01\ntags\nend\n",
	"folio-doc 1\nreadable 1\nwords 99999999999\ntags\nend\n",
	"folio-doc 1\nreadable 1\nwords 4294967296\ntags\nend\n",
	"folio-doc 1\nreadable 1\nwords 1 2\ntags\nend\n",
	"folio-doc 1\nreadable 1\nwords 1\nend\n",                   /* no tags line */
	"folio-doc 1\nreadable 1\ntags\nwords 1\nend\n",             /* out of order */
	"folio-doc 1\nreadable 1\nwords 0\ntags S9\nend\n",          /* unknown tag */
	"folio-doc 1\nreadable 1\nwords 0\ntags S2 S1\nend\n",       /* not framework order */
	"folio-doc 1\nreadable 1\nwords 0\ntags S1 S1\nend\n",
	"folio-doc 1\nreadable 1\nwords 0\ntags s1\nend\n",          /* not the canonical spelling */
	"folio-doc 1\nreadable 1\nwords 0\ntags  S1\nend\n",
	"folio-doc 1\nreadable 1\nwords 0\ntags S1 \nend\n",
	"folio-doc 1\nreadable 1\nwords 0\ntagsS1\nend\n",
	"folio-doc 1\nreadable 1\nwords 0\ntags\nunit 0 1 S1\nend\n",
	"folio-doc 1\nreadable 1\nwords 0\ntags\nunit 1 1\nend\n",   /* no credits */
	"folio-doc 1\nreadable 1\nwords 0\ntags\nunit 1 1 S1 S1\nend\n",
	"folio-doc 1\nreadable 1\nwords 0\ntags\nunit 1 x S1\nend\n",
	"folio-doc 1\nreadable 1\nwords 0\ntags\nunit 1\nend\n",
	"folio-doc 1\nreadable 1\nwords 0\ntags\nproblem 1 1 fatal m\nend\n",
	"folio-doc 1\nreadable 1\nwords 0\ntags\nproblem 0 1 error m\nend\n",
	"folio-doc 1\nreadable 1\nwords 0\ntags\nproblem 1 0 error m\nend\n",
	"folio-doc 1\nreadable 1\nwords 0\ntags\nproblem 1 1 error\nend\n",
	"folio-doc 1\nreadable 1\nwords 0\ntags\nproblem 1 1 error bad \\q escape\nend\n",
	"folio-doc 1\nreadable 1\nwords 0\ntags\nproblem 1 1 error trailing \\\nend\n",
	"folio-doc 1\nreadable 1\nwords 0\ntags\nproblem 1 1 error raw\ttab\nend\n",
	"folio-doc 1\nreadable 1\nwords 0\ntags\ncolour red\nend\n",
	"folio-doc 1\nreadable 0\ntitle T\nwords 0\ntags\nend\n",   /* unreadable with a title */
	"folio-doc 1\nreadable 0\nwords 3\ntags\nend\n",
	"folio-doc 1\nreadable 0\nwords 0\ntags\nunit 1 1 S1\nend\n",
	"folio-doc 1\nreadable 1\ntitle a\\\nwords 0\ntags\nend\n",
	"folio-doc 1\nreadable 1\ntitle\nwords 0\ntags\nend\n",
};

static void test_deserialize_rejects_garbage(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		folio_doc *doc = (folio_doc *)&doc; /* must be reset to NULL */
		int error = folio_doc_deserialize(&doc, fw, garbage[i], strlen(garbage[i]));
		if (error != FOLIO_EINVALID)
			fail_msg("garbage record %zu was not rejected:\n%s", i, garbage[i]);
		assert_null(doc);
		assert_string_equal(folio_error_last(), "malformed evidence record");
	}

	/* A NUL inside the record, which strlen-based callers would not see. */
	const char nul[] = "folio-doc 1\nreadable 1\ntitle a\0b\nwords 0\ntags\nend\n";
	folio_doc *doc = NULL;
	assert_int_equal(folio_doc_deserialize(&doc, fw, nul, sizeof(nul) - 1), FOLIO_EINVALID);
	assert_null(doc);
}

/* Every strict prefix of a record fails; every one-byte change fails or gives a record that round-trips. */
static void test_deserialize_prefixes_and_mutations(void **state)
{
	(void)state;
	folio_doc *doc = analyze("# Week\n\n## Feedback #S2.4\n\nText.\n\n- item #S1.2 #S9\n- x #S3.3.3\n");
	char *rec = NULL;
	size_t len = 0;
	static const unsigned char bytes[] = { 0, '\n', ' ', '\\', 'x', '9', 0xFF, 'S', '.' };

	assert_int_equal(folio_doc_serialize(&rec, &len, doc, fw), 0);
	folio_doc_free(doc);

	for (size_t cut = 0; cut < len; cut++) {
		folio_doc *d = NULL;
		if (folio_doc_deserialize(&d, fw, rec, cut) != FOLIO_EINVALID)
			fail_msg("prefix of %zu bytes was accepted", cut);
	}

	char *copy = malloc(len);
	for (size_t i = 0; i < len; i++) {
		for (size_t b = 0; b < sizeof(bytes); b++) {
			folio_doc *d = NULL;
			memcpy(copy, rec, len);
			copy[i] = (char)bytes[b];
			int error = folio_doc_deserialize(&d, fw, copy, len);
			if (error == 0) {
				round_trip(d);
				folio_doc_free(d);
			} else {
				assert_int_equal(error, FOLIO_EINVALID);
				assert_null(d);
			}
		}
	}
	free(copy);
	free(rec);
}

/* A record names tags by id: another framework that lacks one must refuse it. */
static void test_deserialize_checks_framework(void **state)
{
	(void)state;
	static const char small_fw[] =
		"# Small\n\n- id: small\n\n## S1: One\n\nHeadline: h\n\n1. d\n";
	static const char small_q[] = "# Q\n\n## Q1: Q one\n\n- framework: small\n";
	folio_framework *other = NULL;
	folio_doc *doc = analyze("Evidence. #S4.2\n"), *back = NULL;
	char *rec = NULL;
	size_t len = 0;

	assert_int_equal(folio_framework_parse(&other, "small.md", small_fw, strlen(small_fw), "q.md", small_q, strlen(small_q)), 0);
	assert_int_equal(folio_doc_serialize(&rec, &len, doc, fw), 0);
	assert_int_equal(folio_doc_deserialize(&back, other, rec, len), FOLIO_EINVALID);
	assert_null(back);
	folio_framework_free(other);
	folio_doc_free(doc);
	free(rec);
}

/* ------------------------------------------------------------ UTF-8 and odd input */

static void test_utf8_valid(void **state)
{
	(void)state;
	size_t bad = 99;
	static const struct {
		const char *s;
		size_t len;
		int ok;
		size_t bad;
	} t[] = {
		{ "", 0, 1, 0 },
		{ "plain ascii", 11, 1, 0 },
		{ "caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80", 14, 1, 0 },
		{ "\xef\xbf\xbf\xf4\x8f\xbf\xbf", 7, 1, 0 },   /* U+FFFF, U+10FFFF */
		{ "ab\0cd", 5, 0, 2 },
		{ "ab\x80", 3, 0, 2 },                        /* stray continuation */
		{ "\xc0\xaf", 2, 0, 0 },                      /* overlong */
		{ "x\xe0\x80\xaf", 4, 0, 1 },                 /* overlong, 3 bytes */
		{ "\xed\xa0\x80", 3, 0, 0 },                  /* surrogate */
		{ "\xf4\x90\x80\x80", 4, 0, 0 },              /* above U+10FFFF */
		{ "\xf5\x80\x80\x80", 4, 0, 0 },
		{ "ok\xe2\x82", 4, 0, 2 },                    /* cut short */
		{ "\xe2\x82x", 3, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bad = 99;
		int ok = folio_utf8_valid(t[i].s, t[i].len, &bad);
		if (!!ok != t[i].ok)
			fail_msg("utf8 sample %zu: got %d", i, ok);
		if (!t[i].ok)
			assert_int_equal(bad, t[i].bad);
	}
}

static void test_analyze_empty_and_null(void **state)
{
	(void)state;
	folio_doc *doc = NULL;

	assert_int_equal(folio_doc_analyze(&doc, fw, NULL, 0), 0);
	assert_int_equal(doc->readable, 1);
	assert_int_equal(doc->nunits, 0);
	assert_int_equal(doc->nproblems, 1);
	assert_int_equal(doc->problems[0].severity, FOLIO_SEV_WARNING);
	assert_int_equal(folio_doc_error_count(doc), 0);
	folio_doc_free(doc);
	folio_doc_free(NULL);
}

static void test_error_count(void **state)
{
	(void)state;
	folio_doc *doc = analyze("#S5 #S6 #S1.9.9\n\nfine #S1\n");
	assert_int_equal(doc->nproblems, 3);
	assert_int_equal(folio_doc_error_count(doc), 3);
	folio_doc_free(doc);
}

/*
 * Deep nesting must neither overflow nor slow down: 300 nested list items
 * tagged S1.1, S2.1, S3.1, S4.1, S1.1, ... Below the fourth level every item
 * only repeats what an enclosing item credits, so there are four units.
 */
static void test_deep_nesting(void **state)
{
	(void)state;
	enum { DEPTH = 300 };
	out_buf o;
	out_open(&o);
	for (int d = 0; d < DEPTH; d++)
		fprintf(o.f, "%*s- level %d #S%d.1\n", 2 * d, "", d, 1 + d % 4);
	char *text = out_close(&o);
	folio_doc *doc = analyze(text);

	assert_int_equal(doc->nunits, 4);
	for (int u = 0; u < 4; u++) {
		assert_int_equal(doc->units[u].line, u + 1);
		assert_int_equal(doc->units[u].ncredits, 2);
		assert_int_equal(doc->units[u].words, 2 * (DEPTH - u));
	}
	assert_int_equal(doc->words, 2 * DEPTH);
	assert_int_equal(doc->nproblems, 0);
	folio_doc_free(doc);
	free(text);
}

/* Many problems on one long line, split over many text nodes: all found, the last at its exact column. */
static void test_many_problems_on_one_line(void **state)
{
	(void)state;
	enum { N = 5000 };
	out_buf o;
	out_open(&o);
	for (int i = 0; i < N; i++)
		fputs("*a*#S5 ", o.f);
	char *text = out_close(&o);
	folio_doc *doc = analyze(text);

	assert_int_equal(doc->nproblems, N + 1);
	assert_int_equal(doc->problems[0].severity, FOLIO_SEV_WARNING);
	assert_int_equal(doc->problems[1].column, 4);
	assert_int_equal(doc->problems[N].line, 1);
	assert_int_equal(doc->problems[N].column, 7 * (N - 1) + 4);
	assert_int_equal(doc->words, N);
	folio_doc_free(doc);
	free(text);
}

/* Byte offset of a 1-based line and character column in text (lines end at LF, CRLF or CR). */
static size_t offset_of(const char *text, size_t len, unsigned line, unsigned column)
{
	size_t i = 0;
	for (unsigned l = 1; l < line && i < len; i++) {
		if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
			i++;
		if (text[i] == '\n' || text[i] == '\r')
			l++;
	}
	for (unsigned c = 1; c < column && i < len; c++)
		for (i++; i < len && ((unsigned char)text[i] & 0xC0) == 0x80; i++)
			;
	return i;
}

/*
 * Entries made of random Markdown pieces: every tag problem must point at
 * its tag in the text, problems must be in order, and the cache form must
 * round-trip. A fixed seed keeps it repeatable.
 */
static void test_random_entries(void **state)
{
	(void)state;
	static const char *const pieces[] = {
		"#S1", "#s2.3", "#S2.12", "#S5", "#S1.2.3", "#", " ", "\n", "\n\n", "- ", "  - ", "> ", "# ", "## ",
		"`", "```\n", "*", "_", "[", "](", "<", ">", "\\", "\\\n", "&amp;", "\xc3\xa9", "\xe2\x80\x94", "\t",
		"1. ", "word", "(", ",", ";", "\r\n", "---\n", "===\n", "    ", "http://x/", "<b>", "</b>",
	};
	unsigned long long seed = 42;
	char buf[512];

	for (int it = 0; it < 3000; it++) {
		size_t n = 0;
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		int k = (int)(seed >> 59) + 8;
		for (int i = 0; i < k; i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			const char *piece = pieces[(seed >> 33) % (sizeof(pieces) / sizeof(pieces[0]))];
			size_t len = strlen(piece);
			if (n + len >= sizeof(buf))
				break;
			memcpy(buf + n, piece, len);
			n += len;
		}
		folio_doc *doc = NULL;
		assert_int_equal(folio_doc_analyze(&doc, fw, buf, n), 0);
		for (size_t i = 0; i < doc->nproblems; i++) {
			const folio_problem *p = &doc->problems[i];
			const char *q = strchr(p->message, '\'');
			if (i > 0)
				assert_true(p->line > doc->problems[i - 1].line ||
					(p->line == doc->problems[i - 1].line && p->column >= doc->problems[i - 1].column));
			if (!q || p->severity != FOLIO_SEV_ERROR)
				continue;
			size_t tl = strcspn(q + 1, "'"), at = offset_of(buf, n, p->line, p->column);
			if (at + tl > n || memcmp(buf + at, q + 1, tl) != 0)
				fail_msg("'%.*s' is not at %u:%u of:\n%.*s", (int)tl, q + 1, p->line, p->column, (int)n, buf);
		}
		round_trip(doc);
		folio_doc_free(doc);
	}
}

/* ------------------------------------------------------------ coverage */

static char *words(int n)
{
	out_buf o;
	out_open(&o);
	for (int i = 0; i < n; i++)
		fprintf(o.f, "word%s", (i + 1) % 12 ? " " : "\n");
	return out_close(&o);
}

static void test_coverage_totals(void **state)
{
	(void)state;
	const folio_qualification *qms = folio_framework_find_qualification(fw, "QMS");
	char *w160 = words(160);
	char *b_text = NULL;
	out_buf o;

	out_open(&o);
	fprintf(o.f, "- An item about feedback. #S2.4\n\n## Trust #S1\n\n%s\n\n- Listening first. #S1.2\n", w160);
	b_text = out_close(&o);

	folio_coverage *cov = folio_coverage_new(fw, qms, "0123456789abcdef0123456789abcdef01234567");
	/* added out of order: finish sorts by path */
	folio_coverage_add(cov, "2025-11-01-c.md", analyze("Nothing tagged.\n"));
	folio_coverage_add(cov, "2025-10-01-b.md", analyze(b_text));
	folio_coverage_add(cov, "2025-09-01-a.md", analyze("A paragraph about trust. #S1.2\n\nUnknown #S7 here.\n"));
	folio_coverage_finish(cov);

	assert_string_equal(cov->commit, "0123456789abcdef0123456789abcdef01234567");
	assert_int_equal(cov->nentries, 3);
	assert_string_equal(cov->entries[0].path, "2025-09-01-a.md");
	assert_string_equal(cov->entries[1].path, "2025-10-01-b.md");
	assert_string_equal(cov->entries[2].path, "2025-11-01-c.md");

	const folio_standard_coverage *s1 = &cov->standards[0], *s2 = &cov->standards[1], *s3 = &cov->standards[2];
	/* S1: a's paragraph and b's section; b's nested item credits only S1.2 */
	assert_int_equal(s1->evidence, 2);
	assert_int_equal(s1->words, 4 + 160 + 2);
	assert_int_equal(s1->per_entry[0], 1);
	assert_int_equal(s1->per_entry[1], 1);
	assert_int_equal(s1->per_entry[2], 0);
	assert_int_equal(s1->entries, 2);
	assert_int_equal(s1->descriptors[0], 0);
	assert_int_equal(s1->descriptors[1], 2);
	assert_int_equal(s1->needed_evidence, 2);
	assert_int_equal(s1->needed_words, 150);
	assert_int_equal(s2->evidence, 1);
	assert_int_equal(s2->words, 4);
	assert_int_equal(s2->per_entry[1], 1);
	assert_int_equal(s2->descriptors[3], 1);
	assert_int_equal(s2->entries, 1);
	assert_int_equal(s3->evidence, 0);
	assert_int_equal(s3->entries, 0);

	assert_int_equal(cov->errors, 1);
	assert_int_equal(cov->warnings, 1);
	assert_false(cov->ready);
	assert_int_equal(cov->nmissing, 3);
	assert_string_equal(cov->missing[0], "S2 Teaching: 1 of 2 evidence blocks, 4 of 150 words");
	assert_string_equal(cov->missing[1], "S3 Professionalism: 0 of 2 evidence blocks, 0 of 150 words");
	assert_string_equal(cov->missing[2], "S4 Self-development and working in partnership: 0 of 2 evidence blocks, 0 of 150 words");

	/* finish can run again after more entries */
	folio_coverage_add(cov, "2025-08-01-0.md", analyze("More. #S2\n"));
	folio_coverage_finish(cov);
	assert_string_equal(cov->entries[0].path, "2025-08-01-0.md");
	assert_int_equal(cov->standards[1].evidence, 2);
	assert_int_equal(cov->standards[0].per_entry[1], 1);
	assert_int_equal(cov->nmissing, 3);
	assert_string_equal(cov->missing[0], "S2 Teaching: 2 of 2 evidence blocks, 5 of 150 words");

	folio_coverage_free(cov);
	folio_coverage_free(NULL);
	free(b_text);
	free(w160);
}

static void test_coverage_readiness(void **state)
{
	(void)state;
	char *w80 = words(80);
	out_buf o;

	out_open(&o);
	for (int s = 1; s <= 4; s++)
		fprintf(o.f, "## Standard %d\n\n%s #S%d\n\n%s #S%d.1\n\n", s, w80, s, w80, s);
	char *text = out_close(&o);

	/* two blocks of 80 words per standard: enough for QMS (2, 150), not QLMS (3, 250) */
	folio_coverage *cov = folio_coverage_new(fw, folio_framework_find_qualification(fw, "QMS"), NULL);
	folio_coverage_add(cov, "entry.md", analyze(text));
	folio_coverage_finish(cov);
	assert_string_equal(cov->commit, "");
	assert_true(cov->ready);
	assert_int_equal(cov->nmissing, 0);
	for (int s = 0; s < 4; s++) {
		assert_int_equal(cov->standards[s].evidence, 2);
		assert_int_equal(cov->standards[s].words, 160);
	}
	folio_coverage_free(cov);

	cov = folio_coverage_new(fw, folio_framework_find_qualification(fw, "QLMS"), NULL);
	folio_coverage_add(cov, "entry.md", analyze(text));
	folio_coverage_add(cov, "broken.md", analyze("#S5 only\n"));
	folio_coverage_finish(cov);
	assert_false(cov->ready);
	assert_int_equal(cov->nmissing, 4);
	assert_string_equal(cov->missing[0], "S1 Personal qualities: 2 of 3 evidence blocks, 160 of 250 words");
	assert_int_equal(cov->errors, 1);
	folio_coverage_free(cov);

	/* problems do not block readiness */
	cov = folio_coverage_new(fw, folio_framework_find_qualification(fw, "QMS"), NULL);
	folio_coverage_add(cov, "entry.md", analyze(text));
	folio_coverage_add(cov, "broken.md", analyze("#S5 only\n"));
	folio_coverage_finish(cov);
	assert_true(cov->ready);
	assert_int_equal(cov->errors, 1);
	assert_int_equal(cov->warnings, 1);
	folio_coverage_free(cov);

	/* without a qualification nothing is needed, and nothing is ready */
	cov = folio_coverage_new(fw, NULL, NULL);
	folio_coverage_add(cov, "entry.md", analyze(text));
	folio_coverage_finish(cov);
	assert_false(cov->ready);
	assert_int_equal(cov->nmissing, 0);
	assert_int_equal(cov->standards[0].needed_evidence, 0);
	assert_int_equal(cov->standards[0].needed_words, 0);
	folio_coverage_free(cov);

	free(text);
	free(w80);
}

static void test_coverage_empty(void **state)
{
	(void)state;
	folio_coverage *cov = folio_coverage_new(fw, folio_framework_find_qualification(fw, "QMS"), "abc");
	folio_coverage_finish(cov);
	assert_int_equal(cov->nentries, 0);
	assert_false(cov->ready);
	assert_int_equal(cov->nmissing, 4);
	assert_string_equal(cov->missing[3], "S4 Self-development and working in partnership: 0 of 2 evidence blocks, 0 of 150 words");
	folio_coverage_free(cov);
}

/* ------------------------------------------------------------ main */

static int load_framework(void **state)
{
	(void)state;
	if (folio_framework_load(&fw, TEST_STANDARDS_DIR) < 0) {
		print_error("cannot load the framework: %s\n", folio_error_last());
		return -1;
	}
	return 0;
}

static int free_framework(void **state)
{
	(void)state;
	folio_framework_free(fw);
	fw = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases_file_is_complete),
		cmocka_unit_test(test_round_trip_every_case),
		cmocka_unit_test(test_serialize_format),
		cmocka_unit_test(test_deserialize_accepts_minimal),
		cmocka_unit_test(test_deserialize_rejects_garbage),
		cmocka_unit_test(test_deserialize_prefixes_and_mutations),
		cmocka_unit_test(test_deserialize_checks_framework),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_analyze_empty_and_null),
		cmocka_unit_test(test_error_count),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_many_problems_on_one_line),
		cmocka_unit_test(test_random_entries),
		cmocka_unit_test(test_coverage_totals),
		cmocka_unit_test(test_coverage_readiness),
		cmocka_unit_test(test_coverage_empty),
	};
	int failed;

	load_cases(FOLIO_CASES_FILE);
	failed = cmocka_run_group_tests_name("evidence", tests, load_framework, free_framework);

	/* One reported check per case of cases.md. */
	if (ncases) {
		struct CMUnitTest *ct = calloc(ncases, sizeof(*ct));
		char **names = calloc(ncases, sizeof(char *));
		for (size_t i = 0; i < ncases; i++) {
			size_t n = strlen(cases[i].name) + 8;
			names[i] = malloc(n);
			snprintf(names[i], n, "case: %s", cases[i].name);
			ct[i].name = names[i];
			ct[i].test_func = test_case;
			ct[i].initial_state = &cases[i];
		}
		failed += _cmocka_run_group_tests("evidence cases", ct, ncases, load_framework, free_framework);
		for (size_t i = 0; i < ncases; i++)
			free(names[i]);
		free(names);
		free(ct);
	}
	free_cases();
	return failed ? 1 : 0;
}
