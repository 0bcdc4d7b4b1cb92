/* engine/index.c: the evidence cache in sqlite, keyed by git blob id, and coverage read through it. */
#include "folio/index.h"
#include "index_internal.h"
#include "folio/portfolio.h"
#include "gitutil.h"
#include "site_internal.h"
#include "util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Blobs larger than this are reported, not parsed (same limit as entry add). */
/* A long index commits about once a second, so other writers wait at most that long. */
#define INDEX_COMMIT_SECONDS 1.0

/* A doc that carries only one error: for blobs too large to parse. */
static folio_doc *doc_unreadable(const char *message)
{
	folio_doc *d = folio_calloc(1, sizeof(*d));
	d->problems = folio_calloc(1, sizeof(*d->problems));
	d->problems[0].line = d->problems[0].column = 1;
	d->problems[0].severity = FOLIO_SEV_ERROR;
	d->problems[0].message = folio_strdup(message);
	d->nproblems = 1;
	return d;
}

/* The doc of an entry over the limit, which is never read. */
static folio_doc *doc_too_large(size_t len)
{
	char *msg = folio_asprintf("entry is too large to read: %llu bytes (the limit is %d)", (unsigned long long)len,
		FOLIO_ENTRY_MAX);
	folio_doc *d = doc_unreadable(msg);
	free(msg);
	return d;
}

/* The analysis of one blob read with `r`; an oversized entry is never read, only reported. */
static int analyze_blob(folio_doc **out, folio_site *site, folio_blob_reader *r, const git_oid *oid)
{
	char *text = NULL;
	size_t len = 0;
	int error;
	if ((error = folio_blob_read(r, oid, FOLIO_ENTRY_MAX, &text, &len)) < 0)
		return error;
	if (!text) {
		*out = doc_too_large(len);
		return 0;
	}
	folio_doc_analyze(out, site->fw, text, len);
	free(text);
	return 0;
}

/* ------------------------------------------------------------ statements */

typedef struct {
	folio_site *site;
	sqlite3_stmt *get, *has, *put, *idx_get, *idx_put, *idx_del, *blobs_del, *blob_ins;
} cache;

static void cache_close(cache *c)
{
	sqlite3_finalize(c->get);
	sqlite3_finalize(c->has);
	sqlite3_finalize(c->put);
	sqlite3_finalize(c->idx_get);
	sqlite3_finalize(c->idx_put);
	sqlite3_finalize(c->idx_del);
	sqlite3_finalize(c->blobs_del);
	sqlite3_finalize(c->blob_ins);
	memset(c, 0, sizeof(*c));
}

static int cache_open(cache *c, folio_site *site)
{
	int error;
	memset(c, 0, sizeof(*c));
	c->site = site;
	if ((error = folio_db_prepare(site, &c->get, "SELECT data FROM blob_cache WHERE oid = ?1")) < 0 ||
	    (error = folio_db_prepare(site, &c->has, "SELECT 1 FROM blob_cache WHERE oid = ?1")) < 0 ||
	    (error = folio_db_prepare(site, &c->put, "INSERT OR REPLACE INTO blob_cache(oid, data) VALUES (?1, ?2)")) < 0 ||
	    (error = folio_db_prepare(site, &c->idx_get, "SELECT commit_id FROM portfolio_index WHERE mentor = ?1")) < 0 ||
	    (error = folio_db_prepare(site, &c->idx_put,
		"INSERT INTO portfolio_index(mentor, commit_id) VALUES (?1, ?2)"
		" ON CONFLICT(mentor) DO UPDATE SET commit_id = excluded.commit_id")) < 0 ||
	    (error = folio_db_prepare(site, &c->idx_del, "DELETE FROM portfolio_index WHERE mentor = ?1")) < 0 ||
	    (error = folio_db_prepare(site, &c->blobs_del, "DELETE FROM portfolio_blob WHERE mentor = ?1")) < 0 ||
	    (error = folio_db_prepare(site, &c->blob_ins,
		"INSERT INTO portfolio_blob(mentor, path, oid) VALUES (?1, ?2, ?3)")) < 0)
		cache_close(c);
	return error;
}

static int step_done(cache *c, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : folio_db_error(c->site, what);
}

/* Look a blob up in the cache: 1 found (*doc set), 0 missing. A bad record counts as missing. */
static int cache_get(cache *c, const char *hex, folio_doc **doc)
{
	int found = 0;
	*doc = NULL;
	sqlite3_bind_text(c->get, 1, hex, -1, SQLITE_STATIC);
	if (sqlite3_step(c->get) == SQLITE_ROW) {
		const char *data = (const char *)sqlite3_column_text(c->get, 0);
		size_t len = (size_t)sqlite3_column_bytes(c->get, 0);
		if (data && folio_doc_deserialize(doc, c->site->fw, data, len) == 0)
			found = 1;
		else
			folio_error_clear();
	}
	sqlite3_reset(c->get);
	sqlite3_clear_bindings(c->get);
	return found;
}

static int cache_put_data(cache *c, const char *hex, const char *data, size_t len);

static int cache_put(cache *c, const char *hex, const folio_doc *doc)
{
	char *data = NULL;
	size_t len = 0;
	int error;
	if ((error = folio_doc_serialize(&data, &len, doc, c->site->fw)) < 0)
		return error;
	error = cache_put_data(c, hex, data, len);
	free(data);
	return error;
}

/* The doc for a blob: from the cache, or parsed from git and stored. */
static int doc_for_blob(cache *c, git_repository *repo, const git_oid *oid, folio_doc **doc)
{
	char hex[GIT_OID_HEXSZ + 1];
	folio_doc *d = NULL;
	int error = 0;
	git_oid_tostr(hex, sizeof(hex), oid);
	if (!cache_get(c, hex, &d)) {
		folio_blob_reader r;
		folio_blob_reader_init(&r, repo);
		error = analyze_blob(&d, c->site, &r, oid);
		folio_blob_reader_clear(&r);
		if (error < 0)
			return error;
		if ((error = cache_put(c, hex, d)) < 0) {
			folio_doc_free(d);
			return error;
		}
	}
	*doc = d;
	return 0;
}

/* Probe without deserializing: is this blob cached? */
static int cache_has(cache *c, const char *hex)
{
	int found;
	sqlite3_bind_text(c->has, 1, hex, -1, SQLITE_STATIC);
	found = sqlite3_step(c->has) == SQLITE_ROW;
	sqlite3_reset(c->has);
	return found;
}

/* Drop everything cached when the framework changed since it was filled. */
static int check_framework(folio_site *site)
{
	sqlite3_stmt *st = NULL;
	const char *digest = folio_framework_digest(site->fw);
	int same = 0, error;
	if ((error = folio_db_cached(site, &st, "SELECT value FROM meta WHERE key = 'cache_framework'")) < 0)
		return error;
	if (sqlite3_step(st) == SQLITE_ROW)
		same = strcmp((const char *)sqlite3_column_text(st, 0), digest) == 0;
	folio_db_release(site, st);
	st = NULL;
	if (same)
		return 0;
	if ((error = folio_tx_begin(site)) < 0)
		return error;
	if ((error = folio_db_exec(site, "DELETE FROM portfolio_blob; DELETE FROM portfolio_index; DELETE FROM blob_cache")) < 0 ||
	    (error = folio_db_prepare(site, &st, "INSERT OR REPLACE INTO meta(key, value) VALUES ('cache_framework', ?1)")) < 0) {
		folio_tx_rollback(site);
		return error;
	}
	sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		error = folio_db_error(site, "cannot reset the evidence cache");
	sqlite3_finalize(st);
	if (error < 0) {
		folio_tx_rollback(site);
		return error;
	}
	return folio_tx_commit(site);
}

/* ------------------------------------------------------------ parse worker */

/*
 * A full index reads blobs (libgit2), parses them (cmark and the tag walk)
 * and writes the cache (sqlite). The calling thread reads git and writes
 * sqlite; one worker thread analyses and serialises, so the two halves
 * overlap when a second core is free. The queue is bounded so memory stays
 * flat, and if the thread cannot start the same jobs run inline.
 */
#define PARSE_INFLIGHT 64

typedef struct job {
	char hex[GIT_OID_HEXSZ + 1];
	char *text, *data;
	size_t len, dlen;
	int error;
	struct job *next;
} job;

typedef struct {
	const folio_framework *fw;
	pthread_mutex_t mu;
	pthread_cond_t todo_cv, done_cv;
	job *todo, **todo_tail, *done;
	size_t inflight; /* submitted and not yet written */
	int stop, threaded, tried; /* tried: the thread was asked for (on the first job) */
	pthread_t thread;
} parser;

static void job_run(const folio_framework *fw, job *j)
{
	folio_doc *d = NULL;
	folio_doc_analyze(&d, fw, j->text, j->len);
	j->error = folio_doc_serialize(&j->data, &j->dlen, d, fw);
	folio_doc_free(d);
	free(j->text);
	j->text = NULL;
}

static void *parser_main(void *arg)
{
	parser *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->todo && !p->stop)
			pthread_cond_wait(&p->todo_cv, &p->mu);
		if (!p->todo)
			break;
		job *j = p->todo;
		p->todo = j->next;
		if (!p->todo)
			p->todo_tail = &p->todo;
		pthread_mutex_unlock(&p->mu);
		job_run(p->fw, j);
		pthread_mutex_lock(&p->mu);
		j->next = p->done;
		p->done = j;
		pthread_cond_signal(&p->done_cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void parser_start(parser *p, const folio_framework *fw)
{
	memset(p, 0, sizeof(*p));
	p->fw = fw;
	p->todo_tail = &p->todo;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->todo_cv, NULL);
	pthread_cond_init(&p->done_cv, NULL);
}

/*
 * The worker starts with the first blob to parse: most updates (a pack, a
 * coverage read) find every portfolio indexed and parse nothing, and a
 * thread started and joined for nothing costs a wait for the scheduler.
 */
static void parser_launch(parser *p)
{
	if (p->tried)
		return;
	p->tried = 1;
	p->threaded = pthread_create(&p->thread, NULL, parser_main, p) == 0;
}

static void jobs_free(job *j)
{
	while (j) {
		job *next = j->next;
		free(j->text);
		free(j->data);
		free(j);
		j = next;
	}
}

static void parser_stop(parser *p)
{
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_signal(&p->todo_cv);
	pthread_mutex_unlock(&p->mu);
	if (p->threaded)
		pthread_join(p->thread, NULL);
	jobs_free(p->todo);
	jobs_free(p->done);
	pthread_cond_destroy(&p->todo_cv);
	pthread_cond_destroy(&p->done_cv);
	pthread_mutex_destroy(&p->mu);
}

static int cache_put_data(cache *c, const char *hex, const char *data, size_t len)
{
	sqlite3_bind_text(c->put, 1, hex, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->put, 2, data, (int)len, SQLITE_STATIC);
	return step_done(c, c->put, "cannot write the evidence cache");
}

/*
 * Write finished jobs to the cache. With `all`, wait until nothing is in
 * flight (before a commit, so that no portfolio row ever points at a blob
 * whose cache row is not written); otherwise wait only while the queue is full.
 */
static int parser_drain(parser *p, cache *c, int all)
{
	int error = 0;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		size_t limit = all ? 0 : PARSE_INFLIGHT - 1;
		while (!p->done && p->inflight > limit)
			pthread_cond_wait(&p->done_cv, &p->mu);
		job *done = p->done;
		p->done = NULL;
		pthread_mutex_unlock(&p->mu);
		if (!done)
			return error;
		for (job *j = done; j; j = j->next)
			if (error == 0)
				error = j->error < 0 ? j->error : cache_put_data(c, j->hex, j->data, j->dlen);
		size_t n = 0;
		for (job *j = done; j; j = j->next)
			n++;
		jobs_free(done);
		pthread_mutex_lock(&p->mu);
		p->inflight -= n;
		if (p->inflight <= limit || error < 0)
			break;
	}
	pthread_mutex_unlock(&p->mu);
	return error;
}

/* Queue one blob's text (ownership passes to the parser). */
static int parser_submit(parser *p, cache *c, const char *hex, char *text, size_t len)
{
	job *j = folio_calloc(1, sizeof(*j));
	memcpy(j->hex, hex, sizeof(j->hex));
	j->text = text;
	j->len = len;
	parser_launch(p);
	if (!p->threaded)
		job_run(p->fw, j);
	pthread_mutex_lock(&p->mu);
	p->inflight++;
	if (p->threaded) {
		*p->todo_tail = j;
		p->todo_tail = &j->next;
		pthread_cond_signal(&p->todo_cv);
	} else {
		j->next = p->done;
		p->done = j;
	}
	pthread_mutex_unlock(&p->mu);
	return parser_drain(p, c, 0);
}

/* The blob's text for the parser; an oversized blob, never read, goes to the cache as its one-problem doc. */
static int read_blob_for_parser(parser *p, cache *c, folio_blob_reader *r, const git_oid *oid, const char *hex)
{
	char *text = NULL;
	size_t len = 0;
	int error;
	if ((error = folio_blob_read(r, oid, FOLIO_ENTRY_MAX, &text, &len)) < 0)
		return error;
	if (!text) {
		folio_doc *d = doc_too_large(len);
		error = cache_put(c, hex, d);
		folio_doc_free(d);
		return error;
	}
	return parser_submit(p, c, hex, text, len);
}

/* ------------------------------------------------------------ indexing */

/* Is the portfolio indexed at this commit? */
static int indexed_at(cache *c, const char *mentor, const char *hex)
{
	sqlite3_bind_text(c->idx_get, 1, mentor, -1, SQLITE_STATIC);
	int same = sqlite3_step(c->idx_get) == SQLITE_ROW &&
		strcmp((const char *)sqlite3_column_text(c->idx_get, 0), hex) == 0;
	sqlite3_reset(c->idx_get);
	sqlite3_clear_bindings(c->idx_get);
	return same;
}

/* Index one portfolio inside the caller's transaction. */
static int index_one(cache *c, parser *p, const char *mentor, folio_index_stats *stats)
{
	folio_site *site = c->site;
	git_repository *repo = NULL;
	folio_blob_reader reader;
	folio_md_list blobs = { 0 };
	git_oid tip;
	char hex[GIT_OID_HEXSZ + 1], *path = folio_portfolio_repo_path(site, mentor);
	int found = 0, error = 0, rc;

	stats->portfolios++;
	/* unchanged since the last index: one ref read and one lookup, no repository opened */
	if (folio_git_main_loose(path, hex) && indexed_at(c, mentor, hex)) {
		stats->unchanged++;
		goto cleanup;
	}
	if ((rc = folio_git_open(&repo, path)) < 0) {
		error = folio_error_set(FOLIO_ERROR, "portfolio repository '%s' is missing or unreadable", path);
		goto cleanup;
	}
	folio_blob_reader_init(&reader, repo);
	if ((error = folio_git_main(&tip, &found, repo)) < 0)
		goto cleanup;
	if (!found) {
		/* empty portfolio: nothing indexed */
		sqlite3_bind_text(c->idx_del, 1, mentor, -1, SQLITE_STATIC);
		error = step_done(c, c->idx_del, "cannot update the evidence index");
		stats->unchanged++;
		goto cleanup;
	}
	git_oid_tostr(hex, sizeof(hex), &tip);
	if (indexed_at(c, mentor, hex)) {
		stats->unchanged++;
		goto cleanup;
	}

	if ((error = folio_md_collect_commit(&blobs, repo, &tip, 0)) < 0)
		goto cleanup;
	/* the whole portfolio is replaced inside the caller's transaction */
	sqlite3_bind_text(c->idx_put, 1, mentor, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->idx_put, 2, hex, -1, SQLITE_STATIC);
	if ((error = step_done(c, c->idx_put, "cannot update the evidence index")) < 0)
		goto cleanup;
	sqlite3_bind_text(c->blobs_del, 1, mentor, -1, SQLITE_STATIC);
	if ((error = step_done(c, c->blobs_del, "cannot update the evidence index")) < 0)
		goto cleanup;
	for (size_t i = 0; i < blobs.n; i++) {
		char bhex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(bhex, sizeof(bhex), &blobs.v[i].oid);
		stats->blobs++;
		if (!cache_has(c, bhex)) {
			stats->parsed++;
			if ((error = read_blob_for_parser(p, c, &reader, &blobs.v[i].oid, bhex)) < 0)
				goto cleanup;
		}
		sqlite3_bind_text(c->blob_ins, 1, mentor, -1, SQLITE_STATIC);
		sqlite3_bind_text(c->blob_ins, 2, blobs.v[i].path, -1, SQLITE_STATIC);
		sqlite3_bind_text(c->blob_ins, 3, bhex, -1, SQLITE_STATIC);
		if ((error = step_done(c, c->blob_ins, "cannot update the evidence index")) < 0)
			goto cleanup;
	}
cleanup:
	folio_md_list_free(&blobs);
	if (repo)
		folio_blob_reader_clear(&reader);
	git_repository_free(repo);
	free(path);
	return error;
}

static int all_mentors(folio_site *site, char ***out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	char **v = NULL;
	size_t count = 0, cap = 0;
	int error, rc;
	if ((error = folio_db_prepare(site, &st, "SELECT mentor FROM portfolio ORDER BY mentor")) < 0)
		return error;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = folio_grow(v, &cap, count + 1, sizeof(*v));
		v[count++] = folio_db_col_dup(st, 0);
	}
	sqlite3_finalize(st);
	*out = v;
	*n = count;
	return 0;
}

static int has_portfolio(folio_site *site, const char *mentor)
{
	folio_portfolio p;
	int error = folio_portfolio__row(&p, site, mentor);
	folio_portfolio_clear(&p);
	return error;
}
static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * For the length of an index run: a larger page cache, and synchronous=NORMAL
 * (safe in WAL mode against a crash of folio; the cache can always be rebuilt
 * from git). The previous settings come back afterwards.
 */
static void index_pragmas(folio_site *site, int on, long *saved_cache)
{
	if (on) {
		sqlite3_stmt *st = NULL;
		*saved_cache = -2000;
		if (sqlite3_prepare_v2(site->db, "PRAGMA cache_size", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			*saved_cache = (long)sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		sqlite3_exec(site->db, "PRAGMA cache_size = -16384; PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
	} else {
		char *sql = folio_asprintf("PRAGMA cache_size = %ld; PRAGMA synchronous = FULL", *saved_cache);
		sqlite3_exec(site->db, sql, NULL, NULL, NULL);
		free(sql);
	}
}

int folio_index_update(folio_site *site, const char *const *mentors, size_t n,
	folio_index_stats *stats, folio_progress_cb cb, void *payload)
{
	folio_index_stats local;
	char **all = NULL;
	size_t nall = 0;
	cache c = { 0 };
	parser p;
	long saved_cache = 0;
	double tx_start = 0;
	int error = 0, in_tx = 0, started = 0;

	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	folio_git_init();
	if (!site->actor)
		return folio_site_deny(site, "index portfolios", "");
	for (size_t i = 0; i < n; i++)
		if ((error = has_portfolio(site, mentors[i])) < 0)
			return error;
	if ((error = check_framework(site)) < 0)
		return error;
	if (n == 0) {
		if ((error = all_mentors(site, &all, &nall)) < 0)
			return error;
		mentors = (const char *const *)all;
		n = nall;
	}
	if ((error = cache_open(&c, site)) < 0)
		goto cleanup;
	index_pragmas(site, 1, &saved_cache);
	parser_start(&p, site->fw);
	started = 1;
	for (size_t i = 0; i < n; i++) {
		if (!in_tx) {
			if ((error = folio_tx_begin(site)) < 0)
				goto cleanup;
			in_tx = 1;
			tx_start = now_seconds();
		}
		if ((error = index_one(&c, &p, mentors[i], stats)) < 0)
			goto cleanup;
		folio_crashpoint("index.portfolio");
		if (i + 1 == n || now_seconds() - tx_start >= INDEX_COMMIT_SECONDS) {
			if ((error = parser_drain(&p, &c, 1)) < 0)
				goto cleanup;
			in_tx = 0;
			if ((error = folio_tx_commit(site)) < 0)
				goto cleanup;
		}
		if (cb)
			cb(i + 1, n, mentors[i], payload);
	}
cleanup:
	if (started) {
		parser_stop(&p);
		index_pragmas(site, 0, &saved_cache);
	}
	cache_close(&c);
	if (in_tx)
		folio_tx_rollback(site);
	for (size_t i = 0; i < nall; i++)
		free(all[i]);
	free(all);
	return error;
}

int folio_index_rebuild(folio_site *site, folio_index_stats *stats, folio_progress_cb cb, void *payload)
{
	int error;
	if ((error = folio_site_require(site, FOLIO_ROLE_ADMIN, "rebuild the evidence index")) < 0)
		return error;
	if ((error = folio_tx_begin(site)) < 0)
		return error;
	if ((error = folio_db_exec(site,
		"DELETE FROM portfolio_blob; DELETE FROM portfolio_index; DELETE FROM blob_cache;"
		"DELETE FROM meta WHERE key = 'cache_framework'")) < 0 ||
	    (error = folio_audit_append(site, "index.rebuild", "index", NULL)) < 0) {
		folio_tx_rollback(site);
		return error;
	}
	if ((error = folio_tx_commit(site)) < 0)
		return error;
	return folio_index_update(site, NULL, 0, stats, cb, payload);
}

/* ------------------------------------------------------------ coverage */

static int coverage_from_index(folio_coverage *cov, folio_site *site, const char *mentor)
{
	sqlite3_stmt *st = NULL;
	int error, rc;
	if ((error = folio_db_prepare(site, &st,
		"SELECT pb.path, bc.data FROM portfolio_blob pb JOIN blob_cache bc ON bc.oid = pb.oid"
		" WHERE pb.mentor = ?1 ORDER BY pb.path")) < 0)
		return error;
	sqlite3_bind_text(st, 1, mentor, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		folio_doc *d = NULL;
		const char *data = (const char *)sqlite3_column_text(st, 1);
		if ((error = folio_doc_deserialize(&d, site->fw, data, (size_t)sqlite3_column_bytes(st, 1))) < 0)
			break;
		folio_coverage_add(cov, (const char *)sqlite3_column_text(st, 0), d);
	}
	if (error == 0 && rc != SQLITE_DONE)
		error = folio_db_error(site, "cannot read the evidence index");
	sqlite3_finalize(st);
	return error;
}

/*
 * Coverage from the Markdown blobs of a commit's tree. Every analysis is
 * looked up in the cache by blob id first, outside any transaction (rows
 * of blob_cache never change once written for a framework); only when some
 * blob is missing is a write transaction opened to parse and store it.
 */
static int coverage_from_git(folio_coverage *cov, folio_site *site, git_repository *repo, const git_oid *commit)
{
	folio_md_list blobs = { 0 };
	folio_doc **docs = NULL;
	sqlite3_stmt *get = NULL;
	cache c = { 0 };
	size_t missing = 0;
	int error;
	if ((error = folio_md_collect_commit(&blobs, repo, commit, 0)) < 0)
		return error;
	docs = folio_calloc(blobs.n ? blobs.n : 1, sizeof(*docs));
	if ((error = folio_db_cached(site, &get, "SELECT data FROM blob_cache WHERE oid = ?1")) < 0)
		goto cleanup;
	/* one read transaction for all the lookups, not one lock round per statement */
	int reading = sqlite3_get_autocommit(site->db) && sqlite3_exec(site->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
	for (size_t i = 0; i < blobs.n; i++) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), &blobs.v[i].oid);
		sqlite3_bind_text(get, 1, hex, -1, SQLITE_STATIC);
		if (sqlite3_step(get) == SQLITE_ROW) {
			const char *data = (const char *)sqlite3_column_text(get, 0);
			if (!data || folio_doc_deserialize(&docs[i], site->fw, data, (size_t)sqlite3_column_bytes(get, 0)) < 0) {
				docs[i] = NULL; /* a bad record counts as missing */
				folio_error_clear();
			}
		}
		sqlite3_reset(get);
		if (!docs[i])
			missing++;
	}
	if (reading)
		sqlite3_exec(site->db, "COMMIT", NULL, NULL, NULL);
	if (missing) {
		if ((error = cache_open(&c, site)) < 0 || (error = folio_tx_begin(site)) < 0)
			goto cleanup;
		for (size_t i = 0; i < blobs.n && error == 0; i++)
			if (!docs[i])
				error = doc_for_blob(&c, repo, &blobs.v[i].oid, &docs[i]);
		if (error < 0)
			folio_tx_rollback(site);
		else
			error = folio_tx_commit(site);
		if (error < 0)
			goto cleanup;
	}
	for (size_t i = 0; i < blobs.n; i++) {
		folio_coverage_add(cov, blobs.v[i].path, docs[i]);
		docs[i] = NULL;
	}
cleanup:
	for (size_t i = 0; i < blobs.n; i++)
		folio_doc_free(docs[i]);
	free(docs);
	folio_db_release(site, get);
	cache_close(&c);
	folio_md_list_free(&blobs);
	return error;
}

int folio_coverage__commit(folio_coverage **out, folio_site *site, git_repository *repo, const git_oid *commit,
	const folio_qualification *q)
{
	char hex[GIT_OID_HEXSZ + 1];
	folio_coverage *cov;
	int error;
	*out = NULL;
	/* analyses made under another framework are dropped before any is read */
	if ((error = check_framework(site)) < 0)
		return error;
	git_oid_tostr(hex, sizeof(hex), commit);
	cov = folio_coverage_new(site->fw, q, hex);
	if ((error = coverage_from_git(cov, site, repo, commit)) < 0) {
		folio_coverage_free(cov);
		return error;
	}
	folio_coverage_finish(cov);
	*out = cov;
	return 0;
}

/* The commit the portfolio is indexed at; FOLIO_EINVALID when it has no commits. */
static int indexed_commit(folio_site *site, const char *mentor, char commit[41])
{
	sqlite3_stmt *st = NULL;
	int error, rc;
	if ((error = folio_db_prepare(site, &st, "SELECT commit_id FROM portfolio_index WHERE mentor = ?1")) < 0)
		return error;
	sqlite3_bind_text(st, 1, mentor, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(st, 0);
		size_t n = c ? strlen(c) : 0;
		memcpy(commit, c ? c : "", n < 40 ? n : 40);
		commit[n < 40 ? n : 40] = '\0';
	} else if (rc == SQLITE_DONE) {
		error = folio_error_set(FOLIO_EINVALID,
			"the portfolio of '%s' has no entries yet: add one with 'folio entry add %s'", mentor, mentor);
	} else {
		error = folio_db_error(site, "cannot read the evidence index");
	}
	sqlite3_finalize(st);
	return error;
}

int folio_coverage_get(folio_coverage **out, folio_site *site, const char *mentor, const char *rev)
{
	folio_portfolio pf;
	git_repository *repo = NULL;
	git_object *obj = NULL;
	folio_coverage *cov = NULL;
	char *path = NULL;
	int error, rc;

	*out = NULL;
	folio_git_init();
	char *action = folio_asprintf("read the evidence of '%s'", mentor ? mentor : "");
	error = folio_site_require_self_or(site, mentor, FOLIO_ROLE_REVIEWER | FOLIO_ROLE_LEAD | FOLIO_ROLE_ADMIN, action);
	free(action);
	if (error < 0)
		return error;
	if ((error = folio_portfolio__row(&pf, site, mentor)) < 0)
		return error;
	const folio_qualification *q = folio_framework_find_qualification(site->fw, pf.qualification);

	if (!rev) {
		const char *one[1] = { mentor };
		char commit[41];
		/* the index reads main once; an empty portfolio is left without an index row */
		if ((error = folio_index_update(site, one, 1, NULL, NULL, NULL)) < 0 ||
		    (error = indexed_commit(site, mentor, commit)) < 0)
			goto cleanup;
		cov = folio_coverage_new(site->fw, q, commit);
		if ((error = coverage_from_index(cov, site, mentor)) < 0)
			goto cleanup;
	} else {
		path = folio_portfolio_repo_path(site, mentor);
		if ((rc = folio_git_open(&repo, path)) < 0) {
			error = folio_git_error(rc, "cannot open portfolio");
			goto cleanup;
		}
		if ((rc = git_revparse_single(&obj, repo, rev)) < 0) {
			git_error_clear();
			error = folio_error_set(FOLIO_ENOTFOUND, "no revision '%s' in the portfolio of '%s'", rev, mentor);
			goto cleanup;
		}
		git_object *peeled = NULL;
		if ((rc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT)) < 0) {
			git_error_clear();
			error = folio_error_set(FOLIO_EINVALID, "revision '%s' of '%s' is not a commit", rev, mentor);
			goto cleanup;
		}
		git_object_free(obj);
		obj = peeled;
		error = folio_coverage__commit(out, site, repo, git_object_id(obj), q);
		goto cleanup;
	}
	folio_coverage_finish(cov);
	*out = cov;
	cov = NULL;
cleanup:
	folio_coverage_free(cov);
	git_object_free(obj);
	git_repository_free(repo);
	folio_portfolio_clear(&pf);
	free(path);
	return error;
}
