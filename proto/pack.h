/*
 * pack.h - msgpack writer (the only user of msgpack-c's packer).
 *
 * Every function appends one msgpack item to out in its shortest encoding,
 * which is what the canonical form requires (docs/FORMAT.md). Errors are
 * sticky in out->err (see buf.h): pack a whole message, then check out->err.
 * Map keys are NOT sorted for you: callers emitting canonical maps must emit
 * keys in bytewise order (sp_pack_str of shorter-prefix keys first).
 */
#ifndef SP_PACK_H
#define SP_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

void sp_pack_nil(sp_buf *out);
void sp_pack_bool(sp_buf *out, bool v);
void sp_pack_uint(sp_buf *out, uint64_t v);
/* Non-negative values come out in the unsigned family, as the canonical form wants. */
void sp_pack_int(sp_buf *out, int64_t v);
void sp_pack_double(sp_buf *out, double v);
void sp_pack_str(sp_buf *out, const char *s, size_t len);
/* NUL-terminated convenience form of sp_pack_str. */
void sp_pack_cstr(sp_buf *out, const char *s);
void sp_pack_bin(sp_buf *out, const void *p, size_t len);
void sp_pack_array(sp_buf *out, uint32_t n);
void sp_pack_map(sp_buf *out, uint32_t n);
/* Appends already-encoded msgpack bytes verbatim (e.g. a validated body). */
void sp_pack_raw(sp_buf *out, const void *p, size_t len);

#endif
