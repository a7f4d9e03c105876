/*
 * peer.h - simpuld's peer connections: the TCP listener, dialling with
 * backoff, the Noise handshake, fragments and transport encryption,
 * keepalive, and the limits that keep a slow or hostile peer from holding
 * resources. It implements conn.h, what the layer above sees of a
 * connection; what is said over a connection is sync.c's business.
 */
#ifndef SP_PEER_H
#define SP_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "conn.h"
#include "node.h"
#include "policy.h"

typedef struct sp_peers sp_peers;

/*
 * The monotonic clock that drives timeouts, keepalives and log rate
 * limits (a wall clock that jumps must not close healthy connections).
 * Default: the loop's clock (uv_now). Injected by tests, which step it.
 */
typedef struct sp_mono_clock {
	uint64_t (*now_ms)(void *arg);
	void *arg;
} sp_mono_clock;

typedef struct sp_peers_options {
	const char *listen;              /* "HOST:PORT"; NULL: no listener */
	const uint8_t *network_key;      /* 32 bytes: Noise XXpsk3; NULL: XX */
	const sp_mono_clock *clock;      /* NULL: uv_now */
	unsigned tick_ms;                /* how often timeouts are checked; 0: 1000 */
} sp_peers_options;

/*
 * Starts listening (if asked) and dialling the peers stored in node, on
 * loop; h is copied. *out is freed with sp_peers_free once the loop has run
 * after sp_peers_close; on failure it is set all the same (already
 * closed), to be freed so.
 */
int sp_peers_start(uv_loop_t *loop, sp_node *node, const sp_peers_options *opt,
    const sp_conn_handlers *h, sp_peers **out);
/* Closes every connection, timer and the listener (their memory goes as libuv closes them). */
void sp_peers_close(sp_peers *p);
/* Frees the manager; only after the loop has finished closing (uv_run returned). */
void sp_peers_free(sp_peers *p);
/* The address the listener is bound to ("-" when not listening). */
int sp_peers_listen_address(sp_peers *p, char *out, size_t size);

/* Re-reads the peers from the store: dials new ones, drops removed ones. */
int sp_peers_reload(sp_peers *p);
/*
 * Dials a peer that is not connected now, resetting its backoff.
 * SP_ENOTFOUND: no such peer; SP_ENOTCONNECTED: it has no address (it
 * dials us); 0 otherwise (also when it is connected already).
 */
int sp_peers_dial(sp_peers *p, const char *name);

/* Calls cb for each configured peer in name order. */
void sp_peers_each(sp_peers *p, void (*cb)(void *arg, const sp_peer_policy *pol,
    enum sp_peer_state state, const sp_peer_stats *st), void *arg);

#endif
