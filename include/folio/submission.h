/* folio/submission.h: submissions (one attempt at one qualification, pinned to one commit) and their states. */
#ifndef FOLIO_SUBMISSION_H
#define FOLIO_SUBMISSION_H

#include <stddef.h>
#include "common.h"
#include "site.h"

/*
 * States (SPEC §5). There is no fail state: a review ends in "recommended"
 * or "further-evidence", and a certificate may later be "revoked".
 *   submitted -> in-review -> recommended -> certified -> revoked
 *                          -> further-evidence (the mentor resubmits: a new submission)
 *   submitted -> withdrawn
 */

/* Number of states, and their names in workflow order (0 .. FOLIO_SUBMISSION_NSTATES - 1):
 * "submitted", "in-review", "recommended", "further-evidence", "certified", "revoked", "withdrawn".
 * NULL past the end. */
#define FOLIO_SUBMISSION_NSTATES 7
const char *folio_submission_state_name(size_t i);

typedef struct {
	long long id;
	char *mentor;
	char *qualification;
	char *panel;
	char commit[41];
	long long previous; /* the submission this resubmits, or 0 */
	char *state;
	char *outcome;      /* held outcome before the panel concludes, or NULL; visible to reviewers, leads,
	                       admins (never on their own submission) until the panel concludes */
	char *approved_by;  /* lead who approved, or NULL */
	char *created;
} folio_submission;

typedef struct {
	char *from, *to, *actor, *time, *note;
} folio_state_change;

/*
 * Pin the tip of the mentor's main to a new submission for `panel` (NULL:
 * the next open panel). Refused, with every shortfall listed, when the
 * portfolio is not ready for its qualification; when the mentor has an open
 * submission (submitted, in-review, or recommended); when the mentor holds
 * the qualification already (certified); when the latest submission asked
 * for further evidence (resubmit instead); for QLMS without a QMS
 * certificate (not revoked) or an exemption; after the panel's deadline or
 * once it is assigned. The mentor (or an admin as them) submits. *id_out
 * receives the new id. The submission is audited with its commit; a refused
 * attempt is audited too (action "refused").
 */
int folio_submit(folio_site *site, const char *mentor, const char *panel, long long *id_out);
/*
 * After "further-evidence" was released (the mentor's latest submission is
 * in that state): pin a new commit (it must differ from the last one) for
 * the next open panel (or `panel`); the new submission links to the
 * previous one, so reviewers see what changed. Readiness and the other
 * refusals of folio_submit apply.
 */
int folio_resubmit(folio_site *site, const char *mentor, const char *panel, long long *id_out);
/* Withdraw the mentor's submission while it is only submitted (the mentor, or an admin as them). */
int folio_withdraw(folio_site *site, const char *mentor);
/* Admin: let a mentor submit for `qualification` (QLMS) without holding what it requires. One per
 * mentor (FOLIO_EEXISTS); the qualification must require another; the reason must not be empty. */
int folio_exemption_add(folio_site *site, const char *mentor, const char *qualification, const char *reason);

/*
 * Read one submission. Mentors see their own, and only once the panel has
 * concluded do they see its outcome (before that: "in-review", outcome NULL).
 */
int folio_submission_get(folio_submission *out, folio_site *site, long long id);
/* All submissions the actor may see, by id (filters may be NULL). Mentors see their own;
 * filtering on another mentor is refused. */
int folio_submission_list(folio_submission **out, size_t *n, folio_site *site, const char *mentor, const char *panel);
/* State changes in order (the first has from NULL); the same visibility as get, so a held outcome is left out. */
int folio_submission_history(folio_state_change **out, size_t *n, folio_site *site, long long id);
/*
 * Reviewers assigned to a submission, sorted (*out: array of malloc'd
 * strings, free each and the array). Empty for the mentor themself.
 */
int folio_submission_reviewers(char ***out, size_t *n, folio_site *site, long long id);
/* The mentor's latest submission (any state); FOLIO_ENOTFOUND if none. */
int folio_submission_latest(folio_submission *out, folio_site *site, const char *mentor);
void folio_submission_clear(folio_submission *s);
void folio_submissions_free(folio_submission *s, size_t n);
void folio_state_changes_free(folio_state_change *c, size_t n);

#endif
