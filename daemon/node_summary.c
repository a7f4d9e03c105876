/*
 * node_summary.c - summary definitions and consents written on a
 * community node (docs/HUBS.md): each command one durable transaction of
 * system records (sp_node_put_system_in), by an admin.
 */
#include "node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charter.h"
#include "node_int.h"
#include "sp_err.h"
#include "summary.h"
#include "tally.h"
#include "syscoll.h"

/* Hubs a community may have consent collections for; more is refused. */
#define MAX_HUBS 256

static void
system_write(sp_write *w, const uint8_t community[SP_PUBKEY_BYTES], const char *collection,
    const char *key, const uint8_t *body, size_t len)
{
	memset(w, 0, sizeof(*w));
	memcpy(w->community, community, SP_PUBKEY_BYTES);
	w->collection = collection;
	w->collection_len = strlen(collection);
	w->key = key;
	w->key_len = strlen(key);
	w->body = body;
	w->body_len = len;
}

/* One system write in t, its id added to out (past its room, out->more is set instead). */
static int
put(sp_node *n, sp_txn *t, const sp_write *w, bool tombstone, sp_written *out)
{
	uint8_t id[SP_ID_BYTES];
	int r;

	if ((r = sp_node_put_system_in(n, t, w, tombstone, id)) != 0)
		return r;
	if (out->n == SP_NODE_MAX_WRITTEN)
		out->more = true;
	else
		memcpy(out->ids[out->n++], id, SP_ID_BYTES);
	return 0;
}

static void
consent_collection(const uint8_t hub[SP_PUBKEY_BYTES], char out[SP_COLLECTION_MAX + 1])
{
	sp_syscoll_hub_collection(sp_syscoll_row(SP_CONSENT_COLLECTION), hub, out);
}

/* The live version of a system key, decoded; SP_ENOTFOUND when none is live. */
static int
live(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES], const char *collection,
    const char *key, sp_stored *st, sp_record *rec)
{
	int r;

	r = sp_store_get(t, community, collection, strlen(collection), key, strlen(key), st);
	if (r != 0)
		return r;
	if (sp_record_decode(st->data, st->len, rec) != 0)
		return SP_ECORRUPT;
	return (rec->flags & SP_FLAG_TOMBSTONE) ? SP_ENOTFOUND : 0;
}

/* This node must be an admin of the community (said first, before what else is missing). */
static int
check_admin(sp_node *n, sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES])
{
	sp_charter *c;
	int r;

	if ((r = sp_node_charter(t, community, &c)) != 0)
		return r;
	r = sp_charter_is_admin(c, n->pk) ? 0 :
	    sp_charter_is_writer(c, n->pk) ? SP_ENOTADMIN : SP_ENOTWRITER;
	sp_charter_free(c);
	return r;
}

/* Runs fn in one write transaction, by an admin, committed if it succeeds; out starts empty. */
static int
in_txn(sp_node *n, const uint8_t community[SP_PUBKEY_BYTES],
    int (*fn)(sp_node *n, sp_txn *t, void *arg), void *arg, sp_written *out)
{
	sp_txn *t;
	int r;

	out->n = 0;
	out->more = false;
	if ((r = sp_txn_begin(n->store, true, &t)) != 0)
		return r;
	if ((r = check_admin(n, t, community)) != 0 || (r = fn(n, t, arg)) != 0) {
		sp_txn_abort(t);
		out->n = 0;
		out->more = false;
		return r;
	}
	return sp_txn_commit(t);
}

struct op {
	const uint8_t *community;
	const char *name;
	const uint8_t *body;
	size_t len;
	const uint8_t *hub;
	uint64_t until_ms;
	sp_written *out;
};

static int
define_in(sp_node *n, sp_txn *t, void *arg)
{
	struct op *op = arg;
	sp_write w;

	system_write(&w, op->community, SP_DEFINITION_COLLECTION, op->name, op->body, op->len);
	return put(n, t, &w, false, op->out);
}

int
sp_node_summary_define(sp_node *n, const uint8_t community[SP_PUBKEY_BYTES],
    const char *name, const uint8_t *body, size_t len, sp_written *out)
{
	struct op op = { community, name, body, len, NULL, 0, out };

	out->n = 0;
	if (sp_alias_check(name, strlen(name)) != 0)
		return SP_EALIAS;
	return in_txn(n, community, define_in, &op, out);
}

/* The hubs of the community's consent collections (at most MAX_HUBS). */
struct hubs {
	uint8_t id[MAX_HUBS][SP_PUBKEY_BYTES];
	size_t n;
};

static int
collect_hub(void *arg, const char *collection, size_t len, enum sp_label label)
{
	struct hubs *h = arg;
	uint8_t hub[SP_PUBKEY_BYTES];

	(void)label;
	if (sp_syscoll_find_hub(collection, len, hub) != sp_syscoll_row(SP_CONSENT_COLLECTION))
		return 0;
	if (h->n == MAX_HUBS)
		return SP_ETOOBIG;
	memcpy(h->id[h->n++], hub, SP_PUBKEY_BYTES);
	return 0;
}

static int
consent_hubs(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES], struct hubs *h)
{
	h->n = 0;
	return sp_store_areas_each(t, community, collect_hub, h);
}

/* The live summaries of NAME (keys NAME/PERIOD) in one hub's collection: a period each. */
#define MAX_PUBLISHED 4096
struct published {
	char keys[MAX_PUBLISHED][SP_SUMMARY_KEY_MAX + 1];
	size_t n;
	const char *name;
};

static int
collect_published(void *arg, const sp_stored *st)
{
	struct published *p = arg;
	size_t len = strlen(p->name);
	sp_record rec;

	if (sp_record_decode(st->data, st->len, &rec) != 0)
		return SP_ECORRUPT;
	if ((rec.flags & SP_FLAG_TOMBSTONE) || rec.key_len <= len ||
	    memcmp(rec.key, p->name, len) != 0 || rec.key[len] != '/')
		return 0;
	if (p->n == MAX_PUBLISHED || rec.key_len > SP_SUMMARY_KEY_MAX)
		return SP_ETOOBIG;
	memcpy(p->keys[p->n++], rec.key, rec.key_len + 1);
	return 0;
}

/* Withdraws a consent: its tombstone, then one for each summary published under it. */
static int
withdraw_in(sp_node *n, sp_txn *t, void *arg)
{
	struct op *op = arg;
	char collection[SP_COLLECTION_MAX + 1];
	struct published *p;
	sp_write w;
	size_t i;
	int r;

	consent_collection(op->hub, collection);
	system_write(&w, op->community, collection, op->name, NULL, 0);
	if ((r = put(n, t, &w, true, op->out)) != 0)
		return r;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return SP_ENOMEM;
	p->name = op->name;
	sp_syscoll_hub_collection(sp_syscoll_row(SP_SUMMARY_COLLECTION), op->hub, collection);
	r = sp_store_each(t, op->community, collection, strlen(collection), NULL, 0,
	    collect_published, p);
	for (i = 0; r == 0 && i < p->n; i++) {
		system_write(&w, op->community, collection, p->keys[i], NULL, 0);
		r = put(n, t, &w, true, op->out);
	}
	free(p);
	return r;
}

static int
rm_in(sp_node *n, sp_txn *t, void *arg)
{
	struct op *op = arg;
	struct hubs *h;
	sp_write w;
	size_t i;
	int r;

	system_write(&w, op->community, SP_DEFINITION_COLLECTION, op->name, NULL, 0);
	if ((r = put(n, t, &w, true, op->out)) != 0)
		return r;
	if ((h = malloc(sizeof(*h))) == NULL)
		return SP_ENOMEM;
	if ((r = consent_hubs(t, op->community, h)) != 0)
		goto out;
	for (i = 0; i < h->n; i++) {
		op->hub = h->id[i];
		r = withdraw_in(n, t, op);
		if (r == SP_ENOTFOUND)
			r = 0;
		if (r != 0)
			goto out;
	}
out:
	free(h);
	return r;
}

int
sp_node_summary_rm(sp_node *n, const uint8_t community[SP_PUBKEY_BYTES], const char *name,
    sp_written *out)
{
	struct op op = { community, name, NULL, 0, NULL, 0, out };

	return in_txn(n, community, rm_in, &op, out);
}

static int
consent_in(sp_node *n, sp_txn *t, void *arg)
{
	struct op *op = arg;
	char collection[SP_COLLECTION_MAX + 1];
	sp_consent c;
	sp_stored st;
	sp_record rec;
	sp_write w;
	sp_buf body;
	int r;

	if ((r = live(t, op->community, SP_DEFINITION_COLLECTION, op->name, &st, &rec)) != 0)
		return r;
	memset(&c, 0, sizeof(c));
	memcpy(c.name, op->name, strlen(op->name) + 1);
	memcpy(c.definition, st.id, SP_ID_BYTES);
	memcpy(c.hub, op->hub, SP_PUBKEY_BYTES);
	c.until_ms = op->until_ms;
	sp_buf_init(&body);
	if ((r = sp_consent_encode(&c, &body)) == 0) {
		consent_collection(op->hub, collection);
		system_write(&w, op->community, collection, op->name, body.data, body.len);
		r = put(n, t, &w, false, op->out);
	}
	sp_buf_free(&body);
	return r;
}

int
sp_node_summary_consent(sp_node *n, const uint8_t community[SP_PUBKEY_BYTES],
    const char *name, const uint8_t hub[SP_PUBKEY_BYTES], uint64_t until_ms, sp_written *out)
{
	struct op op = { community, name, NULL, 0, hub, until_ms, out };

	out->n = 0;
	if (sp_alias_check(name, strlen(name)) != 0)
		return SP_EALIAS;
	return in_txn(n, community, consent_in, &op, out);
}

int
sp_node_summary_withdraw(sp_node *n, const uint8_t community[SP_PUBKEY_BYTES],
    const char *name, const uint8_t hub[SP_PUBKEY_BYTES], sp_written *out)
{
	struct op op = { community, name, NULL, 0, hub, 0, out };

	out->n = 0;
	if (sp_alias_check(name, strlen(name)) != 0)
		return SP_EALIAS;
	return in_txn(n, community, withdraw_in, &op, out);
}

/* Listing. */

struct each {
	sp_txn *t;
	const uint8_t *community;
	const sp_summary_walk *w;
	struct hubs hubs;
	sp_definition d;
};

static int
each_definition(void *arg, const sp_stored *st)
{
	struct each *e = arg;
	char collection[SP_COLLECTION_MAX + 1];
	sp_stored cst;
	sp_record rec, crec;
	sp_consent c;
	size_t i;
	int r;

	if (sp_record_decode(st->data, st->len, &rec) != 0)
		return SP_ECORRUPT;
	if ((rec.flags & SP_FLAG_TOMBSTONE) ||
	    sp_definition_decode(rec.body, rec.body_len, &e->d) != 0)
		return 0;
	if ((r = e->w->definition(e->w->arg, rec.key, &e->d, st->id)) != 0)
		return r;
	for (i = 0; i < e->hubs.n; i++) {
		consent_collection(e->hubs.id[i], collection);
		r = live(e->t, e->community, collection, rec.key, &cst, &crec);
		if (r == SP_ENOTFOUND)
			continue;
		if (r != 0)
			return r;
		if (sp_consent_decode(crec.body, crec.body_len, &c) != 0)
			continue;
		if ((r = e->w->consent(e->w->arg, &c,
		    memcmp(c.definition, st->id, SP_ID_BYTES) == 0)) != 0)
			return r;
	}
	return 0;
}

int
sp_node_summary_each(sp_node *n, const uint8_t community[SP_PUBKEY_BYTES],
    const sp_summary_walk *w)
{
	struct each *e;
	int r;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return SP_ENOMEM;
	e->community = community;
	e->w = w;
	if ((r = sp_txn_begin(n->store, false, &e->t)) != 0)
		goto out;
	if ((r = consent_hubs(e->t, community, &e->hubs)) == 0)
		r = sp_store_each(e->t, community, SP_DEFINITION_COLLECTION,
		    strlen(SP_DEFINITION_COLLECTION), NULL, 0, each_definition, e);
	sp_txn_abort(e->t);
out:
	free(e);
	return r;
}

/* Publishing. */

static int
tally_record(void *arg, const sp_stored *st)
{
	sp_record rec;

	if (sp_record_decode(st->data, st->len, &rec) != 0)
		return SP_ECORRUPT;
	if (rec.flags & SP_FLAG_TOMBSTONE)
		return 0;
	return sp_tally_add(arg, rec.body, rec.body_len);
}

/* Whether a live consent counts at now_ms: unexpired, by an admin of the current charter. */
static bool
consent_counts(const sp_consent *c, const sp_record *crec, const sp_charter *charter,
    uint64_t now_ms)
{
	return (c->until_ms == 0 || c->until_ms > now_ms) && sp_charter_is_admin(charter, crec->author);
}

/*
 * Whether this node publishes under a live consent: one it signed (the
 * device that consented computes what it consented to, from the records
 * it holds; another device of the community may lack some), for this
 * version of the definition, while it counts.
 */
static bool
consent_holds(const sp_node *n, const sp_consent *c, const sp_record *crec,
    const uint8_t def_id[SP_ID_BYTES], const sp_charter *charter, uint64_t now_ms)
{
	return memcmp(crec->author, n->pk, SP_PUBKEY_BYTES) == 0 &&
	    memcmp(c->definition, def_id, SP_ID_BYTES) == 0 &&
	    consent_counts(c, crec, charter, now_ms);
}

/* Writes body under collection/key unless the live version there has it already. */
static int
publish_to(sp_node *n, sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection, const char *key, const sp_buf *body, sp_written *out)
{
	sp_stored st;
	sp_record rec;
	sp_write w;
	int r;

	r = live(t, community, collection, key, &st, &rec);
	if (r == 0 && rec.body_len == body->len && memcmp(rec.body, body->data, body->len) == 0)
		return 0;
	if (r != 0 && r != SP_ENOTFOUND)
		return r;
	system_write(&w, community, collection, key, body->data, body->len);
	return put(n, t, &w, false, out);
}

struct publish {
	const uint8_t *community;
	const char *name;
	uint64_t now_ms;
	sp_written *out;
	sp_definition d;
	struct hubs hubs;
};

/*
 * The definition NAME (live, its record in *dst, decoded into d), its
 * tally over the current records and what would be published of it, for
 * the period holding now_ms. *tally and *s owned by the caller.
 */
static int
compute_in(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES], const char *name,
    uint64_t now_ms, sp_definition *d, sp_stored *dst, sp_tally **tally, sp_summary **s)
{
	sp_record drec;
	int r;

	*tally = NULL;
	*s = NULL;
	if ((r = live(t, community, SP_DEFINITION_COLLECTION, name, dst, &drec)) != 0 ||
	    (r = sp_definition_decode(drec.body, drec.body_len, d)) != 0 ||
	    (r = sp_tally_new(d, tally)) != 0 ||
	    (r = sp_store_each(t, community, d->from, strlen(d->from), NULL, 0,
	    tally_record, *tally)) != 0 ||
	    (r = sp_summary_of_tally(*tally, d->k, s)) != 0) {
		sp_tally_free(*tally);
		*tally = NULL;
		return r;
	}
	memcpy(sp_summary_name(*s), name, strlen(name) + 1);
	sp_period_format(d->period, now_ms, sp_summary_period(*s));
	return 0;
}

int
sp_node_summary_compute(sp_node *n, const uint8_t community[SP_PUBKEY_BYTES],
    const char *name, uint64_t now_ms, sp_tally **exact, sp_summary **published)
{
	sp_definition *d;
	sp_stored dst;
	sp_txn *t;
	int r;

	*exact = NULL;
	*published = NULL;
	if ((d = malloc(sizeof(*d))) == NULL)
		return SP_ENOMEM;
	if ((r = sp_txn_begin(n->store, false, &t)) == 0) {
		r = compute_in(t, community, name, now_ms, d, &dst, exact, published);
		sp_txn_abort(t);
	}
	free(d);
	return r;
}

static int
publish_in(sp_node *n, sp_txn *t, void *arg)
{
	struct publish *pb = arg;
	char collection[SP_COLLECTION_MAX + 1], key[SP_SUMMARY_KEY_MAX + 1];
	sp_charter *charter = NULL;
	sp_summary *s = NULL;
	sp_tally *tally = NULL;
	sp_stored dst, cst;
	sp_record crec;
	sp_consent c;
	sp_buf body;
	size_t i;
	int r;

	sp_buf_init(&body);
	if ((r = compute_in(t, pb->community, pb->name, pb->now_ms, &pb->d, &dst, &tally, &s)) != 0 ||
	    (r = sp_node_charter(t, pb->community, &charter)) != 0 ||
	    (r = consent_hubs(t, pb->community, &pb->hubs)) != 0)
		goto out;
	snprintf(key, sizeof(key), "%s/%s", pb->name, sp_summary_period(s));
	for (i = 0; i < pb->hubs.n; i++) {
		consent_collection(pb->hubs.id[i], collection);
		r = live(t, pb->community, collection, pb->name, &cst, &crec);
		if (r == SP_ENOTFOUND)
			continue;
		if (r != 0)
			goto out;
		if (sp_consent_decode(crec.body, crec.body_len, &c) != 0 ||
		    !consent_holds(n, &c, &crec, dst.id, charter, pb->now_ms))
			continue;
		memcpy(sp_summary_consent(s), cst.id, SP_ID_BYTES);
		sp_buf_reset(&body);
		if ((r = sp_summary_encode(s, &body)) != 0)
			goto out;
		sp_syscoll_hub_collection(sp_syscoll_row(SP_SUMMARY_COLLECTION), pb->hubs.id[i],
		    collection);
		if ((r = publish_to(n, t, pb->community, collection, key, &body, pb->out)) != 0)
			goto out;
	}
	r = 0;
out:
	sp_buf_free(&body);
	sp_summary_free(s);
	sp_tally_free(tally);
	sp_charter_free(charter);
	return r;
}

int
sp_node_summary_publish(sp_node *n, const uint8_t community[SP_PUBKEY_BYTES], const char *name,
    uint64_t now_ms, sp_written *out)
{
	struct publish *pb;
	sp_txn *t;
	int r;

	out->n = 0;
	out->more = false;
	if ((pb = calloc(1, sizeof(*pb))) == NULL)
		return SP_ENOMEM;
	pb->community = community;
	pb->name = name;
	pb->now_ms = now_ms;
	pb->out = out;
	if ((r = sp_txn_begin(n->store, true, &t)) != 0)
		goto done;
	if ((r = publish_in(n, t, pb)) != 0) {
		sp_txn_abort(t);
		out->n = 0;
		out->more = false;
		goto done;
	}
	r = sp_txn_commit(t);
done:
	free(pb);
	return r;
}

/* Hubs. */

struct counting {
	const sp_charter *charter;
	uint64_t now_ms;
};

/* A consent of one hub's collection that counts stops the walk (1). */
static int
find_counting(void *arg, const sp_stored *st)
{
	struct counting *c = arg;
	sp_consent con;
	sp_record rec;

	if (sp_record_decode(st->data, st->len, &rec) != 0)
		return SP_ECORRUPT;
	if ((rec.flags & SP_FLAG_TOMBSTONE) || sp_consent_decode(rec.body, rec.body_len, &con) != 0)
		return 0;
	return consent_counts(&con, &rec, c->charter, c->now_ms) ? 1 : 0;
}

int
sp_node_consented_hubs(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES], uint64_t now_ms,
    uint8_t (*hubs)[SP_PUBKEY_BYTES], size_t max, size_t *n)
{
	char collection[SP_COLLECTION_MAX + 1];
	struct counting c = { NULL, now_ms };
	sp_charter *charter = NULL;
	struct hubs *h;
	size_t i;
	int r;

	*n = 0;
	if ((h = malloc(sizeof(*h))) == NULL)
		return SP_ENOMEM;
	if ((r = sp_node_charter(t, community, &charter)) != 0) {
		/* Without a charter no consent counts. */
		if (r == SP_ENOCHARTER)
			r = 0;
		goto out;
	}
	c.charter = charter;
	if ((r = consent_hubs(t, community, h)) != 0)
		goto out;
	for (i = 0; i < h->n; i++) {
		consent_collection(h->id[i], collection);
		r = sp_store_each(t, community, collection, strlen(collection), NULL, 0,
		    find_counting, &c);
		if (r < 0)
			goto out;
		if (r == 0)
			continue;
		if (*n == max) {
			r = SP_ETOOBIG;
			goto out;
		}
		memcpy(hubs[(*n)++], h->id[i], SP_PUBKEY_BYTES);
	}
	r = 0;
out:
	if (r != 0)
		*n = 0;
	sp_charter_free(charter);
	free(h);
	return r;
}
