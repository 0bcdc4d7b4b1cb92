/* engine/cli/cmd_people.c: folio school, folio person, folio conflict. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmd_school_add(cli_ctx *ctx)
{
	folio_school s = { (char *)ctx->args.pos[0], (char *)cli_get(ctx, "name"), FOLIO_PHASE_PRIMARY };
	if (!s.name)
		return cli_error(CLI_USAGE, "'folio school add' needs --name");
	if (!cli_get(ctx, "phase"))
		return cli_error(CLI_USAGE, "'folio school add' needs --phase primary|secondary|all-through");
	if (folio_phase_parse(&s.phase, cli_get(ctx, "phase")) < 0 || folio_school_add(ctx->site, &s) < 0)
		return cli_fail();
	printf("added school '%s'\n", s.id);
	return CLI_OK;
}

static int cmd_school_list(cli_ctx *ctx)
{
	folio_school *v;
	size_t n;
	if (folio_school_list(&v, &n, ctx->site) < 0)
		return cli_fail();
	if (ctx->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "id", v[i].id, "name", v[i].name,
				"phase", folio_phase_name(v[i].phase)));
		folio_schools_free(v, n);
		return cli_json_print(arr);
	}
	cli_table t;
	cli_table_init(&t, 3, NULL);
	cli_table_row(&t, "id", "name", "phase");
	for (size_t i = 0; i < n; i++)
		cli_table_row(&t, v[i].id, v[i].name, folio_phase_name(v[i].phase));
	cli_table_print(&t);
	cli_table_free(&t);
	folio_schools_free(v, n);
	return CLI_OK;
}

static int import(cli_ctx *ctx, int people)
{
	char *text = NULL;
	size_t len = 0, count = 0;
	int error;
	if (cli_read_input(ctx->args.pos[0], &text, &len) < 0)
		return CLI_FAIL;
	error = people ? folio_person_import_csv(ctx->site, ctx->args.pos[0], text, len, &count)
		       : folio_school_import_csv(ctx->site, ctx->args.pos[0], text, len, &count);
	free(text);
	if (error < 0)
		return cli_fail();
	printf("imported %zu %s from '%s'\n", count, people ? (count == 1 ? "person" : "people") : (count == 1 ? "school" : "schools"),
		ctx->args.pos[0]);
	return CLI_OK;
}

static int cmd_school_import(cli_ctx *ctx)
{
	return import(ctx, 0);
}

static int cmd_person_import(cli_ctx *ctx)
{
	return import(ctx, 1);
}

static int cmd_person_add(cli_ctx *ctx)
{
	folio_person p = { 0 };
	const char **roles = NULL;
	size_t nroles = cli_all(ctx, "role", &roles);
	int rc = CLI_OK;

	p.id = (char *)ctx->args.pos[0];
	p.name = (char *)cli_get(ctx, "name");
	p.email = (char *)cli_get(ctx, "email");
	p.school = (char *)cli_get(ctx, "school");
	p.login = (char *)cli_get(ctx, "login");
	p.lead = (char *)cli_get(ctx, "lead");
	if (!p.name || !p.email || nroles == 0) {
		rc = cli_error(CLI_USAGE, "'folio person add' needs --name, --email and at least one --role");
		goto done;
	}
	for (size_t i = 0; i < nroles; i++) {
		folio_role r;
		if (folio_role_parse(&r, roles[i]) < 0) {
			rc = cli_fail();
			goto done;
		}
		p.roles |= r;
	}
	if (folio_person_add(ctx->site, &p) < 0)
		rc = cli_fail();
	else
		printf("added person '%s'\n", p.id);
done:
	free(roles);
	return rc;
}

static void roles_text(char *buf, size_t n, unsigned roles)
{
	buf[0] = '\0';
	for (unsigned i = 0; i < 4; i++)
		if (roles & (1u << i)) {
			size_t len = strlen(buf);
			snprintf(buf + len, n - len, "%s%s", len ? "," : "", folio_role_name((folio_role)(1u << i)));
		}
}

static int cmd_person_list(cli_ctx *ctx)
{
	folio_person *v;
	size_t n;
	if (folio_person_list(&v, &n, ctx->site) < 0)
		return cli_fail();
	if (ctx->json) {
		cli_json_stream js = { 0 };
		for (size_t i = 0; i < n; i++) {
			json_t *o = json_object(), *r = json_array();
			json_object_set_new(o, "id", json_string(v[i].id));
			json_object_set_new(o, "name", json_string(v[i].name));
			json_object_set_new(o, "email", cli_json_str(v[i].email));
			json_object_set_new(o, "school", cli_json_str(v[i].school));
			for (unsigned k = 0; k < 4; k++)
				if (v[i].roles & (1u << k))
					json_array_append_new(r, json_string(folio_role_name((folio_role)(1u << k))));
			json_object_set_new(o, "roles", r);
			json_object_set_new(o, "login", cli_json_str(v[i].login));
			json_object_set_new(o, "lead", cli_json_str(v[i].lead));
			cli_json_stream_item(&js, o);
		}
		folio_people_free(v, n);
		return cli_json_stream_end(&js);
	}
	cli_table t;
	cli_table_init(&t, 6, NULL);
	cli_table_row(&t, "id", "name", "roles", "school", "lead", "login");
	for (size_t i = 0; i < n; i++) {
		char roles[64];
		roles_text(roles, sizeof(roles), v[i].roles);
		cli_table_row(&t, v[i].id, v[i].name, roles, v[i].school ? v[i].school : "-",
			v[i].lead ? v[i].lead : "-", v[i].login ? v[i].login : "-");
	}
	cli_table_print(&t);
	cli_table_free(&t);
	folio_people_free(v, n);
	return CLI_OK;
}

static int cmd_conflict_add(cli_ctx *ctx)
{
	const char *reason = cli_get(ctx, "reason");
	if (!reason)
		return cli_error(CLI_USAGE, "'folio conflict add' needs --reason");
	if (folio_conflict_add(ctx->site, ctx->args.pos[0], ctx->args.pos[1], reason) < 0)
		return cli_fail();
	printf("declared a conflict between '%s' and '%s'\n", ctx->args.pos[0], ctx->args.pos[1]);
	return CLI_OK;
}

static int cmd_conflict_list(cli_ctx *ctx)
{
	folio_conflict *v;
	size_t n;
	if (folio_conflict_list(&v, &n, ctx->site) < 0)
		return cli_fail();
	if (ctx->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "a", v[i].a, "b", v[i].b, "reason", v[i].reason));
		folio_conflicts_free(v, n);
		return cli_json_print(arr);
	}
	cli_table t;
	cli_table_init(&t, 3, NULL);
	cli_table_row(&t, "person", "person", "reason");
	for (size_t i = 0; i < n; i++)
		cli_table_row(&t, v[i].a, v[i].b, v[i].reason);
	cli_table_print(&t);
	cli_table_free(&t);
	folio_conflicts_free(v, n);
	return CLI_OK;
}

static const cli_opt school_add_opts[] = {
	{ "name", "NAME", 0, "the school's name" },
	{ "phase", "PHASE", 0, "primary, secondary or all-through" },
	CLI_OPT_END
};
static const cli_opt person_add_opts[] = {
	{ "name", "NAME", 0, "full name" },
	{ "email", "EMAIL", 0, "email address" },
	{ "school", "ID", 0, "the person's school" },
	{ "role", "ROLE", 1, "mentor, reviewer, lead or admin" },
	{ "login", "LOGIN", 0, "operating-system login bound to this person" },
	{ "lead", "ID", 0, "the mentor's own lead mentor" },
	CLI_OPT_END
};
static const cli_opt conflict_opts[] = {
	{ "reason", "TEXT", 0, "why these two may not review each other (line manager, family, ...)" },
	CLI_OPT_END
};

const cli_command cli_people_commands[] = {
	{ "school", "add", cmd_school_add, CLI_SITE, 1, 1, "ID --name N --phase primary|secondary|all-through",
	  "add a school", school_add_opts, 0 },
	{ "school", "list", cmd_school_list, CLI_SITE, 0, 0, "", "list schools", NULL, 1 },
	{ "school", "import", cmd_school_import, CLI_SITE, 1, 1, "FILE.csv|-",
	  "add schools from CSV (id,name,phase): all rows or none", NULL, 0 },
	{ "person", "add", cmd_person_add, CLI_SITE, 1, 1,
	  "ID --name N --email E --role R [--role R] [--school S] [--login L] [--lead ID]",
	  "add a person", person_add_opts, 0 },
	{ "person", "list", cmd_person_list, CLI_SITE, 0, 0, "", "list people and their roles", NULL, 1 },
	{ "person", "import", cmd_person_import, CLI_SITE, 1, 1, "FILE.csv|-",
	  "add people from CSV (id,name,email,roles,school,login,lead): all rows or none", NULL, 0 },
	{ "conflict", "add", cmd_conflict_add, CLI_SITE, 2, 2, "A B --reason TEXT",
	  "declare that A and B may not review each other", conflict_opts, 0 },
	{ "conflict", "list", cmd_conflict_list, CLI_SITE, 0, 0, "", "list declared conflicts", NULL, 1 },
	{ NULL, NULL, NULL, 0, 0, 0, NULL, NULL, NULL, 0 }
};
