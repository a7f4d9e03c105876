/*
 * sync.h - one replication session over an authenticated connection:
 * HELLO, charters first, the agreed areas, Negentropy reconciliation (the
 * initiator is the client), records both ways in batches (signatures
 * checked on the thread pool, writes batched on the write queue), then
 * live pushes. docs/PROTOCOL.md describes the conversation.
 */
#ifndef SP_SYNC_H
#define SP_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

typedef struct sp_daemon sp_daemon;
typedef struct sp_conn sp_conn;
typedef struct sp_session sp_session;

/* Starts the session on an established connection (sends HELLO). NULL on OOM. */
sp_session *sp_session_new(sp_daemon *d, sp_conn *c);

/* One logical message from the peer. */
void sp_session_message(sp_session *s, const uint8_t *msg, size_t len);

/* The connection's write queue went low: continue sending. */
void sp_session_drained(sp_session *s);

/* The connection is gone: the session ends once its jobs have finished. */
void sp_session_closed(sp_session *s);

/*
 * A charter changed on this node: membership, and so what this session
 * shares, may have changed; the session agrees again and reconciles if so.
 */
void sp_session_charters_changed(sp_session *s);

/* Reconcile again (a 'peer sync', or many local changes at once). */
void sp_session_resync(sp_session *s);

/*
 * A record was stored on this node (written here or received): push it to
 * this peer if one of the session's agreed outgoing areas holds it.
 * from is the connection it came from (NULL when written here).
 */
void sp_session_push(sp_session *s, const sp_area *area, const uint8_t *rec, size_t len,
    const sp_conn *from);

#endif
