/*
 * bench_live: live replication latency between two running, connected
 * nodes. SAMPLES times: a put on A, then B is asked for the record until
 * it has it; a sample is the time from sending the put to B's first yes
 * (A's durable write, the push, B's verification and durable write, and
 * up to POLL_US of polling). It talks to both control sockets directly,
 * so the figures are simpuld's, not those of starting processes.
 *   usage: bench_live DIR_A DIR_B COMMUNITY [SAMPLES]
 * Prints "samples N", then p50, p90, p99 and max in milliseconds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_ctl.h"

#define COLLECTION  "live"
#define POLL_US     100
#define TIMEOUT_S   10.0

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile of n sorted values (nearest rank). */
static double
quantile(const double *v, size_t n, double q)
{
	size_t i = (size_t)(q * (double)n + 0.999999);

	return v[i == 0 ? 0 : i - 1];
}

/* One sample: put key on A, poll B until it has it; *ms gets the latency. */
static int
sample(sp_client *a, sp_client *b, const char *community, unsigned long i, double *ms)
{
	char key[32];
	sp_buf body;
	double t0;
	int r;

	snprintf(key, sizeof(key), "live-%06lu", i);
	sp_buf_init(&body);
	if ((r = bench_body(&body, i)) != 0)
		goto out;
	t0 = bench_now();
	if ((r = bench_put(a, community, COLLECTION, key, &body)) != 0) {
		fprintf(stderr, "bench_live: put on A: %s\n", sp_strerror(r));
		goto out;
	}
	while ((r = bench_get(b, community, COLLECTION, key)) == SP_ENOTFOUND) {
		if (bench_now() - t0 > TIMEOUT_S) {
			fprintf(stderr, "bench_live: %s did not reach B in %.0f s\n", key, TIMEOUT_S);
			r = -ETIMEDOUT;
			goto out;
		}
		usleep(POLL_US);
	}
	if (r != 0) {
		fprintf(stderr, "bench_live: get on B: %s\n", sp_strerror(r));
		goto out;
	}
	*ms = (bench_now() - t0) * 1000.0;
out:
	sp_buf_free(&body);
	return r;
}

int
main(int argc, char **argv)
{
	sp_client *a = NULL, *b = NULL;
	double *ms = NULL;
	long samples;
	unsigned long i;
	int r, status = 1;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: bench_live DIR_A DIR_B COMMUNITY [SAMPLES]\n");
		return 2;
	}
	samples = argc == 5 ? atol(argv[4]) : 1000;
	if (samples < 1) {
		fprintf(stderr, "bench_live: SAMPLES must be at least 1\n");
		return 2;
	}
	if ((r = sp_client_connect(argv[1], &a)) != 0 ||
	    (r = sp_client_connect(argv[2], &b)) != 0) {
		fprintf(stderr, "bench_live: connecting: %s\n", sp_strerror(r));
		goto out;
	}
	if ((ms = calloc((size_t)samples, sizeof(*ms))) == NULL)
		goto out;
	for (i = 0; i < (unsigned long)samples; i++)
		if (sample(a, b, argv[3], i, &ms[i]) != 0)
			goto out;
	qsort(ms, (size_t)samples, sizeof(*ms), cmp_double);
	printf("samples %ld\n", samples);
	printf("p50_ms %.2f\n", quantile(ms, (size_t)samples, 0.50));
	printf("p90_ms %.2f\n", quantile(ms, (size_t)samples, 0.90));
	printf("p99_ms %.2f\n", quantile(ms, (size_t)samples, 0.99));
	printf("max_ms %.2f\n", ms[samples - 1]);
	status = 0;
out:
	free(ms);
	sp_client_close(a);
	sp_client_close(b);
	return status;
}
