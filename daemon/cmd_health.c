/*
 * Control command report.health (docs/HUBS.md, "Reports"): every
 * community known here, each with the heartbeats held of it, streamed.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "heartbeat.h"
#include "pack.h"
#include "sp_err.h"

/* Items per streamed page, and the bytes one page may queue. */
#define PAGE_ITEMS 256
#define PAGE_BYTES (256 * 1024)

/*
 * The communities are listed once, at the start; then pages are read on
 * the loop thread in short read transactions, each resuming where the
 * last one stopped (a community, a key after which to go on), the next
 * only once the previous one has been written.
 */
typedef struct health_listing {
	sp_cmd_env *env;
	sp_ctl_conn *c;
	sp_community_info *communities;
	size_t ncommunities, cap;
	size_t at;                        /* the community being listed */
	char after[SP_KEY_MAX + 1];       /* its last heartbeat sent */
	size_t after_len;
	bool started;                     /* at has had a heartbeat sent */
	size_t items;                     /* in this page */
	uint64_t now_ms;
	uint64_t heartbeats;
	sp_buf out;
} health_listing;

static void
health_free(health_listing *l)
{
	free(l->communities);
	sp_buf_free(&l->out);
	free(l);
}

static int
add_community(void *arg, const sp_community_info *info)
{
	health_listing *l = arg;
	sp_community_info *v;

	if (l->ncommunities == l->cap) {
		l->cap = l->cap * 2 + 16;
		if ((v = realloc(l->communities, l->cap * sizeof(*v))) == NULL)
			return SP_ENOMEM;
		l->communities = v;
	}
	l->communities[l->ncommunities++] = *info;
	return 0;
}

/*
 * One item: the community (alias, id, the daemon's clock now) and, for
 * a heartbeat, its author and body. Keys in bytewise order.
 */
static int
pack_item(health_listing *l, const sp_record *rec)
{
	const sp_community_info *info = &l->communities[l->at];
	size_t start = l->out.len;

	sp_ctl_begin_reply(&l->out, SP_CTL_MORE, rec != NULL ? 5 : 3);
	sp_pack_cstr(&l->out, "alias");
	sp_pack_cstr(&l->out, info->alias);
	sp_pack_cstr(&l->out, "community");
	sp_pack_bin(&l->out, info->id, SP_PUBKEY_BYTES);
	if (rec != NULL) {
		sp_pack_cstr(&l->out, "heartbeat");
		sp_pack_bin(&l->out, rec->body, rec->body_len);
		sp_pack_cstr(&l->out, "node");
		sp_pack_bin(&l->out, rec->author, SP_PUBKEY_BYTES);
	}
	sp_pack_cstr(&l->out, "now");
	sp_pack_uint(&l->out, l->now_ms);
	l->items++;
	return sp_ctl_end(&l->out, start);
}

static bool
page_full(const health_listing *l)
{
	return l->items >= PAGE_ITEMS || l->out.len >= PAGE_BYTES;
}

static int
page_heartbeat(void *arg, const sp_stored *st)
{
	health_listing *l = arg;
	sp_record rec;
	int r;

	if (sp_record_decode(st->data, st->len, &rec) != 0)
		return SP_ECORRUPT;
	memcpy(l->after, rec.key, rec.key_len + 1);
	l->after_len = rec.key_len;
	l->started = true;
	if ((r = pack_item(l, &rec)) != 0)
		return r;
	l->heartbeats++;
	return page_full(l) ? 1 : 0;
}

/* Fills a page from where the last one stopped: 1 when there is more, 0 at the end. */
static int
fill_page(health_listing *l, sp_txn *t)
{
	const char *coll = SP_HEARTBEAT_COLLECTION;
	int r;

	l->items = 0;
	for (; l->at < l->ncommunities; l->at++, l->started = false) {
		if (page_full(l))
			return 1;
		r = sp_store_each(t, l->communities[l->at].id, coll, strlen(coll),
		    l->started ? l->after : NULL, l->after_len, page_heartbeat, l);
		if (r != 0)
			return r;
		/* A community of no heartbeat is listed as such. */
		if (!l->started && (r = pack_item(l, NULL)) != 0)
			return r;
	}
	return 0;
}

static void health_step(sp_ctl_conn *c, void *arg);

static void
health_finish(health_listing *l, int err)
{
	sp_buf b;

	if (err != 0) {
		sp_ctl_conn_error(l->c, err, NULL);
	} else {
		sp_buf_init(&b);
		sp_ctl_begin_reply(&b, SP_CTL_OK, 2);
		sp_pack_cstr(&b, "communities");
		sp_pack_uint(&b, l->ncommunities);
		sp_pack_cstr(&b, "heartbeats");
		sp_pack_uint(&b, l->heartbeats);
		sp_reply_final(l->c, &b);
	}
	health_free(l);
}

static void
health_step(sp_ctl_conn *c, void *arg)
{
	health_listing *l = arg;
	sp_txn *t;
	int r;

	if (sp_ctl_conn_closing(c)) {
		health_finish(l, SP_EDISCONNECTED);
		return;
	}
	if ((r = sp_txn_begin(sp_node_store(l->env->node), false, &t)) != 0) {
		health_finish(l, r);
		return;
	}
	r = fill_page(l, t);
	sp_txn_abort(t);
	if (r < 0) {
		sp_buf_reset(&l->out);
		health_finish(l, r);
		return;
	}
	if (l->out.len > 0 && sp_ctl_conn_send(c, &l->out, 0) != 0) {
		health_finish(l, SP_EDISCONNECTED);
		return;
	}
	if (r == 0) {
		health_finish(l, 0);
		return;
	}
	sp_ctl_conn_on_drain(c, health_step, l);
}

void
sp_cmd_report_health(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env)
{
	health_listing *l;
	sp_txn *t;
	int r;

	(void)req;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		sp_ctl_conn_error(c, SP_ENOMEM, NULL);
		return;
	}
	l->env = env;
	l->c = c;
	l->now_ms = sp_node_now_ms(env->node);
	sp_buf_init(&l->out);
	if ((r = sp_txn_begin(sp_node_store(env->node), false, &t)) == 0) {
		r = sp_store_community_each(t, add_community, l);
		sp_txn_abort(t);
	}
	if (r != 0) {
		sp_ctl_conn_error(c, r, NULL);
		health_free(l);
		return;
	}
	health_step(c, l);
}
