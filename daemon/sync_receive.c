/*
 * sync_receive.c - receiving records: a RECORDS message becomes a receive
 * task (its records checked against what the session accepts, copied into
 * a batch), verified on the thread pool and stored on the write queue;
 * after the commit, the records stored go on to the other sessions and
 * those that must wait are held: for a charter (waiting), or by an author
 * not known yet (unsure), which get a last chance once everything
 * received before them is stored. The path is docs/ARCHITECTURE.md's.
 * A hub also learns here the communities whose consents to it a peer
 * offers (docs/HUBS.md), on the write queue like the records.
 */
#include "sync.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "definition.h"
#include "hlc.h"
#include "log.h"
#include "sp_err.h"
#include "sync_int.h"
#include "syscoll.h"

/* Records waiting for their charter, at most. */
#define MAX_WAITING_BYTES (8u * 1024 * 1024)
/* Rejections logged per session (the count goes on in the status). */
#define LOG_REJECTS       8
/* Communities one session may make a hub learn; those past it are refused (logged once). */
#define MAX_LEARNT        10000

typedef struct receive_job {
	sp_task task;
	int err;
	sp_session *s;
	sp_buf records;            /* a batch (batch.h) */
	size_t count;
	sp_incoming *in;
	bool charters;
	bool last_chance;          /* the unsure records: an unknown author is refused now */
} receive_job;

static void receive_write_run(sp_task *task);
static void receive_write_done(sp_task *task);
static void resubmit(sp_session *s, sp_buf *held, size_t *n, bool last_chance);

/* A job of this file in flight holds the session and counts against what it reads. */
static void
job_hold(sp_session *s)
{
	s->refs++;
	s->receive_jobs++;
	sp_session_update_input(s);
}

/* A job is over: what waited for every job to be over goes on; drops the job's reference. */
static void
job_release(sp_session *s)
{
	uint8_t *msg;

	s->receive_jobs--;
	sp_session_update_input(s);
	if (s->receive_jobs == 0 && s->deferred != NULL && s->conn != NULL) {
		msg = s->deferred;
		s->deferred = NULL;
		/* The job's reference holds the session meanwhile. */
		sp_session_message(s, msg, s->deferred_len);
		free(msg);
	}
	/* Everything received before the unsure records is stored: their last chance. */
	if (s->receive_jobs == 0 && s->conn != NULL)
		resubmit(s, &s->unsure, &s->nunsure, true);
	sp_session_unref(s);
}

static void
receive_job_free(receive_job *j)
{
	sp_session *s = j->s;

	sp_buf_free(&j->records);
	free(j->in);
	free(j);
	job_release(s);
}

static receive_job *
receive_job_new(sp_session *s)
{
	receive_job *j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	sp_buf_init(&j->records);
	j->s = s;
	job_hold(s);
	return j;
}

static void
reject(sp_session *s, int why, const sp_record *rec)
{
	sp_peer_stats *st = sp_session_stats(s);
	char key[64];

	if (st != NULL)
		st->records_rejected++;
	if (s->rejects_logged++ >= LOG_REJECTS)
		return;
	sp_log_escape(key, sizeof(key), rec != NULL ? rec->key : "?",
	    rec != NULL ? rec->key_len : 1);
	if (why == SP_EFUTURE && rec != NULL) {
		uint64_t ms = SP_HLC_MS(rec->timestamp), now = sp_node_now_ms(s->ss->node);

		/* Either clock may be wrong: a board without a battery-backed clock boots in the past. */
		log_warn("peer %s: rejected record %s/%s: its timestamp is %llu minutes ahead of "
		    "this node's clock; check the clocks of this node and of the writing device",
		    s->pol.name, rec->collection, key,
		    (unsigned long long)(ms > now ? (ms - now + 30000) / 60000 : 0));
		return;
	}
	log_warn("peer %s: rejected record %s/%s: %s", s->pol.name,
	    rec != NULL ? rec->collection : "?", key, sp_strerror(why));
}

/* On a worker thread: the session's node pointer never changes. */
static void
verify_run(sp_task *task)
{
	receive_job *j = (receive_job *)task;
	uint64_t now = sp_node_now_ms(j->s->ss->node);
	const uint8_t *rec, *p = j->records.data;
	size_t left = j->records.len, len, i;

	if ((j->in = calloc(j->count, sizeof(*j->in))) == NULL) {
		j->err = SP_ENOMEM;
		return;
	}
	/* The batch was built here: every record in it is whole. */
	for (i = 0; i < j->count && sp_batch_next(&p, &left, &rec, &len) == 0; i++) {
		j->in[i].data = rec;
		j->in[i].len = len;
		j->in[i].result = sp_record_open(rec, len, now, &j->in[i].rec, j->in[i].id);
	}
}

/*
 * From a hub below: its consents may name the hubs below it, and its
 * charters of unknown communities teach this hub those communities, as
 * many as the session may still teach (reserved now, given back in
 * receive_write_done for those that taught nothing).
 */
static void
mark_from_below(sp_session *s, receive_job *j)
{
	size_t i;

	for (i = 0; i < j->count; i++) {
		sp_incoming *in = &j->in[i];

		if (in->result != 0)
			continue;
		in->from_below = true;
		if (sp_syscoll_find(in->rec.collection, in->rec.collection_len) !=
		    sp_syscoll_charter())
			continue;
		if (s->learnt < MAX_LEARNT) {
			in->may_learn = true;
			s->learnt++;
		} else if (!s->learn_refused) {
			log_warn("peer %s: refused to learn more than %u communities from one session",
			    s->pol.name, MAX_LEARNT);
			s->learn_refused = true;
		}
	}
}

static void
verify_done(sp_task *task)
{
	receive_job *j = (receive_job *)task;
	sp_session *s = j->s;
	sp_record rec;
	size_t i;

	if (j->err != 0) {
		sp_session_fail(s, j->err, "out of memory");
		receive_job_free(j);
		return;
	}
	/* A bad signature or clock: decoded again (it did decode) so the log names the record. */
	for (i = 0; i < j->count; i++)
		if (j->in[i].result != 0)
			reject(s, j->in[i].result, sp_record_decode(j->in[i].data, j->in[i].len,
			    &rec) == 0 ? &rec : NULL);
	if (sp_session_from_below(s))
		mark_from_below(s, j);
	j->task.run = receive_write_run;
	j->task.done = receive_write_done;
	sp_work_write(s->ss->work, &j->task);
}

static void
receive_write_run(sp_task *task)
{
	receive_job *j = (receive_job *)task;
	sp_incoming *v;
	size_t i, n = 0;

	/* Only the verified ones go to the store; keep the others' results. */
	if ((v = calloc(j->count, sizeof(*v))) == NULL) {
		j->err = SP_ENOMEM;
		return;
	}
	for (i = 0; i < j->count; i++)
		if (j->in[i].result == 0)
			v[n++] = j->in[i];
	j->err = sp_node_receive(j->s->ss->node, v, n, &j->charters);
	/* What sp_node_receive set: the result, and whether a charter taught its community. */
	for (i = 0, n = 0; i < j->count; i++)
		if (j->in[i].result == 0) {
			j->in[i].result = v[n].result;
			j->in[i].learnt = v[n++].learnt;
		}
	free(v);
}

/* Sends a batch held back (*held, *n records) through verification and the store again. */
static void
resubmit(sp_session *s, sp_buf *held, size_t *n, bool last_chance)
{
	receive_job *j;

	if (*n == 0 || (j = receive_job_new(s)) == NULL)
		return;
	/* Verified again (cheap next to a round trip), then stored. */
	j->records = *held;
	j->count = *n;
	j->last_chance = last_chance;
	sp_buf_init(held);
	*n = 0;
	j->task.run = verify_run;
	j->task.done = verify_done;
	sp_work_run(s->ss->work, &j->task);
}

void
sp_session_retry_waiting(sp_session *s)
{
	resubmit(s, &s->waiting, &s->nwaiting, false);
}

/*
 * Keeps a record back to try again (past MAX_WAITING_BYTES it is dropped,
 * not counted: the next reconciliation brings it again).
 */
static void
hold(sp_buf *held, size_t *n, const sp_incoming *in)
{
	if (held->len + in->len < MAX_WAITING_BYTES) {
		sp_batch_append(held, in->data, in->len);
		(*n)++;
	}
}

static void
receive_write_done(sp_task *task)
{
	receive_job *j = (receive_job *)task;
	sp_session *s = j->s;
	sp_peer_stats *st = sp_session_stats(s);
	sp_area a;
	size_t i, learnt = 0;
	int pass;

	if (j->err != 0) {
		log_error("peer %s: storing received records failed: %s", s->pol.name,
		    sp_strerror(j->err));
		sp_session_fail(s, j->err, "storage error");
		receive_job_free(j);
		return;
	}
	for (i = 0; i < j->count; i++) {
		sp_incoming *in = &j->in[i];

		if (in->may_learn && !in->learnt)
			s->learnt--;
		else if (in->learnt)
			learnt++;
		/* Whatever became of it, it is no longer awaited. */
		if (st != NULL && st->to_receive > 0)
			st->to_receive--;
		if (in->result == 0) {
			if (st != NULL)
				st->records_accepted++;
		} else if (in->result == SP_ENOCHARTER) {
			hold(&s->waiting, &s->nwaiting, in);
		} else if ((in->result == SP_EAUTHOR_UNKNOWN || in->result == SP_ENOCONSENT) &&
		    !j->last_chance) {
			/* Its charter or consent may be in a batch stored after it. */
			hold(&s->unsure, &s->nunsure, in);
		} else if (in->result != SP_ESTALE && in->result != SP_ESIG &&
		    in->result != SP_EFUTURE &&
		    sp_record_decode(in->data, in->len, &in->rec) == 0) {
			reject(s, in->result == SP_EAUTHOR_UNKNOWN ? SP_ENOTWRITER : in->result,
			    &in->rec);
		}
	}
	if (learnt > 0)
		log_info("peer %s: learnt %zu communities from this hub below", s->pol.name, learnt);
	/*
	 * New charters change what every session shares and which records
	 * wait no longer; then what was stored goes on to the other peers,
	 * the system records (charters) before those checked against them.
	 */
	if (j->charters)
		sp_sessions_charters_changed(s->ss);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < j->count; i++) {
			sp_incoming *in = &j->in[i];

			if (in->result != 0)
				continue;
			sp_area_of(&in->rec, &a);
			if (sp_sync_is_system_area(&a) == (pass == 0))
				sp_sessions_stored_from(s->ss, &a, in->data, in->len, s);
		}
	}
	/* The job's reference may be the last one (the connection closed meanwhile). */
	s->refs++;
	receive_job_free(j);
	sp_session_maybe_complete(s);
	sp_session_unref(s);
}

void
sp_session_on_records(sp_session *s, const sp_wire_msg *m, const uint8_t *raw, size_t raw_len)
{
	const uint8_t *p = m->data, *rec;
	size_t left = m->data_len, len;
	sp_peer_stats *st = sp_session_stats(s);
	receive_job *j;
	sp_record r;
	sp_area a;
	uint32_t i;
	int err;

	(void)raw;
	(void)raw_len;
	if ((j = receive_job_new(s)) == NULL) {
		sp_session_fail(s, SP_ENOMEM, "out of memory");
		return;
	}
	for (i = 0; i < m->count; i++) {
		if (sp_wire_next_bin(&p, &left, &rec, &len) != 0)
			break;
		/* Counted here, before any filtering: what arrived, whatever it is. */
		if (st != NULL)
			st->records_in++;
		if ((err = sp_record_decode(rec, len, &r)) != 0) {
			reject(s, err, NULL);
			continue;
		}
		if (st != NULL)
			st->records_in_label[r.label]++;
		sp_area_of(&r, &a);
		if (!sp_session_accepts(s, &a)) {
			reject(s, SP_EOUTSIDE, &r);
			continue;
		}
		sp_batch_append(&j->records, rec, len);
		j->count++;
	}
	if (j->records.err != 0 || j->count == 0) {
		if (j->records.err != 0)
			sp_session_fail(s, j->records.err, "out of memory");
		receive_job_free(j);
		return;
	}
	j->task.run = verify_run;
	j->task.done = verify_done;
	sp_work_run(s->ss->work, &j->task);
}

/* Communities a hub learns from a peer's offers, added on the write queue. */
typedef struct learn_job {
	sp_task task;
	int err;
	sp_session *s;
	uint8_t (*ids)[SP_PUBKEY_BYTES];
	size_t count;
	size_t added;
} learn_job;

static void
learn_run(sp_task *task)
{
	learn_job *j = (learn_job *)task;

	j->err = sp_node_community_learn(j->s->ss->node, j->ids, j->count, &j->added);
}

/*
 * The communities are known now (by this job or another session's): the
 * session names them, and a new pass reconciles their charters first.
 */
static void
learn_done(sp_task *task)
{
	learn_job *j = (learn_job *)task;
	sp_session *s = j->s;
	int r;

	s->learnt -= j->count - j->added;
	if (j->err != 0) {
		log_error("peer %s: learning communities failed: %s", s->pol.name,
		    sp_strerror(j->err));
		sp_session_fail(s, j->err, "storage error");
	} else if (s->conn != NULL) {
		if (j->added > 0)
			log_info("peer %s: learnt %zu communities that consent to this hub",
			    s->pol.name, j->added);
		if ((r = sp_session_collect_communities(s)) != 0 || (r = sp_session_agree(s)) != 0)
			sp_session_fail(s, r, "cannot work out the agreed areas");
		else
			sp_session_resync(s);
	}
	free(j->ids);
	free(j);
	/* The job's reference may be the last one (the connection closed meanwhile). */
	s->refs++;
	job_release(s);
	sp_session_maybe_complete(s);
	sp_session_unref(s);
}

static int
id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, SP_PUBKEY_BYTES);
}

/*
 * Into j: the communities, not known here, of the peer's offers of
 * .consent.SELF (consents to this hub), each once.
 */
static int
learn_candidates(sp_session *s, learn_job *j)
{
	sp_community_info info;
	const sp_area *a;
	sp_txn *t;
	size_t i, n = 0;
	int r;

	if ((r = sp_txn_begin(sp_node_store(s->ss->node), false, &t)) != 0)
		return r;
	for (i = 0; i < s->nremote_offers; i++) {
		a = &s->remote_offers[i];
		if (!sp_sync_is_consent_to_us(s, a))
			continue;
		if ((r = sp_store_community_get(t, a->community, &info)) == 0)
			continue;
		if (r != SP_ENOTFOUND)
			break;
		r = 0;
		memcpy(j->ids[n++], a->community, SP_PUBKEY_BYTES);
	}
	sp_txn_abort(t);
	if (n > 1)
		qsort(j->ids, n, SP_PUBKEY_BYTES, id_cmp);
	for (i = 0, j->count = 0; i < n; i++)
		if (j->count == 0 || memcmp(j->ids[j->count - 1], j->ids[i], SP_PUBKEY_BYTES) != 0)
			memmove(j->ids[j->count++], j->ids[i], SP_PUBKEY_BYTES);
	return r;
}

int
sp_session_learn_communities(sp_session *s)
{
	learn_job *j;
	int r;

	if (!sp_node_is_hub(s->ss->node) || s->nremote_offers == 0)
		return 0;
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->ids = calloc(s->nremote_offers, SP_PUBKEY_BYTES)) == NULL) {
		free(j);
		return SP_ENOMEM;
	}
	if ((r = learn_candidates(s, j)) != 0 || j->count == 0)
		goto out;
	if (s->learnt + j->count > MAX_LEARNT) {
		if (!s->learn_refused)
			log_warn("peer %s: refused to learn more than %u communities from one session",
			    s->pol.name, MAX_LEARNT);
		s->learn_refused = true;
		j->count = MAX_LEARNT - s->learnt;
		if (j->count == 0)
			goto out;
	}
	s->learnt += j->count;
	j->s = s;
	job_hold(s);
	j->task.run = learn_run;
	j->task.done = learn_done;
	sp_work_write(s->ss->work, &j->task);
	return 0;
out:
	free(j->ids);
	free(j);
	return r;
}

void
sp_session_receive_clear(sp_session *s)
{
	free(s->deferred);
	sp_buf_free(&s->waiting);
	sp_buf_free(&s->unsure);
}
