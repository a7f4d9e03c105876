/*
 * test_report.c - a hub's report (proto/report.c): columns from summaries
 * and aggregates with their labels merged in the order first met, a
 * figure missing where a column lacks a label, the total column the sum
 * of the figs (hidden counts as ranges, unbounded staying unbounded), a
 * table of the other kind or past the limits left out and said, and the
 * control replies read back to the same report, a malformed one refused.
 */
#include "sp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "ctl.h"
#include "pack.h"
#include "report.h"
#include "sp_err.h"

static const uint8_t hub[SP_PUBKEY_BYTES] = { 0x68 };

static const uint8_t *
id_of(int n)
{
	static uint8_t ids[8][SP_PUBKEY_BYTES];

	memset(ids[n], 0x10 + n, SP_PUBKEY_BYTES);
	return ids[n];
}

/* Adds a summary of pmks/2026-11 as column n's community (alias "c<n>"). */
static void
add(sp_report *r, int n, const char *const *rows, size_t nrows, const char *const *cols,
    size_t ncols, const char *const *cells)
{
	sp_summary *s = sp_test_summary("pmks", "2026-11", rows, nrows, cols, ncols, cells);
	char alias[8];

	snprintf(alias, sizeof(alias), "c%d", n);
	assert_int_equal(sp_report_add_summary(r, id_of(n), alias, s), 0);
	sp_summary_free(s);
}

static void
assert_fig(const sp_fig *f, uint64_t published, uint64_t suppressed, uint64_t lo, int64_t hi)
{
	assert_non_null(f);
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

/*
 * Three communities, one way: all published; two hidden that protect
 * each other; everything hidden (total below k), rows in another order
 * and one more.
 */
static sp_report *
one_way(void)
{
	static const char *const rows_a[] = { "anak", "lansia" };
	static const char *const cells_a[] = { "6", "7", "13" };
	static const char *const rows_b[] = { "anak", "lansia", "other" };
	static const char *const cells_b[] = { "[1-10]", "[1-10]", "0", "11" };
	static const char *const rows_c[] = { "lansia", "disabilitas", "anak" };
	static const char *const cells_c[] = { "[>=1]", "0", "[>=1]", "[>=2]" };
	sp_report *r;

	assert_int_equal(sp_report_new("pmks", "2026-11", SP_REPORT_BY_COMMUNITY, hub, &r), 0);
	add(r, 0, rows_a, 2, NULL, 0, cells_a);
	add(r, 1, rows_b, 3, NULL, 0, cells_b);
	add(r, 2, rows_c, 3, NULL, 0, cells_c);
	assert_int_equal(sp_report_finish(r), 0);
	return r;
}

static void
assert_one_way(const sp_report *r)
{
	assert_string_equal(sp_report_name(r), "pmks");
	assert_string_equal(sp_report_period(r), "2026-11");
	assert_memory_equal(sp_report_hub(r), hub, SP_PUBKEY_BYTES);
	assert_int_equal(sp_report_rows(r), 4);
	assert_int_equal(sp_report_cols(r), 0);
	assert_int_equal(sp_report_width(r), 1);
	assert_string_equal(sp_report_row(r, 0), "anak");
	assert_string_equal(sp_report_row(r, 1), "lansia");
	assert_string_equal(sp_report_row(r, 2), "other");
	assert_string_equal(sp_report_row(r, 3), "disabilitas");
	assert_int_equal(sp_report_columns(r), 3);
	assert_int_equal(sp_report_column_kind(r, 1), SP_REPORT_COMMUNITY);
	assert_memory_equal(sp_report_column_id(r, 1), id_of(1), SP_PUBKEY_BYTES);
	assert_string_equal(sp_report_column_alias(r, 1), "c1");
	assert_int_equal(sp_report_column_k(r, 1), 5);
	/* A published cell v is [v, 0, v, v], a hidden [l, h] is [0, 1, l, h]. */
	assert_fig(sp_report_fig(r, 0, 0, 0), 6, 0, 6, 6);
	assert_fig(sp_report_fig(r, 1, 0, 0), 0, 1, 1, 10);
	assert_fig(sp_report_fig(r, 2, 0, 0), 0, 1, 1, -1);
	assert_fig(sp_report_fig(r, 2, 1, 0), 0, 1, 1, -1);
	/* A row a community's table lacks has no figure there. */
	assert_null(sp_report_fig(r, 0, 2, 0));
	assert_null(sp_report_fig(r, 0, 3, 0));
	assert_null(sp_report_fig(r, 1, 3, 0));
	assert_fig(sp_report_fig(r, 2, 3, 0), 0, 0, 0, 0);
	/* Grand totals, each column's own. */
	assert_fig(sp_report_fig(r, 0, 4, 0), 13, 0, 13, 13);
	assert_fig(sp_report_fig(r, 2, 4, 0), 0, 1, 2, -1);
	/* The total column adds the figs: an unbounded part leaves it unbounded. */
	assert_fig(sp_report_fig(r, 3, 0, 0), 6, 2, 8, -1);
	assert_fig(sp_report_fig(r, 3, 1, 0), 7, 2, 9, -1);
	assert_fig(sp_report_fig(r, 3, 2, 0), 0, 0, 0, 0);
	assert_fig(sp_report_fig(r, 3, 3, 0), 0, 0, 0, 0);
	assert_fig(sp_report_fig(r, 3, 4, 0), 24, 1, 26, -1);
	/* Out of range: nothing. */
	assert_null(sp_report_fig(r, 3, 5, 0));
	assert_null(sp_report_fig(r, 3, 0, 1));
	assert_int_equal(sp_report_left_out(r), 0);
}

static void
test_one_way(void **state)
{
	sp_report *r = one_way();

	(void)state;
	assert_one_way(r);
	sp_report_free(r);
}

/*
 * Two ways, columns met in another order by the second community:
 *   c0:        L      P   | total       c1:       P    other | total
 *   anak       6      0   |   6         anak      0      5   |   5
 *   lansia  [1-9]  [1-9]  |  10         total     0      5   |   5
 *   total   [6-14] [1-9]  |  16
 */
static sp_report *
two_way(void)
{
	static const char *const rows_a[] = { "anak", "lansia" };
	static const char *const cols_a[] = { "L", "P" };
	static const char *const cells_a[] = {
		"6", "0", "6",
		"[1-9]", "[1-9]", "10",
		"[6-14]", "[1-9]", "16",
	};
	static const char *const rows_b[] = { "anak" };
	static const char *const cols_b[] = { "P", "other" };
	static const char *const cells_b[] = { "0", "5", "5", "0", "5", "5" };
	sp_report *r;

	assert_int_equal(sp_report_new("pmks", "2026-11", SP_REPORT_BY_COMMUNITY, hub, &r), 0);
	add(r, 0, rows_a, 2, cols_a, 2, cells_a);
	add(r, 1, rows_b, 1, cols_b, 2, cells_b);
	assert_int_equal(sp_report_finish(r), 0);
	return r;
}

static void
test_two_way(void **state)
{
	sp_report *r = two_way();

	(void)state;
	assert_int_equal(sp_report_rows(r), 2);
	assert_int_equal(sp_report_cols(r), 3);
	assert_int_equal(sp_report_width(r), 4);
	assert_string_equal(sp_report_col(r, 0), "L");
	assert_string_equal(sp_report_col(r, 1), "P");
	assert_string_equal(sp_report_col(r, 2), "other");
	/* Cells, by the report's labels. */
	assert_fig(sp_report_fig(r, 0, 1, 0), 0, 1, 1, 9);
	assert_null(sp_report_fig(r, 0, 0, 2));
	assert_fig(sp_report_fig(r, 1, 0, 1), 0, 0, 0, 0);
	assert_fig(sp_report_fig(r, 1, 0, 2), 5, 0, 5, 5);
	assert_null(sp_report_fig(r, 1, 0, 0));
	assert_null(sp_report_fig(r, 1, 1, 1));
	/* Row totals (j = cols), column totals (i = rows), the grand total. */
	assert_fig(sp_report_fig(r, 0, 1, 3), 10, 0, 10, 10);
	assert_fig(sp_report_fig(r, 1, 0, 3), 5, 0, 5, 5);
	assert_fig(sp_report_fig(r, 0, 2, 0), 0, 1, 6, 14);
	assert_fig(sp_report_fig(r, 1, 2, 2), 5, 0, 5, 5);
	assert_null(sp_report_fig(r, 1, 2, 0));
	assert_fig(sp_report_fig(r, 1, 2, 3), 5, 0, 5, 5);
	/* The total column. */
	assert_fig(sp_report_fig(r, 2, 0, 0), 6, 0, 6, 6);
	assert_fig(sp_report_fig(r, 2, 0, 2), 5, 0, 5, 5);
	assert_fig(sp_report_fig(r, 2, 1, 0), 0, 1, 1, 9);
	assert_null(sp_report_fig(r, 2, 1, 2));   /* no table has lansia / other */
	assert_fig(sp_report_fig(r, 2, 0, 3), 11, 0, 11, 11);
	assert_fig(sp_report_fig(r, 2, 2, 0), 0, 1, 6, 14);
	assert_fig(sp_report_fig(r, 2, 2, 1), 0, 1, 1, 9);
	assert_fig(sp_report_fig(r, 2, 2, 3), 21, 0, 21, 21);
	sp_report_free(r);
}

static void
test_left_out(void **state)
{
	static const char *const rows[] = { "anak" };
	static const char *const cols[] = { "L" };
	static const char *const one[] = { "6", "6" };
	static const char *const two[] = { "6", "6", "6", "6" };
	static const char *const none[] = { "0" };
	char *many[SP_SUMMARY_MAX_ROWS], label[16];
	const char *many_cells[SP_SUMMARY_MAX_ROWS + 1];
	sp_summary *s;
	sp_report *r;
	size_t i;

	(void)state;
	assert_int_equal(sp_report_new("pmks", "2026-11", SP_REPORT_BY_COMMUNITY, hub, &r), 0);
	/* A table of none fixes no kind; the first with rows does. */
	add(r, 0, NULL, 0, NULL, 0, none);
	add(r, 1, rows, 1, cols, 1, two);
	add(r, 2, rows, 1, NULL, 0, one);
	add(r, 3, NULL, 0, NULL, 0, none);
	assert_int_equal(sp_report_columns(r), 3);
	assert_int_equal(sp_report_left_out(r), 1);
	assert_int_equal(sp_report_left_out_kind(r, 0), SP_REPORT_COMMUNITY);
	assert_memory_equal(sp_report_left_out_id(r, 0), id_of(2), SP_PUBKEY_BYTES);
	assert_string_equal(sp_report_left_out_alias(r, 0), "c2");
	assert_string_equal(sp_report_left_out_why(r, 0), "a one-way table in a two-way report");
	/* Another name or period, or a bad alias: refused, not left out. */
	s = sp_test_summary("other", "2026-11", rows, 1, NULL, 0, one);
	assert_int_equal(sp_report_add_summary(r, id_of(4), "c4", s), SP_EINVAL);
	sp_summary_free(s);
	s = sp_test_summary("pmks", "2026-10", rows, 1, cols, 1, two);
	assert_int_equal(sp_report_add_summary(r, id_of(4), "c4", s), SP_EINVAL);
	assert_int_equal(sp_report_add_summary(r, id_of(4), "", s), SP_EINVAL);
	sp_summary_free(s);
	/* 256 new rows: past the limit with "anak" there; its labels are taken back. */
	for (i = 0; i < SP_SUMMARY_MAX_ROWS; i++) {
		snprintf(label, sizeof(label), "r%zu", i);
		many[i] = strdup(label);
		many_cells[i] = "0";
	}
	many_cells[SP_SUMMARY_MAX_ROWS] = "0";
	sp_report_free(r);
	assert_int_equal(sp_report_new("pmks", "2026-11", SP_REPORT_BY_COMMUNITY, hub, &r), 0);
	add(r, 0, rows, 1, NULL, 0, one);
	add(r, 1, (const char *const *)many, SP_SUMMARY_MAX_ROWS, NULL, 0, many_cells);
	assert_int_equal(sp_report_columns(r), 1);
	assert_int_equal(sp_report_rows(r), 1);
	assert_string_equal(sp_report_left_out_why(r, 0),
	    "more than 256 categories or 16 columns in all");
	assert_int_equal(sp_report_finish(r), 0);
	assert_fig(sp_report_fig(r, 1, 1, 0), 6, 0, 6, 6);
	sp_report_free(r);
	for (i = 0; i < SP_SUMMARY_MAX_ROWS; i++)
		free(many[i]);
}

/* A hub's column from its aggregate, and one whose figures would overflow the total. */
static void
test_aggregates(void **state)
{
	static const char *const rows[] = { "anak" };
	static const char *const one[] = { "[1-10]", "6" };
	sp_aggregate_builder *b;
	sp_aggregate *a;
	sp_report *r;

	(void)state;
	assert_int_equal(sp_aggregate_start("pmks", "2026-11", id_of(5), &b), 0);
	assert_int_equal(sp_aggregate_add_summary(b, id_of(6),
	    sp_test_summary("pmks", "2026-11", rows, 1, NULL, 0, one)), 0);
	assert_int_equal(sp_aggregate_finish(b, NULL, NULL, &a), 0);
	sp_aggregate_builder_free(b);
	assert_int_equal(sp_report_new("pmks", "2026-11", SP_REPORT_BY_HUB, hub, &r), 0);
	assert_int_equal(sp_report_add_aggregate(r, SP_REPORT_COMMUNITY, id_of(5), "desa", a),
	    SP_EINVAL);
	assert_int_equal(sp_report_add_aggregate(r, SP_REPORT_HUB, id_of(5), "desa", a), 0);
	assert_int_equal(sp_report_add_aggregate(r, SP_REPORT_OWN, hub, "own", a), 0);
	assert_int_equal(sp_report_finish(r), 0);
	assert_int_equal(sp_report_by(r), SP_REPORT_BY_HUB);
	assert_int_equal(sp_report_column_kind(r, 0), SP_REPORT_HUB);
	assert_int_equal(sp_report_column_kind(r, 1), SP_REPORT_OWN);
	assert_int_equal(sp_report_column_k(r, 0), 0);
	assert_fig(sp_report_fig(r, 0, 0, 0), 0, 1, 1, 10);
	assert_fig(sp_report_fig(r, 2, 0, 0), 0, 2, 2, 20);
	assert_fig(sp_report_fig(r, 2, 1, 0), 12, 0, 12, 12);
	sp_report_free(r);
	sp_aggregate_free(a);
}

static void
test_overflow(void **state)
{
	static const char *const rows[] = { "anak" };
	char big[32];
	const char *cells[2];
	sp_report *r;

	(void)state;
	snprintf(big, sizeof(big), "%llu", (unsigned long long)(UINT64_MAX / 2 + 1));
	cells[0] = big;
	cells[1] = big;
	assert_int_equal(sp_report_new("pmks", "2026-11", SP_REPORT_BY_COMMUNITY, hub, &r), 0);
	add(r, 0, rows, 1, NULL, 0, cells);
	add(r, 1, rows, 1, NULL, 0, cells);
	assert_int_equal(sp_report_columns(r), 1);
	assert_int_equal(sp_report_left_out(r), 1);
	assert_string_equal(sp_report_left_out_why(r, 0), "figures too large to add up");
	sp_report_free(r);
}

/* The frames of a packed reply, decoded one by one. */
typedef struct frames {
	sp_buf buf;
	size_t at;
} frames;

static bool
next_frame(frames *f, sp_ctl_msg *m)
{
	uint32_t len;

	if (f->at == f->buf.len)
		return false;
	assert_int_equal(sp_ctl_frame_len(f->buf.data + f->at, &len), 0);
	assert_int_equal(sp_ctl_decode_reply(f->buf.data + f->at + SP_CTL_HDR_BYTES, len, m), 0);
	f->at += SP_CTL_HDR_BYTES + len;
	return true;
}

/* Reads a whole reply back; returns the first error. */
static int
read_back(frames *f, sp_report **out)
{
	sp_ctl_msg m;
	int err;

	*out = NULL;
	assert_true(next_frame(f, &m));
	if ((err = sp_report_read_header(&m, out)) != 0)
		return err;
	while (next_frame(f, &m) && m.status == SP_CTL_MORE)
		if ((err = sp_report_read_column(*out, &m)) != 0)
			return err;
	return sp_report_read_end(*out, &m);
}

static void
assert_same(const sp_report *a, const sp_report *b)
{
	size_t u, i, j;
	const sp_fig *fa, *fb;

	assert_int_equal(sp_report_rows(a), sp_report_rows(b));
	assert_int_equal(sp_report_cols(a), sp_report_cols(b));
	assert_int_equal(sp_report_columns(a), sp_report_columns(b));
	assert_int_equal(sp_report_left_out(a), sp_report_left_out(b));
	for (i = 0; i < sp_report_rows(a); i++)
		assert_string_equal(sp_report_row(a, i), sp_report_row(b, i));
	for (j = 0; j < sp_report_cols(a); j++)
		assert_string_equal(sp_report_col(a, j), sp_report_col(b, j));
	for (u = 0; u <= sp_report_columns(a); u++) {
		if (u < sp_report_columns(a)) {
			assert_string_equal(sp_report_column_alias(a, u), sp_report_column_alias(b, u));
			assert_int_equal(sp_report_column_kind(a, u), sp_report_column_kind(b, u));
			assert_int_equal(sp_report_column_k(a, u), sp_report_column_k(b, u));
		}
		for (i = 0; i <= sp_report_rows(a); i++) {
			for (j = 0; j < sp_report_width(a); j++) {
				fa = sp_report_fig(a, u, i, j);
				fb = sp_report_fig(b, u, i, j);
				assert_int_equal(fa == NULL, fb == NULL);
				if (fa != NULL)
					assert_memory_equal(fa, fb, sizeof(*fa));
			}
		}
	}
}

static void
test_wire(void **state)
{
	static const char *const rows[] = { "anak" };
	static const char *const one[] = { "6", "6" };
	sp_report *r, *back;
	frames f = { { 0 }, 0 };
	sp_summary *s;

	(void)state;
	r = one_way();
	sp_buf_init(&f.buf);
	assert_int_equal(sp_report_pack(r, &f.buf), 0);
	assert_int_equal(read_back(&f, &back), 0);
	assert_one_way(back);
	assert_same(r, back);
	sp_report_free(back);
	sp_report_free(r);

	r = two_way();
	s = sp_test_summary("pmks", "2026-11", rows, 1, NULL, 0, one);
	assert_int_equal(sp_report_add_summary(r, id_of(3), "c3", s), 0);
	sp_summary_free(s);
	assert_int_equal(sp_report_finish(r), 0);
	sp_buf_reset(&f.buf);
	f.at = 0;
	assert_int_equal(sp_report_pack(r, &f.buf), 0);
	assert_int_equal(read_back(&f, &back), 0);
	assert_same(r, back);
	assert_string_equal(sp_report_left_out_why(back, 0), "a one-way table in a two-way report");
	assert_memory_equal(sp_report_left_out_id(back, 0), id_of(3), SP_PUBKEY_BYTES);
	sp_report_free(back);
	sp_report_free(r);
	sp_buf_free(&f.buf);
}

/* A column frame with one field replaced by value (msgpack). */
static int
read_column_with(const char *field, const uint8_t *value, size_t len)
{
	static const char *const names[] = { "alias", "cols", "figs", "id", "k", "kind", "rows" };
	static const uint8_t fig6[] = { 0x94, 6, 0, 6, 6 };
	sp_report *r;
	sp_ctl_msg m;
	sp_buf b;
	size_t i;
	int err;

	r = one_way();
	sp_buf_init(&b);
	sp_ctl_begin_reply(&b, SP_CTL_MORE, 7);
	for (i = 0; i < 7; i++) {
		sp_pack_cstr(&b, names[i]);
		if (strcmp(names[i], field) == 0) {
			sp_pack_raw(&b, value, len);
			continue;
		}
		switch (i) {
		case 0: sp_pack_cstr(&b, "c9"); break;
		case 1: sp_pack_array(&b, 0); break;
		case 2: sp_pack_array(&b, 2); sp_pack_raw(&b, fig6, 5); sp_pack_raw(&b, fig6, 5); break;
		case 3: sp_pack_bin(&b, id_of(7), SP_PUBKEY_BYTES); break;
		case 4: sp_pack_uint(&b, 5); break;
		case 5: sp_pack_cstr(&b, "community"); break;
		default: sp_pack_array(&b, 1); sp_pack_uint(&b, 0); break;
		}
	}
	assert_int_equal(sp_ctl_end(&b, 0), 0);
	assert_int_equal(sp_ctl_decode_reply(b.data + SP_CTL_HDR_BYTES, b.len - SP_CTL_HDR_BYTES,
	    &m), 0);
	err = sp_report_read_column(r, &m);
	sp_buf_free(&b);
	sp_report_free(r);
	return err;
}

static void
test_wire_refused(void **state)
{
	static const uint8_t good_alias[] = { 0xa2, 'c', '9' };
	static const uint8_t row_out_of_range[] = { 0x91, 4 };
	static const uint8_t row_twice[] = { 0x92, 0, 0 };
	static const uint8_t a_col[] = { 0x91, 0 };
	static const uint8_t three_figs[] = { 0x93, 0x94, 6, 0, 6, 6, 0x94, 6, 0, 6, 6,
	    0x94, 6, 0, 6, 6 };
	/* Nothing hidden, yet a range; a range below the published part; lo above hi. */
	static const uint8_t exact_with_range[] = { 0x92, 0x94, 6, 0, 6, 7, 0x94, 6, 0, 6, 6 };
	static const uint8_t lo_below[] = { 0x92, 0x94, 6, 1, 5, 9, 0x94, 6, 0, 6, 6 };
	static const uint8_t lo_above_hi[] = { 0x92, 0x94, 0, 1, 9, 5, 0x94, 6, 0, 6, 6 };
	static const uint8_t hidden_unbounded[] = { 0x92, 0x94, 0, 1, 9, 0xc0, 0x94, 6, 0, 6, 6 };
	static const uint8_t bad_kind[] = { 0xa4, 't', 'o', 't', 'a' };
	static const uint8_t empty_alias[] = { 0xa0 };
	static const uint8_t big_k[] = { 101 };
	frames f = { { 0 }, 0 };
	sp_report *r, *back;

	(void)state;
	assert_int_equal(read_column_with("alias", good_alias, sizeof(good_alias)), 0);
	assert_int_equal(read_column_with("figs", hidden_unbounded, sizeof(hidden_unbounded)), 0);
	assert_int_equal(read_column_with("rows", row_out_of_range, sizeof(row_out_of_range)),
	    SP_EFRAME);
	assert_int_equal(read_column_with("rows", row_twice, sizeof(row_twice)), SP_EFRAME);
	/* A column label in a one-way report. */
	assert_int_equal(read_column_with("cols", a_col, sizeof(a_col)), SP_EFRAME);
	assert_int_equal(read_column_with("figs", three_figs, sizeof(three_figs)), SP_EFRAME);
	assert_int_equal(read_column_with("figs", exact_with_range, sizeof(exact_with_range)),
	    SP_EFRAME);
	assert_int_equal(read_column_with("figs", lo_below, sizeof(lo_below)), SP_EFRAME);
	assert_int_equal(read_column_with("figs", lo_above_hi, sizeof(lo_above_hi)), SP_EFRAME);
	assert_int_equal(read_column_with("kind", bad_kind, sizeof(bad_kind)), SP_EFRAME);
	assert_int_equal(read_column_with("alias", empty_alias, sizeof(empty_alias)), SP_EFRAME);
	assert_int_equal(read_column_with("k", big_k, sizeof(big_k)), SP_EFRAME);

	/* A header that is the final frame, and a final frame that is a column's. */
	r = one_way();
	sp_buf_init(&f.buf);
	assert_int_equal(sp_report_pack(r, &f.buf), 0);
	f.buf.data[SP_CTL_HDR_BYTES + 2] = SP_CTL_OK;
	assert_int_equal(read_back(&f, &back), SP_EFRAME);
	assert_null(back);
	sp_report_free(r);
	sp_buf_free(&f.buf);
}

static void
test_period_span(void **state)
{
	unsigned year, first, months;

	(void)state;
	assert_true(sp_period_span("2026-11", 7, &year, &first, &months));
	assert_int_equal(year, 2026);
	assert_int_equal(first, 11);
	assert_int_equal(months, 1);
	assert_true(sp_period_span("2026-Q4", 7, &year, &first, &months));
	assert_int_equal(first, 10);
	assert_int_equal(months, 3);
	assert_true(sp_period_span("2027", 4, &year, &first, &months));
	assert_int_equal(year, 2027);
	assert_int_equal(first, 1);
	assert_int_equal(months, 12);
	assert_false(sp_period_span("2026-13", 7, &year, &first, &months));
	assert_false(sp_period_span("2026-Q5", 7, &year, &first, &months));
	assert_false(sp_period_span("26", 2, &year, &first, &months));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_way),
		cmocka_unit_test(test_two_way),
		cmocka_unit_test(test_left_out),
		cmocka_unit_test(test_aggregates),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_wire),
		cmocka_unit_test(test_wire_refused),
		cmocka_unit_test(test_period_span),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
