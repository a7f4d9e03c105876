/* simpul put | get | ls | rm | erase */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"
#include "json_body.h"
#include "keyfile.h"
#include "pack.h"
#include "record.h"
#include "sp_err.h"

/* A JSON body file can be at most a little more than the body limit's worth of text. */
#define BODY_FILE_MAX (4 * SP_BODY_MAX)

/* Packs the three fields that address a record: argv[0..2]. */
static void
pack_address(sp_buf *req, sp_cli *cli)
{
	sp_pack_cstr(req, "community");
	sp_pack_cstr(req, cli->argv[0]);
	sp_pack_cstr(req, "collection");
	sp_pack_cstr(req, cli->argv[1]);
	sp_pack_cstr(req, "key");
	sp_pack_cstr(req, cli->argv[2]);
}

/* Prints the id a write returned. */
static int
print_written(sp_cli *cli, const sp_ctl_msg *m)
{
	json_t *id = sp_cli_field_json(m, "id");

	if (id == NULL || !json_is_string(id)) {
		json_decref(id);
		return sp_cli_fail(cli, SP_EFRAME, "reply without an id");
	}
	if (cli->json)
		sp_cli_print_json(json_pack("{s:o}", "id", id));
	else {
		printf("%s\n", json_string_value(id));
		json_decref(id);
	}
	return SP_EXIT_OK;
}

int
sp_cli_cmd_put(sp_cli *cli)
{
	char err[256];
	uint8_t *text = NULL;
	size_t len;
	sp_buf body, req;
	sp_ctl_msg m;
	enum sp_label label;
	int r;

	sp_buf_init(&body);
	if (!(cli->given & SP_OPT_BODY) == !(cli->given & SP_OPT_BODY_FILE))
		return sp_cli_usage(cli, _("put needs exactly one of --body JSON and --body-file FILE"));
	if ((cli->given & SP_OPT_LABEL) && sp_label_parse(cli->label, &label) != 0)
		return sp_cli_fail(cli, SP_ELABEL, cli->label);
	if (cli->given & SP_OPT_BODY_FILE) {
		if ((r = sp_file_read_all(cli->body_file, BODY_FILE_MAX, &text, &len)) != 0)
			return sp_cli_fail(cli, r, cli->body_file);
		r = sp_json_to_body((const char *)text, len, &body, err, sizeof(err));
		free(text);
	} else {
		r = sp_json_to_body(cli->body, strlen(cli->body), &body, err, sizeof(err));
	}
	if (r != 0) {
		sp_buf_free(&body);
		return sp_cli_fail(cli, r, err);
	}
	if ((r = sp_cli_request(cli, &req, "put", (cli->given & SP_OPT_LABEL) ? 5 : 4)) != 0) {
		sp_buf_free(&body);
		return r;
	}
	pack_address(&req, cli);
	sp_pack_cstr(&req, "body");
	sp_pack_raw(&req, body.data, body.len);
	sp_buf_free(&body);
	if (cli->given & SP_OPT_LABEL) {
		sp_pack_cstr(&req, "label");
		sp_pack_cstr(&req, cli->label);
	}
	if ((r = sp_cli_call(cli, &req, &m)) != 0)
		return r;
	return print_written(cli, &m);
}

static int
remove_key(sp_cli *cli, const char *cmd)
{
	sp_ctl_msg m;
	sp_buf req;
	int r;

	if ((r = sp_cli_request(cli, &req, cmd, 3)) != 0)
		return r;
	pack_address(&req, cli);
	if ((r = sp_cli_call(cli, &req, &m)) != 0)
		return r;
	return print_written(cli, &m);
}

int
sp_cli_cmd_rm(sp_cli *cli)
{
	return remove_key(cli, "rm");
}

int
sp_cli_cmd_erase(sp_cli *cli)
{
	return remove_key(cli, "erase");
}

int
sp_cli_cmd_get(sp_cli *cli)
{
	json_t *rec, *body;
	char when[32];
	sp_ctl_msg m;
	sp_buf req;
	uint64_t ts = 0;
	int r;

	if ((r = sp_cli_request(cli, &req, "get", 3)) != 0)
		return r;
	pack_address(&req, cli);
	if ((r = sp_cli_call(cli, &req, &m)) != 0)
		return r;
	if ((rec = sp_cli_msg_json(&m)) == NULL)
		return sp_cli_fail(cli, SP_ENOMEM, NULL);
	if (cli->json) {
		sp_cli_print_json(rec);
		return SP_EXIT_OK;
	}
	(void)sp_ctl_get_uint(&m, "timestamp", &ts);
	sp_cli_time(when, sizeof(when), ts);
	printf(_("key:     %s\n"), json_string_value(json_object_get(rec, "key")));
	printf(_("label:   %s\n"), json_string_value(json_object_get(rec, "label")));
	printf(_("written: %s UTC by %s\n"), when, json_string_value(json_object_get(rec, "author")));
	printf(_("id:      %s\n"), json_string_value(json_object_get(rec, "id")));
	body = json_object_get(rec, "body");
	json_dumpf(body, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(rec);
	return SP_EXIT_OK;
}

/* ls COMMUNITY: one line per collection. */
static void
print_collection(const sp_ctl_msg *m)
{
	char name[SP_COLLECTION_MAX + 1], system[128];
	uint64_t live = 0, deleted = 0;

	if (sp_ctl_get_cstr(m, "collection", name, sizeof(name)) != 0)
		return;
	(void)sp_ctl_get_uint(m, "records", &live);
	(void)sp_ctl_get_uint(m, "deleted", &deleted);
	if (sp_ctl_get_cstr(m, "system", system, sizeof(system)) != 0)
		system[0] = '\0';
	printf("%-24s %10llu %10llu%s%s\n", name, (unsigned long long)live,
	    (unsigned long long)deleted, system[0] != '\0' ? "  " : "", system);
}

/* ls COMMUNITY COLLECTION: one line per key. */
static void
print_key(const sp_ctl_msg *m)
{
	char key[SP_KEY_MAX + 1], label[16], when[32];
	uint64_t ts = 0, flags = 0;

	if (sp_ctl_get_cstr(m, "key", key, sizeof(key)) != 0 ||
	    sp_ctl_get_cstr(m, "label", label, sizeof(label)) != 0)
		return;
	(void)sp_ctl_get_uint(m, "timestamp", &ts);
	(void)sp_ctl_get_uint(m, "flags", &flags);
	sp_cli_time(when, sizeof(when), ts);
	printf("%-32s %-10s %s%s\n", key, label, when,
	    (flags & SP_FLAG_ERASED) ? _("  (erased)") :
	    (flags & SP_FLAG_TOMBSTONE) ? _("  (deleted)") : "");
}

int
sp_cli_cmd_ls(sp_cli *cli)
{
	bool collections = cli->argc == 1, more;
	sp_ctl_msg m;
	sp_buf req;
	int r;

	if ((r = sp_cli_request(cli, &req, "ls", collections ? 1 : 3)) != 0)
		return r;
	sp_pack_cstr(&req, "community");
	sp_pack_cstr(&req, cli->argv[0]);
	if (!collections) {
		sp_pack_cstr(&req, "collection");
		sp_pack_cstr(&req, cli->argv[1]);
		sp_pack_cstr(&req, "all");
		sp_pack_bool(&req, (cli->given & SP_OPT_ALL) != 0);
	}
	if ((r = sp_cli_send(cli, &req)) != 0)
		return r;
	if (!cli->json) {
		if (collections)
			printf("%-24s %10s %10s\n", _("COLLECTION"), _("RECORDS"), _("DELETED"));
		else
			printf("%-32s %-10s %s\n", _("KEY"), _("LABEL"), _("UPDATED (UTC)"));
	}
	/* Streamed: with --json, one JSON object per line as items arrive. */
	while ((r = sp_cli_next(cli, &m, &more)) == 0 && more) {
		if (cli->json) {
			json_t *o = sp_cli_msg_json(&m);

			json_dumpf(o, stdout, JSON_COMPACT);
			fputc('\n', stdout);
			json_decref(o);
		} else if (collections) {
			print_collection(&m);
		} else {
			print_key(&m);
		}
	}
	return r;
}
