/* engine/csv.c: RFC 4180 CSV reading for bulk imports. */
#include "csv.h"
#include "util.h"
#include "folio/evidence.h"

#include <stdlib.h>
#include <string.h>

static void push_field(folio_csv_row *r, folio_buf *f)
{
	r->fields = folio_realloc(r->fields, (r->nfields + 1) * sizeof(char *));
	r->fields[r->nfields++] = folio_strndup(f->ptr, f->size);
	folio_buf_clear(f);
}

static void free_row(folio_csv_row *r)
{
	for (size_t i = 0; i < r->nfields; i++)
		free(r->fields[i]);
	free(r->fields);
}

int folio_csv_parse(folio_csv *out, const char *name, const char *text, size_t len)
{
	folio_buf field = FOLIO_BUF_INIT;
	folio_csv_row row = { NULL, 0, 0 };
	size_t cap = 0, i = 0, recno = 0, bad = 0;
	int error = 0;

	out->rows = NULL;
	out->nrows = 0;
	if (!folio_utf8_valid(text, len, &bad))
		return folio_error_set(FOLIO_EINVALID, "%s: not valid UTF-8 text (byte %zu)", name, bad + 1);
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		i = 3; /* byte order mark from spreadsheet exports */

	while (i < len) {
		/* a blank line is a row of its own, as a spreadsheet shows it, but holds no record */
		if (text[i] == '\n' || text[i] == '\r') {
			i += (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n') ? 2 : 1;
			recno++;
			continue;
		}
		recno++;
		row.row = recno;
		for (;;) {
			if (i < len && text[i] == '"') {
				i++;
				for (;;) {
					if (i >= len) {
						error = folio_error_set(FOLIO_EINVALID, "%s: row %zu: a quoted field is not closed", name, recno);
						goto cleanup;
					}
					if (text[i] == '"') {
						if (i + 1 < len && text[i + 1] == '"') {
							folio_buf_putc(&field, '"');
							i += 2;
							continue;
						}
						i++;
						break;
					}
					folio_buf_putc(&field, text[i++]);
				}
				if (i < len && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
					error = folio_error_set(FOLIO_EINVALID,
						"%s: row %zu, field %zu: text after a closing quote", name, recno, row.nfields + 1);
					goto cleanup;
				}
			} else {
				while (i < len && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
					if (text[i] == '"') {
						error = folio_error_set(FOLIO_EINVALID,
							"%s: row %zu, field %zu: a quote inside an unquoted field", name, recno, row.nfields + 1);
						goto cleanup;
					}
					folio_buf_putc(&field, text[i++]);
				}
			}
			push_field(&row, &field);
			if (i < len && text[i] == ',') {
				i++;
				continue;
			}
			if (i < len && text[i] == '\r')
				i++;
			if (i < len && text[i] == '\n')
				i++;
			break;
		}
		if (out->nrows == cap) {
			cap = cap ? cap * 2 : 16;
			out->rows = folio_realloc(out->rows, cap * sizeof(*out->rows));
		}
		out->rows[out->nrows++] = row;
		row.fields = NULL;
		row.nfields = 0;
	}
cleanup:
	free_row(&row);
	folio_buf_free(&field);
	if (error < 0)
		folio_csv_free(out);
	return error;
}

void folio_csv_free(folio_csv *csv)
{
	for (size_t i = 0; i < csv->nrows; i++)
		free_row(&csv->rows[i]);
	free(csv->rows);
	csv->rows = NULL;
	csv->nrows = 0;
}
