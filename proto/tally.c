#include "tally.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "reader.h"
#include "sp_err.h"

/* The last slot of each axis holds "other". */
#define ROW_OTHER (SP_TALLY_MAX_ROWS - 1)
#define COL_OTHER (SP_TALLY_MAX_COLS - 1)

typedef char value_text[SP_DEF_VALUE_MAX + 1];

/* The values of one grouping field, by id (arrival or list order). */
struct axis {
	value_text *v;
	uint16_t *sorted;          /* ids in bytewise order of their values */
	size_t n, max;             /* max: ids below the "other" slot */
	bool listed;               /* a category list: no value is added */
	bool other_used;
};

struct sp_tally {
	sp_definition d;
	struct axis rows, cols;
	uint64_t total;
	uint64_t *count;           /* [row slot][col slot] */
	int64_t *sum;              /* [sum][row slot][col slot] */
};

static size_t
cell(size_t row, size_t col)
{
	return row * SP_TALLY_MAX_COLS + col;
}

static int
axis_init(struct axis *a, size_t max)
{
	a->max = max;
	if ((a->v = calloc(max, sizeof(*a->v))) == NULL ||
	    (a->sorted = calloc(max, sizeof(*a->sorted))) == NULL)
		return SP_ENOMEM;
	return 0;
}

static void
axis_free(struct axis *a)
{
	free(a->v);
	free(a->sorted);
}

/* Binary search: true if s is a value, with *at its place in sorted (or where it goes). */
static bool
axis_find(const struct axis *a, const char *s, size_t *at)
{
	size_t lo = 0, hi = a->n, mid;
	int cmp;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		cmp = strcmp(a->v[a->sorted[mid]], s);
		if (cmp == 0) {
			*at = mid;
			return true;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return false;
}

static int
axis_insert(struct axis *a, const char *s, size_t at)
{
	if (a->n == a->max)
		return SP_ETOOBIG;
	snprintf(a->v[a->n], sizeof(a->v[0]), "%s", s);
	memmove(a->sorted + at + 1, a->sorted + at, (a->n - at) * sizeof(a->sorted[0]));
	a->sorted[at] = (uint16_t)a->n++;
	return 0;
}

/* The slot of value s (NULL: none), adding it unless the axis is a list. */
static int
axis_slot(struct axis *a, const char *s, size_t other, size_t *slot)
{
	size_t at;
	int r;

	if (s != NULL && axis_find(a, s, &at)) {
		*slot = a->sorted[at];
		return 0;
	}
	if (s == NULL || a->listed) {
		a->other_used = true;
		*slot = other;
		return 0;
	}
	if ((r = axis_insert(a, s, at)) != 0)
		return r;
	*slot = a->sorted[at];
	return 0;
}

int
sp_tally_new(const sp_definition *d, sp_tally **out)
{
	sp_tally *t;
	size_t i, at;
	int r = SP_ENOMEM;

	*out = NULL;
	if (sp_definition_check(d) != 0)
		return SP_EDEFINITION;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return SP_ENOMEM;
	t->d = *d;
	if (axis_init(&t->rows, ROW_OTHER) != 0 || axis_init(&t->cols, COL_OTHER) != 0 ||
	    (t->count = calloc(SP_TALLY_MAX_ROWS * SP_TALLY_MAX_COLS, sizeof(*t->count))) == NULL ||
	    (t->sum = calloc((d->nsums != 0 ? d->nsums : 1) * SP_TALLY_MAX_ROWS * SP_TALLY_MAX_COLS,
	    sizeof(*t->sum))) == NULL)
		goto fail;
	for (i = 0; i < d->ncategories; i++) {
		axis_find(&t->rows, d->categories[i], &at);
		if ((r = axis_insert(&t->rows, d->categories[i], at)) != 0)
			goto fail;
	}
	t->rows.listed = d->ncategories > 0;
	*out = t;
	return 0;
fail:
	sp_tally_free(t);
	return r;
}

void
sp_tally_free(sp_tally *t)
{
	if (t == NULL)
		return;
	axis_free(&t->rows);
	axis_free(&t->cols);
	free(t->count);
	free(t->sum);
	free(t);
}

/*
 * The text of a top-level field, into out: true when it has one (a
 * string without control characters that fits, an integer, a boolean).
 */
static bool
field_text(const uint8_t *body, size_t len, const char *field, value_text out)
{
	const uint8_t *val;
	const char *s;
	size_t vlen, slen;
	sp_reader r;
	uint64_t u;
	int64_t i;
	bool b;

	if (sp_body_get(body, len, field, strlen(field), &val, &vlen) != 0)
		return false;
	sp_reader_init(&r, val, vlen);
	switch (sp_reader_peek(&r)) {
	case SP_MP_STR:
		if (sp_read_str(&r, &s, &slen) != 0 || slen < 1 || slen > SP_DEF_VALUE_MAX ||
		    sp_key_check(s, slen) != 0)
			return false;
		memcpy(out, s, slen);
		out[slen] = '\0';
		return true;
	case SP_MP_UINT:
		if (sp_read_uint(&r, &u) != 0)
			return false;
		snprintf(out, sizeof(value_text), "%" PRIu64, u);
		return true;
	case SP_MP_INT:
		if (sp_read_int(&r, &i) != 0)
			return false;
		snprintf(out, sizeof(value_text), "%" PRId64, i);
		return true;
	case SP_MP_BOOL:
		if (sp_read_bool(&r, &b) != 0)
			return false;
		snprintf(out, sizeof(value_text), "%s", b ? "true" : "false");
		return true;
	default:
		return false;
	}
}

/* The integer value of a field (*v 0 and false when it holds none). */
static bool
field_int(const uint8_t *body, size_t len, const char *field, int64_t *v)
{
	const uint8_t *val;
	size_t vlen;
	sp_reader r;

	*v = 0;
	if (sp_body_get(body, len, field, strlen(field), &val, &vlen) != 0)
		return false;
	sp_reader_init(&r, val, vlen);
	return sp_read_int(&r, v) == 0;
}

static bool
matches(const sp_tally *t, const uint8_t *body, size_t len)
{
	value_text text;
	size_t i;

	for (i = 0; i < t->d.nwhere; i++)
		if (!field_text(body, len, t->d.where[i].field, text) ||
		    strcmp(text, t->d.where[i].value) != 0)
			return false;
	return true;
}

int
sp_tally_add(sp_tally *t, const uint8_t *body, size_t len)
{
	value_text row_text, col_text;
	size_t row, col = 0, s;
	int64_t v, *sum;
	int r;

	if (!matches(t, body, len))
		return 0;
	if ((r = axis_slot(&t->rows, field_text(body, len, t->d.by[0], row_text) ? row_text : NULL,
	    ROW_OTHER, &row)) != 0)
		return r;
	if (t->d.nby == 2 && (r = axis_slot(&t->cols,
	    field_text(body, len, t->d.by[1], col_text) ? col_text : NULL, COL_OTHER, &col)) != 0)
		return r;
	t->total++;
	t->count[cell(row, col)]++;
	for (s = 0; s < t->d.nsums; s++) {
		if (!field_int(body, len, t->d.sums[s], &v))
			continue;
		sum = &t->sum[s * SP_TALLY_MAX_ROWS * SP_TALLY_MAX_COLS + cell(row, col)];
		if (__builtin_add_overflow(*sum, v, sum))
			return SP_EINTRANGE;
	}
	return 0;
}

/* The slot shown at position i of an axis. */
static size_t
axis_at(const struct axis *a, size_t i, size_t other)
{
	if (i >= a->n)
		return other;
	return a->listed ? i : a->sorted[i];
}

static size_t
axis_len(const struct axis *a)
{
	return a->n + (a->listed || a->other_used);
}

size_t
sp_tally_rows(const sp_tally *t)
{
	return axis_len(&t->rows);
}

size_t
sp_tally_cols(const sp_tally *t)
{
	return t->d.nby == 2 ? axis_len(&t->cols) : 1;
}

const char *
sp_tally_row(const sp_tally *t, size_t row)
{
	size_t slot = axis_at(&t->rows, row, ROW_OTHER);

	return slot == ROW_OTHER ? SP_DEF_OTHER : t->rows.v[slot];
}

const char *
sp_tally_col(const sp_tally *t, size_t col)
{
	size_t slot;

	if (t->d.nby < 2)
		return NULL;
	slot = axis_at(&t->cols, col, COL_OTHER);
	return slot == COL_OTHER ? SP_DEF_OTHER : t->cols.v[slot];
}

size_t
sp_tally_nsums(const sp_tally *t)
{
	return t->d.nsums;
}

const char *
sp_tally_sum_field(const sp_tally *t, size_t s)
{
	return t->d.sums[s];
}

uint64_t
sp_tally_total(const sp_tally *t)
{
	return t->total;
}

static size_t
shown_cell(const sp_tally *t, size_t row, size_t col)
{
	return cell(axis_at(&t->rows, row, ROW_OTHER),
	    t->d.nby == 2 ? axis_at(&t->cols, col, COL_OTHER) : 0);
}

uint64_t
sp_tally_count(const sp_tally *t, size_t row, size_t col)
{
	return t->count[shown_cell(t, row, col)];
}

int64_t
sp_tally_sum(const sp_tally *t, size_t s, size_t row, size_t col)
{
	return t->sum[s * SP_TALLY_MAX_ROWS * SP_TALLY_MAX_COLS + shown_cell(t, row, col)];
}
