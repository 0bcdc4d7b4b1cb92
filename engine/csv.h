/* engine/csv.h: an RFC 4180 CSV reader that keeps row numbers for error messages. */
#ifndef FOLIO_CSV_H
#define FOLIO_CSV_H

#include <stddef.h>

typedef struct {
	char **fields;
	size_t nfields;
	size_t row; /* 1-based row as a spreadsheet shows it; the header is row 1 */
} folio_csv_row;

typedef struct {
	folio_csv_row *rows;
	size_t nrows;
} folio_csv;

/*
 * Parse CSV text: comma separated, fields optionally quoted with '"' and
 * quotes doubled inside, LF or CRLF line ends, blank lines skipped but
 * counted (row numbers match what a spreadsheet shows). The text must be
 * UTF-8 without NUL bytes. On error returns FOLIO_EINVALID with
 * "NAME: row N: what" (NAME is the file name for messages).
 */
int folio_csv_parse(folio_csv *out, const char *name, const char *text, size_t len);
void folio_csv_free(folio_csv *csv);

#endif
