#include "pack.h"

#include <string.h>

#include <msgpack.h>

/*
 * msgpack-c's packer writes through a callback; ours appends to an sp_buf
 * whose sticky error makes every later append a no-op after a failure.
 */
static int
pack_write(void *data, const char *buf, size_t len)
{
	return sp_buf_append(data, buf, len) == 0 ? 0 : -1;
}

#define SP_PACKER(pk, out) \
	msgpack_packer pk; \
	msgpack_packer_init(&pk, (out), pack_write)

void
sp_pack_nil(sp_buf *out)
{
	SP_PACKER(pk, out);
	(void)msgpack_pack_nil(&pk);
}

void
sp_pack_bool(sp_buf *out, bool v)
{
	SP_PACKER(pk, out);
	(void)(v ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk));
}

void
sp_pack_uint(sp_buf *out, uint64_t v)
{
	SP_PACKER(pk, out);
	(void)msgpack_pack_uint64(&pk, v);
}

void
sp_pack_int(sp_buf *out, int64_t v)
{
	SP_PACKER(pk, out);
	(void)msgpack_pack_int64(&pk, v);
}

void
sp_pack_double(sp_buf *out, double v)
{
	SP_PACKER(pk, out);
	(void)msgpack_pack_double(&pk, v);
}

void
sp_pack_str(sp_buf *out, const char *s, size_t len)
{
	SP_PACKER(pk, out);
	if (msgpack_pack_str(&pk, len) == 0)
		(void)msgpack_pack_str_body(&pk, s, len);
}

void
sp_pack_cstr(sp_buf *out, const char *s)
{
	sp_pack_str(out, s, strlen(s));
}

void
sp_pack_bin(sp_buf *out, const void *p, size_t len)
{
	SP_PACKER(pk, out);
	if (msgpack_pack_bin(&pk, len) == 0)
		(void)msgpack_pack_bin_body(&pk, p, len);
}

void
sp_pack_array(sp_buf *out, uint32_t n)
{
	SP_PACKER(pk, out);
	(void)msgpack_pack_array(&pk, n);
}

void
sp_pack_map(sp_buf *out, uint32_t n)
{
	SP_PACKER(pk, out);
	(void)msgpack_pack_map(&pk, n);
}

void
sp_pack_raw(sp_buf *out, const void *p, size_t len)
{
	(void)sp_buf_append(out, p, len);
}
