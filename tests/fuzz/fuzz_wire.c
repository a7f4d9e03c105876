/*
 * fuzz_wire.c - the peer message decoder on arbitrary bytes. Whatever
 * decodes has every list iterated (which must not fail) and is encoded
 * again, which must give back the same bytes. The same bytes also go
 * through the fragment reassembler: once as raw fragments, once split into
 * well-formed fragments that must join back into the input.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pack.h"
#include "sp_err.h"
#include "wire.h"

/* Iterates a HELLO's lists and packs them again into out. */
static void
reencode_hello(const sp_wire_msg *m, sp_buf *out)
{
	sp_area *offers = calloc(m->noffers + 1, sizeof *offers);
	sp_want *wants = calloc(m->nwants + 1, sizeof *wants);
	const uint8_t *p = m->offers;
	size_t left = m->offers_len;
	uint32_t i;

	CHECK(offers != NULL && wants != NULL);
	for (i = 0; i < m->noffers; i++)
		CHECK(sp_wire_next_area(&p, &left, &offers[i]) == 0);
	CHECK(left == 0);
	p = m->wants;
	left = m->wants_len;
	for (i = 0; i < m->nwants; i++) {
		CHECK(sp_wire_next_want(&p, &left, &wants[i]) == 0);
		CHECK(wants[i].labels != 0);
	}
	CHECK(left == 0);
	sp_wire_hello(out, offers, m->noffers, wants, m->nwants);
	free(offers);
	free(wants);
}

/* Iterates an OFFERS list and encodes it again. */
static void
reencode_offers(const sp_wire_msg *m, sp_buf *out)
{
	const uint8_t *p = m->offers;
	size_t left = m->offers_len;
	sp_area *offers;
	uint32_t i;

	CHECK((offers = calloc(m->noffers + 1, sizeof(*offers))) != NULL);
	for (i = 0; i < m->noffers; i++)
		CHECK(sp_wire_next_area(&p, &left, &offers[i]) == 0);
	CHECK(left == 0);
	sp_wire_offers(out, offers, m->noffers);
	free(offers);
}

/* Iterates the binaries of a RECORDS or WANT and packs them into out. */
static void
reencode_bins(const sp_wire_msg *m, sp_buf *out)
{
	const uint8_t *p = m->data, *bin;
	size_t left = m->data_len, len;
	uint32_t i;

	for (i = 0; i < m->count; i++) {
		CHECK(sp_wire_next_bin(&p, &left, &bin, &len) == 0);
		CHECK(m->type != SP_WIRE_WANT || len == SP_ID_BYTES);
		CHECK(len <= SP_RECORD_MAX);
		sp_pack_bin(out, bin, len);
	}
	CHECK(left == 0);
}

/*
 * ERROR's message travels as a C string, so one holding a NUL cannot be
 * sent again as it came; returns false then.
 */
static bool
reencode_error(const sp_wire_msg *m, sp_buf *out)
{
	char *s;

	CHECK(m->code < 0 && m->message_len <= SP_WIRE_ERROR_TEXT_MAX);
	if (memchr(m->message, '\0', m->message_len) != NULL)
		return false;
	CHECK((s = malloc(m->message_len + 1)) != NULL);
	if (m->message_len > 0)
		memcpy(s, m->message, m->message_len);
	s[m->message_len] = '\0';
	sp_wire_error(out, (int)m->code, s);
	free(s);
	return true;
}

/* Encodes m again into out; false when the type cannot be (see above). */
static bool
reencode(const sp_wire_msg *m, sp_buf *out)
{
	switch (m->type) {
	case SP_WIRE_HELLO:
		reencode_hello(m, out);
		return true;
	case SP_WIRE_NEG:
		CHECK(m->data_len <= SP_WIRE_NEG_MAX);
		sp_wire_neg(out, &m->area, m->data, m->data_len);
		return true;
	case SP_WIRE_RECORDS:
		sp_wire_records_begin(out, m->count);
		reencode_bins(m, out);
		return true;
	case SP_WIRE_WANT:
		sp_wire_want_begin(out, &m->area, m->count);
		reencode_bins(m, out);
		return true;
	case SP_WIRE_DONE:
		sp_wire_done(out, &m->area, m->have, m->need);
		return true;
	case SP_WIRE_SYNCED:
		sp_wire_synced(out);
		return true;
	case SP_WIRE_RESYNC:
		sp_wire_resync(out);
		return true;
	case SP_WIRE_OFFERS:
		reencode_offers(m, out);
		return true;
	case SP_WIRE_PING:
	case SP_WIRE_PONG:
		sp_wire_ping(out, m->type, m->nonce);
		return true;
	case SP_WIRE_ERROR:
		return reencode_error(m, out);
	case SP_WIRE_REFUSED:
		sp_wire_refused(out, &m->area);
		return true;
	}
	/* sp_wire_decode returned a type this switch does not know. */
	abort();
}

/* The input as raw fragments of a size its first byte picks. */
static void
push_raw(const uint8_t *data, size_t size)
{
	const uint8_t *msg;
	size_t at, n, chunk, msg_len;
	sp_wire_reasm r;
	bool complete;
	int rc;

	if (size == 0)
		return;
	chunk = (size_t)data[0] + 1;
	sp_wire_reasm_init(&r, 1024);
	for (at = 1; at < size; at += n) {
		n = size - at < chunk ? size - at : chunk;
		rc = sp_wire_reasm_push(&r, data + at, n, &msg, &msg_len, &complete);
		CHECK(rc == 0 || rc == SP_EFRAME || rc == SP_ETOOBIG);
		CHECK(r.buf.len <= r.max);
		if (complete) {
			CHECK(rc == 0 && msg_len <= r.max);
			if (msg_len > 0)
				(void)memchr(msg, 0xff, msg_len);
		}
	}
	sp_wire_reasm_free(&r);
}

/*
 * The input as one logical message in well-formed fragments: it comes back
 * whole under a bound of its own size, and is refused under one byte less.
 */
static void
push_message(const uint8_t *data, size_t size, size_t max)
{
	uint8_t *frag = malloc(SP_WIRE_FRAGMENT_MAX + 1);
	const uint8_t *msg = NULL;
	size_t at, n, chunk, msg_len = 0;
	sp_wire_reasm r;
	bool complete = false;
	int rc = 0;

	CHECK(frag != NULL);
	/* Small fragments, so that short inputs still span several. */
	chunk = size % 7 + 1;
	sp_wire_reasm_init(&r, max);
	for (at = 0; at < size && rc == 0; at += n) {
		n = size - at < chunk ? size - at : chunk;
		frag[0] = at + n < size ? SP_WIRE_MORE : SP_WIRE_LAST;
		memcpy(frag + 1, data + at, n);
		rc = sp_wire_reasm_push(&r, frag, n + 1, &msg, &msg_len, &complete);
	}
	if (max >= size) {
		CHECK(rc == 0 && complete && msg_len == size);
		CHECK(memcmp(msg, data, size) == 0);
	} else {
		CHECK(rc == SP_ETOOBIG && !complete);
	}
	sp_wire_reasm_free(&r);
	free(frag);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so any read past the end is caught. */
	uint8_t *copy = malloc(size > 0 ? size : 1);
	sp_wire_msg m;
	sp_buf out;

	CHECK(copy != NULL);
	if (size > 0)
		memcpy(copy, data, size);
	sp_buf_init(&out);
	if (sp_wire_decode(copy, size, &m) == 0) {
		CHECK(m.type >= SP_WIRE_HELLO && m.type <= SP_WIRE_OFFERS);
		if (reencode(&m, &out)) {
			CHECK(out.err == 0);
			CHECK(out.len == size && memcmp(out.data, copy, size) == 0);
		}
	}
	sp_buf_free(&out);
	push_raw(copy, size);
	if (size > 0) {
		push_message(copy, size, size);
		push_message(copy, size, size - 1);
	}
	free(copy);
	return 0;
}
