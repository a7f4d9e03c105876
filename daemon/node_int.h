/*
 * node_int.h - what the node's files share (node.c: identity, clock and
 * local writes; node_community.c: communities, charters and community
 * keys; node_receive.c: records received from peers; node_summary.c:
 * summary definitions and consents). Not a public API:
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

/* node_community.c */

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
