/*
 * json_body.h - JSON text <-> canonical record bodies (jansson).
 *
 * JSON objects become canonical msgpack maps (keys sorted bytewise),
 * integers stay int64 (16-digit ID numbers survive; integers outside int64
 * are refused rather than rounded), reals become float64, duplicate keys
 * are refused. Bodies become JSON with binary values written as
 * {"$bin": "<base64>"} (the only non-JSON type a body can hold).
 */
#ifndef SP_JSON_BODY_H
#define SP_JSON_BODY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"

/*
 * Parses text (len bytes) as one JSON object and appends the canonical body
 * to out. On failure returns SP_EJSON (or the body rule broken, e.g.
 * SP_EBODY_TOO_BIG, SP_EDEPTH) and writes a message such as
 * "line 1, column 5: string or '}' expected" to err (size bytes).
 */
int sp_json_to_body(const char *text, size_t len, sp_buf *out, char *err, size_t size);

/* Converts a json_t object to a canonical body (same rules). */
int sp_json_obj_to_body(json_t *obj, sp_buf *out, char *err, size_t size);

/* Converts a validated body to a new json_t object (*out owned by caller). */
int sp_body_to_json(const uint8_t *body, size_t len, json_t **out);

#endif
