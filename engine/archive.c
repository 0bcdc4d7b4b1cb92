/* engine/archive.c: zip archives of portfolios (bundle, Markdown, pack, records, badges): write, verify, restore, remove. */
#include "folio/archive.h"

#include "bundle.h"
#include "folio/pack.h"
#include "folio/people.h"
#include "gitutil.h"
#include "site_internal.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#define MANIFEST "manifest.json"
#define RATIO_FLOOR (1u << 20) /* members smaller than this may compress as well as they like */
#define PACK_CONFIG "[pack]\n\twindowMemory = 1\n"

/* ------------------------------------------------------------ small helpers */

typedef struct {
	char **v;
	size_t n, cap;
} strlist;

static void strlist_add(strlist *l, char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = folio_realloc(l->v, l->cap * sizeof(char *));
	}
	l->v[l->n++] = s;
}

static void strlist_free(strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static void problem(strlist *p, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void problem(strlist *p, const char *f, ...)
{
	folio_buf b = FOLIO_BUF_INIT;
	va_list ap;
	va_start(ap, f);
	folio_buf_vprintf(&b, f, ap);
	va_end(ap);
	strlist_add(p, folio_buf_detach(&b));
}

void folio_archive_problems_free(char **problems, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(problems[i]);
	free(problems);
}

static int path_exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

static int hex40(const char *s)
{
	if (!s || strlen(s) != 40)
		return 0;
	for (int i = 0; i < 40; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* A certificate number as folio issues them: QMS-2027-0001 (letters, digits, '-', '_', '.'; no ".."). */
static int number_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 64 || s[0] == '.' || strstr(s, ".."))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return 0;
	}
	return 1;
}

/*
 * A member name is safe to hold and restore: relative, '/'-separated, no empty,
 * "." or ".." component, no backslash, no control character, no drive letter.
 * Returns NULL when safe, else why not.
 */
static const char *name_unsafe(const char *name)
{
	size_t n = strlen(name);
	if (n == 0)
		return "an empty name";
	if (name[0] == '/')
		return "an absolute path";
	if (n >= 2 && name[1] == ':')
		return "a drive letter";
	if (n > 1024)
		return "a name too long";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == '\\' || name[i] == 0x7f)
			return "a backslash or control character";
	for (const char *p = name; *p;) {
		size_t len = strcspn(p, "/");
		if (len == 0)
			return "an empty path component";
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return "a '.' or '..' path component";
		p += len;
		if (*p == '/')
			p++;
		if (*p == '\0' && p[-1] == '/')
			return "a directory name";
	}
	return NULL;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return folio_strdup(".");
	if (slash == path)
		return folio_strdup("/");
	return folio_strndup(path, (size_t)(slash - path));
}

static int write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	ssize_t w = 0;
	size_t done = 0;
	if (fd < 0)
		return folio_error_set(FOLIO_ERROR, "cannot write '%s': %s", path, strerror(errno));
	while (done < len && (w = write(fd, (const char *)data + done, len - done)) > 0)
		done += (size_t)w;
	if (done < len || close(fd) < 0) {
		int e = errno;
		if (done < len)
			close(fd);
		unlink(path);
		return folio_error_set(FOLIO_ERROR, "cannot write '%s': %s", path, strerror(e));
	}
	return 0;
}

/* ------------------------------------------------------------ records: the tables of one portfolio */

/* The portfolio's submissions, and the people its records name. ?1 is the mentor. */
#define SUBS "(SELECT id FROM submission WHERE mentor = ?1)"
#define PEOPLE "(SELECT ?1 UNION SELECT lead FROM person WHERE id = ?1" \
	" UNION SELECT reviewer FROM assignment WHERE submission IN " SUBS \
	" UNION SELECT chair FROM moderation WHERE submission IN " SUBS \
	" UNION SELECT approved_by FROM submission WHERE mentor = ?1" \
	" UNION SELECT chair FROM panel WHERE id IN (SELECT panel FROM submission WHERE mentor = ?1))"

typedef struct {
	const char *name;
	const char *cols[12];
	const char *where;
	const char *order;
} table_desc;

/* In restore order: what a row refers to comes before it. */
static const table_desc tables[] = {
	{ "school", { "id", "name", "phase" }, "id IN (SELECT school FROM person WHERE id IN " PEOPLE ")", "id" },
	{ "person", { "id", "name", "email", "school", "login", "lead", "created" }, "id IN " PEOPLE, "id" },
	{ "person_role", { "person", "role" }, "person IN " PEOPLE, "person, role" },
	{ "panel", { "id", "year", "term", "date", "deadline", "state", "chair" },
	  "id IN (SELECT panel FROM submission WHERE mentor = ?1)", "id" },
	{ "portfolio", { "mentor", "qualification", "created" }, "mentor = ?1", "mentor" },
	{ "exemption", { "mentor", "qualification", "reason", "created", "created_by" }, "mentor = ?1", "mentor" },
	{ "submission", { "id", "mentor", "qualification", "panel", "commit_id", "previous", "state", "outcome",
	  "approved_by", "approved", "created" }, "mentor = ?1", "id" },
	{ "submission_history", { "submission", "seq", "from_state", "to_state", "actor", "time", "note" },
	  "submission IN " SUBS, "submission, seq" },
	{ "assignment", { "submission", "reviewer", "done" }, "submission IN " SUBS, "submission, reviewer" },
	{ "judgement", { "submission", "reviewer", "standard", "judgement", "comment", "time" },
	  "submission IN " SUBS, "submission, reviewer, standard" },
	{ "moderation", { "submission", "standard", "judgement", "chair", "comment", "time" },
	  "submission IN " SUBS, "submission, standard" },
	{ "feedback", { "mentor", "number", "submission", "standard", "text", "status", "note", "addressed_commit",
	  "accepted_by" }, "mentor = ?1", "number" },
	{ "certificate", { "number", "submission", "holder", "qualification", "issued", "panel", "approved_by",
	  "commit_id", "assertion", "revoked", "revoked_reason" }, "holder = ?1 OR submission IN " SUBS, "number" },
	/* read from temp.archive_audit (AUDIT_BY_MENTOR): the audit log has no index to find a portfolio's rows */
	{ "audit", { "seq", "time", "actor", "real_actor", "action", "object", "detail", "from_state", "to_state",
	  "commit_id", "hash" }, "mentor = ?1", "seq" },
};

/*
 * The audit rows about each portfolio: its own, its person's, its feedback
 * items', its certificates' and its submissions'. Built once per archive,
 * indexed by mentor (a scan of the audit log per portfolio cost seconds).
 */
#define AUDIT_COLS "seq, time, actor, real_actor, action, object, detail, from_state, to_state, commit_id, hash"
static const char audit_by_mentor[] =
	"DROP TABLE IF EXISTS temp.archive_audit;"
	"CREATE TEMP TABLE archive_audit AS SELECT CASE"
	"  WHEN substr(object, 1, 10) = 'portfolio:' THEN substr(object, 11)"
	"  WHEN substr(object, 1, 7) = 'person:' THEN substr(object, 8)"
	"  WHEN substr(object, 1, 9) = 'feedback:' AND instr(object, '/') > 0"
	"    THEN substr(object, 10, instr(object, '/') - 10)"
	"  WHEN substr(object, 1, 12) = 'certificate:'"
	"    THEN (SELECT holder FROM certificate WHERE number = substr(object, 13))"
	"  WHEN substr(object, 1, 11) = 'submission:'"
	"    THEN (SELECT mentor FROM submission WHERE id = CAST(substr(object, 12) AS INTEGER))"
	"  END AS mentor, " AUDIT_COLS " FROM audit;"
	"CREATE INDEX temp.archive_audit_mentor ON archive_audit(mentor, seq);";
#define NTABLES (sizeof(tables) / sizeof(tables[0]))

static size_t ncols(const table_desc *t)
{
	size_t n = 0;
	while (n < 12 && t->cols[n])
		n++;
	return n;
}

static void col_list(folio_buf *b, const table_desc *t)
{
	for (size_t c = 0; c < ncols(t); c++)
		folio_buf_printf(b, "%s%s", c ? ", " : "", t->cols[c]);
}

/* Rows of one table for `mentor` as a JSON array of objects (column -> value). */
static int table_dump(json_t **out, folio_site *site, const table_desc *t, const char *mentor)
{
	folio_buf sql = FOLIO_BUF_INIT;
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array();
	int error, rc;

	folio_buf_puts(&sql, "SELECT ");
	col_list(&sql, t);
	folio_buf_printf(&sql, " FROM %s WHERE %s ORDER BY %s", strcmp(t->name, "audit") == 0 ? "temp.archive_audit" : t->name,
		t->where, t->order);
	if ((error = folio_db_prepare(site, &st, sql.ptr)) < 0)
		goto cleanup;
	sqlite3_bind_text(st, 1, mentor, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = json_object();
		for (size_t c = 0; c < ncols(t); c++) {
			json_t *v;
			switch (sqlite3_column_type(st, (int)c)) {
			case SQLITE_INTEGER: v = json_integer(sqlite3_column_int64(st, (int)c)); break;
			case SQLITE_FLOAT: v = json_real(sqlite3_column_double(st, (int)c)); break;
			case SQLITE_NULL: v = json_null(); break;
			default: v = json_string((const char *)sqlite3_column_text(st, (int)c)); break;
			}
			if (!v) {
				json_decref(row);
				error = folio_error_set(FOLIO_EINVALID, "table %s holds text that is not UTF-8 (column %s)",
					t->name, t->cols[c]);
				goto cleanup;
			}
			json_object_set_new(row, t->cols[c], v);
		}
		json_array_append_new(arr, row);
	}
	if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read the records");
cleanup:
	sqlite3_finalize(st);
	folio_buf_free(&sql);
	if (error < 0) {
		json_decref(arr);
		arr = NULL;
	}
	*out = arr;
	return error;
}

/* ------------------------------------------------------------ write */

/*
 * libzip reads every member's data only in zip_close. Rather than hold the
 * whole archive in memory until then, member data is appended to one spill
 * file next to the zip, and each member is a range of it.
 */
typedef struct {
	zip_t *za;
	FILE *list;        /* manifest "members": one JSON entry per member, written as members are added */
	char *list_path;
	size_t listed;
	size_t count;
	FILE *spill;
	char *spill_path;
	unsigned long long spill_size;
	strlist files;     /* files members are read from at zip_close, removed after */
} zwriter;

/*
 * The member's entry in the manifest's list, as json_dumps would indent it
 * there. The list goes to a file: a manifest of 30 000 members held as JSON
 * objects took 30 MB.
 */
static int zlist_member(zwriter *w, const char *name, unsigned long long len, const char *hex)
{
	json_t *jname = json_string(name);
	char *quoted = jname ? json_dumps(jname, JSON_ENCODE_ANY) : NULL;
	int ok = quoted && fprintf(w->list, "%s    {\n      \"name\": %s,\n      \"size\": %llu,\n      \"sha256\": \"%s\"\n    }",
		w->listed ? ",\n" : "", quoted, len, hex) > 0;
	json_decref(jname);
	free(quoted);
	if (!ok)
		return folio_error_set(FOLIO_ERROR, "cannot list member '%s' in the manifest: %s", name,
			quoted ? strerror(errno) : "not UTF-8");
	w->listed++;
	return 0;
}

/* Add a member from malloc'd data (freed here); record its hash and size. */
static int zadd(zwriter *w, const char *name, char *data, size_t len)
{
	char hex[65];
	zip_source_t *src;
	zip_int64_t idx;
	folio_sha256_hex(hex, data, len);
	if (len == 0) {
		src = zip_source_buffer(w->za, NULL, 0, 0);
	} else {
		/* libzip checks the range against the file's size now: flush first */
		if (fwrite(data, 1, len, w->spill) != len || fflush(w->spill) != 0) {
			free(data);
			return folio_error_set(FOLIO_ERROR, "cannot write '%s': %s", w->spill_path, strerror(errno));
		}
		src = zip_source_file(w->za, w->spill_path, w->spill_size, (zip_int64_t)len);
		w->spill_size += len;
	}
	free(data);
	if (!src)
		return folio_error_set(FOLIO_ERROR, "cannot add '%s' to the archive: %s", name, zip_strerror(w->za));
	if ((idx = zip_file_add(w->za, name, src, ZIP_FL_ENC_UTF_8)) < 0) {
		zip_source_free(src);
		return folio_error_set(FOLIO_ERROR, "cannot add '%s' to the archive: %s", name, zip_strerror(w->za));
	}
	/* text: deflated at level 1 (bundles, already compressed, are stored: zadd_file) */
	if (zip_set_file_compression(w->za, (zip_uint64_t)idx, ZIP_CM_DEFLATE, 1) < 0)
		return folio_error_set(FOLIO_ERROR, "cannot add '%s' to the archive: %s", name, zip_strerror(w->za));
	/* regular file, rw-r--r--, so unzip and restore see no surprise */
	zip_file_set_external_attributes(w->za, (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX, (zip_uint32_t)(0100644) << 16);
	w->count++;
	return zlist_member(w, name, len, hex);
}

/* Add a member read from file `path` (len bytes, SHA-256 hex) when the zip is closed; stored. */
static int zadd_file(zwriter *w, const char *name, const char *path, unsigned long long len, const char *hex)
{
	zip_source_t *src = zip_source_file(w->za, path, 0, (zip_int64_t)len);
	zip_int64_t idx;
	if (!src)
		return folio_error_set(FOLIO_ERROR, "cannot add '%s' to the archive: %s", name, zip_strerror(w->za));
	if ((idx = zip_file_add(w->za, name, src, ZIP_FL_ENC_UTF_8)) < 0) {
		zip_source_free(src);
		return folio_error_set(FOLIO_ERROR, "cannot add '%s' to the archive: %s", name, zip_strerror(w->za));
	}
	/* bundles are packs, already compressed: stored */
	if (zip_set_file_compression(w->za, (zip_uint64_t)idx, ZIP_CM_STORE, 0) < 0)
		return folio_error_set(FOLIO_ERROR, "cannot add '%s' to the archive: %s", name, zip_strerror(w->za));
	zip_file_set_external_attributes(w->za, (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX, (zip_uint32_t)(0100644) << 16);
	w->count++;
	return zlist_member(w, name, len, hex);
}

static int zadd_text(zwriter *w, const char *name, const char *text)
{
	return zadd(w, name, folio_strdup(text), strlen(text));
}

/*
 * manifest.json: `head` (the manifest without its members, as json_dumps
 * wrote it, ending in "}") with "members" and the list appended, written to
 * the spill file piece by piece. Not listed in itself.
 */
static int zadd_manifest(zwriter *w, const char *head)
{
	size_t hl = strlen(head);
	unsigned long long start = w->spill_size, len = 0;
	char chunk[65536];
	size_t n;
	zip_source_t *src;
	zip_int64_t idx;
	int ok;

	while (hl > 0 && head[hl - 1] != '}')
		hl--;
	if (hl > 0)
		hl--; /* the closing brace: the members come before it */
	while (hl > 0 && (head[hl - 1] == '\n' || head[hl - 1] == ' '))
		hl--;
	ok = fwrite(head, 1, hl, w->spill) == hl && fputs(w->listed ? ",\n  \"members\": [\n" : ",\n  \"members\": [", w->spill) >= 0;
	len += hl + strlen(w->listed ? ",\n  \"members\": [\n" : ",\n  \"members\": [");
	ok = ok && fflush(w->list) == 0 && fseek(w->list, 0, SEEK_SET) == 0;
	while (ok && (n = fread(chunk, 1, sizeof(chunk), w->list)) > 0) {
		ok = fwrite(chunk, 1, n, w->spill) == n;
		len += n;
	}
	ok = ok && !ferror(w->list) && fputs(w->listed ? "\n  ]\n}" : "]\n}", w->spill) >= 0 && fflush(w->spill) == 0;
	len += strlen(w->listed ? "\n  ]\n}" : "]\n}");
	if (!ok)
		return folio_error_set(FOLIO_ERROR, "cannot write '%s': %s", w->spill_path, strerror(errno));
	w->spill_size += len;
	if (!(src = zip_source_file(w->za, w->spill_path, start, (zip_int64_t)len)))
		return folio_error_set(FOLIO_ERROR, "cannot add '%s' to the archive: %s", MANIFEST, zip_strerror(w->za));
	if ((idx = zip_file_add(w->za, MANIFEST, src, ZIP_FL_ENC_UTF_8)) < 0) {
		zip_source_free(src);
		return folio_error_set(FOLIO_ERROR, "cannot add '%s' to the archive: %s", MANIFEST, zip_strerror(w->za));
	}
	if (zip_set_file_compression(w->za, (zip_uint64_t)idx, ZIP_CM_DEFLATE, 1) < 0)
		return folio_error_set(FOLIO_ERROR, "cannot add '%s' to the archive: %s", MANIFEST, zip_strerror(w->za));
	zip_file_set_external_attributes(w->za, (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX, (zip_uint32_t)(0100644) << 16);
	w->count++;
	return 0;
}

/* A Markdown file of the pinned tree, read by a worker, added to the zip by the main thread. */
typedef struct {
	char *member;
	char *data;
	size_t len;
} md_file;

typedef struct {
	git_repository *repo;
	const char *mentor;
	md_file *files;
	size_t n, cap;
	int error;
} md_walk;

static int md_each(const char *root, const git_tree_entry *e, void *payload)
{
	md_walk *m = payload;
	const char *name = git_tree_entry_name(e);
	size_t n = strlen(name);
	git_filemode_t mode = git_tree_entry_filemode(e);
	git_blob *blob = NULL;
	char *member;
	int rc;

	if ((mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE) || n < 4 ||
	    folio_strncasecmp_ascii(name + n - 3, ".md", 3) != 0)
		return 0;
	member = folio_asprintf("%s/markdown/%s%s", m->mentor, root, name);
	if (name_unsafe(member)) { /* git allows names no unzip should be handed */
		free(member);
		return 0;
	}
	if ((rc = git_blob_lookup(&blob, m->repo, git_tree_entry_id(e))) < 0) {
		m->error = folio_git_error(rc, "cannot read the portfolio's Markdown");
		free(member);
		return -1;
	}
	size_t len = (size_t)git_blob_rawsize(blob);
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 32;
		m->files = folio_realloc(m->files, m->cap * sizeof(md_file));
	}
	m->files[m->n].member = member;
	m->files[m->n].data = folio_malloc(len + 1);
	memcpy(m->files[m->n].data, git_blob_rawcontent(blob), len);
	m->files[m->n].len = len;
	m->n++;
	git_blob_free(blob);
	return 0;
}

static int add_badges(zwriter *w, folio_site *site, const char *mentor, json_t *certs)
{
	size_t i;
	json_t *c;
	int error = 0;
	json_array_foreach(certs, i, c) {
		const char *number = json_string_value(json_object_get(c, "number"));
		char *dir;
		DIR *d;
		struct dirent *e;
		if (!number_ok(number))
			continue;
		dir = folio_asprintf("%s/certificates/%s", site->path, number);
		if (!(d = opendir(dir))) {
			free(dir);
			continue; /* no files: the records still say what was issued */
		}
		/* sorted, so the same site gives the same archive */
		strlist names = { 0 };
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				strlist_add(&names, folio_strdup(e->d_name));
		closedir(d);
		qsort(names.v, names.n, sizeof(char *), (int (*)(const void *, const void *))strcmp);
		for (size_t k = 0; k < names.n && error == 0; k++) {
			char *path = folio_asprintf("%s/%s", dir, names.v[k]), *data = NULL;
			size_t len = 0;
			struct stat st;
			if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (error = folio_read_file(&data, &len, path)) == 0) {
				char *member = folio_asprintf("%s/certificates/%s/%s", mentor, number, names.v[k]);
				error = zadd(w, member, data, len);
				free(member);
			}
			free(path);
		}
		strlist_free(&names);
		free(dir);
		if (error < 0)
			break;
	}
	return error;
}

/* The latest submission's id and commit; 0 and "" when the mentor never submitted. */
static int latest_submission(folio_site *site, const char *mentor, long long *id, char commit[41])
{
	sqlite3_stmt *st = NULL;
	int error, rc;
	*id = 0;
	commit[0] = '\0';
	if ((error = folio_db_prepare(site, &st,
		"SELECT id, commit_id FROM submission WHERE mentor = ?1 ORDER BY id DESC LIMIT 1")) < 0)
		return error;
	sqlite3_bind_text(st, 1, mentor, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(st, 1);
		*id = sqlite3_column_int64(st, 0);
		if (hex40(c))
			memcpy(commit, c, 41);
	} else if (rc != SQLITE_DONE) {
		error = folio_db_error(site, "cannot read submissions");
	}
	sqlite3_finalize(st);
	return error;
}

/*
 * The git half of one portfolio, done by a worker thread with its own
 * repository handle: the bundle of the full history and the Markdown of the
 * pinned tree. The main thread keeps the database and the zip.
 */
typedef struct {
	const char *mentor;
	char *repo_path;
	const char *pack_config;
	char pinned[41];   /* in: the latest submission's commit, or ""; out: main's tip when "" */
	char tip[41];      /* out */
	char *bundle_path; /* in: where the worker writes the bundle; out: NULL for a repository without refs */
	unsigned long long bundle_size; /* out */
	char bundle_sha[65];            /* out */
	md_walk md;        /* out */
	int error;
	char *message;     /* the worker's error message */
	int done;
} git_job;

typedef struct {
	FILE *f;
	EVP_MD_CTX *sha;
	unsigned long long size;
	const char *path;
} bundle_out;

static int bundle_chunk(const void *data, size_t len, void *payload)
{
	bundle_out *o = payload;
	if (fwrite(data, 1, len, o->f) != len)
		return folio_error_set(FOLIO_ERROR, "cannot write '%s': %s", o->path, strerror(errno));
	EVP_DigestUpdate(o->sha, data, len);
	o->size += len;
	return 0;
}

/* The bundle into j->bundle_path, hashed as it is written (never whole in memory); no file without refs. */
static int bundle_to_file(git_job *j, git_repository *repo)
{
	bundle_out o = { NULL, NULL, 0, j->bundle_path };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	size_t nrefs = 0;
	int error;

	if (!(o.f = fopen(j->bundle_path, "wbx")))
		return folio_error_set(FOLIO_ERROR, "cannot write '%s': %s", j->bundle_path, strerror(errno));
	if (!(o.sha = EVP_MD_CTX_new()) || EVP_DigestInit_ex(o.sha, EVP_sha256(), NULL) != 1)
		abort(); /* out of memory */
	error = folio_bundle_write(bundle_chunk, &o, &nrefs, repo, j->pack_config);
	if (fclose(o.f) != 0 && error == 0)
		error = folio_error_set(FOLIO_ERROR, "cannot write '%s': %s", j->bundle_path, strerror(errno));
	EVP_DigestFinal_ex(o.sha, md, &mdlen);
	EVP_MD_CTX_free(o.sha);
	for (unsigned i = 0; i < mdlen && i < 32; i++)
		snprintf(j->bundle_sha + 2 * i, 3, "%02x", md[i]);
	j->bundle_size = o.size;
	if (error < 0 || nrefs == 0) {
		unlink(j->bundle_path);
		free(j->bundle_path);
		j->bundle_path = NULL;
	}
	return error;
}

static void git_job_run(git_job *j)
{
	git_repository *repo = NULL;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_oid oid;
	int error, found = 0, rc;

	if ((rc = git_repository_open_bare(&repo, j->repo_path)) < 0) {
		error = folio_git_error(rc, "cannot open the portfolio repository");
		goto cleanup;
	}
	if ((error = folio_git_main(&oid, &found, repo)) < 0)
		goto cleanup;
	if (found)
		git_oid_tostr(j->tip, sizeof(j->tip), &oid);
	if (!j->pinned[0])
		memcpy(j->pinned, j->tip, sizeof(j->tip));
	if ((error = bundle_to_file(j, repo)) < 0)
		goto cleanup;
	if (j->pinned[0]) {
		j->md.repo = repo;
		j->md.mentor = j->mentor;
		if (git_oid_fromstr(&oid, j->pinned) < 0 || git_commit_lookup(&commit, repo, &oid) < 0 ||
		    git_commit_tree(&tree, commit) < 0) {
			git_error_clear();
			error = folio_error_set(FOLIO_EINVALID, "portfolio '%s': pinned commit %s is missing", j->mentor,
				j->pinned);
			goto cleanup;
		}
		if (git_tree_walk(tree, GIT_TREEWALK_PRE, md_each, &j->md) < 0) {
			error = j->md.error < 0 ? j->md.error : folio_git_error(-1, "cannot read the portfolio's Markdown");
			goto cleanup;
		}
	}
cleanup:
	git_tree_free(tree);
	git_commit_free(commit);
	git_repository_free(repo);
	j->error = error;
	if (error < 0)
		j->message = folio_strdup(folio_error_last());
	folio_error_clear(); /* the message lives per thread: a worker's would leak when it ends */
}

static void git_job_clear(git_job *j)
{
	free(j->repo_path);
	free(j->message);
	if (j->bundle_path)
		unlink(j->bundle_path);
	free(j->bundle_path);
	for (size_t i = 0; i < j->md.n; i++) {
		free(j->md.files[i].member);
		free(j->md.files[i].data);
	}
	free(j->md.files);
	memset(j, 0, sizeof(*j));
}

/* Workers take jobs in order, at most LOOKAHEAD ahead of the main thread (memory stays bounded). */
#define LOOKAHEAD 64

typedef struct {
	git_job *jobs;
	size_t n, next, consumed;
	int stop;
	pthread_mutex_t lock;
	pthread_cond_t changed;
} git_pool;

static void *git_worker(void *arg)
{
	git_pool *p = arg;
	for (;;) {
		size_t i;
		pthread_mutex_lock(&p->lock);
		while (!p->stop && p->next < p->n && p->next >= p->consumed + LOOKAHEAD)
			pthread_cond_wait(&p->changed, &p->lock);
		if (p->stop || p->next >= p->n) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		i = p->next++;
		pthread_mutex_unlock(&p->lock);
		git_job_run(&p->jobs[i]);
		pthread_mutex_lock(&p->lock);
		p->jobs[i].done = 1;
		pthread_cond_broadcast(&p->changed);
		pthread_mutex_unlock(&p->lock);
	}
}

/* Everything of one portfolio into the zip (its git half already done by a worker); its manifest entry into `portfolios`. */
static int archive_one(zwriter *w, json_t *portfolios, folio_site *site, git_job *j, long long latest)
{
	json_t *records = NULL;
	char *member = NULL, *html = NULL, *text = NULL;
	const char *mentor = j->mentor;
	size_t html_len = 0;
	folio_portfolio row = { 0 };
	int error;

	if (j->error < 0)
		return folio_error_set(j->error, "%s", j->message ? j->message : "cannot read the portfolio");

	/* the records as one consistent read */
	if ((error = folio_db_exec(site, "BEGIN")) < 0)
		return error;
	if ((error = folio_portfolio__row(&row, site, mentor)) < 0)
		goto cleanup;
	records = json_pack("{s:i, s:s}", "format", FOLIO_ARCHIVE_FORMAT, "mentor", mentor);
	for (size_t t = 0; t < NTABLES; t++) {
		json_t *rows = NULL;
		if ((error = table_dump(&rows, site, &tables[t], mentor)) < 0)
			goto cleanup;
		json_object_set_new(records, tables[t].name, rows);
	}
	folio_tx_rollback(site); /* nothing was written: end the read */

	/* the full history */
	if (j->bundle_path) {
		member = folio_asprintf("%s/portfolio.bundle", mentor);
		if ((error = zadd_file(w, member, j->bundle_path, j->bundle_size, j->bundle_sha)) < 0)
			goto cleanup;
		/* libzip reads it when the zip is closed: the writer removes it then */
		strlist_add(&w->files, j->bundle_path);
		j->bundle_path = NULL;
		free(member);
		member = NULL;
	}
	/* the Markdown as pinned */
	for (size_t i = 0; i < j->md.n; i++) {
		error = zadd(w, j->md.files[i].member, j->md.files[i].data, j->md.files[i].len);
		j->md.files[i].data = NULL;
		if (error < 0)
			goto cleanup;
	}
	/* the rendered pack (a portfolio without entries has none: there is nothing to read) */
	if (j->tip[0]) {
		if ((error = folio_pack_render(&html, &html_len, site, mentor)) < 0)
			goto cleanup;
		member = folio_asprintf("%s/pack.html", mentor);
		error = zadd(w, member, html, html_len);
		html = NULL;
		if (error < 0)
			goto cleanup;
		free(member);
		member = NULL;
	}

	/* records and badge files */
	text = json_dumps(records, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	member = folio_asprintf("%s/records.json", mentor);
	if ((error = zadd_text(w, member, text)) < 0 ||
	    (error = add_badges(w, site, mentor, json_object_get(records, "certificate"))) < 0)
		goto cleanup;

	json_array_append_new(portfolios, json_pack("{s:s, s:s, s:o, s:o, s:o}", "mentor", mentor,
		"qualification", row.qualification, "commit", j->tip[0] ? json_string(j->tip) : json_null(),
		"pinned", j->pinned[0] ? json_string(j->pinned) : json_null(),
		"submission", latest ? json_integer(latest) : json_null()));
cleanup:
	folio_tx_rollback(site);
	folio_portfolio_clear(&row);
	json_decref(records);
	free(member);
	free(html);
	free(text);
	return error;
}

/* The mentors to archive, checked, in order. */
/*
 * A named mentor without a portfolio: when their portfolio was removed
 * (archive --remove), say so; a removal again (the re-run of one killed
 * after its COMMIT) also finishes it, deleting the repository left at its
 * place, under the write lock so no create or restore is moving one in.
 * Otherwise the "no portfolio" error stands.
 */
static int removed_before(folio_site *site, const char *mentor, int finish)
{
	int removed, error = folio_error_code();
	char *msg = folio_strdup(folio_error_last()), *repo = NULL;

	if (finish && (removed = folio_tx_begin(site)) < 0)
		goto cleanup;
	if ((removed = folio_portfolio__removed(site, mentor)) < 0)
		goto cleanup;
	if (!removed) {
		error = folio_error_set(error, "%s", msg);
		goto cleanup;
	}
	repo = folio_portfolio_repo_path(site, mentor);
	if (finish && path_exists(repo))
		folio_rmtree(repo);
	error = folio_error_set(FOLIO_ENOTFOUND, "the portfolio of '%s' was removed from site '%s' (see the audit log)",
		mentor, site->path);
cleanup:
	if (finish)
		folio_tx_rollback(site);
	free(repo);
	free(msg);
	return removed < 0 ? removed : error;
}

static int select_mentors(strlist *out, folio_site *site, const folio_archive_options *o)
{
	sqlite3_stmt *st = NULL;
	int error = 0, rc, ways = (o->nmentors > 0) + (o->certified_before != NULL) + (o->all != 0);

	if (ways != 1)
		return folio_error_set(FOLIO_EINVALID,
			"name the portfolios to archive: mentor ids, --certified-before DATE or --all (one of them)");
	if (o->nmentors) {
		for (size_t i = 0; i < o->nmentors && error == 0; i++) {
			folio_portfolio row = { 0 };
			for (size_t k = 0; k < out->n; k++)
				if (strcmp(out->v[k], o->mentors[i]) == 0)
					return folio_error_set(FOLIO_EINVALID, "portfolio '%s' named twice", o->mentors[i]);
			if ((error = folio_portfolio__row(&row, site, o->mentors[i])) == 0)
				strlist_add(out, folio_strdup(o->mentors[i]));
			else if (error == FOLIO_ENOTFOUND)
				error = removed_before(site, o->mentors[i], o->remove);
			folio_portfolio_clear(&row);
		}
		return error;
	}
	if (o->certified_before && !folio_date_valid(o->certified_before))
		return folio_error_set(FOLIO_EINVALID, "invalid date '%s' for --certified-before: use YYYY-MM-DD",
			o->certified_before);
	if ((error = folio_db_prepare(site, &st, o->all ? "SELECT mentor FROM portfolio ORDER BY mentor"
		: "SELECT mentor FROM portfolio WHERE mentor IN (SELECT holder FROM certificate"
		  " WHERE revoked IS NULL AND substr(issued, 1, 10) < ?1) ORDER BY mentor")) < 0)
		return error;
	if (o->certified_before)
		sqlite3_bind_text(st, 1, o->certified_before, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		strlist_add(out, folio_db_col_dup(st, 0));
	if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read portfolios");
	sqlite3_finalize(st);
	if (error == 0 && out->n == 0)
		error = o->all ? folio_error_set(FOLIO_ENOTFOUND, "no portfolios to archive in site '%s'", site->path)
			       : folio_error_set(FOLIO_ENOTFOUND, "no portfolio certified before %s in site '%s'",
				       o->certified_before, site->path);
	return error;
}

/* Refuse to remove a portfolio while one of its submissions is still with a panel or a lead. */
static int check_removable(folio_site *site, const char *mentor)
{
	sqlite3_stmt *st = NULL;
	int error, rc;
	if ((error = folio_db_prepare(site, &st, "SELECT id, state FROM submission WHERE mentor = ?1"
		" AND state IN ('submitted', 'in-review', 'recommended') ORDER BY id LIMIT 1")) < 0)
		return error;
	sqlite3_bind_text(st, 1, mentor, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		error = folio_error_set(FOLIO_ECONFLICT, "portfolio '%s' cannot be removed: submission %lld is %s",
			mentor, sqlite3_column_int64(st, 0), sqlite3_column_text(st, 1));
	else if (rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read submissions");
	sqlite3_finalize(st);
	return error;
}

typedef struct {
	const folio_archive_options *o;
} zprogress_ctx;

static void zip_progress(zip_t *za, double p, void *ud)
{
	zprogress_ctx *c = ud;
	(void)za;
	c->o->progress((size_t)(p * 1000), 1000, "writing the zip", c->o->payload);
}

void folio_archive_result_clear(folio_archive_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->portfolios; i++)
		free(r->mentors[i]);
	free(r->mentors);
	memset(r, 0, sizeof(*r));
}

int folio_archive_write(folio_archive_result *out, folio_site *site, const char *zip_path,
	const folio_archive_options *opts)
{
	folio_archive_options none = { 0 };
	strlist mentors = { 0 };
	zwriter w = { NULL, NULL, NULL, 0, 0, NULL, NULL, 0, { NULL, 0, 0 } };
	zprogress_ctx pctx;
	json_t *manifest = NULL, *portfolios = NULL;
	char *tmp = NULL, *dir = NULL, *now = NULL, *text = NULL, *base = NULL;
	int error, zerr = 0, placed = 0;
	struct stat st;
	git_pool pool = { NULL, 0, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER };
	pthread_t *threads = NULL;
	size_t nthreads = 0, started = 0;
	long long *latest = NULL;
	char *pack_config = NULL, *bundle_dir = NULL;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!opts)
		opts = &none;
	folio_git_init();
	if ((error = folio_site_require(site, FOLIO_ROLE_ADMIN, "archive portfolios")) < 0)
		return error;
	if (!zip_path || !*zip_path)
		return folio_error_set(FOLIO_EINVALID, "no archive file named: use --out FILE.zip");
	if ((error = select_mentors(&mentors, site, opts)) < 0)
		goto cleanup;
	if (!opts->force && lstat(zip_path, &st) == 0) {
		error = folio_error_set(FOLIO_EEXISTS, "'%s' already exists: use --force to replace it", zip_path);
		goto cleanup;
	}
	if (opts->remove)
		for (size_t i = 0; i < mentors.n; i++)
			if ((error = check_removable(site, mentors.v[i])) < 0)
				goto cleanup;
	dir = dir_of(zip_path);
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		error = folio_error_set(FOLIO_ENOTFOUND, "no directory '%s' to write '%s' in", dir, zip_path);
		goto cleanup;
	}
	base = folio_strdup(strrchr(zip_path, '/') ? strrchr(zip_path, '/') + 1 : zip_path);
	tmp = folio_asprintf("%s/.%s.tmp-%ld", dir, base, (long)getpid());
	unlink(tmp);
	if (!(w.za = zip_open(tmp, ZIP_CREATE | ZIP_EXCL, &zerr))) {
		zip_error_t ze;
		zip_error_init_with_code(&ze, zerr);
		error = folio_error_set(FOLIO_ERROR, "cannot create '%s': %s", tmp, zip_error_strerror(&ze));
		zip_error_fini(&ze);
		goto cleanup;
	}
	w.spill_path = folio_asprintf("%s.data", tmp);
	if (!(w.spill = fopen(w.spill_path, "w+"))) {
		error = folio_error_set(FOLIO_ERROR, "cannot write '%s': %s", w.spill_path, strerror(errno));
		goto cleanup;
	}
	w.list_path = folio_asprintf("%s.members", tmp);
	if (!(w.list = fopen(w.list_path, "w+"))) {
		error = folio_error_set(FOLIO_ERROR, "cannot write '%s': %s", w.list_path, strerror(errno));
		goto cleanup;
	}
	portfolios = json_array();
	if ((error = folio_db_exec(site, audit_by_mentor)) < 0)
		goto cleanup;
	/* git work on worker threads, in order; the database and the zip stay on this thread */
	latest = folio_calloc(mentors.n + 1, sizeof(long long));
	pool.jobs = folio_calloc(mentors.n + 1, sizeof(git_job));
	pool.n = mentors.n;
	/*
	 * Delta search against one neighbour only (pack.windowMemory = 1): the
	 * versions of one file sort next to each other, and searching ten
	 * unrelated entries for each object took a third of the time for a few
	 * per cent of size (bench/README.md).
	 */
	pack_config = folio_asprintf("%s.gitconfig", tmp);
	unlink(pack_config);
	if ((error = write_file(pack_config, PACK_CONFIG, strlen(PACK_CONFIG))) < 0) {
		free(pack_config);
		pack_config = NULL;
		goto cleanup;
	}
	/* the workers write each bundle to a file of its own, which the zip reads when it is closed */
	bundle_dir = folio_asprintf("%s.bundles", tmp);
	if (mkdir(bundle_dir, 0700) < 0) {
		error = folio_error_set(FOLIO_ERROR, "cannot create '%s': %s", bundle_dir, strerror(errno));
		free(bundle_dir);
		bundle_dir = NULL;
		goto cleanup;
	}
	for (size_t i = 0; i < mentors.n; i++) {
		pool.jobs[i].bundle_path = folio_asprintf("%s/%zu.bundle", bundle_dir, i);
		pool.jobs[i].mentor = mentors.v[i];
		pool.jobs[i].pack_config = pack_config;
		pool.jobs[i].repo_path = folio_portfolio_repo_path(site, mentors.v[i]);
		if ((error = latest_submission(site, mentors.v[i], &latest[i], pool.jobs[i].pinned)) < 0)
			goto cleanup;
	}
	{
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = cpus < 1 ? 1 : cpus > 8 ? 8 : (size_t)cpus;
		if (nthreads > mentors.n)
			nthreads = mentors.n;
	}
	threads = folio_calloc(nthreads + 1, sizeof(pthread_t));
	for (started = 0; started < nthreads; started++)
		if (pthread_create(&threads[started], NULL, git_worker, &pool) != 0)
			break;
	if (started == 0) {
		error = folio_error_set(FOLIO_ERROR, "cannot start a thread to read the portfolios");
		goto cleanup;
	}
	for (size_t i = 0; i < mentors.n; i++) {
		if (opts->progress)
			opts->progress(i, mentors.n, mentors.v[i], opts->payload);
		pthread_mutex_lock(&pool.lock);
		while (!pool.jobs[i].done)
			pthread_cond_wait(&pool.changed, &pool.lock);
		pthread_mutex_unlock(&pool.lock);
		error = archive_one(&w, portfolios, site, &pool.jobs[i], latest[i]);
		git_job_clear(&pool.jobs[i]);
		pthread_mutex_lock(&pool.lock);
		pool.consumed = i + 1;
		pthread_cond_broadcast(&pool.changed);
		pthread_mutex_unlock(&pool.lock);
		if (error < 0)
			goto cleanup;
	}
	if (opts->progress)
		opts->progress(mentors.n, mentors.n, "", opts->payload);

	now = folio_now_iso();
	manifest = json_pack("{s:s, s:i, s:s, s:s, s:O}", "format", "folio-archive", "format_version",
		FOLIO_ARCHIVE_FORMAT, "folio_version", FOLIO_VERSION, "created", now, "portfolios", portfolios);
	text = json_dumps(manifest, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if ((error = zadd_manifest(&w, text)) < 0)
		goto cleanup;
	if (opts->progress) {
		pctx.o = opts;
		zip_register_progress_callback_with_state(w.za, 0.01, zip_progress, NULL, &pctx);
	}
	if (fflush(w.spill) != 0) {
		error = folio_error_set(FOLIO_ERROR, "cannot write '%s': %s", w.spill_path, strerror(errno));
		goto cleanup;
	}
	if (zip_close(w.za) < 0) {
		error = folio_error_set(FOLIO_ERROR, "cannot write '%s': %s", zip_path, zip_strerror(w.za));
		goto cleanup;
	}
	w.za = NULL;
	folio_crashpoint("archive.zip:written");
	/* complete: move it into place; link() refuses to replace a file that appeared meanwhile */
	if (opts->force ? rename(tmp, zip_path) < 0 : link(tmp, zip_path) < 0) {
		error = errno == EEXIST
			? folio_error_set(FOLIO_EEXISTS, "'%s' already exists: use --force to replace it", zip_path)
			: folio_error_set(FOLIO_ERROR, "cannot write '%s': %s", zip_path, strerror(errno));
		goto cleanup;
	}
	placed = 1;
	folio_crashpoint("archive.zip:placed");

	/* the audit log: one row per portfolio */
	if ((error = folio_tx_begin(site)) < 0)
		goto cleanup;
	for (size_t i = 0; i < mentors.n && error == 0; i++) {
		json_t *p = json_array_get(portfolios, i);
		char *obj = folio_asprintf("portfolio:%s", mentors.v[i]);
		char *detail = folio_asprintf("archived to '%s'", zip_path);
		error = folio_audit_change(site, "archive.write", obj, NULL, NULL,
			json_string_value(json_object_get(p, "commit")), detail);
		free(obj);
		free(detail);
	}
	if (error == 0)
		error = folio_tx_commit(site);
	else
		folio_tx_rollback(site);
	if (error < 0)
		goto cleanup;

	if (out) {
		out->portfolios = mentors.n;
		out->members = w.count;
		out->bytes = stat(zip_path, &st) == 0 ? (unsigned long long)st.st_size : 0;
		out->mentors = folio_calloc(mentors.n + 1, sizeof(char *));
		for (size_t i = 0; i < mentors.n; i++)
			out->mentors[i] = folio_strdup(mentors.v[i]);
	}

	/* removal only after what was written reads back whole */
	if (opts->remove) {
		char **problems = NULL;
		size_t np = 0;
		if ((error = folio_archive_verify(&problems, &np, NULL, zip_path, NULL)) < 0)
			goto cleanup;
		if (np) {
			error = folio_error_set(FOLIO_EINVALID, "archive '%s' did not verify, nothing removed: %s", zip_path,
				problems[0]);
			folio_archive_problems_free(problems, np);
			goto cleanup;
		}
		for (size_t i = 0; i < mentors.n && error == 0; i++)
			if ((error = folio_archive_remove(site, mentors.v[i], zip_path)) == 0 && out)
				out->removed++;
	}
cleanup:
	if (threads) {
		pthread_mutex_lock(&pool.lock);
		pool.stop = 1;
		pthread_cond_broadcast(&pool.changed);
		pthread_mutex_unlock(&pool.lock);
		for (size_t i = 0; i < started; i++)
			pthread_join(threads[i], NULL);
		free(threads);
	}
	sqlite3_exec(site->db, "DROP TABLE IF EXISTS temp.archive_audit", NULL, NULL, NULL);
	for (size_t i = 0; i < pool.n; i++)
		git_job_clear(&pool.jobs[i]);
	free(pool.jobs);
	free(latest);
	if (pack_config) {
		unlink(pack_config);
		free(pack_config);
	}
	if (w.za)
		zip_discard(w.za);
	if (w.spill)
		fclose(w.spill);
	if (w.spill_path) {
		unlink(w.spill_path);
		free(w.spill_path);
	}
	for (size_t i = 0; i < w.files.n; i++)
		unlink(w.files.v[i]);
	strlist_free(&w.files);
	if (bundle_dir) {
		folio_rmtree(bundle_dir);
		free(bundle_dir);
	}
	if (tmp)
		unlink(tmp);
	(void)placed;
	if (w.list)
		fclose(w.list);
	if (w.list_path) {
		unlink(w.list_path);
		free(w.list_path);
	}
	json_decref(portfolios);
	json_decref(manifest);
	strlist_free(&mentors);
	free(tmp);
	free(dir);
	free(base);
	free(now);
	free(text);
	return error;
}

/* ------------------------------------------------------------ remove */

/* Delete every row of the portfolio (not the person, exemption or audit), inside the caller's transaction. */
static int delete_rows(folio_site *site, const char *mentor)
{
	static const char *const sql[] = {
		"DELETE FROM certificate WHERE holder = ?1 OR submission IN " SUBS,
		"DELETE FROM feedback WHERE mentor = ?1 OR submission IN " SUBS,
		"DELETE FROM judgement WHERE submission IN " SUBS,
		"DELETE FROM moderation WHERE submission IN " SUBS,
		"DELETE FROM assignment WHERE submission IN " SUBS,
		"DELETE FROM submission_history WHERE submission IN " SUBS,
		"DELETE FROM submission WHERE mentor = ?1",
		"DELETE FROM portfolio_blob WHERE mentor = ?1",
		"DELETE FROM portfolio_index WHERE mentor = ?1",
		"DELETE FROM portfolio WHERE mentor = ?1",
	};
	int error = 0;
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]) && error == 0; i++) {
		sqlite3_stmt *st = NULL;
		if ((error = folio_db_prepare(site, &st, sql[i])) < 0)
			break;
		sqlite3_bind_text(st, 1, mentor, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			error = folio_db_error(site, "cannot remove the portfolio's records");
		sqlite3_finalize(st);
	}
	return error;
}

int folio_archive_remove(folio_site *site, const char *mentor, const char *archive)
{
	folio_portfolio row = { 0 };
	char *repo = NULL, *aside = NULL, *obj = NULL, *detail = NULL, tip[41] = "";
	int error;

	if ((error = folio_site_require(site, FOLIO_ROLE_ADMIN, "remove portfolios")) < 0)
		return error;
	if ((error = folio_portfolio__row(&row, site, mentor)) < 0 || (error = check_removable(site, mentor)) < 0)
		goto cleanup;
	repo = folio_portfolio_repo_path(site, mentor);
	aside = folio_asprintf("%s/portfolios/.removed-%s-%ld.git", site->path, mentor, (long)getpid());
	if (!folio_git_main_loose(repo, tip))
		tip[0] = '\0';
	obj = folio_asprintf("portfolio:%s", mentor);
	detail = archive ? folio_asprintf("removed after archiving to '%s'", archive) : folio_strdup("removed");
	if ((error = folio_tx_begin(site)) < 0)
		goto cleanup;
	if ((error = delete_rows(site, mentor)) < 0 ||
	    (error = folio_audit_change(site, "portfolio.remove", obj, NULL, NULL, tip[0] ? tip : NULL, detail)) < 0)
		goto cleanup;
	/*
	 * The rows go first, then the repository: a kill in between leaves a
	 * repository the site no longer knows, which the audited removal marks
	 * as a leftover for the next create, import or restore to delete
	 * (folio_portfolio__removed). The other order would leave a portfolio
	 * row without its repository.
	 */
	if ((error = folio_tx_commit(site)) < 0)
		goto cleanup;
	folio_crashpoint("archive.remove:committed");
	if (path_exists(repo) && rename(repo, aside) == 0)
		folio_rmtree(aside);
cleanup:
	if (error < 0)
		folio_tx_rollback(site);
	folio_portfolio_clear(&row);
	free(repo);
	free(aside);
	free(obj);
	free(detail);
	return error;
}

/* ------------------------------------------------------------ reading an archive */

/*
 * An archive is read member by member in chunks: each member is hashed as it
 * streams, a bundle goes straight into libgit2's indexer, and only the
 * manifest and the records.json members are held in memory (restore also
 * copies records and badge files to its staging directory). Memory does not
 * grow with the members' sizes.
 */
#define HELD_MAX (64u << 20) /* a manifest or records.json larger than this is refused */
#define CHUNK (256u << 10)

typedef struct {
	char *name;
	zip_uint64_t index;
	unsigned long long declared; /* uncompressed size in the central directory */
	size_t size;                 /* bytes read */
	char sha[65];                /* SHA-256 of the bytes read */
	char *problem;               /* found listing or reading it; reported in zip order */
	char *data;                  /* held (manifest.json, records.json), NUL-terminated */
	int readable;                /* safe name, regular file, size known */
	int ok;                      /* read whole, name safe, not duplicated */
	int dup;                     /* its name appears more than once */
	int foreign;                 /* a records.json read whole, not the records of its folder's person */
} zmember;

typedef struct {
	zip_t *za;
	zmember *m;
	size_t n;
	zmember **sorted;            /* by name, then zip order */
	int fatal;                   /* a zip bomb at member fatal_at: the archive is refused */
	size_t fatal_at;
	unsigned char *chunk;
} zreader;

static void zreader_close(zreader *z)
{
	for (size_t i = 0; i < z->n; i++) {
		free(z->m[i].name);
		free(z->m[i].problem);
		free(z->m[i].data);
	}
	free(z->m);
	free(z->sorted);
	free(z->chunk);
	if (z->za)
		zip_discard(z->za);
	memset(z, 0, sizeof(*z));
}

static void member_problem(zmember *m, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void member_problem(zmember *m, const char *f, ...)
{
	folio_buf b = FOLIO_BUF_INIT;
	va_list ap;
	if (m->problem)
		return; /* one per member: the first */
	va_start(ap, f);
	folio_buf_vprintf(&b, f, ap);
	va_end(ap);
	m->problem = folio_buf_detach(&b);
}

static int member_cmp(const void *a, const void *b)
{
	const zmember *x = *(const zmember *const *)a, *y = *(const zmember *const *)b;
	int c = strcmp(x->name, y->name);
	return c ? c : x->index < y->index ? -1 : x->index > y->index;
}

/* The first member (in zip order) named `name`, or NULL. */
static zmember *zfind(const zreader *z, const char *name)
{
	size_t lo = 0, hi = z->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(z->sorted[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < z->n && strcmp(z->sorted[lo]->name, name) == 0 ? z->sorted[lo] : NULL;
}

/*
 * Open the zip and list its members with everything the central directory
 * tells: safe names, regular files, sizes within the limits (uncompressed
 * total and ratio; reading then refuses a member that holds more than it
 * declares, so the bytes read stay within the same limits). A zip bomb or an
 * unreadable zip: one problem, and *fatal set. Negative only when the file
 * cannot be opened at all.
 */
static int zlist(zreader *z, strlist *p, const char *path, const folio_archive_limits *lim)
{
	unsigned long long max_total = lim && lim->max_total ? lim->max_total : FOLIO_ARCHIVE_MAX_TOTAL;
	unsigned long long total = 0;
	unsigned max_ratio = lim && lim->max_ratio ? lim->max_ratio : FOLIO_ARCHIVE_MAX_RATIO;
	zip_int64_t count;
	int zerr = 0;
	struct stat st;

	memset(z, 0, sizeof(*z));
	if (stat(path, &st) < 0)
		return folio_error_set(FOLIO_ENOTFOUND, "no archive '%s'", path);
	if (!S_ISREG(st.st_mode))
		return folio_error_set(FOLIO_EINVALID, "'%s' is not a file", path);
	/* libzip's consistency checks refuse duplicate names outright; we name them ourselves */
	z->za = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
	if (!z->za && zerr == ZIP_ER_EXISTS)
		z->za = zip_open(path, ZIP_RDONLY, &zerr);
	if (!z->za) {
		zip_error_t ze;
		zip_error_init_with_code(&ze, zerr);
		problem(p, "not a zip archive, or a damaged one: %s", zip_error_strerror(&ze));
		zip_error_fini(&ze);
		z->fatal = 1;
		return 0;
	}
	count = zip_get_num_entries(z->za, 0);
	z->m = folio_calloc((size_t)count + 1, sizeof(zmember));
	z->sorted = folio_calloc((size_t)count + 1, sizeof(zmember *));
	z->chunk = folio_malloc(CHUNK);
	for (zip_int64_t i = 0; i < count; i++) {
		zip_uint64_t ui = (zip_uint64_t)i;
		const char *name = zip_get_name(z->za, ui, 0);
		zmember *m = &z->m[z->n];
		zip_stat_t zs;
		zip_uint8_t opsys;
		zip_uint32_t attr;
		const char *why;
		z->sorted[z->n++] = m;
		m->name = folio_strdup(name ? name : "");
		m->index = ui;
		if ((why = name_unsafe(m->name)) != NULL) {
			member_problem(m, "member '%s' has %s: refused", m->name, why);
			continue;
		}
		if (zip_file_get_external_attributes(z->za, ui, 0, &opsys, &attr) == 0 && opsys == ZIP_OPSYS_UNIX) {
			unsigned type = (attr >> 16) & S_IFMT;
			if (type == S_IFLNK) {
				member_problem(m, "member '%s' is a symbolic link: refused", m->name);
				continue;
			}
			if (type != 0 && type != S_IFREG) {
				member_problem(m, "member '%s' is not a regular file: refused", m->name);
				continue;
			}
		}
		if (zip_stat_index(z->za, ui, 0, &zs) < 0 || !(zs.valid & ZIP_STAT_SIZE) || !(zs.valid & ZIP_STAT_COMP_SIZE)) {
			member_problem(m, "member '%s': cannot read its size", m->name);
			continue;
		}
		if (zs.size > max_total - total) {
			member_problem(m, "archive refused as a zip bomb: member '%s' would take the uncompressed total past %llu bytes",
				m->name, max_total);
			z->fatal = 1;
			z->fatal_at = z->n - 1;
			break;
		}
		if (zs.size > RATIO_FLOOR && zs.size / (zs.comp_size ? zs.comp_size : 1) > max_ratio) {
			member_problem(m, "archive refused as a zip bomb: member '%s' expands %llu times (limit %u)", m->name,
				(unsigned long long)(zs.size / (zs.comp_size ? zs.comp_size : 1)), max_ratio);
			z->fatal = 1;
			z->fatal_at = z->n - 1;
			break;
		}
		total += zs.size;
		m->declared = zs.size;
		m->readable = 1;
	}
	qsort(z->sorted, z->n, sizeof(zmember *), member_cmp);
	for (size_t i = 0; i + 1 < z->n; i++)
		if (strcmp(z->sorted[i]->name, z->sorted[i + 1]->name) == 0)
			z->sorted[i]->dup = z->sorted[i + 1]->dup = 1;
	return 0;
}

/* Where a member's bytes go as they are read; negative stops the reading (and is returned). */
typedef int (*zsink)(const unsigned char *data, size_t len, void *payload);

/*
 * Read member m in chunks: hash it, count it (never more than it declares),
 * pass it to sink (may be NULL); hold: keep it in m->data. Problems go to the
 * member; a member larger than it declares is a zip bomb (z->fatal). Negative
 * only when the sink failed.
 */
/* One member being read: counted (never more than it declares) and hashed as it comes. */
typedef struct {
	zreader *z;
	zmember *m;
	zip_file_t *zf;
	EVP_MD_CTX *ctx;
	size_t got;
	int end; /* 1: read whole; -1: stopped by a problem (the member's) */
} zstream;

static int zstream_open(zstream *s, zreader *z, zmember *m)
{
	memset(s, 0, sizeof(*s));
	s->z = z;
	s->m = m;
	if (!(s->zf = zip_fopen_index(z->za, m->index, 0))) {
		member_problem(m, "member '%s' cannot be read: %s", m->name, zip_strerror(z->za));
		return -1;
	}
	if (!(s->ctx = EVP_MD_CTX_new()) || EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1)
		abort(); /* out of memory */
	return 0;
}

/* Up to cap bytes into buf; 0 at the end, or after a problem (s->end says which). */
static size_t zstream_read(zstream *s, void *buf, size_t cap)
{
	zip_int64_t r;
	if (s->end)
		return 0;
	/* count what really comes out: the sizes in the directory may lie */
	if ((r = zip_fread(s->zf, buf, cap)) < 0) {
		member_problem(s->m, "member '%s' is damaged: %s", s->m->name, zip_file_strerror(s->zf));
		s->end = -1;
		return 0;
	}
	if (r == 0) {
		s->end = 1;
		return 0;
	}
	if ((unsigned long long)r > s->m->declared - s->got) {
		member_problem(s->m, "archive refused as a zip bomb: member '%s' holds more than the %llu bytes it declares",
			s->m->name, s->m->declared);
		s->z->fatal = 1;
		s->z->fatal_at = (size_t)(s->m - s->z->m);
		s->end = -1;
		return 0;
	}
	s->got += (size_t)r;
	EVP_DigestUpdate(s->ctx, buf, (size_t)r);
	return (size_t)r;
}

/* Done: the member's size and hash; ok when read whole, as large as it declares, and its name unique. */
static void zstream_close(zstream *s)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	zmember *m = s->m;
	zip_fclose(s->zf);
	EVP_DigestFinal_ex(s->ctx, md, &mdlen);
	EVP_MD_CTX_free(s->ctx);
	for (unsigned i = 0; i < mdlen && i < 32; i++)
		snprintf(m->sha + 2 * i, 3, "%02x", md[i]);
	m->size = s->got;
	m->ok = s->end == 1 && !m->dup;
	if (s->end == 1 && s->got != m->declared) {
		member_problem(m, "member '%s' is truncated: %zu of %llu bytes", m->name, s->got, m->declared);
		m->ok = 0;
	}
}

/*
 * Read member m in chunks, to sink (may be NULL); hold: keep it in m->data.
 * Problems go to the member; one larger than it declares is a zip bomb
 * (z->fatal). Negative only when the sink failed.
 */
static int zread(zreader *z, zmember *m, int hold, zsink sink, void *payload)
{
	folio_buf held = FOLIO_BUF_INIT;
	zstream s;
	size_t n;
	int error = 0;

	if (hold && m->declared > HELD_MAX) {
		member_problem(m, "member '%s' is %llu bytes: more than the %u MiB folio reads of it", m->name, m->declared,
			HELD_MAX >> 20);
		return 0;
	}
	if (zstream_open(&s, z, m) < 0)
		return 0;
	while ((n = zstream_read(&s, z->chunk, CHUNK)) > 0) {
		if (hold)
			folio_buf_put(&held, (const char *)z->chunk, n);
		if (sink && (error = sink(z->chunk, n, payload)) < 0)
			break;
	}
	zstream_close(&s);
	if (error < 0)
		m->ok = 0;
	if (hold && m->ok)
		m->data = folio_buf_detach(&held);
	folio_buf_free(&held);
	return error;
}

static size_t manifest_chunk(void *buf, size_t len, void *payload)
{
	return zstream_read(payload, buf, len);
}

/* The manifest member parsed as it is read (its text is never whole in memory); NULL when it is not JSON. */
static json_t *zread_json(zreader *z, zmember *m, json_error_t *je)
{
	json_t *j = NULL;
	zstream s;
	memset(je, 0, sizeof(*je));
	if (m->declared > HELD_MAX) {
		member_problem(m, "member '%s' is %llu bytes: more than the %u MiB folio reads of it", m->name, m->declared,
			HELD_MAX >> 20);
		return NULL;
	}
	if (zstream_open(&s, z, m) < 0)
		return NULL;
	j = json_load_callback(manifest_chunk, &s, JSON_REJECT_DUPLICATES, je);
	while (zstream_read(&s, z->chunk, CHUNK) > 0)
		; /* the rest, counted: whole, damaged or truncated */
	zstream_close(&s);
	return j;
}

/* The problems found listing and reading, in zip order (up to a zip bomb). */
static void zproblems(const zreader *z, strlist *p)
{
	for (size_t i = 0; i < z->n && (!z->fatal || i <= z->fatal_at); i++)
		if (z->m[i].problem)
			strlist_add(p, folio_strdup(z->m[i].problem));
}

/* The portfolio of a member name MENTOR/...: the mentor's length, or 0. */
static size_t member_mentor_len(const char *name)
{
	const char *slash = strchr(name, '/');
	return slash ? (size_t)(slash - name) : 0;
}

/* certificates/NUMBER/FILE: a badge file of a portfolio. */
static int member_badge(const char *rest)
{
	const char *num = rest + 13, *slash;
	char *n;
	int ok;
	if (strncmp(rest, "certificates/", 13) != 0 || !(slash = strchr(num, '/')) || strchr(slash + 1, '/'))
		return 0;
	n = folio_strndup(num, (size_t)(slash - num));
	ok = number_ok(n);
	free(n);
	return ok;
}

/* A member of portfolio `mentor` with a name folio writes. */
static int member_known(const char *rest)
{
	if (strcmp(rest, "portfolio.bundle") == 0 || strcmp(rest, "records.json") == 0 || strcmp(rest, "pack.html") == 0)
		return 1;
	if (strncmp(rest, "markdown/", 9) == 0)
		return 1;
	return member_badge(rest);
}

/* A fresh temporary directory; malloc'd path. */
static char *make_tmpdir(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char *t = folio_asprintf("%s/folio-%s-XXXXXX", base && *base ? base : "/tmp", tag);
	if (!mkdtemp(t)) {
		folio_error_set(FOLIO_ERROR, "cannot create a temporary directory '%s': %s", t, strerror(errno));
		free(t);
		return NULL;
	}
	return t;
}

static int init_bare(git_repository **repo, const char *path)
{
	git_repository_init_options o;
	int rc;
	git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	o.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
	o.initial_head = "main";
	if ((rc = git_repository_init_ext(repo, path, &o)) < 0)
		return folio_git_error(rc, "cannot create repository");
	return 0;
}

/* A portfolio entry of the manifest, and what its bundle showed. */
typedef struct {
	const char *mentor;  /* NULL: a malformed entry */
	const char *commit;
	int checks_bundle;   /* the first entry of its mentor with a commit: its bundle is unpacked */
	int twice;           /* a later entry of the same mentor with a commit */
	size_t commits;
	strlist problems;    /* the bundle's */
} pentry;

static int bundle_sink(const unsigned char *data, size_t len, void *payload)
{
	folio_bundle_stream_append(payload, data, len); /* its first error is kept for finish */
	return 0;
}

/*
 * Read bundle member m into a new bare repository `repo_dir` (left there for
 * restore): pack indexed as it streams, refs set, main at the manifest's commit.
 */
static void unpack_member(zreader *z, zmember *m, pentry *pe, const char *repo_dir)
{
	git_repository *repo = NULL;
	folio_bundle_stream *s = NULL;
	const folio_bundle *b = NULL;
	int main_found = 0;

	if (init_bare(&repo, repo_dir) < 0 || folio_bundle_stream_new(&s, repo, m->name) < 0) {
		problem(&pe->problems, "%s", folio_error_last());
		zread(z, m, 0, NULL, NULL);
		goto cleanup;
	}
	zread(z, m, 0, bundle_sink, s);
	if (!m->ok)
		goto cleanup; /* its problem is the member's */
	if (folio_bundle_stream_finish(s, &b, &pe->commits) < 0 || folio_bundle_set_refs(repo, b, m->name) < 0) {
		problem(&pe->problems, "%s", folio_error_last());
		goto cleanup;
	}
	for (size_t i = 0; i < b->nrefs; i++) {
		char hex[GIT_OID_HEXSZ + 1];
		if (strcmp(b->refs[i].name, "refs/heads/main") != 0)
			continue;
		main_found = 1;
		git_oid_tostr(hex, sizeof(hex), &b->refs[i].oid);
		if (strcmp(hex, pe->commit) != 0)
			problem(&pe->problems, "%s: main is at %s, the manifest says %s", m->name, hex, pe->commit);
	}
	if (!main_found)
		problem(&pe->problems, "%s: the bundle has no branch main", m->name);
cleanup:
	folio_bundle_stream_free(s);
	git_repository_free(repo);
}

typedef struct {
	int fd;
	const char *path;
} file_out;

static int file_sink(const unsigned char *data, size_t len, void *payload)
{
	file_out *o = payload;
	while (len > 0) {
		ssize_t w = write(o->fd, data, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return folio_error_set(FOLIO_ERROR, "cannot write '%s': %s", o->path, w < 0 ? strerror(errno) : "no space");
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Read member m into DIR/NAME too (its directories created; the name is safe). */
static int stage_member(zreader *z, zmember *m, const char *dir, int hold)
{
	char *path = folio_asprintf("%s/%s", dir, m->name);
	file_out o = { -1, path };
	int error = 0;

	for (char *s = path + strlen(dir) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(path, 0777) < 0 && errno != EEXIST)
			error = folio_error_set(FOLIO_ERROR, "cannot create '%s': %s", path, strerror(errno));
		*s = '/';
		if (error < 0)
			goto cleanup;
	}
	if ((o.fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644)) < 0) {
		error = folio_error_set(FOLIO_ERROR, "cannot write '%s': %s", path, strerror(errno));
		goto cleanup;
	}
	error = zread(z, m, hold, file_sink, &o);
	if (close(o.fd) < 0 && error == 0)
		error = folio_error_set(FOLIO_ERROR, "cannot write '%s': %s", path, strerror(errno));
cleanup:
	free(path);
	return error;
}

void folio_archive_info_clear(folio_archive_info *info)
{
	if (!info)
		return;
	for (size_t i = 0; i < info->nportfolios; i++) {
		free(info->portfolios[i].mentor);
		free(info->portfolios[i].qualification);
	}
	free(info->portfolios);
	free(info->created);
	free(info->folio_version);
	memset(info, 0, sizeof(*info));
}

/* A manifest entry by name, and where it is in the list. */
typedef struct {
	const char *name;
	size_t at;
} listed_name;

static int listed_cmp(const void *a, const void *b)
{
	const listed_name *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : x->at < y->at ? -1 : x->at > y->at;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* records.json of `mentor` (the member name's folder): folio's records of that person. */
static int records_of(const char *data, const char *name)
{
	json_error_t je;
	json_t *r = json_loads(data, JSON_REJECT_DUPLICATES, &je);
	const char *rm = json_string_value(json_object_get(r, "mentor"));
	size_t ml = member_mentor_len(name);
	int ok = r && json_is_object(r) && rm && strlen(rm) == ml && strncmp(rm, name, ml) == 0;
	json_decref(r);
	return ok;
}

/*
 * Verify; with unpack_dir, bundles are unpacked to UNPACK_DIR/MENTOR.git and
 * records.json and badge files copied to UNPACK_DIR/files/NAME, for restore.
 */
static int verify_internal(strlist *p, folio_archive_info *info, const char *path, const folio_archive_limits *lim,
	const char *unpack_dir)
{
	zreader z;
	zmember *mf;
	strlist later = { 0 }; /* reported after the members' own problems */
	char *tmp = NULL, *files = NULL;
	const char **mentors = NULL;
	json_t *manifest = NULL, *members = NULL, *portfolios = NULL, *v;
	json_error_t je;
	pentry *pe = NULL;
	listed_name *listed = NULL;
	char *twice = NULL;
	size_t i, np = 0, nlisted = 0, nmentors = 0;
	int error, manifest_ok = 0;

	if (info)
		memset(info, 0, sizeof(*info));
	folio_git_init();
	if ((error = zlist(&z, p, path, lim)) < 0)
		return error;
	if (z.fatal)
		goto report;

	/* names: each once */
	for (i = 0; i < z.n; i++)
		if (z.sorted[i]->dup && (i == 0 || strcmp(z.sorted[i - 1]->name, z.sorted[i]->name) != 0))
			problem(&later, "member '%s' appears more than once", z.sorted[i]->name);

	/* the manifest, first */
	mf = zfind(&z, MANIFEST);
	if (mf && mf->readable && !mf->dup)
		manifest = zread_json(&z, mf, &je);
	if (z.fatal)
		goto report;
	if (!mf || !mf->ok) {
		problem(&later, "no readable %s in the archive", MANIFEST);
	} else {
		const char *format = json_string_value(json_object_get(manifest, "format"));
		if (!manifest || !json_is_object(manifest) || strcmp(format ? format : "", "folio-archive") != 0) {
			problem(&later, "%s is not a folio archive manifest%s%s", MANIFEST, manifest ? "" : ": ",
				manifest ? "" : je.text);
		} else if (json_integer_value(json_object_get(manifest, "format_version")) != FOLIO_ARCHIVE_FORMAT) {
			problem(&later, "%s: format_version %" JSON_INTEGER_FORMAT " is not one this folio reads (%d)", MANIFEST,
				json_integer_value(json_object_get(manifest, "format_version")), FOLIO_ARCHIVE_FORMAT);
		} else {
			members = json_object_get(manifest, "members");
			portfolios = json_object_get(manifest, "portfolios");
			if (!json_is_array(members) || !json_is_array(portfolios))
				problem(&later, "%s: 'members' and 'portfolios' must be lists", MANIFEST);
			else
				manifest_ok = 1;
		}
	}

	/* the portfolios the manifest lists: which entry's bundle is unpacked */
	if (manifest_ok) {
		np = json_array_size(portfolios);
		pe = folio_calloc(np + 1, sizeof(pentry));
		json_array_foreach(portfolios, i, v) {
			const char *mentor = json_string_value(json_object_get(v, "mentor"));
			json_t *jcommit = json_object_get(v, "commit"), *jpinned = json_object_get(v, "pinned");
			const char *commit = json_string_value(jcommit), *pinned = json_string_value(jpinned);
			if (!mentor || !folio_id_valid(mentor) || !json_string_value(json_object_get(v, "qualification")) ||
			    (!json_is_null(jcommit) && !hex40(commit)) || (!json_is_null(jpinned) && !hex40(pinned)))
				continue;
			pe[i].mentor = mentor;
			pe[i].commit = commit;
			pe[i].checks_bundle = commit != NULL;
			for (size_t k = 0; k < i && commit; k++)
				if (pe[k].checks_bundle && strcmp(pe[k].mentor, mentor) == 0) {
					pe[i].checks_bundle = 0;
					pe[i].twice = 1;
				}
		}
		if (!unpack_dir && (tmp = make_tmpdir("verify")) == NULL) {
			error = FOLIO_ERROR;
			goto done;
		}
	}

	/* every member read once, in zip order: hashed; bundles unpacked; records checked; restore's files staged */
	if (unpack_dir) {
		files = folio_asprintf("%s/files", unpack_dir);
		if (mkdir(files, 0777) < 0 && errno != EEXIST) {
			error = folio_error_set(FOLIO_ERROR, "cannot create '%s': %s", files, strerror(errno));
			goto done;
		}
	}
	for (i = 0; i < z.n && !z.fatal; i++) {
		zmember *m = &z.m[i];
		size_t ml = member_mentor_len(m->name), k = np;
		const char *rest = ml ? m->name + ml + 1 : "";
		char *mentor = folio_strndup(m->name, ml);
		int stage = files && ml && folio_id_valid(mentor);
		if (m == mf || !m->readable || m->dup) {
			free(mentor);
			continue;
		}
		if (strcmp(rest, "portfolio.bundle") == 0)
			for (k = 0; k < np; k++)
				if (pe[k].checks_bundle && strcmp(pe[k].mentor, mentor) == 0)
					break;
		if (k < np) {
			char *dir = folio_asprintf("%s/%s.git", unpack_dir ? unpack_dir : tmp, mentor);
			unpack_member(&z, m, &pe[k], dir);
			free(dir);
		} else if (strcmp(rest, "records.json") == 0) {
			error = stage ? stage_member(&z, m, files, 1) : zread(&z, m, 1, NULL, NULL);
			m->foreign = m->ok && !records_of(m->data, m->name);
			free(m->data);
			m->data = NULL;
		} else if (stage && member_badge(rest)) {
			error = stage_member(&z, m, files, 0);
		} else {
			error = zread(&z, m, 0, NULL, NULL);
		}
		free(mentor);
		if (error < 0)
			goto done;
	}
	if (z.fatal || !manifest_ok)
		goto report;
	if (info) {
		const char *c = json_string_value(json_object_get(manifest, "created"));
		const char *fv = json_string_value(json_object_get(manifest, "folio_version"));
		info->created = folio_strdup(c ? c : "");
		info->folio_version = folio_strdup(fv ? fv : "");
		info->members = z.n;
	}

	/* every listed member is there, whole; every member is listed, once */
	listed = folio_calloc(json_array_size(members) + 1, sizeof(listed_name));
	twice = folio_calloc(json_array_size(members) + 1, 1);
	json_array_foreach(members, i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));
		if (name && json_string_value(json_object_get(v, "sha256")) && json_is_integer(json_object_get(v, "size"))) {
			listed[nlisted].name = name;
			listed[nlisted++].at = i;
		}
	}
	qsort(listed, nlisted, sizeof(listed_name), listed_cmp);
	for (i = 1; i < nlisted; i++)
		if (strcmp(listed[i].name, listed[i - 1].name) == 0)
			twice[listed[i].at] = 1;
	json_array_foreach(members, i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));
		const char *sha = json_string_value(json_object_get(v, "sha256"));
		json_t *size = json_object_get(v, "size");
		const zmember *m;
		if (!name || !sha || !json_is_integer(size)) {
			problem(&later, "%s: member entry %zu needs name, size and sha256", MANIFEST, i + 1);
			continue;
		}
		if (twice[i]) {
			problem(&later, "%s lists member '%s' twice", MANIFEST, name);
			continue;
		}
		if (strcmp(name, MANIFEST) == 0) {
			problem(&later, "%s lists itself", MANIFEST);
			continue;
		}
		if (!(m = zfind(&z, name))) {
			problem(&later, "member '%s' is in the manifest but missing from the archive", name);
			continue;
		}
		if (!m->ok)
			continue; /* its problem is already listed */
		if ((json_int_t)m->size != json_integer_value(size)) {
			problem(&later, "member '%s' is %zu bytes, the manifest says %" JSON_INTEGER_FORMAT, name, m->size,
				json_integer_value(size));
			continue;
		}
		if (strcmp(m->sha, sha) != 0)
			problem(&later, "member '%s' does not match its SHA-256 in the manifest", name);
	}
	for (i = 0; i < z.n; i++) {
		listed_name key = { z.m[i].name, 0 };
		int found = strcmp(z.m[i].name, MANIFEST) == 0;
		if (!found && nlisted) {
			/* the first entry of that name sorts at or after (name, 0) */
			size_t lo = 0, hi = nlisted;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (listed_cmp(&listed[mid], &key) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			found = lo < nlisted && strcmp(listed[lo].name, key.name) == 0;
		}
		if (!found && !name_unsafe(z.m[i].name))
			problem(&later, "member '%s' is not in the manifest", z.m[i].name);
	}

	/* portfolios: their members and bundles */
	if (info)
		info->portfolios = folio_calloc(np + 1, sizeof(folio_archive_portfolio));
	mentors = folio_calloc(np + 1, sizeof(char *));
	json_array_foreach(portfolios, i, v) {
		const char *mentor = json_string_value(json_object_get(v, "mentor"));
		const char *qual = json_string_value(json_object_get(v, "qualification"));
		const char *commit = json_string_value(json_object_get(v, "commit"));
		const char *pinned = json_string_value(json_object_get(v, "pinned"));
		char *name;
		const zmember *m;
		if (mentor)
			mentors[nmentors++] = mentor;
		if (!pe[i].mentor) {
			problem(&later, "%s: portfolio entry %zu is malformed (mentor, qualification, commit, pinned)", MANIFEST, i + 1);
			continue;
		}
		for (size_t k = 0; k < i; k++)
			if (strcmp(json_string_value(json_object_get(json_array_get(portfolios, k), "mentor")) ?
				json_string_value(json_object_get(json_array_get(portfolios, k), "mentor")) : "", mentor) == 0)
				problem(&later, "%s lists portfolio '%s' twice", MANIFEST, mentor);
		name = folio_asprintf("%s/records.json", mentor);
		m = zfind(&z, name);
		if (!m)
			problem(&later, "portfolio '%s' has no %s", mentor, name);
		else if (m->foreign)
			problem(&later, "%s is not the records of '%s'", name, mentor);
		free(name);
		name = folio_asprintf("%s/portfolio.bundle", mentor);
		m = zfind(&z, name);
		if (!m && commit)
			problem(&later, "portfolio '%s' has no %s", mentor, name);
		else if (m && !commit)
			problem(&later, "%s: the manifest says the portfolio is empty", name);
		else if (m && m->ok && pe[i].twice)
			problem(&later, "portfolio '%s' is in the archive twice", mentor);
		else if (m && m->ok)
			for (size_t k = 0; k < pe[i].problems.n; k++)
				strlist_add(&later, folio_strdup(pe[i].problems.v[k]));
		free(name);
		if (info) {
			folio_archive_portfolio *ip = &info->portfolios[info->nportfolios++];
			json_t *sub = json_object_get(v, "submission");
			ip->mentor = folio_strdup(mentor);
			ip->qualification = folio_strdup(qual);
			if (commit)
				memcpy(ip->commit, commit, 41);
			if (pinned)
				memcpy(ip->pinned, pinned, 41);
			ip->submission = json_is_integer(sub) ? json_integer_value(sub) : 0;
			ip->commits = pe[i].commits;
		}
	}
	/* every member belongs to a listed portfolio, under a name folio writes */
	qsort(mentors, nmentors, sizeof(char *), str_cmp);
	for (i = 0; i < z.n; i++) {
		const char *name = z.m[i].name;
		size_t ml = member_mentor_len(name);
		const char *mentor;
		if (strcmp(name, MANIFEST) == 0 || name_unsafe(name))
			continue;
		mentor = folio_strndup(name, ml);
		if (!ml || !bsearch(&mentor, mentors, nmentors, sizeof(char *), str_cmp) || !member_known(name + ml + 1))
			problem(&later, "member '%s' is not part of any portfolio in the manifest", name);
		free((char *)mentor);
	}

report:
	zproblems(&z, p);
	if (!z.fatal)
		for (i = 0; i < later.n; i++)
			strlist_add(p, folio_strdup(later.v[i]));
done:
	if (tmp) {
		folio_rmtree(tmp);
		free(tmp);
	}
	for (i = 0; i < np; i++)
		strlist_free(&pe[i].problems);
	free(pe);
	free(listed);
	free(twice);
	free(mentors);
	free(files);
	strlist_free(&later);
	json_decref(manifest);
	zreader_close(&z);
	if (error < 0 && info)
		folio_archive_info_clear(info);
	return error;
}

int folio_archive_verify(char ***problems, size_t *n, folio_archive_info *info, const char *zip_path,
	const folio_archive_limits *limits)
{
	strlist p = { 0 };
	int error = verify_internal(&p, info, zip_path, limits, NULL);
	if (error < 0) {
		strlist_free(&p);
		*problems = NULL;
		*n = 0;
		return error;
	}
	*problems = p.v;
	*n = p.n;
	return 0;
}

/* ------------------------------------------------------------ restore */

typedef struct {
	const char *mentor;
	json_t *records;   /* read from records_file while needed (rplan_load), one portfolio at a time */
	char *records_file; /* staged copy of MENTOR/records.json */
	int exists;        /* the site has this portfolio (row or repository) */
	char *stage_repo;  /* unpacked repository */
	char *dest_repo;
	char *audit_file;  /* staged copy of the archive's audit rows */
} rplan;

static json_t *rtable(const rplan *r, const char *name)
{
	return json_object_get(r->records, name);
}

/* The records of r, from its staged records.json (verify read it whole and found an object). */
static int rplan_load(rplan *r)
{
	json_error_t je;
	if (r->records)
		return 0;
	if (!(r->records = json_load_file(r->records_file, JSON_REJECT_DUPLICATES, &je)))
		return folio_error_set(FOLIO_EINVALID, "%s/records.json cannot be read back: %s", r->mentor, je.text);
	return 0;
}

static void rplan_drop(rplan *r)
{
	json_decref(r->records);
	r->records = NULL;
}

/* Whether json value v is a column value (text, integer or null). */
static int scalar(const json_t *v)
{
	return json_is_string(v) || json_is_integer(v) || json_is_null(v);
}

/* The records are what folio writes, and only about this mentor. */
static int records_check(const rplan *r, const char *member)
{
	json_t *subs = rtable(r, "submission"), *row;
	size_t i;
	int has_person = 0;

	for (size_t t = 0; t < NTABLES; t++) {
		json_t *rows = rtable(r, tables[t].name);
		if (!json_is_array(rows))
			return folio_error_set(FOLIO_EINVALID, "%s: table '%s' is missing or not a list", member, tables[t].name);
		json_array_foreach(rows, i, row) {
			if (!json_is_object(row) || json_object_size(row) != ncols(&tables[t]))
				return folio_error_set(FOLIO_EINVALID, "%s: row %zu of '%s' does not have its %zu columns", member,
					i + 1, tables[t].name, ncols(&tables[t]));
			for (size_t c = 0; c < ncols(&tables[t]); c++)
				if (!scalar(json_object_get(row, tables[t].cols[c])))
					return folio_error_set(FOLIO_EINVALID, "%s: row %zu of '%s': bad or missing '%s'", member,
						i + 1, tables[t].name, tables[t].cols[c]);
		}
	}
#define STR(row, col) json_string_value(json_object_get((row), (col)))
#define OWNED(table, col) \
	json_array_foreach(rtable(r, table), i, row) \
		if (!STR(row, col) || strcmp(STR(row, col), r->mentor) != 0) \
			return folio_error_set(FOLIO_EINVALID, "%s: a row of '%s' is not about '%s'", member, table, r->mentor);
	OWNED("portfolio", "mentor")
	OWNED("exemption", "mentor")
	OWNED("submission", "mentor")
	OWNED("feedback", "mentor")
	OWNED("certificate", "holder")
#undef OWNED
	if (json_array_size(rtable(r, "portfolio")) != 1)
		return folio_error_set(FOLIO_EINVALID, "%s: no portfolio row for '%s'", member, r->mentor);
	static const char *const by_submission[] = { "submission_history", "assignment", "judgement", "moderation",
		"certificate", "feedback" };
	for (size_t t = 0; t < sizeof(by_submission) / sizeof(by_submission[0]); t++) {
		json_array_foreach(rtable(r, by_submission[t]), i, row) {
			json_int_t id = json_integer_value(json_object_get(row, "submission"));
			size_t k;
			json_t *s;
			int mine = 0;
			json_array_foreach(subs, k, s)
				mine |= json_integer_value(json_object_get(s, "id")) == id;
			if (!mine)
				return folio_error_set(FOLIO_EINVALID, "%s: a row of '%s' names a submission not in the archive",
					member, by_submission[t]);
		}
	}
	json_array_foreach(rtable(r, "person"), i, row) {
		const char *id = STR(row, "id"), *email = STR(row, "email");
		if (!id || !folio_id_valid(id) || !STR(row, "name") || (email && !folio_email_valid(email)))
			return folio_error_set(FOLIO_EINVALID, "%s: person row %zu is not valid", member, i + 1);
		has_person |= strcmp(id, r->mentor) == 0;
	}
	if (!has_person)
		return folio_error_set(FOLIO_EINVALID, "%s: no person row for '%s'", member, r->mentor);
	json_array_foreach(rtable(r, "school"), i, row)
		if (!STR(row, "id") || !folio_id_valid(STR(row, "id")))
			return folio_error_set(FOLIO_EINVALID, "%s: school row %zu is not valid", member, i + 1);
	json_array_foreach(rtable(r, "certificate"), i, row)
		if (!number_ok(STR(row, "number")))
			return folio_error_set(FOLIO_EINVALID, "%s: certificate row %zu has a bad number", member, i + 1);
	return 0;
}

static int bind_json(sqlite3_stmt *st, int idx, const json_t *v)
{
	if (json_is_integer(v))
		return sqlite3_bind_int64(st, idx, json_integer_value(v));
	if (json_is_string(v))
		return sqlite3_bind_text(st, idx, json_string_value(v), (int)json_string_length(v), SQLITE_TRANSIENT);
	return sqlite3_bind_null(st, idx);
}

/* One value query: 1 when a row exists (text of column 0 into *out when out), 0 when none. */
static int query1(folio_site *site, const char *sql, const json_t *a, const json_t *b, char **out)
{
	sqlite3_stmt *st = NULL;
	int error, rc;
	if (out)
		*out = NULL;
	if ((error = folio_db_prepare(site, &st, sql)) < 0)
		return error;
	bind_json(st, 1, a);
	if (b)
		bind_json(st, 2, b);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && out)
		*out = folio_db_col_dup(st, 0);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read the site database");
	sqlite3_finalize(st);
	return error < 0 ? error : rc == SQLITE_ROW;
}

static int insert_rows(folio_site *site, const rplan *r, const table_desc *t, const char *verb)
{
	folio_buf sql = FOLIO_BUF_INIT;
	sqlite3_stmt *st = NULL;
	json_t *row;
	size_t i;
	int error;

	folio_buf_printf(&sql, "%s INTO %s(", verb, t->name);
	col_list(&sql, t);
	folio_buf_puts(&sql, ") VALUES (");
	for (size_t c = 0; c < ncols(t); c++)
		folio_buf_printf(&sql, "%s?%zu", c ? ", " : "", c + 1);
	folio_buf_puts(&sql, ")");
	error = folio_db_prepare(site, &st, sql.ptr);
	folio_buf_free(&sql);
	if (error < 0)
		return error;
	json_array_foreach(rtable(r, t->name), i, row) {
		sqlite3_reset(st);
		for (size_t c = 0; c < ncols(t); c++)
			bind_json(st, (int)c + 1, json_object_get(row, t->cols[c]));
		if (sqlite3_step(st) != SQLITE_DONE) {
			error = folio_error_set(FOLIO_EINVALID, "cannot restore the records of '%s' (%s row %zu): %s", r->mentor,
				t->name, i + 1, sqlite3_errmsg(site->db));
			break;
		}
	}
	sqlite3_finalize(st);
	return error;
}

/* People the site lacks, from the records: no admin role, their login only when free, lead when known. */
static int restore_people(folio_site *site, const rplan *r)
{
	json_t *row, *role;
	size_t i, k;
	int error = 0;
	strlist created = { 0 };
	sqlite3_stmt *st = NULL;

	json_array_foreach(rtable(r, "person"), i, row) {
		json_t *id = json_object_get(row, "id"), *login = json_object_get(row, "login");
		if ((error = query1(site, "SELECT 1 FROM person WHERE id = ?1", id, NULL, NULL)) < 0)
			goto cleanup;
		if (error == 1) { /* people are shared: keep the site's own */
			error = 0;
			continue;
		}
		if (json_is_string(login) && (error = query1(site, "SELECT 1 FROM person WHERE login = ?1", login, NULL, NULL)) != 0) {
			if (error < 0)
				goto cleanup;
			login = NULL;
		}
		if ((error = folio_db_prepare(site, &st,
			"INSERT INTO person(id, name, email, school, login, lead, created) VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6)")) < 0)
			goto cleanup;
		bind_json(st, 1, id);
		bind_json(st, 2, json_object_get(row, "name"));
		bind_json(st, 3, json_object_get(row, "email"));
		bind_json(st, 4, json_object_get(row, "school"));
		bind_json(st, 5, login);
		bind_json(st, 6, json_object_get(row, "created"));
		if (sqlite3_step(st) != SQLITE_DONE) {
			error = folio_error_set(FOLIO_EINVALID, "cannot restore person '%s': %s", json_string_value(id),
				sqlite3_errmsg(site->db));
			goto cleanup;
		}
		sqlite3_finalize(st);
		st = NULL;
		strlist_add(&created, folio_strdup(json_string_value(id)));
	}
	for (i = 0; i < created.n; i++) {
		json_t *cid = json_string(created.v[i]);
		json_array_foreach(rtable(r, "person"), k, row)
			if (json_equal(json_object_get(row, "id"), cid) && json_is_string(json_object_get(row, "lead"))) {
				if ((error = folio_db_prepare(site, &st, "UPDATE person SET lead = ?2 WHERE id = ?1"
					" AND EXISTS (SELECT 1 FROM person WHERE id = ?2)")) == 0) {
					bind_json(st, 1, cid);
					bind_json(st, 2, json_object_get(row, "lead"));
					if (sqlite3_step(st) != SQLITE_DONE)
						error = folio_db_error(site, "cannot restore people");
					sqlite3_finalize(st);
					st = NULL;
				}
			}
		json_array_foreach(rtable(r, "person_role"), k, role) {
			const char *rn = json_string_value(json_object_get(role, "role"));
			if (error < 0 || !json_equal(json_object_get(role, "person"), cid) || (rn && strcmp(rn, "admin") == 0))
				continue;
			if ((error = folio_db_prepare(site, &st, "INSERT OR IGNORE INTO person_role(person, role) VALUES (?1, ?2)")) == 0) {
				bind_json(st, 1, cid);
				bind_json(st, 2, json_object_get(role, "role"));
				if (sqlite3_step(st) != SQLITE_DONE)
					error = folio_error_set(FOLIO_EINVALID, "cannot restore the roles of '%s': %s", created.v[i],
						sqlite3_errmsg(site->db));
				sqlite3_finalize(st);
				st = NULL;
			}
		}
		json_decref(cid);
		if (error < 0)
			break;
	}
cleanup:
	sqlite3_finalize(st);
	strlist_free(&created);
	return error < 0 ? error : 0;
}

static int restore_records(folio_site *site, const rplan *r, const char *zip_path, const char *audit_name)
{
	json_t *row;
	size_t i;
	int error;
	char *obj, *detail;

	for (size_t t = 0; t < NTABLES; t++) {
		const char *name = tables[t].name;
		if (strcmp(name, "person") == 0) {
			if ((error = restore_people(site, r)) < 0)
				return error;
			continue;
		}
		if (strcmp(name, "person_role") == 0 || strcmp(name, "audit") == 0)
			continue; /* roles came with the people; audit rows go to a file */
		if (strcmp(name, "panel") == 0) {
			/* panels are shared: keep the site's own */
			json_array_foreach(rtable(r, "panel"), i, row) {
				int have = query1(site, "SELECT 1 FROM panel WHERE id = ?1", json_object_get(row, "id"), NULL, NULL);
				if (have < 0)
					return have;
				if (!have && (have = query1(site, "SELECT id FROM panel WHERE year = ?1 AND term = ?2",
					json_object_get(row, "year"), json_object_get(row, "term"), NULL)) != 0)
					return have < 0 ? have : folio_error_set(FOLIO_EEXISTS,
						"panel '%s' of the archive clashes with another panel of the same year and term in site '%s'",
						json_string_value(json_object_get(row, "id")), site->path);
			}
			if ((error = insert_rows(site, r, &tables[t], "INSERT OR IGNORE")) < 0)
				return error;
			continue;
		}
		if ((error = insert_rows(site, r, &tables[t],
			strcmp(name, "school") == 0 || strcmp(name, "exemption") == 0 ? "INSERT OR IGNORE" : "INSERT")) < 0)
			return error;
	}
	obj = folio_asprintf("portfolio:%s", r->mentor);
	detail = folio_asprintf("restored from '%s'; its %zu audit rows kept in %s", zip_path,
		json_array_size(rtable(r, "audit")), audit_name);
	error = folio_audit_change(site, "archive.restore", obj, NULL, NULL, NULL, detail);
	free(obj);
	free(detail);
	return error;
}

/* Ids of this archive that the site already holds for someone else, or (without force) at all. */
static int restore_preflight(folio_site *site, rplan *r, int force)
{
	json_t *row, *m = json_string(r->mentor);
	size_t i;
	int error = 0;
	char *owner = NULL;

	r->exists = path_exists(r->dest_repo);
	/* the leftover of a removal killed after its COMMIT is not a portfolio: it is moved aside like one replaced */
	if (r->exists && (error = folio_portfolio__removed(site, r->mentor)) != 0) {
		if (error < 0)
			goto cleanup;
		r->exists = 0;
		error = 0;
	}
	if (!r->exists && (error = query1(site, "SELECT 1 FROM portfolio WHERE mentor = ?1", m, NULL, NULL)) != 0) {
		if (error < 0)
			goto cleanup;
		r->exists = 1;
		error = 0;
	}
	if (r->exists && !force) {
		error = folio_error_set(FOLIO_EEXISTS, "portfolio '%s' already exists in site '%s': use --force to replace it",
			r->mentor, site->path);
		goto cleanup;
	}
	json_array_foreach(rtable(r, "submission"), i, row) {
		if ((error = query1(site, "SELECT mentor FROM submission WHERE id = ?1", json_object_get(row, "id"), NULL,
			&owner)) < 0)
			goto cleanup;
		if (error && strcmp(owner, r->mentor) != 0) {
			error = folio_error_set(FOLIO_EEXISTS, "submission %" JSON_INTEGER_FORMAT " of '%s' is taken in site '%s' by '%s'",
				json_integer_value(json_object_get(row, "id")), r->mentor, site->path, owner);
			goto cleanup;
		}
		free(owner);
		owner = NULL;
		error = 0;
	}
	json_array_foreach(rtable(r, "certificate"), i, row) {
		if ((error = query1(site, "SELECT holder FROM certificate WHERE number = ?1", json_object_get(row, "number"),
			NULL, &owner)) < 0)
			goto cleanup;
		if (error && strcmp(owner, r->mentor) != 0) {
			error = folio_error_set(FOLIO_EEXISTS, "certificate %s of '%s' is taken in site '%s' by '%s'",
				json_string_value(json_object_get(row, "number")), r->mentor, site->path, owner);
			goto cleanup;
		}
		free(owner);
		owner = NULL;
		error = 0;
	}
cleanup:
	free(owner);
	json_decref(m);
	return error;
}

typedef struct {
	char *from, *to;
} rename_op;

typedef struct {
	rename_op *ops;
	size_t n, cap;
} rename_log;

/* Rename and remember it, so a failure can put everything back. */
static int logged_rename(rename_log *log, const char *from, const char *to)
{
	if (rename(from, to) < 0)
		return folio_error_set(FOLIO_ERROR, "cannot move '%s' to '%s': %s", from, to, strerror(errno));
	if (log->n == log->cap) {
		log->cap = log->cap ? log->cap * 2 : 8;
		log->ops = folio_realloc(log->ops, log->cap * sizeof(rename_op));
	}
	log->ops[log->n].from = folio_strdup(from);
	log->ops[log->n].to = folio_strdup(to);
	log->n++;
	return 0;
}

static void rename_log_undo(rename_log *log)
{
	for (size_t i = log->n; i-- > 0;)
		rename(log->ops[i].to, log->ops[i].from);
}

static void rename_log_free(rename_log *log)
{
	for (size_t i = 0; i < log->n; i++) {
		free(log->ops[i].from);
		free(log->ops[i].to);
	}
	free(log->ops);
}

/* Files a and b hold the same bytes (compared in chunks: a badge file may be large). */
static int files_same(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int same = fa && fb;
	while (same) {
		char x[16384], y[16384];
		size_t na = fread(x, 1, sizeof(x), fa), nb = fread(y, 1, sizeof(y), fb);
		same = na == nb && memcmp(x, y, na) == 0 && !ferror(fa) && !ferror(fb);
		if (na < sizeof(x))
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

/* The archive's badge files for a certificate (staged in `staged`, maybe none) equal the site's `dir`: same names, same bytes. */
static int badges_same(const char *staged, const char *dir)
{
	size_t in_zip = 0, on_disk = 0;
	int same = 1;
	DIR *d;
	struct dirent *e;
	if ((d = opendir(staged)) != NULL) {
		while (same && (e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			char *a = folio_asprintf("%s/%s", staged, e->d_name), *b = folio_asprintf("%s/%s", dir, e->d_name);
			in_zip++;
			same = files_same(a, b);
			free(a);
			free(b);
		}
		closedir(d);
	}
	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				on_disk++;
		closedir(d);
	}
	return same && in_zip == on_disk;
}

int folio_archive_restore(folio_archive_info *out, folio_site *site, const char *zip_path,
	const folio_restore_options *opts)
{
	folio_restore_options none = { 0 };
	folio_archive_info info = { 0 };
	strlist p = { 0 }, cert_stage = { 0 }, cert_dest = { 0 };
	rplan *plan = NULL;
	rename_log log = { 0 };
	char *stage = NULL, *stamp = NULL, *audit_dir = NULL, *certs_dir = NULL;
	size_t np = 0;
	int error, in_tx = 0;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!opts)
		opts = &none;
	folio_git_init();
	if ((error = folio_site_require(site, FOLIO_ROLE_ADMIN, "restore archives")) < 0)
		return error;

	/* 1. verify, unpacking the bundles into a staging directory inside the site */
	stage = folio_asprintf("%s/portfolios/.restore-%ld", site->path, (long)getpid());
	if (path_exists(stage))
		folio_rmtree(stage);
	if (mkdir(stage, 0777) < 0) {
		error = folio_error_set(FOLIO_ERROR, "cannot create '%s': %s", stage, strerror(errno));
		free(stage);
		return error;
	}
	if ((error = verify_internal(&p, &info, zip_path, &opts->limits, stage)) < 0)
		goto cleanup;
	if (p.n) {
		error = folio_error_set(FOLIO_EINVALID, "archive '%s' did not verify, nothing restored: %s%s", zip_path,
			p.v[0], p.n > 1 ? " (and more: see 'folio archive verify')" : "");
		goto cleanup;
	}
	if (info.nportfolios == 0) {
		error = folio_error_set(FOLIO_EINVALID, "archive '%s' holds no portfolios", zip_path);
		goto cleanup;
	}

	/* 2. the records, checked, and what the site already has */
	plan = folio_calloc(info.nportfolios, sizeof(rplan));
	np = info.nportfolios;
	for (size_t i = 0; i < np; i++) {
		rplan *r = &plan[i];
		char *member = folio_asprintf("%s/records.json", info.portfolios[i].mentor);
		r->mentor = info.portfolios[i].mentor;
		r->records_file = folio_asprintf("%s/files/%s", stage, member);
		r->dest_repo = folio_portfolio_repo_path(site, r->mentor);
		r->stage_repo = folio_asprintf("%s/%s.git", stage, r->mentor);
		if ((error = rplan_load(r)) == 0)
			error = records_check(r, member);
		free(member);
		if (error < 0 || (error = restore_preflight(site, r, opts->force)) < 0)
			goto cleanup;
		rplan_drop(r);
		if (!path_exists(r->stage_repo)) { /* an empty portfolio: no bundle */
			git_repository *repo = NULL;
			if ((error = init_bare(&repo, r->stage_repo)) < 0)
				goto cleanup;
			git_repository_free(repo);
		}
		if (opts->progress)
			opts->progress(i, np, r->mentor, opts->payload);
	}

	/* 3. badge files and audit rows, staged */
	stamp = folio_now_iso();
	for (char *c = stamp; *c; c++)
		if (*c == ':')
			*c = '-';
	certs_dir = folio_asprintf("%s/certificates", site->path);
	for (size_t i = 0; i < np; i++) {
		rplan *r = &plan[i];
		json_t *row;
		size_t k;
		char *text;
		if ((error = rplan_load(r)) < 0)
			goto cleanup;
		json_array_foreach(rtable(r, "certificate"), k, row) {
			const char *number = json_string_value(json_object_get(row, "number"));
			char *dest = folio_asprintf("%s/%s", certs_dir, number);
			/* staged by verify: MENTOR/certificates/NUMBER/FILE */
			char *sdir = folio_asprintf("%s/files/%s/certificates/%s", stage, r->mentor, number);
			if (path_exists(dest) && badges_same(sdir, dest)) {
				free(dest);
				free(sdir);
				continue; /* left by a removal: nothing to do */
			}
			if (path_exists(dest) && !opts->force) {
				error = folio_error_set(FOLIO_EEXISTS,
					"badge files of certificate %s already exist in '%s' and differ: use --force to replace them",
					number, dest);
				free(dest);
				free(sdir);
				goto cleanup;
			}
			if (!path_exists(sdir)) { /* no badge files in the archive */
				free(dest);
				free(sdir);
				continue;
			}
			strlist_add(&cert_stage, sdir);
			strlist_add(&cert_dest, dest);
		}
		text = json_dumps(rtable(r, "audit"), JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		r->audit_file = folio_asprintf("%s/audit-%s.json", stage, r->mentor);
		error = write_file(r->audit_file, text, strlen(text));
		free(text);
		rplan_drop(r);
		if (error < 0)
			goto cleanup;
	}

	/* 4. the records in one transaction; 5. files moved into place before it commits */
	if ((error = folio_tx_begin(site)) < 0)
		goto cleanup;
	in_tx = 1;
	audit_dir = folio_asprintf("%s/restored-audit", site->path);
	for (size_t i = 0; i < np; i++) {
		rplan *r = &plan[i];
		char *audit_name = folio_asprintf("restored-audit/%s-%s.json", r->mentor, stamp);
		if ((error = rplan_load(r)) == 0 && r->exists)
			error = delete_rows(site, r->mentor);
		if (error == 0)
			error = restore_records(site, r, zip_path, audit_name);
		rplan_drop(r);
		free(audit_name);
		if (error < 0)
			goto cleanup;
	}
	if ((mkdir(audit_dir, 0777) < 0 && errno != EEXIST) || (mkdir(certs_dir, 0777) < 0 && errno != EEXIST)) {
		error = folio_error_set(FOLIO_ERROR, "cannot create '%s': %s", audit_dir, strerror(errno));
		goto cleanup;
	}
	for (size_t i = 0; i < np && error == 0; i++) {
		rplan *r = &plan[i];
		char *old = folio_asprintf("%s/old-%s.git", stage, r->mentor);
		char *audit = folio_asprintf("%s/%s-%s.json", audit_dir, r->mentor, stamp);
		if (path_exists(r->dest_repo))
			error = logged_rename(&log, r->dest_repo, old);
		if (error == 0)
			error = logged_rename(&log, r->stage_repo, r->dest_repo);
		if (error == 0 && !path_exists(audit))
			error = logged_rename(&log, r->audit_file, audit);
		free(old);
		free(audit);
	}
	for (size_t i = 0; i < cert_stage.n && error == 0; i++) {
		char *old = folio_asprintf("%s/old-cert-%zu", stage, i);
		if (path_exists(cert_dest.v[i]))
			error = logged_rename(&log, cert_dest.v[i], old);
		if (error == 0)
			error = logged_rename(&log, cert_stage.v[i], cert_dest.v[i]);
		free(old);
	}
	if (error < 0)
		goto cleanup;
	in_tx = 0;
	if ((error = folio_tx_commit(site)) < 0)
		goto cleanup;
	if (opts->progress)
		opts->progress(np, np, "", opts->payload);
	if (out) {
		*out = info;
		memset(&info, 0, sizeof(info));
	}
cleanup:
	if (error < 0) {
		if (in_tx)
			folio_tx_rollback(site);
		rename_log_undo(&log);
	}
	if (stage && path_exists(stage))
		folio_rmtree(stage);
	for (size_t i = 0; i < np; i++) {
		json_decref(plan[i].records);
		free(plan[i].records_file);
		free(plan[i].stage_repo);
		free(plan[i].dest_repo);
		free(plan[i].audit_file);
	}
	free(plan);
	rename_log_free(&log);
	strlist_free(&p);
	strlist_free(&cert_stage);
	strlist_free(&cert_dest);
	folio_archive_info_clear(&info);
	free(stage);
	free(stamp);
	free(audit_dir);
	free(certs_dir);
	return error;
}
