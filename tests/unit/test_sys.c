/*
 * test_sys.c - data directory resolution, sp_mkdir_p, secret files and
 * the node key.
 */
#include "sp_test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "datadir.h"
#include "identity.h"
#include "keyfile.h"
#include "sp_err.h"

/* Sets or unsets (v == NULL) each of the three variables the resolver reads. */
static void
set_env(const char *simpul_data, const char *xdg, const char *home)
{
	const char *names[] = { "SIMPUL_DATA", "XDG_DATA_HOME", "HOME" };
	const char *vals[] = { simpul_data, xdg, home };
	size_t i;

	for (i = 0; i < 3; i++) {
		if (vals[i] == NULL)
			assert_int_equal(unsetenv(names[i]), 0);
		else
			assert_int_equal(setenv(names[i], vals[i], 1), 0);
	}
}

static void
test_datadir_resolve(void **state)
{
	static const struct {
		const char *opt, *simpul_data, *xdg, *home;
		int err;
		const char *want;
	} cases[] = {
		{ "/o", "/s", "/x", "/h", 0, "/o" },
		{ "rel/dir", NULL, NULL, NULL, 0, "rel/dir" },
		{ "", "/s", "/x", "/h", SP_EINVAL, "" },
		{ NULL, "/s", "/x", "/h", 0, "/s" },
		{ NULL, "", "/x", "/h", 0, "/x/simpul" },
		{ NULL, NULL, "/x", "/h", 0, "/x/simpul" },
		{ NULL, NULL, "/x/", "/h", 0, "/x/simpul" },
		{ NULL, NULL, "", "/h", 0, "/h/.local/share/simpul" },
		{ NULL, NULL, "relative", "/h", 0, "/h/.local/share/simpul" },
		{ NULL, NULL, NULL, "/h", 0, "/h/.local/share/simpul" },
		{ NULL, "", "", "/h", 0, "/h/.local/share/simpul" },
		{ NULL, NULL, NULL, "", SP_EINVAL, "" },
		{ NULL, NULL, NULL, NULL, SP_EINVAL, "" },
		{ NULL, NULL, "relative", NULL, SP_EINVAL, "" },
	};
	char out[SP_PATH_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		set_env(cases[i].simpul_data, cases[i].xdg, cases[i].home);
		memset(out, 'z', sizeof out);
		assert_int_equal(sp_datadir_resolve(cases[i].opt, out, sizeof out),
		    cases[i].err);
		assert_string_equal(out, cases[i].want);
	}
}

static void
test_datadir_too_long(void **state)
{
	char out[16];

	(void)state;
	set_env(NULL, NULL, "/home/someone/with/a/long/path");
	assert_int_equal(sp_datadir_resolve(NULL, out, sizeof out), SP_ETOOBIG);
	assert_string_equal(out, "");
	assert_int_equal(sp_datadir_resolve("/exactly/15/byt", out, sizeof out), 0);
	assert_int_equal(sp_datadir_resolve("/exactly/16/byte", out, sizeof out),
	    SP_ETOOBIG);
}

static void
test_path_join(void **state)
{
	char out[12];

	(void)state;
	assert_int_equal(sp_path_join(out, sizeof out, "/a", "b"), 0);
	assert_string_equal(out, "/a/b");
	assert_int_equal(sp_path_join(out, sizeof out, "/a/", "b"), 0);
	assert_string_equal(out, "/a/b");
	assert_int_equal(sp_path_join(out, sizeof out, "/", "b"), 0);
	assert_string_equal(out, "/b");
	assert_int_equal(sp_path_join(out, sizeof out, "/abcde", "fghi"), 0);
	assert_string_equal(out, "/abcde/fghi");
	assert_int_equal(sp_path_join(out, sizeof out, "/abcde", "fghij"),
	    SP_ETOOBIG);
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode;
}

static void
test_mkdir_p(void **state)
{
	char *tmp = sp_test_mkdtemp();
	char path[SP_PATH_MAX], file[SP_PATH_MAX];
	mode_t old = umask(022);
	int fd;

	(void)state;
	assert_non_null(tmp);
	snprintf(path, sizeof path, "%s/a/b//c/", tmp);
	assert_int_equal(sp_mkdir_p(path), 0);
	snprintf(path, sizeof path, "%s/a", tmp);
	assert_int_equal(mode_of(path) & 07777, 0700);
	snprintf(path, sizeof path, "%s/a/b/c", tmp);
	assert_true(S_ISDIR(mode_of(path)));
	assert_int_equal(mode_of(path) & 07777, 0700);
	/* Existing directories are fine. */
	assert_int_equal(sp_mkdir_p(path), 0);
	/* A file in the way is not. */
	snprintf(file, sizeof file, "%s/f", tmp);
	assert_true((fd = open(file, O_CREAT | O_WRONLY, 0600)) >= 0);
	close(fd);
	assert_int_equal(sp_mkdir_p(file), -ENOTDIR);
	snprintf(path, sizeof path, "%s/f/sub", tmp);
	assert_int_equal(sp_mkdir_p(path), -ENOTDIR);
	assert_int_equal(sp_mkdir_p(""), -ENOENT);
	umask(old);
	sp_test_rmdir(tmp);
}

/* Number of entries in dir (besides . and ..): no temporary file may stay behind. */
static int
count_entries(const char *dir)
{
	char cmd[SP_PATH_MAX + 32];
	FILE *f;
	int n = -1;

	snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
	assert_non_null(f = popen(cmd, "r"));
	assert_int_equal(fscanf(f, "%d", &n), 1);
	pclose(f);
	return n;
}

static void
test_secret_write_read(void **state)
{
	char *tmp = sp_test_mkdtemp();
	char path[SP_PATH_MAX];
	uint8_t key[64], back[64];
	mode_t old = umask(0);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof key; i++)
		key[i] = (uint8_t)(i * 7 + 1);
	snprintf(path, sizeof path, "%s/node.key", tmp);
	assert_int_equal(sp_file_write_secret(path, key, sizeof key, 1), 0);
	umask(old);
	/* 0600 even with a permissive umask. */
	assert_int_equal(mode_of(path) & 07777, 0600);
	assert_int_equal(sp_file_read_secret(path, back, sizeof back), 0);
	assert_memory_equal(key, back, sizeof key);
	assert_int_equal(count_entries(tmp), 1);
	sp_test_rmdir(tmp);
}

static void
test_secret_exclusive(void **state)
{
	char *tmp = sp_test_mkdtemp();
	char path[SP_PATH_MAX];
	uint8_t a[32], b[32], back[32];

	(void)state;
	memset(a, 0xaa, sizeof a);
	memset(b, 0xbb, sizeof b);
	snprintf(path, sizeof path, "%s/k", tmp);
	assert_int_equal(sp_file_write_secret(path, a, sizeof a, 1), 0);
	assert_int_equal(sp_file_write_secret(path, b, sizeof b, 1), SP_EEXIST);
	assert_int_equal(sp_file_read_secret(path, back, sizeof back), 0);
	assert_memory_equal(back, a, sizeof a);
	/* Without exclusive, the file is replaced atomically. */
	assert_int_equal(sp_file_write_secret(path, b, sizeof b, 0), 0);
	assert_int_equal(sp_file_read_secret(path, back, sizeof back), 0);
	assert_memory_equal(back, b, sizeof b);
	assert_int_equal(count_entries(tmp), 1);
	sp_test_rmdir(tmp);
}

/*
 * Atomicity: a reader never sees a partly written file. The old content
 * stays in place (same inode) until the rename swaps in a complete new one.
 */
static void
test_secret_atomic_replace(void **state)
{
	char *tmp = sp_test_mkdtemp();
	char path[SP_PATH_MAX];
	uint8_t a[32], b[32], back[32];
	struct stat st1, st2;
	int fd;

	(void)state;
	memset(a, 1, sizeof a);
	memset(b, 2, sizeof b);
	snprintf(path, sizeof path, "%s/k", tmp);
	assert_int_equal(sp_file_write_secret(path, a, sizeof a, 0), 0);
	assert_true((fd = open(path, O_RDONLY)) >= 0);
	assert_int_equal(fstat(fd, &st1), 0);
	assert_int_equal(sp_file_write_secret(path, b, sizeof b, 0), 0);
	/* The descriptor opened before still reads the whole old content. */
	assert_int_equal(read(fd, back, sizeof back), (ssize_t)sizeof back);
	assert_memory_equal(back, a, sizeof a);
	close(fd);
	assert_int_equal(stat(path, &st2), 0);
	assert_true(st1.st_ino != st2.st_ino);
	sp_test_rmdir(tmp);
}

static void
write_plain(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
test_secret_read_refuses(void **state)
{
	char *tmp = sp_test_mkdtemp();
	char path[SP_PATH_MAX];
	uint8_t key[32], back[32];

	(void)state;
	memset(key, 0x5a, sizeof key);
	snprintf(path, sizeof path, "%s/k", tmp);
	assert_int_equal(sp_file_read_secret(path, back, sizeof back), SP_ENOTFOUND);

	write_plain(path, key, sizeof key, 0644);
	memset(back, 0x11, sizeof back);
	assert_int_equal(sp_file_read_secret(path, back, sizeof back), SP_EKEYMODE);
	/* Nothing of the key is handed out on failure. */
	assert_true(back[0] == 0 && back[31] == 0);
	write_plain(path, key, sizeof key, 0620);
	assert_int_equal(sp_file_read_secret(path, back, sizeof back), SP_EKEYMODE);
	write_plain(path, key, sizeof key, 0601);
	assert_int_equal(sp_file_read_secret(path, back, sizeof back), SP_EKEYMODE);

	write_plain(path, key, sizeof key - 1, 0600);
	assert_int_equal(sp_file_read_secret(path, back, sizeof back), SP_EKEYSIZE);
	write_plain(path, key, sizeof key, 0600);
	assert_int_equal(sp_file_read_secret(path, back, sizeof back - 1),
	    SP_EKEYSIZE);
	assert_int_equal(sp_file_read_secret(path, back, sizeof back), 0);
	assert_memory_equal(back, key, sizeof key);
	/* A directory is not a key file. */
	assert_int_equal(sp_file_read_secret(tmp, back, sizeof back), SP_ENOTFILE);
	sp_test_rmdir(tmp);
}

/*
 * A node key of the right size whose halves no longer belong together (a
 * byte of the seed or of the public key changed) is refused, and nothing
 * of it is handed out; the file restored, it loads again.
 */
static void
test_identity_damaged(void **state)
{
	char *tmp = sp_test_mkdtemp();
	char path[SP_PATH_MAX];
	uint8_t pk[32], good[64], bad[64], sk[64], back_pk[32];
	size_t at[] = { 0, 31, 32, 63 };
	size_t i;
	int fd;

	(void)state;
	assert_int_equal(sp_identity_create(tmp, pk), 0);
	assert_int_equal(sp_identity_path(tmp, path, sizeof path), 0);
	assert_true((fd = open(path, O_RDONLY)) >= 0);
	assert_int_equal(read(fd, good, sizeof good), (ssize_t)sizeof good);
	close(fd);
	assert_int_equal(sp_identity_load(tmp, sk, back_pk), 0);
	assert_memory_equal(back_pk, pk, 32);
	for (i = 0; i < sizeof at / sizeof at[0]; i++) {
		memcpy(bad, good, sizeof bad);
		bad[at[i]] ^= 0x01;
		write_plain(path, bad, sizeof bad, 0600);
		memset(sk, 0x11, sizeof sk);
		assert_int_equal(sp_identity_load(tmp, sk, back_pk), SP_EKEYPAIR);
		assert_true(sk[0] == 0 && sk[31] == 0 && sk[32] == 0 && sk[63] == 0);
	}
	/* Messages about it name the file, as for the other key file errors. */
	assert_true(sp_identity_file_error(SP_EKEYPAIR));
	assert_true(sp_identity_file_error(SP_EKEYSIZE));
	write_plain(path, good, sizeof good, 0600);
	assert_int_equal(sp_identity_load(tmp, sk, back_pk), 0);
	assert_memory_equal(back_pk, pk, 32);
	assert_false(sp_identity_file_error(SP_ENOINIT));
	sp_test_rmdir(tmp);
}

static void
test_read_all(void **state)
{
	char *tmp = sp_test_mkdtemp();
	char path[SP_PATH_MAX];
	uint8_t *data;
	size_t len;

	(void)state;
	snprintf(path, sizeof path, "%s/f", tmp);
	assert_int_equal(sp_file_read_all(path, 10, &data, &len), SP_ENOTFOUND);
	assert_null(data);
	write_plain(path, "", 0, 0644);
	assert_int_equal(sp_file_read_all(path, 10, &data, &len), 0);
	assert_non_null(data);
	assert_int_equal(len, 0);
	free(data);
	write_plain(path, "0123456789", 10, 0644);
	assert_int_equal(sp_file_read_all(path, 10, &data, &len), 0);
	assert_int_equal(len, 10);
	assert_memory_equal(data, "0123456789", 10);
	free(data);
	assert_int_equal(sp_file_read_all(path, 9, &data, &len), SP_ETOOBIG);
	assert_null(data);
	assert_int_equal(len, 0);
	assert_int_equal(sp_file_read_all(tmp, 10, &data, &len), SP_ENOTFILE);
	sp_test_rmdir(tmp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_datadir_resolve),
		cmocka_unit_test(test_datadir_too_long),
		cmocka_unit_test(test_path_join),
		cmocka_unit_test(test_mkdir_p),
		cmocka_unit_test(test_secret_write_read),
		cmocka_unit_test(test_secret_exclusive),
		cmocka_unit_test(test_secret_atomic_replace),
		cmocka_unit_test(test_secret_read_refuses),
		cmocka_unit_test(test_identity_damaged),
		cmocka_unit_test(test_read_all),
	};

	if (sp_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
