#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "base32.h"
#include "hlc.h"
#include "i18n.h"
#include "json_body.h"
#include "reader.h"
#include "sp_err.h"

static int
exit_code(int err)
{
	switch (err) {
	case 0:
		return SP_EXIT_OK;
	case SP_ENOTFOUND:
	case SP_ENOCHARTER:
	case -ENOENT:
		return SP_EXIT_NOTFOUND;
	case SP_ENODAEMON:
	case SP_ENOINIT:
	case SP_EDISCONNECTED:
	case SP_EPROTO_VERSION:
		return SP_EXIT_NODAEMON;
	case SP_ENOTWRITER:
	case SP_ENOTADMIN:
	case SP_ENOCOMMUNITYKEY:
	case SP_EPASSPHRASE:
	case SP_ELASTADMIN:
	case SP_EKEYMODE:
	case -EACCES:
		return SP_EXIT_DENIED;
	case SP_EBUSY:
	case SP_ELOCKED:
		return SP_EXIT_BUSY;
	case SP_ENOMEM:
	case SP_EINTERNAL:
	case SP_ESTORE:
	case SP_EMAPFULL:
	case SP_ECORRUPT:
	case SP_EKEYSIZE:
	case SP_EKEYPAIR:
	case SP_ENOTFILE:       /* a directory or device named as a file, as EISDIR */
	case SP_ENOSPC:
	case SP_ESCHEMA:
	case SP_ESCHEMA_OLD:
		return SP_EXIT_ERROR;
	default:
		/* Every other simpul code is about what the user asked for. */
		return err <= SP_ERR_BASE ? SP_EXIT_REJECTED : SP_EXIT_ERROR;
	}
}

/* What to do next, for the errors a volunteer meets first. */
static const char *
hint(int err)
{
	switch (err) {
	case SP_ENOINIT:
		return N_("create it with 'simpul init' (or point --data at the right directory)");
	case SP_ENODAEMON:
		return N_("start the daemon in another terminal or as a service: simpuld");
	case SP_ENOCHARTER:
		return N_("the community's charter arrives when this node first syncs with a member node");
	case SP_ENOTWRITER:
		return N_("ask a community admin to run 'simpul community add-writer COMMUNITY NODE_ID' with this node's id ('simpul id')");
	case SP_ELOCKED:
		return N_("stop it first ('simpul stop'), or use another --data directory");
	case SP_EPROTO_VERSION:
		return N_("simpul and simpuld are different versions: install them together");
	default:
		return NULL;
	}
}

int
sp_cli_fail(sp_cli *cli, int err, const char *detail)
{
	const char *h = hint(err);

	if (cli->json) {
		json_t *o = json_pack("{s:s, s:i, s:s}", "error", sp_errname(err),
		    "code", err, "message", _(sp_strerror(err)));

		if (o != NULL && detail != NULL && *detail != '\0')
			json_object_set_new(o, "detail", json_string(detail));
		if (o != NULL && h != NULL)
			json_object_set_new(o, "hint", json_string(_(h)));
		if (o != NULL)
			sp_cli_print_json(o);
	} else {
		if (detail != NULL && *detail != '\0')
			fprintf(stderr, "simpul: %s: %s\n", _(sp_strerror(err)), detail);
		else
			fprintf(stderr, "simpul: %s\n", _(sp_strerror(err)));
		if (h != NULL)
			fprintf(stderr, "simpul: %s\n", _(h));
	}
	return exit_code(err);
}

int
sp_cli_usage(sp_cli *cli, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cli->json) {
		json_t *o = json_pack("{s:s, s:s}", "error", "USAGE", "message", msg);

		if (o != NULL)
			sp_cli_print_json(o);
	} else {
		fprintf(stderr, "simpul: %s\n%s\n", msg, _("Try 'simpul --help'."));
	}
	return SP_EXIT_USAGE;
}

int
sp_cli_connect(sp_cli *cli)
{
	int r;

	if ((r = sp_client_connect(cli->data_dir, &cli->client)) != 0)
		return sp_cli_fail(cli, r, cli->data_dir);
	return 0;
}

int
sp_cli_request(sp_cli *cli, sp_buf *req, const char *cmd, uint32_t nfields)
{
	int r;

	if (cli->client == NULL && (r = sp_cli_connect(cli)) != 0)
		return r;
	sp_buf_init(req);
	sp_ctl_begin_request(req, cmd, nfields);
	return 0;
}

/* The daemon's error reply as a report. */
static int
reply_error(sp_cli *cli, const sp_ctl_msg *m)
{
	char detail[512];

	if (sp_ctl_get_cstr(m, "detail", detail, sizeof(detail)) != 0)
		detail[0] = '\0';
	return sp_cli_fail(cli, m->status, detail);
}

int
sp_cli_send(sp_cli *cli, sp_buf *req)
{
	sp_ctl_msg m;
	int r;

	if ((r = sp_ctl_end(req, 0)) == 0)
		r = sp_client_send(cli->client, req);
	sp_buf_free(req);
	/*
	 * simpuld hangs up on a connection it refuses (busy) once it has said
	 * why, which may be before the request is written: its reply is still
	 * there to read, and "busy" is the truth where "connection lost" would
	 * say simpuld is not running.
	 */
	if (r == SP_EDISCONNECTED && sp_client_recv(cli->client, &m) == 0 && m.status < 0)
		return reply_error(cli, &m);
	return r != 0 ? sp_cli_fail(cli, r, NULL) : 0;
}

int
sp_cli_next(sp_cli *cli, sp_ctl_msg *m, bool *more)
{
	int r;

	*more = false;
	if ((r = sp_client_recv(cli->client, m)) != 0)
		return sp_cli_fail(cli, r, NULL);
	if (m->status < 0)
		return reply_error(cli, m);
	*more = m->status == SP_CTL_MORE;
	return 0;
}

int
sp_cli_call(sp_cli *cli, sp_buf *req, sp_ctl_msg *m)
{
	bool more;
	int r;

	if ((r = sp_cli_send(cli, req)) != 0)
		return r;
	if ((r = sp_cli_next(cli, m, &more)) != 0)
		return r;
	if (more)
		return sp_cli_fail(cli, SP_EFRAME, "unexpected streamed reply");
	return 0;
}

int
sp_cli_show(sp_cli *cli, const char *cmd, sp_ctl_msg *m, bool *printed)
{
	sp_buf req;
	int r;

	*printed = false;
	if ((r = sp_cli_request(cli, &req, cmd, 0)) != 0 || (r = sp_cli_call(cli, &req, m)) != 0)
		return r;
	if (cli->json) {
		sp_cli_print_json(sp_cli_msg_json(m));
		*printed = true;
	}
	return 0;
}

void
sp_cli_bytes(char *out, size_t size, uint64_t n)
{
	if (n >= 10u * 1024 * 1024)
		snprintf(out, size, "%llu MiB", (unsigned long long)(n >> 20));
	else if (n >= 10u * 1024)
		snprintf(out, size, "%llu KiB", (unsigned long long)(n >> 10));
	else
		snprintf(out, size, "%llu B", (unsigned long long)n);
}

void
sp_cli_print_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(v);
}

void
sp_cli_id(char *out, const uint8_t *id)
{
	sp_base32_encode(out, id, 32);
}

/* Other binaries are shown as lowercase hex. */
static json_t *
hex_json(const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	json_t *v;
	char *s;
	size_t i;

	if ((s = malloc(2 * n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	v = json_stringn(s, 2 * n);
	free(s);
	return v;
}

/* One msgpack value as JSON: 32-byte binaries become base32 ids. */
static json_t *
value_json(const uint8_t *val, size_t len)
{
	sp_reader rd;
	const uint8_t *p;
	const char *s;
	size_t n;
	uint64_t u;
	int64_t i;
	bool b;
	char id[SP_ID_STR_LEN + 1];
	json_t *out = NULL;

	sp_reader_init(&rd, val, len);
	switch (sp_reader_peek(&rd)) {
	case SP_MP_MAP:
		if (sp_body_to_json(val, len, &out) != 0)
			out = NULL;
		return out;
	case SP_MP_BIN:
		if (sp_read_bin(&rd, &p, &n) != 0)
			return NULL;
		if (n == 32) {
			sp_cli_id(id, p);
			return json_string(id);
		}
		return hex_json(p, n);
	case SP_MP_STR:
		return sp_read_str(&rd, &s, &n) == 0 ? json_stringn(s, n) : NULL;
	case SP_MP_UINT:
		return sp_read_uint(&rd, &u) == 0 ? json_integer((json_int_t)u) : NULL;
	case SP_MP_INT:
		return sp_read_int(&rd, &i) == 0 ? json_integer(i) : NULL;
	case SP_MP_BOOL:
		return sp_read_bool(&rd, &b) == 0 ? json_boolean(b) : NULL;
	case SP_MP_ARRAY: {
		uint32_t cnt, k;
		const uint8_t *start;

		if (sp_read_array(&rd, &cnt) != 0 || (out = json_array()) == NULL)
			return NULL;
		for (k = 0; k < cnt; k++) {
			start = rd.p;
			if (sp_read_value(&rd, SP_MAX_DEPTH) != 0) {
				json_decref(out);
				return NULL;
			}
			json_array_append_new(out, value_json(start, (size_t)(rd.p - start)));
		}
		return out;
	}
	default:
		return json_null();
	}
}

json_t *
sp_cli_field_json(const sp_ctl_msg *m, const char *name)
{
	const sp_ctl_field *f = sp_ctl_find(m, name);

	return f != NULL ? value_json(f->val, f->val_len) : NULL;
}

json_t *
sp_cli_msg_json(const sp_ctl_msg *m)
{
	json_t *o = json_object();
	char name[64];
	size_t i, n;

	if (o == NULL)
		return NULL;
	for (i = 0; i < m->nfields; i++) {
		n = m->fields[i].name_len < sizeof(name) - 1 ? m->fields[i].name_len : sizeof(name) - 1;
		memcpy(name, m->fields[i].name, n);
		name[n] = '\0';
		json_object_set_new(o, name, value_json(m->fields[i].val, m->fields[i].val_len));
	}
	return o;
}

void
sp_cli_time(char *out, size_t size, uint64_t hlc)
{
	time_t t = (time_t)(SP_HLC_MS(hlc) / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(out, size, "?");
}

void
sp_cli_ago(char *out, size_t size, uint64_t then_ms, uint64_t now_ms)
{
	uint64_t s;

	if (then_ms == 0) {
		snprintf(out, size, "%s", _("never"));
		return;
	}
	s = now_ms > then_ms ? (now_ms - then_ms) / 1000 : 0;
	if (s < 120)
		snprintf(out, size, _("%llus ago"), (unsigned long long)s);
	else if (s < 7200)
		snprintf(out, size, _("%llum ago"), (unsigned long long)(s / 60));
	else
		snprintf(out, size, _("%lluh ago"), (unsigned long long)(s / 3600));
}

static int
read_line(int fd, char *out, size_t size)
{
	size_t n = 0;
	ssize_t k;
	char ch;

	for (;;) {
		k = read(fd, &ch, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0 || ch == '\n')
			break;
		if (n + 1 >= size)
			return SP_ETOOBIG;
		out[n++] = ch;
	}
	if (n > 0 && out[n - 1] == '\r')
		n--;
	out[n] = '\0';
	return n > 0 ? 0 : SP_EINVAL;
}

static int
ask(int fd, const char *prompt, char *out, size_t size)
{
	struct termios old, quiet;
	int r, tty = tcgetattr(fd, &old) == 0;

	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		(void)!write(fd, prompt, strlen(prompt));
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	r = read_line(fd, out, size);
	if (tty) {
		tcsetattr(fd, TCSAFLUSH, &old);
		(void)!write(fd, "\n", 1);
	}
	return r;
}

int
sp_cli_passphrase(const char *prompt, bool confirm, char *out, size_t size)
{
	char again[256];
	int fd, r;

	if (isatty(STDIN_FILENO) == 0)
		return read_line(STDIN_FILENO, out, size);
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0)
		return -errno;
	r = ask(fd, prompt, out, size);
	if (r == 0 && confirm) {
		r = ask(fd, _("Again: "), again, sizeof(again));
		if (r == 0 && strcmp(again, out) != 0)
			r = SP_EPASSPHRASE;
		explicit_bzero(again, sizeof(again));
	}
	close(fd);
	return r;
}
