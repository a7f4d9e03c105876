/*
 * simpul export COMMUNITY COLLECTION [--format csv|json]
 *
 * CSV: a header row "_key" followed by every top-level body field seen in
 * the collection (sorted; a body field named "_key", which a re-imported
 * export has, is the key and is not repeated), then one row per live record. Nested values are
 * written as JSON text. JSON: one object per line {"key", "label", "body"}.
 * Both are streamed as the daemon sends pages.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "cli.h"
#include "csv_import.h"
#include "i18n.h"
#include "json_body.h"
#include "pack.h"
#include "reader.h"
#include "record.h"
#include "sp_err.h"

/* The first column of an export: the record's key. */
#define KEY_COLUMN "_key"

/* One body value as CSV cell text. */
static void
csv_value(const uint8_t *val, size_t len)
{
	char num[40];
	sp_reader rd;
	const char *s;
	size_t n;
	uint64_t u;
	int64_t i;
	double d;
	bool b;

	sp_reader_init(&rd, val, len);
	switch (sp_reader_peek(&rd)) {
	case SP_MP_NIL:
		return;
	case SP_MP_STR:
		if (sp_read_str(&rd, &s, &n) == 0)
			sp_csv_write_cell(stdout, s, n);
		return;
	case SP_MP_UINT:
		if (sp_read_uint(&rd, &u) == 0)
			printf("%llu", (unsigned long long)u);
		return;
	case SP_MP_INT:
		if (sp_read_int(&rd, &i) == 0)
			printf("%lld", (long long)i);
		return;
	case SP_MP_FLOAT:
		if (sp_read_double(&rd, &d) == 0) {
			snprintf(num, sizeof(num), "%.17g", d);
			fputs(num, stdout);
		}
		return;
	case SP_MP_BOOL:
		if (sp_read_bool(&rd, &b) == 0)
			fputs(b ? "true" : "false", stdout);
		return;
	default: {
		/* Arrays, maps and binaries: their JSON text, wrapped in a one-field body. */
		sp_buf one;
		json_t *o = NULL;
		char *text;

		sp_buf_init(&one);
		sp_pack_map(&one, 1);
		sp_pack_cstr(&one, "v");
		sp_pack_raw(&one, val, len);
		if (one.err == 0 && sp_body_to_json(one.data, one.len, &o) == 0 &&
		    (text = json_dumps(json_object_get(o, "v"), JSON_COMPACT | JSON_ENCODE_ANY)) != NULL) {
			sp_csv_write_cell(stdout, text, strlen(text));
			free(text);
		}
		json_decref(o);
		sp_buf_free(&one);
	}
	}
}

typedef struct export_ctx {
	char **columns;
	size_t ncolumns;
} export_ctx;

static int
read_columns(sp_cli *cli, const sp_ctl_msg *m, export_ctx *ctx)
{
	const uint8_t *raw;
	size_t len, i, n;
	const char *s;
	sp_reader rd;
	uint32_t count;

	if (sp_ctl_get_raw(m, "columns", &raw, &len) != 0)
		return sp_cli_fail(cli, SP_EFRAME, "export without columns");
	sp_reader_init(&rd, raw, len);
	if (sp_read_array(&rd, &count) != 0 ||
	    (ctx->columns = calloc(count + 1, sizeof(char *))) == NULL)
		return sp_cli_fail(cli, SP_EFRAME, "bad column list");
	for (i = 0; i < count; i++) {
		if (sp_read_str(&rd, &s, &n) != 0)
			return sp_cli_fail(cli, SP_EFRAME, "bad column list");
		/* A re-imported export carries its _key column in the body: it is the key. */
		if (n == strlen(KEY_COLUMN) && memcmp(s, KEY_COLUMN, n) == 0)
			continue;
		if ((ctx->columns[ctx->ncolumns] = strndup(s, n)) == NULL)
			return sp_cli_fail(cli, SP_ENOMEM, NULL);
		ctx->ncolumns++;
	}
	sp_csv_write_cell(stdout, KEY_COLUMN, strlen(KEY_COLUMN));
	for (i = 0; i < ctx->ncolumns; i++) {
		fputc(',', stdout);
		sp_csv_write_cell(stdout, ctx->columns[i], strlen(ctx->columns[i]));
	}
	fputs("\r\n", stdout);
	return 0;
}

static void
csv_row(const sp_ctl_msg *m, const export_ctx *ctx)
{
	const uint8_t *body, *val;
	size_t body_len, val_len, i;
	const char *key;
	size_t key_len;

	if (sp_ctl_get_str(m, "key", &key, &key_len) != 0 ||
	    sp_ctl_get_raw(m, "body", &body, &body_len) != 0)
		return;
	sp_csv_write_cell(stdout, key, key_len);
	for (i = 0; i < ctx->ncolumns; i++) {
		fputc(',', stdout);
		if (sp_body_get(body, body_len, ctx->columns[i], strlen(ctx->columns[i]),
		    &val, &val_len) == 0)
			csv_value(val, val_len);
	}
	fputs("\r\n", stdout);
}

static void
json_row(const sp_ctl_msg *m)
{
	json_t *o = json_object();

	json_object_set_new(o, "key", sp_cli_field_json(m, "key"));
	json_object_set_new(o, "label", sp_cli_field_json(m, "label"));
	json_object_set_new(o, "body", sp_cli_field_json(m, "body"));
	json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(o);
}

int
sp_cli_cmd_export(sp_cli *cli)
{
	export_ctx ctx = { NULL, 0 };
	bool csv = true, more, header = false;
	sp_ctl_msg m;
	sp_buf req;
	size_t i;
	int r;

	if (cli->given & SP_OPT_FORMAT) {
		if (strcmp(cli->format, "json") == 0)
			csv = false;
		else if (strcmp(cli->format, "csv") != 0)
			return sp_cli_usage(cli, _("unknown format '%s': use csv or json"), cli->format);
	}
	if ((r = sp_cli_request(cli, &req, "export", 3)) != 0)
		return r;
	sp_pack_cstr(&req, "community");
	sp_pack_cstr(&req, cli->argv[0]);
	sp_pack_cstr(&req, "collection");
	sp_pack_cstr(&req, cli->argv[1]);
	sp_pack_cstr(&req, "columns");
	sp_pack_bool(&req, csv);
	if ((r = sp_cli_send(cli, &req)) != 0)
		return r;
	while ((r = sp_cli_next(cli, &m, &more)) == 0 && more) {
		if (!csv) {
			json_row(&m);
		} else if (!header) {
			if ((r = read_columns(cli, &m, &ctx)) != 0)
				break;
			header = true;
		} else {
			csv_row(&m, &ctx);
		}
	}
	for (i = 0; i < ctx.ncolumns; i++)
		free(ctx.columns[i]);
	free(ctx.columns);
	if (fflush(stdout) != 0 && r == 0)
		r = sp_cli_fail(cli, SP_EINTERNAL, "writing standard output");
	return r;
}
