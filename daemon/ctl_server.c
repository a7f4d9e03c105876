#include "ctl_server.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "sp_err.h"

/* A connection must deliver a whole request this long after it starts waiting. */
#define IDLE_TIMEOUT_MS 60000
/* Time a closing connection gets to take the replies already queued for it. */
#define LINGER_MS 5000
#define LISTEN_BACKLOG 16
/*
 * A request's buffer starts this small and doubles as its bytes arrive, up
 * to the length its header declares: a header alone costs nothing.
 */
#define PAYLOAD_FIRST_ALLOC 4096

/* What a careless script can make us log again and again: rate-limited. */
enum ctl_event {
	EV_EVICTED,
	EV_REFUSED,
	EV_COUNT
};
static const char *const ctl_event_names[EV_COUNT] = {
	[EV_EVICTED] = "evictions of idle control connections",
	[EV_REFUSED] = "refusals of control connections",
};

struct sp_ctl_server {
	uv_pipe_t pipe;
	uv_timer_t log_timer;    /* reports what the rate limits held back */
	sp_ctl_handler handler;
	void *arg;
	unsigned max_conns;
	unsigned nadmitted;      /* connections counted against max_conns */
	uint64_t idle_ms;
	sp_ctl_conn *conns;      /* every connection not yet freed */
	char *path;
	sp_log_limit limits[EV_COUNT];
	bool closing;
	unsigned handles_open;   /* pipe and log_timer, until their close callbacks */
	void (*close_cb)(void *arg);
	void *close_arg;
};

struct sp_ctl_conn {
	uv_pipe_t pipe;
	uv_timer_t timer;        /* idle timeout; linger limit once closing */
	sp_ctl_server *srv;
	sp_ctl_conn *prev, *next;
	/*
	 * One reference per libuv handle not yet closed (pipe, timer) and one
	 * while a handler holds a request. The memory goes with the last one,
	 * so a handler replying late to a vanished peer never touches freed
	 * memory, and a vanished peer never leaves the connection behind.
	 */
	unsigned refs;
	/*
	 * Counted against max_conns: from admission until the connection
	 * starts closing or is refused, or, if a handler holds its request
	 * then, until the handler's final reply.
	 */
	bool admitted;
	bool closing;            /* uv_close called; sends are dropped */
	bool busy;               /* the handler holds a request */
	bool close_after_write;  /* close once the write queue is empty */
	bool on_close_ran;
	uint64_t idle_since;     /* loop time of the last byte or final reply */
	/*
	 * The request being read. Reads go straight into hdr, then payload,
	 * and never past the end of the frame: a second request sent early
	 * waits in the socket until this one has its final reply. payload
	 * grows as bytes arrive (PAYLOAD_FIRST_ALLOC, doubling), never past
	 * payload_len.
	 */
	uint8_t hdr[SP_CTL_HDR_BYTES];
	size_t hdr_have;
	uint8_t *payload;
	uint32_t payload_len;
	size_t payload_cap;
	size_t payload_have;
	sp_ctl_msg req;
	size_t pending;          /* bytes handed to uv_write, not yet written */
	void (*drain_cb)(sp_ctl_conn *c, void *arg);
	void *drain_arg;
	void *data;
	void (*on_close)(sp_ctl_conn *c, void *data);
};

/* One uv_write of one sp_buf's memory, which it owns until the callback. */
struct ctl_write {
	uv_write_t req;
	uint8_t *data;
	size_t len;
	bool final;
};

static void conn_close(sp_ctl_conn *c);

static void
server_maybe_done(sp_ctl_server *s)
{
	void (*cb)(void *arg) = s->close_cb;
	void *arg = s->close_arg;

	if (!s->closing || s->handles_open != 0 || s->conns != NULL)
		return;
	free(s->path);
	free(s);
	if (cb != NULL)
		cb(arg);
}

static void
server_handle_closed(uv_handle_t *h)
{
	sp_ctl_server *s = h->data;

	s->handles_open--;
	server_maybe_done(s);
}

/* Closes the listening pipe and the log timer; the server goes once all is closed. */
static void
server_close_handles(sp_ctl_server *s)
{
	s->closing = true;
	uv_close((uv_handle_t *)&s->pipe, server_handle_closed);
	uv_close((uv_handle_t *)&s->log_timer, server_handle_closed);
}

static void log_timer_cb(uv_timer_t *t);

/* Sets the log timer for the first period to end with occurrences held back. */
static void
arm_log_timer(sp_ctl_server *s)
{
	uint64_t now = uv_now(s->pipe.loop), when = UINT64_MAX;
	unsigned i;

	for (i = 0; i < EV_COUNT; i++)
		if (s->limits[i].suppressed != 0 && s->limits[i].until_ms < when)
			when = s->limits[i].until_ms;
	if (when != UINT64_MAX)
		(void)uv_timer_start(&s->log_timer, log_timer_cb, when > now ? when - now : 0, 0);
}

/* Summary lines for what the rate limits held back, once their period is over. */
static void
log_timer_cb(uv_timer_t *t)
{
	sp_ctl_server *s = t->data;
	uint64_t now = uv_now(t->loop);
	unsigned i, n;

	for (i = 0; i < EV_COUNT; i++)
		if ((n = sp_log_limit_flush(&s->limits[i], now)) != 0)
			log_warn("%u more %s in the last %d s", n, ctl_event_names[i],
			    SP_LOG_LIMIT_MS / 1000);
	arm_log_timer(s);
}

/*
 * An occurrence of ev: true if its line is to be logged now. One held
 * back is counted, and reported when its period is over.
 */
static bool
log_event(sp_ctl_server *s, enum ctl_event ev)
{
	unsigned missed;

	if (sp_log_limit_pass(&s->limits[ev], uv_now(s->pipe.loop), &missed)) {
		if (missed != 0)
			log_warn("%u more %s since the last such line", missed, ctl_event_names[ev]);
		return true;
	}
	arm_log_timer(s);
	return false;
}

static void
run_on_close(sp_ctl_conn *c)
{
	if (c->on_close != NULL && !c->on_close_ran) {
		c->on_close_ran = true;
		c->on_close(c, c->data);
	}
}

static void
conn_unadmit(sp_ctl_conn *c)
{
	if (c->admitted) {
		c->admitted = false;
		c->srv->nadmitted--;
	}
}

static void
conn_drop_payload(sp_ctl_conn *c)
{
	free(c->payload);
	c->payload = NULL;
	c->payload_cap = 0;
}

static void
conn_free(sp_ctl_conn *c)
{
	sp_ctl_server *s = c->srv;

	/* A hook set after the connection started closing runs now. */
	run_on_close(c);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	conn_unadmit(c);
	free(c->payload);
	free(c);
	server_maybe_done(s);
}

static void
conn_unref(sp_ctl_conn *c)
{
	assert(c->refs > 0);
	if (--c->refs == 0)
		conn_free(c);
}

static void
conn_handle_closed(uv_handle_t *h)
{
	conn_unref(h->data);
}

static void
conn_close(sp_ctl_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	/* A handler at work still holds its slot until its final reply. */
	if (!c->busy)
		conn_unadmit(c);
	run_on_close(c);
	uv_close((uv_handle_t *)&c->pipe, conn_handle_closed);
	uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
}

static void
conn_timer_cb(uv_timer_t *t)
{
	sp_ctl_conn *c = t->data;

	if (c->close_after_write)
		log_debug("control client did not take its replies; closing");
	else
		log_debug("control client sent no request in time; closing");
	conn_close(c);
}

/*
 * Closes c once the replies already queued are written (bounded by
 * LINGER_MS). A connection whose handler is still at work closes at once:
 * the handler learns it from sp_ctl_conn_closing and its sends are dropped.
 */
static void
conn_close_soon(sp_ctl_conn *c)
{
	if (c->closing)
		return;
	if (c->pending == 0 || c->busy) {
		conn_close(c);
		return;
	}
	c->close_after_write = true;
	(void)uv_read_stop((uv_stream_t *)&c->pipe);
	if (uv_timer_start(&c->timer, conn_timer_cb, LINGER_MS, 0) != 0)
		conn_close(c);
}

static void
conn_drain(sp_ctl_conn *c)
{
	void (*cb)(sp_ctl_conn *c, void *arg) = c->drain_cb;

	if (cb == NULL || c->pending != 0)
		return;
	c->drain_cb = NULL;
	cb(c, c->drain_arg);
}

static void conn_wait_request(sp_ctl_conn *c);

static void
conn_write_cb(uv_write_t *req, int status)
{
	struct ctl_write *w = (struct ctl_write *)req;
	sp_ctl_conn *c = req->handle->data;
	bool final = w->final;

	c->pending -= w->len;
	free(w->data);
	free(w);
	if (status < 0) {
		if (status != UV_ECANCELED)
			log_debug("control client gone: %s", uv_strerror(status));
		conn_close(c);
	} else if (c->closing) {
		/* Written just before the close; nothing more to do. */
	} else if (c->close_after_write) {
		if (c->pending == 0)
			conn_close(c);
	} else if (final) {
		conn_wait_request(c);
	}
	/*
	 * Also when the connection closed: a handler waiting for the drain
	 * must run to see sp_ctl_conn_closing and send its final reply.
	 */
	conn_drain(c);
}

/* Queues frame's memory for writing; frame is left empty. */
static int
conn_write(sp_ctl_conn *c, sp_buf *frame, bool final)
{
	struct ctl_write *w;
	uv_buf_t buf;
	int r;

	if ((w = malloc(sizeof *w)) == NULL) {
		sp_buf_free(frame);
		conn_close(c);
		return SP_ENOMEM;
	}
	w->data = frame->data;
	w->len = frame->len;
	w->final = final;
	sp_buf_init(frame);
	/* SP_BUF_MAX keeps any buffer's length within an unsigned int. */
	buf = uv_buf_init((char *)w->data, (unsigned int)w->len);
	if ((r = uv_write(&w->req, (uv_stream_t *)&c->pipe, &buf, 1,
	    conn_write_cb)) != 0) {
		free(w->data);
		free(w);
		conn_close(c);
		return r;
	}
	c->pending += w->len;
	return 0;
}

/*
 * A request that cannot be served (malformed, too big, too many
 * connections, evicted): say why, then close once that is written. The
 * connection no longer counts against the cap, and the part of a request
 * it had read goes at once. On a Unix socket the reply stays readable for
 * the client even if it is still sending when the connection closes.
 */
static void
conn_fail(sp_ctl_conn *c, int err, const char *detail)
{
	sp_buf b;

	assert(!c->busy);
	log_debug("refusing control request: %s", sp_errname(err));
	(void)uv_read_stop((uv_stream_t *)&c->pipe);
	conn_unadmit(c);
	conn_drop_payload(c);
	sp_buf_init(&b);
	if (sp_ctl_error_reply(&b, err, detail) == 0)
		(void)conn_write(c, &b, false);
	sp_buf_free(&b);
	conn_close_soon(c);
}

/*
 * Room for the payload's next bytes: the buffer doubles when it is full.
 * Without memory the buffer is empty, which libuv reports as UV_ENOBUFS.
 */
static void
conn_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	sp_ctl_conn *c = h->data;
	size_t cap;
	uint8_t *p;

	(void)suggested;
	if (c->hdr_have < SP_CTL_HDR_BYTES) {
		*buf = uv_buf_init((char *)c->hdr + c->hdr_have,
		    (unsigned int)(SP_CTL_HDR_BYTES - c->hdr_have));
		return;
	}
	if (c->payload_have == c->payload_cap) {
		cap = c->payload_cap == 0 ? PAYLOAD_FIRST_ALLOC : 2 * c->payload_cap;
		if (cap > c->payload_len)
			cap = c->payload_len;
		if ((p = realloc(c->payload, cap)) == NULL) {
			*buf = uv_buf_init(NULL, 0);
			return;
		}
		c->payload = p;
		c->payload_cap = cap;
	}
	/* SP_CTL_FRAME_MAX keeps the length within an unsigned int. */
	*buf = uv_buf_init((char *)c->payload + c->payload_have,
	    (unsigned int)(c->payload_cap - c->payload_have));
}

/* The whole payload is in: decode it and hand it to the handler. */
static void
conn_dispatch(sp_ctl_conn *c)
{
	int r;

	if ((r = sp_ctl_decode_request(c->payload, c->payload_len, &c->req)) != 0) {
		conn_fail(c, r, NULL);
		return;
	}
	(void)uv_read_stop((uv_stream_t *)&c->pipe);
	(void)uv_timer_stop(&c->timer);
	c->busy = true;
	c->refs++;
	log_debug("control request %s", c->req.cmd);
	/* The handler may free c (a final reply after a close): hands off. */
	c->srv->handler(c, &c->req, c->srv->arg);
}

static void
conn_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	sp_ctl_conn *c = stream->data;
	int r;

	(void)buf;
	if (nread == UV_ENOBUFS) {
		conn_fail(c, SP_ENOMEM, NULL);
		return;
	}
	if (nread < 0) {
		if (nread != UV_EOF)
			log_debug("control read: %s", uv_strerror((int)nread));
		conn_close(c);
		return;
	}
	if (nread == 0)
		return; /* EAGAIN */
	c->idle_since = uv_now(stream->loop);
	if (c->hdr_have < SP_CTL_HDR_BYTES) {
		c->hdr_have += (size_t)nread;
		/* Bound the length before anything is allocated for it. */
		if (c->hdr_have == SP_CTL_HDR_BYTES &&
		    (r = sp_ctl_frame_len(c->hdr, &c->payload_len)) != 0)
			conn_fail(c, r, NULL);
		return;
	}
	c->payload_have += (size_t)nread;
	if (c->payload_have == c->payload_len)
		conn_dispatch(c);
}

static void
conn_wait_request(sp_ctl_conn *c)
{
	c->idle_since = uv_now(c->pipe.loop);
	c->hdr_have = 0;
	c->payload_have = 0;
	c->payload_len = 0;
	if (uv_read_start((uv_stream_t *)&c->pipe, conn_alloc_cb, conn_read_cb) != 0 ||
	    uv_timer_start(&c->timer, conn_timer_cb, c->srv->idle_ms, 0) != 0)
		conn_close(c);
}

/*
 * At the cap, a newcomer takes the place of the connection that has waited
 * longest for a request (an idle script's, or a stalled sender's): it gets
 * a busy reply saying why and is closed. False when every admitted
 * connection has a handler at work.
 */
static bool
evict_idlest(sp_ctl_server *s)
{
	sp_ctl_conn *c, *victim = NULL;
	uint64_t idle_ms;
	char detail[160];

	for (c = s->conns; c != NULL; c = c->next) {
		if (c->admitted && !c->busy &&
		    (victim == NULL || c->idle_since < victim->idle_since))
			victim = c;
	}
	if (victim == NULL)
		return false;
	idle_ms = uv_now(s->pipe.loop) - victim->idle_since;
	if (log_event(s, EV_EVICTED))
		log_warn("at the limit of %u control connections: closed the one idle "
		    "longest (%llu.%llu s) to admit a new one (%s are logged once per %d s)",
		    s->max_conns, (unsigned long long)(idle_ms / 1000),
		    (unsigned long long)(idle_ms % 1000 / 100),
		    ctl_event_names[EV_EVICTED], SP_LOG_LIMIT_MS / 1000);
	snprintf(detail, sizeof detail, "closed after %llu ms without a request, to admit a "
	    "new connection (simpuld takes %u at once)", (unsigned long long)idle_ms,
	    s->max_conns);
	conn_fail(victim, SP_EBUSY, detail);
	return true;
}

static void
server_on_connection(uv_stream_t *server, int status)
{
	sp_ctl_server *s = server->data;
	sp_ctl_conn *c;
	char detail[128];
	int r;

	if (status < 0) {
		log_warn("control socket: %s", uv_strerror(status));
		return;
	}
	/*
	 * Without memory the connection cannot even be accepted and libuv
	 * pauses the listener until one is; a later connection retries.
	 */
	if ((c = calloc(1, sizeof *c)) == NULL) {
		log_error("out of memory accepting a control connection");
		return;
	}
	c->srv = s;
	/* Neither init can fail on Unix for a live loop. */
	(void)uv_pipe_init(server->loop, &c->pipe, 0);
	(void)uv_timer_init(server->loop, &c->timer);
	c->pipe.data = c;
	c->timer.data = c;
	c->refs = 2;
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	if ((r = uv_accept(server, (uv_stream_t *)&c->pipe)) != 0) {
		log_warn("control socket accept: %s", uv_strerror(r));
		conn_close(c);
		return;
	}
	if (s->nadmitted >= s->max_conns && !evict_idlest(s)) {
		if (log_event(s, EV_REFUSED))
			log_warn("all %u control connections have a command at work; refused "
			    "a new one (%s are logged once per %d s)", s->max_conns,
			    ctl_event_names[EV_REFUSED], SP_LOG_LIMIT_MS / 1000);
		snprintf(detail, sizeof detail, "all %u connections simpuld takes at once "
		    "have a command at work", s->max_conns);
		conn_fail(c, SP_EBUSY, detail);
		return;
	}
	c->admitted = true;
	s->nadmitted++;
	conn_wait_request(c);
}

/* A socket file left by a daemon that died goes; anything else is not ours. */
static int
unlink_stale(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return SP_EEXIST;
	if (unlink(path) != 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/*
 * Binds with a umask of 077 so that the socket is never reachable by
 * others, not even between bind and chmod. The umask is process-wide: a
 * file another thread creates meanwhile can only come out stricter.
 */
static int
bind_private(uv_pipe_t *pipe, const char *path)
{
	mode_t old = umask(077);
	int r = uv_pipe_bind(pipe, path);

	umask(old);
	if (r != 0)
		return r;
	if (chmod(path, 0600) != 0) {
		r = -errno;
		(void)unlink(path);
	}
	return r;
}

int
sp_ctl_server_start(uv_loop_t *loop, const char *path, unsigned max_conns,
    sp_ctl_handler handler, void *arg, sp_ctl_server **out)
{
	sp_ctl_server *s;
	int r;

	*out = NULL;
	if (max_conns == 0 || handler == NULL)
		return SP_EINVAL;
	/* libuv would silently cut a path longer than sun_path. */
	if (strlen(path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
		return -ENAMETOOLONG;
	if ((r = unlink_stale(path)) != 0)
		return r;
	if ((s = calloc(1, sizeof *s)) == NULL)
		return SP_ENOMEM;
	if ((s->path = strdup(path)) == NULL) {
		free(s);
		return SP_ENOMEM;
	}
	s->handler = handler;
	s->arg = arg;
	s->max_conns = max_conns;
	s->idle_ms = IDLE_TIMEOUT_MS;
	if ((r = uv_pipe_init(loop, &s->pipe, 0)) != 0) {
		free(s->path);
		free(s);
		return r;
	}
	/* Cannot fail on a live loop. */
	(void)uv_timer_init(loop, &s->log_timer);
	s->pipe.data = s;
	s->log_timer.data = s;
	s->handles_open = 2;
	if ((r = bind_private(&s->pipe, path)) != 0)
		goto fail;
	if ((r = uv_listen((uv_stream_t *)&s->pipe, LISTEN_BACKLOG,
	    server_on_connection)) != 0) {
		(void)unlink(path);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	/* The handles are live: the server is freed in their close callbacks, quietly. */
	server_close_handles(s);
	return r;
}

void
sp_ctl_server_set_idle_timeout(sp_ctl_server *s, uint64_t ms)
{
	s->idle_ms = ms;
}

void
sp_ctl_server_close(sp_ctl_server *s, void (*cb)(void *arg), void *arg)
{
	sp_ctl_conn *c, *next;

	assert(!s->closing);
	s->close_cb = cb;
	s->close_arg = arg;
	server_close_handles(s);
	(void)unlink(s->path);
	/* Closing only ever frees in callbacks, so next stays valid. */
	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		conn_close_soon(c);
	}
}

/* The handler's request is over: its memory goes, and so does its reference. */
static void
conn_request_done(sp_ctl_conn *c)
{
	c->busy = false;
	if (c->closing)
		conn_unadmit(c);
	conn_drop_payload(c);
	conn_unref(c);
}

int
sp_ctl_conn_send(sp_ctl_conn *c, sp_buf *frame, int final)
{
	int r;

	assert(c->busy);
	if (c->closing) {
		sp_buf_free(frame);
		r = SP_EDISCONNECTED;
	} else if (frame->err != 0) {
		/*
		 * The frame could not be built. A final reply must still reach
		 * the client, so it becomes an error reply saying why.
		 */
		r = frame->err;
		sp_buf_free(frame);
		if (final) {
			if (sp_ctl_error_reply(frame, r, NULL) == 0)
				(void)conn_write(c, frame, true);
			else
				conn_close(c);
			sp_buf_free(frame);
		}
	} else {
		r = conn_write(c, frame, final != 0);
	}
	if (final)
		conn_request_done(c);
	return r;
}

void
sp_ctl_conn_error(sp_ctl_conn *c, int err, const char *detail)
{
	sp_buf b;

	sp_buf_init(&b);
	/* A failure to build it is sticky in b and handled by the send. */
	(void)sp_ctl_error_reply(&b, err, detail);
	(void)sp_ctl_conn_send(c, &b, 1);
}

size_t
sp_ctl_conn_pending(const sp_ctl_conn *c)
{
	return c->pending;
}

void
sp_ctl_conn_on_drain(sp_ctl_conn *c, void (*cb)(sp_ctl_conn *c, void *arg), void *arg)
{
	c->drain_cb = cb;
	c->drain_arg = arg;
	conn_drain(c);
}

void
sp_ctl_conn_set_data(sp_ctl_conn *c, void *data, void (*on_close)(sp_ctl_conn *c, void *data))
{
	c->data = data;
	c->on_close = on_close;
}

void *
sp_ctl_conn_data(const sp_ctl_conn *c)
{
	return c->data;
}

int
sp_ctl_conn_closing(const sp_ctl_conn *c)
{
	return c->closing;
}
