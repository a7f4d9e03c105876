#include "definition.h"

#include <string.h>
#include <time.h>

#include "pack.h"
#include "reader.h"
#include "sp_err.h"

static const char *const period_names[] = {
	[SP_PERIOD_MONTH] = "month", [SP_PERIOD_QUARTER] = "quarter", [SP_PERIOD_YEAR] = "year",
};

const char *
sp_period_name(enum sp_period p)
{
	return (unsigned)p <= SP_PERIOD_YEAR ? period_names[p] : "?";
}

int
sp_period_parse(const char *s, enum sp_period *out)
{
	unsigned p;

	for (p = 0; p <= SP_PERIOD_YEAR; p++) {
		if (strcmp(s, period_names[p]) == 0) {
			*out = (enum sp_period)p;
			return 0;
		}
	}
	return SP_EINVAL;
}

void
sp_period_format(enum sp_period p, uint64_t ms, char out[8])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	unsigned year, month;

	gmtime_r(&t, &tm);
	year = (unsigned)(tm.tm_year + 1900) % 10000;
	month = (unsigned)tm.tm_mon + 1;
	out[0] = (char)('0' + year / 1000);
	out[1] = (char)('0' + year / 100 % 10);
	out[2] = (char)('0' + year / 10 % 10);
	out[3] = (char)('0' + year % 10);
	out[4] = '\0';
	if (p == SP_PERIOD_YEAR)
		return;
	out[4] = '-';
	if (p == SP_PERIOD_MONTH) {
		out[5] = (char)('0' + month / 10);
		out[6] = (char)('0' + month % 10);
	} else {
		out[5] = 'Q';
		out[6] = (char)('0' + (month + 2) / 3);
	}
	out[7] = '\0';
}

bool
sp_def_text_ok(const char *s, size_t max)
{
	size_t len = strlen(s);

	return len >= 1 && len <= max && sp_key_check(s, len) == 0;
}

/* Distinct strings (n small: pairs compared). */
static bool
distinct(const char *v, size_t stride, size_t n)
{
	const char *a, *b;
	size_t i, j;

	for (i = 0; i < n; i++) {
		a = v + i * stride;
		for (j = i + 1; j < n; j++) {
			b = v + j * stride;
			if (strcmp(a, b) == 0)
				return false;
		}
	}
	return true;
}

int
sp_definition_check(const sp_definition *d)
{
	size_t i;

	if (sp_collection_check(d->from, strlen(d->from), false) != 0)
		return SP_EDEFINITION;
	if (d->nby < 1 || d->nby > SP_DEF_MAX_BY || d->ncategories > SP_DEF_MAX_CATEGORIES ||
	    d->nsums > SP_DEF_MAX_SUMS || d->nwhere > SP_DEF_MAX_WHERE ||
	    d->k < SP_DEF_K_MIN || d->k > SP_DEF_K_MAX || (unsigned)d->period > SP_PERIOD_YEAR)
		return SP_EDEFINITION;
	for (i = 0; i < d->nby; i++)
		if (!sp_def_text_ok(d->by[i], SP_DEF_FIELD_MAX))
			return SP_EDEFINITION;
	if (d->nby == 2 && strcmp(d->by[0], d->by[1]) == 0)
		return SP_EDEFINITION;
	for (i = 0; i < d->ncategories; i++)
		if (!sp_def_text_ok(d->categories[i], SP_DEF_VALUE_MAX) ||
		    strcmp(d->categories[i], SP_DEF_OTHER) == 0)
			return SP_EDEFINITION;
	if (!distinct(d->categories[0], sizeof(d->categories[0]), d->ncategories))
		return SP_EDEFINITION;
	/* Sums in bytewise order, as a summary's map of them has its keys. */
	for (i = 0; i < d->nsums; i++)
		if (!sp_def_text_ok(d->sums[i], SP_DEF_FIELD_MAX) ||
		    (i > 0 && strcmp(d->sums[i - 1], d->sums[i]) >= 0))
			return SP_EDEFINITION;
	for (i = 0; i < d->nwhere; i++) {
		if (!sp_def_text_ok(d->where[i].field, SP_DEF_FIELD_MAX) ||
		    !sp_def_text_ok(d->where[i].value, SP_DEF_VALUE_MAX))
			return SP_EDEFINITION;
		if (i > 0 && sp_key_cmp(d->where[i - 1].field, strlen(d->where[i - 1].field),
		    d->where[i].field, strlen(d->where[i].field)) >= 0)
			return SP_EDEFINITION;
	}
	return 0;
}

/* An array of at most max strings of at most len bytes each, into v (stride bytes apart). */
static bool
read_texts(sp_reader *r, char *v, size_t stride, size_t max, size_t len, size_t *n)
{
	uint32_t count, i;

	if (sp_read_array(r, &count) != 0 || count > max)
		return false;
	for (i = 0; i < count; i++)
		if (!sp_read_text(r, v + i * stride, len))
			return false;
	*n = count;
	return true;
}

static int
read_definition(sp_reader *r, sp_definition *d)
{
	uint64_t k;
	uint32_t n, i;
	char period[8];

	if (sp_read_map(r, &n) != 0 || n != 7 || !sp_read_name(r, "by") ||
	    !read_texts(r, d->by[0], sizeof(d->by[0]), SP_DEF_MAX_BY, SP_DEF_FIELD_MAX, &d->nby) ||
	    !sp_read_name(r, "categories") ||
	    !read_texts(r, d->categories[0], sizeof(d->categories[0]), SP_DEF_MAX_CATEGORIES,
	    SP_DEF_VALUE_MAX, &d->ncategories) ||
	    !sp_read_name(r, "from") || !sp_read_text(r, d->from, SP_COLLECTION_MAX) ||
	    !sp_read_name(r, "k") || sp_read_uint(r, &k) != 0 || k > SP_DEF_K_MAX ||
	    !sp_read_name(r, "period") || !sp_read_text(r, period, sizeof(period) - 1))
		return SP_EDEFINITION;
	d->k = (unsigned)k;
	if (sp_period_parse(period, &d->period) != 0 || !sp_read_name(r, "sums") ||
	    !read_texts(r, d->sums[0], sizeof(d->sums[0]), SP_DEF_MAX_SUMS, SP_DEF_FIELD_MAX,
	    &d->nsums) ||
	    !sp_read_name(r, "where") || sp_read_map(r, &n) != 0 || n > SP_DEF_MAX_WHERE)
		return SP_EDEFINITION;
	for (i = 0; i < n; i++)
		if (!sp_read_text(r, d->where[i].field, SP_DEF_FIELD_MAX) ||
		    !sp_read_text(r, d->where[i].value, SP_DEF_VALUE_MAX))
			return SP_EDEFINITION;
	d->nwhere = n;
	if (sp_reader_end(r) != 0)
		return SP_EDEFINITION;
	return sp_definition_check(d);
}

int
sp_definition_decode(const uint8_t *body, size_t len, sp_definition *out)
{
	sp_reader r;
	int rc;

	memset(out, 0, sizeof(*out));
	sp_reader_init(&r, body, len);
	if ((rc = read_definition(&r, out)) != 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

static void
pack_texts(sp_buf *out, const char *v, size_t stride, size_t n)
{
	size_t i;

	sp_pack_array(out, (uint32_t)n);
	for (i = 0; i < n; i++)
		sp_pack_cstr(out, v + i * stride);
}

int
sp_definition_encode(const sp_definition *d, sp_buf *out)
{
	size_t i;

	if (sp_definition_check(d) != 0)
		return SP_EDEFINITION;
	sp_pack_map(out, 7);
	sp_pack_cstr(out, "by");
	pack_texts(out, d->by[0], sizeof(d->by[0]), d->nby);
	sp_pack_cstr(out, "categories");
	pack_texts(out, d->categories[0], sizeof(d->categories[0]), d->ncategories);
	sp_pack_cstr(out, "from");
	sp_pack_cstr(out, d->from);
	sp_pack_cstr(out, "k");
	sp_pack_uint(out, d->k);
	sp_pack_cstr(out, "period");
	sp_pack_cstr(out, sp_period_name(d->period));
	sp_pack_cstr(out, "sums");
	pack_texts(out, d->sums[0], sizeof(d->sums[0]), d->nsums);
	sp_pack_cstr(out, "where");
	sp_pack_map(out, (uint32_t)d->nwhere);
	for (i = 0; i < d->nwhere; i++) {
		sp_pack_cstr(out, d->where[i].field);
		sp_pack_cstr(out, d->where[i].value);
	}
	return out->err;
}

/* Consents. */

static bool
read_bin32(sp_reader *r, uint8_t out[32])
{
	const uint8_t *p;
	size_t len;

	if (sp_read_bin(r, &p, &len) != 0 || len != 32)
		return false;
	memcpy(out, p, 32);
	return true;
}

int
sp_consent_decode(const uint8_t *body, size_t len, sp_consent *out)
{
	sp_reader r;
	uint32_t n;

	memset(out, 0, sizeof(*out));
	sp_reader_init(&r, body, len);
	if (sp_read_map(&r, &n) != 0 || n != 4 ||
	    !sp_read_name(&r, "definition") || !read_bin32(&r, out->definition) ||
	    !sp_read_name(&r, "hub") || !read_bin32(&r, out->hub) ||
	    !sp_read_name(&r, "name") || !sp_read_text(&r, out->name, SP_SUMMARY_NAME_MAX) ||
	    sp_alias_check(out->name, strlen(out->name)) != 0 ||
	    !sp_read_name(&r, "until") || sp_read_uint(&r, &out->until_ms) != 0 ||
	    sp_reader_end(&r) != 0) {
		memset(out, 0, sizeof(*out));
		return SP_ECONSENT;
	}
	return 0;
}

int
sp_consent_encode(const sp_consent *c, sp_buf *out)
{
	if (sp_alias_check(c->name, strlen(c->name)) != 0)
		return SP_ECONSENT;
	sp_pack_map(out, 4);
	sp_pack_cstr(out, "definition");
	sp_pack_bin(out, c->definition, SP_ID_BYTES);
	sp_pack_cstr(out, "hub");
	sp_pack_bin(out, c->hub, SP_PUBKEY_BYTES);
	sp_pack_cstr(out, "name");
	sp_pack_cstr(out, c->name);
	sp_pack_cstr(out, "until");
	sp_pack_uint(out, c->until_ms);
	return out->err;
}
