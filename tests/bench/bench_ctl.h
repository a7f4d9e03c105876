/*
 * bench_ctl.h - what the benchmark programs that drive simpuld share: a
 * blocking call on a control socket (cli/client.c, proto/ctl.c), a
 * monotonic clock, and the household bodies they write. Header only,
 * because each tests/bench/bench_*.c is an executable of its own.
 */
#ifndef SP_BENCH_CTL_H
#define SP_BENCH_CTL_H

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "ctl.h"
#include "json_body.h"
#include "pack.h"
#include "sp_err.h"

static inline double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Ends and sends req (built with sp_ctl_begin_request and its fields; freed
 * here) and reads replies up to the final one, left in m. Returns 0, the
 * daemon's error status, or a transport error.
 */
static inline int
bench_call(sp_client *c, sp_buf *req, sp_ctl_msg *m)
{
	int r;

	if ((r = sp_ctl_end(req, 0)) == 0)
		r = sp_client_send(c, req);
	sp_buf_free(req);
	while (r == 0 && (r = sp_client_recv(c, m)) == 0 && m->status == SP_CTL_MORE)
		;
	return r != 0 ? r : m->status;
}

/* Packs the three fields that address a record. */
static inline void
bench_pack_address(sp_buf *req, const char *community, const char *collection,
    const char *key)
{
	sp_pack_cstr(req, "community");
	sp_pack_cstr(req, community);
	sp_pack_cstr(req, "collection");
	sp_pack_cstr(req, collection);
	sp_pack_cstr(req, "key");
	sp_pack_cstr(req, key);
}

/* Writes a record (label community); body is a canonical body. */
static inline int
bench_put(sp_client *c, const char *community, const char *collection, const char *key,
    const sp_buf *body)
{
	sp_ctl_msg m;
	sp_buf req;

	sp_buf_init(&req);
	sp_ctl_begin_request(&req, "put", 4);
	bench_pack_address(&req, community, collection, key);
	sp_pack_cstr(&req, "body");
	sp_pack_raw(&req, body->data, body->len);
	return bench_call(c, &req, &m);
}

/* 0 when the node holds the record, SP_ENOTFOUND when it does not. */
static inline int
bench_get(sp_client *c, const char *community, const char *collection, const char *key)
{
	sp_ctl_msg m;
	sp_buf req;

	sp_buf_init(&req);
	sp_ctl_begin_request(&req, "get", 3);
	bench_pack_address(&req, community, collection, key);
	return bench_call(c, &req, &m);
}

/*
 * Appends the canonical body of household number i to out: about 300
 * bytes, like the rows of bench_import.sh.
 */
static inline int
bench_body(sp_buf *out, unsigned long i)
{
	char json[768], err[128];
	int n;

	n = snprintf(json, sizeof(json),
	    "{\"kepala_keluarga\":\"Kepala Keluarga Nomor %lu\",\"anggota\":%lu,"
	    "\"rt\":\"%03lu\",\"rw\":\"%03lu\",\"telepon\":\"08%010lu\","
	    "\"alamat\":\"Jalan Melati Gang %lu Nomor %lu Kelurahan Sukamaju Kecamatan Sukajaya\","
	    "\"pekerjaan\":\"Buruh harian lepas\",\"kategori\":\"keluarga_miskin\","
	    "\"catatan\":\"Catatan kunjungan rumah tanggal %lu: kondisi rumah perlu "
	    "perbaikan atap dan lantai; bantuan sembako diterima\"}",
	    i, 1 + i % 9, 1 + i % 20, 1 + i % 7, i, i % 50, i % 200, i % 28 + 1);
	if (n < 0 || (size_t)n >= sizeof(json))
		return SP_EINVAL;
	return sp_json_to_body(json, (size_t)n, out, err, sizeof(err));
}

#endif
