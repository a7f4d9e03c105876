/*
 * The report control command (docs/HUBS.md, "Reports"; docs/REPORTS.md):
 * on a hub, a summary's figures for one period, one column per community
 * (each community's summary held here under a consent that counts), as
 * proto/report.h builds and packs them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base32.h"
#include "cmd.h"
#include "log.h"
#include "report.h"
#include "sp_err.h"
#include "summary.h"
#include "syscoll.h"

/* Distinct periods named in the message when the asked one is not held. */
#define MAX_PERIODS 16

typedef struct report_job {
	sp_job base;
	char name[SP_SUMMARY_NAME_MAX + 1];
	char period[8];              /* "": the latest held */
	enum sp_report_by by;
	sp_buf out;                  /* the reply's frames */
} report_job;

/* A summary held under a consent that counts, of the period the report is for. */
typedef struct candidate {
	size_t community;            /* index in the walk's communities */
	uint8_t hub[SP_PUBKEY_BYTES];
	uint8_t id[SP_ID_BYTES];
} candidate;

typedef struct walk {
	sp_node *node;
	sp_txn *t;
	const report_job *job;
	size_t name_len;
	sp_community_info *communities;
	size_t ncommunities, cap;
	/* The community being walked: its index, charter (NULL: none) and summary collections' hubs. */
	size_t at;
	const sp_charter *charter;
	uint8_t (*hubs)[SP_PUBKEY_BYTES];
	size_t nhubs, hubs_cap, hub;
	/* The period chosen so far (the asked one, or the latest met) and its summaries. */
	char period[8];
	candidate *v;
	size_t n, vcap;
	char held[MAX_PERIODS][8];
	size_t nheld;
} walk;

/* Stops a walk that has passed the keys it wants. */
#define WALK_DONE 1

static int
collect_community(void *arg, const sp_community_info *c)
{
	walk *w = arg;
	sp_community_info *v;

	if (w->ncommunities == w->cap) {
		size_t cap = w->cap > 0 ? w->cap * 2 : 64;

		if ((v = realloc(w->communities, cap * sizeof(*v))) == NULL)
			return SP_ENOMEM;
		w->communities = v;
		w->cap = cap;
	}
	w->communities[w->ncommunities++] = *c;
	return 0;
}

static int
collect_hub(void *arg, const char *collection, size_t len, enum sp_label label)
{
	walk *w = arg;
	uint8_t hub[SP_PUBKEY_BYTES], (*v)[SP_PUBKEY_BYTES];

	(void)label;
	if (sp_syscoll_find_hub(collection, len, hub) != sp_syscoll_row(SP_SUMMARY_COLLECTION))
		return 0;
	if (w->nhubs == w->hubs_cap) {
		size_t cap = w->hubs_cap > 0 ? w->hubs_cap * 2 : 4;

		if ((v = realloc(w->hubs, cap * sizeof(*v))) == NULL)
			return SP_ENOMEM;
		w->hubs = v;
		w->hubs_cap = cap;
	}
	memcpy(w->hubs[w->nhubs++], hub, SP_PUBKEY_BYTES);
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
keep(walk *w, const uint8_t id[SP_ID_BYTES])
{
	candidate *v;

	if (w->n == w->vcap) {
		size_t cap = w->vcap > 0 ? w->vcap * 2 : 64;

		if ((v = realloc(w->v, cap * sizeof(*v))) == NULL)
			return SP_ENOMEM;
		w->v = v;
		w->vcap = cap;
	}
	v = &w->v[w->n++];
	v->community = w->at;
	memcpy(v->hub, w->hubs[w->hub], SP_PUBKEY_BYTES);
	memcpy(v->id, id, SP_ID_BYTES);
	return 0;
}

/* One record of a summary collection, in key order from NAME/. */
static int
summary_record(void *arg, const sp_stored *st)
{
	walk *w = arg;
	const char *period;
	sp_record rec;
	int r, cmp;

	if (sp_record_decode(st->data, st->len, &rec) != 0)
		return SP_ECORRUPT;
	if (rec.key_len <= w->name_len || memcmp(rec.key, w->job->name, w->name_len) != 0 ||
	    rec.key[w->name_len] != '/')
		return WALK_DONE;
	period = rec.key + w->name_len + 1;
	if ((rec.flags & SP_FLAG_TOMBSTONE) || !sp_period_valid(period, strlen(period)))
		return 0;
	r = sp_node_summary_consented(w->node, w->t, &rec, w->charter);
	if (r == SP_ENOCONSENT || r == SP_ECONSENT_EXPIRED || r == SP_ECONSENT_ADMIN ||
	    r == SP_ESUMMARY)
		return 0;
	if (r != 0)
		return r;
	note_period(w, period);
	if (w->job->period[0] != '\0')
		return strcmp(period, w->job->period) == 0 ? keep(w, st->id) : 0;
	cmp = w->period[0] == '\0' ? 1 : period_cmp(period, w->period);
	if (cmp < 0)
		return 0;
	if (cmp > 0) {
		memcpy(w->period, period, strlen(period) + 1);
		w->n = 0;
	}
	return keep(w, st->id);
}

/* The summaries of one community held here under a consent that counts. */
static int
walk_community(walk *w)
{
	const uint8_t *community = w->communities[w->at].id;
	char collection[SP_COLLECTION_MAX + 1], after[SP_SUMMARY_NAME_MAX + 2];
	sp_charter *charter = NULL;
	int r;

	w->nhubs = 0;
	if ((r = sp_store_areas_each(w->t, community, collect_hub, w)) != 0)
		return r;
	if (w->nhubs == 0)
		return 0;
	r = sp_node_charter(w->t, community, &charter);
	if (r != 0 && r != SP_ENOCHARTER)
		return r;
	w->charter = charter;
	snprintf(after, sizeof(after), "%s/", w->job->name);
	for (w->hub = 0, r = 0; r == 0 && w->hub < w->nhubs; w->hub++) {
		sp_syscoll_hub_collection(sp_syscoll_row(SP_SUMMARY_COLLECTION), w->hubs[w->hub],
		    collection);
		r = sp_store_each(w->t, community, collection, strlen(collection), after,
		    strlen(after), summary_record, w);
		if (r == WALK_DONE)
			r = 0;
	}
	w->charter = NULL;
	sp_charter_free(charter);
	return r;
}

/* Why no summary is held for the report asked for, into detail. */
static void
explain_missing(const walk *w, char *detail, size_t size)
{
	size_t i, len;

	if (w->nheld == 0) {
		snprintf(detail, size, "no summary named '%s' is held at this hub under a consent "
		    "that holds", w->job->name);
		return;
	}
	snprintf(detail, size, "no summary %s of period %s is held at this hub; periods held:",
	    w->job->name, w->job->period);
	for (i = 0; i < w->nheld; i++) {
		len = strlen(detail);
		snprintf(detail + len, size - len, "%s %s", i > 0 ? "," : "", w->held[i]);
	}
}

/*
 * Of a community's candidates v[0..n), the one to show: its summary
 * consented to this hub, else the one to the hub of the smallest id (one
 * that came through a hub below).
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
add_candidate(walk *w, sp_report *report, const candidate *c)
{
	const sp_community_info *info = &w->communities[c->community];
	sp_summary *s = NULL;
	sp_stored st;
	sp_record rec;
	int r;

	if ((r = sp_store_get_by_id(w->t, c->id, &st)) != 0)
		return r;
	if (sp_record_decode(st.data, st.len, &rec) != 0)
		return SP_ECORRUPT;
	if ((r = sp_summary_decode(rec.body, rec.body_len, &s)) != 0)
		return r;
	r = sp_report_add_summary(report, info->id, info->alias, s);
	sp_summary_free(s);
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

/* --by community: the report's frames into rj->out; detail says why there is none. */
static int
by_community(sp_node *n, report_job *rj, char *detail, size_t size)
{
	const uint8_t *self = sp_node_id(n);
	sp_report *report = NULL;
	size_t i, j;
	walk *w;
	int r;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return SP_ENOMEM;
	w->node = n;
	w->job = rj;
	w->name_len = strlen(rj->name);
	memcpy(w->period, rj->period, sizeof(w->period));
	if ((r = sp_txn_begin(sp_node_store(n), false, &w->t)) != 0)
		goto out;
	if ((r = sp_store_community_each(w->t, collect_community, w)) != 0)
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
	if ((r = sp_report_new(rj->name, w->period, SP_REPORT_BY_COMMUNITY, self, &report)) != 0)
		goto out;
	/* The candidates come community by community, in alias order. */
	for (i = 0; r == 0 && i < w->n; i = j) {
		for (j = i + 1; j < w->n && w->v[j].community == w->v[i].community; j++)
			;
		r = add_candidate(w, report, choose(&w->v[i], j - i, self));
	}
	if (r == 0) {
		log_left_out(report);
		r = sp_report_pack(report, &rj->out);
	}
out:
	if (w->t != NULL)
		sp_txn_abort(w->t);
	sp_report_free(report);
	free(w->communities);
	free(w->hubs);
	free(w->v);
	free(w);
	return r;
}

static void
report_run(sp_job *job)
{
	report_job *rj = (report_job *)job;

	if (rj->by == SP_REPORT_BY_HUB) {
		snprintf(job->detail, sizeof(job->detail), "--by hub is not built yet");
		job->err = SP_EINVAL;
		return;
	}
	job->err = by_community(job->env->node, rj, job->detail, sizeof(job->detail));
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
