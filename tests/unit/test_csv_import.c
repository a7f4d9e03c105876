/*
 * test_csv_import.c - spreadsheet CSV exports into record bodies.
 */
#include "sp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "csv_import.h"
#include "json_body.h"
#include "record.h"
#include "sp_err.h"

#define MAX_ROWS 32

/* What the callbacks saw. */
struct seen {
	size_t rows;
	size_t line[MAX_ROWS];
	char key[MAX_ROWS][300];
	json_t *body[MAX_ROWS];
	size_t bad;
	sp_csv_error bad_err[MAX_ROWS];
	size_t stop_row_after;  /* row_cb returns 99 after this many rows; 0 never */
	size_t stop_bad_after;  /* bad_cb returns 98 after this many; 0 never */
};

static int
on_row(void *arg, size_t line, const char *key, size_t key_len,
    const uint8_t *body, size_t body_len)
{
	struct seen *s = arg;

	assert_int_equal(sp_body_validate(body, body_len), 0);
	assert_true(s->rows < MAX_ROWS);
	assert_true(key_len < sizeof(s->key[0]));
	s->line[s->rows] = line;
	memcpy(s->key[s->rows], key, key_len);
	s->key[s->rows][key_len] = '\0';
	assert_int_equal(sp_body_to_json(body, body_len, &s->body[s->rows]), 0);
	s->rows++;
	return s->stop_row_after != 0 && s->rows >= s->stop_row_after ? 99 : 0;
}

static int
on_bad(void *arg, const sp_csv_error *err)
{
	struct seen *s = arg;

	assert_true(s->bad < MAX_ROWS);
	assert_int_not_equal(err->line, 0);
	s->bad_err[s->bad++] = *err;
	return s->stop_bad_after != 0 && s->bad >= s->stop_bad_after ? 98 : 0;
}

static void
seen_free(struct seen *s)
{
	size_t i;

	for (i = 0; i < s->rows; i++)
		json_decref(s->body[i]);
	memset(s, 0, sizeof(*s));
}

static int
parse(const char *csv, const char *key, struct seen *s, bool skip,
    sp_csv_error *err)
{
	return sp_csv_parse((const uint8_t *)csv, strlen(csv), key, on_row,
	    skip ? on_bad : NULL, s, err);
}

/* Row i's body, as JSON, equals want (so types are checked too). */
static void
assert_body(const struct seen *s, size_t i, const char *want)
{
	json_error_t je;
	json_t *w = json_loads(want, 0, &je);

	assert_non_null(w);
	assert_true(i < s->rows);
	if (!json_equal(w, s->body[i])) {
		char *got = json_dumps(s->body[i], JSON_COMPACT | JSON_SORT_KEYS);
		print_error("row %zu: got %s, want %s\n", i, got, want);
		free(got);
		fail();
	}
	json_decref(w);
}

/* Parsing fails with code at line, and the message is exactly msg. */
static void
assert_fails(const char *csv, const char *key, int code, size_t line,
    const char *msg)
{
	struct seen s = { 0 };
	sp_csv_error err;

	assert_int_equal(parse(csv, key, &s, false, &err), code);
	assert_int_equal(err.code, code);
	assert_int_equal(err.line, line);
	assert_string_equal(err.msg, msg);
	seen_free(&s);
}

static void
test_comma(void **state)
{
	struct seen s = { 0 };
	sp_csv_error err;

	(void)state;
	assert_int_equal(parse("id,kepala,anggota\nh-001,Siti Aminah,4\n"
	    "h-002,Budi Santoso,-7\n", "id", &s, false, &err), 0);
	assert_int_equal(err.code, 0);
	assert_int_equal(err.line, 0);
	assert_string_equal(err.msg, "");
	assert_int_equal(s.rows, 2);
	assert_int_equal(s.line[0], 2);
	assert_int_equal(s.line[1], 3);
	assert_string_equal(s.key[0], "h-001");
	assert_string_equal(s.key[1], "h-002");
	assert_body(&s, 0, "{\"id\":\"h-001\",\"kepala\":\"Siti Aminah\",\"anggota\":4}");
	assert_body(&s, 1, "{\"id\":\"h-002\",\"kepala\":\"Budi Santoso\",\"anggota\":-7}");
	seen_free(&s);
}

static void
test_semicolon_bom_crlf(void **state)
{
	struct seen s = { 0 };
	sp_csv_error err;

	(void)state;
	assert_int_equal(parse("\xef\xbb\xbfid;telepon;rt;anggota;catatan\r\n"
	    "h-001;081234567890;003;42;ada, koma\r\n"
	    "h-002;0812;01;0;\r\n", "id", &s, false, &err), 0);
	assert_int_equal(s.rows, 2);
	assert_int_equal(s.line[0], 2);
	assert_int_equal(s.line[1], 3);
	/* The BOM is not part of the first column's name. */
	assert_body(&s, 0, "{\"id\":\"h-001\",\"telepon\":\"081234567890\","
	    "\"rt\":\"003\",\"anggota\":42,\"catatan\":\"ada, koma\"}");
	assert_body(&s, 1, "{\"id\":\"h-002\",\"telepon\":\"0812\","
	    "\"rt\":\"01\",\"anggota\":0,\"catatan\":\"\"}");
	seen_free(&s);
}

static void
test_delimiter_detection(void **state)
{
	struct seen s = { 0 };
	sp_csv_error err;

	(void)state;
	/* Separators inside quotes do not count. */
	assert_int_equal(parse("id,\"a;b;c\"\nk,1\n", "id", &s, false, &err), 0);
	assert_body(&s, 0, "{\"id\":\"k\",\"a;b;c\":1}");
	seen_free(&s);
	assert_int_equal(parse("\"x,y,z\";id;b\n1;k;2\n", "id", &s, false, &err), 0);
	assert_body(&s, 0, "{\"x,y,z\":1,\"id\":\"k\",\"b\":2}");
	seen_free(&s);
	/* Leading blank lines are skipped; a tie means ','. */
	assert_int_equal(parse("\r\n\nid,a;b\nk,x;y\n", "id", &s, false, &err), 0);
	assert_int_equal(s.line[0], 4);
	assert_body(&s, 0, "{\"id\":\"k\",\"a;b\":\"x;y\"}");
	seen_free(&s);
	/* A one-column file. */
	assert_int_equal(parse("id\nk1\nk2", "id", &s, false, &err), 0);
	assert_int_equal(s.rows, 2);
	assert_body(&s, 1, "{\"id\":\"k2\"}");
	seen_free(&s);
}

static void
test_quoted_fields(void **state)
{
	struct seen s = { 0 };
	sp_csv_error err;

	(void)state;
	assert_int_equal(parse("id,catatan,n\n"
	    "h-1,\"pindah ke RT 04,\nrumah \"\"biru\"\"\r\nbelakang masjid\",1\n"
	    "h-2,\"\",\"2\"\n"
	    "\n"
	    "h-3,\" spasi \",3\r\n"
	    "h-4,x,4", "id", &s, false, &err), 0);
	assert_int_equal(s.rows, 4);
	/* Later rows keep their physical line numbers. */
	assert_int_equal(s.line[0], 2);
	assert_int_equal(s.line[1], 5);
	assert_int_equal(s.line[2], 7);
	assert_int_equal(s.line[3], 8);
	assert_body(&s, 0, "{\"id\":\"h-1\",\"catatan\":\"pindah ke RT 04,\\n"
	    "rumah \\\"biru\\\"\\r\\nbelakang masjid\",\"n\":1}");
	/* A quoted number is still a number: quoting is only CSV syntax. */
	assert_body(&s, 1, "{\"id\":\"h-2\",\"catatan\":\"\",\"n\":2}");
	assert_body(&s, 2, "{\"id\":\"h-3\",\"catatan\":\" spasi \",\"n\":3}");
	seen_free(&s);

	/* A bad row after a multi-line field is named by its own line. */
	assert_fails("id,a\nk1,\"x\ny\nz\"\nk2\n", "id", SP_ECSV, 5,
	    "line 5: expected 2 fields, found 1");
	/* Lone CR line breaks count as lines too. */
	assert_fails("id,a\rk1,1\rk2\r", "id", SP_ECSV, 3,
	    "line 3: expected 2 fields, found 1");
}

static void
test_integer_rule(void **state)
{
	static const struct {
		const char *cell;
		const char *json;  /* the value in the body, as JSON */
	} cases[] = {
		{ "0", "0" },
		{ "42", "42" },
		{ "-7", "-7" },
		{ "9223372036854775807", "9223372036854775807" },
		{ "-9223372036854775808", "-9223372036854775808" },
		{ "9223372036854775808", "\"9223372036854775808\"" },
		{ "-9223372036854775809", "\"-9223372036854775809\"" },
		{ "99999999999999999999", "\"99999999999999999999\"" },
		{ "081234567890", "\"081234567890\"" },
		{ "003", "\"003\"" },
		{ "-0", "\"-0\"" },
		{ "-01", "\"-01\"" },
		{ "+5", "\"+5\"" },
		{ "1e3", "\"1e3\"" },
		{ "1.5", "\"1.5\"" },
		{ " 5", "\" 5\"" },
		{ "5 ", "\"5 \"" },
		{ "-", "\"-\"" },
		{ "", "\"\"" },
		{ "12a", "\"12a\"" },
		{ "\xd9\xa3", "\"\xd9\xa3\"" },  /* ARABIC-INDIC DIGIT THREE */
	};
	char csv[128], want[128];
	struct seen s = { 0 };
	sp_csv_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(csv, sizeof(csv), "id;v\nk;%s\n", cases[i].cell);
		snprintf(want, sizeof(want), "{\"id\":\"k\",\"v\":%s}", cases[i].json);
		assert_int_equal(parse(csv, "id", &s, false, &err), 0);
		assert_body(&s, 0, want);
		seen_free(&s);
	}
}

static void
test_bad_rows(void **state)
{
	char *long_key, *csv;

	(void)state;
	assert_fails("id,a\nh-1,1\nh-2\n", "id", SP_ECSV, 3,
	    "line 3: expected 2 fields, found 1");
	assert_fails("id,a\nh-1,1,2\n", "id", SP_ECSV, 2,
	    "line 2: expected 2 fields, found 3");
	assert_fails("id,a\nh-1,ok\nh-2,\xff\n", "id", SP_EUTF8, 3,
	    "line 3: field 'a' is not valid UTF-8");
	assert_fails("id,a\nh-1,\xed\xa0\x80\n", "id", SP_EUTF8, 2,
	    "line 2: field 'a' is not valid UTF-8");
	assert_fails("id,a\n,1\n", "id", SP_EKEY, 2, "line 2: empty key");
	assert_fails("a,id\n1,\"h\t1\"\n", "id", SP_EKEY, 2,
	    "line 2: bad key: use 1-256 bytes without control characters");
	assert_fails("id,a\nh-1,1\nh-2,2\nh-1,3\n", "id", SP_EDUPKEY, 4,
	    "line 4: duplicate key 'h-1' (first on line 2)");
	assert_fails("id,a\nh-1,ab\"c\n", "id", SP_ECSV, 2, "line 2: a quote "
	    "inside an unquoted field, or text after a closing quote");
	assert_fails("id,a\nh-1,\"ab\"c\n", "id", SP_ECSV, 2, "line 2: a quote "
	    "inside an unquoted field, or text after a closing quote");
	assert_fails("id,a\nh-1,\"ab\nc\n", "id", SP_ECSV, 2,
	    "line 2: a quoted field is not closed");

	/* 256 bytes is the longest key, and keys are compared in full. */
	long_key = malloc(600);
	csv = malloc(1200);
	assert_non_null(long_key);
	assert_non_null(csv);
	memset(long_key, 'k', 257);
	long_key[257] = '\0';
	snprintf(csv, 1200, "id\n%s\n", long_key);
	assert_fails(csv, "id", SP_EKEY, 2,
	    "line 2: bad key: use 1-256 bytes without control characters");
	long_key[256] = '\0';
	snprintf(csv, 1200, "id\n%s\n%.255sx\n%s\n", long_key, long_key, long_key);
	assert_fails(csv, "id", SP_EDUPKEY, 4, "line 4: duplicate key "
	    "'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...'"
	    " (first on line 2)");
	free(long_key);
	free(csv);
}

static void
test_header(void **state)
{
	char *csv, msg[256];
	size_t len, i;
	struct seen s = { 0 };
	sp_csv_error err;

	(void)state;
	assert_fails("id,nama\nh-1,x\n", "nik", SP_ECSV, 1,
	    "line 1: no column 'nik' for the key; the columns are: id, nama");
	assert_fails("id,a,a\n", "id", SP_ECSV, 1,
	    "line 1: column name 'a' appears twice");
	assert_fails("id,,b\n", "id", SP_ECSV, 1, "line 1: column 2 has no name");
	assert_fails("id,\xc3\x28\n", "id", SP_EUTF8, 1,
	    "line 1: the name of column 2 is not valid UTF-8");
	assert_fails("", "id", SP_ECSV, 0,
	    "the file is empty: a header row is needed");
	assert_fails("\xef\xbb\xbf\r\n\r\n", "id", SP_ECSV, 0,
	    "the file is empty: a header row is needed");
	/* A header alone is a valid, empty import. */
	assert_int_equal(parse("id,a\n", "id", &s, false, &err), 0);
	assert_int_equal(s.rows, 0);

	/* A long column list is cut to fit the message. */
	csv = malloc(4096);
	assert_non_null(csv);
	len = 0;
	for (i = 0; i < 100; i++)
		len += (size_t)sprintf(csv + len, "%skolom_%03zu", i ? "," : "", i);
	strcpy(csv + len, "\n");
	assert_int_equal(parse(csv, "id", &s, false, &err), SP_ECSV);
	assert_int_equal(err.line, 1);
	assert_true(strlen(err.msg) < sizeof(err.msg));
	snprintf(msg, sizeof(msg), "line 1: no column 'id' for the key; the "
	    "columns are: kolom_000, kolom_001, ");
	assert_memory_equal(err.msg, msg, strlen(msg));
	assert_string_equal(err.msg + strlen(err.msg) - 5, ", ...");

	/* At most SP_CSV_MAX_COLUMNS columns. */
	len = 0;
	for (i = 0; i < SP_CSV_MAX_COLUMNS + 1; i++)
		len += (size_t)sprintf(csv + len, "%sc%zu", i ? "," : "", i);
	strcpy(csv + len, "\n");
	assert_fails(csv, "c0", SP_ECSV, 1, "line 1: more than 256 columns");
	free(csv);
}

static void
test_skip_bad(void **state)
{
	struct seen s = { 0 };
	sp_csv_error err;

	(void)state;
	assert_int_equal(parse("id;n\n"
	    "h-1;1\n"
	    "h-2\n"
	    ";3\n"
	    "h-1;4\n"
	    "h-3;\xff\n"
	    "h-4;6\n", "id", &s, true, &err), 0);
	assert_int_equal(err.code, 0);
	assert_int_equal(s.rows, 2);
	assert_string_equal(s.key[0], "h-1");
	assert_body(&s, 0, "{\"id\":\"h-1\",\"n\":1}");  /* the first h-1 is kept */
	assert_string_equal(s.key[1], "h-4");
	assert_int_equal(s.line[1], 7);
	assert_int_equal(s.bad, 4);
	assert_int_equal(s.bad_err[0].line, 3);
	assert_int_equal(s.bad_err[0].code, SP_ECSV);
	assert_int_equal(s.bad_err[1].line, 4);
	assert_int_equal(s.bad_err[1].code, SP_EKEY);
	assert_int_equal(s.bad_err[2].line, 5);
	assert_int_equal(s.bad_err[2].code, SP_EDUPKEY);
	assert_string_equal(s.bad_err[2].msg,
	    "line 5: duplicate key 'h-1' (first on line 2)");
	assert_int_equal(s.bad_err[3].line, 6);
	assert_int_equal(s.bad_err[3].code, SP_EUTF8);
	seen_free(&s);

	/* A key first seen on a skipped row is not taken. */
	assert_int_equal(parse("id,n\nh-1\nh-1,2\n", "id", &s, true, &err), 0);
	assert_int_equal(s.rows, 1);
	assert_int_equal(s.line[0], 3);
	seen_free(&s);

	/* bad_cb can stop the import; its value is returned. */
	s.stop_bad_after = 1;
	assert_int_equal(parse("id,n\nh-1\nh-2\nh-3,1\n", "id", &s, true, &err), 98);
	assert_int_equal(s.bad, 1);
	assert_int_equal(s.rows, 0);
	assert_int_equal(err.line, 2);
	seen_free(&s);

	/* Header problems are not rows: they end parsing even when skipping. */
	assert_int_equal(parse("a,a\n", "a", &s, true, &err), SP_ECSV);
	assert_int_equal(s.bad, 0);
	seen_free(&s);
}

static void
test_row_cb_stops(void **state)
{
	struct seen s = { 0 };
	sp_csv_error err;

	(void)state;
	s.stop_row_after = 2;
	assert_int_equal(parse("id\na\nb\nc\n", "id", &s, false, &err), 99);
	assert_int_equal(s.rows, 2);
	seen_free(&s);
}

static void
test_validate_only(void **state)
{
	const char *good = "id,n\nh-1,1\nh-2,2\n";
	const char *bad = "id,n\nh-1,1\nh-1,2\n";
	sp_csv_error err;

	(void)state;
	assert_int_equal(sp_csv_parse((const uint8_t *)good, strlen(good), "id",
	    NULL, NULL, NULL, &err), 0);
	assert_int_equal(sp_csv_parse((const uint8_t *)bad, strlen(bad), "id",
	    NULL, NULL, NULL, &err), SP_EDUPKEY);
	assert_int_equal(err.line, 3);
}

static void
test_row_too_large(void **state)
{
	size_t big = SP_BODY_MAX, len;
	char *csv = malloc(2 * SP_BODY_MAX + 256);
	struct seen s = { 0 };
	sp_csv_error err;

	(void)state;
	assert_non_null(csv);
	/* One cell just over the limit; the next row is fine. */
	len = (size_t)sprintf(csv, "id,catatan\nh-1,");
	memset(csv + len, 'x', big);
	len += big;
	strcpy(csv + len, "\nh-2,ok\n");
	assert_fails(csv, "id", SP_EBODY_TOO_BIG, 2,
	    "line 2: row too large (a record body may hold 60 KiB)");
	assert_int_equal(parse(csv, "id", &s, true, &err), 0);
	assert_int_equal(s.bad, 1);
	assert_int_equal(s.rows, 1);
	assert_int_equal(s.line[0], 3);
	seen_free(&s);

	/* Cells that fit alone but not together in one body. */
	len = (size_t)sprintf(csv, "id,a,b\nh-1,");
	memset(csv + len, 'x', SP_BODY_MAX / 2);
	len += SP_BODY_MAX / 2;
	csv[len++] = ',';
	memset(csv + len, 'y', SP_BODY_MAX / 2);
	len += SP_BODY_MAX / 2;
	strcpy(csv + len, "\n");
	assert_fails(csv, "id", SP_EBODY_TOO_BIG, 2,
	    "line 2: row too large (a record body may hold 60 KiB)");

	/* Cells that fit, but not with the names and headers around them. */
	len = (size_t)sprintf(csv, "id,catatan\nh-1,");
	memset(csv + len, 'x', SP_BODY_MAX - 10);
	len += SP_BODY_MAX - 10;
	strcpy(csv + len, "\n");
	assert_fails(csv, "id", SP_EBODY_TOO_BIG, 2,
	    "line 2: row too large (a record body may hold 60 KiB)");

	/* A field too long for any body stops the import at once. */
	len = (size_t)sprintf(csv, "id,a\nh-1,");
	memset(csv + len, 'x', 2 * SP_BODY_MAX);
	len += 2 * SP_BODY_MAX;
	strcpy(csv + len, "\nh-2,ok\n");
	assert_int_equal(parse(csv, "id", &s, true, &err), SP_EBODY_TOO_BIG);
	assert_string_equal(err.msg, "line 2: a field larger than 60 KiB");
	assert_int_equal(s.rows, 0);
	seen_free(&s);

	/* A missing closing quote swallowing the file stops early. */
	len = (size_t)sprintf(csv, "id,a\nh-1,\"");
	for (; len < 2 * SP_BODY_MAX; len += 11)
		memcpy(csv + len, "h-x,isi\r\n..", 11);
	csv[len] = '\0';
	assert_fails(csv, "id", SP_EBODY_TOO_BIG, 2, "line 2: a field larger "
	    "than 60 KiB (is a closing quote missing?)");
	free(csv);
}

/* Counts rows of the large file and checks their lines. */
struct big {
	size_t rows;
	size_t stop_at;
};

static int
on_big_row(void *arg, size_t line, const char *key, size_t key_len,
    const uint8_t *body, size_t body_len)
{
	struct big *b = arg;
	char want[32];

	(void)body;
	(void)body_len;
	/* The header is line 1; row n (from 0) has key r<n> on line n + 2. */
	snprintf(want, sizeof(want), "r%zu", b->rows);
	assert_int_equal(line, b->rows + 2);
	assert_int_equal(key_len, strlen(want));
	assert_memory_equal(key, want, key_len);
	b->rows++;
	return b->rows == b->stop_at ? 7 : 0;
}

static void
test_large_file_streams(void **state)
{
	const size_t n = 200000;
	size_t cap = n * 64 + 64, len, i;
	char *csv = malloc(cap);
	struct big b = { 0 };
	sp_csv_error err;

	(void)state;
	assert_non_null(csv);
	len = (size_t)sprintf(csv, "id;kepala_keluarga;anggota;telepon\r\n");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(csv + len, cap - len,
		    "r%zu;Warga %zu;%zu;0812%08zu\r\n", i, i, i % 9, i);
	assert_int_equal(sp_csv_parse((uint8_t *)csv, len, "id", on_big_row,
	    NULL, &b, &err), 0);
	assert_int_equal(b.rows, n);

	/*
	 * Rows are handed over as they are read: the callback can stop the
	 * parse long before the end of the file.
	 */
	b.rows = 0;
	b.stop_at = 1000;
	assert_int_equal(sp_csv_parse((uint8_t *)csv, len, "id", on_big_row,
	    NULL, &b, &err), 7);
	assert_int_equal(b.rows, 1000);
	free(csv);
}

/* A demo spreadsheet export (contrib/demo/biru-rt02/households.csv: ';', BOM, CRLF) imports as expected. */
static void
test_demo_file(void **state)
{
	const char *src = getenv("SP_SRC");
	char path[4096];
	struct seen s = { 0 };
	sp_csv_error err;
	uint8_t *data;
	size_t len;
	FILE *f;

	(void)state;
	/* ctest sets SP_SRC; without it the files cannot be found: fail, do not skip. */
	assert_non_null(src);
	snprintf(path, sizeof(path), "%s/contrib/demo/biru-rt02/households.csv", src);
	assert_non_null(f = fopen(path, "rb"));
	assert_non_null(data = malloc(65536));
	len = fread(data, 1, 65536, f);
	assert_true(len > 0 && len < 65536);
	fclose(f);
	assert_int_equal(sp_csv_parse(data, len, "id", on_row, NULL, &s, &err), 0);
	assert_int_equal(s.rows, 30);
	assert_string_equal(s.key[0], "h-001");
	assert_int_equal(s.line[29], 31);
	assert_body(&s, 0, "{\"id\":\"h-001\",\"kepala_keluarga\":\"Sukri\","
	    "\"anggota\":6,\"rt\":\"002\",\"rw\":\"003\",\"alamat\":\"Lr. 3 No. 17\","
	    "\"telepon\":\"085300002861\"}");
	seen_free(&s);
	free(data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_comma),
		cmocka_unit_test(test_semicolon_bom_crlf),
		cmocka_unit_test(test_delimiter_detection),
		cmocka_unit_test(test_quoted_fields),
		cmocka_unit_test(test_integer_rule),
		cmocka_unit_test(test_bad_rows),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_skip_bad),
		cmocka_unit_test(test_row_cb_stops),
		cmocka_unit_test(test_validate_only),
		cmocka_unit_test(test_row_too_large),
		cmocka_unit_test(test_large_file_streams),
		cmocka_unit_test(test_demo_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
