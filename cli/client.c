#include "client.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "datadir.h"
#include "sp_err.h"

struct sp_client {
	int fd;
	uint8_t *buf; /* the last reply's payload; grows to the largest seen */
	size_t cap;
};

/*
 * connect(2) interrupted by a signal goes on in the background; wait for
 * it to finish and collect its result rather than calling connect again.
 */
static int
connect_retry(int fd, const struct sockaddr_un *sa)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0;

	if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0)
		return 0;
	if (errno != EINTR)
		return -errno;
	while (poll(&pfd, 1, -1) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		return -errno;
	return -err;
}

/*
 * Nothing listens on the socket: either the daemon is not running, or the
 * directory was never initialised, which deserves its own advice.
 */
static int
no_daemon(const char *dir)
{
	char key[SP_PATH_MAX];
	struct stat st;

	if (sp_path_join(key, sizeof key, dir, "node.key") != 0)
		return SP_ENODAEMON;
	if (stat(key, &st) != 0 && errno == ENOENT)
		return SP_ENOINIT;
	return SP_ENODAEMON;
}

int
sp_client_connect(const char *dir, sp_client **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	sp_client *c = NULL;
	int fd = -1, r;

	*out = NULL;
	if (sp_path_join(sa.sun_path, sizeof sa.sun_path, dir, "simpuld.sock") != 0)
		return -ENAMETOOLONG;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if ((r = connect_retry(fd, &sa)) != 0) {
		if (r == -ECONNREFUSED || r == -ENOENT)
			r = no_daemon(dir);
		goto out;
	}
	if ((c = calloc(1, sizeof *c)) == NULL) {
		r = SP_ENOMEM;
		goto out;
	}
	c->fd = fd;
	fd = -1;
	*out = c;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

void
sp_client_close(sp_client *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	free(c->buf);
	free(c);
}

/* A peer that went away, however the kernel puts it. */
static int
transport_err(int e)
{
	return e == EPIPE || e == ECONNRESET ? SP_EDISCONNECTED : -e;
}

int
sp_client_send(sp_client *c, const sp_buf *frame)
{
	const uint8_t *p = frame->data;
	size_t left = frame->len;
	ssize_t n;

	if (frame->err != 0)
		return frame->err;
	while (left > 0) {
		/* MSG_NOSIGNAL: a daemon that died must be an error, not SIGPIPE. */
		n = send(c->fd, p, left, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return transport_err(errno);
		}
		p += n;
		left -= (size_t)n;
	}
	return 0;
}

/* Reads exactly len bytes; an early end of stream is SP_EDISCONNECTED. */
static int
read_full(int fd, uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = read(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return transport_err(errno);
		}
		if (n == 0)
			return SP_EDISCONNECTED;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
sp_client_recv(sp_client *c, sp_ctl_msg *m)
{
	uint8_t hdr[SP_CTL_HDR_BYTES];
	uint32_t len;
	uint8_t *p;
	int r;

	memset(m, 0, sizeof *m);
	if ((r = read_full(c->fd, hdr, sizeof hdr)) != 0)
		return r;
	/* The length is bounded before anything is allocated for it. */
	if ((r = sp_ctl_frame_len(hdr, &len)) != 0)
		return r;
	if (len > c->cap) {
		if ((p = realloc(c->buf, len)) == NULL)
			return SP_ENOMEM;
		c->buf = p;
		c->cap = len;
	}
	if ((r = read_full(c->fd, c->buf, len)) != 0)
		return r;
	return sp_ctl_decode_reply(c->buf, len, m);
}
