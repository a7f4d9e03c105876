#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include "sp_err.h"

void
sp_buf_init(sp_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->err = 0;
}

int
sp_buf_reserve(sp_buf *b, size_t extra)
{
	size_t cap;
	uint8_t *p;

	if (b->err != 0)
		return b->err;
	if (extra <= b->cap - b->len)
		return 0;
	if (extra > SP_BUF_MAX - b->len) {
		b->err = SP_ETOOBIG;
		return b->err;
	}
	cap = b->cap != 0 ? b->cap : 256;
	while (cap - b->len < extra)
		cap *= 2;
	if (cap > SP_BUF_MAX)
		cap = SP_BUF_MAX;
	if ((p = realloc(b->data, cap)) == NULL) {
		b->err = SP_ENOMEM;
		return b->err;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int
sp_buf_append(sp_buf *b, const void *p, size_t n)
{
	int r;

	if (n == 0)
		return b->err;
	if ((r = sp_buf_reserve(b, n)) != 0)
		return r;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

void
sp_buf_reset(sp_buf *b)
{
	b->len = 0;
	b->err = 0;
}

void
sp_buf_free(sp_buf *b)
{
	free(b->data);
	sp_buf_init(b);
}

void
sp_buf_wipe(sp_buf *b)
{
	if (b->data != NULL)
		sp_memzero(b->data, b->cap);
	sp_buf_free(b);
}

void
sp_memzero(void *p, size_t n)
{
	/* As with sodium_memzero, nothing to wipe may come as NULL. */
	if (n == 0)
		return;
	/* glibc and musl promise that these stores are never optimised away. */
	explicit_bzero(p, n);
}
