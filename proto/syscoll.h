/*
 * syscoll.h - the system collections: the records simpul itself keeps in a
 * community beside the users' data (the charter, summary definitions,
 * consents, summaries, heartbeats and a hub's aggregates: docs/HUBS.md).
 * Each is declared once, in one table: its name, its keys,
 * its label, who may write it, whether it may be deleted, how a record is
 * checked, when it is reconciled, to which peers it travels and how it is
 * shown. A row
 * "per hub" is a family of collections, NAME + a hub's node id in base32
 * (".consent." + 52 characters), one for each hub. Collection names
 * starting with '.' or '_' are reserved for this table: a record in a
 * reserved collection that is not in it is refused, whoever sends it.
 */
#ifndef SP_SYSCOLL_H
#define SP_SYSCOLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

/* Who may write a system collection's records. */
enum sp_sys_writer {
	SP_SYS_COMMUNITY_KEY,     /* signed by the community key itself */
	SP_SYS_ADMIN,             /* by an admin in the community's charter */
	SP_SYS_WRITER,            /* by any writer in the charter */
};

/* To which peers its records travel, whatever the policies say. */
enum sp_sys_travel {
	/*
	 * To a peer in the community's charter, or one with which the session
	 * agrees an area of the community in either direction (so a partner
	 * can check the records it is given, and learns no more members).
	 */
	SP_SYS_MEMBERS_AND_PARTNERS,
	/* To peers in the community's charter only. */
	SP_SYS_MEMBERS,
	/*
	 * A per-hub row: to members, to the hub it names, and from a hub on
	 * to the hubs above it.
	 */
	SP_SYS_HUB,
	/*
	 * A heartbeat: to members, to the hubs the community consented to,
	 * and from a hub on to the hubs above it.
	 */
	SP_SYS_TO_HUBS,
	/* An aggregate: only from a hub to the hubs above it. */
	SP_SYS_UPWARD,
};

typedef struct sp_syscoll {
	const char *name;              /* the collection, or a per-hub row's prefix */
	const char *shown_as;          /* what 'simpul ls' says it is */
	bool per_hub;                  /* name + a hub id: one collection per hub */
	const char *key;               /* the only key it holds; NULL: any check_key takes */
	int (*check_key)(const char *key, size_t len);
	enum sp_label label;           /* the only label its records carry */
	enum sp_sys_writer writer;
	bool tombstones;               /* may be deleted (never erased) */
	enum sp_sys_travel travel;
	bool at_hubs;                  /* a hub stores it (docs/HUBS.md); nothing else */
	/*
	 * Reconciliation phase: every system area of phase 0 is reconciled
	 * before anything else (what the rest is checked against comes first).
	 */
	unsigned phase;
	/*
	 * Checks a live record's body (canonical already), and that it agrees
	 * with the key and, for a per-hub row, the collection's hub. 0 or the
	 * rule it breaks.
	 */
	int (*check_body)(const sp_record *rec, const uint8_t *hub);
	int shape_error;               /* a record of another key, label or flags */
} sp_syscoll;

/* The row of collection (len bytes), or NULL. */
const sp_syscoll *sp_syscoll_find(const char *collection, size_t len);
/* The row of collection, as sp_syscoll_find; for a per-hub row its hub goes to hub. */
const sp_syscoll *sp_syscoll_find_hub(const char *collection, size_t len,
    uint8_t hub[SP_PUBKEY_BYTES]);

/* A per-hub row's collection for hub, into out (SP_COLLECTION_MAX + 1 bytes). */
void sp_syscoll_hub_collection(const sp_syscoll *sc, const uint8_t hub[SP_PUBKEY_BYTES],
    char *out);

/* The row named name exactly (a per-hub row by its prefix), for writers; NULL if none. */
const sp_syscoll *sp_syscoll_row(const char *name);

/* The i-th row of the table, or NULL past its end. */
const sp_syscoll *sp_syscoll_at(size_t i);

/* The charter's row: what the rest of the community is checked against. */
const sp_syscoll *sp_syscoll_charter(void);

/*
 * Whether a decoded record fits its system collection's shape: its key,
 * label, flags (a tombstone only where the row allows it, never erased)
 * and, for a live record, its key and body together. Who wrote it is the
 * caller's to check (sp_sys_writer needs the charter). 0, the row's
 * shape_error, or the check's error.
 */
int sp_syscoll_check(const sp_syscoll *sc, const sp_record *rec);

#endif
