#include "disclosure.h"

#include <stdlib.h>
#include <string.h>

#include "sp_err.h"

/*
 * A table with its totals is a circulation (docs/DISCLOSURE.md, "Why the
 * audit is exact"): a source node feeds one node per row through the row
 * totals, each cell carries its count from its row's node to its column's
 * node, the column totals flow into a sink node and the grand total flows
 * back from the sink to the source. Every entry is an edge, and the sums a
 * table must satisfy are exactly flow conservation at the nodes. A one-way
 * table needs only the source and the sink: one edge per cell from the
 * source to the sink and the grand total back.
 *
 * A published entry is an edge whose flow is fixed; a suppressed one may
 * carry any flow of 1 or more. The matrix of such a network is totally
 * unimodular, so the least and greatest flow an edge can carry are
 * integers, every integer between them is possible too, and both come out
 * of a maximum flow in the residual network of any table that agrees with
 * the grid (the flow that can be sent round a cycle through the edge).
 */

#define NODE_SOURCE 0u
#define NODE_SINK   1u
#define NO_EDGE     UINT32_MAX

/*
 * The residual capacity of a suppressed entry upwards: nothing published
 * limits it. Larger than any finite maximum flow here (the finite arcs are
 * at most 2 * 4,369, each at most 4.4e12: the counts an agreeing table
 * found by table_feasible can reach), and INF plus any of them stays
 * within int64 (an edge's two arcs always add up to what they began with).
 */
#define INF (INT64_C(1) << 62)

/*
 * A flow network: edge e has arcs 2e (forwards, from[e] to to[e]) and
 * 2e+1 (backwards); each node's arcs are listed in adj between
 * adj_start[node] and adj_start[node + 1], in arc order. A query changes
 * few arcs of a large network: it lists them in touched, and the next
 * query puts back only those.
 */
struct net {
	uint32_t nnodes;
	uint32_t nedges;
	uint32_t *from;
	uint32_t *to;
	uint32_t *adj_start;
	uint32_t *adj;
	int64_t *base;      /* per arc: residual capacity before a query */
	int64_t *cap;       /* per arc: during and after a query */
	bool *is_touched;   /* per arc: cap may differ from base */
	uint32_t *touched;
	uint32_t ntouched;
	int32_t *level;
	uint32_t *iter;
	uint32_t *queue;
};

/* A table as a network, with one table of counts that agrees with it. */
struct table {
	size_t rows;
	size_t cols;
	struct net net;
	size_t ncells;       /* edges 0 .. ncells-1 are cells, the rest totals */
	int64_t *value;      /* per edge */
	bool *suppressed;    /* per edge */
	size_t *grid;        /* per edge: its index in the published grid */
	uint32_t *edge_at;   /* per grid index: its edge, NO_EDGE for a repeat */
};

static uint32_t
arc_head(const struct net *n, uint32_t arc)
{
	return (arc & 1) ? n->from[arc >> 1] : n->to[arc >> 1];
}

static void
net_free(struct net *n)
{
	free(n->from);
	free(n->to);
	free(n->adj_start);
	free(n->adj);
	free(n->base);
	free(n->cap);
	free(n->is_touched);
	free(n->touched);
	free(n->level);
	free(n->iter);
	free(n->queue);
	memset(n, 0, sizeof *n);
}

/* Room for nnodes nodes and up to maxedges edges, none added yet. */
static int
net_alloc(struct net *n, uint32_t nnodes, uint32_t maxedges)
{
	memset(n, 0, sizeof *n);
	n->nnodes = nnodes;
	n->from = calloc(maxedges, sizeof *n->from);
	n->to = calloc(maxedges, sizeof *n->to);
	n->adj_start = calloc((size_t)nnodes + 1, sizeof *n->adj_start);
	n->adj = calloc(2 * (size_t)maxedges, sizeof *n->adj);
	n->base = calloc(2 * (size_t)maxedges, sizeof *n->base);
	n->cap = calloc(2 * (size_t)maxedges, sizeof *n->cap);
	n->is_touched = calloc(2 * (size_t)maxedges, sizeof *n->is_touched);
	n->touched = calloc(2 * (size_t)maxedges, sizeof *n->touched);
	n->level = calloc(nnodes, sizeof *n->level);
	n->iter = calloc(nnodes, sizeof *n->iter);
	n->queue = calloc(nnodes, sizeof *n->queue);
	if (n->from == NULL || n->to == NULL || n->adj_start == NULL || n->adj == NULL ||
	    n->base == NULL || n->cap == NULL || n->is_touched == NULL || n->touched == NULL ||
	    n->level == NULL || n->iter == NULL || n->queue == NULL) {
		net_free(n);
		return SP_ENOMEM;
	}
	return 0;
}

static uint32_t
net_add_edge(struct net *n, uint32_t from, uint32_t to)
{
	n->from[n->nedges] = from;
	n->to[n->nedges] = to;
	return n->nedges++;
}

/* Lists each node's arcs once every edge is added. */
static void
net_link(struct net *n)
{
	uint32_t a, node;

	memset(n->adj_start, 0, ((size_t)n->nnodes + 1) * sizeof *n->adj_start);
	for (a = 0; a < 2 * n->nedges; a++)
		n->adj_start[arc_head(n, a ^ 1) + 1]++;
	for (node = 0; node < n->nnodes; node++)
		n->adj_start[node + 1] += n->adj_start[node];
	memcpy(n->iter, n->adj_start, n->nnodes * sizeof *n->iter);
	for (a = 0; a < 2 * n->nedges; a++)
		n->adj[n->iter[arc_head(n, a ^ 1)]++] = a;
}

/* Sets arc a's capacity before any query (and so for the next one too). */
static void
net_set(struct net *n, uint32_t a, int64_t capacity)
{
	n->base[a] = n->cap[a] = capacity;
}

static void
net_touch(struct net *n, uint32_t a)
{
	if (!n->is_touched[a]) {
		n->is_touched[a] = true;
		n->touched[n->ntouched++] = a;
	}
}

/*
 * Breadth-first levels from src over arcs with room, up to dst's level;
 * whether dst is reached.
 */
static bool
net_levels(struct net *n, uint32_t src, uint32_t dst)
{
	uint32_t head = 0, tail = 0, i, u;

	for (u = 0; u < n->nnodes; u++)
		n->level[u] = -1;
	n->level[src] = 0;
	n->queue[tail++] = src;
	while (head < tail) {
		u = n->queue[head++];
		if (n->level[dst] >= 0 && n->level[u] >= n->level[dst])
			break;
		for (i = n->adj_start[u]; i < n->adj_start[u + 1]; i++) {
			uint32_t a = n->adj[i], v = arc_head(n, a);

			if (n->cap[a] > 0 && n->level[v] < 0) {
				n->level[v] = n->level[u] + 1;
				n->queue[tail++] = v;
			}
		}
	}
	return n->level[dst] >= 0;
}

/* Sends up to want along one path of the level graph; what it sent. */
static int64_t
net_push(struct net *n, uint32_t u, uint32_t dst, int64_t want)
{
	if (u == dst)
		return want;
	for (; n->iter[u] < n->adj_start[u + 1]; n->iter[u]++) {
		uint32_t a = n->adj[n->iter[u]], v = arc_head(n, a);
		int64_t sent;

		if (n->cap[a] <= 0 || n->level[v] != n->level[u] + 1)
			continue;
		sent = net_push(n, v, dst, want < n->cap[a] ? want : n->cap[a]);
		if (sent > 0) {
			net_touch(n, a);
			net_touch(n, a ^ 1);
			n->cap[a] -= sent;
			n->cap[a ^ 1] += sent;
			return sent;
		}
	}
	return 0;
}

/*
 * The maximum flow from src to dst (Dinic), but no more than limit, on the
 * base capacities without the arcs of edge skip (NO_EDGE: none). The
 * residual network is left in cap until the next query.
 */
static int64_t
net_maxflow(struct net *n, uint32_t src, uint32_t dst, uint32_t skip, int64_t limit)
{
	int64_t flow = 0, sent;

	while (n->ntouched > 0) {
		uint32_t a = n->touched[--n->ntouched];

		n->cap[a] = n->base[a];
		n->is_touched[a] = false;
	}
	if (skip != NO_EDGE) {
		net_touch(n, 2 * skip);
		net_touch(n, 2 * skip + 1);
		n->cap[2 * skip] = n->cap[2 * skip + 1] = 0;
	}
	while (flow < limit && net_levels(n, src, dst)) {
		memcpy(n->iter, n->adj_start, n->nnodes * sizeof *n->iter);
		while (flow < limit && (sent = net_push(n, src, dst, limit - flow)) > 0)
			flow += sent;
	}
	return flow;
}

static bool
is_oneway(size_t rows, size_t cols)
{
	return rows == 1 || cols == 1;
}

/*
 * The entry that grid index g repeats in a one-way table, or g itself
 * (see the header: cols == 1 takes precedence, so a 1 x 1 table repeats
 * its cell as row total and its grand total as column total).
 */
static size_t
entry_repeated(size_t rows, size_t cols, size_t g)
{
	size_t row = g / (cols + 1), col = g % (cols + 1);

	if (cols == 1) {
		if (col == 1 && row < rows)
			return sp_disclosure_index(cols, row, 0);
		if (row == rows && col == 0)
			return sp_disclosure_index(cols, rows, 1);
	} else if (rows == 1) {
		if (row == 1 && col < cols)
			return sp_disclosure_index(cols, 0, col);
		if (row == 0 && col == cols)
			return sp_disclosure_index(cols, 1, cols);
	}
	return g;
}

static void
table_free(struct table *t)
{
	net_free(&t->net);
	free(t->value);
	free(t->suppressed);
	free(t->grid);
	free(t->edge_at);
	memset(t, 0, sizeof *t);
}

static void
table_add(struct table *t, uint32_t from, uint32_t to, size_t row, size_t col)
{
	uint32_t e = net_add_edge(&t->net, from, to);

	t->grid[e] = sp_disclosure_index(t->cols, row, col);
	t->edge_at[t->grid[e]] = e;
}

/*
 * The network of a rows x cols table, edges in the order the complements
 * are chosen in: cells row by row, then row totals, column totals and the
 * grand total (a one-way table: its cells, then the grand total).
 */
static int
table_init(struct table *t, size_t rows, size_t cols)
{
	size_t nentries = SP_DISCLOSURE_ENTRIES(rows, cols), i, j;
	uint32_t nnodes, nedges;
	int r;

	memset(t, 0, sizeof *t);
	t->rows = rows;
	t->cols = cols;
	t->ncells = rows * cols;
	nnodes = is_oneway(rows, cols) ? 2 : (uint32_t)(2 + rows + cols);
	nedges = is_oneway(rows, cols) ? (uint32_t)t->ncells + 1 :
	    (uint32_t)(t->ncells + rows + cols + 1);
	if ((r = net_alloc(&t->net, nnodes, nedges)) != 0)
		return r;
	t->value = calloc(nedges, sizeof *t->value);
	t->suppressed = calloc(nedges, sizeof *t->suppressed);
	t->grid = calloc(nedges, sizeof *t->grid);
	t->edge_at = malloc(nentries * sizeof *t->edge_at);
	if (t->value == NULL || t->suppressed == NULL || t->grid == NULL || t->edge_at == NULL) {
		table_free(t);
		return SP_ENOMEM;
	}
	for (i = 0; i < nentries; i++)
		t->edge_at[i] = NO_EDGE;
	if (is_oneway(rows, cols)) {
		for (i = 0; i < t->ncells; i++)
			table_add(t, NODE_SOURCE, NODE_SINK, cols == 1 ? i : 0, cols == 1 ? 0 : i);
	} else {
		for (i = 0; i < rows; i++)
			for (j = 0; j < cols; j++)
				table_add(t, (uint32_t)(2 + i), (uint32_t)(2 + rows + j), i, j);
		for (i = 0; i < rows; i++)
			table_add(t, NODE_SOURCE, (uint32_t)(2 + i), i, cols);
		for (j = 0; j < cols; j++)
			table_add(t, (uint32_t)(2 + rows + j), NODE_SINK, rows, j);
	}
	table_add(t, NODE_SINK, NODE_SOURCE, rows, cols);
	net_link(&t->net);
	return 0;
}

/* Edge e's residual capacities in the table as it stands. */
static void
table_residual(struct table *t, uint32_t e)
{
	net_set(&t->net, 2 * e, t->suppressed[e] ? INF : 0);
	net_set(&t->net, 2 * e + 1, t->suppressed[e] ? t->value[e] - 1 : 0);
}

/*
 * Finds a table of counts that agrees with the grid (published entries at
 * their values, suppressed ones >= 1) into t->value: a circulation with
 * lower bounds, as a maximum flow from a new source to a new sink that
 * must fill every arc they have. SP_ETABLE_TOTALS when there is none.
 */
static int
table_feasible(struct table *t)
{
	const struct net *tn = &t->net;
	uint32_t src = tn->nnodes, dst = tn->nnodes + 1, e, node;
	int64_t *excess = NULL, need = 0;
	struct net f;
	int r;

	if ((r = net_alloc(&f, tn->nnodes + 2, tn->nedges + tn->nnodes)) != 0)
		return r;
	if ((excess = calloc(tn->nnodes, sizeof *excess)) == NULL) {
		r = SP_ENOMEM;
		goto out;
	}
	for (e = 0; e < tn->nedges; e++) {
		int64_t lower = t->suppressed[e] ? 1 : t->value[e];

		net_add_edge(&f, tn->from[e], tn->to[e]);
		net_set(&f, 2 * e, t->suppressed[e] ? INF : 0);
		excess[tn->to[e]] += lower;
		excess[tn->from[e]] -= lower;
	}
	for (node = 0; node < tn->nnodes; node++) {
		if (excess[node] > 0) {
			e = net_add_edge(&f, src, node);
			net_set(&f, 2 * e, excess[node]);
			need += excess[node];
		} else if (excess[node] < 0) {
			e = net_add_edge(&f, node, dst);
			net_set(&f, 2 * e, -excess[node]);
		}
	}
	net_link(&f);
	if (net_maxflow(&f, src, dst, NO_EDGE, need) < need) {
		r = SP_ETABLE_TOTALS;
		goto out;
	}
	for (e = 0; e < tn->nedges; e++)
		if (t->suppressed[e])
			t->value[e] = 1 + f.cap[2 * e + 1];
	r = 0;
out:
	free(excess);
	net_free(&f);
	return r;
}

/*
 * Whether suppressed edge e meets the criterion: it can reach k (a count
 * below k needs k - value more), or, at k already, it can move by one.
 */
static bool
table_protects(struct table *t, uint32_t e, unsigned k)
{
	struct net *n = &t->net;
	int64_t need = t->value[e] < (int64_t)k ? (int64_t)k - t->value[e] : 1;

	if (net_maxflow(n, n->to[e], n->from[e], e, need) >= need)
		return true;
	return t->value[e] >= (int64_t)k && net_maxflow(n, n->from[e], n->to[e], e, 1) >= 1;
}

static void
table_range(struct table *t, uint32_t e, sp_disclosure_range *range)
{
	struct net *n = &t->net;
	int64_t up;

	if (!t->suppressed[e]) {
		range->lo = range->hi = t->value[e];
		return;
	}
	up = net_maxflow(n, n->to[e], n->from[e], e, INF);
	range->hi = up >= INF ? SP_DISCLOSURE_UNBOUNDED : t->value[e] + up;
	range->lo = t->value[e] - net_maxflow(n, n->from[e], n->to[e], e, t->value[e] - 1);
}

static bool
range_protects(const sp_disclosure_range *range, unsigned k)
{
	return range->hi > range->lo && range->hi >= (int64_t)k;
}

/* What suppressing an entry costs: totals first, then cells, then counts. */
struct cost {
	uint32_t totals;
	uint32_t cells;
	int64_t count;
};

static int
cost_cmp(const struct cost *a, const struct cost *b)
{
	if (a->totals != b->totals)
		return a->totals < b->totals ? -1 : 1;
	if (a->cells != b->cells)
		return a->cells < b->cells ? -1 : 1;
	if (a->count != b->count)
		return a->count < b->count ? -1 : 1;
	return 0;
}

/*
 * Suppresses the cheapest set of published entries that closes a cycle
 * through suppressed edge e along which e can grow by need: a path from
 * the head of e back to its tail (Dijkstra, the cost of an entry paid when
 * the path uses it and it is published; a path may go against an edge
 * only where the edge's count can drop by need and stay >= 1). Zeros stay
 * published, so a path never uses one. Ties go to the path found first:
 * nodes are taken by index among equal costs and arcs in edge order.
 * Going back through the grand total, a row total and a column total
 * always closes such a cycle, so a path exists (else SP_EINTERNAL).
 */
static int
table_complete_cycle(struct table *t, uint32_t e, int64_t need)
{
	struct net *n = &t->net;
	uint32_t src = n->to[e], dst = n->from[e], node, u, i;
	struct cost *dist = NULL;
	uint32_t *via = NULL;
	bool *done = NULL;
	int r;

	dist = calloc(n->nnodes, sizeof *dist);
	via = malloc(n->nnodes * sizeof *via);
	done = calloc(n->nnodes, sizeof *done);
	if (dist == NULL || via == NULL || done == NULL) {
		r = SP_ENOMEM;
		goto out;
	}
	for (node = 0; node < n->nnodes; node++)
		via[node] = NO_EDGE;
	via[src] = 2 * e;
	for (;;) {
		u = NO_EDGE;
		for (node = 0; node < n->nnodes; node++)
			if (!done[node] && via[node] != NO_EDGE &&
			    (u == NO_EDGE || cost_cmp(&dist[node], &dist[u]) < 0))
				u = node;
		if (u == NO_EDGE) {
			r = SP_EINTERNAL;
			goto out;
		}
		if (u == dst)
			break;
		done[u] = true;
		for (i = n->adj_start[u]; i < n->adj_start[u + 1]; i++) {
			uint32_t a = n->adj[i], edge = a >> 1, v = arc_head(n, a);
			struct cost c = dist[u];

			if (edge == e || t->value[edge] == 0 || done[v] ||
			    ((a & 1) && t->value[edge] - 1 < need))
				continue;
			if (!t->suppressed[edge]) {
				if (edge < t->ncells)
					c.cells++;
				else
					c.totals++;
				c.count += t->value[edge];
			}
			if (via[v] == NO_EDGE || cost_cmp(&c, &dist[v]) < 0) {
				dist[v] = c;
				via[v] = a;
			}
		}
	}
	for (node = dst; node != src; node = arc_head(n, via[node] ^ 1)) {
		uint32_t edge = via[node] >> 1;

		t->suppressed[edge] = true;
		table_residual(t, edge);
	}
	r = 0;
out:
	free(dist);
	free(via);
	free(done);
	return r;
}

/*
 * Secondary suppression: each suppressed entry in edge order that does not
 * meet the criterion gets a cycle of complements. One pass suffices.
 * Suppressing an entry only adds tables that agree with the grid (its
 * value was >= 1), so an entry that meets the criterion keeps meeting it;
 * a complement added before the current entry lies on a cycle along which
 * it can move, and was published, so it is >= k. The ranges computed after
 * this prove it.
 */
static int
table_suppress(struct table *t, unsigned k)
{
	uint32_t e;
	int r;

	for (e = 0; e < t->net.nedges; e++) {
		if (!t->suppressed[e] || table_protects(t, e, k))
			continue;
		if ((r = table_complete_cycle(t, e, t->value[e] < (int64_t)k ?
		    (int64_t)k - t->value[e] : 1)) != 0)
			return r;
	}
	return 0;
}

/* Every entry's range into ranges (each repeat as the entry it repeats). */
static int
table_ranges(struct table *t, unsigned k, sp_disclosure_range *ranges)
{
	size_t nentries = SP_DISCLOSURE_ENTRIES(t->rows, t->cols), g;
	int r = 0;

	for (g = 0; g < nentries; g++) {
		uint32_t e = t->edge_at[g];

		if (e == NO_EDGE)
			continue;
		table_range(t, e, &ranges[g]);
		if (t->suppressed[e] && !range_protects(&ranges[g], k))
			r = SP_ETABLE_PINNED;
	}
	for (g = 0; g < nentries; g++)
		ranges[g] = ranges[entry_repeated(t->rows, t->cols, g)];
	return r;
}

/* The grid of cells (rows x cols, row-major) with their totals. */
static int
grid_totals(const int64_t *cells, size_t rows, size_t cols, int64_t *grid)
{
	size_t i, j;

	memset(grid, 0, SP_DISCLOSURE_ENTRIES(rows, cols) * sizeof *grid);
	for (i = 0; i < rows; i++) {
		for (j = 0; j < cols; j++) {
			int64_t v = cells[i * cols + j];

			grid[sp_disclosure_index(cols, i, j)] = v;
			if (__builtin_add_overflow(grid[sp_disclosure_index(cols, i, cols)], v,
			    &grid[sp_disclosure_index(cols, i, cols)]) ||
			    __builtin_add_overflow(grid[sp_disclosure_index(cols, rows, j)], v,
			    &grid[sp_disclosure_index(cols, rows, j)]) ||
			    __builtin_add_overflow(grid[sp_disclosure_index(cols, rows, cols)], v,
			    &grid[sp_disclosure_index(cols, rows, cols)]))
				return SP_ETOOBIG;
		}
	}
	return 0;
}

static bool
size_ok(size_t rows, size_t cols)
{
	return rows >= 1 && rows <= SP_DISCLOSURE_MAX_ROWS && cols >= 1 &&
	    cols <= SP_DISCLOSURE_MAX_COLS;
}

static bool
k_ok(unsigned k)
{
	return k >= SP_DISCLOSURE_K_MIN && k <= SP_DISCLOSURE_K_MAX;
}

static void
ranges_clear(sp_disclosure_range *ranges, size_t nentries)
{
	size_t g;

	for (g = 0; ranges != NULL && g < nentries; g++) {
		ranges[g].lo = 0;
		ranges[g].hi = SP_DISCLOSURE_UNBOUNDED;
	}
}

int
sp_disclosure_protect(const int64_t *counts, size_t rows, size_t cols, unsigned k,
    int64_t *published, sp_disclosure_range *ranges)
{
	size_t nentries, g;
	int64_t *grid = NULL, total = 0;
	sp_disclosure_range *found = NULL;
	struct table t;
	uint32_t e;
	int r;

	memset(&t, 0, sizeof t);
	if (!size_ok(rows, cols))
		return SP_ETABLE_SIZE;
	nentries = SP_DISCLOSURE_ENTRIES(rows, cols);
	for (g = 0; g < nentries; g++)
		published[g] = SP_DISCLOSURE_SUPPRESSED;
	ranges_clear(ranges, nentries);
	if (!k_ok(k))
		return SP_ETABLE_K;
	for (g = 0; g < rows * cols; g++) {
		if (counts[g] < 0 || counts[g] > SP_DISCLOSURE_MAX_COUNT - total)
			return SP_ETABLE_COUNT;
		total += counts[g];
	}
	grid = malloc(nentries * sizeof *grid);
	found = malloc(nentries * sizeof *found);
	if (grid == NULL || found == NULL) {
		r = SP_ENOMEM;
		goto out;
	}
	if ((r = grid_totals(counts, rows, cols, grid)) != 0 ||
	    (r = table_init(&t, rows, cols)) != 0)
		goto out;
	for (e = 0; e < t.net.nedges; e++) {
		t.value[e] = grid[t.grid[e]];
		t.suppressed[e] = t.value[e] >= 1 && t.value[e] < (int64_t)k;
		table_residual(&t, e);
	}
	if ((r = table_suppress(&t, k)) != 0)
		goto out;
	/* The suppression above leaves every entry protected; this proves it. */
	if (table_ranges(&t, k, found) != 0) {
		r = SP_EINTERNAL;
		goto out;
	}
	for (g = 0; g < nentries; g++) {
		e = t.edge_at[entry_repeated(rows, cols, g)];
		published[g] = t.suppressed[e] ? SP_DISCLOSURE_SUPPRESSED : t.value[e];
	}
	if (ranges != NULL)
		memcpy(ranges, found, nentries * sizeof *ranges);
	r = 0;
out:
	if (r != 0)
		for (g = 0; g < nentries; g++)
			published[g] = SP_DISCLOSURE_SUPPRESSED;
	table_free(&t);
	free(grid);
	free(found);
	return r;
}

/*
 * Checks a grid's entries one by one: each a count or suppressed
 * (SP_ETABLE_COUNT), each repeat equal to the entry it repeats
 * (SP_ETABLE_TOTALS), no count from 1 to k-1 (SP_ETABLE_SMALL).
 */
static int
grid_check(const int64_t *published, size_t rows, size_t cols, unsigned k)
{
	size_t nentries = SP_DISCLOSURE_ENTRIES(rows, cols), g;

	for (g = 0; g < nentries; g++)
		if (published[g] != SP_DISCLOSURE_SUPPRESSED &&
		    (published[g] < 0 || published[g] > SP_DISCLOSURE_MAX_COUNT))
			return SP_ETABLE_COUNT;
	for (g = 0; g < nentries; g++)
		if (published[g] != published[entry_repeated(rows, cols, g)])
			return SP_ETABLE_TOTALS;
	for (g = 0; g < nentries; g++)
		if (published[g] >= 1 && published[g] < (int64_t)k)
			return SP_ETABLE_SMALL;
	return 0;
}

int
sp_disclosure_audit(const int64_t *published, size_t rows, size_t cols, unsigned k,
    sp_disclosure_range *ranges)
{
	size_t nentries;
	sp_disclosure_range *found = NULL;
	struct table t;
	uint32_t e;
	int r;

	memset(&t, 0, sizeof t);
	if (!size_ok(rows, cols))
		return SP_ETABLE_SIZE;
	nentries = SP_DISCLOSURE_ENTRIES(rows, cols);
	ranges_clear(ranges, nentries);
	if (!k_ok(k))
		return SP_ETABLE_K;
	if ((r = grid_check(published, rows, cols, k)) != 0)
		return r;
	if ((found = malloc(nentries * sizeof *found)) == NULL)
		return SP_ENOMEM;
	if ((r = table_init(&t, rows, cols)) != 0)
		goto out;
	for (e = 0; e < t.net.nedges; e++) {
		t.suppressed[e] = published[t.grid[e]] == SP_DISCLOSURE_SUPPRESSED;
		t.value[e] = t.suppressed[e] ? 0 : published[t.grid[e]];
	}
	if ((r = table_feasible(&t)) != 0)
		goto out;
	for (e = 0; e < t.net.nedges; e++)
		table_residual(&t, e);
	if ((r = table_ranges(&t, k, found)) != 0)
		goto out;
	if (ranges != NULL)
		memcpy(ranges, found, nentries * sizeof *ranges);
	r = 0;
out:
	table_free(&t);
	free(found);
	return r;
}

int
sp_disclosure_sums(const int64_t *published, size_t rows, size_t cols,
    const int64_t *cell_sums, sp_disclosure_sum *sums)
{
	size_t nentries, g;
	int64_t *grid = NULL;
	int r;

	if (!size_ok(rows, cols))
		return SP_ETABLE_SIZE;
	nentries = SP_DISCLOSURE_ENTRIES(rows, cols);
	for (g = 0; g < nentries; g++) {
		sums[g].suppressed = true;
		sums[g].value = 0;
	}
	for (g = 0; g < nentries; g++)
		if (published[g] != SP_DISCLOSURE_SUPPRESSED &&
		    (published[g] < 0 || published[g] > SP_DISCLOSURE_MAX_COUNT))
			return SP_ETABLE_COUNT;
	if ((grid = malloc(nentries * sizeof *grid)) == NULL)
		return SP_ENOMEM;
	if ((r = grid_totals(cell_sums, rows, cols, grid)) != 0)
		goto out;
	for (g = 0; g < nentries; g++) {
		if (published[g] == SP_DISCLOSURE_SUPPRESSED)
			continue;
		sums[g].suppressed = false;
		sums[g].value = grid[g];
	}
	r = 0;
out:
	free(grid);
	return r;
}
