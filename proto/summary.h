/*
 * summary.h - a published summary (docs/HUBS.md): the body of a record
 * in ".summary.HUB" under key NAME/PERIOD, a community's counts for one
 * definition and period after disclosure control:
 *
 *   {"cells": [[cell...]...], "cols": [str...], "consent": bin32,
 *    "k": uint, "name": str, "period": str, "rows": [str...],
 *    "sums": {field: {"cells": [[sum...]...], "totals": sum totals}},
 *    "totals": {"all": cell, "cols": [cell...], "rows": [cell...]}}
 *
 * A cell is a uint (published) or [lo, hi] (suppressed: the interval the
 * published figures allow, hi nil when they set no upper bound). A sum is
 * an int, or nil where its count cell is suppressed. A one-way table has
 * no "cols" (empty), one cell a row, and empty row and column totals.
 * Canonical msgpack, every key present, bounded on decoding.
 */
#ifndef SP_SUMMARY_H
#define SP_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "definition.h"
#include "record.h"
#include "tally.h"

#define SP_SUMMARY_COLLECTION ".summary."   /* + the hub's id: one collection per hub */
#define SP_SUMMARY_MAX_ROWS   256
#define SP_SUMMARY_MAX_COLS   16
/* A summary's key: NAME/PERIOD. */
#define SP_SUMMARY_KEY_MAX    (SP_SUMMARY_NAME_MAX + 1 + 7)

typedef struct sp_cell {
	bool suppressed;
	uint64_t value;            /* published */
	uint64_t lo, hi;           /* suppressed: the interval; hi unused when unbounded */
	bool unbounded;
} sp_cell;

typedef struct sp_sum {
	bool suppressed;           /* nil on the wire */
	int64_t value;
} sp_sum;

typedef struct sp_summary sp_summary;

/*
 * A summary of nrows x ncols cells (ncols 0: one way) and nsums sums, all
 * cells published as 0 and every label empty, to be filled in; *out owned
 * by the caller (sp_summary_free). SP_ETOOBIG past the limits.
 */
int sp_summary_new(size_t nrows, size_t ncols, size_t nsums, sp_summary **out);
void sp_summary_free(sp_summary *s);

/*
 * The parts. Labels are 1..SP_DEF_VALUE_MAX bytes; fields as in a
 * definition. A cell index (row, col) is col 0 for a one-way table.
 * Totals: row i, column j, and all (row_total(s, SIZE_MAX)...) are
 * reached through the accessors below. Returned pointers stay valid
 * while s lives.
 */
size_t sp_summary_rows(const sp_summary *s);
size_t sp_summary_cols(const sp_summary *s);      /* 0: one way */
size_t sp_summary_nsums(const sp_summary *s);
char *sp_summary_name(sp_summary *s);              /* SP_SUMMARY_NAME_MAX + 1 bytes */
char *sp_summary_period(sp_summary *s);            /* 8 bytes */
uint8_t *sp_summary_consent(sp_summary *s);        /* SP_ID_BYTES */
unsigned *sp_summary_k(sp_summary *s);
char *sp_summary_row(sp_summary *s, size_t row);   /* SP_DEF_VALUE_MAX + 1 bytes */
char *sp_summary_col(sp_summary *s, size_t col);
char *sp_summary_sum_field(sp_summary *s, size_t sum); /* SP_DEF_FIELD_MAX + 1 bytes */
sp_cell *sp_summary_cell(sp_summary *s, size_t row, size_t col);
sp_cell *sp_summary_row_total(sp_summary *s, size_t row);   /* two-way only */
sp_cell *sp_summary_col_total(sp_summary *s, size_t col);   /* two-way only */
sp_cell *sp_summary_total(sp_summary *s);
sp_sum *sp_summary_sum_cell(sp_summary *s, size_t sum, size_t row, size_t col);
sp_sum *sp_summary_sum_row_total(sp_summary *s, size_t sum, size_t row);
sp_sum *sp_summary_sum_col_total(sp_summary *s, size_t sum, size_t col);
sp_sum *sp_summary_sum_total(sp_summary *s, size_t sum);

/*
 * Checks a filled summary: a valid name, a period as sp_period_format
 * writes one, k in range, labels valid and distinct, sum fields distinct
 * and in bytewise order, every suppressed interval with lo <= hi. 0 or
 * SP_ESUMMARY.
 */
int sp_summary_check(const sp_summary *s);
/* Appends the canonical body: 0, SP_ESUMMARY, SP_ETOOBIG (over a body's 60 KiB) or out->err. */
int sp_summary_encode(const sp_summary *s, sp_buf *out);
/* Decodes a body; *out owned by the caller. SP_ESUMMARY, SP_ENOMEM. */
int sp_summary_decode(const uint8_t *body, size_t len, sp_summary **out);

/*
 * What a community publishes of a tally: its counts through disclosure
 * control (disclosure.h) with minimum count k, each suppressed entry with
 * the interval the published figures allow, and its sums on the counts'
 * pattern; labels as the tally has them. Name, period and consent are
 * the caller's to fill. A tally with no rows (no records, no category
 * list) gives a table of none, its total 0. *out owned by the caller
 * (sp_summary_free). The disclosure module's errors (SP_ETABLE_*),
 * SP_ENOMEM.
 */
int sp_summary_of_tally(const sp_tally *t, unsigned k, sp_summary **out);

/* Whether period is written as sp_period_format writes some period. */
bool sp_period_valid(const char *period, size_t len);
/*
 * The months a valid period covers: *year, its first month (1-12) and how
 * many (1, 3 or 12). false, and nothing set, when period is not valid.
 */
bool sp_period_span(const char *period, size_t len, unsigned *year, unsigned *first,
    unsigned *months);

#endif
