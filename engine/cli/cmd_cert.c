/* engine/cli/cmd_cert.c: folio approve, folio certify, folio cert list|show|verify|revoke|issuer. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A submission id: a positive decimal number. */
static int parse_submission(const char *s, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v <= 0)
		return cli_error(CLI_USAGE, "invalid submission id '%s': use its number, e.g. 3", s);
	*out = v;
	return CLI_OK;
}

/* printf into a new string; aborts when out of memory, like the engine. */
static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	char *p = malloc((size_t)n + 1);
	if (!p)
		abort();
	va_start(ap, f);
	vsnprintf(p, (size_t)n + 1, f, ap);
	va_end(ap);
	return p;
}

static const char *qualification_name(cli_ctx *ctx, const char *id)
{
	const folio_qualification *q = folio_framework_find_qualification(folio_site_framework(ctx->site), id);
	return q ? q->name : id;
}

/* The assertion's id (the hosted badge URL), or NULL. Caller frees. */
static char *assertion_url(const folio_certificate *c)
{
	json_t *a = json_loads(c->assertion ? c->assertion : "", 0, NULL);
	const char *id = json_string_value(json_object_get(a, "id"));
	char *url = id ? strdup(id) : NULL;
	json_decref(a);
	return url;
}

static json_t *cert_json(cli_ctx *ctx, const folio_certificate *c, int full)
{
	json_t *o = json_object();
	json_object_set_new(o, "number", json_string(c->number));
	json_object_set_new(o, "submission", json_integer(c->submission));
	json_object_set_new(o, "holder", json_string(c->holder));
	json_object_set_new(o, "holder_name", cli_json_str(c->holder_name));
	json_object_set_new(o, "qualification", json_string(c->qualification));
	json_object_set_new(o, "issued", json_string(c->issued));
	json_object_set_new(o, "panel", json_string(c->panel));
	json_object_set_new(o, "approved_by", json_string(c->approved_by));
	json_object_set_new(o, "commit", json_string(c->commit));
	json_object_set_new(o, "revoked", cli_json_str(c->revoked));
	json_object_set_new(o, "revoked_reason", cli_json_str(c->revoked_reason));
	if (full) {
		char *dir = folio_cert_dir(ctx->site, c->number);
		json_t *a = json_loads(c->assertion ? c->assertion : "", 0, NULL);
		json_object_set_new(o, "dir", json_string(dir));
		json_object_set_new(o, "assertion", a ? a : json_null());
		free(dir);
	}
	return o;
}

/* ------------------------------------------------------------ approve, certify */

static int cmd_approve(cli_ctx *ctx)
{
	long long id;
	int rc;
	if ((rc = parse_submission(ctx->args.pos[0], &id)) != CLI_OK)
		return rc;
	if (folio_approve(ctx->site, id) < 0)
		return cli_fail();
	printf("approved submission %lld; certify it with 'folio certify %lld'\n", id, id);
	return CLI_OK;
}

static int cmd_certify(cli_ctx *ctx)
{
	folio_certificate c;
	long long id;
	int rc;
	if ((rc = parse_submission(ctx->args.pos[0], &id)) != CLI_OK)
		return rc;
	if (folio_certify(&c, ctx->site, id) < 0) {
		rc = cli_fail();
		folio_cert_clear(&c);
		return rc;
	}
	if (ctx->json)
		rc = cli_json_print(cert_json(ctx, &c, 1));
	else {
		char *dir = folio_cert_dir(ctx->site, c.number);
		printf("issued certificate %s: %s for %s (%s)\n", c.number, qualification_name(ctx, c.qualification),
			c.holder_name, c.holder);
		printf("files: %s/ (certificate.json, certificate.html, issuer.json, badgeclass, assertion.json, badge.svg)\n",
			dir);
		free(dir);
	}
	folio_cert_clear(&c);
	return rc;
}

/* ------------------------------------------------------------ cert list, show */

static int cmd_cert_list(cli_ctx *ctx)
{
	folio_certificate *v;
	size_t n;
	if (folio_cert_list(&v, &n, ctx->site) < 0)
		return cli_fail();
	if (ctx->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, cert_json(ctx, &v[i], 0));
		folio_certs_free(v, n);
		return cli_json_print(arr);
	}
	cli_table t;
	cli_table_init(&t, 7, NULL);
	cli_table_row(&t, "number", "holder", "qualification", "issued", "panel", "approved by", "status");
	for (size_t i = 0; i < n; i++)
		cli_table_row(&t, v[i].number, v[i].holder, v[i].qualification, v[i].issued, v[i].panel, v[i].approved_by,
			v[i].revoked ? "revoked" : "valid");
	cli_table_print(&t);
	cli_table_free(&t);
	folio_certs_free(v, n);
	return CLI_OK;
}

static int cmd_cert_show(cli_ctx *ctx)
{
	folio_certificate c;
	if (folio_cert_get(&c, ctx->site, ctx->args.pos[0]) < 0)
		return cli_fail();
	if (ctx->json) {
		int rc = cli_json_print(cert_json(ctx, &c, 1));
		folio_cert_clear(&c);
		return rc;
	}
	char *url = assertion_url(&c), *dir = folio_cert_dir(ctx->site, c.number);
	char *holder = fmt("%s (%s)", c.holder_name ? c.holder_name : "", c.holder);
	char *qual = fmt("%s (%s)", qualification_name(ctx, c.qualification), c.qualification);
	char *status = c.revoked ? fmt("revoked on %s: %s", c.revoked, c.revoked_reason ? c.revoked_reason : "")
				 : fmt("valid");
	char sub[32];
	snprintf(sub, sizeof(sub), "%lld", c.submission);
	cli_table t;
	cli_table_init(&t, 2, NULL);
	cli_table_row(&t, "certificate", c.number);
	cli_table_row(&t, "holder", holder);
	cli_table_row(&t, "qualification", qual);
	cli_table_row(&t, "issued", c.issued);
	cli_table_row(&t, "panel", c.panel);
	cli_table_row(&t, "approved by", c.approved_by);
	cli_table_row(&t, "submission", sub);
	cli_table_row(&t, "commit", c.commit);
	cli_table_row(&t, "status", status);
	cli_table_row(&t, "badge", url ? url : "-");
	cli_table_row(&t, "files", dir);
	cli_table_print(&t);
	cli_table_free(&t);
	free(holder);
	free(qual);
	free(status);
	free(url);
	free(dir);
	folio_cert_clear(&c);
	return CLI_OK;
}

/* ------------------------------------------------------------ cert verify, revoke */

static int cmd_cert_verify(cli_ctx *ctx)
{
	const char *number = ctx->args.pos[0];
	char **problems = NULL;
	size_t n = 0;
	if (folio_cert_verify_all(&problems, &n, ctx->site, number) < 0)
		return cli_fail();
	if (ctx->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, json_string(problems[i]));
		cli_json_print(json_pack("{s:s, s:b, s:o}", "number", number, "valid", n == 0, "problems", arr));
	} else if (n == 0) {
		folio_certificate c;
		if (folio_cert_get(&c, ctx->site, number) == 0) {
			printf("certificate %s verified: record, assertion, badge class, issuer, baked badge, and commit %.12s in the "
			       "portfolio of '%s'\n", number, c.commit, c.holder);
			folio_cert_clear(&c);
		}
	}
	if (ctx->json && n)
		cli_error(CLI_FAIL, "certificate '%s' did not verify: %zu problem%s", number, n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n && !ctx->json; i++)
		cli_error(CLI_FAIL, "certificate '%s': %s", number, problems[i]);
	folio_cert_problems_free(problems, n);
	return n ? CLI_FAIL : CLI_OK;
}

static int cmd_cert_revoke(cli_ctx *ctx)
{
	const char *reason = cli_get(ctx, "reason");
	if (!reason)
		return cli_error(CLI_USAGE, "'folio cert revoke' needs --reason TEXT");
	if (folio_cert_revoke(ctx->site, ctx->args.pos[0], reason) < 0)
		return cli_fail();
	printf("revoked certificate %s: %s\n", ctx->args.pos[0], reason);
	return CLI_OK;
}

/* ------------------------------------------------------------ cert issuer */

static int cmd_cert_issuer(cli_ctx *ctx)
{
	folio_cert_issuer set = { (char *)cli_get(ctx, "name"), (char *)cli_get(ctx, "url"), (char *)cli_get(ctx, "email"),
		(char *)cli_get(ctx, "base-url") };
	folio_cert_issuer iss;
	int changed = set.name || set.url || set.email || set.base_url;

	if (changed && folio_cert_issuer_set(ctx->site, &set) < 0)
		return cli_fail();
	if (folio_cert_issuer_get(&iss, ctx->site) < 0)
		return cli_fail();
	if (ctx->json) {
		int rc = cli_json_print(json_pack("{s:s, s:s, s:o, s:s}", "name", iss.name, "url", iss.url, "email",
			cli_json_str(iss.email), "base_url", iss.base_url));
		folio_cert_issuer_clear(&iss);
		return rc;
	}
	if (changed)
		printf("badge issuer updated (certificates issued from now on use it)\n");
	cli_table t;
	cli_table_init(&t, 2, NULL);
	cli_table_row(&t, "name", iss.name);
	cli_table_row(&t, "url", iss.url);
	cli_table_row(&t, "email", iss.email ? iss.email : "(none: set one with --email)");
	cli_table_row(&t, "base url", iss.base_url);
	cli_table_print(&t);
	cli_table_free(&t);
	folio_cert_issuer_clear(&iss);
	return CLI_OK;
}

/* ------------------------------------------------------------ table */

static const cli_opt revoke_opts[] = {
	{ "reason", "TEXT", 0, "why the certificate is revoked (published in the hosted badge)" },
	CLI_OPT_END
};
static const cli_opt issuer_opts[] = {
	{ "name", "NAME", 0, "the issuer's name in the badge profile" },
	{ "url", "URL", 0, "the issuer's web site" },
	{ "email", "EMAIL", 0, "the issuer's contact email" },
	{ "base-url", "URL", 0, "where the badge files are hosted (assertions at URL/assertions/NUMBER.json)" },
	CLI_OPT_END
};

const cli_command cli_cert_commands[] = {
	{ "approve", NULL, cmd_approve, CLI_SITE, 1, 1, "SUBMISSION",
	  "approve a recommended submission (lead; never your own)", NULL, 0 },
	{ "certify", NULL, cmd_certify, CLI_SITE, 1, 1, "SUBMISSION",
	  "issue the certificate and Open Badge of an approved submission (lead or admin)", NULL, 1 },
	{ "cert", "list", cmd_cert_list, CLI_SITE, 0, 0, "", "list certificates (your own; leads and admins: all)", NULL, 1 },
	{ "cert", "show", cmd_cert_show, CLI_SITE, 1, 1, "NUMBER", "show a certificate", NULL, 1 },
	{ "cert", "verify", cmd_cert_verify, CLI_SITE, 1, 1, "NUMBER",
	  "check a certificate: record, badge files, baked badge, pinned commit", NULL, 1 },
	{ "cert", "revoke", cmd_cert_revoke, CLI_SITE, 1, 1, "NUMBER --reason TEXT", "revoke a certificate (lead)",
	  revoke_opts, 0 },
	{ "cert", "issuer", cmd_cert_issuer, CLI_SITE, 0, 0, "[--name N] [--url URL] [--email E] [--base-url URL]",
	  "show the Open Badges issuer; an admin changes it", issuer_opts, 1 },
	{ NULL, NULL, NULL, 0, 0, 0, NULL, NULL, NULL, 0 }
};
