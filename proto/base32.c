#include "base32.h"

#include <string.h>

#include "sp_err.h"

static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

void
sp_base32_encode(char *out, const uint8_t *in, size_t n)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		acc = acc << 8 | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			*out++ = alphabet[(acc >> bits) & 0x1f];
		}
	}
	/* The last partial group is padded with zero bits on the right. */
	if (bits > 0)
		*out++ = alphabet[(acc << (5 - bits)) & 0x1f];
	*out = '\0';
}

/* Value of one base32 character (either case), or -1. */
static int
digit(char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

int
sp_base32_decode(uint8_t *out, size_t outlen, const char *in, size_t inlen)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t i, o = 0;
	int d, r = SP_EID;

	if (inlen != SP_BASE32_LEN(outlen))
		goto out;
	for (i = 0; i < inlen; i++) {
		if ((d = digit(in[i])) < 0)
			goto out;
		acc = acc << 5 | (uint32_t)d;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/*
	 * Leftover bits are padding and must be zero: otherwise two strings
	 * would name the same bytes and ids could not be compared as text.
	 */
	if ((acc & ((1u << bits) - 1)) != 0)
		goto out;
	r = 0;
out:
	if (r != 0)
		memset(out, 0, outlen);
	return r;
}
