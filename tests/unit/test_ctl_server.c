/*
 * test_ctl_server.c - the control server on a real libuv loop (in its own
 * thread) and a real socket in a temporary directory, driven by the real
 * client of cli/client.c. Also the daemon's logging helpers.
 */
#include "sp_test.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "client.h"
#include "ctl_server.h"
#include "datadir.h"
#include "log.h"
#include "pack.h"
#include "sp_err.h"

/*
 * Checks in code running on the loop thread: cmocka's assertions jump back
 * into the test thread's stack, so these abort instead.
 */
#define LOOP_CHECK(x) do { \
	if (!(x)) { \
		fprintf(stderr, "%s:%d: loop thread check failed: %s\n", \
		    __FILE__, __LINE__, #x); \
		abort(); \
	} \
} while (0)

/* Streamed replies wait for the drain past this many queued bytes. */
#define STREAM_HIGH_WATER 65536

struct fx {
	char *dir;
	char sock[SP_PATH_MAX];
	uv_loop_t loop;
	uv_async_t wake;
	sp_ctl_server *srv;      /* loop thread only; NULL once closed */
	pthread_t thread;
	atomic_int server_closed;
	atomic_int handled;      /* requests handed to the handler */
	atomic_int finals;       /* final replies the handlers sent */
	atomic_int hooks_set;    /* on_close hooks installed */
	atomic_int hooks_run;
	atomic_int late_closing; /* sp_ctl_conn_closing() before the slow final */
	atomic_int late_ret;     /* the slow handler's final send */
	atomic_int more_ret;     /* the slow handler's first (MORE) send */
};

/* Handler-side state of a streamed or delayed reply. */
struct job {
	uv_timer_t timer;
	struct fx *fx;
	sp_ctl_conn *c;
	uint64_t n, i, size;
	int phase;
};

static void
hook(sp_ctl_conn *c, void *data)
{
	struct fx *fx = data;

	LOOP_CHECK(sp_ctl_conn_data(c) == fx);
	atomic_fetch_add(&fx->hooks_run, 1);
}

static void
set_hook(struct fx *fx, sp_ctl_conn *c)
{
	atomic_fetch_add(&fx->hooks_set, 1);
	sp_ctl_conn_set_data(c, fx, hook);
}

static int
send_final(struct fx *fx, sp_ctl_conn *c, sp_buf *b)
{
	atomic_fetch_add(&fx->finals, 1);
	return sp_ctl_conn_send(c, b, 1);
}

static void
reply_ok(struct fx *fx, sp_ctl_conn *c, const char *name, uint64_t v)
{
	sp_buf b;

	sp_buf_init(&b);
	sp_ctl_begin_reply(&b, SP_CTL_OK, 1);
	sp_pack_cstr(&b, name);
	sp_pack_uint(&b, v);
	(void)sp_ctl_end(&b, 0);
	(void)send_final(fx, c, &b);
}

/* Replies with the request's own fields. */
static void
do_echo(struct fx *fx, sp_ctl_conn *c, const sp_ctl_msg *req)
{
	sp_buf b;
	size_t i;

	sp_buf_init(&b);
	sp_ctl_begin_reply(&b, SP_CTL_OK, (uint32_t)req->nfields);
	for (i = 0; i < req->nfields; i++) {
		sp_pack_str(&b, req->fields[i].name, req->fields[i].name_len);
		sp_pack_raw(&b, req->fields[i].val, req->fields[i].val_len);
	}
	LOOP_CHECK(sp_ctl_end(&b, 0) == 0);
	LOOP_CHECK(send_final(fx, c, &b) == 0);
}

static void stream_step(struct job *j);

static void
stream_drained(sp_ctl_conn *c, void *arg)
{
	struct job *j = arg;

	LOOP_CHECK(c == j->c);
	LOOP_CHECK(sp_ctl_conn_pending(c) == 0);
	stream_step(j);
}

/* Sends MORE items until the queue is long, then waits for it to drain. */
static void
stream_step(struct job *j)
{
	uint8_t *pad = calloc(1, j->size + 1);
	sp_buf b;

	LOOP_CHECK(pad != NULL);
	sp_buf_init(&b);
	while (j->i < j->n && !sp_ctl_conn_closing(j->c)) {
		sp_ctl_begin_reply(&b, SP_CTL_MORE, 2);
		sp_pack_cstr(&b, "i");
		sp_pack_uint(&b, j->i);
		sp_pack_cstr(&b, "pad");
		sp_pack_bin(&b, pad, j->size);
		LOOP_CHECK(sp_ctl_end(&b, 0) == 0);
		j->i++;
		if (sp_ctl_conn_send(j->c, &b, 0) != 0)
			break;
		if (sp_ctl_conn_pending(j->c) > STREAM_HIGH_WATER) {
			free(pad);
			sp_ctl_conn_on_drain(j->c, stream_drained, j);
			return;
		}
	}
	free(pad);
	reply_ok(j->fx, j->c, "count", j->i);
	free(j);
}

static void
job_free(uv_handle_t *h)
{
	free(h->data);
}

/* Phase 1: a MORE reply; phase 2: the final one, which may find the peer gone. */
static void
slow_tick(uv_timer_t *t)
{
	struct job *j = t->data;
	sp_buf b;

	sp_buf_init(&b);
	if (j->phase++ == 0) {
		sp_ctl_begin_reply(&b, SP_CTL_MORE, 0);
		LOOP_CHECK(sp_ctl_end(&b, 0) == 0);
		atomic_store(&j->fx->more_ret, sp_ctl_conn_send(j->c, &b, 0));
		return;
	}
	atomic_store(&j->fx->late_closing, sp_ctl_conn_closing(j->c));
	sp_ctl_begin_reply(&b, SP_CTL_OK, 0);
	LOOP_CHECK(sp_ctl_end(&b, 0) == 0);
	atomic_store(&j->fx->late_ret, send_final(j->fx, j->c, &b));
	uv_close((uv_handle_t *)&j->timer, job_free);
}

static void
server_closed(void *arg)
{
	struct fx *fx = arg;

	atomic_store(&fx->server_closed, 1);
}

static void
handler(sp_ctl_conn *c, const sp_ctl_msg *req, void *arg)
{
	struct fx *fx = arg;
	struct job *j;
	uint64_t ms = 0;

	atomic_fetch_add(&fx->handled, 1);
	if (strcmp(req->cmd, "echo") == 0) {
		do_echo(fx, c, req);
	} else if (strcmp(req->cmd, "stream") == 0) {
		LOOP_CHECK((j = calloc(1, sizeof *j)) != NULL);
		j->fx = fx;
		j->c = c;
		LOOP_CHECK(sp_ctl_get_uint(req, "n", &j->n) == 0);
		LOOP_CHECK(sp_ctl_get_uint(req, "size", &j->size) == 0);
		set_hook(fx, c);
		stream_step(j);
	} else if (strcmp(req->cmd, "slow") == 0) {
		LOOP_CHECK((j = calloc(1, sizeof *j)) != NULL);
		j->fx = fx;
		j->c = c;
		j->timer.data = j;
		LOOP_CHECK(sp_ctl_get_uint(req, "ms", &ms) == 0);
		LOOP_CHECK(uv_timer_init(&fx->loop, &j->timer) == 0);
		LOOP_CHECK(uv_timer_start(&j->timer, slow_tick, ms, ms) == 0);
		set_hook(fx, c);
	} else if (strcmp(req->cmd, "stop") == 0) {
		/* The reply first: closing the server waits for it to be written. */
		reply_ok(fx, c, "stopping", 1);
		sp_ctl_server_close(fx->srv, server_closed, fx);
		fx->srv = NULL;
	} else {
		atomic_fetch_add(&fx->finals, 1);
		sp_ctl_conn_error(c, SP_EUNKNOWN_CMD, req->cmd);
	}
}

/* Runs on the loop thread when the test is over. */
static void
wake_cb(uv_async_t *a)
{
	struct fx *fx = a->data;

	if (fx->srv != NULL) {
		sp_ctl_server_close(fx->srv, server_closed, fx);
		fx->srv = NULL;
	}
	uv_close((uv_handle_t *)&fx->wake, NULL);
}

static void *
loop_thread(void *arg)
{
	struct fx *fx = arg;

	(void)uv_run(&fx->loop, UV_RUN_DEFAULT);
	return NULL;
}

static void
touch(const char *dir, const char *name)
{
	char path[SP_PATH_MAX];
	int fd;

	assert_int_equal(sp_path_join(path, sizeof path, dir, name), 0);
	assert_true((fd = open(path, O_CREAT | O_WRONLY, 0600)) >= 0);
	close(fd);
}

static struct fx *
fx_start(unsigned max_conns, uint64_t idle_ms)
{
	struct fx *fx = calloc(1, sizeof *fx);

	assert_non_null(fx);
	assert_non_null(fx->dir = sp_test_mkdtemp());
	touch(fx->dir, "node.key");
	assert_int_equal(sp_path_join(fx->sock, sizeof fx->sock, fx->dir,
	    "simpuld.sock"), 0);
	assert_int_equal(uv_loop_init(&fx->loop), 0);
	assert_int_equal(sp_ctl_server_start(&fx->loop, fx->sock, max_conns,
	    handler, fx, &fx->srv), 0);
	if (idle_ms != 0)
		sp_ctl_server_set_idle_timeout(fx->srv, idle_ms);
	assert_int_equal(uv_async_init(&fx->loop, &fx->wake, wake_cb), 0);
	fx->wake.data = fx;
	assert_int_equal(pthread_create(&fx->thread, NULL, loop_thread, fx), 0);
	return fx;
}

/*
 * Closes the server and lets the loop run dry: uv_loop_close succeeding
 * proves every handle was closed, and ASan's leak check that every
 * connection was freed.
 */
static void
fx_stop(struct fx *fx)
{
	assert_int_equal(uv_async_send(&fx->wake), 0);
	assert_int_equal(pthread_join(fx->thread, NULL), 0);
	assert_int_equal(uv_loop_close(&fx->loop), 0);
	assert_int_equal(atomic_load(&fx->server_closed), 1);
	assert_int_equal(atomic_load(&fx->finals), atomic_load(&fx->handled));
	assert_int_equal(atomic_load(&fx->hooks_run), atomic_load(&fx->hooks_set));
	/* The socket goes with the server. */
	assert_int_equal(access(fx->sock, F_OK), -1);
	sp_test_rmdir(fx->dir);
	free(fx);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Waits (up to 10 s) for the loop thread to bring *v to want. */
static void
wait_for(atomic_int *v, int want)
{
	int i;

	for (i = 0; i < 10000 && atomic_load(v) != want; i++)
		sleep_ms(1);
	assert_int_equal(atomic_load(v), want);
}

static sp_client *
connect_fx(struct fx *fx)
{
	sp_client *c;

	assert_int_equal(sp_client_connect(fx->dir, &c), 0);
	return c;
}

static void
send_raw(sp_client *c, const void *p, size_t len)
{
	sp_buf b;

	sp_buf_init(&b);
	assert_int_equal(sp_buf_append(&b, p, len), 0);
	assert_int_equal(sp_client_send(c, &b), 0);
	sp_buf_free(&b);
}

static void
send_echo(sp_client *c, const char *x, size_t pad)
{
	sp_buf b;
	uint8_t *bin = calloc(1, pad + 1);

	assert_non_null(bin);
	sp_buf_init(&b);
	sp_ctl_begin_request(&b, "echo", 2);
	sp_pack_cstr(&b, "x");
	sp_pack_cstr(&b, x);
	sp_pack_cstr(&b, "pad");
	sp_pack_bin(&b, bin, pad);
	assert_int_equal(sp_ctl_end(&b, 0), 0);
	assert_int_equal(sp_client_send(c, &b), 0);
	sp_buf_free(&b);
	free(bin);
}

static void
recv_echo(sp_client *c, const char *x, size_t pad)
{
	sp_ctl_msg m;
	const uint8_t *p;
	size_t len;
	char got[64];

	assert_int_equal(sp_client_recv(c, &m), 0);
	assert_int_equal(m.status, SP_CTL_OK);
	assert_int_equal(sp_ctl_get_cstr(&m, "x", got, sizeof got), 0);
	assert_string_equal(got, x);
	assert_int_equal(sp_ctl_get_bin(&m, "pad", &p, &len), 0);
	assert_int_equal(len, pad);
}

static void
echo(sp_client *c, const char *x)
{
	send_echo(c, x, 0);
	recv_echo(c, x, 0);
}

static void
send_simple(sp_client *c, const char *cmd, const char *name, uint64_t v,
    const char *name2, uint64_t v2)
{
	sp_buf b;

	sp_buf_init(&b);
	sp_ctl_begin_request(&b, cmd, name2 != NULL ? 2 : 1);
	sp_pack_cstr(&b, name);
	sp_pack_uint(&b, v);
	if (name2 != NULL) {
		sp_pack_cstr(&b, name2);
		sp_pack_uint(&b, v2);
	}
	assert_int_equal(sp_ctl_end(&b, 0), 0);
	assert_int_equal(sp_client_send(c, &b), 0);
	sp_buf_free(&b);
}

/* The next reply is an error reply with err, and then the server hangs up. */
static void
expect_error_then_close(sp_client *c, int err)
{
	sp_ctl_msg m;
	char name[64];

	assert_int_equal(sp_client_recv(c, &m), 0);
	assert_int_equal(m.status, err);
	assert_int_equal(sp_ctl_get_cstr(&m, "error", name, sizeof name), 0);
	assert_string_equal(name, sp_errname(err));
	assert_int_equal(sp_client_recv(c, &m), SP_EDISCONNECTED);
}

static void
test_echo(void **state)
{
	struct fx *fx = fx_start(4, 0);
	sp_client *c = connect_fx(fx);
	sp_ctl_msg m;

	(void)state;
	echo(c, "one");
	echo(c, "two");
	/* Large enough to arrive in many reads, both ways. */
	send_echo(c, "big", 3 * 1024 * 1024);
	recv_echo(c, "big", 3 * 1024 * 1024);
	/* Pipelined: the second request waits until the first is answered. */
	send_echo(c, "p1", 100000);
	send_echo(c, "p2", 10);
	recv_echo(c, "p1", 100000);
	recv_echo(c, "p2", 10);
	/* An unknown command is an error reply; the connection stays usable. */
	send_simple(c, "nope", "n", 1, NULL, 0);
	assert_int_equal(sp_client_recv(c, &m), 0);
	assert_int_equal(m.status, SP_EUNKNOWN_CMD);
	echo(c, "three");
	sp_client_close(c);
	fx_stop(fx);
}

static void
test_stream(void **state)
{
	struct fx *fx = fx_start(4, 0);
	sp_client *c = connect_fx(fx);
	sp_ctl_msg m;
	uint64_t i, v;

	(void)state;
	send_simple(c, "stream", "n", 3000, "size", 1000);
	for (i = 0; i < 3000; i++) {
		assert_int_equal(sp_client_recv(c, &m), 0);
		assert_int_equal(m.status, SP_CTL_MORE);
		assert_int_equal(sp_ctl_get_uint(&m, "i", &v), 0);
		assert_int_equal(v, i);
	}
	assert_int_equal(sp_client_recv(c, &m), 0);
	assert_int_equal(m.status, SP_CTL_OK);
	assert_int_equal(sp_ctl_get_uint(&m, "count", &v), 0);
	assert_int_equal(v, 3000);
	/* Back to reading requests after the final reply. */
	echo(c, "after");
	sp_client_close(c);
	fx_stop(fx);
}

/* The client leaves in the middle of a long stream. */
static void
test_stream_disconnect(void **state)
{
	struct fx *fx = fx_start(4, 0);
	sp_client *c = connect_fx(fx);
	sp_ctl_msg m;
	int i;

	(void)state;
	send_simple(c, "stream", "n", 1000000, "size", 1000);
	for (i = 0; i < 10; i++) {
		assert_int_equal(sp_client_recv(c, &m), 0);
		assert_int_equal(m.status, SP_CTL_MORE);
	}
	sp_client_close(c);
	wait_for(&fx->finals, 1);
	wait_for(&fx->hooks_run, 1);
	fx_stop(fx);
}

/*
 * An asynchronous handler answers after the client is gone: its first
 * write fails, the connection closes, the hook runs, and the connection
 * stays allocated until the final reply, which is dropped.
 */
static void
test_async_after_disconnect(void **state)
{
	struct fx *fx = fx_start(4, 0);
	sp_client *c = connect_fx(fx);

	(void)state;
	send_simple(c, "slow", "ms", 50, NULL, 0);
	sp_client_close(c);
	wait_for(&fx->finals, 1);
	assert_int_equal(atomic_load(&fx->late_closing), 1);
	assert_int_equal(atomic_load(&fx->late_ret), SP_EDISCONNECTED);
	wait_for(&fx->hooks_run, 1);
	fx_stop(fx);
}

/* The server closes while a handler is at work; it waits for the handler. */
static void
test_async_server_close(void **state)
{
	struct fx *fx = fx_start(4, 0);
	sp_client *c = connect_fx(fx);
	sp_ctl_msg m;

	(void)state;
	send_simple(c, "slow", "ms", 100, NULL, 0);
	wait_for(&fx->handled, 1);
	/* The loop runs dry only once the handler has sent its final reply. */
	assert_int_equal(uv_async_send(&fx->wake), 0);
	assert_int_equal(pthread_join(fx->thread, NULL), 0);
	assert_int_equal(atomic_load(&fx->finals), 1);
	assert_int_equal(atomic_load(&fx->late_closing), 1);
	assert_int_equal(atomic_load(&fx->more_ret), SP_EDISCONNECTED);
	assert_int_equal(atomic_load(&fx->late_ret), SP_EDISCONNECTED);
	assert_int_equal(sp_client_recv(c, &m), SP_EDISCONNECTED);
	sp_client_close(c);
	assert_int_equal(uv_loop_close(&fx->loop), 0);
	assert_int_equal(atomic_load(&fx->server_closed), 1);
	assert_int_equal(atomic_load(&fx->hooks_run), 1);
	sp_test_rmdir(fx->dir);
	free(fx);
}

static void
test_bad_frames(void **state)
{
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff };
	static const uint8_t over[] = { 0x00, 0x40, 0x00, 0x01 };
	static const uint8_t zero[] = { 0, 0, 0, 0 };
	static const uint8_t garbage[] = { 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o' };
	/* [2, "echo", {}]: another protocol version. */
	static const uint8_t v2[] = { 0, 0, 0, 8, 0x93, 0x02, 0xa4, 'e', 'c',
	    'h', 'o', 0x80 };
	/* [1, "echo", {"a": 1, "a": 2}] */
	static const uint8_t dup[] = { 0, 0, 0, 14, 0x93, 0x01, 0xa4, 'e', 'c',
	    'h', 'o', 0x82, 0xa1, 'a', 0x01, 0xa1, 'a', 0x02 };
	static const struct {
		const uint8_t *p;
		size_t len;
		int err;
	} cases[] = {
		{ huge, sizeof huge, SP_EFRAME_TOO_BIG },
		{ over, sizeof over, SP_EFRAME_TOO_BIG },
		{ zero, sizeof zero, SP_EFRAME },
		{ garbage, sizeof garbage, SP_EFRAME },
		{ v2, sizeof v2, SP_EPROTO_VERSION },
		{ dup, sizeof dup, SP_EDUPKEY },
	};
	struct fx *fx = fx_start(4, 0);
	uint8_t junk[65536];
	sp_client *c;
	size_t i;

	(void)state;
	memset(junk, 0x5a, sizeof junk);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		c = connect_fx(fx);
		send_raw(c, cases[i].p, cases[i].len);
		expect_error_then_close(c, cases[i].err);
		sp_client_close(c);
	}
	/* An oversized header followed by more bytes than the socket buffers. */
	c = connect_fx(fx);
	send_raw(c, huge, sizeof huge);
	for (i = 0; i < 64; i++) {
		sp_buf b;
		int r;

		sp_buf_init(&b);
		assert_int_equal(sp_buf_append(&b, junk, sizeof junk), 0);
		r = sp_client_send(c, &b);
		sp_buf_free(&b);
		if (r != 0) {
			assert_int_equal(r, SP_EDISCONNECTED);
			break;
		}
	}
	sp_client_close(c);
	/* A request cut short by the client's exit. */
	c = connect_fx(fx);
	send_raw(c, dup, 9);
	sp_client_close(c);
	/* The server is still fine. */
	c = connect_fx(fx);
	echo(c, "still here");
	sp_client_close(c);
	assert_int_equal(atomic_load(&fx->handled), 1);
	fx_stop(fx);
}

static void
test_socket_mode(void **state)
{
	struct fx *fx;
	struct stat st;
	mode_t old = umask(0);

	(void)state;
	fx = fx_start(4, 0);
	umask(old);
	assert_int_equal(lstat(fx->sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	fx_stop(fx);
}

/* Makes a socket file nobody listens on, as a killed daemon leaves. */
static void
make_stale_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof sa.sun_path);
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	close(fd);
}

static void
noop_handler(sp_ctl_conn *c, const sp_ctl_msg *req, void *arg)
{
	(void)req;
	(void)arg;
	sp_ctl_conn_error(c, SP_EUNKNOWN_CMD, NULL);
}

static void
test_start_and_connect_errors(void **state)
{
	char *dir = sp_test_mkdtemp();
	char sock[SP_PATH_MAX], longpath[200];
	uv_loop_t loop;
	sp_ctl_server *s;
	sp_client *c;
	int fd;

	(void)state;
	assert_int_equal(sp_path_join(sock, sizeof sock, dir, "simpuld.sock"), 0);
	/* Not initialised, then initialised but no daemon, then a stale socket. */
	assert_int_equal(sp_client_connect(dir, &c), SP_ENOINIT);
	assert_null(c);
	touch(dir, "node.key");
	assert_int_equal(sp_client_connect(dir, &c), SP_ENODAEMON);
	make_stale_socket(sock);
	assert_int_equal(sp_client_connect(dir, &c), SP_ENODAEMON);

	assert_int_equal(uv_loop_init(&loop), 0);
	/* The stale socket is replaced. */
	assert_int_equal(sp_ctl_server_start(&loop, sock, 1, noop_handler, NULL, &s), 0);
	assert_int_equal(sp_client_connect(dir, &c), 0);
	sp_client_close(c);
	sp_ctl_server_close(s, NULL, NULL);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(access(sock, F_OK), -1);
	/* A file that is not a socket is not ours to remove. */
	assert_true((fd = open(sock, O_CREAT | O_WRONLY, 0600)) >= 0);
	close(fd);
	assert_int_equal(sp_ctl_server_start(&loop, sock, 1, noop_handler, NULL, &s),
	    SP_EEXIST);
	assert_null(s);
	assert_int_equal(access(sock, F_OK), 0);
	/* Paths longer than a socket address can hold are refused, not cut. */
	memset(longpath, 'a', sizeof longpath);
	longpath[0] = '/';
	longpath[sizeof longpath - 1] = '\0';
	assert_int_equal(sp_ctl_server_start(&loop, longpath, 1, noop_handler,
	    NULL, &s), -ENAMETOOLONG);
	assert_int_equal(sp_client_connect(longpath, &c), -ENAMETOOLONG);
	/*
	 * A failed bind still cleans up after one turn of the loop. (libuv
	 * reports a missing directory as EACCES, hence no exact code.)
	 */
	assert_int_not_equal(sp_ctl_server_start(&loop, "/nonexistent-dir/s.sock",
	    1, noop_handler, NULL, &s), 0);
	assert_null(s);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	sp_test_rmdir(dir);
}

/* The next reply is SP_EBUSY, with a detail that contains want; then the server hangs up. */
static void
expect_busy(sp_client *c, const char *want)
{
	sp_ctl_msg m;
	char detail[256];

	assert_int_equal(sp_client_recv(c, &m), 0);
	assert_int_equal(m.status, SP_EBUSY);
	assert_int_equal(sp_ctl_get_cstr(&m, "detail", detail, sizeof detail), 0);
	assert_non_null(strstr(detail, want));
	assert_int_equal(sp_client_recv(c, &m), SP_EDISCONNECTED);
}

/*
 * At the cap a newcomer is served, and the connection idle longest is
 * closed with a busy reply saying why (it used to be the newcomer that was
 * refused, so that idle connections locked every command out).
 */
static void
test_conn_cap_evicts_idlest(void **state)
{
	struct fx *fx = fx_start(2, 0);
	sp_client *a = connect_fx(fx), *b = connect_fx(fx), *c;

	(void)state;
	/* A round trip each makes sure both were admitted, a first. */
	echo(a, "a");
	sleep_ms(20);
	echo(b, "b");
	c = connect_fx(fx);
	echo(c, "c");
	expect_busy(a, "without a request");
	echo(b, "b again");
	sp_client_close(a);
	/* Now c is the one idle longest. */
	sleep_ms(20);
	echo(b, "b once more");
	a = connect_fx(fx);
	echo(a, "a again");
	expect_busy(c, "to admit a new connection");
	echo(b, "b still");
	sp_client_close(a);
	sp_client_close(b);
	sp_client_close(c);
	fx_stop(fx);
}

/* A sender stalled in the middle of a request is idle too. */
static void
test_conn_cap_evicts_stalled(void **state)
{
	struct fx *fx = fx_start(2, 0);
	sp_client *a = connect_fx(fx), *b = connect_fx(fx), *c;

	(void)state;
	echo(a, "a");
	send_raw(a, "\0\0\0\x20\x93", 5);
	sleep_ms(20);
	echo(b, "b");
	c = connect_fx(fx);
	echo(c, "c");
	expect_busy(a, "without a request");
	echo(b, "b again");
	sp_client_close(a);
	sp_client_close(b);
	sp_client_close(c);
	fx_stop(fx);
}

/*
 * When every admitted connection has a handler at work, the newcomer is
 * refused with a busy reply, which it can read even when it was still
 * sending (a request larger than the socket buffers) as the server hung
 * up: simpul reports "busy", not "connection lost".
 */
static void
test_conn_cap_all_at_work(void **state)
{
	struct fx *fx = fx_start(2, 0);
	sp_client *a = connect_fx(fx), *b = connect_fx(fx), *c;
	sp_ctl_msg m;
	sp_buf big;
	uint8_t *pad = calloc(1, 2 * 1024 * 1024);
	int r, i;

	(void)state;
	assert_non_null(pad);
	send_simple(a, "slow", "ms", 300, NULL, 0);
	send_simple(b, "slow", "ms", 300, NULL, 0);
	wait_for(&fx->handled, 2);
	c = connect_fx(fx);
	sp_buf_init(&big);
	sp_ctl_begin_request(&big, "echo", 1);
	sp_pack_cstr(&big, "pad");
	sp_pack_bin(&big, pad, 2 * 1024 * 1024);
	assert_int_equal(sp_ctl_end(&big, 0), 0);
	r = sp_client_send(c, &big);
	assert_true(r == 0 || r == SP_EDISCONNECTED);
	expect_busy(c, "have a command at work");
	sp_client_close(c);
	sp_buf_free(&big);
	free(pad);
	/* The two at work are answered, and then a newcomer is served again. */
	for (i = 0; i < 2; i++) {
		sp_client *x = i == 0 ? a : b;

		assert_int_equal(sp_client_recv(x, &m), 0);
		assert_int_equal(m.status, SP_CTL_MORE);
		assert_int_equal(sp_client_recv(x, &m), 0);
		assert_int_equal(m.status, SP_CTL_OK);
	}
	c = connect_fx(fx);
	echo(c, "c");
	sp_client_close(a);
	sp_client_close(b);
	sp_client_close(c);
	fx_stop(fx);
}

/* This process's private data mappings, in KiB (VmData in /proc/self/status). */
static long
vm_data_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	assert_non_null(f);
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmData: %ld kB", &kib) == 1)
			break;
	fclose(f);
	assert_true(kib > 0);
	return kib;
}

/*
 * Headers declaring the largest frame, followed by a few bytes, cost a few
 * KiB each: the buffer grows as bytes arrive. (It was allocated whole at
 * the header: 16 connections held 64 MiB of address space. Untouched
 * pages are not resident, so the address space is what shows it.)
 */
static void
test_header_costs_nothing(void **state)
{
	static const uint8_t hdr[] = { 0x00, 0x40, 0x00, 0x00, 0x93, 0x01, 0xa4 };
	struct fx *fx = fx_start(32, 0);
	sp_client *c[16], *probe;
	long before;
	size_t i;

	(void)state;
	/* A first round trip sets up what the loop allocates once. */
	probe = connect_fx(fx);
	echo(probe, "warm");
	before = vm_data_kib();
	for (i = 0; i < 16; i++) {
		c[i] = connect_fx(fx);
		send_raw(c[i], hdr, sizeof hdr);
	}
	/* The headers were there before this request: once it is answered, all were read. */
	echo(probe, "synced");
	assert_true(vm_data_kib() - before < 8 * 1024);
	for (i = 0; i < 16; i++)
		sp_client_close(c[i]);
	sp_client_close(probe);
	fx_stop(fx);
}

static void
test_idle_timeout(void **state)
{
	struct fx *fx = fx_start(4, 100);
	sp_client *c;
	sp_ctl_msg m;

	(void)state;
	/* Half a header, then nothing. */
	c = connect_fx(fx);
	send_raw(c, "\0\0", 2);
	sleep_ms(300);
	assert_int_equal(sp_client_recv(c, &m), SP_EDISCONNECTED);
	sp_client_close(c);
	/* Idle between requests. */
	c = connect_fx(fx);
	echo(c, "x");
	sleep_ms(300);
	assert_int_equal(sp_client_recv(c, &m), SP_EDISCONNECTED);
	sp_client_close(c);
	/* A handler at work is not idle. */
	c = connect_fx(fx);
	send_simple(c, "slow", "ms", 150, NULL, 0);
	assert_int_equal(sp_client_recv(c, &m), 0);
	assert_int_equal(m.status, SP_CTL_MORE);
	assert_int_equal(sp_client_recv(c, &m), 0);
	assert_int_equal(m.status, SP_CTL_OK);
	assert_int_equal(atomic_load(&fx->late_ret), 0);
	sp_client_close(c);
	fx_stop(fx);
}

/* A "stop" handler replies, then closes the server: the reply still arrives. */
static void
test_stop_reply(void **state)
{
	struct fx *fx = fx_start(4, 0);
	sp_client *c = connect_fx(fx);
	sp_ctl_msg m;
	uint64_t v;

	(void)state;
	send_simple(c, "stop", "now", 1, NULL, 0);
	assert_int_equal(sp_client_recv(c, &m), 0);
	assert_int_equal(m.status, SP_CTL_OK);
	assert_int_equal(sp_ctl_get_uint(&m, "stopping", &v), 0);
	assert_int_equal(sp_client_recv(c, &m), SP_EDISCONNECTED);
	sp_client_close(c);
	wait_for(&fx->server_closed, 1);
	assert_int_equal(sp_client_connect(fx->dir, &c), SP_ENODAEMON);
	fx_stop(fx);
}

static void
test_log_escape(void **state)
{
	char out[16];
	enum sp_log_level l;

	(void)state;
	assert_string_equal(sp_log_escape(out, sizeof out, "ab\n\\\xff", 5),
	    "ab\\x0a\\x5c\\xff");
	/* Cut to fit, never in the middle of an escape. */
	assert_string_equal(sp_log_escape(out, 8, "abc\x01zz", 6), "abc\\x01");
	assert_string_equal(sp_log_escape(out, 7, "abc\x01zz", 6), "abc");
	assert_string_equal(sp_log_escape(out, 1, "abc", 3), "");
	assert_int_equal(sp_log_parse_level("debug", &l), 0);
	assert_int_equal(l, SP_LOG_DEBUG);
	assert_int_equal(sp_log_parse_level("warn", &l), 0);
	assert_int_equal(l, SP_LOG_WARN);
	assert_int_equal(sp_log_parse_level("WARN", &l), SP_EINVAL);
	assert_int_equal(sp_log_parse_level("", &l), SP_EINVAL);
}

/* Captures what one log call writes to stderr. */
static void
test_log_line(void **state)
{
	char got[4096], want[128];
	int fds[2], saved;
	ssize_t n;
	enum sp_log_level old = sp_log_threshold;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	saved = dup(STDERR_FILENO);
	assert_int_equal(dup2(fds[1], STDERR_FILENO), STDERR_FILENO);
	sp_log_set_level(SP_LOG_INFO);
	log_info("hello %d\nforged", 42);
	log_debug("not shown %d", 1);
	sp_log_set_level(SP_LOG_DEBUG);
	log_debug("%s", "shown");
	sp_log_set_level(old);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	close(fds[1]);
	n = read(fds[0], got, sizeof got - 1);
	close(fds[0]);
	assert_true(n > 0);
	got[n] = '\0';
	snprintf(want, sizeof want,
	    "simpuld[%ld]: INFO test_log_line: hello 42?forged\n"
	    "simpuld[%ld]: DEBUG test_log_line: shown\n",
	    (long)getpid(), (long)getpid());
	assert_string_equal(got, want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_stream_disconnect),
		cmocka_unit_test(test_async_after_disconnect),
		cmocka_unit_test(test_async_server_close),
		cmocka_unit_test(test_bad_frames),
		cmocka_unit_test(test_socket_mode),
		cmocka_unit_test(test_start_and_connect_errors),
		cmocka_unit_test(test_conn_cap_evicts_idlest),
		cmocka_unit_test(test_conn_cap_evicts_stalled),
		cmocka_unit_test(test_conn_cap_all_at_work),
		cmocka_unit_test(test_header_costs_nothing),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_stop_reply),
		cmocka_unit_test(test_log_escape),
		cmocka_unit_test(test_log_line),
	};

	/* A client that hangs up must be a write error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
