/*
 * reader.h - bounded, canonical msgpack reader for untrusted bytes.
 *
 * msgpack-c's unpacker allocates whatever a header claims, so simpul reads
 * untrusted input with this reader instead. It never allocates: strings and
 * binaries are returned as pointers into the input. Every length is checked
 * against the bytes that remain before it is used, and every container count
 * against the smallest size its elements could take (SP_ECOUNT).
 *
 * Canonical rules enforced by every sp_read_* call: integers and length
 * headers in their shortest form, non-negative integers in the unsigned
 * family, strings valid UTF-8, no float32, no NaN or infinity, no extension
 * types, never 0xc1. On error the reader's position is unspecified and the
 * caller must stop using it.
 */
#ifndef SP_READER_H
#define SP_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Maximum nesting of a record body: the body map itself is level 1. */
#define SP_MAX_DEPTH 8

typedef struct sp_reader {
	const uint8_t *p;  /* next unread byte */
	size_t left;       /* bytes remaining */
} sp_reader;

enum sp_mp_type {
	SP_MP_NIL, SP_MP_BOOL, SP_MP_UINT, SP_MP_INT, SP_MP_FLOAT,
	SP_MP_STR, SP_MP_BIN, SP_MP_ARRAY, SP_MP_MAP, SP_MP_INVALID
};

void sp_reader_init(sp_reader *r, const void *data, size_t len);

/*
 * Type of the next item without consuming it, judged by its first byte
 * only; SP_MP_INVALID at the end or on 0xc1 and extension types.
 */
enum sp_mp_type sp_reader_peek(const sp_reader *r);

/* Offset of the read position from start (for error reports). */
size_t sp_reader_offset(const sp_reader *r, const void *start);

/*
 * Each sp_read_* reads one item of its type, clearing the out-params on
 * entry. A well-formed item of another type is SP_ETYPE and leaves the
 * reader where it was.
 */
int sp_read_nil(sp_reader *r);
int sp_read_bool(sp_reader *r, bool *out);
/* Unsigned family only; a negative integer is SP_ETYPE. */
int sp_read_uint(sp_reader *r, uint64_t *out);
/* Either family; values above INT64_MAX are SP_EINTRANGE. */
int sp_read_int(sp_reader *r, int64_t *out);
int sp_read_double(sp_reader *r, double *out);
int sp_read_str(sp_reader *r, const char **s, size_t *len);
int sp_read_bin(sp_reader *r, const uint8_t **p, size_t *len);
int sp_read_array(sp_reader *r, uint32_t *n);
int sp_read_map(sp_reader *r, uint32_t *n);

/*
 * Reads and validates one whole value of any type (a body value), at most
 * depth levels of containers deep (depth <= SP_MAX_DEPTH; 0 admits scalars
 * only). Maps must have string keys, unique and sorted bytewise (shorter
 * prefix first); integers must fit int64 (SP_EINTRANGE). Returns 0 or the
 * first broken rule.
 */
int sp_read_value(sp_reader *r, unsigned depth);

/* The next item is the string name, exactly (a map key a format fixes). */
bool sp_read_name(sp_reader *r, const char *name);
/*
 * A string of 1..max bytes without control characters, copied
 * NUL-terminated into out (max + 1 bytes; so no NUL inside either).
 */
bool sp_read_text(sp_reader *r, char *out, size_t max);

/* Returns SP_ETRAILING unless every byte was consumed. */
int sp_reader_end(const sp_reader *r);

/* Valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF)? */
bool sp_utf8_valid(const void *s, size_t len);
/* Whether valid UTF-8 s holds no control character (U+0000-U+001F, U+007F). */
bool sp_utf8_printable(const char *s, size_t len);

/* Bytewise key order used by canonical maps: <0, 0, >0 like memcmp. */
int sp_key_cmp(const void *a, size_t alen, const void *b, size_t blen);

#endif
