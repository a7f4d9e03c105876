#include "peer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "base32.h"
#include "crypto.h"
#include "log.h"
#include "noise.h"
#include "sp_err.h"
#include "wire.h"

#define MAX_CONNS            64      /* connections of every kind */
#define MAX_HANDSHAKING      16      /* of which before their handshake finished */
#define MAX_HANDSHAKING_FROM 4       /* of those, from one address */
#define CONNECT_TIMEOUT_MS   10000   /* a dial's TCP connect; its SYNs may be dropped */
#define HANDSHAKE_TIMEOUT_MS 10000
#define DEFAULT_TICK_MS      1000    /* how often timeouts and keepalives are checked */
#define PING_AFTER_MS        30000   /* send a ping after this much silence from us */
#define IDLE_TIMEOUT_MS      90000   /* close after this much silence from the peer */
#define BACKOFF_MIN_MS       1000
#define BACKOFF_MAX_MS       300000
#define FRAME_HDR            2
/*
 * Connections the kernel holds for us to accept. Past it a client's
 * connection waits for SYN retransmits (seconds), so one address reopening
 * its dropped handshakes must not be able to fill it: keep it well above
 * what one address can hold open (MAX_HANDSHAKING_FROM) plus its reopens.
 */
#define LISTEN_BACKLOG       1024
#define ACCEPT_PER_TURN      16

/*
 * What a stranger (a connection not past its handshake) can make us log,
 * again and again: each is rate-limited (sp_log_limit).
 */
enum stranger_event {
	EV_HANDSHAKE_FAILED,
	EV_HANDSHAKE_TIMEOUT,
	EV_HANDSHAKE_EVICTED,
	EV_TOO_MANY,
	EV_UNKNOWN_PEER,
	EV_CLOSED,
	EV_COUNT
};
static const char *const stranger_event_names[EV_COUNT] = {
	[EV_HANDSHAKE_FAILED] = "failed handshakes",
	[EV_HANDSHAKE_TIMEOUT] = "handshakes timed out",
	[EV_HANDSHAKE_EVICTED] = "unfinished handshakes dropped for newer ones",
	[EV_TOO_MANY] = "connections refused (too many)",
	[EV_UNKNOWN_PEER] = "nodes refused as not peers",
	[EV_CLOSED] = "connections closed before their handshake finished",
};

/* A configured peer: its policy and what status shows, across connections. */
typedef struct peer_rt {
	struct peer_rt *next;
	sp_peers *mgr;
	sp_peer_policy pol;
	sp_conn *conn;           /* the established connection carrying its session */
	sp_conn *dialing;        /* an outbound attempt not yet established */
	enum sp_peer_state state;
	uv_timer_t redial;
	uint64_t backoff_ms;
	sp_peer_stats stats;
	bool removed;            /* dropped from the store: closing down */
	bool seen;               /* found again by the reload in progress */
	unsigned refs;           /* the redial timer, and each connection naming this peer */
} peer_rt;

struct sp_peers {
	uv_loop_t *loop;
	sp_node *node;
	sp_conn_handlers h;
	sp_mono_clock clock;
	unsigned tick_ms;
	uv_tcp_t listener;
	bool listening;
	uv_prepare_t turn;        /* each turn of the loop: the accept budget */
	unsigned accepted;        /* connections accepted in this turn */
	bool accept_held;         /* one is left with libuv for the next turn */
	uv_timer_t housekeeping;  /* rate-limited log summaries */
	sp_log_limit limits[EV_COUNT];
	uint8_t ed_pk[SP_PUBKEY_BYTES];   /* this node's id */
	uint8_t x_sk[SP_NOISE_KEY_BYTES]; /* its static Noise key */
	uint8_t psk[SP_NOISE_KEY_BYTES];
	bool have_psk;
	peer_rt *peers;
	sp_conn *conns;
	unsigned nconns;
	unsigned nhandshaking;
	bool closing;
};

struct sp_conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_connect_t connect_req;
	uv_getaddrinfo_t gai;
	sp_peers *mgr;
	peer_rt *peer;           /* known when dialling; after the handshake when accepted */
	sp_conn *prev, *next;
	/*
	 * The tcp and timer handles, and a name resolution in progress: the
	 * memory goes with the last.
	 */
	unsigned refs;
	bool initiator;
	bool resolving;          /* gai is with libuv's thread pool */
	bool connecting;         /* connect_req is with the kernel */
	bool handshaking;        /* counted in nhandshaking */
	bool established;
	bool closing;
	bool paused;
	bool reading;
	bool heard;              /* a message other than ERROR came from the peer */
	bool hello;              /* its first message (HELLO) arrived */
	sp_noise_hs *hs;
	sp_cipher tx, rx;
	uint8_t frame[FRAME_HDR + SP_NOISE_MSG_MAX];
	size_t have;             /* bytes of the current frame read so far */
	uint8_t plain[SP_NOISE_MSG_MAX];
	sp_wire_reasm reasm;
	/*
	 * Monotonic times (sp_peers.clock). started_ms: the connection's
	 * current stage began (its TCP connect, its handshake).
	 */
	uint64_t started_ms, last_rx_ms, last_tx_ms;
	uint64_t drained_ms;     /* the backlog last shrank, or was empty */
	size_t pending;          /* bytes handed to uv_write, not yet written */
	void *upper;             /* the layer above's state, from established() */
	char host[48];           /* the remote address without the port: the handshake cap */
	char addr[SP_ADDRESS_MAX + 8]; /* the remote address, for logs */
};

struct conn_write {
	uv_write_t req;
	sp_conn *c;
	size_t len;
	uint8_t data[];
};

static void conn_close(sp_conn *c);
static void on_tick(uv_timer_t *t);
static void schedule_redial(peer_rt *p);

const char *
sp_peer_state_name(enum sp_peer_state s)
{
	switch (s) {
	case SP_PEER_IDLE: return "idle";
	case SP_PEER_CONNECTING: return "connecting";
	case SP_PEER_SYNCING: return "syncing";
	case SP_PEER_LIVE: return "live";
	case SP_PEER_BACKOFF: return "backoff";
	}
	return "?";
}

static uint64_t
now_ms(sp_peers *m)
{
	return m->clock.now_ms(m->clock.arg);
}

static uint64_t
loop_now_ms(void *arg)
{
	return uv_now(arg);
}

static const char *
peer_label(const sp_conn *c)
{
	return c->peer != NULL ? c->peer->pol.name : c->addr;
}

static void
set_error(sp_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
set_error(sp_conn *c, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_info("peer %s: %s", peer_label(c), msg);
	if (c->peer != NULL)
		memcpy(c->peer->stats.last_error, msg, sizeof(msg));
}

/*
 * What happened to a connection that a stranger may have opened: a known
 * peer's is logged as set_error does; a stranger's at most once per cause
 * per period, the rest summed up by the housekeeping timer.
 */
static void
stranger_error(sp_conn *c, enum stranger_event ev, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
stranger_error(sp_conn *c, enum stranger_event ev, const char *fmt, ...)
{
	char msg[160];
	unsigned missed;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->peer != NULL)
		set_error(c, "%s", msg);
	else if (!sp_log_limit_pass(&c->mgr->limits[ev], now_ms(c->mgr), &missed))
		log_debug("peer %s: %s", c->addr, msg);
	else if (missed != 0)
		log_warn("peer %s: %s (%u more %s since the last such line; logged once per "
		    "%d s, every one at debug level)", c->addr, msg, missed,
		    stranger_event_names[ev], SP_LOG_LIMIT_MS / 1000);
	else
		log_warn("peer %s: %s (%s are logged once per %d s, every one at debug level)",
		    c->addr, msg, stranger_event_names[ev], SP_LOG_LIMIT_MS / 1000);
}

static void
on_housekeeping(uv_timer_t *t)
{
	sp_peers *m = t->data;
	unsigned i, n;

	for (i = 0; i < EV_COUNT; i++)
		if ((n = sp_log_limit_flush(&m->limits[i], now_ms(m))) != 0)
			log_warn("%u more %s in the last %d s", n, stranger_event_names[i],
			    SP_LOG_LIMIT_MS / 1000);
}

/* Peers. */

static void
peer_unref(peer_rt *p)
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
	peer_unref(h->data);
}

static peer_rt *
find_peer_by_node(sp_peers *m, const uint8_t node[32])
{
	peer_rt *p;

	for (p = m->peers; p != NULL; p = p->next)
		if (!p->removed && memcmp(p->pol.node, node, 32) == 0)
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

/* Connections. */

/* Drops one of c's references (see refs). */
static void
conn_unref(sp_conn *c)
{
	if (--c->refs > 0)
		return;
	if (c->peer != NULL)
		peer_unref(c->peer);
	sp_wire_reasm_free(&c->reasm);
	sp_noise_hs_free(c->hs);
	sp_cipher_wipe(&c->tx);
	sp_cipher_wipe(&c->rx);
	free(c);
}

static void
conn_handle_closed(uv_handle_t *h)
{
	conn_unref(h->data);
}

static sp_conn *
conn_new(sp_peers *m)
{
	sp_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->mgr = m;
	c->started_ms = c->last_rx_ms = c->last_tx_ms = c->drained_ms = now_ms(m);
	sp_wire_reasm_init(&c->reasm, SP_WIRE_MSG_MAX);
	uv_tcp_init(m->loop, &c->tcp);
	uv_timer_init(m->loop, &c->timer);
	c->tcp.data = c->timer.data = c;
	/*
	 * Every tick checks the deadlines against the monotonic clock: a
	 * tick timed for a deadline itself would wait it out in real time
	 * whatever the injected clock says.
	 */
	uv_timer_start(&c->timer, on_tick, m->tick_ms, m->tick_ms);
	c->refs = 2;
	c->next = m->conns;
	if (m->conns != NULL)
		m->conns->prev = c;
	m->conns = c;
	m->nconns++;
	c->handshaking = true;
	m->nhandshaking++;
	return c;
}

static void
handshake_over(sp_conn *c)
{
	if (c->handshaking) {
		c->handshaking = false;
		c->mgr->nhandshaking--;
	}
}

/* Closes c now; its session (if any) is told, its peer may be redialled. */
static void
conn_close(sp_conn *c)
{
	sp_peers *m = c->mgr;
	peer_rt *p = c->peer;

	if (c->closing)
		return;
	c->closing = true;
	handshake_over(c);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		m->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	m->nconns--;
	/* A resolution not started yet is dropped; its callback comes all the same. */
	if (c->resolving)
		(void)uv_cancel((uv_req_t *)&c->gai);
	if (c->upper != NULL) {
		m->h.closed(c->upper);
		c->upper = NULL;
	}
	if (p != NULL) {
		if (p->conn == c) {
			p->conn = NULL;
			p->state = SP_PEER_IDLE;
		}
		if (p->dialing == c)
			p->dialing = NULL;
		if (c->initiator || p->pol.address[0] != '\0')
			schedule_redial(p);
	}
	uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
	uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
}

static void update_reading(sp_conn *c);

static void
write_done(uv_write_t *req, int status)
{
	struct conn_write *w = (struct conn_write *)req;
	sp_conn *c = w->c;

	c->pending -= w->len;
	free(w);
	if (c->closing)
		return;
	if (status != 0) {
		set_error(c, "write failed: %s", uv_strerror(status));
		conn_close(c);
		return;
	}
	c->drained_ms = now_ms(c->mgr);
	update_reading(c);
	if (c->upper != NULL && c->pending < SP_CONN_DRAIN_LOW)
		c->mgr->h.drained(c->upper);
}

/* Queues len bytes (already framed); takes no ownership of data. */
static int
conn_write(sp_conn *c, const uint8_t *data, size_t len)
{
	struct conn_write *w;
	uv_buf_t b;
	int r;

	if (c->closing)
		return SP_EDISCONNECTED;
	if ((w = malloc(sizeof(*w) + len)) == NULL)
		return SP_ENOMEM;
	memcpy(w->data, data, len);
	w->c = c;
	w->len = len;
	b = uv_buf_init((char *)w->data, (unsigned)len);
	if ((r = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, write_done)) != 0) {
		free(w);
		set_error(c, "write: %s", uv_strerror(r));
		conn_close(c);
		return SP_EDISCONNECTED;
	}
	/* A backlog is timed from when it began. */
	if (c->pending == 0)
		c->drained_ms = now_ms(c->mgr);
	c->pending += len;
	c->last_tx_ms = now_ms(c->mgr);
	update_reading(c);
	if (c->peer != NULL)
		c->peer->stats.bytes_out += len;
	return 0;
}

/* A handshake message with its 2-byte length. */
static int
send_handshake(sp_conn *c, const uint8_t *payload, size_t len)
{
	uint8_t out[FRAME_HDR + SP_WIRE_HS_MSG_MAX];
	size_t n;
	int r;

	if ((r = sp_noise_hs_write(c->hs, payload, len, out + FRAME_HDR,
	    SP_WIRE_HS_MSG_MAX, &n)) != 0)
		return r;
	out[0] = (uint8_t)(n >> 8);
	out[1] = (uint8_t)n;
	return conn_write(c, out, FRAME_HDR + n);
}

int
sp_conn_send(sp_conn *c, const sp_buf *msg)
{
	size_t nfrag, i, off, chunk, total;
	uint8_t *out, *p;
	int r;

	if (c->closing || !c->established)
		return SP_EDISCONNECTED;
	if (msg->err != 0)
		return msg->err;
	if (msg->len == 0 || msg->len > SP_WIRE_MSG_MAX)
		return SP_ETOOBIG;
	nfrag = (msg->len + SP_WIRE_FRAGMENT_MAX - 1) / SP_WIRE_FRAGMENT_MAX;
	total = msg->len + nfrag * (FRAME_HDR + 1 + SP_NOISE_TAG_BYTES);
	if ((out = malloc(total)) == NULL)
		return SP_ENOMEM;
	p = out;
	for (i = 0, off = 0; i < nfrag; i++, off += chunk) {
		chunk = msg->len - off < SP_WIRE_FRAGMENT_MAX ? msg->len - off : SP_WIRE_FRAGMENT_MAX;
		c->plain[0] = i + 1 < nfrag ? SP_WIRE_MORE : SP_WIRE_LAST;
		memcpy(c->plain + 1, msg->data + off, chunk);
		p[0] = (uint8_t)((chunk + 1 + SP_NOISE_TAG_BYTES) >> 8);
		p[1] = (uint8_t)(chunk + 1 + SP_NOISE_TAG_BYTES);
		if ((r = sp_cipher_encrypt(&c->tx, c->plain, chunk + 1, p + FRAME_HDR)) != 0) {
			free(out);
			return r;
		}
		p += FRAME_HDR + chunk + 1 + SP_NOISE_TAG_BYTES;
	}
	r = conn_write(c, out, (size_t)(p - out));
	free(out);
	return r;
}

size_t
sp_conn_pending(const sp_conn *c)
{
	return c->pending;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

static void
alloc_frame(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	sp_conn *c = h->data;
	size_t want;

	(void)suggested;
	/* Read no further than the current frame: frames are handled one at a time. */
	if (c->have < FRAME_HDR)
		want = FRAME_HDR - c->have;
	else
		want = FRAME_HDR + ((size_t)c->frame[0] << 8 | c->frame[1]) - c->have;
	*buf = uv_buf_init((char *)c->frame + c->have, (unsigned)want);
}

/* Reads while the layer above wants input and the peer drains what it asked for. */
static void
update_reading(sp_conn *c)
{
	bool want = !c->closing && !c->paused && c->pending < SP_CONN_OUT_BUDGET;

	if (want && !c->reading) {
		if (uv_read_start((uv_stream_t *)&c->tcp, alloc_frame, on_read) == 0)
			c->reading = true;
	} else if (!want && c->reading) {
		uv_read_stop((uv_stream_t *)&c->tcp);
		c->reading = false;
	}
}

void
sp_conn_pause(sp_conn *c, bool paused)
{
	c->paused = paused;
	update_reading(c);
}

void
sp_conn_close(sp_conn *c, int code, const char *why)
{
	sp_buf b;

	if (c->closing)
		return;
	set_error(c, "closing: %s", why);
	if (c->established) {
		sp_buf_init(&b);
		sp_wire_error(&b, code, why);
		(void)sp_conn_send(c, &b);
		sp_buf_free(&b);
	}
	conn_close(c);
}

bool
sp_conn_initiator(const sp_conn *c)
{
	return c->initiator;
}

const sp_peer_policy *
sp_conn_policy(const sp_conn *c)
{
	return &c->peer->pol;
}

sp_peer_stats *
sp_conn_stats(sp_conn *c)
{
	return &c->peer->stats;
}

void
sp_conn_set_state(sp_conn *c, enum sp_peer_state s)
{
	if (c->peer != NULL && c->peer->conn == c)
		c->peer->state = s;
}

/*
 * A second connection with a peer that has one. Dialled the same way as
 * the old one, it replaces it: a dialler keeps one connection to a peer,
 * so it gave the old one up (it restarted, or its address changed on
 * mobile data) and the old one is half-open, or soon closed anyway; keeping
 * it would refuse the peer until the idle timeout. Dialled the other way
 * (both dialled at once), keep the one whose initiator has the smaller node
 * id: both ends apply the same rule, so they keep the same connection.
 */
static bool
keep_new_connection(sp_conn *old, sp_conn *new)
{
	const uint8_t *me = new->mgr->ed_pk, *them = new->peer->pol.node;

	if (old->initiator == new->initiator)
		return true;
	return memcmp(new->initiator ? me : them, old->initiator ? me : them, 32) < 0;
}

static void
establish(sp_conn *c)
{
	peer_rt *p = c->peer;
	sp_conn *old = p->conn;

	if (p->dialing == c)
		p->dialing = NULL;
	if (old != NULL) {
		if (!keep_new_connection(old, c)) {
			sp_conn_close(c, SP_EBUSY, "already connected");
			return;
		}
		if (old->initiator == c->initiator)
			log_warn("peer %s: a new connection from %s replaces the one from %s (it "
			    "restarted or moved; if this repeats, two nodes use its key)",
			    p->pol.name, c->addr, old->addr);
		sp_conn_close(old, SP_EBUSY, "replaced by a newer connection");
	}
	c->established = true;
	handshake_over(c);
	p->conn = c;
	p->state = SP_PEER_SYNCING;
	/* What users read: the wall clock. */
	p->stats.last_handshake_ms = sp_node_now_ms(c->mgr->node);
	p->stats.last_error[0] = '\0';
	log_info("peer %s: connected (%s, %s)", p->pol.name, c->addr,
	    c->initiator ? "dialled" : "accepted");
	if ((c->upper = c->mgr->h.established(c->mgr->h.arg, c)) == NULL)
		sp_conn_close(c, SP_ENOMEM, "out of memory");
}

/* The peer's handshake payload: its Ed25519 id, which must match the Noise static key. */
static int
check_identity(sp_conn *c, const uint8_t *payload, size_t len, uint8_t node[32])
{
	uint8_t rs[32], x[32];

	if (len != 32 || sp_noise_hs_remote_static(c->hs, rs) != 0 ||
	    sp_x25519_from_ed25519_pk(x, payload) != 0 ||
	    sp_memcmp_ct(x, rs, 32) != 0)
		return SP_ENOISE;
	memcpy(node, payload, 32);
	return 0;
}

static int
finish_handshake(sp_conn *c)
{
	int r;

	if ((r = sp_noise_hs_split(c->hs, &c->tx, &c->rx)) != 0)
		return r;
	sp_noise_hs_free(c->hs);
	c->hs = NULL;
	return 0;
}

/* One handshake message from the peer. */
static void
handshake_frame(sp_conn *c, const uint8_t *msg, size_t len)
{
	uint8_t payload[SP_WIRE_HS_MSG_MAX], node[32];
	char id[SP_ID_STR_LEN + 1];
	size_t plen;
	peer_rt *p;
	int r;

	/*
	 * Message 1 has no payload: one there is the tag an XXpsk3 initiator
	 * adds, met by a node without a network key.
	 */
	if ((r = sp_noise_hs_read(c->hs, msg, len, payload, sizeof(payload), &plen)) != 0 ||
	    (!c->initiator && !sp_noise_hs_done(c->hs) && plen != 0)) {
		stranger_error(c, EV_HANDSHAKE_FAILED,
		    "handshake failed (a wrong network key, or not a simpul node)");
		conn_close(c);
		return;
	}
	if (c->initiator) {
		/* Message 2: the responder's id, which must be the node we dialled. */
		if (check_identity(c, payload, plen, node) != 0 ||
		    memcmp(node, c->peer->pol.node, 32) != 0) {
			sp_base32_encode(id, node, 32);
			set_error(c, "the node at %s is not %s (it says %s)", c->addr,
			    c->peer->pol.name, plen == 32 ? id : "nothing");
			conn_close(c);
			return;
		}
		if (send_handshake(c, c->mgr->ed_pk, 32) != 0 || finish_handshake(c) != 0) {
			conn_close(c);
			return;
		}
		establish(c);
		return;
	}
	if (!sp_noise_hs_done(c->hs)) {
		/* Message 1 read: answer with message 2, carrying our id. */
		if (send_handshake(c, c->mgr->ed_pk, 32) != 0)
			conn_close(c);
		return;
	}
	/* Message 3: the initiator's id, which must be one of our peers. */
	if (check_identity(c, payload, plen, node) != 0 || finish_handshake(c) != 0) {
		stranger_error(c, EV_HANDSHAKE_FAILED, "handshake identity does not match its key");
		conn_close(c);
		return;
	}
	if ((p = find_peer_by_node(c->mgr, node)) == NULL) {
		sp_base32_encode(id, node, SP_PUBKEY_BYTES);
		stranger_error(c, EV_UNKNOWN_PEER,
		    "refused node %s: not a peer (add it with 'simpul peer add')", id);
		/* Tell it why: the transport keys exist now. */
		c->established = true;
		sp_conn_close(c, SP_EUNKNOWN_PEER, "unknown peer: this node is not in the peer list");
		return;
	}
	c->peer = p;
	p->refs++;
	establish(c);
}

/* A transport frame: decrypt, reassemble, dispatch. */
static void
transport_frame(sp_conn *c, const uint8_t *ct, size_t len)
{
	const uint8_t *msg;
	size_t mlen;
	bool complete;
	enum sp_wire_type type;
	sp_wire_msg m;
	char text[128];
	sp_buf b;
	int r;

	if (len < SP_NOISE_TAG_BYTES + 1 ||
	    sp_cipher_decrypt(&c->rx, ct, len, c->plain) != 0) {
		sp_conn_close(c, SP_ENOISE, "a message failed to decrypt");
		return;
	}
	if (sp_wire_reasm_push(&c->reasm, c->plain, len - SP_NOISE_TAG_BYTES, &msg, &mlen,
	    &complete) != 0) {
		sp_conn_close(c, SP_EFRAME, "bad fragment or message too large");
		return;
	}
	if (!complete)
		return;
	/*
	 * Keepalives and ERROR are this layer's; the rest is the session's,
	 * which decodes it again (a HELLO or RECORDS is read through once more,
	 * which costs little next to what it holds). Every message is decoded
	 * whole here, so the rules of sp_wire_decode (canonical msgpack, the
	 * limits) hold for every type.
	 */
	if ((r = sp_wire_decode(msg, mlen, &m)) != 0) {
		snprintf(text, sizeof(text), "malformed peer message: %s", sp_strerror(r));
		sp_conn_close(c, r, text);
		return;
	}
	type = m.type;
	if (type == SP_WIRE_ERROR) {
		sp_log_escape(text, sizeof(text), m.message, m.message_len);
		set_error(c, "the peer closed the connection: %s", text);
		conn_close(c);
		return;
	}
	/* Nothing but HELLO comes first: a connection cannot live without one. */
	if (!c->hello && type != SP_WIRE_HELLO) {
		sp_conn_close(c, SP_EFRAME, "expected HELLO first");
		return;
	}
	c->hello = true;
	/*
	 * The peer accepted us: the dialler's handshake ends before it knows
	 * (a wrong network key shows at message 3, an unknown id in an ERROR),
	 * and those must not redial at once forever.
	 */
	c->peer->backoff_ms = 0;
	c->heard = true;
	switch (type) {
	case SP_WIRE_PING:
		sp_buf_init(&b);
		sp_wire_ping(&b, SP_WIRE_PONG, m.nonce);
		(void)sp_conn_send(c, &b);
		sp_buf_free(&b);
		return;
	case SP_WIRE_PONG:
		return;
	default:
		if (c->upper != NULL)
			c->mgr->h.message(c->upper, msg, mlen);
	}
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	sp_conn *c = s->data;
	size_t len;

	(void)buf;
	if (n < 0) {
		if (c->initiator && !c->heard && n == UV_EOF)
			/* Our handshake ended, theirs did not: a key or a peer list differs. */
			set_error(c, "the peer closed the connection before accepting us: "
			    "a different --network-key, or this node is not in its peer list");
		else if (!c->established)
			stranger_error(c, EV_CLOSED, "%s", n == UV_EOF ?
			    "the peer closed the connection" : uv_strerror((int)n));
		else if (n != UV_EOF)
			set_error(c, "read: %s", uv_strerror((int)n));
		else
			set_error(c, "the peer closed the connection");
		conn_close(c);
		return;
	}
	if (n == 0)
		return;
	c->have += (size_t)n;
	c->last_rx_ms = now_ms(c->mgr);
	if (c->peer != NULL)
		c->peer->stats.bytes_in += (uint64_t)n;
	if (c->have < FRAME_HDR)
		return;
	len = (size_t)c->frame[0] << 8 | c->frame[1];
	/* Before the handshake, only small messages: a stranger gets little of us. */
	if (len == 0 || (c->hs != NULL && len > SP_WIRE_HS_MSG_MAX)) {
		stranger_error(c, EV_HANDSHAKE_FAILED, "bad frame length %zu", len);
		conn_close(c);
		return;
	}
	if (c->have < FRAME_HDR + len)
		return;
	c->have = 0;
	if (c->hs != NULL)
		handshake_frame(c, c->frame + FRAME_HDR, len);
	else
		transport_frame(c, c->frame + FRAME_HDR, len);
}

static void
on_tick(uv_timer_t *t)
{
	sp_conn *c = t->data;
	uint64_t now = now_ms(c->mgr);
	sp_buf b;

	/* Resolving takes as long as the system's resolver lets it (resolv.conf). */
	if (c->resolving)
		return;
	/*
	 * Where SYNs are dropped, the kernel would try for minutes, the peer
	 * showing as connecting all along.
	 */
	if (c->connecting) {
		if (now - c->started_ms >= CONNECT_TIMEOUT_MS) {
			set_error(c, "cannot connect to %s: no answer within %d s",
			    c->peer->pol.address, CONNECT_TIMEOUT_MS / 1000);
			conn_close(c);
		}
		return;
	}
	if (!c->established) {
		if (now - c->started_ms >= HANDSHAKE_TIMEOUT_MS) {
			stranger_error(c, EV_HANDSHAKE_TIMEOUT, "handshake timed out");
			conn_close(c);
		}
		return;
	}
	/* Whatever it keeps sending, a peer that reads nothing is served no more. */
	if (c->pending > 0 && now - c->drained_ms >= SP_CONN_STALL_MS) {
		set_error(c, "closing: it has not read what it asked for (%zu bytes unsent) for %d s",
		    c->pending, SP_CONN_STALL_MS / 1000);
		conn_close(c);
		return;
	}
	if (now - c->last_rx_ms > IDLE_TIMEOUT_MS) {
		set_error(c, "no sign of life for %d s", IDLE_TIMEOUT_MS / 1000);
		conn_close(c);
		return;
	}
	if (now - c->last_tx_ms > PING_AFTER_MS) {
		sp_buf_init(&b);
		sp_wire_ping(&b, SP_WIRE_PING, now);
		(void)sp_conn_send(c, &b);
		sp_buf_free(&b);
	}
}

/* Starts the handshake on a connected socket. */
static int
conn_start(sp_conn *c)
{
	struct sockaddr_storage sa;
	int salen = sizeof(sa), r;

	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&sa, &salen) == 0) {
		if (sa.ss_family == AF_INET6) {
			uv_ip6_name((struct sockaddr_in6 *)&sa, c->host, sizeof(c->host));
			snprintf(c->addr, sizeof(c->addr), "[%s]:%u", c->host,
			    ntohs(((struct sockaddr_in6 *)&sa)->sin6_port));
		} else {
			uv_ip4_name((struct sockaddr_in *)&sa, c->host, sizeof(c->host));
			snprintf(c->addr, sizeof(c->addr), "%s:%u", c->host,
			    ntohs(((struct sockaddr_in *)&sa)->sin_port));
		}
	}
	uv_tcp_nodelay(&c->tcp, 1);
	c->started_ms = now_ms(c->mgr);
	r = sp_noise_hs_new(c->mgr->have_psk ? SP_NOISE_XXPSK3 : SP_NOISE_XX, c->initiator,
	    (const uint8_t *)SP_WIRE_PROLOGUE, strlen(SP_WIRE_PROLOGUE), c->mgr->x_sk,
	    c->mgr->have_psk ? c->mgr->psk : NULL, &c->hs);
	if (r != 0)
		return r;
	update_reading(c);
	if (c->initiator)
		return send_handshake(c, NULL, 0);
	return 0;
}

/*
 * The oldest unfinished handshake that a stranger opened (from host, or
 * from anywhere when host is NULL), other than c; *count gets how many
 * there are.
 */
static sp_conn *
oldest_handshake(sp_peers *m, const sp_conn *c, const char *host, unsigned *count)
{
	sp_conn *o, *oldest = NULL;

	*count = 0;
	for (o = m->conns; o != NULL; o = o->next) {
		if (o == c || !o->handshaking || o->initiator ||
		    (host != NULL && strcmp(o->host, host) != 0))
			continue;
		(*count)++;
		if (oldest == NULL || o->started_ms <= oldest->started_ms)
			oldest = o;
	}
	return oldest;
}

/*
 * Makes room for a new handshake from c's address. Unfinished handshakes
 * are capped per address and in all; at a cap the oldest one goes, not the
 * newcomer: whoever stalls handshakes to fill the slots loses them to the
 * next real peer, which finishes within milliseconds.
 */
static void
make_room(sp_peers *m, sp_conn *c)
{
	sp_conn *o;
	unsigned n;

	if ((o = oldest_handshake(m, c, c->host, &n)) != NULL && n >= MAX_HANDSHAKING_FROM) {
		stranger_error(o, EV_HANDSHAKE_EVICTED, "unfinished handshake dropped for a newer "
		    "one from the same address (at most %d at once)", MAX_HANDSHAKING_FROM);
		conn_close(o);
	}
	if ((o = oldest_handshake(m, c, NULL, &n)) != NULL && n >= MAX_HANDSHAKING) {
		stranger_error(o, EV_HANDSHAKE_EVICTED, "unfinished handshake dropped for a newer "
		    "one (at most %d at once)", MAX_HANDSHAKING);
		conn_close(o);
	}
}

/* Takes the connection libuv holds for us (there is one) and starts its handshake. */
static void
accept_one(sp_peers *m)
{
	sp_conn *c;

	if ((c = conn_new(m)) == NULL) {
		log_error("out of memory accepting a peer");
		return;
	}
	m->accepted++;
	if (uv_accept((uv_stream_t *)&m->listener, (uv_stream_t *)&c->tcp) != 0 ||
	    conn_start(c) != 0) {
		conn_close(c);
		return;
	}
	make_room(m, c);
	/* Past the handshake caps, only established peers are left to count. */
	if (m->closing || m->nconns > MAX_CONNS) {
		stranger_error(c, EV_TOO_MANY, "connection refused: too many (%u)", m->nconns);
		conn_close(c);
	}
}

/*
 * libuv accepts for as long as connections are queued. A client that
 * reconnects as fast as we drop it would keep us accepting forever, and
 * no other connection would be read: past ACCEPT_PER_TURN in one turn of
 * the loop, leave the connection with libuv (which then stops listening)
 * and take it at the start of the next turn.
 */
static void
on_connection(uv_stream_t *server, int status)
{
	sp_peers *m = server->data;

	if (status != 0) {
		log_warn("accept: %s", uv_strerror(status));
		return;
	}
	if (m->accepted >= ACCEPT_PER_TURN) {
		m->accept_held = true;
		return;
	}
	accept_one(m);
}

static void
on_turn(uv_prepare_t *h)
{
	sp_peers *m = h->data;

	m->accepted = 0;
	if (m->accept_held && !m->closing) {
		m->accept_held = false;
		accept_one(m);
	}
}

static void
on_connect(uv_connect_t *req, int status)
{
	sp_conn *c = req->data;

	c->connecting = false;
	if (c->closing)
		return;
	if (status != 0) {
		set_error(c, "cannot connect to %s: %s", c->peer->pol.address, uv_strerror(status));
		conn_close(c);
		return;
	}
	if (conn_start(c) != 0)
		conn_close(c);
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
		set_error(c, "cannot resolve %s: %s", c->peer->pol.address, uv_strerror(status));
		conn_close(c);
		goto out;
	}
	c->connect_req.data = c;
	if ((r = uv_tcp_connect(&c->connect_req, &c->tcp, res->ai_addr, on_connect)) != 0) {
		set_error(c, "cannot connect to %s: %s", c->peer->pol.address, uv_strerror(r));
		conn_close(c);
		goto out;
	}
	c->connecting = true;
	c->started_ms = now_ms(c->mgr);
out:
	uv_freeaddrinfo(res);
	conn_unref(c);
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
	if ((c = conn_new(m)) == NULL)
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
		set_error(c, "cannot resolve %s", p->pol.address);
		conn_close(c);
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
static void
schedule_redial(peer_rt *p)
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
		conn_close(p->dialing);
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

static int
listen_on(sp_peers *m, const char *spec)
{
	char host[SP_ADDRESS_MAX + 1];
	struct sockaddr_storage sa;
	uint16_t port;
	int r;

	char copy[SP_ADDRESS_MAX + 1];
	size_t len = strlen(spec);

	/* Port 0 (any free port, for tests) is fine to listen on, never to dial. */
	if (len >= sizeof(copy))
		return SP_EINVAL;
	memcpy(copy, spec, len + 1);
	if (len >= 2 && strcmp(copy + len - 2, ":0") == 0)
		copy[len - 1] = '1';
	if ((r = sp_address_parse(copy, host, sizeof(host), &port)) != 0)
		return r;
	if (strcmp(copy, spec) != 0)
		port = 0;
	if (uv_ip4_addr(host, port, (struct sockaddr_in *)&sa) != 0 &&
	    uv_ip6_addr(host, port, (struct sockaddr_in6 *)&sa) != 0)
		return SP_EINVAL;
	uv_tcp_init(m->loop, &m->listener);
	m->listener.data = m;
	m->listening = true;
	uv_prepare_init(m->loop, &m->turn);
	m->turn.data = m;
	uv_prepare_start(&m->turn, on_turn);
	if ((r = uv_tcp_bind(&m->listener, (struct sockaddr *)&sa, 0)) != 0 ||
	    (r = uv_listen((uv_stream_t *)&m->listener, LISTEN_BACKLOG, on_connection)) != 0) {
		log_error("cannot listen on %s: %s", spec, uv_strerror(r));
		return r == UV_EADDRINUSE ? SP_EADDRINUSE : SP_EINVAL;
	}
	return 0;
}

int
sp_peers_listen_address(sp_peers *m, char *out, size_t size)
{
	struct sockaddr_storage sa;
	int salen = sizeof(sa);
	char host[48];

	if (!m->listening || uv_tcp_getsockname(&m->listener, (struct sockaddr *)&sa, &salen) != 0) {
		snprintf(out, size, "-");
		return SP_ENOTFOUND;
	}
	if (sa.ss_family == AF_INET6) {
		uv_ip6_name((struct sockaddr_in6 *)&sa, host, sizeof(host));
		snprintf(out, size, "[%s]:%u", host, ntohs(((struct sockaddr_in6 *)&sa)->sin6_port));
	} else {
		uv_ip4_name((struct sockaddr_in *)&sa, host, sizeof(host));
		snprintf(out, size, "%s:%u", host, ntohs(((struct sockaddr_in *)&sa)->sin_port));
	}
	return 0;
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
	if (opt->clock != NULL)
		m->clock = *opt->clock;
	else
		m->clock = (sp_mono_clock){ loop_now_ms, loop };
	m->tick_ms = opt->tick_ms != 0 ? opt->tick_ms : DEFAULT_TICK_MS;
	uv_timer_init(loop, &m->housekeeping);
	m->housekeeping.data = m;
	uv_timer_start(&m->housekeeping, on_housekeeping, m->tick_ms, m->tick_ms);
	memcpy(m->ed_pk, sp_node_id(node), SP_PUBKEY_BYTES);
	if ((r = sp_node_noise_key(node, m->x_sk)) != 0)
		goto fail;
	if (opt->network_key != NULL) {
		memcpy(m->psk, opt->network_key, SP_NOISE_KEY_BYTES);
		m->have_psk = true;
	}
	if (opt->listen != NULL && (r = listen_on(m, opt->listen)) != 0)
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
	if (m->listening) {
		uv_close((uv_handle_t *)&m->listener, NULL);
		uv_close((uv_handle_t *)&m->turn, NULL);
	}
	uv_close((uv_handle_t *)&m->housekeeping, NULL);
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
