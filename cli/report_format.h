/*
 * report_format.h - a hub's report (proto/report.h) as text: an aligned
 * table for a terminal, CSV, JSON or ADX (ISO/TS 22703, the aggregate
 * data exchange DHIS2 imports). Each format is described exactly in
 * docs/REPORTS.md. None of them ever shows a hidden count's value: a
 * hidden figure is its range, or is left out.
 */
#ifndef SP_REPORT_FORMAT_H
#define SP_REPORT_FORMAT_H

#include <stdint.h>
#include <stdio.h>

#include "report.h"

enum sp_report_format {
	SP_REPORT_TABLE, SP_REPORT_CSV, SP_REPORT_JSON, SP_REPORT_ADX
};

/* "table", "csv", "json", "adx": 0, or SP_EINVAL for another word. */
int sp_report_format_parse(const char *s, enum sp_report_format *out);

/*
 * How the table and CSV show a figure (f NULL: the column's table lacks
 * that row or column): "12"; a hidden count "[1-7]" or "[>=1]"; a total
 * with hidden counts in it "13-20" or ">=13"; "-" for none. Always
 * NUL-terminated (out holds at least 48 bytes).
 */
void sp_report_fig_text(char *out, size_t size, const sp_fig *f);

/*
 * ADX's period for a report's ("2026-11" is "2026-11-01/P1M", "2026-Q4"
 * "2026-10-01/P3M", "2026" "2026-01-01/P1Y") into out (at least 16
 * bytes). SP_EINVAL for anything but a valid period.
 */
int sp_report_adx_period(const char *period, char *out, size_t size);

/*
 * Writes finished report r to f in format fmt. ADX's "exported" is
 * exported_ms (wall clock, UTC). 0, SP_EINVAL for a report ADX cannot
 * carry (a category named as the summary, which ADX uses for the total;
 * detail, when not NULL, gets which), SP_ENOMEM, or -errno when writing
 * failed.
 */
int sp_report_write(FILE *f, const sp_report *r, enum sp_report_format fmt, uint64_t exported_ms,
    char *detail, size_t detail_size);

#endif
