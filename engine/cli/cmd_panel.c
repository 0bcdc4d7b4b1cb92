/* engine/cli/cmd_panel.c: folio panel plan|move|chair|list|show|availability. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A whole non-negative decimal number no larger than max; -1 otherwise. */
static long parse_count(const char *s, long max)
{
	char *end;
	long v;
	if (!s || !*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	return v;
}

static json_t *panel_json(const folio_panel *p)
{
	json_t *o = json_object(), *counts = json_object(), *states = json_object();
	json_object_set_new(o, "id", json_string(p->id));
	json_object_set_new(o, "year", json_integer(p->year));
	json_object_set_new(o, "term", json_string(p->term));
	json_object_set_new(o, "date", json_string(p->date));
	json_object_set_new(o, "deadline", json_string(p->deadline));
	json_object_set_new(o, "state", json_string(p->state));
	json_object_set_new(o, "chair", cli_json_str(p->chair));
	json_object_set_new(counts, "submissions", json_integer((json_int_t)p->submissions));
	for (size_t i = 0; i < FOLIO_SUBMISSION_NSTATES; i++)
		json_object_set_new(states, folio_submission_state_name(i), json_integer((json_int_t)p->by_state[i]));
	json_object_set_new(counts, "by_state", states);
	json_object_set_new(counts, "reviewers", json_integer((json_int_t)p->reviewers));
	json_object_set_new(counts, "capacity", json_integer((json_int_t)p->capacity));
	json_object_set_new(o, "counts", counts);
	return o;
}

static void panel_table(folio_panel *v, size_t n)
{
	cli_table t;
	cli_table_init(&t, 8, "lllllrrr");
	cli_table_row(&t, "panel", "date", "deadline", "state", "chair", "submissions", "reviewers", "capacity");
	for (size_t i = 0; i < n; i++) {
		char subs[32], revs[32], cap[32];
		snprintf(subs, sizeof(subs), "%zu", v[i].submissions);
		snprintf(revs, sizeof(revs), "%zu", v[i].reviewers);
		snprintf(cap, sizeof(cap), "%zu", v[i].capacity);
		cli_table_row(&t, v[i].id, v[i].date, v[i].deadline, v[i].state, v[i].chair ? v[i].chair : "-", subs, revs, cap);
	}
	cli_table_print(&t);
	cli_table_free(&t);
}

static int cmd_panel_plan(cli_ctx *ctx)
{
	long year = parse_count(ctx->args.pos[0], 99999);
	folio_panel *v = NULL;
	size_t n = 0, shown = 0;
	if (year < 0)
		return cli_error(CLI_USAGE, "invalid year '%s': give the year the academic year starts, like 2026",
			ctx->args.pos[0]);
	if (folio_panel_plan(ctx->site, (int)year) < 0 || folio_panel_list(&v, &n, ctx->site) < 0)
		return cli_fail();
	for (size_t i = 0; i < n; i++)
		if (v[i].year == year)
			v[shown++] = v[i];
		else
			folio_panel_clear(&v[i]);
	printf("planned academic year %ld/%02ld: %zu panel%s\n", year, (year + 1) % 100, shown, shown == 1 ? "" : "s");
	panel_table(v, shown);
	folio_panels_free(v, shown);
	return CLI_OK;
}

static int cmd_panel_move(cli_ctx *ctx)
{
	const char *date = cli_get(ctx, "date"), *deadline = cli_get(ctx, "deadline");
	folio_panel p;
	if (!date && !deadline)
		return cli_error(CLI_USAGE, "'folio panel move' needs --date, --deadline or both");
	if (folio_panel_move(ctx->site, ctx->args.pos[0], date, deadline) < 0 ||
	    folio_panel_get(&p, ctx->site, ctx->args.pos[0]) < 0)
		return cli_fail();
	printf("moved panel '%s': meets %s, deadline %s\n", p.id, p.date, p.deadline);
	folio_panel_clear(&p);
	return CLI_OK;
}

static int cmd_panel_chair(cli_ctx *ctx)
{
	if (folio_panel_set_chair(ctx->site, ctx->args.pos[0], ctx->args.pos[1]) < 0)
		return cli_fail();
	printf("'%s' chairs panel '%s'\n", ctx->args.pos[1], ctx->args.pos[0]);
	return CLI_OK;
}

static int cmd_panel_list(cli_ctx *ctx)
{
	folio_panel *v;
	size_t n;
	if (folio_panel_list(&v, &n, ctx->site) < 0)
		return cli_fail();
	if (ctx->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, panel_json(&v[i]));
		folio_panels_free(v, n);
		return cli_json_print(arr);
	}
	if (n == 0)
		printf("no panels planned: an admin plans a year with 'folio panel plan YEAR'\n");
	else
		panel_table(v, n);
	folio_panels_free(v, n);
	return CLI_OK;
}

static int cmd_panel_show(cli_ctx *ctx)
{
	folio_panel p;
	folio_availability *a = NULL;
	size_t na = 0;
	if (folio_panel_get(&p, ctx->site, ctx->args.pos[0]) < 0)
		return cli_fail();
	if (folio_panel_availability_list(&a, &na, ctx->site, p.id) < 0) {
		folio_panel_clear(&p);
		return cli_fail();
	}
	if (ctx->json) {
		json_t *o = panel_json(&p), *arr = json_array();
		for (size_t i = 0; i < na; i++)
			json_array_append_new(arr, json_pack("{s:s, s:I}", "person", a[i].person, "capacity", (json_int_t)a[i].capacity));
		json_object_set_new(o, "availability", arr);
		folio_panel_clear(&p);
		folio_availability_free(a, na);
		return cli_json_print(o);
	}
	printf("panel        %s (%s term, academic year %d/%02d)\n", p.id, p.term, p.year, (p.year + 1) % 100);
	printf("date         %s\n", p.date);
	printf("deadline     %s\n", p.deadline);
	printf("state        %s\n", p.state);
	printf("chair        %s\n", p.chair ? p.chair : "-");
	printf("submissions  %zu", p.submissions);
	{
		const char *sep = " (";
		for (size_t i = 0; i < FOLIO_SUBMISSION_NSTATES; i++)
			if (p.by_state[i]) {
				printf("%s%s %zu", sep, folio_submission_state_name(i), p.by_state[i]);
				sep = ", ";
			}
		if (strcmp(sep, ", ") == 0)
			fputc(')', stdout);
		fputc('\n', stdout);
	}
	printf("reviewers    %zu available, capacity %zu\n", p.reviewers, p.capacity);
	if (na) {
		cli_table t;
		cli_table_init(&t, 2, "ll");
		fputc('\n', stdout);
		cli_table_row(&t, "reviewer", "capacity");
		for (size_t i = 0; i < na; i++) {
			char cap[32];
			snprintf(cap, sizeof(cap), "%u", a[i].capacity);
			cli_table_row(&t, a[i].person, a[i].capacity ? cap : "unavailable");
		}
		cli_table_print(&t);
		cli_table_free(&t);
	}
	folio_panel_clear(&p);
	folio_availability_free(a, na);
	return CLI_OK;
}

static int cmd_panel_availability(cli_ctx *ctx)
{
	const char *cap = cli_get(ctx, "capacity");
	int unavailable = cli_flag(ctx, "unavailable");
	long n = 0;
	if ((cap != NULL) == unavailable)
		return cli_error(CLI_USAGE, "'folio panel availability' needs either --capacity N or --unavailable");
	if (cap && (n = parse_count(cap, UINT_MAX)) < 0)
		return cli_error(CLI_USAGE, "invalid capacity '%s': give a number of portfolios, like 3", cap);
	if (folio_panel_availability(ctx->site, ctx->args.pos[0], ctx->args.pos[1], (unsigned)n) < 0)
		return cli_fail();
	if (n)
		printf("'%s' can take %ld portfolio%s at panel '%s'\n", ctx->args.pos[1], n, n == 1 ? "" : "s", ctx->args.pos[0]);
	else
		printf("'%s' is unavailable for panel '%s'\n", ctx->args.pos[1], ctx->args.pos[0]);
	return CLI_OK;
}

static const cli_opt move_opts[] = {
	{ "date", "YYYY-MM-DD", 0, "the day the panel meets" },
	{ "deadline", "YYYY-MM-DD", 0, "the last day to submit (default: keep the gap to the date)" },
	CLI_OPT_END
};
static const cli_opt availability_opts[] = {
	{ "capacity", "N", 0, "how many portfolios the reviewer can take (0: unavailable)" },
	{ "unavailable", NULL, 0, "the reviewer cannot sit on this panel" },
	CLI_OPT_END
};

const cli_command cli_panel_commands[] = {
	{ "panel", "plan", cmd_panel_plan, CLI_SITE, 1, 1, "YEAR",
	  "plan the autumn, spring and summer panels of the academic year starting in YEAR", NULL, 0 },
	{ "panel", "move", cmd_panel_move, CLI_SITE, 1, 1, "ID [--date D] [--deadline D]",
	  "move a panel's date and deadline", move_opts, 0 },
	{ "panel", "chair", cmd_panel_chair, CLI_SITE, 2, 2, "ID LEAD", "set the lead who chairs and moderates a panel",
	  NULL, 0 },
	{ "panel", "list", cmd_panel_list, CLI_SITE, 0, 0, "", "list panels with their dates, state and counts", NULL, 1 },
	{ "panel", "show", cmd_panel_show, CLI_SITE, 1, 1, "ID", "show a panel and its reviewers' availability", NULL, 1 },
	{ "panel", "availability", cmd_panel_availability, CLI_SITE, 2, 2, "PANEL PERSON --capacity N | --unavailable",
	  "declare how many portfolios a reviewer can take at a panel", availability_opts, 0 },
	{ NULL, NULL, NULL, 0, 0, 0, NULL, NULL, NULL, 0 }
};
