/*
 * bench_sign: this machine's single-core Ed25519 rates (libsodium), the
 * yardstick the import benchmark is measured against. Prints
 * "sign_per_s N" and "verify_per_s N" for records of about the benchmark's
 * size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "crypto.h"

#define MSG_BYTES 400

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3.0, t0, el;
	uint8_t pk[32], sk[64], sig[64], msg[MSG_BYTES];
	unsigned long n;

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
	return 0;
}
