/*
 * syscoll.h - the system collections: the records simpul itself keeps in a
 * community beside the users' data (today the charter; consents, summary
 * definitions, summaries and heartbeats are to join it). Each is declared
 * once, in one table: its name, the one key it holds, its label, who may
 * write it, how its body is checked, when it is reconciled and to which
 * peers it travels. Collection names starting with '.' or '_' are reserved
 * for this table: a record in a reserved collection that is not in it is
 * refused, whoever sends it.
 */
#ifndef SP_SYSCOLL_H
#define SP_SYSCOLL_H

#include <stdbool.h>
#include <stddef.h>

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
};

typedef struct sp_syscoll {
	const char *name;              /* the collection */
	const char *key;               /* the only key it holds */
	enum sp_label label;           /* the only label its records carry */
	enum sp_sys_writer writer;
	enum sp_sys_travel travel;
	/*
	 * Reconciliation phase: every system area of phase 0 is reconciled
	 * before anything else (what the rest is checked against comes first).
	 */
	unsigned phase;
	/* Checks a body (canonical already): 0 or the rule it breaks. */
	int (*check_body)(const uint8_t *body, size_t len);
	int shape_error;               /* a record of another key, label or flags */
} sp_syscoll;

/* The system collection named collection (len bytes), or NULL. */
const sp_syscoll *sp_syscoll_find(const char *collection, size_t len);

/* The i-th row of the table, or NULL past its end. */
const sp_syscoll *sp_syscoll_at(size_t i);

/* The charter's row: what the rest of the community is checked against. */
const sp_syscoll *sp_syscoll_charter(void);

/*
 * Whether a decoded record fits its system collection's shape: its key,
 * label, flags (no tombstones) and body. Who wrote it is the caller's to
 * check (sp_sys_writer needs the charter). 0, the row's shape_error, or
 * the body check's error.
 */
int sp_syscoll_check(const sp_syscoll *sc, const sp_record *rec);

#endif
