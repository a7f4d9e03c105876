/*
 * test_negentropy.c - the Negentropy v1 reconciler (proto/negentropy.c,
 * with neg_codec.c and neg_vector.c) against the shared vectors
 * (tests/vectors/negentropy, see its SOURCE.md): varints, fingerprints, the
 * protocol-version exchange, and every transcript replayed byte for byte in
 * both roles (but for the closing fingerprints of frame-limited messages,
 * where we correct the reference), over the in-memory vector and again
 * over an area of a real LMDB store. Then client/server loops between
 * random sets (sizes, overlaps, shared timestamps, frame size limits) that
 * must find exactly the difference with every message true to its
 * sender's items; frame-limited messages of either role (frame-limit-tail);
 * timestamps near 2^64; and malformed messages that must be refused with
 * SP_ENEG and no effect.
 *
 * Missing vector files fail the test: they are part of the suite.
 */
#include "sp_test.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "crypto.h"
#include "neg_store.h"
#include "negentropy.h"
#include "sp_err.h"
#include "store.h"

#define ID SP_NEG_ID_BYTES

/* Vector files. */

static char *
vector_path(const char *name)
{
	const char *dir = sp_test_vectors();
	char *path;

	if (dir == NULL)
		fail_msg("SP_VECTORS is not set (ctest sets it to tests/vectors)");
	path = malloc(strlen(dir) + strlen(name) + 16);
	assert_non_null(path);
	sprintf(path, "%s/negentropy/%s", dir, name);
	return path;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text;
	long len;

	if (f == NULL)
		fail_msg("%s: %s (tests/vectors is part of the suite)", path, strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len >= 0);
	rewind(f);
	text = malloc((size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	text[len] = '\0';
	fclose(f);
	return text;
}

/*
 * jansson refuses integers beyond int64 ("too big integer"), and the
 * vectors hold exact values up to 2^64-1 (varints, timestamps). Outside
 * strings, every run of 19 or more digits is put in quotes, and json_u64
 * reads either form.
 */
static char *
quote_long_numbers(const char *text)
{
	size_t len = strlen(text), i = 0, run, o = 0;
	char *out = malloc(len * 2 + 1);
	bool in_string = false;

	assert_non_null(out);
	while (i < len) {
		char c = text[i];

		if (in_string) {
			out[o++] = c;
			if (c == '\\' && i + 1 < len)
				out[o++] = text[++i];
			else if (c == '"')
				in_string = false;
			i++;
			continue;
		}
		if (c == '"') {
			in_string = true;
			out[o++] = text[i++];
			continue;
		}
		for (run = 0; i + run < len && text[i + run] >= '0' && text[i + run] <= '9'; run++)
			;
		if (run >= 19) {
			out[o++] = '"';
			memcpy(out + o, text + i, run);
			o += run;
			out[o++] = '"';
			i += run;
		} else if (run > 0) {
			memcpy(out + o, text + i, run);
			o += run;
			i += run;
		} else {
			out[o++] = text[i++];
		}
	}
	out[o] = '\0';
	return out;
}

static json_t *
load_json_path(const char *path)
{
	char *text = slurp(path), *quoted = quote_long_numbers(text);
	json_error_t err;
	json_t *root = json_loads(quoted, 0, &err);

	if (root == NULL)
		fail_msg("%s:%d: %s", path, err.line, err.text);
	free(quoted);
	free(text);
	return root;
}

static json_t *
load_vector(const char *name)
{
	char *path = vector_path(name);
	json_t *root = load_json_path(path);

	free(path);
	return root;
}

static uint64_t
json_u64(const json_t *v)
{
	unsigned long long x;
	const char *s;
	char *end;

	if (json_is_integer(v)) {
		assert_true(json_integer_value(v) >= 0);
		return (uint64_t)json_integer_value(v);
	}
	assert_true(json_is_string(v));
	s = json_string_value(v);
	errno = 0;
	x = strtoull(s, &end, 10);
	assert_true(errno == 0 && end != s && *end == '\0');
	return x;
}

static const char *
json_str(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_string(v))
		fail_msg("missing string \"%s\"", key);
	return json_string_value(v);
}

/* Decodes hex of exactly n bytes into out. */
static void
unhex_fixed(const char *hex, uint8_t *out, size_t n)
{
	size_t len;
	uint8_t *b = sp_test_unhex(hex, &len);

	assert_non_null(b);
	assert_int_equal(len, n);
	memcpy(out, b, n);
	free(b);
}

/* Asserts that buf holds exactly the bytes of hex. */
static void
assert_bytes_hex(const uint8_t *p, size_t n, const char *hex, const char *what,
    size_t round)
{
	size_t len;
	uint8_t *want = sp_test_unhex(hex, &len);

	assert_non_null(want);
	if (len != n || (n != 0 && memcmp(want, p, n) != 0))
		fail_msg("%s, round %zu: %zu bytes differ from the %zu expected",
		    what, round, n, len);
	free(want);
}

/* Id sets: have/need as reported, compared as sets. */

typedef struct idset {
	uint8_t (*ids)[ID];
	size_t len;
	size_t cap;
} idset;

static void
idset_add(idset *s, const uint8_t id[ID])
{
	if (s->len == s->cap) {
		s->cap = s->cap != 0 ? s->cap * 2 : 64;
		s->ids = realloc(s->ids, s->cap * sizeof(*s->ids));
		assert_non_null(s->ids);
	}
	memcpy(s->ids[s->len++], id, ID);
}

static int
id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, ID);
}

/* Sorts and drops repeats (an id may be reported in several rounds). */
static void
idset_normalize(idset *s)
{
	size_t i, n = 0;

	if (s->len == 0)
		return;
	qsort(s->ids, s->len, ID, id_cmp);
	for (i = 0; i < s->len; i++)
		if (n == 0 || memcmp(s->ids[n - 1], s->ids[i], ID) != 0)
			memmove(s->ids[n++], s->ids[i], ID);
	s->len = n;
}

static void
idset_from_json(idset *s, const json_t *arr)
{
	uint8_t id[ID];
	size_t i;

	assert_true(json_is_array(arr));
	for (i = 0; i < json_array_size(arr); i++) {
		unhex_fixed(json_string_value(json_array_get(arr, i)), id, ID);
		idset_add(s, id);
	}
}

static void
assert_idsets_equal(idset *got, idset *want, const char *what, size_t round)
{
	idset_normalize(got);
	idset_normalize(want);
	if (got->len != want->len ||
	    (got->len != 0 && memcmp(got->ids, want->ids, got->len * ID) != 0))
		fail_msg("%s, round %zu: %zu ids reported, %zu expected", what,
		    round, got->len, want->len);
}

static void
idset_free(idset *s)
{
	free(s->ids);
	memset(s, 0, sizeof(*s));
}

typedef struct report {
	idset have;
	idset need;
	size_t calls;
} report;

static void
on_have(void *arg, const uint8_t id[ID])
{
	report *r = arg;

	idset_add(&r->have, id);
	r->calls++;
}

static void
on_need(void *arg, const uint8_t id[ID])
{
	report *r = arg;

	idset_add(&r->need, id);
	r->calls++;
}

static void
report_free(report *r)
{
	idset_free(&r->have);
	idset_free(&r->need);
	r->calls = 0;
}

/* Vectors of items. */

static sp_neg_vector *
vector_from_json(const json_t *items)
{
	sp_neg_vector *v;
	uint8_t id[ID];
	size_t i;
	const json_t *it;

	assert_int_equal(sp_neg_vector_new(&v), 0);
	json_array_foreach(items, i, it) {
		unhex_fixed(json_string_value(json_array_get(it, 1)), id, ID);
		assert_int_equal(sp_neg_vector_add(v, json_u64(json_array_get(it, 0)), id), 0);
	}
	assert_int_equal(sp_neg_vector_seal(v), 0);
	return v;
}

/* Varints. */

static void
test_varint_vectors(void **state)
{
	json_t *root = load_vector("varint.json"), *vecs, *vec;
	const uint8_t *p;
	uint8_t *want;
	uint64_t value = 0, got;
	size_t i, len, left;
	sp_buf b;

	(void)state;
	vecs = json_object_get(root, "vectors");
	assert_true(json_array_size(vecs) > 0);
	sp_buf_init(&b);
	json_array_foreach(vecs, i, vec) {
		value = json_u64(json_object_get(vec, "value"));
		want = sp_test_unhex(json_str(vec, "hex"), &len);
		assert_non_null(want);
		sp_buf_reset(&b);
		sp_neg_varint_put(&b, value);
		assert_int_equal(b.err, 0);
		assert_int_equal(b.len, len);
		assert_memory_equal(b.data, want, len);
		p = want;
		left = len;
		assert_int_equal(sp_neg_varint_get(&p, &left, &got), 0);
		assert_true(got == value);
		assert_int_equal(left, 0);
		assert_ptr_equal(p, want + len);
		free(want);
	}
	/* The largest value must be among them: the file reaches 2^64-1. */
	assert_true(value == UINT64_MAX);
	sp_buf_free(&b);
	json_decref(root);
}

static void
expect_varint_error(const char *hex)
{
	size_t len, left;
	uint8_t *b = sp_test_unhex(hex, &len);
	const uint8_t *p = b;
	uint64_t v = 99;

	assert_non_null(b);
	left = len;
	assert_int_equal(sp_neg_varint_get(&p, &left, &v), SP_ENEG);
	assert_ptr_equal(p, b);
	assert_int_equal(left, len);
	assert_true(v == 0);
	free(b);
}

static void
test_varint_malformed(void **state)
{
	(void)state;
	expect_varint_error("");
	expect_varint_error("81");                       /* truncated */
	expect_varint_error("ffff");                     /* truncated */
	expect_varint_error("8001");                     /* leading zero digit */
	expect_varint_error("8000");
	expect_varint_error("82808080808080808000");     /* 2^64 */
	expect_varint_error("ffffffffffffffffffff7f");   /* 77 bits */
	expect_varint_error("8180808080808080808000");   /* 11 digits */
}

/* Fingerprints. */

/* id[i] = SHA-256("fp:<i>"), the rule of the 20000-id vector. */
static void
rule_id(size_t i, uint8_t id[ID])
{
	char s[32];
	int n = snprintf(s, sizeof(s), "fp:%zu", i);

	sp_sha256(id, s, (size_t)n);
}

static void
test_fingerprint_vectors(void **state)
{
	json_t *root = load_vector("fingerprint.json"), *vecs, *vec, *ids;
	uint8_t want[SP_NEG_FINGERPRINT_BYTES], got[SP_NEG_FINGERPRINT_BYTES];
	uint8_t sum[ID], id[ID], hash[32], *input;
	sp_neg_vector *v;
	sp_neg_storage st;
	size_t i, j, count, input_len;
	bool saw_rule = false;

	(void)state;
	vecs = json_object_get(root, "vectors");
	assert_true(json_array_size(vecs) > 0);
	json_array_foreach(vecs, i, vec) {
		count = (size_t)json_u64(json_object_get(vec, "count"));
		unhex_fixed(json_str(vec, "fingerprint"), want, sizeof(want));
		unhex_fixed(json_str(vec, "sum_le_hex"), sum, sizeof(sum));

		/* From the sum. */
		sp_neg_fingerprint(sum, count, got);
		assert_memory_equal(got, want, sizeof(want));
		/* The hash input is sum || varint(count), hashed by sp_sha256. */
		input = sp_test_unhex(json_str(vec, "hash_input_hex"), &input_len);
		assert_non_null(input);
		assert_memory_equal(input, sum, ID);
		sp_sha256(hash, input, input_len);
		assert_memory_equal(hash, want, sizeof(want));
		free(input);

		/*
		 * From the ids, through the storage's prefix sums. The ids are a
		 * multiset: distinct timestamps keep repeats apart.
		 */
		assert_int_equal(sp_neg_vector_new(&v), 0);
		ids = json_object_get(vec, "ids");
		if (json_is_array(ids)) {
			assert_int_equal(json_array_size(ids), count);
			for (j = 0; j < count; j++) {
				unhex_fixed(json_string_value(json_array_get(ids, j)), id, ID);
				assert_int_equal(sp_neg_vector_add(v, j, id), 0);
			}
		} else {
			assert_non_null(strstr(json_str(vec, "ids_rule"), "SHA-256"));
			saw_rule = true;
			for (j = 0; j < count; j++) {
				rule_id(j, id);
				assert_int_equal(sp_neg_vector_add(v, j, id), 0);
			}
		}
		assert_int_equal(sp_neg_vector_seal(v), 0);
		sp_neg_vector_storage(v, &st);
		assert_int_equal(st.size(st.ctx), count);
		st.fingerprint(st.ctx, 0, count, got);
		if (memcmp(got, want, sizeof(want)) != 0)
			fail_msg("fingerprint %s differs", json_str(vec, "name"));
		sp_neg_vector_free(v);
	}
	assert_true(saw_rule);
	json_decref(root);
}

/* A sub-range's fingerprint is the fingerprint of its ids alone. */
static void
test_fingerprint_subranges(void **state)
{
	uint8_t id[ID], a[SP_NEG_FINGERPRINT_BYTES], b[SP_NEG_FINGERPRINT_BYTES];
	sp_neg_vector *all, *part;
	sp_neg_storage sa, sp;
	size_t i, begin, end;

	(void)state;
	assert_int_equal(sp_neg_vector_new(&all), 0);
	for (i = 0; i < 300; i++) {
		rule_id(i, id);
		assert_int_equal(sp_neg_vector_add(all, i / 3, id), 0);
	}
	assert_int_equal(sp_neg_vector_seal(all), 0);
	sp_neg_vector_storage(all, &sa);
	for (begin = 0; begin <= 300; begin += 37) {
		for (end = begin; end <= 300; end += 53) {
			assert_int_equal(sp_neg_vector_new(&part), 0);
			for (i = begin; i < end; i++)
				assert_int_equal(sp_neg_vector_add(part, i,
				    sa.get(sa.ctx, i)->id), 0);
			assert_int_equal(sp_neg_vector_seal(part), 0);
			sp_neg_vector_storage(part, &sp);
			sa.fingerprint(sa.ctx, begin, end, a);
			sp.fingerprint(sp.ctx, 0, end - begin, b);
			assert_memory_equal(a, b, sizeof(a));
			sp_neg_vector_free(part);
		}
	}
	sp_neg_vector_free(all);
}

static void
test_vector_rules(void **state)
{
	uint8_t id[ID] = { 1 };
	sp_neg_vector *v;
	sp_neg_storage st;
	sp_neg_item key = { 7, { 0 } };

	(void)state;
	assert_int_equal(sp_neg_vector_new(&v), 0);
	assert_int_equal(sp_neg_vector_add(v, UINT64_MAX, id), SP_EINVAL);
	assert_int_equal(sp_neg_vector_add(v, 7, id), 0);
	assert_int_equal(sp_neg_vector_add(v, 3, id), 0);
	assert_int_equal(sp_neg_vector_add(v, 7, id), 0);
	assert_int_equal(sp_neg_vector_seal(v), SP_EDUPKEY);
	sp_neg_vector_free(v);

	assert_int_equal(sp_neg_vector_new(&v), 0);
	assert_int_equal(sp_neg_vector_add(v, 7, id), 0);
	assert_int_equal(sp_neg_vector_add(v, 3, id), 0);
	assert_int_equal(sp_neg_vector_seal(v), 0);
	assert_int_equal(sp_neg_vector_seal(v), SP_EINVAL);
	assert_int_equal(sp_neg_vector_add(v, 9, id), SP_EINVAL);
	sp_neg_vector_storage(v, &st);
	assert_int_equal(st.size(st.ctx), 2);
	assert_true(st.get(st.ctx, 0)->ts == 3);
	assert_int_equal(st.lower_bound(st.ctx, 0, 2, &key), 1);
	key.id[0] = 2;
	assert_int_equal(st.lower_bound(st.ctx, 0, 2, &key), 2);
	assert_int_equal(st.lower_bound(st.ctx, 0, 1, &key), 1);
	sp_neg_vector_free(v);
}

/* Protocol version. */

static void
test_protoversion(void **state)
{
	json_t *root = load_vector("protoversion.json"), *ex;
	sp_neg_vector *v = vector_from_json(json_object_get(root, "server_items"));
	sp_neg_storage st;
	const json_t *resp;
	sp_neg *n;
	uint8_t *req;
	size_t i, len;
	sp_buf out;

	(void)state;
	sp_neg_vector_storage(v, &st);
	assert_int_equal(sp_neg_new(&st, 0, &n), 0);
	sp_buf_init(&out);
	/* One server answers them all in order, as protoversion.pl does. */
	json_array_foreach(json_object_get(root, "exchanges"), i, ex) {
		req = sp_test_unhex(json_str(ex, "request"), &len);
		assert_non_null(req);
		resp = json_object_get(ex, "response");
		if (resp == NULL)
			resp = json_object_get(ex, "response_observed");
		assert_true(json_is_string(resp));
		sp_buf_reset(&out);
		assert_int_equal(sp_neg_reconcile(n, req, len, &out), 0);
		assert_bytes_hex(out.data, out.len, json_string_value(resp),
		    "protoversion", i);
		free(req);
	}
	assert_int_equal(i, 3);
	sp_buf_free(&out);
	sp_neg_free(n);
	sp_neg_vector_free(v);
	json_decref(root);
}

/*
 * A message oracle, apart from the module's decoder: reads msg as v1 from a
 * sender holding st and returns the index of its first range that
 * misdescribes the sender's items between the range's bounds (a
 * Fingerprint not theirs, an IdList not exactly them), or -1 if none does
 * (Skip ranges say nothing). *ranges gets how many ranges there are.
 */
static long
first_false_range(const uint8_t *msg, size_t len, const sp_neg_storage *st,
    size_t *ranges)
{
	const uint8_t *p = msg + 1;
	size_t left = len - 1, lower = 0, upper, size = st->size(st->ctx), i;
	uint64_t enc, last_ts = 0, prefix_len, mode, count;
	uint8_t fp[SP_NEG_FINGERPRINT_BYTES];
	sp_neg_item bound;
	long first = -1;

	assert_true(len >= 1 && msg[0] == SP_NEG_PROTOCOL_V1);
	for (*ranges = 0; left != 0; (*ranges)++) {
		memset(&bound, 0, sizeof(bound));
		assert_int_equal(sp_neg_varint_get(&p, &left, &enc), 0);
		/* 0 is infinity, else 1 + the delta, saturating at infinity. */
		if (enc == 0 || last_ts + (enc - 1) < last_ts)
			last_ts = UINT64_MAX;
		else
			last_ts += enc - 1;
		bound.ts = last_ts;
		assert_int_equal(sp_neg_varint_get(&p, &left, &prefix_len), 0);
		assert_true(prefix_len <= ID && prefix_len <= left);
		memcpy(bound.id, p, (size_t)prefix_len);
		p += prefix_len;
		left -= prefix_len;
		upper = st->lower_bound(st->ctx, lower, size, &bound);
		assert_int_equal(sp_neg_varint_get(&p, &left, &mode), 0);
		if (mode == 1) {
			assert_true(left >= sizeof(fp));
			st->fingerprint(st->ctx, lower, upper, fp);
			if (first < 0 && memcmp(fp, p, sizeof(fp)) != 0)
				first = (long)*ranges;
			p += sizeof(fp);
			left -= sizeof(fp);
		} else if (mode == 2) {
			assert_int_equal(sp_neg_varint_get(&p, &left, &count), 0);
			assert_true(count <= left / ID);
			for (i = 0; i < count && first < 0; i++)
				if (lower + i >= upper ||
				    memcmp(p + i * ID, st->get(st->ctx, lower + i)->id, ID) != 0)
					first = (long)*ranges;
			if (first < 0 && count != upper - lower)
				first = (long)*ranges;
			p += count * ID;
			left -= count * ID;
		} else {
			assert_int_equal(mode, 0);
		}
		lower = upper;
	}
	return first;
}

/* Asserts that every range of msg describes the sender's items truly. */
static void
assert_true_message(const uint8_t *msg, size_t len, const sp_neg_storage *sender,
    const char *what, size_t round)
{
	size_t ranges;
	long k = first_false_range(msg, len, sender, &ranges);

	if (k >= 0)
		fail_msg("%s, round %zu: range %ld of %zu misdescribes the sender's items",
		    what, round, k, ranges);
}

/* A Fingerprint range to infinity: bound 0 (infinity), no id prefix, mode 1. */
static const uint8_t closing_range[3] = { 0x00, 0x00, 0x01 };
#define CLOSING_BYTES (sizeof(closing_range) + SP_NEG_FINGERPRINT_BYTES)

/*
 * Our message against the reference's recorded one. They are the same
 * bytes except where the reference's frame-limit defect is involved: a
 * message cut at the frame size limit closes with a Fingerprint range to
 * infinity, which the reference computes over its items from the dropped
 * range's end and we over ours from the last bound written (see answer()
 * in proto/negentropy.c). Only those 16 bytes may differ, and then ours
 * must be true and the reference's last range false. Returns whether they
 * differ.
 */
static bool
assert_as_recorded(const sp_buf *ours, const char *hex, const sp_neg_storage *sender,
    const char *what, size_t round)
{
	size_t len, ranges;
	uint8_t *want = sp_test_unhex(hex, &len);
	bool same;

	assert_non_null(want);
	same = len == ours->len && (len == 0 || memcmp(want, ours->data, len) == 0);
	if (!same) {
		if (len != ours->len || len < 1 + CLOSING_BYTES ||
		    memcmp(want, ours->data, len - SP_NEG_FINGERPRINT_BYTES) != 0 ||
		    memcmp(want + len - CLOSING_BYTES, closing_range, sizeof(closing_range)) != 0)
			fail_msg("%s, round %zu: %zu bytes differ from the %zu expected "
			    "other than in a closing fingerprint", what, round, ours->len, len);
		assert_true_message(ours->data, ours->len, sender, what, round);
		if (first_false_range(want, len, sender, &ranges) != (long)ranges - 1)
			fail_msg("%s, round %zu: the recorded closing fingerprint is not "
			    "the reference's defect", what, round);
	}
	free(want);
	return !same;
}

/* Transcripts. */

typedef struct transcript {
	char *name;
	json_t *root;
} transcript;

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(((const transcript *)a)->name, ((const transcript *)b)->name);
}

/* Loads every .json file of transcripts/, sorted by name; *count gets how many. */
static transcript *
load_transcripts(size_t *count)
{
	char *dir_path = vector_path("transcripts"), *path;
	transcript *ts = NULL;
	struct dirent *e;
	size_t n = 0, len;
	DIR *dir = opendir(dir_path);

	if (dir == NULL)
		fail_msg("%s: %s", dir_path, strerror(errno));
	while ((e = readdir(dir)) != NULL) {
		len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		ts = realloc(ts, (n + 1) * sizeof(*ts));
		assert_non_null(ts);
		ts[n].name = strdup(e->d_name);
		path = malloc(strlen(dir_path) + len + 2);
		assert_non_null(ts[n].name);
		assert_non_null(path);
		sprintf(path, "%s/%s", dir_path, e->d_name);
		ts[n].root = load_json_path(path);
		free(path);
		n++;
	}
	closedir(dir);
	free(dir_path);
	/* SOURCE.md lists 17; more is fine, fewer means the vectors are damaged. */
	if (n < 17)
		fail_msg("only %zu transcripts found", n);
	qsort(ts, n, sizeof(*ts), name_cmp);
	*count = n;
	return ts;
}

static void
transcripts_free(transcript *ts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(ts[i].name);
		json_decref(ts[i].root);
	}
	free(ts);
}

/*
 * As the client: initiate and every reply must equal the recorded
 * client_msg (but for closing fingerprints, assert_as_recorded), and each
 * round's have/need the recorded ones (as sets). Returns how many closing
 * fingerprints differ.
 */
static size_t
replay_client(const transcript *t, const sp_neg_storage *st)
{
	const json_t *rounds = json_object_get(t->root, "rounds"), *rd, *next;
	uint64_t limit = json_u64(json_object_get(t->root, "client_frame_size_limit"));
	size_t k, len;
	report rep = { 0 };
	idset want_have = { 0 }, want_need = { 0 };
	size_t differ = 0;
	bool done = false;
	uint8_t *msg;
	sp_neg *n;
	sp_buf out;

	assert_true(json_array_size(rounds) > 0);
	assert_int_equal(sp_neg_new(st, limit, &n), 0);
	sp_buf_init(&out);
	assert_int_equal(sp_neg_initiate(n, &out), 0);
	for (k = 0; k < json_array_size(rounds); k++) {
		rd = json_array_get(rounds, k);
		assert_false(done);
		differ += assert_as_recorded(&out, json_str(rd, "client_msg"), st, t->name, k);
		msg = sp_test_unhex(json_str(rd, "server_msg"), &len);
		assert_non_null(msg);
		sp_buf_reset(&out);
		assert_int_equal(sp_neg_reconcile_client(n, msg, len, &out, on_have,
		    on_need, &rep, &done), 0);
		free(msg);
		idset_from_json(&want_have, json_object_get(rd, "client_have"));
		idset_from_json(&want_need, json_object_get(rd, "client_need"));
		assert_idsets_equal(&rep.have, &want_have, t->name, k);
		assert_idsets_equal(&rep.need, &want_need, t->name, k);
		report_free(&rep);
		idset_free(&want_have);
		idset_free(&want_need);
		next = json_object_get(rd, "client_next");
		if (json_is_string(next) && strcmp(json_string_value(next), "done") == 0) {
			if (!done || k + 1 != json_array_size(rounds))
				fail_msg("%s: round %zu: done expected", t->name, k);
			assert_int_equal(out.len, 0);
		} else if (done) {
			fail_msg("%s: round %zu: done too early", t->name, k);
		}
	}
	assert_true(done);
	sp_buf_free(&out);
	sp_neg_free(n);
	return differ;
}

/*
 * As the server: the reply to each recorded client_msg must be server_msg
 * (but for closing fingerprints). Returns how many closing fingerprints
 * differ.
 */
static size_t
replay_server(const transcript *t, const sp_neg_storage *st)
{
	const json_t *rounds = json_object_get(t->root, "rounds"), *rd;
	uint64_t limit = json_u64(json_object_get(t->root, "server_frame_size_limit"));
	size_t k, len, differ = 0;
	uint8_t *msg;
	sp_neg *n;
	sp_buf out;

	assert_int_equal(sp_neg_new(st, limit, &n), 0);
	sp_buf_init(&out);
	json_array_foreach(rounds, k, rd) {
		msg = sp_test_unhex(json_str(rd, "client_msg"), &len);
		assert_non_null(msg);
		sp_buf_reset(&out);
		assert_int_equal(sp_neg_reconcile(n, msg, len, &out), 0);
		differ += assert_as_recorded(&out, json_str(rd, "server_msg"), st, t->name, k);
		free(msg);
	}
	sp_buf_free(&out);
	sp_neg_free(n);
	return differ;
}

/*
 * How many of our messages close with another fingerprint than the
 * reference's in each transcript with frame size limits: the messages a
 * limited side cut short where the dropped range or the Skip before it
 * held some of its items. The sessions go on as recorded: a
 * receiver splits a mismatched range whatever its fingerprint, and no
 * recorded receiver's rest matched either fingerprint.
 */
static const struct {
	const char *name;
	size_t client, server;
} closing_differs[] = {
	{ "frame_limit_both_4096.json", 12, 20 },
	{ "frame_limit_client_only_4096.json", 5, 0 },
	{ "frame_limit_server_only_4096.json", 0, 14 },
	{ "frame_limit_server_only_dups.json", 0, 14 },
};

/* Both roles of transcript t, with the closing fingerprints expected to differ. */
static void
replay_both(const transcript *t, const sp_neg_storage *cs, const sp_neg_storage *ss)
{
	size_t c = replay_client(t, cs), s = replay_server(t, ss), want_c = 0, want_s = 0, i;

	for (i = 0; i < sizeof(closing_differs) / sizeof(closing_differs[0]); i++)
		if (strcmp(t->name, closing_differs[i].name) == 0) {
			want_c = closing_differs[i].client;
			want_s = closing_differs[i].server;
		}
	if (c != want_c || s != want_s)
		fail_msg("%s: %zu client and %zu server closing fingerprints differ from "
		    "the reference's, not %zu and %zu", t->name, c, s, want_c, want_s);
}

static void
test_transcripts_vector(void **state)
{
	sp_neg_vector *cv, *sv;
	sp_neg_storage cs, ss;
	transcript *ts;
	size_t n, i;

	(void)state;
	ts = load_transcripts(&n);
	for (i = 0; i < n; i++) {
		cv = vector_from_json(json_object_get(ts[i].root, "client_items"));
		sv = vector_from_json(json_object_get(ts[i].root, "server_items"));
		sp_neg_vector_storage(cv, &cs);
		sp_neg_vector_storage(sv, &ss);
		replay_both(&ts[i], &cs, &ss);
		sp_neg_vector_free(cv);
		sp_neg_vector_free(sv);
	}
	print_message("%zu transcripts replayed in both roles (vector)\n", n);
	transcripts_free(ts, n);
}

/* The same transcripts over areas of a real store. */

static const uint8_t client_community[SP_PUBKEY_BYTES] = { 0xc1 };
static const uint8_t server_community[SP_PUBKEY_BYTES] = { 0x5e };
#define AREA_COLL "households"
#define AREA_COLL_LEN (sizeof(AREA_COLL) - 1)

static void
store_items(sp_store *s, const uint8_t community[SP_PUBKEY_BYTES],
    const json_t *items)
{
	const json_t *it;
	uint8_t id[ID];
	sp_txn *t;
	size_t i;

	assert_int_equal(sp_txn_begin(s, true, &t), 0);
	json_array_foreach(items, i, it) {
		unhex_fixed(json_string_value(json_array_get(it, 1)), id, ID);
		assert_int_equal(sp_store_area_insert_raw(t, community, AREA_COLL,
		    AREA_COLL_LEN, SP_LABEL_SHARED, json_u64(json_array_get(it, 0)), id), 0);
	}
	assert_int_equal(sp_txn_commit(t), 0);
}

static void
test_transcripts_lmdb(void **state)
{
	sp_neg_vector *cv, *sv, *other;
	sp_neg_storage cs, ss;
	transcript *ts;
	size_t n, i;
	char *dir;
	sp_store *s;
	sp_txn *t;

	(void)state;
	ts = load_transcripts(&n);
	for (i = 0; i < n; i++) {
		dir = sp_test_mkdtemp();
		assert_int_equal(sp_store_open(dir, NULL, &s), 0);
		store_items(s, client_community, json_object_get(ts[i].root, "client_items"));
		store_items(s, server_community, json_object_get(ts[i].root, "server_items"));
		assert_int_equal(sp_txn_begin(s, false, &t), 0);
		assert_int_equal(sp_neg_store_load(t, client_community, AREA_COLL,
		    AREA_COLL_LEN, SP_LABEL_SHARED, &cv), 0);
		assert_int_equal(sp_neg_store_load(t, server_community, AREA_COLL,
		    AREA_COLL_LEN, SP_LABEL_SHARED, &sv), 0);
		/* Another label of the same collection is another, empty, area. */
		assert_int_equal(sp_neg_store_load(t, client_community, AREA_COLL,
		    AREA_COLL_LEN, SP_LABEL_PUBLIC, &other), 0);
		sp_neg_vector_storage(other, &cs);
		assert_int_equal(cs.size(cs.ctx), 0);
		sp_neg_vector_free(other);
		sp_txn_abort(t);
		sp_neg_vector_storage(cv, &cs);
		sp_neg_vector_storage(sv, &ss);
		assert_int_equal(cs.size(cs.ctx),
		    json_array_size(json_object_get(ts[i].root, "client_items")));
		replay_both(&ts[i], &cs, &ss);
		sp_neg_vector_free(cv);
		sp_neg_vector_free(sv);
		sp_store_close(s);
		sp_test_rmdir(dir);
	}
	print_message("%zu transcripts replayed in both roles (LMDB)\n", n);
	transcripts_free(ts, n);
}

static void
test_store_load_errors(void **state)
{
	uint8_t id[ID] = { 0 };
	sp_neg_vector *v = (sp_neg_vector *)1;
	char *dir = sp_test_mkdtemp();
	sp_store *s;
	sp_txn *t;

	(void)state;
	assert_int_equal(sp_store_open(dir, NULL, &s), 0);
	assert_int_equal(sp_txn_begin(s, true, &t), 0);
	assert_int_equal(sp_store_area_insert_raw(t, client_community, AREA_COLL,
	    AREA_COLL_LEN, SP_LABEL_SHARED, 5, id), 0);
	assert_int_equal(sp_store_area_insert_raw(t, client_community, AREA_COLL,
	    AREA_COLL_LEN, SP_LABEL_SHARED, 5, id), SP_EEXIST);
	assert_int_equal(sp_neg_store_load(t, client_community, AREA_COLL,
	    AREA_COLL_LEN, (enum sp_label)SP_LABEL_COUNT, &v), SP_EINVAL);
	assert_null(v);
	v = (sp_neg_vector *)1;
	assert_int_equal(sp_neg_store_load(t, client_community, AREA_COLL, 0,
	    SP_LABEL_SHARED, &v), SP_EINVAL);
	assert_null(v);
	/* The protocol's infinity is no item's timestamp. */
	assert_int_equal(sp_store_area_insert_raw(t, client_community, AREA_COLL,
	    AREA_COLL_LEN, SP_LABEL_SHARED, UINT64_MAX, id), 0);
	assert_int_equal(sp_neg_store_load(t, client_community, AREA_COLL,
	    AREA_COLL_LEN, SP_LABEL_SHARED, &v), SP_EINVAL);
	assert_null(v);
	sp_txn_abort(t);
	assert_int_equal(sp_txn_begin(s, false, &t), 0);
	assert_int_equal(sp_store_area_insert_raw(t, client_community, AREA_COLL,
	    AREA_COLL_LEN, SP_LABEL_SHARED, 5, id), SP_EINVAL);
	sp_txn_abort(t);
	sp_store_close(s);
	sp_test_rmdir(dir);
}

/* Client/server loops between random sets. */

static uint64_t
rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void
rng_id(uint64_t *s, uint8_t id[ID])
{
	uint64_t x;
	int i;

	for (i = 0; i < ID; i += 8) {
		x = rng_next(s);
		memcpy(id + i, &x, 8);
	}
}

typedef struct loop_case {
	size_t common, only_client, only_server;
	uint64_t ts_span;          /* timestamps in [base, base + span) */
	uint64_t client_limit, server_limit;
} loop_case;

typedef struct loop_result {
	size_t rounds;
	size_t bytes;
} loop_result;

/*
 * Relays between an initiated client over cs, whose next message is in
 * c2s, and a server over ss until the client is done; the union of have
 * (need) over the rounds must be exactly want_have (want_need), and every
 * message must respect its sender's frame size limit and describe its
 * sender's items truly.
 */
static void
converge_from(sp_neg *client, sp_neg *server, sp_buf *c2s, const sp_neg_storage *cs,
    const sp_neg_storage *ss, uint64_t climit, uint64_t slimit, idset *want_have,
    idset *want_need, loop_result *res)
{
	report rep = { 0 };
	bool done = false;
	sp_buf s2c;

	memset(res, 0, sizeof(*res));
	sp_buf_init(&s2c);
	while (!done) {
		assert_true(res->rounds < 1000);
		if (climit != 0)
			assert_true(c2s->len <= climit);
		assert_true_message(c2s->data, c2s->len, cs, "client", res->rounds);
		sp_buf_reset(&s2c);
		assert_int_equal(sp_neg_reconcile(server, c2s->data, c2s->len, &s2c), 0);
		if (slimit != 0)
			assert_true(s2c.len <= slimit);
		assert_true_message(s2c.data, s2c.len, ss, "server", res->rounds);
		res->bytes += c2s->len + s2c.len;
		sp_buf_reset(c2s);
		assert_int_equal(sp_neg_reconcile_client(client, s2c.data, s2c.len,
		    c2s, on_have, on_need, &rep, &done), 0);
		res->rounds++;
	}
	assert_int_equal(c2s->len, 0);
	assert_idsets_equal(&rep.have, want_have, "have", res->rounds);
	assert_idsets_equal(&rep.need, want_need, "need", res->rounds);
	report_free(&rep);
	sp_buf_free(&s2c);
}

/* A whole session from initiate, with each side's splitting. */
static void
run_loop(const sp_neg_storage *cs, const sp_neg_storage *ss, uint64_t climit,
    uint64_t slimit, const size_t idlist[2], idset *want_have, idset *want_need,
    loop_result *res)
{
	sp_neg *client, *server;
	sp_buf c2s;

	assert_int_equal(sp_neg_new(cs, climit, &client), 0);
	assert_int_equal(sp_neg_new(ss, slimit, &server), 0);
	assert_int_equal(sp_neg_set_idlist_below(client, idlist[0]), 0);
	assert_int_equal(sp_neg_set_idlist_below(server, idlist[1]), 0);
	sp_buf_init(&c2s);
	assert_int_equal(sp_neg_initiate(client, &c2s), 0);
	converge_from(client, server, &c2s, cs, ss, climit, slimit, want_have, want_need, res);
	sp_buf_free(&c2s);
	sp_neg_free(client);
	sp_neg_free(server);
}

static void
run_case(const loop_case *lc, uint64_t seed, const size_t idlist[2])
{
	sp_neg_vector *cv, *sv;
	sp_neg_storage cs, ss;
	idset want_have = { 0 }, want_need = { 0 };
	uint8_t id[ID];
	uint64_t ts, rng = seed;
	loop_result res;
	size_t i;

	assert_int_equal(sp_neg_vector_new(&cv), 0);
	assert_int_equal(sp_neg_vector_new(&sv), 0);
	for (i = 0; i < lc->common + lc->only_client + lc->only_server; i++) {
		rng_id(&rng, id);
		ts = 1677970534 + rng_next(&rng) % lc->ts_span;
		if (i < lc->common || i < lc->common + lc->only_client)
			assert_int_equal(sp_neg_vector_add(cv, ts, id), 0);
		if (i < lc->common || i >= lc->common + lc->only_client)
			assert_int_equal(sp_neg_vector_add(sv, ts, id), 0);
		if (i >= lc->common && i < lc->common + lc->only_client)
			idset_add(&want_have, id);
		else if (i >= lc->common)
			idset_add(&want_need, id);
	}
	assert_int_equal(sp_neg_vector_seal(cv), 0);
	assert_int_equal(sp_neg_vector_seal(sv), 0);
	sp_neg_vector_storage(cv, &cs);
	sp_neg_vector_storage(sv, &ss);
	run_loop(&cs, &ss, lc->client_limit, lc->server_limit, idlist, &want_have,
	    &want_need, &res);
	print_message("id lists below %zu/%zu, common %zu, client-only %zu, server-only %zu, "
	    "span %llu, limits %llu/%llu: %zu rounds, %zu bytes\n", idlist[0], idlist[1], lc->common,
	    lc->only_client, lc->only_server, (unsigned long long)lc->ts_span,
	    (unsigned long long)lc->client_limit,
	    (unsigned long long)lc->server_limit, res.rounds, res.bytes);
	idset_free(&want_have);
	idset_free(&want_need);
	sp_neg_vector_free(cv);
	sp_neg_vector_free(sv);
}

static void
test_loop_random_sets(void **state)
{
	static const loop_case cases[] = {
		{ 0, 0, 0, 1000, 0, 0 },
		{ 0, 5, 0, 1000, 0, 0 },
		{ 0, 0, 5, 1000, 0, 0 },
		{ 10, 0, 0, 1000, 0, 0 },
		{ 31, 1, 0, 1000, 0, 0 },
		{ 31, 0, 1, 1000, 0, 0 },
		{ 32, 1, 1, 1000, 0, 0 },
		{ 1000, 10, 10, 1000000, 0, 0 },
		{ 1000, 10, 10, 1, 0, 0 },           /* one timestamp: id prefixes */
		{ 3000, 200, 200, 300, 0, 0 },       /* ten items per timestamp */
		{ 20000, 50, 3000, 100000, 0, 0 },
		{ 0, 3000, 0, 100000, 4096, 4096 },
		{ 0, 0, 3000, 100000, 4096, 4096 },
		{ 20000, 3000, 3000, 100000, 4096, 4096 },
		{ 20000, 100, 5000, 100000, 0, 4096 },
		{ 20000, 5000, 100, 100000, 4096, 0 },
		{ 20000, 2000, 2000, 50, 10000, 60000 },
		{ 100000, 100, 100, 1000000, 0, 0 },
	};
	/* The reference's splitting, the daemon's, the finest, and the two mixed. */
	static const size_t idlists[][2] = { { 32, 32 }, { 4, 4 }, { 2, 2 }, { 32, 4 }, { 4, 32 } };
	size_t i, j;

	(void)state;
	for (j = 0; j < sizeof(idlists) / sizeof(idlists[0]); j++)
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			run_case(&cases[i], 0x5eed0000u + i, idlists[j]);
}

static void
test_idlist_bounds(void **state)
{
	sp_neg_vector *v;
	sp_neg_storage st;
	sp_neg *n;

	(void)state;
	assert_int_equal(sp_neg_vector_new(&v), 0);
	assert_int_equal(sp_neg_vector_seal(v), 0);
	sp_neg_vector_storage(v, &st);
	assert_int_equal(sp_neg_new(&st, 0, &n), 0);
	assert_int_equal(sp_neg_set_idlist_below(n, 1), SP_EINVAL);
	assert_int_equal(sp_neg_set_idlist_below(n, 33), SP_EINVAL);
	assert_int_equal(sp_neg_set_idlist_below(n, 2), 0);
	assert_int_equal(sp_neg_set_idlist_below(n, 32), 0);
	sp_neg_free(n);
	sp_neg_vector_free(v);
}

/* A frame-limited sender's last range (tests/vectors/negentropy/frame-limit-tail). */

/* Items from a harness input file: "item,TIMESTAMP,IDHEX" lines. */
static sp_neg_vector *
vector_from_items_file(const char *name)
{
	char *path = vector_path(name), *text = slurp(path), *line, *save = NULL;
	unsigned long long ts;
	char hex[2 * ID + 1];
	uint8_t id[ID];
	sp_neg_vector *v;
	int end;

	assert_int_equal(sp_neg_vector_new(&v), 0);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		end = 0;
		if (sscanf(line, "item,%llu,%64[0-9a-f]%n", &ts, hex, &end) != 2 ||
		    line[end] != '\0' || strlen(hex) != 2 * ID)
			fail_msg("%s: not an item line: %s", path, line);
		unhex_fixed(hex, id, ID);
		assert_int_equal(sp_neg_vector_add(v, ts, id), 0);
	}
	assert_int_equal(sp_neg_vector_seal(v), 0);
	free(text);
	free(path);
	return v;
}

/* The hex of a file holding one line of it. */
static char *
hex_line(const char *name)
{
	char *path = vector_path(name), *text = slurp(path);

	text[strcspn(text, "\r\n")] = '\0';
	if (strlen(text) % 2 != 0 || strspn(text, "0123456789abcdef") != strlen(text))
		fail_msg("%s: not one line of hex", path);
	free(path);
	return text;
}

/* The bytes of a file holding one line of hex. */
static uint8_t *
hex_file(const char *name, size_t *len)
{
	char *text = hex_line(name);
	uint8_t *bytes = sp_test_unhex(text, len);

	assert_non_null(bytes);
	free(text);
	return bytes;
}

/* The ids of a's items that b lacks. */
static void
ids_missing(const sp_neg_storage *a, const sp_neg_storage *b, idset *out)
{
	idset in_b = { 0 };
	size_t i;

	for (i = 0; i < b->size(b->ctx); i++)
		idset_add(&in_b, b->get(b->ctx, i)->id);
	idset_normalize(&in_b);
	for (i = 0; i < a->size(a->ctx); i++)
		if (in_b.len == 0 || bsearch(a->get(a->ctx, i)->id, in_b.ids, in_b.len,
		    ID, id_cmp) == NULL)
			idset_add(out, a->get(a->ctx, i)->id);
	idset_free(&in_b);
}

/*
 * A client holding the first 112 of a server's 2,000 items sends an IdList
 * of them and a Fingerprint of its (empty) rest; the server's reply is cut
 * at the 4096-byte limit. The client must go on until it has learnt the
 * other 1,888 ids (the reference's reply makes it finish at once).
 */
static void
test_frame_limit_tail(void **state)
{
	sp_neg_vector *cv = vector_from_items_file("frame-limit-tail/client.items");
	sp_neg_vector *sv = vector_from_items_file("frame-limit-tail/server.items");
	idset want_have = { 0 }, want_need = { 0 };
	sp_neg_storage cs, ss;
	sp_neg *client, *server;
	loop_result res;
	char *reference;
	uint8_t *msg;
	size_t len;
	sp_buf c2s;

	(void)state;
	sp_neg_vector_storage(cv, &cs);
	sp_neg_vector_storage(sv, &ss);
	assert_int_equal(cs.size(cs.ctx), 112);
	assert_int_equal(ss.size(ss.ctx), 2000);
	ids_missing(&cs, &ss, &want_have);
	ids_missing(&ss, &cs, &want_need);
	assert_int_equal(want_have.len, 0);
	assert_int_equal(want_need.len, 1888);
	assert_int_equal(sp_neg_new(&cs, SP_NEG_FRAME_MIN, &client), 0);
	assert_int_equal(sp_neg_new(&ss, SP_NEG_FRAME_MIN, &server), 0);
	msg = hex_file("frame-limit-tail/client-message.hex", &len);
	/*
	 * The reply is the reference's but for its closing fingerprint: ours
	 * covers the server's items from the IdList's bound on (1,888 of them),
	 * the reference's none, which is the client's (empty) rest.
	 */
	sp_buf_init(&c2s);
	assert_int_equal(sp_neg_reconcile(server, msg, len, &c2s), 0);
	reference = hex_line("frame-limit-tail/server-reply-reference.hex");
	assert_true(assert_as_recorded(&c2s, reference, &ss, "frame-limit-tail", 0));
	sp_buf_reset(&c2s);
	/*
	 * The vector's message replaces the client's first one: any valid v1
	 * message may open a session, and a client keeps no state from what it
	 * sent.
	 */
	assert_int_equal(sp_neg_initiate(client, &c2s), 0);
	sp_buf_reset(&c2s);
	sp_buf_append(&c2s, msg, len);
	converge_from(client, server, &c2s, &cs, &ss, SP_NEG_FRAME_MIN, SP_NEG_FRAME_MIN,
	    &want_have, &want_need, &res);
	print_message("frame-limit-tail: the client learnt the server's other %zu ids "
	    "in %zu rounds\n", want_need.len, res.rounds);
	free(reference);
	free(msg);
	sp_buf_free(&c2s);
	sp_neg_free(client);
	sp_neg_free(server);
	idset_free(&want_have);
	idset_free(&want_need);
	sp_neg_vector_free(cv);
	sp_neg_vector_free(sv);
}

/*
 * Appends a Fingerprint range of st's items [lower, upper), whose bound's
 * timestamp is encoded as ts_code (1 + the delta) with no id prefix.
 */
static void
put_fingerprint(sp_buf *msg, const sp_neg_storage *st, size_t lower, size_t upper,
    uint64_t ts_code)
{
	uint8_t fp[SP_NEG_FINGERPRINT_BYTES];

	sp_neg_varint_put(msg, ts_code);
	sp_neg_varint_put(msg, 0);
	sp_neg_varint_put(msg, 1);
	st->fingerprint(st->ctx, lower, upper, fp);
	sp_buf_append(msg, fp, sizeof(fp));
}

/*
 * The same mistake on the client's side: its reply is cut at the limit
 * too. A server holding 96 items (timestamps 1000 to 1095) sends three
 * true Fingerprint ranges of 32 and a true Fingerprint of its (empty) rest
 * from 1096 on. The client lacks one item of each range and holds 30 items
 * of its own from 2000 on: it answers each range with an IdList of its
 * 31 ids, and the IdList of its 30 late ones passes the limit and is
 * dropped. Its closing fingerprint must be of those 30 (the reference's is
 * of none, which the server's empty rest matches: the server would never
 * hear of them).
 */
static void
test_frame_limit_client(void **state)
{
	static const size_t lacks[] = { 5, 37, 69 };
	idset want_have = { 0 }, want_need = { 0 };
	sp_neg_vector *cv, *sv;
	sp_neg_storage cs, ss;
	sp_neg *client, *server;
	report rep = { 0 };
	loop_result res;
	uint8_t id[ID], fp[SP_NEG_FINGERPRINT_BYTES];
	uint8_t zero[ID] = { 0 };
	size_t i, r, ranges;
	bool done = true;
	sp_buf msg, c2s;

	(void)state;
	assert_int_equal(sp_neg_vector_new(&cv), 0);
	assert_int_equal(sp_neg_vector_new(&sv), 0);
	for (i = 0, r = 0; i < 96; i++) {
		rule_id(i, id);
		assert_int_equal(sp_neg_vector_add(sv, 1000 + i, id), 0);
		if (r < 3 && i == lacks[r]) {
			idset_add(&want_need, id);
			r++;
		} else {
			assert_int_equal(sp_neg_vector_add(cv, 1000 + i, id), 0);
		}
	}
	for (i = 0; i < 30; i++) {
		rule_id(1000 + i, id);
		assert_int_equal(sp_neg_vector_add(cv, 2000 + i, id), 0);
		idset_add(&want_have, id);
	}
	assert_int_equal(sp_neg_vector_seal(cv), 0);
	assert_int_equal(sp_neg_vector_seal(sv), 0);
	sp_neg_vector_storage(cv, &cs);
	sp_neg_vector_storage(sv, &ss);

	sp_buf_init(&msg);
	sp_buf_append(&msg, "\x61", 1);
	put_fingerprint(&msg, &ss, 0, 32, 1032 + 1);
	put_fingerprint(&msg, &ss, 32, 64, 32 + 1);
	put_fingerprint(&msg, &ss, 64, 96, 32 + 1);
	sp_buf_append(&msg, "\x00\x00\x01", 3);
	sp_neg_fingerprint(zero, 0, fp);
	sp_buf_append(&msg, fp, sizeof(fp));
	assert_int_equal(msg.err, 0);
	assert_true_message(msg.data, msg.len, &ss, "crafted server message", 0);

	assert_int_equal(sp_neg_new(&cs, SP_NEG_FRAME_MIN, &client), 0);
	assert_int_equal(sp_neg_new(&ss, SP_NEG_FRAME_MIN, &server), 0);
	sp_buf_init(&c2s);
	assert_int_equal(sp_neg_initiate(client, &c2s), 0);
	sp_buf_reset(&c2s);
	assert_int_equal(sp_neg_reconcile_client(client, msg.data, msg.len, &c2s,
	    on_have, on_need, &rep, &done), 0);
	assert_false(done);
	assert_int_equal(rep.calls, 0);
	/* Three IdLists, then the closing range where the fourth was dropped. */
	assert_int_equal(first_false_range(c2s.data, c2s.len, &cs, &ranges), -1);
	assert_int_equal(ranges, 4);
	assert_memory_equal(c2s.data + c2s.len - CLOSING_BYTES, closing_range,
	    sizeof(closing_range));
	converge_from(client, server, &c2s, &cs, &ss, SP_NEG_FRAME_MIN, SP_NEG_FRAME_MIN,
	    &want_have, &want_need, &res);
	print_message("frame-limited client: the server learnt of its 30 late ids, "
	    "rounds after the cut reply: %zu\n", res.rounds);
	sp_buf_free(&msg);
	sp_buf_free(&c2s);
	sp_neg_free(client);
	sp_neg_free(server);
	idset_free(&want_have);
	idset_free(&want_need);
	sp_neg_vector_free(cv);
	sp_neg_vector_free(sv);
}

/*
 * An IdList cut at the limit has no such problem: the server ends the cut
 * range at the first id left out, and its closing fingerprint starts
 * there. Two client messages against the 2,000 items of frame-limit-tail:
 * an empty client's (an IdList of nothing to infinity), and one whose
 * matching Fingerprint of the first 100 items leaves a Skip pending before
 * the IdList. Each reply must be an IdList up to a full-id bound on the
 * first id left out, then a true closing range, and the session must end
 * with the client knowing what it lacks.
 */
static void
test_frame_limit_idlist_cut(void **state)
{
	sp_neg_vector *sv = vector_from_items_file("frame-limit-tail/server.items");
	idset want_have = { 0 }, want_need = { 0 };
	sp_neg_vector *cv;
	sp_neg_storage cs, ss;
	sp_neg *client, *server;
	const sp_neg_item *cut;
	const uint8_t *p, *prefix;
	loop_result res;
	size_t held, i, ranges, len;
	uint64_t v, count, bound_ts;
	sp_buf c2s, reply;

	(void)state;
	sp_neg_vector_storage(sv, &ss);
	for (held = 0; held <= 100; held += 100) {
		assert_int_equal(sp_neg_vector_new(&cv), 0);
		for (i = 0; i < held; i++)
			assert_int_equal(sp_neg_vector_add(cv, ss.get(ss.ctx, i)->ts,
			    ss.get(ss.ctx, i)->id), 0);
		assert_int_equal(sp_neg_vector_seal(cv), 0);
		sp_neg_vector_storage(cv, &cs);
		ids_missing(&ss, &cs, &want_need);

		sp_buf_init(&c2s);
		sp_buf_init(&reply);
		sp_buf_append(&c2s, "\x61", 1);
		if (held != 0)
			put_fingerprint(&c2s, &cs, 0, held, ss.get(ss.ctx, held)->ts + 1);
		sp_buf_append(&c2s, "\x00\x00\x02\x00", 4);
		assert_int_equal(sp_neg_new(&cs, SP_NEG_FRAME_MIN, &client), 0);
		assert_int_equal(sp_neg_new(&ss, SP_NEG_FRAME_MIN, &server), 0);
		assert_int_equal(sp_neg_reconcile(server, c2s.data, c2s.len, &reply), 0);
		assert_true(reply.len <= SP_NEG_FRAME_MIN);
		assert_int_equal(first_false_range(reply.data, reply.len, &ss, &ranges), -1);
		/* [Skip,] IdList up to the first id left out, closing Fingerprint. */
		assert_int_equal(ranges, held != 0 ? 3 : 2);
		p = reply.data + 1;
		len = reply.len - 1;
		bound_ts = 0;
		if (held != 0) {
			assert_int_equal(sp_neg_varint_get(&p, &len, &v), 0);
			bound_ts = v - 1;
			assert_int_equal(sp_neg_varint_get(&p, &len, &v), 0);
			assert_true(v == 0);
			assert_int_equal(sp_neg_varint_get(&p, &len, &v), 0);
			assert_true(v == 0);
		}
		assert_int_equal(sp_neg_varint_get(&p, &len, &v), 0);
		bound_ts += v - 1;
		assert_int_equal(sp_neg_varint_get(&p, &len, &v), 0);
		assert_true(v == ID);
		prefix = p;
		p += ID;
		len -= ID;
		assert_int_equal(sp_neg_varint_get(&p, &len, &v), 0);
		assert_true(v == 2);
		assert_int_equal(sp_neg_varint_get(&p, &len, &count), 0);
		assert_true(count > 0 && held + count < ss.size(ss.ctx));
		cut = ss.get(ss.ctx, held + (size_t)count);
		assert_true(bound_ts == cut->ts);
		assert_memory_equal(prefix, cut->id, ID);
		assert_int_equal(len, count * ID + CLOSING_BYTES);

		/* The session, opened with that message. */
		assert_int_equal(sp_neg_initiate(client, &reply), 0);
		converge_from(client, server, &c2s, &cs, &ss, SP_NEG_FRAME_MIN,
		    SP_NEG_FRAME_MIN, &want_have, &want_need, &res);
		print_message("IdList cut after %llu ids (client holding %zu): converged in "
		    "%zu rounds\n", (unsigned long long)count, held, res.rounds);
		sp_buf_free(&c2s);
		sp_buf_free(&reply);
		sp_neg_free(client);
		sp_neg_free(server);
		idset_free(&want_need);
		sp_neg_vector_free(cv);
	}
	idset_free(&want_have);
	sp_neg_vector_free(sv);
}

/* Malformed messages. */

typedef struct fixed {
	sp_neg_vector *v;
	sp_neg_storage st;
} fixed;

/* 100 items on 20 timestamps. */
static void
fixed_make(fixed *f)
{
	uint8_t id[ID];
	size_t i;

	assert_int_equal(sp_neg_vector_new(&f->v), 0);
	for (i = 0; i < 100; i++) {
		rule_id(i, id);
		assert_int_equal(sp_neg_vector_add(f->v, 1000 + i / 5, id), 0);
	}
	assert_int_equal(sp_neg_vector_seal(f->v), 0);
	sp_neg_vector_storage(f->v, &f->st);
}

/*
 * Feeds msg to a fresh server and to a fresh client; returns the server's
 * result, after checking that the client agrees on malformedness and that
 * neither wrote anything or reported an id on SP_ENEG.
 */
static int
feed(const fixed *f, const uint8_t *msg, size_t len)
{
	report rep = { 0 };
	sp_neg *server, *client;
	sp_buf out;
	bool done = true;
	int rs, rc;

	sp_buf_init(&out);
	assert_int_equal(sp_neg_new(&f->st, 0, &server), 0);
	assert_int_equal(sp_neg_new(&f->st, 0, &client), 0);
	sp_buf_append(&out, "x", 1);
	rs = sp_neg_reconcile(server, msg, len, &out);
	if (rs == SP_ENEG)
		assert_int_equal(out.len, 1);
	else
		assert_int_equal(rs, 0);
	assert_int_equal(sp_neg_initiate(client, &out), 0);
	sp_buf_reset(&out);
	rc = sp_neg_reconcile_client(client, msg, len, &out, on_have, on_need,
	    &rep, &done);
	if (rc == SP_ENEG) {
		assert_int_equal(out.len, 0);
		assert_int_equal(rep.calls, 0);
		assert_false(done);
	} else {
		assert_int_equal(rc, 0);
	}
	/* Only the version byte splits them: a server answers other versions. */
	if (len > 0 && msg[0] == SP_NEG_PROTOCOL_V1)
		assert_int_equal(rs, rc);
	report_free(&rep);
	sp_buf_free(&out);
	sp_neg_free(server);
	sp_neg_free(client);
	return rs;
}

static int
feed_hex(const fixed *f, const char *hex)
{
	size_t len;
	uint8_t *msg = sp_test_unhex(hex, &len);
	int r;

	assert_non_null(msg);
	r = feed(f, msg, len);
	free(msg);
	return r;
}

/* Timestamps near 2^64. */

/*
 * Sending: a sender's bounds never go down and no item has timestamp
 * 2^64-1 (infinity), so a bound's 1 + delta is at most 2^64-1 and never
 * wraps. A client with two items at 0 and thirty at 2^64-2 writes its first
 * bound, 2^64-2 after 0, as the largest varint there is; a server holding
 * one item fewer at the top and one more reads it back and both converge.
 */
static void
test_timestamp_top_sending(void **state)
{
	static const uint8_t top[] = {
		0x61, 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01
	};
	static const size_t idlist[2] = { 32, 32 };
	idset want_have = { 0 }, want_need = { 0 };
	sp_neg_vector *cv, *sv;
	sp_neg_storage cs, ss;
	loop_result res;
	uint8_t id[ID];
	sp_neg *n;
	sp_buf out;
	size_t i;

	(void)state;
	assert_int_equal(sp_neg_vector_new(&cv), 0);
	assert_int_equal(sp_neg_vector_new(&sv), 0);
	for (i = 0; i < 33; i++) {
		rule_id(i, id);
		if (i != 31)
			assert_int_equal(sp_neg_vector_add(sv, i < 2 ? 0 : UINT64_MAX - 1, id), 0);
		if (i != 32)
			assert_int_equal(sp_neg_vector_add(cv, i < 2 ? 0 : UINT64_MAX - 1, id), 0);
		if (i == 31)
			idset_add(&want_have, id);
		if (i == 32)
			idset_add(&want_need, id);
	}
	assert_int_equal(sp_neg_vector_seal(cv), 0);
	assert_int_equal(sp_neg_vector_seal(sv), 0);
	sp_neg_vector_storage(cv, &cs);
	sp_neg_vector_storage(sv, &ss);
	assert_int_equal(sp_neg_new(&cs, 0, &n), 0);
	sp_buf_init(&out);
	assert_int_equal(sp_neg_initiate(n, &out), 0);
	assert_true(out.len > sizeof(top));
	assert_memory_equal(out.data, top, sizeof(top));
	run_loop(&cs, &ss, 0, 0, idlist, &want_have, &want_need, &res);
	sp_buf_free(&out);
	sp_neg_free(n);
	idset_free(&want_have);
	idset_free(&want_need);
	sp_neg_vector_free(cv);
	sp_neg_vector_free(sv);
}

/* The reply of a server holding items at 1, 2^63 and 2^64-2 to msg (hex). */
static void
assert_top_reply(const fixed *top, const char *msg_hex, const sp_buf *want)
{
	uint8_t *msg;
	size_t len;
	sp_neg *n;
	sp_buf out;

	msg = sp_test_unhex(msg_hex, &len);
	assert_non_null(msg);
	assert_int_equal(sp_neg_new(&top->st, 0, &n), 0);
	sp_buf_init(&out);
	assert_int_equal(sp_neg_reconcile(n, msg, len, &out), 0);
	if (out.len != want->len || memcmp(out.data, want->data, out.len) != 0)
		fail_msg("reply to %s differs", msg_hex);
	sp_buf_free(&out);
	sp_neg_free(n);
	free(msg);
}

/*
 * Receiving: a timestamp varint up to 2^64-1 is accepted; previous +
 * (value - 1) at or past 2^64-1 is infinity (saturating, as the
 * reference), and so is every later bound of the message; a varint past
 * 2^64-1 is refused. Infinity bounds may carry id prefixes, which may not
 * go down either. The server echoes the bounds it read in its IdLists.
 */
static void
test_timestamp_top_receiving(void **state)
{
	static const uint64_t at[] = { 1, UINT64_C(1) << 63, UINT64_MAX - 1 };
	fixed top, f;
	sp_buf want;
	size_t i;

	(void)state;
	assert_int_equal(sp_neg_vector_new(&top.v), 0);
	for (i = 0; i < 3; i++) {
		uint8_t id[ID];

		rule_id(i, id);
		assert_int_equal(sp_neg_vector_add(top.v, at[i], id), 0);
	}
	assert_int_equal(sp_neg_vector_seal(top.v), 0);
	sp_neg_vector_storage(top.v, &top.st);
	sp_buf_init(&want);

	/* 2^63, then 2^63 + (2^63 - 1): exactly 2^64-1, infinity. */
	sp_buf_append(&want, "\x61", 1);
	sp_neg_varint_put(&want, (UINT64_C(1) << 63) + 1);
	sp_buf_append(&want, "\x00\x02\x01", 3);
	sp_buf_append(&want, top.st.get(top.st.ctx, 0)->id, ID);
	sp_buf_append(&want, "\x00\x00\x02\x02", 4);
	sp_buf_append(&want, top.st.get(top.st.ctx, 1)->id, ID);
	sp_buf_append(&want, top.st.get(top.st.ctx, 2)->id, ID);
	assert_top_reply(&top, "61" "81808080808080808001" "000200"
	    "81808080808080808000" "000200", &want);
	/* ... or 2^63 + (2^63 + 4), past 2^64: saturated, not wrapped to 4. */
	assert_top_reply(&top, "61" "81808080808080808001" "000200"
	    "81808080808080808005" "000200", &want);
	/* After infinity, any varint is infinity again: an empty last range. */
	sp_buf_append(&want, "\x00\x00\x02\x00", 4);
	assert_top_reply(&top, "61" "81808080808080808001" "000200"
	    "00" "000200" "05" "000200", &want);

	/* 2^64-1, the largest varint, after 0: the largest finite bound, 2^64-2. */
	sp_buf_reset(&want);
	sp_buf_append(&want, "\x61\x81\xff\xff\xff\xff\xff\xff\xff\xff\x7f\x00\x02\x02", 14);
	sp_buf_append(&want, top.st.get(top.st.ctx, 0)->id, ID);
	sp_buf_append(&want, top.st.get(top.st.ctx, 1)->id, ID);
	assert_top_reply(&top, "61" "81ffffffffffffffff7f" "000200", &want);

	/* Both roles accept and refuse the same. */
	fixed_make(&f);
	assert_int_equal(feed_hex(&f, "61" "81ffffffffffffffff7f" "000200"), 0);
	assert_int_equal(feed_hex(&f, "61" "81808080808080808001" "000200"
	    "81808080808080808005" "000200"), 0);
	assert_int_equal(feed_hex(&f, "61" "82808080808080808000" "000200"), SP_ENEG);
	/* (infinity) then (infinity, ff): rising; the other way round: going down. */
	assert_int_equal(feed_hex(&f, "61" "000000" "05" "01ff00"), 0);
	assert_int_equal(feed_hex(&f, "61" "0001ff00" "05" "0000"), SP_ENEG);
	sp_neg_vector_free(f.v);
	sp_buf_free(&want);
	sp_neg_vector_free(top.v);
}

static void
test_malformed(void **state)
{
	fixed f;

	(void)state;
	fixed_make(&f);
	/* Well-formed, for contrast. */
	assert_int_equal(feed_hex(&f, "61"), 0);
	assert_int_equal(feed_hex(&f, "6100000200"), 0);
	assert_int_equal(feed_hex(&f, "61000000"), 0);
	/* Versions. */
	assert_int_equal(feed_hex(&f, ""), SP_ENEG);
	assert_int_equal(feed_hex(&f, "00"), SP_ENEG);
	assert_int_equal(feed_hex(&f, "5f00000200"), SP_ENEG);
	assert_int_equal(feed_hex(&f, "7000000200"), SP_ENEG);
	/* Modes. */
	assert_int_equal(feed_hex(&f, "61000003"), SP_ENEG);
	assert_int_equal(feed_hex(&f, "61000004"), SP_ENEG);
	assert_int_equal(feed_hex(&f, "6100008100"), SP_ENEG);
	assert_int_equal(feed_hex(&f, "610000ffffffffffffffffff7f"), SP_ENEG);
	/* Varints: truncated, not shortest, past 64 bits. */
	assert_int_equal(feed_hex(&f, "6181"), SP_ENEG);
	assert_int_equal(feed_hex(&f, "618001000000"), SP_ENEG);
	assert_int_equal(feed_hex(&f, "6182808080808080808000000000"), SP_ENEG);
	assert_int_equal(feed_hex(&f, "6100000281"), SP_ENEG);
	/* Id prefix longer than an id, or than the message. */
	assert_int_equal(feed_hex(&f, "610021"
	    "000000000000000000000000000000000000000000000000000000000000000000"
	    "00"), SP_ENEG);
	assert_int_equal(feed_hex(&f, "610005aabb00"), SP_ENEG);
	/* IdList counts beyond the message, even huge ones. */
	assert_int_equal(feed_hex(&f, "61000002"), SP_ENEG);
	assert_int_equal(feed_hex(&f, "6100000201"), SP_ENEG);
	assert_int_equal(feed_hex(&f, "6100000202"
	    "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"), SP_ENEG);
	assert_int_equal(feed_hex(&f, "610000028180808080808080808000"), SP_ENEG);
	/* A fingerprint cut short. */
	assert_int_equal(feed_hex(&f, "61000001aabbccdd"), SP_ENEG);
	/* Bounds going down: same timestamp, smaller prefix. */
	assert_int_equal(feed_hex(&f, "610601800001011000"), SP_ENEG);
	/* ...while equal and rising bounds are fine. */
	assert_int_equal(feed_hex(&f, "610601800001018000"), 0);
	assert_int_equal(feed_hex(&f, "610601800001018100"), 0);
	/* A well-formed IdList range followed by garbage: no id reported. */
	assert_int_equal(feed_hex(&f, "6100000200" "07"), SP_ENEG);
	sp_neg_vector_free(f.v);
}

/*
 * Every prefix of a well-formed message is either well-formed (it ends
 * between ranges) or SP_ENEG: exactly ranges + 1 prefixes are accepted.
 */
static void
test_truncated_everywhere(void **state)
{
	uint8_t id[ID];
	sp_neg_vector *big;
	sp_neg_storage st;
	sp_neg *n;
	sp_buf msg;
	size_t len, ok = 0;
	fixed f;
	int i;

	(void)state;
	fixed_make(&f);
	/* A client initiating over 1000 items: 16 fingerprint ranges. */
	assert_int_equal(sp_neg_vector_new(&big), 0);
	for (i = 0; i < 1000; i++) {
		rule_id((size_t)i + 5000, id);
		assert_int_equal(sp_neg_vector_add(big, (uint64_t)i % 7, id), 0);
	}
	assert_int_equal(sp_neg_vector_seal(big), 0);
	sp_neg_vector_storage(big, &st);
	assert_int_equal(sp_neg_new(&st, 0, &n), 0);
	sp_buf_init(&msg);
	assert_int_equal(sp_neg_initiate(n, &msg), 0);
	for (len = 0; len <= msg.len; len++)
		if (feed(&f, msg.data, len) == 0)
			ok++;
	assert_int_equal(ok, 1 + 16);

	/* An IdList of 31 ids (a client over 31 items): one range. */
	sp_neg_free(n);
	sp_neg_vector_free(big);
	assert_int_equal(sp_neg_vector_new(&big), 0);
	for (i = 0; i < 31; i++) {
		rule_id((size_t)i, id);
		assert_int_equal(sp_neg_vector_add(big, 1000 + (uint64_t)i / 5, id), 0);
	}
	assert_int_equal(sp_neg_vector_seal(big), 0);
	sp_neg_vector_storage(big, &st);
	assert_int_equal(sp_neg_new(&st, 0, &n), 0);
	sp_buf_reset(&msg);
	assert_int_equal(sp_neg_initiate(n, &msg), 0);
	ok = 0;
	for (len = 0; len <= msg.len; len++)
		if (feed(&f, msg.data, len) == 0)
			ok++;
	assert_int_equal(ok, 2);
	sp_buf_free(&msg);
	sp_neg_free(n);
	sp_neg_vector_free(big);
	sp_neg_vector_free(f.v);
}

static void
test_roles(void **state)
{
	report rep = { 0 };
	bool done = true;
	sp_neg *n;
	sp_buf out;
	fixed f;

	(void)state;
	fixed_make(&f);
	sp_buf_init(&out);
	assert_int_equal(sp_neg_new(&f.st, 100, &n), SP_EINVAL);
	assert_null(n);
	assert_int_equal(sp_neg_new(&f.st, SP_NEG_FRAME_MIN - 1, &n), SP_EINVAL);

	/* A server cannot initiate nor act as a client. */
	assert_int_equal(sp_neg_new(&f.st, SP_NEG_FRAME_MIN, &n), 0);
	assert_int_equal(sp_neg_reconcile(n, (const uint8_t *)"\x61", 1, &out), 0);
	assert_int_equal(sp_neg_initiate(n, &out), SP_EINVAL);
	assert_int_equal(sp_neg_reconcile_client(n, (const uint8_t *)"\x61", 1,
	    &out, on_have, on_need, &rep, &done), SP_EINVAL);
	assert_false(done);
	sp_neg_free(n);

	/* A client initiates once and takes only server messages. */
	assert_int_equal(sp_neg_new(&f.st, 0, &n), 0);
	assert_int_equal(sp_neg_reconcile_client(n, (const uint8_t *)"\x61", 1,
	    &out, on_have, on_need, &rep, &done), SP_EINVAL);
	assert_int_equal(sp_neg_initiate(n, &out), 0);
	assert_int_equal(sp_neg_initiate(n, &out), SP_EINVAL);
	assert_int_equal(sp_neg_reconcile(n, (const uint8_t *)"\x61", 1, &out), SP_EINVAL);
	/* A server that speaks another version is an error for a client. */
	sp_buf_reset(&out);
	assert_int_equal(sp_neg_reconcile_client(n, (const uint8_t *)"\x62", 1,
	    &out, on_have, on_need, &rep, &done), SP_ENEG);
	/* The bare version byte: nothing more to ask. */
	assert_int_equal(sp_neg_reconcile_client(n, (const uint8_t *)"\x61", 1,
	    &out, on_have, on_need, &rep, &done), 0);
	assert_true(done);
	assert_int_equal(out.len, 0);
	sp_neg_free(n);
	sp_buf_free(&out);
	sp_neg_vector_free(f.v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_varint_vectors),
		cmocka_unit_test(test_varint_malformed),
		cmocka_unit_test(test_fingerprint_vectors),
		cmocka_unit_test(test_fingerprint_subranges),
		cmocka_unit_test(test_vector_rules),
		cmocka_unit_test(test_protoversion),
		cmocka_unit_test(test_transcripts_vector),
		cmocka_unit_test(test_transcripts_lmdb),
		cmocka_unit_test(test_store_load_errors),
		cmocka_unit_test(test_loop_random_sets),
		cmocka_unit_test(test_idlist_bounds),
		cmocka_unit_test(test_frame_limit_tail),
		cmocka_unit_test(test_frame_limit_client),
		cmocka_unit_test(test_frame_limit_idlist_cut),
		cmocka_unit_test(test_timestamp_top_sending),
		cmocka_unit_test(test_timestamp_top_receiving),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_roles),
	};

	if (sp_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
