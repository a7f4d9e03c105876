/*
 * test_tally.c - the counts and sums of a summary definition over record
 * bodies (proto/tally.c): grouping values, "other", the category list,
 * the where filter, sums and the table's limits.
 */
#include "sp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "pack.h"
#include "sp_err.h"
#include "tally.h"

/* A case body: {"aid": aid, "category": category, "open": open, "sex": sex}; NULL/-1 leave one out. */
static void
case_body(sp_buf *b, long aid, const char *category, int open, const char *sex)
{
	uint32_t n = (aid >= 0) + (category != NULL) + (open >= 0) + (sex != NULL);

	sp_buf_init(b);
	sp_pack_map(b, n);
	if (aid >= 0) {
		sp_pack_cstr(b, "aid");
		sp_pack_uint(b, (uint64_t)aid);
	}
	if (category != NULL) {
		sp_pack_cstr(b, "category");
		sp_pack_cstr(b, category);
	}
	if (open >= 0) {
		sp_pack_cstr(b, "open");
		sp_pack_bool(b, open != 0);
	}
	if (sex != NULL) {
		sp_pack_cstr(b, "sex");
		sp_pack_cstr(b, sex);
	}
	assert_int_equal(b->err, 0);
	assert_int_equal(sp_body_validate(b->data, b->len), 0);
}

static void
add_case(sp_tally *t, long aid, const char *category, int open, const char *sex)
{
	sp_buf b;

	case_body(&b, aid, category, open, sex);
	assert_int_equal(sp_tally_add(t, b.data, b.len), 0);
	sp_buf_free(&b);
}

static void
definition(sp_definition *d, bool two_way)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->from, sizeof(d->from), "cases");
	snprintf(d->by[0], sizeof(d->by[0]), "category");
	d->nby = 1;
	if (two_way) {
		snprintf(d->by[1], sizeof(d->by[1]), "sex");
		d->nby = 2;
	}
	d->k = 5;
}

/* The listed categories in their order, then "other" (always); unlisted and missing go there. */
static void
test_category_list(void **state)
{
	sp_definition d;
	sp_tally *t;

	(void)state;
	definition(&d, false);
	snprintf(d.categories[0], sizeof(d.categories[0]), "lansia");
	snprintf(d.categories[1], sizeof(d.categories[1]), "anak");
	snprintf(d.categories[2], sizeof(d.categories[2]), "disabilitas");
	d.ncategories = 3;
	assert_int_equal(sp_tally_new(&d, &t), 0);
	add_case(t, -1, "anak", -1, NULL);
	add_case(t, -1, "anak", -1, NULL);
	add_case(t, -1, "lansia", -1, NULL);
	add_case(t, -1, "yatim", -1, NULL);
	add_case(t, -1, NULL, -1, NULL);
	assert_int_equal(sp_tally_rows(t), 4);
	assert_int_equal(sp_tally_cols(t), 1);
	assert_null(sp_tally_col(t, 0));
	assert_string_equal(sp_tally_row(t, 0), "lansia");
	assert_string_equal(sp_tally_row(t, 1), "anak");
	assert_string_equal(sp_tally_row(t, 2), "disabilitas");
	assert_string_equal(sp_tally_row(t, 3), "other");
	assert_int_equal(sp_tally_count(t, 0, 0), 1);
	assert_int_equal(sp_tally_count(t, 1, 0), 2);
	assert_int_equal(sp_tally_count(t, 2, 0), 0);
	assert_int_equal(sp_tally_count(t, 3, 0), 2);
	assert_int_equal(sp_tally_total(t), 5);
	sp_tally_free(t);
}

/* Without a list: the values found in bytewise order; "other" only once used. */
static void
test_values_found(void **state)
{
	sp_definition d;
	sp_tally *t;

	(void)state;
	definition(&d, false);
	assert_int_equal(sp_tally_new(&d, &t), 0);
	add_case(t, -1, "lansia", -1, NULL);
	add_case(t, -1, "anak", -1, NULL);
	add_case(t, -1, "lansia", -1, NULL);
	assert_int_equal(sp_tally_rows(t), 2);
	assert_string_equal(sp_tally_row(t, 0), "anak");
	assert_string_equal(sp_tally_row(t, 1), "lansia");
	assert_int_equal(sp_tally_count(t, 1, 0), 2);
	add_case(t, -1, NULL, -1, NULL);
	assert_int_equal(sp_tally_rows(t), 3);
	assert_string_equal(sp_tally_row(t, 2), "other");
	assert_int_equal(sp_tally_count(t, 2, 0), 1);
	sp_tally_free(t);
}

/* Integers and booleans group by their text; other kinds count as "other". */
static void
test_value_texts(void **state)
{
	sp_definition d;
	sp_tally *t;

	(void)state;
	definition(&d, false);
	snprintf(d.by[0], sizeof(d.by[0]), "open");
	assert_int_equal(sp_tally_new(&d, &t), 0);
	add_case(t, -1, NULL, 1, NULL);
	add_case(t, -1, NULL, 0, NULL);
	add_case(t, -1, NULL, 1, NULL);
	assert_int_equal(sp_tally_rows(t), 2);
	assert_string_equal(sp_tally_row(t, 0), "false");
	assert_string_equal(sp_tally_row(t, 1), "true");
	assert_int_equal(sp_tally_count(t, 1, 0), 2);
	sp_tally_free(t);
	snprintf(d.by[0], sizeof(d.by[0]), "aid");
	assert_int_equal(sp_tally_new(&d, &t), 0);
	add_case(t, 250000, NULL, -1, NULL);
	add_case(t, 7, NULL, -1, NULL);
	assert_string_equal(sp_tally_row(t, 0), "250000");
	assert_string_equal(sp_tally_row(t, 1), "7");
	sp_tally_free(t);
}

static void
test_two_way_and_sums(void **state)
{
	sp_definition d;
	sp_tally *t;

	(void)state;
	definition(&d, true);
	snprintf(d.sums[0], sizeof(d.sums[0]), "aid");
	d.nsums = 1;
	assert_int_equal(sp_tally_new(&d, &t), 0);
	add_case(t, 100, "anak", -1, "P");
	add_case(t, 50, "anak", -1, "P");
	add_case(t, -1, "anak", -1, "L");
	add_case(t, 10, "lansia", -1, NULL);
	assert_int_equal(sp_tally_rows(t), 2);
	assert_int_equal(sp_tally_cols(t), 3);
	assert_string_equal(sp_tally_col(t, 0), "L");
	assert_string_equal(sp_tally_col(t, 1), "P");
	assert_string_equal(sp_tally_col(t, 2), "other");
	assert_int_equal(sp_tally_count(t, 0, 1), 2);
	assert_int_equal(sp_tally_count(t, 0, 0), 1);
	assert_int_equal(sp_tally_count(t, 1, 2), 1);
	assert_int_equal(sp_tally_sum(t, 0, 0, 1), 150);
	assert_int_equal(sp_tally_sum(t, 0, 0, 0), 0);
	assert_int_equal(sp_tally_sum(t, 0, 1, 2), 10);
	sp_tally_free(t);
}

/* where: each named field's text equals the value; a record without it does not match. */
static void
test_where(void **state)
{
	sp_definition d;
	sp_tally *t;

	(void)state;
	definition(&d, false);
	snprintf(d.where[0].field, sizeof(d.where[0].field), "open");
	snprintf(d.where[0].value, sizeof(d.where[0].value), "true");
	d.nwhere = 1;
	assert_int_equal(sp_tally_new(&d, &t), 0);
	add_case(t, -1, "anak", 1, NULL);
	add_case(t, -1, "anak", 0, NULL);
	add_case(t, -1, "anak", -1, NULL);
	assert_int_equal(sp_tally_total(t), 1);
	assert_int_equal(sp_tally_count(t, 0, 0), 1);
	sp_tally_free(t);
}

/* At most 256 rows (255 values and "other") and 16 columns; a sum stays in int64. */
static void
test_limits(void **state)
{
	char value[16];
	sp_definition d;
	sp_tally *t;
	sp_buf b;
	int i;

	(void)state;
	definition(&d, true);
	assert_int_equal(sp_tally_new(&d, &t), 0);
	for (i = 0; i < SP_TALLY_MAX_ROWS - 1; i++) {
		snprintf(value, sizeof(value), "c%03d", i);
		add_case(t, -1, value, -1, NULL);
	}
	case_body(&b, -1, "one too many", -1, NULL);
	assert_int_equal(sp_tally_add(t, b.data, b.len), SP_ETOOBIG);
	sp_buf_free(&b);
	sp_tally_free(t);

	assert_int_equal(sp_tally_new(&d, &t), 0);
	for (i = 0; i < SP_TALLY_MAX_COLS - 1; i++) {
		snprintf(value, sizeof(value), "s%02d", i);
		add_case(t, -1, "anak", -1, value);
	}
	case_body(&b, -1, "anak", -1, "one too many");
	assert_int_equal(sp_tally_add(t, b.data, b.len), SP_ETOOBIG);
	sp_buf_free(&b);
	sp_tally_free(t);

	definition(&d, false);
	snprintf(d.sums[0], sizeof(d.sums[0]), "aid");
	d.nsums = 1;
	assert_int_equal(sp_tally_new(&d, &t), 0);
	add_case(t, INT64_MAX, "anak", -1, NULL);
	case_body(&b, 1, "anak", -1, NULL);
	assert_int_equal(sp_tally_add(t, b.data, b.len), SP_EINTRANGE);
	sp_buf_free(&b);
	sp_tally_free(t);

	d.k = 2;
	assert_int_equal(sp_tally_new(&d, &t), SP_EDEFINITION);
	assert_null(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_category_list),
		cmocka_unit_test(test_values_found),
		cmocka_unit_test(test_value_texts),
		cmocka_unit_test(test_two_way_and_sums),
		cmocka_unit_test(test_where),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
