#include "charter.h"

#include <stdlib.h>
#include <string.h>

#include "pack.h"
#include "reader.h"
#include "sp_err.h"

#define KEY_BYTES 32

struct member {
	uint8_t key[KEY_BYTES];
	bool admin;
};

/* Members sorted by key, which is also the order of both body arrays. */
struct sp_charter {
	struct member *m;
	size_t n, cap;
	size_t admins;
};

static const char k_admins[] = "admins";
static const char k_writers[] = "writers";

sp_charter *
sp_charter_new(void)
{
	return calloc(1, sizeof(sp_charter));
}

void
sp_charter_free(sp_charter *c)
{
	if (c == NULL)
		return;
	free(c->m);
	free(c);
}

/* Room for want members; never above SP_CHARTER_MAX. */
static int
reserve(sp_charter *c, size_t want)
{
	struct member *m;
	size_t cap;

	if (want <= c->cap)
		return 0;
	if (want > SP_CHARTER_MAX)
		return SP_ETOOBIG;
	cap = c->cap != 0 ? c->cap * 2 : 8;
	if (cap < want)
		cap = want;
	if (cap > SP_CHARTER_MAX)
		cap = SP_CHARTER_MAX;
	if ((m = realloc(c->m, cap * sizeof(*m))) == NULL)
		return SP_ENOMEM;
	c->m = m;
	c->cap = cap;
	return 0;
}

/*
 * Binary search: returns true if key is a member, and in *at its index or
 * the index where it would be inserted.
 */
static bool
find(const sp_charter *c, const uint8_t key[KEY_BYTES], size_t *at)
{
	size_t lo = 0, hi = c->n, mid;
	int cmp;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		cmp = memcmp(c->m[mid].key, key, KEY_BYTES);
		if (cmp == 0) {
			*at = mid;
			return true;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return false;
}

static int
read_key(sp_reader *r, const uint8_t **key)
{
	size_t len;

	if (sp_read_bin(r, key, &len) != 0 || len != KEY_BYTES)
		return SP_ECHARTER;
	return 0;
}

/* The map key name, exactly. */
static int
expect_name(sp_reader *r, const char *name)
{
	const char *s;
	size_t len;

	if (sp_read_str(r, &s, &len) != 0 || len != strlen(name) ||
	    memcmp(s, name, len) != 0)
		return SP_ECHARTER;
	return 0;
}

/*
 * In a canonical array every 32-byte key is a bin8 item, a 2-byte header
 * and the key, so a checked array's keys sit at a fixed stride.
 */
#define KEY_ITEM (2 + KEY_BYTES)

/*
 * An array of strictly ascending 32-byte keys, at most SP_CHARTER_MAX.
 * *first points at the first key (NULL if none).
 */
static int
check_keys(sp_reader *r, const uint8_t **first, uint32_t *n)
{
	const uint8_t *key, *prev = NULL;
	uint32_t i;

	*first = NULL;
	if (sp_read_array(r, n) != 0 || *n > SP_CHARTER_MAX)
		return SP_ECHARTER;
	for (i = 0; i < *n; i++) {
		if (read_key(r, &key) != 0)
			return SP_ECHARTER;
		if (prev == NULL)
			*first = key;
		else if (memcmp(prev, key, KEY_BYTES) >= 0)
			return SP_ECHARTER;
		prev = key;
	}
	return 0;
}

/*
 * Merges the checked arrays. Both are sorted, so an admin that is not a
 * writer is one the walk over the writers passes without meeting.
 */
static int
fill(sp_charter *c, const uint8_t *adm, uint32_t na, const uint8_t *wr,
    uint32_t nw)
{
	const uint8_t *w;
	uint32_t ai = 0, i;
	int rc;

	if ((rc = reserve(c, nw)) != 0)
		return rc;
	for (i = 0; i < nw; i++) {
		w = wr + (size_t)i * KEY_ITEM;
		memcpy(c->m[i].key, w, KEY_BYTES);
		c->m[i].admin = ai < na &&
		    memcmp(adm + (size_t)ai * KEY_ITEM, w, KEY_BYTES) == 0;
		if (c->m[i].admin)
			ai++;
	}
	c->n = nw;
	c->admins = ai;
	return ai == na ? 0 : SP_ECHARTER;
}

int
sp_charter_decode(const uint8_t *body, size_t len, sp_charter **out)
{
	const uint8_t *adm, *wr;
	sp_charter *c = NULL;
	uint32_t n, na, nw;
	sp_reader r;
	int rc = SP_ECHARTER;

	*out = NULL;
	sp_reader_init(&r, body, len);
	if (sp_read_map(&r, &n) != 0 || n != 2)
		goto out;
	if (expect_name(&r, k_admins) != 0 || check_keys(&r, &adm, &na) != 0)
		goto out;
	if (expect_name(&r, k_writers) != 0 || check_keys(&r, &wr, &nw) != 0)
		goto out;
	if (sp_reader_end(&r) != 0)
		goto out;
	if ((c = sp_charter_new()) == NULL) {
		rc = SP_ENOMEM;
		goto out;
	}
	if ((rc = fill(c, adm, na, wr, nw)) != 0)
		goto out;
	*out = c;
	c = NULL;
out:
	sp_charter_free(c);
	return rc;
}

static void
pack_keys(const sp_charter *c, sp_buf *out, bool admins_only)
{
	size_t i;

	sp_pack_array(out, (uint32_t)(admins_only ? c->admins : c->n));
	for (i = 0; i < c->n; i++)
		if (!admins_only || c->m[i].admin)
			sp_pack_bin(out, c->m[i].key, KEY_BYTES);
}

int
sp_charter_encode(const sp_charter *c, sp_buf *out)
{
	sp_pack_map(out, 2);
	sp_pack_cstr(out, k_admins);
	pack_keys(c, out, true);
	sp_pack_cstr(out, k_writers);
	pack_keys(c, out, false);
	return out->err;
}

bool
sp_charter_is_writer(const sp_charter *c, const uint8_t key[32])
{
	size_t at;

	return find(c, key, &at);
}

bool
sp_charter_is_admin(const sp_charter *c, const uint8_t key[32])
{
	size_t at;

	return find(c, key, &at) && c->m[at].admin;
}

int
sp_charter_set(sp_charter *c, const uint8_t key[32], bool admin)
{
	size_t at;
	int rc;

	if (find(c, key, &at)) {
		if (c->m[at].admin == admin)
			return 0;
		if (!admin && c->admins == 1)
			return SP_ELASTADMIN;
		c->m[at].admin = admin;
		if (admin)
			c->admins++;
		else
			c->admins--;
		return 0;
	}
	if ((rc = reserve(c, c->n + 1)) != 0)
		return rc;
	memmove(&c->m[at + 1], &c->m[at], (c->n - at) * sizeof(c->m[0]));
	memcpy(c->m[at].key, key, KEY_BYTES);
	c->m[at].admin = admin;
	c->n++;
	c->admins += admin;
	return 0;
}

int
sp_charter_remove(sp_charter *c, const uint8_t key[32])
{
	size_t at;

	if (!find(c, key, &at))
		return SP_ENOTFOUND;
	if (c->m[at].admin) {
		if (c->admins == 1)
			return SP_ELASTADMIN;
		c->admins--;
	}
	memmove(&c->m[at], &c->m[at + 1], (c->n - at - 1) * sizeof(c->m[0]));
	c->n--;
	return 0;
}

size_t
sp_charter_count(const sp_charter *c)
{
	return c->n;
}

void
sp_charter_member(const sp_charter *c, size_t i, uint8_t key[32], bool *admin)
{
	memcpy(key, c->m[i].key, KEY_BYTES);
	*admin = c->m[i].admin;
}
