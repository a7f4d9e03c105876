/*
 * bench_sign: this machine's Ed25519 rates (libsodium), the yardsticks the
 * import and sync benchmarks are measured against. Prints "sign_per_s N"
 * and "verify_per_s N" (one core) for records of about the benchmarks'
 * size; with --threads T also "verify_per_s_threads T N": T threads
 * verifying at once, as simpuld's thread pool does while it receives.
 *   usage: bench_sign [SECONDS] [--threads T]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"

#define MSG_BYTES   400
#define MAX_THREADS 64

/* One signed message and what a verifying thread achieved with it. */
typedef struct verifier {
	pthread_t thread;
	double seconds;
	uint8_t pk[32], sig[64], msg[MSG_BYTES];
	unsigned long n;
	double elapsed;
	int failed;
} verifier;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Signs a fresh random message with a fresh key. */
static void
verifier_init(verifier *v, double seconds)
{
	uint8_t sk[64];

	memset(v, 0, sizeof(*v));
	v->seconds = seconds;
	sp_sign_keypair(v->pk, sk);
	sp_randombytes(v->msg, sizeof(v->msg));
	sp_sign(v->sig, v->msg, sizeof(v->msg), sk);
}

static void *
verify_loop(void *arg)
{
	verifier *v = arg;
	double t0 = now_s();

	for (v->n = 0; (v->elapsed = now_s() - t0) < v->seconds; v->n++) {
		if (sp_sign_verify(v->sig, v->msg, sizeof(v->msg), v->pk) != 0) {
			v->failed = 1;
			break;
		}
	}
	return NULL;
}

/* T threads verify for the same time; the rate is their sum. */
static int
verify_threads(int threads, double seconds, double *rate)
{
	verifier v[MAX_THREADS];
	int i, started = 0, failed = 0;

	*rate = 0;
	for (i = 0; i < threads; i++)
		verifier_init(&v[i], seconds);
	for (i = 0; i < threads; i++, started++)
		if (pthread_create(&v[i].thread, NULL, verify_loop, &v[i]) != 0)
			break;
	for (i = 0; i < started; i++) {
		pthread_join(v[i].thread, NULL);
		failed |= v[i].failed;
		*rate += (double)v[i].n / v[i].elapsed;
	}
	return started == threads && !failed ? 0 : -1;
}

int
main(int argc, char **argv)
{
	double seconds = 3.0, t0, el, rate;
	uint8_t pk[32], sk[64], sig[64], msg[MSG_BYTES];
	unsigned long n;
	int i, threads = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
			if ((threads = atoi(argv[++i])) < 1)
				threads = -1;
		} else {
			seconds = atof(argv[i]);
		}
	}
	if (seconds <= 0 || threads < 0 || threads > MAX_THREADS) {
		fprintf(stderr, "usage: bench_sign [SECONDS] [--threads 1..%d]\n", MAX_THREADS);
		return 2;
	}
	if (sp_crypto_init() != 0)
		return 1;
	sp_sign_keypair(pk, sk);
	sp_randombytes(msg, sizeof(msg));
	t0 = now_s();
	for (n = 0; (el = now_s() - t0) < seconds; n++) {
		msg[n % MSG_BYTES]++;
		sp_sign(sig, msg, sizeof(msg), sk);
	}
	printf("sign_per_s %.0f\n", (double)n / el);
	t0 = now_s();
	for (n = 0; (el = now_s() - t0) < seconds; n++) {
		if (sp_sign_verify(sig, msg, sizeof(msg), pk) != 0)
			return 1;
	}
	printf("verify_per_s %.0f\n", (double)n / el);
	if (threads > 0) {
		if (verify_threads(threads, seconds, &rate) != 0)
			return 1;
		printf("verify_per_s_threads %d %.0f\n", threads, rate);
	}
	return 0;
}
