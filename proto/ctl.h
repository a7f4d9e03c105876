/*
 * ctl.h - the control protocol between simpul (CLI) and simpuld, as pure
 * functions over bytes (docs/PROTOCOL.md, "Control protocol").
 *
 * Frame: a 4-byte big-endian length N (1 <= N <= SP_CTL_FRAME_MAX), then N
 * bytes of msgpack:
 *   request: [SP_CTL_VERSION, command str, args map]
 *   reply:   [SP_CTL_VERSION, status int, fields map]
 * status is SP_CTL_OK (final), SP_CTL_MORE (a streamed item; more replies
 * follow) or a negative sp_err code (final; fields carry "error" (name),
 * "message" and optionally "detail"). Map keys are strings, unique, in any
 * order. The version is checked on every message; a mismatch is
 * SP_EPROTO_VERSION.
 */
#ifndef SP_CTL_H
#define SP_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SP_CTL_VERSION    1
#define SP_CTL_FRAME_MAX  (4u * 1024 * 1024)
#define SP_CTL_HDR_BYTES  4
#define SP_CTL_MAX_FIELDS 32
#define SP_CTL_CMD_MAX    32

#define SP_CTL_OK   0
#define SP_CTL_MORE 1

typedef struct sp_ctl_field {
	const char *name;     /* not NUL-terminated; points into the frame */
	size_t name_len;
	const uint8_t *val;   /* the value's msgpack encoding, inside the frame */
	size_t val_len;
} sp_ctl_field;

/* A decoded message. Every pointer points into the decoded bytes. */
typedef struct sp_ctl_msg {
	char cmd[SP_CTL_CMD_MAX + 1]; /* request: command name, NUL-terminated */
	int status;                   /* reply: SP_CTL_OK, SP_CTL_MORE or < 0 */
	size_t nfields;
	sp_ctl_field fields[SP_CTL_MAX_FIELDS];
} sp_ctl_msg;

/*
 * Reads a frame header. Returns 0 and the payload length, or
 * SP_EFRAME_TOO_BIG / SP_EFRAME for 0 or > SP_CTL_FRAME_MAX.
 */
int sp_ctl_frame_len(const uint8_t hdr[SP_CTL_HDR_BYTES], uint32_t *len);

/*
 * Decode a payload (without its 4-byte header). m is cleared on entry and
 * again on failure. Returns 0, SP_EPROTO_VERSION, SP_EFRAME (not a control
 * message: envelope shape or types, command name, status, more than
 * SP_CTL_MAX_FIELDS fields), SP_EKEYTYPE or SP_EDUPKEY (field names), or
 * the reader's code for the encoding rule the bytes broke (SP_ETRUNCATED,
 * SP_ETRAILING, ...). Field values are validated with
 * sp_read_value(SP_MAX_DEPTH): nested maps must be canonical.
 */
int sp_ctl_decode_request(const uint8_t *data, size_t len, sp_ctl_msg *m);
int sp_ctl_decode_reply(const uint8_t *data, size_t len, sp_ctl_msg *m);

/*
 * Field accessors: SP_ENOTFOUND when absent, SP_ETYPE (or another reader
 * code) when present with the wrong type. Strings are not NUL-terminated;
 * sp_ctl_get_cstr copies into buf (size bytes, NUL-terminated) and fails
 * with SP_ETOOBIG if it does not fit or SP_EINVAL if it holds a NUL.
 */
const sp_ctl_field *sp_ctl_find(const sp_ctl_msg *m, const char *name);
int sp_ctl_get_str(const sp_ctl_msg *m, const char *name, const char **s, size_t *len);
int sp_ctl_get_cstr(const sp_ctl_msg *m, const char *name, char *buf, size_t size);
int sp_ctl_get_bin(const sp_ctl_msg *m, const char *name, const uint8_t **p, size_t *len);
int sp_ctl_get_uint(const sp_ctl_msg *m, const char *name, uint64_t *v);
int sp_ctl_get_int(const sp_ctl_msg *m, const char *name, int64_t *v);
int sp_ctl_get_bool(const sp_ctl_msg *m, const char *name, bool *v);
/* The raw msgpack span of a field (e.g. a body map or an array of rows). */
int sp_ctl_get_raw(const sp_ctl_msg *m, const char *name, const uint8_t **p, size_t *len);

/*
 * Building: begin a frame (reserves the length header and packs the
 * envelope with a map header of nfields entries), pack exactly nfields
 * name/value pairs with pack.h, then sp_ctl_end() patches the length.
 * start is out->len before sp_ctl_begin_*, so several frames can share
 * one buffer. sp_ctl_end returns out->err, SP_EFRAME_TOO_BIG (the frame is
 * then removed: out->len = start), or 0. Arguments the decoder would
 * refuse (a bad command name, nfields > SP_CTL_MAX_FIELDS, status >
 * SP_CTL_MORE) set out->err to SP_EINVAL.
 */
void sp_ctl_begin_request(sp_buf *out, const char *cmd, uint32_t nfields);
void sp_ctl_begin_reply(sp_buf *out, int status, uint32_t nfields);
int sp_ctl_end(sp_buf *out, size_t start);

/*
 * Appends a whole error reply frame: status err (SP_EINTERNAL if err >= 0),
 * fields "error" (sp_errname), "message" (sp_strerror), "detail" (when not
 * NULL; cut to 1024 bytes, non-UTF-8 bytes shown as '?') and "code" (err).
 */
int sp_ctl_error_reply(sp_buf *out, int err, const char *detail);

#endif
