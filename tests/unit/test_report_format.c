/*
 * test_report_format.c - a report as text (cli/report_format.c): the
 * table, CSV, JSON and ADX of one- and two-way reports with hidden cells,
 * ranges and unbounded totals, exactly as docs/REPORTS.md describes them;
 * a hidden figure never shown as a number; what ADX cannot carry refused.
 */
#define _GNU_SOURCE 1   /* open_memstream */
#include "sp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aggregate.h"
#include "base32.h"
#include "report.h"
#include "report_format.h"
#include "sp_err.h"

/* 2026-12-03 16:20:00 UTC */
#define EXPORTED_MS 1796314800000ull

static const uint8_t hub[SP_PUBKEY_BYTES] = { 0 };

static const uint8_t *
id_of(int n)
{
	static uint8_t ids[8][SP_PUBKEY_BYTES];

	memset(ids[n], 0x10 * n, SP_PUBKEY_BYTES);
	return ids[n];
}

static void
add(sp_report *r, int n, const char *alias, const char *const *rows, size_t nrows,
    const char *const *cols, size_t ncols, const char *const *cells)
{
	sp_summary *s = sp_test_summary("pmks", sp_report_period(r), rows, nrows, cols, ncols,
	    cells);

	assert_int_equal(sp_report_add_summary(r, id_of(n), alias, s), 0);
	sp_summary_free(s);
}

/*
 * One way: all published; two hidden protecting each other; a table all
 * hidden (its total below k), with a category the others lack.
 */
static sp_report *
one_way(void)
{
	static const char *const rows_a[] = { "anak", "lansia" };
	static const char *const cells_a[] = { "6", "7", "13" };
	static const char *const rows_b[] = { "anak", "lansia", "other" };
	static const char *const cells_b[] = { "[1-10]", "[1-10]", "0", "11" };
	static const char *const rows_c[] = { "lansia", "disabilitas", "anak" };
	static const char *const cells_c[] = { "[>=1]", "0", "[>=1]", "[>=2]" };
	sp_report *r;

	assert_int_equal(sp_report_new("pmks", "2026-11", SP_REPORT_BY_COMMUNITY, hub, &r), 0);
	add(r, 1, "rt03", rows_a, 2, NULL, 0, cells_a);
	add(r, 2, "rt05", rows_b, 3, NULL, 0, cells_b);
	add(r, 3, "rt07", rows_c, 3, NULL, 0, cells_c);
	assert_int_equal(sp_report_finish(r), 0);
	return r;
}

/* Two ways: a bounded range in the total column, and a label CSV and XML must quote. */
static sp_report *
two_way(void)
{
	static const char *const rows_a[] = { "anak", "lansia" };
	static const char *const cols_a[] = { "L", "P" };
	static const char *const cells_a[] = {
		"6", "0", "6",
		"[1-9]", "[1-9]", "10",
		"[6-14]", "[1-9]", "16",
	};
	static const char *const rows_b[] = { "a,\"b\" <&>" };
	static const char *const cols_b[] = { "P" };
	static const char *const cells_b[] = { "5", "5", "5", "5" };
	sp_report *r;

	assert_int_equal(sp_report_new("pmks", "2026-Q4", SP_REPORT_BY_COMMUNITY, hub, &r), 0);
	add(r, 1, "rt03", rows_a, 2, cols_a, 2, cells_a);
	add(r, 2, "rt05", rows_b, 1, cols_b, 1, cells_b);
	assert_int_equal(sp_report_finish(r), 0);
	return r;
}

/* The report written in fmt, as a string (free); *err the result. */
static char *
write(const sp_report *r, enum sp_report_format fmt, int *err, char *detail, size_t size)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	assert_non_null(f = open_memstream(&text, &len));
	*err = sp_report_write(f, r, fmt, EXPORTED_MS, detail, size);
	fclose(f);
	return text;
}

static char *
written(const sp_report *r, enum sp_report_format fmt)
{
	char *text;
	int err;

	text = write(r, fmt, &err, NULL, 0);
	assert_int_equal(err, 0);
	return text;
}

static void
test_fig_text(void **state)
{
	sp_fig f = { 12, 0, 12, 12, false };
	char text[48];

	(void)state;
	sp_report_fig_text(text, sizeof(text), NULL);
	assert_string_equal(text, "-");
	sp_report_fig_text(text, sizeof(text), &f);
	assert_string_equal(text, "12");
	f = (sp_fig){ 0, 1, 1, 7, false };
	sp_report_fig_text(text, sizeof(text), &f);
	assert_string_equal(text, "[1-7]");
	f = (sp_fig){ 0, 1, 1, 0, true };
	sp_report_fig_text(text, sizeof(text), &f);
	assert_string_equal(text, "[>=1]");
	/* Published and hidden parts together: a total's range, not a cell's. */
	f = (sp_fig){ 12, 1, 13, 19, false };
	sp_report_fig_text(text, sizeof(text), &f);
	assert_string_equal(text, "13-19");
	f = (sp_fig){ 0, 2, 2, 20, false };
	sp_report_fig_text(text, sizeof(text), &f);
	assert_string_equal(text, "2-20");
	f = (sp_fig){ 12, 3, 15, 0, true };
	sp_report_fig_text(text, sizeof(text), &f);
	assert_string_equal(text, ">=15");
}

static void
test_adx_period(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(sp_report_adx_period("2026-11", out, sizeof(out)), 0);
	assert_string_equal(out, "2026-11-01/P1M");
	assert_int_equal(sp_report_adx_period("2026-01", out, sizeof(out)), 0);
	assert_string_equal(out, "2026-01-01/P1M");
	assert_int_equal(sp_report_adx_period("2026-Q4", out, sizeof(out)), 0);
	assert_string_equal(out, "2026-10-01/P3M");
	assert_int_equal(sp_report_adx_period("2026-Q1", out, sizeof(out)), 0);
	assert_string_equal(out, "2026-01-01/P3M");
	assert_int_equal(sp_report_adx_period("2026", out, sizeof(out)), 0);
	assert_string_equal(out, "2026-01-01/P1Y");
	assert_int_equal(sp_report_adx_period("2026-13", out, sizeof(out)), SP_EINVAL);
	assert_int_equal(sp_report_adx_period("2026-11-01", out, sizeof(out)), SP_EINVAL);
}

static void
test_format_parse(void **state)
{
	enum sp_report_format fmt;

	(void)state;
	assert_int_equal(sp_report_format_parse("table", &fmt), 0);
	assert_int_equal(fmt, SP_REPORT_TABLE);
	assert_int_equal(sp_report_format_parse("csv", &fmt), 0);
	assert_int_equal(fmt, SP_REPORT_CSV);
	assert_int_equal(sp_report_format_parse("json", &fmt), 0);
	assert_int_equal(fmt, SP_REPORT_JSON);
	assert_int_equal(sp_report_format_parse("adx", &fmt), 0);
	assert_int_equal(fmt, SP_REPORT_ADX);
	assert_int_equal(sp_report_format_parse("xml", &fmt), SP_EINVAL);
	assert_int_equal(sp_report_format_parse("CSV", &fmt), SP_EINVAL);
}

static const char table_one_way[] =
	"pmks, period 2026-11, by community: 3 communities\n"
	"\n"
	"             rt03    rt05   rt07  total\n"
	"anak            6  [1-10]  [>=1]    >=8\n"
	"lansia          7  [1-10]  [>=1]    >=9\n"
	"other           -       0      -      0\n"
	"disabilitas     -       -      0      0\n"
	"total          13      11  [>=2]   >=26\n"
	"\n"
	"[a-b] a hidden count, from a to b; a-b a total with hidden counts, from a to b; >=a at least a; - not in that table\n"
	"community rt03: caibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaia\n"
	"community rt05: eaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqa\n"
	"community rt07: gaydambqgaydambqgaydambqgaydambqgaydambqgaydambqgaya\n";

static const char table_two_way[] =
	"pmks, period 2026-Q4, by community: 2 communities\n"
	"\n"
	"                     rt03  rt05   total\n"
	"anak / L                6     -       6\n"
	"anak / P                0     -       0\n"
	"anak / total            6     -       6\n"
	"lansia / L          [1-9]     -   [1-9]\n"
	"lansia / P          [1-9]     -   [1-9]\n"
	"lansia / total         10     -      10\n"
	"a,\"b\" <&> / L           -     -       -\n"
	"a,\"b\" <&> / P           -     5       5\n"
	"a,\"b\" <&> / total       -     5       5\n"
	"total / L          [6-14]     -  [6-14]\n"
	"total / P           [1-9]     5    6-14\n"
	"total                  16     5      21\n"
	"\n"
	"[a-b] a hidden count, from a to b; a-b a total with hidden counts, from a to b; >=a at least a; - not in that table\n"
	"community rt03: caibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaia\n"
	"community rt05: eaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqa\n";

static const char csv_one_way[] =
	"name,period,kind,id,column,row,col,value,published,suppressed,lo,hi\r\n"
	"pmks,2026-11,community,caibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaia,rt03,anak,,6,6,0,6,6\r\n"
	"pmks,2026-11,community,caibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaia,rt03,lansia,,7,7,0,7,7\r\n"
	"pmks,2026-11,community,caibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaia,rt03,,,13,13,0,13,13\r\n"
	"pmks,2026-11,community,eaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqa,rt05,anak,,,0,1,1,10\r\n"
	"pmks,2026-11,community,eaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqa,rt05,lansia,,,0,1,1,10\r\n"
	"pmks,2026-11,community,eaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqa,rt05,other,,0,0,0,0,0\r\n"
	"pmks,2026-11,community,eaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqa,rt05,,,11,11,0,11,11\r\n"
	"pmks,2026-11,community,gaydambqgaydambqgaydambqgaydambqgaydambqgaydambqgaya,rt07,anak,,,0,1,1,\r\n"
	"pmks,2026-11,community,gaydambqgaydambqgaydambqgaydambqgaydambqgaydambqgaya,rt07,lansia,,,0,1,1,\r\n"
	"pmks,2026-11,community,gaydambqgaydambqgaydambqgaydambqgaydambqgaydambqgaya,rt07,disabilitas,,0,0,0,0,0\r\n"
	"pmks,2026-11,community,gaydambqgaydambqgaydambqgaydambqgaydambqgaydambqgaya,rt07,,,,0,1,2,\r\n"
	"pmks,2026-11,total,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,total,anak,,,6,2,8,\r\n"
	"pmks,2026-11,total,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,total,lansia,,,7,2,9,\r\n"
	"pmks,2026-11,total,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,total,other,,0,0,0,0,0\r\n"
	"pmks,2026-11,total,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,total,disabilitas,,0,0,0,0,0\r\n"
	"pmks,2026-11,total,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,total,,,,24,1,26,\r\n";

static const char csv_two_way[] =
	"name,period,kind,id,column,row,col,value,published,suppressed,lo,hi\r\n"
	"pmks,2026-Q4,community,caibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaia,rt03,anak,L,6,6,0,6,6\r\n"
	"pmks,2026-Q4,community,caibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaia,rt03,anak,P,0,0,0,0,0\r\n"
	"pmks,2026-Q4,community,caibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaia,rt03,anak,,6,6,0,6,6\r\n"
	"pmks,2026-Q4,community,caibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaia,rt03,lansia,L,,0,1,1,9\r\n"
	"pmks,2026-Q4,community,caibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaia,rt03,lansia,P,,0,1,1,9\r\n"
	"pmks,2026-Q4,community,caibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaia,rt03,lansia,,10,10,0,10,10\r\n"
	"pmks,2026-Q4,community,caibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaia,rt03,,L,,0,1,6,14\r\n"
	"pmks,2026-Q4,community,caibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaia,rt03,,P,,0,1,1,9\r\n"
	"pmks,2026-Q4,community,caibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaia,rt03,,,16,16,0,16,16\r\n"
	"pmks,2026-Q4,community,eaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqa,rt05,\"a,\"\"b\"\" <&>\",P,5,5,0,5,5\r\n"
	"pmks,2026-Q4,community,eaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqa,rt05,\"a,\"\"b\"\" <&>\",,5,5,0,5,5\r\n"
	"pmks,2026-Q4,community,eaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqa,rt05,,P,5,5,0,5,5\r\n"
	"pmks,2026-Q4,community,eaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqa,rt05,,,5,5,0,5,5\r\n"
	"pmks,2026-Q4,total,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,total,anak,L,6,6,0,6,6\r\n"
	"pmks,2026-Q4,total,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,total,anak,P,0,0,0,0,0\r\n"
	"pmks,2026-Q4,total,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,total,anak,,6,6,0,6,6\r\n"
	"pmks,2026-Q4,total,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,total,lansia,L,,0,1,1,9\r\n"
	"pmks,2026-Q4,total,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,total,lansia,P,,0,1,1,9\r\n"
	"pmks,2026-Q4,total,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,total,lansia,,10,10,0,10,10\r\n"
	"pmks,2026-Q4,total,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,total,\"a,\"\"b\"\" <&>\",P,5,5,0,5,5\r\n"
	"pmks,2026-Q4,total,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,total,\"a,\"\"b\"\" <&>\",,5,5,0,5,5\r\n"
	"pmks,2026-Q4,total,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,total,,L,,0,1,6,14\r\n"
	"pmks,2026-Q4,total,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,total,,P,,5,1,6,14\r\n"
	"pmks,2026-Q4,total,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,total,,,21,21,0,21,21\r\n";

static const char adx_one_way[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<adx xmlns=\"urn:ihe:qrph:adx:2015\" exported=\"2026-12-03T16:20:00Z\">\n"
	"  <!-- simpul report pmks, period 2026-11, by community, at hub aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa -->\n"
	"  <group dataSet=\"pmks\" orgUnit=\"caibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaia\" period=\"2026-11-01/P1M\">\n"
	"    <dataValue dataElement=\"anak\" value=\"6\"/>\n"
	"    <dataValue dataElement=\"lansia\" value=\"7\"/>\n"
	"    <dataValue dataElement=\"pmks\" value=\"13\"/>\n"
	"  </group>\n"
	"  <group dataSet=\"pmks\" orgUnit=\"eaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqa\" period=\"2026-11-01/P1M\">\n"
	"    <!-- 2 values left out: hidden counts, or totals that include them -->\n"
	"    <dataValue dataElement=\"other\" value=\"0\"/>\n"
	"    <dataValue dataElement=\"pmks\" value=\"11\"/>\n"
	"  </group>\n"
	"  <group dataSet=\"pmks\" orgUnit=\"gaydambqgaydambqgaydambqgaydambqgaydambqgaydambqgaya\" period=\"2026-11-01/P1M\">\n"
	"    <!-- 3 values left out: hidden counts, or totals that include them -->\n"
	"    <dataValue dataElement=\"disabilitas\" value=\"0\"/>\n"
	"  </group>\n"
	"  <group dataSet=\"pmks\" orgUnit=\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" period=\"2026-11-01/P1M\">\n"
	"    <!-- 3 values left out: hidden counts, or totals that include them -->\n"
	"    <dataValue dataElement=\"other\" value=\"0\"/>\n"
	"    <dataValue dataElement=\"disabilitas\" value=\"0\"/>\n"
	"  </group>\n"
	"</adx>\n";

static const char adx_two_way[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<adx xmlns=\"urn:ihe:qrph:adx:2015\" exported=\"2026-12-03T16:20:00Z\">\n"
	"  <!-- simpul report pmks, period 2026-Q4, by community, at hub aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa -->\n"
	"  <group dataSet=\"pmks\" orgUnit=\"caibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaia\" period=\"2026-10-01/P3M\">\n"
	"    <!-- 4 values left out: hidden counts, or totals that include them -->\n"
	"    <dataValue dataElement=\"anak\" col=\"L\" value=\"6\"/>\n"
	"    <dataValue dataElement=\"anak\" col=\"P\" value=\"0\"/>\n"
	"    <dataValue dataElement=\"anak\" value=\"6\"/>\n"
	"    <dataValue dataElement=\"lansia\" value=\"10\"/>\n"
	"    <dataValue dataElement=\"pmks\" value=\"16\"/>\n"
	"  </group>\n"
	"  <group dataSet=\"pmks\" orgUnit=\"eaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqa\" period=\"2026-10-01/P3M\">\n"
	"    <dataValue dataElement=\"a,&quot;b&quot; &lt;&amp;&gt;\" col=\"P\" value=\"5\"/>\n"
	"    <dataValue dataElement=\"a,&quot;b&quot; &lt;&amp;&gt;\" value=\"5\"/>\n"
	"    <dataValue dataElement=\"pmks\" col=\"P\" value=\"5\"/>\n"
	"    <dataValue dataElement=\"pmks\" value=\"5\"/>\n"
	"  </group>\n"
	"  <group dataSet=\"pmks\" orgUnit=\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" period=\"2026-10-01/P3M\">\n"
	"    <!-- 4 values left out: hidden counts, or totals that include them -->\n"
	"    <dataValue dataElement=\"anak\" col=\"L\" value=\"6\"/>\n"
	"    <dataValue dataElement=\"anak\" col=\"P\" value=\"0\"/>\n"
	"    <dataValue dataElement=\"anak\" value=\"6\"/>\n"
	"    <dataValue dataElement=\"lansia\" value=\"10\"/>\n"
	"    <dataValue dataElement=\"a,&quot;b&quot; &lt;&amp;&gt;\" col=\"P\" value=\"5\"/>\n"
	"    <dataValue dataElement=\"a,&quot;b&quot; &lt;&amp;&gt;\" value=\"5\"/>\n"
	"    <dataValue dataElement=\"pmks\" value=\"21\"/>\n"
	"  </group>\n"
	"</adx>\n";

/* Writes r in fmt and compares it with want. */
static void
assert_written(const sp_report *r, enum sp_report_format fmt, const char *want)
{
	char *text = written(r, fmt);

	assert_string_equal(text, want);
	free(text);
}

static void
test_table(void **state)
{
	sp_report *r = one_way(), *t = two_way();

	(void)state;
	assert_written(r, SP_REPORT_TABLE, table_one_way);
	assert_written(t, SP_REPORT_TABLE, table_two_way);
	sp_report_free(r);
	sp_report_free(t);
}

static void
test_csv(void **state)
{
	sp_report *r = one_way(), *t = two_way();

	(void)state;
	assert_written(r, SP_REPORT_CSV, csv_one_way);
	assert_written(t, SP_REPORT_CSV, csv_two_way);
	sp_report_free(r);
	sp_report_free(t);
}

/* A fig object's parts, hi -1 for null. */
static void
assert_json_fig(json_t *f, json_int_t published, json_int_t suppressed, json_int_t lo,
    json_int_t hi)
{
	assert_true(json_is_object(f));
	assert_int_equal(json_integer_value(json_object_get(f, "published")), published);
	assert_int_equal(json_integer_value(json_object_get(f, "suppressed")), suppressed);
	assert_int_equal(json_integer_value(json_object_get(f, "lo")), lo);
	if (hi < 0)
		assert_true(json_is_null(json_object_get(f, "hi")));
	else
		assert_int_equal(json_integer_value(json_object_get(f, "hi")), hi);
}

static void
test_json(void **state)
{
	sp_report *r = one_way(), *t = two_way();
	json_t *o, *c, *figs;
	json_error_t e;
	char *text;

	(void)state;
	text = written(r, SP_REPORT_JSON);
	assert_non_null(o = json_loads(text, 0, &e));
	assert_string_equal(json_string_value(json_object_get(o, "name")), "pmks");
	assert_string_equal(json_string_value(json_object_get(o, "period")), "2026-11");
	assert_string_equal(json_string_value(json_object_get(o, "by")), "community");
	assert_string_equal(json_string_value(json_object_get(o, "hub")),
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_int_equal(json_array_size(json_object_get(o, "rows")), 4);
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "rows"), 3)),
	    "disabilitas");
	assert_int_equal(json_array_size(json_object_get(o, "cols")), 0);
	assert_int_equal(json_array_size(json_object_get(o, "columns")), 3);
	c = json_array_get(json_object_get(o, "columns"), 1);
	assert_string_equal(json_string_value(json_object_get(c, "kind")), "community");
	assert_string_equal(json_string_value(json_object_get(c, "alias")), "rt05");
	assert_string_equal(json_string_value(json_object_get(c, "id")),
	    "eaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqa");
	assert_int_equal(json_integer_value(json_object_get(c, "k")), 5);
	figs = json_object_get(c, "figs");
	/* rows + 1 arrays of width figs; a hidden count is its range, never a number. */
	assert_int_equal(json_array_size(figs), 5);
	assert_int_equal(json_array_size(json_array_get(figs, 0)), 1);
	assert_json_fig(json_array_get(json_array_get(figs, 0), 0), 0, 1, 1, 10);
	assert_true(json_is_null(json_array_get(json_array_get(figs, 3), 0)));
	assert_json_fig(json_array_get(json_array_get(figs, 4), 0), 11, 0, 11, 11);
	figs = json_object_get(json_object_get(o, "total"), "figs");
	assert_json_fig(json_array_get(json_array_get(figs, 0), 0), 6, 2, 8, -1);
	assert_json_fig(json_array_get(json_array_get(figs, 4), 0), 24, 1, 26, -1);
	assert_int_equal(json_array_size(json_object_get(o, "left_out")), 0);
	json_decref(o);
	free(text);

	text = written(t, SP_REPORT_JSON);
	assert_non_null(o = json_loads(text, 0, &e));
	assert_int_equal(json_array_size(json_object_get(o, "cols")), 2);
	figs = json_object_get(json_object_get(o, "total"), "figs");
	/* Two ways: width 3, the row total last; the total row last. */
	assert_int_equal(json_array_size(json_array_get(figs, 0)), 3);
	assert_json_fig(json_array_get(json_array_get(figs, 3), 1), 5, 1, 6, 14);
	assert_true(json_is_null(json_array_get(json_array_get(figs, 2), 0)));
	assert_json_fig(json_array_get(json_array_get(figs, 3), 2), 21, 0, 21, 21);
	json_decref(o);
	free(text);
	sp_report_free(r);
	sp_report_free(t);
}

static void
test_adx(void **state)
{
	static const char *const rows[] = { "pmks" };
	static const char *const cells[] = { "6", "6" };
	sp_report *r = one_way(), *t = two_way();
	char detail[128], *text;
	int err;

	(void)state;
	assert_written(r, SP_REPORT_ADX, adx_one_way);
	assert_written(t, SP_REPORT_ADX, adx_two_way);
	sp_report_free(r);
	sp_report_free(t);
	/* A category with the summary's name would be taken for the total: refused. */
	assert_int_equal(sp_report_new("pmks", "2026", SP_REPORT_BY_COMMUNITY, hub, &r), 0);
	add(r, 1, "rt03", rows, 1, NULL, 0, cells);
	assert_int_equal(sp_report_finish(r), 0);
	text = write(r, SP_REPORT_ADX, &err, detail, sizeof(detail));
	assert_int_equal(err, SP_EINVAL);
	assert_string_equal(detail, "category 'pmks' has the summary's name, which ADX uses for "
	    "the total row");
	free(text);
	/* The table is fine with it. */
	text = written(r, SP_REPORT_TABLE);
	assert_non_null(strstr(text, "\npmks      6      6\n"));
	free(text);
	sp_report_free(r);
}

/* A hub's report: its own communities are in its total, not a unit of their own. */
static void
test_adx_by_hub(void **state)
{
	static const char *const rows[] = { "anak" };
	static const char *const cells[] = { "[1-10]", "6" };
	sp_aggregate_builder *b;
	sp_aggregate *a;
	sp_report *r;
	char *text;

	(void)state;
	assert_int_equal(sp_aggregate_start("pmks", "2026", id_of(5), &b), 0);
	assert_int_equal(sp_aggregate_add_summary(b, id_of(6),
	    sp_test_summary("pmks", "2026", rows, 1, NULL, 0, cells)), 0);
	assert_int_equal(sp_aggregate_finish(b, NULL, NULL, &a), 0);
	sp_aggregate_builder_free(b);
	assert_int_equal(sp_report_new("pmks", "2026", SP_REPORT_BY_HUB, hub, &r), 0);
	assert_int_equal(sp_report_add_aggregate(r, SP_REPORT_HUB, id_of(5), "biru", a), 0);
	assert_int_equal(sp_report_add_aggregate(r, SP_REPORT_OWN, hub, "own", a), 0);
	assert_int_equal(sp_report_finish(r), 0);
	text = written(r, SP_REPORT_ADX);
	assert_string_equal(text,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<adx xmlns=\"urn:ihe:qrph:adx:2015\" exported=\"2026-12-03T16:20:00Z\">\n"
	    "  <!-- simpul report pmks, period 2026, by hub, at hub "
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa -->\n"
	    "  <group dataSet=\"pmks\" orgUnit=\"kbifaucqkbifaucqkbifaucqkbifaucqkbifaucqkbifaucqkbia\" "
	    "period=\"2026-01-01/P1Y\">\n"
	    "    <!-- 1 value left out: hidden counts, or totals that include them -->\n"
	    "    <dataValue dataElement=\"pmks\" value=\"6\"/>\n"
	    "  </group>\n"
	    "  <group dataSet=\"pmks\" orgUnit=\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" "
	    "period=\"2026-01-01/P1Y\">\n"
	    "    <!-- 1 value left out: hidden counts, or totals that include them -->\n"
	    "    <dataValue dataElement=\"pmks\" value=\"12\"/>\n"
	    "  </group>\n"
	    "</adx>\n");
	free(text);
	sp_report_free(r);
	sp_aggregate_free(a);
}

/* Every value of a column hidden: no group (ADX wants a value in each), a comment instead. */
static void
test_adx_all_hidden(void **state)
{
	static const char *const rows[] = { "anak" };
	static const char *const cells[] = { "[>=1]", "[>=1]" };
	sp_report *r;
	char *text;

	(void)state;
	assert_int_equal(sp_report_new("pmks", "2026-11", SP_REPORT_BY_COMMUNITY, hub, &r), 0);
	add(r, 1, "rt03", rows, 1, NULL, 0, cells);
	assert_int_equal(sp_report_finish(r), 0);
	text = written(r, SP_REPORT_ADX);
	assert_null(strstr(text, "<group"));
	assert_non_null(strstr(text, "  <!-- orgUnit caibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaibaeaqcaia: "
	    "every value hidden -->\n  <!-- orgUnit aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: "
	    "every value hidden -->\n</adx>\n"));
	free(text);
	sp_report_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fig_text),
		cmocka_unit_test(test_adx_period),
		cmocka_unit_test(test_format_parse),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_adx),
		cmocka_unit_test(test_adx_by_hub),
		cmocka_unit_test(test_adx_all_hidden),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
