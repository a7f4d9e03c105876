/* simpul community create | join | ls | add-writer | remove-writer | export-key | import-key */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base32.h"
#include "cli.h"
#include "i18n.h"
#include "keyfile.h"
#include "pack.h"
#include "record.h"
#include "sp_err.h"

/* Key files are small; anything larger is not one. */
#define KEY_FILE_MAX 4096

/* Parses a node or community id given on the command line. */
static int
parse_id(sp_cli *cli, const char *s, uint8_t out[32])
{
	if (sp_base32_decode(out, 32, s, strlen(s)) != 0)
		return sp_cli_fail(cli, SP_EID, s);
	return 0;
}

/* Reports a community from a reply carrying its id and alias. */
static int
print_community(sp_cli *cli, const sp_ctl_msg *m, bool created)
{
	char alias[SP_COLLECTION_MAX + 1], id[SP_ID_STR_LEN + 1];
	const uint8_t *p;
	size_t len;

	if (cli->json) {
		sp_cli_print_json(sp_cli_msg_json(m));
		return SP_EXIT_OK;
	}
	if (sp_ctl_get_bin(m, "id", &p, &len) != 0 || len != 32 ||
	    sp_ctl_get_cstr(m, "alias", alias, sizeof(alias)) != 0)
		return sp_cli_fail(cli, SP_EFRAME, "reply without id and alias");
	sp_cli_id(id, p);
	if (created)
		printf(_("Created community %s\nCommunity id: %s\n"
		    "Back up its key now: simpul community export-key %s FILE\n"), alias, id, alias);
	else
		printf(_("This node now holds the key of %s (%s).\n"), alias, id);
	return SP_EXIT_OK;
}

int
sp_cli_cmd_community_create(sp_cli *cli)
{
	sp_ctl_msg m;
	sp_buf req;
	int r;

	if ((r = sp_cli_request(cli, &req, "community.create", 1)) != 0)
		return r;
	sp_pack_cstr(&req, "alias");
	sp_pack_cstr(&req, cli->argv[0]);
	if ((r = sp_cli_call(cli, &req, &m)) != 0)
		return r;
	return print_community(cli, &m, true);
}

int
sp_cli_cmd_community_join(sp_cli *cli)
{
	uint8_t id[32];
	sp_ctl_msg m;
	sp_buf req;
	int r;

	if ((r = parse_id(cli, cli->argv[0], id)) != 0)
		return r;
	if ((r = sp_cli_request(cli, &req, "community.join", 2)) != 0)
		return r;
	sp_pack_cstr(&req, "id");
	sp_pack_bin(&req, id, 32);
	sp_pack_cstr(&req, "alias");
	sp_pack_cstr(&req, cli->argv[1]);
	if ((r = sp_cli_call(cli, &req, &m)) != 0)
		return r;
	if (cli->json)
		sp_cli_print_json(json_pack("{s:s, s:s}", "id", cli->argv[0], "alias", cli->argv[1]));
	else
		printf(_("Joined %s as %s; its charter arrives with the first sync.\n"),
		    cli->argv[0], cli->argv[1]);
	return SP_EXIT_OK;
}

int
sp_cli_cmd_community_ls(sp_cli *cli)
{
	char alias[SP_COLLECTION_MAX + 1], role[16], id[SP_ID_STR_LEN + 1];
	json_t *list = NULL;
	const uint8_t *p;
	sp_ctl_msg m;
	sp_buf req;
	uint64_t writers;
	bool more, has_key;
	size_t len;
	int r, n = 0;

	if ((r = sp_cli_request(cli, &req, "community.ls", 0)) != 0)
		return r;
	if ((r = sp_cli_send(cli, &req)) != 0)
		return r;
	if (cli->json)
		list = json_array();
	else
		printf("%-16s %-8s %-7s %-4s %s\n", _("ALIAS"), _("ROLE"), _("WRITERS"),
		    _("KEY"), _("ID"));
	while ((r = sp_cli_next(cli, &m, &more)) == 0 && more) {
		n++;
		if (cli->json) {
			json_array_append_new(list, sp_cli_msg_json(&m));
			continue;
		}
		if (sp_ctl_get_cstr(&m, "alias", alias, sizeof(alias)) != 0 ||
		    sp_ctl_get_cstr(&m, "role", role, sizeof(role)) != 0 ||
		    sp_ctl_get_bin(&m, "id", &p, &len) != 0 || len != 32)
			continue;
		writers = 0;
		has_key = false;
		(void)sp_ctl_get_uint(&m, "writers", &writers);
		(void)sp_ctl_get_bool(&m, "has_key", &has_key);
		sp_cli_id(id, p);
		printf("%-16s %-8s %-7llu %-4s %s\n", alias, role, (unsigned long long)writers,
		    has_key ? _("yes") : _("no"), id);
	}
	if (cli->json) {
		if (r == 0)
			sp_cli_print_json(list);
		else
			json_decref(list);
	} else if (r == 0 && n == 0) {
		printf("%s\n", _("(none yet: simpul community create ALIAS)"));
	}
	return r;
}

static int
writer_command(sp_cli *cli, bool remove)
{
	uint8_t node[32];
	sp_ctl_msg m;
	sp_buf req;
	int r;

	if ((r = parse_id(cli, cli->argv[1], node)) != 0)
		return r;
	if ((r = sp_cli_request(cli, &req, remove ? "community.remove-writer" : "community.add-writer",
	    remove ? 2 : 3)) != 0)
		return r;
	sp_pack_cstr(&req, "community");
	sp_pack_cstr(&req, cli->argv[0]);
	sp_pack_cstr(&req, "node");
	sp_pack_bin(&req, node, 32);
	if (!remove) {
		sp_pack_cstr(&req, "admin");
		sp_pack_bool(&req, (cli->given & SP_OPT_ADMIN) != 0);
	}
	if ((r = sp_cli_call(cli, &req, &m)) != 0)
		return r;
	if (cli->json)
		sp_cli_print_json(json_pack("{s:s, s:s, s:s}", "community", cli->argv[0],
		    "node", cli->argv[1], "change", remove ? "removed" : "added"));
	else if (remove)
		printf(_("%s may no longer write to %s.\n"), cli->argv[1], cli->argv[0]);
	else
		printf(_("%s may now write to %s%s.\n"), cli->argv[1], cli->argv[0],
		    (cli->given & SP_OPT_ADMIN) ? _(" as an admin") : "");
	return SP_EXIT_OK;
}

int
sp_cli_cmd_community_add_writer(sp_cli *cli)
{
	return writer_command(cli, false);
}

int
sp_cli_cmd_community_remove_writer(sp_cli *cli)
{
	return writer_command(cli, true);
}

int
sp_cli_cmd_community_export_key(sp_cli *cli)
{
	char pass[256];
	const uint8_t *file;
	sp_ctl_msg m;
	sp_buf req;
	size_t len;
	int r;

	if ((r = sp_cli_connect(cli)) != 0)
		return r;
	if ((r = sp_cli_passphrase(_("Passphrase for the key file: "), true, pass, sizeof(pass))) != 0)
		return sp_cli_fail(cli, r, _("a passphrase is needed (from the terminal, or one line on standard input)"));
	if ((r = sp_cli_request(cli, &req, "community.export-key", 2)) != 0)
		return r;
	sp_pack_cstr(&req, "community");
	sp_pack_cstr(&req, cli->argv[0]);
	sp_pack_cstr(&req, "passphrase");
	sp_pack_cstr(&req, pass);
	explicit_bzero(pass, sizeof(pass));
	if ((r = sp_cli_call(cli, &req, &m)) != 0)
		return r;
	if (sp_ctl_get_bin(&m, "file", &file, &len) != 0)
		return sp_cli_fail(cli, SP_EFRAME, "reply without the key file");
	if ((r = sp_file_write_secret(cli->argv[1], file, len, 1)) != 0)
		return sp_cli_fail(cli, r, cli->argv[1]);
	if (cli->json)
		sp_cli_print_json(json_pack("{s:s}", "file", cli->argv[1]));
	else
		printf(_("Saved the key of %s to %s (mode 0600). Keep it and its passphrase apart.\n"),
		    cli->argv[0], cli->argv[1]);
	return SP_EXIT_OK;
}

int
sp_cli_cmd_community_import_key(sp_cli *cli)
{
	char pass[256];
	uint8_t *file = NULL;
	sp_ctl_msg m;
	sp_buf req;
	size_t len;
	int r;

	if ((r = sp_file_read_all(cli->argv[0], KEY_FILE_MAX, &file, &len)) != 0)
		return sp_cli_fail(cli, r, cli->argv[0]);
	if ((r = sp_cli_connect(cli)) != 0)
		goto out;
	if ((r = sp_cli_passphrase(_("Passphrase of the key file: "), false, pass, sizeof(pass))) != 0) {
		r = sp_cli_fail(cli, r, _("a passphrase is needed (from the terminal, or one line on standard input)"));
		goto out;
	}
	if ((r = sp_cli_request(cli, &req, "community.import-key", cli->argc > 1 ? 3 : 2)) != 0)
		goto out;
	sp_pack_cstr(&req, "file");
	sp_pack_bin(&req, file, len);
	sp_pack_cstr(&req, "passphrase");
	sp_pack_cstr(&req, pass);
	explicit_bzero(pass, sizeof(pass));
	if (cli->argc > 1) {
		sp_pack_cstr(&req, "alias");
		sp_pack_cstr(&req, cli->argv[1]);
	}
	if ((r = sp_cli_call(cli, &req, &m)) != 0)
		goto out;
	r = print_community(cli, &m, false);
out:
	free(file);
	return r;
}
