/*
 * definition.h - summary definitions and consents (docs/HUBS.md), the
 * bodies of two system collections of a community:
 *
 * a definition (".definition", key NAME, label community, by an admin):
 *   {"by": [field, field?], "categories": [str...], "from": collection,
 *    "k": uint, "period": "month" | "quarter" | "year",
 *    "sums": [field...], "where": {field: str...}}
 *
 * a consent (".consent.HUB", key NAME, label public, by an admin):
 *   {"definition": bin32, "hub": bin32, "name": str, "until": uint}
 *
 * Both are canonical msgpack maps holding exactly these keys, in this
 * order; the limits below are enforced on decoding. Nothing here
 * allocates: a decoded definition is a plain struct.
 */
#ifndef SP_DEFINITION_H
#define SP_DEFINITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "record.h"

#define SP_DEFINITION_COLLECTION ".definition"
#define SP_CONSENT_COLLECTION    ".consent."   /* + the hub's id: one collection per hub */

#define SP_SUMMARY_NAME_MAX  SP_COLLECTION_MAX  /* names follow the alias rules */
#define SP_DEF_FIELD_MAX     64     /* bytes of a field name */
#define SP_DEF_VALUE_MAX     128    /* bytes of a category or a where value */
#define SP_DEF_MAX_BY        2      /* grouping fields */
#define SP_DEF_MAX_CATEGORIES 255   /* listed categories ("other" makes 256 rows) */
#define SP_DEF_MAX_SUMS      8
#define SP_DEF_MAX_WHERE     8
#define SP_DEF_K_MIN         3
#define SP_DEF_K_MAX         100
#define SP_DEF_K_DEFAULT     5
/* What values outside the category list (or a missing field) count as. */
#define SP_DEF_OTHER         "other"

enum sp_period { SP_PERIOD_MONTH, SP_PERIOD_QUARTER, SP_PERIOD_YEAR };

typedef struct sp_def_where {
	char field[SP_DEF_FIELD_MAX + 1];
	char value[SP_DEF_VALUE_MAX + 1];
} sp_def_where;

typedef struct sp_definition {
	char from[SP_COLLECTION_MAX + 1];
	char by[SP_DEF_MAX_BY][SP_DEF_FIELD_MAX + 1];
	size_t nby;                             /* 1 or 2 */
	char categories[SP_DEF_MAX_CATEGORIES][SP_DEF_VALUE_MAX + 1];
	size_t ncategories;                     /* 0: the values found */
	unsigned k;
	enum sp_period period;
	char sums[SP_DEF_MAX_SUMS][SP_DEF_FIELD_MAX + 1];
	size_t nsums;
	sp_def_where where[SP_DEF_MAX_WHERE];   /* sorted by field, no duplicates */
	size_t nwhere;
} sp_definition;

/*
 * Checks a definition's contents: 1-2 distinct grouping fields, a user
 * collection, k in range, categories distinct and not "other", sums
 * distinct and in bytewise order, where sorted by field without
 * duplicates, every string
 * within its limit, valid UTF-8 and without control characters.
 * 0 or SP_EDEFINITION.
 */
int sp_definition_check(const sp_definition *d);
/* A field name, category or label: 1..max bytes of UTF-8 without control characters. */
bool sp_def_text_ok(const char *s, size_t max);
/* Decodes a body into *out (cleared first): 0 or SP_EDEFINITION. */
int sp_definition_decode(const uint8_t *body, size_t len, sp_definition *out);
/* Appends the canonical body of a checked definition: 0, SP_EDEFINITION or out->err. */
int sp_definition_encode(const sp_definition *d, sp_buf *out);

const char *sp_period_name(enum sp_period p);
/* "month", "quarter" or "year": 0, or SP_EINVAL. */
int sp_period_parse(const char *s, enum sp_period *out);
/*
 * The period holding wall-clock time ms (UTC), as written in summaries:
 * "2026-11", "2026-Q4" or "2026". out holds at least 8 bytes.
 */
void sp_period_format(enum sp_period p, uint64_t ms, char out[8]);

typedef struct sp_consent {
	char name[SP_SUMMARY_NAME_MAX + 1];     /* the definition's name */
	uint8_t definition[SP_ID_BYTES];        /* the record id of the version consented to */
	uint8_t hub[SP_PUBKEY_BYTES];           /* the hub's node id */
	uint64_t until_ms;                      /* wall clock; 0: no end */
} sp_consent;

/* Decodes a consent body into *out (cleared first): 0 or SP_ECONSENT. */
int sp_consent_decode(const uint8_t *body, size_t len, sp_consent *out);
/* Appends the canonical body: 0, SP_ECONSENT (a bad name) or out->err. */
int sp_consent_encode(const sp_consent *c, sp_buf *out);

#endif
