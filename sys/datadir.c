#include "datadir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sp_err.h"

/* An empty variable is treated as unset, as shells make it easy to export one. */
static const char *
env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

static int
path_fmt(char *out, size_t size, const char *a, const char *sep, const char *b)
{
	int n = snprintf(out, size, "%s%s%s", a, sep, b);

	if (n < 0 || (size_t)n >= size) {
		if (size > 0)
			out[0] = '\0';
		return SP_ETOOBIG;
	}
	return 0;
}

int
sp_datadir_resolve(const char *opt, char *out, size_t size)
{
	const char *v;

	if (size > 0)
		out[0] = '\0';
	/* An explicit but empty --data is a mistake, not a request for the default. */
	if (opt != NULL)
		return opt[0] != '\0' ? path_fmt(out, size, opt, "", "") : SP_EINVAL;
	if ((v = env_nonempty("SIMPUL_DATA")) != NULL)
		return path_fmt(out, size, v, "", "");
	/* The XDG spec says a relative $XDG_DATA_HOME is invalid and ignored. */
	if ((v = env_nonempty("XDG_DATA_HOME")) != NULL && v[0] == '/')
		return sp_path_join(out, size, v, "simpul");
	if ((v = env_nonempty("HOME")) != NULL)
		return sp_path_join(out, size, v, ".local/share/simpul");
	return SP_EINVAL;
}

int
sp_path_join(char *out, size_t size, const char *dir, const char *name)
{
	size_t n = strlen(dir);

	/* "/" or "dir/" already end in a separator; do not double it. */
	return path_fmt(out, size, dir, n > 0 && dir[n - 1] == '/' ? "" : "/",
	    name);
}

static int
mkdir_one(const char *path)
{
	struct stat st;

	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	/* Something is there: fine only if it is (or links to) a directory. */
	if (stat(path, &st) != 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int
sp_mkdir_p(const char *dir)
{
	char path[SP_PATH_MAX];
	size_t len = strlen(dir), i;
	int r;

	if (len == 0)
		return -ENOENT;
	if (len >= sizeof path)
		return -ENAMETOOLONG;
	memcpy(path, dir, len + 1);
	/* Each parent in turn: cut the path at every '/' after the first byte. */
	for (i = 1; i < len; i++) {
		if (path[i] != '/' || path[i - 1] == '/')
			continue;
		path[i] = '\0';
		r = mkdir_one(path);
		path[i] = '/';
		if (r != 0)
			return r;
	}
	return mkdir_one(path);
}

int
sp_fsync_dir(const char *dir)
{
	int fd, r = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	if (fsync(fd) != 0)
		r = -errno;
	close(fd);
	return r;
}
