/*
 * peer.c - the peer manager: the configured peers (loaded from the store,
 * reloaded when they change), dialling them with backoff, and the
 * manager's lifecycle. A connection is peer_conn.c's, the listener and
 * the strangers it admits peer_accept.c's.
 */
#include "peer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "crypto.h"
#include "log.h"
#include "peer_int.h"
#include "sp_err.h"

#define DEFAULT_TICK_MS      1000    /* how often timeouts and keepalives are checked */
#define BACKOFF_MIN_MS       1000
#define BACKOFF_MAX_MS       300000

uint64_t
sp_peers_now_ms(sp_peers *m)
{
	return m->clock_now_ms(m->clock_arg);
}

static uint64_t
loop_now_ms(void *arg)
{
	return uv_now(arg);
}

/* Configured peers. */

void
sp_peer_unref(peer_rt *p)
{
	sp_peers *m = p->mgr;
	peer_rt **pp;

	if (--p->refs > 0)
		return;
	for (pp = &m->peers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	free(p);
}

static void
redial_closed(uv_handle_t *h)
{
	sp_peer_unref(h->data);
}

peer_rt *
sp_peers_find_node(sp_peers *m, const uint8_t node[SP_PUBKEY_BYTES])
{
	peer_rt *p;

	for (p = m->peers; p != NULL; p = p->next)
		if (!p->removed && memcmp(p->pol.node, node, SP_PUBKEY_BYTES) == 0)
			return p;
	return NULL;
}

static peer_rt *
find_peer_by_name(sp_peers *m, const char *name)
{
	peer_rt *p;

	for (p = m->peers; p != NULL; p = p->next)
		if (!p->removed && strcmp(p->pol.name, name) == 0)
			return p;
	return NULL;
}

/* Dialling. */

static void
on_connect(uv_connect_t *req, int status)
{
	sp_conn *c = req->data;

	c->connecting = false;
	if (c->closing)
		return;
	if (status != 0) {
		sp_conn_error(c, "cannot connect to %s: %s", c->peer->pol.address,
		    uv_strerror(status));
		sp_conn_close_now(c);
		return;
	}
	if (sp_conn_start(c) != 0)
		sp_conn_close_now(c);
}

/* The resolution holds a reference to c (see dial), dropped here whatever happened. */
static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	sp_conn *c = req->data;
	int r;

	c->resolving = false;
	if (c->closing)
		goto out;
	if (status != 0 || res == NULL) {
		sp_conn_error(c, "cannot resolve %s: %s", c->peer->pol.address,
		    uv_strerror(status));
		sp_conn_close_now(c);
		goto out;
	}
	c->connect_req.data = c;
	if ((r = uv_tcp_connect(&c->connect_req, &c->tcp, res->ai_addr, on_connect)) != 0) {
		sp_conn_error(c, "cannot connect to %s: %s", c->peer->pol.address,
		    uv_strerror(r));
		sp_conn_close_now(c);
		goto out;
	}
	c->connecting = true;
	c->started_ms = sp_peers_now_ms(c->mgr);
out:
	uv_freeaddrinfo(res);
	sp_conn_unref(c);
}

static void
dial(peer_rt *p)
{
	sp_peers *m = p->mgr;
	struct addrinfo hints;
	char host[SP_ADDRESS_MAX + 1], port[8];
	uint16_t portnum;
	sp_conn *c;

	if (m->closing || p->removed || p->conn != NULL || p->dialing != NULL ||
	    p->pol.address[0] == '\0')
		return;
	if (sp_address_parse(p->pol.address, host, sizeof(host), &portnum) != 0) {
		snprintf(p->stats.last_error, sizeof(p->stats.last_error),
		    "bad address %.120s", p->pol.address);
		return;
	}
	if ((c = sp_conn_new(m)) == NULL)
		return;
	c->initiator = true;
	c->peer = p;
	p->refs++;
	p->dialing = c;
	p->state = SP_PEER_CONNECTING;
	snprintf(c->addr, sizeof(c->addr), "%s", p->pol.address);
	snprintf(port, sizeof(port), "%u", portnum);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	c->gai.data = c;
	if (uv_getaddrinfo(m->loop, &c->gai, on_resolved, host, port, &hints) != 0) {
		sp_conn_error(c, "cannot resolve %s", p->pol.address);
		sp_conn_close_now(c);
		return;
	}
	/*
	 * The request lives in c and runs on the thread pool, where it cannot
	 * be stopped once it has started: c's memory waits for its callback,
	 * which comes even when c closes first.
	 */
	c->resolving = true;
	c->refs++;
}

static void
on_redial(uv_timer_t *t)
{
	dial(t->data);
}

/* Exponential backoff with jitter: 1 s doubling to 5 minutes, +-25%. */
void
sp_peer_schedule_redial(peer_rt *p)
{
	uint64_t delay;
	uint32_t jitter;

	if (p->removed || p->mgr->closing || p->pol.address[0] == '\0')
		return;
	p->backoff_ms = p->backoff_ms == 0 ? BACKOFF_MIN_MS : p->backoff_ms * 2;
	if (p->backoff_ms > BACKOFF_MAX_MS)
		p->backoff_ms = BACKOFF_MAX_MS;
	sp_randombytes(&jitter, sizeof(jitter));
	delay = p->backoff_ms * 3 / 4 + jitter % (p->backoff_ms / 2 + 1);
	p->state = SP_PEER_BACKOFF;
	uv_timer_start(&p->redial, on_redial, delay, 0);
}

/* Loading peers from the store. */

struct load_ctx {
	sp_peers *m;
	int err;
};

static int
load_one(void *arg, const char *name, size_t name_len, const uint8_t *data, size_t len)
{
	struct load_ctx *lc = arg;
	sp_peers *m = lc->m;
	sp_peer_policy pol;
	peer_rt *p;
	char shown[SP_PEER_NAME_MAX + 1];

	(void)name_len;
	if (sp_policy_decode(data, len, &pol) != 0) {
		sp_log_escape(shown, sizeof(shown), name, name_len);
		log_error("peer %s: stored policy is corrupt; remove and add it again", shown);
		return 0;
	}
	if ((p = find_peer_by_name(m, pol.name)) != NULL) {
		/* Policy changes apply to the next session; an address change redials. */
		bool readdress = strcmp(p->pol.address, pol.address) != 0;

		p->pol = pol;
		p->seen = true;
		if (readdress && p->conn == NULL && p->dialing == NULL)
			dial(p);
		return 0;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		lc->err = SP_ENOMEM;
		return SP_ENOMEM;
	}
	p->mgr = m;
	p->pol = pol;
	p->seen = true;
	p->refs = 1;
	p->state = SP_PEER_IDLE;
	uv_timer_init(m->loop, &p->redial);
	p->redial.data = p;
	p->next = m->peers;
	m->peers = p;
	dial(p);
	return 0;
}

static void
drop_peer(peer_rt *p)
{
	p->removed = true;
	if (p->conn != NULL)
		sp_conn_close(p->conn, SP_EUNKNOWN_PEER, "removed from the peer list");
	if (p->dialing != NULL)
		sp_conn_close_now(p->dialing);
	uv_close((uv_handle_t *)&p->redial, redial_closed);
}

int
sp_peers_reload(sp_peers *m)
{
	struct load_ctx lc = { m, 0 };
	peer_rt *p, *next;
	sp_txn *t;
	int r;

	/* The walk marks the peers still stored; the others are dropped. */
	for (p = m->peers; p != NULL; p = p->next)
		p->seen = false;
	if ((r = sp_txn_begin(sp_node_store(m->node), false, &t)) != 0)
		return r;
	r = sp_store_peer_each(t, load_one, &lc);
	sp_txn_abort(t);
	for (p = m->peers; p != NULL; p = next) {
		next = p->next;
		if (!p->seen && !p->removed)
			drop_peer(p);
	}
	return r != 0 ? r : lc.err;
}

int
sp_peers_dial(sp_peers *m, const char *name)
{
	peer_rt *p = find_peer_by_name(m, name);

	if (p == NULL)
		return SP_ENOTFOUND;
	if (p->conn != NULL)
		return 0;
	if (p->pol.address[0] == '\0')
		return SP_ENOTCONNECTED;
	uv_timer_stop(&p->redial);
	p->backoff_ms = 0;
	dial(p);
	return 0;
}

void
sp_peers_each(sp_peers *m, void (*cb)(void *arg, const sp_peer_policy *pol,
    enum sp_peer_state state, const sp_peer_stats *st), void *arg)
{
	peer_rt *p;

	for (p = m->peers; p != NULL; p = p->next)
		if (!p->removed)
			cb(arg, &p->pol, p->state, &p->stats);
}

int
sp_peers_start(uv_loop_t *loop, sp_node *node, const sp_peers_options *opt,
    const sp_conn_handlers *h, sp_peers **out)
{
	sp_peers *m;
	int r;

	*out = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return SP_ENOMEM;
	m->loop = loop;
	m->node = node;
	m->h = *h;
	if (opt->clock != NULL) {
		m->clock_now_ms = opt->clock->now_ms;
		m->clock_arg = opt->clock->arg;
	} else {
		m->clock_now_ms = loop_now_ms;
		m->clock_arg = loop;
	}
	m->tick_ms = opt->tick_ms != 0 ? opt->tick_ms : DEFAULT_TICK_MS;
	sp_peers_accept_init(m);
	memcpy(m->ed_pk, sp_node_id(node), SP_PUBKEY_BYTES);
	if ((r = sp_node_noise_key(node, m->x_sk)) != 0)
		goto fail;
	if (opt->network_key != NULL) {
		memcpy(m->psk, opt->network_key, SP_NOISE_KEY_BYTES);
		m->have_psk = true;
	}
	if (opt->listen != NULL && (r = sp_peers_listen(m, opt->listen)) != 0)
		goto fail;
	if ((r = sp_peers_reload(m)) != 0)
		goto fail;
	*out = m;
	return 0;
fail:
	/* Handles may be open: the caller runs the loop, then frees. */
	sp_peers_close(m);
	*out = m;
	return r;
}

void
sp_peers_close(sp_peers *m)
{
	peer_rt *p, *next;
	sp_conn *c, *cnext;

	if (m->closing)
		return;
	m->closing = true;
	for (c = m->conns; c != NULL; c = cnext) {
		cnext = c->next;
		sp_conn_close(c, SP_ESHUTDOWN, "the node is shutting down");
	}
	for (p = m->peers; p != NULL; p = next) {
		next = p->next;
		if (!p->removed) {
			p->removed = true;
			uv_close((uv_handle_t *)&p->redial, redial_closed);
		}
	}
	sp_peers_accept_close(m);
}

void
sp_peers_free(sp_peers *m)
{
	if (m == NULL)
		return;
	sp_memzero(m->x_sk, sizeof(m->x_sk));
	sp_memzero(m->psk, sizeof(m->psk));
	free(m);
}
