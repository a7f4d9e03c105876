/*
 * peer.h - simpuld's peer connections: the TCP listener, dialling with
 * backoff, the Noise handshake, fragments and transport encryption,
 * keepalive, and the limits that keep a slow or hostile peer from holding
 * resources. What is said over a connection is sync.c's business.
 */
#ifndef SP_PEER_H
#define SP_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "policy.h"

typedef struct sp_daemon sp_daemon;
typedef struct sp_peers sp_peers;
typedef struct sp_conn sp_conn;

typedef struct sp_peers_options {
	const char *listen;              /* "HOST:PORT"; NULL: no listener */
	const uint8_t *network_key;      /* 32 bytes: Noise XXpsk3; NULL: XX */
} sp_peers_options;

/* What status shows for a peer; kept across its connections. */
typedef struct sp_peer_stats {
	uint64_t last_handshake_ms;      /* wall clock, 0: never */
	uint64_t last_sync_ms;           /* last complete reconciliation */
	uint64_t to_send;                /* records still to send, from the last reconciliation */
	uint64_t to_receive;             /* records still to receive */
	uint64_t rounds;                 /* Negentropy round trips of the last complete reconciliation */
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
 * Starts listening (if asked) and dialling the stored peers. *out is
 * freed with sp_peers_free once the loop has run after sp_peers_close;
 * on failure it is set all the same (already closed), to be freed so.
 */
int sp_peers_start(sp_daemon *d, const sp_peers_options *opt, sp_peers **out);
/* Closes every connection, timer and the listener (their memory goes as libuv closes them). */
void sp_peers_close(sp_peers *p);
/* Frees the manager; only after the loop has finished closing (uv_run returned). */
void sp_peers_free(sp_peers *p);
/* The address the listener is bound to ("-" when not listening). */
int sp_peers_listen_address(sp_peers *p, char *out, size_t size);

/* Re-reads the peers from the store: dials new ones, drops removed ones. */
int sp_peers_reload(sp_peers *p);
/* Reconcile with a peer now (dialling it at once if it is not connected). */
int sp_peers_sync(sp_peers *p, const char *name);

/* Calls cb for each configured peer in name order. */
void sp_peers_each(sp_peers *p, void (*cb)(void *arg, const sp_peer_policy *pol,
    enum sp_peer_state state, const sp_peer_stats *st), void *arg);

/* Calls cb for each connection that is past its handshake (for live pushes). */
void sp_peers_each_conn(sp_peers *p, void (*cb)(void *arg, sp_conn *c), void *arg);

/*
 * For sync.c: send one logical message (split into fragments, encrypted).
 * Returns 0, or an error when the connection is closing (the message is dropped).
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
/* The session sync.c attached to the connection. */
struct sp_session *sp_conn_session(const sp_conn *c);

#endif
