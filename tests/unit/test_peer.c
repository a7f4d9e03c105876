/*
 * test_peer.c - peer connections (daemon/peer*.c) on a real libuv loop:
 * two nodes in temporary data directories, each with its own sp_peers,
 * connected over 127.0.0.1, and this file's handlers in place of the
 * sessions. Timers run on an injected monotonic clock that the tests step;
 * the node's wall clock is injected too, and jumps. Waits are bounded in
 * real time and never assert on speed.
 */
#include "sp_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include "buf.h"
#include "identity.h"
#include "node.h"
#include "noise.h"
#include "peer.h"
#include "peer_int.h"
#include "policy.h"
#include "sp_err.h"
#include "store.h"
#include "wire.h"

#define TICK_MS          5            /* timeouts checked every 5 ms of real time */
#define WAIT_NS          (5ull * 1000 * 1000 * 1000)
#define SETTLE_MS        100          /* real time given to something that must not happen */
#define MONO_START_MS    1000000ull   /* far from the wall clock, so that a mix-up shows */
#define HOURS_5_MS       (5ull * 3600 * 1000)
#define LARGE_MSG        (200u * 1024)
#define REPLY_LEN        SP_WIRE_NEG_MAX
#define NEG_WRAPPING_MAX 64           /* a NEG's bytes around its message: type, area, bin header */
#define REQUESTS         96
#define MAX_RAW          16
#define CONN_BYTES_MAX   4096         /* a connection's own memory, its buffers between frames */

/* The node's wall clock: what users read (last_handshake_ms). */
static uint64_t g_wall = 1700000000000ull;

static uint64_t
wall_now(void)
{
	return g_wall;
}

static uint64_t
mono_now(void *arg)
{
	return *(uint64_t *)arg;
}

/* One node, its peer manager and what the handlers saw. */
typedef struct side {
	char *dir;
	uint8_t id[32];
	sp_node *node;
	sp_peers *peers;
	uv_loop_t *loop;
	uint64_t mono;
	sp_mono_clock clock;
	char listen[64];
	/* What this test's "session layer" does. */
	bool pause;              /* stop reading once established */
	unsigned requests;       /* SYNCED messages sent once established */
	bool answer;             /* answer each SYNCED with a REPLY_LEN NEG */
	/* What it saw. */
	unsigned established, closed, messages, replies;
	sp_conn *conn;           /* the connection last established, NULL once closed */
	sp_buf last;             /* the last message, copied */
	enum sp_wire_type first_type;
	size_t max_pending;
	/*
	 * What went wrong inside a handler: counted, not asserted, since an
	 * assertion would jump out of uv_run and leave the loop mid-turn.
	 */
	unsigned handler_errors;
} side;

/* The state established() returns: one per connection. */
typedef struct upper {
	side *s;
	sp_conn *c;
} upper;

typedef struct fixture {
	uv_loop_t loop;
	side a, b;               /* a dials b */
	int raw[MAX_RAW];
	size_t nraw;
	/* Work that holds libuv's thread pool (one thread, see main) until go is posted. */
	uv_work_t hold;
	uv_sem_t go;
	bool holding;
} fixture;

static void
test_area(sp_area *area)
{
	memset(area, 0, sizeof(*area));
	memset(area->community, 0x5a, sizeof(area->community));
	snprintf(area->collection, sizeof(area->collection), "households");
	area->label = SP_LABEL_COMMUNITY;
}

/* A NEG whose Negentropy message is len bytes of a pattern seeded by seed. */
static int
make_neg(sp_buf *out, size_t len, uint8_t seed)
{
	sp_area area;
	uint8_t *data = malloc(len);
	size_t i;

	if (data == NULL)
		return SP_ENOMEM;
	for (i = 0; i < len; i++)
		data[i] = (uint8_t)(seed + i * 7 + (i >> 11));
	test_area(&area);
	sp_buf_reset(out);
	sp_wire_neg(out, &area, data, len);
	free(data);
	return out->err;
}

static int
send_msg(sp_conn *c, void (*build)(sp_buf *))
{
	sp_buf b;
	int r;

	sp_buf_init(&b);
	build(&b);
	r = sp_conn_send(c, &b);
	sp_buf_free(&b);
	return r;
}

static void
build_hello(sp_buf *b)
{
	sp_wire_hello(b, NULL, 0, NULL, 0);
}

static void *
on_established(void *arg, sp_conn *c)
{
	side *s = arg;
	upper *u = calloc(1, sizeof(*u));
	unsigned i;

	if (u == NULL)
		return NULL;
	u->s = s;
	u->c = c;
	s->established++;
	s->conn = c;
	if (send_msg(c, build_hello) != 0)
		s->handler_errors++;
	for (i = 0; i < s->requests; i++)
		if (send_msg(c, sp_wire_synced) != 0)
			s->handler_errors++;
	if (s->pause)
		sp_conn_pause(c, true);
	return u;
}

static void
on_message(void *state, const uint8_t *msg, size_t len)
{
	upper *u = state;
	side *s = u->s;
	sp_wire_msg m;
	sp_buf reply;

	if (sp_wire_decode(msg, len, &m) != 0) {
		s->handler_errors++;
		return;
	}
	if (s->messages++ == 0)
		s->first_type = m.type;
	sp_buf_reset(&s->last);
	sp_buf_append(&s->last, msg, len);
	if (s->answer && m.type == SP_WIRE_SYNCED) {
		/* A request answered with a large reply, as sync.c answers NEG. */
		sp_buf_init(&reply);
		if (make_neg(&reply, REPLY_LEN, (uint8_t)s->replies) != 0 ||
		    sp_conn_send(u->c, &reply) != 0)
			s->handler_errors++;
		sp_buf_free(&reply);
		s->replies++;
		if (sp_conn_pending(u->c) > s->max_pending)
			s->max_pending = sp_conn_pending(u->c);
	}
}

static void
on_drained(void *state)
{
	(void)state;
}

static void
on_closed(void *state)
{
	upper *u = state;

	u->s->closed++;
	if (u->s->conn == u->c)
		u->s->conn = NULL;
	free(u);
}

static void
stats_cb(void *arg, const sp_peer_policy *pol, enum sp_peer_state state,
    const sp_peer_stats *st)
{
	(void)pol;
	(void)state;
	*(sp_peer_stats *)arg = *st;
}

static void
state_cb(void *arg, const sp_peer_policy *pol, enum sp_peer_state state,
    const sp_peer_stats *st)
{
	(void)pol;
	(void)st;
	*(enum sp_peer_state *)arg = state;
}

/* The state of the side's one peer. */
static enum sp_peer_state
state_of(side *s)
{
	enum sp_peer_state state = SP_PEER_IDLE;

	sp_peers_each(s->peers, state_cb, &state);
	return state;
}

/* The stats of the side's one peer. */
static sp_peer_stats
stats_of(side *s)
{
	sp_peer_stats st;

	memset(&st, 0, sizeof(st));
	sp_peers_each(s->peers, stats_cb, &st);
	return st;
}

#define WAIT_UNTIL(f, cond) do { \
	uint64_t deadline_ = uv_hrtime() + WAIT_NS; \
	while (!(cond) && uv_hrtime() < deadline_) \
		uv_run(&(f)->loop, UV_RUN_ONCE); \
	assert_true(cond); \
} while (0)

/* Runs the loop for ms of real time, one turn at least: room for what is ready, or must not happen. */
static void
run_for(fixture *f, unsigned ms)
{
	uint64_t deadline = uv_hrtime() + (uint64_t)ms * 1000 * 1000;

	do
		uv_run(&f->loop, UV_RUN_ONCE);
	while (uv_hrtime() < deadline);
}

static void
side_open(side *s, uv_loop_t *loop)
{
	assert_non_null(s->dir = sp_test_mkdtemp());
	assert_int_equal(sp_identity_create(s->dir, s->id), 0);
	assert_int_equal(sp_node_open(s->dir, wall_now, NULL, &s->node), 0);
	s->loop = loop;
	s->mono = MONO_START_MS;
	s->clock = (sp_mono_clock){ mono_now, &s->mono };
	sp_buf_init(&s->last);
}

static void
side_start(side *s, bool listen)
{
	static const sp_conn_handlers h = {
		on_established, on_message, on_drained, on_closed, NULL
	};
	sp_conn_handlers mine = h;
	sp_peers_options opt;

	memset(&opt, 0, sizeof(opt));
	opt.listen = listen ? "127.0.0.1:0" : NULL;
	opt.clock = &s->clock;
	opt.tick_ms = TICK_MS;
	mine.arg = s;
	assert_int_equal(sp_peers_start(s->loop, s->node, &opt, &mine, &s->peers), 0);
	if (listen)
		assert_int_equal(sp_peers_listen_address(s->peers, s->listen, sizeof(s->listen)), 0);
}

/* Stores other as a peer of s, as 'simpul peer add' does ("" address: it dials us). */
static void
add_peer(side *s, const char *name, const side *other, const char *address)
{
	sp_peer_policy pol;
	sp_buf enc;
	sp_txn *t;

	memset(&pol, 0, sizeof(pol));
	snprintf(pol.name, sizeof(pol.name), "%s", name);
	memcpy(pol.node, other->id, 32);
	snprintf(pol.address, sizeof(pol.address), "%s", address);
	sp_buf_init(&enc);
	assert_int_equal(sp_policy_encode(&pol, &enc), 0);
	assert_int_equal(sp_txn_begin(sp_node_store(s->node), true, &t), 0);
	assert_int_equal(sp_store_peer_put(t, pol.name, strlen(pol.name), enc.data, enc.len), 0);
	assert_int_equal(sp_txn_commit(t), 0);
	sp_buf_free(&enc);
}

static void
side_close(side *s)
{
	if (s->peers != NULL)
		sp_peers_close(s->peers);
}

static void
side_free(side *s)
{
	sp_peers_free(s->peers);
	if (s->node != NULL)
		sp_node_close(s->node);
	sp_buf_free(&s->last);
	sp_test_rmdir(s->dir);
}

static int
setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	side_open(&f->a, &f->loop);
	side_open(&f->b, &f->loop);
	g_wall = 1700000000000ull;
	*state = f;
	return 0;
}

static void
hold_work(uv_work_t *w)
{
	fixture *f = w->data;

	uv_sem_wait(&f->go);
}

static void
hold_done(uv_work_t *w, int status)
{
	(void)w;
	(void)status;
}

/* Keeps libuv's thread pool busy until pool_release: what is queued behind waits. */
static void
pool_hold(fixture *f)
{
	assert_int_equal(uv_sem_init(&f->go, 0), 0);
	f->hold.data = f;
	assert_int_equal(uv_queue_work(&f->loop, &f->hold, hold_work, hold_done), 0);
	f->holding = true;
}

static void
pool_release(fixture *f)
{
	if (!f->holding)
		return;
	f->holding = false;
	uv_sem_post(&f->go);
}

static int
teardown(void **state)
{
	fixture *f = *state;
	bool held = f->holding;
	uint64_t deadline;
	size_t i;

	pool_release(f);
	for (i = 0; i < f->nraw; i++)
		if (f->raw[i] >= 0)
			close(f->raw[i]);
	side_close(&f->a);
	side_close(&f->b);
	/* Every handle closes, every queued write is cancelled and freed. */
	deadline = uv_hrtime() + WAIT_NS;
	while (uv_run(&f->loop, UV_RUN_NOWAIT) != 0 && uv_hrtime() < deadline)
		;
	assert_int_equal(uv_loop_close(&f->loop), 0);
	if (held)
		uv_sem_destroy(&f->go);
	assert_int_equal(f->a.handler_errors, 0);
	assert_int_equal(f->b.handler_errors, 0);
	side_free(&f->a);
	side_free(&f->b);
	free(f);
	return 0;
}

/* b listens and knows a (inbound only); a dials b; both say HELLO. */
static void
connect_pair(fixture *f)
{
	add_peer(&f->b, "a", &f->a, "");
	side_start(&f->b, true);
	add_peer(&f->a, "b", &f->b, f->b.listen);
	side_start(&f->a, false);
	WAIT_UNTIL(f, f->a.messages >= 1 && f->b.messages >= 1);
	assert_int_equal(f->a.established, 1);
	assert_int_equal(f->b.established, 1);
	assert_int_equal(f->a.first_type, SP_WIRE_HELLO);
	assert_int_equal(f->b.first_type, SP_WIRE_HELLO);
}

/* The bytes a PING or PONG takes on the wire at this mono time: length, flag, tag. */
static size_t
ping_frame(uint64_t nonce)
{
	sp_buf b;
	size_t n;

	sp_buf_init(&b);
	sp_wire_ping(&b, SP_WIRE_PING, nonce);
	n = 2 + 1 + SP_NOISE_TAG_BYTES + b.len;
	sp_buf_free(&b);
	return n;
}

/* Sends a NEG of len bytes from one side and checks that the other gets it whole. */
static void
check_delivery(fixture *f, side *from, side *to, size_t len, uint8_t seed)
{
	unsigned before = to->messages;
	sp_buf msg;

	sp_buf_init(&msg);
	assert_int_equal(make_neg(&msg, len, seed), 0);
	assert_int_equal(sp_conn_send(from->conn, &msg), 0);
	WAIT_UNTIL(f, to->messages > before);
	assert_int_equal(to->messages, before + 1);
	assert_int_equal(to->last.len, msg.len);
	assert_memory_equal(to->last.data, msg.data, msg.len);
	sp_buf_free(&msg);
}

/* 1. The handshake completes on both sides, once; messages arrive whole, fragmented or not. */
static void
test_handshake_and_messages(void **state)
{
	fixture *f = *state;
	sp_peer_stats st;

	connect_pair(f);
	assert_non_null(f->a.conn);
	assert_non_null(f->b.conn);
	assert_true(sp_conn_initiator(f->a.conn));
	assert_false(sp_conn_initiator(f->b.conn));
	assert_string_equal(sp_conn_policy(f->a.conn)->name, "b");
	assert_string_equal(sp_conn_policy(f->b.conn)->name, "a");
	check_delivery(f, &f->a, &f->b, 3, 1);
	check_delivery(f, &f->b, &f->a, 3, 2);
	/* Larger than a fragment: four of them, reassembled in order. */
	assert_true(LARGE_MSG > 3 * SP_WIRE_FRAGMENT_MAX);
	check_delivery(f, &f->a, &f->b, LARGE_MSG, 3);
	check_delivery(f, &f->b, &f->a, LARGE_MSG, 4);
	run_for(f, SETTLE_MS);
	assert_int_equal(f->a.established, 1);
	assert_int_equal(f->b.established, 1);
	assert_int_equal(f->a.closed, 0);
	assert_int_equal(f->b.closed, 0);
	st = stats_of(&f->a);
	assert_int_equal(st.last_handshake_ms, g_wall);
	assert_string_equal(st.last_error, "");
	st = stats_of(&f->b);
	assert_int_equal(st.last_handshake_ms, g_wall);
	/*
	 * Between frames a connection holds no frame buffer: a hub keeps a
	 * thousand connections, which must not cost two 64 KiB buffers each.
	 */
	assert_null(f->a.conn->frame);
	assert_null(f->b.conn->frame);
	assert_true(sizeof(struct sp_conn) < CONN_BYTES_MAX);
}

/*
 * Steps pinger's monotonic clock on by step_ms (past the ping interval)
 * and waits for its tick to ping and the other to answer: each sends and
 * receives one frame of a PING's size, nothing else, and nobody closes.
 * The answerer's clock stands still: its PONG is its last word, so it
 * does not ping back.
 */
static void
ping_exchange(fixture *f, side *pinger, side *answerer, uint64_t step_ms)
{
	sp_peer_stats p0 = stats_of(pinger), a0 = stats_of(answerer), p = p0, a;
	size_t frame;

	pinger->mono += step_ms;
	frame = ping_frame(pinger->mono);
	WAIT_UNTIL(f, (p = stats_of(pinger), p.bytes_in - p0.bytes_in == frame) ||
	    f->a.closed + f->b.closed > 0);
	assert_int_equal(f->a.closed, 0);
	assert_int_equal(f->b.closed, 0);
	a = stats_of(answerer);
	assert_int_equal(p.bytes_out - p0.bytes_out, frame);
	assert_int_equal(a.bytes_in - a0.bytes_in, frame);
	assert_int_equal(a.bytes_out - a0.bytes_out, frame);
}

/*
 * 2. The wall clock jumps by hours, forward then back, while the monotonic
 * clocks move on: each side's tick still pings and the connection lives.
 * A tick sends its PING only after its idle check, so each ping seen is a
 * tick that found the connection alive after a jump; timers on the wall
 * clock fail here (5 hours past the last byte is idle, and 5 hours before
 * it wraps to more). Each side's clock moves 124 s, past the 90 s idle
 * timeout: the other's pings and pongs are what keep it open.
 */
static void
test_wall_clock_jumps(void **state)
{
	fixture *f = *state;
	uint64_t handshake_wall = g_wall;
	int round;

	connect_pair(f);
	for (round = 0; round < 4; round++) {
		if (round == 0)
			g_wall += HOURS_5_MS;
		else if (round == 2)
			g_wall -= 2 * HOURS_5_MS;
		ping_exchange(f, &f->a, &f->b, 31000);
		ping_exchange(f, &f->b, &f->a, 31000);
	}
	assert_int_equal(f->a.established, 1);
	assert_int_equal(f->b.established, 1);
	assert_non_null(f->a.conn);
	assert_non_null(f->b.conn);
	/* What users read is the wall clock at the handshake, not the monotonic one. */
	assert_int_equal(stats_of(&f->a).last_handshake_ms, handshake_wall);
	assert_int_equal(stats_of(&f->b).last_handshake_ms, handshake_wall);
	assert_string_equal(stats_of(&f->a).last_error, "");
	assert_string_equal(stats_of(&f->b).last_error, "");
}

/*
 * 3. Keepalive on a's monotonic clock alone (b's stands still, so b
 * neither pings nor times out). Past 30 s of silence a pings, and b's PONG
 * counts as life: at 92 s, 61 s after that pong, a pings again instead of
 * closing for 90 s of silence.
 */
static void
test_ping_answered(void **state)
{
	fixture *f = *state;

	connect_pair(f);
	ping_exchange(f, &f->a, &f->b, 31000);
	ping_exchange(f, &f->a, &f->b, 61000);
	assert_string_equal(stats_of(&f->a).last_error, "");
}

/*
 * 3. A side that only listens still pings after 30 s of its own silence
 * (the other side would close it at 90 s): a hears b at 20 s and pings at
 * 31 s, 11 s after hearing it.
 */
static void
test_ping_while_listening(void **state)
{
	fixture *f = *state;

	connect_pair(f);
	f->a.mono += 20000;
	check_delivery(f, &f->b, &f->a, 3, 5);
	ping_exchange(f, &f->a, &f->b, 11000);
}

/* 3. Nothing heard for more than 90 s on the monotonic clock: closed, and the reason kept. */
static void
test_idle_timeout(void **state)
{
	fixture *f = *state;

	connect_pair(f);
	f->a.mono += 90001;
	WAIT_UNTIL(f, f->a.closed == 1 && f->b.closed == 1);
	assert_string_equal(stats_of(&f->a).last_error, "no sign of life for 90 s");
	assert_string_equal(stats_of(&f->b).last_error, "the peer closed the connection");
}

/*
 * 4. b asks for REQUESTS large replies and reads none of them. a stops
 * reading b's requests once SP_CONN_OUT_BUDGET bytes are unsent, so it
 * answers only some and holds less than the budget plus one reply; a
 * backlog that has not shrunk for SP_CONN_STALL_MS of the monotonic clock
 * closes the connection. Without the budget a would queue REQUESTS MiB
 * (more than the kernel's buffers on loopback hold: its own sending and
 * b's receiving one, which does not grow for a reader that reads nothing).
 */
static void
test_output_budget(void **state)
{
	fixture *f = *state;
	size_t reply_max = REPLY_LEN + NEG_WRAPPING_MAX;
	size_t nfrag = (reply_max + SP_WIRE_FRAGMENT_MAX - 1) / SP_WIRE_FRAGMENT_MAX;
	size_t framed_reply = reply_max + nfrag * (2 + 1 + SP_NOISE_TAG_BYTES);
	unsigned replies;

	f->a.answer = true;
	f->b.pause = true;
	f->b.requests = REQUESTS;
	add_peer(&f->b, "a", &f->a, "");
	side_start(&f->b, true);
	add_peer(&f->a, "b", &f->b, f->b.listen);
	side_start(&f->a, false);
	WAIT_UNTIL(f, f->a.conn != NULL && sp_conn_pending(f->a.conn) >= SP_CONN_OUT_BUDGET);
	/* Room for a's reading to go on, were it to. */
	run_for(f, SETTLE_MS);
	replies = f->a.replies;
	assert_true(replies < REQUESTS);
	assert_true(f->a.max_pending >= SP_CONN_OUT_BUDGET);
	assert_true(f->a.max_pending < SP_CONN_OUT_BUDGET + framed_reply);
	assert_true(sp_conn_pending(f->a.conn) >= SP_CONN_OUT_BUDGET);
	assert_int_equal(f->a.closed, 0);
	/* b sends nothing more and reads nothing: the backlog stalls. */
	f->a.mono += SP_CONN_STALL_MS;
	WAIT_UNTIL(f, f->a.closed == 1);
	assert_int_equal(f->a.replies, replies);
	assert_non_null(strstr(stats_of(&f->a).last_error,
	    "closing: it has not read what it asked for ("));
	assert_non_null(strstr(stats_of(&f->a).last_error, " bytes unsent) for 30 s"));
}

/* A raw TCP connection to s's listener from source address from; nonblocking once up. */
static int
raw_connect(fixture *f, const side *s, const char *from)
{
	struct sockaddr_in src, dst;
	const char *colon = strrchr(s->listen, ':');
	int fd;

	assert_non_null(colon);
	assert_true(f->nraw < MAX_RAW);
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, from, &src.sin_addr), 1);
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)atoi(colon + 1));
	assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr), 1);
	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&src, sizeof(src)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&dst, sizeof(dst)), 0);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	f->raw[f->nraw++] = fd;
	return fd;
}

/* Whether the listener closed the raw connection (it never sends a responder anything first). */
static bool
raw_closed(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, 0);

	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/* Opens a silent connection, lets the listener take it, then moves the clock on 1 ms. */
static int
raw_silent(fixture *f, side *s, const char *from)
{
	int fd = raw_connect(f, s, from);

	run_for(f, 20);
	s->mono++;
	return fd;
}

/*
 * 5. A connection that never starts its handshake is closed once 10 s of
 * the monotonic clock have passed since it was accepted, each counted from
 * its own start. Ticks come every TICK_MS of real time from the start, so
 * this takes milliseconds; with the first tick at the deadline in real
 * time (10 s), or the deadline on the wall clock, the waits run out.
 */
static void
test_handshake_timeout(void **state)
{
	fixture *f = *state;
	uint64_t t0 = f->b.mono;
	int first, second;

	side_start(&f->b, true);
	first = raw_connect(f, &f->b, "127.0.0.1");
	run_for(f, 20);
	f->b.mono = t0 + 5000;
	second = raw_connect(f, &f->b, "127.0.0.1");
	run_for(f, 20);
	f->b.mono = t0 + 9999;
	run_for(f, SETTLE_MS);
	assert_false(raw_closed(first));
	f->b.mono = t0 + 10000;
	WAIT_UNTIL(f, raw_closed(first));
	run_for(f, SETTLE_MS);
	assert_false(raw_closed(second));
	f->b.mono = t0 + 15000;
	WAIT_UNTIL(f, raw_closed(second));
}

/*
 * 6. At most 4 unfinished handshakes from one address: a fifth evicts the
 * oldest of that address, not the newcomer and not another address's.
 */
static void
test_handshakes_per_address(void **state)
{
	fixture *f = *state;
	int one[5], two[5];
	size_t i;

	side_start(&f->b, true);
	for (i = 0; i < 5; i++)
		one[i] = raw_silent(f, &f->b, "127.0.0.1");
	WAIT_UNTIL(f, raw_closed(one[0]));
	for (i = 0; i < 4; i++)
		two[i] = raw_silent(f, &f->b, "127.0.0.2");
	run_for(f, SETTLE_MS);
	for (i = 1; i < 5; i++)
		assert_false(raw_closed(one[i]));
	for (i = 0; i < 4; i++)
		assert_false(raw_closed(two[i]));
	/* A fifth from 127.0.0.2 evicts its own oldest, though 127.0.0.1's are older. */
	two[4] = raw_silent(f, &f->b, "127.0.0.2");
	WAIT_UNTIL(f, raw_closed(two[0]));
	run_for(f, SETTLE_MS);
	for (i = 1; i < 5; i++) {
		assert_false(raw_closed(one[i]));
		assert_false(raw_closed(two[i]));
	}
}

/*
 * Established connections of configured peers do not count against the
 * 64 connections a node keeps: there is one per peer at most, and a hub
 * keeps one for each community node below it. MANY_PEERS nodes dial b,
 * 4 at a time (b keeps 4 unfinished handshakes from one address), and
 * every connection stays.
 */
#define MANY_PEERS 72
static void
test_established_not_capped(void **state)
{
	fixture *f = *state;
	side *d;
	char name[16];
	size_t i;

	assert_non_null(d = calloc(MANY_PEERS, sizeof(*d)));
	for (i = 0; i < MANY_PEERS; i++) {
		side_open(&d[i], &f->loop);
		snprintf(name, sizeof(name), "d%zu", i);
		add_peer(&f->b, name, &d[i], "");
	}
	side_start(&f->b, true);
	for (i = 0; i < MANY_PEERS; i++) {
		add_peer(&d[i], "b", &f->b, f->b.listen);
		side_start(&d[i], false);
		if (i % 4 == 3)
			WAIT_UNTIL(f, f->b.established == i + 1);
	}
	run_for(f, SETTLE_MS);
	assert_int_equal(f->b.established, MANY_PEERS);
	assert_int_equal(f->b.closed, 0);
	for (i = 0; i < MANY_PEERS; i++) {
		assert_int_equal(d[i].established, 1);
		assert_int_equal(d[i].closed, 0);
		assert_int_equal(state_of(&d[i]), SP_PEER_SYNCING);
		side_close(&d[i]);
	}
	WAIT_UNTIL(f, f->b.closed == MANY_PEERS);
	run_for(f, SETTLE_MS);
	for (i = 0; i < MANY_PEERS; i++) {
		assert_int_equal(d[i].handler_errors, 0);
		side_free(&d[i]);
	}
	free(d);
}

/*
 * 5. PING is answered with a PONG of its nonce, whatever it is (1 to 9
 * bytes of msgpack): b reads one frame of the PING's size each, and the
 * layer above sees no keepalive. A PONG gets no answer.
 */
static void
test_ping_nonce(void **state)
{
	fixture *f = *state;
	static const uint64_t nonces[] = { 0, 200, 70000, 1ull << 40, UINT64_MAX };
	sp_peer_stats before;
	unsigned seen;
	sp_buf b;
	size_t k;

	connect_pair(f);
	seen = f->a.messages;
	for (k = 0; k < sizeof(nonces) / sizeof(nonces[0]); k++) {
		before = stats_of(&f->b);
		sp_buf_init(&b);
		sp_wire_ping(&b, SP_WIRE_PING, nonces[k]);
		assert_int_equal(sp_conn_send(f->b.conn, &b), 0);
		sp_buf_free(&b);
		WAIT_UNTIL(f, stats_of(&f->b).bytes_in > before.bytes_in);
		run_for(f, SETTLE_MS);
		assert_int_equal(stats_of(&f->b).bytes_in - before.bytes_in, ping_frame(nonces[k]));
	}
	before = stats_of(&f->b);
	sp_buf_init(&b);
	sp_wire_ping(&b, SP_WIRE_PONG, 5);
	assert_int_equal(sp_conn_send(f->b.conn, &b), 0);
	sp_buf_free(&b);
	run_for(f, SETTLE_MS);
	assert_int_equal(stats_of(&f->b).bytes_in, before.bytes_in);
	assert_int_equal(f->a.messages, seen);
	assert_int_equal(f->a.closed + f->b.closed, 0);
}

/*
 * 5. ERROR closes the connection: the receiver answers nothing, tells the
 * layer above nothing but that it closed, and keeps the text as the
 * peer's last error.
 */
static void
test_error_closes(void **state)
{
	fixture *f = *state;
	unsigned seen;
	sp_buf b;

	connect_pair(f);
	seen = f->a.messages;
	sp_buf_init(&b);
	sp_wire_error(&b, SP_EBUSY, "going away");
	assert_int_equal(sp_conn_send(f->b.conn, &b), 0);
	sp_buf_free(&b);
	WAIT_UNTIL(f, f->a.closed == 1);
	assert_int_equal(f->a.messages, seen);
	assert_string_equal(stats_of(&f->a).last_error, "the peer closed the connection: going away");
}

/*
 * A dial closed while its address is resolved (the peer removed, the
 * node stopping): the resolution, on libuv's thread pool, keeps the
 * connection's memory until its callback has run. The pool is held busy
 * so that the resolution is still queued when the connection's handles
 * have closed; were the memory freed with them, the pool would run a
 * request in freed memory (ASan reports it).
 */
static void
test_closed_while_resolving(void **state)
{
	fixture *f = *state;

	/* b's timers keep the loop turning once a has closed. */
	side_start(&f->b, true);
	pool_hold(f);
	add_peer(&f->a, "b", &f->b, f->b.listen);
	side_start(&f->a, false);
	/* The resolver's own timeouts bound a resolution: simpuld's clock does not. */
	f->a.mono += 60000;
	run_for(f, SETTLE_MS);
	assert_int_equal(state_of(&f->a), SP_PEER_CONNECTING);
	assert_string_equal(stats_of(&f->a).last_error, "");
	side_close(&f->a);
	/* The handles close; the resolution still waits for the pool. */
	run_for(f, SETTLE_MS);
	pool_release(f);
}

/*
 * An address on 127.0.0.1 ("127.0.0.1:PORT" in out) where nobody ever
 * speaks: a listener with a backlog of 0 that accepts nothing. The kernel
 * completes one connection into its queue; with drop_syns that one is
 * made here, and the kernel (Linux) then drops every SYN that comes, so a
 * client's connect waits for its own timeout (about 2 minutes). A closed
 * port does not (RST), nor can a non-routable address be relied on: where
 * this was written, a connect to 10.255.255.1 succeeded at once (the
 * sandbox's network answers for any address) and one to 192.0.2.1
 * (TEST-NET-1, its gateway) was refused.
 */
static void
quiet_address(fixture *f, bool drop_syns, char *out, size_t size)
{
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	int listener, queued;

	assert_true(f->nraw + 2 <= MAX_RAW);
	assert_true((listener = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	f->raw[f->nraw++] = listener;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(listener, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(listener, 0), 0);
	assert_int_equal(getsockname(listener, (struct sockaddr *)&sa, &salen), 0);
	snprintf(out, size, "127.0.0.1:%u", ntohs(sa.sin_port));
	if (!drop_syns)
		return;
	assert_true((queued = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	f->raw[f->nraw++] = queued;
	assert_int_equal(connect(queued, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

/*
 * A dial whose SYNs go unanswered gives up 10 s (of the monotonic clock)
 * after its connect began, not when the kernel does: the peer goes to
 * backoff with the reason as its last error. The reason also shows that
 * the address held the SYNs: connected, the dial would time out in its
 * handshake instead.
 */
static void
test_connect_timeout(void **state)
{
	fixture *f = *state;
	char addr[64], want[128];
	uint64_t t0 = f->a.mono;

	quiet_address(f, true, addr, sizeof(addr));
	add_peer(&f->a, "b", &f->b, addr);
	side_start(&f->a, false);
	/* The address is resolved and the connect begins, at t0. */
	run_for(f, SETTLE_MS);
	f->a.mono = t0 + 9999;
	run_for(f, SETTLE_MS);
	assert_int_equal(state_of(&f->a), SP_PEER_CONNECTING);
	assert_string_equal(stats_of(&f->a).last_error, "");
	f->a.mono = t0 + 10000;
	WAIT_UNTIL(f, state_of(&f->a) == SP_PEER_BACKOFF);
	snprintf(want, sizeof(want), "cannot connect to %s: no answer within 10 s", addr);
	assert_string_equal(stats_of(&f->a).last_error, want);
}

/*
 * Each stage of a dial has its own deadline. Here the resolution takes
 * 5 s of the monotonic clock (the thread pool held meanwhile), and the
 * address takes the connection but never answers the handshake: the
 * handshake times out 10 s after the connection, 15 s after the dial.
 */
static void
test_dial_deadlines(void **state)
{
	fixture *f = *state;
	char addr[64];
	uint64_t t0 = f->a.mono;

	quiet_address(f, false, addr, sizeof(addr));
	pool_hold(f);
	add_peer(&f->a, "b", &f->b, addr);
	side_start(&f->a, false);
	f->a.mono = t0 + 5000;
	run_for(f, SETTLE_MS);
	pool_release(f);
	/* Connected: the first handshake message is written. */
	WAIT_UNTIL(f, stats_of(&f->a).bytes_out > 0);
	f->a.mono = t0 + 14999;
	run_for(f, SETTLE_MS);
	assert_int_equal(state_of(&f->a), SP_PEER_CONNECTING);
	assert_string_equal(stats_of(&f->a).last_error, "");
	f->a.mono = t0 + 15000;
	WAIT_UNTIL(f, state_of(&f->a) == SP_PEER_BACKOFF);
	assert_string_equal(stats_of(&f->a).last_error, "handshake timed out");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_handshake_and_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wall_clock_jumps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ping_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ping_while_listening, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handshake_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handshakes_per_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_established_not_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ping_nonce, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closed_while_resolving, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dial_deadlines, setup, teardown),
	};

	/*
	 * One thread in libuv's pool (read when it first starts), so that one
	 * piece of work holds it (pool_hold).
	 */
	if (setenv("UV_THREADPOOL_SIZE", "1", 1) != 0)
		return 1;

	/* Closing a connection the other side already closed must not kill the test. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
