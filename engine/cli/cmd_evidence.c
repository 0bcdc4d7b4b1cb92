/* engine/cli/cmd_evidence.c: folio evidence, folio lint, folio index. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *severity_name(folio_severity s)
{
	return s == FOLIO_SEV_ERROR ? "error" : "warning";
}

static json_t *coverage_json(const char *mentor, const folio_coverage *cov)
{
	const folio_framework *fw = cov->fw;
	size_t ns = folio_framework_standard_count(fw);
	json_t *root = json_object(), *stds = json_array(), *entries = json_array(), *problems = json_array(),
	       *missing = json_array();

	json_object_set_new(root, "mentor", json_string(mentor));
	json_object_set_new(root, "commit", json_string(cov->commit));
	json_object_set_new(root, "qualification", cov->qualification ? json_string(cov->qualification->id) : json_null());
	json_object_set_new(root, "ready", json_boolean(cov->ready));
	for (size_t i = 0; i < cov->nmissing; i++)
		json_array_append_new(missing, json_string(cov->missing[i]));
	json_object_set_new(root, "missing", missing);
	for (size_t s = 0; s < ns; s++) {
		const folio_standard *st = folio_framework_standard(fw, s);
		const folio_standard_coverage *sc = &cov->standards[s];
		json_t *o = json_object(), *paths = json_array(), *ds = json_array();
		json_object_set_new(o, "id", json_string(st->id));
		json_object_set_new(o, "title", json_string(st->title));
		json_object_set_new(o, "evidence", json_integer((json_int_t)sc->evidence));
		json_object_set_new(o, "words", json_integer((json_int_t)sc->words));
		for (size_t e = 0; e < cov->nentries; e++)
			if (sc->per_entry[e])
				json_array_append_new(paths, json_string(cov->entries[e].path));
		json_object_set_new(o, "entries", paths);
		json_object_set_new(o, "needed", json_pack("{s:I, s:I}", "evidence", (json_int_t)sc->needed_evidence,
			"words", (json_int_t)sc->needed_words));
		json_object_set_new(o, "met", json_boolean(sc->evidence >= sc->needed_evidence && sc->words >= sc->needed_words));
		for (size_t d = 0; d < st->ndescriptors; d++)
			json_array_append_new(ds, json_pack("{s:s, s:I}", "id", st->descriptors[d].id,
				"evidence", (json_int_t)sc->descriptors[d]));
		json_object_set_new(o, "descriptors", ds);
		json_array_append_new(stds, o);
	}
	json_object_set_new(root, "standards", stds);
	for (size_t e = 0; e < cov->nentries; e++) {
		const folio_doc *d = cov->entries[e].doc;
		json_t *o = json_object(), *ev = json_object();
		json_object_set_new(o, "path", json_string(cov->entries[e].path));
		json_object_set_new(o, "title", cli_json_str(d->title));
		json_object_set_new(o, "words", json_integer(d->words));
		for (size_t s = 0; s < ns; s++)
			json_object_set_new(ev, folio_framework_standard(fw, s)->id,
				json_integer((json_int_t)cov->standards[s].per_entry[e]));
		json_object_set_new(o, "evidence", ev);
		json_array_append_new(entries, o);
		for (size_t p = 0; p < d->nproblems; p++)
			json_array_append_new(problems, json_pack("{s:s, s:i, s:i, s:s, s:s}", "path", cov->entries[e].path,
				"line", (int)d->problems[p].line, "column", (int)d->problems[p].column,
				"severity", severity_name(d->problems[p].severity), "message", d->problems[p].message));
	}
	json_object_set_new(root, "entries", entries);
	json_object_set_new(root, "problems", problems);
	return root;
}

static void print_problems(const char *prefix, const folio_coverage *cov, int errors_only)
{
	for (size_t e = 0; e < cov->nentries; e++) {
		const folio_doc *d = cov->entries[e].doc;
		for (size_t p = 0; p < d->nproblems; p++) {
			if (errors_only && d->problems[p].severity != FOLIO_SEV_ERROR)
				continue;
			printf("%s%s:%u:%u: %s: %s\n", prefix, cov->entries[e].path, d->problems[p].line, d->problems[p].column,
				severity_name(d->problems[p].severity), d->problems[p].message);
		}
	}
}

static void print_coverage(const char *mentor, const folio_coverage *cov)
{
	const folio_framework *fw = cov->fw;
	size_t ns = folio_framework_standard_count(fw);
	cli_table t;

	printf("Portfolio of %s, %s, at commit %.12s: %zu entries\n\n", mentor,
		cov->qualification ? cov->qualification->name : "no qualification", cov->commit, cov->nentries);

	cli_table_init(&t, 6, "lrrrll");
	cli_table_row(&t, "standard", "evidence", "words", "entries", "needed", "");
	for (size_t s = 0; s < ns; s++) {
		const folio_standard *st = folio_framework_standard(fw, s);
		const folio_standard_coverage *sc = &cov->standards[s];
		char name[256], ev[32], words[32], entries[32], needed[64];
		int met = sc->evidence >= sc->needed_evidence && sc->words >= sc->needed_words;
		snprintf(name, sizeof(name), "%s %s", st->id, st->title);
		snprintf(ev, sizeof(ev), "%zu", sc->evidence);
		snprintf(words, sizeof(words), "%zu", sc->words);
		snprintf(entries, sizeof(entries), "%zu", sc->entries);
		snprintf(needed, sizeof(needed), "%zu blocks, %zu words", sc->needed_evidence, sc->needed_words);
		cli_table_row(&t, name, ev, words, entries, needed, met ? "met" : "MISSING");
	}
	cli_table_print(&t);
	cli_table_free(&t);

	printf("\nDescriptors (evidence blocks):\n");
	for (size_t s = 0; s < ns; s++) {
		const folio_standard *st = folio_framework_standard(fw, s);
		printf("  ");
		for (size_t d = 0; d < st->ndescriptors; d++)
			printf("%s%s %zu", d ? "  " : "", st->descriptors[d].id, cov->standards[s].descriptors[d]);
		printf("\n");
	}

	printf("\nCoverage matrix (evidence blocks per entry):\n");
	cli_table_init(&t, ns + 1, NULL);
	{
		const char **cells = calloc(ns + 1, sizeof(char *));
		char **num = calloc(ns + 1, sizeof(char *));
		cells[0] = "entry";
		for (size_t s = 0; s < ns; s++)
			cells[s + 1] = folio_framework_standard(fw, s)->id;
		cli_table_add(&t, cells);
		for (size_t e = 0; e < cov->nentries; e++) {
			cells[0] = cov->entries[e].path;
			for (size_t s = 0; s < ns; s++) {
				size_t v = cov->standards[s].per_entry[e];
				free(num[s]);
				num[s] = malloc(24);
				snprintf(num[s], 24, "%zu", v);
				cells[s + 1] = v ? num[s] : ".";
			}
			cli_table_add(&t, cells);
		}
		for (size_t s = 0; s <= ns; s++)
			free(num[s]);
		free(num);
		free(cells);
	}
	cli_table_print(&t);
	cli_table_free(&t);

	if (cov->qualification) {
		if (cov->ready) {
			printf("\nReady to submit for %s.\n", cov->qualification->id);
		} else {
			printf("\nNot ready for %s yet:\n", cov->qualification->id);
			for (size_t i = 0; i < cov->nmissing; i++)
				printf("  - %s\n", cov->missing[i]);
		}
	}
	if (cov->errors || cov->warnings) {
		printf("\nProblems (%zu error%s, %zu warning%s):\n", cov->errors, cov->errors == 1 ? "" : "s",
			cov->warnings, cov->warnings == 1 ? "" : "s");
		print_problems("  ", cov, 0);
	}
}

static int cmd_evidence(cli_ctx *ctx)
{
	folio_coverage *cov = NULL;
	int rc;
	if (folio_coverage_get(&cov, ctx->site, ctx->args.pos[0], cli_get(ctx, "at")) < 0)
		return cli_fail();
	if (ctx->json) {
		rc = cli_json_print(coverage_json(ctx->args.pos[0], cov));
	} else {
		print_coverage(ctx->args.pos[0], cov);
		rc = CLI_OK;
	}
	folio_coverage_free(cov);
	return rc;
}

static int is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* lint FILE...: no site needed; lint MENTOR: the portfolio's main branch. */
static int cmd_lint(cli_ctx *ctx)
{
	size_t errors = 0;
	int files = 0;
	for (size_t i = 0; i < ctx->args.npos; i++) {
		size_t n = strlen(ctx->args.pos[i]);
		if (is_file(ctx->args.pos[i]) || (n > 3 && strcmp(ctx->args.pos[i] + n - 3, ".md") == 0) || strchr(ctx->args.pos[i], '/'))
			files = 1;
	}
	if (!files && ctx->args.npos == 1) {
		folio_coverage *cov = NULL;
		if (folio_site_open(&ctx->site, ctx->site_dir) < 0 ||
		    folio_site_act(ctx->site, ctx->login ? ctx->login : "", ctx->as) < 0 ||
		    folio_coverage_get(&cov, ctx->site, ctx->args.pos[0], NULL) < 0)
			return cli_fail();
		print_problems("", cov, 0);
		errors = cov->errors;
		folio_coverage_free(cov);
		return errors ? CLI_FAIL : CLI_OK;
	}

	folio_site *site;
	folio_framework *owned;
	const folio_framework *fw;
	int rc = CLI_OK;
	if (cli_load_framework(ctx, &site, &fw, &owned) < 0)
		return cli_fail();
	for (size_t i = 0; i < ctx->args.npos; i++) {
		char *text = NULL;
		size_t len = 0;
		folio_doc *doc = NULL;
		unsigned long long size = 0;
		int got = cli_read_input_max(ctx->args.pos[i], FOLIO_ENTRY_MAX, &text, &len, &size);
		if (got < 0) {
			rc = CLI_FAIL;
			continue;
		}
		if (got > 0) {
			/* as for an entry in a portfolio: reported, never read whole */
			if (size)
				printf("%s:1:1: error: entry is too large to read: %llu bytes (the limit is %d)\n",
					ctx->args.pos[i], size, FOLIO_ENTRY_MAX);
			else
				printf("%s:1:1: error: entry is too large to read: over the limit of %d bytes\n",
					ctx->args.pos[i], FOLIO_ENTRY_MAX);
			errors++;
			continue;
		}
		folio_doc_analyze(&doc, fw, text, len);
		for (size_t p = 0; p < doc->nproblems; p++)
			printf("%s:%u:%u: %s: %s\n", ctx->args.pos[i], doc->problems[p].line, doc->problems[p].column,
				severity_name(doc->problems[p].severity), doc->problems[p].message);
		errors += folio_doc_error_count(doc);
		folio_doc_free(doc);
		free(text);
	}
	folio_site_free(site);
	folio_framework_free(owned);
	return errors ? CLI_FAIL : rc;
}

static int cmd_index(cli_ctx *ctx)
{
	folio_index_stats st;
	int error;
	if (cli_flag(ctx, "rebuild")) {
		if (ctx->args.npos)
			return cli_error(CLI_USAGE, "'folio index --rebuild' rebuilds every portfolio; name none");
		error = folio_index_rebuild(ctx->site, &st, cli_progress, (void *)"indexing");
	} else {
		error = folio_index_update(ctx->site, ctx->args.pos, ctx->args.npos, &st, cli_progress, (void *)"indexing");
	}
	if (error < 0)
		return cli_fail();
	printf("indexed %zu portfolios: %zu unchanged; %zu entries in the changed ones, %zu parsed (the rest cached)\n",
		st.portfolios, st.unchanged, st.blobs, st.parsed);
	return CLI_OK;
}

static const cli_opt evidence_opts[] = {
	{ "at", "REV", 0, "a commit, tag or branch of the portfolio (default: main)" },
	CLI_OPT_END
};
static const cli_opt index_opts[] = {
	{ "rebuild", NULL, 0, "drop the cache and rebuild it from the repositories (admin)" },
	CLI_OPT_END
};

const cli_command cli_evidence_commands[] = {
	{ "evidence", NULL, cmd_evidence, CLI_SITE, 1, 1, "MENTOR [--at REV]",
	  "show coverage of the standards and whether the portfolio is ready", evidence_opts, 1 },
	{ "lint", NULL, cmd_lint, CLI_NOSITE, 1, 1000000, "MENTOR | FILE...",
	  "report unknown tags and entries with no evidence (exit 1 on errors)", NULL, 0 },
	{ "index", NULL, cmd_index, CLI_SITE, 0, 1000000, "[MENTOR...] [--rebuild]",
	  "bring the evidence cache up to date", index_opts, 0 },
	{ NULL, NULL, NULL, 0, 0, 0, NULL, NULL, NULL, 0 }
};
