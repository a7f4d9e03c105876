#include "neg_vector.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sp_err.h"

/* A 256-bit sum of ids, least significant limb first. */
typedef struct sum256 {
	uint64_t w[4];
} sum256;

struct sp_neg_vector {
	sp_neg_item *items;
	size_t len;
	size_t cap;
	sum256 *sums;          /* sums[i]: ids of items[0..i); len + 1 of them once sealed */
	bool sealed;
};

/* Sums of ids, mod 2^256. */

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

	if (v->sealed || ts == SP_NEG_TS_INFINITY)
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
