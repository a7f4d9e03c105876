#include "report_format.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "base32.h"
#include "csv_import.h"
#include "sp_err.h"

#define FIG_TEXT 48
/* A position's label: a row label, " / ", a column label. */
#define LABEL_TEXT (2 * SP_DEF_VALUE_MAX + 4)
/* The ADX namespace of ISO/TS 22703 (IHE QRPH ADX, 2015). */
#define ADX_NS "urn:ihe:qrph:adx:2015"

int
sp_report_format_parse(const char *s, enum sp_report_format *out)
{
	static const char *const names[] = { "table", "csv", "json", "adx" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum sp_report_format)i;
			return 0;
		}
	}
	return SP_EINVAL;
}

void
sp_report_fig_text(char *out, size_t size, const sp_fig *f)
{
	/* A single hidden count, and nothing published beside it, is bracketed. */
	bool alone = f != NULL && f->suppressed == 1 && f->published == 0;

	if (f == NULL)
		snprintf(out, size, "-");
	else if (f->suppressed == 0)
		snprintf(out, size, "%" PRIu64, f->published);
	else if (f->unbounded)
		snprintf(out, size, alone ? "[>=%" PRIu64 "]" : ">=%" PRIu64, f->lo);
	else
		snprintf(out, size, alone ? "[%" PRIu64 "-%" PRIu64 "]" : "%" PRIu64 "-%" PRIu64,
		    f->lo, f->hi);
}

int
sp_report_adx_period(const char *period, char *out, size_t size)
{
	unsigned year, first, months;

	if (!sp_period_span(period, strlen(period), &year, &first, &months))
		return SP_EINVAL;
	snprintf(out, size, "%04u-%02u-01/P%s", year, first,
	    months == 12 ? "1Y" : months == 3 ? "3M" : "1M");
	return 0;
}

/* Characters on a terminal: UTF-8 sequences, one each (labels hold no control characters). */
static size_t
display_width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* The label of position (i, j): "anak", "anak / L", "total / L", "total". */
static void
position_label(char *out, size_t size, const sp_report *r, size_t i, size_t j)
{
	size_t rows = sp_report_rows(r), cols = sp_report_cols(r);
	const char *row = i < rows ? sp_report_row(r, i) : "total";

	if (cols == 0 || (i == rows && j == cols))
		snprintf(out, size, "%s", row);
	else
		snprintf(out, size, "%s / %s", row, j < cols ? sp_report_col(r, j) : "total");
}

static const char *
column_alias(const sp_report *r, size_t u)
{
	return u < sp_report_columns(r) ? sp_report_column_alias(r, u) : "total";
}

static void
pad(FILE *f, size_t n)
{
	while (n-- > 0)
		fputc(' ', f);
}

/* Text of s, left-aligned (right false) or right-aligned, in a field of width w. */
static void
cell(FILE *f, const char *s, size_t w, bool right)
{
	size_t dw = display_width(s);

	if (right)
		pad(f, w > dw ? w - dw : 0);
	fputs(s, f);
	if (!right)
		pad(f, w > dw ? w - dw : 0);
}

static int
write_table(FILE *f, const sp_report *r)
{
	char label[LABEL_TEXT], text[FIG_TEXT], id[SP_ID_STR_LEN + 1];
	size_t rows = sp_report_rows(r), w = sp_report_width(r), ncol = sp_report_columns(r);
	size_t label_w = 0, i, j, u, n;
	size_t *width;

	fprintf(f, "%s, period %s, by %s: %zu %s\n\n", sp_report_name(r), sp_report_period(r),
	    sp_report_by(r) == SP_REPORT_BY_HUB ? "hub" : "community", ncol,
	    sp_report_by(r) == SP_REPORT_BY_HUB ? (ncol == 1 ? "column" : "columns") :
	    (ncol == 1 ? "community" : "communities"));
	if ((width = calloc(ncol + 1, sizeof(*width))) == NULL)
		return SP_ENOMEM;
	for (i = 0; i <= rows; i++) {
		for (j = 0; j < w; j++) {
			position_label(label, sizeof(label), r, i, j);
			if (display_width(label) > label_w)
				label_w = display_width(label);
		}
	}
	for (u = 0; u <= ncol; u++) {
		width[u] = display_width(column_alias(r, u));
		for (i = 0; i <= rows; i++) {
			for (j = 0; j < w; j++) {
				sp_report_fig_text(text, sizeof(text), sp_report_fig(r, u, i, j));
				if (strlen(text) > width[u])
					width[u] = strlen(text);
			}
		}
	}
	cell(f, "", label_w, false);
	for (u = 0; u <= ncol; u++) {
		fputs("  ", f);
		cell(f, column_alias(r, u), width[u], true);
	}
	fputc('\n', f);
	for (i = 0; i <= rows; i++) {
		for (j = 0; j < w; j++) {
			position_label(label, sizeof(label), r, i, j);
			cell(f, label, label_w, false);
			for (u = 0; u <= ncol; u++) {
				sp_report_fig_text(text, sizeof(text), sp_report_fig(r, u, i, j));
				fputs("  ", f);
				cell(f, text, width[u], true);
			}
			fputc('\n', f);
		}
	}
	free(width);
	fputs("\n[a-b] a hidden count, from a to b; a-b a total with hidden counts, from a to b; "
	    ">=a at least a; - not in that table\n", f);
	for (u = 0; u < ncol; u++) {
		sp_base32_encode(id, sp_report_column_id(r, u), SP_PUBKEY_BYTES);
		fprintf(f, "%s %s: %s\n", sp_report_kind_name(sp_report_column_kind(r, u)),
		    sp_report_column_alias(r, u), id);
	}
	for (n = 0; n < sp_report_left_out(r); n++) {
		sp_base32_encode(id, sp_report_left_out_id(r, n), SP_PUBKEY_BYTES);
		fprintf(f, "left out: %s %s (%s): %s\n",
		    sp_report_kind_name(sp_report_left_out_kind(r, n)), sp_report_left_out_alias(r, n),
		    id, sp_report_left_out_why(r, n));
	}
	return 0;
}

static void
csv_text(FILE *f, const char *s)
{
	sp_csv_write_cell(f, s, strlen(s));
}

static void
write_csv(FILE *f, const sp_report *r)
{
	char id[SP_ID_STR_LEN + 1];
	size_t rows = sp_report_rows(r), cols = sp_report_cols(r), w = sp_report_width(r);
	size_t ncol = sp_report_columns(r), i, j, u;
	const sp_fig *fig;

	fputs("name,period,kind,id,column,row,col,value,published,suppressed,lo,hi\r\n", f);
	for (u = 0; u <= ncol; u++) {
		sp_base32_encode(id, u < ncol ? sp_report_column_id(r, u) : sp_report_hub(r),
		    SP_PUBKEY_BYTES);
		for (i = 0; i <= rows; i++) {
			for (j = 0; j < w; j++) {
				if ((fig = sp_report_fig(r, u, i, j)) == NULL)
					continue;
				fprintf(f, "%s,%s,%s,%s,", sp_report_name(r), sp_report_period(r),
				    u < ncol ? sp_report_kind_name(sp_report_column_kind(r, u)) :
				    "total", id);
				csv_text(f, column_alias(r, u));
				fputc(',', f);
				csv_text(f, i < rows ? sp_report_row(r, i) : "");
				fputc(',', f);
				csv_text(f, j < cols ? sp_report_col(r, j) : "");
				fputc(',', f);
				if (fig->suppressed == 0)
					fprintf(f, "%" PRIu64, fig->published);
				fprintf(f, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",", fig->published,
				    fig->suppressed, fig->lo);
				if (!fig->unbounded)
					fprintf(f, "%" PRIu64, fig->hi);
				fputs("\r\n", f);
			}
		}
	}
}

static json_t *
fig_json(const sp_fig *f)
{
	if (f == NULL)
		return json_null();
	return json_pack("{s:I, s:I, s:I, s:o}", "published", (json_int_t)f->published,
	    "suppressed", (json_int_t)f->suppressed, "lo", (json_int_t)f->lo,
	    "hi", f->unbounded ? json_null() : json_integer((json_int_t)f->hi));
}

/* A column's figures as rows of the report's positions. */
static json_t *
figs_json(const sp_report *r, size_t u)
{
	json_t *grid = json_array(), *row;
	size_t i, j;

	for (i = 0; i <= sp_report_rows(r); i++) {
		row = json_array();
		for (j = 0; j < sp_report_width(r); j++)
			json_array_append_new(row, fig_json(sp_report_fig(r, u, i, j)));
		json_array_append_new(grid, row);
	}
	return grid;
}

static json_t *
labels_json(const sp_report *r, bool cols)
{
	json_t *a = json_array();
	size_t i, n = cols ? sp_report_cols(r) : sp_report_rows(r);

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(cols ? sp_report_col(r, i) : sp_report_row(r, i)));
	return a;
}

static json_t *
identity_json(enum sp_report_kind kind, const uint8_t *id, const char *alias)
{
	char text[SP_ID_STR_LEN + 1];

	sp_base32_encode(text, id, SP_PUBKEY_BYTES);
	return json_pack("{s:s, s:s, s:s}", "kind", sp_report_kind_name(kind), "id", text,
	    "alias", alias);
}

static int
write_json(FILE *f, const sp_report *r)
{
	char hub[SP_ID_STR_LEN + 1];
	json_t *o, *columns, *left, *c;
	size_t u, n, ncol = sp_report_columns(r);
	int err;

	sp_base32_encode(hub, sp_report_hub(r), SP_PUBKEY_BYTES);
	columns = json_array();
	for (u = 0; u < ncol; u++) {
		c = identity_json(sp_report_column_kind(r, u), sp_report_column_id(r, u),
		    sp_report_column_alias(r, u));
		json_object_set_new(c, "k", json_integer(sp_report_column_k(r, u)));
		json_object_set_new(c, "figs", figs_json(r, u));
		json_array_append_new(columns, c);
	}
	left = json_array();
	for (n = 0; n < sp_report_left_out(r); n++) {
		c = identity_json(sp_report_left_out_kind(r, n), sp_report_left_out_id(r, n),
		    sp_report_left_out_alias(r, n));
		json_object_set_new(c, "why", json_string(sp_report_left_out_why(r, n)));
		json_array_append_new(left, c);
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:{s:o}, s:o}",
	    "name", sp_report_name(r), "period", sp_report_period(r),
	    "by", sp_report_by(r) == SP_REPORT_BY_HUB ? "hub" : "community", "hub", hub,
	    "rows", labels_json(r, false), "cols", labels_json(r, true), "columns", columns,
	    "total", "figs", figs_json(r, ncol), "left_out", left);
	if (o == NULL)
		return SP_ENOMEM;
	err = json_dumpf(o, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 ? 0 : SP_ENOMEM;
	fputc('\n', f);
	json_decref(o);
	return err;
}

/*
 * Text in an XML attribute value: the five markup characters as entities,
 * and U+FFFE and U+FFFF (UTF-8, but not characters XML admits) as U+FFFD.
 */
static void
xml_text(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p != '\0'; p++) {
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if (p[0] == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf)) {
				fputs("\xef\xbf\xbd", f);
				p += 2;
			} else {
				fputc(*p, f);
			}
		}
	}
}

/*
 * One group: the column's published figures as data values (ADX has no
 * mark for a hidden one: those are left out and counted in a comment).
 */
static void
write_adx_group(FILE *f, const sp_report *r, size_t u, const uint8_t *org_unit,
    const char *period)
{
	char id[SP_ID_STR_LEN + 1];
	size_t rows = sp_report_rows(r), cols = sp_report_cols(r), w = sp_report_width(r);
	size_t i, j, published = 0, hidden = 0;
	const sp_fig *fig;

	sp_base32_encode(id, org_unit, SP_PUBKEY_BYTES);
	for (i = 0; i <= rows; i++) {
		for (j = 0; j < w; j++) {
			if ((fig = sp_report_fig(r, u, i, j)) == NULL)
				continue;
			if (fig->suppressed == 0)
				published++;
			else
				hidden++;
		}
	}
	if (published == 0) {
		fprintf(f, "  <!-- orgUnit %s: every value hidden -->\n", id);
		return;
	}
	fprintf(f, "  <group dataSet=\"%s\" orgUnit=\"%s\" period=\"%s\">\n", sp_report_name(r), id,
	    period);
	if (hidden > 0)
		fprintf(f, "    <!-- %zu value%s left out: hidden counts, or totals that include "
		    "them -->\n", hidden, hidden == 1 ? "" : "s");
	for (i = 0; i <= rows; i++) {
		for (j = 0; j < w; j++) {
			if ((fig = sp_report_fig(r, u, i, j)) == NULL || fig->suppressed != 0)
				continue;
			fputs("    <dataValue dataElement=\"", f);
			/* The summary's name stands for every category: the total row. */
			xml_text(f, i < rows ? sp_report_row(r, i) : sp_report_name(r));
			if (j < cols) {
				fputs("\" col=\"", f);
				xml_text(f, sp_report_col(r, j));
			}
			fprintf(f, "\" value=\"%" PRIu64 "\"/>\n", fig->published);
		}
	}
	fputs("  </group>\n", f);
}

static int
write_adx(FILE *f, const sp_report *r, uint64_t exported_ms, char *detail, size_t detail_size)
{
	char period[16], when[32], hub[SP_ID_STR_LEN + 1];
	time_t t = (time_t)(exported_ms / 1000);
	size_t i, u, ncol = sp_report_columns(r);
	struct tm tm;

	for (i = 0; i < sp_report_rows(r); i++) {
		if (strcmp(sp_report_row(r, i), sp_report_name(r)) == 0) {
			if (detail != NULL)
				snprintf(detail, detail_size, "category '%s' has the summary's name, "
				    "which ADX uses for the total row", sp_report_row(r, i));
			return SP_EINVAL;
		}
	}
	if (sp_report_adx_period(sp_report_period(r), period, sizeof(period)) != 0)
		return SP_EINVAL;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	sp_base32_encode(hub, sp_report_hub(r), SP_PUBKEY_BYTES);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fprintf(f, "<adx xmlns=\"%s\" exported=\"%s\">\n", ADX_NS, when);
	fprintf(f, "  <!-- simpul report %s, period %s, by %s, at hub %s -->\n", sp_report_name(r),
	    sp_report_period(r), sp_report_by(r) == SP_REPORT_BY_HUB ? "hub" : "community", hub);
	for (u = 0; u < ncol; u++) {
		/* This hub's own communities are no unit of their own: they are in its total. */
		if (sp_report_column_kind(r, u) != SP_REPORT_OWN)
			write_adx_group(f, r, u, sp_report_column_id(r, u), period);
	}
	write_adx_group(f, r, ncol, sp_report_hub(r), period);
	fputs("</adx>\n", f);
	return 0;
}

int
sp_report_write(FILE *f, const sp_report *r, enum sp_report_format fmt, uint64_t exported_ms,
    char *detail, size_t detail_size)
{
	int err = 0;

	if (detail != NULL && detail_size > 0)
		detail[0] = '\0';
	switch (fmt) {
	case SP_REPORT_TABLE:
		err = write_table(f, r);
		break;
	case SP_REPORT_CSV:
		write_csv(f, r);
		break;
	case SP_REPORT_JSON:
		err = write_json(f, r);
		break;
	case SP_REPORT_ADX:
		err = write_adx(f, r, exported_ms, detail, detail_size);
		break;
	}
	if (err == 0 && (fflush(f) != 0 || ferror(f)))
		err = -(errno != 0 ? errno : EIO);
	return err;
}
