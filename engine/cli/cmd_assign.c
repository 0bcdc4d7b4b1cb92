/* engine/cli/cmd_assign.c: folio panel assign, folio panel why-not. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *assign_json(const char *panel, const folio_assign_result *r)
{
	json_t *root = json_object(), *as = json_array(), *un = json_array();

	json_object_set_new(root, "panel", json_string(panel));
	for (size_t i = 0; i < r->nassignments; i++) {
		const folio_assignment *a = &r->assignments[i];
		json_t *o = json_object(), *revs = json_array();
		json_object_set_new(o, "submission", json_integer((json_int_t)a->submission));
		json_object_set_new(o, "mentor", json_string(a->mentor));
		for (size_t k = 0; k < a->nreviewers; k++)
			json_array_append_new(revs, json_string(a->reviewers[k]));
		json_object_set_new(o, "reviewers", revs);
		json_array_append_new(as, o);
	}
	for (size_t i = 0; i < r->nunplaced; i++) {
		const folio_unplaced *u = &r->unplaced[i];
		json_array_append_new(un, json_pack("{s:I, s:s, s:s}", "submission", (json_int_t)u->submission, "mentor",
			u->mentor, "reason", u->reason));
	}
	json_object_set_new(root, "assignments", as);
	json_object_set_new(root, "unplaced", un);
	json_object_set_new(root, "cost", json_integer((json_int_t)r->cost));
	json_object_set_new(root, "rolled_to", cli_json_str(r->rolled_to));
	return root;
}

static void assign_print(const char *panel, const folio_assign_result *r, unsigned reviewers, int dry_run)
{
	size_t total = r->nassignments + r->nunplaced;

	if (dry_run)
		printf("dry run, nothing written: ");
	printf("panel %s: %zu of %zu submission%s assigned, %u reviewer%s each (cost %lld)\n", panel, r->nassignments,
		total, total == 1 ? "" : "s", reviewers, reviewers == 1 ? "" : "s", r->cost);
	if (r->nassignments) {
		cli_table t;
		cli_table_init(&t, 3, "rll");
		cli_table_row(&t, "submission", "mentor", "reviewers");
		for (size_t i = 0; i < r->nassignments; i++) {
			const folio_assignment *a = &r->assignments[i];
			size_t len = 1, at = 0;
			for (size_t k = 0; k < a->nreviewers; k++)
				len += strlen(a->reviewers[k]) + 2;
			char *revs = calloc(1, len), num[32];
			if (!revs)
				abort();
			for (size_t k = 0; k < a->nreviewers; k++)
				at += (size_t)snprintf(revs + at, len - at, "%s%s", k ? ", " : "", a->reviewers[k]);
			snprintf(num, sizeof(num), "%lld", a->submission);
			cli_table_row(&t, num, a->mentor, revs);
			free(revs);
		}
		cli_table_print(&t);
		cli_table_free(&t);
	}
	if (r->nunplaced) {
		printf("not placed:\n");
		for (size_t i = 0; i < r->nunplaced; i++)
			printf("  %lld %s: %s\n", r->unplaced[i].submission, r->unplaced[i].mentor, r->unplaced[i].reason);
		if (r->rolled_to)
			printf("%s to panel %s\n", dry_run ? "they would roll" : "rolled", r->rolled_to);
		else
			printf("no later panel is planned: %s at panel %s\n", dry_run ? "they would stay" : "they stay", panel);
	}
}

static int parse_reviewers(const char *s, unsigned *out)
{
	char *end;
	long v;
	if (!s)
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 1000)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int cmd_panel_assign(cli_ctx *ctx)
{
	folio_assign_options o = { 0 };
	folio_assign_result *r = NULL;
	const char *panel = ctx->args.pos[0];
	int rc;

	if (parse_reviewers(cli_get(ctx, "reviewers"), &o.reviewers) < 0)
		return cli_error(CLI_USAGE, "option '--reviewers' needs a whole number of at least 1, not '%s'",
			cli_get(ctx, "reviewers"));
	o.dry_run = cli_flag(ctx, "dry-run");
	o.export_dimacs = cli_get(ctx, "export-dimacs");
	if (folio_panel_assign(&r, ctx->site, panel, &o) < 0)
		return cli_fail();
	if (o.export_dimacs && strcmp(o.export_dimacs, "-") == 0) {
		rc = CLI_OK; /* the network went to stdout instead of the result */
	} else if (ctx->json) {
		rc = cli_json_print(assign_json(panel, r));
	} else {
		assign_print(panel, r, o.reviewers ? o.reviewers : 2, o.dry_run);
		rc = CLI_OK;
	}
	folio_assign_result_free(r);
	return rc;
}

static int cmd_panel_why_not(cli_ctx *ctx)
{
	const char *arg = ctx->args.pos[0], *reviewer = ctx->args.pos[1];
	char *end, *why = NULL;
	long long id;
	int rc = CLI_OK;

	errno = 0;
	id = strtoll(arg, &end, 10);
	if (errno || end == arg || *end || id < 1)
		return cli_error(CLI_USAGE, "'%s' is not a submission number", arg);
	if (folio_assign_why_not(&why, ctx->site, id, reviewer) < 0)
		return cli_fail();
	if (ctx->json) {
		json_t *o = json_object(), *reasons = json_array();
		for (const char *p = why; p && *p;) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			json_array_append_new(reasons, json_stringn(p, n));
			p += n + (nl ? 1 : 0);
		}
		json_object_set_new(o, "submission", json_integer((json_int_t)id));
		json_object_set_new(o, "reviewer", json_string(reviewer));
		json_object_set_new(o, "reasons", reasons);
		rc = cli_json_print(o);
	} else {
		puts(why ? why : "nothing stands in the way");
	}
	free(why);
	return rc;
}

static const cli_opt assign_opts[] = {
	{ "reviewers", "R", 0, "reviewers per submission (default 2)" },
	{ "dry-run", NULL, 0, "solve and show the result; change nothing" },
	{ "export-dimacs", "FILE", 0, "write the flow network (DIMACS 'p min', for dimacs-solver or folio-mcf); '-': to stdout, instead of the result" },
	CLI_OPT_END
};

const cli_command cli_assign_commands[] = {
	{ "panel", "assign", cmd_panel_assign, CLI_SITE, 1, 1, "PANEL [--reviewers R] [--dry-run] [--export-dimacs FILE]",
	  "give each submission of a closed panel R reviewers, optimally (admin)", assign_opts, 1 },
	{ "panel", "why-not", cmd_panel_why_not, CLI_SITE, 2, 2, "SUBMISSION REVIEWER",
	  "every reason the reviewer may not review the submission", NULL, 1 },
	{ NULL, NULL, NULL, 0, 0, 0, NULL, NULL, NULL, 0 }
};
