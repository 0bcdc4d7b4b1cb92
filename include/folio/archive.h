/* folio/archive.h: zip archives of portfolios (git bundle, Markdown, pack, records, badges), verify, restore, remove. */
#ifndef FOLIO_ARCHIVE_H
#define FOLIO_ARCHIVE_H

#include <stddef.h>
#include "common.h"
#include "site.h"
#include "index.h"

/* Version of the archive layout written in manifest.json ("format_version"). */
#define FOLIO_ARCHIVE_FORMAT 1

/*
 * Limits applied while reading an archive (verify and restore), against zip
 * bombs: the total of the members' uncompressed sizes, and the ratio of
 * uncompressed to compressed size of any member larger than 1 MiB. Sizes are
 * counted while decompressing; the central directory is not trusted alone.
 * 0 means the default.
 */
typedef struct {
	unsigned long long max_total; /* bytes; default FOLIO_ARCHIVE_MAX_TOTAL */
	unsigned max_ratio;           /* default FOLIO_ARCHIVE_MAX_RATIO */
} folio_archive_limits;

#define FOLIO_ARCHIVE_MAX_TOTAL (2ULL << 30) /* 2 GiB */
#define FOLIO_ARCHIVE_MAX_RATIO 200

typedef struct {
	const char *const *mentors; /* these portfolios ... */
	size_t nmentors;
	const char *certified_before; /* ... or every holder of a (not revoked) certificate issued before YYYY-MM-DD ... */
	int all;                      /* ... or every portfolio of the site (exactly one of the three) */
	int force;                    /* replace an existing FILE.zip */
	int remove;                   /* after the written archive verified, remove the portfolios from the site */
	folio_progress_cb progress;   /* called per portfolio and while compressing (may be NULL) */
	void *payload;
} folio_archive_options;

typedef struct {
	size_t portfolios;  /* archived */
	size_t members;     /* zip members, manifest.json included */
	unsigned long long bytes; /* size of FILE.zip */
	size_t removed;     /* portfolios removed from the site (--remove) */
	char **mentors;     /* the archived portfolios, in archive order */
} folio_archive_result;

void folio_archive_result_clear(folio_archive_result *r);

/*
 * Admin only (refusals audited). Write FILE.zip: for each portfolio a folder
 * MENTOR/ with portfolio.bundle (full history, v2 git bundle, stored), the
 * Markdown files of the tree as pinned by its latest submission (main's tip
 * when it never submitted) under markdown/, pack.html (folio_pack_render),
 * records.json and certificates/NUMBER/FILE (its badge files); and
 * manifest.json (SHA-256 and size of every other member, folio's version,
 * the time, the portfolios). The zip is written to a temporary file next to
 * FILE.zip and moved into place when complete; an existing FILE.zip is an
 * error (FOLIO_EEXISTS) unless opts->force. One audit row "archive.write" per
 * portfolio. With opts->remove the archive is verified (folio_archive_verify)
 * and only then each portfolio is removed (folio_archive_remove's rules).
 * out (may be NULL) receives what was done.
 */
int folio_archive_write(folio_archive_result *out, folio_site *site, const char *zip_path,
	const folio_archive_options *opts);

/*
 * Remove a portfolio from the live site (admin): its repository and its
 * rows (portfolio, evidence cache, submissions and their history,
 * assignments, judgements, moderation, feedback, certificates). Kept: the
 * person, their exemption, the audit log (rows "portfolio.remove" added)
 * and the badge files SITE/certificates/NUMBER/ (hosted Open Badges stay
 * resolvable; `folio cert verify` knows the number again after a restore).
 * Refused (FOLIO_ECONFLICT) while a submission is open (submitted,
 * in-review, recommended). folio_archive_write calls it only after the
 * archive verified; `archive` names the archive in the audit row.
 */
int folio_archive_remove(folio_site *site, const char *mentor, const char *archive);

typedef struct {
	char *mentor;
	char *qualification;
	char commit[41];      /* main's tip, "" for an empty portfolio */
	char pinned[41];      /* the commit of the Markdown and pack ("" when empty) */
	long long submission; /* latest submission, 0 when none */
	size_t commits;       /* commits in the bundle (after verify) */
} folio_archive_portfolio;

typedef struct {
	char *created;        /* manifest "created" */
	char *folio_version;  /* manifest "folio_version" */
	folio_archive_portfolio *portfolios;
	size_t nportfolios;
	size_t members;       /* zip members, manifest.json included */
} folio_archive_info;

void folio_archive_info_clear(folio_archive_info *info);

/*
 * Check FILE.zip without a site: every member against its SHA-256 and size in
 * the manifest, members and manifest match exactly (no extra, missing or
 * duplicate names), member names are safe (relative, no "..", no symlinks),
 * sizes within `limits` (may be NULL), each bundle (header, pack indexed by
 * libgit2, ref tips present and connected, main at the manifest's commit) and
 * each records.json. Returns 0 when the checks ran; *problems (one line each,
 * free with folio_archive_problems_free) may then be non-empty. Negative only
 * when nothing could be checked. info (may be NULL) gets what the manifest says.
 */
int folio_archive_verify(char ***problems, size_t *n, folio_archive_info *info, const char *zip_path,
	const folio_archive_limits *limits);
void folio_archive_problems_free(char **problems, size_t n);

typedef struct {
	int force;                  /* replace existing portfolios, records and badge files */
	folio_archive_limits limits;
	folio_progress_cb progress;
	void *payload;
} folio_restore_options;

/*
 * Admin only. Verify FILE.zip (any problem: FOLIO_EINVALID naming the first),
 * then bring its portfolios back into `site`, all or nothing: the repositories
 * are unpacked into temporary directories and renamed into place, the records
 * go in one transaction (same submission ids, reviews, feedback, certificate
 * numbers), badge files back to SITE/certificates/NUMBER/. People, schools
 * and panels the records need and the site lacks are created from the
 * records (people without the admin role; their login only when no one else
 * has it); existing ones are kept as they are. The archive's audit rows
 * cannot join the site's hash chain: they are written to
 * SITE/restored-audit/MENTOR-TIME.json, and one row "archive.restore" per
 * portfolio is appended. An existing portfolio, submission, certificate or
 * differing badge file is FOLIO_EEXISTS unless opts->force (which replaces
 * that portfolio's repository and records; ids held by another mentor are
 * refused always). Nothing is written outside the site. out (may be NULL)
 * receives the restored portfolios.
 */
int folio_archive_restore(folio_archive_info *out, folio_site *site, const char *zip_path,
	const folio_restore_options *opts);

#endif
