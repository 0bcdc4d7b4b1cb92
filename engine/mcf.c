/* engine/mcf.c: minimum-cost flow by primal network simplex (block search pricing), and the DIMACS `p min` reader and writer. */
#include "util.h"
#include "folio/mcf.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INF FOLIO_MCF_INFINITE

struct folio_mcf {
	size_t nnodes;
	long long *supply;
	size_t narcs, aarcs;
	int *from, *to;
	long long *lower, *cap, *cost;
	long long *flow; /* per arc, valid when solved */
	int solved;
};

/* ------------------------------------------------------------ building */

int folio_mcf_new(folio_mcf **out, size_t nodes)
{
	folio_mcf *g;

	*out = NULL;
	if (nodes > FOLIO_MCF_MAX_NODES)
		return folio_error_set(FOLIO_EINVALID, "too many nodes: %zu (at most %d)", nodes, FOLIO_MCF_MAX_NODES);
	g = folio_calloc(1, sizeof(*g));
	g->nnodes = nodes;
	g->supply = folio_calloc(nodes ? nodes : 1, sizeof(long long));
	*out = g;
	return 0;
}

void folio_mcf_free(folio_mcf *g)
{
	if (!g)
		return;
	free(g->supply);
	free(g->from);
	free(g->to);
	free(g->lower);
	free(g->cap);
	free(g->cost);
	free(g->flow);
	free(g);
}

size_t folio_mcf_node_count(const folio_mcf *g)
{
	return g->nnodes;
}

size_t folio_mcf_arc_count(const folio_mcf *g)
{
	return g->narcs;
}

static void forget_flow(folio_mcf *g)
{
	if (g->solved && g->narcs) /* no arcs: flow may be NULL, and memset(NULL, 0, 0) is undefined */
		memset(g->flow, 0, g->narcs * sizeof(long long));
	g->solved = 0;
}

int folio_mcf_set_supply(folio_mcf *g, size_t node, long long supply)
{
	if (node >= g->nnodes)
		return folio_error_set(FOLIO_EINVALID, "node %zu out of range (the network has %zu nodes)", node, g->nnodes);
	forget_flow(g);
	g->supply[node] = supply;
	return 0;
}

long long folio_mcf_supply(const folio_mcf *g, size_t node)
{
	return node < g->nnodes ? g->supply[node] : 0;
}

static void reserve_arcs(folio_mcf *g, size_t want)
{
	size_t n = g->aarcs;

	if (want <= n)
		return;
	while (n < want)
		n = n ? n + n / 2 + 16 : 64;
	if (n > FOLIO_MCF_MAX_ARCS && want <= FOLIO_MCF_MAX_ARCS)
		n = FOLIO_MCF_MAX_ARCS;
	g->from = folio_realloc(g->from, n * sizeof(int));
	g->to = folio_realloc(g->to, n * sizeof(int));
	g->lower = folio_realloc(g->lower, n * sizeof(long long));
	g->cap = folio_realloc(g->cap, n * sizeof(long long));
	g->cost = folio_realloc(g->cost, n * sizeof(long long));
	g->flow = folio_realloc(g->flow, n * sizeof(long long));
	g->aarcs = n;
}

int folio_mcf_add_arc(size_t *out_arc, folio_mcf *g, size_t from, size_t to,
	long long lower, long long capacity, long long cost)
{
	size_t a = g->narcs;

	if (from >= g->nnodes || to >= g->nnodes)
		return folio_error_set(FOLIO_EINVALID, "arc %zu -> %zu: node %zu out of range (the network has %zu nodes)",
			from, to, from >= g->nnodes ? from : to, g->nnodes);
	if (capacity < lower)
		return folio_error_set(FOLIO_EINVALID, "arc %zu -> %zu: capacity %lld is below the lower bound %lld",
			from, to, capacity, lower);
	if (a >= FOLIO_MCF_MAX_ARCS)
		return folio_error_set(FOLIO_EINVALID, "too many arcs (at most %d)", FOLIO_MCF_MAX_ARCS);
	forget_flow(g);
	reserve_arcs(g, a + 1);
	g->from[a] = (int)from;
	g->to[a] = (int)to;
	g->lower[a] = lower;
	g->cap[a] = capacity;
	g->cost[a] = cost;
	g->flow[a] = 0;
	g->narcs = a + 1;
	if (out_arc)
		*out_arc = a;
	return 0;
}

int folio_mcf_get_arc(folio_mcf_arc_info *out, const folio_mcf *g, size_t arc)
{
	if (arc >= g->narcs)
		return folio_error_set(FOLIO_ENOTFOUND, "no arc %zu (the network has %zu arcs)", arc, g->narcs);
	out->from = (size_t)g->from[arc];
	out->to = (size_t)g->to[arc];
	out->lower = g->lower[arc];
	out->capacity = g->cap[arc];
	out->cost = g->cost[arc];
	return 0;
}

long long folio_mcf_flow(const folio_mcf *g, size_t arc)
{
	return g->solved && arc < g->narcs ? g->flow[arc] : 0;
}

const char *folio_mcf_status_name(folio_mcf_status status)
{
	switch (status) {
	case FOLIO_MCF_OPTIMAL:
		return "optimal";
	case FOLIO_MCF_INFEASIBLE:
		return "infeasible";
	case FOLIO_MCF_UNBOUNDED:
		return "unbounded";
	}
	return "unknown";
}

/* ------------------------------------------------------------ network simplex: state */

/*
 * The classic primal network simplex (Ahuja, Magnanti & Orlin, ch. 11) on the
 * network plus one artificial root node. The basis is a spanning tree rooted
 * at the root, kept as parent / pred (arc to the parent) / dir / depth and a
 * preorder thread (with its reverse). Every node starts hanging from the root
 * by an artificial arc; big-M costs drive the artificial arcs out. The tree is
 * kept strongly feasible (every node can send a positive amount of flow to
 * the root along its tree path), which with the leaving-arc tie-break below
 * rules out cycling. Entering arcs are chosen by block search pricing.
 */

enum { ST_UPPER = -1, ST_TREE = 0, ST_LOWER = 1 }; /* arc states; the sign turns reduced cost into "gain" */
enum { DIR_UP = 1, DIR_DOWN = -1 };                 /* pred arc points to the parent (up) or from it (down) */

typedef struct {
	int n, m;            /* real nodes and arcs; the root is node n */
	int search_m, all_m; /* arcs priced (real, and free root arcs); all arcs incl. artificial ones */
	int root;
	int *source, *target;
	long long *cap, *cost, *flow;
	signed char *state;
	long long *pi;
	int *parent, *pred, *thread, *rev_thread, *depth;
	signed char *dir;
	int *stem, *sdepth, *last, *a_end, *b_start; /* scratch for the tree update, per stem node */
	/* the current pivot */
	int in_arc, join, u_in, v_in, u_out;
	long long delta;
	/* block search */
	int block, next_arc;
} ns;

static void ns_free(ns *s)
{
	free(s->source);
	free(s->target);
	free(s->cap);
	free(s->cost);
	free(s->flow);
	free(s->state);
	free(s->pi);
	free(s->parent);
	free(s->pred);
	free(s->thread);
	free(s->rev_thread);
	free(s->depth);
	free(s->dir);
	free(s->stem);
	free(s->sdepth);
	free(s->last);
	free(s->a_end);
	free(s->b_start);
}

/* ------------------------------------------------------------ network simplex: pivots */

/*
 * Block search: scan the arcs cyclically from where the last search stopped,
 * in blocks of about sqrt(arcs); take the most negative reduced cost of the
 * first block that has one. Returns 0 when no arc has a negative one (optimal).
 */
static int find_entering(ns *s)
{
	const int *src = s->source, *dst = s->target;
	const signed char *state = s->state;
	const long long *pi = s->pi, *cost = s->cost;
	int block = s->block, cnt = block, best = -1, e = 0, pass;
	long long min = 0;

	for (pass = 0; pass < 2; pass++) {
		int to = pass == 0 ? s->search_m : s->next_arc;
		for (e = pass == 0 ? s->next_arc : 0; e < to; e++) {
			/* the state's sign makes "worth entering" negative for arcs at either bound; 0 in the tree */
			long long c = state[e] * (cost[e] + pi[src[e]] - pi[dst[e]]);
			if (c < min) {
				min = c;
				best = e;
			}
			if (--cnt == 0) {
				if (min < 0)
					goto found;
				cnt = block;
			}
		}
	}
	if (min >= 0)
		return 0;
	e = s->next_arc;
found:
	s->in_arc = best;
	s->next_arc = e;
	return 1;
}

/* The join: the deepest common ancestor of the two ends of the entering arc (the apex of its cycle). */
static void find_join(ns *s)
{
	int u = s->source[s->in_arc], v = s->target[s->in_arc];

	while (s->depth[u] > s->depth[v])
		u = s->parent[u];
	while (s->depth[v] > s->depth[u])
		v = s->parent[v];
	while (u != v) {
		u = s->parent[u];
		v = s->parent[v];
	}
	s->join = u;
}

/*
 * The leaving arc: the blocking arc of the cycle (least residual capacity in
 * the direction flow is pushed). Among ties, the last one met going round the
 * cycle from the join in that direction, which keeps the tree strongly
 * feasible. Returns 1 when a tree arc leaves, 0 when the entering arc itself
 * blocks (it moves from one bound to the other). s->delta is INF when nothing
 * blocks: an unbounded negative cycle.
 */
static int find_leaving(ns *s)
{
	int e = s->in_arc, first, second, u, result = 0;
	long long d;

	/* flow goes round the cycle first -> (entering arc) -> second -> ... -> join -> ... -> first */
	if (s->state[e] == ST_LOWER) {
		first = s->source[e];
		second = s->target[e];
	} else {
		first = s->target[e];
		second = s->source[e];
	}
	s->delta = s->cap[e];
	/* on first's side flow runs down the tree, from the join towards first */
	for (u = first; u != s->join; u = s->parent[u]) {
		int a = s->pred[u];
		if (s->dir[u] == DIR_UP)
			d = s->flow[a];
		else
			d = s->cap[a] == INF ? INF : s->cap[a] - s->flow[a];
		if (d < s->delta) {
			s->delta = d;
			s->u_out = u;
			result = 1;
		}
	}
	/* on second's side flow runs up the tree, towards the join; ties go to the later arc */
	for (u = second; u != s->join; u = s->parent[u]) {
		int a = s->pred[u];
		if (s->dir[u] == DIR_DOWN)
			d = s->flow[a];
		else
			d = s->cap[a] == INF ? INF : s->cap[a] - s->flow[a];
		if (d <= s->delta) {
			s->delta = d;
			s->u_out = u;
			result = 2;
		}
	}
	if (result == 1) {
		s->u_in = first;
		s->v_in = second;
	} else {
		s->u_in = second;
		s->v_in = first;
	}
	return result != 0;
}

/* Push delta round the cycle and set the states of the entering and leaving arcs. */
static void change_flow(ns *s, int change)
{
	int e = s->in_arc, u;

	if (s->delta > 0) {
		long long val = s->state[e] * s->delta;
		s->flow[e] += val;
		for (u = s->source[e]; u != s->join; u = s->parent[u])
			s->flow[s->pred[u]] -= s->dir[u] * val;
		for (u = s->target[e]; u != s->join; u = s->parent[u])
			s->flow[s->pred[u]] += s->dir[u] * val;
	}
	if (change) {
		int out = s->pred[s->u_out];
		s->state[e] = ST_TREE;
		s->state[out] = s->flow[out] == 0 ? ST_LOWER : ST_UPPER;
	} else {
		s->state[e] = (signed char)-s->state[e];
	}
}

/*
 * Replace the leaving arc (u_out to its parent) by the entering arc (u_in to
 * v_in). The subtree of u_out, which holds u_in, is re-rooted at u_in and hung
 * under v_in. With the stem u_in = s0, s1 = old parent of s0, ..., sk = u_out,
 * its new preorder is: the old subtree of s0, then for each i >= 1 the old
 * subtree of si without that of s(i-1). Each piece is at most two runs of the
 * old thread (si up to just before s(i-1); after the end of s(i-1)'s subtree
 * up to the end of si's), so relinking the thread costs O(k). One walk over
 * the moved subtree shifts depths (per piece) and potentials (all alike), and
 * finds where each stem node's old subtree ends.
 */
static void update_tree(ns *s)
{
	int *parent = s->parent, *pred = s->pred, *thread = s->thread, *rev = s->rev_thread, *depth = s->depth;
	int *stem = s->stem, *sdepth = s->sdepth, *last = s->last, *a_end = s->a_end, *b_start = s->b_start;
	int u_in = s->u_in, v_in = s->v_in, u_out = s->u_out, in = s->in_arc;
	int k = 0, i, x, prev, cur, next_stem, before, after, tail;
	long long sigma;
	signed char in_dir = u_in == s->source[in] ? DIR_UP : DIR_DOWN;

	for (x = u_in;; x = parent[x]) {
		sdepth[k] = depth[x];
		stem[k++] = x;
		if (x == u_out)
			break;
	}
	k--; /* stem[0..k] */
	sigma = s->pi[v_in] - s->pi[u_in] - in_dir * s->cost[in];
	before = rev[u_out];

	/* the walk, in old preorder: cur is the piece of x (its deepest stem ancestor) */
	x = u_out;
	prev = -1;
	cur = k;
	next_stem = k;
	for (;;) {
		int d = depth[x];
		if (prev >= 0) {
			while (d <= sdepth[cur]) {
				last[cur] = prev;
				if (cur == k)
					goto walked;
				cur++;
			}
		}
		if (next_stem >= 0 && x == stem[next_stem])
			cur = next_stem--;
		depth[x] = d + (depth[v_in] + 1 + cur - sdepth[cur]);
		s->pi[x] += sigma;
		prev = x;
		x = thread[x];
	}
walked:
	after = x;

	/* old thread ends needed for the relinking, read before any change */
	for (i = 1; i <= k; i++) {
		a_end[i] = rev[stem[i - 1]];
		b_start[i] = last[i] != last[i - 1] ? thread[last[i - 1]] : -1;
	}

	/* unlink the subtree, then link its pieces in new order after v_in */
	thread[before] = after;
	rev[after] = before;
	tail = thread[v_in];
	thread[v_in] = stem[0];
	rev[stem[0]] = v_in;
	prev = last[0];
	for (i = 1; i <= k; i++) {
		thread[prev] = stem[i];
		rev[stem[i]] = prev;
		prev = a_end[i];
		if (b_start[i] >= 0) {
			thread[prev] = b_start[i];
			rev[b_start[i]] = prev;
			prev = last[i];
		}
	}
	thread[prev] = tail;
	rev[tail] = prev;

	/* reverse the stem: parent, pred and dir move one step down it */
	for (i = k; i >= 1; i--) {
		x = stem[i];
		parent[x] = stem[i - 1];
		pred[x] = pred[stem[i - 1]];
		s->dir[x] = (signed char)-s->dir[stem[i - 1]];
	}
	parent[u_in] = v_in;
	pred[u_in] = in;
	s->dir[u_in] = in_dir;
}

/* ------------------------------------------------------------ network simplex: set-up and run */

static int checked_add(long long *acc, long long v)
{
	return __builtin_add_overflow(*acc, v, acc) ? -1 : 0;
}

static long long abs_ll(long long v)
{
	return v < 0 ? -v : v; /* callers make sure v > LLONG_MIN */
}

/*
 * The solver stores arc i in slot 0, skip, 2*skip, ..., then 1, 1+skip, ...
 * Arcs added node by node sit next to each other; spread out like this each
 * pricing block sees arcs of many nodes, which makes for better pivots.
 */
static int spread_skip(int n, int m)
{
	return n > 0 && m / n > 3 ? m / n : 3;
}

static void next_slot(int *slot, int *wrap, int skip, int m)
{
	if ((*slot += skip) >= m)
		*slot = ++*wrap;
}

/*
 * Copy the network into the solver with lower bounds taken out (flow' =
 * flow - lower), arcs stored in a spread order, and the artificial start.
 * FOLIO_EINVALID when the numbers could overflow during the run.
 */
static int ns_init(ns *s, const folio_mcf *g)
{
	int n = (int)g->nnodes, m = (int)g->narcs, max_m = m + 2 * n, i, u;
	long long *supply = NULL, sum = 0, total = 0, maxc = 0, art;
	int error = 0;

	s->n = n;
	s->m = m;
	s->root = n;
	s->source = folio_malloc((size_t)max_m * sizeof(int));
	s->target = folio_malloc((size_t)max_m * sizeof(int));
	s->cap = folio_malloc((size_t)max_m * sizeof(long long));
	s->cost = folio_malloc((size_t)max_m * sizeof(long long));
	s->flow = folio_calloc((size_t)max_m, sizeof(long long));
	s->state = folio_malloc((size_t)max_m);
	s->pi = folio_calloc((size_t)n + 1, sizeof(long long));
	s->parent = folio_malloc(((size_t)n + 1) * sizeof(int));
	s->pred = folio_malloc(((size_t)n + 1) * sizeof(int));
	s->thread = folio_malloc(((size_t)n + 1) * sizeof(int));
	s->rev_thread = folio_malloc(((size_t)n + 1) * sizeof(int));
	s->depth = folio_malloc(((size_t)n + 1) * sizeof(int));
	s->dir = folio_malloc((size_t)n + 1);
	s->stem = folio_malloc(((size_t)n + 1) * sizeof(int));
	s->sdepth = folio_malloc(((size_t)n + 1) * sizeof(int));
	s->last = folio_malloc(((size_t)n + 1) * sizeof(int));
	s->a_end = folio_malloc(((size_t)n + 1) * sizeof(int));
	s->b_start = folio_malloc(((size_t)n + 1) * sizeof(int));
	supply = folio_malloc(((size_t)n + 1) * sizeof(long long));
	memcpy(supply, g->supply, (size_t)n * sizeof(long long));

	/* arc i of the network goes to the solver's slot next_slot() gives, see there */
	{
		int skip = spread_skip(n, m), slot = 0, wrap = 0;
		for (i = 0; i < m; i++, next_slot(&slot, &wrap, skip, m)) {
			long long low = g->lower[i], c = g->cost[i];
			s->source[slot] = g->from[i];
			s->target[slot] = g->to[i];
			s->cost[slot] = c;
			if (g->cap[i] == INF) {
				s->cap[slot] = INF;
			} else if (__builtin_sub_overflow(g->cap[i], low, &s->cap[slot]) || s->cap[slot] == INF) {
				error = folio_error_set(FOLIO_EINVALID, "arc %d: capacity minus lower bound does not fit in 64 bits", i);
				goto cleanup;
			}
			if (low != 0 && (__builtin_sub_overflow(supply[g->from[i]], low, &supply[g->from[i]]) ||
			    __builtin_add_overflow(supply[g->to[i]], low, &supply[g->to[i]]))) {
				error = folio_error_set(FOLIO_EINVALID, "arc %d: lower bound %lld makes a node's supply overflow 64 bits", i, low);
				goto cleanup;
			}
			if (c == LLONG_MIN) {
				error = folio_error_set(FOLIO_EINVALID, "arc %d: cost %lld is out of range", i, c);
				goto cleanup;
			}
			if (abs_ll(c) > maxc)
				maxc = abs_ll(c);
			s->flow[slot] = 0;
			s->state[slot] = ST_LOWER;
		}
	}

	/* bounds that keep every flow and potential of the run inside 64 bits */
	for (u = 0; u < n; u++) {
		if (supply[u] == LLONG_MIN || checked_add(&sum, supply[u]) < 0 || checked_add(&total, abs_ll(supply[u])) < 0) {
			error = folio_error_set(FOLIO_EINVALID, "supplies add up past 64 bits");
			goto cleanup;
		}
	}
	for (i = 0; i < m; i++) {
		if (s->cap[i] != INF && checked_add(&total, s->cap[i] < 0 ? 0 : s->cap[i]) < 0) {
			error = folio_error_set(FOLIO_EINVALID, "capacities and supplies add up past 64 bits");
			goto cleanup;
		}
	}
	if (maxc >= LLONG_MAX / 5 || __builtin_mul_overflow(maxc + 1, (long long)n + 1, &art) || art > LLONG_MAX / 5) {
		error = folio_error_set(FOLIO_EINVALID,
			"costs too large: with |cost| up to %lld and %d nodes the potentials could overflow 64 bits", maxc, n);
		goto cleanup;
	}

	/* the root, and one artificial or free arc per node */
	s->parent[s->root] = -1;
	s->pred[s->root] = -1;
	s->depth[s->root] = 0;
	s->dir[s->root] = 0;
	s->thread[s->root] = n > 0 ? 0 : s->root;
	s->rev_thread[n > 0 ? 0 : s->root] = s->root;
	s->pi[s->root] = 0;
	for (u = 0; u < n; u++) {
		s->parent[u] = s->root;
		s->depth[u] = 1;
		s->thread[u] = u + 1;
		s->rev_thread[u + 1] = u;
	}
	{
		/*
		 * Supplies sum to 0: each node hangs from the root by an artificial
		 * arc carrying its supply, u -> root (cost 0) from a node with
		 * supply >= 0, root -> u (cost M) to a demand node.
		 * Sum > 0 (out - in <= supply): every node gets a free arc u -> root
		 * (cost 0, priced like a real arc) through which it may keep some of
		 * its supply; it is the tree arc of nodes with supply >= 0, and a
		 * demand node hangs by an artificial root -> u (cost M).
		 * Sum < 0 (out - in >= supply): the mirror image, with free arcs
		 * root -> u and artificial u -> root for nodes with supply >= 0.
		 * Every zero-flow tree arc points up, so the start is strongly
		 * feasible; a flow on an artificial arc at the end means infeasible.
		 */
		int e = m, f = m + n;
		s->search_m = sum == 0 ? m : m + n;
		for (u = 0; u < n; u++, e++) {
			long long b = supply[u];
			int up = sum == 0 ? b >= 0 : sum > 0; /* direction of arc e: u -> root or root -> u */
			s->cap[e] = INF;
			s->flow[e] = 0;
			if (sum == 0) {
				/* the tree arc is artificial: e itself */
				s->source[e] = up ? u : s->root;
				s->target[e] = up ? s->root : u;
				s->cost[e] = up ? 0 : art;
				s->flow[e] = up ? b : -b;
				s->state[e] = ST_TREE;
				s->pred[u] = e;
				s->dir[u] = up ? DIR_UP : DIR_DOWN;
				s->pi[u] = up ? 0 : art;
				continue;
			}
			/* e is the free arc: u -> root (sum > 0: u may keep supply) or root -> u (sum < 0) */
			s->source[e] = up ? u : s->root;
			s->target[e] = up ? s->root : u;
			s->cost[e] = 0;
			if ((sum > 0 && b >= 0) || (sum < 0 && b < 0)) {
				/* the free arc carries the node's own supply or demand: it is the tree arc */
				s->flow[e] = up ? b : -b;
				s->state[e] = ST_TREE;
				s->pred[u] = e;
				s->dir[u] = up ? DIR_UP : DIR_DOWN;
				s->pi[u] = 0;
				continue;
			}
			/* otherwise an artificial tree arc f in the other direction, strongly feasible */
			s->state[e] = ST_LOWER;
			s->source[f] = up ? s->root : u;
			s->target[f] = up ? u : s->root;
			s->cap[f] = INF;
			s->cost[f] = art;
			s->flow[f] = up ? -b : b;
			s->state[f] = ST_TREE;
			s->pred[u] = f;
			s->dir[u] = up ? DIR_DOWN : DIR_UP;
			s->pi[u] = up ? art : -art;
			f++;
		}
		s->all_m = sum == 0 ? m + n : f;
	}

	{
		int b = 1;
		while ((long long)b * b < s->search_m)
			b++;
		s->block = b < 10 ? 10 : b;
	}
	s->next_arc = 0;
cleanup:
	free(supply);
	return error;
}

/* Run the pivots. Returns the status. */
static folio_mcf_status ns_run(ns *s)
{
	int e;

	if (s->search_m > 0) {
		while (find_entering(s)) {
			int change;
			find_join(s);
			change = find_leaving(s);
			if (s->delta == INF)
				return FOLIO_MCF_UNBOUNDED;
			change_flow(s, change);
			if (change)
				update_tree(s);
		}
	}
	for (e = s->search_m; e < s->all_m; e++)
		if (s->flow[e] != 0)
			return FOLIO_MCF_INFEASIBLE;
	return FOLIO_MCF_OPTIMAL;
}

int folio_mcf_solve(folio_mcf_status *status, long long *cost, folio_mcf *g)
{
	ns s;
	folio_mcf_status st;
	__int128 total = 0;
	int error = 0;

	memset(&s, 0, sizeof(s));
	*status = FOLIO_MCF_INFEASIBLE;
	if (cost)
		*cost = 0;
	forget_flow(g);
	if ((error = ns_init(&s, g)) < 0)
		goto cleanup;
	st = ns_run(&s);
	if (st == FOLIO_MCF_OPTIMAL) {
		int skip = spread_skip(s.n, s.m), slot = 0, wrap = 0;
		for (int i = 0; i < s.m; i++, next_slot(&slot, &wrap, skip, s.m)) {
			long long f = s.flow[slot] + g->lower[i];
			g->flow[i] = f;
			total += (__int128)f * g->cost[i];
		}
		if (total > LLONG_MAX || total < LLONG_MIN) {
			memset(g->flow, 0, g->narcs * sizeof(long long));
			error = folio_error_set(FOLIO_EINVALID, "the optimal total cost does not fit in 64 bits");
			goto cleanup;
		}
		g->solved = 1;
		if (cost)
			*cost = (long long)total;
	}
	*status = st;
cleanup:
	ns_free(&s);
	return error;
}

/* ------------------------------------------------------------ DIMACS reader */

typedef struct {
	const char *name;
	size_t line;
	const char *p, *end; /* the rest of the current line */
	folio_buf shown;     /* a token quoted for a message */
} dimacs_in;

static int dimacs_error(const dimacs_in *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int dimacs_error(const dimacs_in *in, const char *fmt, ...)
{
	folio_buf b = FOLIO_BUF_INIT;
	va_list ap;
	int error;

	va_start(ap, fmt);
	folio_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	error = folio_error_set(FOLIO_EINVALID, "%s:%zu: %s", in->name, in->line, b.ptr);
	folio_buf_free(&b);
	return error;
}

/* Space, or \t \n \v \f \r (a \n never reaches here: lines are cut at it). */
static int is_blank(char c)
{
	return c == ' ' || (unsigned)(c - '\t') <= '\r' - '\t';
}

static void skip_blanks(dimacs_in *in)
{
	while (in->p < in->end && is_blank(*in->p))
		in->p++;
}

/* Next token of the line, or length 0 at its end. */
static size_t next_token(dimacs_in *in, const char **tok)
{
	const char *q;

	skip_blanks(in);
	q = in->p;
	while (in->p < in->end && !is_blank(*in->p))
		in->p++;
	*tok = q;
	return (size_t)(in->p - q);
}

/*
 * A token for quoting in a message: at most 40 bytes of it, bytes other than
 * printable ASCII as \xNN, so that a message stays one harmless line. Valid
 * until the next call.
 */
static const char *shown(dimacs_in *in, const char *tok, size_t len)
{
	size_t i;

	folio_buf_clear(&in->shown);
	for (i = 0; i < len && i < 40; i++) {
		unsigned char c = (unsigned char)tok[i];
		if (c >= 0x20 && c < 0x7f)
			folio_buf_putc(&in->shown, (char)c);
		else
			folio_buf_printf(&in->shown, "\\x%02x", c);
	}
	if (len > 40)
		folio_buf_puts(&in->shown, "...");
	return in->shown.ptr;
}

/* End of the token starting at p (for quoting it in a message). */
static size_t token_len(const dimacs_in *in, const char *p)
{
	const char *q = p;
	while (q < in->end && !is_blank(*q))
		q++;
	return (size_t)(q - p);
}

/*
 * Read a decimal 64-bit integer field called `what` from a `kind` line. One
 * pass over the digits: this is most of the time spent reading a big file.
 */
static int read_number(long long *out, dimacs_in *in, const char *what, const char *kind)
{
	const char *p, *tok, *digits;
	unsigned long long v = 0, limit;
	int neg = 0;

	skip_blanks(in);
	p = tok = in->p;
	if (p == in->end)
		return dimacs_error(in, "missing %s in the %s line", what, kind);
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	digits = p;
	while (p < in->end && (unsigned)(*p - '0') <= 9)
		v = v * 10 + (unsigned)(*p++ - '0'); /* may wrap past 19 digits: checked below */
	if (p == digits || (p < in->end && !is_blank(*p))) {
		size_t len = token_len(in, tok);
		return dimacs_error(in, "bad %s '%s': not a number", what, shown(in, tok, len));
	}
	if (p - digits > 18) {
		/* 18 digits always fit; longer numbers are parsed again with checks */
		limit = neg ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX;
		for (v = 0; digits < p; digits++) {
			unsigned d = (unsigned)(*digits - '0');
			if (v > (limit - d) / 10) {
				size_t len = token_len(in, tok);
				return dimacs_error(in, "%s '%s' does not fit in 64 bits", what, shown(in, tok, len));
			}
			v = v * 10 + d;
		}
	}
	in->p = p;
	*out = neg ? (long long)(0 - v) : (long long)v;
	return 0;
}

static int expect_end(dimacs_in *in, const char *kind)
{
	const char *tok;
	size_t len = next_token(in, &tok);

	if (len)
		return dimacs_error(in, "unexpected '%s' at the end of the %s line", shown(in, tok, len), kind);
	return 0;
}

static int read_node_id(size_t *out, dimacs_in *in, const char *what, const char *kind, size_t nodes)
{
	long long v;
	int error;

	if ((error = read_number(&v, in, what, kind)) < 0)
		return error;
	if (v < 1 || (unsigned long long)v > nodes)
		return dimacs_error(in, "%s %lld out of range (the problem has %zu nodes)", what, v, nodes);
	*out = (size_t)(v - 1);
	return 0;
}

int folio_mcf_read_dimacs(folio_mcf **out, const char *name, const char *text, size_t len)
{
	dimacs_in in = { name, 0, NULL, NULL, FOLIO_BUF_INIT };
	const char *p = text, *end = text + len;
	folio_mcf *g = NULL;
	size_t *node_line = NULL, p_line = 0, declared = 0;
	int error = 0;

	*out = NULL;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *tok;
		size_t tlen;

		in.line++;
		in.p = p;
		in.end = nl ? nl : end;
		p = nl ? nl + 1 : end;
		skip_blanks(&in);
		if (in.p == in.end || *in.p == 'c')
			continue; /* blank line or comment */
		tlen = next_token(&in, &tok);
		if (tlen == 1 && *tok == 'a') {
			size_t from, to, a;
			long long low, cap, cost;
			if (!g) {
				error = dimacs_error(&in, "arc line before the problem line ('p min NODES ARCS')");
				goto cleanup;
			}
			if (g->narcs == declared) {
				error = dimacs_error(&in, "more arcs than the %zu declared on line %zu", declared, p_line);
				goto cleanup;
			}
			if ((error = read_node_id(&from, &in, "source node", "arc", g->nnodes)) < 0 ||
			    (error = read_node_id(&to, &in, "target node", "arc", g->nnodes)) < 0 ||
			    (error = read_number(&low, &in, "lower bound", "arc")) < 0 ||
			    (error = read_number(&cap, &in, "capacity", "arc")) < 0 ||
			    (error = read_number(&cost, &in, "cost", "arc")) < 0 ||
			    (error = expect_end(&in, "arc")) < 0)
				goto cleanup;
			if (cap < low) {
				error = dimacs_error(&in, "capacity %lld is below the lower bound %lld", cap, low);
				goto cleanup;
			}
			a = g->narcs++;
			if (a == g->aarcs)
				reserve_arcs(g, a + 1);
			g->from[a] = (int)from;
			g->to[a] = (int)to;
			g->lower[a] = low;
			g->cap[a] = cap;
			g->cost[a] = cost;
			g->flow[a] = 0;
		} else if (tlen == 1 && *tok == 'n') {
			size_t id;
			long long supply;
			if (!g) {
				error = dimacs_error(&in, "node line before the problem line ('p min NODES ARCS')");
				goto cleanup;
			}
			if ((error = read_node_id(&id, &in, "node", "node", g->nnodes)) < 0 ||
			    (error = read_number(&supply, &in, "supply", "node")) < 0 ||
			    (error = expect_end(&in, "node")) < 0)
				goto cleanup;
			if (node_line[id]) {
				error = dimacs_error(&in, "second supply for node %zu (the first is on line %zu)", id + 1, node_line[id]);
				goto cleanup;
			}
			node_line[id] = in.line;
			g->supply[id] = supply;
		} else if (tlen == 1 && *tok == 'p') {
			long long nodes, arcs;
			const char *type;
			size_t typelen;
			if (g) {
				error = dimacs_error(&in, "second problem line (the first is on line %zu)", p_line);
				goto cleanup;
			}
			typelen = next_token(&in, &type);
			if (typelen == 0) {
				error = dimacs_error(&in, "missing problem type in the problem line (expected 'p min NODES ARCS')");
				goto cleanup;
			}
			if (typelen != 3 || memcmp(type, "min", 3) != 0) {
				error = dimacs_error(&in, "problem type '%s' is not supported (expected 'min')", shown(&in, type, typelen));
				goto cleanup;
			}
			if ((error = read_number(&nodes, &in, "node count", "problem")) < 0 ||
			    (error = read_number(&arcs, &in, "arc count", "problem")) < 0 ||
			    (error = expect_end(&in, "problem")) < 0)
				goto cleanup;
			if (nodes < 0 || nodes > FOLIO_MCF_MAX_NODES) {
				error = dimacs_error(&in, "node count %lld out of range (0 to %d)", nodes, FOLIO_MCF_MAX_NODES);
				goto cleanup;
			}
			if (arcs < 0 || arcs > FOLIO_MCF_MAX_ARCS) {
				error = dimacs_error(&in, "arc count %lld out of range (0 to %d)", arcs, FOLIO_MCF_MAX_ARCS);
				goto cleanup;
			}
			if ((error = folio_mcf_new(&g, (size_t)nodes)) < 0)
				goto cleanup;
			node_line = folio_calloc((size_t)nodes + 1, sizeof(size_t));
			declared = (size_t)arcs;
			p_line = in.line;
			/* an arc line takes at least 12 bytes: do not trust a huge count in a small file */
			reserve_arcs(g, declared < len / 12 + 1 ? declared : len / 12 + 1);
		} else {
			error = dimacs_error(&in, "unknown line type '%s' (expected c, p, n or a)", shown(&in, tok, tlen));
			goto cleanup;
		}
	}
	if (in.line == 0)
		in.line = 1;
	if (!g) {
		error = dimacs_error(&in, "no problem line ('p min NODES ARCS')");
		goto cleanup;
	}
	if (g->narcs != declared) {
		error = dimacs_error(&in, "the file ends after %zu of the %zu arcs declared on line %zu", g->narcs, declared, p_line);
		goto cleanup;
	}
	*out = g;
	g = NULL;
cleanup:
	folio_buf_free(&in.shown);
	free(node_line);
	folio_mcf_free(g);
	return error;
}

int folio_mcf_load_dimacs(folio_mcf **out, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int error = 0;

	*out = NULL;
	if (strcmp(path, "-") == 0) {
		folio_buf b = FOLIO_BUF_INIT;
		size_t n;
		folio_buf_grow(&b, 1 << 16);
		while ((n = fread(b.ptr + b.size, 1, b.asize - b.size - 1, stdin)) > 0) {
			b.size += n;
			b.ptr[b.size] = '\0';
			folio_buf_grow(&b, 1 << 16);
		}
		if (ferror(stdin)) {
			folio_buf_free(&b);
			return folio_error_set(FOLIO_ERROR, "cannot read standard input: %s", strerror(errno));
		}
		len = b.size;
		text = folio_buf_detach(&b);
		error = folio_mcf_read_dimacs(out, "<stdin>", text, len);
	} else {
		if ((error = folio_read_file(&text, &len, path)) < 0)
			goto cleanup;
		error = folio_mcf_read_dimacs(out, path, text, len);
	}
cleanup:
	free(text);
	return error;
}

/* ------------------------------------------------------------ DIMACS writer */

/* Append a decimal number and a separator: printf is the slow part of writing a big network. */
static void put_ll(folio_buf *b, long long v, char sep)
{
	char digits[24];
	int i = (int)sizeof(digits);
	unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;

	digits[--i] = sep;
	do {
		digits[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		digits[--i] = '-';
	folio_buf_put(b, digits + i, sizeof(digits) - (size_t)i);
}

int folio_mcf_write_dimacs(char **out, size_t *len, const folio_mcf *g, const char *comment)
{
	folio_buf b = FOLIO_BUF_INIT;
	size_t i;

	while (comment && *comment) {
		const char *nl = strchr(comment, '\n');
		size_t n = nl ? (size_t)(nl - comment) : strlen(comment);
		folio_buf_puts(&b, n ? "c " : "c");
		folio_buf_put(&b, comment, n);
		folio_buf_putc(&b, '\n');
		comment = nl ? nl + 1 : comment + n;
	}
	folio_buf_grow(&b, 32 + g->narcs * 24);
	folio_buf_printf(&b, "p min %zu %zu\n", g->nnodes, g->narcs);
	for (i = 0; i < g->nnodes; i++) {
		if (g->supply[i] == 0)
			continue;
		folio_buf_puts(&b, "n ");
		put_ll(&b, (long long)i + 1, ' ');
		put_ll(&b, g->supply[i], '\n');
	}
	for (i = 0; i < g->narcs; i++) {
		folio_buf_puts(&b, "a ");
		put_ll(&b, (long long)g->from[i] + 1, ' ');
		put_ll(&b, (long long)g->to[i] + 1, ' ');
		put_ll(&b, g->lower[i], ' ');
		put_ll(&b, g->cap[i], ' ');
		put_ll(&b, g->cost[i], '\n');
	}
	if (len)
		*len = b.size;
	*out = folio_buf_detach(&b);
	return 0;
}

int folio_mcf_save_dimacs(const folio_mcf *g, const char *path, const char *comment)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = NULL;
	int to_stdout = strcmp(path, "-") == 0, error = 0;

	folio_mcf_write_dimacs(&text, &len, g, comment);
	f = to_stdout ? stdout : fopen(path, "wb");
	if (!f) {
		error = folio_error_set(FOLIO_ERROR, "cannot write '%s': %s", path, strerror(errno));
		goto cleanup;
	}
	if (fwrite(text, 1, len, f) != len || fflush(f) != 0) {
		error = folio_error_set(FOLIO_ERROR, "cannot write '%s': %s", to_stdout ? "<stdout>" : path, strerror(errno));
		goto cleanup;
	}
cleanup:
	if (f && !to_stdout && fclose(f) != 0 && error == 0)
		error = folio_error_set(FOLIO_ERROR, "cannot write '%s': %s", path, strerror(errno));
	free(text);
	return error;
}
