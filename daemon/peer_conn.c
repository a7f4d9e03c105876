/*
 * peer_conn.c - one peer connection, as conn.h offers it to the sessions:
 * the Noise handshake (and whose node it reaches), frames, fragments and
 * transport encryption, the output budget and the stall check, keepalive,
 * and the connect, handshake and idle timeouts, each checked on the tick.
 */
#include "conn.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "base32.h"
#include "crypto.h"
#include "log.h"
#include "noise.h"
#include "peer_int.h"
#include "sp_err.h"
#include "wire.h"

#define CONNECT_TIMEOUT_MS   10000   /* a dial's TCP connect; its SYNs may be dropped */
#define HANDSHAKE_TIMEOUT_MS 10000
#define PING_AFTER_MS        30000   /* send a ping after this much silence from us */
#define IDLE_TIMEOUT_MS      90000   /* close after this much silence from the peer */

struct conn_write {
	uv_write_t req;
	sp_conn *c;
	size_t len;
	uint8_t data[];
};

static void on_tick(uv_timer_t *t);

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

static const char *
peer_label(const sp_conn *c)
{
	return c->peer != NULL ? c->peer->pol.name : c->addr;
}

void
sp_conn_error(sp_conn *c, const char *fmt, ...)
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

/* Drops one of c's references (see refs). */
void
sp_conn_unref(sp_conn *c)
{
	if (--c->refs > 0)
		return;
	if (c->peer != NULL)
		sp_peer_unref(c->peer);
	sp_wire_reasm_free(&c->reasm);
	free(c->frame);
	sp_noise_hs_free(c->hs);
	sp_cipher_wipe(&c->tx);
	sp_cipher_wipe(&c->rx);
	free(c);
}

static void
conn_handle_closed(uv_handle_t *h)
{
	sp_conn_unref(h->data);
}

sp_conn *
sp_conn_new(sp_peers *m)
{
	sp_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->mgr = m;
	c->started_ms = c->last_rx_ms = c->last_tx_ms = c->drained_ms = sp_peers_now_ms(m);
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
	c->handshaking = true;
	return c;
}

/* Closes c now; its session (if any) is told, its peer may be redialled. */
void
sp_conn_close_now(sp_conn *c)
{
	sp_peers *m = c->mgr;
	peer_rt *p = c->peer;

	if (c->closing)
		return;
	c->closing = true;
	c->handshaking = false;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		m->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
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
			sp_peer_schedule_redial(p);
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
		sp_conn_error(c, "write failed: %s", uv_strerror(status));
		sp_conn_close_now(c);
		return;
	}
	c->drained_ms = sp_peers_now_ms(c->mgr);
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
		sp_conn_error(c, "write: %s", uv_strerror(r));
		sp_conn_close_now(c);
		return SP_EDISCONNECTED;
	}
	/* A backlog is timed from when it began. */
	if (c->pending == 0)
		c->drained_ms = sp_peers_now_ms(c->mgr);
	c->pending += len;
	c->last_tx_ms = sp_peers_now_ms(c->mgr);
	update_reading(c);
	if (c->peer != NULL)
		c->peer->stats.bytes_out += len;
	return 0;
}

/* A handshake message with its 2-byte length. */
static int
send_handshake(sp_conn *c, const uint8_t *payload, size_t len)
{
	uint8_t out[SP_PEER_FRAME_HDR + SP_WIRE_HS_MSG_MAX];
	size_t n;
	int r;

	if ((r = sp_noise_hs_write(c->hs, payload, len, out + SP_PEER_FRAME_HDR,
	    SP_WIRE_HS_MSG_MAX, &n)) != 0)
		return r;
	out[0] = (uint8_t)(n >> 8);
	out[1] = (uint8_t)n;
	return conn_write(c, out, SP_PEER_FRAME_HDR + n);
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
	total = msg->len + nfrag * (SP_PEER_FRAME_HDR + 1 + SP_NOISE_TAG_BYTES);
	if ((out = malloc(total)) == NULL)
		return SP_ENOMEM;
	p = out;
	for (i = 0, off = 0; i < nfrag; i++, off += chunk) {
		chunk = msg->len - off < SP_WIRE_FRAGMENT_MAX ? msg->len - off : SP_WIRE_FRAGMENT_MAX;
		/* The fragment's flag and bytes, encrypted in place. */
		p[SP_PEER_FRAME_HDR] = i + 1 < nfrag ? SP_WIRE_MORE : SP_WIRE_LAST;
		memcpy(p + SP_PEER_FRAME_HDR + 1, msg->data + off, chunk);
		p[0] = (uint8_t)((chunk + 1 + SP_NOISE_TAG_BYTES) >> 8);
		p[1] = (uint8_t)(chunk + 1 + SP_NOISE_TAG_BYTES);
		r = sp_cipher_encrypt(&c->tx, p + SP_PEER_FRAME_HDR, chunk + 1, p + SP_PEER_FRAME_HDR);
		if (r != 0) {
			free(out);
			return r;
		}
		p += SP_PEER_FRAME_HDR + chunk + 1 + SP_NOISE_TAG_BYTES;
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

static size_t
frame_len(const sp_conn *c)
{
	return (size_t)c->len_bytes[0] << 8 | c->len_bytes[1];
}

static void
alloc_frame(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	sp_conn *c = h->data;
	size_t len;

	(void)suggested;
	/* Read no further than the current frame: frames are handled one at a time. */
	if (c->have < SP_PEER_FRAME_HDR) {
		*buf = uv_buf_init((char *)c->len_bytes + c->have,
		    (unsigned)(SP_PEER_FRAME_HDR - c->have));
		return;
	}
	/* on_read has checked the length (not 0, small in a handshake). */
	len = frame_len(c);
	if (c->frame == NULL && (c->frame = malloc(len)) == NULL) {
		/* libuv reports UV_ENOBUFS to on_read, which closes. */
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	*buf = uv_buf_init((char *)c->frame + (c->have - SP_PEER_FRAME_HDR),
	    (unsigned)(SP_PEER_FRAME_HDR + len - c->have));
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
	sp_conn_error(c, "closing: %s", why);
	if (c->established) {
		sp_buf_init(&b);
		sp_wire_error(&b, code, why);
		(void)sp_conn_send(c, &b);
		sp_buf_free(&b);
	}
	sp_conn_close_now(c);
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
	c->handshaking = false;
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
		sp_conn_stranger_error(c, SP_STRANGER_HANDSHAKE_FAILED,
		    "handshake failed (a wrong network key, or not a simpul node)");
		sp_conn_close_now(c);
		return;
	}
	if (c->initiator) {
		/* Message 2: the responder's id, which must be the node we dialled. */
		if (check_identity(c, payload, plen, node) != 0 ||
		    memcmp(node, c->peer->pol.node, 32) != 0) {
			sp_base32_encode(id, node, 32);
			sp_conn_error(c, "the node at %s is not %s (it says %s)", c->addr,
			    c->peer->pol.name, plen == 32 ? id : "nothing");
			sp_conn_close_now(c);
			return;
		}
		if (send_handshake(c, c->mgr->ed_pk, 32) != 0 || finish_handshake(c) != 0) {
			sp_conn_close_now(c);
			return;
		}
		establish(c);
		return;
	}
	if (!sp_noise_hs_done(c->hs)) {
		/* Message 1 read: answer with message 2, carrying our id. */
		if (send_handshake(c, c->mgr->ed_pk, 32) != 0)
			sp_conn_close_now(c);
		return;
	}
	/* Message 3: the initiator's id, which must be one of our peers. */
	if (check_identity(c, payload, plen, node) != 0 || finish_handshake(c) != 0) {
		sp_conn_stranger_error(c, SP_STRANGER_HANDSHAKE_FAILED,
		    "handshake identity does not match its key");
		sp_conn_close_now(c);
		return;
	}
	if ((p = sp_peers_find_node(c->mgr, node)) == NULL) {
		sp_base32_encode(id, node, SP_PUBKEY_BYTES);
		sp_conn_stranger_error(c, SP_STRANGER_UNKNOWN_PEER,
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

/* A transport frame: decrypt (in place), reassemble, dispatch. */
static void
transport_frame(sp_conn *c, uint8_t *frame, size_t len)
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
	    sp_cipher_decrypt(&c->rx, frame, len, frame) != 0) {
		sp_conn_close(c, SP_ENOISE, "a message failed to decrypt");
		return;
	}
	if (sp_wire_reasm_push(&c->reasm, frame, len - SP_NOISE_TAG_BYTES, &msg, &mlen,
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
		sp_conn_error(c, "the peer closed the connection: %s", text);
		sp_conn_close_now(c);
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
	uint8_t *frame;
	size_t len;

	(void)buf;
	if (n < 0) {
		if (c->initiator && !c->heard && n == UV_EOF)
			/* Our handshake ended, theirs did not: a key or a peer list differs. */
			sp_conn_error(c, "the peer closed the connection before accepting us: "
			    "a different --network-key, or this node is not in its peer list");
		else if (!c->established)
			sp_conn_stranger_error(c, SP_STRANGER_CLOSED, "%s", n == UV_EOF ?
			    "the peer closed the connection" : uv_strerror((int)n));
		else if (n != UV_EOF)
			sp_conn_error(c, "read: %s", uv_strerror((int)n));
		else
			sp_conn_error(c, "the peer closed the connection");
		sp_conn_close_now(c);
		return;
	}
	if (n == 0)
		return;
	c->have += (size_t)n;
	c->last_rx_ms = sp_peers_now_ms(c->mgr);
	if (c->peer != NULL)
		c->peer->stats.bytes_in += (uint64_t)n;
	if (c->have < SP_PEER_FRAME_HDR)
		return;
	len = frame_len(c);
	/* Before the handshake, only small messages: a stranger gets little of us. */
	if (len == 0 || (c->hs != NULL && len > SP_WIRE_HS_MSG_MAX)) {
		sp_conn_stranger_error(c, SP_STRANGER_HANDSHAKE_FAILED, "bad frame length %zu",
		    len);
		sp_conn_close_now(c);
		return;
	}
	if (c->have < SP_PEER_FRAME_HDR + len)
		return;
	/* The frame is whole: handled, then freed (c outlives this call: see sp_conn_unref). */
	frame = c->frame;
	c->frame = NULL;
	c->have = 0;
	if (c->hs != NULL)
		handshake_frame(c, frame, len);
	else
		transport_frame(c, frame, len);
	free(frame);
}

static void
on_tick(uv_timer_t *t)
{
	sp_conn *c = t->data;
	uint64_t now = sp_peers_now_ms(c->mgr);
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
			sp_conn_error(c, "cannot connect to %s: no answer within %d s",
			    c->peer->pol.address, CONNECT_TIMEOUT_MS / 1000);
			sp_conn_close_now(c);
		}
		return;
	}
	if (!c->established) {
		if (now - c->started_ms >= HANDSHAKE_TIMEOUT_MS) {
			sp_conn_stranger_error(c, SP_STRANGER_HANDSHAKE_TIMEOUT,
			    "handshake timed out");
			sp_conn_close_now(c);
		}
		return;
	}
	/* Whatever it keeps sending, a peer that reads nothing is served no more. */
	if (c->pending > 0 && now - c->drained_ms >= SP_CONN_STALL_MS) {
		sp_conn_error(c, "closing: it has not read what it asked for (%zu bytes unsent) "
		    "for %d s", c->pending, SP_CONN_STALL_MS / 1000);
		sp_conn_close_now(c);
		return;
	}
	if (now - c->last_rx_ms > IDLE_TIMEOUT_MS) {
		sp_conn_error(c, "no sign of life for %d s", IDLE_TIMEOUT_MS / 1000);
		sp_conn_close_now(c);
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
int
sp_conn_start(sp_conn *c)
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
	c->started_ms = sp_peers_now_ms(c->mgr);
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
