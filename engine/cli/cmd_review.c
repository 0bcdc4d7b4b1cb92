/* engine/cli/cmd_review.c: folio review queue|show|record|form|done, folio panel moderate|conclude, folio feedback. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ arguments */

static int parse_submission(const char *s, long long *out)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v <= 0)
		return cli_error(CLI_USAGE, "invalid submission '%s': give its number (see 'folio review queue')", s);
	*out = v;
	return CLI_OK;
}

/* "F2", "f2" or "2" */
static int parse_item(const char *s, int *out)
{
	const char *p = (*s == 'F' || *s == 'f') ? s + 1 : s;
	char *end = NULL;
	errno = 0;
	long v = strtol(p, &end, 10);
	if (!*p || *end || errno || v <= 0 || v > 1000000000L || *p == '+' || *p == '-')
		return cli_error(CLI_USAGE, "invalid feedback item '%s': give it as F1, F2, …", s);
	*out = (int)v;
	return CLI_OK;
}

/* ------------------------------------------------------------ shared output */

static json_t *item_json(const folio_feedback_item *f)
{
	json_t *o = json_object();
	char item[24];
	snprintf(item, sizeof(item), "F%d", f->number);
	json_object_set_new(o, "item", json_string(item));
	json_object_set_new(o, "number", json_integer(f->number));
	json_object_set_new(o, "mentor", json_string(f->mentor));
	json_object_set_new(o, "submission", json_integer(f->submission));
	json_object_set_new(o, "standard", json_string(f->standard));
	json_object_set_new(o, "status", json_string(f->status));
	json_object_set_new(o, "text", json_string(f->text));
	json_object_set_new(o, "note", cli_json_str(f->note));
	json_object_set_new(o, "addressed_commit", cli_json_str(f->addressed_commit));
	json_object_set_new(o, "decided_by", f->decided_by ? json_integer(f->decided_by) : json_null());
	return o;
}

static const char *standard_title(const folio_framework *fw, const char *id)
{
	for (size_t i = 0; i < folio_framework_standard_count(fw); i++)
		if (strcmp(folio_framework_standard(fw, i)->id, id) == 0)
			return folio_framework_standard(fw, i)->title;
	return "";
}

/* Lines of text, each indented. */
static void print_indented(const char *indent, const char *text)
{
	for (const char *c = text; c && *c;) {
		const char *nl = strchr(c, '\n');
		size_t n = nl ? (size_t)(nl - c) : strlen(c);
		printf("%s%.*s\n", indent, (int)n, c);
		c = nl ? nl + 1 : c + n;
	}
}

static void print_items(const folio_framework *fw, const folio_feedback_item *v, size_t n, const char *indent)
{
	for (size_t i = 0; i < n; i++) {
		const folio_feedback_item *f = &v[i];
		printf("%sF%-3d %s %s: %s (asked at submission %lld", indent, f->number, f->standard,
			standard_title(fw, f->standard), f->status, f->submission);
		if (f->decided_by)
			printf("; %s at submission %lld", strcmp(f->status, "accepted") == 0 ? "accepted" : "kept open",
				f->decided_by);
		printf(")\n");
		char *deeper = malloc(strlen(indent) + 5);
		if (!deeper)
			abort();
		snprintf(deeper, strlen(indent) + 5, "%s    ", indent);
		print_indented(deeper, f->text);
		if (f->note)
			printf("%snote: %s\n", deeper, f->note);
		if (f->addressed_commit)
			printf("%stagged #F%d in commit %.12s\n", deeper, f->number, f->addressed_commit);
		free(deeper);
	}
}

/* One line on where the review of a submission stands. */
static void print_progress(const folio_review_progress *p, long long submission, const char *panel)
{
	if (p->outcome) {
		printf("every review is done: the outcome '%s' is held until panel %s concludes\n", p->outcome, panel);
		return;
	}
	if (p->ndisputed) {
		printf("every review is done; the reviewers disagree on");
		for (size_t i = 0; i < p->ndisputed; i++)
			printf("%s %s", i ? "," : "", p->disputed[i]);
		printf(": the panel's chair decides with 'folio panel moderate %lld --standard %s --judgement met|more-evidence'\n",
			submission, p->disputed[0]);
		return;
	}
	printf("waiting for the review%s of", p->nreviewers > 1 ? "s" : "");
	size_t k = 0;
	for (size_t i = 0; i < p->nreviewers; i++)
		if (!p->reviewers[i].done)
			printf("%s %s", k++ ? "," : "", p->reviewers[i].id);
	if (!k)
		printf(" (nobody assigned)");
	fputc('\n', stdout);
}

static int print_progress_of(cli_ctx *ctx, long long submission)
{
	folio_review_progress p;
	if (folio_review_progress_get(&p, ctx->site, submission) < 0)
		return cli_fail();
	print_progress(&p, submission, p.panel);
	folio_review_progress_clear(&p);
	return CLI_OK;
}

/* ------------------------------------------------------------ review queue */

static int cmd_review_queue(cli_ctx *ctx)
{
	folio_submission *v = NULL;
	size_t n = 0;
	if (folio_review_queue(&v, &n, ctx->site) < 0)
		return cli_fail();
	if (ctx->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:b}", "submission",
				(json_int_t)v[i].id, "mentor", v[i].mentor, "qualification", v[i].qualification, "panel", v[i].panel,
				"commit", v[i].commit, "previous", v[i].previous ? json_integer(v[i].previous) : json_null(),
				"resubmission", v[i].previous != 0));
		folio_submissions_free(v, n);
		return cli_json_print(arr);
	}
	if (n == 0) {
		printf("nothing waiting for review by '%s'\n", folio_site_actor(ctx->site));
		folio_submissions_free(v, n);
		return CLI_OK;
	}
	cli_table t;
	cli_table_init(&t, 6, "rlllll");
	cli_table_row(&t, "submission", "mentor", "qualification", "panel", "commit", "resubmission");
	for (size_t i = 0; i < n; i++) {
		char id[32], commit[16], prev[48];
		snprintf(id, sizeof(id), "%lld", v[i].id);
		snprintf(commit, sizeof(commit), "%.12s", v[i].commit);
		if (v[i].previous)
			snprintf(prev, sizeof(prev), "yes (of %lld)", v[i].previous);
		else
			snprintf(prev, sizeof(prev), "no");
		cli_table_row(&t, id, v[i].mentor, v[i].qualification, v[i].panel, commit, prev);
	}
	cli_table_print(&t);
	cli_table_free(&t);
	folio_submissions_free(v, n);
	return CLI_OK;
}

/* ------------------------------------------------------------ review show */

static json_t *show_json(const folio_review *r)
{
	const folio_coverage *cov = r->coverage;
	const folio_submission *s = &r->submission;
	const folio_review_changes *c = r->changes;
	size_t ns = folio_framework_standard_count(cov->fw);
	json_t *o = json_object(), *revs = json_array(), *stds = json_array(), *disputed = json_array(), *items = json_array();

	json_object_set_new(o, "submission", json_integer(s->id));
	json_object_set_new(o, "mentor", json_string(s->mentor));
	json_object_set_new(o, "qualification", json_string(s->qualification));
	json_object_set_new(o, "panel", json_string(s->panel));
	json_object_set_new(o, "commit", json_string(s->commit));
	json_object_set_new(o, "previous", s->previous ? json_integer(s->previous) : json_null());
	json_object_set_new(o, "previous_commit", c->previous_commit[0] ? json_string(c->previous_commit) : json_null());
	json_object_set_new(o, "state", json_string(s->state));
	json_object_set_new(o, "outcome", cli_json_str(r->progress.outcome));
	for (size_t i = 0; i < r->progress.nreviewers; i++)
		json_array_append_new(revs, json_pack("{s:s, s:o}", "id", r->progress.reviewers[i].id, "done",
			cli_json_str(r->progress.reviewers[i].done)));
	json_object_set_new(o, "reviewers", revs);
	for (size_t i = 0; i < r->progress.ndisputed; i++)
		json_array_append_new(disputed, json_string(r->progress.disputed[i]));
	json_object_set_new(o, "disputed", disputed);
	for (size_t i = 0; i < ns; i++) {
		const folio_standard *st = folio_framework_standard(cov->fw, i);
		const folio_standard_coverage *sc = &cov->standards[i];
		json_t *so = json_object(), *paths = json_array(), *js = json_array();
		json_object_set_new(so, "id", json_string(st->id));
		json_object_set_new(so, "title", json_string(st->title));
		json_object_set_new(so, "evidence", json_integer((json_int_t)sc->evidence));
		json_object_set_new(so, "words", json_integer((json_int_t)sc->words));
		for (size_t e = 0; e < cov->nentries; e++)
			if (sc->per_entry[e])
				json_array_append_new(paths, json_string(cov->entries[e].path));
		json_object_set_new(so, "entries", paths);
		json_object_set_new(so, "gained", c->gained && i < c->nstandards ? json_integer(c->gained[i]) : json_null());
		for (size_t k = 0; k < r->njudgements; k++)
			if (strcmp(r->judgements[k].standard, st->id) == 0)
				json_array_append_new(js, json_pack("{s:o, s:s, s:o}", "reviewer", cli_json_str(r->judgements[k].reviewer),
					"judgement", r->judgements[k].judgement, "comment", cli_json_str(r->judgements[k].comment)));
		json_object_set_new(so, "judgements", js);
		json_array_append_new(stds, so);
	}
	json_object_set_new(o, "standards", stds);
	if (c->previous_commit[0]) {
		json_t *ch = json_object(), *a = json_array(), *m = json_array(), *d = json_array();
		for (size_t i = 0; i < c->nadded; i++)
			json_array_append_new(a, json_string(c->added[i]));
		for (size_t i = 0; i < c->nchanged; i++)
			json_array_append_new(m, json_string(c->changed[i]));
		for (size_t i = 0; i < c->nremoved; i++)
			json_array_append_new(d, json_string(c->removed[i]));
		json_object_set_new(ch, "added", a);
		json_object_set_new(ch, "changed", m);
		json_object_set_new(ch, "removed", d);
		json_object_set_new(o, "changes", ch);
	} else {
		json_object_set_new(o, "changes", json_null());
	}
	for (size_t i = 0; i < r->nfeedback; i++)
		json_array_append_new(items, item_json(&r->feedback[i]));
	json_object_set_new(o, "feedback", items);
	return o;
}

static void show_print(const folio_review *r)
{
	const folio_coverage *cov = r->coverage;
	const folio_submission *s = &r->submission;
	const folio_review_changes *c = r->changes;
	size_t ns = folio_framework_standard_count(cov->fw);
	cli_table t;

	printf("Submission %lld: %s, %s, panel %s, commit %.12s", s->id, s->mentor, s->qualification, s->panel, s->commit);
	if (s->previous)
		printf(" (resubmits %lld)", s->previous);
	printf("\nState: %s\nReviewers:", s->state);
	for (size_t i = 0; i < r->progress.nreviewers; i++)
		printf("%s %s%s", i ? "," : "", r->progress.reviewers[i].id, r->progress.reviewers[i].done ? " (done)" : "");
	if (!r->progress.nreviewers)
		printf(" none");
	printf("\nProgress: ");
	if (strcmp(s->state, "in-review") == 0)
		print_progress(&r->progress, s->id, s->panel);
	else
		printf("concluded, outcome %s\n", s->outcome ? s->outcome : "none");

	printf("\nEvidence at the pinned commit (%zu entries):\n", cov->nentries);
	cli_table_init(&t, 5, "lrrrr");
	cli_table_row(&t, "standard", "evidence", "words", "entries", c->previous_commit[0] ? "gained" : "");
	for (size_t i = 0; i < ns; i++) {
		const folio_standard *st = folio_framework_standard(cov->fw, i);
		const folio_standard_coverage *sc = &cov->standards[i];
		char name[256], ev[32], words[32], entries[32], gained[32] = "";
		snprintf(name, sizeof(name), "%s %s", st->id, st->title);
		snprintf(ev, sizeof(ev), "%zu", sc->evidence);
		snprintf(words, sizeof(words), "%zu", sc->words);
		snprintf(entries, sizeof(entries), "%zu", sc->entries);
		if (c->gained && i < c->nstandards)
			snprintf(gained, sizeof(gained), "%+lld", c->gained[i]);
		cli_table_row(&t, name, ev, words, entries, gained);
	}
	cli_table_print(&t);
	cli_table_free(&t);

	if (c->previous_commit[0]) {
		printf("\nChanged since submission %lld (commit %.12s):\n", s->previous, c->previous_commit);
		for (size_t i = 0; i < c->nadded; i++)
			printf("  added    %s\n", c->added[i]);
		for (size_t i = 0; i < c->nchanged; i++)
			printf("  changed  %s\n", c->changed[i]);
		for (size_t i = 0; i < c->nremoved; i++)
			printf("  removed  %s\n", c->removed[i]);
		if (!c->nadded && !c->nchanged && !c->nremoved)
			printf("  no entry added, changed or removed\n");
	}
	if (r->nfeedback) {
		printf("\nFeedback items from earlier panels:\n");
		print_items(cov->fw, r->feedback, r->nfeedback, "  ");
	}
	if (r->njudgements) {
		printf("\nJudgements:\n");
		cli_table_init(&t, 4, "llll");
		for (size_t i = 0; i < r->njudgements; i++) {
			const folio_judgement *j = &r->judgements[i];
			char *first = NULL;
			if (j->comment) {
				const char *nl = strchr(j->comment, '\n');
				size_t n = nl ? (size_t)(nl - j->comment) : strlen(j->comment);
				first = malloc(n + 5);
				if (!first)
					abort();
				snprintf(first, n + 5, "%.*s%s", (int)n, j->comment, nl ? " …" : "");
			}
			cli_table_row(&t, j->standard, j->reviewer ? j->reviewer : "(chair)", j->judgement, first);
			free(first);
		}
		cli_table_print(&t);
		cli_table_free(&t);
	}
}

static int cmd_review_show(cli_ctx *ctx)
{
	folio_review *r = NULL;
	long long id;
	int rc;
	if ((rc = parse_submission(ctx->args.pos[0], &id)) != CLI_OK)
		return rc;
	if (folio_review_show(&r, ctx->site, id) < 0)
		return cli_fail();
	if (ctx->json) {
		rc = cli_json_print(show_json(r));
	} else {
		show_print(r);
		rc = CLI_OK;
	}
	folio_review_free(r);
	return rc;
}

/* ------------------------------------------------------------ record, form, done */

static int cmd_review_record(cli_ctx *ctx)
{
	const char *form = cli_get(ctx, "form"), *std = cli_get(ctx, "standard"), *j = cli_get(ctx, "judgement");
	long long id;
	int rc;
	if ((rc = parse_submission(ctx->args.pos[0], &id)) != CLI_OK)
		return rc;
	if (form && (std || j || cli_get(ctx, "comment")))
		return cli_error(CLI_USAGE, "'folio review record' takes either --form FILE or --standard and --judgement, not both");
	if (!form) {
		if (!std || !j)
			return cli_error(CLI_USAGE, "'folio review record' needs --standard S and --judgement met|more-evidence (or --form FILE)");
		if (folio_review_record(ctx->site, id, std, j, cli_get(ctx, "comment")) < 0)
			return cli_fail();
		printf("recorded %s %s on submission %lld\n", std, j, id);
		return CLI_OK;
	}

	char *text = NULL;
	size_t len = 0;
	folio_judgement *v = NULL;
	size_t n = 0;
	if (cli_read_input(form, &text, &len) < 0)
		return CLI_FAIL;
	rc = folio_review_record_form(ctx->site, id, strcmp(form, "-") == 0 ? "standard input" : form, text, len);
	free(text);
	if (rc < 0 || folio_review_judgements(&v, &n, ctx->site, id) < 0)
		return cli_fail();
	printf("recorded the form on submission %lld:", id);
	for (size_t i = 0, k = 0; i < n; i++)
		if (v[i].reviewer && strcmp(v[i].reviewer, folio_site_actor(ctx->site)) == 0)
			printf("%s %s %s", k++ ? "," : "", v[i].standard, v[i].judgement);
	fputc('\n', stdout);
	folio_judgements_free(v, n);
	return CLI_OK;
}

static int cmd_review_form(cli_ctx *ctx)
{
	char *form = NULL;
	long long id;
	int rc;
	if ((rc = parse_submission(ctx->args.pos[0], &id)) != CLI_OK)
		return rc;
	if (folio_review_form(&form, ctx->site, id) < 0)
		return cli_fail();
	fputs(form, stdout);
	free(form);
	return CLI_OK;
}

static int cmd_review_done(cli_ctx *ctx)
{
	long long id;
	int rc;
	if ((rc = parse_submission(ctx->args.pos[0], &id)) != CLI_OK)
		return rc;
	if (folio_review_done(ctx->site, id) < 0)
		return cli_fail();
	printf("review of submission %lld by '%s' is done\n", id, folio_site_actor(ctx->site));
	return print_progress_of(ctx, id);
}

/* ------------------------------------------------------------ panel moderate, conclude */

static int cmd_panel_moderate(cli_ctx *ctx)
{
	const char *std = cli_get(ctx, "standard"), *j = cli_get(ctx, "judgement");
	long long id;
	int rc;
	if ((rc = parse_submission(ctx->args.pos[0], &id)) != CLI_OK)
		return rc;
	if (!std || !j)
		return cli_error(CLI_USAGE, "'folio panel moderate' needs --standard S and --judgement met|more-evidence");
	if (folio_panel_moderate(ctx->site, id, std, j, cli_get(ctx, "comment")) < 0)
		return cli_fail();
	printf("moderated %s on submission %lld: %s\n", std, id, j);
	return print_progress_of(ctx, id);
}

static int cmd_panel_conclude(cli_ctx *ctx)
{
	folio_panel_conclusion c;
	int error = folio_panel_conclude_summary(&c, ctx->site, ctx->args.pos[0]);
	if (error < 0 && c.recommended + c.further_evidence == 0)
		return cli_fail();
	printf("concluded panel %s: %zu recommended, %zu further evidence (%zu feedback item%s); %zu message%s in %s/outbox\n",
		ctx->args.pos[0], c.recommended, c.further_evidence, c.items, c.items == 1 ? "" : "s", c.messages,
		c.messages == 1 ? "" : "s", folio_site_path(ctx->site));
	return error < 0 ? cli_fail() : CLI_OK;
}

/* ------------------------------------------------------------ feedback */

static int cmd_feedback(cli_ctx *ctx)
{
	folio_feedback_item *v = NULL;
	size_t n = 0;
	if (folio_feedback_list(&v, &n, ctx->site, ctx->args.pos[0]) < 0)
		return cli_fail();
	if (ctx->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, item_json(&v[i]));
		folio_feedback_free(v, n);
		return cli_json_print(arr);
	}
	if (n == 0)
		printf("no feedback items for '%s'\n", ctx->args.pos[0]);
	print_items(folio_site_framework(ctx->site), v, n, "");
	folio_feedback_free(v, n);
	return CLI_OK;
}

static int cmd_feedback_address(cli_ctx *ctx)
{
	const char *note = cli_get(ctx, "note");
	const char *me = folio_site_actor(ctx->site);
	int number, rc;
	if ((rc = parse_item(ctx->args.pos[0], &number)) != CLI_OK)
		return rc;
	if (!note)
		return cli_error(CLI_USAGE, "'folio feedback address' needs --note TEXT saying where the new evidence is");
	if (folio_feedback_address(ctx->site, me, number, note) < 0)
		return cli_fail();
	printf("F%d of '%s' is addressed\n", number, me);
	return CLI_OK;
}

static int cmd_feedback_accept(cli_ctx *ctx)
{
	long long id;
	int number, rc, keep = cli_flag(ctx, "keep-open");
	if ((rc = parse_submission(ctx->args.pos[0], &id)) != CLI_OK || (rc = parse_item(ctx->args.pos[1], &number)) != CLI_OK)
		return rc;
	if (folio_feedback_accept(ctx->site, id, number, !keep) < 0)
		return cli_fail();
	printf("%s F%d at submission %lld\n", keep ? "kept open" : "accepted", number, id);
	return CLI_OK;
}

/* ------------------------------------------------------------ the table */

static const cli_opt record_opts[] = {
	{ "standard", "S", 0, "the standard judged (S1 … S4)" },
	{ "judgement", "J", 0, "met or more-evidence" },
	{ "comment", "TEXT", 0, "what the mentor should know (carried into feedback items)" },
	{ "form", "FILE", 0, "record every section of a filled-in review form ('-': standard input)" },
	CLI_OPT_END
};
static const cli_opt moderate_opts[] = {
	{ "standard", "S", 0, "the standard the reviewers disagree on" },
	{ "judgement", "J", 0, "met or more-evidence" },
	{ "comment", "TEXT", 0, "the chair's comment (carried into a feedback item)" },
	CLI_OPT_END
};
static const cli_opt address_opts[] = {
	{ "note", "TEXT", 0, "how the item is answered (where the new evidence is)" },
	CLI_OPT_END
};
static const cli_opt accept_opts[] = {
	{ "keep-open", NULL, 0, "the item is not answered yet: keep it open" },
	CLI_OPT_END
};

const cli_command cli_review_commands[] = {
	{ "review", "queue", cmd_review_queue, CLI_SITE, 0, 0, "", "the submissions waiting for your review", NULL, 1 },
	{ "review", "show", cmd_review_show, CLI_SITE, 1, 1, "SUBMISSION",
	  "evidence at the pinned commit, what changed since the last submission, feedback items, judgements", NULL, 1 },
	{ "review", "record", cmd_review_record, CLI_SITE, 1, 1,
	  "SUBMISSION --standard S --judgement met|more-evidence [--comment TEXT] | --form FILE",
	  "record a judgement on one standard, or a whole review form", record_opts, 0 },
	{ "review", "form", cmd_review_form, CLI_SITE, 1, 1, "SUBMISSION",
	  "print your review form (Markdown), pre-filled with what you recorded", NULL, 0 },
	{ "review", "done", cmd_review_done, CLI_SITE, 1, 1, "SUBMISSION",
	  "mark your review done (every standard judged)", NULL, 0 },
	{ "panel", "moderate", cmd_panel_moderate, CLI_SITE, 1, 1,
	  "SUBMISSION --standard S --judgement met|more-evidence [--comment TEXT]",
	  "the chair decides a standard the reviewers disagree on", moderate_opts, 0 },
	{ "panel", "conclude", cmd_panel_conclude, CLI_SITE, 1, 1, "PANEL",
	  "release the panel's outcomes and feedback items to mentors", NULL, 0 },
	{ "feedback", NULL, cmd_feedback, CLI_SITE, 1, 1, "MENTOR", "a mentor's feedback items and their status", NULL, 1 },
	{ "feedback", "address", cmd_feedback_address, CLI_SITE, 1, 1, "ITEM --note TEXT",
	  "answer one of your feedback items (F1, F2, …) with a note", address_opts, 0 },
	{ "feedback", "accept", cmd_feedback_accept, CLI_SITE, 2, 2, "SUBMISSION ITEM [--keep-open]",
	  "as a reviewer of a resubmission, accept an earlier feedback item (or keep it open)", accept_opts, 0 },
	{ NULL, NULL, NULL, 0, 0, 0, NULL, NULL, NULL, 0 }
};
