#include "agent/doc/detail.h"

#include <stdio.h>

#include "common/err.h"

int cli_wrap_detail(int rc, const char *prefix)
{
	char copy[512];

	snprintf(copy, sizeof(copy), "%s", br_errdetail()[0] ? br_errdetail() : br_strerror(rc));
	return br_fail(rc, "%s: %s", prefix, copy);
}
