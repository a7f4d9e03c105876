#include "wire.h"

#include <limits.h>
#include <string.h>

#include "pack.h"
#include "reader.h"
#include "sp_err.h"

/* Items of an area and of a want: community, collection, label(s). */
#define AREA_ITEMS 3

/* Items of each message, its type included (index: enum sp_wire_type). */
static const uint8_t msg_items[SP_WIRE_TYPES] = {
	[SP_WIRE_HELLO] = 4,
	[SP_WIRE_NEG] = 3,
	[SP_WIRE_RECORDS] = 2,
	[SP_WIRE_WANT] = 3,
	[SP_WIRE_DONE] = 4,
	[SP_WIRE_SYNCED] = 1,
	[SP_WIRE_PING] = 2,
	[SP_WIRE_PONG] = 2,
	[SP_WIRE_ERROR] = 3,
	[SP_WIRE_REFUSED] = 2,
	[SP_WIRE_RESYNC] = 1,
	[SP_WIRE_OFFERS] = 2,
};

void
sp_area_of(const sp_record *rec, sp_area *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->community, rec->community, SP_PUBKEY_BYTES);
	memcpy(out->collection, rec->collection, rec->collection_len);
	out->label = rec->label;
}

static const uint8_t every_community[SP_PUBKEY_BYTES];

bool
sp_is_every_community(const uint8_t community[SP_PUBKEY_BYTES])
{
	return memcmp(community, every_community, SP_PUBKEY_BYTES) == 0;
}

void
sp_area_every(const sp_area *a, sp_area *out)
{
	*out = *a;
	memset(out->community, 0, SP_PUBKEY_BYTES);
}

bool
sp_area_holds(const sp_area *outer, const sp_area *a)
{
	return sp_area_cmp(outer, a) == 0 ||
	    (sp_is_every_community(outer->community) && outer->label == a->label &&
	    strcmp(outer->collection, a->collection) == 0);
}

int
sp_area_cmp(const sp_area *a, const sp_area *b)
{
	int c;

	if ((c = memcmp(a->community, b->community, SP_PUBKEY_BYTES)) != 0)
		return c;
	/* strcmp compares as unsigned char: bytewise, as the spec orders. */
	if ((c = strcmp(a->collection, b->collection)) != 0)
		return c;
	return (a->label > b->label) - (a->label < b->label);
}

static bool
is_wildcard(const char *s, size_t len)
{
	return len == 1 && s[0] == '*';
}

bool
sp_want_matches(const sp_want *w, const sp_area *a)
{
	return memcmp(w->community, a->community, SP_PUBKEY_BYTES) == 0 &&
	    (strcmp(w->collection, "*") == 0 ||
	    strcmp(w->collection, a->collection) == 0) &&
	    (unsigned)a->label < SP_LABEL_COUNT &&
	    (w->labels & (1u << a->label)) != 0;
}

/*
 * A well-formed item of the wrong msgpack type, or an integer outside the
 * range its field allows, means the bytes are not a peer message of a
 * known shape; every other reader error names the encoding rule broken.
 */
static int
shape_err(int rc)
{
	return rc == SP_ETYPE || rc == SP_EINTRANGE ? SP_EFRAME : rc;
}

static int
read_community(sp_reader *r, uint8_t out[SP_PUBKEY_BYTES])
{
	const uint8_t *p;
	size_t len;
	int rc;

	if ((rc = sp_read_bin(r, &p, &len)) != 0)
		return rc;
	if (len != SP_PUBKEY_BYTES)
		return SP_EFIELD_SIZE;
	memcpy(out, p, len);
	return 0;
}

/*
 * A collection name, reserved ones included (".charter" is reconciled in
 * every session), or "*" where wildcard allows it; copied NUL-terminated.
 */
static int
read_collection(sp_reader *r, char out[SP_COLLECTION_MAX + 1], bool wildcard)
{
	const char *s;
	size_t len;
	int rc;

	if ((rc = sp_read_str(r, &s, &len)) != 0)
		return rc;
	if (!(wildcard && is_wildcard(s, len)) &&
	    (rc = sp_collection_check(s, len, true)) != 0)
		return rc;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* The array header and community and collection shared by areas and wants. */
static int
read_area_head(sp_reader *r, uint8_t community[SP_PUBKEY_BYTES],
    char collection[SP_COLLECTION_MAX + 1], bool wildcard)
{
	uint32_t n;
	int rc;

	if ((rc = sp_read_array(r, &n)) != 0)
		return rc;
	if (n != AREA_ITEMS)
		return SP_EFRAME;
	if ((rc = read_community(r, community)) != 0)
		return rc;
	return read_collection(r, collection, wildcard);
}

static int
read_area(sp_reader *r, sp_area *a)
{
	uint64_t label;
	int rc;

	memset(a, 0, sizeof *a);
	if ((rc = read_area_head(r, a->community, a->collection, false)) != 0)
		return rc;
	if ((rc = sp_read_uint(r, &label)) != 0)
		return rc;
	if (label >= SP_LABEL_COUNT)
		return SP_ELABEL;
	a->label = (enum sp_label)label;
	return 0;
}

static int
read_want(sp_reader *r, sp_want *w)
{
	uint64_t labels;
	int rc;

	memset(w, 0, sizeof *w);
	if ((rc = read_area_head(r, w->community, w->collection, true)) != 0)
		return rc;
	if ((rc = sp_read_uint(r, &labels)) != 0)
		return rc;
	if (labels == 0 || labels > SP_WIRE_LABELS_ALL)
		return SP_ELABEL;
	w->labels = (unsigned)labels;
	return 0;
}

/* Checkers of one list item each, for read_list. */
static int
check_area(sp_reader *r)
{
	sp_area a;

	return read_area(r, &a);
}

static int
check_want(sp_reader *r)
{
	sp_want w;

	return read_want(r, &w);
}

/* A record travels as its encoding; the daemon decodes it, off the loop. */
static int
check_record(sp_reader *r)
{
	const uint8_t *p;
	size_t len;
	int rc;

	if ((rc = sp_read_bin(r, &p, &len)) != 0)
		return rc;
	return len <= SP_RECORD_MAX ? 0 : SP_ETOOBIG;
}

static int
check_id(sp_reader *r)
{
	const uint8_t *p;
	size_t len;
	int rc;

	if ((rc = sp_read_bin(r, &p, &len)) != 0)
		return rc;
	return len == SP_ID_BYTES ? 0 : SP_EFIELD_SIZE;
}

/*
 * An array of at most max items, each validated by check, so that the
 * iterators cannot fail on it later. The bound is checked before the first
 * item is looked at (the reader has already refused a count the remaining
 * bytes cannot hold). *items and *len span the items after the header.
 */
static int
read_list(sp_reader *r, uint32_t max, int (*check)(sp_reader *),
    const uint8_t **items, size_t *len, uint32_t *count)
{
	const uint8_t *start;
	uint32_t n, i;
	int rc;

	if ((rc = sp_read_array(r, &n)) != 0)
		return rc;
	if (n > max)
		return SP_ETOOBIG;
	start = r->p;
	for (i = 0; i < n; i++) {
		if ((rc = check(r)) != 0)
			return rc;
	}
	*items = start;
	*len = (size_t)(r->p - start);
	*count = n;
	return 0;
}

static int
read_offers(sp_reader *r, sp_wire_msg *m)
{
	return read_list(r, SP_WIRE_MAX_AREAS, check_area, &m->offers,
	    &m->offers_len, &m->noffers);
}

static int
read_hello(sp_reader *r, sp_wire_msg *m)
{
	int rc;

	if ((rc = read_offers(r, m)) != 0)
		return rc;
	return read_list(r, SP_WIRE_MAX_AREAS, check_want, &m->wants,
	    &m->wants_len, &m->nwants);
}

static int
read_neg(sp_reader *r, sp_wire_msg *m)
{
	int rc;

	if ((rc = read_area(r, &m->area)) != 0)
		return rc;
	if ((rc = sp_read_bin(r, &m->data, &m->data_len)) != 0)
		return rc;
	return m->data_len <= SP_WIRE_NEG_MAX ? 0 : SP_ETOOBIG;
}

static int
read_want_msg(sp_reader *r, sp_wire_msg *m)
{
	int rc;

	if ((rc = read_area(r, &m->area)) != 0)
		return rc;
	return read_list(r, SP_WIRE_MAX_IDS, check_id, &m->data, &m->data_len,
	    &m->count);
}

static int
read_done(sp_reader *r, sp_wire_msg *m)
{
	int rc;

	if ((rc = read_area(r, &m->area)) != 0)
		return rc;
	if ((rc = sp_read_uint(r, &m->have)) != 0)
		return rc;
	return sp_read_uint(r, &m->need);
}

/* Codes are sp_err values or -errno: negative, and an int. */
static bool
error_code_valid(int64_t code)
{
	return code >= INT_MIN && code < 0;
}

static int
read_error(sp_reader *r, sp_wire_msg *m)
{
	int rc;

	if ((rc = sp_read_int(r, &m->code)) != 0)
		return rc;
	if (!error_code_valid(m->code))
		return SP_EFRAME;
	if ((rc = sp_read_str(r, &m->message, &m->message_len)) != 0)
		return rc;
	return m->message_len <= SP_WIRE_ERROR_TEXT_MAX ? 0 : SP_ETOOBIG;
}

/* The message's items after its type (and HELLO's version). */
static int
read_body(sp_reader *r, sp_wire_msg *m)
{
	switch (m->type) {
	case SP_WIRE_HELLO:
		return read_hello(r, m);
	case SP_WIRE_NEG:
		return read_neg(r, m);
	case SP_WIRE_RECORDS:
		return read_list(r, SP_WIRE_MAX_RECORDS, check_record, &m->data,
		    &m->data_len, &m->count);
	case SP_WIRE_WANT:
		return read_want_msg(r, m);
	case SP_WIRE_DONE:
		return read_done(r, m);
	case SP_WIRE_SYNCED:
	case SP_WIRE_RESYNC:
		return 0;
	case SP_WIRE_OFFERS:
		return read_offers(r, m);
	case SP_WIRE_PING:
	case SP_WIRE_PONG:
		return sp_read_uint(r, &m->nonce);
	case SP_WIRE_ERROR:
		return read_error(r, m);
	case SP_WIRE_REFUSED:
		return read_area(r, &m->area);
	}
	return SP_EFRAME;
}

static int
decode(sp_reader *r, sp_wire_msg *m)
{
	uint64_t type;
	uint32_t n;
	int rc;

	if ((rc = sp_read_array(r, &n)) != 0)
		return rc;
	if (n == 0)
		return SP_EFRAME;
	if ((rc = sp_read_uint(r, &type)) != 0)
		return rc;
	if (type >= SP_WIRE_TYPES || msg_items[type] == 0)
		return SP_EFRAME;
	m->type = (enum sp_wire_type)type;
	/*
	 * HELLO's version is read before its shape is checked, so that a
	 * node of another version is told so even if its HELLO looks
	 * different.
	 */
	if (m->type == SP_WIRE_HELLO && n >= 2) {
		if ((rc = sp_read_uint(r, &m->version)) != 0)
			return rc;
		if (m->version != SP_WIRE_VERSION)
			return SP_EPROTO_VERSION;
	}
	if (n != msg_items[m->type])
		return SP_EFRAME;
	if ((rc = read_body(r, m)) != 0)
		return rc;
	return sp_reader_end(r);
}

const char *
sp_wire_type_name(enum sp_wire_type t)
{
	static const char *const names[SP_WIRE_TYPES] = {
		[SP_WIRE_HELLO] = "HELLO", [SP_WIRE_NEG] = "NEG",
		[SP_WIRE_RECORDS] = "RECORDS", [SP_WIRE_WANT] = "WANT",
		[SP_WIRE_DONE] = "DONE", [SP_WIRE_SYNCED] = "SYNCED",
		[SP_WIRE_PING] = "PING", [SP_WIRE_PONG] = "PONG",
		[SP_WIRE_ERROR] = "ERROR", [SP_WIRE_REFUSED] = "REFUSED",
		[SP_WIRE_RESYNC] = "RESYNC", [SP_WIRE_OFFERS] = "OFFERS",
	};

	return (unsigned)t < SP_WIRE_TYPES && names[t] != NULL ? names[t] : "?";
}

int
sp_wire_decode(const uint8_t *data, size_t len, sp_wire_msg *m)
{
	sp_reader r;

	memset(m, 0, sizeof *m);
	sp_reader_init(&r, data, len);
	return shape_err(decode(&r, m));
}

/* After an iterator's read: moves *p and *left past the item on success. */
static int
advance(const sp_reader *r, const uint8_t **p, size_t *left, int rc)
{
	if (rc != 0)
		return shape_err(rc);
	*p = r->p;
	*left = r->left;
	return 0;
}

int
sp_wire_next_area(const uint8_t **p, size_t *left, sp_area *out)
{
	sp_reader r;

	sp_reader_init(&r, *p, *left);
	return advance(&r, p, left, read_area(&r, out));
}

int
sp_wire_next_want(const uint8_t **p, size_t *left, sp_want *out)
{
	sp_reader r;

	sp_reader_init(&r, *p, *left);
	return advance(&r, p, left, read_want(&r, out));
}

int
sp_wire_next_bin(const uint8_t **p, size_t *left, const uint8_t **bin, size_t *len)
{
	sp_reader r;

	sp_reader_init(&r, *p, *left);
	return advance(&r, p, left, sp_read_bin(&r, bin, len));
}

/*
 * Arguments the decoder would refuse are recorded as the buffer's sticky
 * error, so that they surface where the caller checks out->err, like any
 * other failure to build the message.
 */
static void
refuse(sp_buf *out)
{
	if (out->err == 0)
		out->err = SP_EINVAL;
}

static void
pack_head(sp_buf *out, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection, bool wildcard)
{
	size_t len = strnlen(collection, SP_COLLECTION_MAX + 1);

	if (!(wildcard && is_wildcard(collection, len)) &&
	    sp_collection_check(collection, len, true) != 0)
		refuse(out);
	sp_pack_array(out, AREA_ITEMS);
	sp_pack_bin(out, community, SP_PUBKEY_BYTES);
	sp_pack_str(out, collection, len);
}

void
sp_wire_pack_area(sp_buf *out, const sp_area *area)
{
	if ((unsigned)area->label >= SP_LABEL_COUNT)
		refuse(out);
	pack_head(out, area->community, area->collection, false);
	sp_pack_uint(out, (uint64_t)area->label);
}

void
sp_wire_pack_want(sp_buf *out, const sp_want *want)
{
	if (want->labels == 0 || want->labels > SP_WIRE_LABELS_ALL)
		refuse(out);
	pack_head(out, want->community, want->collection, true);
	sp_pack_uint(out, want->labels);
}

/* The array header and type of a message. */
static void
begin(sp_buf *out, enum sp_wire_type type)
{
	sp_pack_array(out, msg_items[type]);
	sp_pack_uint(out, (uint64_t)type);
}

static void
pack_areas(sp_buf *out, const sp_area *areas, size_t n)
{
	size_t i;

	sp_pack_array(out, (uint32_t)n);
	for (i = 0; i < n; i++)
		sp_wire_pack_area(out, &areas[i]);
}

void
sp_wire_offers(sp_buf *out, const sp_area *offers, size_t noffers)
{
	if (noffers > SP_WIRE_MAX_AREAS) {
		refuse(out);
		return;
	}
	begin(out, SP_WIRE_OFFERS);
	pack_areas(out, offers, noffers);
}

void
sp_wire_hello(sp_buf *out, const sp_area *offers, size_t noffers,
    const sp_want *wants, size_t nwants)
{
	size_t i;

	if (noffers > SP_WIRE_MAX_AREAS || nwants > SP_WIRE_MAX_AREAS) {
		refuse(out);
		return;
	}
	begin(out, SP_WIRE_HELLO);
	sp_pack_uint(out, SP_WIRE_VERSION);
	pack_areas(out, offers, noffers);
	sp_pack_array(out, (uint32_t)nwants);
	for (i = 0; i < nwants; i++)
		sp_wire_pack_want(out, &wants[i]);
}

void
sp_wire_neg(sp_buf *out, const sp_area *area, const uint8_t *msg, size_t len)
{
	if (len > SP_WIRE_NEG_MAX) {
		refuse(out);
		return;
	}
	begin(out, SP_WIRE_NEG);
	sp_wire_pack_area(out, area);
	sp_pack_bin(out, msg, len);
}

void
sp_wire_records_begin(sp_buf *out, uint32_t count)
{
	if (count > SP_WIRE_MAX_RECORDS)
		refuse(out);
	begin(out, SP_WIRE_RECORDS);
	sp_pack_array(out, count);
}

void
sp_wire_want_begin(sp_buf *out, const sp_area *area, uint32_t count)
{
	if (count > SP_WIRE_MAX_IDS)
		refuse(out);
	begin(out, SP_WIRE_WANT);
	sp_wire_pack_area(out, area);
	sp_pack_array(out, count);
}

void
sp_wire_done(sp_buf *out, const sp_area *area, uint64_t have, uint64_t need)
{
	begin(out, SP_WIRE_DONE);
	sp_wire_pack_area(out, area);
	sp_pack_uint(out, have);
	sp_pack_uint(out, need);
}

void
sp_wire_synced(sp_buf *out)
{
	begin(out, SP_WIRE_SYNCED);
}

void
sp_wire_resync(sp_buf *out)
{
	begin(out, SP_WIRE_RESYNC);
}

void
sp_wire_ping(sp_buf *out, enum sp_wire_type type, uint64_t nonce)
{
	if (type != SP_WIRE_PING && type != SP_WIRE_PONG) {
		refuse(out);
		return;
	}
	begin(out, type);
	sp_pack_uint(out, nonce);
}

void
sp_wire_error(sp_buf *out, int code, const char *message)
{
	size_t len = strlen(message);

	if (!error_code_valid(code) || len > SP_WIRE_ERROR_TEXT_MAX ||
	    !sp_utf8_valid(message, len))
		refuse(out);
	begin(out, SP_WIRE_ERROR);
	sp_pack_int(out, code);
	sp_pack_str(out, message, len);
}

void
sp_wire_refused(sp_buf *out, const sp_area *area)
{
	begin(out, SP_WIRE_REFUSED);
	sp_wire_pack_area(out, area);
}

void
sp_wire_reasm_init(sp_wire_reasm *r, size_t max)
{
	sp_buf_init(&r->buf);
	r->max = max;
	r->complete = false;
}

void
sp_wire_reasm_free(sp_wire_reasm *r)
{
	sp_buf_free(&r->buf);
	r->complete = false;
}

/*
 * A fragment is a flag and 1 to SP_WIRE_FRAGMENT_MAX bytes: a logical
 * message is never empty, so a sender never needs an empty fragment, and
 * refusing them keeps a peer from spinning the receiver for nothing.
 */
static int
append(sp_wire_reasm *r, const uint8_t *frag, size_t len)
{
	if (len < 2 || len - 1 > SP_WIRE_FRAGMENT_MAX ||
	    (frag[0] != SP_WIRE_MORE && frag[0] != SP_WIRE_LAST))
		return SP_EFRAME;
	/* r->buf.len <= r->max always holds, so this cannot wrap. */
	if (len - 1 > r->max - r->buf.len)
		return SP_ETOOBIG;
	return sp_buf_append(&r->buf, frag + 1, len - 1);
}

int
sp_wire_reasm_push(sp_wire_reasm *r, const uint8_t *frag, size_t len,
    const uint8_t **msg, size_t *msg_len, bool *complete)
{
	int rc;

	*msg = NULL;
	*msg_len = 0;
	*complete = false;
	if (r->complete) {
		sp_buf_reset(&r->buf);
		r->complete = false;
	}
	if ((rc = append(r, frag, len)) != 0) {
		/* Drop the partial message: the connection is closing anyway. */
		sp_buf_reset(&r->buf);
		return rc;
	}
	if (frag[0] == SP_WIRE_LAST) {
		r->complete = true;
		*msg = r->buf.data;
		*msg_len = r->buf.len;
		*complete = true;
	}
	return 0;
}
