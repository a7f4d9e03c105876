#define _GNU_SOURCE 1
#include "sp_test.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

char *
sp_test_mkdtemp(void)
{
	const char *base = getenv("TMPDIR");
	char *path;

	if (base == NULL)
		base = "/tmp";
	if (asprintf(&path, "%s/sp_test.XXXXXX", base) < 0)
		return NULL;
	if (mkdtemp(path) == NULL) {
		free(path);
		return NULL;
	}
	return path;
}

static void
rm_tree(const char *path)
{
	DIR *d;
	struct dirent *e;
	char *child;
	struct stat st;

	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			if (asprintf(&child, "%s/%s", path, e->d_name) < 0)
				continue;
			rm_tree(child);
			free(child);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

void
sp_test_rmdir(char *dir)
{
	if (dir == NULL)
		return;
	rm_tree(dir);
	free(dir);
}

uint8_t *
sp_test_unhex(const char *hex, size_t *len)
{
	size_t n = strlen(hex) / 2, i;
	uint8_t *out = malloc(n + 1);
	unsigned v;

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
			free(out);
			return NULL;
		}
		out[i] = (uint8_t)v;
	}
	*len = n;
	return out;
}

static int
file_contains(const char *path, const void *needle, size_t len)
{
	int fd, found = 0;
	struct stat st;
	void *p;

	if ((fd = open(path, O_RDONLY)) < 0)
		return 0;
	if (fstat(fd, &st) == 0 && st.st_size > 0) {
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p != MAP_FAILED) {
			found = memmem(p, (size_t)st.st_size, needle, len) != NULL;
			munmap(p, (size_t)st.st_size);
		}
	}
	close(fd);
	return found;
}

int
sp_test_grep_tree(const char *dir, const void *needle, size_t len)
{
	DIR *d;
	struct dirent *e;
	char *child;
	struct stat st;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (asprintf(&child, "%s/%s", dir, e->d_name) < 0)
			continue;
		if (lstat(child, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				n += sp_test_grep_tree(child, needle, len);
			else if (S_ISREG(st.st_mode))
				n += file_contains(child, needle, len);
		}
		free(child);
	}
	closedir(d);
	return n;
}

const char *
sp_test_vectors(void)
{
	return getenv("SP_VECTORS");
}

/* "7", "[1-4]" or "[>=1]" into c. */
static void
test_cell(sp_cell *c, const char *text)
{
	unsigned long long lo, hi;
	char end;

	memset(c, 0, sizeof(*c));
	if (sscanf(text, "[>=%llu%c", &lo, &end) == 2 && end == ']') {
		c->suppressed = c->unbounded = true;
		c->lo = lo;
	} else if (sscanf(text, "[%llu-%llu%c", &lo, &hi, &end) == 3 && end == ']') {
		c->suppressed = true;
		c->lo = lo;
		c->hi = hi;
	} else {
		assert_int_equal(sscanf(text, "%llu%c", &lo, &end), 1);
		c->value = lo;
	}
}

sp_summary *
sp_test_summary(const char *name, const char *period, const char *const *rows, size_t nrows,
    const char *const *cols, size_t ncols, const char *const *cells)
{
	size_t w = ncols > 0 ? ncols + 1 : 1, i, j;
	const char *text;
	sp_summary *s;

	assert_int_equal(sp_summary_new(nrows, ncols, 0, &s), 0);
	strcpy(sp_summary_name(s), name);
	strcpy(sp_summary_period(s), period);
	*sp_summary_k(s) = 5;
	for (i = 0; i < nrows; i++)
		strcpy(sp_summary_row(s, i), rows[i]);
	for (j = 0; j < ncols; j++)
		strcpy(sp_summary_col(s, j), cols[j]);
	for (i = 0; i <= nrows; i++) {
		for (j = 0; j < w; j++) {
			text = cells[i * w + j];
			if (i == nrows)
				test_cell(j < ncols ? sp_summary_col_total(s, j) : sp_summary_total(s), text);
			else if (ncols > 0 && j == ncols)
				test_cell(sp_summary_row_total(s, i), text);
			else
				test_cell(sp_summary_cell(s, i, j), text);
		}
	}
	assert_int_equal(sp_summary_check(s), 0);
	return s;
}
