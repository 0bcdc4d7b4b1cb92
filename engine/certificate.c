/* engine/certificate.c: approval by a lead, certificates, and their Open Badges 2.0 files (issuer, BadgeClass, Assertion, baked SVG). */
#include "folio/certificate.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "folio/people.h"
#include "folio/portfolio.h"
#include "gitutil.h"
#include "pack_internal.h"
#include "util.h"
#include "workflow_internal.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define OB_CONTEXT "https://w3id.org/openbadges/v2"
#define OB_SVG_NS "http://openbadges.org"
#define SALT_BYTES 16

/* ------------------------------------------------------------ small helpers */

/* Now, ISO 8601 with the local zone ("2027-06-16T14:03:22+01:00", "…Z" in UTC); FOLIO_TODAY moves the date, as for panels. */
static char *cert_now(void)
{
	char date[11], clock[16], zone[8];
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	folio_today(date);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	if (strcmp(zone, "+0000") == 0 || strlen(zone) != 5)
		return folio_asprintf("%sT%sZ", date, clock);
	return folio_asprintf("%sT%s%.3s:%s", date, clock, zone, zone + 3);
}

static char *lower_dup(const char *s)
{
	char *d = folio_strdup(s);
	for (char *p = d; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	return d;
}

static int path_exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

static int write_file(const char *dir, const char *name, const char *data, size_t len)
{
	char *path = folio_asprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	int error = 0;
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		error = folio_error_set(FOLIO_ERROR, "cannot write '%s': %s", path, strerror(errno));
		if (f)
			fclose(f);
	}
	free(path);
	return error;
}

/* JSON text as folio writes it: two-space indent, keys in the order built. Caller frees. */
static char *json_text(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!s) {
		fputs("folio: out of memory\n", stderr);
		abort();
	}
	return s;
}

static int write_json(const char *dir, const char *name, const json_t *v)
{
	char *s = json_text(v);
	folio_buf b = FOLIO_BUF_INIT;
	folio_buf_puts(&b, s);
	folio_buf_putc(&b, '\n');
	int error = write_file(dir, name, b.ptr, b.size);
	folio_buf_free(&b);
	free(s);
	return error;
}

static void xml_escape(folio_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': folio_buf_puts(b, "&amp;"); break;
		case '<': folio_buf_puts(b, "&lt;"); break;
		case '>': folio_buf_puts(b, "&gt;"); break;
		case '"': folio_buf_puts(b, "&quot;"); break;
		case '\'': folio_buf_puts(b, "&#39;"); break;
		default: folio_buf_putc(b, *s);
		}
	}
}

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The object's string member equals want. */
static int jstr_is(const json_t *o, const char *key, const char *want)
{
	const char *v = jstr(o, key);
	return v && want && strcmp(v, want) == 0;
}

static char *hash_identity(const char *email, const char *salt)
{
	char hex[65];
	char *in = folio_asprintf("%s%s", email, salt);
	folio_sha256_hex(hex, in, strlen(in));
	free(in);
	return folio_asprintf("sha256$%s", hex);
}

static const char *number_word(size_t n)
{
	static const char *const words[] = { "no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten" };
	return n < sizeof(words) / sizeof(words[0]) ? words[n] : NULL;
}

/* ------------------------------------------------------------ refusals */

/*
 * A change refused by a rule (not by a role: folio_site_deny records those)
 * is rolled back, then recorded on its own, so the audit log shows every
 * refused attempt while the refused change leaves nothing else behind.
 */
static int refused(folio_site *site, const char *object, int error)
{
	char *msg;
	if (error == FOLIO_EDENIED || error == FOLIO_ERROR) {
		folio_tx_rollback(site);
		return error;
	}
	msg = folio_strdup(folio_error_last());
	folio_tx_rollback(site);
	if (folio_tx_begin(site) == 0) {
		if (folio_audit_append(site, "refused", object, msg) == 0)
			folio_tx_commit(site);
		else
			folio_tx_rollback(site);
	}
	folio_error_set(error, "%s", msg);
	free(msg);
	return error;
}

/* ------------------------------------------------------------ issuer settings */

static const char *const issuer_keys[] = { "badge_issuer_name", "badge_issuer_url", "badge_issuer_email", "badge_base_url" };

static int meta_get(char **out, folio_site *site, const char *key)
{
	sqlite3_stmt *st = NULL;
	int error, rc;
	*out = NULL;
	if ((error = folio_db_prepare(site, &st, "SELECT value FROM meta WHERE key = ?1")) < 0)
		return error;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = folio_db_col_dup(st, 0);
	else if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read the site settings");
	sqlite3_finalize(st);
	return error;
}

static int meta_set(folio_site *site, const char *key, const char *value)
{
	sqlite3_stmt *st = NULL;
	int error;
	if ((error = folio_db_prepare(site, &st, "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)")) < 0)
		return error;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		error = folio_db_error(site, "cannot change the site settings");
	sqlite3_finalize(st);
	return error;
}

/* "https://host/path" -> "https://host". */
static char *url_origin(const char *url)
{
	const char *host = strstr(url, "://");
	host = host ? host + 3 : url;
	return folio_strndup(url, (size_t)(host - url) + strcspn(host, "/?#"));
}

/* An absolute http(s) URL with a host and nothing that would need quoting in JSON, XML or a header. */
static int url_valid(const char *u)
{
	const char *host;
	if (strncmp(u, "https://", 8) == 0)
		host = u + 8;
	else if (strncmp(u, "http://", 7) == 0)
		host = u + 7;
	else
		return 0;
	if (!*host || *host == '/')
		return 0;
	for (const unsigned char *p = (const unsigned char *)u; *p; p++)
		if (*p <= 0x20 || *p == 0x7f || strchr("\"'<>\\`{}|^", *p))
			return 0;
	return 1;
}

int folio_cert_issuer_get(folio_cert_issuer *out, folio_site *site)
{
	char *vals[4] = { NULL, NULL, NULL, NULL };
	sqlite3_stmt *st = NULL;
	int error = 0;

	memset(out, 0, sizeof(*out));
	if (!site->actor)
		return folio_site_deny(site, "read the badge issuer", "");
	for (int i = 0; i < 4 && error == 0; i++)
		error = meta_get(&vals[i], site, issuer_keys[i]);
	if (error < 0)
		goto cleanup;
	out->base_url = vals[3] ? vals[3] : folio_strdup(FOLIO_BADGE_BASE_URL);
	out->name = vals[0] ? vals[0] : folio_strdup("folio");
	out->url = vals[1] ? vals[1] : url_origin(out->base_url);
	out->email = vals[2];
	memset(vals, 0, sizeof(vals));
	if (!out->email) {
		if ((error = folio_db_prepare(site, &st,
			"SELECT p.email FROM person p JOIN person_role r ON r.person = p.id AND r.role = 'admin'"
			" WHERE p.email IS NOT NULL ORDER BY p.created, p.id LIMIT 1")) < 0)
			goto cleanup;
		if (sqlite3_step(st) == SQLITE_ROW)
			out->email = folio_db_col_dup(st, 0);
	}
cleanup:
	sqlite3_finalize(st);
	for (int i = 0; i < 4; i++)
		free(vals[i]);
	if (error < 0)
		folio_cert_issuer_clear(out);
	return error;
}

void folio_cert_issuer_clear(folio_cert_issuer *issuer)
{
	if (!issuer)
		return;
	free(issuer->name);
	free(issuer->url);
	free(issuer->email);
	free(issuer->base_url);
	memset(issuer, 0, sizeof(*issuer));
}

int folio_cert_issuer_set(folio_site *site, const folio_cert_issuer *c)
{
	folio_buf detail = FOLIO_BUF_INIT;
	char *base = NULL;
	int error;

	if ((error = folio_site_require(site, FOLIO_ROLE_ADMIN, "set the badge issuer")) < 0)
		return error;
	if (c->name) {
		int ok = *c->name != '\0' && strlen(c->name) <= 200;
		for (const unsigned char *p = (const unsigned char *)c->name; *p && ok; p++)
			ok = *p >= 0x20 && *p != 0x7f;
		if (!ok)
			return folio_error_set(FOLIO_EINVALID, "invalid issuer name '%s': one line of at most 200 characters",
				c->name);
		if ((error = folio_text_valid("the issuer name", c->name)) < 0)
			return error; /* it goes into every badge's JSON */
	}
	if (c->url && !url_valid(c->url))
		return folio_error_set(FOLIO_EINVALID, "invalid issuer url '%s': use an http(s) URL", c->url);
	if (c->email && !folio_email_valid(c->email))
		return folio_text_valid("the issuer email", c->email) < 0
			? FOLIO_EINVALID /* its bytes are not repeated in the message */
			: folio_error_set(FOLIO_EINVALID, "invalid issuer email '%s'", c->email);
	if (c->base_url) {
		base = folio_strdup(c->base_url);
		for (size_t n = strlen(base); n > 0 && base[n - 1] == '/'; n--)
			base[n - 1] = '\0';
		if (!url_valid(base) || strchr(base, '?') || strchr(base, '#')) {
			error = folio_error_set(FOLIO_EINVALID,
				"invalid badge base url '%s': use an http(s) URL without query or fragment", c->base_url);
			free(base);
			return error;
		}
	}
	const char *vals[4] = { c->name, c->url, c->email, base };
	if ((error = folio_tx_begin(site)) < 0)
		goto cleanup;
	for (int i = 0; i < 4 && error == 0; i++)
		if (vals[i]) {
			error = meta_set(site, issuer_keys[i], vals[i]);
			folio_buf_printf(&detail, "%s%s = '%s'", detail.size ? ", " : "", issuer_keys[i], vals[i]);
		}
	if (error == 0 && detail.size)
		error = folio_audit_append(site, "badge.issuer", "site", detail.ptr);
	if (error == 0)
		error = folio_tx_commit(site);
	else
		folio_tx_rollback(site);
cleanup:
	folio_buf_free(&detail);
	free(base);
	return error;
}

/* ------------------------------------------------------------ submissions, people */

typedef struct {
	long long id;
	char *mentor, *qualification, *panel, *state, *approved_by, *approved;
	char commit[41];
} sub_row;

static void sub_clear(sub_row *s)
{
	free(s->mentor);
	free(s->qualification);
	free(s->panel);
	free(s->state);
	free(s->approved_by);
	free(s->approved);
	memset(s, 0, sizeof(*s));
}

static int sub_read(sub_row *out, folio_site *site, long long id)
{
	sqlite3_stmt *st = NULL;
	int error, rc;
	memset(out, 0, sizeof(*out));
	if ((error = folio_db_prepare(site, &st,
		"SELECT mentor, qualification, panel, commit_id, state, approved_by, approved FROM submission WHERE id = ?1")) < 0)
		return error;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->id = id;
		out->mentor = folio_db_col_dup(st, 0);
		out->qualification = folio_db_col_dup(st, 1);
		out->panel = folio_db_col_dup(st, 2);
		snprintf(out->commit, sizeof(out->commit), "%s", (const char *)sqlite3_column_text(st, 3));
		out->state = folio_db_col_dup(st, 4);
		out->approved_by = folio_db_col_dup(st, 5);
		out->approved = folio_db_col_dup(st, 6);
	} else if (rc == SQLITE_DONE) {
		error = folio_error_set(FOLIO_ENOTFOUND, "no submission %lld in site '%s'", id, site->path);
	} else {
		error = folio_db_error(site, "cannot read submissions");
	}
	sqlite3_finalize(st);
	return error;
}

static char *sub_object(const sub_row *s, long long id)
{
	return s->mentor ? folio_asprintf("submission:%lld (%s)", id, s->mentor) : folio_asprintf("submission:%lld", id);
}

/* ------------------------------------------------------------ approval */

int folio_approve(folio_site *site, long long id)
{
	sub_row s = { 0 };
	sqlite3_stmt *st = NULL;
	char *action = folio_asprintf("approve submission %lld", id), *obj = NULL, *now = NULL, *detail = NULL;
	int error;

	if ((error = folio_site_require(site, FOLIO_ROLE_LEAD, action)) < 0)
		goto cleanup;
	if ((error = folio_tx_begin(site)) < 0)
		goto cleanup;
	error = sub_read(&s, site, id);
	obj = sub_object(&s, id);
	if (error < 0)
		goto refuse;
	/* the rule is about the person, whoever they act as */
	if (strcmp(s.mentor, site->actor) == 0 || (site->real && strcmp(s.mentor, site->real) == 0)) {
		char *why = strcmp(s.mentor, site->actor) == 0
			? folio_strdup("a lead may not approve their own submission")
			: folio_asprintf("a lead may not approve their own submission, and it is the submission of '%s'",
				s.mentor);
		folio_tx_rollback(site);
		error = folio_site_deny(site, action, why);
		free(why);
		goto cleanup;
	}
	if (strcmp(s.state, "recommended") != 0) {
		error = folio_error_set(FOLIO_ECONFLICT,
			"submission %lld is %s, so it cannot be approved: only a recommended submission can", id, s.state);
		goto refuse;
	}
	if (s.approved_by) {
		error = folio_error_set(FOLIO_ECONFLICT, "submission %lld was already approved by '%s' on %s", id,
			s.approved_by, s.approved ? s.approved : "?");
		goto refuse;
	}
	now = cert_now();
	if ((error = folio_db_prepare(site, &st,
		"UPDATE submission SET approved_by = ?2, approved = ?3 WHERE id = ?1")) < 0)
		goto refuse;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, site->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		error = folio_db_error(site, "cannot record the approval");
		goto refuse;
	}
	detail = folio_asprintf("%s approved by lead '%s'; stays recommended until certified", s.qualification,
		site->actor);
	if ((error = folio_audit_change(site, "submission.approve", obj, NULL, NULL, s.commit, detail)) < 0 ||
	    (error = folio_tx_commit(site)) < 0)
		goto refuse;
	goto cleanup;
refuse:
	error = refused(site, obj, error);
cleanup:
	sqlite3_finalize(st);
	sub_clear(&s);
	free(action);
	free(obj);
	free(now);
	free(detail);
	return error;
}

/* ------------------------------------------------------------ reading certificates */

void folio_cert_clear(folio_certificate *c)
{
	if (!c)
		return;
	free(c->number);
	free(c->holder);
	free(c->holder_name);
	free(c->qualification);
	free(c->issued);
	free(c->panel);
	free(c->approved_by);
	free(c->revoked);
	free(c->revoked_reason);
	free(c->assertion);
	memset(c, 0, sizeof(*c));
}

void folio_certs_free(folio_certificate *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		folio_cert_clear(&c[i]);
	free(c);
}

#define CERT_COLUMNS \
	"SELECT c.number, c.submission, c.holder, p.name, c.qualification, c.issued, c.panel, c.approved_by," \
	" c.commit_id, c.revoked, c.revoked_reason, c.assertion FROM certificate c JOIN person p ON p.id = c.holder"

static void cert_from_row(folio_certificate *c, sqlite3_stmt *st)
{
	memset(c, 0, sizeof(*c));
	c->number = folio_db_col_dup(st, 0);
	c->submission = sqlite3_column_int64(st, 1);
	c->holder = folio_db_col_dup(st, 2);
	c->holder_name = folio_db_col_dup(st, 3);
	c->qualification = folio_db_col_dup(st, 4);
	c->issued = folio_db_col_dup(st, 5);
	c->panel = folio_db_col_dup(st, 6);
	c->approved_by = folio_db_col_dup(st, 7);
	snprintf(c->commit, sizeof(c->commit), "%s", (const char *)sqlite3_column_text(st, 8));
	c->revoked = folio_db_col_dup(st, 9);
	c->revoked_reason = folio_db_col_dup(st, 10);
	c->assertion = folio_db_col_dup(st, 11);
}

/* The row, without a permission check. */
static int cert_read(folio_certificate *out, folio_site *site, const char *number)
{
	sqlite3_stmt *st = NULL;
	int error, rc;
	memset(out, 0, sizeof(*out));
	if ((error = folio_db_prepare(site, &st, CERT_COLUMNS " WHERE c.number = ?1")) < 0)
		return error;
	folio_db_bind_text(st, 1, number);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		cert_from_row(out, st);
	else if (rc == SQLITE_DONE)
		error = folio_error_set(FOLIO_ENOTFOUND, "no certificate '%s' in site '%s'", number ? number : "", site->path);
	else
		error = folio_db_error(site, "cannot read certificates");
	sqlite3_finalize(st);
	return error;
}

/* The holder, or a lead or admin. */
static int cert_may_see(folio_site *site, const folio_certificate *c, const char *verb)
{
	char *action = folio_asprintf("%s certificate '%s'", verb, c->number);
	int error = folio_site_require_self_or(site, c->holder, FOLIO_ROLE_LEAD | FOLIO_ROLE_ADMIN, action);
	free(action);
	return error;
}

int folio_cert_get(folio_certificate *out, folio_site *site, const char *number)
{
	int error;
	if ((error = cert_read(out, site, number)) < 0)
		return error;
	if ((error = cert_may_see(site, out, "see")) < 0)
		folio_cert_clear(out);
	return error;
}

int folio_cert_list(folio_certificate **out, size_t *n, folio_site *site)
{
	sqlite3_stmt *st = NULL;
	folio_certificate *v = NULL;
	size_t count = 0, cap = 0;
	int error, rc, all;

	*out = NULL;
	*n = 0;
	if (!site->actor)
		return folio_site_deny(site, "list certificates", "");
	all = folio_site_has_role(site, FOLIO_ROLE_LEAD | FOLIO_ROLE_ADMIN);
	if ((error = folio_db_prepare(site, &st, all ? CERT_COLUMNS " ORDER BY c.issued, c.number"
		: CERT_COLUMNS " WHERE c.holder = ?1 ORDER BY c.issued, c.number")) < 0)
		return error;
	if (!all)
		sqlite3_bind_text(st, 1, site->actor, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = folio_grow(v, &cap, count + 1, sizeof(*v));
		cert_from_row(&v[count++], st);
	}
	if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read certificates");
	sqlite3_finalize(st);
	if (error < 0) {
		folio_certs_free(v, count);
		return error;
	}
	*out = v;
	*n = count;
	return 0;
}

char *folio_cert_dir(folio_site *site, const char *number)
{
	return folio_asprintf("%s/certificates/%s", site->path, number);
}

/* ------------------------------------------------------------ the documents */

/* Everything the files of one certificate are made from. */
typedef struct {
	const char *number;
	long long submission;
	const folio_person *holder, *approver;
	const char *approved;      /* when the lead approved */
	const char *certified_by;  /* may be NULL */
	const folio_qualification *qual;
	size_t qual_index;
	const char *issued, *panel, *commit;
	const char *revoked, *revoked_reason;
	const char *base;          /* badge base URL the ids live under */
	const char *issuer_name;
} cert_doc;

static char *url_issuer(const char *base)
{
	return folio_asprintf("%s/issuer.json", base);
}

static char *url_badgeclass(const char *base, const char *qual)
{
	char *q = lower_dup(qual), *u = folio_asprintf("%s/badgeclasses/%s.json", base, q);
	free(q);
	return u;
}

static char *url_assertion(const char *base, const char *number)
{
	return folio_asprintf("%s/assertions/%s.json", base, number);
}

static char *badgeclass_file(const char *qual)
{
	char *q = lower_dup(qual), *f = folio_asprintf("badgeclass-%s.json", q);
	free(q);
	return f;
}

/* The base URL an assertion id lives under: "BASE/assertions/N.json" -> "BASE"; NULL if it is not of that shape. */
static char *base_from_assertion_id(const char *id, const char *number)
{
	char *tail = folio_asprintf("/assertions/%s.json", number), *base = NULL;
	size_t n = id ? strlen(id) : 0, t = strlen(tail);
	if (n > t && strcmp(id + n - t, tail) == 0)
		base = folio_strndup(id, n - t);
	free(tail);
	return base;
}

static json_t *doc_issuer(const folio_cert_issuer *iss, const char *base)
{
	char *id = url_issuer(base);
	json_t *o = json_object();
	json_object_set_new(o, "@context", json_string(OB_CONTEXT));
	json_object_set_new(o, "type", json_string("Issuer"));
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "name", json_string(iss->name));
	json_object_set_new(o, "url", json_string(iss->url));
	json_object_set_new(o, "email", json_string(iss->email));
	free(id);
	return o;
}

static const char *const palette[] = { "#1d3557", "#5b1f4f", "#0b5d3b", "#7a4b00" };

/* The badge graphic; with an assertion it is baked in (Open Badges 2.0 baking: right after the svg start tag). */
static char *doc_svg(const cert_doc *d, const char *assertion_url, const char *assertion)
{
	folio_buf b = FOLIO_BUF_INIT;
	const char *colour = palette[d->qual_index % (sizeof(palette) / sizeof(palette[0]))];

	folio_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	folio_buf_puts(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:openbadges=\"" OB_SVG_NS "\""
			   " width=\"256\" height=\"256\" viewBox=\"0 0 256 256\">\n");
	if (assertion) {
		/* "]]>" can only occur inside a JSON string, where "]]\u003e" means the same */
		folio_buf_puts(&b, "<openbadges:assertion verify=\"");
		xml_escape(&b, assertion_url);
		folio_buf_puts(&b, "\"><![CDATA[\n");
		for (const char *p = assertion; *p; p++) {
			if (strncmp(p, "]]>", 3) == 0) {
				folio_buf_puts(&b, "]]\\u003e");
				p += 2;
			} else {
				folio_buf_putc(&b, *p);
			}
		}
		folio_buf_puts(&b, "\n]]></openbadges:assertion>\n");
	}
	folio_buf_puts(&b, "<title>");
	xml_escape(&b, d->qual->name);
	folio_buf_puts(&b, " (");
	xml_escape(&b, d->qual->id);
	folio_buf_puts(&b, ")</title>\n");
	folio_buf_printf(&b, "<circle cx=\"128\" cy=\"128\" r=\"124\" fill=\"%s\"/>\n", colour);
	folio_buf_puts(&b, "<circle cx=\"128\" cy=\"128\" r=\"110\" fill=\"none\" stroke=\"#e9c46a\" stroke-width=\"5\"/>\n");
	folio_buf_puts(&b, "<g font-family=\"Helvetica, Arial, sans-serif\" text-anchor=\"middle\" fill=\"#ffffff\">\n");
	folio_buf_puts(&b, "<text x=\"128\" y=\"124\" font-size=\"56\" font-weight=\"bold\">");
	xml_escape(&b, d->qual->id);
	folio_buf_puts(&b, "</text>\n<text x=\"128\" y=\"158\" font-size=\"14\">");
	xml_escape(&b, d->qual->name);
	folio_buf_puts(&b, "</text>\n");
	if (assertion) {
		folio_buf_puts(&b, "<text x=\"128\" y=\"190\" font-size=\"12\" fill=\"#e9c46a\">");
		xml_escape(&b, d->number);
		folio_buf_puts(&b, "</text>\n");
	}
	folio_buf_puts(&b, "</g>\n</svg>\n");
	return folio_buf_detach(&b);
}

static char *data_uri_svg(const char *svg)
{
	size_t n = strlen(svg);
	unsigned char *out = folio_malloc(4 * ((n + 2) / 3) + 1);
	int len = EVP_EncodeBlock(out, (const unsigned char *)svg, (int)n);
	char *uri = folio_asprintf("data:image/svg+xml;base64,%.*s", len, (const char *)out);
	free(out);
	return uri;
}

/* One BadgeClass per qualification: criteria name the framework's standards, and align to each. */
static json_t *doc_badgeclass(folio_site *site, const cert_doc *d)
{
	const folio_framework *fw = site->fw;
	const folio_qualification *q = d->qual;
	size_t nstd = folio_framework_standard_count(fw);
	const char *source = folio_framework_source(fw);
	folio_buf desc = FOLIO_BUF_INIT, crit = FOLIO_BUF_INIT;
	char *id = url_badgeclass(d->base, q->id), *issuer = url_issuer(d->base), *svg, *image;
	json_t *o = json_object(), *align = json_array();
	const char *word = number_word(nstd);

	folio_buf_printf(&desc, "%s (%s): awarded for a reflective portfolio that evidences %s, against the %s", q->name,
		q->id, q->focus && *q->focus ? q->focus : "the holder's practice", folio_framework_title(fw));
	if (source && *source)
		folio_buf_printf(&desc, " (%s)", source);
	folio_buf_putc(&desc, '.');

	folio_buf_printf(&crit, "A free-form reflective portfolio, kept in git, showing %s, with evidence linked to each of the ",
		q->focus && *q->focus ? q->focus : "the holder's practice");
	if (word)
		folio_buf_printf(&crit, "%s standards", word);
	else
		folio_buf_printf(&crit, "%zu standards", nstd);
	folio_buf_printf(&crit, " of the %s: ", folio_framework_title(fw));
	for (size_t i = 0; i < nstd; i++) {
		const folio_standard *s = folio_framework_standard(fw, i);
		folio_buf_printf(&crit, "%s%s %s", i ? "; " : "", s->id, s->title);
	}
	folio_buf_puts(&crit, ". ");
	if (nstd && q->min_evidence && q->min_words) {
		int same = 1;
		for (size_t i = 1; i < nstd; i++)
			same &= q->min_evidence[i] == q->min_evidence[0] && q->min_words[i] == q->min_words[0];
		if (same)
			folio_buf_printf(&crit, "Each standard needs at least %zu tagged evidence blocks and %zu words of reflection. ",
				q->min_evidence[0], q->min_words[0]);
		else
			for (size_t i = 0; i < nstd; i++)
				folio_buf_printf(&crit, "%s needs at least %zu tagged evidence blocks and %zu words of reflection. ",
					folio_framework_standard(fw, i)->id, q->min_evidence[i], q->min_words[i]);
	}
	if (q->requires && *q->requires)
		folio_buf_printf(&crit, "Open only to holders of %s. ", q->requires);
	folio_buf_puts(&crit, "A review panel recommended the award and a lead mentor approved it.");

	svg = doc_svg(d, NULL, NULL);
	image = data_uri_svg(svg);
	for (size_t i = 0; i < nstd; i++) {
		const folio_standard *s = folio_framework_standard(fw, i);
		char *name = folio_asprintf("%s: %s", s->id, s->title);
		char *url = folio_asprintf("%s/standards/%s#%s", d->base, folio_framework_id(fw), s->id);
		json_t *a = json_object();
		json_object_set_new(a, "targetName", json_string(name));
		json_object_set_new(a, "targetUrl", json_string(url));
		json_object_set_new(a, "targetDescription", json_string(s->headline && *s->headline ? s->headline : s->title));
		json_object_set_new(a, "targetFramework", json_string(folio_framework_title(fw)));
		json_object_set_new(a, "targetCode", json_string(s->id));
		json_array_append_new(align, a);
		free(name);
		free(url);
	}
	json_object_set_new(o, "@context", json_string(OB_CONTEXT));
	json_object_set_new(o, "type", json_string("BadgeClass"));
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "name", json_string(q->name));
	json_object_set_new(o, "description", json_string(desc.ptr));
	json_object_set_new(o, "image", json_string(image));
	json_object_set_new(o, "criteria", json_pack("{s:s}", "narrative", crit.ptr));
	json_object_set_new(o, "issuer", json_string(issuer));
	json_object_set_new(o, "alignment", align);
	json_object_set_new(o, "tags", json_pack("[s, s]", q->id, folio_framework_id(fw)));
	folio_buf_free(&desc);
	folio_buf_free(&crit);
	free(id);
	free(issuer);
	free(svg);
	free(image);
	return o;
}

/* The Assertion, with a fresh salt for the recipient's hashed email. */
static int doc_assertion(json_t **out, const cert_doc *d)
{
	unsigned char raw[SALT_BYTES];
	char salt[2 * SALT_BYTES + 1];
	char *id, *badge, *identity, *image, *narrative;
	json_t *o, *evidence;

	*out = NULL;
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return folio_error_set(FOLIO_ERROR, "cannot make a salt for the badge: OpenSSL's random generator failed");
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(salt + 2 * i, 3, "%02x", raw[i]);
	id = url_assertion(d->base, d->number);
	badge = url_badgeclass(d->base, d->qual->id);
	identity = hash_identity(d->holder->email, salt);
	image = folio_asprintf("%s/assertions/%s.svg", d->base, d->number);
	narrative = folio_asprintf("Panel %s reviewed the portfolio at commit %s against every standard and recommended %s; "
				   "a lead mentor approved the award.", d->panel, d->commit, d->qual->id);
	evidence = json_pack("[{s:s, s:s, s:s, s:s}]", "name", "Reflective portfolio", "description",
		"The portfolio as reviewed: a git commit, pinned when it was submitted", "narrative", narrative, "genre",
		"Portfolio");

	o = json_object();
	json_object_set_new(o, "@context", json_string(OB_CONTEXT));
	json_object_set_new(o, "type", json_string("Assertion"));
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "recipient", json_pack("{s:s, s:b, s:s, s:s}", "type", "email", "hashed", 1, "salt", salt,
		"identity", identity));
	json_object_set_new(o, "badge", json_string(badge));
	json_object_set_new(o, "issuedOn", json_string(d->issued));
	json_object_set_new(o, "verification", json_pack("{s:s}", "type", "hosted"));
	json_object_set_new(o, "image", json_string(image));
	json_object_set_new(o, "evidence", evidence);
	*out = o;
	free(id);
	free(badge);
	free(identity);
	free(image);
	free(narrative);
	return 0;
}

static json_t *doc_certificate(const cert_doc *d)
{
	char *assertion = url_assertion(d->base, d->number), *badge = url_badgeclass(d->base, d->qual->id);
	json_t *o = json_object();
	json_object_set_new(o, "number", json_string(d->number));
	json_object_set_new(o, "submission", json_integer(d->submission));
	json_object_set_new(o, "holder", json_pack("{s:s, s:s}", "id", d->holder->id, "name", d->holder->name));
	json_object_set_new(o, "qualification", json_pack("{s:s, s:s}", "id", d->qual->id, "name", d->qual->name));
	json_object_set_new(o, "issued", json_string(d->issued));
	json_object_set_new(o, "panel", json_string(d->panel));
	json_object_set_new(o, "approved_by", json_pack("{s:s, s:s}", "id", d->approver->id, "name", d->approver->name));
	json_object_set_new(o, "approved", json_string(d->approved ? d->approved : ""));
	json_object_set_new(o, "certified_by", d->certified_by ? json_string(d->certified_by) : json_null());
	json_object_set_new(o, "commit", json_string(d->commit));
	json_object_set_new(o, "assertion", json_string(assertion));
	json_object_set_new(o, "badge_class", json_string(badge));
	json_object_set_new(o, "revoked", d->revoked ? json_string(d->revoked) : json_null());
	json_object_set_new(o, "revoked_reason", d->revoked_reason ? json_string(d->revoked_reason) : json_null());
	free(assertion);
	free(badge);
	return o;
}

/* The printable certificate (SPEC §7): the same page `cert print` gives. */
static char *doc_html(folio_site *site, const cert_doc *d, const char *svg)
{
	folio_buf b = FOLIO_BUF_INIT;
	folio_certificate c = {
		.number = (char *)d->number, .submission = d->submission, .holder = d->holder->id,
		.holder_name = d->holder->name, .qualification = (char *)d->qual->id, .issued = (char *)d->issued,
		.panel = (char *)d->panel, .approved_by = d->approver->id, .revoked = (char *)d->revoked,
		.revoked_reason = (char *)d->revoked_reason,
	};
	snprintf(c.commit, sizeof(c.commit), "%s", d->commit);
	folio_cert_page_html(&b, site, &c, svg, strlen(svg), d->issuer_name);
	return folio_buf_detach(&b);
}

/*
 * Write a certificate's files into `dir` (created). The issuer profile and
 * BadgeClass are copied from `old_dir` when it has them (a revocation keeps
 * what was issued), else made from `iss` and the framework.
 */
static int write_files(folio_site *site, const char *dir, const cert_doc *d, const folio_cert_issuer *iss,
	const char *assertion, const char *old_dir)
{
	char *bcfile = badgeclass_file(d->qual->id), *url = url_assertion(d->base, d->number);
	char *svg = NULL, *html = NULL, *data = NULL, *from = NULL;
	json_t *v = NULL;
	folio_buf a = FOLIO_BUF_INIT;
	size_t len;
	int error = 0;
	const char *copied[2] = { "issuer.json", bcfile };

	if (mkdir(dir, 0777) < 0) {
		error = folio_error_set(FOLIO_ERROR, "cannot create '%s': %s", dir, strerror(errno));
		goto cleanup;
	}
	for (int i = 0; i < 2 && error == 0; i++) {
		free(from);
		from = old_dir ? folio_asprintf("%s/%s", old_dir, copied[i]) : NULL;
		if (from && folio_read_file(&data, &len, from) == 0) {
			error = write_file(dir, copied[i], data, len);
			free(data);
			data = NULL;
			continue;
		}
		folio_error_clear();
		v = i == 0 ? doc_issuer(iss, d->base) : doc_badgeclass(site, d);
		error = write_json(dir, copied[i], v);
		json_decref(v);
		v = NULL;
	}
	if (error < 0)
		goto cleanup;
	folio_buf_puts(&a, assertion);
	folio_buf_putc(&a, '\n');
	if ((error = write_file(dir, "assertion.json", a.ptr, a.size)) < 0)
		goto cleanup;
	svg = doc_svg(d, url, assertion);
	if ((error = write_file(dir, "badge.svg", svg, strlen(svg))) < 0)
		goto cleanup;
	v = doc_certificate(d);
	if ((error = write_json(dir, "certificate.json", v)) < 0)
		goto cleanup;
	html = doc_html(site, d, svg);
	error = write_file(dir, "certificate.html", html, strlen(html));
cleanup:
	json_decref(v);
	folio_buf_free(&a);
	free(bcfile);
	free(url);
	free(svg);
	free(html);
	free(from);
	return error;
}

static int certificates_dir(folio_site *site, char **out)
{
	*out = folio_asprintf("%s/certificates", site->path);
	if (mkdir(*out, 0777) < 0 && errno != EEXIST)
		return folio_error_set(FOLIO_ERROR, "cannot create '%s': %s", *out, strerror(errno));
	return 0;
}

/*
 * Finish or undo what a certify or revoke that died (SIGKILL, power loss)
 * left in certificates/. Called inside the caller's write transaction, so the
 * database is the truth; `.new-`/`.old-` entries whose process still runs are
 * left to it (certify moves its files in after its COMMIT).
 * - `.new-NUMBER-PID`: files not yet moved into place. When the database
 *   holds NUMBER with this very assertion and NUMBER is missing, the
 *   certify committed: they move in. Otherwise they are removed.
 * - `.old-NUMBER-PID`: a revoke's previous files. If NUMBER/assertion.json is
 *   the assertion the database holds, the revoke committed and the old files
 *   go; otherwise it never committed and they come back as NUMBER.
 * - NUMBER with folio's files but no row and no audit row of its issue:
 *   never issued: removed, so that no hosted assertion stands for it and
 *   the number can be issued. (An issued certificate whose portfolio was
 *   archived and removed keeps its files, so its badge still resolves.)
 * Best effort: what cannot be tidied stays and is named by the next error.
 */
static void certs_recover(folio_site *site)
{
	char *certs = folio_asprintf("%s/certificates", site->path);
	DIR *d = opendir(certs);
	struct dirent *e;
	sqlite3_stmt *st = NULL;

	if (!d || folio_db_prepare(site, &st, "SELECT (SELECT assertion FROM certificate WHERE number = ?1),"
		" EXISTS (SELECT 1 FROM audit WHERE action = 'certificate.issue' AND object = 'certificate:' || ?1)") < 0) {
		if (d)
			closedir(d);
		free(certs);
		folio_error_clear();
		return;
	}
	while ((e = readdir(d)) != NULL) {
		const char *name = e->d_name, *dash = strrchr(name, '-');
		int is_new = strncmp(name, ".new-", 5) == 0, is_old = strncmp(name, ".old-", 5) == 0;
		char *path, *number, *dest, *file, *text = NULL;
		const char *stored = NULL;
		size_t len = 0;
		int same = 0, issued = 0;

		if (is_new || is_old) {
			long pid = dash > name + 5 ? strtol(dash + 1, NULL, 10) : 0;
			if (pid <= 0)
				continue;
			if (pid != (long)getpid() && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
				continue; /* its process is alive and will finish */
			number = folio_strndup(name + 5, (size_t)(dash - name - 5));
		} else if (name[0] != '.') {
			number = folio_strdup(name);
		} else {
			continue;
		}
		path = folio_asprintf("%s/%s", certs, name);
		dest = folio_asprintf("%s/%s", certs, number);
		/* a .new- directory is compared by its own assertion, the others by NUMBER's */
		file = folio_asprintf("%s/assertion.json", is_new ? path : dest);
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, number, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW) {
			stored = (const char *)sqlite3_column_text(st, 0);
			issued = sqlite3_column_int(st, 1);
		}
		if (folio_read_file(&text, &len, file) == 0 && stored)
			same = len == strlen(stored) + 1 && memcmp(text, stored, len - 1) == 0;
		if (is_new) {
			if (same && !path_exists(dest))
				rename(path, dest);
			else
				folio_rmtree(path);
		} else if (is_old) {
			if (!stored || same) {
				folio_rmtree(path);
			} else {
				if (path_exists(dest))
					folio_rmtree(dest);
				rename(path, dest);
			}
		} else if (!stored && text && !issued) {
			folio_rmtree(path);
		}
		folio_error_clear();
		free(path);
		free(number);
		free(dest);
		free(file);
		free(text);
	}
	sqlite3_finalize(st);
	closedir(d);
	free(certs);
}

/* ------------------------------------------------------------ the portfolio commit */

/*
 * 0 when `hex` is a commit of the mentor's portfolio reachable from main;
 * otherwise FOLIO_EINVALID (or FOLIO_ERROR) with a message saying which.
 */
static int commit_check(folio_site *site, const char *mentor, const char *hex)
{
	git_repository *repo = NULL;
	git_commit *c = NULL;
	git_oid oid, main_oid;
	char *path = folio_portfolio_repo_path(site, mentor);
	int error = 0, found = 0, rc;

	folio_git_init();
	if (git_repository_open_bare(&repo, path) < 0) {
		error = folio_error_set(FOLIO_EINVALID, "the portfolio repository '%s' is missing or unreadable", path);
		goto cleanup;
	}
	if (strlen(hex) != 40 || git_oid_fromstr(&oid, hex) < 0) {
		error = folio_error_set(FOLIO_EINVALID, "the pinned commit '%s' is not a commit id", hex);
		goto cleanup;
	}
	if ((rc = git_commit_lookup(&c, repo, &oid)) < 0) {
		error = rc == GIT_ENOTFOUND
			? folio_error_set(FOLIO_EINVALID, "the pinned commit %s does not exist in the portfolio of '%s'", hex, mentor)
			: folio_git_error(rc, "cannot read the pinned commit");
		goto cleanup;
	}
	if ((error = folio_git_main(&main_oid, &found, repo)) < 0)
		goto cleanup;
	if (!found || (!git_oid_equal(&main_oid, &oid) && git_graph_descendant_of(repo, &main_oid, &oid) != 1))
		error = folio_error_set(FOLIO_EINVALID,
			"the pinned commit %s is no longer in the history of main in the portfolio of '%s'", hex, mentor);
cleanup:
	git_error_clear();
	git_commit_free(c);
	git_repository_free(repo);
	free(path);
	return error;
}

/* ------------------------------------------------------------ certifying */

static int next_number(char **out, folio_site *site, const char *qual, const char *issued)
{
	sqlite3_stmt *st = NULL;
	char *prefix = folio_asprintf("%s-%.4s-", qual, issued);
	long long seq = 0;
	int error;

	*out = NULL;
	/* numbers of certificates whose portfolio was archived and removed stay taken: their issue is audited */
	if ((error = folio_db_prepare(site, &st,
		"SELECT COALESCE(MAX(n), 0) FROM ("
		" SELECT CAST(substr(number, ?2) AS INTEGER) AS n FROM certificate"
		"  WHERE qualification = ?1 AND substr(number, 1, ?3) = ?4"
		" UNION ALL SELECT CAST(substr(object, 12 + ?2) AS INTEGER) FROM audit"
		"  WHERE action = 'certificate.issue' AND substr(object, 1, 12 + ?3) = 'certificate:' || ?4)")) < 0)
		goto cleanup;
	sqlite3_bind_text(st, 1, qual, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)strlen(prefix) + 1);
	sqlite3_bind_int(st, 3, (int)strlen(prefix));
	sqlite3_bind_text(st, 4, prefix, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		error = folio_db_error(site, "cannot number the certificate");
		goto cleanup;
	}
	seq = sqlite3_column_int64(st, 0) + 1;
	*out = folio_asprintf("%s%04lld", prefix, seq);
cleanup:
	sqlite3_finalize(st);
	free(prefix);
	return error;
}

static size_t qualification_index(const folio_framework *fw, const folio_qualification *q)
{
	for (size_t i = 0; i < folio_framework_qualification_count(fw); i++)
		if (folio_framework_qualification(fw, i) == q)
			return i;
	return 0;
}

static int notify_issued(folio_site *site, const cert_doc *d)
{
	char *url = url_assertion(d->base, d->number);
	char *subject = folio_asprintf("Your %s certificate %s", d->qual->id, d->number);
	char *body = folio_asprintf(
		"Dear %s,\n\n"
		"Congratulations: you have been awarded %s (%s).\n\n"
		"Certificate: %s\n"
		"Issued:      %s\n"
		"Panel:       %s\n"
		"Approved by: %s\n"
		"Portfolio:   commit %s\n\n"
		"Your Open Badge is hosted at %s\n"
		"The badge image carries the same assertion baked in.\n",
		d->holder->name, d->qual->name, d->qual->id, d->number, d->issued, d->panel, d->approver->name, d->commit, url);
	int error = folio_notify(site, d->holder->id, subject, body);
	if (error < 0)
		error = folio_error_set(error, "certificate '%s' was issued, but the message to '%s' could not be written: %s",
			d->number, d->holder->id, folio_error_last());
	free(url);
	free(subject);
	free(body);
	return error;
}

int folio_certify(folio_certificate *out, folio_site *site, long long id)
{
	sub_row s = { 0 };
	folio_person holder = { 0 }, approver = { 0 };
	folio_cert_issuer iss = { 0 };
	cert_doc d;
	sqlite3_stmt *st = NULL;
	json_t *assertion = NULL;
	char *action = folio_asprintf("certify submission %lld", id), *obj = NULL, *number = NULL, *issued = NULL;
	char *certs = NULL, *tmp = NULL, *dest = NULL, *text = NULL, *cobj = NULL, *detail = NULL, *note = NULL;
	const folio_qualification *q;
	static const char *const from[] = { "recommended", NULL };
	int error;

	if (out)
		memset(out, 0, sizeof(*out));
	memset(&d, 0, sizeof(d));
	if ((error = folio_site_require(site, (folio_role)(FOLIO_ROLE_LEAD | FOLIO_ROLE_ADMIN), action)) < 0)
		goto cleanup;
	if ((error = folio_tx_begin(site)) < 0)
		goto cleanup;
	certs_recover(site);
	error = sub_read(&s, site, id);
	obj = sub_object(&s, id);
	if (error < 0)
		goto refuse;
	if (strcmp(s.state, "certified") == 0 || strcmp(s.state, "revoked") == 0) {
		char *num = NULL;
		if (folio_db_prepare(site, &st, "SELECT number FROM certificate WHERE submission = ?1") == 0) {
			sqlite3_bind_int64(st, 1, id);
			if (sqlite3_step(st) == SQLITE_ROW)
				num = folio_db_col_dup(st, 0);
		}
		error = folio_error_set(FOLIO_ECONFLICT, "submission %lld is already %s (certificate '%s')", id, s.state,
			num ? num : "?");
		free(num);
		goto refuse;
	}
	if (strcmp(s.state, "recommended") != 0) {
		error = folio_error_set(FOLIO_ECONFLICT,
			"submission %lld is %s, so it cannot be certified: only a recommended, approved submission can", id, s.state);
		goto refuse;
	}
	if (!s.approved_by) {
		error = folio_error_set(FOLIO_ECONFLICT,
			"submission %lld is not approved: a lead approves it first ('folio approve %lld')", id, id);
		goto refuse;
	}
	if ((error = folio_person_get(&holder, site, s.mentor)) < 0 ||
	    (error = folio_person_get(&approver, site, s.approved_by)) < 0)
		goto refuse;
	if (!holder.email) {
		error = folio_error_set(FOLIO_EINVALID,
			"person '%s' has no email: the badge names its holder by a hash of their email", holder.id);
		goto refuse;
	}
	if (!(q = folio_framework_find_qualification(site->fw, s.qualification))) {
		error = folio_error_set(FOLIO_EINVALID, "qualification '%s' of submission %lld is not in the site's framework",
			s.qualification, id);
		goto refuse;
	}
	if ((error = folio_cert_issuer_get(&iss, site)) < 0)
		goto refuse;
	if (!iss.email) {
		error = folio_error_set(FOLIO_EINVALID,
			"the badge issuer has no email: an admin sets one with 'folio cert issuer --email E'");
		goto refuse;
	}
	if ((error = commit_check(site, s.mentor, s.commit)) < 0)
		goto refuse;

	issued = cert_now();
	if ((error = next_number(&number, site, q->id, issued)) < 0 || (error = certificates_dir(site, &certs)) < 0)
		goto refuse;
	dest = folio_asprintf("%s/%s", certs, number);
	tmp = folio_asprintf("%s/.new-%s-%ld", certs, number, (long)getpid());
	if (path_exists(dest)) {
		error = folio_error_set(FOLIO_EEXISTS,
			"'%s' already exists but no certificate has that number: move it away first", dest);
		goto refuse;
	}
	if (path_exists(tmp))
		folio_rmtree(tmp);

	d.number = number;
	d.submission = id;
	d.holder = &holder;
	d.approver = &approver;
	d.approved = s.approved;
	d.certified_by = site->actor;
	d.qual = q;
	d.qual_index = qualification_index(site->fw, q);
	d.issued = issued;
	d.panel = s.panel;
	d.commit = s.commit;
	d.base = iss.base_url;
	d.issuer_name = iss.name;
	if ((error = doc_assertion(&assertion, &d)) < 0)
		goto refuse;
	text = json_text(assertion);
	folio_crashpoint("certify.files:before");
	if ((error = write_files(site, tmp, &d, &iss, text, NULL)) < 0)
		goto refuse;
	folio_crashpoint("certify.files:written");

	/* the database changes and commits, then the files move into place */
	cobj = folio_asprintf("certificate:%s", number);
	detail = folio_asprintf("%s for '%s' (submission %lld, panel %s), approved by '%s'", q->id, s.mentor, id, s.panel,
		s.approved_by);
	note = folio_asprintf("certificate %s", number);
	if ((error = folio_wf_set_state(site, id, from, "certified", note)) < 0)
		goto refuse;
	sqlite3_finalize(st);
	st = NULL;
	if ((error = folio_db_prepare(site, &st,
		"INSERT INTO certificate(number, submission, holder, qualification, issued, panel, approved_by, commit_id, assertion)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")) < 0)
		goto refuse;
	sqlite3_bind_text(st, 1, number, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_text(st, 3, s.mentor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, q->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, issued, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, s.panel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, s.approved_by, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, s.commit, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, text, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		error = folio_db_error(site, "cannot record the certificate");
		goto refuse;
	}
	folio_crashpoint("certify.row:stored");
	if ((error = folio_audit_change(site, "certificate.issue", cobj, NULL, NULL, s.commit, detail)) < 0)
		goto refuse;
	if ((error = folio_tx_commit(site)) < 0)
		goto refuse;
	/*
	 * Issued: now the files are published. Never before the commit, so no
	 * hosted assertion exists for a number that was not issued; if this
	 * process dies first, the next certify or revoke moves them in.
	 */
	if (rename(tmp, dest) < 0) {
		error = folio_error_set(FOLIO_ERROR, "certificate '%s' was issued, but its files could not be moved to '%s': %s",
			number, dest, strerror(errno));
		goto cleanup;
	}
	folio_crashpoint("certify.files:moved");
	if (out && (error = cert_read(out, site, number)) < 0)
		goto cleanup;
	error = notify_issued(site, &d);
	goto cleanup;

refuse:
	error = refused(site, obj, error);
	if (tmp && path_exists(tmp))
		folio_rmtree(tmp);
cleanup:
	sqlite3_finalize(st);
	json_decref(assertion);
	sub_clear(&s);
	folio_person_clear(&holder);
	folio_person_clear(&approver);
	folio_cert_issuer_clear(&iss);
	free(action);
	free(obj);
	free(number);
	free(issued);
	free(certs);
	free(tmp);
	free(dest);
	free(text);
	free(cobj);
	free(detail);
	free(note);
	return error;
}

/* ------------------------------------------------------------ verifying */

typedef struct {
	char **v;
	size_t n;
} problems;

static void problem(problems *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(problems *p, const char *fmt, ...)
{
	folio_buf b = FOLIO_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	folio_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	p->v = folio_realloc(p->v, (p->n + 1) * sizeof(char *));
	p->v[p->n++] = folio_buf_detach(&b);
}

void folio_cert_problems_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Read and parse DIR/NAME; a problem (and NULL) when it is missing or not JSON. */
static json_t *load_json(problems *p, const char *dir, const char *name)
{
	char *path = folio_asprintf("%s/%s", dir, name), *text = NULL;
	size_t len = 0;
	json_error_t je;
	json_t *v = NULL;
	if (folio_read_file(&text, &len, path) < 0) {
		problem(p, "%s is missing from '%s'", name, dir);
	} else if (!(v = json_loadb(text, len, 0, &je))) {
		problem(p, "%s is not valid JSON (line %d: %s)", name, je.line, je.text);
	} else if (!json_is_object(v)) {
		problem(p, "%s is not a JSON object", name);
		json_decref(v);
		v = NULL;
	}
	folio_error_clear();
	free(path);
	free(text);
	return v;
}

/* "recipient, issuedOn": the top-level members where two objects differ. */
static char *json_diff_keys(const json_t *a, const json_t *b)
{
	folio_buf out = FOLIO_BUF_INIT;
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)a, key, v)
		if (!json_equal(v, json_object_get(b, key)))
			folio_buf_printf(&out, "%s%s", out.size ? ", " : "", key);
	json_object_foreach((json_t *)b, key, v)
		if (!json_object_get(a, key))
			folio_buf_printf(&out, "%s%s", out.size ? ", " : "", key);
	return folio_buf_detach(&out);
}

static void xml_unescape(char *s)
{
	static const struct { const char *ent; char c; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&#39;", '\'' }, { "&apos;", '\'' },
	};
	char *w = s;
	for (const char *r = s; *r;) {
		size_t i;
		for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
			if (strncmp(r, ents[i].ent, strlen(ents[i].ent)) == 0)
				break;
		if (i < sizeof(ents) / sizeof(ents[0])) {
			*w++ = ents[i].c;
			r += strlen(ents[i].ent);
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

/* The assertion baked into an SVG: its verify URL and JSON text (malloc'd); a problem when there is none. */
static int svg_baked(problems *p, const char *svg, char **url, char **json)
{
	const char *el = strstr(svg, "<openbadges:assertion"), *end, *attr, *cdata, *close;
	*url = *json = NULL;
	if (!strstr(svg, "xmlns:openbadges=\"" OB_SVG_NS "\"")) {
		problem(p, "badge.svg does not declare the openbadges namespace (%s)", OB_SVG_NS);
		return -1;
	}
	if (!el || !(end = strchr(el, '>'))) {
		problem(p, "badge.svg has no baked assertion (no openbadges:assertion element)");
		return -1;
	}
	if (strstr(end, "<openbadges:assertion")) {
		problem(p, "badge.svg has more than one openbadges:assertion element");
		return -1;
	}
	attr = strstr(el, " verify=\"");
	if (!attr || attr > end) {
		problem(p, "badge.svg's openbadges:assertion has no verify attribute");
		return -1;
	}
	attr += strlen(" verify=\"");
	*url = folio_strndup(attr, strcspn(attr, "\""));
	xml_unescape(*url);
	cdata = strstr(end, "<![CDATA[");
	close = strstr(end, "</openbadges:assertion>");
	if (!cdata || !close || cdata > close || !strstr(cdata, "]]>") || strstr(cdata, "]]>") > close) {
		problem(p, "badge.svg's openbadges:assertion holds no assertion in CDATA");
		free(*url);
		*url = NULL;
		return -1;
	}
	cdata += strlen("<![CDATA[");
	*json = folio_strndup(cdata, (size_t)(strstr(cdata, "]]>") - cdata));
	return 0;
}

static void check_recipient(problems *p, const json_t *a, const char *name, const folio_person *holder)
{
	const json_t *r = json_object_get(a, "recipient");
	const char *salt = jstr(r, "salt"), *identity = jstr(r, "identity");
	char *want;
	if (!json_is_object(r) || !jstr_is(r, "type", "email") || !json_is_true(json_object_get(r, "hashed")) || !salt ||
	    !identity) {
		problem(p, "%s has no hashed email recipient (type email, hashed true, salt, identity)", name);
		return;
	}
	if (!holder->email) {
		problem(p, "holder '%s' has no email to check the recipient of %s against", holder->id, name);
		return;
	}
	want = hash_identity(holder->email, salt);
	if (strcmp(want, identity) != 0)
		problem(p, "the recipient of %s is not the holder: sha256 of the email of '%s' with its salt does not match",
			name, holder->id);
	free(want);
}

static void verify_files(problems *p, folio_site *site, const folio_certificate *c, const folio_person *holder)
{
	char *dir = folio_cert_dir(site, c->number), *bcname = badgeclass_file(c->qualification);
	char *svg = NULL, *url = NULL, *baked_text = NULL, *diff = NULL;
	json_t *stored = NULL, *file = NULL, *bc = NULL, *iss = NULL, *baked = NULL, *cj = NULL;
	const json_t *a;
	json_error_t je;
	size_t len;
	struct stat sb;

	if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		problem(p, "the certificate's directory '%s' is missing", dir);
		goto cleanup;
	}
	if (!(stored = json_loads(c->assertion ? c->assertion : "", 0, &je)))
		problem(p, "the assertion stored with the certificate is not valid JSON (line %d: %s)", je.line, je.text);

	/* the hosted assertion */
	file = load_json(p, dir, "assertion.json");
	if (file && stored && !json_equal(file, stored)) {
		diff = json_diff_keys(stored, file);
		problem(p, "assertion.json differs from the assertion issued with the certificate (%s)", diff);
	}
	a = file ? file : stored;
	if (a) {
		const char *name = file ? "assertion.json" : "the stored assertion";
		char *base = base_from_assertion_id(jstr(a, "id"), c->number);
		if (!jstr_is(a, "@context", OB_CONTEXT) || !jstr_is(a, "type", "Assertion"))
			problem(p, "%s is not an Open Badges 2.0 Assertion (@context %s, type Assertion)", name, OB_CONTEXT);
		if (!base)
			problem(p, "the id of %s is not BASE/assertions/%s.json", name, c->number);
		if (!json_is_object(json_object_get(a, "verification")) ||
		    !(jstr_is(json_object_get(a, "verification"), "type", "hosted") ||
			    jstr_is(json_object_get(a, "verification"), "type", "HostedBadge")))
			problem(p, "%s does not ask for hosted verification", name);
		if (!jstr(a, "issuedOn"))
			problem(p, "%s has no issuedOn", name);
		check_recipient(p, a, name, holder);
		free(base);
	}

	/* the BadgeClass and the issuer it names */
	bc = load_json(p, dir, bcname);
	if (bc) {
		if (!jstr_is(bc, "@context", OB_CONTEXT) || !jstr_is(bc, "type", "BadgeClass"))
			problem(p, "%s is not an Open Badges 2.0 BadgeClass", bcname);
		if (a && !jstr_is(a, "badge", jstr(bc, "id")))
			problem(p, "the assertion's badge '%s' is not the BadgeClass in %s ('%s')",
				jstr(a, "badge") ? jstr(a, "badge") : "", bcname, jstr(bc, "id") ? jstr(bc, "id") : "");
		if (!json_is_object(json_object_get(bc, "criteria")) || !json_array_size(json_object_get(bc, "alignment")))
			problem(p, "%s has no criteria or no alignment to the standards", bcname);
	}
	iss = load_json(p, dir, "issuer.json");
	if (iss) {
		if (!jstr_is(iss, "@context", OB_CONTEXT) || !(jstr_is(iss, "type", "Issuer") || jstr_is(iss, "type", "Profile")))
			problem(p, "issuer.json is not an Open Badges 2.0 issuer profile");
		if (!jstr(iss, "name") || !jstr(iss, "url") || !jstr(iss, "email"))
			problem(p, "issuer.json lacks a name, url or email");
		if (bc && !jstr_is(bc, "issuer", jstr(iss, "id")))
			problem(p, "the issuer of %s ('%s') is not the profile in issuer.json ('%s')", bcname,
				jstr(bc, "issuer") ? jstr(bc, "issuer") : "", jstr(iss, "id") ? jstr(iss, "id") : "");
	}

	/* the baked badge */
	{
		char *path = folio_asprintf("%s/badge.svg", dir);
		if (folio_read_file(&svg, &len, path) < 0) {
			problem(p, "badge.svg is missing from '%s'", dir);
		} else if (svg_baked(p, svg, &url, &baked_text) == 0) {
			const json_t *want = stored ? stored : file;
			if (!(baked = json_loads(baked_text, 0, &je)))
				problem(p, "the assertion baked into badge.svg is not valid JSON (line %d: %s)", je.line, je.text);
			else if (want && !json_equal(baked, want))
				problem(p, "the assertion baked into badge.svg differs from the assertion issued with the certificate");
			if (want && !jstr_is(want, "id", url))
				problem(p, "badge.svg's verify URL '%s' is not the assertion's id", url);
		}
		folio_error_clear();
		free(path);
	}

	/* the certificate record as a file */
	cj = load_json(p, dir, "certificate.json");
	if (cj && (!jstr_is(cj, "number", c->number) || !jstr_is(cj, "commit", c->commit) ||
		      !jstr_is(json_object_get(cj, "holder"), "id", c->holder) ||
		      !jstr_is(json_object_get(cj, "qualification"), "id", c->qualification)))
		problem(p, "certificate.json does not agree with the record (number, holder, qualification or commit)");
cleanup:
	json_decref(stored);
	json_decref(file);
	json_decref(bc);
	json_decref(iss);
	json_decref(baked);
	json_decref(cj);
	free(dir);
	free(bcname);
	free(svg);
	free(url);
	free(baked_text);
	free(diff);
}

int folio_cert_verify_all(char ***out, size_t *n, folio_site *site, const char *number)
{
	folio_certificate c;
	folio_person holder = { 0 };
	sub_row s = { 0 };
	problems p = { NULL, 0 };
	int error;

	*out = NULL;
	*n = 0;
	if ((error = cert_read(&c, site, number)) < 0)
		return error;
	if ((error = cert_may_see(site, &c, "verify")) < 0)
		goto cleanup;
	if (c.revoked) {
		problem(&p, "revoked on %s: %s", c.revoked, c.revoked_reason ? c.revoked_reason : "no reason recorded");
		goto done;
	}
	/* the record against the submission it certifies */
	if ((error = sub_read(&s, site, c.submission)) < 0) {
		problem(&p, "the record names submission %lld, which does not exist", c.submission);
		error = 0;
	} else {
		if (strcmp(s.state, "certified") != 0)
			problem(&p, "the record's submission %lld is %s, not certified", c.submission, s.state);
		if (strcmp(s.commit, c.commit) != 0)
			problem(&p, "the record's commit %s is not the commit pinned by submission %lld (%s)", c.commit,
				c.submission, s.commit);
		if (strcmp(s.mentor, c.holder) != 0)
			problem(&p, "the record's holder '%s' is not the mentor of submission %lld ('%s')", c.holder,
				c.submission, s.mentor);
	}
	if ((error = folio_person_get(&holder, site, c.holder)) < 0)
		goto cleanup;
	verify_files(&p, site, &c, &holder);
	if (commit_check(site, c.holder, c.commit) < 0) {
		problem(&p, "%s", folio_error_last());
		folio_error_clear();
	}
done:
	*out = p.v;
	*n = p.n;
	p.v = NULL;
	p.n = 0;
cleanup:
	folio_cert_problems_free(p.v, p.n);
	sub_clear(&s);
	folio_person_clear(&holder);
	folio_cert_clear(&c);
	return error;
}

int folio_cert_verify(folio_site *site, const char *number)
{
	char **v = NULL;
	size_t n = 0;
	int error;
	if ((error = folio_cert_verify_all(&v, &n, site, number)) < 0)
		return error;
	if (n == 1)
		error = folio_error_set(FOLIO_EINVALID, "certificate '%s': %s", number, v[0]);
	else if (n > 1)
		error = folio_error_set(FOLIO_EINVALID, "certificate '%s': %s (and %zu more problem%s)", number, v[0], n - 1,
			n == 2 ? "" : "s");
	folio_cert_problems_free(v, n);
	return error;
}

/* ------------------------------------------------------------ revoking */

/* Who issued the certificate, from the audit log (NULL if the row is gone). */
static char *certified_by(folio_site *site, const char *number)
{
	sqlite3_stmt *st = NULL;
	char *obj = folio_asprintf("certificate:%s", number), *who = NULL;
	if (folio_db_prepare(site, &st,
		"SELECT actor FROM audit WHERE action = 'certificate.issue' AND object = ?1 ORDER BY seq LIMIT 1") == 0) {
		sqlite3_bind_text(st, 1, obj, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			who = folio_db_col_dup(st, 0);
	}
	sqlite3_finalize(st);
	free(obj);
	folio_error_clear();
	return who;
}

int folio_cert_revoke(folio_site *site, const char *number, const char *reason)
{
	folio_certificate c = { 0 };
	folio_person holder = { 0 }, approver = { 0 };
	folio_cert_issuer iss = { 0 };
	sub_row s = { 0 };
	cert_doc d;
	sqlite3_stmt *st = NULL;
	json_t *a = NULL, *old_iss = NULL;
	json_error_t je;
	problems ignored = { NULL, 0 };
	char *action = folio_asprintf("revoke certificate '%s'", number ? number : ""), *obj = NULL, *now = NULL;
	char *text = NULL, *certs = NULL, *dest = NULL, *tmp = NULL, *old = NULL, *base = NULL, *by = NULL;
	char *subject = NULL, *body = NULL;
	const folio_qualification *q;
	static const char *const from[] = { "certified", NULL };
	int error, swapped = 0, had_old = 0;

	memset(&d, 0, sizeof(d));
	if ((error = folio_site_require(site, FOLIO_ROLE_LEAD, action)) < 0)
		goto cleanup;
	obj = folio_asprintf("certificate:%s", number ? number : "");
	{
		const char *r = reason ? reason : "";
		while (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r')
			r++;
		if (!*r) {
			error = folio_error_set(FOLIO_EINVALID, "revoking certificate '%s' needs a reason", number ? number : "");
			goto refuse;
		}
		if ((error = folio_text_valid("the reason", reason)) < 0)
			goto refuse;
	}
	if ((error = folio_tx_begin(site)) < 0)
		goto cleanup;
	certs_recover(site);
	if ((error = cert_read(&c, site, number)) < 0)
		goto refuse;
	if (c.revoked) {
		error = folio_error_set(FOLIO_ECONFLICT, "certificate '%s' was already revoked on %s", number, c.revoked);
		goto refuse;
	}
	if (!(a = json_loads(c.assertion, 0, &je)) || !json_is_object(a)) {
		error = folio_error_set(FOLIO_EINVALID, "the assertion stored with certificate '%s' is not valid JSON", number);
		goto refuse;
	}
	if (!(base = base_from_assertion_id(jstr(a, "id"), number))) {
		error = folio_error_set(FOLIO_EINVALID, "the assertion stored with certificate '%s' has an unexpected id", number);
		goto refuse;
	}
	if ((error = sub_read(&s, site, c.submission)) < 0 || (error = folio_person_get(&holder, site, c.holder)) < 0 ||
	    (error = folio_person_get(&approver, site, c.approved_by)) < 0 ||
	    (error = folio_cert_issuer_get(&iss, site)) < 0)
		goto refuse;
	if (!(q = folio_framework_find_qualification(site->fw, c.qualification))) {
		error = folio_error_set(FOLIO_EINVALID, "qualification '%s' of certificate '%s' is not in the site's framework",
			c.qualification, number);
		goto refuse;
	}
	if ((error = folio_wf_set_state(site, c.submission, from, "revoked", reason)) < 0)
		goto refuse;
	now = cert_now();
	json_object_set_new(a, "revoked", json_true());
	json_object_set_new(a, "revocationReason", json_string(reason));
	text = json_text(a);
	if ((error = folio_db_prepare(site, &st,
		"UPDATE certificate SET revoked = ?2, revoked_reason = ?3, assertion = ?4 WHERE number = ?1")) < 0)
		goto refuse;
	sqlite3_bind_text(st, 1, number, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		error = folio_db_error(site, "cannot record the revocation");
		goto refuse;
	}
	if ((error = folio_audit_change(site, "certificate.revoke", obj, NULL, NULL, c.commit, reason)) < 0)
		goto refuse;

	/* the new files beside the old, then swapped in: the old go only once the database committed */
	if ((error = certificates_dir(site, &certs)) < 0)
		goto refuse;
	dest = folio_asprintf("%s/%s", certs, number);
	tmp = folio_asprintf("%s/.new-%s-%ld", certs, number, (long)getpid());
	old = folio_asprintf("%s/.old-%s-%ld", certs, number, (long)getpid());
	if (path_exists(tmp))
		folio_rmtree(tmp);
	if (path_exists(old))
		folio_rmtree(old);
	old_iss = load_json(&ignored, dest, "issuer.json");
	by = certified_by(site, number);
	d.number = number;
	d.submission = c.submission;
	d.holder = &holder;
	d.approver = &approver;
	d.approved = s.approved;
	d.certified_by = by;
	d.qual = q;
	d.qual_index = qualification_index(site->fw, q);
	d.issued = c.issued;
	d.panel = c.panel;
	d.commit = c.commit;
	d.revoked = now;
	d.revoked_reason = reason;
	d.base = base;
	d.issuer_name = jstr(old_iss, "name") ? jstr(old_iss, "name") : iss.name;
	if ((error = write_files(site, tmp, &d, &iss, text, dest)) < 0)
		goto refuse;
	folio_crashpoint("revoke.files:written");
	had_old = path_exists(dest);
	if (had_old && rename(dest, old) < 0) {
		error = folio_error_set(FOLIO_ERROR, "cannot move '%s' aside: %s", dest, strerror(errno));
		goto refuse;
	}
	folio_crashpoint("revoke.old:aside");
	if (rename(tmp, dest) < 0) {
		error = folio_error_set(FOLIO_ERROR, "cannot create '%s': %s", dest, strerror(errno));
		if (had_old)
			rename(old, dest);
		goto refuse;
	}
	swapped = 1;
	folio_crashpoint("revoke.files:swapped");
	if ((error = folio_tx_commit(site)) < 0)
		goto refuse;
	swapped = 0;
	if (had_old)
		folio_rmtree(old);

	subject = folio_asprintf("Your certificate %s has been revoked", number);
	body = folio_asprintf("Dear %s,\n\n"
			      "Your certificate %s (%s, %s) was revoked on %s.\n\n"
			      "Reason: %s\n\n"
			      "The hosted Open Badge now says that it is revoked.\n",
		holder.name, number, q->name, q->id, now, reason);
	if ((error = folio_notify(site, holder.id, subject, body)) < 0)
		error = folio_error_set(error, "certificate '%s' was revoked, but the message to '%s' could not be written: %s",
			number, holder.id, folio_error_last());
	goto cleanup;

refuse:
	error = refused(site, obj, error);
	if (swapped) {
		folio_rmtree(dest);
		if (had_old)
			rename(old, dest);
	} else if (tmp && path_exists(tmp)) {
		folio_rmtree(tmp);
	}
cleanup:
	sqlite3_finalize(st);
	json_decref(a);
	json_decref(old_iss);
	folio_cert_problems_free(ignored.v, ignored.n);
	folio_cert_clear(&c);
	folio_person_clear(&holder);
	folio_person_clear(&approver);
	folio_cert_issuer_clear(&iss);
	sub_clear(&s);
	free(action);
	free(obj);
	free(now);
	free(text);
	free(certs);
	free(dest);
	free(tmp);
	free(old);
	free(base);
	free(by);
	free(subject);
	free(body);
	return error;
}
