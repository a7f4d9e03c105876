#define _GNU_SOURCE 1 /* renameat2, RENAME_NOREPLACE */
#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "datadir.h"
#include "sp_err.h"

/* Attempts at a fresh temporary name before giving up (stale temp files). */
#define TMP_TRIES 16
/* Read size for sp_file_read_all. */
#define READ_CHUNK 65536

static int
write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;
	ssize_t w;

	while (len > 0) {
		w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Creates a new file next to path, so that the final rename stays within
 * one file system. The name carries the pid and a counter; O_EXCL makes
 * a name left over by a crashed process a retry, never a shared file.
 */
static int
open_temp(const char *path, char *tmp, size_t size, int *fd)
{
	static atomic_uint counter;
	int i, n;

	for (i = 0; i < TMP_TRIES; i++) {
		n = snprintf(tmp, size, "%s.tmp-%ld-%u", path, (long)getpid(),
		    atomic_fetch_add(&counter, 1));
		if (n < 0 || (size_t)n >= size)
			return -ENAMETOOLONG;
		*fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (*fd >= 0)
			return 0;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/* fsync the directory holding path, so that a rename into it is durable. */
static int
fsync_parent(const char *path)
{
	char dir[SP_PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		strcpy(dir, ".");
	} else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof dir)
			return -ENAMETOOLONG;
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	return sp_fsync_dir(dir);
}

/*
 * Moves tmp to path without ever replacing an existing path. renameat2's
 * RENAME_NOREPLACE is atomic; file systems without it get link(), which
 * fails with EEXIST just the same, followed by removing tmp.
 */
static int
rename_noreplace(const char *tmp, const char *path)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return errno == EEXIST ? SP_EEXIST : -errno;
	if (link(tmp, path) != 0)
		return errno == EEXIST ? SP_EEXIST : -errno;
	(void)unlink(tmp);
	return 0;
}

int
sp_file_write_secret(const char *path, const void *data, size_t len, int exclusive)
{
	char tmp[SP_PATH_MAX];
	int fd = -1, r, placed = 0;

	/* Cheap early answer; rename_noreplace() is what really guarantees it. */
	if (exclusive && access(path, F_OK) == 0)
		return SP_EEXIST;
	if ((r = open_temp(path, tmp, sizeof tmp, &fd)) != 0)
		return r;
	/* The umask may only have removed bits; make the mode exact. */
	if (fchmod(fd, 0600) != 0) {
		r = -errno;
		goto out;
	}
	if ((r = write_all(fd, data, len)) != 0)
		goto out;
	if (fsync(fd) != 0) {
		r = -errno;
		goto out;
	}
	r = close(fd) == 0 ? 0 : -errno;
	fd = -1;
	if (r != 0)
		goto out;
	if (exclusive)
		r = rename_noreplace(tmp, path);
	else
		r = rename(tmp, path) == 0 ? 0 : -errno;
	if (r != 0)
		goto out;
	placed = 1;
	r = fsync_parent(path);
out:
	if (fd >= 0)
		close(fd);
	if (!placed)
		(void)unlink(tmp);
	return r;
}

/*
 * Reads exactly len bytes and then expects the end of the file: a file
 * that shrank or grew after fstat() is SP_EKEYSIZE too.
 */
static int
read_exact(int fd, uint8_t *p, size_t len)
{
	uint8_t extra;
	ssize_t n;

	for (;;) {
		/* Once len bytes are in, a one-byte read must find EOF. */
		n = len > 0 ? read(fd, p, len) : read(fd, &extra, 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (len == 0)
			return n == 0 ? 0 : SP_EKEYSIZE;
		if (n == 0)
			return SP_EKEYSIZE;
		p += n;
		len -= (size_t)n;
	}
}

static int
open_regular(const char *path, int *fd, struct stat *st)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (*fd < 0)
		return errno == ENOENT ? SP_ENOTFOUND : -errno;
	if (fstat(*fd, st) != 0)
		return -errno;
	return S_ISREG(st->st_mode) ? 0 : SP_ENOTFILE;
}

int
sp_file_read_secret(const char *path, void *data, size_t len)
{
	struct stat st;
	int fd = -1, r;

	memset(data, 0, len);
	if ((r = open_regular(path, &fd, &st)) != 0)
		goto out;
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		r = SP_EKEYMODE;
		goto out;
	}
	if ((uintmax_t)st.st_size != len) {
		r = SP_EKEYSIZE;
		goto out;
	}
	r = read_exact(fd, data, len);
out:
	if (r != 0)
		sp_memzero(data, len);
	if (fd >= 0)
		close(fd);
	return r;
}

int
sp_file_read_all(const char *path, size_t max, uint8_t **data, size_t *len)
{
	struct stat st;
	sp_buf b;
	ssize_t n;
	int fd = -1, r;

	*data = NULL;
	*len = 0;
	sp_buf_init(&b);
	if ((r = open_regular(path, &fd, &st)) != 0)
		goto out;
	if ((uintmax_t)st.st_size > max) {
		r = SP_ETOOBIG;
		goto out;
	}
	/*
	 * The size from fstat is a hint (the file may change while we read):
	 * read until EOF and enforce max on what was actually read. The
	 * initial reserve also makes an empty file a valid, non-NULL buffer.
	 */
	if ((r = sp_buf_reserve(&b, (size_t)st.st_size + 1)) != 0)
		goto out;
	for (;;) {
		if (b.cap == b.len && (r = sp_buf_reserve(&b, READ_CHUNK)) != 0)
			goto out;
		n = read(fd, b.data + b.len, b.cap - b.len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		b.len += (size_t)n;
		if (b.len > max) {
			r = SP_ETOOBIG;
			goto out;
		}
	}
	*data = b.data;
	*len = b.len;
	sp_buf_init(&b);
	r = 0;
out:
	sp_buf_free(&b);
	if (fd >= 0)
		close(fd);
	return r;
}
