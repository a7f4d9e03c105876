/*
 * fuzz_ctl.c - the control message decoders on arbitrary bytes (a frame's
 * payload), and every field accessor on whatever decodes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ctl.h"

/* Field names the commands use, plus one that is never present. */
static const char *const names[] = {
	"community", "collection", "key", "body", "label", "id", "limit",
	"error", "message", "detail", "code", "", "absent",
};

static void
use_field(const sp_ctl_msg *m, const char *name)
{
	const char *s;
	const uint8_t *p;
	size_t len;
	uint64_t u;
	int64_t i;
	bool b;
	char buf[16];

	/* Touch every byte handed out, so ASan checks the spans. */
	if (sp_ctl_get_str(m, name, &s, &len) == 0 && len > 0)
		(void)memchr(s, 0xff, len);
	if (sp_ctl_get_bin(m, name, &p, &len) == 0 && len > 0)
		(void)memchr(p, 0xff, len);
	if (sp_ctl_get_raw(m, name, &p, &len) == 0 && len > 0)
		(void)memchr(p, 0xff, len);
	(void)sp_ctl_get_cstr(m, name, buf, sizeof buf);
	(void)sp_ctl_get_uint(m, name, &u);
	(void)sp_ctl_get_int(m, name, &i);
	(void)sp_ctl_get_bool(m, name, &b);
}

static void
use_msg(const sp_ctl_msg *m)
{
	char name[64];
	size_t i, n;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		use_field(m, names[i]);
	/* And each field by its own name (when it fits a C string). */
	for (i = 0; i < m->nfields; i++) {
		n = m->fields[i].name_len;
		if (n >= sizeof name || memchr(m->fields[i].name, 0, n) != NULL)
			continue;
		memcpy(name, m->fields[i].name, n);
		name[n] = '\0';
		use_field(m, name);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so any read past the end is caught. */
	uint8_t *copy = malloc(size > 0 ? size : 1);
	sp_ctl_msg m;

	if (copy == NULL)
		return 0;
	if (size > 0)
		memcpy(copy, data, size);
	if (sp_ctl_decode_request(copy, size, &m) == 0) {
		if (m.cmd[0] == '\0' || strlen(m.cmd) > SP_CTL_CMD_MAX)
			abort();
		use_msg(&m);
	}
	if (sp_ctl_decode_reply(copy, size, &m) == 0) {
		if (m.status > SP_CTL_MORE)
			abort();
		use_msg(&m);
	}
	free(copy);
	return 0;
}
