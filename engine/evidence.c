/* engine/evidence.c: evidence tags and units read from the cmark syntax tree of one entry, their cache form, and portfolio coverage. */

/*
 * The rules (SPEC §4, tests/evidence/cases.md shows each one):
 *
 * - A tag is '#', letters that start a framework id, digits, and at most
 *   one '.digits' group, in a text node of a paragraph or heading (emphasis
 *   and link text included; code, HTML, link destinations and autolinks
 *   excluded). It must follow the start of the text node, whitespace or one
 *   of ([{"'<,; and be followed by the end or a character that is not a
 *   letter, digit or '_'. A second '.digits' group makes it malformed.
 * - The unit a tag credits: the innermost list item around its paragraph,
 *   else the paragraph; for a heading, the section under it up to the next
 *   heading of the same or a higher level in the same container.
 * - Units nest (a section holds list items which hold list items); a unit
 *   never credits what an enclosing unit already credits, and a unit left
 *   with no credits is dropped.
 * - A word is a run of non-space holding a letter or digit (any non-ASCII
 *   byte counts as a letter) in text and code spans; it runs across inline
 *   markup and ends at a space, a line break or the end of a block. Tag
 *   tokens, code blocks and HTML are not words.
 *
 * The walk is one pass over the tree. Candidate units ("frames") are
 * recorded in document order with a parent link; credits are resolved after
 * the walk, top-down, with a per-tag counter of what the enclosing units
 * credit, so the whole analysis is linear in the size of the entry.
 */

#include "folio/evidence.h"

#include <cmark.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define NONE SIZE_MAX

/* ------------------------------------------------------------ UTF-8 */

int folio_utf8_valid(const char *text, size_t len, size_t *bad_offset)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i];
		size_t need;
		unsigned lo = 0x80, hi = 0xBF; /* allowed range of the first continuation byte */

		if (c >= 0x01 && c < 0x80) {
			/* ASCII runs go eight bytes at a time: no high bit and no zero byte */
			i++;
			while (len - i >= 8) {
				uint64_t v;
				memcpy(&v, s + i, 8);
				if ((v & 0x8080808080808080ULL) || ((v - 0x0101010101010101ULL) & ~v & 0x8080808080808080ULL))
					break;
				i += 8;
			}
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			need = 1;
		else if (c >= 0xE0 && c <= 0xEF) {
			need = 2;
			if (c == 0xE0)
				lo = 0xA0; /* no overlong forms */
			else if (c == 0xED)
				hi = 0x9F; /* no surrogates */
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3;
			if (c == 0xF0)
				lo = 0x90;
			else if (c == 0xF4)
				hi = 0x8F; /* nothing above U+10FFFF */
		} else
			goto bad; /* NUL, a stray continuation byte, C0, C1, F5..FF */
		if (len - i <= need || s[i + 1] < lo || s[i + 1] > hi)
			goto bad;
		for (size_t k = 2; k <= need; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				goto bad;
		i += need + 1;
	}
	return 1;
bad:
	if (bad_offset)
		*bad_offset = i;
	return 0;
}

/* ------------------------------------------------------------ the analysis state */

typedef enum { FRAME_ITEM, FRAME_PARA, FRAME_SECTION } frame_kind;

/* A candidate evidence unit. */
typedef struct {
	frame_kind kind;
	int level;            /* heading level of a section */
	cmark_node *container;/* the block a section lives in: it ends with it */
	unsigned line;
	unsigned words_start, words_end;
	size_t parent;        /* enclosing frame or NONE */
	size_t prev_item;     /* for items: the item that was innermost before */
	size_t first_occ;     /* list of tags found in the unit (occ indices) */
	size_t raw_off, raw_n;/* after the walk: credits before nesting, in rawpool */
} frame;

typedef struct {
	size_t tag;
	size_t next;
} occ;

/* Where the last problem was placed: problems come in document order, so each search goes on from there. */
typedef struct {
	cmark_node *node;    /* text node of the last token located */
	size_t lit_end;      /* offset in its literal just past that token */
	size_t line;         /* its line */
	size_t src_end;      /* source offset just past it */
	unsigned col_end;    /* the column there */
	int lost;            /* it was not found verbatim: what follows is estimated */
	size_t col_line, col_pos; /* characters before col_pos on col_line ... */
	unsigned col_chars;  /* ... are col_chars */
	size_t cs_line, cs;  /* content start of cs_line */
	size_t budget;       /* source bytes the searches may still look at */
	size_t max_line;     /* the line whose ... */
	unsigned max_col;    /* ... last column (one past its last character) is known */
} locator;

typedef struct {
	const folio_framework *fw;
	const char *text;
	size_t len;

	/* words, counted where they start (see count_words) */
	unsigned nwords;
	int word_alnum; /* the run of non-space being read has a letter or digit, so it is counted */

	frame *frames;
	size_t nframes, aframes;
	size_t *stack; /* open items and sections */
	size_t nstack, astack;
	occ *occs;
	size_t nocc, aocc;
	size_t cur_item; /* innermost open list item frame */
	size_t para;     /* frame of the paragraph being read, created on its first tag */
	unsigned para_line, para_words;

	/* the heading being read */
	int in_heading;
	size_t heading_occ; /* tags of the heading, moved to its section on exit */
	int want_title;
	folio_buf title;
	int have_title;

	/* position of the leaf block being read, to locate problems */
	unsigned block_line, block_col, block_end;
	unsigned breaks;   /* line ends so far in the block */
	/* the first inline node of the current line, which starts at its first non-space */
	int need_anchor, anchor_code;
	unsigned anchor_col, anchor_breaks;
	unsigned bq_depth; /* block quotes around the block */
	unsigned shift;    /* lines of link reference definitions that cmark's inline positions leave out */
	cmark_node *autolink;

	unsigned char *used; /* per tag: seen in a valid tag */
	size_t *lines;       /* line start offsets, built on the first problem */
	size_t nlines;
	locator loc;

	folio_problem *problems;
	size_t nproblems, aproblems;
} scan;

static void *grow(void *p, size_t *alloc, size_t need, size_t size)
{
	if (need <= *alloc)
		return p;
	size_t n = *alloc ? *alloc : 8;
	while (n < need)
		n *= 2;
	*alloc = n;
	return folio_realloc(p, n * size);
}

static int is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Letter or digit for word counting: any non-ASCII byte counts as a letter. */
static int is_wordy(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || c >= 0x80;
}

/* ------------------------------------------------------------ problems and positions */

static void add_problem(scan *sc, unsigned line, unsigned column, folio_severity sev, char *message)
{
	sc->problems = grow(sc->problems, &sc->aproblems, sc->nproblems + 1, sizeof(*sc->problems));
	sc->problems[sc->nproblems++] = (folio_problem) { line, column, sev, message };
}

/* Line starts, with cmark's idea of a line end: LF, CRLF or CR. */
static void build_lines(scan *sc)
{
	size_t alines = 0;

	if (sc->lines)
		return;
	sc->lines = grow(NULL, &alines, 1, sizeof(size_t));
	sc->lines[sc->nlines++] = 0;
	for (size_t i = 0; i < sc->len; i++) {
		char c = sc->text[i];
		if (c == '\r' && i + 1 < sc->len && sc->text[i + 1] == '\n')
			i++;
		else if (c != '\r' && c != '\n')
			continue;
		sc->lines = grow(sc->lines, &alines, sc->nlines + 1, sizeof(size_t));
		sc->lines[sc->nlines++] = i + 1;
	}
}

static size_t line_end(const scan *sc, size_t line)
{
	size_t e = line < sc->nlines ? sc->lines[line] : sc->len;
	while (e > sc->lines[line - 1] && (sc->text[e - 1] == '\n' || sc->text[e - 1] == '\r'))
		e--;
	return e;
}

/*
 * 1-based character column of byte offset `pos` on `line`; a byte order
 * mark does not count. Problems come in document order, so the count goes
 * on from the last one on the same line.
 */
static unsigned char_column(scan *sc, size_t line, size_t pos)
{
	locator *loc = &sc->loc;
	size_t start = sc->lines[line - 1];
	unsigned chars = 0;

	if (line == 1 && sc->len >= 3 && memcmp(sc->text, "\xEF\xBB\xBF", 3) == 0 && pos >= 3)
		start = 3;
	if (loc->col_line == line && loc->col_pos >= start && loc->col_pos <= pos) {
		start = loc->col_pos;
		chars = loc->col_chars;
	}
	chars += (unsigned)folio_utf8_chars(sc->text + start, pos - start);
	loc->col_line = line;
	loc->col_pos = pos;
	loc->col_chars = chars;
	return chars + 1;
}

/*
 * Byte offset where the paragraph content of a continuation line starts:
 * after the '>' markers of the enclosing block quotes (a lazy line may have
 * fewer) and the indentation.
 */
static size_t content_start(scan *sc, size_t line, size_t ls, size_t le)
{
	size_t p = ls;

	if (sc->loc.cs_line == line)
		return sc->loc.cs;
	for (unsigned q = 0; q < sc->bq_depth; q++) {
		size_t s = p;
		int spaces = 0;
		while (s < le && sc->text[s] == ' ' && spaces < 3) {
			s++;
			spaces++;
		}
		if (s >= le || sc->text[s] != '>')
			break;
		p = s + 1;
		if (p < le && (sc->text[p] == ' ' || sc->text[p] == '\t'))
			p++;
	}
	while (p < le && (sc->text[p] == ' ' || sc->text[p] == '\t'))
		p++;
	sc->loc.cs_line = line;
	sc->loc.cs = p;
	return p;
}

static const char *find_bytes(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	if (nlen == 0 || nlen > hlen)
		return NULL;
	const char *end = hay + hlen - nlen + 1;
	for (const char *p = hay; p < end; p++) {
		p = memchr(p, needle[0], (size_t)(end - p));
		if (!p)
			return NULL;
		if (memcmp(p, needle, nlen) == 0)
			return p;
	}
	return NULL;
}

/* Occurrences of tok in s[0..n). */
static size_t count_bytes(const char *s, size_t n, const char *tok, size_t toklen)
{
	size_t m = 0;
	for (const char *p = s; (p = find_bytes(p, (size_t)(s + n - p), tok, toklen)) != NULL; p += toklen)
		m++;
	return m;
}

/*
 * The (skip+1)th occurrence of tok in the source [from, to), or NULL. Every
 * byte looked at is charged to the search budget, so that however many
 * problems an entry has, locating them stays linear in its size.
 */
static const char *find_in_source(scan *sc, size_t from, size_t to, const char *tok, size_t toklen, size_t skip)
{
	const char *p = sc->text + from, *end = sc->text + to;

	while (from < to && sc->loc.budget > 0 && (p = find_bytes(p, (size_t)(end - p), tok, toklen)) != NULL) {
		size_t used = (size_t)(p - (sc->text + from)) + toklen;
		sc->loc.budget -= used < sc->loc.budget ? used : sc->loc.budget;
		from += used;
		if (skip-- == 0)
			return p;
		p += toklen;
	}
	sc->loc.budget -= (to - from) < sc->loc.budget ? (to - from) : sc->loc.budget;
	return NULL;
}

/* An estimated column never points past the end of its line (counted once per line, so it stays linear). */
static unsigned clamp_column(scan *sc, size_t line, unsigned col)
{
	if (line < 1 || line > sc->nlines)
		return col;
	if (sc->loc.max_line != line) {
		size_t ls = sc->lines[line - 1], le = line_end(sc, line);
		if (line == 1 && le >= 3 && memcmp(sc->text, "\xEF\xBB\xBF", 3) == 0)
			ls = 3; /* a byte order mark is no character */
		sc->loc.max_line = line;
		sc->loc.max_col = (unsigned)folio_utf8_chars(sc->text + ls, le - ls) + 1;
	}
	return col < sc->loc.max_col ? col : sc->loc.max_col;
}

/*
 * Locate the tag token lit[off..off+toklen) of a text node in the source.
 *
 * cmark's inline positions are exact on the first line of a block only.
 * On later lines columns are off by a constant (they are measured in the
 * line with its indentation and container markers removed, a lazy line
 * keeping some), a backslash hard break does not advance the line, and an
 * autolink's column has no offset at all. So:
 *
 * - the line is counted here from the line ends seen in the block (soft and
 *   hard breaks, code spans and raw HTML over several lines), with cmark's
 *   line and the next few lines of the block as fall-backs;
 * - on a later line, the first inline node ("anchor") starts at the first
 *   non-space after the block quote markers: the difference between that
 *   and cmark's column for it corrects every column on the line;
 * - the token itself is then looked for on the line from where the text
 *   node starts, skipping the occurrences of it earlier in the literal.
 *   Escapes and entities make a literal shorter than its source, which the
 *   search does not mind. A token that cannot be found (an entity spelled
 *   part of it) gets cmark's estimate.
 *
 * Several tokens of one text node are found one after the other, and every
 * search is charged to a budget, so locating stays linear in the entry.
 */
static void locate(scan *sc, cmark_node *node, const char *lit, size_t off, size_t toklen,
	unsigned *line_out, unsigned *col_out)
{
	locator *loc = &sc->loc;
	const char *tok = lit + off, *p = NULL;
	size_t cm_line = (size_t)cmark_node_get_start_line(node) + sc->shift;
	size_t cm_col = (size_t)cmark_node_get_start_column(node);
	size_t counted = sc->block_line + sc->breaks, line = 0;
	unsigned col;

	build_lines(sc);
	if (loc->node == node && off >= loc->lit_end) {
		/* the next token of the same text node: go on from the last one */
		line = loc->line;
		if (!loc->lost)
			p = find_in_source(sc, loc->src_end, line_end(sc, line), tok, toklen,
				count_bytes(lit + loc->lit_end, off - loc->lit_end, tok, toklen));
		if (p) {
			col = char_column(sc, line, (size_t)(p - sc->text));
		} else {
			col = clamp_column(sc, line, loc->col_end + (unsigned)folio_utf8_chars(lit + loc->lit_end, off - loc->lit_end));
		}
	} else {
		size_t m = count_bytes(lit, off, tok, toklen);
		size_t last = counted > cm_line ? counted : cm_line;
		if (last > sc->nlines)
			last = sc->nlines;
		size_t stop = last + 8 < sc->block_end ? last + 8 : sc->block_end;
		if (stop > sc->nlines)
			stop = sc->nlines;
		for (size_t attempt = 0; !p && attempt < 2 + (stop > last ? stop - last : 0); attempt++) {
			size_t l = attempt == 0 ? counted : attempt == 1 ? cm_line : last + attempt - 1;
			if (l < 1 || l > sc->nlines || (attempt == 1 && l == counted))
				continue;
			size_t ls = sc->lines[l - 1], le = line_end(sc, l);
			size_t start = l == loc->line && !loc->lost ? loc->src_end : ls; /* problems come in order */
			long c = 0; /* where the text node starts on the line, 1-based, when known */
			if (l == counted && sc->breaks == 0 && l == cm_line && !sc->shift) {
				c = (long)cm_col; /* the block's first line: cmark is exact */
			} else if (l == counted && sc->anchor_breaks == sc->breaks) {
				/*
				 * cmark is off by a constant on this line; its first inline
				 * node starts at the first non-space after the container
				 * markers (a code span's position is after its backticks).
				 */
				size_t cs = content_start(sc, l, ls, le), ticks = 0;
				while (sc->anchor_code && cs + ticks < le && sc->text[cs + ticks] == '`')
					ticks++;
				c = (long)cm_col + (long)(cs - ls + 1 + ticks) - (long)sc->anchor_col;
			}
			/* otherwise (the line starts inside a code span, or with an autolink) search the whole line */
			size_t from = c >= 1 && (size_t)c - 1 <= le - ls ? ls + (size_t)c - 1 : start;
			if (from < start)
				from = start;
			if (!(p = find_in_source(sc, from, le, tok, toklen, m)) && m)
				p = find_in_source(sc, from, le, tok, toklen, 0);
			if (!p && from > start)
				p = find_in_source(sc, start, le, tok, toklen, 0);
			if (p)
				line = l;
		}
		if (p) {
			col = char_column(sc, line, (size_t)(p - sc->text));
		} else {
			/* not found verbatim (an entity spelled part of it): cmark's own estimate */
			line = counted <= sc->nlines ? counted : cm_line;
			col = clamp_column(sc, line, (unsigned)(cm_col ? cm_col : 1) + (unsigned)folio_utf8_chars(lit, off));
		}
	}

	loc->node = node;
	loc->lit_end = off + toklen;
	loc->line = line;
	loc->lost = p == NULL;
	loc->src_end = p ? (size_t)(p - sc->text) + toklen : 0;
	loc->col_end = col + (unsigned)toklen;
	*line_out = (unsigned)(line ? line : 1);
	*col_out = col ? col : 1;
}

/* ------------------------------------------------------------ words and frames */

static void end_word(scan *sc)
{
	sc->word_alnum = 0;
}

static size_t stack_top(const scan *sc)
{
	return sc->nstack ? sc->stack[sc->nstack - 1] : NONE;
}

static size_t new_frame(scan *sc, frame_kind kind, unsigned line, unsigned words_start)
{
	sc->frames = grow(sc->frames, &sc->aframes, sc->nframes + 1, sizeof(*sc->frames));
	frame *f = &sc->frames[sc->nframes];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->line = line;
	f->words_start = f->words_end = words_start;
	f->parent = stack_top(sc);
	f->prev_item = NONE;
	f->first_occ = NONE;
	return sc->nframes++;
}

static void push_frame(scan *sc, size_t f)
{
	sc->stack = grow(sc->stack, &sc->astack, sc->nstack + 1, sizeof(*sc->stack));
	sc->stack[sc->nstack++] = f;
}

static void pop_frame(scan *sc)
{
	sc->frames[sc->stack[--sc->nstack]].words_end = sc->nwords;
}

/* Close the sections living in `container` whose heading level is `level` or deeper. */
static void close_sections(scan *sc, cmark_node *container, int level)
{
	while (sc->nstack) {
		frame *f = &sc->frames[stack_top(sc)];
		if (f->kind != FRAME_SECTION || f->container != container || f->level < level)
			break;
		pop_frame(sc);
	}
}

static void add_occ(scan *sc, size_t *head, size_t tag)
{
	sc->occs = grow(sc->occs, &sc->aocc, sc->nocc + 1, sizeof(*sc->occs));
	sc->occs[sc->nocc] = (occ) { tag, *head };
	*head = sc->nocc++;
}

/* ------------------------------------------------------------ tags */

static int tag_may_follow(unsigned char c)
{
	return is_ws(c) || (c != '\0' && strchr("([{\"'<,;", c) != NULL);
}

/*
 * Length of the tag token at p ('#' first, NUL-terminated), or 0 when it is
 * not a tag. *groups is the number of ".digits" groups (more than 1: malformed).
 */
static size_t tag_token(const scan *sc, const char *p, int *groups)
{
	size_t j = 1, letters;

	while (is_alpha((unsigned char)p[j]))
		j++;
	letters = j - 1;
	if (letters == 0 || !is_digit((unsigned char)p[j]))
		return 0;
	while (is_digit((unsigned char)p[j]))
		j++;
	*groups = 0;
	while (p[j] == '.' && is_digit((unsigned char)p[j + 1])) {
		j++;
		while (is_digit((unsigned char)p[j]))
			j++;
		(*groups)++;
	}
	if (is_wordy((unsigned char)p[j]) || p[j] == '_')
		return 0;
	if (!folio_framework_is_tag_prefix(sc->fw, p + 1, letters))
		return 0;
	return j;
}

static char *unknown_message(const scan *sc, const char *tok, size_t toklen)
{
	const folio_framework *fw = sc->fw;
	size_t nstd = folio_framework_standard_count(fw);
	const char *dot = memchr(tok, '.', toklen);

	if (dot) {
		long s = folio_framework_find_tag(fw, tok + 1, (size_t)(dot - tok - 1));
		if (s >= 0 && !folio_framework_tag_is_descriptor(fw, (size_t)s)) {
			const folio_standard *st = folio_framework_standard(fw, folio_framework_tag_standard(fw, (size_t)s));
			if (st->ndescriptors == 1)
				return folio_asprintf("unknown tag '%.*s': %s has one descriptor, %s", (int)toklen, tok,
					st->id, st->descriptors[0].id);
			return folio_asprintf("unknown tag '%.*s': %s has descriptors %s\u2013%s", (int)toklen, tok,
				st->id, st->descriptors[0].id, st->descriptors[st->ndescriptors - 1].id);
		}
	}
	if (nstd == 1)
		return folio_asprintf("unknown tag '%.*s': the framework has one standard, %s", (int)toklen, tok,
			folio_framework_standard(fw, 0)->id);
	return folio_asprintf("unknown tag '%.*s': the framework has standards %s\u2013%s", (int)toklen, tok,
		folio_framework_standard(fw, 0)->id, folio_framework_standard(fw, nstd - 1)->id);
}

static void found_tag(scan *sc, cmark_node *node, const char *lit, size_t off, size_t toklen, int groups)
{
	const char *tok = lit + off;
	char *msg = NULL;
	long tag = -1;

	if (groups > 1)
		msg = folio_asprintf("malformed tag '%.*s'", (int)toklen, tok);
	else if ((tag = folio_framework_find_tag(sc->fw, tok + 1, toklen - 1)) < 0)
		msg = unknown_message(sc, tok, toklen);
	if (msg) {
		unsigned line, col;
		locate(sc, node, lit, off, toklen, &line, &col);
		add_problem(sc, line, col, FOLIO_SEV_ERROR, msg);
		return;
	}

	sc->used[tag] = 1;
	if (sc->in_heading) {
		add_occ(sc, &sc->heading_occ, (size_t)tag);
	} else if (sc->cur_item != NONE) {
		add_occ(sc, &sc->frames[sc->cur_item].first_occ, (size_t)tag);
	} else {
		if (sc->para == NONE)
			sc->para = new_frame(sc, FRAME_PARA, sc->para_line, sc->para_words);
		add_occ(sc, &sc->frames[sc->para].first_occ, (size_t)tag);
	}
}

/*
 * Words are counted where they start: at the first letter or digit of a run
 * of non-space. `word_alnum` carries "this run already counted" from one
 * byte, literal or inline node to the next; a space, a break or a block
 * boundary clears it.
 */
enum { B_OTHER = 0, B_SPACE = 1, B_WORD = 2, B_HASH = 4 };
#define W16 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2
static const unsigned char byte_class[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0,  /* \t \n \v \f \r */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* space, # */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0,  /* 0-9 */
	0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,  /* A-O */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0,  /* P-Z */
	0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,  /* a-o */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0,  /* p-z */
	W16, W16, W16, W16, W16, W16, W16, W16,          /* any non-ASCII byte counts as a letter */
};
#undef W16

#if defined(__SSE2__)
/* Bits set in a 16-bit mask (no popcnt instruction is assumed). */
static unsigned popcount16(unsigned x)
{
	x = x - ((x >> 1) & 0x5555);
	x = (x & 0x3333) + ((x >> 2) & 0x3333);
	x = (x + (x >> 4)) & 0x0F0F;
	return (x + (x >> 8)) & 0x1F;
}
#endif

/* Bytes of p[0..n) before the first '#', counting their words; without branches but the stop. */
static size_t count_words_bytes(const unsigned char *p, size_t n, unsigned *nwords, int *word_alnum)
{
	unsigned count = *nwords, alnum = (unsigned)*word_alnum;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned c = byte_class[p[i]];
		if (c & B_HASH)
			break;
		count += (c >> 1) & ~alnum & 1;
		alnum = (alnum | (c >> 1)) & ~c & 1;
	}
	*nwords = count;
	*word_alnum = (int)alnum;
	return i;
}

/*
 * The same, sixteen bytes at a time where SSE2 is there (every x86-64):
 * word counting is most of the cost of the analysis beyond cmark's own
 * parse. Per block, bit masks of spaces (s), letters/digits (w) and the rest
 * (o); a word starts at a w bit whose nearest earlier space-or-letter byte
 * is a space (or the block start, when no run is open). Adding the bits
 * just after spaces to the runs of `o` they begin carries each one through
 * its run to the byte after it, so `w & (after_space | carried)` are the
 * word starts.
 */
static size_t count_words(const unsigned char *p, size_t n, unsigned *nwords, int *word_alnum)
{
	size_t i = 0;
#if defined(__SSE2__)
	const __m128i space = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t'), four = _mm_set1_epi8(4);
	const __m128i zero = _mm_setzero_si128(), digit0 = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9);
	const __m128i lower = _mm_set1_epi8(0x20), a_ = _mm_set1_epi8('a'), z_a = _mm_set1_epi8(25);
	const __m128i hash = _mm_set1_epi8('#');
	unsigned count = *nwords, alnum = (unsigned)*word_alnum;

	for (; n - i >= 16; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		/* unsigned range checks: (x - lo) <= span  <=>  min(x - lo, span) == x - lo */
		__m128i ws = _mm_sub_epi8(x, tab);
		__m128i sp = _mm_or_si128(_mm_cmpeq_epi8(x, space), _mm_cmpeq_epi8(_mm_min_epu8(ws, four), ws));
		__m128i dg = _mm_sub_epi8(x, digit0);
		__m128i lt = _mm_sub_epi8(_mm_or_si128(x, lower), a_);
		__m128i wd = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(dg, nine), dg),
				_mm_cmpeq_epi8(_mm_min_epu8(lt, z_a), lt)), _mm_cmplt_epi8(x, zero));
		unsigned s = (unsigned)_mm_movemask_epi8(sp), w = (unsigned)_mm_movemask_epi8(wd);
		unsigned h = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, hash));
		unsigned lim = 0xFFFF;
		if (h) {
			lim = (1u << __builtin_ctz(h)) - 1;
			s &= lim;
			w &= lim;
		}
		unsigned e = s | w, o = ~e & lim;
		unsigned after = (s << 1) | (alnum ? 0u : 1u);
		unsigned carried = (o + (after & o)) & ~o;
		count += popcount16(w & (after | carried));
		if (e)
			alnum = (w >> (31 - __builtin_clz(e))) & 1;
		if (h) {
			*nwords = count;
			*word_alnum = (int)alnum;
			return i + (size_t)__builtin_ctz(h);
		}
	}
	*nwords = count;
	*word_alnum = (int)alnum;
#endif
	return i + count_words_bytes(p + i, n - i, nwords, word_alnum);
}

/* Words and tags of one text (or code) literal, in one pass over its bytes. */
static void read_literal(scan *sc, cmark_node *node, const char *s, int tags)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;

	while ((i += count_words(p + i, n - i, &sc->nwords, &sc->word_alnum)) < n) {
		/* p[i] is '#' */
		int groups = 0;
		size_t toklen = 0;
		if (tags && (i == 0 || tag_may_follow(p[i - 1])))
			toklen = tag_token(sc, s + i, &groups);
		if (toklen) {
			/* A tag token belongs to its run of non-space but never makes it a word. */
			found_tag(sc, node, s, i, toklen, groups);
			i += toklen;
		} else {
			i++;
		}
	}
}

/* Is this link an autolink (<https://…>, <a@b.org>)? cmark gives it one text child equal to the URL. */
int folio_cmark_is_autolink(cmark_node *link)
{
	cmark_node *child = cmark_node_first_child(link);
	const char *url = cmark_node_get_url(link), *lit;

	if (!child || cmark_node_next(child) || cmark_node_get_type(child) != CMARK_NODE_TEXT || !url)
		return 0;
	lit = cmark_node_get_literal(child);
	if (!lit)
		return 0;
	return strcmp(url, lit) == 0 || (strncmp(url, "mailto:", 7) == 0 && strcmp(url + 7, lit) == 0);
}

/* ------------------------------------------------------------ public: one tag */

size_t folio_tag_at(const folio_framework *fw, const char *lit, size_t off, long *tag)
{
	scan sc;
	int groups = 0;
	size_t n;

	*tag = -1;
	if (lit[off] != '#' || (off > 0 && !tag_may_follow((unsigned char)lit[off - 1])))
		return 0;
	memset(&sc, 0, sizeof(sc));
	sc.fw = fw;
	n = tag_token(&sc, lit + off, &groups);
	if (n && groups <= 1)
		*tag = folio_framework_find_tag(fw, lit + off + 1, n - 1);
	return n;
}

/* ------------------------------------------------------------ the walk */

static void enter_block(scan *sc, cmark_node *node)
{
	end_word(sc);
	sc->block_line = (unsigned)cmark_node_get_start_line(node);
	sc->block_col = (unsigned)cmark_node_get_start_column(node);
	sc->block_end = (unsigned)cmark_node_get_end_line(node);
	sc->breaks = 0;
	sc->need_anchor = 0;
	sc->anchor_breaks = UINT_MAX;
	sc->shift = 0;
}

/* Lines of a paragraph's inline content, counted as walk() counts line ends. */
static unsigned inline_lines(cmark_node *para)
{
	cmark_iter *it = cmark_iter_new(para);
	cmark_event_type ev;
	unsigned lines = 1;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(it);
		if (ev != CMARK_EVENT_ENTER)
			continue;
		switch (cmark_node_get_type(node)) {
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
			lines++;
			break;
		case CMARK_NODE_CODE: {
			int n = cmark_node_get_end_line(node) - cmark_node_get_start_line(node);
			if (n > 0)
				lines += (unsigned)n;
			break;
		}
		case CMARK_NODE_HTML_INLINE:
			for (const char *lit = cmark_node_get_literal(node); lit && (lit = strchr(lit, '\n')) != NULL; lit++)
				lines++;
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
	return lines;
}

/*
 * A paragraph that starts with link reference definitions: cmark removes
 * them, but its positions (of the paragraph and of every inline in it) still
 * start at the first definition's line. The content is the paragraph's last
 * lines, so move the block to where it really starts, and anchor its first
 * line as a later one (cmark's columns there are off by a constant too).
 */
static void skip_definitions(scan *sc, cmark_node *para)
{
	unsigned lines = inline_lines(para);

	if (sc->block_end >= lines && sc->block_end - lines + 1 > sc->block_line) {
		sc->shift = sc->block_end - lines + 1 - sc->block_line;
		sc->block_line += sc->shift;
		sc->need_anchor = 1;
	}
}

static void walk(scan *sc, cmark_node *doc)
{
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(it);
		cmark_node_type type = cmark_node_get_type(node);
		int enter = ev == CMARK_EVENT_ENTER;

		if (sc->need_anchor && enter && type >= CMARK_NODE_FIRST_INLINE && type != CMARK_NODE_SOFTBREAK &&
		    type != CMARK_NODE_LINEBREAK) {
			/* an autolink's column is measured differently by cmark: no anchor on that line */
			sc->need_anchor = 0;
			if (type != CMARK_NODE_LINK || !folio_cmark_is_autolink(node)) {
				sc->anchor_col = (unsigned)cmark_node_get_start_column(node);
				sc->anchor_code = type == CMARK_NODE_CODE;
				sc->anchor_breaks = sc->breaks;
			}
		}

		switch (type) {
		case CMARK_NODE_DOCUMENT:
			if (!enter)
				close_sections(sc, node, 0);
			break;
		case CMARK_NODE_BLOCK_QUOTE:
			end_word(sc);
			if (enter) {
				sc->bq_depth++;
			} else {
				close_sections(sc, node, 0);
				sc->bq_depth--;
			}
			break;
		case CMARK_NODE_ITEM:
			end_word(sc);
			if (enter) {
				size_t f = new_frame(sc, FRAME_ITEM, (unsigned)cmark_node_get_start_line(node), sc->nwords);
				sc->frames[f].prev_item = sc->cur_item;
				sc->cur_item = f;
				push_frame(sc, f);
			} else {
				close_sections(sc, node, 0);
				sc->cur_item = sc->frames[stack_top(sc)].prev_item;
				pop_frame(sc);
			}
			break;
		case CMARK_NODE_PARAGRAPH:
			enter_block(sc, node);
			if (enter) {
				skip_definitions(sc, node);
				sc->para = NONE;
				sc->para_line = sc->block_line;
				sc->para_words = sc->nwords;
			} else {
				if (sc->para != NONE)
					sc->frames[sc->para].words_end = sc->nwords;
				sc->para = NONE;
			}
			break;
		case CMARK_NODE_HEADING:
			enter_block(sc, node);
			if (enter) {
				close_sections(sc, cmark_node_parent(node), cmark_node_get_heading_level(node));
				sc->in_heading = 1;
				sc->heading_occ = NONE;
				sc->want_title = !sc->have_title;
			} else {
				sc->in_heading = 0;
				if (sc->want_title) {
					sc->want_title = 0;
					sc->have_title = 1;
				}
				if (sc->heading_occ != NONE) {
					size_t f = new_frame(sc, FRAME_SECTION, sc->block_line, sc->nwords);
					sc->frames[f].level = cmark_node_get_heading_level(node);
					sc->frames[f].container = cmark_node_parent(node);
					sc->frames[f].first_occ = sc->heading_occ;
					push_frame(sc, f);
				}
			}
			break;
		case CMARK_NODE_CODE_BLOCK:
		case CMARK_NODE_HTML_BLOCK:
		case CMARK_NODE_THEMATIC_BREAK:
		case CMARK_NODE_LIST:
		case CMARK_NODE_CUSTOM_BLOCK:
			end_word(sc);
			break;
		case CMARK_NODE_TEXT:
			if (sc->want_title)
				folio_buf_puts(&sc->title, cmark_node_get_literal(node));
			read_literal(sc, node, cmark_node_get_literal(node), sc->autolink == NULL);
			break;
		case CMARK_NODE_CODE: {
			/* a code span may run over lines; its literal has spaces for them */
			int lines = cmark_node_get_end_line(node) - cmark_node_get_start_line(node);
			if (lines > 0)
				sc->breaks += (unsigned)lines;
			if (sc->want_title)
				folio_buf_puts(&sc->title, cmark_node_get_literal(node));
			read_literal(sc, node, cmark_node_get_literal(node), 0);
			break;
		}
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
			if (sc->want_title)
				folio_buf_putc(&sc->title, ' ');
			end_word(sc);
			sc->breaks++;
			sc->need_anchor = 1;
			break;
		case CMARK_NODE_HTML_INLINE: {
			/* Not prose, but a raw tag may span lines. */
			const char *lit = cmark_node_get_literal(node);
			for (; lit && (lit = strchr(lit, '\n')) != NULL; lit++)
				sc->breaks++;
			break;
		}
		case CMARK_NODE_LINK:
			if (enter && !sc->autolink && folio_cmark_is_autolink(node))
				sc->autolink = node;
			else if (!enter && sc->autolink == node)
				sc->autolink = NULL;
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
}

/* ------------------------------------------------------------ resolving units */

static int size_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * Turn frames into units: a frame credits its tags and, for descriptors,
 * their standards, less what its enclosing frames credit. Frames are in
 * document order and every parent comes before its children, so a stack of
 * open ancestors and one counter per tag are enough.
 */
static void resolve_units(scan *sc, folio_doc *doc)
{
	size_t ntags = folio_framework_tag_count(sc->fw);
	size_t *count = folio_calloc(ntags, sizeof(size_t));
	size_t *seen = folio_calloc(ntags, sizeof(size_t));
	size_t *rawpool = NULL, nraw = 0, araw = 0;
	size_t *anc = NULL, nanc = 0, aanc = 0;
	size_t *eff = NULL, aeff = 0;
	size_t aunits = 0;

	for (size_t f = 0; f < sc->nframes; f++) {
		frame *fr = &sc->frames[f];

		while (nanc && anc[nanc - 1] != fr->parent) {
			frame *g = &sc->frames[anc[--nanc]];
			for (size_t k = 0; k < g->raw_n; k++)
				count[rawpool[g->raw_off + k]]--;
		}

		fr->raw_off = nraw;
		for (size_t o = fr->first_occ; o != NONE; o = sc->occs[o].next) {
			size_t tag = sc->occs[o].tag;
			for (int both = 0; both < 2; both++) {
				if (seen[tag] != f + 1) {
					seen[tag] = f + 1;
					rawpool = grow(rawpool, &araw, nraw + 1, sizeof(size_t));
					rawpool[nraw++] = tag;
				}
				if (!folio_framework_tag_is_descriptor(sc->fw, tag))
					break;
				tag = folio_framework_standard(sc->fw, folio_framework_tag_standard(sc->fw, tag))->index;
			}
		}
		fr->raw_n = nraw - fr->raw_off;

		size_t neff = 0;
		eff = grow(eff, &aeff, fr->raw_n + 1, sizeof(size_t));
		for (size_t k = 0; k < fr->raw_n; k++)
			if (count[rawpool[fr->raw_off + k]] == 0)
				eff[neff++] = rawpool[fr->raw_off + k];
		if (neff) {
			qsort(eff, neff, sizeof(size_t), size_cmp);
			doc->units = grow(doc->units, &aunits, doc->nunits + 1, sizeof(*doc->units));
			folio_evidence_unit *u = &doc->units[doc->nunits++];
			u->line = fr->line;
			u->words = fr->words_end - fr->words_start;
			u->ncredits = neff;
			u->credits = folio_malloc(neff * sizeof(size_t));
			memcpy(u->credits, eff, neff * sizeof(size_t));
		}

		if (fr->kind != FRAME_PARA) {
			for (size_t k = 0; k < fr->raw_n; k++)
				count[rawpool[fr->raw_off + k]]++;
			anc = grow(anc, &aanc, nanc + 1, sizeof(size_t));
			anc[nanc++] = f;
		}
	}
	free(eff);
	free(anc);
	free(rawpool);
	free(seen);
	free(count);
}

static int problem_before(const folio_problem *a, const folio_problem *b)
{
	return a->line < b->line || (a->line == b->line && a->column < b->column);
}

/* Stable merge sort by line, column (equal positions keep the order they were found in). */
static void sort_problems(folio_problem *p, size_t n)
{
	folio_problem *tmp;
	size_t i = 1;

	while (i < n && !problem_before(&p[i], &p[i - 1]))
		i++;
	if (i >= n)
		return; /* the usual case: already in order */
	tmp = folio_malloc(n * sizeof(*tmp));
	for (size_t width = 1; width < n; width *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * width) {
			size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
			size_t a = lo, b = mid, k = lo;
			while (a < mid && b < hi)
				tmp[k++] = problem_before(&p[b], &p[a]) ? p[b++] : p[a++];
			while (a < mid)
				tmp[k++] = p[a++];
			while (b < hi)
				tmp[k++] = p[b++];
		}
		memcpy(p, tmp, n * sizeof(*tmp));
	}
	free(tmp);
}

/* ------------------------------------------------------------ public: analysis */

static void unreadable(folio_doc *doc, const char *text, size_t bad)
{
	unsigned line = 1;
	size_t ls = 0;

	for (size_t i = 0; i < bad; i++) {
		if (text[i] == '\r' && i + 1 < bad && text[i + 1] == '\n')
			i++;
		else if (text[i] != '\n' && text[i] != '\r')
			continue;
		line++;
		ls = i + 1;
	}
	if (line == 1 && bad >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		ls = 3; /* a byte order mark is no character, as in every other column */
	doc->problems = folio_malloc(sizeof(*doc->problems));
	doc->nproblems = 1;
	doc->problems[0].line = line;
	doc->problems[0].column = (unsigned)folio_utf8_chars(text + ls, bad - ls) + 1;
	doc->problems[0].severity = FOLIO_SEV_ERROR;
	doc->problems[0].message = text[bad] == '\0'
		? folio_strdup("contains a NUL byte")
		: folio_asprintf("not valid UTF-8 (byte 0x%02X)", (unsigned char)text[bad]);
}

int folio_doc_analyze(folio_doc **out, const folio_framework *fw, const char *text, size_t len)
{
	folio_doc *doc = folio_calloc(1, sizeof(*doc));
	size_t bad = 0, ntags = folio_framework_tag_count(fw);
	scan sc;
	cmark_node *root;

	*out = doc;
	if (!text)
		text = "";
	if (!folio_utf8_valid(text, len, &bad)) {
		unreadable(doc, text, bad);
		return 0;
	}
	doc->readable = 1;

	memset(&sc, 0, sizeof(sc));
	sc.fw = fw;
	sc.text = text;
	sc.len = len;
	sc.cur_item = sc.para = NONE;
	sc.heading_occ = NONE;
	sc.loc.budget = 4 * len + 4096;
	folio_buf_init(&sc.title);
	sc.used = folio_calloc(ntags ? ntags : 1, 1);

	root = cmark_parse_document(text, len, CMARK_OPT_SOURCEPOS);
	walk(&sc, root);
	cmark_node_free(root);

	resolve_units(&sc, doc);
	doc->words = sc.nwords;
	if (sc.have_title) {
		size_t s = 0, e = sc.title.size;
		while (s < e && is_ws((unsigned char)sc.title.ptr[s]))
			s++;
		while (e > s && is_ws((unsigned char)sc.title.ptr[e - 1]))
			e--;
		doc->title = folio_strndup(sc.title.ptr + s, e - s);
	}
	for (size_t t = 0; t < ntags; t++)
		doc->ntags += sc.used[t];
	doc->tags = folio_malloc((doc->ntags ? doc->ntags : 1) * sizeof(size_t));
	for (size_t t = 0, k = 0; t < ntags; t++)
		if (sc.used[t])
			doc->tags[k++] = t;
	if (doc->nunits == 0)
		add_problem(&sc, 1, 1, FOLIO_SEV_WARNING, folio_strdup("no evidence: no standard is tagged in this entry"));
	sort_problems(sc.problems, sc.nproblems);
	doc->problems = sc.problems;
	doc->nproblems = sc.nproblems;

	folio_buf_free(&sc.title);
	free(sc.used);
	free(sc.lines);
	free(sc.occs);
	free(sc.stack);
	free(sc.frames);
	return 0;
}

void folio_doc_free(folio_doc *doc)
{
	if (!doc)
		return;
	for (size_t i = 0; i < doc->nunits; i++)
		free(doc->units[i].credits);
	free(doc->units);
	for (size_t i = 0; i < doc->nproblems; i++)
		free(doc->problems[i].message);
	free(doc->problems);
	free(doc->tags);
	free(doc->title);
	free(doc);
}

size_t folio_doc_error_count(const folio_doc *doc)
{
	size_t n = 0;
	for (size_t i = 0; doc && i < doc->nproblems; i++)
		n += doc->problems[i].severity == FOLIO_SEV_ERROR;
	return n;
}

/* ------------------------------------------------------------ cache form */

/*
 * One record per line, fields separated by one space, strings last on their
 * line with backslash, tab, CR and LF escaped:
 *
 *   folio-doc 1
 *   readable 1
 *   title Observation of Jess        (absent when the entry has no heading)
 *   words 412
 *   tags S1 S1.2 S2.4                (framework order)
 *   unit 3 120 S1 S1.2               (line, words, credits in framework order)
 *   problem 9 14 error unknown tag '#S5': …
 *   end
 *
 * Tags are written as ids, not indices, so a record never silently changes
 * meaning under another framework: an id it does not know is an error.
 */

static void put_escaped(folio_buf *b, const char *s)
{
	for (;;) {
		size_t run = strcspn(s, "\\\n\r\t");
		folio_buf_put(b, s, run);
		s += run;
		if (!*s)
			return;
		folio_buf_puts(b, *s == '\\' ? "\\\\" : *s == '\n' ? "\\n" : *s == '\r' ? "\\r" : "\\t");
		s++;
	}
}

static void put_uint(folio_buf *b, unsigned long long v)
{
	char digits[24];
	size_t n = sizeof(digits);
	do {
		digits[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	folio_buf_put(b, digits + n, sizeof(digits) - n);
}

int folio_doc_serialize(char **out, size_t *outlen, const folio_doc *doc, const folio_framework *fw)
{
	folio_buf b = FOLIO_BUF_INIT;
	size_t ntags = folio_framework_tag_count(fw);

	*out = NULL;
	folio_buf_puts(&b, doc->readable ? "folio-doc 1\nreadable 1\n" : "folio-doc 1\nreadable 0\n");
	if (doc->title) {
		folio_buf_puts(&b, "title ");
		put_escaped(&b, doc->title);
		folio_buf_putc(&b, '\n');
	}
	folio_buf_puts(&b, "words ");
	put_uint(&b, doc->words);
	folio_buf_puts(&b, "\ntags");
	for (size_t i = 0; i < doc->ntags; i++) {
		if (doc->tags[i] >= ntags)
			goto invalid;
		folio_buf_putc(&b, ' ');
		folio_buf_puts(&b, folio_framework_tag_id(fw, doc->tags[i]));
	}
	folio_buf_putc(&b, '\n');
	for (size_t i = 0; i < doc->nunits; i++) {
		const folio_evidence_unit *u = &doc->units[i];
		folio_buf_puts(&b, "unit ");
		put_uint(&b, u->line);
		folio_buf_putc(&b, ' ');
		put_uint(&b, u->words);
		for (size_t k = 0; k < u->ncredits; k++) {
			if (u->credits[k] >= ntags)
				goto invalid;
			folio_buf_putc(&b, ' ');
			folio_buf_puts(&b, folio_framework_tag_id(fw, u->credits[k]));
		}
		folio_buf_putc(&b, '\n');
	}
	for (size_t i = 0; i < doc->nproblems; i++) {
		const folio_problem *p = &doc->problems[i];
		folio_buf_puts(&b, "problem ");
		put_uint(&b, p->line);
		folio_buf_putc(&b, ' ');
		put_uint(&b, p->column);
		folio_buf_puts(&b, p->severity == FOLIO_SEV_WARNING ? " warning " : " error ");
		put_escaped(&b, p->message ? p->message : "");
		folio_buf_putc(&b, '\n');
	}
	folio_buf_puts(&b, "end\n");
	if (outlen)
		*outlen = b.size;
	*out = folio_buf_detach(&b);
	return 0;

invalid:
	folio_buf_free(&b);
	return folio_error_set(FOLIO_EINVALID, "evidence record names a tag the framework '%s' does not have",
		folio_framework_id(fw));
}

/* A cursor over the record's lines. */
typedef struct {
	const char *p, *end;
	const char *line; /* current line, without its '\n' */
	size_t len;
	const char *field; /* rest of the line after the consumed fields */
} reader;

static int next_line(reader *r)
{
	const char *nl;
	if (r->p >= r->end)
		return 0;
	nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	if (!nl)
		return 0; /* every line, the last included, ends with '\n' */
	r->line = r->field = r->p;
	r->len = (size_t)(nl - r->p);
	r->p = nl + 1;
	return 1;
}

static const char *line_end_of(const reader *r)
{
	return r->line + r->len;
}

/* Consume the keyword at the start of the line; then r->field is what follows it. */
static int keyword(reader *r, const char *kw)
{
	size_t n = strlen(kw);
	if (r->len < n || memcmp(r->line, kw, n) != 0)
		return 0;
	if (r->len > n && r->line[n] != ' ')
		return 0;
	r->field = r->line + n;
	return 1;
}

/* Next space-separated field: " value". */
static int field(reader *r, const char **s, size_t *n)
{
	const char *e = line_end_of(r), *q;
	if (r->field >= e || *r->field != ' ')
		return 0;
	*s = r->field + 1;
	for (q = *s; q < e && *q != ' '; q++)
		;
	*n = (size_t)(q - *s);
	r->field = q;
	return *n > 0;
}

static int parse_uint(unsigned *out, const char *s, size_t n)
{
	unsigned long long v = 0;
	if (n == 0 || n > 10 || (n > 1 && s[0] == '0'))
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return 0;
		v = v * 10 + (unsigned long long)(s[i] - '0');
	}
	if (v > UINT_MAX)
		return 0;
	*out = (unsigned)v;
	return 1;
}

/* The rest of the line after one space, unescaped. */
static int rest_string(reader *r, char **out)
{
	const char *s = r->field, *e = line_end_of(r);
	folio_buf b = FOLIO_BUF_INIT;

	if (s >= e || *s != ' ')
		return 0;
	for (s++; s < e; s++) {
		char c = *s;
		if (c == '\\') {
			if (++s >= e)
				goto bad;
			switch (*s) {
			case '\\': c = '\\'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			default: goto bad;
			}
		} else if (c == '\t' || c == '\r' || c == '\0') {
			goto bad;
		}
		folio_buf_putc(&b, c);
	}
	*out = folio_buf_detach(&b);
	return 1;
bad:
	folio_buf_free(&b);
	return 0;
}

/* Tag ids up to the end of the line, strictly in framework order. */
static int tag_list(reader *r, const folio_framework *fw, size_t **out, size_t *nout)
{
	const char *s;
	size_t n, cap = 0;
	long prev = -1;

	*out = NULL;
	*nout = 0;
	while (r->field < line_end_of(r)) {
		if (!field(r, &s, &n))
			return 0;
		long t = folio_framework_find_tag(fw, s, n);
		if (t < 0 || t <= prev || strncmp(folio_framework_tag_id(fw, (size_t)t), s, n) != 0)
			return 0;
		prev = t;
		*out = grow(*out, &cap, *nout + 1, sizeof(size_t));
		(*out)[(*nout)++] = (size_t)t;
	}
	return 1;
}

int folio_doc_deserialize(folio_doc **out, const folio_framework *fw, const char *data, size_t len)
{
	folio_doc *doc = folio_calloc(1, sizeof(*doc));
	reader r = { data, data + len, NULL, 0, NULL };
	const char *s;
	size_t n, aunits = 0, aproblems = 0;
	unsigned v;
	int error = 0;

	*out = NULL;
	if (!data || memchr(data, '\0', len))
		goto invalid;
	if (!next_line(&r) || r.len != 11 || memcmp(r.line, "folio-doc 1", 11) != 0)
		goto invalid;
	if (!next_line(&r) || !keyword(&r, "readable") || !field(&r, &s, &n) || n != 1 || (*s != '0' && *s != '1') ||
	    r.field != line_end_of(&r))
		goto invalid;
	doc->readable = *s == '1';

	if (!next_line(&r))
		goto invalid;
	if (keyword(&r, "title")) {
		if (!rest_string(&r, &doc->title) || !doc->readable)
			goto invalid;
		if (!next_line(&r))
			goto invalid;
	}
	if (!keyword(&r, "words") || !field(&r, &s, &n) || !parse_uint(&v, s, n) || r.field != line_end_of(&r))
		goto invalid;
	doc->words = v;
	if (!next_line(&r) || !keyword(&r, "tags") || !tag_list(&r, fw, &doc->tags, &doc->ntags))
		goto invalid;

	for (;;) {
		if (!next_line(&r))
			goto invalid;
		if (keyword(&r, "unit") && !doc->nproblems) {
			folio_evidence_unit u = { 0, 0, NULL, 0 };
			if (!field(&r, &s, &n) || !parse_uint(&u.line, s, n) || u.line == 0 ||
			    !field(&r, &s, &n) || !parse_uint(&u.words, s, n))
				goto invalid;
			doc->units = grow(doc->units, &aunits, doc->nunits + 1, sizeof(*doc->units));
			doc->units[doc->nunits] = u;
			doc->nunits++;
			folio_evidence_unit *pu = &doc->units[doc->nunits - 1];
			if (!tag_list(&r, fw, &pu->credits, &pu->ncredits) || pu->ncredits == 0)
				goto invalid;
		} else if (keyword(&r, "problem")) {
			folio_problem p = { 0, 0, FOLIO_SEV_ERROR, NULL };
			if (!field(&r, &s, &n) || !parse_uint(&p.line, s, n) || p.line == 0 ||
			    !field(&r, &s, &n) || !parse_uint(&p.column, s, n) || p.column == 0 ||
			    !field(&r, &s, &n))
				goto invalid;
			if (n == 5 && memcmp(s, "error", 5) == 0)
				p.severity = FOLIO_SEV_ERROR;
			else if (n == 7 && memcmp(s, "warning", 7) == 0)
				p.severity = FOLIO_SEV_WARNING;
			else
				goto invalid;
			if (!rest_string(&r, &p.message))
				goto invalid;
			doc->problems = grow(doc->problems, &aproblems, doc->nproblems + 1, sizeof(*doc->problems));
			doc->problems[doc->nproblems++] = p;
		} else if (r.len == 3 && memcmp(r.line, "end", 3) == 0) {
			break;
		} else {
			goto invalid;
		}
	}
	if (r.p != r.end)
		goto invalid;
	/* An unreadable entry carries only its problem. */
	if (!doc->readable && (doc->words || doc->ntags || doc->nunits))
		goto invalid;

	*out = doc;
	return 0;

invalid:
	folio_doc_free(doc);
	error = folio_error_set(FOLIO_EINVALID, "malformed evidence record");
	return error;
}

/* ------------------------------------------------------------ coverage */

folio_coverage *folio_coverage_new(const folio_framework *fw, const folio_qualification *q, const char *commit)
{
	folio_coverage *cov = folio_calloc(1, sizeof(*cov));
	size_t n = commit ? strlen(commit) : 0;

	if (n > sizeof(cov->commit) - 1)
		n = sizeof(cov->commit) - 1;
	if (n)
		memcpy(cov->commit, commit, n);
	cov->commit[n] = '\0';
	cov->fw = fw;
	cov->qualification = q;
	return cov;
}

void folio_coverage_add(folio_coverage *cov, const char *path, folio_doc *doc)
{
	cov->entries = folio_realloc(cov->entries, (cov->nentries + 1) * sizeof(*cov->entries));
	cov->entries[cov->nentries].path = folio_strdup(path ? path : "");
	cov->entries[cov->nentries].doc = doc;
	cov->nentries++;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const folio_coverage_entry *)a)->path, ((const folio_coverage_entry *)b)->path);
}

static void coverage_clear_totals(folio_coverage *cov)
{
	size_t nstd = folio_framework_standard_count(cov->fw);

	for (size_t s = 0; cov->standards && s < nstd; s++) {
		free(cov->standards[s].per_entry);
		free(cov->standards[s].descriptors);
	}
	free(cov->standards);
	cov->standards = NULL;
	for (size_t i = 0; i < cov->nmissing; i++)
		free(cov->missing[i]);
	free(cov->missing);
	cov->missing = NULL;
	cov->nmissing = 0;
	cov->errors = cov->warnings = 0;
	cov->ready = 0;
}

void folio_coverage_finish(folio_coverage *cov)
{
	const folio_framework *fw = cov->fw;
	size_t nstd = folio_framework_standard_count(fw);

	coverage_clear_totals(cov);
	if (cov->nentries > 1)
		qsort(cov->entries, cov->nentries, sizeof(*cov->entries), entry_cmp);

	cov->standards = folio_calloc(nstd ? nstd : 1, sizeof(*cov->standards));
	for (size_t s = 0; s < nstd; s++) {
		folio_standard_coverage *sc = &cov->standards[s];
		const folio_standard *st = folio_framework_standard(fw, s);
		sc->per_entry = folio_calloc(cov->nentries ? cov->nentries : 1, sizeof(size_t));
		sc->descriptors = folio_calloc(st->ndescriptors ? st->ndescriptors : 1, sizeof(size_t));
		if (cov->qualification) {
			sc->needed_evidence = cov->qualification->min_evidence[s];
			sc->needed_words = cov->qualification->min_words[s];
		}
	}

	for (size_t e = 0; e < cov->nentries; e++) {
		const folio_doc *doc = cov->entries[e].doc;
		if (!doc)
			continue;
		for (size_t i = 0; i < doc->nproblems; i++) {
			if (doc->problems[i].severity == FOLIO_SEV_ERROR)
				cov->errors++;
			else
				cov->warnings++;
		}
		for (size_t u = 0; u < doc->nunits; u++) {
			const folio_evidence_unit *unit = &doc->units[u];
			for (size_t k = 0; k < unit->ncredits; k++) {
				size_t tag = unit->credits[k];
				if (tag >= folio_framework_tag_count(fw))
					continue;
				size_t s = folio_framework_tag_standard(fw, tag);
				folio_standard_coverage *sc = &cov->standards[s];
				if (folio_framework_tag_is_descriptor(fw, tag)) {
					const folio_standard *st = folio_framework_standard(fw, s);
					sc->descriptors[tag - st->index - 1]++;
				} else {
					sc->evidence++;
					sc->words += unit->words;
					sc->per_entry[e]++;
				}
			}
		}
	}

	cov->ready = cov->qualification != NULL;
	for (size_t s = 0; s < nstd; s++) {
		folio_standard_coverage *sc = &cov->standards[s];
		const folio_standard *st = folio_framework_standard(fw, s);
		for (size_t e = 0; e < cov->nentries; e++)
			sc->entries += sc->per_entry[e] > 0;
		if (sc->evidence >= sc->needed_evidence && sc->words >= sc->needed_words)
			continue;
		cov->ready = 0;
		cov->missing = folio_realloc(cov->missing, (cov->nmissing + 1) * sizeof(char *));
		cov->missing[cov->nmissing++] = folio_asprintf("%s %s: %zu of %zu evidence block%s, %zu of %zu word%s",
			st->id, st->title, sc->evidence, sc->needed_evidence, sc->needed_evidence == 1 ? "" : "s",
			sc->words, sc->needed_words, sc->needed_words == 1 ? "" : "s");
	}
}

void folio_coverage_free(folio_coverage *cov)
{
	if (!cov)
		return;
	coverage_clear_totals(cov);
	for (size_t e = 0; e < cov->nentries; e++) {
		free(cov->entries[e].path);
		folio_doc_free(cov->entries[e].doc);
	}
	free(cov->entries);
	free(cov);
}
