#include "aggregator.h"

#include <stdlib.h>
#include <string.h>

#include "base32.h"
#include "log.h"
#include "sp_err.h"
#include "watch.h"

/* Every aggregate again: consents expire. */
#define PERIODIC_MS (3600u * 1000)

struct sp_aggregator {
	sp_node *node;
	uint8_t own[SP_PUBKEY_BYTES];
	sp_watch *watch;
};

static void
log_left_out(const uint8_t *id, const char *why, void *arg)
{
	char b32[SP_ID_STR_LEN + 1];

	sp_base32_encode(b32, id, SP_ID_BYTES);
	log_warn("aggregate %s: input %s left out: %s", (const char *)arg, b32, why);
}

static void
aggregate_run(void *arg, const uint8_t (*communities)[SP_PUBKEY_BYTES], size_t count,
    sp_written *written)
{
	sp_aggregator *a = arg;
	char (*keys)[SP_SUMMARY_KEY_MAX + 1];
	sp_written out;
	size_t nkeys, i;
	int r;

	if ((r = sp_node_aggregate_keys(a->node, communities, count, &keys, &nkeys)) != 0) {
		log_warn("aggregates: cannot list what to aggregate: %s", sp_strerror(r));
		return;
	}
	for (i = 0; i < nkeys; i++) {
		r = sp_node_aggregate_update(a->node, keys[i], log_left_out, keys[i], &out);
		if (r != 0) {
			log_warn("aggregate %s: not written: %s%s", keys[i], sp_strerror(r),
			    r == SP_ETOOBIG ? " (too many inputs for one record: put hubs between)" : "");
			continue;
		}
		sp_written_add(written, &out);
		if (out.n > 0)
			log_info("aggregate %s: written", keys[i]);
	}
	free(keys);
}

/* What the hub writes in its own community is no reason to aggregate again. */
static bool
aggregate_wants(void *arg, const sp_area *area)
{
	const sp_aggregator *a = arg;

	return memcmp(area->community, a->own, SP_PUBKEY_BYTES) != 0;
}

int
sp_aggregator_start(uv_loop_t *loop, sp_node *node, sp_work *work, sp_sessions *ss,
    const uint8_t own[SP_PUBKEY_BYTES], sp_aggregator **out)
{
	sp_watch_ops ops = { aggregate_wants, aggregate_run, NULL, "aggregates", PERIODIC_MS };
	sp_aggregator *a;
	int r;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return SP_ENOMEM;
	a->node = node;
	memcpy(a->own, own, SP_PUBKEY_BYTES);
	ops.arg = a;
	if ((r = sp_watch_start(loop, node, work, ss, &ops, &a->watch)) != 0) {
		free(a);
		return r;
	}
	*out = a;
	return 0;
}

void
sp_aggregator_close(sp_aggregator *a)
{
	if (a != NULL)
		sp_watch_close(a->watch);
}

void
sp_aggregator_free(sp_aggregator *a)
{
	if (a == NULL)
		return;
	sp_watch_free(a->watch);
	free(a);
}
