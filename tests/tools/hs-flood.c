/*
 * hs-flood - keeps N connections to a simpuld open from one source
 * address, each a handshake begun and never finished (nothing is sent),
 * opening a new one as soon as the node closes one, for a while. For
 * tests/integration/test_adversarial.sh: a real peer's handshake must
 * still complete promptly meanwhile (docs/PROTOCOL.md, "What closes a
 * connection").
 *
 *   hs-flood [--from ADDR] [--conns N] [--seconds S] HOST:PORT
 *
 * Prints "opened X, closed by the node Y" when done. Exit 0, or 2 on a
 * bad argument or when no connection could be opened at all.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 1024

static int
usage(void)
{
	fprintf(stderr, "usage: hs-flood [--from ADDR] [--conns N] [--seconds S] HOST:PORT\n");
	return 2;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A non-blocking connection from `from` (port chosen by the kernel) to `to`; -1 on failure. */
static int
open_one(const struct sockaddr_in *from, const struct sockaddr_in *to)
{
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (bind(fd, (const struct sockaddr *)from, sizeof(*from)) != 0 ||
	    (connect(fd, (const struct sockaddr *)to, sizeof(*to)) != 0 && errno != EINPROGRESS)) {
		close(fd);
		return -1;
	}
	return fd;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in from, to;
	struct pollfd fds[MAX_CONNS];
	const char *src = "127.0.0.1", *target = NULL;
	char host[64], *colon, buf[512];
	long n = 16, seconds = 10, deadline, opened = 0, closed = 0, i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
			src = argv[++i];
		else if (strcmp(argv[i], "--conns") == 0 && i + 1 < argc)
			n = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = strtol(argv[++i], NULL, 10);
		else if (target == NULL && argv[i][0] != '-')
			target = argv[i];
		else
			return usage();
	}
	if (target == NULL || n < 1 || n > MAX_CONNS || seconds < 1 ||
	    strlen(target) >= sizeof(host) || (colon = strrchr(target, ':')) == NULL)
		return usage();
	memcpy(host, target, (size_t)(colon - target));
	host[colon - target] = '\0';
	memset(&from, 0, sizeof(from));
	memset(&to, 0, sizeof(to));
	from.sin_family = to.sin_family = AF_INET;
	to.sin_port = htons((uint16_t)strtol(colon + 1, NULL, 10));
	if (inet_pton(AF_INET, src, &from.sin_addr) != 1 || inet_pton(AF_INET, host, &to.sin_addr) != 1)
		return usage();

	deadline = now_ms() + seconds * 1000;
	for (i = 0; i < n; i++) {
		fds[i].fd = open_one(&from, &to);
		fds[i].events = POLLIN;
		opened += fds[i].fd >= 0;
	}
	while (now_ms() < deadline) {
		if (poll(fds, (nfds_t)n, 50) < 0 && errno != EINTR)
			break;
		for (i = 0; i < n; i++) {
			/* The node closed it (or it never opened): open another at once. */
			if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
				continue;
			if (fds[i].fd >= 0) {
				if (read(fds[i].fd, buf, sizeof(buf)) > 0)
					continue;
				close(fds[i].fd);
				closed++;
			}
			fds[i].fd = open_one(&from, &to);
			fds[i].revents = 0;
			opened += fds[i].fd >= 0;
		}
	}
	for (i = 0; i < n; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	printf("opened %ld, closed by the node %ld\n", opened, closed);
	return opened > 0 ? 0 : 2;
}
