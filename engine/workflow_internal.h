/* engine/workflow_internal.h: what the workflow modules (panel, submission, assign, review, certificate) share. */
#ifndef FOLIO_WORKFLOW_INTERNAL_H
#define FOLIO_WORKFLOW_INTERNAL_H

#include "site_internal.h"

/*
 * Move submission `id` from one of the states in `from` (a NULL-terminated
 * list) to `to`, inside the caller's transaction: the state, a history row
 * and an audit row (with the submission's commit). FOLIO_ENOTFOUND for an
 * unknown submission; FOLIO_ECONFLICT naming the current state when it is
 * not one of `from`.
 */
int folio_wf_set_state(folio_site *site, long long id, const char *const *from, const char *to, const char *note);

/* Add a history + audit row for a submission created in state `to` (from NULL). */
int folio_wf_created(folio_site *site, long long id, const char *to, const char *note);

/*
 * Why `reviewer` may not review `mentor`'s portfolio: 1 with *reason set
 * (malloc'd, every reason joined by "; ") when a conflict stands, 0 when
 * none, negative on error. Conflicts: the reviewer's own portfolio, the
 * same school, a declared conflict (with its reason), the mentor's own lead.
 */
int folio_wf_conflict(folio_site *site, const char *reviewer, const char *mentor, char **reason);

/*
 * The same rules over people and conflicts loaded once, for callers that
 * ask about many pairs (assignment): no query per pair.
 */
typedef struct folio_wf_people folio_wf_people;
int folio_wf_people_load(folio_wf_people **out, folio_site *site);
int folio_wf_people_conflict(const folio_wf_people *pp, const char *reviewer, const char *mentor, char **reason);
void folio_wf_people_free(folio_wf_people *pp);

/*
 * Write an RFC 5322 message for a person into SITE/outbox/ (folio opens no
 * network connection; any mail system can send the files). Written under a
 * temporary name and renamed, so a half-written message never appears.
 */
int folio_notify(folio_site *site, const char *person, const char *subject, const char *body);

/* Today is after the panel's deadline. */
int folio_wf_deadline_passed(const char *deadline);

#endif
