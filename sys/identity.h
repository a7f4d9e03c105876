/*
 * identity.h - the node's identity: an Ed25519 key pair whose secret half
 * lives in DATA_DIR/node.key (mode 0600). The node id is the public key.
 */
#ifndef SP_IDENTITY_H
#define SP_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SP_NODE_KEY_FILE "node.key"
#define SP_COMMUNITY_KEY_DIR "communities"

/*
 * Creates dir (0700), a new node key and the communities/ directory.
 * SP_EEXIST (nothing changed) when dir already holds a node key.
 */
int sp_identity_create(const char *dir, uint8_t pk[32]);

/*
 * Reads the node key. SP_ENOINIT when dir holds none; SP_ENOTFILE,
 * SP_EKEYMODE, SP_EKEYSIZE or SP_EKEYPAIR when the file is not a regular
 * file, is exposed, or is damaged (a public half that its seed does not
 * derive); sk is wiped on error.
 */
int sp_identity_load(const char *dir, uint8_t sk[64], uint8_t pk[32]);

/*
 * Whether an error of sp_identity_load is about the node key file itself,
 * so that a message about it should name the file (sp_identity_path).
 */
bool sp_identity_file_error(int err);

/* The node key's path in dir (for messages about it), as sp_path_join. */
int sp_identity_path(const char *dir, char *out, size_t size);

#endif
