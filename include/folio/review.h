/* folio/review.h: review sessions, judgements per standard, outcomes, moderation, and feedback items. */
#ifndef FOLIO_REVIEW_H
#define FOLIO_REVIEW_H

#include <stddef.h>
#include "common.h"
#include "site.h"
#include "submission.h"
#include "evidence.h"

/*
 * The acting reviewer's assigned submissions (in review) whose review they
 * have not marked done, by panel date then id. Caller frees with
 * folio_submissions_free.
 */
int folio_review_queue(folio_submission **out, size_t *n, folio_site *site);

typedef struct {
	char *reviewer; /* NULL for the chair's moderated decision */
	char *standard; /* "S2" */
	char *judgement; /* "met" or "more-evidence" */
	char *comment;
} folio_judgement;

/*
 * Record (or change, until done) the acting reviewer's judgement on one
 * standard of a submission assigned to them; comment may be NULL. Refuses
 * an unknown standard naming the valid ones (FOLIO_EINVALID), a
 * submission not assigned to the actor (FOLIO_EDENIED), and a review
 * already done or a panel concluded (FOLIO_ECONFLICT). The first judgement
 * recorded at a panel moves it from "assigned" to "in-session".
 */
int folio_review_record(folio_site *site, long long submission, const char *standard, const char *judgement,
	const char *comment);
/*
 * The review form for the actor (an assigned reviewer): Markdown, one
 * "## S1 Personal qualities" section per standard with a "Judgement:" and a
 * "Comment:" line, pre-filled with what is recorded. *out is malloc'd.
 */
int folio_review_form(char **out, folio_site *site, long long submission);
/*
 * The form itself, without a site: for submission `s`, as `reviewer`, with
 * the judgements `j` (others' standards not in the framework are left out)
 * pre-filled. folio_review_form_parse reads it back to the same judgements.
 * *out is malloc'd. Returns 0.
 */
int folio_review_form_write(char **out, const folio_framework *fw, const folio_submission *s, const char *reviewer,
	const folio_judgement *j, size_t n);
/*
 * Record every judged section of a filled-in form at once (all or
 * nothing). A section whose judgement is left blank (or as the template's
 * "met | more-evidence") is skipped; a comment continues over the lines
 * below "Comment:" up to the next section (a leading backslash on such a
 * line is dropped, so "\## …" is comment text). Errors name the form
 * (`name`) and its line: "form.md line 7: unknown judgement 'maybe' …".
 */
int folio_review_record_form(folio_site *site, long long submission, const char *name, const char *text, size_t len);
/*
 * The form parser of folio_review_record_form, without a site: check a
 * filled-in form for `submission` against the framework and give its judged
 * sections in framework order (reviewer NULL; comment NULL when blank), with
 * the same errors. Caller frees *out with folio_judgements_free.
 */
int folio_review_form_parse(folio_judgement **out, size_t *n, const folio_framework *fw, long long submission,
	const char *name, const char *text, size_t len);
/*
 * Mark the actor's review done; refused (FOLIO_EINVALID, listing them)
 * while a standard has no judgement. When every assigned reviewer is done,
 * the outcome follows and is held in the submission (its state stays
 * "in-review", so mentors see nothing) until the panel concludes: all
 * standards met by all -> recommended; otherwise further-evidence, unless
 * reviewers disagree on a standard (some met, some more-evidence), which
 * then waits for the chair (folio_panel_moderate).
 */
int folio_review_done(folio_site *site, long long submission);
/*
 * Judgements recorded on a submission, by standard (framework order), the
 * reviewers' first and the chair's decision (reviewer NULL) last. Who sees
 * what: leads, admins and the panel's chair everything; an assigned
 * reviewer their own until their review is done, then everyone's; the
 * mentor (whatever other roles they hold) everything once the panel has
 * concluded, nothing before. Caller frees.
 */
int folio_review_judgements(folio_judgement **out, size_t *n, folio_site *site, long long submission);
void folio_judgements_free(folio_judgement *j, size_t n);

typedef struct {
	char *id;   /* reviewer */
	char *done; /* ISO 8601 time the review was marked done, or NULL */
} folio_review_reviewer;

/* Where the review of one submission stands (a snapshot; owned strings). */
typedef struct {
	char *panel;                      /* the submission's panel */
	folio_review_reviewer *reviewers; /* assigned, sorted by id */
	size_t nreviewers;
	char *outcome;   /* held (or released) outcome, or NULL while reviews or a moderation are missing */
	char **disputed; /* once every review is done: standards where reviewers disagree and nobody moderated */
	size_t ndisputed;
} folio_review_progress;

/* Assigned reviewers, the panel's chair, leads and admins; never the mentor. Clear with folio_review_progress_clear. */
int folio_review_progress_get(folio_review_progress *out, folio_site *site, long long submission);
void folio_review_progress_clear(folio_review_progress *p);

/* What changed since the commit the previous submission was reviewed at. */
typedef struct {
	char previous_commit[41]; /* "" when this is a first submission (then everything below is empty) */
	char **added, **changed, **removed; /* entry paths (*.md blobs of the two trees), sorted */
	size_t nadded, nchanged, nremoved;
	long long *gained; /* evidence blocks gained per standard (framework order; may be negative) */
	size_t nstandards;
} folio_review_changes;
/* Who may: as folio_review_progress_get. Caller frees with folio_review_changes_free. */
int folio_review_changes_get(folio_review_changes **out, folio_site *site, long long submission);
void folio_review_changes_free(folio_review_changes *c);

/*
 * The panel's chair (a lead or an admin when the panel has no chair)
 * decides a standard where the reviewers disagree, once every review of
 * the submission is done; the decision may be changed until the panel
 * concludes. When no disagreement is left the held outcome follows.
 * Refused for a moderator in conflict with the mentor, a standard the
 * reviewers agree on, and a concluded panel.
 */
int folio_panel_moderate(folio_site *site, long long submission, const char *standard, const char *judgement,
	const char *comment);
/*
 * Admin or the panel's chair: conclude the panel, releasing outcomes to
 * mentors in one transaction: each submission in review becomes
 * "recommended" or "further-evidence"; a further-evidence one gets a
 * feedback item (F1, F2, … numbered per mentor across submissions) for
 * every standard settled as more-evidence, carrying the comments asking
 * for it; the panel becomes "concluded". Then each mentor gets a message in
 * SITE/outbox/. Refused (FOLIO_ECONFLICT), listing them, while any review
 * is not done or a disagreement is not moderated. If a message cannot be
 * written the panel stays concluded and the error says so.
 */
int folio_panel_conclude(folio_site *site, const char *panel);

/* What concluding a panel released. */
typedef struct {
	size_t recommended, further_evidence; /* submissions by outcome */
	size_t items;                         /* feedback items raised */
	size_t messages;                      /* messages written to SITE/outbox/ */
} folio_panel_conclusion;
/* folio_panel_conclude, reporting what it released into *out (may be NULL). */
int folio_panel_conclude_summary(folio_panel_conclusion *out, folio_site *site, const char *panel);

/* ------------------------------------------------------------ feedback */

typedef struct {
	char *mentor;
	int number;          /* F1, F2, ... per mentor */
	long long submission; /* the submission whose panel asked for it */
	char *standard;
	char *text;          /* the reviewers' comments */
	char *status;        /* "open", "addressed", "accepted" */
	char *note;          /* the mentor's note, or NULL */
	char *addressed_commit; /* commit of an entry tagged #F<n>, or NULL */
	long long decided_by; /* the later submission whose reviewers accepted it or kept it open, or 0 */
} folio_feedback_item;

/*
 * Released items of a mentor, by number (the mentor, reviewers, leads,
 * admins). Reads #F<n> tags up to the tip of main first (see
 * folio_feedback_refresh). Caller frees with folio_feedback_free.
 */
int folio_feedback_list(folio_feedback_item **out, size_t *n, folio_site *site, const char *mentor);
/*
 * An entry tagged #F2 (in a paragraph, list item or heading; not in code,
 * HTML or a link destination; case-insensitive) committed after the commit
 * an open item was raised (or kept open) at, up to `rev` (NULL: the tip of
 * main), addresses it: record status "addressed" and the first commit that
 * carries the tag. feedback list, review show and resubmission call it.
 * The mentor, reviewers, leads and admins may.
 */
int folio_feedback_refresh(folio_site *site, const char *mentor, const char *rev);
/* The mentor (an admin only --as them) answers an item with a note; refused once it is accepted. */
int folio_feedback_address(folio_site *site, const char *mentor, int number, const char *note);
/*
 * A reviewer assigned to a later submission of the item's mentor accepts
 * the item (accept = 1) or keeps it open (accept = 0; then only a #F tag
 * committed after that submission's commit addresses it again). Refused
 * once the panel concluded or an earlier panel accepted it.
 */
int folio_feedback_accept(folio_site *site, long long submission, int number, int accept);
void folio_feedback_free(folio_feedback_item *f, size_t n);

/* ------------------------------------------------------------ review show */

/* Everything a reviewer looks at for one submission (folio_review_show). */
typedef struct {
	folio_submission submission;   /* outcome: the held outcome (reviewers, chair, leads, admins see it) */
	folio_coverage *coverage;      /* evidence per standard at the pinned commit */
	folio_review_changes *changes; /* since the previous submission's commit (empty for a first one) */
	folio_review_progress progress;
	folio_judgement *judgements;   /* those the actor may see (folio_review_judgements) */
	size_t njudgements;
	folio_feedback_item *feedback; /* the mentor's items raised at earlier submissions */
	size_t nfeedback;
} folio_review;

/* Assigned reviewers, the panel's chair, leads and admins; never the mentor. Caller frees with folio_review_free. */
int folio_review_show(folio_review **out, folio_site *site, long long submission);
void folio_review_free(folio_review *r);

#endif
