#include "publish.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sp_err.h"
#include "summary.h"

/* Every community again, for a new period. */
#define PERIODIC_MS   (3600u * 1000)
/* Definitions published per community in one job. */
#define MAX_NAMES     64

static int
collect_name(void *arg, const char *name, const sp_definition *d, const uint8_t id[SP_ID_BYTES])
{
	char (*names)[SP_SUMMARY_NAME_MAX + 1] = ((void **)arg)[0];
	size_t *n = ((void **)arg)[1];

	(void)d;
	(void)id;
	if (*n == MAX_NAMES)
		return SP_ETOOBIG;
	memcpy(names[(*n)++], name, strlen(name) + 1);
	return 0;
}

static int
no_consent(void *arg, const sp_consent *c, bool current)
{
	(void)arg;
	(void)c;
	(void)current;
	return 0;
}

/* Every definition of one community, published; what was written added to written. */
static void
publish_community(sp_node *node, const uint8_t community[SP_PUBKEY_BYTES], sp_written *written)
{
	char names[MAX_NAMES][SP_SUMMARY_NAME_MAX + 1];
	size_t n = 0, i;
	void *arg[2] = { names, &n };
	sp_summary_walk walk = { collect_name, no_consent, arg };
	sp_written out;
	int r;

	if ((r = sp_node_summary_each(node, community, &walk)) != 0 && r != SP_ETOOBIG) {
		log_warn("summaries: cannot list the definitions: %s", sp_strerror(r));
		return;
	}
	for (i = 0; i < n; i++) {
		r = sp_node_summary_publish(node, community, names[i], sp_node_now_ms(node), &out);
		/* A node that is no writer of the community publishes nothing: not an error. */
		if (r != 0 && r != SP_ENOTWRITER && r != SP_ENOCHARTER) {
			log_warn("summary %s: not published: %s", names[i], sp_strerror(r));
			continue;
		}
		sp_written_add(written, &out);
		if (out.n > 0)
			log_info("summary %s: published (%zu records)", names[i], out.n);
	}
}

static void
publish_run(void *arg, const uint8_t (*communities)[SP_PUBKEY_BYTES], size_t count,
    sp_written *written)
{
	size_t i;

	for (i = 0; i < count; i++)
		publish_community(arg, communities[i], written);
}

/* What this node publishes is no reason to publish again. */
static bool
publish_wants(void *arg, const sp_area *area)
{
	(void)arg;
	return strncmp(area->collection, SP_SUMMARY_COLLECTION,
	    strlen(SP_SUMMARY_COLLECTION)) != 0;
}

int
sp_publisher_start(uv_loop_t *loop, sp_node *node, sp_work *work, sp_sessions *ss,
    sp_watch **out)
{
	const sp_watch_ops ops = { publish_wants, publish_run, node, "summaries", PERIODIC_MS };

	return sp_watch_start(loop, node, work, ss, &ops, out);
}
