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

#include "reader.h"

#define SP_BODY_MAX (60 * 1024)

/* The empty body (an empty map), used by tombstones. */
#define SP_BODY_EMPTY_BYTE 0x80

/*
 * Returns 0 if data is exactly one canonical body, else the broken rule.
 * The size limit is checked first (SP_EBODY_TOO_BIG), then that it is a
 * map (SP_EBODY_TYPE), then the value rules, then SP_ETRAILING.
 */
int sp_body_validate(const uint8_t *data, size_t len);

/*
 * Reads one canonical body from r, for decoders of messages that embed a
 * body (records). On success *body and *len span it inside r's input.
 * The size limit can only be judged once the body's end is known, so here
 * it is checked after the value rules.
 */
int sp_body_read(sp_reader *r, const uint8_t **body, size_t *len);

/*
 * Finds the value of top-level key name in a validated body. On success
 * *val and *val_len span the value's encoding (inside body, not owned).
 * SP_ENOTFOUND if absent; a reader code if body is not a valid body.
 */
int sp_body_get(const uint8_t *body, size_t len, const char *name,
    size_t name_len, const uint8_t **val, size_t *val_len);

#endif
