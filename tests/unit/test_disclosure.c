/*
 * test_disclosure.c - disclosure control for summaries, by hand: tables
 * whose published grid and ranges are worked out in the comments, the
 * patterns a hub must refuse, errors, determinism, and the largest table.
 * test_disclosure_property.c checks thousands of random tables against a
 * brute-force enumeration.
 */
#include "sp_test.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "disclosure.h"
#include "sp_err.h"

#define S SP_DISCLOSURE_SUPPRESSED
#define U SP_DISCLOSURE_UNBOUNDED
#define MAXG SP_DISCLOSURE_ENTRIES(SP_DISCLOSURE_MAX_ROWS, SP_DISCLOSURE_MAX_COLS)

/* What a test expects of one table: its grid and each entry's range. */
struct expect {
	size_t rows;
	size_t cols;
	unsigned k;
	const int64_t *counts;
	const int64_t *published;        /* (rows + 1) x (cols + 1) */
	const sp_disclosure_range *ranges;
};

static void
print_grid(const char *what, const int64_t *grid, size_t rows, size_t cols)
{
	size_t i, j;

	fprintf(stderr, "%s:\n", what);
	for (i = 0; i <= rows; i++) {
		for (j = 0; j <= cols; j++) {
			int64_t v = grid[sp_disclosure_index(cols, i, j)];

			if (v == S)
				fprintf(stderr, "    S");
			else
				fprintf(stderr, " %4lld", (long long)v);
		}
		fprintf(stderr, "\n");
	}
}

/*
 * Protects the table, compares grid and ranges with what is expected, and
 * has the hub's audit of the grid give the same ranges.
 */
static void
check_table(const struct expect *x)
{
	size_t n = SP_DISCLOSURE_ENTRIES(x->rows, x->cols), g;
	static int64_t published[MAXG];
	static sp_disclosure_range ranges[MAXG], audited[MAXG];

	assert_int_equal(sp_disclosure_protect(x->counts, x->rows, x->cols, x->k, published,
	    ranges), 0);
	if (memcmp(published, x->published, n * sizeof *published) != 0) {
		print_grid("expected", x->published, x->rows, x->cols);
		print_grid("published", published, x->rows, x->cols);
		fail();
	}
	for (g = 0; g < n; g++) {
		if (ranges[g].lo != x->ranges[g].lo || ranges[g].hi != x->ranges[g].hi) {
			fprintf(stderr, "entry %zu: range [%lld, %lld], expected [%lld, %lld]\n", g,
			    (long long)ranges[g].lo, (long long)ranges[g].hi,
			    (long long)x->ranges[g].lo, (long long)x->ranges[g].hi);
			fail();
		}
	}
	assert_int_equal(sp_disclosure_audit(published, x->rows, x->cols, x->k, audited), 0);
	assert_memory_equal(audited, ranges, n * sizeof *ranges);
}

#define R(lo, hi) { lo, hi }
#define P(v) { v, v }

/*
 * One-way, one small cell: 3 is hidden, and so is the smallest other count
 * (7, not 12), or the total would give it away. Then x0 + x1 = 10 with
 * both >= 1: each is 1..9. A one-way grid repeats each cell as its row
 * total and the grand total as the column total.
 */
static void
test_oneway_complement(void **state)
{
	static const int64_t counts[] = { 3, 7, 12 };
	static const int64_t published[] = {
		S, S,
		S, S,
		12, 12,
		22, 22,
	};
	static const sp_disclosure_range ranges[] = {
		R(1, 9), R(1, 9),
		R(1, 9), R(1, 9),
		P(12), P(12),
		P(22), P(22),
	};
	const struct expect x = { 3, 1, 5, counts, published, ranges };

	(void)state;
	check_table(&x);
}

/* The same table as one row: column totals repeat the cells. */
static void
test_oneway_as_a_row(void **state)
{
	static const int64_t counts[] = { 3, 7, 12 };
	static const int64_t published[] = {
		S, S, 12, 22,
		S, S, 12, 22,
	};
	static const sp_disclosure_range ranges[] = {
		R(1, 9), R(1, 9), P(12), P(22),
		R(1, 9), R(1, 9), P(12), P(22),
	};
	const struct expect x = { 1, 3, 5, counts, published, ranges };

	(void)state;
	check_table(&x);
}

/*
 * Two small cells: hiding both is not enough (x0 + x1 = 4 would put each
 * at 1..3, below k), so the smallest count that can give 3 more joins
 * them: x0 + x1 + x2 = 14, each 1..12.
 */
static void
test_oneway_two_small(void **state)
{
	static const int64_t counts[] = { 2, 2, 10, 20 };
	static const int64_t published[] = {
		S, S,
		S, S,
		S, S,
		20, 20,
		34, 34,
	};
	static const sp_disclosure_range ranges[] = {
		R(1, 12), R(1, 12),
		R(1, 12), R(1, 12),
		R(1, 12), R(1, 12),
		P(20), P(20),
		P(34), P(34),
	};
	const struct expect x = { 4, 1, 5, counts, published, ranges };

	(void)state;
	check_table(&x);
}

/* Two equal candidates (7 and 7): the first by position is hidden. */
static void
test_oneway_tie_by_position(void **state)
{
	static const int64_t counts[] = { 3, 7, 7 };
	static const int64_t published[] = {
		S, S,
		S, S,
		7, 7,
		17, 17,
	};
	static const sp_disclosure_range ranges[] = {
		R(1, 9), R(1, 9),
		R(1, 9), R(1, 9),
		P(7), P(7),
		P(17), P(17),
	};
	const struct expect x = { 3, 1, 5, counts, published, ranges };

	(void)state;
	check_table(&x);
}

/*
 * A grand total below k hides everything but the zeros, and then nothing
 * bounds the hidden counts from above.
 */
static void
test_grand_total_below_k(void **state)
{
	static const int64_t counts[] = { 1, 2, 0 };
	static const int64_t published[] = {
		S, S,
		S, S,
		0, 0,
		S, S,
	};
	static const sp_disclosure_range ranges[] = {
		R(1, U), R(1, U),
		R(1, U), R(1, U),
		P(0), P(0),
		R(2, U), R(2, U),
	};
	const struct expect x = { 3, 1, 5, counts, published, ranges };

	(void)state;
	check_table(&x);
}

/*
 * A 1 x 1 table of 4: the cell is the total; hidden, it is at least 1
 * and nothing bounds it. Of 5, everything is published.
 */
static void
test_single_cell(void **state)
{
	static const int64_t four[] = { 4 }, five[] = { 5 };
	static const int64_t hidden[] = { S, S, S, S }, shown[] = { 5, 5, 5, 5 };
	static const sp_disclosure_range free_ranges[] = { R(1, U), R(1, U), R(1, U), R(1, U) };
	static const sp_disclosure_range exact[] = { P(5), P(5), P(5), P(5) };
	const struct expect x4 = { 1, 1, 5, four, hidden, free_ranges };
	const struct expect x5 = { 1, 1, 5, five, shown, exact };

	(void)state;
	check_table(&x4);
	check_table(&x5);
}

/*
 * The cell 2 at the top left, in a table whose totals are all published.
 * The cheapest cycle through it is the rectangle with (0,1), (1,0) and
 * (1,1) (counts 8 + 7 + 6; any other costs more). Moving d round it:
 * 2+d, 8-d, 7-d, 6+d all >= 1, so d is -1..6.
 */
static const int64_t pinned_counts[] = {
	2, 8, 9,
	7, 6, 10,
	11, 12, 13,
};

static void
test_twoway_rectangle(void **state)
{
	static const int64_t published[] = {
		S, S, 9, 19,
		S, S, 10, 23,
		11, 12, 13, 36,
		20, 26, 32, 78,
	};
	static const sp_disclosure_range ranges[] = {
		R(1, 8), R(2, 9), P(9), P(19),
		R(1, 8), R(5, 12), P(10), P(23),
		P(11), P(12), P(13), P(36),
		P(20), P(26), P(32), P(78),
	};
	const struct expect x = { 3, 3, 5, pinned_counts, published, ranges };

	(void)state;
	check_table(&x);
}

/*
 * What a hub must refuse: the same table protected row by row only.
 * Hiding a second cell of the row keeps the row total from giving the
 * small cell away, but each column total still pins it (20 - 7 - 11 = 2).
 * Hiding the whole row is no better. Both are rejected, whatever the
 * order of the checks.
 */
static void
test_audit_refuses_row_only(void **state)
{
	static const int64_t pair[] = {
		S, S, 9, 19,
		7, 6, 10, 23,
		11, 12, 13, 36,
		20, 26, 32, 78,
	};
	static const int64_t row[] = {
		S, S, S, 19,
		7, 6, 10, 23,
		11, 12, 13, 36,
		20, 26, 32, 78,
	};
	sp_disclosure_range ranges[16];

	(void)state;
	assert_int_equal(sp_disclosure_audit(pair, 3, 3, 5, ranges), SP_ETABLE_PINNED);
	assert_true(ranges[0].lo == 0 && ranges[0].hi == U);
	assert_int_equal(sp_disclosure_audit(row, 3, 3, 5, NULL), SP_ETABLE_PINNED);
}

/*
 * The classic 2 x 2 case: one small cell hides all four (any two or three
 * hidden are pinned by the totals). d round the cycle: 2+d, 10-d, 10-d,
 * 10+d all >= 1, d is -1..9.
 */
static void
test_twoway_classic(void **state)
{
	static const int64_t counts[] = {
		2, 10,
		10, 10,
	};
	static const int64_t published[] = {
		S, S, 12,
		S, S, 20,
		12, 20, 32,
	};
	static const sp_disclosure_range ranges[] = {
		R(1, 11), R(1, 11), P(12),
		R(1, 11), R(9, 19), P(20),
		P(12), P(20), P(32),
	};
	static const int64_t three[] = {
		S, S, 12,
		S, 10, 20,
		12, 20, 32,
	};
	const struct expect x = { 2, 2, 5, counts, published, ranges };

	(void)state;
	check_table(&x);
	assert_int_equal(sp_disclosure_audit(three, 2, 2, 5, NULL), SP_ETABLE_PINNED);
}

/*
 * Every cell of a 2 x 2 small: cycles among the cells move them by at most
 * 2, never up to k, so totals must go. Each cell then lies in hidden row,
 * column and grand totals and has no upper bound; a hidden total is at
 * least the number of its hidden cells.
 */
static void
test_twoway_totals_hidden(void **state)
{
	static const int64_t counts[] = {
		2, 3,
		3, 2,
	};
	static const int64_t published[] = {
		S, S, S,
		S, S, S,
		S, S, S,
	};
	static const sp_disclosure_range ranges[] = {
		R(1, U), R(1, U), R(2, U),
		R(1, U), R(1, U), R(2, U),
		R(2, U), R(2, U), R(4, U),
	};
	const struct expect x = { 2, 2, 5, counts, published, ranges };

	(void)state;
	check_table(&x);
}

/*
 * Zeros stay published, and are never chosen as complements: the cycle
 * for the 3 is the rectangle of the non-zero cells. d: 3+d, 9-d, 8-d, 6+d
 * all >= 1, d is -2..7.
 */
static void
test_twoway_zeros(void **state)
{
	static const int64_t counts[] = {
		0, 0, 0,
		0, 3, 9,
		0, 8, 6,
	};
	static const int64_t published[] = {
		0, 0, 0, 0,
		0, S, S, 12,
		0, S, S, 14,
		0, 11, 15, 26,
	};
	static const sp_disclosure_range ranges[] = {
		P(0), P(0), P(0), P(0),
		P(0), R(1, 10), R(2, 11), P(12),
		P(0), R(1, 10), R(4, 13), P(14),
		P(0), P(11), P(15), P(26),
	};
	const struct expect x = { 3, 3, 5, counts, published, ranges };

	(void)state;
	check_table(&x);
}

/*
 * k = 3: 2 needs one more, which its neighbour 3 gives (x0 + x1 = 5).
 * k = 5 on the same counts: all three are small, and the published total
 * 9 leaves each 1..7.
 */
static void
test_k3_and_k5(void **state)
{
	static const int64_t counts[] = { 2, 3, 4 };
	static const int64_t published3[] = {
		S, S,
		S, S,
		4, 4,
		9, 9,
	};
	static const sp_disclosure_range ranges3[] = {
		R(1, 4), R(1, 4),
		R(1, 4), R(1, 4),
		P(4), P(4),
		P(9), P(9),
	};
	static const int64_t published5[] = {
		S, S,
		S, S,
		S, S,
		9, 9,
	};
	static const sp_disclosure_range ranges5[] = {
		R(1, 7), R(1, 7),
		R(1, 7), R(1, 7),
		R(1, 7), R(1, 7),
		P(9), P(9),
	};
	const struct expect x3 = { 3, 1, 3, counts, published3, ranges3 };
	const struct expect x5 = { 3, 1, 5, counts, published5, ranges5 };

	(void)state;
	check_table(&x3);
	check_table(&x5);
}

/*
 * k = 10: 9 is small and 10 is not. One-way, 9 and 10 share a total of
 * 19 (each 1..18). Two-way, the 4 needs 6 more: the rectangle gives up to
 * min(12, 15) - 1 = 11 (4+d, 12-d, 15-d, 20+d: d is -3..11).
 */
static void
test_k10(void **state)
{
	static const int64_t oneway[] = { 9, 10 };
	static const int64_t oneway_published[] = {
		S, S,
		S, S,
		19, 19,
	};
	static const sp_disclosure_range oneway_ranges[] = {
		R(1, 18), R(1, 18),
		R(1, 18), R(1, 18),
		P(19), P(19),
	};
	static const int64_t twoway[] = {
		4, 12,
		15, 20,
	};
	static const int64_t twoway_published[] = {
		S, S, 16,
		S, S, 35,
		19, 32, 51,
	};
	static const sp_disclosure_range twoway_ranges[] = {
		R(1, 15), R(1, 15), P(16),
		R(4, 18), R(17, 31), P(35),
		P(19), P(32), P(51),
	};
	const struct expect x1 = { 2, 1, 10, oneway, oneway_published, oneway_ranges };
	const struct expect x2 = { 2, 2, 10, twoway, twoway_published, twoway_ranges };

	(void)state;
	check_table(&x1);
	check_table(&x2);
}

/*
 * A small row total: its cells are all small, and hiding the row's cells
 * and total is not enough (the other row total and the grand total give
 * it back), so a second total goes too.
 */
static void
test_small_row_total(void **state)
{
	static const int64_t counts[] = {
		1, 2, 0,
		6, 7, 8,
		9, 10, 11,
	};
	int64_t published[16];
	sp_disclosure_range ranges[16];
	size_t i, hidden_totals = 0;

	(void)state;
	assert_int_equal(sp_disclosure_protect(counts, 3, 3, 5, published, ranges), 0);
	assert_true(published[sp_disclosure_index(3, 0, 0)] == S);
	assert_true(published[sp_disclosure_index(3, 0, 1)] == S);
	assert_true(published[sp_disclosure_index(3, 0, 2)] == 0);
	assert_true(published[sp_disclosure_index(3, 0, 3)] == S);
	for (i = 0; i <= 3; i++) {
		hidden_totals += published[sp_disclosure_index(3, i, 3)] == S;
		hidden_totals += i < 3 && published[sp_disclosure_index(3, 3, i)] == S;
	}
	assert_true(hidden_totals >= 2);
	assert_true(ranges[sp_disclosure_index(3, 0, 3)].hi >= 5);
	assert_int_equal(sp_disclosure_audit(published, 3, 3, 5, NULL), 0);
}

/*
 * Sums follow the counts' pattern: a sum over a hidden count is hidden,
 * totals included; the rest are added up here, whatever their sign.
 */
static void
test_sums(void **state)
{
	static const int64_t counts[] = { 3, 7, 12 }, cell_sums[] = { 100, -50, 30 };
	static const int64_t twoway_counts[] = {
		2, 10,
		10, 10,
	};
	static const int64_t twoway_sums[] = {
		5, 6,
		7, 8,
	};
	int64_t published[16];
	sp_disclosure_sum sums[16];
	size_t g;

	(void)state;
	assert_int_equal(sp_disclosure_protect(counts, 3, 1, 5, published, NULL), 0);
	assert_int_equal(sp_disclosure_sums(published, 3, 1, cell_sums, sums), 0);
	for (g = 0; g < 4; g++)
		assert_true(sums[g].suppressed && sums[g].value == 0);
	assert_true(!sums[4].suppressed && sums[4].value == 30);
	assert_true(!sums[5].suppressed && sums[5].value == 30);
	assert_true(!sums[6].suppressed && sums[6].value == 80);
	assert_true(!sums[7].suppressed && sums[7].value == 80);

	assert_int_equal(sp_disclosure_protect(twoway_counts, 2, 2, 5, published, NULL), 0);
	assert_int_equal(sp_disclosure_sums(published, 2, 2, twoway_sums, sums), 0);
	for (g = 0; g < 9; g++)
		assert_int_equal(sums[g].suppressed, published[g] == S);
	assert_true(sums[2].value == 11 && sums[5].value == 15);
	assert_true(sums[6].value == 12 && sums[7].value == 14 && sums[8].value == 26);
}

static void
test_errors(void **state)
{
	static const int64_t counts[SP_DISCLOSURE_MAX_ROWS * (SP_DISCLOSURE_MAX_COLS + 1)];
	static const int64_t negative[] = { 5, -1 }, too_many[] = { 600000000, 400000001 };
	static const int64_t at_most[] = { 600000000, 400000000 };
	static int64_t published[SP_DISCLOSURE_ENTRIES(SP_DISCLOSURE_MAX_ROWS + 1,
	    SP_DISCLOSURE_MAX_COLS + 1)];
	sp_disclosure_range ranges[6];
	sp_disclosure_sum sums[6];
	size_t g;

	(void)state;
	/* Shapes out of range write nothing. */
	published[0] = 77;
	assert_int_equal(sp_disclosure_protect(counts, 0, 1, 5, published, NULL), SP_ETABLE_SIZE);
	assert_int_equal(sp_disclosure_protect(counts, 1, 0, 5, published, NULL), SP_ETABLE_SIZE);
	assert_int_equal(sp_disclosure_protect(counts, SP_DISCLOSURE_MAX_ROWS + 1, 1, 5,
	    published, NULL), SP_ETABLE_SIZE);
	assert_int_equal(sp_disclosure_protect(counts, 1, SP_DISCLOSURE_MAX_COLS + 1, 5,
	    published, NULL), SP_ETABLE_SIZE);
	assert_true(published[0] == 77);
	assert_int_equal(sp_disclosure_audit(published, 0, 1, 5, NULL), SP_ETABLE_SIZE);
	assert_int_equal(sp_disclosure_sums(published, 1, 17, counts, sums), SP_ETABLE_SIZE);
	assert_int_equal(sp_disclosure_protect(counts, SP_DISCLOSURE_MAX_ROWS,
	    SP_DISCLOSURE_MAX_COLS, 5, published, NULL), 0);

	/* The rest clear the outputs: nothing publishable, nothing known. */
	assert_int_equal(sp_disclosure_protect(at_most, 2, 1, 2, published, ranges), SP_ETABLE_K);
	for (g = 0; g < 6; g++)
		assert_true(published[g] == S && ranges[g].lo == 0 && ranges[g].hi == U);
	assert_int_equal(sp_disclosure_protect(at_most, 2, 1, 1001, published, NULL),
	    SP_ETABLE_K);
	assert_int_equal(sp_disclosure_protect(negative, 2, 1, 5, published, NULL),
	    SP_ETABLE_COUNT);
	assert_int_equal(sp_disclosure_protect(too_many, 2, 1, 5, published, NULL),
	    SP_ETABLE_COUNT);
	assert_int_equal(sp_disclosure_protect(at_most, 2, 1, 1000, published, ranges), 0);
	assert_true(published[5] == SP_DISCLOSURE_MAX_COUNT && ranges[5].lo == ranges[5].hi);
	assert_int_equal(sp_disclosure_protect(at_most, 2, 1, 3, published, NULL), 0);
	assert_int_equal(sp_disclosure_audit(published, 2, 1, 2, ranges), SP_ETABLE_K);
	assert_int_equal(sp_disclosure_audit(published, 2, 1, 1001, ranges), SP_ETABLE_K);
	for (g = 0; g < 6; g++)
		assert_true(ranges[g].lo == 0 && ranges[g].hi == U);
}

/* Grids a hub must refuse, each with its reason. */
static void
test_audit_refuses(void **state)
{
	static const struct {
		int64_t grid[6];
		int want;
	} cases[] = {
		/* 2 x 1: cell 0 and its repeat, cell 1 and its repeat, the grand total twice */
		{ { 6, 6, 7, 7, 13, 13 }, 0 },
		{ { S, S, 7, 7, 13, 13 }, SP_ETABLE_PINNED },   /* 13 - 7 = 6 */
		{ { S, S, S, S, 13, 13 }, 0 },
		{ { S, S, S, S, 2, 2 }, SP_ETABLE_SMALL },
		{ { 6, 6, 4, 4, S, S }, SP_ETABLE_SMALL },
		{ { 6, 6, 7, 7, 14, 14 }, SP_ETABLE_TOTALS },
		{ { 6, 6, 7, 7, 13, 12 }, SP_ETABLE_TOTALS },  /* a repeat differs */
		{ { 6, S, 7, 7, 13, 13 }, SP_ETABLE_TOTALS },
		{ { S, S, 0, 0, 0, 0 }, SP_ETABLE_TOTALS },     /* hidden means >= 1 */
		{ { S, S, S, S, 5, 5 }, SP_ETABLE_PINNED },     /* each 1..4 */
		{ { S, S, S, S, 6, 6 }, 0 },
		{ { -2, -2, 7, 7, 13, 13 }, SP_ETABLE_COUNT },
		{ { 6, 6, 7, 7, SP_DISCLOSURE_MAX_COUNT + 1, SP_DISCLOSURE_MAX_COUNT + 1 },
		  SP_ETABLE_COUNT },
	};
	sp_disclosure_range ranges[6];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int r = sp_disclosure_audit(cases[i].grid, 2, 1, 5, ranges);

		if (r != cases[i].want)
			fprintf(stderr, "case %zu: %s, expected %s\n", i, sp_errname(r),
			    sp_errname(cases[i].want));
		assert_int_equal(r, cases[i].want);
	}
}

static void
test_sums_errors(void **state)
{
	static const int64_t grid[] = { 6, 6, 7, 7, 13, 13 };
	static const int64_t bad[] = { 6, 6, -7, -7, 13, 13 };
	static const int64_t huge[] = { INT64_MAX, 1 }, fine[] = { INT64_MAX - 1, 1 };
	sp_disclosure_sum sums[6];

	(void)state;
	assert_int_equal(sp_disclosure_sums(grid, 2, 1, huge, sums), SP_ETOOBIG);
	assert_true(sums[0].suppressed && sums[5].suppressed);
	assert_int_equal(sp_disclosure_sums(bad, 2, 1, fine, sums), SP_ETABLE_COUNT);
	assert_int_equal(sp_disclosure_sums(grid, 2, 1, fine, sums), 0);
	assert_true(!sums[5].suppressed && sums[5].value == INT64_MAX);
}

/*
 * A limit of the method (docs/DISCLOSURE.md, "What it does not protect
 * against"): the ranges are what the published values allow, and an
 * attacker who replays the choice rule on every candidate table learns
 * more. Of 0 2 / 1 9 only the zero and the grand total are published, and
 * the first row's total (2) has the range 1..10; but of the 55 tables with
 * that grid's values, those the rule turns into this grid all have it
 * from 1 to 4. If this test fails, the rule has changed: the docs' example
 * must change with it.
 */
static void
test_replay_narrows(void **state)
{
	static const int64_t counts[] = {
		0, 2,
		1, 9,
	};
	static const int64_t published[] = {
		0, S, S,
		S, S, S,
		S, S, 12,
	};
	int64_t grid[9], candidate[4] = { 0 }, again[9], lo = -1, hi = -1;
	sp_disclosure_range ranges[9];
	size_t matches = 0;

	(void)state;
	assert_int_equal(sp_disclosure_protect(counts, 2, 2, 5, grid, ranges), 0);
	assert_memory_equal(grid, published, sizeof grid);
	assert_true(ranges[2].lo == 1 && ranges[2].hi == 10);
	for (candidate[1] = 1; candidate[1] <= 10; candidate[1]++) {
		for (candidate[2] = 1; candidate[1] + candidate[2] <= 11; candidate[2]++) {
			candidate[3] = 12 - candidate[1] - candidate[2];
			assert_int_equal(sp_disclosure_protect(candidate, 2, 2, 5, again, NULL), 0);
			if (memcmp(again, published, sizeof again) != 0)
				continue;
			matches++;
			lo = lo < 0 || candidate[1] < lo ? candidate[1] : lo;
			hi = candidate[1] > hi ? candidate[1] : hi;
		}
	}
	assert_true(matches > 1 && lo == 1 && hi == 4);
}

/* A deterministic generator of counts, most of them small. */
static uint64_t
next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
fill_counts(int64_t *counts, size_t n, uint64_t seed, int64_t small_max)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t r = next_random(&seed);

		counts[i] = r % 4 == 0 ? 0 : r % 4 == 1 ? (int64_t)(r >> 8) % 40 :
		    1 + (int64_t)(r >> 8) % small_max;
	}
}

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * The same table gives the same grid and ranges every time (nothing but
 * the counts and k decides), and its audit agrees.
 */
static void
test_deterministic(void **state)
{
	static int64_t counts[64 * 8], a[65 * 9], b[65 * 9];
	static sp_disclosure_range ra[65 * 9], rb[65 * 9], audited[65 * 9];
	size_t g, hidden = 0;

	(void)state;
	fill_counts(counts, 64 * 8, 0x5157u, 6);
	assert_int_equal(sp_disclosure_protect(counts, 64, 8, 5, a, ra), 0);
	assert_int_equal(sp_disclosure_protect(counts, 64, 8, 5, b, rb), 0);
	assert_memory_equal(a, b, sizeof a);
	assert_memory_equal(ra, rb, sizeof ra);
	assert_int_equal(sp_disclosure_audit(a, 64, 8, 5, audited), 0);
	assert_memory_equal(audited, ra, sizeof ra);
	for (g = 0; g < 65 * 9; g++)
		hidden += a[g] == S;
	fprintf(stderr, "# 64 x 8, k = 5: %zu of %d entries hidden\n", hidden, 65 * 9);
}

/*
 * The largest table: protected, its audit agrees, and the times are
 * printed (docs/DISCLOSURE.md, "Limits").
 */
static void
check_largest(const int64_t *counts, const char *what)
{
	static int64_t published[MAXG];
	static sp_disclosure_range ranges[MAXG], audited[MAXG];
	const size_t rows = SP_DISCLOSURE_MAX_ROWS, cols = SP_DISCLOSURE_MAX_COLS;
	struct timespec t0;
	double protect_s;
	size_t g, hidden = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(sp_disclosure_protect(counts, rows, cols, 5, published, ranges), 0);
	protect_s = seconds_since(&t0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(sp_disclosure_audit(published, rows, cols, 5, audited), 0);
	for (g = 0; g < MAXG; g++)
		hidden += published[g] == S;
	fprintf(stderr, "# %zu x %zu, %s, k = 5: protected in %.2f s, audited in %.2f s, "
	    "%zu of %zu entries hidden\n", rows, cols, what, protect_s, seconds_since(&t0),
	    hidden, MAXG);
	assert_memory_equal(audited, ranges, sizeof ranges);
}

static void
test_largest(void **state)
{
	static int64_t counts[SP_DISCLOSURE_MAX_ROWS * SP_DISCLOSURE_MAX_COLS];
	uint64_t seed = 0xd15c;
	size_t i;

	(void)state;
	/* Every count 1 or 2: every cell is hidden. */
	for (i = 0; i < SP_DISCLOSURE_MAX_ROWS * SP_DISCLOSURE_MAX_COLS; i++)
		counts[i] = 1 + (int64_t)(next_random(&seed) % 2);
	check_largest(counts, "counts 1 or 2");
	fill_counts(counts, SP_DISCLOSURE_MAX_ROWS * SP_DISCLOSURE_MAX_COLS, 0xd15c, 8);
	check_largest(counts, "counts mixed");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oneway_complement),
		cmocka_unit_test(test_oneway_as_a_row),
		cmocka_unit_test(test_oneway_two_small),
		cmocka_unit_test(test_oneway_tie_by_position),
		cmocka_unit_test(test_grand_total_below_k),
		cmocka_unit_test(test_single_cell),
		cmocka_unit_test(test_twoway_rectangle),
		cmocka_unit_test(test_audit_refuses_row_only),
		cmocka_unit_test(test_twoway_classic),
		cmocka_unit_test(test_twoway_totals_hidden),
		cmocka_unit_test(test_twoway_zeros),
		cmocka_unit_test(test_k3_and_k5),
		cmocka_unit_test(test_k10),
		cmocka_unit_test(test_small_row_total),
		cmocka_unit_test(test_sums),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_audit_refuses),
		cmocka_unit_test(test_sums_errors),
		cmocka_unit_test(test_replay_narrows),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_largest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
