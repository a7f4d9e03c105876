#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "base32.h"
#include "crypto.h"
#include "daemon_int.h"
#include "datadir.h"
#include "identity.h"
#include "keyfile.h"
#include "noise.h"
#include "pack.h"
#include "peer.h"
#include "sp_err.h"
#include "sync.h"

#define CTL_SOCKET     "simpuld.sock"
#define LOCK_FILE      "simpuld.lock"
#define CTL_MAX_CONNS  64

struct sp_daemon {
	uv_loop_t loop;
	sp_node *node;
	sp_work *work;
	sp_ctl_server *ctl;
	sp_sessions *sessions;
	sp_peers *peers;
	uv_signal_t sigterm;
	uv_signal_t sigint;
	int lock_fd;
	uint64_t started_ms;   /* the loop's monotonic clock */
	int stopping;
};

static void cmd_commands(sp_ctl_conn *c, const sp_ctl_msg *req, sp_daemon *d);

/*
 * Every control command: the daemon's whole surface, in one table. A
 * command has its own handler (fn), or shares one with others (fn_op,
 * told which by op).
 */
static const struct sp_command {
	const char *name;
	void (*fn)(sp_ctl_conn *c, const sp_ctl_msg *req, sp_daemon *d);
	void (*fn_op)(sp_ctl_conn *c, const sp_ctl_msg *req, sp_daemon *d, int op);
	int op;
} commands[] = {
	{ "ping", sp_cmd_ping, NULL, 0 },
	{ "commands", cmd_commands, NULL, 0 },
	{ "status", sp_cmd_status, NULL, 0 },
	{ "stop", sp_cmd_stop, NULL, 0 },
	{ "community.create", NULL, sp_cmd_community, SP_COMMUNITY_CREATE },
	{ "community.join", NULL, sp_cmd_community, SP_COMMUNITY_JOIN },
	{ "community.ls", sp_cmd_community_ls, NULL, 0 },
	{ "community.add-writer", NULL, sp_cmd_community, SP_COMMUNITY_ADD_WRITER },
	{ "community.remove-writer", NULL, sp_cmd_community, SP_COMMUNITY_REMOVE_WRITER },
	{ "community.export-key", NULL, sp_cmd_community, SP_COMMUNITY_EXPORT_KEY },
	{ "community.import-key", NULL, sp_cmd_community, SP_COMMUNITY_IMPORT_KEY },
	{ "put", NULL, sp_cmd_write, SP_WRITE_PUT },
	{ "get", sp_cmd_get, NULL, 0 },
	{ "rm", NULL, sp_cmd_write, SP_WRITE_RM },
	{ "erase", NULL, sp_cmd_write, SP_WRITE_ERASE },
	{ "ls", sp_cmd_ls, NULL, 0 },
	{ "export", sp_cmd_export, NULL, 0 },
	{ "import.begin", sp_cmd_import_begin, NULL, 0 },
	{ "import.rows", sp_cmd_import_rows, NULL, 0 },
	{ "import.commit", sp_cmd_import_commit, NULL, 0 },
	{ "import.abort", sp_cmd_import_abort, NULL, 0 },
	{ "peer.add", sp_cmd_peer_add, NULL, 0 },
	{ "peer.ls", sp_cmd_peer_ls, NULL, 0 },
	{ "peer.rm", sp_cmd_peer_rm, NULL, 0 },
	{ "peer.sync", sp_cmd_peer_sync, NULL, 0 },
};

/* The names in the table above: what this simpuld serves (test_ctl_commands compares PROTOCOL.md). */
static void
cmd_commands(sp_ctl_conn *c, const sp_ctl_msg *req, sp_daemon *d)
{
	size_t i, n = sizeof(commands) / sizeof(commands[0]);
	sp_buf b;

	(void)req;
	(void)d;
	sp_buf_init(&b);
	sp_ctl_begin_reply(&b, SP_CTL_OK, 1);
	sp_pack_cstr(&b, "commands");
	sp_pack_array(&b, (uint32_t)n);
	for (i = 0; i < n; i++)
		sp_pack_cstr(&b, commands[i].name);
	sp_reply_final(c, &b);
}

/* The wall clock: for the node's hybrid logical clock and what users read, never for timers. */
static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
dispatch(sp_ctl_conn *c, const sp_ctl_msg *req, void *arg)
{
	sp_daemon *d = arg;
	size_t i;

	log_debug("request %s", req->cmd);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, req->cmd) != 0)
			continue;
		if (commands[i].fn_op != NULL)
			commands[i].fn_op(c, req, d, commands[i].op);
		else
			commands[i].fn(c, req, d);
		return;
	}
	sp_ctl_conn_error(c, SP_EUNKNOWN_CMD, req->cmd);
}

static void
job_run(sp_task *t)
{
	sp_job *job = (sp_job *)t;

	job->run(job);
}

static void
job_done(sp_task *t)
{
	sp_job *job = (sp_job *)t;

	job->done(job);
}

static sp_task *
job_task(sp_daemon *d, sp_job *job)
{
	job->d = d;
	job->task.run = job_run;
	job->task.done = job_done;
	return &job->task;
}

void
sp_daemon_write(sp_daemon *d, sp_job *job)
{
	sp_work_write(d->work, job_task(d, job));
}

void
sp_daemon_work(sp_daemon *d, sp_job *job)
{
	sp_work_run(d->work, job_task(d, job));
}

sp_node *
sp_daemon_node(sp_daemon *d)
{
	return d->node;
}

sp_peers *
sp_daemon_peers(sp_daemon *d)
{
	return d->peers;
}

sp_sessions *
sp_daemon_sessions(sp_daemon *d)
{
	return d->sessions;
}

void
sp_daemon_stored(sp_daemon *d, const sp_area *area, const uint8_t *rec, size_t len)
{
	sp_sessions_stored(d->sessions, area, rec, len);
}

void
sp_daemon_resync_all(sp_daemon *d)
{
	sp_sessions_resync_all(d->sessions);
}

void
sp_daemon_charters_changed(sp_daemon *d)
{
	sp_sessions_charters_changed(d->sessions);
}

uint64_t
sp_daemon_uptime_ms(sp_daemon *d)
{
	return uv_now(&d->loop) - d->started_ms;
}

bool
sp_daemon_claimed(sp_daemon *d, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection, size_t len)
{
	return sp_work_claimed(d->work, community, collection, len);
}

int
sp_daemon_claim(sp_daemon *d, const uint8_t community[SP_PUBKEY_BYTES], const char *collection)
{
	return sp_work_claim(d->work, community, collection);
}

void
sp_daemon_release(sp_daemon *d, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection)
{
	sp_work_release(d->work, community, collection);
}

unsigned
sp_daemon_imports(sp_daemon *d)
{
	return sp_work_claims(d->work);
}

int
sp_daemon_retry_later(sp_daemon *d, void (*cb)(void *arg, bool cancelled), void *arg)
{
	return sp_work_retry_later(d->work, cb, arg);
}

static void
on_ctl_closed(void *arg)
{
	sp_daemon *d = arg;

	d->ctl = NULL;
}

void
sp_daemon_stop(sp_daemon *d)
{
	if (d->stopping)
		return;
	d->stopping = 1;
	log_info("shutting down");
	sp_work_stop(d->work);
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
	sp_daemon_stop(h->data);
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

int
sp_daemon_run(const sp_daemon_options *opt)
{
	char path[SP_PATH_MAX], idstr[SP_ID_STR_LEN + 1], listen[80];
	uint8_t netkey[SP_NOISE_KEY_BYTES];
	sp_peers_options popt;
	sp_conn_handlers handlers;
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
		if ((r == SP_EKEYMODE || r == SP_EKEYSIZE) &&
		    sp_identity_path(opt->data_dir, path, sizeof(path)) == 0)
			log_error("%s: %s", path, sp_strerror(r));
		else if (why[0] != '\0')
			log_error("cannot open the store: %s", why);
		goto out;
	}
	if ((r = uv_loop_init(&d->loop)) != 0) {
		r = SP_EINTERNAL;
		goto out;
	}
	loop_ok = 1;
	d->started_ms = uv_now(&d->loop);
	if ((r = sp_work_new(&d->loop, &d->work)) != 0 ||
	    (r = sp_sessions_new(d->node, d->work, &d->sessions)) != 0)
		goto out;
	if ((r = sp_path_join(path, sizeof(path), opt->data_dir, CTL_SOCKET)) != 0)
		goto out;
	if ((r = sp_ctl_server_start(&d->loop, path, CTL_MAX_CONNS, dispatch, d, &d->ctl)) != 0)
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
	sp_sessions_handlers(d->sessions, &handlers);
	r = sp_peers_start(&d->loop, d->node, &popt, &handlers, &d->peers);
	sp_memzero(netkey, sizeof(netkey));
	if (r != 0)
		goto out;
	uv_signal_init(&d->loop, &d->sigterm);
	uv_signal_init(&d->loop, &d->sigint);
	d->sigterm.data = d->sigint.data = d;
	uv_signal_start(&d->sigterm, on_signal, SIGTERM);
	uv_signal_start(&d->sigint, on_signal, SIGINT);

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
		if (d->peers != NULL)
			sp_peers_close(d->peers);
		if (d->ctl != NULL)
			sp_ctl_server_close(d->ctl, on_ctl_closed, d);
		uv_run(&d->loop, UV_RUN_DEFAULT);
		sp_peers_free(d->peers);
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

void
sp_reply_final(sp_ctl_conn *c, sp_buf *b)
{
	int r;

	if ((r = sp_ctl_end(b, 0)) != 0) {
		sp_buf_free(b);
		sp_ctl_conn_error(c, r, NULL);
		return;
	}
	(void)sp_ctl_conn_send(c, b, 1);
}

void
sp_reply_ok(sp_ctl_conn *c)
{
	sp_buf b;

	sp_buf_init(&b);
	sp_ctl_begin_reply(&b, SP_CTL_OK, 0);
	sp_reply_final(c, &b);
}

int
sp_req_cstr(sp_ctl_conn *c, const sp_ctl_msg *req, const char *name, char *buf, size_t size)
{
	int r;

	if ((r = sp_ctl_get_cstr(req, name, buf, size)) != 0) {
		char detail[96];

		snprintf(detail, sizeof(detail), "field '%s'", name);
		sp_ctl_conn_error(c, r == SP_ENOTFOUND ? SP_EINVAL : r, detail);
	}
	return r;
}

int
sp_req_community(sp_daemon *d, sp_ctl_conn *c, const sp_ctl_msg *req,
    sp_community_info *out)
{
	char name[SP_COLLECTION_MAX + 1];
	int r;

	if ((r = sp_req_cstr(c, req, "community", name, sizeof(name))) != 0)
		return r;
	if ((r = sp_node_community_find(d->node, name, out)) != 0) {
		char detail[128];

		snprintf(detail, sizeof(detail), "community '%s' (see 'simpul community ls')", name);
		sp_ctl_conn_error(c, r, detail);
	}
	return r;
}
