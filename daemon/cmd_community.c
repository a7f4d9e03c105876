/* Control commands on communities: create, join, ls, writers, key export/import. */
#include <stdlib.h>
#include <string.h>

#include "charter.h"
#include "crypto.h"
#include "cmd.h"
#include "log.h"
#include "pack.h"
#include "sp_err.h"

typedef struct community_job {
	sp_job base;
	enum sp_community_op op;
	char community[SP_COLLECTION_MAX + 1]; /* alias or id, as given */
	char alias[SP_COLLECTION_MAX + 1];
	uint8_t node[SP_PUBKEY_BYTES];         /* join: the community id; writers: the node */
	bool admin;
	const uint8_t *file;                   /* import-key: points into the request */
	size_t file_len;
	char *pass;                            /* owned copy, wiped after use */
	size_t pass_len;
	sp_community_info info;                /* result of create / import-key */
	sp_buf out;                            /* result of export-key */
} community_job;

static void
community_run(sp_job *job)
{
	community_job *cj = (community_job *)job;
	sp_node *n = job->env->node;

	switch (cj->op) {
	case SP_COMMUNITY_CREATE:
		job->err = sp_node_community_create(n, cj->alias, &cj->info);
		break;
	case SP_COMMUNITY_JOIN:
		job->err = sp_node_community_join(n, cj->node, cj->alias);
		break;
	case SP_COMMUNITY_ADD_WRITER:
		job->err = sp_node_set_writer(n, cj->community, cj->node, cj->admin);
		break;
	case SP_COMMUNITY_REMOVE_WRITER:
		job->err = sp_node_remove_writer(n, cj->community, cj->node);
		break;
	case SP_COMMUNITY_EXPORT_KEY:
		job->err = sp_node_export_key(n, cj->community, cj->pass, cj->pass_len, &cj->out);
		break;
	case SP_COMMUNITY_IMPORT_KEY:
		job->err = sp_node_import_key(n, cj->file, cj->file_len, cj->pass,
		    cj->pass_len, cj->alias[0] != '\0' ? cj->alias : NULL, &cj->info);
		break;
	}
}

static void
community_job_free(community_job *cj)
{
	if (cj->pass != NULL) {
		sp_memzero(cj->pass, cj->pass_len);
		free(cj->pass);
	}
	sp_buf_wipe(&cj->out);
	free(cj);
}

/*
 * Sends a charter just written to every connected peer entitled to it, at
 * once: records that depend on it (a new writer's) must not reach a peer
 * before it.
 */
static void
push_charter(sp_cmd_env *env, const char *community)
{
	sp_community_info info;
	sp_stored st;
	sp_record rec;
	sp_area a;
	sp_txn *t;

	if (sp_node_community_find(env->node, community, &info) != 0 ||
	    sp_txn_begin(sp_node_store(env->node), false, &t) != 0)
		return;
	if (sp_node_charter_record(t, info.id, &st) == 0 &&
	    sp_record_decode(st.data, st.len, &rec) == 0) {
		sp_area_of(&rec, &a);
		sp_sessions_stored(env->sessions, &a, st.data, st.len);
	}
	sp_txn_abort(t);
}

static void
community_done(sp_job *job)
{
	community_job *cj = (community_job *)job;
	sp_buf b;

	if (job->err != 0) {
		log_info("community command refused: %s", sp_strerror(job->err));
		sp_ctl_conn_error(job->conn, job->err,
		    job->err == SP_EKEYMODE || job->err == SP_EKEYSIZE ?
		    "the community's key, communities/COMMUNITY_ID.key in the data directory" :
		    job->err == SP_EEXIST ? "a community with this alias or id is known here "
		    "(see 'simpul community ls')" : NULL);
		community_job_free(cj);
		return;
	}
	sp_buf_init(&b);
	switch (cj->op) {
	case SP_COMMUNITY_CREATE:
	case SP_COMMUNITY_IMPORT_KEY:
		sp_ctl_begin_reply(&b, SP_CTL_OK, 2);
		sp_pack_cstr(&b, "id");
		sp_pack_bin(&b, cj->info.id, SP_PUBKEY_BYTES);
		sp_pack_cstr(&b, "alias");
		sp_pack_cstr(&b, cj->info.alias);
		log_info("community %s ready", cj->info.alias);
		break;
	case SP_COMMUNITY_EXPORT_KEY:
		sp_ctl_begin_reply(&b, SP_CTL_OK, 1);
		sp_pack_cstr(&b, "file");
		sp_pack_bin(&b, cj->out.data, cj->out.len);
		break;
	default:
		sp_ctl_begin_reply(&b, SP_CTL_OK, 0);
		break;
	}
	sp_reply_final(job->conn, &b);
	/* A new charter or community changes what peers agree on; then the charter goes out. */
	if (cj->op != SP_COMMUNITY_EXPORT_KEY)
		sp_sessions_charters_changed(job->env->sessions);
	if (cj->op == SP_COMMUNITY_ADD_WRITER || cj->op == SP_COMMUNITY_REMOVE_WRITER)
		push_charter(job->env, cj->community);
	community_job_free(cj);
}

/* Copies an optional string field; replies and fails when it is malformed. */
static int
opt_cstr(sp_ctl_conn *c, const sp_ctl_msg *req, const char *name, char *buf, size_t size)
{
	int r = sp_ctl_get_cstr(req, name, buf, size);

	if (r == SP_ENOTFOUND) {
		buf[0] = '\0';
		return 0;
	}
	if (r != 0)
		sp_ctl_conn_error(c, r, name);
	return r;
}

/* Reads a 32-byte key field; replies and fails when absent or the wrong size. */
static int
req_key(sp_ctl_conn *c, const sp_ctl_msg *req, const char *name, uint8_t out[SP_PUBKEY_BYTES])
{
	const uint8_t *p;
	size_t len;

	if (sp_ctl_get_bin(req, name, &p, &len) != 0 || len != SP_PUBKEY_BYTES) {
		sp_ctl_conn_error(c, SP_EID, name);
		return SP_EID;
	}
	memcpy(out, p, SP_PUBKEY_BYTES);
	return 0;
}

static int
req_passphrase(sp_ctl_conn *c, const sp_ctl_msg *req, community_job *cj)
{
	const char *p;
	size_t len;

	if (sp_ctl_get_str(req, "passphrase", &p, &len) != 0 || len == 0) {
		sp_ctl_conn_error(c, SP_EINVAL, "a passphrase is required");
		return SP_EINVAL;
	}
	if ((cj->pass = malloc(len)) == NULL) {
		sp_ctl_conn_error(c, SP_ENOMEM, NULL);
		return SP_ENOMEM;
	}
	memcpy(cj->pass, p, len);
	cj->pass_len = len;
	return 0;
}

void
sp_cmd_community(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env, int op)
{
	community_job *cj;
	int r = 0;

	if ((cj = calloc(1, sizeof(*cj))) == NULL) {
		sp_ctl_conn_error(c, SP_ENOMEM, NULL);
		return;
	}
	sp_buf_init(&cj->out);
	cj->op = op;
	switch (op) {
	case SP_COMMUNITY_CREATE:
		r = sp_req_cstr(c, req, "alias", cj->alias, sizeof(cj->alias));
		break;
	case SP_COMMUNITY_JOIN:
		if ((r = req_key(c, req, "id", cj->node)) == 0)
			r = sp_req_cstr(c, req, "alias", cj->alias, sizeof(cj->alias));
		break;
	case SP_COMMUNITY_ADD_WRITER:
		(void)sp_ctl_get_bool(req, "admin", &cj->admin);
		/* FALLTHROUGH */
	case SP_COMMUNITY_REMOVE_WRITER:
		if ((r = sp_req_cstr(c, req, "community", cj->community, sizeof(cj->community))) == 0)
			r = req_key(c, req, "node", cj->node);
		break;
	case SP_COMMUNITY_EXPORT_KEY:
		if ((r = sp_req_cstr(c, req, "community", cj->community, sizeof(cj->community))) == 0)
			r = req_passphrase(c, req, cj);
		break;
	case SP_COMMUNITY_IMPORT_KEY:
		if (sp_ctl_get_bin(req, "file", &cj->file, &cj->file_len) != 0) {
			sp_ctl_conn_error(c, SP_EINVAL, "field 'file' is required");
			r = SP_EINVAL;
		} else if ((r = req_passphrase(c, req, cj)) == 0) {
			r = opt_cstr(c, req, "alias", cj->alias, sizeof(cj->alias));
		}
		break;
	}
	if (r != 0) {
		community_job_free(cj);
		return;
	}
	cj->base.conn = c;
	cj->base.run = community_run;
	cj->base.done = community_done;
	/* Exporting only reads a key file: it need not wait for writes. */
	if (op == SP_COMMUNITY_EXPORT_KEY)
		sp_job_run(env, &cj->base);
	else
		sp_job_write(env, &cj->base);
}

typedef struct community_list {
	sp_cmd_env *env;
	sp_txn *t;
	sp_buf out;
} community_list;

/* One streamed item per community, with this node's role in its charter. */
static int
list_community(void *arg, const sp_community_info *info)
{
	community_list *cl = arg;
	sp_node *n = cl->env->node;
	const char *role = "pending";  /* no charter yet: it comes by replication */
	sp_charter *ch;
	uint64_t writers = 0;
	size_t start = cl->out.len;

	if (sp_node_charter(cl->t, info->id, &ch) == 0) {
		if (sp_charter_is_admin(ch, sp_node_id(n)))
			role = "admin";
		else if (sp_charter_is_writer(ch, sp_node_id(n)))
			role = "writer";
		else
			role = "reader";
		writers = sp_charter_count(ch);
		sp_charter_free(ch);
	}
	sp_ctl_begin_reply(&cl->out, SP_CTL_MORE, 5);
	sp_pack_cstr(&cl->out, "id");
	sp_pack_bin(&cl->out, info->id, SP_PUBKEY_BYTES);
	sp_pack_cstr(&cl->out, "alias");
	sp_pack_cstr(&cl->out, info->alias);
	sp_pack_cstr(&cl->out, "role");
	sp_pack_cstr(&cl->out, role);
	sp_pack_cstr(&cl->out, "writers");
	sp_pack_uint(&cl->out, writers);
	sp_pack_cstr(&cl->out, "has_key");
	sp_pack_bool(&cl->out, sp_node_has_community_key(n, info->id));
	return sp_ctl_end(&cl->out, start);
}

void
sp_cmd_community_ls(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env)
{
	community_list cl;
	size_t start;
	int r;

	(void)req;
	cl.env = env;
	sp_buf_init(&cl.out);
	if ((r = sp_txn_begin(sp_node_store(env->node), false, &cl.t)) != 0) {
		sp_ctl_conn_error(c, r, NULL);
		return;
	}
	r = sp_store_community_each(cl.t, list_community, &cl);
	sp_txn_abort(cl.t);
	start = cl.out.len;
	sp_ctl_begin_reply(&cl.out, SP_CTL_OK, 0);
	if (r == 0)
		r = sp_ctl_end(&cl.out, start);
	if (r != 0) {
		sp_buf_free(&cl.out);
		sp_ctl_conn_error(c, r, NULL);
		return;
	}
	(void)sp_ctl_conn_send(c, &cl.out, 1);
}
