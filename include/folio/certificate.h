/* folio/certificate.h: approval by a lead, certificates, and Open Badges 2.0 assertions. */
#ifndef FOLIO_CERTIFICATE_H
#define FOLIO_CERTIFICATE_H

#include <stddef.h>
#include "common.h"
#include "site.h"

typedef struct {
	char *number;        /* "QMS-2027-0001": qualification, year of issue, sequence */
	long long submission;
	char *holder;        /* person id */
	char *holder_name;
	char *qualification;
	char *issued;        /* ISO 8601 with zone */
	char *panel;
	char *approved_by;
	char commit[41];     /* the pinned commit the award was earned on */
	char *revoked;       /* time, or NULL */
	char *revoked_reason;
	char *assertion;     /* the Open Badges 2.0 Assertion as issued (JSON text; revoked: true after a revocation) */
} folio_certificate;

/*
 * A lead approves a recommended submission (it stays "recommended"): records
 * who and when, with an audit row. Refused (FOLIO_EDENIED, audited) for
 * someone without role lead and for the lead's own submission, also when
 * acting as someone else through --as; FOLIO_ECONFLICT when the submission
 * is not recommended or already approved; FOLIO_ENOTFOUND for an unknown id.
 */
int folio_approve(folio_site *site, long long submission);

/*
 * A lead or admin certifies an approved submission: the certificate row, then
 * SITE/certificates/NUMBER/ with certificate.json, the Open Badges 2.0
 * issuer profile, BadgeClass and Assertion (hosted verification under the
 * site's badge base URL; recipient email hashed "sha256$" with a fresh salt;
 * issuedOn ISO 8601 with zone) and badge.svg with the assertion baked in.
 * Refused when the submission is not recommended or not approved, when the
 * holder has no email (the badge recipient is their hashed email), when the
 * issuer has no email, or when the pinned commit is missing from the
 * portfolio. Numbers are QUALIFICATION-YEAR-NNNN: the year of issue and a
 * sequence per qualification and year. The holder is notified (SITE/outbox)
 * after the commit. *out (may be NULL) receives the certificate.
 */
int folio_certify(folio_certificate *out, folio_site *site, long long submission);

/* The holder sees their own certificates; leads and admins see all. Caller frees (folio_cert_clear / folio_certs_free). */
int folio_cert_get(folio_certificate *out, folio_site *site, const char *number);
int folio_cert_list(folio_certificate **out, size_t *n, folio_site *site);
/* Check the record, the assertion files, and that the pinned commit exists in the portfolio. */
int folio_cert_verify(folio_site *site, const char *number);
/*
 * Every problem verify finds, one line each, in the order checked: the
 * record (and whether it was revoked: then nothing else is checked), the
 * assertion file against the stored assertion and its recipient hash against
 * the holder's email, the BadgeClass and issuer files and their links, the
 * assertion baked into badge.svg, certificate.json, and the pinned commit in
 * the portfolio repository. Returns 0 when the checks ran (*n may be > 0);
 * negative when they could not (unknown number, not allowed). Caller frees
 * with folio_cert_problems_free. folio_cert_verify is the same, failing with
 * FOLIO_EINVALID and the first problem.
 */
int folio_cert_verify_all(char ***problems, size_t *n, folio_site *site, const char *number);
void folio_cert_problems_free(char **problems, size_t n);

/*
 * A lead revokes with a reason: certified -> revoked, and the hosted
 * assertion (assertion.json, the stored copy, the one baked into badge.svg)
 * gets "revoked": true and "revocationReason", as Open Badges 2.0 hosted
 * verification expects. The holder is notified.
 */
int folio_cert_revoke(folio_site *site, const char *number, const char *reason);
void folio_cert_clear(folio_certificate *c);
void folio_certs_free(folio_certificate *c, size_t n);

/* Directory holding a certificate's files: SITE/certificates/NUMBER (malloc'd). */
char *folio_cert_dir(folio_site *site, const char *number);

/*
 * The badge issuer: the Open Badges 2.0 issuer profile (name, url, email) and
 * the base URL the badge files are hosted under (assertions at
 * BASE/assertions/NUMBER.json). Kept as site settings.
 */
typedef struct {
	char *name;     /* default "folio" */
	char *url;      /* default: scheme and host of base_url */
	char *email;    /* default: the email of the first admin that has one; may be NULL */
	char *base_url; /* default FOLIO_BADGE_BASE_URL; no trailing '/' */
} folio_cert_issuer;

#define FOLIO_BADGE_BASE_URL "https://folio.example.org/badges"

/* The settings in force (defaults filled in). Any bound person may read them. Caller frees with folio_cert_issuer_clear. */
int folio_cert_issuer_get(folio_cert_issuer *out, folio_site *site);
/*
 * Admin: change the fields that are not NULL (URLs http(s) without spaces or
 * quotes; email as for people; name one line). Takes effect for certificates
 * issued afterwards; issued ones keep their files.
 */
int folio_cert_issuer_set(folio_site *site, const folio_cert_issuer *changes);
void folio_cert_issuer_clear(folio_cert_issuer *issuer);

#endif
