/*
 * simpul import COMMUNITY COLLECTION FILE.csv --key-column NAME
 *
 * The whole file is validated before anything is sent; then its rows are
 * streamed to simpuld in batches under one import, which the daemon makes
 * permanent only at import.commit (all rows or none, even across a crash).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "csv_import.h"
#include "i18n.h"
#include "pack.h"
#include "record.h"
#include "sp_err.h"

/* Rows and bytes per import.rows request (well under SP_CTL_FRAME_MAX). */
#define BATCH_ROWS  4000
#define BATCH_BYTES (2u * 1024 * 1024)

typedef struct import_ctx {
	sp_cli *cli;
	sp_buf rows;         /* packed [key, body] pairs of the batch being built */
	uint32_t nrows;
	uint64_t sent;
	uint64_t bad;
	int exit;            /* set when the daemon refused something */
} import_ctx;

static int
report_bad(void *arg, const sp_csv_error *err)
{
	import_ctx *ctx = arg;

	ctx->bad++;
	if (!ctx->cli->json)
		fprintf(stderr, _("simpul: skipped %s\n"), err->msg);
	return 0;
}

static int
skip_silently(void *arg, const sp_csv_error *err)
{
	(void)arg;
	(void)err;
	return 0;
}

static int
send_batch(import_ctx *ctx)
{
	sp_ctl_msg m;
	sp_buf req;
	int r;

	if (ctx->nrows == 0)
		return 0;
	sp_buf_init(&req);
	sp_ctl_begin_request(&req, "import.rows", 1);
	sp_pack_cstr(&req, "rows");
	sp_pack_array(&req, ctx->nrows);
	sp_pack_raw(&req, ctx->rows.data, ctx->rows.len);
	if ((r = sp_cli_call(ctx->cli, &req, &m)) != 0) {
		ctx->exit = r;
		return r;
	}
	ctx->sent += ctx->nrows;
	ctx->nrows = 0;
	sp_buf_reset(&ctx->rows);
	return 0;
}

static int
add_row(void *arg, size_t line, const char *key, size_t key_len,
    const uint8_t *body, size_t body_len)
{
	import_ctx *ctx = arg;

	(void)line;
	sp_pack_array(&ctx->rows, 2);
	sp_pack_str(&ctx->rows, key, key_len);
	sp_pack_raw(&ctx->rows, body, body_len);
	if (ctx->rows.err != 0)
		return ctx->rows.err;
	ctx->nrows++;
	if (ctx->nrows >= BATCH_ROWS || ctx->rows.len >= BATCH_BYTES)
		return send_batch(ctx);
	return 0;
}

/*
 * After a failure the daemon rolls back what the import wrote, and
 * import.abort replies once that is done: waiting for it means that when
 * simpul reports the failure nothing of the import is left, and the
 * collection takes writes again. The failure was reported already, so
 * the reply (the same error, or none if the daemon is gone) is not shown.
 */
static void
abort_import(sp_cli *cli)
{
	sp_ctl_msg m;
	sp_buf req;

	sp_buf_init(&req);
	sp_ctl_begin_request(&req, "import.abort", 0);
	if (sp_ctl_end(&req, 0) == 0 && sp_client_send(cli->client, &req) == 0)
		(void)sp_client_recv(cli->client, &m);
	sp_buf_free(&req);
}

/* Maps the file read-only; *data is NULL for an empty file. */
static int
map_file(const char *path, const uint8_t **data, size_t *len)
{
	struct stat st;
	void *p;
	int fd, r = 0;

	*data = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		r = -errno;
	} else if (!S_ISREG(st.st_mode)) {
		r = SP_ENOTFILE;
	} else if (st.st_size > 0) {
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			r = -errno;
		} else {
			*data = p;
			*len = (size_t)st.st_size;
		}
	}
	close(fd);
	return r;
}

int
sp_cli_cmd_import(sp_cli *cli)
{
	const char *path = cli->argv[2];
	bool skip = (cli->given & SP_OPT_SKIP_BAD) != 0;
	const uint8_t *data = NULL;
	enum sp_label label;
	sp_csv_error err;
	import_ctx ctx;
	sp_ctl_msg m;
	sp_buf req;
	uint64_t committed = 0;
	size_t len = 0;
	int r;

	memset(&ctx, 0, sizeof(ctx));
	ctx.cli = cli;
	sp_buf_init(&ctx.rows);
	if (!(cli->given & SP_OPT_KEY_COLUMN))
		return sp_cli_usage(cli, _("import needs --key-column NAME: the column whose cells are the keys"));
	if ((cli->given & SP_OPT_LABEL) && sp_label_parse(cli->label, &label) != 0)
		return sp_cli_fail(cli, SP_ELABEL, cli->label);
	if ((r = map_file(path, &data, &len)) != 0)
		return sp_cli_fail(cli, r, path);

	/* Pass 1: the whole file must be good (or its bad rows skipped) before anything is sent. */
	memset(&err, 0, sizeof(err));
	r = sp_csv_parse(data, len, cli->key_column, NULL, skip ? report_bad : NULL, &ctx, &err);
	if (r != 0) {
		r = sp_cli_fail(cli, r, err.msg);
		goto out;
	}
	if ((r = sp_cli_request(cli, &req, "import.begin", (cli->given & SP_OPT_LABEL) ? 3 : 2)) != 0)
		goto out;
	sp_pack_cstr(&req, "community");
	sp_pack_cstr(&req, cli->argv[0]);
	sp_pack_cstr(&req, "collection");
	sp_pack_cstr(&req, cli->argv[1]);
	if (cli->given & SP_OPT_LABEL) {
		sp_pack_cstr(&req, "label");
		sp_pack_cstr(&req, cli->label);
	}
	if ((r = sp_cli_call(cli, &req, &m)) != 0)
		goto out;

	/* Pass 2: stream the rows. */
	r = sp_csv_parse(data, len, cli->key_column, add_row, skip ? skip_silently : NULL, &ctx, &err);
	if (r == 0)
		r = send_batch(&ctx);
	if (r != 0) {
		r = ctx.exit != 0 ? ctx.exit : sp_cli_fail(cli, r, err.msg);
		abort_import(cli);
		goto out;
	}
	sp_buf_init(&req);
	sp_ctl_begin_request(&req, "import.commit", 0);
	if ((r = sp_cli_call(cli, &req, &m)) != 0)
		goto out;
	(void)sp_ctl_get_uint(&m, "rows", &committed);
	if (cli->json)
		sp_cli_print_json(json_pack("{s:I, s:I}", "imported", (json_int_t)committed,
		    "skipped", (json_int_t)ctx.bad));
	else if (ctx.bad > 0)
		printf(_("Imported %llu rows into %s/%s (%llu bad rows skipped).\n"),
		    (unsigned long long)committed, cli->argv[0], cli->argv[1],
		    (unsigned long long)ctx.bad);
	else
		printf(_("Imported %llu rows into %s/%s.\n"), (unsigned long long)committed,
		    cli->argv[0], cli->argv[1]);
	r = SP_EXIT_OK;
out:
	sp_buf_free(&ctx.rows);
	if (data != NULL)
		munmap((void *)data, len);
	return r;
}
