#include "negentropy.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sp_err.h"

/*
 * The reconciler of Negentropy protocol version 1 (docs/PROTOCOL.md,
 * "Reconciliation"), over a storage of items (neg_vector.h), writing and
 * reading messages with neg_codec.h. The splitting parameters and the frame
 * size limit handling follow the C++ reference (hoytech/negentropy,
 * cpp/negentropy.h): for the same sets and limits this code emits the same
 * bytes, which the conformance transcripts check, except where a message is
 * cut at the frame size limit (answer()).
 */

/* The reference's splitting: BUCKETS fingerprints, ids below IDLIST_BELOW items. */
#define BUCKETS 16
#define IDLIST_BELOW (2 * BUCKETS)
/* The reference stops adding ranges this many bytes short of the limit. */
#define FRAME_SLACK 200

/* An id of the peer's IdList, while the client matches it against its own. */
typedef struct idref {
	const uint8_t *id;
	bool seen;
} idref;

enum role {
	ROLE_NONE,
	ROLE_CLIENT,
	ROLE_SERVER,
};

struct sp_neg {
	sp_neg_storage st;
	uint64_t frame_limit;
	size_t idlist_below;   /* ranges this small are sent as ids */
	enum role role;
	idref *refs;           /* scratch for the client's IdList ranges */
	size_t refs_cap;
};

/* What the client reports, and to whom. */
typedef struct reporter {
	void (*have)(void *arg, const uint8_t id[SP_NEG_ID_BYTES]);
	void (*need)(void *arg, const uint8_t id[SP_NEG_ID_BYTES]);
	void *arg;
} reporter;

/* Sessions. */

int
sp_neg_new(const sp_neg_storage *storage, uint64_t frame_size_limit, sp_neg **out)
{
	sp_neg *n;

	*out = NULL;
	if (frame_size_limit != 0 && frame_size_limit < SP_NEG_FRAME_MIN)
		return SP_EINVAL;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return SP_ENOMEM;
	n->st = *storage;
	n->frame_limit = frame_size_limit;
	n->idlist_below = IDLIST_BELOW;
	n->role = ROLE_NONE;
	*out = n;
	return 0;
}

int
sp_neg_set_idlist_below(sp_neg *n, size_t items)
{
	if (items < 2 || items > IDLIST_BELOW)
		return SP_EINVAL;
	n->idlist_below = items;
	return 0;
}

void
sp_neg_free(sp_neg *n)
{
	if (n == NULL)
		return;
	free(n->refs);
	free(n);
}

/* Writing a message. */

/* Ends a run of ranges that needed nothing: one Skip up to prev. */
static void
flush_skip(sp_neg_writer *w, bool *skip, const sp_neg_bound *prev)
{
	if (*skip)
		sp_neg_put_skip(w, prev);
	*skip = false;
}

/* An IdList of our items [lower, upper), up to b. */
static void
put_items(const sp_neg *n, sp_neg_writer *w, size_t lower, size_t upper,
    const sp_neg_bound *b)
{
	const sp_neg_storage *st = &n->st;
	size_t i;

	sp_neg_put_idlist(w, b, upper - lower);
	for (i = lower; i < upper; i++)
		sp_neg_put_id(w, st->get(st->ctx, i)->id);
}

static bool
over_limit(const sp_neg *n, size_t len)
{
	return n->frame_limit != 0 && len > n->frame_limit - FRAME_SLACK;
}

/*
 * Describes the items [lower, upper) up to upper_bound: their ids when
 * fewer than n->idlist_below, else fingerprints of nearly equal buckets
 * (the first num % buckets hold one item more): BUCKETS of them, or, for a
 * range under 2 * BUCKETS items, one per two items (at least two buckets),
 * so that a small range with one difference narrows to a couple of ids
 * instead of sending all of them.
 */
static void
split_range(sp_neg *n, sp_neg_writer *w, size_t lower, size_t upper,
    const sp_neg_bound *upper_bound)
{
	const sp_neg_storage *st = &n->st;
	uint8_t fp[SP_NEG_FINGERPRINT_BYTES];
	size_t num = upper - lower, per, extra, curr, size, i, buckets = BUCKETS;
	sp_neg_bound b;

	if (num < n->idlist_below) {
		put_items(n, w, lower, upper, upper_bound);
		return;
	}
	/* At least two buckets, or a mismatched range would never narrow. */
	if (num < 2 * BUCKETS)
		buckets = num < 4 ? 2 : num / 2;
	per = num / buckets;
	extra = num % buckets;
	curr = lower;
	for (i = 0; i < buckets; i++) {
		size = per + (i < extra ? 1 : 0);
		st->fingerprint(st->ctx, curr, curr + size, fp);
		curr += size;
		if (curr == upper)
			b = *upper_bound;
		else
			sp_neg_bound_between(&b, st->get(st->ctx, curr - 1), st->get(st->ctx, curr));
		sp_neg_put_fingerprint(w, &b, fp);
	}
}

/* Answering a message. */

static int
idref_cmp(const void *a, const void *b)
{
	const idref *x = a, *y = b;

	return memcmp(x->id, y->id, SP_NEG_ID_BYTES);
}

/*
 * Client, IdList range: our ids in [lower, upper) missing from the
 * server's list are have, the server's ids we lack there are need (each
 * once, however often the list repeats it).
 */
static void
client_idlist(sp_neg *n, size_t lower, size_t upper, const sp_neg_range *rg,
    const reporter *rep)
{
	const sp_neg_storage *st = &n->st;
	const sp_neg_item *item;
	idref key, *hit;
	size_t count = 0, i;

	for (i = 0; i < rg->count; i++) {
		n->refs[i].id = rg->payload + i * SP_NEG_ID_BYTES;
		n->refs[i].seen = false;
	}
	qsort(n->refs, rg->count, sizeof(*n->refs), idref_cmp);
	for (i = 0; i < rg->count; i++)
		if (count == 0 || idref_cmp(&n->refs[count - 1], &n->refs[i]) != 0)
			n->refs[count++] = n->refs[i];
	for (i = lower; i < upper; i++) {
		item = st->get(st->ctx, i);
		key.id = item->id;
		hit = bsearch(&key, n->refs, count, sizeof(*n->refs), idref_cmp);
		if (hit != NULL)
			hit->seen = true;
		else if (rep->have != NULL)
			rep->have(rep->arg, item->id);
	}
	for (i = 0; i < count; i++)
		if (!n->refs[i].seen && rep->need != NULL)
			rep->need(rep->arg, n->refs[i].id);
}

/*
 * Server, IdList range: our ids in [lower, *upper), cut short (as the
 * reference does) once the ids would pass the frame size limit; the cut
 * range then ends at the first id left out and *upper moves there. msg_len
 * is the message length before this range's pending Skip.
 */
static void
server_idlist(sp_neg *n, sp_neg_writer *w, size_t msg_len, size_t lower, size_t *upper,
    const sp_neg_bound *upper_bound)
{
	const sp_neg_storage *st = &n->st;
	sp_neg_bound end = *upper_bound;
	size_t num = 0;

	while (lower + num < *upper &&
	    !over_limit(n, msg_len + num * SP_NEG_ID_BYTES))
		num++;
	if (lower + num < *upper) {
		sp_neg_bound_of_item(&end, st->get(st->ctx, lower + num));
		*upper = lower + num;
	}
	put_items(n, w, lower, *upper, &end);
}

/*
 * Answers the ranges of a checked body, in the reference's manner: ranges
 * that need nothing more become one Skip (written only when something
 * follows); mismatched fingerprints are split; past the frame size limit
 * the range in hand (with its pending Skip) is dropped and one fingerprint
 * closes the message at infinity. That fingerprint covers our items from
 * the last bound written on, as the receiver's own does. The reference
 * starts it at the dropped range's end instead: it leaves out the dropped
 * and skipped items, so a receiver lacking exactly those sees a match and
 * never learns of them (tests/vectors/negentropy/frame-limit-tail).
 */
static void
answer(sp_neg *n, sp_neg_writer *w, const uint8_t *body, size_t len, const reporter *rep)
{
	const sp_neg_storage *st = &n->st;
	uint8_t fp[SP_NEG_FINGERPRINT_BYTES];
	size_t size = st->size(st->ctx), lower = 0, upper, keep, msg_len;
	size_t written = 0;    /* our index at the last bound written */
	sp_neg_bound prev, inf;
	bool skip = false;
	sp_neg_reader r;
	sp_neg_range rg;
	int rc;

	memset(&prev, 0, sizeof(prev));
	sp_neg_reader_init(&r, body, len);
	while (r.left != 0) {
		rc = sp_neg_read_range(&r, &rg);
		assert(rc == 0);
		(void)rc;
		msg_len = sp_neg_writer_len(w);
		keep = w->out->len;
		upper = st->lower_bound(st->ctx, lower, size, &rg.upper.item);
		if (rg.mode == SP_NEG_FINGERPRINT) {
			st->fingerprint(st->ctx, lower, upper, fp);
			if (memcmp(fp, rg.payload, sizeof(fp)) != 0) {
				flush_skip(w, &skip, &prev);
				split_range(n, w, lower, upper, &rg.upper);
			} else {
				skip = true;
			}
		} else if (rg.mode == SP_NEG_IDLIST && n->role == ROLE_CLIENT) {
			client_idlist(n, lower, upper, &rg, rep);
			skip = true;
		} else if (rg.mode == SP_NEG_IDLIST) {
			flush_skip(w, &skip, &prev);
			server_idlist(n, w, msg_len, lower, &upper, &rg.upper);
			/* The reference commits this range before its limit check. */
			keep = w->out->len;
			written = upper;
		} else {
			skip = true;
		}
		if (over_limit(n, sp_neg_writer_len(w))) {
			w->out->len = keep;
			sp_neg_bound_infinity(&inf);
			st->fingerprint(st->ctx, written, size, fp);
			sp_neg_put_fingerprint(w, &inf, fp);
			break;
		}
		if (w->out->len != keep)
			written = upper;
		lower = upper;
		prev = rg.upper;
	}
}

int
sp_neg_initiate(sp_neg *n, sp_buf *out)
{
	sp_neg_writer w;
	sp_neg_bound inf;

	if (n->role != ROLE_NONE)
		return SP_EINVAL;
	if (out->err != 0)
		return out->err;
	n->role = ROLE_CLIENT;
	sp_neg_writer_init(&w, out);
	sp_neg_bound_infinity(&inf);
	split_range(n, &w, 0, n->st.size(n->st.ctx), &inf);
	return out->err;
}

/*
 * Grows the client's IdList scratch to count entries (bounded by the
 * message length). Never left NULL: qsort and bsearch want an array even
 * when it is empty.
 */
static int
refs_reserve(sp_neg *n, uint64_t count)
{
	idref *refs;

	if (count == 0)
		count = 1;
	if (count <= n->refs_cap)
		return 0;
	if ((refs = calloc((size_t)count, sizeof(*refs))) == NULL)
		return SP_ENOMEM;
	free(n->refs);
	n->refs = refs;
	n->refs_cap = (size_t)count;
	return 0;
}

/*
 * Both roles: checks the version byte and the body, then answers.
 * *written gets the length of the message appended to out.
 */
static int
reconcile(sp_neg *n, const uint8_t *msg, size_t len, sp_buf *out,
    const reporter *rep, size_t *written)
{
	uint64_t max_ids;
	sp_neg_writer w;
	int rc;

	*written = 0;
	if (out->err != 0)
		return out->err;
	if (len == 0 || msg[0] < SP_NEG_VERSION_MIN || msg[0] > SP_NEG_VERSION_MAX)
		return SP_ENEG;
	if (msg[0] != SP_NEG_PROTOCOL_V1) {
		/* v1: name the version we speak, so the client can retry in it. */
		if (n->role == ROLE_CLIENT)
			return SP_ENEG;
		sp_neg_writer_init(&w, out);
		*written = sp_neg_writer_len(&w);
		return out->err;
	}
	if ((rc = sp_neg_check_body(msg + 1, len - 1, &max_ids)) != 0)
		return rc;
	if (n->role == ROLE_CLIENT && (rc = refs_reserve(n, max_ids)) != 0)
		return rc;
	sp_neg_writer_init(&w, out);
	answer(n, &w, msg + 1, len - 1, rep);
	*written = sp_neg_writer_len(&w);
	return out->err;
}

int
sp_neg_reconcile(sp_neg *n, const uint8_t *msg, size_t len, sp_buf *out)
{
	static const reporter none = { NULL, NULL, NULL };
	size_t written;

	if (n->role == ROLE_CLIENT)
		return SP_EINVAL;
	n->role = ROLE_SERVER;
	return reconcile(n, msg, len, out, &none, &written);
}

int
sp_neg_reconcile_client(sp_neg *n, const uint8_t *msg, size_t len, sp_buf *out,
    void (*have)(void *arg, const uint8_t id[SP_NEG_ID_BYTES]),
    void (*need)(void *arg, const uint8_t id[SP_NEG_ID_BYTES]),
    void *arg, bool *done)
{
	const reporter rep = { have, need, arg };
	size_t written;
	int rc;

	*done = false;
	if (n->role != ROLE_CLIENT)
		return SP_EINVAL;
	if ((rc = reconcile(n, msg, len, out, &rep, &written)) != 0)
		return rc;
	/* Nothing left to ask: the bare version byte is not sent. */
	if (written == 1) {
		out->len -= written;
		*done = true;
	}
	return 0;
}
