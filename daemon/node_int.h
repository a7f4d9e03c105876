/*
 * node_int.h - what the node's files share (node.c: identity, clock and
 * local writes; node_community.c: communities, charters and community
 * keys; node_receive.c: records received from peers; node_summary.c:
 * summary definitions and consents; node_aggregate.c: a hub's
 * aggregates and their verification). Not a public API:
 * the daemon uses node.h.
 */
#ifndef SP_NODE_INT_H
#define SP_NODE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "charter.h"
#include "datadir.h"
#include "hlc.h"
#include "record.h"
#include "store.h"

typedef struct sp_write sp_write;

/* node.h's type; node.h is not included, so that it does not depend on this file. */
typedef struct sp_node sp_node;

struct sp_node {
	char dir[SP_PATH_MAX];
	uint8_t pk[SP_PUBKEY_BYTES];
	uint8_t sk[SP_SECKEY_BYTES];
	sp_store *store;
	uint64_t (*now_ms)(void);
	pthread_mutex_t hlc_lock;  /* sign_rows runs on several threads */
	sp_hlc hlc;
	bool hub;                  /* stores only what hubs keep */
};

/* node.c */

/* Stores the clock's last timestamp in t, so that it never goes back after a restart. */
int sp_node_persist_hlc(sp_node *n, sp_txn *t);
/* Merges a received timestamp into the clock. */
void sp_node_hlc_observe(sp_node *n, uint64_t timestamp);
/*
 * Signs rec (every field but the timestamp set) as the next version of
 * its key with sk and applies it in t, with a timestamp from the clock.
 * SP_ESTALE when the store holds a newer version. Writes the record id to
 * id unless it is NULL. Shared by every local write.
 */
int sp_node_sign_and_apply(sp_node *n, sp_txn *t, sp_record *rec, const uint8_t *sk,
    uint8_t id[SP_ID_BYTES]);

/* sp_node_put_system in the caller's write transaction t. */
int sp_node_put_system_in(sp_node *n, sp_txn *t, const sp_write *w, bool tombstone,
    uint8_t id[SP_ID_BYTES]);

/* node_receive.c */

/*
 * Whether summary record rec stands on a valid consent to hub (docs/HUBS.md,
 * "Hubs"): consent, the record id its body names, is held here as the
 * live consent of rec's community in .consent.HUB under the summary's
 * name, unexpired at now_ms, and signed by an admin of charter (the
 * community's current one; NULL: none held). 0, SP_ENOCONSENT,
 * SP_ECONSENT_EXPIRED, SP_ECONSENT_ADMIN or a store error. The consent's
 * stored record goes to *consent_out (may be NULL; valid while t is).
 * The one consent check: what a hub stores, aggregates and verifies.
 */
int sp_node_consent_check(sp_txn *t, const sp_record *rec, const uint8_t consent[SP_ID_BYTES],
    const uint8_t hub[SP_PUBKEY_BYTES], const sp_charter *charter, uint64_t now_ms,
    sp_stored *consent_out);

/* node_community.c */

/* sp_node_community_ids in the caller's transaction t. */
int sp_node_community_ids_in(sp_txn *t, uint8_t (**out)[SP_PUBKEY_BYTES], size_t *count);
/* sp_node_hub_community in the caller's transaction t. */
int sp_node_hub_community_in(sp_txn *t, sp_community_info *out);

/*
 * The community's current charter and the timestamp of its record; *out
 * owned by the caller (sp_charter_free). SP_ENOCHARTER if none yet.
 */
/*
 * A hub learns community id in write transaction t (sp_node_community_learn
 * for one): *added when it was not known.
 */
int sp_node_learn_in(sp_txn *t, const uint8_t id[SP_PUBKEY_BYTES], bool *added);
int sp_node_charter_at(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES],
    sp_charter **out, uint64_t *timestamp);

#endif
