/* simpul summary define | ls | rm | consent | withdraw (docs/HUBS.md) */
#define _GNU_SOURCE 1   /* strptime, timegm */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base32.h"
#include "cli.h"
#include "definition.h"
#include "i18n.h"
#include "json_body.h"
#include "pack.h"
#include "reader.h"
#include "sp_err.h"
#include "summary.h"

/* A categories file: one category a line (the ministry's PMKS list is 26). */
/* Consents listed per definition, at most (one per hub). */
#define CONSENTS_MAX 1024
#define CATEGORIES_FILE_MAX (64 * 1024)

/* Copies s (len bytes) into out (max + 1 bytes): false when it does not fit or is empty. */
static bool
copy_text(char *out, size_t max, const char *s, size_t len)
{
	if (len == 0 || len > max)
		return false;
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

/* --count-by FIELD[,FIELD2] */
static int
parse_count_by(sp_cli *cli, sp_definition *d)
{
	const char *comma = strchr(cli->count_by, ',');
	size_t len0 = comma != NULL ? (size_t)(comma - cli->count_by) : strlen(cli->count_by);

	if (!copy_text(d->by[0], SP_DEF_FIELD_MAX, cli->count_by, len0) ||
	    (comma != NULL && (strchr(comma + 1, ',') != NULL ||
	    !copy_text(d->by[1], SP_DEF_FIELD_MAX, comma + 1, strlen(comma + 1)))))
		return sp_cli_usage(cli, _("--count-by takes one or two field names, FIELD or "
		    "FIELD,FIELD2, each 1-%d bytes"), SP_DEF_FIELD_MAX);
	d->nby = comma != NULL ? 2 : 1;
	return 0;
}

/* --categories FILE: one category a line; blank lines are skipped. */
static int
read_categories(sp_cli *cli, sp_definition *d)
{
	char *text, *line, *end, *next;
	size_t len, i;
	FILE *f;

	if ((f = fopen(cli->categories, "rb")) == NULL)
		return sp_cli_fail(cli, -errno, cli->categories);
	if ((text = malloc(CATEGORIES_FILE_MAX + 1)) == NULL) {
		fclose(f);
		return sp_cli_fail(cli, SP_ENOMEM, NULL);
	}
	len = fread(text, 1, CATEGORIES_FILE_MAX + 1, f);
	fclose(f);
	if (len > CATEGORIES_FILE_MAX) {
		free(text);
		return sp_cli_usage(cli, _("%s: a categories file is at most %d bytes"),
		    cli->categories, CATEGORIES_FILE_MAX);
	}
	text[len] = '\0';
	for (line = text; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		next = next != NULL ? next + 1 : line + strlen(line);
		end = next;
		while (end > line && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' ||
		    end[-1] == '\t'))
			end--;
		while (line < end && (*line == ' ' || *line == '\t'))
			line++;
		if (line == end)
			continue;
		if (d->ncategories == SP_DEF_MAX_CATEGORIES ||
		    !copy_text(d->categories[d->ncategories], SP_DEF_VALUE_MAX, line,
		    (size_t)(end - line))) {
			free(text);
			return sp_cli_usage(cli, _("%s: at most %d categories of 1-%d bytes each"),
			    cli->categories, SP_DEF_MAX_CATEGORIES, SP_DEF_VALUE_MAX);
		}
		for (i = 0; i < d->ncategories; i++)
			if (strcmp(d->categories[i], d->categories[d->ncategories]) == 0)
				break;
		if (i < d->ncategories || strcmp(d->categories[i], SP_DEF_OTHER) == 0) {
			free(text);
			return sp_cli_usage(cli, _("%s: category '%s' is listed twice or is "
			    "'other' (values outside the list count as 'other')"),
			    cli->categories, d->categories[d->ncategories]);
		}
		d->ncategories++;
	}
	free(text);
	return 0;
}

static int
compare_fields(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* --sum FIELD... and --where FIELD=VALUE..., both sorted by field. */
static int
parse_sums_and_wheres(sp_cli *cli, sp_definition *d)
{
	const char *eq;
	sp_def_where tmp;
	size_t i, j;

	for (i = 0; i < cli->nsums; i++)
		if (!copy_text(d->sums[i], SP_DEF_FIELD_MAX, cli->sums[i], strlen(cli->sums[i])))
			return sp_cli_usage(cli, _("--sum takes a field name of 1-%d bytes"),
			    SP_DEF_FIELD_MAX);
	d->nsums = cli->nsums;
	qsort(d->sums, d->nsums, sizeof(d->sums[0]), compare_fields);
	for (i = 1; i < d->nsums; i++)
		if (strcmp(d->sums[i - 1], d->sums[i]) == 0)
			return sp_cli_usage(cli, _("--sum %s is given twice"), d->sums[i]);
	for (i = 0; i < cli->nwheres; i++) {
		eq = strchr(cli->wheres[i], '=');
		if (eq == NULL ||
		    !copy_text(d->where[i].field, SP_DEF_FIELD_MAX, cli->wheres[i],
		    (size_t)(eq - cli->wheres[i])) ||
		    !copy_text(d->where[i].value, SP_DEF_VALUE_MAX, eq + 1, strlen(eq + 1)))
			return sp_cli_usage(cli, _("--where takes FIELD=VALUE"));
	}
	d->nwhere = cli->nwheres;
	for (i = 1; i < d->nwhere; i++) {
		tmp = d->where[i];
		for (j = i; j > 0 && strcmp(d->where[j - 1].field, tmp.field) > 0; j--)
			d->where[j] = d->where[j - 1];
		d->where[j] = tmp;
	}
	return 0;
}

static int
build_definition(sp_cli *cli, sp_definition *d)
{
	unsigned long k = SP_DEF_K_DEFAULT;
	char *end;
	int r;

	memset(d, 0, sizeof(*d));
	if (cli->from == NULL || cli->count_by == NULL)
		return sp_cli_usage(cli, _("summary define needs --from COLLECTION and "
		    "--count-by FIELD[,FIELD2]"));
	if (!copy_text(d->from, SP_COLLECTION_MAX, cli->from, strlen(cli->from)) ||
	    sp_collection_check(d->from, strlen(d->from), false) != 0)
		return sp_cli_fail(cli, SP_ECOLLECTION, cli->from);
	if ((r = parse_count_by(cli, d)) != 0 ||
	    (cli->categories != NULL && (r = read_categories(cli, d)) != 0) ||
	    (r = parse_sums_and_wheres(cli, d)) != 0)
		return r;
	if (cli->period != NULL && sp_period_parse(cli->period, &d->period) != 0)
		return sp_cli_usage(cli, _("--period is month, quarter or year"));
	if (cli->k != NULL) {
		errno = 0;
		k = strtoul(cli->k, &end, 10);
		if (errno != 0 || *end != '\0' || end == cli->k || k < SP_DEF_K_MIN ||
		    k > SP_DEF_K_MAX)
			return sp_cli_usage(cli, _("--k is a whole number from %d to %d: counts "
			    "from 1 to k-1 are never published"), SP_DEF_K_MIN, SP_DEF_K_MAX);
	}
	d->k = (unsigned)k;
	if (sp_definition_check(d) != 0)
		return sp_cli_fail(cli, SP_EDEFINITION, _("grouping fields must differ; field names "
		    "and values must be text without control characters"));
	return 0;
}

int
sp_cli_cmd_summary_define(sp_cli *cli)
{
	sp_definition *d;
	sp_ctl_msg m;
	sp_buf body, req;
	int r;

	if ((d = malloc(sizeof(*d))) == NULL)
		return sp_cli_fail(cli, SP_ENOMEM, NULL);
	sp_buf_init(&body);
	if ((r = build_definition(cli, d)) != 0)
		goto out;
	if ((r = sp_definition_encode(d, &body)) != 0) {
		r = sp_cli_fail(cli, r, NULL);
		goto out;
	}
	if ((r = sp_cli_request(cli, &req, "summary.define", 3)) != 0)
		goto out;
	sp_pack_cstr(&req, "community");
	sp_pack_cstr(&req, cli->argv[0]);
	sp_pack_cstr(&req, "name");
	sp_pack_cstr(&req, cli->argv[1]);
	sp_pack_cstr(&req, "definition");
	sp_pack_bin(&req, body.data, body.len);
	if ((r = sp_cli_call(cli, &req, &m)) != 0)
		goto out;
	if (cli->json)
		sp_cli_print_json(json_pack("{s:s, s:s, s:b}", "community", cli->argv[0],
		    "summary", cli->argv[1], "ok", 1));
	else
		printf(_("Defined summary %s in %s. Nothing is published until an admin "
		    "consents:\n  simpul summary consent %s %s --to HUB_NODE_ID\n"),
		    cli->argv[1], cli->argv[0], cli->argv[0], cli->argv[1]);
	r = SP_EXIT_OK;
out:
	sp_buf_free(&body);
	free(d);
	return r;
}

/* --until YYYY-MM-DD: the consent holds through that day (UTC), so it ends at the next midnight. */
static int
parse_until(sp_cli *cli, uint64_t *ms)
{
	struct tm tm;
	char *end;
	time_t t;

	*ms = 0;
	if (cli->until == NULL)
		return 0;
	memset(&tm, 0, sizeof(tm));
	end = strptime(cli->until, "%Y-%m-%d", &tm);
	if (end == NULL || *end != '\0' || tm.tm_year < 70)
		return sp_cli_usage(cli, _("--until takes a date, YYYY-MM-DD"));
	tm.tm_mday++;
	if ((t = timegm(&tm)) == (time_t)-1)
		return sp_cli_usage(cli, _("--until takes a date, YYYY-MM-DD"));
	*ms = (uint64_t)t * 1000;
	return 0;
}

/* consent, withdraw, rm: COMMUNITY NAME [--to HUB] [--until DATE]. */
static int
consent_command(sp_cli *cli, const char *cmd, const char *done)
{
	uint8_t hub[SP_PUBKEY_BYTES];
	uint64_t until = 0;
	bool to = strcmp(cmd, "summary.rm") != 0;
	sp_ctl_msg m;
	sp_buf req;
	int r;

	if (to && cli->to == NULL)
		return sp_cli_usage(cli, _("%s needs --to HUB_NODE_ID (the hub's 'simpul id')"),
		    strcmp(cmd, "summary.consent") == 0 ? "summary consent" : "summary withdraw");
	if (to && sp_base32_decode(hub, sizeof(hub), cli->to, strlen(cli->to)) != 0)
		return sp_cli_fail(cli, SP_EID, cli->to);
	if ((r = parse_until(cli, &until)) != 0)
		return r;
	if ((r = sp_cli_request(cli, &req, cmd, to ? (until != 0 ? 4 : 3) : 2)) != 0)
		return r;
	sp_pack_cstr(&req, "community");
	sp_pack_cstr(&req, cli->argv[0]);
	sp_pack_cstr(&req, "name");
	sp_pack_cstr(&req, cli->argv[1]);
	if (to) {
		sp_pack_cstr(&req, "hub");
		sp_pack_bin(&req, hub, sizeof(hub));
	}
	if (until != 0) {
		sp_pack_cstr(&req, "until");
		sp_pack_uint(&req, until);
	}
	if ((r = sp_cli_call(cli, &req, &m)) != 0)
		return r;
	if (cli->json)
		sp_cli_print_json(json_pack("{s:s, s:s, s:b}", "community", cli->argv[0],
		    "summary", cli->argv[1], "ok", 1));
	else
		printf("%s %s: %s\n", cli->argv[0], cli->argv[1], done);
	return SP_EXIT_OK;
}

int
sp_cli_cmd_summary_consent(sp_cli *cli)
{
	return consent_command(cli, "summary.consent",
	    _("consented; summaries go to the hub from the next sync"));
}

int
sp_cli_cmd_summary_withdraw(sp_cli *cli)
{
	return consent_command(cli, "summary.withdraw",
	    _("consent withdrawn; the hub drops this community's figures at the next sync"));
}

int
sp_cli_cmd_summary_rm(sp_cli *cli)
{
	return consent_command(cli, "summary.rm", _("deleted, and every consent to it withdrawn"));
}

/* ls */

/* The last day (UTC) a consent ending at ms holds. */
static void
last_day(char *out, size_t size, uint64_t ms)
{
	time_t t = (time_t)((ms - 1) / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%d", &tm);
}

static json_t *
definition_json(const sp_definition *d)
{
	json_t *o = json_object(), *a;
	size_t i;

	json_object_set_new(o, "from", json_string(d->from));
	a = json_array();
	for (i = 0; i < d->nby; i++)
		json_array_append_new(a, json_string(d->by[i]));
	json_object_set_new(o, "count_by", a);
	a = json_array();
	for (i = 0; i < d->ncategories; i++)
		json_array_append_new(a, json_string(d->categories[i]));
	json_object_set_new(o, "categories", a);
	a = json_array();
	for (i = 0; i < d->nsums; i++)
		json_array_append_new(a, json_string(d->sums[i]));
	json_object_set_new(o, "sums", a);
	a = json_object();
	for (i = 0; i < d->nwhere; i++)
		json_object_set_new(a, d->where[i].field, json_string(d->where[i].value));
	json_object_set_new(o, "where", a);
	json_object_set_new(o, "period", json_string(sp_period_name(d->period)));
	json_object_set_new(o, "k", json_integer(d->k));
	return o;
}

static void
print_definition(const char *name, const sp_definition *d)
{
	size_t i;

	printf("%s: %s by %s%s%s, per %s, k = %u", name, d->from, d->by[0],
	    d->nby == 2 ? " x " : "", d->nby == 2 ? d->by[1] : "", sp_period_name(d->period), d->k);
	if (d->ncategories > 0)
		printf(_(", %zu listed categories"), d->ncategories);
	for (i = 0; i < d->nsums; i++)
		printf(_(", sum of %s"), d->sums[i]);
	for (i = 0; i < d->nwhere; i++)
		printf(_(", where %s = %s"), d->where[i].field, d->where[i].value);
	printf("\n");
}

/*
 * One consent {"current", "hub", "until"}: checked only (show false), or
 * added to list (JSON) or printed.
 */
static int
read_consent(sp_reader *r, json_t *list, bool show)
{
	char hub[SP_ID_STR_LEN + 1], until[32];
	const uint8_t *p;
	const char *s;
	uint64_t ms;
	uint32_t n;
	size_t len;
	bool current;

	if (sp_read_map(r, &n) != 0 || n != 3 || sp_read_str(r, &s, &len) != 0 ||
	    sp_read_bool(r, &current) != 0 || sp_read_str(r, &s, &len) != 0 ||
	    sp_read_bin(r, &p, &len) != 0 || len != SP_PUBKEY_BYTES ||
	    sp_read_str(r, &s, &len) != 0 || sp_read_uint(r, &ms) != 0)
		return SP_EFRAME;
	if (!show)
		return 0;
	sp_base32_encode(hub, p, SP_PUBKEY_BYTES);
	if (list != NULL) {
		json_array_append_new(list, json_pack("{s:s, s:I, s:b}", "hub", hub,
		    "until_ms", (json_int_t)ms, "current", current));
		return 0;
	}
	if (ms != 0)
		last_day(until, sizeof(until), ms);
	printf(_("  consented to hub %s%s%s%s\n"), hub, ms != 0 ? _(" through ") : "",
	    ms != 0 ? until : "", current ? "" :
	    _(" (for an earlier version of the definition: consent again)"));
	return 0;
}

int
sp_cli_cmd_summary_ls(sp_cli *cli)
{
	char name[SP_SUMMARY_NAME_MAX + 1];
	json_t *out = NULL, *item = NULL, *consents = NULL;
	const uint8_t *raw, *body;
	sp_definition *d;
	uint32_t ndef, nfields, ncons, i, j;
	sp_ctl_msg m;
	const char *s;
	size_t len, blen;
	sp_reader rd, consents_at, after;
	sp_buf req;
	int r;

	if ((r = sp_cli_request(cli, &req, "summary.ls", 1)) != 0)
		return r;
	sp_pack_cstr(&req, "community");
	sp_pack_cstr(&req, cli->argv[0]);
	if ((r = sp_cli_call(cli, &req, &m)) != 0)
		return r;
	if (sp_ctl_get_raw(&m, "definitions", &raw, &len) != 0)
		return sp_cli_fail(cli, SP_EFRAME, "reply without definitions");
	if ((d = malloc(sizeof(*d))) == NULL)
		return sp_cli_fail(cli, SP_ENOMEM, NULL);
	if (cli->json)
		out = json_array();
	sp_reader_init(&rd, raw, len);
	r = sp_read_array(&rd, &ndef);
	for (i = 0; r == 0 && i < ndef; i++) {
		/* {"consents": [...], "definition", "id", "name"}: the consents come first. */
		if (sp_read_map(&rd, &nfields) != 0 || nfields != 4 ||
		    sp_read_str(&rd, &s, &len) != 0 || sp_read_array(&rd, &ncons) != 0 ||
		    ncons > CONSENTS_MAX) {
			r = SP_EFRAME;
			break;
		}
		consents_at = rd;
		for (j = 0; r == 0 && j < ncons; j++)
			r = read_consent(&rd, NULL, false);
		if (r != 0 || sp_read_str(&rd, &s, &len) != 0 || sp_read_bin(&rd, &body, &blen) != 0 ||
		    sp_definition_decode(body, blen, d) != 0 ||
		    sp_read_str(&rd, &s, &len) != 0 || sp_read_bin(&rd, &body, &blen) != 0 ||
		    sp_read_str(&rd, &s, &len) != 0 || sp_read_str(&rd, &s, &len) != 0 ||
		    !copy_text(name, SP_SUMMARY_NAME_MAX, s, len)) {
			r = SP_EFRAME;
			break;
		}
		if (out != NULL) {
			item = definition_json(d);
			json_object_set_new(item, "name", json_string(name));
			consents = json_array();
			json_object_set_new(item, "consents", consents);
			json_array_append_new(out, item);
		} else {
			print_definition(name, d);
			if (ncons == 0)
				printf("%s", _("  no consent: nothing is published\n"));
		}
		after = rd;
		rd = consents_at;
		for (j = 0; r == 0 && j < ncons; j++)
			r = read_consent(&rd, consents, true);
		rd = after;
	}
	free(d);
	if (r != 0) {
		json_decref(out);
		return sp_cli_fail(cli, SP_EFRAME, "malformed summary listing");
	}
	if (out != NULL)
		sp_cli_print_json(out);
	else if (ndef == 0)
		printf(_("No summaries defined in %s (see 'simpul summary define').\n"), cli->argv[0]);
	return SP_EXIT_OK;
}

/* show */

/* A published cell as text: its count, lo-hi, or lo+ when unbounded. */
static void
cell_text(char *out, size_t size, const sp_cell *c)
{
	if (!c->suppressed)
		snprintf(out, size, "%llu", (unsigned long long)c->value);
	else if (c->unbounded)
		snprintf(out, size, "%llu+", (unsigned long long)c->lo);
	else
		snprintf(out, size, "%llu-%llu", (unsigned long long)c->lo, (unsigned long long)c->hi);
}

static void
print_row(const char *label, char (*cells)[32], size_t n)
{
	size_t i;

	printf("  %-28.28s", label);
	for (i = 0; i < n; i++)
		printf(" %10s", cells[i]);
	printf("\n");
}

/* The table header: the column labels (or "count"), then "total" for a two-way table. */
static void
print_header(sp_summary *s)
{
	char cells[SP_SUMMARY_MAX_COLS + 1][32];
	size_t c, n = sp_summary_cols(s);

	for (c = 0; c < n; c++)
		snprintf(cells[c], sizeof(cells[c]), "%.10s", sp_summary_col(s, c));
	snprintf(cells[n], sizeof(cells[n]), "%s", n > 0 ? _("total") : _("count"));
	print_row("", cells, n + 1);
}

/* The published table, totals included. */
static void
print_published(sp_summary *s)
{
	char cells[SP_SUMMARY_MAX_COLS + 1][32];
	size_t r, c, ncols = sp_summary_cols(s), w = ncols > 0 ? ncols : 1;

	print_header(s);
	for (r = 0; r < sp_summary_rows(s); r++) {
		for (c = 0; c < w; c++)
			cell_text(cells[c], sizeof(cells[c]), sp_summary_cell(s, r, c));
		if (ncols > 0)
			cell_text(cells[w], sizeof(cells[w]), sp_summary_row_total(s, r));
		print_row(sp_summary_row(s, r), cells, ncols > 0 ? w + 1 : w);
	}
	for (c = 0; c < ncols; c++)
		cell_text(cells[c], sizeof(cells[c]), sp_summary_col_total(s, c));
	cell_text(cells[ncols], sizeof(cells[ncols]), sp_summary_total(s));
	print_row(_("total"), cells, ncols + 1);
}

/* The exact counts (reply fields "cells", "total"), laid out as the published table. */
static int
print_exact(const sp_ctl_msg *m, sp_summary *s)
{
	char cells[SP_SUMMARY_MAX_COLS + 1][32];
	uint64_t v, row_sum, col_sum[SP_SUMMARY_MAX_COLS] = { 0 }, total = 0;
	size_t r, c, ncols = sp_summary_cols(s), w = ncols > 0 ? ncols : 1;
	const uint8_t *raw;
	uint32_t n, k;
	sp_reader rd;
	size_t len;

	if (sp_ctl_get_raw(m, "cells", &raw, &len) != 0 || sp_ctl_get_uint(m, "total", &total) != 0)
		return SP_EFRAME;
	sp_reader_init(&rd, raw, len);
	if (sp_read_array(&rd, &n) != 0 || n != sp_summary_rows(s))
		return SP_EFRAME;
	print_header(s);
	for (r = 0; r < n; r++) {
		if (sp_read_array(&rd, &k) != 0 || k != w)
			return SP_EFRAME;
		row_sum = 0;
		for (c = 0; c < w; c++) {
			if (sp_read_uint(&rd, &v) != 0)
				return SP_EFRAME;
			snprintf(cells[c], sizeof(cells[c]), "%llu", (unsigned long long)v);
			row_sum += v;
			col_sum[c] += v;
		}
		snprintf(cells[w], sizeof(cells[w]), "%llu", (unsigned long long)row_sum);
		print_row(sp_summary_row(s, r), cells, ncols > 0 ? w + 1 : w);
	}
	for (c = 0; c < ncols; c++)
		snprintf(cells[c], sizeof(cells[c]), "%llu", (unsigned long long)col_sum[c]);
	snprintf(cells[ncols], sizeof(cells[ncols]), "%llu", (unsigned long long)total);
	print_row(_("total"), cells, ncols + 1);
	return 0;
}

int
sp_cli_cmd_summary_show(sp_cli *cli)
{
	json_t *exact, *published;
	const uint8_t *body;
	sp_summary *s;
	sp_ctl_msg m;
	sp_buf req;
	size_t len;
	int r;

	if ((r = sp_cli_request(cli, &req, "summary.show", 2)) != 0)
		return r;
	sp_pack_cstr(&req, "community");
	sp_pack_cstr(&req, cli->argv[0]);
	sp_pack_cstr(&req, "name");
	sp_pack_cstr(&req, cli->argv[1]);
	if ((r = sp_cli_call(cli, &req, &m)) != 0)
		return r;
	if (sp_ctl_get_bin(&m, "published", &body, &len) != 0 ||
	    sp_summary_decode(body, len, &s) != 0)
		return sp_cli_fail(cli, SP_EFRAME, "reply without the published summary");
	if (cli->json) {
		exact = json_object();
		json_object_set_new(exact, "rows", sp_cli_field_json(&m, "rows"));
		json_object_set_new(exact, "cols", sp_cli_field_json(&m, "cols"));
		json_object_set_new(exact, "cells", sp_cli_field_json(&m, "cells"));
		json_object_set_new(exact, "total", sp_cli_field_json(&m, "total"));
		if (sp_body_to_json(body, len, &published) != 0)
			published = json_null();
		sp_cli_print_json(json_pack("{s:o, s:o}", "exact", exact, "published", published));
		sp_summary_free(s);
		return SP_EXIT_OK;
	}
	printf(_("%s in %s, period %s, k = %u\n\nCounted here (this never leaves the node):\n"),
	    cli->argv[1], cli->argv[0], sp_summary_period(s), *sp_summary_k(s));
	r = print_exact(&m, s);
	if (r == 0) {
		printf("%s", _("\nWhat hubs receive under a consent (a-b: hidden, somewhere "
		    "from a to b; a+: hidden, at least a):\n"));
		print_published(s);
	}
	sp_summary_free(s);
	return r != 0 ? sp_cli_fail(cli, r, "malformed reply") : SP_EXIT_OK;
}
