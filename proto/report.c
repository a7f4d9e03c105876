#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "pack.h"
#include "reader.h"
#include "sp_err.h"

typedef char label_text[SP_DEF_VALUE_MAX + 1];

/*
 * The running total: one fig per position whatever the labels met so
 * far, rows 0..255 then the total row, columns 0..15 then the total
 * column (where a one-way table's counts go, so that its grand total is
 * where a two-way table's is).
 */
#define TOTAL_ROW SP_SUMMARY_MAX_ROWS
#define TOTAL_COL SP_SUMMARY_MAX_COLS
#define GRID_W (SP_SUMMARY_MAX_COLS + 1)
#define GRID_ENTRIES ((SP_SUMMARY_MAX_ROWS + 1) * GRID_W)
/* Left-out reasons come from the daemon as text; a longer one is refused. */
#define WHY_MAX 96

/*
 * A column in its own layout: (nrows + 1) x width figs, row by row, where
 * width is ncols + 1 (two-way: the last is the row total) or 1, and the
 * last row holds the totals. row_of and col_of give each own label's
 * index in the report; local_row and local_col (made by finish) the way
 * back, -1 for a label the column lacks.
 */
typedef struct column {
	enum sp_report_kind kind;
	uint8_t id[SP_PUBKEY_BYTES];
	char alias[SP_REPORT_ALIAS_MAX + 1];
	unsigned k;
	size_t nrows, ncols, width;
	uint16_t row_of[SP_SUMMARY_MAX_ROWS];
	uint8_t col_of[SP_SUMMARY_MAX_COLS];
	int16_t local_row[SP_SUMMARY_MAX_ROWS];
	int8_t local_col[SP_SUMMARY_MAX_COLS];
	sp_fig *figs;
} column;

typedef struct left_out {
	enum sp_report_kind kind;
	uint8_t id[SP_PUBKEY_BYTES];
	char alias[SP_REPORT_ALIAS_MAX + 1];
	char why[WHY_MAX + 1];
} left_out;

struct sp_report {
	char name[SP_SUMMARY_NAME_MAX + 1];
	char period[8];
	enum sp_report_by by;
	uint8_t hub[SP_PUBKEY_BYTES];
	bool kind_set, two_way;
	label_text rows[SP_SUMMARY_MAX_ROWS], cols[SP_SUMMARY_MAX_COLS];
	size_t nrows, ncols;
	column **columns;
	size_t ncolumns, cap;
	left_out *left;
	size_t nleft, left_cap;
	sp_fig running[GRID_ENTRIES];
	bool met[GRID_ENTRIES];      /* some column has a figure there */
	column *total;               /* made by finish */
};

static const char *const kind_names[] = {
	[SP_REPORT_COMMUNITY] = "community", [SP_REPORT_HUB] = "hub", [SP_REPORT_OWN] = "own",
};

const char *
sp_report_kind_name(enum sp_report_kind kind)
{
	return (unsigned)kind <= SP_REPORT_OWN ? kind_names[kind] : "?";
}

bool
sp_report_kind_parse(const char *s, size_t len, enum sp_report_kind *out)
{
	unsigned k;

	for (k = 0; k <= SP_REPORT_OWN; k++) {
		if (strlen(kind_names[k]) == len && memcmp(kind_names[k], s, len) == 0) {
			*out = (enum sp_report_kind)k;
			return true;
		}
	}
	return false;
}

static const char *
by_name(enum sp_report_by by)
{
	return by == SP_REPORT_BY_HUB ? "hub" : "community";
}

static void
column_free(column *c)
{
	if (c == NULL)
		return;
	free(c->figs);
	free(c);
}

/* A column of nrows x ncols labels, figures zero; *out owned by the caller. */
static int
column_new(size_t nrows, size_t ncols, column **out)
{
	column *c;

	*out = NULL;
	if (nrows > SP_SUMMARY_MAX_ROWS || ncols > SP_SUMMARY_MAX_COLS)
		return SP_ETOOBIG;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return SP_ENOMEM;
	c->nrows = nrows;
	c->ncols = ncols;
	c->width = ncols > 0 ? ncols + 1 : 1;
	if ((c->figs = calloc((nrows + 1) * c->width, sizeof(*c->figs))) == NULL) {
		free(c);
		return SP_ENOMEM;
	}
	*out = c;
	return 0;
}

void
sp_report_free(sp_report *r)
{
	size_t u;

	if (r == NULL)
		return;
	for (u = 0; u < r->ncolumns; u++)
		column_free(r->columns[u]);
	free(r->columns);
	free(r->left);
	column_free(r->total);
	free(r);
}

static bool
alias_ok(const char *alias)
{
	size_t len = strlen(alias);

	return len > 0 && len <= SP_REPORT_ALIAS_MAX && sp_utf8_valid(alias, len) &&
	    sp_utf8_printable(alias, len);
}

int
sp_report_new(const char *name, const char *period, enum sp_report_by by,
    const uint8_t hub[SP_PUBKEY_BYTES], sp_report **out)
{
	sp_report *r;

	*out = NULL;
	if (sp_alias_check(name, strlen(name)) != 0 || !sp_period_valid(period, strlen(period)) ||
	    (by != SP_REPORT_BY_COMMUNITY && by != SP_REPORT_BY_HUB))
		return SP_EINVAL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return SP_ENOMEM;
	memcpy(r->name, name, strlen(name) + 1);
	memcpy(r->period, period, strlen(period) + 1);
	r->by = by;
	memcpy(r->hub, hub, SP_PUBKEY_BYTES);
	*out = r;
	return 0;
}

/* Where a column's own position (i, j) goes in the running total. */
static size_t
running_at(const column *c, size_t i, size_t j)
{
	size_t row = i == c->nrows ? TOTAL_ROW : c->row_of[i];
	size_t col = j == c->ncols ? TOTAL_COL : c->col_of[j];

	return row * GRID_W + col;
}

static int
note_left_out(sp_report *r, const column *c, const char *why)
{
	left_out *l;

	if (r->nleft == r->left_cap) {
		size_t cap = r->left_cap > 0 ? r->left_cap * 2 : 8;

		if ((l = realloc(r->left, cap * sizeof(*l))) == NULL)
			return SP_ENOMEM;
		r->left = l;
		r->left_cap = cap;
	}
	l = &r->left[r->nleft++];
	memset(l, 0, sizeof(*l));
	l->kind = c->kind;
	memcpy(l->id, c->id, SP_PUBKEY_BYTES);
	memcpy(l->alias, c->alias, sizeof(l->alias));
	strncpy(l->why, why, WHY_MAX);
	return 0;
}

/*
 * Adds column c (its labels mapped already) to r and its figures to the
 * running total; r takes c. *why is set instead, and nothing changed
 * (c still the caller's), when it does not fit: a table of the other
 * kind, or figures that would overflow.
 */
static int
commit(sp_report *r, column *c, const char **why)
{
	bool two_way = c->ncols > 0;
	size_t i, j;
	column **v;
	sp_fig f;

	*why = NULL;
	if (c->nrows > 0 && r->kind_set && two_way != r->two_way) {
		*why = two_way ? "a two-way table in a one-way report" :
		    "a one-way table in a two-way report";
		return 0;
	}
	if (c->nrows > 0 && !r->kind_set) {
		r->kind_set = true;
		r->two_way = two_way;
	}
	for (i = 0; i <= c->nrows; i++) {
		for (j = 0; j < c->width; j++) {
			f = r->running[running_at(c, i, j)];
			if (!sp_fig_add(&f, &c->figs[i * c->width + j])) {
				*why = "figures too large to add up";
				return 0;
			}
		}
	}
	if (r->ncolumns == r->cap) {
		size_t cap = r->cap > 0 ? r->cap * 2 : 16;

		if ((v = realloc(r->columns, cap * sizeof(*v))) == NULL)
			return SP_ENOMEM;
		r->columns = v;
		r->cap = cap;
	}
	for (i = 0; i <= c->nrows; i++) {
		for (j = 0; j < c->width; j++) {
			(void)sp_fig_add(&r->running[running_at(c, i, j)],
			    &c->figs[i * c->width + j]);
			r->met[running_at(c, i, j)] = true;
		}
	}
	r->columns[r->ncolumns++] = c;
	return 0;
}

/*
 * Finds label in v (n labels), starting with the guess (columns usually
 * list the same labels in the same order), or appends it when there is
 * room (max); the index goes to *at. false when it does not fit.
 */
static bool
find_label(label_text *v, size_t *n, size_t max, const char *label, size_t guess, size_t *at)
{
	size_t i;

	if (guess < *n && strcmp(v[guess], label) == 0) {
		*at = guess;
		return true;
	}
	for (i = 0; i < *n; i++) {
		if (strcmp(v[i], label) == 0) {
			*at = i;
			return true;
		}
	}
	if (*n == max)
		return false;
	memcpy(v[*n], label, strlen(label) + 1);
	*at = (*n)++;
	return true;
}

/*
 * Maps a built column's labels (rows[], cols[]) to the report's, adding
 * new ones, and commits it; or notes it left out, its new labels taken
 * back. Takes c either way.
 */
static int
add_column(sp_report *r, column *c, const char *const *rows, const char *const *cols)
{
	size_t nrows = r->nrows, ncols = r->ncols, i, at;
	const char *why = "more than 256 categories or 16 columns in all";
	int err = 0;

	for (i = 0; i < c->nrows; i++) {
		if (!find_label(r->rows, &r->nrows, SP_SUMMARY_MAX_ROWS, rows[i], i, &at))
			goto left;
		c->row_of[i] = (uint16_t)at;
	}
	for (i = 0; i < c->ncols; i++) {
		if (!find_label(r->cols, &r->ncols, SP_SUMMARY_MAX_COLS, cols[i], i, &at))
			goto left;
		c->col_of[i] = (uint8_t)at;
	}
	if ((err = commit(r, c, &why)) != 0 || why == NULL) {
		if (err != 0)
			column_free(c);
		return err;
	}
left:
	r->nrows = nrows;
	r->ncols = ncols;
	err = note_left_out(r, c, why);
	column_free(c);
	return err;
}

/*
 * A new column for a table of nrows x ncols, with its identity; *out
 * owned by the caller. A table without rows keeps only its grand total
 * (its column labels count nothing), so that it fits either kind.
 */
static int
start_column(enum sp_report_kind kind, const uint8_t id[SP_PUBKEY_BYTES], const char *alias,
    unsigned k, size_t nrows, size_t ncols, column **out)
{
	int r;

	if (!alias_ok(alias))
		return SP_EINVAL;
	if ((r = column_new(nrows, nrows > 0 ? ncols : 0, out)) != 0)
		return r;
	(*out)->kind = kind;
	memcpy((*out)->id, id, SP_PUBKEY_BYTES);
	memcpy((*out)->alias, alias, strlen(alias) + 1);
	(*out)->k = k;
	return 0;
}

/* A summary's entry at position (i, j) of its column c. */
static const sp_cell *
summary_entry(sp_summary *s, const column *c, size_t i, size_t j)
{
	if (i == c->nrows)
		return j < c->ncols ? sp_summary_col_total(s, j) : sp_summary_total(s);
	if (c->ncols > 0 && j == c->ncols)
		return sp_summary_row_total(s, i);
	return sp_summary_cell(s, i, j);
}

int
sp_report_add_summary(sp_report *r, const uint8_t id[SP_PUBKEY_BYTES], const char *alias,
    sp_summary *s)
{
	const char *rows[SP_SUMMARY_MAX_ROWS], *cols[SP_SUMMARY_MAX_COLS];
	size_t i, j;
	column *c;
	int err;

	if (strcmp(sp_summary_name(s), r->name) != 0 || strcmp(sp_summary_period(s), r->period) != 0)
		return SP_EINVAL;
	if ((err = start_column(SP_REPORT_COMMUNITY, id, alias, *sp_summary_k(s), sp_summary_rows(s),
	    sp_summary_cols(s), &c)) != 0)
		return err;
	for (i = 0; i < c->nrows; i++)
		rows[i] = sp_summary_row(s, i);
	for (j = 0; j < c->ncols; j++)
		cols[j] = sp_summary_col(s, j);
	for (i = 0; i <= c->nrows; i++)
		for (j = 0; j < c->width; j++)
			sp_fig_of_cell(&c->figs[i * c->width + j], summary_entry(s, c, i, j));
	return add_column(r, c, rows, cols);
}

/* An aggregate's figure at position (i, j) of its column c. */
static const sp_fig *
aggregate_entry(const sp_aggregate *a, const column *c, size_t i, size_t j)
{
	if (i == c->nrows)
		return j < c->ncols ? sp_aggregate_col_total(a, j) : sp_aggregate_total(a);
	if (c->ncols > 0 && j == c->ncols)
		return sp_aggregate_row_total(a, i);
	return sp_aggregate_cell(a, i, j);
}

int
sp_report_add_aggregate(sp_report *r, enum sp_report_kind kind,
    const uint8_t id[SP_PUBKEY_BYTES], const char *alias, const sp_aggregate *a)
{
	const char *rows[SP_SUMMARY_MAX_ROWS], *cols[SP_SUMMARY_MAX_COLS];
	size_t i, j;
	column *c;
	int err;

	if ((kind != SP_REPORT_HUB && kind != SP_REPORT_OWN) ||
	    strcmp(sp_aggregate_name(a), r->name) != 0 ||
	    strcmp(sp_aggregate_period(a), r->period) != 0)
		return SP_EINVAL;
	if ((err = start_column(kind, id, alias, 0, sp_aggregate_rows(a), sp_aggregate_cols(a),
	    &c)) != 0)
		return err;
	for (i = 0; i < c->nrows; i++)
		rows[i] = sp_aggregate_row(a, i);
	for (j = 0; j < c->ncols; j++)
		cols[j] = sp_aggregate_col(a, j);
	for (i = 0; i <= c->nrows; i++)
		for (j = 0; j < c->width; j++)
			c->figs[i * c->width + j] = *aggregate_entry(a, c, i, j);
	return add_column(r, c, rows, cols);
}

int
sp_report_finish(sp_report *r)
{
	size_t u, i, j, w = sp_report_width(r);
	column *c;
	int err;

	column_free(r->total);
	r->total = NULL;
	if ((err = column_new(r->nrows, r->ncols, &c)) != 0)
		return err;
	for (i = 0; i < r->nrows; i++)
		c->row_of[i] = (uint16_t)i;
	for (j = 0; j < r->ncols; j++)
		c->col_of[j] = (uint8_t)j;
	for (i = 0; i <= r->nrows; i++)
		for (j = 0; j < w; j++)
			c->figs[i * w + j] = r->running[running_at(c, i, j)];
	r->total = c;
	for (u = 0; u <= r->ncolumns; u++) {
		c = u < r->ncolumns ? r->columns[u] : r->total;
		memset(c->local_row, -1, sizeof(c->local_row));
		memset(c->local_col, -1, sizeof(c->local_col));
		for (i = 0; i < c->nrows; i++)
			c->local_row[c->row_of[i]] = (int16_t)i;
		for (j = 0; j < c->ncols; j++)
			c->local_col[c->col_of[j]] = (int8_t)j;
	}
	return 0;
}

const char *sp_report_name(const sp_report *r) { return r->name; }
const char *sp_report_period(const sp_report *r) { return r->period; }
enum sp_report_by sp_report_by(const sp_report *r) { return r->by; }
const uint8_t *sp_report_hub(const sp_report *r) { return r->hub; }
size_t sp_report_rows(const sp_report *r) { return r->nrows; }
size_t sp_report_cols(const sp_report *r) { return r->ncols; }
size_t sp_report_width(const sp_report *r) { return r->ncols > 0 ? r->ncols + 1 : 1; }
const char *sp_report_row(const sp_report *r, size_t i) { return r->rows[i]; }
const char *sp_report_col(const sp_report *r, size_t j) { return r->cols[j]; }
size_t sp_report_columns(const sp_report *r) { return r->ncolumns; }
enum sp_report_kind sp_report_column_kind(const sp_report *r, size_t u) { return r->columns[u]->kind; }
const uint8_t *sp_report_column_id(const sp_report *r, size_t u) { return r->columns[u]->id; }
const char *sp_report_column_alias(const sp_report *r, size_t u) { return r->columns[u]->alias; }
unsigned sp_report_column_k(const sp_report *r, size_t u) { return r->columns[u]->k; }
size_t sp_report_left_out(const sp_report *r) { return r->nleft; }
enum sp_report_kind sp_report_left_out_kind(const sp_report *r, size_t n) { return r->left[n].kind; }
const uint8_t *sp_report_left_out_id(const sp_report *r, size_t n) { return r->left[n].id; }
const char *sp_report_left_out_alias(const sp_report *r, size_t n) { return r->left[n].alias; }
const char *sp_report_left_out_why(const sp_report *r, size_t n) { return r->left[n].why; }

const sp_fig *
sp_report_fig(const sp_report *r, size_t u, size_t i, size_t j)
{
	const column *c = u < r->ncolumns ? r->columns[u] : r->total;
	size_t w = sp_report_width(r);
	int li, lj;

	if (c == NULL || i > r->nrows || j >= w)
		return NULL;
	/* The totals are each column's last row and column, whatever labels it has. */
	li = i == r->nrows ? (int)c->nrows : c->local_row[i];
	lj = j == w - 1 ? (int)c->ncols : c->local_col[j];
	if (li < 0 || lj < 0)
		return NULL;
	/* A cell of the total that no column has (a row and a column never met together). */
	if (c == r->total && !r->met[running_at(c, (size_t)li, (size_t)lj)])
		return NULL;
	return &c->figs[(size_t)li * c->width + (size_t)lj];
}

/* Wire. */

static void
pack_labels(sp_buf *b, const label_text *v, size_t n)
{
	size_t i;

	sp_pack_array(b, (uint32_t)n);
	for (i = 0; i < n; i++)
		sp_pack_cstr(b, v[i]);
}

static int
pack_column(sp_buf *b, const column *c)
{
	size_t start = b->len, i;

	sp_ctl_begin_reply(b, SP_CTL_MORE, 7);
	sp_pack_cstr(b, "alias");
	sp_pack_cstr(b, c->alias);
	sp_pack_cstr(b, "cols");
	sp_pack_array(b, (uint32_t)c->ncols);
	for (i = 0; i < c->ncols; i++)
		sp_pack_uint(b, c->col_of[i]);
	sp_pack_cstr(b, "figs");
	sp_pack_array(b, (uint32_t)((c->nrows + 1) * c->width));
	for (i = 0; i < (c->nrows + 1) * c->width; i++)
		sp_fig_pack(b, &c->figs[i]);
	sp_pack_cstr(b, "id");
	sp_pack_bin(b, c->id, SP_PUBKEY_BYTES);
	sp_pack_cstr(b, "k");
	sp_pack_uint(b, c->k);
	sp_pack_cstr(b, "kind");
	sp_pack_cstr(b, sp_report_kind_name(c->kind));
	sp_pack_cstr(b, "rows");
	sp_pack_array(b, (uint32_t)c->nrows);
	for (i = 0; i < c->nrows; i++)
		sp_pack_uint(b, c->row_of[i]);
	return sp_ctl_end(b, start);
}

int
sp_report_pack(const sp_report *r, sp_buf *out)
{
	size_t start = out->len, u, n;
	int err;

	sp_ctl_begin_reply(out, SP_CTL_MORE, 6);
	sp_pack_cstr(out, "by");
	sp_pack_cstr(out, by_name(r->by));
	sp_pack_cstr(out, "cols");
	pack_labels(out, r->cols, r->ncols);
	sp_pack_cstr(out, "hub");
	sp_pack_bin(out, r->hub, SP_PUBKEY_BYTES);
	sp_pack_cstr(out, "name");
	sp_pack_cstr(out, r->name);
	sp_pack_cstr(out, "period");
	sp_pack_cstr(out, r->period);
	sp_pack_cstr(out, "rows");
	pack_labels(out, r->rows, r->nrows);
	if ((err = sp_ctl_end(out, start)) != 0)
		return err;
	for (u = 0; u < r->ncolumns; u++)
		if ((err = pack_column(out, r->columns[u])) != 0)
			return err;
	start = out->len;
	sp_ctl_begin_reply(out, SP_CTL_OK, 1);
	sp_pack_cstr(out, "left_out");
	sp_pack_array(out, (uint32_t)r->nleft);
	for (n = 0; n < r->nleft; n++) {
		sp_pack_map(out, 4);
		sp_pack_cstr(out, "alias");
		sp_pack_cstr(out, r->left[n].alias);
		sp_pack_cstr(out, "id");
		sp_pack_bin(out, r->left[n].id, SP_PUBKEY_BYTES);
		sp_pack_cstr(out, "kind");
		sp_pack_cstr(out, sp_report_kind_name(r->left[n].kind));
		sp_pack_cstr(out, "why");
		sp_pack_cstr(out, r->left[n].why);
	}
	return sp_ctl_end(out, start);
}

/* A field holding an array of labels, at most max, each valid and distinct. */
static bool
read_labels(const sp_ctl_msg *m, const char *name, label_text *v, size_t max, size_t *n)
{
	const uint8_t *p;
	sp_reader rd;
	uint32_t count, i, j;
	size_t len;

	*n = 0;
	if (sp_ctl_get_raw(m, name, &p, &len) != 0)
		return false;
	sp_reader_init(&rd, p, len);
	if (sp_read_array(&rd, &count) != 0 || count > max)
		return false;
	for (i = 0; i < count; i++) {
		if (!sp_read_text(&rd, v[i], SP_DEF_VALUE_MAX) || !sp_utf8_valid(v[i], strlen(v[i])))
			return false;
		for (j = 0; j < i; j++)
			if (strcmp(v[i], v[j]) == 0)
				return false;
	}
	*n = count;
	return sp_reader_end(&rd) == 0;
}

int
sp_report_read_header(const sp_ctl_msg *m, sp_report **out)
{
	char name[SP_SUMMARY_NAME_MAX + 1], period[8], by[16];
	const uint8_t *hub;
	sp_report *r;
	size_t len;
	int err;

	*out = NULL;
	if (m->status != SP_CTL_MORE || sp_ctl_get_cstr(m, "name", name, sizeof(name)) != 0 ||
	    sp_ctl_get_cstr(m, "period", period, sizeof(period)) != 0 ||
	    sp_ctl_get_cstr(m, "by", by, sizeof(by)) != 0 ||
	    (strcmp(by, "community") != 0 && strcmp(by, "hub") != 0) ||
	    sp_ctl_get_bin(m, "hub", &hub, &len) != 0 || len != SP_PUBKEY_BYTES)
		return SP_EFRAME;
	if ((err = sp_report_new(name, period, strcmp(by, "hub") == 0 ? SP_REPORT_BY_HUB :
	    SP_REPORT_BY_COMMUNITY, hub, &r)) != 0)
		return err == SP_EINVAL ? SP_EFRAME : err;
	if (!read_labels(m, "rows", r->rows, SP_SUMMARY_MAX_ROWS, &r->nrows) ||
	    !read_labels(m, "cols", r->cols, SP_SUMMARY_MAX_COLS, &r->ncols) ||
	    (r->nrows == 0 && r->ncols > 0)) {
		sp_report_free(r);
		return SP_EFRAME;
	}
	r->kind_set = true;
	r->two_way = r->ncols > 0;
	*out = r;
	return 0;
}

/* An array of indexes, each below limit and distinct, into map; *n how many. */
static bool
read_indexes(const sp_ctl_msg *m, const char *name, size_t limit, size_t max, size_t *n,
    uint16_t *map)
{
	bool seen[SP_SUMMARY_MAX_ROWS] = { false };
	const uint8_t *p;
	sp_reader rd;
	uint32_t count, i;
	uint64_t v;
	size_t len;

	if (sp_ctl_get_raw(m, name, &p, &len) != 0)
		return false;
	sp_reader_init(&rd, p, len);
	if (sp_read_array(&rd, &count) != 0 || count > max)
		return false;
	for (i = 0; i < count; i++) {
		if (sp_read_uint(&rd, &v) != 0 || v >= limit || seen[v])
			return false;
		seen[v] = true;
		map[i] = (uint16_t)v;
	}
	*n = count;
	return sp_reader_end(&rd) == 0;
}

/* A column frame's figures into c (its shape known), each consistent. */
static bool
read_figs(const sp_ctl_msg *m, column *c)
{
	size_t n = (c->nrows + 1) * c->width, len, i;
	const uint8_t *p;
	sp_reader rd;
	uint32_t count;

	if (sp_ctl_get_raw(m, "figs", &p, &len) != 0)
		return false;
	sp_reader_init(&rd, p, len);
	if (sp_read_array(&rd, &count) != 0 || count != n)
		return false;
	for (i = 0; i < n; i++)
		if (!sp_fig_read(&rd, &c->figs[i]) || !sp_fig_ok(&c->figs[i]))
			return false;
	return sp_reader_end(&rd) == 0;
}

int
sp_report_read_column(sp_report *r, const sp_ctl_msg *m)
{
	uint16_t rows[SP_SUMMARY_MAX_ROWS], cols[SP_SUMMARY_MAX_COLS];
	char alias[SP_REPORT_ALIAS_MAX + 1], kind[16];
	enum sp_report_kind k;
	const uint8_t *id;
	const char *why;
	size_t nrows, ncols, len, i;
	uint64_t kv;
	column *c;
	int err;

	if (m->status != SP_CTL_MORE || sp_ctl_get_cstr(m, "alias", alias, sizeof(alias)) != 0 ||
	    sp_ctl_get_cstr(m, "kind", kind, sizeof(kind)) != 0 ||
	    !sp_report_kind_parse(kind, strlen(kind), &k) ||
	    sp_ctl_get_bin(m, "id", &id, &len) != 0 || len != SP_PUBKEY_BYTES ||
	    sp_ctl_get_uint(m, "k", &kv) != 0 || kv > SP_DEF_K_MAX ||
	    !read_indexes(m, "rows", r->nrows, SP_SUMMARY_MAX_ROWS, &nrows, rows) ||
	    !read_indexes(m, "cols", r->ncols, SP_SUMMARY_MAX_COLS, &ncols, cols) ||
	    (nrows == 0 && ncols > 0))
		return SP_EFRAME;
	if ((err = start_column(k, id, alias, (unsigned)kv, nrows, ncols, &c)) != 0)
		return err == SP_EINVAL ? SP_EFRAME : err;
	for (i = 0; i < nrows; i++)
		c->row_of[i] = rows[i];
	for (i = 0; i < ncols; i++)
		c->col_of[i] = (uint8_t)cols[i];
	if (!read_figs(m, c) || (err = commit(r, c, &why)) != 0 || why != NULL) {
		column_free(c);
		return err != 0 ? err : SP_EFRAME;
	}
	return 0;
}

/* One left-out entry {"alias", "id", "kind", "why"}. */
static bool
read_left_out(sp_reader *rd, left_out *l)
{
	const uint8_t *id;
	const char *kind;
	uint32_t n;
	size_t len;

	memset(l, 0, sizeof(*l));
	if (sp_read_map(rd, &n) != 0 || n != 4 || !sp_read_name(rd, "alias") ||
	    !sp_read_text(rd, l->alias, SP_REPORT_ALIAS_MAX) || !alias_ok(l->alias) ||
	    !sp_read_name(rd, "id") || sp_read_bin(rd, &id, &len) != 0 || len != SP_PUBKEY_BYTES)
		return false;
	memcpy(l->id, id, SP_PUBKEY_BYTES);
	return sp_read_name(rd, "kind") && sp_read_str(rd, &kind, &len) == 0 &&
	    sp_report_kind_parse(kind, len, &l->kind) &&
	    sp_read_name(rd, "why") && sp_read_text(rd, l->why, WHY_MAX) &&
	    sp_utf8_valid(l->why, strlen(l->why));
}

int
sp_report_read_end(sp_report *r, const sp_ctl_msg *m)
{
	const uint8_t *p;
	sp_reader rd;
	uint32_t count, i;
	size_t len;

	if (m->status != SP_CTL_OK || sp_ctl_get_raw(m, "left_out", &p, &len) != 0)
		return SP_EFRAME;
	sp_reader_init(&rd, p, len);
	/* Each entry takes more than 40 bytes of the frame, which bounds count. */
	if (sp_read_array(&rd, &count) != 0 || count > len / 40)
		return SP_EFRAME;
	free(r->left);
	r->nleft = 0;
	if ((r->left = calloc(count + 1, sizeof(*r->left))) == NULL)
		return SP_ENOMEM;
	r->left_cap = count + 1;
	for (i = 0; i < count; i++) {
		if (!read_left_out(&rd, &r->left[i]))
			return SP_EFRAME;
		r->nleft++;
	}
	if (sp_reader_end(&rd) != 0)
		return SP_EFRAME;
	return sp_report_finish(r);
}
