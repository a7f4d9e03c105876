/*
 * bench_interleave: builds the data of the reconciliation benchmark. It
 * imports N households into COLLECTION on node A (one import, as simpul
 * import does it) and, at D row positions drawn uniformly at random for
 * each of nodes X and Y, stops the stream there and writes one household
 * on X (keys "xa-…") or Y (keys "xb-…"). A batch of rows is signed, so
 * timestamped, before A acknowledges it, and the nodes share one clock, so
 * the 2 * D extra records land at those random places in the timestamp
 * order of the N. (X's records are then given to A, Y's to B: see
 * bench_reconcile.sh.)
 *   usage: bench_interleave DIR_A DIR_X DIR_Y COMMUNITY COLLECTION N D [SEED]
 * Prints "extras_bytes S": the encoded size of the 2 * D extra records.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_ctl.h"
#include "record.h"

/* Rows per import.rows request when no extra interrupts the stream (as the CLI). */
#define BATCH_ROWS 4000

/* Where an extra record goes: before row pos of the import, on X or on Y. */
typedef struct extra {
	unsigned long pos;
	int on_y;
	unsigned long n;           /* its number on its node */
} extra;

static int
extra_cmp(const void *a, const void *b)
{
	const extra *x = a, *y = b;

	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	return x->on_y - y->on_y;
}

/* xorshift64*: reproducible positions from SEED. */
static uint64_t
next_random(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/* The encoded size of a record holding body (fields as simpuld fills them). */
static int
encoded_size(const char *collection, const char *key, const sp_buf *body, size_t *size)
{
	sp_record rec;
	sp_buf out;
	int r;

	memset(&rec, 0, sizeof(rec));
	snprintf(rec.collection, sizeof(rec.collection), "%s", collection);
	rec.collection_len = strlen(rec.collection);
	snprintf(rec.key, sizeof(rec.key), "%s", key);
	rec.key_len = strlen(rec.key);
	/* A current hybrid timestamp takes the widest integer encoding. */
	rec.timestamp = UINT64_C(1) << 60;
	rec.label = SP_LABEL_COMMUNITY;
	rec.body = body->data;
	rec.body_len = body->len;
	sp_buf_init(&out);
	r = sp_record_encode(&rec, &out);
	*size = out.len;
	sp_buf_free(&out);
	return r;
}

typedef struct stream {
	sp_client *a;
	sp_buf rows;               /* packed [key, body] pairs of the batch being built */
	uint32_t nrows;
} stream;

static int
flush_rows(stream *st)
{
	sp_ctl_msg m;
	sp_buf req;
	int r;

	if (st->nrows == 0)
		return 0;
	sp_buf_init(&req);
	sp_ctl_begin_request(&req, "import.rows", 1);
	sp_pack_cstr(&req, "rows");
	sp_pack_array(&req, st->nrows);
	sp_pack_raw(&req, st->rows.data, st->rows.len);
	r = bench_call(st->a, &req, &m);
	st->nrows = 0;
	sp_buf_reset(&st->rows);
	return r;
}

static int
import_call(sp_client *a, const char *cmd, const char *community, const char *collection)
{
	sp_ctl_msg m;
	sp_buf req;

	sp_buf_init(&req);
	sp_ctl_begin_request(&req, cmd, community != NULL ? 2 : 0);
	if (community != NULL) {
		sp_pack_cstr(&req, "community");
		sp_pack_cstr(&req, community);
		sp_pack_cstr(&req, "collection");
		sp_pack_cstr(&req, collection);
	}
	return bench_call(a, &req, &m);
}

/* Writes extra e on X or Y; adds its encoded size to *bytes. */
static int
write_extra(sp_client *x, sp_client *y, const char *community, const char *collection,
    const extra *e, uint64_t *bytes)
{
	char key[32];
	sp_buf body;
	size_t size;
	int r;

	snprintf(key, sizeof(key), "%s-%06lu", e->on_y ? "xb" : "xa", e->n);
	sp_buf_init(&body);
	if ((r = bench_body(&body, 5000000 + e->n)) == 0 &&
	    (r = encoded_size(collection, key, &body, &size)) == 0 &&
	    (r = bench_put(e->on_y ? y : x, community, collection, key, &body)) == 0)
		*bytes += size;
	sp_buf_free(&body);
	return r;
}

int
main(int argc, char **argv)
{
	sp_client *x = NULL, *y = NULL;
	extra *ex = NULL;
	stream st;
	const char *community, *collection;
	unsigned long n, d, i, k, seed;
	uint64_t rnd, bytes = 0;
	char key[32];
	int r = 0;

	if (argc < 8 || argc > 9) {
		fprintf(stderr, "usage: bench_interleave DIR_A DIR_X DIR_Y COMMUNITY COLLECTION N D [SEED]\n");
		return 2;
	}
	community = argv[4];
	collection = argv[5];
	n = strtoul(argv[6], NULL, 10);
	d = strtoul(argv[7], NULL, 10);
	seed = argc == 9 ? strtoul(argv[8], NULL, 10) : 42;
	rnd = seed * 0x9e3779b97f4a7c15ull + 1;
	if (n == 0) {
		fprintf(stderr, "bench_interleave: N must be positive\n");
		return 2;
	}
	if ((ex = calloc(2 * d + 1, sizeof(*ex))) == NULL)
		return 1;
	memset(&st, 0, sizeof(st));
	sp_buf_init(&st.rows);
	for (k = 0; k < 2 * d; k++) {
		ex[k].pos = (unsigned long)(next_random(&rnd) % n);
		ex[k].on_y = k >= d;
		ex[k].n = k % d;
	}
	qsort(ex, 2 * d, sizeof(*ex), extra_cmp);
	if ((r = sp_client_connect(argv[1], &st.a)) != 0 ||
	    (r = sp_client_connect(argv[2], &x)) != 0 ||
	    (r = sp_client_connect(argv[3], &y)) != 0)
		goto out;
	if ((r = import_call(st.a, "import.begin", community, collection)) != 0)
		goto out;
	for (i = 0, k = 0; i < n; i++) {
		/* The extras placed here land after the rows so far. */
		if (k < 2 * d && ex[k].pos == i && (r = flush_rows(&st)) != 0)
			goto out;
		for (; k < 2 * d && ex[k].pos == i; k++)
			if ((r = write_extra(x, y, community, collection, &ex[k], &bytes)) != 0)
				goto out;
		snprintf(key, sizeof(key), "c-%07lu", i);
		sp_pack_array(&st.rows, 2);
		sp_pack_cstr(&st.rows, key);
		if ((r = bench_body(&st.rows, i)) != 0)
			goto out;
		if (++st.nrows == BATCH_ROWS && (r = flush_rows(&st)) != 0)
			goto out;
	}
	if ((r = flush_rows(&st)) != 0 || (r = import_call(st.a, "import.commit", NULL, NULL)) != 0)
		goto out;
	printf("common %lu\nextras %lu on each side\nextras_bytes %llu\n", n, d,
	    (unsigned long long)bytes);
out:
	if (r != 0)
		fprintf(stderr, "bench_interleave: %s\n", sp_strerror(r));
	free(ex);
	sp_buf_free(&st.rows);
	sp_client_close(st.a);
	sp_client_close(x);
	sp_client_close(y);
	return r != 0;
}
