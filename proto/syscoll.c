#include "syscoll.h"

#include <string.h>

#include "charter.h"
#include "sp_err.h"

static int
check_charter_body(const uint8_t *body, size_t len)
{
	sp_charter *c;
	int r;

	if ((r = sp_charter_decode(body, len, &c)) == 0)
		sp_charter_free(c);
	return r;
}

static const sp_syscoll syscolls[] = {
	{
		.name = SP_CHARTER_COLLECTION,
		.key = SP_CHARTER_KEY,
		.label = SP_LABEL_PUBLIC,
		.writer = SP_SYS_COMMUNITY_KEY,
		.travel = SP_SYS_MEMBERS_AND_PARTNERS,
		.phase = 0,
		.check_body = check_charter_body,
		.shape_error = SP_ECHARTER,
	},
};

const sp_syscoll *
sp_syscoll_find(const char *collection, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(syscolls) / sizeof(syscolls[0]); i++)
		if (strlen(syscolls[i].name) == len && memcmp(syscolls[i].name, collection, len) == 0)
			return &syscolls[i];
	return NULL;
}

const sp_syscoll *
sp_syscoll_at(size_t i)
{
	return i < sizeof(syscolls) / sizeof(syscolls[0]) ? &syscolls[i] : NULL;
}

const sp_syscoll *
sp_syscoll_charter(void)
{
	return &syscolls[0];
}

int
sp_syscoll_check(const sp_syscoll *sc, const sp_record *rec)
{
	if (rec->key_len != strlen(sc->key) || memcmp(rec->key, sc->key, rec->key_len) != 0 ||
	    rec->label != sc->label || rec->flags != 0)
		return sc->shape_error;
	return sc->check_body(rec->body, rec->body_len);
}
