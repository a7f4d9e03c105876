/*
 * aggregate.h - a hub's aggregate (docs/HUBS.md, "Aggregate"): the body
 * of a record in ".aggregate" under key NAME/PERIOD, in the hub's own
 * community, written by the hub's node:
 *
 *   {"cells": [[fig...]...], "cols": [str...], "hubs": [bin32...],
 *    "inputs": [bin32...], "name": str, "period": str, "rows": [str...],
 *    "totals": {"all": fig, "cols": [fig...], "rows": [fig...]}}
 *
 * A fig is [published, suppressed, lo, hi]: the sum of the published
 * cells that went into it, how many suppressed cells did, and the range
 * the true total lies in (hi nil when some suppressed cell had no upper
 * bound). The shapes of cells, cols, rows and totals are a summary's
 * (summary.h): a one-way table has no cols, one fig a row and no row or
 * column totals. "inputs" are the record ids of the summaries and lower
 * aggregates added, "hubs" this hub and the hubs of the lower aggregates
 * used; both sorted bytewise, distinct.
 *
 * Canonical msgpack, every key present, bounded on decoding. The builder
 * below is the one way to compute an aggregate, so that anyone holding
 * the inputs gets the same bytes. Pure: no I/O.
 */
#ifndef SP_AGGREGATE_H
#define SP_AGGREGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "reader.h"
#include "record.h"
#include "summary.h"

#define SP_AGGREGATE_COLLECTION ".aggregate"

typedef struct sp_fig {
	uint64_t published;        /* sum of the published cells */
	uint64_t suppressed;       /* how many suppressed cells went in */
	uint64_t lo, hi;           /* the true total's range; hi unused when unbounded */
	bool unbounded;            /* hi nil: some suppressed cell had no upper bound */
} sp_fig;

typedef struct sp_aggregate sp_aggregate;

/* What a summary's cell adds to a fig: v, or one suppressed cell [lo, hi]. */
void sp_fig_of_cell(sp_fig *f, const sp_cell *c);
/* Adds add to *to part by part; false (and *to unchanged) if a part would overflow. */
bool sp_fig_add(sp_fig *to, const sp_fig *add);
/*
 * A fig as the builder makes one: with nothing suppressed, the range is
 * the published sum; otherwise it holds it from above.
 */
bool sp_fig_ok(const sp_fig *f);
/* A fig's encoding, [published, suppressed, lo, hi or nil]; reading checks the shape only. */
void sp_fig_pack(sp_buf *b, const sp_fig *f);
bool sp_fig_read(sp_reader *r, sp_fig *f);

/*
 * The parts of an aggregate. Row and column indexes as in a summary (col
 * 0 for a one-way table); row and column totals only in a two-way table.
 * Returned pointers stay valid while a lives.
 */
size_t sp_aggregate_rows(const sp_aggregate *a);
size_t sp_aggregate_cols(const sp_aggregate *a);          /* 0: one way */
const char *sp_aggregate_name(const sp_aggregate *a);
const char *sp_aggregate_period(const sp_aggregate *a);
const char *sp_aggregate_row(const sp_aggregate *a, size_t row);
const char *sp_aggregate_col(const sp_aggregate *a, size_t col);
const sp_fig *sp_aggregate_cell(const sp_aggregate *a, size_t row, size_t col);
const sp_fig *sp_aggregate_row_total(const sp_aggregate *a, size_t row);
const sp_fig *sp_aggregate_col_total(const sp_aggregate *a, size_t col);
const sp_fig *sp_aggregate_total(const sp_aggregate *a);
size_t sp_aggregate_ninputs(const sp_aggregate *a);
const uint8_t *sp_aggregate_input(const sp_aggregate *a, size_t i);  /* SP_ID_BYTES, sorted */
size_t sp_aggregate_nhubs(const sp_aggregate *a);
const uint8_t *sp_aggregate_hub(const sp_aggregate *a, size_t i);    /* SP_ID_BYTES, sorted */
/* Whether hub (SP_ID_BYTES) is in a's hubs. */
bool sp_aggregate_has_hub(const sp_aggregate *a, const uint8_t *hub);

void sp_aggregate_free(sp_aggregate *a);

/*
 * Appends the canonical body: 0, SP_EAGGREGATE (a's parts break a rule
 * decoding checks), SP_ETOOBIG (over a body's 60 KiB) or out->err.
 */
int sp_aggregate_encode(const sp_aggregate *a, sp_buf *out);
/*
 * Decodes a body; *out owned by the caller (sp_aggregate_free).
 * SP_EAGGREGATE for anything but the canonical body of an aggregate
 * (figs inconsistent: suppressed 0 with lo or hi not published, lo below
 * published, lo above hi; labels invalid or repeated; ids unsorted or
 * repeated; no hubs; over 256 rows, 16 columns or 60 KiB), SP_ENOMEM.
 */
int sp_aggregate_decode(const uint8_t *body, size_t len, sp_aggregate **out);

/*
 * Computing one. Start an aggregate of NAME/PERIOD for the hub whose node
 * id is hub, add every input in any order, finish. finish walks the
 * inputs in the bytewise order of their ids: the first with rows or
 * columns fixes one-way or two-way; labels are taken in the order first
 * met; figs and totals are added from the inputs' own (totals from their
 * totals, never from cells). An input of the other kind, or one whose
 * labels would take the table past 256 rows or 16 columns, or whose
 * figures would overflow, is left out: not added, not in "inputs", its
 * hubs not in "hubs", and reported to left_out.
 */
typedef struct sp_aggregate_builder sp_aggregate_builder;

/*
 * why is a static English phrase ("a one-way table in a two-way
 * aggregate", ...).
 */
typedef void sp_aggregate_left_out_cb(const uint8_t *id, const char *why, void *arg);

/* *out owned by the caller (sp_aggregate_builder_free). SP_EINVAL (bad name or period), SP_ENOMEM. */
int sp_aggregate_start(const char *name, const char *period, const uint8_t *hub,
    sp_aggregate_builder **out);
void sp_aggregate_builder_free(sp_aggregate_builder *b);
/*
 * Adds summary s with record id id (SP_ID_BYTES). The builder takes s
 * whatever the result (it frees s on error). SP_EINVAL: s is of another
 * name or period; SP_EEXIST: an input with this id was added; SP_ENOMEM.
 */
int sp_aggregate_add_summary(sp_aggregate_builder *b, const uint8_t *id, sp_summary *s);
/* Adds lower aggregate a with record id id, as sp_aggregate_add_summary. */
int sp_aggregate_add_aggregate(sp_aggregate_builder *b, const uint8_t *id, sp_aggregate *a);
/*
 * The aggregate of the inputs added; *out owned by the caller. left_out
 * (may be NULL) is called, in id order, for each input left out.
 * Finishing twice gives the same aggregate. SP_ENOMEM.
 */
int sp_aggregate_finish(sp_aggregate_builder *b, sp_aggregate_left_out_cb *left_out, void *arg,
    sp_aggregate **out);

#endif
