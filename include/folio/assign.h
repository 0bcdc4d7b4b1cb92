/* folio/assign.h: assigning reviewers to a panel's submissions, solved optimally as a min-cost flow. */
#ifndef FOLIO_ASSIGN_H
#define FOLIO_ASSIGN_H

#include <stddef.h>
#include "common.h"
#include "site.h"

typedef struct {
	long long submission;
	char *mentor;
	char **reviewers; /* sorted */
	size_t nreviewers;
} folio_assignment;

typedef struct {
	long long submission;
	char *mentor;
	char *reason; /* e.g. "only 1 conflict-free reviewer with capacity: sam-ellis" */
} folio_unplaced;

typedef struct {
	folio_assignment *assignments; /* by submission id */
	size_t nassignments;
	folio_unplaced *unplaced;      /* these roll to the next panel (not on a dry run) */
	size_t nunplaced;
	long long cost;                /* total cost of the optimal flow */
	char *rolled_to;               /* the panel the unplaced went to, or NULL */
} folio_assign_result;

typedef struct {
	unsigned reviewers;         /* per submission; 0 means the default, 2 */
	int dry_run;                /* solve and report, change nothing */
	const char *export_dimacs;  /* write the network here (DIMACS "p min"), or NULL */
} folio_assign_options;

/*
 * Admin: give each submission of a closed panel (deadline passed, not yet
 * assigned) R reviewers among those available, never across a conflict
 * (own portfolio, same school, declared conflict, the mentor's own lead),
 * within capacities, balancing load (each extra portfolio costs more),
 * preferring continuity (a resubmission's previous reviewers) and phase
 * match. Optimal and deterministic. Feasibility is checked first: each
 * submission that cannot be placed is explained and left out; afterwards
 * every hard constraint is checked again on the result. The panel becomes
 * "assigned". Caller frees *out.
 */
int folio_panel_assign(folio_assign_result **out, folio_site *site, const char *panel, const folio_assign_options *opts);
void folio_assign_result_free(folio_assign_result *r);

/*
 * Why `reviewer` may not review `submission` (every reason, one per line),
 * or NULL in *out when nothing stands in the way. Reviewers, leads, admins.
 */
int folio_assign_why_not(char **out, folio_site *site, long long submission, const char *reviewer);

#endif
