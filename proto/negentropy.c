#include "negentropy.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "sp_err.h"

/*
 * Negentropy protocol version 1 (docs/PROTOCOL.md, "Reconciliation"). The
 * splitting parameters and the frame size limit handling follow the C++
 * reference (hoytech/negentropy, cpp/negentropy.h): for the same sets and
 * limits this code emits the same bytes, which the conformance transcripts
 * check.
 */

enum mode {
	MODE_SKIP = 0,
	MODE_FINGERPRINT = 1,
	MODE_IDLIST = 2,
};

/* The reference's splitting: BUCKETS fingerprints, ids below IDLIST_BELOW items. */
#define BUCKETS 16
#define IDLIST_BELOW (2 * BUCKETS)
/* The reference stops adding ranges this many bytes short of the limit. */
#define FRAME_SLACK 200
#define VARINT_MAX 10
#define TS_INFINITY UINT64_MAX
#define VERSION_MIN 0x60
#define VERSION_MAX 0x6f

/*
 * An upper bound of a range: items below it belong to earlier ranges. Only
 * the first prefix_len bytes of the id go on the wire; the rest are zero.
 */
typedef struct bound {
	sp_neg_item item;
	size_t prefix_len;
} bound;

/* A 256-bit sum of ids, least significant limb first. */
typedef struct sum256 {
	uint64_t w[4];
} sum256;

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

struct sp_neg_vector {
	sp_neg_item *items;
	size_t len;
	size_t cap;
	sum256 *sums;          /* sums[i]: ids of items[0..i); len + 1 of them once sealed */
	bool sealed;
};

/* What the client reports, and to whom. */
typedef struct reporter {
	void (*have)(void *arg, const uint8_t id[SP_NEG_ID_BYTES]);
	void (*need)(void *arg, const uint8_t id[SP_NEG_ID_BYTES]);
	void *arg;
} reporter;

/* Items and bounds. */

int
sp_neg_item_cmp(const sp_neg_item *a, const sp_neg_item *b)
{
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return memcmp(a->id, b->id, SP_NEG_ID_BYTES);
}

static void
bound_infinity(bound *b)
{
	memset(b, 0, sizeof(*b));
	b->item.ts = TS_INFINITY;
}

static void
bound_of_item(bound *b, const sp_neg_item *item)
{
	b->item = *item;
	b->prefix_len = SP_NEG_ID_BYTES;
}

/*
 * The shortest bound above prev and at most curr (adjacent items): the
 * timestamp alone when they differ, else the id prefix up to and including
 * the first differing byte.
 */
static void
bound_between(bound *b, const sp_neg_item *prev, const sp_neg_item *curr)
{
	size_t shared = 0;

	memset(b, 0, sizeof(*b));
	b->item.ts = curr->ts;
	if (curr->ts != prev->ts)
		return;
	while (shared < SP_NEG_ID_BYTES && curr->id[shared] == prev->id[shared])
		shared++;
	b->prefix_len = shared < SP_NEG_ID_BYTES ? shared + 1 : SP_NEG_ID_BYTES;
	memcpy(b->item.id, curr->id, b->prefix_len);
}

/* Varints. */

static size_t
varint_encode(uint8_t out[VARINT_MAX], uint64_t v)
{
	uint8_t digits[VARINT_MAX];
	size_t n = 0, i;

	do {
		digits[n++] = v & 0x7f;
		v >>= 7;
	} while (v != 0);
	for (i = 0; i < n; i++)
		out[i] = digits[n - 1 - i] | (i + 1 < n ? 0x80 : 0);
	return n;
}

void
sp_neg_varint_put(sp_buf *out, uint64_t v)
{
	uint8_t b[VARINT_MAX];

	sp_buf_append(out, b, varint_encode(b, v));
}

/*
 * Stricter than the reference, which accepts what no encoder writes: a
 * leading zero digit (not the shortest form) and values past 64 bits.
 */
int
sp_neg_varint_get(const uint8_t **p, size_t *left, uint64_t *v)
{
	const uint8_t *q = *p;
	size_t n = *left;
	uint64_t res = 0;
	uint8_t byte;

	*v = 0;
	if (n == 0 || *q == 0x80)
		return SP_ENEG;
	do {
		if (n == 0 || res > UINT64_MAX >> 7)
			return SP_ENEG;
		byte = *q++;
		n--;
		res = res << 7 | (byte & 0x7f);
	} while (byte & 0x80);
	*p = q;
	*left = n;
	*v = res;
	return 0;
}

/* Fingerprints. */

static uint64_t
load_le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void
store_le64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static void
sum_add_id(sum256 *acc, const uint8_t id[SP_NEG_ID_BYTES])
{
	uint64_t carry = 0, x, s, c;
	int i;

	for (i = 0; i < 4; i++) {
		x = load_le64(id + 8 * i);
		s = acc->w[i] + x;
		c = s < x;
		s += carry;
		c |= s < carry;
		acc->w[i] = s;
		carry = c;
	}
}

/* a - b mod 2^256, as 32 little-endian bytes. */
static void
sum_diff_le(const sum256 *a, const sum256 *b, uint8_t out[SP_NEG_ID_BYTES])
{
	uint64_t borrow = 0, d;
	int i;

	for (i = 0; i < 4; i++) {
		d = a->w[i] - b->w[i] - borrow;
		borrow = (a->w[i] < b->w[i]) | (a->w[i] == b->w[i] && borrow);
		store_le64(out + 8 * i, d);
	}
}

void
sp_neg_fingerprint(const uint8_t *sum_le, uint64_t count,
    uint8_t out[SP_NEG_FINGERPRINT_BYTES])
{
	uint8_t input[SP_NEG_ID_BYTES + VARINT_MAX], hash[32];
	size_t n;

	memcpy(input, sum_le, SP_NEG_ID_BYTES);
	n = varint_encode(input + SP_NEG_ID_BYTES, count);
	sp_sha256(hash, input, SP_NEG_ID_BYTES + n);
	memcpy(out, hash, SP_NEG_FINGERPRINT_BYTES);
}

/* The in-memory storage. */

int
sp_neg_vector_new(sp_neg_vector **out)
{
	*out = calloc(1, sizeof(**out));
	return *out != NULL ? 0 : SP_ENOMEM;
}

void
sp_neg_vector_free(sp_neg_vector *v)
{
	if (v == NULL)
		return;
	free(v->items);
	free(v->sums);
	free(v);
}

int
sp_neg_vector_add(sp_neg_vector *v, uint64_t ts, const uint8_t id[SP_NEG_ID_BYTES])
{
	sp_neg_item *items;
	size_t cap;

	/* The largest timestamp is the protocol's infinity: no item may have it. */
	if (v->sealed || ts == TS_INFINITY)
		return SP_EINVAL;
	if (v->len == v->cap) {
		cap = v->cap != 0 ? v->cap * 2 : 64;
		if (cap > SIZE_MAX / sizeof(*items) / 2)
			return SP_ENOMEM;
		if ((items = realloc(v->items, cap * sizeof(*items))) == NULL)
			return SP_ENOMEM;
		v->items = items;
		v->cap = cap;
	}
	v->items[v->len].ts = ts;
	memcpy(v->items[v->len].id, id, SP_NEG_ID_BYTES);
	v->len++;
	return 0;
}

static int
item_qsort_cmp(const void *a, const void *b)
{
	return sp_neg_item_cmp(a, b);
}

int
sp_neg_vector_seal(sp_neg_vector *v)
{
	size_t i;
	bool sorted = true;

	if (v->sealed)
		return SP_EINVAL;
	/* Stores hand over their items already in order: skip the sort then. */
	for (i = 1; i < v->len && sorted; i++)
		sorted = sp_neg_item_cmp(&v->items[i - 1], &v->items[i]) < 0;
	if (!sorted) {
		qsort(v->items, v->len, sizeof(*v->items), item_qsort_cmp);
		for (i = 1; i < v->len; i++)
			if (sp_neg_item_cmp(&v->items[i - 1], &v->items[i]) == 0)
				return SP_EDUPKEY;
	}
	if ((v->sums = calloc(v->len + 1, sizeof(*v->sums))) == NULL)
		return SP_ENOMEM;
	for (i = 0; i < v->len; i++) {
		v->sums[i + 1] = v->sums[i];
		sum_add_id(&v->sums[i + 1], v->items[i].id);
	}
	v->sealed = true;
	return 0;
}

static size_t
vector_size(void *ctx)
{
	const sp_neg_vector *v = ctx;

	return v->len;
}

static const sp_neg_item *
vector_get(void *ctx, size_t i)
{
	const sp_neg_vector *v = ctx;

	assert(i < v->len);
	return &v->items[i];
}

static size_t
vector_lower_bound(void *ctx, size_t begin, size_t end, const sp_neg_item *key)
{
	const sp_neg_vector *v = ctx;
	size_t mid;

	while (begin < end) {
		mid = begin + (end - begin) / 2;
		if (sp_neg_item_cmp(&v->items[mid], key) < 0)
			begin = mid + 1;
		else
			end = mid;
	}
	return begin;
}

static void
vector_fingerprint(void *ctx, size_t begin, size_t end,
    uint8_t out[SP_NEG_FINGERPRINT_BYTES])
{
	const sp_neg_vector *v = ctx;
	uint8_t sum[SP_NEG_ID_BYTES];

	assert(begin <= end && end <= v->len);
	sum_diff_le(&v->sums[end], &v->sums[begin], sum);
	sp_neg_fingerprint(sum, end - begin, out);
}

void
sp_neg_vector_storage(sp_neg_vector *v, sp_neg_storage *out)
{
	assert(v->sealed);
	out->ctx = v;
	out->size = vector_size;
	out->get = vector_get;
	out->lower_bound = vector_lower_bound;
	out->fingerprint = vector_fingerprint;
}

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

/*
 * Writing a message: bound timestamps are deltas from the previous bound of
 * the same message.
 */
typedef struct writer {
	sp_buf *out;
	size_t base;           /* where the message starts in out */
	uint64_t last_ts;
} writer;

static void
writer_init(writer *w, sp_buf *out)
{
	uint8_t version = SP_NEG_PROTOCOL_V1;

	w->out = out;
	w->base = out->len;
	w->last_ts = 0;
	sp_buf_append(out, &version, 1);
}

static size_t
writer_len(const writer *w)
{
	return w->out->len - w->base;
}

static void
put_bound(writer *w, const bound *b)
{
	if (b->item.ts == TS_INFINITY) {
		sp_neg_varint_put(w->out, 0);
		w->last_ts = TS_INFINITY;
	} else {
		/* Bounds only grow within a message, so the delta is not negative. */
		sp_neg_varint_put(w->out, b->item.ts - w->last_ts + 1);
		w->last_ts = b->item.ts;
	}
	sp_neg_varint_put(w->out, b->prefix_len);
	sp_buf_append(w->out, b->item.id, b->prefix_len);
}

static void
put_fingerprint_range(writer *w, const bound *b, const uint8_t fp[SP_NEG_FINGERPRINT_BYTES])
{
	put_bound(w, b);
	sp_neg_varint_put(w->out, MODE_FINGERPRINT);
	sp_buf_append(w->out, fp, SP_NEG_FINGERPRINT_BYTES);
}

/* Ends a run of ranges that needed nothing: one Skip up to prev. */
static void
flush_skip(writer *w, bool *skip, const bound *prev)
{
	if (*skip) {
		put_bound(w, prev);
		sp_neg_varint_put(w->out, MODE_SKIP);
	}
	*skip = false;
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
split_range(sp_neg *n, writer *w, size_t lower, size_t upper, const bound *upper_bound)
{
	const sp_neg_storage *st = &n->st;
	uint8_t fp[SP_NEG_FINGERPRINT_BYTES];
	size_t num = upper - lower, per, extra, curr, size, i, buckets = BUCKETS;
	bound b;

	if (num < n->idlist_below) {
		put_bound(w, upper_bound);
		sp_neg_varint_put(w->out, MODE_IDLIST);
		sp_neg_varint_put(w->out, num);
		for (i = lower; i < upper; i++)
			sp_buf_append(w->out, st->get(st->ctx, i)->id, SP_NEG_ID_BYTES);
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
			bound_between(&b, st->get(st->ctx, curr - 1), st->get(st->ctx, curr));
		put_fingerprint_range(w, &b, fp);
	}
}

/* Reading a message. */

typedef struct reader {
	const uint8_t *p;
	size_t left;
	uint64_t last_ts;
	sp_neg_item prev;      /* the previous bound: bounds may not go down */
} reader;

typedef struct range {
	bound upper;
	enum mode mode;
	const uint8_t *payload; /* the fingerprint, or count ids */
	uint64_t count;
} range;

static void
reader_init(reader *r, const uint8_t *body, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->p = body;
	r->left = len;
}

static int
take(reader *r, size_t n, const uint8_t **out)
{
	if (n > r->left)
		return SP_ENEG;
	*out = r->p;
	r->p += n;
	r->left -= n;
	return 0;
}

/*
 * Reads one range. Timestamps decode as the reference does: 0 is
 * infinity, else the delta plus one, saturating at infinity.
 */
static int
read_range(reader *r, range *out)
{
	const uint8_t *prefix;
	uint64_t enc, ts, len, mode;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = sp_neg_varint_get(&r->p, &r->left, &enc)) != 0)
		return rc;
	ts = (enc == 0 ? TS_INFINITY : enc - 1) + r->last_ts;
	if (ts < r->last_ts)
		ts = TS_INFINITY;
	r->last_ts = ts;
	out->upper.item.ts = ts;
	if ((rc = sp_neg_varint_get(&r->p, &r->left, &len)) != 0)
		return rc;
	if (len > SP_NEG_ID_BYTES || (rc = take(r, len, &prefix)) != 0)
		return SP_ENEG;
	memcpy(out->upper.item.id, prefix, len);
	out->upper.prefix_len = len;
	if (sp_neg_item_cmp(&out->upper.item, &r->prev) < 0)
		return SP_ENEG;
	r->prev = out->upper.item;
	if ((rc = sp_neg_varint_get(&r->p, &r->left, &mode)) != 0)
		return rc;
	switch (mode) {
	case MODE_SKIP:
		break;
	case MODE_FINGERPRINT:
		if ((rc = take(r, SP_NEG_FINGERPRINT_BYTES, &out->payload)) != 0)
			return rc;
		break;
	case MODE_IDLIST:
		if ((rc = sp_neg_varint_get(&r->p, &r->left, &out->count)) != 0)
			return rc;
		/* Checked before multiplying, so that it cannot wrap. */
		if (out->count > r->left / SP_NEG_ID_BYTES)
			return SP_ENEG;
		if ((rc = take(r, (size_t)out->count * SP_NEG_ID_BYTES, &out->payload)) != 0)
			return rc;
		break;
	default:
		return SP_ENEG;
	}
	out->mode = (enum mode)mode;
	return 0;
}

/*
 * Reads the whole body once before acting on any of it, so that a
 * malformed message has no effect at all. *max_ids gets the longest IdList.
 */
static int
check_body(const uint8_t *body, size_t len, uint64_t *max_ids)
{
	reader r;
	range rg;
	int rc;

	*max_ids = 0;
	reader_init(&r, body, len);
	while (r.left != 0) {
		if ((rc = read_range(&r, &rg)) != 0)
			return rc;
		if (rg.mode == MODE_IDLIST && rg.count > *max_ids)
			*max_ids = rg.count;
	}
	return 0;
}

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
client_idlist(sp_neg *n, size_t lower, size_t upper, const range *rg,
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
server_idlist(sp_neg *n, writer *w, size_t msg_len, size_t lower, size_t *upper,
    const bound *upper_bound)
{
	const sp_neg_storage *st = &n->st;
	size_t num = 0, i;
	bound end = *upper_bound;

	while (lower + num < *upper &&
	    !over_limit(n, msg_len + num * SP_NEG_ID_BYTES))
		num++;
	if (lower + num < *upper) {
		bound_of_item(&end, st->get(st->ctx, lower + num));
		*upper = lower + num;
	}
	put_bound(w, &end);
	sp_neg_varint_put(w->out, MODE_IDLIST);
	sp_neg_varint_put(w->out, num);
	for (i = lower; i < *upper; i++)
		sp_buf_append(w->out, st->get(st->ctx, i)->id, SP_NEG_ID_BYTES);
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
answer(sp_neg *n, writer *w, const uint8_t *body, size_t len, const reporter *rep)
{
	const sp_neg_storage *st = &n->st;
	uint8_t fp[SP_NEG_FINGERPRINT_BYTES];
	size_t size = st->size(st->ctx), lower = 0, upper, keep, msg_len;
	size_t written = 0;    /* our index at the last bound written */
	bound prev, inf;
	bool skip = false;
	reader r;
	range rg;
	int rc;

	memset(&prev, 0, sizeof(prev));
	reader_init(&r, body, len);
	while (r.left != 0) {
		rc = read_range(&r, &rg);
		assert(rc == 0);
		(void)rc;
		msg_len = writer_len(w);
		keep = w->out->len;
		upper = st->lower_bound(st->ctx, lower, size, &rg.upper.item);
		if (rg.mode == MODE_FINGERPRINT) {
			st->fingerprint(st->ctx, lower, upper, fp);
			if (memcmp(fp, rg.payload, sizeof(fp)) != 0) {
				flush_skip(w, &skip, &prev);
				split_range(n, w, lower, upper, &rg.upper);
			} else {
				skip = true;
			}
		} else if (rg.mode == MODE_IDLIST && n->role == ROLE_CLIENT) {
			client_idlist(n, lower, upper, &rg, rep);
			skip = true;
		} else if (rg.mode == MODE_IDLIST) {
			flush_skip(w, &skip, &prev);
			server_idlist(n, w, msg_len, lower, &upper, &rg.upper);
			/* The reference commits this range before its limit check. */
			keep = w->out->len;
			written = upper;
		} else {
			skip = true;
		}
		if (over_limit(n, writer_len(w))) {
			w->out->len = keep;
			bound_infinity(&inf);
			st->fingerprint(st->ctx, written, size, fp);
			put_fingerprint_range(w, &inf, fp);
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
	writer w;
	bound inf;

	if (n->role != ROLE_NONE)
		return SP_EINVAL;
	if (out->err != 0)
		return out->err;
	n->role = ROLE_CLIENT;
	writer_init(&w, out);
	bound_infinity(&inf);
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
	writer w;
	int rc;

	*written = 0;
	if (out->err != 0)
		return out->err;
	if (len == 0 || msg[0] < VERSION_MIN || msg[0] > VERSION_MAX)
		return SP_ENEG;
	if (msg[0] != SP_NEG_PROTOCOL_V1) {
		/* v1: name the version we speak, so the client can retry in it. */
		if (n->role == ROLE_CLIENT)
			return SP_ENEG;
		writer_init(&w, out);
		*written = writer_len(&w);
		return out->err;
	}
	if ((rc = check_body(msg + 1, len - 1, &max_ids)) != 0)
		return rc;
	if (n->role == ROLE_CLIENT && (rc = refs_reserve(n, max_ids)) != 0)
		return rc;
	writer_init(&w, out);
	answer(n, &w, msg + 1, len - 1, rep);
	*written = writer_len(&w);
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
