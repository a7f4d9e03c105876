/*
 * bench_negentropy.c - one Negentropy reconciliation between two large
 * in-memory sets with the reference's splitting: N items on each side, of
 * which DIFF are only the client's and DIFF only the server's, ids and
 * timestamps uniformly random (timestamps over a year in milliseconds).
 * Prints the rounds, the bytes each way and the time, with and without the
 * frame size limit the daemon uses, and checks that have and need are
 * exactly the two differences.
 *
 * Usage: bench_negentropy [N [DIFF]]  (default 1,000,000 and 1,000)
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "crypto.h"
#include "negentropy.h"
#include "sp_err.h"

#define ID SP_NEG_ID_BYTES
#define T0 UINT64_C(1700000000000)
#define SPAN UINT64_C(31536000000)

typedef struct ids {
	uint8_t (*v)[ID];
	size_t len;
	size_t cap;
	bool oom;
} ids;

/* What the client reported. */
typedef struct report {
	ids have;
	ids need;
} report;

static double
now_s(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
fail(const char *what, int r)
{
	fprintf(stderr, "bench_negentropy: %s: %s\n", what, sp_strerror(r));
	return 1;
}

static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void
ids_add(ids *s, const uint8_t id[ID])
{
	void *v;

	if (s->len == s->cap) {
		s->cap = s->cap != 0 ? s->cap * 2 : 1024;
		if ((v = realloc(s->v, s->cap * ID)) == NULL) {
			s->oom = true;
			return;
		}
		s->v = v;
	}
	memcpy(s->v[s->len++], id, ID);
}

static void
on_have(void *arg, const uint8_t id[ID])
{
	ids_add(&((report *)arg)->have, id);
}

static void
on_need(void *arg, const uint8_t id[ID])
{
	ids_add(&((report *)arg)->need, id);
}

static int
id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, ID);
}

/* Sorts and drops repeats; true when the result equals want (sorted). */
static bool
same_set(ids *got, const ids *want)
{
	size_t i, n = 0;

	qsort(got->v, got->len, ID, id_cmp);
	for (i = 0; i < got->len; i++)
		if (n == 0 || memcmp(got->v[n - 1], got->v[i], ID) != 0)
			memmove(got->v[n++], got->v[i], ID);
	got->len = n;
	return n == want->len && memcmp(got->v, want->v, n * ID) == 0;
}

/* One reconciliation; have and need must be the true differences. */
static int
reconcile(const sp_neg_storage *cs, const sp_neg_storage *ss, uint64_t limit,
    size_t idlist_below, const ids *want_have, const ids *want_need, report *rep)
{
	sp_neg *client = NULL, *server = NULL;
	size_t rounds = 0, up = 0, down = 0;
	double wall, cpu;
	sp_buf c2s, s2c;
	bool done = false;
	int r;

	sp_buf_init(&c2s);
	sp_buf_init(&s2c);
	rep->have.len = rep->need.len = 0;
	wall = now_s(CLOCK_MONOTONIC);
	cpu = now_s(CLOCK_PROCESS_CPUTIME_ID);
	if ((r = sp_neg_new(cs, limit, &client)) != 0 ||
	    (r = sp_neg_new(ss, limit, &server)) != 0 ||
	    (r = sp_neg_set_idlist_below(client, idlist_below)) != 0 ||
	    (r = sp_neg_set_idlist_below(server, idlist_below)) != 0 ||
	    (r = sp_neg_initiate(client, &c2s)) != 0)
		goto out;
	while (!done) {
		up += c2s.len;
		sp_buf_reset(&s2c);
		if ((r = sp_neg_reconcile(server, c2s.data, c2s.len, &s2c)) != 0)
			goto out;
		down += s2c.len;
		sp_buf_reset(&c2s);
		if ((r = sp_neg_reconcile_client(client, s2c.data, s2c.len, &c2s,
		    on_have, on_need, rep, &done)) != 0)
			goto out;
		rounds++;
	}
	wall = now_s(CLOCK_MONOTONIC) - wall;
	cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - cpu;
	printf("id lists below %2zu, frame limit %8llu: %zu rounds, %zu bytes up + %zu down = %zu "
	    "(%.1f per differing id), %.3f s (%.3f s CPU, both sides)\n",
	    idlist_below, (unsigned long long)limit, rounds, up, down, up + down,
	    (double)(up + down) / (double)(want_have->len + want_need->len),
	    wall, cpu);
	if (rep->have.oom || rep->need.oom) {
		r = SP_ENOMEM;
		goto out;
	}
	if (!same_set(&rep->have, want_have) || !same_set(&rep->need, want_need)) {
		fprintf(stderr, "bench_negentropy: have/need differ from the true difference\n");
		r = SP_EINTERNAL;
		goto out;
	}
	r = 0;
out:
	sp_neg_free(client);
	sp_neg_free(server);
	sp_buf_free(&c2s);
	sp_buf_free(&s2c);
	return r;
}

int
main(int argc, char **argv)
{
	static const uint64_t limits[] = { 0, 1024 * 1024, 65536 };
	static const size_t idlists[] = { 32, 4 };
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	size_t diff = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000;
	sp_neg_vector *cv = NULL, *sv = NULL;
	sp_neg_storage cs, ss;
	ids want_have = { 0 }, want_need = { 0 };
	report rep = { { 0 }, { 0 } };
	uint8_t id[ID];
	uint64_t rng = 42, ts, x;
	double t;
	size_t i, j;
	int r, rc = 1;

	if (diff > n || sp_crypto_init() != 0) {
		fprintf(stderr, "usage: bench_negentropy [N [DIFF]] (DIFF <= N)\n");
		return 1;
	}
	want_have.v = malloc(diff * ID + 1);
	want_need.v = malloc(diff * ID + 1);
	if (want_have.v == NULL || want_need.v == NULL) {
		fail("setup", SP_ENOMEM);
		goto out;
	}
	if ((r = sp_neg_vector_new(&cv)) != 0 || (r = sp_neg_vector_new(&sv)) != 0) {
		fail("setup", r);
		goto out;
	}
	t = now_s(CLOCK_MONOTONIC);
	/* The differing items are spread at random among the common ones. */
	for (i = 0; i < n + diff; i++) {
		for (j = 0; j < ID; j += 8) {
			x = splitmix(&rng);
			memcpy(id + j, &x, 8);
		}
		ts = T0 + splitmix(&rng) % SPAN;
		if (i < n - diff) {
			r = sp_neg_vector_add(cv, ts, id);
			if (r == 0)
				r = sp_neg_vector_add(sv, ts, id);
		} else if (i < n) {
			r = sp_neg_vector_add(cv, ts, id);
			memcpy(want_have.v[want_have.len++], id, ID);
		} else {
			r = sp_neg_vector_add(sv, ts, id);
			memcpy(want_need.v[want_need.len++], id, ID);
		}
		if (r != 0) {
			fail("add", r);
			goto out;
		}
	}
	if ((r = sp_neg_vector_seal(cv)) != 0 || (r = sp_neg_vector_seal(sv)) != 0) {
		fail("seal", r);
		goto out;
	}
	printf("%zu items each side, %zu only the client's, %zu only the server's "
	    "(sets built and sealed in %.2f s)\n", n, diff, diff,
	    now_s(CLOCK_MONOTONIC) - t);
	qsort(want_have.v, want_have.len, ID, id_cmp);
	qsort(want_need.v, want_need.len, ID, id_cmp);
	sp_neg_vector_storage(cv, &cs);
	sp_neg_vector_storage(sv, &ss);
	/* The reference's splitting (id lists under 32 items), then the daemon's (under 4). */
	for (j = 0; j < sizeof(idlists) / sizeof(idlists[0]); j++) {
		for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
			if ((r = reconcile(&cs, &ss, limits[i], idlists[j], &want_have,
			    &want_need, &rep)) != 0) {
				fail("reconcile", r);
				goto out;
			}
		}
	}
	rc = 0;
out:
	sp_neg_vector_free(cv);
	sp_neg_vector_free(sv);
	free(want_have.v);
	free(want_need.v);
	free(rep.have.v);
	free(rep.need.v);
	return rc;
}
