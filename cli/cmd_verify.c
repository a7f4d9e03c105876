/* simpul report --verify: every figure a hub holds re-checked (docs/HUBS.md, "Reports"). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"
#include "reader.h"
#include "sp_err.h"

/* Prints the reply's problems (an array of strings), one a line; SP_EFRAME if it is not one. */
static int
print_problems(const sp_ctl_msg *m, uint32_t *listed)
{
	const uint8_t *raw;
	const char *s;
	uint32_t i;
	size_t len;
	sp_reader rd;

	*listed = 0;
	if (sp_ctl_get_raw(m, "problems", &raw, &len) != 0)
		return SP_EFRAME;
	sp_reader_init(&rd, raw, len);
	if (sp_read_array(&rd, listed) != 0)
		return SP_EFRAME;
	for (i = 0; i < *listed; i++) {
		if (sp_read_str(&rd, &s, &len) != 0)
			return SP_EFRAME;
		printf(_("problem: %.*s\n"), (int)len, s);
	}
	return 0;
}

int
sp_cli_cmd_report_verify(sp_cli *cli)
{
	uint64_t aggregates, lower, summaries, consents, signatures, problems;
	uint32_t listed;
	sp_ctl_msg m;
	sp_buf req;
	int r;

	if ((r = sp_cli_request(cli, &req, "report.verify", 0)) != 0)
		return r;
	if ((r = sp_cli_call(cli, &req, &m)) != 0)
		return r;
	if (sp_ctl_get_uint(&m, "aggregates", &aggregates) != 0 ||
	    sp_ctl_get_uint(&m, "lower", &lower) != 0 ||
	    sp_ctl_get_uint(&m, "summaries", &summaries) != 0 ||
	    sp_ctl_get_uint(&m, "consents", &consents) != 0 ||
	    sp_ctl_get_uint(&m, "signatures", &signatures) != 0 ||
	    sp_ctl_get_uint(&m, "problem_count", &problems) != 0)
		return sp_cli_fail(cli, SP_EFRAME, "reply without its counts");
	if (cli->json) {
		sp_cli_print_json(sp_cli_msg_json(&m));
		return problems > 0 ? SP_EXIT_VERIFY : SP_EXIT_OK;
	}
	printf(_("checked %llu aggregates: %llu summaries and %llu lower aggregates as their "
	    "inputs, %llu consents, %llu signatures\n"), (unsigned long long)aggregates,
	    (unsigned long long)summaries, (unsigned long long)lower,
	    (unsigned long long)consents, (unsigned long long)signatures);
	if (print_problems(&m, &listed) != 0)
		return sp_cli_fail(cli, SP_EFRAME, "reply without its problems");
	if (problems > listed)
		printf(_("... and %llu more problems (simpuld lists the first %u)\n"),
		    (unsigned long long)(problems - listed), listed);
	if (problems == 0) {
		printf("%s", _("every figure checks out\n"));
		return SP_EXIT_OK;
	}
	fprintf(stderr, _("simpul: %llu problems: the figures above do not check out\n"),
	    (unsigned long long)problems);
	return SP_EXIT_VERIFY;
}
