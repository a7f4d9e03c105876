#include "heartbeats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base32.h"
#include "charter.h"
#include "heartbeat.h"
#include "log.h"
#include "sp_err.h"

/* Hubs of one community looked through for its peers. */
#define MAX_HUBS 256

struct sp_heartbeats {
	sp_node *node;
	sp_work *work;
	sp_sessions *ss;
	sp_peers *peers;
	uv_timer_t timer;
	bool closing;
	bool running;              /* a job is on the write queue */
};

/* A configured peer as its figures stood when the job was queued. */
typedef struct peer_figures {
	uint8_t node[SP_PUBKEY_BYTES];
	uint64_t last_sync_ms;
	uint64_t backlog;
} peer_figures;

/* A community a peer's policy names (offers or wants). */
typedef struct peer_names {
	size_t peer;               /* index into the job's peers */
	uint8_t community[SP_PUBKEY_BYTES];
} peer_names;

typedef struct beat_job {
	sp_task task;
	sp_heartbeats *h;
	peer_figures *peers;
	size_t npeers, peers_cap;
	peer_names *names;
	size_t nnames, names_cap;
	int err;                   /* of the snapshot: ENOMEM */
	sp_heartbeat hb;           /* the one being written */
	uint8_t hubs[MAX_HUBS][SP_PUBKEY_BYTES];
	sp_written written;        /* everything written, for the sessions */
} beat_job;

/* Grows *v (of *cap elements of size) to hold n + 1. */
static int
grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *p;

	if (n < *cap)
		return 0;
	if ((p = realloc(*v, (*cap * 2 + 8) * size)) == NULL)
		return SP_ENOMEM;
	*v = p;
	*cap = *cap * 2 + 8;
	return 0;
}

static void
add_name(beat_job *j, const uint8_t community[SP_PUBKEY_BYTES])
{
	if (j->err != 0 ||
	    (j->err = grow((void **)&j->names, &j->names_cap, j->nnames, sizeof(*j->names))) != 0)
		return;
	j->names[j->nnames].peer = j->npeers - 1;
	memcpy(j->names[j->nnames++].community, community, SP_PUBKEY_BYTES);
}

/* Each configured peer's figures and the communities its policy names. */
static void
snapshot_peer(void *arg, const sp_peer_policy *pol, enum sp_peer_state state,
    const sp_peer_stats *st)
{
	beat_job *j = arg;
	size_t i;

	(void)state;
	if (j->err != 0 ||
	    (j->err = grow((void **)&j->peers, &j->peers_cap, j->npeers, sizeof(*j->peers))) != 0)
		return;
	memcpy(j->peers[j->npeers].node, pol->node, SP_PUBKEY_BYTES);
	j->peers[j->npeers].last_sync_ms = st->last_sync_ms;
	j->peers[j->npeers++].backlog = st->to_send;
	for (i = 0; i < pol->noffers; i++)
		add_name(j, pol->offers[i].community);
	for (i = 0; i < pol->nwants; i++)
		add_name(j, pol->wants[i].community);
}

static bool
names(const beat_job *j, size_t peer, const uint8_t community[SP_PUBKEY_BYTES])
{
	size_t i;

	for (i = 0; i < j->nnames; i++)
		if (j->names[i].peer == peer &&
		    memcmp(j->names[i].community, community, SP_PUBKEY_BYTES) == 0)
			return true;
	return false;
}

static bool
is_hub(const beat_job *j, size_t nhubs, const uint8_t node[SP_PUBKEY_BYTES])
{
	size_t i;

	for (i = 0; i < nhubs; i++)
		if (memcmp(j->hubs[i], node, SP_PUBKEY_BYTES) == 0)
			return true;
	return false;
}

/*
 * The heartbeat of one community into j->hb: 0, or SP_ENOTFOUND when
 * this node writes none there (not a writer, or no hub consented to).
 */
static int
compose(beat_job *j, const uint8_t community[SP_PUBKEY_BYTES])
{
	sp_node *node = j->h->node;
	sp_charter *c = NULL;
	size_t nhubs, i;
	sp_txn *t;
	int r;

	if ((r = sp_txn_begin(sp_node_store(node), false, &t)) != 0)
		return r;
	if ((r = sp_node_charter(t, community, &c)) != 0 ||
	    (r = sp_node_consented_hubs(t, community, sp_node_now_ms(node), j->hubs, MAX_HUBS,
	    &nhubs)) != 0)
		goto out;
	if (!sp_charter_is_writer(c, sp_node_id(node)) || nhubs == 0) {
		r = SP_ENOTFOUND;
		goto out;
	}
	memset(&j->hb, 0, sizeof(j->hb));
	snprintf(j->hb.software, sizeof(j->hb.software), "simpul %s", SP_VERSION);
	j->hb.time_ms = sp_node_now_ms(node);
	for (i = 0; i < j->npeers; i++) {
		const peer_figures *p = &j->peers[i];

		if (!sp_charter_is_writer(c, p->node) && !is_hub(j, nhubs, p->node) &&
		    !names(j, i, community))
			continue;
		/* Two names for one node are one peer; past the limit the rest are left out. */
		if (sp_heartbeat_add_peer(&j->hb, p->node, p->last_sync_ms, p->backlog) == SP_ETOOBIG)
			break;
	}
out:
	sp_txn_abort(t);
	sp_charter_free(c);
	return r == SP_ENOCHARTER ? SP_ENOTFOUND : r;
}

/* Writes this node's heartbeat in one community, if it writes one there. */
static void
beat(beat_job *j, const uint8_t community[SP_PUBKEY_BYTES])
{
	char key[SP_ID_STR_LEN + 1];
	uint8_t id[SP_ID_BYTES];
	sp_write w;
	sp_buf body;
	int r;

	if ((r = compose(j, community)) != 0) {
		if (r != SP_ENOTFOUND)
			log_warn("heartbeat: not written: %s", sp_strerror(r));
		return;
	}
	sp_buf_init(&body);
	if ((r = sp_heartbeat_encode(&j->hb, &body)) == 0) {
		sp_base32_encode(key, sp_node_id(j->h->node), SP_PUBKEY_BYTES);
		memset(&w, 0, sizeof(w));
		memcpy(w.community, community, SP_PUBKEY_BYTES);
		w.collection = SP_HEARTBEAT_COLLECTION;
		w.collection_len = strlen(SP_HEARTBEAT_COLLECTION);
		w.key = key;
		w.key_len = SP_ID_STR_LEN;
		w.body = body.data;
		w.body_len = body.len;
		r = sp_node_put_system(j->h->node, &w, false, id);
	}
	sp_buf_free(&body);
	if (r != 0) {
		log_warn("heartbeat: not written: %s", sp_strerror(r));
		return;
	}
	if (j->written.n == SP_NODE_MAX_WRITTEN)
		j->written.more = true;
	else
		memcpy(j->written.ids[j->written.n++], id, SP_ID_BYTES);
}

static void
beat_run(sp_task *task)
{
	beat_job *j = (beat_job *)task;
	uint8_t (*communities)[SP_PUBKEY_BYTES];
	size_t n, i;

	if (sp_node_community_ids(j->h->node, &communities, &n) != 0) {
		log_warn("heartbeat: cannot list the communities");
		return;
	}
	for (i = 0; i < n; i++)
		beat(j, communities[i]);
	free(communities);
}

static void
beat_job_free(beat_job *j)
{
	free(j->peers);
	free(j->names);
	free(j);
}

static void
beat_done(sp_task *task)
{
	beat_job *j = (beat_job *)task;
	sp_heartbeats *h = j->h;
	size_t i;

	h->running = false;
	if (!h->closing) {
		if (j->written.more)
			sp_sessions_resync_all(h->ss);
		else
			for (i = 0; i < j->written.n; i++)
				sp_sessions_stored_id(h->ss, j->written.ids[i]);
	}
	beat_job_free(j);
}

static void
on_tick(uv_timer_t *timer)
{
	sp_heartbeats *h = timer->data;
	beat_job *j;

	/* A write still under way (a slow disk): this turn is skipped. */
	if (h->running || h->closing)
		return;
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		log_warn("heartbeat: out of memory; trying again at the next one");
		return;
	}
	j->h = h;
	sp_peers_each(h->peers, snapshot_peer, j);
	if (j->err != 0) {
		log_warn("heartbeat: out of memory; trying again at the next one");
		beat_job_free(j);
		return;
	}
	h->running = true;
	j->task.run = beat_run;
	j->task.done = beat_done;
	sp_work_write(h->work, &j->task);
}

int
sp_heartbeats_start(uv_loop_t *loop, sp_node *node, sp_work *work, sp_sessions *ss,
    sp_peers *peers, uint64_t interval_ms, sp_heartbeats **out)
{
	sp_heartbeats *h;

	*out = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return SP_ENOMEM;
	h->node = node;
	h->work = work;
	h->ss = ss;
	h->peers = peers;
	uv_timer_init(loop, &h->timer);
	h->timer.data = h;
	if (interval_ms == 0)
		interval_ms = SP_HEARTBEAT_INTERVAL_MS;
	uv_timer_start(&h->timer, on_tick, 0, interval_ms);
	*out = h;
	return 0;
}

void
sp_heartbeats_close(sp_heartbeats *h)
{
	if (h == NULL || h->closing)
		return;
	h->closing = true;
	uv_close((uv_handle_t *)&h->timer, NULL);
}

void
sp_heartbeats_free(sp_heartbeats *h)
{
	free(h);
}
