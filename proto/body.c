#include "body.h"

#include "sp_err.h"

int
sp_body_read(sp_reader *r, const uint8_t **body, size_t *len)
{
	const uint8_t *start = r->p;
	size_t n;
	int rc;

	*body = NULL;
	*len = 0;
	/* Nothing at all is a cut-short input, not a body of another type. */
	if (r->left == 0)
		return SP_ETRUNCATED;
	if (sp_reader_peek(r) != SP_MP_MAP)
		return SP_EBODY_TYPE;
	if ((rc = sp_read_value(r, SP_MAX_DEPTH)) != 0)
		return rc;
	n = sp_reader_offset(r, start);
	if (n > SP_BODY_MAX)
		return SP_EBODY_TOO_BIG;
	*body = start;
	*len = n;
	return 0;
}

int
sp_body_validate(const uint8_t *data, size_t len)
{
	const uint8_t *body;
	size_t body_len;
	sp_reader r;
	int rc;

	if (len > SP_BODY_MAX)
		return SP_EBODY_TOO_BIG;
	sp_reader_init(&r, data, len);
	if ((rc = sp_body_read(&r, &body, &body_len)) != 0)
		return rc;
	return sp_reader_end(&r);
}

int
sp_body_get(const uint8_t *body, size_t len, const char *name,
    size_t name_len, const uint8_t **val, size_t *val_len)
{
	sp_reader r;
	const char *key;
	size_t key_len;
	uint32_t i, n;
	int c, rc;

	*val = NULL;
	*val_len = 0;
	sp_reader_init(&r, body, len);
	if ((rc = sp_read_map(&r, &n)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		const uint8_t *start;

		if ((rc = sp_read_str(&r, &key, &key_len)) != 0)
			return rc;
		start = r.p;
		if ((rc = sp_read_value(&r, SP_MAX_DEPTH - 1)) != 0)
			return rc;
		c = sp_key_cmp(key, key_len, name, name_len);
		if (c == 0) {
			*val = start;
			*val_len = sp_reader_offset(&r, start);
			return 0;
		}
		/* Keys are sorted: once past name, it is not there. */
		if (c > 0)
			break;
	}
	return SP_ENOTFOUND;
}
