/*
 * test_definition.c - summary definitions and consents (proto/definition.c):
 * canonical bodies, every rule of docs/HUBS.md enforced on decoding, and
 * periods.
 */
#define _GNU_SOURCE   /* memmem */
#include "sp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "definition.h"
#include "pack.h"
#include "sp_err.h"

/* A two-way definition with every part given. */
static void
full_definition(sp_definition *d)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->from, sizeof(d->from), "cases");
	snprintf(d->by[0], sizeof(d->by[0]), "category");
	snprintf(d->by[1], sizeof(d->by[1]), "sex");
	d->nby = 2;
	snprintf(d->categories[0], sizeof(d->categories[0]), "anak terlantar");
	snprintf(d->categories[1], sizeof(d->categories[1]), "lanjut usia terlantar");
	snprintf(d->categories[2], sizeof(d->categories[2]), "penyandang disabilitas");
	d->ncategories = 3;
	d->k = SP_DEF_K_DEFAULT;
	d->period = SP_PERIOD_QUARTER;
	snprintf(d->sums[0], sizeof(d->sums[0]), "aid_rupiah");
	d->nsums = 1;
	snprintf(d->where[0].field, sizeof(d->where[0].field), "open");
	snprintf(d->where[0].value, sizeof(d->where[0].value), "true");
	snprintf(d->where[1].field, sizeof(d->where[1].field), "village");
	snprintf(d->where[1].value, sizeof(d->where[1].value), "Biru");
	d->nwhere = 2;
}

static void
test_round_trip(void **state)
{
	sp_definition d, back;
	sp_buf b, again;

	(void)state;
	full_definition(&d);
	sp_buf_init(&b);
	assert_int_equal(sp_definition_encode(&d, &b), 0);
	assert_int_equal(sp_definition_decode(b.data, b.len, &back), 0);
	assert_memory_equal(&d, &back, sizeof(d));
	sp_buf_init(&again);
	assert_int_equal(sp_definition_encode(&back, &again), 0);
	assert_int_equal(again.len, b.len);
	assert_memory_equal(again.data, b.data, b.len);
	sp_buf_free(&b);
	sp_buf_free(&again);
}

/* The smallest definition, byte for byte: every key present, in order. */
static void
test_canonical_bytes(void **state)
{
	static const char hex[] =
	    "87" "a2" "6279" "91" "a8" "63617465676f7279"
	    "aa" "63617465676f72696573" "90"
	    "a4" "66726f6d" "a5" "6361736573"
	    "a1" "6b" "05"
	    "a6" "706572696f64" "a5" "6d6f6e7468"
	    "a4" "73756d73" "90"
	    "a5" "7768657265" "80";
	sp_definition d;
	uint8_t *want;
	size_t len;
	sp_buf b;

	(void)state;
	memset(&d, 0, sizeof(d));
	snprintf(d.from, sizeof(d.from), "cases");
	snprintf(d.by[0], sizeof(d.by[0]), "category");
	d.nby = 1;
	d.k = 5;
	d.period = SP_PERIOD_MONTH;
	assert_non_null(want = sp_test_unhex(hex, &len));
	sp_buf_init(&b);
	assert_int_equal(sp_definition_encode(&d, &b), 0);
	assert_int_equal(b.len, len);
	assert_memory_equal(b.data, want, len);
	sp_buf_free(&b);
	free(want);
}

/* Each rule broken: encode refuses it, and so does decode of its bytes. */
static void
expect_refused(sp_definition *d)
{
	sp_buf b;

	sp_buf_init(&b);
	assert_int_equal(sp_definition_encode(d, &b), SP_EDEFINITION);
	sp_buf_free(&b);
	assert_int_equal(sp_definition_check(d), SP_EDEFINITION);
}

static void
test_rules(void **state)
{
	sp_definition d;

	(void)state;
	full_definition(&d);
	d.k = SP_DEF_K_MIN - 1;
	expect_refused(&d);
	full_definition(&d);
	d.k = SP_DEF_K_MAX + 1;
	expect_refused(&d);
	full_definition(&d);
	d.nby = 0;
	expect_refused(&d);
	full_definition(&d);
	snprintf(d.by[1], sizeof(d.by[1]), "category");
	expect_refused(&d);
	full_definition(&d);
	snprintf(d.categories[1], sizeof(d.categories[1]), "other");
	expect_refused(&d);
	full_definition(&d);
	snprintf(d.categories[2], sizeof(d.categories[2]), "anak terlantar");
	expect_refused(&d);
	full_definition(&d);
	snprintf(d.from, sizeof(d.from), ".charter");
	expect_refused(&d);
	full_definition(&d);
	snprintf(d.where[0].field, sizeof(d.where[0].field), "zone");
	expect_refused(&d);   /* where no longer sorted by field */
	full_definition(&d);
	d.where[1].value[0] = '\0';
	expect_refused(&d);
	full_definition(&d);
	d.categories[0][0] = '\n';
	expect_refused(&d);
	full_definition(&d);
	snprintf(d.sums[1], sizeof(d.sums[1]), "aid_rupiah");
	d.nsums = 2;
	expect_refused(&d);
	full_definition(&d);
	assert_int_equal(sp_definition_check(&d), 0);
}

/* Bodies that are not definitions, each with one thing wrong. */
static void
test_decode_refuses(void **state)
{
	static const char good[] =
	    "87a2627991a863617465676f7279aa63617465676f7269657390a466726f6da56361736573"
	    "a16b05a6706572696f64a56d6f6e7468a473756d7390a5776865726580";
	static const char *const bad[] = {
		/* k as uint16: not the shortest form */
		"87a262799 1a863617465676f7279aa63617465676f7269657390a466726f6da56361736573"
		"a16bcd0005a6706572696f64a56d6f6e7468a473756d7390a5776865726580",
		/* period "week" */
		"87a2627991a863617465676f7279aa63617465676f7269657390a466726f6da56361736573"
		"a16b05a6706572696f64a47765656ba473756d7390a5776865726580",
		/* "where" missing: a map of 6 */
		"86a2627991a863617465676f7279aa63617465676f7269657390a466726f6da56361736573"
		"a16b05a6706572696f64a56d6f6e7468a473756d7390",
		/* a byte after the map */
		"87a2627991a863617465676f7279aa63617465676f7269657390a466726f6da56361736573"
		"a16b05a6706572696f64a56d6f6e7468a473756d7390a577686572658000",
		/* k = 2 */
		"87a2627991a863617465676f7279aa63617465676f7269657390a466726f6da56361736573"
		"a16b02a6706572696f64a56d6f6e7468a473756d7390a5776865726580",
		/* "by" and "categories" swapped */
		"87aa63617465676f7269657390a2627991a863617465676f7279a466726f6da56361736573"
		"a16b05a6706572696f64a56d6f6e7468a473756d7390a5776865726580",
	};
	char clean[512];
	sp_definition d;
	uint8_t *body;
	size_t i, j, k, len;

	(void)state;
	/* The body these are made from decodes. */
	assert_non_null(body = sp_test_unhex(good, &len));
	assert_int_equal(sp_definition_decode(body, len, &d), 0);
	free(body);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (j = 0, k = 0; bad[i][j] != '\0' && k + 1 < sizeof(clean); j++)
			if (bad[i][j] != ' ')
				clean[k++] = bad[i][j];
		clean[k] = '\0';
		assert_non_null(body = sp_test_unhex(clean, &len));
		assert_int_equal(sp_definition_decode(body, len, &d), SP_EDEFINITION);
		assert_int_equal(d.nby, 0);
		free(body);
	}
}

/*
 * A category with a NUL inside: refused, not cut short at the NUL (which
 * would decode one body as the definition of another). Found by
 * fuzz_definition.
 */
static void
test_nul_in_text(void **state)
{
	sp_definition d;
	uint8_t *space;
	sp_buf b;

	(void)state;
	full_definition(&d);
	sp_buf_init(&b);
	assert_int_equal(sp_definition_encode(&d, &b), 0);
	assert_non_null(space = memmem(b.data, b.len, "anak terlantar", 14));
	space[4] = '\0';
	assert_int_equal(sp_definition_decode(b.data, b.len, &d), SP_EDEFINITION);
	sp_buf_free(&b);
	/* A period "year", NUL, NUL, "u": refused, not read as "year" (fuzz_definition, CI). */
	full_definition(&d);
	d.period = SP_PERIOD_YEAR;
	sp_buf_init(&b);
	assert_int_equal(sp_definition_encode(&d, &b), 0);
	assert_non_null(space = memmem(b.data, b.len, "\xa4year", 5));
	space[0] = 0xa7;
	sp_buf_append(&b, (const uint8_t *)"...", 3);
	memmove(space + 8, space + 5, (size_t)(b.data + b.len - 3 - (space + 5)));
	memcpy(space + 5, "\0\0u", 3);
	assert_int_equal(sp_definition_decode(b.data, b.len, &d), SP_EDEFINITION);
	sp_buf_free(&b);
}

static void
test_periods(void **state)
{
	static const struct {
		uint64_t ms;
		enum sp_period p;
		const char *want;
	} cases[] = {
		{ 1764547200000ull, SP_PERIOD_MONTH, "2025-12" },     /* 2025-12-01T00:00:00Z */
		{ 1764547199999ull, SP_PERIOD_MONTH, "2025-11" },
		{ 1764547200000ull, SP_PERIOD_QUARTER, "2025-Q4" },
		{ 1767225600000ull, SP_PERIOD_QUARTER, "2026-Q1" },   /* 2026-01-01T00:00:00Z */
		{ 1767225599999ull, SP_PERIOD_YEAR, "2025" },
		{ 1782864000000ull, SP_PERIOD_QUARTER, "2026-Q3" },   /* 2026-07-01T00:00:00Z */
	};
	enum sp_period p;
	char out[8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sp_period_format(cases[i].p, cases[i].ms, out);
		assert_string_equal(out, cases[i].want);
	}
	assert_int_equal(sp_period_parse("quarter", &p), 0);
	assert_int_equal(p, SP_PERIOD_QUARTER);
	assert_int_equal(sp_period_parse("week", &p), SP_EINVAL);
	assert_string_equal(sp_period_name(SP_PERIOD_YEAR), "year");
}

static void
test_consent(void **state)
{
	sp_consent c, back;
	uint8_t *bad;
	size_t len;
	sp_buf b;

	(void)state;
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "pmks");
	memset(c.definition, 0xd1, sizeof(c.definition));
	memset(c.hub, 0, sizeof(c.hub));
	c.until_ms = 1798761600000ull;
	sp_buf_init(&b);
	assert_int_equal(sp_consent_encode(&c, &b), 0);
	assert_int_equal(sp_consent_decode(b.data, b.len, &back), 0);
	assert_memory_equal(&c, &back, sizeof(c));
	/* Truncated by one byte; with a byte more. */
	assert_int_equal(sp_consent_decode(b.data, b.len - 1, &back), SP_ECONSENT);
	sp_buf_append(&b, (const uint8_t *)"\x00", 1);
	assert_int_equal(sp_consent_decode(b.data, b.len, &back), SP_ECONSENT);
	sp_buf_free(&b);
	/* A reserved name. */
	snprintf(c.name, sizeof(c.name), "_x");
	sp_buf_init(&b);
	assert_int_equal(sp_consent_encode(&c, &b), SP_ECONSENT);
	sp_buf_free(&b);
	/* A hub of 31 bytes: {"definition": bin32, "hub": bin31, ...}. */
	assert_non_null(bad = sp_test_unhex(
	    "84aa646566696e6974696f6ec420"
	    "0000000000000000000000000000000000000000000000000000000000000000"
	    "a3687562c41f"
	    "00000000000000000000000000000000000000000000000000000000000000"
	    "a46e616d65a4706d6b73a5756e74696c00", &len));
	assert_int_equal(sp_consent_decode(bad, len, &back), SP_ECONSENT);
	free(bad);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_canonical_bytes),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_decode_refuses),
		cmocka_unit_test(test_nul_in_text),
		cmocka_unit_test(test_periods),
		cmocka_unit_test(test_consent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
