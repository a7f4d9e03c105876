/*
 * test_syscoll.c - the table of system collections: the charter is its
 * first row, found by name only; per-hub rows are found by their prefix
 * and one hub id in its only spelling; a record of the wrong shape (key,
 * label, flags, body, or a body disagreeing with its key or hub) is
 * refused with the row's error; a heartbeat is kept under its author's id;
 * an aggregate is never deleted and travels only upward.
 */
#include "sp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "base32.h"
#include "charter.h"
#include "definition.h"
#include "heartbeat.h"
#include "sp_err.h"
#include "summary.h"
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

static const uint8_t hub_id[SP_PUBKEY_BYTES] = { 0xab, 0xcd };

/* A consent record for hub_id in collection (built by the caller), key name. */
static void
consent_record(sp_record *rec, sp_buf *body, const char *name)
{
	sp_consent c;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	memset(c.definition, 7, sizeof(c.definition));
	memcpy(c.hub, hub_id, sizeof(hub_id));
	sp_buf_init(body);
	assert_int_equal(sp_consent_encode(&c, body), 0);
	memset(rec, 0, sizeof(*rec));
	sp_syscoll_hub_collection(sp_syscoll_row(SP_CONSENT_COLLECTION), hub_id, rec->collection);
	rec->collection_len = strlen(rec->collection);
	snprintf(rec->key, sizeof(rec->key), "%s", name);
	rec->key_len = strlen(rec->key);
	rec->label = SP_LABEL_PUBLIC;
	rec->body = body->data;
	rec->body_len = body->len;
}

static void
test_per_hub_rows(void **state)
{
	const sp_syscoll *sc = sp_syscoll_row(SP_CONSENT_COLLECTION);
	char name[SP_COLLECTION_MAX + 1], upper[SP_COLLECTION_MAX + 1];
	uint8_t hub[SP_PUBKEY_BYTES];
	size_t i;

	(void)state;
	assert_non_null(sc);
	assert_true(sc->per_hub);
	assert_int_equal(sc->writer, SP_SYS_ADMIN);
	sp_syscoll_hub_collection(sc, hub_id, name);
	assert_int_equal(strlen(name), strlen(".consent.") + SP_ID_STR_LEN);
	assert_true(strlen(name) <= SP_COLLECTION_MAX);
	assert_ptr_equal(sp_syscoll_find_hub(name, strlen(name), hub), sc);
	assert_memory_equal(hub, hub_id, sizeof(hub));
	assert_ptr_equal(sp_syscoll_find(name, strlen(name)), sc);
	/* The prefix alone, an id cut short or too long, another spelling: none. */
	assert_null(sp_syscoll_find(".consent.", 9));
	assert_null(sp_syscoll_find(name, strlen(name) - 1));
	assert_null(sp_syscoll_find(".consent", 8));
	strcpy(upper, name);
	for (i = strlen(".consent."); upper[i] != '\0'; i++)
		if (upper[i] >= 'a' && upper[i] <= 'z')
			upper[i] = (char)(upper[i] - 'a' + 'A');
	assert_null(sp_syscoll_find(upper, strlen(upper)));
	assert_ptr_equal(sp_syscoll_find(SP_DEFINITION_COLLECTION, strlen(SP_DEFINITION_COLLECTION)),
	    sp_syscoll_row(SP_DEFINITION_COLLECTION));
}

static void
test_consent_shape(void **state)
{
	const sp_syscoll *sc = sp_syscoll_row(SP_CONSENT_COLLECTION);
	uint8_t other[SP_PUBKEY_BYTES] = { 0xee };
	sp_record rec;
	sp_buf body;

	(void)state;
	consent_record(&rec, &body, "pmks");
	assert_int_equal(sp_syscoll_check(sc, &rec), 0);
	/* The key must be the consent's name; the collection its hub. */
	strcpy(rec.key, "other");
	rec.key_len = 5;
	assert_int_equal(sp_syscoll_check(sc, &rec), SP_ECONSENT);
	strcpy(rec.key, "pmks");
	rec.key_len = 4;
	sp_syscoll_hub_collection(sc, other, rec.collection);
	assert_int_equal(sp_syscoll_check(sc, &rec), SP_ECONSENT);
	sp_syscoll_hub_collection(sc, hub_id, rec.collection);
	/* Withdrawn: a tombstone, whose body is not read; never erased. */
	rec.flags = SP_FLAG_TOMBSTONE;
	assert_int_equal(sp_syscoll_check(sc, &rec), 0);
	rec.flags = SP_FLAG_TOMBSTONE | SP_FLAG_ERASED;
	assert_int_equal(sp_syscoll_check(sc, &rec), SP_ECONSENT);
	rec.flags = 0;
	rec.label = SP_LABEL_COMMUNITY;
	assert_int_equal(sp_syscoll_check(sc, &rec), SP_ECONSENT);
	rec.label = SP_LABEL_PUBLIC;
	strcpy(rec.key, ".pmks");
	rec.key_len = 5;
	assert_int_equal(sp_syscoll_check(sc, &rec), SP_ECONSENT);
	sp_buf_free(&body);
}

/* A summary is kept under NAME/PERIOD, the name and period its body gives. */
static void
test_summary_shape(void **state)
{
	const sp_syscoll *sc = sp_syscoll_row(SP_SUMMARY_COLLECTION);
	sp_summary *s;
	sp_record rec;
	sp_buf body;

	(void)state;
	assert_non_null(sc);
	assert_int_equal(sc->writer, SP_SYS_WRITER);
	assert_true(sc->at_hubs);
	assert_int_equal(sp_summary_new(1, 0, 0, &s), 0);
	strcpy(sp_summary_name(s), "pmks");
	strcpy(sp_summary_period(s), "2026-11");
	*sp_summary_k(s) = 5;
	strcpy(sp_summary_row(s, 0), "anak");
	sp_buf_init(&body);
	assert_int_equal(sp_summary_encode(s, &body), 0);
	sp_summary_free(s);
	memset(&rec, 0, sizeof(rec));
	sp_syscoll_hub_collection(sc, hub_id, rec.collection);
	rec.collection_len = strlen(rec.collection);
	strcpy(rec.key, "pmks/2026-11");
	rec.key_len = strlen(rec.key);
	rec.label = SP_LABEL_PUBLIC;
	rec.body = body.data;
	rec.body_len = body.len;
	assert_int_equal(sp_syscoll_check(sc, &rec), 0);
	strcpy(rec.key, "pmks/2026-12");
	assert_int_equal(sp_syscoll_check(sc, &rec), SP_ESUMMARY);
	strcpy(rec.key, "pmk/2026-11");
	rec.key_len = strlen(rec.key);
	assert_int_equal(sp_syscoll_check(sc, &rec), SP_ESUMMARY);
	strcpy(rec.key, "pmks-2026-11");
	rec.key_len = strlen(rec.key);
	assert_int_equal(sp_syscoll_check(sc, &rec), SP_ESUMMARY);
	strcpy(rec.key, "pmks/2026-1x");
	assert_int_equal(sp_syscoll_check(sc, &rec), SP_ESUMMARY);
	sp_buf_free(&body);
}

/* A heartbeat is its author's: kept under the author's id, never deleted, public, stored at hubs. */
static void
test_heartbeat_shape(void **state)
{
	const sp_syscoll *sc = sp_syscoll_row(SP_HEARTBEAT_COLLECTION);
	uint8_t author[SP_PUBKEY_BYTES] = { 0x5a, 0x17 }, other[SP_PUBKEY_BYTES] = { 0x5b };
	sp_heartbeat *hb = calloc(1, sizeof(*hb));
	sp_record rec;
	sp_buf body;
	size_t i;

	(void)state;
	assert_non_null(sc);
	assert_non_null(hb);
	assert_ptr_equal(sp_syscoll_find(SP_HEARTBEAT_COLLECTION, strlen(SP_HEARTBEAT_COLLECTION)), sc);
	assert_false(sc->per_hub);
	assert_int_equal(sc->writer, SP_SYS_WRITER);
	assert_false(sc->tombstones);
	assert_int_equal(sc->travel, SP_SYS_TO_HUBS);
	assert_true(sc->at_hubs);
	assert_int_equal(sc->label, SP_LABEL_PUBLIC);
	strcpy(hb->software, "simpul 0.1.0");
	assert_int_equal(sp_heartbeat_add_peer(hb, other, 1, 2), 0);
	sp_buf_init(&body);
	assert_int_equal(sp_heartbeat_encode(hb, &body), 0);
	memset(&rec, 0, sizeof(rec));
	strcpy(rec.collection, SP_HEARTBEAT_COLLECTION);
	rec.collection_len = strlen(rec.collection);
	memcpy(rec.author, author, sizeof(author));
	sp_base32_encode(rec.key, author, sizeof(author));
	rec.key_len = SP_ID_STR_LEN;
	rec.label = SP_LABEL_PUBLIC;
	rec.body = body.data;
	rec.body_len = body.len;
	assert_int_equal(sp_syscoll_check(sc, &rec), 0);
	/* Another node's id, or the author's in capitals, or cut short: not its key. */
	sp_base32_encode(rec.key, other, sizeof(other));
	assert_int_equal(sp_syscoll_check(sc, &rec), SP_EHEARTBEAT);
	sp_base32_encode(rec.key, author, sizeof(author));
	for (i = 0; i < rec.key_len; i++)
		if (rec.key[i] >= 'a' && rec.key[i] <= 'z')
			rec.key[i] = (char)(rec.key[i] - 'a' + 'A');
	assert_int_equal(sp_syscoll_check(sc, &rec), SP_EHEARTBEAT);
	sp_base32_encode(rec.key, author, sizeof(author));
	rec.key_len = SP_ID_STR_LEN - 1;
	rec.key[rec.key_len] = '\0';
	assert_int_equal(sp_syscoll_check(sc, &rec), SP_EHEARTBEAT);
	sp_base32_encode(rec.key, author, sizeof(author));
	rec.key_len = SP_ID_STR_LEN;
	assert_int_equal(sp_syscoll_check(sc, &rec), 0);
	/* Never deleted; only public; a body that is no heartbeat. */
	rec.flags = SP_FLAG_TOMBSTONE;
	assert_int_equal(sp_syscoll_check(sc, &rec), SP_EHEARTBEAT);
	rec.flags = 0;
	rec.label = SP_LABEL_COMMUNITY;
	assert_int_equal(sp_syscoll_check(sc, &rec), SP_EHEARTBEAT);
	rec.label = SP_LABEL_PUBLIC;
	rec.body_len = body.len - 1;
	assert_int_equal(sp_syscoll_check(sc, &rec), SP_EHEARTBEAT);
	sp_buf_free(&body);
	free(hb);
}

/* An aggregate: NAME/PERIOD as its body says, public, never deleted, only upward. */
static void
test_aggregate_shape(void **state)
{
	const sp_syscoll *sc = sp_syscoll_find(SP_AGGREGATE_COLLECTION,
	    strlen(SP_AGGREGATE_COLLECTION));
	sp_aggregate_builder *b;
	sp_aggregate *a;
	sp_record rec;
	sp_buf body;

	(void)state;
	assert_non_null(sc);
	assert_ptr_equal(sp_syscoll_row(SP_AGGREGATE_COLLECTION), sc);
	assert_false(sc->per_hub);
	assert_int_equal(sc->writer, SP_SYS_WRITER);
	assert_int_equal(sc->travel, SP_SYS_UPWARD);
	assert_true(sc->at_hubs);
	assert_false(sc->tombstones);
	assert_int_equal(sp_aggregate_start("pmks", "2026-Q4", hub_id, &b), 0);
	assert_int_equal(sp_aggregate_finish(b, NULL, NULL, &a), 0);
	sp_aggregate_builder_free(b);
	sp_buf_init(&body);
	assert_int_equal(sp_aggregate_encode(a, &body), 0);
	sp_aggregate_free(a);
	memset(&rec, 0, sizeof(rec));
	strcpy(rec.collection, SP_AGGREGATE_COLLECTION);
	rec.collection_len = strlen(rec.collection);
	strcpy(rec.key, "pmks/2026-Q4");
	rec.key_len = strlen(rec.key);
	rec.label = SP_LABEL_PUBLIC;
	rec.body = body.data;
	rec.body_len = body.len;
	assert_int_equal(sp_syscoll_check(sc, &rec), 0);
	/* A key other than the body's, or not NAME/PERIOD at all. */
	strcpy(rec.key, "pmks/2026-Q3");
	assert_int_equal(sp_syscoll_check(sc, &rec), SP_EAGGREGATE);
	strcpy(rec.key, "pmks");
	rec.key_len = strlen(rec.key);
	assert_int_equal(sp_syscoll_check(sc, &rec), SP_EAGGREGATE);
	strcpy(rec.key, "pmks/2026-Q4");
	rec.key_len = strlen(rec.key);
	/* Never deleted; public only; a body that is no aggregate. */
	rec.flags = SP_FLAG_TOMBSTONE;
	rec.body_len = 0;
	assert_int_equal(sp_syscoll_check(sc, &rec), SP_EAGGREGATE);
	rec.flags = 0;
	rec.body_len = body.len;
	rec.label = SP_LABEL_COMMUNITY;
	assert_int_equal(sp_syscoll_check(sc, &rec), SP_EAGGREGATE);
	rec.label = SP_LABEL_PUBLIC;
	rec.body_len = body.len - 1;
	assert_int_equal(sp_syscoll_check(sc, &rec), SP_EAGGREGATE);
	sp_buf_free(&body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_per_hub_rows),
		cmocka_unit_test(test_consent_shape),
		cmocka_unit_test(test_summary_shape),
		cmocka_unit_test(test_heartbeat_shape),
		cmocka_unit_test(test_aggregate_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
