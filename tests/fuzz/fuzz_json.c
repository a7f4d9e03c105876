/*
 * fuzz_json.c - sp_json_to_body on arbitrary bytes.
 *
 * Whatever is accepted must be a valid body that survives export: body ->
 * json_t -> body gives identical bytes, and so does body -> JSON text ->
 * body (the path of 'simpul export' followed by 'simpul put').
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "body.h"
#include "json_body.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	sp_buf body, again;
	json_t *j = NULL;
	char *text = NULL;
	int r;

	sp_buf_init(&body);
	sp_buf_init(&again);
	r = sp_json_to_body((const char *)data, size, &body, err, sizeof(err));
	CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	if (r != 0) {
		CHECK(r < 0 && err[0] != '\0' && body.len == 0);
		goto out;
	}
	CHECK(sp_body_validate(body.data, body.len) == 0);
	CHECK(sp_body_to_json(body.data, body.len, &j) == 0);

	CHECK(sp_json_obj_to_body(j, &again, err, sizeof(err)) == 0);
	CHECK(again.len == body.len);
	CHECK(memcmp(again.data, body.data, body.len) == 0);

	text = json_dumps(j, JSON_COMPACT);
	CHECK(text != NULL);
	sp_buf_reset(&again);
	CHECK(sp_json_to_body(text, strlen(text), &again, err, sizeof(err)) == 0);
	CHECK(again.len == body.len);
	CHECK(memcmp(again.data, body.data, body.len) == 0);
out:
	free(text);
	json_decref(j);
	sp_buf_free(&body);
	sp_buf_free(&again);
	return 0;
}
