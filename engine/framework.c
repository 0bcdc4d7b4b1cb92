/* engine/framework.c: the standards framework and the qualifications, read as data from two Markdown files. */

/*
 * Both files are parsed with cmark and read from the syntax tree, so
 * Markdown details (wrapped lines, emphasis, numbering) never matter.
 *
 * The framework file (e.g. standards/mentor-standards-2016.md):
 *
 *   # Title                         first-level heading: the framework title
 *   - id: mentor-standards-2016     first bullet list: `key: value` metadata,
 *   - source: DfE, July 2016          keys `id` (required) and `source`
 *   ## S1: Personal qualities       one second-level heading per standard,
 *                                     `ID: Title`, ID = letters then digits
 *   Headline: ...                   paragraph: the full-standard headline
 *   Summary: ...                    paragraph (optional): the summary wording
 *   1. ...                          exactly one numbered list, from 1: the
 *                                     descriptors S1.1, S1.2, ...
 *
 * Other paragraphs ("The mentor should:", "Note: ...") and bullet lists
 * inside a standard are notes and ignored.
 *
 * The qualifications file (standards/qualifications.md):
 *
 *   ## QMS: Qualified Mentor Status   one second-level heading per qualification
 *   - framework: mentor-standards-2016   required, the framework file's id
 *   - requires: QMS                      optional, another qualification
 *   - focus: ...                         one line
 *   - evidence per standard: 2           default 1
 *   - words per standard: 150            default 0
 *   - evidence for S2: 4                 optional per-standard override
 *   - words for S2: 300                  optional per-standard override
 *
 * Every malformed file gives FOLIO_EINVALID and "FILE:LINE: message".
 */

#include "folio/framework.h"

#include <cmark.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Cap on numbers in the qualifications file: far above any sensible need, far below overflow. */
#define MAX_NUMBER 100000000UL

typedef struct {
	const char *id; /* borrowed from the standard or descriptor */
	size_t len;
	size_t standard;
	int is_descriptor;
} fw_tag;

struct folio_framework {
	char *id, *title, *source;
	char digest[65];
	folio_standard *standards;
	size_t nstandards;
	folio_qualification *quals;
	size_t nquals;
	fw_tag *tags;
	size_t ntags;
};

/* One `key: value` item of the qualifications file, before it is checked against the framework. */
typedef struct {
	char *key; /* as written; keys compare case-insensitively */
	char *value;
	unsigned line;
} kv_item;

typedef struct {
	char *id, *name;
	unsigned line;
	kv_item *items;
	size_t nitems;
} raw_qual;

typedef struct {
	raw_qual *q;
	size_t n;
} raw_quals;

/* ------------------------------------------------------------ helpers */

static int file_error(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int file_error(const char *file, int line, const char *fmt, ...)
{
	folio_buf msg = FOLIO_BUF_INIT;
	va_list ap;
	int error;

	va_start(ap, fmt);
	folio_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	error = folio_error_set(FOLIO_EINVALID, "%s:%d: %s", file, line > 0 ? line : 1, msg.ptr);
	folio_buf_free(&msg);
	return error;
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Append the plain text of a node's inline content: soft and hard breaks become spaces, HTML is dropped. */
static void plain_text(folio_buf *out, cmark_node *node)
{
	cmark_iter *it = cmark_iter_new(node);
	cmark_event_type ev;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		if (ev != CMARK_EVENT_ENTER)
			continue;
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
			folio_buf_puts(out, cmark_node_get_literal(n));
			break;
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
			folio_buf_putc(out, ' ');
			break;
		case CMARK_NODE_PARAGRAPH:
		case CMARK_NODE_HEADING:
			if (out->size && out->ptr[out->size - 1] != ' ')
				folio_buf_putc(out, ' ');
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
}

/* New string: s[0..len) without leading and trailing whitespace. */
static char *trimmed(const char *s, size_t len)
{
	while (len && is_space((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len && is_space((unsigned char)s[len - 1]))
		len--;
	return folio_strndup(s, len);
}

/* Plain text of a node, trimmed; caller frees. */
static char *node_text(cmark_node *node)
{
	folio_buf b = FOLIO_BUF_INIT;
	char *s;

	plain_text(&b, node);
	s = trimmed(b.ptr, b.size);
	folio_buf_free(&b);
	return s;
}

/*
 * Split "KEY: rest" at the first colon into trimmed parts. Returns 0 when
 * there is no colon or either side is empty.
 */
static int split_colon(char **key, char **value, const char *s)
{
	const char *colon = strchr(s, ':');

	*key = *value = NULL;
	if (!colon)
		return 0;
	*key = trimmed(s, (size_t)(colon - s));
	*value = trimmed(colon + 1, strlen(colon + 1));
	if (!**key || !**value) {
		free(*key);
		free(*value);
		*key = *value = NULL;
		return 0;
	}
	return 1;
}

/* Letters followed by digits, e.g. "S1". */
static int is_standard_id(const char *s)
{
	size_t i = 0;

	while (is_alpha((unsigned char)s[i]))
		i++;
	if (i == 0 || !is_digit((unsigned char)s[i]))
		return 0;
	while (is_digit((unsigned char)s[i]))
		i++;
	return s[i] == '\0';
}

/* A letter, then letters, digits or '-', e.g. "QMS". */
static int is_qualification_id(const char *s)
{
	if (!is_alpha((unsigned char)*s))
		return 0;
	for (s++; *s; s++)
		if (!is_alpha((unsigned char)*s) && !is_digit((unsigned char)*s) && *s != '-')
			return 0;
	return 1;
}

/* A framework id is also a file name: letters, digits, '.', '_', '-', not starting with '.'. */
static int is_plain_name(const char *s)
{
	if (!*s || *s == '.')
		return 0;
	for (; *s; s++)
		if (!is_alpha((unsigned char)*s) && !is_digit((unsigned char)*s) && *s != '.' && *s != '_' && *s != '-')
			return 0;
	return 1;
}

static int starts_with_nocase(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	return strlen(s) >= n && folio_strncasecmp_ascii(s, prefix, n) == 0;
}

static int same_key(const char *a, const char *b)
{
	return folio_strncasecmp_ascii(a, b, strlen(b) + 1) == 0;
}

static int line_of(cmark_node *node)
{
	return cmark_node_get_start_line(node);
}

/* ------------------------------------------------------------ freeing */

static void standard_clear(folio_standard *s)
{
	for (size_t i = 0; i < s->ndescriptors; i++) {
		free(s->descriptors[i].id);
		free(s->descriptors[i].text);
	}
	free(s->descriptors);
	free(s->id);
	free(s->title);
	free(s->headline);
	free(s->summary);
}

static void qualification_clear(folio_qualification *q)
{
	free(q->id);
	free(q->name);
	free(q->focus);
	free(q->requires);
	free(q->min_evidence);
	free(q->min_words);
}

void folio_framework_free(folio_framework *fw)
{
	if (!fw)
		return;
	for (size_t i = 0; i < fw->nstandards; i++)
		standard_clear(&fw->standards[i]);
	free(fw->standards);
	for (size_t i = 0; i < fw->nquals; i++)
		qualification_clear(&fw->quals[i]);
	free(fw->quals);
	free(fw->tags);
	free(fw->id);
	free(fw->title);
	free(fw->source);
	free(fw);
}

static void raw_quals_free(raw_quals *rq)
{
	for (size_t i = 0; i < rq->n; i++) {
		raw_qual *q = &rq->q[i];
		for (size_t j = 0; j < q->nitems; j++) {
			free(q->items[j].key);
			free(q->items[j].value);
		}
		free(q->items);
		free(q->id);
		free(q->name);
	}
	free(rq->q);
	rq->q = NULL;
	rq->n = 0;
}

/* ------------------------------------------------------------ framework file */

static int parse_metadata(folio_framework *fw, const char *file, cmark_node *list)
{
	int error = 0;
	char *text = NULL, *key = NULL, *value = NULL;

	for (cmark_node *item = cmark_node_first_child(list); item; item = cmark_node_next(item)) {
		text = node_text(item);
		if (!split_colon(&key, &value, text)) {
			error = file_error(file, line_of(item), "metadata item '%s' is not of the form 'key: value'", text);
			goto cleanup;
		}
		char **slot = NULL;
		if (same_key(key, "id"))
			slot = &fw->id;
		else if (same_key(key, "source"))
			slot = &fw->source;
		else {
			error = file_error(file, line_of(item), "unknown metadata key '%s' (known: id, source)", key);
			goto cleanup;
		}
		if (*slot) {
			error = file_error(file, line_of(item), "metadata key '%s' given twice", key);
			goto cleanup;
		}
		if (slot == &fw->id && !is_plain_name(value)) {
			error = file_error(file, line_of(item),
				"framework id '%s' must be a plain name (letters, digits, '.', '_', '-')", value);
			goto cleanup;
		}
		*slot = value;
		value = NULL;
		free(key);
		free(text);
		key = text = NULL;
	}

cleanup:
	free(text);
	free(key);
	free(value);
	return error;
}

/* Check the standard just finished (its heading is at `line`); the summary defaults to the headline. */
static int standard_finish(folio_standard *s, const char *file, int line)
{
	if (!s->headline)
		return file_error(file, line, "standard '%s' has no 'Headline:' paragraph", s->id);
	if (!s->ndescriptors)
		return file_error(file, line, "standard '%s' has no descriptors (a numbered list)", s->id);
	if (!s->summary)
		s->summary = folio_strdup(s->headline);
	return 0;
}

static int parse_descriptors(folio_standard *s, const char *file, cmark_node *list)
{
	size_t n = 0;
	int start = cmark_node_get_list_start(list);

	if (start != 1)
		return file_error(file, line_of(list), "the descriptors of '%s' are numbered from %d, not from 1", s->id, start);
	for (cmark_node *item = cmark_node_first_child(list); item; item = cmark_node_next(item))
		n++;
	s->descriptors = folio_calloc(n, sizeof(*s->descriptors));
	for (cmark_node *item = cmark_node_first_child(list); item; item = cmark_node_next(item)) {
		folio_descriptor *d = &s->descriptors[s->ndescriptors];
		d->text = node_text(item);
		d->id = folio_asprintf("%s.%zu", s->id, s->ndescriptors + 1);
		s->ndescriptors++;
		if (!*d->text)
			return file_error(file, line_of(item), "descriptor '%s' is empty", d->id);
	}
	return 0;
}

/* `## S1: Personal qualities` starts a standard. */
static int start_standard(folio_framework *fw, const char *file, cmark_node *heading)
{
	char *text = node_text(heading), *id = NULL, *title = NULL;
	int error = 0;

	if (!split_colon(&id, &title, text) || !is_standard_id(id)) {
		error = file_error(file, line_of(heading),
			"heading '%s' is not of the form 'ID: Title' with ID letters then digits (e.g. 'S1: Personal qualities')", text);
		goto cleanup;
	}
	for (size_t i = 0; i < fw->nstandards; i++) {
		if (folio_strncasecmp_ascii(fw->standards[i].id, id, strlen(id) + 1) == 0) {
			error = file_error(file, line_of(heading), "standard '%s' is defined twice", id);
			goto cleanup;
		}
	}
	fw->standards = folio_realloc(fw->standards, (fw->nstandards + 1) * sizeof(*fw->standards));
	folio_standard *s = &fw->standards[fw->nstandards++];
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->title = title;
	id = title = NULL;

cleanup:
	free(text);
	free(id);
	free(title);
	return error;
}

static int parse_framework(folio_framework *fw, const char *file, const char *text, size_t len)
{
	cmark_node *doc = cmark_parse_document(text, len, CMARK_OPT_SOURCEPOS);
	folio_standard *cur = NULL;
	int cur_line = 0, meta_line = 0, have_meta = 0, have_list = 0;
	int error = 0;
	char *para = NULL;

	for (cmark_node *node = cmark_node_first_child(doc); node; node = cmark_node_next(node)) {
		cmark_node_type type = cmark_node_get_type(node);

		if (type == CMARK_NODE_HEADING) {
			int level = cmark_node_get_heading_level(node);
			if (level == 1) {
				if (fw->title || cur) {
					error = file_error(file, line_of(node), "a second first-level heading; the title comes once, at the top");
					goto cleanup;
				}
				fw->title = node_text(node);
				continue;
			}
			if (level != 2) {
				char *h = node_text(node);
				error = file_error(file, line_of(node),
					"heading '%s' is level %d; standards are second-level headings '## ID: Title'", h, level);
				free(h);
				goto cleanup;
			}
			if (cur && (error = standard_finish(cur, file, cur_line)) < 0)
				goto cleanup;
			if ((error = start_standard(fw, file, node)) < 0)
				goto cleanup;
			cur = &fw->standards[fw->nstandards - 1];
			cur_line = line_of(node);
			have_list = 0;
		} else if (type == CMARK_NODE_LIST && !cur) {
			if (cmark_node_get_list_type(node) == CMARK_BULLET_LIST && !have_meta) {
				have_meta = 1;
				meta_line = line_of(node);
				if ((error = parse_metadata(fw, file, node)) < 0)
					goto cleanup;
			}
		} else if (type == CMARK_NODE_LIST && cmark_node_get_list_type(node) == CMARK_ORDERED_LIST) {
			if (have_list) {
				error = file_error(file, line_of(node), "standard '%s' has a second numbered list; it takes exactly one", cur->id);
				goto cleanup;
			}
			have_list = 1;
			if ((error = parse_descriptors(cur, file, node)) < 0)
				goto cleanup;
		} else if (type == CMARK_NODE_PARAGRAPH && cur) {
			char **slot = NULL;
			size_t skip = 0;
			para = node_text(node);
			if (starts_with_nocase(para, "headline:")) {
				slot = &cur->headline;
				skip = strlen("headline:");
			} else if (starts_with_nocase(para, "summary:")) {
				slot = &cur->summary;
				skip = strlen("summary:");
			}
			if (slot) {
				if (*slot) {
					error = file_error(file, line_of(node), "standard '%s' has a second '%.*s' paragraph",
						cur->id, (int)skip, para);
					goto cleanup;
				}
				*slot = trimmed(para + skip, strlen(para + skip));
				if (!**slot) {
					error = file_error(file, line_of(node), "the '%.*s' paragraph of '%s' is empty",
						(int)skip, para, cur->id);
					goto cleanup;
				}
			}
			free(para);
			para = NULL;
		}
	}

	if (!fw->title) {
		error = file_error(file, 1, "no title: the file must start with a first-level heading '# Title'");
		goto cleanup;
	}
	if (!fw->id) {
		error = file_error(file, have_meta ? meta_line : 1, "no framework id: expected a metadata list item '- id: NAME'");
		goto cleanup;
	}
	if (!cur) {
		error = file_error(file, 1, "no standards: expected second-level headings '## S1: Title'");
		goto cleanup;
	}
	if ((error = standard_finish(cur, file, cur_line)) < 0)
		goto cleanup;
	if (!fw->source)
		fw->source = folio_strdup("");

cleanup:
	free(para);
	cmark_node_free(doc);
	return error;
}

/* ------------------------------------------------------------ qualifications file */

static int parse_qualifications(raw_quals *rq, const char *file, const char *text, size_t len)
{
	cmark_node *doc = cmark_parse_document(text, len, CMARK_OPT_SOURCEPOS);
	raw_qual *cur = NULL;
	char *s = NULL, *key = NULL, *value = NULL;
	int error = 0;

	for (cmark_node *node = cmark_node_first_child(doc); node; node = cmark_node_next(node)) {
		cmark_node_type type = cmark_node_get_type(node);

		if (type == CMARK_NODE_HEADING) {
			int level = cmark_node_get_heading_level(node);
			if (level == 1)
				continue;
			s = node_text(node);
			if (level != 2) {
				error = file_error(file, line_of(node),
					"heading '%s' is level %d; qualifications are second-level headings '## ID: Name'", s, level);
				goto cleanup;
			}
			if (!split_colon(&key, &value, s) || !is_qualification_id(key)) {
				error = file_error(file, line_of(node),
					"heading '%s' is not of the form 'ID: Name' (e.g. 'QMS: Qualified Mentor Status')", s);
				goto cleanup;
			}
			for (size_t i = 0; i < rq->n; i++) {
				if (folio_strncasecmp_ascii(rq->q[i].id, key, strlen(key) + 1) == 0) {
					error = file_error(file, line_of(node), "qualification '%s' is defined twice", key);
					goto cleanup;
				}
			}
			rq->q = folio_realloc(rq->q, (rq->n + 1) * sizeof(*rq->q));
			cur = &rq->q[rq->n++];
			memset(cur, 0, sizeof(*cur));
			cur->id = key;
			cur->name = value;
			cur->line = (unsigned)line_of(node);
			key = value = NULL;
			free(s);
			s = NULL;
		} else if (type == CMARK_NODE_LIST && cur) {
			for (cmark_node *item = cmark_node_first_child(node); item; item = cmark_node_next(item)) {
				s = node_text(item);
				if (!split_colon(&key, &value, s)) {
					error = file_error(file, line_of(item), "item '%s' of qualification '%s' is not of the form 'key: value'",
						s, cur->id);
					goto cleanup;
				}
				for (size_t i = 0; i < cur->nitems; i++) {
					if (same_key(cur->items[i].key, key)) {
						error = file_error(file, line_of(item), "key '%s' given twice for qualification '%s'", key, cur->id);
						goto cleanup;
					}
				}
				cur->items = folio_realloc(cur->items, (cur->nitems + 1) * sizeof(*cur->items));
				kv_item *kv = &cur->items[cur->nitems++];
				kv->key = key;
				kv->value = value;
				kv->line = (unsigned)line_of(item);
				key = value = NULL;
				free(s);
				s = NULL;
			}
		}
	}
	if (rq->n == 0)
		error = file_error(file, 1, "no qualifications: expected second-level headings '## QMS: Name'");

cleanup:
	free(s);
	free(key);
	free(value);
	cmark_node_free(doc);
	if (error < 0)
		raw_quals_free(rq);
	return error;
}

static const kv_item *raw_find(const raw_qual *q, const char *key)
{
	for (size_t i = 0; i < q->nitems; i++)
		if (same_key(q->items[i].key, key))
			return &q->items[i];
	return NULL;
}

static int parse_number(size_t *out, const char *file, const kv_item *kv)
{
	unsigned long n = 0;
	const char *p = kv->value;

	if (!*p)
		goto bad;
	for (; *p; p++) {
		if (!is_digit((unsigned char)*p))
			goto bad;
		n = n * 10 + (unsigned long)(*p - '0');
		if (n > MAX_NUMBER)
			goto bad;
	}
	*out = (size_t)n;
	return 0;
bad:
	return file_error(file, (int)kv->line, "'%s' must be a whole number up to %lu, not '%s'", kv->key, MAX_NUMBER, kv->value);
}

static long standard_by_id(const folio_framework *fw, const char *id)
{
	for (size_t i = 0; i < fw->nstandards; i++)
		if (folio_strncasecmp_ascii(fw->standards[i].id, id, strlen(id) + 1) == 0)
			return (long)i;
	return -1;
}

/* Check one qualification's items against the framework and fill in q. */
static int bind_qualification(folio_framework *fw, folio_qualification *q, const raw_qual *r, const char *file, const char *fw_file)
{
	size_t per_evidence = 1, per_words = 0;
	const kv_item *kv;
	int error = 0;

	q->id = folio_strdup(r->id);
	q->name = folio_strdup(r->name);
	q->min_evidence = folio_calloc(fw->nstandards, sizeof(size_t));
	q->min_words = folio_calloc(fw->nstandards, sizeof(size_t));

	if (!(kv = raw_find(r, "framework")))
		return file_error(file, (int)r->line, "qualification '%s' names no framework (add '- framework: %s')", r->id, fw->id);
	if (strcmp(kv->value, fw->id) != 0)
		return file_error(file, (int)kv->line, "qualification '%s' names framework '%s' but %s has id '%s'",
			r->id, kv->value, fw_file, fw->id);
	if ((kv = raw_find(r, "evidence per standard")) && (error = parse_number(&per_evidence, file, kv)) < 0)
		return error;
	if ((kv = raw_find(r, "words per standard")) && (error = parse_number(&per_words, file, kv)) < 0)
		return error;
	for (size_t i = 0; i < fw->nstandards; i++) {
		q->min_evidence[i] = per_evidence;
		q->min_words[i] = per_words;
	}

	for (size_t i = 0; i < r->nitems; i++) {
		kv = &r->items[i];
		const char *k = kv->key;
		if (same_key(k, "framework") || same_key(k, "requires") ||
		    same_key(k, "evidence per standard") || same_key(k, "words per standard"))
			continue;
		if (same_key(k, "focus")) {
			q->focus = folio_strdup(kv->value);
			continue;
		}
		size_t *table = NULL;
		const char *rest = NULL;
		if (starts_with_nocase(k, "evidence for ")) {
			table = q->min_evidence;
			rest = k + 13;
		} else if (starts_with_nocase(k, "words for ")) {
			table = q->min_words;
			rest = k + 10;
		}
		if (!table)
			return file_error(file, (int)kv->line,
				"unknown key '%s' in qualification '%s' (known: framework, requires, focus, "
				"evidence per standard, words per standard, evidence for ID, words for ID)", k, r->id);
		long s = standard_by_id(fw, rest);
		if (s < 0)
			return file_error(file, (int)kv->line, "'%s' names no standard of framework '%s'", k, fw->id);
		if ((error = parse_number(&table[s], file, kv)) < 0)
			return error;
	}
	if (!q->focus)
		q->focus = folio_strdup("");
	return 0;
}

/* Resolve `requires` once every qualification is known; refuse self-reference and cycles. */
static int bind_requires(folio_framework *fw, const raw_quals *rq, const char *file)
{
	for (size_t i = 0; i < rq->n; i++) {
		const kv_item *kv = raw_find(&rq->q[i], "requires");
		if (!kv)
			continue;
		const folio_qualification *req = folio_framework_find_qualification(fw, kv->value);
		if (!req)
			return file_error(file, (int)kv->line, "qualification '%s' requires '%s', which is not defined",
				rq->q[i].id, kv->value);
		if (req == &fw->quals[i])
			return file_error(file, (int)kv->line, "qualification '%s' requires itself", rq->q[i].id);
		fw->quals[i].requires = folio_strdup(req->id);
	}
	for (size_t i = 0; i < fw->nquals; i++) {
		const folio_qualification *q = &fw->quals[i];
		size_t steps = 0;
		while (q && q->requires) {
			q = folio_framework_find_qualification(fw, q->requires);
			if (++steps > fw->nquals)
				return file_error(file, (int)rq->q[i].line, "the requirements of qualification '%s' go round in a circle",
					fw->quals[i].id);
		}
	}
	return 0;
}

static void build_tags(folio_framework *fw)
{
	size_t n = fw->nstandards;

	for (size_t i = 0; i < fw->nstandards; i++)
		n += fw->standards[i].ndescriptors;
	fw->tags = folio_calloc(n, sizeof(*fw->tags));
	for (size_t i = 0; i < fw->nstandards; i++) {
		folio_standard *s = &fw->standards[i];
		s->index = fw->ntags;
		fw->tags[fw->ntags++] = (fw_tag) { s->id, strlen(s->id), i, 0 };
		for (size_t j = 0; j < s->ndescriptors; j++) {
			s->descriptors[j].index = fw->ntags;
			fw->tags[fw->ntags++] = (fw_tag) { s->descriptors[j].id, strlen(s->descriptors[j].id), i, 1 };
		}
	}
}

/* ------------------------------------------------------------ public */

int folio_framework_parse(folio_framework **out,
	const char *fw_name, const char *fw_text, size_t fw_len,
	const char *q_name, const char *q_text, size_t q_len)
{
	folio_framework *fw = folio_calloc(1, sizeof(*fw));
	raw_quals rq = { NULL, 0 };
	folio_buf both = FOLIO_BUF_INIT;
	int error = 0;

	*out = NULL;
	if ((error = parse_framework(fw, fw_name, fw_text, fw_len)) < 0)
		goto cleanup;
	if ((error = parse_qualifications(&rq, q_name, q_text, q_len)) < 0)
		goto cleanup;
	build_tags(fw);
	fw->quals = folio_calloc(rq.n, sizeof(*fw->quals));
	for (size_t i = 0; i < rq.n; i++) {
		fw->nquals++;
		if ((error = bind_qualification(fw, &fw->quals[i], &rq.q[i], q_name, fw_name)) < 0)
			goto cleanup;
	}
	if ((error = bind_requires(fw, &rq, q_name)) < 0)
		goto cleanup;

	/* The NUL separator keeps "ab"+"c" and "a"+"bc" apart. */
	folio_buf_put(&both, fw_text, fw_len);
	folio_buf_putc(&both, '\0');
	folio_buf_put(&both, q_text, q_len);
	folio_sha256_hex(fw->digest, both.ptr, both.size);

	*out = fw;
	fw = NULL;

cleanup:
	folio_buf_free(&both);
	raw_quals_free(&rq);
	folio_framework_free(fw);
	return error;
}

int folio_framework_load(folio_framework **out, const char *dir)
{
	char *q_path = folio_asprintf("%s/qualifications.md", dir);
	char *q_text = NULL, *fw_path = NULL, *fw_text = NULL;
	size_t q_len = 0, fw_len = 0;
	raw_quals rq = { NULL, 0 };
	const kv_item *first = NULL;
	int error = 0;

	*out = NULL;
	if ((error = folio_read_file(&q_text, &q_len, q_path)) < 0)
		goto cleanup;
	if ((error = parse_qualifications(&rq, q_path, q_text, q_len)) < 0)
		goto cleanup;

	/* Every qualification must name the same framework: that names the second file. */
	for (size_t i = 0; i < rq.n; i++) {
		const kv_item *kv = raw_find(&rq.q[i], "framework");
		if (!kv) {
			error = file_error(q_path, (int)rq.q[i].line, "qualification '%s' names no framework (add '- framework: ID')",
				rq.q[i].id);
			goto cleanup;
		}
		if (!first) {
			first = kv;
			if (!is_plain_name(kv->value)) {
				error = file_error(q_path, (int)kv->line, "framework '%s' is not a plain name (letters, digits, '.', '_', '-')",
					kv->value);
				goto cleanup;
			}
		} else if (strcmp(kv->value, first->value) != 0) {
			error = file_error(q_path, (int)kv->line,
				"qualification '%s' names framework '%s' but '%s' names '%s'; all must use the same framework",
				rq.q[i].id, kv->value, rq.q[0].id, first->value);
			goto cleanup;
		}
	}
	fw_path = folio_asprintf("%s/%s.md", dir, first->value);
	if ((error = folio_read_file(&fw_text, &fw_len, fw_path)) < 0)
		goto cleanup;
	error = folio_framework_parse(out, fw_path, fw_text, fw_len, q_path, q_text, q_len);

cleanup:
	raw_quals_free(&rq);
	free(fw_text);
	free(fw_path);
	free(q_text);
	free(q_path);
	return error;
}

const char *folio_framework_id(const folio_framework *fw)
{
	return fw->id;
}

const char *folio_framework_title(const folio_framework *fw)
{
	return fw->title;
}

const char *folio_framework_source(const folio_framework *fw)
{
	return fw->source;
}

const char *folio_framework_digest(const folio_framework *fw)
{
	return fw->digest;
}

size_t folio_framework_standard_count(const folio_framework *fw)
{
	return fw->nstandards;
}

const folio_standard *folio_framework_standard(const folio_framework *fw, size_t i)
{
	return i < fw->nstandards ? &fw->standards[i] : NULL;
}

size_t folio_framework_qualification_count(const folio_framework *fw)
{
	return fw->nquals;
}

const folio_qualification *folio_framework_qualification(const folio_framework *fw, size_t i)
{
	return i < fw->nquals ? &fw->quals[i] : NULL;
}

const folio_qualification *folio_framework_find_qualification(const folio_framework *fw, const char *id)
{
	if (!id)
		return NULL;
	for (size_t i = 0; i < fw->nquals; i++)
		if (fw->quals[i].id && folio_strncasecmp_ascii(fw->quals[i].id, id, strlen(id) + 1) == 0)
			return &fw->quals[i];
	return NULL;
}

size_t folio_framework_tag_count(const folio_framework *fw)
{
	return fw->ntags;
}

const char *folio_framework_tag_id(const folio_framework *fw, size_t tag)
{
	return tag < fw->ntags ? fw->tags[tag].id : NULL;
}

size_t folio_framework_tag_standard(const folio_framework *fw, size_t tag)
{
	return tag < fw->ntags ? fw->tags[tag].standard : 0;
}

int folio_framework_tag_is_descriptor(const folio_framework *fw, size_t tag)
{
	return tag < fw->ntags && fw->tags[tag].is_descriptor;
}

/*
 * Tag ids are a standard id, optionally '.' and a descriptor number without
 * leading zeros (descriptor ids are made that way), so the lookup finds the
 * standard, then indexes its descriptors: no string compare per tag.
 */
long folio_framework_find_tag(const folio_framework *fw, const char *id, size_t len)
{
	const char *dot = memchr(id, '.', len);
	size_t slen = dot ? (size_t)(dot - id) : len;
	const folio_standard *s = NULL;

	for (size_t i = 0; i < fw->nstandards; i++) {
		const fw_tag *t = &fw->tags[fw->standards[i].index];
		if (t->len == slen && folio_strncasecmp_ascii(t->id, id, slen) == 0) {
			s = &fw->standards[i];
			break;
		}
	}
	if (!s)
		return -1;
	if (!dot)
		return (long)s->index;

	const char *d = dot + 1, *end = id + len;
	size_t n = 0;
	if (d == end || *d == '0' || end - d > 9)
		return -1;
	for (; d < end; d++) {
		if (!is_digit((unsigned char)*d))
			return -1;
		n = n * 10 + (size_t)(*d - '0');
	}
	if (n == 0 || n > s->ndescriptors)
		return -1;
	return (long)s->descriptors[n - 1].index;
}

int folio_framework_is_tag_prefix(const folio_framework *fw, const char *prefix, size_t len)
{
	if (len == 0)
		return 0;
	/* Descriptor ids share their standard's letters, so the standards are enough. */
	for (size_t i = 0; i < fw->nstandards; i++) {
		const char *id = fw->standards[i].id;
		if (strlen(id) >= len && folio_strncasecmp_ascii(id, prefix, len) == 0)
			return 1;
	}
	return 0;
}
