/*
 * buf.h - growable byte buffer with a sticky error.
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

/* Frees the memory (zeroing it first when wipe is non-zero) and re-inits. */
void sp_buf_free(sp_buf *b);
void sp_buf_wipe(sp_buf *b);

#endif
