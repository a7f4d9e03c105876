#define _GNU_SOURCE 1
#include "sp_err.h"

#include <string.h>

const char *
sp_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
#define SP_ERR_MSG(name, off, msg) case name: return msg;
	SP_ERRORS(SP_ERR_MSG)
#undef SP_ERR_MSG
	default:
		break;
	}
	if (err < 0 && err > SP_ERR_BASE)
		return strerror(-err);
	return "unknown error";
}

const char *
sp_errname(int err)
{
	switch (err) {
	case 0:
		return "OK";
#define SP_ERR_NAME(name, off, msg) case name: return #name;
	SP_ERRORS(SP_ERR_NAME)
#undef SP_ERR_NAME
	default:
		break;
	}
	if (err < 0 && err > SP_ERR_BASE) {
		const char *n = strerrorname_np(-err);
		return n != NULL ? n : "ERRNO";
	}
	return "UNKNOWN";
}
