/*
 * tests/fuzz/fuzz_dimacs.c: the DIMACS min-cost flow reader
 * (folio_mcf_read_dimacs), the writer, and on small networks the solver.
 * Input: a DIMACS file.
 *
 * Invariants: a failure is FOLIO_EINVALID "t.min:LINE: ..." with LINE in
 * the input; a network read writes out as text that reads back to the same
 * network and the same text. On networks of at most 64 nodes and 256 arcs
 * the solver runs twice (same flows: it is deterministic), and an optimal
 * flow respects every arc's bounds, the supplies as mcf.h defines them and
 * its stated cost; when supplies sum to zero it also has no negative-cost
 * cycle in its residual network (so it is really optimal).
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "folio/mcf.h"

#define SOLVE_NODES 64
#define SOLVE_ARCS 256

typedef __int128 wide;

static void check_same_network(const folio_mcf *a, const folio_mcf *b)
{
	FUZZ_CHECK(folio_mcf_node_count(a) == folio_mcf_node_count(b) && folio_mcf_arc_count(a) == folio_mcf_arc_count(b),
		"network read back with other counts");
	for (size_t v = 0; v < folio_mcf_node_count(a); v++)
		FUZZ_CHECK(folio_mcf_supply(a, v) == folio_mcf_supply(b, v), "supply of node %zu read back changed", v + 1);
	for (size_t e = 0; e < folio_mcf_arc_count(a); e++) {
		folio_mcf_arc_info x, y;
		FUZZ_CHECK(folio_mcf_get_arc(&x, a, e) == 0 && folio_mcf_get_arc(&y, b, e) == 0, "arc %zu missing", e);
		FUZZ_CHECK(x.from == y.from && x.to == y.to && x.lower == y.lower && x.capacity == y.capacity && x.cost == y.cost,
			"arc %zu read back changed", e);
	}
}

/* Bellman-Ford over the residual network: is there a cycle of negative cost? */
static int negative_cycle(const folio_mcf *g)
{
	size_t n = folio_mcf_node_count(g), m = folio_mcf_arc_count(g);
	wide *dist = calloc(n ? n : 1, sizeof(wide));
	int changed = 1;
	if (!dist)
		abort();
	for (size_t round = 0; round <= n && changed; round++) {
		changed = 0;
		for (size_t e = 0; e < m; e++) {
			folio_mcf_arc_info a;
			folio_mcf_get_arc(&a, g, e);
			long long f = folio_mcf_flow(g, e);
			if (f < a.capacity && dist[a.from] + a.cost < dist[a.to]) {
				dist[a.to] = dist[a.from] + a.cost;
				changed = 1;
			}
			if (f > a.lower && dist[a.to] - a.cost < dist[a.from]) {
				dist[a.from] = dist[a.to] - a.cost;
				changed = 1;
			}
		}
	}
	free(dist);
	return changed;
}

static void check_solution(folio_mcf *g)
{
	size_t n = folio_mcf_node_count(g), m = folio_mcf_arc_count(g);
	folio_mcf_status st, st2;
	long long cost = 0, cost2 = 0;
	int rc = folio_mcf_solve(&st, &cost, g);

	FUZZ_CHECK(rc == 0 || rc == FOLIO_EINVALID, "solve returned %d: %s", rc, folio_error_last());
	if (rc < 0)
		return;
	long long *flow = malloc((m ? m : 1) * sizeof(long long));
	wide *net = calloc(n ? n : 1, sizeof(wide)), total = 0, sum = 0;
	int overflow = 0;
	if (!flow || !net)
		abort();
	for (size_t e = 0; e < m; e++)
		flow[e] = folio_mcf_flow(g, e);
	FUZZ_CHECK(folio_mcf_solve(&st2, &cost2, g) == 0 && st2 == st && cost2 == cost, "second solve differs");
	for (size_t e = 0; e < m; e++)
		FUZZ_CHECK(folio_mcf_flow(g, e) == flow[e], "second solve gives arc %zu another flow", e);
	if (st != FOLIO_MCF_OPTIMAL) {
		FUZZ_CHECK(cost == 0, "%s with cost %lld", folio_mcf_status_name(st), cost);
		for (size_t e = 0; e < m; e++)
			FUZZ_CHECK(flow[e] == 0, "%s with flow on arc %zu", folio_mcf_status_name(st), e);
		goto done;
	}
	for (size_t e = 0; e < m; e++) {
		folio_mcf_arc_info a;
		folio_mcf_get_arc(&a, g, e);
		FUZZ_CHECK(a.lower <= flow[e] && flow[e] <= a.capacity, "arc %zu: flow %lld outside [%lld, %lld]", e, flow[e],
			a.lower, a.capacity);
		net[a.from] += flow[e];
		net[a.to] -= flow[e];
		overflow |= __builtin_add_overflow(total, (wide)flow[e] * a.cost, &total);
	}
	FUZZ_CHECK(overflow || total == cost, "stated cost %lld is not the flow's cost", cost);
	for (size_t v = 0; v < n; v++)
		sum += folio_mcf_supply(g, v);
	for (size_t v = 0; v < n; v++) {
		wide s = folio_mcf_supply(g, v);
		FUZZ_CHECK(sum == 0 ? net[v] == s : sum < 0 ? net[v] >= s : net[v] <= s,
			"node %zu: net outflow does not meet its supply %lld", v + 1, folio_mcf_supply(g, v));
	}
	if (sum == 0)
		FUZZ_CHECK(!negative_cycle(g), "optimal flow has a negative-cost residual cycle");
done:
	free(flow);
	free(net);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	folio_mcf *g = NULL, *back = NULL;
	char *out = NULL, *out2 = NULL;
	size_t len = 0, len2 = 0;
	int rc = folio_mcf_read_dimacs(&g, "t.min", (const char *)data, size);

	if (rc < 0) {
		const char *msg = folio_error_last();
		size_t line = fuzz_message_line(msg, "t.min");
		FUZZ_CHECK(rc == FOLIO_EINVALID && !g, "read returned %d: %s", rc, msg);
		FUZZ_CHECK(line >= 1 && line <= fuzz_line_count((const char *)data, size), "error outside the input: %s", msg);
		return 0;
	}
	FUZZ_CHECK(g, "read succeeded without a network");
	if (folio_mcf_node_count(g) <= 100000) {
		FUZZ_CHECK(folio_mcf_write_dimacs(&out, &len, g, "fuzz\nround trip") == 0, "write failed");
		FUZZ_CHECK(folio_mcf_read_dimacs(&back, "w.min", out, len) == 0, "own output does not read back: %s",
			folio_error_last());
		check_same_network(g, back);
		FUZZ_CHECK(folio_mcf_write_dimacs(&out2, &len2, back, "fuzz\nround trip") == 0, "second write failed");
		FUZZ_CHECK(len == len2 && memcmp(out, out2, len) == 0, "output is not a fixed point");
	}
	if (folio_mcf_node_count(g) <= SOLVE_NODES && folio_mcf_arc_count(g) <= SOLVE_ARCS)
		check_solution(g);
	free(out);
	free(out2);
	folio_mcf_free(back);
	folio_mcf_free(g);
	return 0;
}
