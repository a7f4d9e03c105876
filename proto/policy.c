#include "policy.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "base32.h"
#include "i18n.h"
#include "pack.h"
#include "reader.h"
#include "sp_err.h"

/* Longest label name ("community"), plus room to tell a longer word apart. */
#define LABEL_NAME_MAX 16
/* DNS names are at most 253 characters. */
#define HOST_NAME_MAX_LEN 253
/* The longest IPv6 text form (INET6_ADDRSTRLEN less its NUL). */
#define HOST_V6_MAX 45
#define PORT_DIGITS_MAX 5
/* Keys of the stored policy map, in the canonical (bytewise) order. */
#define POLICY_FIELDS 5

/* A community as typed: a base32 id, "*" (every community: hubs), or else an alias. */
static int
check_community(const char *s, size_t len)
{
	uint8_t id[SP_PUBKEY_BYTES];

	if (len == 1 && s[0] == '*')
		return 0;
	if (len == SP_ID_STR_LEN && sp_base32_decode(id, sizeof id, s, len) == 0)
		return 0;
	return sp_alias_check(s, len);
}

/*
 * A collection a policy names: "*" or one that is not reserved (the
 * system's collections, such as ".charter", follow their own rules).
 */
static int
check_collection(const char *s, size_t len)
{
	if (len == 1 && s[0] == '*')
		return 0;
	return sp_collection_check(s, len, false);
}

/* "LABEL[,LABEL...]" into a bitmask; duplicates are harmless. */
static int
parse_labels(const char *s, unsigned *labels)
{
	char name[LABEL_NAME_MAX + 1];
	enum sp_label label;
	size_t len;
	int rc;

	*labels = 0;
	for (;;) {
		len = strcspn(s, ",");
		if (len == 0 || len > LABEL_NAME_MAX)
			return SP_ELABEL;
		memcpy(name, s, len);
		name[len] = '\0';
		if ((rc = sp_label_parse(name, &label)) != 0)
			return rc;
		*labels |= 1u << label;
		if (s[len] == '\0')
			return 0;
		s += len + 1;
	}
}

int
sp_spec_parse(const char *s, sp_spec *out)
{
	const char *slash, *colon;
	size_t community_len, collection_len;
	unsigned labels;
	int rc;

	memset(out, 0, sizeof *out);
	if ((slash = strchr(s, '/')) == NULL ||
	    (colon = strchr(slash + 1, ':')) == NULL)
		return SP_EINVAL;
	community_len = (size_t)(slash - s);
	collection_len = (size_t)(colon - (slash + 1));
	if ((rc = check_community(s, community_len)) != 0)
		return rc;
	if ((rc = check_collection(slash + 1, collection_len)) != 0)
		return rc;
	if ((rc = parse_labels(colon + 1, &labels)) != 0)
		return rc;
	/* Both checks above bound the lengths by SP_COLLECTION_MAX. */
	memcpy(out->community, s, community_len);
	memcpy(out->collection, slash + 1, collection_len);
	out->labels = labels;
	return 0;
}

void
sp_spec_explain(char *out, size_t size, const char *s, int err)
{
	snprintf(out, size, "'%s'%s%s", s, err == SP_EINVAL ? ": " : "", err == SP_EINVAL ?
	    _("use COMMUNITY/COLLECTION:LABEL[,LABEL...], e.g. rt03/households:shared") : "");
}

/* Appends s to out (size bytes) at *at, keeping it NUL-terminated. */
static int
put(char *out, size_t size, size_t *at, const char *s)
{
	size_t len = strlen(s);

	if (len >= size - *at)
		return SP_ETOOBIG;
	memcpy(out + *at, s, len + 1);
	*at += len;
	return 0;
}

int
sp_spec_format(char *out, size_t size, const char *community, const char *collection,
    unsigned labels)
{
	size_t at = 0;
	unsigned i;
	const char *sep = ":";
	int rc = SP_EINVAL;

	if (size == 0)
		return SP_ETOOBIG;
	out[0] = '\0';
	if (labels == 0 || labels > SP_WIRE_LABELS_ALL)
		goto out;
	if ((rc = put(out, size, &at, community)) != 0 ||
	    (rc = put(out, size, &at, "/")) != 0 ||
	    (rc = put(out, size, &at, collection)) != 0)
		goto out;
	for (i = 0; i < SP_LABEL_COUNT; i++) {
		if ((labels & (1u << i)) == 0)
			continue;
		if ((rc = put(out, size, &at, sep)) != 0 ||
		    (rc = put(out, size, &at, sp_label_name((enum sp_label)i))) != 0)
			goto out;
		sep = ",";
	}
	rc = 0;
out:
	if (rc != 0)
		out[0] = '\0';
	return rc;
}

/* A want as a policy holds it: the wire's rules, and no reserved collection. */
static int
check_want(const sp_want *w)
{
	size_t len = strnlen(w->collection, sizeof w->collection);

	if (w->labels == 0 || w->labels > SP_WIRE_LABELS_ALL)
		return SP_ELABEL;
	return check_collection(w->collection, len);
}

/* An address or "" (inbound only); s is NUL-terminated at len. */
static int
check_address(const char *s, size_t len)
{
	char host[SP_ADDRESS_MAX + 1];
	uint16_t port;

	if (len == 0)
		return 0;
	if (len > SP_ADDRESS_MAX)
		return SP_EINVAL;
	return sp_address_parse(s, host, sizeof host, &port);
}

static int
check_policy(const sp_peer_policy *p)
{
	size_t i;
	int rc;

	if ((rc = sp_alias_check(p->name, strnlen(p->name, sizeof p->name))) != 0)
		return rc;
	if ((rc = check_address(p->address, strnlen(p->address,
	    sizeof p->address))) != 0)
		return rc;
	if (p->noffers > SP_POLICY_MAX_SPECS || p->nwants > SP_POLICY_MAX_SPECS)
		return SP_ETOOBIG;
	for (i = 0; i < p->noffers; i++) {
		if ((rc = check_want(&p->offers[i])) != 0)
			return rc;
	}
	for (i = 0; i < p->nwants; i++) {
		if ((rc = check_want(&p->wants[i])) != 0)
			return rc;
	}
	return 0;
}

static void
pack_wants(sp_buf *out, const sp_want *w, size_t n)
{
	size_t i;

	sp_pack_array(out, (uint32_t)n);
	for (i = 0; i < n; i++)
		sp_wire_pack_want(out, &w[i]);
}

int
sp_policy_encode(const sp_peer_policy *p, sp_buf *out)
{
	int rc;

	if ((rc = check_policy(p)) != 0)
		return rc;
	sp_pack_map(out, POLICY_FIELDS);
	sp_pack_cstr(out, "address");
	sp_pack_cstr(out, p->address);
	sp_pack_cstr(out, "name");
	sp_pack_cstr(out, p->name);
	sp_pack_cstr(out, "node");
	sp_pack_bin(out, p->node, SP_PUBKEY_BYTES);
	sp_pack_cstr(out, "offers");
	pack_wants(out, p->offers, p->noffers);
	sp_pack_cstr(out, "wants");
	pack_wants(out, p->wants, p->nwants);
	return out->err;
}

/* The map key name, exactly: keys come in canonical order, so in this one. */
static int
expect_key(sp_reader *r, const char *name)
{
	const char *s;
	size_t len;
	int rc;

	if ((rc = sp_read_str(r, &s, &len)) != 0)
		return rc;
	if (len != strlen(name) || memcmp(s, name, len) != 0)
		return SP_ECORRUPT;
	return 0;
}

/*
 * A string field of at most max bytes without NUL, copied NUL-terminated
 * into dst (max + 1 bytes), that check then accepts.
 */
static int
read_str(sp_reader *r, char *dst, size_t max, int (*check)(const char *, size_t))
{
	const char *s;
	size_t len;
	int rc;

	if ((rc = sp_read_str(r, &s, &len)) != 0)
		return rc;
	if (len > max || memchr(s, '\0', len) != NULL)
		return SP_ECORRUPT;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return check(dst, len);
}

static int
read_wants(sp_reader *r, sp_want *w, size_t *count)
{
	uint32_t n, i;
	int rc;

	if ((rc = sp_read_array(r, &n)) != 0)
		return rc;
	if (n > SP_POLICY_MAX_SPECS)
		return SP_ETOOBIG;
	for (i = 0; i < n; i++) {
		if ((rc = sp_wire_next_want(&r->p, &r->left, &w[i])) != 0)
			return rc;
		if ((rc = check_want(&w[i])) != 0)
			return rc;
	}
	*count = n;
	return 0;
}

static int
decode(sp_reader *r, sp_peer_policy *p)
{
	const uint8_t *node;
	size_t len;
	uint32_t n;
	int rc;

	if ((rc = sp_read_map(r, &n)) != 0)
		return rc;
	if (n != POLICY_FIELDS)
		return SP_ECORRUPT;
	if ((rc = expect_key(r, "address")) != 0 ||
	    (rc = read_str(r, p->address, SP_ADDRESS_MAX, check_address)) != 0)
		return rc;
	if ((rc = expect_key(r, "name")) != 0 ||
	    (rc = read_str(r, p->name, SP_PEER_NAME_MAX, sp_alias_check)) != 0)
		return rc;
	if ((rc = expect_key(r, "node")) != 0 ||
	    (rc = sp_read_bin(r, &node, &len)) != 0)
		return rc;
	if (len != SP_PUBKEY_BYTES)
		return SP_EFIELD_SIZE;
	memcpy(p->node, node, len);
	if ((rc = expect_key(r, "offers")) != 0 ||
	    (rc = read_wants(r, p->offers, &p->noffers)) != 0)
		return rc;
	if ((rc = expect_key(r, "wants")) != 0 ||
	    (rc = read_wants(r, p->wants, &p->nwants)) != 0)
		return rc;
	return sp_reader_end(r);
}

int
sp_policy_decode(const uint8_t *data, size_t len, sp_peer_policy *out)
{
	sp_reader r;
	int rc;

	memset(out, 0, sizeof *out);
	sp_reader_init(&r, data, len);
	if ((rc = decode(&r, out)) != 0) {
		/* Not half a policy: a caller must not dial with one. */
		memset(out, 0, sizeof *out);
		/* Stored bytes of the wrong shape: the store was damaged. */
		if (rc == SP_ETYPE || rc == SP_EFRAME)
			rc = SP_ECORRUPT;
	}
	return rc;
}

bool
sp_may_travel(const sp_area *a, bool from_member, bool to_member)
{
	switch (a->label) {
	case SP_LABEL_PRIVATE:
		return false;
	case SP_LABEL_COMMUNITY:
		return from_member && to_member;
	case SP_LABEL_SHARED:
		return from_member;
	case SP_LABEL_PUBLIC:
		return true;
	}
	return false;
}

static bool
host_name_valid(const char *s, size_t len)
{
	size_t i;
	char c;

	if (len == 0 || len > HOST_NAME_MAX_LEN)
		return false;
	for (i = 0; i < len; i++) {
		c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
			return false;
	}
	return true;
}

static bool
host_v6_valid(const char *s, size_t len)
{
	char buf[HOST_V6_MAX + 1];
	struct in6_addr addr;

	if (len == 0 || len > HOST_V6_MAX)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET6, buf, &addr) == 1;
}

/* 1 to 65535 in decimal digits only (no sign, no spaces). */
static bool
port_parse(const char *s, uint16_t *port)
{
	unsigned long v = 0;
	size_t i, len = strlen(s);

	if (len == 0 || len > PORT_DIGITS_MAX)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > UINT16_MAX)
		return false;
	*port = (uint16_t)v;
	return true;
}

int
sp_address_parse(const char *s, char *host, size_t host_size, uint16_t *port)
{
	const char *h, *end, *p;
	size_t len;
	uint16_t v;

	if (host_size > 0)
		host[0] = '\0';
	*port = 0;
	if (s[0] == '[') {
		h = s + 1;
		if ((end = strchr(h, ']')) == NULL || end[1] != ':')
			return SP_EINVAL;
		len = (size_t)(end - h);
		if (!host_v6_valid(h, len))
			return SP_EINVAL;
		p = end + 2;
	} else {
		/* A name or IPv4 address has no ':', so the first is the port's. */
		h = s;
		if ((end = strchr(h, ':')) == NULL)
			return SP_EINVAL;
		len = (size_t)(end - h);
		if (!host_name_valid(h, len))
			return SP_EINVAL;
		p = end + 1;
	}
	if (!port_parse(p, &v))
		return SP_EINVAL;
	if (len >= host_size)
		return SP_ETOOBIG;
	memcpy(host, h, len);
	host[len] = '\0';
	*port = v;
	return 0;
}
