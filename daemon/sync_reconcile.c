/*
 * sync_reconcile.c - reconciliation and sending: the phases of a pass and
 * the areas each reconciles, a snapshot of each area, the client's and the
 * server's Negentropy rounds, the ids reported so far (struct sp_seen),
 * the records the peer asked for (WANT) and the queue that sends them
 * within the output budget (sp_session_pump). The conversation is
 * docs/PROTOCOL.md's.
 */
#include "sync.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "neg_store.h"
#include "negentropy.h"
#include "pack.h"
#include "sp_err.h"
#include "sync_int.h"
#include "syscoll.h"

/*
 * Ranges under this many items go as id lists; larger ones split further.
 * The reference uses 32; with sparse differences in large sets 4 sends
 * about half the bytes for a round or two more (tests/bench/bench_negentropy).
 */
#define NEG_IDLIST_BELOW  4
/* Rounds per area before the client gives up on it (a 1 MiB frame carries ~32,000 ids). */
#define MAX_ROUNDS        4096
/* Records per RECORDS message we send, and its bytes. */
#define SEND_BATCH_BYTES  (1024u * 1024)
/* Keep at most this much queued on the socket while sending records. */
#define SEND_HIGH         (4u * 1024 * 1024)

/* An area being served (we are the Negentropy server for it). */
typedef struct sp_served {
	sp_area area;
	sp_neg_vector *vec;
	sp_neg *neg;
} served;

/*
 * A record id to send, with the area it must still be in (an index into
 * the session's send_areas: an initial sync queues a million of these).
 */
typedef struct sp_outgoing {
	uint32_t area;
	uint8_t id[SP_ID_BYTES];
} outgoing;

/* The ids reported in the area being reconciled (struct sp_seen). */

static void
seen_clear(struct sp_seen *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

/* Returns 1 if id was new (and is now in), 0 if seen before, <0 on OOM. */
static int
seen_add(struct sp_seen *t, const uint8_t id[SP_ID_BYTES])
{
	uint64_t key, *old;
	size_t i, cap;

	if (t->n * 2 >= t->cap) {
		old = t->slots;
		cap = t->cap;
		t->cap = cap != 0 ? cap * 2 : 1024;
		if ((t->slots = calloc(t->cap, sizeof(*t->slots))) == NULL) {
			t->slots = old;
			t->cap = cap;
			return SP_ENOMEM;
		}
		t->n = 0;
		for (i = 0; i < cap; i++) {
			if (old[i] != 0) {
				size_t j = old[i] & (t->cap - 1);

				while (t->slots[j] != 0)
					j = (j + 1) & (t->cap - 1);
				t->slots[j] = old[i];
				t->n++;
			}
		}
		free(old);
	}
	memcpy(&key, id, sizeof(key));
	if (key == 0)
		key = 1;
	for (i = key & (t->cap - 1); t->slots[i] != 0; i = (i + 1) & (t->cap - 1))
		if (t->slots[i] == key)
			return 0;
	t->slots[i] = key;
	t->n++;
	return 1;
}

/* Client side. */

static void next_area(sp_session *s);

void
sp_session_start_phase(sp_session *s, enum sp_phase phase)
{
	sp_sync_area_list todo = { NULL, 0, 0, 0 };
	size_t i;
	sp_area a;

	s->phase = phase;
	/*
	 * Communities joined since the last pass bring their charters, and
	 * the membership they say decides who is sent them.
	 */
	if (phase == SP_PHASE_CHARTERS &&
	    (sp_session_collect_communities(s) != 0 || sp_session_agree(s) != 0)) {
		sp_session_fail(s, SP_ESTORE, "cannot read the store");
		return;
	}
	if (phase == SP_PHASE_CHARTERS) {
		for (i = 0; i < s->ncommunities; i++) {
			const sp_syscoll *sc;
			size_t k;

			for (k = 0; (sc = sp_syscoll_at(k)) != NULL; k++) {
				if (sc->phase != 0)
					continue;
				memset(&a, 0, sizeof(a));
				memcpy(a.community, s->communities[i], SP_PUBKEY_BYTES);
				strcpy(a.collection, sc->name);
				a.label = sc->label;
				sp_sync_area_list_add(&todo, &a);
			}
		}
		/* Between hubs, the charters of every community, as one set. */
		memset(&a, 0, sizeof(a));
		strcpy(a.collection, sp_syscoll_charter()->name);
		a.label = sp_syscoll_charter()->label;
		if (sp_session_sends(s, &a) || sp_session_accepts(s, &a))
			sp_sync_area_list_add(&todo, &a);
	} else {
		/* Every area agreed in either direction, once. */
		for (i = 0; i < s->nout; i++)
			sp_sync_area_list_add(&todo, &s->out[i]);
		for (i = 0; i < s->nin; i++)
			if (!sp_sync_area_search(s->out, s->nout, &s->in[i]))
				sp_sync_area_list_add(&todo, &s->in[i]);
	}
	if (todo.err != 0) {
		free(todo.v);
		sp_session_fail(s, todo.err, "out of memory");
		return;
	}
	free(s->todo);
	s->todo = todo.v;
	s->ntodo = todo.n;
	s->itodo = 0;
	next_area(s);
}

static int
snapshot(sp_session *s, const sp_area *a, sp_neg_vector **vec, sp_neg **neg)
{
	sp_neg_storage st;
	sp_txn *t;
	int r;

	*vec = NULL;
	*neg = NULL;
	if (sp_sync_is_system_area(a) && !sp_is_every_community(a->community) &&
	    !sp_session_sends(s, a)) {
		/*
		 * A peer not entitled to our system records (a charter lists the
		 * members) reconciles against nothing: it learns no id to ask
		 * for, and can still give us its own. Between hubs everything
		 * is public, and a hub below learns which of its records the
		 * hub above holds already.
		 */
		if ((r = sp_neg_vector_new(vec)) != 0 || (r = sp_neg_vector_seal(*vec)) != 0)
			goto fail;
	} else {
		if ((r = sp_txn_begin(sp_node_store(s->ss->node), false, &t)) != 0)
			return r;
		r = sp_neg_store_load(t, a->community, a->collection, strlen(a->collection),
		    a->label, vec);
		sp_txn_abort(t);
		if (r != 0)
			return r;
	}
	sp_neg_vector_storage(*vec, &st);
	if ((r = sp_neg_new(&st, SP_WIRE_NEG_MAX, neg)) == 0 &&
	    (r = sp_neg_set_idlist_below(*neg, NEG_IDLIST_BELOW)) != 0) {
		sp_neg_free(*neg);
		*neg = NULL;
	}
fail:
	if (r != 0) {
		sp_neg_vector_free(*vec);
		*vec = NULL;
	}
	return r;
}

/* A pass ended with SYNCED (sent or received): its round trips go to the status. */
static void
end_rounds(sp_session *s)
{
	if (sp_session_stats(s) != NULL)
		sp_session_stats(s)->rounds = s->pass_rounds;
	s->pass_rounds = 0;
}

/*
 * A pass is complete once every area is reconciled, everything asked for
 * has been sent and received, and stored.
 */
void
sp_session_maybe_complete(sp_session *s)
{
	sp_peer_stats *st = sp_session_stats(s);
	sp_buf b;

	if (s->complete || s->phase != SP_PHASE_LIVE || st == NULL || s->isend < s->nsend ||
	    st->to_receive > 0 || s->receive_jobs > 0)
		return;
	if (s->initiator && !s->synced_sent) {
		sp_buf_init(&b);
		sp_wire_synced(&b);
		sp_session_send(s, &b);
		s->synced_sent = true;
		end_rounds(s);
	}
	s->complete = true;
	st->last_sync_ms = sp_node_now_ms(s->ss->node);
	sp_conn_set_state(s->conn, SP_PEER_LIVE);
	log_info("peer %s: in sync", s->pol.name);
}

static void
next_area(sp_session *s)
{
	sp_buf b;
	int r;

	sp_neg_free(s->neg);
	sp_neg_vector_free(s->vec);
	s->neg = NULL;
	s->vec = NULL;
	if (s->conn == NULL)
		return;
	if (s->itodo == s->ntodo) {
		if (s->phase == SP_PHASE_CHARTERS) {
			if ((r = sp_session_agree(s)) != 0) {
				sp_session_fail(s, r, "cannot work out the agreed areas");
				return;
			}
			sp_session_start_phase(s, SP_PHASE_AREAS);
			return;
		}
		s->phase = SP_PHASE_LIVE;
		if (s->resync) {
			s->resync = false;
			s->synced_sent = false;
			s->complete = false;
			sp_session_start_phase(s, SP_PHASE_CHARTERS);
			return;
		}
		sp_session_maybe_complete(s);
		return;
	}
	s->rounds = 0;
	s->have = s->need = 0;
	seen_clear(&s->seen);
	if ((r = snapshot(s, &s->todo[s->itodo], &s->vec, &s->neg)) != 0) {
		sp_session_fail(s, r, "cannot read an area");
		return;
	}
	sp_buf_init(&b);
	{
		sp_buf neg;

		sp_buf_init(&neg);
		if ((r = sp_neg_initiate(s->neg, &neg)) == 0)
			sp_wire_neg(&b, &s->todo[s->itodo], neg.data, neg.len);
		sp_buf_free(&neg);
	}
	if (r != 0) {
		sp_buf_free(&b);
		sp_session_fail(s, r, "negentropy");
		return;
	}
	sp_session_send(s, &b);
}

/* The index of a in send_areas, adding it if new; -1 when out of memory. */
static long
send_area_index(sp_session *s, const sp_area *a)
{
	sp_area *v;
	size_t i;

	for (i = s->nsend_areas; i > 0; i--)
		if (sp_area_cmp(&s->send_areas[i - 1], a) == 0)
			return (long)(i - 1);
	if (s->nsend_areas >= SP_WIRE_MAX_AREAS * 2 ||
	    (v = realloc(s->send_areas, (s->nsend_areas + 1) * sizeof(*v))) == NULL)
		return -1;
	s->send_areas = v;
	v[s->nsend_areas] = *a;
	return (long)s->nsend_areas++;
}

static void
queue_send(sp_session *s, const sp_area *a, const uint8_t id[SP_ID_BYTES])
{
	outgoing *v;
	long area;

	if ((area = send_area_index(s, a)) < 0) {
		sp_session_fail(s, SP_ENOMEM, "out of memory");
		return;
	}
	if (s->nsend == s->capsend) {
		/* Compact what was sent before growing. */
		if (s->isend > 0) {
			memmove(s->sendq, s->sendq + s->isend, (s->nsend - s->isend) * sizeof(*v));
			s->nsend -= s->isend;
			s->isend = 0;
		}
		if (s->nsend == s->capsend) {
			s->capsend = s->capsend != 0 ? s->capsend * 2 : 1024;
			if ((v = realloc(s->sendq, s->capsend * sizeof(*v))) == NULL) {
				sp_session_fail(s, SP_ENOMEM, "out of memory");
				return;
			}
			s->sendq = v;
		}
	}
	s->sendq[s->nsend].area = (uint32_t)area;
	memcpy(s->sendq[s->nsend++].id, id, SP_ID_BYTES);
	if (sp_session_stats(s) != NULL)
		sp_session_stats(s)->to_send++;
}

/* The ids of one round, gathered by the negentropy callbacks. */
typedef struct round_ids {
	sp_session *s;
	const sp_area *area;
	bool send, ask;
	sp_buf want;             /* packed id bins for WANT */
	uint32_t nwant;
} round_ids;

static void
flush_want(round_ids *ri)
{
	sp_buf b;

	if (ri->nwant == 0)
		return;
	sp_buf_init(&b);
	sp_wire_want_begin(&b, ri->area, ri->nwant);
	sp_pack_raw(&b, ri->want.data, ri->want.len);
	sp_session_send(ri->s, &b);
	if (sp_session_stats(ri->s) != NULL)
		sp_session_stats(ri->s)->to_receive += ri->nwant;
	sp_buf_reset(&ri->want);
	ri->nwant = 0;
}

static void
on_have(void *arg, const uint8_t id[SP_NEG_ID_BYTES])
{
	round_ids *ri = arg;

	if (seen_add(&ri->s->seen, id) <= 0)
		return;
	ri->s->have++;
	if (ri->send)
		queue_send(ri->s, ri->area, id);
}

static void
on_need(void *arg, const uint8_t id[SP_NEG_ID_BYTES])
{
	round_ids *ri = arg;

	if (seen_add(&ri->s->seen, id) <= 0)
		return;
	ri->s->need++;
	if (!ri->ask)
		return;
	sp_pack_bin(&ri->want, id, SP_NEG_ID_BYTES);
	if (++ri->nwant == SP_WIRE_MAX_IDS)
		flush_want(ri);
}

void
sp_session_client_neg(sp_session *s, const sp_wire_msg *m, const uint8_t *raw, size_t raw_len)
{
	round_ids ri;
	sp_buf next, b;
	bool done = false;
	int r;

	(void)raw;
	(void)raw_len;
	if (s->neg == NULL || s->itodo >= s->ntodo || sp_area_cmp(&m->area, &s->todo[s->itodo]) != 0) {
		sp_session_fail(s, SP_EFRAME, "negentropy reply for an area not being reconciled");
		return;
	}
	memset(&ri, 0, sizeof(ri));
	ri.s = s;
	ri.area = &s->todo[s->itodo];
	ri.send = sp_session_sends(s, ri.area);
	ri.ask = sp_session_accepts(s, ri.area);
	sp_buf_init(&ri.want);
	sp_buf_init(&next);
	r = sp_neg_reconcile_client(s->neg, m->data, m->data_len, &next, on_have, on_need, &ri, &done);
	flush_want(&ri);
	sp_buf_free(&ri.want);
	s->pass_rounds++;
	if (r == 0 && !done && ++s->rounds > MAX_ROUNDS)
		r = SP_ENEG;
	if (r != 0) {
		sp_buf_free(&next);
		sp_session_fail(s, r, "negentropy failed");
		return;
	}
	sp_buf_init(&b);
	if (!done) {
		sp_wire_neg(&b, ri.area, next.data, next.len);
		sp_buf_free(&next);
		sp_session_send(s, &b);
		return;
	}
	sp_buf_free(&next);
	sp_wire_done(&b, ri.area, s->have, s->need);
	sp_session_send(s, &b);
	s->itodo++;
	sp_session_pump(s);
	next_area(s);
}

void
sp_session_on_refused(sp_session *s, const sp_wire_msg *m, const uint8_t *raw, size_t raw_len)
{
	(void)raw;
	(void)raw_len;
	if (s->neg == NULL || sp_area_cmp(&m->area, &s->todo[s->itodo]) != 0) {
		sp_session_fail(s, SP_EFRAME, "REFUSED for an area not being reconciled");
		return;
	}
	s->itodo++;
	next_area(s);
}

/* Server side. */

static served *
find_served(sp_session *s, const sp_area *a)
{
	size_t i;

	for (i = 0; i < s->nserved; i++)
		if (sp_area_cmp(&s->served[i].area, a) == 0)
			return &s->served[i];
	return NULL;
}

static void
drop_served(sp_session *s, const sp_area *a)
{
	served *sv = find_served(s, a);

	if (sv == NULL)
		return;
	sp_neg_free(sv->neg);
	sp_neg_vector_free(sv->vec);
	*sv = s->served[--s->nserved];
}

void
sp_session_server_neg(sp_session *s, const sp_wire_msg *m, const uint8_t *raw, size_t raw_len)
{
	served *sv, *v;
	sp_buf reply, b;
	int r;

	if (!sp_session_sends(s, &m->area) && !sp_session_accepts(s, &m->area)) {
		/*
		 * Charters the client just sent may still be on their way to the
		 * store, and they may be what agrees this area: wait for them.
		 */
		if (s->receive_jobs > 0 && s->deferred == NULL) {
			if ((s->deferred = malloc(raw_len)) == NULL) {
				sp_session_fail(s, SP_ENOMEM, "out of memory");
				return;
			}
			memcpy(s->deferred, raw, raw_len);
			s->deferred_len = raw_len;
			return;
		}
		sp_buf_init(&b);
		sp_wire_refused(&b, &m->area);
		sp_session_send(s, &b);
		return;
	}
	if ((sv = find_served(s, &m->area)) == NULL) {
		if (s->nserved >= SP_WIRE_MAX_AREAS ||
		    (v = realloc(s->served, (s->nserved + 1) * sizeof(*v))) == NULL) {
			sp_session_fail(s, SP_ENOMEM, "too many areas at once");
			return;
		}
		s->served = v;
		sv = &s->served[s->nserved];
		sv->area = m->area;
		if ((r = snapshot(s, &m->area, &sv->vec, &sv->neg)) != 0) {
			sp_session_fail(s, r, "cannot read an area");
			return;
		}
		s->nserved++;
	}
	sp_buf_init(&reply);
	if ((r = sp_neg_reconcile(sv->neg, m->data, m->data_len, &reply)) != 0) {
		sp_buf_free(&reply);
		sp_session_fail(s, r, "malformed negentropy message");
		return;
	}
	s->pass_rounds++;
	sp_buf_init(&b);
	sp_wire_neg(&b, &m->area, reply.data, reply.len);
	sp_buf_free(&reply);
	sp_session_send(s, &b);
}

void
sp_session_on_want(sp_session *s, const sp_wire_msg *m, const uint8_t *raw, size_t raw_len)
{
	const uint8_t *p = m->data, *id;
	size_t left = m->data_len, len;
	uint32_t i;

	(void)raw;
	(void)raw_len;
	if (!sp_session_sends(s, &m->area)) {
		sp_session_fail(s, SP_EOUTSIDE, "asked for records outside the agreed areas");
		return;
	}
	for (i = 0; i < m->count; i++) {
		if (sp_wire_next_bin(&p, &left, &id, &len) != 0)
			return;
		queue_send(s, &m->area, id);
	}
	sp_session_update_input(s);
	sp_session_pump(s);
}

void
sp_session_on_done(sp_session *s, const sp_wire_msg *m, const uint8_t *raw, size_t raw_len)
{
	int r;

	(void)raw;
	(void)raw_len;
	drop_served(s, &m->area);
	/* The initiator has what we lack: that much is on its way. */
	if (sp_session_accepts(s, &m->area) && sp_session_stats(s) != NULL)
		sp_session_stats(s)->to_receive += m->have;
	/* Charters may have arrived: agree again before the areas start. */
	if (sp_sync_is_system_area(&m->area) && (r = sp_session_agree(s)) != 0)
		sp_session_fail(s, r, "cannot work out the agreed areas");
}

void
sp_session_on_synced(sp_session *s, const sp_wire_msg *m, const uint8_t *raw, size_t raw_len)
{
	(void)m;
	(void)raw;
	(void)raw_len;
	s->phase = SP_PHASE_LIVE;
	end_rounds(s);
	sp_session_maybe_complete(s);
}

/* Sending records: as much as the socket takes, in RECORDS batches. */

typedef struct pack_ctx {
	sp_buf recs;
	uint32_t n;
} pack_ctx;

void
sp_session_pump(sp_session *s)
{
	pack_ctx pc;
	sp_stored st;
	sp_record rec;
	sp_txn *t;
	sp_buf b;
	sp_peer_stats *ps;
	sp_area a;

	while (s->conn != NULL && s->isend < s->nsend && sp_conn_pending(s->conn) < SEND_HIGH) {
		if (sp_txn_begin(sp_node_store(s->ss->node), false, &t) != 0) {
			sp_session_fail(s, SP_ESTORE, "cannot read the store");
			return;
		}
		sp_buf_init(&pc.recs);
		pc.n = 0;
		ps = sp_session_stats(s);
		while (s->isend < s->nsend && pc.recs.len < SEND_BATCH_BYTES &&
		    pc.n < SP_WIRE_MAX_RECORDS) {
			outgoing *o = &s->sendq[s->isend++];

			if (ps != NULL && ps->to_send > 0)
				ps->to_send--;
			/* Superseded since: its successor travels by itself. */
			if (sp_store_get_by_id(t, o->id, &st) != 0 ||
			    sp_record_decode(st.data, st.len, &rec) != 0)
				continue;
			sp_area_of(&rec, &a);
			if (!sp_area_holds(&s->send_areas[o->area], &a))
				continue;
			sp_pack_bin(&pc.recs, st.data, st.len);
			pc.n++;
		}
		sp_txn_abort(t);
		if (pc.n > 0) {
			sp_buf_init(&b);
			sp_wire_records_begin(&b, pc.n);
			sp_pack_raw(&b, pc.recs.data, pc.recs.len);
			sp_session_send(s, &b);
		}
		sp_buf_free(&pc.recs);
	}
	if (s->isend == s->nsend) {
		s->isend = s->nsend = 0;
		s->nsend_areas = 0;
		sp_session_maybe_complete(s);
	}
	sp_session_update_input(s);
}

void
sp_session_reconcile_clear(sp_session *s)
{
	size_t i;

	for (i = 0; i < s->nserved; i++) {
		sp_neg_free(s->served[i].neg);
		sp_neg_vector_free(s->served[i].vec);
	}
	free(s->served);
	sp_neg_free(s->neg);
	sp_neg_vector_free(s->vec);
	seen_clear(&s->seen);
	free(s->todo);
	free(s->sendq);
	free(s->send_areas);
}
