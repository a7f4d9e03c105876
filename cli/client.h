/*
 * client.h - the CLI's side of the control socket: blocking, one request
 * and its replies at a time.
 */
#ifndef SP_CLIENT_H
#define SP_CLIENT_H

#include <stddef.h>

#include "buf.h"
#include "ctl.h"

typedef struct sp_client sp_client;

/*
 * Connects to the control socket in data directory dir. SP_ENODAEMON when
 * nothing listens there, SP_ENOINIT when dir is not initialised.
 * *out is owned by the caller (sp_client_close).
 */
int sp_client_connect(const char *dir, sp_client **out);
void sp_client_close(sp_client *c);

/*
 * Sends one complete request frame (built with sp_ctl_begin_request/sp_ctl_end).
 * SP_EDISCONNECTED when simpuld hung up first; a reply it sent before
 * (a busy refusal, say) can still be read with sp_client_recv.
 */
int sp_client_send(sp_client *c, const sp_buf *frame);

/*
 * Reads the next reply into m. The bytes m points into stay valid until
 * the next call. Returns 0 (then m->status tells OK, MORE or the daemon's
 * error) or a transport/decoding error (SP_EDISCONNECTED, SP_EFRAME...).
 */
int sp_client_recv(sp_client *c, sp_ctl_msg *m);

#endif
