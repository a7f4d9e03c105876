/*
 * test_summary.c - the published summary's body (proto/summary.c): one-
 * and two-way tables with sums round-trip in one canonical encoding, and
 * what a hub must refuse is refused: a small count in the open, a sum
 * shown over a hidden count, an empty interval, a bad period or label.
 */
#include "sp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_err.h"
#include "pack.h"
#include "summary.h"
#include "tally.h"

static void
published(sp_cell *c, uint64_t v)
{
	memset(c, 0, sizeof(*c));
	c->value = v;
}

static void
hidden(sp_cell *c, uint64_t lo, uint64_t hi, bool unbounded)
{
	memset(c, 0, sizeof(*c));
	c->suppressed = true;
	c->lo = lo;
	c->hi = hi;
	c->unbounded = unbounded;
}

/*
 * category x sex, 2 x 2, with a sum of aid:
 *            L      P    | total
 *   anak     7    [1,4]  | [8,11]
 *   lansia   0    [1,4]  | [1,4]
 *   total    7      5    | 12   (P's column total pins nothing: two cells of it are hidden)
 */
static sp_summary *
two_way(void)
{
	sp_summary *s;
	size_t i;

	assert_int_equal(sp_summary_new(2, 2, 1, &s), 0);
	snprintf(sp_summary_name(s), SP_SUMMARY_NAME_MAX + 1, "pmks");
	snprintf(sp_summary_period(s), 8, "2026-Q4");
	memset(sp_summary_consent(s), 0xc0, SP_ID_BYTES);
	*sp_summary_k(s) = 5;
	strcpy(sp_summary_row(s, 0), "anak");
	strcpy(sp_summary_row(s, 1), "lansia");
	strcpy(sp_summary_col(s, 0), "L");
	strcpy(sp_summary_col(s, 1), "P");
	strcpy(sp_summary_sum_field(s, 0), "aid");
	published(sp_summary_cell(s, 0, 0), 7);
	hidden(sp_summary_cell(s, 0, 1), 1, 4, false);
	published(sp_summary_cell(s, 1, 0), 0);
	hidden(sp_summary_cell(s, 1, 1), 1, 4, false);
	hidden(sp_summary_row_total(s, 0), 8, 11, false);
	hidden(sp_summary_row_total(s, 1), 1, 4, false);
	published(sp_summary_col_total(s, 0), 7);
	published(sp_summary_col_total(s, 1), 5);
	published(sp_summary_total(s), 12);
	/* Sums follow the counts' pattern. */
	sp_summary_sum_cell(s, 0, 0, 0)->value = 700000;
	sp_summary_sum_cell(s, 0, 0, 1)->suppressed = true;
	sp_summary_sum_cell(s, 0, 1, 0)->value = 0;
	sp_summary_sum_cell(s, 0, 1, 1)->suppressed = true;
	for (i = 0; i < 2; i++)
		sp_summary_sum_row_total(s, 0, i)->suppressed = true;
	sp_summary_sum_col_total(s, 0, 0)->value = 700000;
	sp_summary_sum_col_total(s, 0, 1)->value = -5;
	sp_summary_sum_total(s, 0)->value = 699995;
	return s;
}

static void
assert_round_trip(sp_summary *s)
{
	sp_summary *back;
	sp_buf a, b;

	sp_buf_init(&a);
	sp_buf_init(&b);
	assert_int_equal(sp_summary_encode(s, &a), 0);
	assert_int_equal(sp_summary_decode(a.data, a.len, &back), 0);
	assert_int_equal(sp_summary_encode(back, &b), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	assert_int_equal(sp_summary_rows(back), sp_summary_rows(s));
	assert_int_equal(sp_summary_cols(back), sp_summary_cols(s));
	sp_summary_free(back);
	sp_buf_free(&a);
	sp_buf_free(&b);
}

static void
test_two_way(void **state)
{
	sp_summary *s = two_way(), *back;
	sp_buf b;

	(void)state;
	assert_round_trip(s);
	sp_buf_init(&b);
	assert_int_equal(sp_summary_encode(s, &b), 0);
	assert_int_equal(sp_summary_decode(b.data, b.len, &back), 0);
	assert_true(sp_summary_cell(back, 0, 1)->suppressed);
	assert_int_equal(sp_summary_cell(back, 0, 1)->hi, 4);
	assert_int_equal(sp_summary_cell(back, 0, 0)->value, 7);
	assert_int_equal(sp_summary_sum_col_total(back, 0, 1)->value, -5);
	assert_string_equal(sp_summary_col(back, 1), "P");
	assert_string_equal(sp_summary_period(back), "2026-Q4");
	sp_summary_free(back);
	/* Cut anywhere: refused. */
	for (size_t cut = 0; cut < b.len; cut += 7)
		assert_int_equal(sp_summary_decode(b.data, cut, &back), SP_ESUMMARY);
	sp_buf_free(&b);
	sp_summary_free(s);
}

/* One way: one cell a row, no column labels, no row or column totals; an unbounded interval. */
static void
test_one_way(void **state)
{
	sp_summary *s;

	(void)state;
	assert_int_equal(sp_summary_new(3, 0, 0, &s), 0);
	snprintf(sp_summary_name(s), SP_SUMMARY_NAME_MAX + 1, "groups");
	snprintf(sp_summary_period(s), 8, "2026");
	*sp_summary_k(s) = 3;
	strcpy(sp_summary_row(s, 0), "arisan");
	strcpy(sp_summary_row(s, 1), "majelis taklim");
	strcpy(sp_summary_row(s, 2), "other");
	published(sp_summary_cell(s, 0, 0), 4);
	hidden(sp_summary_cell(s, 1, 0), 1, 0, true);
	hidden(sp_summary_cell(s, 2, 0), 1, 0, true);
	hidden(sp_summary_total(s), 6, 0, true);
	assert_int_equal(sp_summary_check(s), 0);
	assert_round_trip(s);
	sp_summary_free(s);
}

/* What must not be published, one rule at a time. */
static void
test_rules(void **state)
{
	sp_summary *s;
	sp_buf b;

	(void)state;
	sp_buf_init(&b);
	s = two_way();
	published(sp_summary_cell(s, 0, 1), 4);            /* a small count in the open */
	sp_summary_sum_cell(s, 0, 0, 1)->suppressed = false;
	assert_int_equal(sp_summary_encode(s, &b), SP_ESUMMARY);
	sp_summary_free(s);
	s = two_way();
	sp_summary_sum_cell(s, 0, 0, 1)->suppressed = false; /* a sum over a hidden count */
	assert_int_equal(sp_summary_check(s), SP_ESUMMARY);
	sp_summary_free(s);
	s = two_way();
	hidden(sp_summary_cell(s, 0, 1), 5, 4, false);     /* an empty interval */
	assert_int_equal(sp_summary_check(s), SP_ESUMMARY);
	sp_summary_free(s);
	s = two_way();
	snprintf(sp_summary_period(s), 8, "2026-13");
	assert_int_equal(sp_summary_check(s), SP_ESUMMARY);
	snprintf(sp_summary_period(s), 8, "2026-Q5");
	assert_int_equal(sp_summary_check(s), SP_ESUMMARY);
	snprintf(sp_summary_period(s), 8, "26-11");
	assert_int_equal(sp_summary_check(s), SP_ESUMMARY);
	snprintf(sp_summary_period(s), 8, "2026-10");
	assert_int_equal(sp_summary_check(s), 0);
	strcpy(sp_summary_col(s, 1), "L");                   /* a label twice */
	assert_int_equal(sp_summary_check(s), SP_ESUMMARY);
	strcpy(sp_summary_col(s, 1), "P");
	*sp_summary_k(s) = 2;
	assert_int_equal(sp_summary_check(s), SP_ESUMMARY);
	*sp_summary_k(s) = 5;
	strcpy(sp_summary_name(s), "_x");
	assert_int_equal(sp_summary_check(s), SP_ESUMMARY);
	sp_summary_free(s);
	assert_int_equal(sp_summary_new(SP_SUMMARY_MAX_ROWS + 1, 0, 0, &s), SP_ETOOBIG);
	assert_null(s);
	sp_buf_free(&b);
}

/* The largest table with every sum is more than a body holds: refused whole. */
static void
test_too_big(void **state)
{
	char field[8];
	sp_summary *s;
	size_t r, c, m;
	sp_buf b;

	(void)state;
	assert_int_equal(sp_summary_new(SP_SUMMARY_MAX_ROWS, SP_SUMMARY_MAX_COLS, SP_DEF_MAX_SUMS,
	    &s), 0);
	snprintf(sp_summary_name(s), SP_SUMMARY_NAME_MAX + 1, "big");
	snprintf(sp_summary_period(s), 8, "2026-11");
	*sp_summary_k(s) = 5;
	for (r = 0; r < SP_SUMMARY_MAX_ROWS; r++) {
		snprintf(sp_summary_row(s, r), SP_DEF_VALUE_MAX + 1, "category %zu", r);
		for (c = 0; c < SP_SUMMARY_MAX_COLS; c++)
			published(sp_summary_cell(s, r, c), 1000000 + r);
	}
	for (c = 0; c < SP_SUMMARY_MAX_COLS; c++)
		snprintf(sp_summary_col(s, c), SP_DEF_VALUE_MAX + 1, "c%02zu", c);
	for (m = 0; m < SP_DEF_MAX_SUMS; m++) {
		snprintf(field, sizeof(field), "s%zu", m);
		strcpy(sp_summary_sum_field(s, m), field);
	}
	sp_buf_init(&b);
	assert_int_equal(sp_summary_encode(s, &b), SP_ETOOBIG);
	assert_int_equal(b.len, 0);
	sp_buf_free(&b);
	sp_summary_free(s);
}

static void
add(sp_tally *t, const char *category, const char *sex, int64_t aid)
{
	sp_buf b;

	sp_buf_init(&b);
	sp_pack_map(&b, 3);
	sp_pack_cstr(&b, "aid");
	sp_pack_int(&b, aid);
	sp_pack_cstr(&b, "category");
	sp_pack_cstr(&b, category);
	sp_pack_cstr(&b, "sex");
	sp_pack_cstr(&b, sex);
	assert_int_equal(sp_tally_add(t, b.data, b.len), 0);
	sp_buf_free(&b);
}

/* Whether cell c shows true count v: published as v, or an interval holding it. */
static bool
shows(const sp_cell *c, uint64_t v)
{
	if (!c->suppressed)
		return c->value == v;
	return c->lo <= v && (c->unbounded || v <= c->hi);
}

/*
 * A tally published: every small count hidden behind an interval that
 * holds it, every other count as it is or hidden too; sums hidden exactly
 * with their counts; labels as the tally's.
 */
static void
test_of_tally(void **state)
{
	static const char *const cats[] = { "anak", "lansia", "disabilitas" };
	static const int counts[3][2] = { { 9, 2 }, { 6, 8 }, { 0, 7 } };
	sp_definition d;
	sp_summary *s;
	sp_tally *t;
	size_t r, c;
	int i;

	(void)state;
	memset(&d, 0, sizeof(d));
	strcpy(d.from, "cases");
	strcpy(d.by[0], "category");
	strcpy(d.by[1], "sex");
	d.nby = 2;
	strcpy(d.sums[0], "aid");
	d.nsums = 1;
	d.k = 5;
	assert_int_equal(sp_tally_new(&d, &t), 0);
	for (r = 0; r < 3; r++)
		for (c = 0; c < 2; c++)
			for (i = 0; i < counts[r][c]; i++)
				add(t, cats[r], c == 0 ? "L" : "P", 100);
	assert_int_equal(sp_summary_of_tally(t, 5, &s), 0);
	assert_int_equal(sp_summary_rows(s), 3);
	assert_int_equal(sp_summary_cols(s), 2);
	strcpy(sp_summary_name(s), "pmks");
	strcpy(sp_summary_period(s), "2026-11");
	assert_int_equal(sp_summary_check(s), 0);
	for (r = 0; r < 3; r++) {
		/* The tally's rows are bytewise: anak, disabilitas, lansia. */
		const char *row = sp_summary_row(s, r);
		size_t k = strcmp(row, "anak") == 0 ? 0 : strcmp(row, "lansia") == 0 ? 1 : 2;

		for (c = 0; c < 2; c++) {
			sp_cell *cell = sp_summary_cell(s, r, c);

			assert_true(shows(cell, (uint64_t)counts[k][c]));
			if (counts[k][c] > 0 && counts[k][c] < 5)
				assert_true(cell->suppressed);
			assert_int_equal(sp_summary_sum_cell(s, 0, r, c)->suppressed, cell->suppressed);
			if (!cell->suppressed)
				assert_int_equal(sp_summary_sum_cell(s, 0, r, c)->value, 100 * counts[k][c]);
		}
	}
	assert_true(shows(sp_summary_total(s), 32));
	assert_true(sp_summary_cell(s, 0, 1)->suppressed);   /* anak P = 2 */
	assert_round_trip(s);
	sp_summary_free(s);
	sp_tally_free(t);

	/* Nothing counted and no list: a table of nothing, its total 0. */
	assert_int_equal(sp_tally_new(&d, &t), 0);
	assert_int_equal(sp_summary_of_tally(t, 5, &s), 0);
	assert_int_equal(sp_summary_rows(s), 0);
	assert_false(sp_summary_total(s)->suppressed);
	assert_int_equal(sp_summary_total(s)->value, 0);
	strcpy(sp_summary_name(s), "pmks");
	strcpy(sp_summary_period(s), "2026-11");
	assert_round_trip(s);
	sp_summary_free(s);
	sp_tally_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_way),
		cmocka_unit_test(test_one_way),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_of_tally),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
