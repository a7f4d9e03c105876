/*
 * commands.h - simpuld's control commands in one table, and the dispatch
 * the control server calls for each request (docs/PROTOCOL.md, "Control
 * protocol"). The handlers are in cmd_*.c.
 */
#ifndef SP_COMMANDS_H
#define SP_COMMANDS_H

#include "cmd.h"

/*
 * Runs the handler of req's command (arg is the sp_cmd_env), or replies
 * SP_EUNKNOWN_CMD. An sp_ctl_server dispatch function.
 */
void sp_commands_dispatch(sp_ctl_conn *c, const sp_ctl_msg *req, void *arg);

#endif
