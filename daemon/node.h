/*
 * node.h - a community node's rules, independent of the event loop: its
 * identity, its communities and their charters, and every local write
 * (put, rm, erase, import batches), each checked against the charter and
 * committed durably before it is acknowledged.
 *
 * Threads: the read functions may run on any thread. Write functions
 * (everything that commits) must be called by one thread at a time; the
 * daemon runs them on its serial write queue. sp_node_sign_rows may run on
 * several threads at once.
 */
#ifndef SP_NODE_H
#define SP_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aggregate.h"
#include "buf.h"
#include "charter.h"
#include "definition.h"
#include "record.h"
#include "store.h"
#include "summary.h"
#include "tally.h"

typedef struct sp_node sp_node;

/*
 * Opens the node in data directory dir: reads node.key (SP_ENOINIT when
 * missing), opens the store under dir/store with store_opt (NULL: the
 * defaults; through it the caller hears what the store's recovery did).
 * *out owned by the caller (sp_node_close). now_ms is the wall clock
 * function (injected for tests).
 */
int sp_node_open(const char *dir, uint64_t (*now_ms)(void),
    const sp_store_options *store_opt, sp_node **out);
void sp_node_close(sp_node *n);

const uint8_t *sp_node_id(const sp_node *n);
/* This node's static Noise key: its Ed25519 key converted to X25519. */
int sp_node_noise_key(const sp_node *n, uint8_t x_sk[32]);
sp_store *sp_node_store(sp_node *n);
const char *sp_node_dir(const sp_node *n);

/*
 * A hub (simpuld --hub) stores from its peers only the system records
 * whose row says hubs keep them (syscoll.h); anything else it receives is
 * refused with SP_EHUBONLY. Set once, before any record is received.
 */
void sp_node_set_hub(sp_node *n, bool hub);
/*
 * Whether node is a hub directly below this one: a peer whose stored
 * policy takes every community from it (docs/HUBS.md, "The hierarchy of
 * hubs"). A policy that does not decode names no hub below.
 */
int sp_node_hub_below(sp_txn *t, const uint8_t node[SP_PUBKEY_BYTES], bool *yes);
bool sp_node_is_hub(const sp_node *n);

/* The wall clock in milliseconds (the injected one). */
uint64_t sp_node_now_ms(const sp_node *n);

/* Resolves an alias or a base32 id to a known community. SP_ENOTFOUND otherwise. */
int sp_node_community_find(sp_node *n, const char *name, sp_community_info *out);
/*
 * The ids of every community known here, in alias order: *out (count
 * ids, NULL when there are none) owned by the caller (free).
 */
int sp_node_community_ids(sp_node *n, uint8_t (**out)[SP_PUBKEY_BYTES], size_t *count);

/*
 * Communities. create: new community key (communities/ID.key, 0600), the
 * alias, and a charter naming this node admin and writer. join: a known
 * id under a local alias, charter to come by replication. set_writer /
 * remove_writer: a new charter version, signed with the community key
 * (SP_ENOCOMMUNITYKEY when this node does not hold it).
 */
int sp_node_community_create(sp_node *n, const char *alias, sp_community_info *out);
int sp_node_community_join(sp_node *n, const uint8_t id[SP_PUBKEY_BYTES], const char *alias);
/*
 * A hub learns the communities that consent to it (docs/HUBS.md): each of
 * ids[0..count) not known here is added as join adds it, under the alias
 * of its first 12 base32 characters (all but the last if another
 * community has that alias). One transaction: *added is how many were
 * new, 0 on failure (a store error; nothing is added then).
 */
int sp_node_community_learn(sp_node *n, const uint8_t (*ids)[SP_PUBKEY_BYTES], size_t count,
    size_t *added);
int sp_node_set_writer(sp_node *n, const char *community, const uint8_t node[SP_PUBKEY_BYTES], bool admin);
int sp_node_remove_writer(sp_node *n, const char *community, const uint8_t node[SP_PUBKEY_BYTES]);
/*
 * A hub's own community (docs/HUBS.md), where it writes its aggregates:
 * hub_start makes one when the node holds none yet, as community create
 * would, under the alias "hub" (or "hub-" and the start of the node's id
 * when "hub" is taken), this node its admin and writer, and remembers it
 * in the store (*created says whether it is new). hub_community gives
 * it: SP_ENOTFOUND on a node that has none.
 */
int sp_node_hub_start(sp_node *n, sp_community_info *out, bool *created);
int sp_node_hub_community(sp_node *n, sp_community_info *out);
/* Whether this node holds the community's secret key. */
bool sp_node_has_community_key(sp_node *n, const uint8_t id[SP_PUBKEY_BYTES]);
/*
 * The current charter of a community in a read or write transaction;
 * *out owned by the caller (sp_charter_free). SP_ENOCHARTER if none yet.
 */
int sp_node_charter(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES], sp_charter **out);
/*
 * The community's charter record as stored (st's bytes valid while t is):
 * SP_ENOCHARTER when there is none here.
 */
int sp_node_charter_record(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES], sp_stored *out);

/* Key export/import (the key file format is in crypto.h). out owned by the caller. */
int sp_node_export_key(sp_node *n, const char *community, const char *pass, size_t pass_len, sp_buf *out);
/* Imports a community key; an unknown community is added under alias (required then). */
int sp_node_import_key(sp_node *n, const uint8_t *file, size_t len, const char *pass,
    size_t pass_len, const char *alias, sp_community_info *out);

/* What a local write asks for. */
typedef struct sp_write {
	uint8_t community[SP_PUBKEY_BYTES];
	const char *collection;
	size_t collection_len;
	const char *key;
	size_t key_len;
	const uint8_t *body;     /* canonical body; ignored for rm/erase */
	size_t body_len;
	enum sp_label label;
	bool label_given;        /* false: keep the current label, or the default */
} sp_write;

/*
 * put: signs a new version and commits it durably. Refuses reserved
 * collections, authors not in the charter, and narrowing a live key's
 * label. Writes the record id to id.
 * rm / erase: a tombstone (erase: flagged erased, and the store is
 * scrubbed so that no byte of any version remains in the data files). Only
 * the author of the current version or a community admin may do either.
 * SP_ENOTFOUND when the key has no live version.
 */
int sp_node_put(sp_node *n, const sp_write *w, uint8_t id[SP_ID_BYTES]);
int sp_node_rm(sp_node *n, const sp_write *w, bool erase, uint8_t id[SP_ID_BYTES]);

/*
 * A system record (syscoll.h) written here: w names the community, the
 * collection (a row's; a per-hub row's with its hub) and the key, and
 * for a live version the body; tombstone writes a deletion instead (where
 * the row allows one; SP_ENOTFOUND when the key has no live version). The
 * row sets the label and says who may write: this node must be an admin
 * for an admin's row, a writer for a writer's (whose deletions, as with
 * rm, are the author's or an admin's). The record is checked as a peer
 * checks it before it is signed. SP_ERESERVED when no row holds the
 * collection or the row is the community key's (the charter has its own
 * functions), the row's shape error, SP_ENOTADMIN, SP_ENOTWRITER.
 */
int sp_node_put_system(sp_node *n, const sp_write *w, bool tombstone, uint8_t id[SP_ID_BYTES]);

/*
 * Summaries on a community node (docs/HUBS.md), each in one durable
 * transaction, by an admin of the community. define: the definition body
 * (SP_EDEFINITION unless it decodes) under NAME. rm: deletes the
 * definition and withdraws every consent to it. consent: consents to hub
 * receiving the summaries of the current definition of NAME (SP_ENOTFOUND
 * without a live one), until until_ms (wall clock, 0: no end); again
 * after an edit of the definition, since a consent names one version.
 * withdraw: deletes that consent and every summary published under it
 * (SP_ENOTFOUND when no consent is live). The ids of the records written
 * go to out, for the caller to push to peers; past SP_NODE_MAX_WRITTEN
 * only more is set (too many to push: reconcile instead).
 */
#define SP_NODE_MAX_WRITTEN 64
typedef struct sp_written {
	uint8_t ids[SP_NODE_MAX_WRITTEN][SP_ID_BYTES];
	size_t n;
	bool more;
} sp_written;
int sp_node_summary_define(sp_node *n, const uint8_t community[SP_PUBKEY_BYTES],
    const char *name, const uint8_t *body, size_t len, sp_written *out);
int sp_node_summary_rm(sp_node *n, const uint8_t community[SP_PUBKEY_BYTES], const char *name,
    sp_written *out);
int sp_node_summary_consent(sp_node *n, const uint8_t community[SP_PUBKEY_BYTES],
    const char *name, const uint8_t hub[SP_PUBKEY_BYTES], uint64_t until_ms, sp_written *out);
int sp_node_summary_withdraw(sp_node *n, const uint8_t community[SP_PUBKEY_BYTES],
    const char *name, const uint8_t hub[SP_PUBKEY_BYTES], sp_written *out);

/*
 * Publishes summary NAME of the community for the period holding now_ms
 * (UTC) to each hub whose consent holds and was signed here (live, for
 * the definition's current version, unexpired, by an admin of the current
 * charter; the device that consented publishes, from the records it
 * holds, so that two devices never publish different counts): the
 * counts of the current records of the definition's collection through
 * disclosure control (summary.h), as .summary.HUB NAME/PERIOD, unless the
 * live version there says the same already. By a writer, in one durable
 * transaction; nothing written without a consent that holds. The ids
 * written go to out. SP_ENOTFOUND without a live definition.
 */
int sp_node_summary_publish(sp_node *n, const uint8_t community[SP_PUBKEY_BYTES],
    const char *name, uint64_t now_ms, sp_written *out);

/*
 * What summary NAME counts now and what of it would be published: the
 * tally of the current records (*exact) and the summary after disclosure
 * control (*published, name and period (now_ms) set, no consent). Both
 * owned by the caller (sp_tally_free, sp_summary_free). SP_ENOTFOUND
 * without a live definition. Reads only.
 */
int sp_node_summary_compute(sp_node *n, const uint8_t community[SP_PUBKEY_BYTES],
    const char *name, uint64_t now_ms, sp_tally **exact, sp_summary **published);

/*
 * The live definitions of a community in name order, each with its live
 * consents (current: whether the consent names the definition's current
 * version). A non-zero return from a callback stops the walk and is
 * returned.
 */
typedef struct sp_summary_walk {
	int (*definition)(void *arg, const char *name, const sp_definition *d,
	    const uint8_t id[SP_ID_BYTES]);
	int (*consent)(void *arg, const sp_consent *c, bool current);
	void *arg;
} sp_summary_walk;
int sp_node_summary_each(sp_node *n, const uint8_t community[SP_PUBKEY_BYTES],
    const sp_summary_walk *w);

/*
 * Whether a live summary record rec, in .summary.H, is held under a
 * consent that counts, as a hub checks it (docs/HUBS.md): the consent its
 * body names is held in t as the live record of the same community in
 * .consent.H under the summary's name, not past its until (the node's
 * clock), and signed by an admin of charter (the community's current
 * one; NULL when none is held). 0, SP_ENOCONSENT, SP_ECONSENT_EXPIRED,
 * SP_ECONSENT_ADMIN, SP_ESUMMARY (its body), SP_EINVAL (not a summary's
 * collection), or a storage error.
 */
int sp_node_summary_consented(sp_node *n, sp_txn *t, const sp_record *rec,
    const sp_charter *charter);

/*
 * The hubs a community consented to, as things stand in t at now_ms: each
 * holds a consent (to any of the community's summaries) that is live, not
 * past its until, and signed by an admin of the current charter. Up to
 * max ids into hubs (in no set order), *n how many; none without a
 * charter. SP_ETOOBIG past max (*n is then 0), or a storage error.
 */
int sp_node_consented_hubs(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES], uint64_t now_ms,
    uint8_t (*hubs)[SP_PUBKEY_BYTES], size_t max, size_t *n);

/*
 * A hub's aggregates (docs/HUBS.md, "Aggregate"). keys: the NAME/PERIOD
 * keys that records of communities[0..count) bear on (the keys in their
 * .summary.SELF and .aggregate collections, live or deleted; the hub's
 * own community gives the aggregates it holds), sorted, distinct; *keys
 * owned by the caller (free), SP_ETOOBIG past SP_NODE_MAX_KEYS. Reads only.
 */
#define SP_NODE_MAX_KEYS 65536
int sp_node_aggregate_keys(sp_node *n, const uint8_t (*communities)[SP_PUBKEY_BYTES],
    size_t count, char (**keys)[SP_SUMMARY_KEY_MAX + 1], size_t *nkeys);
/*
 * Recomputes the hub's aggregate of key (NAME/PERIOD) from the inputs
 * held here (sp_aggregate_finish: left_out, if not NULL, hears of each
 * input left out) and writes it in the hub's own community, unless the
 * live version says the same already; in one durable transaction. The id
 * written goes to out. SP_ENOTFOUND on a node without a hub community,
 * SP_EINVAL for a key that is not NAME/PERIOD, SP_ETOOBIG when the
 * aggregate is too large for a record (nothing written).
 */
int sp_node_aggregate_update(sp_node *n, const char *key, sp_aggregate_left_out_cb *left_out,
    void *arg, sp_written *out);

/*
 * Re-checks every aggregate held here, the hub's own and those of hubs
 * below (docs/HUBS.md, "Reports"): the signature of every record behind
 * it from the bytes stored (the aggregate, its inputs, their consents and
 * the charters they are checked against); that each input is held as the
 * current version of its key, of the aggregate's NAME/PERIOD; that each
 * summary is in the collection of the hub that wrote the aggregate and
 * stands on a valid consent (sp_node_consent_check, now); that the writer
 * is a writer of its community; and that the inputs give the aggregate's
 * bytes again. problem(arg, text) hears of each thing that does not
 * check out, text naming the aggregate, the record and what is wrong.
 * Reads only. 0 (whatever was found) or a store error.
 */
typedef struct sp_verify_counts {
	uint64_t aggregates;       /* aggregates checked */
	uint64_t summaries;        /* summary inputs checked */
	uint64_t lower;            /* lower aggregates used as inputs */
	uint64_t consents;         /* consents checked */
	uint64_t signatures;       /* signatures verified */
	uint64_t problems;
} sp_verify_counts;
int sp_node_verify(sp_node *n, void (*problem)(void *arg, const char *text), void *arg,
    sp_verify_counts *counts);

/*
 * Import batches. sign_rows turns rows (a msgpack array of [key str, body
 * map] pairs, already bounded by the control protocol) into signed records
 * appended to out as a batch (batch.h); it checks every key and body.
 * Without spec->label_given, a key that exists keeps its label (as with
 * put) and a new one gets the default. write_batch applies such a batch under the import
 * journal imp in one durable transaction, refusing the whole batch if any
 * record breaks a rule (the import is then rolled back by the caller).
 * detail (size bytes) names the offending row on error.
 */
int sp_node_sign_rows(sp_node *n, const sp_write *spec, const uint8_t *rows, size_t rows_len,
    sp_buf *out, size_t *count, char *detail, size_t size);
int sp_node_write_batch(sp_node *n, const sp_import *imp, const uint8_t *batch, size_t len,
    char *detail, size_t size);

/* A record received from a peer, already decoded and verified (sp_record_open). */
typedef struct sp_incoming {
	const uint8_t *data;
	size_t len;
	sp_record rec;
	uint8_t id[SP_ID_BYTES];
	/*
	 * Set by sp_node_receive: 0 stored, SP_ESTALE (not newer than what is
	 * here), SP_ENOCHARTER (no charter of its community here yet: keep it
	 * and try again when one arrives), SP_EAUTHOR_UNKNOWN (its author is
	 * not a writer in the charter held here, but the record is newer than
	 * that charter: a newer one may make it one), or why it was refused
	 * (SP_ENOTWRITER, SP_ENOTADMIN, SP_ECHARTER, SP_ERESERVED, SP_ENOTFOUND
	 * for an unknown community).
	 */
	int result;
	/*
	 * Set by the caller: sent by a hub below this hub (docs/HUBS.md, "The
	 * hierarchy of hubs"), so that a consent or summary may name another
	 * hub; and, for a charter of a community not known here, whether the
	 * hub may learn the community from it (the caller bounds how many).
	 */
	bool from_below;
	bool may_learn;
	/* Set by sp_node_receive: its community was learnt from this charter. */
	bool learnt;
} sp_incoming;

/*
 * Stores received records in one durable transaction after the charter
 * checks (a charter must be signed by its community's key; anything else
 * by a writer of the current charter; a deletion by the deleted version's
 * author or an admin). Merges their timestamps into the clock. If an
 * erasure landed, scrubs the store. *charters set when a charter changed
 * (records that waited for one may now pass). Returns 0 or a storage
 * error (then nothing of the batch was stored).
 */
int sp_node_receive(sp_node *n, sp_incoming *v, size_t count, bool *charters);

#endif
