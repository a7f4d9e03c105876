/* simpul: the command-line tool for a simpul node. */
#include <getopt.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "crypto.h"
#include "datadir.h"
#include "i18n.h"
#include "sp_err.h"

#define REC "COMMUNITY COLLECTION KEY"

const sp_cli_command sp_cli_commands[] = {
	{ { "init", NULL }, 0, 0, 0, "",
	  N_("create the data directory and this node's key"), sp_cli_cmd_init },
	{ { "id", NULL }, 0, 0, 0, "",
	  N_("print this node's id"), sp_cli_cmd_id },
	{ { "status", NULL }, 0, 0, 0, "",
	  N_("show the daemon's state"), sp_cli_cmd_status },
	{ { "stop", NULL }, 0, 0, 0, "",
	  N_("stop the daemon"), sp_cli_cmd_stop },
	{ { "community", "create" }, 1, 1, 0, "ALIAS",
	  N_("create a community with this node as its admin"), sp_cli_cmd_community_create },
	{ { "community", "join" }, 2, 2, 0, "COMMUNITY_ID ALIAS",
	  N_("join an existing community from a second device"), sp_cli_cmd_community_join },
	{ { "community", "ls" }, 0, 0, 0, "",
	  N_("list communities known to this node"), sp_cli_cmd_community_ls },
	{ { "community", "add-writer" }, 2, 2, SP_OPT_ADMIN, "COMMUNITY NODE_ID [--admin]",
	  N_("let a node write (or administer) a community"), sp_cli_cmd_community_add_writer },
	{ { "community", "remove-writer" }, 2, 2, 0, "COMMUNITY NODE_ID",
	  N_("take a node's right to write away"), sp_cli_cmd_community_remove_writer },
	{ { "community", "export-key" }, 2, 2, 0, "COMMUNITY FILE",
	  N_("save the community key to a passphrase-protected file"), sp_cli_cmd_community_export_key },
	{ { "community", "import-key" }, 1, 2, 0, "FILE [ALIAS]",
	  N_("load a community key saved with export-key"), sp_cli_cmd_community_import_key },
	{ { "put", NULL }, 3, 3, SP_OPT_BODY | SP_OPT_BODY_FILE | SP_OPT_LABEL,
	  REC " (--body JSON | --body-file FILE) [--label LABEL]",
	  N_("write a record; prints its id"), sp_cli_cmd_put },
	{ { "get", NULL }, 3, 3, 0, REC,
	  N_("print a record"), sp_cli_cmd_get },
	{ { "ls", NULL }, 1, 2, SP_OPT_ALL, "COMMUNITY [COLLECTION] [--all]",
	  N_("list collections, or the keys of a collection (--all: deleted ones too)"), sp_cli_cmd_ls },
	{ { "rm", NULL }, 3, 3, 0, REC,
	  N_("delete a key (a tombstone replicates the deletion)"), sp_cli_cmd_rm },
	{ { "erase", NULL }, 3, 3, 0, REC,
	  N_("delete a key and remove the content of every version"), sp_cli_cmd_erase },
	{ { "import", NULL }, 3, 3, SP_OPT_KEY_COLUMN | SP_OPT_LABEL | SP_OPT_SKIP_BAD,
	  "COMMUNITY COLLECTION FILE.csv --key-column NAME [--label LABEL] [--skip-bad]",
	  N_("import a spreadsheet's CSV export, all rows or none"), sp_cli_cmd_import },
	{ { "export", NULL }, 2, 2, SP_OPT_FORMAT, "COMMUNITY COLLECTION [--format csv|json]",
	  N_("write a collection as CSV (default) or JSON lines"), sp_cli_cmd_export },
	{ { "peer", "add" }, 2, 3, SP_OPT_OFFER | SP_OPT_WANT,
	  "NAME NODE_ID [HOST:PORT] [--offer SPEC]... [--want SPEC]...",
	  N_("replicate with a node (without an address it must dial this node);\n"
	  "      SPEC is COMMUNITY/COLLECTION:LABEL[,LABEL...], COLLECTION may be *"), sp_cli_cmd_peer_add },
	{ { "peer", "ls" }, 0, 0, 0, "",
	  N_("peers, their policies and replication state"), sp_cli_cmd_peer_ls },
	{ { "peer", "rm" }, 1, 1, 0, "NAME",
	  N_("stop replicating with a peer"), sp_cli_cmd_peer_rm },
	{ { "peer", "sync" }, 1, 1, 0, "NAME",
	  N_("reconcile with a peer now"), sp_cli_cmd_peer_sync },
	{ { "summary", "define" }, 2, 2, SP_OPT_FROM | SP_OPT_COUNT_BY | SP_OPT_CATEGORIES |
	  SP_OPT_SUM | SP_OPT_WHERE | SP_OPT_PERIOD | SP_OPT_K,
	  "COMMUNITY NAME --from COLLECTION --count-by FIELD[,FIELD2] [--categories FILE]\n"
	  "      [--sum FIELD]... [--where FIELD=VALUE]... [--period month|quarter|year] [--k N]",
	  N_("define a summary of a collection (counts per category, small counts suppressed)"),
	  sp_cli_cmd_summary_define },
	{ { "summary", "ls" }, 1, 1, 0, "COMMUNITY",
	  N_("list a community's summary definitions and their consents"), sp_cli_cmd_summary_ls },
	{ { "summary", "show" }, 2, 2, 0, "COMMUNITY NAME",
	  N_("the counts now, beside what hubs would receive of them"), sp_cli_cmd_summary_show },
	{ { "summary", "rm" }, 2, 2, 0, "COMMUNITY NAME",
	  N_("delete a summary definition and withdraw every consent to it"), sp_cli_cmd_summary_rm },
	{ { "summary", "consent" }, 2, 2, SP_OPT_TO | SP_OPT_UNTIL,
	  "COMMUNITY NAME --to HUB_NODE_ID [--until YYYY-MM-DD]",
	  N_("consent to a hub receiving a summary (an admin's signed record)"),
	  sp_cli_cmd_summary_consent },
	{ { "summary", "withdraw" }, 2, 2, SP_OPT_TO, "COMMUNITY NAME --to HUB_NODE_ID",
	  N_("withdraw a consent: the hub drops the community's figures"), sp_cli_cmd_summary_withdraw },
	/* Before any { "report", NULL } row: the first row whose words match wins. */
	{ { "report", "health" }, 0, 0, SP_OPT_FORMAT, "[--format table|json]",
	  N_("every community known here with its nodes' heartbeats: software, lag, sync per peer"),
	  sp_cli_cmd_report_health },
	{ { "report", "--verify" }, 0, 0, SP_OPT_VERIFY, "",
	  N_("on a hub: re-check every signature, consent and charter behind every aggregate,\n"
	  "      recompute every figure, and name what does not check out"),
	  sp_cli_cmd_report_verify },
	{ { "report", NULL }, 1, 1, SP_OPT_PERIOD | SP_OPT_BY | SP_OPT_FORMAT,
	  "NAME [--period P] [--by community|hub] [--format table|csv|json|adx]",
	  N_("on a hub: a summary's figures per community (or per hub below), and the total"),
	  sp_cli_cmd_report },
};
const size_t sp_cli_ncommands = sizeof(sp_cli_commands) / sizeof(sp_cli_commands[0]);

enum {
	OPT_DATA = 256, OPT_JSON, OPT_HELP, OPT_VERSION,
	OPT_BODY, OPT_BODY_FILE, OPT_LABEL, OPT_ADMIN, OPT_ALL, OPT_KEY_COLUMN,
	OPT_SKIP_BAD, OPT_FORMAT, OPT_OFFER, OPT_WANT, OPT_FROM, OPT_COUNT_BY, OPT_CATEGORIES,
	OPT_SUM, OPT_WHERE, OPT_PERIOD, OPT_K, OPT_TO, OPT_UNTIL, OPT_VERIFY, OPT_BY,
};

static const struct option longopts[] = {
	{ "data", required_argument, NULL, OPT_DATA },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "body", required_argument, NULL, OPT_BODY },
	{ "body-file", required_argument, NULL, OPT_BODY_FILE },
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "admin", no_argument, NULL, OPT_ADMIN },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "key-column", required_argument, NULL, OPT_KEY_COLUMN },
	{ "skip-bad", no_argument, NULL, OPT_SKIP_BAD },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "offer", required_argument, NULL, OPT_OFFER },
	{ "want", required_argument, NULL, OPT_WANT },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "count-by", required_argument, NULL, OPT_COUNT_BY },
	{ "categories", required_argument, NULL, OPT_CATEGORIES },
	{ "sum", required_argument, NULL, OPT_SUM },
	{ "where", required_argument, NULL, OPT_WHERE },
	{ "period", required_argument, NULL, OPT_PERIOD },
	{ "k", required_argument, NULL, OPT_K },
	{ "to", required_argument, NULL, OPT_TO },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "verify", no_argument, NULL, OPT_VERIFY },
	{ "by", required_argument, NULL, OPT_BY },
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *f)
{
	char words[64];
	size_t i;

	fprintf(f, "%s", _("usage: simpul [--data DIR] [--json] COMMAND [ARGS]\n\nCommands:\n"));
	for (i = 0; i < sp_cli_ncommands; i++) {
		const sp_cli_command *c = &sp_cli_commands[i];

		snprintf(words, sizeof(words), "%s%s%s", c->words[0],
		    c->words[1] != NULL ? " " : "", c->words[1] != NULL ? c->words[1] : "");
		fprintf(f, "  %s %s\n      %s\n", words, c->usage, _(c->help));
	}
	fprintf(f, "%s", _("\nOptions for every command:\n"
	    "  --data DIR   data directory (default: $SIMPUL_DATA, else $XDG_DATA_HOME/simpul)\n"
	    "  --json       machine-readable output\n"
	    "COMMUNITY is an alias or an id. Exit codes are listed in README.md.\n"));
}

static const char *option_name(unsigned bit);

/* Whether the option named name ("--verify") is among given. */
static bool
option_given(unsigned given, const char *name)
{
	unsigned bit;

	for (bit = 1; bit != 0 && bit <= SP_OPT_LAST; bit <<= 1)
		if ((given & bit) && strcmp(option_name(bit), name) == 0)
			return true;
	return false;
}

static const sp_cli_command *
find_command(int argc, char **argv, unsigned given, int *used)
{
	size_t i;

	*used = 0;
	if (argc < 1)
		return NULL;
	for (i = 0; i < sp_cli_ncommands; i++) {
		const sp_cli_command *c = &sp_cli_commands[i];

		if (strcmp(c->words[0], argv[0]) != 0)
			continue;
		if (c->words[1] != NULL && c->words[1][0] == '-') {
			if (!option_given(given, c->words[1]))
				continue;
			*used = 1;
			return c;
		}
		if (c->words[1] == NULL) {
			*used = 1;
			return c;
		}
		if (argc >= 2 && strcmp(c->words[1], argv[1]) == 0) {
			*used = 2;
			return c;
		}
	}
	return NULL;
}

static const char *
option_name(unsigned bit)
{
	static const char *names[] = { "--body", "--body-file", "--label", "--admin",
	    "--all", "--key-column", "--skip-bad", "--format", "--offer", "--want", "--from",
	    "--count-by", "--categories", "--sum", "--where", "--period", "--k", "--to", "--until",
	    "--verify", "--by" };
	unsigned i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (bit == 1u << i)
			return names[i];
	return "?";
}

/* A repeatable option's value (optarg) added to list; a usage error past max. */
static int
repeat(sp_cli *cli, unsigned bit, const char **list, size_t *n, size_t max)
{
	if (*n == max)
		return sp_cli_usage(cli, _("%s may be given at most %zu times"), option_name(bit), max);
	cli->given |= bit;
	list[(*n)++] = optarg;
	return 0;
}

int
main(int argc, char **argv)
{
	sp_cli cli;
	const sp_cli_command *cmd;
	const char *data = NULL;
	unsigned bit;
	int c, used, r;

	setlocale(LC_ALL, "");
	bindtextdomain("simpul", SP_LOCALEDIR);
	textdomain("simpul");
	memset(&cli, 0, sizeof(cli));
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DATA: data = optarg; break;
		case OPT_JSON: cli.json = true; break;
		case OPT_HELP: usage(stdout); return SP_EXIT_OK;
		case OPT_VERSION: printf("simpul %s\n", SP_VERSION); return SP_EXIT_OK;
		case OPT_BODY: cli.given |= SP_OPT_BODY; cli.body = optarg; break;
		case OPT_BODY_FILE: cli.given |= SP_OPT_BODY_FILE; cli.body_file = optarg; break;
		case OPT_LABEL: cli.given |= SP_OPT_LABEL; cli.label = optarg; break;
		case OPT_ADMIN: cli.given |= SP_OPT_ADMIN; break;
		case OPT_ALL: cli.given |= SP_OPT_ALL; break;
		case OPT_KEY_COLUMN: cli.given |= SP_OPT_KEY_COLUMN; cli.key_column = optarg; break;
		case OPT_SKIP_BAD: cli.given |= SP_OPT_SKIP_BAD; break;
		case OPT_FORMAT: cli.given |= SP_OPT_FORMAT; cli.format = optarg; break;
		case OPT_OFFER:
			if (repeat(&cli, SP_OPT_OFFER, cli.offers, &cli.noffers, SP_CLI_MAX_SPECS) != 0)
				return SP_EXIT_USAGE;
			break;
		case OPT_WANT:
			if (repeat(&cli, SP_OPT_WANT, cli.wants, &cli.nwants, SP_CLI_MAX_SPECS) != 0)
				return SP_EXIT_USAGE;
			break;
		case OPT_SUM:
			if (repeat(&cli, SP_OPT_SUM, cli.sums, &cli.nsums, SP_CLI_MAX_SUMMARY_OPTS) != 0)
				return SP_EXIT_USAGE;
			break;
		case OPT_WHERE:
			if (repeat(&cli, SP_OPT_WHERE, cli.wheres, &cli.nwheres,
			    SP_CLI_MAX_SUMMARY_OPTS) != 0)
				return SP_EXIT_USAGE;
			break;
		case OPT_FROM: cli.given |= SP_OPT_FROM; cli.from = optarg; break;
		case OPT_COUNT_BY: cli.given |= SP_OPT_COUNT_BY; cli.count_by = optarg; break;
		case OPT_CATEGORIES: cli.given |= SP_OPT_CATEGORIES; cli.categories = optarg; break;
		case OPT_PERIOD: cli.given |= SP_OPT_PERIOD; cli.period = optarg; break;
		case OPT_K: cli.given |= SP_OPT_K; cli.k = optarg; break;
		case OPT_TO: cli.given |= SP_OPT_TO; cli.to = optarg; break;
		case OPT_UNTIL: cli.given |= SP_OPT_UNTIL; cli.until = optarg; break;
		case OPT_VERIFY: cli.given |= SP_OPT_VERIFY; break;
		case OPT_BY: cli.given |= SP_OPT_BY; cli.by = optarg; break;
		case ':':
			return sp_cli_usage(&cli, _("option '%s' needs a value"), argv[optind - 1]);
		default:
			return sp_cli_usage(&cli, _("unknown option '%s'"), argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return SP_EXIT_USAGE;
	}
	if ((cmd = find_command(argc - optind, argv + optind, cli.given, &used)) == NULL)
		return sp_cli_usage(&cli, _("unknown command '%s'"), argv[optind]);
	cli.argc = argc - optind - used;
	cli.argv = argv + optind + used;
	if (cli.argc < cmd->min_args || cli.argc > cmd->max_args)
		return sp_cli_usage(&cli, _("usage: simpul %s%s%s%s%s"), cmd->words[0],
		    cmd->words[1] != NULL ? " " : "", cmd->words[1] != NULL ? cmd->words[1] : "",
		    *cmd->usage != '\0' ? " " : "", cmd->usage);
	for (bit = 1; bit != 0 && bit <= SP_OPT_LAST; bit <<= 1) {
		if ((cli.given & bit) && !(cmd->options & bit))
			return sp_cli_usage(&cli, _("%s is not an option of '%s'"),
			    option_name(bit), cmd->words[0]);
	}
	if ((r = sp_datadir_resolve(data, cli.data_dir, sizeof(cli.data_dir))) != 0)
		return sp_cli_usage(&cli, _("cannot find the data directory (%s); use --data DIR"),
		    _(sp_strerror(r)));
	if (sp_crypto_init() != 0)
		return sp_cli_fail(&cli, SP_EINTERNAL, "libsodium");
	r = cmd->run(&cli);
	if (cli.client != NULL)
		sp_client_close(cli.client);
	return r;
}
