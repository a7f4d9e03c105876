/*
 * body.h - record bodies: canonical msgpack maps of at most SP_BODY_MAX bytes.
 *
 * Values are nil, bool, int64 (uint64 up to INT64_MAX), float64, UTF-8
 * string, binary, arrays and maps, nested at most SP_MAX_DEPTH levels
 * counting the body map itself; map keys are unique UTF-8 strings in
 * bytewise order.
 */
#ifndef SP_BODY_H
#define SP_BODY_H

#include <stddef.h>
#include <stdint.h>

/* The empty body (an empty map), used by tombstones. */
#define SP_BODY_EMPTY_BYTE 0x80

/* Returns 0 if data is exactly one canonical body, else the broken rule. */
int sp_body_validate(const uint8_t *data, size_t len);

/*
 * Finds the value of top-level key name in a validated body. On success
 * *val and *val_len span the value's encoding. SP_ENOTFOUND if absent.
 */
int sp_body_get(const uint8_t *body, size_t len, const char *name,
    size_t name_len, const uint8_t **val, size_t *val_len);

#endif
