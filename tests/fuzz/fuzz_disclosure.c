/*
 * fuzz_disclosure.c - disclosure control on arbitrary tables. The first
 * three bytes give the shape (up to 16 x 6) and k (3..7), the next ones
 * the counts (mostly small); the table is protected and then checked with
 * the exact audit: nothing from 1 to k-1 published, every published entry
 * true, every hidden entry's range holding its true count and keeping two
 * values, one of them k or more; the hub's audit of the grid agrees. The
 * same bytes are then read as a published grid a hub might receive: the
 * audit must refuse it or give ranges that hold together.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "disclosure.h"
#include "fuzz.h"
#include "sp_err.h"

#define ROWS 16
#define COLS 6
#define ENTRIES ((ROWS + 1) * (COLS + 1))

static int64_t
count_of(uint8_t b)
{
	/* Half the bytes make counts below 8, where the small ones are. */
	return b < 128 ? b % 8 : b % 64;
}

static void
check_protect(size_t rows, size_t cols, unsigned k, const uint8_t *data, size_t size)
{
	int64_t counts[ROWS * COLS], truth[ENTRIES] = { 0 }, published[ENTRIES];
	sp_disclosure_range ranges[ENTRIES], audited[ENTRIES];
	size_t i, j, n = SP_DISCLOSURE_ENTRIES(rows, cols), g;

	for (i = 0; i < rows * cols; i++)
		counts[i] = i < size ? count_of(data[i]) : 0;
	for (i = 0; i < rows; i++) {
		for (j = 0; j < cols; j++) {
			truth[sp_disclosure_index(cols, i, j)] = counts[i * cols + j];
			truth[sp_disclosure_index(cols, i, cols)] += counts[i * cols + j];
			truth[sp_disclosure_index(cols, rows, j)] += counts[i * cols + j];
			truth[sp_disclosure_index(cols, rows, cols)] += counts[i * cols + j];
		}
	}
	CHECK(sp_disclosure_protect(counts, rows, cols, k, published, ranges) == 0);
	for (g = 0; g < n; g++) {
		if (published[g] != SP_DISCLOSURE_SUPPRESSED) {
			CHECK(published[g] == truth[g]);
			CHECK(published[g] == 0 || published[g] >= (int64_t)k);
			CHECK(ranges[g].lo == truth[g] && ranges[g].hi == truth[g]);
			continue;
		}
		CHECK(truth[g] >= 1);
		CHECK(ranges[g].lo >= 1 && ranges[g].lo <= truth[g] && truth[g] <= ranges[g].hi);
		CHECK(ranges[g].hi > ranges[g].lo && ranges[g].hi >= (int64_t)k);
	}
	CHECK(sp_disclosure_audit(published, rows, cols, k, audited) == 0);
	CHECK(memcmp(audited, ranges, n * sizeof *ranges) == 0);
}

static void
check_audit(size_t rows, size_t cols, unsigned k, const uint8_t *data, size_t size)
{
	int64_t grid[ENTRIES];
	sp_disclosure_range ranges[ENTRIES];
	size_t n = SP_DISCLOSURE_ENTRIES(rows, cols), g;
	int r;

	for (g = 0; g < n; g++)
		grid[g] = g < size && data[g] % 4 == 0 ? SP_DISCLOSURE_SUPPRESSED :
		    g < size ? count_of(data[g]) : 0;
	r = sp_disclosure_audit(grid, rows, cols, k, ranges);
	CHECK(r == 0 || r == SP_ETABLE_TOTALS || r == SP_ETABLE_SMALL || r == SP_ETABLE_PINNED);
	for (g = 0; g < n; g++) {
		if (r != 0) {
			CHECK(ranges[g].lo == 0 && ranges[g].hi == SP_DISCLOSURE_UNBOUNDED);
		} else if (grid[g] == SP_DISCLOSURE_SUPPRESSED) {
			CHECK(ranges[g].lo >= 1 && ranges[g].hi > ranges[g].lo &&
			    ranges[g].hi >= (int64_t)k);
		} else {
			CHECK(ranges[g].lo == grid[g] && ranges[g].hi == grid[g]);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t rows, cols;
	unsigned k;

	if (size < 3)
		return 0;
	rows = 1 + data[0] % ROWS;
	cols = 1 + data[1] % COLS;
	k = 3 + data[2] % 5;
	check_protect(rows, cols, k, data + 3, size - 3);
	check_audit(rows, cols, k, data + 3, size - 3);
	return 0;
}
