#include "work.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sp_err.h"

/* A collection held by a running import. */
typedef struct claim {
	struct claim *next;
	uint8_t community[SP_PUBKEY_BYTES];
	char collection[SP_COLLECTION_MAX + 1];
} claim;

/* Something to try again later: a rollback that found the disk full, say. */
typedef struct retry {
	struct retry *next;
	void (*cb)(void *arg, bool cancelled);
	void *arg;
} retry;

struct sp_work {
	uv_loop_t *loop;
	sp_task *wq_head;        /* the serial write queue */
	sp_task *wq_tail;
	sp_task *wq_running;
	claim *claims;
	uv_timer_t retry_timer;
	retry *retries;          /* waiting for retry_timer */
	bool stopping;
};

static void wq_next(sp_work *w);

static void
task_run(uv_work_t *req)
{
	sp_task *t = req->data;

	t->run(t);
}

static void
task_after(uv_work_t *req, int status)
{
	sp_task *t = req->data;
	sp_work *w = t->work;
	bool serial = w->wq_running == t;

	(void)status; /* tasks are never cancelled */
	t->done(t);
	if (serial) {
		w->wq_running = NULL;
		wq_next(w);
	}
}

static void
queue_task(sp_work *w, sp_task *t)
{
	int r;

	t->work = w;
	t->req.data = t;
	/* uv_queue_work fails only on invalid arguments, which would be a bug here. */
	if ((r = uv_queue_work(w->loop, &t->req, task_run, task_after)) != 0) {
		log_error("uv_queue_work: %s", uv_strerror(r));
		abort();
	}
}

static void
wq_next(sp_work *w)
{
	sp_task *t;

	if (w->wq_running != NULL || (t = w->wq_head) == NULL)
		return;
	w->wq_head = t->next;
	if (w->wq_head == NULL)
		w->wq_tail = NULL;
	t->next = NULL;
	w->wq_running = t;
	queue_task(w, t);
}

void
sp_work_write(sp_work *w, sp_task *t)
{
	t->next = NULL;
	if (w->wq_tail != NULL)
		w->wq_tail->next = t;
	else
		w->wq_head = t;
	w->wq_tail = t;
	wq_next(w);
}

void
sp_work_run(sp_work *w, sp_task *t)
{
	queue_task(w, t);
}

int
sp_work_new(uv_loop_t *loop, sp_work **out)
{
	sp_work *w;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return SP_ENOMEM;
	w->loop = loop;
	uv_timer_init(loop, &w->retry_timer);
	w->retry_timer.data = w;
	*out = w;
	return 0;
}

void
sp_work_free(sp_work *w)
{
	claim *c, *next;

	if (w == NULL)
		return;
	for (c = w->claims; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(w);
}

static void
on_retry(uv_timer_t *timer)
{
	sp_work *w = timer->data;
	retry *r = w->retries, *next;

	/* A callback may ask again: that goes on a fresh list and timer. */
	w->retries = NULL;
	for (; r != NULL; r = next) {
		next = r->next;
		r->cb(r->arg, false);
		free(r);
	}
}

int
sp_work_retry_later(sp_work *w, void (*cb)(void *arg, bool cancelled), void *arg)
{
	retry *r;

	if (w->stopping)
		return SP_ESHUTDOWN;
	if ((r = malloc(sizeof(*r))) == NULL)
		return SP_ENOMEM;
	r->cb = cb;
	r->arg = arg;
	r->next = w->retries;
	if (w->retries == NULL)
		uv_timer_start(&w->retry_timer, on_retry, SP_RETRY_MS, 0);
	w->retries = r;
	return 0;
}

void
sp_work_stop(sp_work *w)
{
	retry *r, *next;

	if (w->stopping)
		return;
	w->stopping = true;
	for (r = w->retries, w->retries = NULL; r != NULL; r = next) {
		next = r->next;
		r->cb(r->arg, true);
		free(r);
	}
	uv_close((uv_handle_t *)&w->retry_timer, NULL);
}

static claim **
find_claim(sp_work *w, const uint8_t community[SP_PUBKEY_BYTES], const char *collection,
    size_t len)
{
	claim **p;

	for (p = &w->claims; *p != NULL; p = &(*p)->next) {
		if (memcmp((*p)->community, community, SP_PUBKEY_BYTES) == 0 &&
		    strlen((*p)->collection) == len &&
		    memcmp((*p)->collection, collection, len) == 0)
			return p;
	}
	return p;
}

bool
sp_work_claimed(const sp_work *w, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection, size_t len)
{
	return *find_claim((sp_work *)w, community, collection, len) != NULL;
}

int
sp_work_claim(sp_work *w, const uint8_t community[SP_PUBKEY_BYTES], const char *collection)
{
	size_t len = strlen(collection);
	claim *c;

	if (len > SP_COLLECTION_MAX)
		return SP_ECOLLECTION;
	if (sp_work_claimed(w, community, collection, len))
		return SP_EBUSY;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return SP_ENOMEM;
	memcpy(c->community, community, SP_PUBKEY_BYTES);
	memcpy(c->collection, collection, len + 1);
	c->next = w->claims;
	w->claims = c;
	return 0;
}

void
sp_work_release(sp_work *w, const uint8_t community[SP_PUBKEY_BYTES], const char *collection)
{
	claim **p = find_claim(w, community, collection, strlen(collection));
	claim *c = *p;

	if (c != NULL) {
		*p = c->next;
		free(c);
	}
}

unsigned
sp_work_claims(const sp_work *w)
{
	const claim *c;
	unsigned n = 0;

	for (c = w->claims; c != NULL; c = c->next)
		n++;
	return n;
}
