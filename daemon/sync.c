#include "sync.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "charter.h"
#include "hlc.h"
#include "log.h"
#include "neg_store.h"
#include "negentropy.h"
#include "pack.h"
#include "policy.h"
#include "sp_err.h"
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
/* Receive jobs (verify or write) in flight before we stop reading from the peer. */
#define MAX_RECEIVE_JOBS  4
/*
 * Record ids asked for and not sent yet before we stop reading from the
 * peer (36 bytes each): it waits for what it asked for before it asks for
 * more.
 */
#define MAX_QUEUED_SENDS  (4u * SP_WIRE_MAX_IDS)
/* Records waiting for their charter, at most. */
#define MAX_WAITING_BYTES (8u * 1024 * 1024)
/* Rejections logged per session (the count goes on in the status). */
#define LOG_REJECTS       8

/*
 * The initiator goes HELLO, CHARTERS, AREAS, LIVE, and back to CHARTERS
 * for each new pass. The responder goes HELLO, CHARTERS (it serves
 * whatever the initiator reconciles), LIVE once a SYNCED has come.
 */
enum phase {
	PHASE_HELLO,      /* waiting for the peer's HELLO */
	PHASE_CHARTERS,   /* reconciling charters */
	PHASE_AREAS,      /* reconciling the agreed areas */
	PHASE_LIVE,       /* reconciled; pushing new records */
	PHASES
};

/* An area being served (we are the Negentropy server for it). */
typedef struct served {
	sp_area area;
	sp_neg_vector *vec;
	sp_neg *neg;
} served;

/*
 * A record id to send, with the area it must still be in (an index into
 * the session's send_areas: an initial sync queues a million of these).
 */
typedef struct outgoing {
	uint32_t area;
	uint8_t id[SP_ID_BYTES];
} outgoing;

/*
 * The ids Negentropy reported for the area being reconciled. With a frame
 * size limit the same id can come back in a later round; it must be asked
 * for (or sent) once. Ids are hashes, so their first 8 bytes serve as the
 * key: a collision (odds of 1 in 10^7 at a million ids) only delays one
 * record to the next reconciliation.
 */
struct seen {
	uint64_t *slots;           /* 0: empty */
	size_t cap;                /* a power of two */
	size_t n;
};

static void
seen_clear(struct seen *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

/* Returns 1 if id was new (and is now in), 0 if seen before, <0 on OOM. */
static int
seen_add(struct seen *t, const uint8_t id[SP_ID_BYTES])
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

/* Every session, for the records to push to them. */
struct sp_sessions {
	sp_node *node;
	sp_work *work;
	sp_session *list;          /* those whose connection is open */
};

struct sp_session {
	sp_sessions *ss;
	sp_session *prev, *next;   /* in ss->list while the connection is open */
	sp_conn *conn;             /* NULL once the connection closed */
	unsigned refs;             /* the connection, and each job in flight */
	bool initiator;
	bool missed;               /* a push was dropped (over budget): reconcile when drained */
	enum phase phase;
	sp_peer_policy pol;        /* the peer's policy when the session began */

	sp_area *remote_offers;
	size_t nremote_offers;
	sp_want *remote_wants;
	size_t nremote_wants;
	uint8_t (*communities)[SP_PUBKEY_BYTES]; /* known here and named in a HELLO */
	size_t ncommunities;
	sp_area *out;              /* areas we hold that we would send (sorted) */
	size_t nout;
	sp_area *in;               /* areas the peer offered that we accept (sorted) */
	size_t nin;
	struct membership *members; /* charter membership, by community, as last agreed */
	size_t nmembers;

	/* Client: the areas of this phase, and the one being reconciled. */
	sp_area *todo;
	size_t ntodo;
	size_t itodo;
	sp_neg_vector *vec;
	sp_neg *neg;
	unsigned rounds;
	uint64_t have, need;
	struct seen seen;          /* ids reported in this area so far */
	bool resync;               /* reconcile again once this pass ends */
	bool synced_sent;
	bool complete;             /* this pass is over: counted as a complete sync */
	unsigned pass_rounds;      /* Negentropy round trips since the last SYNCED */

	served *served;
	size_t nserved;

	outgoing *sendq;
	size_t nsend, isend, capsend;
	sp_area *send_areas;
	size_t nsend_areas;

	unsigned receive_jobs;
	uint8_t *deferred;         /* server: a NEG that waits for charters being stored */
	size_t deferred_len;
	sp_buf waiting;            /* a batch (batch.h) of records waiting for a charter */
	size_t nwaiting;
	/*
	 * Records whose author the charter held did not name (SP_EAUTHOR_UNKNOWN).
	 * The peer sends a charter before the records it admits, but batches
	 * are verified in parallel and may be stored out of order: each gets
	 * a last chance once everything received before has been stored.
	 */
	sp_buf unsure;
	size_t nunsure;
	unsigned rejects_logged;
};

/* Whether we and the peer are in a community's charter. */
struct membership {
	uint8_t community[SP_PUBKEY_BYTES];
	bool me, peer;
};

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

static void pump(sp_session *s);
static void next_area(sp_session *s);
static void session_resync(sp_session *s);
static void on_message(void *state, const uint8_t *msg, size_t len);
static void resubmit(sp_session *s, sp_buf *held, size_t *n, bool last_chance);
static void update_input(sp_session *s);

static void
session_unref(sp_session *s)
{
	size_t i;

	if (--s->refs > 0)
		return;
	for (i = 0; i < s->nserved; i++) {
		sp_neg_free(s->served[i].neg);
		sp_neg_vector_free(s->served[i].vec);
	}
	free(s->served);
	sp_neg_free(s->neg);
	sp_neg_vector_free(s->vec);
	seen_clear(&s->seen);
	free(s->remote_offers);
	free(s->remote_wants);
	free(s->communities);
	free(s->out);
	free(s->in);
	free(s->members);
	free(s->todo);
	free(s->sendq);
	free(s->send_areas);
	free(s->deferred);
	sp_buf_free(&s->waiting);
	sp_buf_free(&s->unsure);
	free(s);
}

static sp_peer_stats *
stats(sp_session *s)
{
	return s->conn != NULL ? sp_conn_stats(s->conn) : NULL;
}

static void
fail(sp_session *s, int code, const char *why)
{
	if (s->conn != NULL)
		sp_conn_close(s->conn, code, why);
}

static void
send_msg(sp_session *s, sp_buf *b)
{
	int r;

	if (s->conn != NULL && (r = sp_conn_send(s->conn, b)) != 0 && r != SP_EDISCONNECTED)
		fail(s, r, "cannot send");
	sp_buf_free(b);
}

static int
area_search(const sp_area *v, size_t n, const sp_area *a)
{
	size_t lo = 0, hi = n, mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((c = sp_area_cmp(&v[mid], a)) == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int
area_qsort_cmp(const void *a, const void *b)
{
	return sp_area_cmp(a, b);
}

/* Whether a is the area of a system collection (syscoll.h). */
static bool
is_system_area(const sp_area *a)
{
	const sp_syscoll *sc = sp_syscoll_find(a->collection, strlen(a->collection));

	return sc != NULL && a->label == sc->label;
}

static bool
session_names_community(const sp_session *s, const uint8_t c[SP_PUBKEY_BYTES])
{
	size_t i;

	for (i = 0; i < s->ncommunities; i++)
		if (memcmp(s->communities[i], c, SP_PUBKEY_BYTES) == 0)
			return true;
	return false;
}

static const struct membership *
membership(const sp_session *s, const uint8_t community[SP_PUBKEY_BYTES])
{
	size_t i;

	for (i = 0; i < s->nmembers; i++)
		if (memcmp(s->members[i].community, community, SP_PUBKEY_BYTES) == 0)
			return &s->members[i];
	return NULL;
}

static bool
any_matches(const sp_want *w, size_t n, const sp_area *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (sp_want_matches(&w[i], a))
			return true;
	return false;
}

/*
 * May records of area a flow from the peer to us? System records (the
 * charters) of the session's communities always; anything else when one of our wants for
 * the peer matches it and the rules let it travel from the peer to us.
 * Decided per record, so areas that appear later are covered too.
 */
static bool
accepts(const sp_session *s, const sp_area *a)
{
	const struct membership *m;

	if (is_system_area(a))
		return session_names_community(s, a->community);
	if (!any_matches(s->pol.wants, s->pol.nwants, a))
		return false;
	m = membership(s, a->community);
	return sp_may_travel(a, m != NULL && m->peer, m != NULL && m->me);
}

/*
 * Whether one of our offer patterns and one of the peer's wants meet in
 * community c, for a label that may travel from us to it.
 */
static bool
offers_meet_wants(const sp_session *s, const uint8_t c[SP_PUBKEY_BYTES],
    const struct membership *m)
{
	const sp_want *o, *w;
	sp_area a;
	size_t i, k;

	for (i = 0; i < s->pol.noffers; i++) {
		o = &s->pol.offers[i];
		if (memcmp(o->community, c, SP_PUBKEY_BYTES) != 0)
			continue;
		for (k = 0; k < s->nremote_wants; k++) {
			w = &s->remote_wants[k];
			if (memcmp(w->community, c, SP_PUBKEY_BYTES) != 0 ||
			    (strcmp(o->collection, "*") != 0 && strcmp(w->collection, "*") != 0 &&
			    strcmp(o->collection, w->collection) != 0))
				continue;
			memset(&a, 0, sizeof(a));
			memcpy(a.community, c, SP_PUBKEY_BYTES);
			for (a.label = 0; a.label < SP_LABEL_COUNT; a.label++)
				if ((o->labels & w->labels & (1u << a.label)) != 0 &&
				    sp_may_travel(&a, m != NULL && m->me, m != NULL && m->peer))
					return true;
		}
	}
	return false;
}

/*
 * Whether the session agrees records of community c in either direction:
 * our offers meet the peer's wants, or the peer offers an area we accept.
 * Decided on the patterns, not on the areas held now: the records that
 * need the charter may arrive after it.
 */
static bool
agrees_community(const sp_session *s, const uint8_t c[SP_PUBKEY_BYTES],
    const struct membership *m)
{
	size_t i;

	if (offers_meet_wants(s, c, m))
		return true;
	for (i = 0; i < s->nremote_offers; i++)
		if (memcmp(s->remote_offers[i].community, c, SP_PUBKEY_BYTES) == 0 &&
		    !is_system_area(&s->remote_offers[i]) && accepts(s, &s->remote_offers[i]))
			return true;
	return false;
}

/*
 * May we send records of area a to the peer? A system record
 * (SP_SYS_MEMBERS_AND_PARTNERS) to a peer in the community's charter, or
 * one that shares an agreed area of it and must check what it is given: a
 * charter lists every member, and nobody else learns them. Anything else:
 * our offer, its want, and the rules.
 */
static bool
sends(const sp_session *s, const sp_area *a)
{
	const struct membership *m;

	if (is_system_area(a)) {
		m = membership(s, a->community);
		return session_names_community(s, a->community) &&
		    ((m != NULL && m->peer) || agrees_community(s, a->community, m));
	}
	/* A running import may still be rolled back: its rows must not leave. */
	if (sp_work_claimed(s->ss->work, a->community, a->collection, strlen(a->collection)))
		return false;
	if (!any_matches(s->pol.offers, s->pol.noffers, a) ||
	    !any_matches(s->remote_wants, s->nremote_wants, a))
		return false;
	m = membership(s, a->community);
	return sp_may_travel(a, m != NULL && m->me, m != NULL && m->peer);
}

/* Reads charter membership of us and the peer for every community either side names. */
static int
load_membership(sp_session *s, sp_txn *t)
{
	uint8_t me_id[SP_PUBKEY_BYTES];
	struct membership *v;
	sp_charter *c;
	size_t i, n = 0;
	const uint8_t *cid;

	memcpy(me_id, sp_node_id(s->ss->node), SP_PUBKEY_BYTES);
	if ((v = calloc(s->ncommunities + s->pol.noffers + s->pol.nwants + 1, sizeof(*v))) == NULL)
		return SP_ENOMEM;
	for (i = 0; i < s->ncommunities + s->pol.noffers + s->pol.nwants; i++) {
		size_t k;

		if (i < s->ncommunities)
			cid = s->communities[i];
		else if (i < s->ncommunities + s->pol.noffers)
			cid = s->pol.offers[i - s->ncommunities].community;
		else
			cid = s->pol.wants[i - s->ncommunities - s->pol.noffers].community;
		for (k = 0; k < n; k++)
			if (memcmp(v[k].community, cid, SP_PUBKEY_BYTES) == 0)
				break;
		if (k < n)
			continue;
		memcpy(v[n].community, cid, SP_PUBKEY_BYTES);
		if (sp_node_charter(t, cid, &c) == 0) {
			v[n].me = sp_charter_is_writer(c, me_id);
			v[n].peer = sp_charter_is_writer(c, s->pol.node);
			sp_charter_free(c);
		}
		n++;
	}
	free(s->members);
	s->members = v;
	s->nmembers = n;
	return 0;
}

/* Area lists growing one at a time. */
typedef struct area_list {
	sp_area *v;
	size_t n, cap;
	int err;
} area_list;

static void
area_list_add(area_list *l, const sp_area *a)
{
	sp_area *v;

	if (l->err != 0 || l->n >= SP_WIRE_MAX_AREAS)
		return;
	if (l->n == l->cap) {
		l->cap = l->cap != 0 ? l->cap * 2 : 16;
		if ((v = realloc(l->v, l->cap * sizeof(*v))) == NULL) {
			l->err = SP_ENOMEM;
			return;
		}
		l->v = v;
	}
	l->v[l->n++] = *a;
}

struct offer_walk {
	sp_session *s;
	area_list *list;
	uint8_t community[SP_PUBKEY_BYTES];
	bool for_hello;            /* before the peer's wants are known */
};

static int
offer_area(void *arg, const char *collection, size_t len, enum sp_label label)
{
	struct offer_walk *w = arg;
	sp_area a;

	memset(&a, 0, sizeof(a));
	memcpy(a.community, w->community, SP_PUBKEY_BYTES);
	memcpy(a.collection, collection, len);
	a.label = label;
	/* Charters are not offered: they travel whatever the policies say. */
	if (is_system_area(&a) || area_search(w->list->v, w->list->n, &a))
		return 0;
	if (w->for_hello) {
		const struct membership *m = membership(w->s, a.community);

		if (!any_matches(w->s->pol.offers, w->s->pol.noffers, &a) ||
		    !sp_may_travel(&a, m != NULL && m->me, m != NULL && m->peer))
			return 0;
	} else if (!sends(w->s, &a)) {
		return 0;
	}
	area_list_add(w->list, &a);
	qsort(w->list->v, w->list->n, sizeof(sp_area), area_qsort_cmp);
	return 0;
}

/*
 * The areas we hold that we offer this peer (sorted): for HELLO, those one
 * of our offer specs matches and the rules let travel to it; once the
 * peer's wants are known, those sends() allows.
 */
static int
our_offers(sp_session *s, sp_txn *t, area_list *list, bool for_hello)
{
	struct offer_walk w;
	size_t i;
	int r;

	memset(&w, 0, sizeof(w));
	w.s = s;
	w.list = list;
	w.for_hello = for_hello;
	for (i = 0; i < s->pol.noffers; i++) {
		memcpy(w.community, s->pol.offers[i].community, SP_PUBKEY_BYTES);
		if ((r = sp_store_areas_each(t, w.community, offer_area, &w)) != 0)
			return r;
	}
	return list->err;
}

/*
 * Tells the peer the areas we offer: in HELLO, and again in OFFERS before
 * a responder asks for a new reconciliation (areas may have appeared).
 */
static void
send_offers(sp_session *s, enum sp_wire_type type)
{
	area_list offers = { NULL, 0, 0, 0 };
	sp_txn *t;
	sp_buf b;
	int r;

	if ((r = sp_txn_begin(sp_node_store(s->ss->node), false, &t)) != 0) {
		fail(s, r, "cannot read the store");
		return;
	}
	if ((r = load_membership(s, t)) == 0)
		r = our_offers(s, t, &offers, true);
	sp_txn_abort(t);
	if (r != 0) {
		free(offers.v);
		fail(s, r, "cannot list the areas to offer");
		return;
	}
	sp_buf_init(&b);
	if (type == SP_WIRE_HELLO)
		sp_wire_hello(&b, offers.v, offers.n, s->pol.wants, s->pol.nwants);
	else
		sp_wire_offers(&b, offers.v, offers.n);
	free(offers.v);
	send_msg(s, &b);
}

static void
add_community(sp_session *s, sp_txn *t, const uint8_t c[SP_PUBKEY_BYTES])
{
	sp_community_info info;
	uint8_t (*v)[SP_PUBKEY_BYTES];

	if (session_names_community(s, c) || sp_store_community_get(t, c, &info) != 0)
		return;
	if ((v = realloc(s->communities, (s->ncommunities + 1) * sizeof(*v))) == NULL)
		return;
	s->communities = v;
	memcpy(v[s->ncommunities++], c, SP_PUBKEY_BYTES);
}

/* The communities whose charters this session reconciles: known here, named by either side. */
static int
collect_communities(sp_session *s)
{
	sp_txn *t;
	size_t i;
	int r;

	if ((r = sp_txn_begin(sp_node_store(s->ss->node), false, &t)) != 0)
		return r;
	for (i = 0; i < s->pol.noffers; i++)
		add_community(s, t, s->pol.offers[i].community);
	for (i = 0; i < s->pol.nwants; i++)
		add_community(s, t, s->pol.wants[i].community);
	for (i = 0; i < s->nremote_offers; i++)
		add_community(s, t, s->remote_offers[i].community);
	for (i = 0; i < s->nremote_wants; i++)
		add_community(s, t, s->remote_wants[i].community);
	sp_txn_abort(t);
	return 0;
}

/*
 * Works out, from the charters now held, what this session reconciles:
 * the areas we hold and would send, and the areas the peer offered that
 * we accept. (Records are checked one by one with sends() and accepts().)
 */
static int
agree(sp_session *s)
{
	area_list out = { NULL, 0, 0, 0 }, in = { NULL, 0, 0, 0 };
	sp_txn *t;
	size_t i;
	int r;

	if ((r = sp_txn_begin(sp_node_store(s->ss->node), false, &t)) != 0)
		return r;
	if ((r = load_membership(s, t)) != 0 || (r = our_offers(s, t, &out, false)) != 0)
		goto out;
	for (i = 0; i < s->nremote_offers; i++)
		if (!is_system_area(&s->remote_offers[i]) && accepts(s, &s->remote_offers[i]))
			area_list_add(&in, &s->remote_offers[i]);
	if ((r = in.err) != 0)
		goto out;
	/* Not with nothing to sort: in.v is NULL then, which qsort must not be given. */
	if (in.n > 1)
		qsort(in.v, in.n, sizeof(sp_area), area_qsort_cmp);
	free(s->out);
	free(s->in);
	s->out = out.v;
	s->nout = out.n;
	s->in = in.v;
	s->nin = in.n;
	out.v = in.v = NULL;
out:
	sp_txn_abort(t);
	free(out.v);
	free(in.v);
	return r;
}

/* Client side. */

static void
start_phase(sp_session *s, enum phase phase)
{
	area_list todo = { NULL, 0, 0, 0 };
	size_t i;
	sp_area a;

	s->phase = phase;
	/*
	 * Communities joined since the last pass bring their charters, and
	 * the membership they say decides who is sent them.
	 */
	if (phase == PHASE_CHARTERS && (collect_communities(s) != 0 || agree(s) != 0)) {
		fail(s, SP_ESTORE, "cannot read the store");
		return;
	}
	if (phase == PHASE_CHARTERS) {
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
				area_list_add(&todo, &a);
			}
		}
	} else {
		/* Every area agreed in either direction, once. */
		for (i = 0; i < s->nout; i++)
			area_list_add(&todo, &s->out[i]);
		for (i = 0; i < s->nin; i++)
			if (!area_search(s->out, s->nout, &s->in[i]))
				area_list_add(&todo, &s->in[i]);
	}
	if (todo.err != 0) {
		free(todo.v);
		fail(s, todo.err, "out of memory");
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
	if (is_system_area(a) && !sends(s, a)) {
		/*
		 * A peer not entitled to our system records (a charter lists the
		 * members) reconciles against nothing: it learns no id to ask
		 * for, and can still give us its own.
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
	if (stats(s) != NULL)
		stats(s)->rounds = s->pass_rounds;
	s->pass_rounds = 0;
}

/*
 * A pass is complete once every area is reconciled, everything asked for
 * has been sent and received, and stored.
 */
static void
maybe_complete(sp_session *s)
{
	sp_peer_stats *st = stats(s);
	sp_buf b;

	if (s->complete || s->phase != PHASE_LIVE || st == NULL || s->isend < s->nsend ||
	    st->to_receive > 0 || s->receive_jobs > 0)
		return;
	if (s->initiator && !s->synced_sent) {
		sp_buf_init(&b);
		sp_wire_synced(&b);
		send_msg(s, &b);
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
		if (s->phase == PHASE_CHARTERS) {
			if ((r = agree(s)) != 0) {
				fail(s, r, "cannot work out the agreed areas");
				return;
			}
			start_phase(s, PHASE_AREAS);
			return;
		}
		s->phase = PHASE_LIVE;
		if (s->resync) {
			s->resync = false;
			s->synced_sent = false;
			s->complete = false;
			start_phase(s, PHASE_CHARTERS);
			return;
		}
		maybe_complete(s);
		return;
	}
	s->rounds = 0;
	s->have = s->need = 0;
	seen_clear(&s->seen);
	if ((r = snapshot(s, &s->todo[s->itodo], &s->vec, &s->neg)) != 0) {
		fail(s, r, "cannot read an area");
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
		fail(s, r, "negentropy");
		return;
	}
	send_msg(s, &b);
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
		fail(s, SP_ENOMEM, "out of memory");
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
				fail(s, SP_ENOMEM, "out of memory");
				return;
			}
			s->sendq = v;
		}
	}
	s->sendq[s->nsend].area = (uint32_t)area;
	memcpy(s->sendq[s->nsend++].id, id, SP_ID_BYTES);
	if (stats(s) != NULL)
		stats(s)->to_send++;
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
	send_msg(ri->s, &b);
	if (stats(ri->s) != NULL)
		stats(ri->s)->to_receive += ri->nwant;
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

static void
client_neg(sp_session *s, const sp_wire_msg *m, const uint8_t *raw, size_t raw_len)
{
	round_ids ri;
	sp_buf next, b;
	bool done = false;
	int r;

	(void)raw;
	(void)raw_len;
	if (s->neg == NULL || s->itodo >= s->ntodo || sp_area_cmp(&m->area, &s->todo[s->itodo]) != 0) {
		fail(s, SP_EFRAME, "negentropy reply for an area not being reconciled");
		return;
	}
	memset(&ri, 0, sizeof(ri));
	ri.s = s;
	ri.area = &s->todo[s->itodo];
	ri.send = sends(s, ri.area);
	ri.ask = accepts(s, ri.area);
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
		fail(s, r, "negentropy failed");
		return;
	}
	sp_buf_init(&b);
	if (!done) {
		sp_wire_neg(&b, ri.area, next.data, next.len);
		sp_buf_free(&next);
		send_msg(s, &b);
		return;
	}
	sp_buf_free(&next);
	sp_wire_done(&b, ri.area, s->have, s->need);
	send_msg(s, &b);
	s->itodo++;
	pump(s);
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

static void
server_neg(sp_session *s, const sp_wire_msg *m, const uint8_t *raw, size_t raw_len)
{
	served *sv, *v;
	sp_buf reply, b;
	int r;

	if (!sends(s, &m->area) && !accepts(s, &m->area)) {
		/*
		 * Charters the client just sent may still be on their way to the
		 * store, and they may be what agrees this area: wait for them.
		 */
		if (s->receive_jobs > 0 && s->deferred == NULL) {
			if ((s->deferred = malloc(raw_len)) == NULL) {
				fail(s, SP_ENOMEM, "out of memory");
				return;
			}
			memcpy(s->deferred, raw, raw_len);
			s->deferred_len = raw_len;
			return;
		}
		sp_buf_init(&b);
		sp_wire_refused(&b, &m->area);
		send_msg(s, &b);
		return;
	}
	if ((sv = find_served(s, &m->area)) == NULL) {
		if (s->nserved >= SP_WIRE_MAX_AREAS ||
		    (v = realloc(s->served, (s->nserved + 1) * sizeof(*v))) == NULL) {
			fail(s, SP_ENOMEM, "too many areas at once");
			return;
		}
		s->served = v;
		sv = &s->served[s->nserved];
		sv->area = m->area;
		if ((r = snapshot(s, &m->area, &sv->vec, &sv->neg)) != 0) {
			fail(s, r, "cannot read an area");
			return;
		}
		s->nserved++;
	}
	sp_buf_init(&reply);
	if ((r = sp_neg_reconcile(sv->neg, m->data, m->data_len, &reply)) != 0) {
		sp_buf_free(&reply);
		fail(s, r, "malformed negentropy message");
		return;
	}
	s->pass_rounds++;
	sp_buf_init(&b);
	sp_wire_neg(&b, &m->area, reply.data, reply.len);
	sp_buf_free(&reply);
	send_msg(s, &b);
}

static void
on_want(sp_session *s, const sp_wire_msg *m, const uint8_t *raw, size_t raw_len)
{
	const uint8_t *p = m->data, *id;
	size_t left = m->data_len, len;
	uint32_t i;

	(void)raw;
	(void)raw_len;
	if (!sends(s, &m->area)) {
		fail(s, SP_EOUTSIDE, "asked for records outside the agreed areas");
		return;
	}
	for (i = 0; i < m->count; i++) {
		if (sp_wire_next_bin(&p, &left, &id, &len) != 0)
			return;
		queue_send(s, &m->area, id);
	}
	update_input(s);
	pump(s);
}

/* Sending records: as much as the socket takes, in RECORDS batches. */

typedef struct pack_ctx {
	sp_buf recs;
	uint32_t n;
} pack_ctx;

static void
pump(sp_session *s)
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
			fail(s, SP_ESTORE, "cannot read the store");
			return;
		}
		sp_buf_init(&pc.recs);
		pc.n = 0;
		ps = stats(s);
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
			if (sp_area_cmp(&a, &s->send_areas[o->area]) != 0)
				continue;
			sp_pack_bin(&pc.recs, st.data, st.len);
			pc.n++;
		}
		sp_txn_abort(t);
		if (pc.n > 0) {
			sp_buf_init(&b);
			sp_wire_records_begin(&b, pc.n);
			sp_pack_raw(&b, pc.recs.data, pc.recs.len);
			send_msg(s, &b);
		}
		sp_buf_free(&pc.recs);
	}
	if (s->isend == s->nsend) {
		s->isend = s->nsend = 0;
		s->nsend_areas = 0;
		maybe_complete(s);
	}
	update_input(s);
}

/* Receiving records: decode, check the area, verify on the pool, store on the write queue. */

static void receive_write_run(sp_task *task);
static void receive_write_done(sp_task *task);
static void sessions_stored(sp_sessions *ss, const sp_area *area, const uint8_t *rec,
    size_t len, const sp_session *from);
static void sessions_charters_changed(sp_sessions *ss);

/*
 * Reads from the peer while there is room for what it sends: receive jobs
 * in flight, and the records it asked for and has not been sent yet.
 */
static void
update_input(sp_session *s)
{
	if (s->conn != NULL)
		sp_conn_pause(s->conn, s->receive_jobs >= MAX_RECEIVE_JOBS ||
		    s->nsend - s->isend >= MAX_QUEUED_SENDS);
}

static void
receive_job_free(receive_job *j)
{
	sp_session *s = j->s;
	uint8_t *msg;

	sp_buf_free(&j->records);
	free(j->in);
	free(j);
	s->receive_jobs--;
	update_input(s);
	if (s->receive_jobs == 0 && s->deferred != NULL && s->conn != NULL) {
		msg = s->deferred;
		s->deferred = NULL;
		on_message(s, msg, s->deferred_len);
		free(msg);
	}
	/* Everything received before the unsure records is stored: their last chance. */
	if (s->receive_jobs == 0 && s->conn != NULL)
		resubmit(s, &s->unsure, &s->nunsure, true);
	session_unref(s);
}

static receive_job *
receive_job_new(sp_session *s)
{
	receive_job *j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	sp_buf_init(&j->records);
	j->s = s;
	s->refs++;
	s->receive_jobs++;
	update_input(s);
	return j;
}

static void
reject(sp_session *s, int why, const sp_record *rec)
{
	sp_peer_stats *st = stats(s);
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

static void
verify_done(sp_task *task)
{
	receive_job *j = (receive_job *)task;
	sp_session *s = j->s;
	sp_record rec;
	size_t i;

	if (j->err != 0) {
		fail(s, j->err, "out of memory");
		receive_job_free(j);
		return;
	}
	/* A bad signature or clock: decoded again (it did decode) so the log names the record. */
	for (i = 0; i < j->count; i++)
		if (j->in[i].result != 0)
			reject(s, j->in[i].result, sp_record_decode(j->in[i].data, j->in[i].len,
			    &rec) == 0 ? &rec : NULL);
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
	for (i = 0, n = 0; i < j->count; i++)
		if (j->in[i].result == 0)
			j->in[i].result = v[n++].result;
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

static void
retry_waiting(sp_session *s)
{
	resubmit(s, &s->waiting, &s->nwaiting, false);
}

static bool
areas_equal(const sp_area *a, size_t na, const sp_area *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (sp_area_cmp(&a[i], &b[i]) != 0)
			return false;
	return true;
}

/*
 * New charters can change who is a member, so what is agreed: agree again,
 * and if the areas changed, the client reconciles once more.
 */
static void
session_charters_changed(sp_session *s)
{
	size_t nout = s->nout, nin = s->nin;
	sp_area *out = NULL, *in = NULL;
	bool changed;

	if (s->conn == NULL || s->phase == PHASE_HELLO)
		return;
	/* Records whose author was unknown may be by a member now. */
	retry_waiting(s);
	if ((nout > 0 && (out = malloc(nout * sizeof(*out))) == NULL) ||
	    (nin > 0 && (in = malloc(nin * sizeof(*in))) == NULL)) {
		free(out);
		fail(s, SP_ENOMEM, "out of memory");
		return;
	}
	if (nout > 0)
		memcpy(out, s->out, nout * sizeof(*out));
	if (nin > 0)
		memcpy(in, s->in, nin * sizeof(*in));
	if (agree(s) != 0) {
		free(out);
		free(in);
		fail(s, SP_ESTORE, "cannot work out the agreed areas");
		return;
	}
	changed = !areas_equal(out, nout, s->out, s->nout) ||
	    !areas_equal(in, nin, s->in, s->nin);
	free(out);
	free(in);
	if (!changed)
		return;
	if (s->initiator && s->phase == PHASE_AREAS)
		s->resync = true;
	else if (!s->initiator || s->phase == PHASE_LIVE)
		session_resync(s);
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
	sp_peer_stats *st = stats(s);
	sp_area a;
	size_t i;
	int pass;

	if (j->err != 0) {
		log_error("peer %s: storing received records failed: %s", s->pol.name,
		    sp_strerror(j->err));
		fail(s, j->err, "storage error");
		receive_job_free(j);
		return;
	}
	for (i = 0; i < j->count; i++) {
		sp_incoming *in = &j->in[i];

		/* Whatever became of it, it is no longer awaited. */
		if (st != NULL && st->to_receive > 0)
			st->to_receive--;
		if (in->result == 0) {
			if (st != NULL)
				st->records_accepted++;
		} else if (in->result == SP_ENOCHARTER) {
			hold(&s->waiting, &s->nwaiting, in);
		} else if (in->result == SP_EAUTHOR_UNKNOWN && !j->last_chance) {
			hold(&s->unsure, &s->nunsure, in);
		} else if (in->result != SP_ESTALE && in->result != SP_ESIG &&
		    in->result != SP_EFUTURE &&
		    sp_record_decode(in->data, in->len, &in->rec) == 0) {
			reject(s, in->result == SP_EAUTHOR_UNKNOWN ? SP_ENOTWRITER : in->result,
			    &in->rec);
		}
	}
	/*
	 * New charters change what every session shares and which records
	 * wait no longer; then what was stored goes on to the other peers,
	 * the system records (charters) before those checked against them.
	 */
	if (j->charters)
		sessions_charters_changed(s->ss);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < j->count; i++) {
			sp_incoming *in = &j->in[i];

			if (in->result != 0)
				continue;
			sp_area_of(&in->rec, &a);
			if (is_system_area(&a) == (pass == 0))
				sessions_stored(s->ss, &a, in->data, in->len, s);
		}
	}
	/* The job's reference may be the last one (the connection closed meanwhile). */
	s->refs++;
	receive_job_free(j);
	maybe_complete(s);
	session_unref(s);
}

static void
on_records(sp_session *s, const sp_wire_msg *m, const uint8_t *raw, size_t raw_len)
{
	const uint8_t *p = m->data, *rec;
	size_t left = m->data_len, len;
	sp_peer_stats *st = stats(s);
	receive_job *j;
	sp_record r;
	sp_area a;
	uint32_t i;
	int err;

	(void)raw;
	(void)raw_len;
	if ((j = receive_job_new(s)) == NULL) {
		fail(s, SP_ENOMEM, "out of memory");
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
		if (!accepts(s, &a)) {
			reject(s, SP_EOUTSIDE, &r);
			continue;
		}
		sp_batch_append(&j->records, rec, len);
		j->count++;
	}
	if (j->records.err != 0 || j->count == 0) {
		if (j->records.err != 0)
			fail(s, j->records.err, "out of memory");
		receive_job_free(j);
		return;
	}
	j->task.run = verify_run;
	j->task.done = verify_done;
	sp_work_run(s->ss->work, &j->task);
}

/* The peer's offered areas, from a HELLO or an OFFERS. */
static int
read_offers(sp_session *s, const sp_wire_msg *m)
{
	const uint8_t *p = m->offers;
	size_t left = m->offers_len;
	uint32_t i;

	free(s->remote_offers);
	s->nremote_offers = 0;
	if ((s->remote_offers = calloc(m->noffers + 1, sizeof(sp_area))) == NULL)
		return SP_ENOMEM;
	for (i = 0; i < m->noffers; i++)
		if (sp_wire_next_area(&p, &left, &s->remote_offers[i]) != 0)
			return SP_EFRAME;
	s->nremote_offers = m->noffers;
	return 0;
}

static int
read_hello(sp_session *s, const sp_wire_msg *m)
{
	const uint8_t *p;
	size_t left;
	uint32_t i;
	int r;

	if (m->version != SP_WIRE_VERSION)
		return SP_EPROTO_VERSION;
	if ((r = read_offers(s, m)) != 0)
		return r;
	free(s->remote_wants);
	if ((s->remote_wants = calloc(m->nwants + 1, sizeof(sp_want))) == NULL)
		return SP_ENOMEM;
	p = m->wants;
	left = m->wants_len;
	for (i = 0; i < m->nwants; i++)
		if (sp_wire_next_want(&p, &left, &s->remote_wants[i]) != 0)
			return SP_EFRAME;
	s->nremote_wants = m->nwants;
	return collect_communities(s);
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
	if ((r = read_hello(s, m)) != 0) {
		fail(s, r, "bad HELLO");
		return;
	}
	/*
	 * The responder agrees on what it can now and again after every
	 * charter the initiator sends; the initiator drives the phases.
	 */
	if (s->initiator) {
		start_phase(s, PHASE_CHARTERS);
		return;
	}
	s->phase = PHASE_CHARTERS;
	if ((r = agree(s)) != 0)
		fail(s, r, "cannot work out the agreed areas");
}

static void
on_refused(sp_session *s, const sp_wire_msg *m, const uint8_t *raw, size_t raw_len)
{
	(void)raw;
	(void)raw_len;
	if (s->neg == NULL || sp_area_cmp(&m->area, &s->todo[s->itodo]) != 0) {
		fail(s, SP_EFRAME, "REFUSED for an area not being reconciled");
		return;
	}
	s->itodo++;
	next_area(s);
}

static void
on_done(sp_session *s, const sp_wire_msg *m, const uint8_t *raw, size_t raw_len)
{
	int r;

	(void)raw;
	(void)raw_len;
	drop_served(s, &m->area);
	/* The initiator has what we lack: that much is on its way. */
	if (accepts(s, &m->area) && stats(s) != NULL)
		stats(s)->to_receive += m->have;
	/* Charters may have arrived: agree again before the areas start. */
	if (is_system_area(&m->area) && (r = agree(s)) != 0)
		fail(s, r, "cannot work out the agreed areas");
}

static void
on_synced(sp_session *s, const sp_wire_msg *m, const uint8_t *raw, size_t raw_len)
{
	(void)m;
	(void)raw;
	(void)raw_len;
	s->phase = PHASE_LIVE;
	end_rounds(s);
	maybe_complete(s);
}

static void
on_resync(sp_session *s, const sp_wire_msg *m, const uint8_t *raw, size_t raw_len)
{
	(void)m;
	(void)raw;
	(void)raw_len;
	session_resync(s);
}

static void
on_offers(sp_session *s, const sp_wire_msg *m, const uint8_t *raw, size_t raw_len)
{
	int r;

	(void)raw;
	(void)raw_len;
	if ((r = read_offers(s, m)) != 0)
		fail(s, r, "bad OFFERS");
}

/* NULL: the message is not taken in that phase. */
static msg_handler *const initiator_takes[PHASES][SP_WIRE_TYPES] = {
	[PHASE_HELLO] = { [SP_WIRE_HELLO] = on_hello },
	[PHASE_CHARTERS] = {
		[SP_WIRE_NEG] = client_neg, [SP_WIRE_REFUSED] = on_refused,
		[SP_WIRE_RECORDS] = on_records, [SP_WIRE_RESYNC] = on_resync,
		[SP_WIRE_OFFERS] = on_offers,
	},
	[PHASE_AREAS] = {
		[SP_WIRE_NEG] = client_neg, [SP_WIRE_REFUSED] = on_refused,
		[SP_WIRE_RECORDS] = on_records, [SP_WIRE_RESYNC] = on_resync,
		[SP_WIRE_OFFERS] = on_offers,
	},
	[PHASE_LIVE] = {
		[SP_WIRE_RECORDS] = on_records, [SP_WIRE_RESYNC] = on_resync,
		[SP_WIRE_OFFERS] = on_offers,
	},
};

static msg_handler *const responder_takes[PHASES][SP_WIRE_TYPES] = {
	[PHASE_HELLO] = { [SP_WIRE_HELLO] = on_hello },
	[PHASE_CHARTERS] = {
		[SP_WIRE_NEG] = server_neg, [SP_WIRE_RECORDS] = on_records,
		[SP_WIRE_WANT] = on_want, [SP_WIRE_DONE] = on_done,
		[SP_WIRE_SYNCED] = on_synced,
	},
	[PHASE_LIVE] = {
		[SP_WIRE_NEG] = server_neg, [SP_WIRE_RECORDS] = on_records,
		[SP_WIRE_WANT] = on_want, [SP_WIRE_DONE] = on_done,
		[SP_WIRE_SYNCED] = on_synced,
	},
};

static const char *const phase_names[PHASES] = {
	[PHASE_HELLO] = "waiting for HELLO", [PHASE_CHARTERS] = "reconciling charters",
	[PHASE_AREAS] = "reconciling areas", [PHASE_LIVE] = "live",
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

	if (s->phase == PHASE_HELLO) {
		fail(s, SP_EFRAME, "expected HELLO");
		return;
	}
	if (type == SP_WIRE_HELLO) {
		fail(s, SP_EFRAME, "a second HELLO");
		return;
	}
	for (phase = 0; phase < PHASES && takes[phase][type] == NULL; phase++)
		;
	if (phase == PHASES)
		snprintf(why, sizeof(why), "%s from the %s", name,
		    s->initiator ? "responder" : "initiator");
	else
		snprintf(why, sizeof(why), "unexpected %s while %s", name, phase_names[s->phase]);
	fail(s, SP_EFRAME, why);
}

static void
session_message(sp_session *s, const uint8_t *msg, size_t len)
{
	msg_handler *const (*takes)[SP_WIRE_TYPES] = s->initiator ? initiator_takes : responder_takes;
	sp_wire_msg m;
	char why[128];
	int r;

	if ((r = sp_wire_decode(msg, len, &m)) != 0) {
		snprintf(why, sizeof(why), "malformed message: %s", sp_strerror(r));
		fail(s, r, why);
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
	session_message(s, msg, len);
	session_unref(s);
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
	s->phase = PHASE_HELLO;
	sp_buf_init(&s->waiting);
	sp_buf_init(&s->unsure);
	s->next = ss->list;
	if (ss->list != NULL)
		ss->list->prev = s;
	ss->list = s;
	sp_conn_set_state(c, SP_PEER_SYNCING);
	send_offers(s, SP_WIRE_HELLO);
	return s;
}

static void
on_drained(void *state)
{
	sp_session *s = state;

	s->refs++;
	pump(s);
	/* Pushes dropped while it was not reading come with a reconciliation. */
	if (s->missed && s->conn != NULL && sp_conn_pending(s->conn) < SP_CONN_DRAIN_LOW) {
		s->missed = false;
		session_resync(s);
	}
	session_unref(s);
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
	session_unref(s);
}

static void
session_resync(sp_session *s)
{
	sp_buf b;

	if (s->conn == NULL || s->phase == PHASE_HELLO)
		return;
	if (!s->initiator) {
		/* Only the client drives a reconciliation: ask it to, with our areas as they are now. */
		send_offers(s, SP_WIRE_OFFERS);
		sp_buf_init(&b);
		sp_wire_resync(&b);
		send_msg(s, &b);
		return;
	}
	if (s->phase != PHASE_LIVE) {
		s->resync = true;
		return;
	}
	s->synced_sent = false;
	s->complete = false;
	sp_conn_set_state(s->conn, SP_PEER_SYNCING);
	start_phase(s, PHASE_CHARTERS);
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

	if (s->phase == PHASE_HELLO || !sends(s, area))
		return;
	if (sp_conn_pending(s->conn) >= SP_CONN_OUT_BUDGET) {
		s->missed = true;
		return;
	}
	sp_buf_init(&b);
	sp_wire_records_begin(&b, 1);
	sp_pack_bin(&b, rec, len);
	send_msg(s, &b);
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
		session_unref(s);
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

static void
sessions_stored(sp_sessions *ss, const sp_area *area, const uint8_t *rec, size_t len,
    const sp_session *from)
{
	struct push_arg p = { area, rec, len, from };

	each_session(ss, push_one, &p);
}

static void
charters_changed_one(sp_session *s, void *arg)
{
	(void)arg;
	session_charters_changed(s);
}

static void
sessions_charters_changed(sp_sessions *ss)
{
	each_session(ss, charters_changed_one, NULL);
}

static void
resync_one(sp_session *s, void *arg)
{
	(void)arg;
	session_resync(s);
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
	sessions_stored(ss, area, rec, len, NULL);
}

void
sp_sessions_resync_all(sp_sessions *ss)
{
	each_session(ss, resync_one, NULL);
}

int
sp_sessions_resync(sp_sessions *ss, const char *peer)
{
	sp_session *s;

	for (s = ss->list; s != NULL; s = s->next) {
		if (strcmp(s->pol.name, peer) == 0) {
			s->refs++;
			session_resync(s);
			session_unref(s);
			return 0;
		}
	}
	return SP_ENOTFOUND;
}

void
sp_sessions_charters_changed(sp_sessions *ss)
{
	sessions_charters_changed(ss);
}
