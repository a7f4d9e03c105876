/*
 * aggregator.h - a hub keeps its aggregates up to date (docs/HUBS.md,
 * "Aggregate"): a watch (watch.h) whose job recomputes every NAME/PERIOD
 * that the changed communities' summaries to this hub and aggregates bear
 * on, a second after they changed (a summary or aggregate stored or
 * deleted, a consent withdrawn, a charter changed), and every one at
 * start and every hour (consents expire). What it writes in the hub's own
 * community is no change.
 *
 * On the loop thread.
 */
#ifndef SP_AGGREGATOR_H
#define SP_AGGREGATOR_H

#include <uv.h>

#include "node.h"
#include "sync.h"
#include "work.h"

typedef struct sp_aggregator sp_aggregator;

/*
 * Starts aggregating on loop for a hub whose own community is own; it
 * observes ss's stored records. *out is closed with sp_aggregator_close
 * and freed with sp_aggregator_free once the loop has run after that.
 * SP_ENOMEM.
 */
int sp_aggregator_start(uv_loop_t *loop, sp_node *node, sp_work *work, sp_sessions *ss,
    const uint8_t own[SP_PUBKEY_BYTES], sp_aggregator **out);
/* Stops it (its handles close as the loop runs). a may be NULL. */
void sp_aggregator_close(sp_aggregator *a);
void sp_aggregator_free(sp_aggregator *a);

#endif
