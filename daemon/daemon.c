#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "aggregator.h"
#include "base32.h"
#include "crypto.h"
#include "commands.h"
#include "datadir.h"
#include "heartbeats.h"
#include "identity.h"
#include "keyfile.h"
#include "noise.h"
#include "pack.h"
#include "peer.h"
#include "publish.h"
#include "sp_err.h"
#include "sync.h"

#define CTL_SOCKET     "simpuld.sock"
#define LOCK_FILE      "simpuld.lock"
#define CTL_MAX_CONNS  64

typedef struct sp_daemon {
	uv_loop_t loop;
	sp_node *node;
	sp_work *work;
	sp_ctl_server *ctl;
	sp_sessions *sessions;
	sp_watch *publisher;        /* a community node's summaries; NULL on a hub */
	sp_heartbeats *heartbeats;  /* NULL on a hub */
	sp_aggregator *aggregator;  /* a hub's aggregates; NULL on a community node */
	sp_peers *peers;
	uv_signal_t sigterm;
	uv_signal_t sigint;
	int lock_fd;
	int stopping;
	sp_cmd_env env;        /* what the command handlers act on */
} sp_daemon;

/* The wall clock: for the node's hybrid logical clock and what users read, never for timers. */
static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
on_ctl_closed(void *arg)
{
	sp_daemon *d = arg;

	d->ctl = NULL;
}

/* Shuts down: the loop runs until what is under way has finished. */
static void
daemon_stop(void *arg)
{
	sp_daemon *d = arg;

	if (d->stopping)
		return;
	d->stopping = 1;
	log_info("shutting down");
	sp_work_stop(d->work);
	sp_watch_close(d->publisher);
	sp_heartbeats_close(d->heartbeats);
	sp_aggregator_close(d->aggregator);
	uv_close((uv_handle_t *)&d->sigterm, NULL);
	uv_close((uv_handle_t *)&d->sigint, NULL);
	/* Work already queued finishes first: the loop runs until it is done. */
	if (d->peers != NULL)
		sp_peers_close(d->peers);
	if (d->ctl != NULL)
		sp_ctl_server_close(d->ctl, on_ctl_closed, d);
}

static void
on_signal(uv_signal_t *h, int signum)
{
	log_info("received signal %d", signum);
	daemon_stop(h->data);
}

/* Holds dir/simpuld.lock for the daemon's lifetime: one simpuld per directory. */
static int
lock_dir(const char *dir, int *fd_out)
{
	char path[SP_PATH_MAX], pid[32];
	int fd, r, n;

	*fd_out = -1;
	if ((r = sp_path_join(path, sizeof(path), dir, LOCK_FILE)) != 0)
		return r;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return errno == ENOENT ? SP_ENOINIT : -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		r = errno == EWOULDBLOCK ? SP_ELOCKED : -errno;
		close(fd);
		return r;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || write(fd, pid, (size_t)n) != n)
		log_warn("cannot record pid in %s: %s", path, strerror(errno));
	*fd_out = fd;
	return 0;
}

/* The store's start-up recovery, said as the other import rollbacks are. */
static void
log_recovered(void *arg, const sp_store_recovered *imp)
{
	char collection[4 * SP_COLLECTION_MAX + 1];

	(void)arg;
	sp_log_escape(collection, sizeof(collection), imp->collection, imp->collection_len);
	if (imp->rolled_back)
		log_info("import %llu into %s rolled back", (unsigned long long)imp->import_id,
		    collection);
	else
		log_info("import %llu into %s committed (its cleanup finished at start-up)",
		    (unsigned long long)imp->import_id, collection);
}

/* A hub writes its aggregates in a community of its own, made when it first starts. */
static int
start_hub(sp_node *node, sp_community_info *hub)
{
	char idstr[SP_ID_STR_LEN + 1];
	bool created;
	int r;

	if ((r = sp_node_hub_start(node, hub, &created)) != 0) {
		log_error("cannot make the hub's own community: %s", sp_strerror(r));
		return r;
	}
	sp_base32_encode(idstr, hub->id, SP_PUBKEY_BYTES);
	log_info("hub: aggregates in community %s (%s)%s", hub->alias, idstr,
	    created ? ", created now" : "");
	return 0;
}

int
sp_daemon_run(const sp_daemon_options *opt)
{
	char path[SP_PATH_MAX], idstr[SP_ID_STR_LEN + 1], listen[80];
	uint8_t netkey[SP_NOISE_KEY_BYTES];
	sp_peers_options popt;
	sp_conn_handlers handlers;
	sp_community_info hub;
	char why[SP_PATH_MAX + 512] = "";
	sp_store_options store_opt = { .recovered = log_recovered, .why = why,
	    .why_size = sizeof(why) };
	sp_daemon *d;
	int r, loop_ok = 0;

	sp_log_set_level(opt->log_level);
	signal(SIGPIPE, SIG_IGN);
	/* Past a file size limit a write must fail (and be reported), not kill us mid-commit. */
	signal(SIGXFSZ, SIG_IGN);
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return SP_ENOMEM;
	d->lock_fd = -1;
	if ((r = lock_dir(opt->data_dir, &d->lock_fd)) != 0)
		goto out;
	if ((r = sp_node_open(opt->data_dir, wall_ms, &store_opt, &d->node)) != 0) {
		if (sp_identity_file_error(r) &&
		    sp_identity_path(opt->data_dir, path, sizeof(path)) == 0)
			log_error("%s: %s", path, sp_strerror(r));
		else if (why[0] != '\0')
			log_error("cannot open the store: %s", why);
		goto out;
	}
	sp_node_set_hub(d->node, opt->hub);
	memset(&hub, 0, sizeof(hub));
	if (opt->hub && (r = start_hub(d->node, &hub)) != 0)
		goto out;
	if ((r = uv_loop_init(&d->loop)) != 0) {
		r = SP_EINTERNAL;
		goto out;
	}
	loop_ok = 1;
	if ((r = sp_work_new(&d->loop, &d->work)) != 0 ||
	    (r = sp_sessions_new(d->node, d->work, &d->sessions)) != 0)
		goto out;
	if ((r = sp_path_join(path, sizeof(path), opt->data_dir, CTL_SOCKET)) != 0)
		goto out;
	if ((r = sp_ctl_server_start(&d->loop, path, CTL_MAX_CONNS, sp_commands_dispatch, &d->env,
	    &d->ctl)) != 0)
		goto out;
	memset(&popt, 0, sizeof(popt));
	popt.listen = opt->listen;
	if (opt->network_key != NULL) {
		if ((r = sp_file_read_secret(opt->network_key, netkey, sizeof(netkey))) != 0) {
			if (r == SP_EKEYSIZE)
				r = SP_ENETKEY;
			log_error("network key %s: %s", opt->network_key, sp_strerror(r));
			goto out;
		}
		popt.network_key = netkey;
	}
	/* A community node publishes its consented summaries; a hub aggregates them. */
	if (!opt->hub && (r = sp_publisher_start(&d->loop, d->node, d->work, d->sessions,
	    &d->publisher)) != 0)
		goto out;
	if (opt->hub && (r = sp_aggregator_start(&d->loop, d->node, d->work, d->sessions, hub.id,
	    &d->aggregator)) != 0)
		goto out;
	sp_sessions_handlers(d->sessions, &handlers);
	r = sp_peers_start(&d->loop, d->node, &popt, &handlers, &d->peers);
	sp_memzero(netkey, sizeof(netkey));
	if (r != 0)
		goto out;
	/* A community node tells its hubs how its replication goes. */
	if (!opt->hub && (r = sp_heartbeats_start(&d->loop, d->node, d->work, d->sessions,
	    d->peers, opt->heartbeat_interval_ms, &d->heartbeats)) != 0)
		goto out;
	uv_signal_init(&d->loop, &d->sigterm);
	uv_signal_init(&d->loop, &d->sigint);
	d->sigterm.data = d->sigint.data = d;
	uv_signal_start(&d->sigterm, on_signal, SIGTERM);
	uv_signal_start(&d->sigint, on_signal, SIGINT);
	/* Requests are served once the loop runs, with every part in place. */
	d->env = (sp_cmd_env){ d->node, d->work, d->peers, d->sessions, &d->loop,
	    uv_now(&d->loop), daemon_stop, d };

	sp_base32_encode(idstr, sp_node_id(d->node), SP_PUBKEY_BYTES);
	(void)sp_peers_listen_address(d->peers, listen, sizeof(listen));
	log_info("simpuld %s started: node %s, data %s, peers on %s%s", SP_VERSION, idstr,
	    opt->data_dir, listen, opt->network_key != NULL ? " (network key)" : "");
	uv_run(&d->loop, UV_RUN_DEFAULT);
	log_info("stopped");
	r = 0;
out:
	if (loop_ok) {
		if (d->work != NULL)
			sp_work_stop(d->work);
		sp_watch_close(d->publisher);
		sp_heartbeats_close(d->heartbeats);
		sp_aggregator_close(d->aggregator);
		if (d->peers != NULL)
			sp_peers_close(d->peers);
		if (d->ctl != NULL)
			sp_ctl_server_close(d->ctl, on_ctl_closed, d);
		uv_run(&d->loop, UV_RUN_DEFAULT);
		sp_peers_free(d->peers);
		sp_watch_free(d->publisher);
		sp_heartbeats_free(d->heartbeats);
		sp_aggregator_free(d->aggregator);
		sp_sessions_free(d->sessions);
		sp_work_free(d->work);
		if (uv_loop_close(&d->loop) != 0)
			log_warn("event loop closed with handles still open");
	}
	sp_node_close(d->node);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	free(d);
	return r;
}
