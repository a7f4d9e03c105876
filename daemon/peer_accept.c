/*
 * peer_accept.c - the admission of strangers: the listener, how many
 * connections are accepted per turn of the loop, the caps on unfinished
 * handshakes (per address and in all) with the oldest dropped for a
 * newcomer, and the rate-limited logs of what strangers make happen.
 */
#include "peer.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <uv.h>

#include "log.h"
#include "peer_int.h"
#include "sp_err.h"

/*
 * Connections not established with a configured peer: dialling, in their
 * handshake, or being refused. Established ones do not count: there is
 * one per configured peer at most (a second replaces the first), so the
 * peer list bounds them, and a hub keeps one for each community below it.
 */
#define MAX_CONNS            64
#define MAX_HANDSHAKING      16      /* of which before their handshake finished */
#define MAX_HANDSHAKING_FROM 4       /* of those, from one address */
/*
 * Connections the kernel holds for us to accept. Past it a client's
 * connection waits for SYN retransmits (seconds), so one address reopening
 * its dropped handshakes must not be able to fill it: keep it well above
 * what one address can hold open (MAX_HANDSHAKING_FROM) plus its reopens.
 */
#define LISTEN_BACKLOG       1024
#define ACCEPT_PER_TURN      16

static const char *const stranger_event_names[SP_STRANGER_EVENTS] = {
	[SP_STRANGER_HANDSHAKE_FAILED] = "failed handshakes",
	[SP_STRANGER_HANDSHAKE_TIMEOUT] = "handshakes timed out",
	[SP_STRANGER_HANDSHAKE_EVICTED] = "unfinished handshakes dropped for newer ones",
	[SP_STRANGER_TOO_MANY] = "connections refused (too many)",
	[SP_STRANGER_UNKNOWN_PEER] = "nodes refused as not peers",
	[SP_STRANGER_CLOSED] = "connections closed before their handshake finished",
};

void
sp_conn_stranger_error(sp_conn *c, enum sp_stranger_event ev, const char *fmt, ...)
{
	char msg[160];
	unsigned missed;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->peer != NULL)
		sp_conn_error(c, "%s", msg);
	else if (!sp_log_limit_pass(&c->mgr->limits[ev], sp_peers_now_ms(c->mgr), &missed))
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

	for (i = 0; i < SP_STRANGER_EVENTS; i++)
		if ((n = sp_log_limit_flush(&m->limits[i], sp_peers_now_ms(m))) != 0)
			log_warn("%u more %s in the last %d s", n, stranger_event_names[i],
			    SP_LOG_LIMIT_MS / 1000);
}

void
sp_peers_accept_init(sp_peers *m)
{
	uv_timer_init(m->loop, &m->housekeeping);
	m->housekeeping.data = m;
	uv_timer_start(&m->housekeeping, on_housekeeping, m->tick_ms, m->tick_ms);
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
		sp_conn_stranger_error(o, SP_STRANGER_HANDSHAKE_EVICTED, "unfinished handshake "
		    "dropped for a newer one from the same address (at most %d at once)",
		    MAX_HANDSHAKING_FROM);
		sp_conn_close_now(o);
	}
	if ((o = oldest_handshake(m, c, NULL, &n)) != NULL && n >= MAX_HANDSHAKING) {
		sp_conn_stranger_error(o, SP_STRANGER_HANDSHAKE_EVICTED, "unfinished handshake "
		    "dropped for a newer one (at most %d at once)", MAX_HANDSHAKING);
		sp_conn_close_now(o);
	}
}

static unsigned
unestablished(const sp_peers *m)
{
	const sp_conn *o;
	unsigned n = 0;

	for (o = m->conns; o != NULL; o = o->next)
		n += !o->established;
	return n;
}

/* Takes the connection libuv holds for us (there is one) and starts its handshake. */
static void
accept_one(sp_peers *m)
{
	unsigned n = 0;
	sp_conn *c;

	if ((c = sp_conn_new(m)) == NULL) {
		log_error("out of memory accepting a peer");
		return;
	}
	m->accepted++;
	if (uv_accept((uv_stream_t *)&m->listener, (uv_stream_t *)&c->tcp) != 0 ||
	    sp_conn_start(c) != 0) {
		sp_conn_close_now(c);
		return;
	}
	make_room(m, c);
	/* Past the handshake caps (16 accepted), the connections being dialled are left to count. */
	if (m->closing || (n = unestablished(m)) > MAX_CONNS) {
		sp_conn_stranger_error(c, SP_STRANGER_TOO_MANY,
		    "connection refused: too many not established (%u)", n);
		sp_conn_close_now(c);
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

int
sp_peers_listen(sp_peers *m, const char *spec)
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


void
sp_peers_accept_close(sp_peers *m)
{
	if (m->listening) {
		uv_close((uv_handle_t *)&m->listener, NULL);
		uv_close((uv_handle_t *)&m->turn, NULL);
	}
	uv_close((uv_handle_t *)&m->housekeeping, NULL);
}
