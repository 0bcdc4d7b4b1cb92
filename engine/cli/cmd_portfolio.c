/* engine/cli/cmd_portfolio.c: folio portfolio create|import|list, folio entry add|list. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmd_portfolio_create(cli_ctx *ctx)
{
	const char *q = cli_get(ctx, "qualification");
	if (!q)
		return cli_error(CLI_USAGE, "'folio portfolio create' needs --qualification (e.g. qms or qlms)");
	if (folio_portfolio_create(ctx->site, ctx->args.pos[0], q) < 0)
		return cli_fail();
	char *path = folio_portfolio_repo_path(ctx->site, ctx->args.pos[0]);
	printf("created portfolio '%s' at %s\n", ctx->args.pos[0], path);
	free(path);
	return CLI_OK;
}

static int cmd_portfolio_import(cli_ctx *ctx)
{
	const char *q = cli_get(ctx, "qualification");
	folio_portfolio p;
	if (!q) /* the first qualification of the framework (QMS) unless told */
		q = folio_framework_qualification(folio_site_framework(ctx->site), 0)->id;
	if (folio_portfolio_import(ctx->site, ctx->args.pos[0], ctx->args.pos[1], q) < 0 ||
	    folio_portfolio_get(&p, ctx->site, ctx->args.pos[0]) < 0)
		return cli_fail();
	printf("imported '%s' as the %s portfolio of '%s': %zu entries, main at %.12s\n", ctx->args.pos[1],
		p.qualification, p.mentor, p.entries, p.commit);
	folio_portfolio_clear(&p);
	return CLI_OK;
}

static int cmd_portfolio_list(cli_ctx *ctx)
{
	folio_portfolio *v;
	size_t n;
	if (folio_portfolio_list(&v, &n, ctx->site) < 0)
		return cli_fail();
	if (ctx->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:I, s:s}", "mentor", v[i].mentor,
				"qualification", v[i].qualification, "commit", v[i].commit[0] ? json_string(v[i].commit) : json_null(),
				"entries", (json_int_t)v[i].entries, "created", v[i].created));
		folio_portfolios_free(v, n);
		return cli_json_print(arr);
	}
	cli_table t;
	cli_table_init(&t, 5, "llrll");
	cli_table_row(&t, "mentor", "qualification", "entries", "main", "created");
	for (size_t i = 0; i < n; i++) {
		char entries[32], commit[13];
		snprintf(entries, sizeof(entries), "%zu", v[i].entries);
		snprintf(commit, sizeof(commit), "%.12s", v[i].commit[0] ? v[i].commit : "(empty)");
		cli_table_row(&t, v[i].mentor, v[i].qualification, entries, commit, v[i].created);
	}
	cli_table_print(&t);
	cli_table_free(&t);
	folio_portfolios_free(v, n);
	return CLI_OK;
}

static int cmd_entry_add(cli_ctx *ctx)
{
	folio_entry_options o = { cli_get(ctx, "title"), cli_get(ctx, "date") };
	const char *file = ctx->args.npos > 1 ? ctx->args.pos[1] : "-";
	char *text = NULL, *path = NULL;
	char commit[41];
	size_t len = 0;
	unsigned long long size = 0;
	int rc = CLI_OK;

	if ((rc = cli_read_input_max(file, FOLIO_ENTRY_MAX, &text, &len, &size)) < 0)
		return CLI_FAIL;
	if (rc > 0) {
		if (size)
			return cli_error(CLI_FAIL, "entry '%s' is too large: %llu bytes (the limit is %d)", file, size, FOLIO_ENTRY_MAX);
		return cli_error(CLI_FAIL, "entry on standard input is too large: over the limit of %d bytes", FOLIO_ENTRY_MAX);
	}
	if (folio_entry_add(ctx->site, ctx->args.pos[0], text, len, &o, &path, commit) < 0)
		rc = cli_fail();
	else
		printf("added %s to the portfolio of '%s' (commit %.12s)\n", path, ctx->args.pos[0], commit);
	free(text);
	free(path);
	return rc;
}

static int cmd_entry_list(cli_ctx *ctx)
{
	folio_entry *v;
	size_t n;
	if (folio_entry_list(&v, &n, ctx->site, ctx->args.pos[0]) < 0)
		return cli_fail();
	if (ctx->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++) {
			json_t *tags = json_array();
			for (size_t t = 0; t < v[i].ntags; t++)
				json_array_append_new(tags, json_string(v[i].tags[t]));
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I, s:o, s:I}", "date", v[i].date,
				"path", v[i].path, "title", v[i].title, "words", (json_int_t)v[i].words, "tags", tags,
				"errors", (json_int_t)v[i].errors));
		}
		folio_entries_free(v, n);
		return cli_json_print(arr);
	}
	cli_table t;
	cli_table_init(&t, 5, "lllrl");
	cli_table_row(&t, "date", "path", "title", "words", "tags");
	for (size_t i = 0; i < n; i++) {
		char words[32], tags[512] = "";
		snprintf(words, sizeof(words), "%u", v[i].words);
		for (size_t k = 0; k < v[i].ntags; k++) {
			size_t len = strlen(tags);
			snprintf(tags + len, sizeof(tags) - len, "%s%s", k ? " " : "", v[i].tags[k]);
		}
		if (v[i].errors) {
			size_t len = strlen(tags);
			snprintf(tags + len, sizeof(tags) - len, "%s(%zu error%s: see folio lint)", len ? " " : "",
				v[i].errors, v[i].errors == 1 ? "" : "s");
		}
		cli_table_row(&t, v[i].date, v[i].path, v[i].title, words, tags[0] ? tags : "-");
	}
	cli_table_print(&t);
	cli_table_free(&t);
	folio_entries_free(v, n);
	return CLI_OK;
}

static const cli_opt create_opts[] = {
	{ "qualification", "Q", 0, "qms or qlms" },
	CLI_OPT_END
};
static const cli_opt import_opts[] = {
	{ "qualification", "Q", 0, "qms or qlms (default: qms)" },
	CLI_OPT_END
};
static const cli_opt entry_add_opts[] = {
	{ "title", "TITLE", 0, "the entry's title (default: its first heading)" },
	{ "date", "YYYY-MM-DD", 0, "the date the reflection is about (default: today)" },
	CLI_OPT_END
};

const cli_command cli_portfolio_commands[] = {
	{ "portfolio", "create", cmd_portfolio_create, CLI_SITE, 1, 1, "MENTOR --qualification qms|qlms",
	  "create an empty portfolio repository for a mentor", create_opts, 0 },
	{ "portfolio", "import", cmd_portfolio_import, CLI_SITE, 2, 2, "MENTOR PATH [--qualification qms|qlms]",
	  "adopt an existing git repository with its whole history", import_opts, 0 },
	{ "portfolio", "list", cmd_portfolio_list, CLI_SITE, 0, 0, "", "list portfolios", NULL, 1 },
	{ "entry", "add", cmd_entry_add, CLI_SITE, 1, 2, "MENTOR [--title T] [--date D] [FILE|-]",
	  "commit one Markdown reflection to a portfolio (stdin when no FILE)", entry_add_opts, 0 },
	{ "entry", "list", cmd_entry_list, CLI_SITE, 1, 1, "MENTOR", "list a portfolio's entries", NULL, 1 },
	{ NULL, NULL, NULL, 0, 0, 0, NULL, NULL, NULL, 0 }
};
