/*
 * datadir.h - where a node keeps its files, resolved the same way by
 * simpuld and simpul: --data DIR, else $SIMPUL_DATA, else
 * $XDG_DATA_HOME/simpul, else $HOME/.local/share/simpul.
 *
 * Layout of a data directory (created 0700 by 'simpul init'):
 *   node.key           the node's Ed25519 secret key (0600)
 *   communities/ID.key community secret keys this node holds (0600)
 *   store/             the LMDB environment
 *   simpuld.sock       the control socket (0600), while simpuld runs
 *   simpuld.lock       flock()ed by the running simpuld
 */
#ifndef SP_DATADIR_H
#define SP_DATADIR_H

#include <stddef.h>

#define SP_PATH_MAX 4096

/*
 * Writes the data directory for option opt (NULL when --data was not
 * given) to out. Returns 0, SP_EINVAL when no rule applies (no HOME) or
 * SP_ETOOBIG when the path does not fit.
 */
int sp_datadir_resolve(const char *opt, char *out, size_t size);

/* out = dir "/" name; SP_ETOOBIG when it does not fit. */
int sp_path_join(char *out, size_t size, const char *dir, const char *name);

/* fsyncs directory dir, so that a rename or a new file in it is durable. Returns 0 or -errno. */
int sp_fsync_dir(const char *dir);

/*
 * Creates dir (and missing parents) with mode 0700. An existing directory
 * is fine. Returns 0 or -errno.
 */
int sp_mkdir_p(const char *dir);

#endif
