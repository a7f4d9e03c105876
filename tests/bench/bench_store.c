/*
 * bench_store.c - sp_store_apply throughput on its own: 200,000 records
 * with 300-byte bodies in durable transactions of 10,000, keys in order
 * (as a CSV import writes them) and then in random order (as replication
 * may deliver them). Signing happens outside the timed part.
 *
 * Usage: bench_store [DIR]  (default: a new directory under $TMPDIR or /tmp,
 * removed at the end). Prints one line per run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "pack.h"
#include "record.h"
#include "sp_err.h"
#include "store.h"

#define NRECORDS  200000
#define BATCH     10000
#define BODY_TEXT 290     /* + map and string headers: a 300-byte body */

static uint8_t g_pk[SP_PUBKEY_BYTES], g_sk[SP_SECKEY_BYTES];

/* One signed batch: encodings back to back, with decoded fields and ids. */
typedef struct batch {
	sp_buf enc;
	size_t off[BATCH + 1];
	sp_record rec[BATCH];
	uint8_t id[BATCH][SP_ID_BYTES];
} batch;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
fail(const char *what, int r)
{
	fprintf(stderr, "bench_store: %s: %s\n", what, sp_strerror(r));
	return 1;
}

/* Signs records first..first+BATCH-1; key i is perm[i] (or i). */
static int
batch_make(batch *b, size_t first, const uint32_t *perm)
{
	char text[BODY_TEXT];
	sp_buf body;
	size_t i;
	int r = 0;

	sp_buf_init(&body);
	sp_buf_reset(&b->enc);
	for (i = 0; i < BATCH; i++) {
		size_t n = first + i, k = perm != NULL ? perm[n] : n;
		sp_record *rec = &b->rec[i];

		memset(rec, 0, sizeof(*rec));
		memcpy(rec->community, g_pk, SP_PUBKEY_BYTES);
		memcpy(rec->author, g_pk, SP_PUBKEY_BYTES);
		memcpy(rec->collection, "households", 10);
		rec->collection_len = 10;
		rec->key_len = (size_t)snprintf(rec->key, sizeof(rec->key),
		    "h-%07zu", k);
		rec->timestamp = ((uint64_t)1700000000000 + n) << 16;
		rec->label = SP_LABEL_COMMUNITY;
		/* {"t": "<290 bytes>"} */
		memset(text, 'a' + (int)(k % 26), BODY_TEXT);
		sp_buf_reset(&body);
		sp_pack_map(&body, 1);
		sp_pack_cstr(&body, "t");
		sp_pack_str(&body, text, BODY_TEXT);
		if ((r = body.err) != 0)
			break;
		rec->body = body.data;
		rec->body_len = body.len;
		b->off[i] = b->enc.len;
		r = sp_record_sign(rec, g_sk, &b->enc, b->id[i]);
		rec->body = NULL;
		if (r != 0)
			break;
	}
	b->off[BATCH] = b->enc.len;
	sp_buf_free(&body);
	return r;
}

static int
run(const char *dir, const char *name, const uint32_t *perm)
{
	sp_store *s = NULL;
	sp_store_stats st;
	sp_txn *t;
	batch *b = calloc(1, sizeof(*b));
	enum sp_apply_result res;
	double spent = 0, t0;
	size_t first, i;
	int r;

	if (b == NULL)
		return fail("calloc", SP_ENOMEM);
	sp_buf_init(&b->enc);
	if ((r = sp_store_open(dir, NULL, &s)) != 0)
		return fail("open", r);
	for (first = 0; first < NRECORDS; first += BATCH) {
		if ((r = batch_make(b, first, perm)) != 0)
			return fail("sign", r);
		t0 = now_s();
		if ((r = sp_txn_begin(s, true, &t)) != 0)
			return fail("begin", r);
		for (i = 0; i < BATCH; i++) {
			r = sp_store_apply(t, b->enc.data + b->off[i],
			    b->off[i + 1] - b->off[i], &b->rec[i], b->id[i], NULL,
			    &res);
			if (r != 0)
				return fail("apply", r);
		}
		if ((r = sp_txn_commit(t)) != 0)
			return fail("commit", r);
		spent += now_s() - t0;
	}
	if ((r = sp_store_stats_get(s, &st)) != 0)
		return fail("stats", r);
	printf("%-8s %d records, %d per durable commit: %.0f records/s "
	    "(%.2f s), store %.1f MiB\n", name, NRECORDS, BATCH,
	    NRECORDS / spent, spent, (double)st.file_bytes / (1 << 20));
	sp_store_close(s);
	sp_buf_free(&b->enc);
	free(b);
	return 0;
}

static int
fresh_dir(char *path, size_t len)
{
	const char *base = getenv("TMPDIR");

	snprintf(path, len, "%s/bench_store.XXXXXX", base != NULL ? base : "/tmp");
	return mkdtemp(path) != NULL ? 0 : -1;
}

static void
remove_store(const char *dir)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/data.mdb", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", dir);
	unlink(p);
	rmdir(dir);
}

int
main(int argc, char **argv)
{
	static uint32_t perm[NRECORDS];
	char dir[4096];
	size_t i, j;
	uint32_t tmp;
	int rc = 0;

	if (sp_crypto_init() != 0)
		return fail("crypto", SP_EINTERNAL);
	sp_sign_keypair(g_pk, g_sk);
	for (i = 0; i < NRECORDS; i++)
		perm[i] = (uint32_t)i;
	srand(1);
	for (i = NRECORDS - 1; i > 0; i--) {
		j = (size_t)rand() % (i + 1);
		tmp = perm[i];
		perm[i] = perm[j];
		perm[j] = tmp;
	}

	if (argc > 1) {
		/* A given directory (e.g. on the disk to measure) gets the ordered run. */
		return run(argv[1], "ordered", NULL);
	}
	if (fresh_dir(dir, sizeof(dir)) != 0)
		return fail("mkdtemp", SP_EINTERNAL);
	rc |= run(dir, "ordered", NULL);
	remove_store(dir);
	if (fresh_dir(dir, sizeof(dir)) != 0)
		return fail("mkdtemp", SP_EINTERNAL);
	rc |= run(dir, "random", perm);
	remove_store(dir);
	return rc;
}
