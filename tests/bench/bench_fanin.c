/*
 * bench_fanin: the load generator of the hub fan-in benchmark
 * (bench_fanin.sh, issue 10). Many community nodes live in this one
 * process, each with its own data directory, node key, community key,
 * charter, cases, summary definition, consent to the hub and published
 * summary, all signed by that node; in `run` they dial the hub on one
 * libuv loop through simpuld's own peer connections and sessions
 * (simpuld_core: the Noise handshake, HELLO, Negentropy, RECORDS), so the
 * hub, an unmodified `simpuld --hub` in its own process, meets N real
 * nodes, as it would meet N simpuld processes, minus N processes' start-up.
 *
 *   bench_fanin prepare ROOT N HUB_ID
 *     ROOT/c0000... : the communities (setup, not measured).
 *   bench_fanin peers ROOT N HUB_DIR HUB_ID HUB_ADDRESS
 *     Gives every node the hub as its peer, and adds every node as a peer
 *     of the hub through its control socket (setup).
 *   bench_fanin run ROOT N HUB_DIR HUB_ID [--handshakes H] [--timeout S]
 *     Starts the nodes, at most H dialling or in their handshake at once
 *     (default 4: all of them dial from 127.0.0.1, and the hub keeps at
 *     most 4 unfinished handshakes from one address), and asks the hub
 *     for each community's summary by its key (poll_hub) until it holds
 *     every one, then for its aggregate until it lists them all. The
 *     measured times run from the first dial to the last summary's yes
 *     and to that aggregate. Afterwards every summary is looked up once
 *     more. Prints
 *     key-value lines for bench_fanin.sh; progress goes to stderr.
 *   bench_fanin handshakes SECONDS
 *     The yardstick: complete Noise XX handshakes per second on one core
 *     (both sides, with the identity checks peer_conn.c makes).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <uv.h>

#include "aggregate.h"
#include "base32.h"
#include "bench_ctl.h"
#include "crypto.h"
#include "datadir.h"
#include "heartbeats.h"
#include "definition.h"
#include "identity.h"
#include "log.h"
#include "node.h"
#include "noise.h"
#include "peer.h"
#include "policy.h"
#include "publish.h"
#include "summary.h"
#include "sync.h"
#include "syscoll.h"
#include "wire.h"
#include "work.h"

#define SUMMARY_NAME   "pmks"
#define COMMUNITY      "rt"
#define HUB_PEER       "hub"
#define HUB_COMMUNITY  "hub"               /* the alias of a new hub's own community */
#define MAP_SIZE       ((size_t)16 << 20)  /* each community's store: a few hundred records */
#define CASES_MIN      30
#define CASES_SPREAD   61                  /* 30 to 90 cases a community */
#define POLL_MS        50
#define TICK_MS        2
#define PROGRESS_S     5.0

/* The ministry's PMKS categories (Permensos 08/2012), as a definition lists them. */
static const char *const pmks[] = {
	"anak_balita_terlantar", "anak_terlantar", "anak_berhadapan_hukum", "anak_jalanan",
	"anak_disabilitas", "anak_korban_kekerasan", "anak_perlindungan_khusus",
	"lanjut_usia_terlantar", "penyandang_disabilitas", "tuna_susila", "gelandangan",
	"pengemis", "pemulung", "kelompok_minoritas", "bekas_warga_binaan",
	"odha", "korban_napza", "korban_trafficking", "korban_tindak_kekerasan",
	"pekerja_migran_bermasalah", "korban_bencana_alam", "korban_bencana_sosial",
	"perempuan_rawan_sosial_ekonomi", "fakir_miskin", "keluarga_bermasalah_psikologis",
	"komunitas_adat_terpencil",
};
#define NPMKS (sizeof(pmks) / sizeof(pmks[0]))

typedef struct community {
	char dir[SP_PATH_MAX];
	uint8_t node_id[SP_PUBKEY_BYTES];
	uint8_t id[SP_PUBKEY_BYTES];       /* the community's */
	sp_node *node;
	sp_work *work;
	sp_sessions *sessions;
	/* NULL until started (start_node), as simpuld starts them. */
	sp_watch *publisher;
	sp_peers *peers;
	sp_heartbeats *heartbeats;
} community;

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
fail(const char *what, int r)
{
	fprintf(stderr, "bench_fanin: %s: %s\n", what, sp_strerror(r));
	return 1;
}

static int
parse_count(const char *s, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno != 0 || *end != '\0' || end == s || *out == 0 ? SP_EINVAL : 0;
}

static int
community_dir(char *out, size_t size, const char *root, unsigned long i)
{
	char name[24];

	snprintf(name, sizeof(name), "c%04lu", i);
	return sp_path_join(out, size, root, name);
}

static int
open_node(const char *dir, sp_node **out)
{
	sp_store_options opt = { .map_size = MAP_SIZE };

	return sp_node_open(dir, wall_ms, &opt, out);
}

/*
 * The category of a case: a few categories (the poor, the elderly, the
 * disabled) are common, the rest rare, so that every summary has both
 * published and suppressed cells.
 */
static const char *
case_category(void)
{
	uint32_t x;

	sp_randombytes(&x, sizeof(x));
	if (x % 100 < 60)
		return pmks[(x / 100) % 3 == 0 ? 23 : (x / 100) % 3 == 1 ? 7 : 8];
	return pmks[(x / 100) % NPMKS];
}

static int
put_cases(sp_node *n, const uint8_t community_id[SP_PUBKEY_BYTES], unsigned count)
{
	char key[16], json[160], err[128];
	uint8_t id[SP_ID_BYTES];
	sp_write w;
	sp_buf body;
	unsigned i;
	int len, r = 0;

	for (i = 0; i < count && r == 0; i++) {
		snprintf(key, sizeof(key), "k%03u", i);
		len = snprintf(json, sizeof(json), "{\"category\":\"%s\",\"sex\":\"%s\"}",
		    case_category(), i % 2 ? "L" : "P");
		sp_buf_init(&body);
		if ((r = sp_json_to_body(json, (size_t)len, &body, err, sizeof(err))) == 0) {
			memset(&w, 0, sizeof(w));
			memcpy(w.community, community_id, SP_PUBKEY_BYTES);
			w.collection = "cases";
			w.collection_len = strlen(w.collection);
			w.key = key;
			w.key_len = strlen(key);
			w.body = body.data;
			w.body_len = body.len;
			r = sp_node_put(n, &w, id);
		}
		sp_buf_free(&body);
	}
	return r;
}

static int
define_pmks(sp_node *n, const uint8_t community_id[SP_PUBKEY_BYTES])
{
	sp_definition *d;
	sp_written written;
	sp_buf body;
	size_t i;
	int r;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return SP_ENOMEM;
	sp_buf_init(&body);
	snprintf(d->from, sizeof(d->from), "cases");
	snprintf(d->by[0], sizeof(d->by[0]), "category");
	d->nby = 1;
	for (i = 0; i < NPMKS; i++)
		snprintf(d->categories[i], sizeof(d->categories[i]), "%s", pmks[i]);
	d->ncategories = NPMKS;
	d->k = SP_DEF_K_DEFAULT;
	d->period = SP_PERIOD_MONTH;
	if ((r = sp_definition_encode(d, &body)) == 0)
		r = sp_node_summary_define(n, community_id, SUMMARY_NAME, body.data, body.len,
		    &written);
	sp_buf_free(&body);
	free(d);
	return r;
}

/* One community: node key, community, cases, definition, consent to hub, its summary. */
static int
prepare_one(const char *dir, const uint8_t hub[SP_PUBKEY_BYTES])
{
	sp_community_info info;
	sp_written written;
	uint8_t pk[SP_PUBKEY_BYTES];
	uint32_t x;
	sp_node *n = NULL;
	int r;

	sp_randombytes(&x, sizeof(x));
	if ((r = sp_identity_create(dir, pk)) != 0 || (r = open_node(dir, &n)) != 0 ||
	    (r = sp_node_community_create(n, COMMUNITY, &info)) != 0 ||
	    (r = put_cases(n, info.id, CASES_MIN + x % CASES_SPREAD)) != 0 ||
	    (r = define_pmks(n, info.id)) != 0 ||
	    (r = sp_node_summary_consent(n, info.id, SUMMARY_NAME, hub, 0, &written)) != 0 ||
	    (r = sp_node_summary_publish(n, info.id, SUMMARY_NAME, wall_ms(), &written)) != 0)
		goto out;
	if (written.n != 1)
		r = SP_EINTERNAL;
out:
	sp_node_close(n);
	return r;
}

static int
cmd_prepare(int argc, char **argv)
{
	uint8_t hub[SP_PUBKEY_BYTES];
	char dir[SP_PATH_MAX];
	unsigned long n, i;
	double t0 = bench_now();
	int r;

	if (argc != 3 || parse_count(argv[1], &n) != 0 ||
	    sp_base32_decode(hub, sizeof(hub), argv[2], strlen(argv[2])) != 0) {
		fprintf(stderr, "usage: bench_fanin prepare ROOT N HUB_ID\n");
		return 2;
	}
	if ((r = sp_mkdir_p(argv[0])) != 0)
		return fail(argv[0], r);
	for (i = 0; i < n; i++) {
		if ((r = community_dir(dir, sizeof(dir), argv[0], i)) != 0 ||
		    (r = prepare_one(dir, hub)) != 0)
			return fail(dir, r);
	}
	printf("prepare_s %.1f\n", bench_now() - t0);
	return 0;
}

/* run: the nodes on one loop, the hub polled from a thread of its own. */

typedef struct state_count {
	unsigned connecting, syncing, live, backoff;
} state_count;

typedef struct bench {
	uv_loop_t loop;
	community *c;
	unsigned long n, started;
	unsigned handshakes;            /* at most this many dialling or in their handshake */
	const char *hub_dir;
	const char *hub_address;        /* peers only */
	uint8_t hub_id[SP_PUBKEY_BYTES];
	uv_timer_t tick;
	uv_async_t done;
	double t0, t_last_progress, timeout_s;
	state_count at_done;            /* the nodes' states when it ended */
	/* Shared with the poller, under lock. */
	pthread_mutex_t lock;
	unsigned long seen;             /* the hub holds the summaries of communities 0 to seen - 1 */
	double t_all;                   /* every summary is at the hub */
	double t_aggregate;             /* and the hub's aggregate lists them all */
	bool finished, stop_polling;
	int poll_err;
} bench;

static void
count_state(void *arg, const sp_peer_policy *pol, enum sp_peer_state state,
    const sp_peer_stats *st)
{
	state_count *sc = arg;

	(void)pol;
	(void)st;
	sc->connecting += state == SP_PEER_CONNECTING;
	sc->syncing += state == SP_PEER_SYNCING;
	sc->live += state == SP_PEER_LIVE;
	sc->backoff += state == SP_PEER_BACKOFF;
}

static state_count
count_states(bench *b)
{
	state_count sc = { 0, 0, 0, 0 };
	unsigned long i;

	for (i = 0; i < b->started; i++)
		if (b->c[i].peers != NULL)
			sp_peers_each(b->c[i].peers, count_state, &sc);
	return sc;
}

/* The node's only peer: the hub, which it dials. */
static int
set_hub_peer(bench *b, community *c)
{
	sp_peer_policy *pol;
	sp_buf enc;
	sp_txn *t;
	int r;

	if ((pol = calloc(1, sizeof(*pol))) == NULL)
		return SP_ENOMEM;
	sp_buf_init(&enc);
	snprintf(pol->name, sizeof(pol->name), HUB_PEER);
	memcpy(pol->node, b->hub_id, SP_PUBKEY_BYTES);
	snprintf(pol->address, sizeof(pol->address), "%s", b->hub_address);
	if ((r = sp_policy_encode(pol, &enc)) != 0 ||
	    (r = sp_txn_begin(sp_node_store(c->node), true, &t)) != 0)
		goto out;
	if ((r = sp_store_peer_put(t, HUB_PEER, strlen(HUB_PEER), enc.data, enc.len)) != 0)
		sp_txn_abort(t);
	else
		r = sp_txn_commit(t);
out:
	sp_buf_free(&enc);
	free(pol);
	return r;
}

/* The community's node as a peer of the hub: inbound only, no policy (as test_hub.sh adds one). */
static int
hub_add_peer(sp_client *hub, unsigned long i, const community *c)
{
	char name[24];
	sp_ctl_msg m;
	sp_buf req;

	snprintf(name, sizeof(name), "c%04lu", i);
	sp_buf_init(&req);
	sp_ctl_begin_request(&req, "peer.add", 5);
	sp_pack_cstr(&req, "name");
	sp_pack_cstr(&req, name);
	sp_pack_cstr(&req, "node");
	sp_pack_bin(&req, c->node_id, SP_PUBKEY_BYTES);
	sp_pack_cstr(&req, "address");
	sp_pack_cstr(&req, "");
	sp_pack_cstr(&req, "offers");
	sp_pack_array(&req, 0);
	sp_pack_cstr(&req, "wants");
	sp_pack_array(&req, 0);
	return bench_call(hub, &req, &m);
}

/* Where a community's summary is at the hub: .summary.HUB, pmks/PERIOD (this month). */
static void
summary_address(const bench *b, char collection[SP_COLLECTION_MAX + 1],
    char key[SP_COLLECTION_MAX + 1])
{
	char period[8];

	sp_syscoll_hub_collection(sp_syscoll_row(SP_SUMMARY_COLLECTION), b->hub_id, collection);
	sp_period_format(SP_PERIOD_MONTH, wall_ms(), period);
	snprintf(key, SP_COLLECTION_MAX + 1, "%s/%s", SUMMARY_NAME, period);
}

/* 0 when the hub holds community i's summary, SP_ENOTFOUND when not yet. */
static int
hub_has_summary(const bench *b, sp_client *hub, unsigned long i)
{
	char collection[SP_COLLECTION_MAX + 1], key[SP_COLLECTION_MAX + 1];
	char cid[SP_ID_STR_LEN + 1];

	summary_address(b, collection, key);
	sp_base32_encode(cid, b->c[i].id, SP_PUBKEY_BYTES);
	return bench_get(hub, cid, collection, key);
}

/*
 * How many inputs the hub's aggregate of pmks for this month lists, in
 * the hub's own community ("hub", docs/HUBS.md); SP_ENOTFOUND before it
 * has one.
 */
static int
hub_aggregate_inputs(sp_client *hub, size_t *n)
{
	char period[8], key[SP_COLLECTION_MAX + 1];
	const uint8_t *body;
	sp_aggregate *a = NULL;
	sp_ctl_msg m;
	sp_buf req;
	size_t len;
	int r;

	*n = 0;
	sp_period_format(SP_PERIOD_MONTH, wall_ms(), period);
	snprintf(key, sizeof(key), "%s/%s", SUMMARY_NAME, period);
	sp_buf_init(&req);
	sp_ctl_begin_request(&req, "get", 3);
	bench_pack_address(&req, HUB_COMMUNITY, SP_AGGREGATE_COLLECTION, key);
	if ((r = bench_call(hub, &req, &m)) != 0 ||
	    (r = sp_ctl_get_raw(&m, "body", &body, &len)) != 0 ||
	    (r = sp_aggregate_decode(body, len, &a)) != 0)
		return r;
	*n = sp_aggregate_ninputs(a);
	sp_aggregate_free(a);
	return 0;
}

/*
 * The poller, on a thread of its own, so that a slow answer delays no
 * community node: it asks the hub for the summary of the first community
 * it has not seen there yet, and on a yes for the next at once, else
 * again after POLL_MS. Each summary is asked for by its key until it is
 * there, and never again: about N questions in all, each small, where a
 * status (records counted) would carry the hub's whole peer table. Once
 * every summary is there, it asks for the hub's aggregate every POLL_MS
 * until it lists them all (before, it could not).
 */
static void *
poll_hub(void *arg)
{
	bench *b = arg;
	sp_client *hub = NULL;
	unsigned long next = 0;
	size_t inputs = 0;
	int r;

	if ((r = sp_client_connect(b->hub_dir, &hub)) != 0)
		goto out;
	for (;;) {
		while (next < b->n && (r = hub_has_summary(b, hub, next)) == 0)
			next++;
		/* Past the last summary, r is 0. */
		if (next == b->n)
			r = hub_aggregate_inputs(hub, &inputs);
		if (r != 0 && r != SP_ENOTFOUND)
			break;
		r = 0;
		pthread_mutex_lock(&b->lock);
		b->seen = next;
		if (next == b->n && b->t_all == 0)
			b->t_all = bench_now();
		if (inputs == b->n) {
			b->t_aggregate = bench_now();
			b->finished = true;
		}
		if (b->finished || b->stop_polling) {
			pthread_mutex_unlock(&b->lock);
			break;
		}
		pthread_mutex_unlock(&b->lock);
		usleep(POLL_MS * 1000);
	}
out:
	pthread_mutex_lock(&b->lock);
	b->poll_err = r;
	pthread_mutex_unlock(&b->lock);
	sp_client_close(hub);
	uv_async_send(&b->done);
	return NULL;
}

static void
progress(bench *b, double now)
{
	state_count sc = count_states(b);
	unsigned long seen;

	pthread_mutex_lock(&b->lock);
	seen = b->seen;
	pthread_mutex_unlock(&b->lock);
	fprintf(stderr, "%6.1f s: the hub holds the summaries of communities 0 to %lu at least; "
	    "nodes started %lu, connecting %u, syncing %u, live %u, backing off %u\n",
	    now - b->t0, seen, b->started, sc.connecting, sc.syncing, sc.live, sc.backoff);
}

/*
 * Starts a node's parts as simpuld does (daemon.c): its publisher (which
 * finds its summary published already), its peer manager (which dials
 * the hub at once) and its heartbeats (the first written at once). What
 * started is closed with the others in on_done, even on failure.
 */
static int
start_node(bench *b, community *c)
{
	sp_peers_options popt;
	sp_conn_handlers h;
	int r;

	memset(&popt, 0, sizeof(popt));
	sp_sessions_handlers(c->sessions, &h);
	if ((r = sp_publisher_start(&b->loop, c->node, c->work, c->sessions,
	    &c->publisher)) != 0 ||
	    (r = sp_peers_start(&b->loop, c->node, &popt, &h, &c->peers)) != 0)
		return r;
	return sp_heartbeats_start(&b->loop, c->node, c->work, c->sessions, c->peers, 0,
	    &c->heartbeats);
}

/* Starts nodes while fewer than b->handshakes are dialling or in their handshake. */
static void
on_tick(uv_timer_t *t)
{
	bench *b = t->data;
	state_count sc = count_states(b);
	double now = bench_now();
	int r;

	while (b->started < b->n && sc.connecting < b->handshakes) {
		if ((r = start_node(b, &b->c[b->started++])) != 0) {
			fail("starting a node", r);
			b->timeout_s = 0;
			break;
		}
		sc.connecting++;
	}
	if (now - b->t_last_progress >= PROGRESS_S) {
		b->t_last_progress = now;
		progress(b, now);
	}
	if (now - b->t0 >= b->timeout_s) {
		pthread_mutex_lock(&b->lock);
		b->stop_polling = true;
		pthread_mutex_unlock(&b->lock);
	}
}

static void
on_done(uv_async_t *a)
{
	bench *b = a->data;
	unsigned long i;

	b->at_done = count_states(b);
	uv_timer_stop(&b->tick);
	uv_close((uv_handle_t *)&b->tick, NULL);
	uv_close((uv_handle_t *)&b->done, NULL);
	/* Stop as simpuld stops: no new work, every connection closed, then the loop drains. */
	for (i = 0; i < b->n; i++) {
		sp_work_stop(b->c[i].work);
		sp_watch_close(b->c[i].publisher);
		sp_heartbeats_close(b->c[i].heartbeats);
		if (b->c[i].peers != NULL)
			sp_peers_close(b->c[i].peers);
	}
}

/* How many communities' summaries the hub holds, each asked for by its key. */
static int
count_summaries(bench *b, unsigned long *found)
{
	sp_client *hub = NULL;
	unsigned long i;
	int r;

	*found = 0;
	if ((r = sp_client_connect(b->hub_dir, &hub)) != 0)
		return r;
	for (i = 0; i < b->n; i++) {
		if ((r = hub_has_summary(b, hub, i)) == 0)
			(*found)++;
		else if (r != SP_ENOTFOUND)
			break;
		r = 0;
	}
	sp_client_close(hub);
	return r;
}

/* The node's community, by its alias. */
static int
read_community(community *c)
{
	sp_community_info info;
	sp_txn *t;
	int r;

	memcpy(c->node_id, sp_node_id(c->node), SP_PUBKEY_BYTES);
	if ((r = sp_txn_begin(sp_node_store(c->node), false, &t)) != 0)
		return r;
	if ((r = sp_store_community_find(t, COMMUNITY, &info)) == 0)
		memcpy(c->id, info.id, SP_PUBKEY_BYTES);
	sp_txn_abort(t);
	return r;
}

/* Opens every node, with its work queues and sessions. */
static int
setup_nodes(bench *b, const char *root)
{
	community *c;
	unsigned long i;
	int r = 0;

	for (i = 0; i < b->n && r == 0; i++) {
		c = &b->c[i];
		if ((r = community_dir(c->dir, sizeof(c->dir), root, i)) != 0 ||
		    (r = open_node(c->dir, &c->node)) != 0 || (r = read_community(c)) != 0 ||
		    (r = sp_work_new(&b->loop, &c->work)) != 0 ||
		    (r = sp_sessions_new(c->node, c->work, &c->sessions)) != 0)
			return fail(c->dir, r);
	}
	return 0;
}

/* peers: every node gets the hub as its peer, the hub each node as one of its own. */
static int
cmd_peers(int argc, char **argv)
{
	sp_client *hub = NULL;
	bench b;
	community c;
	unsigned long i;
	int r;

	memset(&b, 0, sizeof(b));
	if (argc != 5 || parse_count(argv[1], &b.n) != 0 ||
	    sp_base32_decode(b.hub_id, sizeof(b.hub_id), argv[3], strlen(argv[3])) != 0) {
		fprintf(stderr, "usage: bench_fanin peers ROOT N HUB_DIR HUB_ID HUB_ADDRESS\n");
		return 2;
	}
	b.hub_address = argv[4];
	if ((r = sp_client_connect(argv[2], &hub)) != 0)
		return fail(argv[2], r);
	for (i = 0; i < b.n; i++) {
		memset(&c, 0, sizeof(c));
		if ((r = community_dir(c.dir, sizeof(c.dir), argv[0], i)) != 0 ||
		    (r = open_node(c.dir, &c.node)) != 0)
			break;
		memcpy(c.node_id, sp_node_id(c.node), SP_PUBKEY_BYTES);
		r = set_hub_peer(&b, &c);
		sp_node_close(c.node);
		if (r != 0 || (r = hub_add_peer(hub, i, &c)) != 0)
			break;
	}
	sp_client_close(hub);
	return r != 0 ? fail(c.dir, r) : 0;
}

static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int
cmd_run(int argc, char **argv)
{
	bench b;
	pthread_t poller;
	unsigned long i, found = 0, h = 4, timeout = 300;
	double cpu0, cpu1;
	int r = 0, a;

	memset(&b, 0, sizeof(b));
	if (argc < 4 || parse_count(argv[1], &b.n) != 0 ||
	    sp_base32_decode(b.hub_id, sizeof(b.hub_id), argv[3], strlen(argv[3])) != 0)
		goto usage;
	for (a = 4; a < argc; a += 2) {
		if (a + 1 >= argc)
			goto usage;
		if (strcmp(argv[a], "--handshakes") == 0 && parse_count(argv[a + 1], &h) == 0)
			continue;
		if (strcmp(argv[a], "--timeout") == 0 && parse_count(argv[a + 1], &timeout) == 0)
			continue;
		goto usage;
	}
	b.hub_dir = argv[2];
	b.handshakes = (unsigned)h;
	b.timeout_s = (double)timeout;
	if ((b.c = calloc(b.n, sizeof(*b.c))) == NULL)
		return fail("memory", SP_ENOMEM);
	pthread_mutex_init(&b.lock, NULL);
	uv_loop_init(&b.loop);
	if (setup_nodes(&b, argv[0]) != 0) {
		r = 1;
		goto out;
	}
	uv_timer_init(&b.loop, &b.tick);
	uv_async_init(&b.loop, &b.done, on_done);
	b.tick.data = b.done.data = &b;
	cpu0 = cpu_s();
	b.t0 = b.t_last_progress = bench_now();
	pthread_create(&poller, NULL, poll_hub, &b);
	uv_timer_start(&b.tick, on_tick, 0, TICK_MS);
	uv_run(&b.loop, UV_RUN_DEFAULT);
	pthread_join(poller, NULL);
	cpu1 = cpu_s();
	r = b.poll_err != 0 ? fail("asking the hub", b.poll_err) : 0;
	if (r == 0 && (r = count_summaries(&b, &found)) != 0)
		fail("looking the summaries up at the hub", r);
	printf("communities %lu\n", b.n);
	printf("finished %d\n", b.finished ? 1 : 0);
	if (b.t_all != 0)
		printf("all_s %.2f\n", b.t_all - b.t0);
	if (b.finished) {
		printf("aggregate_s %.2f\n", b.t_aggregate - b.t0);
	}
	printf("summaries_found %lu\n", found);
	printf("generator_cpu_s %.2f\n", cpu1 - cpu0);
	printf("nodes_started %lu\n", b.started);
	printf("nodes_live %u\n", b.at_done.live);
	if (!b.finished)
		r = 1;
out:
	for (i = 0; i < b.n; i++)
		if (b.c[i].work != NULL)
			sp_work_stop(b.c[i].work);
	uv_run(&b.loop, UV_RUN_DEFAULT);
	for (i = 0; i < b.n; i++) {
		sp_peers_free(b.c[i].peers);
		sp_watch_free(b.c[i].publisher);
		sp_heartbeats_free(b.c[i].heartbeats);
		sp_sessions_free(b.c[i].sessions);
		sp_work_free(b.c[i].work);
		sp_node_close(b.c[i].node);
	}
	(void)uv_loop_close(&b.loop);
	pthread_mutex_destroy(&b.lock);
	free(b.c);
	return r;
usage:
	fprintf(stderr, "usage: bench_fanin run ROOT N HUB_DIR HUB_ID "
	    "[--handshakes H] [--timeout S]\n");
	return 2;
}

/* handshakes: the yardstick. */

/* A node's keys as peer_conn.c holds them (its Ed25519 id, the X25519 key from it), and a handshake. */
typedef struct hs_side {
	uint8_t ed_pk[SP_PUBKEY_BYTES], ed_sk[64], x_sk[SP_NOISE_KEY_BYTES];
	bool initiator;
	sp_noise_hs *hs;
} hs_side;

static int
hs_side_keys(hs_side *s, bool initiator)
{
	memset(s, 0, sizeof(*s));
	s->initiator = initiator;
	sp_sign_keypair(s->ed_pk, s->ed_sk);
	return sp_x25519_from_ed25519_sk(s->x_sk, s->ed_sk) != 0 ? SP_ENOISE : 0;
}

static int
hs_side_start(hs_side *s)
{
	return sp_noise_hs_new(SP_NOISE_XX, s->initiator, (const uint8_t *)SP_WIRE_PROLOGUE,
	    strlen(SP_WIRE_PROLOGUE), s->x_sk, NULL, &s->hs);
}

/* The id a handshake message carried must be the Noise static key's (check_identity). */
static int
hs_check(const hs_side *s, const uint8_t *payload, size_t len)
{
	uint8_t rs[SP_NOISE_KEY_BYTES], x[SP_NOISE_KEY_BYTES];

	if (len != SP_PUBKEY_BYTES || sp_noise_hs_remote_static(s->hs, rs) != 0 ||
	    sp_x25519_from_ed25519_pk(x, payload) != 0 || memcmp(x, rs, sizeof(x)) != 0)
		return SP_ENOISE;
	return 0;
}

/* One connection's handshake between two nodes, both sides, as peer_conn.c runs it. */
static int
handshake_once(hs_side *i, hs_side *r)
{
	uint8_t msg[SP_WIRE_HS_MSG_MAX], payload[SP_WIRE_HS_MSG_MAX];
	size_t mlen, plen;
	sp_cipher a, b, c, d;
	int e;

	if ((e = hs_side_start(i)) != 0 || (e = hs_side_start(r)) != 0 ||
	    (e = sp_noise_hs_write(i->hs, NULL, 0, msg, sizeof(msg), &mlen)) != 0 ||
	    (e = sp_noise_hs_read(r->hs, msg, mlen, payload, sizeof(payload), &plen)) != 0 ||
	    (e = sp_noise_hs_write(r->hs, r->ed_pk, SP_PUBKEY_BYTES, msg, sizeof(msg),
	    &mlen)) != 0 ||
	    (e = sp_noise_hs_read(i->hs, msg, mlen, payload, sizeof(payload), &plen)) != 0 ||
	    (e = hs_check(i, payload, plen)) != 0 ||
	    (e = sp_noise_hs_write(i->hs, i->ed_pk, SP_PUBKEY_BYTES, msg, sizeof(msg),
	    &mlen)) != 0 ||
	    (e = sp_noise_hs_read(r->hs, msg, mlen, payload, sizeof(payload), &plen)) != 0 ||
	    (e = hs_check(r, payload, plen)) != 0 ||
	    (e = sp_noise_hs_split(i->hs, &a, &b)) != 0 ||
	    (e = sp_noise_hs_split(r->hs, &c, &d)) != 0)
		goto out;
	e = memcmp(a.k, d.k, sizeof(a.k)) == 0 ? 0 : SP_ENOISE;
out:
	sp_noise_hs_free(i->hs);
	sp_noise_hs_free(r->hs);
	i->hs = r->hs = NULL;
	return e;
}

static int
cmd_handshakes(int argc, char **argv)
{
	unsigned long seconds, n;
	hs_side i, r;
	double t0, el;
	int e;

	if (argc != 1 || parse_count(argv[0], &seconds) != 0) {
		fprintf(stderr, "usage: bench_fanin handshakes SECONDS\n");
		return 2;
	}
	if ((e = hs_side_keys(&i, true)) != 0 || (e = hs_side_keys(&r, false)) != 0)
		return fail("keys", e);
	t0 = bench_now();
	for (n = 0; (el = bench_now() - t0) < (double)seconds; n++)
		if ((e = handshake_once(&i, &r)) != 0)
			return fail("handshake", e);
	sp_memzero(i.ed_sk, sizeof(i.ed_sk));
	sp_memzero(r.ed_sk, sizeof(r.ed_sk));
	printf("handshakes_per_s %.0f\n", (double)n / el);
	return 0;
}

int
main(int argc, char **argv)
{
	if (sp_crypto_init() != 0)
		return fail("libsodium", SP_EINTERNAL);
	/* As the hub logs: what goes wrong, not every connection of a thousand. */
	sp_log_set_level(SP_LOG_WARN);
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && strcmp(argv[1], "prepare") == 0)
		return cmd_prepare(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "peers") == 0)
		return cmd_peers(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "handshakes") == 0)
		return cmd_handshakes(argc - 2, argv + 2);
	fprintf(stderr, "usage: bench_fanin prepare|run|handshakes ...\n");
	return 2;
}
