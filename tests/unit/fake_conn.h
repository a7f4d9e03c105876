/*
 * fake_conn.h - conn.h without sockets, for the session tests: a session
 * (daemon/sync.c) runs over it exactly as over peer_conn.c, while the test
 * plays the peer. What the session sends is kept, in order; what the
 * test delivers reaches the session's message handler at once. As in
 * peer_conn.c, a closed connection tells the session at once, a connection
 * paused (or over its output budget) is read no further, and the status
 * figures outlive the connection (the test owns them).
 */
#ifndef SP_FAKE_CONN_H
#define SP_FAKE_CONN_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "conn.h"

struct sp_conn {
	const sp_conn_handlers *h;
	void *upper;                 /* the session, from established() */
	bool initiator;
	sp_peer_policy pol;
	sp_peer_stats *stats;        /* the peer's, kept across its connections */
	enum sp_peer_state state;
	/*
	 * stalled: the peer reads nothing, so what is sent stays pending
	 * until fake_conn_drain. Otherwise the socket takes every byte at once.
	 */
	bool stalled;
	size_t pending;
	bool paused;                 /* the session paused reading */
	bool closed;
	int close_code;              /* what sp_conn_close was given */
	char close_why[160];
	sp_buf *sent;                /* every message the session sent, in order */
	size_t nsent, capsent;
};

/*
 * A connection with the peer pol, stats and handlers h (kept, not copied:
 * they outlive the connection), established at once: h->established is
 * called, and the session's HELLO is the first message sent. NULL when
 * established() refused it (out of memory). Freed with fake_conn_free.
 */
sp_conn *fake_conn_open(const sp_conn_handlers *h, bool initiator, const sp_peer_policy *pol,
    sp_peer_stats *stats);
/*
 * The peer's message reaches the session. Returns false (nothing
 * delivered) when the connection is closed or is not being read: paused,
 * or over its output budget, as peer_conn.c would read nothing then.
 */
bool fake_conn_deliver(sp_conn *c, const sp_buf *msg);
/* The peer read everything pending: the session is told it drained. */
void fake_conn_drain(sp_conn *c);
/* The connection dropped (the peer vanished): the session is told it closed. */
void fake_conn_cut(sp_conn *c);
void fake_conn_free(sp_conn *c);

#endif
