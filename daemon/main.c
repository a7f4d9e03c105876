/* simpuld: the simpul node daemon. Stays in the foreground. */
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "daemon.h"
#include "datadir.h"
#include "i18n.h"
#include "sp_err.h"

#define DEFAULT_LISTEN "0.0.0.0:7770"

enum opt_id {
	OPT_DATA, OPT_LISTEN, OPT_NETWORK_KEY, OPT_HUB, OPT_HEARTBEAT_INTERVAL, OPT_LOG_LEVEL,
	OPT_VERSION, OPT_HELP
};

/* --heartbeat-interval: from a second (for tests) to a day. */
#define HEARTBEAT_MAX_S 86400

/*
 * Every option in one table: getopt's table and --help are made from it,
 * and a configuration file will fill the same names.
 */
static const struct sp_option {
	const char *name;
	int has_arg;
	const char *arg;
	const char *help;
} options[] = {
	[OPT_DATA] = { "data", 1, "DIR",
	    N_("data directory (default: $SIMPUL_DATA, else $XDG_DATA_HOME/simpul)") },
	[OPT_LISTEN] = { "listen", 1, "HOST:PORT",
	    N_("where peers connect (default 0.0.0.0:7770; 'none': only dial out)") },
	[OPT_NETWORK_KEY] = { "network-key", 1, "FILE",
	    N_("a 32-byte federation key (0600): only nodes holding it can connect") },
	[OPT_HUB] = { "hub", 0, NULL,
	    N_("run as a district hub: store only charters, consents and summaries (docs/HUBS.md)") },
	[OPT_HEARTBEAT_INTERVAL] = { "heartbeat-interval", 1, "SECONDS",
	    N_("how often a community node writes its heartbeats for its hubs (default 300)") },
	[OPT_LOG_LEVEL] = { "log-level", 1, "LEVEL",
	    N_("error, warn, info (default) or debug") },
	[OPT_VERSION] = { "version", 0, NULL, N_("print the version and exit") },
	[OPT_HELP] = { "help", 0, NULL, N_("show this help and exit") },
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static void
usage(FILE *f)
{
	size_t i;
	char left[64];

	fprintf(f, _("usage: simpuld [OPTIONS]\n\nRuns a simpul node in the foreground "
	    "until SIGTERM, SIGINT or 'simpul stop'.\n\n"));
	for (i = 0; i < NOPTIONS; i++) {
		snprintf(left, sizeof(left), "--%s%s%s", options[i].name,
		    options[i].arg != NULL ? " " : "", options[i].arg != NULL ? options[i].arg : "");
		fprintf(f, "  %-28s %s\n", left, _(options[i].help));
	}
}

/* "1" to "86400" seconds, as milliseconds. */
static int
parse_seconds(const char *s, uint64_t *ms)
{
	char *end;
	unsigned long v;

	*ms = 0;
	if (*s < '1' || *s > '9')
		return SP_EINVAL;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > HEARTBEAT_MAX_S)
		return SP_EINVAL;
	*ms = (uint64_t)v * 1000;
	return 0;
}

int
main(int argc, char **argv)
{
	struct option longopts[NOPTIONS + 1];
	sp_daemon_options opt;
	const char *data = NULL;
	char dir[SP_PATH_MAX];
	size_t i;
	int c, r;

	setlocale(LC_ALL, "");
	bindtextdomain("simpul", SP_LOCALEDIR);
	textdomain("simpul");
	memset(longopts, 0, sizeof(longopts));
	for (i = 0; i < NOPTIONS; i++) {
		longopts[i].name = options[i].name;
		longopts[i].has_arg = options[i].has_arg ? required_argument : no_argument;
		longopts[i].val = (int)i;
	}
	memset(&opt, 0, sizeof(opt));
	opt.log_level = SP_LOG_INFO;
	opt.listen = DEFAULT_LISTEN;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DATA:
			data = optarg;
			break;
		case OPT_LISTEN:
			opt.listen = strcmp(optarg, "none") == 0 ? NULL : optarg;
			break;
		case OPT_NETWORK_KEY:
			opt.network_key = optarg;
			break;
		case OPT_HUB:
			opt.hub = true;
			break;
		case OPT_HEARTBEAT_INTERVAL:
			if (parse_seconds(optarg, &opt.heartbeat_interval_ms) != 0) {
				fprintf(stderr, _("simpuld: --heartbeat-interval takes whole seconds from 1 to %d\n"),
				    HEARTBEAT_MAX_S);
				return 2;
			}
			break;
		case OPT_LOG_LEVEL:
			if (sp_log_parse_level(optarg, &opt.log_level) != 0) {
				fprintf(stderr, _("simpuld: unknown log level '%s': use error, warn, info or debug\n"), optarg);
				return 2;
			}
			break;
		case OPT_VERSION:
			printf("simpuld %s\n", SP_VERSION);
			return 0;
		case OPT_HELP:
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, _("simpuld: unexpected argument '%s'\n"), argv[optind]);
		usage(stderr);
		return 2;
	}
	if ((r = sp_datadir_resolve(data, dir, sizeof(dir))) != 0) {
		fprintf(stderr, _("simpuld: cannot find the data directory: %s; use --data DIR\n"),
		    _(sp_strerror(r)));
		return 2;
	}
	if (sp_crypto_init() != 0) {
		fprintf(stderr, _("simpuld: libsodium failed to initialise\n"));
		return 1;
	}
	opt.data_dir = dir;
	if ((r = sp_daemon_run(&opt)) != 0) {
		fprintf(stderr, "simpuld: %s: %s\n", dir, _(sp_strerror(r)));
		/* The same exit codes as simpul's (README.md, "Exit codes"). */
		return r == SP_ELOCKED || r == SP_EADDRINUSE ? 7 : r == SP_ENOINIT ? 4 : 1;
	}
	return 0;
}
