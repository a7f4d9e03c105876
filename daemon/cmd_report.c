/*
 * The report control command (docs/HUBS.md, "Reports"; docs/REPORTS.md):
 * on a hub, a summary's figures for one period, as proto/report.h builds
 * and packs them. By community: a column per community, its summary held
 * here under a consent that counts. By hub: a column per hub below, its
 * aggregate, and one for this hub's own communities (their summaries
 * consented to it, aggregated as the hub aggregates them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "base32.h"
#include "cmd.h"
#include "log.h"
#include "policy.h"
#include "report.h"
#include "sp_err.h"
#include "summary.h"
#include "syscoll.h"

/* Distinct periods named in the message when the asked one is not held. */
#define MAX_PERIODS 16
/* The column of this hub's own communities (--by hub). */
#define OWN_ALIAS "direct"

typedef struct report_job {
	sp_job base;
	char name[SP_SUMMARY_NAME_MAX + 1];
	char period[8];              /* "": the latest held */
	enum sp_report_by by;
	sp_buf out;                  /* the reply's frames */
} report_job;

/* A record of the period the report is for: a summary that counts, or a hub's aggregate. */
typedef struct candidate {
	size_t community;            /* index in the walk's communities */
	uint8_t hub[SP_PUBKEY_BYTES];  /* a summary's: the hub consented to; an aggregate's: its writer */
	uint8_t id[SP_ID_BYTES];
	bool aggregate;
} candidate;

/* A collection of the community being walked: .summary.HUB or .aggregate. */
typedef struct source {
	char collection[SP_COLLECTION_MAX + 1];
	bool aggregate;
} source;

typedef struct walk {
	sp_node *node;
	sp_txn *t;
	const report_job *job;
	size_t name_len;
	sp_community_info own;       /* the hub's own community (zero id: none) */
	sp_community_info *communities;
	size_t ncommunities, cap;
	/* The community being walked: its index, charter (NULL: none) and collections. */
	size_t at;
	const sp_charter *charter;
	source *sources;
	size_t nsources, sources_cap;
	const source *source;
	/* The period chosen so far (the asked one, or the latest met) and its records. */
	char period[8];
	candidate *v;
	size_t n, vcap;
	char held[MAX_PERIODS][8];
	size_t nheld;
} walk;

/* Stops a walk that has passed the keys it wants. */
#define WALK_DONE 1

/* Grows *v (of *cap elements of size each) to hold n + 1; SP_ENOMEM. */
static int
grow(void **v, size_t *cap, size_t n, size_t each)
{
	void *p;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap > 0 ? *cap * 2 : 16;
	if ((p = realloc(*v, c * each)) == NULL)
		return SP_ENOMEM;
	*v = p;
	*cap = c;
	return 0;
}

static int
collect_community(void *arg, const sp_community_info *c)
{
	walk *w = arg;
	int r;

	if ((r = grow((void **)&w->communities, &w->cap, w->ncommunities,
	    sizeof(*w->communities))) != 0)
		return r;
	w->communities[w->ncommunities++] = *c;
	return 0;
}

/*
 * The collections of the community being walked that the report reads:
 * by community, every .summary.HUB; by hub, .summary.SELF (this hub's
 * own communities) and .aggregate (whose records count when a hub
 * directly below wrote them, sp_node_hub_below, as the hub's own
 * aggregate takes them).
 */
static int
collect_source(void *arg, const char *collection, size_t len, enum sp_label label)
{
	walk *w = arg;
	uint8_t hub[SP_PUBKEY_BYTES];
	bool aggregate = false;
	source *s;
	int r;

	(void)label;
	if (sp_syscoll_find_hub(collection, len, hub) == sp_syscoll_row(SP_SUMMARY_COLLECTION)) {
		if (w->job->by == SP_REPORT_BY_HUB &&
		    memcmp(hub, sp_node_id(w->node), SP_PUBKEY_BYTES) != 0)
			return 0;
	} else if (w->job->by == SP_REPORT_BY_HUB && len == strlen(SP_AGGREGATE_COLLECTION) &&
	    memcmp(collection, SP_AGGREGATE_COLLECTION, len) == 0) {
		aggregate = true;
	} else {
		return 0;
	}
	if ((r = grow((void **)&w->sources, &w->sources_cap, w->nsources, sizeof(*s))) != 0)
		return r;
	s = &w->sources[w->nsources++];
	memcpy(s->collection, collection, len);
	s->collection[len] = '\0';
	s->aggregate = aggregate;
	return 0;
}

/*
 * The last month a period covers, then the shorter first: the later
 * period of two, so that "the latest period held" is the one ending last
 * (of a year and its December, the month).
 */
static int
period_cmp(const char *a, const char *b)
{
	unsigned ya, fa, ma, yb, fb, mb, ea, eb;

	(void)sp_period_span(a, strlen(a), &ya, &fa, &ma);
	(void)sp_period_span(b, strlen(b), &yb, &fb, &mb);
	ea = ya * 12 + fa + ma;
	eb = yb * 12 + fb + mb;
	if (ea != eb)
		return ea < eb ? -1 : 1;
	return ma == mb ? 0 : ma > mb ? -1 : 1;
}

static void
note_period(walk *w, const char *period)
{
	size_t i;

	for (i = 0; i < w->nheld; i++)
		if (strcmp(w->held[i], period) == 0)
			return;
	if (w->nheld < MAX_PERIODS)
		memcpy(w->held[w->nheld++], period, strlen(period) + 1);
}

static int
keep(walk *w, const sp_record *rec, const uint8_t id[SP_ID_BYTES])
{
	candidate *v;
	int r;

	if ((r = grow((void **)&w->v, &w->vcap, w->n, sizeof(*v))) != 0)
		return r;
	v = &w->v[w->n++];
	v->community = w->at;
	v->aggregate = w->source->aggregate;
	if (v->aggregate)
		memcpy(v->hub, rec->author, SP_PUBKEY_BYTES);
	else
		(void)sp_syscoll_find_hub(rec->collection, rec->collection_len, v->hub);
	memcpy(v->id, id, SP_ID_BYTES);
	return 0;
}

/* Whether a summary stands on a consent that counts now; other errors are the store's. */
static int
counts(walk *w, const sp_record *rec, bool *yes)
{
	int r = sp_node_summary_consented(w->node, w->t, rec, w->charter);

	*yes = r == 0;
	return r == SP_ENOCONSENT || r == SP_ECONSENT_EXPIRED || r == SP_ECONSENT_ADMIN ||
	    r == SP_ESUMMARY ? 0 : r;
}

/* One record of a source, in key order from NAME/. */
static int
source_record(void *arg, const sp_stored *st)
{
	walk *w = arg;
	const char *period;
	sp_record rec;
	bool yes = true;
	int r, cmp;

	if (sp_record_decode(st->data, st->len, &rec) != 0)
		return SP_ECORRUPT;
	if (rec.key_len <= w->name_len || memcmp(rec.key, w->job->name, w->name_len) != 0 ||
	    rec.key[w->name_len] != '/')
		return WALK_DONE;
	period = rec.key + w->name_len + 1;
	if ((rec.flags & SP_FLAG_TOMBSTONE) || !sp_period_valid(period, strlen(period)))
		return 0;
	/* An aggregate counts from a hub directly below, as in the hub's own aggregate. */
	r = w->source->aggregate ? sp_node_hub_below(w->t, rec.author, &yes) : counts(w, &rec, &yes);
	if (r != 0 || !yes)
		return r;
	note_period(w, period);
	if (w->job->period[0] != '\0')
		return strcmp(period, w->job->period) == 0 ? keep(w, &rec, st->id) : 0;
	cmp = w->period[0] == '\0' ? 1 : period_cmp(period, w->period);
	if (cmp < 0)
		return 0;
	if (cmp > 0) {
		memcpy(w->period, period, strlen(period) + 1);
		w->n = 0;
	}
	return keep(w, &rec, st->id);
}

/* What the report reads of one community. */
static int
walk_community(walk *w)
{
	const uint8_t *community = w->communities[w->at].id;
	char after[SP_SUMMARY_NAME_MAX + 2];
	sp_charter *charter = NULL;
	size_t i;
	int r;

	/* The hub's own community holds its aggregates: the total, not a column. */
	if (memcmp(community, w->own.id, SP_PUBKEY_BYTES) == 0)
		return 0;
	w->nsources = 0;
	if ((r = sp_store_areas_each(w->t, community, collect_source, w)) != 0)
		return r;
	if (w->nsources == 0)
		return 0;
	r = sp_node_charter(w->t, community, &charter);
	if (r != 0 && r != SP_ENOCHARTER)
		return r;
	w->charter = charter;
	snprintf(after, sizeof(after), "%s/", w->job->name);
	for (i = 0, r = 0; r == 0 && i < w->nsources; i++) {
		w->source = &w->sources[i];
		r = sp_store_each(w->t, community, w->source->collection,
		    strlen(w->source->collection), after, strlen(after), source_record, w);
		if (r == WALK_DONE)
			r = 0;
	}
	w->charter = NULL;
	sp_charter_free(charter);
	return r;
}

/* Why nothing is held for the report asked for, into detail. */
static void
explain_missing(const walk *w, char *detail, size_t size)
{
	size_t i, len;

	if (w->nheld == 0) {
		snprintf(detail, size, w->job->by == SP_REPORT_BY_HUB ?
		    "no summary or aggregate named '%s' is held at this hub" :
		    "no summary named '%s' is held at this hub under a consent that holds",
		    w->job->name);
		return;
	}
	snprintf(detail, size, "no summary %s of period %s is held at this hub; periods held:",
	    w->job->name, w->job->period);
	for (i = 0; i < w->nheld; i++) {
		len = strlen(detail);
		snprintf(detail + len, size - len, "%s %s", i > 0 ? "," : "", w->held[i]);
	}
}

/* Decodes a candidate's record: its body (valid while w->t is). */
static int
candidate_record(walk *w, const candidate *c, sp_record *rec)
{
	sp_stored st;
	int r;

	if ((r = sp_store_get_by_id(w->t, c->id, &st)) != 0)
		return r;
	return sp_record_decode(st.data, st.len, rec) != 0 ? SP_ECORRUPT : 0;
}

/*
 * Of a community's summaries v[0..n), the one to show: the one consented
 * to this hub, else the one to the hub of the smallest id (one that came
 * through a hub below).
 */
static const candidate *
choose(const candidate *v, size_t n, const uint8_t self[SP_PUBKEY_BYTES])
{
	const candidate *best = &v[0];
	size_t i;

	for (i = 0; i < n; i++) {
		if (memcmp(v[i].hub, self, SP_PUBKEY_BYTES) == 0)
			return &v[i];
		if (memcmp(v[i].hub, best->hub, SP_PUBKEY_BYTES) < 0)
			best = &v[i];
	}
	return best;
}

static int
add_community(walk *w, sp_report *report, const candidate *c)
{
	const sp_community_info *info = &w->communities[c->community];
	sp_summary *s = NULL;
	sp_record rec;
	int r;

	if ((r = candidate_record(w, c, &rec)) != 0 ||
	    (r = sp_summary_decode(rec.body, rec.body_len, &s)) != 0)
		return r;
	r = sp_report_add_summary(report, info->id, info->alias, s);
	sp_summary_free(s);
	return r;
}

/* By community: a column per community, in alias order (as the candidates come). */
static int
add_communities(walk *w, sp_report *report)
{
	size_t i, j;
	int r = 0;

	for (i = 0; r == 0 && i < w->n; i = j) {
		for (j = i + 1; j < w->n && w->v[j].community == w->v[i].community; j++)
			;
		r = add_community(w, report, choose(&w->v[i], j - i, sp_node_id(w->node)));
	}
	return r;
}

/* A hub below by its peer name here, else by the alias of the community it writes in. */
typedef struct peer_name {
	const uint8_t *node;
	sp_peer_policy *policy;
	char *name;
} peer_name;

static int
find_peer(void *arg, const char *name, size_t name_len, const uint8_t *data, size_t len)
{
	peer_name *p = arg;

	(void)name;
	(void)name_len;
	if (sp_policy_decode(data, len, p->policy) != 0 ||
	    memcmp(p->policy->node, p->node, SP_PUBKEY_BYTES) != 0)
		return 0;
	snprintf(p->name, SP_REPORT_ALIAS_MAX + 1, "%s", p->policy->name);
	return WALK_DONE;
}

static int
hub_alias(walk *w, const candidate *c, char alias[SP_REPORT_ALIAS_MAX + 1])
{
	peer_name p = { c->hub, NULL, alias };
	int r;

	snprintf(alias, SP_REPORT_ALIAS_MAX + 1, "%s", w->communities[c->community].alias);
	if ((p.policy = malloc(sizeof(*p.policy))) == NULL)
		return SP_ENOMEM;
	r = sp_store_peer_each(w->t, find_peer, &p);
	free(p.policy);
	return r == WALK_DONE ? 0 : r;
}

static void
log_input_left_out(const uint8_t *id, const char *why, void *arg)
{
	char text[SP_ID_STR_LEN + 1];

	(void)arg;
	sp_base32_encode(text, id, SP_ID_BYTES);
	log_info("report: the summary %s is left out of this hub's own column: %s", text, why);
}

/*
 * By hub: a column per hub below (its aggregate), then this hub's own
 * communities, their summaries aggregated by the hub's own builder.
 */
static int
add_hubs(walk *w, sp_report *report)
{
	const uint8_t *self = sp_node_id(w->node);
	char alias[SP_REPORT_ALIAS_MAX + 1];
	sp_aggregate_builder *b = NULL;
	sp_aggregate *a = NULL;
	sp_summary *s;
	sp_record rec;
	size_t i, own = 0;
	int r;

	if ((r = sp_aggregate_start(w->job->name, w->period, self, &b)) != 0)
		return r;
	for (i = 0; r == 0 && i < w->n; i++) {
		const candidate *c = &w->v[i];

		if ((r = candidate_record(w, c, &rec)) != 0)
			break;
		if (!c->aggregate) {
			if ((r = sp_summary_decode(rec.body, rec.body_len, &s)) == 0)
				r = sp_aggregate_add_summary(b, c->id, s);
			own++;
			continue;
		}
		if ((r = sp_aggregate_decode(rec.body, rec.body_len, &a)) != 0 ||
		    (r = hub_alias(w, c, alias)) != 0)
			break;
		r = sp_report_add_aggregate(report, SP_REPORT_HUB, c->hub, alias, a);
		sp_aggregate_free(a);
		a = NULL;
	}
	if (r == 0 && own > 0 &&
	    (r = sp_aggregate_finish(b, log_input_left_out, NULL, &a)) == 0)
		r = sp_report_add_aggregate(report, SP_REPORT_OWN, self, OWN_ALIAS, a);
	sp_aggregate_free(a);
	sp_aggregate_builder_free(b);
	return r;
}

static void
log_left_out(const sp_report *report)
{
	char id[SP_ID_STR_LEN + 1];
	size_t i;

	for (i = 0; i < sp_report_left_out(report); i++) {
		sp_base32_encode(id, sp_report_left_out_id(report, i), SP_PUBKEY_BYTES);
		log_info("report %s %s: %s left out: %s", sp_report_name(report),
		    sp_report_period(report), id, sp_report_left_out_why(report, i));
	}
}

/* The report's frames into rj->out; detail says why there is none. */
static int
build(sp_node *n, report_job *rj, char *detail, size_t size)
{
	sp_report *report = NULL;
	walk *w;
	int r;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return SP_ENOMEM;
	w->node = n;
	w->job = rj;
	w->name_len = strlen(rj->name);
	memcpy(w->period, rj->period, sizeof(w->period));
	r = sp_node_hub_community(n, &w->own);
	if ((r != 0 && r != SP_ENOTFOUND) ||
	    (r = sp_txn_begin(sp_node_store(n), false, &w->t)) != 0 ||
	    (r = sp_store_community_each(w->t, collect_community, w)) != 0)
		goto out;
	for (w->at = 0; r == 0 && w->at < w->ncommunities; w->at++)
		r = walk_community(w);
	if (r != 0)
		goto out;
	if (w->n == 0) {
		explain_missing(w, detail, size);
		r = SP_ENOTFOUND;
		goto out;
	}
	if ((r = sp_report_new(rj->name, w->period, rj->by, sp_node_id(n), &report)) != 0)
		goto out;
	r = rj->by == SP_REPORT_BY_HUB ? add_hubs(w, report) : add_communities(w, report);
	if (r == 0) {
		log_left_out(report);
		r = sp_report_pack(report, &rj->out);
	}
out:
	if (w->t != NULL)
		sp_txn_abort(w->t);
	sp_report_free(report);
	free(w->communities);
	free(w->sources);
	free(w->v);
	free(w);
	return r;
}

static void
report_run(sp_job *job)
{
	report_job *rj = (report_job *)job;

	job->err = build(job->env->node, rj, job->detail, sizeof(job->detail));
}

static void
report_job_free(report_job *rj)
{
	sp_buf_free(&rj->out);
	free(rj);
}

static void
report_done(sp_job *job)
{
	report_job *rj = (report_job *)job;

	if (job->err != 0)
		sp_ctl_conn_error(job->conn, job->err, job->detail[0] != '\0' ? job->detail : NULL);
	else
		(void)sp_ctl_conn_send(job->conn, &rj->out, 1);
	report_job_free(rj);
}

/* The request's fields into rj; replies with the error itself. */
static int
read_request(sp_ctl_conn *c, const sp_ctl_msg *req, report_job *rj)
{
	char by[16];
	int r;

	if ((r = sp_req_cstr(c, req, "name", rj->name, sizeof(rj->name))) != 0)
		return r;
	if (sp_alias_check(rj->name, strlen(rj->name)) != 0) {
		sp_ctl_conn_error(c, SP_EALIAS, "a summary's name follows the alias rules");
		return SP_EALIAS;
	}
	r = sp_ctl_get_cstr(req, "period", rj->period, sizeof(rj->period));
	if ((r != 0 && r != SP_ENOTFOUND) ||
	    (r == 0 && !sp_period_valid(rj->period, strlen(rj->period)))) {
		sp_ctl_conn_error(c, SP_EINVAL, "period: 2026-11, 2026-Q4 or 2026");
		return SP_EINVAL;
	}
	r = sp_ctl_get_cstr(req, "by", by, sizeof(by));
	if ((r != 0 && r != SP_ENOTFOUND) ||
	    (r == 0 && strcmp(by, "community") != 0 && strcmp(by, "hub") != 0)) {
		sp_ctl_conn_error(c, SP_EINVAL, "by: community or hub");
		return SP_EINVAL;
	}
	rj->by = r == 0 && strcmp(by, "hub") == 0 ? SP_REPORT_BY_HUB : SP_REPORT_BY_COMMUNITY;
	return 0;
}

void
sp_cmd_report(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env)
{
	report_job *rj;

	if (!sp_node_is_hub(env->node)) {
		sp_ctl_conn_error(c, SP_ENOTHUB, NULL);
		return;
	}
	if ((rj = calloc(1, sizeof(*rj))) == NULL) {
		sp_ctl_conn_error(c, SP_ENOMEM, NULL);
		return;
	}
	sp_buf_init(&rj->out);
	if (read_request(c, req, rj) != 0) {
		report_job_free(rj);
		return;
	}
	rj->base.conn = c;
	rj->base.run = report_run;
	rj->base.done = report_done;
	sp_job_run(env, &rj->base);
}
