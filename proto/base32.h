/*
 * base32.h - RFC 4648 base32, lowercase, no padding: how node and
 * community ids are shown to people.
 */
#ifndef SP_BASE32_H
#define SP_BASE32_H

#include <stddef.h>
#include <stdint.h>

/* Characters needed for n bytes, without the terminating NUL. */
#define SP_BASE32_LEN(n) (((n) * 8 + 4) / 5)
/* A 32-byte id: 52 characters. */
#define SP_ID_STR_LEN SP_BASE32_LEN(32)

/* Writes SP_BASE32_LEN(n) characters and a NUL to out. */
void sp_base32_encode(char *out, const uint8_t *in, size_t n);

/*
 * Decodes exactly outlen bytes from in (inlen must be SP_BASE32_LEN(outlen);
 * upper case accepted, padding and non-zero trailing bits refused).
 * Returns 0 or SP_EID.
 */
int sp_base32_decode(uint8_t *out, size_t outlen, const char *in, size_t inlen);

#endif
