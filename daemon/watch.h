/*
 * watch.h - work that follows what is stored here (a community node's
 * summaries, a hub's aggregates): a job on the write queue once at start,
 * a second after records of some communities are stored (written or
 * received; a burst of changes is one job), and for every community each
 * period. What a job writes goes to the sessions like any local write.
 *
 * On the loop thread, but for the job's run, which runs on the write
 * queue's thread.
 */
#ifndef SP_WATCH_H
#define SP_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "node.h"
#include "sync.h"
#include "work.h"

typedef struct sp_watch sp_watch;

typedef struct sp_watch_ops {
	/* Whether a record stored in area is a reason to run (NULL: every record is). */
	bool (*wants)(void *arg, const sp_area *area);
	/*
	 * The job, on the write queue's thread, for communities[0..count)
	 * (every community known here at start, each period and after a
	 * change too wide to list). Each id it writes goes to written (past
	 * its room, written->more).
	 */
	void (*run)(void *arg, const uint8_t (*communities)[SP_PUBKEY_BYTES], size_t count,
	    sp_written *written);
	void *arg;
	const char *what;          /* for the log: "summaries", "aggregates" */
	uint64_t period_ms;
} sp_watch_ops;

/* Adds the ids of from to to (past its room, to->more is set instead). */
void sp_written_add(sp_written *to, const sp_written *from);

/*
 * Starts watching ss's stored records on loop (one watcher per sessions:
 * sp_sessions_observe). *out is closed with sp_watch_close and freed with
 * sp_watch_free once the loop has run after that. SP_ENOMEM.
 */
int sp_watch_start(uv_loop_t *loop, sp_node *node, sp_work *work, sp_sessions *ss,
    const sp_watch_ops *ops, sp_watch **out);
/* Stops the timers and the observing (their handles close as the loop runs). w may be NULL. */
void sp_watch_close(sp_watch *w);
void sp_watch_free(sp_watch *w);

#endif
