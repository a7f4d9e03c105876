/*
 * sync_agree.c - what a session shares with its peer: charter membership
 * of both sides, our offers and the peer's offers and wants, and from them
 * what may flow each way (sp_session_accepts, sp_session_sends, decided
 * per record) and the areas agreed (sp_session_agree), worked out again
 * whenever charters change. The rules are docs/PROTOCOL.md's ("Selective
 * replication").
 */
#include "sync.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "charter.h"
#include "policy.h"
#include "sp_err.h"
#include "sync_int.h"
#include "syscoll.h"

/* Whether we and the peer are in a community's charter. */
struct sp_membership {
	uint8_t community[SP_PUBKEY_BYTES];
	bool me, peer;
};

int
sp_sync_area_search(const sp_area *v, size_t n, const sp_area *a)
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

void
sp_sync_area_list_add(sp_sync_area_list *l, const sp_area *a)
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

static int
area_qsort_cmp(const void *a, const void *b)
{
	return sp_area_cmp(a, b);
}

/* Whether a is the area of a system collection (syscoll.h). */
bool
sp_sync_is_system_area(const sp_area *a)
{
	const sp_syscoll *sc = sp_syscoll_find(a->collection, strlen(a->collection));

	return sc != NULL && a->label == sc->label;
}

/* A system area reconciled first (phase 0: the charters), never as an offer. */
static bool
is_charter_area(const sp_area *a)
{
	return sp_sync_is_system_area(a) &&
	    sp_syscoll_find(a->collection, strlen(a->collection))->phase == 0;
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

/* Whether community c has consented here to the peer being its hub (docs/HUBS.md). */
static bool
consented_to_peer(const sp_session *s, const uint8_t c[SP_PUBKEY_BYTES])
{
	size_t i;

	for (i = 0; i < s->nconsenting; i++)
		if (memcmp(s->consenting[i], c, SP_PUBKEY_BYTES) == 0)
			return true;
	return false;
}

static const struct sp_membership *
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
 * Between hubs (docs/HUBS.md, "The hierarchy of hubs"): an area of every
 * community holds only what hubs keep, with its row's label, and exists
 * only between two hubs.
 */
static bool
every_area_allowed(const sp_session *s, const sp_area *a)
{
	const sp_syscoll *sc = sp_syscoll_find(a->collection, strlen(a->collection));

	return sp_node_is_hub(s->ss->node) && sc != NULL && sc->at_hubs && a->label == sc->label;
}

/* Whether the peer is a hub below this one: our policy takes every community from it. */
bool
sp_session_from_below(const sp_session *s)
{
	size_t i;

	if (!sp_node_is_hub(s->ss->node))
		return false;
	for (i = 0; i < s->pol.nwants; i++)
		if (sp_is_every_community(s->pol.wants[i].community))
			return true;
	return false;
}

/*
 * May records of the area of every community, a, flow from the peer (a
 * hub below) to us, or from us to it (a hub above)?
 */
static bool
every_accepts(const sp_session *s, const sp_area *a)
{
	return every_area_allowed(s, a) && any_matches(s->pol.wants, s->pol.nwants, a);
}

static bool
every_sends(const sp_session *s, const sp_area *a)
{
	return every_area_allowed(s, a) && any_matches(s->pol.offers, s->pol.noffers, a) &&
	    any_matches(s->remote_wants, s->nremote_wants, a);
}

bool
sp_sync_is_consent_to_us(const sp_session *s, const sp_area *a)
{
	const sp_syscoll *consent = sp_syscoll_row(SP_CONSENT_COLLECTION);
	uint8_t hub[SP_PUBKEY_BYTES];

	return sp_syscoll_find_hub(a->collection, strlen(a->collection), hub) == consent &&
	    a->label == consent->label &&
	    memcmp(hub, sp_node_id(s->ss->node), SP_PUBKEY_BYTES) == 0;
}

/*
 * Whether a hub is offered consents of community c to it: a community it
 * is learning, or has just learnt, whose records may come before the
 * session names it (docs/HUBS.md).
 */
static bool
consents_offered(const sp_session *s, const uint8_t c[SP_PUBKEY_BYTES])
{
	size_t i;

	if (!sp_node_is_hub(s->ss->node))
		return false;
	for (i = 0; i < s->nremote_offers; i++)
		if (memcmp(s->remote_offers[i].community, c, SP_PUBKEY_BYTES) == 0 &&
		    sp_sync_is_consent_to_us(s, &s->remote_offers[i]))
			return true;
	return false;
}

/*
 * May records of area a flow from the peer to us? System records (the
 * charters) of the session's communities always (at a hub, those whose
 * consents to it the peer offers too: a pushed record may come before the
 * hub has learnt the community, and waits for its charter), and from a
 * hub below what a hub keeps of any community; anything else (never to a hub) when
 * one of our wants for the peer matches it and the rules let it travel
 * from the peer to us. Decided per record, so areas that appear later are
 * covered too.
 */
bool
sp_session_accepts(const sp_session *s, const sp_area *a)
{
	const struct sp_membership *m;
	sp_area every;

	if (sp_is_every_community(a->community))
		return every_accepts(s, a);
	sp_area_every(a, &every);
	if (sp_sync_is_system_area(a))
		return session_names_community(s, a->community) ||
		    consents_offered(s, a->community) || every_accepts(s, &every);
	if (sp_node_is_hub(s->ss->node) || !any_matches(s->pol.wants, s->pol.nwants, a))
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
    const struct sp_membership *m)
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
    const struct sp_membership *m)
{
	size_t i;

	if (offers_meet_wants(s, c, m))
		return true;
	for (i = 0; i < s->nremote_offers; i++)
		if (memcmp(s->remote_offers[i].community, c, SP_PUBKEY_BYTES) == 0 &&
		    !sp_sync_is_system_area(&s->remote_offers[i]) &&
		    sp_session_accepts(s, &s->remote_offers[i]))
			return true;
	return false;
}

/*
 * May system records of area a go to the peer, by their row's travel
 * rule? Members always; a charter also to a peer that shares an agreed
 * area of the community (it must check what it is given) or that the
 * community consented to as its hub; a definition to members only; a
 * consent or summary also to the hub its collection names.
 */
static bool
system_sends(const sp_session *s, const sp_area *a)
{
	const struct sp_membership *m = membership(s, a->community);
	bool member = m != NULL && m->peer;
	uint8_t hub[SP_PUBKEY_BYTES];
	const sp_syscoll *sc;

	if (!session_names_community(s, a->community))
		return false;
	sc = sp_syscoll_find_hub(a->collection, strlen(a->collection), hub);
	switch (sc->travel) {
	case SP_SYS_MEMBERS:
		return member;
	case SP_SYS_HUB:
		return member || memcmp(hub, s->pol.node, SP_PUBKEY_BYTES) == 0;
	case SP_SYS_TO_HUBS:
		return member || consented_to_peer(s, a->community);
	case SP_SYS_UPWARD:
		return false;
	default:
		return member || consented_to_peer(s, a->community) ||
		    agrees_community(s, a->community, m);
	}
}

/*
 * May we send records of area a to the peer? A system record
 * (SP_SYS_MEMBERS_AND_PARTNERS) to a peer in the community's charter, or
 * one that shares an agreed area of it and must check what it is given: a
 * charter lists every member, and nobody else learns them. Anything else:
 * our offer, its want, and the rules.
 */
bool
sp_session_sends(const sp_session *s, const sp_area *a)
{
	const struct sp_membership *m;
	sp_area every;

	if (sp_is_every_community(a->community))
		return every_sends(s, a);
	sp_area_every(a, &every);
	if (sp_sync_is_system_area(a))
		return system_sends(s, a) || every_sends(s, &every);
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
	struct sp_membership *v;
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

struct offer_walk {
	sp_session *s;
	sp_txn *t;
	sp_sync_area_list *list;
	uint8_t community[SP_PUBKEY_BYTES];
	bool for_hello;            /* before the peer's wants are known */
	bool offers_only;          /* a community no offer names: its system areas only */
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
	if (sp_sync_area_search(w->list->v, w->list->n, &a))
		return 0;
	/*
	 * Charters are not offered: they are reconciled first, whatever the
	 * policies say. Other system records are, where their row lets them
	 * travel to this peer: that is how the other side learns of them.
	 */
	if (sp_sync_is_system_area(&a)) {
		if (sp_syscoll_find(a.collection, len)->phase == 0 || !system_sends(w->s, &a))
			return 0;
	} else if (w->offers_only) {
		return 0;
	} else if (w->for_hello) {
		const struct sp_membership *m = membership(w->s, a.community);

		if (!any_matches(w->s->pol.offers, w->s->pol.noffers, &a) ||
		    !sp_may_travel(&a, m != NULL && m->me, m != NULL && m->peer))
			return 0;
	} else if (!sp_session_sends(w->s, &a)) {
		return 0;
	}
	sp_sync_area_list_add(w->list, &a);
	qsort(w->list->v, w->list->n, sizeof(sp_area), area_qsort_cmp);
	return 0;
}

/* A collection some community holds: its area of every community, if it goes to this peer. */
static int
offer_every_area(void *arg, const char *collection, size_t len, enum sp_label label)
{
	struct offer_walk *w = arg;
	sp_area a;

	memset(&a, 0, sizeof(a));
	memcpy(a.collection, collection, len);
	a.label = label;
	if (sp_sync_area_search(w->list->v, w->list->n, &a) || is_charter_area(&a))
		return 0;
	if (w->for_hello ? !every_area_allowed(w->s, &a) ||
	    !any_matches(w->s->pol.offers, w->s->pol.noffers, &a) : !every_sends(w->s, &a))
		return 0;
	sp_sync_area_list_add(w->list, &a);
	qsort(w->list->v, w->list->n, sizeof(sp_area), area_qsort_cmp);
	return 0;
}

static int
offer_every_community(void *arg, const sp_community_info *c)
{
	struct offer_walk *w = arg;

	return sp_store_areas_each(w->t, c->id, offer_every_area, w);
}

/*
 * The areas we hold that we offer this peer (sorted): for HELLO, those one
 * of our offer specs matches and the rules let travel to it; once the
 * peer's wants are known, those sp_session_sends() allows.
 */
static int
our_offers(sp_session *s, sp_txn *t, sp_sync_area_list *list, bool for_hello)
{
	struct offer_walk w;
	size_t i;
	int r;

	memset(&w, 0, sizeof(w));
	w.s = s;
	w.t = t;
	w.list = list;
	w.for_hello = for_hello;
	for (i = 0; i < s->pol.noffers; i++) {
		memcpy(w.community, s->pol.offers[i].community, SP_PUBKEY_BYTES);
		/* To a hub above: an area per collection, whatever the number of communities. */
		if (sp_is_every_community(s->pol.offers[i].community)) {
			if (sp_node_is_hub(s->ss->node) &&
			    (r = sp_store_community_each(t, offer_every_community, &w)) != 0)
				return r;
			continue;
		}
		if ((r = sp_store_areas_each(t, w.community, offer_area, &w)) != 0)
			return r;
	}
	/* The communities named otherwise: their system areas only. */
	w.offers_only = true;
	for (i = 0; i < s->ncommunities; i++) {
		memcpy(w.community, s->communities[i], SP_PUBKEY_BYTES);
		if ((r = sp_store_areas_each(t, w.community, offer_area, &w)) != 0)
			return r;
	}
	return list->err;
}

/*
 * Tells the peer the areas we offer: in HELLO, and again in OFFERS before
 * a responder asks for a new reconciliation (areas may have appeared).
 */
void
sp_session_send_offers(sp_session *s, enum sp_wire_type type)
{
	sp_sync_area_list offers = { NULL, 0, 0, 0 };
	sp_txn *t;
	sp_buf b;
	int r;

	if ((r = sp_txn_begin(sp_node_store(s->ss->node), false, &t)) != 0) {
		sp_session_fail(s, r, "cannot read the store");
		return;
	}
	if ((r = load_membership(s, t)) == 0)
		r = our_offers(s, t, &offers, true);
	sp_txn_abort(t);
	if (r != 0) {
		free(offers.v);
		sp_session_fail(s, r, "cannot list the areas to offer");
		return;
	}
	sp_buf_init(&b);
	if (type == SP_WIRE_HELLO)
		sp_wire_hello(&b, offers.v, offers.n, s->pol.wants, s->pol.nwants);
	else
		sp_wire_offers(&b, offers.v, offers.n);
	free(offers.v);
	sp_session_send(s, &b);
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

struct consent_walk {
	sp_session *s;
	sp_txn *t;
	uint8_t community[SP_PUBKEY_BYTES];
	char collection[SP_COLLECTION_MAX + 1];    /* .consent.PEER */
	int err;
};

static int
consent_area(void *arg, const char *collection, size_t len, enum sp_label label)
{
	struct consent_walk *w = arg;
	uint8_t (*v)[SP_PUBKEY_BYTES];
	sp_session *s = w->s;

	(void)label;
	if (len != strlen(w->collection) || memcmp(collection, w->collection, len) != 0 ||
	    consented_to_peer(s, w->community))
		return 0;
	if ((v = realloc(s->consenting, (s->nconsenting + 1) * sizeof(*v))) == NULL)
		return SP_ENOMEM;
	s->consenting = v;
	memcpy(v[s->nconsenting++], w->community, SP_PUBKEY_BYTES);
	add_community(s, w->t, w->community);
	return 0;
}

static int
consent_community(void *arg, const sp_community_info *c)
{
	struct consent_walk *w = arg;
	sp_charter *ch;

	memcpy(w->community, c->id, SP_PUBKEY_BYTES);
	/* A community the peer is a member of is named too: members share its system records. */
	if (sp_node_charter(w->t, c->id, &ch) == 0) {
		if (sp_charter_is_writer(ch, w->s->pol.node))
			add_community(w->s, w->t, c->id);
		sp_charter_free(ch);
	}
	return sp_store_areas_each(w->t, c->id, consent_area, w);
}

/*
 * The communities this side names by itself: those the peer is a member
 * of, and those that consented here to the peer as their hub.
 */
static int
collect_consenting(sp_session *s, sp_txn *t)
{
	struct consent_walk w;

	memset(&w, 0, sizeof(w));
	w.s = s;
	w.t = t;
	sp_syscoll_hub_collection(sp_syscoll_row(SP_CONSENT_COLLECTION), s->pol.node, w.collection);
	return sp_store_community_each(t, consent_community, &w);
}

/*
 * The communities whose charters this session reconciles: known here,
 * named by either side, the peer's as a member, or consented here to the
 * peer as their hub.
 */
int
sp_session_collect_communities(sp_session *s)
{
	sp_txn *t;
	size_t i;
	int r;

	if ((r = sp_txn_begin(sp_node_store(s->ss->node), false, &t)) != 0)
		return r;
	/*
	 * Not for a hub below: the consents to it that it passed up are all
	 * it would be named for, and naming them would offer its own records
	 * back down to it, three areas a community (docs/HUBS.md, "The
	 * hierarchy of hubs": only a hub passes records up).
	 */
	if (!sp_session_from_below(s) && (r = collect_consenting(s, t)) != 0) {
		sp_txn_abort(t);
		return r;
	}
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

/* The areas agreed either way, each once: those a pass reconciles after the charters. */
static size_t
count_agreed(const sp_session *s)
{
	size_t i, n = s->nout;

	for (i = 0; i < s->nin; i++)
		n += !sp_sync_area_search(s->out, s->nout, &s->in[i]);
	return n;
}

/*
 * Works out, from the charters now held, what this session reconciles:
 * the areas we hold and would send, and the areas the peer offered that
 * we accept. (Records are checked one by one with sp_session_sends() and
 * sp_session_accepts().)
 */
int
sp_session_agree(sp_session *s)
{
	sp_sync_area_list out = { NULL, 0, 0, 0 }, in = { NULL, 0, 0, 0 };
	sp_peer_stats *st;
	sp_txn *t;
	size_t i;
	int r;

	if ((r = sp_txn_begin(sp_node_store(s->ss->node), false, &t)) != 0)
		return r;
	if ((r = load_membership(s, t)) != 0 || (r = our_offers(s, t, &out, false)) != 0)
		goto out;
	for (i = 0; i < s->nremote_offers; i++)
		if (!is_charter_area(&s->remote_offers[i]) &&
		    sp_session_accepts(s, &s->remote_offers[i]))
			sp_sync_area_list_add(&in, &s->remote_offers[i]);
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
	if ((st = sp_session_stats(s)) != NULL)
		st->areas = count_agreed(s);
out:
	sp_txn_abort(t);
	free(out.v);
	free(in.v);
	return r;
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
void
sp_session_charters_changed(sp_session *s)
{
	size_t nout = s->nout, nin = s->nin;
	sp_area *out = NULL, *in = NULL;
	bool changed;

	if (s->conn == NULL || s->phase == SP_PHASE_HELLO)
		return;
	/* Records whose author was unknown may be by a member now. */
	sp_session_retry_waiting(s);
	if ((nout > 0 && (out = malloc(nout * sizeof(*out))) == NULL) ||
	    (nin > 0 && (in = malloc(nin * sizeof(*in))) == NULL)) {
		free(out);
		sp_session_fail(s, SP_ENOMEM, "out of memory");
		return;
	}
	if (nout > 0)
		memcpy(out, s->out, nout * sizeof(*out));
	if (nin > 0)
		memcpy(in, s->in, nin * sizeof(*in));
	if (sp_session_agree(s) != 0) {
		free(out);
		free(in);
		sp_session_fail(s, SP_ESTORE, "cannot work out the agreed areas");
		return;
	}
	changed = !areas_equal(out, nout, s->out, s->nout) ||
	    !areas_equal(in, nin, s->in, s->nin);
	free(out);
	free(in);
	if (!changed)
		return;
	if (s->initiator && s->phase == SP_PHASE_AREAS)
		s->resync = true;
	else if (!s->initiator || s->phase == SP_PHASE_LIVE)
		sp_session_resync(s);
}

/* The peer's offered areas, from a HELLO or an OFFERS; a hub learns communities from them. */
int
sp_session_read_offers(sp_session *s, const sp_wire_msg *m)
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
	return sp_session_learn_communities(s);
}

int
sp_session_read_hello(sp_session *s, const sp_wire_msg *m)
{
	const uint8_t *p;
	size_t left;
	uint32_t i;
	int r;

	if (m->version != SP_WIRE_VERSION)
		return SP_EPROTO_VERSION;
	if ((r = sp_session_read_offers(s, m)) != 0)
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
	return sp_session_collect_communities(s);
}

void
sp_session_agree_clear(sp_session *s)
{
	free(s->remote_offers);
	free(s->remote_wants);
	free(s->communities);
	free(s->consenting);
	free(s->out);
	free(s->in);
	free(s->members);
}
