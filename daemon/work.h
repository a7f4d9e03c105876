/*
 * work.h - how simpuld keeps slow work off its event loop: tasks on
 * libuv's thread pool, the serial write queue (LMDB takes one write
 * transaction at a time, and durable commits are slow), the collections an
 * import holds while it runs, and work to try again later.
 *
 * Everything here is called on the loop thread, except a task's run(),
 * which runs on a worker thread.
 */
#ifndef SP_WORK_H
#define SP_WORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "record.h"

typedef struct sp_work sp_work;
typedef struct sp_task sp_task;

/*
 * A piece of work. run() executes on a worker thread and must touch only
 * what the task owns and what is safe across threads (the node); done()
 * executes on the loop thread afterwards and may free the task. Embed
 * sp_task first in a struct of one's own.
 */
struct sp_task {
	uv_work_t req;           /* private */
	sp_task *next;           /* private: the write queue */
	sp_work *work;           /* read-only: set when queued */
	void (*run)(sp_task *t);
	void (*done)(sp_task *t);
};

/* Creates the work queues on loop. *out is freed with sp_work_free. */
int sp_work_new(uv_loop_t *loop, sp_work **out);
/*
 * Frees w: only after sp_work_stop and once the loop has finished the
 * tasks queued (uv_run returned). NULL is ignored.
 */
void sp_work_free(sp_work *w);
/*
 * The daemon is stopping: every retry not made yet is called with
 * cancelled = true, and sp_work_retry_later refuses new ones. Tasks
 * already queued still run.
 */
void sp_work_stop(sp_work *w);

/* Runs t on the thread pool now, in parallel with other tasks. */
void sp_work_run(sp_work *w, sp_task *t);
/* Queues t on the serial write queue: one write task runs at a time, in order. */
void sp_work_write(sp_work *w, sp_task *t);

/*
 * Calls cb(arg, false) on the loop thread about SP_RETRY_MS from now, once
 * (cb may ask again). If the daemon stops first, cb(arg, true) is called
 * instead, once, as it stops. On SP_ESHUTDOWN (stopping) or SP_ENOMEM, cb
 * is never called.
 */
#define SP_RETRY_MS 5000
int sp_work_retry_later(sp_work *w, void (*cb)(void *arg, bool cancelled), void *arg);

/*
 * Imports hold (community, collection) while they run: other writes to it
 * get SP_EBUSY, and sessions do not send its records (the import may yet be
 * rolled back). claim returns SP_EBUSY if it is held already,
 * SP_ECOLLECTION if the name is too long, SP_ENOMEM.
 */
int sp_work_claim(sp_work *w, const uint8_t community[SP_PUBKEY_BYTES], const char *collection);
void sp_work_release(sp_work *w, const uint8_t community[SP_PUBKEY_BYTES], const char *collection);
bool sp_work_claimed(const sp_work *w, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection, size_t len);
/* How many collections are held (the imports running). */
unsigned sp_work_claims(const sp_work *w);

#endif
