/* folio/panel.h: the three review panels of an academic year, and reviewers' availability for them. */
#ifndef FOLIO_PANEL_H
#define FOLIO_PANEL_H

#include <stddef.h>
#include "common.h"
#include "site.h"
#include "submission.h"

/*
 * A panel goes open -> closed (its deadline passed; derived from the date,
 * not stored) -> assigned -> in-session (the first review recorded) ->
 * concluded (outcomes released).
 */
typedef struct {
	char *id;       /* "2026-autumn", "2027-spring", "2027-summer" */
	int year;       /* academic year it belongs to (starts in September of `year`) */
	char *term;     /* "autumn", "spring", "summer" */
	char *date;     /* YYYY-MM-DD the panel meets */
	char *deadline; /* YYYY-MM-DD last day to submit */
	char *state;    /* "open", "closed", "assigned", "in-session", "concluded" */
	char *chair;    /* a lead, or NULL */
	size_t submissions, reviewers; /* submissions for it (withdrawn ones not counted); reviewers available (capacity > 0) */
	size_t capacity;               /* sum of the available reviewers' capacities */
	size_t by_state[FOLIO_SUBMISSION_NSTATES]; /* submissions per state (folio_submission_state_name order) */
} folio_panel;

/*
 * Admin: create the autumn, spring and summer panels of the academic year
 * starting in September of `year`, on default dates (third Wednesday of
 * November, March and June; deadline three weeks earlier). Refuses a year
 * already planned (FOLIO_EEXISTS) and a year whose panels would all be in
 * the past (FOLIO_EINVALID); part-way through a year, only the panels still
 * to meet are created. Submissions that could not be placed when no later
 * panel existed roll to the new year's first panel open for submissions.
 */
int folio_panel_plan(folio_site *site, int year);
/* Admin: move a panel's date and optionally its deadline (NULL keeps it; a
 * new date alone keeps the gap, or the deadline itself once it has passed;
 * date NULL moves the deadline alone). Dates must be valid YYYY-MM-DD, not
 * in the past (a passed deadline may stay), deadline before date
 * (FOLIO_EINVALID), and the panel not yet assigned (FOLIO_ECONFLICT). */
int folio_panel_move(folio_site *site, const char *id, const char *date, const char *deadline);
/* Admin: the lead who chairs the panel and moderates disagreements (not once it is concluded). */
int folio_panel_set_chair(folio_site *site, const char *id, const char *lead);

/* Any bound person reads panels. *out owned (folio_panel_clear); FOLIO_ENOTFOUND naming the id. */
int folio_panel_get(folio_panel *out, folio_site *site, const char *id);
/* All panels by date. *out owned (folio_panels_free). */
int folio_panel_list(folio_panel **out, size_t *n, folio_site *site);
void folio_panel_clear(folio_panel *p);
void folio_panels_free(folio_panel *p, size_t n);
/* The first panel, by date, whose deadline has not passed: *out owned (folio_panel_clear). */
int folio_panel_next_open(folio_panel *out, folio_site *site);

/*
 * Declare how many portfolios a reviewer can take at a panel (capacity 0:
 * unavailable; at most 1000). A reviewer sets their own; an admin anyone's.
 * The person must hold role reviewer or lead. Allowed after the deadline,
 * refused once the panel is assigned. A second call replaces the first.
 */
int folio_panel_availability(folio_site *site, const char *panel, const char *person, unsigned capacity);

typedef struct {
	char *person;
	unsigned capacity;
} folio_availability;
/* By person. Reviewers, leads and admins see everyone's; anyone else only their own. */
int folio_panel_availability_list(folio_availability **out, size_t *n, folio_site *site, const char *panel);
void folio_availability_free(folio_availability *a, size_t n);

#endif
