/*
 * buf.h - bytes in memory: a growable byte buffer with a sticky error, the
 * big-endian loads and stores of every fixed-width integer simpul puts in
 * bytes, and wiping.
 *
 * Appends never fail loudly: the first allocation failure (or growth past
 * SP_BUF_MAX) is remembered in buf->err and later appends do nothing, so a
 * caller packs a whole message and checks once at the end. Caller-allocated,
 * libuv style: sp_buf_init() before use, sp_buf_free() after.
 */
#ifndef SP_BUF_H
#define SP_BUF_H

#include <stddef.h>
#include <stdint.h>

/* No buffer grows past this; an append that would is SP_ETOOBIG. */
#define SP_BUF_MAX ((size_t)1 << 30)

typedef struct sp_buf {
	uint8_t *data; /* owned; NULL until the first append */
	size_t len;
	size_t cap;
	int err;       /* 0 or the first error (SP_ENOMEM, SP_ETOOBIG) */
} sp_buf;

void sp_buf_init(sp_buf *b);

/* Makes room for extra more bytes. Returns 0 or b->err. */
int sp_buf_reserve(sp_buf *b, size_t extra);

/* Appends n bytes (n may be 0; p may then be NULL). Returns 0 or b->err. */
int sp_buf_append(sp_buf *b, const void *p, size_t n);

/* Forgets the content and any error; keeps the memory. */
void sp_buf_reset(sp_buf *b);

/* Frees the memory and re-inits; sp_buf_wipe zeroes all of it first (secrets). */
void sp_buf_free(sp_buf *b);
void sp_buf_wipe(sp_buf *b);

/*
 * Zeroes n bytes of a secret in a way the compiler may not drop as a dead
 * store, even when the memory is freed or goes out of scope right after.
 * It lives here, not with the other crypto wrappers, because buffers wipe
 * too and the crypto module builds on buffers.
 */
void sp_memzero(void *p, size_t n);

/* Big-endian loads (get) and stores (put) of 16, 32 and 64 bits. */
static inline uint16_t
sp_get_be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t
sp_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t
sp_get_be64(const uint8_t *p)
{
	return (uint64_t)sp_get_be32(p) << 32 | sp_get_be32(p + 4);
}

static inline void
sp_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
sp_put_be32(uint8_t *p, uint32_t v)
{
	sp_put_be16(p, (uint16_t)(v >> 16));
	sp_put_be16(p + 2, (uint16_t)v);
}

static inline void
sp_put_be64(uint8_t *p, uint64_t v)
{
	sp_put_be32(p, (uint32_t)(v >> 32));
	sp_put_be32(p + 4, (uint32_t)v);
}

#endif
