/* engine/cli/cmd_archive.c: folio archive MENTOR...|--certified-before DATE|--all, archive verify, archive restore. */
#include "cli.h"
#include "folio/archive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *portfolio_json(const folio_archive_portfolio *p)
{
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:I}", "mentor", p->mentor, "qualification", p->qualification,
		"commit", p->commit[0] ? json_string(p->commit) : json_null(),
		"pinned", p->pinned[0] ? json_string(p->pinned) : json_null(),
		"submission", p->submission ? json_integer(p->submission) : json_null(), "commits", (json_int_t)p->commits);
}

static int cmd_archive(cli_ctx *ctx)
{
	folio_archive_options o = { 0 };
	folio_archive_result r;
	const char *out = cli_get(ctx, "out");
	int rc = CLI_OK;

	if (!out)
		return cli_error(CLI_USAGE, "'folio archive' needs --out FILE.zip");
	o.mentors = ctx->args.pos;
	o.nmentors = ctx->args.npos;
	o.certified_before = cli_get(ctx, "certified-before");
	o.all = cli_flag(ctx, "all");
	if ((o.nmentors > 0) + (o.certified_before != NULL) + (o.all != 0) != 1)
		return cli_error(CLI_USAGE, "name the portfolios to archive: MENTOR..., --certified-before DATE or --all");
	o.force = cli_flag(ctx, "force");
	o.remove = cli_flag(ctx, "remove");
	o.progress = cli_progress;
	o.payload = (void *)"archiving";
	if (folio_archive_write(&r, ctx->site, out, &o) < 0) {
		rc = cli_fail();
		/* a failed removal still leaves a complete archive: say so */
		if (r.portfolios)
			fprintf(stderr, "folio: the archive '%s' was written (%zu portfolios); %zu removed\n", out, r.portfolios,
				r.removed);
		folio_archive_result_clear(&r);
		return rc;
	}
	if (ctx->json) {
		json_t *m = json_array();
		for (size_t i = 0; i < r.portfolios; i++)
			json_array_append_new(m, json_string(r.mentors[i]));
		rc = cli_json_print(json_pack("{s:s, s:o, s:I, s:I, s:I}", "archive", out, "portfolios", m, "members",
			(json_int_t)r.members, "bytes", (json_int_t)r.bytes, "removed", (json_int_t)r.removed));
	} else {
		printf("archived %zu portfolio%s (%zu members, %llu bytes) to %s\n", r.portfolios, r.portfolios == 1 ? "" : "s",
			r.members, r.bytes, out);
		if (o.remove)
			printf("removed %zu portfolio%s from the site after the archive verified\n", r.removed,
				r.removed == 1 ? "" : "s");
	}
	folio_archive_result_clear(&r);
	return rc;
}

static int cmd_archive_verify(cli_ctx *ctx)
{
	const char *file = ctx->args.pos[0];
	folio_archive_info info;
	char **problems = NULL;
	size_t n = 0;
	int rc = CLI_OK;

	if (folio_archive_verify(&problems, &n, &info, file, NULL) < 0)
		return cli_fail();
	if (ctx->json) {
		json_t *arr = json_array(), *ps = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, json_string(problems[i]));
		for (size_t i = 0; i < info.nportfolios; i++)
			json_array_append_new(ps, portfolio_json(&info.portfolios[i]));
		rc = cli_json_print(json_pack("{s:s, s:b, s:o, s:o, s:o, s:I, s:o}", "archive", file, "valid", n == 0,
			"created", cli_json_str(info.created), "folio_version", cli_json_str(info.folio_version),
			"portfolios", ps, "members", (json_int_t)info.members, "problems", arr));
		if (n)
			cli_error(CLI_FAIL, "archive '%s' did not verify: %zu problem%s", file, n, n == 1 ? "" : "s");
	} else if (n == 0) {
		printf("archive %s verified: %zu portfolio%s, %zu members, written by folio %s on %s\n", file,
			info.nportfolios, info.nportfolios == 1 ? "" : "s", info.members, info.folio_version, info.created);
		cli_table t;
		cli_table_init(&t, 4, "llrl");
		cli_table_row(&t, "mentor", "qualification", "commits", "main");
		for (size_t i = 0; i < info.nportfolios; i++) {
			char c[32];
			snprintf(c, sizeof(c), "%zu", info.portfolios[i].commits);
			cli_table_row(&t, info.portfolios[i].mentor, info.portfolios[i].qualification, c,
				info.portfolios[i].commit[0] ? info.portfolios[i].commit : "(empty)");
		}
		cli_table_print(&t);
		cli_table_free(&t);
	} else {
		for (size_t i = 0; i < n; i++)
			cli_error(CLI_FAIL, "archive '%s': %s", file, problems[i]);
	}
	folio_archive_problems_free(problems, n);
	folio_archive_info_clear(&info);
	return n ? CLI_FAIL : rc;
}

static int cmd_archive_restore(cli_ctx *ctx)
{
	const char *file = ctx->args.pos[0];
	folio_restore_options o = { 0 };
	folio_archive_info info;
	int rc = CLI_OK;

	o.force = cli_flag(ctx, "force");
	o.progress = cli_progress;
	o.payload = (void *)"restoring";
	if (folio_archive_restore(&info, ctx->site, file, &o) < 0)
		return cli_fail();
	if (ctx->json) {
		json_t *ps = json_array();
		for (size_t i = 0; i < info.nportfolios; i++)
			json_array_append_new(ps, portfolio_json(&info.portfolios[i]));
		rc = cli_json_print(json_pack("{s:s, s:s, s:o}", "archive", file, "site", folio_site_path(ctx->site),
			"portfolios", ps));
	} else {
		for (size_t i = 0; i < info.nportfolios; i++)
			printf("restored portfolio %s (main at %s)\n", info.portfolios[i].mentor,
				info.portfolios[i].commit[0] ? info.portfolios[i].commit : "(empty)");
	}
	folio_archive_info_clear(&info);
	return rc;
}

static const cli_opt archive_opts[] = {
	{ "out", "FILE.zip", 0, "the zip to write" },
	{ "certified-before", "DATE", 0, "every holder of a certificate (not revoked) issued before YYYY-MM-DD" },
	{ "all", NULL, 0, "every portfolio of the site" },
	{ "force", NULL, 0, "replace an existing FILE.zip" },
	{ "remove", NULL, 0, "remove the portfolios from the site once the archive verified" },
	CLI_OPT_END
};
static const cli_opt restore_opts[] = {
	{ "force", NULL, 0, "replace existing portfolios, records and badge files" },
	CLI_OPT_END
};

const cli_command cli_archive_commands[] = {
	{ "archive", "verify", cmd_archive_verify, CLI_NOSITE, 1, 1, "FILE.zip",
	  "check an archive: hashes, members, bundles, records", NULL, 1 },
	{ "archive", "restore", cmd_archive_restore, CLI_SITE, 1, 1, "FILE.zip [--force]",
	  "bring an archive's portfolios and records back into the site (admin)", restore_opts, 1 },
	{ "archive", NULL, cmd_archive, CLI_SITE, 0, (size_t)-1,
	  "MENTOR...|--certified-before DATE|--all --out FILE.zip [--force] [--remove]",
	  "archive portfolios into one zip (admin)", archive_opts, 1 },
	{ NULL, NULL, NULL, 0, 0, 0, NULL, NULL, NULL, 0 }
};
