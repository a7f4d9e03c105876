#include "neg_codec.h"

#include <string.h>

#include "crypto.h"
#include "sp_err.h"

/* Bounds. */

void
sp_neg_bound_infinity(sp_neg_bound *b)
{
	memset(b, 0, sizeof(*b));
	b->item.ts = SP_NEG_TS_INFINITY;
}

void
sp_neg_bound_of_item(sp_neg_bound *b, const sp_neg_item *item)
{
	b->item = *item;
	b->prefix_len = SP_NEG_ID_BYTES;
}

void
sp_neg_bound_between(sp_neg_bound *b, const sp_neg_item *prev, const sp_neg_item *curr)
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
varint_encode(uint8_t out[SP_NEG_VARINT_MAX], uint64_t v)
{
	uint8_t digits[SP_NEG_VARINT_MAX];
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
	uint8_t b[SP_NEG_VARINT_MAX];

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

void
sp_neg_fingerprint(const uint8_t *sum_le, uint64_t count,
    uint8_t out[SP_NEG_FINGERPRINT_BYTES])
{
	uint8_t input[SP_NEG_ID_BYTES + SP_NEG_VARINT_MAX], hash[32];
	size_t n;

	memcpy(input, sum_le, SP_NEG_ID_BYTES);
	n = varint_encode(input + SP_NEG_ID_BYTES, count);
	sp_sha256(hash, input, SP_NEG_ID_BYTES + n);
	memcpy(out, hash, SP_NEG_FINGERPRINT_BYTES);
}

/* Writing. */

void
sp_neg_writer_init(sp_neg_writer *w, sp_buf *out)
{
	uint8_t version = SP_NEG_PROTOCOL_V1;

	w->out = out;
	w->base = out->len;
	w->last_ts = 0;
	sp_buf_append(out, &version, 1);
}

size_t
sp_neg_writer_len(const sp_neg_writer *w)
{
	return w->out->len - w->base;
}

static void
put_bound(sp_neg_writer *w, const sp_neg_bound *b, enum sp_neg_mode mode)
{
	if (b->item.ts == SP_NEG_TS_INFINITY) {
		sp_neg_varint_put(w->out, 0);
		w->last_ts = SP_NEG_TS_INFINITY;
	} else {
		/*
		 * Bounds do not go down and a finite one is at most 2^64-2, so
		 * the delta plus one is at most 2^64-1: it never wraps.
		 */
		sp_neg_varint_put(w->out, b->item.ts - w->last_ts + 1);
		w->last_ts = b->item.ts;
	}
	sp_neg_varint_put(w->out, b->prefix_len);
	sp_buf_append(w->out, b->item.id, b->prefix_len);
	sp_neg_varint_put(w->out, mode);
}

void
sp_neg_put_skip(sp_neg_writer *w, const sp_neg_bound *b)
{
	put_bound(w, b, SP_NEG_SKIP);
}

void
sp_neg_put_fingerprint(sp_neg_writer *w, const sp_neg_bound *b,
    const uint8_t fp[SP_NEG_FINGERPRINT_BYTES])
{
	put_bound(w, b, SP_NEG_FINGERPRINT);
	sp_buf_append(w->out, fp, SP_NEG_FINGERPRINT_BYTES);
}

void
sp_neg_put_idlist(sp_neg_writer *w, const sp_neg_bound *b, uint64_t count)
{
	put_bound(w, b, SP_NEG_IDLIST);
	sp_neg_varint_put(w->out, count);
}

void
sp_neg_put_id(sp_neg_writer *w, const uint8_t id[SP_NEG_ID_BYTES])
{
	sp_buf_append(w->out, id, SP_NEG_ID_BYTES);
}

/* Reading. */

void
sp_neg_reader_init(sp_neg_reader *r, const uint8_t *body, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->p = body;
	r->left = len;
}

static int
take(sp_neg_reader *r, size_t n, const uint8_t **out)
{
	if (n > r->left)
		return SP_ENEG;
	*out = r->p;
	r->p += n;
	r->left -= n;
	return 0;
}

int
sp_neg_read_range(sp_neg_reader *r, sp_neg_range *out)
{
	const uint8_t *prefix;
	uint64_t enc, ts, len, mode;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = sp_neg_varint_get(&r->p, &r->left, &enc)) != 0)
		return rc;
	ts = (enc == 0 ? SP_NEG_TS_INFINITY : enc - 1) + r->last_ts;
	if (ts < r->last_ts)
		ts = SP_NEG_TS_INFINITY;
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
	case SP_NEG_SKIP:
		break;
	case SP_NEG_FINGERPRINT:
		if ((rc = take(r, SP_NEG_FINGERPRINT_BYTES, &out->payload)) != 0)
			return rc;
		break;
	case SP_NEG_IDLIST:
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
	out->mode = (enum sp_neg_mode)mode;
	return 0;
}

int
sp_neg_check_body(const uint8_t *body, size_t len, uint64_t *max_ids)
{
	sp_neg_reader r;
	sp_neg_range rg;
	int rc;

	*max_ids = 0;
	sp_neg_reader_init(&r, body, len);
	while (r.left != 0) {
		if ((rc = sp_neg_read_range(&r, &rg)) != 0)
			return rc;
		if (rg.mode == SP_NEG_IDLIST && rg.count > *max_ids)
			*max_ids = rg.count;
	}
	return 0;
}
