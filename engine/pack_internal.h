/* engine/pack_internal.h: what the pack modules share: HTML escaping, the page frame and the entry renderer. */
#ifndef FOLIO_PACK_INTERNAL_H
#define FOLIO_PACK_INTERNAL_H

#include <stddef.h>
#include "folio/certificate.h"
#include "folio/evidence.h"
#include "folio/framework.h"
#include "util.h"

/* Append s escaped for HTML text and attribute values (& < > " '). */
void folio_html_escape(folio_buf *b, const char *s);
void folio_html_escape_n(folio_buf *b, const char *s, size_t n);

/* Append v in decimal: what the loops of a pack write most, without printf's cost. */
void folio_pack_put_num(folio_buf *b, unsigned long long v);

/* CSS class of standard i (framework order): "s1", "s2", … */
void folio_pack_std_class(folio_buf *b, size_t i);

/*
 * Start a page: doctype, a Content-Security-Policy that allows no request
 * (inline styles and data: images only), the title (escaped) and the CSS
 * (the shared rules, one colour per standard of fw, and `extra_css`, may be NULL).
 */
void folio_pack_page_open(folio_buf *b, const char *title, const folio_framework *fw, const char *extra_css);
void folio_pack_page_close(folio_buf *b);

/*
 * Image sources in entries are given to this resolver: it returns a data:
 * URI to use (malloc'd) or NULL, and the image is then shown as a note
 * with its address instead (nothing is ever fetched).
 */
typedef char *(*folio_pack_image_cb)(const char *url, void *payload);

/* Where each evidence unit of an entry went: its anchor is "PREFIX-uN". */
typedef struct {
	size_t nunits;
	unsigned char *placed; /* per unit: 1 when its block was found and marked */
} folio_pack_marks;

/*
 * Render one Markdown entry as HTML into b with cmark (safe mode: raw HTML
 * omitted, dangerous URLs dropped). Each evidence tag becomes a badge of
 * its standard's colour; each evidence unit of `doc` (folio_doc_analyze of
 * the same text) is wrapped in <div class="evidence sN" id="PREFIX-uK">.
 * marks (may be NULL) tells which units were placed (free marks->placed).
 */
void folio_pack_entry_html(folio_buf *b, const folio_framework *fw, const folio_doc *doc, const char *text,
	size_t len, const char *prefix, folio_pack_image_cb image, void *payload, folio_pack_marks *marks);

/*
 * The printable certificate page of c (A4, one page; revoked ones stamped
 * REVOKED) with the badge image svg inlined, into b. Shared by
 * folio_cert_print_html and by certify, which writes it as
 * certificate.html before its row exists. issuer_name NULL: "folio".
 */
void folio_cert_page_html(folio_buf *b, folio_site *site, const folio_certificate *c, const char *svg, size_t svg_len,
	const char *issuer_name);

#endif
