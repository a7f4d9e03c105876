/*
 * tally.h - the counts (and sums) a summary definition asks for, over the
 * current records of its collection (docs/HUBS.md): one or two grouping
 * fields, the category list, the where filter. Pure: the caller feeds it
 * record bodies; what is published of it is disclosure.h's business.
 *
 * A grouping value is the field's text: a string as it is, an integer in
 * decimal, a boolean as "true" or "false". A record without the field, or
 * with another kind of value, counts under "other"; so does a value not
 * in the definition's category list (for the first field). Rows are the
 * listed categories in their order, or else the values found in bytewise
 * order; "other" comes last, always with a list, else when something
 * counted under it. Columns (the second field) are the values found in
 * bytewise order, "other" last when used.
 */
#ifndef SP_TALLY_H
#define SP_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "definition.h"

#define SP_TALLY_MAX_ROWS 256
#define SP_TALLY_MAX_COLS 16

typedef struct sp_tally sp_tally;

/* A tally of d (copied); *out owned by the caller (sp_tally_free). SP_EDEFINITION, SP_ENOMEM. */
int sp_tally_new(const sp_definition *d, sp_tally **out);
void sp_tally_free(sp_tally *t);

/*
 * Counts one current record by its body (a validated body): skipped when
 * the where filter excludes it. A sum field holding an integer adds it
 * (anything else adds nothing). SP_ETOOBIG when the rows or columns would
 * pass their limit (give a category list), SP_EINTRANGE when a sum leaves
 * int64, SP_ENOMEM. After an error the tally is unusable.
 */
int sp_tally_add(sp_tally *t, const uint8_t *body, size_t len);

/* The table's shape: rows, columns (1 for one way), and their labels (NULL: no second field). */
size_t sp_tally_rows(const sp_tally *t);
size_t sp_tally_cols(const sp_tally *t);
const char *sp_tally_row(const sp_tally *t, size_t row);
const char *sp_tally_col(const sp_tally *t, size_t col);
/* The definition's sum fields (its order). */
size_t sp_tally_nsums(const sp_tally *t);
const char *sp_tally_sum_field(const sp_tally *t, size_t s);
/* Records matched, in total and per cell. */
uint64_t sp_tally_total(const sp_tally *t);
uint64_t sp_tally_count(const sp_tally *t, size_t row, size_t col);
/* The sum of the definition's sum field s over a cell. */
int64_t sp_tally_sum(const sp_tally *t, size_t s, size_t row, size_t col);

#endif
