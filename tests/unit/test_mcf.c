/* tests/unit/test_mcf.c: the min-cost flow solver: known cases, DIMACS files, folio-mcf, and dimacs-solver as an oracle. */
#include "support.h"

#include "folio/mcf.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define INF_TEXT "9223372036854775807"

/* ------------------------------------------------------------ helpers */

static folio_mcf *parse(const char *text)
{
	folio_mcf *g = NULL;
	if (folio_mcf_read_dimacs(&g, "t.min", text, strlen(text)) < 0)
		fail_msg("cannot read test network: %s", folio_error_last());
	return g;
}

/*
 * Check a solution on its own terms: every arc within its bounds, every node
 * within the supply rule of folio/mcf.h, and the cost equal to sum flow * cost.
 */
static void check_flow(const folio_mcf *g, long long cost)
{
	size_t n = folio_mcf_node_count(g), m = folio_mcf_arc_count(g), i;
	long long *net = calloc(n ? n : 1, sizeof(long long)), sum = 0;
	__int128 total = 0;

	for (i = 0; i < m; i++) {
		folio_mcf_arc_info a;
		long long f = folio_mcf_flow(g, i);
		assert_ok(folio_mcf_get_arc(&a, g, i));
		if (f < a.lower || f > a.capacity)
			fail_msg("arc %zu: flow %lld outside [%lld, %lld]", i, f, a.lower, a.capacity);
		net[a.from] += f;
		net[a.to] -= f;
		total += (__int128)f * a.cost;
	}
	for (i = 0; i < n; i++)
		sum += folio_mcf_supply(g, i);
	for (i = 0; i < n; i++) {
		long long b = folio_mcf_supply(g, i);
		if ((sum == 0 && net[i] != b) || (sum < 0 && net[i] < b) || (sum > 0 && net[i] > b))
			fail_msg("node %zu: net outflow %lld breaks supply %lld (supplies sum to %lld)", i, net[i], b, sum);
	}
	if (total != cost)
		fail_msg("flows cost %lld, the solver said %lld", (long long)total, cost);
	free(net);
}

/* Solve, check the status, and for an optimal flow check it and its cost. */
static void expect(folio_mcf *g, folio_mcf_status want, long long want_cost, const char *name)
{
	folio_mcf_status st;
	long long cost = -1;

	assert_ok(folio_mcf_solve(&st, &cost, g));
	if (st != want)
		fail_msg("%s: status %s, expected %s", name, folio_mcf_status_name(st), folio_mcf_status_name(want));
	if (st == FOLIO_MCF_OPTIMAL) {
		if (cost != want_cost)
			fail_msg("%s: cost %lld, expected %lld", name, cost, want_cost);
		check_flow(g, cost);
	} else {
		assert_int_equal(cost, 0);
		for (size_t i = 0; i < folio_mcf_arc_count(g); i++)
			assert_int_equal(folio_mcf_flow(g, i), 0);
	}
}

/* Deterministic pseudo-random numbers (splitmix64): the same instances on every run. */
static unsigned long long rng_next(unsigned long long *s)
{
	unsigned long long z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* Uniform in lo..hi; computed unsigned so that even the whole long long range works. */
static long long rng_range(unsigned long long *s, long long lo, long long hi)
{
	unsigned long long span = (unsigned long long)hi - (unsigned long long)lo + 1;
	unsigned long long r = rng_next(s);
	return (long long)((unsigned long long)lo + (span ? r % span : r));
}

/* ------------------------------------------------------------ hand-made cases */

typedef struct {
	const char *name;
	const char *dimacs;
	folio_mcf_status status;
	long long cost;
} mcf_case;

static const mcf_case cases[] = {
	{ "two paths, one shared arc",
	  "p min 4 5\nn 1 4\nn 4 -4\na 1 2 0 4 2\na 1 3 0 2 2\na 2 3 0 2 1\na 2 4 0 3 3\na 3 4 0 5 1\n",
	  FOLIO_MCF_OPTIMAL, 14 },
	{ "lower bound forces a dear arc",
	  "p min 3 3\nn 1 2\nn 3 -2\na 1 2 0 5 1\na 2 3 0 5 1\na 1 3 1 5 5\n",
	  FOLIO_MCF_OPTIMAL, 7 },
	{ "lower bounds force a circulation",
	  "p min 2 2\na 1 2 3 5 1\na 2 1 0 5 2\n",
	  FOLIO_MCF_OPTIMAL, 9 },
	{ "negative lower bound lets flow run backwards",
	  "p min 2 1\nn 2 3\nn 1 -3\na 1 2 -4 0 2\n",
	  FOLIO_MCF_OPTIMAL, -6 },
	{ "lower bound with nowhere to go",
	  "p min 2 1\na 1 2 1 2 0\n",
	  FOLIO_MCF_INFEASIBLE, 0 },
	{ "all costs zero",
	  "p min 3 3\nn 1 5\nn 3 -5\na 1 2 0 5 0\na 2 3 0 5 0\na 1 3 0 1 0\n",
	  FOLIO_MCF_OPTIMAL, 0 },
	{ "capacity short of the demand",
	  "p min 2 1\nn 1 5\nn 2 -5\na 1 2 0 3 1\n",
	  FOLIO_MCF_INFEASIBLE, 0 },
	{ "parallel arcs fill cheapest first",
	  "p min 2 3\nn 1 5\nn 2 -5\na 1 2 0 2 3\na 1 2 0 2 1\na 1 2 0 2 2\n",
	  FOLIO_MCF_OPTIMAL, 9 },
	{ "self-loop with a lower bound",
	  "p min 1 1\na 1 1 2 4 3\n",
	  FOLIO_MCF_OPTIMAL, 6 },
	{ "negative self-loop fills up",
	  "p min 1 1\na 1 1 0 4 -3\n",
	  FOLIO_MCF_OPTIMAL, -12 },
	{ "negative self-loop without a bound",
	  "p min 1 1\na 1 1 0 " INF_TEXT " -1\n",
	  FOLIO_MCF_UNBOUNDED, 0 },
	{ "free self-loop without a bound",
	  "p min 2 2\nn 1 1\nn 2 -1\na 2 2 0 " INF_TEXT " 0\na 1 2 0 1 4\n",
	  FOLIO_MCF_OPTIMAL, 4 },
	{ "isolated nodes without supply",
	  "p min 5 1\nn 1 3\nn 2 -3\na 1 2 0 3 2\n",
	  FOLIO_MCF_OPTIMAL, 6 },
	{ "two separate parts, one cut off",
	  "p min 4 1\nn 1 1\nn 2 -1\nn 3 2\nn 4 -2\na 1 2 0 1 1\n",
	  FOLIO_MCF_INFEASIBLE, 0 },
	{ "negative-cost path",
	  "p min 3 2\nn 1 2\nn 3 -2\na 1 2 0 2 -4\na 2 3 0 2 1\n",
	  FOLIO_MCF_OPTIMAL, -6 },
	{ "negative cycle with a finite arc",
	  "p min 3 3\na 1 2 0 5 -1\na 2 3 0 5 -1\na 3 1 0 5 -1\n",
	  FOLIO_MCF_OPTIMAL, -15 },
	{ "negative cycle without a bound",
	  "p min 2 2\na 1 2 0 " INF_TEXT " -1\na 2 1 0 " INF_TEXT " 0\n",
	  FOLIO_MCF_UNBOUNDED, 0 },
	{ "negative cycle bounded by one arc",
	  "p min 2 2\na 1 2 0 " INF_TEXT " -1\na 2 1 0 7 0\n",
	  FOLIO_MCF_OPTIMAL, -7 },
	/* supplies that do not sum to zero, as LEMON's dimacs-solver reads them */
	{ "sum < 0: demand is an upper limit",
	  "p min 3 2\nn 1 3\nn 2 -1\nn 3 -5\na 1 2 0 5 1\na 1 3 0 5 5\n",
	  FOLIO_MCF_OPTIMAL, 11 },
	{ "sum < 0: any node may send more",
	  "p min 3 2\nn 3 -2\na 1 3 0 5 -1\na 2 3 0 5 2\n",
	  FOLIO_MCF_OPTIMAL, -2 },
	{ "sum < 0: supply must all be shipped",
	  "p min 2 0\nn 1 1\nn 2 -2\n",
	  FOLIO_MCF_INFEASIBLE, 0 },
	{ "sum > 0: supply is an upper limit",
	  "p min 3 2\nn 1 3\nn 2 -1\na 1 2 0 5 1\na 1 3 0 5 5\n",
	  FOLIO_MCF_OPTIMAL, 1 },
	{ "sum > 0: any node may take more",
	  "p min 3 2\nn 1 3\na 1 3 0 5 -1\na 2 3 0 5 2\n",
	  FOLIO_MCF_OPTIMAL, -3 },
	{ "sum > 0: demand must be met",
	  "p min 2 1\nn 1 5\nn 2 -4\na 1 2 0 3 1\n",
	  FOLIO_MCF_INFEASIBLE, 0 },
	{ "one node, supply left unsent",
	  "p min 1 0\nn 1 5\n",
	  FOLIO_MCF_OPTIMAL, 0 },
	/* LEMON calls an empty network infeasible; the zero flow is optimal here (see folio/mcf.h) */
	{ "empty network",
	  "p min 0 0\n",
	  FOLIO_MCF_OPTIMAL, 0 },
	{ "transportation: 2 x 2",
	  "p min 4 4\nn 1 3\nn 2 2\nn 3 -4\nn 4 -1\na 1 3 0 9 1\na 1 4 0 9 4\na 2 3 0 9 2\na 2 4 0 9 1\n",
	  FOLIO_MCF_OPTIMAL, 6 },
};

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		folio_mcf *g = parse(cases[i].dimacs);
		expect(g, cases[i].status, cases[i].cost, cases[i].name);
		folio_mcf_free(g);
	}
}

/* A network without arcs solved again, or changed after a solve (found by fuzzing: UBSan, memset on no flows). */
static void test_solve_again_without_arcs(void **state)
{
	(void)state;
	folio_mcf *g = parse("p min 2 0\nn 1 1\n");
	folio_mcf_status st;
	long long cost = -1;
	assert_ok(folio_mcf_solve(&st, &cost, g));
	assert_int_equal(st, FOLIO_MCF_OPTIMAL);
	assert_ok(folio_mcf_solve(&st, &cost, g));
	assert_int_equal(st, FOLIO_MCF_OPTIMAL);
	assert_int_equal(cost, 0);
	assert_ok(folio_mcf_set_supply(g, 1, -1));
	assert_ok(folio_mcf_solve(&st, &cost, g));
	assert_int_equal(st, FOLIO_MCF_INFEASIBLE);
	folio_mcf_free(g);
}

static void test_parallel_arc_flows(void **state)
{
	folio_mcf *g = parse(cases[7].dimacs);
	(void)state;
	expect(g, FOLIO_MCF_OPTIMAL, 9, cases[7].name);
	assert_int_equal(folio_mcf_flow(g, 0), 1);
	assert_int_equal(folio_mcf_flow(g, 1), 2);
	assert_int_equal(folio_mcf_flow(g, 2), 2);
	folio_mcf_free(g);
}

static void test_lower_bound_in_flow(void **state)
{
	/* the flow read back includes the lower bound */
	folio_mcf *g = parse(cases[1].dimacs);
	(void)state;
	expect(g, FOLIO_MCF_OPTIMAL, 7, cases[1].name);
	assert_int_equal(folio_mcf_flow(g, 2), 1);
	assert_int_equal(folio_mcf_flow(g, 0), 1);
	folio_mcf_free(g);
}

static void test_build_by_api(void **state)
{
	folio_mcf *g = NULL;
	folio_mcf_arc_info a;
	size_t arc = 99;
	(void)state;

	assert_ok(folio_mcf_new(&g, 3));
	assert_int_equal(folio_mcf_node_count(g), 3);
	assert_ok(folio_mcf_set_supply(g, 0, 4));
	assert_ok(folio_mcf_set_supply(g, 2, -4));
	assert_ok(folio_mcf_add_arc(&arc, g, 0, 1, 0, 4, 1));
	assert_int_equal(arc, 0);
	assert_ok(folio_mcf_add_arc(&arc, g, 1, 2, 0, 4, 1));
	assert_int_equal(arc, 1);
	assert_ok(folio_mcf_add_arc(NULL, g, 0, 2, 0, 2, 1));
	assert_int_equal(folio_mcf_arc_count(g), 3);
	assert_ok(folio_mcf_get_arc(&a, g, 1));
	assert_int_equal(a.from, 1);
	assert_int_equal(a.to, 2);
	assert_int_equal(a.capacity, 4);
	expect(g, FOLIO_MCF_OPTIMAL, 6, "api network");
	assert_int_equal(folio_mcf_flow(g, 2), 2);

	/* a change forgets the flow; solving again sees the change */
	assert_ok(folio_mcf_set_supply(g, 0, 2));
	assert_int_equal(folio_mcf_flow(g, 2), 0);
	assert_ok(folio_mcf_set_supply(g, 2, -2));
	expect(g, FOLIO_MCF_OPTIMAL, 2, "api network, less supply");
	assert_int_equal(folio_mcf_flow(g, 2), 2);
	assert_ok(folio_mcf_add_arc(NULL, g, 0, 2, 0, 9, 0));
	expect(g, FOLIO_MCF_OPTIMAL, 0, "api network, free arc");
	folio_mcf_free(g);
	folio_mcf_free(NULL);
}

static void test_api_errors(void **state)
{
	folio_mcf *g = NULL;
	folio_mcf_arc_info a;
	(void)state;

	assert_rc(folio_mcf_new(&g, (size_t)FOLIO_MCF_MAX_NODES + 1), FOLIO_EINVALID);
	assert_null(g);
	assert_ok(folio_mcf_new(&g, 2));
	assert_rc(folio_mcf_set_supply(g, 2, 1), FOLIO_EINVALID);
	assert_has(folio_error_last(), "node 2 out of range");
	assert_rc(folio_mcf_add_arc(NULL, g, 0, 5, 0, 1, 1), FOLIO_EINVALID);
	assert_has(folio_error_last(), "node 5 out of range");
	assert_rc(folio_mcf_add_arc(NULL, g, 0, 1, 2, 1, 1), FOLIO_EINVALID);
	assert_has(folio_error_last(), "capacity 1 is below the lower bound 2");
	assert_int_equal(folio_mcf_arc_count(g), 0);
	assert_rc(folio_mcf_get_arc(&a, g, 0), FOLIO_ENOTFOUND);
	assert_int_equal(folio_mcf_supply(g, 7), 0);
	assert_int_equal(folio_mcf_flow(g, 7), 0);
	assert_string_equal(folio_mcf_status_name(FOLIO_MCF_UNBOUNDED), "unbounded");
	folio_mcf_free(g);
}

static void test_overflow(void **state)
{
	folio_mcf *g = NULL;
	folio_mcf_status st;
	long long cost = 1;
	(void)state;

	/* a cost so large the potentials could overflow */
	assert_ok(folio_mcf_new(&g, 2));
	assert_ok(folio_mcf_add_arc(NULL, g, 0, 1, 0, 1, LLONG_MAX / 4));
	assert_rc(folio_mcf_solve(&st, &cost, g), FOLIO_EINVALID);
	assert_has(folio_error_last(), "costs too large");
	folio_mcf_free(g);

	/* an optimal cost past 64 bits */
	assert_ok(folio_mcf_new(&g, 2));
	assert_ok(folio_mcf_set_supply(g, 0, 1LL << 40));
	assert_ok(folio_mcf_set_supply(g, 1, -(1LL << 40)));
	assert_ok(folio_mcf_add_arc(NULL, g, 0, 1, 0, 1LL << 40, 1LL << 30));
	assert_rc(folio_mcf_solve(&st, &cost, g), FOLIO_EINVALID);
	assert_has(folio_error_last(), "does not fit in 64 bits");
	assert_int_equal(folio_mcf_flow(g, 0), 0);
	folio_mcf_free(g);

	/* capacities whose sum could overflow a flow */
	assert_ok(folio_mcf_new(&g, 2));
	assert_ok(folio_mcf_add_arc(NULL, g, 0, 1, 0, LLONG_MAX - 1, 1));
	assert_ok(folio_mcf_add_arc(NULL, g, 1, 0, 0, LLONG_MAX - 1, 1));
	assert_rc(folio_mcf_solve(&st, &cost, g), FOLIO_EINVALID);
	assert_has(folio_error_last(), "add up past 64 bits");
	folio_mcf_free(g);

	/* supplies that overflow when summed */
	assert_ok(folio_mcf_new(&g, 2));
	assert_ok(folio_mcf_set_supply(g, 0, LLONG_MAX));
	assert_ok(folio_mcf_set_supply(g, 1, LLONG_MAX));
	assert_rc(folio_mcf_solve(&st, &cost, g), FOLIO_EINVALID);
	folio_mcf_free(g);

	/* the largest values that do work */
	assert_ok(folio_mcf_new(&g, 2));
	assert_ok(folio_mcf_set_supply(g, 0, 1LL << 31));
	assert_ok(folio_mcf_set_supply(g, 1, -(1LL << 31)));
	assert_ok(folio_mcf_add_arc(NULL, g, 0, 1, 0, FOLIO_MCF_INFINITE, 1LL << 31));
	expect(g, FOLIO_MCF_OPTIMAL, 1LL << 62, "large values");
	folio_mcf_free(g);
}


/* A panel-shaped network (see bench/README-mcf.md): submissions -> reviewers -> sink. */
/*
 * Submission p has supply 2 (or, with_source, gets 2 units from a source
 * node), reviewer u takes between load_lo and load_hi submissions through
 * unit arcs of cost 1, 2, 4, ... (load balancing), the sink takes all.
 */
static folio_mcf *panel_network(unsigned long long *s, size_t P, size_t U, int conflict_pct,
	long long load_lo, long long load_hi, int with_source)
{
	folio_mcf *g = NULL;
	size_t first_u = P + (with_source ? 1 : 0), t = first_u + U, src = P;

	if (folio_mcf_new(&g, t + 1) < 0)
		fail_msg("%s", folio_error_last());
	for (size_t p = 0; p < P; p++) {
		if (with_source)
			assert_ok(folio_mcf_add_arc(NULL, g, src, p, 0, 2, 0));
		else
			assert_ok(folio_mcf_set_supply(g, p, 2));
	}
	if (with_source)
		assert_ok(folio_mcf_set_supply(g, src, 2 * (long long)P));
	assert_ok(folio_mcf_set_supply(g, t, -2 * (long long)P));
	for (size_t p = 0; p < P; p++) {
		for (size_t u = 0; u < U; u++) {
			long long cost = rng_range(s, 0, 1) * 3;
			if (rng_range(s, 1, 100) <= conflict_pct)
				continue;
			if (rng_range(s, 1, 10) == 1)
				cost -= 2; /* continuity bonus */
			assert_ok(folio_mcf_add_arc(NULL, g, p, first_u + u, 0, 1, cost));
		}
	}
	for (size_t u = 0; u < U; u++) {
		long long load = rng_range(s, load_lo, load_hi);
		for (long long k = 0; k < load; k++)
			assert_ok(folio_mcf_add_arc(NULL, g, first_u + u, t, 0, 1, 1LL << (k < 20 ? k : 20)));
	}
	return g;
}

/* The same calls give the same flow, arc by arc, however often they are made. */
static void test_deterministic(void **state)
{
	folio_mcf *g[2] = { NULL, NULL };
	folio_mcf_status st[2];
	long long cost[2];
	(void)state;

	for (int k = 0; k < 2; k++) {
		unsigned long long s = 11;
		g[k] = panel_network(&s, 40, 9, 5, 9, 14, 0);
		assert_ok(folio_mcf_solve(&st[k], &cost[k], g[k]));
		assert_int_equal(st[k], FOLIO_MCF_OPTIMAL);
		check_flow(g[k], cost[k]);
	}
	assert_int_equal(cost[0], cost[1]);
	for (size_t i = 0; i < folio_mcf_arc_count(g[0]); i++)
		assert_int_equal(folio_mcf_flow(g[0], i), folio_mcf_flow(g[1], i));
	/* and again on the same network */
	assert_ok(folio_mcf_solve(&st[1], &cost[1], g[0]));
	assert_int_equal(cost[0], cost[1]);
	for (size_t i = 0; i < folio_mcf_arc_count(g[0]); i++)
		assert_int_equal(folio_mcf_flow(g[0], i), folio_mcf_flow(g[1], i));
	folio_mcf_free(g[0]);
	folio_mcf_free(g[1]);
}

/* ------------------------------------------------------------ DIMACS reading */

typedef struct {
	const char *text;
	const char *message; /* the whole message, "t.min:LINE: ..." */
} bad_file;

static const bad_file bad_files[] = {
	{ "p min 2 1\nx 1 2\n", "t.min:2: unknown line type 'x' (expected c, p, n or a)" },
	{ "pmin 2 0\n", "t.min:1: unknown line type 'pmin' (expected c, p, n or a)" },
	{ "c hello\nn 1 2\n", "t.min:2: node line before the problem line ('p min NODES ARCS')" },
	{ "a 1 2 0 1 1\n", "t.min:1: arc line before the problem line ('p min NODES ARCS')" },
	{ "p min 2 0\nc\np min 2 0\n", "t.min:3: second problem line (the first is on line 1)" },
	{ "p max 2 1\n", "t.min:1: problem type 'max' is not supported (expected 'min')" },
	{ "p\n", "t.min:1: missing problem type in the problem line (expected 'p min NODES ARCS')" },
	{ "p min 2\n", "t.min:1: missing arc count in the problem line" },
	{ "p min -1 0\n", "t.min:1: node count -1 out of range (0 to 100000000)" },
	{ "p min 2 0 extra\n", "t.min:1: unexpected 'extra' at the end of the problem line" },
	{ "p min 2 1\na 1 2 0 x 1\n", "t.min:2: bad capacity 'x': not a number" },
	{ "p min 2 1\na 1 2 0 1 1.5\n", "t.min:2: bad cost '1.5': not a number" },
	{ "p min 2 1\na 1 2 0x 1 1\n", "t.min:2: bad lower bound '0x': not a number" },
	{ "p min 2 0\nn 1 +\n", "t.min:2: bad supply '+': not a number" },
	{ "p min 2 1\na 1 2 0 1\n", "t.min:2: missing cost in the arc line" },
	{ "p min 2 1\n\na 1 2 0 1 99999999999999999999\n", "t.min:3: cost '99999999999999999999' does not fit in 64 bits" },
	{ "p min 2 0\nn 1 -9223372036854775809\n", "t.min:2: supply '-9223372036854775809' does not fit in 64 bits" },
	{ "p min 2 1\na 1 3 0 1 1\n", "t.min:2: target node 3 out of range (the problem has 2 nodes)" },
	{ "p min 2 1\na 0 1 0 1 1\n", "t.min:2: source node 0 out of range (the problem has 2 nodes)" },
	{ "p min 2 0\nn 0 5\n", "t.min:2: node 0 out of range (the problem has 2 nodes)" },
	{ "p min 2 1\na 1 2 5 4 1\n", "t.min:2: capacity 4 is below the lower bound 5" },
	{ "p min 2 1\na 1 2 0 1 1\na 2 1 0 1 1\n", "t.min:3: more arcs than the 1 declared on line 1" },
	{ "p min 2 2\na 1 2 0 1 1\nc end\n", "t.min:3: the file ends after 1 of the 2 arcs declared on line 1" },
	{ "p min 2 1\na 1 2 0 1 1 junk\n", "t.min:2: unexpected 'junk' at the end of the arc line" },
	{ "p min 2 0\nn 1 5 6\n", "t.min:2: unexpected '6' at the end of the node line" },
	{ "p min 2 0\nn 1 5\nn 1 -5\n", "t.min:3: second supply for node 1 (the first is on line 2)" },
	{ "c only a comment\n", "t.min:1: no problem line ('p min NODES ARCS')" },
	{ "", "t.min:1: no problem line ('p min NODES ARCS')" },
	{ "p min 2 1\r\na 1 2 0 1 1 x\r\n", "t.min:2: unexpected 'x' at the end of the arc line" },
	/* what is quoted from the file stays one printable line */
	{ "p min 2 0\n\x1b[31m 1\n", "t.min:2: unknown line type '\\x1b[31m' (expected c, p, n or a)" },
	{ "p min 2 0\nn 1 1234567890123456789012345678901234567890123456789\n",
	  "t.min:2: supply '1234567890123456789012345678901234567890...' does not fit in 64 bits" },
};

static void test_read_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		folio_mcf *g = (folio_mcf *)&g; /* must come back NULL */
		int rc = folio_mcf_read_dimacs(&g, "t.min", bad_files[i].text, strlen(bad_files[i].text));
		if (rc != FOLIO_EINVALID)
			fail_msg("file %zu was read (rc %d), expected: %s", i, rc, bad_files[i].message);
		assert_null(g);
		if (strcmp(folio_error_last(), bad_files[i].message) != 0)
			fail_msg("file %zu: message\n  \"%s\", expected\n  \"%s\"", i, folio_error_last(), bad_files[i].message);
		if (strchr(folio_error_last(), '\n'))
			fail_msg("file %zu: message is not one line", i);
	}
}

static void test_read_lenient_layout(void **state)
{
	/* comments anywhere, blank lines, tabs, CRLF, a '+' sign, n lines after a lines, no final newline */
	static const char text[] =
		"c a network\r\n"
		"\r\n"
		"p\tmin 3 2\r\n"
		"c nodes\n"
		"   a 1 2 0 +4 3\n"
		"a 2 3 -1 " INF_TEXT " -9223372036854775808\n"
		"n 1 +2\n"
		"\tn 3 -2";
	folio_mcf *g = NULL;
	folio_mcf_arc_info a;
	(void)state;

	assert_ok(folio_mcf_read_dimacs(&g, "t.min", text, strlen(text)));
	assert_int_equal(folio_mcf_node_count(g), 3);
	assert_int_equal(folio_mcf_arc_count(g), 2);
	assert_int_equal(folio_mcf_supply(g, 0), 2);
	assert_int_equal(folio_mcf_supply(g, 1), 0);
	assert_int_equal(folio_mcf_supply(g, 2), -2);
	assert_ok(folio_mcf_get_arc(&a, g, 0));
	assert_int_equal(a.from, 0);
	assert_int_equal(a.to, 1);
	assert_int_equal(a.capacity, 4);
	assert_int_equal(a.cost, 3);
	assert_ok(folio_mcf_get_arc(&a, g, 1));
	assert_int_equal(a.lower, -1);
	assert_true(a.capacity == FOLIO_MCF_INFINITE);
	assert_true(a.cost == LLONG_MIN);
	folio_mcf_free(g);
}

/* ------------------------------------------------------------ DIMACS writing */

static void assert_same_network(const folio_mcf *a, const folio_mcf *b)
{
	assert_int_equal(folio_mcf_node_count(a), folio_mcf_node_count(b));
	assert_int_equal(folio_mcf_arc_count(a), folio_mcf_arc_count(b));
	for (size_t i = 0; i < folio_mcf_node_count(a); i++)
		assert_int_equal(folio_mcf_supply(a, i), folio_mcf_supply(b, i));
	for (size_t i = 0; i < folio_mcf_arc_count(a); i++) {
		folio_mcf_arc_info x, y;
		assert_ok(folio_mcf_get_arc(&x, a, i));
		assert_ok(folio_mcf_get_arc(&y, b, i));
		if (x.from != y.from || x.to != y.to || x.lower != y.lower || x.capacity != y.capacity || x.cost != y.cost)
			fail_msg("arc %zu differs after the round trip", i);
	}
}

static void test_write_read_round_trip(void **state)
{
	unsigned long long s = 3;
	folio_mcf *g = NULL, *back = NULL, *loaded = NULL;
	char *text = NULL, *again = NULL, *box = test_tmpdir("mcf"), path[4200];
	size_t len = 0, len2 = 0;
	(void)state;

	assert_ok(folio_mcf_new(&g, 30));
	for (size_t i = 0; i < 30; i += 3)
		assert_ok(folio_mcf_set_supply(g, i, rng_range(&s, -1000000000000LL, 1000000000000LL)));
	for (int i = 0; i < 200; i++) {
		long long low = rng_range(&s, -50, 50), cap = i % 17 == 0 ? FOLIO_MCF_INFINITE : low + rng_range(&s, 0, 1LL << 40);
		assert_ok(folio_mcf_add_arc(NULL, g, (size_t)rng_range(&s, 0, 29), (size_t)rng_range(&s, 0, 29),
			low, cap, rng_range(&s, LLONG_MIN + 1, LLONG_MAX)));
	}
	assert_ok(folio_mcf_write_dimacs(&text, &len, g, "panel 2024\n\nexported by a test"));
	assert_int_equal(len, strlen(text));
	assert_true(strncmp(text, "c panel 2024\nc\nc exported by a test\np min 30 200\nn 1 ", 50) == 0);
	assert_ok(folio_mcf_read_dimacs(&back, "round", text, len));
	assert_same_network(g, back);
	assert_ok(folio_mcf_write_dimacs(&again, &len2, back, "panel 2024\n\nexported by a test"));
	assert_int_equal(len, len2);
	assert_string_equal(text, again);

	/* through a file, as folio exports panel networks */
	snprintf(path, sizeof(path), "%s/net.min", box);
	assert_ok(folio_mcf_save_dimacs(g, path, NULL));
	assert_ok(folio_mcf_load_dimacs(&loaded, path));
	assert_same_network(g, loaded);
	folio_mcf_free(loaded);
	loaded = NULL;
	snprintf(path, sizeof(path), "%s/missing.min", box);
	assert_rc(folio_mcf_load_dimacs(&loaded, path), FOLIO_ENOTFOUND);
	assert_has(folio_error_last(), "missing.min");
	snprintf(path, sizeof(path), "%s/no-such-dir/net.min", box);
	assert_rc(folio_mcf_save_dimacs(g, path, NULL), FOLIO_ERROR);
	assert_has(folio_error_last(), "cannot write");

	free(text);
	free(again);
	folio_mcf_free(g);
	folio_mcf_free(back);
	test_rmdir(box);
	free(box);
}

/* ------------------------------------------------------------ the folio-mcf tool */

typedef struct {
	char *box, *tool;
} tool_fx;

/* build/tests/unit/test_mcf -> build/folio-mcf */
static char *tool_path(void)
{
	char self[4096], *path = malloc(4200), *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		fail_msg("cannot find this test's own path");
	self[n] = '\0';
	slash = strrchr(self, '/');
	*slash = '\0';
	snprintf(path, 4200, "%s/../../folio-mcf", self);
	if (access(path, X_OK) != 0)
		fail_msg("%s is missing: build it with the tests (make test builds both)", path);
	return path;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[4200];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		fail_msg("cannot write %s", path);
}

/* Run `folio-mcf ARGS` in the sandbox; returns the exit status; *out and *err are its output. */
static int run_tool(const tool_fx *fx, const char *args, char **out, char **err)
{
	char cmd[9000], path[4200];
	int rc;
	snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' %s >out.txt 2>err.txt", fx->box, fx->tool, args);
	rc = system(cmd);
	if (rc == -1 || !WIFEXITED(rc))
		fail_msg("could not run: %s", cmd);
	snprintf(path, sizeof(path), "%s/out.txt", fx->box);
	*out = test_read(path, NULL);
	snprintf(path, sizeof(path), "%s/err.txt", fx->box);
	*err = test_read(path, NULL);
	return WEXITSTATUS(rc);
}

static void expect_run(const tool_fx *fx, const char *args, int code, const char *out, const char *err)
{
	char *o = NULL, *e = NULL;
	int rc = run_tool(fx, args, &o, &e);
	if (rc != code)
		fail_msg("folio-mcf %s: exit %d, expected %d (stdout \"%s\", stderr \"%s\")", args, rc, code, o, e);
	if (out && strcmp(o, out) != 0)
		fail_msg("folio-mcf %s: stdout \"%s\", expected \"%s\"", args, o, out);
	if (err && strstr(e, err) == NULL)
		fail_msg("folio-mcf %s: stderr \"%s\", expected \"%s\" in it", args, e, err);
	if (err && *err == '\0' && *e != '\0')
		fail_msg("folio-mcf %s: unexpected stderr \"%s\"", args, e);
	free(o);
	free(e);
}

static void test_tool(void **state)
{
	tool_fx fx;
	(void)state;

	fx.tool = tool_path();
	fx.box = test_tmpdir("mcf-tool");
	write_file(fx.box, "good.min", cases[0].dimacs);
	write_file(fx.box, "none.min", cases[6].dimacs);
	write_file(fx.box, "unbounded.min", cases[16].dimacs);
	write_file(fx.box, "bad.min", "c\np min 2 1\na 1 2 5 4 1\n");
	write_file(fx.box, "huge.min", "p min 2 1\na 1 2 0 1 -9223372036854775807\n");

	expect_run(&fx, "good.min", 0, "Min flow cost: 14\n", "");
	expect_run(&fx, "- <good.min", 0, "Min flow cost: 14\n", "");
	expect_run(&fx, "none.min", 1, "No feasible flow\n", "");
	expect_run(&fx, "unbounded.min", 1, "Unbounded: a negative-cost cycle has infinite capacity\n", "");
	expect_run(&fx, "bad.min", 1, "", "folio-mcf: bad.min:3: capacity 4 is below the lower bound 5\n");
	expect_run(&fx, "- <bad.min", 1, "", "folio-mcf: <stdin>:3: capacity 4 is below the lower bound 5\n");
	expect_run(&fx, "huge.min", 1, "", "folio-mcf: huge.min: costs too large: ");
	expect_run(&fx, "missing.min", 1, "", "folio-mcf: cannot read 'missing.min': No such file or directory\n");
	expect_run(&fx, "", 2, "", "folio-mcf: no FILE given\nusage: folio-mcf");
	expect_run(&fx, "good.min none.min", 2, "", "folio-mcf: one FILE only");
	expect_run(&fx, "--fast good.min", 2, "", "folio-mcf: unknown option '--fast'");
	expect_run(&fx, "--help", 0, NULL, "");
	expect_run(&fx, "-- good.min", 0, "Min flow cost: 14\n", "");

	test_rmdir(fx.box);
	free(fx.box);
	free(fx.tool);
}

/* ------------------------------------------------------------ LEMON's dimacs-solver as the oracle */

/* A random network: any shape, lower bounds, negative costs, parallel arcs, self-loops, unbalanced supplies. */
static folio_mcf *random_network(unsigned long long *s, int big)
{
	folio_mcf *g = NULL;
	long long n = big ? rng_range(s, 100, 250) : rng_range(s, 1, 40);
	long long m = big ? rng_range(s, n, 6 * n) : rng_range(s, 0, 4 * n);
	long long balance = rng_range(s, 0, 3), cost_hi = rng_range(s, 0, 9) == 0 ? 1000000000 : 20;
	int inf_pct = rng_range(s, 0, 4) == 0 ? 30 : 2;
	long long moves = rng_range(s, 0, n);

	assert_ok(folio_mcf_new(&g, (size_t)n));
	for (long long k = 0; k < moves; k++) {
		size_t a = (size_t)rng_range(s, 0, n - 1), b = (size_t)rng_range(s, 0, n - 1);
		long long x = rng_range(s, 1, 10), y = x;
		if (balance == 2)
			y = x + rng_range(s, 0, 3); /* sum < 0 */
		else if (balance == 3)
			y = x - rng_range(s, 0, x); /* sum > 0 */
		assert_ok(folio_mcf_set_supply(g, a, folio_mcf_supply(g, a) + x));
		assert_ok(folio_mcf_set_supply(g, b, folio_mcf_supply(g, b) - y));
	}
	if (rng_range(s, 0, 4) < 3) {
		/* a ring of wide arcs: most such networks are feasible */
		for (long long k = 0; k < n; k++)
			assert_ok(folio_mcf_add_arc(NULL, g, (size_t)k, (size_t)((k + 1) % n), 0, 1000, rng_range(s, 0, cost_hi)));
	}
	for (long long k = 0; k < m; k++) {
		size_t from = (size_t)rng_range(s, 0, n - 1), to = (size_t)rng_range(s, 0, n - 1);
		long long low = rng_range(s, 0, 3) == 0 ? rng_range(s, 0, 3) : 0;
		long long cap = rng_range(s, 1, 100) <= inf_pct ? FOLIO_MCF_INFINITE : low + rng_range(s, 0, 12);
		if (folio_mcf_arc_count(g) > 0 && rng_range(s, 0, 9) == 0) {
			folio_mcf_arc_info prev; /* a parallel arc */
			assert_ok(folio_mcf_get_arc(&prev, g, folio_mcf_arc_count(g) - 1));
			from = prev.from;
			to = prev.to;
		} else if (rng_range(s, 0, 29) == 0) {
			to = from; /* a self-loop */
		}
		assert_ok(folio_mcf_add_arc(NULL, g, from, to, low, cap, rng_range(s, -cost_hi / 2, cost_hi)));
	}
	return g;
}

/* Run dimacs-solver -long on a file: its status and cost. It prints its report on stderr. */
static folio_mcf_status lemon_solve(long long *cost, const char *path)
{
	char cmd[4300], line[512];
	FILE *p;
	int found = 0, has_cost = 0, rc;

	snprintf(cmd, sizeof(cmd), "dimacs-solver -long '%s' 2>&1", path);
	p = popen(cmd, "r");
	if (!p)
		fail_msg("cannot run %s", cmd);
	*cost = 0;
	while (fgets(line, sizeof(line), p)) {
		if (strncmp(line, "Feasible flow: found", 20) == 0)
			found = 1;
		if (sscanf(line, "Min flow cost: %lld", cost) == 1)
			has_cost = 1;
	}
	rc = pclose(p);
	if (rc != 0)
		fail_msg("dimacs-solver failed on %s (status %d)", path, rc);
	/* LEMON prints a cost for OPTIMAL and for UNBOUNDED (as "not found"), none for INFEASIBLE */
	if (found)
		return FOLIO_MCF_OPTIMAL;
	return has_cost ? FOLIO_MCF_UNBOUNDED : FOLIO_MCF_INFEASIBLE;
}

#define ORACLE_SMALL 150
#define ORACLE_BIG 20
#define ORACLE_PANEL 80

static void test_oracle(void **state)
{
	char *box, path[4200];
	size_t seen[3] = { 0, 0, 0 }, panel_seen[3] = { 0, 0, 0 };
	(void)state;

	if (system("command -v dimacs-solver >/dev/null 2>&1") != 0)
		fail_msg("dimacs-solver (LEMON) is not installed: install the Debian package liblemon-utils (make deps does)");
	box = test_tmpdir("mcf-oracle");
	snprintf(path, sizeof(path), "%s/net.min", box);

	for (int k = 0; k < ORACLE_SMALL + ORACLE_BIG + ORACLE_PANEL; k++) {
		unsigned long long s = 1000 + (unsigned long long)k;
		int panel = k >= ORACLE_SMALL + ORACLE_BIG;
		folio_mcf *g, *loaded = NULL;
		folio_mcf_status ours, theirs;
		long long our_cost = 0, their_cost = 0;

		if (panel) {
			long long P = rng_range(&s, 3, 40), U = rng_range(&s, 2, 12), hi = (2 * P + U - 1) / U + rng_range(&s, 0, 3);
			g = panel_network(&s, (size_t)P, (size_t)U, rng_range(&s, 0, 5) == 0 ? 40 : 5,
				hi > 4 ? hi - 4 : 1, hi, (int)rng_range(&s, 0, 1));
		} else
			g = random_network(&s, k >= ORACLE_SMALL);
		/* through the file, so the reader is what the oracle checks as well */
		assert_ok(folio_mcf_save_dimacs(g, path, "oracle instance"));
		assert_ok(folio_mcf_load_dimacs(&loaded, path));
		assert_ok(folio_mcf_solve(&ours, &our_cost, loaded));
		if (ours == FOLIO_MCF_OPTIMAL)
			check_flow(loaded, our_cost);
		theirs = lemon_solve(&their_cost, path);
		if (ours != theirs || (ours == FOLIO_MCF_OPTIMAL && our_cost != their_cost)) {
			char keep[4300];
			snprintf(keep, sizeof(keep), "%s/failed-%d.min", box, k);
			rename(path, keep);
			fail_msg("instance %d (%s): folio %s %lld, dimacs-solver %s %lld; kept in %s", k, panel ? "panel" : "random",
				folio_mcf_status_name(ours), our_cost, folio_mcf_status_name(theirs), their_cost, keep);
		}
		(panel ? panel_seen : seen)[ours]++;
		folio_mcf_free(g);
		folio_mcf_free(loaded);
	}
	/* the instances must reach every outcome, or the comparison proves little */
	print_message("oracle: random %zu optimal, %zu infeasible, %zu unbounded; panel %zu optimal, %zu infeasible\n",
		seen[0], seen[1], seen[2], panel_seen[0], panel_seen[1]);
	assert_true(seen[FOLIO_MCF_OPTIMAL] >= 40 && seen[FOLIO_MCF_INFEASIBLE] >= 20 && seen[FOLIO_MCF_UNBOUNDED] >= 5);
	assert_true(panel_seen[FOLIO_MCF_OPTIMAL] >= 40 && panel_seen[FOLIO_MCF_INFEASIBLE] >= 5);
	test_rmdir(box);
	free(box);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_solve_again_without_arcs),
		cmocka_unit_test(test_parallel_arc_flows),
		cmocka_unit_test(test_lower_bound_in_flow),
		cmocka_unit_test(test_build_by_api),
		cmocka_unit_test(test_api_errors),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_read_errors),
		cmocka_unit_test(test_read_lenient_layout),
		cmocka_unit_test(test_write_read_round_trip),
		cmocka_unit_test(test_tool),
		cmocka_unit_test(test_oracle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
