#include "reader.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "buf.h"
#include "sp_err.h"

/*
 * One msgpack item as its header describes it, after the canonical checks.
 * Strings and binaries have been consumed with their payload; arrays and
 * maps only with their header, so the caller reads their elements next.
 */
struct item {
	enum sp_mp_type type;
	uint64_t u;          /* SP_MP_UINT value; SP_MP_BOOL as 0 or 1 */
	int64_t i;           /* SP_MP_INT value, always negative */
	double d;            /* SP_MP_FLOAT */
	uint32_t n;          /* str/bin byte length, array/map element count */
	const uint8_t *data; /* str/bin payload, inside the input */
};

/*
 * Smallest value each wider form may carry, indexed by log2 of the size of
 * the value or length that follows the tag byte. Anything smaller has a
 * shorter encoding and is therefore not canonical.
 */
static const uint64_t uint_min[4] = { 0x80, 0x100, 0x10000, 0x100000000 };
/* Signed forms hold negatives only, below what the next shorter form holds. */
static const int64_t int_max[4] = { -33, -129, -32769, -2147483649LL };
/* str8 exists for lengths fixstr cannot hold (32 and up). */
static const uint64_t str_min[3] = { 32, 0x100, 0x10000 };
/* bin has no fixed form, so bin8 is the shortest for lengths 0..255. */
static const uint64_t bin_min[3] = { 0, 0x100, 0x10000 };
/* array16/map16 exist for counts the fixed forms cannot hold (16 and up). */
static const uint64_t cont_min[3] = { 0, 16, 0x10000 };

void
sp_reader_init(sp_reader *r, const void *data, size_t len)
{
	r->p = data;
	r->left = len;
}

size_t
sp_reader_offset(const sp_reader *r, const void *start)
{
	return (size_t)(r->p - (const uint8_t *)start);
}

int
sp_reader_end(const sp_reader *r)
{
	return r->left == 0 ? 0 : SP_ETRAILING;
}

/* Consumes n bytes, pointing *p at them, or fails without consuming. */
static int
take(sp_reader *r, size_t n, const uint8_t **p)
{
	if (r->left < n)
		return SP_ETRUNCATED;
	*p = r->p;
	r->p += n;
	r->left -= n;
	return 0;
}

/* Consumes a big-endian unsigned number of 1 << lg bytes (lg 0 to 3). */
static int
take_be(sp_reader *r, unsigned lg, uint64_t *v)
{
	const uint8_t *p;
	int rc;

	if ((rc = take(r, (size_t)1 << lg, &p)) != 0)
		return rc;
	switch (lg) {
	case 0:
		*v = p[0];
		break;
	case 1:
		*v = sp_get_be16(p);
		break;
	case 2:
		*v = sp_get_be32(p);
		break;
	default:
		*v = sp_get_be64(p);
		break;
	}
	return 0;
}

/* Two's complement of 1 << lg bytes to int64, without implementation-defined casts. */
static int64_t
sign_extend(uint64_t v, unsigned lg)
{
	unsigned bits = 8u << lg;

	if (bits < 64 && (v >> (bits - 1)) != 0)
		v |= ~(uint64_t)0 << bits;
	return v <= INT64_MAX ? (int64_t)v : -(int64_t)~v - 1;
}

static int
read_uint(sp_reader *r, unsigned lg, struct item *it)
{
	int rc;

	if ((rc = take_be(r, lg, &it->u)) != 0)
		return rc;
	if (it->u < uint_min[lg])
		return SP_ENONCANON_INT;
	it->type = SP_MP_UINT;
	return 0;
}

static int
read_sint(sp_reader *r, unsigned lg, struct item *it)
{
	uint64_t v;
	int rc;

	if ((rc = take_be(r, lg, &v)) != 0)
		return rc;
	it->i = sign_extend(v, lg);
	/* Non-negative values belong to the unsigned family. */
	if (it->i > int_max[lg])
		return SP_ENONCANON_INT;
	it->type = SP_MP_INT;
	return 0;
}

static int
read_double(sp_reader *r, struct item *it)
{
	uint64_t bits;
	int rc;

	if ((rc = take_be(r, 3, &bits)) != 0)
		return rc;
	memcpy(&it->d, &bits, sizeof(it->d));
	if (!isfinite(it->d))
		return SP_ENAN;
	it->type = SP_MP_FLOAT;
	return 0;
}

/*
 * A string or binary of length len (already read from a header of the given
 * minimum). The length is checked against the input before its form, so a
 * huge declared size is reported as such.
 */
static int
read_bytes(sp_reader *r, enum sp_mp_type type, uint64_t len, uint64_t min,
    struct item *it)
{
	int rc;

	if ((rc = take(r, len, &it->data)) != 0)
		return rc;
	if (len < min)
		return SP_ENONCANON_LEN;
	if (type == SP_MP_STR && !sp_utf8_valid(it->data, len))
		return SP_EUTF8;
	it->type = type;
	it->n = (uint32_t)len;
	return 0;
}

static int
read_sized_bytes(sp_reader *r, enum sp_mp_type type, unsigned lg,
    uint64_t min, struct item *it)
{
	uint64_t len;
	int rc;

	if ((rc = take_be(r, lg, &len)) != 0)
		return rc;
	return read_bytes(r, type, len, min, it);
}

/*
 * An array or map header with n elements. Every element takes at least one
 * byte (two for a map entry), which bounds n by the input before anything
 * else is looked at.
 */
static int
read_container(const sp_reader *r, enum sp_mp_type type, uint64_t n,
    uint64_t min, struct item *it)
{
	uint64_t per = type == SP_MP_MAP ? 2 : 1;

	if (n > r->left / per)
		return SP_ECOUNT;
	if (n < min)
		return SP_ENONCANON_LEN;
	it->type = type;
	it->n = (uint32_t)n;
	return 0;
}

static int
read_sized_container(sp_reader *r, enum sp_mp_type type, unsigned lg,
    struct item *it)
{
	uint64_t n;
	int rc;

	if ((rc = take_be(r, lg, &n)) != 0)
		return rc;
	return read_container(r, type, n, cont_min[lg], it);
}

/* Reads one item's header (and a string's or binary's payload). */
static int
read_item(sp_reader *r, struct item *it)
{
	const uint8_t *p;
	uint8_t tag;
	int rc;

	memset(it, 0, sizeof(*it));
	if ((rc = take(r, 1, &p)) != 0)
		return rc;
	tag = *p;
	if (tag <= 0x7f) {
		it->type = SP_MP_UINT;
		it->u = tag;
		return 0;
	}
	if (tag >= 0xe0) {
		it->type = SP_MP_INT;
		it->i = (int64_t)tag - 0x100;
		return 0;
	}
	if (tag <= 0x8f)
		return read_container(r, SP_MP_MAP, tag & 0x0fu, 0, it);
	if (tag <= 0x9f)
		return read_container(r, SP_MP_ARRAY, tag & 0x0fu, 0, it);
	if (tag <= 0xbf)
		return read_bytes(r, SP_MP_STR, tag & 0x1fu, 0, it);
	switch (tag) {
	case 0xc0:
		it->type = SP_MP_NIL;
		return 0;
	case 0xc1:
		return SP_ERESERVED_BYTE;
	case 0xc2:
	case 0xc3:
		it->type = SP_MP_BOOL;
		it->u = tag == 0xc3;
		return 0;
	case 0xc4:
	case 0xc5:
	case 0xc6:
		return read_sized_bytes(r, SP_MP_BIN, tag - 0xc4u,
		    bin_min[tag - 0xc4], it);
	case 0xca:
		return SP_EFLOAT32;
	case 0xcb:
		return read_double(r, it);
	case 0xcc:
	case 0xcd:
	case 0xce:
	case 0xcf:
		return read_uint(r, tag - 0xccu, it);
	case 0xd0:
	case 0xd1:
	case 0xd2:
	case 0xd3:
		return read_sint(r, tag - 0xd0u, it);
	case 0xd9:
	case 0xda:
	case 0xdb:
		return read_sized_bytes(r, SP_MP_STR, tag - 0xd9u,
		    str_min[tag - 0xd9], it);
	case 0xdc:
	case 0xdd:
		return read_sized_container(r, SP_MP_ARRAY, tag - 0xdbu, it);
	case 0xde:
	case 0xdf:
		return read_sized_container(r, SP_MP_MAP, tag - 0xddu, it);
	default:
		/* 0xc7-0xc9 ext and 0xd4-0xd8 fixext: nothing else is left. */
		return SP_EEXT;
	}
}

enum sp_mp_type
sp_reader_peek(const sp_reader *r)
{
	uint8_t tag;

	if (r->left == 0)
		return SP_MP_INVALID;
	tag = *r->p;
	if (tag <= 0x7f || (tag >= 0xcc && tag <= 0xcf))
		return SP_MP_UINT;
	if (tag >= 0xe0 || (tag >= 0xd0 && tag <= 0xd3))
		return SP_MP_INT;
	if (tag <= 0x8f || tag == 0xde || tag == 0xdf)
		return SP_MP_MAP;
	if (tag <= 0x9f || tag == 0xdc || tag == 0xdd)
		return SP_MP_ARRAY;
	if (tag <= 0xbf || (tag >= 0xd9 && tag <= 0xdb))
		return SP_MP_STR;
	switch (tag) {
	case 0xc0:
		return SP_MP_NIL;
	case 0xc2:
	case 0xc3:
		return SP_MP_BOOL;
	case 0xc4:
	case 0xc5:
	case 0xc6:
		return SP_MP_BIN;
	case 0xca:
	case 0xcb:
		return SP_MP_FLOAT;
	default:
		return SP_MP_INVALID;
	}
}

/*
 * Reads one item that must be of type want. The reader only advances on
 * success, so a caller may try another type after SP_ETYPE.
 */
static int
read_typed(sp_reader *r, enum sp_mp_type want, struct item *it)
{
	sp_reader t = *r;
	int rc;

	if ((rc = read_item(&t, it)) != 0)
		return rc;
	if (it->type != want)
		return SP_ETYPE;
	*r = t;
	return 0;
}

int
sp_read_nil(sp_reader *r)
{
	struct item it;

	return read_typed(r, SP_MP_NIL, &it);
}

int
sp_read_bool(sp_reader *r, bool *out)
{
	struct item it;
	int rc;

	*out = false;
	if ((rc = read_typed(r, SP_MP_BOOL, &it)) != 0)
		return rc;
	*out = it.u != 0;
	return 0;
}

int
sp_read_uint(sp_reader *r, uint64_t *out)
{
	struct item it;
	int rc;

	*out = 0;
	if ((rc = read_typed(r, SP_MP_UINT, &it)) != 0)
		return rc;
	*out = it.u;
	return 0;
}

int
sp_read_int(sp_reader *r, int64_t *out)
{
	sp_reader t = *r;
	struct item it;
	int rc;

	*out = 0;
	if ((rc = read_item(&t, &it)) != 0)
		return rc;
	if (it.type == SP_MP_INT) {
		*out = it.i;
	} else if (it.type == SP_MP_UINT) {
		if (it.u > INT64_MAX)
			return SP_EINTRANGE;
		*out = (int64_t)it.u;
	} else {
		return SP_ETYPE;
	}
	*r = t;
	return 0;
}

int
sp_read_double(sp_reader *r, double *out)
{
	struct item it;
	int rc;

	*out = 0;
	if ((rc = read_typed(r, SP_MP_FLOAT, &it)) != 0)
		return rc;
	*out = it.d;
	return 0;
}

int
sp_read_str(sp_reader *r, const char **s, size_t *len)
{
	struct item it;
	int rc;

	*s = NULL;
	*len = 0;
	if ((rc = read_typed(r, SP_MP_STR, &it)) != 0)
		return rc;
	*s = (const char *)it.data;
	*len = it.n;
	return 0;
}

int
sp_read_bin(sp_reader *r, const uint8_t **p, size_t *len)
{
	struct item it;
	int rc;

	*p = NULL;
	*len = 0;
	if ((rc = read_typed(r, SP_MP_BIN, &it)) != 0)
		return rc;
	*p = it.data;
	*len = it.n;
	return 0;
}

int
sp_read_array(sp_reader *r, uint32_t *n)
{
	struct item it;
	int rc;

	*n = 0;
	if ((rc = read_typed(r, SP_MP_ARRAY, &it)) != 0)
		return rc;
	*n = it.n;
	return 0;
}

int
sp_read_map(sp_reader *r, uint32_t *n)
{
	struct item it;
	int rc;

	*n = 0;
	if ((rc = read_typed(r, SP_MP_MAP, &it)) != 0)
		return rc;
	*n = it.n;
	return 0;
}

static int read_value(sp_reader *r, unsigned depth);

/* The n entries of a map whose header was read; values get depth levels. */
static int
read_map_entries(sp_reader *r, uint32_t n, unsigned depth)
{
	const uint8_t *prev = NULL;
	size_t prev_len = 0;
	struct item key;
	uint32_t i;
	int c, rc;

	for (i = 0; i < n; i++) {
		if ((rc = read_item(r, &key)) != 0)
			return rc;
		if (key.type != SP_MP_STR)
			return SP_EKEYTYPE;
		if (i > 0) {
			c = sp_key_cmp(prev, prev_len, key.data, key.n);
			if (c == 0)
				return SP_EDUPKEY;
			if (c > 0)
				return SP_EKEYORDER;
		}
		prev = key.data;
		prev_len = key.n;
		if ((rc = read_value(r, depth)) != 0)
			return rc;
	}
	return 0;
}

/*
 * Recursive, but each level consumes one of at most SP_MAX_DEPTH levels
 * before descending, so the stack stays bounded whatever the input.
 */
static int
read_value(sp_reader *r, unsigned depth)
{
	struct item it;
	uint32_t i;
	int rc;

	if ((rc = read_item(r, &it)) != 0)
		return rc;
	switch (it.type) {
	case SP_MP_UINT:
		return it.u > INT64_MAX ? SP_EINTRANGE : 0;
	case SP_MP_ARRAY:
		if (depth == 0)
			return SP_EDEPTH;
		for (i = 0; i < it.n; i++)
			if ((rc = read_value(r, depth - 1)) != 0)
				return rc;
		return 0;
	case SP_MP_MAP:
		if (depth == 0)
			return SP_EDEPTH;
		return read_map_entries(r, it.n, depth - 1);
	default:
		return 0;
	}
}

int
sp_read_value(sp_reader *r, unsigned depth)
{
	assert(depth <= SP_MAX_DEPTH);
	return read_value(r, depth);
}

bool
sp_utf8_valid(const void *s, size_t len)
{
	const uint8_t *p = s, *end = p + len;
	uint32_t cp, min;
	size_t i, n;

	while (p < end) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf) {
			n = 1;
			cp = *p & 0x1fu;
			min = 0x80;
		} else if ((*p & 0xf0) == 0xe0) {
			n = 2;
			cp = *p & 0x0fu;
			min = 0x800;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			n = 3;
			cp = *p & 0x07u;
			min = 0x10000;
		} else {
			return false;
		}
		if ((size_t)(end - p) <= n)
			return false;
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3fu);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

int
sp_key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = n != 0 ? memcmp(a, b, n) : 0;

	if (c != 0 || alen == blen)
		return c;
	return alen < blen ? -1 : 1;
}

bool
sp_utf8_printable(const char *s, size_t len)
{
	size_t i;

	/*
	 * In valid UTF-8 every byte below 0x80 is a character of its own, so
	 * the control characters can be found bytewise.
	 */
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

bool
sp_read_name(sp_reader *r, const char *name)
{
	const char *s;
	size_t len;

	return sp_read_str(r, &s, &len) == 0 && len == strlen(name) && memcmp(s, name, len) == 0;
}

bool
sp_read_text(sp_reader *r, char *out, size_t max)
{
	const char *s;
	size_t len;

	if (sp_read_str(r, &s, &len) != 0 || len < 1 || len > max || !sp_utf8_printable(s, len))
		return false;
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}
