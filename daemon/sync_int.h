/*
 * sync_int.h - what the files of the replication sessions share: the
 * session itself and the set of them (sync.c: lifecycle, dispatch, the
 * conn.h handlers, resync and live pushes), what a session shares with
 * its peer (sync_agree.c), reconciliation and sending (sync_reconcile.c),
 * and receiving (sync_receive.c, with the communities a hub learns). Not
 * a public API: the daemon uses sync.h. Everything here runs on the loop
 * thread (a receive task's run() reads only its job and the node).
 */
#ifndef SP_SYNC_INT_H
#define SP_SYNC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "conn.h"
#include "negentropy.h"
#include "node.h"
#include "wire.h"
#include "work.h"

/* sync.h's types; sync.h is not included, so that it does not depend on this file. */
typedef struct sp_sessions sp_sessions;
typedef struct sp_session sp_session;

/*
 * The initiator goes HELLO, CHARTERS, AREAS, LIVE, and back to CHARTERS
 * for each new pass. The responder goes HELLO, CHARTERS (it serves
 * whatever the initiator reconciles), LIVE once a SYNCED has come.
 */
enum sp_phase {
	SP_PHASE_HELLO,      /* waiting for the peer's HELLO */
	SP_PHASE_CHARTERS,   /* reconciling charters */
	SP_PHASE_AREAS,      /* reconciling the agreed areas */
	SP_PHASE_LIVE,       /* reconciled; pushing new records */
	SP_PHASES
};

/*
 * The ids Negentropy reported for the area being reconciled. With a frame
 * size limit the same id can come back in a later round; it must be asked
 * for (or sent) once. Ids are hashes, so their first 8 bytes serve as the
 * key: a collision (odds of 1 in 10^7 at a million ids) only delays one
 * record to the next reconciliation. Kept by sync_reconcile.c.
 */
struct sp_seen {
	uint64_t *slots;           /* 0: empty */
	size_t cap;                /* a power of two */
	size_t n;
};

/* Each part's own types, complete only in the file named. */
struct sp_membership;          /* sync_agree.c: whether we and the peer are in a charter */
struct sp_served;              /* sync_reconcile.c: an area we serve */
struct sp_outgoing;            /* sync_reconcile.c: a record id to send */

/* Every session, for the records to push to them. */
struct sp_sessions {
	sp_node *node;
	sp_work *work;
	sp_session *list;          /* those whose connection is open */
	void (*observer)(void *arg, const sp_area *area);
	void *observer_arg;
};

/* Each group of fields belongs to the file named: the others may read it. */
struct sp_session {
	/* sync.c */
	sp_sessions *ss;
	sp_session *prev, *next;   /* in ss->list while the connection is open */
	sp_conn *conn;             /* NULL once the connection closed */
	unsigned refs;             /* the connection, and each job in flight */
	bool initiator;
	bool missed;               /* a push was dropped (over budget): reconcile when drained */
	enum sp_phase phase;
	sp_peer_policy pol;        /* the peer's policy when the session began */

	/* sync_agree.c */
	sp_area *remote_offers;
	size_t nremote_offers;
	sp_want *remote_wants;
	size_t nremote_wants;
	uint8_t (*communities)[SP_PUBKEY_BYTES]; /* known here and named in a HELLO */
	size_t ncommunities;
	uint8_t (*consenting)[SP_PUBKEY_BYTES];  /* communities with a consent to the peer here */
	size_t nconsenting;
	sp_area *out;              /* areas we hold that we would send (sorted) */
	size_t nout;
	sp_area *in;               /* areas the peer offered that we accept (sorted) */
	size_t nin;
	struct sp_membership *members; /* charter membership, by community, as last agreed */
	size_t nmembers;

	/* sync_reconcile.c. Client: the areas of this phase, and the one being reconciled. */
	sp_area *todo;
	size_t ntodo;
	size_t itodo;
	sp_neg_vector *vec;
	sp_neg *neg;
	unsigned rounds;
	uint64_t have, need;
	struct sp_seen seen;       /* ids reported in this area so far */
	bool resync;               /* reconcile again once this pass ends */
	bool synced_sent;
	bool complete;             /* this pass is over: counted as a complete sync */
	unsigned pass_rounds;      /* Negentropy round trips since the last SYNCED */

	struct sp_served *served;
	size_t nserved;

	struct sp_outgoing *sendq;
	size_t nsend, isend, capsend;
	sp_area *send_areas;
	size_t nsend_areas;

	/* sync_receive.c */
	unsigned receive_jobs;
	uint8_t *deferred;         /* server: a NEG that waits for charters being stored */
	size_t deferred_len;
	sp_buf waiting;            /* a batch (batch.h) of records waiting for a charter */
	size_t nwaiting;
	/*
	 * Records whose author the charter held did not name (SP_EAUTHOR_UNKNOWN).
	 * The peer sends a charter before the records it admits, but batches
	 * are verified in parallel and may be stored out of order: each gets
	 * a last chance once everything received before has been stored.
	 */
	sp_buf unsure;
	size_t nunsure;
	unsigned rejects_logged;
	size_t learnt;             /* communities a hub learnt from this peer, or is learning */
	bool learn_refused;        /* past the bound: logged once */
};

/* sync.c: the session. */

/* Drops a reference; the last one frees the session and all it holds. */
void sp_session_unref(sp_session *s);
/* The peer's figures; NULL once the connection closed. */
sp_peer_stats *sp_session_stats(sp_session *s);
/* Closes the connection (if still open) with code and why. */
void sp_session_fail(sp_session *s, int code, const char *why);
/* Sends message b and frees it; failing to send closes the connection (unless gone). */
void sp_session_send(sp_session *s, sp_buf *b);
/* Handles one message from the peer (the caller holds a reference). */
void sp_session_message(sp_session *s, const uint8_t *msg, size_t len);
/*
 * Reads from the peer while there is room for what it sends: receive jobs
 * in flight, and the records it asked for and has not been sent yet.
 */
void sp_session_update_input(sp_session *s);
/* Reconciles again: the initiator starts a pass, the responder asks for one. */
void sp_session_resync(sp_session *s);
/*
 * sp_sessions_stored for a record received from `from` (NULL: written
 * here): it is not pushed back there.
 */
void sp_sessions_stored_from(sp_sessions *ss, const sp_area *area, const uint8_t *rec,
    size_t len, const sp_session *from);

/* sync_agree.c: what a session shares with its peer. */

/*
 * Area lists growing one at a time, to at most SP_WIRE_MAX_AREAS (more are
 * left out). err is the first failure; nothing is added after it.
 */
typedef struct sp_sync_area_list {
	sp_area *v;
	size_t n, cap;
	int err;
} sp_sync_area_list;

void sp_sync_area_list_add(sp_sync_area_list *l, const sp_area *a);
/* Whether a is in v, sorted (n areas). */
int sp_sync_area_search(const sp_area *v, size_t n, const sp_area *a);
/* Whether a is the area of a system collection (syscoll.h). */
bool sp_sync_is_system_area(const sp_area *a);
/* May records of area a flow from the peer to us? */
bool sp_session_accepts(const sp_session *s, const sp_area *a);
/* Whether area a holds consents to this node as a hub (.consent.SELF). */
bool sp_sync_is_consent_to_us(const sp_session *s, const sp_area *a);
/* Whether the peer is a hub below this hub (docs/HUBS.md, "The hierarchy of hubs"). */
bool sp_session_from_below(const sp_session *s);
/* May we send records of area a to the peer? */
bool sp_session_sends(const sp_session *s, const sp_area *a);
/*
 * The peer's offers, from an OFFERS (a hub learns communities from them:
 * sp_session_learn_communities); from a HELLO its offers and wants, then
 * the communities they name. SP_EFRAME, SP_ENOMEM, a store error, or
 * for a HELLO of another version SP_EPROTO_VERSION.
 */
int sp_session_read_offers(sp_session *s, const sp_wire_msg *m);
int sp_session_read_hello(sp_session *s, const sp_wire_msg *m);
/* Tells the peer the areas we offer, in a HELLO or an OFFERS (type). */
void sp_session_send_offers(sp_session *s, enum sp_wire_type type);
/* Adds the communities whose charters this session reconciles. */
int sp_session_collect_communities(sp_session *s);
/* Works out, from the charters now held, the areas agreed in each direction. */
int sp_session_agree(sp_session *s);
/* Charters changed here: agree again, and reconcile if the areas changed. */
void sp_session_charters_changed(sp_session *s);
/* Frees what sync_agree.c holds in s (at the last reference). */
void sp_session_agree_clear(sp_session *s);

/* sync_reconcile.c: the phases, Negentropy rounds, and sending. */

/* Starts reconciling the areas of phase (the initiator, as client). */
void sp_session_start_phase(sp_session *s, enum sp_phase phase);
/* Marks the pass complete (sending SYNCED as initiator) once nothing is left to do. */
void sp_session_maybe_complete(sp_session *s);
/* Sends queued records, as much as the socket takes. */
void sp_session_pump(sp_session *s);
/*
 * Message handlers, for sync.c's tables (per role and phase): raw is the
 * message as it came (the responder may have to hold a NEG back), m its
 * decoding.
 */
void sp_session_client_neg(sp_session *s, const sp_wire_msg *m, const uint8_t *raw,
    size_t raw_len);
void sp_session_server_neg(sp_session *s, const sp_wire_msg *m, const uint8_t *raw,
    size_t raw_len);
void sp_session_on_want(sp_session *s, const sp_wire_msg *m, const uint8_t *raw,
    size_t raw_len);
void sp_session_on_refused(sp_session *s, const sp_wire_msg *m, const uint8_t *raw,
    size_t raw_len);
void sp_session_on_done(sp_session *s, const sp_wire_msg *m, const uint8_t *raw,
    size_t raw_len);
void sp_session_on_synced(sp_session *s, const sp_wire_msg *m, const uint8_t *raw,
    size_t raw_len);
/* Frees what sync_reconcile.c holds in s (at the last reference). */
void sp_session_reconcile_clear(sp_session *s);

/* sync_receive.c: receiving records. */

/* RECORDS' handler, for sync.c's tables. */
void sp_session_on_records(sp_session *s, const sp_wire_msg *m, const uint8_t *raw,
    size_t raw_len);
/* Sends the records waiting for a charter through verification and the store again. */
void sp_session_retry_waiting(sp_session *s);
/*
 * On a hub, learns the communities of the peer's offers of .consent.SELF
 * (consents to this hub) not known here (docs/HUBS.md): added on the write
 * queue, after which the session names them and reconciles again. At most
 * 10,000 per session; past that they are refused and logged. 0, SP_ENOMEM
 * or a store error.
 */
int sp_session_learn_communities(sp_session *s);
/* Frees what sync_receive.c holds in s (at the last reference). */
void sp_session_receive_clear(sp_session *s);

#endif
