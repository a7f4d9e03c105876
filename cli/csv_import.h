/*
 * csv_import.h - reads a spreadsheet's CSV export into record bodies
 * (libcsv underneath).
 *
 * UTF-8 with or without a BOM; the separator is ',' or ';' (as Indonesian
 * spreadsheets write it), chosen from the header line; the header row
 * names the fields. A cell becomes an integer only when it matches
 * -?(0|[1-9][0-9]*) and fits int64, so phone numbers like 0812... and RT
 * numbers like 003 stay text; every other cell is a string, and an empty
 * cell is an empty string. Each row becomes a body map of header -> cell
 * (keys sorted), keyed by the cell of the key column.
 *
 * A bad row (wrong number of fields, invalid UTF-8, empty or duplicate key,
 * a body over the size limit) is reported with its line number: the line
 * of the file where the row starts, counting the header as line 1.
 */
#ifndef SP_CSV_IMPORT_H
#define SP_CSV_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SP_CSV_MAX_COLUMNS 256

typedef struct sp_csv_error {
	size_t line;     /* 0 when the error is not about one row */
	int code;        /* SP_ECSV, SP_EUTF8, SP_EKEY, SP_EDUPKEY, SP_EBODY_TOO_BIG... */
	char msg[256];   /* e.g. "line 7: expected 4 fields, found 3" */
} sp_csv_error;

/* Called for each good row; a non-zero return stops parsing and is returned. */
typedef int (*sp_csv_row_cb)(void *arg, size_t line, const char *key,
    size_t key_len, const uint8_t *body, size_t body_len);
/* Called for each bad row when skipping; a non-zero return stops parsing. */
typedef int (*sp_csv_bad_cb)(void *arg, const sp_csv_error *err);

/*
 * Parses data (len bytes, the whole file). Without bad_cb the first bad row
 * stops parsing: returns its code and fills *err. With bad_cb every bad row
 * is reported to it and skipped. row_cb may be NULL (validation only).
 * Memory used is bounded by the number of distinct keys (for duplicate
 * detection), not by the file size. Returns 0 when every row was good or
 * skipped.
 */
int sp_csv_parse(const uint8_t *data, size_t len, const char *key_column,
    sp_csv_row_cb row_cb, sp_csv_bad_cb bad_cb, void *arg, sp_csv_error *err);

/*
 * Writing: s (len bytes, not necessarily NUL-terminated) as one CSV cell
 * to f, quoted when RFC 4180 needs it (a comma, quote or line break) or
 * when it starts or ends with a space (which a spreadsheet would trim).
 */
void sp_csv_write_cell(FILE *f, const char *s, size_t len);

#endif
