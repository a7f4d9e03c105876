/*
 * fuzz_negentropy.c - arbitrary bytes as a Negentropy message, to a server
 * (sp_neg_reconcile) and to a client (sp_neg_reconcile_client), each with
 * and without a frame size limit, over small fixed item sets.
 *
 * Besides not crashing: a message is refused with SP_ENEG and no effect
 * (nothing written, no id reported) or answered; both roles agree on
 * whether a v1 message is well-formed; every answer respects the frame
 * size limit, is itself well-formed (the other role accepts it) and true:
 * each of its Fingerprint ranges is the fingerprint of its sender's items
 * between the range's bounds and each IdList lists exactly those items,
 * the closing range of a message cut at the limit included.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "buf.h"
#include "crypto.h"
#include "negentropy.h"
#include "sp_err.h"

#define LIMIT SP_NEG_FRAME_MIN

/* The client's items and the server's: 300 each, 240 shared, 4 per timestamp. */
static sp_neg_vector *g_client_items, *g_server_items;
static sp_neg_storage g_client, g_server;

static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void
setup(void)
{
	uint8_t id[SP_NEG_ID_BYTES];
	uint64_t rng = 1, x;
	size_t i, j;

	CHECK(sp_crypto_init() == 0);
	CHECK(sp_neg_vector_new(&g_client_items) == 0);
	CHECK(sp_neg_vector_new(&g_server_items) == 0);
	for (i = 0; i < 360; i++) {
		for (j = 0; j < SP_NEG_ID_BYTES; j += 8) {
			x = splitmix(&rng);
			memcpy(id + j, &x, 8);
		}
		if (i < 300)
			CHECK(sp_neg_vector_add(g_client_items, 1000 + i / 4, id) == 0);
		if (i < 240 || i >= 300)
			CHECK(sp_neg_vector_add(g_server_items, 1000 + i / 4, id) == 0);
	}
	CHECK(sp_neg_vector_seal(g_client_items) == 0);
	CHECK(sp_neg_vector_seal(g_server_items) == 0);
	sp_neg_vector_storage(g_client_items, &g_client);
	sp_neg_vector_storage(g_server_items, &g_server);
}

static void
count_id(void *arg, const uint8_t id[SP_NEG_ID_BYTES])
{
	(void)id;
	(*(size_t *)arg)++;
}

/* Whether every range of msg, written by a sender holding st, is true. */
static bool
true_message(const uint8_t *msg, size_t len, const sp_neg_storage *st)
{
	uint8_t fp[SP_NEG_FINGERPRINT_BYTES];
	size_t lower = 0, upper, size = st->size(st->ctx), i;
	sp_neg_reader r;
	sp_neg_range rg;

	sp_neg_reader_init(&r, msg + 1, len - 1);
	while (r.left != 0) {
		CHECK(sp_neg_read_range(&r, &rg) == 0);
		upper = st->lower_bound(st->ctx, lower, size, &rg.upper.item);
		if (rg.mode == SP_NEG_FINGERPRINT) {
			st->fingerprint(st->ctx, lower, upper, fp);
			if (memcmp(fp, rg.payload, sizeof(fp)) != 0)
				return false;
		} else if (rg.mode == SP_NEG_IDLIST) {
			if (rg.count != upper - lower)
				return false;
			for (i = 0; i < rg.count; i++)
				if (memcmp(rg.payload + i * SP_NEG_ID_BYTES,
				    st->get(st->ctx, lower + i)->id, SP_NEG_ID_BYTES) != 0)
					return false;
		}
		lower = upper;
	}
	return true;
}

/* A fresh server's answer to msg; returns its result. */
static int
serve(const uint8_t *msg, size_t len, uint64_t limit, sp_buf *out)
{
	sp_neg *n;
	int rc;

	CHECK(sp_neg_new(&g_server, limit, &n) == 0);
	rc = sp_neg_reconcile(n, msg, len, out);
	sp_neg_free(n);
	return rc;
}

/* A fresh client's answer (after its initiate) to msg; returns its result. */
static int
ask(const uint8_t *msg, size_t len, uint64_t limit, sp_buf *out, size_t *ids,
    bool *done)
{
	sp_neg *n;
	int rc;

	CHECK(sp_neg_new(&g_client, limit, &n) == 0);
	CHECK(sp_neg_initiate(n, out) == 0);
	CHECK(limit == 0 || out->len <= limit);
	sp_buf_reset(out);
	rc = sp_neg_reconcile_client(n, msg, len, out, count_id, count_id, ids, done);
	sp_neg_free(n);
	return rc;
}

static void
one(const uint8_t *data, size_t size, uint64_t limit)
{
	sp_buf out, back;
	size_t ids = 0, ignored = 0;
	bool done, ignored_done;
	int rs, rc;

	sp_buf_init(&out);
	sp_buf_init(&back);

	rs = serve(data, size, limit, &out);
	CHECK(rs == 0 || rs == SP_ENEG);
	if (rs == SP_ENEG) {
		CHECK(out.len == 0);
	} else {
		CHECK(out.len >= 1 && out.data[0] == SP_NEG_PROTOCOL_V1);
		CHECK(limit == 0 || out.len <= limit);
		CHECK(true_message(out.data, out.len, &g_server));
		CHECK(ask(out.data, out.len, 0, &back, &ignored, &ignored_done) == 0);
	}

	sp_buf_reset(&out);
	rc = ask(data, size, limit, &out, &ids, &done);
	CHECK(rc == 0 || rc == SP_ENEG);
	if (rc == SP_ENEG) {
		CHECK(out.len == 0 && ids == 0 && !done);
	} else if (done) {
		CHECK(out.len == 0);
	} else {
		CHECK(limit == 0 || out.len <= limit);
		CHECK(true_message(out.data, out.len, &g_client));
		sp_buf_reset(&back);
		CHECK(serve(out.data, out.len, 0, &back) == 0);
	}
	if (size > 0 && data[0] == SP_NEG_PROTOCOL_V1)
		CHECK(rs == rc);

	sp_buf_free(&out);
	sp_buf_free(&back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool initialised;

	if (!initialised) {
		setup();
		initialised = true;
	}
	one(data, size, 0);
	one(data, size, LIMIT);
	return 0;
}
