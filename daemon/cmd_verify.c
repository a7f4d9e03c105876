/*
 * The control command report.verify: every aggregate held here re-checked
 * down to the communities' signatures (sp_node_verify, docs/HUBS.md).
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "pack.h"
#include "sp_err.h"

/* Problems sent in full; past these, only counted (the reply stays far below a frame). */
#define MAX_PROBLEMS 1000

typedef struct verify_job {
	sp_job base;
	sp_verify_counts counts;
	sp_buf problems;           /* MAX_PROBLEMS strings at most, packed */
	uint32_t nproblems;
} verify_job;

static void
add_problem(void *arg, const char *text)
{
	verify_job *vj = arg;

	if (vj->nproblems == MAX_PROBLEMS)
		return;
	sp_pack_cstr(&vj->problems, text);
	vj->nproblems++;
}

static void
verify_run(sp_job *job)
{
	verify_job *vj = (verify_job *)job;

	job->err = sp_node_verify(job->env->node, add_problem, vj, &vj->counts);
	if (job->err == 0)
		job->err = vj->problems.err;
}

/*
 * The reply: what was checked, how many problems, and the first
 * MAX_PROBLEMS of them (fields in bytewise order).
 */
static void
verify_done(sp_job *job)
{
	verify_job *vj = (verify_job *)job;
	sp_buf b;

	if (job->err != 0) {
		sp_ctl_conn_error(job->conn, job->err, NULL);
	} else {
		if (vj->counts.problems > 0)
			log_warn("report --verify: %llu problems",
			    (unsigned long long)vj->counts.problems);
		sp_buf_init(&b);
		sp_ctl_begin_reply(&b, SP_CTL_OK, 7);
		sp_pack_cstr(&b, "aggregates");
		sp_pack_uint(&b, vj->counts.aggregates);
		sp_pack_cstr(&b, "consents");
		sp_pack_uint(&b, vj->counts.consents);
		sp_pack_cstr(&b, "lower");
		sp_pack_uint(&b, vj->counts.lower);
		sp_pack_cstr(&b, "problem_count");
		sp_pack_uint(&b, vj->counts.problems);
		sp_pack_cstr(&b, "problems");
		sp_pack_array(&b, vj->nproblems);
		sp_pack_raw(&b, vj->problems.data, vj->problems.len);
		sp_pack_cstr(&b, "signatures");
		sp_pack_uint(&b, vj->counts.signatures);
		sp_pack_cstr(&b, "summaries");
		sp_pack_uint(&b, vj->counts.summaries);
		sp_reply_final(job->conn, &b);
	}
	sp_buf_free(&vj->problems);
	free(vj);
}

void
sp_cmd_report_verify(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env)
{
	verify_job *vj;

	(void)req;
	if ((vj = calloc(1, sizeof(*vj))) == NULL) {
		sp_ctl_conn_error(c, SP_ENOMEM, NULL);
		return;
	}
	sp_buf_init(&vj->problems);
	vj->base.conn = c;
	vj->base.run = verify_run;
	vj->base.done = verify_done;
	/* Reads only: on the thread pool, beside the writes. */
	sp_job_run(env, &vj->base);
}
