/*
 * keyfile.h - secret files written atomically with mode 0600.
 */
#ifndef SP_KEYFILE_H
#define SP_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Writes len bytes to path atomically: a temporary file created 0600 with
 * O_EXCL, written, fsynced, renamed over path, and the directory fsynced.
 * With exclusive set an existing path is SP_EEXIST and is not touched.
 * Returns 0, SP_EEXIST or -errno.
 */
int sp_file_write_secret(const char *path, const void *data, size_t len, int exclusive);

/*
 * Reads a file of exactly len bytes into data (zeroed on failure).
 * SP_ENOTFOUND when missing, SP_ENOTFILE when it is not a regular file,
 * SP_EKEYSIZE when its size differs, SP_EKEYMODE when it is readable by
 * group or others (a key that leaked must not be used silently), else -errno.
 */
int sp_file_read_secret(const char *path, void *data, size_t len);

/*
 * Reads a whole regular file of at most max bytes. *data is malloc'd and
 * owned by the caller. SP_ETOOBIG past max, SP_ENOTFILE when path is not
 * a regular file.
 */
int sp_file_read_all(const char *path, size_t max, uint8_t **data, size_t *len);

#endif
