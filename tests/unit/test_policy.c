/*
 * test_policy.c - sharing specs, stored peer policies, the travel rules
 * and peer addresses: accept and reject tables, each reject with its code.
 */
#include "sp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base32.h"
#include "pack.h"
#include "policy.h"
#include "reader.h"
#include "sp_err.h"

#define L(label) (1u << SP_LABEL_##label)

/* A valid 52-character id (32 bytes of 0x5a), upper and lower case. */
#define ID_LOWER "ljnfuws2ljnfuws2ljnfuws2ljnfuws2ljnfuws2ljnfuws2ljna"
#define ID_UPPER "LJNFUWS2LJNFUWS2LJNFUWS2LJNFUWS2LJNFUWS2LJNFUWS2LJNA"
#define A64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

struct spec_ok {
	const char *s;
	const char *community;
	const char *collection;
	unsigned labels;
};

static const struct spec_ok spec_accepted[] = {
	{ "rt03/households:shared", "rt03", "households", L(SHARED) },
	{ "rt03/*:shared,public", "rt03", "*", L(SHARED) | L(PUBLIC) },
	{ "rt03/households:public,shared", "rt03", "households", L(SHARED) | L(PUBLIC) },
	{ "rt03/h:shared,shared", "rt03", "h", L(SHARED) },
	{ "m.taklim-2/kas_masjid:community", "m.taklim-2", "kas_masjid", L(COMMUNITY) },
	{ "a/b:private,community,shared,public", "a", "b", 0xf },
	{ ID_LOWER "/x:public", ID_LOWER, "x", L(PUBLIC) },
	{ ID_UPPER "/x:public", ID_UPPER, "x", L(PUBLIC) },
	{ A64 "/" A64 ":public", A64, A64, L(PUBLIC) },
	{ "0/9:community", "0", "9", L(COMMUNITY) },
	/* Every community: a hub's policy towards the hubs above and below it. */
	{ "*/*:public", "*", "*", L(PUBLIC) },
};

struct spec_bad {
	const char *s;
	int want;
};

static const struct spec_bad spec_rejected[] = {
	{ "", SP_EINVAL },
	{ "rt03", SP_EINVAL },
	{ "rt03/households", SP_EINVAL },
	{ "rt03:shared", SP_EINVAL },
	{ "rt03:households/shared", SP_EINVAL },
	{ "/households:shared", SP_EALIAS },
	{ "RT03/households:shared", SP_EALIAS },
	{ ".rt03/households:shared", SP_EALIAS },
	{ "_rt03/households:shared", SP_EALIAS },
	{ "rt 03/households:shared", SP_EALIAS },
	{ "a" A64 "/households:shared", SP_EALIAS },
	{ "**/households:shared", SP_EALIAS },
	{ ID_UPPER "A/x:public", SP_EALIAS },
	{ "rt03/:shared", SP_ECOLLECTION },
	{ "rt03/Households:shared", SP_ECOLLECTION },
	{ "rt03/**:shared", SP_ECOLLECTION },
	{ "rt03/h/x:shared", SP_ECOLLECTION },
	{ "rt03/a" A64 ":shared", SP_ECOLLECTION },
	{ "rt03/rumah tangga:shared", SP_ECOLLECTION },
	{ "rt03/.charter:public", SP_ERESERVED },
	{ "rt03/_index:public", SP_ERESERVED },
	{ "rt03/households:", SP_ELABEL },
	{ "rt03/households:shared,", SP_ELABEL },
	{ "rt03/households:,shared", SP_ELABEL },
	{ "rt03/households:shared,,public", SP_ELABEL },
	{ "rt03/households:Shared", SP_ELABEL },
	{ "rt03/households:share", SP_ELABEL },
	{ "rt03/households:communityx", SP_ELABEL },
	{ "rt03/households:communitycommunity", SP_ELABEL },
	{ "rt03/households:shared public", SP_ELABEL },
	{ "rt03/households:shared:public", SP_ELABEL },
	{ "rt03/households:*", SP_ELABEL },
};

static void
test_spec_parse(void **state)
{
	sp_spec spec;
	size_t i;
	int rc, bad = 0;

	(void)state;
	for (i = 0; i < sizeof spec_accepted / sizeof spec_accepted[0]; i++) {
		const struct spec_ok *v = &spec_accepted[i];

		rc = sp_spec_parse(v->s, &spec);
		if (rc != 0 || strcmp(spec.community, v->community) != 0 ||
		    strcmp(spec.collection, v->collection) != 0 ||
		    spec.labels != v->labels) {
			print_error("%s: got %s, %s / %s : %#x\n", v->s,
			    sp_errname(rc), spec.community, spec.collection,
			    spec.labels);
			bad++;
		}
	}
	for (i = 0; i < sizeof spec_rejected / sizeof spec_rejected[0]; i++) {
		const struct spec_bad *v = &spec_rejected[i];

		memset(&spec, 0x55, sizeof spec);
		rc = sp_spec_parse(v->s, &spec);
		if (rc != v->want || spec.labels != 0 || spec.community[0] != '\0') {
			print_error("%s: got %s, want %s\n", v->s, sp_errname(rc),
			    sp_errname(v->want));
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void
test_spec_explain(void **state)
{
	char out[128];

	(void)state;
	sp_spec_explain(out, sizeof out, "rt03/households", SP_EINVAL);
	assert_string_equal(out, "'rt03/households': use COMMUNITY/COLLECTION:LABEL[,LABEL...], "
	    "e.g. rt03/households:shared");
	/* Other errors name their rule themselves: only the SPEC is quoted. */
	sp_spec_explain(out, sizeof out, "rt03/h:secret", SP_ELABEL);
	assert_string_equal(out, "'rt03/h:secret'");
	/* A short buffer truncates, always terminated. */
	sp_spec_explain(out, 6, "rt03/households", SP_EINVAL);
	assert_string_equal(out, "'rt03");
}

static void
test_spec_format(void **state)
{
	char out[SP_COLLECTION_MAX * 2 + 64];
	sp_spec spec;
	size_t i;

	(void)state;
	assert_int_equal(sp_spec_format(out, sizeof out, "rt03", "*",
	    L(PUBLIC) | L(SHARED)), 0);
	assert_string_equal(out, "rt03/*:shared,public");
	assert_int_equal(sp_spec_format(out, sizeof out, "a", "b", 0xf), 0);
	assert_string_equal(out, "a/b:private,community,shared,public");

	/* Formatting what was parsed parses back to the same spec. */
	for (i = 0; i < sizeof spec_accepted / sizeof spec_accepted[0]; i++) {
		sp_spec again;

		assert_int_equal(sp_spec_parse(spec_accepted[i].s, &spec), 0);
		assert_int_equal(sp_spec_format(out, sizeof out, spec.community,
		    spec.collection, spec.labels), 0);
		assert_int_equal(sp_spec_parse(out, &again), 0);
		assert_memory_equal(&spec, &again, sizeof spec);
	}

	/* "rt03/h:shared" is 13 characters: 14 bytes fit, 13 do not. */
	assert_int_equal(sp_spec_format(out, 14, "rt03", "h", L(SHARED)), 0);
	assert_string_equal(out, "rt03/h:shared");
	assert_int_equal(sp_spec_format(out, 13, "rt03", "h", L(SHARED)), SP_ETOOBIG);
	assert_string_equal(out, "");
	assert_int_equal(sp_spec_format(out, 5, "rt03", "h", L(SHARED)), SP_ETOOBIG);
	assert_string_equal(out, "");
	assert_int_equal(sp_spec_format(out, 0, "rt03", "h", L(SHARED)), SP_ETOOBIG);
	assert_int_equal(sp_spec_format(out, sizeof out, "rt03", "h", 0), SP_EINVAL);
	assert_string_equal(out, "");
	assert_int_equal(sp_spec_format(out, sizeof out, "rt03", "h", 0x10), SP_EINVAL);
}

static void
make_policy(sp_peer_policy *p, size_t noffers, size_t nwants)
{
	size_t i;

	memset(p, 0, sizeof *p);
	strcpy(p->name, "rw05-hub");
	memset(p->node, 0x42, sizeof p->node);
	strcpy(p->address, "[2001:db8::7]:7770");
	p->noffers = noffers;
	p->nwants = nwants;
	for (i = 0; i < noffers; i++) {
		memset(p->offers[i].community, (int)i, SP_PUBKEY_BYTES);
		snprintf(p->offers[i].collection, sizeof p->offers[i].collection,
		    i % 3 == 0 ? "*" : "col-%zu", i);
		p->offers[i].labels = (unsigned)(i % 15) + 1;
	}
	for (i = 0; i < nwants; i++) {
		memset(p->wants[i].community, (int)(0xff - i), SP_PUBKEY_BYTES);
		snprintf(p->wants[i].collection, sizeof p->wants[i].collection,
		    "want.%zu", i);
		p->wants[i].labels = L(PUBLIC);
	}
}

/* Encodes p, decodes it back, and checks both the struct and the bytes. */
static void
round_trip(const sp_peer_policy *p)
{
	sp_peer_policy back;
	sp_reader r;
	sp_buf b, again;

	sp_buf_init(&b);
	sp_buf_init(&again);
	assert_int_equal(sp_policy_encode(p, &b), 0);
	/* Canonical: one value of sorted unique keys and nothing after it. */
	sp_reader_init(&r, b.data, b.len);
	assert_int_equal(sp_read_value(&r, SP_MAX_DEPTH), 0);
	assert_int_equal(sp_reader_end(&r), 0);
	assert_int_equal(sp_policy_decode(b.data, b.len, &back), 0);
	assert_memory_equal(&back, p, sizeof back);
	assert_int_equal(sp_policy_encode(&back, &again), 0);
	assert_int_equal(again.len, b.len);
	assert_memory_equal(again.data, b.data, b.len);
	sp_buf_free(&b);
	sp_buf_free(&again);
}

static void
test_policy_round_trip(void **state)
{
	sp_peer_policy p;

	(void)state;
	make_policy(&p, 3, 2);
	round_trip(&p);
	make_policy(&p, 0, 0);
	memset(p.address, 0, sizeof p.address);
	round_trip(&p);
	make_policy(&p, SP_POLICY_MAX_SPECS, SP_POLICY_MAX_SPECS);
	strcpy(p.address, "kantor-rw05.example.id:7770");
	strcpy(p.name, A64);
	round_trip(&p);
}

/* The exact bytes, so that the stored form cannot drift. */
static void
test_policy_bytes(void **state)
{
	static const char hex[] =
	    "85"
	    "a7" "61646472657373" "ae" "3132372e302e302e313a37373730"
	    "a4" "6e616d65" "a4" "72743035"
	    "a4" "6e6f6465" "c420"
	    "0303030303030303030303030303030303030303030303030303030303030303"
	    "a6" "6f6666657273" "91" "93" "c420"
	    "0404040404040404040404040404040404040404040404040404040404040404"
	    "a1" "2a" "0c"
	    "a5" "77616e7473" "90";
	sp_peer_policy p;
	uint8_t *want;
	size_t len;
	sp_buf b;

	(void)state;
	memset(&p, 0, sizeof p);
	strcpy(p.name, "rt05");
	strcpy(p.address, "127.0.0.1:7770");
	memset(p.node, 3, sizeof p.node);
	p.noffers = 1;
	memset(p.offers[0].community, 4, SP_PUBKEY_BYTES);
	strcpy(p.offers[0].collection, "*");
	p.offers[0].labels = L(SHARED) | L(PUBLIC);
	sp_buf_init(&b);
	assert_int_equal(sp_policy_encode(&p, &b), 0);
	assert_non_null(want = sp_test_unhex(hex, &len));
	assert_int_equal(b.len, len);
	assert_memory_equal(b.data, want, len);
	free(want);
	sp_buf_free(&b);
}

static void
test_policy_encode_refuses(void **state)
{
	sp_peer_policy p;
	sp_buf b;

	(void)state;
	sp_buf_init(&b);
#define REFUSED(change, code) do { \
	make_policy(&p, 2, 2); \
	change; \
	assert_int_equal(sp_policy_encode(&p, &b), code); \
	assert_int_equal(b.len, 0); \
} while (0)
	REFUSED(p.name[0] = '\0', SP_EALIAS);
	REFUSED(strcpy(p.name, "Hub"), SP_EALIAS);
	REFUSED(strcpy(p.name, ".hub"), SP_EALIAS);
	REFUSED(strcpy(p.name, ID_LOWER), SP_EALIAS);
	REFUSED(memset(p.name, 'a', sizeof p.name), SP_EALIAS);
	REFUSED(strcpy(p.address, "hub"), SP_EINVAL);
	REFUSED(strcpy(p.address, "hub:0"), SP_EINVAL);
	REFUSED(memset(p.address, 'a', sizeof p.address), SP_EINVAL);
	REFUSED(p.noffers = SP_POLICY_MAX_SPECS + 1, SP_ETOOBIG);
	REFUSED(p.nwants = SP_POLICY_MAX_SPECS + 1, SP_ETOOBIG);
	REFUSED(p.offers[1].labels = 0, SP_ELABEL);
	REFUSED(p.wants[0].labels = 0x10, SP_ELABEL);
	REFUSED(strcpy(p.wants[1].collection, ".charter"), SP_ERESERVED);
	REFUSED(strcpy(p.offers[0].collection, "a b"), SP_ECOLLECTION);
	REFUSED(p.offers[0].collection[0] = '\0', SP_ECOLLECTION);
	REFUSED(memset(p.wants[0].collection, 'a', sizeof p.wants[0].collection),
	    SP_ECOLLECTION);
#undef REFUSED
	sp_buf_free(&b);
}

/* Decodes hex and checks the error and that out was left cleared. */
static int
decode_hex(const char *hex)
{
	static const sp_peer_policy zero;
	sp_peer_policy p;
	uint8_t *data;
	size_t len;
	int rc;

	assert_non_null(data = sp_test_unhex(hex, &len));
	memset(&p, 0x55, sizeof p);
	rc = sp_policy_decode(data, len, &p);
	if (rc != 0)
		assert_memory_equal(&p, &zero, sizeof p);
	free(data);
	return rc;
}

#define NODE "a4" "6e6f6465" "c420" \
	"0303030303030303030303030303030303030303030303030303030303030303"
#define ADDRESS "a7" "61646472657373" "a0"
#define NAME "a4" "6e616d65" "a4" "72743035"
#define OFFERS "a6" "6f6666657273"
#define WANTS "a5" "77616e7473"
#define WANT_ITEM(coll, labels) "93" "c420" \
	"0404040404040404040404040404040404040404040404040404040404040404" coll labels

struct vector {
	const char *hex;
	int want;
	const char *why;
};

static const struct vector policies[] = {
	{ "85" ADDRESS NAME NODE OFFERS "90" WANTS "90", 0, "minimal" },
	{ "85" ADDRESS NAME NODE OFFERS "91" WANT_ITEM("a12a", "0f") WANTS "90", 0,
	  "one offer" },
	{ "", SP_ETRUNCATED, "nothing" },
	{ "c0", SP_ECORRUPT, "not a map" },
	{ "84" ADDRESS NAME NODE OFFERS "90", SP_ECORRUPT, "four fields" },
	{ "86" ADDRESS NAME NODE OFFERS "90" WANTS "90" "a1" "7a" "c0", SP_ECORRUPT,
	  "six fields" },
	{ "85" NAME ADDRESS NODE OFFERS "90" WANTS "90", SP_ECORRUPT, "keys out of order" },
	{ "85" ADDRESS "a4" "6e616d66" "a4" "72743035" NODE OFFERS "90" WANTS "90",
	  SP_ECORRUPT, "misspelt key" },
	{ "85" "00" "a0" NAME NODE OFFERS "90" WANTS "90", SP_ECORRUPT, "integer key" },
	{ "85" "a7" "61646472657373" "c0" NAME NODE OFFERS "90" WANTS "90",
	  SP_ECORRUPT, "address nil" },
	{ "85" "a7" "61646472657373" "a3" "686f73" NAME NODE OFFERS "90" WANTS "90",
	  SP_EINVAL, "address without port" },
	{ "85" "a7" "61646472657373" "a8" "683a373737300000" NAME NODE OFFERS "90"
	  WANTS "90", SP_ECORRUPT, "address with NUL" },
	{ "85" ADDRESS "a4" "6e616d65" "a0" NODE OFFERS "90" WANTS "90",
	  SP_EALIAS, "empty name" },
	{ "85" ADDRESS "a4" "6e616d65" "a4" "52543035" NODE OFFERS "90" WANTS "90",
	  SP_EALIAS, "upper-case name" },
	{ "85" ADDRESS "a4" "6e616d65" "a4" "72740035" NODE OFFERS "90" WANTS "90",
	  SP_ECORRUPT, "name with NUL" },
	{ "85" ADDRESS NAME "a4" "6e6f6465" "c401" "03" OFFERS "90" WANTS "90",
	  SP_EFIELD_SIZE, "node of 1 byte" },
	{ "85" ADDRESS NAME "a4" "6e6f6465" "a0" OFFERS "90" WANTS "90",
	  SP_ECORRUPT, "node as a string" },
	{ "85" ADDRESS NAME NODE OFFERS "c0" WANTS "90", SP_ECORRUPT, "offers nil" },
	{ "85" ADDRESS NAME NODE OFFERS "dcffff", SP_ECOUNT,
	  "65535 offers declared in nothing" },
	{ "85" ADDRESS NAME NODE OFFERS "91" WANT_ITEM("a12a", "00") WANTS "90",
	  SP_ELABEL, "offer without labels" },
	{ "85" ADDRESS NAME NODE OFFERS "91" WANT_ITEM("a12a", "10") WANTS "90",
	  SP_ELABEL, "offer labels 16" },
	{ "85" ADDRESS NAME NODE OFFERS "91" WANT_ITEM("a82e63686172746572", "08")
	  WANTS "90", SP_ERESERVED, "offer of .charter" },
	{ "85" ADDRESS NAME NODE OFFERS "91" WANT_ITEM("a0", "08") WANTS "90",
	  SP_ECOLLECTION, "offer of an empty collection" },
	{ "85" ADDRESS NAME NODE OFFERS "91" "92" "c0" "c0" WANTS "90",
	  SP_ECORRUPT, "offer of two items" },
	{ "85" ADDRESS NAME NODE OFFERS "90" WANTS "91" "93" "c401" "04" "a12a" "08",
	  SP_EFIELD_SIZE, "want community of 1 byte" },
	{ "85" ADDRESS NAME NODE OFFERS "90" WANTS "90" "c0", SP_ETRAILING,
	  "a byte after it" },
	{ "85" ADDRESS NAME NODE OFFERS "90" WANTS "9100", SP_ECORRUPT,
	  "want as an integer" },
};

static void
test_policy_decode_table(void **state)
{
	size_t i;
	int rc, bad = 0;

	(void)state;
	for (i = 0; i < sizeof policies / sizeof policies[0]; i++) {
		rc = decode_hex(policies[i].hex);
		if (rc != policies[i].want) {
			print_error("%s: got %s, want %s\n", policies[i].why,
			    sp_errname(rc), sp_errname(policies[i].want));
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* More specs than a policy holds, in a stored value big enough to hold them. */
static void
test_policy_decode_bounds(void **state)
{
	static const sp_want w = { .collection = "*", .labels = 1 };
	sp_peer_policy p;
	sp_buf b;
	int i, which;

	(void)state;
	sp_buf_init(&b);
	for (which = 0; which < 2; which++) {
		sp_buf_reset(&b);
		sp_pack_map(&b, 5);
		sp_pack_cstr(&b, "address");
		sp_pack_cstr(&b, "");
		sp_pack_cstr(&b, "name");
		sp_pack_cstr(&b, "hub");
		sp_pack_cstr(&b, "node");
		sp_pack_bin(&b, w.community, SP_PUBKEY_BYTES);
		sp_pack_cstr(&b, "offers");
		sp_pack_array(&b, which == 0 ? SP_POLICY_MAX_SPECS + 1 : 0);
		for (i = 0; which == 0 && i < SP_POLICY_MAX_SPECS + 1; i++)
			sp_wire_pack_want(&b, &w);
		sp_pack_cstr(&b, "wants");
		sp_pack_array(&b, which == 1 ? SP_POLICY_MAX_SPECS + 1 : 0);
		for (i = 0; which == 1 && i < SP_POLICY_MAX_SPECS + 1; i++)
			sp_wire_pack_want(&b, &w);
		assert_int_equal(b.err, 0);
		assert_int_equal(sp_policy_decode(b.data, b.len, &p), SP_ETOOBIG);
	}
	sp_buf_free(&b);
}

static void
test_policy_truncated(void **state)
{
	sp_peer_policy p;
	uint8_t *copy;
	size_t cut;
	sp_buf b;
	int rc;

	(void)state;
	make_policy(&p, 4, 3);
	sp_buf_init(&b);
	assert_int_equal(sp_policy_encode(&p, &b), 0);
	for (cut = 0; cut < b.len; cut++) {
		assert_non_null(copy = malloc(cut + 1));
		memcpy(copy, b.data, cut);
		rc = sp_policy_decode(copy, cut, &p);
		if (rc != SP_ETRUNCATED && rc != SP_ECOUNT)
			fail_msg("cut at %zu of %zu: %s", cut, b.len, sp_errname(rc));
		free(copy);
	}
	sp_buf_free(&b);
}

/*
 * Every label against every (sender, receiver) membership: private never,
 * community between members only, shared from members, public always.
 */
static void
test_may_travel(void **state)
{
	static const struct {
		enum sp_label label;
		bool from, to, travels;
	} table[] = {
		{ SP_LABEL_PRIVATE, false, false, false },
		{ SP_LABEL_PRIVATE, false, true, false },
		{ SP_LABEL_PRIVATE, true, false, false },
		{ SP_LABEL_PRIVATE, true, true, false },
		{ SP_LABEL_COMMUNITY, false, false, false },
		{ SP_LABEL_COMMUNITY, false, true, false },
		{ SP_LABEL_COMMUNITY, true, false, false },
		{ SP_LABEL_COMMUNITY, true, true, true },
		{ SP_LABEL_SHARED, false, false, false },
		{ SP_LABEL_SHARED, false, true, false },
		{ SP_LABEL_SHARED, true, false, true },
		{ SP_LABEL_SHARED, true, true, true },
		{ SP_LABEL_PUBLIC, false, false, true },
		{ SP_LABEL_PUBLIC, false, true, true },
		{ SP_LABEL_PUBLIC, true, false, true },
		{ SP_LABEL_PUBLIC, true, true, true },
	};
	sp_area a = { .collection = "households" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof table / sizeof table[0]; i++) {
		a.label = table[i].label;
		if (sp_may_travel(&a, table[i].from, table[i].to) != table[i].travels)
			fail_msg("%s from %s to %s", sp_label_name(a.label),
			    table[i].from ? "member" : "other",
			    table[i].to ? "member" : "other");
	}
	a.label = (enum sp_label)SP_LABEL_COUNT;
	assert_false(sp_may_travel(&a, true, true));
}

struct address {
	const char *s;
	int want;
	const char *host;
	uint16_t port;
};

static const struct address addresses[] = {
	{ "127.0.0.1:7770", 0, "127.0.0.1", 7770 },
	{ "localhost:1", 0, "localhost", 1 },
	{ "node-2.rt03.example.id:65535", 0, "node-2.rt03.example.id", 65535 },
	{ "Hub_1:80", 0, "Hub_1", 80 },
	{ "[::1]:7770", 0, "::1", 7770 },
	{ "[2001:db8::a:7]:443", 0, "2001:db8::a:7", 443 },
	{ "[::ffff:192.0.2.1]:7770", 0, "::ffff:192.0.2.1", 7770 },
	{ "h:007770", SP_EINVAL, NULL, 0 },
	{ "h:07770", 0, "h", 7770 },
	{ "", SP_EINVAL, NULL, 0 },
	{ "host", SP_EINVAL, NULL, 0 },
	{ "host:", SP_EINVAL, NULL, 0 },
	{ ":7770", SP_EINVAL, NULL, 0 },
	{ "host:0", SP_EINVAL, NULL, 0 },
	{ "host:65536", SP_EINVAL, NULL, 0 },
	{ "host:99999", SP_EINVAL, NULL, 0 },
	{ "host:-1", SP_EINVAL, NULL, 0 },
	{ "host:+80", SP_EINVAL, NULL, 0 },
	{ "host:80 ", SP_EINVAL, NULL, 0 },
	{ "host:8o", SP_EINVAL, NULL, 0 },
	{ "host:80:81", SP_EINVAL, NULL, 0 },
	{ "ho st:80", SP_EINVAL, NULL, 0 },
	{ "host/x:80", SP_EINVAL, NULL, 0 },
	{ "::1:7770", SP_EINVAL, NULL, 0 },
	{ "[::1]", SP_EINVAL, NULL, 0 },
	{ "[::1]7770", SP_EINVAL, NULL, 0 },
	{ "[::1]:", SP_EINVAL, NULL, 0 },
	{ "[]:7770", SP_EINVAL, NULL, 0 },
	{ "[::1:7770", SP_EINVAL, NULL, 0 },
	{ "[localhost]:7770", SP_EINVAL, NULL, 0 },
	{ "[127.0.0.1]:7770", SP_EINVAL, NULL, 0 },
	{ "[fe80::1%eth0]:7770", SP_EINVAL, NULL, 0 },
	{ "[::1]]:7770", SP_EINVAL, NULL, 0 },
};

static void
test_address_parse(void **state)
{
	char host[SP_ADDRESS_MAX + 1], name[300];
	uint16_t port;
	size_t i;
	int rc, bad = 0;

	(void)state;
	for (i = 0; i < sizeof addresses / sizeof addresses[0]; i++) {
		const struct address *v = &addresses[i];

		memset(host, 'x', sizeof host);
		port = 1;
		rc = sp_address_parse(v->s, host, sizeof host, &port);
		if (rc != v->want || (rc == 0 && (strcmp(host, v->host) != 0 ||
		    port != v->port)) || (rc != 0 && (host[0] != '\0' || port != 0))) {
			print_error("\"%s\": got %s, want %s\n", v->s,
			    sp_errname(rc), sp_errname(v->want));
			bad++;
		}
	}
	assert_int_equal(bad, 0);

	/* Names of 253 characters, not 254. */
	memset(name, 'a', 253);
	strcpy(name + 253, ":7770");
	assert_int_equal(sp_address_parse(name, host, sizeof host, &port), 0);
	assert_int_equal(strlen(host), 253);
	memset(name, 'a', 254);
	strcpy(name + 254, ":7770");
	assert_int_equal(sp_address_parse(name, host, sizeof host, &port), SP_EINVAL);

	/* The host must fit the caller's buffer, NUL included. */
	assert_int_equal(sp_address_parse("abcd:1", host, 5, &port), 0);
	assert_string_equal(host, "abcd");
	assert_int_equal(sp_address_parse("abcde:1", host, 5, &port), SP_ETOOBIG);
	assert_string_equal(host, "");
	assert_int_equal(port, 0);
}

/* The fuzzer's seed corpus holds valid policies; keep it that way. */
static void
test_seed_corpus(void **state)
{
	static const char *const seeds[] = { "minimal", "full", "wildcards" };
	const char *src = getenv("SP_SRC");
	char path[4096];
	uint8_t buf[16384];
	sp_peer_policy p;
	FILE *f;
	size_t i, len;

	(void)state;
	/* ctest sets SP_SRC; without it the files cannot be found: fail, do not skip. */
	assert_non_null(src);
	for (i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
		snprintf(path, sizeof path, "%s/tests/fuzz/corpus/policy/%s", src, seeds[i]);
		assert_non_null(f = fopen(path, "rb"));
		len = fread(buf, 1, sizeof buf, f);
		fclose(f);
		assert_int_equal(sp_policy_decode(buf, len, &p), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_parse),
		cmocka_unit_test(test_spec_explain),
		cmocka_unit_test(test_spec_format),
		cmocka_unit_test(test_policy_round_trip),
		cmocka_unit_test(test_policy_bytes),
		cmocka_unit_test(test_policy_encode_refuses),
		cmocka_unit_test(test_policy_decode_table),
		cmocka_unit_test(test_policy_decode_bounds),
		cmocka_unit_test(test_policy_truncated),
		cmocka_unit_test(test_may_travel),
		cmocka_unit_test(test_address_parse),
		cmocka_unit_test(test_seed_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
