#include "commands.h"

#include <string.h>

#include "log.h"
#include "pack.h"
#include "sp_err.h"

static void cmd_commands(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env);

/*
 * Every control command: the daemon's whole surface, in one table. A
 * command has its own handler (fn), or shares one with others (fn_op,
 * told which by op).
 */
static const struct sp_command {
	const char *name;
	void (*fn)(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env);
	void (*fn_op)(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env, int op);
	int op;
} commands[] = {
	{ "ping", sp_cmd_ping, NULL, 0 },
	{ "commands", cmd_commands, NULL, 0 },
	{ "status", sp_cmd_status, NULL, 0 },
	{ "stop", sp_cmd_stop, NULL, 0 },
	{ "community.create", NULL, sp_cmd_community, SP_COMMUNITY_CREATE },
	{ "community.join", NULL, sp_cmd_community, SP_COMMUNITY_JOIN },
	{ "community.ls", sp_cmd_community_ls, NULL, 0 },
	{ "community.add-writer", NULL, sp_cmd_community, SP_COMMUNITY_ADD_WRITER },
	{ "community.remove-writer", NULL, sp_cmd_community, SP_COMMUNITY_REMOVE_WRITER },
	{ "community.export-key", NULL, sp_cmd_community, SP_COMMUNITY_EXPORT_KEY },
	{ "community.import-key", NULL, sp_cmd_community, SP_COMMUNITY_IMPORT_KEY },
	{ "put", NULL, sp_cmd_write, SP_WRITE_PUT },
	{ "get", sp_cmd_get, NULL, 0 },
	{ "rm", NULL, sp_cmd_write, SP_WRITE_RM },
	{ "erase", NULL, sp_cmd_write, SP_WRITE_ERASE },
	{ "ls", sp_cmd_ls, NULL, 0 },
	{ "export", sp_cmd_export, NULL, 0 },
	{ "import.begin", sp_cmd_import_begin, NULL, 0 },
	{ "import.rows", sp_cmd_import_rows, NULL, 0 },
	{ "import.commit", sp_cmd_import_commit, NULL, 0 },
	{ "import.abort", sp_cmd_import_abort, NULL, 0 },
	{ "peer.add", sp_cmd_peer_add, NULL, 0 },
	{ "peer.ls", sp_cmd_peer_ls, NULL, 0 },
	{ "peer.rm", sp_cmd_peer_rm, NULL, 0 },
	{ "peer.sync", sp_cmd_peer_sync, NULL, 0 },
	{ "summary.define", NULL, sp_cmd_summary, SP_SUMMARY_DEFINE },
	{ "summary.ls", NULL, sp_cmd_summary, SP_SUMMARY_LS },
	{ "summary.show", NULL, sp_cmd_summary, SP_SUMMARY_SHOW },
	{ "summary.rm", NULL, sp_cmd_summary, SP_SUMMARY_RM },
	{ "summary.consent", NULL, sp_cmd_summary, SP_SUMMARY_CONSENT },
	{ "summary.withdraw", NULL, sp_cmd_summary, SP_SUMMARY_WITHDRAW },
	{ "report", sp_cmd_report, NULL, 0 },
	{ "report.health", sp_cmd_report_health, NULL, 0 },
	{ "report.verify", sp_cmd_report_verify, NULL, 0 },
};

/* The names in the table above: what this simpuld serves (test_ctl_commands compares PROTOCOL.md). */
static void
cmd_commands(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env)
{
	size_t i, n = sizeof(commands) / sizeof(commands[0]);
	sp_buf b;

	(void)req;
	(void)env;
	sp_buf_init(&b);
	sp_ctl_begin_reply(&b, SP_CTL_OK, 1);
	sp_pack_cstr(&b, "commands");
	sp_pack_array(&b, (uint32_t)n);
	for (i = 0; i < n; i++)
		sp_pack_cstr(&b, commands[i].name);
	sp_reply_final(c, &b);
}


void
sp_commands_dispatch(sp_ctl_conn *c, const sp_ctl_msg *req, void *arg)
{
	sp_cmd_env *env = arg;
	size_t i;

	log_debug("request %s", req->cmd);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, req->cmd) != 0)
			continue;
		if (commands[i].fn_op != NULL)
			commands[i].fn_op(c, req, env, commands[i].op);
		else
			commands[i].fn(c, req, env);
		return;
	}
	sp_ctl_conn_error(c, SP_EUNKNOWN_CMD, req->cmd);
}
