/*
 * report.h - what `simpul report` shows (docs/REPORTS.md): a hub's figures
 * for one summary NAME and period, one column per community (or per hub
 * below, and one for the hub's own communities), then the total column,
 * the sum of the others. simpuld builds it from the summaries and
 * aggregates it holds; it travels to simpul as control replies; simpul
 * reads it back and formats it. Pure: no I/O.
 *
 * Every figure is a fig (aggregate.h): [published, suppressed, lo, hi]. A
 * community's published cell v is [v, 0, v, v], a suppressed cell [l, h]
 * is [0, 1, l, h]; a hub's figures are its aggregate's.
 *
 * Positions. A report has rows() category labels and cols() labels of the
 * second grouping field (0: a one-way table). A figure is at (i, j) with i
 * from 0 to rows() (rows(): the total row) and j below width(): in a
 * one-way table width() is 1 and j is 0; in a two-way table width() is
 * cols() + 1 and j = cols() is the row total. So the grand total is at
 * (rows(), width() - 1). Rows and columns are the labels in the order
 * first met, column by column.
 */
#ifndef SP_REPORT_H
#define SP_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aggregate.h"
#include "buf.h"
#include "ctl.h"
#include "record.h"
#include "summary.h"

#define SP_REPORT_ALIAS_MAX SP_COLLECTION_MAX

enum sp_report_by { SP_REPORT_BY_COMMUNITY, SP_REPORT_BY_HUB };

/* What a column stands for. */
enum sp_report_kind {
	SP_REPORT_COMMUNITY,     /* one community's summary (id: the community's) */
	SP_REPORT_HUB,           /* a hub directly below, by its aggregate (id: its node id) */
	SP_REPORT_OWN,           /* this hub's directly consented communities (id: this hub's node id) */
};

typedef struct sp_report sp_report;

/*
 * An empty report of summary name for period, made at the hub whose node
 * id is hub; *out owned by the caller (sp_report_free). SP_EINVAL for a
 * bad name or period, SP_ENOMEM.
 */
int sp_report_new(const char *name, const char *period, enum sp_report_by by,
    const uint8_t hub[SP_PUBKEY_BYTES], sp_report **out);
void sp_report_free(sp_report *r);

/*
 * Building (simpuld). A column is added with its own labels, new ones
 * appended to the report's. The first column with rows fixes one-way or
 * two-way; a column of the other kind, one whose labels would take the
 * report past SP_SUMMARY_MAX_ROWS rows or SP_SUMMARY_MAX_COLS columns, or
 * whose figures would overflow the total, is left out: not added, but
 * listed (sp_report_left_out) with why. An empty table (no rows, e.g. a
 * hub whose communities all withdrew) fits either kind. alias is 1 to
 * SP_REPORT_ALIAS_MAX bytes. 0, SP_EINVAL (a bad alias, or s of another
 * name or period), SP_ENOMEM. s is only read.
 */
int sp_report_add_summary(sp_report *r, const uint8_t id[SP_PUBKEY_BYTES], const char *alias,
    sp_summary *s);
/* A hub's column (SP_REPORT_HUB or SP_REPORT_OWN) from aggregate a, as sp_report_add_summary. */
int sp_report_add_aggregate(sp_report *r, enum sp_report_kind kind,
    const uint8_t id[SP_PUBKEY_BYTES], const char *alias, const sp_aggregate *a);

/*
 * Control replies (docs/PROTOCOL.md, "report"). sp_report_pack appends
 * every frame of the reply to out: the header (SP_CTL_MORE), one frame per
 * column (SP_CTL_MORE), and the final SP_CTL_OK frame listing the columns
 * left out. 0, or SP_EFRAME_TOO_BIG / out->err.
 *
 * Reading them back: sp_report_read_header makes *out from the first
 * frame (owned by the caller, sp_report_free; NULL on error);
 * sp_report_read_column adds each column frame; sp_report_read_end reads
 * the final frame and finishes the report. Each checks its frame
 * fully (labels, indexes in range, figures consistent): SP_EFRAME for
 * anything else, SP_ENOMEM.
 */
int sp_report_pack(const sp_report *r, sp_buf *out);
int sp_report_read_header(const sp_ctl_msg *m, sp_report **out);
int sp_report_read_column(sp_report *r, const sp_ctl_msg *m);
int sp_report_read_end(sp_report *r, const sp_ctl_msg *m);

/*
 * Makes the total column and the lookups the accessors below use: call it
 * once every column is in (sp_report_read_end does). 0 or SP_ENOMEM.
 */
int sp_report_finish(sp_report *r);

/* Reading a finished report; returned pointers live as long as r. */
const char *sp_report_name(const sp_report *r);
const char *sp_report_period(const sp_report *r);
enum sp_report_by sp_report_by(const sp_report *r);
const uint8_t *sp_report_hub(const sp_report *r);                   /* SP_PUBKEY_BYTES */
size_t sp_report_rows(const sp_report *r);
size_t sp_report_cols(const sp_report *r);          /* 0: one way */
size_t sp_report_width(const sp_report *r);         /* cols() + 1, or 1 for one way */
const char *sp_report_row(const sp_report *r, size_t i);
const char *sp_report_col(const sp_report *r, size_t j);
/* The columns, without the total. */
size_t sp_report_columns(const sp_report *r);
enum sp_report_kind sp_report_column_kind(const sp_report *r, size_t u);
const uint8_t *sp_report_column_id(const sp_report *r, size_t u);    /* SP_PUBKEY_BYTES */
const char *sp_report_column_alias(const sp_report *r, size_t u);
unsigned sp_report_column_k(const sp_report *r, size_t u);           /* 0 for a hub's */
/*
 * The figure of column u at (i, j); u == sp_report_columns(r) is the
 * total column. NULL when the column has no such row or column label
 * (its table does not list that category), and in the total column
 * where no column has a figure (a row and a column of a two-way report
 * that no table has together).
 */
const sp_fig *sp_report_fig(const sp_report *r, size_t u, size_t i, size_t j);

/* The columns left out, in the order they were offered. */
size_t sp_report_left_out(const sp_report *r);
enum sp_report_kind sp_report_left_out_kind(const sp_report *r, size_t n);
const uint8_t *sp_report_left_out_id(const sp_report *r, size_t n);
const char *sp_report_left_out_alias(const sp_report *r, size_t n);
const char *sp_report_left_out_why(const sp_report *r, size_t n);   /* a short English phrase */

/* "community", "hub", "own"; and back (false for another word). */
const char *sp_report_kind_name(enum sp_report_kind kind);
bool sp_report_kind_parse(const char *s, size_t len, enum sp_report_kind *out);

#endif
