#include "record.h"

#include <string.h>

#include "base32.h"
#include "body.h"
#include "crypto.h"
#include "hlc.h"
#include "pack.h"
#include "reader.h"
#include "sp_err.h"

#define RECORD_FIELDS 10

static const char *const label_names[SP_LABEL_COUNT] = {
	[SP_LABEL_PRIVATE] = "private",
	[SP_LABEL_COMMUNITY] = "community",
	[SP_LABEL_SHARED] = "shared",
	[SP_LABEL_PUBLIC] = "public",
};

int
sp_collection_check(const char *s, size_t len, bool allow_reserved)
{
	size_t i;
	char c;

	if (len == 0 || len > SP_COLLECTION_MAX)
		return SP_ECOLLECTION;
	for (i = 0; i < len; i++) {
		c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return SP_ECOLLECTION;
	}
	if (!allow_reserved && (s[0] == '.' || s[0] == '_'))
		return SP_ERESERVED;
	return 0;
}

int
sp_key_check(const char *s, size_t len)
{
	if (len == 0 || len > SP_KEY_MAX || !sp_utf8_valid(s, len) || !sp_utf8_printable(s, len))
		return SP_EKEY;
	return 0;
}

int
sp_alias_check(const char *s, size_t len)
{
	uint8_t id[SP_ID_BYTES];

	if (sp_collection_check(s, len, false) != 0)
		return SP_EALIAS;
	/* Commands take an alias or an id: an alias must not read as an id. */
	if (len == SP_ID_STR_LEN && sp_base32_decode(id, sizeof(id), s, len) == 0)
		return SP_EALIAS;
	return 0;
}

const char *
sp_label_name(enum sp_label label)
{
	if ((unsigned)label >= SP_LABEL_COUNT)
		return "unknown";
	return label_names[label];
}

int
sp_label_parse(const char *s, enum sp_label *out)
{
	unsigned i;

	*out = SP_LABEL_PRIVATE;
	for (i = 0; i < SP_LABEL_COUNT; i++) {
		if (strcmp(s, label_names[i]) == 0) {
			*out = (enum sp_label)i;
			return 0;
		}
	}
	return SP_ELABEL;
}

/* Erased is a kind of tombstone; nothing else is defined. */
static int
check_flags(uint64_t flags)
{
	if (flags != 0 && flags != SP_FLAG_TOMBSTONE &&
	    flags != (SP_FLAG_TOMBSTONE | SP_FLAG_ERASED))
		return SP_EFLAGS;
	return 0;
}

static int
check_label(uint64_t label)
{
	return label < SP_LABEL_COUNT ? 0 : SP_ELABEL;
}

static int
check_tombstone(uint64_t flags, const uint8_t *body, size_t len)
{
	if ((flags & SP_FLAG_TOMBSTONE) != 0 &&
	    (len != 1 || body[0] != SP_BODY_EMPTY_BYTE))
		return SP_ETOMBSTONE_BODY;
	return 0;
}

/* The rules sp_record_decode applies, for a record about to be signed. */
static int
check_record(const sp_record *rec)
{
	int rc;

	if ((rc = sp_collection_check(rec->collection, rec->collection_len,
	    true)) != 0)
		return rc;
	if ((rc = sp_key_check(rec->key, rec->key_len)) != 0)
		return rc;
	if ((rc = check_flags(rec->flags)) != 0)
		return rc;
	if ((rc = check_label((uint64_t)rec->label)) != 0)
		return rc;
	if ((rc = sp_body_validate(rec->body, rec->body_len)) != 0)
		return rc;
	return check_tombstone(rec->flags, rec->body, rec->body_len);
}

/* Every field before the signature: the signed prefix. */
static void
pack_prefix(const sp_record *rec, sp_buf *out)
{
	sp_pack_array(out, RECORD_FIELDS);
	sp_pack_uint(out, SP_RECORD_VERSION);
	sp_pack_bin(out, rec->community, SP_PUBKEY_BYTES);
	sp_pack_str(out, rec->collection, rec->collection_len);
	sp_pack_str(out, rec->key, rec->key_len);
	sp_pack_bin(out, rec->author, SP_PUBKEY_BYTES);
	sp_pack_uint(out, rec->timestamp);
	sp_pack_uint(out, rec->flags);
	sp_pack_uint(out, (uint64_t)rec->label);
	sp_pack_raw(out, rec->body, rec->body_len);
}

int
sp_record_sign(sp_record *rec, const uint8_t sk[SP_SECKEY_BYTES],
    sp_buf *out, uint8_t id[SP_ID_BYTES])
{
	uint8_t pk[SP_PUBKEY_BYTES], sig[SP_SIG_BYTES];
	size_t start = out->len, signed_len;
	int rc;

	if (id != NULL)
		memset(id, 0, SP_ID_BYTES);
	if ((rc = check_record(rec)) != 0)
		return rc;
	sp_sign_sk_to_pk(pk, sk);
	if (memcmp(pk, rec->author, sizeof(pk)) != 0)
		return SP_EINVAL;
	pack_prefix(rec, out);
	if (out->err != 0)
		return out->err;
	signed_len = out->len - start;
	sp_sign(sig, out->data + start, signed_len, sk);
	sp_pack_bin(out, sig, sizeof(sig));
	if (out->err != 0)
		return out->err;

	memcpy(rec->sig, sig, sizeof(sig));
	rec->signed_len = signed_len;
	if (id != NULL)
		sp_record_id(out->data + start, out->len - start, id);
	return 0;
}

int
sp_record_encode(const sp_record *rec, sp_buf *out)
{
	int rc;

	if ((rc = check_record(rec)) != 0)
		return rc;
	pack_prefix(rec, out);
	sp_pack_bin(out, rec->sig, SP_SIG_BYTES);
	return out->err;
}

/* A binary of exactly n bytes. */
static int
read_fixed_bin(sp_reader *r, uint8_t *dst, size_t n)
{
	const uint8_t *p;
	size_t len;
	int rc;

	if ((rc = sp_read_bin(r, &p, &len)) != 0)
		return rc;
	if (len != n)
		return SP_EFIELD_SIZE;
	memcpy(dst, p, n);
	return 0;
}

/* A string that check accepts, copied NUL-terminated into dst (max + 1). */
static int
read_name(sp_reader *r, char *dst, size_t *dst_len,
    int (*check)(const char *, size_t))
{
	const char *s;
	size_t len;
	int rc;

	if ((rc = sp_read_str(r, &s, &len)) != 0)
		return rc;
	if ((rc = check(s, len)) != 0)
		return rc;
	memcpy(dst, s, len);
	dst[len] = '\0';
	*dst_len = len;
	return 0;
}

static int
check_collection_any(const char *s, size_t len)
{
	return sp_collection_check(s, len, true);
}

/* Fields in wire order, each checked as soon as it is read. */
static int
decode(sp_reader *r, sp_record *rec)
{
	const uint8_t *start = r->p;
	uint64_t v;
	uint32_t n;
	int rc;

	if ((rc = sp_read_array(r, &n)) != 0)
		return rc;
	if (n != RECORD_FIELDS)
		return SP_EREC_FIELDS;
	if ((rc = sp_read_uint(r, &v)) != 0)
		return rc;
	if (v != SP_RECORD_VERSION)
		return SP_EREC_VERSION;
	if ((rc = read_fixed_bin(r, rec->community, SP_PUBKEY_BYTES)) != 0)
		return rc;
	if ((rc = read_name(r, rec->collection, &rec->collection_len,
	    check_collection_any)) != 0)
		return rc;
	if ((rc = read_name(r, rec->key, &rec->key_len, sp_key_check)) != 0)
		return rc;
	if ((rc = read_fixed_bin(r, rec->author, SP_PUBKEY_BYTES)) != 0)
		return rc;
	if ((rc = sp_read_uint(r, &rec->timestamp)) != 0)
		return rc;
	if ((rc = sp_read_uint(r, &v)) != 0 || (rc = check_flags(v)) != 0)
		return rc;
	rec->flags = (unsigned)v;
	if ((rc = sp_read_uint(r, &v)) != 0 || (rc = check_label(v)) != 0)
		return rc;
	rec->label = (enum sp_label)v;
	if ((rc = sp_body_read(r, &rec->body, &rec->body_len)) != 0)
		return rc;
	if ((rc = check_tombstone(rec->flags, rec->body, rec->body_len)) != 0)
		return rc;
	rec->signed_len = sp_reader_offset(r, start);
	if ((rc = read_fixed_bin(r, rec->sig, SP_SIG_BYTES)) != 0)
		return rc;
	return sp_reader_end(r);
}

int
sp_record_decode(const uint8_t *data, size_t len, sp_record *rec)
{
	sp_reader r;
	int rc;

	memset(rec, 0, sizeof(*rec));
	sp_reader_init(&r, data, len);
	if ((rc = decode(&r, rec)) != 0)
		memset(rec, 0, sizeof(*rec));
	return rc;
}

int
sp_record_verify(const uint8_t *data, size_t len, const sp_record *rec)
{
	if (rec->signed_len == 0 || rec->signed_len > len)
		return SP_EINVAL;
	return sp_sign_verify(rec->sig, data, rec->signed_len, rec->author);
}

int
sp_record_open(const uint8_t *data, size_t len, uint64_t now_ms,
    sp_record *rec, uint8_t id[SP_ID_BYTES])
{
	int rc;

	if (id != NULL)
		memset(id, 0, SP_ID_BYTES);
	if ((rc = sp_record_decode(data, len, rec)) != 0)
		return rc;
	if ((rc = sp_record_verify(data, len, rec)) != 0 ||
	    (rc = sp_record_check_time(rec, now_ms)) != 0) {
		memset(rec, 0, sizeof(*rec));
		return rc;
	}
	if (id != NULL)
		sp_record_id(data, len, id);
	return 0;
}

void
sp_record_id(const uint8_t *data, size_t len, uint8_t id[SP_ID_BYTES])
{
	sp_hash32(id, data, len);
}

int
sp_record_check_time(const sp_record *rec, uint64_t now_ms)
{
	uint64_t ms = SP_HLC_MS(rec->timestamp);

	/* Written as a difference so a huge now_ms cannot overflow. */
	if (ms > now_ms && ms - now_ms > SP_MAX_SKEW_MS)
		return SP_EFUTURE;
	return 0;
}

int
sp_version_cmp(uint64_t ta, const uint8_t ida[SP_ID_BYTES],
    uint64_t tb, const uint8_t idb[SP_ID_BYTES])
{
	int c;

	if (ta != tb)
		return ta < tb ? -1 : 1;
	c = memcmp(ida, idb, SP_ID_BYTES);
	return (c > 0) - (c < 0);
}
