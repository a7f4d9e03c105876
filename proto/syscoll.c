#include "syscoll.h"

#include <string.h>

#include "aggregate.h"
#include "base32.h"
#include "charter.h"
#include "definition.h"
#include "heartbeat.h"
#include "sp_err.h"
#include "summary.h"

static int
check_charter_body(const sp_record *rec, const uint8_t *hub)
{
	sp_charter *c;
	int r;

	(void)hub;
	if ((r = sp_charter_decode(rec->body, rec->body_len, &c)) == 0)
		sp_charter_free(c);
	return r;
}

/* The key of a definition or a consent: the summary's NAME. */
static int
check_name_key(const char *key, size_t len)
{
	return sp_alias_check(key, len);
}

static int
check_definition_body(const sp_record *rec, const uint8_t *hub)
{
	sp_definition d;

	(void)hub;
	return sp_definition_decode(rec->body, rec->body_len, &d);
}

/* A consent names the summary its key names, and the hub its collection names. */
static int
check_consent_body(const sp_record *rec, const uint8_t *hub)
{
	sp_consent c;
	int r;

	if ((r = sp_consent_decode(rec->body, rec->body_len, &c)) != 0)
		return r;
	if (strlen(c.name) != rec->key_len || memcmp(c.name, rec->key, rec->key_len) != 0 ||
	    memcmp(c.hub, hub, SP_PUBKEY_BYTES) != 0)
		return SP_ECONSENT;
	return 0;
}

/* A summary's key: NAME/PERIOD. */
static int
check_summary_key(const char *key, size_t len)
{
	const char *slash = memchr(key, '/', len);

	if (slash == NULL || sp_alias_check(key, (size_t)(slash - key)) != 0 ||
	    !sp_period_valid(slash + 1, len - (size_t)(slash - key) - 1))
		return SP_ESUMMARY;
	return 0;
}

/* Whether the record's key is NAME/PERIOD. */
static bool
key_names(const sp_record *rec, const char *name, const char *period)
{
	size_t n = strlen(name);

	return rec->key_len == n + 1 + strlen(period) && memcmp(rec->key, name, n) == 0 &&
	    rec->key[n] == '/' && memcmp(rec->key + n + 1, period, rec->key_len - n - 1) == 0;
}

/* A summary's body names the summary and period of its key. */
static int
check_summary_body(const sp_record *rec, const uint8_t *hub)
{
	sp_summary *s;
	int r;

	(void)hub;
	if ((r = sp_summary_decode(rec->body, rec->body_len, &s)) != 0)
		return r;
	if (!key_names(rec, sp_summary_name(s), sp_summary_period(s)))
		r = SP_ESUMMARY;
	sp_summary_free(s);
	return r;
}

/* So does an aggregate's. */
static int
check_aggregate_body(const sp_record *rec, const uint8_t *hub)
{
	sp_aggregate *a;
	int r;

	(void)hub;
	if ((r = sp_aggregate_decode(rec->body, rec->body_len, &a)) != 0)
		return r;
	if (!key_names(rec, sp_aggregate_name(a), sp_aggregate_period(a)))
		r = SP_EAGGREGATE;
	sp_aggregate_free(a);
	return r;
}

/* A node id in its only spelling (52 lowercase base32 characters), decoded into id. */
static bool
id_spelled(const char *s, size_t len, uint8_t id[SP_PUBKEY_BYTES])
{
	char spelling[SP_ID_STR_LEN + 1];

	if (len != SP_ID_STR_LEN || sp_base32_decode(id, SP_PUBKEY_BYTES, s, len) != 0)
		return false;
	sp_base32_encode(spelling, id, SP_PUBKEY_BYTES);
	return memcmp(spelling, s, len) == 0;
}

/* A heartbeat's key: the id of the node that wrote it. */
static int
check_heartbeat_key(const char *key, size_t len)
{
	uint8_t id[SP_PUBKEY_BYTES];

	return id_spelled(key, len, id) ? 0 : SP_EHEARTBEAT;
}

/* A node writes its own heartbeat only: the key is its author's id. */
static int
check_heartbeat_body(const sp_record *rec, const uint8_t *hub)
{
	uint8_t id[SP_PUBKEY_BYTES];
	sp_heartbeat hb;

	(void)hub;
	if (!id_spelled(rec->key, rec->key_len, id) ||
	    memcmp(id, rec->author, SP_PUBKEY_BYTES) != 0)
		return SP_EHEARTBEAT;
	return sp_heartbeat_decode(rec->body, rec->body_len, &hb);
}

static const sp_syscoll syscolls[] = {
	{
		.name = SP_CHARTER_COLLECTION,
		.shown_as = "the community's charter: its writers and admins",
		.key = SP_CHARTER_KEY,
		.label = SP_LABEL_PUBLIC,
		.writer = SP_SYS_COMMUNITY_KEY,
		.travel = SP_SYS_MEMBERS_AND_PARTNERS,
		.at_hubs = true,
		.phase = 0,
		.check_body = check_charter_body,
		.shape_error = SP_ECHARTER,
	},
	{
		.name = SP_DEFINITION_COLLECTION,
		.shown_as = "summary definitions ('simpul summary ls')",
		.check_key = check_name_key,
		.label = SP_LABEL_COMMUNITY,
		.writer = SP_SYS_ADMIN,
		.tombstones = true,
		.travel = SP_SYS_MEMBERS,
		.phase = 1,
		.check_body = check_definition_body,
		.shape_error = SP_EDEFINITION,
	},
	{
		.name = SP_CONSENT_COLLECTION,
		.shown_as = "consents to the hub named after the dot",
		.per_hub = true,
		.check_key = check_name_key,
		.label = SP_LABEL_PUBLIC,
		.writer = SP_SYS_ADMIN,
		.tombstones = true,
		.travel = SP_SYS_HUB,
		.at_hubs = true,
		.phase = 1,
		.check_body = check_consent_body,
		.shape_error = SP_ECONSENT,
	},
	{
		.name = SP_SUMMARY_COLLECTION,
		.shown_as = "summaries published to the hub named after the dot",
		.per_hub = true,
		.check_key = check_summary_key,
		.label = SP_LABEL_PUBLIC,
		.writer = SP_SYS_WRITER,
		.tombstones = true,
		.travel = SP_SYS_HUB,
		.at_hubs = true,
		.phase = 1,
		.check_body = check_summary_body,
		.shape_error = SP_ESUMMARY,
	},
	{
		.name = SP_HEARTBEAT_COLLECTION,
		.shown_as = "heartbeats: each writer's software and replication state, for hubs",
		.check_key = check_heartbeat_key,
		.label = SP_LABEL_PUBLIC,
		.writer = SP_SYS_WRITER,
		.travel = SP_SYS_TO_HUBS,
		.at_hubs = true,
		.phase = 1,
		.check_body = check_heartbeat_body,
		.shape_error = SP_EHEARTBEAT,
	},
	{
		.name = SP_AGGREGATE_COLLECTION,
		.shown_as = "a hub's aggregates of the summaries it holds ('simpul report')",
		.check_key = check_summary_key,
		.label = SP_LABEL_PUBLIC,
		.writer = SP_SYS_WRITER,
		.travel = SP_SYS_UPWARD,
		.at_hubs = true,
		.phase = 1,
		.check_body = check_aggregate_body,
		.shape_error = SP_EAGGREGATE,
	},
};

#define NROWS (sizeof(syscolls) / sizeof(syscolls[0]))

const sp_syscoll *
sp_syscoll_find_hub(const char *collection, size_t len, uint8_t hub[SP_PUBKEY_BYTES])
{
	uint8_t id[SP_PUBKEY_BYTES];
	size_t i, n;

	for (i = 0; i < NROWS; i++) {
		n = strlen(syscolls[i].name);
		if (!syscolls[i].per_hub) {
			if (n == len && memcmp(syscolls[i].name, collection, len) == 0)
				return &syscolls[i];
			continue;
		}
		/* The prefix, then exactly one id in its only spelling (lower case). */
		if (len < n || memcmp(syscolls[i].name, collection, n) != 0 ||
		    !id_spelled(collection + n, len - n, id))
			continue;
		if (hub != NULL)
			memcpy(hub, id, sizeof(id));
		return &syscolls[i];
	}
	return NULL;
}

const sp_syscoll *
sp_syscoll_find(const char *collection, size_t len)
{
	return sp_syscoll_find_hub(collection, len, NULL);
}

void
sp_syscoll_hub_collection(const sp_syscoll *sc, const uint8_t hub[SP_PUBKEY_BYTES], char *out)
{
	size_t n = strlen(sc->name);

	memcpy(out, sc->name, n);
	sp_base32_encode(out + n, hub, SP_PUBKEY_BYTES);
}

const sp_syscoll *
sp_syscoll_row(const char *name)
{
	size_t i;

	for (i = 0; i < NROWS; i++)
		if (strcmp(syscolls[i].name, name) == 0)
			return &syscolls[i];
	return NULL;
}

const sp_syscoll *
sp_syscoll_at(size_t i)
{
	return i < NROWS ? &syscolls[i] : NULL;
}

const sp_syscoll *
sp_syscoll_charter(void)
{
	return &syscolls[0];
}

int
sp_syscoll_check(const sp_syscoll *sc, const sp_record *rec)
{
	uint8_t hub[SP_PUBKEY_BYTES];
	bool key_ok;

	if (sc->key != NULL)
		key_ok = rec->key_len == strlen(sc->key) && memcmp(rec->key, sc->key, rec->key_len) == 0;
	else
		key_ok = sc->check_key(rec->key, rec->key_len) == 0;
	if (!key_ok || rec->label != sc->label || (rec->flags & SP_FLAG_ERASED) ||
	    ((rec->flags & SP_FLAG_TOMBSTONE) && !sc->tombstones))
		return sc->shape_error;
	if (rec->flags & SP_FLAG_TOMBSTONE)
		return 0;
	memset(hub, 0, sizeof(hub));
	if (sc->per_hub && sp_syscoll_find_hub(rec->collection, rec->collection_len, hub) != sc)
		return sc->shape_error;
	return sc->check_body(rec, hub);
}
