/*
 * test_disclosure_property.c - thousands of small random tables, each
 * protected and then attacked by brute force, with none of the module's
 * flow reasoning: going through every table of counts that agrees with
 * the published grid finds which values each hidden entry can take. Every
 * hidden entry must keep at least two, one of them k or more, and the
 * range the module states must be exactly the values found. A second run
 * audits random suppression patterns (not the module's) and compares the
 * audit's verdict and ranges with the brute force.
 *
 * The seed is fixed and printed; SP_SEED=N replays another.
 */
#include "sp_test.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "disclosure.h"
#include "sp_err.h"

#define S SP_DISCLOSURE_SUPPRESSED
#define U SP_DISCLOSURE_UNBOUNDED
#define MAX_ROWS 4
#define MAX_COLS 3
#define MAX_CELLS (MAX_ROWS * MAX_COLS)
#define MAX_ENTRIES ((MAX_ROWS + 1) * (MAX_COLS + 1))
#define NO_ENTRY MAX_ENTRIES
#define TABLES 4000
#define PATTERNS 3000
#define DEFAULT_SEED UINT64_C(20261110)

static uint64_t
next_random(uint64_t *s)
{
	/* splitmix64: the same sequence on every platform. */
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static int64_t
random_below(uint64_t *s, uint64_t n)
{
	return (int64_t)(next_random(s) % n);
}

/* A count from 0 to 12, zeros and small counts more likely than large ones. */
static int64_t
random_count(uint64_t *s)
{
	switch (random_below(s, 8)) {
	case 0:
	case 1:
		return 0;
	case 2:
	case 3:
	case 4:
		return 1 + random_below(s, 4);
	default:
		return 1 + random_below(s, 12);
	}
}

/* A table, its true grid and its published grid. */
struct case_ {
	size_t rows;
	size_t cols;
	unsigned k;
	int64_t cells[MAX_CELLS];
	int64_t truth[MAX_ENTRIES];
	int64_t published[MAX_ENTRIES];
};

/* The grid of a table: cells, then every total by adding them up. */
static void
grid_of(const int64_t *cells, size_t rows, size_t cols, int64_t *grid)
{
	size_t i, j;

	memset(grid, 0, SP_DISCLOSURE_ENTRIES(rows, cols) * sizeof *grid);
	for (i = 0; i < rows; i++) {
		for (j = 0; j < cols; j++) {
			int64_t v = cells[i * cols + j];

			grid[sp_disclosure_index(cols, i, j)] = v;
			grid[sp_disclosure_index(cols, i, cols)] += v;
			grid[sp_disclosure_index(cols, rows, j)] += v;
			grid[sp_disclosure_index(cols, rows, cols)] += v;
		}
	}
}

/* Whether grid entry g adds up cell i (a cell adds up itself). */
static bool
includes(const struct case_ *c, size_t g, size_t i)
{
	size_t row = g / (c->cols + 1), col = g % (c->cols + 1);

	return (row == c->rows || row == i / c->cols) && (col == c->cols || col == i % c->cols);
}

static int64_t
published_cell(const struct case_ *c, size_t i)
{
	return c->published[sp_disclosure_index(c->cols, i / c->cols, i % c->cols)];
}

/*
 * A set of states: open addressing on 64-bit keys, with the keys also
 * listed in insertion order.
 */
struct set {
	uint64_t *slot;
	uint64_t *keys;
	size_t n;
	size_t cap;            /* of slot, a power of two */
};

#define EMPTY UINT64_MAX

static void
set_free(struct set *s)
{
	free(s->slot);
	free(s->keys);
	memset(s, 0, sizeof *s);
}

static bool set_add(struct set *s, uint64_t key);

static void
set_grow(struct set *s)
{
	struct set bigger = { 0 };
	size_t i;

	bigger.cap = s->cap != 0 ? 2 * s->cap : 64;
	bigger.slot = malloc(bigger.cap * sizeof *bigger.slot);
	bigger.keys = malloc(bigger.cap / 2 * sizeof *bigger.keys);
	assert_non_null(bigger.slot);
	assert_non_null(bigger.keys);
	for (i = 0; i < bigger.cap; i++)
		bigger.slot[i] = EMPTY;
	for (i = 0; i < s->n; i++)
		set_add(&bigger, s->keys[i]);
	set_free(s);
	*s = bigger;
}

static size_t
set_find(const struct set *s, uint64_t key)
{
	uint64_t h = key * UINT64_C(0x9e3779b97f4a7c15);
	size_t i = (size_t)(h ^ h >> 29 ^ h >> 43) & (s->cap - 1);

	while (s->slot[i] != EMPTY && s->slot[i] != key)
		i = (i + 1) & (s->cap - 1);
	return i;
}

static bool
set_has(const struct set *s, uint64_t key)
{
	return s->cap != 0 && s->slot[set_find(s, key)] == key;
}

/* Adds key; whether it was new. */
static bool
set_add(struct set *s, uint64_t key)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap)
		set_grow(s);
	i = set_find(s, key);
	if (s->slot[i] == key)
		return false;
	s->slot[i] = key;
	s->keys[s->n++] = key;
	return true;
}

/*
 * The brute force, a dynamic programme that amounts to enumerating every
 * table of counts that agrees with the published grid: its own grid has
 * every published entry's value and every hidden entry >= 1 (a zero would
 * have been published). Cells are filled in order, published ones at their
 * value, hidden ones from 1 to the least published entry that includes
 * them. A state after some cells is what the rest can still depend on: the
 * column sums so far and the current row's sum. The tables are the paths
 * through the states; a path is cut as soon as a published entry is
 * exceeded, or will be by the least its remaining cells add, or a
 * finished entry misses its value. Forwards, every state a valid start
 * reaches: the last layer gives every column total and the grand total
 * their possible values. Backwards, the states from which a valid end
 * follows; every step between the two is on some agreeing table, and
 * gives its cell, and at a row's end its row total, one possible value.
 *
 * A hidden cell that no published entry includes is free: it changes only
 * hidden entries, and only upwards, so in any agreeing table it can be set
 * to anything >= 1 and the table still agrees. Free cells are filled with
 * 1 only: what they add to an entry is then the least they can, and an
 * entry that includes one takes every value from its least up, without
 * bound. Every other cell is at most a published entry, so an entry with
 * no free cell is bounded.
 */
#define VALUES 2048           /* above any sum in these tables */

struct brute {
	bool unbounded[MAX_ENTRIES];
	uint64_t seen[MAX_ENTRIES][VALUES / 64];   /* values found, as bits */
	int64_t least[MAX_ENTRIES];                /* -1: no table agrees */
	int64_t most[MAX_ENTRIES];                 /* U when unbounded */
	uint64_t steps;
};

static void
brute_mark(struct brute *b, size_t g, int64_t v)
{
	b->seen[g][v / 64] |= UINT64_C(1) << (v % 64);
}

static bool
brute_seen(const struct brute *b, size_t g, int64_t v)
{
	return v >= 0 && v < VALUES && (b->seen[g][v / 64] >> (v % 64) & 1);
}

/* A state: the column sums so far (16 bits each), then the row's sum. */
static uint64_t
state_pack(const int64_t *col, size_t cols, int64_t row)
{
	uint64_t key = (uint64_t)row;
	size_t j;

	for (j = 0; j < cols; j++)
		key = key << 16 | (uint64_t)col[j];
	return key;
}

static void
state_unpack(uint64_t key, size_t cols, int64_t *col, int64_t *row)
{
	size_t j;

	for (j = cols; j-- > 0; key >>= 16)
		col[j] = (int64_t)(key & 0xffff);
	*row = (int64_t)key;
}

/* Whether an entry may have value v: its published value, or >= 1 when hidden. */
static bool
entry_fits(const struct case_ *c, size_t g, int64_t v)
{
	return c->published[g] == S ? v >= 1 : v == c->published[g];
}

/*
 * Per entry and position, the least the cells from there on add to it (a
 * published cell its count, a hidden one 1), and whether one of them is
 * hidden.
 */
struct rest {
	int64_t least[MAX_ENTRIES][MAX_CELLS + 1];
	bool open[MAX_ENTRIES][MAX_CELLS + 1];
};

static void
rest_init(const struct case_ *c, struct rest *r)
{
	size_t n = SP_DISCLOSURE_ENTRIES(c->rows, c->cols), g, i;

	memset(r, 0, sizeof *r);
	for (g = 0; g < n; g++) {
		for (i = c->rows * c->cols; i-- > 0;) {
			int64_t p = published_cell(c, i);

			r->least[g][i] = r->least[g][i + 1];
			r->open[g][i] = r->open[g][i + 1];
			if (includes(c, g, i)) {
				r->least[g][i] += p == S ? 1 : p;
				r->open[g][i] = r->open[g][i] || p == S;
			}
		}
	}
}

/*
 * What the sum so far of entry g, after cell i, says: STEP_OVER when with
 * the least the cells after i add it exceeds its published value;
 * STEP_MISS when it falls short and no hidden cell of it is left.
 */
enum step { STEP_OK, STEP_MISS, STEP_OVER };

static enum step
entry_check(const struct case_ *c, const struct rest *r, size_t g, size_t i, int64_t sum)
{
	int64_t least = sum + r->least[g][i + 1];

	if (c->published[g] == S)
		return least >= VALUES ? STEP_OVER : STEP_OK;
	if (least > c->published[g])
		return STEP_OVER;
	return least < c->published[g] && !r->open[g][i + 1] ? STEP_MISS : STEP_OK;
}

/*
 * Cell i set to v in state from: STEP_OK with the next state in to, or
 * no agreeing table follows: STEP_MISS, or STEP_OVER when it would not
 * with any larger v either. At a row's end *row_total gets the row's sum.
 */
static enum step
brute_step(const struct case_ *c, const struct rest *r, size_t i, uint64_t from, int64_t v,
    uint64_t *to, int64_t *row_total)
{
	size_t row = i / c->cols, col = i % c->cols, g, j;
	int64_t cols[MAX_COLS] = { 0 }, sum, all = 0;
	enum step step, e;

	state_unpack(from, c->cols, cols, &sum);
	cols[col] += v;
	sum += v;
	for (j = 0; j < c->cols; j++)
		all += cols[j];
	step = entry_check(c, r, sp_disclosure_index(c->cols, c->rows, col), i, cols[col]);
	e = entry_check(c, r, sp_disclosure_index(c->cols, row, c->cols), i, sum);
	step = e > step ? e : step;
	e = entry_check(c, r, sp_disclosure_index(c->cols, c->rows, c->cols), i, all);
	step = e > step ? e : step;
	if (step != STEP_OK)
		return step;
	if (col == c->cols - 1) {
		if (!entry_fits(c, sp_disclosure_index(c->cols, row, c->cols), sum))
			return STEP_MISS;
		*row_total = sum;
		sum = 0;
	}
	if (i == c->rows * c->cols - 1) {
		for (j = 0; j < c->cols; j++) {
			g = sp_disclosure_index(c->cols, c->rows, j);
			if (!entry_fits(c, g, cols[j]))
				return STEP_MISS;
		}
		if (!entry_fits(c, sp_disclosure_index(c->cols, c->rows, c->cols), all))
			return STEP_MISS;
	}
	*to = state_pack(cols, c->cols, sum);
	return STEP_OK;
}

/* The values cell i is tried at: its count, 1 when free, else 1 to its bound. */
static void
cell_values(const struct case_ *c, size_t i, int64_t *first, int64_t *last, bool *free_cell)
{
	size_t n = SP_DISCLOSURE_ENTRIES(c->rows, c->cols), g;

	*free_cell = false;
	if (published_cell(c, i) != S) {
		*first = *last = published_cell(c, i);
		return;
	}
	*first = 1;
	*last = -1;
	for (g = 0; g < n; g++)
		if (c->published[g] != S && includes(c, g, i) && (*last < 0 || c->published[g] < *last))
			*last = c->published[g];
	if (*last < 0) {
		*free_cell = true;
		*last = 1;
	}
}

/* Every value of every entry over the tables that agree with the grid. */
static void
brute_force(const struct case_ *c, struct brute *b)
{
	size_t ncells = c->rows * c->cols, n = SP_DISCLOSURE_ENTRIES(c->rows, c->cols), g, i, j, s;
	struct set reach[MAX_CELLS + 1], alive[MAX_CELLS + 1];
	int64_t first[MAX_CELLS], last[MAX_CELLS], cols[MAX_COLS] = { 0 }, v, row_total = 0, sum;
	bool free_cell[MAX_CELLS];
	static struct rest r;
	uint64_t to;

	memset(b, 0, sizeof *b);
	rest_init(c, &r);
	memset(reach, 0, sizeof reach);
	memset(alive, 0, sizeof alive);
	for (i = 0; i < ncells; i++) {
		cell_values(c, i, &first[i], &last[i], &free_cell[i]);
		for (g = 0; g < n; g++)
			b->unbounded[g] = b->unbounded[g] || (free_cell[i] && includes(c, g, i));
	}
	set_add(&reach[0], state_pack(cols, c->cols, 0));
	for (i = 0; i < ncells; i++) {
		for (s = 0; s < reach[i].n; s++) {
			for (v = first[i]; v <= last[i]; v++) {
				enum step step = brute_step(c, &r, i, reach[i].keys[s], v, &to,
				    &row_total);

				b->steps++;
				if (step == STEP_OVER)
					break;
				if (step == STEP_OK)
					set_add(&reach[i + 1], to);
			}
		}
	}
	for (s = 0; s < reach[ncells].n; s++) {
		set_add(&alive[ncells], reach[ncells].keys[s]);
		state_unpack(reach[ncells].keys[s], c->cols, cols, &sum);
		for (j = 0, sum = 0; j < c->cols; sum += cols[j], j++)
			brute_mark(b, sp_disclosure_index(c->cols, c->rows, j), cols[j]);
		brute_mark(b, sp_disclosure_index(c->cols, c->rows, c->cols), sum);
	}
	for (i = ncells; i-- > 0;) {
		for (s = 0; s < reach[i].n; s++) {
			bool ends = false;

			for (v = first[i]; v <= last[i]; v++) {
				enum step step = brute_step(c, &r, i, reach[i].keys[s], v, &to,
				    &row_total);

				b->steps++;
				if (step == STEP_OVER)
					break;
				if (step == STEP_MISS || !set_has(&alive[i + 1], to))
					continue;
				ends = true;
				brute_mark(b, sp_disclosure_index(c->cols, i / c->cols, i % c->cols), v);
				if (i % c->cols == c->cols - 1)
					brute_mark(b, sp_disclosure_index(c->cols, i / c->cols, c->cols),
					    row_total);
			}
			if (ends)
				set_add(&alive[i], reach[i].keys[s]);
		}
	}
	for (g = 0; g < n; g++) {
		b->least[g] = b->most[g] = -1;
		for (j = 0; j < VALUES / 64; j++) {
			if (b->seen[g][j] == 0)
				continue;
			if (b->least[g] < 0)
				b->least[g] = (int64_t)(64 * j) + __builtin_ctzll(b->seen[g][j]);
			b->most[g] = (int64_t)(64 * j) + 63 - __builtin_clzll(b->seen[g][j]);
		}
		if (b->unbounded[g])
			b->most[g] = U;
	}
	for (i = 0; i <= ncells; i++) {
		set_free(&reach[i]);
		set_free(&alive[i]);
	}
}

/* Whether hidden entry g can take two values, one of them k or more. */
static bool
brute_protects(const struct case_ *c, const struct brute *b, size_t g)
{
	return b->most[g] >= (int64_t)c->k && b->most[g] > b->least[g];
}

/*
 * Whether the brute force agrees with the stated range of entry g: the
 * least and greatest value found, and every value between (when
 * unbounded, the values found run from the least, and the free cells give
 * every larger one).
 */
static bool
brute_range(const struct brute *b, size_t g, const sp_disclosure_range *r)
{
	int64_t v, top;

	if (r->lo != b->least[g] || r->hi != b->most[g])
		return false;
	top = b->unbounded[g] ? r->lo : r->hi;
	for (v = r->lo; v <= top; v++)
		if (!brute_seen(b, g, v))
			return false;
	return true;
}

static void
print_case(const struct case_ *c, const sp_disclosure_range *module)
{
	size_t i, j;

	fprintf(stderr, "table %zu x %zu, k = %u (true | published | stated range):\n",
	    c->rows, c->cols, c->k);
	for (i = 0; i <= c->rows; i++) {
		for (j = 0; j <= c->cols; j++) {
			size_t g = sp_disclosure_index(c->cols, i, j);

			fprintf(stderr, "  %3" PRId64 " | %3" PRId64, c->truth[g], c->published[g]);
			if (module != NULL)
				fprintf(stderr, " | [%" PRId64 ",%" PRId64 "]", module[g].lo,
				    module[g].hi);
		}
		fprintf(stderr, "\n");
	}
}

static uint64_t
seed_from_env(void)
{
	const char *s = getenv("SP_SEED");

	return s != NULL ? strtoull(s, NULL, 0) : DEFAULT_SEED;
}

static void
random_case(struct case_ *c, uint64_t *seed)
{
	size_t i;

	memset(c, 0, sizeof *c);
	c->rows = 1 + (size_t)random_below(seed, MAX_ROWS);
	c->cols = 1 + (size_t)random_below(seed, MAX_COLS);
	c->k = 3 + (unsigned)random_below(seed, 4);
	for (i = 0; i < c->rows * c->cols; i++)
		c->cells[i] = random_count(seed);
	grid_of(c->cells, c->rows, c->cols, c->truth);
}

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* What the random tables exercised. */
struct stats {
	size_t hidden;
	size_t unbounded;
	uint64_t steps;
};

/*
 * One random table, protected: nothing from 1 to k-1 published, every
 * published entry true with the range [value, value]; every hidden entry
 * truly >= 1, with two values or more, one >= k, its stated range exactly
 * the values the brute force finds; the hub's audit gives the same
 * ranges; the same table gives the same grid again.
 */
static void
check_protected(struct case_ *c, struct stats *st)
{
	size_t n = SP_DISCLOSURE_ENTRIES(c->rows, c->cols), g;
	sp_disclosure_range module[MAX_ENTRIES], audited[MAX_ENTRIES];
	static struct brute b;
	int64_t again[MAX_ENTRIES];
	bool ok = true;

	assert_int_equal(sp_disclosure_protect(c->cells, c->rows, c->cols, c->k, c->published,
	    module), 0);
	brute_force(c, &b);
	st->steps += b.steps;
	for (g = 0; ok && g < n; g++) {
		if (c->published[g] != S) {
			ok = c->published[g] == c->truth[g] && module[g].lo == c->truth[g] &&
			    module[g].hi == c->truth[g] &&
			    (c->truth[g] == 0 || c->truth[g] >= (int64_t)c->k);
			continue;
		}
		st->hidden++;
		st->unbounded += module[g].hi == U;
		ok = c->truth[g] >= 1 && brute_protects(c, &b, g) && brute_range(&b, g, &module[g]);
	}
	if (!ok)
		print_case(c, module);
	assert_true(ok);
	assert_int_equal(sp_disclosure_audit(c->published, c->rows, c->cols, c->k, audited), 0);
	assert_memory_equal(audited, module, n * sizeof *module);
	assert_int_equal(sp_disclosure_protect(c->cells, c->rows, c->cols, c->k, again, NULL), 0);
	assert_memory_equal(again, c->published, n * sizeof *again);
}

static void
test_random_tables(void **state)
{
	uint64_t seed = seed_from_env(), s = seed;
	struct stats st = { 0 };
	struct timespec t0;
	struct case_ c;
	size_t t;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (t = 0; t < TABLES; t++) {
		random_case(&c, &s);
		check_protected(&c, &st);
	}
	fprintf(stderr, "# seed %" PRIu64 " (SP_SEED): %d tables, %zu hidden entries "
	    "(%zu unbounded), %" PRIu64 " brute-force steps, %.2f s\n", seed, TABLES,
	    st.hidden, st.unbounded, st.steps, seconds_since(&t0));
	/* The tables exercise what they are meant to: many hidden, some unbounded. */
	assert_true(st.hidden > TABLES && st.unbounded > TABLES / 20);
}

/*
 * The entry a one-way table's entry g repeats (disclosure.h): with one
 * column a row total is its cell and the column total the grand total;
 * with one row (and more columns) a column total is its cell and the row
 * total the grand total.
 */
static size_t
repeated(const struct case_ *c, size_t g)
{
	size_t row = g / (c->cols + 1), col = g % (c->cols + 1);

	if (c->cols == 1 && col == 1 && row < c->rows)
		return sp_disclosure_index(1, row, 0);
	if (c->cols == 1 && row == c->rows)
		return sp_disclosure_index(1, c->rows, 1);
	if (c->rows == 1 && row == 1 && col < c->cols)
		return sp_disclosure_index(c->cols, 0, col);
	if (c->rows == 1 && col == c->cols)
		return sp_disclosure_index(c->cols, 1, c->cols);
	return g;
}

/*
 * Random suppression patterns a hub could receive: every count from 1 to
 * k-1 hidden (else the audit refuses it for that alone), each other
 * non-zero entry hidden with probability 1/3, repeats as what they repeat.
 * The audit must accept exactly the patterns in which the brute force
 * finds every hidden entry protected, and then state the ranges it finds.
 */
static void
test_random_patterns(void **state)
{
	uint64_t seed = seed_from_env() + 1, s = seed;
	sp_disclosure_range module[MAX_ENTRIES];
	size_t t, g, n, accepted = 0, refused = 0;
	static struct brute b;
	struct timespec t0;
	struct case_ c;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (t = 0; t < PATTERNS; t++) {
		bool protects = true, ranges_ok = true;
		int r;

		random_case(&c, &s);
		n = SP_DISCLOSURE_ENTRIES(c.rows, c.cols);
		for (g = 0; g < n; g++) {
			bool hide = c.truth[g] != 0 &&
			    (c.truth[g] < (int64_t)c.k || random_below(&s, 3) == 0);

			c.published[g] = hide ? S : c.truth[g];
		}
		for (g = 0; g < n; g++)
			c.published[g] = c.published[repeated(&c, g)];
		brute_force(&c, &b);
		for (g = 0; g < n; g++)
			if (c.published[g] == S)
				protects = protects && brute_protects(&c, &b, g);
		r = sp_disclosure_audit(c.published, c.rows, c.cols, c.k, module);
		for (g = 0; r == 0 && g < n; g++)
			if (c.published[g] == S)
				ranges_ok = ranges_ok && brute_range(&b, g, &module[g]);
		if (r != (protects ? 0 : SP_ETABLE_PINNED) || !ranges_ok)
			print_case(&c, r == 0 ? module : NULL);
		assert_int_equal(r, protects ? 0 : SP_ETABLE_PINNED);
		assert_true(ranges_ok);
		accepted += r == 0;
		refused += r != 0;
	}
	fprintf(stderr, "# seed %" PRIu64 ": %d patterns, %zu accepted, %zu refused, %.2f s\n",
	    seed, PATTERNS, accepted, refused, seconds_since(&t0));
	assert_true(accepted > PATTERNS / 10 && refused > PATTERNS / 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_tables),
		cmocka_unit_test(test_random_patterns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
