/*
 * tests/fuzz/fuzz_csv.c: CSV text (folio_csv_parse) and the two imports
 * built on it (folio_school_import_csv, folio_person_import_csv) into a
 * throw-away site that holds the sample schools. Input: the CSV bytes.
 *
 * Invariants: parse errors are FOLIO_EINVALID "NAME: row N..." with N a
 * row of the input; rows are numbered upwards within the input; the parsed
 * fields written back as CSV parse again to the same fields. An import that
 * fails names the file and leaves the site as it was (all rows or none); one
 * that succeeds adds exactly its rows. The site is put back after a success.
 */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "folio/people.h"
#include "folio/site.h"
#include "site_internal.h"
#include "util.h"

static folio_site *site;
static char *site_dir;
static size_t base_schools;

static void site_remove(void)
{
	if (!site_dir)
		return;
	folio_site_free(site);
	site = NULL;
	char *cmd = folio_asprintf("rm -rf '%s'", site_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz: could not remove %s\n", site_dir);
	free(cmd);
	free(site_dir);
	site_dir = NULL;
}

static void site_setup(void)
{
	const char *tmp = getenv("TMPDIR");
	char *tmpl = folio_asprintf("%s/folio-fuzz-csv-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	folio_init_options o = { 0 };
	char *text = NULL;
	size_t len = 0, n = 0;

	if (!mkdtemp(tmpl))
		fuzz_fail("cannot make a directory like %s", tmpl);
	site_dir = tmpl;
	atexit(site_remove);
	o.admin_id = "adm";
	o.admin_name = "Ada Admin";
	o.admin_email = "ada@example.org";
	o.standards_dir = FOLIO_STANDARDS_DIR;
	char *dir = folio_asprintf("%s/site", site_dir);
	if (folio_site_init(dir, "fuzzer", &o) < 0 || folio_site_open(&site, dir) < 0 ||
	    folio_site_act(site, "fuzzer", NULL) < 0 ||
	    folio_read_file(&text, &len, FOLIO_STANDARDS_DIR "/../portfolios/schools.csv") < 0 ||
	    folio_school_import_csv(site, "schools.csv", text, len, &n) < 0)
		fuzz_fail("site set-up failed: %s", folio_error_last());
	base_schools = n;
	free(text);
	free(dir);
}

/* Put the site back as set up: the admin and the sample schools. */
static void site_reset(void)
{
	char *sql = folio_asprintf(
		"UPDATE person SET lead = NULL WHERE id <> 'adm';"
		"DELETE FROM person_role WHERE person <> 'adm';"
		"DELETE FROM person WHERE id <> 'adm';"
		"DELETE FROM school WHERE rowid > %zu;", base_schools);
	if (folio_db_exec(site, sql) < 0)
		fuzz_fail("cannot reset the site: %s", folio_error_last());
	free(sql);
}

static size_t count_people(void)
{
	folio_person *p = NULL;
	size_t n = 0;
	if (folio_person_list(&p, &n, site) < 0)
		fuzz_fail("person list: %s", folio_error_last());
	folio_people_free(p, n);
	return n;
}

static size_t count_schools(void)
{
	folio_school *s = NULL;
	size_t n = 0;
	if (folio_school_list(&s, &n, site) < 0)
		fuzz_fail("school list: %s", folio_error_last());
	folio_schools_free(s, n);
	return n;
}

/* The row number of a "NAME: row N..." message must lie in the input. */
static void check_row_error(const char *msg, const char *name, const char *text, size_t len)
{
	size_t n = strlen(name);
	FUZZ_CHECK(strncmp(msg, name, n) == 0 && msg[n] == ':', "error does not name %s: %s", name, msg);
	const char *r = strstr(msg, ": row ");
	if (r && r == msg + n) {
		size_t row = strtoul(r + 6, NULL, 10);
		FUZZ_CHECK(row >= 1 && row <= fuzz_line_count(text, len), "error past the last row: %s", msg);
	}
}

/* Write the rows back as CSV, every field quoted. */
static char *write_csv(const folio_csv *csv, size_t *len)
{
	folio_buf b = FOLIO_BUF_INIT;
	for (size_t r = 0; r < csv->nrows; r++) {
		for (size_t f = 0; f < csv->rows[r].nfields; f++) {
			const char *s = csv->rows[r].fields[f];
			folio_buf_puts(&b, f ? ",\"" : "\"");
			for (; *s; s++)
				if (*s == '"')
					folio_buf_puts(&b, "\"\"");
				else
					folio_buf_putc(&b, *s);
			folio_buf_putc(&b, '"');
		}
		folio_buf_puts(&b, "\r\n");
	}
	*len = b.size;
	return folio_buf_detach(&b);
}

static void check_parse(const char *text, size_t len)
{
	folio_csv csv = { 0 }, back = { 0 };
	int rc = folio_csv_parse(&csv, "t.csv", text, len);

	if (rc < 0) {
		FUZZ_CHECK(rc == FOLIO_EINVALID, "parse returned %d", rc);
		FUZZ_CHECK(csv.nrows == 0 && !csv.rows, "failed parse left rows");
		check_row_error(folio_error_last(), "t.csv", text, len);
		return;
	}
	size_t lines = fuzz_line_count(text, len);
	for (size_t r = 0; r < csv.nrows; r++) {
		FUZZ_CHECK(csv.rows[r].row >= 1 && csv.rows[r].row <= lines, "row %zu numbered %zu of %zu lines", r,
			csv.rows[r].row, lines);
		FUZZ_CHECK(r == 0 || csv.rows[r - 1].row < csv.rows[r].row, "rows not numbered upwards at %zu", r);
		FUZZ_CHECK(csv.rows[r].nfields >= 1, "row %zu has no field", r);
	}
	size_t wlen = 0;
	char *w = write_csv(&csv, &wlen);
	FUZZ_CHECK(folio_csv_parse(&back, "w.csv", w, wlen) == 0, "written back CSV does not parse: %s", folio_error_last());
	FUZZ_CHECK(back.nrows == csv.nrows, "%zu rows written back as %zu", csv.nrows, back.nrows);
	for (size_t r = 0; r < csv.nrows; r++) {
		FUZZ_CHECK(back.rows[r].nfields == csv.rows[r].nfields, "row %zu: %zu fields written back as %zu", r,
			csv.rows[r].nfields, back.rows[r].nfields);
		for (size_t f = 0; f < csv.rows[r].nfields; f++)
			FUZZ_CHECK(strcmp(back.rows[r].fields[f], csv.rows[r].fields[f]) == 0, "row %zu field %zu changed", r, f);
	}
	free(w);
	folio_csv_free(&back);
	folio_csv_free(&csv);
}

static void check_import(int people, const char *text, size_t len)
{
	const char *name = people ? "people.csv" : "schools.csv";
	size_t before = people ? count_people() : count_schools(), count = 99;
	int rc = people ? folio_person_import_csv(site, name, text, len, &count)
			: folio_school_import_csv(site, name, text, len, &count);
	char *msg = folio_strdup(rc < 0 ? folio_error_last() : "");
	size_t after = people ? count_people() : count_schools();

	if (rc < 0) {
		FUZZ_CHECK(rc == FOLIO_EINVALID || rc == FOLIO_EEXISTS || rc == FOLIO_ENOTFOUND,
			"%s import returned %d: %s", name, rc, msg);
		check_row_error(msg, name, text, len);
		FUZZ_CHECK(count == 0, "failed %s import counted %zu", name, count);
		FUZZ_CHECK(after == before, "failed %s import changed the site: %zu -> %zu", name, before, after);
		free(msg);
		return;
	}
	free(msg);
	FUZZ_CHECK(after == before + count, "%s import of %zu rows: %zu -> %zu", name, count, before, after);
	site_reset();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;

	if (!site)
		site_setup();
	check_parse(text, size);
	check_import(0, text, size);
	check_import(1, text, size);
	return 0;
}
