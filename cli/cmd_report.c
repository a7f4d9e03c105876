/*
 * simpul report NAME [--period P] [--by community|hub] [--format
 * table|csv|json|adx]: on a hub, a summary's figures (docs/REPORTS.md).
 * simpuld sends the report as streamed replies (proto/report.h); this
 * reads them back and writes the format asked for (report_format.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "i18n.h"
#include "pack.h"
#include "record.h"
#include "report.h"
#include "report_format.h"
#include "sp_err.h"
#include "summary.h"

/* The command line: the format, and the request's fields. */
static int
parse(sp_cli *cli, enum sp_report_format *fmt)
{
	const char *name = cli->argv[0];

	*fmt = cli->json ? SP_REPORT_JSON : SP_REPORT_TABLE;
	if (sp_alias_check(name, strlen(name)) != 0)
		return sp_cli_usage(cli, _("'%s' is not a summary's name (1-64 of a-z 0-9 . _ -)"),
		    name);
	if (cli->period != NULL && !sp_period_valid(cli->period, strlen(cli->period)))
		return sp_cli_usage(cli, _("--period '%s': write a period as summaries do: 2026-11 "
		    "(a month), 2026-Q4 (a quarter) or 2026 (a year)"), cli->period);
	if (cli->by != NULL && strcmp(cli->by, "community") != 0 && strcmp(cli->by, "hub") != 0)
		return sp_cli_usage(cli, _("--by '%s': community (a column per community) or hub "
		    "(a column per hub below)"), cli->by);
	if (cli->format != NULL && sp_report_format_parse(cli->format, fmt) != 0)
		return sp_cli_usage(cli, _("--format '%s': table, csv, json or adx"), cli->format);
	return 0;
}

/* Reads the streamed report: the header, a frame per column, the final frame. */
static int
read_report(sp_cli *cli, sp_report **out)
{
	sp_report *r = NULL;
	sp_ctl_msg m;
	bool more;
	int err;

	*out = NULL;
	if ((err = sp_cli_next(cli, &m, &more)) != 0)
		return err;
	if (!more || sp_report_read_header(&m, &r) != 0)
		return sp_cli_fail(cli, SP_EFRAME, "report without its header");
	while ((err = sp_cli_next(cli, &m, &more)) == 0 && more) {
		if (sp_report_read_column(r, &m) != 0) {
			sp_report_free(r);
			return sp_cli_fail(cli, SP_EFRAME, "a malformed column in the report");
		}
	}
	if (err == 0 && sp_report_read_end(r, &m) != 0)
		err = sp_cli_fail(cli, SP_EFRAME, "the report's end is malformed");
	if (err != 0) {
		sp_report_free(r);
		return err;
	}
	*out = r;
	return 0;
}

int
sp_cli_cmd_report(sp_cli *cli)
{
	enum sp_report_format fmt;
	char detail[256];
	sp_report *r;
	sp_buf req;
	int err;

	if ((err = parse(cli, &fmt)) != 0)
		return err;
	if ((err = sp_cli_request(cli, &req, "report", 1 + (cli->period != NULL) +
	    (cli->by != NULL))) != 0)
		return err;
	if (cli->by != NULL) {
		sp_pack_cstr(&req, "by");
		sp_pack_cstr(&req, cli->by);
	}
	sp_pack_cstr(&req, "name");
	sp_pack_cstr(&req, cli->argv[0]);
	if (cli->period != NULL) {
		sp_pack_cstr(&req, "period");
		sp_pack_cstr(&req, cli->period);
	}
	if ((err = sp_cli_send(cli, &req)) != 0 || (err = read_report(cli, &r)) != 0)
		return err;
	err = sp_report_write(stdout, r, fmt, (uint64_t)time(NULL) * 1000, detail, sizeof(detail));
	sp_report_free(r);
	return err != 0 ? sp_cli_fail(cli, err, detail) : SP_EXIT_OK;
}
