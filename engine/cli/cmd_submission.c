/* engine/cli/cmd_submission.c: folio submit|resubmit|withdraw, folio submission list|show, folio exemption add. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *submission_json(const folio_submission *s)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(s->id));
	json_object_set_new(o, "mentor", json_string(s->mentor));
	json_object_set_new(o, "qualification", json_string(s->qualification));
	json_object_set_new(o, "panel", json_string(s->panel));
	json_object_set_new(o, "commit", json_string(s->commit));
	json_object_set_new(o, "previous", s->previous ? json_integer(s->previous) : json_null());
	json_object_set_new(o, "state", json_string(s->state));
	json_object_set_new(o, "outcome", cli_json_str(s->outcome));
	json_object_set_new(o, "approved_by", cli_json_str(s->approved_by));
	json_object_set_new(o, "created", json_string(s->created));
	return o;
}

static int print_submitted(cli_ctx *ctx, long long id, const char *verb)
{
	folio_submission s;
	if (folio_submission_get(&s, ctx->site, id) < 0)
		return cli_fail();
	printf("%s '%s' for %s: submission %lld, panel %s, commit %.12s", verb, s.mentor, s.qualification, s.id, s.panel,
		s.commit);
	if (s.previous)
		printf(" (resubmits %lld)", s.previous);
	fputc('\n', stdout);
	folio_submission_clear(&s);
	return CLI_OK;
}

static int cmd_submit(cli_ctx *ctx)
{
	long long id;
	if (folio_submit(ctx->site, ctx->args.pos[0], cli_get(ctx, "panel"), &id) < 0)
		return cli_fail();
	return print_submitted(ctx, id, "submitted");
}

static int cmd_resubmit(cli_ctx *ctx)
{
	long long id;
	if (folio_resubmit(ctx->site, ctx->args.pos[0], cli_get(ctx, "panel"), &id) < 0)
		return cli_fail();
	return print_submitted(ctx, id, "resubmitted");
}

static int cmd_withdraw(cli_ctx *ctx)
{
	folio_submission s;
	if (folio_withdraw(ctx->site, ctx->args.pos[0]) < 0 || folio_submission_latest(&s, ctx->site, ctx->args.pos[0]) < 0)
		return cli_fail();
	printf("withdrew submission %lld of '%s' from panel %s\n", s.id, s.mentor, s.panel);
	folio_submission_clear(&s);
	return CLI_OK;
}

static int cmd_exemption_add(cli_ctx *ctx)
{
	const char *q = cli_get(ctx, "qualification"), *reason = cli_get(ctx, "reason");
	if (!q || !reason)
		return cli_error(CLI_USAGE, "'folio exemption add' needs --qualification and --reason");
	if (folio_exemption_add(ctx->site, ctx->args.pos[0], q, reason) < 0)
		return cli_fail();
	const folio_qualification *qual = folio_framework_find_qualification(folio_site_framework(ctx->site), q);
	printf("'%s' may submit for %s without holding %s\n", ctx->args.pos[0], qual->id, qual->requires);
	return CLI_OK;
}

static int cmd_submission_list(cli_ctx *ctx)
{
	folio_submission *v;
	size_t n;
	if (folio_submission_list(&v, &n, ctx->site, cli_get(ctx, "mentor"), cli_get(ctx, "panel")) < 0)
		return cli_fail();
	if (ctx->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, submission_json(&v[i]));
		folio_submissions_free(v, n);
		return cli_json_print(arr);
	}
	if (n == 0) {
		printf("no submissions\n");
		folio_submissions_free(v, n);
		return CLI_OK;
	}
	cli_table t;
	cli_table_init(&t, 8, "rlllllll");
	cli_table_row(&t, "id", "mentor", "qualification", "panel", "state", "outcome", "commit", "previous");
	for (size_t i = 0; i < n; i++) {
		char id[32], commit[13], prev[32];
		snprintf(id, sizeof(id), "%lld", v[i].id);
		snprintf(commit, sizeof(commit), "%.12s", v[i].commit);
		snprintf(prev, sizeof(prev), "%lld", v[i].previous);
		cli_table_row(&t, id, v[i].mentor, v[i].qualification, v[i].panel, v[i].state,
			v[i].outcome ? v[i].outcome : "-", commit, v[i].previous ? prev : "-");
	}
	cli_table_print(&t);
	cli_table_free(&t);
	folio_submissions_free(v, n);
	return CLI_OK;
}

static int cmd_submission_show(cli_ctx *ctx)
{
	folio_submission s;
	folio_state_change *h = NULL;
	size_t nh = 0;
	const char *arg = ctx->args.pos[0];
	char *end = NULL;
	long long id;

	errno = 0;
	id = (*arg >= '0' && *arg <= '9') ? strtoll(arg, &end, 10) : 0;
	if (id <= 0 || errno || *end)
		return cli_error(CLI_USAGE, "invalid submission id '%s': give its number, like 3", arg);
	if (folio_submission_get(&s, ctx->site, id) < 0)
		return cli_fail();
	char **revs = NULL;
	size_t nrevs = 0;
	if (folio_submission_history(&h, &nh, ctx->site, id) < 0 ||
	    folio_submission_reviewers(&revs, &nrevs, ctx->site, id) < 0) {
		folio_submission_clear(&s);
		folio_state_changes_free(h, nh);
		return cli_fail();
	}
	int rc = CLI_OK;
	if (ctx->json) {
		json_t *o = submission_json(&s), *arr = json_array();
		for (size_t i = 0; i < nh; i++) {
			json_t *c = json_object();
			json_object_set_new(c, "from", cli_json_str(h[i].from));
			json_object_set_new(c, "to", json_string(h[i].to));
			json_object_set_new(c, "actor", cli_json_str(h[i].actor));
			json_object_set_new(c, "time", json_string(h[i].time));
			json_object_set_new(c, "note", cli_json_str(h[i].note));
			json_array_append_new(arr, c);
		}
		json_object_set_new(o, "history", arr);
		json_t *ra = json_array();
		for (size_t i = 0; i < nrevs; i++)
			json_array_append_new(ra, json_string(revs[i]));
		json_object_set_new(o, "reviewers", ra);
		rc = cli_json_print(o);
		goto done;
	}
	printf("submission     %lld\n", s.id);
	printf("mentor         %s\n", s.mentor);
	printf("qualification  %s\n", s.qualification);
	printf("panel          %s\n", s.panel);
	printf("commit         %s\n", s.commit);
	if (s.previous)
		printf("resubmits      %lld\n", s.previous);
	printf("state          %s\n", s.state);
	if (s.outcome)
		printf("outcome        %s\n", s.outcome);
	if (s.approved_by)
		printf("approved by    %s\n", s.approved_by);
	for (size_t i = 0; i < nrevs; i++)
		printf("%s%s", i ? ", " : "reviewers      ", revs[i]);
	if (nrevs)
		printf("\n");
	printf("created        %s\n\n", s.created);
	cli_table t;
	cli_table_init(&t, 5, NULL);
	cli_table_row(&t, "time", "from", "to", "by", "note");
	for (size_t i = 0; i < nh; i++)
		cli_table_row(&t, h[i].time, h[i].from ? h[i].from : "-", h[i].to, h[i].actor ? h[i].actor : "-",
			h[i].note ? h[i].note : "");
	cli_table_print(&t);
	cli_table_free(&t);
done:
	folio_submission_clear(&s);
	folio_state_changes_free(h, nh);
	for (size_t i = 0; i < nrevs; i++)
		free(revs[i]);
	free(revs);
	return rc;
}

static const cli_opt submit_opts[] = {
	{ "panel", "ID", 0, "the panel to submit to (default: the next open one)" },
	CLI_OPT_END
};
static const cli_opt exemption_opts[] = {
	{ "qualification", "Q", 0, "the qualification (e.g. qlms) the mentor may submit for" },
	{ "reason", "TEXT", 0, "why the requirement is waived" },
	CLI_OPT_END
};
static const cli_opt list_opts[] = {
	{ "mentor", "ID", 0, "only this mentor's submissions" },
	{ "panel", "ID", 0, "only this panel's submissions" },
	CLI_OPT_END
};

const cli_command cli_submission_commands[] = {
	{ "submit", NULL, cmd_submit, CLI_SITE, 1, 1, "MENTOR [--panel ID]",
	  "submit the tip of a portfolio's main to the next open panel", submit_opts, 0 },
	{ "resubmit", NULL, cmd_resubmit, CLI_SITE, 1, 1, "MENTOR [--panel ID]",
	  "submit again with new evidence after further evidence was requested", submit_opts, 0 },
	{ "withdraw", NULL, cmd_withdraw, CLI_SITE, 1, 1, "MENTOR", "withdraw a submission not yet with reviewers",
	  NULL, 0 },
	{ "submission", "list", cmd_submission_list, CLI_SITE, 0, 0, "[--mentor ID] [--panel ID]",
	  "list submissions (mentors: their own)", list_opts, 1 },
	{ "submission", "show", cmd_submission_show, CLI_SITE, 1, 1, "ID", "show a submission and its state history",
	  NULL, 1 },
	{ "exemption", "add", cmd_exemption_add, CLI_SITE, 1, 1, "MENTOR --qualification Q --reason TEXT",
	  "let a mentor submit for a qualification without holding what it requires", exemption_opts, 0 },
	{ NULL, NULL, NULL, 0, 0, 0, NULL, NULL, NULL, 0 }
};
