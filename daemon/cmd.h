/*
 * cmd.h - what the control command handlers (cmd_*.c) are given and
 * share: the parts of the daemon they act on (sp_cmd_env), their jobs on
 * the thread pool, and reply helpers. They never see the daemon itself, so
 * nothing here calls back into daemon.c.
 */
#ifndef SP_CMD_H
#define SP_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "ctl_server.h"
#include "node.h"
#include "peer.h"
#include "sync.h"
#include "wire.h"
#include "work.h"

/* The daemon's parts, for the handlers; set up by daemon.c, read-only here. */
typedef struct sp_cmd_env {
	sp_node *node;
	sp_work *work;
	sp_peers *peers;
	sp_sessions *sessions;
	uv_loop_t *loop;
	uint64_t started_ms;        /* on the loop's clock: the uptime's start */
	void (*stop)(void *arg);    /* asks the daemon to shut down */
	void *stop_arg;
} sp_cmd_env;

typedef struct sp_job sp_job;

/*
 * A command's piece of work on the thread pool (work.h). run() executes on
 * a worker thread and must touch only the node and the job; done()
 * executes on the loop thread afterwards and frees the job. Embed sp_job
 * first in a command's own job struct.
 */
struct sp_job {
	sp_task task;
	sp_cmd_env *env;
	sp_ctl_conn *conn;
	void (*run)(sp_job *job);
	void (*done)(sp_job *job);
	int err;
	char detail[256];
};

/* Queues job on the serial write queue: one write job runs at a time. */
void sp_job_write(sp_cmd_env *env, sp_job *job);
/* Runs job on the thread pool now, in parallel with other work. */
void sp_job_run(sp_cmd_env *env, sp_job *job);

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
int sp_req_community(sp_cmd_env *env, sp_ctl_conn *c, const sp_ctl_msg *req,
    sp_community_info *out);
/* Fetches a required string field into buf; replies with SP_EINVAL naming it when missing. */
int sp_req_cstr(sp_ctl_conn *c, const sp_ctl_msg *req, const char *name, char *buf, size_t size);

/* Handlers, one per command (see the table in commands.c). */
void sp_cmd_ping(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env);
void sp_cmd_status(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env);
void sp_cmd_stop(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env);
void sp_cmd_community_ls(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env);
void sp_cmd_get(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env);

/* Handlers shared by several commands, told apart by op. */
enum sp_community_op {
	SP_COMMUNITY_CREATE, SP_COMMUNITY_JOIN, SP_COMMUNITY_ADD_WRITER,
	SP_COMMUNITY_REMOVE_WRITER, SP_COMMUNITY_EXPORT_KEY, SP_COMMUNITY_IMPORT_KEY
};
void sp_cmd_community(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env, int op);
enum sp_write_op { SP_WRITE_PUT, SP_WRITE_RM, SP_WRITE_ERASE };
enum sp_summary_op {
	SP_SUMMARY_DEFINE, SP_SUMMARY_LS, SP_SUMMARY_SHOW, SP_SUMMARY_RM, SP_SUMMARY_CONSENT,
	SP_SUMMARY_WITHDRAW
};
void sp_cmd_summary(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env, int op);
void sp_cmd_write(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env, int op);
void sp_cmd_ls(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env);
void sp_cmd_export(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env);
void sp_cmd_import_begin(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env);
void sp_cmd_import_rows(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env);
void sp_cmd_import_commit(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env);
void sp_cmd_import_abort(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env);
void sp_cmd_peer_add(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env);
void sp_cmd_peer_ls(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env);
void sp_cmd_peer_rm(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env);
void sp_cmd_peer_sync(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env);
void sp_cmd_report(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env);
void sp_cmd_report_health(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env);
void sp_cmd_report_verify(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env);
/* The peer table (status and peer ls): packs one map per peer into b as an array. */
void sp_pack_peer_table(sp_cmd_env *env, sp_buf *b);

#endif
