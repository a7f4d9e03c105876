/* simpul peer add | ls | rm | sync, and the peer table status shows. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base32.h"
#include "cli.h"
#include "i18n.h"
#include "pack.h"
#include "policy.h"
#include "reader.h"
#include "sp_err.h"

static void
pack_specs(sp_buf *req, const char *name, const char *const *v, size_t n)
{
	size_t i;

	sp_pack_cstr(req, name);
	sp_pack_array(req, (uint32_t)n);
	for (i = 0; i < n; i++)
		sp_pack_cstr(req, v[i]);
}

int
sp_cli_cmd_peer_add(sp_cli *cli)
{
	uint8_t node[32];
	sp_spec spec;
	sp_ctl_msg m;
	sp_buf req;
	size_t i;
	int r;

	if (sp_base32_decode(node, 32, cli->argv[1], strlen(cli->argv[1])) != 0)
		return sp_cli_fail(cli, SP_EID, cli->argv[1]);
	/* Check the SPECs here, so that a typo is named before anything is sent. */
	for (i = 0; i < cli->noffers + cli->nwants; i++) {
		const char *s = i < cli->noffers ? cli->offers[i] : cli->wants[i - cli->noffers];

		if ((r = sp_spec_parse(s, &spec)) != 0) {
			char detail[512];

			sp_spec_explain(detail, sizeof(detail), s, r);
			return sp_cli_fail(cli, r, detail);
		}
	}
	if ((r = sp_cli_request(cli, &req, "peer.add", 5)) != 0)
		return r;
	sp_pack_cstr(&req, "name");
	sp_pack_cstr(&req, cli->argv[0]);
	sp_pack_cstr(&req, "node");
	sp_pack_bin(&req, node, 32);
	sp_pack_cstr(&req, "address");
	sp_pack_cstr(&req, cli->argc > 2 ? cli->argv[2] : "");
	pack_specs(&req, "offers", cli->offers, cli->noffers);
	pack_specs(&req, "wants", cli->wants, cli->nwants);
	if ((r = sp_cli_call(cli, &req, &m)) != 0)
		return r;
	if (cli->json)
		sp_cli_print_json(json_pack("{s:s, s:s}", "peer", cli->argv[0], "node", cli->argv[1]));
	else if (cli->argc > 2)
		printf(_("Peer %s added; simpuld dials %s.\n"), cli->argv[0], cli->argv[2]);
	else
		printf(_("Peer %s added; it must dial this node (inbound only).\n"), cli->argv[0]);
	return SP_EXIT_OK;
}

/* peer.rm or peer.sync on argv[0]; done is the message, with the name appended. */
static int
simple_peer_command(sp_cli *cli, const char *cmd, const char *done)
{
	sp_ctl_msg m;
	sp_buf req;
	int r;

	if ((r = sp_cli_request(cli, &req, cmd, 1)) != 0)
		return r;
	sp_pack_cstr(&req, "name");
	sp_pack_cstr(&req, cli->argv[0]);
	if ((r = sp_cli_call(cli, &req, &m)) != 0)
		return r;
	if (cli->json)
		sp_cli_print_json(json_pack("{s:s, s:b}", "peer", cli->argv[0], "ok", 1));
	else
		printf("%s: %s\n", cli->argv[0], done);
	return SP_EXIT_OK;
}

int
sp_cli_cmd_peer_rm(sp_cli *cli)
{
	return simple_peer_command(cli, "peer.rm", _("removed"));
}

int
sp_cli_cmd_peer_sync(sp_cli *cli)
{
	return simple_peer_command(cli, "peer.sync", _("reconciling now"));
}

void
sp_cli_print_peers(const sp_ctl_msg *m)
{
	json_t *peers = sp_cli_field_json(m, "peers"), *p;
	char hs[24], sync[24], in[16], out[16], id[16];
	uint64_t now = (uint64_t)time(NULL) * 1000;
	size_t i;

	if (peers == NULL || json_array_size(peers) == 0) {
		printf("%s\n", _("Peers:       none (add one with 'simpul peer add')"));
		json_decref(peers);
		return;
	}
	printf("\n%-12s %-9s %-21s %-10s %-10s %-10s %7s %7s %6s %6s  %s\n", _("PEER"), _("NODE"),
	    _("ADDRESS"), _("STATE"), _("HANDSHAKE"), _("SYNCED"), _("TO-SEND"), _("TO-RECV"),
	    _("IN"), _("OUT"), _("LAST ERROR"));
	json_array_foreach(peers, i, p) {
		snprintf(id, sizeof(id), "%.8s", json_string_value(json_object_get(p, "node")));
		sp_cli_ago(hs, sizeof(hs),
		    (uint64_t)json_integer_value(json_object_get(p, "last_handshake_ms")), now);
		sp_cli_ago(sync, sizeof(sync),
		    (uint64_t)json_integer_value(json_object_get(p, "last_sync_ms")), now);
		sp_cli_bytes(in, sizeof(in), (uint64_t)json_integer_value(json_object_get(p, "bytes_in")));
		sp_cli_bytes(out, sizeof(out), (uint64_t)json_integer_value(json_object_get(p, "bytes_out")));
		printf("%-12s %-9s %-21s %-10s %-10s %-10s %7lld %7lld %6s %6s  %s\n",
		    json_string_value(json_object_get(p, "name")), id,
		    *json_string_value(json_object_get(p, "address")) != '\0' ?
		    json_string_value(json_object_get(p, "address")) : _("(inbound)"),
		    json_string_value(json_object_get(p, "state")), hs, sync,
		    (long long)json_integer_value(json_object_get(p, "to_send")),
		    (long long)json_integer_value(json_object_get(p, "to_receive")), in, out,
		    json_string_value(json_object_get(p, "last_error")));
	}
	json_decref(peers);
}

int
sp_cli_cmd_peer_ls(sp_cli *cli)
{
	json_t *peers, *p, *v;
	sp_ctl_msg m;
	bool printed;
	size_t i, j;
	int r;

	if ((r = sp_cli_show(cli, "peer.ls", &m, &printed)) != 0 || printed)
		return r;
	sp_cli_print_peers(&m);
	peers = sp_cli_field_json(&m, "peers");
	json_array_foreach(peers, i, p) {
		printf("\n%s %s\n", json_string_value(json_object_get(p, "name")),
		    json_string_value(json_object_get(p, "node")));
		json_array_foreach(json_object_get(p, "offers"), j, v)
			printf(_("  offers %s\n"), json_string_value(v));
		json_array_foreach(json_object_get(p, "wants"), j, v)
			printf(_("  wants  %s\n"), json_string_value(v));
		printf(_("  records in %lld (stored %lld, rejected %lld)\n"),
		    (long long)json_integer_value(json_object_get(p, "records_in")),
		    (long long)json_integer_value(json_object_get(p, "records_accepted")),
		    (long long)json_integer_value(json_object_get(p, "records_rejected")));
	}
	json_decref(peers);
	return SP_EXIT_OK;
}
