/*
 * charter.h - a community's charter: which node keys may write, and which
 * of them are admins. It is the record (".charter", "charter") signed by
 * the community key; its body is the canonical map
 *   {"admins": [bin32...], "writers": [bin32...]}
 * with both arrays sorted ascending without duplicates and every admin also
 * a writer.
 */
#ifndef SP_CHARTER_H
#define SP_CHARTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SP_CHARTER_COLLECTION ".charter"
#define SP_CHARTER_KEY        "charter"
#define SP_CHARTER_MAX        1024 /* writers per community */

typedef struct sp_charter sp_charter;

/* Returns an empty charter (caller frees with sp_charter_free) or NULL. */
sp_charter *sp_charter_new(void);
void sp_charter_free(sp_charter *c);

/*
 * Parses a charter body: exactly the map above, with at most SP_CHARTER_MAX
 * writers. *out is owned by the caller. SP_ECHARTER on any rule broken,
 * SP_ENOMEM.
 */
int sp_charter_decode(const uint8_t *body, size_t len, sp_charter **out);
/* Appends the canonical body to out. Returns 0 or out->err. */
int sp_charter_encode(const sp_charter *c, sp_buf *out);

bool sp_charter_is_writer(const sp_charter *c, const uint8_t key[32]);
bool sp_charter_is_admin(const sp_charter *c, const uint8_t key[32]);
/*
 * Adds or updates a member; SP_ETOOBIG past SP_CHARTER_MAX, SP_ENOMEM,
 * SP_ELASTADMIN when it would demote the only admin.
 */
int sp_charter_set(sp_charter *c, const uint8_t key[32], bool admin);
/* SP_ENOTFOUND if absent; SP_ELASTADMIN if it would leave no admin. */
int sp_charter_remove(sp_charter *c, const uint8_t key[32]);

size_t sp_charter_count(const sp_charter *c);
/* The i-th member in key order (i < count). */
void sp_charter_member(const sp_charter *c, size_t i, uint8_t key[32], bool *admin);

#endif
