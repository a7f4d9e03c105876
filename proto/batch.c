#include "batch.h"

#include "record.h"
#include "sp_err.h"

#define LEN_BYTES 4

void
sp_batch_append(sp_buf *b, const uint8_t *rec, size_t len)
{
	size_t at = sp_batch_open(b);

	sp_buf_append(b, rec, len);
	sp_batch_close(b, at);
}

size_t
sp_batch_open(sp_buf *b)
{
	static const uint8_t zero[LEN_BYTES];
	size_t at = b->len;

	sp_buf_append(b, zero, sizeof(zero));
	return at;
}

void
sp_batch_close(sp_buf *b, size_t at)
{
	if (b->err == 0)
		sp_put_be32(b->data + at, (uint32_t)(b->len - at - LEN_BYTES));
}

int
sp_batch_next(const uint8_t **p, size_t *left, const uint8_t **rec, size_t *len)
{
	uint32_t n;

	if (*left < LEN_BYTES)
		return SP_ETRUNCATED;
	n = sp_get_be32(*p);
	if (n > *left - LEN_BYTES || n > SP_RECORD_MAX)
		return SP_ETRUNCATED;
	*rec = *p + LEN_BYTES;
	*len = n;
	*p += LEN_BYTES + n;
	*left -= LEN_BYTES + n;
	return 0;
}
