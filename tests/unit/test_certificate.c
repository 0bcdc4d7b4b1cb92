/* tests/unit/test_certificate.c: approval, certification, certificate numbers, the Open Badges 2.0 files, verify and revoke. */
#include "support.h"

#include "folio.h"
#include "site_internal.h"     /* the site's sqlite handle: fixtures are inserted directly */
#include "workflow_internal.h"

#include <dirent.h>
#include <git2.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ADMIN_LOGIN "adm-login"
#define OB_CONTEXT "https://w3id.org/openbadges/v2"

/* ------------------------------------------------------------ helpers */

static void write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
	assert_int_equal(fclose(fp), 0);
}

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static size_t dir_count(const char *path, const char *suffix)
{
	DIR *d = opendir(path);
	struct dirent *e;
	size_t n = 0;
	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name), sl = suffix ? strlen(suffix) : 0;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (!suffix || (len > sl && strcmp(e->d_name + len - sl, suffix) == 0))
			n++;
	}
	closedir(d);
	return n;
}

static json_t *load(const char *path)
{
	json_error_t je;
	json_t *v = json_load_file(path, 0, &je);
	if (!v)
		fail_msg("%s does not parse: line %d: %s", path, je.line, je.text);
	return v;
}

static const char *js(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	if (!v)
		fail_msg("no string member '%s'", key);
	return v;
}

/* ------------------------------------------------------------ fixture */

typedef struct {
	char *box, *dir, *certs;
	folio_site *site;
	char commit[41]; /* tip of ann's portfolio */
	char bob_commit[41];
} fx;

static void add_person(folio_site *site, const char *id, const char *name, unsigned roles)
{
	char *email = fmt("%s@example.org", id), *login = fmt("%s-login", id);
	folio_person p = { 0 };
	p.id = (char *)id;
	p.name = (char *)name;
	p.email = email;
	p.login = login;
	p.school = (char *)"brook";
	p.roles = roles;
	if (folio_person_add(site, &p) != 0)
		fail_msg("person add %s: %s", id, folio_error_last());
	free(email);
	free(login);
}

static void act(fx *f, const char *who)
{
	char *login = strcmp(who, "adm") == 0 ? fmt("%s", ADMIN_LOGIN) : fmt("%s-login", who);
	assert_ok(folio_site_act(f->site, login, NULL));
	free(login);
}

static void portfolio(fx *f, const char *mentor, char commit[41])
{
	const char *text = "# Working with my trainee\n\nWe planned the week together. #S1 #S2\n\n"
			   "I modelled feedback and we read research. #S3 #S4\n";
	folio_entry_options o = { NULL, NULL };
	char *path = NULL;
	act(f, "adm");
	assert_ok(folio_portfolio_create(f->site, mentor, "QMS"));
	act(f, mentor);
	if (folio_entry_add(f->site, mentor, text, strlen(text), &o, &path, commit) != 0)
		fail_msg("entry add for %s: %s", mentor, folio_error_last());
	free(path);
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	unsetenv("FOLIO_TODAY");
	f->box = test_tmpdir("certificate");
	f->dir = fmt("%s/site", f->box);
	f->certs = fmt("%s/certificates", f->dir);
	if (test_site_create(&f->site, f->dir, ADMIN_LOGIN) != 0)
		return -1;
	folio_school s = { (char *)"brook", (char *)"Brookfield Primary", FOLIO_PHASE_PRIMARY };
	if (folio_school_add(f->site, &s) != 0)
		return -1;
	add_person(f->site, "ann", "Ann Example", FOLIO_ROLE_MENTOR);
	add_person(f->site, "bob", "Bob Builder", FOLIO_ROLE_MENTOR);
	add_person(f->site, "rev", "Rhea Viewer", FOLIO_ROLE_REVIEWER);
	add_person(f->site, "lea", "Lee Lead", FOLIO_ROLE_LEAD | FOLIO_ROLE_REVIEWER);
	add_person(f->site, "lex", "Lex Leadmentor", FOLIO_ROLE_LEAD | FOLIO_ROLE_MENTOR);
	portfolio(f, "ann", f->commit);
	portfolio(f, "bob", f->bob_commit);
	{
		char c[41];
		portfolio(f, "lex", c);
	}
	test_sql(f->site, "INSERT INTO panel(id, year, term, date, deadline, state) VALUES"
	       " ('2026-summer', 2025, 'summer', '2026-06-17', '2026-05-27', 'concluded')");
	act(f, "adm");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	if (!f)
		return 0;
	unsetenv("FOLIO_TODAY");
	folio_site_free(f->site);
	test_rmdir(f->box);
	free(f->box);
	free(f->dir);
	free(f->certs);
	free(f);
	return 0;
}

/* A submission of `mentor` in `state`, pinned to `commit`, straight into the database. */
static long long submission(fx *f, const char *mentor, const char *qual, const char *commit, const char *state)
{
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(f->site->db,
		"INSERT INTO submission(mentor, qualification, panel, commit_id, state, created)"
		" VALUES (?1, ?2, '2026-summer', ?3, ?4, '2026-05-01T10:00:00Z')", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, mentor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, qual, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, commit, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, state, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	return sqlite3_last_insert_rowid(f->site->db);
}

static char *col_text(fx *f, const char *q, long long id)
{
	sqlite3_stmt *st = NULL;
	char *v = NULL;
	assert_int_equal(sqlite3_prepare_v2(f->site->db, q, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

static void assert_state(fx *f, long long id, const char *want)
{
	char *s = col_text(f, "SELECT state FROM submission WHERE id = ?1", id);
	if (!s || strcmp(s, want) != 0)
		fail_msg("submission %lld is %s, expected %s", id, s ? s : "(none)", want);
	free(s);
}

static long long count(fx *f, const char *q)
{
	sqlite3_stmt *st = NULL;
	long long n;
	assert_int_equal(sqlite3_prepare_v2(f->site->db, q, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* A recommended submission of ann, approved by lea, ready to certify. */
static long long approved(fx *f, const char *mentor, const char *qual, const char *commit)
{
	long long id = submission(f, mentor, qual, commit, "recommended");
	act(f, "lea");
	assert_ok(folio_approve(f->site, id));
	return id;
}

/* Certify as the admin; *out filled. */
static void certify(fx *f, long long id, folio_certificate *out)
{
	act(f, "adm");
	if (folio_certify(out, f->site, id) != 0)
		fail_msg("certify %lld: %s", id, folio_error_last());
}

static char *cert_file(fx *f, const char *number, const char *name)
{
	return fmt("%s/%s/%s", f->certs, number, name);
}

static void hash_hex(char out[65], const char *s)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* The assertion baked into an SVG, parsed independently of the engine; *url gets the verify attribute. */
static json_t *baked(const char *svg, char **url)
{
	const char *el = strstr(svg, "<openbadges:assertion");
	const char *v, *cd, *end;
	json_error_t je;
	assert_non_null(el);
	assert_null(strstr(el + 1, "<openbadges:assertion"));
	v = strstr(el, "verify=\"");
	assert_non_null(v);
	v += 8;
	*url = strndup(v, strcspn(v, "\""));
	cd = strstr(el, "<![CDATA[");
	assert_non_null(cd);
	cd += 9;
	end = strstr(cd, "]]>");
	assert_non_null(end);
	char *text = strndup(cd, (size_t)(end - cd));
	json_t *j = json_loads(text, 0, &je);
	if (!j)
		fail_msg("baked assertion does not parse: %s", je.text);
	free(text);
	return j;
}

/* ------------------------------------------------------------ approve */

static void test_approve_rules(void **state)
{
	fx *f = *state;
	long long ann = submission(f, "ann", "QMS", f->commit, "recommended");
	long long lex = submission(f, "lex", "QMS", f->commit, "recommended");
	long long busy = submission(f, "bob", "QMS", f->bob_commit, "in-review");
	long long denied_before = count(f, "SELECT COUNT(*) FROM audit WHERE action = 'denied'");

	/* not a lead: a reviewer, an admin, the mentor */
	act(f, "rev");
	assert_rc(folio_approve(f->site, ann), FOLIO_EDENIED);
	assert_msg("person 'rev' may not approve submission");
	assert_msg("needs role lead");
	act(f, "adm");
	assert_rc(folio_approve(f->site, ann), FOLIO_EDENIED);
	act(f, "ann");
	assert_rc(folio_approve(f->site, ann), FOLIO_EDENIED);

	/* a lead's own submission, named as the rule */
	act(f, "lex");
	assert_rc(folio_approve(f->site, lex), FOLIO_EDENIED);
	assert_msg("person 'lex' may not approve submission");
	assert_msg("their own submission");
	/* nor through --as: acting as lex, the rule is still lex's */
	assert_ok(folio_site_act(f->site, ADMIN_LOGIN, "lex"));
	assert_rc(folio_approve(f->site, lex), FOLIO_EDENIED);
	assert_msg("their own submission");
	assert_true(count(f, "SELECT COUNT(*) FROM audit WHERE action = 'denied'") >= denied_before + 5);

	/* not recommended; unknown */
	act(f, "lea");
	assert_rc(folio_approve(f->site, busy), FOLIO_ECONFLICT);
	assert_msg("is in-review, so it cannot be approved");
	assert_rc(folio_approve(f->site, 9999), FOLIO_ENOTFOUND);
	assert_msg("no submission 9999");
	assert_true(count(f, "SELECT COUNT(*) FROM audit WHERE action = 'refused'") >= 2);

	/* nothing was recorded by the refusals */
	assert_int_equal(count(f, "SELECT COUNT(*) FROM submission WHERE approved_by IS NOT NULL"), 0);

	/* a lead approves; the state stays recommended; once only */
	assert_ok(folio_approve(f->site, ann));
	assert_state(f, ann, "recommended");
	char *by = col_text(f, "SELECT approved_by FROM submission WHERE id = ?1", ann);
	char *when = col_text(f, "SELECT approved FROM submission WHERE id = ?1", ann);
	assert_string_equal(by, "lea");
	assert_non_null(when);
	free(by);
	free(when);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM audit WHERE action = 'submission.approve' AND actor = 'lea'"
				 " AND commit_id IS NOT NULL"), 1);
	assert_rc(folio_approve(f->site, ann), FOLIO_ECONFLICT);
	assert_msg("already approved by 'lea'");
	/* another lead approves lex's own submission */
	assert_ok(folio_approve(f->site, lex));
	assert_ok(folio_audit_verify(f->site));
}

/* ------------------------------------------------------------ certify */

static void test_certify_rules(void **state)
{
	fx *f = *state;
	long long id = submission(f, "ann", "QMS", f->commit, "recommended");
	long long busy = submission(f, "bob", "QMS", f->bob_commit, "further-evidence");
	folio_certificate c;

	/* not approved */
	act(f, "adm");
	assert_rc(folio_certify(&c, f->site, id), FOLIO_ECONFLICT);
	assert_msg("is not approved");
	/* not recommended */
	assert_rc(folio_certify(&c, f->site, busy), FOLIO_ECONFLICT);
	assert_msg("is further-evidence, so it cannot be certified");
	/* roles: a mentor and a reviewer may not */
	act(f, "lea");
	assert_ok(folio_approve(f->site, id));
	act(f, "ann");
	assert_rc(folio_certify(&c, f->site, id), FOLIO_EDENIED);
	assert_msg("needs role lead or admin");
	act(f, "rev");
	assert_rc(folio_certify(&c, f->site, id), FOLIO_EDENIED);
	/* nothing was issued by the refusals */
	assert_int_equal(count(f, "SELECT COUNT(*) FROM certificate"), 0);
	assert_int_equal(dir_count(f->certs, NULL), 0);
	assert_state(f, id, "recommended");

	/* a lead certifies */
	act(f, "lea");
	assert_ok(folio_certify(&c, f->site, id));
	assert_state(f, id, "certified");
	assert_string_equal(c.holder, "ann");
	assert_string_equal(c.holder_name, "Ann Example");
	assert_string_equal(c.qualification, "QMS");
	assert_string_equal(c.panel, "2026-summer");
	assert_string_equal(c.approved_by, "lea");
	assert_string_equal(c.commit, f->commit);
	assert_null(c.revoked);
	assert_non_null(c.assertion);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM submission_history WHERE to_state = 'certified'"), 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM audit WHERE action = 'submission.state' AND to_state = 'certified'"), 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM audit WHERE action = 'certificate.issue'"), 1);
	/* every file, and no temporary directory left behind */
	const char *files[] = { "certificate.json", "certificate.html", "issuer.json", "badgeclass-qms.json", "assertion.json",
		"badge.svg" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *p = cert_file(f, c.number, files[i]);
		if (!exists(p))
			fail_msg("%s was not written", p);
		free(p);
	}
	assert_int_equal(dir_count(f->certs, NULL), 1);

	/* a second time */
	assert_rc(folio_certify(NULL, f->site, id), FOLIO_ECONFLICT);
	assert_msg("already certified");
	assert_msg(c.number);
	folio_cert_clear(&c);
	assert_ok(folio_audit_verify(f->site));
}

static void test_certify_refusals_leave_nothing(void **state)
{
	fx *f = *state;
	long long id = approved(f, "ann", "QMS", f->commit);
	folio_certificate c;
	char today[11];

	/* the holder has no email to hash */
	test_sql(f->site, "UPDATE person SET email = NULL WHERE id = 'ann'");
	act(f, "adm");
	assert_rc(folio_certify(&c, f->site, id), FOLIO_EINVALID);
	assert_msg("person 'ann' has no email");
	test_sql(f->site, "UPDATE person SET email = 'ann@example.org' WHERE id = 'ann'");

	/* the pinned commit is not in the portfolio */
	{
		char *q = fmt("UPDATE submission SET commit_id = '0123456789abcdef0123456789abcdef01234567' WHERE id = %lld", id);
		test_sql(f->site, q);
		free(q);
	}
	assert_rc(folio_certify(&c, f->site, id), FOLIO_EINVALID);
	assert_msg("does not exist in the portfolio of 'ann'");
	{
		char *q = fmt("UPDATE submission SET commit_id = '%s' WHERE id = %lld", f->commit, id);
		test_sql(f->site, q);
		free(q);
	}

	/* the directory the certificate would go to is taken */
	folio_today(today);
	char *taken = fmt("%s/QMS-%.4s-0001", f->certs, today);
	mkdir(f->certs, 0777);
	write_text(taken, "in the way\n");
	assert_rc(folio_certify(&c, f->site, id), FOLIO_EEXISTS);
	assert_msg("already exists");
	unlink(taken);
	free(taken);

	/* nothing of any of that is left */
	assert_state(f, id, "recommended");
	assert_int_equal(count(f, "SELECT COUNT(*) FROM certificate"), 0);
	assert_int_equal(dir_count(f->certs, NULL), 0);
	{
		char *outbox = fmt("%s/outbox", f->dir);
		assert_int_equal(dir_count(outbox, ".eml"), 0);
		free(outbox);
	}
	/* then it works */
	assert_ok(folio_certify(&c, f->site, id));
	folio_cert_clear(&c);
}

static void test_number_sequence(void **state)
{
	fx *f = *state;
	folio_certificate a, b, q, n;
	long long s1 = approved(f, "ann", "QMS", f->commit);
	long long s2 = approved(f, "bob", "QMS", f->bob_commit);
	long long s3 = approved(f, "ann", "QLMS", f->commit);
	long long s4 = approved(f, "bob", "QMS", f->bob_commit);

	setenv("FOLIO_TODAY", "2027-03-10", 1);
	certify(f, s1, &a);
	certify(f, s2, &b);
	certify(f, s3, &q);
	assert_string_equal(a.number, "QMS-2027-0001");
	assert_string_equal(b.number, "QMS-2027-0002");
	assert_string_equal(q.number, "QLMS-2027-0001"); /* a sequence per qualification */
	assert_memory_equal(a.issued, "2027-03-10T", 11);
	setenv("FOLIO_TODAY", "2028-01-15", 1);
	certify(f, s4, &n);
	assert_string_equal(n.number, "QMS-2028-0001"); /* and per year of issue */
	{
		char *p = cert_file(f, "QLMS-2027-0001", "badgeclass-qlms.json");
		assert_true(exists(p));
		free(p);
	}
	/* list in order of issue */
	folio_certificate *v;
	size_t count_ = 0;
	act(f, "lea");
	assert_ok(folio_cert_list(&v, &count_, f->site));
	assert_int_equal(count_, 4);
	assert_string_equal(v[3].number, "QMS-2028-0001");
	folio_certs_free(v, count_);
	folio_cert_clear(&a);
	folio_cert_clear(&b);
	folio_cert_clear(&q);
	folio_cert_clear(&n);
}

/*
 * A certificate whose portfolio was archived and removed keeps its number
 * and its hosted badge files: the next certify neither reuses the number
 * nor tidies the files away as never issued.
 */
static void test_number_after_removal(void **state)
{
	fx *f = *state;
	folio_certificate a, b;
	long long s1 = approved(f, "ann", "QMS", f->commit);
	long long s2 = approved(f, "bob", "QMS", f->bob_commit);

	setenv("FOLIO_TODAY", "2027-03-10", 1);
	certify(f, s1, &a);
	assert_string_equal(a.number, "QMS-2027-0001");
	act(f, "adm");
	assert_ok(folio_archive_remove(f->site, "ann", NULL));
	assert_int_equal(count(f, "SELECT COUNT(*) FROM certificate"), 0);
	certify(f, s2, &b);
	assert_string_equal(b.number, "QMS-2027-0002");
	char *p = cert_file(f, "QMS-2027-0001", "assertion.json");
	assert_true(exists(p));
	free(p);
	folio_cert_clear(&a);
	folio_cert_clear(&b);
}

/* ------------------------------------------------------------ the Open Badges files */

static void test_badge_files(void **state)
{
	fx *f = *state;
	folio_certificate c, c2;
	const folio_framework *fw = folio_site_framework(f->site);
	long long id = approved(f, "ann", "QMS", f->commit);
	certify(f, id, &c);

	char *p = cert_file(f, c.number, "issuer.json");
	json_t *iss = load(p);
	free(p);
	p = cert_file(f, c.number, "badgeclass-qms.json");
	json_t *bc = load(p);
	free(p);
	p = cert_file(f, c.number, "assertion.json");
	json_t *as = load(p);
	free(p);
	p = cert_file(f, c.number, "certificate.json");
	json_t *cj = load(p);
	free(p);

	/* issuer profile */
	assert_string_equal(js(iss, "@context"), OB_CONTEXT);
	assert_string_equal(js(iss, "type"), "Issuer");
	assert_string_equal(js(iss, "id"), FOLIO_BADGE_BASE_URL "/issuer.json");
	assert_string_equal(js(iss, "name"), "folio");
	assert_string_equal(js(iss, "url"), "https://folio.example.org");
	assert_string_equal(js(iss, "email"), "ada@example.org");

	/* BadgeClass: criteria name every standard of the framework, one alignment each */
	assert_string_equal(js(bc, "@context"), OB_CONTEXT);
	assert_string_equal(js(bc, "type"), "BadgeClass");
	assert_string_equal(js(bc, "id"), FOLIO_BADGE_BASE_URL "/badgeclasses/qms.json");
	assert_string_equal(js(bc, "name"), folio_framework_find_qualification(fw, "QMS")->name);
	assert_true(strlen(js(bc, "description")) > 20);
	assert_has(js(bc, "image"), "data:image/svg+xml;base64,");
	assert_string_equal(js(bc, "issuer"), js(iss, "id"));
	const char *narrative = js(json_object_get(bc, "criteria"), "narrative");
	json_t *align = json_object_get(bc, "alignment");
	size_t nstd = folio_framework_standard_count(fw);
	assert_int_equal(nstd, 4);
	assert_has(narrative, "four standards");
	assert_int_equal(json_array_size(align), nstd);
	for (size_t i = 0; i < nstd; i++) {
		const folio_standard *s = folio_framework_standard(fw, i);
		char *named = fmt("%s %s", s->id, s->title), *target = fmt("%s: %s", s->id, s->title);
		json_t *a = json_array_get(align, i);
		assert_has(narrative, named);
		assert_string_equal(js(a, "targetName"), target);
		assert_string_equal(js(a, "targetCode"), s->id);
		assert_string_equal(js(a, "targetDescription"), s->headline);
		assert_string_equal(js(a, "targetFramework"), "National Standards for school-based ITT mentors");
		assert_has(js(a, "targetUrl"), "https://");
		free(named);
		free(target);
	}

	/* Assertion */
	assert_string_equal(js(as, "@context"), OB_CONTEXT);
	assert_string_equal(js(as, "type"), "Assertion");
	{
		char *want = fmt("%s/assertions/%s.json", FOLIO_BADGE_BASE_URL, c.number);
		assert_string_equal(js(as, "id"), want);
		free(want);
	}
	assert_string_equal(js(as, "badge"), js(bc, "id"));
	assert_string_equal(js(json_object_get(as, "verification"), "type"), "hosted");
	const char *on = js(as, "issuedOn");
	assert_string_equal(on, c.issued);
	/* YYYY-MM-DDTHH:MM:SS then Z or ±HH:MM */
	assert_true(strlen(on) == 20 || strlen(on) == 25);
	assert_true(on[4] == '-' && on[7] == '-' && on[10] == 'T' && on[13] == ':' && on[16] == ':');
	assert_true(on[19] == 'Z' || ((on[19] == '+' || on[19] == '-') && on[22] == ':'));
	json_t *ev = json_object_get(as, "evidence");
	assert_true(json_is_array(ev) && json_array_size(ev) == 1);
	assert_has(js(json_array_get(ev, 0), "narrative"), f->commit);
	/* the stored assertion is the file's */
	json_t *stored = json_loads(c.assertion, 0, NULL);
	assert_true(json_equal(stored, as));
	json_decref(stored);

	/* recipient: sha256 of email + salt, the salt fresh from a random generator */
	json_t *r = json_object_get(as, "recipient");
	assert_string_equal(js(r, "type"), "email");
	assert_true(json_is_true(json_object_get(r, "hashed")));
	const char *salt = js(r, "salt");
	assert_int_equal(strlen(salt), 32);
	{
		char hex[65], *in = fmt("ann@example.org%s", salt), *want;
		hash_hex(hex, in);
		want = fmt("sha256$%s", hex);
		assert_string_equal(js(r, "identity"), want);
		free(in);
		free(want);
	}
	assert_null(strstr(c.assertion, "ann@example.org")); /* never in the clear */

	/* certificate.json: every field */
	assert_string_equal(js(cj, "number"), c.number);
	assert_int_equal(json_integer_value(json_object_get(cj, "submission")), id);
	assert_string_equal(js(json_object_get(cj, "holder"), "id"), "ann");
	assert_string_equal(js(json_object_get(cj, "holder"), "name"), "Ann Example");
	assert_string_equal(js(json_object_get(cj, "qualification"), "id"), "QMS");
	assert_string_equal(js(cj, "issued"), c.issued);
	assert_string_equal(js(cj, "panel"), "2026-summer");
	assert_string_equal(js(json_object_get(cj, "approved_by"), "id"), "lea");
	assert_string_equal(js(cj, "certified_by"), "adm");
	assert_string_equal(js(cj, "commit"), f->commit);
	assert_string_equal(js(cj, "assertion"), js(as, "id"));
	assert_true(json_is_null(json_object_get(cj, "revoked")));

	/* another certificate gets another salt */
	long long id2 = approved(f, "bob", "QMS", f->bob_commit);
	certify(f, id2, &c2);
	p = cert_file(f, c2.number, "assertion.json");
	json_t *as2 = load(p);
	free(p);
	assert_string_not_equal(js(json_object_get(as2, "recipient"), "salt"), salt);

	json_decref(as2);
	json_decref(iss);
	json_decref(bc);
	json_decref(as);
	json_decref(cj);
	folio_cert_clear(&c);
	folio_cert_clear(&c2);
}

static void test_svg_baked(void **state)
{
	fx *f = *state;
	folio_certificate c;
	char *url = NULL;
	certify(f, approved(f, "ann", "QMS", f->commit), &c);
	char *p = cert_file(f, c.number, "badge.svg"), *ap = cert_file(f, c.number, "assertion.json");
	char *svg = test_read(p, NULL);
	json_t *as = load(ap);

	assert_has(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:openbadges=\"http://openbadges.org\"");
	assert_has(svg, "Qualified Mentor Status");
	json_t *j = baked(svg, &url);
	assert_true(json_equal(j, as));
	assert_string_equal(url, js(as, "id"));
	/* well-formed XML, when xmllint is there to say so */
	if (system("command -v xmllint >/dev/null 2>&1") == 0)
		sh("xmllint --noout '%s'", p);
	json_decref(j);
	json_decref(as);
	free(url);
	free(svg);
	free(p);
	free(ap);
	folio_cert_clear(&c);
}

static void test_issuer_settings(void **state)
{
	fx *f = *state;
	folio_cert_issuer iss, set = { 0 };
	folio_certificate c;

	act(f, "adm");
	assert_ok(folio_cert_issuer_get(&iss, f->site));
	assert_string_equal(iss.base_url, FOLIO_BADGE_BASE_URL);
	assert_string_equal(iss.email, "ada@example.org");
	folio_cert_issuer_clear(&iss);

	set.base_url = (char *)"https://badges.uni.example.ac.uk/qms/";
	set.name = (char *)"University of Example ITT Partnership";
	set.email = (char *)"itt@uni.example.ac.uk";
	act(f, "lea");
	assert_rc(folio_cert_issuer_set(f->site, &set), FOLIO_EDENIED);
	assert_msg("needs role admin");
	act(f, "adm");
	{
		folio_cert_issuer bad = { 0 };
		bad.base_url = (char *)"ftp://x.example.org";
		assert_rc(folio_cert_issuer_set(f->site, &bad), FOLIO_EINVALID);
		assert_msg("invalid badge base url 'ftp://x.example.org'");
		bad.base_url = NULL;
		bad.email = (char *)"nope";
		assert_rc(folio_cert_issuer_set(f->site, &bad), FOLIO_EINVALID);
		assert_msg("invalid issuer email 'nope'");
		bad.email = NULL;
		bad.url = (char *)"https://x.example.org/\"><script>";
		assert_rc(folio_cert_issuer_set(f->site, &bad), FOLIO_EINVALID);
	}
	assert_ok(folio_cert_issuer_set(f->site, &set));
	assert_ok(folio_cert_issuer_get(&iss, f->site));
	assert_string_equal(iss.base_url, "https://badges.uni.example.ac.uk/qms");
	assert_string_equal(iss.url, "https://badges.uni.example.ac.uk");
	folio_cert_issuer_clear(&iss);

	certify(f, approved(f, "ann", "QMS", f->commit), &c);
	char *p = cert_file(f, c.number, "issuer.json");
	json_t *j = load(p);
	assert_string_equal(js(j, "name"), "University of Example ITT Partnership");
	assert_string_equal(js(j, "email"), "itt@uni.example.ac.uk");
	assert_string_equal(js(j, "id"), "https://badges.uni.example.ac.uk/qms/issuer.json");
	json_t *a = json_loads(c.assertion, 0, NULL);
	assert_has(js(a, "id"), "https://badges.uni.example.ac.uk/qms/assertions/");
	assert_ok(folio_cert_verify(f->site, c.number));
	json_decref(a);
	json_decref(j);
	free(p);
	folio_cert_clear(&c);
}

/* ------------------------------------------------------------ verify */

/* verify fails, and one of the problems it lists says `needle` */
static void expect_verify_fails(fx *f, const char *number, const char *needle)
{
	char **v = NULL;
	size_t n = 0, hit = 0;
	assert_rc(folio_cert_verify(f->site, number), FOLIO_EINVALID);
	assert_ok(folio_cert_verify_all(&v, &n, f->site, number));
	for (size_t i = 0; i < n; i++)
		hit += strstr(v[i], needle) != NULL;
	if (!hit)
		fail_msg("no problem says \"%s\"; first: %s", needle, n ? v[0] : "(none)");
	folio_cert_problems_free(v, n);
}

static void test_verify(void **state)
{
	fx *f = *state;
	folio_certificate c;
	certify(f, approved(f, "ann", "QMS", f->commit), &c);
	char *ap = cert_file(f, c.number, "assertion.json"), *bp = cert_file(f, c.number, "badgeclass-qms.json");
	char *sp = cert_file(f, c.number, "badge.svg"), *ip = cert_file(f, c.number, "issuer.json");
	char *orig = test_read(ap, NULL), *bc = test_read(bp, NULL), *svg = test_read(sp, NULL);

	act(f, "ann"); /* the holder may verify their own */
	assert_ok(folio_cert_verify(f->site, c.number));
	act(f, "bob");
	assert_rc(folio_cert_verify(f->site, c.number), FOLIO_EDENIED);
	act(f, "lea");
	assert_ok(folio_cert_verify(f->site, c.number));
	assert_rc(folio_cert_verify(f->site, "QMS-1999-0001"), FOLIO_ENOTFOUND);
	assert_msg("no certificate 'QMS-1999-0001'");

	/* a tampered assertion.json: the issue date moved */
	{
		json_t *a = load(ap);
		json_object_set_new(a, "issuedOn", json_string("2020-01-01T00:00:00Z"));
		assert_int_equal(json_dump_file(a, ap, JSON_INDENT(2)), 0);
		json_decref(a);
	}
	expect_verify_fails(f, c.number, "assertion.json differs from the assertion issued with the certificate (issuedOn)");
	/* reformatting alone is no tampering */
	{
		json_t *a = json_loads(orig, 0, NULL);
		assert_int_equal(json_dump_file(a, ap, JSON_COMPACT), 0);
		json_decref(a);
	}
	assert_ok(folio_cert_verify(f->site, c.number));

	/* a recipient that is not the holder: the holder's email changed since */
	test_sql(f->site, "UPDATE person SET email = 'someone.else@example.org' WHERE id = 'ann'");
	expect_verify_fails(f, c.number, "is not the holder");
	test_sql(f->site, "UPDATE person SET email = 'ann@example.org' WHERE id = 'ann'");
	assert_ok(folio_cert_verify(f->site, c.number));

	/* a missing file */
	unlink(bp);
	expect_verify_fails(f, c.number, "badgeclass-qms.json is missing");
	write_text(bp, bc);
	unlink(ip);
	expect_verify_fails(f, c.number, "issuer.json is missing");
	{
		/* an issuer that is not the one the BadgeClass names */
		json_t *i = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "@context", OB_CONTEXT, "type", "Issuer", "id",
			"https://evil.example.org/issuer.json", "name", "x", "url", "https://evil.example.org", "email", "x@evil.example.org");
		assert_int_equal(json_dump_file(i, ip, 0), 0);
		json_decref(i);
	}
	expect_verify_fails(f, c.number, "is not the profile in issuer.json");

	/* restore the issuer by revealing which one it was: the badge class names it */
	{
		json_t *b = json_loads(bc, 0, NULL);
		json_t *i = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "@context", OB_CONTEXT, "type", "Issuer", "id",
			js(b, "issuer"), "name", "folio", "url", "https://folio.example.org", "email", "ada@example.org");
		assert_int_equal(json_dump_file(i, ip, 0), 0);
		json_decref(i);
		json_decref(b);
	}
	assert_ok(folio_cert_verify(f->site, c.number));

	/* a badge whose baked assertion was changed */
	{
		char *evil = strdup(svg), *pos = strstr(evil, "\"hosted\"");
		assert_non_null(pos);
		memcpy(pos, "\"signed\"", 8);
		write_text(sp, evil);
		free(evil);
	}
	expect_verify_fails(f, c.number, "the assertion baked into badge.svg differs");
	unlink(sp);
	expect_verify_fails(f, c.number, "badge.svg is missing");
	write_text(sp, svg);
	assert_ok(folio_cert_verify(f->site, c.number));

	/* several problems at once: each is listed */
	{
		char **v = NULL;
		size_t n = 0;
		unlink(bp);
		unlink(sp);
		assert_ok(folio_cert_verify_all(&v, &n, f->site, c.number));
		assert_int_equal(n, 2);
		assert_has(v[0], "badgeclass-qms.json is missing");
		assert_has(v[1], "badge.svg is missing");
		folio_cert_problems_free(v, n);
		write_text(bp, bc);
		write_text(sp, svg);
	}

	/* the record disagrees with its submission */
	test_sql(f->site, "UPDATE certificate SET commit_id = 'deadbeefdeadbeefdeadbeefdeadbeefdeadbeef'");
	expect_verify_fails(f, c.number, "is not the commit pinned by submission");
	/* the row and the submission point at a commit that does not exist */
	test_sql(f->site, "UPDATE submission SET commit_id = 'deadbeefdeadbeefdeadbeefdeadbeefdeadbeef'");
	expect_verify_fails(f, c.number, "the pinned commit deadbeefdeadbeefdeadbeefdeadbeefdeadbeef does not exist in the portfolio of 'ann'");
	{
		char *q = fmt("UPDATE certificate SET commit_id = '%s'", f->commit);
		test_sql(f->site, q);
		free(q);
		q = fmt("UPDATE submission SET commit_id = '%s'", f->commit);
		test_sql(f->site, q);
		free(q);
	}
	assert_ok(folio_cert_verify(f->site, c.number));

	free(orig);
	free(bc);
	free(svg);
	free(ap);
	free(bp);
	free(sp);
	free(ip);
	folio_cert_clear(&c);
}

/* The pinned commit vanishes: main rewritten to a new root and the old history garbage-collected. */
static void test_verify_commit_gone(void **state)
{
	fx *f = *state;
	folio_certificate c;
	certify(f, approved(f, "ann", "QMS", f->commit), &c);
	act(f, "lea");
	assert_ok(folio_cert_verify(f->site, c.number));

	char *repo = fmt("%s/portfolios/ann.git", f->dir);
	/* first only rewritten: the commit still exists, but not in main's history */
	sh("cd '%s' && tree=$(git hash-object -t tree -w --stdin </dev/null) && "
	   "c=$(echo rewritten | git -c user.name=X -c user.email=x@example.org commit-tree \"$tree\") && "
	   "git update-ref refs/heads/main \"$c\"", repo);
	expect_verify_fails(f, c.number, "is no longer in the history of main");
	/* then collected */
	sh("cd '%s' && git reflog expire --expire=now --all && git gc -q --prune=now", repo);
	expect_verify_fails(f, c.number, "does not exist in the portfolio of 'ann'");
	free(repo);
	folio_cert_clear(&c);
}

/* ------------------------------------------------------------ revoke */

static void test_revoke(void **state)
{
	fx *f = *state;
	folio_certificate c, got;
	long long id = approved(f, "ann", "QMS", f->commit);
	certify(f, id, &c);
	char *ap = cert_file(f, c.number, "assertion.json"), *sp = cert_file(f, c.number, "badge.svg");
	char *cp = cert_file(f, c.number, "certificate.json"), *bp = cert_file(f, c.number, "badgeclass-qms.json");
	char *bc_before = test_read(bp, NULL);

	/* rules: a lead, a reason, a certificate that exists */
	act(f, "adm");
	assert_rc(folio_cert_revoke(f->site, c.number, "evidence was copied"), FOLIO_EDENIED);
	assert_msg("needs role lead");
	act(f, "ann");
	assert_rc(folio_cert_revoke(f->site, c.number, "evidence was copied"), FOLIO_EDENIED);
	act(f, "lea");
	assert_rc(folio_cert_revoke(f->site, c.number, "  "), FOLIO_EINVALID);
	assert_msg("needs a reason");
	assert_rc(folio_cert_revoke(f->site, "QMS-1999-0042", "x"), FOLIO_ENOTFOUND);
	assert_state(f, id, "certified");
	assert_ok(folio_cert_verify(f->site, c.number));

	assert_ok(folio_cert_revoke(f->site, c.number, "evidence was copied from another portfolio"));
	assert_state(f, id, "revoked");
	assert_int_equal(count(f, "SELECT COUNT(*) FROM audit WHERE action = 'submission.state' AND to_state = 'revoked'"), 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM audit WHERE action = 'certificate.revoke'"), 1);
	assert_ok(folio_cert_get(&got, f->site, c.number));
	assert_non_null(got.revoked);
	assert_string_equal(got.revoked_reason, "evidence was copied from another portfolio");

	/* the hosted assertion says so, the stored one and the baked one too */
	json_t *a = load(ap);
	assert_true(json_is_true(json_object_get(a, "revoked")));
	assert_string_equal(js(a, "revocationReason"), "evidence was copied from another portfolio");
	json_t *stored = json_loads(got.assertion, 0, NULL);
	assert_true(json_equal(a, stored));
	{
		char *svg = test_read(sp, NULL), *url = NULL;
		json_t *j = baked(svg, &url);
		assert_true(json_equal(j, a));
		json_decref(j);
		free(url);
		free(svg);
	}
	/* the rest of the assertion as issued */
	json_object_del(a, "revoked");
	json_object_del(a, "revocationReason");
	json_t *before = json_loads(c.assertion, 0, NULL);
	assert_true(json_equal(a, before));
	json_t *cj = load(cp);
	assert_string_equal(js(cj, "revoked"), got.revoked);
	{
		char *bc_after = test_read(bp, NULL);
		assert_string_equal(bc_before, bc_after);
		free(bc_after);
	}
	/* no temporary directories left */
	assert_int_equal(dir_count(f->certs, NULL), 1);

	/* verify reports it clearly */
	expect_verify_fails(f, c.number, "revoked on");
	expect_verify_fails(f, c.number, "evidence was copied from another portfolio");
	/* once only */
	assert_rc(folio_cert_revoke(f->site, c.number, "again"), FOLIO_ECONFLICT);
	assert_msg("already revoked");
	assert_ok(folio_audit_verify(f->site));

	json_decref(cj);
	json_decref(before);
	json_decref(stored);
	json_decref(a);
	free(ap);
	free(sp);
	free(cp);
	free(bp);
	free(bc_before);
	folio_cert_clear(&got);
	folio_cert_clear(&c);
}

/* ------------------------------------------------------------ reading, notifications */

static void test_get_and_list_permissions(void **state)
{
	fx *f = *state;
	folio_certificate a, b, got, *v;
	size_t n;
	certify(f, approved(f, "ann", "QMS", f->commit), &a);
	certify(f, approved(f, "bob", "QMS", f->bob_commit), &b);

	act(f, "ann");
	assert_ok(folio_cert_get(&got, f->site, a.number));
	folio_cert_clear(&got);
	assert_rc(folio_cert_get(&got, f->site, b.number), FOLIO_EDENIED);
	assert_msg("may not see certificate");
	assert_ok(folio_cert_list(&v, &n, f->site));
	assert_int_equal(n, 1);
	assert_string_equal(v[0].holder, "ann");
	folio_certs_free(v, n);
	act(f, "rev");
	assert_ok(folio_cert_list(&v, &n, f->site));
	assert_int_equal(n, 0);
	folio_certs_free(v, n);
	act(f, "lea");
	assert_ok(folio_cert_list(&v, &n, f->site));
	assert_int_equal(n, 2);
	folio_certs_free(v, n);
	act(f, "adm");
	assert_ok(folio_cert_get(&got, f->site, b.number));
	assert_string_equal(got.holder_name, "Bob Builder");
	folio_cert_clear(&got);
	folio_cert_clear(&a);
	folio_cert_clear(&b);
}

static void test_notifications(void **state)
{
	fx *f = *state;
	folio_certificate c;
	char *outbox = fmt("%s/outbox", f->dir);
	certify(f, approved(f, "ann", "QMS", f->commit), &c);
	assert_int_equal(dir_count(outbox, ".eml"), 1);
	{
		char *cmd = fmt("grep -l '^To: Ann Example <ann@example.org>' '%s'/*.eml | xargs grep -l 'Subject: Your QMS certificate %s' >/dev/null",
			outbox, c.number);
		assert_int_equal(system(cmd), 0);
		free(cmd);
		cmd = fmt("grep -l 'assertions/%s.json' '%s'/*.eml >/dev/null", c.number, outbox);
		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
	act(f, "lea");
	/* a reason with characters that matter in XML and CDATA */
	assert_ok(folio_cert_revoke(f->site, c.number, "a clerical error ]]> <&>"));
	assert_int_equal(dir_count(outbox, ".eml"), 2);
	{
		char *sp = cert_file(f, c.number, "badge.svg"), *ap = cert_file(f, c.number, "assertion.json");
		char *svg = test_read(sp, NULL), *url = NULL;
		json_t *a = load(ap), *j = baked(svg, &url);
		assert_true(json_equal(a, j));
		assert_string_equal(js(j, "revocationReason"), "a clerical error ]]> <&>");
		if (system("command -v xmllint >/dev/null 2>&1") == 0)
			sh("xmllint --noout '%s'", sp);
		json_decref(a);
		json_decref(j);
		free(url);
		free(svg);
		free(sp);
		free(ap);
	}
	{
		char *cmd = fmt("grep -l 'Reason: a clerical error' '%s'/*.eml >/dev/null", outbox);
		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
	free(outbox);
	folio_cert_clear(&c);
}

int main(void)
{
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
	setenv("GIT_TERMINAL_PROMPT", "0", 1);
	git_libgit2_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_approve_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_certify_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_certify_refusals_leave_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_number_after_removal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_number_sequence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_badge_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_svg_baked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_issuer_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_commit_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_and_list_permissions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notifications, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return rc;
}
