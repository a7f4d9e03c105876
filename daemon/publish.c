#include "publish.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sp_err.h"
#include "summary.h"

/* A burst of changes is one recomputation, this long after its first. */
#define DEBOUNCE_MS   1000
/* Every community again, for a new period. */
#define PERIODIC_MS   (3600u * 1000)
/* Communities remembered as changed; past it, all of them are recomputed. */
#define MAX_DIRTY     64
/* Definitions published per community in one job. */
#define MAX_NAMES     64

struct sp_publisher {
	sp_node *node;
	sp_work *work;
	sp_sessions *ss;
	uv_timer_t debounce, periodic;
	bool closing;
	bool running;              /* a job is on the write queue */
	bool all;                  /* every community changed */
	uint8_t dirty[MAX_DIRTY][SP_PUBKEY_BYTES];
	size_t ndirty;
};

typedef struct publish_job {
	sp_task task;
	sp_publisher *p;
	bool all;
	uint8_t (*communities)[SP_PUBKEY_BYTES];  /* all: every community known here */
	size_t ncommunities;
	sp_written written;        /* everything written, for the sessions */
	bool more;
} publish_job;

static void schedule(sp_publisher *p);

static int
collect_name(void *arg, const char *name, const sp_definition *d, const uint8_t id[SP_ID_BYTES])
{
	char (*names)[SP_SUMMARY_NAME_MAX + 1] = ((void **)arg)[0];
	size_t *n = ((void **)arg)[1];

	(void)d;
	(void)id;
	if (*n == MAX_NAMES)
		return SP_ETOOBIG;
	memcpy(names[(*n)++], name, strlen(name) + 1);
	return 0;
}

static int
no_consent(void *arg, const sp_consent *c, bool current)
{
	(void)arg;
	(void)c;
	(void)current;
	return 0;
}

/* Every definition of one community, published; what was written added to j. */
static void
publish_community(publish_job *j, const uint8_t community[SP_PUBKEY_BYTES])
{
	char names[MAX_NAMES][SP_SUMMARY_NAME_MAX + 1];
	size_t n = 0, i, k;
	void *arg[2] = { names, &n };
	sp_summary_walk walk = { collect_name, no_consent, arg };
	sp_node *node = j->p->node;
	sp_written out;
	int r;

	if ((r = sp_node_summary_each(node, community, &walk)) != 0 && r != SP_ETOOBIG) {
		log_warn("summaries: cannot list the definitions: %s", sp_strerror(r));
		return;
	}
	for (i = 0; i < n; i++) {
		r = sp_node_summary_publish(node, community, names[i], sp_node_now_ms(node), &out);
		/* A node that is no writer of the community publishes nothing: not an error. */
		if (r != 0 && r != SP_ENOTWRITER && r != SP_ENOCHARTER) {
			log_warn("summary %s: not published: %s", names[i], sp_strerror(r));
			continue;
		}
		if (out.more)
			j->more = true;
		for (k = 0; k < out.n; k++) {
			if (j->written.n == SP_NODE_MAX_WRITTEN) {
				j->more = true;
				break;
			}
			memcpy(j->written.ids[j->written.n++], out.ids[k], SP_ID_BYTES);
		}
		if (out.n > 0)
			log_info("summary %s: published (%zu records)", names[i], out.n);
	}
}

static void
publish_run(sp_task *task)
{
	publish_job *j = (publish_job *)task;
	size_t i;

	/* Listed first, published after: publishing writes, and this is a read. */
	if (j->all && sp_node_community_ids(j->p->node, &j->communities, &j->ncommunities) != 0)
		log_warn("summaries: cannot list the communities");
	for (i = 0; i < j->ncommunities; i++)
		publish_community(j, j->communities[i]);
}

static void
publish_done(sp_task *task)
{
	publish_job *j = (publish_job *)task;
	sp_publisher *p = j->p;
	size_t i;

	p->running = false;
	if (!p->closing) {
		if (j->more)
			sp_sessions_resync_all(p->ss);
		else
			for (i = 0; i < j->written.n; i++)
				sp_sessions_stored_id(p->ss, j->written.ids[i]);
	}
	free(j->communities);
	free(j);
	if (!p->closing && (p->all || p->ndirty > 0))
		schedule(p);
}

static void
start_job(sp_publisher *p)
{
	publish_job *j;

	if (p->running || p->closing || (!p->all && p->ndirty == 0))
		return;
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		log_warn("summaries: out of memory; trying again later");
		schedule(p);
		return;
	}
	j->p = p;
	j->all = p->all;
	if (!j->all) {
		if ((j->communities = malloc(p->ndirty * SP_PUBKEY_BYTES)) == NULL) {
			free(j);
			log_warn("summaries: out of memory; trying again later");
			schedule(p);
			return;
		}
		memcpy(j->communities, p->dirty, p->ndirty * SP_PUBKEY_BYTES);
		j->ncommunities = p->ndirty;
	}
	p->all = false;
	p->ndirty = 0;
	p->running = true;
	j->task.run = publish_run;
	j->task.done = publish_done;
	sp_work_write(p->work, &j->task);
}

static void
on_debounce(uv_timer_t *h)
{
	start_job(h->data);
}

static void
schedule(sp_publisher *p)
{
	if (!p->closing && !uv_is_active((uv_handle_t *)&p->debounce))
		uv_timer_start(&p->debounce, on_debounce, DEBOUNCE_MS, 0);
}

static void
on_periodic(uv_timer_t *h)
{
	sp_publisher *p = h->data;

	p->all = true;
	schedule(p);
}

/* A record stored here: its community's summaries may have changed. */
static void
on_stored(void *arg, const sp_area *area)
{
	sp_publisher *p = arg;
	size_t i;

	if (area == NULL) {
		p->all = true;
	} else {
		/* What this node publishes is no reason to publish again. */
		if (strncmp(area->collection, SP_SUMMARY_COLLECTION,
		    strlen(SP_SUMMARY_COLLECTION)) == 0)
			return;
		for (i = 0; i < p->ndirty; i++)
			if (memcmp(p->dirty[i], area->community, SP_PUBKEY_BYTES) == 0)
				break;
		if (i == p->ndirty) {
			if (p->ndirty == MAX_DIRTY)
				p->all = true;
			else
				memcpy(p->dirty[p->ndirty++], area->community, SP_PUBKEY_BYTES);
		}
	}
	schedule(p);
}

int
sp_publisher_start(uv_loop_t *loop, sp_node *node, sp_work *work, sp_sessions *ss,
    sp_publisher **out)
{
	sp_publisher *p;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return SP_ENOMEM;
	p->node = node;
	p->work = work;
	p->ss = ss;
	uv_timer_init(loop, &p->debounce);
	uv_timer_init(loop, &p->periodic);
	p->debounce.data = p->periodic.data = p;
	uv_timer_start(&p->periodic, on_periodic, PERIODIC_MS, PERIODIC_MS);
	sp_sessions_observe(ss, on_stored, p);
	p->all = true;
	schedule(p);
	*out = p;
	return 0;
}

void
sp_publisher_close(sp_publisher *p)
{
	if (p == NULL || p->closing)
		return;
	p->closing = true;
	sp_sessions_observe(p->ss, NULL, NULL);
	uv_close((uv_handle_t *)&p->debounce, NULL);
	uv_close((uv_handle_t *)&p->periodic, NULL);
}

void
sp_publisher_free(sp_publisher *p)
{
	free(p);
}
