/*
 * publish.h - a community node publishes its consented summaries
 * (docs/HUBS.md): a watch (watch.h) whose job publishes every definition
 * of the communities whose records changed (what it publishes itself is
 * no change), and of every community at start and every hour, so that a
 * new period gets its summary while the last version of the one before
 * stays.
 *
 * On the loop thread.
 */
#ifndef SP_PUBLISH_H
#define SP_PUBLISH_H

#include <uv.h>

#include "node.h"
#include "sync.h"
#include "watch.h"
#include "work.h"

/*
 * Starts publishing on loop; it observes ss's stored records. *out is
 * closed with sp_watch_close and freed with sp_watch_free once the loop
 * has run after that.
 */
int sp_publisher_start(uv_loop_t *loop, sp_node *node, sp_work *work, sp_sessions *ss,
    sp_watch **out);

#endif
