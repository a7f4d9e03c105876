/*
 * sync.c - the replication session and the set of them: a session's
 * lifecycle and reference count, the messages it takes in each role and
 * phase (initiator_takes, responder_takes), the handlers of conn.h that
 * peer.c calls, resync, and live pushes fanned out over every session.
 * What a session shares with its peer is in sync_agree.c, reconciliation
 * and sending in sync_reconcile.c, receiving in sync_receive.c; what they
 * share is sync_int.h.
 */
#include "sync.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pack.h"
#include "sp_err.h"
#include "sync_int.h"

/* Receive jobs (verify or write) in flight before we stop reading from the peer. */
#define MAX_RECEIVE_JOBS  4
/*
 * Record ids asked for and not sent yet before we stop reading from the
 * peer (36 bytes each): it waits for what it asked for before it asks for
 * more.
 */
#define MAX_QUEUED_SENDS  (4u * SP_WIRE_MAX_IDS)

void
sp_session_unref(sp_session *s)
{
	if (--s->refs > 0)
		return;
	sp_session_agree_clear(s);
	sp_session_reconcile_clear(s);
	sp_session_receive_clear(s);
	free(s);
}

sp_peer_stats *
sp_session_stats(sp_session *s)
{
	return s->conn != NULL ? sp_conn_stats(s->conn) : NULL;
}

void
sp_session_fail(sp_session *s, int code, const char *why)
{
	if (s->conn != NULL)
		sp_conn_close(s->conn, code, why);
}

void
sp_session_send(sp_session *s, sp_buf *b)
{
	int r;

	if (s->conn != NULL && (r = sp_conn_send(s->conn, b)) != 0 && r != SP_EDISCONNECTED)
		sp_session_fail(s, r, "cannot send");
	sp_buf_free(b);
}

/*
 * Reads from the peer while there is room for what it sends: receive jobs
 * in flight, and the records it asked for and has not been sent yet.
 */
void
sp_session_update_input(sp_session *s)
{
	if (s->conn != NULL)
		sp_conn_pause(s->conn, s->receive_jobs >= MAX_RECEIVE_JOBS ||
		    s->nsend - s->isend >= MAX_QUEUED_SENDS);
}

/*
 * The messages a session takes, per role and phase (as OpenSSH's
 * dispatch.c swaps handler tables): raw is the message as it came (the
 * responder may have to hold a NEG back), m its decoding.
 */
typedef void msg_handler(sp_session *s, const sp_wire_msg *m, const uint8_t *raw, size_t raw_len);

static void
on_hello(sp_session *s, const sp_wire_msg *m, const uint8_t *raw, size_t raw_len)
{
	int r;

	(void)raw;
	(void)raw_len;
	if ((r = sp_session_read_hello(s, m)) != 0) {
		sp_session_fail(s, r, "bad HELLO");
		return;
	}
	/*
	 * The responder agrees on what it can now and again after every
	 * charter the initiator sends; the initiator drives the phases.
	 */
	if (s->initiator) {
		sp_session_start_phase(s, SP_PHASE_CHARTERS);
		return;
	}
	s->phase = SP_PHASE_CHARTERS;
	if ((r = sp_session_agree(s)) != 0)
		sp_session_fail(s, r, "cannot work out the agreed areas");
}

static void
on_resync(sp_session *s, const sp_wire_msg *m, const uint8_t *raw, size_t raw_len)
{
	(void)m;
	(void)raw;
	(void)raw_len;
	sp_session_resync(s);
}

static void
on_offers(sp_session *s, const sp_wire_msg *m, const uint8_t *raw, size_t raw_len)
{
	int r;

	(void)raw;
	(void)raw_len;
	if ((r = sp_session_read_offers(s, m)) != 0)
		sp_session_fail(s, r, "bad OFFERS");
}

/* NULL: the message is not taken in that phase. */
static msg_handler *const initiator_takes[SP_PHASES][SP_WIRE_TYPES] = {
	[SP_PHASE_HELLO] = { [SP_WIRE_HELLO] = on_hello },
	[SP_PHASE_CHARTERS] = {
		[SP_WIRE_NEG] = sp_session_client_neg, [SP_WIRE_REFUSED] = sp_session_on_refused,
		[SP_WIRE_RECORDS] = sp_session_on_records, [SP_WIRE_RESYNC] = on_resync,
		[SP_WIRE_OFFERS] = on_offers,
	},
	[SP_PHASE_AREAS] = {
		[SP_WIRE_NEG] = sp_session_client_neg, [SP_WIRE_REFUSED] = sp_session_on_refused,
		[SP_WIRE_RECORDS] = sp_session_on_records, [SP_WIRE_RESYNC] = on_resync,
		[SP_WIRE_OFFERS] = on_offers,
	},
	[SP_PHASE_LIVE] = {
		[SP_WIRE_RECORDS] = sp_session_on_records, [SP_WIRE_RESYNC] = on_resync,
		[SP_WIRE_OFFERS] = on_offers,
	},
};

static msg_handler *const responder_takes[SP_PHASES][SP_WIRE_TYPES] = {
	[SP_PHASE_HELLO] = { [SP_WIRE_HELLO] = on_hello },
	[SP_PHASE_CHARTERS] = {
		[SP_WIRE_NEG] = sp_session_server_neg, [SP_WIRE_RECORDS] = sp_session_on_records,
		[SP_WIRE_WANT] = sp_session_on_want, [SP_WIRE_DONE] = sp_session_on_done,
		[SP_WIRE_SYNCED] = sp_session_on_synced,
	},
	[SP_PHASE_LIVE] = {
		[SP_WIRE_NEG] = sp_session_server_neg, [SP_WIRE_RECORDS] = sp_session_on_records,
		[SP_WIRE_WANT] = sp_session_on_want, [SP_WIRE_DONE] = sp_session_on_done,
		[SP_WIRE_SYNCED] = sp_session_on_synced,
	},
};

static const char *const phase_names[SP_PHASES] = {
	[SP_PHASE_HELLO] = "waiting for HELLO", [SP_PHASE_CHARTERS] = "reconciling charters",
	[SP_PHASE_AREAS] = "reconciling areas", [SP_PHASE_LIVE] = "live",
};

/*
 * Why a message this session does not take closes it: before HELLO only
 * HELLO; HELLO once; a message the peer's role never sends; or one this
 * phase does not expect.
 */
static void
unexpected(sp_session *s, msg_handler *const (*takes)[SP_WIRE_TYPES], enum sp_wire_type type)
{
	const char *name = sp_wire_type_name(type);
	char why[96];
	int phase;

	if (s->phase == SP_PHASE_HELLO) {
		sp_session_fail(s, SP_EFRAME, "expected HELLO");
		return;
	}
	if (type == SP_WIRE_HELLO) {
		sp_session_fail(s, SP_EFRAME, "a second HELLO");
		return;
	}
	for (phase = 0; phase < SP_PHASES && takes[phase][type] == NULL; phase++)
		;
	if (phase == SP_PHASES)
		snprintf(why, sizeof(why), "%s from the %s", name,
		    s->initiator ? "responder" : "initiator");
	else
		snprintf(why, sizeof(why), "unexpected %s while %s", name, phase_names[s->phase]);
	sp_session_fail(s, SP_EFRAME, why);
}

void
sp_session_message(sp_session *s, const uint8_t *msg, size_t len)
{
	msg_handler *const (*takes)[SP_WIRE_TYPES] = s->initiator ? initiator_takes : responder_takes;
	sp_wire_msg m;
	char why[128];
	int r;

	if ((r = sp_wire_decode(msg, len, &m)) != 0) {
		snprintf(why, sizeof(why), "malformed message: %s", sp_strerror(r));
		sp_session_fail(s, r, why);
		return;
	}
	if (takes[s->phase][m.type] == NULL) {
		unexpected(s, takes, m.type);
		return;
	}
	takes[s->phase][m.type](s, &m, msg, len);
}

/* The connection's handlers (sp_conn_handlers): each holds a reference while it works. */

static void
on_message(void *state, const uint8_t *msg, size_t len)
{
	sp_session *s = state;

	s->refs++;
	sp_session_message(s, msg, len);
	sp_session_unref(s);
}

static void *
on_established(void *arg, sp_conn *c)
{
	sp_sessions *ss = arg;
	sp_session *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->ss = ss;
	s->conn = c;
	s->refs = 1;
	/* What a dropped connection left owed is asked for again by this one. */
	sp_conn_stats(c)->to_send = sp_conn_stats(c)->to_receive = 0;
	s->initiator = sp_conn_initiator(c);
	s->pol = *sp_conn_policy(c);
	s->phase = SP_PHASE_HELLO;
	sp_buf_init(&s->waiting);
	sp_buf_init(&s->unsure);
	s->next = ss->list;
	if (ss->list != NULL)
		ss->list->prev = s;
	ss->list = s;
	sp_conn_set_state(c, SP_PEER_SYNCING);
	/*
	 * Communities this side names by itself (consents to the peer as their
	 * hub) go into HELLO's offers. A store error leaves them out for now:
	 * they are collected again from the peer's HELLO.
	 */
	(void)sp_session_collect_communities(s);
	sp_session_send_offers(s, SP_WIRE_HELLO);
	return s;
}

static void
on_drained(void *state)
{
	sp_session *s = state;

	s->refs++;
	sp_session_pump(s);
	/* Pushes dropped while it was not reading come with a reconciliation. */
	if (s->missed && s->conn != NULL && sp_conn_pending(s->conn) < SP_CONN_DRAIN_LOW) {
		s->missed = false;
		sp_session_resync(s);
	}
	sp_session_unref(s);
}

static void
on_closed(void *state)
{
	sp_session *s = state;
	sp_sessions *ss = s->ss;

	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		ss->list = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->conn = NULL;
	sp_session_unref(s);
}

void
sp_session_resync(sp_session *s)
{
	sp_buf b;

	if (s->conn == NULL || s->phase == SP_PHASE_HELLO)
		return;
	if (!s->initiator) {
		/* Only the client drives a reconciliation: ask it to, with our areas as they are now. */
		sp_session_send_offers(s, SP_WIRE_OFFERS);
		sp_buf_init(&b);
		sp_wire_resync(&b);
		sp_session_send(s, &b);
		return;
	}
	if (s->phase != SP_PHASE_LIVE) {
		s->resync = true;
		return;
	}
	s->synced_sent = false;
	s->complete = false;
	sp_conn_set_state(s->conn, SP_PEER_SYNCING);
	sp_session_start_phase(s, SP_PHASE_CHARTERS);
}

/*
 * A record was stored here: send it to the peer if an agreed outgoing area
 * holds it. Not past the connection's output budget: a peer that does not
 * read gets it with the reconciliation that follows its draining.
 */
static void
session_push(sp_session *s, const sp_area *area, const uint8_t *rec, size_t len)
{
	sp_buf b;

	if (s->phase == SP_PHASE_HELLO || !sp_session_sends(s, area))
		return;
	if (sp_conn_pending(s->conn) >= SP_CONN_OUT_BUDGET) {
		s->missed = true;
		return;
	}
	sp_buf_init(&b);
	sp_wire_records_begin(&b, 1);
	sp_pack_bin(&b, rec, len);
	sp_session_send(s, &b);
}

/* Calls fn for every session with an open connection, each held while it runs. */
static void
each_session(sp_sessions *ss, void (*fn)(sp_session *s, void *arg), void *arg)
{
	sp_session *s, *next;

	for (s = ss->list; s != NULL; s = next) {
		s->refs++;
		fn(s, arg);
		/* fn may have closed s (and so unlinked it), not the others. */
		next = s->next;
		sp_session_unref(s);
	}
}

struct push_arg {
	const sp_area *area;
	const uint8_t *rec;
	size_t len;
	const sp_session *from;
};

static void
push_one(sp_session *s, void *arg)
{
	struct push_arg *p = arg;

	if (s != p->from && s->conn != NULL)
		session_push(s, p->area, p->rec, p->len);
}

void
sp_sessions_stored_from(sp_sessions *ss, const sp_area *area, const uint8_t *rec,
    size_t len, const sp_session *from)
{
	struct push_arg p = { area, rec, len, from };

	if (ss->observer != NULL)
		ss->observer(ss->observer_arg, area);
	each_session(ss, push_one, &p);
}

static void
charters_changed_one(sp_session *s, void *arg)
{
	(void)arg;
	sp_session_charters_changed(s);
}

static void
resync_one(sp_session *s, void *arg)
{
	(void)arg;
	sp_session_resync(s);
}

int
sp_sessions_new(sp_node *node, sp_work *work, sp_sessions **out)
{
	sp_sessions *ss;

	*out = NULL;
	if ((ss = calloc(1, sizeof(*ss))) == NULL)
		return SP_ENOMEM;
	ss->node = node;
	ss->work = work;
	*out = ss;
	return 0;
}

void
sp_sessions_free(sp_sessions *ss)
{
	free(ss);
}

void
sp_sessions_handlers(sp_sessions *ss, sp_conn_handlers *h)
{
	h->established = on_established;
	h->message = on_message;
	h->drained = on_drained;
	h->closed = on_closed;
	h->arg = ss;
}

void
sp_sessions_stored(sp_sessions *ss, const sp_area *area, const uint8_t *rec, size_t len)
{
	sp_sessions_stored_from(ss, area, rec, len, NULL);
}

void
sp_sessions_stored_id(sp_sessions *ss, const uint8_t id[SP_ID_BYTES])
{
	sp_stored st;
	sp_record rec;
	sp_area a;
	sp_txn *t;

	if (sp_txn_begin(sp_node_store(ss->node), false, &t) != 0)
		return;
	if (sp_store_get_by_id(t, id, &st) == 0 && sp_record_decode(st.data, st.len, &rec) == 0) {
		sp_area_of(&rec, &a);
		sp_sessions_stored(ss, &a, st.data, st.len);
	}
	sp_txn_abort(t);
}

void
sp_sessions_resync_all(sp_sessions *ss)
{
	if (ss->observer != NULL)
		ss->observer(ss->observer_arg, NULL);
	each_session(ss, resync_one, NULL);
}

void
sp_sessions_observe(sp_sessions *ss, void (*cb)(void *arg, const sp_area *area), void *arg)
{
	ss->observer = cb;
	ss->observer_arg = arg;
}

int
sp_sessions_resync(sp_sessions *ss, const char *peer)
{
	sp_session *s;

	for (s = ss->list; s != NULL; s = s->next) {
		if (strcmp(s->pol.name, peer) == 0) {
			s->refs++;
			sp_session_resync(s);
			sp_session_unref(s);
			return 0;
		}
	}
	return SP_ENOTFOUND;
}

void
sp_sessions_charters_changed(sp_sessions *ss)
{
	each_session(ss, charters_changed_one, NULL);
}
