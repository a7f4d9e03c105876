/* simpul init, id, status, stop. */
#include <stdio.h>
#include <string.h>

#include "base32.h"
#include "cli.h"
#include "crypto.h"
#include "datadir.h"
#include "i18n.h"
#include "identity.h"
#include "pack.h"
#include "sp_err.h"

int
sp_cli_cmd_init(sp_cli *cli)
{
	uint8_t pk[32];
	char id[SP_ID_STR_LEN + 1];
	int r;

	if ((r = sp_identity_create(cli->data_dir, pk)) != 0)
		return sp_cli_fail(cli, r, r == SP_EEXIST ?
		    _("this data directory already has a node key") : cli->data_dir);
	sp_cli_id(id, pk);
	if (cli->json) {
		sp_cli_print_json(json_pack("{s:s, s:s}", "node", id, "data_dir", cli->data_dir));
	} else {
		printf(_("Initialised %s\nNode id: %s\nNext: start the daemon with 'simpuld'.\n"),
		    cli->data_dir, id);
	}
	return SP_EXIT_OK;
}

int
sp_cli_cmd_id(sp_cli *cli)
{
	uint8_t sk[64], pk[32];
	char id[SP_ID_STR_LEN + 1];
	int r;

	r = sp_identity_load(cli->data_dir, sk, pk);
	sp_memzero(sk, sizeof(sk));
	if (sp_identity_file_error(r)) {
		char path[SP_PATH_MAX];

		if (sp_identity_path(cli->data_dir, path, sizeof(path)) == 0)
			return sp_cli_fail(cli, r, path);
	}
	if (r != 0)
		return sp_cli_fail(cli, r, cli->data_dir);
	sp_cli_id(id, pk);
	if (cli->json)
		sp_cli_print_json(json_pack("{s:s}", "node", id));
	else
		printf("%s\n", id);
	return SP_EXIT_OK;
}

static uint64_t
field_uint(const sp_ctl_msg *m, const char *name)
{
	uint64_t v = 0;

	(void)sp_ctl_get_uint(m, name, &v);
	return v;
}

int
sp_cli_cmd_status(sp_cli *cli)
{
	sp_ctl_msg m;
	const uint8_t *node;
	size_t len;
	char id[SP_ID_STR_LEN + 1], dir[4096], size[32];
	bool printed;
	uint64_t up;
	int r;

	if ((r = sp_cli_show(cli, "status", &m, &printed)) != 0 || printed)
		return r;
	if (sp_ctl_get_bin(&m, "node", &node, &len) != 0 || len != 32)
		return sp_cli_fail(cli, SP_EFRAME, "status without a node id");
	sp_cli_id(id, node);
	if (sp_ctl_get_cstr(&m, "data_dir", dir, sizeof(dir)) != 0)
		dir[0] = '\0';
	up = field_uint(&m, "uptime_ms") / 1000;
	sp_cli_bytes(size, sizeof(size), field_uint(&m, "store_bytes"));
	printf(_("Node:        %s\n"), id);
	printf(_("Data:        %s\n"), dir);
	printf(_("Daemon:      running (pid %llu), up %llud %02lluh%02llum%02llus\n"),
	    (unsigned long long)field_uint(&m, "pid"), (unsigned long long)(up / 86400),
	    (unsigned long long)(up / 3600 % 24), (unsigned long long)(up / 60 % 60),
	    (unsigned long long)(up % 60));
	printf(_("Communities: %llu\n"), (unsigned long long)field_uint(&m, "communities"));
	printf(_("Records:     %llu (store %s)\n"), (unsigned long long)field_uint(&m, "records"), size);
	printf(_("Imports:     %llu running\n"), (unsigned long long)field_uint(&m, "imports"));
	if (sp_ctl_get_cstr(&m, "listen", dir, sizeof(dir)) == 0)
		printf(_("Listening:   %s\n"), dir);
	sp_cli_print_peers(&m);
	return SP_EXIT_OK;
}

int
sp_cli_cmd_stop(sp_cli *cli)
{
	sp_ctl_msg m;
	sp_buf req;
	int r;

	if ((r = sp_cli_request(cli, &req, "stop", 0)) != 0)
		return r;
	if ((r = sp_cli_call(cli, &req, &m)) != 0)
		return r;
	if (cli->json)
		sp_cli_print_json(json_pack("{s:b}", "stopped", 1));
	else
		printf("%s\n", _("simpuld is stopping."));
	return SP_EXIT_OK;
}
