/* engine/cli/main.c: `folio`, the command-line tool: finds the command in the table, parses its options, runs it. */
#include "cli.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const cli_opt global_opts[] = {
	{ "site", "DIR", 0, "the site directory (default: $FOLIO_SITE, else the current directory)" },
	{ "as", "ID", 0, "act as another person (admins only; audited)" },
	{ "help", NULL, 0, "show help for the command" },
	CLI_OPT_END
};
static const cli_opt json_opt = { "json", NULL, 0, "print stable JSON (see docs/cli.md)" };

static const cli_command *const groups[] = {
	cli_site_commands, cli_people_commands, cli_portfolio_commands, cli_evidence_commands,
	cli_panel_commands, cli_submission_commands, cli_assign_commands, cli_review_commands, cli_cert_commands,
	cli_pack_commands,
	cli_archive_commands,
};
#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

/* ------------------------------------------------------------ helpers */

int cli_error(int code, const char *fmt, ...)
{
	va_list ap;
	fputs("folio: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int cli_fail(void)
{
	const char *msg = folio_error_last();
	return cli_error(CLI_FAIL, "%s", *msg ? msg : "failed");
}

const char *cli_get(const cli_ctx *ctx, const char *name)
{
	const char *v = NULL;
	for (size_t i = 0; i < ctx->args.nvals; i++)
		if (strcmp(ctx->args.vals[i].opt->name, name) == 0)
			v = ctx->args.vals[i].value;
	return v;
}

int cli_flag(const cli_ctx *ctx, const char *name)
{
	for (size_t i = 0; i < ctx->args.nvals; i++)
		if (strcmp(ctx->args.vals[i].opt->name, name) == 0)
			return 1;
	return 0;
}

size_t cli_all(const cli_ctx *ctx, const char *name, const char ***out)
{
	size_t n = 0;
	*out = calloc(ctx->args.nvals + 1, sizeof(char *));
	for (size_t i = 0; i < ctx->args.nvals; i++)
		if (strcmp(ctx->args.vals[i].opt->name, name) == 0)
			(*out)[n++] = ctx->args.vals[i].value;
	return n;
}

int cli_read_input(const char *path, char **out, size_t *len)
{
	return cli_read_input_max(path, SIZE_MAX - 1, out, len, NULL);
}

int cli_read_input_max(const char *path, size_t max, char **out, size_t *len, unsigned long long *too_large)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = 65536, n = 0, got;
	char *buf;
	if (!f) {
		cli_error(CLI_FAIL, "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(cap);
	/* read at most max + 1 bytes: enough to tell the input is too large without holding it all */
	while (buf && n <= max && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (n + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	if (buf && n > max) {
		struct stat st;
		*too_large = f != stdin && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) ? (unsigned long long)st.st_size : 0;
		if (f != stdin)
			fclose(f);
		free(buf);
		return 1;
	}
	if (!buf)
		abort();
	int bad = ferror(f);
	if (f != stdin)
		fclose(f);
	if (bad) {
		free(buf);
		cli_error(CLI_FAIL, "cannot read '%s'", path);
		return -1;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* The framework of the site when there is one here, else the one folio was built with. */
int cli_load_framework(cli_ctx *ctx, folio_site **site, const folio_framework **fw, folio_framework **owned)
{
	*site = NULL;
	*owned = NULL;
	if (folio_site_open(site, ctx->site_dir) == 0) {
		*fw = folio_site_framework(*site);
		return 0;
	}
	if (folio_error_code() != FOLIO_ENOTFOUND || cli_get(ctx, "site"))
		return -1;
	folio_error_clear();
	if (folio_framework_load(owned, FOLIO_STANDARDS_DIR) < 0)
		return -1;
	*fw = *owned;
	return 0;
}

int cli_json_print(json_t *v)
{
	int rc = json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(v);
	return rc == 0 ? CLI_OK : cli_error(CLI_FAIL, "cannot write JSON output");
}

void cli_json_stream_item(cli_json_stream *s, json_t *item)
{
	char *text = json_dumps(item, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputs(s->n++ ? ",\n  " : "[\n  ", stdout);
	/* one level deeper, as inside the array (strings hold no raw newline: JSON escapes it) */
	for (const char *p = text ? text : "null"; *p; p++) {
		fputc(*p, stdout);
		if (*p == '\n')
			fputs("  ", stdout);
	}
	free(text);
	json_decref(item);
}

int cli_json_stream_end(cli_json_stream *s)
{
	fputs(s->n ? "\n]\n" : "[]\n", stdout);
	return fflush(stdout) == 0 && !ferror(stdout) ? CLI_OK : cli_error(CLI_FAIL, "cannot write JSON output");
}

json_t *cli_json_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

static size_t display_width(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

void cli_table_init(cli_table *t, size_t ncols, const char *align)
{
	t->ncols = ncols;
	t->cells = NULL;
	t->nrows = 0;
	t->align = align;
}

void cli_table_add(cli_table *t, const char *const *cells)
{
	t->cells = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(char *));
	if (!t->cells)
		abort();
	for (size_t c = 0; c < t->ncols; c++)
		t->cells[t->nrows * t->ncols + c] = strdup(cells[c] ? cells[c] : "");
	t->nrows++;
}

void cli_table_row(cli_table *t, ...)
{
	const char *cells[16];
	va_list ap;
	va_start(ap, t);
	for (size_t c = 0; c < t->ncols && c < 16; c++)
		cells[c] = va_arg(ap, const char *);
	va_end(ap);
	cli_table_add(t, cells);
}

void cli_table_print(cli_table *t)
{
	size_t *w = calloc(t->ncols, sizeof(size_t));
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t n = display_width(t->cells[r * t->ncols + c]);
			if (n > w[c])
				w[c] = n;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		size_t pending = 0; /* spaces owed before the next cell: none are printed at a line's end */
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t pad = w[c] - display_width(s);
			int right = t->align && t->align[c] == 'r';
			if (right)
				pending += pad;
			if (*s) {
				printf("%*s%s", (int)pending, "", s);
				pending = 0;
			}
			pending += (right ? 0 : pad) + 2;
		}
		fputc('\n', stdout);
	}
	free(w);
}

void cli_table_free(cli_table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = 0;
}

void cli_progress(size_t done, size_t total, const char *what, void *payload)
{
	const char *label = payload ? payload : "working";
	if (!isatty(STDERR_FILENO))
		return;
	fprintf(stderr, "\r\033[K%s %zu/%zu %s", label, done, total, what ? what : "");
	if (done == total)
		fputs("\r\033[K", stderr);
	fflush(stderr);
}

/* ------------------------------------------------------------ parsing */

static const cli_opt *find_opt(const cli_command *cmd, const char *name, size_t len)
{
	for (const cli_opt *o = cmd->opts; o && o->name; o++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	for (const cli_opt *o = global_opts; o->name; o++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	if (cmd->json && len == 4 && strncmp(name, "json", 4) == 0)
		return &json_opt;
	return NULL;
}

static void command_name(char *buf, size_t n, const cli_command *cmd)
{
	snprintf(buf, n, "%s%s%s", cmd->noun, cmd->verb ? " " : "", cmd->verb ? cmd->verb : "");
}

static void print_usage(FILE *f, const cli_command *cmd)
{
	char name[64];
	command_name(name, sizeof(name), cmd);
	fprintf(f, "usage: folio %s %s%s\n\n%s\n", name, cmd->usage, cmd->json ? " [--json]" : "", cmd->summary);
	if (cmd->opts && cmd->opts->name) {
		fputs("\noptions:\n", f);
		for (const cli_opt *o = cmd->opts; o->name; o++) {
			char left[64];
			snprintf(left, sizeof(left), "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
			fprintf(f, "  %-24s %s%s\n", left, o->help, o->repeat ? " (repeatable)" : "");
		}
	}
	fputs("\nglobal options: --site DIR, --as ID, --help\n", f);
}

static int parse_args(cli_ctx *ctx, int argc, char **argv)
{
	char name[64];
	int dashdash = 0;
	command_name(name, sizeof(name), ctx->cmd);
	ctx->args.vals = calloc((size_t)argc + 1, sizeof(cli_val));
	ctx->args.pos = calloc((size_t)argc + 1, sizeof(char *));
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (dashdash || a[0] != '-' || strcmp(a, "-") == 0) {
			ctx->args.pos[ctx->args.npos++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			dashdash = 1;
			continue;
		}
		if (strcmp(a, "-h") == 0)
			a = "--help";
		if (a[1] != '-')
			return cli_error(CLI_USAGE, "unknown option '%s' for 'folio %s'", a, name);
		const char *eq = strchr(a + 2, '=');
		size_t len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
		const cli_opt *o = find_opt(ctx->cmd, a + 2, len);
		if (!o)
			return cli_error(CLI_USAGE, "unknown option '%.*s' for 'folio %s'", (int)len + 2, a, name);
		const char *value = NULL;
		if (o->arg) {
			if (eq)
				value = eq + 1;
			else if (i + 1 < argc)
				value = argv[++i];
			else
				return cli_error(CLI_USAGE, "option '--%s' needs a value (%s)", o->name, o->arg);
		} else if (eq) {
			return cli_error(CLI_USAGE, "option '--%s' takes no value", o->name);
		}
		if (!o->repeat)
			for (size_t k = 0; k < ctx->args.nvals; k++)
				if (ctx->args.vals[k].opt == o)
					return cli_error(CLI_USAGE, "option '--%s' given twice", o->name);
		ctx->args.vals[ctx->args.nvals].opt = o;
		ctx->args.vals[ctx->args.nvals].value = value;
		ctx->args.nvals++;
	}
	return CLI_OK;
}

static void print_help(FILE *f)
{
	fputs("usage: folio [--site DIR] [--as ID] <command> [<args>]\n\n"
	      "folio keeps reflective portfolios in git and reviews them against the Mentor Standards.\n\n"
	      "commands:\n", f);
	for (size_t g = 0; g < NGROUPS; g++)
		for (const cli_command *c = groups[g]; c->noun; c++) {
			char name[64];
			command_name(name, sizeof(name), c);
			fprintf(f, "  %-20s %s\n", name, c->summary);
		}
	fputs("\n'folio <command> --help' shows a command's options. Exit codes: 0 ok, 1 failure, 2 usage.\n", f);
}

/* Exact "noun verb" first; a one-word entry of the same noun is the noun's default command. */
static const cli_command *find_command(const char *noun, const char *verb, int *takes_verb)
{
	const cli_command *fallback = NULL;
	*takes_verb = 0;
	for (size_t g = 0; g < NGROUPS; g++)
		for (const cli_command *c = groups[g]; c->noun; c++) {
			if (strcmp(c->noun, noun) != 0)
				continue;
			if (!c->verb) {
				fallback = c;
				continue;
			}
			*takes_verb = 1;
			if (verb && strcmp(c->verb, verb) == 0)
				return c;
		}
	return fallback;
}

static const char *os_login(void)
{
	const char *l = getenv("LOGNAME");
	if (l && *l)
		return l;
	struct passwd *pw = getpwuid(geteuid());
	return pw ? pw->pw_name : NULL;
}

int main(int argc, char **argv)
{
	cli_ctx ctx;
	int noun_at = -1, rc;
	memset(&ctx, 0, sizeof(ctx));

	/* the command words are the first arguments that are not options or their values */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--site") == 0 || strcmp(argv[i], "--as") == 0) {
			i++;
			continue;
		}
		if (argv[i][0] == '-') {
			if (strcmp(argv[i], "--version") == 0) {
				printf("folio %s\n", FOLIO_VERSION);
				return CLI_OK;
			}
			if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
				print_help(stdout);
				return CLI_OK;
			}
			continue;
		}
		noun_at = i;
		break;
	}
	if (noun_at < 0) {
		print_help(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[noun_at], "help") == 0) {
		print_help(stdout);
		return CLI_OK;
	}
	int takes_verb;
	const char *verb = noun_at + 1 < argc ? argv[noun_at + 1] : NULL;
	ctx.cmd = find_command(argv[noun_at], verb, &takes_verb);
	if (!ctx.cmd) {
		if (takes_verb)
			return cli_error(CLI_USAGE, "unknown command 'folio %s %s' (see 'folio help')", argv[noun_at],
				verb ? verb : "");
		return cli_error(CLI_USAGE, "unknown command '%s' (see 'folio help')", argv[noun_at]);
	}

	/* everything but the command words goes to the option parser */
	char **rest = calloc((size_t)argc, sizeof(char *));
	int nrest = 0, skip = ctx.cmd->verb ? 2 : 1;
	for (int i = 1; i < argc; i++) {
		if (i >= noun_at && i < noun_at + skip)
			continue;
		rest[nrest++] = argv[i];
	}
	rc = parse_args(&ctx, nrest, rest);
	if (rc != CLI_OK)
		goto done;
	if (cli_flag(&ctx, "help")) {
		print_usage(stdout, ctx.cmd);
		goto done;
	}
	if (ctx.args.npos < ctx.cmd->min_pos || ctx.args.npos > ctx.cmd->max_pos) {
		print_usage(stderr, ctx.cmd);
		rc = CLI_USAGE;
		goto done;
	}
	ctx.json = cli_flag(&ctx, "json");
	ctx.as = cli_get(&ctx, "as");
	ctx.site_dir = cli_get(&ctx, "site");
	if (!ctx.site_dir)
		ctx.site_dir = getenv("FOLIO_SITE");
	if (!ctx.site_dir || !*ctx.site_dir)
		ctx.site_dir = ".";
	ctx.login = os_login();

	if (ctx.cmd->site == CLI_SITE) {
		if (folio_site_open(&ctx.site, ctx.site_dir) < 0 ||
		    folio_site_act(ctx.site, ctx.login ? ctx.login : "", ctx.as) < 0) {
			rc = cli_fail();
			goto done;
		}
	}
	rc = ctx.cmd->run(&ctx);
done:
	folio_site_free(ctx.site);
	free(ctx.args.vals);
	free(ctx.args.pos);
	free(rest);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fputs("folio: cannot write output\n", stderr);
		rc = CLI_FAIL;
	}
	return rc;
}
