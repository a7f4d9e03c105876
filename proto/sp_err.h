/*
 * sp_err.h - error codes shared by every simpul module.
 *
 * Functions that can fail return int: 0 on success or a negative code.
 * Codes in (-1000, 0) are -errno values from the operating system; simpul's
 * own codes live below -1000 and are listed here once, with the message a
 * person reads (translated at print time through gettext).
 */
#ifndef SP_ERR_H
#define SP_ERR_H

#define SP_ERR_BASE (-1000)

/* X(name, offset, message). Offsets are stable: they appear in --json output. */
#define SP_ERRORS(X) \
	X(SP_EINTERNAL,        1, "internal error") \
	X(SP_ENOMEM,           2, "out of memory") \
	X(SP_EINVAL,           3, "invalid argument") \
	X(SP_ENOTFOUND,        4, "not found") \
	X(SP_EEXIST,           5, "already exists") \
	X(SP_EBUSY,            6, "busy, try again when the running operation finishes") \
	X(SP_ETOOBIG,          7, "too large") \
	/* bounded msgpack reader (canonical encoding rules, docs/FORMAT.md) */ \
	X(SP_ETRUNCATED,      20, "encoding truncated: a length runs past the end of the input") \
	X(SP_ETRAILING,       21, "trailing bytes after the encoded value") \
	X(SP_ETYPE,           22, "unexpected msgpack type") \
	X(SP_ENONCANON_INT,   23, "integer not in its shortest encoding") \
	X(SP_ENONCANON_LEN,   24, "length header not in its shortest encoding") \
	X(SP_EUTF8,           25, "string is not valid UTF-8") \
	X(SP_EKEYORDER,       26, "map keys not sorted bytewise") \
	X(SP_EDUPKEY,         27, "duplicate map key") \
	X(SP_EKEYTYPE,        28, "map key is not a string") \
	X(SP_EDEPTH,          29, "nesting deeper than 8 levels") \
	X(SP_EEXT,            30, "extension types are not allowed") \
	X(SP_EFLOAT32,        31, "float32 is not allowed, floats are float64") \
	X(SP_ENAN,            32, "NaN and infinities are not allowed") \
	X(SP_ERESERVED_BYTE,  33, "reserved msgpack byte 0xc1") \
	X(SP_EBODY_TOO_BIG,   34, "record body larger than 60 KiB") \
	X(SP_EBODY_TYPE,      35, "record body is not a map") \
	X(SP_ECOUNT,          36, "a container declares more elements than the input can hold") \
	X(SP_EINTRANGE,       37, "integer outside the int64 range") \
	/* records */ \
	X(SP_EREC_VERSION,    50, "unknown record format version") \
	X(SP_EREC_FIELDS,     51, "record does not have exactly 10 fields") \
	X(SP_ECOLLECTION,     52, "bad collection name: use 1-64 of a-z 0-9 . _ -") \
	X(SP_EKEY,            53, "bad key: use 1-256 bytes of UTF-8 without control characters") \
	X(SP_EFLAGS,          54, "bad record flags") \
	X(SP_ELABEL,          55, "bad label: use private, community, shared or public") \
	X(SP_ESIG,            56, "signature does not verify") \
	X(SP_EFUTURE,         57, "timestamp more than 10 minutes ahead of this node's clock; check the clock of the writing device") \
	X(SP_ETOMBSTONE_BODY, 58, "a tombstone must have an empty body") \
	X(SP_EFIELD_SIZE,     59, "a fixed-size field has the wrong length") \
	X(SP_EALIAS,          60, "bad alias: use 1-64 of a-z 0-9 . _ - not starting with . or _") \
	X(SP_EID,             61, "bad id: expected 52 lowercase base32 characters") \
	/* authorisation */ \
	X(SP_ENOTWRITER,      80, "author is not a writer in the community's charter") \
	X(SP_ENOTADMIN,       81, "only a community admin or the record's author may do this") \
	X(SP_ENOCHARTER,      82, "community charter not known yet") \
	X(SP_ECHARTER,        83, "malformed charter") \
	X(SP_ELABEL_NARROW,   84, "narrowing a key's label in place is refused: erase the key and create it again") \
	X(SP_ERESERVED,       85, "collection names starting with . or _ are reserved for the system") \
	X(SP_ENOCOMMUNITYKEY, 86, "this node does not hold the community key; import it with 'simpul community import-key'") \
	X(SP_ESTALE,          87, "a newer version of this key exists") \
	X(SP_ELASTADMIN,      88, "the charter must keep at least one admin") \
	X(SP_EAUTHOR_UNKNOWN, 89, "author not a writer in the charter held here, which is older than the record: waiting for a newer charter") \
	X(SP_EDEFINITION,     90, "malformed summary definition") \
	X(SP_ECONSENT,        91, "malformed consent") \
	X(SP_EHUBONLY,        92, "a hub stores only charters, consents, summaries, aggregates and heartbeats") \
	X(SP_ESUMMARY,        93, "malformed summary") \
	X(SP_ENOCONSENT,      94, "no consent to this hub is held for this summary or heartbeat (never given, or withdrawn)") \
	X(SP_ECONSENT_EXPIRED, 95, "the summary's consent has expired") \
	X(SP_ECONSENT_ADMIN,  96, "the summary's consent is not signed by a current admin of the community") \
	X(SP_ECONSENT_HUB,    97, "the consent is for another hub") \
	X(SP_EAGGREGATE,      98, "malformed aggregate") \
	X(SP_EHEARTBEAT,      99, "malformed heartbeat") \
	/* store */ \
	X(SP_ESCHEMA,        100, "the data directory was written by a newer simpul; upgrade simpul") \
	X(SP_ESTORE,         101, "storage error (LMDB); see the daemon log") \
	X(SP_EMAPFULL,       102, "store is full: raise the map size") \
	X(SP_ECORRUPT,       103, "store is corrupt; restore from backup") \
	X(SP_ENOSPC,         104, "no room to write: the disk holding the data directory is full (or a file size limit was reached); free some space") \
	X(SP_ESCHEMA_OLD,    105, "the data directory's store has a schema too old for this simpul to upgrade; open it once with an older simpul release that upgrades it") \
	/* control protocol; the first two are the peer protocol's too (texts for both) */ \
	X(SP_EPROTO_VERSION, 120, "protocol version mismatch: the two sides run different versions of simpul") \
	X(SP_EFRAME,         121, "malformed message") \
	X(SP_EFRAME_TOO_BIG, 122, "control message too large") \
	X(SP_EUNKNOWN_CMD,   123, "unknown command") \
	X(SP_ENODAEMON,      124, "simpuld is not running for this data directory; start it with 'simpuld' (or 'simpuld --data DIR')") \
	X(SP_ELOCKED,        125, "another simpuld is already running on this data directory") \
	X(SP_ENOINIT,        126, "data directory not initialised; run 'simpul init'") \
	X(SP_EPASSPHRASE,    127, "wrong passphrase or damaged key file") \
	X(SP_EDISCONNECTED,  128, "connection to simpuld lost") \
	X(SP_EKEYMODE,       129, "key file readable by other users: make it private (chmod 600 FILE) and consider whether the key leaked") \
	X(SP_EKEYSIZE,       130, "key file has the wrong size: it is damaged or not a simpul key; restore it from your backup") \
	X(SP_ENOTFILE,       131, "not a regular file") \
	X(SP_EKEYPAIR,       132, "key file is damaged: its public half is not the key of its secret half; restore it from your backup") \
	/* user input: JSON and CSV */ \
	X(SP_EJSON,          140, "invalid JSON") \
	X(SP_ECSV,           141, "invalid CSV") \
	X(SP_EIMPORT_ABORTED,142, "import aborted; nothing was written") \
	/* peer protocol (docs/PROTOCOL.md, "Peer protocol") */ \
	X(SP_ENOISE,         160, "Noise handshake or decryption failed") \
	X(SP_ENEG,           170, "malformed Negentropy message") \
	X(SP_EUNKNOWN_PEER,  180, "unknown peer: add it with 'simpul peer add NAME NODE_ID'") \
	X(SP_ENOTCONNECTED,  181, "the peer is not connected and has no address to dial; it must connect to this node") \
	X(SP_EADDRINUSE,     182, "the listening address is in use: another program (or simpuld) listens there; use --listen HOST:PORT") \
	X(SP_ESHUTDOWN,      183, "the node is shutting down") \
	X(SP_EOUTSIDE,       184, "record outside the areas agreed with this peer") \
	X(SP_ENETKEY,        185, "bad network key file: it must hold exactly 32 bytes (make one with: head -c 32 /dev/urandom > FILE)") \
	/* hubs (docs/HUBS.md) */ \
	X(SP_ENOTHUB,        190, "this node is not a hub: reports are made on a hub (simpuld --hub)") \
	/* summaries: disclosure control (docs/DISCLOSURE.md) */ \
	X(SP_ETABLE_SIZE,    200, "summary table of the wrong size: it must have 1 to 256 categories and 1 to 16 values of the second field") \
	X(SP_ETABLE_K,       201, "the minimum count k must be from 3 to 1000") \
	X(SP_ETABLE_COUNT,   202, "a count in a summary table is negative or larger than 1000000000") \
	X(SP_ETABLE_TOTALS,  203, "summary table inconsistent: no table of counts agrees with its published cells and totals") \
	X(SP_ETABLE_SMALL,   204, "summary table publishes a count from 1 to k-1") \
	X(SP_ETABLE_PINNED,  205, "summary table does not protect a suppressed count: what is published fixes it, or shows it is below k")

enum sp_err {
#define SP_ERR_ENUM(name, off, msg) name = SP_ERR_BASE - (off),
	SP_ERRORS(SP_ERR_ENUM)
#undef SP_ERR_ENUM
};

/*
 * Returns a static English message for err (a code above, or -errno).
 * Never NULL. Callers translate it with _() before showing it.
 */
const char *sp_strerror(int err);

/* Returns the symbolic name of err ("SP_ESIG", "ENOENT"...), never NULL. */
const char *sp_errname(int err);

#endif
