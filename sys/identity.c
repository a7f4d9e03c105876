#include "identity.h"

#include "crypto.h"
#include "datadir.h"
#include "keyfile.h"
#include "sp_err.h"

int
sp_identity_path(const char *dir, char *out, size_t size)
{
	return sp_path_join(out, size, dir, SP_NODE_KEY_FILE);
}

int
sp_identity_create(const char *dir, uint8_t pk[32])
{
	char path[SP_PATH_MAX];
	uint8_t sk[64];
	int r;

	if ((r = sp_mkdir_p(dir)) != 0)
		goto out;
	if ((r = sp_path_join(path, sizeof(path), dir, SP_COMMUNITY_KEY_DIR)) != 0 ||
	    (r = sp_mkdir_p(path)) != 0)
		goto out;
	if ((r = sp_identity_path(dir, path, sizeof(path))) != 0)
		goto out;
	sp_sign_keypair(pk, sk);
	r = sp_file_write_secret(path, sk, sizeof(sk), 1);
out:
	sp_memzero(sk, sizeof(sk));
	return r;
}

int
sp_identity_load(const char *dir, uint8_t sk[64], uint8_t pk[32])
{
	char path[SP_PATH_MAX];
	int r;

	if ((r = sp_identity_path(dir, path, sizeof(path))) != 0)
		return r;
	if ((r = sp_file_read_secret(path, sk, 64)) != 0) {
		sp_memzero(sk, 64);
		return r == SP_ENOTFOUND ? SP_ENOINIT : r;
	}
	/* A changed byte would give an id that the node's handshakes cannot prove. */
	if ((r = sp_sign_sk_check(sk)) != 0) {
		sp_memzero(sk, 64);
		return r;
	}
	sp_sign_sk_to_pk(pk, sk);
	return 0;
}

bool
sp_identity_file_error(int err)
{
	return err == SP_ENOTFILE || err == SP_EKEYMODE || err == SP_EKEYSIZE ||
	    err == SP_EKEYPAIR;
}
