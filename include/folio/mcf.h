/* folio/mcf.h: minimum-cost flow on a directed network (primal network simplex), with DIMACS `p min` reading and writing. */
#ifndef FOLIO_MCF_H
#define FOLIO_MCF_H

#include <stddef.h>
#include "common.h"

/*
 * A network: nodes 0..n-1, each with a supply (positive: the node sends
 * that much flow; negative: it receives that much), and arcs, each with a
 * lower bound, a capacity and a per-unit cost. All values are 64-bit
 * (long long). Nodes are 0-based here; in DIMACS text node k is node k-1.
 *
 * What "feasible" means follows LEMON's dimacs-solver, so that both give the
 * same answer on the same file. Let out(u) - in(u) be the net flow leaving u:
 *   - supplies sum to 0:  out(u) - in(u) == supply(u) for every node;
 *   - supplies sum < 0:   out(u) - in(u) >= supply(u) for every node (the
 *     supply nodes must ship everything; demands are upper limits);
 *   - supplies sum > 0:   out(u) - in(u) <= supply(u) for every node (the
 *     demands must be met; supplies are upper limits).
 * Every arc carries lower <= flow <= capacity. A network without nodes has
 * the optimal (empty) flow of cost 0, where dimacs-solver says "not found".
 *
 * The solver is deterministic: the same network, built by the same calls in
 * the same order, always gives the same flow on every arc.
 *
 * A graph is not thread-safe; different graphs may be used by different
 * threads at the same time.
 */
typedef struct folio_mcf folio_mcf;

/* Capacity meaning "no upper bound". A cycle of such arcs with negative total cost makes the problem unbounded. */
#define FOLIO_MCF_INFINITE 9223372036854775807LL

/* Largest network: node and arc counts (the solver indexes with 32-bit integers). */
#define FOLIO_MCF_MAX_NODES 100000000
#define FOLIO_MCF_MAX_ARCS 1000000000

typedef enum {
	FOLIO_MCF_OPTIMAL = 0,    /* an optimal flow was found */
	FOLIO_MCF_INFEASIBLE = 1, /* no flow meets the supplies and the bounds */
	FOLIO_MCF_UNBOUNDED = 2   /* a cycle of FOLIO_MCF_INFINITE arcs has negative cost (said even when no flow is feasible) */
} folio_mcf_status;

/* One arc as given to folio_mcf_add_arc. */
typedef struct {
	size_t from, to;
	long long lower, capacity, cost;
} folio_mcf_arc_info;

/* ------------------------------------------------------------------ building */

/*
 * New network with `nodes` nodes, all with supply 0, and no arcs. Caller owns
 * *out (folio_mcf_free). FOLIO_EINVALID when nodes > FOLIO_MCF_MAX_NODES.
 */
int folio_mcf_new(folio_mcf **out, size_t nodes);

/* Free a network and everything in it; accepts NULL. */
void folio_mcf_free(folio_mcf *g);

size_t folio_mcf_node_count(const folio_mcf *g);
size_t folio_mcf_arc_count(const folio_mcf *g);

/*
 * Set the supply of a node (replaces the previous value). Forgets the flow
 * of the last solve. FOLIO_EINVALID when the node is out of range.
 */
int folio_mcf_set_supply(folio_mcf *g, size_t node, long long supply);

/* Supply of a node (0 when out of range). */
long long folio_mcf_supply(const folio_mcf *g, size_t node);

/*
 * Add an arc from -> to carrying between lower and capacity units of flow at
 * `cost` per unit; *out_arc (may be NULL) gets its index, arcs being numbered
 * 0, 1, 2, ... in the order added. Parallel arcs and self-loops are allowed;
 * lower may be negative; capacity may be FOLIO_MCF_INFINITE. Forgets the
 * flow of the last solve. FOLIO_EINVALID when a node is out of range, when
 * capacity < lower, or past FOLIO_MCF_MAX_ARCS arcs.
 */
int folio_mcf_add_arc(size_t *out_arc, folio_mcf *g, size_t from, size_t to,
	long long lower, long long capacity, long long cost);

/* Copy arc `arc` into *out. FOLIO_ENOTFOUND when there is no such arc. */
int folio_mcf_get_arc(folio_mcf_arc_info *out, const folio_mcf *g, size_t arc);

/* ------------------------------------------------------------------ solving */

/*
 * Find a minimum-cost flow. *status tells OPTIMAL, INFEASIBLE or UNBOUNDED;
 * on OPTIMAL *cost (may be NULL) is the total cost, sum of flow * cost over
 * the arcs, and folio_mcf_flow gives the flow; otherwise *cost is 0 and all
 * flows read 0. The network itself is not changed and may be solved again.
 *
 * Returns 0 whenever a status was decided. FOLIO_EINVALID when the numbers
 * are too large for 64-bit arithmetic: supplies or lower bounds that add up
 * past 2^63-1, finite capacities (minus lower bounds) plus supplies adding
 * up past 2^63-1, (largest |cost| + 1) * (nodes + 1) past (2^63-1)/5, or an
 * optimal total cost that does not fit in a long long.
 */
int folio_mcf_solve(folio_mcf_status *status, long long *cost, folio_mcf *g);

/* Flow on arc `arc` found by the last successful solve, including its lower bound; 0 when none. */
long long folio_mcf_flow(const folio_mcf *g, size_t arc);

/* Readable name of a status: "optimal", "infeasible", "unbounded". Static. */
const char *folio_mcf_status_name(folio_mcf_status status);

/* ------------------------------------------------------------------ DIMACS */

/*
 * Read a DIMACS minimum-cost flow problem (the format LEMON's dimacs-solver
 * reads):
 *   c any text                comment (also blank lines)
 *   p min NODES ARCS          exactly once, before any n or a line
 *   n ID SUPPLY               at most once per node; ID in 1..NODES
 *   a SRC DST LOW CAP COST    exactly ARCS of them, in arc order
 * Numbers are decimal 64-bit integers with an optional sign. CAP must be at
 * least LOW; CAP 9223372036854775807 is FOLIO_MCF_INFINITE. Unlike LEMON,
 * which quietly reads CAP < LOW as "infinite" and ignores the declared arc
 * count, both are errors here: a short file is most often a truncated one.
 *
 * `name` is the file name used in messages. On a bad line the result is
 * FOLIO_EINVALID with the one-line message "NAME:LINE: what is wrong".
 * Caller owns *out (folio_mcf_free); *out is NULL on failure.
 */
int folio_mcf_read_dimacs(folio_mcf **out, const char *name, const char *text, size_t len);

/*
 * Read a DIMACS file as folio_mcf_read_dimacs does; path "-" reads standard
 * input (named "<stdin>" in messages). FOLIO_ENOTFOUND when the file is
 * missing, FOLIO_ERROR when it cannot be read.
 */
int folio_mcf_load_dimacs(folio_mcf **out, const char *path);

/*
 * Write the network as DIMACS text that folio_mcf_read_dimacs reads back to
 * an equal network: `comment` lines (may be NULL; each of its lines becomes a
 * "c" line), "p min", an "n" line per node with a non-zero supply, then the
 * arcs in index order. *out (NUL-terminated, *len bytes) is owned by the
 * caller (free()). Returns 0.
 */
int folio_mcf_write_dimacs(char **out, size_t *len, const folio_mcf *g, const char *comment);

/* Write the DIMACS text to a file ("-": standard output). FOLIO_ERROR when it cannot be written. */
int folio_mcf_save_dimacs(const folio_mcf *g, const char *path, const char *comment);

#endif
