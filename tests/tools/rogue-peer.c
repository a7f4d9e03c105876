/*
 * rogue-peer - a hostile simpul peer for tests/integration/test_adversarial.sh.
 *
 * It dials a simpuld and speaks the peer protocol (docs/PROTOCOL.md, "Peer
 * protocol") with the project's own code: the Noise handshake of
 * proto/noise.c with prologue "simpul/1", an X25519 static key converted
 * from its Ed25519 node key, its node id as the payload of message 3,
 * fragments and messages of proto/wire.c, records signed by proto/record.c.
 * Then it misbehaves as the actions on its command line say, and prints
 * what the node answered, or, for a flood, asks for more than it reads and
 * says when the node gave up on it. Run it with --help for the actions and
 * the exit status.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base32.h"
#include "buf.h"
#include "crypto.h"
#include "hlc.h"
#include "keyfile.h"
#include "negentropy.h"
#include "noise.h"
#include "pack.h"
#include "policy.h"
#include "record.h"
#include "sp_err.h"
#include "wire.h"

#define FRAME_HDR 2

/* Exit status: how the connection ended (also in usage()). */
enum {
	EXIT_OPEN = 0,           /* still open when rogue-peer finished */
	EXIT_LOCAL = 1,          /* usage, a file, cannot connect */
	EXIT_CLOSED = 2,         /* the node closed the connection */
	EXIT_HANDSHAKE = 3,      /* handshake message 2 failed: wrong network key, or not simpul */
};

enum action {
	/* Instead of a handshake; such an action is the only one. */
	ACT_GARBAGE,
	ACT_SILENT,
	ACT_STALL,
	/* After the handshake, before HELLO; must come first. */
	ACT_PING_FIRST,
	/* After the handshake and HELLO: one RECORDS message each. */
	ACT_VALID,
	ACT_TAMPERED,
	ACT_OUTSIDER,
	ACT_PRIVATE,
	ACT_UNWANTED,
	ACT_FUTURE,
	ACT_UNDECODABLE,
	/* Broken messages. */
	ACT_MALFORMED,
	ACT_BIG_COUNT,
	ACT_BIG_BIN,
	ACT_TOO_LARGE,
	ACT_BIG_NEG,
	ACT_WIDE_PONG,
	/* Requests whose replies are never read; a flood comes last. */
	ACT_NEG_FLOOD,
	ACT_WANT_FLOOD,
};

static const struct {
	const char *name;
	bool record;             /* takes ":KEY" */
	bool flood;              /* takes ":N"; comes last; HELLO wants the area */
	bool area;               /* needs --community */
	const char *help;
} actions[] = {
	[ACT_GARBAGE] = { "garbage", false, false, false, "an HTTP request instead of handshake message 1" },
	[ACT_SILENT] = { "silent", false, false, false, "connect and say nothing" },
	[ACT_STALL] = { "stall", false, false, false, "send handshake message 1, then nothing" },
	[ACT_PING_FIRST] = { "ping-first", false, false, false, "a PING before HELLO (comes first)" },
	[ACT_VALID] = { "valid", true, false, true, "a good record by this node in the area (the control)" },
	[ACT_TAMPERED] = { "tampered", true, false, true, "a good record with one body byte changed after signing" },
	[ACT_OUTSIDER] = { "outsider", true, false, true, "a record signed by a fresh key that no charter names" },
	[ACT_PRIVATE] = { "private", true, false, true, "a record of the area's collection labelled private" },
	[ACT_UNWANTED] = { "unwanted", true, false, true, "a record in collection \"unwanted\"" },
	[ACT_FUTURE] = { "future", true, false, true, "a record timestamped an hour ahead" },
	[ACT_UNDECODABLE] = { "undecodable", false, false, false, "RECORDS carrying bytes that are no record" },
	[ACT_MALFORMED] = { "malformed", false, false, false, "a message that is not valid msgpack" },
	[ACT_BIG_COUNT] = { "big-count", false, false, false, "RECORDS declaring 2^32-1 records" },
	[ACT_BIG_BIN] = { "big-bin", false, false, false, "RECORDS with a record declared 4 GiB long" },
	[ACT_TOO_LARGE] = { "too-large", false, false, false, "fragments adding up to more than 4 MiB" },
	[ACT_BIG_NEG] = { "big-neg", false, false, true, "a NEG for the area whose Negentropy message (an id list) is 3.84 MB" },
	[ACT_WIDE_PONG] = { "wide-pong", false, false, false, "a PONG whose nonce, 5, is a uint64: not canonical" },
	[ACT_NEG_FLOOD] = { "neg-flood", false, true, true,
	    "N NEGs for the area, each asking for its ids (replies up to 1 MiB)" },
	[ACT_WANT_FLOOD] = { "want-flood", false, true, true,
	    "one NEG read to learn the area's ids, then N WANTs of 65,536 of them" },
};
#define NACTIONS (sizeof(actions) / sizeof(actions[0]))

typedef struct step {
	enum action act;
	const char *key;         /* record actions: the record's key */
	unsigned long count;     /* floods: how many requests */
} step;

typedef struct rogue {
	int fd;
	uint64_t start_ms;       /* when the connection was made */
	uint64_t send_deadline_ms;  /* a send still blocked then gives up (-ETIMEDOUT) */
	uint8_t ed_sk[SP_SECKEY_BYTES];
	uint8_t ed_pk[SP_PUBKEY_BYTES];
	uint8_t psk[SP_NOISE_KEY_BYTES];
	bool have_psk;
	sp_cipher tx, rx;
	sp_wire_reasm reasm;
	uint8_t frame[SP_NOISE_MSG_MAX];
	uint8_t plain[SP_NOISE_MSG_MAX];
	/* The area of record actions. */
	sp_area area;
	bool have_area;
	bool want_area;          /* HELLO wants the area too (floods) */
} rogue;

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f,
	    "usage: rogue-peer [options] HOST:PORT [ACTION...]\n"
	    "\n"
	    "Dials a simpuld, does the real handshake (unless the action is garbage,\n"
	    "silent or stall), reads the node's first message, sends HELLO (offering\n"
	    "the area below, wanting nothing), then each ACTION in order (none: just\n"
	    "that), and prints what the node says until --linger ms have passed or\n"
	    "it closes.\n"
	    "\n"
	    "Options:\n"
	    "  --key FILE          node key: a 64-byte Ed25519 secret key, such as a\n"
	    "                      data directory's node.key (default: a fresh key,\n"
	    "                      a node nobody knows)\n"
	    "  --network-key FILE  32-byte federation key (Noise XXpsk3)\n"
	    "  --community ID      the records' community (base32 id)\n"
	    "  --collection NAME   the records' collection (default households)\n"
	    "  --label LABEL       the records' label (default shared)\n"
	    "  --timeout MS        wait this long for the handshake (default 5000)\n"
	    "  --linger MS         after the last action, listen this long (default 1000);\n"
	    "                      after a flood, send a PING a second this long, from\n"
	    "                      the flood's start, reading nothing\n"
	    "\n"
	    "Actions (record actions take an optional :KEY, default the action's name;\n"
	    "floods take :N, a number of requests):\n");
	for (i = 0; i < NACTIONS; i++)
		fprintf(f, "  %-12s %s%s\n", actions[i].name, actions[i].help,
		    actions[i].record ? " [:KEY]" : actions[i].flood ? " :N" : "");
	fprintf(f,
	    "garbage, silent and stall come alone; ping-first must be the first\n"
	    "action, a flood the last; record actions, big-neg and floods need\n"
	    "--community. A flood's HELLO wants the area as well as offering it, and\n"
	    "its socket has a small receive buffer (the kernel holds little of what\n"
	    "the node sends).\n"
	    "\n"
	    "Output, one line each: \"node ID\" (ours), \"handshake ok ID\" (the node's),\n"
	    "\"recv TYPE\" for each message (\"recv ERROR NAME: TEXT\" for an error),\n"
	    "\"sent ACTION[:KEY]\", then \"closed after MS ms\" or \"open after MS ms\"\n"
	    "(counted from the connection). A flood prints \"learned N ids\" (want-flood),\n"
	    "\"stopped reading after MS ms\", \"sent ACTION: K of N\" once its requests\n"
	    "are sent or a send failed, and \"sent K pings\"; it reports the close when\n"
	    "a send fails (the node reset the connection).\n"
	    "\n"
	    "Exit status: 0 the connection was still open at the end; 2 the node\n"
	    "closed it; 3 handshake message 2 failed (a wrong network key, or not a\n"
	    "simpul node); 1 a usage or local error.\n");
}

static void
die(const char *what, int err)
{
	if (err != 0)
		fprintf(stderr, "rogue-peer: %s: %s\n", what, sp_strerror(err));
	else
		fprintf(stderr, "rogue-peer: %s\n", what);
	exit(EXIT_LOCAL);
}

static uint64_t
clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

static void
print_id(const char *tag, const uint8_t id[SP_PUBKEY_BYTES])
{
	char s[SP_ID_STR_LEN + 1];

	sp_base32_encode(s, id, SP_PUBKEY_BYTES);
	printf("%s %s\n", tag, s);
	fflush(stdout);
}

/* Socket I/O, bounded by deadlines (UINT64_MAX: none). */

/* Milliseconds left before deadline_ms, for poll (-1: no deadline). */
static int
poll_ms(uint64_t deadline_ms, uint64_t now)
{
	if (deadline_ms == UINT64_MAX)
		return -1;
	return deadline_ms - now > INT32_MAX ? INT32_MAX : (int)(deadline_ms - now);
}

/*
 * Writes len bytes before deadline_ms. Returns 0, SP_EDISCONNECTED when the
 * node closed or reset the connection, -ETIMEDOUT, or another -errno.
 */
static int
write_all(int fd, const uint8_t *p, size_t len, uint64_t deadline_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	uint64_t now;
	ssize_t n;
	int r;

	while (len > 0) {
		if ((now = mono_ms()) >= deadline_ms)
			return -ETIMEDOUT;
		if ((r = poll(&pfd, 1, poll_ms(deadline_ms, now))) < 0 && errno != EINTR)
			return -errno;
		if (r <= 0)
			continue;
		if ((n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT)) < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return errno == EPIPE || errno == ECONNRESET ? SP_EDISCONNECTED : -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Reads up to size bytes (at least one) before deadline_ms. Returns the
 * count, SP_EDISCONNECTED when the node closed or reset the connection,
 * -ETIMEDOUT, or another -errno.
 */
static ssize_t
read_some(int fd, uint8_t *p, size_t size, uint64_t deadline_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t now;
	ssize_t n;
	int r;

	for (;;) {
		if ((now = mono_ms()) >= deadline_ms)
			return -ETIMEDOUT;
		if ((r = poll(&pfd, 1, poll_ms(deadline_ms, now))) < 0 && errno != EINTR)
			return -errno;
		if (r <= 0)
			continue;
		if ((n = recv(fd, p, size, 0)) > 0)
			return n;
		if (n == 0 || errno == ECONNRESET)
			return SP_EDISCONNECTED;
		if (errno != EINTR)
			return -errno;
	}
}

static int
read_exact(int fd, uint8_t *p, size_t len, uint64_t deadline_ms)
{
	ssize_t n;

	while (len > 0) {
		if ((n = read_some(fd, p, len, deadline_ms)) < 0)
			return (int)n;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Frames: a 2-byte big-endian length and that many bytes. */

static int
send_frame(rogue *r, const uint8_t *msg, size_t len)
{
	uint8_t hdr[FRAME_HDR];
	int rc;

	sp_put_be16(hdr, (uint16_t)len);
	if ((rc = write_all(r->fd, hdr, sizeof(hdr), r->send_deadline_ms)) != 0)
		return rc;
	return write_all(r->fd, msg, len, r->send_deadline_ms);
}

static int
read_frame(rogue *r, size_t *len, uint64_t deadline_ms)
{
	uint8_t hdr[FRAME_HDR];
	int rc;

	*len = 0;
	if ((rc = read_exact(r->fd, hdr, sizeof(hdr), deadline_ms)) != 0)
		return rc;
	*len = sp_get_be16(hdr);
	return read_exact(r->fd, r->frame, *len, deadline_ms);
}

/* Transport: one fragment per Noise message. */

static int
send_fragment(rogue *r, uint8_t flag, const uint8_t *data, size_t len)
{
	int rc;

	r->plain[0] = flag;
	memcpy(r->plain + 1, data, len);
	if ((rc = sp_cipher_encrypt(&r->tx, r->plain, len + 1, r->frame)) != 0)
		return rc;
	return send_frame(r, r->frame, len + 1 + SP_NOISE_TAG_BYTES);
}

/* One logical message, as raw bytes (well formed or not). */
static int
send_raw(rogue *r, const uint8_t *msg, size_t len)
{
	size_t off = 0, chunk;
	int rc;

	do {
		chunk = len - off < SP_WIRE_FRAGMENT_MAX ? len - off : SP_WIRE_FRAGMENT_MAX;
		if ((rc = send_fragment(r, off + chunk < len ? SP_WIRE_MORE : SP_WIRE_LAST,
		    msg + off, chunk)) != 0)
			return rc;
		off += chunk;
	} while (off < len);
	return 0;
}

static int
send_msg(rogue *r, const sp_buf *b)
{
	return b->err != 0 ? b->err : send_raw(r, b->data, b->len);
}

/* The next logical message from the node; *msg points into r->reasm. */
static int
recv_msg(rogue *r, const uint8_t **msg, size_t *len, uint64_t deadline_ms)
{
	bool complete = false;
	size_t flen;
	int rc;

	while (!complete) {
		if ((rc = read_frame(r, &flen, deadline_ms)) != 0)
			return rc;
		if ((rc = sp_cipher_decrypt(&r->rx, r->frame, flen, r->plain)) != 0 ||
		    (rc = sp_wire_reasm_push(&r->reasm, r->plain, flen - SP_NOISE_TAG_BYTES,
		    msg, len, &complete)) != 0)
			return rc;
	}
	return 0;
}

/* Prints a message from the node; its text is the node's, so only printable ASCII. */
static void
print_msg(const uint8_t *msg, size_t len)
{
	sp_wire_msg m;
	size_t i;
	int rc;

	if ((rc = sp_wire_decode(msg, len, &m)) != 0) {
		printf("recv a malformed message (%s)\n", sp_strerror(rc));
	} else if (m.type == SP_WIRE_ERROR) {
		printf("recv ERROR %s: ", sp_errname((int)m.code));
		for (i = 0; i < m.message_len; i++)
			putchar(m.message[i] >= 0x20 && m.message[i] < 0x7f ? m.message[i] : '?');
		putchar('\n');
	} else {
		printf("recv %s\n", sp_wire_type_name(m.type));
	}
	fflush(stdout);
}

/* Handshake: the initiator's side, as daemon/peer.c does it. */
static int
handshake(rogue *r, uint64_t deadline_ms)
{
	uint8_t x_sk[SP_NOISE_KEY_BYTES], rs[SP_NOISE_KEY_BYTES], x_id[SP_NOISE_KEY_BYTES];
	uint8_t out[SP_WIRE_HS_MSG_MAX], payload[SP_WIRE_HS_MSG_MAX];
	sp_noise_hs *hs = NULL;
	size_t n, flen;
	int rc;

	if ((rc = sp_x25519_from_ed25519_sk(x_sk, r->ed_sk)) != 0 ||
	    (rc = sp_noise_hs_new(r->have_psk ? SP_NOISE_XXPSK3 : SP_NOISE_XX, true,
	    (const uint8_t *)SP_WIRE_PROLOGUE, strlen(SP_WIRE_PROLOGUE), x_sk,
	    r->have_psk ? r->psk : NULL, &hs)) != 0)
		goto out;
	if ((rc = sp_noise_hs_write(hs, NULL, 0, out, sizeof(out), &n)) != 0 ||
	    (rc = send_frame(r, out, n)) != 0 ||
	    (rc = read_frame(r, &flen, deadline_ms)) != 0)
		goto out;
	/* Message 2 carries the node's id, which must name the key it proved. */
	if ((rc = sp_noise_hs_read(hs, r->frame, flen, payload, sizeof(payload), &n)) != 0 ||
	    n != SP_PUBKEY_BYTES ||
	    (rc = sp_noise_hs_remote_static(hs, rs)) != 0 ||
	    (rc = sp_x25519_from_ed25519_pk(x_id, payload)) != 0 ||
	    sp_memcmp_ct(rs, x_id, sizeof(rs)) != 0) {
		rc = SP_ENOISE;
		goto out;
	}
	print_id("handshake ok", payload);
	if ((rc = sp_noise_hs_write(hs, r->ed_pk, sizeof(r->ed_pk), out, sizeof(out), &n)) != 0 ||
	    (rc = send_frame(r, out, n)) != 0)
		goto out;
	rc = sp_noise_hs_split(hs, &r->tx, &r->rx);
out:
	sp_noise_hs_free(hs);
	sp_memzero(x_sk, sizeof(x_sk));
	return rc;
}

/* Records. */

static int
build_record(rogue *r, enum action act, const char *key, sp_buf *out)
{
	uint8_t sk[SP_SECKEY_BYTES];
	char note[64];
	sp_record rec, check;
	sp_buf body;
	int rc;

	memset(&rec, 0, sizeof(rec));
	memcpy(rec.community, r->area.community, SP_PUBKEY_BYTES);
	snprintf(rec.collection, sizeof(rec.collection), "%s",
	    act == ACT_UNWANTED ? "unwanted" : r->area.collection);
	rec.collection_len = strlen(rec.collection);
	rec.key_len = strlen(key);
	if (rec.key_len > SP_KEY_MAX)
		return SP_EKEY;
	memcpy(rec.key, key, rec.key_len + 1);
	rec.label = act == ACT_PRIVATE ? SP_LABEL_PRIVATE : r->area.label;
	rec.timestamp = SP_HLC_MAKE(clock_ms(CLOCK_REALTIME) +
	    (act == ACT_FUTURE ? 3600 * 1000 : 0), 0);
	if (act == ACT_OUTSIDER) {
		sp_sign_keypair(rec.author, sk);
	} else {
		memcpy(sk, r->ed_sk, sizeof(sk));
		memcpy(rec.author, r->ed_pk, SP_PUBKEY_BYTES);
	}

	snprintf(note, sizeof(note), "rogue-peer %s", actions[act].name);
	sp_buf_init(&body);
	sp_pack_map(&body, 1);
	sp_pack_cstr(&body, "note");
	sp_pack_cstr(&body, note);
	if ((rc = body.err) == 0) {
		rec.body = body.data;
		rec.body_len = body.len;
		rc = sp_record_sign(&rec, sk, out, NULL);
	}
	sp_buf_free(&body);
	sp_memzero(sk, sizeof(sk));
	if (rc != 0 || act != ACT_TAMPERED)
		return rc;
	/* The note's last letter, changed: still a valid record, no longer the one signed. */
	if ((rc = sp_record_decode(out->data, out->len, &check)) != 0)
		return rc;
	out->data[(size_t)(check.body - out->data) + check.body_len - 1] ^= 0x01;
	return 0;
}

/* A RECORDS message carrying one record (or one binary that claims to be one). */
static void
records_msg(sp_buf *b, const uint8_t *rec, size_t len)
{
	sp_wire_records_begin(b, 1);
	sp_pack_bin(b, rec, len);
}

static int
send_record(rogue *r, const step *st)
{
	sp_buf rec, b;
	int rc;

	sp_buf_init(&rec);
	sp_buf_init(&b);
	if ((rc = build_record(r, st->act, st->key, &rec)) == 0) {
		records_msg(&b, rec.data, rec.len);
		rc = send_msg(r, &b);
	}
	sp_buf_free(&rec);
	sp_buf_free(&b);
	return rc;
}

/* Ids in big-neg's id list: 120,000 x 32 bytes make the 3.84 MB of issue 9's report. */
#define BIG_NEG_IDS 120000

/*
 * A NEG for the area carrying a well-formed Negentropy v1 message past the
 * 1 MiB both sides keep to: one range up to infinity, an IdList of
 * BIG_NEG_IDS distinct ascending ids. A node that did not bound NEGs would
 * answer it.
 */
static int
send_big_neg(rogue *r)
{
	uint8_t id[SP_NEG_ID_BYTES] = { 0 };
	sp_buf neg, b;
	uint32_t i;
	int rc;

	sp_buf_init(&neg);
	sp_buf_init(&b);
	(void)sp_buf_append(&neg, (const uint8_t[]){ SP_NEG_PROTOCOL_V1 }, 1);
	sp_neg_varint_put(&neg, 0);  /* bound: timestamp infinity */
	sp_neg_varint_put(&neg, 0);  /* and no id prefix */
	sp_neg_varint_put(&neg, 2);  /* mode IdList */
	sp_neg_varint_put(&neg, BIG_NEG_IDS);
	for (i = 0; i < BIG_NEG_IDS; i++) {
		sp_put_be32(id, i);
		(void)sp_buf_append(&neg, id, sizeof(id));
	}
	/* Packed by hand: sp_wire_neg refuses what is over the bound. */
	sp_pack_array(&b, 3);
	sp_pack_uint(&b, SP_WIRE_NEG);
	sp_wire_pack_area(&b, &r->area);
	sp_pack_bin(&b, neg.data, neg.len);
	rc = neg.err != 0 ? neg.err : send_msg(r, &b);
	sp_buf_free(&neg);
	sp_buf_free(&b);
	return rc;
}

/* Messages past every bound, as the decoder must refuse them. */
static int
send_broken(rogue *r, enum action act)
{
	/* [3, <0xc1>]: 0xc1 is never valid msgpack. */
	static const uint8_t malformed[] = { 0x92, 0x03, 0xc1 };
	/* [3, array32 of 2^32-1 items] with none following. */
	static const uint8_t big_count[] = { 0x92, 0x03, 0xdd, 0xff, 0xff, 0xff, 0xff };
	/* [3, [bin32 of 2^32-1 bytes]] with none following. */
	static const uint8_t big_bin[] = { 0x92, 0x03, 0x91, 0xc6, 0xff, 0xff, 0xff, 0xff };
	/* [8, 5] with 5 as a uint64 where a fixint holds it. */
	static const uint8_t wide_pong[] = { 0x92, 0x08, 0xcf, 0, 0, 0, 0, 0, 0, 0, 5 };
	static const uint8_t not_a_record[16] = { 0xc1 };
	uint8_t zeros[SP_WIRE_FRAGMENT_MAX];
	size_t i;
	sp_buf b;
	int rc;

	switch (act) {
	case ACT_MALFORMED:
		return send_raw(r, malformed, sizeof(malformed));
	case ACT_BIG_COUNT:
		return send_raw(r, big_count, sizeof(big_count));
	case ACT_BIG_BIN:
		return send_raw(r, big_bin, sizeof(big_bin));
	case ACT_WIDE_PONG:
		return send_raw(r, wide_pong, sizeof(wide_pong));
	case ACT_BIG_NEG:
		return send_big_neg(r);
	case ACT_UNDECODABLE:
		sp_buf_init(&b);
		records_msg(&b, not_a_record, sizeof(not_a_record));
		rc = send_msg(r, &b);
		sp_buf_free(&b);
		return rc;
	case ACT_TOO_LARGE:
		/* Fragments that all say "more follows", past SP_WIRE_MSG_MAX. */
		memset(zeros, 0, sizeof(zeros));
		for (i = 0; i <= SP_WIRE_MSG_MAX / SP_WIRE_FRAGMENT_MAX; i++)
			if ((rc = send_fragment(r, SP_WIRE_MORE, zeros, sizeof(zeros))) != 0)
				return rc;
		return 0;
	default:
		return SP_EINVAL;
	}
}

static int
send_hello(rogue *r)
{
	sp_want want;
	sp_buf b;
	int rc;

	memset(&want, 0, sizeof(want));
	memcpy(want.community, r->area.community, SP_PUBKEY_BYTES);
	memcpy(want.collection, r->area.collection, sizeof(want.collection));
	want.labels = 1u << r->area.label;
	sp_buf_init(&b);
	sp_wire_hello(&b, &r->area, r->have_area ? 1 : 0, &want, r->want_area ? 1 : 0);
	rc = send_msg(r, &b);
	sp_buf_free(&b);
	return rc;
}

static int
send_ping(rogue *r)
{
	sp_buf b;
	int rc;

	sp_buf_init(&b);
	sp_wire_ping(&b, SP_WIRE_PING, 1);
	rc = send_msg(r, &b);
	sp_buf_free(&b);
	return rc;
}

/*
 * Floods: requests whose replies are never read. A node that served them
 * all would hold every reply in memory; it must stop reading us instead,
 * and close the connection once its backlog has not shrunk for a while.
 */

/* The flood socket's receive buffer: the kernel takes in little for us. */
#define FLOOD_RCVBUF  4096
#define FLOOD_PING_MS 1000

static void
stop_reading(rogue *r)
{
	printf("stopped reading after %llu ms\n", (unsigned long long)(mono_ms() - r->start_ms));
	fflush(stdout);
}

/*
 * A Negentropy client over no items and its first message, a NEG for the
 * area: one IdList range over everything holding no id, which a server
 * answers with its own ids of the area, up to its 1 MiB limit. *vec and
 * *neg are the caller's to free, whatever the result.
 */
static int
empty_client(rogue *r, sp_neg_vector **vec, sp_neg **neg, sp_buf *msg)
{
	sp_neg_storage st;
	sp_buf first;
	int rc;

	*neg = NULL;
	if ((rc = sp_neg_vector_new(vec)) != 0 || (rc = sp_neg_vector_seal(*vec)) != 0)
		return rc;
	sp_neg_vector_storage(*vec, &st);
	if ((rc = sp_neg_new(&st, SP_WIRE_NEG_MAX, neg)) != 0)
		return rc;
	sp_buf_init(&first);
	if ((rc = sp_neg_initiate(*neg, &first)) == 0) {
		sp_wire_neg(msg, &r->area, first.data, first.len);
		rc = msg->err;
	}
	sp_buf_free(&first);
	return rc;
}

/* Sends msg count times, counting in *sent. */
static int
send_repeated(rogue *r, const sp_buf *msg, unsigned long count, unsigned long *sent)
{
	int rc = 0;

	for (*sent = 0; *sent < count && (rc = send_msg(r, msg)) == 0; (*sent)++)
		;
	return rc;
}

static int
flood_neg(rogue *r, unsigned long count, unsigned long *sent)
{
	sp_neg_vector *vec = NULL;
	sp_neg *neg = NULL;
	sp_buf msg;
	int rc;

	sp_buf_init(&msg);
	if ((rc = empty_client(r, &vec, &neg, &msg)) == 0) {
		stop_reading(r);
		rc = send_repeated(r, &msg, count, sent);
	}
	sp_buf_free(&msg);
	sp_neg_free(neg);
	sp_neg_vector_free(vec);
	return rc;
}

/* The ids a server's reply names, which the empty client lacks. */
typedef struct id_list {
	uint8_t (*v)[SP_ID_BYTES];
	size_t n, cap;
	int err;
} id_list;

static void
learn_id(void *arg, const uint8_t id[SP_NEG_ID_BYTES])
{
	id_list *l = arg;
	uint8_t (*v)[SP_ID_BYTES];

	if (l->err != 0)
		return;
	if (l->n == l->cap) {
		l->cap = l->cap != 0 ? l->cap * 2 : 1024;
		if ((v = realloc(l->v, l->cap * sizeof(*v))) == NULL) {
			l->err = SP_ENOMEM;
			return;
		}
		l->v = v;
	}
	memcpy(l->v[l->n++], id, SP_ID_BYTES);
}

/* Asks for the area's ids once and reads the answer (ids owned by the caller). */
static int
learn_ids(rogue *r, id_list *ids, uint64_t deadline_ms)
{
	sp_neg_vector *vec = NULL;
	sp_neg *neg = NULL;
	sp_buf msg, next;
	sp_wire_msg m;
	const uint8_t *in;
	size_t len;
	bool done, answered = false;
	int rc;

	sp_buf_init(&msg);
	sp_buf_init(&next);
	if ((rc = empty_client(r, &vec, &neg, &msg)) != 0 || (rc = send_msg(r, &msg)) != 0)
		goto out;
	while (!answered && (rc = recv_msg(r, &in, &len, deadline_ms)) == 0) {
		print_msg(in, len);
		if (sp_wire_decode(in, len, &m) != 0 || m.type != SP_WIRE_NEG ||
		    sp_area_cmp(&m.area, &r->area) != 0)
			continue;
		answered = true;
		rc = sp_neg_reconcile_client(neg, m.data, m.data_len, &next, NULL, learn_id, ids,
		    &done);
	}
	if (rc == 0)
		rc = ids->err;
out:
	sp_buf_free(&msg);
	sp_buf_free(&next);
	sp_neg_free(neg);
	sp_neg_vector_free(vec);
	return rc;
}

/*
 * WANTs of SP_WIRE_MAX_IDS ids, the ones learned over and over (made-up
 * ones when the area is empty: the node looks each up all the same).
 */
static int
flood_want(rogue *r, unsigned long count, unsigned long *sent, uint64_t learn_deadline_ms)
{
	id_list ids = { 0 };
	uint8_t made_up[SP_ID_BYTES] = { 0 };
	sp_buf msg;
	uint32_t i;
	int rc;

	sp_buf_init(&msg);
	if ((rc = learn_ids(r, &ids, learn_deadline_ms)) != 0)
		goto out;
	printf("learned %zu ids\n", ids.n);
	sp_wire_want_begin(&msg, &r->area, SP_WIRE_MAX_IDS);
	for (i = 0; i < SP_WIRE_MAX_IDS; i++) {
		sp_put_be32(made_up, i);
		sp_pack_bin(&msg, ids.n > 0 ? ids.v[i % ids.n] : made_up, SP_ID_BYTES);
	}
	stop_reading(r);
	rc = send_repeated(r, &msg, count, sent);
out:
	sp_buf_free(&msg);
	free(ids.v);
	return rc;
}

/*
 * A PING a second until r->send_deadline_ms, so that the connection is
 * never idle; between them, waits for the node to reset the connection
 * (an error on the socket, which the next PING reports).
 */
static int
flood_pings(rogue *r, unsigned long *pings)
{
	struct pollfd pfd = { .fd = r->fd, .events = 0 };
	uint64_t now, next = mono_ms(), until;
	int rc;

	for (;;) {
		if ((now = mono_ms()) >= r->send_deadline_ms)
			return -ETIMEDOUT;
		if (now >= next) {
			if ((rc = send_ping(r)) != 0)
				return rc;
			(*pings)++;
			next = now + FLOOD_PING_MS;
			continue;
		}
		until = next < r->send_deadline_ms ? next : r->send_deadline_ms;
		if (poll(&pfd, 1, (int)(until - now)) > 0)
			next = now;
	}
}

static int
flood(rogue *r, const step *st, uint64_t learn_deadline_ms)
{
	unsigned long sent = 0, pings = 0;
	int rc;

	rc = st->act == ACT_NEG_FLOOD ? flood_neg(r, st->count, &sent) :
	    flood_want(r, st->count, &sent, learn_deadline_ms);
	printf("sent %s: %lu of %lu\n", actions[st->act].name, sent, st->count);
	if (rc == 0)
		rc = flood_pings(r, &pings);
	printf("sent %lu pings\n", pings);
	return rc;
}

/* Before or instead of a handshake. */

static int
send_garbage(rogue *r)
{
	/* Its first two bytes, "GE", read as a frame length of 18,245: over the handshake cap. */
	static const char req[] = "GET / HTTP/1.1\r\nHost: simpul\r\n\r\n";

	return write_all(r->fd, (const uint8_t *)req, sizeof(req) - 1, r->send_deadline_ms);
}

static int
send_stall(rogue *r)
{
	uint8_t x_sk[SP_NOISE_KEY_BYTES], out[SP_WIRE_HS_MSG_MAX];
	sp_noise_hs *hs = NULL;
	size_t n;
	int rc;

	if ((rc = sp_x25519_from_ed25519_sk(x_sk, r->ed_sk)) == 0 &&
	    (rc = sp_noise_hs_new(r->have_psk ? SP_NOISE_XXPSK3 : SP_NOISE_XX, true,
	    (const uint8_t *)SP_WIRE_PROLOGUE, strlen(SP_WIRE_PROLOGUE), x_sk,
	    r->have_psk ? r->psk : NULL, &hs)) == 0 &&
	    (rc = sp_noise_hs_write(hs, NULL, 0, out, sizeof(out), &n)) == 0)
		rc = send_frame(r, out, n);
	sp_noise_hs_free(hs);
	sp_memzero(x_sk, sizeof(x_sk));
	return rc;
}

/* Reads and drops whatever comes until the node closes or the deadline passes. */
static int
drain_raw(rogue *r, uint64_t deadline_ms)
{
	ssize_t n;

	while ((n = read_some(r->fd, r->frame, sizeof(r->frame), deadline_ms)) > 0)
		;
	return (int)n;
}

/* Prints the node's messages until it closes or the deadline passes. */
static int
listen_msgs(rogue *r, uint64_t deadline_ms)
{
	const uint8_t *msg;
	size_t len;
	int rc;

	while ((rc = recv_msg(r, &msg, &len, deadline_ms)) == 0)
		print_msg(msg, len);
	return rc;
}

/* Reports how the connection ended, from the last I/O result; returns the exit status. */
static int
report(rogue *r, int rc)
{
	uint64_t ms = mono_ms() - r->start_ms;

	if (rc == -ETIMEDOUT) {
		printf("open after %llu ms\n", (unsigned long long)ms);
		return EXIT_OPEN;
	}
	if (rc != SP_EDISCONNECTED)
		printf("connection failed: %s\n", sp_strerror(rc));
	printf("closed after %llu ms\n", (unsigned long long)ms);
	return EXIT_CLOSED;
}

/* Setup. */

/* rcvbuf: the socket's receive buffer (0: the system's). */
static int
dial(const char *spec, int rcvbuf)
{
	char host[SP_ADDRESS_MAX + 1], port[8];
	struct addrinfo hints, *res = NULL, *ai;
	uint16_t portnum;
	int fd = -1, rc, err = ECONNREFUSED;

	if (sp_address_parse(spec, host, sizeof(host), &portnum) != 0)
		die("bad HOST:PORT", 0);
	snprintf(port, sizeof(port), "%u", portnum);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		fprintf(stderr, "rogue-peer: %s: %s\n", spec, gai_strerror(rc));
		exit(EXIT_LOCAL);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol)) < 0) {
			err = errno;
			continue;
		}
		/* Before connect: the window offered to the node is set at the handshake. */
		if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) != 0)
			die("setsockopt SO_RCVBUF", -errno);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		die("cannot connect", -err);
	return fd;
}

static unsigned long
parse_ms(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > 3600 * 1000)
		die("bad number of milliseconds", 0);
	return v;
}

static void
parse_step(const char *arg, step *st)
{
	size_t i, len = strcspn(arg, ":");
	char *end;

	for (i = 0; i < NACTIONS; i++) {
		if (strlen(actions[i].name) == len && strncmp(actions[i].name, arg, len) == 0)
			break;
	}
	if (i == NACTIONS || (arg[len] == ':' && !actions[i].record && !actions[i].flood) ||
	    (arg[len] != ':' && actions[i].flood)) {
		fprintf(stderr, "rogue-peer: unknown action %s\n", arg);
		exit(EXIT_LOCAL);
	}
	st->act = (enum action)i;
	st->key = arg[len] == ':' ? arg + len + 1 : actions[i].name;
	if (actions[i].record && sp_key_check(st->key, strlen(st->key)) != 0)
		die("bad record key", SP_EKEY);
	if (actions[i].flood) {
		errno = 0;
		st->count = strtoul(arg + len + 1, &end, 10);
		if (errno != 0 || end == arg + len + 1 || *end != '\0' || st->count == 0 ||
		    st->count > 1000000)
			die("a flood's N is 1 to 1000000", 0);
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "network-key", required_argument, NULL, 'n' },
		{ "community", required_argument, NULL, 'c' },
		{ "collection", required_argument, NULL, 'o' },
		{ "label", required_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 't' },
		{ "linger", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static rogue r;          /* large buffers: not on the stack */
	const char *key_file = NULL, *community = NULL, *collection = "households";
	unsigned long timeout = 5000, linger = 1000;
	const uint8_t *msg;
	step *steps;
	size_t nsteps, first, i, len;
	uint64_t deadline;
	int opt, rc, status;

	if (sp_crypto_init() != 0)
		die("libsodium failed to start", 0);
	r.area.label = SP_LABEL_SHARED;
	r.send_deadline_ms = UINT64_MAX;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'k': key_file = optarg; break;
		case 'n':
			if ((rc = sp_file_read_secret(optarg, r.psk, sizeof(r.psk))) != 0)
				die(optarg, rc);
			r.have_psk = true;
			break;
		case 'c': community = optarg; break;
		case 'o': collection = optarg; break;
		case 'l':
			if (sp_label_parse(optarg, &r.area.label) != 0)
				die("bad label", SP_ELABEL);
			break;
		case 't': timeout = parse_ms(optarg); break;
		case 'g': linger = parse_ms(optarg); break;
		case 'h': usage(stdout); return EXIT_OPEN;
		default: usage(stderr); return EXIT_LOCAL;
		}
	}
	if (argc - optind < 1) {
		usage(stderr);
		return EXIT_LOCAL;
	}
	nsteps = (size_t)(argc - optind - 1);
	/* One spare: never a zero-size allocation. */
	if ((steps = calloc(nsteps + 1, sizeof(*steps))) == NULL)
		die("out of memory", SP_ENOMEM);
	for (i = 0; i < nsteps; i++) {
		parse_step(argv[optind + 1 + (int)i], &steps[i]);
		if (steps[i].act <= ACT_STALL && nsteps != 1)
			die("garbage, silent and stall come alone", 0);
		if (steps[i].act == ACT_PING_FIRST && i != 0)
			die("ping-first must be the first action", 0);
		if (actions[steps[i].act].flood && i + 1 != nsteps)
			die("a flood must be the last action", 0);
		r.want_area = r.want_area || actions[steps[i].act].flood;
	}
	if (community != NULL) {
		if (sp_base32_decode(r.area.community, SP_PUBKEY_BYTES, community,
		    strlen(community)) != 0)
			die("bad community id", SP_EID);
		if (sp_collection_check(collection, strlen(collection), false) != 0)
			die("bad collection", SP_ECOLLECTION);
		memcpy(r.area.collection, collection, strlen(collection) + 1);
		r.have_area = true;
	}
	for (i = 0; i < nsteps; i++)
		if (actions[steps[i].act].area && !r.have_area)
			die("record actions, big-neg and floods need --community", 0);

	if (key_file == NULL)
		sp_sign_keypair(r.ed_pk, r.ed_sk);
	else if ((rc = sp_file_read_secret(key_file, r.ed_sk, sizeof(r.ed_sk))) != 0)
		die(key_file, rc);
	else
		sp_sign_sk_to_pk(r.ed_pk, r.ed_sk);
	print_id("node", r.ed_pk);
	sp_wire_reasm_init(&r.reasm, SP_WIRE_MSG_MAX);

	r.fd = dial(argv[optind], r.want_area ? FLOOD_RCVBUF : 0);
	r.start_ms = mono_ms();
	deadline = r.start_ms + timeout;
	if (nsteps > 0 && steps[0].act <= ACT_STALL) {
		rc = steps[0].act == ACT_GARBAGE ? send_garbage(&r) :
		    steps[0].act == ACT_STALL ? send_stall(&r) : 0;
		if (rc == 0) {
			printf("sent %s\n", actions[steps[0].act].name);
			rc = drain_raw(&r, mono_ms() + linger);
		}
		status = report(&r, rc);
		goto out;
	}

	if ((rc = handshake(&r, deadline)) == SP_ENOISE) {
		printf("handshake failed: message 2 did not decrypt or named another key\n");
		status = EXIT_HANDSHAKE;
		goto out;
	}
	/* The node speaks first (HELLO, or ERROR when it refuses us): listen before talking. */
	if (rc != 0 || (rc = recv_msg(&r, &msg, &len, deadline)) != 0) {
		status = report(&r, rc);
		goto out;
	}
	print_msg(msg, len);
	first = 0;
	if (nsteps > 0 && steps[0].act == ACT_PING_FIRST) {
		if ((rc = send_ping(&r)) == 0)
			printf("sent %s\n", actions[ACT_PING_FIRST].name);
		first = 1;
	}
	if (rc != 0 || (rc = send_hello(&r)) != 0) {
		status = report(&r, rc);
		goto out;
	}
	for (i = first; i < nsteps && rc == 0; i++) {
		if (actions[steps[i].act].flood) {
			r.send_deadline_ms = mono_ms() + linger;
			status = report(&r, flood(&r, &steps[i], mono_ms() + timeout));
			goto out;
		}
		rc = actions[steps[i].act].record ? send_record(&r, &steps[i]) :
		    send_broken(&r, steps[i].act);
		if (rc == 0 && actions[steps[i].act].record)
			printf("sent %s:%s\n", actions[steps[i].act].name, steps[i].key);
		else if (rc == 0)
			printf("sent %s\n", actions[steps[i].act].name);
		fflush(stdout);
	}
	/* A failed send: the node may have said why before it closed. */
	if (rc != 0 && rc != SP_EDISCONNECTED)
		die("sending", rc);
	status = report(&r, listen_msgs(&r, mono_ms() + linger));
out:
	close(r.fd);
	sp_wire_reasm_free(&r.reasm);
	sp_cipher_wipe(&r.tx);
	sp_cipher_wipe(&r.rx);
	sp_memzero(r.ed_sk, sizeof(r.ed_sk));
	sp_memzero(r.psk, sizeof(r.psk));
	free(steps);
	return status;
}
