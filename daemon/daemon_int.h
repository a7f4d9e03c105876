/*
 * daemon_int.h - what simpuld's command handlers (cmd_*.c) share with
 * daemon.c. Not a public API.
 */
#ifndef SP_DAEMON_INT_H
#define SP_DAEMON_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "ctl_server.h"
#include "node.h"
#include "wire.h"
#include "work.h"

typedef struct sp_daemon sp_daemon;
typedef struct sp_job sp_job;

/*
 * A command's piece of work on the thread pool (work.h). run() executes on
 * a worker thread and must touch only the node and the job; done()
 * executes on the loop thread afterwards and frees the job. Embed sp_job
 * first in a command's own job struct.
 */
struct sp_job {
	sp_task task;
	sp_daemon *d;
	sp_ctl_conn *conn;
	void (*run)(sp_job *job);
	void (*done)(sp_job *job);
	int err;
	char detail[256];
};

/* Queues job on the serial write queue: one write job runs at a time. */
void sp_daemon_write(sp_daemon *d, sp_job *job);
/* Runs job on the thread pool now, in parallel with other work. */
void sp_daemon_work(sp_daemon *d, sp_job *job);

sp_node *sp_daemon_node(sp_daemon *d);
struct sp_peers *sp_daemon_peers(sp_daemon *d);
struct sp_sessions *sp_daemon_sessions(sp_daemon *d);

/* A record was written here: push it to every peer whose agreed areas hold it. */
void sp_daemon_stored(sp_daemon *d, const sp_area *area, const uint8_t *rec, size_t len);
/* Many records changed at once (an import): every session reconciles again. */
void sp_daemon_resync_all(sp_daemon *d);
/* A charter changed here: every session agrees again. */
void sp_daemon_charters_changed(sp_daemon *d);

/* sp_work_retry_later on the daemon's work queues. */
int sp_daemon_retry_later(sp_daemon *d, void (*cb)(void *arg, bool cancelled), void *arg);

/* Asks the daemon to shut down once the current reply is written. */
void sp_daemon_stop(sp_daemon *d);
uint64_t sp_daemon_uptime_ms(sp_daemon *d);

/* The collections imports hold (sp_work_claim and its kin). */
int sp_daemon_claim(sp_daemon *d, const uint8_t community[SP_PUBKEY_BYTES], const char *collection);
void sp_daemon_release(sp_daemon *d, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection);
bool sp_daemon_claimed(sp_daemon *d, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection, size_t len);
unsigned sp_daemon_imports(sp_daemon *d);

/*
 * Reply helpers. sp_reply_final finishes the single reply frame that b
 * holds (begun with sp_ctl_begin_reply at offset 0) and sends it as the
 * final reply, or an error reply if it could not be built; b is consumed.
 * sp_reply_ok sends an empty final OK. Errors go through sp_ctl_conn_error.
 */
void sp_reply_final(sp_ctl_conn *c, sp_buf *b);
void sp_reply_ok(sp_ctl_conn *c);

/*
 * Resolves the "community" field of req to a known community, replying
 * with an error (and returning it) when absent or unknown.
 */
int sp_req_community(sp_daemon *d, sp_ctl_conn *c, const sp_ctl_msg *req,
    sp_community_info *out);
/* Fetches a required string field into buf; replies with SP_EINVAL naming it when missing. */
int sp_req_cstr(sp_ctl_conn *c, const sp_ctl_msg *req, const char *name, char *buf, size_t size);

/* Handlers, one per command (see the table in daemon.c). */
void sp_cmd_ping(sp_ctl_conn *c, const sp_ctl_msg *req, sp_daemon *d);
void sp_cmd_status(sp_ctl_conn *c, const sp_ctl_msg *req, sp_daemon *d);
void sp_cmd_stop(sp_ctl_conn *c, const sp_ctl_msg *req, sp_daemon *d);
void sp_cmd_community_ls(sp_ctl_conn *c, const sp_ctl_msg *req, sp_daemon *d);
void sp_cmd_get(sp_ctl_conn *c, const sp_ctl_msg *req, sp_daemon *d);

/* Handlers shared by several commands, told apart by op. */
enum sp_community_op {
	SP_COMMUNITY_CREATE, SP_COMMUNITY_JOIN, SP_COMMUNITY_ADD_WRITER,
	SP_COMMUNITY_REMOVE_WRITER, SP_COMMUNITY_EXPORT_KEY, SP_COMMUNITY_IMPORT_KEY
};
void sp_cmd_community(sp_ctl_conn *c, const sp_ctl_msg *req, sp_daemon *d, int op);
enum sp_write_op { SP_WRITE_PUT, SP_WRITE_RM, SP_WRITE_ERASE };
void sp_cmd_write(sp_ctl_conn *c, const sp_ctl_msg *req, sp_daemon *d, int op);
void sp_cmd_ls(sp_ctl_conn *c, const sp_ctl_msg *req, sp_daemon *d);
void sp_cmd_export(sp_ctl_conn *c, const sp_ctl_msg *req, sp_daemon *d);
void sp_cmd_import_begin(sp_ctl_conn *c, const sp_ctl_msg *req, sp_daemon *d);
void sp_cmd_import_rows(sp_ctl_conn *c, const sp_ctl_msg *req, sp_daemon *d);
void sp_cmd_import_commit(sp_ctl_conn *c, const sp_ctl_msg *req, sp_daemon *d);
void sp_cmd_import_abort(sp_ctl_conn *c, const sp_ctl_msg *req, sp_daemon *d);
void sp_cmd_peer_add(sp_ctl_conn *c, const sp_ctl_msg *req, sp_daemon *d);
void sp_cmd_peer_ls(sp_ctl_conn *c, const sp_ctl_msg *req, sp_daemon *d);
void sp_cmd_peer_rm(sp_ctl_conn *c, const sp_ctl_msg *req, sp_daemon *d);
void sp_cmd_peer_sync(sp_ctl_conn *c, const sp_ctl_msg *req, sp_daemon *d);
/* The peer table (status and peer ls): packs one map per peer into b as an array. */
void sp_pack_peer_table(sp_daemon *d, sp_buf *b);

#endif
