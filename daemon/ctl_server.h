/*
 * ctl_server.h - simpuld's control socket: a libuv pipe server on a Unix
 * socket (mode 0600) speaking the framed protocol of proto/ctl.h.
 *
 * A connection handles one request at a time: it reads a frame, decodes
 * it, calls the handler and reads nothing more until the handler has sent
 * a final reply (status SP_CTL_OK or an error). Before that the handler
 * may stream SP_CTL_MORE replies. Frames are bounded (SP_CTL_FRAME_MAX)
 * before any allocation; a malformed frame gets an error reply and the
 * connection is closed.
 */
#ifndef SP_CTL_SERVER_H
#define SP_CTL_SERVER_H

#include <stddef.h>

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
 * holds the data directory lock). max_conns bounds concurrent clients.
 * *out is owned by the loop until sp_ctl_server_close's callback fires.
 */
int sp_ctl_server_start(uv_loop_t *loop, const char *path, unsigned max_conns,
    sp_ctl_handler handler, void *arg, sp_ctl_server **out);

/* Stops listening, closes every connection, unlinks the socket; cb(arg) when all is freed. */
void sp_ctl_server_close(sp_ctl_server *s, void (*cb)(void *arg), void *arg);

/*
 * Sends frame (one or more complete frames built with sp_ctl_begin_reply /
 * sp_ctl_end) and takes its memory: frame is re-initialised empty on return.
 * If the last frame in it is final (status != SP_CTL_MORE) the connection
 * goes back to reading requests once it is written. Returns 0 or an error
 * (the connection is closing; the frame was dropped).
 */
int sp_ctl_conn_send(sp_ctl_conn *c, sp_buf *frame, int final);

/* A final error reply: err (negative sp_err code) and an optional detail. */
void sp_ctl_conn_error(sp_ctl_conn *c, int err, const char *detail);

/* Bytes queued for writing and not yet written (for streaming backpressure). */
size_t sp_ctl_conn_pending(const sp_ctl_conn *c);

/* cb(c, arg) once the write queue is empty (one shot; replaces an earlier one). */
void sp_ctl_conn_on_drain(sp_ctl_conn *c, void (*cb)(sp_ctl_conn *c, void *arg), void *arg);

/* Per-connection user slot and a hook run when the connection closes (e.g. abort an import). */
void sp_ctl_conn_set_data(sp_ctl_conn *c, void *data, void (*on_close)(sp_ctl_conn *c, void *data));
void *sp_ctl_conn_data(const sp_ctl_conn *c);

/* True once the peer went away; async handlers check it before sending. */
int sp_ctl_conn_closing(const sp_ctl_conn *c);

#endif
