/* engine/cli/cli.h: the command table, option parsing and output helpers shared by the folio commands. */
#ifndef FOLIO_CLI_H
#define FOLIO_CLI_H

#include <stddef.h>
#include <jansson.h>
#include "folio.h"

/* Exit codes (SPEC §9). */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

typedef struct {
	const char *name;  /* long name without "--" */
	const char *arg;   /* name of the value for help ("ID"), NULL for a flag */
	int repeat;        /* may be given more than once */
	const char *help;
} cli_opt;

#define CLI_OPT_END { NULL, NULL, 0, NULL }

typedef struct {
	const cli_opt *opt;
	const char *value;
} cli_val;

typedef struct {
	cli_val *vals;
	size_t nvals;
	const char **pos;
	size_t npos;
} cli_args;

/* What every command gets: the parsed arguments, and the open site when it needs one. */
typedef struct cli_ctx {
	const struct cli_command *cmd;
	cli_args args;
	const char *site_dir; /* --site, FOLIO_SITE or "." */
	const char *as;       /* --as */
	const char *login;    /* OS login (LOGNAME, else the password database) */
	int json;             /* --json */
	folio_site *site;     /* open when cmd->site == CLI_SITE */
} cli_ctx;

enum { CLI_NOSITE = 0, CLI_SITE = 1 };

typedef struct cli_command {
	const char *noun;
	const char *verb; /* NULL for one-word commands */
	int (*run)(cli_ctx *ctx);
	int site;         /* CLI_SITE: open the site and set the acting person first */
	size_t min_pos, max_pos;
	const char *usage;   /* after "folio noun verb" */
	const char *summary;
	const cli_opt *opts;
	int json;            /* accepts --json */
} cli_command;

/* Option values. */
const char *cli_get(const cli_ctx *ctx, const char *name);
int cli_flag(const cli_ctx *ctx, const char *name);
/* All values of a repeatable option; returns count, *out malloc'd (free it). */
size_t cli_all(const cli_ctx *ctx, const char *name, const char ***out);

/* Report an engine failure: "folio: <last error>" on stderr; returns CLI_FAIL (CLI_USAGE never). */
int cli_fail(void);
/* Report an error of our own making. */
int cli_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Read FILE, or standard input for "-", whole; prints the error itself and returns -1 on failure. */
int cli_read_input(const char *path, char **out, size_t *len);
/*
 * The same, reading at most max + 1 bytes: returns 1 (nothing kept, no error printed) when the input is
 * larger than max, with *too_large its size when it is a regular file, else 0.
 */
int cli_read_input_max(const char *path, size_t max, char **out, size_t *len, unsigned long long *too_large);

/*
 * The framework to use outside a command that needs a site: the site's when
 * there is one at --site/FOLIO_SITE/".", else the one folio was built with.
 * *site or *owned is set; free both.
 */
int cli_load_framework(cli_ctx *ctx, folio_site **site, const folio_framework **fw, folio_framework **owned);

/* Print a JSON value to stdout (indented, newline) and release it. */
int cli_json_print(json_t *v);
/*
 * A JSON array printed item by item (each item is taken and freed): the
 * same text cli_json_print gives for the whole array, holding one item at a
 * time, for lists that may be long (100,000 people).
 */
typedef struct {
	size_t n;
} cli_json_stream;
void cli_json_stream_item(cli_json_stream *s, json_t *item);
int cli_json_stream_end(cli_json_stream *s);
/* json_string that tolerates NULL (-> null). */
json_t *cli_json_str(const char *s);

/* Aligned table for people: add rows of cells, then print. */
typedef struct {
	size_t ncols;
	char **cells; /* row-major */
	size_t nrows;
	const char *align; /* 'l' or 'r' per column, may be NULL */
} cli_table;
void cli_table_init(cli_table *t, size_t ncols, const char *align);
void cli_table_row(cli_table *t, ...); /* ncols (at most 16) const char* (NULL prints as "") */
void cli_table_add(cli_table *t, const char *const *cells); /* ncols cells */
void cli_table_print(cli_table *t);
void cli_table_free(cli_table *t);

/* Progress on a terminal only (stderr). */
void cli_progress(size_t done, size_t total, const char *what, void *payload);

/* Command groups, each defined in its cmd_*.c. */
extern const cli_command cli_site_commands[];
extern const cli_command cli_people_commands[];
extern const cli_command cli_portfolio_commands[];
extern const cli_command cli_evidence_commands[];
extern const cli_command cli_panel_commands[];
extern const cli_command cli_submission_commands[];
extern const cli_command cli_assign_commands[];
extern const cli_command cli_review_commands[];
extern const cli_command cli_cert_commands[];
extern const cli_command cli_pack_commands[];
extern const cli_command cli_archive_commands[];

#endif
