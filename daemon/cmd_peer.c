/* Control commands on peers: peer.add, peer.ls, peer.rm, peer.sync; the peer table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base32.h"
#include "cmd.h"
#include "log.h"
#include "pack.h"
#include "peer.h"
#include "policy.h"
#include "reader.h"
#include "sp_err.h"
#include "sync.h"

#define NO_SUCH_PEER "no such peer (see 'simpul peer ls')"

typedef struct peer_job {
	sp_job base;
	bool remove;
	sp_peer_policy pol;
	char name[SP_PEER_NAME_MAX + 1];
} peer_job;

static int
name_taken(void *arg, const char *name, size_t name_len, const uint8_t *data, size_t len)
{
	const sp_peer_policy *pol = arg;
	sp_peer_policy other;

	if (name_len == strlen(pol->name) && memcmp(name, pol->name, name_len) == 0)
		return SP_EEXIST;
	if (sp_policy_decode(data, len, &other) == 0 && memcmp(other.node, pol->node, 32) == 0)
		return SP_EEXIST;
	return 0;
}

static void
peer_run(sp_job *job)
{
	peer_job *pj = (peer_job *)job;
	sp_store *st = sp_node_store(job->env->node);
	sp_buf enc;
	sp_txn *t;
	int r;

	sp_buf_init(&enc);
	if ((r = sp_txn_begin(st, true, &t)) != 0)
		goto out;
	if (pj->remove) {
		r = sp_store_peer_del(t, pj->name, strlen(pj->name));
	} else if ((r = sp_store_peer_each(t, name_taken, &pj->pol)) == 0 &&
	    (r = sp_policy_encode(&pj->pol, &enc)) == 0) {
		r = sp_store_peer_put(t, pj->pol.name, strlen(pj->pol.name), enc.data, enc.len);
	}
	if (r != 0) {
		sp_txn_abort(t);
		goto out;
	}
	r = sp_txn_commit(t);
out:
	sp_buf_free(&enc);
	job->err = r;
}

static void
peer_done(sp_job *job)
{
	peer_job *pj = (peer_job *)job;
	int r;

	if (job->err != 0) {
		sp_ctl_conn_error(job->conn, job->err,
		    job->err == SP_EEXIST ? "a peer with this name or node id exists; 'simpul peer rm' it first" :
		    job->err == SP_ENOTFOUND ? NO_SUCH_PEER : NULL);
	} else {
		log_info("peer %s %s", pj->remove ? pj->name : pj->pol.name,
		    pj->remove ? "removed" : "added");
		if ((r = sp_peers_reload(job->env->peers)) != 0)
			log_error("reloading peers: %s", sp_strerror(r));
		sp_reply_ok(job->conn);
	}
	free(pj);
}

/* Reads an array of SPEC strings into wants, resolving each community here. */
static int
read_specs(sp_cmd_env *env, const sp_ctl_msg *req, const char *field, sp_want *out,
    size_t *n, char *detail, size_t size)
{
	sp_community_info info;
	const uint8_t *raw;
	const char *s;
	char text[256];
	sp_reader rd;
	sp_spec spec;
	uint32_t count, i;
	size_t len, rawlen;
	int r;

	*n = 0;
	if ((r = sp_ctl_get_raw(req, field, &raw, &rawlen)) != 0)
		return r == SP_ENOTFOUND ? 0 : r;
	sp_reader_init(&rd, raw, rawlen);
	if ((r = sp_read_array(&rd, &count)) != 0)
		return r;
	if (count > SP_POLICY_MAX_SPECS)
		return SP_ETOOBIG;
	for (i = 0; i < count; i++) {
		if ((r = sp_read_str(&rd, &s, &len)) != 0)
			return r;
		if (len >= sizeof(text))
			return SP_ETOOBIG;
		memcpy(text, s, len);
		text[len] = '\0';
		if ((r = sp_spec_parse(text, &spec)) != 0) {
			sp_spec_explain(detail, size, text, r);
			return r;
		}
		if (strcmp(field, "wants") == 0 && sp_node_is_hub(env->node) &&
		    strcmp(spec.community, "*") != 0) {
			/* Its records travel by their rows' rules: a want would only invite others. */
			snprintf(detail, size, "a hub takes only what hubs keep; its one want is "
			    "'*/*:public', towards a hub below it");
			return SP_EINVAL;
		}
		if (strcmp(spec.community, "*") == 0) {
			if (!sp_node_is_hub(env->node)) {
				snprintf(detail, size, "community '*' is for hubs (simpuld --hub)");
				return SP_EINVAL;
			}
			memset(out[i].community, 0, 32);
		} else if ((r = sp_node_community_find(env->node, spec.community, &info)) != 0) {
			snprintf(detail, size, "community '%s' (see 'simpul community ls')",
			    spec.community);
			return r;
		} else {
			memcpy(out[i].community, info.id, 32);
		}
		memcpy(out[i].collection, spec.collection, sizeof(spec.collection));
		out[i].labels = spec.labels;
	}
	*n = count;
	return 0;
}

void
sp_cmd_peer_add(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env)
{
	char detail[300] = "", host[SP_ADDRESS_MAX + 1];
	const uint8_t *node;
	uint16_t port;
	size_t len;
	peer_job *pj;
	int r;

	if ((pj = calloc(1, sizeof(*pj))) == NULL) {
		sp_ctl_conn_error(c, SP_ENOMEM, NULL);
		return;
	}
	if (sp_req_cstr(c, req, "name", pj->pol.name, sizeof(pj->pol.name)) != 0)
		goto fail_quiet;
	if ((r = sp_alias_check(pj->pol.name, strlen(pj->pol.name))) != 0) {
		snprintf(detail, sizeof(detail), "peer name '%s'", pj->pol.name);
		goto fail;
	}
	if (sp_ctl_get_bin(req, "node", &node, &len) != 0 || len != 32) {
		r = SP_EID;
		goto fail;
	}
	memcpy(pj->pol.node, node, 32);
	if (memcmp(node, sp_node_id(env->node), 32) == 0) {
		r = SP_EINVAL;
		snprintf(detail, sizeof(detail), "that is this node's own id");
		goto fail;
	}
	r = sp_ctl_get_cstr(req, "address", pj->pol.address, sizeof(pj->pol.address));
	if (r == 0 && pj->pol.address[0] != '\0' &&
	    (r = sp_address_parse(pj->pol.address, host, sizeof(host), &port)) != 0) {
		snprintf(detail, sizeof(detail), "address '%s': use HOST:PORT", pj->pol.address);
		goto fail;
	}
	if (r != 0 && r != SP_ENOTFOUND)
		goto fail;
	if ((r = read_specs(env, req, "offers", pj->pol.offers, &pj->pol.noffers, detail,
	    sizeof(detail))) != 0 ||
	    (r = read_specs(env, req, "wants", pj->pol.wants, &pj->pol.nwants, detail,
	    sizeof(detail))) != 0)
		goto fail;
	pj->base.conn = c;
	pj->base.run = peer_run;
	pj->base.done = peer_done;
	sp_job_write(env, &pj->base);
	return;
fail:
	sp_ctl_conn_error(c, r, detail[0] != '\0' ? detail : NULL);
fail_quiet:
	free(pj);
}

void
sp_cmd_peer_rm(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env)
{
	peer_job *pj;

	if ((pj = calloc(1, sizeof(*pj))) == NULL) {
		sp_ctl_conn_error(c, SP_ENOMEM, NULL);
		return;
	}
	if (sp_req_cstr(c, req, "name", pj->name, sizeof(pj->name)) != 0) {
		free(pj);
		return;
	}
	pj->remove = true;
	pj->base.conn = c;
	pj->base.run = peer_run;
	pj->base.done = peer_done;
	sp_job_write(env, &pj->base);
}

void
sp_cmd_peer_sync(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env)
{
	char name[SP_PEER_NAME_MAX + 1];
	int r;

	if (sp_req_cstr(c, req, "name", name, sizeof(name)) != 0)
		return;
	/* Connected: reconcile again; otherwise dial it now. */
	if (sp_sessions_resync(env->sessions, name) != 0 &&
	    (r = sp_peers_dial(env->peers, name)) != 0) {
		sp_ctl_conn_error(c, r, r == SP_ENOTFOUND ? NO_SUCH_PEER : name);
		return;
	}
	sp_reply_ok(c);
}

struct table_ctx {
	sp_cmd_env *env;
	sp_txn *t;
	sp_buf *b;
	uint32_t n;
};

/* SPEC strings of a policy's wants, with aliases where this node knows them. */
static void
pack_specs(struct table_ctx *tc, const sp_want *w, size_t n)
{
	sp_community_info info;
	char name[SP_COLLECTION_MAX + 1], spec[256];
	size_t i;

	sp_pack_array(tc->b, (uint32_t)n);
	for (i = 0; i < n; i++) {
		if (sp_is_every_community(w[i].community))
			snprintf(name, sizeof(name), "*");
		else if (tc->t != NULL && sp_store_community_get(tc->t, w[i].community, &info) == 0)
			snprintf(name, sizeof(name), "%s", info.alias);
		else
			sp_base32_encode(name, w[i].community, 32);
		if (sp_spec_format(spec, sizeof(spec), name, w[i].collection, w[i].labels) != 0)
			spec[0] = '\0';
		sp_pack_cstr(tc->b, spec);
	}
}

static void
count_peer(void *arg, const sp_peer_policy *pol, enum sp_peer_state state,
    const sp_peer_stats *st)
{
	(void)pol;
	(void)state;
	(void)st;
	((struct table_ctx *)arg)->n++;
}

static void
pack_peer(void *arg, const sp_peer_policy *pol, enum sp_peer_state state,
    const sp_peer_stats *st)
{
	struct table_ctx *tc = arg;
	sp_buf *b = tc->b;
	char id[SP_ID_STR_LEN + 1];
	unsigned i;

	/* Nested maps are canonical: keys in bytewise order. */
	sp_pack_map(b, 19);
	sp_pack_cstr(b, "address");
	sp_pack_cstr(b, pol->address);
	sp_pack_cstr(b, "areas");
	sp_pack_uint(b, st->areas);
	sp_pack_cstr(b, "bytes_in");
	sp_pack_uint(b, st->bytes_in);
	sp_pack_cstr(b, "bytes_out");
	sp_pack_uint(b, st->bytes_out);
	sp_pack_cstr(b, "last_error");
	sp_pack_cstr(b, st->last_error);
	sp_pack_cstr(b, "last_handshake_ms");
	sp_pack_uint(b, st->last_handshake_ms);
	sp_pack_cstr(b, "last_sync_ms");
	sp_pack_uint(b, st->last_sync_ms);
	sp_pack_cstr(b, "name");
	sp_pack_cstr(b, pol->name);
	sp_base32_encode(id, pol->node, 32);
	sp_pack_cstr(b, "node");
	sp_pack_cstr(b, id);
	sp_pack_cstr(b, "offers");
	pack_specs(tc, pol->offers, pol->noffers);
	sp_pack_cstr(b, "records_accepted");
	sp_pack_uint(b, st->records_accepted);
	sp_pack_cstr(b, "records_in");
	sp_pack_uint(b, st->records_in);
	sp_pack_cstr(b, "records_in_labels");
	sp_pack_array(b, SP_LABEL_COUNT);
	for (i = 0; i < SP_LABEL_COUNT; i++)
		sp_pack_uint(b, st->records_in_label[i]);
	sp_pack_cstr(b, "records_rejected");
	sp_pack_uint(b, st->records_rejected);
	sp_pack_cstr(b, "rounds");
	sp_pack_uint(b, st->rounds);
	sp_pack_cstr(b, "state");
	sp_pack_cstr(b, sp_peer_state_name(state));
	sp_pack_cstr(b, "to_receive");
	sp_pack_uint(b, st->to_receive);
	sp_pack_cstr(b, "to_send");
	sp_pack_uint(b, st->to_send);
	sp_pack_cstr(b, "wants");
	pack_specs(tc, pol->wants, pol->nwants);
}

void
sp_pack_peer_table(sp_cmd_env *env, sp_buf *b)
{
	struct table_ctx tc = { env, NULL, b, 0 };

	sp_peers_each(env->peers, count_peer, &tc);
	sp_pack_array(b, tc.n);
	if (sp_txn_begin(sp_node_store(env->node), false, &tc.t) != 0)
		tc.t = NULL;
	sp_peers_each(env->peers, pack_peer, &tc);
	if (tc.t != NULL)
		sp_txn_abort(tc.t);
}

void
sp_cmd_peer_ls(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env)
{
	sp_buf b;

	(void)req;
	sp_buf_init(&b);
	sp_ctl_begin_reply(&b, SP_CTL_OK, 1);
	sp_pack_cstr(&b, "peers");
	sp_pack_peer_table(env, &b);
	sp_reply_final(c, &b);
}
