#include "aggregate.h"

#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "definition.h"
#include "pack.h"
#include "reader.h"
#include "sp_err.h"

typedef char label_text[SP_DEF_VALUE_MAX + 1];
typedef uint8_t id_bytes[SP_ID_BYTES];

struct sp_aggregate {
	char name[SP_SUMMARY_NAME_MAX + 1];
	char period[8];
	size_t nrows, ncols;
	size_t width;               /* figs a row: ncols, or 1 for one way */
	label_text *rows, *cols;
	/* The figs row by row, then row totals, column totals, the total (a summary's layout). */
	sp_fig *figs;
	id_bytes *inputs, *hubs;
	size_t ninputs, nhubs;
};

/* Figs: cells, row totals (two-way only), column totals, the total. */
static size_t
entries(size_t nrows, size_t ncols)
{
	return nrows * (ncols > 0 ? ncols : 1) + (ncols > 0 ? nrows : 0) + ncols + 1;
}

static size_t at_cell(const sp_aggregate *a, size_t r, size_t c) { return r * a->width + c; }
static size_t at_row_total(const sp_aggregate *a, size_t r) { return a->nrows * a->width + r; }
static size_t at_col_total(const sp_aggregate *a, size_t c)
{
	return a->nrows * a->width + (a->ncols > 0 ? a->nrows : 0) + c;
}
static size_t at_total(const sp_aggregate *a) { return entries(a->nrows, a->ncols) - 1; }

void
sp_aggregate_free(sp_aggregate *a)
{
	if (a == NULL)
		return;
	free(a->rows);
	free(a->cols);
	free(a->figs);
	free(a->inputs);
	free(a->hubs);
	free(a);
}

/* An aggregate of this shape, every fig 0 and every label empty; NULL without memory. */
static sp_aggregate *
aggregate_new(size_t nrows, size_t ncols, size_t ninputs, size_t nhubs)
{
	sp_aggregate *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->nrows = nrows;
	a->ncols = ncols;
	a->width = ncols > 0 ? ncols : 1;
	a->ninputs = ninputs;
	a->nhubs = nhubs;
	a->rows = calloc(nrows + 1, sizeof(*a->rows));
	a->cols = calloc(ncols + 1, sizeof(*a->cols));
	a->figs = calloc(entries(nrows, ncols), sizeof(*a->figs));
	a->inputs = calloc(ninputs + 1, sizeof(*a->inputs));
	a->hubs = calloc(nhubs + 1, sizeof(*a->hubs));
	if (a->rows == NULL || a->cols == NULL || a->figs == NULL || a->inputs == NULL ||
	    a->hubs == NULL) {
		sp_aggregate_free(a);
		return NULL;
	}
	return a;
}

size_t sp_aggregate_rows(const sp_aggregate *a) { return a->nrows; }
size_t sp_aggregate_cols(const sp_aggregate *a) { return a->ncols; }
const char *sp_aggregate_name(const sp_aggregate *a) { return a->name; }
const char *sp_aggregate_period(const sp_aggregate *a) { return a->period; }
const char *sp_aggregate_row(const sp_aggregate *a, size_t r) { return a->rows[r]; }
const char *sp_aggregate_col(const sp_aggregate *a, size_t c) { return a->cols[c]; }
const sp_fig *sp_aggregate_cell(const sp_aggregate *a, size_t r, size_t c) { return &a->figs[at_cell(a, r, c)]; }
const sp_fig *sp_aggregate_row_total(const sp_aggregate *a, size_t r) { return &a->figs[at_row_total(a, r)]; }
const sp_fig *sp_aggregate_col_total(const sp_aggregate *a, size_t c) { return &a->figs[at_col_total(a, c)]; }
const sp_fig *sp_aggregate_total(const sp_aggregate *a) { return &a->figs[at_total(a)]; }
size_t sp_aggregate_ninputs(const sp_aggregate *a) { return a->ninputs; }
const uint8_t *sp_aggregate_input(const sp_aggregate *a, size_t i) { return a->inputs[i]; }
size_t sp_aggregate_nhubs(const sp_aggregate *a) { return a->nhubs; }
const uint8_t *sp_aggregate_hub(const sp_aggregate *a, size_t i) { return a->hubs[i]; }

static int
id_cmp(const void *x, const void *y)
{
	return memcmp(x, y, SP_ID_BYTES);
}

bool
sp_aggregate_has_hub(const sp_aggregate *a, const uint8_t *hub)
{
	return bsearch(hub, a->hubs, a->nhubs, SP_ID_BYTES, id_cmp) != NULL;
}

/* Figs. */

void
sp_fig_of_cell(sp_fig *f, const sp_cell *c)
{
	memset(f, 0, sizeof(*f));
	if (!c->suppressed) {
		f->published = f->lo = f->hi = c->value;
		return;
	}
	f->suppressed = 1;
	f->lo = c->lo;
	f->unbounded = c->unbounded;
	f->hi = c->unbounded ? 0 : c->hi;
}

static bool
add_u64(uint64_t *to, uint64_t v)
{
	if (*to > UINT64_MAX - v)
		return false;
	*to += v;
	return true;
}

bool
sp_fig_add(sp_fig *to, const sp_fig *add)
{
	sp_fig sum = *to;

	if (!add_u64(&sum.published, add->published) || !add_u64(&sum.suppressed, add->suppressed) ||
	    !add_u64(&sum.lo, add->lo))
		return false;
	if (sum.unbounded || add->unbounded) {
		sum.unbounded = true;
		sum.hi = 0;
	} else if (!add_u64(&sum.hi, add->hi)) {
		return false;
	}
	*to = sum;
	return true;
}

bool
sp_fig_ok(const sp_fig *f)
{
	if (f->suppressed == 0)
		return !f->unbounded && f->lo == f->published && f->hi == f->published;
	return f->lo >= f->published && (f->unbounded ? f->hi == 0 : f->hi >= f->lo);
}

/* Checking. */

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

/* Sorted bytewise and distinct. */
static bool
ids_ok(const id_bytes *v, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (memcmp(v[i - 1], v[i], SP_ID_BYTES) >= 0)
			return false;
	return true;
}

static int
check(const sp_aggregate *a)
{
	size_t i, n = entries(a->nrows, a->ncols);

	if (sp_alias_check(a->name, strlen(a->name)) != 0 ||
	    !sp_period_valid(a->period, strlen(a->period)) ||
	    a->nrows > SP_SUMMARY_MAX_ROWS || a->ncols > SP_SUMMARY_MAX_COLS ||
	    !labels_ok((const label_text *)a->rows, a->nrows) ||
	    !labels_ok((const label_text *)a->cols, a->ncols) ||
	    a->nhubs == 0 || !ids_ok((const id_bytes *)a->inputs, a->ninputs) ||
	    !ids_ok((const id_bytes *)a->hubs, a->nhubs))
		return SP_EAGGREGATE;
	for (i = 0; i < n; i++)
		if (!sp_fig_ok(&a->figs[i]))
			return SP_EAGGREGATE;
	return 0;
}

/* Encoding. */

void
sp_fig_pack(sp_buf *b, const sp_fig *f)
{
	sp_pack_array(b, 4);
	sp_pack_uint(b, f->published);
	sp_pack_uint(b, f->suppressed);
	sp_pack_uint(b, f->lo);
	if (f->unbounded)
		sp_pack_nil(b);
	else
		sp_pack_uint(b, f->hi);
}

static void
pack_labels(sp_buf *b, const label_text *v, size_t n)
{
	size_t i;

	sp_pack_array(b, (uint32_t)n);
	for (i = 0; i < n; i++)
		sp_pack_cstr(b, v[i]);
}

static void
pack_ids(sp_buf *b, const id_bytes *v, size_t n)
{
	size_t i;

	sp_pack_array(b, (uint32_t)n);
	for (i = 0; i < n; i++)
		sp_pack_bin(b, v[i], SP_ID_BYTES);
}

int
sp_aggregate_encode(const sp_aggregate *a, sp_buf *out)
{
	size_t start = out->len, r, c, nr = a->ncols > 0 ? a->nrows : 0;

	if (check(a) != 0)
		return SP_EAGGREGATE;
	sp_pack_map(out, 8);
	sp_pack_cstr(out, "cells");
	sp_pack_array(out, (uint32_t)a->nrows);
	for (r = 0; r < a->nrows; r++) {
		sp_pack_array(out, (uint32_t)a->width);
		for (c = 0; c < a->width; c++)
			sp_fig_pack(out, &a->figs[at_cell(a, r, c)]);
	}
	sp_pack_cstr(out, "cols");
	pack_labels(out, (const label_text *)a->cols, a->ncols);
	sp_pack_cstr(out, "hubs");
	pack_ids(out, (const id_bytes *)a->hubs, a->nhubs);
	sp_pack_cstr(out, "inputs");
	pack_ids(out, (const id_bytes *)a->inputs, a->ninputs);
	sp_pack_cstr(out, "name");
	sp_pack_cstr(out, a->name);
	sp_pack_cstr(out, "period");
	sp_pack_cstr(out, a->period);
	sp_pack_cstr(out, "rows");
	pack_labels(out, (const label_text *)a->rows, a->nrows);
	sp_pack_cstr(out, "totals");
	sp_pack_map(out, 3);
	sp_pack_cstr(out, "all");
	sp_fig_pack(out, &a->figs[at_total(a)]);
	sp_pack_cstr(out, "cols");
	sp_pack_array(out, (uint32_t)a->ncols);
	for (c = 0; c < a->ncols; c++)
		sp_fig_pack(out, &a->figs[at_col_total(a, c)]);
	sp_pack_cstr(out, "rows");
	sp_pack_array(out, (uint32_t)nr);
	for (r = 0; r < nr; r++)
		sp_fig_pack(out, &a->figs[at_row_total(a, r)]);
	if (out->err != 0)
		return out->err;
	if (out->len - start > SP_BODY_MAX) {
		out->len = start;
		return SP_ETOOBIG;
	}
	return 0;
}

/* Decoding. */

bool
sp_fig_read(sp_reader *r, sp_fig *f)
{
	uint32_t n;

	memset(f, 0, sizeof(*f));
	if (sp_read_array(r, &n) != 0 || n != 4 || sp_read_uint(r, &f->published) != 0 ||
	    sp_read_uint(r, &f->suppressed) != 0 || sp_read_uint(r, &f->lo) != 0)
		return false;
	if (sp_reader_peek(r) == SP_MP_NIL) {
		f->unbounded = true;
		return sp_read_nil(r) == 0;
	}
	return sp_read_uint(r, &f->hi) == 0;
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

static bool
read_ids(sp_reader *r, id_bytes *v, size_t n)
{
	const uint8_t *p;
	uint32_t count, i;
	size_t len;

	if (sp_read_array(r, &count) != 0 || count != n)
		return false;
	for (i = 0; i < count; i++) {
		if (sp_read_bin(r, &p, &len) != 0 || len != SP_ID_BYTES)
			return false;
		memcpy(v[i], p, SP_ID_BYTES);
	}
	return true;
}

/*
 * The shape, from a first pass: rows, columns, hubs and inputs. Each
 * count is bounded by the bytes that hold its items before any of them
 * is allocated.
 */
static int
read_shape(const uint8_t *body, size_t len, size_t *nrows, size_t *ncols, size_t *nhubs,
    size_t *ninputs)
{
	uint32_t n, i;
	sp_reader r;

	if (len > SP_BODY_MAX)
		return SP_EAGGREGATE;
	sp_reader_init(&r, body, len);
	if (sp_read_map(&r, &n) != 0 || n != 8 || !sp_read_name(&r, "cells") ||
	    sp_read_array(&r, &n) != 0 || n > SP_SUMMARY_MAX_ROWS)
		return SP_EAGGREGATE;
	*nrows = n;
	for (i = 0; i < *nrows; i++)
		if (sp_read_value(&r, 3) != 0)
			return SP_EAGGREGATE;
	if (!sp_read_name(&r, "cols") || sp_read_array(&r, &n) != 0 || n > SP_SUMMARY_MAX_COLS)
		return SP_EAGGREGATE;
	*ncols = n;
	for (i = 0; i < *ncols; i++)
		if (sp_read_value(&r, 0) != 0)
			return SP_EAGGREGATE;
	if (!sp_read_name(&r, "hubs") || sp_read_array(&r, &n) != 0)
		return SP_EAGGREGATE;
	*nhubs = n;
	for (i = 0; i < *nhubs; i++)
		if (sp_read_value(&r, 0) != 0)
			return SP_EAGGREGATE;
	if (!sp_read_name(&r, "inputs") || sp_read_array(&r, &n) != 0)
		return SP_EAGGREGATE;
	*ninputs = n;
	return 0;
}

static int
read_aggregate(sp_reader *r, sp_aggregate *a)
{
	uint32_t n, row, col;

	if (sp_read_map(r, &n) != 0 || n != 8 || !sp_read_name(r, "cells") ||
	    sp_read_array(r, &n) != 0 || n != a->nrows)
		return SP_EAGGREGATE;
	for (row = 0; row < a->nrows; row++) {
		if (sp_read_array(r, &n) != 0 || n != a->width)
			return SP_EAGGREGATE;
		for (col = 0; col < a->width; col++)
			if (!sp_fig_read(r, &a->figs[at_cell(a, row, col)]))
				return SP_EAGGREGATE;
	}
	if (!sp_read_name(r, "cols") || !read_labels(r, a->cols, a->ncols) ||
	    !sp_read_name(r, "hubs") || !read_ids(r, a->hubs, a->nhubs) ||
	    !sp_read_name(r, "inputs") || !read_ids(r, a->inputs, a->ninputs) ||
	    !sp_read_name(r, "name") || !sp_read_text(r, a->name, SP_SUMMARY_NAME_MAX) ||
	    !sp_read_name(r, "period") || !sp_read_text(r, a->period, sizeof(a->period) - 1) ||
	    !sp_read_name(r, "rows") || !read_labels(r, a->rows, a->nrows) ||
	    !sp_read_name(r, "totals") || sp_read_map(r, &n) != 0 || n != 3 ||
	    !sp_read_name(r, "all") || !sp_fig_read(r, &a->figs[at_total(a)]) ||
	    !sp_read_name(r, "cols") || sp_read_array(r, &n) != 0 || n != a->ncols)
		return SP_EAGGREGATE;
	for (col = 0; col < a->ncols; col++)
		if (!sp_fig_read(r, &a->figs[at_col_total(a, col)]))
			return SP_EAGGREGATE;
	if (!sp_read_name(r, "rows") || sp_read_array(r, &n) != 0 ||
	    n != (a->ncols > 0 ? a->nrows : 0))
		return SP_EAGGREGATE;
	for (row = 0; row < n; row++)
		if (!sp_fig_read(r, &a->figs[at_row_total(a, row)]))
			return SP_EAGGREGATE;
	if (sp_reader_end(r) != 0)
		return SP_EAGGREGATE;
	return check(a);
}

int
sp_aggregate_decode(const uint8_t *body, size_t len, sp_aggregate **out)
{
	size_t nrows, ncols, nhubs, ninputs;
	sp_aggregate *a;
	sp_reader r;
	int rc;

	*out = NULL;
	if ((rc = read_shape(body, len, &nrows, &ncols, &nhubs, &ninputs)) != 0)
		return rc;
	if ((a = aggregate_new(nrows, ncols, ninputs, nhubs)) == NULL)
		return SP_ENOMEM;
	sp_reader_init(&r, body, len);
	if ((rc = read_aggregate(&r, a)) != 0) {
		sp_aggregate_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

/* The builder. */

typedef struct input {
	uint8_t id[SP_ID_BYTES];
	sp_summary *s;             /* one of the two */
	sp_aggregate *a;
} input;

struct sp_aggregate_builder {
	char name[SP_SUMMARY_NAME_MAX + 1];
	char period[8];
	uint8_t hub[SP_ID_BYTES];
	input *v;
	size_t n, cap;
};

int
sp_aggregate_start(const char *name, const char *period, const uint8_t *hub,
    sp_aggregate_builder **out)
{
	sp_aggregate_builder *b;

	*out = NULL;
	if (sp_alias_check(name, strlen(name)) != 0 || !sp_period_valid(period, strlen(period)))
		return SP_EINVAL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return SP_ENOMEM;
	memcpy(b->name, name, strlen(name) + 1);
	memcpy(b->period, period, strlen(period) + 1);
	memcpy(b->hub, hub, SP_ID_BYTES);
	*out = b;
	return 0;
}

void
sp_aggregate_builder_free(sp_aggregate_builder *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++) {
		sp_summary_free(b->v[i].s);
		sp_aggregate_free(b->v[i].a);
	}
	free(b->v);
	free(b);
}

/* Adds an input of NAME/PERIOD (name, period) that the builder now holds. */
static int
add_input(sp_aggregate_builder *b, const uint8_t *id, const char *name, const char *period,
    sp_summary *s, sp_aggregate *a)
{
	input *v;
	size_t i;
	int r;

	if (strcmp(name, b->name) != 0 || strcmp(period, b->period) != 0) {
		r = SP_EINVAL;
		goto fail;
	}
	for (i = 0; i < b->n; i++) {
		if (memcmp(b->v[i].id, id, SP_ID_BYTES) == 0) {
			r = SP_EEXIST;
			goto fail;
		}
	}
	if (b->n == b->cap) {
		if ((v = realloc(b->v, (b->cap * 2 + 16) * sizeof(*v))) == NULL) {
			r = SP_ENOMEM;
			goto fail;
		}
		b->v = v;
		b->cap = b->cap * 2 + 16;
	}
	memcpy(b->v[b->n].id, id, SP_ID_BYTES);
	b->v[b->n].s = s;
	b->v[b->n].a = a;
	b->n++;
	return 0;
fail:
	sp_summary_free(s);
	sp_aggregate_free(a);
	return r;
}

int
sp_aggregate_add_summary(sp_aggregate_builder *b, const uint8_t *id, sp_summary *s)
{
	return add_input(b, id, sp_summary_name(s), sp_summary_period(s), s, NULL);
}

int
sp_aggregate_add_aggregate(sp_aggregate_builder *b, const uint8_t *id, sp_aggregate *a)
{
	return add_input(b, id, a->name, a->period, NULL, a);
}

/*
 * An input seen through one shape: its labels and its figs, a summary's
 * cells made figs. kind: 0 no rows or columns (a table of none, of
 * neither kind), 1 one-way, 2 two-way.
 */
enum { KIND_NONE, KIND_ONE_WAY, KIND_TWO_WAY };

static size_t
input_rows(const input *in)
{
	return in->s != NULL ? sp_summary_rows(in->s) : in->a->nrows;
}

static size_t
input_cols(const input *in)
{
	return in->s != NULL ? sp_summary_cols(in->s) : in->a->ncols;
}

static int
input_kind(const input *in)
{
	if (input_rows(in) == 0 && input_cols(in) == 0)
		return KIND_NONE;
	return input_cols(in) > 0 ? KIND_TWO_WAY : KIND_ONE_WAY;
}

static const char *
input_row(const input *in, size_t r)
{
	return in->s != NULL ? sp_summary_row(in->s, r) : in->a->rows[r];
}

static const char *
input_col(const input *in, size_t c)
{
	return in->s != NULL ? sp_summary_col(in->s, c) : in->a->cols[c];
}

/* Where a fig of an input is. */
enum place { CELL, ROW_TOTAL, COL_TOTAL, TOTAL };

static void
input_fig(const input *in, enum place p, size_t r, size_t c, sp_fig *f)
{
	const sp_aggregate *a = in->a;
	sp_summary *s = in->s;

	if (s != NULL) {
		sp_fig_of_cell(f, p == CELL ? sp_summary_cell(s, r, c) :
		    p == ROW_TOTAL ? sp_summary_row_total(s, r) :
		    p == COL_TOTAL ? sp_summary_col_total(s, c) : sp_summary_total(s));
		return;
	}
	*f = a->figs[p == CELL ? at_cell(a, r, c) : p == ROW_TOTAL ? at_row_total(a, r) :
	    p == COL_TOTAL ? at_col_total(a, c) : at_total(a)];
}

/* The table being added up, at its largest. */
typedef struct sum_table {
	int kind;
	label_text rows[SP_SUMMARY_MAX_ROWS], cols[SP_SUMMARY_MAX_COLS];
	size_t nrows, ncols;
	sp_fig cells[SP_SUMMARY_MAX_ROWS][SP_SUMMARY_MAX_COLS];
	sp_fig row_totals[SP_SUMMARY_MAX_ROWS], col_totals[SP_SUMMARY_MAX_COLS], total;
	/* Where an input's rows and columns go in the table. */
	size_t row_map[SP_SUMMARY_MAX_ROWS], col_map[SP_SUMMARY_MAX_COLS];
	size_t new_rows, new_cols;
} sum_table;

/*
 * Maps an input's labels to the table's: a label met before keeps its
 * index, a new one gets the next (the input's labels are distinct).
 */
static void
map_labels(const label_text *table, size_t n, const input *in, bool rows, size_t *map,
    size_t *fresh)
{
	size_t i, j, count = rows ? input_rows(in) : input_cols(in);
	const char *label;

	*fresh = 0;
	for (i = 0; i < count; i++) {
		label = rows ? input_row(in, i) : input_col(in, i);
		for (j = 0; j < n && strcmp(table[j], label) != 0; j++)
			;
		map[i] = j < n ? j : n + (*fresh)++;
	}
}

/*
 * Adds one fig of the input to the table's at the same place, or with
 * apply false only checks that it fits. The table's rows and columns not
 * yet claimed are 0: nothing was ever added there.
 */
static bool
add_fig(sum_table *t, const input *in, enum place p, size_t r, size_t c, bool apply)
{
	size_t tr = p == CELL || p == ROW_TOTAL ? t->row_map[r] : 0;
	size_t tc = (p == CELL || p == COL_TOTAL) && input_cols(in) > 0 ? t->col_map[c] : 0;
	sp_fig add, *to, scratch;

	input_fig(in, p, r, c, &add);
	to = p == CELL ? &t->cells[tr][tc] : p == ROW_TOTAL ? &t->row_totals[tr] :
	    p == COL_TOTAL ? &t->col_totals[tc] : &t->total;
	if (apply)
		return sp_fig_add(to, &add);
	scratch = *to;
	return sp_fig_add(&scratch, &add);
}

/* Adds every fig of the input (apply), or checks that every one fits. */
static bool
add_figs(sum_table *t, const input *in, bool apply)
{
	size_t r, c, rows = input_rows(in), cols = input_cols(in), width = cols > 0 ? cols : 1;

	for (r = 0; r < rows; r++) {
		for (c = 0; c < width; c++)
			if (!add_fig(t, in, CELL, r, c, apply))
				return false;
		if (cols > 0 && !add_fig(t, in, ROW_TOTAL, r, 0, apply))
			return false;
	}
	for (c = 0; c < cols; c++)
		if (!add_fig(t, in, COL_TOTAL, 0, c, apply))
			return false;
	return add_fig(t, in, TOTAL, 0, 0, apply);
}

/* Why the input cannot be added to the table, or NULL when it can (its labels then mapped). */
static const char *
refusal(sum_table *t, const input *in)
{
	int kind = input_kind(in);

	if (kind != KIND_NONE && t->kind != KIND_NONE && kind != t->kind)
		return kind == KIND_ONE_WAY ? "a one-way table in a two-way aggregate" :
		    "a two-way table in a one-way aggregate";
	map_labels((const label_text *)t->rows, t->nrows, in, true, t->row_map, &t->new_rows);
	map_labels((const label_text *)t->cols, t->ncols, in, false, t->col_map, &t->new_cols);
	if (t->nrows + t->new_rows > SP_SUMMARY_MAX_ROWS)
		return "its rows would take the aggregate past 256";
	if (t->ncols + t->new_cols > SP_SUMMARY_MAX_COLS)
		return "its columns would take the aggregate past 16";
	if (!add_figs(t, in, false))
		return "a figure would overflow";
	return NULL;
}

/* Claims the input's new labels, then adds its figs. */
static void
add_input_figs(sum_table *t, const input *in)
{
	size_t i;

	if (t->kind == KIND_NONE)
		t->kind = input_kind(in);
	for (i = 0; i < input_rows(in); i++)
		if (t->row_map[i] >= t->nrows)
			memcpy(t->rows[t->row_map[i]], input_row(in, i), strlen(input_row(in, i)) + 1);
	for (i = 0; i < input_cols(in); i++)
		if (t->col_map[i] >= t->ncols)
			memcpy(t->cols[t->col_map[i]], input_col(in, i), strlen(input_col(in, i)) + 1);
	t->nrows += t->new_rows;
	t->ncols += t->new_cols;
	(void)add_figs(t, in, true);
}

static int
input_cmp(const void *x, const void *y)
{
	return memcmp(((const input *)x)->id, ((const input *)y)->id, SP_ID_BYTES);
}

/* Sorts v[0..n) bytewise and drops repeats; the count left. */
static size_t
sort_ids(id_bytes *v, size_t n)
{
	size_t i, kept = 0;

	qsort(v, n, SP_ID_BYTES, id_cmp);
	for (i = 0; i < n; i++)
		if (kept == 0 || memcmp(v[kept - 1], v[i], SP_ID_BYTES) != 0)
			memmove(v[kept++], v[i], SP_ID_BYTES);
	return kept;
}

/* The aggregate of table t with the inputs used (flags in used[]) and their hubs. */
static int
from_table(const sp_aggregate_builder *b, const sum_table *t, const bool *used,
    sp_aggregate **out)
{
	size_t i, j, r, c, ninputs = 0, nhubs = 1;
	sp_aggregate *a;

	for (i = 0; i < b->n; i++) {
		ninputs += used[i];
		if (used[i] && b->v[i].a != NULL)
			nhubs += b->v[i].a->nhubs;
	}
	if ((a = aggregate_new(t->nrows, t->ncols, ninputs, nhubs)) == NULL)
		return SP_ENOMEM;
	memcpy(a->name, b->name, sizeof(a->name));
	memcpy(a->period, b->period, sizeof(a->period));
	memcpy(a->rows, t->rows, t->nrows * sizeof(label_text));
	memcpy(a->cols, t->cols, t->ncols * sizeof(label_text));
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < a->width; c++)
			a->figs[at_cell(a, r, c)] = t->cells[r][c];
		if (t->ncols > 0)
			a->figs[at_row_total(a, r)] = t->row_totals[r];
	}
	for (c = 0; c < t->ncols; c++)
		a->figs[at_col_total(a, c)] = t->col_totals[c];
	a->figs[at_total(a)] = t->total;
	/* Walked in id order, the inputs used are sorted already. */
	memcpy(a->hubs[0], b->hub, SP_ID_BYTES);
	for (i = 0, j = 0, nhubs = 1; i < b->n; i++) {
		if (!used[i])
			continue;
		memcpy(a->inputs[j++], b->v[i].id, SP_ID_BYTES);
		if (b->v[i].a != NULL) {
			memcpy(a->hubs[nhubs], b->v[i].a->hubs, b->v[i].a->nhubs * SP_ID_BYTES);
			nhubs += b->v[i].a->nhubs;
		}
	}
	a->nhubs = sort_ids(a->hubs, nhubs);
	*out = a;
	return 0;
}

int
sp_aggregate_finish(sp_aggregate_builder *b, sp_aggregate_left_out_cb *left_out, void *arg,
    sp_aggregate **out)
{
	const char *why;
	sum_table *t;
	bool *used;
	size_t i;
	int r;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	used = calloc(b->n + 1, sizeof(*used));
	if (t == NULL || used == NULL) {
		r = SP_ENOMEM;
		goto out;
	}
	if (b->n > 0)
		qsort(b->v, b->n, sizeof(*b->v), input_cmp);
	for (i = 0; i < b->n; i++) {
		if ((why = refusal(t, &b->v[i])) != NULL) {
			if (left_out != NULL)
				left_out(b->v[i].id, why, arg);
			continue;
		}
		add_input_figs(t, &b->v[i]);
		used[i] = true;
	}
	r = from_table(b, t, used, out);
out:
	free(t);
	free(used);
	return r;
}
