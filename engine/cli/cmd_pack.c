/* engine/cli/cmd_pack.c: folio pack SUBMISSION|MENTOR, folio pack --panel PANEL, folio cert print NUMBER. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static json_t *written_json(const char *dir, const folio_pack_page *pages, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(dir) + strlen(pages[i].name) + 2;
		char *path = malloc(len);
		if (!path)
			abort();
		snprintf(path, len, "%s/%s", dir, pages[i].name);
		json_array_append_new(arr, json_string(path));
		free(path);
	}
	return arr;
}

static int cmd_pack(cli_ctx *ctx)
{
	const char *out = cli_get(ctx, "out"), *panel = cli_get(ctx, "panel"), *reviewer = cli_get(ctx, "reviewer");
	const char *target = ctx->args.npos ? ctx->args.pos[0] : NULL;
	folio_pack_page *pages = NULL;
	size_t n = 0;
	int rc = CLI_OK;

	if (!out)
		return cli_error(CLI_USAGE, "'folio pack' needs --out DIR");
	if (!!target == !!panel)
		return cli_error(CLI_USAGE, "'folio pack' needs a submission number or a mentor id, or --panel PANEL (not both)");
	if (reviewer && !panel)
		return cli_error(CLI_USAGE, "'folio pack --reviewer' goes with --panel PANEL");

	if (panel) {
		if (folio_pack_panel(&pages, &n, ctx->site, panel, reviewer) < 0)
			return cli_fail();
	} else {
		pages = calloc(1, sizeof(*pages));
		if (!pages)
			abort();
		n = 1;
		if (folio_pack_file_name(&pages[0].name, ctx->site, target) < 0 ||
		    folio_pack_render(&pages[0].html, &pages[0].len, ctx->site, target) < 0) {
			rc = cli_fail();
			goto cleanup;
		}
	}
	if (folio_pack_write(out, pages, n) < 0) {
		rc = cli_fail();
		goto cleanup;
	}
	if (ctx->json) {
		rc = cli_json_print(json_pack("{s:o}", "written", written_json(out, pages, n)));
	} else if (panel) {
		printf("wrote %s/%s and %zu portfolio page%s\n", out, pages[0].name, n - 1, n == 2 ? "" : "s");
	} else {
		printf("wrote %s/%s\n", out, pages[0].name);
	}
cleanup:
	folio_pack_pages_free(pages, n);
	return rc;
}

/* Write a whole file under a temporary name, then rename: a failed print leaves nothing behind. */
static int write_whole(const char *path, const char *data, size_t len)
{
	size_t n = strlen(path) + 32;
	char *tmp = malloc(n);
	FILE *f;
	int ok;
	if (!tmp)
		abort();
	snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
	if (!(f = fopen(tmp, "wb"))) {
		int e = errno;
		free(tmp);
		return cli_error(CLI_FAIL, "cannot write '%s': %s", path, strerror(e));
	}
	ok = fwrite(data, 1, len, f) == len;
	ok = (fclose(f) == 0) && ok;
	if (!ok || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		free(tmp);
		return cli_error(CLI_FAIL, "cannot write '%s': %s", path, strerror(e));
	}
	free(tmp);
	return CLI_OK;
}

static int cmd_cert_print(cli_ctx *ctx)
{
	const char *out = cli_get(ctx, "out");
	char *html = NULL;
	size_t len = 0;
	struct stat sb;
	int rc;

	if (!out)
		return cli_error(CLI_USAGE, "'folio cert print' needs --out FILE.html");
	if (stat(out, &sb) == 0 && S_ISDIR(sb.st_mode))
		return cli_error(CLI_FAIL, "cannot write '%s': it is a directory (give a file name, e.g. %s/%s.html)", out, out,
			ctx->args.pos[0]);
	if (folio_cert_print_html(&html, &len, ctx->site, ctx->args.pos[0]) < 0)
		return cli_fail();
	rc = write_whole(out, html, len);
	free(html);
	if (rc == CLI_OK) {
		if (ctx->json)
			rc = cli_json_print(json_pack("{s:s, s:s}", "number", ctx->args.pos[0], "written", out));
		else
			printf("wrote %s\n", out);
	}
	return rc;
}

static const cli_opt pack_opts[] = {
	{ "out", "DIR", 0, "directory to write into (created if missing)" },
	{ "panel", "PANEL", 0, "pack a panel: an index of the queue and one page per portfolio" },
	{ "reviewer", "ID", 0, "with --panel: whose queue (leads and admins; default: your own, or the whole panel)" },
	CLI_OPT_END
};
static const cli_opt print_opts[] = {
	{ "out", "FILE", 0, "the HTML file to write" },
	CLI_OPT_END
};

const cli_command cli_pack_commands[] = {
	{ "pack", NULL, cmd_pack, CLI_SITE, 0, 1, "SUBMISSION|MENTOR --out DIR | --panel PANEL [--reviewer ID] --out DIR",
	  "write a self-contained HTML pack of a portfolio, or of a panel's queue", pack_opts, 1 },
	{ "cert", "print", cmd_cert_print, CLI_SITE, 1, 1, "NUMBER --out FILE.html",
	  "write a printable A4 certificate with its badge (the holder, leads, admins)", print_opts, 1 },
	{ NULL, NULL, NULL, 0, 0, 0, NULL, NULL, NULL, 0 }
};
