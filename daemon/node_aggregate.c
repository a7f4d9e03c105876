/*
 * node_aggregate.c - a hub's aggregates (docs/HUBS.md, "Aggregate"):
 * which records it aggregates, each aggregate computed from them and
 * written in the hub's own community, and the verification of every
 * aggregate held here ('simpul report --verify').
 */
#include "node.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "base32.h"
#include "charter.h"
#include "node_int.h"
#include "policy.h"
#include "sp_err.h"
#include "summary.h"
#include "syscoll.h"

typedef char key_text[SP_SUMMARY_KEY_MAX + 1];
/* A community as a problem names it: its alias here, or its id. */
typedef char community_text[SP_COLLECTION_MAX + SP_ID_STR_LEN + 1];

struct below_walk {
	const uint8_t *node;
	bool *yes;
};

static int
below_one(void *arg, const char *name, size_t name_len, const uint8_t *data, size_t len)
{
	struct below_walk *w = arg;
	sp_peer_policy pol;
	size_t i;

	(void)name;
	(void)name_len;
	if (sp_policy_decode(data, len, &pol) != 0 ||
	    memcmp(pol.node, w->node, SP_PUBKEY_BYTES) != 0)
		return 0;
	for (i = 0; i < pol.nwants; i++)
		if (sp_is_every_community(pol.wants[i].community))
			*w->yes = true;
	return 0;
}

int
sp_node_hub_below(sp_txn *t, const uint8_t node[SP_PUBKEY_BYTES], bool *yes)
{
	struct below_walk w = { node, yes };

	*yes = false;
	return sp_store_peer_each(t, below_one, &w);
}

/* NAME/PERIOD into its parts; SP_EINVAL unless it is one. */
static int
split_key(const char *key, char name[SP_SUMMARY_NAME_MAX + 1], char period[8])
{
	const char *slash = strchr(key, '/');
	size_t n;

	if (slash == NULL || (n = (size_t)(slash - key)) > SP_SUMMARY_NAME_MAX ||
	    strlen(slash + 1) > 7)
		return SP_EINVAL;
	memcpy(name, key, n);
	name[n] = '\0';
	strcpy(period, slash + 1);
	if (sp_alias_check(name, n) != 0 || !sp_period_valid(period, strlen(period)))
		return SP_EINVAL;
	return 0;
}

/* .summary.HUB: the summaries consented to hub. */
static void
summary_collection(const uint8_t hub[SP_PUBKEY_BYTES], char out[SP_COLLECTION_MAX + 1])
{
	sp_syscoll_hub_collection(sp_syscoll_row(SP_SUMMARY_COLLECTION), hub, out);
}

static bool
in_collection(const sp_record *rec, const char *collection)
{
	return rec->collection_len == strlen(collection) &&
	    memcmp(rec->collection, collection, rec->collection_len) == 0;
}

/* The live record of community c under collection/key, decoded; SP_ENOTFOUND when none is live. */
static int
live_record(sp_txn *t, const uint8_t c[SP_PUBKEY_BYTES], const char *collection, const char *key,
    sp_stored *st, sp_record *rec)
{
	int r;

	if ((r = sp_store_get(t, c, collection, strlen(collection), key, strlen(key), st)) != 0)
		return r;
	if (sp_record_decode(st->data, st->len, rec) != 0)
		return SP_ECORRUPT;
	return (rec->flags & SP_FLAG_TOMBSTONE) ? SP_ENOTFOUND : 0;
}

/*
 * ===== Which records a hub aggregates (docs/HUBS.md, "Aggregate") =====
 *
 * rec is a live record held here under the key aggregated, in a
 * community that is not the hub's own (own); summary is its body when it
 * is a summary, NULL for an aggregate. *yes: whether it is an input.
 *   - A summary counts when it is in .summary.SELF, a consent to this hub
 *     itself (one consented to a hub below is in that hub's aggregate
 *     already), and stands on a valid consent (sp_node_consent_check).
 *   - An aggregate counts when a hub directly below wrote it (a peer this
 *     hub takes every community from): those further down pass their
 *     aggregates up too, and are counted in the aggregates of the hubs
 *     between.
 */
static int
is_aggregate_input(sp_node *n, sp_txn *t, const sp_community_info *own, const sp_record *rec,
    sp_summary *summary, bool *yes)
{
	char collection[SP_COLLECTION_MAX + 1];
	sp_charter *charter = NULL;
	int r;

	*yes = false;
	if (memcmp(rec->community, own->id, SP_PUBKEY_BYTES) == 0)
		return 0;
	if (summary == NULL) {
		if (!in_collection(rec, SP_AGGREGATE_COLLECTION))
			return 0;
		return sp_node_hub_below(t, rec->author, yes);
	}
	summary_collection(n->pk, collection);
	if (!in_collection(rec, collection))
		return 0;
	r = sp_node_charter(t, rec->community, &charter);
	if (r != 0 && r != SP_ENOCHARTER)
		return r;
	r = sp_node_consent_check(t, rec, sp_summary_consent(summary), n->pk, charter,
	    n->now_ms(), NULL);
	sp_charter_free(charter);
	*yes = r == 0;
	if (r == SP_ENOCONSENT || r == SP_ECONSENT_EXPIRED || r == SP_ECONSENT_ADMIN)
		r = 0;
	return r;
}

/* Adds community c's summary to this hub of key to b, if it is an input. */
static int
gather_summary(sp_node *n, sp_txn *t, const sp_community_info *own,
    const uint8_t c[SP_PUBKEY_BYTES], const char *key, sp_aggregate_builder *b)
{
	char collection[SP_COLLECTION_MAX + 1];
	sp_summary *s;
	sp_stored st;
	sp_record rec;
	bool yes;
	int r;

	summary_collection(n->pk, collection);
	if ((r = live_record(t, c, collection, key, &st, &rec)) != 0)
		return r == SP_ENOTFOUND ? 0 : r;
	/* What is stored was checked on its way in: a body that does not decode is no input. */
	if (sp_summary_decode(rec.body, rec.body_len, &s) != 0)
		return 0;
	if ((r = is_aggregate_input(n, t, own, &rec, s, &yes)) != 0 || !yes) {
		sp_summary_free(s);
		return r;
	}
	return sp_aggregate_add_summary(b, st.id, s);
}

/* Adds community c's aggregate of key to b, if it is an input. */
static int
gather_aggregate(sp_node *n, sp_txn *t, const sp_community_info *own,
    const uint8_t c[SP_PUBKEY_BYTES], const char *key, sp_aggregate_builder *b)
{
	sp_aggregate *a;
	sp_stored st;
	sp_record rec;
	bool yes;
	int r;

	if ((r = live_record(t, c, SP_AGGREGATE_COLLECTION, key, &st, &rec)) != 0)
		return r == SP_ENOTFOUND ? 0 : r;
	if (sp_aggregate_decode(rec.body, rec.body_len, &a) != 0)
		return 0;
	if ((r = is_aggregate_input(n, t, own, &rec, NULL, &yes)) != 0 || !yes) {
		sp_aggregate_free(a);
		return r;
	}
	return sp_aggregate_add_aggregate(b, st.id, a);
}

/* The hub's aggregate of key from the inputs held; *out owned by the caller. */
static int
compute_in(sp_node *n, sp_txn *t, const sp_community_info *own, const char *key,
    sp_aggregate_left_out_cb *left_out, void *arg, sp_aggregate **out)
{
	char name[SP_SUMMARY_NAME_MAX + 1], period[8];
	uint8_t (*all)[SP_PUBKEY_BYTES] = NULL;
	sp_aggregate_builder *b = NULL;
	size_t i, count;
	int r;

	*out = NULL;
	if ((r = split_key(key, name, period)) != 0 ||
	    (r = sp_aggregate_start(name, period, n->pk, &b)) != 0 ||
	    (r = sp_node_community_ids_in(t, &all, &count)) != 0)
		goto out;
	for (i = 0; i < count; i++)
		if ((r = gather_summary(n, t, own, all[i], key, b)) != 0 ||
		    (r = gather_aggregate(n, t, own, all[i], key, b)) != 0)
			goto out;
	r = sp_aggregate_finish(b, left_out, arg, out);
out:
	sp_aggregate_builder_free(b);
	free(all);
	return r;
}

/* Keys. */

typedef struct key_list {
	key_text *v;
	size_t n, cap;
} key_list;

static int
collect_key(void *arg, const sp_stored *st)
{
	key_list *l = arg;
	sp_record rec;
	key_text *v;

	if (sp_record_decode(st->data, st->len, &rec) != 0)
		return SP_ECORRUPT;
	if (rec.key_len > SP_SUMMARY_KEY_MAX)
		return 0;
	if (l->n == l->cap) {
		if (l->cap == SP_NODE_MAX_KEYS)
			return SP_ETOOBIG;
		l->cap = l->cap * 2 + 16 < SP_NODE_MAX_KEYS ? l->cap * 2 + 16 : SP_NODE_MAX_KEYS;
		if ((v = realloc(l->v, l->cap * sizeof(*v))) == NULL)
			return SP_ENOMEM;
		l->v = v;
	}
	memcpy(l->v[l->n++], rec.key, rec.key_len + 1);
	return 0;
}

static int
key_cmp(const void *x, const void *y)
{
	return strcmp(x, y);
}

int
sp_node_aggregate_keys(sp_node *n, const uint8_t (*communities)[SP_PUBKEY_BYTES], size_t count,
    char (**keys)[SP_SUMMARY_KEY_MAX + 1], size_t *nkeys)
{
	char collection[SP_COLLECTION_MAX + 1];
	key_list l = { NULL, 0, 0 };
	size_t i, kept;
	sp_txn *t;
	int r;

	*keys = NULL;
	*nkeys = 0;
	if ((r = sp_txn_begin(n->store, false, &t)) != 0)
		return r;
	summary_collection(n->pk, collection);
	for (i = 0; r == 0 && i < count; i++) {
		r = sp_store_each(t, communities[i], collection, strlen(collection), NULL, 0,
		    collect_key, &l);
		if (r == 0)
			r = sp_store_each(t, communities[i], SP_AGGREGATE_COLLECTION,
			    strlen(SP_AGGREGATE_COLLECTION), NULL, 0, collect_key, &l);
	}
	sp_txn_abort(t);
	if (r != 0) {
		free(l.v);
		return r;
	}
	if (l.n > 0)
		qsort(l.v, l.n, sizeof(*l.v), key_cmp);
	for (i = 0, kept = 0; i < l.n; i++)
		if (kept == 0 || strcmp(l.v[kept - 1], l.v[i]) != 0)
			memmove(l.v[kept++], l.v[i], sizeof(*l.v));
	*keys = l.v;
	*nkeys = kept;
	return 0;
}

/* Writing. */

static int
update_in(sp_node *n, sp_txn *t, const char *key, sp_aggregate_left_out_cb *left_out, void *arg,
    sp_buf *body, uint8_t id[SP_ID_BYTES], bool *written)
{
	sp_community_info own;
	sp_aggregate *a = NULL;
	sp_stored st;
	sp_record rec;
	sp_write w;
	int r;

	*written = false;
	if ((r = sp_node_hub_community_in(t, &own)) != 0 ||
	    (r = compute_in(n, t, &own, key, left_out, arg, &a)) != 0 ||
	    (r = sp_aggregate_encode(a, body)) != 0)
		goto out;
	r = live_record(t, own.id, SP_AGGREGATE_COLLECTION, key, &st, &rec);
	if (r == 0 && rec.body_len == body->len && memcmp(rec.body, body->data, body->len) == 0)
		goto out;
	if (r != 0 && r != SP_ENOTFOUND)
		goto out;
	memset(&w, 0, sizeof(w));
	memcpy(w.community, own.id, SP_PUBKEY_BYTES);
	w.collection = SP_AGGREGATE_COLLECTION;
	w.collection_len = strlen(SP_AGGREGATE_COLLECTION);
	w.key = key;
	w.key_len = strlen(key);
	w.body = body->data;
	w.body_len = body->len;
	if ((r = sp_node_put_system_in(n, t, &w, false, id)) == 0)
		*written = true;
out:
	sp_aggregate_free(a);
	return r;
}

int
sp_node_aggregate_update(sp_node *n, const char *key, sp_aggregate_left_out_cb *left_out,
    void *arg, sp_written *out)
{
	uint8_t id[SP_ID_BYTES];
	bool written;
	sp_buf body;
	sp_txn *t;
	int r;

	out->n = 0;
	out->more = false;
	if ((r = sp_txn_begin(n->store, true, &t)) != 0)
		return r;
	sp_buf_init(&body);
	r = update_in(n, t, key, left_out, arg, &body, id, &written);
	sp_buf_free(&body);
	if (r != 0 || !written) {
		sp_txn_abort(t);
		return r;
	}
	if ((r = sp_txn_commit(t)) == 0) {
		memcpy(out->ids[0], id, SP_ID_BYTES);
		out->n = 1;
	}
	return r;
}

/* Verification. */

typedef struct verify {
	sp_node *n;
	sp_txn *t;
	void (*problem)(void *arg, const char *text);
	void *arg;
	sp_verify_counts *counts;
	char where[SP_KEY_MAX + sizeof(community_text) + SP_ID_STR_LEN + 64];
	sp_aggregate_builder *b;
} verify;

/* A problem with the aggregate being verified: "WHERE: TEXT". */
static void __attribute__((format(printf, 2, 3)))
say(verify *v, const char *fmt, ...)
{
	char text[1024], line[sizeof(text) + sizeof(v->where) + 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s: %s", v->where, text);
	v->counts->problems++;
	v->problem(v->arg, line);
}

/* How a community is named: its alias here, or its id. */
static void
community_name(sp_txn *t, const uint8_t id[SP_PUBKEY_BYTES], community_text out)
{
	sp_community_info info;

	if (sp_store_community_get(t, id, &info) == 0)
		snprintf(out, sizeof(community_text), "%s", info.alias);
	else
		sp_base32_encode(out, id, SP_PUBKEY_BYTES);
}

/*
 * "summary NAME/PERIOD of community ALIAS (record ID)": what a record is,
 * for the problems found in it.
 */
static void
record_name(verify *v, const char *what, const sp_record *rec, const uint8_t id[SP_ID_BYTES],
    char *out, size_t size)
{
	char b32[SP_ID_STR_LEN + 1];
	community_text community;

	community_name(v->t, rec->community, community);
	sp_base32_encode(b32, id, SP_ID_BYTES);
	snprintf(out, size, "%s %s of community %s (record %s)", what, rec->key, community, b32);
}

/* Verifies the signature of a stored record; false (said) when it does not. */
static bool
signed_ok(verify *v, const sp_stored *st, const sp_record *rec, const char *what)
{
	v->counts->signatures++;
	if (sp_record_verify(st->data, st->len, rec) == 0)
		return true;
	say(v, "%s: its signature does not verify (the stored record was altered)", what);
	return false;
}

/*
 * The current charter of community c, its signature (by the community's
 * key) verified; *out NULL when there is none or it does not check out
 * (said, for what).
 */
static int
charter_of(verify *v, const uint8_t c[SP_PUBKEY_BYTES], const char *what, sp_charter **out)
{
	char name[1024];
	sp_stored st;
	sp_record rec;
	int r;

	*out = NULL;
	r = sp_node_charter_record(v->t, c, &st);
	if (r == SP_ENOCHARTER) {
		say(v, "%s: no charter of its community is held here", what);
		return 0;
	}
	if (r != 0)
		return r;
	if (sp_record_decode(st.data, st.len, &rec) != 0)
		return SP_ECORRUPT;
	record_name(v, "the charter", &rec, st.id, name, sizeof(name));
	if (!signed_ok(v, &st, &rec, name))
		return 0;
	if (memcmp(rec.author, rec.community, SP_PUBKEY_BYTES) != 0) {
		say(v, "%s: not signed by the community's key", name);
		return 0;
	}
	if (sp_charter_decode(rec.body, rec.body_len, out) != 0)
		say(v, "%s: its body is not a charter", name);
	return 0;
}

/*
 * A summary input (id) of aggregate agg: in the collection of the hub
 * that wrote it, on a consent that holds; added to v->b.
 */
static int
verify_summary(verify *v, const sp_record *agg, const sp_record *rec,
    const uint8_t id[SP_ID_BYTES], const char *name)
{
	char collection[SP_COLLECTION_MAX + 1], consent_name[1024];
	sp_charter *charter = NULL;
	sp_summary *s = NULL;
	sp_stored cst;
	sp_record crec;
	int r;

	v->counts->summaries++;
	summary_collection(agg->author, collection);
	if (!in_collection(rec, collection))
		say(v, "%s: consented to another hub than the one that wrote the aggregate", name);
	if (sp_summary_decode(rec->body, rec->body_len, &s) != 0) {
		say(v, "%s: its body is not a summary", name);
		return 0;
	}
	if ((r = charter_of(v, rec->community, name, &charter)) != 0)
		goto out;
	v->counts->consents++;
	r = sp_node_consent_check(v->t, rec, sp_summary_consent(s), agg->author, charter,
	    v->n->now_ms(), &cst);
	if (r == SP_ENOCONSENT || r == SP_ECONSENT_EXPIRED || r == SP_ECONSENT_ADMIN) {
		say(v, "%s: %s", name, sp_strerror(r));
	} else if (r == 0) {
		if (sp_record_decode(cst.data, cst.len, &crec) != 0) {
			r = SP_ECORRUPT;
			goto out;
		}
		record_name(v, "the consent", &crec, cst.id, consent_name, sizeof(consent_name));
		(void)signed_ok(v, &cst, &crec, consent_name);
	} else {
		goto out;
	}
	r = sp_aggregate_add_summary(v->b, id, s);
	s = NULL;
out:
	sp_charter_free(charter);
	sp_summary_free(s);
	return r;
}

/* Input id of aggregate agg: held, current, signed, of its key; added to v->b. */
static int
verify_input(verify *v, const sp_record *agg, const uint8_t id[SP_ID_BYTES])
{
	char name[1024], b32[SP_ID_STR_LEN + 1];
	const sp_syscoll *sc;
	sp_aggregate *a;
	sp_stored st;
	sp_record rec;
	uint8_t hub[SP_PUBKEY_BYTES];
	int r;

	if ((r = sp_store_get_by_id(v->t, id, &st)) == SP_ENOTFOUND) {
		sp_base32_encode(b32, id, SP_ID_BYTES);
		say(v, "input %s is not held here as the current version of its key", b32);
		return 0;
	}
	if (r != 0)
		return r;
	if (sp_record_decode(st.data, st.len, &rec) != 0)
		return SP_ECORRUPT;
	sc = sp_syscoll_find_hub(rec.collection, rec.collection_len, hub);
	record_name(v, sc == sp_syscoll_row(SP_AGGREGATE_COLLECTION) ? "aggregate" :
	    sc == sp_syscoll_row(SP_SUMMARY_COLLECTION) ? "summary" : "record", &rec, id, name,
	    sizeof(name));
	(void)signed_ok(v, &st, &rec, name);
	if (strcmp(rec.key, agg->key) != 0) {
		say(v, "%s: not of the aggregate's NAME/PERIOD", name);
		return 0;
	}
	if (rec.flags & SP_FLAG_TOMBSTONE) {
		say(v, "%s: deleted (withdrawn)", name);
		return 0;
	}
	if (sc == sp_syscoll_row(SP_SUMMARY_COLLECTION))
		return verify_summary(v, agg, &rec, id, name);
	if (sc != sp_syscoll_row(SP_AGGREGATE_COLLECTION)) {
		say(v, "%s: neither a summary nor an aggregate", name);
		return 0;
	}
	v->counts->lower++;
	if (sp_aggregate_decode(rec.body, rec.body_len, &a) != 0) {
		say(v, "%s: its body is not an aggregate", name);
		return 0;
	}
	return sp_aggregate_add_aggregate(v->b, id, a);
}

static void
verify_left_out(const uint8_t *id, const char *why, void *arg)
{
	char b32[SP_ID_STR_LEN + 1];

	sp_base32_encode(b32, id, SP_ID_BYTES);
	say(arg, "input %s would be left out: %s", b32, why);
}

/* A fig as a person reads it: "7", or "7 and 2 hidden: 9-15" (15 "?" when unbounded). */
static void
fig_text(const sp_fig *f, char *out, size_t size)
{
	char hi[24];

	if (f->suppressed == 0) {
		snprintf(out, size, "%llu", (unsigned long long)f->published);
		return;
	}
	if (f->unbounded)
		snprintf(hi, sizeof(hi), "?");
	else
		snprintf(hi, sizeof(hi), "%llu", (unsigned long long)f->hi);
	snprintf(out, size, "%llu and %llu hidden: %llu-%s", (unsigned long long)f->published,
	    (unsigned long long)f->suppressed, (unsigned long long)f->lo, hi);
}

/* Says where held and recomputed differ first, if in a fig. */
static bool
fig_differs(verify *v, const char *place, const sp_fig *held, const sp_fig *computed)
{
	char a[96], b[96];

	if (memcmp(held, computed, sizeof(*held)) == 0)
		return false;
	fig_text(held, a, sizeof(a));
	fig_text(computed, b, sizeof(b));
	say(v, "%s: it says %s, its inputs give %s", place, a, b);
	return true;
}

/* The first difference between the aggregate held and the one its inputs give. */
static void
say_difference(verify *v, const sp_aggregate *held, const sp_aggregate *computed)
{
	size_t r, c, rows = sp_aggregate_rows(held), cols = sp_aggregate_cols(held);
	char place[2 * SP_DEF_VALUE_MAX + 64];
	bool same = rows == sp_aggregate_rows(computed) && cols == sp_aggregate_cols(computed);

	for (r = 0; same && r < rows; r++)
		same = strcmp(sp_aggregate_row(held, r), sp_aggregate_row(computed, r)) == 0;
	for (c = 0; same && c < cols; c++)
		same = strcmp(sp_aggregate_col(held, c), sp_aggregate_col(computed, c)) == 0;
	if (!same) {
		say(v, "its rows or columns are not those its inputs give");
		return;
	}
	for (r = 0; r < rows; r++) {
		for (c = 0; c < (cols > 0 ? cols : 1); c++) {
			snprintf(place, sizeof(place), "row %s%s%s", sp_aggregate_row(held, r),
			    cols > 0 ? ", column " : "", cols > 0 ? sp_aggregate_col(held, c) : "");
			if (fig_differs(v, place, sp_aggregate_cell(held, r, c),
			    sp_aggregate_cell(computed, r, c)))
				return;
		}
		snprintf(place, sizeof(place), "total of row %s", sp_aggregate_row(held, r));
		if (cols > 0 && fig_differs(v, place, sp_aggregate_row_total(held, r),
		    sp_aggregate_row_total(computed, r)))
			return;
	}
	for (c = 0; c < cols; c++) {
		snprintf(place, sizeof(place), "total of column %s", sp_aggregate_col(held, c));
		if (fig_differs(v, place, sp_aggregate_col_total(held, c),
		    sp_aggregate_col_total(computed, c)))
			return;
	}
	if (!fig_differs(v, "the total", sp_aggregate_total(held), sp_aggregate_total(computed)))
		say(v, "its inputs or hubs are not those its inputs give");
}

/* One aggregate held here, as the problems found in it are named. */
static void
aggregate_where(verify *v, const sp_record *rec)
{
	char writer[SP_ID_STR_LEN + 1];
	community_text community;

	community_name(v->t, rec->community, community);
	sp_base32_encode(writer, rec->author, SP_PUBKEY_BYTES);
	snprintf(v->where, sizeof(v->where), "aggregate %s of hub %s (community %s)", rec->key,
	    memcmp(rec->author, v->n->pk, SP_PUBKEY_BYTES) == 0 ? "this node" : writer, community);
}

/* Recomputes aggregate a (record rec) from its inputs and compares. */
static int
verify_figures(verify *v, const sp_record *rec, const sp_aggregate *a)
{
	sp_aggregate *computed = NULL;
	sp_buf body;
	size_t i;
	int r;

	if ((r = sp_aggregate_start(sp_aggregate_name(a), sp_aggregate_period(a), rec->author,
	    &v->b)) != 0)
		return r;
	for (i = 0; i < sp_aggregate_ninputs(a); i++)
		if ((r = verify_input(v, rec, sp_aggregate_input(a, i))) != 0)
			goto out;
	if ((r = sp_aggregate_finish(v->b, verify_left_out, v, &computed)) != 0)
		goto out;
	sp_buf_init(&body);
	r = sp_aggregate_encode(computed, &body);
	if (r == 0 && (body.len != rec->body_len || memcmp(body.data, rec->body, body.len) != 0))
		say_difference(v, a, computed);
	else if (r == SP_ETOOBIG)
		say(v, "its inputs give an aggregate too large for a record");
	sp_buf_free(&body);
	if (r == SP_ETOOBIG)
		r = 0;
out:
	sp_aggregate_free(computed);
	sp_aggregate_builder_free(v->b);
	v->b = NULL;
	return r;
}

static int
verify_aggregate(void *arg, const sp_stored *st)
{
	verify *v = arg;
	sp_charter *charter = NULL;
	sp_aggregate *a = NULL;
	sp_record rec;
	int r;

	if (sp_record_decode(st->data, st->len, &rec) != 0)
		return SP_ECORRUPT;
	aggregate_where(v, &rec);
	v->counts->aggregates++;
	(void)signed_ok(v, st, &rec, "the aggregate");
	if ((r = charter_of(v, rec.community, "the aggregate", &charter)) != 0)
		return r;
	if (charter != NULL && !sp_charter_is_writer(charter, rec.author))
		say(v, "its writer is not a writer in its community's charter");
	sp_charter_free(charter);
	if (sp_aggregate_decode(rec.body, rec.body_len, &a) != 0) {
		say(v, "its body is not an aggregate");
		return 0;
	}
	r = verify_figures(v, &rec, a);
	sp_aggregate_free(a);
	return r;
}

int
sp_node_verify(sp_node *n, void (*problem)(void *arg, const char *text), void *arg,
    sp_verify_counts *counts)
{
	uint8_t (*all)[SP_PUBKEY_BYTES] = NULL;
	size_t i, count = 0;
	verify v;
	int r;

	memset(counts, 0, sizeof(*counts));
	memset(&v, 0, sizeof(v));
	v.n = n;
	v.problem = problem;
	v.arg = arg;
	v.counts = counts;
	if ((r = sp_txn_begin(n->store, false, &v.t)) != 0)
		return r;
	if ((r = sp_node_community_ids_in(v.t, &all, &count)) == 0)
		for (i = 0; r == 0 && i < count; i++)
			r = sp_store_each(v.t, all[i], SP_AGGREGATE_COLLECTION,
			    strlen(SP_AGGREGATE_COLLECTION), NULL, 0, verify_aggregate, &v);
	sp_txn_abort(v.t);
	free(all);
	return r;
}
