/* engine/pack_html.c: HTML for packs: escaping, the page frame with its CSS, and entries rendered by cmark with evidence marks. */

/*
 * Entries go through cmark's HTML renderer in its default safe mode, so raw
 * HTML is never passed through and javascript: links are dropped. The
 * marks are put into cmark's tree as custom nodes, whose on_enter/on_exit
 * text cmark writes verbatim even in safe mode (html.c, CMARK_NODE_CUSTOM_*):
 *
 * - each tag in a text node (read by folio_tag_at, the analysis' own tag
 *   reader) is cut out of the text and replaced by a custom inline holding
 *   a badge: <span class="tag s2" title="…">#S2.3</span>;
 * - each evidence unit of the analysis (a list item, a paragraph, or the
 *   section under a tagged heading) gets a custom block opening
 *   <div class="evidence s2" id="…"> before it and one closing it after;
 * - images by URL become a note with the address: nothing is fetched.
 *
 * Units are found by the line the analysis gives and the tags the block
 * carries itself, in document order (see map_units).
 */

#include "pack_internal.h"

#include <cmark.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ escaping */

void folio_html_escape_n(folio_buf *b, const char *s, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		const char *rep;
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		folio_buf_put(b, s + start, i - start);
		folio_buf_puts(b, rep);
		start = i + 1;
	}
	folio_buf_put(b, s + start, n - start);
}

void folio_html_escape(folio_buf *b, const char *s)
{
	if (s)
		folio_html_escape_n(b, s, strlen(s));
}

void folio_pack_put_num(folio_buf *b, unsigned long long v)
{
	char digits[24];
	size_t n = sizeof(digits);
	do {
		digits[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	folio_buf_put(b, digits + n, sizeof(digits) - n);
}

void folio_pack_std_class(folio_buf *b, size_t i)
{
	folio_buf_printf(b, "s%zu", i + 1);
}

/* ------------------------------------------------------------ the page frame */

/* Colours of the standards, in order (more standards than colours: they repeat). */
static const char *const std_colours[][2] = {
	{ "#1f6fb2", "#e8f1fa" }, /* S1 blue */
	{ "#2b8a3e", "#e9f5ec" }, /* S2 green */
	{ "#c2570c", "#fdf0e6" }, /* S3 orange */
	{ "#7b3fa0", "#f3ebf8" }, /* S4 purple */
	{ "#b3263e", "#fbe9ec" },
	{ "#0f7b80", "#e5f4f4" },
};
#define NCOLOURS (sizeof(std_colours) / sizeof(std_colours[0]))

static const char page_css[] =
	":root { --ink: #1c2230; --muted: #5d6577; --rule: #d9dde5; --paper: #ffffff; --wash: #f6f7f9; }\n"
	"* { box-sizing: border-box; }\n"
	"html { background: var(--wash); }\n"
	"body { margin: 0 auto; max-width: 60rem; padding: 2rem 2.5rem 4rem; background: var(--paper);"
	" color: var(--ink); font: 16px/1.6 Charter, 'Bitstream Charter', 'Sitka Text', Cambria, Georgia, serif; }\n"
	"h1, h2, h3, h4, h5, h6, .sans, table, nav, .meta, .tag, .evlabel, .pill, .kicker {"
	" font-family: 'Source Sans Pro', 'Segoe UI', 'Helvetica Neue', Arial, sans-serif; }\n"
	"h1 { font-size: 1.9rem; line-height: 1.2; margin: 0.2rem 0 0.6rem; }\n"
	"h2 { font-size: 1.35rem; margin: 2.6rem 0 0.8rem; padding-bottom: 0.3rem; border-bottom: 2px solid var(--ink); }\n"
	"h3 { font-size: 1.1rem; margin: 1.6rem 0 0.5rem; }\n"
	"a { color: #1f4f8f; }\n"
	"code, pre { font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 0.86em; }\n"
	"pre { background: var(--wash); padding: 0.7rem 0.9rem; overflow-x: auto; border-radius: 4px; }\n"
	"blockquote { margin: 1rem 0; padding: 0.1rem 1rem; border-left: 3px solid var(--rule); color: #3b4254; }\n"
	".kicker { text-transform: uppercase; letter-spacing: 0.08em; font-size: 0.78rem; color: var(--muted);"
	" font-weight: 600; }\n"
	"header.pack { border-bottom: 4px double var(--ink); padding-bottom: 1rem; margin-bottom: 1.2rem; }\n"
	".meta { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: 0.25rem 1.2rem;"
	" font-size: 0.92rem; margin: 0.8rem 0 0; }\n"
	".meta dt { color: var(--muted); }\n"
	".meta dd { margin: 0; }\n"
	".pill { display: inline-block; padding: 0.05rem 0.6rem; border-radius: 999px; font-size: 0.82rem;"
	" font-weight: 600; border: 1px solid currentColor; }\n"
	".ready { color: #2b7a3a; } .not-ready { color: #b3261e; }\n"
	".state-recommended, .state-certified, .status-accepted { color: #2b7a3a; }\n"
	".state-further-evidence, .status-open { color: #b3261e; }\n"
	".status-addressed, .state-in-review, .state-submitted { color: #1f4f8f; }\n"
	".state-revoked, .state-withdrawn { color: var(--muted); }\n"
	"ul.missing { margin: 0.4rem 0 0; font-size: 0.92rem; color: #8a1c14; }\n"
	"nav.toc { background: var(--wash); border: 1px solid var(--rule); border-radius: 6px; padding: 0.8rem 1.2rem;"
	" margin: 1.2rem 0; font-size: 0.92rem; }\n"
	"nav.toc > ol { margin: 0.3rem 0 0; padding-left: 1.3rem; }\n"
	"nav.toc ol ol { columns: 2; column-gap: 2rem; margin: 0.2rem 0 0; padding-left: 1.5rem; }\n"
	"nav.toc li { break-inside: avoid; }\n"
	"table { border-collapse: collapse; width: 100%; font-size: 0.88rem; margin: 0.6rem 0 1rem; }\n"
	"th, td { text-align: left; padding: 0.35rem 0.55rem; border-bottom: 1px solid var(--rule); vertical-align: top; }\n"
	"thead th { border-bottom: 2px solid var(--ink); font-weight: 600; }\n"
	"td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }\n"
	"table.matrix td.cell { text-align: center; white-space: nowrap; }\n"
	"table.matrix td.cell a { text-decoration: none; font-weight: 700; }\n"
	"table.matrix td.cell .w { display: block; font-size: 0.75rem; color: var(--muted); font-weight: 400; }\n"
	"table.matrix td.empty { color: #b8bdc8; text-align: center; }\n"
	"table.matrix tfoot td, table.matrix tfoot th { border-top: 2px solid var(--ink); font-weight: 600; }\n"
	"table.matrix td.short { background: #fdecea; }\n"
	".muted { color: var(--muted); }\n"
	".tag { display: inline-block; padding: 0 0.4em; margin: 0 0.1em; border-radius: 3px; font-size: 0.78em;"
	" font-weight: 700; line-height: 1.5; color: #fff; vertical-align: 0.08em; white-space: nowrap; }\n"
	".tag.bad { background: #fff; color: #b3261e; border: 1px dashed #b3261e; }\n"
	".evidence { border-left: 4px solid var(--rule); padding: 0.05rem 0 0.05rem 0.9rem; margin: 0.6rem 0;"
	" position: relative; }\n"
	".evidence > .evlabel { float: right; margin: 0.1rem 0 0.2rem 0.6rem; font-size: 0.7rem; color: var(--muted); }\n"
	".evlabel b { font-weight: 700; }\n"
	"li > .evidence { margin: 0.15rem 0; }\n"
	"article.entry { border-top: 1px solid var(--rule); margin-top: 2.2rem; padding-top: 0.6rem; }\n"
	"article.entry > header .kicker a { color: inherit; }\n"
	"article.entry > header .kicker .path { text-transform: none; letter-spacing: 0; font-weight: 400; }\n"
	"td.asked { white-space: pre-line; }\n"
	"article.entry .body h1 { font-size: 1.45rem; margin-top: 0.4rem; }\n"
	"article.entry .body h2 { font-size: 1.15rem; border: 0; margin: 1.4rem 0 0.4rem; padding: 0; }\n"
	"article.entry .body h3 { font-size: 1rem; }\n"
	".entry-tags { font-size: 0.85rem; color: var(--muted); }\n"
	".omitted { font-family: sans-serif; font-size: 0.8em; color: var(--muted); border: 1px dashed var(--rule);"
	" padding: 0 0.3em; }\n"
	"ol.timeline { list-style: none; padding: 0; margin: 0; border-left: 2px solid var(--rule); }\n"
	"ol.timeline li { position: relative; padding: 0.15rem 0 0.55rem 1.1rem; font-size: 0.92rem; }\n"
	"ol.timeline li::before { content: ''; position: absolute; left: -6px; top: 0.55rem; width: 10px; height: 10px;"
	" border-radius: 50%; background: #fff; border: 2px solid #8a93a6; }\n"
	"ol.timeline li.state::before { background: var(--ink); border-color: var(--ink); }\n"
	"ol.timeline .when { font-family: sans-serif; font-size: 0.8rem; color: var(--muted); margin-right: 0.5rem; }\n"
	"ol.timeline .files { display: block; font-size: 0.82rem; color: var(--muted); }\n"
	"ol.timeline li.pinned { font-weight: 600; }\n"
	"pre.diff { background: #fbfbfc; border: 1px solid var(--rule); font-size: 0.78rem; line-height: 1.45;"
	" white-space: pre-wrap; }\n"
	"pre.diff .add { background: #e6f4ea; color: #14532d; display: block; }\n"
	"pre.diff .del { background: #fbeaea; color: #7f1d1d; display: block; }\n"
	"pre.diff .hunk { color: var(--muted); display: block; }\n"
	"details > summary { cursor: pointer; font-family: sans-serif; font-size: 0.9rem; }\n"
	".gain-pos { color: #2b7a3a; font-weight: 600; } .gain-neg { color: #b3261e; font-weight: 600; }\n"
	"footer.pack { margin-top: 3rem; font-size: 0.8rem; color: var(--muted); border-top: 1px solid var(--rule);"
	" padding-top: 0.6rem; }\n"
	"@media print {\n"
	"  @page { size: A4; margin: 16mm 14mm 18mm; }\n"
	"  html { background: #fff; }\n"
	"  body { max-width: none; padding: 0; font-size: 10.5pt; }\n"
	"  a { color: inherit; text-decoration: none; }\n"
	"  nav.toc { break-inside: avoid; }\n"
	"  h2, h3 { break-after: avoid; }\n"
	"  article.entry { break-before: page; border: 0; }\n"
	"  tr, .tag, ol.timeline li { break-inside: avoid; }\n"
	"  details > *:not(summary) { display: block; }\n"
	"  .tag, .evidence, table.matrix td.short { -webkit-print-color-adjust: exact; print-color-adjust: exact; }\n"
	"}\n";

void folio_pack_page_open(folio_buf *b, const char *title, const folio_framework *fw, const char *extra_css)
{
	folio_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			  "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
			  "style-src 'unsafe-inline'; img-src data:\">\n"
			  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
			  "<meta name=\"generator\" content=\"folio " FOLIO_VERSION "\">\n<title>");
	folio_html_escape(b, title);
	folio_buf_puts(b, "</title>\n<style>\n");
	folio_buf_puts(b, page_css);
	for (size_t i = 0; fw && i < folio_framework_standard_count(fw); i++) {
		const char *fg = std_colours[i % NCOLOURS][0], *bg = std_colours[i % NCOLOURS][1];
		folio_buf_printf(b, ".tag.s%zu { background: %s; }\n", i + 1, fg);
		folio_buf_printf(b, ".evidence.s%zu { border-left-color: %s; }\n", i + 1, fg);
		folio_buf_printf(b, ".evidence.d%zu { border-left: 4px dotted %s; }\n", i + 1, fg);
		folio_buf_printf(b, ".c%zu { color: %s; } .bg%zu { background: %s; }\n", i + 1, fg, i + 1, bg);
	}
	if (extra_css)
		folio_buf_puts(b, extra_css);
	folio_buf_puts(b, "</style>\n</head>\n<body>\n");
}

void folio_pack_page_close(folio_buf *b)
{
	folio_buf_puts(b, "</body>\n</html>\n");
}

/* ------------------------------------------------------------ cmark's memory for one entry */

/*
 * cmark makes thousands of small nodes and strings per entry and frees
 * them one by one; malloc and free were about a sixth of a pack's
 * instructions. An entry's tree (parse, marks, rendered HTML) is therefore
 * allocated from an arena released at once when the entry is written.
 * cmark_mem has no context pointer, so the arena in use is thread-local.
 * In AddressSanitizer builds every allocation is a malloc of its own,
 * kept on a list, so that overflows are still caught.
 */
typedef struct arena_chunk {
	struct arena_chunk *next;
	size_t size, used;
	max_align_t data[]; /* size bytes */
} arena_chunk;

#define ARENA_CHUNK (64 * 1024)
#define ARENA_ALIGN sizeof(max_align_t)
#define ARENA_HEAD ARENA_ALIGN /* each allocation starts with its size, one alignment unit */

static _Thread_local arena_chunk *arena_list;

#if !defined(__SANITIZE_ADDRESS__)
static size_t arena_round(size_t n)
{
	return (n + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
}
#endif

static void *arena_alloc(size_t size)
{
	if (size > SIZE_MAX / 2)
		abort(); /* as folio_malloc does when memory runs out */
#if defined(__SANITIZE_ADDRESS__)
	arena_chunk *c = folio_malloc(sizeof(*c) + ARENA_HEAD + size);
	c->size = c->used = ARENA_HEAD + size;
	c->next = arena_list;
	arena_list = c;
	unsigned char *p = (unsigned char *)c->data;
#else
	size_t need = ARENA_HEAD + arena_round(size);
	arena_chunk *c = arena_list;
	if (!c || c->size - c->used < need) {
		size_t n = need > ARENA_CHUNK ? need : ARENA_CHUNK;
		c = folio_malloc(sizeof(*c) + n);
		c->size = n;
		c->used = 0;
		c->next = arena_list;
		arena_list = c;
	}
	unsigned char *p = (unsigned char *)c->data + c->used;
	c->used += need;
#endif
	memcpy(p, &size, sizeof(size));
	return p + ARENA_HEAD;
}

static void *arena_calloc(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / 2 / size)
		abort();
	void *p = arena_alloc(n * size);
	memset(p, 0, n * size);
	return p;
}

static void *arena_realloc(void *ptr, size_t size)
{
	size_t old;
	if (!ptr)
		return arena_alloc(size);
	memcpy(&old, (unsigned char *)ptr - ARENA_HEAD, sizeof(old));
	if (size <= old)
		return ptr;
#if !defined(__SANITIZE_ADDRESS__)
	/* the last allocation of the newest chunk grows where it is when there is room */
	arena_chunk *c = arena_list;
	unsigned char *start = (unsigned char *)ptr - ARENA_HEAD, *base = (unsigned char *)c->data;
	if (start + ARENA_HEAD + arena_round(old) == base + c->used && size <= SIZE_MAX / 2 &&
	    (size_t)(start - base) + ARENA_HEAD + arena_round(size) <= c->size) {
		c->used = (size_t)(start - base) + ARENA_HEAD + arena_round(size);
		memcpy(start, &size, sizeof(size));
		return ptr;
	}
#endif
	void *p = arena_alloc(size);
	memcpy(p, ptr, old);
	return p;
}

static void arena_free(void *ptr)
{
	(void)ptr; /* everything goes at once in arena_release */
}

static void arena_release(void)
{
	while (arena_list) {
		arena_chunk *next = arena_list->next;
		free(arena_list);
		arena_list = next;
	}
}

static cmark_mem entry_mem = { arena_calloc, arena_realloc, arena_free };

/* ------------------------------------------------------------ the entry tree */

typedef struct {
	cmark_node *node;
	int kind;             /* 0 paragraph, 1 list item, 2 heading (its section) */
	unsigned line;
	unsigned char *tags;  /* tags the block carries itself (descriptors add their standard), ntags long */
	int any;
} candidate;

typedef struct {
	cmark_node *node;     /* a text node */
	size_t owner;         /* candidate index, or SIZE_MAX */
} text_ref;

typedef struct {
	const folio_framework *fw;
	size_t ntags;
	candidate *cand;
	size_t ncand, acand;
	text_ref *texts;
	size_t ntexts, atexts;
} tree_scan;

static cmark_node *custom(cmark_node_type type, const char *on_enter, const char *on_exit)
{
	cmark_node *n = cmark_node_new_with_mem(type, &entry_mem);
	cmark_node_set_on_enter(n, on_enter ? on_enter : "");
	cmark_node_set_on_exit(n, on_exit ? on_exit : "");
	return n;
}

/* Plain text of a node's inline children (an image's alt text). */
static void plain_text(folio_buf *b, cmark_node *node)
{
	for (cmark_node *c = cmark_node_first_child(node); c; c = cmark_node_next(c)) {
		const char *lit = cmark_node_get_literal(c);
		if (cmark_node_get_type(c) == CMARK_NODE_SOFTBREAK || cmark_node_get_type(c) == CMARK_NODE_LINEBREAK)
			folio_buf_putc(b, ' ');
		else if (lit)
			folio_buf_puts(b, lit);
		else
			plain_text(b, c);
	}
}

/* Images: inline what the resolver gives as a data: URI; anything else becomes a note with its address. */
static void fix_images(cmark_node *root, folio_pack_image_cb image, void *payload)
{
	cmark_iter *it = cmark_iter_new(root);
	cmark_node **imgs = NULL;
	size_t n = 0, a = 0;
	cmark_event_type ev;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(it);
		if (ev == CMARK_EVENT_ENTER && cmark_node_get_type(node) == CMARK_NODE_IMAGE) {
			if (n == a)
				imgs = folio_realloc(imgs, (a = a ? 2 * a : 8) * sizeof(*imgs));
			imgs[n++] = node;
		}
	}
	cmark_iter_free(it);
	for (size_t i = 0; i < n; i++) {
		const char *url = cmark_node_get_url(imgs[i]);
		char *data = NULL;
		if (!url)
			url = "";
		if (strncmp(url, "data:image/", 11) == 0)
			continue; /* cmark keeps only the safe kinds (png, gif, jpeg, webp) */
		if (image)
			data = image(url, payload);
		if (data) {
			cmark_node_set_url(imgs[i], data);
			free(data);
			continue;
		}
		folio_buf note = FOLIO_BUF_INIT, alt = FOLIO_BUF_INIT;
		plain_text(&alt, imgs[i]);
		folio_buf_puts(&note, "<span class=\"omitted\" title=\"images by address are not fetched\">[image");
		if (alt.size) {
			folio_buf_puts(&note, ": ");
			folio_html_escape(&note, alt.ptr);
		}
		if (*url) {
			folio_buf_puts(&note, " \xe2\x80\x94 ");
			folio_html_escape(&note, url);
		}
		folio_buf_puts(&note, "]</span>");
		cmark_node *c = custom(CMARK_NODE_CUSTOM_INLINE, note.ptr, "");
		cmark_node_insert_before(imgs[i], c);
		cmark_node_free(imgs[i]);
		folio_buf_free(&note);
		folio_buf_free(&alt);
	}
	free(imgs);
}

static size_t add_candidate(tree_scan *ts, cmark_node *node, int kind)
{
	if (ts->ncand == ts->acand)
		ts->cand = folio_realloc(ts->cand, (ts->acand = ts->acand ? 2 * ts->acand : 16) * sizeof(*ts->cand));
	candidate *c = &ts->cand[ts->ncand];
	c->node = node;
	c->kind = kind;
	c->line = (unsigned)cmark_node_get_start_line(node);
	c->tags = arena_calloc(ts->ntags ? ts->ntags : 1, 1);
	c->any = 0;
	return ts->ncand++;
}

/*
 * One walk in document order: the blocks that can be units (every list
 * item, heading and paragraph), and the text nodes that may hold tags with
 * the block a tag there belongs to, by the analysis' rule: the heading it
 * is in, else the innermost list item, else its paragraph. Text of
 * autolinks and image descriptions holds no tags.
 */
static void collect(tree_scan *ts, cmark_node *root)
{
	cmark_iter *it = cmark_iter_new(root);
	size_t *items = NULL, nitems = 0, aitems = 0;
	size_t heading = SIZE_MAX, para = SIZE_MAX;
	cmark_node *skip = NULL; /* an autolink or an image being read */
	cmark_event_type ev;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(it);
		cmark_node_type type = cmark_node_get_type(node);
		int enter = ev == CMARK_EVENT_ENTER;

		switch (type) {
		case CMARK_NODE_ITEM:
			if (enter) {
				if (nitems == aitems)
					items = folio_realloc(items, (aitems = aitems ? 2 * aitems : 8) * sizeof(*items));
				items[nitems++] = add_candidate(ts, node, 1);
			} else {
				nitems--;
			}
			break;
		case CMARK_NODE_HEADING:
			heading = enter ? add_candidate(ts, node, 2) : SIZE_MAX;
			break;
		case CMARK_NODE_PARAGRAPH:
			para = enter ? add_candidate(ts, node, 0) : SIZE_MAX;
			break;
		case CMARK_NODE_LINK:
		case CMARK_NODE_IMAGE:
			if (enter && !skip && (type == CMARK_NODE_IMAGE || folio_cmark_is_autolink(node)))
				skip = node;
			else if (!enter && skip == node)
				skip = NULL;
			break;
		case CMARK_NODE_TEXT:
			if (skip || !strchr(cmark_node_get_literal(node), '#'))
				break;
			if (ts->ntexts == ts->atexts)
				ts->texts = folio_realloc(ts->texts,
					(ts->atexts = ts->atexts ? 2 * ts->atexts : 16) * sizeof(*ts->texts));
			ts->texts[ts->ntexts].node = node;
			ts->texts[ts->ntexts].owner = heading != SIZE_MAX ? heading : nitems ? items[nitems - 1] : para;
			ts->ntexts++;
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
	free(items);
}

/* The badge of one tag token (tag < 0: not in the framework). */
static void badge(folio_buf *b, const folio_framework *fw, const char *tok, size_t toklen, long tag)
{
	if (tag < 0) {
		folio_buf_puts(b, "<span class=\"tag bad\" title=\"unknown tag: not in the framework\">");
		folio_html_escape_n(b, tok, toklen);
		folio_buf_puts(b, "</span>");
		return;
	}
	size_t s = folio_framework_tag_standard(fw, (size_t)tag);
	const folio_standard *st = folio_framework_standard(fw, s);
	folio_buf_puts(b, "<span class=\"tag s");
	folio_pack_put_num(b, s + 1);
	folio_buf_puts(b, "\" data-tag=\"");
	folio_html_escape(b, folio_framework_tag_id(fw, (size_t)tag));
	folio_buf_puts(b, "\" title=\"");
	if (folio_framework_tag_is_descriptor(fw, (size_t)tag)) {
		const folio_descriptor *d = &st->descriptors[(size_t)tag - st->index - 1];
		folio_html_escape(b, d->id);
		folio_buf_puts(b, ": ");
		folio_html_escape(b, d->text);
	} else {
		folio_html_escape(b, st->id);
		folio_buf_puts(b, " ");
		folio_html_escape(b, st->title);
	}
	folio_buf_puts(b, "\">#");
	folio_html_escape(b, folio_framework_tag_id(fw, (size_t)tag));
	folio_buf_puts(b, "</span>");
}

/* Cut the tags out of each text node, put badges in their place, and note which block carries which tag. */
static void mark_tags(tree_scan *ts)
{
	folio_buf b = FOLIO_BUF_INIT;

	for (size_t i = 0; i < ts->ntexts; i++) {
		cmark_node *node = ts->texts[i].node, *at = node;
		char *lit = folio_strdup(cmark_node_get_literal(node));
		size_t len = strlen(lit), from = 0;
		int first = 1;

		for (size_t off = 0; off < len; off++) {
			long tag;
			size_t n;
			if (lit[off] != '#' || (n = folio_tag_at(ts->fw, lit, off, &tag)) == 0)
				continue;
			/* the text before the tag: the node itself first, then new text nodes */
			char *piece = folio_strndup(lit + from, off - from);
			if (first) {
				cmark_node_set_literal(node, piece);
				first = 0;
			} else {
				cmark_node *t = cmark_node_new_with_mem(CMARK_NODE_TEXT, &entry_mem);
				cmark_node_set_literal(t, piece);
				cmark_node_insert_after(at, t);
				at = t;
			}
			free(piece);
			folio_buf_clear(&b);
			badge(&b, ts->fw, lit + off, n, tag);
			cmark_node *c = custom(CMARK_NODE_CUSTOM_INLINE, b.ptr, "");
			cmark_node_insert_after(at, c);
			at = c;
			if (tag >= 0 && ts->texts[i].owner != SIZE_MAX) {
				candidate *cd = &ts->cand[ts->texts[i].owner];
				cd->tags[tag] = 1;
				cd->tags[folio_framework_standard(ts->fw, folio_framework_tag_standard(ts->fw, (size_t)tag))->index] = 1;
				cd->any = 1;
			}
			off += n - 1;
			from = off + 1;
		}
		if (!first && from < len) {
			cmark_node *t = cmark_node_new_with_mem(CMARK_NODE_TEXT, &entry_mem);
			cmark_node_set_literal(t, lit + from);
			cmark_node_insert_after(at, t);
		}
		free(lit);
	}
	folio_buf_free(&b);
}

/*
 * The opening of an evidence block into b (cleared first): classes per
 * standard it counts for, an anchor and a small label. kind is scratch of
 * one byte per standard.
 */
static void unit_open(folio_buf *b, unsigned char *kind, const folio_framework *fw, const folio_evidence_unit *u,
	const char *prefix, size_t k)
{
	size_t nstd = folio_framework_standard_count(fw);

	memset(kind, 0, nstd ? nstd : 1); /* per standard: 2 credited in full, 1 by a descriptor only */
	for (size_t c = 0; c < u->ncredits; c++) {
		size_t tag = u->credits[c];
		if (tag >= folio_framework_tag_count(fw))
			continue;
		size_t s = folio_framework_tag_standard(fw, tag);
		if (!folio_framework_tag_is_descriptor(fw, tag))
			kind[s] = 2;
		else if (!kind[s])
			kind[s] = 1;
	}
	folio_buf_clear(b);
	folio_buf_puts(b, "<div class=\"evidence");
	for (size_t s = 0; s < nstd; s++)
		if (kind[s]) {
			folio_buf_puts(b, kind[s] == 2 ? " s" : " d");
			folio_pack_put_num(b, s + 1);
		}
	folio_buf_puts(b, "\" id=\"");
	folio_buf_puts(b, prefix);
	folio_buf_puts(b, "-u");
	folio_pack_put_num(b, k);
	folio_buf_puts(b, "\" data-words=\"");
	folio_pack_put_num(b, u->words);
	folio_buf_puts(b, "\"><span class=\"evlabel\">");
	int sep = 0;
	for (size_t c = 0; c < u->ncredits; c++) {
		size_t tag = u->credits[c];
		if (tag >= folio_framework_tag_count(fw))
			continue;
		folio_buf_puts(b, sep++ ? " <b class=\"c" : "<b class=\"c");
		folio_pack_put_num(b, folio_framework_tag_standard(fw, tag) + 1);
		folio_buf_puts(b, "\">");
		folio_html_escape(b, folio_framework_tag_id(fw, tag));
		folio_buf_puts(b, "</b>");
	}
	folio_buf_puts(b, " \xc2\xb7 ");
	folio_pack_put_num(b, u->words);
	folio_buf_puts(b, " words</span>");
}

/* The last sibling of a section that starts at heading h: up to the next heading of the same or a higher level. */
static cmark_node *section_end(cmark_node *h)
{
	int level = cmark_node_get_heading_level(h);
	cmark_node *last = h;
	for (cmark_node *n = cmark_node_next(h); n; n = cmark_node_next(n)) {
		if (cmark_node_get_type(n) == CMARK_NODE_HEADING && cmark_node_get_heading_level(n) <= level)
			break;
		last = n;
	}
	return last;
}

/*
 * Put each unit of the analysis on its block. Units come in document order
 * with the line their block starts on; a block matches when it starts on
 * that line and carries every tag the unit credits (a block whose tags all
 * count for an enclosing unit is left out by the analysis, so the next
 * candidate is tried). Markers are inserted in document order, so the
 * closing marker of an inner unit always lands before its outer one's.
 */
static void map_units(tree_scan *ts, const folio_doc *doc, const char *prefix, unsigned char *placed)
{
	size_t u = 0, nstd = folio_framework_standard_count(ts->fw);
	unsigned char *kind = folio_malloc(nstd ? nstd : 1);
	folio_buf open = FOLIO_BUF_INIT;
	for (size_t c = 0; c < ts->ncand && u < doc->nunits; c++) {
		candidate *cd = &ts->cand[c];
		const folio_evidence_unit *unit = &doc->units[u];
		int match = cd->any && cd->line == unit->line;
		for (size_t k = 0; match && k < unit->ncredits; k++)
			match = unit->credits[k] < ts->ntags && cd->tags[unit->credits[k]];
		if (!match)
			continue;
		unit_open(&open, kind, ts->fw, unit, prefix, u);
		cmark_node *o = custom(CMARK_NODE_CUSTOM_BLOCK, open.ptr, ""), *e = custom(CMARK_NODE_CUSTOM_BLOCK, "</div>", "");
		if (cd->kind == 1) {
			cmark_node_prepend_child(cd->node, o);
			cmark_node_append_child(cd->node, e);
		} else {
			cmark_node *last = cd->kind == 2 ? section_end(cd->node) : cd->node;
			cmark_node_insert_before(cd->node, o);
			cmark_node_insert_after(last, e);
		}
		placed[u++] = 1;
	}
	folio_buf_free(&open);
	free(kind);
}

/* Does the text hold "![" anywhere? Every image, inline or by reference, starts so. */
static int has_image(const char *text, size_t len)
{
	for (const char *p = text, *end = text + len; (p = memchr(p, '!', (size_t)(end - p))) != NULL; p++)
		if (p + 1 < end && p[1] == '[')
			return 1;
	return 0;
}

void folio_pack_entry_html(folio_buf *b, const folio_framework *fw, const folio_doc *doc, const char *text,
	size_t len, const char *prefix, folio_pack_image_cb image, void *payload, folio_pack_marks *marks)
{
	tree_scan ts;
	cmark_parser *parser = cmark_parser_new_with_mem(CMARK_OPT_DEFAULT, &entry_mem);
	cmark_node *root;
	size_t nunits = doc ? doc->nunits : 0;
	unsigned char *placed = folio_calloc(nunits ? nunits : 1, 1);
	char *html;

	/* what cmark_parse_document does, with the arena */
	cmark_parser_feed(parser, text ? text : "", text ? len : 0);
	root = cmark_parser_finish(parser);
	cmark_parser_free(parser);

	memset(&ts, 0, sizeof(ts));
	ts.fw = fw;
	ts.ntags = folio_framework_tag_count(fw);
	if (text && has_image(text, len))
		fix_images(root, image, payload);
	collect(&ts, root);
	mark_tags(&ts);
	if (doc)
		map_units(&ts, doc, prefix, placed);
	/* default options: safe mode, raw HTML omitted, unsafe URLs dropped */
	html = cmark_render_html(root, CMARK_OPT_DEFAULT);
	folio_buf_puts(b, html);
	arena_release(); /* the tree, the HTML and the candidates' tags */
	free(ts.cand);
	free(ts.texts);
	if (marks) {
		marks->nunits = nunits;
		marks->placed = placed;
	} else {
		free(placed);
	}
}
