/*
 * node_receive.c - records received from peers: each checked against the
 * charter held here (or, for a system collection, against its row in the
 * syscoll table), then stored in one durable transaction.
 */
#include "node.h"

#include <stdlib.h>
#include <string.h>

#include "charter.h"
#include "definition.h"
#include "heartbeat.h"
#include "node_int.h"
#include "sp_err.h"
#include "summary.h"
#include "syscoll.h"

/* The charters a received batch needs, decoded once each. */
typedef struct charter_cache {
	uint8_t community[SP_PUBKEY_BYTES];
	sp_charter *c;            /* NULL: none here yet */
	uint64_t timestamp;       /* of its record */
} charter_cache;
#define CHARTER_CACHE 16

/* The community's charter through the cache: *out is the entry (its c NULL when none here). */
static int
cached_charter(sp_txn *t, charter_cache *cache, size_t *n,
    const uint8_t community[SP_PUBKEY_BYTES], const charter_cache **out)
{
	charter_cache *e;
	size_t i;
	int r;

	for (i = 0; i < *n; i++) {
		if (memcmp(cache[i].community, community, SP_PUBKEY_BYTES) == 0) {
			*out = &cache[i];
			return 0;
		}
	}
	if (*n == CHARTER_CACHE)
		sp_charter_free(cache[--*n].c);
	e = &cache[*n];
	e->timestamp = 0;
	r = sp_node_charter_at(t, community, &e->c, &e->timestamp);
	if (r != 0 && r != SP_ENOCHARTER)
		return r;
	memcpy(e->community, community, SP_PUBKEY_BYTES);
	(*n)++;
	*out = e;
	return 0;
}

static void
forget_charter(charter_cache *cache, size_t *n, const uint8_t community[SP_PUBKEY_BYTES])
{
	size_t i;

	for (i = 0; i < *n; i++) {
		if (memcmp(cache[i].community, community, SP_PUBKEY_BYTES) == 0) {
			sp_charter_free(cache[i].c);
			cache[i] = cache[--*n];
			return;
		}
	}
}

/* The charter cache and the transaction a batch's checks read. */
typedef struct checker {
	sp_txn *t;
	charter_cache cache[CHARTER_CACHE];
	size_t ncache;
} checker;

/*
 * Whether the author may write: a writer (an admin, when admin) in the
 * charter held here. An author it does not name, on a record newer than
 * that charter, may have been added by a charter still on its way:
 * SP_EAUTHOR_UNKNOWN, so that the record can wait for it rather than
 * count against the peer that relayed it. A deletion by a writer who is
 * not an admin must delete its own record (or a tombstone).
 */
static int
check_author(checker *k, const sp_record *rec, bool admin)
{
	const charter_cache *ch;
	sp_stored st;
	sp_record cur;
	int r;

	if ((r = cached_charter(k->t, k->cache, &k->ncache, rec->community, &ch)) != 0)
		return r;
	if (ch->c == NULL)
		return SP_ENOCHARTER;
	if (!sp_charter_is_writer(ch->c, rec->author))
		return rec->timestamp > ch->timestamp ? SP_EAUTHOR_UNKNOWN : SP_ENOTWRITER;
	if (sp_charter_is_admin(ch->c, rec->author))
		return 0;
	if (admin)
		return rec->timestamp > ch->timestamp ? SP_EAUTHOR_UNKNOWN : SP_ENOTADMIN;
	if (!(rec->flags & SP_FLAG_TOMBSTONE))
		return 0;
	r = sp_store_get(k->t, rec->community, rec->collection, rec->collection_len,
	    rec->key, rec->key_len, &st);
	if (r == SP_ENOTFOUND)
		return 0;
	if (r != 0)
		return r;
	if (sp_record_decode(st.data, st.len, &cur) != 0)
		return SP_ECORRUPT;
	/* A tombstone may follow another by anyone entitled to the first. */
	if ((cur.flags & SP_FLAG_TOMBSTONE) || memcmp(cur.author, rec->author, SP_PUBKEY_BYTES) == 0)
		return 0;
	return SP_ENOTADMIN;
}

/*
 * A record of a system collection (syscoll.h): its shape, and who wrote it
 * by the row's rule. A charter of an unknown community, from a hub below
 * allowed to teach one, makes this hub learn the community.
 */
static int
check_system(checker *k, const sp_syscoll *sc, sp_incoming *in)
{
	const sp_record *rec = &in->rec;
	sp_community_info info;
	int r;

	if ((r = sp_syscoll_check(sc, rec)) != 0)
		return r;
	switch (sc->writer) {
	case SP_SYS_COMMUNITY_KEY:
		if (memcmp(rec->author, rec->community, SP_PUBKEY_BYTES) != 0)
			return sc->shape_error;
		r = sp_store_community_get(k->t, rec->community, &info);
		if (r == SP_ENOTFOUND && in->may_learn)
			r = sp_node_learn_in(k->t, rec->community, &in->learnt);
		return r;
	case SP_SYS_ADMIN:
		return check_author(k, rec, true);
	default:
		return check_author(k, rec, false);
	}
}

/* Hubs a community may have consented to that a hub looks through for itself. */
#define MAX_CONSENTED_HUBS 256

/*
 * A heartbeat at a hub: its community must have consented to this hub (a
 * consent held here that counts: live, unexpired, by an admin), or, from
 * a hub below, to some hub.
 */
static int
check_heartbeat_at_hub(checker *k, sp_node *n, const sp_incoming *in)
{
	const sp_record *rec = &in->rec;
	uint8_t (*hubs)[SP_PUBKEY_BYTES];
	size_t count, i;
	int r;

	if ((hubs = malloc(MAX_CONSENTED_HUBS * SP_PUBKEY_BYTES)) == NULL)
		return SP_ENOMEM;
	r = sp_node_consented_hubs(k->t, rec->community, n->now_ms(), hubs, MAX_CONSENTED_HUBS,
	    &count);
	if (r == 0) {
		r = SP_ENOCONSENT;
		for (i = 0; i < count; i++)
			if (in->from_below || memcmp(hubs[i], n->pk, SP_PUBKEY_BYTES) == 0)
				r = 0;
	}
	free(hubs);
	return r == SP_ETOOBIG ? SP_ENOCONSENT : r;
}

int
sp_node_consent_check(sp_txn *t, const sp_record *rec, const uint8_t consent[SP_ID_BYTES],
    const uint8_t hub[SP_PUBKEY_BYTES], const sp_charter *charter, uint64_t now_ms,
    sp_stored *consent_out)
{
	char consents[SP_COLLECTION_MAX + 1];
	sp_record crec;
	sp_consent c;
	sp_stored st;
	size_t n;
	int r;

	r = sp_store_get_by_id(t, consent, &st);
	if (r == SP_ENOTFOUND)
		return SP_ENOCONSENT;
	if (r != 0)
		return r;
	if (sp_record_decode(st.data, st.len, &crec) != 0)
		return SP_ECORRUPT;
	sp_syscoll_hub_collection(sp_syscoll_row(SP_CONSENT_COLLECTION), hub, consents);
	/* The consent of this summary: same community, this hub, this name, not withdrawn. */
	if (memcmp(crec.community, rec->community, SP_PUBKEY_BYTES) != 0 ||
	    strlen(consents) != crec.collection_len ||
	    memcmp(crec.collection, consents, crec.collection_len) != 0 ||
	    (crec.flags & SP_FLAG_TOMBSTONE) ||
	    sp_consent_decode(crec.body, crec.body_len, &c) != 0)
		return SP_ENOCONSENT;
	n = strlen(c.name);
	if (rec->key_len <= n || memcmp(rec->key, c.name, n) != 0 || rec->key[n] != '/')
		return SP_ENOCONSENT;
	if (c.until_ms != 0 && c.until_ms <= now_ms)
		return SP_ECONSENT_EXPIRED;
	if (charter == NULL || !sp_charter_is_admin(charter, crec.author))
		return SP_ECONSENT_ADMIN;
	if (consent_out != NULL)
		*consent_out = st;
	return 0;
}

int
sp_node_summary_consented(sp_node *n, sp_txn *t, const sp_record *rec, const sp_charter *charter)
{
	uint8_t hub[SP_PUBKEY_BYTES];
	sp_summary *s = NULL;
	int r;

	if (sp_syscoll_find_hub(rec->collection, rec->collection_len, hub) !=
	    sp_syscoll_row(SP_SUMMARY_COLLECTION))
		return SP_EINVAL;
	if ((r = sp_summary_decode(rec->body, rec->body_len, &s)) != 0)
		return r;
	r = sp_node_consent_check(t, rec, sp_summary_consent(s), hub, charter, n->now_ms(), NULL);
	sp_summary_free(s);
	return r;
}

/*
 * At a hub, what names a hub must name this one (or, from a hub below,
 * any hub: docs/HUBS.md): a consent's collection, and a summary's, whose
 * consent must also hold (sp_node_summary_consented). A heartbeat needs such
 * a consent too.
 */
static int
check_at_hub(checker *k, sp_node *n, const sp_syscoll *sc, const sp_incoming *in)
{
	const sp_record *rec = &in->rec;
	const charter_cache *ch;
	uint8_t hub[SP_PUBKEY_BYTES];
	int r;

	if (sc == sp_syscoll_row(SP_HEARTBEAT_COLLECTION))
		return check_heartbeat_at_hub(k, n, in);
	if (!sc->per_hub || sp_syscoll_find_hub(rec->collection, rec->collection_len, hub) != sc)
		return 0;
	if (memcmp(hub, n->pk, SP_PUBKEY_BYTES) != 0 && !in->from_below)
		return SP_ECONSENT_HUB;
	if (sc != sp_syscoll_row(SP_SUMMARY_COLLECTION) || (rec->flags & SP_FLAG_TOMBSTONE))
		return 0;
	if ((r = cached_charter(k->t, k->cache, &k->ncache, rec->community, &ch)) != 0)
		return r;
	return sp_node_summary_consented(n, k->t, rec, ch->c);
}

/* Any other record: by a writer; a deletion by the deleted version's author or an admin. */
static int
check_received(checker *k, const sp_record *rec)
{
	if (rec->collection[0] == '.' || rec->collection[0] == '_')
		return SP_ERESERVED;
	return check_author(k, rec, false);
}

int
sp_node_receive(sp_node *n, sp_incoming *v, size_t count, bool *charters)
{
	enum sp_apply_result res;
	bool erased = false;
	sp_txn *t = NULL;
	checker k;
	size_t i;
	int r;

	*charters = false;
	k.ncache = 0;
	if ((r = sp_txn_begin(n->store, true, &t)) != 0)
		return r;
	k.t = t;
	for (i = 0; i < count; i++) {
		sp_incoming *in = &v[i];
		const sp_syscoll *sc = sp_syscoll_find(in->rec.collection, in->rec.collection_len);

		if (n->hub && (sc == NULL || !sc->at_hubs))
			in->result = SP_EHUBONLY;
		else if (sc == NULL)
			in->result = check_received(&k, &in->rec);
		else if ((in->result = check_system(&k, sc, in)) == 0 && n->hub)
			in->result = check_at_hub(&k, n, sc, in);
		if (in->result == SP_ECORRUPT || in->result == SP_ESTORE) {
			r = in->result;
			goto out;
		}
		if (in->result != 0)
			continue;
		if ((r = sp_store_apply(t, in->data, in->len, &in->rec, in->id, NULL, &res)) != 0)
			goto out;
		if (res == SP_APPLY_STALE) {
			in->result = SP_ESTALE;
			continue;
		}
		sp_node_hlc_observe(n, in->rec.timestamp);
		if (in->rec.flags & SP_FLAG_ERASED)
			erased = true;
		if (sc == sp_syscoll_charter()) {
			forget_charter(k.cache, &k.ncache, in->rec.community);
			*charters = true;
		}
	}
	if ((r = sp_node_persist_hlc(n, t)) != 0)
		goto out;
	r = sp_txn_commit(t);
	t = NULL;
	/* The erased content must leave the files now, as it did on the author's node. */
	if (r == 0 && erased)
		r = sp_store_scrub(n->store);
out:
	if (t != NULL)
		sp_txn_abort(t);
	for (i = 0; i < k.ncache; i++)
		sp_charter_free(k.cache[i].c);
	return r;
}
