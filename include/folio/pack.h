/* folio/pack.h: self-contained HTML packs of portfolios and panels for reviewers, and the printable certificate. */
#ifndef FOLIO_PACK_H
#define FOLIO_PACK_H

#include <stddef.h>
#include "common.h"
#include "site.h"

/*
 * Every page made here is one self-contained HTML file: inline CSS, no
 * script, and nothing fetched from anywhere (a Content-Security-Policy says
 * so too; images of the portfolio are inlined as data: URIs, images by URL
 * are shown as links). Entries are rendered with cmark in its default safe
 * mode, so raw HTML in an entry is never passed through; evidence tags and
 * blocks are marked through cmark custom nodes, and every string that comes
 * from a user is escaped.
 */

/* The pack of one portfolio: one self-contained HTML page (malloc'd, NUL-terminated; *len may be
 * NULL). target: a submission id in decimal ("12") or a mentor id; for a mentor, their latest
 * submission's pinned commit, or main's tip when they never submitted. Who may read it: the mentor
 * themself, reviewers assigned to that submission, leads and admins (refusals audited, FOLIO_EDENIED). */
int folio_pack_render(char **html, size_t *len, folio_site *site, const char *target);

/*
 * The file name a pack of `target` is written under by folio pack:
 * "submission-12.html", or "portfolio-MENTOR.html" for a mentor who never
 * submitted (malloc'd). FOLIO_ENOTFOUND / FOLIO_EINVALID as folio_pack_render,
 * without reading the portfolio or checking who asks.
 */
int folio_pack_file_name(char **name, folio_site *site, const char *target);

/* One page of a pack: a file name (no directory) and its HTML. */
typedef struct {
	char *name;
	char *html;
	size_t len;
} folio_pack_page;

/*
 * The pack of a panel: pages[0] is "index.html", the queue of `reviewer`
 * (NULL: the acting person's own queue; a lead or an admin without a
 * reviewer gets the whole panel) with each submission's state, readiness,
 * reviewers and the conflicts declared for its mentor, linking one page per
 * submission (folio_pack_render). A reviewer may pack only their own queue
 * (others: FOLIO_EDENIED, audited). FOLIO_ENOTFOUND for an unknown panel or
 * reviewer. Caller frees with folio_pack_pages_free.
 */
int folio_pack_panel(folio_pack_page **pages, size_t *n, folio_site *site, const char *panel, const char *reviewer);
void folio_pack_pages_free(folio_pack_page *pages, size_t n);

/*
 * Write pages into directory `dir` (created when missing; its parent must
 * exist). All or nothing: each page is written under a temporary name and
 * renamed once every page is written; on failure nothing new is left.
 * Existing files of the same names are replaced.
 */
int folio_pack_write(const char *dir, const folio_pack_page *pages, size_t n);

/*
 * A printable certificate (A4, one page): holder, qualification (its full
 * name from the framework), date of issue, number, approving lead, panel
 * and the pinned commit it was earned on, beside the badge image
 * (SITE/certificates/NUMBER/badge.svg, inlined). A revoked certificate
 * prints with "REVOKED", the date and the reason across it, so a print can
 * never pass for a valid one. Who may: as folio_cert_get (the holder, leads,
 * admins). *html malloc'd; *len may be NULL.
 */
int folio_cert_print_html(char **html, size_t *len, folio_site *site, const char *number);

#endif
