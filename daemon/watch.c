#include "watch.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sp_err.h"

/* A burst of changes is one job, this long after its first. */
#define DEBOUNCE_MS   1000
/* Communities remembered as changed; past it, the job is for all of them. */
#define MAX_DIRTY     64

struct sp_watch {
	sp_node *node;
	sp_work *work;
	sp_sessions *ss;
	sp_watch_ops ops;
	uv_timer_t debounce, periodic;
	bool closing;
	bool running;              /* a job is on the write queue */
	bool all;                  /* every community changed */
	uint8_t dirty[MAX_DIRTY][SP_PUBKEY_BYTES];
	size_t ndirty;
};

typedef struct watch_job {
	sp_task task;
	sp_watch *w;
	bool all;
	uint8_t (*communities)[SP_PUBKEY_BYTES];  /* all: every community known here */
	size_t ncommunities;
	sp_written written;        /* everything written, for the sessions */
} watch_job;

static void schedule(sp_watch *w);

void
sp_written_add(sp_written *to, const sp_written *from)
{
	size_t i;

	if (from->more)
		to->more = true;
	for (i = 0; i < from->n; i++) {
		if (to->n == SP_NODE_MAX_WRITTEN) {
			to->more = true;
			return;
		}
		memcpy(to->ids[to->n++], from->ids[i], SP_ID_BYTES);
	}
}

static void
watch_run(sp_task *task)
{
	watch_job *j = (watch_job *)task;

	/* Listed first, the job after: it writes, and this is a read. */
	if (j->all && sp_node_community_ids(j->w->node, &j->communities, &j->ncommunities) != 0)
		log_warn("%s: cannot list the communities", j->w->ops.what);
	j->w->ops.run(j->w->ops.arg, (const uint8_t (*)[SP_PUBKEY_BYTES])j->communities,
	    j->ncommunities, &j->written);
}

static void
watch_done(sp_task *task)
{
	watch_job *j = (watch_job *)task;
	sp_watch *w = j->w;
	size_t i;

	w->running = false;
	if (!w->closing) {
		if (j->written.more)
			sp_sessions_resync_all(w->ss);
		else
			for (i = 0; i < j->written.n; i++)
				sp_sessions_stored_id(w->ss, j->written.ids[i]);
	}
	free(j->communities);
	free(j);
	if (!w->closing && (w->all || w->ndirty > 0))
		schedule(w);
}

static void
start_job(sp_watch *w)
{
	watch_job *j;

	if (w->running || w->closing || (!w->all && w->ndirty == 0))
		return;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		goto nomem;
	j->w = w;
	j->all = w->all;
	if (!j->all) {
		if ((j->communities = malloc(w->ndirty * SP_PUBKEY_BYTES)) == NULL) {
			free(j);
			goto nomem;
		}
		memcpy(j->communities, w->dirty, w->ndirty * SP_PUBKEY_BYTES);
		j->ncommunities = w->ndirty;
	}
	w->all = false;
	w->ndirty = 0;
	w->running = true;
	j->task.run = watch_run;
	j->task.done = watch_done;
	sp_work_write(w->work, &j->task);
	return;
nomem:
	log_warn("%s: out of memory; trying again later", w->ops.what);
	schedule(w);
}

static void
on_debounce(uv_timer_t *h)
{
	start_job(h->data);
}

static void
schedule(sp_watch *w)
{
	if (!w->closing && !uv_is_active((uv_handle_t *)&w->debounce))
		uv_timer_start(&w->debounce, on_debounce, DEBOUNCE_MS, 0);
}

static void
on_periodic(uv_timer_t *h)
{
	sp_watch *w = h->data;

	w->all = true;
	schedule(w);
}

/* A record stored here: its community may need the job. */
static void
on_stored(void *arg, const sp_area *area)
{
	sp_watch *w = arg;
	size_t i;

	if (area == NULL) {
		w->all = true;
	} else {
		if (w->ops.wants != NULL && !w->ops.wants(w->ops.arg, area))
			return;
		for (i = 0; i < w->ndirty; i++)
			if (memcmp(w->dirty[i], area->community, SP_PUBKEY_BYTES) == 0)
				break;
		if (i == w->ndirty) {
			if (w->ndirty == MAX_DIRTY)
				w->all = true;
			else
				memcpy(w->dirty[w->ndirty++], area->community, SP_PUBKEY_BYTES);
		}
	}
	schedule(w);
}

int
sp_watch_start(uv_loop_t *loop, sp_node *node, sp_work *work, sp_sessions *ss,
    const sp_watch_ops *ops, sp_watch **out)
{
	sp_watch *w;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return SP_ENOMEM;
	w->node = node;
	w->work = work;
	w->ss = ss;
	w->ops = *ops;
	uv_timer_init(loop, &w->debounce);
	uv_timer_init(loop, &w->periodic);
	w->debounce.data = w->periodic.data = w;
	uv_timer_start(&w->periodic, on_periodic, ops->period_ms, ops->period_ms);
	sp_sessions_observe(ss, on_stored, w);
	w->all = true;
	schedule(w);
	*out = w;
	return 0;
}

void
sp_watch_close(sp_watch *w)
{
	if (w == NULL || w->closing)
		return;
	w->closing = true;
	sp_sessions_observe(w->ss, NULL, NULL);
	uv_close((uv_handle_t *)&w->debounce, NULL);
	uv_close((uv_handle_t *)&w->periodic, NULL);
}

void
sp_watch_free(sp_watch *w)
{
	free(w);
}
