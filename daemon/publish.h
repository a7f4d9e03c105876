/*
 * publish.h - a community node publishes its consented summaries
 * (docs/HUBS.md): once at start, then each community again a second after
 * its records change (a burst of changes, one recomputation), and every
 * community every hour, so that a new period gets its summary while the
 * last version of the one before stays. The work runs on the write queue;
 * what it writes goes to the sessions like any local write.
 *
 * On the loop thread.
 */
#ifndef SP_PUBLISH_H
#define SP_PUBLISH_H

#include <uv.h>

#include "node.h"
#include "sync.h"
#include "work.h"

typedef struct sp_publisher sp_publisher;

/*
 * Starts publishing on loop; it observes ss's stored records. *out is
 * closed with sp_publisher_close and freed with sp_publisher_free once
 * the loop has run after that.
 */
int sp_publisher_start(uv_loop_t *loop, sp_node *node, sp_work *work, sp_sessions *ss,
    sp_publisher **out);
/* Stops the timers and the observing (their handles close as the loop runs). */
void sp_publisher_close(sp_publisher *p);
void sp_publisher_free(sp_publisher *p);

#endif
