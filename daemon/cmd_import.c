/*
 * Control commands of a CSV import: import.begin, import.rows (repeated),
 * import.commit, import.abort. The CLI parses and validates the file and
 * streams its rows; the daemon signs each batch on the thread pool while
 * the previous one is written, and writes under the store's import journal
 * so that the import lands whole or not at all, even across kill -9. A
 * connection that goes away before import.commit rolls the import back.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "pack.h"
#include "sp_err.h"

/* Batches signed and waiting for the writer before a rows reply is held back. */
#define MAX_QUEUED_BATCHES 2

typedef struct import_state {
	sp_cmd_env *env;
	sp_ctl_conn *c;            /* NULL once the connection closed */
	unsigned refs;             /* the connection and each job in flight */
	sp_write spec;
	char collection[SP_COLLECTION_MAX + 1];
	sp_import imp;
	bool begun;                /* the journal entry exists */
	bool finished;             /* committed, rolled back or never begun; the claim is released */
	bool retrying;             /* a rollback failed (a full disk): tried again every SP_RETRY_MS */
	int err;                   /* first failure; the import is then rolled back */
	char detail[256];
	unsigned queued;           /* batches signed, not yet written */
	sp_ctl_conn *held;         /* a rows request whose reply waits for the writer */
	uint64_t rows;
} import_state;

typedef struct import_job {
	sp_job base;
	import_state *st;
	const uint8_t *rows;       /* sign: points into the request */
	size_t rows_len;
	sp_buf batch;              /* signed records for the writer */
	size_t count;
} import_job;

static void
state_unref(import_state *st)
{
	if (--st->refs > 0)
		return;
	/* Only when a rollback could not even be queued: the journal has it. */
	if (!st->finished)
		sp_work_release(st->env->work, st->spec.community, st->collection);
	free(st);
}

/*
 * The import is over: nothing more of it will be written, so the
 * collection takes other writes again now, not once the connection goes
 * (the client may still be reading the reply).
 */
static void
finish(import_state *st)
{
	st->finished = true;
	sp_work_release(st->env->work, st->spec.community, st->collection);
}

static import_job *
job_new(import_state *st, sp_ctl_conn *c, void (*run)(sp_job *), void (*done)(sp_job *))
{
	import_job *j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	sp_buf_init(&j->batch);
	j->st = st;
	st->refs++;
	j->base.conn = c;
	j->base.run = run;
	j->base.done = done;
	return j;
}

static void
job_free(import_job *j)
{
	import_state *st = j->st;

	sp_buf_free(&j->batch);
	free(j);
	state_unref(st);
}

static void
fail(import_state *st, int err, const char *detail)
{
	if (st->err != 0)
		return;
	st->err = err;
	snprintf(st->detail, sizeof(st->detail), "%s", detail != NULL ? detail : "");
	log_info("import into %s failed: %s %s", st->collection, sp_strerror(err), st->detail);
}

static void
reply_error(sp_ctl_conn *c, const import_state *st)
{
	sp_ctl_conn_error(c, st->err, st->detail[0] != '\0' ? st->detail : NULL);
}

static void
rollback_run(sp_job *job)
{
	import_job *j = (import_job *)job;

	if (j->st->begun && !j->st->finished)
		job->err = sp_store_import_rollback(sp_node_store(job->env->node), &j->st->imp);
}

static void queue_rollback(import_state *st, sp_ctl_conn *c);

static void
rollback_retry(void *arg, bool cancelled)
{
	import_state *st = arg;

	if (cancelled)
		log_warn("import %llu into %s is rolled back at the next start",
		    (unsigned long long)st->imp.id, st->collection);
	else
		queue_rollback(st, NULL);
	/* A cancelled one keeps its journal entry; the claim goes with the state. */
	state_unref(st);
}

/*
 * A rollback that failed (the disk is full, say) is tried again until it
 * works: meanwhile the collection stays claimed, so it takes no other
 * writes and no session sends its rows, which may yet be undone.
 */
static bool
retry_rollback(import_state *st, int err)
{
	if (sp_work_retry_later(st->env->work, rollback_retry, st) != 0)
		return false;
	st->refs++;
	if (!st->retrying)
		log_error("rolling back import %llu into %s: %s; trying again every %d s, and until "
		    "then the collection takes no writes and none of its rows are sent to peers",
		    (unsigned long long)st->imp.id, st->collection, sp_strerror(err),
		    SP_RETRY_MS / 1000);
	st->retrying = true;
	return true;
}

static void
rollback_done(sp_job *job)
{
	import_job *j = (import_job *)job;
	import_state *st = j->st;
	bool retrying;

	retrying = job->err != 0 && st->begun && !st->finished && retry_rollback(st, job->err);
	if (!retrying) {
		if (job->err != 0)
			log_error("rolling back import %llu: %s (it is rolled back at the next start)",
			    (unsigned long long)st->imp.id, sp_strerror(job->err));
		else if (st->begun && !st->finished)
			log_info("import %llu into %s rolled back", (unsigned long long)st->imp.id,
			    st->collection);
		if (!st->finished)
			finish(st);
	}
	if (job->conn != NULL) {
		if (st->err != 0)
			reply_error(job->conn, st);
		else if (retrying)
			sp_ctl_conn_error(job->conn, job->err, "the import is undone as soon as it can be");
		else
			sp_reply_ok(job->conn);
	}
	job_free(j);
}

/* Queues a rollback; c (may be NULL) gets the reply. */
static void
queue_rollback(import_state *st, sp_ctl_conn *c)
{
	import_job *j = job_new(st, c, rollback_run, rollback_done);

	if (j == NULL) {
		/* The journal still rolls it back at the next start. */
		log_error("out of memory queueing an import rollback");
		if (c != NULL)
			sp_ctl_conn_error(c, SP_ENOMEM, NULL);
		return;
	}
	sp_job_write(st->env, &j->base);
}

static void
on_conn_close(sp_ctl_conn *c, void *data)
{
	import_state *st = data;

	(void)c;
	st->c = NULL;
	if (!st->finished)
		queue_rollback(st, NULL);
	state_unref(st);
}

static import_state *
conn_import(sp_ctl_conn *c)
{
	return sp_ctl_conn_data(c);
}

static void
begin_run(sp_job *job)
{
	import_job *j = (import_job *)job;

	job->err = sp_store_import_begin(sp_node_store(job->env->node),
	    j->st->spec.community, j->st->collection, strlen(j->st->collection), &j->st->imp);
}

static void
begin_done(sp_job *job)
{
	import_job *j = (import_job *)job;
	sp_buf b;

	if (job->err != 0) {
		fail(j->st, job->err, NULL);
		finish(j->st);
		reply_error(job->conn, j->st);
	} else {
		j->st->begun = true;
		log_info("import %llu into %s started", (unsigned long long)j->st->imp.id,
		    j->st->collection);
		sp_buf_init(&b);
		sp_ctl_begin_reply(&b, SP_CTL_OK, 1);
		sp_pack_cstr(&b, "import");
		sp_pack_uint(&b, j->st->imp.id);
		sp_reply_final(job->conn, &b);
	}
	job_free(j);
}

void
sp_cmd_import_begin(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env)
{
	sp_community_info info;
	import_state *st;
	import_job *j;
	char label[16];
	int r;

	if (conn_import(c) != NULL) {
		sp_ctl_conn_error(c, SP_EBUSY, "this connection already runs an import");
		return;
	}
	if (sp_req_community(env, c, req, &info) != 0)
		return;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		sp_ctl_conn_error(c, SP_ENOMEM, NULL);
		return;
	}
	st->env = env;
	st->c = c;
	st->refs = 1;
	memcpy(st->spec.community, info.id, SP_PUBKEY_BYTES);
	if (sp_req_cstr(c, req, "collection", st->collection, sizeof(st->collection)) != 0)
		goto fail_free;
	if ((r = sp_collection_check(st->collection, strlen(st->collection), false)) != 0) {
		sp_ctl_conn_error(c, r, st->collection);
		goto fail_free;
	}
	st->spec.collection = st->collection;
	st->spec.collection_len = strlen(st->collection);
	st->spec.label = SP_LABEL_COMMUNITY;
	r = sp_ctl_get_cstr(req, "label", label, sizeof(label));
	if (r == 0) {
		r = sp_label_parse(label, &st->spec.label);
		st->spec.label_given = true;
	} else if (r == SP_ENOTFOUND) {
		r = 0;
	}
	if (r != 0) {
		sp_ctl_conn_error(c, SP_ELABEL, NULL);
		goto fail_free;
	}
	if ((r = sp_work_claim(env->work, info.id, st->collection)) != 0) {
		sp_ctl_conn_error(c, r, "another import into this collection is running");
		goto fail_free;
	}
	sp_ctl_conn_set_data(c, st, on_conn_close);
	if ((j = job_new(st, c, begin_run, begin_done)) == NULL) {
		fail(st, SP_ENOMEM, NULL);
		reply_error(c, st);
		return;
	}
	sp_job_write(env, &j->base);
	return;
fail_free:
	free(st);
}

static void
write_run(sp_job *job)
{
	import_job *j = (import_job *)job;
	sp_node *n = job->env->node;

	/* After a failure the rest of the import is dropped, not written. */
	if (j->st->err != 0 || j->st->finished)
		return;
	job->err = sp_node_write_batch(n, &j->st->imp, j->batch.data, j->batch.len,
	    job->detail, sizeof(job->detail));
}

static void
write_done(sp_job *job)
{
	import_job *j = (import_job *)job;
	import_state *st = j->st;

	if (job->err != 0)
		fail(st, job->err, job->detail);
	else if (st->err == 0)
		st->rows += j->count;
	st->queued--;
	if (st->held != NULL) {
		/* Every request gets its final reply, even on a closing connection. */
		if (st->err != 0)
			reply_error(st->held, st);
		else
			sp_reply_ok(st->held);
		st->held = NULL;
	}
	job_free(j);
}

static void
sign_run(sp_job *job)
{
	import_job *j = (import_job *)job;

	job->err = sp_node_sign_rows(job->env->node, &j->st->spec, j->rows,
	    j->rows_len, &j->batch, &j->count, job->detail, sizeof(job->detail));
}

static void
sign_done(sp_job *job)
{
	import_job *j = (import_job *)job;
	import_state *st = j->st;

	if (job->err != 0)
		fail(st, job->err, job->detail);
	if (st->err == 0 && st->c == NULL)
		fail(st, SP_EDISCONNECTED, NULL);
	if (st->err != 0) {
		reply_error(job->conn, st);
		job_free(j);
		return;
	}
	/* The request's bytes are released by the reply; the batch is ours. */
	j->rows = NULL;
	j->base.run = write_run;
	j->base.done = write_done;
	st->queued++;
	sp_job_write(st->env, &j->base);
	if (st->queued <= MAX_QUEUED_BATCHES)
		sp_reply_ok(job->conn);
	else
		st->held = job->conn;
}

/* The connection's import, replying with an error when there is none usable. */
static import_state *
usable_import(sp_ctl_conn *c)
{
	import_state *st = conn_import(c);

	if (st == NULL || !st->begun || st->finished) {
		sp_ctl_conn_error(c, SP_EINVAL, "no import running on this connection; send import.begin first");
		return NULL;
	}
	if (st->err != 0) {
		reply_error(c, st);
		return NULL;
	}
	return st;
}

void
sp_cmd_import_rows(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env)
{
	import_state *st;
	import_job *j;

	if ((st = usable_import(c)) == NULL)
		return;
	if ((j = job_new(st, c, sign_run, sign_done)) == NULL) {
		sp_ctl_conn_error(c, SP_ENOMEM, NULL);
		return;
	}
	if (sp_ctl_get_raw(req, "rows", &j->rows, &j->rows_len) != 0) {
		sp_ctl_conn_error(c, SP_EINVAL, "field 'rows' is required");
		job_free(j);
		return;
	}
	sp_job_run(env, &j->base);
}

static void
commit_run(sp_job *job)
{
	import_job *j = (import_job *)job;
	sp_store *s = sp_node_store(job->env->node);

	/* Every batch was queued before this job, so all have run by now. */
	if (j->st->err != 0)
		job->err = sp_store_import_rollback(s, &j->st->imp);
	else
		job->err = sp_store_import_commit(s, &j->st->imp);
}

static void
commit_done(sp_job *job)
{
	import_job *j = (import_job *)job;
	import_state *st = j->st;
	sp_buf b;

	if (st->err == 0 && job->err != 0)
		fail(st, job->err, NULL);
	if (job->err == 0)
		finish(st);
	if (st->err != 0) {
		reply_error(job->conn, st);
	} else {
		log_info("import %llu into %s committed: %llu rows",
		    (unsigned long long)st->imp.id, st->collection, (unsigned long long)st->rows);
		sp_buf_init(&b);
		sp_ctl_begin_reply(&b, SP_CTL_OK, 1);
		sp_pack_cstr(&b, "rows");
		sp_pack_uint(&b, st->rows);
		sp_reply_final(job->conn, &b);
		/* Too many records to push one by one: peers reconcile instead. */
		sp_sessions_resync_all(job->env->sessions);
	}
	job_free(j);
}

void
sp_cmd_import_commit(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env)
{
	import_state *st = conn_import(c);
	import_job *j;

	(void)req;
	if (st == NULL || !st->begun || st->finished) {
		sp_ctl_conn_error(c, SP_EINVAL, "no import running on this connection");
		return;
	}
	if ((j = job_new(st, c, commit_run, commit_done)) == NULL) {
		sp_ctl_conn_error(c, SP_ENOMEM, NULL);
		return;
	}
	sp_job_write(env, &j->base);
}

void
sp_cmd_import_abort(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env)
{
	import_state *st = conn_import(c);

	(void)req;
	(void)env;
	if (st == NULL || st->finished) {
		sp_reply_ok(c);
		return;
	}
	queue_rollback(st, c);
}
