/*
 * conn.h - one authenticated peer connection as the layer above the peer
 * module (the sessions, sync.c) sees it: the handlers it registers, what
 * it may do with a connection, and the per-connection figures status
 * shows. peer_conn.c implements it over libuv and Noise; the session tests
 * implement it with a fake (tests/unit/fake_conn.c), so sessions run
 * without sockets.
 */
#ifndef SP_CONN_H
#define SP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "policy.h"

typedef struct sp_conn sp_conn;

/*
 * What the layer above (the sessions) is told about its connections, on the
 * loop thread. established() is called once a handshake with a configured
 * peer completes; it returns the layer's own state for the connection,
 * which the other calls are given (NULL: out of memory, the connection
 * closes). After closed() no call names that state again. A handler may
 * close the connection (sp_conn_close) from within any call.
 */
typedef struct sp_conn_handlers {
	void *(*established)(void *arg, sp_conn *c);
	/* One logical message from the peer (neither ERROR nor a keepalive). */
	void (*message)(void *state, const uint8_t *msg, size_t len);
	/* The connection's unsent bytes fell under SP_CONN_DRAIN_LOW: send more. */
	void (*drained)(void *state);
	void (*closed)(void *state);
	void *arg;
} sp_conn_handlers;

/*
 * Output budget: a connection with this many bytes queued and unsent is
 * read no further (its requests wait, so it is served no more) until it
 * drains below it. Each request's reply is bounded, so a peer that never
 * reads costs at most the budget plus one reply. Work not asked for (a
 * live push) should not be queued past it (sp_conn_pending). A backlog
 * that has not shrunk for SP_CONN_STALL_MS closes the connection, whatever
 * the peer keeps sending.
 */
#define SP_CONN_OUT_BUDGET   (8u * 1024 * 1024)
#define SP_CONN_DRAIN_LOW    (1u << 20)
#define SP_CONN_STALL_MS     30000

/* What status shows for a peer; kept across its connections. */
typedef struct sp_peer_stats {
	uint64_t last_handshake_ms;      /* wall clock, 0: never */
	uint64_t last_sync_ms;           /* last complete reconciliation */
	uint64_t to_send;                /* records still to send, from the last reconciliation */
	uint64_t to_receive;             /* records still to receive */
	uint64_t rounds;                 /* Negentropy round trips of the last complete reconciliation */
	uint64_t areas;                  /* areas last agreed, either way (each once): what a pass reconciles */
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint64_t records_in;             /* every record that arrived, before any check */
	uint64_t records_in_label[SP_LABEL_COUNT]; /* of those that decode, by label */
	uint64_t records_accepted;       /* stored (new or newer versions) */
	uint64_t records_rejected;       /* refused: outside the areas, bad signature, not a writer */
	char last_error[160];
} sp_peer_stats;

enum sp_peer_state {
	SP_PEER_IDLE,         /* inbound only, not connected */
	SP_PEER_CONNECTING,   /* dialling or in the handshake */
	SP_PEER_SYNCING,      /* reconciling */
	SP_PEER_LIVE,         /* reconciled; pushing new records */
	SP_PEER_BACKOFF,      /* waiting to redial */
};

const char *sp_peer_state_name(enum sp_peer_state s);

/*
 * Sends one logical message (split into fragments, encrypted). Returns 0,
 * or an error when the connection is closing (the message is dropped).
 */
int sp_conn_send(sp_conn *c, const sp_buf *msg);
/* Bytes queued on the socket and not yet written. */
size_t sp_conn_pending(const sp_conn *c);
/* Stops (true) or resumes (false) reading from the peer: receive backpressure. */
void sp_conn_pause(sp_conn *c, bool paused);
/* Sends ERROR (code, why) and closes. */
void sp_conn_close(sp_conn *c, int code, const char *why);
bool sp_conn_initiator(const sp_conn *c);
const sp_peer_policy *sp_conn_policy(const sp_conn *c);
sp_peer_stats *sp_conn_stats(sp_conn *c);
void sp_conn_set_state(sp_conn *c, enum sp_peer_state s);

#endif
