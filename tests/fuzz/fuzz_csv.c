/*
 * fuzz_csv.c - sp_csv_parse on arbitrary bytes.
 *
 * The first byte picks the mode: bit 0 skips bad rows (a bad_cb is set),
 * bit 1 validates only (no row_cb). The rest is the file; the key column
 * is "id". Every body handed over must be a valid body, every report must
 * name a line, and a clean return must leave no error behind.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "body.h"
#include "csv_import.h"
#include "record.h"

struct state {
	size_t last_line;
};

static int
on_row(void *arg, size_t line, const char *key, size_t key_len,
    const uint8_t *body, size_t body_len)
{
	struct state *s = arg;

	CHECK(sp_body_validate(body, body_len) == 0);
	CHECK(key_len >= 1 && key_len <= SP_KEY_MAX);
	CHECK(sp_key_check(key, key_len) == 0);
	/* The header is line 1 and rows come in file order. */
	CHECK(line >= 2 && line > s->last_line);
	s->last_line = line;
	return 0;
}

static int
on_bad(void *arg, const sp_csv_error *err)
{
	struct state *s = arg;

	CHECK(err->line >= 2 && err->line > s->last_line);
	CHECK(err->code < 0);
	CHECK(memchr(err->msg, '\0', sizeof(err->msg)) != NULL);
	s->last_line = err->line;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state s = { 0 };
	sp_csv_error err;
	uint8_t mode;
	int r;

	if (size == 0)
		return 0;
	mode = data[0];
	r = sp_csv_parse(data + 1, size - 1, "id",
	    (mode & 2) ? NULL : on_row, (mode & 1) ? on_bad : NULL, &s, &err);
	CHECK(memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
	if (r == 0)
		CHECK(err.code == 0 && err.line == 0 && err.msg[0] == '\0');
	else
		CHECK(r < 0 && err.code == r && err.msg[0] != '\0');
	return 0;
}
