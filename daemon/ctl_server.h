/*
 * ctl_server.h - simpuld's control socket: a libuv pipe server on a Unix
 * socket (mode 0600) speaking the framed protocol of proto/ctl.h.
 *
 * A connection handles one request at a time: it reads a frame, decodes
 * it, calls the handler and reads nothing more until the handler has sent
 * a final reply (status SP_CTL_OK or an error). Before that the handler
 * may stream SP_CTL_MORE replies. Frames are bounded (SP_CTL_FRAME_MAX)
 * before any allocation, and a request's buffer grows as its bytes arrive
 * (a header alone costs nothing); a malformed frame gets an error reply
 * and the connection is closed.
 */
#ifndef SP_CTL_SERVER_H
#define SP_CTL_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "buf.h"
#include "ctl.h"

typedef struct sp_ctl_server sp_ctl_server;
typedef struct sp_ctl_conn sp_ctl_conn;

/*
 * Called on the loop thread for each decoded request. req and the bytes it
 * points into stay valid until the handler sends its final reply. The
 * handler must send exactly one final reply, now or later (asynchronously).
 */
typedef void (*sp_ctl_handler)(sp_ctl_conn *c, const sp_ctl_msg *req, void *arg);

/*
 * Listens on path (an existing stale socket file is replaced; the caller
 * holds the data directory lock). max_conns bounds concurrent clients: at
 * the cap, a newcomer takes the place of the connection that has waited
 * longest for a request, which gets an SP_EBUSY reply saying why and is
 * closed; when every admitted connection has a handler at work, the
 * newcomer gets that reply instead. Both are logged (rate-limited).
 * *out is owned by the loop until sp_ctl_server_close's callback fires.
 */
int sp_ctl_server_start(uv_loop_t *loop, const char *path, unsigned max_conns,
    sp_ctl_handler handler, void *arg, sp_ctl_server **out);

/* How long a connection may take to deliver a request (default 60 s); for tests. */
void sp_ctl_server_set_idle_timeout(sp_ctl_server *s, uint64_t ms);

/*
 * Stops listening, unlinks the socket and closes every connection: idle
 * ones at once, ones with replies still queued once those are written (at
 * most 5 s), ones whose handler is at work at once (the handler sees
 * sp_ctl_conn_closing and its sends are dropped). cb(arg) runs when all is
 * freed, which waits for every busy handler's final reply: a handler that
 * shuts the daemon down sends its reply before calling this.
 */
void sp_ctl_server_close(sp_ctl_server *s, void (*cb)(void *arg), void *arg);

/*
 * Sends frame (one or more complete frames built with sp_ctl_begin_reply /
 * sp_ctl_end) and takes its memory: frame is re-initialised empty on return.
 * Only a handler holding a request may send. final says the last frame in
 * it is the final reply (status != SP_CTL_MORE): the request is then over
 * whatever the return value (req and c must not be used again, c may
 * already be freed) and the connection reads the next request once the
 * reply is written. Every request gets exactly one final send, also after
 * an error return and on a closing connection; that is what frees it.
 * Returns 0 (queued), SP_EDISCONNECTED (the connection is closing; the
 * frame was dropped), frame->err (the frame could not be built; it was
 * dropped, and if final an error reply carrying frame->err goes instead),
 * or a libuv write error (the connection is now closing).
 */
int sp_ctl_conn_send(sp_ctl_conn *c, sp_buf *frame, int final);

/* A final error reply: err (negative sp_err code) and an optional detail. */
void sp_ctl_conn_error(sp_ctl_conn *c, int err, const char *detail);

/* Bytes queued for writing and not yet written (for streaming backpressure). */
size_t sp_ctl_conn_pending(const sp_ctl_conn *c);

/*
 * cb(c, arg) once the write queue is empty (one shot; replaces an earlier
 * one); at once, before returning, if it is empty already. It also fires
 * when the connection closes with writes queued, so check
 * sp_ctl_conn_closing in it.
 */
void sp_ctl_conn_on_drain(sp_ctl_conn *c, void (*cb)(sp_ctl_conn *c, void *arg), void *arg);

/*
 * Per-connection user slot and a hook run when the connection closes (e.g.
 * abort an import). The hook runs exactly once: when the connection starts
 * closing (before a busy handler's final reply, which it still owes), or,
 * if set on an already closing connection, just before it is freed.
 */
void sp_ctl_conn_set_data(sp_ctl_conn *c, void *data, void (*on_close)(sp_ctl_conn *c, void *data));
void *sp_ctl_conn_data(const sp_ctl_conn *c);

/* True once the peer went away; async handlers check it before sending. */
int sp_ctl_conn_closing(const sp_ctl_conn *c);

#endif
