/*
 * cli.h - what simpul's commands (cmd_*.c) share: the parsed command line,
 * the connection to simpuld, exit codes, and output helpers.
 */
#ifndef SP_CLI_H
#define SP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "client.h"
#include "ctl.h"

/* Exit codes (documented in README.md, "Exit codes"). */
enum sp_exit {
	SP_EXIT_OK = 0,
	SP_EXIT_ERROR = 1,      /* anything not listed below */
	SP_EXIT_USAGE = 2,      /* bad command line */
	SP_EXIT_NOTFOUND = 3,   /* no such community, key or file */
	SP_EXIT_NODAEMON = 4,   /* simpuld not running, or no data directory */
	SP_EXIT_REJECTED = 5,   /* input refused: bad JSON/CSV/record, a rule broken */
	SP_EXIT_DENIED = 6,     /* not a writer/admin, no community key, wrong passphrase */
	SP_EXIT_BUSY = 7,       /* an import or another simpuld holds what you need */
	SP_EXIT_VERIFY = 8,     /* report --verify: a figure does not check out */
};

/* Options, each accepted only by the commands whose entry names it. */
enum sp_opt {
	SP_OPT_BODY = 1u << 0,
	SP_OPT_BODY_FILE = 1u << 1,
	SP_OPT_LABEL = 1u << 2,
	SP_OPT_ADMIN = 1u << 3,
	SP_OPT_ALL = 1u << 4,
	SP_OPT_KEY_COLUMN = 1u << 5,
	SP_OPT_SKIP_BAD = 1u << 6,
	SP_OPT_FORMAT = 1u << 7,
	SP_OPT_OFFER = 1u << 8,
	SP_OPT_WANT = 1u << 9,
	SP_OPT_FROM = 1u << 10,
	SP_OPT_COUNT_BY = 1u << 11,
	SP_OPT_CATEGORIES = 1u << 12,
	SP_OPT_SUM = 1u << 13,
	SP_OPT_WHERE = 1u << 14,
	SP_OPT_PERIOD = 1u << 15,
	SP_OPT_K = 1u << 16,
	SP_OPT_TO = 1u << 17,
	SP_OPT_UNTIL = 1u << 18,
	SP_OPT_VERIFY = 1u << 19,
	SP_OPT_BY = 1u << 20,
};
#define SP_OPT_LAST SP_OPT_BY
/* --offer and --want may be repeated up to this many times; --sum and --where up to 8. */
#define SP_CLI_MAX_SPECS 64
#define SP_CLI_MAX_SUMMARY_OPTS 8

typedef struct sp_cli {
	char data_dir[4096];
	bool json;              /* --json: machine-readable output */
	unsigned given;         /* SP_OPT_* seen on the command line */
	const char *body;
	const char *body_file;
	const char *label;
	const char *key_column;
	const char *format;
	const char *offers[SP_CLI_MAX_SPECS];
	size_t noffers;
	const char *wants[SP_CLI_MAX_SPECS];
	size_t nwants;
	/* summary define | consent | withdraw */
	const char *from;
	const char *count_by;
	const char *categories;
	const char *sums[SP_CLI_MAX_SUMMARY_OPTS];
	size_t nsums;
	const char *wheres[SP_CLI_MAX_SUMMARY_OPTS];
	size_t nwheres;
	const char *period;
	const char *k;
	const char *to;
	const char *until;
	const char *by;         /* report --by */
	int argc;               /* positional arguments after the command words */
	char **argv;
	sp_client *client;      /* connected by sp_cli_connect */
} sp_cli;

/*
 * A command: words ("community", "create"), its arguments and its handler.
 * A second word starting with "--" is an option that makes a command of
 * its own ("report", "--verify"): it matches when that option is given,
 * and must come before the first word's plain entry in the table.
 */
typedef struct sp_cli_command {
	const char *words[2];
	int min_args;
	int max_args;
	unsigned options;       /* SP_OPT_* it accepts */
	const char *usage;      /* argument synopsis */
	const char *help;
	int (*run)(sp_cli *cli);
} sp_cli_command;

/*
 * Reports err (with an optional detail from the daemon or the input) the
 * way the user asked (--json or text, with what to do next) and returns
 * the exit code for it.
 */
int sp_cli_fail(sp_cli *cli, int err, const char *detail);
/* A usage error for the running command; returns SP_EXIT_USAGE. */
int sp_cli_usage(sp_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Connects to simpuld; on failure reports it and returns its exit code. */
int sp_cli_connect(sp_cli *cli);
/*
 * Connects (once) and begins a request frame for cmd with nfields fields
 * in req, which the caller then fills and hands to sp_cli_call or
 * sp_cli_send. Returns 0 or the exit code of a reported failure (req is
 * then untouched).
 */
int sp_cli_request(sp_cli *cli, sp_buf *req, const char *cmd, uint32_t nfields);

/*
 * Finishes the request frame that req holds (begun with
 * sp_ctl_begin_request at offset 0), sends it (req is consumed) and reads the final reply
 * into m. Returns 0 when the daemon answered OK; otherwise reports the
 * error and returns the exit code. Streamed replies are the caller's job:
 * use sp_cli_send and sp_cli_next.
 */
int sp_cli_call(sp_cli *cli, sp_buf *req, sp_ctl_msg *m);
int sp_cli_send(sp_cli *cli, sp_buf *req);
/*
 * Reads the next reply: returns 0 with *more set (a streamed item in m)
 * or clear (the final OK), or the exit code after reporting an error.
 */
int sp_cli_next(sp_cli *cli, sp_ctl_msg *m, bool *more);

/*
 * Sends cmd without fields and reads its reply into m; with --json the
 * reply is printed and *printed set. Returns 0 or the exit code of a
 * reported failure.
 */
int sp_cli_show(sp_cli *cli, const char *cmd, sp_ctl_msg *m, bool *printed);

/* "12 MiB", "34 KiB", "56 B". */
void sp_cli_bytes(char *out, size_t size, uint64_t n);

/* Output: a JSON value on stdout (consumed). */
void sp_cli_print_json(json_t *v);
/* A 32-byte id as base32 into out (SP_ID_STR_LEN + 1 bytes). */
void sp_cli_id(char *out, const uint8_t *id);
/* A field of m as JSON: ids as base32, bodies as objects; NULL if absent. */
json_t *sp_cli_field_json(const sp_ctl_msg *m, const char *name);
/* A whole reply's fields as a JSON object (bin fields of 32 bytes as ids). */
json_t *sp_cli_msg_json(const sp_ctl_msg *m);
/* "2026-11-23 18:04:01" (UTC) from a hybrid logical clock timestamp. */
void sp_cli_time(char *out, size_t size, uint64_t hlc);
/* "12s ago", "3m ago", "5h ago" for then_ms at now_ms (wall clock ms); "never" for 0. */
void sp_cli_ago(char *out, size_t size, uint64_t then_ms, uint64_t now_ms);
/* Reads a passphrase from the terminal (no echo), or a line of stdin when it is not a terminal. */
int sp_cli_passphrase(const char *prompt, bool confirm, char *out, size_t size);

/* The command table (main.c). */
extern const sp_cli_command sp_cli_commands[];
extern const size_t sp_cli_ncommands;

/* Handlers of sp_cli_commands (simpuld's own, for the control commands, are sp_cmd_*). */
int sp_cli_cmd_init(sp_cli *cli);
int sp_cli_cmd_id(sp_cli *cli);
int sp_cli_cmd_status(sp_cli *cli);
int sp_cli_cmd_stop(sp_cli *cli);
int sp_cli_cmd_community_create(sp_cli *cli);
int sp_cli_cmd_community_join(sp_cli *cli);
int sp_cli_cmd_community_ls(sp_cli *cli);
int sp_cli_cmd_community_add_writer(sp_cli *cli);
int sp_cli_cmd_community_remove_writer(sp_cli *cli);
int sp_cli_cmd_community_export_key(sp_cli *cli);
int sp_cli_cmd_community_import_key(sp_cli *cli);
int sp_cli_cmd_put(sp_cli *cli);
int sp_cli_cmd_get(sp_cli *cli);
int sp_cli_cmd_ls(sp_cli *cli);
int sp_cli_cmd_rm(sp_cli *cli);
int sp_cli_cmd_erase(sp_cli *cli);
int sp_cli_cmd_import(sp_cli *cli);
int sp_cli_cmd_export(sp_cli *cli);
int sp_cli_cmd_peer_add(sp_cli *cli);
int sp_cli_cmd_peer_ls(sp_cli *cli);
int sp_cli_cmd_peer_rm(sp_cli *cli);
int sp_cli_cmd_peer_sync(sp_cli *cli);
int sp_cli_cmd_summary_define(sp_cli *cli);
int sp_cli_cmd_summary_ls(sp_cli *cli);
int sp_cli_cmd_summary_show(sp_cli *cli);
int sp_cli_cmd_summary_rm(sp_cli *cli);
int sp_cli_cmd_summary_consent(sp_cli *cli);
int sp_cli_cmd_summary_withdraw(sp_cli *cli);
/* report health: dispatched by 'simpul report health' (cmd_health.c). */
int sp_cli_cmd_report_health(sp_cli *cli);
int sp_cli_cmd_report_verify(sp_cli *cli);
int sp_cli_cmd_report(sp_cli *cli);
/* Prints the peer table of a status or peer.ls reply (human form). */
void sp_cli_print_peers(const sp_ctl_msg *m);

#endif
