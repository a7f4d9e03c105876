/*
 * disclosure.h - statistical disclosure control for consented summaries:
 * which counts of a one- or two-way table may be published, and what
 * anyone can work out about the ones that are not (docs/DISCLOSURE.md).
 *
 * A table has rows x cols cells of counts (cols == 1 for one grouping
 * field). What is published is its grid of (rows + 1) x (cols + 1)
 * entries, row-major: cell (i, j) for i < rows and j < cols, the row
 * totals in column cols, the column totals in row rows and the grand total
 * at (rows, cols); sp_disclosure_index() finds an entry. Each entry is
 * published as its value or as SP_DISCLOSURE_SUPPRESSED:
 *
 *  - a count from 1 to k-1, cell or total, is always suppressed; 0 is
 *    always published (so every suppressed entry is known to be >= 1);
 *  - more entries are suppressed until, for every suppressed entry, the
 *    tables of non-negative integers that agree with everything published
 *    give it at least two values, the largest of them k or more (or no
 *    largest at all);
 *  - the same table and k give the same grid on every device.
 *
 * In a one-way table (rows == 1 or cols == 1) a total over a single entry
 * repeats it and is published exactly as that entry: with cols == 1 row
 * total i is cell (i, 0) and the column total is the grand total; with
 * rows == 1 (and cols > 1) column total j is cell (0, j) and the row total
 * is the grand total.
 *
 * Sums (a summary's --sum FIELD) are published only where the count table
 * is: sp_disclosure_sums() lays a table of sums over the count table's
 * published grid, so a sum over a suppressed count (a suppressed cell, or a
 * total including one) is suppressed too, totals included.
 *
 * Nothing here allocates memory the caller frees: every output is an array
 * the caller allocates, of SP_DISCLOSURE_ENTRIES(rows, cols) elements.
 * Scratch memory is allocated and freed within each call.
 */
#ifndef SP_DISCLOSURE_H
#define SP_DISCLOSURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SP_DISCLOSURE_MAX_ROWS  256          /* categories */
#define SP_DISCLOSURE_MAX_COLS  16           /* values of the second field */
#define SP_DISCLOSURE_K_MIN     3
#define SP_DISCLOSURE_K_DEFAULT 5
#define SP_DISCLOSURE_K_MAX     1000
/* The largest count a table may hold in any entry, its grand total included. */
#define SP_DISCLOSURE_MAX_COUNT INT64_C(1000000000)

/* A published entry's value when it is suppressed. */
#define SP_DISCLOSURE_SUPPRESSED INT64_C(-1)
/* A range's hi when published data sets the entry no upper bound. */
#define SP_DISCLOSURE_UNBOUNDED INT64_MAX

/* Entries in the published grid of a rows x cols table. */
#define SP_DISCLOSURE_ENTRIES(rows, cols) (((size_t)(rows) + 1) * ((size_t)(cols) + 1))

/* The index of entry (row, col) in the grid of a table with cols columns. */
static inline size_t
sp_disclosure_index(size_t cols, size_t row, size_t col)
{
	return row * (cols + 1) + col;
}

/*
 * Every value an entry can take in a table of non-negative integers that
 * agrees with what is published, suppressed entries being >= 1: all the
 * integers from lo to hi (hi may be SP_DISCLOSURE_UNBOUNDED). A published
 * entry has lo == hi == its value.
 */
typedef struct sp_disclosure_range {
	int64_t lo;
	int64_t hi;
} sp_disclosure_range;

/* An entry of a table of sums: its value, or suppressed (value 0). */
typedef struct sp_disclosure_sum {
	bool suppressed;
	int64_t value;
} sp_disclosure_sum;

/*
 * Decides what of the table counts (rows x cols cells, row-major) may be
 * published with minimum count k, and fills published (the grid: each
 * entry its value or SP_DISCLOSURE_SUPPRESSED) and, unless NULL, ranges
 * (each entry's range given the published grid: what
 * sp_disclosure_audit() computes from published alone).
 *
 * Errors, with nothing written when rows or cols is out of range and both
 * outputs cleared (every entry suppressed, ranges [0, UNBOUNDED]) for the
 * others: SP_ETABLE_SIZE (rows not 1..SP_DISCLOSURE_MAX_ROWS or cols not
 * 1..SP_DISCLOSURE_MAX_COLS), SP_ETABLE_K (k not SP_DISCLOSURE_K_MIN..
 * SP_DISCLOSURE_K_MAX), SP_ETABLE_COUNT (a count below 0, or a grand total
 * above SP_DISCLOSURE_MAX_COUNT), SP_ENOMEM.
 */
__attribute__((warn_unused_result))
int sp_disclosure_protect(const int64_t *counts, size_t rows, size_t cols, unsigned k,
    int64_t *published, sp_disclosure_range *ranges);

/*
 * What a hub does with a published grid it receives: checks it and
 * computes every entry's range into ranges (NULL: check only). Needs
 * nothing but the grid, the table's shape and k, and gives the ranges
 * sp_disclosure_protect() gave.
 *
 * Errors (ranges cleared as above, nothing written when rows or cols is
 * out of range): SP_ETABLE_SIZE, SP_ETABLE_K; SP_ETABLE_COUNT (an entry
 * neither SP_DISCLOSURE_SUPPRESSED nor 0..SP_DISCLOSURE_MAX_COUNT);
 * SP_ETABLE_TOTALS (no table agrees with the grid: totals that do not add
 * up, or a total repeating an entry that differs from it); SP_ETABLE_SMALL
 * (a count from 1 to k-1 published); SP_ETABLE_PINNED (a suppressed entry
 * with a single possible value, or none of k or more); SP_ENOMEM.
 */
__attribute__((warn_unused_result))
int sp_disclosure_audit(const int64_t *published, size_t rows, size_t cols, unsigned k,
    sp_disclosure_range *ranges);

/*
 * A table of sums (cell_sums: rows x cols, row-major, any sign) laid out
 * like the count table's published grid (published, as filled by
 * sp_disclosure_protect): totals added here, and every entry whose count
 * is suppressed suppressed. Into sums, a grid of
 * SP_DISCLOSURE_ENTRIES(rows, cols) elements.
 *
 * Errors (sums cleared to all suppressed, except for SP_ETABLE_SIZE):
 * SP_ETABLE_SIZE, SP_ETABLE_COUNT (a published entry neither a count nor
 * SP_DISCLOSURE_SUPPRESSED), SP_ETOOBIG (a total outside int64).
 */
__attribute__((warn_unused_result))
int sp_disclosure_sums(const int64_t *published, size_t rows, size_t cols,
    const int64_t *cell_sums, sp_disclosure_sum *sums);

#endif
