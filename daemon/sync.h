/*
 * sync.h - the replication sessions: one per authenticated connection,
 * over the handlers of conn.h that peer.c calls (sp_sessions_handlers). A session sends
 * HELLO, reconciles charters first, then the agreed areas with Negentropy
 * (the initiator is the client), sends and receives records in batches
 * (signatures checked on the thread pool, writes batched on the write
 * queue), then pushes new records live. docs/PROTOCOL.md describes the
 * conversation; docs/ARCHITECTURE.md how records flow.
 *
 * Everything here runs on the loop thread.
 */
#ifndef SP_SYNC_H
#define SP_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "node.h"
#include "conn.h"
#include "wire.h"
#include "work.h"

typedef struct sp_sessions sp_sessions;
typedef struct sp_session sp_session;

/*
 * The sessions of a node: they read and write node, and run their slow
 * work on work. *out is freed with sp_sessions_free, after every
 * connection has closed (the loop has finished: uv_run returned).
 */
int sp_sessions_new(sp_node *node, sp_work *work, sp_sessions **out);
void sp_sessions_free(sp_sessions *ss);

/* The handlers to give sp_peers_start: every established connection gets a session. */
void sp_sessions_handlers(sp_sessions *ss, sp_conn_handlers *h);

/*
 * A record was written on this node (not received: received ones are
 * pushed by the session that stored them): push it to every peer whose
 * agreed areas hold it.
 */
void sp_sessions_stored(sp_sessions *ss, const sp_area *area, const uint8_t *rec, size_t len);

/* A record written here by id: as sp_sessions_stored, read from the store. */
void sp_sessions_stored_id(sp_sessions *ss, const uint8_t id[SP_ID_BYTES]);

/* Many records changed at once (an import): every session reconciles again. */
void sp_sessions_resync_all(sp_sessions *ss);

/*
 * Tells cb of every record stored here, written or received, once it is
 * committed, on the loop thread (area NULL: many changed at once, as
 * sp_sessions_resync_all says). One observer (a publisher of summaries);
 * cb NULL removes it.
 */
void sp_sessions_observe(sp_sessions *ss, void (*cb)(void *arg, const sp_area *area), void *arg);

/* Reconcile with the named peer again ('peer sync'); SP_ENOTFOUND when it has no session. */
int sp_sessions_resync(sp_sessions *ss, const char *peer);

/*
 * A charter changed on this node: membership, and so what each session
 * shares, may have changed; every session agrees again and reconciles if so.
 */
void sp_sessions_charters_changed(sp_sessions *ss);

#endif
