/* engine/cli/cmd_site.c: folio init, folio standards, folio audit. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmd_init(cli_ctx *ctx)
{
	folio_init_options o = { 0 };
	const char *dir = ctx->args.npos ? ctx->args.pos[0] : ctx->site_dir;
	o.admin_id = cli_get(ctx, "admin-id");
	o.admin_name = cli_get(ctx, "name");
	o.admin_email = cli_get(ctx, "email");
	o.standards_dir = cli_get(ctx, "standards");
	if (!ctx->login)
		return cli_error(CLI_FAIL, "cannot tell who you are: no login name (set LOGNAME)");
	if (folio_site_init(dir, ctx->login, &o) < 0)
		return cli_fail();
	printf("created site '%s'; first admin bound to login '%s'\n", dir, ctx->login);
	return CLI_OK;
}

static int cmd_standards(cli_ctx *ctx)
{
	folio_site *site;
	folio_framework *owned;
	const folio_framework *fw;
	int rc = CLI_OK;

	if (cli_load_framework(ctx, &site, &fw, &owned) < 0)
		return cli_fail();
	size_t ns = folio_framework_standard_count(fw), nq = folio_framework_qualification_count(fw);
	if (ctx->json) {
		json_t *root = json_object(), *stds = json_array(), *quals = json_array();
		json_object_set_new(root, "framework", json_string(folio_framework_id(fw)));
		json_object_set_new(root, "title", json_string(folio_framework_title(fw)));
		json_object_set_new(root, "source", json_string(folio_framework_source(fw)));
		for (size_t i = 0; i < ns; i++) {
			const folio_standard *s = folio_framework_standard(fw, i);
			json_t *o = json_object(), *ds = json_array();
			json_object_set_new(o, "id", json_string(s->id));
			json_object_set_new(o, "title", json_string(s->title));
			json_object_set_new(o, "headline", json_string(s->headline));
			json_object_set_new(o, "summary", json_string(s->summary));
			for (size_t d = 0; d < s->ndescriptors; d++) {
				json_t *x = json_object();
				json_object_set_new(x, "id", json_string(s->descriptors[d].id));
				json_object_set_new(x, "text", json_string(s->descriptors[d].text));
				json_array_append_new(ds, x);
			}
			json_object_set_new(o, "descriptors", ds);
			json_array_append_new(stds, o);
		}
		for (size_t i = 0; i < nq; i++) {
			const folio_qualification *q = folio_framework_qualification(fw, i);
			json_t *o = json_object(), *need = json_array();
			json_object_set_new(o, "id", json_string(q->id));
			json_object_set_new(o, "name", json_string(q->name));
			json_object_set_new(o, "focus", cli_json_str(q->focus));
			json_object_set_new(o, "requires", cli_json_str(q->requires));
			for (size_t s = 0; s < ns; s++) {
				json_t *x = json_object();
				json_object_set_new(x, "standard", json_string(folio_framework_standard(fw, s)->id));
				json_object_set_new(x, "evidence", json_integer((json_int_t)q->min_evidence[s]));
				json_object_set_new(x, "words", json_integer((json_int_t)q->min_words[s]));
				json_array_append_new(need, x);
			}
			json_object_set_new(o, "ready_when", need);
			json_array_append_new(quals, o);
		}
		json_object_set_new(root, "standards", stds);
		json_object_set_new(root, "qualifications", quals);
		rc = cli_json_print(root);
	} else {
		printf("%s (%s)\n", folio_framework_title(fw), folio_framework_id(fw));
		for (size_t i = 0; i < ns; i++) {
			const folio_standard *s = folio_framework_standard(fw, i);
			printf("\n%s  %s\n    %s\n", s->id, s->title, s->headline);
			for (size_t d = 0; d < s->ndescriptors; d++)
				printf("  %-6s %s\n", s->descriptors[d].id, s->descriptors[d].text);
		}
		printf("\nQualifications\n");
		for (size_t i = 0; i < nq; i++) {
			const folio_qualification *q = folio_framework_qualification(fw, i);
			printf("  %-5s %s%s%s%s\n", q->id, q->name, q->requires ? " (requires " : "",
				q->requires ? q->requires : "", q->requires ? ")" : "");
			printf("        ready when every standard has");
			for (size_t s = 0; s < ns; s++)
				printf("%s %s: %zu evidence/%zu words", s ? "," : "", folio_framework_standard(fw, s)->id,
					q->min_evidence[s], q->min_words[s]);
			printf("\n");
		}
	}
	folio_site_free(site);
	folio_framework_free(owned);
	return rc;
}

static int cmd_audit(cli_ctx *ctx)
{
	folio_audit_row *rows = NULL;
	size_t n = 0;
	if (folio_site_require(ctx->site, FOLIO_ROLE_ADMIN | FOLIO_ROLE_LEAD, "read the audit log") < 0 ||
	    folio_audit_list(&rows, &n, ctx->site) < 0)
		return cli_fail();
	if (ctx->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++) {
			json_t *o = json_object();
			json_object_set_new(o, "seq", json_integer(rows[i].seq));
			json_object_set_new(o, "time", json_string(rows[i].time));
			json_object_set_new(o, "actor", cli_json_str(rows[i].actor));
			json_object_set_new(o, "real_actor", cli_json_str(rows[i].real));
			json_object_set_new(o, "action", json_string(rows[i].action));
			json_object_set_new(o, "object", cli_json_str(rows[i].object));
			json_object_set_new(o, "detail", cli_json_str(rows[i].detail));
			json_object_set_new(o, "from", cli_json_str(rows[i].from_state));
			json_object_set_new(o, "to", cli_json_str(rows[i].to_state));
			json_object_set_new(o, "commit", cli_json_str(rows[i].commit));
			json_object_set_new(o, "hash", json_string(rows[i].hash));
			json_array_append_new(arr, o);
		}
		folio_audit_rows_free(rows, n);
		return cli_json_print(arr);
	}
	cli_table t;
	cli_table_init(&t, 5, "rllll");
	cli_table_row(&t, "seq", "time", "who", "action", "object / detail");
	for (size_t i = 0; i < n; i++) {
		char seq[32], who[256], what[1024];
		snprintf(seq, sizeof(seq), "%lld", rows[i].seq);
		if (rows[i].real)
			snprintf(who, sizeof(who), "%s as %s", rows[i].real, rows[i].actor);
		else
			snprintf(who, sizeof(who), "%s", rows[i].actor ? rows[i].actor : "-");
		snprintf(what, sizeof(what), "%s%s%s%s%s%s%s%s%.12s", rows[i].object ? rows[i].object : "",
			rows[i].to_state ? " " : "", rows[i].from_state ? rows[i].from_state : "",
			rows[i].to_state ? " -> " : "", rows[i].to_state ? rows[i].to_state : "",
			rows[i].detail ? " " : "", rows[i].detail ? rows[i].detail : "",
			rows[i].commit ? " @" : "", rows[i].commit ? rows[i].commit : "");
		cli_table_row(&t, seq, rows[i].time, who, rows[i].action, what);
	}
	cli_table_print(&t);
	cli_table_free(&t);
	folio_audit_rows_free(rows, n);
	return CLI_OK;
}

static int cmd_audit_verify(cli_ctx *ctx)
{
	if (folio_site_require(ctx->site, FOLIO_ROLE_ADMIN | FOLIO_ROLE_LEAD, "verify the audit log") < 0 ||
	    folio_audit_verify(ctx->site) < 0)
		return cli_fail();
	printf("audit log intact\n");
	return CLI_OK;
}

static const cli_opt init_opts[] = {
	{ "admin-id", "ID", 0, "person id of the first admin (default: your login)" },
	{ "name", "NAME", 0, "name of the first admin (default: from the password database)" },
	{ "email", "EMAIL", 0, "email of the first admin" },
	{ "standards", "DIR", 0, "framework files to copy into the site (default: folio's own)" },
	CLI_OPT_END
};

const cli_command cli_site_commands[] = {
	{ "init", NULL, cmd_init, CLI_NOSITE, 0, 1, "[DIR] [--admin-id ID] [--name N] [--email E]",
	  "create a site; you become its first admin", init_opts, 0 },
	{ "standards", NULL, cmd_standards, CLI_NOSITE, 0, 0, "",
	  "print the Mentor Standards framework and the qualifications", NULL, 1 },
	{ "audit", "verify", cmd_audit_verify, CLI_SITE, 0, 0, "", "check the audit log's hash chain", NULL, 0 },
	{ "audit", NULL, cmd_audit, CLI_SITE, 0, 0, "", "show the audit log", NULL, 1 },
	{ NULL, NULL, NULL, 0, 0, 0, NULL, NULL, NULL, 0 }
};
