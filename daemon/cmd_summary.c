/* Control commands on summaries: define, ls, rm, consent, withdraw (docs/HUBS.md). */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "definition.h"
#include "log.h"
#include "pack.h"
#include "sp_err.h"
#include "summary.h"
#include "tally.h"

typedef struct summary_job {
	sp_job base;
	enum sp_summary_op op;
	uint8_t community[SP_PUBKEY_BYTES];
	char name[SP_SUMMARY_NAME_MAX + 1];
	uint8_t hub[SP_PUBKEY_BYTES];
	uint64_t until_ms;
	uint8_t *definition;          /* define: an owned copy of the body */
	size_t definition_len;
	sp_written written;
	/* show: the counts and what would be published of them. */
	sp_tally *exact;
	sp_summary *published;
	/* ls: the definitions packed so far, and the one whose consents are coming. */
	sp_buf listing;
	uint32_t ndefinitions;
	sp_buf open;                  /* its map's last three fields */
	sp_buf consents;
	uint32_t nconsents;
} summary_job;

/*
 * Listing: each definition a map {"consents": [{"current", "hub",
 * "until"}...], "definition" (its body), "id", "name"}, packed once its
 * consents are known (keys in bytewise order, as the control protocol's
 * canonical msgpack wants).
 */
static void
flush_definition(summary_job *sj)
{
	if (sj->open.len == 0)
		return;
	sp_pack_map(&sj->listing, 4);
	sp_pack_cstr(&sj->listing, "consents");
	sp_pack_array(&sj->listing, sj->nconsents);
	sp_pack_raw(&sj->listing, sj->consents.data, sj->consents.len);
	sp_pack_raw(&sj->listing, sj->open.data, sj->open.len);
	sj->ndefinitions++;
	sp_buf_reset(&sj->open);
	sp_buf_reset(&sj->consents);
	sj->nconsents = 0;
}

static int
list_definition(void *arg, const char *name, const sp_definition *d, const uint8_t id[SP_ID_BYTES])
{
	summary_job *sj = arg;
	sp_buf *b = &sj->open;
	sp_buf body;

	flush_definition(sj);
	sp_buf_init(&body);
	sp_pack_cstr(b, "definition");
	if (sp_definition_encode(d, &body) == 0)
		sp_pack_bin(b, body.data, body.len);
	sp_buf_free(&body);
	sp_pack_cstr(b, "id");
	sp_pack_bin(b, id, SP_ID_BYTES);
	sp_pack_cstr(b, "name");
	sp_pack_cstr(b, name);
	return body.err != 0 ? body.err : b->err != 0 ? b->err : sj->listing.err;
}

static int
list_consent(void *arg, const sp_consent *c, bool current)
{
	summary_job *sj = arg;
	sp_buf *b = &sj->consents;

	sj->nconsents++;
	sp_pack_map(b, 3);
	sp_pack_cstr(b, "current");
	sp_pack_bool(b, current);
	sp_pack_cstr(b, "hub");
	sp_pack_bin(b, c->hub, SP_PUBKEY_BYTES);
	sp_pack_cstr(b, "until");
	sp_pack_uint(b, c->until_ms);
	return b->err;
}

/*
 * show's reply: the exact counts ("cells", "cols", "rows", "total") and
 * the summary that would be published ("published", its body; zero
 * consent). Fields in bytewise order.
 */
static void
pack_show(sp_buf *b, summary_job *sj)
{
	const sp_tally *t = sj->exact;
	size_t rows = sp_tally_rows(t), cols = sp_tally_cols(t), r, c;
	bool two_way = sp_tally_col(t, 0) != NULL;
	sp_buf body;

	sp_buf_init(&body);
	(void)sp_summary_encode(sj->published, &body);
	sp_ctl_begin_reply(b, SP_CTL_OK, 5);
	sp_pack_cstr(b, "cells");
	sp_pack_array(b, (uint32_t)rows);
	for (r = 0; r < rows; r++) {
		sp_pack_array(b, (uint32_t)cols);
		for (c = 0; c < cols; c++)
			sp_pack_uint(b, sp_tally_count(t, r, c));
	}
	sp_pack_cstr(b, "cols");
	sp_pack_array(b, two_way ? (uint32_t)cols : 0);
	for (c = 0; two_way && c < cols; c++)
		sp_pack_cstr(b, sp_tally_col(t, c));
	sp_pack_cstr(b, "published");
	sp_pack_bin(b, body.data, body.len);
	sp_pack_cstr(b, "rows");
	sp_pack_array(b, (uint32_t)rows);
	for (r = 0; r < rows; r++)
		sp_pack_cstr(b, sp_tally_row(t, r));
	sp_pack_cstr(b, "total");
	sp_pack_uint(b, sp_tally_total(t));
	sp_buf_free(&body);
}

static void
summary_run(sp_job *job)
{
	summary_job *sj = (summary_job *)job;
	sp_node *n = job->env->node;
	sp_summary_walk walk = { list_definition, list_consent, sj };

	switch (sj->op) {
	case SP_SUMMARY_DEFINE:
		job->err = sp_node_summary_define(n, sj->community, sj->name, sj->definition,
		    sj->definition_len, &sj->written);
		break;
	case SP_SUMMARY_RM:
		job->err = sp_node_summary_rm(n, sj->community, sj->name, &sj->written);
		break;
	case SP_SUMMARY_CONSENT:
		job->err = sp_node_summary_consent(n, sj->community, sj->name, sj->hub,
		    sj->until_ms, &sj->written);
		break;
	case SP_SUMMARY_WITHDRAW:
		job->err = sp_node_summary_withdraw(n, sj->community, sj->name, sj->hub,
		    &sj->written);
		break;
	case SP_SUMMARY_SHOW:
		job->err = sp_node_summary_compute(n, sj->community, sj->name, sp_node_now_ms(n),
		    &sj->exact, &sj->published);
		break;
	case SP_SUMMARY_LS:
		job->err = sp_node_summary_each(n, sj->community, &walk);
		flush_definition(sj);
		if (job->err == 0)
			job->err = sj->listing.err;
		break;
	}
}

static void
summary_job_free(summary_job *sj)
{
	free(sj->definition);
	sp_tally_free(sj->exact);
	sp_summary_free(sj->published);
	sp_buf_free(&sj->listing);
	sp_buf_free(&sj->open);
	sp_buf_free(&sj->consents);
	free(sj);
}

static const char *
error_detail(const summary_job *sj, int err)
{
	switch (err) {
	case SP_ENOTFOUND:
		return sj->op == SP_SUMMARY_WITHDRAW ? "no consent to this hub for this summary" :
		    "no such summary in this community (see 'simpul summary ls COMMUNITY')";
	case SP_ENOTADMIN:
		return "summaries and consents are written by a community admin";
	default:
		return NULL;
	}
}

static void
summary_done(sp_job *job)
{
	summary_job *sj = (summary_job *)job;
	size_t i;
	sp_buf b;

	if (job->err != 0) {
		log_info("summary command refused: %s", sp_strerror(job->err));
		sp_ctl_conn_error(job->conn, job->err, error_detail(sj, job->err));
		summary_job_free(sj);
		return;
	}
	sp_buf_init(&b);
	if (sj->op == SP_SUMMARY_SHOW) {
		pack_show(&b, sj);
	} else if (sj->op == SP_SUMMARY_LS) {
		sp_ctl_begin_reply(&b, SP_CTL_OK, 1);
		sp_pack_cstr(&b, "definitions");
		sp_pack_array(&b, sj->ndefinitions);
		sp_pack_raw(&b, sj->listing.data, sj->listing.len);
	} else {
		sp_ctl_begin_reply(&b, SP_CTL_OK, 1);
		sp_pack_cstr(&b, "ids");
		sp_pack_array(&b, (uint32_t)sj->written.n);
		for (i = 0; i < sj->written.n; i++)
			sp_pack_bin(&b, sj->written.ids[i], SP_ID_BYTES);
	}
	sp_reply_final(job->conn, &b);
	if (sj->written.more)
		sp_sessions_resync_all(job->env->sessions);
	else
		for (i = 0; i < sj->written.n; i++)
			sp_sessions_stored_id(job->env->sessions, sj->written.ids[i]);
	summary_job_free(sj);
}

/* Reads the request's fields for op into sj; replies with the error itself. */
static int
read_request(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env, summary_job *sj)
{
	sp_community_info info;
	const uint8_t *p;
	size_t len;
	int r;

	if ((r = sp_req_community(env, c, req, &info)) != 0)
		return r;
	memcpy(sj->community, info.id, SP_PUBKEY_BYTES);
	if (sj->op == SP_SUMMARY_LS)
		return 0;
	if ((r = sp_req_cstr(c, req, "name", sj->name, sizeof(sj->name))) != 0)
		return r;
	if (sp_alias_check(sj->name, strlen(sj->name)) != 0) {
		sp_ctl_conn_error(c, SP_EALIAS, "a summary's name follows the alias rules");
		return SP_EALIAS;
	}
	if (sj->op == SP_SUMMARY_DEFINE) {
		if ((r = sp_ctl_get_bin(req, "definition", &p, &len)) != 0) {
			sp_ctl_conn_error(c, SP_EINVAL, "field 'definition' (its body) is required");
			return SP_EINVAL;
		}
		if ((sj->definition = malloc(len > 0 ? len : 1)) == NULL) {
			sp_ctl_conn_error(c, SP_ENOMEM, NULL);
			return SP_ENOMEM;
		}
		memcpy(sj->definition, p, len);
		sj->definition_len = len;
		return 0;
	}
	if (sj->op == SP_SUMMARY_CONSENT || sj->op == SP_SUMMARY_WITHDRAW) {
		if (sp_ctl_get_bin(req, "hub", &p, &len) != 0 || len != SP_PUBKEY_BYTES) {
			sp_ctl_conn_error(c, SP_EINVAL, "field 'hub' (the hub's node id) is required");
			return SP_EINVAL;
		}
		memcpy(sj->hub, p, SP_PUBKEY_BYTES);
		r = sp_ctl_get_uint(req, "until", &sj->until_ms);
		if (r != 0 && r != SP_ENOTFOUND) {
			sp_ctl_conn_error(c, r, "field 'until'");
			return r;
		}
	}
	return 0;
}

void
sp_cmd_summary(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env, int op)
{
	summary_job *sj;

	if ((sj = calloc(1, sizeof(*sj))) == NULL) {
		sp_ctl_conn_error(c, SP_ENOMEM, NULL);
		return;
	}
	sj->op = (enum sp_summary_op)op;
	sp_buf_init(&sj->listing);
	sp_buf_init(&sj->open);
	sp_buf_init(&sj->consents);
	if (read_request(c, req, env, sj) != 0) {
		summary_job_free(sj);
		return;
	}
	sj->base.conn = c;
	sj->base.run = summary_run;
	sj->base.done = summary_done;
	if (op == SP_SUMMARY_LS || op == SP_SUMMARY_SHOW)
		sp_job_run(env, &sj->base);
	else
		sp_job_write(env, &sj->base);
}
