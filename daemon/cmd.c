#include "cmd.h"

#include <stdio.h>

#include "sp_err.h"

static void
job_run(sp_task *t)
{
	sp_job *job = (sp_job *)t;

	job->run(job);
}

static void
job_done(sp_task *t)
{
	sp_job *job = (sp_job *)t;

	job->done(job);
}

static sp_task *
job_task(sp_cmd_env *env, sp_job *job)
{
	job->env = env;
	job->task.run = job_run;
	job->task.done = job_done;
	return &job->task;
}

void
sp_job_write(sp_cmd_env *env, sp_job *job)
{
	sp_work_write(env->work, job_task(env, job));
}

void
sp_job_run(sp_cmd_env *env, sp_job *job)
{
	sp_work_run(env->work, job_task(env, job));
}

void
sp_reply_final(sp_ctl_conn *c, sp_buf *b)
{
	int r;

	if ((r = sp_ctl_end(b, 0)) != 0) {
		sp_buf_free(b);
		sp_ctl_conn_error(c, r, NULL);
		return;
	}
	(void)sp_ctl_conn_send(c, b, 1);
}

void
sp_reply_ok(sp_ctl_conn *c)
{
	sp_buf b;

	sp_buf_init(&b);
	sp_ctl_begin_reply(&b, SP_CTL_OK, 0);
	sp_reply_final(c, &b);
}

int
sp_req_cstr(sp_ctl_conn *c, const sp_ctl_msg *req, const char *name, char *buf, size_t size)
{
	int r;

	if ((r = sp_ctl_get_cstr(req, name, buf, size)) != 0) {
		char detail[96];

		snprintf(detail, sizeof(detail), "field '%s'", name);
		sp_ctl_conn_error(c, r == SP_ENOTFOUND ? SP_EINVAL : r, detail);
	}
	return r;
}

int
sp_req_community(sp_cmd_env *env, sp_ctl_conn *c, const sp_ctl_msg *req,
    sp_community_info *out)
{
	char name[SP_COLLECTION_MAX + 1];
	int r;

	if ((r = sp_req_cstr(c, req, "community", name, sizeof(name))) != 0)
		return r;
	if ((r = sp_node_community_find(env->node, name, out)) != 0) {
		char detail[128];

		snprintf(detail, sizeof(detail), "community '%s' (see 'simpul community ls')", name);
		sp_ctl_conn_error(c, r, detail);
	}
	return r;
}
