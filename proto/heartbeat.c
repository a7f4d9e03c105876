#include "heartbeat.h"

#include <string.h>

#include "pack.h"
#include "reader.h"
#include "sp_err.h"

int
sp_heartbeat_add_peer(sp_heartbeat *hb, const uint8_t node[SP_PUBKEY_BYTES],
    uint64_t last_sync_ms, uint64_t backlog)
{
	size_t i;
	int c = 1;

	for (i = 0; i < hb->npeers && (c = memcmp(hb->peers[i].node, node, SP_PUBKEY_BYTES)) < 0; i++)
		;
	if (i < hb->npeers && c == 0)
		return SP_EEXIST;
	if (hb->npeers == SP_HEARTBEAT_MAX_PEERS)
		return SP_ETOOBIG;
	memmove(&hb->peers[i + 1], &hb->peers[i], (hb->npeers - i) * sizeof(hb->peers[0]));
	memcpy(hb->peers[i].node, node, SP_PUBKEY_BYTES);
	hb->peers[i].last_sync_ms = last_sync_ms;
	hb->peers[i].backlog = backlog;
	hb->npeers++;
	return 0;
}

/* 1-64 bytes of printable ASCII: shown as it is in reports, whatever the terminal. */
static bool
software_ok(const char *s)
{
	size_t i, len = strnlen(s, SP_HEARTBEAT_SOFTWARE_MAX + 1);

	if (len < 1 || len > SP_HEARTBEAT_SOFTWARE_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

int
sp_heartbeat_check(const sp_heartbeat *hb)
{
	size_t i;

	if (!software_ok(hb->software) || hb->npeers > SP_HEARTBEAT_MAX_PEERS)
		return SP_EHEARTBEAT;
	for (i = 1; i < hb->npeers; i++)
		if (memcmp(hb->peers[i - 1].node, hb->peers[i].node, SP_PUBKEY_BYTES) >= 0)
			return SP_EHEARTBEAT;
	return 0;
}

int
sp_heartbeat_encode(const sp_heartbeat *hb, sp_buf *out)
{
	size_t i;

	if (sp_heartbeat_check(hb) != 0)
		return SP_EHEARTBEAT;
	sp_pack_map(out, 3);
	sp_pack_cstr(out, "peers");
	sp_pack_array(out, (uint32_t)hb->npeers);
	for (i = 0; i < hb->npeers; i++) {
		sp_pack_map(out, 3);
		sp_pack_cstr(out, "backlog");
		sp_pack_uint(out, hb->peers[i].backlog);
		sp_pack_cstr(out, "last_sync");
		sp_pack_uint(out, hb->peers[i].last_sync_ms);
		sp_pack_cstr(out, "node");
		sp_pack_bin(out, hb->peers[i].node, SP_PUBKEY_BYTES);
	}
	sp_pack_cstr(out, "software");
	sp_pack_cstr(out, hb->software);
	sp_pack_cstr(out, "time");
	sp_pack_uint(out, hb->time_ms);
	return out->err;
}

static bool
read_peer(sp_reader *r, sp_heartbeat_peer *p)
{
	const uint8_t *node;
	size_t len;
	uint32_t n;

	if (sp_read_map(r, &n) != 0 || n != 3 ||
	    !sp_read_name(r, "backlog") || sp_read_uint(r, &p->backlog) != 0 ||
	    !sp_read_name(r, "last_sync") || sp_read_uint(r, &p->last_sync_ms) != 0 ||
	    !sp_read_name(r, "node") || sp_read_bin(r, &node, &len) != 0 || len != SP_PUBKEY_BYTES)
		return false;
	memcpy(p->node, node, SP_PUBKEY_BYTES);
	return true;
}

static bool
read_heartbeat(sp_reader *r, sp_heartbeat *hb)
{
	uint32_t n, i;

	/* The count is bounded before any peer is read: the array is fixed. */
	if (sp_read_map(r, &n) != 0 || n != 3 || !sp_read_name(r, "peers") ||
	    sp_read_array(r, &n) != 0 || n > SP_HEARTBEAT_MAX_PEERS)
		return false;
	hb->npeers = n;
	for (i = 0; i < n; i++)
		if (!read_peer(r, &hb->peers[i]))
			return false;
	return sp_read_name(r, "software") &&
	    sp_read_text(r, hb->software, SP_HEARTBEAT_SOFTWARE_MAX) &&
	    sp_read_name(r, "time") && sp_read_uint(r, &hb->time_ms) == 0 &&
	    sp_reader_end(r) == 0;
}

int
sp_heartbeat_decode(const uint8_t *body, size_t len, sp_heartbeat *out)
{
	sp_reader r;

	memset(out, 0, sizeof(*out));
	sp_reader_init(&r, body, len);
	if (!read_heartbeat(&r, out) || sp_heartbeat_check(out) != 0) {
		memset(out, 0, sizeof(*out));
		return SP_EHEARTBEAT;
	}
	return 0;
}
