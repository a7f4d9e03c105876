/* Control commands on records: put, get, rm, erase, ls, export. */
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "cmd.h"
#include "log.h"
#include "pack.h"
#include "reader.h"
#include "sp_err.h"
#include "syscoll.h"

/* Records per streamed page of ls/export, and the bytes one page may queue. */
#define PAGE_RECORDS 256
#define PAGE_BYTES   (256 * 1024)
#define EXPORT_MAX_COLUMNS 512
#define NO_SUCH_KEY "no such key in this collection (see 'simpul ls COMMUNITY COLLECTION')"

/* A put, rm or erase on the serial write queue. */
typedef struct write_job {
	sp_job base;
	sp_write w;
	enum sp_write_op kind;
	uint8_t id[SP_ID_BYTES];
} write_job;

static void
write_run(sp_job *job)
{
	write_job *wj = (write_job *)job;
	sp_node *n = job->env->node;

	if (wj->kind == SP_WRITE_PUT)
		job->err = sp_node_put(n, &wj->w, wj->id);
	else
		job->err = sp_node_rm(n, &wj->w, wj->kind == SP_WRITE_ERASE, wj->id);
}

static void
write_done(sp_job *job)
{
	write_job *wj = (write_job *)job;
	sp_buf b;

	if (job->err != 0) {
		log_info("%s refused: %s", wj->kind == SP_WRITE_PUT ? "put" : "rm/erase",
		    sp_strerror(job->err));
		sp_ctl_conn_error(job->conn, job->err, job->err == SP_ENOTFOUND ? NO_SUCH_KEY : NULL);
	} else {
		sp_buf_init(&b);
		sp_ctl_begin_reply(&b, SP_CTL_OK, 1);
		sp_pack_cstr(&b, "id");
		sp_pack_bin(&b, wj->id, SP_ID_BYTES);
		sp_reply_final(job->conn, &b);
		sp_sessions_stored_id(job->env->sessions, wj->id);
	}
	free(wj);
}

/*
 * Reads the fields every record command has: community, collection, key.
 * Replies with the error itself when one is missing or unknown.
 */
static int
req_record_address(sp_cmd_env *env, sp_ctl_conn *c, const sp_ctl_msg *req, sp_write *w)
{
	sp_community_info info;
	int r;

	memset(w, 0, sizeof(*w));
	if ((r = sp_req_community(env, c, req, &info)) != 0)
		return r;
	memcpy(w->community, info.id, SP_PUBKEY_BYTES);
	if ((r = sp_ctl_get_str(req, "collection", &w->collection, &w->collection_len)) != 0 ||
	    (r = sp_ctl_get_str(req, "key", &w->key, &w->key_len)) != 0) {
		sp_ctl_conn_error(c, r == SP_ENOTFOUND ? SP_EINVAL : r,
		    "fields 'collection' and 'key' are required");
		return r;
	}
	return 0;
}

void
sp_cmd_write(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env, int kind)
{
	write_job *wj;
	const char *label;
	size_t label_len;
	char name[16];
	int r;

	if ((wj = calloc(1, sizeof(*wj))) == NULL) {
		sp_ctl_conn_error(c, SP_ENOMEM, NULL);
		return;
	}
	if (req_record_address(env, c, req, &wj->w) != 0)
		goto fail;
	if (sp_work_claimed(env->work, wj->w.community, wj->w.collection, wj->w.collection_len)) {
		sp_ctl_conn_error(c, SP_EBUSY, "an import into this collection is running");
		goto fail;
	}
	wj->kind = kind;
	if (kind == SP_WRITE_PUT) {
		if ((r = sp_ctl_get_raw(req, "body", &wj->w.body, &wj->w.body_len)) != 0) {
			sp_ctl_conn_error(c, SP_EINVAL, "field 'body' is required");
			goto fail;
		}
		r = sp_ctl_get_str(req, "label", &label, &label_len);
		if (r == 0) {
			if (label_len >= sizeof(name)) {
				sp_ctl_conn_error(c, SP_ELABEL, NULL);
				goto fail;
			}
			memcpy(name, label, label_len);
			name[label_len] = '\0';
			if ((r = sp_label_parse(name, &wj->w.label)) != 0) {
				sp_ctl_conn_error(c, r, NULL);
				goto fail;
			}
			wj->w.label_given = true;
		} else if (r != SP_ENOTFOUND) {
			sp_ctl_conn_error(c, r, "field 'label'");
			goto fail;
		}
	}
	wj->base.conn = c;
	wj->base.run = write_run;
	wj->base.done = write_done;
	sp_job_write(env, &wj->base);
	return;
fail:
	free(wj);
}

/* Packs the fields that describe a stored record (and its body if asked). */
static void
pack_record(sp_buf *b, const sp_record *rec, const uint8_t id[SP_ID_BYTES], bool body)
{
	sp_pack_cstr(b, "collection");
	sp_pack_str(b, rec->collection, rec->collection_len);
	sp_pack_cstr(b, "key");
	sp_pack_str(b, rec->key, rec->key_len);
	sp_pack_cstr(b, "id");
	sp_pack_bin(b, id, SP_ID_BYTES);
	sp_pack_cstr(b, "author");
	sp_pack_bin(b, rec->author, SP_PUBKEY_BYTES);
	sp_pack_cstr(b, "timestamp");
	sp_pack_uint(b, rec->timestamp);
	sp_pack_cstr(b, "label");
	sp_pack_cstr(b, sp_label_name(rec->label));
	sp_pack_cstr(b, "flags");
	sp_pack_uint(b, rec->flags);
	if (body) {
		sp_pack_cstr(b, "body");
		sp_pack_raw(b, rec->body, rec->body_len);
	}
}
#define RECORD_FIELDS 7

void
sp_cmd_get(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env)
{
	sp_stored st;
	sp_record rec;
	sp_write w;
	sp_txn *t;
	bool tombstones = false;
	sp_buf b;
	int r;

	if (req_record_address(env, c, req, &w) != 0)
		return;
	(void)sp_ctl_get_bool(req, "tombstones", &tombstones);
	if ((r = sp_txn_begin(sp_node_store(env->node), false, &t)) != 0) {
		sp_ctl_conn_error(c, r, NULL);
		return;
	}
	r = sp_store_get(t, w.community, w.collection, w.collection_len, w.key, w.key_len, &st);
	if (r == 0 && (r = sp_record_decode(st.data, st.len, &rec)) != 0)
		r = SP_ECORRUPT;
	if (r == 0 && (rec.flags & SP_FLAG_TOMBSTONE) && !tombstones) {
		sp_txn_abort(t);
		sp_ctl_conn_error(c, SP_ENOTFOUND, "the key was deleted");
		return;
	}
	if (r != 0) {
		sp_txn_abort(t);
		sp_ctl_conn_error(c, r, r == SP_ENOTFOUND ? NO_SUCH_KEY : NULL);
		return;
	}
	sp_buf_init(&b);
	sp_ctl_begin_reply(&b, SP_CTL_OK, RECORD_FIELDS + 1);
	pack_record(&b, &rec, st.id, true);
	sp_txn_abort(t);
	sp_reply_final(c, &b);
}

/*
 * A streamed listing (ls, export). Pages are read on the loop thread in
 * short read transactions, each resuming after the last key sent, and the
 * next page waits until the previous one has been written: a slow reader
 * holds neither memory nor a snapshot.
 */
typedef struct listing {
	sp_job base;             /* the export's column pass runs on the pool */
	sp_cmd_env *env;
	sp_ctl_conn *c;
	uint8_t community[SP_PUBKEY_BYTES];
	char collection[SP_COLLECTION_MAX + 1];
	size_t collection_len;
	char after[SP_KEY_MAX + 1];
	size_t after_len;
	bool started;
	bool all;                /* include tombstones */
	bool bodies;             /* export */
	bool done;
	uint64_t count;
	sp_buf out;
	/* export: the union of top-level body keys, sorted */
	char **columns;
	size_t ncolumns;
} listing;

static void
listing_free(listing *l)
{
	size_t i;

	for (i = 0; i < l->ncolumns; i++)
		free(l->columns[i]);
	free(l->columns);
	sp_buf_free(&l->out);
	free(l);
}

static int
page_record(void *arg, const sp_stored *st)
{
	listing *l = arg;
	sp_record rec;
	size_t start = l->out.len;
	int r;

	if ((r = sp_record_decode(st->data, st->len, &rec)) != 0)
		return SP_ECORRUPT;
	memcpy(l->after, rec.key, rec.key_len + 1);
	l->after_len = rec.key_len;
	l->started = true;
	if ((rec.flags & SP_FLAG_TOMBSTONE) && !l->all)
		return l->out.len >= PAGE_BYTES ? 1 : 0;
	sp_ctl_begin_reply(&l->out, SP_CTL_MORE, RECORD_FIELDS + (l->bodies ? 1 : 0));
	pack_record(&l->out, &rec, st->id, l->bodies);
	if ((r = sp_ctl_end(&l->out, start)) != 0)
		return r;
	l->count++;
	return l->count % PAGE_RECORDS == 0 || l->out.len >= PAGE_BYTES ? 1 : 0;
}

static void listing_step(sp_ctl_conn *c, void *arg);

static void
listing_finish(listing *l, int err)
{
	if (err != 0) {
		sp_ctl_conn_error(l->c, err, NULL);
	} else {
		sp_buf b;

		sp_buf_init(&b);
		sp_ctl_begin_reply(&b, SP_CTL_OK, 1);
		sp_pack_cstr(&b, "count");
		sp_pack_uint(&b, l->count);
		sp_reply_final(l->c, &b);
	}
	listing_free(l);
}

static void
listing_step(sp_ctl_conn *c, void *arg)
{
	listing *l = arg;
	sp_txn *t;
	int r;

	if (sp_ctl_conn_closing(c)) {
		listing_finish(l, SP_EDISCONNECTED);
		return;
	}
	if ((r = sp_txn_begin(sp_node_store(l->env->node), false, &t)) != 0) {
		listing_finish(l, r);
		return;
	}
	r = sp_store_each(t, l->community, l->collection, l->collection_len,
	    l->started ? l->after : NULL, l->after_len, page_record, l);
	sp_txn_abort(t);
	if (r < 0) {
		sp_buf_reset(&l->out);
		listing_finish(l, r);
		return;
	}
	if (l->out.len > 0 && sp_ctl_conn_send(c, &l->out, 0) != 0) {
		listing_finish(l, SP_EDISCONNECTED);
		return;
	}
	if (r == 0) {
		listing_finish(l, 0);
		return;
	}
	sp_ctl_conn_on_drain(c, listing_step, l);
}

static listing *
listing_new(sp_cmd_env *env, sp_ctl_conn *c, const sp_ctl_msg *req)
{
	sp_community_info info;
	const char *coll;
	size_t len;
	listing *l;

	if (sp_req_community(env, c, req, &info) != 0)
		return NULL;
	if (sp_ctl_get_str(req, "collection", &coll, &len) != 0 || len > SP_COLLECTION_MAX) {
		sp_ctl_conn_error(c, SP_ECOLLECTION, "field 'collection'");
		return NULL;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		sp_ctl_conn_error(c, SP_ENOMEM, NULL);
		return NULL;
	}
	l->env = env;
	l->c = c;
	memcpy(l->community, info.id, SP_PUBKEY_BYTES);
	memcpy(l->collection, coll, len);
	l->collection_len = len;
	sp_buf_init(&l->out);
	(void)sp_ctl_get_bool(req, "all", &l->all);
	return l;
}

/* Per-collection counts: what 'simpul ls COMMUNITY' shows. */
typedef struct collection_count {
	char name[SP_COLLECTION_MAX + 1];
	uint64_t live;
	uint64_t deleted;
} collection_count;

typedef struct collections {
	collection_count *v;
	size_t n;
	int err;
} collections;

static int
count_collection(void *arg, const sp_stored *st)
{
	collections *cs = arg;
	collection_count *last, *v;
	sp_record rec;

	if (sp_record_decode(st->data, st->len, &rec) != 0)
		return SP_ECORRUPT;
	last = cs->n > 0 ? &cs->v[cs->n - 1] : NULL;
	if (last == NULL || strcmp(last->name, rec.collection) != 0) {
		if ((v = realloc(cs->v, (cs->n + 1) * sizeof(*v))) == NULL)
			return SP_ENOMEM;
		cs->v = v;
		last = &v[cs->n++];
		memset(last, 0, sizeof(*last));
		memcpy(last->name, rec.collection, rec.collection_len + 1);
	}
	if (rec.flags & SP_FLAG_TOMBSTONE)
		last->deleted++;
	else
		last->live++;
	return 0;
}

/* The per-collection count reads every record: it runs on the pool, not the loop. */
typedef struct count_job {
	sp_job base;
	uint8_t community[SP_PUBKEY_BYTES];
	collections cs;
} count_job;

static void
count_run(sp_job *job)
{
	count_job *cj = (count_job *)job;
	sp_txn *t;

	if ((job->err = sp_txn_begin(sp_node_store(job->env->node), false, &t)) != 0)
		return;
	job->err = sp_store_each(t, cj->community, NULL, 0, NULL, 0, count_collection, &cj->cs);
	sp_txn_abort(t);
}

static void
count_done(sp_job *job)
{
	count_job *cj = (count_job *)job;
	sp_buf b;
	size_t i, start;
	int r;

	if (job->err != 0) {
		sp_ctl_conn_error(job->conn, job->err, NULL);
		goto out;
	}
	sp_buf_init(&b);
	for (i = 0; i < cj->cs.n; i++) {
		const collection_count *cc = &cj->cs.v[i];
		const sp_syscoll *sc = sp_syscoll_find(cc->name, strlen(cc->name));

		start = b.len;
		sp_ctl_begin_reply(&b, SP_CTL_MORE, sc != NULL ? 4 : 3);
		sp_pack_cstr(&b, "collection");
		sp_pack_cstr(&b, cc->name);
		sp_pack_cstr(&b, "records");
		sp_pack_uint(&b, cc->live);
		sp_pack_cstr(&b, "deleted");
		sp_pack_uint(&b, cc->deleted);
		if (sc != NULL) {
			sp_pack_cstr(&b, "system");
			sp_pack_cstr(&b, sc->shown_as);
		}
		(void)sp_ctl_end(&b, start);
	}
	start = b.len;
	sp_ctl_begin_reply(&b, SP_CTL_OK, 1);
	sp_pack_cstr(&b, "count");
	sp_pack_uint(&b, cj->cs.n);
	if ((r = sp_ctl_end(&b, start)) != 0) {
		sp_buf_free(&b);
		sp_ctl_conn_error(job->conn, r, NULL);
		goto out;
	}
	(void)sp_ctl_conn_send(job->conn, &b, 1);
out:
	free(cj->cs.v);
	free(cj);
}

static void
ls_collections(sp_cmd_env *env, sp_ctl_conn *c, const sp_ctl_msg *req)
{
	sp_community_info info;
	count_job *cj;

	if (sp_req_community(env, c, req, &info) != 0)
		return;
	if ((cj = calloc(1, sizeof(*cj))) == NULL) {
		sp_ctl_conn_error(c, SP_ENOMEM, NULL);
		return;
	}
	memcpy(cj->community, info.id, SP_PUBKEY_BYTES);
	cj->base.conn = c;
	cj->base.run = count_run;
	cj->base.done = count_done;
	sp_job_run(env, &cj->base);
}

void
sp_cmd_ls(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env)
{
	listing *l;

	if (sp_ctl_find(req, "collection") == NULL) {
		ls_collections(env, c, req);
		return;
	}
	if ((l = listing_new(env, c, req)) != NULL)
		listing_step(c, l);
}

/* Inserts name into the sorted column list unless present. */
static int
add_column(listing *l, const char *name, size_t len)
{
	size_t lo = 0, hi = l->ncolumns, mid;
	char **v;
	int cmp;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		cmp = sp_key_cmp(l->columns[mid], strlen(l->columns[mid]), name, len);
		if (cmp == 0)
			return 0;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (l->ncolumns >= EXPORT_MAX_COLUMNS)
		return SP_ETOOBIG;
	if ((v = realloc(l->columns, (l->ncolumns + 1) * sizeof(*v))) == NULL)
		return SP_ENOMEM;
	l->columns = v;
	memmove(&v[lo + 1], &v[lo], (l->ncolumns - lo) * sizeof(*v));
	if ((v[lo] = strndup(name, len)) == NULL)
		return SP_ENOMEM;
	l->ncolumns++;
	return 0;
}

static int
collect_columns(void *arg, const sp_stored *st)
{
	listing *l = arg;
	sp_record rec;
	sp_reader rd;
	const char *name;
	size_t len;
	uint32_t n, i;
	int r;

	if (sp_record_decode(st->data, st->len, &rec) != 0)
		return SP_ECORRUPT;
	if ((rec.flags & SP_FLAG_TOMBSTONE) && !l->all)
		return 0;
	sp_reader_init(&rd, rec.body, rec.body_len);
	if ((r = sp_read_map(&rd, &n)) != 0)
		return SP_ECORRUPT;
	for (i = 0; i < n; i++) {
		if (sp_read_str(&rd, &name, &len) != 0 || sp_read_value(&rd, SP_MAX_DEPTH) != 0)
			return SP_ECORRUPT;
		if ((r = add_column(l, name, len)) != 0)
			return r;
	}
	return 0;
}

static void
columns_run(sp_job *job)
{
	listing *l = (listing *)job;
	sp_txn *t;

	if ((job->err = sp_txn_begin(sp_node_store(job->env->node), false, &t)) != 0)
		return;
	job->err = sp_store_each(t, l->community, l->collection, l->collection_len,
	    NULL, 0, collect_columns, l);
	sp_txn_abort(t);
}

static void
columns_done(sp_job *job)
{
	listing *l = (listing *)job;
	size_t i;

	if (job->err != 0) {
		listing_finish(l, job->err);
		return;
	}
	sp_ctl_begin_reply(&l->out, SP_CTL_MORE, 1);
	sp_pack_cstr(&l->out, "columns");
	sp_pack_array(&l->out, (uint32_t)l->ncolumns);
	for (i = 0; i < l->ncolumns; i++)
		sp_pack_cstr(&l->out, l->columns[i]);
	if (sp_ctl_end(&l->out, 0) != 0 || sp_ctl_conn_send(l->c, &l->out, 0) != 0) {
		listing_finish(l, SP_EDISCONNECTED);
		return;
	}
	sp_ctl_conn_on_drain(l->c, listing_step, l);
}

void
sp_cmd_export(sp_ctl_conn *c, const sp_ctl_msg *req, sp_cmd_env *env)
{
	bool columns = false;
	listing *l;

	if ((l = listing_new(env, c, req)) == NULL)
		return;
	l->bodies = true;
	(void)sp_ctl_get_bool(req, "columns", &columns);
	if (!columns) {
		listing_step(c, l);
		return;
	}
	/* The column pass reads the whole collection: keep it off the loop. */
	l->base.conn = c;
	l->base.run = columns_run;
	l->base.done = columns_done;
	sp_job_run(env, &l->base);
}
