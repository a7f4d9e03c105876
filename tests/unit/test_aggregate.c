/*
 * test_aggregate.c - a hub's aggregate (proto/aggregate.c): figures
 * worked out by hand for one- and two-way tables, suppressed cells with
 * bounded and unbounded intervals, lower aggregates; the same bytes
 * whatever order the inputs are added in; an input of the other kind, or
 * one too large, left out; and a decoder that takes only canonical,
 * bounded, consistent bodies.
 */
#include "sp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "crypto.h"
#include "pack.h"
#include "record.h"
#include "sp_err.h"
#include "summary.h"

/* A summary's cell, written compactly: published v, suppressed [lo, hi], or [lo, nil]. */
typedef struct cell_spec {
	char kind;                 /* 'p', 's', 'u' */
	uint64_t a, b;
} cell_spec;
#define P(v)     { 'p', (v), 0 }
#define S(l, h)  { 's', (l), (h) }
#define U(l)     { 'u', (l), 0 }

static void
set_cell(sp_cell *c, cell_spec spec)
{
	memset(c, 0, sizeof(*c));
	c->suppressed = spec.kind != 'p';
	c->value = spec.kind == 'p' ? spec.a : 0;
	c->lo = spec.kind != 'p' ? spec.a : 0;
	c->hi = spec.kind == 's' ? spec.b : 0;
	c->unbounded = spec.kind == 'u';
}

/* A summary of pmks/2026-11 with k 5; labels NULL-terminated lists. */
static sp_summary *
summary(const char *const *rows, const char *const *cols, const cell_spec *cells,
    const cell_spec *row_totals, const cell_spec *col_totals, cell_spec total)
{
	size_t nrows = 0, ncols = 0, r, c, width;
	sp_summary *s;

	while (rows[nrows] != NULL)
		nrows++;
	while (cols != NULL && cols[ncols] != NULL)
		ncols++;
	width = ncols > 0 ? ncols : 1;
	assert_int_equal(sp_summary_new(nrows, ncols, 0, &s), 0);
	strcpy(sp_summary_name(s), "pmks");
	strcpy(sp_summary_period(s), "2026-11");
	memset(sp_summary_consent(s), 0xcc, SP_ID_BYTES);
	*sp_summary_k(s) = 5;
	for (r = 0; r < nrows; r++) {
		strcpy(sp_summary_row(s, r), rows[r]);
		for (c = 0; c < width; c++)
			set_cell(sp_summary_cell(s, r, c), cells[r * width + c]);
		if (ncols > 0)
			set_cell(sp_summary_row_total(s, r), row_totals[r]);
	}
	for (c = 0; c < ncols; c++) {
		strcpy(sp_summary_col(s, c), cols[c]);
		set_cell(sp_summary_col_total(s, c), col_totals[c]);
	}
	set_cell(sp_summary_total(s), total);
	assert_int_equal(sp_summary_check(s), 0);
	return s;
}

/*
 * One-way A:  anak 7, lansia [1,4], disabilitas [0,4]; total [8,15]
 * One-way B:  lansia 5, fakir [2,nil]; total 9
 */
static sp_summary *
one_way_a(void)
{
	static const char *const rows[] = { "anak", "lansia", "disabilitas", NULL };
	static const cell_spec cells[] = { P(7), S(1, 4), S(0, 4) };

	return summary(rows, NULL, cells, NULL, NULL, (cell_spec)S(8, 15));
}

static sp_summary *
one_way_b(void)
{
	static const char *const rows[] = { "lansia", "fakir", NULL };
	static const cell_spec cells[] = { P(5), U(2) };

	return summary(rows, NULL, cells, NULL, NULL, (cell_spec)P(9));
}

/*
 * Two-way A (category x sex):
 *            L      P    | total
 *   anak     7    [1,4]  | [8,11]
 *   lansia   0    [1,4]  | [1,4]
 *   total    7      5    | 12
 * Two-way B:
 *            P      X    | total
 *   lansia   5      0    | 5
 *   fakir  [1,4] [1,nil] | [2,nil]
 *   total  [6,9] [1,nil] | [7,nil]
 */
static sp_summary *
two_way_a(void)
{
	static const char *const rows[] = { "anak", "lansia", NULL };
	static const char *const cols[] = { "L", "P", NULL };
	static const cell_spec cells[] = { P(7), S(1, 4), P(0), S(1, 4) };
	static const cell_spec rt[] = { S(8, 11), S(1, 4) };
	static const cell_spec ct[] = { P(7), P(5) };

	return summary(rows, cols, cells, rt, ct, (cell_spec)P(12));
}

static sp_summary *
two_way_b(void)
{
	static const char *const rows[] = { "lansia", "fakir", NULL };
	static const char *const cols[] = { "P", "X", NULL };
	static const cell_spec cells[] = { P(5), P(0), S(1, 4), U(1) };
	static const cell_spec rt[] = { P(5), U(2) };
	static const cell_spec ct[] = { S(6, 9), U(1) };

	return summary(rows, cols, cells, rt, ct, (cell_spec)U(7));
}

/* A table of none (no records): of neither kind, its total 0. */
static sp_summary *
empty_summary(void)
{
	static const char *const rows[] = { NULL };

	return summary(rows, NULL, NULL, NULL, NULL, (cell_spec)P(0));
}

static void
id_of(uint8_t id[SP_ID_BYTES], uint8_t b)
{
	memset(id, b, SP_ID_BYTES);
}

static const uint8_t *
hub_id(uint8_t b)
{
	static uint8_t ids[4][SP_ID_BYTES];

	memset(ids[b & 3], 0xa0 | b, SP_ID_BYTES);
	return ids[b & 3];
}

static void
assert_fig(const sp_fig *f, uint64_t published, uint64_t suppressed, uint64_t lo, int64_t hi)
{
	assert_int_equal(f->published, published);
	assert_int_equal(f->suppressed, suppressed);
	assert_int_equal(f->lo, lo);
	if (hi < 0) {
		assert_true(f->unbounded);
	} else {
		assert_false(f->unbounded);
		assert_int_equal(f->hi, (uint64_t)hi);
	}
}

/* Records what was left out. */
struct left {
	uint8_t ids[8][SP_ID_BYTES];
	const char *why[8];
	size_t n;
};

static void
on_left_out(const uint8_t *id, const char *why, void *arg)
{
	struct left *l = arg;

	assert_true(l->n < 8);
	memcpy(l->ids[l->n], id, SP_ID_BYTES);
	l->why[l->n++] = why;
}

/* An input: a summary or a lower aggregate, with its id byte. */
typedef struct in_spec {
	uint8_t id;
	sp_summary *(*summary)(void);
	sp_aggregate *lower;       /* taken by the builder */
} in_spec;

/* Aggregates inputs v[0..n) at hub, added in that order. */
static sp_aggregate *
build(const uint8_t *hub, const in_spec *v, size_t n, struct left *left)
{
	sp_aggregate_builder *b;
	uint8_t id[SP_ID_BYTES];
	sp_aggregate *a;
	size_t i;

	assert_int_equal(sp_aggregate_start("pmks", "2026-11", hub, &b), 0);
	for (i = 0; i < n; i++) {
		id_of(id, v[i].id);
		if (v[i].summary != NULL)
			assert_int_equal(sp_aggregate_add_summary(b, id, v[i].summary()), 0);
		else
			assert_int_equal(sp_aggregate_add_aggregate(b, id, v[i].lower), 0);
	}
	assert_int_equal(sp_aggregate_finish(b, left != NULL ? on_left_out : NULL, left, &a), 0);
	sp_aggregate_builder_free(b);
	return a;
}

static void
encode(const sp_aggregate *a, sp_buf *out)
{
	sp_buf_init(out);
	assert_int_equal(sp_aggregate_encode(a, out), 0);
}

/* Encodes, decodes and encodes again: the same bytes. */
static void
assert_round_trip(const sp_aggregate *a)
{
	sp_aggregate *back;
	sp_buf x, y;

	encode(a, &x);
	assert_int_equal(sp_aggregate_decode(x.data, x.len, &back), 0);
	encode(back, &y);
	assert_int_equal(x.len, y.len);
	assert_memory_equal(x.data, y.data, x.len);
	sp_aggregate_free(back);
	sp_buf_free(&x);
	sp_buf_free(&y);
}

static void
test_one_way(void **state)
{
	in_spec v[] = { { 0x10, one_way_a, NULL }, { 0x20, one_way_b, NULL } };
	uint8_t id[SP_ID_BYTES];
	sp_aggregate *a;

	(void)state;
	a = build(hub_id(0), v, 2, NULL);
	assert_string_equal(sp_aggregate_name(a), "pmks");
	assert_string_equal(sp_aggregate_period(a), "2026-11");
	assert_int_equal(sp_aggregate_cols(a), 0);
	assert_int_equal(sp_aggregate_rows(a), 4);
	/* Labels in the order first met, A's before B's. */
	assert_string_equal(sp_aggregate_row(a, 0), "anak");
	assert_string_equal(sp_aggregate_row(a, 1), "lansia");
	assert_string_equal(sp_aggregate_row(a, 2), "disabilitas");
	assert_string_equal(sp_aggregate_row(a, 3), "fakir");
	assert_fig(sp_aggregate_cell(a, 0, 0), 7, 0, 7, 7);
	assert_fig(sp_aggregate_cell(a, 1, 0), 5, 1, 6, 9);    /* [1,4] + 5 */
	assert_fig(sp_aggregate_cell(a, 2, 0), 0, 1, 0, 4);
	assert_fig(sp_aggregate_cell(a, 3, 0), 0, 1, 2, -1);   /* [2,nil] */
	/* From the totals, not the cells: [8,15] + 9. */
	assert_fig(sp_aggregate_total(a), 9, 1, 17, 24);
	assert_int_equal(sp_aggregate_ninputs(a), 2);
	id_of(id, 0x10);
	assert_memory_equal(sp_aggregate_input(a, 0), id, SP_ID_BYTES);
	id_of(id, 0x20);
	assert_memory_equal(sp_aggregate_input(a, 1), id, SP_ID_BYTES);
	assert_int_equal(sp_aggregate_nhubs(a), 1);
	assert_memory_equal(sp_aggregate_hub(a, 0), hub_id(0), SP_ID_BYTES);
	assert_true(sp_aggregate_has_hub(a, hub_id(0)));
	assert_false(sp_aggregate_has_hub(a, hub_id(1)));
	assert_round_trip(a);
	sp_aggregate_free(a);

	/* With B's id first, B's labels come first. */
	v[1].id = 0x01;
	a = build(hub_id(0), v, 2, NULL);
	assert_string_equal(sp_aggregate_row(a, 0), "lansia");
	assert_string_equal(sp_aggregate_row(a, 1), "fakir");
	assert_string_equal(sp_aggregate_row(a, 2), "anak");
	assert_fig(sp_aggregate_cell(a, 0, 0), 5, 1, 6, 9);
	sp_aggregate_free(a);
}

static void
test_two_way(void **state)
{
	in_spec v[] = { { 0x10, two_way_a, NULL }, { 0x20, two_way_b, NULL } };
	sp_aggregate *a;

	(void)state;
	a = build(hub_id(0), v, 2, NULL);
	assert_int_equal(sp_aggregate_rows(a), 3);
	assert_int_equal(sp_aggregate_cols(a), 3);
	assert_string_equal(sp_aggregate_row(a, 2), "fakir");
	assert_string_equal(sp_aggregate_col(a, 0), "L");
	assert_string_equal(sp_aggregate_col(a, 1), "P");
	assert_string_equal(sp_aggregate_col(a, 2), "X");
	/* anak */
	assert_fig(sp_aggregate_cell(a, 0, 0), 7, 0, 7, 7);
	assert_fig(sp_aggregate_cell(a, 0, 1), 0, 1, 1, 4);
	assert_fig(sp_aggregate_cell(a, 0, 2), 0, 0, 0, 0);    /* no input has it */
	/* lansia */
	assert_fig(sp_aggregate_cell(a, 1, 0), 0, 0, 0, 0);
	assert_fig(sp_aggregate_cell(a, 1, 1), 5, 1, 6, 9);
	assert_fig(sp_aggregate_cell(a, 1, 2), 0, 0, 0, 0);
	/* fakir */
	assert_fig(sp_aggregate_cell(a, 2, 0), 0, 0, 0, 0);
	assert_fig(sp_aggregate_cell(a, 2, 1), 0, 1, 1, 4);
	assert_fig(sp_aggregate_cell(a, 2, 2), 0, 1, 1, -1);
	/* Row totals: A's [8,11]; A's [1,4] + B's 5; B's [2,nil]. */
	assert_fig(sp_aggregate_row_total(a, 0), 0, 1, 8, 11);
	assert_fig(sp_aggregate_row_total(a, 1), 5, 1, 6, 9);
	assert_fig(sp_aggregate_row_total(a, 2), 0, 1, 2, -1);
	/* Column totals: 7; 5 + [6,9]; [1,nil]. */
	assert_fig(sp_aggregate_col_total(a, 0), 7, 0, 7, 7);
	assert_fig(sp_aggregate_col_total(a, 1), 5, 1, 11, 14);
	assert_fig(sp_aggregate_col_total(a, 2), 0, 1, 1, -1);
	/* 12 + [7,nil] */
	assert_fig(sp_aggregate_total(a), 12, 1, 19, -1);
	assert_round_trip(a);
	sp_aggregate_free(a);
}

/* However the inputs are added, the bytes are those of id order. */
static void
test_order_independent(void **state)
{
	in_spec v[] = {
		{ 0x30, two_way_a, NULL }, { 0x10, two_way_b, NULL }, { 0x20, empty_summary, NULL },
	};
	static const size_t orders[][3] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
	};
	in_spec w[3];
	sp_buf first, b;
	sp_aggregate *a;
	size_t i, j;

	(void)state;
	for (i = 0; i < 6; i++) {
		for (j = 0; j < 3; j++)
			w[j] = v[orders[i][j]];
		a = build(hub_id(0), w, 3, NULL);
		assert_int_equal(sp_aggregate_ninputs(a), 3);
		encode(a, i == 0 ? &first : &b);
		if (i > 0) {
			assert_int_equal(b.len, first.len);
			assert_memory_equal(b.data, first.data, b.len);
			sp_buf_free(&b);
		}
		sp_aggregate_free(a);
	}
	sp_buf_free(&first);
}

/*
 * The first input with rows fixes the kind; a table of none fixes
 * nothing and adds its total; an input of the other kind is left out,
 * said, and not listed.
 */
static void
test_kinds(void **state)
{
	in_spec v[] = {
		{ 0x05, empty_summary, NULL },
		{ 0x10, one_way_a, NULL },
		{ 0x20, two_way_a, NULL },
		{ 0x30, one_way_b, NULL },
	};
	uint8_t id[SP_ID_BYTES];
	struct left left = { .n = 0 };
	sp_aggregate *a;

	(void)state;
	a = build(hub_id(0), v, 4, &left);
	assert_int_equal(sp_aggregate_cols(a), 0);
	assert_int_equal(sp_aggregate_rows(a), 4);
	assert_int_equal(sp_aggregate_ninputs(a), 3);
	assert_int_equal(left.n, 1);
	id_of(id, 0x20);
	assert_memory_equal(left.ids[0], id, SP_ID_BYTES);
	assert_string_equal(left.why[0], "a two-way table in a one-way aggregate");
	assert_fig(sp_aggregate_total(a), 9, 1, 17, 24);
	sp_aggregate_free(a);

	/* Two-way first: the one-way tables are left out. */
	v[2].id = 0x01;
	memset(&left, 0, sizeof(left));
	a = build(hub_id(0), v, 4, &left);
	assert_int_equal(sp_aggregate_cols(a), 2);
	assert_int_equal(sp_aggregate_ninputs(a), 2);     /* the two-way and the empty one */
	assert_int_equal(left.n, 2);
	assert_string_equal(left.why[0], "a one-way table in a two-way aggregate");
	assert_fig(sp_aggregate_total(a), 12, 0, 12, 12);
	sp_aggregate_free(a);

	/* Only tables of none: an aggregate of none. */
	v[0].summary = empty_summary;
	a = build(hub_id(0), v, 1, NULL);
	assert_int_equal(sp_aggregate_rows(a), 0);
	assert_int_equal(sp_aggregate_cols(a), 0);
	assert_fig(sp_aggregate_total(a), 0, 0, 0, 0);
	assert_round_trip(a);
	sp_aggregate_free(a);

	/* No inputs at all: no rows, no inputs, this hub. */
	a = build(hub_id(0), v, 0, NULL);
	assert_int_equal(sp_aggregate_ninputs(a), 0);
	assert_int_equal(sp_aggregate_nhubs(a), 1);
	assert_round_trip(a);
	sp_aggregate_free(a);
}

/*
 * Two levels: hubs 1 and 2 aggregate A and B; hub 3 aggregates their
 * aggregates and gets the figures one hub over A and B gets, with the
 * three hubs listed.
 */
static void
test_lower(void **state)
{
	in_spec va[] = { { 0x10, two_way_a, NULL } }, vb[] = { { 0x20, two_way_b, NULL } };
	in_spec both[] = { { 0x10, two_way_a, NULL }, { 0x20, two_way_b, NULL } };
	in_spec up[2];
	sp_aggregate *direct, *upper;
	size_t r, c;

	(void)state;
	up[0] = (in_spec){ 0x41, NULL, build(hub_id(1), va, 1, NULL) };
	up[1] = (in_spec){ 0x42, NULL, build(hub_id(2), vb, 1, NULL) };
	upper = build(hub_id(3), up, 2, NULL);
	direct = build(hub_id(0), both, 2, NULL);
	assert_int_equal(sp_aggregate_rows(upper), sp_aggregate_rows(direct));
	assert_int_equal(sp_aggregate_cols(upper), sp_aggregate_cols(direct));
	for (r = 0; r < sp_aggregate_rows(direct); r++) {
		assert_string_equal(sp_aggregate_row(upper, r), sp_aggregate_row(direct, r));
		for (c = 0; c < sp_aggregate_cols(direct); c++)
			assert_memory_equal(sp_aggregate_cell(upper, r, c),
			    sp_aggregate_cell(direct, r, c), sizeof(sp_fig));
		assert_memory_equal(sp_aggregate_row_total(upper, r),
		    sp_aggregate_row_total(direct, r), sizeof(sp_fig));
	}
	for (c = 0; c < sp_aggregate_cols(direct); c++)
		assert_memory_equal(sp_aggregate_col_total(upper, c),
		    sp_aggregate_col_total(direct, c), sizeof(sp_fig));
	assert_fig(sp_aggregate_total(upper), 12, 1, 19, -1);
	assert_int_equal(sp_aggregate_nhubs(upper), 3);
	assert_memory_equal(sp_aggregate_hub(upper, 0), hub_id(1), SP_ID_BYTES);
	assert_memory_equal(sp_aggregate_hub(upper, 1), hub_id(2), SP_ID_BYTES);
	assert_memory_equal(sp_aggregate_hub(upper, 2), hub_id(3), SP_ID_BYTES);
	assert_round_trip(upper);
	sp_aggregate_free(upper);
	sp_aggregate_free(direct);

	/* A lower aggregate left out lends none of its hubs. */
	up[0] = (in_spec){ 0x41, NULL, build(hub_id(1), va, 1, NULL) };
	up[1] = (in_spec){ 0x42, one_way_a, NULL };
	upper = build(hub_id(3), up, 2, NULL);
	assert_int_equal(sp_aggregate_ninputs(upper), 1);
	assert_int_equal(sp_aggregate_nhubs(upper), 2);
	sp_aggregate_free(upper);
	up[0] = (in_spec){ 0x43, NULL, build(hub_id(1), va, 1, NULL) };
	upper = build(hub_id(3), up, 2, NULL);
	assert_int_equal(sp_aggregate_cols(upper), 0);
	assert_int_equal(sp_aggregate_nhubs(upper), 1);
	sp_aggregate_free(upper);
}

/* A one-way summary of rows named PREFIX0.., each 5. */
static sp_summary *
many_rows(const char *prefix, size_t n)
{
	sp_summary *s;
	size_t r;

	assert_int_equal(sp_summary_new(n, 0, 0, &s), 0);
	strcpy(sp_summary_name(s), "pmks");
	strcpy(sp_summary_period(s), "2026-11");
	*sp_summary_k(s) = 5;
	for (r = 0; r < n; r++) {
		snprintf(sp_summary_row(s, r), SP_DEF_VALUE_MAX + 1, "%s%zu", prefix, r);
		set_cell(sp_summary_cell(s, r, 0), (cell_spec)P(5));
	}
	set_cell(sp_summary_total(s), (cell_spec)P(5 * n));
	return s;
}

static sp_summary *rows_a(void) { return many_rows("a", 200); }
static sp_summary *rows_b(void) { return many_rows("b", 100); }
static sp_summary *rows_c(void) { return many_rows("a", 56); }   /* all met already */

/* A two-way summary of 10 columns named PREFIX0..9 and one row. */
static sp_summary *
many_cols(const char *prefix)
{
	sp_summary *s;
	size_t c;

	assert_int_equal(sp_summary_new(1, 10, 0, &s), 0);
	strcpy(sp_summary_name(s), "pmks");
	strcpy(sp_summary_period(s), "2026-11");
	*sp_summary_k(s) = 5;
	strcpy(sp_summary_row(s, 0), "anak");
	for (c = 0; c < 10; c++)
		snprintf(sp_summary_col(s, c), SP_DEF_VALUE_MAX + 1, "%s%zu", prefix, c);
	return s;
}

static sp_summary *cols_a(void) { return many_cols("a"); }
static sp_summary *cols_b(void) { return many_cols("b"); }

static void
test_too_large(void **state)
{
	in_spec rows[] = { { 0x10, rows_a, NULL }, { 0x20, rows_b, NULL }, { 0x30, rows_c, NULL } };
	in_spec cols[] = { { 0x10, cols_a, NULL }, { 0x20, cols_b, NULL } };
	struct left left = { .n = 0 };
	sp_aggregate_builder *b;
	uint8_t id[SP_ID_BYTES];
	sp_aggregate *a;
	sp_buf body;
	size_t i;

	(void)state;
	a = build(hub_id(0), rows, 3, &left);
	assert_int_equal(sp_aggregate_rows(a), 200);
	assert_int_equal(sp_aggregate_ninputs(a), 2);
	assert_int_equal(left.n, 1);
	assert_string_equal(left.why[0], "its rows would take the aggregate past 256");
	assert_fig(sp_aggregate_total(a), 1280, 0, 1280, 1280);
	sp_aggregate_free(a);

	memset(&left, 0, sizeof(left));
	a = build(hub_id(0), cols, 2, &left);
	assert_int_equal(sp_aggregate_cols(a), 10);
	assert_int_equal(left.n, 1);
	assert_string_equal(left.why[0], "its columns would take the aggregate past 16");
	sp_aggregate_free(a);

	/* 2,000 inputs do not fit a body. */
	assert_int_equal(sp_aggregate_start("pmks", "2026-11", hub_id(0), &b), 0);
	for (i = 0; i < 2000; i++) {
		memset(id, 0, sizeof(id));
		id[0] = (uint8_t)(i >> 8);
		id[1] = (uint8_t)i;
		assert_int_equal(sp_aggregate_add_summary(b, id, empty_summary()), 0);
	}
	assert_int_equal(sp_aggregate_finish(b, NULL, NULL, &a), 0);
	sp_buf_init(&body);
	assert_int_equal(sp_aggregate_encode(a, &body), SP_ETOOBIG);
	assert_int_equal(body.len, 0);
	sp_buf_free(&body);
	sp_aggregate_free(a);
	sp_aggregate_builder_free(b);
}

/* What the builder takes and what it refuses at once. */
static void
test_builder_args(void **state)
{
	sp_aggregate_builder *b;
	uint8_t id[SP_ID_BYTES];
	sp_summary *s;

	(void)state;
	assert_int_equal(sp_aggregate_start(".pmks", "2026-11", hub_id(0), &b), SP_EINVAL);
	assert_null(b);
	assert_int_equal(sp_aggregate_start("pmks", "2026-13", hub_id(0), &b), SP_EINVAL);
	assert_int_equal(sp_aggregate_start("pmks", "2026-12", hub_id(0), &b), 0);
	id_of(id, 1);
	/* Another period: refused, and freed (ASan sees a leak otherwise). */
	assert_int_equal(sp_aggregate_add_summary(b, id, one_way_a()), SP_EINVAL);
	s = one_way_a();
	strcpy(sp_summary_period(s), "2026-12");
	assert_int_equal(sp_aggregate_add_summary(b, id, s), 0);
	s = one_way_b();
	strcpy(sp_summary_period(s), "2026-12");
	assert_int_equal(sp_aggregate_add_summary(b, id, s), SP_EEXIST);
	sp_aggregate_builder_free(b);
}

/* Overflowing figures leave the input out, whole. */
static void
test_overflow(void **state)
{
	static const char *const rows[] = { "anak", "lansia", NULL };
	const cell_spec cells[] = { P(5), P(UINT64_MAX - 1) };
	sp_aggregate_builder *b;
	uint8_t id[SP_ID_BYTES];
	struct left left = { .n = 0 };
	sp_aggregate *a;
	sp_fig f, add;

	(void)state;
	assert_int_equal(sp_aggregate_start("pmks", "2026-11", hub_id(0), &b), 0);
	id_of(id, 1);
	assert_int_equal(sp_aggregate_add_summary(b, id, summary(rows, NULL, cells, NULL, NULL,
	    (cell_spec)P(UINT64_MAX))), 0);
	id_of(id, 2);
	assert_int_equal(sp_aggregate_add_summary(b, id, one_way_b()), 0);
	assert_int_equal(sp_aggregate_finish(b, on_left_out, &left, &a), 0);
	assert_int_equal(left.n, 1);
	assert_string_equal(left.why[0], "a figure would overflow");
	assert_int_equal(sp_aggregate_rows(a), 2);
	assert_fig(sp_aggregate_cell(a, 0, 0), 5, 0, 5, 5);
	sp_aggregate_free(a);
	sp_aggregate_builder_free(b);

	f = (sp_fig){ 1, 1, 2, 3, false };
	add = (sp_fig){ 0, 1, 0, 0, true };
	assert_true(sp_fig_add(&f, &add));
	assert_fig(&f, 1, 2, 2, -1);
	add = (sp_fig){ 0, 0, UINT64_MAX, 0, false };
	assert_false(sp_fig_add(&f, &add));
	assert_fig(&f, 1, 2, 2, -1);
}

/* Hand-packed bodies. */

typedef struct fig_spec {
	uint64_t p, s, lo, hi;
	bool nil;
} fig_spec;

static void
pack_fig(sp_buf *b, fig_spec f)
{
	sp_pack_array(b, 4);
	sp_pack_uint(b, f.p);
	sp_pack_uint(b, f.s);
	sp_pack_uint(b, f.lo);
	if (f.nil)
		sp_pack_nil(b);
	else
		sp_pack_uint(b, f.hi);
}

/* A one-way body: rows labels[0..n) with cells, the total, ids and hubs as bytes. */
static void
pack_body(sp_buf *b, const char *const *labels, const fig_spec *cells, size_t n, fig_spec total,
    const uint8_t *inputs, size_t ninputs, const uint8_t *hubs, size_t nhubs)
{
	size_t i;

	sp_buf_init(b);
	sp_pack_map(b, 8);
	sp_pack_cstr(b, "cells");
	sp_pack_array(b, (uint32_t)n);
	for (i = 0; i < n; i++) {
		sp_pack_array(b, 1);
		pack_fig(b, cells[i]);
	}
	sp_pack_cstr(b, "cols");
	sp_pack_array(b, 0);
	sp_pack_cstr(b, "hubs");
	sp_pack_array(b, (uint32_t)nhubs);
	for (i = 0; i < nhubs; i++)
		sp_pack_bin(b, hubs + i * SP_ID_BYTES, SP_ID_BYTES);
	sp_pack_cstr(b, "inputs");
	sp_pack_array(b, (uint32_t)ninputs);
	for (i = 0; i < ninputs; i++)
		sp_pack_bin(b, inputs + i * SP_ID_BYTES, SP_ID_BYTES);
	sp_pack_cstr(b, "name");
	sp_pack_cstr(b, "pmks");
	sp_pack_cstr(b, "period");
	sp_pack_cstr(b, "2026-11");
	sp_pack_cstr(b, "rows");
	sp_pack_array(b, (uint32_t)n);
	for (i = 0; i < n; i++)
		sp_pack_cstr(b, labels[i]);
	sp_pack_cstr(b, "totals");
	sp_pack_map(b, 3);
	sp_pack_cstr(b, "all");
	pack_fig(b, total);
	sp_pack_cstr(b, "cols");
	sp_pack_array(b, 0);
	sp_pack_cstr(b, "rows");
	sp_pack_array(b, 0);
	assert_int_equal(b->err, 0);
}

static int
decode_one(const char *l0, const char *l1, fig_spec c0, fig_spec c1, fig_spec total,
    size_t ninputs, size_t nhubs, bool sorted)
{
	const char *labels[] = { l0, l1 };
	const fig_spec cells[] = { c0, c1 };
	uint8_t ids[4 * SP_ID_BYTES];
	sp_aggregate *a;
	sp_buf b;
	size_t i;
	int r;

	for (i = 0; i < 4; i++)
		memset(ids + i * SP_ID_BYTES, sorted ? (int)(0x10 + i) : (int)(0x40 - i), SP_ID_BYTES);
	pack_body(&b, labels, cells, 2, total, ids, ninputs, ids, nhubs);
	r = sp_aggregate_decode(b.data, b.len, &a);
	if (r == 0) {
		assert_non_null(a);
		sp_aggregate_free(a);
	} else {
		assert_null(a);
	}
	sp_buf_free(&b);
	return r;
}

static void
test_decode_rules(void **state)
{
	const fig_spec seven = { 7, 0, 7, 7, false }, range = { 5, 2, 6, 12, false };
	const fig_spec open = { 0, 1, 2, 0, true }, total = { 12, 3, 13, 0, true };

	(void)state;
	assert_int_equal(decode_one("anak", "lansia", seven, range, total, 2, 1, true), 0);
	assert_int_equal(decode_one("anak", "lansia", seven, open, total, 0, 1, true), 0);
	/* Nothing suppressed: lo and hi are the published sum. */
	assert_int_equal(decode_one("anak", "lansia", (fig_spec){ 7, 0, 8, 8, false }, range,
	    total, 2, 1, true), SP_EAGGREGATE);
	assert_int_equal(decode_one("anak", "lansia", (fig_spec){ 7, 0, 7, 9, false }, range,
	    total, 2, 1, true), SP_EAGGREGATE);
	assert_int_equal(decode_one("anak", "lansia", (fig_spec){ 7, 0, 7, 0, true }, range,
	    total, 2, 1, true), SP_EAGGREGATE);
	/* A range below the published sum, or empty. */
	assert_int_equal(decode_one("anak", "lansia", seven, (fig_spec){ 5, 2, 4, 12, false },
	    total, 2, 1, true), SP_EAGGREGATE);
	assert_int_equal(decode_one("anak", "lansia", seven, (fig_spec){ 5, 2, 6, 5, false },
	    total, 2, 1, true), SP_EAGGREGATE);
	assert_int_equal(decode_one("anak", "lansia", seven, range,
	    (fig_spec){ 12, 3, 11, 0, true }, 2, 1, true), SP_EAGGREGATE);
	/* Labels repeated or empty. */
	assert_int_equal(decode_one("anak", "anak", seven, range, total, 2, 1, true),
	    SP_EAGGREGATE);
	assert_int_equal(decode_one("anak", "", seven, range, total, 2, 1, true), SP_EAGGREGATE);
	/* No hub; ids out of order. */
	assert_int_equal(decode_one("anak", "lansia", seven, range, total, 2, 0, true),
	    SP_EAGGREGATE);
	assert_int_equal(decode_one("anak", "lansia", seven, range, total, 2, 1, false),
	    SP_EAGGREGATE);
	assert_int_equal(decode_one("anak", "lansia", seven, range, total, 1, 2, false),
	    SP_EAGGREGATE);
}

/* A valid body, then changes to its bytes that break its canonical form. */
static void
test_decode_canonical(void **state)
{
	in_spec v[] = { { 0x10, two_way_a, NULL }, { 0x20, two_way_b, NULL } };
	sp_aggregate *a, *back;
	sp_buf body, bad;
	size_t cut, i;

	(void)state;
	a = build(hub_id(0), v, 2, NULL);
	encode(a, &body);
	sp_aggregate_free(a);
	/* Cut anywhere: refused. */
	for (cut = 0; cut < body.len; cut++)
		assert_int_equal(sp_aggregate_decode(body.data, cut, &back), SP_EAGGREGATE);
	/* A trailing byte. */
	sp_buf_init(&bad);
	sp_buf_append(&bad, body.data, body.len);
	sp_pack_nil(&bad);
	assert_int_equal(sp_aggregate_decode(bad.data, bad.len, &back), SP_EAGGREGATE);
	/* The first fig's published 7 as a uint8 (0xcc 0x07): not the shortest form. */
	sp_buf_reset(&bad);
	for (i = 0; i + 1 < body.len && !(body.data[i] == 0x94 && body.data[i + 1] == 0x07); i++)
		;
	assert_true(i + 1 < body.len);
	sp_buf_append(&bad, body.data, i + 1);
	sp_pack_raw(&bad, "\xcc\x07", 2);
	sp_buf_append(&bad, body.data + i + 2, body.len - i - 2);
	assert_int_equal(sp_aggregate_decode(bad.data, bad.len, &back), SP_EAGGREGATE);
	/* The map's first key renamed past the others: keys out of order. */
	sp_buf_reset(&bad);
	sp_buf_append(&bad, body.data, body.len);
	assert_memory_equal(bad.data + 1, "\xa5" "cells", 6);
	memcpy(bad.data + 2, "zells", 5);
	assert_int_equal(sp_aggregate_decode(bad.data, bad.len, &back), SP_EAGGREGATE);
	sp_buf_free(&bad);
	sp_buf_free(&body);
}

/* Past the limits: over 256 rows, over 60 KiB. */
static void
test_decode_bounds(void **state)
{
	const fig_spec zero = { 0, 0, 0, 0, false };
	char (*names)[8] = calloc(257, sizeof(*names));
	const char **labels = calloc(257, sizeof(*labels));
	fig_spec *cells = calloc(257, sizeof(*cells));
	uint8_t *ids = calloc(2000, SP_ID_BYTES);
	sp_aggregate *a;
	sp_buf b;
	size_t i;

	(void)state;
	assert_non_null(names);
	assert_non_null(labels);
	assert_non_null(cells);
	assert_non_null(ids);
	for (i = 0; i < 257; i++) {
		snprintf(names[i], sizeof(names[i]), "r%zu", i);
		labels[i] = names[i];
		cells[i] = zero;
	}
	for (i = 0; i < 2000; i++) {
		ids[i * SP_ID_BYTES] = (uint8_t)(i >> 8);
		ids[i * SP_ID_BYTES + 1] = (uint8_t)i;
	}
	pack_body(&b, labels, cells, 256, zero, ids, 1, ids, 1);
	assert_int_equal(sp_aggregate_decode(b.data, b.len, &a), 0);
	assert_int_equal(sp_aggregate_rows(a), 256);
	sp_aggregate_free(a);
	sp_buf_free(&b);
	pack_body(&b, labels, cells, 257, zero, ids, 1, ids, 1);
	assert_int_equal(sp_aggregate_decode(b.data, b.len, &a), SP_EAGGREGATE);
	sp_buf_free(&b);
	/* 2,000 ids: 70 KB. */
	pack_body(&b, labels, cells, 1, zero, ids, 2000, ids, 1);
	assert_true(b.len > 60 * 1024);
	assert_int_equal(sp_aggregate_decode(b.data, b.len, &a), SP_EAGGREGATE);
	sp_buf_free(&b);
	free(names);
	free(labels);
	free(cells);
	free(ids);
}

/*
 * An aggregate record whose figure was changed on the way no longer
 * verifies: what a hub above refuses before anything else.
 */
static void
test_tampered_record(void **state)
{
	in_spec v[] = { { 0x10, one_way_a, NULL } };
	uint8_t pk[SP_PUBKEY_BYTES], sk[SP_SECKEY_BYTES], id[SP_ID_BYTES];
	sp_record rec, back;
	sp_aggregate *a;
	sp_buf body, out;
	size_t i;

	(void)state;
	sp_sign_keypair(pk, sk);
	a = build(pk, v, 1, NULL);
	encode(a, &body);
	sp_aggregate_free(a);
	memset(&rec, 0, sizeof(rec));
	memset(rec.community, 0x77, SP_PUBKEY_BYTES);
	memcpy(rec.author, pk, SP_PUBKEY_BYTES);
	strcpy(rec.collection, SP_AGGREGATE_COLLECTION);
	rec.collection_len = strlen(rec.collection);
	strcpy(rec.key, "pmks/2026-11");
	rec.key_len = strlen(rec.key);
	rec.timestamp = 1000;
	rec.label = SP_LABEL_PUBLIC;
	rec.body = body.data;
	rec.body_len = body.len;
	sp_buf_init(&out);
	assert_int_equal(sp_record_sign(&rec, sk, &out, id), 0);
	assert_int_equal(sp_record_open(out.data, out.len, 1000, &back, id), 0);
	/* anak's 7 becomes 8 (published, lo, hi: [7, 0, 7, 7] -> [8, 0, 7, 7] first). */
	for (i = 0; i + 4 < out.len && memcmp(out.data + i, "\x94\x07\x00\x07\x07", 5) != 0; i++)
		;
	assert_true(i + 4 < out.len);
	out.data[i + 1] = 8;
	out.data[i + 3] = 8;
	out.data[i + 4] = 8;
	assert_int_equal(sp_record_open(out.data, out.len, 1000, &back, id), SP_ESIG);
	sp_buf_free(&out);
	sp_buf_free(&body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_way),
		cmocka_unit_test(test_two_way),
		cmocka_unit_test(test_order_independent),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_lower),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_builder_args),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_decode_rules),
		cmocka_unit_test(test_decode_canonical),
		cmocka_unit_test(test_decode_bounds),
		cmocka_unit_test(test_tampered_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
