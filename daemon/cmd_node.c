/* Control commands about the daemon itself: ping, status, stop. */
#include <stdlib.h>
#include <unistd.h>

#include "cmd.h"
#include "pack.h"
#include "peer.h"
#include "sp_err.h"

void
sp_cmd_ping(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env)
{
	sp_buf b;

	(void)req;
	sp_buf_init(&b);
	sp_ctl_begin_reply(&b, SP_CTL_OK, 2);
	sp_pack_cstr(&b, "node");
	sp_pack_bin(&b, sp_node_id(env->node), 32);
	sp_pack_cstr(&b, "version");
	sp_pack_cstr(&b, SP_VERSION);
	sp_reply_final(c, &b);
}

void
sp_cmd_status(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env)
{
	sp_node *n = env->node;
	char listen[80];
	sp_store_stats st;
	sp_buf b;
	int r;

	(void)req;
	if ((r = sp_store_stats_get(sp_node_store(n), &st)) != 0) {
		sp_ctl_conn_error(c, r, NULL);
		return;
	}
	sp_buf_init(&b);
	sp_ctl_begin_reply(&b, SP_CTL_OK, 12);
	sp_pack_cstr(&b, "node");
	sp_pack_bin(&b, sp_node_id(n), 32);
	sp_pack_cstr(&b, "version");
	sp_pack_cstr(&b, SP_VERSION);
	sp_pack_cstr(&b, "pid");
	sp_pack_uint(&b, (uint64_t)getpid());
	sp_pack_cstr(&b, "data_dir");
	sp_pack_cstr(&b, sp_node_dir(n));
	sp_pack_cstr(&b, "uptime_ms");
	sp_pack_uint(&b, uv_now(env->loop) - env->started_ms);
	sp_pack_cstr(&b, "records");
	sp_pack_uint(&b, st.records);
	sp_pack_cstr(&b, "communities");
	sp_pack_uint(&b, st.communities);
	sp_pack_cstr(&b, "store_bytes");
	sp_pack_uint(&b, st.file_bytes);
	sp_pack_cstr(&b, "map_bytes");
	sp_pack_uint(&b, st.map_bytes);
	sp_pack_cstr(&b, "imports");
	sp_pack_uint(&b, sp_work_claims(env->work));
	(void)sp_peers_listen_address(env->peers, listen, sizeof(listen));
	sp_pack_cstr(&b, "listen");
	sp_pack_cstr(&b, listen);
	sp_pack_cstr(&b, "peers");
	sp_pack_peer_table(env, &b);
	sp_reply_final(c, &b);
}

static void
stop_after_reply(sp_ctl_conn *c, void *arg)
{
	sp_cmd_env *env = arg;

	(void)c;
	env->stop(env->stop_arg);
}

void
sp_cmd_stop(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env)
{
	(void)req;
	sp_reply_ok(c);
	/* Stop once the reply has left, so that the CLI sees it. */
	sp_ctl_conn_on_drain(c, stop_after_reply, env);
}
