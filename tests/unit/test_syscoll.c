/*
 * test_syscoll.c - the table of system collections: the charter is its
 * first row, found by name only, and a record of the wrong shape (key,
 * label, flags, body) is refused with the row's error.
 */
#include "sp_test.h"

#include <string.h>

#include "charter.h"
#include "sp_err.h"
#include "syscoll.h"

static const uint8_t member[SP_PUBKEY_BYTES] = { 1 };

/* A well-formed charter record (only the fields the check reads). */
static void
charter_record(sp_record *rec, sp_buf *body)
{
	sp_charter *c = sp_charter_new();

	assert_non_null(c);
	assert_int_equal(sp_charter_set(c, member, true), 0);
	sp_buf_init(body);
	assert_int_equal(sp_charter_encode(c, body), 0);
	sp_charter_free(c);
	memset(rec, 0, sizeof(*rec));
	strcpy(rec->collection, SP_CHARTER_COLLECTION);
	rec->collection_len = strlen(SP_CHARTER_COLLECTION);
	strcpy(rec->key, SP_CHARTER_KEY);
	rec->key_len = strlen(SP_CHARTER_KEY);
	rec->label = SP_LABEL_PUBLIC;
	rec->body = body->data;
	rec->body_len = body->len;
}

static void
test_find(void **state)
{
	const sp_syscoll *sc;

	(void)state;
	sc = sp_syscoll_find(SP_CHARTER_COLLECTION, strlen(SP_CHARTER_COLLECTION));
	assert_non_null(sc);
	assert_ptr_equal(sc, sp_syscoll_charter());
	assert_ptr_equal(sp_syscoll_at(0), sc);
	assert_int_equal(sc->phase, 0);
	assert_int_equal(sc->writer, SP_SYS_COMMUNITY_KEY);
	assert_null(sp_syscoll_find(".charte", 7));
	assert_null(sp_syscoll_find(".charters", 9));
	assert_null(sp_syscoll_find("households", 10));
	assert_null(sp_syscoll_find("._summary", 9));
}

static void
test_shape(void **state)
{
	const sp_syscoll *sc = sp_syscoll_charter();
	sp_record rec;
	sp_buf body;

	(void)state;
	charter_record(&rec, &body);
	assert_int_equal(sp_syscoll_check(sc, &rec), 0);
	rec.label = SP_LABEL_SHARED;
	assert_int_equal(sp_syscoll_check(sc, &rec), SP_ECHARTER);
	rec.label = SP_LABEL_PUBLIC;
	rec.flags = SP_FLAG_TOMBSTONE;
	assert_int_equal(sp_syscoll_check(sc, &rec), SP_ECHARTER);
	rec.flags = 0;
	strcpy(rec.key, "charters");
	rec.key_len = 8;
	assert_int_equal(sp_syscoll_check(sc, &rec), SP_ECHARTER);
	strcpy(rec.key, SP_CHARTER_KEY);
	rec.key_len = strlen(SP_CHARTER_KEY);
	rec.body_len = body.len - 1;
	assert_int_not_equal(sp_syscoll_check(sc, &rec), 0);
	sp_buf_free(&body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
