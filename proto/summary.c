#include "summary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "disclosure.h"
#include "pack.h"
#include "reader.h"
#include "sp_err.h"

typedef char label_text[SP_DEF_VALUE_MAX + 1];
typedef char field_text[SP_DEF_FIELD_MAX + 1];

struct sp_summary {
	char name[SP_SUMMARY_NAME_MAX + 1];
	char period[8];
	uint8_t consent[SP_ID_BYTES];
	unsigned k;
	size_t nrows, ncols, nsums;
	size_t width;                 /* cells a row: ncols, or 1 for one way */
	label_text *rows, *cols;
	field_text *sum_fields;
	/* Counts: the cells row by row, then row totals, column totals, the total. */
	sp_cell *cells;
	/* Sums: per sum field, the same layout. */
	sp_sum *sums;
};

/* Entries of one table in the layout above. */
static size_t
entries(const sp_summary *s)
{
	return s->nrows * s->width + s->nrows + s->ncols + 1;
}

int
sp_summary_new(size_t nrows, size_t ncols, size_t nsums, sp_summary **out)
{
	sp_summary *s;

	*out = NULL;
	if (nrows > SP_SUMMARY_MAX_ROWS || ncols > SP_SUMMARY_MAX_COLS || nsums > SP_DEF_MAX_SUMS)
		return SP_ETOOBIG;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return SP_ENOMEM;
	s->nrows = nrows;
	s->ncols = ncols;
	s->nsums = nsums;
	s->width = ncols > 0 ? ncols : 1;
	s->rows = calloc(nrows + 1, sizeof(*s->rows));
	s->cols = calloc(ncols + 1, sizeof(*s->cols));
	s->sum_fields = calloc(nsums + 1, sizeof(*s->sum_fields));
	s->cells = calloc(entries(s), sizeof(*s->cells));
	s->sums = calloc(nsums * entries(s) + 1, sizeof(*s->sums));
	if (s->rows == NULL || s->cols == NULL || s->sum_fields == NULL || s->cells == NULL ||
	    s->sums == NULL) {
		sp_summary_free(s);
		return SP_ENOMEM;
	}
	*out = s;
	return 0;
}

void
sp_summary_free(sp_summary *s)
{
	if (s == NULL)
		return;
	free(s->rows);
	free(s->cols);
	free(s->sum_fields);
	free(s->cells);
	free(s->sums);
	free(s);
}

size_t sp_summary_rows(const sp_summary *s) { return s->nrows; }
size_t sp_summary_cols(const sp_summary *s) { return s->ncols; }
size_t sp_summary_nsums(const sp_summary *s) { return s->nsums; }
char *sp_summary_name(sp_summary *s) { return s->name; }
char *sp_summary_period(sp_summary *s) { return s->period; }
uint8_t *sp_summary_consent(sp_summary *s) { return s->consent; }
unsigned *sp_summary_k(sp_summary *s) { return &s->k; }
char *sp_summary_row(sp_summary *s, size_t row) { return s->rows[row]; }
char *sp_summary_col(sp_summary *s, size_t col) { return s->cols[col]; }
char *sp_summary_sum_field(sp_summary *s, size_t sum) { return s->sum_fields[sum]; }

/* Offsets into a table's layout. */
static size_t at_cell(const sp_summary *s, size_t r, size_t c) { return r * s->width + c; }
static size_t at_row_total(const sp_summary *s, size_t r) { return s->nrows * s->width + r; }
static size_t at_col_total(const sp_summary *s, size_t c) { return s->nrows * s->width + s->nrows + c; }
static size_t at_total(const sp_summary *s) { return entries(s) - 1; }

sp_cell *sp_summary_cell(sp_summary *s, size_t r, size_t c) { return &s->cells[at_cell(s, r, c)]; }
sp_cell *sp_summary_row_total(sp_summary *s, size_t r) { return &s->cells[at_row_total(s, r)]; }
sp_cell *sp_summary_col_total(sp_summary *s, size_t c) { return &s->cells[at_col_total(s, c)]; }
sp_cell *sp_summary_total(sp_summary *s) { return &s->cells[at_total(s)]; }

static sp_sum *
sum_at(sp_summary *s, size_t sum, size_t i)
{
	return &s->sums[sum * entries(s) + i];
}

sp_sum *sp_summary_sum_cell(sp_summary *s, size_t m, size_t r, size_t c) { return sum_at(s, m, at_cell(s, r, c)); }
sp_sum *sp_summary_sum_row_total(sp_summary *s, size_t m, size_t r) { return sum_at(s, m, at_row_total(s, r)); }
sp_sum *sp_summary_sum_col_total(sp_summary *s, size_t m, size_t c) { return sum_at(s, m, at_col_total(s, c)); }
sp_sum *sp_summary_sum_total(sp_summary *s, size_t m) { return sum_at(s, m, at_total(s)); }

bool
sp_period_valid(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < 4; i++)
		if (i >= len || p[i] < '0' || p[i] > '9')
			return false;
	if (len == 4)
		return true;
	if (len != 7 || p[4] != '-')
		return false;
	if (p[5] == 'Q')
		return p[6] >= '1' && p[6] <= '4';
	return (p[5] == '0' && p[6] >= '1' && p[6] <= '9') || (p[5] == '1' && p[6] >= '0' && p[6] <= '2');
}

bool
sp_period_span(const char *p, size_t len, unsigned *year, unsigned *first, unsigned *months)
{
	if (!sp_period_valid(p, len))
		return false;
	*year = (unsigned)((p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 +
	    (p[3] - '0'));
	if (len == 4) {
		*first = 1;
		*months = 12;
	} else if (p[5] == 'Q') {
		*first = (unsigned)(p[6] - '1') * 3 + 1;
		*months = 3;
	} else {
		*first = (unsigned)((p[5] - '0') * 10 + (p[6] - '0'));
		*months = 1;
	}
	return true;
}

static bool
labels_ok(const label_text *v, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (!sp_def_text_ok(v[i], SP_DEF_VALUE_MAX))
			return false;
		for (j = 0; j < i; j++)
			if (strcmp(v[i], v[j]) == 0)
				return false;
	}
	return true;
}

int
sp_summary_check(const sp_summary *s)
{
	const sp_cell *c;
	const sp_sum *m;
	size_t i, j, n = entries(s);

	if (sp_alias_check(s->name, strlen(s->name)) != 0 ||
	    !sp_period_valid(s->period, strlen(s->period)) ||
	    s->k < SP_DEF_K_MIN || s->k > SP_DEF_K_MAX ||
	    !labels_ok((const label_text *)s->rows, s->nrows) ||
	    !labels_ok((const label_text *)s->cols, s->ncols))
		return SP_ESUMMARY;
	for (i = 0; i < s->nsums; i++) {
		if (!sp_def_text_ok(s->sum_fields[i], SP_DEF_FIELD_MAX) ||
		    (i > 0 && strcmp(s->sum_fields[i - 1], s->sum_fields[i]) >= 0))
			return SP_ESUMMARY;
	}
	for (i = 0; i < n; i++) {
		c = &s->cells[i];
		/* Never a small count in the open; a sum is hidden exactly where its count is. */
		if (c->suppressed ? (!c->unbounded && c->lo > c->hi) :
		    (c->value > 0 && c->value < s->k))
			return SP_ESUMMARY;
		for (j = 0; j < s->nsums; j++) {
			m = &s->sums[j * n + i];
			if (m->suppressed != c->suppressed)
				return SP_ESUMMARY;
		}
	}
	return 0;
}

/* Encoding. */

static void
pack_cell(sp_buf *b, const sp_cell *c)
{
	if (!c->suppressed) {
		sp_pack_uint(b, c->value);
		return;
	}
	sp_pack_array(b, 2);
	sp_pack_uint(b, c->lo);
	if (c->unbounded)
		sp_pack_nil(b);
	else
		sp_pack_uint(b, c->hi);
}

static void
pack_sum(sp_buf *b, const sp_sum *m)
{
	if (m->suppressed)
		sp_pack_nil(b);
	else
		sp_pack_int(b, m->value);
}

/* A table's cells row by row; entry i is packed by pack(b, base, i). */
static void
pack_table(sp_buf *b, const sp_summary *s, void (*pack)(sp_buf *, const void *, size_t),
    const void *base)
{
	size_t r, c;

	sp_pack_array(b, (uint32_t)s->nrows);
	for (r = 0; r < s->nrows; r++) {
		sp_pack_array(b, (uint32_t)s->width);
		for (c = 0; c < s->width; c++)
			pack(b, base, at_cell(s, r, c));
	}
}

static void
pack_totals(sp_buf *b, const sp_summary *s, void (*pack)(sp_buf *, const void *, size_t),
    const void *base)
{
	size_t i, nr = s->ncols > 0 ? s->nrows : 0;

	sp_pack_map(b, 3);
	sp_pack_cstr(b, "all");
	pack(b, base, at_total(s));
	sp_pack_cstr(b, "cols");
	sp_pack_array(b, (uint32_t)s->ncols);
	for (i = 0; i < s->ncols; i++)
		pack(b, base, at_col_total(s, i));
	sp_pack_cstr(b, "rows");
	sp_pack_array(b, (uint32_t)nr);
	for (i = 0; i < nr; i++)
		pack(b, base, at_row_total(s, i));
}

static void
pack_cell_at(sp_buf *b, const void *base, size_t i)
{
	pack_cell(b, &((const sp_cell *)base)[i]);
}

static void
pack_sum_at(sp_buf *b, const void *base, size_t i)
{
	pack_sum(b, &((const sp_sum *)base)[i]);
}

static void
pack_labels(sp_buf *b, const label_text *v, size_t n)
{
	size_t i;

	sp_pack_array(b, (uint32_t)n);
	for (i = 0; i < n; i++)
		sp_pack_cstr(b, v[i]);
}

int
sp_summary_encode(const sp_summary *s, sp_buf *out)
{
	size_t start = out->len, i;

	if (sp_summary_check(s) != 0)
		return SP_ESUMMARY;
	sp_pack_map(out, 9);
	sp_pack_cstr(out, "cells");
	pack_table(out, s, pack_cell_at, s->cells);
	sp_pack_cstr(out, "cols");
	pack_labels(out, (const label_text *)s->cols, s->ncols);
	sp_pack_cstr(out, "consent");
	sp_pack_bin(out, s->consent, SP_ID_BYTES);
	sp_pack_cstr(out, "k");
	sp_pack_uint(out, s->k);
	sp_pack_cstr(out, "name");
	sp_pack_cstr(out, s->name);
	sp_pack_cstr(out, "period");
	sp_pack_cstr(out, s->period);
	sp_pack_cstr(out, "rows");
	pack_labels(out, (const label_text *)s->rows, s->nrows);
	sp_pack_cstr(out, "sums");
	sp_pack_map(out, (uint32_t)s->nsums);
	for (i = 0; i < s->nsums; i++) {
		const sp_sum *base = &s->sums[i * entries(s)];

		sp_pack_cstr(out, s->sum_fields[i]);
		sp_pack_map(out, 2);
		sp_pack_cstr(out, "cells");
		pack_table(out, s, pack_sum_at, base);
		sp_pack_cstr(out, "totals");
		pack_totals(out, s, pack_sum_at, base);
	}
	sp_pack_cstr(out, "totals");
	pack_totals(out, s, pack_cell_at, s->cells);
	if (out->err != 0)
		return out->err;
	if (out->len - start > SP_BODY_MAX) {
		out->len = start;
		return SP_ETOOBIG;
	}
	return 0;
}

/* Decoding. */

static bool
read_cell(sp_reader *r, sp_cell *c)
{
	uint32_t n;

	memset(c, 0, sizeof(*c));
	if (sp_reader_peek(r) == SP_MP_UINT)
		return sp_read_uint(r, &c->value) == 0;
	c->suppressed = true;
	if (sp_read_array(r, &n) != 0 || n != 2 || sp_read_uint(r, &c->lo) != 0)
		return false;
	if (sp_reader_peek(r) == SP_MP_NIL) {
		c->unbounded = true;
		return sp_read_nil(r) == 0;
	}
	return sp_read_uint(r, &c->hi) == 0;
}

static bool
read_sum(sp_reader *r, sp_sum *m)
{
	memset(m, 0, sizeof(*m));
	if (sp_reader_peek(r) == SP_MP_NIL) {
		m->suppressed = true;
		return sp_read_nil(r) == 0;
	}
	return sp_read_int(r, &m->value) == 0;
}

/* Entry i of a table of counts (cells) or of a sum's. */
static bool
read_entry(sp_reader *r, bool cells, void *base, size_t i)
{
	return cells ? read_cell(r, &((sp_cell *)base)[i]) : read_sum(r, &((sp_sum *)base)[i]);
}

static bool
read_table(sp_reader *r, const sp_summary *s, bool cells, void *base)
{
	uint32_t n, w, row, col;

	if (sp_read_array(r, &n) != 0 || n != s->nrows)
		return false;
	for (row = 0; row < n; row++) {
		if (sp_read_array(r, &w) != 0 || w != s->width)
			return false;
		for (col = 0; col < w; col++)
			if (!read_entry(r, cells, base, at_cell(s, row, col)))
				return false;
	}
	return true;
}

static bool
read_totals(sp_reader *r, const sp_summary *s, bool cells, void *base)
{
	uint32_t n, i;

	if (sp_read_map(r, &n) != 0 || n != 3 || !sp_read_name(r, "all") ||
	    !read_entry(r, cells, base, at_total(s)) || !sp_read_name(r, "cols") ||
	    sp_read_array(r, &n) != 0 || n != s->ncols)
		return false;
	for (i = 0; i < n; i++)
		if (!read_entry(r, cells, base, at_col_total(s, i)))
			return false;
	if (!sp_read_name(r, "rows") || sp_read_array(r, &n) != 0 ||
	    n != (s->ncols > 0 ? s->nrows : 0))
		return false;
	for (i = 0; i < n; i++)
		if (!read_entry(r, cells, base, at_row_total(s, i)))
			return false;
	return true;
}

static bool
read_labels(sp_reader *r, label_text *v, size_t n)
{
	uint32_t count, i;

	if (sp_read_array(r, &count) != 0 || count != n)
		return false;
	for (i = 0; i < count; i++)
		if (!sp_read_text(r, v[i], SP_DEF_VALUE_MAX))
			return false;
	return true;
}

/* The shape, from a first pass: rows (the cells' count), columns and sums. */
static int
read_shape(const uint8_t *body, size_t len, size_t *nrows, size_t *ncols, size_t *nsums)
{
	uint32_t n, i;
	sp_reader r;

	sp_reader_init(&r, body, len);
	if (sp_read_map(&r, &n) != 0 || n != 9 || !sp_read_name(&r, "cells") ||
	    sp_read_array(&r, &n) != 0 || n > SP_SUMMARY_MAX_ROWS)
		return SP_ESUMMARY;
	*nrows = n;
	for (i = 0; i < *nrows; i++)
		if (sp_read_value(&r, 2) != 0)
			return SP_ESUMMARY;
	if (!sp_read_name(&r, "cols") || sp_read_array(&r, &n) != 0 || n > SP_SUMMARY_MAX_COLS)
		return SP_ESUMMARY;
	*ncols = n;
	for (i = 0; i < *ncols; i++)
		if (sp_read_value(&r, 1) != 0)
			return SP_ESUMMARY;
	if (!sp_read_name(&r, "consent") || sp_read_value(&r, 1) != 0 || !sp_read_name(&r, "k") ||
	    sp_read_value(&r, 1) != 0 || !sp_read_name(&r, "name") || sp_read_value(&r, 1) != 0 ||
	    !sp_read_name(&r, "period") || sp_read_value(&r, 1) != 0 || !sp_read_name(&r, "rows") ||
	    sp_read_value(&r, 2) != 0 || !sp_read_name(&r, "sums") || sp_read_map(&r, &n) != 0 ||
	    n > SP_DEF_MAX_SUMS)
		return SP_ESUMMARY;
	*nsums = n;
	return 0;
}

static int
read_summary(sp_reader *r, sp_summary *s)
{
	const uint8_t *p;
	uint64_t k;
	uint32_t n;
	size_t len, i;

	if (sp_read_map(r, &n) != 0 || n != 9 || !sp_read_name(r, "cells") ||
	    !read_table(r, s, true, s->cells) || !sp_read_name(r, "cols") ||
	    !read_labels(r, s->cols, s->ncols) || !sp_read_name(r, "consent") ||
	    sp_read_bin(r, &p, &len) != 0 || len != SP_ID_BYTES)
		return SP_ESUMMARY;
	memcpy(s->consent, p, SP_ID_BYTES);
	if (!sp_read_name(r, "k") || sp_read_uint(r, &k) != 0 || k > SP_DEF_K_MAX ||
	    !sp_read_name(r, "name") || !sp_read_text(r, s->name, SP_SUMMARY_NAME_MAX) ||
	    !sp_read_name(r, "period") || !sp_read_text(r, s->period, sizeof(s->period) - 1) ||
	    !sp_read_name(r, "rows") || !read_labels(r, s->rows, s->nrows) ||
	    !sp_read_name(r, "sums") || sp_read_map(r, &n) != 0)
		return SP_ESUMMARY;
	s->k = (unsigned)k;
	for (i = 0; i < s->nsums; i++) {
		sp_sum *base = &s->sums[i * entries(s)];

		if (!sp_read_text(r, s->sum_fields[i], SP_DEF_FIELD_MAX) || sp_read_map(r, &n) != 0 ||
		    n != 2 || !sp_read_name(r, "cells") || !read_table(r, s, false, base) ||
		    !sp_read_name(r, "totals") || !read_totals(r, s, false, base))
			return SP_ESUMMARY;
	}
	if (!sp_read_name(r, "totals") || !read_totals(r, s, true, s->cells) ||
	    sp_reader_end(r) != 0)
		return SP_ESUMMARY;
	return sp_summary_check(s);
}

int
sp_summary_decode(const uint8_t *body, size_t len, sp_summary **out)
{
	size_t nrows, ncols, nsums;
	sp_summary *s;
	sp_reader r;
	int rc;

	*out = NULL;
	if ((rc = read_shape(body, len, &nrows, &ncols, &nsums)) != 0)
		return rc;
	if ((rc = sp_summary_new(nrows, ncols, nsums, &s)) != 0)
		return rc == SP_ETOOBIG ? SP_ESUMMARY : rc;
	sp_reader_init(&r, body, len);
	if ((rc = read_summary(&r, s)) != 0) {
		sp_summary_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* Grid entry i as a summary cell. */
static void
grid_cell(sp_cell *c, const int64_t *published, const sp_disclosure_range *ranges, size_t i)
{
	memset(c, 0, sizeof(*c));
	if (published[i] != SP_DISCLOSURE_SUPPRESSED) {
		c->value = (uint64_t)published[i];
		return;
	}
	c->suppressed = true;
	c->lo = (uint64_t)ranges[i].lo;
	c->unbounded = ranges[i].hi == SP_DISCLOSURE_UNBOUNDED;
	c->hi = c->unbounded ? 0 : (uint64_t)ranges[i].hi;
}

static void
grid_sum(sp_sum *m, const sp_disclosure_sum *sums, size_t i)
{
	m->suppressed = sums[i].suppressed;
	m->value = sums[i].suppressed ? 0 : sums[i].value;
}

/*
 * The grid (rows + 1) x (cols + 1) into the summary's layout: cells, then
 * for a two-way table each row's and column's total; the grand total.
 */
static void
from_grid(sp_summary *s, size_t cols, const int64_t *published, const sp_disclosure_range *ranges,
    const sp_disclosure_sum *sums, size_t m)
{
	size_t r, c, i;

	for (r = 0; r < s->nrows; r++) {
		for (c = 0; c < s->width; c++) {
			i = sp_disclosure_index(cols, r, c);
			if (sums != NULL)
				grid_sum(sp_summary_sum_cell(s, m, r, c), sums, i);
			else
				grid_cell(sp_summary_cell(s, r, c), published, ranges, i);
		}
	}
	for (r = 0; s->ncols > 0 && r < s->nrows; r++) {
		i = sp_disclosure_index(cols, r, cols);
		if (sums != NULL)
			grid_sum(sp_summary_sum_row_total(s, m, r), sums, i);
		else
			grid_cell(sp_summary_row_total(s, r), published, ranges, i);
	}
	for (c = 0; c < s->ncols; c++) {
		i = sp_disclosure_index(cols, s->nrows, c);
		if (sums != NULL)
			grid_sum(sp_summary_sum_col_total(s, m, c), sums, i);
		else
			grid_cell(sp_summary_col_total(s, c), published, ranges, i);
	}
	i = sp_disclosure_index(cols, s->nrows, cols);
	if (sums != NULL)
		grid_sum(sp_summary_sum_total(s, m), sums, i);
	else
		grid_cell(sp_summary_total(s), published, ranges, i);
}

int
sp_summary_of_tally(const sp_tally *t, unsigned k, sp_summary **out)
{
	size_t rows = sp_tally_rows(t), cols = sp_tally_cols(t), nsums = sp_tally_nsums(t);
	bool two_way = sp_tally_col(t, 0) != NULL;
	sp_disclosure_range *ranges = NULL;
	sp_disclosure_sum *sums = NULL;
	int64_t *counts = NULL, *published = NULL, *cell_sums = NULL;
	size_t r, c, m, n;
	sp_summary *s = NULL;
	int rc;

	*out = NULL;
	if (rows == 0 || cols == 0)
		rows = cols = 0;
	two_way = two_way && cols > 0;
	if ((rc = sp_summary_new(rows, two_way ? cols : 0, nsums, &s)) != 0)
		return rc;
	for (r = 0; r < rows; r++)
		snprintf(s->rows[r], sizeof(s->rows[r]), "%s", sp_tally_row(t, r));
	for (c = 0; two_way && c < cols; c++)
		snprintf(s->cols[c], sizeof(s->cols[c]), "%s", sp_tally_col(t, c));
	for (m = 0; m < nsums; m++)
		snprintf(s->sum_fields[m], sizeof(s->sum_fields[m]), "%s", sp_tally_sum_field(t, m));
	s->k = k;
	if (rows == 0)
		goto done;
	n = SP_DISCLOSURE_ENTRIES(rows, cols);
	counts = calloc(rows * cols, sizeof(*counts));
	cell_sums = calloc(rows * cols, sizeof(*cell_sums));
	published = calloc(n, sizeof(*published));
	ranges = calloc(n, sizeof(*ranges));
	sums = calloc(n, sizeof(*sums));
	if (counts == NULL || cell_sums == NULL || published == NULL || ranges == NULL ||
	    sums == NULL) {
		rc = SP_ENOMEM;
		goto out;
	}
	for (r = 0; r < rows; r++)
		for (c = 0; c < cols; c++)
			counts[r * cols + c] = (int64_t)sp_tally_count(t, r, c);
	if ((rc = sp_disclosure_protect(counts, rows, cols, k, published, ranges)) != 0)
		goto out;
	from_grid(s, cols, published, ranges, NULL, 0);
	for (m = 0; m < nsums; m++) {
		for (r = 0; r < rows; r++)
			for (c = 0; c < cols; c++)
				cell_sums[r * cols + c] = sp_tally_sum(t, m, r, c);
		if ((rc = sp_disclosure_sums(published, rows, cols, cell_sums, sums)) != 0)
			goto out;
		from_grid(s, cols, published, ranges, sums, m);
	}
done:
	*out = s;
	s = NULL;
	rc = 0;
out:
	sp_summary_free(s);
	free(counts);
	free(cell_sums);
	free(published);
	free(ranges);
	free(sums);
	return rc;
}
