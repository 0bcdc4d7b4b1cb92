/* engine/assign.c: giving each submission of a closed panel R reviewers, solved optimally as a min-cost flow. */

/*
 * The model.
 *
 * Inputs (all sorted before anything is built, so the same site gives the
 * same network and, the solver being deterministic, the same answer):
 *   - the panel's submissions in state "submitted", by id; the panel must be
 *     closed (stored state "open", deadline passed);
 *   - its reviewers: people holding role reviewer or lead with an
 *     availability capacity > 0 for the panel, by id;
 *   - R, reviewers per submission (default 2).
 *
 * Hard constraints: each placed submission gets exactly R distinct
 * reviewers; never one with a conflict (folio_wf_conflict: own portfolio,
 * same school, declared conflict, the mentor's own lead); no reviewer gets
 * more than their capacity.
 *
 * Costs (integers; lower is better):
 *   - load: a reviewer's k-th portfolio costs COST_LOAD * k * k, so each
 *     extra one costs more than the last and the optimum spreads the load;
 *   - phase: the reviewer's school phase against the mentor's: the same
 *     phase (or either school all-through) 0, a mismatch COST_MISMATCH, and
 *     COST_NEUTRAL when either has no school (university staff);
 *   - continuity: a resubmission (submission.previous set) gets a bonus of
 *     COST_CONTINUITY (a negative cost) for each reviewer of the submission
 *     it resubmits, when they are available and conflict-free.
 *
 * The network (node numbers as in an exported DIMACS file, less one):
 *   source (supply R * placed) -> each placed submission (capacity R, cost 0)
 *   submission -> reviewer (capacity 1, one arc per conflict-free pair, cost
 *   phase + continuity) -> sink (demand R * placed) through one unit arc per
 *   portfolio the reviewer can take, the k-th costing COST_LOAD * k * k.
 * Capacity-1 pair arcs make the reviewers of a submission distinct; the
 * supplies make it exactly R; the unit arcs to the sink hold the capacity.
 *
 * Feasibility first: a submission with fewer than R conflict-free reviewers
 * with capacity cannot be placed whatever the others do, and is explained
 * ("only 1 conflict-free reviewer with capacity: sam-ellis"). The rest is
 * solved. When that is infeasible (together they need more conflict-free
 * capacity than there is: Hall's condition fails for some set of them),
 * each submission gets a bypass arc to the sink at a cost larger than any
 * real path, so the solver places as many reviewer slots as can be placed
 * and says which submissions are short; bypass costs fall with age, so the
 * shortfall goes to the newest submissions it can (a submission rolled from
 * an earlier panel is older). Those short are left out; the flow of the
 * others shows that they can all be placed together. Then every left-out
 * submission that still fits is taken back, in id order (oldest first), so
 * no unplaced submission could have been placed beside the placed ones.
 * The placed set is solved once more, without bypass arcs: that network is
 * the one exported, and its optimum is the result's cost.
 *
 * Afterwards every hard constraint is checked again on the result, with
 * conflicts asked afresh; a violation is an internal error and nothing is
 * written. Writing is one transaction: the assignments, each placed
 * submission submitted -> in-review, the panel "assigned", and the unplaced
 * moved to the next open panel by date (if one is planned; otherwise they
 * stay), each move with an audit row.
 */

#include "folio/assign.h"
#include "folio/mcf.h"
#include "folio/people.h"
#include "workflow_internal.h"
#include "util.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_REVIEWERS 2
#define MAX_REVIEWERS 10

#define COST_LOAD 10        /* the k-th portfolio of a reviewer costs COST_LOAD * k * k */
#define COST_NEUTRAL 15     /* reviewer or mentor without a school */
#define COST_MISMATCH 30    /* primary against secondary */
#define COST_CONTINUITY 200 /* bonus for a reviewer of the submission this one resubmits */

#define NO_ARC SIZE_MAX
#define PHASE_NONE (-1)

/* ------------------------------------------------------------ inputs */

enum { SUB_PLACED, SUB_TOO_FEW, SUB_NO_ROOM };

typedef struct {
	long long id;
	char *mentor;
	long long previous; /* 0 when a first submission */
	int phase;          /* folio_phase of the mentor's school, or PHASE_NONE */
	size_t nfree;       /* conflict-free reviewers with capacity */
	int status;         /* SUB_* */
} sub;

typedef struct {
	char *id;
	long long capacity;
	int phase;
} rev;

typedef struct {
	folio_site *site;
	char *panel, *date, *deadline, *state;
	unsigned r;
	sub *subs;
	size_t nsubs;
	rev *revs;
	size_t nrevs;
	unsigned char *conflict;   /* [i * nrevs + j]: reviewer j may not review submission i */
	unsigned char *continuity; /* [i * nrevs + j]: reviewer j reviewed the submission i resubmits */
} input;

static void input_free(input *in)
{
	for (size_t i = 0; i < in->nsubs; i++)
		free(in->subs[i].mentor);
	for (size_t j = 0; j < in->nrevs; j++)
		free(in->revs[j].id);
	free(in->subs);
	free(in->revs);
	free(in->conflict);
	free(in->continuity);
	free(in->panel);
	free(in->date);
	free(in->deadline);
	free(in->state);
	memset(in, 0, sizeof(*in));
}

static int phase_of(const unsigned char *name)
{
	folio_phase p;
	if (!name || folio_phase_parse(&p, (const char *)name) < 0) {
		folio_error_clear();
		return PHASE_NONE;
	}
	return (int)p;
}

static int cmp_sub(const void *a, const void *b)
{
	long long x = ((const sub *)a)->id, y = ((const sub *)b)->id;
	return (x > y) - (x < y);
}

static int cmp_rev(const void *a, const void *b)
{
	return strcmp(((const rev *)a)->id, ((const rev *)b)->id);
}

static long long rev_index(const input *in, const char *id)
{
	size_t lo = 0, hi = in->nrevs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(in->revs[mid].id, id);
		if (c == 0)
			return (long long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int load_panel(input *in, const char *panel)
{
	sqlite3_stmt *st = NULL;
	int error, rc;

	if ((error = folio_db_prepare(in->site, &st, "SELECT id, date, deadline, state FROM panel WHERE id = ?1")) < 0)
		return error;
	folio_db_bind_text(st, 1, panel);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		in->panel = folio_db_col_dup(st, 0);
		in->date = folio_db_col_dup(st, 1);
		in->deadline = folio_db_col_dup(st, 2);
		in->state = folio_db_col_dup(st, 3);
	} else if (rc == SQLITE_DONE) {
		error = folio_error_set(FOLIO_ENOTFOUND, "no panel '%s' in site '%s'", panel ? panel : "",
			in->site->path);
	} else {
		error = folio_db_error(in->site, "cannot read panels");
	}
	sqlite3_finalize(st);
	return error;
}

static int load_submissions(input *in)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int error, rc;

	if ((error = folio_db_prepare(in->site, &st,
		"SELECT sub.id, sub.mentor, COALESCE(sub.previous, 0), s.phase FROM submission sub"
		" JOIN person p ON p.id = sub.mentor LEFT JOIN school s ON s.id = p.school"
		" WHERE sub.panel = ?1 AND sub.state = 'submitted' ORDER BY sub.id")) < 0)
		return error;
	sqlite3_bind_text(st, 1, in->panel, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (in->nsubs == cap) {
			cap = cap ? cap * 2 : 16;
			in->subs = folio_realloc(in->subs, cap * sizeof(*in->subs));
		}
		sub *s = &in->subs[in->nsubs++];
		memset(s, 0, sizeof(*s));
		s->id = sqlite3_column_int64(st, 0);
		s->mentor = folio_db_col_dup(st, 1);
		s->previous = sqlite3_column_int64(st, 2);
		s->phase = phase_of(sqlite3_column_text(st, 3));
	}
	if (rc != SQLITE_DONE)
		error = folio_db_error(in->site, "cannot read submissions");
	sqlite3_finalize(st);
	if (in->nsubs > 1)
		qsort(in->subs, in->nsubs, sizeof(*in->subs), cmp_sub);
	return error;
}

static int load_reviewers(input *in)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int error, rc;

	if ((error = folio_db_prepare(in->site, &st,
		"SELECT a.person, a.capacity, s.phase FROM availability a"
		" JOIN person p ON p.id = a.person LEFT JOIN school s ON s.id = p.school"
		" WHERE a.panel = ?1 AND a.capacity > 0 AND EXISTS (SELECT 1 FROM person_role r"
		"   WHERE r.person = a.person AND r.role IN ('reviewer', 'lead'))"
		" ORDER BY a.person")) < 0)
		return error;
	sqlite3_bind_text(st, 1, in->panel, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (in->nrevs == cap) {
			cap = cap ? cap * 2 : 16;
			in->revs = folio_realloc(in->revs, cap * sizeof(*in->revs));
		}
		rev *v = &in->revs[in->nrevs++];
		v->id = folio_db_col_dup(st, 0);
		v->capacity = sqlite3_column_int64(st, 1);
		v->phase = phase_of(sqlite3_column_text(st, 2));
	}
	if (rc != SQLITE_DONE)
		error = folio_db_error(in->site, "cannot read availability");
	sqlite3_finalize(st);
	if (in->nrevs > 1)
		qsort(in->revs, in->nrevs, sizeof(*in->revs), cmp_rev);
	return error;
}

/* Conflicts of every pair, the previous reviewers of resubmissions, and each submission's conflict-free count. */
static int load_pairs(input *in)
{
	sqlite3_stmt *st = NULL;
	int error = 0, rc;

	folio_wf_people *pp = NULL;

	in->conflict = folio_calloc(in->nsubs * in->nrevs + 1, 1);
	in->continuity = folio_calloc(in->nsubs * in->nrevs + 1, 1);
	if ((error = folio_wf_people_load(&pp, in->site)) < 0)
		return error;
	for (size_t i = 0; i < in->nsubs; i++) {
		for (size_t j = 0; j < in->nrevs; j++) {
			char *why = NULL;
			if ((error = folio_wf_people_conflict(pp, in->revs[j].id, in->subs[i].mentor, &why)) < 0) {
				folio_wf_people_free(pp);
				return error;
			}
			free(why);
			in->conflict[i * in->nrevs + j] = error == 1;
			if (error == 0)
				in->subs[i].nfree++;
			error = 0;
		}
	}
	folio_wf_people_free(pp);
	if ((error = folio_db_prepare(in->site, &st, "SELECT reviewer FROM assignment WHERE submission = ?1")) < 0)
		return error;
	for (size_t i = 0; i < in->nsubs && error == 0; i++) {
		if (!in->subs[i].previous)
			continue;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, in->subs[i].previous);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			long long j = rev_index(in, (const char *)sqlite3_column_text(st, 0));
			if (j >= 0)
				in->continuity[i * in->nrevs + (size_t)j] = 1;
		}
		if (rc != SQLITE_DONE)
			error = folio_db_error(in->site, "cannot read assignments");
	}
	sqlite3_finalize(st);
	return error;
}

static int load_input(input *in, folio_site *site, const char *panel, unsigned r)
{
	int error;
	memset(in, 0, sizeof(*in));
	in->site = site;
	in->r = r;
	if ((error = load_panel(in, panel)) < 0 || (error = load_submissions(in)) < 0 ||
	    (error = load_reviewers(in)) < 0)
		return error;
	return load_pairs(in);
}

/* ------------------------------------------------------------ the network */

static long long phase_cost(int mentor, int reviewer)
{
	if (mentor == PHASE_NONE || reviewer == PHASE_NONE)
		return COST_NEUTRAL;
	if (mentor == reviewer || mentor == FOLIO_PHASE_ALL_THROUGH || reviewer == FOLIO_PHASE_ALL_THROUGH)
		return 0;
	return COST_MISMATCH;
}

static long long pair_cost(const input *in, size_t i, size_t j)
{
	long long c = phase_cost(in->subs[i].phase, in->revs[j].phase);
	if (in->continuity[i * in->nrevs + j])
		c -= COST_CONTINUITY;
	return c;
}

typedef struct {
	folio_mcf *g;
	size_t *pair;   /* [i * nrevs + j]: arc of the pair, or NO_ARC */
	size_t *bypass; /* [i]: the submission's bypass arc, or NO_ARC */
	size_t nplaced; /* submissions in the network */
} network;

static void network_free(network *net)
{
	folio_mcf_free(net->g);
	free(net->pair);
	free(net->bypass);
	memset(net, 0, sizeof(*net));
}

/*
 * The network of the submissions with take[i] set. With `bypass`, each also
 * gets an arc straight to the sink that costs more than any path through a
 * reviewer can save, so the flow always exists and uses as few as it can.
 */
static int network_build(network *net, const input *in, const unsigned char *take, int bypass)
{
	size_t nsubs = in->nsubs, nrevs = in->nrevs, k = 0, node, source = 0, sink;
	size_t *subnode = folio_calloc(nsubs + 1, sizeof(size_t));
	size_t *room = folio_calloc(nrevs + 1, sizeof(size_t));
	long long maxcost = 0, big = 0;
	int error = 0;

	memset(net, 0, sizeof(*net));
	for (size_t i = 0; i < nsubs; i++)
		if (take[i])
			subnode[i] = 1 + k++;
	net->nplaced = k;
	sink = 1 + k + nrevs;
	if ((error = folio_mcf_new(&net->g, sink + 1)) < 0)
		goto cleanup;
	net->pair = folio_malloc((nsubs * nrevs + 1) * sizeof(size_t));
	net->bypass = folio_malloc((nsubs + 1) * sizeof(size_t));
	for (size_t x = 0; x < nsubs * nrevs; x++)
		net->pair[x] = NO_ARC;
	for (size_t i = 0; i < nsubs; i++)
		net->bypass[i] = NO_ARC;

	folio_mcf_set_supply(net->g, source, (long long)(k * in->r));
	folio_mcf_set_supply(net->g, sink, -(long long)(k * in->r));
	for (size_t i = 0; i < nsubs; i++)
		if (take[i] && (error = folio_mcf_add_arc(NULL, net->g, source, subnode[i], 0, in->r, 0)) < 0)
			goto cleanup;
	for (size_t i = 0; i < nsubs; i++) {
		if (!take[i])
			continue;
		for (size_t j = 0; j < nrevs; j++) {
			long long c;
			if (in->conflict[i * nrevs + j])
				continue;
			c = pair_cost(in, i, j);
			if ((error = folio_mcf_add_arc(&net->pair[i * nrevs + j], net->g, subnode[i], 1 + k + j, 0, 1, c)) < 0)
				goto cleanup;
			if (llabs(c) > maxcost)
				maxcost = llabs(c);
			room[j]++;
		}
	}
	/* a reviewer can take no more than their capacity, nor more than one unit per submission */
	for (size_t j = 0; j < nrevs; j++) {
		long long units = in->revs[j].capacity < (long long)room[j] ? in->revs[j].capacity : (long long)room[j];
		node = 1 + k + j;
		for (long long u = 1; u <= units; u++) {
			long long c = COST_LOAD * u * u;
			if ((error = folio_mcf_add_arc(NULL, net->g, node, sink, 0, 1, c)) < 0)
				goto cleanup;
			if (c > maxcost)
				maxcost = c;
		}
	}
	if (bypass) {
		/*
		 * A simple cycle of the residual network passes the sink once, so
		 * it trades at most one bypass unit for a path through reviewers,
		 * or one submission's bypass unit for another's, plus real arcs
		 * of total cost at most nodes * largest |cost| = step - 1. Every
		 * bypass arc costs at least `step`, so trading a bypass unit for
		 * a real path always pays: the flow places as many units as it
		 * can. The newer submission's bypass is `step` cheaper than the
		 * older's, so among those flows the shortfall goes to the newest.
		 */
		long long step, top;
		if (__builtin_mul_overflow(maxcost + 1, (long long)sink + 2, &step) ||
		    __builtin_mul_overflow(step, (long long)k + 1, &top) || top > LLONG_MAX / 8 / ((long long)sink + 2)) {
			error = folio_error_set(FOLIO_EINVALID, "panel '%s' is too large to assign: costs overflow", in->panel);
			goto cleanup;
		}
		for (size_t i = 0, q = 0; i < nsubs; i++) {
			if (!take[i])
				continue;
			big = step * (long long)(k - q++); /* oldest: k * step, newest: step */
			if ((error = folio_mcf_add_arc(&net->bypass[i], net->g, subnode[i], sink, 0, in->r, big)) < 0)
				goto cleanup;
		}
	}
cleanup:
	free(subnode);
	free(room);
	return error;
}

/* Text for the "c" lines of an exported network: what each node is. */
static char *network_comment(const input *in, const unsigned char *take, size_t nplaced)
{
	folio_buf b = FOLIO_BUF_INIT;
	size_t node = 1;

	folio_buf_printf(&b, "folio panel assign %s: %zu submissions x %u reviewers each, %zu reviewers available\n",
		in->panel, nplaced, in->r, in->nrevs);
	folio_buf_printf(&b, "arcs: source -> submission (capacity %u); submission -> reviewer (capacity 1,"
		" cost: phase 0/%d/%d for match/neutral/mismatch, %d for continuity); reviewer -> sink"
		" (one arc per portfolio, the k-th costing %d*k*k)\n", in->r, COST_NEUTRAL, COST_MISMATCH,
		-COST_CONTINUITY, COST_LOAD);
	folio_buf_printf(&b, "node %zu: source\n", node++);
	for (size_t i = 0; i < in->nsubs; i++)
		if (take[i])
			folio_buf_printf(&b, "node %zu: submission %lld (%s)\n", node++, in->subs[i].id, in->subs[i].mentor);
	for (size_t j = 0; j < in->nrevs; j++)
		folio_buf_printf(&b, "node %zu: reviewer %s (capacity %lld)\n", node++, in->revs[j].id, in->revs[j].capacity);
	folio_buf_printf(&b, "node %zu: sink", node);
	return folio_buf_detach(&b);
}

/* Solve; *ok is 1 when an optimal flow exists. */
static int network_solve(int *ok, long long *cost, network *net, const input *in)
{
	folio_mcf_status status;
	int error;

	*ok = 0;
	if ((error = folio_mcf_solve(&status, cost, net->g)) < 0)
		return folio_error_set(error, "cannot assign panel '%s': %s", in->panel, folio_error_last());
	if (status == FOLIO_MCF_UNBOUNDED)
		return folio_error_set(FOLIO_ERROR, "cannot assign panel '%s': the solver found the network unbounded",
			in->panel);
	*ok = status == FOLIO_MCF_OPTIMAL;
	return 0;
}

/*
 * Decide which submissions are placed (take[i] = 1): those with R
 * conflict-free reviewers, less those the capacity cannot hold together.
 * On return *net is the network of the placed ones, solved, at *cost.
 */
static int place(network *net, long long *cost, unsigned char *take, const input *in)
{
	unsigned char *dropped = folio_calloc(in->nsubs + 1, 1);
	long long seats = 0, placed = 0; /* reviewer seats the bypass flow filled; submissions it placed */
	int error = 0, ok = 0, stale = 0;

	for (size_t i = 0; i < in->nsubs; i++) {
		take[i] = in->subs[i].nfree >= in->r;
		in->subs[i].status = take[i] ? SUB_PLACED : SUB_TOO_FEW;
	}
	if ((error = network_build(net, in, take, 0)) < 0 || (error = network_solve(&ok, cost, net, in)) < 0 || ok)
		goto cleanup;

	/* some set of submissions needs more conflict-free capacity than there is */
	network_free(net);
	if ((error = network_build(net, in, take, 1)) < 0 || (error = network_solve(&ok, cost, net, in)) < 0)
		goto cleanup;
	if (!ok) {
		error = folio_error_set(FOLIO_ERROR, "cannot assign panel '%s': the solver found no flow with bypass arcs",
			in->panel);
		goto cleanup;
	}
	for (size_t i = 0; i < in->nsubs; i++) {
		long long short_by;
		if (!take[i])
			continue;
		short_by = folio_mcf_flow(net->g, net->bypass[i]);
		seats += (long long)in->r - short_by;
		if (short_by > 0) {
			take[i] = 0;
			dropped[i] = 1;
		} else {
			placed++;
		}
	}
	stale = 1;
	/*
	 * Take back, oldest first, every one that still fits beside the others.
	 * No subset seats more than the whole did, so once one more would need
	 * more seats than that, none can fit.
	 */
	for (size_t i = 0; i < in->nsubs; i++) {
		if (!dropped[i])
			continue;
		if ((placed + 1) * (long long)in->r > seats)
			break;
		take[i] = 1;
		network_free(net);
		if ((error = network_build(net, in, take, 0)) < 0 || (error = network_solve(&ok, cost, net, in)) < 0)
			goto cleanup;
		stale = !ok;
		if (!ok) {
			take[i] = 0;
		} else {
			in->subs[i].status = SUB_PLACED;
			placed++;
		}
	}
	for (size_t i = 0; i < in->nsubs; i++)
		if (dropped[i] && !take[i])
			in->subs[i].status = SUB_NO_ROOM;
	if (stale) {
		/* the last network solved is not the one of the placed set */
		network_free(net);
		if ((error = network_build(net, in, take, 0)) < 0 || (error = network_solve(&ok, cost, net, in)) < 0)
			goto cleanup;
		if (!ok)
			error = folio_error_set(FOLIO_ERROR,
				"cannot assign panel '%s': the submissions chosen have no feasible flow", in->panel);
	}
cleanup:
	free(dropped);
	return error;
}

/* ------------------------------------------------------------ result */

void folio_assign_result_free(folio_assign_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nassignments; i++) {
		free(r->assignments[i].mentor);
		for (size_t k = 0; k < r->assignments[i].nreviewers; k++)
			free(r->assignments[i].reviewers[k]);
		free(r->assignments[i].reviewers);
	}
	for (size_t i = 0; i < r->nunplaced; i++) {
		free(r->unplaced[i].mentor);
		free(r->unplaced[i].reason);
	}
	free(r->assignments);
	free(r->unplaced);
	free(r->rolled_to);
	free(r);
}

/* "a", "a and b", "a, b and c" */
static void put_names(folio_buf *b, const char *const *names, size_t n)
{
	for (size_t k = 0; k < n; k++)
		folio_buf_printf(b, "%s%s", k == 0 ? "" : k + 1 == n ? " and " : ", ", names[k]);
}

static char *unplaced_reason(const input *in, size_t i)
{
	folio_buf b = FOLIO_BUF_INIT;
	const char **names = folio_calloc(in->nrevs + 1, sizeof(char *));
	size_t n = 0;

	for (size_t j = 0; j < in->nrevs; j++)
		if (!in->conflict[i * in->nrevs + j])
			names[n++] = in->revs[j].id;
	if (in->subs[i].status == SUB_TOO_FEW) {
		if (n == 0) {
			folio_buf_puts(&b, "no conflict-free reviewer with capacity");
		} else {
			folio_buf_printf(&b, "only %zu conflict-free reviewer%s with capacity: ", n, n == 1 ? "" : "s");
			for (size_t k = 0; k < n; k++)
				folio_buf_printf(&b, "%s%s", k ? ", " : "", names[k]);
		}
	} else {
		folio_buf_puts(&b, "not enough conflict-free capacity left: ");
		put_names(&b, names, n);
		folio_buf_puts(&b, n == 1 ? " is" : " are");
		folio_buf_puts(&b, " taken by other submissions");
	}
	free(names);
	return folio_buf_detach(&b);
}

static folio_assign_result *result_build(const input *in, const unsigned char *take, const network *net, long long cost)
{
	folio_assign_result *r = folio_calloc(1, sizeof(*r));

	r->assignments = folio_calloc(in->nsubs + 1, sizeof(*r->assignments));
	r->unplaced = folio_calloc(in->nsubs + 1, sizeof(*r->unplaced));
	r->cost = cost;
	for (size_t i = 0; i < in->nsubs; i++) {
		if (!take[i]) {
			folio_unplaced *u = &r->unplaced[r->nunplaced++];
			u->submission = in->subs[i].id;
			u->mentor = folio_strdup(in->subs[i].mentor);
			u->reason = unplaced_reason(in, i);
			continue;
		}
		folio_assignment *a = &r->assignments[r->nassignments++];
		a->submission = in->subs[i].id;
		a->mentor = folio_strdup(in->subs[i].mentor);
		a->reviewers = folio_calloc(in->r + 1, sizeof(char *));
		/* reviewers are in id order, so the list comes out sorted */
		for (size_t j = 0; j < in->nrevs; j++) {
			size_t arc = net->pair[i * in->nrevs + j];
			if (arc == NO_ARC || folio_mcf_flow(net->g, arc) <= 0)
				continue;
			if (a->nreviewers < in->r)
				a->reviewers[a->nreviewers] = folio_strdup(in->revs[j].id);
			a->nreviewers++; /* more than R is caught by the check */
		}
	}
	return r;
}

/*
 * Every hard constraint, checked on the result alone: each submission of
 * the input exactly once, placed ones with exactly R distinct available
 * reviewers, no conflict (asked afresh), no reviewer over capacity.
 */
static int check_result(const input *in, const folio_assign_result *r)
{
	long long *load = folio_calloc(in->nrevs + 1, sizeof(long long));
	unsigned char *seen = folio_calloc(in->nsubs + 1, 1);
	folio_wf_people *pp = NULL;
	int error = 0;

#define BROKEN(...) do { \
	char *what_ = folio_asprintf(__VA_ARGS__); \
	error = folio_error_set(FOLIO_ERROR, "assignment of panel '%s' breaks a hard constraint: %s", in->panel, what_); \
	free(what_); \
	goto cleanup; \
} while (0)

	for (size_t x = 0; x < r->nassignments + r->nunplaced; x++) {
		long long id = x < r->nassignments ? r->assignments[x].submission : r->unplaced[x - r->nassignments].submission;
		size_t i = 0;
		while (i < in->nsubs && in->subs[i].id != id)
			i++;
		if (i == in->nsubs)
			BROKEN("submission %lld is not one of the panel's", id);
		if (seen[i])
			BROKEN("submission %lld appears twice", id);
		seen[i] = 1;
	}
	for (size_t i = 0; i < in->nsubs; i++)
		if (!seen[i])
			BROKEN("submission %lld is neither assigned nor unplaced", in->subs[i].id);
	for (size_t x = 0; x < r->nassignments; x++) {
		const folio_assignment *a = &r->assignments[x];
		if (a->nreviewers != in->r)
			BROKEN("submission %lld has %zu reviewers, not %u", a->submission, a->nreviewers, in->r);
		for (size_t k = 0; k < a->nreviewers; k++) {
			char *why = NULL;
			long long j = rev_index(in, a->reviewers[k]);
			int c;
			if (j < 0)
				BROKEN("submission %lld has reviewer '%s', who has no capacity at the panel", a->submission,
					a->reviewers[k]);
			for (size_t q = 0; q < k; q++)
				if (strcmp(a->reviewers[q], a->reviewers[k]) == 0)
					BROKEN("submission %lld has reviewer '%s' twice", a->submission, a->reviewers[k]);
			/* conflicts asked afresh: people and declarations read again from the database */
			if (!pp && (error = folio_wf_people_load(&pp, in->site)) < 0)
				goto cleanup;
			if ((c = folio_wf_people_conflict(pp, a->reviewers[k], a->mentor, &why)) < 0) {
				error = c;
				goto cleanup;
			}
			if (c == 1) {
				error = folio_error_set(FOLIO_ERROR, "assignment of panel '%s' breaks a hard constraint:"
					" reviewer '%s' of submission %lld (%s) has a conflict: %s", in->panel, a->reviewers[k],
					a->submission, a->mentor, why);
				free(why);
				goto cleanup;
			}
			load[j]++;
		}
	}
	for (size_t j = 0; j < in->nrevs; j++)
		if (load[j] > in->revs[j].capacity)
			BROKEN("reviewer '%s' has %lld portfolios, over their capacity %lld", in->revs[j].id, load[j],
				in->revs[j].capacity);
#undef BROKEN
cleanup:
	folio_wf_people_free(pp);
	free(load);
	free(seen);
	return error;
}

/* Exposed to the unit tests only (declared there): check a result against a panel's inputs as they stand. */
int folio_assign__check(folio_site *site, const char *panel, unsigned reviewers, const folio_assign_result *r);
int folio_assign__check(folio_site *site, const char *panel, unsigned reviewers, const folio_assign_result *r)
{
	input in;
	int error;
	if ((error = load_input(&in, site, panel, reviewers ? reviewers : DEFAULT_REVIEWERS)) == 0)
		error = check_result(&in, r);
	input_free(&in);
	return error;
}

/* ------------------------------------------------------------ writing */

/* The first panel after this one by date that is still open, or NULL. */
static int next_panel(char **out, const input *in)
{
	sqlite3_stmt *st = NULL;
	int error, rc;

	*out = NULL;
	if ((error = folio_db_prepare(in->site, &st,
		"SELECT id FROM panel WHERE state = 'open' AND (date > ?1 OR (date = ?1 AND id > ?2))"
		" ORDER BY date, id LIMIT 1")) < 0)
		return error;
	sqlite3_bind_text(st, 1, in->date, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, in->panel, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = folio_db_col_dup(st, 0);
	else if (rc != SQLITE_DONE)
		error = folio_db_error(in->site, "cannot read panels");
	sqlite3_finalize(st);
	return error;
}

static int write_assignment(const input *in, const folio_assignment *a)
{
	static const char *const from[] = { "submitted", NULL };
	sqlite3_stmt *st = NULL;
	folio_buf note = FOLIO_BUF_INIT;
	int error;

	if ((error = folio_db_prepare(in->site, &st, "INSERT INTO assignment(submission, reviewer) VALUES (?1, ?2)")) < 0)
		return error;
	for (size_t k = 0; k < a->nreviewers && error == 0; k++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, a->submission);
		sqlite3_bind_text(st, 2, a->reviewers[k], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			error = folio_db_error(in->site, "cannot record the assignment");
	}
	sqlite3_finalize(st);
	if (error < 0)
		return error;
	folio_crashpoint("assign.reviewers:stored");
	folio_buf_printf(&note, "panel %s: reviewers ", in->panel);
	put_names(&note, (const char *const *)a->reviewers, a->nreviewers);
	error = folio_wf_set_state(in->site, a->submission, from, "in-review", note.ptr);
	folio_buf_free(&note);
	return error;
}

static int write_roll(const input *in, const folio_unplaced *u, const char *to)
{
	sqlite3_stmt *st = NULL;
	char *commit = NULL, *obj = NULL, *detail = NULL;
	int error, rc;

	if ((error = folio_db_prepare(in->site, &st,
		"UPDATE submission SET panel = ?2 WHERE id = ?1 AND state = 'submitted' RETURNING commit_id")) < 0)
		return error;
	sqlite3_bind_int64(st, 1, u->submission);
	sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		commit = folio_db_col_dup(st, 0);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE)
		error = folio_db_error(in->site, "cannot move the submission to the next panel");
	else if (!commit)
		error = folio_error_set(FOLIO_ECONFLICT, "submission %lld changed while panel '%s' was being assigned",
			u->submission, in->panel);
	sqlite3_finalize(st);
	if (error == 0) {
		obj = folio_asprintf("submission:%lld (%s)", u->submission, u->mentor);
		detail = folio_asprintf("rolled from panel %s to panel %s: %s", in->panel, to, u->reason);
		error = folio_audit_change(in->site, "submission.roll", obj, NULL, NULL, commit, detail);
	}
	free(commit);
	free(obj);
	free(detail);
	return error;
}

static int write_result(const input *in, const folio_assign_result *r)
{
	sqlite3_stmt *st = NULL;
	char *obj = NULL, *detail = NULL;
	int error = 0;

	for (size_t x = 0; x < r->nassignments && error == 0; x++)
		error = write_assignment(in, &r->assignments[x]);
	for (size_t x = 0; x < r->nunplaced && error == 0 && r->rolled_to; x++)
		error = write_roll(in, &r->unplaced[x], r->rolled_to);
	if (error < 0)
		return error;
	if ((error = folio_db_prepare(in->site, &st, "UPDATE panel SET state = 'assigned' WHERE id = ?1 AND state = 'open'")) < 0)
		return error;
	sqlite3_bind_text(st, 1, in->panel, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		error = folio_db_error(in->site, "cannot mark the panel assigned");
	else if (sqlite3_changes(in->site->db) != 1)
		error = folio_error_set(FOLIO_ECONFLICT, "panel '%s' changed while it was being assigned", in->panel);
	sqlite3_finalize(st);
	if (error < 0)
		return error;
	folio_crashpoint("assign.panel:assigned");
	obj = folio_asprintf("panel:%s", in->panel);
	if (r->nunplaced == 0)
		detail = folio_asprintf("%zu submissions, %u reviewers each, cost %lld", r->nassignments, in->r, r->cost);
	else
		detail = folio_asprintf("%zu submissions, %u reviewers each, cost %lld; %zu unplaced %s %s", r->nassignments,
			in->r, r->cost, r->nunplaced, r->rolled_to ? "rolled to panel" : "stay: no later panel is planned",
			r->rolled_to ? r->rolled_to : "");
	error = folio_audit_change(in->site, "panel.assign", obj, "closed", "assigned", NULL, detail);
	free(obj);
	free(detail);
	return error;
}

/* ------------------------------------------------------------ assign */

static int check_state(const input *in)
{
	if (strcmp(in->state, "assigned") == 0)
		return folio_error_set(FOLIO_ECONFLICT, "panel '%s' is already assigned", in->panel);
	if (strcmp(in->state, "open") != 0)
		return folio_error_set(FOLIO_ECONFLICT, "panel '%s' is %s: only a closed panel can be assigned", in->panel,
			in->state);
	if (!folio_wf_deadline_passed(in->deadline))
		return folio_error_set(FOLIO_ECONFLICT,
			"panel '%s' is open until its deadline %s: it can be assigned once it has closed", in->panel,
			in->deadline);
	return 0;
}

int folio_panel_assign(folio_assign_result **out, folio_site *site, const char *panel, const folio_assign_options *opts)
{
	folio_assign_options none = { 0 };
	input in = { 0 };
	network net = { 0 };
	folio_assign_result *r = NULL;
	unsigned char *take = NULL;
	char *comment = NULL;
	long long cost = 0;
	unsigned R;
	int error, in_tx = 0;

	*out = NULL;
	if (!opts)
		opts = &none;
	R = opts->reviewers ? opts->reviewers : DEFAULT_REVIEWERS;
	if (R > MAX_REVIEWERS)
		return folio_error_set(FOLIO_EINVALID, "cannot give each submission %u reviewers: at most %d", R,
			MAX_REVIEWERS);
	if ((error = folio_site_require(site, FOLIO_ROLE_ADMIN, "assign reviewers")) < 0)
		return error;
	/* a dry run only reads, but reads one consistent state */
	if ((error = opts->dry_run ? folio_db_exec(site, "BEGIN") : folio_tx_begin(site)) < 0)
		return error;
	in_tx = 1;
	in.site = site;
	if ((error = load_panel(&in, panel)) < 0)
		goto cleanup;
	if ((error = check_state(&in)) < 0)
		goto cleanup;
	input_free(&in);
	if ((error = load_input(&in, site, panel, R)) < 0)
		goto cleanup;

	take = folio_calloc(in.nsubs + 1, 1);
	if ((error = place(&net, &cost, take, &in)) < 0)
		goto cleanup;
	r = result_build(&in, take, &net, cost);
	if ((error = check_result(&in, r)) < 0)
		goto cleanup;
	if (r->nunplaced && (error = next_panel(&r->rolled_to, &in)) < 0)
		goto cleanup;
	if (opts->export_dimacs) {
		comment = network_comment(&in, take, net.nplaced);
		if ((error = folio_mcf_save_dimacs(net.g, opts->export_dimacs, comment)) < 0)
			goto cleanup;
	}
	if (opts->dry_run) {
		folio_tx_rollback(site);
	} else {
		if ((error = write_result(&in, r)) < 0)
			goto cleanup;
		in_tx = 0;
		if ((error = folio_tx_commit(site)) < 0)
			goto cleanup;
	}
	in_tx = 0;
	*out = r;
	r = NULL;
cleanup:
	if (in_tx)
		folio_tx_rollback(site);
	folio_assign_result_free(r);
	network_free(&net);
	input_free(&in);
	free(take);
	free(comment);
	return error;
}

/* ------------------------------------------------------------ why not */

/* Split folio_wf_conflict's "; "-joined reasons into lines; a declared conflict's own text comes last, whole. */
static void put_conflicts(folio_buf *b, const char *why)
{
	while (*why) {
		const char *end = strncmp(why, "declared conflict: ", 19) == 0 ? NULL : strstr(why, "; ");
		size_t n = end ? (size_t)(end - why) : strlen(why);
		folio_buf_put(b, why, n);
		folio_buf_putc(b, '\n');
		why += n;
		if (end)
			why += 2;
	}
}

int folio_assign_why_not(char **out, folio_site *site, long long submission, const char *reviewer)
{
	sqlite3_stmt *st = NULL;
	folio_buf why = FOLIO_BUF_INIT;
	char *mentor = NULL, *panel = NULL, *conflict = NULL;
	long long capacity = -1, load = 0;
	int error, rc, role = 0, assigned = 0;

	*out = NULL;
	if ((error = folio_site_require(site, (folio_role)(FOLIO_ROLE_REVIEWER | FOLIO_ROLE_LEAD | FOLIO_ROLE_ADMIN),
		"ask why a reviewer is not assigned")) < 0)
		return error;
	if ((error = folio_db_prepare(site, &st, "SELECT mentor, panel FROM submission WHERE id = ?1")) < 0)
		return error;
	sqlite3_bind_int64(st, 1, submission);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		mentor = folio_db_col_dup(st, 0);
		panel = folio_db_col_dup(st, 1);
	} else if (rc == SQLITE_DONE) {
		error = folio_error_set(FOLIO_ENOTFOUND, "no submission %lld in site '%s'", submission, site->path);
	} else {
		error = folio_db_error(site, "cannot read submissions");
	}
	sqlite3_finalize(st);
	st = NULL;
	if (error < 0 || (error = folio_person_exists(site, reviewer)) < 0)
		goto cleanup;

	if ((error = folio_db_prepare(site, &st,
		"SELECT EXISTS (SELECT 1 FROM person_role WHERE person = ?1 AND role IN ('reviewer', 'lead')),"
		" (SELECT capacity FROM availability WHERE panel = ?2 AND person = ?1),"
		" (SELECT COUNT(*) FROM assignment a JOIN submission s ON s.id = a.submission"
		"   WHERE a.reviewer = ?1 AND s.panel = ?2),"
		" EXISTS (SELECT 1 FROM assignment WHERE submission = ?3 AND reviewer = ?1)")) < 0)
		goto cleanup;
	sqlite3_bind_text(st, 1, reviewer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, panel, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, submission);
	if (sqlite3_step(st) != SQLITE_ROW) {
		error = folio_db_error(site, "cannot read availability");
		goto cleanup;
	}
	role = sqlite3_column_int(st, 0);
	if (sqlite3_column_type(st, 1) != SQLITE_NULL)
		capacity = sqlite3_column_int64(st, 1);
	load = sqlite3_column_int64(st, 2);
	assigned = sqlite3_column_int(st, 3);

	if (!role)
		folio_buf_printf(&why, "'%s' is neither a reviewer nor a lead\n", reviewer);
	if ((error = folio_wf_conflict(site, reviewer, mentor, &conflict)) < 0)
		goto cleanup;
	error = 0;
	if (conflict)
		put_conflicts(&why, conflict);
	if (capacity < 0)
		folio_buf_printf(&why, "'%s' has declared no availability for panel '%s'\n", reviewer, panel);
	else if (capacity == 0)
		folio_buf_printf(&why, "'%s' is unavailable for panel '%s'\n", reviewer, panel);
	else if (!assigned && load >= capacity)
		folio_buf_printf(&why, "'%s' is full at panel '%s': %lld of %lld portfolios assigned\n", reviewer, panel,
			load, capacity);
	if (why.size) {
		why.ptr[--why.size] = '\0'; /* no newline after the last reason */
		*out = folio_buf_detach(&why);
	}
cleanup:
	sqlite3_finalize(st);
	folio_buf_free(&why);
	free(mentor);
	free(panel);
	free(conflict);
	return error;
}
