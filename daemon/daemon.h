/*
 * daemon.h - simpuld's lifecycle: data directory lock, node, control
 * server, signals, and the queues that keep slow work (signing, durable
 * commits, scrubbing) off the event loop.
 */
#ifndef SP_DAEMON_H
#define SP_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "log.h"

typedef struct sp_daemon_options {
	const char *data_dir;      /* resolved data directory */
	enum sp_log_level log_level;
	const char *listen;        /* "HOST:PORT" for peers; NULL: do not listen */
	const char *network_key;   /* a 32-byte federation key file, or NULL */
	bool hub;                  /* a hub: stores only what hubs keep (docs/HUBS.md) */
	uint64_t heartbeat_interval_ms; /* how often heartbeats are written; 0: the default */
} sp_daemon_options;

/*
 * Runs simpuld in the foreground until SIGTERM, SIGINT or a 'stop'
 * request. Returns 0 after a clean shutdown, or an error (SP_ELOCKED when
 * another simpuld holds the directory, SP_ENOINIT...) that main reports.
 */
int sp_daemon_run(const sp_daemon_options *opt);

#endif
