/*
 * peer_int.h - what the files of the peer connections share. peer.c: the
 * manager, the configured peers, dialling them with backoff. peer_conn.c:
 * one connection (what conn.h offers the sessions): the Noise handshake,
 * framing and transport encryption, the output budget, the stall check,
 * keepalive and the timeouts. peer_accept.c: the admission of strangers:
 * the listener, the accept budget per turn of the loop, the caps on
 * unfinished handshakes, and their rate-limited logs. Not a public API:
 * the daemon uses peer.h, the sessions conn.h.
 */
#ifndef SP_PEER_INT_H
#define SP_PEER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "conn.h"
#include "crypto.h"
#include "log.h"
#include "node.h"
#include "noise.h"
#include "policy.h"
#include "wire.h"

/* peer.h's type; peer.h is not included, so that it does not depend on this file. */
typedef struct sp_peers sp_peers;

#define SP_PEER_FRAME_HDR 2      /* a frame's length, big-endian, before its bytes */

/*
 * What a stranger (a connection not past its handshake) can make us log,
 * again and again: each is rate-limited (sp_log_limit).
 */
enum sp_stranger_event {
	SP_STRANGER_HANDSHAKE_FAILED,
	SP_STRANGER_HANDSHAKE_TIMEOUT,
	SP_STRANGER_HANDSHAKE_EVICTED,
	SP_STRANGER_TOO_MANY,
	SP_STRANGER_UNKNOWN_PEER,
	SP_STRANGER_CLOSED,
	SP_STRANGER_EVENTS
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
	/* The monotonic clock (sp_mono_clock in peer.h): sp_peers_now_ms. */
	uint64_t (*clock_now_ms)(void *arg);
	void *clock_arg;
	unsigned tick_ms;
	uv_tcp_t listener;
	bool listening;
	uv_prepare_t turn;        /* each turn of the loop: the accept budget */
	unsigned accepted;        /* connections accepted in this turn */
	bool accept_held;         /* one is left with libuv for the next turn */
	uv_timer_t housekeeping;  /* rate-limited log summaries */
	sp_log_limit limits[SP_STRANGER_EVENTS];
	uint8_t ed_pk[SP_PUBKEY_BYTES];   /* this node's id */
	uint8_t x_sk[SP_NOISE_KEY_BYTES]; /* its static Noise key */
	uint8_t psk[SP_NOISE_KEY_BYTES];
	bool have_psk;
	peer_rt *peers;
	sp_conn *conns;
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
	bool handshaking;        /* its handshake is not over */
	bool established;
	bool closing;
	bool paused;
	bool reading;
	bool heard;              /* a message other than ERROR came from the peer */
	bool hello;              /* its first message (HELLO) arrived */
	sp_noise_hs *hs;
	sp_cipher tx, rx;
	/*
	 * The frame being read: its length, then its bytes, in a buffer of
	 * that size allocated once the length is known and freed once the
	 * frame is handled (decrypted in place), so that an idle connection
	 * holds no frame-sized buffer: a hub keeps a thousand connections.
	 */
	uint8_t len_bytes[SP_PEER_FRAME_HDR];
	uint8_t *frame;
	size_t have;             /* bytes of the current frame read so far, its length included */
	sp_wire_reasm reasm;
	/*
	 * Monotonic times (sp_peers_now_ms). started_ms: the connection's
	 * current stage began (its TCP connect, its handshake).
	 */
	uint64_t started_ms, last_rx_ms, last_tx_ms;
	uint64_t drained_ms;     /* the backlog last shrank, or was empty */
	size_t pending;          /* bytes handed to uv_write, not yet written */
	void *upper;             /* the layer above's state, from established() */
	char host[48];           /* the remote address without the port: the handshake cap */
	char addr[SP_ADDRESS_MAX + 8]; /* the remote address, for logs */
};

/* peer.c */

/* The manager's monotonic clock, which every timeout and log limit reads. */
uint64_t sp_peers_now_ms(sp_peers *m);
/* The configured peer whose node id is node, or NULL. */
peer_rt *sp_peers_find_node(sp_peers *m, const uint8_t node[SP_PUBKEY_BYTES]);
/* Drops one of p's references (see refs); the memory goes with the last. */
void sp_peer_unref(peer_rt *p);
/* Puts p in backoff and redials it when that ends (not if removed or shutting down). */
void sp_peer_schedule_redial(peer_rt *p);

/* peer_conn.c */

/*
 * A new connection on m's loop, its tcp handle initialised (to be
 * accepted or connected), its ticks started, in its handshake. NULL: out
 * of memory. Its memory goes once it is closed (sp_conn_close_now) and
 * its references are dropped.
 */
sp_conn *sp_conn_new(sp_peers *m);
/* Starts the handshake on a connected socket (sending message 1 when dialled). */
int sp_conn_start(sp_conn *c);
/* Closes c now, without an ERROR; its session (if any) is told, its peer may be redialled. */
void sp_conn_close_now(sp_conn *c);
/* Drops one of c's references (see refs). */
void sp_conn_unref(sp_conn *c);
/* Logs what happened to c and keeps it as its peer's last_error. */
void sp_conn_error(sp_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* peer_accept.c */

/* Starts the timer that sums up the strangers' rate-limited log lines. */
void sp_peers_accept_init(sp_peers *m);
/* Listens on spec ("HOST:PORT"; port 0: any free port). */
int sp_peers_listen(sp_peers *m, const char *spec);
/* Closes the listener (if any) and the summaries' timer. */
void sp_peers_accept_close(sp_peers *m);
/*
 * What happened to a connection that a stranger may have opened: a known
 * peer's is logged as sp_conn_error does; a stranger's at most once per
 * cause per period, the rest summed up by the summaries' timer.
 */
void sp_conn_stranger_error(sp_conn *c, enum sp_stranger_event ev, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
