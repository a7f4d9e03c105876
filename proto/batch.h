/*
 * batch.h - a run of whole records, each a u32 big-endian length and the
 * record's canonical bytes: how signed import rows travel to the write
 * queue, and received records to the verifier and the store. simpuld's
 * own format, never on the wire or on disk.
 */
#ifndef SP_BATCH_H
#define SP_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Appends one record of len bytes (errors sticky in b->err). */
void sp_batch_append(sp_buf *b, const uint8_t *rec, size_t len);

/*
 * For a record written straight into b: sp_batch_open reserves its length
 * and returns where; sp_batch_close sets it from what was written since.
 */
size_t sp_batch_open(sp_buf *b);
void sp_batch_close(sp_buf *b, size_t at);

/*
 * Takes the next record from *p (*left bytes): *rec and *len point into
 * the batch, and *p, *left move past it. SP_ETRUNCATED when the length runs
 * past the end or over SP_RECORD_MAX.
 */
int sp_batch_next(const uint8_t **p, size_t *left, const uint8_t **rec, size_t *len);

#endif
