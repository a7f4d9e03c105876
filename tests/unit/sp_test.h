/*
 * sp_test.h - helpers shared by the unit tests (cmocka).
 */
#ifndef SP_TEST_H
#define SP_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "summary.h"

/* Creates a fresh temporary directory; returns a malloc'd path (free with sp_test_rmdir). */
char *sp_test_mkdtemp(void);
/* Removes dir recursively and frees the path. */
void sp_test_rmdir(char *dir);

/* Decodes hex (even length) into a malloc'd buffer; *len gets its size. */
uint8_t *sp_test_unhex(const char *hex, size_t *len);

/*
 * Does any regular file below dir contain needle? Returns the number of
 * files that do (so a test can assert 0 after an erase).
 */
int sp_test_grep_tree(const char *dir, const void *needle, size_t len);

/* Path of the shared test vectors ($SP_VECTORS), or NULL. */
const char *sp_test_vectors(void);

/*
 * A summary of name and period, k 5, written as the report lays figures
 * out: rows and cols (ncols 0: one way) as labels, and cells, (nrows + 1)
 * rows of width entries (width ncols + 1, or 1), the last row the column
 * totals and the grand total, the last entry of a two-way row its total.
 * An entry is "7" (published), "[1-4]" or "[>=1]" (suppressed). Fails the
 * test on anything else; owned by the caller (sp_summary_free).
 */
sp_summary *sp_test_summary(const char *name, const char *period, const char *const *rows,
    size_t nrows, const char *const *cols, size_t ncols, const char *const *cells);

#endif
