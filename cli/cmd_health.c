/*
 * simpul report health [--format table|json]: every community the node
 * knows (on a hub: the communities below it) with the heartbeats it holds
 * of each (docs/HUBS.md, "Reports"): each writer's software, when it
 * wrote its heartbeat and how long ago that is, and per peer when its
 * last complete sync ended and how many records were still to send. A
 * community with no heartbeat is listed as such. With --format json (or
 * --json), one JSON object per community and line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base32.h"
#include "cli.h"
#include "heartbeat.h"
#include "hlc.h"
#include "i18n.h"
#include "sp_err.h"

typedef struct health_print {
	bool json;
	uint8_t community[SP_PUBKEY_BYTES];   /* of the last item */
	bool any;                             /* an item came */
	json_t *gathered;                     /* json: the community being gathered */
	sp_heartbeat hb;
} health_print;

static uint64_t
age(uint64_t then_ms, uint64_t now_ms)
{
	return now_ms > then_ms ? now_ms - then_ms : 0;
}

static void
flush_community(health_print *hp)
{
	if (hp->gathered == NULL)
		return;
	json_dumpf(hp->gathered, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(hp->gathered);
	hp->gathered = NULL;
}

/* A new community: its header (table) or its object (json). */
static void
begin_community(health_print *hp, const char *alias, const uint8_t id[SP_PUBKEY_BYTES])
{
	char idstr[SP_ID_STR_LEN + 1];

	sp_cli_id(idstr, id);
	if (!hp->json) {
		printf("%s%s  %s\n", hp->any ? "\n" : "", alias, idstr);
		return;
	}
	hp->gathered = json_pack("{s:s, s:s, s:[]}", "alias", alias, "community", idstr,
	    "heartbeats");
}

static void
print_heartbeat(const health_print *hp, const uint8_t node[SP_PUBKEY_BYTES], uint64_t now_ms)
{
	const sp_heartbeat *hb = &hp->hb;
	char idstr[SP_ID_STR_LEN + 1], when[32], ago[32];
	size_t i;

	sp_cli_id(idstr, node);
	sp_cli_time(when, sizeof(when), SP_HLC_MAKE(hb->time_ms, 0));
	sp_cli_ago(ago, sizeof(ago), hb->time_ms, now_ms);
	printf(_("  node %.8s  %s  heartbeat %s UTC, %s\n"), idstr, hb->software, when, ago);
	if (hb->npeers == 0)
		printf("%s\n", _("    no peers"));
	for (i = 0; i < hb->npeers; i++) {
		sp_cli_id(idstr, hb->peers[i].node);
		sp_cli_ago(ago, sizeof(ago), hb->peers[i].last_sync_ms, now_ms);
		printf(_("    peer %.8s  synced %-8s  backlog %llu\n"), idstr, ago,
		    (unsigned long long)hb->peers[i].backlog);
	}
}

/* The heartbeat as JSON, with its lag and each peer's sync age (null: never synced). */
static json_t *
heartbeat_json(const health_print *hp, const uint8_t node[SP_PUBKEY_BYTES], uint64_t now_ms)
{
	const sp_heartbeat *hb = &hp->hb;
	char idstr[SP_ID_STR_LEN + 1];
	json_t *peers, *sync_age;
	size_t i;

	if ((peers = json_array()) == NULL)
		return NULL;
	for (i = 0; i < hb->npeers; i++) {
		const sp_heartbeat_peer *p = &hb->peers[i];

		sp_cli_id(idstr, p->node);
		sync_age = p->last_sync_ms == 0 ? json_null() :
		    json_integer((json_int_t)age(p->last_sync_ms, now_ms));
		json_array_append_new(peers, json_pack("{s:I, s:I, s:s, s:o}",
		    "backlog", (json_int_t)p->backlog, "last_sync_ms", (json_int_t)p->last_sync_ms,
		    "node", idstr, "sync_age_ms", sync_age));
	}
	sp_cli_id(idstr, node);
	return json_pack("{s:I, s:s, s:o, s:s, s:I}", "lag_ms", (json_int_t)age(hb->time_ms, now_ms),
	    "node", idstr, "peers", peers, "software", hb->software,
	    "time_ms", (json_int_t)hb->time_ms);
}

/* One streamed item: a community, with one heartbeat of it or none. */
static int
print_item(sp_cli *cli, health_print *hp, const sp_ctl_msg *m)
{
	const uint8_t *id, *body, *node;
	char alias[SP_COLLECTION_MAX + 1];
	size_t len, body_len;
	uint64_t now_ms;
	int r;

	if (sp_ctl_get_bin(m, "community", &id, &len) != 0 || len != SP_PUBKEY_BYTES ||
	    sp_ctl_get_cstr(m, "alias", alias, sizeof(alias)) != 0 ||
	    sp_ctl_get_uint(m, "now", &now_ms) != 0)
		return sp_cli_fail(cli, SP_EFRAME, "a report.health item");
	if (!hp->any || memcmp(id, hp->community, SP_PUBKEY_BYTES) != 0) {
		flush_community(hp);
		begin_community(hp, alias, id);
		memcpy(hp->community, id, SP_PUBKEY_BYTES);
		hp->any = true;
	}
	if (sp_ctl_get_bin(m, "heartbeat", &body, &body_len) != 0) {
		if (!hp->json)
			printf("%s\n", _("  no heartbeat"));
		return 0;
	}
	if (sp_ctl_get_bin(m, "node", &node, &len) != 0 || len != SP_PUBKEY_BYTES)
		return sp_cli_fail(cli, SP_EFRAME, "a report.health item");
	if ((r = sp_heartbeat_decode(body, body_len, &hp->hb)) != 0)
		return sp_cli_fail(cli, r, NULL);
	if (hp->json)
		json_array_append_new(json_object_get(hp->gathered, "heartbeats"),
		    heartbeat_json(hp, node, now_ms));
	else
		print_heartbeat(hp, node, now_ms);
	return 0;
}

int
sp_cli_cmd_report_health(sp_cli *cli)
{
	health_print *hp;
	sp_ctl_msg m;
	sp_buf req;
	bool more;
	int r;

	if ((cli->given & SP_OPT_FORMAT) && strcmp(cli->format, "json") != 0 &&
	    strcmp(cli->format, "table") != 0)
		return sp_cli_usage(cli, _("unknown format '%s': use table or json"), cli->format);
	if ((r = sp_cli_request(cli, &req, "report.health", 0)) != 0)
		return r;
	if ((r = sp_cli_send(cli, &req)) != 0)
		return r;
	if ((hp = calloc(1, sizeof(*hp))) == NULL)
		return sp_cli_fail(cli, SP_ENOMEM, NULL);
	hp->json = cli->json || ((cli->given & SP_OPT_FORMAT) && strcmp(cli->format, "json") == 0);
	while ((r = sp_cli_next(cli, &m, &more)) == 0 && more)
		if ((r = print_item(cli, hp, &m)) != 0)
			break;
	if (r == 0) {
		flush_community(hp);
		if (!hp->any && !hp->json)
			printf("%s\n", _("No communities."));
	}
	json_decref(hp->gathered);
	free(hp);
	return r;
}
