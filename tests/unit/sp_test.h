/*
 * sp_test.h - helpers shared by the unit tests (cmocka).
 */
#ifndef SP_TEST_H
#define SP_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Creates a fresh temporary directory; returns a malloc'd path (free with sp_test_rmdir). */
char *sp_test_mkdtemp(void);
/* Removes dir recursively and frees the path. */
void sp_test_rmdir(char *dir);

/* Decodes hex (even length) into a malloc'd buffer; *len gets its size. */
uint8_t *sp_test_unhex(const char *hex, size_t *len);

/*
 * Does any regular file below dir contain needle? Returns the number of
 * files that do (so a test can assert 0 after an erase).
 */
int sp_test_grep_tree(const char *dir, const void *needle, size_t len);

/* Path of the shared test vectors ($SP_VECTORS), or NULL. */
const char *sp_test_vectors(void);

#endif
