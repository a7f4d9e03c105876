#include "ctl.h"

#include <assert.h>
#include <limits.h>
#include <string.h>

#include "pack.h"
#include "reader.h"
#include "sp_err.h"

/* Longest "detail" an error reply carries; longer ones are cut. */
#define DETAIL_MAX 1024

/* Elements of the envelope: version, command or status, fields. */
#define ENVELOPE_LEN 3

int
sp_ctl_frame_len(const uint8_t hdr[SP_CTL_HDR_BYTES], uint32_t *len)
{
	uint32_t n = sp_get_be32(hdr);

	*len = 0;
	if (n == 0)
		return SP_EFRAME;
	if (n > SP_CTL_FRAME_MAX)
		return SP_EFRAME_TOO_BIG;
	*len = n;
	return 0;
}

static bool
cmd_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > SP_CTL_CMD_MAX)
		return false;
	for (i = 0; i < len; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '-'))
			return false;
	}
	return true;
}

/*
 * In the envelope, an item of the wrong type (or an integer no status can
 * be) means the message is not a control message (SP_EFRAME); other reader
 * errors say which encoding rule the bytes broke and are passed on.
 */
static int
envelope_err(int r)
{
	return r == SP_ETYPE || r == SP_EINTRANGE ? SP_EFRAME : r;
}

/*
 * The fields map. Its keys may come in any order (only values nested
 * inside a field follow the canonical sorted-key rule), so it is walked
 * here rather than with sp_read_value, and uniqueness is checked by hand:
 * with at most SP_CTL_MAX_FIELDS entries a quadratic scan is cheapest.
 */
static int
decode_fields(sp_reader *r, sp_ctl_msg *m)
{
	sp_ctl_field *f;
	const uint8_t *val;
	uint32_t n, i, j;
	int rc;

	if ((rc = sp_read_map(r, &n)) != 0)
		return envelope_err(rc);
	if (n > SP_CTL_MAX_FIELDS)
		return SP_EFRAME;
	for (i = 0; i < n; i++) {
		f = &m->fields[i];
		switch (sp_reader_peek(r)) {
		case SP_MP_STR:
			break;
		case SP_MP_INVALID:
			/* The end of the input or a bad byte: let the reader say which. */
			rc = sp_read_value(r, 0);
			return rc != 0 ? rc : SP_EKEYTYPE;
		default:
			return SP_EKEYTYPE;
		}
		if ((rc = sp_read_str(r, &f->name, &f->name_len)) != 0)
			return rc;
		for (j = 0; j < i; j++) {
			if (m->fields[j].name_len == f->name_len &&
			    memcmp(m->fields[j].name, f->name, f->name_len) == 0)
				return SP_EDUPKEY;
		}
		val = r->p;
		if ((rc = sp_read_value(r, SP_MAX_DEPTH)) != 0)
			return rc;
		f->val = val;
		f->val_len = (size_t)(r->p - val);
		m->nfields = i + 1;
	}
	return 0;
}

static int
decode(const uint8_t *data, size_t len, sp_ctl_msg *m, bool request)
{
	sp_reader r;
	uint32_t n;
	uint64_t version;
	int64_t status;
	const char *cmd;
	size_t cmd_len;
	int rc;

	memset(m, 0, sizeof *m);
	sp_reader_init(&r, data, len);
	if ((rc = sp_read_array(&r, &n)) != 0)
		return envelope_err(rc);
	if (n == 0)
		return SP_EFRAME;
	/*
	 * The version comes first and is checked before the shape of the
	 * rest, so that a peer of another version is told so even if that
	 * version's envelope looks different.
	 */
	if ((rc = sp_read_uint(&r, &version)) != 0)
		return envelope_err(rc);
	if (version != SP_CTL_VERSION)
		return SP_EPROTO_VERSION;
	if (n != ENVELOPE_LEN)
		return SP_EFRAME;
	if (request) {
		if ((rc = sp_read_str(&r, &cmd, &cmd_len)) != 0)
			return envelope_err(rc);
		if (!cmd_valid(cmd, cmd_len))
			return SP_EFRAME;
		memcpy(m->cmd, cmd, cmd_len);
	} else {
		if ((rc = sp_read_int(&r, &status)) != 0)
			return envelope_err(rc);
		if (status > SP_CTL_MORE || status < INT_MIN)
			return SP_EFRAME;
		m->status = (int)status;
	}
	if ((rc = decode_fields(&r, m)) != 0)
		return rc;
	return sp_reader_end(&r);
}

/* On failure m is left cleared, so no caller can use half a message. */
static int
decode_clean(const uint8_t *data, size_t len, sp_ctl_msg *m, bool request)
{
	int rc = decode(data, len, m, request);

	if (rc != 0)
		memset(m, 0, sizeof *m);
	return rc;
}

int
sp_ctl_decode_request(const uint8_t *data, size_t len, sp_ctl_msg *m)
{
	return decode_clean(data, len, m, true);
}

int
sp_ctl_decode_reply(const uint8_t *data, size_t len, sp_ctl_msg *m)
{
	return decode_clean(data, len, m, false);
}

const sp_ctl_field *
sp_ctl_find(const sp_ctl_msg *m, const char *name)
{
	size_t len = strlen(name), i;

	for (i = 0; i < m->nfields; i++) {
		if (m->fields[i].name_len == len &&
		    memcmp(m->fields[i].name, name, len) == 0)
			return &m->fields[i];
	}
	return NULL;
}

/* A reader over the value of field name. */
static int
field_reader(const sp_ctl_msg *m, const char *name, sp_reader *r)
{
	const sp_ctl_field *f = sp_ctl_find(m, name);

	if (f == NULL)
		return SP_ENOTFOUND;
	sp_reader_init(r, f->val, f->val_len);
	return 0;
}

int
sp_ctl_get_str(const sp_ctl_msg *m, const char *name, const char **s, size_t *len)
{
	sp_reader r;
	int rc;

	*s = NULL;
	*len = 0;
	if ((rc = field_reader(m, name, &r)) != 0)
		return rc;
	return sp_read_str(&r, s, len);
}

int
sp_ctl_get_cstr(const sp_ctl_msg *m, const char *name, char *buf, size_t size)
{
	const char *s;
	size_t len;
	int rc;

	if (size > 0)
		buf[0] = '\0';
	if ((rc = sp_ctl_get_str(m, name, &s, &len)) != 0)
		return rc;
	if (len >= size)
		return SP_ETOOBIG;
	if (memchr(s, '\0', len) != NULL)
		return SP_EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return 0;
}

int
sp_ctl_get_bin(const sp_ctl_msg *m, const char *name, const uint8_t **p, size_t *len)
{
	sp_reader r;
	int rc;

	*p = NULL;
	*len = 0;
	if ((rc = field_reader(m, name, &r)) != 0)
		return rc;
	return sp_read_bin(&r, p, len);
}

int
sp_ctl_get_uint(const sp_ctl_msg *m, const char *name, uint64_t *v)
{
	sp_reader r;
	int rc;

	*v = 0;
	if ((rc = field_reader(m, name, &r)) != 0)
		return rc;
	return sp_read_uint(&r, v);
}

int
sp_ctl_get_int(const sp_ctl_msg *m, const char *name, int64_t *v)
{
	sp_reader r;
	int rc;

	*v = 0;
	if ((rc = field_reader(m, name, &r)) != 0)
		return rc;
	return sp_read_int(&r, v);
}

int
sp_ctl_get_bool(const sp_ctl_msg *m, const char *name, bool *v)
{
	sp_reader r;
	int rc;

	*v = false;
	if ((rc = field_reader(m, name, &r)) != 0)
		return rc;
	return sp_read_bool(&r, v);
}

int
sp_ctl_get_raw(const sp_ctl_msg *m, const char *name, const uint8_t **p, size_t *len)
{
	const sp_ctl_field *f = sp_ctl_find(m, name);

	*p = NULL;
	*len = 0;
	if (f == NULL)
		return SP_ENOTFOUND;
	*p = f->val;
	*len = f->val_len;
	return 0;
}

/*
 * Misuse by the caller (a command name or field count the decoder would
 * refuse) is recorded as the buffer's sticky error, so it surfaces from
 * sp_ctl_end like any other failure to build the frame.
 */
static void
begin(sp_buf *out, uint32_t nfields)
{
	static const uint8_t hdr[SP_CTL_HDR_BYTES];

	if (nfields > SP_CTL_MAX_FIELDS && out->err == 0)
		out->err = SP_EINVAL;
	(void)sp_buf_append(out, hdr, sizeof hdr);
	sp_pack_array(out, ENVELOPE_LEN);
	sp_pack_uint(out, SP_CTL_VERSION);
}

void
sp_ctl_begin_request(sp_buf *out, const char *cmd, uint32_t nfields)
{
	begin(out, nfields);
	if (!cmd_valid(cmd, strlen(cmd)) && out->err == 0)
		out->err = SP_EINVAL;
	sp_pack_cstr(out, cmd);
	sp_pack_map(out, nfields);
}

void
sp_ctl_begin_reply(sp_buf *out, int status, uint32_t nfields)
{
	begin(out, nfields);
	if (status > SP_CTL_MORE && out->err == 0)
		out->err = SP_EINVAL;
	sp_pack_int(out, status);
	sp_pack_map(out, nfields);
}

int
sp_ctl_end(sp_buf *out, size_t start)
{
	size_t n;

	if (out->err != 0)
		return out->err;
	assert(start <= out->len && out->len - start > SP_CTL_HDR_BYTES);
	n = out->len - start - SP_CTL_HDR_BYTES;
	if (n > SP_CTL_FRAME_MAX) {
		/* Drop the frame so the buffer still holds only whole frames. */
		out->len = start;
		return SP_EFRAME_TOO_BIG;
	}
	sp_put_be32(out->data + start, (uint32_t)n);
	return 0;
}

/*
 * A detail often quotes user input (a key, a file name). The reply must
 * still decode, and the reader wants valid UTF-8 strings: cut it at a
 * character boundary, and if it is not UTF-8 at all, show non-ASCII bytes
 * as '?'.
 */
static void
pack_detail(sp_buf *out, const char *detail)
{
	char ascii[DETAIL_MAX];
	size_t len = strnlen(detail, DETAIL_MAX), i;

	/* detail[len] is the NUL or, when cut, the first byte left out. */
	while (len > 0 && ((unsigned char)detail[len] & 0xc0) == 0x80)
		len--;
	if (sp_utf8_valid(detail, len)) {
		sp_pack_str(out, detail, len);
		return;
	}
	for (i = 0; i < len; i++)
		ascii[i] = (unsigned char)detail[i] < 0x80 ? detail[i] : '?';
	sp_pack_str(out, ascii, len);
}

int
sp_ctl_error_reply(sp_buf *out, int err, const char *detail)
{
	size_t start = out->len;

	/* A reply must never look like success; 0 or positive is a bug here. */
	if (err >= 0)
		err = SP_EINTERNAL;
	sp_ctl_begin_reply(out, err, detail != NULL ? 4 : 3);
	sp_pack_cstr(out, "error");
	sp_pack_cstr(out, sp_errname(err));
	sp_pack_cstr(out, "message");
	sp_pack_cstr(out, sp_strerror(err));
	if (detail != NULL) {
		sp_pack_cstr(out, "detail");
		pack_detail(out, detail);
	}
	sp_pack_cstr(out, "code");
	sp_pack_int(out, err);
	return sp_ctl_end(out, start);
}
