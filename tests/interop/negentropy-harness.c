/*
 * negentropy-harness - simpul's reconciler behind the stdin/stdout line
 * protocol of the Negentropy reference conformance suite (hoytech/negentropy,
 * test/cpp/harness.cpp), so that test/fuzz.pl and test/test.pl can drive it
 * against the reference implementations. See tests/interop/negentropy/README.md.
 *
 * In:  item,TIMESTAMP,IDHEX | seal | initiate | msg,HEX
 * Out: msg,HEX | have,IDHEX | need,IDHEX | done
 * The frame size limit comes from the environment variable FRAMESIZELIMIT.
 * Any error goes to stderr and ends the program with status 1, as the
 * reference harness ends with an exception.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "negentropy.h"
#include "sp_err.h"

typedef struct harness {
	sp_neg_vector *items;
	sp_neg_storage storage;
	sp_neg *neg;           /* after seal */
	uint64_t frame_limit;
	bool initiator;
	sp_buf out;
} harness;

static void
die(const char *what, int err)
{
	if (err != 0)
		fprintf(stderr, "negentropy-harness: %s: %s\n", what, sp_strerror(err));
	else
		fprintf(stderr, "negentropy-harness: %s\n", what);
	exit(1);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes hex in place (dst may be src); returns the byte count or -1. */
static long
unhex(uint8_t *dst, const char *src, size_t len)
{
	size_t i;
	int hi, lo;

	if (len % 2 != 0)
		return -1;
	for (i = 0; i < len / 2; i++) {
		hi = hexval(src[2 * i]);
		lo = hexval(src[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		dst[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(len / 2);
}

static void
print_hex_line(const char *tag, const uint8_t *p, size_t n)
{
	size_t i;

	fputs(tag, stdout);
	putchar(',');
	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
	putchar('\n');
}

static uint64_t
parse_u64(const char *s, const char *what)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-')
		die(what, 0);
	return v;
}

static void
report_have(void *arg, const uint8_t id[SP_NEG_ID_BYTES])
{
	(void)arg;
	print_hex_line("have", id, SP_NEG_ID_BYTES);
}

static void
report_need(void *arg, const uint8_t id[SP_NEG_ID_BYTES])
{
	(void)arg;
	print_hex_line("need", id, SP_NEG_ID_BYTES);
}

/* Prints out as a msg line, after the same frame size check as the reference. */
static void
send_msg(harness *h)
{
	if (h->frame_limit != 0 && h->out.len > h->frame_limit)
		die("frame size limit exceeded", 0);
	print_hex_line("msg", h->out.data, h->out.len);
	fflush(stdout);
}

static void
cmd_item(harness *h, char *fields)
{
	char *ts = fields, *id = fields != NULL ? strchr(fields, ',') : NULL;
	uint8_t bin[SP_NEG_ID_BYTES];
	int r;

	if (id == NULL || strchr(id + 1, ',') != NULL)
		die("wrong num of fields", 0);
	*id++ = '\0';
	if (unhex(bin, id, strlen(id)) != SP_NEG_ID_BYTES)
		die("bad id", 0);
	if ((r = sp_neg_vector_add(h->items, parse_u64(ts, "bad timestamp"), bin)) != 0)
		die("item", r);
}

static void
cmd_seal(harness *h)
{
	int r;

	if ((r = sp_neg_vector_seal(h->items)) != 0)
		die("seal", r);
	sp_neg_vector_storage(h->items, &h->storage);
	if ((r = sp_neg_new(&h->storage, h->frame_limit, &h->neg)) != 0)
		die("seal", r);
}

static void
cmd_initiate(harness *h)
{
	int r;

	if (h->neg == NULL)
		die("initiate before seal", 0);
	sp_buf_reset(&h->out);
	if ((r = sp_neg_initiate(h->neg, &h->out)) != 0)
		die("initiate", r);
	h->initiator = true;
	send_msg(h);
}

static void
cmd_msg(harness *h, char *hex)
{
	long len = unhex((uint8_t *)hex, hex, strlen(hex));
	bool done;
	int r;

	if (h->neg == NULL)
		die("msg before seal", 0);
	if (len < 0)
		die("bad hex", 0);
	sp_buf_reset(&h->out);
	if (!h->initiator) {
		if ((r = sp_neg_reconcile(h->neg, (uint8_t *)hex, (size_t)len, &h->out)) != 0)
			die("reconcile", r);
		send_msg(h);
		return;
	}
	if ((r = sp_neg_reconcile_client(h->neg, (uint8_t *)hex, (size_t)len,
	    &h->out, report_have, report_need, NULL, &done)) != 0)
		die("reconcile", r);
	if (done) {
		puts("done");
		fflush(stdout);
	} else {
		send_msg(h);
	}
}

int
main(void)
{
	harness h;
	const char *limit = getenv("FRAMESIZELIMIT");
	char *line = NULL, *comma;
	size_t cap = 0;
	ssize_t n;
	int r;

	memset(&h, 0, sizeof(h));
	sp_buf_init(&h.out);
	if (sp_crypto_init() != 0)
		die("libsodium failed to initialise", 0);
	if (limit != NULL && *limit != '\0')
		h.frame_limit = parse_u64(limit, "bad FRAMESIZELIMIT");
	if ((r = sp_neg_vector_new(&h.items)) != 0)
		die("start", r);
	while ((n = getline(&line, &cap, stdin)) > 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		if ((comma = strchr(line, ',')) != NULL)
			*comma++ = '\0';
		if (strcmp(line, "item") == 0)
			cmd_item(&h, comma);
		else if (strcmp(line, "seal") == 0)
			cmd_seal(&h);
		else if (strcmp(line, "initiate") == 0)
			cmd_initiate(&h);
		else if (strcmp(line, "msg") == 0)
			cmd_msg(&h, comma != NULL ? comma : line + n);
		else
			die("unknown cmd", 0);
	}
	free(line);
	sp_neg_free(h.neg);
	sp_neg_vector_free(h.items);
	sp_buf_free(&h.out);
	return 0;
}
