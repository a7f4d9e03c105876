#include "json_body.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "body.h"
#include "crypto.h"
#include "i18n.h"
#include "pack.h"
#include "reader.h"
#include "record.h"
#include "sp_err.h"

/*
 * The one key of the object that stands for a binary value. A nested map
 * whose only member is "$bin" with a string value therefore cannot be
 * written in JSON; it reads back as binary. The body map itself is never
 * taken for binary, since a body must be a map.
 */
#define BIN_KEY "$bin"
#define BIN_KEY_LEN (sizeof(BIN_KEY) - 1)

/* State of one JSON -> body conversion. */
struct conv {
	sp_buf *out;
	size_t start;  /* offset in out where the body begins */
	char *err;
	size_t size;
};

/* One member of an object, gathered so members can be sorted by key. */
struct member {
	const char *key;
	size_t len;
	json_t *val;
};

static int pack_value(struct conv *c, json_t *v, unsigned level);

static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || size == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, size, fmt, ap);
	va_end(ap);
}

static int
too_big(struct conv *c)
{
	set_err(c->err, c->size, _("the body is larger than the %d KiB limit"),
	    SP_BODY_MAX / 1024);
	return SP_EBODY_TOO_BIG;
}

/*
 * Checks the buffer after an append: a failed allocation, or a body that
 * has already outgrown the limit (stopping early keeps a huge JSON text
 * from being copied in full before it is refused).
 */
static int
check_out(struct conv *c)
{
	if (c->out->err != 0) {
		set_err(c->err, c->size, "%s", _(sp_strerror(c->out->err)));
		return c->out->err;
	}
	if (c->out->len - c->start > SP_BODY_MAX)
		return too_big(c);
	return 0;
}

static int
pack_str(struct conv *c, const char *s, size_t len)
{
	if (len > SP_BODY_MAX)
		return too_big(c);
	sp_pack_str(c->out, s, len);
	return check_out(c);
}

static int
member_cmp(const void *a, const void *b)
{
	const struct member *ma = a, *mb = b;

	return sp_key_cmp(ma->key, ma->len, mb->key, mb->len);
}

static bool
is_bin_object(json_t *v)
{
	json_t *s;

	return json_object_size(v) == 1 &&
	    (s = json_object_getn(v, BIN_KEY, BIN_KEY_LEN)) != NULL &&
	    json_is_string(s);
}

static int
pack_bin(struct conv *c, json_t *obj)
{
	json_t *s = json_object_getn(obj, BIN_KEY, BIN_KEY_LEN);
	const char *b64 = json_string_value(s);
	size_t b64_len = json_string_length(s), max, len;
	unsigned char *bin = NULL;
	int r;

	/* Padded base64 decodes to at most 3 bytes per 4 characters. */
	max = b64_len / 4 * 3;
	if (max > SP_BODY_MAX)
		return too_big(c);
	if ((bin = malloc(max + 1)) == NULL) {
		r = SP_ENOMEM;
		set_err(c->err, c->size, "%s", _(sp_strerror(r)));
		goto out;
	}
	if (sp_base64_decode(bin, max + 1, b64, b64_len, &len) != 0) {
		r = SP_EJSON;
		set_err(c->err, c->size,
		    _("\"%s\" must hold padded standard base64"), BIN_KEY);
		goto out;
	}
	sp_pack_bin(c->out, bin, len);
	r = check_out(c);
out:
	free(bin);
	return r;
}

static int
depth_error(struct conv *c)
{
	set_err(c->err, c->size,
	    _("nesting deeper than %d levels (the body object is level 1)"),
	    SP_MAX_DEPTH);
	return SP_EDEPTH;
}

/* Packs obj as a map with its keys in canonical (bytewise) order. */
static int
pack_object(struct conv *c, json_t *obj, unsigned level)
{
	size_t n = json_object_size(obj), i = 0;
	struct member *m = NULL;
	void *it;
	int r;

	if (level > SP_MAX_DEPTH)
		return depth_error(c);
	/* Every member takes at least two bytes, so this bounds n. */
	if (n > SP_BODY_MAX / 2)
		return too_big(c);
	if (n > 0 && (m = calloc(n, sizeof(*m))) == NULL) {
		r = SP_ENOMEM;
		set_err(c->err, c->size, "%s", _(sp_strerror(r)));
		goto out;
	}
	for (it = json_object_iter(obj); it != NULL && i < n;
	    it = json_object_iter_next(obj, it), i++) {
		m[i].key = json_object_iter_key(it);
		m[i].len = json_object_iter_key_len(it);
		m[i].val = json_object_iter_value(it);
	}
	if (n > 0)
		qsort(m, n, sizeof(*m), member_cmp);
	sp_pack_map(c->out, (uint32_t)n);
	if ((r = check_out(c)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((r = pack_str(c, m[i].key, m[i].len)) != 0 ||
		    (r = pack_value(c, m[i].val, level + 1)) != 0)
			goto out;
	}
	r = 0;
out:
	free(m);
	return r;
}

static int
pack_array(struct conv *c, json_t *arr, unsigned level)
{
	size_t n = json_array_size(arr), i;
	int r;

	if (level > SP_MAX_DEPTH)
		return depth_error(c);
	if (n > SP_BODY_MAX)
		return too_big(c);
	sp_pack_array(c->out, (uint32_t)n);
	if ((r = check_out(c)) != 0)
		return r;
	for (i = 0; i < n; i++)
		if ((r = pack_value(c, json_array_get(arr, i), level + 1)) != 0)
			return r;
	return 0;
}

/*
 * Packs v, which sits at nesting level `level` (the body map is level 1),
 * so a container here may be at most SP_MAX_DEPTH.
 */
static int
pack_value(struct conv *c, json_t *v, unsigned level)
{
	double d;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (is_bin_object(v))
			return pack_bin(c, v);
		return pack_object(c, v, level);
	case JSON_ARRAY:
		return pack_array(c, v, level);
	case JSON_STRING:
		return pack_str(c, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		sp_pack_int(c->out, json_integer_value(v));
		break;
	case JSON_REAL:
		/* The parser never yields these; a caller-built json_t might. */
		d = json_real_value(v);
		if (!isfinite(d)) {
			set_err(c->err, c->size, "%s", _(sp_strerror(SP_ENAN)));
			return SP_ENAN;
		}
		sp_pack_double(c->out, d);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		sp_pack_bool(c->out, json_is_true(v));
		break;
	case JSON_NULL:
		sp_pack_nil(c->out);
		break;
	}
	return check_out(c);
}

int
sp_json_obj_to_body(json_t *obj, sp_buf *out, char *err, size_t size)
{
	struct conv c = { out, out->len, err, size };
	int r;

	set_err(err, size, "%s", "");
	if (!json_is_object(obj)) {
		set_err(err, size, _("the body must be a JSON object"));
		return SP_EJSON;
	}
	if ((r = pack_object(&c, obj, 1)) != 0)
		goto out;
	/* The rules the conversion does not enforce itself are checked here. */
	if ((r = sp_body_validate(out->data + c.start, out->len - c.start)) != 0)
		set_err(err, size, "%s", _(sp_strerror(r)));
out:
	if (r != 0 && out->len > c.start)
		out->len = c.start;
	return r;
}

int
sp_json_to_body(const char *text, size_t len, sp_buf *out, char *err,
    size_t size)
{
	json_error_t je;
	json_t *root;
	int r;

	/*
	 * Duplicate keys are refused rather than last-one-wins; integers stay
	 * integers; "\u0000" is refused (no JSON_ALLOW_NUL); only an object or
	 * array is accepted at the top (no JSON_DECODE_ANY).
	 */
	if ((root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		set_err(err, size, _("line %d, column %d: %s"), je.line, je.column,
		    je.text);
		return SP_EJSON;
	}
	r = sp_json_obj_to_body(root, out, err, size);
	json_decref(root);
	return r;
}

static json_t *
bin_to_json(const uint8_t *p, size_t len)
{
	size_t b64_len = sp_base64_encoded_len(len);
	char *b64;
	json_t *obj;

	if ((b64 = malloc(b64_len)) == NULL)
		return NULL;
	sp_base64_encode(b64, b64_len, p, len);
	/* b64_len counts the terminating NUL. */
	obj = json_pack("{s:s%}", BIN_KEY, b64, b64_len - 1);
	free(b64);
	return obj;
}

static int read_value(sp_reader *r, unsigned level, json_t **out);

static int
read_array(sp_reader *r, unsigned level, json_t **out)
{
	json_t *arr = NULL, *v;
	uint32_t n, i;
	int rc;

	if ((rc = sp_read_array(r, &n)) != 0)
		goto out;
	if ((arr = json_array()) == NULL) {
		rc = SP_ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((rc = read_value(r, level + 1, &v)) != 0)
			goto out;
		if (json_array_append_new(arr, v) != 0) {
			rc = SP_ENOMEM;
			goto out;
		}
	}
	*out = arr;
	arr = NULL;
	rc = 0;
out:
	json_decref(arr);
	return rc;
}

static int
read_map(sp_reader *r, unsigned level, json_t **out)
{
	json_t *obj = NULL, *v;
	const char *key;
	size_t key_len;
	uint32_t n, i;
	int rc;

	if ((rc = sp_read_map(r, &n)) != 0)
		goto out;
	if ((obj = json_object()) == NULL) {
		rc = SP_ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((rc = sp_read_str(r, &key, &key_len)) != 0)
			goto out;
		if ((rc = read_value(r, level + 1, &v)) != 0)
			goto out;
		/* The reader has checked the key is UTF-8. */
		if (json_object_setn_new_nocheck(obj, key, key_len, v) != 0) {
			rc = SP_ENOMEM;
			goto out;
		}
	}
	*out = obj;
	obj = NULL;
	rc = 0;
out:
	json_decref(obj);
	return rc;
}

/* Reads one value at nesting level `level` into a new json_t. */
static int
read_value(sp_reader *r, unsigned level, json_t **out)
{
	const uint8_t *bin;
	const char *s;
	size_t len;
	int64_t i;
	double d;
	bool b;
	json_t *v = NULL;
	int rc;

	*out = NULL;
	switch (sp_reader_peek(r)) {
	case SP_MP_NIL:
		if ((rc = sp_read_nil(r)) == 0)
			v = json_null();
		break;
	case SP_MP_BOOL:
		if ((rc = sp_read_bool(r, &b)) == 0)
			v = json_boolean(b);
		break;
	case SP_MP_UINT:
	case SP_MP_INT:
		if ((rc = sp_read_int(r, &i)) == 0)
			v = json_integer(i);
		break;
	case SP_MP_FLOAT:
		if ((rc = sp_read_double(r, &d)) == 0)
			v = json_real(d);
		break;
	case SP_MP_STR:
		if ((rc = sp_read_str(r, &s, &len)) == 0)
			v = json_stringn_nocheck(s, len);
		break;
	case SP_MP_BIN:
		if ((rc = sp_read_bin(r, &bin, &len)) == 0)
			v = bin_to_json(bin, len);
		break;
	case SP_MP_ARRAY:
		if (level > SP_MAX_DEPTH)
			return SP_EDEPTH;
		return read_array(r, level, out);
	case SP_MP_MAP:
		if (level > SP_MAX_DEPTH)
			return SP_EDEPTH;
		return read_map(r, level, out);
	case SP_MP_INVALID:
	default:
		/* Let the full reader name the broken rule. */
		rc = sp_read_value(r, 0);
		return rc != 0 ? rc : SP_ETYPE;
	}
	if (rc != 0)
		return rc;
	if (v == NULL)
		return SP_ENOMEM;
	*out = v;
	return 0;
}

int
sp_body_to_json(const uint8_t *body, size_t len, json_t **out)
{
	sp_reader r;
	json_t *root = NULL;
	int rc;

	*out = NULL;
	sp_reader_init(&r, body, len);
	if (sp_reader_peek(&r) != SP_MP_MAP)
		return SP_EBODY_TYPE;
	if ((rc = read_value(&r, 1, &root)) != 0)
		goto out;
	if ((rc = sp_reader_end(&r)) != 0)
		goto out;
	*out = root;
	root = NULL;
out:
	json_decref(root);
	return rc;
}
