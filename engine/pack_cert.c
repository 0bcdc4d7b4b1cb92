/* engine/pack_cert.c: the printable certificate: one A4 page, self-contained, with the badge image inlined. */

#include "folio/pack.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "folio/certificate.h"
#include "folio/panel.h"
#include "folio/people.h"
#include "pack_internal.h"
#include "site_internal.h"

static const char cert_css[] =
	"@page { size: A4 landscape; margin: 0; }\n"
	"html { background: #e9ebef; }\n"
	"body { margin: 0; padding: 1.5rem 0; max-width: none; background: transparent; }\n"
	".sheet { width: 297mm; height: 210mm; margin: 0 auto; background: #fffdf8; position: relative; overflow: hidden;"
	" box-shadow: 0 2px 14px rgba(0,0,0,0.18); padding: 11mm; }\n"
	".frame { height: 100%; border: 2.2mm double #1d3557; padding: 9mm 16mm 8mm; display: flex; flex-direction: column;"
	" position: relative; }\n"
	".frame::after { content: ''; position: absolute; inset: 2.5mm; border: 0.35mm solid #c9a227; pointer-events: none; }\n"
	".issuer { font-family: 'Source Sans Pro', 'Segoe UI', Arial, sans-serif; letter-spacing: 0.28em;"
	" text-transform: uppercase; font-size: 9.5pt; color: #1d3557; text-align: center; margin: 0; }\n"
	".title { font-family: Charter, Georgia, serif; font-size: 30pt; font-weight: normal; letter-spacing: 0.06em;"
	" text-align: center; margin: 3mm 0 1mm; color: #1d3557; border: 0; padding: 0; }\n"
	".rule { width: 60mm; height: 0.5mm; background: #c9a227; margin: 1mm auto 5mm; }\n"
	".main { display: flex; gap: 12mm; align-items: center; flex: 1; }\n"
	".words { flex: 1; text-align: center; font-family: Charter, Georgia, serif; color: #222; }\n"
	".words p { margin: 1.2mm 0; font-size: 12.5pt; }\n"
	".holder { font-size: 28pt !important; font-style: italic; color: #111; margin: 2mm 0 !important; }\n"
	".qualification { font-size: 19pt !important; font-weight: bold; color: #1d3557; }\n"
	".badge { width: 58mm; text-align: center; }\n"
	".badge img { width: 54mm; height: 54mm; }\n"
	".details { display: grid; grid-template-columns: repeat(3, 1fr); gap: 2mm 8mm; margin-top: 4mm;"
	" font-family: 'Source Sans Pro', 'Segoe UI', Arial, sans-serif; font-size: 9pt; color: #333;"
	" border-top: 0.3mm solid #c9c3b3; padding-top: 3mm; }\n"
	".details dt { text-transform: uppercase; letter-spacing: 0.08em; font-size: 7pt; color: #777; }\n"
	".details dd { margin: 0.5mm 0 0; }\n"
	".details code { font-size: 8pt; word-break: break-all; }\n"
	".sign { border-top: 0.3mm solid #333; padding-top: 1mm; display: inline-block; min-width: 50mm; }\n"
	".revoked .frame { border-color: #8a1c14; }\n"
	".stamp { position: absolute; top: 50%; left: 50%; transform: translate(-50%, -50%) rotate(-18deg);"
	" font-family: 'Source Sans Pro', Arial, sans-serif; font-weight: 800; font-size: 92pt; letter-spacing: 0.12em;"
	" color: rgba(179, 38, 30, 0.28); border: 2.5mm solid rgba(179, 38, 30, 0.28); padding: 0 8mm; z-index: 2;"
	" pointer-events: none; }\n"
	".revoked-note { background: #b3261e; color: #fff; font-family: 'Source Sans Pro', Arial, sans-serif;"
	" font-size: 10pt; text-align: center; padding: 1.5mm 4mm; margin: 0 0 3mm; }\n"
	"@media print { html, body { background: #fff; padding: 0; } .sheet { box-shadow: none; margin: 0; }"
	" .sheet, .stamp, .revoked-note, .frame { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }\n";

/* "17 March 2027" from an ISO 8601 date or time; the text itself when it is not one. */
static void put_long_date(folio_buf *b, const char *iso)
{
	static const char *const months[] = { "January", "February", "March", "April", "May", "June", "July", "August",
		"September", "October", "November", "December" };
	int y, m, d;
	if (iso && sscanf(iso, "%4d-%2d-%2d", &y, &m, &d) == 3 && m >= 1 && m <= 12 && d >= 1 && d <= 31)
		folio_buf_printf(b, "%d %s %d", d, months[m - 1], y);
	else
		folio_html_escape(b, iso);
}

static char *data_uri(const char *mime, const char *data, size_t n)
{
	unsigned char *enc = folio_malloc(4 * ((n + 2) / 3) + 1);
	int m = EVP_EncodeBlock(enc, (const unsigned char *)data, (int)n);
	char *uri = folio_asprintf("data:%s;base64,%.*s", mime, m, (const char *)enc);
	free(enc);
	return uri;
}

static char *name_of(folio_site *site, const char *id)
{
	folio_person p;
	char *name;
	if (!id || folio_person_get(&p, site, id) < 0) {
		folio_error_clear();
		return folio_strdup(id ? id : "");
	}
	name = folio_strdup(p.name);
	folio_person_clear(&p);
	return name;
}

/* The certificate page of c, its badge image svg beside it, into b (see pack_internal.h). */
void folio_cert_page_html(folio_buf *b, folio_site *site, const folio_certificate *c, const char *svg, size_t svg_len,
	const char *issuer_name)
{
	folio_panel pn;
	folio_buf title = FOLIO_BUF_INIT;
	const folio_framework *fw = site->fw;
	const folio_qualification *q = folio_framework_find_qualification(fw, c->qualification);
	char *img = data_uri("image/svg+xml", svg, svg_len), *approver = name_of(site, c->approved_by);
	int has_panel = folio_panel_get(&pn, site, c->panel) == 0;

	folio_error_clear();
	folio_buf_printf(&title, "Certificate %s \xe2\x80\x94 %s", c->number, c->holder_name ? c->holder_name : c->holder);
	folio_pack_page_open(b, title.ptr, fw, cert_css);
	folio_buf_printf(b, "<div class=\"sheet%s\" id=\"certificate\" data-number=\"", c->revoked ? " revoked" : "");
	folio_html_escape(b, c->number);
	folio_buf_puts(b, "\">\n");
	if (c->revoked)
		folio_buf_puts(b, "<div class=\"stamp\" id=\"revoked\">REVOKED</div>\n");
	folio_buf_puts(b, "<div class=\"frame\">\n");
	if (c->revoked) {
		folio_buf_puts(b, "<p class=\"revoked-note\">This certificate was revoked on ");
		put_long_date(b, c->revoked);
		folio_buf_puts(b, ": ");
		folio_html_escape(b, c->revoked_reason ? c->revoked_reason : "");
		folio_buf_puts(b, ". It is not valid.</p>\n");
	}
	folio_buf_puts(b, "<p class=\"issuer\">");
	folio_html_escape(b, issuer_name ? issuer_name : "folio");
	folio_buf_puts(b, "</p>\n<h1 class=\"title\">Certificate of Award</h1>\n<div class=\"rule\"></div>\n"
			   "<div class=\"main\">\n<div class=\"words\">\n<p>This certifies that</p>\n<p class=\"holder\">");
	folio_html_escape(b, c->holder_name ? c->holder_name : c->holder);
	folio_buf_puts(b, "</p>\n<p>has been awarded</p>\n<p class=\"qualification\">");
	folio_html_escape(b, q ? q->name : c->qualification);
	folio_buf_puts(b, " (");
	folio_html_escape(b, c->qualification);
	folio_buf_puts(b, ")</p>\n<p>for a reflective portfolio evidencing the ");
	folio_html_escape(b, folio_framework_title(fw));
	folio_buf_puts(b, "</p>\n</div>\n<div class=\"badge\"><img alt=\"");
	folio_html_escape(b, q ? q->name : c->qualification);
	folio_buf_puts(b, " badge\" src=\"");
	folio_buf_puts(b, img);
	folio_buf_puts(b, "\"></div>\n</div>\n<dl class=\"details\">\n<div><dt>Certificate number</dt><dd id=\"number\">");
	folio_html_escape(b, c->number);
	folio_buf_puts(b, "</dd></div>\n<div><dt>Date of award</dt><dd>");
	put_long_date(b, c->issued);
	folio_buf_puts(b, "</dd></div>\n<div><dt>Approved by</dt><dd><span class=\"sign\">");
	folio_html_escape(b, approver);
	folio_buf_puts(b, ", lead mentor</span></dd></div>\n<div><dt>Review panel</dt><dd>");
	folio_html_escape(b, c->panel);
	if (has_panel) {
		folio_buf_puts(b, ", met ");
		put_long_date(b, pn.date);
		folio_panel_clear(&pn);
	}
	folio_buf_puts(b, "</dd></div>\n<div style=\"grid-column: span 2\"><dt>Earned on portfolio commit</dt><dd><code id=\"commit\">");
	folio_html_escape(b, c->commit);
	folio_buf_puts(b, "</code></dd></div>\n</dl>\n</div>\n</div>\n");
	folio_pack_page_close(b);
	folio_buf_free(&title);
	free(approver);
	free(img);
}

int folio_cert_print_html(char **html, size_t *len, folio_site *site, const char *number)
{
	folio_certificate c;
	folio_cert_issuer iss;
	folio_buf b = FOLIO_BUF_INIT;
	char *dir = NULL, *svg_path = NULL, *svg = NULL;
	size_t svg_len = 0;
	int error, has_issuer;

	*html = NULL;
	if (len)
		*len = 0;
	if ((error = folio_cert_get(&c, site, number)) < 0)
		return error;
	dir = folio_cert_dir(site, c.number);
	svg_path = folio_asprintf("%s/badge.svg", dir);
	if ((error = folio_read_file(&svg, &svg_len, svg_path)) < 0) {
		error = folio_error_set(error, "cannot print certificate '%s': its badge '%s' cannot be read", c.number, svg_path);
		goto cleanup;
	}
	has_issuer = folio_cert_issuer_get(&iss, site) == 0;
	folio_error_clear();
	folio_cert_page_html(&b, site, &c, svg, svg_len, has_issuer ? iss.name : NULL);
	if (has_issuer)
		folio_cert_issuer_clear(&iss);
	if (len)
		*len = b.size;
	*html = folio_buf_detach(&b);
cleanup:
	free(svg);
	free(svg_path);
	free(dir);
	folio_cert_clear(&c);
	return error;
}
